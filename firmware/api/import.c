/*
 * import.c: the roster import (POST /api/v1/roster/import, admins) and
 * its password slips (GET /api/v1/roster/import/{id}/slips).
 *
 * The upload is a CSV file (core/roster_csv.c parses it whole or not at
 * all). A clean parse is then checked against the box: an id that exists
 * already, as a roster record or as an account in auth (tombstones too:
 * ids are never reused), is an error on its line, and so is a name longer
 * than an account's name may be. With ?dry_run=1, or when anything is
 * wrong, the answer lists the errors and nothing is written.
 *
 * Otherwise every account is created through auth (AUTH_USER_CREATE,
 * IMP_INFLIGHT at a time; students first, then teachers and admins, then
 * parents, whose children must exist), each with its roster record; then
 * the homerooms of the current school year (created if missing) and the
 * memberships of their students and teachers are written together.
 *
 * The initial passwords are kept for the slips only: the rendered page is
 * held in the web process's memory (never on disk) for IMP_SLIPS_TTL_MS,
 * for the admin who imported, and wiped after it is fetched once, or when
 * it expires, or when the web process ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

#include "api/classroom.h"
#include "auth/authclient.h"
#include "base/cb.h"
#include "core/roster_csv.h"

#define IMP_SLIPS_TTL_MS	(30 * 60 * 1000)	/* slips kept this long */
#define IMP_SLOTS		8	/* imports whose slips are waiting */
#define IMP_INFLIGHT		4	/* account creations sent to auth at once */
#define IMP_CHECKS_INFLIGHT	32	/* id look-ups sent to auth at once */
#define IMP_ID_BYTES		16	/* random bytes of an import id */
#define IMP_ID_MAX		32	/* base64url of those, with NUL */

struct imp_slot {
	char s_id[IMP_ID_MAX];
	char s_admin[AUTH_UID_MAX];
	int64_t s_expires_ms;		/* cb_now_ms() clock; 0 = free */
	char *s_html;			/* with ROSTER_SLIPS_URL_PLACEHOLDER */
	size_t s_len;
};

struct api_imports {
	struct imp_slot i_slot[IMP_SLOTS];
	int i_busy;			/* an import is running */
};

struct imp_err {
	unsigned e_line;
	char e_ja[ROSTER_MSG_MAX];
	char e_en[ROSTER_MSG_MAX];
};

struct imp_job;

struct imp_call {
	struct imp_job *k_job;
	size_t k_idx;			/* index into j_order */
};

enum imp_phase { IMP_CHECK, IMP_CREATE };

struct imp_job {
	struct api_req *j_r;
	struct api *j_api;
	struct cr_ctx j_c;
	struct roster j_ro;
	size_t *j_order;		/* users: students, staff, parents */
	size_t j_first_parent;		/* in j_order */
	struct imp_call *j_calls;	/* one per user */
	char (*j_pw)[AUTH_INITIAL_PW_MAX];
	unsigned char *j_made;
	struct imp_err *j_errs;
	size_t j_nerrs, j_caperrs;
	enum imp_phase j_phase;
	size_t j_next;			/* next in j_order to send */
	size_t j_inflight;
	size_t j_done;			/* answered in this phase */
	int j_failed;			/* an auth call failed: stop sending */
	int j_status;			/* its status */
	size_t j_failed_line;
	int j_dry;
	int64_t j_year;
	char j_school[REC_TITLE_MAX + 1];
};

static int imp_send(struct imp_job *j);

/* ---- the slips held in memory --------------------------------------- */

static struct api_imports *
imp_state(struct api *a)
{
	if (a->a_imports == NULL)
		a->a_imports = calloc(1, sizeof(*a->a_imports));
	return a->a_imports;
}

static void
imp_slot_clear(struct imp_slot *s)
{
	if (s->s_html != NULL) {
		cb_wipe(s->s_html, s->s_len);
		free(s->s_html);
	}
	memset(s, 0, sizeof(*s));
}

static void
imp_expire(struct api_imports *st, int64_t now)
{
	for (size_t i = 0; i < IMP_SLOTS; i++)
		if (st->i_slot[i].s_expires_ms != 0 &&
		    now >= st->i_slot[i].s_expires_ms)
			imp_slot_clear(&st->i_slot[i]);
}

void
api_imports_free(struct api_imports *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < IMP_SLOTS; i++)
		imp_slot_clear(&st->i_slot[i]);
	free(st);
}

