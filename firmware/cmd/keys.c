/*
 * keys.c: `classbox keys`: the key hierarchy from the console, for
 * technicians and tests (firmware/keys, docs/keys.md). Never prints a
 * key, only the recovery key when one is made (shown once) and a key id.
 * A recovery key is read from standard input, never from the command
 * line, where ps(1) would show it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "base/cb.h"
#include "base/file.h"
#include "keys/escrow.h"
#include "keys/keys.h"
#include "tpm/tpm.h"

struct keys_cli {
	char kc_dir[PATH_MAX];
	char kc_err[256];
	const char *kc_escrow_path;	/* --escrow-key / --key */
	char *kc_pem;			/* its contents */
	size_t kc_pem_len;
	struct keys_options kc_o;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: classbox keys COMMAND [--data DIR | --dir DIR] "
	    "[--tpm PATH|none] [--pcrs LIST] [--escrow-key FILE]\n"
	    "  status           how the keys are protected (tpm or file)\n"
	    "  init             make the keys; prints the recovery key once\n"
	    "  unlock           open the root key as a start does; its key id\n"
	    "  recover          read the recovery key on stdin, open the keys\n"
	    "                   and seal them to this machine's TPM\n"
	    "  rotate-recovery  a new recovery key; the old one stops working\n"
	    "  pcrs             this TPM's PCR values (--pcrs, default 0-23)\n"
	    "  escrow-open --key PRIVATE.pem FILE\n"
	    "                   the platform's side: the escrowed key in FILE\n"
	    "--data DIR: the data directory (default %s; keys in DIR/%s)\n",
	    CB_DEFAULT_DATA, CB_KEYS_SUBDIR);
}

/* A whole small file (a PEM key, an escrow blob), NUL-terminated. */
static int
slurp(const char *path, char **buf, size_t *len)
{
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "keys: %s: %s\n", path, strerror(errno));
		return CB_EIO;
	}
	rc = cb_read_fd_whole(fd, ESCROW_PEM_MAX, buf, len);
	close(fd);
	if (rc != 0)
		fprintf(stderr, "keys: %s: %s\n", path, cb_strerror(rc));
	return rc;
}

static int
parse_args(struct keys_cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "data", required_argument, NULL, 'D' },
		{ "dir", required_argument, NULL, 'd' },
		{ "tpm", required_argument, NULL, 't' },
		{ "pcrs", required_argument, NULL, 'p' },
		{ "escrow-key", required_argument, NULL, 'e' },
		{ "key", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 } };
	const char *data = CB_DEFAULT_DATA, *dir = NULL;
	int ch;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'D': data = optarg; break;
		case 'd': dir = optarg; break;
		case 't': c->kc_o.ko_tpm = optarg; break;
		case 'p': c->kc_o.ko_pcrs = optarg; break;
		case 'e': c->kc_escrow_path = optarg; break;
		default: return CB_EINVAL;
		}
	}
	if (dir != NULL ? cb_strlcpy(c->kc_dir, dir, sizeof(c->kc_dir)) :
	    cb_path_join(c->kc_dir, sizeof(c->kc_dir), data, CB_KEYS_SUBDIR))
		return CB_ETOOBIG;
	c->kc_o.ko_dir = c->kc_dir;
	c->kc_o.ko_err = c->kc_err;
	c->kc_o.ko_err_size = sizeof(c->kc_err);
	if (c->kc_escrow_path != NULL &&
	    slurp(c->kc_escrow_path, &c->kc_pem, &c->kc_pem_len) != 0)
		return CB_EIO;
	c->kc_o.ko_escrow_pem = c->kc_pem;
	c->kc_o.ko_escrow_len = c->kc_pem_len + 1;	/* with its NUL */
	return CB_OK;
}

static int
failed(const struct keys_cli *c, const char *what, int rc)
{
	fprintf(stderr, "keys: %s: %s\n", what,
	    c->kc_err[0] ? c->kc_err : cb_strerror(rc));
	return 1;
}

