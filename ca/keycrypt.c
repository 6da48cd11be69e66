/*
 * Private keys at rest: PKCS#8 EncryptedPrivateKeyInfo with PBES2,
 * AES-256-CBC and PBKDF2-HMAC-SHA256 (600,000 iterations for the CA key),
 * so that `openssl pkcs8` can read a store's key in an emergency. Every
 * buffer that held key material is wiped before it is freed.
 */
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <string.h>

#include "ca.h"
#include "common/common.h"

void secret_free(unsigned char *p, size_t len)
{
	if (p)
		OPENSSL_clear_free(p, len);
}

/* i2d output copied into a buffer we own, the OpenSSL one wiped. */
static int take_der(unsigned char *tmp, int n, unsigned char **der, size_t *len)
{
	if (n <= 0 || !tmp)
		return -1;
	*der = OPENSSL_malloc((size_t)n);
	if (!*der) {
		OPENSSL_clear_free(tmp, (size_t)n);
		return -1;
	}
	memcpy(*der, tmp, (size_t)n);
	*len = (size_t)n;
	OPENSSL_clear_free(tmp, (size_t)n);
	return 0;
}

int pkcs8_encrypt(EVP_PKEY *key, const char *pass, size_t passlen, int iterations,
		  unsigned char **der, size_t *len)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	X509_ALGOR *pbe = NULL;
	X509_SIG *sig = NULL;
	unsigned char salt[16], *tmp = NULL;
	int n, rc = EX_SOFTWARE;

	*der = NULL;
	*len = 0;
	if (passlen > INT32_MAX || RAND_bytes(salt, sizeof(salt)) != 1)
		goto out;
	p8 = EVP_PKEY2PKCS8(key);
	if (!p8)
		goto out;
	pbe = PKCS5_pbe2_set_iv_ex(EVP_aes_256_cbc(), iterations, salt, sizeof(salt), NULL,
				   NID_hmacWithSHA256, NULL);
	if (!pbe)
		goto out;
	sig = PKCS8_set0_pbe_ex(pass, (int)passlen, p8, pbe, NULL, NULL);
	if (!sig)
		goto out;
	pbe = NULL; /* owned by sig now */
	n = i2d_X509_SIG(sig, &tmp);
	if (take_der(tmp, n, der, len) == 0)
		rc = 0;
out:
	if (rc)
		rc = fail_ssl(EX_SOFTWARE, "cannot encrypt the private key");
	X509_ALGOR_free(pbe);
	X509_SIG_free(sig);
	PKCS8_PRIV_KEY_INFO_free(p8);
	return rc;
}

int pkcs8_decrypt(const unsigned char *der, size_t len, const char *pass, size_t passlen,
		  EVP_PKEY **out)
{
	const unsigned char *p = der;
	X509_SIG *sig = NULL;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	int rc = 0;

	*out = NULL;
	if (len > INT32_MAX || passlen > INT32_MAX)
		return EX_IOERR;
	sig = d2i_X509_SIG(NULL, &p, (long)len);
	if (!sig || p != der + len) {
		rc = EX_IOERR;
		goto out;
	}
	p8 = PKCS8_decrypt_ex(sig, pass, (int)passlen, NULL, NULL);
	if (!p8) {
		rc = EX_NOPERM; /* a wrong passphrase fails the padding or the decoding */
		goto out;
	}
	*out = EVP_PKCS82PKEY(p8);
	if (!*out)
		rc = EX_NOPERM;
out:
	ERR_clear_error();
	PKCS8_PRIV_KEY_INFO_free(p8);
	X509_SIG_free(sig);
	return rc;
}

int pkcs8_plain(EVP_PKEY *key, unsigned char **der, size_t *len)
{
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(key);
	unsigned char *tmp = NULL;
	int n, rc = EX_SOFTWARE;

	/* i2d sets tmp: call it before passing tmp on (the order in which a
	 * call's arguments are evaluated is unspecified) */
	n = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, &tmp) : -1;
	if (take_der(tmp, n, der, len) == 0)
		rc = 0;
	PKCS8_PRIV_KEY_INFO_free(p8);
	return rc ? fail_ssl(rc, "cannot encode the private key") : 0;
}

int pkcs8_plain_parse(const unsigned char *der, size_t len, EVP_PKEY **out)
{
	const unsigned char *p = der;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;

	*out = NULL;
	if (len <= INT32_MAX)
		p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len);
	if (p8)
		*out = EVP_PKCS82PKEY(p8);
	PKCS8_PRIV_KEY_INFO_free(p8);
	ERR_clear_error();
	return *out ? 0 : EX_IOERR;
}

int pem_private_key(EVP_PKEY *key, unsigned char **pem, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	BUF_MEM *mem = NULL;
	int rc = EX_SOFTWARE;

	*pem = NULL;
	*len = 0;
	if (!bio || !PEM_write_bio_PKCS8PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) ||
	    BIO_get_mem_ptr(bio, &mem) <= 0 || !mem)
		goto out;
	*pem = OPENSSL_malloc(mem->length ? mem->length : 1);
	if (!*pem)
		goto out;
	memcpy(*pem, mem->data, mem->length);
	*len = mem->length;
	rc = 0;
out:
	BIO_free(bio); /* a secure-memory BIO wipes its buffer */
	return rc ? fail_ssl(rc, "cannot encode the private key as PEM") : 0;
}

/*
 * The secret that seals kept leaf keys and EAB keys, for a file-held CA key:
 * HKDF-SHA256 of the key itself (ca_unlock; ca move-key seals it on the token).
 */
int ca_file_wrap_secret(EVP_PKEY *key, unsigned char out[CA_WRAP_LEN])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	unsigned char *ikm = NULL;
	int ikm_len = i2d_PrivateKey(key, &ikm);
	OSSL_PARAM params[5];
	int rc = EX_SOFTWARE;

	if (!kctx || ikm_len <= 0)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ikm, (size_t)ikm_len);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
						      (char *)"minica leaf keys", 16);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (char *)"v1", 2);
	params[4] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, CA_WRAP_LEN, params) != 1)
		goto out;
	rc = 0;
out:
	if (ikm)
		OPENSSL_clear_free(ikm, (size_t)ikm_len);
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return rc ? fail_ssl(rc, "cannot derive the leaf-key protection key") : 0;
}
