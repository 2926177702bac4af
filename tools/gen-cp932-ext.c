/*
 * gen-cp932-ext: writes, on stdout, the C table of the Windows (CP932)
 * extension characters that musl's Shift_JIS decoder lacks: the NEC-selected
 * and IBM extensions, lead bytes 0xED 0xEE 0xFA 0xFB 0xFC (髙, 﨑, ...). It is
 * built and run on the build host at build time, reading the host C
 * library's own CP932 converter (glibc, from Debian), so the table is
 * derived from a pinned dependency, not kept in this repository.
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static const unsigned leads[] = { 0xed, 0xee, 0xfa, 0xfb, 0xfc };

static unsigned
decode(iconv_t cd, unsigned c1, unsigned c2)
{
	char in[2] = { (char)c1, (char)c2 }, *ip = in;
	unsigned char out[8], *op = out;
	size_t il = 2, ol = sizeof(out);

	iconv(cd, NULL, NULL, NULL, NULL);
	if (iconv(cd, &ip, &il, (char **)&op, &ol) == (size_t)-1 || il != 0 ||
	    op - out != 4)
		return 0;
	return (unsigned)out[0] | (unsigned)out[1] << 8 |
	    (unsigned)out[2] << 16 | (unsigned)out[3] << 24;
}

int
main(void)
{
	iconv_t cd = iconv_open("UTF-32LE", "CP932");
	unsigned n = 0;

	if (cd == (iconv_t)-1) {
		fprintf(stderr, "gen-cp932-ext: this C library has no CP932 "
		    "converter (build on Debian with glibc)\n");
		return 1;
	}
	printf("/* Generated at build time by tools/gen-cp932-ext from the "
	    "build host's\n * CP932 converter. Do not edit. */\n"
	    "#include \"core/cp932_ext.h\"\n\n"
	    "const uint16_t cp932_ext[CP932_EXT_LEADS][CP932_EXT_TRAILS] = "
	    "{\n");
	for (size_t l = 0; l < sizeof(leads) / sizeof(leads[0]); l++) {
		printf("\t{ /* 0x%02X */\n\t\t", leads[l]);
		for (unsigned c2 = 0x40; c2 <= 0xfc; c2++) {
			unsigned cp = c2 == 0x7f ? 0 : decode(cd, leads[l], c2);
			if (cp > 0xffff)
				cp = 0;	/* none in these rows; keep 16 bits */
			n += cp != 0;
			printf("0x%04x,%s", cp, (c2 - 0x40) % 8 == 7 ?
			    "\n\t\t" : " ");
		}
		printf("\n\t},\n");
	}
	printf("};\n");
	iconv_close(cd);
	/* Microsoft's table assigns 762 characters in these rows; far fewer
	 * means a broken converter. */
	if (n < 700) {
		fprintf(stderr, "gen-cp932-ext: only %u characters decoded\n",
		    n);
		return 1;
	}
	return 0;
}
