/*
 * A new CA: its self-signed certificate (basicConstraints critical CA:TRUE
 * pathlen:0, keyUsage critical keyCertSign+cRLSign, SKI, key-identifier
 * AKI, nameConstraints when asked: DNS suffixes and IP ranges, every IP
 * address excluded when no range is given), and a new store holding it with the
 * key encrypted at rest. No output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "common/common.h"

int ca_build_cert(const struct ca_new *spec, EVP_PKEY *key, X509 **out)
{
	X509 *cert = X509_new();
	X509_NAME *name = X509_get_subject_name(cert);
	X509V3_CTX ctx;
	unsigned char serial[STORE_SERIAL_LEN];
	char *nc = NULL;
	int64_t now = now_utc();
	int rc;

	*out = NULL;
	if (!cert)
		return fail(EX_OSERR, "out of memory");
	if (!X509_set_version(cert, X509_VERSION_3) || (rc = serial_random(serial)) ||
	    (rc = serial_set(cert, serial)) ||
	    (spec->org && !X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_UTF8,
						   (const unsigned char *)spec->org, -1, -1, 0)) ||
	    !X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
					(const unsigned char *)spec->name, -1, -1, 0) ||
	    !X509_set_issuer_name(cert, name) || !X509_set_pubkey(cert, key)) {
		rc = fail_ssl(EX_DATAERR, "cannot build the CA certificate");
		goto out;
	}
	if ((rc = x509_set_times(cert, now - 3600,
				 add_years(now, (int)(spec->years ? spec->years : 20)))))
		goto out;
	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	if ((rc = x509_add_ext(cert, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0")) ||
	    (rc = x509_add_ext(cert, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign")))
		goto out;
	if (spec->n_permit || spec->n_permit_ip) {
		if ((rc = nc_config(spec->permit, spec->n_permit, spec->permit_ip, spec->n_permit_ip,
				    &nc)) ||
		    (rc = x509_add_ext(cert, &ctx, NID_name_constraints, nc)))
			goto out;
	}
	if ((rc = x509_add_key_ids(cert, cert)))
		goto out;
	if (!X509_sign(cert, key, key_default_digest(key))) {
		rc = fail_ssl(EX_SOFTWARE, "cannot sign the CA certificate");
		goto out;
	}
	*out = cert;
	cert = NULL;
out:
	free(nc);
	X509_free(cert);
	return rc;
}

struct create_ctx {
	const struct ca_token_meta *token;
	const unsigned char *key_blob;
	size_t key_len;
	int protected_key;
	const char *domain;
	const unsigned char *cert;
	size_t cert_len;
	const char *detail;
};

static int init_fn(store_txn *txn, void *vctx)
{
	struct create_ctx *c = vctx;
	struct store_audit a = {0};
	const char *prot = c->protected_key ? "pbes2-pbkdf2-sha256-600000-aes256" : "none";
	int rc;

	const struct ca_token_meta *m = c->token;

	if (m) {
		prot = "pkcs11";
		if ((rc = store_txn_meta_put(txn, "ca.key.uri", m->uri, strlen(m->uri))) ||
		    (rc = store_txn_meta_put(txn, "ca.key.public", m->pub, m->pub_len)) ||
		    (rc = store_txn_meta_put(txn, "ca.key.seal", m->seal_label,
					     strlen(m->seal_label))) ||
		    (rc = store_txn_meta_put(txn, "ca.key.wrap", m->wrap, m->wrap_len)))
			return rc;
	} else if ((rc = store_txn_meta_put(txn, "ca.key", c->key_blob, c->key_len))) {
		return rc;
	}
	if ((rc = store_txn_meta_put(txn, "ca.key.protection", prot, strlen(prot))) ||
	    (c->domain && (rc = store_txn_meta_put(txn, "domain", c->domain, strlen(c->domain)))) ||
	    (rc = store_txn_ca_add(txn, c->cert, c->cert_len, NULL)))
		return rc;
	a.action = (char *)"init";
	a.detail = (char *)c->detail;
	return store_txn_audit(txn, &a);
}

int ca_create(const char *dir, const struct ca_new *spec, EVP_PKEY *key, X509 *cert,
	      const char *pass, size_t passlen, store **out)
{
	struct create_ctx ctx = {0};
	unsigned char *key_blob = NULL, *cert_der = NULL;
	size_t key_len = 0, cert_len = 0;
	char detail[512];
	int rc;

	*out = NULL;
	/* the KDF runs here, outside any write transaction */
	if (!pass)
		rc = pkcs8_plain(key, &key_blob, &key_len);
	else
		rc = pkcs8_encrypt(key, pass, passlen, CA_KDF_ITERATIONS, &key_blob, &key_len);
	if (rc || (rc = x509_to_der(cert, &cert_der, &cert_len)))
		goto out;
	snprintf(detail, sizeof(detail), "name=%s key=%s domain=%s%s", spec->name, spec->key_name,
		 spec->domain ? spec->domain : "-", pass ? "" : " no-passphrase");
	ctx.key_blob = key_blob;
	ctx.key_len = key_len;
	ctx.protected_key = pass != NULL;
	ctx.domain = spec->domain;
	ctx.cert = cert_der;
	ctx.cert_len = cert_len;
	ctx.detail = detail;
	rc = store_create(dir, init_fn, &ctx, out);
out:
	secret_free(key_blob, key_len);
	free(cert_der);
	return rc;
}

int ca_create_token(const char *dir, const struct ca_new *spec, const struct ca_token_meta *m,
		    X509 *cert, store **out)
{
	struct create_ctx ctx = {0};
	unsigned char *cert_der = NULL;
	size_t cert_len = 0;
	char detail[1024];
	int rc;

	*out = NULL;
	if ((rc = x509_to_der(cert, &cert_der, &cert_len)))
		return rc;
	snprintf(detail, sizeof(detail), "name=%s key=%s domain=%s key-uri=%s", spec->name,
		 spec->key_name, spec->domain ? spec->domain : "-", m->uri);
	ctx.token = m;
	ctx.domain = spec->domain;
	ctx.cert = cert_der;
	ctx.cert_len = cert_len;
	ctx.detail = detail;
	rc = store_create(dir, init_fn, &ctx, out);
	free(cert_der);
	return rc;
}
