/*
 * test_records.c: the record types' validation (core/records.c): each
 * type's good form, every kind of refusal naming its field, ids composed
 * from fields, school time (cut-off, late).
 */
#include <string.h>

#include "base/cb.h"
#include "core/filetype.h"
#include "core/records.h"
#include "t.h"

static int
valid(const char *json, enum rec_type *t, struct rec_err *e)
{
	return rec_validate(json, strlen(json), t, e);
}

#define ATT "{\"_id\":\"attendance:2026-04-10:class:2026:2-3:s001:1\"," \
	"\"type\":\"attendance\",\"date\":\"2026-04-10\"," \
	"\"class_id\":\"class:2026:2-3\",\"student_id\":\"s001\",\"period\":1," \
	"\"status\":\"absent\",\"reason\":\"発熱\",\"recorded_by\":\"t.sato\"," \
	"\"edited_at\":1795677878886}"

T_TEST(every_type_has_a_good_form)
{
	static const char *const good[] = {
		"{\"_id\":\"school\",\"type\":\"school\",\"name\":\"桜丘高校\","
		    "\"year\":2026,\"state\":\"active\",\"absence_cutoff\":\"08:00\"}",
		"{\"_id\":\"user:s001\",\"type\":\"user\",\"user_id\":\"s001\","
		    "\"role\":\"student\",\"state\":\"active\",\"name\":\"山田 花子\"}",
		"{\"_id\":\"class:2026:2-3\",\"type\":\"class\",\"year\":2026,"
		    "\"code\":\"2-3\",\"name\":\"2年3組\",\"kind\":\"homeroom\"}",
		"{\"_id\":\"membership:class:2026:2-3:s001\",\"type\":\"membership\","
		    "\"class_id\":\"class:2026:2-3\",\"user_id\":\"s001\",\"role\":\"student\"}",
		"{\"_id\":\"announcement:abcdefgh12345678\",\"type\":\"announcement\","
		    "\"class_id\":\"school\",\"title\":\"t\",\"body\":\"a\\nb\","
		    "\"author_id\":\"t.sato\",\"posted_at\":1,\"date\":\"2026-04-10\"}",
		"{\"_id\":\"receipt:announcement:x:s001\",\"type\":\"receipt\","
		    "\"announcement_id\":\"announcement:x\",\"user_id\":\"s001\",\"seen_at\":5}",
		"{\"_id\":\"assignment:abcdefgh12345678\",\"type\":\"assignment\","
		    "\"class_id\":\"class:2026:2-3\",\"title\":\"t\",\"instructions\":\"i\","
		    "\"due_date\":\"2026-04-20T17:00\",\"author_id\":\"t.sato\",\"posted_at\":1,"
		    "\"questions\":[\"q1\"],\"attachments\":[{\"name\":\"a.pdf\",\"size\":10,"
		    "\"content_type\":\"application/pdf\"}]}",
		"{\"_id\":\"submission:assignment:x:s001:77\",\"type\":\"submission\","
		    "\"assignment_id\":\"assignment:x\",\"class_id\":\"class:2026:2-3\","
		    "\"student_id\":\"s001\",\"submitted_at\":77,\"late\":false}",
		ATT,
		"{\"_id\":\"absence_notice:abcdefgh12345678\",\"type\":\"absence_notice\","
		    "\"student_id\":\"s001\",\"parent_id\":\"p001\",\"date\":\"2026-04-10\","
		    "\"kind\":\"late\",\"state\":\"submitted\",\"submitted_at\":3}",
		"{\"_id\":\"guidance_note:abcdefgh12345678\",\"type\":\"guidance_note\","
		    "\"student_id\":\"s001\",\"author_id\":\"t.sato\",\"text\":\"メモ\","
		    "\"date\":\"2026-04-10\",\"written_at\":9}",
		"{\"_id\":\"grant:t.ito:s001\",\"type\":\"grant\",\"grantee_id\":\"t.ito\","
		    "\"student_id\":\"s001\",\"granted_by\":\"admin\",\"granted_at\":1}",
	};
	struct rec_err e;
	enum rec_type t;

	for (size_t i = 0; i < CB_ARRAY_LEN(good); i++) {
		int rc = valid(good[i], &t, &e);
		if (rc != CB_OK)
			fprintf(stderr, "type %zu refused: %s (%d)\n", i,
			    e.re_field, e.re_why);
		T_EQ_INT(rc, CB_OK);
		T_EQ_INT(t, (int)i);
	}
}

