#!/bin/sh
# tests/bench/reset_timing.sh (make bench): does the time of a password
# reset request tell whether the account exists? (issue 20; the test that
# the two paths do the same work is tests/integration/accounts.sh). Runs
# tests/bench/reset_timing.py against this build and, when BASE_CLASSBOX
# names another build (say, one from before the fix), against that one too,
# in the same run. Prints a markdown table for docs/benchmarks.md.
#   BENCH_RESET_SAMPLES  requests per kind (default 150)
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP"
N=${BENCH_RESET_SAMPLES:-150}
OUT=build/bench/reset
rm -rf "$OUT"; mkdir -p "$OUT"
port() { while :; do p=$(shuf -i 20000-32000 -n 1); ss -tanH "sport = :$p" | grep -q . || { echo $p; return; }; done; }

# run LABEL BINARY: one box, N students, 2N requests; prints a table row.
run() {
	d=$OUT/$1; mkdir -p "$d"
	bp=$(port)
	# "::" so that the 127.x.y.z sources the script binds reach it.
	"$2" run --data "$d/box" --bind :: --port "$bp" --http-port 0 --no-sync \
	    >"$d/box.out" 2>"$d/box.log" &
	box=$!
	for _ in $(seq 1 300); do grep -q Stop: "$d/box.out" 2>/dev/null && break; sleep 0.1; done
	pw=$(sed -n 's/.*initial password "\([^"]*\)".*/\1/p' "$d/box.out")
	ca=$d/box/web/tls/cert.pem u=https://localhost:$bp j=$d/jar
	for _ in $(seq 1 100); do [ -s "$ca" ] && break; sleep 0.1; done
	curl -sS --cacert "$ca" -c $j -H "Origin: $u" -H 'Content-Type: application/json' \
	    -d "{\"user\":\"admin\",\"password\":\"$pw\"}" $u/api/v1/login >"$d/login.json"
	csrf=$(sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p' "$d/login.json")
	h() { curl -sS --cacert "$ca" -b $j -c $j -H "Origin: $u" -H "X-CSRF-Token: $csrf" \
	    -H 'Content-Type: application/json' "$@"; }
	h -d "{\"old_password\":\"$pw\",\"new_password\":\"Bench-Kiri-Sakura-9\"}" $u/api/v1/password
	for i in $(seq 0 $((N - 1))); do
		h -o /dev/null -d "{\"id\":\"bench.s$i\",\"name\":\"Bench $i\",\"role\":\"student\"}" $u/api/v1/users
	done
	python3 tests/bench/reset_timing.py "$bp" "$ca" "$N" bench.s >"$d/result"
	kill $box; wait $box 2>/dev/null || true
	v() { sed -n "s/^$1 //p" "$d/result"; }
	same=$(awk -v d="$(v ks_d)" -v c="$(v ks_crit)" -v p="$(v mw_p)" \
	    'BEGIN { print (d < c && p > 0.05) ? "yes" : "no" }')
	echo "| $1 | $(v median_real_ms) | $(v median_none_ms) | $(awk -v a="$(v median_real_ms)" -v b="$(v median_none_ms)" 'BEGIN { printf "%.2f", a / b }') | $(v mw_p) | $(v ks_d) (< $(v ks_crit)?) | $same |"
}
echo "reset-request timing: $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), $N requests per kind"
echo
echo "| build | median, account exists (ms) | median, no such account (ms) | ratio | Mann-Whitney p | KS D (5 % critical) | indistinguishable |"
echo "|---|---|---|---|---|---|---|"
run this "${CLASSBOX:-build/host/classbox}"
[ -n "${BASE_CLASSBOX:-}" ] && run base "$BASE_CLASSBOX"
true
