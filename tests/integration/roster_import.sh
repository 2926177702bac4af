#!/bin/sh
# Roster import (POST /api/v1/roster/import, docs/api.md): a dry run of a
# file with errors lists every bad line in Japanese and English and imports
# nothing; clean UTF-8 and Shift_JIS (CP932, with 髙橋) files import; the
# users log in with the passwords of the slips page and must change them;
# the slips are there once; an id already on the box is an error; a
# non-admin is refused.
. "$(dirname "$0")/../lib.sh"

box_start || t_done
client admin
admin_setup

# csv NAME FILE [QUERY]: POST a CSV file as admin -> STATUS, BODY
csv() {
	jar=$T_DIR/jar.$1
	eval "csrf=\${CSRF_$1:-}"
	STATUS=$(curl -sS --cacert "$BOX_CA" -b "$jar" -c "$jar" -X POST \
	    -H "Origin: $BOX_URL" -H "X-CSRF-Token: $csrf" \
	    -H "Content-Type: ${CT:-text/csv}" --data-binary "@$2" \
	    -o "$T_DIR/body" -w '%{http_code}' \
	    "$BOX_URL/api/v1/roster/import${3:-}" 2>>"$T_DIR/curl.log")
	BODY=$(cat "$T_DIR/body")
}
# jq-ish: a python expression over the JSON in BODY (as j)
jv() {
	printf '%s' "$BODY" | python3 -c "import json,sys
j=json.load(sys.stdin)
print($1)" 2>/dev/null || echo '?'
}

# ---- a file with errors: every bad line, nothing imported ----------------
cat >"$T_DIR/bad.csv" <<'EOF'
ユーザーID,氏名,役割,組,出席番号,保護者の子ども
ri.ok1,青木 一郎,生徒,1-1,1,
ri.bad2,井上 二郎,先生,1-1,2,
RI BAD,上田 三郎,生徒,1-1,3,
ri.ok4,江藤 四郎,生徒,1-1,1,
ri.par5,小川 五郎,保護者,,,ri.nobody
EOF
csv admin "$T_DIR/bad.csv" '?dry_run=1'
expect_eq "dry run of a bad file answers 200" "$STATUS" 200
expect_eq "dry run: ok false" "$(jv 'j["ok"]')" False
expect_eq "dry run: the bad lines 3 4 5 6 listed" \
    "$(jv '" ".join(sorted(set(str(e["line"]) for e in j["errors"])))')" "3 4 5 6"
expect_match "errors in English" "$(jv 'j["errors"][0]["message"]')" "^line 3: role"
expect_match "errors in Japanese" "$(jv 'j["errors"][0]["message_ja"]')" "^3行目: 役割「先生」"
csv admin "$T_DIR/bad.csv"
expect_eq "import of a bad file: ok false" "$(jv 'j["ok"]')" False
api admin GET /api/v1/users/ri.ok1
expect_eq "nothing imported from a bad file" "$STATUS" 404

# ---- a clean UTF-8 file ---------------------------------------------------
cat >"$T_DIR/utf8.csv" <<'EOF'
ユーザーID,氏名,ふりがな,役割,学年,組,出席番号,保護者の子ども
ri.s1,青木 一郎,あおき いちろう,生徒,1,1-1,1,
ri.s2,井上 花子,いのうえ はなこ,生徒,1,1-1,2,
ri.t1,上田 先生,うえだ,教員,1,1-1,,
ri.p1,青木 父,,保護者,,,,ri.s1
EOF
csv admin "$T_DIR/utf8.csv" '?dry_run=1'
expect_eq "dry run of a clean UTF-8 file: ok, 4 rows, utf-8" \
    "$(jv 'j["ok"], j["rows"], j["encoding"], len(j["errors"])')" "True 4 utf-8 0"
api admin GET /api/v1/users/ri.s1
expect_eq "a dry run imports nothing" "$STATUS" 404
csv admin "$T_DIR/utf8.csv"
expect_eq "import of the UTF-8 file: ok, 4 created" \
    "$(jv 'j["ok"], j["created"], len(j["users"])')" "True 4 4"
expect_eq "no password in the import answer" \
    "$(printf '%s' "$BODY" | grep -c -i password)" 0
SLIPS=$(jv 'j["slips"]')
expect_match "the answer names the slips page" "$SLIPS" '^/api/v1/roster/import/[A-Za-z0-9_-]{22}/slips$'
api admin GET /api/v1/users/ri.p1
expect_match "the parent is linked to the child" "$BODY" '"children":\["ri.s1"\]'

# ---- slips: once, for the admin who imported ------------------------------
client other
api admin GET "$SLIPS"
expect_eq "slips page 200" "$STATUS" 200
cp "$T_DIR/body" "$T_DIR/slips1.html"
expect_match "slips page has the box's address" "$BODY" "$BOX_URL/"
expect_eq "slips page has no placeholder" "$(grep -c __CLASSBOX_URL__ "$T_DIR/slips1.html")" 0
api admin GET "$SLIPS"
expect_eq "slips page a second time: 404" "$STATUS" 404

