#!/bin/sh
# The box on a campus LAN (issue 9), in network namespaces of our own: a
# bridge "switch" with the box, a tablet and another host on it. All traffic
# stays inside them; everything is removed on exit.
#   - the tablet resolves NAME.local by mDNS (the name from the MAC) and the
#     reverse name of the box's address;
#   - the admin downloads the CA (PEM, DER, .mobileconfig); with only that
#     file the tablet's curl validates https://NAME.local and https://ADDRESS;
#     the profile parses as a property list with the CA inside;
#   - a second host claiming the same name gets NAME-2.local;
#   - a wrong static address reverts by itself after the timer; a right one,
#     confirmed from the new address, is kept and saved, and the
#     certificate and mDNS follow the new address.
# Needs root (network namespaces) and python3.
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ]; then
	not_ok "lan.sh needs root for network namespaces"
	exit 1
fi
S=$$
LAN=cbl$S BOX=cbb$S TAB=cbt$S OTH=cbo$S
NAME=classbox-1a2b			# from the MAC below
BOX_IP=10.77.0.1 TAB_IP=10.77.0.2 OTH_IP=10.77.0.3
Q="python3 $TOP/tests/lib/mdns_query.py --src $TAB_IP"
PIDS=

cleanup() {
	box_stop
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	for n in $BOX $TAB $OTH $LAN; do ip netns del "$n" 2>/dev/null; done
}
trap cleanup EXIT INT TERM

# ---- the switch and three hosts ----
ip netns add $LAN && ip -n $LAN link add br0 type bridge &&
    ip -n $LAN link set br0 up || { not_ok "namespaces"; exit 1; }
i=0
for spec in "$BOX 02:00:00:00:1a:2b $BOX_IP" "$TAB 02:00:00:00:00:02 $TAB_IP" \
    "$OTH 02:00:00:00:00:03 $OTH_IP"; do
	set -- $spec
	i=$((i + 1))
	ip netns add "$1"
	ip -n $LAN link add p$i type veth peer name eth0 netns "$1"
	ip -n $LAN link set p$i master br0 up
	ip -n "$1" link set lo up
	ip -n "$1" link set eth0 address "$2" up
	ip -n "$1" addr add "$3/24" dev eth0
done
# IPv6 unique-local addresses too (no DAD: the test does not wait for it).
ip -n $BOX addr add fd77::1/64 dev eth0 nodad
ip -n $TAB addr add fd77::2/64 dev eth0 nodad
# The tablet's curl and the API helpers run inside the tablet's namespace.
curl() { ip netns exec $TAB curl "$@"; }

# ---- the box: web + auth (classbox run), mdns, netcfg ----
DATA=$T_DIR/data
mkdir -p "$DATA" "$T_DIR/mdns"
chown 60005 "$T_DIR/mdns"
cat >"$T_DIR/classbox.conf" <<EOF
# test config
CLASSBOX_IFACE=eth0
CLASSBOX_ADDRESS=$BOX_IP/24
# CLASSBOX_GATEWAY=10.77.0.254
EOF
export CLASSBOX_LAN_CHECK_S=1
ip netns exec $BOX $CLASSBOX mdns --iface eth0 --state "$T_DIR/mdns/name" \
    --uid 60005 >"$T_DIR/mdns.log" 2>&1 &
PIDS="$PIDS $!"
ip netns exec $BOX unshare --uts sh -c "hostname $NAME; exec $CLASSBOX run \
    --data $DATA --bind :: --port 443 --http-port 80 \
    --mdns-state $T_DIR/mdns/name --netcfg-dir $DATA/netcfg" \
    >"$T_DIR/box.out" 2>"$T_DIR/box.log" &
BOX_PID=$!
for _ in $(seq 1 300); do
	grep -q 'Stop:' "$T_DIR/box.out" 2>/dev/null && break
	sleep 0.1
done
expect_match "box started in its namespace" "$(cat "$T_DIR/box.out")" 'Stop:'
BOX_PW=$(sed -n 's/.*initial password "\([^"]*\)".*/\1/p' "$T_DIR/box.out")
ip netns exec $BOX $CLASSBOX netcfg --dir "$DATA/netcfg" --iface eth0 \
    --conf "$T_DIR/classbox.conf" --resolv "$T_DIR/resolv.conf" \
    >"$T_DIR/netcfg.log" 2>&1 &
PIDS="$PIDS $!"

