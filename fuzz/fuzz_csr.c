/*
 * Fuzz target: certificate request intake (issue/csr.c), the path every
 * 'minica sign' input takes: decode (PEM, NEW CERTIFICATE REQUEST, base64,
 * DER, UTF-16), then the key policy and signature check, the names, the
 * host-name rules those names go through, and the list of what is ignored.
 */
#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>

#include "issue/issue.h"
#include "common/common.h"

static void ignore(const char *item, void *ctx)
{
	(void)item;
	(void)ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	X509_REQ *req = NULL;
	struct csr_names names = {{0}, 0};
	size_t i;

	if (csr_decode(data, size, &req) == 0) {
		(void)csr_check("fuzz", req, 2048);
		if (csr_names_get("fuzz", req, &names) == 0) {
			for (i = 0; i < names.n; i++) {
				char *name = NULL;
				int is_ip;

				if (host_check(names.names[i], 0, &name, &is_ip) == 0)
					free(name);
			}
			csr_names_free(&names);
		}
		csr_ignored(req, ignore, NULL);
	}
	X509_REQ_free(req);
	ERR_clear_error();
	return 0;
}