# slip_pw FILE UID: the initial password on UID's slip
slip_pw() {
	python3 - "$1" "$2" <<'PY'
import re, sys
html = open(sys.argv[1], encoding="utf-8").read()
for slip in html.split('<div class="slip">')[1:]:
    rows = dict(re.findall(r'<tr><th>([^<]*)</th><td[^>]*>([^<]*)</td></tr>', slip))
    if rows.get("ユーザーID / User ID") == sys.argv[2]:
        print(rows["初期パスワード / Initial password"])
PY
}
for u in ri.s1 ri.s2 ri.t1 ri.p1; do
	pw=$(slip_pw "$T_DIR/slips1.html" $u)
	c=c_$(echo $u | tr . _)
	login $c $u "$pw"
	expect_eq "$u logs in with the slip password" "$STATUS" 200
	expect_match "$u must change the password" "$BODY" '"must_change_password":true'
done
api c_ri_s1 GET /api/v1/classes
expect_eq "held at the password change" "$(printf '%s' "$BODY" | sed -n 's/.*"code":"\([^"]*\)".*/\1/p')" password_change_required
api c_ri_t1 POST /api/v1/password "{\"old_password\":\"$(slip_pw "$T_DIR/slips1.html" ri.t1)\",\"new_password\":\"$NEWPW\"}"
expect_eq "the teacher changes the password" "$STATUS" 204
api admin GET /api/v1/school
YEAR=$(printf '%s' "$BODY" | sed -n 's/.*"year":\([0-9]*\).*/\1/p')
if [ -z "$YEAR" ]; then
	m=$(TZ=Asia/Tokyo date +%m); YEAR=$(TZ=Asia/Tokyo date +%Y)
	[ "${m#0}" -lt 4 ] && YEAR=$((YEAR - 1))
fi
api c_ri_t1 GET "/api/v1/classes/class:$YEAR:1-1/members?limit=100"
expect_eq "the homeroom 1-1 has its teacher and 2 students" "$(count_items)" 3

# ---- Shift_JIS (CP932) with 髙橋 -------------------------------------------
printf 'ユーザーID,氏名,役割,組,出席番号\r\nri.sj1,髙橋 一郎,生徒,2年3組,1\r\nri.sj2,山﨑 花子,生徒,2-3,2\r\n' |
    iconv -f UTF-8 -t CP932 >"$T_DIR/sjis.csv"
expect_eq "the CP932 file has 髙 as 0xFBFC 0x8BB4" \
    "$(od -An -tx1 "$T_DIR/sjis.csv" | tr -d ' \n' | grep -c 'fbfc8bb4')" 1
csv admin "$T_DIR/sjis.csv" '?dry_run=1'
expect_eq "dry run of the Shift_JIS file: ok, shift_jis" \
    "$(jv 'j["ok"], j["encoding"]')" "True shift_jis"
csv admin "$T_DIR/sjis.csv"
expect_eq "import of the Shift_JIS file: 2 created" "$(jv 'j["ok"], j["created"]')" "True 2"
api admin GET /api/v1/users/ri.sj1
expect_match "髙橋 decoded" "$BODY" '"name":"髙橋 一郎"'
api admin GET "$SLIPS"
expect_eq "the first import's slips stay gone" "$STATUS" 404

# ---- ids are never reused -------------------------------------------------
csv admin "$T_DIR/utf8.csv" '?dry_run=1'
expect_eq "re-import: every line is an error" \
    "$(jv '" ".join(str(e["line"]) for e in j["errors"])')" "2 3 4 5"
expect_match "re-import error says so" "$(jv 'j["errors"][0]["message"]')" "already taken"
api admin DELETE /api/v1/users/ri.sj2
printf 'id,name,role\nri.sj2,Again,student\n' >"$T_DIR/reuse.csv"
csv admin "$T_DIR/reuse.csv"
expect_eq "a deleted user's id cannot be imported again" "$(jv 'j["ok"], j["errors"][0]["line"]')" "False 2"

# ---- refusals -------------------------------------------------------------
login other ri.t1 "$NEWPW"
csv other "$T_DIR/utf8.csv" '?dry_run=1'
expect_eq "a teacher is refused (403)" "$STATUS" 403
api other GET /api/v1/roster/import/AAAAAAAAAAAAAAAAAAAAAA/slips
expect_eq "a teacher cannot fetch slips (403)" "$STATUS" 403
CT=application/json csv admin "$T_DIR/utf8.csv" '?dry_run=1'
expect_eq "a body that is not text/csv: 415" "$STATUS" 415
expect_match "the 415 names text/csv, not JSON" "$BODY" '"message":"[^"]*Content-Type: text/csv'
csv admin "$T_DIR/utf8.csv" '?dry_run=maybe'
expect_eq "a bad dry_run value: 400" "$STATUS" 400
head -c 1100000 /dev/zero | tr '\0' 'a' >"$T_DIR/big.csv"
csv admin "$T_DIR/big.csv" '?dry_run=1'
expect_match "a file over 1 MiB is refused (413 or closed)" "$STATUS" '^(413|000)$'

t_done
