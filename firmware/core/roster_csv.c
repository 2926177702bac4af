/*
 * roster_csv.c: the roster CSV, decoded, split into records, checked row by
 * row and then as a whole. Stages, each its own section below:
 *
 *   1. errors     bilingual messages, kept sorted by line
 *   2. decoding   UTF-8 (BOM or not) or CP932 -> one UTF-8 buffer
 *   3. CSV        RFC 4180 records, unquoted in place, with start lines
 *   4. header     column names (Japanese or English) -> columns
 *   5. rows       one record -> one roster_user, every bad field reported
 *   6. file       duplicate ids, duplicate class+number, children
 *
 * Shift_JIS: glibc's iconv has "CP932" (Windows' table). musl's has only
 * "SHIFT_JIS" (JIS X 0208): no NEC or IBM extensions, and it reads some
 * bytes out of range of its table (lead bytes past 0xEA, trail bytes
 * outside 0x40..0xFC) as wrong characters rather than failing. So bytes
 * are checked here first, and a character goes to iconv only when it is a
 * well-formed JIS X 0208 code; row 13 (NEC: ①, ㈱, ...) and the eight codes
 * where CP932 and JIS map differently (～, －, ...) are decoded here, so
 * both C libraries give the same text. The NEC-selected and IBM extension
 * rows (髙, 﨑, ...) come from cp932_ext, a table generated at build time
 * from the build host's glibc (tools/gen-cp932-ext), on both libraries.
 */
#include "core/cp932_ext.h"
#include "core/roster_csv.h"

#include <assert.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/cb.h"
#include "base/utf8.h"

/* ---- 1. errors ------------------------------------------------------- */

#define SHOWN_MAX	48	/* bytes of a user's value quoted in a message */

/* Cut s back to a whole UTF-8 sequence at its end. */
static void
utf8_cut(char *s)
{
	size_t n = strlen(s), i = n, need;
	unsigned char c;

	while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80 && n - i < 3)
		i--;
	if (i == 0)
		return;
	c = (unsigned char)s[i - 1];
	if (c < 0x80)
		return;
	need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	if (n - (i - 1) < need)
		s[i - 1] = '\0';
}

/* A user's value made safe to quote in a message: short, no controls. */
static const char *
shown(const char *s, char out[SHOWN_MAX + 4])
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < SHOWN_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out[i] = '\0';
	utf8_cut(out);
	if (s[i] != '\0')
		strcat(out, "...");
	return out;
}

static void
err_msg(char *dst, const char *prefix, const char *fmt, va_list ap)
{
	size_t n = strlen(prefix);

	memcpy(dst, prefix, n + 1);
	vsnprintf(dst + n, ROSTER_MSG_MAX - n, fmt, ap);
	utf8_cut(dst);
}

/*
 * Adds one error. ja and en take the same arguments in the same order
 * (only ja's are checked by the compiler: keep them in step).
 */
static void err_add(struct roster_errors *e, unsigned line,
    enum roster_error_kind kind, const char *ja, const char *en, ...)
    __attribute__((format(printf, 4, 6)));

static void
err_add(struct roster_errors *e, unsigned line, enum roster_error_kind kind,
    const char *ja, const char *en, ...)
{
	struct roster_error *r;
	char pja[32], pen[32];
	va_list ap, aq;

	e->re_total++;
	if (e->re_n >= ROSTER_MAX_ERRORS)
		return;
	if (e->re_n == e->re_cap) {
		size_t cap = e->re_cap ? e->re_cap * 2 : 16;
		void *p;

		if (cap > ROSTER_MAX_ERRORS + 1)
			cap = ROSTER_MAX_ERRORS + 1;
		if ((p = realloc(e->re_list, cap * sizeof(*r))) == NULL)
			return;	/* re_total still counts it */
		e->re_list = p;
		e->re_cap = cap;
	}
	r = &e->re_list[e->re_n++];
	r->re_line = line;
	r->re_kind = kind;
	pja[0] = pen[0] = '\0';
	if (line > 0) {
		snprintf(pja, sizeof(pja), "%u行目: ", line);
		snprintf(pen, sizeof(pen), "line %u: ", line);
	}
	va_start(ap, en);
	va_copy(aq, ap);
	err_msg(r->re_ja, pja, ja, ap);
	err_msg(r->re_en, pen, en, aq);
	va_end(aq);
	va_end(ap);
}

/* Stable by line (insertion sort: at most ROSTER_MAX_ERRORS entries), then
 * one entry for what was left out. */
static void
err_finish(struct roster_errors *e)
{
	size_t i, j;

	for (i = 1; i < e->re_n; i++) {
		struct roster_error t = e->re_list[i];

		for (j = i; j > 0 && e->re_list[j - 1].re_line > t.re_line; j--)
			e->re_list[j] = e->re_list[j - 1];
		e->re_list[j] = t;
	}
	if (e->re_total > e->re_n && e->re_n < e->re_cap) {
		size_t more = e->re_total - e->re_n;
		struct roster_error *r = &e->re_list[e->re_n++];

		r->re_line = 0;
		r->re_kind = ROSTER_ERR_MORE;
		snprintf(r->re_ja, sizeof(r->re_ja),
		    "ほかに %zu 件のエラーがあります。上のエラーを直してから、"
		    "もう一度確認してください", more);
		snprintf(r->re_en, sizeof(r->re_en),
		    "%zu more errors are not listed; fix the ones above and "
		    "check the file again", more);
	}
}

static void
err_clear(struct roster_errors *e)
{
	e->re_n = 0;
	e->re_total = 0;
}

void
roster_errors_free(struct roster_errors *e)
{
	free(e->re_list);
	memset(e, 0, sizeof(*e));
}

/* ---- 2. decoding ----------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at p, or 0 (base/utf8.h). */
static size_t
utf8_len(const unsigned char *p, const unsigned char *end)
{
	return cb_utf8_seq((const char *)p, (size_t)(end - p));
}

