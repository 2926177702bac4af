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
#include "core/cb.h"
#include "core/proc.h"

#define SBOM_CTYPE	"application/spdx+json"

/* The whole file into *buf (NUL-terminated); CB_ENOTFOUND when absent. */
static int
sbom_read(const char *path, char **buf, size_t *len)
{
	struct stat sb;
	char *b;
	size_t got = 0;
	ssize_t n;
	int fd;

	*buf = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT || errno == ENOTDIR ? CB_ENOTFOUND :
		    CB_EIO;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return CB_ENOTFOUND;
	}
	if (sb.st_size > API_SBOM_MAX_BYTES) {
		close(fd);
		return CB_ETOOBIG;
	}
	if ((b = malloc((size_t)sb.st_size + 1)) == NULL) {
		close(fd);
		return CB_ENOMEM;
	}
	while (got < (size_t)sb.st_size) {
		n = read(fd, b + got, (size_t)sb.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got != (size_t)sb.st_size) {
		free(b);
		return CB_EIO;
	}
	b[got] = '\0';
	*buf = b;
	*len = got;
	return CB_OK;
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
