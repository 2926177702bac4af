#!/bin/sh
# tests/sync/faults.sh: the fault proxy's modes do what rig.sh says, seen
# by curl (a client we did not write), a delayed link too; then the box
# under each: a reset or refused link fails fast and says offline, a
# stalled one fails within the client's connect deadline, a slow one still
# syncs, and a cut after exactly N bytes forwards exactly N.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/sync/rig.sh"

rig_start
P=$RIG/pki
# a document of about 200 KB for the byte-exact and slow checks
head -c 150000 /dev/urandom | base64 -w0 | jq -Rc '{type: "sync_test", text: .}' \
    >"$RIG/big.json"
curl -sS -X PUT -H 'Content-Type: application/json' --data-binary @"$RIG/big.json" \
    "$CLOUD/$SCHOOL_DB/big" >/dev/null
get() {	# [curl args]: GET the big document through the proxy; curl's status
	curl -sS -o "$RIG/got" --cacert "$P/ca.crt" --cert "$P/client.crt" \
	    --key "$P/client.key" -u "$RIG_USER:$RIG_PASSWORD" "$@" \
	    "https://localhost:$FP_PORT/$SCHOOL_DB/big" 2>>"$RIG/curl.log"
	echo $?
}
expect_eq "pass: curl gets the document through the proxy" "$(get)" 0
size=$(wc -c <"$RIG/got")
cp "$RIG/got" "$RIG/want"
fp zero >/dev/null
fp cutafter 5000 >/dev/null
expect_match "cutafter 5000: curl's transfer breaks" "$(get)" '^(18|35|52|56)$'
expect_eq "cutafter 5000: exactly 5000 bytes went through" \
    $(( $(fp_stat up) + $(fp_stat down) )) 5000
expect_eq "cutafter: then the link is down (cut)" "$(fp_stat mode)" cut
expect_match "cut: a new connection is closed at once" "$(get)" '^(35|52|56)$'
fp reset >/dev/null
c0=$(fp_stat conns)
rc=$(get)
# The proxy accepts, then resets: curl sees it during the TLS handshake
# (35/56, "reset") or, when the RST beats curl's own check of the finished
# connect, as a failed connect (7). Either way the proxy took the connection.
expect_match "reset: curl sees the connection reset" "$rc $(tail -1 "$RIG/curl.log")" \
    '^((35|56) .*[Rr]eset|7 )'
expect_eq "reset: ... of a connection the proxy accepted" "$(($(fp_stat conns) - c0 > 0))" 1
fp refuse >/dev/null
expect_eq "refuse: curl cannot connect (7)" "$(get)" 7
fp stall >/dev/null
expect_eq "stall: curl times out (28)" "$(get --max-time 2)" 28
fp slow 100000 >/dev/null
t0=$(date +%s%N)
rc=$(get)
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_eq "slow 100000: curl still gets the document" "$rc $(wc -c <"$RIG/got")" "0 $size"
if [ "$ms" -ge $(( size * 1000 / 100000 * 8 / 10 )) ]; then
	ok "slow 100000: $size bytes took $ms ms"
else
	not_ok "slow 100000: $size bytes took only $ms ms"
fi
# delay 150: each byte 150 ms late each way (tests/bench/sync.sh's WAN
# link). A TLS 1.3 handshake and then the GET are two round trips at least.
fp delay 150 >/dev/null
expect_eq "delay: the mode" "$(fp_stat mode)" delay
t0=$(date +%s%N)
rc=$(get)
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_eq "delay 150: curl gets the document, byte for byte" \
    "$rc $(cmp -s "$RIG/got" "$RIG/want" && echo same)" "0 same"
if [ "$ms" -ge 600 ]; then ok "delay 150: two round trips took $ms ms (at least 600)"
else not_ok "delay 150: two round trips took only $ms ms (less than 600)"; fi
fp pass >/dev/null

# The box under the same faults
rig_box_start || t_done
box_enroll "$ENROLL" || { not_ok "enroll: $(cat "$RIG/enroll.out")"; t_done; }
"$T_TOOLS/storetool" seed "$BOX_DATA" 30 local >/dev/null
for m in reset refuse; do
	fp "$m" >/dev/null
	t0=$(date +%s)
	if sync_once; then not_ok "$m: sync fails"; else ok "$m: sync fails"; fi
	s=$(( $(date +%s) - t0 ))
	if [ "$s" -le 5 ]; then ok "$m: at once ($s s)"; else not_ok "$m: at once (took $s s)"; fi
	expect_eq "$m: status offline" "$(box_status_get sync.state)" offline
done
fp stall >/dev/null
t0=$(date +%s)
if sync_once; then not_ok "stall: sync fails"; else ok "stall: sync fails"; fi
s=$(( $(date +%s) - t0 ))
if [ "$s" -le 40 ]; then ok "stall: within the client's deadline ($s s)"
else not_ok "stall: within the client's deadline (took $s s)"; fi
expect_eq "stall: status offline" "$(box_status_get sync.state)" offline
expect_match "stall: the last error says why" "$(box_status_get sync.last_error)" \
    "[Tt]ime|answer|respond"
fp slow 50000 >/dev/null
if sync_once; then ok "slow 50000: sync succeeds"
else not_ok "slow 50000: sync succeeds: $(tail -1 "$RIG/sync.err")"; fi
fp pass >/dev/null
box_dump "$BOX_DATA" >"$RIG/box.end"
cloud_dump "$SCHOOL_DB" >"$RIG/cloud.end"
if diff "$RIG/cloud.end" "$RIG/box.end" >"$RIG/diff.end"; then
	ok "both sides hold the same $(wc -l <"$RIG/box.end") documents"
else
	not_ok "both sides hold the same documents (see $RIG/diff.end)"
fi
t_done
