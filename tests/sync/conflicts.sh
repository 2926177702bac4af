#!/bin/sh
# tests/sync/conflicts.sh (issue 4, item 4): a guidance note edited on
# both sides while the link is cut comes back as a real conflict (PouchDB
# Server behind nginx, the rig of docs/sync-tests.md); the box keeps both
# versions for a teacher. GET /api/v1/conflicts (curl) shows them to the
# homeroom teacher, to nobody else's eyes (another teacher sees nothing, a
# student gets 403, an admin without a grant sees the entry but not the
# texts); the teacher's merge writes one winner and closes the other
# branch; after a sync PouchDB (?conflicts=true) has no conflict and the
# merged text wins on both sides. Reads of the texts are in the operation
# log.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/sync/rig.sh"

rig_start
rig_box_start || t_done
admin_setup
box_enroll "$ENROLL" || not_ok "classbox enroll: $(cat "$RIG/enroll.out")"

# ---- the people: t.sato's homeroom 2-3 with s2026001; t.ito's 2-4 -------
new_user t.sato '{"id":"t.sato","name":"佐藤 先生","role":"teacher"}'
new_user t.ito '{"id":"t.ito","name":"伊藤 先生","role":"teacher"}'
new_user s2026001 '{"id":"s2026001","name":"山田 花子","role":"student"}'
api admin POST /api/v1/classes '{"year":2026,"code":"2-3","name":"2年3組","kind":"homeroom"}'
api admin POST /api/v1/classes '{"year":2026,"code":"2-4","name":"2年4組","kind":"homeroom"}'
api admin POST /api/v1/classes/class:2026:2-3/members '{"user_id":"t.sato","role":"teacher"}'
api admin POST /api/v1/classes/class:2026:2-3/members '{"user_id":"s2026001","role":"student"}'
api admin POST /api/v1/classes/class:2026:2-4/members '{"user_id":"t.ito","role":"teacher"}'
expect_eq "the school is set up" "$STATUS" 201
activate sato t.sato
activate ito t.ito
activate student s2026001

api sato POST /api/v1/guidance-notes '{"student_id":"s2026001","text":"面談の記録: 部活動について"}'
expect_eq "the homeroom teacher writes a guidance note" "$STATUS" 201
NOTE=$(json_id)
check "the note reaches the cloud" sync_once
cloud GET "/$SCHOOL_DB/$NOTE"
expect_eq "... PouchDB has it" "$STATUS" 200

# ---- both sides edit it while cut off --------------------------------------
fp cut >/dev/null
BOX_REV=$("$T_TOOLS/storetool" retext "$BOX_DATA" "$NOTE" "箱での追記: 保護者と電話")
expect_match "the box's copy is edited (storetool retext)" "$BOX_REV" '^2-'
cloud GET "/$SCHOOL_DB/$NOTE"
doc=$(printf '%s' "$BODY" | jq -c '.text = "クラウドでの追記: 進路希望" | .edited_at = 1790000000000')
cloud PUT "/$SCHOOL_DB/$NOTE" "$doc"
expect_eq "the cloud's copy is edited meanwhile (curl to PouchDB)" "$STATUS" 201
CLOUD_REV=$(printf '%s' "$BODY" | jq -r .rev)
if sync_once; then not_ok "sync fails while the link is cut"
else ok "sync fails while the link is cut"; fi
fp pass >/dev/null
check "sync succeeds once the link is back" sync_once
check "a second cycle settles both sides" sync_once
cloud GET "/$SCHOOL_DB/$NOTE?conflicts=true"
expect_eq "PouchDB holds the conflict" \
    "$(printf '%s' "$BODY" | jq -r '._conflicts // [] | length')" 1

# ---- who sees it -----------------------------------------------------------
api sato GET /api/v1/conflicts
expect_eq "the homeroom teacher lists the conflicts" "$STATUS" 200
expect_eq "... one open" "$(printf '%s' "$BODY" | jq -r .open_count)" 1
item=$(printf '%s' "$BODY" | jq -c --arg id "$NOTE" '.open[] | select(.doc_id == $id)')
expect_eq "... the note, left to a teacher" \
    "$(printf '%s' "$item" | jq -r '.doc_type + " " + .rule + " " + .state')" \
    "guidance_note manual open"
expect_eq "... both versions with their texts" \
    "$(printf '%s' "$item" | jq -r '[.versions[].doc.text] | sort | join("|")')" \
    "クラウドでの追記: 進路希望|箱での追記: 保護者と電話"
expect_eq "... their revisions" \
    "$(printf '%s' "$item" | jq -r '[.versions[].rev] | sort | join(" ")')" \
    "$(printf '%s\n%s\n' "$BOX_REV" "$CLOUD_REV" | sort | tr '\n' ' ' | sed 's/ $//')"
expect_eq "... authors and edit times" \
    "$(printf '%s' "$item" | jq -r '[.versions[] | (.doc.author_id != null and .doc.edited_at > 0)] | all')" true
expect_eq "... the kept revision is PouchDB's winner" \
    "$(printf '%s' "$item" | jq -r .kept_rev)" \
    "$(curl -sS "$CLOUD/$SCHOOL_DB/$NOTE" | jq -r ._rev)"
REVS=$(printf '%s' "$item" | jq -c '[.versions[].rev]')

api ito GET /api/v1/conflicts
expect_eq "a teacher of another class lists conflicts" "$STATUS" 200
expect_eq "... and sees nothing of this one" \
    "$(printf '%s' "$BODY" | grep -c -e "$NOTE" -e 追記)" 0
