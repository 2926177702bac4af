/*
 * filetype.c: the allow-list of file media types and their magic numbers.
 */
#include <string.h>
#include <strings.h>

#include <yyjson.h>

#include "base/cb.h"
#include "core/filetype.h"
#include "base/utf8.h"

static const struct file_type file_types[] = {
	{ "image/jpeg", ".jpg" }, { "image/png", ".png" },
	{ "image/heic", ".heic" }, { "application/pdf", ".pdf" },
	{ "text/plain", ".txt" }, { "application/json", ".json" },
};

const struct file_type *
file_type_of(const char *ct)
{
	size_t n, i;

	if (ct == NULL)
		return NULL;
	n = strcspn(ct, "; \t");
	for (i = 0; i < CB_ARRAY_LEN(file_types); i++)
		if (strlen(file_types[i].ft_ctype) == n &&
		    strncasecmp(ct, file_types[i].ft_ctype, n) == 0)
			return &file_types[i];
	return NULL;
}

const struct file_type *
file_type_exact(const char *ct)
{
	if (ct == NULL)
		return NULL;
	for (size_t i = 0; i < CB_ARRAY_LEN(file_types); i++)
		if (strcmp(ct, file_types[i].ft_ctype) == 0)
			return &file_types[i];
	return NULL;
}

int
file_sniff(const struct file_type *ft, const unsigned char *b, size_t n)
{
	static const unsigned char png[] = { 0x89, 'P', 'N', 'G', '\r', '\n',
	    0x1a, '\n' };
	static const char *const heic[] = { "heic", "heix", "heim", "heis",
	    "hevc", "hevx", "mif1", "msf1" };

	if (strcmp(ft->ft_ctype, "image/jpeg") == 0)
		return n >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff;
	if (strcmp(ft->ft_ctype, "image/png") == 0)
		return n >= sizeof(png) && memcmp(b, png, sizeof(png)) == 0;
	if (strcmp(ft->ft_ctype, "application/pdf") == 0)
		return n >= 5 && memcmp(b, "%PDF-", 5) == 0;
	if (strcmp(ft->ft_ctype, "image/heic") == 0) {
		if (n < 12 || memcmp(b + 4, "ftyp", 4) != 0)
			return 0;
		for (size_t i = 0; i < CB_ARRAY_LEN(heic); i++)
			if (memcmp(b + 8, heic[i], 4) == 0)
				return 1;
		return 0;
	}
	if (n == 0 || !cb_utf8_valid((const char *)b, n, CB_UTF8_TEXT))
		return 0;
	/* application/json: that text, one JSON value (RFC 8259) */
	if (strcmp(ft->ft_ctype, "application/json") == 0) {
		yyjson_doc *d = yyjson_read((const char *)b, n, 0);
		yyjson_doc_free(d);
		return d != NULL;
	}
	/* text/plain: UTF-8 text, no NUL or controls but tab, LF, CR */
	return 1;
}
