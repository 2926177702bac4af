/*
 * password_policy.c: what a password a person chooses must be (NIST SP
 * 800-63B 5.1.1.2), and initial passwords that meet it. No I/O, no state:
 * the one policy web's answers, the console and every auth request use.
 *
 * Characters are code points, compared after a light folding (pw_fold):
 * ASCII case, full-width ASCII (Ｔａｒｏ is Taro) and the ideographic space.
 * Not full NFKC: half-width katakana and composed forms stay as typed, and
 * the password itself is hashed as typed (a person types it the same way
 * each time on the same device).
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "base/cb.h"
#include "base/utf8.h"
#include "auth/authproto.h"
#include "auth/password.h"

#define PASSWORD_GENERATE_TRIES	16	/* a generated one failing policy */
#define PW_NAME_PART_ASCII	3	/* code points of a name part that */
#define PW_NAME_PART_OTHER	2	/* counts: 山田 is as telling as Sato */
#define PW_SCHOOL_PART_ASCII	5	/* a school's: "High" is no secret */
#define PW_MAX_RUNS		2	/* "1234abcd" is two runs: refused */
#define PW_NAME_MAX_BYTES	256	/* a name or a school's, with room */

/*
 * The most common passwords of leaked lists, plus favourites of Japanese
 * users (romaji words, anime, keyboard rows). Lowercase: the comparison
 * folds case. Only those of AUTH_PASSWORD_MIN or more characters are worth
 * listing, since shorter ones fail the length rule first; runs and repeats
 * ("11111111", "abcdefgh") are refused by pw_repetitive whether listed or
 * not.
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

_Static_assert(AUTH_NAME_MAX <= PW_NAME_MAX_BYTES &&
    AUTH_SCHOOL_MAX <= PW_NAME_MAX_BYTES, "names fit pw_contains_name");

/* Words in nearly every school's name: a password may contain them even
 * when the school's name does (folded, as pw_fold leaves them). */
static const char *const pw_school_words[] = {
	"school", "junior", "senior", "elementary", "primary", "middle",
	"academy", "college", "gakuen", "gakkou", "gakko",
	"\xe5\xad\xa6\xe6\xa0\xa1",				/* 学校 */
	"\xe5\xb0\x8f\xe5\xad\xa6\xe6\xa0\xa1",			/* 小学校 */
	"\xe4\xb8\xad\xe5\xad\xa6\xe6\xa0\xa1",			/* 中学校 */
	"\xe9\xab\x98\xe7\xad\x89\xe5\xad\xa6\xe6\xa0\xa1",	/* 高等学校 */
	"\xe9\xab\x98\xe6\xa0\xa1",				/* 高校 */
	"\xe5\xad\xa6\xe5\x9c\x92",				/* 学園 */
};

/* Gojūon order: あいうえお順, so that あいうえおかきく is a run although
 * its code points step by two (small kana sit between). */
static const char pw_gojuon[] =
    "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほ"
    "まみむめもやゆよらりるれろわをん";

/* ---- code points ---------------------------------------------------- */

/* Decode valid UTF-8 (checked before) into at most max code points; the
 * count, or max + 1 when there are more. */
static size_t
pw_decode(const char *s, uint32_t *cp, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	while (*p != '\0') {
		uint32_t c = *p;
		int more = c < 0x80 ? 0 : c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
		if (more > 0)
			c &= 0x3fu >> more;
		for (int i = 0; i < more; i++)
			c = (c << 6) | (*++p & 0x3fu);
		p++;
		if (n == max)
			return max + 1;
		cp[n++] = c;
	}
	return n;
}

/* Folding for comparisons: ASCII case, full-width ASCII, U+3000. */
static uint32_t
pw_fold(uint32_t c)
{
	if (c >= 0xff01 && c <= 0xff5e)
		c -= 0xfee0;
	else if (c == 0x3000)
		c = ' ';
	if (c >= 'A' && c <= 'Z')
		c += 'a' - 'A';
	return c;
}

static int
pw_space(uint32_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == 0xa0 || c == 0x3000 || (c >= 0x2000 && c <= 0x200b) ||
	    c == 0x202f || c == 0x205f || c == 0xfeff;
}

