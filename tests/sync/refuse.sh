#!/bin/sh
# tests/sync/refuse.sh (issue 4): a server certificate from another CA, an
# expired one, one for another host name, and a client certificate the
# cloud does not accept: sync refuses, sends no data (PouchDB receives
# nothing; for the server's faults no HTTP request gets past the TLS
# handshake, by nginx's access log), and `classbox status` says why.
# Then the right enrollment syncs, so the refusals were the certificates'.
# Before the box, curl shows the variants really are wrong.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/sync/rig.sh"

rig_start
P=$RIG/pki
# The variants, seen by curl (a client we did not write).
curl_rc() {	# CA CERT: curl's exit status through the proxy
	curl -sS -o /dev/null --cacert "$P/$1.crt" --cert "$P/$2.crt" \
	    --key "$P/$2.key" -u "$RIG_USER:$RIG_PASSWORD" \
	    "https://localhost:$FP_PORT/$SCHOOL_DB" 2>>"$RIG/curl.log"
	echo $?
}
curl_code() {	# CA CERT: the HTTP status through the proxy
	curl -s -o /dev/null -w '%{http_code}' --cacert "$P/$1.crt" \
	    --cert "$P/$2.crt" --key "$P/$2.key" -u "$RIG_USER:$RIG_PASSWORD" \
	    "https://localhost:$FP_PORT/$SCHOOL_DB"
}
expect_eq "rig: curl with the test CA and client certificate gets the database" \
    "$(curl_code ca client)" 200
expect_eq "rig: curl refuses the server with another CA (60)" "$(curl_rc other client)" 60
rig_server expired
expect_eq "rig: curl refuses the expired server certificate (60)" "$(curl_rc ca client)" 60
rig_server wrongname
expect_eq "rig: curl refuses the certificate for another name (60)" "$(curl_rc ca client)" 60
rig_server good
expect_eq "rig: nginx refuses a client certificate from another CA (400)" \
    "$(curl_code ca rogue)" 400

rig_box_start || t_done
"$T_TOOLS/storetool" seed "$BOX_DATA" 5 local >/dev/null
docs_before=$(cloud_count "$SCHOOL_DB")
audit_before=$(cloud_count "$AUDIT_DB")

# refused VARIANT ENROLL SERVER REGEX HANDSHAKE_ONLY
refused() {
	box_enroll "$2" || not_ok "$1: enroll: $(cat "$RIG/enroll.out")"
	rig_server "$3"
	fp zero >/dev/null
	a=$(nginx_requests | wc -l)
	c=$(wc -l <"$CLOUD_LOG")
	if sync_once; then not_ok "$1: sync refuses"
	else ok "$1: sync refuses"; fi
	expect_match "$1: it says why" "$(cat "$RIG/sync.err")" "$4"
	expect_eq "$1: status: error" "$(box_status_get sync.state)" error
	expect_match "$1: status: the reason" "$(box_status_get sync.last_error)" "$4"
	# nginx's 400 for a client certificate it does not trust is a
	# certificate problem too, not a refused request
	expect_eq "$1: status: the kind of failure" \
	    "$(box_status_get sync.error_kind)" tls
	expect_eq "$1: PouchDB received nothing" "$(($(wc -l <"$CLOUD_LOG") - c))" 0
	expect_eq "$1: no document reached the cloud" \
	    "$(cloud_count "$SCHOOL_DB") $(cloud_count "$AUDIT_DB")" \
	    "$docs_before $audit_before"
	new=$(nginx_requests | tail -n +"$((a + 1))")
	if [ "$5" = 1 ]; then
		expect_eq "$1: no HTTP request past the TLS handshake (nginx log)" \
		    "$(printf '%s' "$new" | grep -c .)" 0
		up=$(fp_stat up)
		if [ "$up" -lt 2000 ]; then ok "$1: $up bytes sent in all (a handshake's)"
		else not_ok "$1: $up bytes sent, more than a handshake's"; fi
	else
		# The client learns of the refusal from nginx's first answer.
		bad=$(printf '%s\n' "$new" | grep . | awk '$3 != 400 || $2 != "TLSv1.3"' | wc -l)
		expect_eq "$1: nginx answered every request 400, TLS 1.3" "$bad" 0
		expect_eq "$1: no request carried a body (no POST or PUT)" \
		    "$(printf '%s' "$new" | grep -c '"POST \|"PUT ')" 0
	fi
}

refused "server certificate from another CA" "$ENROLL_WRONG_CA" good \
    "trust|CA|signed|verif" 1
refused "expired server certificate" "$ENROLL" expired "expired" 1
refused "server certificate for another host" "$ENROLL" wrongname \
    "name|host" 1
refused "client certificate rejected" "$ENROLL_ROGUE" good \
    "client certificate" 0

box_enroll "$ENROLL"
rig_server good
if sync_once; then ok "the right enrollment syncs afterwards"
else not_ok "the right enrollment syncs afterwards: $(cat "$RIG/sync.err")"; fi
expect_eq "... and the box's documents arrive" "$(cloud_count "$SCHOOL_DB")" \
    $((docs_before + 5))
expect_eq "status: ok" "$(box_status_get sync.state)" ok
expect_eq "status: no kind of failure once it works" "$(box_status_get sync.error_kind)" ""
t_done
