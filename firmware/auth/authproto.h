/*
 * authproto.h: the messages between the auth process and its clients (the
 * web process, and the `classbox user` console tool) over a unix stream
 * socket. Modelled on OpenBSD imsg: a fixed header, then a payload whose
 * length is fixed by the type. A message of the wrong length, an unknown
 * type or a string field without its NUL is a protocol violation: the
 * receiver logs it and drops the connection (auth) or exits (web).
 *
 * No password hash ever crosses this socket. Passwords cross it once, in
 * AUTH_LOGIN and AUTH_PASSWD, and are wiped after use on both sides.
 */
#ifndef AUTHPROTO_H
#define AUTHPROTO_H

#include <stdint.h>

#include "audit/audit.h"

#define AUTH_UID_MAX		64	/* login id: [a-z0-9._-]{3,63} */
#define AUTH_NAME_MAX		128	/* display name, UTF-8 bytes incl. NUL */
/* Passwords: 8 to 64 characters (code points; NIST SP 800-63B), which is
 * up to 256 bytes of UTF-8. auth/password.h has the rest of the rules. */
#define AUTH_PASSWORD_MIN	8	/* characters (code points) */
#define AUTH_PASSWORD_MAX_CHARS	64	/* characters (code points) */
#define AUTH_PASSWORD_MAX	(4 * AUTH_PASSWORD_MAX_CHARS + 1) /* bytes
					 * incl. NUL */
#define AUTH_SCHOOL_MAX		208	/* the school's name: REC_TITLE_MAX
					 * bytes and its NUL */
#define AUTH_ADDR_MAX		64
#define AUTH_UA_MAX		256
#define AUTH_TOKEN_LEN		32	/* session token: 256 random bits */
#define AUTH_CSRF_LEN		32
#define AUTH_LINKS_MAX		8	/* children linked to one parent */
#define AUTH_LIST_MAX		32	/* users per AUTH_USER_LIST_R */
#define AUTH_INITIAL_PW_MAX	32	/* generated initial passwords */
#define AUTH_MSG_MAX		(64 * 1024)

/* Session lifetimes, enforced by auth and by web's cache alike. */
#define AUTH_SESSION_IDLE_MS	(30LL * 60 * 1000)
#define AUTH_SESSION_ABS_MS	(12LL * 60 * 60 * 1000)
#define AUTH_TOUCH_INTERVAL_MS	(60LL * 1000)	/* web reports activity */

enum auth_msg_type {
	AUTH_STATUS_R = 1,	/* generic reply: struct auth_status_r */
	AUTH_LOGIN,		/* struct auth_login -> AUTH_LOGIN_R */
	AUTH_LOGIN_R,
	AUTH_SESSION,		/* struct auth_token -> AUTH_SESSION_R */
	AUTH_SESSION_R,
	AUTH_LOGOUT,		/* struct auth_token -> AUTH_STATUS_R */
	AUTH_TOUCH,		/* struct auth_token, no reply */
	AUTH_PASSWD,		/* struct auth_passwd -> AUTH_STATUS_R */
	AUTH_USER_CREATE,	/* struct auth_user_create -> AUTH_USER_PW_R */
	AUTH_USER_PW_R,
	AUTH_USER_LIST,		/* struct auth_user_list -> AUTH_USER_LIST_R */
	AUTH_USER_LIST_R,
	AUTH_USER_GET,		/* struct auth_user_ref -> AUTH_USER_R */
	AUTH_USER_R,
	AUTH_USER_SET,		/* struct auth_user_set -> AUTH_USER_PW_R */
	AUTH_REVOKE,		/* pushed by auth: struct auth_revoke */
	AUTH_AUDIT_QUERY,	/* struct auth_audit_query -> AUTH_AUDIT_R */
	AUTH_AUDIT_R,
	AUTH_RESET_ISSUE,	/* struct auth_reset_issue -> AUTH_RESET_ISSUE_R */
	AUTH_RESET_ISSUE_R,
	AUTH_RESET_USE,		/* struct auth_reset_use -> AUTH_STATUS_R */
	AUTH_TERMINATE,		/* struct auth_token -> AUTH_STATUS_R */
	AUTH_RESET_ASK,		/* struct auth_reset_ask -> AUTH_STATUS_R */
	AUTH_RESET_GRANT,	/* struct auth_reset_grant -> AUTH_STATUS_R;
				 * from the sync process only */
	AUTH_AUDIT_PENDING,	/* struct auth_token -> AUTH_AUDIT_PENDING_R */
	AUTH_AUDIT_PENDING_R,
	AUTH_ADMIN_SEED,	/* struct auth_admin_seed -> AUTH_STATUS_R */
	AUTH_AUDIT_RANGE,	/* struct auth_audit_range -> AUTH_AUDIT_RANGE_R */
	AUTH_AUDIT_RANGE_R,
	AUTH_MSG_TYPE_MAX
};

