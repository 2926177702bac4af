#!/bin/sh
# tests/sync/gzip.sh (issue 4): compression on the cloud link, against the
# rig (PouchDB Server behind nginx with gzip on, as a CouchDB deployment):
# the box asks for gzip and its pull arrives gzipped (fewer bytes than the
# JSON, the same documents); its large pushes go up gzipped and PouchDB
# Server stores them; a cloud that answers a gzipped body 415 gets it again
# plain, and then only plain bodies for the rest of that sync process.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/sync/rig.sh"
DOCS=400

rig_start
rig_box_start || t_done
box_enroll "$ENROLL" || { not_ok "enroll: $(cat "$RIG/enroll.out")"; t_done; }

# field N of the access log lines after line FROM for requests matching RE
# (fields: 3 status, 4 request bytes, 5 response bytes, 8 path,
# 11 request Content-Encoding, 12 response Content-Encoding)
log_after() { nginx_requests | tail -n +"$(($1 + 1))" | grep -e "$2"; }

# ---- pull: answers gzipped, first revisions inline ---------------------
node -e '
const docs = [];
for (let i = 0; i < '"$DOCS"'; i++)
	docs.push({_id: "gz:" + String(i).padStart(5, "0"), type: "sync_test",
	    text: "a document the cloud wrote, number " + i + ", with some words to compress"});
process.stdout.write(JSON.stringify({docs}));' >"$RIG/docs.json"
curl -sS -H 'Content-Type: application/json' --data-binary @"$RIG/docs.json" \
    "$CLOUD/$SCHOOL_DB/_bulk_docs" >/dev/null
# Half of them edited once: second revisions come by _bulk_get (with their
# history), first ones inline in _changes.
curl -sS "$CLOUD/$SCHOOL_DB/_all_docs?include_docs=true&limit=$((DOCS / 2))" |
    jq -c '{docs: [.rows[].doc | .text = "edited in the cloud: " + .text]}' |
    curl -sS -H 'Content-Type: application/json' --data-binary @- \
    "$CLOUD/$SCHOOL_DB/_bulk_docs" >/dev/null
mark=$(nginx_requests | wc -l)
fp zero >/dev/null
if sync_once; then ok "sync --once pulls through gzip"
else not_ok "sync --once pulls through gzip: $(tail -2 "$RIG/sync.err")"; fi
down=$(fp_stat down)
expect_eq "the box holds what the cloud holds" "$(box_dump "$BOX_DATA")" \
    "$(cloud_dump "$SCHOOL_DB")"
bg=$(log_after "$mark" '_bulk_get')
expect_match "_bulk_get answers come gzipped" \
    "$(echo "$bg" | awk '{ print $12 }' | sort -u | tr '\n' ' ')" '^gzip $'
expect_match "the _changes answer with the rows came gzipped" \
    "$(log_after "$mark" '_changes' | awk '$5 > 2000 { print $12 }' | sort -u | tr '\n' ' ')" '^gzip $'
# The revisions alone, as JSON, are larger than everything the box received.
json=$(curl -sS "$CLOUD/$SCHOOL_DB/_all_docs?include_docs=true" | wc -c)
if [ "$down" -lt "$json" ]; then ok "the pull took $down bytes on the wire, less than the $json bytes of its documents as JSON"
else not_ok "the pull took $down bytes on the wire, not less than the $json bytes of its documents as JSON"; fi
expect_match "_bulk_get requests (over 8 KiB of JSON each) go up gzipped" \
    "$(echo "$bg" | awk '{ print $11 }' | sort -u | tr '\n' ' ')" '^gzip $'
expect_eq "_bulk_get was asked for the $((DOCS / 2)) second revisions only" \
    "$(cloud_log | jq -r 'select(.op == "bulk_get") | .revs[]' | cut -d' ' -f2 | cut -d- -f1 | sort | uniq -c | awk '{ print $2 ":" $1 }')" \
    "2:$((DOCS / 2))"

# ---- push: large bodies gzipped ----------------------------------------
"$T_TOOLS/storetool" seed "$BOX_DATA" "$DOCS" boxgz || not_ok "storetool seed"
mark=$(nginx_requests | wc -l)
if sync_once; then ok "sync --once pushes $DOCS documents"
else not_ok "sync --once pushes $DOCS documents: $(tail -2 "$RIG/sync.err")"; fi
expect_eq "the cloud holds what the box holds" "$(cloud_dump "$SCHOOL_DB")" \
    "$(box_dump "$BOX_DATA")"
expect_eq "_revs_diff and _bulk_docs went up gzipped (request Content-Encoding)" \
    "$(log_after "$mark" '_revs_diff\|school-0001/_bulk_docs' | awk '{ print $11 }' | sort -u | tr '\n' ' ')" "gzip "
expect_eq "and were taken (201/200)" \
    "$(log_after "$mark" '_revs_diff\|school-0001/_bulk_docs' | awk '{ print $3 }' | sort -u | tr '\n' ' ')" "200 201 "

# ---- the echo: the next pull lists what the box pushed; rows only ------
# The cloud's feed now holds the box's $DOCS documents. The box has them
# all, so after a first batch without the documents it does not ask for
# them inline, nor fetch any by _bulk_get: a pushed day is not downloaded
# again (docs/sync.md, "Pull").
mark=$(nginx_requests | wc -l)
fp zero >/dev/null
if sync_once --batch 100; then ok "the next sync --once pulls the echo of the push"
else not_ok "the next sync --once pulls the echo of the push: $(tail -2 "$RIG/sync.err")"; fi
echo_changes=$(log_after "$mark" 'GET /school-0001/_changes')
expect_eq "its _changes asked for rows only ($DOCS rows, batches of 100)" \
    "$(echo "$echo_changes" | grep -c include_docs) $(echo "$echo_changes" | wc -l)" "0 5"
expect_eq "and it fetched nothing by _bulk_get" "$(log_after "$mark" '_bulk_get' | wc -l)" 0
echo "# the echo of $DOCS documents: $(fp_stat down) bytes down, $(fp_stat up) up"
expect_eq "the box still holds what the cloud holds" "$(box_dump "$BOX_DATA")" \
    "$(cloud_dump "$SCHOOL_DB")"

# ---- a cloud that refuses gzip bodies: 415, then plain ----------------
rig_server nogzip
"$T_TOOLS/storetool" seed "$BOX_DATA" "$DOCS" nogz || not_ok "storetool seed"
"$T_TOOLS/storetool" seed "$BOX_DATA" "$DOCS" nogz2 || not_ok "storetool seed"
mark=$(nginx_requests | wc -l)
if sync_once --batch 400; then ok "sync --once pushes to a cloud that refuses gzip bodies"
else not_ok "sync --once pushes to a cloud that refuses gzip bodies: $(tail -2 "$RIG/sync.err")"; fi
expect_eq "the cloud holds what the box holds" "$(cloud_dump "$SCHOOL_DB")" \
    "$(box_dump "$BOX_DATA")"
posts=$(log_after "$mark" 'POST /school-0001/_revs_diff\|POST /school-0001/_bulk_docs')
expect_eq "one gzipped body was refused with 415" \
    "$(echo "$posts" | awk '$3 == 415' | wc -l)" 1
expect_eq "... the first one" "$(echo "$posts" | head -1 | awk '{ print $3, $11 }')" "415 gzip"
expect_eq "every later body went plain (2 batches: 4 requests after the refused one)" \
    "$(echo "$posts" | tail -n +2 | awk '$11 == "-" && ($3 == 200 || $3 == 201)' | wc -l)" 4
rig_server good
t_done
