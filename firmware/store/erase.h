/*
 * erase.h: the end of a school (docs/operations.md, "Termination"). Each
 * process destroys what it owns: web the classroom store's data key, the
 * box KEK (which wraps every backup's key) and the operation log's key;
 * auth its account environment and the login log's key. Before any of
 * that each writes a marker file `terminated` into a directory it owns,
 * durably, so that a restart (or a crash half-way) finishes the erase and
 * serves nobody.
 */
#ifndef ERASE_H
#define ERASE_H

#define ERASE_MARKER		"terminated"	/* in DATA/keys and DATA/auth */
#define ERASE_MARKER_MAX	4096		/* bytes of the record */

/* 1 when dir holds the marker, else 0. */
int erase_marked(const char *dir);
/* Write the marker (text: a one-line JSON record, no personal data)
 * atomically and durably into dir. */
int erase_mark(const char *dir, const char *text);
/* Overwrite path with zeros to its length, fsync, unlink, fsync its
 * directory. A missing file is fine (0): erasing is idempotent. */
int erase_file(const char *path);
/* erase_file on dir/name for each NULL-terminated name. The first error
 * is returned; the others are still tried. */
int erase_files(const char *dir, const char *const *names);

#endif
