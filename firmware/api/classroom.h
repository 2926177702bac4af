/*
 * classroom.h: the classroom endpoints' shared machinery, private to
 * firmware/api: a per-request context (who asks, the school's state),
 * store access in the school's terms, the relationships the policy needs,
 * strict bodies and queries, and paged lists.
 *
 * Convention: a helper returns 0, or non-zero with c_err set; the handler
 * then answers with cr_error(c). Every read and write goes through
 * cr_allow (policy_check) before data leaves or enters the store.
 */
#ifndef API_CLASSROOM_H
#define API_CLASSROOM_H

#include <stddef.h>
#include <stdint.h>

#include <yyjson.h>

#include "api/api_impl.h"
#include "core/policy.h"
#include "core/records.h"
#include "store/store.h"

#define CR_LIMIT_DEFAULT	20	/* items per page without limit= */
#define CR_LIMIT_MAX		100	/* items per page */
#define CR_QVAL_MAX		(INDEX_CURSOR_MAX + 1) /* a query value */
#define CR_SCAN_PAGES		64	/* index pages examined per request */
#define CR_SUBJECT_CACHE	16	/* student states kept per request */
#define CR_ATTENDANCE_MAX	60	/* entries in one roll call */
#define CR_FEED_STEPS		20000	/* changes examined per class page */
#define CR_ROLLOVER_MAX		1000	/* classes of one year */
#define CR_ROLLOVER_STEPS	4000000	/* changes examined by a rollover */

struct cr_ctx {
	struct api_req *c_r;
	struct store *c_s;
	const struct auth_user *c_user;
	enum policy_role c_role;
	int c_admin;
	enum policy_school c_school;
	char c_cutoff[8];		/* school's absence_cutoff, or "" */
	int64_t c_now;
	struct api_err c_err;
	yyjson_doc *c_swap;		/* cr_scan: list this instead */
	int c_archived;			/* cr_rels_class saw an archived class */
	struct {
		char cs_uid[REC_UID_MAX];
		enum policy_subject cs_state;
	} c_subj[CR_SUBJECT_CACHE];
	size_t c_nsubj;
};

/* Set up c for r (reads the school record). Non-zero: answer cr_error. */
int cr_begin(struct api_req *r, struct cr_ctx *c);
/* Answer r with c_err; returns 0 (the handler's return value). */
int cr_error(struct cr_ctx *c);
int cr_fail(struct cr_ctx *c, enum api_err_code code);
int cr_field(struct cr_ctx *c, enum api_field_why why, const char *field);
int cr_store_fail(struct cr_ctx *c, int rc);

/* Policy. cr_allow sets c_err on deny; cr_may is silent. */
int cr_allow(struct cr_ctx *c, enum policy_resource res,
    enum policy_action act, unsigned rels, enum policy_subject subj);
int cr_may(struct cr_ctx *c, enum policy_resource res,
    enum policy_action act, unsigned rels, enum policy_subject subj);
enum policy_subject cr_subject(struct cr_ctx *c, const char *uid);
int cr_is_member(struct cr_ctx *c, const char *class_id, const char *uid,
    const char *role);
unsigned cr_rels_class(struct cr_ctx *c, const char *class_id);
unsigned cr_rels_student(struct cr_ctx *c, const char *student_id,
    const char *class_id);
int cr_is_child(const struct cr_ctx *c, const char *uid);

/* A record id from parts; on truncation out is "" (which no store call
 * accepts) and the result CB_ETOOBIG. */
