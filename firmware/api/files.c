/*
 * files.c: files attached to assignments (a teacher's worksheet) and to
 * submissions (a student's photo or PDF).
 *
 *   POST /api/v1/files?for=assignment:<id>&name=<pct-encoded UTF-8>
 *        the class's teacher attaches a file to an assignment: the file
 *        record and the assignment's new "attachments" entry are written
 *        in one transaction.
 *   POST /api/v1/files?for=submission:<assignment id>&name=...
 *        a student of the class uploads a file for a submission; it is
 *        readable by the uploader alone until a submission references it
 *        ("attachments": ["file:..."]), which sets its attached_to in the
 *        same transaction as the submission.
 *   GET  /api/v1/files/<id>
 *        the bytes, with the stored Content-Type, authorized by the policy
 *        of what the file is attached to.
 *
 * The body is the file's bytes; Content-Type is one of an allow-list and
 * must match the bytes' magic (415 otherwise); at most REC_FILE_MAX bytes
 * (413). A file is one store document (type "file", data in base64url),
 * sealed at rest and replicated like every record. The HTTP layer calls no
 * handler before the whole body has arrived, so a truncated upload stores
 * nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "api/classroom.h"
#include "base/cb.h"
#include "core/filetype.h"
#include "base/utf8.h"

#define FILE_QVAL_MAX	(3 * REC_FILE_NAME_MAX + 1)

/* for= and name= of the query; anything else is refused. */
static int
file_query(struct cr_ctx *c, char *forv, size_t fsize, char *name,
    size_t nsize)
{
	const char *p = http_request(c->c_r->r_ex)->query, *amp, *eq;
	int guard;

	forv[0] = name[0] = '\0';
	for (guard = 0; p != NULL && *p != '\0' && guard < 4; guard++) {
		size_t klen;
		char *dst;
		size_t dsize;

		amp = p + strcspn(p, "&");
		eq = memchr(p, '=', (size_t)(amp - p));
		klen = (size_t)((eq ? eq : amp) - p);
		if (klen == 3 && memcmp(p, "for", 3) == 0) {
			dst = forv;
			dsize = fsize;
		} else if (klen == 4 && memcmp(p, "name", 4) == 0) {
			dst = name;
			dsize = nsize;
		} else {
			(void)api_err_set(&c->c_err, API_E_INVALID_FIELD,
			    API_FIELD_UNKNOWN, p, klen);
			return CB_EINVAL;
		}
		if (eq == NULL || dst[0] != '\0' || cb_pct_decode(eq + 1,
		    (size_t)(amp - eq - 1), dst, dsize, 1) < 0)
			return cr_field(c, API_FIELD_VALUE, dst == forv ?
			    "for" : "name");
		p = *amp ? amp + 1 : amp;
	}
	if (p != NULL && *p != '\0')
		return cr_fail(c, API_E_BAD_REQUEST);
	if (forv[0] == '\0')
		return cr_field(c, API_FIELD_MISSING, "for");
	return CB_OK;
}

/*
 * A name safe to store and to send back in Content-Disposition: valid
 * UTF-8 (else refused), no path (the part after the last '/' or '\'),
 * controls, quotes and the characters Windows refuses become '_', no
 * leading dots or spaces, at most REC_FILE_NAME_MAX bytes (cut at a
 * character boundary); empty: "file" + the type's extension.
 */
static int
file_name_clean(char *name, const struct file_type *ft)
{
	char *p = name, *s;
	size_t n, i;

	if (!cb_utf8_valid(name, strlen(name), CB_UTF8_TEXT))
		return CB_EINVAL;
	if ((s = strrchr(p, '/')) != NULL)
		p = s + 1;
	if ((s = strrchr(p, '\\')) != NULL)
		p = s + 1;
	while (*p == '.' || *p == ' ')
		p++;
	memmove(name, p, strlen(p) + 1);
	for (i = 0; name[i] != '\0'; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f ||
		    strchr("\"<>:|?*%;", name[i]) != NULL)
			name[i] = '_';
	n = strlen(name);
	if (n > REC_FILE_NAME_MAX) {
		n = REC_FILE_NAME_MAX;
		while (n > 0 && ((unsigned char)name[n] & 0xc0) == 0x80)
			n--;
		name[n] = '\0';
	}
	while (n > 0 && name[n - 1] == ' ')
		name[--n] = '\0';
	if (n == 0)
		snprintf(name, REC_FILE_NAME_MAX + 1, "file%s", ft->ft_ext);
	return CB_OK;
}

