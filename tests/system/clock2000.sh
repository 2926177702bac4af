#!/bin/sh
# tests/system/clock2000.sh (issue 5, item 4): a box whose RTC battery died.
# Boot 1 with the host's time: log in, so that both logs and the persisted
# floor carry 2026. Boot 2 with the clock at 2000-01-01 (QEMU -rtc
# base=2000-01-01, no NTP reachable, after a power cut so that rcK saved no
# shutdown time for rcS to step to: the kernel clock is in 2000, yet the box
# serves HTTPS, says its time is unsynced (status API), shows a time not
# before boot 1's, and the new login log entries are not older than those
# of boot 1 (classbox's persisted floor), marked unsynced.
#
# Environment: as tests/system/boot.sh.
set -u
work=$(cd "$(dirname "$0")/../.." && pwd)/build/test/system-clock2000
# shellcheck source=tests/system/qemu-lib
. "$(dirname "$0")/qemu-lib"

json_num() { printf '%s' "$BODY" | sed -n "s/.*\"$1\":\\([0-9]*\\).*/\\1/p" | head -1; }

boot 1
if wait_https; then ok "booted to HTTPS in $(elapsed "$t0") s"
else not_ok "booted to HTTPS within $timeout_s s (console: $work/console1.log)"; tail -20 "$work/console1.log"; fi
initial=$(console_initial_password)
newpw="Denchi-$$-$(date +%s)"
login adm admin "$initial"
api adm POST /api/v1/password "{\"old_password\":\"$initial\",\"new_password\":\"$newpw\"}"
check "admin changed the initial password (204; got $STATUS)" [ "$STATUS" = 204 ]
login adm admin "$newpw"
api adm GET "/api/v1/audit/login?limit=1"
t1=$(json_num time_ms)
check "boot 1 logged the login at the host's time (got $t1)" [ "${t1:-0}" -gt 1700000000000 ]
# The plug, not poweroff: rcK never saves /data/clock.floor, so rcS cannot
# step the clock forward at the next boot and the kernel stays in 2000;
# only classbox's own floors (one per log, written on the first stamp) and
# the logs' chain heads keep time from going back.
pull_plug

boot 2 -- -rtc base=2000-01-01
if wait_https; then ok "with the clock at 2000-01-01 the box still serves HTTPS ($(elapsed "$t0") s)"
else not_ok "booted to HTTPS at 2000-01-01 within $timeout_s s (console: $work/console2.log)"; tail -20 "$work/console2.log"; fi
say ""; sleep 0.3; say "echo rtc=\$(cat /sys/class/rtc/rtc0/date) kernel=\$(date -u +%Y)"; sleep 1.5
tr -d '\r' <"$work/console2.log" >"$work/console2.txt"
check "the RTC really says 2000-01-01" grep -q '^rtc=2000-01-01 ' "$work/console2.txt"
check "and so does the kernel clock (no shutdown floor to step to)" \
	grep -q '^rtc=2000-01-01 kernel=2000$' "$work/console2.txt"
api pub GET /api/v1/status
check "the status says the time is unsynced" [ "$(printf '%s' "$BODY" | sed -n 's/.*"time":{"state":"\([a-z]*\)".*/\1/p')" = unsynced ]
now=$(json_num now_ms)
check "and its time is boot 1's floor, not the RTC's 2000 (got $now)" [ "${now:-0}" -gt 1700000000000 ]
login adm admin "$newpw"
check "the admin logs in (200; got $STATUS)" [ "$STATUS" = 200 ]
api adm GET "/api/v1/audit/login?limit=1"
t2=$(json_num time_ms)
check "the new login entry is not older than boot 1's ($t2 >= $t1)" [ "${t2:-0}" -ge "${t1:-1}" ]
check "and it says its time is unsynced" [ "$(json_str time_state)" = unsynced ]
poweroff || not_ok "powered off cleanly"
t_done
