#!/bin/sh
# tests/sync/big_answers.sh (issue 4): answers larger than the 48 MiB the
# box reads in one (HTTPCLI_MAX_RESPONSE) do not stop the pull for good.
# 130 documents of 440 KB, each with two conflicting leaves, make a
# _changes?include_docs answer and a _bulk_get answer of over 50 MB: the
# box asks for fewer at a time until the answers fit, and gets them all.
# One document of 52 MB (more than any answer the box reads, and 50 times
# what the store takes) is refused, in words in the status, and the pull
# goes on past it to the one after. Against Apache CouchDB 3.4.3 (a q=16
# database), whose max_document_size is raised from its default 8 MB to
# 64 MB here so that it can hold the giant (RIG_PEER=pouchdb: PouchDB
# Server, which has no such limit).
. "$(dirname "$0")/../lib.sh"
RIG_PEER=${RIG_PEER:-couchdb}
RIG_COUCH_MAX_DOC=64000000
. "$TOP/tests/sync/rig.sh"
N=130
PAD=440000

rig_start
rig_box_start || t_done
box_enroll "$ENROLL" || { not_ok "enroll: $(cat "$RIG/enroll.out")"; t_done; }

# Ten documents at a time, each with leaves 1-a... and 1-b... (first
# generations, so _changes lists both and include_docs carries the winner).
i=0
while [ $i -lt $N ]; do
	node -e '
const crypto = require("crypto");
const [from, n, pad] = process.argv.slice(1).map(Number);
const docs = [];
for (let i = from; i < from + n; i++)
	for (const leaf of ["a", "b"])
		docs.push({_id: "big:" + String(i).padStart(4, "0"),
		    _rev: "1-" + leaf.repeat(32), type: "sync_test",
		    pad: crypto.randomBytes(pad * 3 / 4).toString("base64")});
process.stdout.write(JSON.stringify({docs, new_edits: false}));' \
	    $i 10 $PAD >"$RIG/docs.json"
	curl -sS -H 'Content-Type: application/json' \
	    --data-binary @"$RIG/docs.json" "$CLOUD/$SCHOOL_DB/_bulk_docs" \
	    >/dev/null || not_ok "rig: _bulk_docs $i"
	i=$((i + 10))
done
rm -f "$RIG/docs.json"
bytes=$(curl -sS "$CLOUD/$SCHOOL_DB/_changes?style=all_docs&include_docs=true" | wc -c)
if [ "$bytes" -gt $((48 << 20)) ]; then ok "rig: the whole _changes answer is $bytes bytes, over 48 MiB"
else not_ok "rig: the whole _changes answer is $bytes bytes, not over 48 MiB"; fi

fp zero >/dev/null
if SYNC_TIMEOUT=300 sync_once; then ok "sync --once pulls answers too big for one request"
else not_ok "sync --once pulls answers too big for one request: $(tail -2 "$RIG/sync.err")"; fi
expect_eq "the box holds what the cloud holds, both leaves of each" \
    "$(box_dump "$BOX_DATA")" "$(cloud_dump "$SCHOOL_DB")"
expect_eq "$N documents, each with its conflict" \
    "$(box_dump "$BOX_DATA" | grep -c '^big:.* 1-[ab]\{32\} 0 1-[ab]\{32\}$')" "$N"
expect_match "it asked for fewer changes" "$(cat "$RIG/sync.err")" \
    'the _changes answer passed 48 MiB; asking for 250 at a time'
expect_match "and for fewer revisions in _bulk_get" "$(cat "$RIG/sync.err")" \
    'the _bulk_get answer passed 48 MiB; asking for [0-9]+ at a time'
expect_eq "status: ok" "$(box_status_get sync.state)" ok

# ---- one document past any answer the box reads ----------------------
node -e '
const pad = "x".repeat(52 * 1000 * 1000);
process.stdout.write(JSON.stringify({_id: "giant:0001", type: "sync_test", pad}));' \
    >"$RIG/giant.json"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
    --data-binary @"$RIG/giant.json" "$CLOUD/$SCHOOL_DB/giant:0001")
rm -f "$RIG/giant.json"
expect_eq "rig: the cloud ($RIG_PEER) stores a 52 MB document" "$code" 201
curl -sS -X PUT -H 'Content-Type: application/json' \
    -d '{"type":"sync_test","text":"written after the giant"}' \
    "$CLOUD/$SCHOOL_DB/after:0001" >/dev/null
# --once exits 1 when it refused a document (as attachments.sh shows)
if SYNC_TIMEOUT=300 sync_once; then not_ok "sync --once goes past a 52 MB document, exits 1 for the refusal"
else ok "sync --once goes past a 52 MB document, exits 1 for the refusal"; fi
expect_match "it says which and why" "$(tail -1 "$RIG/sync.err")" \
    'refused a document from the cloud: giant:0001: the cloud.s answer is larger than 50331648 bytes'
expect_eq "the document after it arrived" \
    "$(box_dump "$BOX_DATA" | grep -c '^after:0001 1-')" 1
expect_eq "the giant did not" "$(box_dump "$BOX_DATA" | grep -c '^giant:')" 0
expect_match "status: the refusal in words" "$(box_status_get sync.last_refused)" \
    'giant:0001: the cloud.s answer is larger than'
if SYNC_TIMEOUT=300 sync_once; then ok "the next run has nothing left to do"
else not_ok "the next run has nothing left to do: $(tail -2 "$RIG/sync.err")"; fi
expect_eq "status: ok" "$(box_status_get sync.state)" ok
t_done
