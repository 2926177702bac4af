#!/bin/sh
# Offline password reset codes (issue 5, item 9): an admin, or a teacher for
# a student of their homeroom and that student's parents, issues a one-time
# code; the user sets a password of their own with it, without a session.
# Single use, throttled, policy applies, sessions end, must-change cleared.
# (Expiry after AUTH_RESET_CODE_TTL_MS: tests/unit/test_reset.c, with
# injected time.)
. "$(dirname "$0")/../lib.sh"
box_start || t_done
# Slow builds (ASan) may still be making the certificate: wait for /healthz.
for _ in $(seq 1 100); do
	[ -s "$BOX_CA" ] && curl -sf --cacert "$BOX_CA" "$BOX_URL/healthz" \
	    >/dev/null 2>&1 && break
	sleep 0.1
done

admin_setup
new_user tanaka '{"id":"tanaka","name":"田中 先生","role":"teacher"}'
new_user suzuki '{"id":"suzuki","name":"鈴木 先生","role":"teacher"}'
new_user s2026001 '{"id":"s2026001","name":"生徒 一","role":"student"}'
new_user s2026002 '{"id":"s2026002","name":"生徒 二","role":"student"}'
new_user p2026001 '{"id":"p2026001","name":"保護者 一","role":"parent","children":["s2026001"]}'
api admin POST /api/v1/classes '{"year":2026,"code":"2-3","name":"2年3組","kind":"homeroom"}'
C=$(json_id)
api admin POST "/api/v1/classes/$C/members" '{"user_id":"tanaka","role":"teacher"}'
api admin POST "/api/v1/classes/$C/members" '{"user_id":"s2026001","role":"student"}'
expect_eq "s2026001 is in tanaka's homeroom" "$STATUS" 201
activate teacher tanaka
activate other suzuki
activate student s2026001
code_of() { printf '%s' "$BODY" | sed -n 's/.*"code":"\([^"]*\)".*/\1/p'; }
reset() {	# reset CLIENT JSON [curl origin header]
	client "$1"
	api "$1" POST /api/v1/password/reset "$2"
}

api teacher POST /api/v1/users/s2026001/reset-code
expect_eq "the homeroom teacher issues a code for their student" "$STATUS" 200
CODE=$(code_of)
expect_match "10 unambiguous characters" "$CODE" '^[2-9A-HJKMNP-Z]{10}$'
EXP=$(printf '%s' "$BODY" | sed -n 's/.*"expires_ms":\([0-9]*\).*/\1/p')
NOW=$(date +%s%3N)
D=$((EXP - NOW))
[ "$D" -gt 895000 ] && [ "$D" -le 901000 ] && ok "valid 15 minutes" || not_ok "valid 15 minutes (got $D ms)"
api teacher POST /api/v1/users/p2026001/reset-code
expect_eq "and for the parent of that student" "$STATUS" 200
api teacher POST /api/v1/users/s2026002/reset-code
expect_eq "not for a student outside their homeroom" "$STATUS" 403
api other POST /api/v1/users/s2026001/reset-code
expect_eq "another teacher cannot" "$STATUS" 403
api teacher POST /api/v1/users/suzuki/reset-code
expect_eq "a teacher cannot for a teacher" "$STATUS" 403
api student POST /api/v1/users/s2026002/reset-code
expect_eq "a student cannot issue codes" "$STATUS" 403
api student POST /api/v1/users/s2026001/reset-code
expect_eq "not even for themselves" "$STATUS" 403
api admin POST /api/v1/users/s2026002/reset-code
expect_eq "an admin issues one for anyone" "$STATUS" 200
CODE2=$(code_of)
api admin POST /api/v1/users/nobody/reset-code
expect_eq "unknown user: 404" "$STATUS" 404

