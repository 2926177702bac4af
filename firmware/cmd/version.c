/*
 * version.c: `classbox version`: this build and the versions of the
 * components linked into it, for technicians and the SBOM.
 */
#include <stdio.h>

#include <argon2.h>
#include <llhttp.h>
#include <lmdb.h>
#include <mbedtls/version.h>
#include <yyjson.h>

#include "cmd/cmd.h"

#ifndef CLASSBOX_VERSION
#define CLASSBOX_VERSION "unknown"
#endif

int
cmd_version(int argc, char **argv)
{
	char mbed[18];

	(void)argc;
	(void)argv;
	mbedtls_version_get_string(mbed);
	printf("classbox %s\n", CLASSBOX_VERSION);
	printf("  mbedtls %s\n", mbed);
	printf("  lmdb %d.%d.%d\n", MDB_VERSION_MAJOR, MDB_VERSION_MINOR,
	    MDB_VERSION_PATCH);
	printf("  yyjson %s\n", YYJSON_VERSION_STRING);
	printf("  llhttp %d.%d.%d\n", LLHTTP_VERSION_MAJOR,
	    LLHTTP_VERSION_MINOR, LLHTTP_VERSION_PATCH);
	printf("  argon2 20190702 (argon2id, version 0x%x)\n", ARGON2_VERSION_NUMBER);
	return 0;
}
