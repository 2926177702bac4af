/*
 * demo.c: `classbox run --demo` seeds a demo school into an empty data
 * directory, for trying the box and for benchmarks (tests/bench/
 * classroom.sh): a high school of 3 grades x 8 homerooms x 35 students,
 * a parent per student (some parents have two children at the school),
 * 40 teachers (24 homeroom teachers, 16 subject teachers), 4 subject
 * classes per homeroom, 12 clubs, a term of daily attendance (60 school
 * days up to yesterday), announcements, assignments and submissions.
 *
 * Accounts go straight into auth's environment (before auth starts), in a
 * child running as the auth user; their Argon2 hashes are made by one
 * thread per core. The classroom records go into the store in a child
 * running as the web user, in batches (store_put_batch: one durable
 * commit per batch). Both children run at the same time.
 *
 * Every demo account has its own random password: no shared, known
 * password exists on any box. They are written to <data>/demo-passwords.csv
 * (mode 0600) for the person trying the box; the first admin's password is
 * printed as on every first start. Demo accounts need no password change
 * at first login (the first admin does).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "auth/account.h"
#include "auth/password.h"
#include "cmd/cmd.h"
#include "base/cb.h"
#include "base/file.h"
#include "base/proc.h"
#include "core/records.h"
#include "store/store.h"

#define DEMO_GRADES		3
#define DEMO_CLASSES		8
#define DEMO_SMALL_GRADES	1	/* --demo-small: homeroom 1-1, its */
#define DEMO_SMALL_CLASSES	1	/* subject classes and the clubs: */
#define DEMO_SMALL_TEACHERS	16	/* 86 accounts, seeded in seconds */
#define DEMO_STUDENTS		35
#define DEMO_TEACHERS		40
#define DEMO_SUBJECTS		4
#define DEMO_CLUBS		12
#define DEMO_DAYS		60	/* school days of attendance */
#define DEMO_ASSIGN_PER_CLASS	2	/* per subject class */
#define DEMO_ANN_PER_CLASS	5	/* per homeroom */
#define DEMO_SIBLING_EVERY	12	/* a 3rd-grader every N is a sibling */
#define DEMO_THREADS_MAX	8
#define DEMO_USERS_MAX		2000
#define DEMO_DOC_MAX		2048	/* bytes of one seeded JSON document */

struct demo_user {
	char u_id[16];
	char u_name[64];
	uint32_t u_role;		/* enum auth_role */
	int u_grade, u_class, u_num;	/* students; homeroom teachers */
	int u_club;			/* students: 0..DEMO_CLUBS-1 */
	char u_links[2][16];
	uint32_t u_nlinks;
	char u_pw[AUTH_INITIAL_PW_MAX];
	char u_phc[PASSWORD_PHC_MAX];
};

struct demo {
	struct demo_user *d_users;
	size_t d_n;
	size_t d_next_hash;		/* hashing threads take from here */
	pthread_mutex_t d_mu;
	int d_hash_failed;
	int64_t d_year;
	int64_t d_now;
	int d_teachers;			/* DEMO_TEACHERS, or the small's */
	int d_grades, d_classes;	/* DEMO_GRADES x DEMO_CLASSES, or the
					 * small school's (dp_small) */
	/* store batches */
	struct store *d_store;
	struct store_batch_doc d_batch[STORE_BATCH_MAX];
	size_t d_nbatch, d_bytes;
	size_t d_docs;
	struct store_put_result *d_res;
};

