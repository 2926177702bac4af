/*
 * cp932_ext.h: the CP932 (Windows Shift_JIS) extension rows that musl's
 * SHIFT_JIS lacks: NEC-selected and IBM extensions (髙 﨑 ...), lead bytes
 * 0xED 0xEE 0xFA 0xFB 0xFC, trail bytes 0x40..0xFC. The table is generated
 * at build time (tools/gen-cp932-ext) from the build host's glibc.
 */
#ifndef CP932_EXT_H
#define CP932_EXT_H

#include <stdint.h>

#define CP932_EXT_LEADS		5
#define CP932_EXT_TRAILS	(0xfc - 0x40 + 1)

/* Unicode code point of lead/trail, 0 = unassigned. */
extern const uint16_t cp932_ext[CP932_EXT_LEADS][CP932_EXT_TRAILS];

/* Row index of a lead byte, or -1 if it is not an extension row. */
static inline int
cp932_ext_row(unsigned c1)
{
	switch (c1) {
	case 0xed: return 0;
	case 0xee: return 1;
	case 0xfa: return 2;
	case 0xfb: return 3;
	case 0xfc: return 4;
	default: return -1;
	}
}

#endif
