#!/bin/sh
# Termination (docs/operations.md): a school with accounts, classroom data,
# both logs and two backup generations; before the end every file opens
# with the box's keys; the admin starts the termination, retypes the
# school's name and ends it; then nobody can log in (before and after a
# restart), the keys are gone, the store's values, the logs and every
# backup generation no longer decrypt, and the accounts are wiped. Nothing
# is erased before the school's data was exported whole and the download
# confirmed with nothing changed since (terminate_override.sh: the
# admin's logged override).
. "$(dirname "$0")/../lib.sh"

NAME=桜丘高等学校
STUDENT_NAME="終了 試験太郎"
box_start || t_done
for _ in $(seq 1 100); do [ -s "$BOX_CA" ] && break; sleep 0.1; done
admin_setup
api admin PUT /api/v1/school "{\"name\":\"$NAME\",\"year\":2026,\"state\":\"active\"}"
expect_eq "the school is set up" "$STATUS" 200
new_user t.sato '{"id":"t.sato","name":"佐藤 先生","role":"teacher"}'
new_user s2026001 "{\"id\":\"s2026001\",\"name\":\"$STUDENT_NAME\",\"role\":\"student\"}"
api admin POST /api/v1/classes '{"year":2026,"code":"2-3","name":"2年3組","kind":"homeroom"}'
C=class:2026:2-3
api admin POST "/api/v1/classes/$C/members" '{"user_id":"t.sato","role":"teacher"}'
api admin POST "/api/v1/classes/$C/members" '{"user_id":"s2026001","role":"student"}'
activate teacher t.sato
api teacher POST /api/v1/attendance "{\"class_id\":\"$C\",\"date\":\"$(TZ=Asia/Tokyo date +%F)\",\"period\":1,\"entries\":[{\"student_id\":\"s2026001\",\"status\":\"absent\"}]}"
expect_eq "attendance is taken" "$STATUS" 200

# mdb_dump from the pinned LMDB sources (make test-tools), to read raw values.
MDB_DUMP=$T_TOOLS/mdb_dump
t_need_tools mdb_dump
dek() { "$MDB_DUMP" -s meta "$1" 2>/dev/null | awk 'f{print; exit} /^ 64656b$/{f=1}'; }

# Before: everything opens with the box's keys.
TARGET=$T_DIR/backups
mkdir -p "$TARGET"
for g in 1 2; do
	check "backup generation $g is made and verified" \
	    "$CLASSBOX" backup create --data "$BOX_DATA" --to "$TARGET"
	sleep 0.01
done
GENS=$(ls "$TARGET"/classbox-*.cbbak)
expect_eq "two generations" "$(echo "$GENS" | wc -l)" 2
for f in $GENS; do
	check "before: $(basename "$f") verifies (every record decrypted)" \
	    "$CLASSBOX" backup verify "$f" --data "$BOX_DATA"
done
out=$("$CLASSBOX" backup restore "$(echo "$GENS" | head -1)" --data "$BOX_DATA" --dry-run 2>&1)
expect_match "before: a restore dry run decrypts it" "$out" 'would replace'
out=$("$CLASSBOX" audit verify --dir "$BOX_DATA/audit" 2>&1)
expect_match "before: both logs open and verify" "$out" 'ops log: [0-9,]+ entries, chain intact'
if grep -aqF "$STUDENT_NAME" "$BOX_DATA/auth/data.mdb"; then
	ok "before: the accounts file holds the student's name (the check sees it)"
else not_ok "before: the accounts file holds the student's name"; fi
DEK_STORE=$(dek "$BOX_DATA/store")
DEK_OPS=$(dek "$BOX_DATA/audit/ops")
[ -n "$DEK_STORE" ] && [ -n "$DEK_OPS" ] && ok "before: the wrapped data keys are read raw" ||
    not_ok "before: the wrapped data keys are read raw"

export_zip "$T_DIR/early.zip"
confirm_zip "$T_DIR/early.zip"
expect_eq "an export made while the school is active is confirmed" "$STATUS" 200

# The steps and their refusals.
api admin POST /api/v1/school/terminate "{\"confirm\":\"$NAME\"}"
expect_match "an active school cannot be ended at once" "$STATUS $BODY" '^409 .*invalid_state'
api admin GET /api/v1/school
REV=$(printf '%s' "$BODY" | sed -n 's/.*"_rev":"\([^"]*\)".*/\1/p')
api admin PUT /api/v1/school "{\"_rev\":\"$REV\",\"state\":\"terminated\"}"
expect_match "PUT cannot end it either" "$STATUS $BODY" '^400 .*state'
api admin PUT /api/v1/school "{\"_rev\":\"$REV\",\"state\":\"terminating\"}"
expect_eq "the admin starts the termination" "$STATUS" 200
api teacher GET /api/v1/me
expect_match "everyone sees the banner" "$BODY" '"school_state":"terminating"'
api teacher POST /api/v1/school/terminate "{\"confirm\":\"$NAME\"}"
expect_match "a teacher cannot end it" "$STATUS" '^403'
api admin POST /api/v1/school/terminate '{"confirm":"桜丘高校"}'
expect_match "a mistyped name is refused" "$STATUS $BODY" '^400 .*confirm'
api admin POST /api/v1/school/terminate '{}'
expect_match "no confirmation is refused" "$STATUS $BODY" '^400 .*confirm'
api admin POST /api/v1/school/terminate "{\"confirm\":\"$NAME\"}"
expect_match "the export made before terminating no longer covers everything" \
    "$STATUS $BODY" '^409 .*"code":"export_not_confirmed".*Records changed after export'