static size_t
utf8_put(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	assert(cp < 0x10000);
	o[0] = (char)(0xe0 | (cp >> 12));
	o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

/* Counts physical lines: CRLF, LF and a lone CR each end one. */
struct lines {
	unsigned l_line;
	int l_cr;
};

static void
lines_step(struct lines *l, unsigned char c)
{
	if (c == '\r')
		l->l_line++;
	else if (c == '\n' && !l->l_cr)
		l->l_line++;
	l->l_cr = c == '\r';
}

static int
utf8_check(const unsigned char *p, size_t len, struct roster_errors *e)
{
	const unsigned char *end = p + len;
	struct lines l = { 1, 0 };
	unsigned reported = 0;

	while (p < end) {
		size_t n = utf8_len(p, end);

		if (n == 0 || *p == 0) {
			if (reported != l.l_line)
				err_add(e, l.l_line, ROSTER_ERR_ENCODING,
				    "UTF-8 として読めない文字があります"
				    "（バイト 0x%02X）。Excel で「CSV UTF-8」"
				    "形式で保存し直してください",
				    "a character is not valid UTF-8 (byte "
				    "0x%02X); save the file again as 'CSV "
				    "UTF-8' in Excel", *p);
			reported = l.l_line;
			n = 1;
		}
		lines_step(&l, *p);
		p += n;
	}
	return e->re_total ? CB_EINVAL : 0;
}

/*
 * Whether p[0..len) is meant as UTF-8: well-formed (controls allowed;
 * they are reported per field later), or nearly so: a UTF-8 file with a
 * few broken bytes is reported as such rather than read as Shift_JIS
 * mojibake. Shift_JIS text seldom forms valid multi-byte UTF-8.
 */
static int
utf8_likely(const unsigned char *p, size_t len)
{
	const unsigned char *end = p + len;
	size_t good = 0, bad = 0;

	while (p < end) {
		size_t n = utf8_len(p, end);

		if (n == 0) {
			bad++;
			n = 1;
		} else if (n > 1)
			good += n;
		p += n;
	}
	return bad == 0 || good > 8 * bad;
}

/*
 * CP932 row 13 (NEC special characters, 0x8740..0x879C), from Microsoft's
 * published code page 932; 0 = unassigned. tests/unit/test_roster_csv.c
 * checks every entry against glibc's CP932.
 */
static const uint16_t cp932_row13[0x9d - 0x40] = {
	/* 0x8740 ①..⑳ */
	0x2460, 0x2461, 0x2462, 0x2463, 0x2464, 0x2465, 0x2466, 0x2467,
	0x2468, 0x2469, 0x246a, 0x246b, 0x246c, 0x246d, 0x246e, 0x246f,
	0x2470, 0x2471, 0x2472, 0x2473,
	/* 0x8754 Ⅰ..Ⅹ, 0x875E unassigned */
	0x2160, 0x2161, 0x2162, 0x2163, 0x2164, 0x2165, 0x2166, 0x2167,
	0x2168, 0x2169, 0,
	/* 0x875F ㍉㌔㌢㍍㌘㌧㌃㌶㍑㍗㌍㌦㌣㌫㍊㌻㎜㎝㎞㎎㎏㏄㎡ */
	0x3349, 0x3314, 0x3322, 0x334d, 0x3318, 0x3327, 0x3303, 0x3336,
	0x3351, 0x3357, 0x330d, 0x3326, 0x3323, 0x332b, 0x334a, 0x333b,
	0x339c, 0x339d, 0x339e, 0x338e, 0x338f, 0x33c4, 0x33a1,
	/* 0x8776..0x877D unassigned, 0x877E ㍻, 0x877F not a trail byte */
	0, 0, 0, 0, 0, 0, 0, 0, 0x337b, 0,
	/* 0x8780 〝〟№㏍℡㊤㊥㊦㊧㊨㈱㈲㈹㍾㍽㍼ */
	0x301d, 0x301f, 0x2116, 0x33cd, 0x2121, 0x32a4, 0x32a5, 0x32a6,
	0x32a7, 0x32a8, 0x3231, 0x3232, 0x3239, 0x337e, 0x337d, 0x337c,
	/* 0x8790 ≒≡∫∮∑√⊥∠∟⊿∵∩∪ */
	0x2252, 0x2261, 0x222b, 0x222e, 0x2211, 0x221a, 0x22a5, 0x2220,
	0x221f, 0x22bf, 0x2235, 0x2229, 0x222a,
};

/* Codes that CP932 maps unlike JIS X 0208 (musl's SHIFT_JIS). */
static const struct { uint16_t code, cp; } cp932_differs[] = {
	{ 0x815c, 0x2015 },	/* ― */
	{ 0x815f, 0xff3c },	/* ＼ */
	{ 0x8160, 0xff5e },	/* ～ */
	{ 0x8161, 0x2225 },	/* ∥ */
	{ 0x817c, 0xff0d },	/* － */
	{ 0x8191, 0xffe0 },	/* ￠ */
	{ 0x8192, 0xffe1 },	/* ￡ */
	{ 0x81ca, 0xffe2 },	/* ￢ */
};

struct sjis {
	iconv_t s_cd;
	int s_jis_only;		/* the C library has no CP932 (musl) */
};

static int
sjis_open(struct sjis *s)
{
	static const char *const names[] = { "CP932", "SHIFT_JIS", "SJIS" };
	size_t i;

	for (i = 0; i < CB_ARRAY_LEN(names); i++) {
		s->s_cd = iconv_open("UTF-8", names[i]);
		if (s->s_cd != (iconv_t)-1) {
			s->s_jis_only = i > 0;
			return 0;
		}
	}
	return CB_EUNAVAIL;
}

enum sjis_result { SJIS_OK, SJIS_BAD, SJIS_USER };

/* Decodes the two-byte code c1 c2 (already well-formed) into o. */
static enum sjis_result
sjis_pair(struct sjis *s, unsigned c1, unsigned c2, char *o, size_t *olen)
{
	unsigned code = c1 << 8 | c2;
	char in[2] = { (char)c1, (char)c2 }, *ip = in, *op = o;
	size_t il = 2, ol = 4, i;

	if (c1 >= 0xf0 && c1 <= 0xf9)
		return SJIS_USER;
	if (c1 == 0x87) {
		unsigned cp = c2 < 0x9d ? cp932_row13[c2 - 0x40] : 0;

		if (cp == 0)
			return SJIS_BAD;
		*olen = utf8_put(o, cp);
		return SJIS_OK;
	}
	for (i = 0; i < CB_ARRAY_LEN(cp932_differs); i++)
		if (cp932_differs[i].code == code) {
			*olen = utf8_put(o, cp932_differs[i].cp);
			return SJIS_OK;
		}
	/* The extension rows come from one table on every C library, so
	 * that glibc and musl builds read a file alike. */
	if (cp932_ext_row(c1) >= 0) {
		unsigned cp = cp932_ext[cp932_ext_row(c1)][c2 - 0x40];

		if (cp == 0)
			return SJIS_BAD;
		*olen = utf8_put(o, cp);
		return SJIS_OK;
	}
	if (s->s_jis_only && c1 > 0xea)	/* past JIS X 0208: musl misreads */
		return SJIS_BAD;
	if (iconv(s->s_cd, &ip, &il, &op, &ol) == (size_t)-1 || il != 0) {
		iconv(s->s_cd, NULL, NULL, NULL, NULL);
		return SJIS_BAD;
	}
	*olen = (size_t)(op - o);
	return SJIS_OK;
}

static void
sjis_report(struct roster_errors *e, unsigned line, enum sjis_result r,
    const unsigned char *p, size_t n)
{
	unsigned b1 = p[0], b2 = n > 1 ? p[1] : 0;

	if (r == SJIS_USER)
		err_add(e, line, ROSTER_ERR_ENCODING,
		    "外字（ユーザー定義文字 0x%02X%02X）は使えません。"
		    "ふつうの文字に置き換えてください",
		    "a user-defined character (0x%02X%02X) cannot be used; "
		    "replace it with a standard character", b1, b2);
	else
		err_add(e, line, ROSTER_ERR_ENCODING,
		    "読めない文字があります（Shift_JIS のバイト 0x%02X "
		    "0x%02X）。Excel で「CSV UTF-8」形式で保存し直して"
		    "ください",
		    "a character cannot be read (Shift_JIS bytes 0x%02X "
		    "0x%02X); save the file again as 'CSV UTF-8' in Excel",
		    b1, b2);
}

/* One character at p: its length in bytes and its UTF-8 in o. */
static enum sjis_result
sjis_char(struct sjis *s, const unsigned char *p, const unsigned char *end,
    char *o, size_t *olen, size_t *inlen)
{
	unsigned c1 = p[0], c2;

	*inlen = 1;
	if (c1 < 0x80) {
		if (c1 == 0)
			return SJIS_BAD;
		o[0] = (char)c1;
		*olen = 1;
		return SJIS_OK;
	}
	if (c1 >= 0xa1 && c1 <= 0xdf) {	/* half-width katakana */
		*olen = utf8_put(o, 0xff61 + (c1 - 0xa1));
		return SJIS_OK;
	}
	if (!((c1 >= 0x81 && c1 <= 0x9f) || (c1 >= 0xe0 && c1 <= 0xfc)))
		return SJIS_BAD;
	if (end - p < 2)
		return SJIS_BAD;
	c2 = p[1];
	if (c2 < 0x40 || c2 == 0x7f || c2 > 0xfc)
		return SJIS_BAD;	/* the lead byte alone is consumed */
	*inlen = 2;
	return sjis_pair(s, c1, c2, o, olen);
}

static int
sjis_decode(const unsigned char *p, size_t len, char *out, size_t *outlen,
    struct roster_errors *e)
{
	const unsigned char *end = p + len;
	struct lines l = { 1, 0 };
	unsigned reported = 0;
	struct sjis s;
	size_t n = 0;

	if (sjis_open(&s) != 0) {
		err_add(e, 0, ROSTER_ERR_ENCODING,
		    "この機器では Shift_JIS のファイルを読めません。Excel で"
		    "「CSV UTF-8」形式で保存してください%s",
		    "this box cannot read Shift_JIS files; save the file as "
		    "'CSV UTF-8' in Excel%s", "");
		return CB_EINVAL;
	}
	while (p < end) {
		size_t olen = 0, inlen;
		enum sjis_result r;

		r = sjis_char(&s, p, end, out + n, &olen, &inlen);
		if (r != SJIS_OK) {
			if (reported != l.l_line)
				sjis_report(e, l.l_line, r, p,
				    (size_t)(end - p));
			reported = l.l_line;
		}
		n += olen;
		lines_step(&l, *p);	/* trail bytes are never CR or LF */
		p += inlen;
	}
	iconv_close(s.s_cd);
	*outlen = n;
	return e->re_total ? CB_EINVAL : 0;
}

/* The upload as UTF-8 in *text (malloc'd, NUL-terminated). */
static int
decode(const unsigned char *p, size_t len, char **text, size_t *tlen,
    enum roster_encoding *enc, struct roster_errors *e)
{
	char *out;
	int rc;

	if (len >= 2 && ((p[0] == 0xff && p[1] == 0xfe) ||
	    (p[0] == 0xfe && p[1] == 0xff))) {
		err_add(e, 0, ROSTER_ERR_ENCODING,
		    "UTF-16 のファイル（Excel の「Unicode テキスト」）は読めま"
		    "せん。「CSV UTF-8」か「CSV」形式で保存してください%s",
		    "UTF-16 files (Excel's 'Unicode Text') cannot be read; "
		    "save as 'CSV UTF-8' or 'CSV'%s", "");
		return CB_EINVAL;
	}
	if (len >= 4 && memcmp(p, "PK\3\4", 4) == 0) {
		err_add(e, 0, ROSTER_ERR_ENCODING,
		    "Excel ブック（.xlsx）は読めません。「名前を付けて保存」"
		    "で「CSV UTF-8」形式を選んでください%s",
		    "this is an Excel workbook (.xlsx), not CSV; use 'Save "
		    "As' and choose 'CSV UTF-8'%s", "");
		return CB_EINVAL;
	}
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		*enc = ROSTER_ENC_UTF8_BOM;
		p += 3;
		len -= 3;
	} else if (utf8_likely(p, len))
		*enc = ROSTER_ENC_UTF8;
	else
		*enc = ROSTER_ENC_CP932;

	/* CP932 grows at most 3x (a half-width kana byte -> 3 bytes). */
	if ((out = malloc(len * 3 + 1)) == NULL)
		return CB_ENOMEM;
	if (*enc == ROSTER_ENC_CP932)
		rc = sjis_decode(p, len, out, tlen, e);
	else if ((rc = utf8_check(p, len, e)) == 0) {
		memcpy(out, p, len);
		*tlen = len;
	}
	if (rc != 0) {
		free(out);
		return rc;
	}
	out[*tlen] = '\0';
	*text = out;
	return 0;
}

