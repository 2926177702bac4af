/*
 * test_policy.c: core/policy.c against an expected table written apart
 * from it (below, as the issue states the rules), over every role x
 * resource x action x relationship, and the lifecycle rules on top.
 */
#include <stdio.h>
#include <string.h>

#include "core/policy.h"
#include "t.h"

/* "role resource action rel rel ...": what the issue allows. */
static const char *const expected[] = {
	/* Admins manage everything; guidance notes only through a grant. */
	"admin school read any", "admin school update any",
	"admin user read any", "admin user create any",
	"admin user update any", "admin user delete any",
	"admin class read any", "admin class create any",
	"admin class update any",
	"admin membership read any", "admin membership create any",
	"admin membership delete any",
	"admin announcement read any", "admin announcement create any",
	"admin receipt read any", "admin assignment read any",
	"admin submission read any", "admin attendance read any",
	"admin attendance create any", "admin absence_notice read any",
	"admin guidance_note read granted",
	"admin grant read any", "admin grant create any",
	"admin grant delete any",
	/* Teachers: their classes; all absence notices; notes of their
	 * homeroom students or by grant. */
	"teacher school read school_wide",
	"teacher user read self own_class",
	"teacher class read own_class",
	"teacher membership read self own_class",
	"teacher announcement read own_class school_wide",
	"teacher announcement create own_class",
	"teacher receipt read own_class", "teacher receipt create self",
	"teacher assignment read own_class",
	"teacher assignment create own_class",
	"teacher submission read own_class",
	"teacher attendance read own_class homeroom_student",
	"teacher attendance create own_class",
	"teacher absence_notice read any",
	"teacher guidance_note read homeroom_student granted",
	"teacher guidance_note create homeroom_student granted",
	"teacher guidance_note update homeroom_student granted",
	/* Students: their classes' announcements and assignments, their own
	 * submissions and attendance. */
	"student school read school_wide", "student user read self",
	"student class read own_class", "student membership read self",
	"student announcement read own_class school_wide",
	"student receipt read self", "student receipt create self",
	"student assignment read own_class",
	"student submission read self", "student submission create self",
	"student attendance read self",
	/* Parents: the same for their children, plus absence notices. */
	"parent school read school_wide", "parent user read self child",
	"parent class read child", "parent membership read self child",
	"parent announcement read child school_wide",
	"parent receipt read self", "parent receipt create self",
	"parent assignment read child", "parent submission read child",
	"parent attendance read child",
	"parent absence_notice read self child",
	"parent absence_notice create child",
	"parent absence_notice withdraw self",
};

static const unsigned rels[REL_COUNT] = { REL_SELF, REL_CHILD,
    REL_OWN_CLASS, REL_HOMEROOM_STUDENT, REL_GRANTED, REL_SCHOOL_WIDE,
    REL_ANY };

static int
expected_allows(int role, int res, int act, unsigned rel)
{
	char head[128], word[32];

	snprintf(head, sizeof(head), "%s %s %s ", policy_role_name(role),
	    policy_resource_name(res), policy_action_name(act));
	snprintf(word, sizeof(word), " %s", policy_rel_name(rel));
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		size_t n = strlen(head);
		const char *e = expected[i];
		if (strncmp(e, head, n) != 0)
			continue;
		/* the rels are the words after the head */
		const char *p = e + n - 1;
		size_t wl = strlen(word);
		while ((p = strstr(p, word)) != NULL) {
			if (p[wl] == '\0' || p[wl] == ' ')
				return 1;
			p += wl;
		}
	}
	return 0;
}

