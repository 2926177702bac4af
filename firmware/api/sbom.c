/*
 * sbom.c: GET /api/v1/admin/sbom, the image's software bill of materials
 * (SPDX 2.3 JSON, written by tools/sbom when the image is built) for
 * admins. The file is read at each request: it is small, asked for
 * rarely, and lives on the read-only root, so nothing is cached. The body
 * is passed through as the build wrote it (it is our own file, not input
 * from the network); the size is bounded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api_impl.h"
#include "base/cb.h"
#include "base/file.h"

#define SBOM_CTYPE	"application/spdx+json"

/* The whole file into *buf (NUL-terminated); CB_ENOTFOUND when absent. */
static int
sbom_read(const char *path, char **buf, size_t *len)
{
	int fd, rc;

	*buf = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT || errno == ENOTDIR ? CB_ENOTFOUND :
		    CB_EIO;
	rc = cb_read_fd_whole(fd, API_SBOM_MAX_BYTES, buf, len);
	close(fd);
	return rc == CB_EINVAL ? CB_ENOTFOUND : rc;	/* not a regular file */
}

int
api_admin_sbom(struct api_req *r)
{
	const char *path = r->r_api->a_sbom_path ? r->r_api->a_sbom_path :
	    API_SBOM_PATH;
	char *body;
	size_t len;
	int rc;

	if ((rc = sbom_read(path, &body, &len)) == CB_ENOTFOUND)
		return api_req_error(r, API_E_NO_SBOM);
	if (rc != CB_OK) {
		log_err("sbom: cannot read %s: %s", path, cb_strerror(rc));
		return api_req_error(r, API_E_INTERNAL);
	}
	rc = api_req_reply(r, 200, SBOM_CTYPE, body, len);
	free(body);
	return rc;
}
