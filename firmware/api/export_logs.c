/*
 * export_logs.c: the login and operation logs in the admins' export
 * (export.h; audit/export_log.h for the format, docs/audit.md for what a
 * check of them proves).
 *
 *   logs/heads.json    each log's anchor and head, as of the moment the
 *                      export reached the logs: the entries after it
 *                      (this export's own "export.complete", later
 *                      logins) are not in this export
 *   logs/ops.jsonl     the operation log, read here (web writes it)
 *   logs/login.jsonl   the login log, asked of auth (the only process
 *                      that opens it) a page at a time: the stream waits
 *                      for each answer (HTTP_STREAM_WAIT)
 *
 * A log that cannot be read whole (auth gone, an entry missing) ends the
 * export with an error: the client sees a cut download, never one that
 * looks whole without its logs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/export.h"
#include "audit/export_log.h"
#include "auth/authclient.h"
#include "base/cb.h"

static int
xl_lines(struct api_export *x, struct export_log *l,
    const struct audit_entry *e, size_t n)
{
	char line[AUDIT_LINE_MAX];
	size_t len;
	int rc = CB_OK;

	for (size_t i = 0; i < n && rc == CB_OK; i++) {
		/* Contiguous, or the chain would not check: say so here. */
		if (e[i].ae_seq != l->l_next)
			return CB_EPROTO;
		if ((len = audit_line_format(&e[i], line, sizeof(line))) == 0)
			return CB_ETOOBIG;
		rc = export_data(x, line, len);
		l->l_next++;
		l->l_written++;
	}
	return rc;
}

/* auth's answer with a page of the login log. */
static void
xl_reply(void *arg, uint32_t type, const void *reply)
{
	struct api_export *x = arg;
	const struct auth_audit_range_r *p = reply;

	x->x_waiting = 0;
	if (x->x_orphan) {
		export_free(x);		/* the client left meanwhile */
		return;
	}
	if (p == NULL || type != AUTH_AUDIT_RANGE_R)
		x->x_failed = CB_EUNAVAIL;
	else if (p->aarr_status != CB_OK)
		x->x_failed = p->aarr_status;
	else if (p->aarr_count > AUTH_AUDIT_PAGE_MAX)
		x->x_failed = CB_EPROTO;
	else {
		if (!x->x_login.l_have) {
			x->x_login.l_head = p->aarr_head;
			x->x_login.l_anchor = p->aarr_anchor;
			x->x_login.l_next = p->aarr_anchor.al_seq + 1;
			x->x_login.l_have = 1;
		}
		memcpy(x->x_page, p->aarr_entries, p->aarr_count *
		    sizeof(*x->x_page));
		x->x_page_n = p->aarr_count;
		x->x_page_i = 0;
	}
	http_stream_resume(x->x_ex);	/* may end x: not touched after */
}

/* Ask auth for the login log from l_next (through the head, once known). */
static int
xl_ask(struct api_export *x)
{
	struct auth_audit_range q;
	int rc;

	if (x->x_page == NULL && (x->x_page = calloc(AUTH_AUDIT_PAGE_MAX,
	    sizeof(*x->x_page))) == NULL)
		return CB_ENOMEM;
	memset(&q, 0, sizeof(q));
	memcpy(q.aarq_token, x->x_token, sizeof(q.aarq_token));
	q.aarq_from = x->x_login.l_have ? x->x_login.l_next : 0;
	q.aarq_through = x->x_login.l_have ? x->x_login.l_head.al_seq : 0;
	rc = authc_call(x->x_api->a_ac, AUTH_AUDIT_RANGE, &q, sizeof(q),
	    xl_reply, x);
	cb_wipe(&q, sizeof(q));
	if (rc != CB_OK)
		return rc;
	x->x_waiting = 1;
	return HTTP_STREAM_WAIT;
}

static int
xl_log_heads(char *out, size_t size, const char *name,
    const struct export_log *l)
{
	char a[128], h[128];

	if (audit_link_format(&l->l_anchor, a, sizeof(a)) == 0 ||
	    audit_link_format(&l->l_head, h, sizeof(h)) == 0)
		return -1;
	return snprintf(out, size, "\"%s\":{\"file\":\"logs/%s.jsonl\","
	    "\"anchor\":%s,\"head\":%s,\"entries\":%" PRIu64 "}", name, name,
	    a, h, l->l_head.al_seq - l->l_anchor.al_seq);
}

