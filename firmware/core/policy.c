/*
 * policy.c: the one table of who may do what, and the lifecycle rules.
 * Anything not in the table is denied. The table is the whole policy: the
 * API has no "if role == ..." of its own, it computes relationships and
 * asks policy_check.
 */
#include <stddef.h>

#include "base/cb.h"
#include "core/policy.h"

struct policy_row {
	enum policy_role pw_role;
	enum policy_resource pw_res;
	enum policy_action pw_act;
	unsigned pw_rels;		/* any one of these suffices */
};

#define A PR_ADMIN
#define T PR_TEACHER
#define S PR_STUDENT
#define P PR_PARENT
#define RD PA_READ
#define CR PA_CREATE
#define UP PA_UPDATE
#define DL PA_DELETE
#define WD PA_WITHDRAW

static const struct policy_row policy_rows[] = {
	/* Admins manage the school: users, classes, memberships, grants,
	 * school-wide announcements; they read classroom records, but a
	 * student's guidance notes only through a grant. */
	{ A, RS_SCHOOL, RD, REL_ANY },
	{ A, RS_SCHOOL, UP, REL_ANY },
	{ A, RS_USER, RD, REL_ANY },
	{ A, RS_USER, CR, REL_ANY },
	{ A, RS_USER, UP, REL_ANY },
	{ A, RS_USER, DL, REL_ANY },
	{ A, RS_CLASS, RD, REL_ANY },
	{ A, RS_CLASS, CR, REL_ANY },
	{ A, RS_CLASS, UP, REL_ANY },
	{ A, RS_MEMBERSHIP, RD, REL_ANY },
	{ A, RS_MEMBERSHIP, CR, REL_ANY },
	{ A, RS_MEMBERSHIP, DL, REL_ANY },
	{ A, RS_ANNOUNCEMENT, RD, REL_ANY },
	{ A, RS_ANNOUNCEMENT, CR, REL_ANY },
	{ A, RS_RECEIPT, RD, REL_ANY },
	{ A, RS_ASSIGNMENT, RD, REL_ANY },
	{ A, RS_SUBMISSION, RD, REL_ANY },
	{ A, RS_ATTENDANCE, RD, REL_ANY },
	{ A, RS_ATTENDANCE, CR, REL_ANY },
	{ A, RS_ABSENCE_NOTICE, RD, REL_ANY },
	{ A, RS_GUIDANCE_NOTE, RD, REL_GRANTED },
	{ A, RS_GRANT, RD, REL_ANY },
	{ A, RS_GRANT, CR, REL_ANY },
	{ A, RS_GRANT, DL, REL_ANY },

	/* Teachers: their classes; every absence notice of the school (all
	 * teachers of a school read them); guidance notes of their homeroom
	 * students, others only through a grant. */
	{ T, RS_SCHOOL, RD, REL_SCHOOL_WIDE },
	{ T, RS_USER, RD, REL_SELF | REL_OWN_CLASS },
	{ T, RS_CLASS, RD, REL_OWN_CLASS },
	{ T, RS_MEMBERSHIP, RD, REL_SELF | REL_OWN_CLASS },
	{ T, RS_ANNOUNCEMENT, RD, REL_OWN_CLASS | REL_SCHOOL_WIDE },
	{ T, RS_ANNOUNCEMENT, CR, REL_OWN_CLASS },
	{ T, RS_RECEIPT, RD, REL_OWN_CLASS },
	{ T, RS_RECEIPT, CR, REL_SELF },
	{ T, RS_ASSIGNMENT, RD, REL_OWN_CLASS },
	{ T, RS_ASSIGNMENT, CR, REL_OWN_CLASS },
	{ T, RS_SUBMISSION, RD, REL_OWN_CLASS },
	{ T, RS_ATTENDANCE, RD, REL_OWN_CLASS | REL_HOMEROOM_STUDENT },
	{ T, RS_ATTENDANCE, CR, REL_OWN_CLASS },
	{ T, RS_ABSENCE_NOTICE, RD, REL_ANY },
	{ T, RS_GUIDANCE_NOTE, RD, REL_HOMEROOM_STUDENT | REL_GRANTED },
	{ T, RS_GUIDANCE_NOTE, CR, REL_HOMEROOM_STUDENT | REL_GRANTED },
	/* ... and merge the versions of one left in conflict by sync. */
	{ T, RS_GUIDANCE_NOTE, UP, REL_HOMEROOM_STUDENT | REL_GRANTED },

	/* Students: their classes' announcements and assignments, their own
	 * submissions, attendance and receipts. */
	{ S, RS_SCHOOL, RD, REL_SCHOOL_WIDE },
	{ S, RS_USER, RD, REL_SELF },
	{ S, RS_CLASS, RD, REL_OWN_CLASS },
	{ S, RS_MEMBERSHIP, RD, REL_SELF },
	{ S, RS_ANNOUNCEMENT, RD, REL_OWN_CLASS | REL_SCHOOL_WIDE },
	{ S, RS_RECEIPT, RD, REL_SELF },
	{ S, RS_RECEIPT, CR, REL_SELF },
	{ S, RS_ASSIGNMENT, RD, REL_OWN_CLASS },
	{ S, RS_SUBMISSION, RD, REL_SELF },
	{ S, RS_SUBMISSION, CR, REL_SELF },
	{ S, RS_ATTENDANCE, RD, REL_SELF },

	/* Parents: the same for their own children, plus absence notices:
	 * send one for a child, read the child's, withdraw their own. */
	{ P, RS_SCHOOL, RD, REL_SCHOOL_WIDE },
	{ P, RS_USER, RD, REL_SELF | REL_CHILD },
	{ P, RS_CLASS, RD, REL_CHILD },
	{ P, RS_MEMBERSHIP, RD, REL_SELF | REL_CHILD },
	{ P, RS_ANNOUNCEMENT, RD, REL_CHILD | REL_SCHOOL_WIDE },
	{ P, RS_RECEIPT, RD, REL_SELF },
	{ P, RS_RECEIPT, CR, REL_SELF },
	{ P, RS_ASSIGNMENT, RD, REL_CHILD },
	{ P, RS_SUBMISSION, RD, REL_CHILD },
	{ P, RS_ATTENDANCE, RD, REL_CHILD },
	{ P, RS_ABSENCE_NOTICE, RD, REL_SELF | REL_CHILD },
	{ P, RS_ABSENCE_NOTICE, CR, REL_CHILD },
	{ P, RS_ABSENCE_NOTICE, WD, REL_SELF },
};

