#!/bin/sh
# Attached files (issue 3: "attached files"): a teacher attaches a PDF to
# an assignment, a student of the class downloads it byte-identical, a
# student of another class is refused; a student uploads a JPEG for a
# submission and submits referencing it, the teacher downloads it, a parent
# of another family is refused. Wrong types (magic mismatch), oversized
# and truncated uploads store nothing; the PDF's text is sealed at rest.
. "$(dirname "$0")/../lib.sh"
box_start || t_done

admin_setup
api admin PUT /api/v1/school '{"name":"桜丘高等学校","year":2026,"state":"active"}'
new_user t.sato '{"id":"t.sato","name":"佐藤 先生","role":"teacher"}'
for u in s1 s2; do
	new_user "stud.$u" "{\"id\":\"stud.$u\",\"name\":\"生徒 $u\",\"role\":\"student\"}"
	new_user "par.$u" "{\"id\":\"par.$u\",\"name\":\"保護者 $u\",\"role\":\"parent\",\"children\":[\"stud.$u\"]}"
done
api admin POST /api/v1/classes '{"year":2026,"code":"1-1","name":"1年1組","kind":"homeroom"}'
api admin POST /api/v1/classes '{"year":2026,"code":"1-2","name":"1年2組","kind":"homeroom"}'
C=class:2026:1-1
api admin POST "/api/v1/classes/$C/members" '{"user_id":"t.sato","role":"teacher"}'
api admin POST "/api/v1/classes/$C/members" '{"user_id":"stud.s1","role":"student"}'
api admin POST /api/v1/classes/class:2026:1-2/members '{"user_id":"stud.s2","role":"student"}'
activate teacher t.sato
activate s1 stud.s1
activate s2 stud.s2
activate p2 par.s2
DUE=$(TZ=Asia/Tokyo date -d '+7 days' +%FT17:00)
api teacher POST /api/v1/assignments "{\"class_id\":\"$C\",\"title\":\"数学 プリント\",\"instructions\":\"p.12\",\"due_date\":\"$DUE\"}"
expect_eq "the teacher creates an assignment" "$STATUS" 201
A=$(json_id)

# upload CLIENT CTYPE FILE QUERY [extra curl args] -> STATUS BODY
upload() {
	name=$1 ctype=$2 file=$3 query=$4
	shift 4
	eval "csrf=\${CSRF_$name:-}"
	STATUS=$(curl -sS --cacert "$BOX_CA" -b "$T_DIR/jar.$name" \
	    -H "Origin: $BOX_URL" -H "X-CSRF-Token: $csrf" \
	    -H "Content-Type: $ctype" --data-binary "@$file" "$@" \
	    -o "$T_DIR/body" -w '%{http_code}' \
	    "$BOX_URL/api/v1/files?$query" 2>>"$T_DIR/curl.log")
	BODY=$(cat "$T_DIR/body" 2>/dev/null)
}
# download CLIENT ID OUT -> STATUS, headers in $T_DIR/hdr
download() {
	STATUS=$(curl -sS --cacert "$BOX_CA" -b "$T_DIR/jar.$1" \
	    -D "$T_DIR/hdr" -o "$3" -w '%{http_code}' \
	    "$BOX_URL/api/v1/files/$2" 2>>"$T_DIR/curl.log")
}
field() {
	printf '%s' "$BODY" | python3 -c "import json,sys
try: print(json.load(sys.stdin)$1)
except Exception: print('')"
}

# A PDF with distinctive text.
SECRET="Kimitsu-Worksheet-$(date +%s)-Pythagoras"
PDF=$T_DIR/worksheet.pdf
{ printf '%%PDF-1.4\n%%\342\343\317\323\n'
  printf '1 0 obj << /Type /Catalog >> endobj\n%% %s\n' "$SECRET"
  head -c 20000 /dev/urandom | base64
  printf '%%%%EOF\n'; } >"$PDF"
upload teacher application/pdf "$PDF" "for=$A&name=%E6%95%B0%E5%AD%A6%20%E3%83%97%E3%83%AA%E3%83%B3%E3%83%88.pdf"
expect_eq "the teacher attaches a PDF to the assignment" "$STATUS" 201
F1=$(field '["id"]')
expect_match "the answer has id, size, sha256, type and name" "$BODY" '"id":"file:.*"size":[0-9]+.*"sha256":"[0-9a-f]{64}".*"content_type":"application/pdf".*"name":"数学 プリント.pdf"'
expect_eq "its sha256 is the file's" "$(field '["sha256"]')" "$(sha256sum "$PDF" | cut -d' ' -f1)"
api s1 GET "/api/v1/assignments/$A"
expect_match "the assignment lists the attachment" "$(field '["attachments"][0]["id"]')" "^$F1\$"
download s1 "$F1" "$T_DIR/got.pdf"
expect_eq "a student of the class downloads it" "$STATUS" 200
check "byte-identical" cmp "$PDF" "$T_DIR/got.pdf"
expect_match "with the stored Content-Type" "$(cat "$T_DIR/hdr")" '[Cc]ontent-[Tt]ype: application/pdf'
expect_match "as an attachment with a UTF-8 file name" "$(cat "$T_DIR/hdr")" "[Cc]ontent-[Dd]isposition: attachment; filename\\*=UTF-8''%E6%95%B0%E5%AD%A6%20%E3%83%97%E3%83%AA%E3%83%B3%E3%83%88.pdf"
expect_match "and nosniff" "$(cat "$T_DIR/hdr")" '[Xx]-[Cc]ontent-[Tt]ype-[Oo]ptions: nosniff'
download s2 "$F1" "$T_DIR/x"
expect_eq "a student of another class gets 403" "$STATUS" 403
download p2 "$F1" "$T_DIR/x"
expect_eq "a parent of another family gets 403" "$STATUS" 403

