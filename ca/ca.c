/*
 * The CA of a store: its newest certificate and settings (ca_load, no secret
 * needed) and its private key (ca_unlock, which asks for the passphrase).
 *
 * Leaf keys that the store keeps are encrypted under a key derived with
 * HKDF-SHA256 from the CA's private key, so they are exactly as safe as the
 * CA key, and re-exporting one costs no second passphrase KDF. A key on a
 * PKCS#11 token cannot be read: there the same secret is kept sealed by the
 * token (tokenkey.c), and ca_unlock gives every caller the same struct ca.
 */
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "common/common.h"

int ca_load(store *st, struct ca *ca)
{
	void *der = NULL, *val = NULL;
	size_t len = 0, vlen = 0;
	int rc;

	memset(ca, 0, sizeof(*ca));
	ca->st = st;
	if ((rc = store_ca_get(st, 0, &der, &len)) || (rc = store_ca_count(st, &ca->n_versions)))
		goto out;
	ca->version = ca->n_versions;
	if (x509_from_der(der, len, &ca->cert) != 0) {
		rc = fail(EX_IOERR, "store %s: the CA certificate is damaged; restore a backup",
			  store_path(st));
		goto out;
	}
	if ((rc = store_meta_get(st, "domain", &val, &vlen)))
		goto out;
	if (val && vlen)
		ca->domain = val;
	else
		free(val);
	val = NULL;
	if ((rc = store_meta_get(st, "ca.key.protection", &val, &vlen)))
		goto out;
	ca->key_protected = !(val && strcmp(val, "none") == 0);
	free(val);
	val = NULL;
	if ((rc = store_meta_get(st, "ca.key.uri", &val, &vlen)))
		goto out;
	ca->key_uri = val;
	val = NULL;
	rc = ca_load_name_constraints(ca);
out:
	free(val);
	free(der);
	return rc;
}

static int derive_wrap_pass(struct ca *ca)
{
	unsigned char out[CA_WRAP_LEN];
	int rc = ca_file_wrap_secret(ca->key, out);

	if (!rc)
		hex_upper(out, sizeof(out), (char *)ca->wrap_pass);
	OPENSSL_cleanse(out, sizeof(out));
	return rc;
}

int ca_unlock(struct ca *ca)
{
	void *blob = NULL;
	size_t len = 0, passlen = 0;
	char *pass = NULL;
	int rc;

	if (ca->key)
		return 0;
	secrets_protect(); /* before the key is decrypted */
	if (ca->key_uri)
		return ca_unlock_token(ca);
	if ((rc = store_meta_get(ca->st, "ca.key", &blob, &len)))
		goto out;
	if (!blob) {
		rc = fail(EX_IOERR, "store %s: the CA key is missing; restore a backup",
			  store_path(ca->st));
		goto out;
	}
	if (ca->key_protected) {
		if ((rc = pass_get_ca(0, &pass, &passlen)))
			goto out;
		rc = pkcs8_decrypt(blob, len, pass, passlen, &ca->key);
		if (rc == EX_NOPERM)
			rc = fail(EX_NOPERM, "wrong CA passphrase for store %s", store_path(ca->st));
		else if (rc)
			rc = fail(rc, "store %s: the encrypted CA key is damaged; restore a backup",
				  store_path(ca->st));
	} else if ((rc = pkcs8_plain_parse(blob, len, &ca->key))) {
		rc = fail(rc, "store %s: the CA key is damaged; restore a backup", store_path(ca->st));
	}
	if (rc)
		goto out;
	if (X509_check_private_key(ca->cert, ca->key) != 1) {
		rc = fail(EX_IOERR, "store %s: the CA key does not match the CA certificate; restore "
				    "a backup",
			  store_path(ca->st));
		goto out;
	}
	rc = derive_wrap_pass(ca);
out:
	if (rc) {
		EVP_PKEY_free(ca->key);
		ca->key = NULL;
	}
	ERR_clear_error();
	pass_free(pass, passlen);
	if (blob)
		OPENSSL_cleanse(blob, len);
	free(blob);
	return rc;
}

void ca_release(struct ca *ca)
{
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key); /* before the token it may belong to */
	token_close(ca->token);
	free(ca->key_uri);
	OPENSSL_cleanse(ca->wrap_pass, sizeof(ca->wrap_pass));
	free(ca->domain);
	ca_name_constraints_free(ca);
	memset(ca, 0, sizeof(*ca));
}

/*
 * The wrapping password is 256 bits of derived key material, so PBKDF2
 * stretching would add nothing: one iteration keeps re-export cheap.
 */
int ca_wrap_leaf_key(const struct ca *ca, EVP_PKEY *key, unsigned char **der, size_t *len)
{
	return pkcs8_encrypt(key, (const char *)ca->wrap_pass, 64, 1, der, len);
}

int ca_unwrap_leaf_key(const struct ca *ca, const unsigned char *der, size_t len,
		       EVP_PKEY **out)
{
	int rc = pkcs8_decrypt(der, len, (const char *)ca->wrap_pass, 64, out);

	if (rc)
		return fail(EX_IOERR, "store %s: a kept leaf key cannot be decrypted (run 'minica "
				      "store verify')",
			    store_path(ca->st));
	return 0;
}

/*
 * A token signs one request at a time on one session: bulk issuance's
 * threads take turns for the signature (their key generation stays parallel).
 */
static pthread_mutex_t token_signing = PTHREAD_MUTEX_INITIALIZER;

int ca_sign(const struct ca *ca, X509 *cert, const EVP_MD *md)
{
	int ok;

	if (ca->token)
		pthread_mutex_lock(&token_signing);
	ok = X509_sign(cert, ca->key, md ? md : key_default_digest(ca->key)) > 0;
	if (ca->token)
		pthread_mutex_unlock(&token_signing);
	if (!ok)
		return fail_ssl(EX_SOFTWARE, "cannot sign the certificate");
	return 0;
}

/*
 * Before a certificate is stored, OpenSSL's own verifier must accept it
 * against the CA: this catches a name-constraint violation or a broken
 * template before anyone else sees the certificate.
 */
int ca_verify_leaf(const struct ca *ca, X509 *leaf, int allow_sha1, const char **why)
{
	X509_STORE *trust = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok = 0;

	*why = "out of memory";
	if (!trust || !ctx || !X509_STORE_add_cert(trust, ca->cert) ||
	    !X509_STORE_CTX_init(ctx, trust, leaf, NULL))
		goto out;
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_X509_STRICT);
	if (allow_sha1)
		X509_VERIFY_PARAM_set_auth_level(X509_STORE_CTX_get0_param(ctx), 0);
	ok = X509_verify_cert(ctx) == 1;
	if (!ok)
		*why = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(trust);
	return ok ? 0 : -1;
}
