/*
 * filetype.h: the media types a file record may have (worksheets, photos,
 * PDFs) and the magic numbers their bytes must start with. Pure; shared by
 * the upload API (api/files.c) and by sync, which checks files arriving
 * from the cloud as CouchDB attachments (sync/atts.c) by the same rules.
 */
#ifndef CORE_FILETYPE_H
#define CORE_FILETYPE_H

#include <stddef.h>

struct file_type {
	const char *ft_ctype;		/* "application/pdf" */
	const char *ft_ext;		/* ".pdf" */
};

/* The allow-listed type named by a Content-Type (parameters ignored,
 * case-insensitive), or NULL. */
const struct file_type *file_type_of(const char *ct);
/* The allow-listed type whose name is exactly ct, or NULL. */
const struct file_type *file_type_exact(const char *ct);
/* 1 when the bytes look like the declared type (magic numbers; text/plain:
 * UTF-8 without NUL or controls but tab, LF, CR; application/json: such
 * text that is one JSON value). */
int file_sniff(const struct file_type *ft, const unsigned char *b, size_t n);

#endif
