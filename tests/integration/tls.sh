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
t_done