/* ---- errors --------------------------------------------------------- */

static int
imp_err_add(struct imp_job *j, unsigned line, const char *ja, const char *en)
{
	struct imp_err *e;

	if (j->j_nerrs == j->j_caperrs) {
		size_t cap = j->j_caperrs ? j->j_caperrs * 2 : 16;
		if ((e = realloc(j->j_errs, cap * sizeof(*e))) == NULL)
			return CB_ENOMEM;
		j->j_errs = e;
		j->j_caperrs = cap;
	}
	e = &j->j_errs[j->j_nerrs++];
	e->e_line = line;
	snprintf(e->e_ja, sizeof(e->e_ja), "%s", ja);
	snprintf(e->e_en, sizeof(e->e_en), "%s", en);
	return CB_OK;
}

static int
imp_err_cmp(const void *a, const void *b)
{
	const struct imp_err *x = a, *y = b;

	return x->e_line < y->e_line ? -1 : x->e_line > y->e_line;
}

static void
imp_err_exists(struct imp_job *j, const struct roster_user *u)
{
	char ja[ROSTER_MSG_MAX], en[ROSTER_MSG_MAX];

	snprintf(ja, sizeof(ja), "%u行目: ユーザーID「%s」はすでに使われてい"
	    "ます（IDは再利用できません）", u->ru_line, u->ru_id);
	snprintf(en, sizeof(en), "line %u: user id '%s' is already taken "
	    "(ids are never reused)", u->ru_line, u->ru_id);
	(void)imp_err_add(j, u->ru_line, ja, en);
}

/* ---- the job -------------------------------------------------------- */

static void
imp_job_free(struct imp_job *j)
{
	struct api_imports *st;

	if (j == NULL)
		return;
	if ((st = j->j_api->a_imports) != NULL)
		st->i_busy = 0;
	if (j->j_pw != NULL) {
		cb_wipe(j->j_pw, j->j_ro.r_n * sizeof(*j->j_pw));
		free(j->j_pw);
	}
	roster_free(&j->j_ro);
	free(j->j_order);
	free(j->j_calls);
	free(j->j_made);
	free(j->j_errs);
	cb_wipe(j, sizeof(*j));
	free(j);
}

/* The answer; frees j and r. */
static int
imp_reply(struct imp_job *j, const char *slips_id)
{
	yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *root = doc ? yyjson_mut_obj(doc) : NULL;
	yyjson_mut_val *errs = root ? yyjson_mut_arr(doc) : NULL;
	yyjson_mut_val *made = root ? yyjson_mut_arr(doc) : NULL;
	struct api_req *r = j->j_r;
	const char *enc = j->j_ro.r_encoding == ROSTER_ENC_CP932 ?
	    "shift_jis" : "utf-8";
	size_t created = 0;
	int ok = errs != NULL && made != NULL;

	if (j->j_nerrs > 1)	/* qsort(NULL, 0, ...) is undefined */
		qsort(j->j_errs, j->j_nerrs, sizeof(*j->j_errs), imp_err_cmp);
	for (size_t i = 0; ok && i < j->j_nerrs; i++) {
		yyjson_mut_val *e = yyjson_mut_obj(doc);
		ok = e != NULL && yyjson_mut_arr_append(errs, e) &&
		    (j->j_errs[i].e_line == 0 ? yyjson_mut_obj_add_null(doc,
		    e, "line") : yyjson_mut_obj_add_uint(doc, e, "line",
		    j->j_errs[i].e_line)) &&
		    yyjson_mut_obj_add_strcpy(doc, e, "message",
		    j->j_errs[i].e_en) &&
		    yyjson_mut_obj_add_strcpy(doc, e, "message_ja",
		    j->j_errs[i].e_ja);
	}
	for (size_t k = 0; ok && j->j_made && k < j->j_ro.r_n; k++) {
		const struct roster_user *u = &j->j_ro.r_users[k];
		yyjson_mut_val *e;
		if (!j->j_made[k])
			continue;
		created++;
		ok = (e = yyjson_mut_obj(doc)) != NULL &&
		    yyjson_mut_arr_append(made, e) &&
		    yyjson_mut_obj_add_strcpy(doc, e, "id", u->ru_id) &&
		    yyjson_mut_obj_add_strcpy(doc, e, "name", u->ru_name) &&
		    yyjson_mut_obj_add_str(doc, e, "role",
		    roster_role_en(u->ru_role)) &&
		    (u->ru_class[0] ? yyjson_mut_obj_add_strcpy(doc, e, "class",
		    u->ru_class) : yyjson_mut_obj_add_null(doc, e, "class")) &&
		    (u->ru_number ? yyjson_mut_obj_add_int(doc, e, "number",
		    u->ru_number) : yyjson_mut_obj_add_null(doc, e, "number"));
	}
	ok = ok && yyjson_mut_obj_add_bool(doc, root, "ok", j->j_nerrs == 0) &&
	    yyjson_mut_obj_add_bool(doc, root, "dry_run", j->j_dry) &&
	    yyjson_mut_obj_add_uint(doc, root, "rows", j->j_ro.r_n) &&
	    (j->j_ro.r_n == 0 ? yyjson_mut_obj_add_null(doc, root,
	    "encoding") : yyjson_mut_obj_add_str(doc, root, "encoding", enc)) &&
	    yyjson_mut_obj_add_val(doc, root, "errors", errs);
	if (ok && !j->j_dry && j->j_made != NULL) {
		ok = yyjson_mut_obj_add_uint(doc, root, "created", created) &&
		    yyjson_mut_obj_add_val(doc, root, "users", made);
		if (ok && slips_id != NULL) {
			char path[96];
			snprintf(path, sizeof(path),
			    "/api/v1/roster/import/%s/slips", slips_id);
			ok = yyjson_mut_obj_add_strcpy(doc, root, "import_id",
			    slips_id) &&
			    yyjson_mut_obj_add_strcpy(doc, root, "slips", path) &&
			    yyjson_mut_obj_add_int(doc, root, "slips_expire_ms",
			    cb_now_ms() + IMP_SLIPS_TTL_MS);
		}
	}
	imp_job_free(j);
	if (!ok) {
		yyjson_mut_doc_free(doc);
		return api_req_error(r, API_E_INTERNAL);
	}
	yyjson_mut_doc_set_root(doc, root);
	return api_req_json(r, 200, doc);
}

