#!/bin/sh
# The admins' export (docs/api.md, "Export"): a streamed ZIP (chunked) with
# export.json and one CSV per record type in UTF-8 with a BOM; unzip checks
# the archive and its CRCs; counts match the X-Export-Records header; a CSV
# cell with a comma, quotes and a formula survives; progress is visible
# while a slow download runs; a download cut off does not disturb the box;
# teachers and students cannot export; it works while terminating.
. "$(dirname "$0")/../lib.sh"

box_start || t_done
for _ in $(seq 1 100); do [ -s "$BOX_CA" ] && break; sleep 0.1; done
admin_setup
api admin PUT /api/v1/school '{"name":"桜丘高等学校","year":2026,"state":"active"}'
new_user t.sato '{"id":"t.sato","name":"佐藤 先生","role":"teacher"}'
ODD='=SUM(1,2) "髙橋", 﨑'
new_user s2026001 "{\"id\":\"s2026001\",\"name\":\"$(printf '%s' "$ODD" | sed 's/"/\\"/g')\",\"role\":\"student\"}"
new_user s2026002 '{"id":"s2026002","name":"山田 花子","role":"student"}'
api admin POST /api/v1/classes '{"year":2026,"code":"2-3","name":"2年3組","kind":"homeroom"}'
C=class:2026:2-3
for m in t.sato:teacher s2026001:student s2026002:student; do
	api admin POST "/api/v1/classes/$C/members" "{\"user_id\":\"${m%%:*}\",\"role\":\"${m##*:}\"}"
done
activate teacher t.sato
activate s1 s2026001
TODAY=$(TZ=Asia/Tokyo date +%F)
api teacher POST /api/v1/attendance "{\"class_id\":\"$C\",\"date\":\"$TODAY\",\"period\":1,\"entries\":[{\"student_id\":\"s2026001\",\"status\":\"present\"},{\"student_id\":\"s2026002\",\"status\":\"absent\"}]}"
expect_eq "attendance is taken" "$STATUS" 200
AS=
for k in 1 2 3; do	# at most 10 attachments each
	api teacher POST /api/v1/assignments "{\"class_id\":\"$C\",\"title\":\"数学 $k\",\"instructions\":\"p.12\",\"due_date\":\"$(TZ=Asia/Tokyo date -d '+7 days' +%FT17:00)\"}"
	expect_eq "assignment $k is made" "$STATUS" 201
	AS="$AS $(json_id)"
done
# 24 worksheets of ~600 KB make the export ~19 MB: more than the socket
# buffers hold, so a slow client is still being served a second later.
i=0
for A in $AS; do for j in 1 2 3 4 5 6 7 8; do i=$((i + 1))
	{ printf '%%PDF-1.4\n'; head -c 450000 /dev/urandom | base64; printf '%%%%EOF\n'; } >"$T_DIR/w$i.pdf"
	eval "csrf=\${CSRF_teacher:-}"
	curl -sS --cacert "$BOX_CA" -b "$T_DIR/jar.teacher" -H "Origin: $BOX_URL" \
	    -H "X-CSRF-Token: $csrf" -H "Content-Type: application/pdf" \
	    --data-binary "@$T_DIR/w$i.pdf" -o /dev/null -w '%{http_code}\n' \
	    "$BOX_URL/api/v1/files?for=$A&name=w$i.pdf" >>"$T_DIR/up.log" 2>&1
done; done
expect_eq "24 worksheets are attached" "$(grep -c "^201$" "$T_DIR/up.log")" 24

# A guidance note written under a grant: the admin holds no grant, yet the
# export carries it (the admin's duty at termination).
api admin POST /api/v1/grants '{"grantee_id":"t.sato","student_id":"s2026001"}'
expect_eq "the admin grants t.sato s2026001's guidance notes" "$STATUS" 201
api teacher POST /api/v1/guidance-notes '{"student_id":"s2026001","text":"面談の記録: 進路について"}'
expect_eq "t.sato writes a guidance note under the grant" "$STATUS" 201
NOTE=$(json_id)
api admin GET "/api/v1/guidance-notes?student=s2026001"
expect_eq "the admin, without a grant, cannot read it through the API" "$STATUS" 403

