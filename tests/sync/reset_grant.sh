#!/bin/sh
# tests/sync/reset_grant.sh (issue 5, item 9): online password reset
# through the platform (docs/api.md "Online password reset", docs/sync.md
# "Password reset grants"). A user asks the box (curl, no session); the
# request document goes up with `classbox sync --once` into PouchDB; the
# test, acting as the platform, writes a grant (salt, SHA-256 of salt and
# code) with curl; the next sync hands it to auth; the user sets a new
# password with the code and logs in. A second use fails; an expired grant,
# one too far ahead and a malformed one are refused; a grant sent to auth
# from web's uid (a forged message) is refused, from sync's uid taken once;
# a grant the box itself wrote is never pushed up.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/sync/rig.sh"

[ "$(id -u)" = 0 ] || { not_ok "reset_grant.sh runs as root (web, auth, sync uids)"; t_done; }
rig_start
rig_box_start || t_done
admin_setup
new_user s2026001 '{"id":"s2026001","name":"生徒 一","role":"student"}'
activate student s2026001
box_enroll "$ENROLL" || { not_ok "enroll: $(cat "$RIG/enroll.out")"; t_done; }
WEB_UID=60001 SYNC_UID=60003	# classbox run's defaults as root

# request USER [origin]: POST /api/v1/password/reset-request, no session
request() {
	set -- "$1" "${2-$BOX_URL}"
	STATUS=$(curl -sS --cacert "$BOX_CA" -o "$T_DIR/req.body" -w '%{http_code}' \
	    ${2:+-H "Origin: $2"} -H 'Content-Type: application/json' \
	    --data-binary "{\"user\":\"$1\"}" "$BOX_URL/api/v1/password/reset-request")
	BODY=$(cat "$T_DIR/req.body")
}
# reset USER CODE NEWPW: POST /api/v1/password/reset
reset() {
	client r
	api r POST /api/v1/password/reset "{\"user\":\"$1\",\"code\":\"$2\",\"new_password\":\"$3\"}"
}
# grant_json ID USER CODE EXPIRES_MS: the platform's grant for CODE
grant_json() {
	salt=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	hash=$(python3 -c 'import hashlib,sys
print(hashlib.sha256(bytes.fromhex(sys.argv[1]) + sys.argv[2].encode()).hexdigest())' "$salt" "$3")
	echo "$hash" >"$T_DIR/grant.hash"
	printf '{"type":"password_reset_grant","user_id":"%s","request_id":"%s","salt":"%s","code_hash":"%s","expires_ms":%s}' \
	    "$2" "$REQ_ID" "$salt" "$hash" "$4"
}
now_ms() { echo $(($(date +%s) * 1000)); }

# ---- the request ------------------------------------------------------
request s2026001
expect_eq "a reset request for a user: 202" "$STATUS" 202
A=$BODY
request nobody.here
expect_eq "for an unknown user: 202 too" "$STATUS" 202
expect_eq "... with the same body (no account enumeration)" "$BODY" "$A"
request s2026001 ""
expect_eq "without Origin: refused" "$STATUS" 403
request 'BAD USER'
expect_eq "a malformed user id: 400" "$STATUS" 400

check "classbox sync --once carries the request up" sync_once
curl -sS "$CLOUD/$SCHOOL_DB/_all_docs?include_docs=true" >"$RIG/all.json"
n=$(jq '[.rows[] | select(.id | startswith("password_reset_request:"))] | length' "$RIG/all.json")
expect_eq "one request document in PouchDB (none for the unknown user)" "$n" 1
REQ=$(jq -c '[.rows[] | select(.id | startswith("password_reset_request:"))][0].doc' "$RIG/all.json")
REQ_ID=$(printf '%s' "$REQ" | jq -r ._id)
expect_eq "... for s2026001" "$(printf '%s' "$REQ" | jq -r .user_id)" s2026001
expect_eq "... with its time and no client address or user agent" \
    "$(printf '%s' "$REQ" | jq -c 'del(._id, ._rev) | keys')" \
    '["requested_ms","type","user_id"]'

# ---- the platform's grant ----------------------------------------------
CODE=K7M2-PQ9R-WX
cloud PUT "/$SCHOOL_DB/password_reset_grant:g1" \
    "$(grant_json g1 s2026001 K7M2PQ9RWX $(($(now_ms) + 600000)))"
expect_eq "the platform writes a grant (curl to PouchDB)" "$STATUS" 201
HASH1=$(cat "$T_DIR/grant.hash")
check "sync pulls the grant" sync_once
expect_match "sync handed it to auth" "$(cat "$RIG/sync.err")" \
    "handed the platform's reset grant g1 to auth"
if grep -q "$HASH1" "$BOX_LOG" "$RIG/sync.err" "$RIG/sync.out"; then
	not_ok "the code's hash is in no log"
else ok "the code's hash is in no log"; fi

reset s2026001 WRONGCODE2 Kiri-Sakura-2027
expect_eq "a wrong code: refused" "$STATUS" 401
reset s2026001 "$CODE" Kiri-Sakura-2027
expect_eq "the user sets a new password with the platform's code" "$STATUS" 204
login student s2026001 Kiri-Sakura-2027
expect_eq "... and logs in with it" "$STATUS" 200
reset s2026001 "$CODE" Kiri-Sakura-2028
expect_eq "the code works once only" "$STATUS" 401

# ---- refusals ------------------------------------------------------------
cloud PUT "/$SCHOOL_DB/password_reset_grant:g2" \
    "$(grant_json g2 s2026001 ABCDEFGH23 $(($(now_ms) - 1000)))"
cloud PUT "/$SCHOOL_DB/password_reset_grant:g3" \
    "$(grant_json g3 s2026001 HJKMNPQR45 $(($(now_ms) + 2 * 3600000)))"
cloud PUT "/$SCHOOL_DB/password_reset_grant:g4" \
    "$(grant_json g4 s2026001 STUVWXYZ67 $(($(now_ms) + 600000)) | jq -c '.salt = "XYZ"')"
check "sync goes on past refused grants" sync_once
e=$(cat "$RIG/sync.err")
expect_match "an expired grant is refused, saying why" "$e" "reset grant g2: expires_ms has passed"
expect_match "one an hour or more ahead too" "$e" "reset grant g3: expires_ms is more than an hour ahead"
expect_match "a malformed salt too" "$e" "reset grant g4: salt is not 32 lower-case hex"
reset s2026001 ABCDEFGH23 Kiri-Sakura-2029
expect_eq "the expired grant's code does not work" "$STATUS" 401
reset s2026001 HJKMNPQR45 Kiri-Sakura-2029
expect_eq "the far-ahead grant's code does not work" "$STATUS" 401

# ---- who may deliver: SO_PEERCRED ---------------------------------------
# send_grant UID ID USER CODE: AUTH_RESET_GRANT (type 24, 312 bytes) to
# auth's socket as UID; prints auth's status (0 = taken)
send_grant() {
	j=$(grant_json "$2" "$3" "$4" $(($(now_ms) + 600000)))
	setpriv --reuid "$1" --regid "$1" --clear-groups perl -e '
use Socket; $SIG{PIPE} = "IGNORE"; my ($sock, $id, $uid, $req, $salt, $hash, $exp) = @ARGV;
socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die;
connect($s, pack_sockaddr_un($sock)) or do { print "noconnect\n"; exit };
my $p = pack("Z64 Z64 Z64 Z40 Z72 q<", $id, $uid, $req, $salt, $hash, $exp);
syswrite($s, pack("L<4", 24, length($p), 7, 0) . $p);
my $n = sysread($s, my $r, 24);
if (!$n) { print "closed\n"; exit }
my ($t, $l, $i, $x, $st) = unpack("L<4 l<", $r); print "$st\n";' \
	    "$BOX_SOCK" "$2" "$3" "$REQ_ID" \
	    "$(printf '%s' "$j" | jq -r .salt)" "$(printf '%s' "$j" | jq -r .code_hash)" \
	    "$(printf '%s' "$j" | jq -r .expires_ms)"
}
r=$(send_grant "$WEB_UID" forged1 s2026001 MNPQRSTU89)
expect_eq "a grant sent from web's uid (forged): auth refuses it (CB_EPERM)" "$r" -6
reset s2026001 MNPQRSTU89 Kiri-Sakura-2029
expect_eq "... and its code does not work" "$STATUS" 401
expect_match "auth says why in its log" "$(cat "$BOX_LOG")" \
    "refused a reset grant from a client that is not the sync process"
r=$(send_grant 60077 forged2 s2026001 MNPQRSTU89)
expect_eq "another uid cannot even connect" "$r" closed
r=$(send_grant "$SYNC_UID" s1 s2026001 VWXYZ23456)
expect_eq "from sync's uid: taken" "$r" 0
r=$(send_grant "$SYNC_UID" s1 s2026001 VWXYZ23457)
expect_eq "the same grant id again (a replay): refused" "$r" -5
reset s2026001 VWXYZ23456 Kiri-Sakura-2030
expect_eq "the sync-delivered code works" "$STATUS" 204

# ---- the box never pushes a grant up ---------------------------------------
"$T_TOOLS/storetool" edit "$BOX_DATA" password_reset_grant:boxmade "made on the box" >/dev/null
check "sync after a grant appeared in the box's store" sync_once
cloud GET "/$SCHOOL_DB/password_reset_grant:boxmade"
expect_eq "a grant the box wrote is not pushed to the cloud" "$STATUS" 404
t_done
