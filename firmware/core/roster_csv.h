/*
 * roster_csv.h: the school's roster as Excel exports it, turned into users,
 * and the printable page of password slips for them. No I/O: the caller
 * reads the upload, asks which user ids already exist, stores the result.
 *
 * A roster is parsed whole or not at all. roster_csv_parse() returns 0 only
 * when the file is clean; otherwise every problem found is in errs, each
 * with the physical line where its record starts (1 = the header) and a
 * message in Japanese and in English, and out holds nothing. The caller
 * shows the errors (a dry run) and imports only a clean file.
 *
 * Accepted input (docs/roster-import.md): UTF-8 with or without BOM, or
 * Shift_JIS as Windows writes it (CP932); CRLF, LF or CR line ends;
 * RFC 4180 quoting; a header row naming the columns in Japanese or English.
 */
#ifndef ROSTER_CSV_H
#define ROSTER_CSV_H

#include <stddef.h>

#define ROSTER_MAX_BYTES	(4u << 20)	/* the upload, before decoding */
#define ROSTER_MAX_ROWS		5000	/* data rows, not counting the header */
#define ROSTER_MAX_COLUMNS	32	/* fields in one record */
#define ROSTER_MAX_FIELD	1024	/* bytes of one field, after decoding */
#define ROSTER_MAX_ERRORS	2000	/* listed; past it one "and more" entry */
#define ROSTER_MAX_CHILDREN	8	/* children named by one parent */

#define ROSTER_ID_MAX		64	/* [a-z0-9._-]{3,63} plus NUL */
#define ROSTER_NAME_MAX		192	/* bytes of UTF-8 plus NUL (63 kanji) */
#define ROSTER_EMAIL_MAX	255
#define ROSTER_CLASS_MAX	16	/* "1-1", "3-A" */
#define ROSTER_MSG_MAX		320	/* one message, one language, with NUL */

enum roster_role {
	ROSTER_STUDENT = 1,
	ROSTER_TEACHER,
	ROSTER_PARENT,
	ROSTER_ADMIN,
};

enum roster_encoding {
	ROSTER_ENC_UNKNOWN = 0,
	ROSTER_ENC_UTF8,
	ROSTER_ENC_UTF8_BOM,
	ROSTER_ENC_CP932,
};

/* One person from one record. Strings are NUL-terminated UTF-8, trimmed of
 * surrounding spaces (ASCII and U+3000); "" when the column was empty. */
struct roster_user {
	unsigned ru_line;		/* physical line where the record starts */
	enum roster_role ru_role;
	char ru_id[ROSTER_ID_MAX];
	char ru_name[ROSTER_NAME_MAX];
	char ru_kana[ROSTER_NAME_MAX];
	char ru_email[ROSTER_EMAIL_MAX];
	char ru_class[ROSTER_CLASS_MAX];	/* normalised "G-C" */
	int ru_grade;			/* 1..3, or 0 when not given */
	int ru_number;			/* 1..99 (students), or 0 */
	unsigned ru_nchildren;		/* parents: at least one */
	char ru_children[ROSTER_MAX_CHILDREN][ROSTER_ID_MAX];
};

struct roster {
	struct roster_user *r_users;	/* file order */
	size_t r_n;
	enum roster_encoding r_encoding;
};

/* What went wrong, for tests and for the UI's grouping; the messages are
 * what a person reads. */
enum roster_error_kind {
	ROSTER_ERR_TOOBIG = 1,	/* file or row count past the limit */
	ROSTER_ERR_EMPTY,	/* no header, or no data rows */
	ROSTER_ERR_ENCODING,	/* bytes that are neither UTF-8 nor CP932 */
	ROSTER_ERR_CSV,		/* quoting, too many fields, field too long */
	ROSTER_ERR_HEADER,	/* unknown, repeated or missing column */
	ROSTER_ERR_ID,
	ROSTER_ERR_NAME,	/* name or kana */
	ROSTER_ERR_ROLE,
	ROSTER_ERR_GRADE,
	ROSTER_ERR_CLASS,
	ROSTER_ERR_NUMBER,
	ROSTER_ERR_CHILDREN,
	ROSTER_ERR_EMAIL,
	ROSTER_ERR_DUP_ID,	/* the same id on two lines */
	ROSTER_ERR_DUP_NUMBER,	/* two students with the same class+number */
	ROSTER_ERR_CHILD_UNKNOWN, /* a parent's child not in file nor on box */
	ROSTER_ERR_MORE,	/* past ROSTER_MAX_ERRORS: the rest left out */
};

struct roster_error {
	unsigned re_line;	/* 0 for the file as a whole */
	enum roster_error_kind re_kind;
	char re_ja[ROSTER_MSG_MAX];	/* "3行目: ..." */
	char re_en[ROSTER_MSG_MAX];	/* "line 3: ..." */
};

struct roster_errors {
	struct roster_error *re_list;	/* sorted by line, then found order */
	size_t re_n;
	size_t re_total;		/* found, including those left out */
	size_t re_cap;
};

/* Asks whether a student with this user id already exists on the box (for
 * a parent's children not in the file). 1 yes, 0 no. */
typedef int (*roster_exists_fn)(void *arg, const char *uid);

/*
 * Parses buf[0..len). out and errs must be zeroed (or freed) before.
 * Returns 0 with out filled and errs empty; CB_EINVAL with errs filled and
 * out empty; CB_ETOOBIG (file past ROSTER_MAX_BYTES or ROSTER_MAX_ROWS; one
 * message in errs); CB_ENOMEM. exists may be NULL: then a child must be in
 * the file.
 */
int roster_csv_parse_ex(const char *buf, size_t len, struct roster *out,
    struct roster_errors *errs, roster_exists_fn exists, void *exists_arg);
/* The same with no existing users to ask about. */
int roster_csv_parse(const char *buf, size_t len, struct roster *out,
    struct roster_errors *errs);

void roster_free(struct roster *r);
void roster_errors_free(struct roster_errors *e);

/* Japanese and English names of a role: "生徒", "student". */
const char *roster_role_ja(enum roster_role role);
const char *roster_role_en(enum roster_role role);

/* One password slip. rs_class "" groups people without a homeroom. */
struct roster_slip {
	const char *rs_class;
	int rs_number;		/* 0: not shown */
	const char *rs_name;
	const char *rs_user_id;
	const char *rs_password;
};

/* The slips show this where the box's address goes; the caller replaces
 * it with the HTML-escaped URL (it is plain ASCII with no markup). */
#define ROSTER_SLIPS_URL_PLACEHOLDER	"__CLASSBOX_URL__"
#define ROSTER_SLIPS_MAX		ROSTER_MAX_ROWS

/*
 * A printable A4 HTML page: one section per class (class order, then
 * number, then user id), each starting on a new page, one cut-out slip per
 * person. Styling is /slips.css (no inline style or script, for the CSP).
 * Every string is HTML-escaped. *html is malloc'd and NUL-terminated, *len
 * its length. CB_EINVAL for a NULL string or a string that is not UTF-8,
 * CB_ETOOBIG past ROSTER_SLIPS_MAX slips, CB_ENOMEM.
 */
int roster_slips_html(const struct roster_slip *slips, size_t n,
    const char *school_name, char **html, size_t *len);

#endif
