/*
 * export_receipt.c: what the box remembers of the last whole export, and
 * the two questions asked of it (docs/operations.md "Before the end").
 *
 * When an export's stream has written its last byte (the ZIP's end
 * record), the box keeps DATA/web/export-receipt.json (web's own folder): the export's id, who
 * made it, the SHA-256 of every byte it sent, their count, and the
 * store's last change when it began. No personal data: ids, times and
 * hashes. The operation log says the same ("export.complete").
 *
 * POST /api/v1/export/confirm {"export_id":N,"sha256":"<hex>"}: the
 * admin's check of the download. The page computes the SHA-256 of the
 * file it received (or the admin runs sha256sum on the saved file) and
 * sends it; the box compares it with the digest of what it sent. A
 * download cut short, or a file changed since, has another digest and is
 * refused (409 export_mismatch); only the box's last whole export can be
 * confirmed. Confirmed, the receipt says so ("export.confirm" logged).
 *
 * GET /api/v1/export/receipt: the receipt and whether it still covers
 * everything (for the termination page).
 *
 * Termination (terminate.c) asks export_receipt_ok: the last whole
 * export was confirmed and the store has not changed since it began.
 * While the school is terminating nobody can write (api.c's gate), so an
 * export made then stays whole until the end; one made before the state
 * changed to terminating is not (the school record changed).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yyjson.h>

#include "api/classroom.h"
#include "api/export.h"
#include "base/cb.h"
#include "base/file.h"

#define RECEIPT_MAX		4096	/* bytes of the receipt file */
#define RECEIPT_HEX_LEN		64

struct receipt {
	uint64_t rc_id, rc_bytes, rc_store_seq;
	int64_t rc_completed_ms, rc_confirmed_ms;
	char rc_sha[RECEIPT_HEX_LEN + 1];
	char rc_by[AUTH_UID_MAX], rc_confirmed_by[AUTH_UID_MAX];
};

static int
receipt_path(const struct api *a, char *out, size_t size)
{
	if (a->a_data_dir[0] == '\0')
		return CB_ENOTFOUND;
	return cb_path_join(out, size, a->a_data_dir, EXPORT_RECEIPT_FILE);
}

static int
receipt_write(const struct api *a, const struct receipt *rc)
{
	char path[PATH_MAX], buf[RECEIPT_MAX];
	int n;

	if (receipt_path(a, path, sizeof(path)) != CB_OK)
		return CB_ENOTFOUND;
	n = snprintf(buf, sizeof(buf), "{\"export_id\":%" PRIu64 ",\"by\":\"%s"
	    "\",\"completed_ms\":%" PRId64 ",\"bytes\":%" PRIu64 ",\"sha256\":"
	    "\"%s\",\"store_seq\":%" PRIu64 ",\"confirmed_ms\":%" PRId64 ","
	    "\"confirmed_by\":\"%s\"}\n", rc->rc_id, rc->rc_by,
	    rc->rc_completed_ms, rc->rc_bytes, rc->rc_sha, rc->rc_store_seq,
	    rc->rc_confirmed_ms, rc->rc_confirmed_by);
	if (n < 0 || n >= (int)sizeof(buf))
		return CB_ETOOBIG;
	return cb_write_file_atomic(path, buf, (size_t)n, 0600);
}

static int
receipt_read(const struct api *a, struct receipt *rc)
{
	char path[PATH_MAX], *buf = NULL;
	yyjson_doc *d;
	yyjson_val *o;
	size_t len;
	int fd, r;

	memset(rc, 0, sizeof(*rc));
	if (receipt_path(a, path, sizeof(path)) != CB_OK)
		return CB_ENOTFOUND;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? CB_ENOTFOUND : CB_EIO;
	r = cb_read_fd_whole(fd, RECEIPT_MAX, &buf, &len);
	close(fd);
	if (r != CB_OK)
		return r;
	d = yyjson_read(buf, len, 0);
	free(buf);
	o = yyjson_doc_get_root(d);
	rc->rc_id = yyjson_get_uint(yyjson_obj_get(o, "export_id"));
	rc->rc_bytes = yyjson_get_uint(yyjson_obj_get(o, "bytes"));
	rc->rc_store_seq = yyjson_get_uint(yyjson_obj_get(o, "store_seq"));
	rc->rc_completed_ms = yyjson_get_sint(yyjson_obj_get(o,
	    "completed_ms"));
	rc->rc_confirmed_ms = yyjson_get_sint(yyjson_obj_get(o,
	    "confirmed_ms"));
	r = yyjson_get_len(yyjson_obj_get(o, "sha256")) == RECEIPT_HEX_LEN &&
	    rc->rc_id != 0 &&
	    cb_strlcpy(rc->rc_sha, yyjson_get_str(yyjson_obj_get(o,
	    "sha256")), sizeof(rc->rc_sha)) == 0 &&
	    cb_strlcpy(rc->rc_by, yyjson_get_str(yyjson_obj_get(o, "by")) ?
	    yyjson_get_str(yyjson_obj_get(o, "by")) : "",
	    sizeof(rc->rc_by)) == 0 &&
	    cb_strlcpy(rc->rc_confirmed_by, yyjson_get_str(yyjson_obj_get(o,
	    "confirmed_by")) ? yyjson_get_str(yyjson_obj_get(o,
	    "confirmed_by")) : "", sizeof(rc->rc_confirmed_by)) == 0 ?
	    CB_OK : CB_EINVAL;
	yyjson_doc_free(d);
	return r;
}

