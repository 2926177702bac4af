/*
 * export_verify.c: `classbox audit verify --export FILE` (export_log.h):
 * the check of an admins' export on a machine with no box, no key and no
 * data directory. It reads the archive as downloaded (or the folder it
 * was unpacked into), checks every entry's CRC-32, that the manifest is
 * the last entry and counts every entry before it, and recomputes both
 * logs' chains against logs/heads.json. docs/audit.md says what that
 * proves and what it does not.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/sha256.h>
#include <yyjson.h>

#include "audit/export_log.h"
#include "base/cb.h"
#include "base/file.h"
#include "core/zip.h"

#define XV_MANIFEST	"manifest.json"
#define XV_PARTS	4
#define XV_PATH_MAX	4096
#define XV_REPORT_MAX	8192	/* bytes of the report */

enum { XV_HEADS, XV_OPS, XV_LOGIN, XV_MAN };

static const char *const xv_names[XV_PARTS] = { AUDIT_HEADS_FILE,
    "logs/" AUDIT_LOG_OPS ".jsonl", "logs/" AUDIT_LOG_LOGIN ".jsonl",
    XV_MANIFEST };

struct xv_part {
	const uint8_t *p_data;
	size_t p_len;
	int p_found, p_crc_ok;
};

struct xv {
	struct xv_part v_part[XV_PARTS];
	size_t v_entries;		/* ZIP entries; 0 for a folder */
	size_t v_bad_crc;		/* entries whose CRC-32 fails */
	int v_manifest_last;
	int v_folder;
	char *v_rep;
	size_t v_rep_size, v_rep_len;
};

