#!/bin/sh
# make bench, sync part (issue 4): the box's `classbox sync` beside PouchDB
# (node, tests/bench/sync_pouch.js) in the same run, from the same PouchDB
# Server behind the same nginx (TLS 1.3, client certificates) and the same
# fault proxy in pass mode, which counts the bytes on the wire:
#  1. initial pull of a school shaped like the demo school with attendance
#     for every period (tests/bench/sync_school.js; BENCH_SYNC_DAYS=40
#     school days: 204,184 documents), seeded into PouchDB Server with
#     _bulk_docs; the box's first cycle (pull, then its push finding
#     nothing new) against PouchDB's pull;
#  2. push of a day's changes (840 students x 6 periods = 5,040 attendance
#     records, loaded into the box's store as people's edits) against
#     PouchDB pushing the same records (another date) from its database;
#  3. the push of another day over a link with BENCH_SYNC_RTT_MS (30) of
#     round trip, as a school's uplink to the platform's region (the fault
#     proxy's delay mode: half of it each way); 0 leaves it out. On the
#     loopback the push is bound by PouchDB Server's own time; over a real
#     link, by the round trips each client makes.
# Prints a markdown table (documents/s, bytes on the wire per document,
# ratios); docs/benchmarks.md keeps one. The rig is tests/sync/rig.sh: the
# server is PouchDB Server, or with RIG_PEER=couchdb Apache CouchDB 3.4.3
# (its school database q=RIG_COUCH_Q, 16), which `make bench` runs too:
# box and PouchDB then both replicate from the same CouchDB.
T_NAME=${T_NAME:-bench_sync_${RIG_PEER:-pouchdb}}	# one directory per server
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/sync/rig.sh"
DAYS=${BENCH_SYNC_DAYS:-40}
RTT=${BENCH_SYNC_RTT_MS:-30}
RIG_NODE_MB=${RIG_NODE_MB:-8192}
B=$TOP/tests/bench

rig_start
WAN_ARGS=
[ "$RTT" -gt 0 ] && WAN_ARGS="$RIG/wan-pouch.ndjson $((RTT / 2))"
t0=$(date +%s)
if [ "$RIG_PEER" = couchdb ]; then
	SERVER="CouchDB $COUCH_VERSION (q=$RIG_COUCH_Q)"
else
	SERVER="PouchDB Server $(jq -r .version "$TOP/tests/sync/node_modules/pouchdb-server/package.json")"
fi
n=$(node --max-old-space-size=4096 "$B/sync_school.js" school "$DAYS" "$CLOUD/$SCHOOL_DB") ||
    rig_fail "seeding $SERVER"
echo "# $SERVER: $n documents seeded in $(( $(date +%s) - t0 )) s" >&2
node "$B/sync_school.js" day 2026-11-26 >"$RIG/day-box.ndjson"
node "$B/sync_school.js" day 2026-11-27 >"$RIG/day-pouch.ndjson"
node "$B/sync_school.js" day 2026-11-30 >"$RIG/wan-box.ndjson"
node "$B/sync_school.js" day 2026-12-01 >"$RIG/wan-pouch.ndjson"
DAY_DOCS=$(wc -l <"$RIG/day-box.ndjson")

ms() { date +%s%N | cut -c1-13; }

