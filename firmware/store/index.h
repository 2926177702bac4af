/*
 * index.h: secondary indexes of classroom documents: by class, by user and
 * by date. Each is a table whose keys are "<value> NUL <doc id>" with an
 * empty value, written in the same transaction as the document, so an index
 * never disagrees with the documents it points to.
 *
 * Index keys are stored in clear (LMDB cannot seal a key), so they carry
 * ids and dates only: a value must be an id of [A-Za-z0-9._:-] or a date
 * YYYY-MM-DD; a name (any non-ASCII text, spaces) cannot even be indexed.
 *
 * Which fields feed which index is declared per type in index.c (for
 * example attendance: class_id -> by class, student_id -> by user, date ->
 * by date). Only the winning, live revision of a document is indexed.
 */
#ifndef INDEX_H
#define INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "store/doc.h"
#include "store/kv.h"

enum index_kind {
	INDEX_BY_CLASS,
	INDEX_BY_USER,
	INDEX_BY_DATE,
	INDEX_COUNT
};

#define INDEX_VALUE_MAX		64	/* bytes of an indexed id or date */
#define INDEX_MAX_PER_DOC	8	/* entries one document may have */
#define INDEX_SCAN_MAX		1000	/* hits per page */
#define INDEX_SCAN_STEPS	100000	/* keys examined per page */
#define INDEX_CURSOR_MAX	384	/* base64url of a key, with NUL */

struct index_entry {
	uint8_t ie_kind;
	uint8_t ie_len;
	char ie_value[INDEX_VALUE_MAX + 1];
};

struct index_set {
	uint8_t is_n;
	struct index_entry is_e[INDEX_MAX_PER_DOC];
};

/* The entries a body (canonical JSON, with its "type") declares. A declared
 * field that is present but not an id or date is CB_EINVAL, with a message
 * in err. Types without declarations have no entries. */
int index_entries(const char *body, size_t bodylen, struct index_set *out,
    char *err, size_t errsize);

/* Replace a document's entries old (NULL: none) with new (NULL: none). */
int index_apply(struct kv_txn *txn, const kv_table tables[INDEX_COUNT],
    const char *id, size_t idlen, const struct index_set *old,
    const struct index_set *neu);

/* The set as kept in a document's record. */
size_t index_set_encoded_size(const struct index_set *s);
void index_set_encode(const struct index_set *s, uint8_t *out);
int index_set_decode(struct index_set *s, const uint8_t *in, size_t len,
    size_t *used);

/* A range scan: values from..to (inclusive; to NULL means from), doc ids
 * starting with id_prefix if set (ids start with their type, e.g.
 * "attendance:"), after a cursor from a previous page. */
struct index_query {
	enum index_kind iq_index;
	const char *iq_from;
	const char *iq_to;
	const char *iq_id_prefix;
	const char *iq_after;
	size_t iq_limit;
};

struct index_hit {
	char ih_value[INDEX_VALUE_MAX + 1];
	char ih_id[DOC_ID_MAX + 1];
};

/* Fill up to iq_limit hits. next gets a cursor for the following page, or
 * "" when the range is exhausted. */
int index_scan(struct kv_txn *txn, kv_table table, const struct index_query *q,
    struct index_hit *hits, size_t *nhits, char next[INDEX_CURSOR_MAX]);

#endif
