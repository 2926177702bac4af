/*
 * test_tpm.c: the TPM 2.0 client against a real software TPM (swtpm):
 * seal and unseal under a PCR policy, refusal when a PCR moves, sealing to
 * predicted values, a second TPM that cannot unseal, the same TPM after a
 * "reboot", what a logic analyser on the bus sees and what an interposer
 * achieves; and the pure parts (policy digest, stored form, PCR lists).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cb.h"
#include "tpm/tpm.h"
#include "t.h"
#include "swtpm.h"

#define PCRS_0247	((1u << 0) | (1u << 2) | (1u << 4) | (1u << 7))

static const uint8_t secret[32] = "classbox root key, 32 bytes....";

static char *
scratch(void)
{
	static char dir[64];

	snprintf(dir, sizeof(dir), "/tmp/cb-tpm.XXXXXX");
	return mkdtemp(dir);
}

static void
rm_rf(const char *dir)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

static int
start(struct swtpm *sw, const char *base, const char *name)
{
	char dir[96];

	snprintf(dir, sizeof(dir), "%s/%s", base, name);
	return swtpm_start(sw, dir);
}

static int
seal_now(struct tpm *t, uint32_t mask, struct tpm_sealed *s)
{
	struct tpm_pcrs p;
	int rc;

	if ((rc = tpm_pcr_read(t, mask, &p)) != 0)
		return rc;
	return tpm_seal(t, &p, secret, sizeof(secret), s);
}

T_TEST(seal_unseal_and_pcr_policy)
{
	char *base = scratch();
	struct swtpm sw;
	struct tpm *t = NULL;
	struct tpm_sealed s;
	uint8_t out[64], ext[TPM_DIGEST_LEN];
	size_t n = 0;

	T_ASSERT(base != NULL);
	T_EQ_INT(start(&sw, base, "a"), 0);
	T_EQ_INT(tpm_open(&t, sw.sw_sock), 0);
	T_EQ_INT(seal_now(t, PCRS_0247, &s), 0);
	T_ASSERT(memmem(&s, sizeof(s), secret, sizeof(secret)) == NULL);
	T_EQ_INT(tpm_unseal(t, &s, out, sizeof(out), &n), 0);
	T_EQ_INT(n, sizeof(secret));
	T_ASSERT(memcmp(out, secret, sizeof(secret)) == 0);
	/* A PCR of the policy moves (another boot loader measured):
	 * refused, and the message names the PCR. */
	memset(ext, 0xab, sizeof(ext));
	T_EQ_INT(tpm_pcr_extend(t, 4, ext), 0);
	T_EQ_INT(tpm_unseal(t, &s, out, sizeof(out), &n), CB_EPERM);
	T_ASSERT(strstr(tpm_error(t), "PCR 4)") != NULL);
	/* A PCR outside the policy moves: still opens. */
	T_EQ_INT(seal_now(t, PCRS_0247, &s), 0);
	T_EQ_INT(tpm_pcr_extend(t, 9, ext), 0);
	T_EQ_INT(tpm_unseal(t, &s, out, sizeof(out), &n), 0);
	tpm_close(t);
	swtpm_stop(&sw);
	rm_rf(base);
}

/* The TPM enforces the policy, not our comparison: a blob whose stored
 * values were made to match today's PCRs still fails in the TPM. */
T_TEST(policy_is_enforced_by_the_tpm)
{
	char *base = scratch();
	struct swtpm sw;
	struct tpm *t = NULL;
	struct tpm_sealed s;
	struct tpm_pcrs now;
	uint8_t out[64], ext[TPM_DIGEST_LEN];
	size_t n = 0;

	T_EQ_INT(start(&sw, base, "a"), 0);
	T_EQ_INT(tpm_open(&t, sw.sw_sock), 0);
	T_EQ_INT(seal_now(t, 1u << 7, &s), 0);
	memset(ext, 0x5a, sizeof(ext));
	T_EQ_INT(tpm_pcr_extend(t, 7, ext), 0);
	T_EQ_INT(tpm_pcr_read(t, 1u << 7, &now), 0);
	memcpy(s.ts_pcrs.tp_value[7], now.tp_value[7], TPM_DIGEST_LEN);
	T_EQ_INT(tpm_unseal(t, &s, out, sizeof(out), &n), CB_EPERM);
	T_ASSERT(strstr(tpm_error(t), "no longer match") != NULL);
	tpm_close(t);
	swtpm_stop(&sw);
	rm_rf(base);
}

/* Sealing to values the PCRs will have (an update predicts its boot):
 * refused now, opens once the measurement happened. */
