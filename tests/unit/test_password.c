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

static int
check(const char *uid, const char *pw, const char *old)
{
	return password_check(pw, &(struct password_ctx){ uid, NULL, NULL,
	    old });
}

T_TEST(policy)
{
	T_EQ_INT(check("taro", "Kx7#mq2Lp9", NULL), 0);
	T_EQ_INT(check("taro", "short1", NULL), CB_EPWSHORT);
	/* 8 code points in 24 bytes of Japanese: long enough. */
	T_EQ_INT(check("taro",
	    "\xe3\x81\x95\xe3\x81\x8f\xe3\x82\x89\xe3\x81\xaf"
	    "\xe3\x81\xaa\xe3\x81\xb3\xe3\x82\x89\xe3\x82\x93", NULL), 0);
	/* 7 code points in 21 bytes: too short although > 8 bytes. */
	T_EQ_INT(check("taro",
	    "\xe3\x81\x95\xe3\x81\x8f\xe3\x82\x89\xe3\x81\x95"
	    "\xe3\x81\x8f\xe3\x82\x89\xe3\x81\x95", NULL), CB_EPWSHORT);
	T_EQ_INT(check("taro", "my-TARO-pass", NULL), CB_EPWUSERID);
	T_EQ_INT(check("taro", "Kx7#mq2Lp9", "Kx7#mq2Lp9"), CB_EPWSAME);
	T_EQ_INT(check("taro", "Password", NULL), CB_EPWCOMMON);
	T_EQ_INT(check("taro", "QWERTYUI", NULL), CB_EPWCOMMON);
	T_EQ_INT(check("taro", "p@ssw0rd", NULL), CB_EPWCOMMON);
	T_EQ_INT(check("taro", "bad\xff\xfeutf8x", NULL), CB_EINVAL);
	T_EQ_INT(password_check("Kx7#mq2Lp9", NULL), 0);
}

/* Issue 20: what passed before and must not. */
T_TEST(policy_weak_ones_from_the_issue)
{
	char pw[200];

	T_EQ_INT(check("taro", "        ", NULL), CB_EPWREPEAT);
	memset(pw, 'x', 127);
	pw[127] = '\0';
	T_EQ_INT(check("taro", pw, NULL), CB_EPWLONG);
	pw[64] = '\0';
	T_EQ_INT(check("taro", pw, NULL), CB_EPWREPEAT);
	/* ああああああああ */
	T_EQ_INT(check("taro", "\xe3\x81\x82\xe3\x81\x82\xe3\x81\x82"
	    "\xe3\x81\x82\xe3\x81\x82\xe3\x81\x82\xe3\x81\x82"
	    "\xe3\x81\x82", NULL), CB_EPWREPEAT);
}

