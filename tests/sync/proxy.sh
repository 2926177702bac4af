#!/bin/sh
# tests/sync/proxy.sh (issue 9, item 4): the cloud link through the
# school's web proxy. A real proxy from Debian (tinyproxy, our own
# unprivileged foreground instance with its own config, never the system
# service) stands between the box and the rig:
#
#   box --CONNECT--> tinyproxy --> faultproxy --> nginx --> PouchDB Server
#
# The proxy comes from the enrollment file ("proxy", "proxy_user",
# "proxy_password", docs/sync.md). Shown: sync works through the proxy
# without and with Basic authentication (tinyproxy's BasicAuth); the
# tunnel really went through tinyproxy (its log); a wrong proxy password
# and no password make sync refuse with "proxy authentication failed"
# (status error) and the password appears in no output, log or status;
# a port the proxy does not allow (ConnectPort) is a plain refusal; the
# proxy down is "cannot reach the proxy" (status offline).
#
# Then the two other places (docs/lan.md): the config (sync --proxy URL
# --proxy-auth FILE, the image's CLASSBOX_PROXY and CLASSBOX_PROXY_AUTH),
# which wins over the enrollment, refuses a credentials file others may
# read and a URL with a password in it; and the admin's setting through
# the API (PUT/GET/DELETE /api/v1/sync/proxy, curl as an admin), which
# wins over both: CSRF and Origin checked, a bad URL a 400 naming the
# field with nothing handed over, sync takes it and syncs through it, GET
# shows host:port and that credentials are set but never the password, the
# operation log has the change, a wrong password is named as the admin
# UI's, clearing it falls back to the config, then to the enrollment. The
# passwords appear in no output, log, answer or status.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/sync/rig.sh"

command -v tinyproxy >/dev/null 2>&1 ||
    rig_fail "tinyproxy is installed (tools/install-packages)"
rig_start
rig_box_start || t_done
"$T_TOOLS/storetool" seed "$BOX_DATA" 5 local >/dev/null

TP=$RIG/tinyproxy
mkdir -p "$TP"
# tinyproxy runs as nobody: its directory must be its own to write.
TP_USER=nobody
TP_GROUP=$(id -gn nobody 2>/dev/null || echo nogroup)
chown "$TP_USER:$TP_GROUP" "$TP" 2>/dev/null || chmod 0777 "$TP"
TP_PORT=$(free_port)
PROXY_USER=school-proxy
PROXY_PW=pxy-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
TP_PID=

# tp_start [BasicAuth line]: tinyproxy in the foreground (-d) on TP_PORT;
# CONNECT only to the fault proxy's port (ConnectPort).
tp_start() {
	cat >"$TP/tinyproxy.conf" <<EOF
Port $TP_PORT
Listen 127.0.0.1
Timeout 60
LogFile "$TP/tinyproxy.log"
LogLevel Connect
MaxClients 20
Allow 127.0.0.1
ConnectPort $FP_PORT
$1
EOF
	: >"$TP/tinyproxy.log"
	chmod 0644 "$TP/tinyproxy.conf"
	chown "$TP_USER:$TP_GROUP" "$TP/tinyproxy.log" 2>/dev/null
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid="$TP_USER" --regid="$TP_GROUP" --clear-groups \
		    tinyproxy -d -c "$TP/tinyproxy.conf" >"$TP/out" 2>&1 &
	else
		tinyproxy -d -c "$TP/tinyproxy.conf" >"$TP/out" 2>&1 &
	fi
	TP_PID=$!
	wait_port "$TP_PORT" ||
	    rig_fail "tinyproxy started (see $TP/out, $TP/tinyproxy.log)"
}
tp_stop() {
	[ -n "$TP_PID" ] || return 0
	kill "$TP_PID" 2>/dev/null
	wait "$TP_PID" 2>/dev/null
	TP_PID=
}
trap 'tp_stop; rig_exit' EXIT

