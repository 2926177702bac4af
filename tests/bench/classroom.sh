#!/bin/sh
# make bench, classroom part (issue 3): against the demo school
# (`classbox run --demo`), over HTTPS, beside nginx in the same run:
#  1. a read-heavy mix at BENCH_CONNS (1000) concurrent connections: the
#     class roster (GET /classes/{id}/members as the homeroom teacher), the
#     announcement list (GET /announcements?class= as a student), the
#     student's own submissions (GET /assignments/{id}/submissions), one
#     wrk Lua script rotating the three over 8 homerooms; nginx serves a
#     static JSON file of the roster answer's size at the same concurrency.
#  2. attendance roll calls (POST /attendance, 35 entries, durable commits)
#     by the 8 homeroom teachers of grade 1: roll calls/s and entries/s.
# Prints a markdown table; docs/benchmarks.md keeps one.
# The demo data directory is kept (build/bench-classroom/box) and reused;
# BENCH_FRESH=1 seeds it again (about 80 s on 2 cores).
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP"
CLASSBOX=${CLASSBOX:-build/host/classbox}
D=$TOP/build/bench-classroom
DUR=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNS:-1000}
WCONNS=${BENCH_WRITE_CONNS:-8}
command -v wrk >/dev/null && command -v nginx >/dev/null || tools/install-packages
# 1000 client sockets + 1000 server sockets (+ nginx's) in this session
ulimit -n 8192 2>/dev/null || ulimit -n 4096 2>/dev/null || true
[ "$(ulimit -n)" -ge 2200 ] || echo "warning: ulimit -n is $(ulimit -n); $CONNS connections may not fit" >&2

mkdir -p "$D"
[ "${BENCH_FRESH:-0}" = 1 ] && rm -rf "$D/box"
rm -rf "$D/nginx" "$D/wrk"; mkdir -p "$D/wrk"
port() { while :; do p=$(shuf -i 20000-32000 -n 1); ss -tanH "sport = :$p" | grep -q . || { echo $p; return; }; done; }
BP=$(port); NP=$(port)
t0=$(date +%s)
"$CLASSBOX" run --demo --data "$D/box" --port "$BP" --http-port 0 >"$D/box.out" 2>"$D/box.log" &
BOX=$!
NGX=
cleanup() { kill $BOX 2>/dev/null; wait $BOX 2>/dev/null; [ -n "$NGX" ] && nginx -p "$D/nginx" -c "$D/nginx/nginx.conf" -s stop 2>/dev/null; true; }
trap cleanup EXIT
for _ in $(seq 1 3000); do grep -q Stop: "$D/box.out" 2>/dev/null && break; kill -0 $BOX 2>/dev/null || break; sleep 0.1; done
grep -q Stop: "$D/box.out" || { echo "box did not start: $D/box.log" >&2; exit 1; }
SEED=$(sed -n 's/^demo: seeded in \([0-9.]*\) s.*/\1/p' "$D/box.out")
CA=$D/box/web/tls/cert.pem
U=https://localhost:$BP
PWF=$D/box/demo-passwords.csv
m=$(TZ=Asia/Tokyo date +%m); Y=$(TZ=Asia/Tokyo date +%Y); [ "${m#0}" -lt 4 ] && Y=$((Y - 1))
TODAY=$(TZ=Asia/Tokyo date +%Y-%m-%d)

# login UID -> "cookie csrf" on stdout
login() {
	pw=$(awk -F, -v u="$1" '$1==u{print $NF}' "$PWF")
	curl -sS --cacert "$CA" -c "$D/jar.$1" -H "Origin: $U" -H 'Content-Type: application/json' \
	    -d "{\"user\":\"$1\",\"password\":\"$pw\"}" "$U/api/v1/login" >"$D/login.$1"
	printf '%s %s\n' "$(awk '$6=="cb_session"{print $7}' "$D/jar.$1")" \
	    "$(sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p' "$D/login.$1")"
}
get() {	# COOKIE PATH
	curl -sS --cacert "$CA" -H "Cookie: cb_session=$1" "$U$2"
}

