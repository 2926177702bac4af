/*
 * bkstatus.c: the backup job's status file for web (bkstatus.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <yyjson.h>

#include "backup/bkstatus.h"
#include "base/cb.h"
#include "base/file.h"

static const char *const bks_stages[] = { BKS_STAGES };

static int
bks_fail(char *err, size_t errsize, const char *what)
{
	if (err != NULL && errsize > 0)
		snprintf(err, errsize, "backup status: %s", what);
	return CB_EINVAL;
}

static int
bks_known_stage(const char *s)
{
	for (size_t i = 0; i < sizeof(bks_stages) / sizeof(*bks_stages); i++)
		if (strcmp(s, bks_stages[i]) == 0)
			return 1;
	return 0;
}

/* A non-negative integer field that fits in int64; -1 when absent. */
static int
bks_int(yyjson_val *o, const char *key, int64_t max, int64_t *out)
{
	yyjson_val *v = yyjson_obj_get(o, key);

	*out = -1;
	if (v == NULL || yyjson_is_null(v))
		return CB_OK;
	if (yyjson_is_uint(v) && yyjson_get_uint(v) <= (uint64_t)max) {
		*out = (int64_t)yyjson_get_uint(v);
		return CB_OK;
	}
	return CB_EINVAL;
}

/* A string field copied into out (size bytes, NUL included). */
static int
bks_str(yyjson_val *o, const char *key, char *out, size_t size)
{
	yyjson_val *v = yyjson_obj_get(o, key);

	if (!yyjson_is_str(v) || yyjson_get_len(v) >= size ||
	    strlen(yyjson_get_str(v)) != yyjson_get_len(v))
		return CB_EINVAL;
	memcpy(out, yyjson_get_str(v), yyjson_get_len(v) + 1);
	return CB_OK;
}

static int
bks_parse_gen(yyjson_val *g, struct bks_gen *out)
{
	yyjson_val *ver = yyjson_obj_get(g, "verified");

	if (!yyjson_is_obj(g) ||
	    bks_str(g, "name", out->bg_name, sizeof(out->bg_name)) != 0 ||
	    strchr(out->bg_name, '/') != NULL ||
	    bks_int(g, "created_ms", INT64_MAX, &out->bg_created_ms) != 0 ||
	    bks_int(g, "bytes", INT64_MAX, &out->bg_bytes) != 0 ||
	    !yyjson_is_bool(ver))
		return CB_EINVAL;
	out->bg_verified = yyjson_get_bool(ver);
	return CB_OK;
}

static int
bks_parse_run(yyjson_val *run, struct bks_status *s)
{
	yyjson_val *ok = yyjson_obj_get(run, "ok");

	if (run == NULL || yyjson_is_null(run))
		return CB_OK;
	if (!yyjson_is_obj(run) || !yyjson_is_bool(ok) ||
	    bks_int(run, "started_ms", INT64_MAX, &s->bs_run_started_ms) ||
	    bks_int(run, "finished_ms", INT64_MAX, &s->bs_run_finished_ms) ||
	    s->bs_run_started_ms < 0 ||
	    bks_str(run, "stage", s->bs_run_stage, sizeof(s->bs_run_stage)) ||
	    !bks_known_stage(s->bs_run_stage))
		return CB_EINVAL;
	s->bs_run_ok = yyjson_get_bool(ok);
	return CB_OK;
}

int
bks_parse(const char *buf, size_t len, struct bks_status *s, char *err,
    size_t errsize)
{
	yyjson_doc *doc;
	yyjson_val *root, *gens, *g, *at;
	int64_t v, keep;
	size_t i, n;
	int rc = CB_EINVAL;

	memset(s, 0, sizeof(*s));
	s->bs_daily_at_min = -1;
	s->bs_next_ms = -1;
	if (len > BKS_MAX_BYTES)
		return bks_fail(err, errsize, "the file is too large");
	if ((doc = yyjson_read(buf, len, 0)) == NULL ||
	    !yyjson_is_obj(root = yyjson_doc_get_root(doc))) {
		yyjson_doc_free(doc);
		return bks_fail(err, errsize, "not a JSON object");
	}
	gens = yyjson_obj_get(root, "generations");
	at = yyjson_obj_get(root, "daily_at");
	if (bks_int(root, "version", INT32_MAX, &v) != 0 || v != BKS_VERSION) {
		bks_fail(err, errsize, "not version 1");
		goto out;
	}
	if (bks_str(root, "target", s->bs_target, sizeof(s->bs_target)) ||
	    bks_int(root, "keep", INT32_MAX, &keep) != 0 ||
	    bks_int(root, "next_ms", INT64_MAX, &s->bs_next_ms) != 0 ||
	    (at != NULL && !yyjson_is_null(at) && (!yyjson_is_str(at) ||
	    (s->bs_daily_at_min = bks_parse_hhmm(yyjson_get_str(at))) < 0)) ||
	    bks_parse_run(yyjson_obj_get(root, "run"), s) != 0 ||
	    !yyjson_is_arr(gens) || yyjson_arr_size(gens) > BKS_GEN_MAX) {
		bks_fail(err, errsize, "a field is missing or wrong");
		goto out;
	}
	s->bs_keep = (int)keep;
	yyjson_arr_foreach(gens, i, n, g) {
		if (bks_parse_gen(g, &s->bs_gen[i]) != 0) {
			bks_fail(err, errsize, "a generation is wrong");
			goto out;
		}
		s->bs_ngen = i + 1;
	}
	rc = CB_OK;
out:
	yyjson_doc_free(doc);
	return rc;
}