T_TEST(policy_runs_repeats_sequences)
{
	static const char *const weak[] = {
		"12345678", "87654321", "abcdefgh", "zyxwvuts", "ABCDEFGHIJ",
		"aaaa1111", "1234abcd", "abcd1234", "aaaaaaab", "abcabcab",
		"ab12ab12ab12", "Qxxxxxxxxxx",
		/* full-width: １２３４５６７８ */
		"\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94"
		"\xef\xbc\x95\xef\xbc\x96\xef\xbc\x97\xef\xbc\x98",
		/* あいうえおかきく: a run in gojūon order */
		"\xe3\x81\x82\xe3\x81\x84\xe3\x81\x86\xe3\x81\x88"
		"\xe3\x81\x8a\xe3\x81\x8b\xe3\x81\x8d\xe3\x81\x8f",
		/* アイウエオカキク, the same in katakana */
		"\xe3\x82\xa2\xe3\x82\xa4\xe3\x82\xa6\xe3\x82\xa8"
		"\xe3\x82\xaa\xe3\x82\xab\xe3\x82\xad\xe3\x82\xaf",
		/* ああいいああいい: a pattern repeated */
		"\xe3\x81\x82\xe3\x81\x82\xe3\x81\x84\xe3\x81\x84"
		"\xe3\x81\x82\xe3\x81\x82\xe3\x81\x84\xe3\x81\x84",
		/* spaces, tabs and ideographic spaces only */
		" \t \xe3\x80\x80 \t  \xe3\x80\x80",
	};
	static const char *const fine[] = {
		"Kx7#mq2Lp9", "sakura-mankai-2026", "abcd1234!", "tuvwXY19z",
		/* さくらさくら咲く */
		"\xe3\x81\x95\xe3\x81\x8f\xe3\x82\x89\xe3\x81\x95"
		"\xe3\x81\x8f\xe3\x82\x89\xe5\x92\xb2\xe3\x81\x8f",
		"  two words  here",
	};

	for (size_t i = 0; i < sizeof(weak) / sizeof(weak[0]); i++) {
		int rc = check("taro", weak[i], NULL);
		if (rc != CB_EPWREPEAT)
			fprintf(stderr, "weak[%zu] \"%s\": %d\n", i, weak[i], rc);
		T_EQ_INT(rc, CB_EPWREPEAT);
	}
	for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
		int rc = check("taro", fine[i], NULL);
		if (rc != 0)
			fprintf(stderr, "fine[%zu] \"%s\": %d\n", i, fine[i], rc);
		T_EQ_INT(rc, 0);
	}
}

