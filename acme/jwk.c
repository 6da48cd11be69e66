/*
 * JSON Web Keys (RFC 7517/7518/8037) of ACME accounts: RSA, EC P-256/P-384
 * and Ed25519, made into OpenSSL keys with EVP_PKEY_fromdata (OpenSSL checks
 * the point and the modulus), and their RFC 7638 thumbprints.
 */
#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <stdlib.h>
#include <string.h>

#include "acme.h"

#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 8192

/*
 * A base64url member of the key, decoded; *why set when it is missing or
 * bad. Only the canonical text is taken (it is the member encoded again):
 * the last character's unused bits must be zero, or one key would have
 * several texts, several RFC 7638 thumbprints, and so several accounts.
 */
static int member(json_t *jwk, const char *name, unsigned char **out, size_t *len,
		  const char **why)
{
	json_t *v = json_object_get(jwk, name);
	char *again = NULL;
	int rc = -1;

	*out = NULL;
	if (!json_is_string(v) ||
	    b64url_decode(json_string_value(v), json_string_length(v), out, len) != 0 || !*len) {
		*why = "a key member is missing or not base64url";
		goto out;
	}
	if (!(again = b64url_encode(*out, *len)) || strcmp(again, json_string_value(v))) {
		*why = "a key member is not canonical base64url (its padding bits are not zero)";
		goto out;
	}
	rc = 0;
out:
	if (rc) {
		free(*out);
		*out = NULL;
	}
	free(again);
	return rc;
}

/* RFC 7518 section 6.3.1: n and e in the fewest octets (one key, one text). */
static int minimal(const unsigned char *v, size_t len, const char **why)
{
	if (len > 1 && v[0] == 0) {
		*why = "the RSA key's n or e has leading zero octets";
		return -1;
	}
	return 0;
}

static int from_params(const char *type, OSSL_PARAM_BLD *bld, EVP_PKEY **out)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY_CTX *check = NULL;
	int ok = 0;

	*out = NULL;
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	check = EVP_PKEY_CTX_new_from_pkey(NULL, *out, NULL);
	ok = check && EVP_PKEY_public_check(check) == 1;
out:
	if (!ok) {
		EVP_PKEY_free(*out);
		*out = NULL;
	}
	EVP_PKEY_CTX_free(check);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	ERR_clear_error();
	return ok ? 0 : -1;
}

static int ec_key(json_t *jwk, EVP_PKEY **out, const char **why)
{
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	unsigned char *x = NULL, *y = NULL, *point = NULL;
	size_t xl = 0, yl = 0, size;
	OSSL_PARAM_BLD *bld = NULL;
	const char *group;
	int rc = -1;

	if (crv && !strcmp(crv, "P-256")) {
		group = "P-256";
		size = 32;
	} else if (crv && !strcmp(crv, "P-384")) {
		group = "P-384";
		size = 48;
	} else {
		*why = "EC keys must be on P-256 or P-384";
		return -1;
	}
	if (member(jwk, "x", &x, &xl, why) || member(jwk, "y", &y, &yl, why))
		goto out;
	if (xl != size || yl != size) {
		*why = "the EC key's coordinates have the wrong length";
		goto out;
	}
	point = malloc(1 + 2 * size);
	bld = OSSL_PARAM_BLD_new();
	if (!point || !bld)
		goto out;
	point[0] = 0x04; /* uncompressed: X9.62 */
	memcpy(point + 1, x, size);
	memcpy(point + 1 + size, y, size);
	if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * size))
		goto out;
	if (from_params("EC", bld, out) != 0) {
		*why = "the EC key is not a point on its curve";
		goto out;
	}
	rc = 0;
out:
	OSSL_PARAM_BLD_free(bld);
	free(point);
	free(x);
	free(y);
	return rc;
}

