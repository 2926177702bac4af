#!/bin/sh
# GET /api/v1/admin/sbom (firmware/api/sbom.c): admins get the image's SPDX
# document as the build wrote it; a teacher gets 403; without a session
# 401; on a box without the file a clear JSON 404 (sbom_missing).
# The host's web reads the file named by CLASSBOX_SBOM (the image's web
# reads /usr/share/classbox/sbom.spdx.json).
. "$(dirname "$0")/../lib.sh"

# A small SPDX document of our own (tests/system/sbom.sh checks the real
# one); bytes that would not survive a re-encoding check the pass-through.
SBOM=$T_DIR/sbom.spdx.json
cat >"$SBOM" <<'EOD'
{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT",
 "name":"classbox-test 教室","packages":[{"SPDXID":"SPDXRef-busybox","name":"busybox",
 "versionInfo":"1:1.37.0-6","licenseDeclared":"GPL-2.0-only"}]}
EOD
export CLASSBOX_SBOM=$SBOM
box_start || t_done
admin_setup
new_user tanaka '{"id":"tanaka","name":"田中","role":"teacher"}'
activate tch tanaka

hdr=$T_DIR/hdr
sbom_get() {	# sbom_get CLIENT -> STATUS, body in $T_DIR/got, CTYPE
	eval "csrf=\${CSRF_$1:-}"
	STATUS=$(curl -sS --cacert "$BOX_CA" -b "$T_DIR/jar.$1" -D "$hdr" \
	    -o "$T_DIR/got" -w '%{http_code}' "$BOX_URL/api/v1/admin/sbom" \
	    2>>"$T_DIR/curl.log")
	CTYPE=$(sed -n 's/^[Cc]ontent-[Tt]ype: *//p' "$hdr" | tr -d '\r')
}

sbom_get admin
expect_eq "admin: GET /api/v1/admin/sbom is 200" "$STATUS" 200
check "admin gets the file byte for byte" cmp "$SBOM" "$T_DIR/got"
expect_eq "as application/spdx+json" "$CTYPE" "application/spdx+json"
sbom_get tch
expect_eq "teacher: 403" "$STATUS" 403
expect_match "teacher: JSON error forbidden" "$(cat "$T_DIR/got")" '"code":"forbidden"'
client anon
sbom_get anon
expect_eq "no session: 401" "$STATUS" 401
box_stop

# The same box without the file: 404 that says what is missing.
export CLASSBOX_SBOM=$T_DIR/absent.spdx.json
box_start || t_done
login admin admin "$ADMIN_PW"
sbom_get admin
expect_eq "no SBOM file: 404" "$STATUS" 404
expect_match "JSON error sbom_missing" "$(cat "$T_DIR/got")" '"code":"sbom_missing"'
expect_match "that names the file the image carries" "$(cat "$T_DIR/got")" 'sbom\.spdx\.json'
t_done
