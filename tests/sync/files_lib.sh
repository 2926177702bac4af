# tests/sync/files_lib.sh: file records through the box's API and in the
# cloud, for the sync tests that move files (attachments.sh, couchdb.sh);
# sourced after tests/lib.sh and rig.sh. $A is the assignment the files
# are for and $C its class. A file of its own: the files scenario's data
# and calls, which only those two tests share (the helpers every test has
# are tests/lib.sh's).

# upload CLIENT CTYPE FILE NAME -> STATUS BODY
upload() {
	eval "csrf=\${CSRF_$1:-}"
	STATUS=$(curl -sS --cacert "$BOX_CA" -b "$T_DIR/jar.$1" \
	    -H "Origin: $BOX_URL" -H "X-CSRF-Token: $csrf" \
	    -H "Content-Type: $2" --data-binary "@$3" -o "$T_DIR/body" \
	    -w '%{http_code}' "$BOX_URL/api/v1/files?for=$A&name=$4" \
	    2>>"$T_DIR/curl.log")
	BODY=$(cat "$T_DIR/body")
}
# download CLIENT ID OUT -> STATUS, headers in $T_DIR/hdr
download() {
	STATUS=$(curl -sS --cacert "$BOX_CA" -b "$T_DIR/jar.$1" \
	    -D "$T_DIR/hdr" -o "$3" -w '%{http_code}' \
	    "$BOX_URL/api/v1/files/$2" 2>>"$T_DIR/curl.log")
}
md5_b64() { openssl dgst -md5 -binary "$1" | base64; }
# file_doc ID CTYPE FILE [extra JSON fields]: a file record's fields (as
# files.c writes them) without data, for the cloud
file_doc() {
	printf '{"type":"file","owner_id":"t.sato","purpose":"assignment","assignment_id":"%s","class_id":"%s","content_type":"%s","name":"%s","size":%s,"sha256":"%s","uploaded_at":%s,"attached_to":"%s"%s' \
	    "$A" "$C" "$2" "${1#file:}.bin" "$(stat -c %s "$3")" \
	    "$(sha256sum "$3" | cut -d' ' -f1)" "$(($(date +%s) * 1000))" \
	    "$A" "${4:-}"
}
# cloud_put_inline ID CTYPE FILE [ATTCTYPE]: PUT with an inline attachment
cloud_put_inline() {
	{ file_doc "$1" "$2" "$3"
	  printf ',"_attachments":{"data":{"content_type":"%s","data":"' "${4:-$2}"
	  base64 -w0 "$3"
	  printf '"}}}'; } >"$RIG/put.json"
	STATUS=$(curl -sS -X PUT -H 'Content-Type: application/json' \
	    --data-binary @"$RIG/put.json" -o "$RIG/cloud.body" \
	    -w '%{http_code}' "$CLOUD/$SCHOOL_DB/$1" 2>>"$RIG/curl.log")
	BODY=$(cat "$RIG/cloud.body")
}
