/*
 * test_audit.c: the hash-chained audit log: append, verify intact, then
 * tamper with the raw LMDB (a byte of a value, a re-sealed change, a
 * deletion, a swap, a cut end) and check verify names the broken entry;
 * purge rules; queries with cursors.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/timex.h>
#include <unistd.h>

#include "t.h"
#include "audit/audit.h"
#include "clock/clock.h"
#include "base/cb.h"
#include "store/kv.h"
#include "store/seal.h"

#define T_2019	1546300800000LL		/* 2019-01-01T00:00:00Z */
#define T_2025	1735689600000LL
#define T_YEAR	(365LL * 24 * 3600 * 1000)

struct fake { struct clock_reading r; };

static int
fake_read(void *ctx, struct clock_reading *out)
{
	*out = ((struct fake *)ctx)->r;
	return 0;
}

static void
fake_at(struct fake *f, int64_t wall, int synced)
{
	f->r = (struct clock_reading){ wall, f->r.cr_mono_ms + 1,
	    synced ? TIME_OK : TIME_ERROR, synced ? 0 : STA_UNSYNC,
	    synced ? 5000 : 16000000, 1000 };
}

struct fixture {
	char dir[128];
	char floor[160];
	struct fake f;
	struct clock *clk;
	struct audit_log *log;
};

static void
fx_open(struct fixture *x)
{
	struct clock_source src = { &x->f, fake_read };

	T_EQ_INT(clock_open(&x->clk, x->floor, &src, 0), 0);
	T_EQ_INT(audit_open(&x->log, x->dir, AUDIT_LOG_OPS, x->clk, NULL), 0);
}

static void
fx_close(struct fixture *x)
{
	audit_close(x->log);
	clock_close(x->clk);
	x->log = NULL;
	x->clk = NULL;
}

static void
fx_init(struct fixture *x, const char *name)
{
	char cmd[400];

	memset(x, 0, sizeof(*x));
	snprintf(x->dir, sizeof(x->dir), "/tmp/test_audit.%d.%s",
	    (int)getpid(), name);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", x->dir);
	T_EQ_INT(system(cmd), 0);
	snprintf(x->floor, sizeof(x->floor), "%s.floor", x->dir);
	unlink(x->floor);
	fake_at(&x->f, T_2025, 1);
	fx_open(x);
}

static void
fx_done(struct fixture *x)
{
	char cmd[400];

	fx_close(x);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", x->dir, x->floor);
	T_EQ_INT(system(cmd), 0);
}

static void
append_n(struct fixture *x, int n, const char *actor)
{
	struct audit_record r = { AUDIT_KIND_OPERATION, actor, "record.update",
	    "att:2025-04-01:3A", "ok", "192.0.2.7", "" };

	for (int i = 0; i < n; i++) {
		fake_at(&x->f, x->f.r.cr_wall_ms + 1000, 1);
		T_EQ_INT(audit_append(x->log, &r, NULL), 0);
	}
}

static struct audit_verify_result
verify(struct fixture *x)
{
	struct audit_verify_result r;

	T_EQ_INT(audit_verify(x->log, &r), 0);
	return r;
}

/* ---- raw tampering through kv.h, with the log closed ---- */

struct raw { struct kv_env *env; struct kv_txn *txn; kv_table t; };

static void
raw_begin(struct fixture *x, struct raw *w)
{
	fx_close(x);
	T_EQ_INT(kv_open(&w->env, x->dir, 0), 0);
	T_EQ_INT(kv_begin(w->env, 1, &w->txn), 0);
	T_EQ_INT(kv_table_open(w->txn, "entries", &w->t), 0);
}

static void
raw_end(struct fixture *x, struct raw *w)
{
	T_EQ_INT(kv_commit(w->txn), 0);
	kv_close(w->env);
	fx_open(x);
}

static void
key_of(uint64_t seq, uint8_t k[8])
{
	for (int i = 7; i >= 0; i--, seq >>= 8)
		k[i] = (uint8_t)seq;
}

