/*
 * policy.h: who may do what with classroom data (issue 3, items 4 and 5).
 * One table, (role x resource x action x relationship) -> allow, default
 * deny, and the lifecycle rules on top of it. Pure: the API computes the
 * relationships from the store and the session and asks here for every
 * read and every write.
 *
 * Relationships are between the actor and the record:
 *   self             the record is the actor's own (their submission,
 *                    attendance, profile, notice they sent)
 *   child            the record's student is linked to the actor (parent)
 *   own_class        the actor is a member of the record's class
 *   homeroom_student the record's student is in a homeroom class that the
 *                    actor teaches
 *   granted          a grant gives the actor the record's student's notes
 *   school_wide      the record is for the whole school (a school-wide
 *                    announcement, the school record)
 *   any              no relationship needed (admins managing the school)
 */
#ifndef POLICY_H
#define POLICY_H

#include <stdint.h>

enum policy_role {
	PR_ADMIN, PR_TEACHER, PR_STUDENT, PR_PARENT, PR_ROLE_COUNT
};

enum policy_resource {
	RS_SCHOOL,
	RS_USER,		/* roster profile */
	RS_CLASS,
	RS_MEMBERSHIP,
	RS_ANNOUNCEMENT,
	RS_RECEIPT,
	RS_ASSIGNMENT,
	RS_SUBMISSION,
	RS_ATTENDANCE,
	RS_ABSENCE_NOTICE,
	RS_GUIDANCE_NOTE,
	RS_GRANT,
	RS_COUNT
};

enum policy_action {
	PA_READ, PA_CREATE, PA_UPDATE, PA_DELETE, PA_WITHDRAW, PA_COUNT
};

enum policy_rel {
	REL_SELF = 0x01,
	REL_CHILD = 0x02,
	REL_OWN_CLASS = 0x04,
	REL_HOMEROOM_STUDENT = 0x08,
	REL_GRANTED = 0x10,
	REL_SCHOOL_WIDE = 0x20,
	REL_ANY = 0x40,		/* always set by the API */
};
#define REL_COUNT	7

enum policy_school { PS_ACTIVE, PS_TERMINATING, PS_TERMINATED };

/* The state of the student the record is about (the subject). */
enum policy_subject {
	PSUB_NONE,		/* the record is not about one student */
	PSUB_ACTIVE,
	PSUB_SUSPENDED,		/* no login; data kept, others' access kept */
	PSUB_LEFT,		/* graduated, transferred or deleted */
};

enum policy_verdict {
	PV_ALLOW = 0,
	PV_DENY,		/* forbidden (or not found, to hide existence) */
	PV_TERMINATING,		/* school is being terminated */
	PV_TERMINATED,		/* school is terminated */
	PV_LEFT,		/* the student has left the school */
	PV_ARCHIVED,		/* the class is of a past year: read-only */
};

struct policy_req {
	enum policy_role pq_role;
	int pq_admin;			/* USER_F_ADMIN: also an admin */
	enum policy_resource pq_resource;
	enum policy_action pq_action;
	unsigned pq_rels;		/* REL_* that hold */
	enum policy_subject pq_subject;
	enum policy_school pq_school;
	int pq_archived;		/* the record's class is archived */
};

enum policy_verdict policy_check(const struct policy_req *q);

/* The base table alone (no lifecycle, no school state): 1 when a row
 * allows role/resource/action through relationship rel (one REL_*). */
int policy_table_allows(enum policy_role role, enum policy_resource res,
    enum policy_action act, unsigned rel);

const char *policy_resource_name(enum policy_resource r);
const char *policy_action_name(enum policy_action a);
const char *policy_role_name(enum policy_role r);
const char *policy_rel_name(unsigned rel);

#endif
