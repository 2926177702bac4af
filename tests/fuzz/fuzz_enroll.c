/*
 * fuzz_enroll.c: the enrollment file (sync/enroll.c), the same bytes
 * without its server certificate and key as web hands it to sync
 * (enroll_without_server, sync/drop.c), and as a cloud URL
 * (net/httpcli.c).
 * A crash, leak or sanitizer report is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cb.h"
#include "net/httpcli.h"
#include "sync/drop.h"
#include "sync/enroll.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct enroll e;
	struct httpcli_url u;
	char err[256], *s, *kept;
	size_t klen;

	if (enroll_parse((const char *)data, size, &e, err, sizeof(err)) ==
	    CB_OK)
		enroll_free(&e);
	if (size <= ENROLL_MAX_BYTES && enroll_without_server((const char *)data,
	    size, &kept, &klen) == CB_OK && kept != NULL) {
		/* What is kept parses as the input did, less the two fields. */
		if (enroll_parse(kept, klen, &e, err, sizeof(err)) == CB_OK)
			enroll_free(&e);
		free(kept);
	}
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	(void)httpcli_url_parse(s, &u);
	free(s);
	return 0;
}