T_TEST(append_and_verify_intact)
{
	struct fixture x;
	struct audit_verify_result r;
	struct audit_link head;
	struct audit_record batch[3] = {
		{ AUDIT_KIND_LOGIN, "t.tanaka", "login", "", "ok", "192.0.2.1",
		    "Mozilla/5.0" },
		{ AUDIT_KIND_LOGIN, "x\ny", "login", "", "unknown_user",
		    "192.0.2.1", "curl/8\r\n" },	/* controls cleaned */
		{ AUDIT_KIND_OPERATION, "t.tanaka", "record.read", "stu:42",
		    "ok", "192.0.2.1", "" },
	};
	uint64_t first;

	fx_init(&x, "intact");
	r = verify(&x);
	T_EQ_INT(r.av_problem, AUDIT_INTACT);
	T_EQ_INT(r.av_entries, 0);
	append_n(&x, 10, "t.sato");
	T_EQ_INT(audit_append_batch(x.log, batch, 3, &first), 0);
	T_EQ_INT(first, 11);
	r = verify(&x);
	T_EQ_INT(r.av_problem, AUDIT_INTACT);
	T_EQ_INT(r.av_entries, 13);
	T_EQ_INT(audit_head(x.log, &head, NULL), 0);
	T_EQ_INT(head.al_seq, 13);
	/* Reopened, the chain continues. */
	fx_close(&x);
	fx_open(&x);
	append_n(&x, 1, "t.sato");
	r = verify(&x);
	T_EQ_INT(r.av_problem, AUDIT_INTACT);
	T_EQ_INT(r.av_entries, 14);
	fx_done(&x);
}

T_TEST(a_changed_byte_is_named)
{
	struct fixture x;
	struct raw w;
	struct kv_val v;
	uint8_t k[8], buf[1024];
	struct audit_verify_result r;

	fx_init(&x, "byte");
	append_n(&x, 20, "t.sato");
	raw_begin(&x, &w);
	key_of(7, k);
	T_EQ_INT(kv_get(w.txn, w.t, k, 8, &v), 0);
	memcpy(buf, v.kv_data, v.kv_len);
	buf[30] ^= 0x01;
	T_EQ_INT(kv_put(w.txn, w.t, k, 8, buf, v.kv_len), 0);
	raw_end(&x, &w);
	r = verify(&x);
	T_EQ_INT(r.av_problem, AUDIT_CHANGED);
	T_EQ_INT(r.av_seq, 7);
	T_ASSERT(strstr(r.av_what, "entry 7 was changed") != NULL);
	fx_done(&x);
}

/* Someone holding the key re-seals a changed entry: the chain names it. */
T_TEST(a_resealed_change_is_named_by_the_chain)
{
	struct fixture x;
	struct raw w;
	struct kv_val v;
	struct keystore ks;
	struct seal *s;
	struct audit_entry e;
	kv_table meta;
	uint8_t k[8], dek[SEAL_KEY_LEN], plain[AUDIT_ENCODED_MAX],
	    sealed[AUDIT_ENCODED_MAX + SEAL_OVERHEAD];
	size_t n;
	struct audit_verify_result r;

	fx_init(&x, "reseal");
	append_n(&x, 20, "t.sato");
	raw_begin(&x, &w);
	T_EQ_INT(kv_table_open(w.txn, "meta", &meta), 0);
	T_EQ_INT(kv_get(w.txn, meta, "dek", 3, &v), 0);
	T_EQ_INT(keystore_file_init(&ks, x.dir), 0);
	T_EQ_INT(ks.ks_load_kek(&ks, 0), 0);
	T_EQ_INT(ks.ks_unwrap(&ks, v.kv_data, dek), 0);
	T_EQ_INT(seal_new(&s, dek), 0);
	key_of(12, k);
	T_EQ_INT(kv_get(w.txn, w.t, k, 8, &v), 0);
	T_EQ_INT(seal_unseal(s, "audit/ops", "entry", 5, v.kv_data, v.kv_len,
	    plain, &n), 0);
	T_EQ_INT(audit_entry_decode(plain, n, &e), 0);
	memcpy(e.ae_actor, "t.other", 8);	/* blame someone else */
	n = audit_entry_encode(&e, plain);
	T_EQ_INT(seal_value(s, "audit/ops", "entry", 5, plain, n, sealed), 0);
	T_EQ_INT(kv_put(w.txn, w.t, k, 8, sealed, n + SEAL_OVERHEAD), 0);
	seal_free(s);
	ks.ks_close(&ks);
	raw_end(&x, &w);
	r = verify(&x);
	T_EQ_INT(r.av_problem, AUDIT_CHANGED);
	T_EQ_INT(r.av_seq, 12);
	T_ASSERT(strstr(r.av_what, "hash mismatch") != NULL);
	fx_done(&x);
}