struct auth_hdr {
	uint32_t ah_type;	/* enum auth_msg_type */
	uint32_t ah_len;	/* payload bytes after the header */
	uint32_t ah_id;		/* request id, echoed in the reply; 0 = push */
	uint32_t ah_pad;
};

enum auth_role {
	ROLE_NONE = 0, ROLE_ADMIN, ROLE_TEACHER, ROLE_STUDENT, ROLE_PARENT,
};

enum auth_user_state {
	USER_ACTIVE = 1,
	USER_SUSPENDED,		/* no login; data kept; reversible */
	USER_GRADUATED,		/* student/parent: no read or write */
	USER_TRANSFERRED,	/* as graduated */
	USER_DELETED,		/* irreversible; the id is never reused */
};

#define USER_F_ADMIN		0x1	/* may manage the school (role admin,
					 * or a teacher granted admin) */
#define USER_F_MUST_CHANGE	0x2	/* initial password not yet changed */

/* The public view of an account. Never carries a hash. */
struct auth_user {
	char au_uid[AUTH_UID_MAX];
	char au_name[AUTH_NAME_MAX];
	uint32_t au_role;		/* enum auth_role */
	uint32_t au_flags;		/* USER_F_* */
	uint32_t au_state;		/* enum auth_user_state */
	uint32_t au_nlinks;		/* parents: linked students */
	char au_links[AUTH_LINKS_MAX][AUTH_UID_MAX];
	int64_t au_created_ms;
	int64_t au_last_login_ms;	/* 0 = never */
};

/*
 * Requests that act for a person carry their session token. A request
 * from the console (peer uid 0, checked with SO_PEERCRED, and never the web
 * process's uid) with an all-zero token acts as the technician, with the
 * rights of an admin.
 */
struct auth_token {
	uint8_t at_token[AUTH_TOKEN_LEN];
};

struct auth_login {
	char al_uid[AUTH_UID_MAX];
	char al_password[AUTH_PASSWORD_MAX];
	char al_addr[AUTH_ADDR_MAX];	/* client address, for throttling */
	char al_ua[AUTH_UA_MAX];	/* user agent, for the login log */
};

struct auth_status_r {
	int32_t as_status;		/* 0 or CB_E* */
	uint32_t as_retry_after_s;	/* CB_ETHROTTLED: wait this long */
};

struct auth_login_r {
	int32_t alr_status;		/* 0, CB_EAUTH, CB_ETHROTTLED, ... */
	uint32_t alr_retry_after_s;
	uint8_t alr_token[AUTH_TOKEN_LEN];
	uint8_t alr_csrf[AUTH_CSRF_LEN];
	struct auth_user alr_user;
};

struct auth_session_r {
	int32_t asr_status;		/* 0 or CB_ESESSION */
	uint32_t asr_pad;
	uint8_t asr_csrf[AUTH_CSRF_LEN];
	int64_t asr_created_ms;
	int64_t asr_last_seen_ms;
	struct auth_user asr_user;
};

struct auth_passwd {
	uint8_t ap_token[AUTH_TOKEN_LEN];
	char ap_old[AUTH_PASSWORD_MAX];
	char ap_new[AUTH_PASSWORD_MAX];
	char ap_school[AUTH_SCHOOL_MAX];	/* the school's name (web has
						 * it), for the policy; "" */
};

struct auth_user_create {
	uint8_t auc_token[AUTH_TOKEN_LEN];
	struct auth_user auc_user;	/* uid, name, role, links; rest ignored */
};

struct auth_user_pw_r {
	int32_t aupr_status;
	uint32_t aupr_pad;
	char aupr_initial_password[AUTH_INITIAL_PW_MAX]; /* "" if none */
	struct auth_user aupr_user;
};

struct auth_user_list {
	uint8_t aul_token[AUTH_TOKEN_LEN];
	char aul_after[AUTH_UID_MAX];	/* cursor: list uids > this; "" = start */
	uint32_t aul_limit;		/* 1..AUTH_LIST_MAX */
	uint32_t aul_pad;
};

struct auth_user_list_r {
	int32_t aulr_status;
	uint32_t aulr_count;
	uint32_t aulr_more;		/* 1 if there are uids after the last */
	uint32_t aulr_pad;
	struct auth_user aulr_users[AUTH_LIST_MAX];
};

