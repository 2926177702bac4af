#!/bin/sh
# tests/sync/enroll_cert.sh (Campus LAN integration, item 3): the
# enrollment file's server certificate and the expiry warnings for every
# certificate the box holds, against the real sync rig.
#
#   - an enrollment whose server_key_pem is not server_cert_pem's key is
#     refused (400 naming server_key_pem, saying why) and nothing changes:
#     the local CA's certificate is still served, nothing is installed;
#   - a good one (202) is served at once (curl --cacert with only that
#     certificate), installed like an admin's upload (uploaded/key.pem
#     0600), and sync's enroll.json holds neither the key nor the
#     certificate; the key is in no log and no answer;
#   - the latest action wins: an admin's upload replaces it, the console's
#     `classbox enroll` puts the enrollment's back, removing it goes back
#     to the local CA;
#   - the enrollment's client certificate expires in 10 days: sync says so
#     in its status, and the API (/status/sync, /lan warnings) and /metrics
#     warn (the rig's CA, 30 days, is the cloud CA: warned too).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/sync/rig.sh"

mode_of() { stat -c %a "$1" 2>/dev/null; }
sync_field() {	# KEY: a field of /api/v1/status/sync, as admin
	api admin GET /api/v1/status/sync
	printf '%s' "$BODY" | jq -r ".$1"
}
field_is() { [ "$(sync_field "$1")" = "$2" ]; }

# upload FILE [QUERY]: the raw file as the body, as admin
upload() {
	set -- -sS --cacert "$BOX_CA" -b "$T_DIR/jar.admin" -c "$T_DIR/jar.admin" \
	    -X POST -H "Origin: $BOX_URL" -H "X-CSRF-Token: $CSRF_admin" \
	    -H 'Content-Type: application/json' --data-binary "@$1" \
	    -o "$T_DIR/body" -w '%{http_code}' \
	    "$BOX_URL/api/v1/sync/enrollment${2:+?$2}"
	STATUS=$(curl "$@" 2>>"$T_DIR/curl.log")
	BODY=$(cat "$T_DIR/body")
}

# served_by CERT: a new connection validates with only CERT as the CA
served_by() {
	curl -sS -o /dev/null --cacert "$1" "$BOX_URL/status" 2>>"$T_DIR/curl.log"
}

# self_signed NAME DAYS: an ECDSA P-256 server certificate for localhost
self_signed() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$RIG/pki/$1.key" -out "$RIG/pki/$1.crt" -days "$2" \
	    -subj "/CN=$1" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	    2>/dev/null || rig_fail "openssl: $1"
}

rig_start
c=$RIG/pki
self_signed school-server 100
self_signed admin-server 100
self_signed stranger 100
# sync's client certificate, from the rig's CA, expiring in 10 days
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$c/short.key" -subj "/CN=$RIG_USER" -out "$c/short.csr" 2>/dev/null &&
printf 'subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' \
    "$RIG_USER" >"$c/short.ext" &&
openssl x509 -req -in "$c/short.csr" -CA "$c/ca.crt" -CAkey "$c/ca.key" \
    -CAcreateserial -days 10 -extfile "$c/short.ext" -out "$c/short.crt" \
    2>/dev/null || rig_fail "openssl: the short client certificate"

GOOD=$RIG/enroll-cert.json
jq --rawfile cc "$c/short.crt" --rawfile ck "$c/short.key" \
    --rawfile sc "$c/school-server.crt" --rawfile sk "$c/school-server.key" \
    '. + {client_cert_pem: $cc, client_key_pem: $ck, server_cert_pem: $sc,
      server_key_pem: $sk}' "$ENROLL" >"$GOOD"
jq --rawfile sk "$c/stranger.key" '.server_key_pem = $sk' "$GOOD" >"$RIG/bad-pair.json"
jq 'del(.server_key_pem)' "$GOOD" >"$RIG/bad-half.json"
SERVER_KEY_LINE=$(sed -n 2p "$c/school-server.key")

