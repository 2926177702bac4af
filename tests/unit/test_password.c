/* test_password.c: policy, PHC round trip, rehash, initial passwords. */
#include <stdio.h>
#include <string.h>

#include "core/cb.h"
#include "auth/password.h"
#include "t.h"

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
	char phc[PASSWORD_PHC_MAX];
	int64_t t0 = cb_mono_ms();

	for (int i = 0; i < 5; i++)
		password_hash("timing test password", phc, sizeof(phc));
	printf("argon2id m=%d KiB t=%d p=%d: %.1f ms per hash\n",
	    PASSWORD_ARGON2_M_KIB, PASSWORD_ARGON2_T, PASSWORD_ARGON2_P,
	    (double)(cb_mono_ms() - t0) / 5);
}

T_MAIN()
