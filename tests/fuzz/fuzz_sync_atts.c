/*
 * fuzz_sync_atts.c: a document the cloud sent, with or without CouchDB
 * _attachments (sync/atts.c), both with the data asked for and not; a
 * record it accepts is parsed as replication input (as the store does)
 * and mapped back to its wire form, which must come back to the same
 * record. The input is also taken as a box record and mapped to the wire.
 * Input with a NUL is also a gzip-stored stub, NUL, then the bytes GET
 * .../data answered (sync/atts.c atts_from_encoded): as they are, as if
 * they came decoded, and with the stub's digest and encoded_length made
 * to fit them, so that the fuzzer reaches the inflating.
 * A crash, leak, sanitizer report or a mapping that does not round-trip
 * is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/base64.h>
#include <mbedtls/md5.h>
#include <yyjson.h>

#include "base/cb.h"
#include "store/doc.h"
#include "sync/atts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The wire form of rec with the digest a server adds; the record must
 * come back unchanged. */
static void
round_trip(const char *rec, size_t len, size_t nbytes)
{
	char *wire, *served, digest[40] = "md5-";
	size_t wlen, dl;
	struct atts_in back;

	if (atts_to_wire(rec, len, &wire, &wlen) != CB_OK || wire == NULL)
		abort();	/* an accepted record always maps */
	yyjson_doc *d = yyjson_read(wire, wlen, 0);
	yyjson_mut_doc *m = yyjson_doc_mut_copy(d, NULL);
	yyjson_mut_val *a = yyjson_mut_obj_get(yyjson_mut_obj_get(
	    yyjson_mut_doc_get_root(m), "_attachments"), ATTS_NAME);
	const char *b64 = yyjson_mut_get_str(yyjson_mut_obj_get(a, "data"));
	unsigned char *b = malloc(nbytes + 1), md5[16];
	size_t n;
	if (b64 == NULL || b == NULL || mbedtls_base64_decode(b, nbytes + 1,
	    &n, (const unsigned char *)b64, strlen(b64)) != 0 || n != nbytes)
		abort();
	mbedtls_md5(b, n, md5);
	mbedtls_base64_encode((unsigned char *)digest + 4, 30, &dl, md5, 16);
	yyjson_mut_obj_add_strcpy(m, a, "digest", digest);
	served = yyjson_mut_write(m, 0, NULL);
	if (served == NULL || atts_from_wire(served, strlen(served), 1,
	    &back) != CB_OK || back.ai_kind != ATTS_INLINE ||
	    back.ai_len != len || memcmp(back.ai_json, rec, len) != 0)
		abort();
	atts_in_free(&back);
	free(served);
	free(b);
	yyjson_mut_doc_free(m);
	yyjson_doc_free(d);
	free(wire);
}

/* The stub's digest and encoded_length set for body[0..n): malloc'd. */
static char *
fitted_stub(const char *stub, size_t len, const uint8_t *body, size_t n)
{
	char digest[40] = "md5-", *out = NULL;
	unsigned char md5[16];
	size_t dl;
	yyjson_doc *d = yyjson_read(stub, len, 0);
	yyjson_mut_doc *m = yyjson_doc_mut_copy(d, NULL);
	yyjson_mut_val *a = yyjson_mut_obj_get(yyjson_mut_obj_get(
	    yyjson_mut_doc_get_root(m), "_attachments"), ATTS_NAME);

	if (yyjson_mut_is_obj(a)) {
		mbedtls_md5(body, n, md5);
		mbedtls_base64_encode((unsigned char *)digest + 4, 30, &dl,
		    md5, 16);
		yyjson_mut_obj_remove_key(a, "digest");
		yyjson_mut_obj_remove_key(a, "encoded_length");
		yyjson_mut_obj_add_strcpy(m, a, "digest", digest);
		yyjson_mut_obj_add_uint(m, a, "encoded_length", n);
		out = yyjson_mut_write(m, 0, NULL);
	}
	yyjson_mut_doc_free(m);
	yyjson_doc_free(d);
	return out;
}

static void
encoded(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	struct atts_in a;
	char *fit;

	if (nul == NULL)
		return;
	size_t slen = (size_t)(nul - data), n = size - slen - 1;
	for (int gz = 0; gz < 2; gz++) {
		if (atts_from_encoded((const char *)data, slen, nul + 1, n, gz,
		    &a) == CB_OK && (!gz || a.ai_kind != ATTS_INLINE ||
		    a.ai_length > REC_FILE_MAX))
			abort();
		atts_in_free(&a);
	}
	if (n > ATTS_GZIP_MAX || (fit = fitted_stub((const char *)data, slen,
	    nul + 1, n)) == NULL)
		return;
	if (atts_from_encoded(fit, strlen(fit), nul + 1, n, 1, &a) == CB_OK) {
		struct doc_input di;
		char err[128];
		if (a.ai_kind != ATTS_INLINE || a.ai_length > REC_FILE_MAX)
			abort();
		/* What the store accepts must map back exactly. */
		if (doc_parse(a.ai_json, a.ai_len, 0, &di, err,
		    sizeof(err)) == CB_OK) {
			doc_input_free(&di);
			round_trip(a.ai_json, a.ai_len, a.ai_length);
		}
	}
	atts_in_free(&a);
	free(fit);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct doc_input di;
	struct atts_in a;
	char err[128], *wire;
	size_t wlen;

	for (int want = 0; want < 2; want++) {
		if (atts_from_wire((const char *)data, size, want, &a) ==
		    CB_OK && a.ai_kind == ATTS_INLINE) {
			/* What the store accepts must map back exactly. */
			if (doc_parse(a.ai_json, a.ai_len, 0, &di, err,
			    sizeof(err)) == CB_OK) {
				doc_input_free(&di);
				round_trip(a.ai_json, a.ai_len, a.ai_length);
			}
		}
		atts_in_free(&a);
	}
	if (atts_to_wire((const char *)data, size, &wire, &wlen) == CB_OK)
		free(wire);
	encoded(data, size);
	return 0;
}
