/*
 * conflict.c: conflict rules per record type (conflict.h).
 */
#include <string.h>

#include <mbedtls/sha256.h>
#include <yyjson.h>

#include "base/cb.h"
#include "core/conflict.h"
#include "core/rev.h"

static const struct {
	const char *type;
	enum conflict_rule rule;
} conflict_rules[] = {
	{ "user", CONFLICT_CLOUD_WINS },
	{ "class", CONFLICT_CLOUD_WINS },
	{ "membership", CONFLICT_CLOUD_WINS },
	{ "attendance", CONFLICT_LAST_WRITER },
	{ "submission", CONFLICT_APPEND_ONLY },
	{ "receipt", CONFLICT_APPEND_ONLY },
	{ "absence_notice", CONFLICT_APPEND_ONLY },
	{ "guidance_note", CONFLICT_MANUAL },
};

void
conflict_record_id(const char *id, const char *const *revs, size_t n,
    char out[CONFLICT_RECORD_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	mbedtls_sha256_context h;

	mbedtls_sha256_init(&h);
	mbedtls_sha256_starts(&h, 0);
	mbedtls_sha256_update(&h, (const unsigned char *)id, strlen(id) + 1);
	for (size_t i = 0; i < n; i++)
		mbedtls_sha256_update(&h, (const unsigned char *)revs[i],
		    strlen(revs[i]) + 1);
	mbedtls_sha256_finish(&h, md);
	mbedtls_sha256_free(&h);
	memcpy(out, "conflict:", 9);
	for (int i = 0; i < 16; i++) {
		out[9 + 2 * i] = hex[md[i] >> 4];
		out[10 + 2 * i] = hex[md[i] & 15];
	}
	out[CONFLICT_RECORD_ID_LEN] = 0;
}

static int
merge_bad(const char *field, int missing, const char **bad, int *miss)
{
	*bad = field;
	*miss = missing;
	return CB_EINVAL;
}

int
conflict_merge_parse(struct yyjson_val *root, struct conflict_merge_req *out,
    const char **bad, int *missing)
{
	yyjson_val *text = yyjson_obj_get(root, "text");
	yyjson_val *revs = yyjson_obj_get(root, "revs"), *x;
	yyjson_arr_iter it;
	uint32_t gen;
	const char *hash;
	size_t hl, k;

	memset(out, 0, sizeof(*out));
	if (!yyjson_is_obj(root))
		return merge_bad("text", 1, bad, missing);
	if (text == NULL || !yyjson_is_str(text))
		return merge_bad("text", text == NULL, bad, missing);
	out->cm_text = yyjson_get_str(text);
	if (revs == NULL || !yyjson_is_arr(revs) ||
	    yyjson_arr_size(revs) < CONFLICT_MERGE_MIN ||
	    yyjson_arr_size(revs) > CONFLICT_MERGE_MAX)
		return merge_bad("revs", revs == NULL, bad, missing);
	yyjson_arr_iter_init(revs, &it);
	while ((x = yyjson_arr_iter_next(&it)) != NULL) {
		const char *s = yyjson_get_str(x);
		if (s == NULL || rev_parse(s, yyjson_get_len(x), &gen, &hash,
		    &hl) != CB_OK || strlen(s) != yyjson_get_len(x))
			return merge_bad("revs", 0, bad, missing);
		for (k = 0; k < out->cm_nrevs && strcmp(out->cm_revs[k], s);
		    k++)
			;
		if (k < out->cm_nrevs)
			return merge_bad("revs", 0, bad, missing);
		out->cm_revs[out->cm_nrevs++] = s;
	}
	return CB_OK;
}

const char *
conflict_rule_type(size_t i)
{
	return i < CB_ARRAY_LEN(conflict_rules) ? conflict_rules[i].type :
	    NULL;
}

enum conflict_rule
conflict_rule_for(const char *type)
{
	if (type == NULL)
		return CONFLICT_COUCH_WINNER;
	for (size_t i = 0; i < CB_ARRAY_LEN(conflict_rules); i++)
		if (strcmp(type, conflict_rules[i].type) == 0)
			return conflict_rules[i].rule;
	return CONFLICT_COUCH_WINNER;
}

const char *
conflict_rule_name(enum conflict_rule r)
{
	switch (r) {
	case CONFLICT_CLOUD_WINS: return "cloud_wins";
	case CONFLICT_LAST_WRITER: return "last_writer_wins";
	case CONFLICT_APPEND_ONLY: return "append_only";
	case CONFLICT_MANUAL: return "manual";
	default: return "couchdb_winner";
	}
}

/* Close every leaf but keep. */
static void
close_others(size_t keep, size_t n, struct conflict_decision *out)
{
	out->cd_keep = keep;
	for (size_t i = 0; i < n; i++)
		if (i != keep)
			out->cd_close[out->cd_nclose++] = i;
}

int
conflict_decide(enum conflict_rule rule, const struct conflict_leaf *l,
    size_t n, struct conflict_decision *out)
{
	size_t i, keep = 0;

	memset(out, 0, sizeof(*out));
	if (l == NULL || n < 2 || n > CONFLICT_MAX_LEAVES)
		return CB_EINVAL;
	switch (rule) {
	case CONFLICT_CLOUD_WINS:
		/* The first (in CouchDB's order) that the cloud has. */
		for (i = 0; i < n && !l[i].cl_from_cloud; i++)
			;
		if (i == n)
			return CB_OK;	/* the cloud has none: leave it */
		close_others(i, n, out);
		out->cd_record = 1;
		return CB_OK;
	case CONFLICT_LAST_WRITER:
		/* Latest edit time; a tie goes to CouchDB's order. */
		for (i = 1; i < n; i++)
			if (l[i].cl_edited_at > l[keep].cl_edited_at)
				keep = i;
		close_others(keep, n, out);
		out->cd_record = 1;
		return CB_OK;
	case CONFLICT_APPEND_ONLY:
	case CONFLICT_MANUAL:
		out->cd_record = 1;	/* nothing closed: every version stays */
		return CB_OK;
	default:
		return CB_OK;
	}
}
