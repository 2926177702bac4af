#!/bin/sh
# tests/sync/attachments.sh (issue 4, "attachments for assignment files"):
# a file record travels as a CouchDB document whose bytes are a real
# attachment. A teacher's worksheet uploaded on the box is served by
# PouchDB at /db/file:.../data, byte-identical, with its Content-Type and
# the same revision; files written in PouchDB with curl (inline, and by
# the standalone attachment PUT) reach the box's API; a corrupted, an
# oversized, a wrong-type attachment, attachments on another type and two
# attachments are refused and counted while the rest of the batch lands;
# batches of 750 KiB files stay within SYNC_BATCH_BYTES and ATTS_GET_BYTES;
# a peer without _bulk_get gets the same through GET ?open_revs.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/sync/rig.sh"

export CLOUD_CORRUPT_PREFIX=file:corrupt	# cloudhook.js flips a byte
rig_start
rig_box_start || t_done
admin_setup
box_enroll "$ENROLL" || not_ok "enroll: $(cat "$RIG/enroll.out")"

# ---- a class, its teacher and student, an assignment -------------------
new_user t.sato '{"id":"t.sato","name":"佐藤 先生","role":"teacher"}'
new_user stud.s1 '{"id":"stud.s1","name":"生徒 一","role":"student"}'
new_user stud.s2 '{"id":"stud.s2","name":"生徒 二","role":"student"}'
api admin POST /api/v1/classes '{"year":2026,"code":"1-1","name":"1年1組","kind":"homeroom"}'
api admin POST /api/v1/classes '{"year":2026,"code":"1-2","name":"1年2組","kind":"homeroom"}'
C=class:2026:1-1
api admin POST "/api/v1/classes/$C/members" '{"user_id":"t.sato","role":"teacher"}'
api admin POST "/api/v1/classes/$C/members" '{"user_id":"stud.s1","role":"student"}'
api admin POST /api/v1/classes/class:2026:1-2/members '{"user_id":"stud.s2","role":"student"}'
activate teacher t.sato
activate s1 stud.s1
activate s2 stud.s2
DUE=$(TZ=Asia/Tokyo date -d '+7 days' +%FT17:00)
api teacher POST /api/v1/assignments "{\"class_id\":\"$C\",\"title\":\"数学 プリント\",\"instructions\":\"p.12\",\"due_date\":\"$DUE\"}"
expect_eq "the teacher creates an assignment" "$STATUS" 201
A=$(json_id)

. "$TOP/tests/sync/files_lib.sh"

# A worksheet PDF with a UTF-8 name.
PDF=$T_DIR/worksheet.pdf
{ printf '%%PDF-1.4\n%%\342\343\317\323\n1 0 obj << /Type /Catalog >> endobj\n'
  head -c 60000 /dev/urandom | base64
  printf '%%%%EOF\n'; } >"$PDF"
upload teacher application/pdf "$PDF" "%E6%95%B0%E5%AD%A6.pdf"
expect_eq "the teacher uploads a worksheet PDF on the box" "$STATUS" 201
F1=$(printf '%s' "$BODY" | jq -r .id)

# ---- box to cloud ---------------------------------------------------
if sync_once; then ok "classbox sync --once succeeds"
else not_ok "classbox sync --once succeeds: $(cat "$RIG/sync.err")"; fi
cloud GET "/$SCHOOL_DB/$F1"
expect_eq "PouchDB has the file document" "$STATUS" 200
expect_eq "... without a data field" "$(printf '%s' "$BODY" | jq -r 'has("data")')" false
expect_eq "... with one attachment, \"data\"" \
    "$(printf '%s' "$BODY" | jq -r '._attachments | keys | join(",")')" data
expect_eq "... its content type" \
    "$(printf '%s' "$BODY" | jq -r '._attachments.data.content_type')" application/pdf
expect_eq "... its length" "$(printf '%s' "$BODY" | jq -r '._attachments.data.length')" \
    "$(stat -c %s "$PDF")"