# The student's photo for a submission.
JPG=$T_DIR/photo.jpg
{ printf '\377\330\377\340\000\020JFIF\000'; head -c 30000 /dev/urandom; printf '\377\331'; } >"$JPG"
upload s1 image/jpeg "$JPG" "for=submission:$A&name=IMG_0001.JPG"
expect_eq "the student uploads a JPEG for a submission" "$STATUS" 201
F2=$(field '["id"]')
download teacher "$F2" "$T_DIR/x"
expect_eq "not yet attached: only its uploader reads it" "$STATUS" 403
download s1 "$F2" "$T_DIR/x"
expect_eq "the uploader reads it back" "$STATUS" 200
upload s2 image/jpeg "$JPG" "for=submission:$A"
expect_eq "a student of another class cannot upload for it" "$STATUS" 403
upload s1 image/jpeg "$JPG" "for=$A"
expect_eq "a student cannot attach to the assignment itself" "$STATUS" 403
api s1 POST "/api/v1/assignments/$A/submissions" "{\"text\":\"できました\",\"attachments\":[\"$F2\"]}"
expect_eq "the student submits, referencing the file" "$STATUS" 201
expect_eq "the submission lists it" "$(field '["attachments"][0]["id"]') $(field '["attachments"][0]["name"]')" "$F2 IMG_0001.JPG"
api s1 POST "/api/v1/assignments/$A/submissions" "{\"attachments\":[\"$F2\"]}"
expect_eq "the same file cannot be attached twice" "$STATUS" 400
api s1 POST "/api/v1/assignments/$A/submissions" "{\"attachments\":[\"$F1\"]}"
expect_eq "nor the teacher's worksheet" "$STATUS" 400
download teacher "$F2" "$T_DIR/got.jpg"
expect_eq "the teacher downloads the student's photo" "$STATUS" 200
check "byte-identical too" cmp "$JPG" "$T_DIR/got.jpg"
download p2 "$F2" "$T_DIR/x"
expect_eq "a parent of another family gets 403" "$STATUS" 403
download s2 "$F2" "$T_DIR/x"
expect_eq "another student gets 403" "$STATUS" 403

# Refused uploads.
api teacher GET "/api/v1/assignments/$A"
BEFORE=$BODY
EXE=$T_DIR/setup.jpg
{ printf 'MZ\220\000\003\000\000\000'; head -c 4000 /dev/urandom; } >"$EXE"
upload teacher image/jpeg "$EXE" "for=$A&name=setup.jpg"
expect_eq "an .exe renamed .jpg is refused (magic mismatch)" "$STATUS" 415
expect_match "the 415 names the file types an upload takes" "$BODY" \
    'image/jpeg, image/png, image/heic, application/pdf, text/plain'
upload teacher application/x-msdownload "$EXE" "for=$A&name=setup.exe"
expect_eq "a type off the allow-list is refused" "$STATUS" 415
expect_match "and told in Japanese too" "$BODY" '"message_ja":"ファイルは JPEG'
BIG=$T_DIR/big.pdf
{ printf '%%PDF-1.4\n'; head -c 800000 /dev/urandom; } >"$BIG"
upload teacher application/pdf "$BIG" "for=$A"
expect_eq "a file over the limit (750 KiB) gets 413" "$STATUS" 413
MAX=$T_DIR/max.png
{ printf '\211PNG\r\n\032\n'; head -c $((750 * 1024 - 8)) /dev/urandom; } >"$MAX"
upload teacher image/png "$MAX" "for=$A&name=max.png"
expect_eq "a file of exactly the limit (750 KiB) fits the store" "$STATUS" 201
FMAX=$(field '["id"]')
download s1 "$FMAX" "$T_DIR/got.png"
check "and reads back byte-identical" cmp "$MAX" "$T_DIR/got.png"
api teacher GET "/api/v1/assignments/$A"
BEFORE=$BODY
HUGE=$T_DIR/huge.pdf
{ printf '%%PDF-1.4\n'; head -c 1100000 /dev/urandom; } >"$HUGE"
upload teacher application/pdf "$HUGE" "for=$A"
expect_eq "a body over the HTTP limit (1 MiB) gets 413" "$STATUS" 413
SMALL=$T_DIR/small.pdf
{ printf '%%PDF-1.4\n'; head -c 5000 /dev/urandom; } >"$SMALL"
upload teacher application/pdf "$SMALL" "for=$A" -H 'Content-Length: 50000' --max-time 3
expect_match "a truncated upload gets no success answer" "$STATUS" '^(000|4..|5..)$'
api teacher GET "/api/v1/assignments/$A"
expect_eq "the assignment is unchanged by the refused and truncated uploads" "$BODY" "$BEFORE"
api teacher GET /api/v1/me
expect_eq "the box still answers" "$STATUS" 200

# Sealed at rest.
DB=$BOX_DATA/store/data.mdb
expect_match "the store's data file exists" "$(ls -l "$DB" 2>&1)" 'data.mdb'
if grep -aqF "$SECRET" "$DB"; then not_ok "the PDF's text is not in data.mdb in clear"
else ok "the PDF's text is not in data.mdb in clear"; fi
if grep -aqF "Pythagoras" "$DB"; then not_ok "nor any part of it"
else ok "nor any part of it"; fi
t_done
