/*
 * utf8.h: the one UTF-8 rule set of classbox.
 *
 * Well-formed means RFC 3629: no overlong form, no surrogate (U+D800 to
 * U+DFFF), nothing past U+10FFFF, no sequence cut short. Every check below
 * starts there; the kinds of text differ only in the control characters
 * they also refuse, each kind refusing everything the one before it does:
 *
 *   CB_UTF8_ANY   nothing more: a whole document whose own syntax decides
 *                 about controls (a JSON body, a CSV file, a field from
 *                 auth copied into JSON, which yyjson escapes).
 *   CB_UTF8_TEXT  NUL, DEL and the C0 controls but TAB, LF and CR: text
 *                 a person typed, where line breaks belong (a guidance
 *                 note, a password, a document id).
 *   CB_UTF8_LINE  also TAB, LF and CR: one line (a title, an audit field).
 *   CB_UTF8_NAME  also the C1 controls U+0080 to U+009F: what a person or
 *                 a school is called, printed on slips and in lists.
 *
 * C1 controls are refused only in names: text pasted from old Windows
 * programs carries them (cp1252 quotes read as Latin-1), and notes and
 * titles have always accepted them, on the box and from the cloud.
 */
#ifndef CB_UTF8_H
#define CB_UTF8_H

#include <stddef.h>

enum cb_utf8_kind {
	CB_UTF8_ANY,
	CB_UTF8_TEXT,
	CB_UTF8_LINE,
	CB_UTF8_NAME,
};

/* 1 when s[0..len) is well-formed UTF-8 without the controls kind
 * refuses; 0 otherwise. */
int cb_utf8_valid(const char *s, size_t len, enum cb_utf8_kind kind);

/* Bytes (1 to 4) of the well-formed sequence that starts s[0..len), or 0
 * when none does (len 0 included). Controls count as sequences. */
size_t cb_utf8_seq(const char *s, size_t len);

/* Code points in s[0..len), which must be well-formed. */
size_t cb_utf8_count(const char *s, size_t len);

/* Bytes of the longest prefix of s[0..len), at most max, that is
 * well-formed and ends on a whole sequence: where to cut text short. */
size_t cb_utf8_prefix(const char *s, size_t len, size_t max);

#endif
