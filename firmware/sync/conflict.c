/*
 * conflict.c (sync): conflict rules applied to the store after a pull.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

#include "base/cb.h"
#include "core/conflict.h"
#include "sync/conflict.h"
#include "sync/repl.h"

/* The record's id (core/conflict.h): the same on every peer. */
static void
record_id(const char *id, const struct store_doc *live, size_t n,
    char out[CONFLICT_RECORD_ID_LEN + 1])
{
	const char *revs[CONFLICT_MAX_LEAVES];

	for (size_t i = 0; i < n && i < CONFLICT_MAX_LEAVES; i++)
		revs[i] = live[i].sd_rev;
	conflict_record_id(id, revs, n < CONFLICT_MAX_LEAVES ? n :
	    CONFLICT_MAX_LEAVES, out);
}

static int
write_record(struct sync_ctx *c, const char *id, const char *type,
    enum conflict_rule rule, const struct store_doc *live, size_t n,
    const struct conflict_decision *dec)
{
	char rid[CONFLICT_RECORD_ID_LEN + 1];
	struct store_doc old;
	struct store_put_result res;
	size_t len;
	int rc = CB_ENOMEM;

	record_id(id, live, n, rid);
	if (store_get(c->sc_store, rid, NULL, 0, &old) == CB_OK) {
		store_doc_free(&old);
		return CB_OK;		/* recorded already */
	}
	yyjson_mut_doc *d = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *root = yyjson_mut_obj(d), *closed = yyjson_mut_arr(d),
	    *open = yyjson_mut_arr(d);
	yyjson_mut_doc_set_root(d, root);
	if (!yyjson_mut_obj_add_str(d, root, "_id", rid) ||
	    !yyjson_mut_obj_add_str(d, root, "type", "conflict_resolution") ||
	    !yyjson_mut_obj_add_str(d, root, "doc_id", id) ||
	    !yyjson_mut_obj_add_str(d, root, "doc_type", type ? type : "") ||
	    !yyjson_mut_obj_add_str(d, root, "rule",
	    conflict_rule_name(rule)) ||
	    !yyjson_mut_obj_add_str(d, root, "kept_rev",
	    live[dec->cd_keep].sd_rev) ||
	    !yyjson_mut_obj_add_val(d, root, "closed", closed) ||
	    !yyjson_mut_obj_add_val(d, root, "open", open))
		goto out;
	for (size_t i = 0; i < dec->cd_nclose; i++) {
		const struct store_doc *l = &live[dec->cd_close[i]];
		yyjson_mut_val *o = yyjson_mut_obj(d);
		if (!yyjson_mut_obj_add_str(d, o, "rev", l->sd_rev) ||
		    !yyjson_mut_obj_add_val(d, o, "doc",
		    yyjson_mut_rawncpy(d, l->sd_json, l->sd_len)) ||
		    !yyjson_mut_arr_append(closed, o))
			goto out;
	}
	if (dec->cd_nclose == 0)
		for (size_t i = 0; i < n; i++)
			if (i != dec->cd_keep &&
			    !yyjson_mut_arr_add_str(d, open, live[i].sd_rev))
				goto out;
	char *json = yyjson_mut_write(d, 0, &len);
	if (json == NULL)
		goto out;
	if (len > CONFLICT_RECORD_MAX)
		rc = CB_ETOOBIG;
	else
		rc = store_put(c->sc_store, json, len, 1, &res);
	free(json);
	if (rc == CB_ETOOBIG)
		log_warn("sync: the resolution record of a conflict is too "
		    "large; the closed versions stay only in the cloud");
	if (rc == CB_ETOOBIG || rc == CB_EEXIST)
		rc = CB_OK;
out:
	yyjson_mut_doc_free(d);
	return rc;
}

