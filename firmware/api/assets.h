/*
 * assets.h: the web UI, embedded at build time. tools/embed-assets turns
 * the files of firmware/ui into build/<target>/gen/assets.c, which defines the
 * table below; api.c serves it with ETag and Cache-Control: no-cache.
 */
#ifndef API_ASSETS_H
#define API_ASSETS_H

#include <stddef.h>

struct api_asset {
	const char *path;		/* "/index.html" */
	const char *content_type;	/* "text/html; charset=utf-8" */
	const unsigned char *bytes;
	size_t length;
	const char *etag;		/* quoted: "\"<16 hex of SHA-256>\"" */
};

extern const struct api_asset api_assets[];
extern const size_t api_assets_count;

#endif