CLASSBOX_LAN_CHECK_S=1 rig_box_start_daemon --allow-unsynced-clock || t_done
LOCAL_CA=$BOX_DATA/web/tls/ca/ca.pem
for _ in $(seq 1 100); do [ -s "$LOCAL_CA" ] && break; sleep 0.1; done
login admin admin "$BOX_PW"
api admin POST /api/v1/password \
    "{\"old_password\":\"$BOX_PW\",\"new_password\":\"enroll-cert-$$-pw\"}"
login admin admin "enroll-cert-$$-pw"
expect_eq "the admin logs in" "$STATUS" 200

# ---- refusals: nothing changes ---------------------------------------------
upload "$RIG/bad-pair.json"
expect_eq "a server key that is not the certificate's: 400 naming server_key_pem" \
    "$STATUS $(printf '%s' "$BODY" | jq -r .error.field)" "400 server_key_pem"
expect_match "... saying why, in both languages" \
    "$(printf '%s' "$BODY" | jq -r '.error.message + " / " + .error.message_ja')" \
    'does not belong to the \(first\) certificate / 登録ファイルの「server_key_pem」'
upload "$RIG/bad-half.json"
expect_eq "a server certificate without its key: 400 naming server_cert_pem" \
    "$STATUS $(printf '%s' "$BODY" | jq -r .error.field)" "400 server_cert_pem"
sleep 1.5	# a drop would be taken within a second
if [ -e "$BOX_DATA/web/tls/uploaded/cert.pem" ] || [ -e "$BOX_DATA/sync/enroll.json" ]
then not_ok "nothing installed after the refusals"
else ok "nothing installed after the refusals"; fi
check "the local CA's certificate is still served" served_by "$LOCAL_CA"
out=$("$CLASSBOX" enroll "$RIG/bad-pair.json" --data "$BOX_DATA" 2>&1)
expect_match "the console refuses the same file, naming the field" "$out" \
    'server_key_pem.*does not belong'
if [ -e "$BOX_DATA/web/tls/uploaded/cert.pem" ] || [ -e "$BOX_DATA/sync/enroll.json" ]
then not_ok "... and installs nothing"
else ok "... and installs nothing"; fi

# ---- the good file: web installs the server certificate --------------------
upload "$GOOD"
expect_eq "the enrollment with a server certificate: 202" "$STATUS" 202
expect_eq "... the answer says it carried one" \
    "$(printf '%s' "$BODY" | jq -r .server_certificate)" true
check "new connections get the enrollment's certificate" served_by "$c/school-server.crt"
BOX_CA=$c/school-server.crt
expect_eq "installed like an admin's upload: uploaded/key.pem 0600" \
    "$(mode_of "$BOX_DATA/web/tls/uploaded/key.pem")" 600
if cmp -s "$c/school-server.key" "$BOX_DATA/web/tls/uploaded/key.pem"; then
	ok "... holding the enrollment's key"
else not_ok "... holding the enrollment's key"; fi
api admin GET /api/v1/lan
expect_eq "the LAN view names it (source uploaded)" \
    "$(printf '%s' "$BODY" | jq -r '.certificate.source + " " + .certificate.subject')" \
    "uploaded CN=school-server"
if wait_for 30 field_is enroll_ok true; then ok "sync installed the enrollment"
else not_ok "sync installed the enrollment ($(sync_field enroll_result))"; fi
if grep -q -e server_key_pem -e server_cert_pem "$BOX_DATA/sync/enroll.json"; then
	not_ok "sync's enroll.json holds no server certificate or key"
else ok "sync's enroll.json holds no server certificate or key"; fi
if grep -rqF -e "$SERVER_KEY_LINE" "$BOX_LOG" "$T_DIR/box.out" "$T_DIR/body"; then
	not_ok "the server key is in no log or answer"
else ok "the server key is in no log or answer"; fi

