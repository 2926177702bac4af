#!/bin/sh
# A school day in homeroom 2-3 (issue 3, must-show): the admin sets up the
# class with a teacher, 35 students and their parents through the API; the
# teacher takes attendance for all 35 in one request; a parent sends an
# absence notice before the cut-off (one after it is refused); a student
# submits an assignment and the teacher sees it; a graduated student is
# refused; a parent cannot see another family's child. Then the raw LMDB
# file is scanned for a student's name and a guidance note's text, and the
# school goes through terminating and terminated.
. "$(dirname "$0")/../lib.sh"
box_start || t_done

admin_setup
TODAY=$(TZ=Asia/Tokyo date +%F)
TOMORROW=$(TZ=Asia/Tokyo date -d tomorrow +%F)
YESTERDAY=$(TZ=Asia/Tokyo date -d yesterday +%F)

api admin PUT /api/v1/school '{"name":"桜丘高等学校","year":2026,"state":"active","absence_cutoff":"08:00"}'
expect_eq "the admin sets up the school with an 08:00 cut-off" "$STATUS" 200

# The people: a homeroom teacher, another teacher, 35 students, 35 parents.
new_user t.sato '{"id":"t.sato","name":"佐藤 先生","role":"teacher"}'
new_user t.ito '{"id":"t.ito","name":"伊藤 先生","role":"teacher"}'
i=1
while [ $i -le 35 ]; do
	n=$(printf '%03d' $i)
	name="生徒 $n"
	[ $i -eq 1 ] && name="山田 花子 Yamada Hanako"
	new_user "s2026$n" "{\"id\":\"s2026$n\",\"name\":\"$name\",\"role\":\"student\"}"
	new_user "p2026$n" "{\"id\":\"p2026$n\",\"name\":\"保護者 $n\",\"role\":\"parent\",\"children\":[\"s2026$n\"]}"
	i=$((i + 1))
done
expect_eq "the admin registered 72 people" "$CREATED" 72

api admin POST /api/v1/classes '{"year":2026,"code":"2-3","name":"2年3組","kind":"homeroom"}'
expect_eq "the admin creates homeroom 2-3" "$STATUS" 201
expect_match "its id carries the year and code" "$BODY" '"_id":"class:2026:2-3"'
C=class:2026:2-3
api admin POST /api/v1/classes '{"year":2026,"code":"2-3","name":"again","kind":"homeroom"}'
expect_eq "the same class twice is refused" "$STATUS" 409
api admin GET "/api/v1/classes/$C"
CREV=$(printf '%s' "$BODY" | sed -n 's/.*"_rev":"\([^"]*\)".*/\1/p')
api admin PUT "/api/v1/classes/$C" "{\"_rev\":\"$CREV\",\"name\":\"2年3組（担任 佐藤）\"}"
expect_match "the admin renames it, keeping its history" "$STATUS $BODY" '^200 .*"_rev":"2-'
api admin PUT "/api/v1/classes/$C" "{\"_rev\":\"$CREV\",\"name\":\"again\"}"
expect_eq "an edit from the old revision is a conflict" "$STATUS" 409
api admin POST "/api/v1/classes/$C/members" '{"user_id":"t.sato","role":"teacher"}'
expect_eq "t.sato becomes the homeroom teacher" "$STATUS" 201
ADDED=0
i=1
while [ $i -le 35 ]; do
	api admin POST "/api/v1/classes/$C/members" "{\"user_id\":\"s2026$(printf '%03d' $i)\",\"role\":\"student\"}"
	[ "$STATUS" = 201 ] && ADDED=$((ADDED + 1))
	i=$((i + 1))
done
expect_eq "35 students join 2-3" "$ADDED" 35
api admin POST "/api/v1/classes/$C/members" '{"user_id":"p2026001","role":"student"}'
expect_eq "a parent cannot be made a student member" "$STATUS" 400

# Attendance: 35 students, one request.
activate teacher t.sato
ENTRIES=
i=1
while [ $i -le 35 ]; do
	st=present
	[ $i -eq 5 ] && st=absent
	[ $i -eq 6 ] && st=late
	ENTRIES="$ENTRIES{\"student_id\":\"s2026$(printf '%03d' $i)\",\"status\":\"$st\"},"
	i=$((i + 1))
