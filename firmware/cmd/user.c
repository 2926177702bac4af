/*
 * user.c: `classbox user`, account management from the console. Talks to
 * the auth process over its socket with an all-zero token, which auth
 * accepts only from root or its own uid (SO_PEERCRED). Initial passwords
 * come back once and are printed on stdout, nowhere else.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api/api.h"
#include "auth/account.h"
#include "auth/authclient.h"
#include "auth/authproto.h"
#include "auth/user_names.h"
#include "cmd/cmd.h"
#include "base/cb.h"
#include "base/proc.h"
#include "store/store.h"

#define USER_ARGS_MAX	32

static int
user_usage(void)
{
	fprintf(stderr,
	    "usage: classbox user [--sock PATH] COMMAND\n"
	    "  list\n"
	    "  show UID\n"
	    "  add UID --role admin|teacher|student|parent --name NAME "
	    "[--child UID]...\n"
	    "  suspend|reactivate|delete|graduate|transfer UID\n"
	    "  grant-admin|revoke-admin UID\n"
	    "  reset-password UID\n"
	    "  terminate --yes   the school's contract ended: log it, destroy "
	    "the\n      login log's key and wipe every account (web's part: "
	    "docs/operations.md)\n"
	    "  bootstrap --dir AUTH_DIR [--uid N]   first start of a box: "
	    "create\n"
	    "      the first admin and print its initial password (exit 3 "
	    "if\n      accounts exist already)\n");
	return 2;
}

static const char *
user_hint(int rc)
{
	switch (rc) {
	case CB_EUNAVAIL: return "is the auth process running? check --sock";
	case CB_ESESSION:
	case CB_EPERM: return "run this as root or as the auth user";
	case CB_EEXIST: return "user ids are never reused, even after "
	    "deletion: choose another";
	case CB_EINVAL: return "ids are 3-63 of a-z 0-9 . _ -; names one "
	    "line of UTF-8; only teachers can be granted admin";
	case CB_ENOTFOUND: return "check the id (children must be existing "
	    "students)";
	case CB_ELASTADMIN: return "grant admin to another account first";
	case CB_ESTATE: return "see `classbox user show UID` for its state";
	case CB_EBUSY: return "auth is busy: try again in a moment";
	default: return "see the auth process's log";
	}
}

static int
user_fail(const char *what, const char *uid, int rc)
{
	fprintf(stderr, "classbox user: %s%s%s: %s (%s)\n", what,
	    uid ? " " : "", uid ? uid : "", cb_strerror(rc), user_hint(rc));
	return 1;
}

/* A role or state for the console: "-" for none, "?" for an unknown. */
static const char *
role_word(uint32_t role)
{
	const char *n = user_role_name(role);

	return role == ROLE_NONE ? "-" : n != NULL ? n : "?";
}

static const char *
state_word(uint32_t state)
{
	const char *n = user_state_name(state);

	return state == 0 ? "-" : n != NULL ? n : "?";
}

static void
user_print(const struct auth_user *u)
{
	printf("%-20s %-8s %-11s %-6s %s\n", u->au_uid,
	    role_word(u->au_role), state_word(u->au_state),
	    (u->au_flags & USER_F_ADMIN) ? ((u->au_flags & USER_F_MUST_CHANGE)
	    ? "A,pw" : "A") : ((u->au_flags & USER_F_MUST_CHANGE) ? "pw" : "-"),
	    u->au_name);
}

static int
user_list(const char *sock)
{
	struct auth_user_list req;
	struct auth_user_list_r *r;
	int rc = 0;

	if ((r = malloc(sizeof(*r))) == NULL)
		return user_fail("list", NULL, CB_ENOMEM);
	memset(&req, 0, sizeof(req));
	req.aul_limit = AUTH_LIST_MAX;
	for (int page = 0; page < 100000 && rc == 0; page++) {
		rc = authc_call_sync(sock, AUTH_USER_LIST, &req, sizeof(req),
		    AUTH_USER_LIST_R, r, sizeof(*r));
		if (rc == 0)
			rc = r->aulr_status;
		if (rc == 0 && page == 0)
			printf("%-20s %-8s %-11s %-6s %s\n", "UID", "ROLE",
			    "STATE", "FLAGS", "NAME");
		for (uint32_t i = 0; rc == 0 && i < r->aulr_count; i++)
			user_print(&r->aulr_users[i]);
		if (rc != 0 || !r->aulr_more || r->aulr_count == 0)
			break;
		cb_strlcpy(req.aul_after, r->aulr_users[r->aulr_count - 1].au_uid,
		    sizeof(req.aul_after));
	}
	free(r);
	return rc == 0 ? 0 : user_fail("list", NULL, rc);
}

