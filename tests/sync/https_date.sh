#!/bin/sh
# tests/sync/https_date.sh (issue 9, item 4): the cloud's authenticated
# HTTPS Date header as the time source of last resort (docs/sync.md "Time
# from the cloud"). This host's adjtimex says unsynced (no NTP): sync
# --once WITHOUT --allow-unsynced-clock asks the cloud for the time over
# TLS verified against the enrolled CA, records it (DATA/sync/https-date),
# and syncs; `classbox status` and web's /status say "https-date" with an
# error bound of a few seconds. A floor an hour ahead of real time (a
# clock known wrong) is never moved back: sync refuses, the state stays
# unsynced. auth's login log entries say "https-date" too, as web's
# operation log entries do. A floor 40 days ahead makes the 30-day rig certificate
# expired: certificates are judged at max(clock, floor).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/sync/rig.sh"

rig_start
rig_box_start || t_done
box_enroll "$ENROLL" || { not_ok "enroll: $(cat "$RIG/enroll.out")"; t_done; }
"$T_TOOLS/storetool" seed "$BOX_DATA" 3 local >/dev/null
HINT=$BOX_DATA/sync/https-date

expect_eq "precondition: this host's kernel clock is unsynced (adjtimex)" \
    "$(box_status_get time.state)" unsynced

# sync_plain: --once without --allow-unsynced-clock
sync_plain() {
	timeout 120 "$CLASSBOX" sync --data "$BOX_DATA" --once \
	    >"$RIG/sync.out" 2>"$RIG/sync.err"
}

if sync_plain; then ok "sync --once passes on an unsynced clock, by the cloud's Date"
else not_ok "sync --once passes on an unsynced clock ($(cat "$RIG/sync.err"))"; fi
expect_match "sync logs the time source and its bound" "$(cat "$RIG/sync.err")" \
    "Date header \(https-date\): the kernel clock is [-+][0-9]+ ms from it, error bound [0-9]+ ms"
if [ -f "$HINT" ]; then ok "the estimate is kept in DATA/sync/https-date"
else not_ok "the estimate is kept in DATA/sync/https-date"; fi
expect_eq "the estimate file is world-readable, no secret in it" \
    "$(stat -c %a "$HINT" 2>/dev/null)" 644
expect_eq "status: sync ok" "$(box_status_get sync.state)" ok
expect_eq "status: time.state=https-date" "$(box_status_get time.state)" https-date
e=$(box_status_get time.error_ms)
if [ -n "$e" ] && [ "$e" -ge 2000 ] && [ "$e" -le 10000 ]; then
	ok "status: error bound of a few seconds ($e ms)"
else
	not_ok "status: error bound of a few seconds (got '$e')"
fi
# web re-reads the hint within 10 s; its /status says so too.
st=
for _ in $(seq 1 30); do
	st=$(curl -s --cacert "$BOX_CA" "$BOX_URL/api/v1/status" | jq -r '.time.state // empty')
	[ "$st" = https-date ] && break
	sleep 0.5
done
expect_eq "web's /api/v1/status: time state https-date" "$st" https-date

# auth's login log says so too (issue 5): auth re-reads the same hint
# (every 10 s), so a login from now on is stamped https-date, like web's
# operation log entry for the read of the log.
sleep 11
admin_setup
expect_eq "a login while the clock is vouched by the cloud" "$STATUS" 204
api admin GET "/api/v1/audit/login?user=admin&action=login&limit=1"
expect_eq "the login log has that first login" \
    "$(printf '%s' "$BODY" | jq -r '.items[0].result')" ok_must_change
expect_eq "... stamped with time state https-date" \
    "$(printf '%s' "$BODY" | jq -r '.items[0].time_state')" https-date
api admin GET "/api/v1/audit/login?user=admin&action=password_change&limit=1"
expect_eq "... and so is the password change after it" \
    "$(printf '%s' "$BODY" | jq -r '.items[0].time_state')" https-date
api admin GET "/api/v1/audit/ops?limit=1"
expect_eq "... as the operation log's newest entry is" \
    "$(printf '%s' "$BODY" | jq -r '.items[0].time_state')" https-date

# A floor an hour ahead: the clock is known wrong, stamps stay on the
# floor and never go back; the cloud's Date disagrees with it.
box_stop
now_ms=$(($(date +%s) * 1000))
FLOOR=$BOX_DATA/audit/ops/clock.floor
cp -p "$FLOOR" "$RIG/floor.saved" 2>/dev/null
printf 'classbox-clock 1\nfloor %s\nsynced 0 0\n' $((now_ms + 3600000)) >"$FLOOR"
if sync_plain; then not_ok "floor an hour ahead: sync refuses"
else ok "floor an hour ahead: sync refuses"; fi
expect_match "floor an hour ahead: it says why" "$(cat "$RIG/sync.err")" \
    "further from the cloud's authenticated time"
expect_eq "floor an hour ahead: status waiting_clock" \
    "$(box_status_get sync.state)" waiting_clock
expect_eq "floor an hour ahead: time.state stays unsynced" \
    "$(box_status_get time.state)" unsynced
t=$("$CLASSBOX" status --data "$BOX_DATA" | sed -n 's/^time.now=//p')
expect_match "floor an hour ahead: time.now is the floor (never back)" "$t" \
    "$(date -u -d "@$((now_ms / 1000 + 3600))" +%Y-%m-%dT%H)"

# A floor 40 days ahead: the rig's server certificate (30 days) is
# judged at the floor, so it is expired, though the kernel clock is in
# its validity period.
printf 'classbox-clock 1\nfloor %s\nsynced 0 0\n' \
    $((now_ms + 40 * 86400000)) >"$FLOOR"
if sync_plain; then not_ok "floor 40 days ahead: sync refuses"
else ok "floor 40 days ahead: sync refuses"; fi
expect_match "floor 40 days ahead: the certificate is expired at the floor" \
    "$(cat "$RIG/sync.err")" "expired"
t_done