T_TEST(table_matches_expected_everywhere)
{
	int cases = 0, allowed = 0;

	for (int role = 0; role < PR_ROLE_COUNT; role++)
	for (int res = 0; res < RS_COUNT; res++)
	for (int act = 0; act < PA_COUNT; act++)
	for (int k = 0; k < REL_COUNT; k++) {
		int want = expected_allows(role, res, act, rels[k]);
		int got = policy_table_allows(role, res, act, rels[k]);
		cases++;
		allowed += got;
		if (want != got)
			fprintf(stderr, "mismatch: %s %s %s %s: table %d, "
			    "expected %d\n", policy_role_name(role),
			    policy_resource_name(res), policy_action_name(act),
			    policy_rel_name(rels[k]), got, want);
		T_EQ_INT(got, want);
	}
	printf("policy: %d role x resource x action x relationship cases, "
	    "%d allowed\n", cases, allowed);
	T_EQ_INT(cases, 4 * 12 * 5 * 7);
}

static enum policy_verdict
check(enum policy_role role, int admin, enum policy_resource res,
    enum policy_action act, unsigned r, enum policy_subject subj,
    enum policy_school school)
{
	struct policy_req q = { role, admin, res, act, r | REL_ANY, subj,
	    school, 0 };
	return policy_check(&q);
}

T_TEST(default_deny_without_relationship)
{
	T_EQ_INT(check(PR_STUDENT, 0, RS_ATTENDANCE, PA_READ, 0, PSUB_ACTIVE,
	    PS_ACTIVE), PV_DENY);
	T_EQ_INT(check(PR_PARENT, 0, RS_SUBMISSION, PA_READ, 0, PSUB_ACTIVE,
	    PS_ACTIVE), PV_DENY);
	T_EQ_INT(check(PR_TEACHER, 0, RS_GUIDANCE_NOTE, PA_READ,
	    REL_OWN_CLASS, PSUB_ACTIVE, PS_ACTIVE), PV_DENY);
	T_EQ_INT(check(PR_ADMIN, 0, RS_GUIDANCE_NOTE, PA_READ, 0,
	    PSUB_ACTIVE, PS_ACTIVE), PV_DENY);
	T_EQ_INT(check(PR_ADMIN, 0, RS_GUIDANCE_NOTE, PA_READ, REL_GRANTED,
	    PSUB_ACTIVE, PS_ACTIVE), PV_ALLOW);
	/* out-of-range input */
	T_EQ_INT(check((enum policy_role)9, 0, RS_SCHOOL, PA_READ, 0,
	    PSUB_NONE, PS_ACTIVE), PV_DENY);
}

T_TEST(admin_flag_on_a_teacher)
{
	T_EQ_INT(check(PR_TEACHER, 1, RS_CLASS, PA_CREATE, 0, PSUB_NONE,
	    PS_ACTIVE), PV_ALLOW);
	T_EQ_INT(check(PR_TEACHER, 0, RS_CLASS, PA_CREATE, 0, PSUB_NONE,
	    PS_ACTIVE), PV_DENY);
	/* an admin teacher still needs a grant or homeroom for notes */
	T_EQ_INT(check(PR_TEACHER, 1, RS_GUIDANCE_NOTE, PA_READ, 0,
	    PSUB_ACTIVE, PS_ACTIVE), PV_DENY);
}