static const char *const demo_surnames[] = {
	"佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林",
	"加藤", "吉田", "山田", "佐々木", "山口", "松本", "井上", "木村", "林",
	"斎藤", "清水", "山崎", "森", "池田", "橋本", "阿部", "石川", "山下",
	"中島", "石井", "小川", "前田", "岡田", "長谷川", "藤田", "後藤",
	"近藤", "村上", "遠藤", "青木", "坂本",
};
static const char *const demo_boys[] = {
	"翔太", "蓮", "大翔", "悠真", "陽斗", "湊", "颯太", "樹", "大和", "陸",
	"健太", "拓海", "優斗", "翼", "海斗", "蒼", "悠人", "陽向", "隼", "亮",
};
static const char *const demo_girls[] = {
	"陽菜", "結衣", "葵", "美咲", "さくら", "結菜", "凛", "花", "芽依",
	"莉子", "紗希", "愛", "七海", "彩花", "真央", "美月", "優奈", "琴音",
	"日菜", "心春",
};
static const char *const demo_adults[] = {
	"誠", "浩", "健一", "直美", "裕子", "恵", "隆", "由美", "大輔", "智子",
	"哲也", "久美子", "和也", "明美", "修", "香織", "剛", "美穂", "学",
	"真由美",
};
static const struct {
	const char *code, *name;
} demo_subjects[DEMO_SUBJECTS] = {
	{ "jpn", "国語" }, { "math", "数学" }, { "eng", "英語" },
	{ "sci", "理科" },
};
static const struct {
	const char *code, *name;
} demo_clubs[DEMO_CLUBS] = {
	{ "baseball", "野球部" }, { "soccer", "サッカー部" },
	{ "basket", "バスケットボール部" }, { "tennis", "テニス部" },
	{ "track", "陸上部" }, { "kendo", "剣道部" }, { "brass", "吹奏楽部" },
	{ "art", "美術部" }, { "science", "科学部" }, { "shogi", "将棋部" },
	{ "drama", "演劇部" }, { "tea", "茶道部" },
};

/* A fixed sequence: the same school on every box. */
static uint32_t demo_rng_state = 20260401u;

static uint32_t
demo_rand(void)
{
	uint32_t x = demo_rng_state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return demo_rng_state = x;
}

#define PICK(a)	((a)[demo_rand() % CB_ARRAY_LEN(a)])

/* ---- the people ----------------------------------------------------- */

static struct demo_user *
demo_add(struct demo *d, uint32_t role)
{
	struct demo_user *u = &d->d_users[d->d_n++];

	memset(u, 0, sizeof(*u));
	u->u_role = role;
	u->u_grade = u->u_class = u->u_num = 0;
	return u;
}

static size_t
demo_student_index(const struct demo *d, int g, int c, int n)
{
	return (size_t)d->d_teachers + (size_t)((g - 1) * d->d_classes *
	    DEMO_STUDENTS + (c - 1) * DEMO_STUDENTS + (n - 1));
}

/* A 3rd-grader who is the younger sibling... no: the elder sibling of the
 * 1st-grader with the same class and number, every DEMO_SIBLING_EVERY. */
static int
demo_is_sibling(const struct demo *d, int g, int c, int n)
{
	return g == 3 && d->d_grades >= 3 && ((c - 1) * DEMO_STUDENTS + n) % DEMO_SIBLING_EVERY == 0;
}

static void
demo_people(struct demo *d)
{
	int g, c, n, t;

	for (t = 1; t <= d->d_teachers; t++) {
		struct demo_user *u = demo_add(d, ROLE_TEACHER);
		snprintf(u->u_id, sizeof(u->u_id), "t%02d", t);
		snprintf(u->u_name, sizeof(u->u_name), "%s %s",
		    PICK(demo_surnames), PICK(demo_adults));
		if (t <= d->d_grades * d->d_classes) {
			u->u_grade = (t - 1) / d->d_classes + 1;
			u->u_class = (t - 1) % d->d_classes + 1;
		}
	}
	for (g = 1; g <= d->d_grades; g++)
		for (c = 1; c <= d->d_classes; c++)
			for (n = 1; n <= DEMO_STUDENTS; n++) {
				struct demo_user *u = demo_add(d, ROLE_STUDENT);
				const char *sur = PICK(demo_surnames);
				const char *given = n % 2 ? PICK(demo_boys) :
				    PICK(demo_girls);
				if (demo_is_sibling(d, g, c, n)) {
					const struct demo_user *y = &d->d_users[
					    demo_student_index(d, 1, c, n)];
					size_t sl = strcspn(y->u_name, " ");
					snprintf(u->u_name, sizeof(u->u_name),
					    "%.*s %s", (int)sl, y->u_name, given);
				} else
					snprintf(u->u_name, sizeof(u->u_name),
					    "%s %s", sur, given);
				snprintf(u->u_id, sizeof(u->u_id), "s%d%02d%02d",
				    g % 10, c % 100, n % 100);
				u->u_grade = g;
				u->u_class = c;
				u->u_num = n;
				u->u_club = (int)(demo_rand() % DEMO_CLUBS);
			}
	/* One parent per family: a sibling's parent is the younger one's. */
	for (g = 1; g <= d->d_grades; g++)
		for (c = 1; c <= d->d_classes; c++)
			for (n = 1; n <= DEMO_STUDENTS; n++) {
				const struct demo_user *s =
				    &d->d_users[demo_student_index(d, g, c, n)];
				struct demo_user *p;
				size_t sl;
				if (demo_is_sibling(d, g, c, n))
					continue;
				p = demo_add(d, ROLE_PARENT);
				snprintf(p->u_id, sizeof(p->u_id), "p%d%02d%02d",
				    g % 10, c % 100, n % 100);
				char sur[48];
				sl = strcspn(s->u_name, " ");
				snprintf(sur, sizeof(sur), "%.*s", (int)sl,
				    s->u_name);
				snprintf(p->u_name, sizeof(p->u_name), "%s %s",
				    sur, PICK(demo_adults));
				cb_strlcpy(p->u_links[p->u_nlinks++], s->u_id,
				    sizeof(p->u_links[0]));
				if (g == 1 && demo_is_sibling(d, 3, c, n))
					cb_strlcpy(p->u_links[p->u_nlinks++],
					    d->d_users[demo_student_index(d, 3, c,
					    n)].u_id, sizeof(p->u_links[0]));
			}
}