/* ---- 3. CSV ---------------------------------------------------------- */

struct csv {
	char *c_p;		/* next byte to read */
	char *c_end;
	struct lines c_lines;
};

struct record {
	unsigned r_line;	/* where it starts */
	size_t r_nf;
	char *r_f[ROSTER_MAX_COLUMNS];
	int r_bad;		/* already reported */
};

static int
csv_getc(struct csv *c)
{
	unsigned char ch;

	if (c->c_p >= c->c_end)
		return -1;
	ch = (unsigned char)*c->c_p++;
	lines_step(&c->c_lines, ch);
	return ch;
}

/* Reads one field into w (in place: w never passes the read position).
 * Returns the byte that ended it: ',', '\n' (any line end) or -1. */
static int
csv_field(struct csv *c, struct record *r, char *w, size_t *wlen,
    struct roster_errors *e)
{
	char *w0 = w;
	int ch, quoted = 0, after_quote = 0;

	if (c->c_p < c->c_end && *c->c_p == '"') {
		csv_getc(c);
		quoted = 1;
	}
	for (;;) {
		ch = csv_getc(c);
		if (ch == -1) {
			if (quoted && !r->r_bad) {
				err_add(e, r->r_line, ROSTER_ERR_CSV,
				    "「\"」で始まった項目が閉じられないまま"
				    "ファイルが終わっています%s",
				    "a field opened with '\"' is not closed "
				    "before the end of the file%s", "");
				r->r_bad = 1;
			}
			break;
		}
		if (quoted) {
			if (ch != '"') {
				*w++ = (char)ch;
				continue;
			}
			if (c->c_p < c->c_end && *c->c_p == '"') {
				csv_getc(c);
				*w++ = '"';
				continue;
			}
			quoted = 0;
			after_quote = 1;
			continue;
		}
		if (ch == ',')
			break;
		if (ch == '\r' || ch == '\n') {
			if (ch == '\r' && c->c_p < c->c_end && *c->c_p == '\n')
				csv_getc(c);
			ch = '\n';
			break;
		}
		if (after_quote && !r->r_bad) {
			err_add(e, r->r_line, ROSTER_ERR_CSV,
			    "「\"」で囲んだ項目の後ろに文字があります。項目の"
			    "中の「\"」は「\"\"」と二つ重ねてください%s",
			    "text follows a closing '\"'; a '\"' inside a "
			    "quoted field must be doubled ('\"\"')%s", "");
			r->r_bad = 1;
		}
		*w++ = (char)ch;
	}
	*wlen = (size_t)(w - w0);
	return ch;
}

/* The next record, or 0 at the end of the file. Fields are NUL-terminated
 * in the decoded buffer. */