/* Where c stands in a sequence: kana by gojūon (katakana as hiragana),
 * anything else by code point after folding. */
static uint32_t
pw_ordinal(uint32_t c)
{
	uint32_t g[sizeof(pw_gojuon)];
	size_t n;

	c = pw_fold(c);
	if (c >= 0x30a1 && c <= 0x30f6)
		c -= 0x60;			/* katakana to hiragana */
	if (c < 0x3041 || c > 0x3096)
		return c;
	n = pw_decode(pw_gojuon, g, sizeof(g) / sizeof(g[0]));
	for (size_t i = 0; i < n; i++)
		if (g[i] == c)
			return 0x110000u + (uint32_t)i;
	return c;
}

/* ---- the rules ------------------------------------------------------ */

/*
 * Whitespace only, one character again and again ("ああああああああ"), a
 * short pattern repeated ("abcabcab"), or at most PW_MAX_RUNS runs of
 * steps of 0 or ±1 ("12345678", "zyxwvuts", "aaaa1111", "あいうえおかきく"):
 * the first things a guesser tries once the common list is done.
 */
static int
pw_repetitive(const uint32_t *cp, size_t n)
{
	size_t i, p, runs = 1, len = 1;
	int64_t step = 0;

	for (i = 0; i < n && pw_space(cp[i]); i++)
		;
	if (i == n)
		return 1;
	for (p = 1; p <= n / 2; p++) {
		for (i = p; i < n && pw_fold(cp[i]) == pw_fold(cp[i - p]); i++)
			;
		if (i == n)
			return 1;
	}
	for (i = 1; i < n; i++) {
		int64_t d = (int64_t)pw_ordinal(cp[i]) -
		    (int64_t)pw_ordinal(cp[i - 1]);
		if (len == 1 && d >= -1 && d <= 1) {
			step = d;
			len = 2;
		} else if (len > 1 && d == step)
			len++;
		else {
			runs++;
			len = 1;
		}
	}
	return runs <= PW_MAX_RUNS;
}

/* 1 when the folded password contains the folded needle[0..nn). */
static int
pw_contains(const uint32_t *pw, size_t n, const uint32_t *needle, size_t nn)
{
	if (nn == 0 || nn > n)
		return 0;
	for (size_t i = 0; i + nn <= n; i++) {
		size_t k = 0;
		while (k < nn && pw_fold(pw[i + k]) == pw_fold(needle[k]))
			k++;
		if (k == nn)
			return 1;
	}
	return 0;
}

/* pw_contains for a text needle (a login id), decoded into buf[max]. */
static int
pw_contains_text(const uint32_t *pw, size_t n, const char *text,
    uint32_t *buf, size_t max)
{
	size_t m;

	if (text == NULL || strlen(text) >= max ||
	    !cb_utf8_valid(text, strlen(text), CB_UTF8_ANY))
		return 0;
	m = pw_decode(text, buf, max);
	return pw_contains(pw, n, buf, m);
}

static int
pw_separator(uint32_t c)
{
	return pw_space(c) || c == 0x30fb || c == 0xff65;	/* ・ */
}

static int
pw_is_school_word(const uint32_t *w, size_t n)
{
	uint32_t cp[16];

	for (size_t i = 0; i < CB_ARRAY_LEN(pw_school_words); i++) {
		size_t m = pw_decode(pw_school_words[i], cp, 16), k = 0;
		while (m == n && k < n && pw_fold(w[k]) == cp[k])
			k++;
		if (m == n && k == n)
			return 1;
	}
	return 0;
}

/*
 * Does the password contain the name (a person's or the school's): the
 * whole of it without its spaces, or one of its space-separated parts
 * long enough to tell (ascii_min code points of ASCII, PW_NAME_PART_OTHER
 * of anything else; words every school has do not count).
 */
