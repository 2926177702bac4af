/*
 * cb.h: what every classbox module shares: status codes, logging, small
 * helpers. Functions return 0 or a negative CB_E* code and fill out-params.
 */
#ifndef CB_H
#define CB_H

#include <stddef.h>
#include <stdint.h>

enum cb_status {
	CB_OK = 0,
	CB_ENOMEM = -1,		/* out of memory */
	CB_EIO = -2,		/* a file or socket failed */
	CB_EINVAL = -3,		/* the input was malformed */
	CB_ENOTFOUND = -4,	/* no such record */
	CB_EEXIST = -5,		/* the record already exists */
	CB_EPERM = -6,		/* not allowed for this user */
	CB_ETOOBIG = -7,	/* past a named limit */
	CB_EAGAIN = -8,		/* try again (non-blocking I/O) */
	CB_EPROTO = -9,		/* a peer broke the protocol */
	CB_EAUTH = -10,		/* wrong user id or password */
	CB_ETHROTTLED = -11,	/* too many attempts: wait */
	CB_EPWCHANGE = -12,	/* the password must be changed first */
	CB_ECRYPTO = -13,	/* a cryptographic operation failed */
	CB_EBUSY = -14,		/* a bounded queue is full */
	CB_ESESSION = -15,	/* no valid session (expired or revoked) */
	CB_EPWSHORT = -16,	/* new password shorter than the minimum */
	CB_EPWUSERID = -17,	/* new password contains the user id */
	CB_EPWCOMMON = -18,	/* new password is in the common list */
	CB_EPWSAME = -19,	/* new password equals the old one */
	CB_EPWLONG = -20,	/* new password longer than the maximum */
	CB_ESTATE = -21,	/* not possible in the record's state */
	CB_ELASTADMIN = -22,	/* would leave the school with no admin */
	CB_EUNAVAIL = -23,	/* a service the request needs is down */
	CB_EFULL = -24,		/* the disk or the database map is full */
	CB_EPWREPEAT = -25,	/* new password: a run, repeat or spaces */
	CB_EPWNAME = -26,	/* new password contains the person's name */
	CB_EPWSCHOOL = -27,	/* new password contains the school's name */
};

/* A short English description of a status, for logs and the CLI. */
const char *cb_strerror(int status);

/* Logging to stderr (syslogd in the image). Never pass a secret. */
enum cb_log_level { CB_LOG_DEBUG, CB_LOG_INFO, CB_LOG_WARN, CB_LOG_ERR };
void cb_log_init(const char *process_name);
void cb_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#define log_info(...) cb_log(CB_LOG_INFO, __VA_ARGS__)
#define log_warn(...) cb_log(CB_LOG_WARN, __VA_ARGS__)
#define log_err(...)  cb_log(CB_LOG_ERR, __VA_ARGS__)
#define log_debug(...) cb_log(CB_LOG_DEBUG, __VA_ARGS__)

/* Exit after logging: for broken invariants and protocol violations. */
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/* Wall clock in milliseconds since the epoch, and monotonic milliseconds. */
int64_t cb_now_ms(void);
int64_t cb_mono_ms(void);

/* Fill buf with len bytes from the kernel's CSPRNG (getrandom). */
int cb_random(void *buf, size_t len);

/* Constant-time comparison; 0 when equal. */
int cb_memeq_ct(const void *a, const void *b, size_t len);

/* Wipe memory that held a secret; not optimised away. */
void cb_wipe(void *p, size_t len);

/* Encode len bytes as unpadded base64url into out (out_size >= 4*len/3+2). */
int cb_b64url_encode(const void *in, size_t len, char *out, size_t out_size);
/* Decode unpadded base64url; CB_EINVAL on a bad character or length. */
int cb_b64url_decode(const char *in, size_t in_len, void *out,
    size_t out_size, size_t *out_len);

/* Copy a string into a fixed field; CB_ETOOBIG when it does not fit. */
int cb_strlcpy(char *dst, const char *src, size_t dst_size);

/* The value of the hex digit c (either case), or -1. */
int cb_hexval(int c);
/* n bytes as 2n lowercase hex digits and a NUL into out (2n + 1). */
void cb_hex_encode(const void *in, size_t n, char *out);

/* Percent-decode s[0..len) into out (NUL-terminated), '+' as a space when
 * plus_space; the decoded length, or -1 on a bad escape or when it does
 * not fit in size. */
int cb_pct_decode(const char *s, size_t len, char *out, size_t size,
    int plus_space);

#define CB_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