# export CLIENT OUT [curl args] -> STATUS, headers in $T_DIR/xhdr
export_get() {
	name=$1 out=$2; shift 2
	STATUS=$(curl -sS --cacert "$BOX_CA" -b "$T_DIR/jar.$name" -D "$T_DIR/xhdr" \
	    -o "$out" -w '%{http_code}' "$@" "$BOX_URL/api/v1/export" 2>>"$T_DIR/curl.log")
}
ZIP=$T_DIR/export.zip
export_get admin "$ZIP"
expect_eq "the admin downloads the export" "$STATUS" 200
HDR=$(tr -d '\r' <"$T_DIR/xhdr")
expect_match "it is a ZIP attachment" "$HDR" 'Content-Type: application/zip'
expect_match "named by the date" "$HDR" 'Content-Disposition: attachment; filename="classbox-export-[0-9]{8}\.zip"'
expect_match "streamed (chunked, no Content-Length)" "$HDR" 'Transfer-Encoding: chunked'
expect_match "no Content-Length" "$(echo "$HDR" | grep -ci '^content-length' || true)" '^0$'
TOTAL=$(echo "$HDR" | sed -n 's/^X-Export-Records: //p')
expect_match "the record count for progress" "$TOTAL" '^[1-9][0-9]*$'
check "unzip tests every entry's CRC-32" unzip -t "$ZIP"
LIST=$(unzip -Z1 "$ZIP" 2>&1)
expect_match "export.json is the first entry" "$(echo "$LIST" | head -1)" '^export\.json$'
for f in user.csv class.csv membership.csv attendance.csv assignment.csv file.csv school.csv; do
	expect_match "it has $f" "$LIST" "^$f\$"
done
X=$T_DIR/x; mkdir -p "$X"
unzip -q -o "$ZIP" -d "$X" 2>>"$T_DIR/check.log"
expect_eq "export.json is JSON with as many records as announced" \
    "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["records"]), d["record_count"])' "$X/export.json")" "$TOTAL $TOTAL"
expect_eq "every CSV starts with the UTF-8 BOM" \
    "$(for f in "$X"/*.csv; do head -c 3 "$f" | od -An -tx1 | tr -d ' '; done | sort -u)" efbbbf
