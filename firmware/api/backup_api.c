/*
 * backup_api.c: GET /api/v1/admin/backups, the box's backups for admins
 * (docs/backup.md, "Status for the web UI"; docs/api.md).
 *
 * The generations live where web cannot look (/data/backups, 0700 root);
 * what web shows comes from the status file the root job writes after each
 * run (backup/bkstatus.h). Web adds what needs the time now: the last
 * successful backup (the newest generation that verified), whether it is
 * older than API_BACKUP_STALE_MS, whether the last run failed, and the
 * next scheduled run. Nothing here starts a backup.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

#include "api/api_impl.h"
#include "backup/bkstatus.h"
#include "base/cb.h"
#include "base/file.h"

/* A box whose newest verified backup is older than this is warned about:
 * the job runs daily, so two days means at least one run missed or failed
 * (and the first in a row may be a power cut over a weekend night). */
#define API_BACKUP_STALE_MS	(48LL * 3600 * 1000)
#define API_BACKUP_DAY_MS	(24LL * 3600 * 1000)

/* The newest verified generation's time; -1 when none verified. */
static int64_t
backup_last_ok(const struct bks_status *s)
{
	int64_t best = -1;

	for (size_t i = 0; i < s->bs_ngen; i++)
		if (s->bs_gen[i].bg_verified &&
		    s->bs_gen[i].bg_created_ms > best)
			best = s->bs_gen[i].bg_created_ms;
	return best;
}

static bool
add_ms(yyjson_mut_doc *d, yyjson_mut_val *o, const char *key, int64_t ms)
{
	return ms < 0 ? yyjson_mut_obj_add_null(d, o, key) :
	    yyjson_mut_obj_add_int(d, o, key, ms);
}

/* The warnings, most urgent first: "never" (no backup verified), "stale"
 * (the last one older than the limit), "last_failed", "missed" (the
 * scheduled run's time passed without a run). */
static bool
backup_warnings(yyjson_mut_doc *d, yyjson_mut_val *o,
    const struct bks_status *s, int have, int64_t last_ok, int64_t now)
{
	yyjson_mut_val *w = yyjson_mut_arr(d);

	if (w == NULL ||
	    (last_ok < 0 && !yyjson_mut_arr_add_str(d, w, "never")) ||
	    (last_ok >= 0 && now - last_ok > API_BACKUP_STALE_MS &&
	    !yyjson_mut_arr_add_str(d, w, "stale")) ||
	    (have && s->bs_run_started_ms > 0 && !s->bs_run_ok &&
	    !yyjson_mut_arr_add_str(d, w, "last_failed")) ||
	    (have && s->bs_next_ms >= 0 && now > s->bs_next_ms +
	    API_BACKUP_DAY_MS / 24 && !yyjson_mut_arr_add_str(d, w, "missed")))
		return false;
	return yyjson_mut_obj_add_val(d, o, "warnings", w);
}

static bool
backup_run(yyjson_mut_doc *d, yyjson_mut_val *o, const struct bks_status *s,
    int have)
{
	yyjson_mut_val *run;

	if (!have || s->bs_run_started_ms <= 0)
		return yyjson_mut_obj_add_null(d, o, "last_run");
	return (run = yyjson_mut_obj(d)) != NULL &&
	    add_ms(d, run, "started_ms", s->bs_run_started_ms) &&
	    add_ms(d, run, "finished_ms", s->bs_run_finished_ms) &&
	    yyjson_mut_obj_add_bool(d, run, "ok", s->bs_run_ok != 0) &&
	    yyjson_mut_obj_add_strcpy(d, run, "stage", s->bs_run_stage) &&
	    yyjson_mut_obj_add_val(d, o, "last_run", run);
}