/* The homeroom teacher of g-c, the teacher of subject s in g-c, the
 * adviser of club k. */
static const char *
demo_homeroom_teacher(const struct demo *d, int g, int c)
{
	return d->d_users[(g - 1) * d->d_classes + (c - 1)].u_id;
}

static const char *
demo_subject_teacher(const struct demo *d, int s, int g, int c)
{
	/* 16 subject teachers, 4 per subject, 6 homerooms each. */
	int k = ((g - 1) * d->d_classes + (c - 1)) / 6;

	return d->d_users[d->d_grades * d->d_classes + s * 4 + k].u_id;
}

static const char *
demo_club_teacher(const struct demo *d, int k)
{
	return d->d_users[k].u_id;
}

/* ---- accounts (child, as the auth user) ----------------------------- */

static void *
demo_hash_thread(void *arg)
{
	struct demo *d = arg;
	struct password_arena *a = NULL;

	if (password_arena_new(&a) != CB_OK) {
		d->d_hash_failed = 1;
		return NULL;
	}
	for (;;) {
		size_t i;
		pthread_mutex_lock(&d->d_mu);
		i = d->d_next_hash++;
		pthread_mutex_unlock(&d->d_mu);
		if (i >= d->d_n || d->d_hash_failed)
			break;
		if (password_hash_arena(a, d->d_users[i].u_pw,
		    d->d_users[i].u_phc, sizeof(d->d_users[i].u_phc)) != CB_OK)
			d->d_hash_failed = 1;
		if (i % 200 == 199) {
			printf("demo: %zu/%zu password hashes\n", i + 1, d->d_n);
			fflush(stdout);
		}
	}
	password_arena_free(a);
	return NULL;
}

static int
demo_accounts(struct demo *d, const char *auth_dir)
{
	pthread_t th[DEMO_THREADS_MAX];
	int64_t t0 = cb_mono_ms();
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int nth = ncpu < 1 ? 1 : ncpu > DEMO_THREADS_MAX ? DEMO_THREADS_MAX :
	    (int)ncpu, started = 0;
	struct account_store *st = NULL;
	int rc = CB_OK;

	pthread_mutex_init(&d->d_mu, NULL);
	for (int i = 0; i < nth; i++)
		if (pthread_create(&th[i], NULL, demo_hash_thread, d) == 0)
			started++;
	if (started == 0)
		(void)demo_hash_thread(d);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (d->d_hash_failed) {
		fprintf(stderr, "demo: hashing the passwords failed\n");
		return CB_ECRYPTO;
	}
	if ((rc = account_open(&st, auth_dir)) != CB_OK)
		return rc;
	/* Teachers, students, then parents (their children must exist). */
	for (size_t i = 0; i < d->d_n && rc == CB_OK; i++) {
		struct demo_user *du = &d->d_users[i];
		struct auth_user u;

		memset(&u, 0, sizeof(u));
		cb_strlcpy(u.au_uid, du->u_id, sizeof(u.au_uid));
		cb_strlcpy(u.au_name, du->u_name, sizeof(u.au_name));
		u.au_role = du->u_role;
		u.au_nlinks = du->u_nlinks;
		for (uint32_t k = 0; k < du->u_nlinks; k++)
			cb_strlcpy(u.au_links[k], du->u_links[k],
			    sizeof(u.au_links[k]));
		rc = account_create(st, &u, du->u_phc, 0, d->d_now, NULL);
		if (rc != CB_OK)
			fprintf(stderr, "demo: account %s not created: %s\n",
			    du->u_id, cb_strerror(rc));
	}
	account_close(st);
	if (rc == CB_OK)
		printf("demo: %zu accounts created in %.1f s (%d hashing "
		    "threads)\n", d->d_n, (double)(cb_mono_ms() - t0) / 1000.0,
		    nth);
	return rc;
}

