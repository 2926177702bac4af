#!/bin/sh
# The audit logs as the admin sees them (issue 5, items 1 and 3): after a
# wrong login, a good login, a password change, a user creation, a
# teacher's roll call and a guidance note read, GET /api/v1/audit/login and
# /api/v1/audit/ops show each with its actor, action, result and time
# state; filters by user and action work; non-admins get 403 (and the
# refusal is logged); GET /me is not logged; `classbox audit verify` finds
# both chains intact.
. "$(dirname "$0")/../lib.sh"
box_start || t_done

# jq-less field check: the entries of BODY matching all KEY=VALUE pairs.
# Usage: entries KEY=VALUE... -> prints the number of matches
entries() {
	printf '%s' "$BODY" | python3 -c 'import json,sys
want=dict(a.split("=",1) for a in sys.argv[1:])
try: items=json.load(sys.stdin)["items"]
except Exception: print(-1); sys.exit()
print(sum(1 for e in items if all(str(e.get(k))==v for k,v in want.items())))' "$@"
}

login admin admin "wrong-password"
expect_eq "a wrong password is refused" "$STATUS" 401
login nobody no.such.user "whatever-it-is"
expect_eq "an unknown user is refused the same way" "$STATUS" 401
admin_setup
TODAY=$(TZ=Asia/Tokyo date +%F)
new_user t.sato '{"id":"t.sato","name":"佐藤 先生","role":"teacher"}'
new_user s2026001 '{"id":"s2026001","name":"生徒 一","role":"student"}'
api admin POST /api/v1/classes '{"year":2026,"code":"1-1","name":"1年1組","kind":"homeroom"}'
C=class:2026:1-1
api admin POST "/api/v1/classes/$C/members" '{"user_id":"t.sato","role":"teacher"}'
api admin POST "/api/v1/classes/$C/members" '{"user_id":"s2026001","role":"student"}'
expect_eq "the class is set up" "$STATUS" 201
activate teacher t.sato
api teacher POST /api/v1/attendance "{\"class_id\":\"$C\",\"date\":\"$TODAY\",\"period\":1,\"entries\":[{\"student_id\":\"s2026001\",\"status\":\"present\"}]}"
expect_eq "the teacher takes attendance" "$STATUS" 200
api teacher POST /api/v1/guidance-notes '{"student_id":"s2026001","text":"面談メモ"}'
expect_eq "the teacher writes a guidance note" "$STATUS" 201
api teacher GET "/api/v1/guidance-notes?student=s2026001"
expect_eq "and reads it" "$STATUS" 200
for _ in 1 2 3; do api teacher GET /api/v1/me; done

# --- non-admins are refused (and that is logged) ---
api teacher GET /api/v1/audit/login
expect_eq "a teacher cannot read the login log" "$STATUS" 403
api teacher GET /api/v1/audit/ops
expect_eq "a teacher cannot read the operation log" "$STATUS" 403
login student s2026001 "$(cat "$T_DIR/pw.s2026001")"
api student POST /api/v1/password "{\"old_password\":\"$(cat "$T_DIR/pw.s2026001")\",\"new_password\":\"$NEWPW\"}"
api student GET /api/v1/audit/ops
expect_eq "a student cannot read the operation log" "$STATUS" 403