api student GET /api/v1/conflicts
expect_eq "a student gets 403" "$STATUS" 403
api admin GET /api/v1/conflicts
expect_eq "the admin sees the open conflict" "$(printf '%s' "$BODY" | jq -r .open_count)" 1
expect_eq "... but not the note's texts (no grant)" \
    "$(printf '%s' "$BODY" | jq -r --arg id "$NOTE" '.open[] | select(.doc_id == $id) | "\(.readable) \([.versions[].doc] | map(select(. != null)) | length)"')" \
    "false 0"
expect_eq "... nor anywhere in the answer" "$(printf '%s' "$BODY" | grep -c 追記)" 0
api admin GET /api/v1/status/sync
expect_eq "the sync status counts it" "$(printf '%s' "$BODY" | jq -r .conflicts_open)" 1

# ---- the merge --------------------------------------------------------------
MERGED="面談の記録: 保護者と電話、進路希望を確認"
body=$(jq -cn --arg t "$MERGED" --argjson r "$REVS" '{text: $t, revs: $r}')
api ito POST "/api/v1/conflicts/$NOTE/resolve" "$body"
expect_eq "the other class's teacher may not merge it" "$STATUS" 403
stale=$(jq -cn --arg t "$MERGED" --arg r "$BOX_REV" '{text: $t, revs: [$r, "2-00000000000000000000000000000000"]}')
api sato POST "/api/v1/conflicts/$NOTE/resolve" "$stale"
expect_eq "a merge of versions other than the current ones is 409" "$STATUS" 409
api sato POST "/api/v1/conflicts/$NOTE/resolve" "$body"
expect_eq "the homeroom teacher merges the versions" "$STATUS" 200
MERGED_REV=$(printf '%s' "$BODY" | jq -r ._rev)
expect_match "... a new revision on the winner" "$MERGED_REV" '^3-'
expect_eq "... the other branch closed" "$(printf '%s' "$BODY" | jq -r '.closed | length')" 1
api sato POST "/api/v1/conflicts/$NOTE/resolve" "$body"
expect_eq "the same merge again: the versions changed, 409" "$STATUS" 409
api sato GET "/api/v1/guidance-notes?student=s2026001"
expect_eq "the note now reads the merged text" \
    "$(printf '%s' "$BODY" | jq -r --arg id "$NOTE" '.items[] | select(._id == $id) | .text')" "$MERGED"
api sato GET /api/v1/conflicts
expect_eq "no open conflict is left" "$(printf '%s' "$BODY" | jq -r .open_count)" 0
expect_eq "the resolution is listed with who merged it" \
    "$(printf '%s' "$BODY" | jq -r --arg id "$NOTE" '.resolved[] | select(.doc_id == $id) | .resolved_by')" t.sato
expect_eq "... and both former versions stay readable" \
    "$(printf '%s' "$BODY" | jq -r --arg id "$NOTE" '[.resolved[] | select(.doc_id == $id) | .versions[] | select(.state != "current") | .doc.text] | sort | join("|")')" \
    "クラウドでの追記: 進路希望|箱での追記: 保護者と電話"
api admin GET /api/v1/status/sync
expect_eq "the sync status counts no open conflict" "$(printf '%s' "$BODY" | jq -r .conflicts_open)" 0

# ---- sync again: one winner on both sides ---------------------------------------
check "sync after the merge" sync_once
check "and once more" sync_once
cloud GET "/$SCHOOL_DB/$NOTE?conflicts=true"
expect_eq "PouchDB: no conflict left" "$(printf '%s' "$BODY" | jq -r '._conflicts // [] | length')" 0
expect_eq "PouchDB: the merged revision wins" "$(printf '%s' "$BODY" | jq -r ._rev)" "$MERGED_REV"
expect_eq "PouchDB: with the merged text" "$(printf '%s' "$BODY" | jq -r .text)" "$MERGED"
expect_eq "PouchDB: the closed branch is a tombstone" \
    "$(curl -sS "$CLOUD/$SCHOOL_DB/$NOTE?open_revs=all" -H 'Accept: application/json' | jq -r '[.[] | select(.ok._deleted == true)] | length')" 1
expect_eq "the box: the same winner, no conflict" \
    "$(box_dump "$BOX_DATA" | grep "^$NOTE ")" "$NOTE $MERGED_REV 0 -"
box_dump "$BOX_DATA" >"$RIG/box.3"
cloud_dump "$SCHOOL_DB" >"$RIG/cloud.3"
if diff "$RIG/cloud.3" "$RIG/box.3" >"$RIG/diff.3"; then
	ok "both sides hold the same documents, revisions and (no) conflicts"
else
	not_ok "both sides hold the same documents (see $RIG/diff.3)"
fi

cloud GET "/$SCHOOL_DB/$(curl -sS "$CLOUD/$SCHOOL_DB/_all_docs" | jq -r '.rows[].id | select(startswith("conflict:"))' | head -1)"
expect_eq "the cloud holds the record of the merge" \
    "$(printf '%s' "$BODY" | jq -r '.doc_id + " " + .resolved_by')" "$NOTE t.sato"

# ---- the operation log --------------------------------------------------------
api admin GET "/api/v1/audit/ops?action=conflict.read&limit=50"
expect_match "reading the texts is in the operation log" "$BODY" \
    "\"actor\":\"t.sato\",\"action\":\"conflict.read\",\"target\":\"$NOTE\""
api admin GET "/api/v1/audit/ops?action=guidance_note.merge&limit=50"
expect_match "... and so is the merge" "$BODY" \
    "\"actor\":\"t.sato\",\"action\":\"guidance_note.merge\",\"target\":\"$NOTE\""

t_done