/* The file record's content types are core/filetype.c's allow-list (the
 * upload API and sync sniff by it): each one in both, and one that is in
 * neither. */
T_TEST(file_types_agree_with_the_allow_list)
{
	static const char *const types[] = { "image/jpeg", "image/png",
	    "image/heic", "application/pdf", "text/plain", "application/json",
	    "application/xml" };
	char json[512];
	struct rec_err e;
	enum rec_type t;

	for (size_t i = 0; i < CB_ARRAY_LEN(types); i++) {
		snprintf(json, sizeof(json), "{\"_id\":\"file:abcdefgh12345678\","
		    "\"type\":\"file\",\"owner_id\":\"t001\",\"purpose\":"
		    "\"assignment\",\"assignment_id\":\"assignment:a1\","
		    "\"class_id\":\"class:2026:2-3\",\"content_type\":\"%s\","
		    "\"name\":\"a\",\"size\":2,\"sha256\":\"%064d\","
		    "\"data\":\"e30\",\"uploaded_at\":1}", types[i], 0);
		int last = i == CB_ARRAY_LEN(types) - 1;
		int rc = valid(json, &t, &e);
		if (rc != (last ? CB_EINVAL : CB_OK))
			fprintf(stderr, "%s: %s (%d)\n", types[i], e.re_field,
			    e.re_why);
		T_EQ_INT(rc, last ? CB_EINVAL : CB_OK);
		T_EQ_INT(file_type_exact(types[i]) == NULL, last);
	}
	/* JSON: one UTF-8 JSON value; anything else is not application/json */
	const struct file_type *j = file_type_of("application/json; charset=utf-8");
	T_ASSERT(j != NULL);
	T_EQ_INT(file_sniff(j, (const unsigned char *)"{\"a\":[1,2]}", 11), 1);
	T_EQ_INT(file_sniff(j, (const unsigned char *)"\"連絡\"", 8), 1);
	T_EQ_INT(file_sniff(j, (const unsigned char *)"{\"a\":", 5), 0);
	T_EQ_INT(file_sniff(j, (const unsigned char *)"{} {}", 5), 0);
	T_EQ_INT(file_sniff(j, (const unsigned char *)"%PDF-1.4", 8), 0);
	T_EQ_INT(file_sniff(j, (const unsigned char *)"", 0), 0);
}

static void
refused(const char *json, enum rec_why why, const char *field)
{
	struct rec_err e;
	enum rec_type t;

	T_EQ_INT(valid(json, &t, &e), CB_EINVAL);
	T_EQ_INT(e.re_why, why);
	T_EQ_STR(e.re_field, field);
}

/* The text kinds (base/utf8.h): a note keeps its line breaks and tabs,
 * a one-line field keeps none; no other control passes either; C1
 * controls, which pasted text carries, pass as they always did. */
#define NOTE(text) "{\"_id\":\"guidance_note:abcdefgh12345678\",\"type\":" \
	"\"guidance_note\",\"student_id\":\"s001\",\"author_id\":\"t.sato\"," \
	"\"text\":\"" text "\",\"date\":\"2026-04-10\",\"written_at\":9}"
#define SCHOOL(name) "{\"_id\":\"school\",\"type\":\"school\",\"name\":\"" \
	name "\",\"year\":2026,\"state\":\"active\"}"

