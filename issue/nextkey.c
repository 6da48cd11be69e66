/*
 * The next key of a host, made before its renewal ('renew --stage') so that
 * a record pinning it (DANE's 3 1 1) can be published first; the next
 * 'renew' of that host takes it. Two meta values per host, opaque to the
 * store: "next-key/HOST", the key sealed as kept leaf keys are
 * (ca_wrap_leaf_key), and "next-key.spki/HOST", its public key (DER
 * SubjectPublicKeyInfo), so that 'dane' and 'check --dane' can print and
 * check its record without the passphrase.
 */
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "issue/issue.h"

static int meta_name(const char *prefix, const char *host, char *out, size_t size)
{
	int n = snprintf(out, size, "%s/%s", prefix, host);

	if (n < 0 || (size_t)n >= size)
		return fail(EX_DATAERR, "host name '%s' is too long", printable(host));
	return 0;
}

int next_key_spki(store *st, const char *host, unsigned char **spki, size_t *len)
{
	char name[HOST_MAX + 32];
	int rc;

	*spki = NULL;
	*len = 0;
	if ((rc = meta_name("next-key.spki", host, name, sizeof(name))))
		return rc;
	return store_meta_get(st, name, (void **)spki, len);
}

struct stage_ctx {
	const char *host;
	const unsigned char *sealed, *spki;
	size_t sealed_len, spki_len;
	const char *detail;
};

static int stage_fn(store_txn *txn, void *vctx)
{
	struct stage_ctx *c = vctx;
	struct store_audit a = {0};
	char key_name[HOST_MAX + 32], spki_name[HOST_MAX + 32];
	int rc;

	if ((rc = meta_name("next-key", c->host, key_name, sizeof(key_name))) ||
	    (rc = meta_name("next-key.spki", c->host, spki_name, sizeof(spki_name))))
		return rc;
	if (c->sealed) {
		if ((rc = store_txn_meta_put(txn, key_name, c->sealed, c->sealed_len)) ||
		    (rc = store_txn_meta_put(txn, spki_name, c->spki, c->spki_len)))
			return rc;
	} else if ((rc = store_txn_meta_del(txn, key_name)) ||
		   (rc = store_txn_meta_del(txn, spki_name))) {
		return rc;
	}
	if (!c->detail)
		return 0;
	a.action = (char *)"stage";
	a.detail = (char *)c->detail;
	return store_txn_audit(txn, &a);
}

int next_key_stage(store *st, const struct ca *ca, const char *host, EVP_PKEY *key)
{
	struct stage_ctx c = {host, NULL, NULL, 0, 0, NULL};
	unsigned char *sealed = NULL, *spki = NULL;
	size_t sealed_len = 0;
	char detail[HOST_MAX + 64];
	int spki_len, rc;

	if ((rc = ca_wrap_leaf_key(ca, key, &sealed, &sealed_len)))
		goto out;
	if ((spki_len = i2d_PUBKEY(key, &spki)) <= 0) {
		rc = fail_ssl(EX_SOFTWARE, "cannot encode the staged key of %s", host);
		goto out;
	}
	snprintf(detail, sizeof(detail), "next key of %s", host);
	c.sealed = sealed;
	c.sealed_len = sealed_len;
	c.spki = spki;
	c.spki_len = (size_t)spki_len;
	c.detail = detail;
	rc = store_write(st, stage_fn, &c);
out:
	secret_free(sealed, sealed_len);
	OPENSSL_free(spki);
	return rc;
}

int next_key_load(store *st, const struct ca *ca, const char *host, EVP_PKEY **out)
{
	char name[HOST_MAX + 32];
	unsigned char *sealed = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if ((rc = meta_name("next-key", host, name, sizeof(name))) ||
	    (rc = store_meta_get(st, name, (void **)&sealed, &len)) || !sealed)
		goto out;
	rc = ca_unwrap_leaf_key(ca, sealed, len, out);
out:
	secret_free(sealed, len);
	return rc;
}

int next_key_drop(store_txn *txn, void *host)
{
	struct stage_ctx c = {host, NULL, NULL, 0, 0, NULL};

	return stage_fn(txn, &c);
}
