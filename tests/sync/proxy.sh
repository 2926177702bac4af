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
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/sync/rig.sh"

command -v tinyproxy >/dev/null 2>&1 ||
    rig_fail "tinyproxy is installed (tools/install-packages)"
rig_start
rig_box_start || t_done
"$RIG_BIN/storetool" seed "$BOX_DATA" 5 local >/dev/null

TP=$RIG/tinyproxy
mkdir -p "$TP"
# tinyproxy runs as nobody: its directory must be its own to write.
TP_USER=nobody
TP_GROUP=$(id -gn nobody 2>/dev/null || echo nogroup)
chown "$TP_USER:$TP_GROUP" "$TP" 2>/dev/null || chmod 0777 "$TP"
rig_port TP_PORT
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
	rig_wait_port "$TP_PORT" ||
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

# synced_through WHAT: sync --once passes and tinyproxy carried the tunnel
synced_through() {
	c0=$(fp_stat conns)
	l0=$(grep -c "Request .*: CONNECT " "$TP/tinyproxy.log")
	if sync_once; then ok "$1: sync --once passes"
	else not_ok "$1: sync --once passes ($(cat "$RIG/sync.err"))"; fi
	expect_eq "$1: status ok" "$(box_status_get sync.state)" ok
	l1=$(grep -c "Request .*: CONNECT " "$TP/tinyproxy.log")
	if [ "$l1" -gt "$l0" ]; then ok "$1: tinyproxy logged the CONNECT"
	else not_ok "$1: tinyproxy logged the CONNECT ($TP/tinyproxy.log)"; fi
	expect_match "$1: to the cloud's host and port" \
	    "$(grep "Request .*: CONNECT " "$TP/tinyproxy.log" | tail -1)" \
	    "CONNECT localhost:$FP_PORT HTTP/1.1"
	if [ "$(fp_stat conns)" -gt "$c0" ]; then ok "$1: the rig saw the connection"
	else not_ok "$1: the rig saw the connection"; fi
}

# refused WHAT REGEX STATE: sync --once fails, saying REGEX, status STATE
refused() {
	if sync_once; then not_ok "$1: sync refuses"; else ok "$1: sync refuses"; fi
	expect_match "$1: it says why" "$(cat "$RIG/sync.err")" "$2"
	expect_eq "$1: status $3" "$(box_status_get sync.state)" "$3"
	expect_match "$1: status says why" "$(box_status_get sync.last_error)" "$2"
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
tp_stop
t_done