T_TEST(a_removed_entry_is_named)
{
	struct fixture x;
	struct raw w;
	uint8_t k[8];
	struct audit_verify_result r;

	fx_init(&x, "removed");
	append_n(&x, 20, "t.sato");
	raw_begin(&x, &w);
	key_of(9, k);
	T_EQ_INT(kv_del(w.txn, w.t, k, 8), 0);
	raw_end(&x, &w);
	r = verify(&x);
	T_EQ_INT(r.av_problem, AUDIT_REMOVED);
	T_EQ_INT(r.av_seq, 9);
	T_EQ_INT(r.av_entries, 8);
	/* The end cut off too: the head names it. */
	fx_done(&x);
	fx_init(&x, "cut");
	append_n(&x, 5, "t.sato");
	raw_begin(&x, &w);
	key_of(5, k);
	T_EQ_INT(kv_del(w.txn, w.t, k, 8), 0);
	raw_end(&x, &w);
	r = verify(&x);
	T_EQ_INT(r.av_problem, AUDIT_REMOVED);
	T_EQ_INT(r.av_seq, 5);
	fx_done(&x);
}

T_TEST(swapped_entries_are_named)
{
	struct fixture x;
	struct raw w;
	struct kv_val v;
	uint8_t k1[8], k2[8], a[1024], b[1024];
	size_t la, lb;
	struct audit_verify_result r;

	fx_init(&x, "swap");
	append_n(&x, 20, "t.sato");
	raw_begin(&x, &w);
	key_of(14, k1);
	key_of(15, k2);
	T_EQ_INT(kv_get(w.txn, w.t, k1, 8, &v), 0);
	memcpy(a, v.kv_data, la = v.kv_len);
	T_EQ_INT(kv_get(w.txn, w.t, k2, 8, &v), 0);
	memcpy(b, v.kv_data, lb = v.kv_len);
	T_EQ_INT(kv_put(w.txn, w.t, k1, 8, b, lb), 0);
	T_EQ_INT(kv_put(w.txn, w.t, k2, 8, a, la), 0);
	raw_end(&x, &w);
	r = verify(&x);
	T_EQ_INT(r.av_problem, AUDIT_REORDERED);
	T_EQ_INT(r.av_seq, 14);
	T_ASSERT(strstr(r.av_what, "reordered") != NULL);
	fx_done(&x);
}

T_TEST(purge_keeps_what_is_young_or_not_uploaded)
{
	struct fixture x;
	struct audit_verify_result r;
	struct audit_link head, anchor;
	uint64_t purged;

	fx_init(&x, "purge");
	fake_at(&x.f, T_2019, 1);
	append_n(&x, 10, "t.sato");		/* 2019: old enough */
	fake_at(&x.f, T_2025 + 5 * T_YEAR, 1);
	append_n(&x, 10, "t.sato");		/* 2030: young */
	fake_at(&x.f, T_2025 + 6 * T_YEAR, 1);	/* now: 2031 */
	/* Nothing uploaded: nothing purged. */
	T_EQ_INT(audit_purge(x.log, INT64_MAX, 0, &purged), 0);
	T_EQ_INT(purged, 0);
	/* Uploaded through 5: only those go. */
	T_EQ_INT(audit_purge(x.log, INT64_MAX, 5, &purged), 0);
	T_EQ_INT(purged, 5);
	r = verify(&x);
	T_EQ_INT(r.av_problem, AUDIT_INTACT);
	T_EQ_INT(r.av_entries, 15);
	/* All uploaded: the young stay. */
	T_EQ_INT(audit_purge(x.log, INT64_MAX, 20, &purged), 0);
	T_EQ_INT(purged, 5);
	r = verify(&x);
	T_EQ_INT(r.av_problem, AUDIT_INTACT);
	T_EQ_INT(r.av_entries, 10);
	T_EQ_INT(audit_head(x.log, &head, &anchor), 0);
	T_EQ_INT(anchor.al_seq, 10);
	T_EQ_INT(head.al_seq, 20);
	/* An earlier before_ms keeps more. */
	append_n(&x, 1, "t.sato");
	T_EQ_INT(audit_purge(x.log, T_2019, 21, &purged), 0);
	T_EQ_INT(purged, 0);
	/* A clock that is not synced never purges. */
	fake_at(&x.f, T_2025 + 60 * T_YEAR, 0);
	x.f.r.cr_mono_ms += 48LL * 3600 * 1000;	/* long past holdover */
	T_EQ_INT(audit_purge(x.log, INT64_MAX, 21, &purged), CB_ESTATE);
	T_EQ_INT(purged, 0);
	/* Appending after a purge, the chain continues from the anchor. */
	append_n(&x, 2, "t.sato");
	r = verify(&x);
	T_EQ_INT(r.av_problem, AUDIT_INTACT);
	T_EQ_INT(r.av_entries, 13);
	fx_done(&x);
}

