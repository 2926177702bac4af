#!/bin/sh
# The administrator's first morning: log in with the printed initial
# password, be held at the password change, then create a teacher who is
# held at the same door.
. "$(dirname "$0")/../lib.sh"
box_start || t_done

expect_match "run printed an initial admin password" "$BOX_PW" '^[A-Za-z2-9]{8,}$'

login admin admin "wrong-password"
expect_eq "a wrong password is refused" "$STATUS" 401
expect_match "with login_failed" "$BODY" '"code":"login_failed"'

login admin admin "$BOX_PW"
expect_eq "admin logs in with the initial password" "$STATUS" 200
expect_match "and is told to change it" "$BODY" '"must_change_password":true'

api admin GET /api/v1/users
expect_eq "user list refused before the change" "$STATUS" 403
expect_match "with password_change_required" "$BODY" '"code":"password_change_required"'
api admin POST /api/v1/users '{"id":"tanaka","name":"田中 先生","role":"teacher"}'
expect_eq "user creation refused before the change" "$STATUS" 403
expect_match "with password_change_required" "$BODY" 'password_change_required'
api admin GET /api/v1/me
expect_eq "me still answers" "$STATUS" 200

api admin POST /api/v1/password "{\"old_password\":\"$BOX_PW\",\"new_password\":\"short\"}"
expect_eq "a short password is refused" "$STATUS" 400
expect_match "as too short" "$BODY" 'password_too_short'
api admin POST /api/v1/password "{\"old_password\":\"$BOX_PW\",\"new_password\":\"myadminpass99\"}"
expect_match "a password containing the user id is refused" "$BODY" 'password_contains_user_id'
api admin POST /api/v1/password "{\"old_password\":\"$BOX_PW\",\"new_password\":\"password\"}"
expect_match "a common password is refused" "$BODY" 'password_too_common'
api admin POST /api/v1/password '{"old_password":"not-it-at-all","new_password":"Sakura-2026-spring"}'
expect_eq "a wrong old password is refused" "$STATUS" 401
api admin POST /api/v1/password "{\"old_password\":\"$BOX_PW\",\"new_password\":\"Sakura-2026-spring\"}"
expect_eq "the admin changes the password" "$STATUS" 204

api admin GET /api/v1/me
expect_match "me no longer asks for a change" "$BODY" '"must_change_password":false'
api admin POST /api/v1/users '{"id":"tanaka","name":"田中 先生","role":"teacher"}'
expect_eq "the admin creates a teacher" "$STATUS" 201
TPW=$(printf '%s' "$BODY" | sed -n 's/.*"initial_password":"\([^"]*\)".*/\1/p')
expect_match "and gets an initial password for them" "$TPW" '^[A-Za-z2-9]{8,}$'
api admin POST /api/v1/users '{"id":"tanaka","name":"別人","role":"teacher"}'
expect_eq "the same id twice is refused" "$STATUS" 409
api admin GET /api/v1/users
expect_match "the list shows the teacher" "$BODY" '"id":"tanaka"'

login teacher tanaka "$TPW"
expect_eq "the teacher logs in" "$STATUS" 200
expect_match "and must change the password too" "$BODY" '"must_change_password":true'
api teacher GET /api/v1/users
expect_match "the teacher is held at the change" "$BODY" 'password_change_required'
api teacher POST /api/v1/password "{\"old_password\":\"$TPW\",\"new_password\":\"Kyoushitsu-3-2\"}"
expect_eq "the teacher changes the password" "$STATUS" 204
api teacher GET /api/v1/users
expect_eq "a teacher cannot manage users" "$STATUS" 403
login teacher2 tanaka "Kyoushitsu-3-2"
expect_eq "the teacher logs in with the new password" "$STATUS" 200

api teacher POST /api/v1/logout
expect_eq "logout" "$STATUS" 204
api teacher GET /api/v1/me
expect_eq "after logout the session is gone" "$STATUS" 401
t_done