# enroll_proxy FILE [USER PASSWORD]: the good enrollment plus the proxy
enroll_proxy() {
	jq --arg p "http://127.0.0.1:$TP_PORT" --arg u "${2:-}" \
	    --arg w "${3:-}" '. + {proxy: $p} +
	    (if $u == "" then {} else {proxy_user: $u, proxy_password: $w} end)' \
	    "$ENROLL" >"$1" && chmod 0600 "$1" || rig_fail "enrollment $1 (jq)"
	box_enroll "$1" || not_ok "enroll $1: $(cat "$RIG/enroll.out")"
}

# synced_through WHAT [sync args]: sync --once passes and tinyproxy
# carried the tunnel
synced_through() {
	c0=$(fp_stat conns)
	l0=$(grep -c "Request .*: CONNECT " "$TP/tinyproxy.log")
	w=$1; shift
	if sync_once "$@"; then ok "$w: sync --once passes"
	else not_ok "$w: sync --once passes ($(cat "$RIG/sync.err"))"; fi
	expect_eq "$w: status ok" "$(box_status_get sync.state)" ok
	l1=$(grep -c "Request .*: CONNECT " "$TP/tinyproxy.log")
	if [ "$l1" -gt "$l0" ]; then ok "$w: tinyproxy logged the CONNECT"
	else not_ok "$w: tinyproxy logged the CONNECT ($TP/tinyproxy.log)"; fi
	expect_match "$w: to the cloud's host and port" \
	    "$(grep "Request .*: CONNECT " "$TP/tinyproxy.log" | tail -1)" \
	    "CONNECT localhost:$FP_PORT HTTP/1.1"
	if [ "$(fp_stat conns)" -gt "$c0" ]; then ok "$w: the rig saw the connection"
	else not_ok "$w: the rig saw the connection"; fi
}

# refused WHAT REGEX STATE [sync args]: sync --once fails, saying REGEX,
# status STATE
refused() {
	w=$1 re=$2 want=$3; shift 3
	if sync_once "$@"; then not_ok "$w: sync refuses"; else ok "$w: sync refuses"; fi
	expect_match "$w: it says why" "$(cat "$RIG/sync.err")" "$re"
	expect_eq "$w: status $want" "$(box_status_get sync.state)" "$want"
	expect_match "$w: status says why" "$(box_status_get sync.last_error)" "$re"
}

# 1. A proxy without authentication.
tp_start ""
enroll_proxy "$RIG/enroll-proxy.json"
docs0=$(cloud_count "$SCHOOL_DB")
synced_through "open proxy"
if [ "$(cloud_count "$SCHOOL_DB")" -gt "$docs0" ]; then
	ok "open proxy: the box's documents reached the cloud"
else
	not_ok "open proxy: the box's documents reached the cloud"
fi

# ConnectPort: the proxy allows the rig's port only.
jq --arg c "https://localhost:$NGX_PORT" '.cloud = $c' \
    "$RIG/enroll-proxy.json" >"$RIG/enroll-port.json"
chmod 0600 "$RIG/enroll-port.json"
box_enroll "$RIG/enroll-port.json" || not_ok "enroll: $(cat "$RIG/enroll.out")"
refused "a port the proxy does not allow" "proxy refused the tunnel \(HTTP 403\)" offline
tp_stop

# 2. The same proxy asking for Basic authentication.
tp_start "BasicAuth $PROXY_USER $PROXY_PW"
code=$(curl -s -o /dev/null -w '%{http_connect}' -x "http://127.0.0.1:$TP_PORT" \
    "https://localhost:$FP_PORT/" 2>/dev/null)
expect_match "tinyproxy asks curl for credentials (407)" "$code" "407"
enroll_proxy "$RIG/enroll-proxy-auth.json" "$PROXY_USER" "$PROXY_PW"
synced_through "proxy with Basic authentication"

enroll_proxy "$RIG/enroll-proxy-noauth.json"
refused "no proxy credentials" "proxy authentication failed" error

WRONG_PW=wrong-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
enroll_proxy "$RIG/enroll-proxy-wrong.json" "$PROXY_USER" "$WRONG_PW"
refused "wrong proxy password" "proxy authentication failed" error
expect_match "wrong proxy password: the enrolled credentials are named" \
    "$(cat "$RIG/sync.err")" "proxy_user/proxy_password"