static int
add_s(yyjson_mut_doc *m, yyjson_mut_val *o, const char *k, const char *v)
{
	return yyjson_mut_obj_add_strcpy(m, o, k, v) ? CB_OK : CB_ENOMEM;
}

/* The attachment entry {id, name, size, content_type} of a file record. */
static yyjson_mut_val *
file_entry(yyjson_mut_doc *m, yyjson_doc *f)
{
	yyjson_mut_val *o = yyjson_mut_obj(m);

	if (o == NULL || add_s(m, o, "id", cr_str(f, "_id")) != CB_OK ||
	    add_s(m, o, "name", cr_str(f, "name")) != CB_OK ||
	    !yyjson_mut_obj_add_uint(m, o, "size", yyjson_get_uint(
	    yyjson_obj_get(cr_root(f), "size"))) ||
	    add_s(m, o, "content_type", cr_str(f, "content_type")) != CB_OK)
		return NULL;
	return o;
}

/* The assignment named by the for= value, its class and rels. */
static int
file_assignment(struct cr_ctx *c, const char *aid, yyjson_doc **a,
    char cid[REC_ID_MAX + 1], unsigned *rels)
{
	if (!rec_id_of_type(aid, strlen(aid), REC_ASSIGNMENT))
		return cr_field(c, API_FIELD_VALUE, "for");
	if (cr_get(c, aid, a) != CB_OK)
		return CB_EINVAL;
	snprintf(cid, REC_ID_MAX + 1, "%s", cr_str(*a, "class_id") ?
	    cr_str(*a, "class_id") : "");
	*rels = cr_rels_class(c, cid);
	return CB_OK;
}

/* The new file record. */
static yyjson_mut_doc *
file_record(struct cr_ctx *c, const char *id, const char *purpose,
    const char *aid, const char *cid, const struct file_type *ft,
    const char *name, const struct http_req *q, const char *attached_to,
    char hex[65])
{
	unsigned char sum[32];
	yyjson_mut_doc *m;
	yyjson_mut_val *root;
	size_t blen = (q->body_len / 3 + 1) * 4 + 4;
	char *b64 = malloc(blen);

	if (b64 == NULL || mbedtls_sha256((const unsigned char *)q->body,
	    q->body_len, sum, 0) != 0 || cb_b64url_encode(q->body,
	    q->body_len, b64, blen) != CB_OK) {
		free(b64);
		return NULL;
	}
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", sum[i]);
	if ((m = cr_new_doc(id, REC_FILE)) == NULL) {
		free(b64);
		return NULL;
	}
	root = yyjson_mut_doc_get_root(m);
	if (add_s(m, root, "owner_id", c->c_user->au_uid) != CB_OK ||
	    add_s(m, root, "purpose", purpose) != CB_OK ||
	    add_s(m, root, "assignment_id", aid) != CB_OK ||
	    add_s(m, root, "class_id", cid) != CB_OK ||
	    add_s(m, root, "content_type", ft->ft_ctype) != CB_OK ||
	    add_s(m, root, "name", name) != CB_OK ||
	    !yyjson_mut_obj_add_uint(m, root, "size", q->body_len) ||
	    add_s(m, root, "sha256", hex) != CB_OK ||
	    !yyjson_mut_obj_add_strcpy(m, root, "data", b64) ||
	    !yyjson_mut_obj_add_sint(m, root, "uploaded_at", c->c_now) ||
	    (attached_to != NULL &&
	    add_s(m, root, "attached_to", attached_to) != CB_OK)) {
		yyjson_mut_doc_free(m);
		m = NULL;
	}
	cb_wipe(b64, strlen(b64));
	free(b64);
	return m;
}