/* ---- records (child, as the web user) ------------------------------- */

static int
demo_flush(struct demo *d)
{
	size_t failed = STORE_BATCH_NONE;
	int rc = CB_OK;

	if (d->d_nbatch > 0)
		rc = store_put_batch(d->d_store, d->d_batch, d->d_nbatch,
		    d->d_res, &failed);
	if (rc != CB_OK)
		fprintf(stderr, "demo: store: %s\n",
		    store_errmsg(d->d_store));
	for (size_t i = 0; i < d->d_nbatch; i++)
		free((char *)d->d_batch[i].bd_json);
	d->d_docs += d->d_nbatch;
	if (d->d_docs / 10000 != (d->d_docs - d->d_nbatch) / 10000) {
		printf("demo: %zu records\n", d->d_docs);
		fflush(stdout);
	}
	d->d_nbatch = d->d_bytes = 0;
	return rc;
}

/* Add one record (printf-style JSON); checked as the API would. */
static int demo_doc(struct demo *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
demo_doc(struct demo *d, const char *fmt, ...)
{
	char buf[DEMO_DOC_MAX];
	struct rec_err re;
	enum rec_type t;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return CB_ETOOBIG;
	if (rec_validate(buf, (size_t)n, &t, &re) != CB_OK) {
		fprintf(stderr, "demo: bad record (%s): %s\n", re.re_field,
		    buf);
		return CB_EINVAL;
	}
	if ((d->d_batch[d->d_nbatch].bd_json = strdup(buf)) == NULL)
		return CB_ENOMEM;
	d->d_batch[d->d_nbatch++].bd_len = (size_t)n;
	d->d_bytes += (size_t)n;
	if (d->d_nbatch == STORE_BATCH_MAX ||
	    d->d_bytes > STORE_BATCH_MAX_BYTES / 2)
		return demo_flush(d);
	return CB_OK;
}

/* Days since the epoch -> "YYYY-MM-DD" (Howard Hinnant's algorithm). */
static void
demo_date(int64_t z, char out[11])
{
	int64_t era, doe, yoe, y, doy, mp, dd, m;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	dd = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)(y + (m <= 2)) % 10000u,
	    (unsigned)m % 100u, (unsigned)dd % 100u);
}

#define DEMO_DAY_MS	(24LL * 3600 * 1000)
#define DEMO_JST_MS	(9LL * 3600 * 1000)

/* The epoch ms of a school-time day at hh:mm. */
static int64_t
demo_ms(int64_t day, int hh, int mm)
{
	return day * DEMO_DAY_MS - DEMO_JST_MS + (hh * 60 + mm) * 60000LL;
}

#define TRY(x)	do { if ((rc = (x)) != CB_OK) return rc; } while (0)

