#!/bin/sh
# tests/sync/couchdb.sh (issue 23): Apache CouchDB 3.4.3 as the cloud, where
# it differs from PouchDB Server (docs/sync.md "CouchDB and PouchDB Server"):
#  - the box is a _users member named in each database's _security, and
#    nothing else: no credentials 401, a database not opened to it 403;
#  - update sequences are opaque strings that grow with the shards and the
#    node's name: a q=16 database on a 243-character node, pulled and
#    pushed in full, its seqs in since= and in both checkpoints;
#  - attachments of compressible types are stored gzip-encoded, their
#    digest the MD5 of the stored bytes: a text/plain and an
#    application/json file made on CouchDB (inline and by the standalone
#    PUT) are pulled intact and served by the box's API; a corrupted one
#    (couchhook.js) is refused for its digest; a PDF is stored as it is;
#  - a resume from an opaque checkpoint: a pull SIGKILLed after a few
#    batches starts again at the cloud's checkpoint seq, not at 0, and
#    fetches no more than the batch in flight again;
#  - a text file uploaded by this box is restored on a second box enrolled
#    to the same school (its teacher downloads it, byte-identical).
. "$(dirname "$0")/../lib.sh"
RIG_PEER=couchdb
. "$TOP/tests/sync/rig.sh"
SEED=${COUCH_SEED_DOCS:-1000}
RESUME=${COUCH_RESUME_DOCS:-3000}
RBATCH=100

export CLOUD_CORRUPT_PREFIX=file:corrupt	# couchhook.js changes a byte
export CLOUD_HUGE_PREFIX=file:huge	# ... or answers 48 MiB + 1
rig_start

# ---- the peer ---------------------------------------------------------
expect_eq "the cloud is Apache CouchDB 3.4.3" \
    "$(curl -sS "$CLOUD/" | jq -r '.version')" 3.4.3
expect_eq "the school database has 16 shards (q=16)" \
    "$(curl -sS "$CLOUD/$SCHOOL_DB" | jq -r '.cluster.q')" 16
expect_eq "CouchDB's node name is 243 characters (the longest it takes)" \
    "$(curl -sS "$CLOUD/_membership" | jq -r '.all_nodes[0] | length')" 243
P=http://127.0.0.1:$PEER_PORT
expect_eq "without credentials the school database is 401" \
    "$(curl -sS -o /dev/null -w '%{http_code}' "$P/$SCHOOL_DB")" 401
expect_eq "the box's user reads it (a member in _security)" \
    "$(curl -sS -o /dev/null -w '%{http_code}' -u "$RIG_USER:$RIG_PASSWORD" "$P/$SCHOOL_DB")" 200
couch_put "a database not opened to the box" /elsewhere
expect_eq "... and nothing else: another database is 403" \
    "$(curl -sS -o /dev/null -w '%{http_code}' -u "$RIG_USER:$RIG_PASSWORD" "$P/elsewhere")" 403

# ---- the box: a class, its teacher, an assignment ------------------------
rig_box_start || t_done
admin_setup
new_user t.sato '{"id":"t.sato","name":"佐藤 先生","role":"teacher"}'
api admin POST /api/v1/classes '{"year":2026,"code":"1-1","name":"1年1組","kind":"homeroom"}'
C=class:2026:1-1
api admin POST "/api/v1/classes/$C/members" '{"user_id":"t.sato","role":"teacher"}'
activate teacher t.sato
DUE=$(TZ=Asia/Tokyo date -d '+7 days' +%FT17:00)
api teacher POST /api/v1/assignments "{\"class_id\":\"$C\",\"title\":\"国語 プリント\",\"instructions\":\"p.3\",\"due_date\":\"$DUE\"}"
expect_eq "the teacher creates an assignment" "$STATUS" 201
A=$(json_id)
box_enroll "$ENROLL" || not_ok "enroll: $(cat "$RIG/enroll.out")"

. "$TOP/tests/sync/files_lib.sh"
# stub ID: the attachment's stub as CouchDB describes it (encoding shown)
stub() {
	curl -sS "$CLOUD/$SCHOOL_DB/$1?att_encoding_info=true" |
	    jq -c '._attachments.data | {encoding, digest, length, encoded_length}'
}
# cloud_bulk PREFIX FROM N: N documents written in the cloud (one request)
cloud_bulk() {
	jq -cn --arg p "$1" --argjson from "$2" --argjson n "$3" \
	    '{docs: [range($from; $from + $n) | {_id: "\($p):\(. | tostring | ("0000" + .)[-5:])",
	      type: "sync_test", text: "クラウド \(.)"}]}' |
	    curl -sS -H 'Content-Type: application/json' --data-binary @- \
	    "$CLOUD/$SCHOOL_DB/_bulk_docs" | jq '[.[] | select(.ok)] | length'
}

