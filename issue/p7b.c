/*
 * The .p7b that Exchange's Import-ExchangeCertificate takes to complete a
 * request it made itself: PKCS#7 with the certificate and the CA.
 */
#include <openssl/pkcs7.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "issue.h"

/*
 * A certificates-only ("degenerate") SignedData: the leaf and the CA, no
 * signers, no content. *der is malloc'ed like the other encodings.
 */
int p7b_build(X509 *leaf, X509 *ca, unsigned char **der, size_t *len)
{
	PKCS7 *p7 = PKCS7_new(), *content = PKCS7_new();
	unsigned char *buf = NULL;
	int n, rc = EX_SOFTWARE;

	if (!p7 || !content || !PKCS7_set_type(p7, NID_pkcs7_signed) ||
	    !PKCS7_set0_type_other(content, NID_pkcs7_data, NULL) ||
	    !PKCS7_set_content(p7, content))
		goto out;
	content = NULL; /* owned by p7 now */
	if (!PKCS7_add_certificate(p7, leaf) || !PKCS7_add_certificate(p7, ca))
		goto out;
	n = i2d_PKCS7(p7, &buf);
	if (n <= 0)
		goto out;
	rc = EX_OSERR;
	if (!(*der = malloc((size_t)n)))
		goto out;
	memcpy(*der, buf, (size_t)n);
	*len = (size_t)n;
	rc = 0;
out:
	OPENSSL_free(buf);
	PKCS7_free(content);
	PKCS7_free(p7);
	return rc ? fail_ssl(rc, "cannot build the PKCS#7 file") : 0;
}
