#!/bin/sh
# Termination without a confirmed export (docs/operations.md): refused
# until the admin overrides it explicitly; the override is a boolean, and
# it is logged: in the operation log, the system log, and the termination
# marker that outlives the keys. A box never enrolled holds the only copy
# of its logs, so this is the one way to discard them without the export.
. "$(dirname "$0")/../lib.sh"

NAME=若葉中学校
box_start || t_done
admin_setup
api admin PUT /api/v1/school "{\"name\":\"$NAME\",\"year\":2026,\"state\":\"active\"}"
api admin GET /api/v1/school
REV=$(printf '%s' "$BODY" | sed -n 's/.*"_rev":"\([^"]*\)".*/\1/p')
api admin PUT /api/v1/school "{\"_rev\":\"$REV\",\"state\":\"terminating\"}"
expect_eq "the admin starts the termination" "$STATUS" 200
api admin GET /api/v1/export/receipt
expect_eq "no export yet" "$STATUS" 404
api admin POST /api/v1/school/terminate "{\"confirm\":\"$NAME\"}"
expect_match "without an export the school is not ended" "$STATUS $BODY" \
    '^409 .*"code":"export_not_confirmed".*No whole export.*"message_ja":"まだ完全なエクスポート'
# A download cut short: the box may have sent every byte into the socket
# (a small school's export fits its buffers), but what arrived is cut, so
# it cannot be confirmed, and the school is not ended.
curl -sS --cacert "$BOX_CA" -b "$T_DIR/jar.admin" -D "$T_DIR/xhdr" \
    "$BOX_URL/api/v1/export" 2>/dev/null | head -c 300 >"$T_DIR/cut.zip"
XID=$(tr -d '\r' <"$T_DIR/xhdr" | sed -n 's/^X-Export-Id: //p')
sleep 0.5
api admin POST /api/v1/export/confirm "{\"export_id\":${XID:-1},\"sha256\":\"$(sha256sum <"$T_DIR/cut.zip" | cut -c1-64)\"}"
expect_match "the cut download cannot be confirmed" "$STATUS $BODY" '^409 .*export_(mismatch|unknown)'
api admin POST /api/v1/school/terminate "{\"confirm\":\"$NAME\"}"
expect_match "and the school is still not ended" "$STATUS $BODY" '^409 .*"code":"export_not_confirmed"'
api admin POST /api/v1/school/terminate "{\"confirm\":\"$NAME\",\"terminate_without_export\":\"yes\"}"
expect_match "the override is a boolean" "$STATUS $BODY" '^400 .*terminate_without_export'
out=$("$CLASSBOX" audit verify --dir "$BOX_DATA/audit" 2>&1)
expect_match "the logs verify before the end" "$out" 'ops log: [0-9,]+ entries, chain intact'
api admin POST /api/v1/school/terminate "{\"confirm\":\"$NAME\",\"terminate_without_export\":true}"
expect_eq "the admin overrides: the school ends" "$STATUS" 200
expect_match "the marker that outlives the keys says so" \
    "$(cat "$BOX_DATA/keys/terminated" 2>&1)" '"by":"admin".*"export":"overridden"'
expect_match "so does the system log" "$(cat "$BOX_LOG")" 'termination by admin without a confirmed export'
# The override's entry went into the operation log before its key was
# destroyed: the marker's head counts it (the entry before the last).
SEQ=$(sed -n 's/.*"ops_log_head":{"seq":\([0-9]*\).*/\1/p' "$BOX_DATA/keys/terminated")
expect_match "the operation log's last entries were written" "$SEQ" '^[1-9][0-9]*$'
t_done