struct auth_user_ref {
	uint8_t aur_token[AUTH_TOKEN_LEN];
	char aur_uid[AUTH_UID_MAX];
};

struct auth_user_r {
	int32_t aur_status;
	uint32_t aur_pad;
	struct auth_user aur_user;
};

enum auth_user_op {
	USER_OP_SUSPEND = 1,
	USER_OP_REACTIVATE,
	USER_OP_DELETE,
	USER_OP_GRANT_ADMIN,
	USER_OP_REVOKE_ADMIN,
	USER_OP_RESET_PASSWORD,		/* issue a new initial password */
	USER_OP_GRADUATE,
	USER_OP_TRANSFER,
};

struct auth_user_set {
	uint8_t aus_token[AUTH_TOKEN_LEN];
	char aus_uid[AUTH_UID_MAX];
	uint32_t aus_op;		/* enum auth_user_op */
	uint32_t aus_pad;
};

/* Pushed to every client when sessions end: by user (suspend, delete,
 * password change) or by one session (logout). */
struct auth_revoke {
	char ar_uid[AUTH_UID_MAX];		/* "" = by token hash */
	uint8_t ar_token_hash[32];		/* SHA-256 of the token */
	uint8_t ar_keep_hash[32];		/* by user: keep this session
						 * (the one that changed the
						 * password); zero = none */
};

/* The login log for the admins' view (GET /api/v1/audit/login): auth
 * owns the log, so web asks; auth checks the token is an admin's (web logs
 * the read in the operation log). Filters as struct audit_query; newest
 * first. */
#define AUTH_AUDIT_PAGE_MAX	50	/* entries per AUTH_AUDIT_R */
struct auth_audit_query {
	uint8_t aaq_token[AUTH_TOKEN_LEN];
	char aaq_user[AUTH_UID_MAX];		/* "" = any */
	char aaq_action[AUDIT_MAX_ACTION + 1];	/* "" = any */
	int64_t aaq_from_ms, aaq_to_ms;		/* [from, to); 0 = open */
	uint64_t aaq_cursor;			/* 0 = newest */
	uint32_t aaq_limit;			/* 1..AUTH_AUDIT_PAGE_MAX */
	uint32_t aaq_pad;
};

struct auth_audit_r {
	int32_t aar_status;
	uint32_t aar_count;
	uint64_t aar_next;			/* 0 = no more */
	struct audit_entry aar_entries[AUTH_AUDIT_PAGE_MAX];
};

/* The login log for the admins' export (api/export.c): entries from ..
 * through (0 = the head), oldest first, with the head and the anchor of
 * the same read, so that web writes the chain as it is and a copy can be
 * checked offline (audit/export_log.h). An admin's token, as above. */
struct auth_audit_range {
	uint8_t aarq_token[AUTH_TOKEN_LEN];
	uint64_t aarq_from, aarq_through;
};

struct auth_audit_range_r {
	int32_t aarr_status;
	uint32_t aarr_count;
	struct audit_link aarr_head, aarr_anchor;
	struct audit_entry aarr_entries[AUTH_AUDIT_PAGE_MAX];
};

/*
 * Offline password reset (issue 5, item 9): an admin, or a teacher for the
 * students of their homeroom and those students' parents (web checks the
 * class relation; auth checks the roles), gets a one-time code for a user.
 * Auth generates it and keeps only a salted hash; it is valid
 * AUTH_RESET_CODE_TTL_MS, usable once, dropped after
 * ACCOUNT_RESET_TRIES_MAX wrong tries, and every try is throttled like a
 * login (per account and per address). Using it sets the password the
 * user chose (policy applies), clears USER_F_MUST_CHANGE and ends every
 * session of the user.
 */
#define AUTH_RESET_CODE_TTL_MS	(15LL * 60 * 1000)	/* 15 minutes */
#define AUTH_RESET_CODE_LEN	10	/* characters of AUTH_RESET_ALPHABET */
#define AUTH_RESET_CODE_MAX	24	/* bytes incl. NUL; input may carry
					 * '-' and spaces, any case */
/* 31 symbols, without 0/O and 1/I/L: ~49.5 bits a code. */
#define AUTH_RESET_ALPHABET	"23456789ABCDEFGHJKMNPQRSTUVWXYZ"

struct auth_reset_issue {
	uint8_t ari_token[AUTH_TOKEN_LEN];	/* the issuer's session */
	char ari_uid[AUTH_UID_MAX];		/* the user the code is for */
};