static int
imp_fail(struct imp_job *j, enum api_err_code code)
{
	struct api_req *r = j->j_r;

	imp_job_free(j);
	return api_req_error(r, code);
}

/* ---- the checks against the box ------------------------------------- */

/* A student with this id on the box (the parser asks about children). */
static int
imp_student_exists(void *arg, const char *uid)
{
	struct imp_job *j = arg;
	char id[REC_ID_MAX + 1];
	yyjson_doc *d = NULL;
	const char *role, *state;
	int yes;

	if (cr_idf(id, sizeof(id), "user:%s", uid) != CB_OK ||
	    cr_get(&j->j_c, id, &d) != CB_OK) {
		memset(&j->j_c.c_err, 0, sizeof(j->j_c.c_err));
		return 0;
	}
	role = cr_str(d, "role");
	state = cr_str(d, "state");
	yes = role != NULL && strcmp(role, "student") == 0 && state != NULL &&
	    strcmp(state, "active") == 0;
	yyjson_doc_free(d);
	return yes;
}

/* Checks that need only the store: ids with a roster record, names too
 * long for an account. */
static void
imp_check_local(struct imp_job *j)
{
	char id[REC_ID_MAX + 1], ja[ROSTER_MSG_MAX], en[ROSTER_MSG_MAX];
	struct store_doc sd;

	for (size_t i = 0; i < j->j_ro.r_n; i++) {
		const struct roster_user *u = &j->j_ro.r_users[i];
		if (strlen(u->ru_name) > REC_NAME_MAX) {
			snprintf(ja, sizeof(ja), "%u行目: 氏名が長すぎます（%d "
			    "バイトまで）", u->ru_line, REC_NAME_MAX);
			snprintf(en, sizeof(en), "line %u: name is too long "
			    "(at most %d bytes)", u->ru_line, REC_NAME_MAX);
			(void)imp_err_add(j, u->ru_line, ja, en);
		}
		if (cr_idf(id, sizeof(id), "user:%s", u->ru_id) == CB_OK &&
		    store_get(j->j_c.c_s, id, NULL, 0, &sd) == CB_OK) {
			store_doc_free(&sd);
			imp_err_exists(j, u);
			j->j_made[i] = 2;	/* reported: skip the auth check */
		}
	}
}