static int
demo_classes(struct demo *d)
{
	int64_t y = d->d_year;
	int rc, g, c, s, k;

	TRY(demo_doc(d, "{\"_id\":\"school\",\"type\":\"school\",\"name\":"
	    "\"県立みらい高等学校（デモ）\",\"year\":%lld,\"state\":\"active\","
	    "\"absence_cutoff\":\"08:30\"}", (long long)y));
	for (g = 1; g <= d->d_grades; g++)
		for (c = 1; c <= d->d_classes; c++) {
			TRY(demo_doc(d, "{\"_id\":\"class:%lld:%d-%d\",\"type\":"
			    "\"class\",\"year\":%lld,\"code\":\"%d-%d\",\"name\":"
			    "\"%d年%d組\",\"kind\":\"homeroom\",\"archived\":"
			    "false}", (long long)y, g, c, (long long)y, g, c, g,
			    c));
			for (s = 0; s < DEMO_SUBJECTS; s++)
				TRY(demo_doc(d, "{\"_id\":\"class:%lld:%d-%d-%s\","
				    "\"type\":\"class\",\"year\":%lld,\"code\":"
				    "\"%d-%d-%s\",\"name\":\"%d年%d組 %s\",\"kind\":"
				    "\"subject\",\"archived\":false}", (long long)y,
				    g, c, demo_subjects[s].code, (long long)y, g, c,
				    demo_subjects[s].code, g, c,
				    demo_subjects[s].name));
		}
	for (k = 0; k < DEMO_CLUBS; k++)
		TRY(demo_doc(d, "{\"_id\":\"class:%lld:club-%s\",\"type\":"
		    "\"class\",\"year\":%lld,\"code\":\"club-%s\",\"name\":"
		    "\"%s\",\"kind\":\"club\",\"archived\":false}",
		    (long long)y, demo_clubs[k].code, (long long)y,
		    demo_clubs[k].code, demo_clubs[k].name));
	return CB_OK;
}

static int
demo_member(struct demo *d, const char *cls, const char *uid,
    const char *role)
{
	return demo_doc(d, "{\"_id\":\"membership:class:%lld:%s:%s\",\"type\":"
	    "\"membership\",\"class_id\":\"class:%lld:%s\",\"user_id\":\"%s\","
	    "\"role\":\"%s\"}", (long long)d->d_year, cls, uid,
	    (long long)d->d_year, cls, uid, role);
}

static int
demo_roster(struct demo *d)
{
	char cls[32];
	int rc, s;

	for (size_t i = 0; i < d->d_n; i++) {
		const struct demo_user *u = &d->d_users[i];
		char extra[96] = "";
		if (u->u_role == ROLE_STUDENT)
			snprintf(extra, sizeof(extra), ",\"grade\":%d",
			    u->u_grade);
		else if (u->u_role == ROLE_PARENT)
			snprintf(extra, sizeof(extra), ",\"children\":[\"%s\"%s%s%s]",
			    u->u_links[0], u->u_nlinks > 1 ? ",\"" : "",
			    u->u_nlinks > 1 ? u->u_links[1] : "",
			    u->u_nlinks > 1 ? "\"" : "");
		TRY(demo_doc(d, "{\"_id\":\"user:%s\",\"type\":\"user\","
		    "\"user_id\":\"%s\",\"role\":\"%s\",\"state\":\"active\","
		    "\"name\":\"%s\",\"admin\":false%s}", u->u_id, u->u_id,
		    u->u_role == ROLE_STUDENT ? "student" : u->u_role ==
		    ROLE_PARENT ? "parent" : "teacher", u->u_name, extra));
	}
	for (size_t i = 0; i < d->d_n; i++) {
		const struct demo_user *u = &d->d_users[i];
		if (u->u_role == ROLE_TEACHER && u->u_grade > 0) {
			snprintf(cls, sizeof(cls), "%d-%d", u->u_grade,
			    u->u_class);
			TRY(demo_member(d, cls, u->u_id, "teacher"));
		}
		if (u->u_role != ROLE_STUDENT)
			continue;
		snprintf(cls, sizeof(cls), "%d-%d", u->u_grade, u->u_class);
		TRY(demo_member(d, cls, u->u_id, "student"));
		for (s = 0; s < DEMO_SUBJECTS; s++) {
			snprintf(cls, sizeof(cls), "%d-%d-%s", u->u_grade,
			    u->u_class, demo_subjects[s].code);
			TRY(demo_member(d, cls, u->u_id, "student"));
			if (u->u_num == 1)
				TRY(demo_member(d, cls, demo_subject_teacher(d,
				    s, u->u_grade, u->u_class), "teacher"));
		}
		snprintf(cls, sizeof(cls), "club-%s",
		    demo_clubs[u->u_club].code);
		TRY(demo_member(d, cls, u->u_id, "student"));
	}
	for (int k = 0; k < DEMO_CLUBS; k++) {
		snprintf(cls, sizeof(cls), "club-%s", demo_clubs[k].code);
		TRY(demo_member(d, cls, demo_club_teacher(d, k), "teacher"));
	}
	return CB_OK;
}

