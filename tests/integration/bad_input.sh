#!/bin/sh
# Bad input gets a clear error or a closed connection, and the box keeps
# serving everyone else.
. "$(dirname "$0")/../lib.sh"
box_start || t_done
HP=localhost:$BOX_PORT
healthy() { curl -sS -o /dev/null -w '%{http_code}' --cacert "$BOX_CA" "$BOX_URL/healthz"; }

big=$(head -c 20000 /dev/zero | tr '\0' a)
code=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$BOX_CA" -H "X-Big: $big" "$BOX_URL/healthz")
expect_eq "oversized headers get 431" "$code" 431
head -c 2000000 /dev/zero | tr '\0' a >"$T_DIR/big.json"
code=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$BOX_CA" -H "Origin: $BOX_URL" \
    -H 'Content-Type: application/json' --data-binary @"$T_DIR/big.json" "$BOX_URL/api/v1/login")
expect_eq "an oversized body gets 413" "$code" 413

r=$(curl -sS -w ' %{http_code}' --cacert "$BOX_CA" -H "Origin: $BOX_URL" \
    -H 'Content-Type: application/json' --data-binary '{"user":"admin",' "$BOX_URL/api/v1/login")
expect_match "malformed JSON gets 400 invalid_json" "$r" '"code":"invalid_json".* 400$'
printf '{"user":"adm\377in","password":"x"}' >"$T_DIR/bad-utf8.json"
r=$(curl -sS -w ' %{http_code}' --cacert "$BOX_CA" -H "Origin: $BOX_URL" \
    -H 'Content-Type: application/json' --data-binary @"$T_DIR/bad-utf8.json" "$BOX_URL/api/v1/login")
expect_match "invalid UTF-8 gets 400 invalid_utf8" "$r" '"code":"invalid_utf8".* 400$'
r=$(curl -sS -w ' %{http_code}' --cacert "$BOX_CA" -H "Origin: $BOX_URL" \
    -H 'Content-Type: text/plain' --data-binary '{}' "$BOX_URL/api/v1/login")
expect_match "a body that is not JSON gets 415" "$r" ' 415$'
r=$(curl -sS -w ' %{http_code}' --cacert "$BOX_CA" -H "Origin: $BOX_URL" \
    -H 'Content-Type: application/json' --data-binary '{"user":"admin","password":"x","extra":1}' "$BOX_URL/api/v1/login")
expect_match "an unknown field is named" "$r" 'extra.* 400$'

# Garbage instead of a ClientHello: the connection is closed.
printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | timeout 8 nc localhost "$BOX_PORT" >"$T_DIR/garbage.out" 2>&1
rc=$?
expect_eq "garbage instead of a ClientHello: the box closes the connection" "$rc" 0
if grep -q 'HTTP/1' "$T_DIR/garbage.out"; then not_ok "no HTTP answered in clear text"; else ok "no HTTP answered in clear text"; fi
expect_eq "the box still serves after garbage" "$(healthy)" 200

# A client that sends a byte every 3 s is dropped by the header timeout,
# while others are served meanwhile.
start=$(date +%s)
( printf 'GET /healthz HTTP/1.1\r\n'; for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do sleep 3; printf 'X'; done ) |
	timeout 70 openssl s_client -quiet -connect "$HP" -CAfile "$BOX_CA" >"$T_DIR/slow.out" 2>&1 &
slow=$!
sleep 2
served=0
for i in 1 2 3 4 5; do [ "$(healthy)" = 200 ] && served=$((served + 1)); sleep 1; done
expect_eq "others are served while a slow client dribbles" "$served" 5
wait $slow
took=$(( $(date +%s) - start ))
if [ "$took" -lt 40 ]; then ok "the slow client was dropped after ${took} s"; else not_ok "the slow client was dropped (took ${took} s)"; fi

# Many connections at once that never speak: others still get through.
for i in $(seq 1 50); do (sleep 15 | nc localhost "$BOX_PORT" >/dev/null 2>&1 &) ; done
sleep 1
expect_eq "50 silent connections do not block others" "$(healthy)" 200
expect_eq "the box is healthy at the end" "$(healthy)" 200
t_done
