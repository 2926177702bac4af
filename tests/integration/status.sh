#!/bin/sh
# The public status page, /metrics and the notices (issue 5, item 8):
# no login, no personal data; admins raise and remove maintenance windows
# and incident banners; everyone logged in sees them; /status shows them.
. "$(dirname "$0")/../lib.sh"
box_start || t_done
# Slow builds (ASan) may still be making the certificate: wait for /healthz.
for _ in $(seq 1 100); do
	[ -s "$BOX_CA" ] && curl -sf --cacert "$BOX_CA" "$BOX_URL/healthz" \
	    >/dev/null 2>&1 && break
	sleep 0.1
done

pub() {	# pub PATH [curl args] -> STATUS BODY CTYPE
	p=$1; shift
	STATUS=$(curl -sS --cacert "$BOX_CA" -o "$T_DIR/pbody" \
	    -D "$T_DIR/phdr" -w '%{http_code}' "$@" "$BOX_URL$p" \
	    2>>"$T_DIR/curl.log")
	BODY=$(cat "$T_DIR/pbody")
	CTYPE=$(sed -n 's/^[Cc]ontent-[Tt]ype: *//p' "$T_DIR/phdr" | tr -d '\r')
}

pub /status
expect_eq "GET /status without login" "$STATUS" 200
expect_match "is HTML" "$CTYPE" '^text/html'
expect_match "Japanese first, with English" "$BODY" '稼働状況 <small>/ Status'
expect_match "says the box is up" "$BODY" '稼働中 / up'
expect_match "shows the time state" "$BODY" 'id="time">(同期済み / synced|保持中 / holdover|未同期 / unsynced)'
expect_match "shows the school state" "$BODY" 'id="school">利用中 / active'
expect_match "no notices yet" "$BODY" 'お知らせはありません'

pub /api/v1/status
expect_eq "GET /api/v1/status without login" "$STATUS" 200
expect_match "JSON with status up" "$BODY" '"status":"up"'
expect_match "time state one of three" "$BODY" '"time":\{"state":"(synced|holdover|unsynced)"'
expect_match "school active" "$BODY" '"school":\{"state":"active"\}'
expect_match "a version" "$BODY" '"version":"[^"]+"'
pub /api/v1/status -X POST -H "Origin: $BOX_URL"
expect_eq "POST /api/v1/status is 405" "$STATUS" 405

pub /metrics
expect_eq "GET /metrics from loopback" "$STATUS" 200
expect_match "Prometheus text format" "$CTYPE" '^text/plain; version=0.0.4'
for m in classbox_http_connections_open classbox_http_connections_total \
    classbox_http_requests_total classbox_http_rejected_limit_total \
    classbox_tls_failures_total classbox_store_last_seq classbox_clock_state \
    process_start_time_seconds; do
	expect_match "metric $m" "$BODY" "# TYPE $m (gauge|counter)"
done
REQS=$(printf '%s\n' "$BODY" | sed -n 's/^classbox_http_requests_total \([0-9.e+]*\)$/\1/p')
expect_match "requests counted" "$REQS" '^[1-9]'
pub /metrics -X POST
expect_eq "POST /metrics is 405" "$STATUS" 405

admin_setup
new_user tanaka '{"id":"tanaka","name":"田中 先生","role":"teacher"}'
activate teacher tanaka

NOW=$(($(date +%s) * 1000))
H=3600000
api admin POST /api/v1/notices "{\"kind\":\"maintenance\",\"starts_ms\":$((NOW + 48 * H)),\"ends_ms\":$((NOW + 50 * H)),\"message_ja\":\"停電のため停止します <b>\",\"message_en\":\"Power work\"}"
expect_eq "admin announces a maintenance window" "$STATUS" 201
MID=$(json_id)
expect_match "with an id" "$MID" '^notice:[0-9a-f]{16}$'
api admin POST /api/v1/notices "{\"kind\":\"maintenance\",\"starts_ms\":$((NOW + 40 * 24 * H)),\"ends_ms\":$((NOW + 41 * 24 * H)),\"message_ja\":\"遠い先\"}"
expect_eq "and one far ahead" "$STATUS" 201
api admin POST /api/v1/notices '{"kind":"incident","severity":"critical","message_ja":"課題提出に遅延","message_en":"Submissions are slow"}'
expect_eq "admin raises an incident banner" "$STATUS" 201
IID=$(json_id)
api admin POST /api/v1/notices '{"kind":"incident","severity":"panic","message_ja":"x"}'
expect_eq "a bad severity is refused" "$STATUS" 400
api admin POST /api/v1/notices '{"kind":"maintenance","message_ja":"x"}'
expect_eq "maintenance without times is refused" "$STATUS" 400
api admin POST /api/v1/notices '{"kind":"incident","who":"x","message_ja":"x"}'
expect_eq "an unknown field is refused" "$STATUS" 400
api teacher POST /api/v1/notices '{"kind":"incident","message_ja":"x"}'
expect_eq "a teacher cannot raise a banner" "$STATUS" 403

api teacher GET /api/v1/notices
expect_eq "a teacher reads the notices" "$STATUS" 200
expect_match "the incident is current" "$BODY" '"current":\[\{"kind":"incident","source":"local","severity":"critical"'
expect_match "the maintenance is upcoming" "$BODY" '"upcoming":\[\{"kind":"maintenance"'
case $BODY in *遠い先*) not_ok "a window 40 days ahead is not shown yet";;
*) ok "a window 40 days ahead is not shown yet";; esac
case $BODY in *_id*) not_ok "teachers do not see ids";; *) ok "teachers do not see ids";; esac
api admin GET /api/v1/notices
expect_match "admins see ids" "$BODY" "\"_id\":\"$IID\""

pub /status
expect_match "/status shows the incident" "$BODY" '課題提出に遅延'
expect_match "and the planned maintenance, escaped" "$BODY" '停電のため停止します &lt;b&gt;'
case $BODY in *tanaka*|*admin*|*田中*) not_ok "/status has no personal data";;
*) ok "/status has no personal data";; esac
pub /api/v1/status
expect_match "/api/v1/status lists them too" "$BODY" '"current":\[\{"kind":"incident"'

api admin DELETE "/api/v1/notices/$IID"
expect_eq "admin removes the banner" "$STATUS" 204
api admin DELETE "/api/v1/notices/$IID"
expect_eq "twice is 404" "$STATUS" 404
api teacher DELETE "/api/v1/notices/$MID"
expect_eq "a teacher cannot remove one" "$STATUS" 403
pub /api/v1/status
case $BODY in *課題提出に遅延*) not_ok "the banner is gone";; *) ok "the banner is gone";; esac
expect_match "the maintenance stays" "$BODY" '停電のため'
pub /metrics
case $BODY in *tanaka*|*admin*) not_ok "/metrics has no personal data";;
*) ok "/metrics has no personal data";; esac
t_done