# The read mix: per homeroom 1-c, its teacher's roster, a student's
# announcement list and own submissions of the first math assignment.
: >"$D/wrk/reads.txt"
for c in 1 2 3 4 5 6 7 8; do
	set -- $(login t0$c); tc=$1
	set -- $(login "s1$(printf %02d $c)01"); sc=$1
	aid=$(get "$sc" "/api/v1/assignments?class=class:$Y:1-$c-math&limit=1" |
	    sed -n 's/.*"_id":"\(assignment:[A-Za-z0-9]*\)".*/\1/p' | head -1)
	printf '%s %s\n' "/api/v1/classes/class:$Y:1-$c/members?limit=40" "$tc" >>"$D/wrk/reads.txt"
	printf '%s %s\n' "/api/v1/announcements?class=class:$Y:1-$c&limit=20" "$sc" >>"$D/wrk/reads.txt"
	printf '%s %s\n' "/api/v1/assignments/$aid/submissions?limit=20" "$sc" >>"$D/wrk/reads.txt"
done
# Every path answers 200 before we measure.
while read -r path cookie; do
	code=$(curl -sS -o "$D/wrk/last.json" -w '%{http_code}' --cacert "$CA" -H "Cookie: cb_session=$cookie" "$U$path")
	[ "$code" = 200 ] || { echo "GET $path answered $code: $(cat "$D/wrk/last.json")" >&2; exit 1; }
done <"$D/wrk/reads.txt"
sz_roster=$(get "$(sed -n 1p "$D/wrk/reads.txt" | cut -d' ' -f2)" "$(sed -n 1p "$D/wrk/reads.txt" | cut -d' ' -f1)" | wc -c)

cat >"$D/wrk/reads.lua" <<'LUA'
local reqs = {}
for line in io.lines(os.getenv("READS")) do
  local path, cookie = line:match("^(%S+) (%S+)$")
  reqs[#reqs + 1] = wrk.format("GET", path, { ["Cookie"] = "cb_session=" .. cookie })
end
local i = 0
function init(args) i = math.random(#reqs) end
function request() i = i % #reqs + 1; return reqs[i] end
LUA

# The roll calls: teacher t0c, homeroom 1-c, 35 students, today, period 1..6.
: >"$D/wrk/writes.txt"
for c in 1 2 3 4 5 6 7 8; do
	set -- $(login t0$c)
	body="{\"class_id\":\"class:$Y:1-$c\",\"date\":\"$TODAY\",\"period\":1,\"entries\":["
	for n in $(seq 1 35); do
		st=present; [ $((n % 11)) = 0 ] && st=absent
		body="$body{\"student_id\":\"s1$(printf %02d $c)$(printf %02d $n)\",\"status\":\"$st\"}"
		[ $n = 35 ] || body="$body,"
	done
	printf '%s\t%s\t%s\n' "$1" "$2" "$body]}" >>"$D/wrk/writes.txt"
done
code=$(curl -sS -o "$D/wrk/last.json" -w '%{http_code}' --cacert "$CA" -H "Origin: $U" \
    -H "Cookie: cb_session=$(cut -f1 "$D/wrk/writes.txt" | head -1)" \
    -H "X-CSRF-Token: $(cut -f2 "$D/wrk/writes.txt" | head -1)" -H 'Content-Type: application/json' \
    --data-binary "$(cut -f3 "$D/wrk/writes.txt" | head -1)" "$U/api/v1/attendance")
[ "$code" = 200 ] || [ "$code" = 201 ] || { echo "POST /attendance answered $code: $(cat "$D/wrk/last.json")" >&2; exit 1; }
cat >"$D/wrk/writes.lua" <<LUA
local reqs = {}
for line in io.lines(os.getenv("WRITES")) do
  local cookie, csrf, body = line:match("^([^\t]+)\t([^\t]+)\t(.+)$")
  reqs[#reqs + 1] = wrk.format("POST", "/api/v1/attendance", {
    ["Cookie"] = "cb_session=" .. cookie, ["X-CSRF-Token"] = csrf,
    ["Origin"] = "$U", ["Host"] = "localhost:$BP",
    ["Content-Type"] = "application/json" }, body)
end
local i = 0
function init(args) i = math.random(#reqs) end
function request() i = i % #reqs + 1; return reqs[i] end
LUA

# nginx: one worker, TLS 1.3, the box's certificate, a roster-sized file.
mkdir -p "$D/nginx/logs" "$D/nginx/www"
head -c "$sz_roster" /dev/zero | tr '\0' ' ' >"$D/nginx/www/roster.json"
cp "$CA" "$D/nginx/cert.pem"; cp "$D/box/web/tls/key.pem" "$D/nginx/key.pem"
cat >"$D/nginx/nginx.conf" <<NGX
worker_processes 1;
worker_rlimit_nofile 8192;
error_log $D/nginx/logs/error.log;
pid $D/nginx/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$NP ssl backlog=4096;
    ssl_certificate $D/nginx/cert.pem;
    ssl_certificate_key $D/nginx/key.pem;
    ssl_protocols TLSv1.3;
    ssl_ecdh_curve prime256v1;
    keepalive_requests 1000000;
    location / { root $D/nginx/www; default_type application/json; }
  }
}
NGX
nginx -p "$D/nginx" -c "$D/nginx/nginx.conf"; NGX=1
sleep 0.5

