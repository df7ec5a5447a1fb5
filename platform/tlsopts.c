/*
 * tlsopts.c - option checks shared by the TLS backends, so that a setting means
 * the same and fails with the same words whichever library is built in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsopts.h"

int tlsopts_versions(int min, int max, int *vmin, int *vmax, char *err, size_t errlen)
{
	int top = tls_max_version();

	if (min == 0)
		min = TLS_V1_2;
	if (max == 0 || max > top)
		max = top; /* asking for 1.3 from a library without it: the best we have */
	if (min < TLS_V1_2) {
		snprintf(err, errlen, "TLS versions below 1.2 are not supported");
		return -1;
	}
	if (min > TLS_V1_3) {
		snprintf(err, errlen, "unknown TLS version 0x%04x", (unsigned)min);
		return -1;
	}
	if (min > top) {
		snprintf(err, errlen, "this %s (%s) has no TLS 1.3", tls_backend_name(),
		         tls_backend_version());
		return -1;
	}
	if (max < min) {
		snprintf(err, errlen, "the highest TLS version allowed is below the lowest");
		return -1;
	}
	*vmin = min;
	*vmax = max;
	return 0;
}

int tlsopts_server_check(const struct tls_server_opts *o, char *err, size_t errlen)
{
	if (o->ncerts == 0 || o->certs == NULL) {
		snprintf(err, errlen, "an HTTPS listener needs a certificate (Cert)");
		return -1;
	}
	if (o->verify == TLS_VERIFY_REQUIRED && o->client_ca == NULL) {
		snprintf(err, errlen, "requiring client certificates needs a CA file (VerifyList)");
		return -1;
	}
	return 0;
}

int tlsopts_client_check(const struct tls_client_opts *o, char *err, size_t errlen)
{
	if (o->verify && o->ca_file == NULL) {
		snprintf(err, errlen, "verifying the server needs a CA file");
		return -1;
	}
	return 0;
}

int tlsopts_sni(const unsigned char *name, size_t *len, char **out)
{
	size_t n = *len;

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > 255 || memchr(name, '\0', n) != NULL) /* RFC 6066 host_name */
		return 0;
	*len = n;
	*out = malloc(n + 1);
	if (*out != NULL) {
		memcpy(*out, name, n);
		(*out)[n] = '\0';
	}
	return 1;
}