# No secret in any output, log or status (the enrollment files and
# tinyproxy's own config hold them by design).
b64w=$(printf '%s:%s' "$PROXY_USER" "$WRONG_PW" | base64 -w0)
b64=$(printf '%s:%s' "$PROXY_USER" "$PROXY_PW" | base64 -w0)
leaks=$(grep -rlF -e "$WRONG_PW" -e "$PROXY_PW" -e "$b64w" -e "$b64" \
    "$T_DIR" 2>/dev/null | grep -v -e '/rig/enroll-proxy' \
    -e '/sync/enroll.json$' -e '/tinyproxy/tinyproxy.conf$' | tr '\n' ' ')
expect_eq "no proxy secret in stdout, stderr, logs or status" "$leaks" ""
"$CLASSBOX" status --data "$BOX_DATA" >"$RIG/status.txt" 2>&1
if grep -qF -e "$WRONG_PW" -e "$b64w" "$RIG/status.txt"; then
	not_ok "classbox status shows no proxy secret"
else
	ok "classbox status shows no proxy secret"
fi

# 3. The proxy down.
enroll_proxy "$RIG/enroll-proxy-auth.json" "$PROXY_USER" "$PROXY_PW"
tp_stop
refused "proxy down" "cannot reach the proxy: 127.0.0.1 port $TP_PORT refused" offline
# ... and back: the same enrollment works again.
tp_start "BasicAuth $PROXY_USER $PROXY_PW"
synced_through "proxy back"
expect_eq "the enrollment's proxy: status says where it was set" \
    "$(box_status_get sync.proxy_source) $(box_status_get sync.proxy)" \
    "enrollment 127.0.0.1:$TP_PORT"

# 4. The proxy from the config: sync --proxy URL --proxy-auth FILE, as
# /etc/sv/sync/run passes CLASSBOX_PROXY and CLASSBOX_PROXY_AUTH. It wins
# over the enrollment's (here the one with the wrong password).
PROXY_URL=http://127.0.0.1:$TP_PORT
AUTHF=$RIG/proxy-auth
printf '%s:%s\n' "$PROXY_USER" "$PROXY_PW" >"$AUTHF"
chmod 0600 "$AUTHF"
box_enroll "$RIG/enroll-proxy-wrong.json" || not_ok "enroll: $(cat "$RIG/enroll.out")"
synced_through "the config's proxy, over the enrollment's" \
    --proxy "$PROXY_URL" --proxy-auth "$AUTHF"
expect_eq "the config's proxy: status says where it was set, and that a user and password are set" \
    "$(box_status_get sync.proxy_source) $(box_status_get sync.proxy) / $(box_status_get sync.proxy_auth)" \
    "config 127.0.0.1:$TP_PORT / user and password set"
refused "the config's proxy without its credentials" \
    "proxy authentication failed: the proxy refused to work without a user and password; none is set in the box's config" \
    error --proxy "$PROXY_URL"
chmod 0640 "$AUTHF"
sync_once --proxy "$PROXY_URL" --proxy-auth "$AUTHF"
expect_eq "a credentials file its group may read: refused at start (exit 2)" "$?" 2
expect_match "... saying how to fix it" "$(cat "$RIG/sync.err")" "only its owner may read \(chmod 600\)"
chmod 0600 "$AUTHF"
# (not sync_once: it keeps its arguments in sync.all, and this one holds
# the password; the leak check below covers what sync itself wrote)
"$CLASSBOX" sync --data "$BOX_DATA" --once --allow-unsynced-clock \
    --proxy "http://$PROXY_USER:$PROXY_PW@127.0.0.1:$TP_PORT" \
    >"$RIG/sync-userinfo.out" 2>&1
expect_eq "a password in the --proxy URL: refused (exit 2)" "$?" 2
expect_match "... saying where the password goes" "$(cat "$RIG/sync-userinfo.out")" \
    "must not hold a user or password"
