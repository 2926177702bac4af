#!/bin/sh
# TLS 1.3 and 1.2 with AEAD suites only; older versions and CBC suites are
# refused; the plain port only redirects; security headers on every answer.
. "$(dirname "$0")/../lib.sh"
box_start || t_done
HP=localhost:$BOX_PORT

sc() { echo | timeout 10 openssl s_client -connect "$HP" -servername localhost -CAfile "$BOX_CA" "$@" 2>&1; }
out=$(sc -tls1_3)
expect_match "TLS 1.3 handshake" "$out" 'Protocol *: TLSv1.3|New, TLSv1.3'
expect_match "TLS 1.3 certificate verifies" "$out" 'Verify return code: 0'
out=$(sc -tls1_2)
expect_match "TLS 1.2 handshake with an AEAD suite" "$out" 'ECDHE-ECDSA-(AES128-GCM|AES256-GCM|CHACHA20)'
out=$(sc -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0')
expect_match "TLS 1.1 refused with a protocol_version alert" "$out" 'alert protocol version'
expect_match "and no cipher agreed" "$out" 'Cipher is \(NONE\)'
out=$(sc -tls1_2 -cipher 'ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA:AES128-SHA')
expect_match "non-AEAD (CBC) suites refused" "$out" 'Cipher is \(NONE\)'
expect_match "with a handshake failure" "$out" 'alert handshake failure|no shared cipher|alert'

key_mode=$(stat -c %a "$BOX_DATA/web/tls/key.pem")
expect_eq "the generated key file is mode 0600" "$key_mode" 600
expect_match "the certificate is ECDSA P-256" "$(openssl x509 -in "$BOX_CA" -noout -text)" 'prime256v1|P-256'

hdrs=$(curl -sS -D - -o /dev/null --cacert "$BOX_CA" "$BOX_URL/")
expect_match "HSTS" "$hdrs" '[Ss]trict-[Tt]ransport-[Ss]ecurity: max-age='
expect_match "CSP with frame-ancestors 'none'" "$hdrs" "[Cc]ontent-[Ss]ecurity-[Pp]olicy: .*frame-ancestors 'none'"
if printf '%s' "$hdrs" | grep -qi "unsafe-inline"; then not_ok "CSP has no unsafe-inline"; else ok "CSP has no unsafe-inline"; fi
expect_match "X-Content-Type-Options" "$hdrs" '[Xx]-[Cc]ontent-[Tt]ype-[Oo]ptions: nosniff'

r=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "http://localhost:$BOX_HTTP_PORT/login?x=1")
expect_match "the plain port redirects to HTTPS" "$r" "^30[18] https://localhost:$BOX_PORT/login"
r=$(curl -sS -o /dev/null -w '%{http_code}' -X POST -d 'password=x' "http://localhost:$BOX_HTTP_PORT/api/v1/login")
expect_match "the plain port serves nothing, even to a POST" "$r" '^30[18]$'

r=$(curl -sS -o /dev/null -o /dev/null -w '%{http_code} %{num_connects}\n' --cacert "$BOX_CA" "$BOX_URL/healthz" "$BOX_URL/healthz" | tr '\n' ' ')
expect_match "keep-alive: two requests, one connection" "$r" '^200 1 200 0'

# ---- issue 20: redirects go only to the box's own names ----
redir() { curl -sS -o /dev/null -w '%{redirect_url}' -H "Host: $1" "http://127.0.0.1:$BOX_HTTP_PORT/login?x=1"; }
SANS=$(openssl x509 -in "$BOX_CA" -noout -ext subjectAltName | tail -1)
CN=$(openssl x509 -in "$BOX_CA" -noout -subject | sed 's/.*CN *= *//')
r=$(redir evil.example)
expect_eq "an unknown Host is redirected to the box's own name ($CN)" "$r" "https://$CN:$BOX_PORT/login?x=1"
case "$SANS" in *"DNS:$CN"*) ok "which the certificate names" ;; *) not_ok "the certificate names $CN ($SANS)" ;; esac
expect_eq "a Host the certificate names is kept (127.0.0.1)" "$(redir "127.0.0.1:$BOX_HTTP_PORT")" "https://127.0.0.1:$BOX_PORT/login?x=1"
expect_eq "an IPv6 Host the certificate names is kept, in brackets" "$(redir '[::1]')" "https://[::1]:$BOX_PORT/login?x=1"
expect_eq "localhost is kept" "$(redir localhost)" "https://localhost:$BOX_PORT/login?x=1"
expect_eq "a look-alike Host is not (localhost.evil.example)" "$(redir localhost.evil.example)" "https://$CN:$BOX_PORT/login?x=1"

# ---- dual stack: IPv4 and IPv6 loopback, both named by the certificate ----
expect_eq "IPv4 loopback serves (curl -4 localhost)" \
    "$(curl -4 -sS -o /dev/null -w '%{http_code}' --cacert "$BOX_CA" "$BOX_URL/healthz")" 200
expect_eq "IPv6 loopback serves (curl -6 localhost)" \
    "$(curl -6 -sS -o /dev/null -w '%{http_code}' --cacert "$BOX_CA" "$BOX_URL/healthz")" 200
expect_eq "https://[::1] verifies with the box's CA" \
    "$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$BOX_CA" "https://[::1]:$BOX_PORT/healthz")" 200