T_TEST(text_kinds)
{
	struct rec_err e;
	enum rec_type t;

	T_EQ_INT(valid(NOTE("面談\\n\\t1. 家庭\\r\\n2. 学校"), &t, &e), CB_OK);
	T_EQ_INT(valid(NOTE("\xc2\x85 pasted"), &t, &e), CB_OK);
	refused(NOTE("bell\\u0007"), REC_VALUE, "text");
	refused(NOTE("nul\\u0000"), REC_VALUE, "text");
	refused(NOTE("del\x7f"), REC_VALUE, "text");
	T_EQ_INT(valid(SCHOOL("桜丘\xc2\x85高校"), &t, &e), CB_OK);
	refused(SCHOOL("a\\tb"), REC_VALUE, "name");
	refused(SCHOOL("a\\rb"), REC_VALUE, "name");
	refused(SCHOOL("esc\\u001b[31m"), REC_VALUE, "name");
}

T_TEST(refusals_name_the_field)
{
	refused("[1]", REC_BAD_JSON, "");
	refused("{\"_id\":\"x\"}", REC_MISSING, "type");
	refused("{\"_id\":\"x\",\"type\":\"pizza\"}", REC_VALUE, "type");
	refused("{\"_id\":\"school\",\"type\":\"school\",\"name\":\"x\","
	    "\"year\":2026}", REC_MISSING, "state");
	refused("{\"_id\":\"school\",\"type\":\"school\",\"name\":\"x\","
	    "\"year\":\"2026\",\"state\":\"active\"}", REC_TYPE, "year");
	refused("{\"_id\":\"school\",\"type\":\"school\",\"name\":\"x\","
	    "\"year\":2026,\"state\":\"active\",\"absence_cutoff\":\"25:00\"}",
	    REC_VALUE, "absence_cutoff");
	refused("{\"_id\":\"school\",\"type\":\"school\",\"name\":\"\","
	    "\"year\":2026,\"state\":\"active\"}", REC_LENGTH, "name");
	refused("{\"_id\":\"school\",\"type\":\"school\",\"name\":\"a\\nb\","
	    "\"year\":2026,\"state\":\"active\"}", REC_VALUE, "name");
	refused("{\"_id\":\"school\",\"type\":\"school\",\"name\":\"x\","
	    "\"year\":2026,\"state\":\"active\",\"color\":\"red\"}",
	    REC_UNKNOWN, "color");
	/* a date that does not exist */
	refused("{\"_id\":\"guidance_note:abcdefgh12345678\",\"type\":"
	    "\"guidance_note\",\"student_id\":\"s001\",\"author_id\":\"t\","
	    "\"text\":\"m\",\"date\":\"2026-02-30\",\"written_at\":9}",
	    REC_VALUE, "author_id");
	refused("{\"_id\":\"guidance_note:abcdefgh12345678\",\"type\":"
	    "\"guidance_note\",\"student_id\":\"s001\",\"author_id\":\"tt1\","
	    "\"text\":\"m\",\"date\":\"2026-02-30\",\"written_at\":9}",
	    REC_VALUE, "date");
	/* a name in an id field cannot reach an index key */
	refused("{\"_id\":\"grant:t.ito:s001\",\"type\":\"grant\",\"grantee_id\":"
	    "\"山田\",\"student_id\":\"s001\",\"granted_by\":\"admin\","
	    "\"granted_at\":1}", REC_VALUE, "grantee_id");
	refused("{\"_id\":\"user:p001\",\"type\":\"user\",\"user_id\":\"p001\","
	    "\"role\":\"parent\",\"state\":\"active\",\"name\":\"x\","
	    "\"children\":[\"s001\",\"s001\"]}", REC_VALUE, "children");
	refused("{\"_id\":\"submission:assignment:x:s001:77\",\"type\":"
	    "\"submission\",\"assignment_id\":\"assignment:x\",\"class_id\":"
	    "\"class:2026:2-3\",\"student_id\":\"s001\",\"submitted_at\":-1,"
	    "\"late\":false}", REC_TYPE, "submitted_at");
}