static int
imp_order_rank(enum roster_role role)
{
	return role == ROSTER_STUDENT ? 0 : role == ROSTER_PARENT ? 2 : 1;
}

static int
imp_order(struct imp_job *j)
{
	size_t n = j->j_ro.r_n, k = 0;

	if ((j->j_order = calloc(n ? n : 1, sizeof(*j->j_order))) == NULL)
		return CB_ENOMEM;
	for (int rank = 0; rank < 3; rank++) {
		if (rank == 2)
			j->j_first_parent = k;
		for (size_t i = 0; i < n; i++)
			if (imp_order_rank(j->j_ro.r_users[i].ru_role) == rank)
				j->j_order[k++] = i;
	}
	return CB_OK;
}

static uint32_t
imp_auth_role(enum roster_role role)
{
	switch (role) {
	case ROSTER_STUDENT:	return ROLE_STUDENT;
	case ROSTER_TEACHER:	return ROLE_TEACHER;
	case ROSTER_PARENT:	return ROLE_PARENT;
	default:		return ROLE_ADMIN;
	}
}

/* ---- memberships and slips ------------------------------------------ */

static void
imp_class_name(const char *code, char *out, size_t size)
{
	const char *dash = strchr(code, '-');

	if (dash == NULL)
		snprintf(out, size, "%s", code);
	else
		snprintf(out, size, "%.*s年%s組", (int)(dash - code), code,
		    dash + 1);
}

/* Homerooms (created when missing) and memberships, together. */
static int
imp_memberships(struct imp_job *j)
{
	struct cr_ctx *c = &j->j_c;
	size_t n = j->j_ro.r_n, nd = 0, i, k;
	yyjson_mut_doc **docs;
	char id[REC_ID_MAX + 1], cid[REC_ID_MAX + 1], name[64];
	yyjson_doc *d;
	int rc = CB_OK;

	if ((docs = calloc(2 * n + 1, sizeof(*docs))) == NULL)
		return CB_ENOMEM;
	for (i = 0; i < n && rc == CB_OK; i++) {
		const struct roster_user *u = &j->j_ro.r_users[i];
		yyjson_mut_doc *m;
		yyjson_mut_val *root;
		int seen = 0;

		if (!j->j_made[i] || u->ru_class[0] == '\0' ||
		    (u->ru_role != ROSTER_STUDENT &&
		    u->ru_role != ROSTER_TEACHER))
			continue;
		cr_idf(cid, sizeof(cid), "class:%lld:%s", (long long)j->j_year,
		    u->ru_class);
		for (k = 0; k < i && !seen; k++)
			seen = j->j_made[k] && strcmp(j->j_ro.r_users[k].ru_class,
			    u->ru_class) == 0 && (j->j_ro.r_users[k].ru_role ==
			    ROSTER_STUDENT || j->j_ro.r_users[k].ru_role ==
			    ROSTER_TEACHER);
		d = NULL;
		if (!seen && cr_get(c, cid, &d) != CB_OK) {
			memset(&c->c_err, 0, sizeof(c->c_err));
			imp_class_name(u->ru_class, name, sizeof(name));
			if ((m = cr_new_doc(cid, REC_CLASS)) == NULL ||
			    (root = yyjson_mut_doc_get_root(m)) == NULL ||
			    !yyjson_mut_obj_add_int(m, root, "year", j->j_year) ||
			    !yyjson_mut_obj_add_strcpy(m, root, "code",
			    u->ru_class) ||
			    !yyjson_mut_obj_add_strcpy(m, root, "name", name) ||
			    !yyjson_mut_obj_add_str(m, root, "kind", "homeroom") ||
			    !yyjson_mut_obj_add_bool(m, root, "archived", false)) {
				yyjson_mut_doc_free(m);
				rc = CB_ENOMEM;
				break;
			}
			docs[nd++] = m;
		}
		yyjson_doc_free(d);
		cr_idf(id, sizeof(id), "membership:%s:%s", cid, u->ru_id);
		if ((m = cr_new_doc(id, REC_MEMBERSHIP)) == NULL ||
		    (root = yyjson_mut_doc_get_root(m)) == NULL ||
		    !yyjson_mut_obj_add_strcpy(m, root, "class_id", cid) ||
		    !yyjson_mut_obj_add_strcpy(m, root, "user_id", u->ru_id) ||
		    !yyjson_mut_obj_add_str(m, root, "role",
		    u->ru_role == ROSTER_STUDENT ? "student" : "teacher")) {
			yyjson_mut_doc_free(m);
			rc = CB_ENOMEM;
			break;
		}
		docs[nd++] = m;
	}
	if (rc == CB_OK && nd > 0 && cr_put_many(c, docs, nd) != CB_OK)
		rc = CB_EIO;
	for (i = 0; i < nd; i++)
		yyjson_mut_doc_free(docs[i]);
	free(docs);
	return rc;
}

