/*
 * atts.h: file records on the wire as CouchDB attachments (docs/sync.md,
 * "Attachments"). Pure: no I/O, no store, so that unit tests and the fuzz
 * target reach exactly what the sync process runs.
 *
 * On the box a file record (type "file") keeps its bytes inline, in
 * base64url without padding, in the field "data". On the wire the same
 * revision is the same document without "data" and with one attachment
 * named ATTS_NAME: {"content_type": <the record's content_type>, "data":
 * <standard base64>}. The mapping is a bijection between the two bodies,
 * so both sides hold the same revision id for the same content, and a
 * record the box made (revision = MD5 of its canonical body, docs/store.md)
 * comes back from the cloud byte-identical.
 */
#ifndef SYNC_ATTS_H
#define SYNC_ATTS_H

#include <stddef.h>

#include "core/records.h"
#include "store/doc.h"
#include "store/revtree.h"

#define ATTS_NAME	"data"		/* the one attachment of a file record */
#define ATTS_WHY_MAX	256		/* bytes of a refusal, one line */
/* Attachment bytes (as base64) asked of the cloud in one _bulk_get with
 * attachments=true: 8 MiB is 8 files of REC_FILE_MAX (750 KiB, 1 MiB of
 * base64), so the answer stays far below HTTPCLI_MAX_RESPONSE (48 MiB). */
#define ATTS_GET_BYTES	(8u << 20)
/*
 * CouchDB (1.0 to 3.4) stores compressible types (text/..., JSON, XML,
 * JavaScript) gzip-encoded, and an attachment's digest is the MD5 of the
 * bytes it stores, never of the file: inline (attachments=true) it sends
 * the file inflated, which no digest it holds describes. So a stub that
 * says "encoding": "gzip" (asked with att_encoding_info=true) is fetched
 * by itself as stored (GET /db/id/data?rev=, Accept-Encoding: gzip, not
 * inflated: net/httpcli.h httpcli_get_encoded), checked against its
 * digest, then inflated (atts_from_encoded). Deflate grows what it cannot
 * compress by 5 bytes a 64 KiB block and gzip adds 18: a stored file of
 * REC_FILE_MAX is at most ATTS_GZIP_MAX bytes.
 */
#define ATTS_GZIP_MAX	(REC_FILE_MAX + REC_FILE_MAX / 64 + 64)

/* Box to cloud. A live file record with "data" becomes its wire form in
 * *out (malloc'd, NUL-terminated); any other document leaves *out NULL
 * (sent as stored). CB_ENOMEM only. */
int atts_to_wire(const char *json, size_t len, char **out, size_t *outlen);

enum atts_kind {
	ATTS_PLAIN = 0,		/* no _attachments: store as sent */
	ATTS_STUB,		/* an acceptable stub: fetch its data */
	ATTS_INLINE,		/* checked; ai_json is the record to store */
};

struct atts_in {
	enum atts_kind ai_kind;
	char ai_id[DOC_ID_MAX + 1];
	char ai_rev[REV_MAX + 1];
	size_t ai_length;		/* STUB, INLINE: bytes of the file */
	int ai_gzip;			/* STUB: stored gzip-encoded, so its
					 * data comes by atts_from_encoded */
	char *ai_json;			/* INLINE: malloc'd, NUL-terminated */
	size_t ai_len;
	char ai_why[ATTS_WHY_MAX];	/* refused: "<id> <rev>: why" */
};

/* Cloud to box: classify a document the cloud sent (compact JSON with
 * _id and _rev). want_data: the data was asked for (attachments=true),
 * so a stub is refused. Returns CB_OK; CB_EINVAL or CB_ETOOBIG when the
 * revision must be refused (ai_why says why: attachments on another type,
 * more than one, a stub the box does not hold, over REC_FILE_MAX, a type
 * not allowed or not matching the bytes, a length, digest, size or sha256
 * that does not match); CB_ENOMEM. */
int atts_from_wire(const char *json, size_t len, int want_data,
    struct atts_in *out);
/* Cloud to box, for a stub atts_from_wire marked ai_gzip: the stub's
 * document and the answer to GET .../data?rev= (body, len; gzipped: it
 * came with Content-Encoding: gzip and was kept as sent). The digest is
 * checked against those bytes; then they are inflated (one whole gzip
 * member of at most REC_FILE_MAX bytes, nothing after it) and judged as
 * inline data is. An answer that came decoded is refused: no digest
 * describes it. ATTS_INLINE, or a refusal as atts_from_wire's. */
int atts_from_encoded(const char *stub_json, size_t stub_len,
    const unsigned char *body, size_t len, int gzipped, struct atts_in *out);
void atts_in_free(struct atts_in *a);

#endif