/* The last DEMO_DAYS weekdays before today (school time), oldest first. */
static void
demo_school_days(const struct demo *d, int64_t days[DEMO_DAYS])
{
	int64_t day = (d->d_now + DEMO_JST_MS) / DEMO_DAY_MS;
	int k = DEMO_DAYS;

	while (k > 0) {
		day--;
		int dow = (int)((day + 4) % 7);		/* 0 = Sunday */
		if (dow != 0 && dow != 6)
			days[--k] = day;
	}
}

static int
demo_attendance(struct demo *d, const int64_t days[DEMO_DAYS])
{
	static const char *const reasons[] = { "体調不良", "通院", "家庭の事情",
	    "発熱" };
	char date[11];
	int rc;

	for (int k = 0; k < DEMO_DAYS; k++) {
		demo_date(days[k], date);
		for (size_t i = 0; i < d->d_n; i++) {
			const struct demo_user *u = &d->d_users[i];
			uint32_t r = demo_rand() % 100;
			const char *st = r < 3 ? "absent" : r < 5 ? "late" :
			    r < 6 ? "early_leave" : "present";
			char reason[64] = "";
			if (u->u_role != ROLE_STUDENT)
				continue;
			if (strcmp(st, "present") != 0)
				snprintf(reason, sizeof(reason),
				    ",\"reason\":\"%s\"", PICK(reasons));
			TRY(demo_doc(d, "{\"_id\":\"attendance:%s:class:%lld:"
			    "%d-%d:%s:0\",\"type\":\"attendance\",\"date\":"
			    "\"%s\",\"class_id\":\"class:%lld:%d-%d\","
			    "\"student_id\":\"%s\",\"period\":0,\"status\":"
			    "\"%s\"%s,\"recorded_by\":\"%s\",\"edited_at\":%lld}",
			    date, (long long)d->d_year, u->u_grade, u->u_class,
			    u->u_id, date, (long long)d->d_year, u->u_grade,
			    u->u_class, u->u_id, st, reason,
			    demo_homeroom_teacher(d, u->u_grade, u->u_class),
			    (long long)demo_ms(days[k], 8, 40)));
		}
	}
	return CB_OK;
}

