/*
 * test_roster_csv.c: the roster CSV import and the password slips. Inputs
 * are C byte strings, so the Shift_JIS cases are the bytes Excel writes.
 */
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cb.h"
#include "core/cp932_ext.h"
#include "core/roster_csv.h"
#include "t.h"

struct parsed {
	struct roster r;
	struct roster_errors e;
	int rc;
};

static void
parse_ex(struct parsed *p, const char *buf, size_t len, roster_exists_fn fn,
    void *arg)
{
	memset(p, 0, sizeof(*p));
	p->rc = roster_csv_parse_ex(buf, len, &p->r, &p->e, fn, arg);
	if (p->rc == 0)
		T_EQ_INT(p->e.re_n, 0);
	else
		T_EQ_INT(p->r.r_n, 0);	/* never partially */
}

#define PARSE(p, lit) parse_ex((p), (lit), sizeof(lit) - 1, NULL, NULL)

static void
done(struct parsed *p)
{
	roster_free(&p->r);
	roster_errors_free(&p->e);
}

/* 1 when errs has an error of this kind on this line. */
static int
has_err(const struct parsed *p, unsigned line, enum roster_error_kind kind)
{
	size_t i;

	for (i = 0; i < p->e.re_n; i++)
		if (p->e.re_list[i].re_line == line &&
		    p->e.re_list[i].re_kind == kind)
			return 1;
	return 0;
}

static void
dump(const struct parsed *p)
{
	size_t i;

	for (i = 0; i < p->e.re_n; i++)
		fprintf(stderr, "  [%d] %s | %s\n", p->e.re_list[i].re_kind,
		    p->e.re_list[i].re_ja, p->e.re_list[i].re_en);
}

#define HDR_EN "id,name,kana,role,grade,class,number,children,email\r\n"
#define HDR_JA "ユーザーID,氏名,ふりがな,役割,学年,組,出席番号,保護者の子ども,メール\r\n"

T_TEST(utf8_english_header)
{
	struct parsed p;

	PARSE(&p, HDR_EN
	    "taro,山田 太郎,やまだ たろう,student,1,1-1,1,,\r\n"
	    "sato.t,佐藤 先生,,teacher,,1-1,,,sato@example.jp\r\n"
	    "yamada.p,山田 花子,,parent,,,,taro,\r\n"
	    "admin1,管理 者,,admin,,,,,\r\n");
	if (p.rc != 0)
		dump(&p);
	T_EQ_INT(p.rc, 0);
	T_EQ_INT(p.r.r_n, 4);
	T_EQ_INT(p.r.r_encoding, ROSTER_ENC_UTF8);
	if (p.r.r_n == 4) {
		struct roster_user *u = p.r.r_users;

		T_EQ_STR(u[0].ru_id, "taro");
		T_EQ_STR(u[0].ru_name, "山田 太郎");
		T_EQ_STR(u[0].ru_kana, "やまだ たろう");
		T_EQ_INT(u[0].ru_role, ROSTER_STUDENT);
		T_EQ_INT(u[0].ru_grade, 1);
		T_EQ_STR(u[0].ru_class, "1-1");
		T_EQ_INT(u[0].ru_number, 1);
		T_EQ_INT(u[0].ru_line, 2);
		T_EQ_INT(u[1].ru_role, ROSTER_TEACHER);
		T_EQ_INT(u[1].ru_grade, 1);	/* from the class */
		T_EQ_STR(u[1].ru_email, "sato@example.jp");
		T_EQ_INT(u[2].ru_role, ROSTER_PARENT);
		T_EQ_INT(u[2].ru_nchildren, 1);
		T_EQ_STR(u[2].ru_children[0], "taro");
		T_EQ_INT(u[3].ru_role, ROSTER_ADMIN);
		T_EQ_INT(u[3].ru_line, 5);
	}
	done(&p);
}

