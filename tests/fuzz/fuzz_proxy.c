/*
 * fuzz_proxy.c: the proxy settings besides the enrollment's (sync/proxy.c):
 * the admin's setting (JSON from web, and as sync keeps it), the same
 * bytes as a --proxy-auth file and as a --proxy URL. A setting that
 * parses must come back the same from its canonical JSON.
 * A crash, leak, sanitizer report or failed round trip is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cb.h"
#include "sync/proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy p, q;
	char err[256], *s, *json;
	size_t len;

	if (proxy_setting_parse((const char *)data, size, &p, err,
	    sizeof(err)) == CB_OK &&
	    proxy_setting_json(&p, &json, &len) == CB_OK) {
		if (proxy_setting_parse(json, len, &q, err, sizeof(err)) !=
		    CB_OK || q.px_set != p.px_set || q.px_port != p.px_port ||
		    strcmp(q.px_host, p.px_host) != 0 ||
		    strcmp(q.px_user, p.px_user) != 0 ||
		    strcmp(q.px_password, p.px_password) != 0)
			abort();
		free(json);
	}
	memset(&p, 0, sizeof(p));
	(void)proxy_auth_parse((const char *)data, size, &p, err, sizeof(err));
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	(void)proxy_url_parse(s, &p, err, sizeof(err));
	free(s);
	return 0;
}
