#!/bin/sh
# tests/system/sync.sh: cloud sync inside the firmware image, end to end.
# The image boots under QEMU (user networking not restricted, so the box
# reaches the host's loopback as 10.0.2.2); the sync rig (tests/sync/rig.sh:
# PouchDB Server behind nginx with mutual TLS 1.3, through the fault proxy)
# runs on the host with a server certificate whose SAN includes 10.0.2.2,
# and the enrollment file names https://10.0.2.2:PORT. The file reaches the
# box on a second virtual disk (read-only, raw: the file padded to 512
# bytes); `classbox enroll` is typed on the console.
#   1. Enrolled, with the kernel clock unsynced (no NTP here), sync
#      confirms the time from the cloud's verified Date header and runs:
#      /api/v1/status/sync says ok, the time quality is https-date.
#   2. With no restart and no override, the daemon carries both ways:
#      a document written in PouchDB (curl) is served by the
#      box's HTTPS API, one written through the API is in PouchDB, the
#      audit logs reached the audit database, /api/v1/status/sync says ok;
#      a document written on the box afterwards reaches PouchDB without
#      any help (the daemon).
#   3. Privileges: sync runs as sync (uid 60003) with web's group and
#      auth's as a supplementary one; web cannot read the enrollment; auth's
#      directory stays 0700.
# Builds the image first if it is missing. Environment: as boot.sh;
# SYNC_WAIT seconds for each sync to show (default 60).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/sync/rig.sh"
top=$TOP
BOOT_TIMEOUT=${BOOT_TIMEOUT:-90}
SYNC_WAIT=${SYNC_WAIT:-60}
rig_start_for_guest	# the enrollment reaches the box on a raw disk

# shellcheck source=tests/system/qemu-lib
. "$TOP/tests/system/qemu-lib"
trap 'cleanup; rig_stop' EXIT
trap 'exit 130' INT TERM

# wait_cloud_doc ID: until PouchDB has the document (SYNC_WAIT)
wait_cloud_doc() {
	_t=$(now)
	while [ "$(elapsed "$_t" | cut -d. -f1)" -lt "$SYNC_WAIT" ]; do
		cloud GET "/$SCHOOL_DB/$1"
		[ "$STATUS" = 200 ] && return 0
		sleep 1
	done
	return 1
}

boot 1
if wait_https; then ok "booted to HTTPS in $(elapsed "$t0") s"
else not_ok "booted to HTTPS within $timeout_s s (console: $work/console1.log)"; tail -20 "$work/console1.log"; exit 1; fi
initial=$(console_initial_password)
newpw=sync-test-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
login adm admin "$initial"
api adm POST /api/v1/password "{\"old_password\":\"$initial\",\"new_password\":\"$newpw\"}"
check "admin changed the initial password (204; got $STATUS)" [ "$STATUS" = 204 ]
login adm admin "$newpw"
check "admin logs in (200; got $STATUS)" [ "$STATUS" = 200 ]
s=$(guest_sync_field state)
# (sync runs and waits for an enrollment: not_enrolled; not_running until
# it has written its status file)
check "before enrollment /api/v1/status/sync says so (got $s)" \
	sh -c '[ "$1" = not_running ] || [ "$1" = not_enrolled ]' - "$s"

# ---- enrollment, on the console ------------------------------------------
console_shell
console_run E1 "head -c $ENROLL_SIZE /dev/vdb >/tmp/enroll.json && classbox enroll /tmp/enroll.json --data /data/classbox; rm -f /tmp/enroll.json"
console_wait E1 20
out=$(console_out E1)
case $out in
"enrolled: cloud 10.0.2.2 port $FP_PORT, school database $SCHOOL_DB, audit database $AUDIT_DB")
	ok "classbox enroll on the box accepts the file: $out" ;;
*) not_ok "classbox enroll on the box accepts the file (got '$out')" ;;
esac

