#!/bin/sh
# tests/sync/offline_day.sh (issue 4): a day offline. While the cloud is
# unreachable (the fault proxy refuses connections) the box takes 20,000
# changes: announcements through its HTTPS API and the rest written as the
# demo school is (store_put_batch, tests/sync/storetool.c). Sync fails and
# the status says offline with the changes waiting; once the link returns,
# one `classbox sync --once` sends them all, each exactly once, and both
# sides hold the same documents and revisions. Against Apache CouchDB
# 3.4.3 (a q=16 database; RIG_PEER=pouchdb for PouchDB Server).
# OFFLINE_CHANGES (20000) and OFFLINE_API (10) change the mix.
. "$(dirname "$0")/../lib.sh"
RIG_PEER=${RIG_PEER:-couchdb}
. "$TOP/tests/sync/rig.sh"
CHANGES=${OFFLINE_CHANGES:-20000}
VIA_API=${OFFLINE_API:-10}

rig_start
rig_box_start || t_done
admin_setup
box_enroll "$ENROLL" || { not_ok "enroll: $(cat "$RIG/enroll.out")"; t_done; }
check "the box syncs before the link goes" sync_once
before=$(cloud_count "$SCHOOL_DB")

fp refuse >/dev/null
i=0 api_ok=0
while [ "$i" -lt "$VIA_API" ]; do
	api admin POST /api/v1/announcements "{\"class_id\":\"school\",\"title\":\"お知らせ $i\",\"body\":\"回線が止まっている間の書き込み $i\"}"
	[ "$STATUS" = 201 ] && api_ok=$((api_ok + 1))
	i=$((i + 1))
done
expect_eq "the box takes writes through its API while offline" "$api_ok" "$VIA_API"
if "$T_TOOLS/storetool" seed "$BOX_DATA" $((CHANGES - VIA_API)) day >"$RIG/seed.out" 2>&1
then ok "the box takes $((CHANGES - VIA_API)) more changes while offline"
else not_ok "the box takes more changes while offline: $(cat "$RIG/seed.out")"; fi

if sync_once; then not_ok "sync fails while the cloud is unreachable"
else ok "sync fails while the cloud is unreachable"; fi
expect_eq "status: offline" "$(box_status_get sync.state)" offline
expect_match "status: the last error says why" \
    "$(box_status_get sync.last_error)" "[Cc]onnect|[Rr]efused|reach"
pending=$(box_status_get sync.pending)
if [ "${pending:-0}" -ge "$CHANGES" ] 2>/dev/null; then
	ok "status: $pending changes waiting"
else
	not_ok "status: the $CHANGES changes waiting (got sync.pending='$pending')"
fi
expect_eq "nothing reached the cloud meanwhile" "$(cloud_count "$SCHOOL_DB")" "$before"

fp pass >/dev/null
fp zero >/dev/null
mark=$(wc -l <"$CLOUD_LOG")
t0=$(date +%s)
if SYNC_TIMEOUT=600 sync_once; then
	ok "one sync after the link returns succeeds"
else
	not_ok "one sync after the link returns succeeds: $(tail -2 "$RIG/sync.err")"
fi
t1=$(date +%s)
expect_eq "the cloud holds the $CHANGES new documents" \
    "$(cloud_count "$SCHOOL_DB")" $((before + CHANGES))
tail -n +"$((mark + 1))" "$CLOUD_LOG" | jq -r --arg db "$SCHOOL_DB" \
    'select(.db == $db and .op == "bulk_docs") | .revs[]' >"$RIG/sent"
expect_eq "each change was sent once" "$(wc -l <"$RIG/sent")" \
    "$(sort -u "$RIG/sent" | wc -l)"
box_dump "$BOX_DATA" >"$RIG/box.end"
cloud_dump "$SCHOOL_DB" >"$RIG/cloud.end"
if diff "$RIG/cloud.end" "$RIG/box.end" >"$RIG/diff.end"; then
	ok "both sides hold the same $(wc -l <"$RIG/box.end") documents and revisions"
else
	not_ok "both sides hold the same documents and revisions (see $RIG/diff.end)"
fi
expect_eq "status: ok" "$(box_status_get sync.state)" ok
expect_eq "status: nothing waiting" "$(box_status_get sync.pending)" 0
echo "# $CHANGES changes up in $((t1 - t0)) s, $(( ($(fp_stat up) + $(fp_stat down)) / CHANGES )) bytes on the wire per change"
t_done