ROWS=$(python3 - "$X" <<'PY'
import csv, glob, json, sys
d = sys.argv[1]
rows = 0
for f in glob.glob(d + "/*.csv"):
    with open(f, encoding="utf-8-sig", newline="") as fh:
        rows += len(list(csv.DictReader(fh)))
print(rows)
PY
)
expect_eq "the CSVs hold every record once (a notice aside: none here)" "$ROWS" "$TOTAL"
NAME=$(python3 -c 'import csv,sys
for r in csv.DictReader(open(sys.argv[1], encoding="utf-8-sig", newline="")):
    if r["レコードID"] == "user:s2026001": print(r["氏名"])' "$X/user.csv")
expect_eq "a name with a comma, quotes and a formula survives, defused with an apostrophe" "$NAME" "'$ODD"
expect_eq "attendance rows" "$(python3 -c 'import csv,sys; print(len(list(csv.DictReader(open(sys.argv[1], encoding="utf-8-sig")))))' "$X/attendance.csv")" 2
if grep -q '"data"' "$X/file.csv"; then not_ok "file.csv leaves the base64 out"; else ok "file.csv leaves the base64 out"; fi

HEAD=$(head -1 "$X/attendance.csv" | tr -d '\r' | sed 's/^\xef\xbb\xbf//')
expect_eq "attendance.csv: Japanese headers, a name beside each id" "$HEAD" \
    "レコードID,版,日付,クラスID,クラス名,生徒ID,生徒名,時限,出欠,理由,記録者ID,記録者名,更新日時(ms)"
ROW=$(python3 -c 'import csv,sys
for r in csv.DictReader(open(sys.argv[1], encoding="utf-8-sig", newline="")):
    if r["生徒ID"] == "s2026002": print(r["生徒名"], r["クラス名"], r["記録者名"])' "$X/attendance.csv")
expect_eq "an attendance row names the student, the class and the teacher" "$ROW" "山田 花子 2年3組 佐藤 先生"
expect_eq "the guidance note written under a grant is in export.json" \
    "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([r["text"] for r in d["records"] if r["_id"]==sys.argv[2]][0])' "$X/export.json" "$NOTE")" \
    "面談の記録: 進路について"
expect_match "and in guidance_note.csv" "$(cat "$X/guidance_note.csv")" "$NOTE,.*面談の記録: 進路について"
api admin GET "/api/v1/audit/ops?action=export.guidance_notes"
expect_match "the operation log says who exported the guidance notes" "$BODY" '"actor":"admin","action":"export.guidance_notes"'
FP=$(python3 -c 'import csv,sys
for r in csv.DictReader(open(sys.argv[1], encoding="utf-8-sig", newline="")):
    if r["ファイル名"] == "w1.pdf": print(r["ZIP内の場所"])' "$X/file.csv")
expect_match "file.csv says where w1.pdf is in the ZIP" "$FP" '^files/file_[A-Za-z0-9_-]+/w1\.pdf$'
expect_eq "w1.pdf comes back byte for byte" "$(unzip -p "$ZIP" "$FP" | sha256sum)" "$(sha256sum <"$T_DIR/w1.pdf")"
expect_eq "every worksheet is a file of its own" "$(echo "$LIST" | grep -c '^files/')" 24
expect_eq "file records carry their path, not base64" \
    "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); f=[r for r in d["records"] if r["type"]=="file"]; print(len(f), sum("data" in r for r in f), sum(r["path"].startswith("files/") for r in f))' "$X/export.json")" "24 0 24"
expect_eq "the manifest is the last entry and counts every entry" \
    "$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["zip_entries"], m["complete"], m["records"]["guidance_note"]["count"], m["files"])' "$X/manifest.json")" \
    "$(echo "$LIST" | wc -l) True 1 24"
expect_eq "manifest.json is the last entry" "$(echo "$LIST" | tail -1)" manifest.json

# The logs, checked offline, then tampered with.
OUT=$("$CLASSBOX" audit verify --export "$ZIP" 2>&1); RC=$?
expect_eq "classbox audit verify --export passes on the export" "$RC" 0
expect_match "it checked the operation log's chain" "$OUT" 'ops log: entries 1-[0-9]+ \([0-9]+ lines\) intact'
expect_match "and the login log's" "$OUT" 'login log: entries 1-[0-9]+ \([0-9]+ lines\) intact'
TD=$T_DIR/tampered; mkdir -p "$TD"; unzip -q "$ZIP" -d "$TD"
python3 - "$TD/logs/ops.jsonl" <<'PY'
import sys
p = sys.argv[1]; lines = open(p, encoding="utf-8").read().split("\n")
lines[2] = lines[2].replace('"result":"ok"', '"result":"no"', 1)   # line 3
open(p, "w", encoding="utf-8").write("\n".join(lines))
PY
OUT=$("$CLASSBOX" audit verify --export "$TD" 2>&1); RC=$?
expect_eq "a changed line fails the check" "$RC" 1
expect_match "and is named" "$OUT" 'ops log: logs/ops.jsonl: line 3 \(where entry 3 belongs\) was changed'
unzip -q -o "$ZIP" logs/ops.jsonl -d "$TD"
sed -i '5d' "$TD/logs/ops.jsonl"
OUT=$("$CLASSBOX" audit verify --export "$TD" 2>&1); RC=$?
expect_eq "a removed line fails the check" "$RC" 1
expect_match "and is named" "$OUT" 'ops log: logs/ops.jsonl: entry 5 is missing at line 5'
cp "$ZIP" "$T_DIR/edited.zip"
python3 - "$T_DIR/edited.zip" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read())
i = b.index(b'"actor":"admin"', b.index(b'{"seq":2,'))   # entry 2 of a log
b[i:i + 15] = b'"actor":"admiN"'
open(p, "wb").write(b)
PY
OUT=$("$CLASSBOX" audit verify --export "$T_DIR/edited.zip" 2>&1); RC=$?
expect_eq "an export edited in place fails the check" "$RC" 1
expect_match "its CRC-32 says which entry" "$OUT" '^archive: logs/ops.jsonl was changed after the box wrote it'
expect_match "and the chain which line" "$OUT" '^ops log: logs/ops.jsonl: line 2 \(where entry 2 belongs\) was changed: its content does not match its hash'

# The download, confirmed: a cut or changed file is refused.
XID=$(echo "$HDR" | sed -n 's/^X-Export-Id: //p')
head -c 100000 "$ZIP" >"$T_DIR/cut.zip"
api admin POST /api/v1/export/confirm "{\"export_id\":$XID,\"sha256\":\"$(sha256sum <"$T_DIR/cut.zip" | cut -c1-64)\"}"
expect_eq "a cut download cannot be confirmed" "$STATUS $(printf '%s' "$BODY" | sed -n 's/.*"code":"\([a-z_]*\)".*/\1/p')" "409 export_mismatch"
api admin POST /api/v1/export/confirm "{\"export_id\":$((XID + 7)),\"sha256\":\"$(sha256sum <"$ZIP" | cut -c1-64)\"}"
expect_eq "nor another export's number" "$STATUS" 409
api admin POST /api/v1/export/confirm "{\"export_id\":$XID,\"sha256\":\"xyz\"}"
expect_match "a malformed digest is a clear 400 naming the field" "$STATUS $BODY" '^400 .*"field":"sha256"'
api admin POST /api/v1/export/confirm "{\"export_id\":$XID,\"sha256\":\"$(sha256sum <"$ZIP" | cut -c1-64)\"}"
expect_eq "the whole download is confirmed" "$STATUS" 200
expect_match "it covers everything" "$BODY" '"confirmed":true,.*"covers_everything":true'
api admin GET "/api/v1/audit/ops?action=export.confirm"
expect_match "the confirmation is logged" "$BODY" "\"action\":\"export.confirm\",\"target\":\"export:$XID\""
api teacher POST /api/v1/export/confirm "{\"export_id\":$XID,\"sha256\":\"$(sha256sum <"$ZIP" | cut -c1-64)\"}"
expect_eq "a teacher cannot confirm" "$STATUS" 403

export_get teacher "$T_DIR/t.zip"
expect_eq "a teacher cannot export" "$STATUS" 403
export_get s1 "$T_DIR/s.zip"
expect_eq "a student cannot export" "$STATUS" 403
api teacher GET /api/v1/export/progress
expect_eq "nor see export progress" "$STATUS" 403

# A slow download: its progress is visible; then it is cut off.
curl -sS --cacert "$BOX_CA" -b "$T_DIR/jar.admin" --limit-rate 100k \
    -o "$T_DIR/slow.zip" "$BOX_URL/api/v1/export" 2>/dev/null &
SLOW=$!
sleep 1
api admin GET /api/v1/export/progress
expect_match "progress shows the running export" "$BODY" "\"records_total\":$TOTAL,.*\"bytes_sent\":[1-9]"
kill "$SLOW" 2>/dev/null; wait "$SLOW" 2>/dev/null
# And a client that reads a little and hangs up.
curl -sS --cacert "$BOX_CA" -b "$T_DIR/jar.admin" "$BOX_URL/api/v1/export" 2>/dev/null | head -c 5000 >/dev/null
sleep 1
api admin GET /api/v1/export/progress
expect_eq "cut downloads leave no export running" "$BODY" '{"exports":[]}'
if unzip -tq "$T_DIR/slow.zip" >/dev/null 2>&1; then not_ok "a cut download is not a valid archive"
else ok "a cut download is not a valid archive"; fi
api admin GET /api/v1/me
expect_eq "the box still serves" "$STATUS" 200
export_get admin "$T_DIR/again.zip"
check "a full export works again afterwards" unzip -tq "$T_DIR/again.zip"

# Terminating: admins may still export.
api admin GET /api/v1/school
REV=$(printf '%s' "$BODY" | sed -n 's/.*"_rev":"\([^"]*\)".*/\1/p')
api admin PUT /api/v1/school "{\"_rev\":\"$REV\",\"state\":\"terminating\"}"
export_get admin "$T_DIR/term.zip"
expect_eq "while terminating the admin still exports" "$STATUS" 200
check "and the archive is whole" unzip -tq "$T_DIR/term.zip"
expect_match "the export says so" "$(unzip -p "$T_DIR/term.zip" export.json | head -c 200)" '"school_state":"terminating"'
grep -q 'ERROR\|AddressSanitizer' "$BOX_LOG" && not_ok "no errors in the box log" || ok "no errors in the box log"
t_done
