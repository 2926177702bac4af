/*
 * test_export_log.c: the logs as the export carries them
 * (audit/export_log.h). A line round-trips with awkward text; a chain of
 * lines checks against its head with no key; a changed, removed,
 * reordered, added or cut line is found and named, and so is a head that
 * does not match.
 */
#include <stdio.h>
#include <string.h>

#include "t.h"
#include "audit/export_log.h"
#include "base/cb.h"

#define N 6

static struct audit_entry chain[N];
static struct audit_link head, anchor;
static char lines[N][AUDIT_LINE_MAX];
static size_t lens[N];

/* A chain of N entries after an anchor at entry 10 (a purged prefix). */
static void
make_chain(void)
{
	static const char *const actors[N] = { "t.sato", "adm\"in",
	    "a\\b", "佐藤", "s2026001", "x" };
	uint8_t body[AUDIT_ENCODED_MAX];

	memset(&anchor, 0, sizeof(anchor));
	anchor.al_seq = 10;
	anchor.al_time_ms = 1700000000000;
	memset(anchor.al_hash, 0xab, AUDIT_HASH_LEN);
	for (int i = 0; i < N; i++) {
		struct audit_entry *e = &chain[i];

		memset(e, 0, sizeof(*e));
		e->ae_seq = anchor.al_seq + 1 + (uint64_t)i;
		e->ae_time_ms = anchor.al_time_ms + 1000 * i;
		e->ae_time_state = CLOCK_SYNCED;
		e->ae_error_ms = 12;
		e->ae_kind = AUDIT_KIND_OPERATION;
		snprintf(e->ae_actor, sizeof(e->ae_actor), "%s", actors[i]);
		snprintf(e->ae_action, sizeof(e->ae_action), "record.update");
		snprintf(e->ae_target, sizeof(e->ae_target), "guidance_note:%d",
		    i);
		snprintf(e->ae_result, sizeof(e->ae_result), "ok");
		snprintf(e->ae_client, sizeof(e->ae_client), "192.0.2.%d", i);
		memcpy(e->ae_prev_hash, i == 0 ? anchor.al_hash :
		    chain[i - 1].ae_hash, AUDIT_HASH_LEN);
		T_EQ_INT(audit_entry_decode(body, audit_entry_encode(e, body),
		    e), 0);	/* fills ae_hash */
		lens[i] = audit_line_format(e, lines[i], sizeof(lines[i]));
		T_ASSERT(lens[i] > 0 && lines[i][lens[i] - 1] == '\n');
	}
	head.al_seq = chain[N - 1].ae_seq;
	head.al_time_ms = chain[N - 1].ae_time_ms;
	memcpy(head.al_hash, chain[N - 1].ae_hash, AUDIT_HASH_LEN);
}

/* The lines in order (skip: one left out, -1 none) into buf. */
static size_t
join(char *buf, int skip)
{
	size_t o = 0;

	for (int i = 0; i < N; i++)
		if (i != skip) {
			memcpy(buf + o, lines[i], lens[i]);
			o += lens[i];
		}
	return o;
}

static struct audit_export_result
check(const char *buf, size_t len)
{
	struct audit_export_result r;

	audit_export_check(buf, len, &anchor, &head, &r);
	return r;
}

T_TEST(a_line_round_trips)
{
	struct audit_entry e;
	char why[120];

	make_chain();
	T_EQ_INT(audit_line_parse(lines[3], lens[3] - 1, &e, why, sizeof(why)),
	    0);
	T_EQ_STR(e.ae_actor, "佐藤");
	T_EQ_INT(memcmp(e.ae_hash, chain[3].ae_hash, AUDIT_HASH_LEN), 0);
	T_EQ_INT(audit_line_parse(lines[1], lens[1] - 1, &e, why, sizeof(why)),
	    0);
	T_EQ_STR(e.ae_actor, "adm\"in");
	T_ASSERT(strstr(lines[0], "\"time\":\"2023-11-15T07:13:20.000+09:00\"")
	    != NULL);
}

T_TEST(an_intact_chain_checks_without_a_key)
{
	static char buf[N * AUDIT_LINE_MAX];
	struct audit_export_result r;

	make_chain();
	r = check(buf, join(buf, -1));
	T_EQ_INT(r.ax_r.av_problem, AUDIT_INTACT);
	T_EQ_INT(r.ax_r.av_entries, N);
	/* An empty log whose head is its anchor is intact too. */
	audit_export_check("", 0, &anchor, &anchor, &r);
	T_EQ_INT(r.ax_r.av_problem, AUDIT_INTACT);
}