/* The slips page of the accounts made, kept in a free slot. */
static int
imp_keep_slips(struct imp_job *j, char id[IMP_ID_MAX])
{
	struct api_imports *st = imp_state(j->j_api);
	struct roster_slip *sl;
	struct imp_slot *slot = NULL;
	uint8_t raw[IMP_ID_BYTES];
	size_t n = 0;
	char *html = NULL;
	size_t len = 0;
	int64_t now = cb_now_ms();
	int rc;

	if (st == NULL)
		return CB_ENOMEM;
	imp_expire(st, now);
	for (size_t i = 0; i < IMP_SLOTS && slot == NULL; i++)
		if (st->i_slot[i].s_expires_ms == 0)
			slot = &st->i_slot[i];
	if (slot == NULL) {		/* all taken: the oldest goes */
		slot = &st->i_slot[0];
		for (size_t i = 1; i < IMP_SLOTS; i++)
			if (st->i_slot[i].s_expires_ms < slot->s_expires_ms)
				slot = &st->i_slot[i];
		log_warn("roster import: slips of an earlier import dropped");
		imp_slot_clear(slot);
	}
	if ((sl = calloc(j->j_ro.r_n + 1, sizeof(*sl))) == NULL)
		return CB_ENOMEM;
	for (size_t i = 0; i < j->j_ro.r_n; i++) {
		const struct roster_user *u = &j->j_ro.r_users[i];
		if (j->j_made[i] != 1)
			continue;
		sl[n].rs_class = u->ru_class;
		sl[n].rs_number = u->ru_number;
		sl[n].rs_name = u->ru_name;
		sl[n].rs_user_id = u->ru_id;
		sl[n].rs_password = j->j_pw[i];
		n++;
	}
	rc = roster_slips_html(sl, n, j->j_school, &html, &len);
	free(sl);
	if (rc != CB_OK)
		return rc;
	if ((rc = cb_random(raw, sizeof(raw))) != CB_OK ||
	    (rc = cb_b64url_encode(raw, sizeof(raw), id, IMP_ID_MAX)) !=
	    CB_OK) {
		cb_wipe(html, len);
		free(html);
		return rc;
	}
	snprintf(slot->s_id, sizeof(slot->s_id), "%s", id);
	snprintf(slot->s_admin, sizeof(slot->s_admin), "%s",
	    j->j_c.c_user->au_uid);
	slot->s_html = html;
	slot->s_len = len;
	slot->s_expires_ms = now + IMP_SLIPS_TTL_MS;
	return CB_OK;
}

/* Every account is made (or a creation failed): memberships, slips. */
static int
imp_finish(struct imp_job *j)
{
	char id[IMP_ID_MAX] = "";
	char ja[ROSTER_MSG_MAX], en[ROSTER_MSG_MAX];
	size_t made = 0;
	int have_slips;

	for (size_t i = 0; i < j->j_ro.r_n; i++)
		made += j->j_made[i] == 1;
	if (j->j_failed) {
		const struct api_err_info *inf =
		    api_err_info(api_err_from_status(j->j_status));
		snprintf(ja, sizeof(ja), "%zu行目: アカウントを作れませんでした"
		    "（%s）。取り込みを中止しました。users に載っている人だけが"
		    "作成されています", j->j_failed_line, inf->aei_code);
		snprintf(en, sizeof(en), "line %zu: the account could not be "
		    "created (%s); the import stopped: only the users listed "
		    "were created", j->j_failed_line, inf->aei_code);
		(void)imp_err_add(j, (unsigned)j->j_failed_line, ja, en);
	}
	if (made > 0 && imp_memberships(j) != CB_OK) {
		(void)imp_err_add(j, 0, "学級への所属を書き込めませんでした。"
		    "アカウントは作成済みです",
		    "the homeroom memberships could not be written; the "
		    "accounts were created");
		memset(&j->j_c.c_err, 0, sizeof(j->j_c.c_err));
	}
	have_slips = made > 0 && imp_keep_slips(j, id) == CB_OK;
	if (made > 0 && !have_slips)
		(void)imp_err_add(j, 0, "パスワード用紙を作れませんでした。"
		    "各利用者のパスワードを再発行してください",
		    "the password slips could not be made; reset the users' "
		    "passwords");
	/* The passwords live on only in the slips page. */
	cb_wipe(j->j_pw, j->j_ro.r_n * sizeof(*j->j_pw));
	return imp_reply(j, have_slips ? id : NULL);
}

