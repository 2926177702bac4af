/*
 * password.c: Argon2id hashing through libargon2, the password policy and
 * initial passwords. No I/O and no state: safe to call from any thread.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include <argon2.h>

#include "core/cb.h"
#include "auth/authproto.h"
#include "auth/password.h"

#define PASSWORD_GENERATE_TRIES	16	/* a generated one failing policy */

/*
 * The most common passwords of leaked lists, plus favourites of Japanese
 * users (romaji words, anime, keyboard rows). Lowercase: the comparison
 * folds ASCII case. Only those of AUTH_PASSWORD_MIN or more characters are
 * worth listing, since shorter ones fail the length rule first.
 */
static const char *const password_common[] = {
	"password", "password1", "password12", "password123", "password1234",
	"password!", "password01", "passw0rd", "passw0rd1", "p@ssw0rd",
	"p@ssw0rd1", "p@ssword", "p@$$w0rd", "pa$$word", "pa55word",
	"pass1234", "pass12345", "passwort", "mypassword", "newpassword",
	"nopassword", "secretpassword", "changeme", "changeme1",
	"12345678", "123456789", "1234567890", "12345678910", "0123456789",
	"87654321", "98765432", "987654321", "9876543210", "11111111",
	"111111111", "1111111111", "00000000", "000000000", "0000000000",
	"22222222", "33333333", "44444444", "55555555", "66666666",
	"77777777", "88888888", "99999999", "12341234", "11223344",
	"12121212", "12344321", "12312312", "13131313", "11112222",
	"12369874", "147258369", "159357456", "123123123", "123321123",
	"147852369", "123454321", "19841984", "20002000", "19901990",
	"1q2w3e4r", "1q2w3e4r5t", "1q2w3e4r!", "q1w2e3r4", "q1w2e3r4t5",
	"1qaz2wsx", "1qazxsw2", "!qaz2wsx", "zaq12wsx", "2wsx3edc",
	"qazwsxedc", "qwertyui", "qwertyuiop", "qwerty12", "qwerty123",
	"qwerty1234", "qwertyu1", "qwer1234", "1234qwer", "qwertzui",
	"azertyui", "asdfghjk", "asdfghjkl", "asdf1234", "1234asdf",
	"asdfasdf", "asdasdasd", "qweqweqwe", "qweasdzxc", "123qweasd",
	"zxcvbnm1", "zxcvbnm123", "zxcvbnma", "a1s2d3f4", "z1x2c3v4",
	"abcd1234", "1234abcd", "abc12345", "abc123456", "abc123abc",
	"123abc123", "abcdefgh", "abcdefg1", "a1234567", "a12345678",
	"a1b2c3d4", "1a2b3c4d", "aa123456", "aaaa1111", "11qq22ww",
	"aaaaaaaa", "qqqqqqqq", "wwwwwwww", "zzzzzzzz", "xxxxxxxx",
	"12345qwert", "iloveyou", "iloveyou1", "iloveyou2", "iloveu12",
	"loveyou1", "lovelove", "love1234", "letmein1", "letmein123",
	"welcome1", "welcome123", "sunshine", "princess", "princess1",
	"football", "football1", "baseball", "baseball1", "basketball",
	"superman", "superman1", "batman123", "starwars", "starwars1",
	"trustno1", "whatever", "computer", "computer1", "internet",
	"internet1", "freedom1", "michael1", "michelle", "jennifer",
	"jordan23", "maverick", "mercedes", "liverpool", "chocolate",
	"butterfly", "babygirl", "angel123", "monkey12", "master12",
	"shadow12", "dragon12", "summer12", "hello123", "helloworld",
	"administrator", "admin123", "admin1234", "adminadmin", "root1234",
	"guest123", "default1", "test1234", "testtest", "test12345",
	"user1234", "login123", "secret12", "secret123", "samsung1",
	"iphone12", "facebook", "youtube1", "minecraft", "fortnite",
	"roblox12", "nintendo", "playstation", "pokemon1", "pokemon12",
	"pokemon123", "pikachu1", "pikachu123", "doraemon", "doraemon1",
	"anpanman", "naruto12", "naruto123", "onepiece", "onepiece1",
	"dragonball", "sailormoon", "hellokitty", "evangelion", "gundam00",
	"totoro12", "totoro123", "ghibli12", "sakura12", "sakura123",
	"sakurasaku", "arashi12", "nippon12", "nihon123", "tokyo123",
	"osaka123", "yokohama", "hokkaido", "fujisan1", "konnichiwa",
	"arigatou", "daisuki1", "aishiteru", "kawaii12", "gakkou12",
	"gakkou123", "sensei12", "seito123", "tanaka12", "suzuki12",
	"sato1234", "yamada12", "takahashi", "watanabe", "yamamoto",
	"nakamura", "kobayashi", "hiroshi1", "takeshi1", "kamisama",
	"school12", "school123",
};

