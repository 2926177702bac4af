/*
 * fuzz_enroll.c: the enrollment file (sync/enroll.c), and the same bytes as a
 * cloud URL (net/httpcli.c).
 * A crash, leak or sanitizer report is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cb.h"
#include "net/httpcli.h"
#include "sync/enroll.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct enroll e;
	struct httpcli_url u;
	char err[256], *s;

	if (enroll_parse((const char *)data, size, &e, err, sizeof(err)) ==
	    CB_OK)
		enroll_free(&e);
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	(void)httpcli_url_parse(s, &u);
	free(s);
	return 0;
}