/* The assignment with one more attachment (the file f). */
static yyjson_mut_doc *
file_assignment_plus(yyjson_doc *a, yyjson_mut_doc *f, struct cr_ctx *c)
{
	yyjson_mut_doc *m = yyjson_doc_mut_copy(a, NULL);
	yyjson_mut_val *root = m ? yyjson_mut_doc_get_root(m) : NULL;
	yyjson_mut_val *arr, *e;
	yyjson_mut_val *froot = yyjson_mut_doc_get_root(f);

	if (root == NULL)
		return NULL;
	if ((arr = yyjson_mut_obj_get(root, "attachments")) == NULL) {
		if ((arr = yyjson_mut_arr(m)) == NULL ||
		    !yyjson_mut_obj_add_val(m, root, "attachments", arr))
			return yyjson_mut_doc_free(m), NULL;
	}
	if (yyjson_mut_arr_size(arr) >= REC_ATTACH_MAX) {
		yyjson_mut_doc_free(m);
		(void)cr_field(c, API_FIELD_LENGTH, "attachments");
		return NULL;
	}
	if ((e = yyjson_mut_obj(m)) == NULL ||
	    add_s(m, e, "id", yyjson_mut_get_str(yyjson_mut_obj_get(froot,
	    "_id"))) != CB_OK ||
	    add_s(m, e, "name", yyjson_mut_get_str(yyjson_mut_obj_get(froot,
	    "name"))) != CB_OK ||
	    !yyjson_mut_obj_add_uint(m, e, "size", yyjson_mut_get_uint(
	    yyjson_mut_obj_get(froot, "size"))) ||
	    add_s(m, e, "content_type", yyjson_mut_get_str(
	    yyjson_mut_obj_get(froot, "content_type"))) != CB_OK ||
	    !yyjson_mut_arr_append(arr, e))
		return yyjson_mut_doc_free(m), NULL;
	return m;
}

static int
file_reply(struct cr_ctx *c, yyjson_mut_doc *f, const char *hex)
{
	yyjson_mut_doc *o = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *root = o ? yyjson_mut_obj(o) : NULL;
	yyjson_mut_val *fr = yyjson_mut_doc_get_root(f);
	int ok;

	ok = root != NULL &&
	    add_s(o, root, "id", yyjson_mut_get_str(yyjson_mut_obj_get(fr,
	    "_id"))) == CB_OK &&
	    yyjson_mut_obj_add_uint(o, root, "size", yyjson_mut_get_uint(
	    yyjson_mut_obj_get(fr, "size"))) &&
	    add_s(o, root, "sha256", hex) == CB_OK &&
	    add_s(o, root, "content_type", yyjson_mut_get_str(
	    yyjson_mut_obj_get(fr, "content_type"))) == CB_OK &&
	    add_s(o, root, "name", yyjson_mut_get_str(yyjson_mut_obj_get(fr,
	    "name"))) == CB_OK &&
	    add_s(o, root, "for", yyjson_mut_get_str(yyjson_mut_obj_get(fr,
	    "purpose"))) == CB_OK;
	if (ok && yyjson_mut_obj_get(fr, "attached_to") != NULL)
		ok = add_s(o, root, "attached_to", yyjson_mut_get_str(
		    yyjson_mut_obj_get(fr, "attached_to"))) == CB_OK;
	yyjson_mut_doc_free(f);
	if (!ok) {
		yyjson_mut_doc_free(o);
		return api_req_error(c->c_r, API_E_BUSY);
	}
	yyjson_mut_doc_set_root(o, root);
	return api_req_json(c->c_r, 201, o);
}