static int
pw_contains_name(const uint32_t *pw, size_t n, const char *name,
    size_t ascii_min, int school)
{
	uint32_t cp[PW_NAME_MAX_BYTES], whole[PW_NAME_MAX_BYTES];
	size_t m, w = 0, start = 0;

	/* Names are shorter (AUTH_NAME_MAX, AUTH_SCHOOL_MAX bytes). */
	if (name == NULL || strlen(name) >= PW_NAME_MAX_BYTES ||
	    !cb_utf8_valid(name, strlen(name), CB_UTF8_ANY))
		return 0;
	m = pw_decode(name, cp, CB_ARRAY_LEN(cp));
	for (size_t i = 0; i <= m; i++) {
		if (i < m && !pw_separator(cp[i])) {
			whole[w++] = cp[i];
			continue;
		}
		size_t len = i - start, ascii = 1;
		for (size_t k = start; k < i; k++)
			ascii &= pw_fold(cp[k]) < 0x80;
		if (len >= (ascii ? ascii_min : PW_NAME_PART_OTHER) &&
		    !(school && pw_is_school_word(cp + start, len)) &&
		    pw_contains(pw, n, cp + start, len))
			return 1;
		start = i + 1;
	}
	return w >= PW_NAME_PART_OTHER && pw_contains(pw, n, whole, w);
}

int
password_is_common(const char *pw)
{
	uint32_t cp[AUTH_PASSWORD_MAX];
	char low[AUTH_PASSWORD_MAX];
	size_t n, i;
	int found = 0;

	if (strlen(pw) >= sizeof(low) || !cb_utf8_valid(pw, strlen(pw), CB_UTF8_TEXT))
		return 0;
	n = pw_decode(pw, cp, CB_ARRAY_LEN(cp));
	for (i = 0; i < n; i++) {
		uint32_t c = pw_fold(cp[i]);
		if (c >= 0x80)
			break;		/* every listed one is ASCII */
		low[i] = (char)c;
	}
	low[i] = '\0';
	for (size_t k = 0; i == n && k < CB_ARRAY_LEN(password_common); k++)
		if (strcmp(low, password_common[k]) == 0)
			found = 1;
	cb_wipe(low, sizeof(low));
	cb_wipe(cp, sizeof(cp));
	return found;
}

int
password_check(const char *pw, const struct password_ctx *ctx)
{
	static const struct password_ctx none;
	uint32_t cp[AUTH_PASSWORD_MAX_CHARS + 1], uid[AUTH_UID_MAX];
	size_t len, n;
	int rc = 0;

	assert(pw != NULL);
	if (ctx == NULL)
		ctx = &none;
	len = strlen(pw);
	if (len >= AUTH_PASSWORD_MAX)
		return CB_EPWLONG;
	if (!cb_utf8_valid(pw, len, CB_UTF8_TEXT))
		return CB_EINVAL;
	n = pw_decode(pw, cp, AUTH_PASSWORD_MAX_CHARS);
	if (n < AUTH_PASSWORD_MIN)
		rc = CB_EPWSHORT;
	else if (n > AUTH_PASSWORD_MAX_CHARS)
		rc = CB_EPWLONG;
	else if (pw_repetitive(cp, n))
		rc = CB_EPWREPEAT;
	else if (pw_contains_text(cp, n, ctx->pc_uid, uid, AUTH_UID_MAX))
		rc = CB_EPWUSERID;
	else if (pw_contains_name(cp, n, ctx->pc_name, PW_NAME_PART_ASCII, 0))
		rc = CB_EPWNAME;
	else if (pw_contains_name(cp, n, ctx->pc_school, PW_SCHOOL_PART_ASCII,
	    1))
		rc = CB_EPWSCHOOL;
	else if (ctx->pc_old != NULL && strcmp(pw, ctx->pc_old) == 0)
		rc = CB_EPWSAME;
	else if (password_is_common(pw))
		rc = CB_EPWCOMMON;
	cb_wipe(cp, sizeof(cp));
	return rc;
}

/* ---- initial passwords ---------------------------------------------- */

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
password_generate(char *out, size_t out_size, const struct password_ctx *ctx)
{
	int rc, tries;

	assert(out != NULL);
	if (out_size <= PASSWORD_INITIAL_LEN)
		return CB_ETOOBIG;
	for (tries = 0; tries < PASSWORD_GENERATE_TRIES; tries++) {
		if ((rc = password_generate_once(out)) != 0)
			return rc;
		/* The same rules as a chosen one, for whom it is. */
		if (password_check(out, ctx) == 0)
			return 0;
	}
	cb_wipe(out, out_size);
	return CB_ECRYPTO;	/* a broken RNG: 16 refusals in a row */
}