# The box: a fresh data directory, enrolled, one cycle, then a day.
rig_box_start || t_done
box_enroll "$ENROLL" || rig_fail "enroll: $(cat "$RIG/enroll.out")"
# by_kind FROM TO: the HTTP requests nginx saw (access log lines FROM+1
# to TO), per endpoint: count, request bytes, response bytes (TLS records
# not included)
by_kind() {
	nginx_requests | sed -n "$(($1 + 1)),${2}p" | awk '{
	    split($8, p, "?"); n = split(p[1], seg, "/"); k = $7 " " seg[n]
	    if (seg[n - 1] == "_local") k = $7 " _local"
	    c[k]++; q[k] += $4; r[k] += $5 }
	    END { for (k in c) printf "#   %-22s %6d requests %11d bytes up %11d down\n", substr(k, 2), c[k], q[k], r[k] }' |
	    sort -k1,1
}
mark=$(nginx_requests | wc -l)
fp zero >/dev/null
a=$(ms)
SYNC_TIMEOUT=3600 sync_once || rig_fail "box pull: $(tail -2 "$RIG/sync.err")"
b=$(ms)
BOX_PULL_MS=$((b - a))
BOX_PULL_BYTES=$(( $(fp_stat up) + $(fp_stat down) ))
BOX_PULL_DOCS=$("$T_TOOLS/storetool" dump "$BOX_DATA" | wc -l)
[ "$BOX_PULL_DOCS" -eq "$n" ] || echo "# warning: the box holds $BOX_PULL_DOCS of $n" >&2
m1=$(nginx_requests | wc -l)
echo "# box, first cycle:" >&2; by_kind "$mark" "$m1" >&2
# PouchDB (node) through the same proxy: its pull now, its push after the
# box's (it waits on a fifo).
P=$RIG/pki
mkfifo "$RIG/go"
node --max-old-space-size=4096 "$B/sync_pouch.js" \
    "https://localhost:$FP_PORT/$SCHOOL_DB" "$P/ca.crt" "$P/client.crt" \
    "$P/client.key" "$RIG_USER" "$RIG_PASSWORD" "$RIG/day-pouch.ndjson" \
    "$T_TOOLS/faultproxy" "$FP_SOCK" $WAN_ARGS <"$RIG/go" >"$RIG/pouch.txt" \
    2>"$RIG/pouch.err" &
PD=$!
exec 3>"$RIG/go"
while ! grep -q '^ready' "$RIG/pouch.txt" && kill -0 "$PD" 2>/dev/null; do
	sleep 1
done
grep -q '^ready' "$RIG/pouch.txt" || rig_fail "PouchDB pull (see $RIG/pouch.err)"
m2=$(nginx_requests | wc -l)
"$T_TOOLS/storetool" load "$BOX_DATA" "$RIG/day-box.ndjson" ||
    rig_fail "loading the day into the box"
fp zero >/dev/null
a=$(ms)
SYNC_TIMEOUT=3600 sync_once || rig_fail "box push: $(tail -2 "$RIG/sync.err")"
b=$(ms)
BOX_PUSH_MS=$((b - a))
BOX_PUSH_BYTES=$(( $(fp_stat up) + $(fp_stat down) ))
m3=$(nginx_requests | wc -l)
echo "# box, push of the day:" >&2; by_kind "$m2" "$m3" >&2
if [ "$RTT" -gt 0 ]; then
	# An untimed cycle first takes in the cloud's echo of the day just
	# pushed, as the next cycle of a running box does: what is timed is
	# the push, as for PouchDB.
	sync_once || rig_fail "box cycle after the push: $(tail -2 "$RIG/sync.err")"
	m3=$(nginx_requests | wc -l)
	"$T_TOOLS/storetool" load "$BOX_DATA" "$RIG/wan-box.ndjson" ||
	    rig_fail "loading the WAN day into the box"
	fp delay $((RTT / 2)) >/dev/null
	a=$(ms)
	SYNC_TIMEOUT=3600 sync_once || rig_fail "box WAN push: $(tail -2 "$RIG/sync.err")"
	b=$(ms)
	fp pass >/dev/null
	BOX_WAN_MS=$((b - a))
	BOX_WAN_REQS=$(( $(nginx_requests | wc -l) - m3 ))
fi
box_stop
m4=$(nginx_requests | wc -l)
echo go >&3
if [ "$RTT" -gt 0 ]; then
	while ! grep -q '^pushed' "$RIG/pouch.txt" && kill -0 "$PD" 2>/dev/null; do
		sleep 0.2
	done
	m5=$(nginx_requests | wc -l)
	echo wan >&3