int
api_files_upload(struct api_req *r)
{
	const struct http_req *q = http_request(r->r_ex);
	const struct file_type *ft;
	struct cr_ctx c;
	yyjson_doc *a = NULL;
	yyjson_mut_doc *docs[2] = { NULL, NULL };
	char forv[REC_ID_MAX + 16], name[FILE_QVAL_MAX];
	char id[REC_ID_MAX + 1], cid[REC_ID_MAX + 1] = "", hex[65];
	const char *aid = NULL, *purpose = NULL;
	unsigned rels = 0;
	int rc;

	if ((rc = cr_begin(r, &c)) != CB_OK)
		return cr_error(&c);
	if (q->body_len > REC_FILE_MAX)
		return cr_fail(&c, API_E_TOO_LARGE), cr_error(&c);
	if ((ft = file_type_of(q->content_type)) == NULL ||
	    !file_sniff(ft, (const unsigned char *)q->body, q->body_len))
		return cr_fail(&c, API_E_MEDIA_TYPE_FILE), cr_error(&c);
	if ((rc = file_query(&c, forv, sizeof(forv), name, sizeof(name))) !=
	    CB_OK)
		return cr_error(&c);
	if (strncmp(forv, "assignment:", 11) == 0) {
		purpose = "assignment";
		aid = forv;
	} else if (strncmp(forv, "submission:", 11) == 0) {
		purpose = "submission";
		aid = forv + 11;
	} else
		return cr_field(&c, API_FIELD_VALUE, "for"), cr_error(&c);
	if (file_name_clean(name, ft) != CB_OK)
		return cr_field(&c, API_FIELD_VALUE, "name"), cr_error(&c);
	rc = file_assignment(&c, aid, &a, cid, &rels);
	if (rc == CB_OK && purpose[0] == 'a')
		/* the class's teachers attach worksheets */
		rc = cr_allow(&c, RS_ASSIGNMENT, PA_CREATE, rels, PSUB_NONE);
	else if (rc == CB_OK) {
		/* a student of the class, for their own submission */
		rc = cr_allow(&c, RS_ASSIGNMENT, PA_READ, rels, PSUB_NONE);
		if (rc == CB_OK)
			rc = cr_is_member(&c, cid, c.c_user->au_uid,
			    "student") ? cr_allow(&c, RS_SUBMISSION,
			    PA_CREATE, REL_SELF, cr_subject(&c,
			    c.c_user->au_uid)) : cr_fail(&c,
			    API_E_FORBIDDEN);
	}
	if (rc == CB_OK && rec_random_id(REC_FILE, id, sizeof(id)) != CB_OK)
		rc = cr_fail(&c, API_E_BUSY);
	if (rc == CB_OK && (docs[0] = file_record(&c, id, purpose, aid, cid,
	    ft, name, q, purpose[0] == 'a' ? aid : NULL, hex)) == NULL)
		rc = cr_fail(&c, API_E_BUSY);
	/* A worksheet: the file and the assignment's new entry, together. */
	if (rc == CB_OK && purpose[0] == 'a' &&
	    (docs[1] = file_assignment_plus(a, docs[0], &c)) == NULL &&
	    c.c_err.ae_code == API_E_NONE)
		rc = cr_fail(&c, API_E_BUSY);
	else if (rc == CB_OK && purpose[0] == 'a' && docs[1] == NULL)
		rc = CB_EINVAL;
	yyjson_doc_free(a);
	if (rc == CB_OK)
		rc = cr_put_many(&c, docs, docs[1] ? 2 : 1);
	yyjson_mut_doc_free(docs[1]);
	if (rc != CB_OK) {
		yyjson_mut_doc_free(docs[0]);
		return cr_error(&c);
	}
	return file_reply(&c, docs[0], hex);
}

/* May the actor read file record f? Its uploader may; once attached, the
 * policy of the assignment or submission it is attached to decides. */
static int
file_may_read(struct cr_ctx *c, yyjson_doc *f)
{
	const char *owner = cr_str(f, "owner_id"), *to = cr_str(f,
	    "attached_to"), *cid = cr_str(f, "class_id"), *sid;
	yyjson_doc *s = NULL;
	unsigned rels;
	int rc;

	if (owner == NULL || cid == NULL)
		return cr_fail(c, API_E_INTERNAL);
	if (strcmp(owner, c->c_user->au_uid) == 0)
		return CB_OK;
	if (to == NULL)
		return cr_fail(c, API_E_FORBIDDEN);
	rels = cr_rels_class(c, cid);
	if (rec_id_of_type(to, strlen(to), REC_ASSIGNMENT))
		return cr_allow(c, RS_ASSIGNMENT, PA_READ, rels, PSUB_NONE);
	if (!rec_id_of_type(to, strlen(to), REC_SUBMISSION))
		return cr_fail(c, API_E_FORBIDDEN);
	if (cr_get(c, to, &s) != CB_OK)
		return CB_EINVAL;
	if ((sid = cr_str(s, "student_id")) == NULL)
		rc = cr_fail(c, API_E_INTERNAL);
	else
		rc = cr_allow(c, RS_SUBMISSION, PA_READ,
		    (rels & REL_OWN_CLASS) |
		    (strcmp(sid, c->c_user->au_uid) == 0 ? REL_SELF : 0) |
		    (cr_is_child(c, sid) ? REL_CHILD : 0), cr_subject(c, sid));
	yyjson_doc_free(s);
	return rc;
}

/* filename*=UTF-8''<pct-encoded>, RFC 5987 attr-chars kept. */
static void
file_disposition(const char *name, char *out, size_t size)
{
	static const char hexd[] = "0123456789ABCDEF";
	size_t o = (size_t)snprintf(out, size, "attachment; filename*=UTF-8''");

	for (; *name != '\0' && o + 4 < size; name++) {
		unsigned char ch = (unsigned char)*name;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("!#$&+-.^_`|~", ch))
			out[o++] = (char)ch;
		else {
			out[o++] = '%';
			out[o++] = hexd[ch >> 4];
			out[o++] = hexd[ch & 15];
		}
	}
	out[o] = '\0';
}