static void
receipt_log(struct api *a, const char *uid, const char *action,
    const char *target, const char *peer)
{
	struct audit_record rec = { AUDIT_KIND_OPERATION, uid, action, target,
	    "ok", peer, "" };
	int rc;

	if (a->a_ops != NULL && (rc = audit_append(a->a_ops, &rec, NULL)) !=
	    CB_OK)
		log_err("ALARM: the operation log cannot be written (%s): %s "
		    "is not logged", cb_strerror(rc), action);
}

void
export_receipt_done(struct api_export *x, const uint8_t sha[32])
{
	struct receipt rc;
	char target[AUDIT_MAX_TARGET + 1];
	int r;

	memset(&rc, 0, sizeof(rc));
	rc.rc_id = x->x_id;
	rc.rc_bytes = x->x_bytes;
	rc.rc_store_seq = x->x_store_seq;
	rc.rc_completed_ms = cb_now_ms();
	cb_hex_encode(sha, 32, rc.rc_sha);
	(void)cb_strlcpy(rc.rc_by, x->x_uid, sizeof(rc.rc_by));
	if ((r = receipt_write(x->x_api, &rc)) != CB_OK)
		log_err("export %" PRIu64 ": its receipt cannot be kept (%s): "
		    "it cannot be confirmed", x->x_id, cb_strerror(r));
	snprintf(target, sizeof(target), "export:%" PRIu64 " sha256:%s",
	    x->x_id, rc.rc_sha);
	receipt_log(x->x_api, x->x_uid, EXPORT_ACTION_DONE, target,
	    x->x_peer);
}

/* 1 when rc, confirmed, still covers the store. */
static int
receipt_current(struct api *a, const struct receipt *rc)
{
	uint64_t seq = 0;

	return rc->rc_confirmed_ms > 0 && a->a_store != NULL &&
	    store_last_seq(a->a_store, &seq) == CB_OK &&
	    seq == rc->rc_store_seq;
}

int
export_receipt_ok(struct api *a, char *why, size_t size, char *why_ja,
    size_t size_ja)
{
	struct receipt rc;
	int r = receipt_read(a, &rc);

	if (r != CB_OK) {
		snprintf(why, size, "No whole export has been downloaded yet.");
		snprintf(why_ja, size_ja, "まだ完全なエクスポートがダウンロード"
		    "されていません。");
		return 0;
	}
	if (rc.rc_confirmed_ms == 0) {
		snprintf(why, size, "Export %" PRIu64 " was downloaded but not "
		    "confirmed: check its SHA-256 on the export page.",
		    rc.rc_id);
		snprintf(why_ja, size_ja, "エクスポート %" PRIu64 " はダウンロード"
		    "されましたが、まだ確認されていません。エクスポートのページで"
		    "確認してください。", rc.rc_id);
		return 0;
	}
	if (!receipt_current(a, &rc)) {
		snprintf(why, size, "Records changed after export %" PRIu64
		    " began: export again (while the school is terminating "
		    "nothing changes).", rc.rc_id);
		snprintf(why_ja, size_ja, "エクスポート %" PRIu64 " の開始後に記録"
		    "が変わりました。もう一度エクスポートしてください（利用終了の"
		    "手続き中は記録が変わりません）。", rc.rc_id);
		return 0;
	}
	return 1;
}

int
export_refuse(struct api_req *r, int status, const char *code,
    const char *en, const char *ja)
{
	yyjson_mut_doc *m = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *o = m ? yyjson_mut_obj(m) : NULL;
	yyjson_mut_val *e = m ? yyjson_mut_obj(m) : NULL;

	if (o == NULL || e == NULL || !yyjson_mut_obj_add_val(m, o, "error", e) ||
	    !yyjson_mut_obj_add_strcpy(m, e, "code", code) ||
	    !yyjson_mut_obj_add_strcpy(m, e, "message", en) ||
	    !yyjson_mut_obj_add_strcpy(m, e, "message_ja", ja)) {
		yyjson_mut_doc_free(m);
		return api_req_error(r, API_E_INTERNAL);
	}
	yyjson_mut_doc_set_root(m, o);
	return api_req_json(r, status, m);
}