/* The retention job purges through the stored "uploaded up to" marker
 * only: nothing the cloud lacks, nothing younger than 5 years. */
T_TEST(purge_honours_the_uploaded_marker)
{
	struct fixture x;
	struct audit_verify_result r;
	uint64_t purged, up;

	fx_init(&x, "uploaded");
	fake_at(&x.f, T_2019, 1);
	append_n(&x, 10, "t.sato");		/* 2019: old enough */
	fake_at(&x.f, T_2025 + 5 * T_YEAR, 1);
	append_n(&x, 10, "t.sato");		/* 2030: young */
	fake_at(&x.f, T_2025 + 6 * T_YEAR, 1);	/* now: 2031 */
	T_EQ_INT(audit_uploaded(x.log, &up), 0);
	T_EQ_INT(up, 0);
	/* Never uploaded: old entries stay. */
	T_EQ_INT(audit_purge_uploaded(x.log, INT64_MAX, &purged), 0);
	T_EQ_INT(purged, 0);
	/* The cloud has 1..3: only those go. */
	T_EQ_INT(audit_set_uploaded(x.log, 3), 0);
	T_EQ_INT(audit_purge_uploaded(x.log, INT64_MAX, &purged), 0);
	T_EQ_INT(purged, 3);
	/* The marker never moves back, never past the head; it survives a
	 * reopen. */
	T_EQ_INT(audit_set_uploaded(x.log, 2), CB_ESTATE);
	T_EQ_INT(audit_set_uploaded(x.log, 21), CB_EINVAL);
	T_EQ_INT(audit_set_uploaded(x.log, 3), 0);
	fx_close(&x);
	fx_open(&x);
	T_EQ_INT(audit_uploaded(x.log, &up), 0);
	T_EQ_INT(up, 3);
	/* Everything uploaded: the young (2030) stay. */
	T_EQ_INT(audit_set_uploaded(x.log, 20), 0);
	T_EQ_INT(audit_purge_uploaded(x.log, INT64_MAX, &purged), 0);
	T_EQ_INT(purged, 7);
	r = verify(&x);
	T_EQ_INT(r.av_problem, AUDIT_INTACT);
	T_EQ_INT(r.av_entries, 10);
	/* Ten years on, all of them may go. */
	fake_at(&x.f, T_2025 + 11 * T_YEAR, 1);
	T_EQ_INT(audit_purge_uploaded(x.log, INT64_MAX, &purged), 0);
	T_EQ_INT(purged, 10);
	fx_done(&x);
}

