/*
 * seed.c: the enrollment's admin_password handed to auth (AUTH_ADMIN_SEED,
 * sync/drop.h). Its own object file: web links drop.o for the checks and
 * the drop, and never talks to auth this way.
 */
#include <stdio.h>
#include <string.h>

#include "auth/authclient.h"
#include "auth/authproto.h"
#include "base/cb.h"
#include "sync/drop.h"

int
enroll_seed_admin(const char *sock, const char *password, char *msg,
    size_t msgsize)
{
	struct auth_admin_seed req;
	struct auth_status_r r;
	int rc;

	memset(&req, 0, sizeof(req));
	if (cb_strlcpy(req.aas_password, password, sizeof(req.aas_password))
	    != CB_OK) {
		snprintf(msg, msgsize, "the enrollment's admin password is "
		    "longer than %d bytes: not used", AUTH_PASSWORD_MAX - 1);
		return CB_EPWLONG;
	}
	memset(&r, 0, sizeof(r));
	rc = authc_call_sync(sock, AUTH_ADMIN_SEED, &req, sizeof(req),
	    AUTH_STATUS_R, &r, sizeof(r));
	cb_wipe(&req, sizeof(req));
	if (rc == CB_OK)
		rc = r.as_status;
	switch (rc) {
	case CB_OK:
		snprintf(msg, msgsize, "the first admin's initial password is "
		    "now the one the platform issued (still to be changed at "
		    "first login)");
		break;
	case CB_ESTATE:
		snprintf(msg, msgsize, "the first admin has already logged in "
		    "or changed the password: left as it is");
		break;
	case CB_ENOTFOUND:
		snprintf(msg, msgsize, "there is no first admin (\"admin\"): "
		    "the enrollment's admin password was not used");
		break;
	case CB_EPWSHORT: case CB_EPWUSERID: case CB_EPWCOMMON:
	case CB_EPWLONG: case CB_EPWREPEAT: case CB_EPWNAME:
	case CB_EPWSCHOOL: case CB_EINVAL:
		snprintf(msg, msgsize, "the enrollment's admin password breaks "
		    "the password rules (%s): not used", cb_strerror(rc));
		break;
	default:
		snprintf(msg, msgsize, "the enrollment's admin password could "
		    "not be set (auth: %s)", cb_strerror(rc));
		break;
	}
	return rc;
}