static void
rep(struct xv *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
rep(struct xv *v, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (v->v_rep_len + 1 >= v->v_rep_size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(v->v_rep + v->v_rep_len, v->v_rep_size - v->v_rep_len,
	    fmt, ap);
	va_end(ap);
	if (n > 0)
		v->v_rep_len += (size_t)n < v->v_rep_size - v->v_rep_len ?
		    (size_t)n : v->v_rep_size - v->v_rep_len - 1;
}

static int
xv_item(void *arg, const struct zip_item *it)
{
	struct xv *v = arg;
	int manifest = 0;

	v->v_entries++;
	if (!it->zi_crc_ok) {
		if (v->v_bad_crc++ < 5)
			rep(v, "archive: %.*s was changed after the box wrote it "
			    "(its CRC-32 does not match)\n",
			    (int)it->zi_name_len, it->zi_name);
	}
	for (int i = 0; i < XV_PARTS; i++)
		if (it->zi_name_len == strlen(xv_names[i]) &&
		    memcmp(it->zi_name, xv_names[i], it->zi_name_len) == 0) {
			struct xv_part *p = &v->v_part[i];

			if (p->p_found)
				return CB_EINVAL;	/* twice: refused */
			p->p_found = 1;
			p->p_data = it->zi_data;
			p->p_len = it->zi_size;
			p->p_crc_ok = it->zi_crc_ok;
			manifest = i == XV_MAN;
		}
	v->v_manifest_last = manifest;
	return 0;
}

/* {"seq":N,"time_ms":N,"hash":"hex"} */
static int
xv_link(yyjson_val *o, struct audit_link *l)
{
	yyjson_val *h = yyjson_obj_get(o, "hash");
	const char *s = yyjson_get_str(h);

	memset(l, 0, sizeof(*l));
	if (!yyjson_is_uint(yyjson_obj_get(o, "seq")) ||
	    !yyjson_is_int(yyjson_obj_get(o, "time_ms")) || s == NULL ||
	    yyjson_get_len(h) != 2 * AUDIT_HASH_LEN)
		return CB_EINVAL;
	l->al_seq = yyjson_get_uint(yyjson_obj_get(o, "seq"));
	l->al_time_ms = yyjson_get_sint(yyjson_obj_get(o, "time_ms"));
	for (size_t i = 0; i < AUDIT_HASH_LEN; i++) {
		int hi = cb_hexval(s[2 * i]), lo = cb_hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return CB_EINVAL;
		l->al_hash[i] = (uint8_t)(hi << 4 | lo);
	}
	return CB_OK;
}

/* One log: its heads, its lines. 0 intact, 1 broken, 2 unreadable. */
static int
xv_log(struct xv *v, yyjson_val *heads, const char *name, int part)
{
	yyjson_val *o = yyjson_obj_get(heads, name);
	struct audit_link anchor, head;
	struct audit_export_result r;
	const struct xv_part *p = &v->v_part[part];

	if (xv_link(yyjson_obj_get(o, "anchor"), &anchor) != CB_OK ||
	    xv_link(yyjson_obj_get(o, "head"), &head) != CB_OK ||
	    head.al_seq < anchor.al_seq) {
		rep(v, "%s log: its head or anchor in %s is unreadable\n",
		    name, AUDIT_HEADS_FILE);
		return 2;
	}
	if (!p->p_found) {
		rep(v, "%s log: %s is missing\n", name, xv_names[part]);
		return head.al_seq > anchor.al_seq ? 1 : 2;
	}
	audit_export_check((const char *)p->p_data, p->p_len, &anchor, &head,
	    &r);
	if (r.ax_r.av_problem != AUDIT_INTACT) {
		rep(v, "%s log: %s: %s\n", name, xv_names[part],
		    r.ax_r.av_what);
		return 1;
	}
	rep(v, "%s log: entries %" PRIu64 "-%" PRIu64 " (%" PRIu64 " lines) "
	    "intact; head entry %" PRIu64 ", hash ", name, anchor.al_seq + 1,
	    head.al_seq, r.ax_r.av_entries, head.al_seq);
	for (size_t i = 0; i < AUDIT_HASH_LEN; i++)
		rep(v, "%02x", head.al_hash[i]);
	rep(v, "\n");
	return 0;
}

/* The manifest: last, and counting every entry (a ZIP only). */
static int
xv_manifest(struct xv *v)
{
	const struct xv_part *p = &v->v_part[XV_MAN];
	yyjson_doc *d;
	yyjson_val *o, *n;
	int bad = 0;

	if (!p->p_found) {
		rep(v, "manifest: %s is missing: not a whole export (or not "
		    "one from this box's version 2 format)\n", XV_MANIFEST);
		return 1;
	}
	d = yyjson_read((const char *)p->p_data, p->p_len, 0);
	o = yyjson_doc_get_root(d);
	n = yyjson_obj_get(o, "zip_entries");
	if (!yyjson_equals_str(yyjson_obj_get(o, "format"), "classbox-export")
	    || !yyjson_is_uint(n)) {
		rep(v, "manifest: unreadable\n");
		bad = 2;
	} else if (!v->v_folder && (!v->v_manifest_last ||
	    yyjson_get_uint(n) != v->v_entries)) {
		rep(v, "manifest: the archive holds %zu entries, the manifest "
		    "%" PRIu64 "%s: entries were added or removed\n",
		    v->v_entries, yyjson_get_uint(n), v->v_manifest_last ? "" :
		    " and is not the last");
		bad = 1;
	} else
		rep(v, "manifest: %" PRIu64 " entries, export %" PRIu64 " of "
		    "%" PRIu64 " records\n", yyjson_get_uint(n),
		    yyjson_get_uint(yyjson_obj_get(o, "export_id")),
		    yyjson_get_uint(yyjson_obj_get(o, "records_total")));
	yyjson_doc_free(d);
	return bad;
}

/* Everything but the archive's own structure. */
static int
xv_check(struct xv *v)
{
	const struct xv_part *h = &v->v_part[XV_HEADS];
	yyjson_doc *d;
	yyjson_val *heads;
	int worst, r;

	worst = xv_manifest(v);
	if (!h->p_found) {
		rep(v, "logs: %s is missing\n", AUDIT_HEADS_FILE);
		return 2;
	}
	d = yyjson_read((const char *)h->p_data, h->p_len, 0);
	heads = yyjson_doc_get_root(d);
	if (!yyjson_equals_str(yyjson_obj_get(heads, "format"),
	    "classbox-log-heads")) {
		rep(v, "logs: %s is unreadable\n", AUDIT_HEADS_FILE);
		yyjson_doc_free(d);
		return 2;
	}
	r = xv_log(v, heads, AUDIT_LOG_OPS, XV_OPS);
	worst = r > worst ? r : worst;
	r = xv_log(v, heads, AUDIT_LOG_LOGIN, XV_LOGIN);
	worst = r > worst ? r : worst;
	yyjson_doc_free(d);
	if (v->v_bad_crc > 0 && worst == 0)
		worst = 1;
	return worst;
}

int
audit_export_verify(const uint8_t *zip, size_t len, char *report,
    size_t report_size)
{
	struct xv v;
	char why[200];
	int rc;

	memset(&v, 0, sizeof(v));
	v.v_rep = report;
	v.v_rep_size = report_size;
	if (report_size > 0)
		report[0] = '\0';
	why[0] = '\0';
	if ((rc = zip_read(zip, len, xv_item, &v, why, sizeof(why))) != 0) {
		rep(&v, "archive: %s\n", rc == CB_EINVAL && why[0] ? why :
		    "an entry of the export appears twice");
		return 2;
	}
	rep(&v, "archive: %zu entries, %zu with a CRC-32 that fails\n",
	    v.v_entries, v.v_bad_crc);
	return xv_check(&v);
}

/* ---- files and folders ---- */

/* The whole file mapped read-only (len 0: nothing mapped). */
static int
xv_map(const char *path, const uint8_t **data, size_t *len)
{
	struct stat sb;
	void *m;
	int fd;

	*data = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return CB_ENOTFOUND;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_size > AUDIT_EXPORT_MAX + ZIP_LIMIT) {
		close(fd);
		return CB_EINVAL;
	}
	if (sb.st_size == 0) {
		close(fd);
		return CB_OK;
	}
	m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return CB_ENOMEM;
	*data = m;
	*len = (size_t)sb.st_size;
	return CB_OK;
}

static void
xv_unmap(const uint8_t *data, size_t len)
{
	if (len > 0)
		(void)munmap((void *)(uintptr_t)data, len);
}

static void
xv_sha256(const uint8_t *data, size_t len, char hex[65])
{
	uint8_t h[32];

	if (mbedtls_sha256(data, len, h, 0) != 0)
		fatalx("export_verify: SHA-256 failed");
	cb_hex_encode(h, sizeof(h), hex);
}

/* An unpacked export: its parts read from the folder. */
static int
xv_folder(const char *dir, char *report, size_t report_size)
{
	char path[XV_PATH_MAX];
	struct xv v;
	int rc = 0;

	memset(&v, 0, sizeof(v));
	v.v_rep = report;
	v.v_rep_size = report_size;
	v.v_folder = 1;
	rep(&v, "folder: %s (an unpacked export: no CRC-32 to check)\n", dir);
	for (int i = 0; i < XV_PARTS && rc == 0; i++) {
		struct xv_part *p = &v.v_part[i];

		if (cb_path_join(path, sizeof(path), dir, xv_names[i]) != 0)
			rc = 2;
		else if (xv_map(path, &p->p_data, &p->p_len) == CB_OK)
			p->p_found = p->p_crc_ok = 1;
	}
	if (rc == 0)
		rc = xv_check(&v);
	for (int i = 0; i < XV_PARTS; i++)
		xv_unmap(v.v_part[i].p_data, v.v_part[i].p_len);
	return rc;
}

int
audit_export_verify_path(const char *path, char *report, size_t size,
    char sha256_hex[65])
{
	const uint8_t *data;
	struct stat sb;
	size_t len;
	int rc;

	sha256_hex[0] = '\0';
	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		return xv_folder(path, report, size);
	if ((rc = xv_map(path, &data, &len)) != CB_OK) {
		snprintf(report, size, "%s: %s\n", path, rc == CB_ENOTFOUND ?
		    "cannot be opened" : "not a regular file, or too large");
		return 2;
	}
	xv_sha256(data, len, sha256_hex);
	rc = audit_export_verify(data, len, report, size);
	xv_unmap(data, len);
	return rc;
}

int
audit_export_verify_main(const char *path)
{
	char report[XV_REPORT_MAX], sha[65];
	int rc = audit_export_verify_path(path, report, sizeof(report), sha);

	fputs(report, rc == 2 ? stderr : stdout);
	if (sha[0] != '\0')
		printf("sha256 of the file: %s\n", sha);
	printf("%s\n", rc == 0 ? "export: intact (compare the heads and the "
	    "SHA-256 above with the ones the box showed: docs/audit.md)" :
	    rc == 1 ? "export: ALTERED (see above)" :
	    "export: cannot be checked (see above)");
	return rc;
}