T_TEST(graduated_or_transferred_students)
{
	/* students and parents lose read and write */
	T_EQ_INT(check(PR_PARENT, 0, RS_ATTENDANCE, PA_READ, REL_CHILD,
	    PSUB_LEFT, PS_ACTIVE), PV_LEFT);
	T_EQ_INT(check(PR_PARENT, 0, RS_ABSENCE_NOTICE, PA_CREATE, REL_CHILD,
	    PSUB_LEFT, PS_ACTIVE), PV_LEFT);
	T_EQ_INT(check(PR_STUDENT, 0, RS_SUBMISSION, PA_CREATE, REL_SELF,
	    PSUB_LEFT, PS_ACTIVE), PV_LEFT);
	/* teachers keep read of attendance, submissions, guidance notes */
	T_EQ_INT(check(PR_TEACHER, 0, RS_ATTENDANCE, PA_READ, REL_OWN_CLASS,
	    PSUB_LEFT, PS_ACTIVE), PV_ALLOW);
	T_EQ_INT(check(PR_TEACHER, 0, RS_SUBMISSION, PA_READ, REL_OWN_CLASS,
	    PSUB_LEFT, PS_ACTIVE), PV_ALLOW);
	T_EQ_INT(check(PR_TEACHER, 0, RS_GUIDANCE_NOTE, PA_READ,
	    REL_HOMEROOM_STUDENT, PSUB_LEFT, PS_ACTIVE), PV_ALLOW);
	/* read-only, and nothing else */
	T_EQ_INT(check(PR_TEACHER, 0, RS_ATTENDANCE, PA_CREATE,
	    REL_OWN_CLASS, PSUB_LEFT, PS_ACTIVE), PV_LEFT);
	T_EQ_INT(check(PR_TEACHER, 0, RS_GUIDANCE_NOTE, PA_CREATE,
	    REL_HOMEROOM_STUDENT, PSUB_LEFT, PS_ACTIVE), PV_LEFT);
	T_EQ_INT(check(PR_TEACHER, 0, RS_ABSENCE_NOTICE, PA_READ, 0,
	    PSUB_LEFT, PS_ACTIVE), PV_LEFT);
	/* the relationship is still needed */
	T_EQ_INT(check(PR_TEACHER, 0, RS_GUIDANCE_NOTE, PA_READ, 0,
	    PSUB_LEFT, PS_ACTIVE), PV_DENY);
	/* admins still manage the account itself */
	T_EQ_INT(check(PR_ADMIN, 0, RS_USER, PA_UPDATE, 0, PSUB_LEFT,
	    PS_ACTIVE), PV_ALLOW);
}

T_TEST(suspended_students)
{
	T_EQ_INT(check(PR_PARENT, 0, RS_ATTENDANCE, PA_READ, REL_CHILD,
	    PSUB_SUSPENDED, PS_ACTIVE), PV_DENY);
	T_EQ_INT(check(PR_TEACHER, 0, RS_ATTENDANCE, PA_CREATE,
	    REL_OWN_CLASS, PSUB_SUSPENDED, PS_ACTIVE), PV_ALLOW);
}

T_TEST(school_states)
{
	for (int role = 0; role < PR_ROLE_COUNT; role++)
	for (int res = 0; res < RS_COUNT; res++)
	for (int act = 0; act < PA_COUNT; act++) {
		enum policy_verdict v = check(role, 0, res, act, 0x7f,
		    PSUB_NONE, PS_TERMINATED);
		T_EQ_INT(v, PV_TERMINATED);
		v = check(role, 0, res, act, 0x7f, PSUB_NONE,
		    PS_TERMINATING);
		if (role == PR_ADMIN && act == PA_READ)
			T_ASSERT(v != PV_TERMINATING);
		else
			T_EQ_INT(v, PV_TERMINATING);
	}
	T_EQ_INT(check(PR_ADMIN, 0, RS_ATTENDANCE, PA_READ, 0, PSUB_ACTIVE,
	    PS_TERMINATING), PV_ALLOW);
	T_EQ_INT(check(PR_TEACHER, 1, RS_ATTENDANCE, PA_READ, 0,
	    PSUB_ACTIVE, PS_TERMINATING), PV_ALLOW);
}

T_TEST(archived_classes_are_read_only)
{
	struct policy_req q = { PR_TEACHER, 0, RS_ATTENDANCE, PA_CREATE,
	    REL_OWN_CLASS | REL_ANY, PSUB_ACTIVE, PS_ACTIVE, 1 };

	T_EQ_INT(policy_check(&q), PV_ARCHIVED);
	q.pq_action = PA_READ;
	T_EQ_INT(policy_check(&q), PV_ALLOW);
	/* no rights stay no rights */
	q.pq_role = PR_PARENT;
	T_EQ_INT(policy_check(&q), PV_DENY);
}

T_MAIN()
