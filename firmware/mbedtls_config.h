/*
 * classbox settings for mbedTLS 3.6 (LTS).
 *
 * This is a *user* config: it is read after mbedTLS's own default
 * include/mbedtls/mbedtls_config.h, so it only states what classbox relies on
 * and what it turns off. mk/deps.mk installs it as
 * $(BUILD)/$(TARGET)/deps/include/classbox_mbedtls_config.h and appends an
 * #include of it to the end of the default mbedtls_config.h (in the unpacked
 * source, before the library is built, and so also in the installed headers).
 * The library and every file that includes an mbedTLS header therefore see
 * the same configuration without any -D flag: a mismatch would silently
 * change struct layouts between the library and our code.
 *
 * Editing this file rebuilds mbedTLS (the deps stamp depends on it).
 *
 * Keep it small: the default config already enables nearly all we need; the
 * #defines below that repeat a default are there so that a future default
 * change cannot drop a feature we depend on unnoticed (redefining a macro to
 * the same empty body is allowed in C).
 */
#ifndef CLASSBOX_MBEDTLS_CONFIG_H
#define CLASSBOX_MBEDTLS_CONFIG_H

/* --- TLS versions: 1.3 for browsers, 1.2 for older clients. --- */
#define MBEDTLS_SSL_PROTO_TLS1_3
#define MBEDTLS_SSL_PROTO_TLS1_2
/* Middlebox compatibility mode (RFC 8446 D.4): fake CCS and session id, as
 * browsers expect; school networks are full of middleboxes. */
#define MBEDTLS_SSL_TLS1_3_COMPATIBILITY_MODE
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
#define MBEDTLS_SSL_SRV_C
#define MBEDTLS_SSL_CLI_C /* cloud sync connects out over TLS */

/* --- Session resumption: tickets, so a rush of logins after a reconnect does
 * not each pay for a full handshake (about 2.8 ms of CPU with P-256). --- */
#define MBEDTLS_SSL_SESSION_TICKETS
#define MBEDTLS_SSL_TICKET_C

/* --- PSA crypto. TLS 1.3 in 3.6 needs MBEDTLS_PSA_CRYPTO_C (on by default).
 * MBEDTLS_USE_PSA_CRYPTO (route X.509/TLS 1.2 crypto through PSA) stays off,
 * as in the default config: it is not needed for TLS 1.3 and changes which
 * APIs must be initialised (psa_crypto_init()). Code that uses TLS 1.3 must
 * still call psa_crypto_init() once per process, before the handshake. --- */
#define MBEDTLS_PSA_CRYPTO_C

/* --- AES-NI. MBEDTLS_AESNI_C and MBEDTLS_HAVE_ASM are in the default config.
 * With gcc on x86_64 and without -maes -mpclmul, mbedTLS uses its inline
 * assembly AES-NI/PCLMULQDQ code (MBEDTLS_AESNI_HAVE_CODE == 1) and picks it
 * at run time with CPUID, falling back to table-based C on CPUs without it.
 * We do NOT set MBEDTLS_AES_USE_HARDWARE_ONLY, so the same binary still works
 * on an emulated CPU without AES-NI. --- */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_AESNI_C

/* --- Ciphers: AES-GCM for hardware with AES-NI, ChaCha20-Poly1305 for
 * clients without it. --- */
#define MBEDTLS_GCM_C
#define MBEDTLS_CHACHA20_C
#define MBEDTLS_POLY1305_C
#define MBEDTLS_CHACHAPOLY_C

/* --- Signatures: update bundles and the device certificate are signed with
 * ECDSA P-256 (mbedTLS 3.6 has no Ed25519); deterministic nonces (RFC 6979)
 * so a weak RNG cannot leak the key. --- */
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECDSA_DETERMINISTIC
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED

/* --- The box makes its own certificate on first boot: X.509 writing. --- */
#define MBEDTLS_X509_CREATE_C
#define MBEDTLS_X509_CRT_WRITE_C
#define MBEDTLS_PK_WRITE_C
#define MBEDTLS_PEM_WRITE_C

/* --- Off: DTLS. We only speak TLS over TCP; less code to attack. --- */
#undef MBEDTLS_SSL_PROTO_DTLS
#undef MBEDTLS_SSL_DTLS_ANTI_REPLAY
#undef MBEDTLS_SSL_DTLS_HELLO_VERIFY
#undef MBEDTLS_SSL_DTLS_CONNECTION_ID
#undef MBEDTLS_SSL_DTLS_CLIENT_PORT_REUSE
#undef MBEDTLS_SSL_DTLS_SRTP
#undef MBEDTLS_SSL_COOKIE_C /* DTLS HelloVerifyRequest cookies only */

/* Memory per connection (FACTS.md: ~40 KB with 16 KB buffers, ~28 KB with a
 * 4 KB output buffer). Records we send are at most 4 KB: responses are
 * small JSON, and a large file goes out as several records at no real
 * cost. Keep the input buffer at 16 KB: browsers send full-size records. */
#undef MBEDTLS_SSL_OUT_CONTENT_LEN
#define MBEDTLS_SSL_OUT_CONTENT_LEN 4096

/* Entropy: the kernel's getrandom(2), and nothing else, under glibc and musl
 * alike. mbedTLS calls getrandom itself only under glibc; under musl it
 * would open /dev/urandom, which needs a device node with the right mode
 * (the image's early boot once lacked it: psa_crypto_init failed). So the
 * platform source is off and mbedtls_hardware_poll, in firmware/base/cb.c,
 * is the one strong source. */
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_ENTROPY_HARDWARE_ALT

#endif /* CLASSBOX_MBEDTLS_CONFIG_H */
