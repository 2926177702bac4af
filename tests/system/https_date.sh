#!/bin/sh
# tests/system/https_date.sh: the cloud's authenticated HTTPS Date header
# sets the clock of a box whose RTC died while NTP is blocked (issue
# "Campus LAN integration" item 4; docs/sync.md "Time from the cloud").
# The sync rig (tests/sync/rig.sh) runs on the host as in sync.sh; the box
# follows the NTP server 10.0.2.2, where nothing answers (NTP blocked), and
# sets CLASSBOX_NTP_HTTPS_DATE_AFTER_S to HTTPS_DATE_AFTER_S (the product
# waits 300 s).
#   1. Boot 1 with the host's time: enrolled, sync confirms the clock from
#      the cloud (https-date) and runs; the floors carry today.
#   2. The plug is pulled (rcK saves no shutdown time); boot 2 with the RTC
#      at 2000-01-01. sync reads the cloud's time over TLS judged at the
#      floor, but the kernel clock is 26 years off: it waits. Once NTP has
#      been silent for the threshold, ntpd's run script (root) steps the
#      clock to sync's estimate: /api/v1/status says https-date, its time is
#      within the error bound of the host's, sync runs, the log says so, and
#      the box does not serve NTP to the LAN on a https-date clock.
#   3. `classbox time --https-date` refuses, and leaves the clock alone, for
#      a hint from another boot, one too rough, one behind the floor, one
#      too far ahead, and one outside its age limit.
# Environment: as sync.sh; HTTPS_DATE_WAIT seconds for the step (default 120).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/sync/rig.sh"
top=$TOP
BOOT_TIMEOUT=${BOOT_TIMEOUT:-90}
SYNC_WAIT=${SYNC_WAIT:-60}
HTTPS_DATE_WAIT=${HTTPS_DATE_WAIT:-120}
HTTPS_DATE_AFTER_S=20	# NTP silent this long before the cloud's time is used
HINT_MAX_AGE_S=300	# CLOCK_STEP_HINT_MAX_AGE_MS
rig_start_for_guest	# the enrollment reaches the box on a raw disk

# shellcheck source=tests/system/qemu-lib
. "$TOP/tests/system/qemu-lib"
trap 'cleanup; rig_stop' EXIT
trap 'exit 130' INT TERM

host_ms() { date +%s%3N; }
time_field() {	# KEY of /api/v1/status's time (public)
	api pub GET /api/v1/status
	printf '%s' "$BODY" | jq -r ".time.$1"
}
# run_on_box TAG CMD [SECONDS]: CMD on the console, its output in $OUT
run_on_box() {
	console_run "$1" "$2"
	console_wait "$1" "${3:-10}"
	sleep 0.5
	OUT=$(console_out "$1")
}

# ---- 1. boot 1 with the host's time ------------------------------------
boot 1
if wait_https; then ok "boot 1 with the host's time: HTTPS in $(elapsed "$t0") s"
else not_ok "booted to HTTPS within $timeout_s s (console: $work/console1.log)"; tail -20 "$work/console1.log"; exit 1; fi
initial=$(console_initial_password)
newpw=date-test-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
login adm admin "$initial"
api adm POST /api/v1/password "{\"old_password\":\"$initial\",\"new_password\":\"$newpw\"}"
check "admin changed the initial password (204; got $STATUS)" [ "$STATUS" = 204 ]
login adm admin "$newpw"
console_shell
run_on_box E1 "head -c $ENROLL_SIZE /dev/vdb >/tmp/enroll.json && classbox enroll /tmp/enroll.json --data /data/classbox >/dev/null; rm -f /tmp/enroll.json; printf 'CLASSBOX_NTP_SERVERS=10.0.2.2\nCLASSBOX_NTP_HTTPS_DATE_AFTER_S=$HTTPS_DATE_AFTER_S\n' >>/etc/classbox.conf && sv restart ntpd >/dev/null && echo configured" 20
check "enrolled; NTP only from 10.0.2.2, where nothing answers (got '$OUT')" [ "$OUT" = configured ]
if guest_wait_sync ok; then ok "boot 1: sync confirms the clock from the cloud and runs"
else not_ok "boot 1: sync runs within $SYNC_WAIT s (got $(guest_sync_field state))"; fi
check "boot 1: the time quality is https-date (got $(time_field state))" [ "$(time_field state)" = https-date ]
# The operation log's floor (web's) is written at most once a minute: wait
# for one that carries this boot's time, then pull the plug.
sleep 2
run_on_box F1 "sed -n 's/^floor //p' /data/classbox/audit/ops/clock.floor"
floor1=$OUT
check "boot 1's floor carries today ($floor1)" [ "${floor1:-0}" -gt $(($(host_ms) - 600000)) ]
pull_plug