static int
csv_record(struct csv *c, struct record *r, struct roster_errors *e)
{
	int end;

	if (c->c_p >= c->c_end)
		return 0;
	memset(r, 0, sizeof(*r));
	r->r_line = c->c_lines.l_line;
	do {
		char *w = c->c_p;
		size_t wlen;

		end = csv_field(c, r, w, &wlen, e);
		w[wlen] = '\0';	/* at or before the delimiter just read */
		if (wlen > ROSTER_MAX_FIELD && !r->r_bad) {
			err_add(e, r->r_line, ROSTER_ERR_CSV,
			    "%zu 列目が長すぎます（%d バイトまで）",
			    "field %zu is too long (at most %d bytes)",
			    r->r_nf + 1, ROSTER_MAX_FIELD);
			r->r_bad = 1;
		}
		if (r->r_nf < ROSTER_MAX_COLUMNS)
			r->r_f[r->r_nf] = w;
		else if (!r->r_bad) {
			err_add(e, r->r_line, ROSTER_ERR_CSV,
			    "列が多すぎます（%d 列まで）",
			    "too many fields (at most %d)", ROSTER_MAX_COLUMNS);
			r->r_bad = 1;
		}
		r->r_nf++;
	} while (end == ',');
	if (r->r_nf > ROSTER_MAX_COLUMNS)
		r->r_nf = ROSTER_MAX_COLUMNS;
	return 1;
}

/* ---- 4. header and field helpers ------------------------------------- */

enum column {
	COL_NONE = -1,
	COL_ID, COL_NAME, COL_KANA, COL_ROLE, COL_GRADE, COL_CLASS,
	COL_NUMBER, COL_CHILDREN, COL_EMAIL, COL_COUNT
};

static const struct {
	enum column col;
	const char *name;	/* ASCII ones match without case */
} column_names[] = {
	{ COL_ID, "ユーザーID" }, { COL_ID, "ユーザID" }, { COL_ID, "id" },
	{ COL_ID, "user id" }, { COL_ID, "user_id" },
	{ COL_NAME, "氏名" }, { COL_NAME, "名前" }, { COL_NAME, "name" },
	{ COL_KANA, "ふりがな" }, { COL_KANA, "フリガナ" },
	{ COL_KANA, "kana" },
	{ COL_ROLE, "役割" }, { COL_ROLE, "role" },
	{ COL_GRADE, "学年" }, { COL_GRADE, "grade" },
	{ COL_CLASS, "組" }, { COL_CLASS, "クラス" }, { COL_CLASS, "class" },
	{ COL_NUMBER, "出席番号" }, { COL_NUMBER, "番号" },
	{ COL_NUMBER, "number" },
	{ COL_CHILDREN, "保護者の子ども" }, { COL_CHILDREN, "子ども" },
	{ COL_CHILDREN, "children" },
	{ COL_EMAIL, "メール" }, { COL_EMAIL, "メールアドレス" },
	{ COL_EMAIL, "email" }, { COL_EMAIL, "e-mail" },
};

/* Japanese and English column names for messages. */
static const char *const column_ja[COL_COUNT] = {
	"ユーザーID", "氏名", "ふりがな", "役割", "学年", "組", "出席番号",
	"保護者の子ども", "メール",
};
static const char *const column_en[COL_COUNT] = {
	"id", "name", "kana", "role", "grade", "class", "number", "children",
	"email",
};

static int
ascii_caseeq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a, y = *b;

		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return 0;
	}
	return *a == *b;
}

/* Width in bytes of a space at s to trim: ' ', '\t', U+00A0, U+3000. */
static size_t
space_at(const char *s)
{
	if (s[0] == ' ' || s[0] == '\t')
		return 1;
	if (memcmp(s, "\xc2\xa0", 2) == 0)
		return 2;
	if (memcmp(s, "\xe3\x80\x80", 3) == 0)
		return 3;
	return 0;
}

