#!/bin/sh
# tests/sync/both_ways.sh (issue 4): documents written in the cloud (curl
# to Apache CouchDB 3.4.3: a q=16 database on a long-named node; or to
# PouchDB Server with RIG_PEER=pouchdb) appear on the box through its HTTPS
# API, and the box's appear in the cloud; then the same documents edited
# on both sides while the link is cut converge, once it is back, to the
# same winning revision and the same conflicts on both sides: the ones the
# cloud picks. The audit log goes up to its own database, and nothing
# comes back down.
. "$(dirname "$0")/../lib.sh"
RIG_PEER=${RIG_PEER:-couchdb}
. "$TOP/tests/sync/rig.sh"

rig_start
rig_box_start || t_done
admin_setup

# ---- enrollment -------------------------------------------------------
if box_enroll "$ENROLL"; then ok "classbox enroll accepts the platform's file"
else not_ok "classbox enroll accepts the platform's file: $(cat "$RIG/enroll.out")"; fi
out=$(cat "$RIG/enroll.out")
expect_match "enroll names the cloud host and the databases" "$out" \
    "localhost.*$SCHOOL_DB.*$AUDIT_DB"
case $out in
*"$RIG_PASSWORD"*|*PRIVATE*|*CERTIFICATE*) not_ok "enroll prints no secret" ;;
*) ok "enroll prints no secret" ;;
esac
expect_eq "the stored enrollment is readable by its owner only" \
    "$(stat -c %a "$BOX_DATA/sync/enroll.json" 2>/dev/null)" 600

# ---- (a) both ways ---------------------------------------------------
rand16() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n' | cut -c1-16; }
NOW_MS=$(($(date +%s) * 1000))
TODAY=$(TZ=Asia/Tokyo date +%Y-%m-%d)
CLOUD_ANN=announcement:c$(rand16 | cut -c2-)
cloud PUT "/$SCHOOL_DB/$CLOUD_ANN" "{\"type\":\"announcement\",\"class_id\":\"school\",\"title\":\"クラウドからのお知らせ\",\"body\":\"保護者会は金曜日です\",\"author_id\":\"admin\",\"posted_at\":$NOW_MS,\"date\":\"$TODAY\"}"
expect_eq "the cloud takes an announcement (curl, $RIG_PEER)" "$STATUS" 201
CLOUD_ANN_REV=$(printf '%s' "$BODY" | jq -r .rev)

api admin POST /api/v1/announcements '{"class_id":"school","title":"箱からのお知らせ","body":"避難訓練は水曜日です"}'
expect_eq "the box takes an announcement (API)" "$STATUS" 201
BOX_ANN=$(printf '%s' "$BODY" | jq -r ._id)
BOX_ANN_REV=$(printf '%s' "$BODY" | jq -r ._rev)
api admin PUT /api/v1/school '{"name":"桜丘高等学校","year":2026,"state":"active"}'
expect_eq "the box takes the school record (API)" "$STATUS" 200
SCHOOL_REV=$(printf '%s' "$BODY" | jq -r ._rev)

if sync_once; then ok "classbox sync --once succeeds"
else not_ok "classbox sync --once succeeds: $(cat "$RIG/sync.err")"; fi

api admin GET "/api/v1/announcements/$CLOUD_ANN"
expect_eq "the cloud's announcement is on the box (API)" "$STATUS" 200
expect_eq "... with the cloud's revision" "$(printf '%s' "$BODY" | jq -r ._rev)" \
    "$CLOUD_ANN_REV"
expect_eq "... and its title" "$(printf '%s' "$BODY" | jq -r .title)" \
    "クラウドからのお知らせ"
api admin GET "/api/v1/announcements?class=school&limit=100"
expect_match "... and in the box's school-wide list" "$BODY" "\"$CLOUD_ANN\""

cloud GET "/$SCHOOL_DB/$BOX_ANN"
expect_eq "the box's announcement is in the cloud" "$STATUS" 200
expect_eq "... with the box's revision" "$(printf '%s' "$BODY" | jq -r ._rev)" \
    "$BOX_ANN_REV"
expect_eq "... and its body" "$(printf '%s' "$BODY" | jq -r .body)" "避難訓練は水曜日です"
cloud GET "/$SCHOOL_DB/school"
expect_eq "the box's school record is in the cloud with its revision" \
    "$(printf '%s' "$BODY" | jq -r ._rev)" "$SCHOOL_REV"

box_dump "$BOX_DATA" >"$RIG/box.1"
cloud_dump "$SCHOOL_DB" >"$RIG/cloud.1"
if [ -s "$RIG/box.1" ] && diff "$RIG/cloud.1" "$RIG/box.1" >"$RIG/diff.1"; then
	ok "both sides hold the same $(wc -l <"$RIG/box.1") documents and revisions"
else
	not_ok "both sides hold the same documents and revisions (see $RIG/diff.1)"
fi
expect_eq "status: sync.state" "$(box_status_get sync.state)" ok
expect_eq "status: sync.pending" "$(box_status_get sync.pending)" 0
expect_eq "status: no sync.last_error" "$(box_status_get sync.last_error)" ""