struct auth_reset_issue_r {
	int32_t arir_status;
	uint32_t arir_pad;
	char arir_code[AUTH_RESET_CODE_MAX];
	int64_t arir_expires_ms;
};

struct auth_reset_use {
	char aru_uid[AUTH_UID_MAX];
	char aru_code[AUTH_RESET_CODE_MAX];
	char aru_password[AUTH_PASSWORD_MAX];	/* the new password */
	char aru_addr[AUTH_ADDR_MAX];		/* client, for throttling */
	char aru_school[AUTH_SCHOOL_MAX];	/* as ap_school */
};

/*
 * Online password reset through the platform (docs/api.md "Online
 * password reset"). web asks AUTH_RESET_ASK whether a reset request for
 * uid may be recorded (0: the account exists and is active; CB_ENOTFOUND
 * otherwise; web answers the person the same either way). The platform's
 * answer, a grant document pulled from the cloud, reaches auth from the
 * sync process only (SO_PEERCRED: the sync uid, or the console) as
 * AUTH_RESET_GRANT: auth checks it (auth/reset_grant.h), refuses a grant
 * id it has seen, and keeps salt and hash as the user's reset code, valid
 * until min(expires_ms, now + AUTH_RESET_CODE_TTL_MS) by the box's clock,
 * used through AUTH_RESET_USE like an offline code. The code itself never
 * reaches the box.
 */
#define AUTH_GRANT_ID_MAX	64	/* the grant's id, incl. NUL */
#define AUTH_GRANT_SALT_HEX	32	/* 16 bytes of salt, hex */
#define AUTH_GRANT_HASH_HEX	64	/* SHA-256(salt || code), hex */

struct auth_reset_ask {
	char ara_uid[AUTH_UID_MAX];
};

struct auth_reset_grant {
	char arg_id[AUTH_GRANT_ID_MAX];		/* after "password_reset_grant:" */
	char arg_uid[AUTH_UID_MAX];
	char arg_request[AUTH_GRANT_ID_MAX];	/* the request it answers */
	char arg_salt[AUTH_GRANT_SALT_HEX + 8];	/* hex + NUL (padded) */
	char arg_hash[AUTH_GRANT_HASH_HEX + 8];	/* hex + NUL (padded) */
	int64_t arg_expires_ms;			/* the platform's clock */
};

/* The login log's head and what sync has uploaded of it (audit.h's
 * marker), for an admin (or the console): termination refuses to go on
 * while entries wait for the cloud (docs/operations.md). */
struct auth_audit_pending_r {
	int32_t aapr_status;
	uint32_t aapr_pad;
	uint64_t aapr_head;		/* seq of the last entry; 0 = none */
	uint64_t aapr_uploaded;		/* the cloud has 1..this */
};

/*
 * School termination (docs/operations.md): an admin's session (or the
 * console) asks auth to destroy what it holds: it writes DATA/auth/
 * terminated, logs "school.terminate", destroys the login log's key and
 * wipes the account environment (accounts, hashes, sessions). From then on
 * (and after every restart) every request is answered CB_ESTATE.
 */

/*
 * The enrollment's admin_password (docs/sync.md, "Enrollment"): accepted
 * only from the sync process's uid or the console (root: `classbox
 * enroll`), it becomes the first admin's ("admin") initial password, still
 * to be changed at first login, but only while that admin has never logged
 * in and still has the must-change password it was created with. Status:
 * 0 set; CB_ESTATE the admin has logged in or changed it (left as it is);
 * CB_ENOTFOUND no first admin; a password policy status (CB_EINVAL ...)
 * when the password breaks the rules; CB_EPERM from any other peer. Logged
 * in the login log ("admin.initial_password"), never the password.
 */
struct auth_admin_seed {
	char aas_password[AUTH_PASSWORD_MAX];
};
#define AUTH_FIRST_ADMIN	"admin"

/*
 * Added by the auth engineer: the fixed payload size of each message type
 * and the reply type each request expects, so that both ends check the
 * same table. Every reply payload starts with an int32_t status.
 */