T_TEST(a_changed_line_is_named)
{
	static char buf[N * AUDIT_LINE_MAX];
	struct audit_export_result r;
	size_t len;
	char *p;

	make_chain();
	len = join(buf, -1);
	p = strstr(buf + lens[0] + lens[1], "guidance_note:2");
	T_ASSERT(p != NULL);
	p[14] = '9';			/* line 3's target */
	r = check(buf, len);
	T_EQ_INT(r.ax_r.av_problem, AUDIT_CHANGED);
	T_EQ_INT(r.ax_line, 3);
	T_ASSERT(strstr(r.ax_r.av_what, "line 3") != NULL);
	/* Changed with its own hash made to fit: the next line tells. */
	make_chain();
	chain[2].ae_target[14] = '9';
	{
		uint8_t body[AUDIT_ENCODED_MAX];

		audit_entry_decode(body, audit_entry_encode(&chain[2], body),
		    &chain[2]);
	}
	lens[2] = audit_line_format(&chain[2], lines[2], sizeof(lines[2]));
	r = check(buf, join(buf, -1));
	T_EQ_INT(r.ax_r.av_problem, AUDIT_CHANGED);
	T_EQ_INT(r.ax_line, 3);
	T_ASSERT(strstr(r.ax_r.av_what, "line 4 recorded another hash") !=
	    NULL);
}

T_TEST(removed_reordered_added_and_cut_lines)
{
	static char buf[(N + 1) * AUDIT_LINE_MAX];
	struct audit_export_result r;
	size_t len;

	make_chain();
	r = check(buf, join(buf, 2));		/* line 3 removed */
	T_EQ_INT(r.ax_r.av_problem, AUDIT_REMOVED);
	T_EQ_INT(r.ax_line, 3);
	T_EQ_INT(r.ax_r.av_seq, 13);
	r = check(buf, join(buf, N - 1));	/* the end removed */
	T_EQ_INT(r.ax_r.av_problem, AUDIT_REMOVED);
	T_ASSERT(strstr(r.ax_r.av_what, "the end was cut off") != NULL);
	/* Lines 2 and 3 swapped. */
	len = 0;
	for (int i = 0; i < N; i++) {
		int k = i == 1 ? 2 : i == 2 ? 1 : i;

		memcpy(buf + len, lines[k], lens[k]);
		len += lens[k];
	}
	r = check(buf, len);
	T_ASSERT(r.ax_r.av_problem != AUDIT_INTACT);
	T_EQ_INT(r.ax_line, 2);
	/* A line repeated at the end: past the head. */
	len = join(buf, -1);
	memcpy(buf + len, lines[0], lens[0]);
	r = check(buf, len + lens[0]);
	T_EQ_INT(r.ax_r.av_problem, AUDIT_REORDERED);
	T_EQ_INT(r.ax_line, N + 1);
	/* No newline at the end: cut. */
	len = join(buf, -1);
	r = check(buf, len - 1);
	T_EQ_INT(r.ax_r.av_problem, AUDIT_REMOVED);
	T_EQ_INT(r.ax_line, N);
	/* A head that does not match the last line. */
	head.al_hash[0] ^= 1;
	r = check(buf, len);
	T_EQ_INT(r.ax_r.av_problem, AUDIT_CHANGED);
	T_EQ_INT(r.ax_line, N);
}

T_TEST(lines_that_are_not_entries)
{
	struct audit_entry e;
	char why[120];
	static const char *const bad[] = {
	    "", "[]", "{}", "not json",
	    "{\"seq\":1,\"time\":\"x\",\"time_ms\":0,\"time_state\":\"synced\","
	    "\"error_ms\":0,\"kind\":\"operation\",\"actor\":\"a\",\"action\":"
	    "\"b\",\"target\":\"\",\"result\":\"ok\",\"client\":\"\",\"agent\":"
	    "\"\",\"prev_hash\":\"00\",\"hash\":\"00\",\"extra\":1}",
	};

	for (size_t i = 0; i < CB_ARRAY_LEN(bad); i++) {
		T_EQ_INT(audit_line_parse(bad[i], strlen(bad[i]), &e, why,
		    sizeof(why)), CB_EINVAL);
		T_ASSERT(why[0] != '\0');
	}
}

T_MAIN()
