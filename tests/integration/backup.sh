#!/bin/sh
# Backups (docs/backup.md): a running box with users, a class and
# attendance; `classbox backup create` while it runs; verify, list, 15
# generations keep 14; restore --dry-run; a refused restore while running;
# restore into a copy of the data directory and a box started on it has the
# data. Bad input: a full target (small tmpfs, needs root), a truncated
# file, a flipped byte, a file of another box (other keys).
. "$(dirname "$0")/../lib.sh"

# The TLS certificate can appear a moment after the box says it started
# (slow under the sanitizers).
wait_cert() {
	for _ in $(seq 1 100); do [ -s "$BOX_CA" ] && break; sleep 0.1; done
}
box_start || t_done
wait_cert
admin_setup
TODAY=$(TZ=Asia/Tokyo date +%F)
new_user t.sato '{"id":"t.sato","name":"佐藤 先生","role":"teacher"}'
for i in 1 2 3; do
	new_user "s202600$i" "{\"id\":\"s202600$i\",\"name\":\"生徒 $i\",\"role\":\"student\"}"
done
api admin POST /api/v1/classes '{"year":2026,"code":"2-3","name":"2年3組","kind":"homeroom"}'
expect_eq "a class is created" "$STATUS" 201
C=class:2026:2-3
api admin POST "/api/v1/classes/$C/members" '{"user_id":"t.sato","role":"teacher"}'
for i in 1 2 3; do
	api admin POST "/api/v1/classes/$C/members" "{\"user_id\":\"s202600$i\",\"role\":\"student\"}"
done
activate teacher t.sato
api teacher POST /api/v1/attendance "{\"class_id\":\"$C\",\"date\":\"$TODAY\",\"period\":1,\"entries\":[{\"student_id\":\"s2026001\",\"status\":\"present\"},{\"student_id\":\"s2026002\",\"status\":\"absent\"},{\"student_id\":\"s2026003\",\"status\":\"late\"}]}"
expect_eq "attendance is taken" "$STATUS" 200
# Audit logs, in case the box does not write them yet.
for log in login ops; do
	[ -f "$BOX_DATA/audit/$log/data.mdb" ] ||
	    "$CLASSBOX" audit append-test --dir "$BOX_DATA/audit" --log $log 7 \
	    >>"$T_DIR/check.log" 2>&1
done

TARGET=$T_DIR/backups
mkdir -p "$TARGET"
t0=$(date +%s.%N)
out=$("$CLASSBOX" backup create --data "$BOX_DATA" --to "$TARGET" 2>&1); rc=$?
t1=$(date +%s.%N)
echo "$out" >>"$T_DIR/check.log"
expect_eq "backup create while the box runs exits 0" "$rc" 0
expect_match "the store copy is verified document by document" "$out" 'verify: store .* ok: [1-9][0-9]* documents'
expect_match "the accounts copy decodes" "$out" 'verify: auth .* ok: 5 accounts decoded'
expect_match "the ops log chain verifies" "$out" 'verify: audit/ops .* ok: [0-9]+ entries, chain intact'
expect_match "the login log chain verifies" "$out" 'verify: audit/login .* ok: [0-9]+ entries, chain intact'
F1=$(ls "$TARGET"/classbox-*.cbbak | head -1)
echo "# one generation: $(stat -c %s "$F1") bytes in $(echo "$t1 - $t0" | bc) s"
expect_eq "no temporary file is left" "$(ls -A "$TARGET" | grep -c '^\.tmp-')" 0
check "the generation verifies" "$CLASSBOX" backup verify "$F1" --data "$BOX_DATA"
if grep -aq '山田\|生徒 1\|t.sato' "$F1"; then not_ok "the file is encrypted"
else ok "the file is encrypted (no names, no ids in clear)"; fi
out=$("$CLASSBOX" backup list --to "$TARGET" 2>&1)
expect_match "list shows the generation, verified" "$out" 'classbox-.*\.cbbak +[0-9]+ .* yes$'

# The status file for the web UI (DATA/backup/status.json, 0644): the run,
# the generation, no secret. The web side: tests/ui/admin_ops.mjs.
ST=$BOX_DATA/backup/status.json
expect_eq "the status file is readable by others (web)" \
    "$(stat -c %a "$ST" 2>/dev/null)" 644
expect_eq "the status file records the run ok at stage done" \
    "$(jq -r '"\(.run.ok) \(.run.stage) \(.generations | length) \(.generations[0].verified)"' "$ST")" \
    "true done 1 true"
expect_eq "the status file names the generation" \
    "$(jq -r '.generations[0].name' "$ST")" "$(basename "$F1")"
check "refuse a bad --daily-at" \
    sh -c "! '$CLASSBOX' backup create --data '$BOX_DATA' --to '$TARGET' --daily-at 25:00"

check "refuse a target inside the data directory" \
    sh -c "! '$CLASSBOX' backup create --data '$BOX_DATA' --to '$BOX_DATA'"
check "refuse a missing target (USB stick not mounted)" \
    sh -c "! '$CLASSBOX' backup create --data '$BOX_DATA' --to '$T_DIR/nostick'"
expect_eq "a failed run is recorded with where it stopped" \
    "$(jq -r '"\(.run.ok) \(.run.stage)"' "$ST")" "false target"

# 15 generations, keep 14.
i=2
while [ $i -le 15 ]; do
	"$CLASSBOX" backup create --data "$BOX_DATA" --to "$TARGET" --keep 14 \
	    --daily-at 02:30 >>"$T_DIR/check.log" 2>&1 || not_ok "generation $i"
	i=$((i + 1))