# ---- name ----
for _ in $(seq 1 50); do
	[ -s "$T_DIR/mdns/name" ] && break
	sleep 0.1
done
expect_eq "mdns claims the name from the MAC (as its own user)" \
    "$(cat "$T_DIR/mdns/name" 2>/dev/null)" "$NAME.local"
expect_eq "mdns runs as uid 60005" \
    "$(ps -o uid= -p "$(echo $PIDS | cut -d' ' -f1)" | tr -d ' ')" 60005
A=$(ip netns exec $TAB $Q $NAME.local 2>&1)
expect_match "tablet resolves $NAME.local (legacy unicast)" "$A" \
    "^$NAME.local A 10 $BOX_IP "
A=$(ip netns exec $TAB $Q $NAME.local --mode qm --timeout 4 2>&1)
expect_match "tablet resolves $NAME.local (multicast answer, flush)" "$A" \
    "A 120 $BOX_IP .*flush"
# At once again: within a second of the last multicast of the record, so
# the box holds the answer back until the second is up (RFC 6762 6), and
# the tablet, which asks only once, still gets it.
A=$(ip netns exec $TAB $Q $NAME.local --mode qm --timeout 4 2>&1)
expect_match "a second multicast query at once is answered when the second is up" \
    "$A" "A 120 $BOX_IP .*flush"
A=$(ip netns exec $TAB $Q $NAME.local --type AAAA 2>&1)
expect_match "tablet resolves $NAME.local AAAA" "$A" "AAAA 10 fd77::1 "
A=$(ip netns exec $TAB $Q 1.0.77.10.in-addr.arpa --type PTR 2>&1)
expect_match "reverse name of the box's address" "$A" "PTR 10 $NAME.local"
A=$(ip netns exec $TAB $Q nobody-here.local --timeout 1 2>&1)
expect_eq "no answer for another name" "$A" ""
RESOLVED=$(ip netns exec $TAB $Q $NAME.local | awk '{print $4}' | head -1)

# ---- the admin downloads the CA (with the technician's copy of it) ----
BOX_URL=https://$BOX_IP
BOX_CA=$DATA/web/tls/ca/ca.pem
for _ in $(seq 1 50); do
	curl -sf --cacert "$BOX_CA" "$BOX_URL/healthz" >/dev/null 2>&1 && break
	sleep 0.1
done
client anon
api anon GET /api/v1/lan/ca.pem
expect_eq "CA download needs a login" "$STATUS" 401
admin_setup
api admin GET /api/v1/lan
expect_eq "GET /api/v1/lan" "$STATUS" 200
expect_match "names the mDNS name" "$BODY" "\"mdns_name\":\"$NAME.local\""
expect_match "certificate from the local CA" "$BODY" \
    '"certificate":\{[^}]*"source":"local_ca"'
expect_match "certificate names NAME.local and the address" "$BODY" \
    "\"names\":\[[^]]*\"$BOX_IP\"[^]]*\"$NAME.local\""
expect_match "no warnings" "$BODY" '"warnings":\[\]'
for f in ca.pem ca.der ca.mobileconfig; do
	STATUS=$(curl -sS --cacert "$BOX_CA" -b "$T_DIR/jar.admin" \
	    -o "$T_DIR/dl-$f" -w '%{http_code}' "$BOX_URL/api/v1/lan/$f")
	expect_eq "admin downloads $f" "$STATUS" 200
done
check "ca.der is the same certificate as ca.pem" sh -c "openssl x509 \
    -inform DER -in '$T_DIR/dl-ca.der' | cmp - '$T_DIR/dl-ca.pem'"
check "the CA is a CA (basicConstraints CA:TRUE)" sh -c "openssl x509 \
    -in '$T_DIR/dl-ca.pem' -noout -text | grep -q 'CA:TRUE'"

# ---- the tablet trusts only the downloaded CA ----
ST=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$T_DIR/dl-ca.pem" \
    --resolve "$NAME.local:443:$RESOLVED" "https://$NAME.local/status" \
    2>>"$T_DIR/curl.log")
expect_eq "curl validates https://$NAME.local with the CA alone" "$ST" 200
ST=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$T_DIR/dl-ca.pem" \
    "https://$BOX_IP/status" 2>>"$T_DIR/curl.log")
expect_eq "curl validates https://$BOX_IP with the CA alone" "$ST" 200
ST=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$T_DIR/dl-ca.pem" \
    "https://[fd77::1]/status" 2>>"$T_DIR/curl.log")