# Using the code: no session, Origin required.
STATUS=$(curl -sS --cacert "$BOX_CA" -o /dev/null -w '%{http_code}' \
    -H 'Content-Type: application/json' --data-binary \
    "{\"user\":\"s2026001\",\"code\":\"$CODE\",\"new_password\":\"Hoshi-Zora-2026\"}" \
    "$BOX_URL/api/v1/password/reset")
expect_eq "without Origin: refused" "$STATUS" 403
reset anon "{\"user\":\"s2026001\",\"code\":\"$CODE\",\"new_password\":\"password\"}"
expect_eq "the password policy applies" "$STATUS" 400
expect_match "too common" "$BODY" 'password_too_common'
# The person's name (生徒 一: 生徒) is checked only once the code is
# right, so that a guess at a name cannot tell that the account exists and
# is so called; a refusal leaves the code valid.
reset anon "{\"user\":\"s2026001\",\"code\":\"ZZZZZZZZZZ\",\"new_password\":\"生徒-Hoshi-Zora\"}"
expect_eq "with a wrong code, a name in the password says nothing: 401" "$STATUS" 401
reset anon "{\"user\":\"s2026001\",\"code\":\"$CODE\",\"new_password\":\"生徒-Hoshi-Zora\"}"
expect_match "with the right code, the student's name is refused (400)" "$STATUS $BODY" '^400 .*password_contains_name'
api student GET /api/v1/me
expect_eq "the student's session is alive before the reset" "$STATUS" 200
LOWER=$(printf '%s' "$CODE" | tr 'A-Z' 'a-z' | sed 's/^\(.....\)/\1-/')
reset anon "{\"user\":\"s2026001\",\"code\":\"$LOWER\",\"new_password\":\"Hoshi-Zora-2026\"}"
expect_eq "the student sets a new password with the code (any case, with -)" "$STATUS" 204
api student GET /api/v1/me
expect_eq "every session of the student ended" "$STATUS" 401
login student2 s2026001 "Hoshi-Zora-2026"
expect_eq "the student logs in with the chosen password" "$STATUS" 200
expect_match "with no forced change" "$BODY" '"must_change_password":false'
reset anon "{\"user\":\"s2026001\",\"code\":\"$CODE\",\"new_password\":\"Another-Pass-77\"}"
expect_eq "the code works once only" "$STATUS" 401
reset anon "{\"user\":\"s2026002\",\"code\":\"$CODE\",\"new_password\":\"Another-Pass-77\"}"
expect_eq "a code is bound to its user" "$STATUS" 401

# s2026002 never logged in: must-change is cleared by a chosen password.
reset anon "{\"user\":\"s2026002\",\"code\":\"$CODE2\",\"new_password\":\"Umi-Yama-3030\"}"
expect_eq "a code works for a user who never logged in" "$STATUS" 204
login s2 s2026002 "Umi-Yama-3030"
expect_match "must-change cleared" "$BODY" '"must_change_password":false'

# Wrong codes: counted and throttled like logins.
api teacher POST /api/v1/users/p2026001/reset-code
GOOD=$(code_of)
got429=0
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	reset anon "{\"user\":\"p2026001\",\"code\":\"ZZZZZZZZZZ\",\"new_password\":\"Umi-Yama-3030\"}"
	[ "$STATUS" = 429 ] && { got429=1; break; }
	[ "$STATUS" = 401 ] || not_ok "a wrong code is 401 (got $STATUS)"
done
expect_eq "wrong codes are throttled" "$got429" 1
expect_match "answered too_many" "$BODY" 'too_many'
reset anon "{\"user\":\"p2026001\",\"code\":\"$GOOD\",\"new_password\":\"Umi-Yama-3030\"}"
expect_eq "after wrong tries the right code is refused too (throttled or dropped)" \
    "$([ "$STATUS" = 429 ] || [ "$STATUS" = 401 ] && echo refused)" refused
reset anon '{"user":"p2026001","code":"x","new_password":"Umi-Yama-3030","extra":1}'
expect_eq "unknown field: 400" "$STATUS" 400
t_done