sync_once --proxy-auth "$AUTHF"
expect_eq "--proxy-auth without --proxy: refused (exit 2)" "$?" 2

# 5. The admin's setting, through the API (as the sync page sends it).
ADMIN_PW=proxy-admin-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
pw=$("$CLASSBOX" user --sock "$BOX_SOCK" add office --role admin \
    --name "試験 office" 2>>"$T_DIR/user.log" |
    sed -n 's/^initial password for [^:]*: //p' | head -1)
login office office "$pw"
api office POST /api/v1/password \
    "{\"old_password\":\"$pw\",\"new_password\":\"$ADMIN_PW\"}"
login office office "$ADMIN_PW"
expect_eq "an admin logs in" "$STATUS" 200
DROP=$BOX_DATA/sync/drop/proxy.json
# put_proxy JSON: PUT /api/v1/sync/proxy as office
put_proxy() { api office PUT /api/v1/sync/proxy "$1"; }
proxy_field() {	# KEY: a field of GET /api/v1/sync/proxy
	api office GET /api/v1/sync/proxy
	printf '%s' "$BODY" | jq -r ".$1"
}
GOOD_SETTING=$(jq -cn --arg p "$PROXY_URL" --arg u "$PROXY_USER" --arg w "$PROXY_PW" \
    '{proxy: $p, proxy_user: $u, proxy_password: $w}')
# Refusals: nothing handed over.
source0=$(proxy_field source)
csrf_saved=$CSRF_office
CSRF_office=
put_proxy "$GOOD_SETTING"
CSRF_office=$csrf_saved
expect_eq "without the CSRF token: 403" "$STATUS" 403
code=$(curl -sS --cacert "$BOX_CA" -b "$T_DIR/jar.office" -X PUT \
    -H "Origin: https://evil.example" -H "X-CSRF-Token: $CSRF_office" \
    -H 'Content-Type: application/json' --data-binary "$GOOD_SETTING" \
    -o /dev/null -w '%{http_code}' "$BOX_URL/api/v1/sync/proxy" 2>>"$T_DIR/curl.log")
expect_eq "from another origin: 403" "$code" 403
put_proxy '{"proxy":"ftp://127.0.0.1:3128"}'
expect_eq "a bad URL: 400 invalid_proxy naming \"proxy\"" \
    "$STATUS $(printf '%s' "$BODY" | jq -r '.error.code + " " + .error.field')" \
    "400 invalid_proxy proxy"
expect_match "... in words, both languages" \
    "$(printf '%s' "$BODY" | jq -r '.error.message + " / " + .error.message_ja')" \
    'must be http://host:port / プロキシの設定が正しくありません'
put_proxy "$(jq -cn --arg p "$PROXY_URL" --arg u "$PROXY_USER" '{proxy: $p, proxy_user: $u}')"
expect_eq "a user without a password: 400 naming \"proxy_password\"" \
    "$STATUS $(printf '%s' "$BODY" | jq -r .error.field)" "400 proxy_password"
put_proxy "$(jq -cn --arg w "$PROXY_PW" '{proxy: "http://u:\($w)@127.0.0.1:3128"}')"
expect_eq "a password in the URL: 400" "$STATUS" 400
if printf '%s' "$BODY" | grep -qF "$PROXY_PW"; then
	not_ok "... the refusal does not echo it"
else ok "... the refusal does not echo it"; fi
if [ -e "$DROP" ]; then not_ok "nothing handed to sync after the refusals"
else ok "nothing handed to sync after the refusals"; fi
expect_eq "nothing changed: the proxy in use is still the config's" \
    "$source0 $(proxy_field source)" "config config"

# The good setting: it wins over the config's (a port nobody listens on)
# and the enrollment's (the wrong password).
DEAD_PORT=$(free_port)
put_proxy "$GOOD_SETTING"
expect_eq "the admin sets the proxy with a user and password (202)" "$STATUS" 202
expect_eq "... the answer says host, port and that both are set" \
    "$(printf '%s' "$BODY" | jq -r '"\(.host):\(.port) \(.user) \(.password)"')" \
    "127.0.0.1:$TP_PORT true true"