# ---- files made on CouchDB, and data both ways ------------------------------
TXT=$T_DIR/renraku.txt
for i in $(seq 1 200); do printf '連絡帳 %03d: 明日は遠足です。お弁当と水筒を持ってきてください。\n' "$i"; done >"$TXT"
cloud_put_inline file:cloudtext text/plain "$TXT"
expect_eq "CouchDB takes a text/plain file (inline PUT)" "$STATUS" 201
JSON=$T_DIR/seating.json
jq -cn '{class: "1年1組", seats: [range(40) | {no: ., name: "生徒 \(.)", row: (. / 6 | floor)}]}' >"$JSON"
cloud PUT "/$SCHOOL_DB/file:cloudjson" "$(file_doc file:cloudjson application/json "$JSON")}"
rev=$(printf '%s' "$BODY" | jq -r .rev)
expect_eq "CouchDB takes an application/json file (standalone attachment PUT)" \
    "$(curl -sS -X PUT -H 'Content-Type: application/json' --data-binary @"$JSON" \
    -o /dev/null -w '%{http_code}' "$CLOUD/$SCHOOL_DB/file:cloudjson/data?rev=$rev")" 201
PDF=$T_DIR/sheet.pdf
{ printf '%%PDF-1.4\n'; head -c 30000 /dev/urandom | base64; printf '%%%%EOF\n'; } >"$PDF"
cloud_put_inline file:cloudpdf application/pdf "$PDF"
s=$(stub file:cloudtext)
expect_eq "CouchDB stores the text file gzip-encoded" "$(printf '%s' "$s" | jq -r .encoding)" gzip
if [ "$(printf '%s' "$s" | jq -r .digest)" != "md5-$(md5_b64 "$TXT")" ] &&
   [ "$(printf '%s' "$s" | jq -r '.encoded_length < .length')" = true ]; then
	ok "... its digest is not the file's MD5 (it is of $(printf '%s' "$s" | jq -r .encoded_length) stored bytes)"
else
	not_ok "... its digest is not the file's MD5 (got $s)"
fi
expect_eq "... and the JSON file too" "$(stub file:cloudjson | jq -r .encoding)" gzip
s=$(stub file:cloudpdf)
expect_eq "the PDF as it is, digest the file's MD5" \
    "$(printf '%s' "$s" | jq -r '"\(.encoding) \(.digest)"')" "null md5-$(md5_b64 "$PDF")"
expect_eq "the cloud takes $SEED documents" "$(cloud_bulk cloud 0 "$SEED")" "$SEED"
"$T_TOOLS/storetool" seed "$BOX_DATA" "$SEED" boxseed >/dev/null ||
    not_ok "storetool seed $SEED on the box"
BTXT=$T_DIR/hokoku.txt
for i in $(seq 1 300); do printf '学級通信 %03d: 来週の月曜日は振替休日です。\n' "$i"; done >"$BTXT"
upload teacher text/plain "$BTXT" "%E5%AD%A6%E7%B4%9A%E9%80%9A%E4%BF%A1.txt"
expect_eq "the teacher uploads a text file on the box" "$STATUS" 201
BF=$(printf '%s' "$BODY" | jq -r .id)

if sync_once; then ok "sync --once with CouchDB succeeds"
else not_ok "sync --once with CouchDB succeeds: $(tail -3 "$RIG/sync.err")"; fi
box_dump "$BOX_DATA" >"$RIG/box.1"
cloud_dump "$SCHOOL_DB" >"$RIG/cloud.1"
if diff "$RIG/cloud.1" "$RIG/box.1" >"$RIG/diff.1"; then
	ok "the q=16 database pulled and pushed in full: both sides hold the same $(wc -l <"$RIG/box.1") documents and revisions"
else
	not_ok "the q=16 database pulled and pushed in full (see $RIG/diff.1)"
fi
expect_eq "... $SEED of the cloud's on the box, $SEED of the box's in the cloud" \
    "$(grep -c '^cloud:' "$RIG/box.1") $(grep -c '^boxseed' "$RIG/cloud.1")" "$SEED $SEED"