static int
demo_lessons(struct demo *d, const int64_t days[DEMO_DAYS])
{
	static const char *const ann[] = { "保護者会のお知らせ",
	    "体育祭の持ち物", "期末考査の範囲", "進路面談の日程",
	    "校外学習について" };
	char id[REC_ID_MAX + 1], date[11], due[11];
	int rc, g, c, s, k, n;

	for (k = 0; k < 5; k++) {
		int64_t day = days[k * 12];
		demo_date(day, date);
		if (rec_random_id(REC_ANNOUNCEMENT, id, sizeof(id)) != CB_OK)
			return CB_EIO;
		TRY(demo_doc(d, "{\"_id\":\"%s\",\"type\":\"announcement\","
		    "\"class_id\":\"school\",\"title\":\"全校: %s\",\"body\":"
		    "\"詳しくは配布したプリントをご覧ください。\",\"author_id\":"
		    "\"t01\",\"posted_at\":%lld,\"date\":\"%s\"}", id, ann[k],
		    (long long)demo_ms(day, 7, 30), date));
	}
	for (g = 1; g <= d->d_grades; g++)
		for (c = 1; c <= d->d_classes; c++) {
			for (k = 0; k < DEMO_ANN_PER_CLASS; k++) {
				int64_t day = days[(k * 13 + c) % DEMO_DAYS];
				demo_date(day, date);
				if (rec_random_id(REC_ANNOUNCEMENT, id,
				    sizeof(id)) != CB_OK)
					return CB_EIO;
				TRY(demo_doc(d, "{\"_id\":\"%s\",\"type\":"
				    "\"announcement\",\"class_id\":\"class:%lld:"
				    "%d-%d\",\"title\":\"%d年%d組: %s\",\"body\":"
				    "\"明日の朝の会で説明します。\",\"author_id\":"
				    "\"%s\",\"posted_at\":%lld,\"date\":\"%s\"}",
				    id, (long long)d->d_year, g, c, g, c,
				    ann[k % 5], demo_homeroom_teacher(d, g, c),
				    (long long)demo_ms(day, 16, 0), date));
			}
			for (s = 0; s < DEMO_SUBJECTS; s++)
				for (k = 0; k < DEMO_ASSIGN_PER_CLASS; k++) {
					int64_t day = days[20 + k * 15 + s];
					const char *t = demo_subject_teacher(d, s,
					    g, c);
					int64_t posted = demo_ms(day, 15, 0);
					demo_date(day + 7, due);
					if (rec_random_id(REC_ASSIGNMENT, id,
					    sizeof(id)) != CB_OK)
						return CB_EIO;
					TRY(demo_doc(d, "{\"_id\":\"%s\",\"type\":"
					    "\"assignment\",\"class_id\":\"class:"
					    "%lld:%d-%d-%s\",\"title\":\"%s 課題 "
					    "%d\",\"instructions\":\"教科書の練習"
					    "問題を解いて提出してください。\","
					    "\"due_date\":\"%sT17:00\",\"author_id\""
					    ":\"%s\",\"posted_at\":%lld,"
					    "\"questions\":[\"問1の答え\",\"問2の"
					    "答え\"]}", id, (long long)d->d_year, g,
					    c, demo_subjects[s].code,
					    demo_subjects[s].name, k + 1, due, t,
					    (long long)posted));
					for (n = 1; n <= DEMO_STUDENTS; n++) {
						uint32_t r = demo_rand() % 100;
						int64_t at;
						if (r >= 85)
							continue;
						at = posted + (int64_t)(1 + r % 9) *
						    DEMO_DAY_MS;
						TRY(demo_doc(d, "{\"_id\":\"submission"
						    ":%s:s%d%02d%02d:%lld\",\"type\":"
						    "\"submission\",\"assignment_id\":"
						    "\"%s\",\"class_id\":\"class:%lld:"
						    "%d-%d-%s\",\"student_id\":\"s%d%02d"
						    "%02d\",\"submitted_at\":%lld,"
						    "\"late\":%s,\"answers\":[\"%u\","
						    "\"%u\"]}", id, g, c, n,
						    (long long)at, id,
						    (long long)d->d_year, g, c,
						    demo_subjects[s].code, g, c, n,
						    (long long)at, r % 9 >= 7 ?
						    "true" : "false", r % 7, r % 5));
					}
				}
		}
	return CB_OK;
}

static int
demo_records(struct demo *d, const char *store_dir, const char *keys_dir)
{
	struct store_options so;
	struct keystore ks;
	int64_t days[DEMO_DAYS], t0 = cb_mono_ms();
	int rc;

	if ((rc = keystore_file_init(&ks, keys_dir)) != CB_OK)
		return rc;
	memset(&so, 0, sizeof(so));
	so.so_keystore = &ks;
	if ((rc = store_open(&d->d_store, store_dir, &so)) != CB_OK) {
		fprintf(stderr, "demo: store not opened\n");
		return rc;
	}
	if ((d->d_res = calloc(STORE_BATCH_MAX, sizeof(*d->d_res))) == NULL)
		rc = CB_ENOMEM;
	demo_school_days(d, days);
	if (rc == CB_OK)
		rc = demo_classes(d);
	if (rc == CB_OK)
		rc = demo_roster(d);
	if (rc == CB_OK)
		rc = demo_lessons(d, days);
	if (rc == CB_OK)
		rc = demo_attendance(d, days);
	if (rc == CB_OK)
		rc = demo_flush(d);
	for (size_t i = 0; i < d->d_nbatch; i++)
		free((char *)d->d_batch[i].bd_json);
	d->d_nbatch = 0;
	free(d->d_res);
	store_close(d->d_store);
	if (rc == CB_OK)
		printf("demo: %zu records written in %.1f s\n", d->d_docs,
		    (double)(cb_mono_ms() - t0) / 1000.0);
	return rc;
}

/* ---- the whole ------------------------------------------------------ */