# The audit log database is push-only: the login log went up, and what
# the cloud writes there never comes down.
n=$(curl -sS "$CLOUD/$AUDIT_DB/_all_docs" | jq '[.rows[].id | select(startswith("audit:login:"))] | length')
if [ "${n:-0}" -ge 2 ]; then ok "the login log reached the audit database ($n documents)"
else not_ok "the login log reached the audit database (got '$n' audit:login: documents)"; fi
cloud PUT "/$AUDIT_DB/cloudonly" '{"type":"sync_test","text":"never on the box"}'

# Nothing new: a second cycle sends and fetches no document.
lines=$(wc -l <"$CLOUD_LOG")
check "a second cycle succeeds" sync_once
resent=$(tail -n +"$((lines + 1))" "$CLOUD_LOG" |
    jq -r "select(.db == \"$SCHOOL_DB\" and (.op == \"bulk_docs\" or .op == \"bulk_get\" or .op == \"get\")) | .op" | wc -l)
expect_eq "... and moves no school document again" "$resent" 0
expect_eq "nothing comes down from the audit database" \
    "$(box_dump "$BOX_DATA" | grep -c '^cloudonly ')" 0

# ---- (b) edits on both sides while cut off -------------------------------
# school: one edit each side (same depth: the greater revision id wins);
# k:0..5: the box edits once, the cloud twice (the longer path wins);
# k:6..9: one edit each side. All start from the same synced revision.
for i in 0 1 2 3 4 5 6 7 8 9; do
	"$T_TOOLS/storetool" edit "$BOX_DATA" "k:$i" "start $i" >/dev/null
done
check "the starting revisions reach the cloud" sync_once
fp cut >/dev/null
api admin PUT /api/v1/school "{\"_rev\":\"$SCHOOL_REV\",\"name\":\"桜丘高等学校（箱）\"}"
expect_eq "the box edits the school record while cut off" "$STATUS" 200
BOX_SCHOOL_REV=$(printf '%s' "$BODY" | jq -r ._rev)
cloud PUT "/$SCHOOL_DB/school" "{\"_rev\":\"$SCHOOL_REV\",\"type\":\"school\",\"name\":\"桜丘高等学校（雲）\",\"year\":2026,\"state\":\"active\"}"
expect_eq "the cloud edits the school record meanwhile" "$STATUS" 201
CLOUD_SCHOOL_REV=$(printf '%s' "$BODY" | jq -r .rev)
for i in 0 1 2 3 4 5 6 7 8 9; do
	"$T_TOOLS/storetool" edit "$BOX_DATA" "k:$i" "box $i" >/dev/null
	cloud GET "/$SCHOOL_DB/k:$i"
	doc=$(printf '%s' "$BODY" | jq -c '.text = "cloud"')
	cloud PUT "/$SCHOOL_DB/k:$i" "$doc"
	if [ "$i" -le 5 ]; then
		doc=$(printf '%s' "$doc" | jq -c --arg r "$(printf '%s' "$BODY" | jq -r .rev)" '._rev = $r | .text = "cloud again"')
		cloud PUT "/$SCHOOL_DB/k:$i" "$doc"
	fi
done

if sync_once; then not_ok "sync fails while the link is cut"
else ok "sync fails while the link is cut"; fi
expect_eq "status says the box is offline" "$(box_status_get sync.state)" offline
expect_match "status says why" "$(box_status_get sync.last_error)" "."
fp pass >/dev/null
check "sync succeeds once the link is back" sync_once
check "a second cycle settles both sides" sync_once

box_dump "$BOX_DATA" >"$RIG/box.2"
cloud_dump "$SCHOOL_DB" >"$RIG/cloud.2"
if diff "$RIG/cloud.2" "$RIG/box.2" >"$RIG/diff.2"; then
	ok "after the cut both sides hold the same winners and conflicts"
else
	not_ok "after the cut both sides hold the same winners and conflicts (see $RIG/diff.2)"
fi
# The cloud's own answer for the school record
cloud GET "/$SCHOOL_DB/school?conflicts=true"
pw=$(printf '%s' "$BODY" | jq -r ._rev)
pc=$(printf '%s' "$BODY" | jq -r '._conflicts // [] | join(",")')
api admin GET /api/v1/school
expect_eq "the box's API serves the cloud's winner for the school record" \
    "$(printf '%s' "$BODY" | jq -r ._rev)" "$pw"
want=$(printf '%s\n%s\n' "$BOX_SCHOOL_REV" "$CLOUD_SCHOOL_REV" | LC_ALL=C sort | tail -1)
expect_eq "... which is the greater revision id of the two (CouchDB's rule)" "$pw" "$want"
expect_eq "... the other is the cloud's conflict" "$pc" \
    "$(printf '%s\n%s\n' "$BOX_SCHOOL_REV" "$CLOUD_SCHOOL_REV" | LC_ALL=C sort | head -1)"
expect_eq "... and the box's too" "$(grep '^school ' "$RIG/box.2" | cut -d' ' -f4)" "$pc"
n=$(awk '$1 ~ /^k:[0-5]$/ && $2 ~ /^3-/ && $4 ~ /^2-/' "$RIG/box.2" | wc -l)
expect_eq "the longer edit path wins on the box, the other kept as a conflict" "$n" 6
n=$(awk '$1 ~ /^k:[6-9]$/ && $2 ~ /^2-/ && $4 ~ /^2-/' "$RIG/box.2" | wc -l)
expect_eq "equal paths: both sides agree and keep the loser" "$n" 4
t_done
