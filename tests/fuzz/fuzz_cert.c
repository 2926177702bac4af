/*
 * fuzz_cert.c: certificates an admin uploads or the enrollment file
 * carries, and the name constraints of the box's CA (net/cert_nc.c):
 * cert_x509_parse on PEM and DER, cert_nc_parse on the extension's value.
 * What cert_nc_parse accepts must encode and parse back to a set that
 * answers cert_nc_permits the same way.
 * A crash, leak or sanitizer report is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/x509_crt.h>

#include "base/cb.h"
#include "net/cert.h"
#include "net/cert_nc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_nc(const uint8_t *data, size_t size)
{
	static const char *const probes[] = { "box.local", "localhost",
	    "example.com", "10.1.2.3", "203.0.113.9", "::1", "fd00::1",
	    "2001:db8::1" };
	struct cert_nc nc, back;
	uint8_t buf[CERT_NC_DER_MAX];
	const uint8_t *der;
	size_t len;

	if (cert_nc_parse(data, size, &nc) != CB_OK)
		return;
	if (nc.nc_ndns == 0 || nc.nc_nip == 0)
		return;		/* valid DER, but not a set we would write */
	if (cert_nc_der(&nc, buf, sizeof(buf), &der, &len) != CB_OK ||
	    cert_nc_parse(der, len, &back) != CB_OK)
		abort();
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		if (cert_nc_permits(&nc, probes[i]) !=
		    cert_nc_permits(&back, probes[i]))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mbedtls_x509_crt crt;
	struct cert_nc nc;
	char *pem;
	int has;

	fuzz_nc(data, size);
	mbedtls_x509_crt_init(&crt);
	(void)cert_x509_parse(&crt, data, size, &nc, &has);
	mbedtls_x509_crt_free(&crt);
	if ((pem = malloc(size + 1)) == NULL)
		return 0;
	memcpy(pem, data, size);
	pem[size] = '\0';
	mbedtls_x509_crt_init(&crt);
	(void)cert_x509_parse(&crt, pem, size + 1, &nc, &has);
	mbedtls_x509_crt_free(&crt);
	struct cert_info ci;
	(void)cert_info_pem(pem, size + 1, &ci);
	free(pem);
	return 0;
}