done
ENTRIES=${ENTRIES%,}
api teacher POST /api/v1/attendance "{\"class_id\":\"$C\",\"date\":\"$TODAY\",\"period\":1,\"entries\":[$ENTRIES]}"
expect_eq "the teacher takes attendance for 35 students in one request" "$STATUS" 200
expect_match "and all 35 are recorded" "$BODY" '"recorded":35'
api teacher GET "/api/v1/attendance?class=$C&date=$TODAY&limit=100"
expect_eq "the class's attendance reads back" "$(count_items)" 35
api teacher POST /api/v1/attendance "{\"class_id\":\"$C\",\"date\":\"$TODAY\",\"period\":1,\"entries\":[{\"student_id\":\"s2026005\",\"status\":\"late\",\"reason\":\"電車の遅れ\"}]}"
expect_eq "a correction of one entry" "$STATUS" 200
api teacher GET "/api/v1/attendance?student=s2026005"
expect_match "keeps one record, now late, with a new revision" "$BODY" '"_rev":"2-.*"status":"late"'
api teacher POST /api/v1/attendance "{\"class_id\":\"$C\",\"date\":\"$TODAY\",\"period\":2,\"entries\":[{\"student_id\":\"s2026001\",\"status\":\"present\"},{\"student_id\":\"s2026002\",\"status\":\"sleepy\"}]}"
expect_eq "a roll call with a bad status is refused" "$STATUS" 400
expect_match "naming the field" "$BODY" '"field":"status"'
api teacher GET "/api/v1/attendance?class=$C&date=$TODAY&limit=100"
expect_eq "and nothing of it was written" "$(count_items)" 35

# Absence notices: before the cut-off (tomorrow's), and after (yesterday's).
activate parent1 p2026001
api parent1 POST /api/v1/absence-notices "{\"student_id\":\"s2026001\",\"date\":\"$TOMORROW\",\"kind\":\"absent\",\"reason\":\"発熱のため\"}"
expect_eq "a parent sends an absence notice before the cut-off" "$STATUS" 201
NOTICE=$(json_id)
api parent1 POST /api/v1/absence-notices "{\"student_id\":\"s2026001\",\"date\":\"$YESTERDAY\",\"kind\":\"late\"}"
expect_eq "a notice after the day's cut-off is refused" "$STATUS" 409
expect_match "with a clear message" "$BODY" '"code":"cutoff_passed".*deadline for absence notices'
api parent1 POST /api/v1/absence-notices "{\"student_id\":\"s2026002\",\"date\":\"$TOMORROW\",\"kind\":\"absent\"}"
expect_eq "a parent cannot send a notice for another family's child" "$STATUS" 403
api teacher GET "/api/v1/absence-notices?date=$TOMORROW"
expect_match "the homeroom teacher sees the notice" "$BODY" "\"_id\":\"$NOTICE\""
activate teacher2 t.ito
api teacher2 GET "/api/v1/absence-notices?date=$TOMORROW"
expect_match "so does every teacher of the school" "$BODY" "\"_id\":\"$NOTICE\""
# The roster with names (the UI shows names): the teacher reads every
# member's, a parent only their own child's row and name.
api teacher GET "/api/v1/classes/$C/members?limit=100"
expect_match "the teacher's roster carries each member's name" "$BODY" '"user_id":"s2026001","name":"山田 花子 Yamada Hanako"'
expect_eq "and all 36 members are listed" "$(printf '%s' "$BODY" | grep -o '"name":' | wc -l | tr -d ' ')" 36
api parent1 GET "/api/v1/classes/$C/members?limit=100"
expect_match "a parent sees their child's row with the name" "$BODY" '"items":\[\{[^]]*"user_id":"s2026001","name":"山田 花子'
expect_eq "and no one else's" "$(printf '%s' "$BODY" | grep -o '"user_id":' | wc -l | tr -d ' ')" 1
api parent1 POST "/api/v1/absence-notices/$NOTICE/withdraw"
expect_match "the parent withdraws it" "$STATUS $BODY" '^200 .*"state":"withdrawn"'
api parent1 POST "/api/v1/absence-notices/$NOTICE/withdraw"
expect_eq "twice is refused" "$STATUS" 409
api teacher GET "/api/v1/absence-notices/$NOTICE"
expect_match "the withdrawn notice is kept" "$STATUS $BODY" '^200 .*"withdrawn_at"'