T_TEST(utf8_bom_japanese_header_any_order)
{
	struct parsed p;

	PARSE(&p, "\xef\xbb\xbf" "役割,氏名,ユーザーID,組,学年,出席番号\r\n"
	    "生徒,鈴木 一郎,ichiro,2組,1,5\r\n"
	    "教員,高橋 先生,takahashi,1年3組,,\r\n");
	if (p.rc != 0)
		dump(&p);
	T_EQ_INT(p.rc, 0);
	T_EQ_INT(p.r.r_encoding, ROSTER_ENC_UTF8_BOM);
	T_EQ_INT(p.r.r_n, 2);
	if (p.r.r_n == 2) {
		T_EQ_STR(p.r.r_users[0].ru_id, "ichiro");
		T_EQ_STR(p.r.r_users[0].ru_class, "1-2");	/* "2組" + 1 */
		T_EQ_INT(p.r.r_users[0].ru_number, 5);
		T_EQ_STR(p.r.r_users[1].ru_class, "1-3");
	}
	done(&p);
}

T_TEST(cp932_bytes)
{
	struct parsed p;

	/* 役割,氏名,ユーザーID / 生徒,山田①,yamada in CP932, CRLF. */
	PARSE(&p, "\x96\xf0\x8a\x84,\x8e\x81\x96\xbc,\x83\x86\x81\x5b\x83"
	    "\x55\x81\x5b" "ID\r\n"
	    "\x90\xb6\x93\x6b,\x8e\x52\x93\x63\x87\x40\x81\x60,yamada\r\n"
	    "\x90\xb6\x93\x6b,\xb1\xb2,kana.hw\r\n");
	if (p.rc != 0)
		dump(&p);
	T_EQ_INT(p.rc, 0);
	T_EQ_INT(p.r.r_encoding, ROSTER_ENC_CP932);
	T_EQ_INT(p.r.r_n, 2);
	if (p.r.r_n == 2) {
		T_EQ_STR(p.r.r_users[0].ru_name, "山田①～");
		T_EQ_INT(p.r.r_users[0].ru_role, ROSTER_STUDENT);
		T_EQ_STR(p.r.r_users[1].ru_name, "ｱｲ");	/* half-width */
	}
	done(&p);
}

/* 髙 (IBM extension 0xFBFC) and 﨑 (NEC-selected 0xFAB1): the extension
 * rows decode the same on every C library (tools/gen-cp932-ext). */
T_TEST(cp932_ibm_extension)
{
	struct parsed p;

	PARSE(&p, "id,name,role\r\ntakahashi,\xfb\xfc\x8b\xb4,student\r\n"
	    "yamasaki,\x8e\x52\xfa\xb1,student\r\n");
	T_EQ_INT(p.rc, 0);
	T_EQ_INT(p.r.r_n, 2);
	if (p.r.r_n == 2) {
		T_EQ_STR(p.r.r_users[0].ru_name, "髙橋");
		T_EQ_STR(p.r.r_users[1].ru_name, "山﨑");
	}
	done(&p);
}