static int
user_show(const char *sock, const char *uid)
{
	struct auth_user_ref req;
	struct auth_user_r r;
	int rc;

	memset(&req, 0, sizeof(req));
	if (cb_strlcpy(req.aur_uid, uid, sizeof(req.aur_uid)) != 0)
		return user_fail("show", uid, CB_EINVAL);
	rc = authc_call_sync(sock, AUTH_USER_GET, &req, sizeof(req),
	    AUTH_USER_R, &r, sizeof(r));
	if (rc == 0)
		rc = r.aur_status;
	if (rc != 0)
		return user_fail("show", uid, rc);
	printf("uid:        %s\nname:       %s\nrole:       %s\nstate:      %s\n"
	    "admin:      %s\nmust change password: %s\n", r.aur_user.au_uid,
	    r.aur_user.au_name, role_word(r.aur_user.au_role),
	    state_word(r.aur_user.au_state),
	    (r.aur_user.au_flags & USER_F_ADMIN) ? "yes" : "no",
	    (r.aur_user.au_flags & USER_F_MUST_CHANGE) ? "yes" : "no");
	for (uint32_t i = 0; i < r.aur_user.au_nlinks && i < AUTH_LINKS_MAX;
	    i++)
		printf("child:      %s\n", r.aur_user.au_links[i]);
	printf("created:    %lld ms\nlast login: %lld ms\n",
	    (long long)r.aur_user.au_created_ms,
	    (long long)r.aur_user.au_last_login_ms);
	return 0;
}

/*
 * The roster record follows the account (docs/api.md), as web writes it
 * after an admin's change: without it a student made here could not be
 * put in a class, and one suspended here would stay active to the
 * classroom API. The box's data directory is the one whose auth listens
 * on sock (DATA/run/auth.sock). Written as the store's owner (web), so
 * that no file of it ever becomes root's; a store web has not made yet
 * is left alone (its first admin action writes the record).
 */
static void
user_roster(const char *sock, const struct auth_user *u)
{
	static const char tail[] = "/" CB_AUTH_SOCK;
	char data[PATH_MAX], mdb[PATH_MAX];
	size_t n = strlen(sock), t = sizeof(tail) - 1;
	struct store *s = NULL;
	struct stat st;
	int rc = CB_ENOTFOUND;

	if (n <= t || n - t >= sizeof(data) ||
	    strcmp(sock + n - t, tail) != 0) {
		fprintf(stderr, "classbox user: %s is not DATA/%s: the roster "
		    "record of %s is left to web\n", sock, CB_AUTH_SOCK,
		    u->au_uid);
		return;
	}
	memcpy(data, sock, n - t);
	data[n - t] = 0;
	if (snprintf(mdb, sizeof(mdb), "%s/%s/data.mdb", data,
	    CB_STORE_SUBDIR) >= (int)sizeof(mdb) || stat(mdb, &st) != 0) {
		printf("roster record of %s: written by web at the first "
		    "admin action (no classroom store yet)\n", u->au_uid);
		return;
	}
	pid_t pid = fork();
	if (pid == -1)
		rc = CB_EIO;
	else if (pid == 0) {
		/* The child takes the store owner's uid; the parent stays. */
		if (geteuid() == 0 && st.st_uid != 0 &&
		    cb_drop_privileges(st.st_uid, st.st_gid) != CB_OK)
			_exit(CB_EPERM);
		if ((rc = cmd_store_open(data, &s)) == CB_OK) {
			rc = api_roster_put(s, u);
			store_close(s);
		}
		_exit(rc < 0 ? -rc : rc);
	} else {
		int status;
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
		rc = WIFEXITED(status) ? -WEXITSTATUS(status) : CB_EIO;
	}
	if (rc == CB_OK)
		printf("roster record of %s written\n", u->au_uid);
	else
		fprintf(stderr, "classbox user: the roster record of %s was "
		    "not written (%s); the next admin action on it writes "
		    "it\n", u->au_uid, cb_strerror(rc));
}

/* Print the outcome of a create or set: the user and a new password;
 * the roster record follows (not for a new password alone). */
static int
user_pw_result(const char *sock, const char *what, const char *uid, int rc,
    struct auth_user_pw_r *r, int roster)
{
	if (rc == 0)
		rc = r->aupr_status;
	if (rc != 0)
		return user_fail(what, uid, rc);
	user_print(&r->aupr_user);
	if (roster)
		user_roster(sock, &r->aupr_user);
	if (r->aupr_initial_password[0] != '\0')
		printf("initial password for %s: %s\n", r->aupr_user.au_uid,
		    r->aupr_initial_password);
	cb_wipe(r, sizeof(*r));
	return 0;
}

static int
user_role(const char *s, uint32_t *role)
{
	*role = user_role_from_name(s);
	return *role != ROLE_NONE ? 0 : CB_EINVAL;
}

