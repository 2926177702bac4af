/*
 * main.c: the classbox multi-call binary. The applet is the program's
 * name (a symlink, as with BusyBox) or else the first argument.
 */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"

struct applet {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
};

static const struct applet applets[] = {
	{ "run", cmd_run, "start auth and web and supervise them (development)" },
	{ "web", cmd_web, "the HTTPS server process" },
	{ "auth", cmd_auth, "the account and password process" },
	{ "user", cmd_user, "manage accounts from the console" },
	{ "version", cmd_version, "print the version and its components" },
	{ "audit", cmd_audit, "verify and read the login and operation logs" },
	{ "backup", cmd_backup, "encrypted, verified backups: create, verify, list, restore" },
	{ "sync", cmd_sync, "replicate with the cloud (--once: one cycle)" },
	{ "enroll", cmd_enroll, "enroll this box with the cloud (FILE)" },
	{ "status", cmd_status, "clock and cloud sync state" },
	{ "lan", cmd_lan, "the box's name, addresses and certificate fingerprints" },
	{ "mdns", cmd_mdns, "answer NAME.local on the LAN (Multicast DNS)" },
	{ "netcfg", cmd_netcfg, "apply the admin's network settings, with confirm-or-revert (root)" },
	{ "time", cmd_time, "clock state (synced/holdover/unsynced), error, floor" },
	{ "update", cmd_update, "install a signed update bundle; boot slot status" },
	{ "updated", cmd_updated, "the update service: commit or roll back, spooled bundles" },
	{ "bundle", cmd_bundle, "host: update keys, sign and verify bundles" },
	{ "keys", cmd_keys, "the key hierarchy: TPM seal, recovery key, status" },
};

static void
usage(void)
{
	fprintf(stderr, "usage: classbox APPLET [ARGS]\n\napplets:\n");
	for (size_t i = 0; i < sizeof(applets) / sizeof(applets[0]); i++)
		fprintf(stderr, "  %-8s %s\n", applets[i].name, applets[i].help);
}

int
main(int argc, char **argv)
{
	const char *name = argc > 0 ? strrchr(argv[0], '/') : NULL;

	name = name ? name + 1 : (argc > 0 ? argv[0] : "classbox");
	if (strcmp(name, "classbox") == 0) {
		if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
		    strcmp(argv[1], "-h") == 0) {
			usage();
			return argc < 2 ? 2 : 0;
		}
		argc--;
		argv++;
		name = argv[0];
	}
	for (size_t i = 0; i < sizeof(applets) / sizeof(applets[0]); i++)
		if (strcmp(name, applets[i].name) == 0)
			return applets[i].fn(argc, argv);
	fprintf(stderr, "classbox: unknown applet '%s'\n", name);
	usage();
	return 2;
}
