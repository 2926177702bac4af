/*
 * rng.c: mbedTLS's f_rng over getrandom(2).
 */
#include "base/cb.h"
#include "base/rng.h"

int
cb_rng(void *ctx, unsigned char *buf, size_t len)
{
	(void)ctx;
	return cb_random(buf, len) == CB_OK ? 0 : -1;
}