int
password_hash(const char *pw, char *phc, size_t phc_size)
{
	uint8_t salt[PASSWORD_SALT_LEN];
	int rc;

	assert(pw != NULL && phc != NULL);
	if (phc_size < PASSWORD_PHC_MAX)
		return CB_ETOOBIG;
	if ((rc = cb_random(salt, sizeof(salt))) != 0)
		return rc;
	rc = argon2id_hash_encoded(PASSWORD_ARGON2_T, PASSWORD_ARGON2_M_KIB,
	    PASSWORD_ARGON2_P, pw, strlen(pw), salt, sizeof(salt),
	    PASSWORD_HASH_LEN, phc, phc_size);
	cb_wipe(salt, sizeof(salt));
	if (rc != ARGON2_OK) {
		log_err("password: argon2id failed: %s",
		    argon2_error_message(rc));
		phc[0] = '\0';
		return CB_ECRYPTO;
	}
	return 0;
}

int
password_verify(const char *phc, const char *pw)
{
	int rc;

	assert(phc != NULL && pw != NULL);
	if (strncmp(phc, "$argon2id$", 10) != 0)
		return CB_EINVAL;
	rc = argon2id_verify(phc, pw, strlen(pw));
	if (rc == ARGON2_OK)
		return 0;
	if (rc == ARGON2_VERIFY_MISMATCH)
		return CB_EAUTH;
	if (rc == ARGON2_DECODING_FAIL || rc == ARGON2_INCORRECT_TYPE)
		return CB_EINVAL;
	log_err("password: argon2id verify failed: %s",
	    argon2_error_message(rc));
	return CB_ECRYPTO;
}

/* Length of the unpadded base64 of n bytes. */
static size_t
b64_len(size_t n)
{
	return (n * 4 + 2) / 3;
}

int
password_needs_rehash(const char *phc)
{
	char prefix[64];
	const char *salt, *hash;
	int n;

	n = snprintf(prefix, sizeof(prefix), "$argon2id$v=%d$m=%d,t=%d,p=%d$",
	    ARGON2_VERSION_13, PASSWORD_ARGON2_M_KIB, PASSWORD_ARGON2_T,
	    PASSWORD_ARGON2_P);
	assert(n > 0 && (size_t)n < sizeof(prefix));
	if (strncmp(phc, prefix, (size_t)n) != 0)
		return 1;
	salt = phc + n;
	hash = strchr(salt, '$');
	if (hash == NULL || (size_t)(hash - salt) != b64_len(PASSWORD_SALT_LEN))
		return 1;
	hash++;
	return strlen(hash) != b64_len(PASSWORD_HASH_LEN);
}

/* Code points of valid UTF-8: bytes that do not continue a sequence. */
static size_t
utf8_count(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static char
ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* strstr with ASCII case folding (uids are ASCII). */
static int
contains_nocase(const char *hay, const char *needle)
{
	size_t nlen = strlen(needle);

	if (nlen == 0)
		return 0;
	for (; *hay != '\0'; hay++) {
		size_t i;

		for (i = 0; i < nlen && hay[i] != '\0'; i++)
			if (ascii_lower(hay[i]) != ascii_lower(needle[i]))
				break;
		if (i == nlen)
			return 1;
	}
	return 0;
}

int
password_is_common(const char *pw)
{
	char low[AUTH_PASSWORD_MAX];
	size_t i, len = strlen(pw);
	int found = 0;

	if (len >= sizeof(low))
		return 0;
	for (i = 0; i <= len; i++)
		low[i] = ascii_lower(pw[i]);
	for (i = 0; i < CB_ARRAY_LEN(password_common); i++)
		if (strcmp(low, password_common[i]) == 0)
			found = 1;
	cb_wipe(low, sizeof(low));
	return found;
}

int
password_check_policy(const char *uid, const char *pw, const char *old)
{
	size_t len;

	assert(pw != NULL);
	len = strlen(pw);
	if (len >= AUTH_PASSWORD_MAX)
		return CB_EPWLONG;
	if (!cb_utf8_valid(pw, len))
		return CB_EINVAL;
	if (utf8_count(pw) < AUTH_PASSWORD_MIN)
		return CB_EPWSHORT;
	if (uid != NULL && contains_nocase(pw, uid))
		return CB_EPWUSERID;
	if (old != NULL && strcmp(pw, old) == 0)
		return CB_EPWSAME;
	if (password_is_common(pw))
		return CB_EPWCOMMON;
	return 0;
}

static int
password_generate_once(char *out)
{
	static const char alphabet[] =
	    "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	const unsigned n = sizeof(alphabet) - 1;
	const unsigned limit = 256 - 256 % n;	/* no modulo bias */
	uint8_t buf[64];
	size_t i = 0, used = sizeof(buf);
	int rc;

	while (i < PASSWORD_INITIAL_LEN) {
		if (used == sizeof(buf)) {
			if ((rc = cb_random(buf, sizeof(buf))) != 0)
				return rc;
			used = 0;
		}
		if (buf[used] < limit)
			out[i++] = alphabet[buf[used] % n];
		used++;
	}
	out[i] = '\0';
	cb_wipe(buf, sizeof(buf));
	return 0;
}

int
password_generate(char *out, size_t out_size)
{
	int rc, tries;

	assert(out != NULL);
	if (out_size <= PASSWORD_INITIAL_LEN)
		return CB_ETOOBIG;
	for (tries = 0; tries < PASSWORD_GENERATE_TRIES; tries++) {
		if ((rc = password_generate_once(out)) != 0)
			return rc;
		if (password_check_policy(NULL, out, NULL) == 0)
			return 0;
	}
	return CB_ECRYPTO;	/* a broken RNG: 16 common passwords in a row */
}
