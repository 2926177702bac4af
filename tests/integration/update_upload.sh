#!/bin/sh
# The admin's upload of an update bundle (docs/update.md, update_api.c):
# pieces of at most 1 MiB at explicit offsets into the spool updated reads;
# a wrong offset answers 409 with what was received (resume); done hands
# the whole file over as *.bundle; only admins; every piece fsynced.
. "$(dirname "$0")/../lib.sh"
spool=$T_DIR/spool
mkdir -p "$spool"
chmod 0733 "$spool"	# as on the box (0730 root:web): web writes, cannot list
export CLASSBOX_UPDATE_SPOOL=$spool
box_start || t_done
admin_setup
head -c 2621440 /dev/urandom >"$T_DIR/bundle"	# 2.5 MiB
split -b 1048576 -d "$T_DIR/bundle" "$T_DIR/piece."
put() {	# put CLIENT OFFSET FILE
	eval "csrf=\${CSRF_$1:-}"
	STATUS=$(curl -sS --cacert "$BOX_CA" -b "$T_DIR/jar.$1" -X PUT \
	    -H "Origin: $BOX_URL" -H "X-CSRF-Token: $csrf" \
	    -H 'Content-Type: application/octet-stream' --data-binary "@$3" \
	    -o "$T_DIR/body" -w '%{http_code}' "$BOX_URL/api/v1/update/upload/$2")
	BODY=$(cat "$T_DIR/body")
}
put admin 0 "$T_DIR/piece.00"
expect_eq "first piece accepted" "$STATUS" 200
expect_match "received 1 MiB" "$BODY" '"received":1048576'
put admin 0 "$T_DIR/piece.01"
expect_eq "a piece at the wrong offset is refused (409)" "$STATUS" 409
expect_match "with the bytes received, to resume" "$BODY" '"received":1048576'
put admin 1048576 "$T_DIR/piece.01"
expect_eq "second piece" "$STATUS" 200
api admin GET /api/v1/update
expect_eq "GET /api/v1/update" "$STATUS" 200
expect_match "shows the upload's progress" "$BODY" '"received":2097152'
put admin 2097152 "$T_DIR/piece.02"
expect_match "last piece" "$STATUS$BODY" '^200.*"received":2621440'
api admin POST /api/v1/update/upload/done
expect_eq "done hands the bundle over (202)" "$STATUS" 202
f=$(ls "$spool"/*.bundle 2>/dev/null | head -n 1)
check "the spool holds upload-*.bundle, byte for byte" [ -n "$f" ] && cmp -s "$f" "$T_DIR/bundle"
check "no partial file left" [ ! -e "$spool/upload.part" ]
api admin POST /api/v1/update/upload/done
expect_eq "done with nothing uploaded: 404" "$STATUS" 404
put admin 0 "$T_DIR/piece.00"
api admin DELETE /api/v1/update/upload
expect_eq "a partial upload is dropped (204)" "$STATUS" 204
check "and is gone" [ ! -e "$spool/upload.part" ]
new_user t.upload '{"id":"t.upload","name":"先生","role":"teacher"}'
activate tch t.upload
put tch 0 "$T_DIR/piece.00"
expect_eq "a teacher cannot upload (403)" "$STATUS" 403
api tch GET /api/v1/update
expect_eq "nor read the update state (403)" "$STATUS" 403
t_done