T_TEST(seal_to_predicted_pcrs)
{
	char *base = scratch();
	struct swtpm sw;
	struct tpm *t = NULL;
	struct tpm_sealed s;
	struct tpm_pcrs p;
	uint8_t out[64], kernel[TPM_DIGEST_LEN];
	size_t n = 0;

	T_EQ_INT(start(&sw, base, "a"), 0);
	T_EQ_INT(tpm_open(&t, sw.sw_sock), 0);
	memset(kernel, 0x42, sizeof(kernel));
	T_EQ_INT(tpm_pcr_read(t, (1u << 9) | (1u << 4), &p), 0);
	T_EQ_INT(tpm_pcr_predict(p.tp_value[9], kernel), 0);
	T_EQ_INT(tpm_seal(t, &p, secret, sizeof(secret), &s), 0);
	T_EQ_INT(tpm_unseal(t, &s, out, sizeof(out), &n), CB_EPERM);
	T_ASSERT(strstr(tpm_error(t), "PCR 9)") != NULL);
	T_EQ_INT(tpm_pcr_extend(t, 9, kernel), 0);
	T_EQ_INT(tpm_unseal(t, &s, out, sizeof(out), &n), 0);
	T_ASSERT(n == sizeof(secret) && memcmp(out, secret, n) == 0);
	tpm_close(t);
	swtpm_stop(&sw);
	rm_rf(base);
}

T_TEST(another_tpm_cannot_unseal_the_same_tpm_can_after_reboot)
{
	char *base = scratch();
	struct swtpm a, b;
	struct tpm *t = NULL;
	struct tpm_sealed s, s2;
	uint8_t out[64], blob[TPM_SEALED_FILE_MAX];
	size_t n = 0, blen = 0;

	T_EQ_INT(start(&a, base, "a"), 0);
	T_EQ_INT(tpm_open(&t, a.sw_sock), 0);
	T_EQ_INT(seal_now(t, PCRS_0247, &s), 0);
	T_EQ_INT(tpm_sealed_encode(&s, blob, sizeof(blob), &blen), 0);
	tpm_close(t);
	swtpm_stop(&a);
	/* The disk moved to another machine with its own TPM. */
	T_EQ_INT(start(&b, base, "b"), 0);
	T_EQ_INT(tpm_open(&t, b.sw_sock), 0);
	T_EQ_INT(tpm_sealed_decode(blob, blen, &s2), 0);
	T_EQ_INT(tpm_unseal(t, &s2, out, sizeof(out), &n), CB_ECRYPTO);
	T_ASSERT(strstr(tpm_error(t), "another TPM") != NULL);
	/* Even told that this TPM is the parent, it cannot load the blob. */
	{
		struct tpm_sealed forged = s2;
		struct tpm_pcrs none = { 0 };
		struct tpm_sealed mine;

		T_EQ_INT(tpm_seal(t, &none, secret, 4, &mine), 0);
		memcpy(forged.ts_parent, mine.ts_parent, TPM_NAME_LEN);
		T_EQ_INT(tpm_unseal(t, &forged, out, sizeof(out), &n),
		    CB_ECRYPTO);
		T_ASSERT(strstr(tpm_error(t), "does not belong") != NULL);
	}
	tpm_close(t);
	swtpm_stop(&b);
	/* The first machine boots again: its TPM still opens the blob. */
	T_EQ_INT(start(&a, base, "a"), 0);
	T_EQ_INT(tpm_open(&t, a.sw_sock), 0);
	T_EQ_INT(tpm_unseal(t, &s2, out, sizeof(out), &n), 0);
	T_ASSERT(n == sizeof(secret) && memcmp(out, secret, n) == 0);
	tpm_close(t);
	swtpm_stop(&a);
	rm_rf(base);
}

static size_t
read_capture(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n = 0;

	if (f != NULL) {
		n = fread(buf, 1, cap, f);
		fclose(f);
	}
	return n;
}

/* What crosses the bus: a relay records every byte of a seal and an
 * unseal; the secret is in none of them. An interposer that flips one
 * byte of the Unseal answer gets the answer refused (HMAC), not a wrong
 * key used. */
