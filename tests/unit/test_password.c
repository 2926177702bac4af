/* test_password.c: policy, PHC round trip, rehash, initial passwords. */
#include <stdio.h>
#include <string.h>

#include <argon2.h>

#include "base/cb.h"
#include "auth/authproto.h"
#include "auth/password.h"
#include "t.h"

/* The PHC string libargon2's high-level API makes (p = 1). */
static int
libargon2_phc(const char *pw, const uint8_t *salt, size_t salt_len,
    uint32_t m, uint32_t t, size_t hash_len, char *out, size_t out_size)
{
	return argon2id_hash_encoded(t, m, 1, pw, strlen(pw), salt, salt_len,
	    hash_len, out, out_size);
}

T_TEST(policy)
{
	T_EQ_INT(password_check_policy("taro", "Kx7#mq2Lp9", NULL), 0);
	T_EQ_INT(password_check_policy("taro", "short1", NULL), CB_EPWSHORT);
	/* 8 code points in 24 bytes of Japanese: long enough. */
	T_EQ_INT(password_check_policy("taro",
	    "\xe3\x81\x95\xe3\x81\x8f\xe3\x82\x89\xe3\x81\x95"
	    "\xe3\x81\x8f\xe3\x82\x89\xe3\x81\x95\xe3\x81\x8f", NULL), 0);
	/* 7 code points in 21 bytes: too short although > 8 bytes. */
	T_EQ_INT(password_check_policy("taro",
	    "\xe3\x81\x95\xe3\x81\x8f\xe3\x82\x89\xe3\x81\x95"
	    "\xe3\x81\x8f\xe3\x82\x89\xe3\x81\x95", NULL), CB_EPWSHORT);
	T_EQ_INT(password_check_policy("taro", "my-TARO-pass", NULL),
	    CB_EPWUSERID);
	T_EQ_INT(password_check_policy("taro", "Kx7#mq2Lp9", "Kx7#mq2Lp9"),
	    CB_EPWSAME);
	T_EQ_INT(password_check_policy("taro", "Password", NULL),
	    CB_EPWCOMMON);
	T_EQ_INT(password_check_policy("taro", "12345678", NULL), CB_EPWCOMMON);
	T_EQ_INT(password_check_policy("taro", "QWERTYUI", NULL), CB_EPWCOMMON);
	T_EQ_INT(password_check_policy("taro", "p@ssw0rd", NULL), CB_EPWCOMMON);
	T_EQ_INT(password_check_policy("taro", "bad\xff\xfeutf8x", NULL),
	    CB_EINVAL);
}

T_TEST(policy_length_limit)
{
	char pw[200];

	memset(pw, 'x', sizeof(pw));
	pw[127] = '\0';		/* 127 bytes: the most allowed */
	pw[0] = 'Q';
	T_EQ_INT(password_check_policy("taro", pw, NULL), 0);
	pw[127] = 'x';
	pw[128] = '\0';
	T_EQ_INT(password_check_policy("taro", pw, NULL), CB_EPWLONG);
}