# --- the login log ---
api admin GET "/api/v1/audit/login?limit=50"
expect_eq "the admin reads the login log" "$STATUS" 200
expect_eq "the wrong admin password is there" "$(entries actor=admin action=login result=wrong_password)" 1
expect_eq "the unknown user is there, as typed" "$(entries actor=no.such.user action=login result=unknown_user)" 1
expect_eq "the admin's first login (must change)" "$(entries actor=admin action=login result=ok_must_change)" 1
expect_eq "the admin's password change" "$(entries actor=admin action=password_change result=ok)" 1
expect_eq "the creation of t.sato, by admin" "$(entries actor=admin action=user.create target=t.sato result=ok)" 1
expect_eq "the teacher's login" "$(entries actor=t.sato action=login)" 1
expect_match "each entry has its time state" "$BODY" '"time_state":"(synced|holdover|unsynced)"'
expect_match "and its time" "$BODY" '"time":"20[0-9-]{8}T[0-9:.]{12}Z"'
expect_match "and the client address" "$BODY" '"client":"(127\.0\.0\.1|\[?::1\]?|::ffff:127\.0\.0\.1)(:[0-9]+)?"'
expect_match "and the user agent of a login" "$BODY" '"agent":"curl/'
FIRST=$(printf '%s' "$BODY" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["seq"])')
LAST=$(printf '%s' "$BODY" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][-1]["seq"])')
[ "$FIRST" -gt "$LAST" ] && ok "newest first" || not_ok "newest first ($FIRST, $LAST)"
api admin GET "/api/v1/audit/login?user=t.sato"
expect_eq "filter by user: only t.sato" "$(entries actor=t.sato)" "$(count_items)"
api admin GET "/api/v1/audit/login?action=password_change"
expect_eq "filter by action: only password changes" "$(entries action=password_change)" "$(count_items)"
[ "$(count_items)" -ge 3 ] && ok "three password changes" || not_ok "password changes ($(count_items))"
api admin GET "/api/v1/audit/login?limit=2"
expect_eq "a page of two" "$(count_items)" 2
NEXT=$(printf '%s' "$BODY" | python3 -c 'import json,sys; print(json.load(sys.stdin)["next"])')
P1=$BODY
api admin GET "/api/v1/audit/login?limit=2&after=$NEXT"
expect_eq "the next page" "$(count_items)" 2
[ "$P1" != "$BODY" ] && ok "is another page" || not_ok "is another page"
api admin GET "/api/v1/audit/login?limit=0"
expect_eq "limit 0 is refused" "$STATUS" 400
api admin GET "/api/v1/audit/login?bogus=1"
expect_eq "an unknown filter is refused" "$STATUS" 400

# --- the operation log ---
api admin GET "/api/v1/audit/ops?limit=50"
expect_eq "the admin reads the operation log" "$STATUS" 200
expect_eq "the roll call, one entry per pupil" "$(entries actor=t.sato action=attendance.create result=ok)" 1
expect_match "with the attendance record's id" "$BODY" '"action":"attendance.create","target":"attendance:'
expect_eq "the guidance note written" "$(entries actor=t.sato action=guidance_note.create result=ok)" 1
expect_eq "the guidance note read, with its query" "$(entries actor=t.sato action=guidance_note.read target=student=s2026001 result=ok)" 1
expect_eq "the user creation (web side)" "$(entries actor=admin action=user.create target=t.sato result=ok)" 1
expect_eq "the teacher's refusal is logged" "$(entries actor=t.sato action=audit_login.read result=denied)" 1
expect_eq "the student's refusal is logged" "$(entries actor=s2026001 action=audit_ops.read result=denied)" 1
[ "$(entries actor=admin action=audit_login.read result=ok)" -ge 1 ] && ok "reading the login log is logged" || not_ok "reading the login log is logged"
expect_eq "GET /me is not logged" "$(printf '%s' "$BODY" | grep -c '/me')" 0
expect_match "each entry has its time state" "$BODY" '"time_state":"(synced|holdover|unsynced)"'
api admin GET "/api/v1/audit/ops?user=t.sato&action=attendance.create"
expect_eq "filter by user and action" "$(count_items) $(entries actor=t.sato action=attendance.create)" "1 1"
api admin GET "/api/v1/audit/ops?action=audit_ops.read"
[ "$(entries actor=admin result=ok)" -ge 1 ] && ok "reading the operation log is logged" || not_ok "reading the operation log is logged"

box_stop
OUT=$("$CLASSBOX" audit verify --dir "$BOX_DATA/audit" 2>&1)
RC=$?
expect_eq "audit verify exits 0" "$RC" 0
expect_match "the login chain is intact" "$OUT" 'login log: [0-9,]+ entries, chain intact'
expect_match "the ops chain is intact" "$OUT" 'ops log: [0-9,]+ entries, chain intact'
t_done