T_TEST(ids_are_composed_from_fields)
{
	char buf[sizeof(ATT) + 16];
	char *p;

	memcpy(buf, ATT, sizeof(ATT));
	p = strstr(buf, "s001:1");
	p[5] = '2';	/* the id says period 2, the field 1 */
	refused(buf, REC_ID_MISMATCH, "_id");
	refused("{\"_id\":\"announcement:short\",\"type\":\"announcement\","
	    "\"class_id\":\"school\",\"title\":\"t\",\"body\":\"b\","
	    "\"author_id\":\"t.sato\",\"posted_at\":1,\"date\":\"2026-04-10\"}",
	    REC_ID_MISMATCH, "_id");
	refused("{\"_id\":\"schools\",\"type\":\"school\",\"name\":\"x\","
	    "\"year\":2026,\"state\":\"active\"}", REC_ID_MISMATCH, "_id");
}

T_TEST(random_ids_are_valid_and_distinct)
{
	char a[REC_ID_MAX + 1], b[REC_ID_MAX + 1];

	T_EQ_INT(rec_random_id(REC_ANNOUNCEMENT, a, sizeof(a)), CB_OK);
	T_EQ_INT(rec_random_id(REC_ANNOUNCEMENT, b, sizeof(b)), CB_OK);
	T_ASSERT(strcmp(a, b) != 0);
	T_ASSERT(rec_id_of_type(a, strlen(a), REC_ANNOUNCEMENT));
	T_ASSERT(!rec_id_of_type(a, strlen(a), REC_ASSIGNMENT));
	T_EQ_INT(strlen(a), strlen("announcement:") + REC_RANDOM_LEN);
}

T_TEST(values)
{
	T_ASSERT(rec_date_valid("2028-02-29", 10));
	T_ASSERT(!rec_date_valid("2026-02-29", 10));
	T_ASSERT(!rec_date_valid("2026-13-01", 10));
	T_ASSERT(rec_class_id_valid("class:2026:2-3", 14));
	T_ASSERT(!rec_class_id_valid("class:26:2-3", 12));
	T_ASSERT(!rec_class_id_valid("class:2026:2:3", 14));
	T_ASSERT(rec_uid_valid("t.sato", 6));
	T_ASSERT(!rec_uid_valid("T.Sato", 6));
	T_ASSERT(rec_local_dt_valid("2026-04-20T17:00", 16));
	T_ASSERT(!rec_local_dt_valid("2026-04-20 17:00", 16));
}

/* 2026-04-10 07:59 JST = 2026-04-09 22:59 UTC */
#define MS_0759 ((int64_t)1775775540000LL)

T_TEST(school_time)
{
	char d[11];

	rec_local_date(MS_0759, d);
	T_EQ_STR(d, "2026-04-10");
	T_EQ_INT(rec_now_local_minutes(MS_0759) % 1440, 7 * 60 + 59);
	/* the cut-off at 08:00 that day: one minute left, then passed */
	T_EQ_INT(rec_cutoff_passed("2026-04-10", "08:00", MS_0759), 0);
	T_EQ_INT(rec_cutoff_passed("2026-04-10", "08:00", MS_0759 + 60000), 1);
	T_EQ_INT(rec_cutoff_passed("2026-04-09", "08:00", MS_0759), 1);
	T_EQ_INT(rec_cutoff_passed("2026-04-11", "08:00", MS_0759), 0);
	/* no cut-off: the whole day */
	T_EQ_INT(rec_cutoff_passed("2026-04-10", NULL, MS_0759), 0);
	T_EQ_INT(rec_cutoff_passed("2026-04-09", NULL, MS_0759), 1);
	T_EQ_INT(rec_cutoff_passed("garbage", NULL, MS_0759), 1);
	T_EQ_INT(rec_is_late("2026-04-10T07:59", MS_0759), 0);
	T_EQ_INT(rec_is_late("2026-04-10T07:58", MS_0759), 1);
	T_EQ_INT(rec_local_minutes("2026-04-10", "00:00") % 1440, 0);
}

T_MAIN()