expect_eq "... PouchDB's digest is the file's MD5" \
    "$(printf '%s' "$BODY" | jq -r '._attachments.data.digest')" "md5-$(md5_b64 "$PDF")"
expect_eq "... and the record's other fields" \
    "$(printf '%s' "$BODY" | jq -r '[.name, .sha256] | join(" ")')" \
    "数学.pdf $(sha256sum "$PDF" | cut -d' ' -f1)"
CLOUD_F1_REV=$(printf '%s' "$BODY" | jq -r ._rev)
expect_eq "... at the box's revision" \
    "$(box_dump "$BOX_DATA" | awk -v id="$F1" '$1 == id { print $2 }')" "$CLOUD_F1_REV"
hdr=$(curl -sS -D - -o "$RIG/got.pdf" "$CLOUD/$SCHOOL_DB/$F1/data")
check "GET /school/$F1/data from PouchDB is byte-identical" cmp "$PDF" "$RIG/got.pdf"
expect_match "... with Content-Type application/pdf" "$hdr" '[Cc]ontent-[Tt]ype: application/pdf'

# ---- cloud to box: good files and bad ones in one batch ---------------
PNG=$RIG/photo.png
{ printf '\211PNG\r\n\032\n'; head -c 30000 /dev/urandom; } >"$PNG"
cloud_put_inline file:cloudinline image/png "$PNG"
expect_eq "PouchDB takes a file with an inline attachment (curl PUT)" "$STATUS" 201
PDF2=$RIG/notes.pdf
{ printf '%%PDF-1.7\n'; head -c 40000 /dev/urandom | base64; } >"$PDF2"
cloud PUT "/$SCHOOL_DB/file:cloudput" "$(file_doc file:cloudput application/pdf "$PDF2")}"
rev=$(printf '%s' "$BODY" | jq -r .rev)
STATUS=$(curl -sS -X PUT -H 'Content-Type: application/pdf' --data-binary @"$PDF2" \
    -o /dev/null -w '%{http_code}' "$CLOUD/$SCHOOL_DB/file:cloudput/data?rev=$rev")
expect_eq "... and one by the standalone attachment PUT" "$STATUS" 201
cloud PUT "/$SCHOOL_DB/announcement:withfile" "{\"type\":\"announcement\",\"class_id\":\"school\",\"title\":\"お知らせ\",\"body\":\"b\",\"author_id\":\"admin\",\"posted_at\":1,\"date\":\"2026-04-10\"}"
# The bad ones.
cloud_put_inline file:corrupt1 application/pdf "$PDF2"	# cloudhook flips a byte
BIG=$RIG/big.txt
head -c 800000 /dev/zero | tr '\0' 'a' >"$BIG"
cloud_put_inline file:oversized text/plain "$BIG"
EXE=$RIG/setup.exe
{ printf 'MZ\220\000'; head -c 2000 /dev/urandom; } >"$EXE"
cloud_put_inline file:exe application/x-msdownload "$EXE"
cloud_put_inline file:exeaspdf application/pdf "$EXE"
cloud PUT "/$SCHOOL_DB/announcement:attached" "{\"type\":\"announcement\",\"class_id\":\"school\",\"title\":\"t\",\"body\":\"b\",\"author_id\":\"admin\",\"posted_at\":1,\"date\":\"2026-04-10\",\"_attachments\":{\"data\":{\"content_type\":\"text/plain\",\"data\":\"aGVsbG8=\"}}}"
cloud PUT "/$SCHOOL_DB/file:two" "$(file_doc file:two text/plain "$BIG"),\"_attachments\":{\"data\":{\"content_type\":\"text/plain\",\"data\":\"aGVsbG8=\"},\"b\":{\"content_type\":\"text/plain\",\"data\":\"aGVsbG8=\"}}}"
expect_eq "PouchDB takes a file with two attachments" \
    "$(curl -sS "$CLOUD/$SCHOOL_DB/file:two" | jq -r '._attachments | length')" 2

