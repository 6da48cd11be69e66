/*
 * External account binding keys at rest. The HMAC key that `acme account
 * add` prints is a secret: the store keeps it sealed with AES-256-GCM under
 * a key derived (HKDF-SHA256) from the CA's own key material, with the key
 * id as additional data, so it is exactly as safe as the CA key and only a
 * process that unlocked the CA can use it.
 */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "acme.h"

#define IV_LEN 12
#define TAG_LEN 16
#define SEALED_LEN (IV_LEN + EAB_KEY_LEN + TAG_LEN)

static int seal_key(const struct ca *ca, unsigned char out[32])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[5];
	int rc = -1;

	if (!ca->key)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ca->wrap_pass, 64);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
						      (char *)"minica acme eab", 15);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (char *)"v1", 2);
	params[4] = OSSL_PARAM_construct_end();
	if (kctx && EVP_KDF_derive(kctx, out, 32, params) == 1)
		rc = 0;
out:
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return rc;
}

/* One AES-256-GCM pass; enc 1 seals (writes the tag), 0 opens (checks it). */
static int gcm(int enc, const unsigned char key[32], const unsigned char *iv, const char *aad,
	       const unsigned char *in, unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, rc = -1;

	if (!ctx || EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, iv, enc) != 1 ||
	    EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *)aad, (int)strlen(aad)) != 1 ||
	    EVP_CipherUpdate(ctx, out, &n, in, EAB_KEY_LEN) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(ctx, out + n, &n) != 1)
		goto out;
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) != 1)
		goto out;
	rc = 0;
out:
	ERR_clear_error();
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int eab_seal(const struct ca *ca, const char *kid, const unsigned char key[EAB_KEY_LEN],
	     char **sealed)
{
	unsigned char k[32], buf[SEALED_LEN];
	int rc = EX_SOFTWARE;

	*sealed = NULL;
	if (seal_key(ca, k) != 0 || RAND_bytes(buf, IV_LEN) != 1 ||
	    gcm(1, k, buf, kid, key, buf + IV_LEN, buf + IV_LEN + EAB_KEY_LEN) != 0)
		goto out;
	if (!(*sealed = b64url_encode(buf, sizeof(buf)))) {
		rc = EX_OSERR;
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(k, sizeof(k));
	return rc ? fail(rc, "cannot seal the EAB key") : 0;
}

int eab_open(const struct ca *ca, const char *kid, const char *sealed,
	     unsigned char key[EAB_KEY_LEN])
{
	unsigned char k[32], *buf = NULL;
	size_t len = 0;
	int rc = -1;

	if (b64url_decode(sealed, strlen(sealed), &buf, &len) != 0 || len != SEALED_LEN ||
	    seal_key(ca, k) != 0)
		goto out;
	rc = gcm(0, k, buf, kid, buf + IV_LEN, key, buf + IV_LEN + EAB_KEY_LEN);
out:
	OPENSSL_cleanse(k, sizeof(k));
	free(buf);
	if (rc)
		OPENSSL_cleanse(key, EAB_KEY_LEN);
	return rc;
}
