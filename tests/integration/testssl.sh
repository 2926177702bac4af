#!/bin/sh
# testssl.sh (Debian's package; issue 20) against the box, trusting the
# box's own CA (--add-ca, as a tablet with the MDM profile does): protocols,
# cipher categories, forward secrecy, every vulnerability check, the HTTP
# headers and the certificate. Nothing may be rated above LOW.
#
# The cheapest invocation that still covers all of that: one run with
# --fast -p -s -f -U -h -S (about a minute on an idle 2-core machine,
# 2.5 min on a busy one; per-check runs cost 4 min, as each starts anew).
# Left out: -e/-E (each cipher, minutes: -s and -f cover the categories),
# -c (client simulation, informational), -g (GREASE).
. "$(dirname "$0")/../lib.sh"
if ! command -v testssl >/dev/null 2>&1; then
	not_ok "testssl is installed (tools/install-packages: testssl.sh)"
	t_done
fi
box_start || t_done
J=$T_DIR/testssl.json
timeout 900 testssl --quiet --color 0 --warnings off \
    --add-ca "$BOX_DATA/web/tls/ca/ca.pem" --jsonfile "$J" \
    --fast -p -s -f -U -h -S "localhost:$BOX_PORT" >"$T_DIR/testssl.txt" 2>&1
check "testssl ran and wrote its findings ($T_DIR/testssl.txt)" test -s "$J"
finding() { jq -r --arg id "$1" '.[] | select(.id == $id) | "\(.severity) \(.finding)"' "$J"; }
above=$(jq -r '.[] | select(.severity == "MEDIUM" or .severity == "HIGH" or
    .severity == "CRITICAL") | "\(.severity) \(.id): \(.finding)"' "$J")
expect_eq "testssl: nothing above LOW" "$above" ""
# What it looked at, so that "nothing found" means something.
expect_match "protocols: TLS 1.3 offered" "$(finding TLS1_3)" '^OK offered'
expect_match "TLS 1.1 not offered" "$(finding TLS1_1)" 'not offered'
expect_match "SSLv3 not offered" "$(finding SSLv3)" '^OK not offered'
expect_match "ciphers: no NULL, EXPORT or LOW ones" \
    "$(finding cipherlist_NULL)$(finding cipherlist_EXPORT)$(finding cipherlist_LOW)" \
    '^OK not offered.*OK not offered.*OK not offered'
expect_match "forward secrecy checked" "$(finding PFS)" '^OK'
expect_match "vulnerabilities checked (Heartbleed, ROBOT, BREACH...)" \
    "$(finding heartbleed)$(finding ROBOT)$(finding BREACH)" '^OK.*OK.*OK'
expect_match "headers checked (HSTS)" "$(finding HSTS_time)" '^OK'
expect_match "the chain verifies with the box's CA" "$(finding cert_chain_of_trust)" '^OK'
expect_match "the certificate names the CA's revocation list" \
    "$(finding cert_crlDistributionPoints)" "^INFO http://.*/ca.crl"
t_done
