# tests/lib.sh: the one helper library of the shell tests, sourced first by
# each test of tests/integration, tests/sync, tests/system, tests/ui,
# tests/crash and tests/revs (after `set -u`, which it sets too).
#
# Two libraries build on it and stay files of their own, each saying why
# at its top: tests/sync/rig.sh (the cloud: PouchDB Server, nginx, the
# fault proxy) and tests/system/qemu-lib (the image under QEMU: boot,
# console, power). Nothing else defines a helper of the kinds below.
#
#   Reporting   ok, not_ok, check, expect_eq, expect_match, t_done: a test
#               prints "ok - WHAT" / "not ok - WHAT" per check (tests/run-all
#               counts them) and exits non-zero if any failed. There is no
#               "skip": a check that cannot run is a "not ok" saying why.
#   Scratch     T_NAME (FOLDER-TEST, e.g. sync-https_date, unless given),
#               T_DIR = build/test/$T_NAME, emptied at the start
#   Waiting     wait_for SECONDS CMD..., wait_every, wait_port PORT [SECONDS]
#   Ports       free_port (never the same one twice in a test)
#   Tools       T_TOOLS: the C tools of the tests (make test-tools),
#               t_need_tools
#   The box     box_start, box_stop, box_service_pid: `classbox run` on
#               this host, in $T_DIR/data
#   HTTP        client, api, login: curl with a cookie jar and CSRF token
#   Classroom   admin_setup, new_user, activate, count_items, json_id,
#               export_zip, confirm_zip
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CLASSBOX=${CLASSBOX:-$TOP/build/host/classbox}
T_NAME=${T_NAME:-$(basename "$(dirname "$0")")-$(basename "$0" .sh)}
T_FAILED=0
T_DIR=$TOP/build/test/$T_NAME
T_TOOLS=${T_TOOLS:-$TOP/build/host/test-tools}
rm -rf "$T_DIR"
mkdir -p "$T_DIR"

# ---- reporting ----
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; T_FAILED=$((T_FAILED + 1)); }

# check WHAT CMD...: passes when CMD exits 0 (its output goes to
# $T_DIR/check.log).
check() {
	what=$1; shift
	if "$@" >>"$T_DIR/check.log" 2>&1; then ok "$what"; else not_ok "$what"; fi
}

# expect_eq WHAT GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got '$2', want '$3')"; fi
}

# expect_match WHAT TEXT REGEX (grep -E)
expect_match() {
	if printf '%s' "$2" | grep -Eq -- "$3"; then ok "$1"
	else not_ok "$1 (got '$(printf '%s' "$2" | head -c 300)', want /$3/)"; fi
}

# t_done: stop the box (if one runs) and exit: 0 when no check failed.
t_done() {
	box_stop
	[ "$T_FAILED" -eq 0 ]
	exit $?
}

# ---- waiting ----
# wait_for SECONDS CMD...: until CMD succeeds (tried every 0.2 s); 1 when
# SECONDS pass first. wait_every INTERVAL SECONDS CMD...: the same, tried
# every INTERVAL seconds (a guest under QEMU answers slowly).
wait_every() {
	_step=$1 _end=$(($(date +%s) + $2)); shift 2
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep "$_step"
	done
}
wait_for() { wait_every 0.2 "$@"; }

# wait_port PORT [SECONDS]: until something listens on TCP PORT (10 s).
port_listened() { ss -tlnH "sport = :$1" | grep -q .; }
wait_port() { wait_for "${2:-10}" port_listened "$1"; }

# ---- ports ----
# free_port: a port below the kernel's ephemeral range (32768-60999 by
# default), so that no client socket can be holding it, that no TCP socket
# uses in any state and no UDP socket is bound to, and that this test has
# not handed out before (they are listened on only later). tests/run-all
# gives each of its lanes a range of its own (T_PORT_LO, T_PORT_HI), so
# that two tests running at once never race for the same port.
# (The ports handed out are kept in a file: free_port runs in $(...).)
free_port() {
	while :; do
		_p=$(shuf -i "${T_PORT_LO:-20000}-${T_PORT_HI:-32000}" -n 1)
		grep -qx "$_p" "$T_DIR/ports" 2>/dev/null && continue
		ss -tuanH "sport = :$_p" | grep -q . && continue
		echo "$_p" >>"$T_DIR/ports"
		echo "$_p"
		return
	done
}

# ---- tools ----
# t_need_tools NAME...: the C tools of the tests are built in $T_TOOLS by
# `make test-tools` (tests/sync/faultproxy.c, storetool.c,
# tests/revs/revs_check.c, LMDB's mdb_dump and mdb_load); a "not ok" for
# each one missing, and 1 if any is.
t_need_tools() {
	_rc=0
	for _t in "$@"; do
		[ -x "$T_TOOLS/$_t" ] && continue
		not_ok "$T_TOOLS/$_t is built (make test-tools)"
		_rc=1
	done
	return $_rc
}