int cr_idf(char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Store access. */
int cr_get(struct cr_ctx *c, const char *id, yyjson_doc **out);
int cr_put(struct cr_ctx *c, yyjson_mut_doc *doc,
    struct store_put_result *res);
int cr_put_many(struct cr_ctx *c, yyjson_mut_doc **docs, size_t n);
/* Add a string or an integer field to the root object of m (CB_ENOMEM). */
int cr_add_str(yyjson_mut_doc *m, const char *key, const char *val);
int cr_add_int(yyjson_mut_doc *m, const char *key, int64_t val);
const char *cr_str(yyjson_doc *d, const char *field);
#define cr_root(d)	yyjson_doc_get_root(d)

/* Input. */
int cr_body(struct cr_ctx *c, const char *const *allowed, size_t n,
    yyjson_doc **out);
int cr_query(struct cr_ctx *c, const char *const *names, size_t n,
    char (*vals)[CR_QVAL_MAX]);
int cr_limit(struct cr_ctx *c, const char *s, size_t *limit);
/* New record {_id, type} with fields from body copied (those present). */
yyjson_mut_doc *cr_new_doc(const char *id, enum rec_type t);
int cr_copy(yyjson_mut_doc *m, yyjson_val *from, const char *const *fields,
    size_t n);

/* Output. */
int cr_reply_doc(struct cr_ctx *c, int status, yyjson_doc *d);
int cr_reply_put(struct cr_ctx *c, int status, yyjson_mut_doc *m,
    const struct store_put_result *res);
/* The tail of a create or update: when rc is CB_OK, writes m and answers
 * status with it (and its new _rev); otherwise, or when the write fails,
 * answers the error. m is freed either way; returns the handler's value. */
int cr_put_reply(struct cr_ctx *c, int rc, yyjson_mut_doc *m, int status);

struct cr_list {
	yyjson_mut_doc *l_doc;
	yyjson_mut_val *l_items;
	size_t l_count;
	size_t l_limit;
};
int cr_list_begin(struct cr_ctx *c, struct cr_list *l, size_t limit);
int cr_list_add(struct cr_list *l, yyjson_doc *d);
int cr_list_end(struct cr_ctx *c, struct cr_list *l, const char *next);

/* A paged index listing: fn is asked about each document found (1: in the
 * list, 0: left out by policy, <0: failure with c_err set). fn may set
 * c_swap to a document to list instead (cr_scan frees it). */
typedef int cr_filter_fn(struct cr_ctx *c, yyjson_doc *d, void *arg);
int cr_scan(struct cr_ctx *c, enum index_kind idx, const char *value,
    const char *id_prefix, const char *after, size_t limit,
    cr_filter_fn *fn, void *arg);

/* Handlers (classroom.c, lessons.c, registers.c). */
int api_school_get(struct api_req *r);
int api_school_put(struct api_req *r);
int api_school_rollover(struct api_req *r);
int api_classes_list(struct api_req *r);
int api_classes_create(struct api_req *r);
int api_class_get(struct api_req *r);
int api_class_put(struct api_req *r);
int api_members_list(struct api_req *r);
int api_members_add(struct api_req *r);
int api_members_remove(struct api_req *r);

int api_announcements_list(struct api_req *r);
int api_announcements_create(struct api_req *r);
int api_announcement_get(struct api_req *r);
int api_announcement_seen(struct api_req *r);
int api_announcement_receipts(struct api_req *r);
int api_assignments_list(struct api_req *r);
int api_assignments_create(struct api_req *r);
int api_assignment_get(struct api_req *r);
int api_submissions_create(struct api_req *r);
int api_submissions_list(struct api_req *r);

int api_attendance_list(struct api_req *r);
int api_attendance_record(struct api_req *r);
int api_notices_list(struct api_req *r);
int api_notices_create(struct api_req *r);
int api_notice_get(struct api_req *r);
int api_notice_withdraw(struct api_req *r);
int api_guidance_list(struct api_req *r);
int api_guidance_create(struct api_req *r);
int api_grants_create(struct api_req *r);

/* Conflicts left by sync and their resolutions (conflicts.c). */
int api_conflicts_list(struct api_req *r);
int api_conflict_resolve(struct api_req *r);
/* What GET /api/v1/conflicts would count for r's caller. */
int api_conflicts_count(struct api_req *r, size_t *open, size_t *resolved);
int api_grants_delete(struct api_req *r);

/* Attached files (files.c). */
int api_files_upload(struct api_req *r);
int api_file_get(struct api_req *r);
/* Resolve a submission body's "attachments" (file ids the student
 * uploaded for assignment aid) into attachment objects on m, and the
 * file records to update (attached_to = sid) into files[] (*nfiles). */
int files_attach_submission(struct cr_ctx *c, yyjson_val *ids,
    const char *aid, const char *sid, yyjson_mut_doc *m,
    yyjson_mut_doc **files, size_t *nfiles);

#endif