static void
print_protection(const struct keys *k)
{
	enum keys_protection p = keys_protected_by(k);
	char id[KEYS_KEY_ID_LEN + 1];

	keys_key_id(k, id);
	printf("protection: %s\n", keys_protection_name(p));
	if (p != KEYS_TPM)
		printf("hardware-protected: no (the root key is a file on "
		    "this disk)\n");
	printf("key id: %s\n", id);
}

static int
kc_init(struct keys_cli *c)
{
	char rec[RECOVERY_TEXT_LEN + 1];
	struct keys *k = NULL;
	int rc;

	if ((rc = keys_init(&k, &c->kc_o, rec)) != 0)
		return failed(c, "init", rc);
	printf("keys made in %s\n", c->kc_dir);
	print_protection(k);
	printf("recovery key: %s\n", rec);
	printf("(shown only now: print it or write it down, and keep it "
	    "away from the box)\n");
	if (c->kc_pem != NULL)
		printf("escrow: on (the recovery key is also wrapped to "
		    "%s)\n", c->kc_escrow_path);
	cb_wipe(rec, sizeof(rec));
	keys_close(k);
	return 0;
}

static int
kc_unlock(struct keys_cli *c)
{
	struct keys *k = NULL;
	int rc;

	if ((rc = keys_unlock(&k, &c->kc_o)) != 0)
		return failed(c, "unlock", rc);
	printf("unlocked\n");
	print_protection(k);
	keys_close(k);
	return 0;
}

/* The recovery key from stdin: one line, at most RECOVERY_INPUT_MAX. */
static int
read_recovery(char *buf, size_t size, size_t *len)
{
	if (fgets(buf, (int)size, stdin) == NULL) {
		fprintf(stderr, "keys: type the recovery key on standard "
		    "input\n");
		return CB_EINVAL;
	}
	*len = strcspn(buf, "\n");
	if (buf[*len] != '\n' && !feof(stdin)) {
		fprintf(stderr, "keys: that is not a recovery key (too "
		    "long)\n");
		return CB_ETOOBIG;
	}
	return CB_OK;
}

static int
kc_recover(struct keys_cli *c)
{
	char line[RECOVERY_INPUT_MAX + 2];
	struct keys *k = NULL;
	size_t n = 0;
	int rc;

	if (isatty(STDIN_FILENO))
		fprintf(stderr, "recovery key: ");
	if ((rc = read_recovery(line, sizeof(line), &n)) != 0)
		return 1;
	rc = keys_unlock_recovery(&k, &c->kc_o, line, n);
	cb_wipe(line, sizeof(line));
	if (rc != 0)
		return failed(c, "recover", rc);
	if ((rc = keys_reseal(k, &c->kc_o)) != 0) {
		keys_close(k);
		return failed(c, "recovered, but not sealed", rc);
	}
	printf("recovered and sealed to this machine\n");
	print_protection(k);
	keys_close(k);
	return 0;
}

static int
kc_rotate(struct keys_cli *c)
{
	char rec[RECOVERY_TEXT_LEN + 1];
	struct keys *k = NULL;
	int rc;

	if ((rc = keys_unlock(&k, &c->kc_o)) != 0)
		return failed(c, "unlock", rc);
	rc = keys_rotate_recovery(k, &c->kc_o, rec);
	keys_close(k);
	if (rc != 0)
		return failed(c, "rotate-recovery", rc);
	printf("new recovery key: %s\n", rec);
	printf("(the old one no longer opens anything; shown only now)\n");
	printf("escrow: %s\n", c->kc_pem != NULL ? "on" : "off");
	cb_wipe(rec, sizeof(rec));
	return 0;
}

static void
hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static int
kc_status(struct keys_cli *c)
{
	struct keys_status st;
	char pcrs[80];

	(void)keys_status(c->kc_dir, &st);
	printf("keys: %s\n", c->kc_dir);
	printf("protection: %s\n", keys_protection_name(st.kst_protection));
	printf("hardware-protected: %s\n",
	    st.kst_protection == KEYS_TPM ? "yes" : "no");
	if (st.kst_protection == KEYS_TPM) {
		tpm_pcr_mask_format(st.kst_pcrs, pcrs, sizeof(pcrs));
		printf("sealed to PCRs: %s\n", pcrs[0] ? pcrs : "none");
	}
	printf("recovery key: %s\n", st.kst_recovery ? "set" : "none");
	printf("escrow: %s", st.kst_escrow ? "on, key " : "off");
	if (st.kst_escrow)
		hex(st.kst_escrow_key, 8);
	printf("\nkeks:");
	for (int p = 0; p < KEYS_NPURPOSES; p++)
		if (st.kst_kek[p])
			printf(" %s", keys_purpose_name((enum keys_purpose)p));
	printf("\n");
	return st.kst_protection == KEYS_NONE ? 1 : 0;
}