expect_eq "the redirect port answers on ::1 too" \
    "$(curl -sS -o /dev/null -w '%{http_code}' "http://[::1]:$BOX_HTTP_PORT/")" 308

# ---- issue 20: the local CA is confined to the box's names ----
TLS=$BOX_DATA/web/tls
CAF=$TLS/ca/ca.pem
check "the CA has critical name constraints (DNS local, RFC 1918, ULA)" sh -c \
    "openssl x509 -in '$CAF' -noout -text | grep -A12 'Name Constraints: critical' |
     grep -q 'DNS:local' && openssl x509 -in '$CAF' -noout -text | grep -q 'IP:192.168.0.0/255.255.0.0' &&
     openssl x509 -in '$CAF' -noout -text | grep -q 'IP:FC00:0:0:0:0:0:0:0/FE00'"
check "the box's own certificate verifies against the CA (openssl verify)" \
    openssl verify -purpose sslserver -CAfile "$CAF" "$TLS/cert.pem"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T_DIR/evil.key" \
    -subj /CN=example.com -addext subjectAltName=DNS:example.com -out "$T_DIR/evil.csr" 2>/dev/null
openssl x509 -req -in "$T_DIR/evil.csr" -CA "$CAF" -CAkey "$TLS/ca/key.pem" -copy_extensions copy \
    -days 30 -out "$T_DIR/evil.pem" 2>/dev/null
check "a certificate for example.com was signed with the CA's key" test -s "$T_DIR/evil.pem"
out=$(openssl verify -purpose sslserver -CAfile "$CAF" "$T_DIR/evil.pem" 2>&1)
expect_match "openssl verify refuses it (permitted subtree violation)" "$out" 'permitted subtree violation'
n=$(echo | timeout 10 openssl s_client -connect "$HP" -servername localhost -CAfile "$CAF" \
    -showcerts 2>/dev/null | grep -c 'BEGIN CERTIFICATE')
expect_eq "the box sends its certificate without the self-signed CA (mbedTLS clients refuse its constraints)" "$n" 1
expect_eq "curl trusting only the CA still opens the box" \
    "$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$CAF" "$BOX_URL/healthz")" 200

# ---- the CA's revocation list, named by the certificate, on the plain port ----
DP=$(openssl x509 -in "$TLS/cert.pem" -noout -ext crlDistributionPoints | sed -n 's/.*URI://p')
expect_match "the certificate names the CRL at the box's plain port" "$DP" \
    "^http://$CN:$BOX_HTTP_PORT/ca.crl\$"
r=$(curl -sS -o "$T_DIR/ca.crl" -w '%{http_code} %{content_type}' "http://localhost:$BOX_HTTP_PORT/ca.crl")
expect_eq "GET /ca.crl on the plain port: 200 application/pkix-crl" "$r" "200 application/pkix-crl"
check "the CRL's signature verifies with the CA (openssl crl)" \
    openssl crl -inform DER -in "$T_DIR/ca.crl" -CAfile "$CAF" -noout
openssl crl -inform DER -in "$T_DIR/ca.crl" -out "$T_DIR/ca.crl.pem" 2>/dev/null
check "and the box's certificate verifies with CRL checking on" \
    openssl verify -crl_check -CRLfile "$T_DIR/ca.crl.pem" -CAfile "$CAF" "$TLS/cert.pem"
expect_eq "anything else on the plain port still redirects" \
    "$(curl -sS -o /dev/null -w '%{http_code}' "http://localhost:$BOX_HTTP_PORT/ca.crl.x")" 308

# ---- a box upgraded from before the constraints: new CA, new certificate ----
box_stop
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TLS/ca/key.pem" \
    -subj '/CN=classbox local CA 0000' -addext basicConstraints=critical,CA:TRUE -days 3650 \
    -out "$CAF" 2>/dev/null
openssl req -new -key "$TLS/key.pem" -subj /CN=localhost -addext subjectAltName=DNS:localhost \
    -out "$T_DIR/old.csr" 2>/dev/null
openssl x509 -req -in "$T_DIR/old.csr" -CA "$CAF" -CAkey "$TLS/ca/key.pem" -copy_extensions copy \
    -days 300 -out "$T_DIR/old-leaf.pem" 2>/dev/null
cat "$T_DIR/old-leaf.pem" "$CAF" >"$TLS/cert.pem"
cp "$CAF" "$T_DIR/old-ca.pem"
cp "$TLS/ca/key.pem" "$T_DIR/old-ca.key"
check "(the old, unconstrained CA serves as before the upgrade)" sh -c \
    "! openssl x509 -in '$CAF' -noout -text | grep -q 'Name Constraints'"
box_start || t_done
check "after the upgrade the CA has name constraints" sh -c \
    "openssl x509 -in '$CAF' -noout -text | grep -q 'Name Constraints: critical'"
check "with a new key (the old one is gone)" sh -c "! cmp -s '$TLS/ca/key.pem' '$T_DIR/old-ca.key'"
expect_eq "the re-issued certificate verifies with the new CA" \
    "$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$CAF" "$BOX_URL/healthz")" 200
curl -sS -o /dev/null --cacert "$T_DIR/old-ca.pem" "$BOX_URL/healthz" 2>/dev/null
expect_eq "and no longer with the old one (curl exit 60)" "$?" 60
check "the log tells the technician to give tablets the new CA" \
    grep -q 'has no name constraints: replacing it' "$BOX_LOG"
t_done