/* ---- the calls to auth ---------------------------------------------- */

static void
imp_on_reply(void *arg, uint32_t type, const void *reply)
{
	struct imp_call *k = arg;
	struct imp_job *j = k->k_job;
	size_t i = j->j_order[k->k_idx];
	const struct roster_user *u = &j->j_ro.r_users[i];

	j->j_inflight--;
	j->j_done++;
	if (j->j_api->a_closing) {
		if (j->j_inflight == 0) {
			struct api_req *r = j->j_r;
			imp_job_free(j);
			api_req_abandon(r);
		}
		return;
	}
	if (reply == NULL) {
		if (!j->j_failed) {
			j->j_failed = 1;
			j->j_status = CB_EUNAVAIL;
			j->j_failed_line = u->ru_line;
		}
	} else if (j->j_phase == IMP_CHECK && type == AUTH_USER_R) {
		const struct auth_user_r *ur = reply;
		if (ur->aur_status == CB_OK)
			imp_err_exists(j, u);
		else if (ur->aur_status != CB_ENOTFOUND && !j->j_failed) {
			j->j_failed = 1;
			j->j_status = ur->aur_status;
		}
	} else if (j->j_phase == IMP_CREATE && type == AUTH_USER_PW_R) {
		const struct auth_user_pw_r *pr = reply;
		if (pr->aupr_status == CB_OK) {
			j->j_made[i] = 1;
			cb_strlcpy(j->j_pw[i], pr->aupr_initial_password,
			    sizeof(j->j_pw[i]));
			if (api_profile_sync(j->j_api, &pr->aupr_user) != CB_OK)
				log_warn("roster import: a roster record was "
				    "not written");
		} else if (!j->j_failed || u->ru_line < j->j_failed_line) {
			if (pr->aupr_status == CB_EEXIST)
				imp_err_exists(j, u);
			j->j_failed = 1;
			j->j_status = pr->aupr_status;
			j->j_failed_line = u->ru_line;
		}
	} else if (!j->j_failed) {
		j->j_failed = 1;
		j->j_status = CB_EPROTO;
		j->j_failed_line = u->ru_line;
	}
	(void)imp_send(j);
}

/* A phase is over: the next one, or the answer (0: answered, j gone). */
static int
imp_phase_done(struct imp_job *j)
{
	if (j->j_phase == IMP_CHECK) {
		if (j->j_failed) {
			log_warn("roster import: auth answered %s to a look-up",
			    cb_strerror(j->j_status));
			return imp_fail(j, j->j_status == CB_EUNAVAIL ?
			    API_E_UNAVAILABLE : API_E_BUSY);
		}
		if (j->j_nerrs > 0 || j->j_dry)
			return imp_reply(j, NULL);
		memset(j->j_made, 0, j->j_ro.r_n);
		j->j_phase = IMP_CREATE;
		j->j_next = j->j_done = 0;
		return imp_send(j);
	}
	return imp_finish(j);
}

/* Send what the window allows; when the phase is over, go on. Returns
 * HTTP_DEFER while calls are out, 0 once answered (j is gone then). */