T_TEST(the_bus_carries_no_secret_and_tampering_is_caught)
{
	char *base = scratch(), relay[96], cap_path[96];
	static uint8_t cap[1 << 16];
	struct swtpm sw;
	struct tpm *t = NULL;
	struct tpm_sealed s;
	uint8_t out[64];
	size_t n = 0, cn;
	pid_t rp;

	T_EQ_INT(start(&sw, base, "a"), 0);
	snprintf(relay, sizeof(relay), "%s/relay.sock", base);
	snprintf(cap_path, sizeof(cap_path), "%s/capture", base);
	T_ASSERT((rp = swtpm_relay_start(relay, sw.sw_sock, cap_path, 0)) > 0);
	T_EQ_INT(tpm_open(&t, relay), 0);
	T_EQ_INT(seal_now(t, PCRS_0247, &s), 0);
	T_EQ_INT(tpm_unseal(t, &s, out, sizeof(out), &n), 0);
	T_ASSERT(n == sizeof(secret) && memcmp(out, secret, n) == 0);
	tpm_close(t);
	swtpm_relay_stop(rp);
	cn = read_capture(cap_path, cap, sizeof(cap));
	T_ASSERT(cn > 1000);		/* the relay did see the traffic */
	T_ASSERT(memmem(cap, cn, secret, 8) == NULL);
	T_ASSERT(memmem(cap, cn, secret + 8, 8) == NULL);
	T_ASSERT(memmem(cap, cn, secret + 16, 8) == NULL);
	T_ASSERT(memmem(cap, cn, secret + 24, 8) == NULL);
	/* The interposer. */
	T_ASSERT((rp = swtpm_relay_start(relay, sw.sw_sock, cap_path, 1)) > 0);
	T_EQ_INT(tpm_open(&t, relay), 0);
	memset(out, 0, sizeof(out));
	T_EQ_INT(tpm_unseal(t, &s, out, sizeof(out), &n), CB_EPROTO);
	T_ASSERT(strstr(tpm_error(t), "HMAC") != NULL);
	T_ASSERT(memmem(out, sizeof(out), secret, 8) == NULL);
	tpm_close(t);
	swtpm_relay_stop(rp);
	swtpm_stop(&sw);
	rm_rf(base);
}

T_TEST(pcr_read_all_24_and_no_pcr_binding)
{
	char *base = scratch();
	struct swtpm sw;
	struct tpm *t = NULL;
	struct tpm_pcrs p, none = { 0 };
	struct tpm_sealed s;
	uint8_t out[64], zero[TPM_DIGEST_LEN] = { 0 }, ext[TPM_DIGEST_LEN];
	size_t n = 0;

	T_EQ_INT(start(&sw, base, "a"), 0);
	T_EQ_INT(tpm_open(&t, sw.sw_sock), 0);
	/* More than one PCR_Read round (8 digests per answer). */
	T_EQ_INT(tpm_pcr_read(t, 0xffffff, &p), 0);
	T_EQ_INT(p.tp_mask, 0xffffff);
	T_ASSERT(memcmp(p.tp_value[0], zero, TPM_DIGEST_LEN) == 0);
	memset(ext, 1, sizeof(ext));
	T_EQ_INT(tpm_pcr_extend(t, 23, ext), 0);
	T_EQ_INT(tpm_pcr_read(t, 1u << 23, &p), 0);
	T_EQ_INT(tpm_pcr_predict(zero, ext), 0);
	T_ASSERT(memcmp(p.tp_value[23], zero, TPM_DIGEST_LEN) == 0);
	T_EQ_INT(tpm_pcr_extend(t, 24, ext), CB_EINVAL);
	T_EQ_INT(tpm_pcr_read(t, 1u << 24, &p), CB_EINVAL);
	/* Bound to no PCR: any boot of this TPM opens it. */
	T_EQ_INT(tpm_seal(t, &none, secret, sizeof(secret), &s), 0);
	T_EQ_INT(tpm_pcr_extend(t, 0, ext), 0);
	T_EQ_INT(tpm_unseal(t, &s, out, sizeof(out), &n), 0);
	T_EQ_INT(tpm_seal(t, &none, secret, 0, &s), CB_EINVAL);
	T_EQ_INT(tpm_seal(t, &none, secret, TPM_SEALED_DATA_MAX + 1, &s),
	    CB_EINVAL);
	tpm_close(t);
	swtpm_stop(&sw);
	rm_rf(base);
}

T_TEST(no_tpm_at_the_path)
{
	struct tpm *t = NULL;

	T_EQ_INT(tpm_open(&t, "/nonexistent/tpmrm0"), CB_ENOTFOUND);
	T_ASSERT(t == NULL);
	T_EQ_INT(tpm_open(&t, "/etc/hostname"), CB_EINVAL);
}

/* ---- pure parts ---- */

/* Known answers: the PolicyPCR digests of PCRs all zero, as tpm2-tools
 * computes them (tpm2_createpolicy --policy-pcr -l sha256:0,2,4,7[,9]
 * against a fresh swtpm; tests/integration/keys_tpm.sh has tpm2-tools
 * satisfy our policy live). */
