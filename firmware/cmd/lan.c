/*
 * lan.c: `classbox lan`, what a technician needs at the console to find
 * the box and check its certificate: the name (and the one mDNS holds),
 * the addresses to open, and the SHA-256 fingerprints of the box's CA and
 * of the certificate served. rcS prints it at boot.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "base/cb.h"
#include "base/file.h"
#include "net/cert.h"

static void
lan_print_cert(const char *what, const char *path)
{
	struct cert_info ci;
	char until[32];
	time_t t;

	if (cert_info_file(path, &ci) != CB_OK) {
		printf("  %-12s (none yet: %s)\n", what, path);
		return;
	}
	t = (time_t)ci.ci_not_after_s;
	strftime(until, sizeof(until), "%Y-%m-%d", gmtime(&t));
	printf("  %-12s SHA-256 %s\n  %-12s %s, valid until %s\n", what,
	    ci.ci_sha256, "", ci.ci_subject, until);
}

int
cmd_lan(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "mdns-state", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = CB_DEFAULT_DATA, *mdns = "/run/mdns/name";
	char tls[PATH_MAX], ca[PATH_MAX], cert[PATH_MAX], key[PATH_MAX];
	char host[256] = "";
	struct cert_names n;
	int c, up;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 'm': mdns = optarg; break;
		default:
			fprintf(stderr, "usage: classbox lan [--data DIR] "
			    "[--mdns-state FILE]\n");
			return 2;
		}
	}
	if (cb_path_join(tls, sizeof(tls), data, CB_WEB_SUBDIR "/tls") !=
	    CB_OK || cb_path_join(ca, sizeof(ca), tls, "ca/ca.pem") != CB_OK ||
	    cert_paths(tls, cert, sizeof(cert), key, sizeof(key), &up) !=
	    CB_OK)
		return 1;
	(void)gethostname(host, sizeof(host) - 1);
	cert_names_current(&n, mdns);
	printf("classbox on the LAN (host name %s):\n", host);
	for (size_t i = 0; i < n.cn_n; i++) {
		const char *v = n.cn_v[i];
		if (strcmp(v, "localhost") == 0 || strcmp(v, "127.0.0.1") == 0 ||
		    strcmp(v, "::1") == 0 || strcmp(v, host) == 0)
			continue;
		printf(strchr(v, ':') ? "  Open:        https://[%s]/\n" :
		    "  Open:        https://%s/\n", v);
	}
	lan_print_cert("CA:", ca);
	lan_print_cert(up ? "Certificate: (uploaded)" : "Certificate:", cert);
	return 0;
}
