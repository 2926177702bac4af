#!/bin/sh
# tests/bench/audit.sh (make bench): the operation log beside a flat file
# doing the least the same job needs, in the same run (tests/bench/audit.c):
# durable appends, 10 years of a large school's entries, verify, purge of
# the 5 years the cloud has. Prints a markdown table with ratios for
# docs/benchmarks.md.
#   BENCH_AUDIT_DURABLE   entries appended one commit each (default 500)
#   BENCH_AUDIT_ENTRIES   synthetic entries over 10 years (default 5000000)
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP"
ND=${BENCH_AUDIT_DURABLE:-500}
N=${BENCH_AUDIT_ENTRIES:-5000000}
OUT=build/bench/audit
rm -rf "$OUT"; mkdir -p "$OUT/run"
BIN=build/host/test-tools/bench_audit	# tests/bench/audit.c, built by make bench
[ -x "$BIN" ] || { echo "audit.sh: make $BIN first (make bench does)" >&2; exit 1; }
"$BIN" "$OUT/run" "$ND" "$N" 2>"$OUT/log" >"$OUT/result"
v() { sed -n "s/^$1 //p" "$OUT/result"; }
r() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
S=$(v synth_entries); P=$(v purge_entries)
echo "audit log bench: $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
echo
echo "| measurement | audit log | flat-file baseline | log/baseline |"
echo "|---|---|---|---|"
echo "| durable appends, 1 commit each ($(v durable_entries)), entries/s | $(v durable_log_per_s) | $(v durable_flat_per_s) | $(r "$(v durable_log_per_s)" "$(v durable_flat_per_s)") |"
echo "| 10 years, $S entries in commits of 10,000: s (entries/s) | $(v synth_log_s) ($(rate "$S" "$(v synth_log_s)")) | $(v synth_flat_s) ($(rate "$S" "$(v synth_flat_s)")) | $(r "$(v synth_log_s)" "$(v synth_flat_s)") |"
echo "| bytes on disk | $(v synth_log_bytes) | $(v synth_flat_bytes) | $(r "$(v synth_log_bytes)" "$(v synth_flat_bytes)") |"
echo "| verify all $S: s (entries/s) | $(v verify_log_s) ($(rate "$S" "$(v verify_log_s)")) | $(v verify_flat_s) ($(rate "$S" "$(v verify_flat_s)")) | $(r "$(v verify_log_s)" "$(v verify_flat_s)") |"
echo "| purge the older 5 years ($P entries): s | $(v purge_log_s) | $(v purge_flat_s) | $(r "$(v purge_log_s)" "$(v purge_flat_s)") |"
echo "| verify after the purge: s | $(v verify_after_purge_s) | | |"
rm -rf "$OUT/run"
