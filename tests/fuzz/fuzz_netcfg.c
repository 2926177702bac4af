/*
 * fuzz_netcfg.c: arbitrary bytes as the request file that web writes and
 * `classbox netcfg` reads as root (net/netcfg.c), and as the state file.
 * Invariants: an accepted request is valid and formats back to exactly
 * the input (the format is canonical); so does an accepted state.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/cb.h"
#include "net/netcfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netcfg_req r;
	struct netcfg_state s;
	char again[NETCFG_FILE_MAX + 1];
	const char *why;

	if (netcfg_req_parse((const char *)data, size, &r) == CB_OK) {
		assert(netcfg_validate(&r, &why) == CB_OK);
		assert(r.nr_ndns <= NETCFG_DNS_MAX);
		assert(netcfg_req_format(&r, again, sizeof(again)) == CB_OK);
		assert(strlen(again) == size && memcmp(again, data, size) == 0);
	}
	if (netcfg_state_parse((const char *)data, size, &s) == CB_OK) {
		assert(memchr(s.ns_message, '\0', sizeof(s.ns_message)));
		(void)netcfg_state_format(&s, again, sizeof(again));
	}
	return 0;
}
