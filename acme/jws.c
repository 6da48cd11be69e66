/*
 * JWS in the flattened JSON serialization (RFC 7515 section 7.2.2) as ACME
 * uses it (RFC 8555 section 6.2): a protected header with alg, nonce, url
 * and exactly one of jwk and kid; no unprotected header; the payload a JSON
 * object, or empty for POST-as-GET. Signatures are checked by OpenSSL
 * (EVP_DigestVerify); ECDSA's raw r||s is turned into the DER that OpenSSL
 * wants with ECDSA_SIG, and HS256 (external account binding) goes through
 * EVP_MAC with a constant-time comparison.
 */
#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "acme.h"

void jws_release(struct jws *j)
{
	json_decref(j->header);
	json_decref(j->payload);
	free(j->signing_input);
	free(j->sig);
	memset(j, 0, sizeof(*j));
}

static int set_why(const char **why, const char *text)
{
	*why = text;
	return ACME_MALFORMED;
}

/* A JSON object from base64url text; NULL when either layer is bad. */
static json_t *b64_json(const char *text, size_t len)
{
	unsigned char *raw = NULL;
	size_t raw_len = 0;
	json_t *v = NULL;

	if (b64url_decode(text, len, &raw, &raw_len) != 0)
		return NULL;
	v = json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES, NULL);
	free(raw);
	if (v && !json_is_object(v)) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

static const char *header_string(const struct jws *j, const char *name)
{
	return json_string_value(json_object_get(j->header, name));
}

int jws_parse(const char *body, size_t len, struct jws *j, const char **why)
{
	json_t *outer = NULL, *p, *pl, *sg;
	size_t plen, pllen, n = 0;
	const char *key;
	json_t *value;
	int rc = ACME_MALFORMED;

	memset(j, 0, sizeof(*j));
	outer = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(outer)) {
		rc = set_why(why, "the request body is not a JSON object");
		goto out;
	}
	json_object_foreach(outer, key, value) {
		if (strcmp(key, "protected") && strcmp(key, "payload") && strcmp(key, "signature")) {
			rc = set_why(why, "a JWS in ACME has only protected, payload and signature "
					  "(no unprotected header, no general serialization)");
			goto out;
		}
		n++;
	}
	p = json_object_get(outer, "protected");
	pl = json_object_get(outer, "payload");
	sg = json_object_get(outer, "signature");
	if (n != 3 || !json_is_string(p) || !json_is_string(pl) || !json_is_string(sg)) {
		rc = set_why(why, "the JWS needs string members protected, payload and signature");
		goto out;
	}
	plen = json_string_length(p);
	pllen = json_string_length(pl);
	if (!(j->header = b64_json(json_string_value(p), plen))) {
		rc = set_why(why, "the protected header is not base64url of a JSON object");
		goto out;
	}
	if (pllen) {
		if (!(j->payload = b64_json(json_string_value(pl), pllen))) {
			rc = set_why(why, "the payload is not base64url of a JSON object");
			goto out;
		}
	}
	if (b64url_decode(json_string_value(sg), json_string_length(sg), &j->sig, &j->sig_len) != 0 ||
	    !j->sig_len) {
		rc = set_why(why, "the signature is not base64url");
		goto out;
	}
	j->signing_input = malloc(plen + 1 + pllen + 1);
	if (!j->signing_input) {
		rc = set_why(why, "out of memory");
		goto out;
	}
	memcpy(j->signing_input, json_string_value(p), plen);
	j->signing_input[plen] = '.';
	memcpy(j->signing_input + plen + 1, json_string_value(pl), pllen);
	j->signing_input_len = plen + 1 + pllen;
	j->alg = header_string(j, "alg");
	j->nonce = header_string(j, "nonce");
	j->url = header_string(j, "url");
	j->kid = header_string(j, "kid");
	j->jwk = json_object_get(j->header, "jwk");
	if (!j->alg) {
		rc = set_why(why, "the protected header has no alg");
		goto out;
	}
	if (!j->url) {
		rc = set_why(why, "the protected header has no url");
		goto out;
	}
	if ((j->jwk != NULL) == (json_object_get(j->header, "kid") != NULL)) {
		rc = set_why(why, "the protected header needs exactly one of jwk and kid");
		goto out;
	}
	if (json_object_get(j->header, "kid") && !j->kid) {
		rc = set_why(why, "kid is not a string");
		goto out;
	}
	rc = 0;
out:
	json_decref(outer);
	if (rc)
		jws_release(j);
	return rc;
}