static void
policy_hex(uint32_t mask, char hex[2 * TPM_DIGEST_LEN + 1])
{
	struct tpm_pcrs p;
	uint8_t pol[TPM_DIGEST_LEN];

	memset(&p, 0, sizeof(p));
	p.tp_mask = mask;
	T_EQ_INT(tpm_policy_pcr(&p, pol), 0);
	for (int i = 0; i < TPM_DIGEST_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", pol[i]);
}

T_TEST(policy_digest_known_answer)
{
	char hex[2 * TPM_DIGEST_LEN + 1];

	policy_hex(PCRS_0247, hex);
	T_EQ_STR(hex, "4f04c837291ac05d8c8fceb5d03ac530"
	    "d3189c1dd24dc744f2145cf71eaa9cf6");
	/* sha256:0,2,4,7,9: the keys' default (KEYS_DEFAULT_PCRS). */
	policy_hex(PCRS_0247 | (1u << 9), hex);
	T_EQ_STR(hex, "e9041a7e6ced8ad793e932db270cae5b"
	    "5f1633b3ae8f4bbdcab76ac3542c881d");
}

T_TEST(sealed_form_is_strict)
{
	struct tpm_sealed s, back;
	uint8_t blob[TPM_SEALED_FILE_MAX], pol[TPM_DIGEST_LEN];
	size_t n = 0;
	struct tpm_wbuf w;

	memset(&s, 0, sizeof(s));
	s.ts_pcrs.tp_mask = (1u << 4) | (1u << 9);
	memset(s.ts_pcrs.tp_value[4], 4, TPM_DIGEST_LEN);
	memset(s.ts_pcrs.tp_value[9], 9, TPM_DIGEST_LEN);
	s.ts_parent[0] = 0;
	s.ts_parent[1] = 0x0b;
	T_EQ_INT(tpm_policy_pcr(&s.ts_pcrs, pol), 0);
	wb_init(&w, s.ts_pub, sizeof(s.ts_pub));
	wb_u16(&w, TPM_ALG_KEYEDHASH);
	wb_u16(&w, TPM_ALG_SHA256);
	wb_u32(&w, TPM_SEALED_ATTRS);
	wb_tpm2b(&w, pol, sizeof(pol));
	wb_u16(&w, TPM_ALG_NULL);
	wb_u16(&w, 0);
	s.ts_pub_len = (uint16_t)w.wb_len;
	s.ts_priv_len = 7;
	T_EQ_INT(tpm_sealed_encode(&s, blob, sizeof(blob), &n), 0);
	T_EQ_INT(tpm_sealed_decode(blob, n, &back), 0);
	T_ASSERT(memcmp(&back, &s, sizeof(s)) == 0);
	/* Every truncation, and one byte too many. */
	for (size_t i = 0; i < n; i++)
		T_EQ_INT(tpm_sealed_decode(blob, i, &back), CB_EINVAL);
	T_EQ_INT(tpm_sealed_decode(blob, n + 1, &back), CB_EINVAL);
	/* A stored PCR value edited: its policy no longer matches. */
	blob[9] ^= 1;
	T_EQ_INT(tpm_sealed_decode(blob, n, &back), CB_EINVAL);
	blob[9] ^= 1;
	blob[0] = 'X';
	T_EQ_INT(tpm_sealed_decode(blob, n, &back), CB_EINVAL);
}

T_TEST(pcr_lists)
{
	uint32_t m = 0;
	char out[80];

	T_EQ_INT(tpm_pcr_mask_parse("0,2,4,7", &m), 0);
	T_EQ_INT(m, PCRS_0247);
	tpm_pcr_mask_format(m, out, sizeof(out));
	T_EQ_STR(out, "0,2,4,7");
	T_EQ_INT(tpm_pcr_mask_parse("", &m), 0);
	T_EQ_INT(m, 0);
	T_EQ_INT(tpm_pcr_mask_parse("23", &m), 0);
	T_EQ_INT(m, 1u << 23);
	T_EQ_INT(tpm_pcr_mask_parse("24", &m), CB_EINVAL);
	T_EQ_INT(tpm_pcr_mask_parse("4,4", &m), CB_EINVAL);
	T_EQ_INT(tpm_pcr_mask_parse("07", &m), CB_EINVAL);
	T_EQ_INT(tpm_pcr_mask_parse("1,", &m), CB_EINVAL);
	T_EQ_INT(tpm_pcr_mask_parse(",1", &m), CB_EINVAL);
	T_EQ_INT(tpm_pcr_mask_parse("1 ,2", &m), CB_EINVAL);
	T_EQ_INT(tpm_pcr_mask_parse("-1", &m), CB_EINVAL);
	T_EQ_INT(tpm_pcr_mask_parse("1000", &m), CB_EINVAL);
}

T_MAIN()
