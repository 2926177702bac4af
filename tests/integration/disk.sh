#!/bin/sh
# The data partition filling (docs/operations.md, "Disk space"): a box on
# a 1 GiB loop-mounted ext4 that the test fills with fallocate. At 85 % the
# admins see "warn" (status, /me, /metrics) and writes go on; at 96 % new
# classroom writes are refused with 507 storage_full, while logins and
# reads go on and are logged (the chains verify, with more entries than
# before); freed space lifts the refusal. Needs root (mount).
. "$(dirname "$0")/../lib.sh"

IMG=$T_DIR/disk.img
MNT=$T_DIR/data
if [ "$(id -u)" != 0 ]; then not_ok "disk.sh needs root (loop mount)"; t_done; fi
truncate -s 1G "$IMG" && mkfs.ext4 -q -F "$IMG" && mkdir -p "$MNT" &&
    mount -o loop "$IMG" "$MNT" || { not_ok "a 1 GiB loop ext4 is mounted"; t_done; }
cleanup() { box_stop; umount "$MNT" 2>/dev/null; rm -f "$IMG"; }
BOX_DATA=$MNT
box_start || { cleanup; t_done; }
trap cleanup EXIT
for _ in $(seq 1 100); do [ -s "$BOX_CA" ] && break; sleep 0.1; done
admin_setup
api admin PUT /api/v1/school '{"name":"桜丘高等学校","year":2026,"state":"active"}'
new_user t.sato '{"id":"t.sato","name":"佐藤 先生","role":"teacher"}'
activate teacher t.sato

# fill_to PCT: fallocate the share of the partition up to PCT % used.
fill_to() {
	set -- "$1" $(df -B1 --output=size,avail "$MNT" | tail -1)
	need=$(( $2 * $1 / 100 - ($2 - $3) ))
	[ "$need" -gt 0 ] && fallocate -l "$need" "$MNT/fill.$1"
	sleep 2.2	# DISK_CHECK_MS
}
status_disk() { curl -sS --cacert "$BOX_CA" "$BOX_URL/api/v1/status" | python3 -c 'import json,sys; d=json.load(sys.stdin)["disk"]; print(d["level"], d["used_percent"])'; }
metric() { curl -sS --cacert "$BOX_CA" "$BOX_URL/metrics" | sed -n "s/^$1 //p"; }
entries() { "$CLASSBOX" audit verify --dir "$MNT/audit" 2>&1 | sed -n "s/^$1 log: \([0-9,]*\) entries.*/\1/p" | tr -d ,; }

expect_match "an empty disk is ok" "$(status_disk)" '^ok '
fill_to 85
expect_match "at 85 % the status says warn" "$(status_disk)" '^warn 8[5-9]$'
api admin GET /api/v1/me
expect_match "the admins' /me carries the banner" "$BODY" '"disk":\{"level":"warn","used_percent":8[5-9]'
api teacher GET /api/v1/me
if printf '%s' "$BODY" | grep -q '"disk"'; then not_ok "a teacher's /me has no disk banner"
else ok "a teacher's /me has no disk banner"; fi
expect_eq "/metrics has the level" "$(metric classbox_disk_level)" 1
api admin POST /api/v1/classes '{"year":2026,"code":"1-1","name":"1年1組","kind":"homeroom"}'
expect_eq "writes go on at warn" "$STATUS" 201

fill_to 96
expect_match "at 96 % the status says full" "$(status_disk)" '^full 9[6-9]$'
expect_eq "/metrics says full" "$(metric classbox_disk_level)" 3
OPS0=$(entries ops); LOGIN0=$(entries login)
api admin POST /api/v1/classes '{"year":2026,"code":"1-2","name":"1年2組","kind":"homeroom"}'
expect_match "a new class is refused with a clear error" "$STATUS $BODY" '^507 .*storage_full.*nothing was saved'
api teacher POST /api/v1/announcements '{"class_id":"class:2026:1-1","title":"x","body":"y"}'
expect_match "so is a teacher's announcement" "$STATUS $BODY" '^507 .*storage_full'
login t2 t.sato "$NEWPW"
expect_eq "logins go on" "$STATUS" 200
api admin GET "/api/v1/classes/class:2026:1-1/members"
expect_eq "reads of personal data go on" "$STATUS" 200
api admin POST /api/v1/notices '{"kind":"incident","severity":"critical","message_ja":"保存領域がいっぱいです"}'
expect_match "an admin can still raise an incident banner" "$STATUS" '^20[01]$'
OPS1=$(entries ops); LOGIN1=$(entries login)
expect_eq "the refusals and reads are in the operation log (none dropped)" \
    "$([ "${OPS1:-0}" -ge $((OPS0 + 4)) ] && echo yes || echo "no: $OPS0 -> $OPS1")" yes
expect_eq "the login is in the login log" \
    "$([ "${LOGIN1:-0}" -gt "${LOGIN0:-0}" ] && echo yes || echo "no: $LOGIN0 -> $LOGIN1")" yes
check "both chains verify" "$CLASSBOX" audit verify --dir "$MNT/audit"
expect_match "web raised the alarm in its log" "$(cat "$BOX_LOG")" 'ALARM: the data partition is 9[6-9]% full \(full\)'

rm -f "$MNT"/fill.*
sleep 2.2
expect_match "space freed: ok again" "$(status_disk)" '^ok '
api admin POST /api/v1/classes '{"year":2026,"code":"1-2","name":"1年2組","kind":"homeroom"}'
expect_eq "and writes are accepted again" "$STATUS" 201
cleanup
trap - EXIT
t_done
