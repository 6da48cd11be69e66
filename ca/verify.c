/*
 * store verify, the X.509 half: the hooks that store_verify() calls. Every
 * CA certificate version must parse and carry a valid self-signature; the
 * CA key must be a PKCS#8 structure of the kind the settings say (encrypted:
 * it is parsed, never decrypted, so no passphrase is needed); every record's
 * certificate must parse, carry the record's serial, validity and names, and
 * its signature must verify against a CA certificate of the history whose
 * subject key identifier is the certificate's authority key identifier (any
 * version: a CA extended with the same key still vouches for old leaves).
 */
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ca.h"
#include "common/common.h"

struct verify_ctx {
	void (*problem)(void *ctx, const char *line);
	void *ctx;
	STACK_OF(X509) *cas;  /* every CA version that parsed, oldest first */
	int oom;
};

static void problem(struct verify_ctx *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void problem(struct verify_ctx *v, const char *fmt, ...)
{
	char line[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	v->problem(v->ctx, line);
}

static void forward(void *ctx, const char *line)
{
	struct verify_ctx *v = ctx;

	v->problem(v->ctx, line);
}

static void check_ca_cert(void *ctx, uint32_t version, const unsigned char *der, size_t len)
{
	struct verify_ctx *v = ctx;
	X509 *cert = NULL;

	if (x509_from_der(der, len, &cert) != 0) {
		problem(v, "CA version %u: the certificate does not parse", version);
		goto out;
	}
	if (X509_verify(cert, X509_get0_pubkey(cert)) != 1)
		problem(v, "CA version %u: its self-signature does not verify", version);
	if (!X509_get0_subject_key_id(cert))
		problem(v, "CA version %u: no subject key identifier", version);
	if (!sk_X509_push(v->cas, cert)) {
		v->oom = 1;
		goto out;
	}
	cert = NULL;
out:
	ERR_clear_error();
	X509_free(cert);
}

static void check_ca_key(void *ctx, const unsigned char *blob, size_t len,
			 const char *protection)
{
	struct verify_ctx *v = ctx;
	const unsigned char *p = blob;
	X509 *newest = sk_X509_num(v->cas) > 0 ? sk_X509_value(v->cas, sk_X509_num(v->cas) - 1)
					       : NULL;
	EVP_PKEY *key = NULL;
	X509_SIG *sig = NULL;
	const X509_ALGOR *alg = NULL;

	if (!strcmp(protection, "pkcs11")) {
		char *uri = strndup((const char *)blob, len), *why = NULL;

		/* the token, not the store, holds the key: it must be there and match */
		if (!uri)
			v->oom = 1;
		else if (newest && ca_token_probe(uri, newest, 0, &why) != 0)
			problem(v, "token: %s", why ? why : "cannot check the token");
		free(why);
		free(uri);
		goto out;
	}
	if (!strcmp(protection, "none")) {
		/* stored in clear anyway: check that it is the CA's key */
		if (pkcs8_plain_parse(blob, len, &key) != 0)
			problem(v, "meta: the CA key (unencrypted) does not parse");
		else if (newest && X509_check_private_key(newest, key) != 1)
			problem(v, "meta: the CA key does not match the newest CA certificate");
		goto out;
	}
	if (len <= INT32_MAX)
		sig = d2i_X509_SIG(NULL, &p, (long)len);
	if (!sig || p != blob + len) {
		problem(v, "meta: the encrypted CA key is not a PKCS#8 EncryptedPrivateKeyInfo");
		goto out;
	}
	X509_SIG_get0(sig, &alg, NULL);
	if (OBJ_obj2nid(alg->algorithm) != NID_pbes2)
		problem(v, "meta: the encrypted CA key does not use PBES2");
out:
	ERR_clear_error();
	X509_SIG_free(sig);
	EVP_PKEY_free(key);
}

/* Every name of the record is in the certificate's subjectAltName. */
static void check_names(struct verify_ctx *v, const struct store_record *rec, X509 *cert,
			const char *hex)
{
	GENERAL_NAMES *san = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	size_t i;
	int j, found;

	for (i = 0; i < rec->n_hosts; i++) {
		ASN1_OCTET_STRING *ip = a2i_IPADDRESS(rec->hosts[i]);
		size_t hlen = strlen(rec->hosts[i]);

		ERR_clear_error();
		for (j = 0, found = 0; !found && j < sk_GENERAL_NAME_num(san); j++) {
			const GENERAL_NAME *gn = sk_GENERAL_NAME_value(san, j);

			if (ip && gn->type == GEN_IPADD)
				found = !ASN1_OCTET_STRING_cmp(ip, gn->d.iPAddress);
			else if (!ip && gn->type == GEN_DNS)
				found = ASN1_STRING_length(gn->d.dNSName) == (int)hlen &&
					!strncasecmp((const char *)ASN1_STRING_get0_data(gn->d.dNSName),
						     rec->hosts[i], hlen);
		}
		ASN1_OCTET_STRING_free(ip);
		if (!found)
			problem(v, "record %s: host '%s' is not in the certificate's subjectAltName",
				hex, printable(rec->hosts[i]));
	}
	GENERAL_NAMES_free(san);
}

/* 1 when a CA version whose key identifier the leaf names verifies its signature. */
static int signed_by_history(struct verify_ctx *v, X509 *cert, int *aki_matched)
{
	const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(cert);
	int i;

	*aki_matched = 0;
	for (i = 0; i < sk_X509_num(v->cas); i++) {
		X509 *ca = sk_X509_value(v->cas, i);
		const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(ca);

		if (aki && (!ski || ASN1_OCTET_STRING_cmp(aki, ski)))
			continue;
		*aki_matched = 1;
		if (X509_verify(cert, X509_get0_pubkey(ca)) == 1)
			return 1;
		ERR_clear_error();
	}
	return 0;
}

static void check_record(void *ctx, const struct store_record *rec)
{
	struct verify_ctx *v = ctx;
	X509 *cert = NULL;
	unsigned char serial[STORE_SERIAL_LEN];
	char hex[2 * STORE_SERIAL_LEN + 1];
	int64_t nb = 0, na = 0;
	int aki_matched;

	serial_hex(rec->serial, hex);
	if (x509_from_der(rec->cert, rec->cert_len, &cert) != 0) {
		problem(v, "record %s: the certificate does not parse", hex);
		goto out;
	}
	if (serial_get(cert, serial) != 0 || memcmp(serial, rec->serial, STORE_SERIAL_LEN))
		problem(v, "record %s: the certificate has another serial number", hex);
	if (x509_times(cert, &nb, &na) != 0 || nb != rec->not_before || na != rec->not_after)
		problem(v, "record %s: the certificate's validity differs from the record's", hex);
	check_names(v, rec, cert, hex);
	if (!signed_by_history(v, cert, &aki_matched))
		problem(v, "record %s: %s", hex,
			aki_matched ? "the signature does not verify against the CA certificates "
				      "of the store"
				    : "its authority key identifier matches no CA certificate of "
				      "the store");
out:
	ERR_clear_error();
	X509_free(cert);
}

int ca_verify_store(store *st, void (*problem_fn)(void *ctx, const char *line), void *ctx,
		    struct store_verify_counts *counts)
{
	struct verify_ctx v = {problem_fn, ctx, sk_X509_new_null(), 0};
	struct store_verify_hooks hooks = {forward, check_ca_cert, check_ca_key, check_record, &v};
	int rc;

	if (!v.cas)
		return fail(EX_OSERR, "out of memory");
	rc = store_verify(st, &hooks, counts);
	if (rc == 0 && v.oom)
		rc = fail(EX_OSERR, "out of memory");
	sk_X509_pop_free(v.cas, X509_free);
	return rc;
}