static int
user_add(const char *sock, int argc, char **argv)
{
	struct auth_user_create req;
	struct auth_user_pw_r r;
	struct auth_user *u = &req.auc_user;

	memset(&req, 0, sizeof(req));
	if (argc < 1 || cb_strlcpy(u->au_uid, argv[0], AUTH_UID_MAX) != 0)
		return user_usage();
	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			return user_usage();
		if (strcmp(argv[i], "--role") == 0) {
			if (user_role(argv[i + 1], &u->au_role) != 0)
				return user_fail("add: unknown role", argv[i + 1],
				    CB_EINVAL);
		} else if (strcmp(argv[i], "--name") == 0) {
			if (cb_strlcpy(u->au_name, argv[i + 1], AUTH_NAME_MAX))
				return user_fail("add: name too long", NULL,
				    CB_ETOOBIG);
		} else if (strcmp(argv[i], "--child") == 0 &&
		    u->au_nlinks < AUTH_LINKS_MAX) {
			if (cb_strlcpy(u->au_links[u->au_nlinks++], argv[i + 1],
			    AUTH_UID_MAX) != 0)
				return user_fail("add: child", argv[i + 1],
				    CB_EINVAL);
		} else {
			return user_usage();
		}
	}
	if (u->au_role == ROLE_NONE || u->au_name[0] == '\0')
		return user_usage();
	return user_pw_result(sock, "add", u->au_uid, authc_call_sync(sock,
	    AUTH_USER_CREATE, &req, sizeof(req), AUTH_USER_PW_R, &r,
	    sizeof(r)), &r, 1);
}

static int
user_set(const char *sock, const char *cmd, uint32_t op, const char *uid)
{
	struct auth_user_set req;
	struct auth_user_pw_r r;

	memset(&req, 0, sizeof(req));
	if (cb_strlcpy(req.aus_uid, uid, sizeof(req.aus_uid)) != 0)
		return user_fail(cmd, uid, CB_EINVAL);
	req.aus_op = op;
	return user_pw_result(sock, cmd, uid, authc_call_sync(sock,
	    AUTH_USER_SET, &req, sizeof(req), AUTH_USER_PW_R, &r, sizeof(r)),
	    &r, op != USER_OP_RESET_PASSWORD);
}

/*
 * First start of a box without an enrollment file: creates "admin" with a
 * fresh initial password, printed once on stdout for the technician (the
 * image's rcS shows it on the console). Runs as the auth user so that the
 * environment's files are auth's from the start. Opens the environment
 * directly: auth is not running yet.
 */
static int
user_bootstrap(int argc, char **argv)
{
	const char *dir = NULL;
	uid_t uid = (uid_t)-1;
	char pw[AUTH_INITIAL_PW_MAX];
	int rc;

	for (int i = 0; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--dir") == 0)
			dir = argv[i + 1];
		else if (strcmp(argv[i], "--uid") == 0)
			uid = (uid_t)strtoul(argv[i + 1], NULL, 10);
		else
			return user_usage();
	}
	if (dir == NULL || argc % 2 != 0)
		return user_usage();
	if (cb_drop_privileges(uid, (gid_t)uid) != CB_OK)
		return 1;
	rc = account_bootstrap_admin(dir, pw, sizeof(pw));
	if (rc == CB_EEXIST)
		return 3;
	if (rc != CB_OK) {
		fprintf(stderr, "classbox user bootstrap: cannot create the "
		    "first admin in %s: %s\n", dir, cb_strerror(rc));
		return 1;
	}
	printf("%s\n", pw);
	cb_wipe(pw, sizeof(pw));
	return 0;
}

/* The technician's path to auth's part of a termination (normally asked by
 * web for the admin: POST /api/v1/school/terminate). */
static int
user_terminate(const char *sock)
{
	struct auth_token req;
	struct auth_status_r r;
	int rc;

	memset(&req, 0, sizeof(req));		/* the console */
	rc = authc_call_sync(sock, AUTH_TERMINATE, &req, sizeof(req),
	    AUTH_STATUS_R, &r, sizeof(r));
	if (rc == 0)
		rc = r.as_status;
	if (rc == CB_ESTATE) {
		printf("the accounts were already erased (terminated)\n");
		return 0;
	}
	if (rc != 0)
		return user_fail("terminate", NULL, rc);
	printf("accounts wiped, login log key destroyed\n");
	return 0;
}

int
cmd_user(int argc, char **argv)
{
	const char *sock = CB_DEFAULT_DATA "/" CB_AUTH_SOCK;
	uint32_t op;
	int i = 1;

	cb_log_init("user");
	if (argc > USER_ARGS_MAX)
		return user_usage();
	if (i + 1 < argc && strcmp(argv[i], "--sock") == 0) {
		sock = argv[i + 1];
		i += 2;
	}
	if (i >= argc)
		return user_usage();
	if (strcmp(argv[i], "bootstrap") == 0)
		return user_bootstrap(argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "list") == 0 && i + 1 == argc)
		return user_list(sock);
	if (strcmp(argv[i], "show") == 0 && i + 2 == argc)
		return user_show(sock, argv[i + 1]);
	if (strcmp(argv[i], "add") == 0)
		return user_add(sock, argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "terminate") == 0 && i + 2 == argc &&
	    strcmp(argv[i + 1], "--yes") == 0)
		return user_terminate(sock);
	if ((op = user_op_from_word(argv[i], 0)) != 0 && i + 2 == argc)
		return user_set(sock, argv[i], op, argv[i + 1]);
	return user_usage();
}
