#!/bin/sh
# The authorization matrix (issue 3, must-show): every role x endpoint x
# relationship against a real box over HTTPS. Two homerooms (A: t1 with
# s1, s3, s4; B: t2 with s2); parents p1..p4 of s1..s4; s3 graduates and
# s4 is suspended after the records are made. Each row names the request
# and the status each actor must get; the expectations are written from
# the issue's rules, not read from core/policy.c. Prints one "not ok" per
# wrong answer and a count of the cases checked.
. "$(dirname "$0")/../lib.sh"
box_start || t_done
admin_setup
D=$(TZ=Asia/Tokyo date +%F)
TOMORROW=$(TZ=Asia/Tokyo date -d tomorrow +%F)
A=class:2026:2-1
B=class:2026:2-2

api admin PUT /api/v1/school '{"name":"桜丘高等学校","year":2026,"state":"active"}'
for u in t1:teacher t2:teacher s1:student s2:student s3:student s4:student; do
	id=${u%%:*}; role=${u#*:}
	new_user "u.$id" "{\"id\":\"u.$id\",\"name\":\"名前 $id\",\"role\":\"$role\"}"
done
for k in 1 2 3 4; do
	new_user "u.p$k" "{\"id\":\"u.p$k\",\"name\":\"保護者 $k\",\"role\":\"parent\",\"children\":[\"u.s$k\"]}"
done
api admin POST /api/v1/classes '{"year":2026,"code":"2-1","name":"2年1組","kind":"homeroom"}'
api admin POST /api/v1/classes '{"year":2026,"code":"2-2","name":"2年2組","kind":"homeroom"}'
for m in "$A:u.t1:teacher" "$A:u.s1:student" "$A:u.s3:student" "$A:u.s4:student" \
    "$B:u.t2:teacher" "$B:u.s2:student"; do
	uid=${m#class:2026:2-?:}; cls=${m%:$uid}; role=${uid#*:}; uid=${uid%:*}
	api admin POST "/api/v1/classes/$cls/members" "{\"user_id\":\"$uid\",\"role\":\"$role\"}"
	[ "$STATUS" = 201 ] || not_ok "member $uid of $cls ($STATUS $BODY)"
done
for a in t1 t2 s1 s2 s3 p1 p2 p3 p4; do activate "$a" "u.$a"; done

# Records of every kind, made while everyone is active.
api t1 POST /api/v1/announcements "{\"class_id\":\"$A\",\"title\":\"A\",\"body\":\"a\"}"; ANN_A=$(json_id)
api t2 POST /api/v1/announcements "{\"class_id\":\"$B\",\"title\":\"B\",\"body\":\"b\"}"; ANN_B=$(json_id)
api admin POST /api/v1/announcements '{"class_id":"school","title":"S","body":"s"}'; ANN_S=$(json_id)
api t1 POST /api/v1/assignments "{\"class_id\":\"$A\",\"title\":\"A\",\"instructions\":\"i\",\"due_date\":\"${TOMORROW}T17:00\"}"; ASG_A=$(json_id)
api t2 POST /api/v1/assignments "{\"class_id\":\"$B\",\"title\":\"B\",\"instructions\":\"i\",\"due_date\":\"${TOMORROW}T17:00\"}"; ASG_B=$(json_id)
api s1 POST "/api/v1/assignments/$ASG_A/submissions" '{"text":"s1"}'
api s3 POST "/api/v1/assignments/$ASG_A/submissions" '{"text":"s3"}'
api t1 POST /api/v1/attendance "{\"class_id\":\"$A\",\"date\":\"$D\",\"period\":1,\"entries\":[{\"student_id\":\"u.s1\",\"status\":\"present\"},{\"student_id\":\"u.s3\",\"status\":\"absent\"},{\"student_id\":\"u.s4\",\"status\":\"late\"}]}"
api t2 POST /api/v1/attendance "{\"class_id\":\"$B\",\"date\":\"$D\",\"period\":1,\"entries\":[{\"student_id\":\"u.s2\",\"status\":\"present\"}]}"
api p1 POST /api/v1/absence-notices "{\"student_id\":\"u.s1\",\"date\":\"$TOMORROW\",\"kind\":\"absent\"}"; N1=$(json_id)
api p2 POST /api/v1/absence-notices "{\"student_id\":\"u.s2\",\"date\":\"$TOMORROW\",\"kind\":\"late\"}"; N2=$(json_id)
api t1 POST /api/v1/guidance-notes '{"student_id":"u.s1","text":"note s1"}'
api t1 POST /api/v1/guidance-notes '{"student_id":"u.s3","text":"note s3"}'
api t2 POST /api/v1/guidance-notes '{"student_id":"u.s2","text":"note s2"}'
for v in ANN_A ANN_B ANN_S ASG_A ASG_B N1 N2; do
	eval "x=\$$v"; [ -n "$x" ] || not_ok "setup: $v made"
done

# Then s3 graduates and s4 is suspended.
api admin POST /api/v1/users/u.s3/graduate
api admin POST /api/v1/users/u.s4/suspend

CASES=0
# row METHOD PATH BODY "actor=status ...": each actor's answer.
row() {
	method=$1 path=$2 body=$3
	for e in $4; do
		who=${e%=*} want=${e#*=}
		api "$who" "$method" "$path" "$body"
		CASES=$((CASES + 1))
		[ "$STATUS" = "$want" ] ||
			not_ok "$who $method $path: got $STATUS, want $want ($(printf '%s' "$BODY" | head -c 160))"
	done
}
ALL200="admin=200 t1=200 t2=200 s1=200 s2=200 p1=200 p2=200 p3=200 p4=200"
NONE="t1=403 t2=403 s1=403 s2=403 p1=403 p2=403 p3=403 p4=403"

# school, users
row GET /api/v1/school "" "$ALL200"
row PUT /api/v1/school '{"name":"x"}' "admin=400 $NONE"
row GET /api/v1/users "" "admin=200 $NONE"
# classes: own class, other class, child's class, graduated/suspended child's
row GET /api/v1/classes "" "$ALL200"
row POST /api/v1/classes '{"year":2026,"code":"9-1","name":"x","kind":"club"}' "admin=201 $NONE"
for p in "$A" "$A/members"; do
	row GET "/api/v1/classes/$p" "" "admin=200 t1=200 t2=403 s1=200 s2=403 p1=200 p2=403 p3=403 p4=403"
done
for p in "$B" "$B/members"; do
	row GET "/api/v1/classes/$p" "" "admin=200 t1=403 t2=200 s1=403 s2=200 p1=403 p2=200 p3=403 p4=403"
done
row POST "/api/v1/classes/$B/members" '{"user_id":"u.t1","role":"teacher"}' "t1=403 t2=403 s2=403 p2=403"
row GET "/api/v1/classes?student=u.s1" "" "admin=200 p1=200 p2=403 s2=403"
# announcements
row GET "/api/v1/announcements?class=$A" "" "admin=200 t1=200 t2=403 s1=200 s2=403 p1=200 p2=403 p3=403 p4=403"
row GET "/api/v1/announcements?class=$B" "" "admin=200 t1=403 t2=200 s1=403 s2=200 p1=403 p2=200 p3=403 p4=403"
row GET "/api/v1/announcements?class=school" "" "$ALL200"
row GET "/api/v1/announcements/$ANN_A" "" "admin=200 t1=200 t2=403 s1=200 s2=403 p1=200 p2=403 p3=403 p4=403"
row GET "/api/v1/announcements/$ANN_S" "" "$ALL200"
row POST /api/v1/announcements "{\"class_id\":\"$A\",\"title\":\"t\",\"body\":\"b\"}" "admin=201 t1=201 t2=403 s1=403 s2=403 p1=403 p2=403 p3=403 p4=403"
row POST /api/v1/announcements '{"class_id":"school","title":"t","body":"b"}' "admin=201 t1=403 t2=403 s1=403 p1=403"
row POST "/api/v1/announcements/$ANN_A/seen" "" "t1=201 t2=403 s1=201 s2=403 p1=201 p2=403 p3=403"
row POST "/api/v1/announcements/$ANN_A/seen" "" "s1=200"
row GET "/api/v1/announcements/$ANN_A/receipts" "" "admin=200 t1=200 t2=403 s1=403 s2=403 p1=403 p2=403"
# assignments and submissions
row GET "/api/v1/assignments?class=$A" "" "admin=200 t1=200 t2=403 s1=200 s2=403 p1=200 p2=403 p3=403 p4=403"
row GET "/api/v1/assignments/$ASG_B" "" "admin=200 t1=403 t2=200 s1=403 s2=200 p1=403 p2=200 p3=403 p4=403"
row POST /api/v1/assignments "{\"class_id\":\"$A\",\"title\":\"t\",\"instructions\":\"i\",\"due_date\":\"${TOMORROW}T09:00\"}" "admin=403 t1=201 t2=403 s1=403 p1=403"
row POST "/api/v1/assignments/$ASG_A/submissions" '{"text":"again"}' "admin=403 t1=403 t2=403 s1=201 s2=403 p1=403 p3=403"
row GET "/api/v1/assignments/$ASG_A/submissions" "" "admin=200 t1=200 t2=403 s1=200 s2=403 p3=403"
row GET "/api/v1/assignments/$ASG_A/submissions?student=u.s1" "" "s1=200 p1=200 p2=403"
row GET "/api/v1/assignments/$ASG_A/submissions?student=u.s3" "" "t1=200 admin=200 s1=403 p3=403"
# attendance: own, other, child, not-child, graduated, suspended
row GET "/api/v1/attendance?class=$A&date=$D" "" "admin=200 t1=200 t2=403 s1=200 s2=403 p1=200 p2=403 p3=403 p4=403"
row GET "/api/v1/attendance?student=u.s1" "" "admin=200 t1=200 t2=403 s1=200 s2=403 p1=200 p2=403 p3=403 p4=403"
row GET "/api/v1/attendance?student=u.s2" "" "admin=200 t1=403 t2=200 s1=403 s2=200 p1=403 p2=200"
row GET "/api/v1/attendance?student=u.s3" "" "admin=200 t1=200 t2=403 p3=403"
row GET "/api/v1/attendance?student=u.s4" "" "admin=200 t1=200 t2=403 p4=403"
row POST /api/v1/attendance "{\"class_id\":\"$A\",\"date\":\"$D\",\"period\":2,\"entries\":[{\"student_id\":\"u.s1\",\"status\":\"present\"}]}" "admin=200 t1=200 t2=403 s1=403 p1=403"
row POST /api/v1/attendance "{\"class_id\":\"$A\",\"date\":\"$D\",\"period\":2,\"entries\":[{\"student_id\":\"u.s3\",\"status\":\"present\"}]}" "t1=403"
row POST /api/v1/attendance "{\"class_id\":\"$A\",\"date\":\"$D\",\"period\":2,\"entries\":[{\"student_id\":\"u.s4\",\"status\":\"absent\"}]}" "t1=200"
# absence notices
row GET "/api/v1/absence-notices?date=$TOMORROW" "" "admin=200 t1=200 t2=200 s1=403 s2=403 p1=403 p2=403"
row GET "/api/v1/absence-notices?student=u.s1" "" "admin=200 t1=200 t2=200 s1=403 p1=200 p2=403"
row GET "/api/v1/absence-notices/$N1" "" "admin=200 t1=200 t2=200 s1=403 s2=403 p1=200 p2=403 p3=403"
row POST /api/v1/absence-notices "{\"student_id\":\"u.s1\",\"date\":\"$TOMORROW\",\"kind\":\"absent\"}" "admin=403 t1=403 s1=403 p1=201 p2=403"
row POST /api/v1/absence-notices "{\"student_id\":\"u.s3\",\"date\":\"$TOMORROW\",\"kind\":\"absent\"}" "p3=403"
row POST /api/v1/absence-notices "{\"student_id\":\"u.s4\",\"date\":\"$TOMORROW\",\"kind\":\"absent\"}" "p4=403"
row POST "/api/v1/absence-notices/$N1/withdraw" "" "admin=403 t1=403 s1=403 p2=403 p1=200"
# guidance notes: homeroom, other teacher, admin without grant, graduated
row GET "/api/v1/guidance-notes?student=u.s1" "" "admin=403 t1=200 t2=403 s1=403 s2=403 p1=403 p2=403"
row GET "/api/v1/guidance-notes?student=u.s2" "" "admin=403 t1=403 t2=200 s2=403 p2=403"
row GET "/api/v1/guidance-notes?student=u.s3" "" "admin=403 t1=200 t2=403 p3=403"
row POST /api/v1/guidance-notes '{"student_id":"u.s1","text":"n"}' "admin=403 t1=201 t2=403 s1=403 p1=403"
row POST /api/v1/guidance-notes '{"student_id":"u.s3","text":"n"}' "t1=403"
# grants
row POST /api/v1/grants '{"grantee_id":"u.t2","student_id":"u.s1"}' "t1=403 t2=403 s1=403 p1=403 admin=201"
row GET "/api/v1/guidance-notes?student=u.s1" "" "t2=200"
row POST /api/v1/grants '{"grantee_id":"admin","student_id":"u.s1"}' "admin=400"
row DELETE /api/v1/grants/u.t2/u.s1 "" "t1=403 t2=403 p1=403 admin=204"
row GET "/api/v1/guidance-notes?student=u.s1" "" "t2=403"
# no login for the graduated and the suspended
for who in u.s3 u.s4; do
	pw=$NEWPW; [ "$who" = u.s4 ] && pw=$(cat "$T_DIR/pw.$who")
	login xgone "$who" "$pw"
	CASES=$((CASES + 1))
	[ "$STATUS" = 401 ] || not_ok "$who cannot log in (got $STATUS)"
done

if [ "$T_FAILED" -eq 0 ]; then ok "authorization matrix: $CASES cases"
else not_ok "authorization matrix: $T_FAILED of $CASES cases wrong"; fi
t_done
