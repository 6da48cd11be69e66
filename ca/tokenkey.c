/*
 * A store whose CA key lives on a PKCS#11 token (docs/token.md): the store
 * keeps the key's URI and public key, never the key.
 *
 * Kept leaf keys and ACME EAB keys are sealed under the CA's wrapping secret
 * (struct ca's wrap_pass). With a file key that secret is derived from the
 * key; a token key cannot be read, and its signatures cannot stand in (ECDSA
 * is randomised), so the secret is 32 random bytes kept in the store sealed
 * (AES-256-GCM) under HMAC-SHA256 of a non-extractable secret key on the same
 * token. ca move-key seals the file key's own derived secret, so leaf keys
 * and EAB keys sealed before the move open unchanged after it.
 */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "common/common.h"

#define WRAP_CONTEXT "minica ca.key.wrap v1"
#define IV_LEN 12
#define TAG_LEN 16
#define WRAP_SEALED_LEN (IV_LEN + CA_WRAP_LEN + TAG_LEN)

int ca_token_login(const char *uri, struct ca_token **out)
{
	struct ca_token *t = NULL;
	char *pin = NULL;
	size_t pinlen = 0;
	int rc;

	*out = NULL;
	/* the token is found first: no PIN is asked for a token that is not there */
	if ((rc = token_open(uri, &t)))
		goto out;
	if (token_pin_state(t) == TOKEN_PIN_LOCKED) {
		rc = fail(EX_NOPERM, "token %s: the PIN is locked; unlock it with the token's SO PIN "
				     "or PUK (see docs/token.md)",
			  uri);
		goto out;
	}
	if ((rc = pin_get(uri, &pin, &pinlen)) || (rc = token_login(t, pin, pinlen)))
		goto out;
	*out = t;
	t = NULL;
out:
	pass_free(pin, pinlen);
	token_close(t);
	return rc;
}

/* One AES-256-GCM pass over the wrapping secret; enc 1 seals, 0 opens. */
static int wrap_gcm(int enc, const unsigned char key[32], unsigned char *iv,
		    const unsigned char *in, unsigned char *out, unsigned char *tag)
{
	static const char aad[] = "minica ca.key.wrap";
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, ok = 0;

	if (c && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv, enc) == 1 &&
	    EVP_CipherUpdate(c, NULL, &n, (const unsigned char *)aad, (int)strlen(aad)) == 1 &&
	    EVP_CipherUpdate(c, out, &n, in, CA_WRAP_LEN) == 1 &&
	    (enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1) &&
	    EVP_CipherFinal_ex(c, out + n, &n) == 1 &&
	    (!enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1))
		ok = 1;
	ERR_clear_error();
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

void ca_token_meta_free(struct ca_token_meta *m)
{
	free(m->pub);
	free(m->wrap);
	free((char *)m->seal_label);
	memset(m, 0, sizeof(*m));
}

/*
 * For a token that keeps no secret key (YubiKey PIV): an RSA PKCS#1 v1.5
 * signature is deterministic and only the key's holder can make it, so its
 * SHA-256 over a text minica signs for nothing else serves as the key. ECDSA
 * signatures are randomised and cannot.
 */
static int rsa_prf(EVP_PKEY *key, const char *context, unsigned char out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char sig[1024];
	size_t n = sizeof(sig);
	int ok = md && EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, key) == 1 &&
		 EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 &&
		 EVP_DigestSign(md, sig, &n, (const unsigned char *)context, strlen(context)) == 1 &&
		 SHA256(sig, n, out) != NULL;

	OPENSSL_cleanse(sig, sizeof(sig));
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return ok ? 0 : fail(EX_UNAVAILABLE, "the token's RSA key cannot make the sealing signature");
}

static int seal_prf(struct ca_token *t, EVP_PKEY *key, const char *label, unsigned char out[32])
{
	int rc;

	if (!strcmp(label, CA_SEAL_RSA))
		return rsa_prf(key, WRAP_CONTEXT, out);
	rc = token_seal_prf(t, label, WRAP_CONTEXT, out);
	if (rc == EX_CONFIG)
		rc = fail(EX_UNAVAILABLE, "token %s: it refuses HMAC with the sealing secret '%s'",
			  token_uri(t), label);
	return rc;
}

