/*
 * X.509 helpers shared by the CA and the issuing code: DER/PEM conversion,
 * thumbprints, serials, validity and the key-identifier extensions.
 */
#include <ctype.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ca.h"
#include "common/common.h"

int x509_from_der(const void *der, size_t len, X509 **out)
{
	const unsigned char *p = der;

	*out = NULL;
	if (len > INT32_MAX)
		return -1;
	*out = d2i_X509(NULL, &p, (long)len);
	if (*out && p != (const unsigned char *)der + len) {
		X509_free(*out);
		*out = NULL;
	}
	return *out ? 0 : -1;
}

/* *der is malloc'ed, like every blob in a store record. */
int x509_to_der(X509 *cert, unsigned char **der, size_t *len)
{
	unsigned char *tmp = NULL;
	int n = i2d_X509(cert, &tmp);

	*der = NULL;
	if (n <= 0)
		return fail_ssl(EX_SOFTWARE, "cannot encode certificate");
	*der = malloc((size_t)n);
	if (*der) {
		memcpy(*der, tmp, (size_t)n);
		*len = (size_t)n;
	}
	OPENSSL_free(tmp);
	return *der ? 0 : fail(EX_OSERR, "out of memory");
}

int x509_to_pem(X509 *cert, char **pem, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long n;
	int rc = EX_SOFTWARE;

	*pem = NULL;
	if (bio && PEM_write_bio_X509(bio, cert) && (n = BIO_get_mem_data(bio, &data)) > 0 &&
	    (*pem = malloc((size_t)n + 1))) {
		memcpy(*pem, data, (size_t)n);
		(*pem)[n] = '\0';
		*len = (size_t)n;
		rc = 0;
	}
	BIO_free(bio);
	return rc ? fail_ssl(rc, "cannot encode certificate as PEM") : 0;
}

void x509_thumbprint(X509 *cert, char out[THUMBPRINT_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!X509_digest(cert, EVP_sha1(), md, &n) || n != 20) {
		out[0] = '\0';
		return;
	}
	hex_upper(md, n, out);
}

void x509_sha256(X509 *cert, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!X509_digest(cert, EVP_sha256(), md, &n) || n != 32) {
		out[0] = '\0';
		return;
	}
	hex_upper(md, n, out);
}

/*
 * 128 random bits whose first byte is not zero: zero is not a valid serial
 * (RFC 5280 4.1.2.2), and a leading zero byte would make OpenSSL, certutil
 * and Exchange print 30 hex digits where minica prints 32, so an admin who
 * greps for one could not find the other.
 */
int serial_random(unsigned char out[STORE_SERIAL_LEN])
{
	do {
		if (RAND_bytes(out, STORE_SERIAL_LEN) != 1)
			return fail_ssl(EX_SOFTWARE, "no random numbers for a serial");
	} while (out[0] == 0);
	return 0;
}

int serial_set(X509 *cert, const unsigned char serial[STORE_SERIAL_LEN])
{
	BIGNUM *bn = BN_bin2bn(serial, STORE_SERIAL_LEN, NULL);
	ASN1_INTEGER *ai = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	int rc = ai && X509_set_serialNumber(cert, ai) ? 0 : -1;

	ASN1_INTEGER_free(ai);
	BN_free(bn);
	return rc ? fail_ssl(EX_SOFTWARE, "cannot set the serial number") : 0;
}

int serial_get(X509 *cert, unsigned char out[STORE_SERIAL_LEN])
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	int rc = -1;

	if (bn && !BN_is_negative(bn) && BN_bn2binpad(bn, out, STORE_SERIAL_LEN) == STORE_SERIAL_LEN)
		rc = 0;
	BN_free(bn);
	return rc;
}

/*
 * Serials as users paste them: "4F:3A:...", "4f3a...", "0x4F3A", with or
 * without the leading zeros that `openssl x509 -serial` drops.
 */
int serial_parse(const char *text, unsigned char out[STORE_SERIAL_LEN])
{
	char digits[2 * STORE_SERIAL_LEN + 1];
	size_t n = 0, i;
	const char *p = text;

	if (!strncasecmp(p, "0x", 2))
		p += 2;
	if (!strncasecmp(p, "serial=", 7))
		p += 7;
	for (; *p; p++) {
		if (*p == ':' || *p == ' ' || *p == '-')
			continue;
		if (!isxdigit((unsigned char)*p) || n == sizeof(digits) - 1)
			return -1;
		digits[n++] = (char)toupper((unsigned char)*p);
	}
	if (n == 0)
		return -1;
	memset(out, 0, STORE_SERIAL_LEN);
	for (i = 0; i < n; i++) {
		char c = digits[n - 1 - i];
		int v = c <= '9' ? c - '0' : c - 'A' + 10;

		out[STORE_SERIAL_LEN - 1 - i / 2] |= (unsigned char)(i % 2 ? v << 4 : v);
	}
	return 0;
}

void serial_hex(const unsigned char serial[STORE_SERIAL_LEN], char out[2 * STORE_SERIAL_LEN + 1])
{
	hex_upper(serial, STORE_SERIAL_LEN, out);
}

int x509_times(X509 *cert, int64_t *not_before, int64_t *not_after)
{
	if (asn1_time_epoch(X509_get0_notBefore(cert), not_before) != 0 ||
	    asn1_time_epoch(X509_get0_notAfter(cert), not_after) != 0)
		return -1;
	return 0;
}

/* ASN1_TIME_adj picks UTCTime up to 2049 and GeneralizedTime after, as RFC 5280 asks. */
int x509_set_times(X509 *cert, int64_t not_before, int64_t not_after)
{
	ASN1_TIME *nb = ASN1_TIME_adj(NULL, (time_t)not_before, 0, 0);
	ASN1_TIME *na = ASN1_TIME_adj(NULL, (time_t)not_after, 0, 0);
	int ok = nb && na && X509_set1_notBefore(cert, nb) && X509_set1_notAfter(cert, na);

	ASN1_TIME_free(nb);
	ASN1_TIME_free(na);
	return ok ? 0 : fail_ssl(EX_SOFTWARE, "cannot set the validity period");
}

int x509_add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	int ok = ext && X509_add_ext(cert, ext, -1);

	X509_EXTENSION_free(ext);
	return ok ? 0 : fail_ssl(EX_SOFTWARE, "cannot add extension %s = %s", OBJ_nid2sn(nid), value);
}

/*
 * SKI from the certificate's own key, AKI with the issuer's key identifier
 * only: no issuer name and serial, so that a CA certificate re-signed with
 * the same key (ca extend) still matches every leaf issued before.
 */
int x509_add_key_ids(X509 *cert, X509 *issuer)
{
	X509V3_CTX ctx;
	int rc;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	if ((rc = x509_add_ext(cert, &ctx, NID_subject_key_identifier, "hash")))
		return rc;
	if (issuer == cert)
		X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	return x509_add_ext(cert, &ctx, NID_authority_key_identifier, "keyid:always");
}

char *x509_name_text(const X509_NAME *name)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *out = NULL;
	long n;

	if (bio && X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
	    (n = BIO_get_mem_data(bio, &data)) >= 0 && (out = malloc((size_t)n + 1))) {
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
	}
	BIO_free(bio);
	return out;
}

/* Calendar years: 2026-11-25 + 20 years = 2046-11-25 (Feb 29 rolls to Mar 1). */
int64_t add_years(int64_t t, int years)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!OPENSSL_gmtime(&tt, &tm))
		return t + (int64_t)years * 31556952;
	tm.tm_year += years;
	return (int64_t)timegm(&tm);
}