/* Termination: the key is gone; nothing opens, now or after a reopen. */
T_TEST(crypto_erase_makes_the_log_unreadable)
{
	struct fixture x;
	struct audit_verify_result r;
	struct audit_link head;
	char kek[200];

	fx_init(&x, "erase");
	append_n(&x, 5, "t.sato");
	T_EQ_INT(audit_crypto_erase(x.log, &head), 0);
	T_EQ_INT(head.al_seq, 5);
	snprintf(kek, sizeof(kek), "%s/kek", x.dir);
	T_ASSERT(access(kek, F_OK) != 0);
	T_ASSERT(audit_append(x.log, &(struct audit_record){
	    AUDIT_KIND_OPERATION, "a", "b", "", "ok", "", "" }, NULL) != 0);
	T_ASSERT(audit_verify(x.log, &r) != 0 ||
	    r.av_problem != AUDIT_INTACT);
	T_EQ_INT(audit_crypto_erase(x.log, NULL), CB_ESTATE);
	audit_close(x.log);
	x.log = NULL;
	/* A reopen would make a new KEK for a log that already has a data
	 * key: it must refuse instead. */
	T_ASSERT(audit_open(&x.log, x.dir, AUDIT_LOG_OPS, x.clk, NULL) != 0);
	T_ASSERT(x.log == NULL);
	fx_done(&x);
}

/* The newest entry, read back through a query. */
static struct audit_entry
newest(struct fixture *x)
{
	static struct audit_entry page[AUDIT_QUERY_MAX_PAGE];
	struct audit_query q;
	uint64_t next;
	size_t n;

	memset(&q, 0, sizeof(q));
	q.aq_newest_first = 1;
	q.aq_limit = 1;
	T_EQ_INT(audit_query(x->log, &q, page, &n, &next), 0);
	T_EQ_INT(n, 1);
	return page[0];
}

/* issue 5, item 4: a clock stepped back an hour while the box runs; then
 * a reboot with a dead RTC battery (the clock at 2000-01-01). No entry
 * goes back in time, each says its time is unsynced with the gap in its
 * error bound, and the chain verifies. */
T_TEST(a_clock_stepped_back_or_reset_to_2000_never_moves_entries_back)
{
	struct fixture x;
	struct audit_entry e0, e;
	struct audit_verify_result r;

	fx_init(&x, "stepback");
	append_n(&x, 3, "t.sato");		/* synced, 2025 */
	e0 = newest(&x);
	T_EQ_INT(e0.ae_time_state, CLOCK_SYNCED);
	/* Stepped back one hour (a bad NTP answer, a person at the BIOS). */
	fake_at(&x.f, e0.ae_time_ms - 3600 * 1000, 0);
	T_EQ_INT(audit_append(x.log, &(struct audit_record){
	    AUDIT_KIND_LOGIN, "t.sato", "login", "", "ok", "192.0.2.7", "" },
	    NULL), 0);
	e = newest(&x);
	T_ASSERT(e.ae_time_ms >= e0.ae_time_ms);
	T_EQ_INT(e.ae_time_state, CLOCK_UNSYNCED);
	T_ASSERT(e.ae_error_ms >= 3600 * 1000);
	/* A reboot with the RTC at 2000-01-01: a fresh process, the floor
	 * read from its file. */
	fx_close(&x);
	fake_at(&x.f, 946684800000LL, 0);	/* 2000-01-01T00:00:00Z */
	fx_open(&x);
	T_EQ_INT(audit_append(x.log, &(struct audit_record){
	    AUDIT_KIND_LOGIN, "admin", "login", "", "ok", "192.0.2.8", "" },
	    NULL), 0);
	e = newest(&x);
	T_ASSERT(e.ae_time_ms >= e0.ae_time_ms);
	T_EQ_INT(e.ae_time_state, CLOCK_UNSYNCED);
	T_ASSERT(e.ae_error_ms > 20LL * 365 * 24 * 3600 * 1000 / 1000);
	/* Even without the floor file (lost), the chain head holds it. */
	fx_close(&x);
	T_EQ_INT(unlink(x.floor), 0);
	fx_open(&x);
	T_EQ_INT(audit_append(x.log, &(struct audit_record){
	    AUDIT_KIND_LOGIN, "admin", "login", "", "ok", "192.0.2.8", "" },
	    NULL), 0);
	e = newest(&x);
	T_ASSERT(e.ae_time_ms >= e0.ae_time_ms);
	r = verify(&x);
	T_EQ_INT(r.av_problem, AUDIT_INTACT);
	T_EQ_INT(r.av_entries, 6);
	/* And a clock that is not synced never purges. */
	T_EQ_INT(audit_purge(x.log, INT64_MAX, 6, NULL), CB_ESTATE);
	fx_done(&x);
}