# ---- 2. boot 2: dead RTC, NTP blocked -------------------------------------
boot 2 -- -rtc base=2000-01-01
if wait_https; then ok "boot 2 with the RTC at 2000-01-01: HTTPS in $(elapsed "$t0") s"
else not_ok "booted to HTTPS within $timeout_s s (console: $work/console2.log)"; tail -20 "$work/console2.log"; exit 1; fi
console_shell
run_on_box R0 "cat /sys/class/rtc/rtc0/date"
check "the RTC really says 2000-01-01 (got '$OUT')" [ "$OUT" = 2000-01-01 ]
login adm admin "$newpw"
t1=$(now)
s=
while [ "$(elapsed "$t1" | cut -d. -f1)" -lt "$HTTPS_DATE_WAIT" ]; do
	s=$(time_field state)
	[ "$s" = https-date ] && break
	sleep 1
done
check "the clock is set from the cloud: /api/v1/status says https-date after $(elapsed "$t1") s (got $s)" [ "$s" = https-date ]
a=$(host_ms)
api pub GET /api/v1/status
b=$(host_ms)
box=$(printf '%s' "$BODY" | jq -r .time.now_ms)
err=$(printf '%s' "$BODY" | jq -r .time.error_ms)
off=$((box - (a + b) / 2)); [ "$off" -lt 0 ] && off=$((-off))
check "its time is within its error bound of the host's ($off ms off, bound $err ms, the request took $((b - a)) ms)" \
	[ "$off" -le $((${err:-0} + (b - a) / 2)) -a "${err:-99999}" -le 5000 ]
# Sessions count their age by the wall clock: the one opened at 2000 ended
# with the step 26 years forward.
login adm admin "$newpw"
check "the admin logs in again after the step (200; got $STATUS)" [ "$STATUS" = 200 ]
if guest_wait_sync ok; then ok "sync runs on the https-date clock"
else not_ok "sync runs on the https-date clock within $SYNC_WAIT s (got $(guest_sync_field state))"; fi
run_on_box L1 "grep -h 'https-date' /data/log/messages | grep -c 'stepped the clock by +'; date -u +%Y; classbox time --dir /data/classbox/audit | sed -n 's/^state: //p; s/^kernel clock: [^(]*(\\([^,]*\\),.*/\\1/p'"
set -- $OUT
check "the log says the clock was stepped forward from the cloud's time, once ($1 notice)" [ "${1:-0}" = 1 ]
check "the kernel clock is in $(date -u +%Y) now (got ${2:-?})" [ "${2:-}" = "$(date -u +%Y)" ]
check "classbox time: state https-date, the kernel not synchronised (got '$3 ${4:-} ${5:-}')" \
	[ "$3 ${4:-} ${5:-}" = "https-date not synchronised" ]
a=$(ntp_query "$ntp")
check "a https-date clock is not served to the LAN (NTP answer: '${a:-nothing}')" [ -z "$a" ]

# ---- 3. refusals: the clock stays where it is ------------------------------
# hint AT_MS EST_MS ERROR_MS [BOOT_ID]: a hint file /tmp/h, then one try;
# prints the answer, "rc=N" and how far the clock moved (s).
MK='h() { b=${4:-$(cat /proc/sys/kernel/random/boot_id)}; printf "classbox-https-date 1\nboot %s\nat %s\nestimate %s\nerror %s\n" $b $1 $2 $3 >/tmp/h; t=$(date +%s); classbox time --https-date --hint /tmp/h; echo "rc=$? moved=$(($(date +%s) - t))"; }; up=$(($(cut -d. -f1 /proc/uptime) * 1000)); now=$(($(date +%s) * 1000))'
refused() {	# TAG WHAT EXPECTED-TEXT HINT-ARGS
	run_on_box "$1" "$MK; h $4"
	case $OUT in
	*"$3"*"rc=4 moved=0") ok "refused, clock unmoved: $2 ($(echo "$OUT" | head -1))" ;;
	*"$3"*"rc=4 moved="[01]) ok "refused, clock unmoved: $2 ($(echo "$OUT" | head -1))" ;;
	*) not_ok "refused, clock unmoved: $2 (got '$OUT')" ;;
	esac
}
refused X1 "a hint from another boot" "from an earlier boot" \
	'$up $((now + 86400000)) 2000 00000000-0000-0000-0000-000000000000'
refused X2 "a hint too rough (error bound 6 s)" "too rough" '$up $((now + 86400000)) 6000'
refused X3 "a hint an hour behind the floor" "already handed out" '$up $((now - 3600000)) 2000'
refused X4 "a hint 500 days ahead" "days ahead" '$up $((now + 500 * 86400000)) 2000'
# Stale: a hint whose age on this boot's clock is outside 0..${HINT_MAX_AGE_S} s
# (clock_step_judge refuses both sides alike). One from 10 minutes in this
# boot's future shows the command reads that clock; a hint older than the
# limit is the same comparison's other side, checked to the millisecond in
# tests/unit/test_httpdate.c, so this test need not wait out 5 minutes.
refused X5 "a hint outside its ${HINT_MAX_AGE_S} s age limit on this boot's clock" "too old" \
	'$((up + 600000)) $((now + 86400000)) 2000'
check "the clock is still https-date after the refusals (got $(time_field state))" [ "$(time_field state)" = https-date ]

poweroff || not_ok "powered off cleanly"
t_done
