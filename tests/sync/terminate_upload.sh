#!/bin/sh
# tests/sync/terminate_upload.sh (issue 5, item 7; docs/operations.md): an
# enrolled box refuses the final "terminated" step while audit log entries
# wait for the cloud, naming how many (409 logs_not_uploaded); once
# `classbox sync --once` has uploaded them it goes through. A second box,
# never synced, ends only with the documented override
# "discard_unuploaded_logs": true (the platform contract is gone).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/sync/rig.sh"

NAME=桜丘高等学校
# terminating: the school record, then the terminating state
terminating() {
	api admin PUT /api/v1/school "{\"name\":\"$NAME\",\"year\":2026,\"state\":\"active\"}"
	rev=$(printf '%s' "$BODY" | jq -r ._rev)
	api admin PUT /api/v1/school "{\"_rev\":\"$rev\",\"state\":\"terminating\"}"
	expect_eq "$1: the school is terminating" "$STATUS" 200
}

rig_start
rig_box_start || t_done
admin_setup
box_enroll "$ENROLL" || { not_ok "enroll: $(cat "$RIG/enroll.out")"; t_done; }
terminating "box 1"
export_zip "$T_DIR/box1.zip"	# the school's data first (terminate.sh)
confirm_zip "$T_DIR/box1.zip"
expect_eq "box 1: the export is downloaded and confirmed" "$STATUS" 200

api admin POST /api/v1/school/terminate "{\"confirm\":\"$NAME\"}"
expect_eq "enrolled, logs not uploaded: the last step is refused" "$STATUS" 409
expect_eq "... logs_not_uploaded" "$(printf '%s' "$BODY" | jq -r .error.code)" \
    logs_not_uploaded
ops=$(printf '%s' "$BODY" | jq -r .ops_log_pending)
logins=$(printf '%s' "$BODY" | jq -r .login_log_pending)
if [ "${ops:-0}" -ge 2 ] && [ "${logins:-0}" -ge 2 ]; then
	ok "... counting both logs' waiting entries (ops $ops, login $logins)"
else
	not_ok "... counting both logs' waiting entries (got ops '$ops', login '$logins')"
fi
expect_match "... and the message names how many" \
    "$(printf '%s' "$BODY" | jq -r .error.message)" \
    "^$((ops + logins)) log entries \\(operation log $ops, login log $logins\\) have not been uploaded"
expect_match "... in Japanese too" "$(printf '%s' "$BODY" | jq -r .error.message_ja)" \
    "ログ $((ops + logins)) 件"
api admin GET /api/v1/me
expect_eq "nothing was erased: the admin's session still works" "$STATUS" 200
api admin POST /api/v1/school/terminate "{\"confirm\":\"$NAME\",\"discard_unuploaded_logs\":\"yes\"}"
expect_eq "the override is a boolean" "$STATUS" 400

check "classbox sync --once uploads the logs" sync_once
api admin POST /api/v1/school/terminate "{\"confirm\":\"$NAME\"}"
expect_eq "once uploaded, the school ends" "$STATUS" 200
expect_eq "... terminated" "$(printf '%s' "$BODY" | jq -r .state)" terminated
box_stop

# ---- a second box that never reached the cloud -----------------------------
BOX_DATA=$T_DIR/data2
rig_box_start || t_done
admin_setup
box_enroll "$ENROLL" || { not_ok "enroll 2: $(cat "$RIG/enroll.out")"; t_done; }
terminating "box 2"
# box 2 ends without an export too (terminate_override.sh): both overrides
api admin POST /api/v1/school/terminate "{\"confirm\":\"$NAME\",\"terminate_without_export\":true}"
expect_eq "box 2: refused while nothing is uploaded" "$STATUS" 409
expect_eq "... for the logs" "$(printf '%s' "$BODY" | jq -r .error.code)" logs_not_uploaded
api admin POST /api/v1/school/terminate "{\"confirm\":\"$NAME\",\"terminate_without_export\":true,\"discard_unuploaded_logs\":true}"
expect_eq "box 2: the override ends it (the logs not uploaded are lost)" "$STATUS" 200
expect_match "... and says so in the system log" "$(cat "$BOX_LOG")" \
    "discards the log entries not yet uploaded"
t_done