expect_eq "... handed to sync (the drop waits)" "$(proxy_field pending)" true
synced_through "the admin's proxy, over the config's and the enrollment's" \
    --proxy "http://127.0.0.1:$DEAD_PORT"
expect_eq "sync keeps it as DATA/sync/proxy.json (0600), the drop taken" \
    "$(stat -c %a "$BOX_DATA/sync/proxy.json" 2>/dev/null) $([ -e "$DROP" ] && echo waiting)" "600 "
api office GET /api/v1/sync/proxy
expect_eq "GET: the admin's, host:port, a user and a password set, taken" \
    "$(printf '%s' "$BODY" | jq -r '"\(.source) \(.host):\(.port) \(.user) \(.password) \(.pending) \(.result_ok)"')" \
    "admin 127.0.0.1:$TP_PORT true true false true"
expect_match "GET: what sync made of it, in words" \
    "$(printf '%s' "$BODY" | jq -r .result)" \
    "proxy set in the admin UI: 127.0.0.1 port $TP_PORT, with a user and password"
if printf '%s' "$BODY" | grep -qF -e "$PROXY_PW" -e "$PROXY_USER"; then
	not_ok "GET shows neither the user nor the password"
else ok "GET shows neither the user nor the password"; fi
api office GET "/api/v1/audit/ops?action=sync.proxy_set"
expect_eq "the operation log has sync.proxy_set on sync:proxy by office" \
    "$(printf '%s' "$BODY" | jq -r '[.items[] | select(.result == "ok")][0] | "\(.actor) \(.target)"')" \
    "office sync:proxy"

WRONG_PW2=wrong2-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
put_proxy "$(jq -cn --arg p "$PROXY_URL" --arg u "$PROXY_USER" --arg w "$WRONG_PW2" \
    '{proxy: $p, proxy_user: $u, proxy_password: $w}')"
expect_eq "the admin changes the password (202)" "$STATUS" 202
refused "the admin's proxy with a wrong password" \
    "proxy authentication failed: the proxy refused the user and password set in the admin UI" error

# Clearing: the config's applies again, then (no config) the enrollment's.
api office DELETE /api/v1/sync/proxy
expect_eq "the admin clears the proxy (202)" "$STATUS" 202
synced_through "cleared: the config's proxy again" --proxy "$PROXY_URL" --proxy-auth "$AUTHF"
expect_eq "cleared: DATA/sync/proxy.json is gone, the status says config" \
    "$([ -e "$BOX_DATA/sync/proxy.json" ] && echo there) $(proxy_field source)" " config"
refused "cleared, no config: the enrollment's proxy (wrong password) again" \
    "the enrolled proxy_user/proxy_password" error
api office GET "/api/v1/audit/ops?action=sync.proxy_clear"
expect_eq "the operation log has sync.proxy_clear" \
    "$(printf '%s' "$BODY" | jq -r '[.items[] | select(.result == "ok")][0].target')" \
    "sync:proxy"

# No password anywhere but where it is kept by design: the enrollment
# files, the credentials file, sync's own DATA/sync (enroll.json,
# proxy.json) and tinyproxy's config. The wrong admin password was never
# stored by design after the clear: not even there.
b64w2=$(printf '%s:%s' "$PROXY_USER" "$WRONG_PW2" | base64 -w0)
leaks=$(grep -rlF -e "$WRONG_PW" -e "$PROXY_PW" -e "$WRONG_PW2" -e "$b64w" \
    -e "$b64" -e "$b64w2" "$T_DIR" 2>/dev/null | grep -v -e '/rig/enroll-proxy' \
    -e '/sync/enroll.json$' -e '/tinyproxy/tinyproxy.conf$' \
    -e '/rig/proxy-auth$' | tr '\n' ' ')
expect_eq "no proxy password in any output, log, answer or status" "$leaks" ""
if grep -rqF "$WRONG_PW2" "$BOX_DATA"; then
	not_ok "the cleared setting's password is gone from the data directory"
else ok "the cleared setting's password is gone from the data directory"; fi
tp_stop
t_done