expect_eq "curl validates https://[fd77::1] with the CA alone" "$ST" 200
curl -s -o /dev/null "https://$BOX_IP/status"
expect_eq "without the CA, curl refuses (exit 60)" "$?" 60
curl -s -o /dev/null --cacert "$T_DIR/dl-ca.pem" --resolve \
    "other.local:443:$BOX_IP" https://other.local/status
expect_eq "a name not in the certificate is refused" "$?" 60

# ---- the Apple profile ----
P=$(python3 - "$T_DIR/dl-ca.mobileconfig" "$T_DIR/dl-ca.der" <<'EOF'
import plistlib, sys
p = plistlib.load(open(sys.argv[1], "rb"))
der = open(sys.argv[2], "rb").read()
c = p["PayloadContent"][0]
print(p["PayloadType"], c["PayloadType"], c["PayloadContent"] == der,
      len(p["PayloadUUID"]), p["PayloadUUID"] != c["PayloadUUID"])
EOF
)
expect_eq "mobileconfig: a plist with com.apple.security.root holding the CA" \
    "$P" "Configuration com.apple.security.root True 36 True"

# ---- warnings: status and metrics carry the expiry ----
ST=$(curl -sS --cacert "$BOX_CA" "$BOX_URL/api/v1/status")
expect_match "/api/v1/status: certificate expiry, no warning" "$ST" \
    '"certificates":\{"server":\{"not_after_ms":[0-9]+,"days_left":39[0-9],"expires_soon":false,"expired":false\},"ca":\{[^}]*"days_left":36[0-9][0-9]'
ST=$(curl -sS --cacert "$BOX_CA" "$BOX_URL/metrics")
expect_match "/metrics: classbox_certificate_expiring{which=\"ca\"} 0" "$ST" \
    'classbox_certificate_expiring\{which="ca"\} 0'

# ---- a second host wants the same name ----
ip netns exec $OTH $CLASSBOX mdns --iface eth0 --name $NAME \
    --state "$T_DIR/other-name" >"$T_DIR/other.log" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 1 60); do
	[ -s "$T_DIR/other-name" ] && break
	sleep 0.1
done
expect_eq "the second responder renames itself" \
    "$(cat "$T_DIR/other-name" 2>/dev/null)" "$NAME-2.local"
A=$(ip netns exec $TAB $Q $NAME-2.local 2>&1)
expect_match "$NAME-2.local is the other host" "$A" "A 10 $OTH_IP "
A=$(ip netns exec $TAB $Q $NAME.local 2>&1)
expect_match "$NAME.local is still the box" "$A" "A 10 $BOX_IP "
expect_eq "the box kept its name" "$(cat "$T_DIR/mdns/name")" "$NAME.local"

# ---- a wrong static address reverts by itself ----
netstate() { ip -n $BOX -4 -o addr show dev eth0 | awk '{print $4}' | tr '\n' ' '; }
api admin PUT /api/v1/lan/network '{"mode":"static","address":"10.99.0.5/24","confirm_s":5}'
expect_eq "admin asks for a wrong static address" "$STATUS" 200
for _ in $(seq 1 20); do
	[ "$(netstate)" = "10.99.0.5/24 " ] && break
	sleep 0.25
done
expect_eq "netcfg applied it" "$(netstate)" "10.99.0.5/24 "
ST=$(curl -sS -m 2 -o /dev/null -w '%{http_code}' --cacert "$BOX_CA" \
    "$BOX_URL/status" 2>/dev/null)
expect_eq "the admin has lost the box" "$ST" 000
for _ in $(seq 1 40); do
	[ "$(netstate)" = "$BOX_IP/24 " ] && break
	sleep 0.25
done
expect_eq "after the timer the old address is back" "$(netstate)" "$BOX_IP/24 "
for _ in $(seq 1 20); do
	api admin GET /api/v1/lan
	printf '%s' "$BODY" | grep -q '"phase":"reverted"' && break
	sleep 0.25
done
expect_match "the admin is told it reverted" "$BODY" '"phase":"reverted"'
check "the config file is unchanged" grep -qx "CLASSBOX_ADDRESS=$BOX_IP/24" \
    "$T_DIR/classbox.conf"

