#!/bin/sh
# 年度更新: the school year rolls over. Next year's classes are made from
# this year's, and this year's are kept read-only (archived).
. "$(dirname "$0")/../lib.sh"
box_start || t_done
admin_setup
D=$(TZ=Asia/Tokyo date +%F)
OLD=class:2026:2-3

api admin PUT /api/v1/school '{"name":"桜丘高等学校","year":2026,"state":"active"}'
new_user t.sato '{"id":"t.sato","name":"佐藤 先生","role":"teacher"}'
new_user s1 '{"id":"s2026001","name":"生徒 一","role":"student"}'
mv "$T_DIR/pw.s1" "$T_DIR/pw.s2026001"
for code in 2-3 2-4 3-1; do
	api admin POST /api/v1/classes "{\"year\":2026,\"code\":\"$code\",\"name\":\"組 $code\",\"kind\":\"homeroom\"}"
done
expect_eq "three classes of 2026" "$STATUS" 201
api admin POST "/api/v1/classes/$OLD/members" '{"user_id":"t.sato","role":"teacher"}'
api admin POST "/api/v1/classes/$OLD/members" '{"user_id":"s2026001","role":"student"}'
activate teacher t.sato
api teacher POST /api/v1/announcements "{\"class_id\":\"$OLD\",\"title\":\"最後の連絡\",\"body\":\"一年間ありがとう\"}"
expect_eq "the teacher posts in 2026's class" "$STATUS" 201

api admin POST /api/v1/school/rollover '{"to_year":2028}'
expect_match "skipping a year is refused" "$STATUS $BODY" '^400 .*"field":"to_year"'
api teacher POST /api/v1/school/rollover '{"to_year":2027}'
expect_eq "a teacher cannot roll the year over" "$STATUS" 403
api admin POST /api/v1/school/rollover '{"to_year":2027}'
expect_match "the admin rolls over to 2027" "$STATUS $BODY" '^200 .*"created":3,"archived":3'
api admin GET /api/v1/school
expect_match "the school is in 2027" "$BODY" '"year":2027'
api admin GET /api/v1/classes/class:2027:2-3
expect_match "2027's 2-3 exists, open" "$STATUS $BODY" '^200 .*"archived":false'
api admin GET "/api/v1/classes/$OLD"
expect_match "2026's 2-3 is archived" "$BODY" '"archived":true'
api teacher GET "/api/v1/announcements?class=$OLD"
expect_match "the teacher still reads the old class" "$STATUS $BODY" '^200 .*最後の連絡'
api teacher POST /api/v1/announcements "{\"class_id\":\"$OLD\",\"title\":\"x\",\"body\":\"y\"}"
expect_match "but cannot post in it" "$STATUS $BODY" '^409 .*class_archived'
api teacher POST /api/v1/attendance "{\"class_id\":\"$OLD\",\"date\":\"$D\",\"period\":1,\"entries\":[{\"student_id\":\"s2026001\",\"status\":\"present\"}]}"
expect_match "nor take its attendance" "$STATUS $BODY" '^409 .*class_archived'
new_user s2026002 '{"id":"s2026002","name":"生徒 二","role":"student"}'
api admin POST "/api/v1/classes/$OLD/members" '{"user_id":"s2026002","role":"student"}'
expect_match "and its members stay as they were" "$STATUS $BODY" '^409 .*class_archived'
api admin POST "/api/v1/classes/class:2027:2-3/members" '{"user_id":"s2026002","role":"student"}'
expect_eq "while 2027's class takes members" "$STATUS" 201
api admin POST /api/v1/school/rollover '{"to_year":2027}'
expect_eq "the same rollover twice is refused" "$STATUS" 400
t_done