static bool
backup_gens(yyjson_mut_doc *d, yyjson_mut_val *o, const struct bks_status *s)
{
	yyjson_mut_val *a = yyjson_mut_arr(d), *g;

	if (a == NULL)
		return false;
	for (size_t i = 0; i < s->bs_ngen; i++) {
		const struct bks_gen *b = &s->bs_gen[i];

		if ((g = yyjson_mut_arr_add_obj(d, a)) == NULL ||
		    !yyjson_mut_obj_add_strcpy(d, g, "name", b->bg_name) ||
		    !add_ms(d, g, "created_ms", b->bg_created_ms) ||
		    !yyjson_mut_obj_add_int(d, g, "bytes", b->bg_bytes) ||
		    !yyjson_mut_obj_add_bool(d, g, "verified",
		    b->bg_verified != 0))
			return false;
	}
	return yyjson_mut_obj_add_val(d, o, "generations", a);
}

/* The next run: the recorded one, moved on by whole days if it passed (the
 * job is daily; "missed" says that it passed). */
static int64_t
backup_next(const struct bks_status *s, int have, int64_t now)
{
	int64_t next = have ? s->bs_next_ms : -1;

	if (next >= 0 && next <= now)
		next += ((now - next) / API_BACKUP_DAY_MS + 1) *
		    API_BACKUP_DAY_MS;
	return next;
}

int
api_admin_backups(struct api_req *r)
{
	const struct api *a = r->r_api;
	struct bks_status *s = calloc(1, sizeof(*s));
	yyjson_mut_doc *d = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *o = d ? yyjson_mut_obj(d) : NULL;
	char path[PATH_MAX], err[160], at[16] = "";
	int64_t now = cb_now_ms(), last_ok;
	int rc = CB_ENOTFOUND, have;

	if (s == NULL || o == NULL) {
		free(s);
		yyjson_mut_doc_free(d);
		return api_req_error(r, API_E_BUSY);
	}
	if (cb_path_join(path, sizeof(path), a->a_data_dir, BKS_FILE) == CB_OK)
		rc = bks_read(path, s, err, sizeof(err));
	if (rc != CB_OK && rc != CB_ENOTFOUND)
		log_warn("backups: %s", err);	/* shown as "never run" */
	have = rc == CB_OK;
	if (!have)
		memset(s, 0, sizeof(*s));
	last_ok = backup_last_ok(s);
	if (have && s->bs_daily_at_min >= 0)
		snprintf(at, sizeof(at), "%02d:%02d", s->bs_daily_at_min / 60,
		    s->bs_daily_at_min % 60);
	if (!yyjson_mut_obj_add_bool(d, o, "recorded", have) ||
	    !yyjson_mut_obj_add_bool(d, o, "status_unreadable",
	    rc != CB_OK && rc != CB_ENOTFOUND) ||
	    !yyjson_mut_obj_add_int(d, o, "now_ms", now) ||
	    !yyjson_mut_obj_add_int(d, o, "stale_after_hours",
	    API_BACKUP_STALE_MS / 3600000) ||
	    !add_ms(d, o, "last_ok_ms", last_ok) ||
	    !add_ms(d, o, "next_run_ms", backup_next(s, have, now)) ||
	    !(at[0] ? yyjson_mut_obj_add_strcpy(d, o, "daily_at", at) :
	    yyjson_mut_obj_add_null(d, o, "daily_at")) ||
	    !(have ? yyjson_mut_obj_add_strcpy(d, o, "target", s->bs_target) :
	    yyjson_mut_obj_add_null(d, o, "target")) ||
	    !yyjson_mut_obj_add_int(d, o, "keep", have ? s->bs_keep : 0) ||
	    !backup_run(d, o, s, have) ||
	    !backup_warnings(d, o, s, have, last_ok, now) ||
	    !backup_gens(d, o, s)) {
		free(s);
		yyjson_mut_doc_free(d);
		return api_req_error(r, API_E_BUSY);
	}
	free(s);
	yyjson_mut_doc_set_root(d, o);
	return api_req_json(r, 200, d);
}