T_TEST(phc_round_trip)
{
	char phc[PASSWORD_PHC_MAX];

	T_EQ_INT(password_hash("correct horse", phc, sizeof(phc)), 0);
	T_ASSERT(strncmp(phc, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
	T_EQ_INT(password_verify(phc, "correct horse"), 0);
	T_EQ_INT(password_verify(phc, "correct horsE"), CB_EAUTH);
	T_EQ_INT(password_verify("not a hash", "x"), CB_EINVAL);
	T_EQ_INT(password_needs_rehash(phc), 0);
	T_EQ_INT(password_hash("x", phc, 10), CB_ETOOBIG);
}

T_TEST(phc_libargon2_compat)
{
	const uint8_t salt[] = "somesaltsomesalt";
	char theirs[PASSWORD_PHC_MAX], ours[PASSWORD_PHC_MAX];
	struct password_phc h;

	/* libargon2's string: our decoder reads it, our verify accepts it,
	 * our encoder writes it back byte for byte. */
	T_EQ_INT(libargon2_phc("correct horse", salt, 16, PASSWORD_ARGON2_M_KIB,
	    PASSWORD_ARGON2_T, PASSWORD_HASH_LEN, theirs, sizeof(theirs)),
	    ARGON2_OK);
	T_EQ_INT(password_phc_decode(theirs, strlen(theirs), &h), 0);
	T_EQ_INT(h.ph_m_kib, PASSWORD_ARGON2_M_KIB);
	T_EQ_INT(h.ph_t, PASSWORD_ARGON2_T);
	T_EQ_INT(h.ph_p, 1);
	T_EQ_INT(h.ph_salt_len, 16);
	T_EQ_INT(h.ph_hash_len, PASSWORD_HASH_LEN);
	T_ASSERT(memcmp(h.ph_salt, salt, 16) == 0);
	T_EQ_INT(password_phc_encode(&h, ours, sizeof(ours)), 0);
	T_EQ_STR(ours, theirs);
	T_EQ_INT(password_verify(theirs, "correct horse"), 0);
	T_EQ_INT(password_verify(theirs, "correct horsE"), CB_EAUTH);

	/* Our string: libargon2 verifies it, and makes the same one from
	 * the same salt. */
	T_EQ_INT(password_hash("Kx7#mq2Lp9", ours, sizeof(ours)), 0);
	T_EQ_INT(argon2id_verify(ours, "Kx7#mq2Lp9", 10), ARGON2_OK);
	T_EQ_INT(argon2id_verify(ours, "Kx7#mq2Lp8", 10),
	    ARGON2_VERIFY_MISMATCH);
	T_EQ_INT(password_phc_decode(ours, strlen(ours), &h), 0);
	T_EQ_INT(libargon2_phc("Kx7#mq2Lp9", h.ph_salt, h.ph_salt_len,
	    PASSWORD_ARGON2_M_KIB, PASSWORD_ARGON2_T, PASSWORD_HASH_LEN,
	    theirs, sizeof(theirs)), ARGON2_OK);
	T_EQ_STR(ours, theirs);

	/* Other parameters and lengths (an older release's hash, a 60-byte
	 * hash, an 8-byte salt): the same round trip, and verify works. */
	T_EQ_INT(libargon2_phc("older", salt, 8, 4096, 3, 16, theirs,
	    sizeof(theirs)), ARGON2_OK);
	T_EQ_INT(password_phc_decode(theirs, strlen(theirs), &h), 0);
	T_EQ_INT(password_phc_encode(&h, ours, sizeof(ours)), 0);
	T_EQ_STR(ours, theirs);
	T_EQ_INT(password_verify(theirs, "older"), 0);
	T_EQ_INT(password_needs_rehash(theirs), 1);
	T_EQ_INT(libargon2_phc("long", salt, 8, 1024, 1, 60, theirs,
	    sizeof(theirs)), ARGON2_OK);
	T_EQ_INT(password_phc_decode(theirs, strlen(theirs), &h), 0);
	T_EQ_INT(h.ph_hash_len, 60);
	T_EQ_INT(password_phc_encode(&h, ours, sizeof(ours)), 0);
	T_EQ_STR(ours, theirs);
	T_EQ_INT(password_verify(theirs, "long"), 0);
}

/* Each string differs from a good one in one way the decoder refuses. */
T_TEST(phc_decode_rejects)
{
	static const char *const bad[] = {
		"",
		"$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA",
		"$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8",
		"$argon2d$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8",
		/* version 1.0, or none (libargon2 reads that as 1.0) */
		"$argon2id$v=16$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8",
		"$argon2id$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8",
		/* unknown, duplicate, missing, reordered parameters */
		"$argon2id$v=19$m=19456,t=2,p=1,x=1$c29tZXNhbHRzb21lc2FsdA$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8",
		"$argon2id$v=19$m=19456,m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8",
		"$argon2id$v=19$m=19456,t=2,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8",
		"$argon2id$v=19$m=19456,t=2$c29tZXNhbHRzb21lc2FsdA$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8",
		"$argon2id$v=19$t=2,m=19456,p=1$c29tZXNhbHRzb21lc2FsdA$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8",
		/* out of range, leading zero, sign, empty number */
		"$argon2id$v=19$m=65537,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8",
		"$argon2id$v=19$m=99999999999999999999,t=2,p=1$"
		    "c29tZXNhbHRzb21lc2FsdA$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8",
		"$argon2id$v=19$m=7,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8",
		"$argon2id$v=19$m=16,t=2,p=4$c29tZXNhbHRzb21lc2FsdA$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8",
		"$argon2id$v=19$m=19456,t=0,p=1$c29tZXNhbHRzb21lc2FsdA$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8",
		"$argon2id$v=19$m=19456,t=17,p=1$c29tZXNhbHRzb21lc2FsdA$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8",
		"$argon2id$v=19$m=19456,t=2,p=0$c29tZXNhbHRzb21lc2FsdA$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8",
		"$argon2id$v=19$m=19456,t=2,p=9$c29tZXNhbHRzb21lc2FsdA$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8",
		"$argon2id$v=19$m=019456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8",
		"$argon2id$v=19$m=+19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8",
		"$argon2id$v=19$m=,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8",
		/* salt of 7 bytes; hash of 15 and of 65 bytes */
		"$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbH$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8",
		"$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
		    "Zm9vYmFyZm9vYmFyZm9v",
		"$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHQ$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFy"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmE",
		/* base64: padding, url alphabet, length 1 mod 4, non-zero
		 * trailing bits, an empty field */
		"$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA==$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8",
		"$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2Fs-_$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8",
		"$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2Fsd$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8",
		"$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdB$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8",
		"$argon2id$v=19$m=19456,t=2,p=1$$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8",
		/* trailing garbage */
		"$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8$",
		"$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8 ",
		"$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
		    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8\n",
	};
	const char *good = "$argon2id$v=19$m=19456,t=2,p=1$"
	    "c29tZXNhbHRzb21lc2FsdA$"
	    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8";
	char buf[PASSWORD_PHC_MAX + 8];
	struct password_phc h;

	T_EQ_INT(password_phc_decode(good, strlen(good), &h), 0);
	for (size_t i = 0; i < CB_ARRAY_LEN(bad); i++) {
		int rc = password_phc_decode(bad[i], strlen(bad[i]), &h);

		if (rc != CB_EINVAL)
			fprintf(stderr, "accepted bad[%zu]: %s\n", i, bad[i]);
		T_EQ_INT(rc, CB_EINVAL);
		T_EQ_INT(password_verify(bad[i], "x"), CB_EINVAL);
		T_EQ_INT(password_needs_rehash(bad[i]), 1);
	}
	/* A NUL inside, and a string past PASSWORD_PHC_MAX. */
	memcpy(buf, good, strlen(good) + 1);
	buf[40] = '\0';
	T_EQ_INT(password_phc_decode(buf, strlen(good), &h), CB_EINVAL);
	memset(buf, 'A', sizeof(buf));
	memcpy(buf, good, strlen(good));
	T_EQ_INT(password_phc_decode(buf, PASSWORD_PHC_MAX, &h), CB_EINVAL);
	buf[sizeof(buf) - 1] = '\0';
	T_EQ_INT(password_verify(buf, "x"), CB_EINVAL);
	/* The encoder refuses what the decoder would. */
	T_EQ_INT(password_phc_decode(good, strlen(good), &h), 0);
	h.ph_t = 0;
	T_EQ_INT(password_phc_encode(&h, buf, sizeof(buf)), CB_EINVAL);
	h.ph_t = 2;
	T_EQ_INT(password_phc_encode(&h, buf, 97), CB_ETOOBIG);
	T_EQ_INT(password_phc_encode(&h, buf, 98), 0);
	T_EQ_INT((int)strlen(buf), 97);
}

T_TEST(arena)
{
	struct password_arena *a;
	char phc[PASSWORD_PHC_MAX], plain[PASSWORD_PHC_MAX];
	struct password_phc h;
	const uint8_t salt[] = "somesaltsomesalt";
	char older[PASSWORD_PHC_MAX];

	T_EQ_INT(password_arena_new(&a), 0);
	T_ASSERT(a != NULL);
	/* Arena hashing gives what allocating hashing gives for that salt. */
	T_EQ_INT(password_hash_arena(a, "correct horse", phc, sizeof(phc)), 0);
	T_EQ_INT(password_phc_decode(phc, strlen(phc), &h), 0);
	T_EQ_INT(libargon2_phc("correct horse", h.ph_salt, h.ph_salt_len,
	    PASSWORD_ARGON2_M_KIB, PASSWORD_ARGON2_T, PASSWORD_HASH_LEN, plain,
	    sizeof(plain)), ARGON2_OK);
	T_EQ_STR(phc, plain);
	T_EQ_INT(password_verify(phc, "correct horse"), 0);
	/* ... and verifies the same, many times over in the same memory. */
	T_EQ_INT(password_hash("correct horse", plain, sizeof(plain)), 0);
	for (int i = 0; i < 3; i++) {
		T_EQ_INT(password_verify_arena(a, plain, "correct horse"), 0);
		T_EQ_INT(password_verify_arena(a, phc, "correct horse"), 0);
		T_EQ_INT(password_verify_arena(a, phc, "correct horsE"),
		    CB_EAUTH);
	}
	T_EQ_INT(password_verify_arena(a, "not a hash", "x"), CB_EINVAL);
	/* A smaller m fits the arena; a larger one falls back to malloc. */
	T_EQ_INT(libargon2_phc("older", salt, 16, 4096, 3, 32, older,
	    sizeof(older)), ARGON2_OK);
	T_EQ_INT(password_verify_arena(a, older, "older"), 0);
	T_EQ_INT(password_verify_arena(a, older, "olde"), CB_EAUTH);
	T_EQ_INT(libargon2_phc("bigger", salt, 16, PASSWORD_ARGON2_M_KIB + 4,
	    1, 32, older, sizeof(older)), ARGON2_OK);
	T_EQ_INT(password_verify_arena(a, older, "bigger"), 0);
	T_EQ_INT(password_verify_arena(a, older, "bigge"), CB_EAUTH);
	T_EQ_INT(password_hash_arena(a, "x", phc, 10), CB_ETOOBIG);
	password_arena_free(a);
	password_arena_free(NULL);
}

T_TEST(too_long)
{
	char pw[AUTH_PASSWORD_MAX + 1], phc[PASSWORD_PHC_MAX];

	memset(pw, 'x', sizeof(pw));
	pw[AUTH_PASSWORD_MAX] = '\0';
	T_EQ_INT(password_hash(pw, phc, sizeof(phc)), CB_EPWLONG);
	T_EQ_STR(phc, "");
	pw[AUTH_PASSWORD_MAX - 1] = '\0';	/* 127 bytes: the most */
	T_EQ_INT(password_hash(pw, phc, sizeof(phc)), 0);
	T_EQ_INT(password_verify(phc, pw), 0);
}

T_TEST(needs_rehash)
{
	/* Weaker parameters (m=4096,t=3) from an older release. */
	T_EQ_INT(password_needs_rehash("$argon2id$v=19$m=4096,t=3,p=1$"
	    "c29tZXNhbHRzb21lc2FsdA$"
	    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8"), 1);
	T_EQ_INT(password_needs_rehash("$argon2i$v=19$m=19456,t=2,p=1$"
	    "c29tZXNhbHRzb21lc2FsdA$"
	    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8"), 1);
	/* Right parameters, 8-byte salt. */
	T_EQ_INT(password_needs_rehash("$argon2id$v=19$m=19456,t=2,p=1$"
	    "c29tZXNhbHQ$"
	    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8"), 1);
	T_EQ_INT(password_needs_rehash("$argon2id$v=19$m=19456,t=2,p=1$"
	    "c29tZXNhbHRzb21lc2FsdA$"
	    "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8"), 0);
}

T_TEST(generated)
{
	char a[32], b[32];

	for (int i = 0; i < 200; i++) {
		T_EQ_INT(password_generate(a, sizeof(a)), 0);
		T_EQ_INT((int)strlen(a), PASSWORD_INITIAL_LEN);
		T_ASSERT(strpbrk(a, "0O1lIo") == NULL);
		T_EQ_INT(password_check_policy("admin", a, NULL), 0);
	}
	T_EQ_INT(password_generate(b, sizeof(b)), 0);
	T_ASSERT(strcmp(a, b) != 0);
	T_EQ_INT(password_generate(a, PASSWORD_INITIAL_LEN), CB_ETOOBIG);
}

T_TEST(timing)
{
	struct password_arena *a;
	char phc[PASSWORD_PHC_MAX];
	int64_t t0, t1;

	T_EQ_INT(password_arena_new(&a), 0);	/* not timed: once a worker */
	t0 = cb_mono_ms();
	for (int i = 0; i < 5; i++)
		password_hash("timing test password", phc, sizeof(phc));
	t1 = cb_mono_ms();
	for (int i = 0; i < 5; i++)
		password_hash_arena(a, "timing test password", phc,
		    sizeof(phc));
	password_arena_free(a);
	printf("argon2id m=%d KiB t=%d p=%d: %.1f ms per hash (malloc), "
	    "%.1f ms (arena)\n", PASSWORD_ARGON2_M_KIB, PASSWORD_ARGON2_T,
	    PASSWORD_ARGON2_P, (double)(t1 - t0) / 5,
	    (double)(cb_mono_ms() - t1) / 5);
}

T_MAIN()