static int
imp_send(struct imp_job *j)
{
	size_t n = j->j_ro.r_n;
	size_t window = j->j_phase == IMP_CHECK ? IMP_CHECKS_INFLIGHT :
	    IMP_INFLIGHT;

	while (!j->j_failed && j->j_next < n && j->j_inflight < window) {
		size_t k = j->j_next, i = j->j_order[k];
		const struct roster_user *u = &j->j_ro.r_users[i];
		int rc;

		/* Parents wait until every child has been made. */
		if (j->j_phase == IMP_CREATE && k == j->j_first_parent &&
		    j->j_inflight > 0)
			break;
		j->j_next++;
		if (j->j_phase == IMP_CHECK && j->j_made[i] == 2)
			continue;	/* already reported */
		j->j_calls[k].k_job = j;
		j->j_calls[k].k_idx = k;
		if (j->j_phase == IMP_CHECK) {
			struct auth_user_ref m;
			memset(&m, 0, sizeof(m));
			memcpy(m.aur_token, j->j_r->r_token,
			    sizeof(m.aur_token));
			cb_strlcpy(m.aur_uid, u->ru_id, sizeof(m.aur_uid));
			rc = authc_call(j->j_api->a_ac, AUTH_USER_GET, &m,
			    sizeof(m), imp_on_reply, &j->j_calls[k]);
			cb_wipe(&m, sizeof(m));
		} else {
			struct auth_user_create m;
			memset(&m, 0, sizeof(m));
			memcpy(m.auc_token, j->j_r->r_token,
			    sizeof(m.auc_token));
			cb_strlcpy(m.auc_user.au_uid, u->ru_id, AUTH_UID_MAX);
			cb_strlcpy(m.auc_user.au_name, u->ru_name,
			    AUTH_NAME_MAX);
			m.auc_user.au_role = imp_auth_role(u->ru_role);
			for (unsigned c = 0; c < u->ru_nchildren &&
			    c < AUTH_LINKS_MAX; c++)
				cb_strlcpy(m.auc_user.au_links[c],
				    u->ru_children[c], AUTH_UID_MAX);
			m.auc_user.au_nlinks = u->ru_nchildren;
			rc = authc_call(j->j_api->a_ac, AUTH_USER_CREATE, &m,
			    sizeof(m), imp_on_reply, &j->j_calls[k]);
			cb_wipe(&m, sizeof(m));
		}
		if (rc != CB_OK) {
			j->j_failed = 1;
			j->j_status = rc == CB_EBUSY ? CB_EBUSY : CB_EUNAVAIL;
			j->j_failed_line = u->ru_line;
			break;
		}
		j->j_inflight++;
	}
	if (j->j_inflight == 0 && (j->j_failed || j->j_next >= n))
		return imp_phase_done(j);
	return HTTP_DEFER;
}

/* ---- the endpoints -------------------------------------------------- */

static int64_t
imp_school_year(struct cr_ctx *c, char *school, size_t size)
{
	yyjson_doc *d = NULL;
	yyjson_val *y;
	char date[11];
	int64_t year;
	int month;

	snprintf(school, size, "%s", "classbox");
	if (cr_get(c, "school", &d) == CB_OK) {
		const char *nm = cr_str(d, "name");
		if (nm != NULL)
			snprintf(school, size, "%s", nm);
		y = yyjson_obj_get(yyjson_doc_get_root(d), "year");
		if (yyjson_is_int(y)) {
			year = yyjson_get_sint(y);
			yyjson_doc_free(d);
			return year;
		}
	}
	memset(&c->c_err, 0, sizeof(c->c_err));
	yyjson_doc_free(d);
	/* The Japanese school year starts in April. */
	rec_local_date(c->c_now, date);
	year = strtol(date, NULL, 10);
	month = atoi(date + 5);
	return month < 4 ? year - 1 : year;
}