static int rsa_key(json_t *jwk, EVP_PKEY **out, const char **why)
{
	unsigned char *n = NULL, *e = NULL;
	size_t nl = 0, el = 0;
	BIGNUM *bn = NULL, *be = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	int rc = -1, bits;

	if (member(jwk, "n", &n, &nl, why) || member(jwk, "e", &e, &el, why) ||
	    minimal(n, nl, why) || minimal(e, el, why))
		goto out;
	bn = BN_bin2bn(n, (int)nl, NULL);
	be = BN_bin2bn(e, (int)el, NULL);
	bld = OSSL_PARAM_BLD_new();
	if (!bn || !be || !bld)
		goto out;
	bits = BN_num_bits(bn);
	if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS || !BN_is_odd(be) || BN_num_bits(be) > 64 ||
	    BN_is_one(be)) {
		*why = "RSA account keys must have 2048 to 8192 bits and an odd exponent";
		goto out;
	}
	if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be))
		goto out;
	if (from_params("RSA", bld, out) != 0) {
		*why = "the RSA key is not valid";
		goto out;
	}
	rc = 0;
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	free(n);
	free(e);
	return rc;
}

static int okp_key(json_t *jwk, EVP_PKEY **out, const char **why)
{
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	unsigned char *x = NULL;
	size_t xl = 0;
	int rc = -1;

	if (!crv || strcmp(crv, "Ed25519")) {
		*why = "OKP keys must be Ed25519";
		return -1;
	}
	if (member(jwk, "x", &x, &xl, why))
		goto out;
	if (xl != 32 || !(*out = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, xl))) {
		*why = "the Ed25519 key is not 32 bytes";
		ERR_clear_error();
		goto out;
	}
	rc = 0;
out:
	free(x);
	return rc;
}

int jwk_to_pkey(json_t *jwk, EVP_PKEY **out, const char **why)
{
	const char *kty = json_string_value(json_object_get(jwk, "kty"));

	*out = NULL;
	*why = "the jwk is not a JSON object with a kty";
	if (!json_is_object(jwk) || !kty)
		return -1;
	if (json_object_get(jwk, "d") || json_object_get(jwk, "p")) {
		*why = "the jwk holds a private key";
		return -1;
	}
	if (!strcmp(kty, "EC"))
		return ec_key(jwk, out, why);
	if (!strcmp(kty, "RSA"))
		return rsa_key(jwk, out, why);
	if (!strcmp(kty, "OKP"))
		return okp_key(jwk, out, why);
	*why = "unsupported key type (RSA, EC and OKP are accepted)";
	return -1;
}

/* RFC 7638: SHA-256 of the required members, sorted, without white space. */
char *jwk_thumbprint(json_t *jwk)
{
	static const char *const ec[] = {"crv", "kty", "x", "y", NULL};
	static const char *const rsa[] = {"e", "kty", "n", NULL};
	static const char *const okp[] = {"crv", "kty", "x", NULL};
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	const char *const *names;
	unsigned char digest[32];
	json_t *req = NULL;
	char *text = NULL, *out = NULL;
	size_t i;

	if (!kty)
		return NULL;
	names = !strcmp(kty, "EC") ? ec : !strcmp(kty, "RSA") ? rsa : !strcmp(kty, "OKP") ? okp : NULL;
	if (!names || !(req = json_object()))
		goto out;
	for (i = 0; names[i]; i++) {
		json_t *v = json_object_get(jwk, names[i]);

		if (!json_is_string(v) || json_object_set(req, names[i], v) != 0)
			goto out;
	}
	text = json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text || EVP_Digest(text, strlen(text), digest, NULL, EVP_sha256(), NULL) != 1)
		goto out;
	out = b64url_encode(digest, sizeof(digest));
out:
	free(text);
	json_decref(req);
	return out;
}

/* The public members of a jwk, to store with an account (nothing else it carried). */
json_t *jwk_public(json_t *jwk)
{
	static const char *const names[] = {"kty", "crv", "x", "y", "n", "e", NULL};
	json_t *out = json_object();
	size_t i;

	for (i = 0; out && names[i]; i++) {
		json_t *v = json_object_get(jwk, names[i]);

		if (json_is_string(v))
			json_object_set(out, names[i], v);
	}
	return out;
}