# ---- 1. no NTP: the cloud's verified Date header confirms the clock --------
# The kernel clock (from QEMU's RTC, the host's time) is unsynced; sync asks
# the cloud over the verified TLS link, finds the clock within the bound, and
# runs at the lower time quality https-date (docs/sync.md). With no cloud and
# no NTP it would wait (tests/sync/https_date.sh covers the refusal).
api adm GET /api/v1/status
tstate=$(printf '%s' "$BODY" | jq -r .time.state)
if [ "$tstate" = unsynced ]; then
	if guest_wait_sync ok; then
		ok "clock unsynced: sync confirms the time from the cloud's Date header and runs (status/sync: ok)"
	else
		not_ok "clock unsynced: status/sync says ok within $SYNC_WAIT s (got $(guest_sync_field state): $(guest_sync_field last_error))"
	fi
	_i=0
	while [ $_i -lt 20 ]; do
		api adm GET /api/v1/status
		tstate=$(printf '%s' "$BODY" | jq -r .time.state)
		[ "$tstate" = https-date ] && break
		sleep 0.5; _i=$((_i + 1))
	done
	check "the box's time quality is now https-date (got $tstate)" [ "$tstate" = https-date ]
else
	# The box found an NTP server through QEMU's network: nothing to wait for.
	ok "the box's clock is $tstate (NTP reachable), so sync need not wait for it"
fi

# ---- 2. both ways ----------------------------------------------------------
NOW_MS=$(($(date +%s) * 1000))
TODAY=$(TZ=Asia/Tokyo date +%Y-%m-%d)
CLOUD_ANN=announcement:c$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
cloud PUT "/$SCHOOL_DB/$CLOUD_ANN" "{\"type\":\"announcement\",\"class_id\":\"school\",\"title\":\"クラウドからのお知らせ\",\"body\":\"保護者会は金曜日です\",\"author_id\":\"admin\",\"posted_at\":$NOW_MS,\"date\":\"$TODAY\"}"
check "the cloud takes an announcement (curl to PouchDB Server; got $STATUS)" [ "$STATUS" = 201 ]
CLOUD_ANN_REV=$(printf '%s' "$BODY" | jq -r .rev)
api adm POST /api/v1/announcements '{"class_id":"school","title":"箱からのお知らせ","body":"避難訓練は水曜日です"}'
check "the box takes an announcement (API; got $STATUS)" [ "$STATUS" = 201 ]
BOX_ANN=$(printf '%s' "$BODY" | jq -r ._id)
BOX_ANN_REV=$(printf '%s' "$BODY" | jq -r ._rev)

# No restart, no override: the daemon that confirmed its clock from the
# cloud's Date header carries both documents across by itself. Wait for the
# outcome, not for a status word (status.json may still hold the last cycle).
t1=$(now)
while [ "$(elapsed "$t1" | cut -d. -f1)" -lt "$SYNC_WAIT" ]; do
	api adm GET "/api/v1/announcements/$CLOUD_ANN"
	s1=$STATUS
	cloud GET "/$SCHOOL_DB/$BOX_ANN"
	[ "$s1" = 200 ] && [ "$STATUS" = 200 ] && break
	sleep 1
done
echo "# waited $(elapsed "$t1") s for the daemon to carry both announcements"
api adm GET "/api/v1/announcements/$CLOUD_ANN"
check "the cloud's announcement is served by the box's API (got $STATUS)" [ "$STATUS" = 200 ]
check "... with the cloud's revision" [ "$(printf '%s' "$BODY" | jq -r ._rev)" = "$CLOUD_ANN_REV" ]
check "... and its title" [ "$(printf '%s' "$BODY" | jq -r .title)" = "クラウドからのお知らせ" ]
cloud GET "/$SCHOOL_DB/$BOX_ANN"
check "the box's announcement is in PouchDB (got $STATUS)" [ "$STATUS" = 200 ]
check "... with the box's revision" [ "$(printf '%s' "$BODY" | jq -r ._rev)" = "$BOX_ANN_REV" ]
check "... and its body" [ "$(printf '%s' "$BODY" | jq -r .body)" = "避難訓練は水曜日です" ]
# The audit logs (login log: auth's; operation log: web's) reached the cloud.
_i=0
while [ $_i -lt "$SYNC_WAIT" ]; do
	audit_ids=$(curl -sS "$CLOUD/$AUDIT_DB/_all_docs" | jq -r '.rows[].id')
	printf '%s\n' "$audit_ids" | grep -q '^audit:ops:[0-9]' && break
	sleep 1; _i=$((_i + 1))
done
check "the login log's entries are in the audit database" \
	sh -c "printf '%s\n' \"\$1\" | grep -q '^audit:login:[0-9]'" - "$audit_ids"
check "the operation log's entries are in the audit database" \
	sh -c "printf '%s\n' \"\$1\" | grep -q '^audit:ops:[0-9]'" - "$audit_ids"