# An assignment, a submission, the teacher sees it.
api teacher POST /api/v1/assignments "{\"class_id\":\"$C\",\"title\":\"数学 課題1\",\"instructions\":\"p.12 の問 1-5\",\"due_date\":\"${TOMORROW}T17:00\",\"questions\":[\"問1の答え\"]}"
expect_eq "the teacher sets an assignment" "$STATUS" 201
ASG=$(json_id)
activate student2 s2026002
api student2 GET "/api/v1/assignments?class=$C"
expect_match "the student sees it" "$BODY" "\"_id\":\"$ASG\""
api student2 POST "/api/v1/assignments/$ASG/submissions" '{"text":"答えは 42 です","answers":["42"]}'
expect_eq "the student submits" "$STATUS" 201
expect_match "on time" "$BODY" '"late":false'
api teacher GET "/api/v1/assignments/$ASG/submissions"
expect_match "the teacher sees the submission" "$BODY" '"student_id":"s2026002"'
api student2 GET "/api/v1/assignments/$ASG/submissions?student=s2026001"
expect_eq "a student cannot list another's submissions" "$STATUS" 403
api parent1 GET "/api/v1/assignments/$ASG/submissions?student=s2026002"
expect_eq "a parent cannot see another family's child's submissions" "$STATUS" 403
api parent1 GET "/api/v1/attendance?student=s2026002"
expect_eq "nor their attendance" "$STATUS" 403
api parent1 GET "/api/v1/attendance?student=s2026001"
expect_eq "but sees their own child's" "$STATUS" 200
expect_eq "(one record)" "$(count_items)" 1

# Announcements and 見ました.
api teacher POST /api/v1/announcements "{\"class_id\":\"$C\",\"title\":\"明日の持ち物\",\"body\":\"体操服を持ってきてください。\"}"
expect_eq "the teacher posts an announcement" "$STATUS" 201
ANN=$(json_id)
api student2 GET "/api/v1/announcements?class=$C"
expect_match "the list says the student has not seen it yet" "$BODY" '"seen":false'
api student2 POST "/api/v1/announcements/$ANN/seen"
expect_eq "the student marks it 見ました" "$STATUS" 201
api student2 GET "/api/v1/announcements?class=$C"
expect_match "the list says this student has seen it" "$BODY" '"seen":true'
api teacher GET "/api/v1/announcements?class=$C"
expect_match "(seen is per reader: not the teacher's)" "$BODY" '"seen":false'
api teacher GET "/api/v1/announcements/$ANN/receipts?limit=100"
expect_match "the teacher sees who has seen it" "$BODY" '"user_id":"s2026002","seen":true'
expect_eq "(one row per student)" "$(count_items)" 35

# Graduation: the student is refused, their parent too; the teacher keeps
# read-only access to the attendance.
activate student3 s2026003
activate parent3 p2026003
api admin POST /api/v1/users/s2026003/graduate
expect_eq "the admin graduates s2026003" "$STATUS" 200
api student3 GET "/api/v1/attendance?student=s2026003"
expect_eq "the graduated student's session is gone" "$STATUS" 401
login student3 s2026003 "$NEWPW"
expect_eq "and the graduated student cannot log in" "$STATUS" 401
api parent3 GET "/api/v1/attendance?student=s2026003"
expect_eq "the graduate's parent is refused" "$STATUS" 403
expect_match "as the student has left" "$BODY" '"code":"student_left"'
api teacher GET "/api/v1/attendance?student=s2026003"
expect_eq "the teacher still reads the graduate's attendance" "$STATUS" 200
api teacher POST /api/v1/attendance "{\"class_id\":\"$C\",\"date\":\"$TOMORROW\",\"period\":1,\"entries\":[{\"student_id\":\"s2026003\",\"status\":\"present\"}]}"
expect_eq "but cannot write it" "$STATUS" 403

