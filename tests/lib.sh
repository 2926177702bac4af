# tests/lib.sh: helpers for the integration tests, sourced by each
# tests/integration/*.sh. A test prints "ok - WHAT" or "not ok - WHAT" per
# check (tests/run-all counts them) and exits non-zero if any failed.

set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CLASSBOX=${CLASSBOX:-$TOP/build/host/classbox}
T_NAME=${T_NAME:-$(basename "$0" .sh)}
T_FAILED=0
T_DIR=$TOP/build/test/$T_NAME
rm -rf "$T_DIR"
mkdir -p "$T_DIR"

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; T_FAILED=$((T_FAILED + 1)); }

# check WHAT CMD...: passes when CMD exits 0.
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

# free_port: a TCP port below the kernel's ephemeral range (32768-60999 by
# default), so that no client socket can be holding it, and that no socket
# uses in any state.
free_port() {
	while :; do
		p=$(shuf -i 20000-32000 -n 1)
		ss -tanH "sport = :$p" | grep -q . && continue
		echo "$p"
		return
	done
}

# box_start [extra run args]: starts `classbox run` in its own data dir
# (waiting up to BOX_START_TENTHS tenths of a second, 300 by default);
# sets BOX_PID BOX_PORT BOX_HTTP_PORT BOX_URL BOX_CA BOX_PW BOX_DATA BOX_SOCK.
box_start() {
	BOX_DATA=${BOX_DATA:-$T_DIR/data}
	BOX_PORT=$(free_port)
	BOX_HTTP_PORT=$(free_port)
	while [ "$BOX_HTTP_PORT" = "$BOX_PORT" ]; do BOX_HTTP_PORT=$(free_port); done
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

t_done() {
	box_stop
	[ "$T_FAILED" -eq 0 ]
	exit $?
}
