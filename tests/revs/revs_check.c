/*
 * revs_check.c: the classbox side of tests/revs/run. Reads the edit
 * histories made by gen.js, stores every revision through the store with
 * new_edits=0 in arrival order, and prints per document, like pouch.js:
 *   <id> <winning rev> <deleted 0|1> <sorted conflicts, comma-separated, or ->
 * Usage: revs_check HISTORIES.json DATA_DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

#include "base/cb.h"
#include "store/store.h"

static int
put_rev(struct store *s, const char *id, yyjson_val *r)
{
	yyjson_mut_doc *m = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *o = yyjson_mut_obj(m);
	yyjson_val *rev = yyjson_obj_get(r, "rev");
	struct store_put_result res;
	size_t len;
	char *json;
	int rc;

	yyjson_mut_doc_set_root(m, o);
	yyjson_mut_obj_add_str(m, o, "_id", id);
	yyjson_mut_obj_add_str(m, o, "_rev", yyjson_get_str(rev));
	yyjson_mut_obj_add_val(m, o, "_revisions",
	    yyjson_val_mut_copy(m, yyjson_obj_get(r, "revisions")));
	if (yyjson_get_bool(yyjson_obj_get(r, "deleted")))
		yyjson_mut_obj_add_bool(m, o, "_deleted", true);
	yyjson_mut_obj_add_str(m, o, "type", "t");
	yyjson_mut_obj_add_str(m, o, "rev", yyjson_get_str(rev));
	json = yyjson_mut_write(m, 0, &len);
	rc = json ? store_put(s, json, len, 0, &res) : CB_ENOMEM;
	if (rc != 0)
		fprintf(stderr, "%s %s: %s\n", id, yyjson_get_str(rev),
		    store_errmsg(s));
	free(json);
	yyjson_mut_doc_free(m);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
print_doc(struct store *s, const char *id)
{
	struct store_doc_info info;
	const char *conf[REVTREE_MAX_LEAVES];
	size_t n = 0;
	int rc;

	if ((rc = store_doc_info(s, id, &info)) != 0)
		return rc;
	for (size_t i = 1; i < info.si_nleaves; i++)
		if (!info.si_leaves[i].sl_deleted)
			conf[n++] = info.si_leaves[i].sl_rev;
	qsort(conf, n, sizeof(conf[0]), cmp_str);
	printf("%s %s %d ", id, info.si_leaves[0].sl_rev,
	    info.si_leaves[0].sl_deleted);
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i ? "," : "", conf[i]);
	printf("%s\n", n ? "" : "-");
	store_doc_info_free(&info);
	return CB_OK;
}

int
main(int argc, char **argv)
{
	yyjson_val *h, *r, *revs;
	yyjson_doc *doc;
	struct store *s;
	size_t i, max, j, jmax;
	int rc = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: revs_check HISTORIES.json DATA_DIR\n");
		return 2;
	}
	if ((doc = yyjson_read_file(argv[1], 0, NULL, NULL)) == NULL) {
		fprintf(stderr, "revs_check: cannot read %s\n", argv[1]);
		return 2;
	}
	if (store_open(&s, argv[2], NULL) != 0)
		return 2;
	yyjson_arr_foreach(yyjson_doc_get_root(doc), i, max, h) {
		const char *id = yyjson_get_str(yyjson_obj_get(h, "id"));
		revs = yyjson_obj_get(h, "revs");
		yyjson_arr_foreach(revs, j, jmax, r)
			if (rc == 0)
				rc = put_rev(s, id, r);
		if (rc == 0)
			rc = print_doc(s, id);
	}
	store_close(s);
	yyjson_doc_free(doc);
	return rc == 0 ? 0 : 1;
}