longest=$(sed -n 's/.*since=\([^& ]*\).*/\1/p' "$RIG/nginx/logs/access.log" |
    awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')
if [ "$longest" -gt 256 ]; then ok "its seqs went back as since= ($longest bytes, past the 256 the box once took)"
else not_ok "its seqs went back as since= (longest $longest bytes)"; fi
ck=$(curl -sS "$CLOUD/$SCHOOL_DB/_local_docs?include_docs=true" |
    jq -c '[.rows[].doc | select(.replicator == "classbox" and (.source_last_seq | type) == "string")][0]')
if [ "$(printf '%s' "$ck" | jq -r '.source_last_seq | length')" -gt 256 ] 2>/dev/null &&
   [ "$(printf '%s' "$ck" | jq -r '.history[0].recorded_seq == .source_last_seq')" = true ]; then
	ok "the cloud's copy of the pull checkpoint holds a $(printf '%s' "$ck" | jq -r '.source_last_seq | length')-byte seq, in its history too"
else
	not_ok "the cloud's copy of the pull checkpoint holds the long seq (got $(printf '%s' "$ck" | head -c 200))"
fi

# ---- the files, on the box --------------------------------------------------
for f in "cloudtext text/plain $TXT" "cloudjson application/json $JSON" "cloudpdf application/pdf $PDF"; do
	set -- $f
	download teacher "file:$1" "$T_DIR/got.$1"
	if [ "$STATUS" = 200 ] && cmp -s "$3" "$T_DIR/got.$1"; then
		ok "the $2 file made on CouchDB is served by the box byte-identical"
	else
		not_ok "the $2 file made on CouchDB is served by the box byte-identical (HTTP $STATUS)"
	fi
	expect_match "... as $2" "$(cat "$T_DIR/hdr")" "[Cc]ontent-[Tt]ype: $2"
done
expect_eq "the gzip-stored ones were fetched as stored, gzip (couchhook.js)" \
    "$(cloud_log | jq -r 'select(.op == "attachment") | "\(.id) \(.encoding)"' | sort | tr '\n' ' ')" \
    "file:cloudjson gzip file:cloudtext gzip "
expect_eq "the box's text file is stored gzip-encoded in CouchDB" \
    "$(stub "$BF" | jq -r .encoding)" gzip
curl -sS -o "$RIG/got.btxt" "$CLOUD/$SCHOOL_DB/$BF/data"
check "... and CouchDB serves it byte-identical" cmp "$BTXT" "$RIG/got.btxt"

# ---- a real mismatch, and an answer past any the box reads -------------------
cloud_put_inline file:corrupt-text text/plain "$TXT"
cloud_put_inline file:huge-text text/plain "$TXT"
if sync_once; then not_ok "a gzip-stored attachment served corrupted is refused (sync exits 1)"
else ok "a gzip-stored attachment served corrupted is refused (sync exits 1)"; fi
expect_match "... for its digest" "$(cat "$RIG/sync.err")" \
    'refused: file:corrupt-text .*do not match its digest'
expect_match "one served past 48 MiB is refused too, and the pull goes on" \
    "$(cat "$RIG/sync.err")" 'refused: file:huge-text: .*larger than 50331648 bytes'
expect_eq "... status ok, two refused" \
    "$(box_status_get sync.state) $(box_status_get sync.refused)" "ok 2"
expect_eq "... and neither is on the box" "$(box_dump "$BOX_DATA" | grep -c '^file:corrupt\|^file:huge')" 0
for d in file:corrupt-text file:huge-text; do
	cloud GET "/$SCHOOL_DB/$d"
	cloud DELETE "/$SCHOOL_DB/$d?rev=$(printf '%s' "$BODY" | jq -r ._rev)"
done
check "their tombstones come down" sync_once

# ---- a resume from an opaque checkpoint -------------------------------------
expect_eq "the cloud takes $RESUME more documents" "$(cloud_bulk more 0 "$RESUME")" "$RESUME"
mark=$(wc -l <"$CLOUD_LOG")
"$CLASSBOX" sync --data "$BOX_DATA" --once --allow-unsynced-clock \
    --batch "$RBATCH" >"$RIG/killed.out" 2>"$RIG/killed.err" &
spid=$!	# classbox itself: SIGKILL must reach it, not a wrapper
n=0
while [ "$n" -lt 300 ]; do
	k=$(tail -n +"$((mark + 1))" "$CLOUD_LOG" | grep -c '"op":"changes"')
	[ "$k" -ge 5 ] && break
	sleep 0.1
	n=$((n + 1))
done
kill -9 "$spid" 2>/dev/null
wait "$spid" 2>/dev/null
got=$(box_dump "$BOX_DATA" 2>/dev/null | grep -c "^more:")
if [ "$got" -gt 0 ] && [ "$got" -lt "$RESUME" ]; then
	ok "sync SIGKILLed mid-pull ($got of $RESUME documents in)"
else
	not_ok "sync SIGKILLed mid-pull (got $got of $RESUME)"
fi
# The checkpoints it had saved: the since= of each _changes it asked (the
# box saves one after each batch, the cloud's copy first), and the cloud's.
killed_since=$(tail -n +"$((mark + 1))" "$CLOUD_LOG" | jq -r 'select(.op == "changes" and .db == "'"$SCHOOL_DB"'") | .since' | tail -1)
ck=$(curl -sS "$CLOUD/$SCHOOL_DB/_local_docs?include_docs=true" |
    jq -r '[.rows[].doc | select(.replicator == "classbox" and (.source_last_seq | type) == "string")][0].source_last_seq')
mark=$(wc -l <"$CLOUD_LOG")
if sync_once --batch "$RBATCH"; then ok "the next sync succeeds"
else not_ok "the next sync succeeds: $(tail -2 "$RIG/sync.err")"; fi
first=$(tail -n +"$((mark + 1))" "$CLOUD_LOG" | jq -r 'select(.op == "changes" and .db == "'"$SCHOOL_DB"'") | .since' | head -1)
# SIGKILL between the cloud's copy and the box's leaves the box's one batch
# behind, same session: it resumes from its own, the older (CouchDB's rule).
if [ "${#first}" -gt 256 ] && { [ "$first" = "$ck" ] || [ "$first" = "$killed_since" ]; }; then
	ok "it resumed from an opaque checkpoint: since= a ${#first}-byte seq ($( [ "$first" = "$ck" ] && echo "the cloud's copy" || echo "the box's copy, one batch behind the cloud's"))"
else
	not_ok "it resumed from an opaque checkpoint (since='$(printf '%s' "$first" | head -c 60)...', checkpoints '$(printf '%s' "$ck" | head -c 60)...', '$(printf '%s' "$killed_since" | head -c 60)...')"
fi
twice=$(tail -n +"$((mark + 1))" "$CLOUD_LOG" | jq -r 'select(.db == "'"$SCHOOL_DB"'" and .op == "changes") | .rows[]' |
    grep '^more:' | cut -d' ' -f1 | sort | uniq -d | wc -l)
again=$(tail -n +"$((mark + 1))" "$CLOUD_LOG" | jq -r 'select(.db == "'"$SCHOOL_DB"'" and .op == "changes") | .rows[]' |
    grep -c '^more:')
if [ "$again" -le $((RESUME - got + RBATCH)) ] && [ "$twice" -eq 0 ]; then
	ok "... fetching $again rows, at most the $((RESUME - got)) missing and one batch ($RBATCH)"
else
	not_ok "... fetching $again rows ($twice twice), more than the $((RESUME - got)) missing and one batch ($RBATCH)"
fi
box_dump "$BOX_DATA" >"$RIG/box.2"
cloud_dump "$SCHOOL_DB" >"$RIG/cloud.2"
if diff "$RIG/cloud.2" "$RIG/box.2" >"$RIG/diff.2"; then
	ok "after the resume both sides hold the same $(wc -l <"$RIG/box.2") documents"
else
	not_ok "after the resume both sides hold the same documents (see $RIG/diff.2)"
fi

# ---- a second box of the same school ------------------------------------------
box_stop
BOX_DATA=$T_DIR/data2
rig_box_start || t_done
admin_setup
new_user t.sato '{"id":"t.sato","name":"佐藤 先生","role":"teacher"}'
activate teacher t.sato
box_enroll "$ENROLL" || not_ok "enroll the second box: $(cat "$RIG/enroll.out")"
if sync_once; then ok "a second box enrolled to the school syncs"
else not_ok "a second box enrolled to the school syncs: $(tail -3 "$RIG/sync.err")"; fi
download teacher "$BF" "$T_DIR/got.restored"
if [ "$STATUS" = 200 ] && cmp -s "$BTXT" "$T_DIR/got.restored"; then
	ok "the first box's text file is restored on the second, byte-identical for its teacher"
else
	not_ok "the first box's text file is restored on the second (HTTP $STATUS)"
fi
expect_match "... as text/plain" "$(cat "$T_DIR/hdr")" '[Cc]ontent-[Tt]ype: text/plain'
expect_eq "... at the first box's revision" \
    "$(box_dump "$BOX_DATA" | awk -v id="$BF" '$1 == id { print $2 }')" \
    "$(awk -v id="$BF" '$1 == id { print $2 }' "$RIG/box.2")"
expect_eq "... and nothing was refused" "$(box_status_get sync.refused)" 0
t_done