static size_t
space_before(const char *s, size_t n)
{
	if (n >= 1 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		return 1;
	if (n >= 2 && memcmp(s + n - 2, "\xc2\xa0", 2) == 0)
		return 2;
	if (n >= 3 && memcmp(s + n - 3, "\xe3\x80\x80", 3) == 0)
		return 3;
	return 0;
}

/* Trims in place; returns the new start. */
static char *
trim(char *s)
{
	size_t n, k;

	while ((k = space_at(s)) > 0)
		s += k;
	n = strlen(s);
	while ((k = space_before(s, n)) > 0)
		n -= k;
	s[n] = '\0';
	return s;
}

/* 1 when s has a C0 or C1 control character or DEL: not a name. */
static int
has_control(const char *s)
{
	return !cb_utf8_valid(s, strlen(s), CB_UTF8_NAME);
}

/*
 * Full-width digits, letters and dashes (what a Japanese IME types) made
 * ASCII, for grade, class and number; other text copied. CB_ETOOBIG when
 * it does not fit.
 */
static int
to_ascii(const char *s, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	while (*p) {
		char c = 0;
		size_t k = 1;

		if (p[0] == 0xef && p[1] == 0xbc && p[2] >= 0x90 &&
		    p[2] <= 0x99)
			c = (char)('0' + p[2] - 0x90);		/* ０-９ */
		else if (p[0] == 0xef && p[1] == 0xbc && p[2] >= 0xa1 &&
		    p[2] <= 0xba)
			c = (char)('A' + p[2] - 0xa1);		/* Ａ-Ｚ */
		else if (p[0] == 0xef && p[1] == 0xbd && p[2] >= 0x81 &&
		    p[2] <= 0x9a)
			c = (char)('a' + p[2] - 0x81);		/* ａ-ｚ */
		else if (memcmp(p, "\xef\xbc\x8d", 3) == 0 ||	/* － */
		    memcmp(p, "\xe2\x88\x92", 3) == 0 ||	/* − */
		    memcmp(p, "\xe2\x80\x90", 3) == 0 ||	/* ‐ */
		    memcmp(p, "\xe3\x83\xbc", 3) == 0)		/* ー */
			c = '-';
		if (c != 0) {
			k = 3;
		} else {
			c = (char)p[0];
		}
		if (n + 1 >= size)
			return CB_ETOOBIG;
		out[n++] = c;
		p += k;
	}
	out[n] = '\0';
	return 0;
}

/* A whole number of 1..maxdigits ASCII digits, or -1. */
static int
parse_uint(const char *s, int maxdigits)
{
	int v = 0, n = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++, n++) {
		if (*s < '0' || *s > '9' || n >= maxdigits)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static int
id_valid(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 3 || n > ROSTER_ID_MAX - 1)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* A light check: ASCII, one '@', something on each side, a dot after. */
static int
email_valid(const char *s)
{
	const char *at = strchr(s, '@'), *p;

	if (at == NULL || at == s || strchr(at + 1, '@') != NULL ||
	    strlen(s) >= ROSTER_EMAIL_MAX || at - s > 64)
		return 0;
	for (p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    *p == '<' || *p == '>' || *p == '"' || *p == ',')
			return 0;
	p = strchr(at + 1, '.');
	return p != NULL && p > at + 1 && p[1] != '\0' &&
	    s[strlen(s) - 1] != '.';
}

struct header {
	int h_col[ROSTER_MAX_COLUMNS];	/* enum column per field, or -1 */
	size_t h_nf;
	int h_have[COL_COUNT];
};

static enum column
column_find(const char *name)
{
	size_t i;

	for (i = 0; i < CB_ARRAY_LEN(column_names); i++)
		if (ascii_caseeq(name, column_names[i].name))
			return column_names[i].col;
	return COL_NONE;
}

static int
header_parse(struct record *r, struct header *h, struct roster_errors *e)
{
	static const enum column required[] = { COL_ID, COL_NAME, COL_ROLE };
	char v[SHOWN_MAX + 4];
	size_t i;

	memset(h, 0, sizeof(*h));
	h->h_nf = r->r_nf;
	for (i = 0; i < r->r_nf; i++) {
		char *name = trim(r->r_f[i]);
		enum column col = column_find(name);

		h->h_col[i] = col;
		if (*name == '\0')
			continue;	/* Excel's empty formatted columns */
		if (col == COL_NONE)
			err_add(e, r->r_line, ROSTER_ERR_HEADER,
			    "列名「%s」はわかりません（使える列: ユーザーID・"
			    "氏名・ふりがな・役割・学年・組・出席番号・保護者の"
			    "子ども・メール）",
			    "unknown column '%s' (known: id, name, kana, role, "
			    "grade, class, number, children, email)",
			    shown(name, v));
		else if (h->h_have[col]++)
			err_add(e, r->r_line, ROSTER_ERR_HEADER,
			    "列「%s」が二回以上あります",
			    "column '%s' appears more than once",
			    shown(name, v));
	}
	for (i = 0; i < CB_ARRAY_LEN(required); i++)
		if (!h->h_have[required[i]])
			err_add(e, r->r_line, ROSTER_ERR_HEADER,
			    "必須の列「%s%.0s」がありません",
			    "the required column '%.0s%s' is missing",
			    column_ja[required[i]], column_en[required[i]]);
	return e->re_total ? CB_EINVAL : 0;
}

/* ---- 5. rows --------------------------------------------------------- */

static const struct {
	enum roster_role role;
	const char *ja, *en;
} roles[] = {
	{ ROSTER_STUDENT, "生徒", "student" },
	{ ROSTER_TEACHER, "教員", "teacher" },
	{ ROSTER_PARENT, "保護者", "parent" },
	{ ROSTER_ADMIN, "管理者", "admin" },
};

const char *
roster_role_ja(enum roster_role role)
{
	size_t i;

	for (i = 0; i < CB_ARRAY_LEN(roles); i++)
		if (roles[i].role == role)
			return roles[i].ja;
	return "?";
}

const char *
roster_role_en(enum roster_role role)
{
	size_t i;

	for (i = 0; i < CB_ARRAY_LEN(roles); i++)
		if (roles[i].role == role)
			return roles[i].en;
	return "?";
}

/* The fields of one record by column; "" for absent ones. */
struct row {
	unsigned w_line;
	const char *w_f[COL_COUNT];
};

static void
row_name(const struct row *w, enum column col, char *dst,
    struct roster_errors *e)
{
	const char *s = w->w_f[col];
	char v[SHOWN_MAX + 4];

	if (col == COL_NAME && *s == '\0')
		err_add(e, w->w_line, ROSTER_ERR_NAME,
		    "氏名が空です%s", "the name is empty%s", "");
	else if (has_control(s))
		err_add(e, w->w_line, ROSTER_ERR_NAME,
		    "%s%.0sに改行や制御文字があります「%s」",
		    "the %.0s%s contains a line break or control character "
		    "'%s'", column_ja[col], column_en[col], shown(s, v));
	else if (cb_strlcpy(dst, s, ROSTER_NAME_MAX) != 0)
		err_add(e, w->w_line, ROSTER_ERR_NAME,
		    "%s%.0sが長すぎます（%d バイトまで）",
		    "the %.0s%s is too long (at most %d bytes)",
		    column_ja[col], column_en[col], ROSTER_NAME_MAX - 1);
}

static void
row_id(const struct row *w, struct roster_user *u, struct roster_errors *e)
{
	const char *s = w->w_f[COL_ID];
	char v[SHOWN_MAX + 4];

	if (*s == '\0')
		err_add(e, w->w_line, ROSTER_ERR_ID,
		    "ユーザーIDが空です%s", "the id is empty%s", "");
	else if (!id_valid(s))
		err_add(e, w->w_line, ROSTER_ERR_ID,
		    "ユーザーID「%s」は使えません（半角の英小文字・数字・"
		    "「.」「_」「-」で 3〜63 文字）",
		    "id '%s' is not valid (3 to 63 of a-z, 0-9, '.', '_', "
		    "'-')", shown(s, v));
	else
		cb_strlcpy(u->ru_id, s, sizeof(u->ru_id));
}

static void
row_role(const struct row *w, struct roster_user *u, struct roster_errors *e)
{
	const char *s = w->w_f[COL_ROLE];
	char v[SHOWN_MAX + 4];
	size_t i;

	for (i = 0; i < CB_ARRAY_LEN(roles); i++)
		if (strcmp(s, roles[i].ja) == 0 ||
		    ascii_caseeq(s, roles[i].en)) {
			u->ru_role = roles[i].role;
			return;
		}
	if (*s == '\0')
		err_add(e, w->w_line, ROSTER_ERR_ROLE,
		    "役割が空です（生徒・教員・保護者・管理者）%s",
		    "the role is empty (student, teacher, parent, admin)%s",
		    "");
	else
		err_add(e, w->w_line, ROSTER_ERR_ROLE,
		    "役割「%s」は使えません（生徒・教員・保護者・管理者）",
		    "role '%s' is not one of student, teacher, parent, admin",
		    shown(s, v));
}

static void
row_grade(const struct row *w, struct roster_user *u, struct roster_errors *e)
{
	char a[16], v[SHOWN_MAX + 4];
	int g;

	if (*w->w_f[COL_GRADE] == '\0')
		return;
	if (to_ascii(w->w_f[COL_GRADE], a, sizeof(a)) != 0)
		g = -1;
	else {
		size_t n = strlen(a);

		/* "1年" as well as "1" */
		if (n > 3 && strcmp(a + n - 3, "年") == 0)
			a[n - 3] = '\0';
		g = parse_uint(a, 1);
	}
	if (g < 1 || g > 3)
		err_add(e, w->w_line, ROSTER_ERR_GRADE,
		    "学年「%s」は使えません（1〜3）",
		    "grade '%s' is not 1, 2 or 3", shown(w->w_f[COL_GRADE], v));
	else
		u->ru_grade = g;
}

/* "1-1", "1-A", "1年1組", or "1組" with the grade column. */
static int
class_parse(const char *in, int grade, char *out, int *class_grade)
{
	char a[ROSTER_CLASS_MAX * 2], *sep, *room;
	size_t n;
	int g;

	if (to_ascii(in, a, sizeof(a)) != 0)
		return CB_EINVAL;
	n = strlen(a);
	if (n > 3 && strcmp(a + n - 3, "組") == 0)
		a[n -= 3] = '\0';
	if ((sep = strstr(a, "年")) != NULL) {
		*sep = '\0';
		room = sep + 3;
	} else if ((sep = strchr(a, '-')) != NULL) {
		*sep = '\0';
		room = sep + 1;
	} else {
		if (grade == 0)
			return CB_ENOTFOUND;	/* "1組" needs the grade */
		room = a;
	}
	g = sep ? parse_uint(a, 1) : grade;
	if (g < 1 || g > 3 || strlen(room) < 1 || strlen(room) > 3)
		return CB_EINVAL;
	for (n = 0; room[n]; n++) {
		char c = room[n];

		if (c >= 'a' && c <= 'z')
			room[n] = c = (char)(c - 'a' + 'A');
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')))
			return CB_EINVAL;
	}
	if (room[0] == '0' && room[1] != '\0')
		room++;	/* "1-01" -> "1-1" */
	out[0] = (char)('0' + g);	/* room is 1..3 bytes: it fits */
	out[1] = '-';
	memcpy(out + 2, room, strlen(room) + 1);
	*class_grade = g;
	return 0;
}

static void
row_class(const struct row *w, struct roster_user *u, struct roster_errors *e)
{
	const char *s = w->w_f[COL_CLASS];
	char v[SHOWN_MAX + 4];
	int g = 0, rc;

	if (*s == '\0')
		return;
	rc = class_parse(s, u->ru_grade, u->ru_class, &g);
	if (rc == CB_ENOTFOUND)
		err_add(e, w->w_line, ROSTER_ERR_CLASS,
		    "組「%s」だけでは学年がわかりません。学年の列に書くか、"
		    "「1-1」の形で書いてください",
		    "class '%s' has no grade: fill in the grade column or "
		    "write it as '1-1'", shown(s, v));
	else if (rc != 0)
		err_add(e, w->w_line, ROSTER_ERR_CLASS,
		    "組「%s」は使えません（「1-1」「1-A」「1年1組」の形、"
		    "学年は1〜3）",
		    "class '%s' is not valid (write it as '1-1', '1-A' or "
		    "'1年1組'; grade 1 to 3)", shown(s, v));
	else if (u->ru_grade != 0 && u->ru_grade != g) {
		err_add(e, w->w_line, ROSTER_ERR_CLASS,
		    "組「%s」と学年「%d」が合いません",
		    "class '%s' does not match grade %d", shown(s, v),
		    u->ru_grade);
		u->ru_class[0] = '\0';
	} else
		u->ru_grade = g;
}

static void
row_number(const struct row *w, struct roster_user *u,
    struct roster_errors *e)
{
	const char *s = w->w_f[COL_NUMBER];
	char a[16], v[SHOWN_MAX + 4];
	int n;

	if (*s == '\0')
		return;
	n = to_ascii(s, a, sizeof(a)) == 0 ? parse_uint(a, 2) : -1;
	if (n < 1 || n > 99)
		err_add(e, w->w_line, ROSTER_ERR_NUMBER,
		    "出席番号「%s」は使えません（1〜99）",
		    "number '%s' is not 1 to 99", shown(s, v));
	else if (*w->w_f[COL_CLASS] == '\0')
		err_add(e, w->w_line, ROSTER_ERR_NUMBER,
		    "出席番号「%s」には組も書いてください",
		    "number '%s' needs a class", shown(s, v));
	else
		u->ru_number = n;
}

/* Ids separated by ';', '；', '・', '、', ' ' or U+3000. */
static void
row_children(const struct row *w, struct roster_user *u,
    struct roster_errors *e)
{
	static const char *const seps[] = {
		";", " ", "；", "・", "、", "\xe3\x80\x80", "\t",
	};
	const char *p = w->w_f[COL_CHILDREN];
	char id[ROSTER_ID_MAX + SHOWN_MAX], v[SHOWN_MAX + 4];

	while (*p) {
		size_t n = 0, i, k = 0;

		for (;;) {
			for (i = 0, k = 0; i < CB_ARRAY_LEN(seps) && !k; i++)
				if (strncmp(p + n, seps[i],
				    strlen(seps[i])) == 0)
					k = strlen(seps[i]);
			if (k || p[n] == '\0')
				break;
			n++;
		}
		if (n > 0) {
			size_t m = n < sizeof(id) - 1 ? n : sizeof(id) - 1;

			memcpy(id, p, m);
			id[m] = '\0';
			if (n >= ROSTER_ID_MAX || !id_valid(id))
				err_add(e, w->w_line, ROSTER_ERR_CHILDREN,
				    "子どものユーザーID「%s」は使えません",
				    "child id '%s' is not a valid id",
				    shown(id, v));
			else if (u->ru_nchildren == ROSTER_MAX_CHILDREN) {
				err_add(e, w->w_line, ROSTER_ERR_CHILDREN,
				    "子どもは %d 人まで書けます",
				    "at most %d children per parent",
				    ROSTER_MAX_CHILDREN);
				return;
			} else
				cb_strlcpy(u->ru_children[u->ru_nchildren++],
				    id, ROSTER_ID_MAX);
		}
		p += n + k;
	}
}

/* Which role may fill which column: the rest must stay empty. */
static void
row_role_rules(const struct row *w, struct roster_user *u,
    struct roster_errors *e)
{
	enum roster_role r = u->ru_role;
	const char *ja = roster_role_ja(r), *en = roster_role_en(r);

	if (r == ROSTER_ADMIN || r == ROSTER_PARENT) {
		if (*w->w_f[COL_GRADE])
			err_add(e, w->w_line, ROSTER_ERR_GRADE,
			    "%s%.0sには学年を書けません",
			    "a %.0s%s has no grade",
			    ja, en);
		if (*w->w_f[COL_CLASS])
			err_add(e, w->w_line, ROSTER_ERR_CLASS,
			    "%s%.0sには組を書けません",
			    "a %.0s%s has no class",
			    ja, en);
	}
	if (r != ROSTER_STUDENT && *w->w_f[COL_NUMBER])
		err_add(e, w->w_line, ROSTER_ERR_NUMBER,
		    "出席番号は生徒だけに書けます（この行は%s%.0s）",
		    "only students have a number (this row is a %.0s%s)",
		    ja, en);
	if (r != ROSTER_PARENT && *w->w_f[COL_CHILDREN])
		err_add(e, w->w_line, ROSTER_ERR_CHILDREN,
		    "保護者の子どもは保護者の行だけに書けます（この行は"
		    "%s%.0s）",
		    "only a parent has children (this row is a %.0s%s)",
		    ja, en);
	if (r == ROSTER_PARENT && *w->w_f[COL_CHILDREN] == '\0')
		err_add(e, w->w_line, ROSTER_ERR_CHILDREN,
		    "保護者には子どものユーザーIDを書いてください%s",
		    "a parent needs the ids of their children%s", "");
}

static void
row_parse(const struct row *w, struct roster_user *u, struct roster_errors *e)
{
	char v[SHOWN_MAX + 4];

	memset(u, 0, sizeof(*u));
	u->ru_line = w->w_line;
	row_id(w, u, e);
	row_name(w, COL_NAME, u->ru_name, e);
	row_name(w, COL_KANA, u->ru_kana, e);
	row_role(w, u, e);
	if (u->ru_role != 0)
		row_role_rules(w, u, e);
	if (u->ru_role == ROSTER_STUDENT || u->ru_role == ROSTER_TEACHER) {
		row_grade(w, u, e);
		row_class(w, u, e);
	}
	if (u->ru_role == ROSTER_STUDENT)
		row_number(w, u, e);
	if (u->ru_role == ROSTER_PARENT)
		row_children(w, u, e);
	if (*w->w_f[COL_EMAIL] != '\0') {
		if (!email_valid(w->w_f[COL_EMAIL]))
			err_add(e, w->w_line, ROSTER_ERR_EMAIL,
			    "メールアドレス「%s」の形が正しくありません",
			    "email '%s' is not a valid address",
			    shown(w->w_f[COL_EMAIL], v));
		else
			cb_strlcpy(u->ru_email, w->w_f[COL_EMAIL],
			    sizeof(u->ru_email));
	}
}

/* Maps a record to columns; 0 for an all-empty record (skipped). */
static int
row_fields(struct record *r, const struct header *h, struct row *w,
    struct roster_errors *e)
{
	size_t i;
	int any = 0;

	w->w_line = r->r_line;
	for (i = 0; i < COL_COUNT; i++)
		w->w_f[i] = "";
	for (i = 0; i < r->r_nf; i++) {
		char *s = trim(r->r_f[i]);

		if (*s == '\0')
			continue;
		any = 1;
		if (i >= h->h_nf || h->h_col[i] == COL_NONE) {
			if (!r->r_bad)
				err_add(e, r->r_line, ROSTER_ERR_CSV,
				    "%zu 列目に値がありますが、その列には列名"
				    "がありません",
				    "field %zu has a value but its column has "
				    "no name", i + 1);
			r->r_bad = 1;
			continue;
		}
		w->w_f[h->h_col[i]] = s;
	}
	return any;
}

/* ---- 6. file --------------------------------------------------------- */

static int
cmp_id(const void *a, const void *b)
{
	const struct roster_user *x = *(struct roster_user *const *)a;
	const struct roster_user *y = *(struct roster_user *const *)b;
	int c = strcmp(x->ru_id, y->ru_id);

	return c ? c : (x->ru_line > y->ru_line) - (x->ru_line < y->ru_line);
}

static int
cmp_seat(const void *a, const void *b)
{
	const struct roster_user *x = *(struct roster_user *const *)a;
	const struct roster_user *y = *(struct roster_user *const *)b;
	int c = strcmp(x->ru_class, y->ru_class);

	if (c == 0)
		c = (x->ru_number > y->ru_number) - (x->ru_number < y->ru_number);
	return c ? c : (x->ru_line > y->ru_line) - (x->ru_line < y->ru_line);
}

static const struct roster_user *
find_id(struct roster_user **by_id, size_t n, const char *id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(by_id[mid]->ru_id, id);

		if (c == 0)
			return by_id[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void
file_dups(struct roster_user **v, size_t n, struct roster_errors *e)
{
	size_t i;

	qsort(v, n, sizeof(*v), cmp_id);
	for (i = 1; i < n; i++)
		if (v[i]->ru_id[0] && strcmp(v[i]->ru_id, v[i - 1]->ru_id) == 0)
			err_add(e, v[i]->ru_line, ROSTER_ERR_DUP_ID,
			    "ユーザーID「%s」は %u 行目と重複しています",
			    "id '%s' is already used on line %u",
			    v[i]->ru_id, v[i - 1]->ru_line);
}

static void
file_seats(struct roster_user **v, size_t n, struct roster_errors *e)
{
	size_t i, m = 0;

	for (i = 0; i < n; i++)
		if (v[i]->ru_role == ROSTER_STUDENT && v[i]->ru_number > 0)
			v[m++] = v[i];
	qsort(v, m, sizeof(*v), cmp_seat);
	for (i = 1; i < m; i++)
		if (strcmp(v[i]->ru_class, v[i - 1]->ru_class) == 0 &&
		    v[i]->ru_number == v[i - 1]->ru_number)
			err_add(e, v[i]->ru_line, ROSTER_ERR_DUP_NUMBER,
			    "%s 組の出席番号 %d は %u 行目の生徒と重複しています",
			    "class %s number %d is already used by the "
			    "student on line %u", v[i]->ru_class,
			    v[i]->ru_number, v[i - 1]->ru_line);
}

static void
file_children(const struct roster *r, struct roster_user **by_id,
    roster_exists_fn exists, void *arg, struct roster_errors *e)
{
	size_t i;
	unsigned k;

	for (i = 0; i < r->r_n; i++) {
		const struct roster_user *u = &r->r_users[i];

		for (k = 0; k < u->ru_nchildren; k++) {
			const char *c = u->ru_children[k];
			const struct roster_user *f = find_id(by_id, r->r_n, c);

			if (f != NULL && f->ru_role != 0 &&
			    f->ru_role != ROSTER_STUDENT)
				err_add(e, u->ru_line, ROSTER_ERR_CHILDREN,
				    "子ども「%s」は %u 行目で生徒ではありません",
				    "child '%s' on line %u is not a student",
				    c, f->ru_line);
			else if (f == NULL &&
			    (exists == NULL || exists(arg, c) != 1))
				err_add(e, u->ru_line, ROSTER_ERR_CHILD_UNKNOWN,
				    "子ども「%s」はこのファイルにも登録済みの"
				    "生徒にもいません",
				    "child '%s' is neither in this file nor an "
				    "existing student", c);
		}
	}
}

static int
file_checks(struct roster *r, roster_exists_fn exists, void *arg,
    struct roster_errors *e)
{
	struct roster_user **v;
	size_t i;

	if ((v = calloc(r->r_n ? r->r_n : 1, sizeof(*v))) == NULL)
		return CB_ENOMEM;
	for (i = 0; i < r->r_n; i++)
		v[i] = &r->r_users[i];
	file_dups(v, r->r_n, e);
	file_children(r, v, exists, arg, e);	/* v sorted by id here */
	file_seats(v, r->r_n, e);		/* reorders v */
	free(v);
	return 0;
}

/* ---- the whole ------------------------------------------------------- */

static int
users_push(struct roster *r, size_t *cap, const struct roster_user *u)
{
	if (r->r_n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		void *p;

		if (ncap > ROSTER_MAX_ROWS)
			ncap = ROSTER_MAX_ROWS;
		if ((p = realloc(r->r_users, ncap * sizeof(*u))) == NULL)
			return CB_ENOMEM;
		r->r_users = p;
		*cap = ncap;
	}
	r->r_users[r->r_n++] = *u;
	return 0;
}

static int
too_big_rows(struct roster_errors *e)
{
	err_clear(e);
	err_add(e, 0, ROSTER_ERR_TOOBIG,
	    "行が多すぎます（%d 行まで）。ファイルを分けて取り込んで"
	    "ください", "too many rows (at most %d); split the file and "
	    "import the parts one by one", ROSTER_MAX_ROWS);
	return CB_ETOOBIG;
}

/* Header, then every record; out gets every row that parsed. */
static int
parse_records(struct csv *c, struct roster *out, struct roster_errors *e)
{
	struct roster_user u;
	struct record rec;
	struct header h;
	struct row w;
	size_t cap = 0;
	int have_header = 0, rc;

	while (csv_record(c, &rec, e)) {
		if (!have_header) {
			if (rec.r_nf == 1 && *trim(rec.r_f[0]) == '\0')
				continue;	/* blank lines before it */
			if ((rc = header_parse(&rec, &h, e)) != 0)
				return rc;
			have_header = 1;
			continue;
		}
		if (!row_fields(&rec, &h, &w, e))
			continue;
		if (out->r_n == ROSTER_MAX_ROWS)
			return too_big_rows(e);
		row_parse(&w, &u, e);
		if ((rc = users_push(out, &cap, &u)) != 0)
			return rc;
	}
	if (!have_header || out->r_n == 0)
		err_add(e, 0, ROSTER_ERR_EMPTY,
		    "ファイルに%s%.0sがありません。1 行目に列名、2 行目から"
		    "一人一行で書いてください",
		    "the file has no %.0s%s: the first line names the "
		    "columns, then one person per line",
		    have_header ? "データの行" : "列名の行",
		    have_header ? "data rows" : "header row");
	return 0;
}

int
roster_csv_parse_ex(const char *buf, size_t len, struct roster *out,
    struct roster_errors *errs, roster_exists_fn exists, void *exists_arg)
{
	struct csv c;
	char *text = NULL;
	size_t tlen = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	err_clear(errs);
	if (len > ROSTER_MAX_BYTES) {
		err_add(errs, 0, ROSTER_ERR_TOOBIG,
		    "ファイルが大きすぎます（%u MiB まで）。ファイルを分けて"
		    "取り込んでください", "the file is too big (at most %u "
		    "MiB); split it and import the parts one by one",
		    ROSTER_MAX_BYTES >> 20);
		return CB_ETOOBIG;
	}
	if (len == 0 || buf == NULL) {
		err_add(errs, 0, ROSTER_ERR_EMPTY, "ファイルが空です%s",
		    "the file is empty%s", "");
		return CB_EINVAL;
	}
	rc = decode((const unsigned char *)buf, len, &text, &tlen,
	    &out->r_encoding, errs);
	if (rc == 0) {
		c.c_p = text;
		c.c_end = text + tlen;
		c.c_lines = (struct lines){ 1, 0 };
		rc = parse_records(&c, out, errs);
	}
	if (rc == 0)
		rc = file_checks(out, exists, exists_arg, errs);
	free(text);
	if (rc == 0 && errs->re_total > 0)
		rc = CB_EINVAL;
	err_finish(errs);
	if (rc != 0) {
		enum roster_encoding enc = out->r_encoding;

		roster_free(out);
		out->r_encoding = enc;
	}
	return rc;
}

int
roster_csv_parse(const char *buf, size_t len, struct roster *out,
    struct roster_errors *errs)
{
	return roster_csv_parse_ex(buf, len, out, errs, NULL, NULL);
}

void
roster_free(struct roster *r)
{
	free(r->r_users);
	memset(r, 0, sizeof(*r));
}

/* ---- password slips -------------------------------------------------- */

#define SLIPS_MAX_BYTES	(16u << 20)	/* the page; ~1 KiB per slip */

/* Text and attribute values alike. */
static void
buf_esc(struct cb_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': cb_buf_str(b, "&amp;"); break;
		case '<': cb_buf_str(b, "&lt;"); break;
		case '>': cb_buf_str(b, "&gt;"); break;
		case '"': cb_buf_str(b, "&quot;"); break;
		case '\'': cb_buf_str(b, "&#39;"); break;
		default: cb_buf_add(b, s, 1); break;
		}
	}
}

static int
cmp_slip(const void *a, const void *b)
{
	const struct roster_slip *x = *(const struct roster_slip *const *)a;
	const struct roster_slip *y = *(const struct roster_slip *const *)b;
	int c;

	/* People without a class come last. */
	if ((*x->rs_class == '\0') != (*y->rs_class == '\0'))
		return *x->rs_class == '\0' ? 1 : -1;
	if ((c = strcmp(x->rs_class, y->rs_class)) != 0)
		return c;
	if (x->rs_number != y->rs_number)
		return (x->rs_number > y->rs_number) -
		    (x->rs_number < y->rs_number);
	return strcmp(x->rs_user_id, y->rs_user_id);
}

static void
slip_row(struct cb_buf *b, const char *label, const char *value, int code)
{
	cb_buf_str(b, "<tr><th>");
	cb_buf_str(b, label);
	cb_buf_str(b, code ? "</th><td class=\"code\">" : "</th><td>");
	buf_esc(b, value);
	cb_buf_str(b, "</td></tr>\n");
}

static void
slip_one(struct cb_buf *b, const struct roster_slip *s, const char *school,
    const char *class_label)
{
	char num[16];

	cb_buf_str(b, "<div class=\"slip\">\n<p class=\"slip-school\">");
	buf_esc(b, school);
	cb_buf_str(b, "</p>\n<table>\n");
	slip_row(b, "組 / Class", class_label, 0);
	if (s->rs_number > 0) {
		snprintf(num, sizeof(num), "%d", s->rs_number);
		slip_row(b, "出席番号 / No.", num, 0);
	}
	slip_row(b, "氏名 / Name", s->rs_name, 0);
	slip_row(b, "ユーザーID / User ID", s->rs_user_id, 1);
	slip_row(b, "初期パスワード / Initial password", s->rs_password, 1);
	slip_row(b, "アドレス / Address", ROSTER_SLIPS_URL_PLACEHOLDER, 1);
	cb_buf_str(b, "</table>\n<p class=\"slip-notice\">"
	    "最初のログインでパスワードを変更してください / "
	    "Change this password at first login</p>\n"
	    "</div>\n");
}

static void
slips_page(struct cb_buf *b, const struct roster_slip *const *v, size_t n,
    const char *school)
{
	size_t i;

	cb_buf_str(b, "<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<title>パスワード票 / Password slips: ");
	buf_esc(b, school);
	cb_buf_str(b, "</title>\n"
	    "<link rel=\"stylesheet\" href=\"/slips.css\">\n</head>\n<body>\n");
	for (i = 0; i < n; i++) {
		const char *cls = v[i]->rs_class;
		const char *label = *cls ? cls : "なし / none";

		if (i == 0 || strcmp(cls, v[i - 1]->rs_class) != 0) {
			if (i > 0)
				cb_buf_str(b, "</div>\n</section>\n");
			cb_buf_str(b, "<section class=\"class-page\">\n<h1>");
			buf_esc(b, school);
			cb_buf_str(b, " <span class=\"class-name\">");
			buf_esc(b, *cls ? cls : "組なし / No class");
			cb_buf_str(b, "</span></h1>\n<div class=\"slips\">\n");
		}
		slip_one(b, v[i], school, label);
	}
	if (n > 0)
		cb_buf_str(b, "</div>\n</section>\n");
	cb_buf_str(b, "</body>\n</html>\n");
}

static int
slip_valid(const struct roster_slip *s)
{
	const char *f[] = { s->rs_class, s->rs_name, s->rs_user_id,
	    s->rs_password };
	size_t i;

	for (i = 0; i < CB_ARRAY_LEN(f); i++)
		if (f[i] == NULL ||
		    !cb_utf8_valid(f[i], strlen(f[i]), CB_UTF8_TEXT))
			return 0;
	return 1;
}

int
roster_slips_html(const struct roster_slip *slips, size_t n,
    const char *school_name, char **html, size_t *len)
{
	const struct roster_slip **v;
	struct cb_buf b;
	size_t i;
	int rc;

	*html = NULL;
	*len = 0;
	if (n > ROSTER_SLIPS_MAX)
		return CB_ETOOBIG;
	if (school_name == NULL ||
	    !cb_utf8_valid(school_name, strlen(school_name),
	    CB_UTF8_TEXT))
		return CB_EINVAL;
	for (i = 0; i < n; i++)
		if (!slip_valid(&slips[i]))
			return CB_EINVAL;
	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL)
		return CB_ENOMEM;
	for (i = 0; i < n; i++)
		v[i] = &slips[i];
	qsort(v, n, sizeof(*v), cmp_slip);
	cb_buf_init(&b, SLIPS_MAX_BYTES);
	slips_page(&b, v, n, school_name);
	free(v);
	if ((rc = b.b_err) != CB_OK) {
		cb_buf_free(&b);
		return rc;
	}
	*html = cb_buf_take(&b, len);
	return 0;
}