int
api_roster_import(struct api_req *r)
{
	static const char *const names[] = { "dry_run" };
	const struct http_req *q = http_request(r->r_ex);
	char v[1][CR_QVAL_MAX];
	struct api_imports *st = imp_state(r->r_api);
	struct roster_errors pe;
	struct imp_job *j;
	int rc;

	if (st == NULL)
		return api_req_error(r, API_E_BUSY);
	if (st->i_busy)		/* one import at a time */
		return api_req_error(r, API_E_BUSY);
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return api_req_error(r, API_E_BUSY);
	j->j_r = r;
	j->j_api = r->r_api;
	if (cr_begin(r, &j->j_c) != CB_OK ||
	    cr_allow(&j->j_c, RS_CLASS, PA_CREATE, 0, PSUB_NONE) != CB_OK ||
	    cr_query(&j->j_c, names, 1, v) != CB_OK) {
		struct api_err err = j->j_c.c_err;
		imp_job_free(j);
		if (err.ae_code == API_E_NONE)
			err.ae_code = API_E_INTERNAL;
		return api_req_error_full(r, &err);
	}
	if (strcmp(v[0], "1") == 0 || strcmp(v[0], "true") == 0)
		j->j_dry = 1;
	else if (v[0][0] != '\0' && strcmp(v[0], "0") != 0 &&
	    strcmp(v[0], "false") != 0) {
		imp_job_free(j);
		struct api_err err;
		(void)api_err_set(&err, API_E_INVALID_FIELD, API_FIELD_VALUE,
		    "dry_run", 7);
		return api_req_error_full(r, &err);
	}
	j->j_year = imp_school_year(&j->j_c, j->j_school,
	    sizeof(j->j_school));

	memset(&pe, 0, sizeof(pe));
	rc = roster_csv_parse_ex(q->body, q->body_len, &j->j_ro, &pe,
	    imp_student_exists, j);
	memset(&j->j_c.c_err, 0, sizeof(j->j_c.c_err));
	if (rc == CB_ENOMEM) {
		roster_errors_free(&pe);
		return imp_fail(j, API_E_BUSY);
	}
	for (size_t i = 0; i < pe.re_n; i++)
		(void)imp_err_add(j, pe.re_list[i].re_line,
		    pe.re_list[i].re_ja, pe.re_list[i].re_en);
	roster_errors_free(&pe);
	if (rc != CB_OK)
		return imp_reply(j, NULL);

	j->j_made = calloc(j->j_ro.r_n + 1, 1);
	j->j_calls = calloc(j->j_ro.r_n + 1, sizeof(*j->j_calls));
	j->j_pw = calloc(j->j_ro.r_n + 1, sizeof(*j->j_pw));
	if (j->j_made == NULL || j->j_calls == NULL || j->j_pw == NULL ||
	    imp_order(j) != CB_OK)
		return imp_fail(j, API_E_BUSY);
	imp_check_local(j);
	st->i_busy = 1;
	j->j_phase = IMP_CHECK;
	return imp_send(j);
}

/* A Host we can put in the page as is: a name or address and a port. */
static int
imp_host_ok(const char *h)
{
	if (h == NULL || h[0] == '\0' || strlen(h) > 255)
		return 0;
	for (; *h != '\0'; h++)
		if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') ||
		    (*h >= '0' && *h <= '9') || strchr(".-:[]", *h) != NULL))
			return 0;
	return 1;
}

int
api_roster_slips(struct api_req *r)
{
	const struct http_req *q = http_request(r->r_ex);
	struct api_imports *st = r->r_api->a_imports;
	struct imp_slot *slot = NULL;
	static const char ph[] = ROSTER_SLIPS_URL_PLACEHOLDER;
	char url[300];
	char *out, *p, *o;
	size_t n, ulen, cnt = 0;

	if (st != NULL)
		imp_expire(st, cb_now_ms());
	for (size_t i = 0; st != NULL && i < IMP_SLOTS && slot == NULL; i++)
		if (st->i_slot[i].s_expires_ms != 0 &&
		    strcmp(st->i_slot[i].s_id, r->r_arg[0]) == 0 &&
		    strcmp(st->i_slot[i].s_admin,
		    r->r_sess.as_user.au_uid) == 0)
			slot = &st->i_slot[i];
	if (slot == NULL)
		return api_req_error(r, API_E_NOT_FOUND);
	if (!imp_host_ok(q->host))
		return api_req_error(r, API_E_BAD_REQUEST);
	n = strlen(q->host);
	if (n > 4 && strcmp(q->host + n - 4, ":443") == 0)
		n -= 4;
	ulen = (size_t)snprintf(url, sizeof(url), "https://%.*s/", (int)n,
	    q->host);
	for (p = slot->s_html; (p = strstr(p, ph)) != NULL; p += sizeof(ph) - 1)
		cnt++;
	n = slot->s_len + cnt * ulen + 1;
	if ((out = malloc(n)) == NULL)
		return api_req_error(r, API_E_BUSY);
	for (o = out, p = slot->s_html;;) {
		char *hit = strstr(p, ph);
		size_t seg = hit ? (size_t)(hit - p) : strlen(p);
		memcpy(o, p, seg);
		o += seg;
		if (hit == NULL)
			break;
		memcpy(o, url, ulen);
		o += ulen;
		p = hit + sizeof(ph) - 1;
	}
	*o = '\0';
	/* Once: the page is gone from memory after this answer. */
	imp_slot_clear(slot);
	api_req_reply(r, 200, "text/html; charset=utf-8", out,
	    (size_t)(o - out));
	cb_wipe(out, n);
	free(out);
	return 0;
}