export_zip "$T_DIR/final.zip"
api admin POST /api/v1/school/terminate "{\"confirm\":\"$NAME\"}"
expect_match "a downloaded but unconfirmed export is not enough" \
    "$STATUS $BODY" '^409 .*"code":"export_not_confirmed".*not confirmed'
head -c 2000 "$T_DIR/final.zip" >"$T_DIR/cut.zip"
confirm_zip "$T_DIR/cut.zip"
expect_match "a truncated download cannot be confirmed" "$STATUS $BODY" '^409 .*export_mismatch'
confirm_zip "$T_DIR/final.zip"
expect_match "the whole download is confirmed while terminating" "$STATUS $BODY" '^200 .*"covers_everything":true'
out=$("$CLASSBOX" audit verify --export "$T_DIR/final.zip" 2>&1); rc=$?
expect_eq "its logs verify offline before the keys go" "$rc" 0
expect_eq "it holds the student's attendance" \
    "$(unzip -p "$T_DIR/final.zip" attendance.csv | grep -c "s2026001,$STUDENT_NAME")" 1
api admin GET "/api/v1/attendance?class=$C&date=$(TZ=Asia/Tokyo date +%F)"
expect_eq "nothing was erased by the refusals (admins still read)" "$STATUS" 200
api admin POST /api/v1/school/terminate "{\"confirm\":\"$NAME\"}"
expect_eq "the admin ends the school" "$STATUS" 200
expect_match "the answer says what was erased" "$BODY" '"store_erased":true,"backups_unreadable":true,"ops_log_erased":true,"auth_erased":true'

# After: nobody.
api admin GET /api/v1/me
expect_match "the admin's session is refused" "$STATUS $BODY" '^403 .*school_terminated'
login again admin "$ADMIN_PW"
expect_match "the admin cannot log in" "$STATUS $BODY" '^403 .*school_terminated'
login t2 t.sato "$NEWPW"
expect_match "a teacher cannot log in, with a clear message" "$STATUS $BODY" '^403 .*school_terminated.*terminated'
out=$(curl -sS --cacert "$BOX_CA" "$BOX_URL/api/v1/status")
expect_match "the public status says terminated" "$out" '"school":\{"state":"terminated"'

# The keys are gone, and with them every copy.
for k in keys/kek audit/ops/kek audit/login/kek auth/data.mdb; do
	if [ -e "$BOX_DATA/$k" ]; then not_ok "$k is gone"; else ok "$k is gone"; fi
done
expect_match "the marker records the ops log's last head" \
    "$(cat "$BOX_DATA/keys/terminated" 2>&1)" '"ops_log_head":\{"seq":[1-9]'
expect_match "and that the school's data was exported first" \
    "$(cat "$BOX_DATA/keys/terminated" 2>&1)" '"export":"confirmed"'
if grep -raqF "$STUDENT_NAME" "$BOX_DATA"; then not_ok "the student's name is nowhere in the data directory"
else ok "the student's name is nowhere in the data directory"; fi
[ -s "$BOX_DATA/store/data.mdb" ] && ok "the store's data file is still there (sealed)" ||
    not_ok "the store's data file is still there (sealed)"
D=$(dek "$BOX_DATA/store")
[ -n "$D" ] && [ "$D" != "$DEK_STORE" ] && ok "the store's wrapped data key is overwritten" ||
    not_ok "the store's wrapped data key is overwritten"
D=$(dek "$BOX_DATA/audit/ops")
[ -n "$D" ] && [ "$D" != "$DEK_OPS" ] && ok "the ops log's wrapped data key is overwritten" ||
    not_ok "the ops log's wrapped data key is overwritten"
for f in $GENS; do
	out=$("$CLASSBOX" backup verify "$f" --data "$BOX_DATA" 2>&1); rc=$?
	echo "$out" >>"$T_DIR/check.log"
	expect_eq "after: $(basename "$f") no longer decrypts (exit 1)" "$rc" 1
done
out=$("$CLASSBOX" backup restore "$(echo "$GENS" | head -1)" --data "$BOX_DATA" --dry-run 2>&1); rc=$?
expect_eq "after: a restore dry run fails" "$rc" 1
out=$("$CLASSBOX" backup create --data "$BOX_DATA" --to "$TARGET" 2>&1); rc=$?
expect_eq "after: no new backup can be made" "$rc" 1
out=$("$CLASSBOX" audit verify --dir "$BOX_DATA/audit" 2>&1); rc=$?
echo "$out" >>"$T_DIR/check.log"
expect_eq "after: the logs no longer open" "$rc" 1
out=$("$CLASSBOX" user --sock "$BOX_SOCK" list 2>&1); rc=$?
expect_eq "after: the console lists no account" "$rc" 1
out=$("$CLASSBOX" user --sock "$BOX_SOCK" terminate --yes 2>&1)
expect_match "the technician's terminate is idempotent" "$out" 'already erased'

# A restart (or a crash half-way) does not bring anything back.
box_stop
sed -i 's/Stop:/stopped/' "$T_DIR/box.out" 2>/dev/null
box_start || t_done
login again admin "$ADMIN_PW"
expect_match "after a restart, login is still refused" "$STATUS $BODY" '^403 .*school_terminated'
[ -e "$BOX_DATA/auth/data.mdb" ] && [ -n "$(grep -aF "$STUDENT_NAME" "$BOX_DATA/auth/data.mdb")" ] &&
    not_ok "a restart recreates no account" || ok "a restart recreates no account"
t_done
