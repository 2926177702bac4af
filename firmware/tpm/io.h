/*
 * io.h: carrying TPM commands and responses. A character device (the
 * kernel's /dev/tpmrm0) takes a whole command per write and gives a whole
 * response per read; a unix stream socket (swtpm's data channel) gives
 * bytes, so the response is read by its header's size field.
 */
#ifndef TPM_IO_H
#define TPM_IO_H

#include <stddef.h>
#include <stdint.h>

#define TPM_TIMEOUT_MS		120000	/* one answer over a socket (slow TPMs: s) */

struct tpm_io {
	int ti_fd;
	int ti_stream;		/* a socket: frame by the size field */
};

/* Open path (a character device or a unix socket); CB_ENOTFOUND when it
 * does not exist, CB_EPERM when we may not open it, CB_EIO otherwise. */
int tpm_io_open(struct tpm_io *io, const char *path);
void tpm_io_close(struct tpm_io *io);
/* Send cmd, receive the response into rsp (cap bytes, at least the
 * header); *len is its length. CB_EIO on a failed or timed-out transfer,
 * CB_EPROTO on a response whose size field is impossible. */
int tpm_io_xfer(struct tpm_io *io, const uint8_t *cmd, size_t cmd_len,
    uint8_t *rsp, size_t cap, size_t *len);

#endif