static pid_t
demo_fork(uid_t uid, int (*fn)(struct demo *, const char *, const char *),
    struct demo *d, const char *a, const char *b)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	if (cb_drop_privileges(uid, uid) != CB_OK)
		_exit(1);
	int rc = fn(d, a, b);
	fflush(stdout);
	fflush(stderr);
	_exit(rc == CB_OK ? 0 : 1);
}

static int
demo_accounts_fn(struct demo *d, const char *auth_dir, const char *unused)
{
	(void)unused;
	return demo_accounts(d, auth_dir);
}

static int
demo_wait(pid_t pid)
{
	int status;

	return pid > 0 && waitpid(pid, &status, 0) == pid &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 0 ? CB_OK : CB_EIO;
}

/* <data>/demo-passwords.csv, 0600, for the person trying the box. */
static int
demo_write_passwords(const struct demo *d, const char *data)
{
	char path[4096];
	FILE *f;
	int fd;

	if (cb_path_join(path, sizeof(path), data, "demo-passwords.csv") !=
	    CB_OK)
		return CB_ETOOBIG;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) < 0 || (f = fdopen(fd, "w")) == NULL) {
		if (fd >= 0)
			close(fd);
		return CB_EIO;
	}
	fprintf(f, "user_id,name,role,class,number,password\n");
	for (size_t i = 0; i < d->d_n; i++) {
		const struct demo_user *u = &d->d_users[i];
		char cls[16] = "";
		if (u->u_grade > 0)
			snprintf(cls, sizeof(cls), "%d-%d", u->u_grade,
			    u->u_class);
		fprintf(f, "%s,%s,%s,%s,%d,%s\n", u->u_id, u->u_name,
		    u->u_role == ROLE_STUDENT ? "student" : u->u_role ==
		    ROLE_PARENT ? "parent" : "teacher", cls, u->u_num,
		    u->u_pw);
	}
	return fclose(f) == 0 ? CB_OK : CB_EIO;
}

int
demo_seed(const struct demo_paths *p)
{
	struct demo *d;
	char date[11];
	int64_t t0 = cb_mono_ms();
	pid_t pa, pw;
	int rc;

	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (d->d_users = calloc(DEMO_USERS_MAX, sizeof(*d->d_users))) ==
	    NULL) {
		free(d);
		return CB_ENOMEM;
	}
	d->d_now = cb_now_ms();
	rec_local_date(d->d_now, date);
	d->d_year = strtol(date, NULL, 10) - (atoi(date + 5) < 4);
	d->d_grades = p->dp_small ? DEMO_SMALL_GRADES : DEMO_GRADES;
	d->d_classes = p->dp_small ? DEMO_SMALL_CLASSES : DEMO_CLASSES;
	d->d_teachers = p->dp_small ? DEMO_SMALL_TEACHERS : DEMO_TEACHERS;
	demo_people(d);
	for (size_t i = 0; i < d->d_n; i++)
		if (password_generate(d->d_users[i].u_pw,
		    sizeof(d->d_users[i].u_pw), NULL) != CB_OK) {
			free(d->d_users);
			free(d);
			return CB_EIO;
		}
	printf("demo: seeding %zu accounts (Argon2: about a minute) and the "
	    "school's records...\n", d->d_n);
	fflush(stdout);
	pa = demo_fork(p->dp_auth_uid, demo_accounts_fn, d, p->dp_auth_dir,
	    NULL);
	pw = demo_fork(p->dp_web_uid, demo_records, d, p->dp_store_dir,
	    p->dp_keys_dir);
	rc = demo_wait(pa);
	if (demo_wait(pw) != CB_OK)
		rc = CB_EIO;
	if (rc == CB_OK)
		rc = demo_write_passwords(d, p->dp_data);
	if (rc == CB_OK)
		printf("demo: seeded in %.1f s; the demo accounts' passwords "
		    "are in %s/demo-passwords.csv (0600)\n",
		    (double)(cb_mono_ms() - t0) / 1000.0, p->dp_data);
	for (size_t i = 0; i < d->d_n; i++)
		cb_wipe(d->d_users[i].u_pw, sizeof(d->d_users[i].u_pw));
	free(d->d_users);
	free(d);
	return rc;
}