/* The digest and, for ECDSA, the coordinate size that alg asks of this key. */
static int alg_fits(const char *alg, EVP_PKEY *key, const EVP_MD **md, size_t *ec_size)
{
	*md = NULL;
	*ec_size = 0;
	if (!strcmp(alg, "RS256") && EVP_PKEY_is_a(key, "RSA")) {
		*md = EVP_sha256();
		return 1;
	}
	if (!strcmp(alg, "ES256") && EVP_PKEY_is_a(key, "EC") && EVP_PKEY_get_bits(key) == 256) {
		*md = EVP_sha256();
		*ec_size = 32;
		return 1;
	}
	if (!strcmp(alg, "ES384") && EVP_PKEY_is_a(key, "EC") && EVP_PKEY_get_bits(key) == 384) {
		*md = EVP_sha384();
		*ec_size = 48;
		return 1;
	}
	return !strcmp(alg, "EdDSA") && EVP_PKEY_is_a(key, "ED25519");
}

int jws_alg_known(const char *alg)
{
	return alg && (!strcmp(alg, "RS256") || !strcmp(alg, "ES256") || !strcmp(alg, "ES384") ||
		       !strcmp(alg, "EdDSA"));
}

/* JWS ECDSA signatures are r||s, each the size of the curve; OpenSSL verifies DER. */
static int ecdsa_der(const unsigned char *raw, size_t len, size_t size, unsigned char **der,
		     int *der_len)
{
	ECDSA_SIG *sig = NULL;
	BIGNUM *r = NULL, *s = NULL;
	int rc = -1;

	*der = NULL;
	if (len != 2 * size)
		return -1;
	sig = ECDSA_SIG_new();
	r = BN_bin2bn(raw, (int)size, NULL);
	s = BN_bin2bn(raw + size, (int)size, NULL);
	if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1)
		goto out;
	r = s = NULL; /* owned by sig */
	*der_len = i2d_ECDSA_SIG(sig, der);
	rc = *der_len > 0 ? 0 : -1;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	return rc;
}

int jws_verify(const struct jws *j, EVP_PKEY *key, const char **why)
{
	EVP_MD_CTX *ctx = NULL;
	const EVP_MD *md;
	unsigned char *der = NULL;
	const unsigned char *sig = j->sig;
	size_t sig_len = j->sig_len, ec_size;
	int der_len = 0, rc = ACME_UNAUTHORIZED;

	if (!jws_alg_known(j->alg)) {
		*why = "alg must be RS256, ES256, ES384 or EdDSA";
		return ACME_BAD_SIGNATURE_ALGORITHM;
	}
	if (!alg_fits(j->alg, key, &md, &ec_size)) {
		*why = "alg does not fit the account key";
		return ACME_BAD_SIGNATURE_ALGORITHM;
	}
	*why = "the JWS signature does not verify";
	if (ec_size) {
		if (ecdsa_der(j->sig, j->sig_len, ec_size, &der, &der_len) != 0)
			goto out;
		sig = der;
		sig_len = (size_t)der_len;
	}
	ctx = EVP_MD_CTX_new();
	if (ctx && EVP_DigestVerifyInit_ex(ctx, NULL, md ? EVP_MD_get0_name(md) : NULL, NULL, NULL,
					   key, NULL) == 1 &&
	    EVP_DigestVerify(ctx, sig, sig_len, j->signing_input, j->signing_input_len) == 1)
		rc = 0;
out:
	ERR_clear_error();
	OPENSSL_free(der);
	EVP_MD_CTX_free(ctx);
	return rc;
}

int hmac_sha256(const unsigned char *key, size_t key_len, const unsigned char *data,
		size_t len, unsigned char out[32])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[2];
	size_t out_len = 0;
	int rc = -1;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (ctx && EVP_MAC_init(ctx, key, key_len, params) == 1 &&
	    EVP_MAC_update(ctx, data, len) == 1 && EVP_MAC_final(ctx, out, &out_len, 32) == 1 &&
	    out_len == 32)
		rc = 0;
	ERR_clear_error();
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

int jws_verify_hmac(const struct jws *j, const unsigned char *key, size_t key_len)
{
	unsigned char mac[32];
	int ok;

	if (!j->alg || strcmp(j->alg, "HS256") || j->sig_len != sizeof(mac))
		return -1;
	if (hmac_sha256(key, key_len, j->signing_input, j->signing_input_len, mac) != 0)
		return -1;
	ok = CRYPTO_memcmp(mac, j->sig, sizeof(mac)) == 0;
	OPENSSL_cleanse(mac, sizeof(mac));
	return ok ? 0 : -1;
}