lines=$(wc -l <"$CLOUD_LOG")
if sync_once; then not_ok "sync --once exits 1 when it refused documents"
else ok "sync --once exits 1 when it refused documents"; fi
expect_match "... naming the first refusal" "$(cat "$RIG/sync.err")" "refused a document from the cloud: "
expect_eq "status: sync.state ok (the batch went on)" "$(box_status_get sync.state)" ok
expect_eq "status: sync.refused counts the 6 refused revisions" "$(box_status_get sync.refused)" 6
expect_match "status: sync.last_refused says why" "$(box_status_get sync.last_refused)" \
    "refused a document from the cloud: .+"
for why in "file:corrupt1 .*do not match its digest" \
    "file:oversized .*800000 bytes, over the limit of 768000" \
    "file:exe .*application/x-msdownload is not allowed" \
    "file:exeaspdf .*bytes are not application/pdf" \
    "announcement:attached .*file records only" "file:two .*2 attachments"; do
	if grep -Eq "$why" "$RIG/sync.err"; then ok "refused and logged: $why"
	else not_ok "refused and logged: $why (see $RIG/sync.err)"; fi
done
tail -n +"$((lines + 1))" "$CLOUD_LOG" >"$RIG/cloud.log.2"
expect_eq "the oversized file's data was never asked for" \
    "$(jq -r 'select(.op == "bulk_get") | .revs[]' "$RIG/cloud.log.2" | grep -c '^file:oversized ')" 1

download s1 file:cloudinline "$RIG/got.png"
expect_eq "the box serves the cloud's inline file to a student of the class" "$STATUS" 200
check "... byte-identical" cmp "$PNG" "$RIG/got.png"
expect_match "... as image/png" "$(cat "$T_DIR/hdr")" '[Cc]ontent-[Tt]ype: image/png'
download s1 file:cloudput "$RIG/got2.pdf"
expect_eq "the box serves the file attached by the standalone PUT" "$STATUS" 200
check "... byte-identical" cmp "$PDF2" "$RIG/got2.pdf"
download s2 file:cloudinline "$RIG/x"
expect_eq "a student of another class gets 403" "$STATUS" 403
api admin GET /api/v1/announcements/announcement:withfile
expect_eq "the plain document of the same batch landed" "$STATUS" 200
found=
for id in file:corrupt1 file:oversized file:exe file:exeaspdf file:two; do
	download teacher "$id" "$RIG/x"
	[ "$STATUS" = 404 ] || found="$found $id:$STATUS"
done
expect_eq "none of the refused files is on the box" "$found" ""

# The pulled files are not sent back: the next cycle moves no document.
lines=$(wc -l <"$CLOUD_LOG")
check "the next cycle succeeds" sync_once
expect_eq "... and sends no file back" "$(tail -n +"$((lines + 1))" "$CLOUD_LOG" |
    jq -r "select(.op == \"bulk_docs\" and .db == \"$SCHOOL_DB\") | .revs[]" | wc -l)" 0

# ---- 750 KiB files: batches stay bounded ------------------------------
# Box to cloud: 5 files of REC_FILE_MAX (768,000 bytes; 1 MiB of JSON
# each) need two _bulk_docs bodies of at most SYNC_BATCH_BYTES (4 MiB).
mark=$(nginx_requests | wc -l)
for i in 1 2 3 4 5; do
	{ printf '%%PDF-1.4\n'; head -c 767991 /dev/urandom; } >"$RIG/max$i.pdf"
	upload teacher application/pdf "$RIG/max$i.pdf" "max$i.pdf"
	[ "$STATUS" = 201 ] || not_ok "upload of a 768,000-byte PDF (got $STATUS $BODY)"
