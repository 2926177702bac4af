#!/bin/sh
# tests/sync/daemon.sh (issue 4, Build 3 and 5): the box's own sync. An
# enrolled box started with `classbox run` runs `classbox sync` itself: a
# write through the API reaches the cloud by itself; with the cloud
# unreachable the box goes on taking writes and its status says offline
# with the changes waiting; when the link returns the daemon's probe
# notices and the writes go up without anyone asking.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/sync/rig.sh"

rig_start
rig_box_start || t_done
admin_setup
box_enroll "$ENROLL" || { not_ok "enroll: $(cat "$RIG/enroll.out")"; t_done; }
box_stop
# The same data directory, now enrolled: run starts sync too.
rig_box_start_daemon --allow-unsynced-clock || t_done
if wait_for 30 state_is ok; then ok "the enrolled box syncs by itself (status ok)"
else not_ok "the enrolled box syncs by itself (status: $(box_status_get sync.state), $(box_status_get sync.last_error))"; fi
if pgrep -P "$BOX_PID" -f 'classbox sync' >/dev/null; then
	ok "classbox run supervises classbox sync"
else
	not_ok "classbox run supervises classbox sync"
fi

login admin admin "$ADMIN_PW"
api admin POST /api/v1/announcements '{"class_id":"school","title":"自動同期","body":"箱が自分で送る"}'
expect_eq "a write through the API" "$STATUS" 201
id=$(printf '%s' "$BODY" | jq -r ._id)
if wait_for 30 in_cloud "$id"; then ok "... reaches the cloud by itself"
else not_ok "... reaches the cloud by itself (within 30 s)"; fi

fp refuse >/dev/null
api admin POST /api/v1/announcements '{"class_id":"school","title":"回線断","body":"回線が止まっている間"}'
expect_eq "the box takes writes while the cloud is unreachable" "$STATUS" 201
id2=$(printf '%s' "$BODY" | jq -r ._id)
if wait_for 30 state_is offline; then ok "status: offline"
else not_ok "status: offline (got $(box_status_get sync.state))"; fi
# The refusal may cut the cycle that pushed the first write, so the status can
# say offline with 0 waiting before the second write is counted: the daemon
# recounts within a second of a local write; wait for it.
pending_ge_1() { p=$(box_status_get sync.pending); [ "${p:-0}" -ge 1 ] 2>/dev/null; }
if wait_for 10 pending_ge_1; then ok "status: $(box_status_get sync.pending) change(s) waiting"
else not_ok "status: the change waiting (sync.pending='$(box_status_get sync.pending)')"; fi
expect_match "status: the last error says why" "$(box_status_get sync.last_error)" \
    "[Cc]onnect|[Rr]efused|reach"
if in_cloud "$id2"; then not_ok "nothing reached the cloud meanwhile"
else ok "nothing reached the cloud meanwhile"; fi

fp pass >/dev/null
if wait_for 60 in_cloud "$id2"; then ok "when the link returns the write goes up by itself"
else not_ok "when the link returns the write goes up by itself (within 60 s)"; fi
if wait_for 10 state_is ok; then ok "status: ok again"
else not_ok "status: ok again (got $(box_status_get sync.state))"; fi
t_done