/* logs/heads.json: the operation log's snapshot now, the login log's
 * from auth's first answer. */
static int
xl_heads(struct api_export *x)
{
	char buf[1024];
	int n, m, rc;

	if (x->x_api->a_ops != NULL) {
		size_t none;

		if ((rc = audit_read(x->x_api->a_ops, 0, 0, NULL, 0, &none,
		    &x->x_ops.l_head, &x->x_ops.l_anchor)) != CB_OK)
			return rc;
	}			/* else: not kept (tests): an empty log */
	x->x_ops.l_next = x->x_ops.l_anchor.al_seq + 1;
	n = snprintf(buf, sizeof(buf), "{\"format\":\"classbox-log-heads\","
	    "\"version\":1,");
	m = xl_log_heads(buf + n, sizeof(buf) - (size_t)n, AUDIT_LOG_OPS,
	    &x->x_ops);
	if (m < 0 || (n += m) >= (int)sizeof(buf) - 2)
		return CB_ETOOBIG;
	buf[n++] = ',';
	m = xl_log_heads(buf + n, sizeof(buf) - (size_t)n, AUDIT_LOG_LOGIN,
	    &x->x_login);
	if (m < 0 || (n += m) >= (int)sizeof(buf) - 3)
		return CB_ETOOBIG;
	memcpy(buf + n, "}\n", 3);
	if ((rc = export_begin(x, AUDIT_HEADS_FILE)) != CB_OK ||
	    (rc = export_str(x, buf)) != CB_OK || (rc = export_end(x)) != CB_OK)
		return rc;
	x->x_phase = XP_LOGS_OPS;
	return export_begin(x, "logs/" AUDIT_LOG_OPS ".jsonl");
}

/* EXPORT_LOG_BATCH entries of the operation log. */
static int
xl_ops(struct api_export *x)
{
	struct export_log *l = &x->x_ops;
	struct audit_entry *e;
	size_t n = 0;
	int rc;

	if (x->x_api->a_ops == NULL || l->l_next > l->l_head.al_seq) {
		x->x_phase = XP_LOGS_LOGIN_BEGIN;
		return export_end(x);
	}
	if ((e = malloc(EXPORT_LOG_BATCH * sizeof(*e))) == NULL)
		return CB_ENOMEM;
	rc = audit_read(x->x_api->a_ops, l->l_next, l->l_head.al_seq, e,
	    EXPORT_LOG_BATCH, &n, NULL, NULL);
	if (rc == CB_OK && n == 0)
		rc = CB_ENOTFOUND;	/* purged under us: not a whole log */
	if (rc == CB_OK)
		rc = xl_lines(x, l, e, n);
	free(e);
	return rc;
}

/* The login log: the page in hand, then the next one from auth. */
static int
xl_login(struct api_export *x)
{
	struct export_log *l = &x->x_login;
	int rc;

	if (x->x_page_i < x->x_page_n) {
		rc = xl_lines(x, l, x->x_page + x->x_page_i,
		    x->x_page_n - x->x_page_i);
		x->x_page_i = x->x_page_n;
		return rc;
	}
	if (l->l_next <= l->l_head.al_seq)
		return xl_ask(x);
	x->x_phase = XP_MANIFEST;
	return export_end(x);
}

int
export_logs_step(struct api_export *x)
{
	if (x->x_failed != CB_OK) {
		log_err("export %" PRIu64 ": the login log cannot be read from "
		    "auth: %s", x->x_id, cb_strerror(x->x_failed));
		return x->x_failed;
	}
	switch (x->x_phase) {
	case XP_LOGS_BEGIN:
		x->x_phase = XP_LOGS_HEADS;
		return xl_ask(x);	/* the login log's head first */
	case XP_LOGS_HEADS:	return xl_heads(x);
	case XP_LOGS_OPS:	return xl_ops(x);
	case XP_LOGS_LOGIN_BEGIN:
		x->x_phase = XP_LOGS_LOGIN;
		return export_begin(x, "logs/" AUDIT_LOG_LOGIN ".jsonl");
	case XP_LOGS_LOGIN:	return xl_login(x);
	default:		return CB_ESTATE;
	}
}