done
# Cloud to box: 10 files of 768,000 bytes need two rounds of at most
# ATTS_GET_BYTES (8 MiB of base64) with attachments=true.
for i in 1 2 3 4 5 6 7 8 9 10; do
	{ printf '\211PNG\r\n\032\n'; head -c 767992 /dev/urandom; } >"$RIG/big$i.png"
	cloud_put_inline "file:big$i" image/png "$RIG/big$i.png"
	[ "$STATUS" = 201 ] || not_ok "PouchDB takes a 768,000-byte file (got $STATUS)"
done
if sync_once; then ok "a sync with 15 files of 750 KiB succeeds"
else not_ok "a sync with 15 files of 750 KiB succeeds: $(cat "$RIG/sync.err")"; fi
nginx_requests | tail -n +"$((mark + 1))" >"$RIG/access.big"
bd=$(grep "\"POST /$SCHOOL_DB/_bulk_docs" "$RIG/access.big" | awk '{ print $4 }')
n=$(printf '%s\n' "$bd" | grep -c .)
max=$(printf '%s\n' "$bd" | sort -n | tail -1)
if [ "$n" -ge 2 ] && [ "$max" -le $((4 * 1048576 + 4096)) ]; then
	ok "the 5 files went up in $n _bulk_docs requests of at most $max bytes (4 MiB bound)"
else not_ok "the 5 files went up in bounded _bulk_docs requests (n=$n, max=$max)"; fi
ag=$(grep 'attachments=true' "$RIG/access.big" | awk '{ print $5 }')
n=$(printf '%s\n' "$ag" | grep -c .)
max=$(printf '%s\n' "$ag" | sort -n | tail -1)
if [ "$n" -ge 2 ] && [ "$max" -le $((8 * 1048576 + 65536)) ]; then
	ok "the 10 files came down in $n rounds with attachments=true of at most $max bytes (8 MiB bound)"
else not_ok "the 10 files came down in bounded rounds (n=$n, max=$max)"; fi
download s1 file:big10 "$RIG/got.big"
check "the last big file is served byte-identical" cmp "$RIG/big10.png" "$RIG/got.big"
# ---- a peer without _bulk_get: the open_revs fallback -----------------
rig_server nobulkget
TXT=$RIG/note.txt
printf '宿題: p.12 の問1から問5\n' >"$TXT"
cloud_put_inline file:viaopenrevs text/plain "$TXT"
cloud_put_inline file:corrupt2 text/plain "$TXT"
mark=$(nginx_requests | wc -l)
if sync_once; then not_ok "through open_revs: sync --once exits 1 (one refused)"
else ok "through open_revs: sync --once exits 1 (one refused)"; fi
nginx_requests | tail -n +"$((mark + 1))" >"$RIG/access.or"
expect_match "... it asked GET ?open_revs with attachments=true" \
    "$(cat "$RIG/access.or")" '"GET /[^ ]*/file:viaopenrevs\?revs=true&attachments=true&att_encoding_info=true&open_revs='
download s1 file:viaopenrevs "$RIG/got.txt"
check "... and the box serves the file byte-identical" cmp "$TXT" "$RIG/got.txt"
expect_eq "... the corrupted one is refused and counted" "$(box_status_get sync.refused)" 1
expect_match "... for its digest" "$(box_status_get sync.last_refused)" \
    "file:corrupt2 .*do not match its digest"
rig_server good

box_dump "$BOX_DATA" | grep -v -e file:corrupt -e oversized -e 'file:exe' -e 'file:two' \
    -e 'announcement:attached' >"$RIG/box.3"
cloud_dump "$SCHOOL_DB" | grep -v -e file:corrupt -e oversized -e 'file:exe' -e 'file:two' \
    -e 'announcement:attached' >"$RIG/cloud.3"
if diff "$RIG/cloud.3" "$RIG/box.3" >"$RIG/diff.3"; then
	ok "both sides hold the same documents and revisions but the refused ones ($(wc -l <"$RIG/box.3"))"
else not_ok "both sides hold the same documents and revisions (see $RIG/diff.3)"; fi

t_done