static inline uint32_t
auth_msg_len(uint32_t type)
{
	switch (type) {
	case AUTH_STATUS_R:	return sizeof(struct auth_status_r);
	case AUTH_LOGIN:	return sizeof(struct auth_login);
	case AUTH_LOGIN_R:	return sizeof(struct auth_login_r);
	case AUTH_SESSION:	return sizeof(struct auth_token);
	case AUTH_SESSION_R:	return sizeof(struct auth_session_r);
	case AUTH_LOGOUT:	return sizeof(struct auth_token);
	case AUTH_TOUCH:	return sizeof(struct auth_token);
	case AUTH_PASSWD:	return sizeof(struct auth_passwd);
	case AUTH_USER_CREATE:	return sizeof(struct auth_user_create);
	case AUTH_USER_PW_R:	return sizeof(struct auth_user_pw_r);
	case AUTH_USER_LIST:	return sizeof(struct auth_user_list);
	case AUTH_USER_LIST_R:	return sizeof(struct auth_user_list_r);
	case AUTH_USER_GET:	return sizeof(struct auth_user_ref);
	case AUTH_USER_R:	return sizeof(struct auth_user_r);
	case AUTH_USER_SET:	return sizeof(struct auth_user_set);
	case AUTH_REVOKE:	return sizeof(struct auth_revoke);
	case AUTH_AUDIT_QUERY:	return sizeof(struct auth_audit_query);
	case AUTH_AUDIT_R:	return sizeof(struct auth_audit_r);
	case AUTH_RESET_ISSUE:	return sizeof(struct auth_reset_issue);
	case AUTH_RESET_ISSUE_R: return sizeof(struct auth_reset_issue_r);
	case AUTH_RESET_USE:	return sizeof(struct auth_reset_use);
	case AUTH_TERMINATE:	return sizeof(struct auth_token);
	case AUTH_RESET_ASK:	return sizeof(struct auth_reset_ask);
	case AUTH_RESET_GRANT:	return sizeof(struct auth_reset_grant);
	case AUTH_AUDIT_PENDING: return sizeof(struct auth_token);
	case AUTH_AUDIT_PENDING_R: return sizeof(struct auth_audit_pending_r);
	case AUTH_ADMIN_SEED:	return sizeof(struct auth_admin_seed);
	case AUTH_AUDIT_RANGE:	return sizeof(struct auth_audit_range);
	case AUTH_AUDIT_RANGE_R: return sizeof(struct auth_audit_range_r);
	default:		return 0;
	}
}

/* The reply type of a request; 0 for AUTH_TOUCH (no reply) and for
 * types that are not requests. */
static inline uint32_t
auth_reply_type(uint32_t type)
{
	switch (type) {
	case AUTH_LOGIN:	return AUTH_LOGIN_R;
	case AUTH_SESSION:	return AUTH_SESSION_R;
	case AUTH_LOGOUT:	return AUTH_STATUS_R;
	case AUTH_PASSWD:	return AUTH_STATUS_R;
	case AUTH_USER_CREATE:	return AUTH_USER_PW_R;
	case AUTH_USER_LIST:	return AUTH_USER_LIST_R;
	case AUTH_USER_GET:	return AUTH_USER_R;
	case AUTH_USER_SET:	return AUTH_USER_PW_R;
	case AUTH_AUDIT_QUERY:	return AUTH_AUDIT_R;
	case AUTH_RESET_ISSUE:	return AUTH_RESET_ISSUE_R;
	case AUTH_RESET_USE:	return AUTH_STATUS_R;
	case AUTH_TERMINATE:	return AUTH_STATUS_R;
	case AUTH_RESET_ASK:	return AUTH_STATUS_R;
	case AUTH_RESET_GRANT:	return AUTH_STATUS_R;
	case AUTH_AUDIT_PENDING: return AUTH_AUDIT_PENDING_R;
	case AUTH_ADMIN_SEED:	return AUTH_STATUS_R;
	case AUTH_AUDIT_RANGE:	return AUTH_AUDIT_RANGE_R;
	default:		return 0;
	}
}

/* Any reply or push, for a buffer that must hold whichever comes (the
 * client's copy of a reply; authd's status-only answers). Every type
 * auth_reply_type() returns, and AUTH_REVOKE, must be a member:
 * test_authproto checks the table against it. */
union auth_reply_any {
	struct auth_status_r	status;
	struct auth_login_r	login;
	struct auth_session_r	session;
	struct auth_user_pw_r	pw;
	struct auth_user_list_r	list;
	struct auth_user_r	user;
	struct auth_revoke	revoke;
	struct auth_audit_r	audit;
	struct auth_reset_issue_r reset_issue;
	struct auth_audit_pending_r audit_pending;
	struct auth_audit_range_r audit_range;
};

/* 1 for the types a client may send to auth. */
static inline int
auth_is_request(uint32_t type)
{
	return type == AUTH_TOUCH || auth_reply_type(type) != 0;
}

#endif
