/*
 * rng.h: mbedTLS's f_rng callback over the kernel's CSPRNG (cb_random),
 * for one-shot operations (an ephemeral ECDH key, ECP blinding) that need
 * no DRBG of their own. No state: safe in any process, before or after
 * fork.
 */
#ifndef CB_RNG_H
#define CB_RNG_H

#include <stddef.h>

/* ctx is unused; 0, or -1 when getrandom failed. */
int cb_rng(void *ctx, unsigned char *buf, size_t len);

#endif