# ---- a right one, confirmed from the new address, stays ----
NEW_IP=10.77.0.51
api admin PUT /api/v1/lan/network "{\"mode\":\"static\",\"address\":\"$NEW_IP/24\",\"gateway\":\"10.77.0.254\",\"dns\":[\"10.77.0.254\"],\"confirm_s\":30}"
ID=$(printf '%s' "$BODY" | sed -n 's/.*"request":{"id":\([0-9]*\).*/\1/p')
for _ in $(seq 1 20); do
	[ "$(netstate)" = "$NEW_IP/24 " ] && break
	sleep 0.25
done
expect_eq "the new address is applied" "$(netstate)" "$NEW_IP/24 "
BOX_URL=https://$NEW_IP
# web re-issues its certificate for the new address at its next check (every
# CLASSBOX_LAN_CHECK_S): the admin's browser can trust it only after that.
for _ in $(seq 1 40); do
	curl -sS -o /dev/null --cacert "$T_DIR/dl-ca.pem" "https://$NEW_IP/status" \
	    2>/dev/null && break
	sleep 0.25
done
login admin admin "$ADMIN_PW"
api admin POST /api/v1/lan/network/confirm "{\"id\":$ID}"
expect_eq "confirmed from the new address" "$STATUS" 200
for _ in $(seq 1 20); do
	grep -q "^CLASSBOX_ADDRESS=\"$NEW_IP/24\"" "$T_DIR/classbox.conf" && break
	sleep 0.25
done
check "saved in the config file" grep -qx "CLASSBOX_ADDRESS=\"$NEW_IP/24\"" \
    "$T_DIR/classbox.conf"
check "DNS written" grep -qx "nameserver 10.77.0.254" "$T_DIR/resolv.conf"
sleep 3
api admin GET /api/v1/lan
expect_match "state confirmed" "$BODY" '"phase":"confirmed"'
expect_eq "still on the new address after the timer" "$(netstate)" "$NEW_IP/24 "
ST=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$T_DIR/dl-ca.pem" \
    "https://$NEW_IP/status" 2>>"$T_DIR/curl.log")
expect_eq "re-issued certificate: the CA validates https://$NEW_IP" "$ST" 200
A=$(ip netns exec $TAB $Q $NAME.local 2>&1)
expect_match "mDNS answers with the new address" "$A" "A 10 $NEW_IP "

# ---- an admin's own certificate takes precedence; 30-day warning ----
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T_DIR/up-key.pem" -out "$T_DIR/up-cert.pem" -days 10 \
    -subj /CN=school-ca-test -addext "subjectAltName=IP:$NEW_IP" 2>/dev/null
UP=$(python3 -c 'import json,sys; print(json.dumps({"certificate":
    open(sys.argv[1]).read(), "key": open(sys.argv[2]).read()}))' \
    "$T_DIR/up-cert.pem" "$T_DIR/up-key.pem")
api admin PUT /api/v1/lan/certificate '{"certificate":"junk","key":"junk"}'
expect_eq "a broken upload is refused" "$STATUS" 400
expect_match "and says why" "$BODY" '"error":{"code":"certificate_refused"'
expect_match "in Japanese too" "$BODY" '"message_ja":"証明書と鍵を受け付けられませんでした（'
api admin PUT /api/v1/lan/certificate "$UP"
expect_eq "admin uploads a certificate" "$STATUS" 200
expect_match "it is served (source uploaded)" "$BODY" '"source":"uploaded"'
expect_match "warned: it expires within 30 days" "$BODY" \
    '"warnings":\[\{"code":"certificate_expiring","which":"server","days_left":(9|10),"not_after_ms":[0-9]+\}'
ST=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$T_DIR/up-cert.pem" \
    "https://$NEW_IP/status" 2>>"$T_DIR/curl.log")
expect_eq "new connections get the uploaded certificate" "$ST" 200
ST=$(curl -sS --cacert "$T_DIR/up-cert.pem" "https://$NEW_IP/metrics")
expect_match "/metrics: the server certificate is expiring" "$ST" \
    'classbox_certificate_expiring\{which="server"\} 1'
LOCAL_CA=$BOX_CA
BOX_CA=$T_DIR/up-cert.pem
api admin DELETE /api/v1/lan/certificate
BOX_CA=$LOCAL_CA
expect_match "removed: back to the local CA" "$BODY" '"source":"local_ca"'
ST=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$T_DIR/dl-ca.pem" \
    "https://$NEW_IP/status" 2>>"$T_DIR/curl.log")
expect_eq "and the local CA's certificate is served again" "$ST" 200

t_done