_i=0
while [ $_i -lt "$SYNC_WAIT" ]; do
	api adm GET /api/v1/status/sync
	[ "$(printf '%s' "$BODY" | jq -r .pending)" = 0 ] && break
	sleep 1; _i=$((_i + 1))
done
last_ok=$(printf '%s' "$BODY" | jq -r .last_ok_ms)
check "status/sync: last_ok_ms is set ($last_ok)" [ "${last_ok:-0}" -gt 0 ]
check "status/sync: nothing pending ($(printf '%s' "$BODY" | jq -r .pending))" \
	[ "$(printf '%s' "$BODY" | jq -r .pending)" = 0 ]
check "status/sync: no failure, no error ('$(printf '%s' "$BODY" | jq -r .last_error)')" \
	[ "$(printf '%s' "$BODY" | jq -r '.failures, .last_error' | tr '\n' ' ')" = "0  " ]

# The daemon: a new document on the box goes up by itself.
api adm POST /api/v1/announcements '{"class_id":"school","title":"二通目","body":"明日は休校です"}'
BOX_ANN2=$(printf '%s' "$BODY" | jq -r ._id)
t2=$(now)
if wait_cloud_doc "$BOX_ANN2"; then ok "a later announcement on the box reaches PouchDB by itself in $(elapsed "$t2") s"
else not_ok "a later announcement on the box reaches PouchDB within $SYNC_WAIT s"; fi

# ---- 3. who can read what ----------------------------------------------------
bd=/data/classbox	# (not d: check uses it)
console_run P1 "p=\$(cat /etc/sv/sync/supervise/pid); awk '/^(Uid|Gid|Groups):/ { print \$1, \$2, \$3 }' /proc/\$p/status"
console_wait P1 10
sleep 0.5
ids=$(console_out P1 | grep '^[UG]' | tr '\n' ' ')
check "sync runs as uid sync with web's group and auth's as supplementary ($ids)" \
	[ "$ids" = "Uid: 60003 60003 Gid: 60001 60001 Groups: 60002  " ]
console_run P2 "stat -c '%n %a %U:%G' $bd/auth $bd/sync $bd/sync/enroll.json $bd/sync/status.json $bd/store $bd/keys $bd/audit/ops $bd/audit/login"
console_wait P2 10
sleep 0.5
modes=$(console_out P2 | grep '^/' | sed "s|$bd/||" | tr '\n' ';')
check "modes: auth 0700, sync 0711 with the enrollment 0600 (status.json 0644, group web), store/keys/audit shared with the group ($modes)" \
	[ "$modes" = "auth 700 auth:auth;sync 711 sync:sync;sync/enroll.json 600 sync:sync;sync/status.json 644 sync:web;store 770 web:web;keys 750 web:web;audit/ops 770 web:web;audit/login 770 auth:auth;" ]
console_run P3 "chpst -u web:web cat $bd/sync/enroll.json >/dev/null 2>&1 && echo readable || echo refused; chpst -u web:web cat $bd/sync/status.json >/dev/null 2>&1 && echo readable || echo refused; chpst -u sync:web ls $bd/auth >/dev/null 2>&1 && echo readable || echo refused"
console_wait P3 10
sleep 0.5
r=$(console_out P3 | grep -x 'readable\|refused' | tr '\n' ' ')
check "web cannot read the enrollment, can read status.json; sync cannot list auth's directory ($r)" \
	[ "$r" = "refused readable refused " ]
# The upload path's drop (docs/sync.md, "Enrollment"): sync's, group web,
# 0730: web can create a file there but not list the directory, nor
# write DATA/sync/enroll.json itself.
console_run P4 "stat -c '%a %U:%G' $bd/sync/drop; chpst -u web:web ls $bd/sync/drop >/dev/null 2>&1 && echo listable || echo unlistable; chpst -u web:web sh -c 'echo x >$bd/sync/drop/probe' 2>/dev/null && echo creatable || echo uncreatable; rm -f $bd/sync/drop/probe; chpst -u web:web sh -c 'echo x >$bd/sync/enroll.json' 2>/dev/null && echo writable || echo unwritable"
console_wait P4 10
sleep 0.5
r=$(console_out P4 | grep -x '[0-7]* [a-z]*:[a-z]*\|listable\|unlistable\|creatable\|uncreatable\|writable\|unwritable' | tr '\n' ' ')
check "the drop is 0730 sync:web: web creates there, cannot list it, cannot write the enrollment ($r)" \
	[ "$r" = "730 sync:web unlistable creatable unwritable " ]

t_done