/* Every extension code the table holds is what the host's CP932 says. */
T_TEST(cp932_ext_table_matches_iconv)
{
	iconv_t cd = iconv_open("UTF-8", "CP932");
	static const unsigned leads[] = { 0xed, 0xee, 0xfa, 0xfb, 0xfc };
	int checked = 0, differ = 0;

	if (cd == (iconv_t)-1)
		return;		/* musl: no CP932 to compare with */
	for (size_t l = 0; l < CB_ARRAY_LEN(leads); l++)
		for (unsigned c2 = 0x40; c2 <= 0xfc; c2++) {
			char in[2] = { (char)leads[l], (char)c2 }, *ip = in;
			char out[8], *op = out, want[8];
			size_t il = 2, ol = sizeof(out);
			unsigned cp = cp932_ext[l][c2 - 0x40];

			iconv(cd, NULL, NULL, NULL, NULL);
			int okc = iconv(cd, &ip, &il, &op, &ol) != (size_t)-1;
			if (!okc || cp == 0) {
				differ += okc != (cp != 0) && c2 != 0x7f;
				continue;
			}
			checked++;
			size_t n = (size_t)(op - out), wn = 0;
			if (cp < 0x800) {
				want[wn++] = (char)(0xc0 | cp >> 6);
			} else {
				want[wn++] = (char)(0xe0 | cp >> 12);
				want[wn++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			}
			want[wn++] = (char)(0x80 | (cp & 0x3f));
			differ += n != wn || memcmp(out, want, n) != 0;
		}
	iconv_close(cd);
	T_ASSERT(checked >= 700);
	T_EQ_INT(differ, 0);
}

T_TEST(cp932_bad_bytes_reported_by_line)
{
	struct parsed p;

	/* line 3: a lead byte then a comma; line 4: user-defined 0xF040. */
	PARSE(&p, "id,name,role\r\nokay1,\x8e\x52,student\r\n"
	    "bad1,\x8e,student\r\nbad2,\xf0\x40,student\r\n");
	T_EQ_INT(p.rc, CB_EINVAL);
	T_EQ_INT(p.e.re_n, 2);
	T_ASSERT(has_err(&p, 3, ROSTER_ERR_ENCODING));
	T_ASSERT(has_err(&p, 4, ROSTER_ERR_ENCODING));
	done(&p);
}

/* Row 13 and the CP932-only mappings are decoded by our own table so that
 * glibc and musl agree; here the table is checked against glibc's CP932
 * (skipped where the C library has no CP932). */
T_TEST(cp932_own_table_matches_glibc)
{
	iconv_t cd = iconv_open("UTF-8", "CP932");
	unsigned c, checked = 0;

	if (cd == (iconv_t)-1)
		return;
	for (c = 0x8740; c <= 0x879c; c++) {
		char buf[64], want[8] = { 0 }, *ip, *op = want;
		size_t il = 2, ol = sizeof(want) - 1;
		char in[2] = { (char)(c >> 8), (char)(c & 0xff) };
		struct parsed p;
		int ok;

		if ((c & 0xff) == 0x7f)
			continue;
		ip = in;
		ok = iconv(cd, &ip, &il, &op, &ol) != (size_t)-1;
		snprintf(buf, sizeof(buf), "id,name,role\r\nabc,xx%c%c,student\r\n",
		    in[0], in[1]);
		/* "xx" is ASCII: the file is not UTF-8, so it is CP932. */
		parse_ex(&p, buf, strlen(buf), NULL, NULL);
		if (ok) {
			T_EQ_INT(p.rc, 0);
			if (p.r.r_n == 1)
				T_ASSERT(strcmp(p.r.r_users[0].ru_name + 2,
				    want) == 0);
			checked++;
		} else
			T_EQ_INT(p.rc, CB_EINVAL);
		done(&p);
	}
	T_EQ_INT(checked, 83);
	iconv_close(cd);
}

/* The codes CP932 maps unlike JIS X 0208, on every C library. */
T_TEST(cp932_mappings_that_differ_from_jis)
{
	struct parsed p;

	PARSE(&p, "id,name,role\r\nabc,\x81\x5c\x81\x5f\x81\x60\x81\x61"
	    "\x81\x7c\x81\x91\x81\x92\x81\xca\\~,student\r\n");
	T_EQ_INT(p.rc, 0);
	if (p.r.r_n == 1)
		T_EQ_STR(p.r.r_users[0].ru_name, "―＼～∥－￠￡￢\\~");
	done(&p);
}

T_TEST(quoting_commas_newlines_doubled_quotes)
{
	struct parsed p;

	PARSE(&p, "id,name,role,kana\n"
	    "\"a,b\",x,student,\n"		/* bad id, line 2 */
	    "qq1,\"山田, \"\"タロー\"\"\",student,\"や\"\n"
	    "nl1,\"two\nlines\",student,\n"	/* control char, line 4 */
	    "ok2,\"\",student,\n");		/* empty name, line 6 */
	T_EQ_INT(p.rc, CB_EINVAL);
	T_ASSERT(has_err(&p, 2, ROSTER_ERR_ID));
	T_ASSERT(has_err(&p, 4, ROSTER_ERR_NAME));
	T_ASSERT(has_err(&p, 6, ROSTER_ERR_NAME));
	T_EQ_INT(p.e.re_n, 3);
	done(&p);

	PARSE(&p, "id,name,role\r\n"
	    "qq1,\"山田, \"\"タロー\"\"\",student\r\n"
	    "qq2,\"a\"\"\",\"student\"\r\n");
	T_EQ_INT(p.rc, 0);
	if (p.r.r_n == 2) {
		T_EQ_STR(p.r.r_users[0].ru_name, "山田, \"タロー\"");
		T_EQ_STR(p.r.r_users[1].ru_name, "a\"");
	}
	done(&p);
}

T_TEST(line_numbers_count_lines_inside_quotes)
{
	struct parsed p;

	/* record 2 spans lines 2-4 (CRLF, LF, CR); record 3 starts on 5 */
	PARSE(&p, "id,name,role,kana\r\n"
	    "aaa,x,student,\"k\r\nk\nk\"\r\n"
	    "bbb,y,先生,\r\n");
	T_EQ_INT(p.rc, CB_EINVAL);
	T_ASSERT(has_err(&p, 2, ROSTER_ERR_NAME));	/* kana with newline */
	T_ASSERT(has_err(&p, 5, ROSTER_ERR_ROLE));
	if (p.e.re_n >= 2) {
		T_EQ_STR(p.e.re_list[1].re_ja,
		    "5行目: 役割「先生」は使えません（生徒・教員・保護者・管理者）");
		T_EQ_STR(p.e.re_list[1].re_en,
		    "line 5: role '先生' is not one of student, teacher, "
		    "parent, admin");
	}
	done(&p);
}

T_TEST(lf_and_cr_line_ends_trim_and_blank_rows)
{
	struct parsed p;

	PARSE(&p, "id,name,role\n aaa ,\xe3\x80\x80山田\xe3\x80\x80,生徒\n"
	    ",,\n\nbbb,b,student");	/* blank rows skipped, no final LF */
	T_EQ_INT(p.rc, 0);
	T_EQ_INT(p.r.r_n, 2);
	if (p.r.r_n == 2) {
		T_EQ_STR(p.r.r_users[0].ru_id, "aaa");
		T_EQ_STR(p.r.r_users[0].ru_name, "山田");
		T_EQ_INT(p.r.r_users[1].ru_line, 5);
	}
	done(&p);

	PARSE(&p, "id,name,role\raaa,a,student\rbbb,b,x\r");
	T_EQ_INT(p.rc, CB_EINVAL);
	T_ASSERT(has_err(&p, 3, ROSTER_ERR_ROLE));
	done(&p);
}

T_TEST(csv_errors)
{
	struct parsed p;

	PARSE(&p, "id,name,role\naaa,\"x\"y,student\nbbb,\"open,student\n");
	T_EQ_INT(p.rc, CB_EINVAL);
	T_ASSERT(has_err(&p, 2, ROSTER_ERR_CSV));	/* text after quote */
	T_ASSERT(has_err(&p, 3, ROSTER_ERR_CSV));	/* never closed */
	done(&p);

	PARSE(&p, "id,name,role\naaa,a,student,extra\n");
	T_EQ_INT(p.rc, CB_EINVAL);
	T_ASSERT(has_err(&p, 2, ROSTER_ERR_CSV));	/* no column name */
	done(&p);

	PARSE(&p, "id,name,role\naaa,a,student,,,\n");	/* empty extras */
	T_EQ_INT(p.rc, 0);
	done(&p);
}

T_TEST(header_errors)
{
	struct parsed p;

	PARSE(&p, "id,name,role,先生,nickname\naaa,a,student,,\n");
	T_EQ_INT(p.rc, CB_EINVAL);
	T_EQ_INT(p.e.re_n, 2);
	T_ASSERT(has_err(&p, 1, ROSTER_ERR_HEADER));
	T_ASSERT(p.e.re_n == 2 &&
	    strstr(p.e.re_list[0].re_ja, "「先生」") != NULL &&
	    strstr(p.e.re_list[1].re_en, "'nickname'") != NULL);
	done(&p);

	PARSE(&p, "ID,名前\naaa,a\n");	/* no role column */
	T_EQ_INT(p.rc, CB_EINVAL);
	T_ASSERT(p.e.re_n == 1 &&
	    strcmp(p.e.re_list[0].re_en,
	    "line 1: the required column 'role' is missing") == 0 &&
	    strcmp(p.e.re_list[0].re_ja,
	    "1行目: 必須の列「役割」がありません") == 0);
	done(&p);

	PARSE(&p, "id,name,role,氏名\n");
	T_EQ_INT(p.rc, CB_EINVAL);
	T_ASSERT(has_err(&p, 1, ROSTER_ERR_HEADER));
	done(&p);
}

T_TEST(every_row_error_kind_with_its_line)
{
	struct parsed p;

	PARSE(&p, HDR_JA
	    "Bad ID,名前,,生徒,,,,,\r\n"			/* 2 id */
	    "ok02,,,生徒,,,,,\r\n"				/* 3 name */
	    "ok03,名前,,先生,,,,,\r\n"				/* 4 role */
	    "ok04,名前,,生徒,4,,,,\r\n"				/* 5 grade */
	    "ok05,名前,,生徒,,4-1,,,\r\n"			/* 6 class */
	    "ok06,名前,,生徒,,1組,,,\r\n"			/* 7 class: no grade */
	    "ok07,名前,,生徒,2,1-1,,,\r\n"			/* 8 class/grade */
	    "ok08,名前,,生徒,1,1-1,100,,\r\n"			/* 9 number */
	    "ok09,名前,,生徒,,,3,,\r\n"				/* 10 number no class */
	    "ok10,名前,,教員,,,3,,\r\n"				/* 11 number role */
	    "ok11,名前,,保護者,,,,,\r\n"			/* 12 no children */
	    "ok12,名前,,生徒,,,,ok01,\r\n"			/* 13 children role */
	    "ok13,名前,,保護者,,,,BAD!,\r\n"			/* 14 child id */
	    "ok14,名前,,生徒,,,,,not-an-email\r\n"		/* 15 email */
	    "ok15,名前,,管理者,1,,,,\r\n");			/* 16 admin grade */
	T_EQ_INT(p.rc, CB_EINVAL);
	T_ASSERT(has_err(&p, 2, ROSTER_ERR_ID));
	T_ASSERT(has_err(&p, 3, ROSTER_ERR_NAME));
	T_ASSERT(has_err(&p, 4, ROSTER_ERR_ROLE));
	T_ASSERT(has_err(&p, 5, ROSTER_ERR_GRADE));
	T_ASSERT(has_err(&p, 6, ROSTER_ERR_CLASS));
	T_ASSERT(has_err(&p, 7, ROSTER_ERR_CLASS));
	T_ASSERT(has_err(&p, 8, ROSTER_ERR_CLASS));
	T_ASSERT(has_err(&p, 9, ROSTER_ERR_NUMBER));
	T_ASSERT(has_err(&p, 10, ROSTER_ERR_NUMBER));
	T_ASSERT(has_err(&p, 11, ROSTER_ERR_NUMBER));
	T_ASSERT(has_err(&p, 12, ROSTER_ERR_CHILDREN));
	T_ASSERT(has_err(&p, 13, ROSTER_ERR_CHILDREN));
	T_ASSERT(has_err(&p, 14, ROSTER_ERR_CHILDREN));
	T_ASSERT(has_err(&p, 15, ROSTER_ERR_EMAIL));
	T_ASSERT(has_err(&p, 16, ROSTER_ERR_GRADE));
	T_EQ_INT(p.e.re_n, 15);
	for (size_t i = 1; i < p.e.re_n; i++)	/* sorted by line */
		T_ASSERT(p.e.re_list[i - 1].re_line <= p.e.re_list[i].re_line);
	done(&p);
}

T_TEST(full_width_digits_and_class_forms)
{
	struct parsed p;

	PARSE(&p, "id,name,role,grade,class,number\n"
	    "aaa,a,生徒,２,２－Ａ,０７\n"
	    "bbb,b,生徒,,3-01,12\n"
	    "ccc,c,生徒,1年,1年2組,1\n");
	if (p.rc != 0)
		dump(&p);
	T_EQ_INT(p.rc, 0);
	if (p.r.r_n == 3) {
		T_EQ_STR(p.r.r_users[0].ru_class, "2-A");
		T_EQ_INT(p.r.r_users[0].ru_number, 7);
		T_EQ_STR(p.r.r_users[1].ru_class, "3-1");
		T_EQ_INT(p.r.r_users[1].ru_grade, 3);
		T_EQ_STR(p.r.r_users[2].ru_class, "1-2");
	}
	done(&p);
}

T_TEST(file_level_duplicates)
{
	struct parsed p;

	PARSE(&p, "id,name,role,class,number\n"
	    "aaa,a,student,1-1,1\n"
	    "bbb,b,student,1-1,2\n"
	    "aaa,c,teacher,,\n"		/* 4: id used on 2 */
	    "ddd,d,student,1-1,2\n"	/* 5: 1-1 #2 used on 3 */
	    "eee,e,student,1-2,2\n");	/* other class: fine */
	T_EQ_INT(p.rc, CB_EINVAL);
	T_EQ_INT(p.e.re_n, 2);
	T_ASSERT(has_err(&p, 4, ROSTER_ERR_DUP_ID));
	T_ASSERT(has_err(&p, 5, ROSTER_ERR_DUP_NUMBER));
	if (p.e.re_n == 2) {
		T_EQ_STR(p.e.re_list[0].re_en,
		    "line 4: id 'aaa' is already used on line 2");
		T_EQ_STR(p.e.re_list[1].re_ja, "5行目: 1-1 組の出席番号 2 は "
		    "3 行目の生徒と重複しています");
	}
	done(&p);
}

static int
exists_on_box(void *arg, const char *uid)
{
	(*(int *)arg)++;
	return strcmp(uid, "old.student") == 0;
}

T_TEST(parents_children)
{
	struct parsed p;
	int calls = 0;
	static const char csv[] = "id,name,role,children\n"
	    "kid1,a,student,\n"
	    "kid2,b,student,\n"
	    "par1,c,parent,kid1;kid2\n"
	    "par2,d,parent,kid1・old.student　kid2\n"
	    "par3,e,parent,nobody\n"	/* 5: unknown */
	    "par4,f,parent,par1\n";	/* 6: not a student */

	parse_ex(&p, csv, sizeof(csv) - 1, exists_on_box, &calls);
	T_EQ_INT(p.rc, CB_EINVAL);
	T_EQ_INT(p.e.re_n, 2);
	T_ASSERT(has_err(&p, 6, ROSTER_ERR_CHILD_UNKNOWN));
	T_ASSERT(has_err(&p, 7, ROSTER_ERR_CHILDREN));
	T_EQ_INT(calls, 2);	/* old.student, nobody */
	done(&p);

	/* Without the callback, old.student is unknown too. */
	parse_ex(&p, csv, sizeof(csv) - 1, NULL, NULL);
	T_ASSERT(has_err(&p, 5, ROSTER_ERR_CHILD_UNKNOWN));
	done(&p);
}

T_TEST(empty_and_odd_files)
{
	struct parsed p;

	parse_ex(&p, "", 0, NULL, NULL);
	T_EQ_INT(p.rc, CB_EINVAL);
	T_ASSERT(has_err(&p, 0, ROSTER_ERR_EMPTY));
	done(&p);

	PARSE(&p, "\xef\xbb\xbf");
	T_EQ_INT(p.rc, CB_EINVAL);
	T_ASSERT(has_err(&p, 0, ROSTER_ERR_EMPTY));
	done(&p);

	PARSE(&p, "id,name,role\r\n");
	T_EQ_INT(p.rc, CB_EINVAL);
	T_ASSERT(has_err(&p, 0, ROSTER_ERR_EMPTY));
	done(&p);

	PARSE(&p, "\xff\xfei\0d\0");
	T_ASSERT(has_err(&p, 0, ROSTER_ERR_ENCODING));
	done(&p);

	PARSE(&p, "PK\3\4\x14\0\0\0");
	T_ASSERT(has_err(&p, 0, ROSTER_ERR_ENCODING));
	done(&p);

	/* BOM, then bytes that are not UTF-8: reported, not guessed. */
	PARSE(&p, "\xef\xbb\xbfid,name,role\naaa,\x8e\x52,student\n");
	T_EQ_INT(p.rc, CB_EINVAL);
	T_ASSERT(has_err(&p, 2, ROSTER_ERR_ENCODING));
	done(&p);

	/* A NUL in a UTF-8 file. */
	PARSE(&p, "id,name,role\naaa,a\0,student\n");
	T_EQ_INT(p.rc, CB_EINVAL);
	T_ASSERT(has_err(&p, 2, ROSTER_ERR_ENCODING));
	done(&p);
}

T_TEST(utf8_with_a_broken_byte_is_not_read_as_sjis)
{
	struct parsed p;

	PARSE(&p, "id,name,role\n"
	    "aaa,山田太郎,student\nbbb,佐藤花子,student\n"
	    "ccc,鈴木\xff,student\n");
	T_EQ_INT(p.rc, CB_EINVAL);
	T_ASSERT(has_err(&p, 4, ROSTER_ERR_ENCODING));
	T_ASSERT(p.e.re_n == 1 && strstr(p.e.re_list[0].re_en, "UTF-8"));
	done(&p);
}

T_TEST(limits)
{
	struct parsed p;
	size_t cap = (ROSTER_MAX_ROWS + 2) * 32, n, i;
	char *buf = malloc(cap);

	T_ASSERT(buf != NULL);
	if (buf == NULL)
		return;
	n = (size_t)snprintf(buf, cap, "id,name,role\r\n");
	for (i = 0; i < ROSTER_MAX_ROWS; i++)
		n += (size_t)snprintf(buf + n, cap - n, "u%05zu,n,student\r\n",
		    i);
	parse_ex(&p, buf, n, NULL, NULL);
	T_EQ_INT(p.rc, 0);
	T_EQ_INT(p.r.r_n, ROSTER_MAX_ROWS);
	done(&p);

	n += (size_t)snprintf(buf + n, cap - n, "u%05zu,n,bad\r\n", i);
	parse_ex(&p, buf, n, NULL, NULL);
	T_EQ_INT(p.rc, CB_ETOOBIG);
	T_EQ_INT(p.e.re_n, 1);
	T_ASSERT(has_err(&p, 0, ROSTER_ERR_TOOBIG));
	done(&p);

	/* Past ROSTER_MAX_BYTES: refused before reading. */
	parse_ex(&p, buf, ROSTER_MAX_BYTES + 1, NULL, NULL);
	T_EQ_INT(p.rc, CB_ETOOBIG);
	T_ASSERT(has_err(&p, 0, ROSTER_ERR_TOOBIG));
	done(&p);

	/* Every row bad: ROSTER_MAX_ERRORS listed, then one "more". */
	n = (size_t)snprintf(buf, cap, "id,name,role\r\n");
	for (i = 0; i < ROSTER_MAX_ERRORS + 10; i++)
		n += (size_t)snprintf(buf + n, cap - n, "u%05zu,n,x\r\n", i);
	parse_ex(&p, buf, n, NULL, NULL);
	T_EQ_INT(p.rc, CB_EINVAL);
	T_EQ_INT(p.e.re_n, ROSTER_MAX_ERRORS + 1);
	T_EQ_INT(p.e.re_total, ROSTER_MAX_ERRORS + 10);
	T_ASSERT(has_err(&p, 0, ROSTER_ERR_MORE));
	done(&p);
	free(buf);

	/* A field past ROSTER_MAX_FIELD, a name past ROSTER_NAME_MAX. */
	{
		char big[ROSTER_MAX_FIELD + 64];

		n = (size_t)snprintf(big, sizeof(big), "id,name,role\naaa,");
		memset(big + n, 'x', ROSTER_MAX_FIELD + 1);
		n += ROSTER_MAX_FIELD + 1;
		n += (size_t)snprintf(big + n, sizeof(big) - n, ",student\n");
		parse_ex(&p, big, n, NULL, NULL);
		T_ASSERT(has_err(&p, 2, ROSTER_ERR_CSV));
		T_ASSERT(has_err(&p, 2, ROSTER_ERR_NAME));
		done(&p);
	}
}

T_TEST(slips_escape_and_group)
{
	struct roster_slip s[] = {
		{ "1-2", 1, "<script>alert(1)</script>", "evil", "p&ss\"'<" },
		{ "1-1", 2, "山田 花子", "hanako", "abcd-efgh" },
		{ "1-1", 1, "山田 太郎", "taro", "wxyz-1234" },
		{ "", 0, "佐藤 先生", "sato", "qqqq" },
	};
	char *html = NULL;
	size_t len = 0;
	const char *a, *b, *c;

	T_EQ_INT(roster_slips_html(s, CB_ARRAY_LEN(s), "A&B <高校>", &html,
	    &len), 0);
	T_ASSERT(html != NULL && strlen(html) == len);
	if (html == NULL)
		return;
	T_ASSERT(strstr(html, "<script") == NULL);
	T_ASSERT(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	T_ASSERT(strstr(html, "p&amp;ss&quot;&#39;&lt;"));
	T_ASSERT(strstr(html, "A&amp;B &lt;高校&gt;"));
	T_ASSERT(strstr(html, "<style") == NULL);
	T_ASSERT(strstr(html, " style=") == NULL);
	T_ASSERT(strstr(html, "<link rel=\"stylesheet\" href=\"/slips.css\">"));
	T_ASSERT(strstr(html, "最初のログインでパスワードを変更してください"));
	T_ASSERT(strstr(html, "Change this password at first login"));
	T_ASSERT(strstr(html, ROSTER_SLIPS_URL_PLACEHOLDER));
	/* 1-1 (taro, then hanako), then 1-2, then no class */
	a = strstr(html, "taro");
	b = strstr(html, "hanako");
	c = strstr(html, "evil");
	T_ASSERT(a && b && c && a < b && b < c &&
	    c < strstr(html, "sato"));
	{
		size_t sections = 0;
		const char *q = html;

		while ((q = strstr(q, "<section")) != NULL) {
			sections++;
			q++;
		}
		T_EQ_INT(sections, 3);
	}
	free(html);

	T_EQ_INT(roster_slips_html(s, 0, "school", &html, &len), 0);
	T_ASSERT(html && strstr(html, "</html>"));
	free(html);

	s[0].rs_name = NULL;
	T_EQ_INT(roster_slips_html(s, 1, "school", &html, &len), CB_EINVAL);
	s[0].rs_name = "\xff";
	T_EQ_INT(roster_slips_html(s, 1, "school", &html, &len), CB_EINVAL);
	T_EQ_INT(roster_slips_html(s, ROSTER_SLIPS_MAX + 1, "school", &html,
	    &len), CB_ETOOBIG);
}

T_MAIN()
