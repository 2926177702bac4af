/*
 * fuzz_roster_csv.c: a roster upload as a school sends it: encoding
 * detection, Shift_JIS decoding, CSV quoting, every row and file check,
 * then the password slips for whatever parsed. A crash, a leak or a
 * sanitizer report is a bug; so is a result that breaks the API's promises
 * (rows and errors at once, a string that is not UTF-8).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cb.h"
#include "core/roster_csv.h"
#include "base/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Some ids "exist on the box": those whose first letter is before 'm'. */
static int
exists_some(void *arg, const char *uid)
{
	(void)arg;
	return uid[0] < 'm';
}

static void
check_user(const struct roster_user *u)
{
	const char *f[] = { u->ru_id, u->ru_name, u->ru_kana, u->ru_email,
	    u->ru_class };
	size_t i;

	for (i = 0; i < CB_ARRAY_LEN(f); i++)
		if (!cb_utf8_valid(f[i], strlen(f[i]), CB_UTF8_TEXT))
			abort();
	if (u->ru_id[0] == '\0' || u->ru_name[0] == '\0' ||
	    u->ru_role < ROSTER_STUDENT || u->ru_role > ROSTER_ADMIN ||
	    u->ru_grade < 0 || u->ru_grade > 3 || u->ru_number < 0 ||
	    u->ru_number > 99 || u->ru_nchildren > ROSTER_MAX_CHILDREN ||
	    (u->ru_role == ROSTER_PARENT && u->ru_nchildren == 0))
		abort();
}

static void
slips(const struct roster *r)
{
	struct roster_slip *s;
	char *html;
	size_t i, len;

	if ((s = calloc(r->r_n ? r->r_n : 1, sizeof(*s))) == NULL)
		return;
	for (i = 0; i < r->r_n; i++) {
		s[i].rs_class = r->r_users[i].ru_class;
		s[i].rs_number = r->r_users[i].ru_number;
		s[i].rs_name = r->r_users[i].ru_name;
		s[i].rs_user_id = r->r_users[i].ru_id;
		s[i].rs_password = r->r_users[i].ru_kana;
	}
	if (roster_slips_html(s, r->r_n, r->r_n ? r->r_users[0].ru_name : "",
	    &html, &len) == 0) {
		if (strlen(html) != len || memchr(html, '<', len) == NULL)
			abort();
		free(html);
	}
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct roster r = { 0 };
	struct roster_errors e = { 0 };
	size_t i;
	int rc;

	rc = roster_csv_parse_ex((const char *)data, size, &r, &e,
	    size & 1 ? exists_some : NULL, NULL);
	if (rc == 0) {
		if (e.re_n != 0 || r.r_n == 0 || r.r_n > ROSTER_MAX_ROWS)
			abort();
		for (i = 0; i < r.r_n; i++)
			check_user(&r.r_users[i]);
		slips(&r);
	} else {
		if (r.r_n != 0 || r.r_users != NULL || e.re_n == 0)
			abort();
		for (i = 0; i < e.re_n; i++)
			if (!cb_utf8_valid(e.re_list[i].re_ja,
			    strlen(e.re_list[i].re_ja), CB_UTF8_TEXT) ||
			    !cb_utf8_valid(e.re_list[i].re_en,
			    strlen(e.re_list[i].re_en), CB_UTF8_TEXT))
				abort();
	}
	roster_free(&r);
	roster_errors_free(&e);
	return 0;
}