int
api_file_get(struct api_req *r)
{
	char disp[64 + 3 * REC_FILE_NAME_MAX];
	struct cr_ctx c;
	yyjson_doc *f = NULL;
	const char *data, *ct, *name;
	unsigned char *bytes = NULL;
	size_t len = 0, dlen;

	if (cr_begin(r, &c) != CB_OK)
		return cr_error(&c);
	if (!rec_id_of_type(r->r_arg[0], strlen(r->r_arg[0]), REC_FILE))
		return cr_fail(&c, API_E_NOT_FOUND), cr_error(&c);
	if (cr_get(&c, r->r_arg[0], &f) != CB_OK ||
	    file_may_read(&c, f) != CB_OK) {
		yyjson_doc_free(f);
		return cr_error(&c);
	}
	data = cr_str(f, "data");
	ct = cr_str(f, "content_type");
	name = cr_str(f, "name");
	dlen = data ? strlen(data) : 0;
	if (data == NULL || ct == NULL || name == NULL ||
	    (bytes = malloc(dlen / 4 * 3 + 3)) == NULL ||
	    cb_b64url_decode(data, dlen, bytes, dlen / 4 * 3 + 3, &len) !=
	    CB_OK) {
		free(bytes);
		yyjson_doc_free(f);
		return cr_fail(&c, API_E_INTERNAL), cr_error(&c);
	}
	file_disposition(name, disp, sizeof(disp));
	http_add_header(r->r_ex, "Content-Disposition", disp);
	(void)api_req_reply(r, 200, ct, bytes, len);
	yyjson_doc_free(f);
	cb_wipe(bytes, len);
	free(bytes);
	return 0;
}

/* ---- submissions' attachments ----------------------------------------- */

int
files_attach_submission(struct cr_ctx *c, yyjson_val *ids, const char *aid,
    const char *sid, yyjson_mut_doc *m, yyjson_mut_doc **files,
    size_t *nfiles)
{
	yyjson_mut_val *arr, *e, *fr;
	yyjson_val *v;
	yyjson_doc *f;
	size_t i, j, max;
	const char *fid;

	*nfiles = 0;
	if (ids == NULL)
		return CB_OK;
	if (!yyjson_is_arr(ids))
		return cr_field(c, API_FIELD_TYPE, "attachments");
	if (yyjson_arr_size(ids) > REC_ATTACH_MAX)
		return cr_field(c, API_FIELD_LENGTH, "attachments");
	if ((arr = yyjson_mut_arr(m)) == NULL)
		return cr_fail(c, API_E_BUSY);
	(void)yyjson_mut_obj_remove_key(yyjson_mut_doc_get_root(m),
	    "attachments");
	if (!yyjson_mut_obj_add_val(m, yyjson_mut_doc_get_root(m),
	    "attachments", arr))
		return cr_fail(c, API_E_BUSY);
	yyjson_arr_foreach(ids, i, max, v) {
		fid = yyjson_get_str(v);
		if (fid == NULL || !rec_id_of_type(fid, yyjson_get_len(v),
		    REC_FILE))
			return cr_field(c, API_FIELD_VALUE, "attachments");
		for (j = 0; j < i; j++)
			if (yyjson_equals_str(yyjson_arr_get(ids, j), fid))
				return cr_field(c, API_FIELD_VALUE,
				    "attachments");
		if (cr_get(c, fid, &f) != CB_OK) {
			memset(&c->c_err, 0, sizeof(c->c_err));
			return cr_field(c, API_FIELD_VALUE, "attachments");
		}
		/* the student's own upload for this assignment, not yet
		 * attached elsewhere */
		if (cr_str(f, "owner_id") == NULL || cr_str(f,
		    "assignment_id") == NULL || cr_str(f, "purpose") == NULL ||
		    strcmp(cr_str(f, "owner_id"), c->c_user->au_uid) != 0 ||
		    strcmp(cr_str(f, "assignment_id"), aid) != 0 ||
		    strcmp(cr_str(f, "purpose"), "submission") != 0 ||
		    cr_str(f, "attached_to") != NULL) {
			yyjson_doc_free(f);
			return cr_field(c, API_FIELD_VALUE, "attachments");
		}
		e = file_entry(m, f);
		files[*nfiles] = yyjson_doc_mut_copy(f, NULL);
		yyjson_doc_free(f);
		if (files[*nfiles] == NULL)
			return cr_fail(c, API_E_BUSY);
		fr = yyjson_mut_doc_get_root(files[(*nfiles)++]);
		if (e == NULL || !yyjson_mut_arr_append(arr, e) ||
		    !yyjson_mut_obj_add_strcpy(files[*nfiles - 1], fr,
		    "attached_to", sid))
			return cr_fail(c, API_E_BUSY);
	}
	return CB_OK;
}