int
bks_read(const char *path, struct bks_status *s, char *err, size_t errsize)
{
	char *buf;
	size_t len;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return CB_ENOTFOUND;
		snprintf(err, errsize, "backup status: %s: %s", path,
		    strerror(errno));
		return CB_EIO;
	}
	rc = cb_read_fd_whole(fd, BKS_MAX_BYTES, &buf, &len);
	close(fd);
	switch (rc) {
	case CB_OK:
		break;
	case CB_EINVAL:
	case CB_ETOOBIG:
		return bks_fail(err, errsize, "not a regular file of at most "
		    "64 KiB");
	case CB_EIO:
		return bks_fail(err, errsize, "the file changed while read");
	default:
		return rc;
	}
	rc = bks_parse(buf, len, s, err, errsize);
	free(buf);
	return rc;
}

static yyjson_mut_val *
bks_gen_json(yyjson_mut_doc *d, const struct bks_gen *g)
{
	yyjson_mut_val *o = yyjson_mut_obj(d);

	if (o == NULL ||
	    !yyjson_mut_obj_add_strcpy(d, o, "name", g->bg_name) ||
	    !yyjson_mut_obj_add_int(d, o, "created_ms", g->bg_created_ms) ||
	    !yyjson_mut_obj_add_int(d, o, "bytes", g->bg_bytes) ||
	    !yyjson_mut_obj_add_bool(d, o, "verified", g->bg_verified != 0))
		return NULL;
	return o;
}

static yyjson_mut_doc *
bks_json(const struct bks_status *s)
{
	yyjson_mut_doc *d = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *o = d ? yyjson_mut_obj(d) : NULL;
	yyjson_mut_val *run = o ? yyjson_mut_obj(d) : NULL;
	yyjson_mut_val *gens = run ? yyjson_mut_arr(d) : NULL;
	char at[16];

	snprintf(at, sizeof(at), "%02d:%02d", (s->bs_daily_at_min / 60) % 100,
	    s->bs_daily_at_min % 60);
	if (gens == NULL ||
	    !yyjson_mut_obj_add_int(d, o, "version", BKS_VERSION) ||
	    !yyjson_mut_obj_add_strcpy(d, o, "target", s->bs_target) ||
	    !yyjson_mut_obj_add_int(d, o, "keep", s->bs_keep) ||
	    !(s->bs_daily_at_min < 0 ? yyjson_mut_obj_add_null(d, o,
	    "daily_at") : yyjson_mut_obj_add_strcpy(d, o, "daily_at", at)) ||
	    !(s->bs_next_ms < 0 ? yyjson_mut_obj_add_null(d, o, "next_ms") :
	    yyjson_mut_obj_add_int(d, o, "next_ms", s->bs_next_ms)) ||
	    !yyjson_mut_obj_add_int(d, run, "started_ms",
	    s->bs_run_started_ms) ||
	    !yyjson_mut_obj_add_int(d, run, "finished_ms",
	    s->bs_run_finished_ms) ||
	    !yyjson_mut_obj_add_bool(d, run, "ok", s->bs_run_ok != 0) ||
	    !yyjson_mut_obj_add_strcpy(d, run, "stage", s->bs_run_stage) ||
	    !yyjson_mut_obj_add_val(d, o, "run", run) ||
	    !yyjson_mut_obj_add_val(d, o, "generations", gens)) {
		yyjson_mut_doc_free(d);
		return NULL;
	}
	for (size_t i = 0; i < s->bs_ngen && i < BKS_GEN_MAX; i++) {
		yyjson_mut_val *g = bks_gen_json(d, &s->bs_gen[i]);

		if (g == NULL || !yyjson_mut_arr_append(gens, g)) {
			yyjson_mut_doc_free(d);
			return NULL;
		}
	}
	yyjson_mut_doc_set_root(d, o);
	return d;
}

int
bks_write(const char *path, const struct bks_status *s)
{
	yyjson_mut_doc *d = bks_json(s);
	char *text;
	size_t len;
	int rc;

	if (d == NULL)
		return CB_ENOMEM;
	text = yyjson_mut_write(d, 0, &len);
	yyjson_mut_doc_free(d);
	if (text == NULL)
		return CB_ENOMEM;
	rc = cb_write_file_atomic(path, text, len, 0644);
	free(text);
	return rc;
}

int
bks_parse_hhmm(const char *s)
{
	if (s == NULL || strlen(s) != 5 || s[2] != ':' ||
	    s[0] < '0' || s[0] > '2' || s[1] < '0' || s[1] > '9' ||
	    s[3] < '0' || s[3] > '5' || s[4] < '0' || s[4] > '9')
		return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0');
	int m = (s[3] - '0') * 10 + (s[4] - '0');

	return h > 23 ? -1 : h * 60 + m;
}

int64_t
bks_next_run(int64_t now_ms, int daily_at_min)
{
	time_t now = (time_t)(now_ms / 1000), t;
	struct tm tm;

	if (daily_at_min < 0 || localtime_r(&now, &tm) == NULL)
		return -1;
	/* At most two tries: today, else tomorrow (mktime normalises). */
	for (int day = 0; day < 2; day++) {
		struct tm x = tm;

		x.tm_mday += day;
		x.tm_hour = daily_at_min / 60;
		x.tm_min = daily_at_min % 60;
		x.tm_sec = 0;
		x.tm_isdst = -1;
		if ((t = mktime(&x)) != (time_t)-1 && t > now)
			return (int64_t)t * 1000;
	}
	return -1;
}
