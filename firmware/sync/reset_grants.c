/*
 * reset_grants.c: the platform's reset grants, from the pulled batch to
 * auth (reset_grants.h).
 */
#include <stdio.h>
#include <string.h>

#include "auth/authclient.h"
#include "auth/reset_grant.h"
#include "base/cb.h"
#include "base/proc.h"
#include "sync/reset_grants.h"

int
reset_grants_init(struct reset_grants *g, const char *sock_path)
{
	memset(g, 0, sizeof(*g));
	return cb_strlcpy(g->rg_sock, sock_path, sizeof(g->rg_sock)) == 0 ?
	    CB_OK : CB_ETOOBIG;
}

int
reset_grants_on_pulled(void *arg, const char *json, size_t len)
{
	struct reset_grants *g = arg;
	struct auth_reset_grant m;
	struct auth_status_r r;
	char why[RESET_GRANT_WHY_MAX], id[AUTH_GRANT_ID_MAX];
	int rc;

	if (!reset_grant_maybe(json, len))
		return CB_OK;
	rc = reset_grant_parse(json, len, &m, why);
	if (rc == CB_OK)
		rc = reset_grant_check(&m, cb_now_ms(), why);
	if (rc == CB_ENOTFOUND)
		return CB_OK;		/* not a grant, or a deleted one */
	if (rc != CB_OK) {
		for (size_t i = 0; m.arg_id[i] != 0; i++)	/* for the log */
			if (m.arg_id[i] < 0x20 || m.arg_id[i] >= 0x7f)
				m.arg_id[i] = '?';
		log_warn("sync: refused the platform's reset grant %.63s: %s",
		    m.arg_id[0] ? m.arg_id : "(no id)", why);
		g->rg_refused++;
		cb_wipe(&m, sizeof(m));
		return CB_OK;
	}
	memcpy(id, m.arg_id, sizeof(id));	/* checked: printable */
	memset(&r, 0, sizeof(r));
	rc = authc_call_sync(g->rg_sock, AUTH_RESET_GRANT, &m, sizeof(m),
	    AUTH_STATUS_R, &r, sizeof(r));
	cb_wipe(&m, sizeof(m));
	if (rc != CB_OK) {
		log_warn("sync: cannot hand a reset grant to auth (%s): %s; "
		    "the batch is pulled again next time", g->rg_sock,
		    cb_strerror(rc));
		return rc;
	}
	if (r.as_status != CB_OK) {
		log_warn("sync: auth refused the platform's reset grant %s: "
		    "%s (auth's log says why)", id, cb_strerror(r.as_status));
		g->rg_refused++;
		return CB_OK;
	}
	g->rg_delivered++;
	log_info("sync: handed the platform's reset grant %s to auth", id);
	return CB_OK;
}