int ca_token_meta_make(struct ca_token *t, EVP_PKEY *key, EVP_PKEY *pub,
		       const unsigned char *wrap, struct ca_token_meta *m)
{
	unsigned char k[32], *der = NULL;
	char *label = token_seal_label(t);
	int n, rc;

	memset(m, 0, sizeof(*m));
	m->uri = token_uri(t);
	m->seal_label = label;
	if (!label || !(m->wrap = malloc(WRAP_SEALED_LEN))) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	/* a token may keep no secret key, or make one and refuse HMAC with it */
	rc = token_seal_make(t, label);
	if (!rc)
		rc = token_seal_prf(t, label, WRAP_CONTEXT, k);
	if (rc == EX_CONFIG && EVP_PKEY_is_a(key, "RSA")) {
		free(label);
		m->seal_label = label = strdup(CA_SEAL_RSA);
		if (!label) {
			rc = fail(EX_OSERR, "out of memory");
			goto out;
		}
		notice("token %s keeps no usable secret key: kept leaf keys and EAB keys are sealed "
		       "under an RSA signature of the CA key",
		       m->uri);
		rc = rsa_prf(key, WRAP_CONTEXT, k);
	} else if (rc == EX_CONFIG) {
		rc = fail(EX_DATAERR, "token %s: it cannot keep a generic secret (HMAC) key, which "
				      "seals kept leaf keys and ACME EAB keys, and an EC key cannot stand "
				      "in (use an RSA CA key there; see docs/token.md)",
			  m->uri);
	}
	if (rc)
		goto out;
	if (RAND_bytes(m->wrap, IV_LEN) != 1 ||
	    wrap_gcm(1, k, m->wrap, wrap, m->wrap + IV_LEN, m->wrap + IV_LEN + CA_WRAP_LEN)) {
		rc = fail_ssl(EX_SOFTWARE, "cannot seal the leaf-key protection key");
		goto out;
	}
	m->wrap_len = WRAP_SEALED_LEN;
	n = i2d_PUBKEY(pub, &der);
	if (n <= 0 || !(m->pub = malloc((size_t)n))) {
		rc = fail_ssl(EX_SOFTWARE, "cannot encode the token key's public key");
		goto out;
	}
	memcpy(m->pub, der, (size_t)n);
	m->pub_len = (size_t)n;
	rc = 0;
out:
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_free(der);
	if (rc)
		ca_token_meta_free(m);
	return rc;
}

static int open_wrap(struct ca *ca, EVP_PKEY *key)
{
	void *sealed = NULL, *label = NULL;
	size_t slen = 0, llen = 0;
	unsigned char k[32], wrap[CA_WRAP_LEN];
	int rc;

	if ((rc = store_meta_get(ca->st, "ca.key.wrap", &sealed, &slen)) ||
	    (rc = store_meta_get(ca->st, "ca.key.seal", &label, &llen)))
		goto out;
	if (!sealed || slen != WRAP_SEALED_LEN || !label || !llen) {
		rc = fail(EX_IOERR, "store %s: the sealed leaf-key protection key is missing or "
				    "damaged; restore a backup",
			  store_path(ca->st));
		goto out;
	}
	if ((rc = seal_prf(ca->token, key, label, k)))
		goto out;
	if (wrap_gcm(0, k, sealed, (unsigned char *)sealed + IV_LEN, wrap,
		     (unsigned char *)sealed + IV_LEN + CA_WRAP_LEN)) {
		rc = fail(EX_IOERR, "store %s: the token's sealing secret does not open the store's "
				    "leaf-key protection key (another token, or a damaged store)",
			  store_path(ca->st));
		goto out;
	}
	hex_upper(wrap, sizeof(wrap), (char *)ca->wrap_pass);
out:
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(wrap, sizeof(wrap));
	free(sealed);
	free(label);
	return rc;
}

int ca_unlock_token(struct ca *ca)
{
	EVP_PKEY *key = NULL;
	int rc;

	if ((rc = ca_token_login(ca->key_uri, &ca->token)))
		goto out;
	rc = token_key(ca->token, &key);
	if (rc == EX_NOINPUT)
		rc = fail(EX_NOINPUT, "token %s: the CA key is not on it (another token? 'p11tool "
				      "--list-privkeys --login URI' lists its keys)",
			  ca->key_uri);
	if (rc)
		goto out;
	if (X509_check_private_key(ca->cert, key) != 1) {
		rc = fail(EX_DATAERR, "token %s: its key does not match the CA certificate of store "
				      "%s (another token or object?)",
			  ca->key_uri, store_path(ca->st));
		goto out;
	}
	if ((rc = open_wrap(ca, key)))
		goto out;
	ca->key = key;
	key = NULL;
out:
	ERR_clear_error();
	EVP_PKEY_free(key);
	if (rc) {
		token_close(ca->token);
		ca->token = NULL;
	}
	return rc;
}

int ca_token_probe(const char *uri, X509 *cert, int try_login, char **problem)
{
	struct ca_token *t = NULL;
	char *pin = NULL;
	size_t pinlen = 0;
	const char *pin_file = pin_file_given();
	int rc;

	*problem = NULL;
	if ((rc = token_open(uri, &t)))
		goto out;
	rc = token_public_matches(t, X509_get0_pubkey(cert));
	if (rc == EX_NOINPUT)
		rc = fail(EX_NOINPUT, "token %s: the CA key's public key is not on it (another "
				      "token?)",
			  uri);
	else if (rc == 1)
		rc = fail(EX_DATAERR, "token %s: its key does not match the CA certificate", uri);
	if (rc)
		goto out;
	if (!try_login)
		goto out; /* store verify: the key, not the PIN */
	switch (token_pin_state(t)) {
	case TOKEN_PIN_LOCKED:
		rc = fail(EX_NOPERM, "token %s: the PIN is locked; unlock it with the SO PIN or PUK",
			  uri);
		goto out;
	case TOKEN_PIN_TRIED:
		rc = fail(EX_NOPERM, "token %s: a wrong PIN was given (the token counts down); check "
				     "the PIN file before the token locks",
			  uri);
		goto out;
	}
	/* one login, only with a PIN file: never a prompt, never a retry */
	if (pin_file &&
	    ((rc = pass_read_file(pin_file, "PIN file", &pin, &pinlen)) ||
	     (rc = token_login(t, pin, pinlen))))
		goto out;
out:
	if (rc && !(*problem = strdup(diag_last())))
		rc = EX_OSERR;
	pass_free(pin, pinlen);
	token_close(t);
	ERR_clear_error();
	return rc;
}