T_TEST(policy_boundary_lengths)
{
	/* Code points, not bytes: 8 and 64 pass, 7 and 65 do not. */
	static const char cycle[] = "Kx7#mq2Lp9vR4tW!";
	char pw[AUTH_PASSWORD_MAX + 8];
	size_t o;

	for (size_t n = 7; n <= 9; n++) {
		for (o = 0; o < n; o++)
			pw[o] = cycle[o % 16];
		pw[o] = '\0';
		T_EQ_INT(check("taro", pw, NULL), n < 8 ? CB_EPWSHORT : 0);
	}
	for (size_t n = 63; n <= 65; n++) {
		for (o = 0; o < n; o++)
			pw[o] = (char)('!' + (o * 7 + o / 3) % 90);
		pw[o] = '\0';
		T_EQ_INT(check("taro", pw, NULL), n > 64 ? CB_EPWLONG : 0);
	}
	/* 64 kanji (192 bytes) pass; 65 do not; 64 four-byte characters
	 * (256 bytes, the most a field holds) pass. */
	o = 0;
	for (int i = 0; i < 65; i++) {
		unsigned c = 0x4e00 + (unsigned)(i * 37 % 500);
		pw[o++] = (char)(0xe0 | c >> 12);
		pw[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
		pw[o++] = (char)(0x80 | (c & 0x3f));
		pw[o] = '\0';
		if (i == 63)
			T_EQ_INT(check("taro", pw, NULL), 0);
	}
	T_EQ_INT(check("taro", pw, NULL), CB_EPWLONG);
	o = 0;
	for (int i = 0; i < 64; i++) {
		unsigned c = 0x1f600 + (unsigned)(i * 7 % 80);
		pw[o++] = (char)(0xf0 | c >> 18);
		pw[o++] = (char)(0x80 | ((c >> 12) & 0x3f));
		pw[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
		pw[o++] = (char)(0x80 | (c & 0x3f));
	}
	pw[o] = '\0';
	T_EQ_INT((int)strlen(pw), AUTH_PASSWORD_MAX - 1);
	T_EQ_INT(check("taro", pw, NULL), 0);
}

T_TEST(policy_names)
{
	/* 山田 太郎 */
	const char *yamada = "\xe5\xb1\xb1\xe7\x94\xb0\xe3\x80\x80"
	    "\xe5\xa4\xaa\xe9\x83\x8e";
	/* 東京都立 桜が丘高等学校 */
	const char *school = "\xe6\x9d\xb1\xe4\xba\xac\xe9\x83\xbd\xe7\xab\x8b "
	    "\xe6\xa1\x9c\xe3\x81\x8c\xe4\xb8\x98\xe9\xab\x98\xe7\xad\x89"
	    "\xe5\xad\xa6\xe6\xa0\xa1";
	struct password_ctx c = { "s2026001", yamada, school, NULL };

	/* A part of the name: 山田 */
	T_EQ_INT(password_check("\xe5\xb1\xb1\xe7\x94\xb0-Kx7#mq2", &c),
	    CB_EPWNAME);
	/* The whole, without its space: 山田太郎 */
	T_EQ_INT(password_check("Kx7#\xe5\xb1\xb1\xe7\x94\xb0\xe5\xa4\xaa"
	    "\xe9\x83\x8e", &c), CB_EPWNAME);
	c.pc_name = "Sato Hanako";
	T_EQ_INT(password_check("mq2-hanako-Lp9", &c), CB_EPWNAME);
	/* Full-width letters fold: ＳＡＴＯ */
	T_EQ_INT(password_check("Kx7#\xef\xbc\xb3\xef\xbc\xa1\xef\xbc\xb4"
	    "\xef\xbc\xaf!2Lp9", &c), CB_EPWNAME);
	/* Too short a part to count: "Li" */
	c.pc_name = "Li Na";
	T_EQ_INT(password_check("li-Kx7#mq2Lp9", &c), 0);
	/* The login id, full-width too: ｓ２０２６００１ */
	T_EQ_INT(password_check("Kx7#\xef\xbd\x93\xef\xbc\x92\xef\xbc\x90"
	    "\xef\xbc\x92\xef\xbc\x96\xef\xbc\x90\xef\xbc\x90\xef\xbc\x91",
	    &c), CB_EPWUSERID);
	/* The school: a telling part (桜が丘高等学校), not a word every
	 * school has (高等学校) */
	T_EQ_INT(password_check("Kx7#\xe6\xa1\x9c\xe3\x81\x8c\xe4\xb8\x98"
	    "\xe9\xab\x98\xe7\xad\x89\xe5\xad\xa6\xe6\xa0\xa1", &c),
	    CB_EPWSCHOOL);
	T_EQ_INT(password_check("\xe6\x9d\xb1\xe4\xba\xac\xe9\x83\xbd"
	    "\xe7\xab\x8b-Kx7#mq2", &c), CB_EPWSCHOOL);
	T_EQ_INT(password_check("Kx7#mq2\xe9\xab\x98\xe7\xad\x89\xe5\xad"
	    "\xa6\xe6\xa0\xa1", &c), 0);
	c.pc_school = "Sakura High School";
	T_EQ_INT(password_check("Kx7#SAKURA-mq2", &c), CB_EPWSCHOOL);
	T_EQ_INT(password_check("my-high-mountain-9", &c), 0);
	T_EQ_INT(password_check("Kx7-sakurahighschool", &c), CB_EPWSCHOOL);
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
	pw[AUTH_PASSWORD_MAX - 1] = '\0';	/* 256 bytes: the most */
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

	struct password_ctx c = { "admin", "Sato Hanako", "Sakura High",
	    NULL };

	for (int i = 0; i < 200; i++) {
		T_EQ_INT(password_generate(a, sizeof(a), &c), 0);
		T_EQ_INT((int)strlen(a), PASSWORD_INITIAL_LEN);
		T_ASSERT(strpbrk(a, "0O1lIo") == NULL);
		T_EQ_INT(password_check(a, &c), 0);
	}
	T_EQ_INT(password_generate(b, sizeof(b), NULL), 0);
	T_ASSERT(strcmp(a, b) != 0);
	T_EQ_INT(password_generate(a, PASSWORD_INITIAL_LEN, NULL), CB_ETOOBIG);
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