# ---- the box on this host ----
# box_start [extra run args]: starts `classbox run` in its own data dir
# (waiting up to BOX_START_TENTHS tenths of a second, 300 by default);
# sets BOX_PID BOX_PORT BOX_HTTP_PORT BOX_URL BOX_CA BOX_PW BOX_DATA BOX_SOCK.
box_start() {
	BOX_DATA=${BOX_DATA:-$T_DIR/data}
	BOX_PORT=$(free_port)
	BOX_HTTP_PORT=$(free_port)
	BOX_URL=https://localhost:$BOX_PORT
	BOX_LOG=$T_DIR/box.log
	"$CLASSBOX" run --data "$BOX_DATA" --port "$BOX_PORT" \
	    --http-port "$BOX_HTTP_PORT" "$@" >"$T_DIR/box.out" 2>"$BOX_LOG" &
	BOX_PID=$!
	for _ in $(seq 1 "${BOX_START_TENTHS:-300}"); do
		grep -q 'Stop:' "$T_DIR/box.out" 2>/dev/null && break
		kill -0 "$BOX_PID" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -q 'Stop:' "$T_DIR/box.out"; then
		not_ok "box started (see $BOX_LOG)"
		cat "$BOX_LOG" >&2
		return 1
	fi
	BOX_PW=$(sed -n 's/.*initial password "\([^"]*\)".*/\1/p' "$T_DIR/box.out")
	BOX_CA=$BOX_DATA/web/tls/cert.pem
	BOX_SOCK=$BOX_DATA/run/auth.sock
	# web writes its certificate a moment after `run` says it started
	# (seconds on a loaded machine): curl fails (77) without it.
	for _ in $(seq 1 200); do [ -s "$BOX_CA" ] && break; sleep 0.1; done
	trap box_stop EXIT
}

box_stop() {
	[ -n "${BOX_PID:-}" ] || return 0
	kill "$BOX_PID" 2>/dev/null
	wait "$BOX_PID" 2>/dev/null
	BOX_PID=
	# A box built with SAN=1 reports memory and undefined-behaviour
	# errors on its stderr: any report fails the test that caused it.
	if grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' \
	    "${BOX_LOG:-/dev/null}" 2>/dev/null; then
		not_ok "no sanitizer report in $BOX_LOG"
		grep -m 5 -A 12 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "${BOX_LOG:-/dev/null}" >&2
	fi
}

# pid of a service started by the box (auth or web)
box_service_pid() {
	pgrep -P "$BOX_PID" -f "classbox $1" | head -1
}

# ---- HTTP ----
# A client: its own cookie jar and CSRF token. Usage:
#   client NAME; api NAME METHOD PATH [JSON]  -> sets STATUS and BODY
client() {
	: >"$T_DIR/jar.$1"
	eval "CSRF_$1="
}

api() {
	name=$1 method=$2 path=$3 data=${4-}
	jar=$T_DIR/jar.$name
	eval "csrf=\${CSRF_$name:-}"
	set -- -sS --cacert "$BOX_CA" -b "$jar" -c "$jar" -X "$method" \
	    -H "Origin: $BOX_URL" -o "$T_DIR/body" -w '%{http_code}'
	[ -n "$csrf" ] && set -- "$@" -H "X-CSRF-Token: $csrf"
	[ -n "$data" ] && set -- "$@" -H 'Content-Type: application/json' \
	    --data-binary "$data"
	STATUS=$(curl "$@" "$BOX_URL$path" 2>>"$T_DIR/curl.log")
	BODY=$(cat "$T_DIR/body")
	tok=$(printf '%s' "$BODY" | sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p')
	[ -n "$tok" ] && eval "CSRF_$name=\$tok"
	return 0
}

# login NAME UID PASSWORD -> STATUS/BODY
login() {
	client "$1"
	api "$1" POST /api/v1/login "{\"user\":\"$2\",\"password\":\"$3\"}"
}

# ---- the classroom scenarios (school_day.sh, authz_matrix.sh, ...) ----
NEWPW=Tsubame-Nishi-77		# every account's password after the first login
ADMIN_PW=Sakura-2026-spring
CREATED=0

# admin_setup: the admin logs in with the printed password and changes it.
admin_setup() {
	login admin admin "$BOX_PW"
	api admin POST /api/v1/password "{\"old_password\":\"$BOX_PW\",\"new_password\":\"$ADMIN_PW\"}"
	[ "$STATUS" = 204 ] || not_ok "admin password change (got $STATUS)"
}

# new_user ID JSON: the admin creates an account (auth + roster record);
# its initial password goes to $T_DIR/pw.ID.
new_user() {
	api admin POST /api/v1/users "$2"
	if [ "$STATUS" = 201 ]; then
		CREATED=$((CREATED + 1))
		printf '%s' "$BODY" | sed -n 's/.*"initial_password":"\([^"]*\)".*/\1/p' >"$T_DIR/pw.$1"
	else
		not_ok "create $1 (got $STATUS $BODY)"
	fi
}

# activate CLIENT ID: first login and the forced password change.
activate() {
	login "$1" "$2" "$(cat "$T_DIR/pw.$2")"
	api "$1" POST /api/v1/password "{\"old_password\":\"$(cat "$T_DIR/pw.$2")\",\"new_password\":\"$NEWPW\"}"
	[ "$STATUS" = 204 ] || not_ok "first login of $2 (got $STATUS $BODY)"
}

# count_items: the number of items in the list answer in BODY.
count_items() {
	printf '%s' "$BODY" | python3 -c 'import json,sys
try: print(len(json.load(sys.stdin)["items"]))
except Exception: print(-1)'
}

# json_id: the _id of the record answer in BODY.
json_id() {
	printf '%s' "$BODY" | python3 -c 'import json,sys
try: print(json.load(sys.stdin)["_id"])
except Exception: print("")'
}

# export_zip OUT: the admin downloads the whole export (XID: its id);
# confirm_zip FILE: the admin confirms a download by its SHA-256 (the
# termination waits for that: docs/operations.md "Before the end").
export_zip() {
	curl -sS --cacert "$BOX_CA" -b "$T_DIR/jar.admin" -D "$T_DIR/xhdr" \
	    -o "$1" "$BOX_URL/api/v1/export" 2>>"$T_DIR/curl.log"
	XID=$(tr -d '\r' <"$T_DIR/xhdr" | sed -n 's/^X-Export-Id: //p')
}
confirm_zip() {
	api admin POST /api/v1/export/confirm "{\"export_id\":${XID:-0},\"sha256\":\"$(sha256sum <"$1" | cut -c1-64)\"}"
}