# ---- warnings: the client certificate expires in 10 days -------------------
if wait_for 60 field_is state ok; then ok "sync syncs with the short client certificate"
else not_ok "sync syncs (status $(sync_field state): $(sync_field last_error))"; fi
api admin GET /api/v1/status/sync
expect_eq "/api/v1/status/sync: the client certificate expires soon" \
    "$(printf '%s' "$BODY" | jq -c '.client_certificate | [.days_left, .expires_soon, .expired]')" \
    "[9,true,false]"
expect_eq "... and so does the cloud CA (30 days)" \
    "$(printf '%s' "$BODY" | jq -c '.cloud_ca | [.days_left, .expires_soon]')" "[29,true]"
na=$(printf '%s' "$BODY" | jq -r .client_certificate.not_after_ms)
want=$(($(date -d "$(openssl x509 -in "$c/short.crt" -noout -enddate | cut -d= -f2)" +%s) * 1000))
expect_eq "... not_after_ms is the certificate's notAfter" "$na" "$want"
expect_eq "classbox status prints it too" "$(box_status_get sync.client_cert_not_after)" \
    "$(date -u -d "@$((want / 1000))" +%Y-%m-%dT%H:%M:%SZ)"
api admin GET /api/v1/lan
expect_eq "/api/v1/lan warns about the client certificate" \
    "$(printf '%s' "$BODY" | jq -c '.warnings[] | select(.which == "client") | [.code, .days_left]')" \
    '["certificate_expiring",9]'
expect_eq "... and the cloud CA" \
    "$(printf '%s' "$BODY" | jq -c '.warnings[] | select(.which == "cloud_ca") | .code')" \
    '"certificate_expiring"'
M=$(curl -sS --cacert "$c/school-server.crt" "$BOX_URL/metrics")
expect_match "/metrics: the client certificate is expiring" "$M" \
    'classbox_certificate_expiring\{which="client"\} 1'
expect_match "/metrics: days left of the client certificate" "$M" \
    'classbox_certificate_days_left\{which="client"\} 9'
expect_match "/metrics: the cloud CA's expiry" "$M" \
    'classbox_certificate_not_after_seconds\{which="cloud_ca"\} [0-9]+'
expect_match "/metrics: the served certificate is not expiring" "$M" \
    'classbox_certificate_expiring\{which="server"\} 0'

# ---- precedence: the latest action wins -------------------------------------
UP=$(jq -n --rawfile c "$c/admin-server.crt" --rawfile k "$c/admin-server.key" \
    '{certificate: $c, key: $k}')
api admin PUT /api/v1/lan/certificate "$UP"
expect_eq "an admin uploads a certificate after the enrollment" "$STATUS" 200
check "... the admin's is served (the latest wins)" served_by "$c/admin-server.crt"
BOX_CA=$c/admin-server.crt
out=$("$CLASSBOX" enroll "$GOOD" --data "$BOX_DATA" 2>&1)
expect_match "the console's classbox enroll installs the server certificate" \
    "$out" "server certificate: installed"
if wait_for 10 served_by "$c/school-server.crt"; then
	ok "... and web serves it again within its check (the latest wins)"
else not_ok "... and web serves it again within its check"; fi
BOX_CA=$c/school-server.crt
expect_eq "... the key readable by web only (0600, web's)" \
    "$(stat -c '%a %U' "$BOX_DATA/web/tls/uploaded/key.pem")" \
    "600 $(stat -c %U "$BOX_DATA/web")"
if grep -q -e server_key_pem "$BOX_DATA/sync/enroll.json"; then
	not_ok "... and enroll.json holds no server key"
else ok "... and enroll.json holds no server key"; fi
api admin DELETE /api/v1/lan/certificate
BOX_CA=$LOCAL_CA
expect_eq "removing it goes back to the local CA" \
    "$(printf '%s' "$BODY" | jq -r .certificate.source)" local_ca
check "... whose certificate is served again" served_by "$LOCAL_CA"
t_done
