/*
 * TLSA record data for selector 1 (SubjectPublicKeyInfo) and matching type 1
 * (SHA-256): the digest of the DER SubjectPublicKeyInfo as OpenSSL encodes
 * it (i2d_X509_PUBKEY, i2d_PUBKEY), never ASN.1 put together by hand.
 * Selector 1 rather than 0 (the whole certificate): a renewal with a staged
 * key, or 'ca extend', keeps the record valid.
 */
#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "dane/dane.h"

int tlsa_of_spki(const unsigned char *spki, size_t len, int usage, struct tlsa *out)
{
	unsigned int dlen = 0;

	memset(out, 0, sizeof(*out));
	out->usage = usage;
	if (!EVP_Digest(spki, len, out->digest, &dlen, EVP_sha256(), NULL) ||
	    dlen != sizeof(out->digest))
		return fail_ssl(EX_SOFTWARE, "cannot hash a public key (SHA-256)");
	hex_upper(out->digest, sizeof(out->digest), out->hex);
	return 0;
}

int tlsa_of_cert(X509 *cert, int usage, struct tlsa *out)
{
	unsigned char *der = NULL;
	int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der), rc;

	if (len <= 0)
		return fail_ssl(EX_SOFTWARE, "cannot encode a certificate's public key");
	rc = tlsa_of_spki(der, (size_t)len, usage, out);
	OPENSSL_free(der);
	return rc;
}

int tlsa_of_key(EVP_PKEY *key, int usage, struct tlsa *out)
{
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(key, &der), rc;

	if (len <= 0)
		return fail_ssl(EX_SOFTWARE, "cannot encode a public key");
	rc = tlsa_of_spki(der, (size_t)len, usage, out);
	OPENSSL_free(der);
	return rc;
}

int tlsa_owner(const char *name, long port, char *out, size_t size)
{
	int n = snprintf(out, size, "_%ld._tcp.%s.", port, name);

	if (n < 0 || (size_t)n >= size)
		return fail(EX_DATAERR, "name '%s': too long for a TLSA owner name", printable(name));
	return 0;
}

const char *dane_qualified_name(const struct store_record *rec)
{
	unsigned char ip[16];
	size_t i;

	for (i = 0; i < rec->n_hosts; i++)
		if (strchr(rec->hosts[i], '.') && rec->hosts[i][0] != '*' &&
		    inet_pton(AF_INET, rec->hosts[i], ip) != 1 &&
		    inet_pton(AF_INET6, rec->hosts[i], ip) != 1)
			return rec->hosts[i];
	return NULL;
}