static int
receipt_reply(struct api_req *r, const struct receipt *rc, int current)
{
	yyjson_mut_doc *m = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *o = m ? yyjson_mut_obj(m) : NULL;

	if (o == NULL ||
	    !yyjson_mut_obj_add_uint(m, o, "export_id", rc->rc_id) ||
	    !yyjson_mut_obj_add_strcpy(m, o, "by", rc->rc_by) ||
	    !yyjson_mut_obj_add_int(m, o, "completed_ms",
	    rc->rc_completed_ms) ||
	    !yyjson_mut_obj_add_uint(m, o, "bytes", rc->rc_bytes) ||
	    !yyjson_mut_obj_add_strcpy(m, o, "sha256", rc->rc_sha) ||
	    !yyjson_mut_obj_add_bool(m, o, "confirmed",
	    rc->rc_confirmed_ms > 0) ||
	    !yyjson_mut_obj_add_int(m, o, "confirmed_ms",
	    rc->rc_confirmed_ms) ||
	    !yyjson_mut_obj_add_strcpy(m, o, "confirmed_by",
	    rc->rc_confirmed_by) ||
	    !yyjson_mut_obj_add_bool(m, o, "covers_everything", current)) {
		yyjson_mut_doc_free(m);
		return api_req_error(r, API_E_INTERNAL);
	}
	yyjson_mut_doc_set_root(m, o);
	return api_req_json(r, 200, m);
}

int
api_export_receipt(struct api_req *r)
{
	struct receipt rc;
	struct cr_ctx c;

	if (cr_begin(r, &c) != CB_OK)
		return cr_error(&c);
	if (receipt_read(r->r_api, &rc) != CB_OK)
		return api_req_error(r, API_E_NOT_FOUND);
	return receipt_reply(r, &rc, receipt_current(r->r_api, &rc));
}

/* The body: {"export_id": N, "sha256": "<64 hex>"}. */
static int
confirm_body(struct cr_ctx *c, uint64_t *id, char sha[RECEIPT_HEX_LEN + 1])
{
	static const char *const fields[] = { "export_id", "sha256" };
	yyjson_doc *body = NULL;
	yyjson_val *iv, *sv;
	int rc;

	if ((rc = cr_body(c, fields, 2, &body)) != CB_OK)
		return rc;
	iv = yyjson_obj_get(cr_root(body), "export_id");
	sv = yyjson_obj_get(cr_root(body), "sha256");
	if (iv == NULL || sv == NULL)
		rc = cr_field(c, API_FIELD_MISSING, iv ? "sha256" : "export_id");
	else if (!yyjson_is_uint(iv) || yyjson_get_uint(iv) == 0)
		rc = cr_field(c, API_FIELD_VALUE, "export_id");
	else if (!yyjson_is_str(sv) || yyjson_get_len(sv) != RECEIPT_HEX_LEN)
		rc = cr_field(c, API_FIELD_VALUE, "sha256");
	if (rc == CB_OK) {
		*id = yyjson_get_uint(iv);
		for (size_t i = 0; i < RECEIPT_HEX_LEN; i++) {
			char ch = yyjson_get_str(sv)[i];

			if (cb_hexval(ch) < 0)
				rc = cr_field(c, API_FIELD_VALUE, "sha256");
			sha[i] = (char)(ch >= 'A' && ch <= 'F' ? ch + 32 : ch);
		}
		sha[RECEIPT_HEX_LEN] = '\0';
	}
	yyjson_doc_free(body);
	return rc;
}

int
api_export_confirm(struct api_req *r)
{
	char sha[RECEIPT_HEX_LEN + 1], target[32];
	struct receipt rc;
	struct cr_ctx c;
	uint64_t id = 0;

	if (cr_begin(r, &c) != CB_OK || confirm_body(&c, &id, sha) != CB_OK)
		return cr_error(&c);
	if (receipt_read(r->r_api, &rc) != CB_OK || rc.rc_id != id)
		return export_refuse(r, 409, "export_unknown", "This is not the "
		    "box's last whole export (a cut download leaves none, and "
		    "a newer export replaces it). Download the export again.",
		    "この番号はボックスの最新の完全なエクスポートではありません。"
		    "もう一度エクスポートをダウンロードしてください。");
	if (strcmp(rc.rc_sha, sha) != 0)
		return export_refuse(r, 409, "export_mismatch", "The SHA-256 "
		    "does not match what the box sent: the download is "
		    "incomplete or the file was changed. Download it again.",
		    "SHA-256 がボックスの送ったものと一致しません。ダウンロードが"
		    "途中で切れたか、ファイルが変更されています。もう一度ダウン"
		    "ロードしてください。");
	rc.rc_confirmed_ms = cb_now_ms();
	(void)cb_strlcpy(rc.rc_confirmed_by, r->r_sess.as_user.au_uid,
	    sizeof(rc.rc_confirmed_by));
	if (receipt_write(r->r_api, &rc) != CB_OK)
		return api_req_error(r, API_E_INTERNAL);
	snprintf(target, sizeof(target), "export:%" PRIu64, id);
	receipt_log(r->r_api, r->r_sess.as_user.au_uid, EXPORT_ACTION_CONFIRM,
	    target, http_request(r->r_ex)->peer);
	r->r_audit_action = NULL;	/* logged above, with its export */
	return receipt_reply(r, &rc, receipt_current(r->r_api, &rc));
}
