/*
 * notices.c: maintenance windows and incident banners (issue 5, item 8).
 *
 * A notice is a store document {"_id":"notice:<hex>","type":"notice",
 * "kind":"maintenance"|"incident","source":"local"|"platform",
 * "severity":"info"|"warning"|"critical","message_ja","message_en",
 * "starts_ms","ends_ms" (0: an incident open until deleted),"until",
 * "created_ms"}. "until" is the school-local date of the end (or
 * NOTICE_OPEN_UNTIL) and feeds the by-date index, so a request reads only
 * the notices that have not ended yet. Platform notices arrive by
 * replication with the same shape and source "platform"; admins may
 * delete only local ones. The texts are public: they appear on /status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

#include "api/api_impl.h"
#include "api/status.h"
#include "base/cb.h"
#include "core/records.h"
#include "store/index.h"
#include "store/store.h"

#define NOTICE_DAY_MS	(24LL * 3600 * 1000)

static const char *
n_str(yyjson_val *o, const char *k)
{
	yyjson_val *v = yyjson_obj_get(o, k);

	return yyjson_is_str(v) ? yyjson_get_str(v) : "";
}

static int64_t
n_int(yyjson_val *o, const char *k)
{
	yyjson_val *v = yyjson_obj_get(o, k);

	return yyjson_is_int(v) ? yyjson_get_sint(v) : -1;
}

/* 0 not shown, 1 current, 2 upcoming. */
static int
notice_when(yyjson_val *o, int64_t now)
{
	const char *kind = n_str(o, "kind");
	int64_t s = n_int(o, "starts_ms"), e = n_int(o, "ends_ms");

	if (s < 0 || e < 0 || (e != 0 && e <= now))
		return 0;
	if (s <= now)
		return 1;
	if (strcmp(kind, "maintenance") == 0 &&
	    s - now <= NOTICE_AHEAD_DAYS * NOTICE_DAY_MS)
		return 2;
	return 0;
}

static yyjson_mut_val *
notice_out(yyjson_mut_doc *doc, yyjson_val *o, int with_id)
{
	static const char *const strs[] = { "kind", "source", "severity",
	    "message_ja", "message_en" };
	yyjson_mut_val *v = yyjson_mut_obj(doc);
	int ok = v != NULL;

	if (ok && with_id)
		ok = yyjson_mut_obj_add_strcpy(doc, v, "_id", n_str(o, "_id"));
	for (size_t i = 0; ok && i < CB_ARRAY_LEN(strs); i++)
		ok = yyjson_mut_obj_add_strcpy(doc, v, strs[i],
		    n_str(o, strs[i]));
	ok = ok && yyjson_mut_obj_add_int(doc, v, "starts_ms",
	    n_int(o, "starts_ms")) && yyjson_mut_obj_add_int(doc, v,
	    "ends_ms", n_int(o, "ends_ms"));
	return ok ? v : NULL;
}

int
notices_collect(struct api *a, int64_t now_ms, yyjson_mut_doc *doc,
    yyjson_mut_val *cur, yyjson_mut_val *ahead, int with_ids)
{
	struct index_hit *hits;
	char today[11], next[INDEX_CURSOR_MAX] = "";
	size_t n = 0;
	int rc;

	if (a->a_store == NULL || a->a_terminated)
		return CB_OK;		/* no store: nothing announced */
	if ((hits = calloc(NOTICE_SCAN_MAX, sizeof(*hits))) == NULL)
		return CB_ENOMEM;
	rec_local_date(now_ms, today);
	struct index_query q = { INDEX_BY_DATE, today, NOTICE_OPEN_UNTIL,
	    "notice:", NULL, NOTICE_SCAN_MAX };
	rc = store_index_scan(a->a_store, &q, hits, &n, next);
	for (size_t i = 0; rc == CB_OK && i < n; i++) {
		struct store_doc sd;
		yyjson_doc *d;
		yyjson_mut_val *v;
		int w;

		if (store_get(a->a_store, hits[i].ih_id, NULL, 0, &sd) != CB_OK)
			continue;
		d = yyjson_read(sd.sd_json, sd.sd_len, 0);
		store_doc_free(&sd);
		if (d == NULL)
			continue;
		if ((w = notice_when(yyjson_doc_get_root(d), now_ms)) != 0) {
			v = notice_out(doc, yyjson_doc_get_root(d), with_ids);
			if (v == NULL || !yyjson_mut_arr_append(w == 1 ? cur :
			    ahead, v))
				rc = CB_ENOMEM;
		}
		yyjson_doc_free(d);
	}
	free(hits);
	return rc;
}