: >"$D/results"
wrk_run() {	# NAME CONNS URL [wrk args]
	name=$1 c=$2 url=$3; shift 3
	READS=$D/wrk/reads.txt WRITES=$D/wrk/writes.txt \
	    wrk -t2 -c"$c" -d"${DUR}s" --timeout 10s --latency "$@" "$url" >"$D/$name.wrk" 2>&1 || true
	rps=$(awk '/^Requests\/sec/{print $2}' "$D/$name.wrk")
	p50=$(awk '$1=="50%"{print $2}' "$D/$name.wrk")
	p99=$(awk '$1=="99%"{print $2}' "$D/$name.wrk")
	errs=$(awk '/Non-2xx|Socket errors/' "$D/$name.wrk" | tr '\n' ' ')
	echo "$name ${rps:-0} ${p50:--} ${p99:--} $errs" >>"$D/results"
}
wrk_run box_reads "$CONNS" "$U" -s "$D/wrk/reads.lua"
wrk_run nginx_reads "$CONNS" "https://localhost:$NP/roster.json"
wrk_run box_rollcalls "$WCONNS" "$U" -s "$D/wrk/writes.lua"

r() { awk -v n="$1" '$1==n{print $'"$2"'}' "$D/results"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a / b; else print "-" }'; }
rolls=$(r box_rollcalls 2)
cat <<OUT

## make bench: classroom ($(date -u +%Y-%m-%d), $(nproc) cores, demo school, wrk -t2 -d${DUR}s, TLS 1.3 P-256)

Demo school seeded in ${SEED:-(reused)} s.

| measurement | classbox | nginx (static file, $sz_roster bytes) | classbox/nginx |
|---|---|---|---|
| read mix at $CONNS connections, req/s | $(r box_reads 2) | $(r nginx_reads 2) | $(ratio "$(r box_reads 2)" "$(r nginx_reads 2)") |
| read mix p50 latency | $(r box_reads 3) | $(r nginx_reads 3) | |
| read mix p99 latency | $(r box_reads 4) | $(r nginx_reads 4) | |
| roll calls (35 entries, durable) at $WCONNS connections, /s | $rolls | | |
| attendance entries written /s | $(awk -v a="$rolls" 'BEGIN{printf "%.0f", a * 35}') | | |
| roll call p50 / p99 latency | $(r box_rollcalls 3) / $(r box_rollcalls 4) | | |

Errors reported by wrk (if any): $(awk '{ $1=$1; if (NF > 4) { printf "%s: ", $1; for (i = 5; i <= NF; i++) printf "%s ", $i; printf "; " } }' "$D/results")
OUT