fi
exec 3>&-
wait "$PD" || rig_fail "PouchDB replication (see $RIG/pouch.err)"
echo "# PouchDB, pull and its checkpoint push:" >&2; by_kind "$m1" "$m2" >&2
echo "# PouchDB, push of the day:" >&2; by_kind "$m4" "${m5:-\$}" >&2
read -r _ PD_PULL_DOCS PD_PULL_S PD_PULL_BYTES <<EOF
$(grep '^pull ' "$RIG/pouch.txt")
EOF
read -r _ PD_PUSH_DOCS PD_PUSH_S PD_PUSH_BYTES <<EOF
$(grep '^push ' "$RIG/pouch.txt")
EOF

rate() { awk -v n="$1" -v ms="$2" 'BEGIN { printf "%.0f", n * 1000 / ms }'; }
per() { awk -v b="$1" -v n="$2" 'BEGIN { printf "%.0f", b / n }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
PD_PULL_MS=$(awk -v s="$PD_PULL_S" 'BEGIN { printf "%d", s * 1000 }')
PD_PUSH_MS=$(awk -v s="$PD_PUSH_S" 'BEGIN { printf "%d", s * 1000 }')
bpr=$(rate "$BOX_PULL_DOCS" "$BOX_PULL_MS"); ppr=$(rate "$PD_PULL_DOCS" "$PD_PULL_MS")
bps=$(rate "$DAY_DOCS" "$BOX_PUSH_MS"); pps=$(rate "$PD_PUSH_DOCS" "$PD_PUSH_MS")
bpb=$(per "$BOX_PULL_BYTES" "$BOX_PULL_DOCS"); ppb=$(per "$PD_PULL_BYTES" "$PD_PULL_DOCS")
bsb=$(per "$BOX_PUSH_BYTES" "$DAY_DOCS"); psb=$(per "$PD_PUSH_BYTES" "$PD_PUSH_DOCS")

cat <<EOF
| sync, same run, same server: $SERVER ($(uname -m), $(nproc) cores) | classbox sync | PouchDB $(jq -r .version "$TOP/tests/sync/node_modules/pouchdb-core/package.json") (node $(node --version)) | ratio |
|---|---|---|---|
| initial pull: documents | $BOX_PULL_DOCS | $PD_PULL_DOCS | |
| initial pull: seconds | $(awk -v m="$BOX_PULL_MS" 'BEGIN { printf "%.1f", m / 1000 }') | $PD_PULL_S | |
| initial pull: documents/s | $bpr | $ppr | $(ratio "$bpr" "$ppr")x |
| initial pull: bytes on the wire per document | $bpb | $ppb | $(ratio "$bpb" "$ppb") |
| push of a day ($DAY_DOCS attendance records): documents/s | $bps | $pps | $(ratio "$bps" "$pps")x |
| push of a day: seconds | $(awk -v m="$BOX_PUSH_MS" 'BEGIN { printf "%.2f", m / 1000 }') | $PD_PUSH_S | |
| push of a day: bytes on the wire per document | $bsb | $psb | $(ratio "$bsb" "$psb") |
EOF
if [ "$RTT" -gt 0 ]; then
	read -r _ PD_WAN_DOCS PD_WAN_S _ <<EOF
$(grep '^wanpush ' "$RIG/pouch.txt")
EOF
	PD_WAN_MS=$(awk -v s="$PD_WAN_S" 'BEGIN { printf "%d", s * 1000 }')
	PD_WAN_REQS=$(( $(nginx_requests | wc -l) - m5 ))
	bws=$(rate "$DAY_DOCS" "$BOX_WAN_MS"); pws=$(rate "$PD_WAN_DOCS" "$PD_WAN_MS")
	cat <<EOF
| push of a day over a ${RTT} ms round trip: documents/s | $bws | $pws | $(ratio "$bws" "$pws")x |
| push of a day over a ${RTT} ms round trip: seconds | $(awk -v m="$BOX_WAN_MS" 'BEGIN { printf "%.2f", m / 1000 }') | $PD_WAN_S | |
| push of a day over a ${RTT} ms round trip: HTTP requests | $BOX_WAN_REQS | $PD_WAN_REQS | |
EOF
fi
t_done