# Guidance notes: the homeroom teacher writes; others need a grant.
api teacher POST /api/v1/guidance-notes '{"student_id":"s2026001","text":"家庭訪問メモ: XYZZY-guidance-7731 について保護者と面談"}'
expect_eq "the homeroom teacher writes a guidance note" "$STATUS" 201
api teacher GET "/api/v1/guidance-notes?student=s2026001"
expect_match "and reads it" "$BODY" 'XYZZY-guidance-7731'
api teacher2 GET "/api/v1/guidance-notes?student=s2026001"
expect_eq "another teacher cannot" "$STATUS" 403
api admin GET "/api/v1/guidance-notes?student=s2026001"
expect_eq "nor can an admin without a grant" "$STATUS" 403
api admin POST /api/v1/grants '{"grantee_id":"t.ito","student_id":"s2026001"}'
expect_eq "the admin grants t.ito" "$STATUS" 201
api teacher2 GET "/api/v1/guidance-notes?student=s2026001"
expect_match "now t.ito reads the note" "$STATUS $BODY" '^200 .*XYZZY-guidance-7731'
api admin DELETE /api/v1/grants/t.ito/s2026001
expect_eq "the admin revokes the grant" "$STATUS" 204
api teacher2 GET "/api/v1/guidance-notes?student=s2026001"
expect_eq "and t.ito is refused again" "$STATUS" 403

# Nothing personal in the raw file.
DB=$BOX_DATA/store/data.mdb
expect_match "the store's data file exists" "$(ls -l "$DB" 2>&1)" 'data.mdb'
for needle in "山田 花子" "Yamada Hanako" "XYZZY-guidance-7731" "家庭訪問メモ" "発熱のため"; do
	if grep -aqF "$needle" "$DB"; then not_ok "'$needle' is not in data.mdb in clear"
	else ok "'$needle' is not in data.mdb in clear"; fi
done
expect_eq "the KEK is a 0600 file apart from the data" "$(stat -c %a "$BOX_DATA/keys/kek")" 600
expect_eq "the store directory is 0700" "$(stat -c %a "$BOX_DATA/store")" 700

# The end of the school: terminating (banner, admins read only), terminated.
api admin GET /api/v1/school
REV=$(printf '%s' "$BODY" | sed -n 's/.*"_rev":"\([^"]*\)".*/\1/p')
api admin PUT /api/v1/school '{"_rev":"1-00000000000000000000000000000000","state":"terminating"}'
expect_eq "a stale _rev is a conflict" "$STATUS" 409
api admin PUT /api/v1/school "{\"_rev\":\"$REV\",\"state\":\"terminating\"}"
expect_eq "the admin starts the termination" "$STATUS" 200
api teacher GET /api/v1/me
expect_match "everyone sees the banner state" "$BODY" '"school_state":"terminating"'
api teacher POST /api/v1/announcements "{\"class_id\":\"$C\",\"title\":\"x\",\"body\":\"y\"}"
expect_match "a teacher's write is refused" "$STATUS $BODY" '^403 .*school_terminating'
api teacher GET "/api/v1/announcements?class=$C"
expect_match "and so are their reads" "$STATUS $BODY" '^403 .*school_terminating'
api admin GET "/api/v1/attendance?class=$C&date=$TODAY&limit=100"
expect_eq "admins may still read (to export)" "$STATUS" 200
api admin POST /api/v1/classes '{"year":2026,"code":"9-9","name":"x","kind":"group"}'
expect_eq "but not write" "$STATUS" 403
api admin GET /api/v1/school
REV=$(printf '%s' "$BODY" | sed -n 's/.*"_rev":"\([^"]*\)".*/\1/p')
api admin PUT /api/v1/school "{\"_rev\":\"$REV\",\"state\":\"terminated\"}"
expect_match "PUT cannot end the school (it needs the confirmation)" "$STATUS $BODY" '^400 .*state'
api admin POST /api/v1/school/terminate '{"confirm":"桜丘高等学校"}'
expect_match "not before the school's data is exported and confirmed" "$STATUS $BODY" '^409 .*export_not_confirmed'
export_zip "$T_DIR/final.zip"
confirm_zip "$T_DIR/final.zip"
expect_eq "the admin exports and confirms the download" "$STATUS" 200
api admin POST /api/v1/school/terminate '{"confirm":"桜丘高等学校"}'
expect_eq "the school is terminated" "$STATUS" 200
api admin GET /api/v1/classes
expect_match "then even admins are refused" "$STATUS $BODY" '^403 .*school_terminated'
login nobody t.sato "$NEWPW"
expect_match "and nobody can log in" "$STATUS $BODY" '^403 .*school_terminated'
t_done