/* GET /api/v1/notices: any logged-in user; admins see the ids. */
int
api_sysnotices_list(struct api_req *r)
{
	yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *root = doc ? yyjson_mut_obj(doc) : NULL;
	yyjson_mut_val *cur = doc ? yyjson_mut_arr(doc) : NULL;
	yyjson_mut_val *ahead = doc ? yyjson_mut_arr(doc) : NULL;
	int admin = (r->r_sess.as_user.au_flags & USER_F_ADMIN) != 0;

	if (root == NULL || cur == NULL || ahead == NULL ||
	    notices_collect(r->r_api, cb_now_ms(), doc, cur, ahead, admin) !=
	    CB_OK || !yyjson_mut_obj_add_val(doc, root, "current", cur) ||
	    !yyjson_mut_obj_add_val(doc, root, "upcoming", ahead)) {
		yyjson_mut_doc_free(doc);
		return api_req_error(r, API_E_BUSY);
	}
	yyjson_mut_doc_set_root(doc, root);
	return api_req_json(r, 200, doc);
}

static int
field_err(struct api_req *r, enum api_field_why why, const char *field)
{
	struct api_err err;

	(void)api_err_set(&err, API_E_INVALID_FIELD, why, field,
	    strlen(field));
	return api_req_error_full(r, &err);
}

static int
msg_ok(yyjson_val *v)
{
	return v == NULL || (yyjson_is_str(v) &&
	    yyjson_get_len(v) <= NOTICE_MESSAGE_MAX);
}

/*
 * POST /api/v1/notices (admins): {"kind":"maintenance","starts_ms",
 * "ends_ms","message_ja","message_en"} or {"kind":"incident","severity",
 * "message_ja","message_en","ends_ms"?}. At least one message.
 */
