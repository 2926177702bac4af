#!/bin/sh
# The export of a whole demo school (issue 17, item 1; docs/api.md
# "Export"): the small demo school (`classbox run --demo-small`) and, on
# top, one of each record the demo does not seed, made the way people
# make them (a grant and a guidance note written under it, a worksheet, an
# absence notice, a read receipt). Every record type of the record table is
# then in the export: in export.json, in its CSV (one row a record) and in
# the manifest, with the same count; the guidance note although the admin
# holds no grant; the worksheet byte for byte; the logs verify offline.
. "$(dirname "$0")/../lib.sh"

BOX_START_TENTHS=1200 box_start --demo-small || t_done
admin_setup
PWS=$BOX_DATA/demo-passwords.csv
pw() { awk -F, -v u="$1" '$1 == u { print $6 }' "$PWS"; }
login teacher t01 "$(pw t01)"	# the homeroom teacher of 1-1
expect_eq "the homeroom teacher of 1-1 logs in" "$STATUS" 200
login parent p10101 "$(pw p10101)"
login student s10101 "$(pw s10101)"
YEAR=$(api admin GET /api/v1/school >/dev/null; printf '%s' "$BODY" | sed -n 's/.*"year":\([0-9]*\).*/\1/p')
C=class:$YEAR:1-1

api admin POST /api/v1/grants '{"grantee_id":"t01","student_id":"s10101"}'
expect_eq "the admin grants t01 s10101's guidance notes" "$STATUS" 201
api teacher POST /api/v1/guidance-notes '{"student_id":"s10101","text":"二者面談: 部活と勉強の両立について"}'
expect_eq "t01 writes a guidance note under the grant" "$STATUS" 201
NOTE=$(json_id)
api teacher POST /api/v1/assignments "{\"class_id\":\"$C\",\"title\":\"読書感想文\",\"instructions\":\"原稿用紙2枚\",\"due_date\":\"$(TZ=Asia/Tokyo date -d '+7 days' +%FT17:00)\"}"
expect_eq "t01 posts an assignment to 1-1" "$STATUS" 201
A=$(json_id)
{ printf '%%PDF-1.4\n'; head -c 200000 /dev/urandom | base64; printf '%%%%EOF\n'; } >"$T_DIR/ws.pdf"
CODE=$(curl -sS --cacert "$BOX_CA" -b "$T_DIR/jar.teacher" -H "Origin: $BOX_URL" \
    -H "X-CSRF-Token: $CSRF_teacher" -H "Content-Type: application/pdf" \
    --data-binary "@$T_DIR/ws.pdf" -o /dev/null -w '%{http_code}' \
    "$BOX_URL/api/v1/files?for=$A&name=%E8%AA%B2%E9%A1%8C.pdf")
expect_eq "t01 attaches a worksheet named 課題.pdf" "$CODE" 201
api parent POST /api/v1/absence-notices "{\"student_id\":\"s10101\",\"date\":\"$(TZ=Asia/Tokyo date -d '+1 day' +%F)\",\"kind\":\"absent\",\"reason\":\"通院のため\"}"
expect_eq "a parent sends an absence notice" "$STATUS" 201
api student GET "/api/v1/announcements?class=$C"
ANN=$(printf '%s' "$BODY" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["_id"])')
api student POST "/api/v1/announcements/$ANN/seen"
expect_match "a student reads an announcement" "$STATUS" '^20[01]$'
api admin GET "/api/v1/guidance-notes?student=s10101"
expect_eq "the admin holds no grant: the note is not theirs to read" "$STATUS" 403

ZIP=$T_DIR/demo.zip
curl -sS --cacert "$BOX_CA" -b "$T_DIR/jar.admin" -D "$T_DIR/xhdr" -o "$ZIP" \
    "$BOX_URL/api/v1/export" 2>>"$T_DIR/curl.log"
check "the export is a whole ZIP (every CRC-32)" unzip -tq "$ZIP"
X=$T_DIR/x; mkdir -p "$X"; unzip -q -o "$ZIP" -d "$X"
REPORT=$(python3 - "$X" <<'PY'
import csv, json, sys
d = sys.argv[1]
records = json.load(open(d + "/export.json"))["records"]
man = json.load(open(d + "/manifest.json"))
by = {}
for r in records:
    by[r["type"]] = by.get(r["type"], 0) + 1
for t, m in sorted(man["records"].items()):
    with open(d + "/" + m["csv"], encoding="utf-8-sig", newline="") as f:
        rows = len(list(csv.DictReader(f)))
    print(t, by.get(t, 0), rows, m["count"])
PY
)
echo "$REPORT" >>"$T_DIR/check.log"
for t in school user class membership announcement receipt assignment submission attendance \
    absence_notice guidance_note grant file; do
	expect_match "$t: in export.json, its CSV and the manifest, the same count" \
	    "$(echo "$REPORT" | grep "^$t ")" "^$t ([1-9][0-9]*) \\1 \\1\$"
done
expect_eq "the manifest knows no type the record table lacks, and none is missing" \
    "$(echo "$REPORT" | wc -l)" 13
expect_eq "the guidance note written under a grant is there" \
    "$(python3 -c 'import csv,sys
for r in csv.DictReader(open(sys.argv[1], encoding="utf-8-sig", newline="")):
    if r["レコードID"] == sys.argv[2]: print(r["生徒名"], r["作成者名"], r["内容"])' "$X/guidance_note.csv" "$NOTE")" \
    "藤田 隼 小林 誠 二者面談: 部活と勉強の両立について"
FP=$(python3 -c 'import csv,sys
for r in csv.DictReader(open(sys.argv[1], encoding="utf-8-sig", newline="")):
    if r["ファイル名"] == "課題.pdf": print(r["ZIP内の場所"])' "$X/file.csv")
expect_eq "the worksheet comes back byte for byte (sha256)" \
    "$(unzip -p "$ZIP" "$FP" | sha256sum)" "$(sha256sum <"$T_DIR/ws.pdf")"
expect_match "attendance rows carry the student's and the class's names" \
    "$(sed -n 2p "$X/attendance.csv")" ",$C,1年1組,s1[0-9]+,[^,]+ [^,]+,"
OUT=$("$CLASSBOX" audit verify --export "$ZIP" 2>&1); RC=$?
echo "$OUT" >>"$T_DIR/check.log"
expect_eq "classbox audit verify --export: intact" "$RC" 0
expect_match "both logs were checked" "$OUT" '^login log: entries 1-[0-9]+ \([0-9]+ lines\) intact'
grep -q 'ERROR\|AddressSanitizer' "$BOX_LOG" && not_ok "no errors in the box log" || ok "no errors in the box log"
t_done
