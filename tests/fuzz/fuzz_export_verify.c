/*
 * fuzz_export_verify.c: `classbox audit verify --export` reads a file
 * anyone may have made or changed: the ZIP reader (core/zip.c zip_read),
 * the heads and manifest JSON, and every log line (audit/export_log.c).
 * It must never crash, read out of bounds or call a file intact that
 * zip_read refuses. An input that starts with '{' is also tried as one
 * log line: what parses must format to a line that parses to the same
 * entry.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/export_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
one_line(const uint8_t *data, size_t size)
{
	struct audit_entry e, e2;
	char line[AUDIT_LINE_MAX], why[120];
	size_t n;

	if (audit_line_parse((const char *)data, size, &e, why,
	    sizeof(why)) != 0)
		return;
	if ((n = audit_line_format(&e, line, sizeof(line))) == 0 ||
	    audit_line_parse(line, n - 1, &e2, why, sizeof(why)) != 0 ||
	    memcmp(e.ae_hash, e2.ae_hash, sizeof(e.ae_hash)) != 0)
		abort();	/* the format does not round-trip */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char report[4096];
	int rc;

	if (size > 0 && data[0] == '{')
		one_line(data, size);
	rc = audit_export_verify(data, size, report, sizeof(report));
	if (rc < 0 || rc > 2 || strlen(report) >= sizeof(report))
		abort();
	return 0;
}