static int
kc_pcrs(struct keys_cli *c)
{
	const char *path = c->kc_o.ko_tpm ? c->kc_o.ko_tpm : TPM_DEFAULT_PATH;
	struct tpm_pcrs p;
	struct tpm *t = NULL;
	uint32_t mask = (1u << TPM_PCR_COUNT) - 1;
	int rc;

	if (c->kc_o.ko_pcrs != NULL &&
	    tpm_pcr_mask_parse(c->kc_o.ko_pcrs, &mask) != 0) {
		fprintf(stderr, "keys: --pcrs: numbers 0 to 23, commas\n");
		return 2;
	}
	if ((rc = tpm_open(&t, path)) != 0) {
		fprintf(stderr, "keys: no TPM at %s: %s\n", path,
		    cb_strerror(rc));
		return 1;
	}
	if ((rc = tpm_pcr_read(t, mask, &p)) != 0) {
		fprintf(stderr, "keys: %s\n", tpm_error(t));
		tpm_close(t);
		return 1;
	}
	for (unsigned i = 0; i < TPM_PCR_COUNT; i++) {
		if (!(mask & (1u << i)))
			continue;
		printf("pcr %u: ", i);
		hex(p.tp_value[i], TPM_DIGEST_LEN);
		printf("\n");
	}
	tpm_close(t);
	return 0;
}

static int
kc_escrow_open(struct keys_cli *c, const char *file)
{
	uint8_t key[RECOVERY_KEY_LEN];
	char text[RECOVERY_TEXT_LEN + 1], *blob = NULL;
	size_t n = 0;
	int rc;

	if (c->kc_pem == NULL || file == NULL) {
		usage();
		return 2;
	}
	if (slurp(file, &blob, &n) != 0)
		return 1;
	rc = escrow_open(c->kc_pem, c->kc_pem_len + 1, (uint8_t *)blob, n,
	    key);
	free(blob);
	if (rc != 0) {
		fprintf(stderr, "keys: %s: %s\n", file, rc == CB_EINVAL ?
		    "not an escrow blob for this key" :
		    "does not open (altered)");
		return 1;
	}
	recovery_format(key, text);
	printf("recovery key: %s\n", text);
	cb_wipe(key, sizeof(key));
	cb_wipe(text, sizeof(text));
	return 0;
}

int
cmd_keys(int argc, char **argv)
{
	struct keys_cli c;
	const char *cmd;
	int rc = 2;

	memset(&c, 0, sizeof(c));
	cb_log_init("keys");
	if (argc < 2 || argv[1][0] == '-') {
		usage();
		return 2;
	}
	cmd = argv[1];
	if (parse_args(&c, argc - 1, argv + 1) != 0) {
		usage();
		goto out;
	}
	if (strcmp(cmd, "status") == 0)
		rc = kc_status(&c);
	else if (strcmp(cmd, "init") == 0)
		rc = kc_init(&c);
	else if (strcmp(cmd, "unlock") == 0)
		rc = kc_unlock(&c);
	else if (strcmp(cmd, "recover") == 0)
		rc = kc_recover(&c);
	else if (strcmp(cmd, "rotate-recovery") == 0)
		rc = kc_rotate(&c);
	else if (strcmp(cmd, "pcrs") == 0)
		rc = kc_pcrs(&c);
	else if (strcmp(cmd, "escrow-open") == 0)
		rc = kc_escrow_open(&c, optind + 1 < argc ? argv[optind + 1] :
		    NULL);
	else
		usage();
out:
	free(c.kc_pem);
	return rc;
}