T_TEST(a_removed_entry_after_the_anchor_is_named)
{
	struct fixture x;
	struct raw w;
	uint8_t k[8];
	uint64_t purged;
	struct audit_verify_result r;

	fx_init(&x, "anchorgap");
	fake_at(&x.f, T_2019, 1);
	append_n(&x, 10, "t.sato");
	fake_at(&x.f, T_2025 + 6 * T_YEAR, 1);
	T_EQ_INT(audit_purge(x.log, INT64_MAX, 4, &purged), 0);
	T_EQ_INT(purged, 4);
	raw_begin(&x, &w);
	key_of(5, k);
	T_EQ_INT(kv_del(w.txn, w.t, k, 8), 0);
	raw_end(&x, &w);
	r = verify(&x);
	T_EQ_INT(r.av_problem, AUDIT_REMOVED);
	T_EQ_INT(r.av_seq, 5);
	fx_done(&x);
}

T_TEST(query_filters_and_pages)
{
	struct fixture x;
	static struct audit_entry page[AUDIT_QUERY_MAX_PAGE];
	struct audit_query q;
	uint64_t next;
	size_t n, total = 0;
	int64_t t0;

	fx_init(&x, "query");
	t0 = x.f.r.cr_wall_ms;
	append_n(&x, 30, "t.sato");		/* times t0+1s .. t0+30s */
	append_n(&x, 12, "t.tanaka");		/* t0+31s .. t0+42s */
	memset(&q, 0, sizeof(q));
	q.aq_actor = "t.tanaka";
	q.aq_limit = 5;
	do {
		T_EQ_INT(audit_query(x.log, &q, page, &n, &next), 0);
		for (size_t i = 0; i < n; i++)
			T_EQ_STR(page[i].ae_actor, "t.tanaka");
		total += n;
		q.aq_cursor = next;
	} while (next != 0);
	T_EQ_INT(total, 12);
	/* Time range, newest first. */
	memset(&q, 0, sizeof(q));
	q.aq_from_ms = t0 + 10000;
	q.aq_to_ms = t0 + 20000;
	q.aq_newest_first = 1;
	T_EQ_INT(audit_query(x.log, &q, page, &n, &next), 0);
	T_EQ_INT(n, 10);
	T_EQ_INT(page[0].ae_seq, 19);
	T_EQ_INT(page[9].ae_seq, 10);
	T_EQ_INT(next, 0);
	/* Kind and action filters. */
	memset(&q, 0, sizeof(q));
	q.aq_kind = AUDIT_KIND_LOGIN;
	T_EQ_INT(audit_query(x.log, &q, page, &n, &next), 0);
	T_EQ_INT(n, 0);
	q.aq_kind = AUDIT_KIND_OPERATION;
	q.aq_action = "record.update";
	T_EQ_INT(audit_query(x.log, &q, page, &n, &next), 0);
	T_EQ_INT(n, 42);
	T_EQ_INT(page[0].ae_time_state, CLOCK_SYNCED);
	fx_done(&x);
}

T_TEST(decode_rejects_malformed)
{
	struct audit_entry e, d;
	uint8_t buf[AUDIT_ENCODED_MAX];
	size_t n;

	memset(&e, 0, sizeof(e));
	e.ae_seq = 3;
	e.ae_time_ms = T_2025;
	e.ae_kind = AUDIT_KIND_LOGIN;
	memcpy(e.ae_actor, "t.sato", 7);
	n = audit_entry_encode(&e, buf);
	T_EQ_INT(audit_entry_decode(buf, n, &d), 0);
	T_EQ_STR(d.ae_actor, "t.sato");
	T_EQ_INT(audit_entry_decode(buf, n - 1, &d), CB_EINVAL);
	buf[0] = 2;
	T_EQ_INT(audit_entry_decode(buf, n, &d), CB_EINVAL);
	buf[0] = 1;
	buf[22] = 9;				/* unknown kind */
	T_EQ_INT(audit_entry_decode(buf, n, &d), CB_EINVAL);
}

T_MAIN()