int
api_sysnotices_create(struct api_req *r)
{
	static const char *const allowed[] = { "kind", "severity",
	    "message_ja", "message_en", "starts_ms", "ends_ms" };
	const struct http_req *q = http_request(r->r_ex);
	struct store_put_result res;
	yyjson_doc *d;
	yyjson_val *root, *k, *v, *mja, *men, *sv;
	yyjson_mut_doc *m;
	yyjson_mut_val *o;
	size_t i, max;
	int64_t now = cb_now_ms(), s, e;
	const char *kind, *sev;
	char id[32], until[11], *json;
	uint8_t rnd[8];
	int maint, rc, ok;

	if ((d = yyjson_read(q->body, q->body_len, 0)) == NULL ||
	    !yyjson_is_obj(root = yyjson_doc_get_root(d))) {
		yyjson_doc_free(d);
		return api_req_error(r, API_E_INVALID_JSON);
	}
	yyjson_obj_foreach(root, i, max, k, v) {
		size_t j;

		for (j = 0; j < CB_ARRAY_LEN(allowed); j++)
			if (strcmp(yyjson_get_str(k), allowed[j]) == 0)
				break;
		if (j == CB_ARRAY_LEN(allowed)) {
			rc = field_err(r, API_FIELD_UNKNOWN, yyjson_get_str(k));
			yyjson_doc_free(d);
			return rc;
		}
	}
	kind = n_str(root, "kind");
	maint = strcmp(kind, "maintenance") == 0;
	mja = yyjson_obj_get(root, "message_ja");
	men = yyjson_obj_get(root, "message_en");
	sv = yyjson_obj_get(root, "severity");
	sev = sv ? n_str(root, "severity") : maint ? "info" : "warning";
	s = yyjson_obj_get(root, "starts_ms") ? n_int(root, "starts_ms") : now;
	e = yyjson_obj_get(root, "ends_ms") ? n_int(root, "ends_ms") : 0;
	rc = -1;
	if (!maint && strcmp(kind, "incident") != 0)
		rc = field_err(r, API_FIELD_VALUE, "kind");
	else if (!msg_ok(mja))
		rc = field_err(r, API_FIELD_LENGTH, "message_ja");
	else if (!msg_ok(men))
		rc = field_err(r, API_FIELD_LENGTH, "message_en");
	else if ((mja == NULL || yyjson_get_len(mja) == 0) &&
	    (men == NULL || yyjson_get_len(men) == 0))
		rc = field_err(r, API_FIELD_MISSING, "message_ja");
	else if (strcmp(sev, "info") != 0 && strcmp(sev, "warning") != 0 &&
	    strcmp(sev, "critical") != 0)
		rc = field_err(r, API_FIELD_VALUE, "severity");
	else if (s <= 0 || (maint && yyjson_obj_get(root, "starts_ms") ==
	    NULL))
		rc = field_err(r, maint ? API_FIELD_MISSING : API_FIELD_VALUE,
		    "starts_ms");
	else if (e < 0 || (maint && e == 0) || (e != 0 && (e <= s ||
	    e <= now)))
		rc = field_err(r, maint && e == 0 ? API_FIELD_MISSING :
		    API_FIELD_VALUE, "ends_ms");
	if (rc != -1) {
		yyjson_doc_free(d);
		return rc;
	}
	if (cb_random(rnd, sizeof(rnd)) != CB_OK) {
		yyjson_doc_free(d);
		return api_req_error(r, API_E_INTERNAL);
	}
	snprintf(id, sizeof(id), "notice:%02x%02x%02x%02x%02x%02x%02x%02x",
	    rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	if (e != 0)
		rec_local_date(e, until);
	else
		snprintf(until, sizeof(until), "%s", NOTICE_OPEN_UNTIL);
	m = yyjson_mut_doc_new(NULL);
	o = m ? yyjson_mut_obj(m) : NULL;
	ok = o != NULL && yyjson_mut_obj_add_strcpy(m, o, "_id", id) &&
	    yyjson_mut_obj_add_str(m, o, "type", "notice") &&
	    yyjson_mut_obj_add_str(m, o, "kind", maint ? "maintenance" :
	    "incident") &&
	    yyjson_mut_obj_add_str(m, o, "source", "local") &&
	    yyjson_mut_obj_add_strcpy(m, o, "severity", sev) &&
	    yyjson_mut_obj_add_strcpy(m, o, "message_ja",
	    mja ? yyjson_get_str(mja) : "") &&
	    yyjson_mut_obj_add_strcpy(m, o, "message_en",
	    men ? yyjson_get_str(men) : "") &&
	    yyjson_mut_obj_add_int(m, o, "starts_ms", s) &&
	    yyjson_mut_obj_add_int(m, o, "ends_ms", e) &&
	    yyjson_mut_obj_add_strcpy(m, o, "until", until) &&
	    yyjson_mut_obj_add_int(m, o, "created_ms", now);
	yyjson_doc_free(d);
	if (!ok) {
		yyjson_mut_doc_free(m);
		return api_req_error(r, API_E_BUSY);
	}
	yyjson_mut_doc_set_root(m, o);
	if ((json = yyjson_mut_write(m, 0, &i)) == NULL) {
		yyjson_mut_doc_free(m);
		return api_req_error(r, API_E_BUSY);
	}
	rc = r->r_api->a_store == NULL ? CB_EIO :
	    store_put(r->r_api->a_store, json, i, 1, &res);
	free(json);
	if (rc != CB_OK) {
		yyjson_mut_doc_free(m);
		return api_req_error(r, rc == CB_EFULL ? API_E_STORAGE_FULL :
		    API_E_STORE);
	}
	log_info("%s raised %s %s", r->r_sess.as_user.au_uid,
	    maint ? "maintenance" : "incident", id);
	return api_req_json(r, 201, m);
}

/* DELETE /api/v1/notices/{id} (admins; local notices only). */
int
api_sysnotices_delete(struct api_req *r)
{
	const char *id = r->r_arg[0];
	struct store_put_result res;
	struct store_doc sd;
	yyjson_doc *d;
	char json[API_ARG_MAX + 128];
	int local, rc;

	if (strncmp(id, "notice:", 7) != 0 || r->r_api->a_store == NULL ||
	    store_get(r->r_api->a_store, id, NULL, 0, &sd) != CB_OK)
		return api_req_error(r, API_E_NOT_FOUND);
	d = yyjson_read(sd.sd_json, sd.sd_len, 0);
	local = d != NULL && strcmp(n_str(yyjson_doc_get_root(d), "source"),
	    "local") == 0;
	yyjson_doc_free(d);
	if (!local) {
		store_doc_free(&sd);
		return api_req_error(r, API_E_FORBIDDEN);
	}
	snprintf(json, sizeof(json), "{\"_id\":\"%s\",\"_rev\":\"%s\","
	    "\"_deleted\":true}", id, sd.sd_rev);
	store_doc_free(&sd);
	if ((rc = store_put(r->r_api->a_store, json, strlen(json), 1, &res)) !=
	    CB_OK)
		return api_req_error(r, rc == CB_EEXIST ? API_E_CONFLICT :
		    API_E_STORE);
	log_info("%s removed %s", r->r_sess.as_user.au_uid, id);
	return api_req_reply(r, 204, NULL, NULL, 0);
}