done
expect_eq "15 generations with --keep 14 leave 14" \
    "$(ls "$TARGET" | grep -c '\.cbbak$')" 14
expect_eq "each one has its verified marker" \
    "$(ls "$TARGET" | grep -c '\.cbbak\.verified$')" 14
if [ -e "$F1" ]; then not_ok "the oldest generation was dropped"
else ok "the oldest generation was dropped"; fi
expect_eq "the status file lists 14, the schedule and a next run ahead" \
    "$(jq -r --argjson now "$(($(date +%s) * 1000))" '"\(.generations | length) \(.daily_at) \(.next_ms > $now and .next_ms < $now + 86400000)"' "$ST")" \
    "14 02:30 true"
LATEST=$(ls "$TARGET"/classbox-*.cbbak | tail -1)

out=$("$CLASSBOX" backup restore "$LATEST" --data "$BOX_DATA" --dry-run 2>&1); rc=$?
expect_eq "restore --dry-run exits 0" "$rc" 0
expect_match "the dry run says what it would replace" "$out" 'store +would replace .*data.mdb'
out=$("$CLASSBOX" backup restore "$LATEST" --data "$BOX_DATA" 2>&1); rc=$?
expect_match "a real restore is refused while the box runs" "$rc:$out" '^1:.*services are running'

# Bad input: corrupt files.
head -c $(( $(stat -c %s "$LATEST") - 100 )) "$LATEST" >"$T_DIR/cut.cbbak"
out=$("$CLASSBOX" backup verify "$T_DIR/cut.cbbak" --data "$BOX_DATA" 2>&1); rc=$?
expect_match "verify refuses a truncated file, saying so" "$rc:$out" '^1:.*truncated'
cp "$LATEST" "$T_DIR/flip.cbbak"
printf '\377' | dd of="$T_DIR/flip.cbbak" bs=1 seek=5000 conv=notrunc 2>/dev/null
out=$("$CLASSBOX" backup verify "$T_DIR/flip.cbbak" --data "$BOX_DATA" 2>&1); rc=$?
expect_match "verify refuses a flipped byte" "$rc:$out" '^1:.*(altered|does not decrypt)'
out=$("$CLASSBOX" backup restore "$T_DIR/flip.cbbak" --data "$BOX_DATA" --dry-run 2>&1); rc=$?
expect_match "restore refuses it too" "$rc:$out" '^1:.*does not verify'
mkdir -p "$T_DIR/other/keys"
head -c 32 /dev/urandom >"$T_DIR/other/keys/kek"; chmod 600 "$T_DIR/other/keys/kek"
out=$("$CLASSBOX" backup verify "$LATEST" --data "$T_DIR/other" 2>&1); rc=$?
expect_match "another box's keys open nothing" "$rc:$out" '^1:.*(does not open|key)'

# A full target: a 1 MiB tmpfs (root only).
if [ "$(id -u)" = 0 ] && mkdir -p "$T_DIR/small" &&
    mount -t tmpfs -o size=1m tmpfs "$T_DIR/small" 2>>"$T_DIR/check.log"; then
	"$CLASSBOX" backup create --data "$BOX_DATA" --to "$T_DIR/small" \
	    >>"$T_DIR/check.log" 2>&1
	before=$(ls "$T_DIR/small" | grep -c '\.cbbak$')
	dd if=/dev/zero of="$T_DIR/small/filler" bs=4k 2>/dev/null	# to the last block
	out=$("$CLASSBOX" backup create --data "$BOX_DATA" --to "$T_DIR/small" 2>&1); rc=$?
	expect_match "a full target: a clear error" "$rc:$out" '^1:.*target is full'
	expect_eq "the previous generation is intact" \
	    "$(ls "$T_DIR/small" | grep -c '\.cbbak$')" "$before"
	expect_eq "no partial file is left" "$(ls -A "$T_DIR/small" | grep -c '^\.tmp-')" 0
	check "the previous generation still verifies" "$CLASSBOX" backup verify \
	    "$(ls "$T_DIR/small"/*.cbbak | head -1)" --data "$BOX_DATA"
	umount "$T_DIR/small"
else
	echo "# skipped the full-disk case (needs root and tmpfs)"
fi

# Restore into a copy of the data directory, start a box on it.
box_stop
sleep 0.5
rm -rf "$T_DIR/copy"
cp -a "$BOX_DATA" "$T_DIR/copy"
# Make the copy differ from the backup: empty store and accounts.
rm -f "$T_DIR/copy/store/"*.mdb "$T_DIR/copy/auth/"*.mdb
out=$("$CLASSBOX" backup restore "$LATEST" --data "$T_DIR/copy" 2>&1); rc=$?
echo "$out" >>"$T_DIR/check.log"
expect_eq "restore into the stopped copy exits 0" "$rc" 0
out=$("$CLASSBOX" backup restore "$LATEST" --data "$T_DIR/copy" 2>&1); rc=$?
expect_eq "a second restore works too" "$rc" 0
expect_eq "and the replaced files are kept aside" \
    "$(ls "$T_DIR/copy/store" | grep -c 'data.mdb.pre-restore-')" 1
BOX_DATA=$T_DIR/copy
box_start || t_done
wait_cert
login admin admin "$ADMIN_PW"
expect_eq "the admin logs in with the password of before the backup" "$STATUS" 200
api admin GET "/api/v1/classes/$C"
expect_eq "the class is back" "$STATUS" 200
login teacher t.sato "$NEWPW"
api teacher GET "/api/v1/attendance?class=$C&date=$TODAY&limit=100"
expect_eq "the attendance is back" "$(count_items)" 3
t_done