#undef A
#undef T
#undef S
#undef P

/* What teachers (and admins) keep, read-only, about a student who has
 * left: what guidance needs. */
static int
kept_after_leaving(enum policy_resource r)
{
	return r == RS_ATTENDANCE || r == RS_SUBMISSION ||
	    r == RS_GUIDANCE_NOTE;
}

int
policy_table_allows(enum policy_role role, enum policy_resource res,
    enum policy_action act, unsigned rel)
{
	for (size_t i = 0; i < CB_ARRAY_LEN(policy_rows); i++) {
		const struct policy_row *w = &policy_rows[i];

		if (w->pw_role == role && w->pw_res == res &&
		    w->pw_act == act && (w->pw_rels & rel) != 0)
			return 1;
	}
	return 0;
}

static int
table_allows_any(enum policy_role role, enum policy_resource res,
    enum policy_action act, unsigned rels)
{
	for (unsigned bit = 1; bit < (1u << REL_COUNT); bit <<= 1)
		if ((rels & bit) && policy_table_allows(role, res, act, bit))
			return 1;
	return 0;
}

enum policy_verdict
policy_check(const struct policy_req *q)
{
	int staff = q->pq_role == PR_ADMIN || q->pq_role == PR_TEACHER;
	int allowed;

	if ((unsigned)q->pq_role >= PR_ROLE_COUNT ||
	    (unsigned)q->pq_resource >= RS_COUNT ||
	    (unsigned)q->pq_action >= PA_COUNT)
		return PV_DENY;
	if (q->pq_school == PS_TERMINATED)
		return PV_TERMINATED;
	if (q->pq_school == PS_TERMINATING &&
	    !(q->pq_action == PA_READ && (q->pq_role == PR_ADMIN ||
	    q->pq_admin)))
		return PV_TERMINATING;
	allowed = table_allows_any(q->pq_role, q->pq_resource, q->pq_action,
	    q->pq_rels);
	if (!allowed && q->pq_admin)
		allowed = table_allows_any(PR_ADMIN, q->pq_resource,
		    q->pq_action, q->pq_rels);
	if (!allowed)
		return PV_DENY;
	/* A past year's class (年度更新) is kept read-only. */
	if (q->pq_archived && q->pq_action != PA_READ)
		return PV_ARCHIVED;
	/* Admins managing accounts act on every state (that is how a
	 * student is graduated in the first place). */
	if (q->pq_resource == RS_USER && (q->pq_role == PR_ADMIN ||
	    q->pq_admin))
		return PV_ALLOW;
	switch (q->pq_subject) {
	case PSUB_LEFT:
		if (!staff || q->pq_action != PA_READ ||
		    !kept_after_leaving(q->pq_resource))
			return PV_LEFT;
		return PV_ALLOW;
	case PSUB_SUSPENDED:
		/* Data kept for teachers; the family's access is paused. */
		return staff ? PV_ALLOW : PV_DENY;
	default:
		return PV_ALLOW;
	}
}

const char *
policy_resource_name(enum policy_resource r)
{
	static const char *const names[RS_COUNT] = {
		"school", "user", "class", "membership", "announcement",
		"receipt", "assignment", "submission", "attendance",
		"absence_notice", "guidance_note", "grant",
	};
	return (unsigned)r < RS_COUNT ? names[r] : "?";
}

const char *
policy_action_name(enum policy_action a)
{
	static const char *const names[PA_COUNT] =
	    { "read", "create", "update", "delete", "withdraw" };
	return (unsigned)a < PA_COUNT ? names[a] : "?";
}

const char *
policy_role_name(enum policy_role r)
{
	static const char *const names[PR_ROLE_COUNT] =
	    { "admin", "teacher", "student", "parent" };
	return (unsigned)r < PR_ROLE_COUNT ? names[r] : "?";
}

const char *
policy_rel_name(unsigned rel)
{
	switch (rel) {
	case REL_SELF: return "self";
	case REL_CHILD: return "child";
	case REL_OWN_CLASS: return "own_class";
	case REL_HOMEROOM_STUDENT: return "homeroom_student";
	case REL_GRANTED: return "granted";
	case REL_SCHOOL_WIDE: return "school_wide";
	case REL_ANY: return "any";
	default: return "?";
	}
}