static int
close_leaf(struct sync_ctx *c, const char *id, const char *rev)
{
	struct store_put_result res;
	char json[DOC_ID_MAX + REV_MAX + 64];
	yyjson_mut_doc *d = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *root = yyjson_mut_obj(d);
	size_t len;
	int rc = CB_ENOMEM;

	yyjson_mut_doc_set_root(d, root);
	if (yyjson_mut_obj_add_str(d, root, "_id", id) &&
	    yyjson_mut_obj_add_str(d, root, "_rev", rev) &&
	    yyjson_mut_obj_add_bool(d, root, "_deleted", true)) {
		char *s = yyjson_mut_write(d, 0, &len);
		if (s != NULL && len < sizeof(json)) {
			memcpy(json, s, len + 1);
			rc = store_put(c->sc_store, json, len, 1, &res);
			if (rc == CB_EEXIST)
				rc = CB_OK;	/* closed by someone already */
		}
		free(s);
	}
	yyjson_mut_doc_free(d);
	return rc;
}

/* One document: its live leaves, its rule, the decision, the writes. */
static int
resolve_one(struct sync_ctx *c, const struct proto_change *pc)
{
	struct conflict_leaf leaves[CONFLICT_MAX_LEAVES];
	struct conflict_decision dec;
	struct store_doc *docs, live[CONFLICT_MAX_LEAVES];
	size_t n, nlive = 0;
	char type[64] = "";
	int rc;

	if ((rc = store_get_leaves(c->sc_store, pc->pc_id, 0, &docs, &n)))
		return rc == CB_ENOTFOUND ? CB_OK : rc;
	for (size_t i = 0; i < n && nlive < CONFLICT_MAX_LEAVES; i++)
		if (!docs[i].sd_deleted)
			live[nlive++] = docs[i];
	if (nlive < 2)
		goto out;
	for (size_t i = 0; i < nlive; i++) {
		yyjson_doc *j = yyjson_read(live[i].sd_json, live[i].sd_len,
		    0);
		yyjson_val *r = yyjson_doc_get_root(j);
		yyjson_val *e = yyjson_obj_get(r, "edited_at");
		const char *t = yyjson_get_str(yyjson_obj_get(r, "type"));
		if (i == 0 && t != NULL)
			(void)cb_strlcpy(type, t, sizeof(type));
		leaves[i].cl_rev = live[i].sd_rev;
		leaves[i].cl_edited_at = yyjson_is_int(e) ?
		    yyjson_get_sint(e) : -1;
		leaves[i].cl_from_cloud = 0;
		for (size_t k = 0; k < pc->pc_nrevs; k++)
			if (strcmp(pc->pc_revs[k], live[i].sd_rev) == 0)
				leaves[i].cl_from_cloud = 1;
		yyjson_doc_free(j);
	}
	enum conflict_rule rule = conflict_rule_for(type);
	if ((rc = conflict_decide(rule, leaves, nlive, &dec)) != CB_OK ||
	    !dec.cd_record)
		goto out;
	if ((rc = write_record(c, pc->pc_id, type, rule, live, nlive, &dec)))
		goto out;
	for (size_t i = 0; rc == CB_OK && i < dec.cd_nclose; i++)
		rc = close_leaf(c, pc->pc_id, live[dec.cd_close[i]].sd_rev);
	if (rc == CB_OK && dec.cd_nclose > 0)
		c->sc_stats.ss_resolved++;
out:
	store_docs_free(docs, n);
	return rc;
}

int
conflict_apply(struct sync_ctx *c, const struct proto_changes *ch)
{
	int rc;

	for (size_t i = 0; i < ch->pcs_n; i++) {
		const struct proto_change *pc = &ch->pcs_rows[i];
		if (strncmp(pc->pc_id, "conflict:", 9) == 0 ||
		    strncmp(pc->pc_id, "_design/", 8) == 0)
			continue;
		if ((rc = resolve_one(c, pc)) != CB_OK) {
			log_warn("sync: conflict rules on %s: %s", pc->pc_id,
			    store_errmsg(c->sc_store));
			c->sc_stats.ss_rejected++;
		}
	}
	return CB_OK;
}
