/*
 * Key types as users write them: "rsa:4096", "ec:P-256". Only the types
 * every consumer accepts (Windows back to Server 2003 for RSA, every TLS
 * stack for the NIST curves) are offered.
 */
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ca.h"
#include "common/common.h"

int keyspec_parse(const char *text, struct keyspec *out)
{
	memset(out, 0, sizeof(*out));
	if (!text)
		return -1;
	if (!strcasecmp(text, "rsa:2048") || !strcasecmp(text, "rsa:3072") ||
	    !strcasecmp(text, "rsa:4096")) {
		out->bits = (int)strtol(text + 4, NULL, 10);
		return 0;
	}
	if (!strcasecmp(text, "ec:P-256") || !strcasecmp(text, "ec:prime256v1")) {
		out->is_ec = 1;
		out->curve = "P-256";
		return 0;
	}
	if (!strcasecmp(text, "ec:P-384") || !strcasecmp(text, "ec:secp384r1")) {
		out->is_ec = 1;
		out->curve = "P-384";
		return 0;
	}
	return -1;
}

const char *keyspec_name(const struct keyspec *spec, char buf[16])
{
	if (spec->is_ec)
		snprintf(buf, 16, "ec:%s", spec->curve);
	else
		snprintf(buf, 16, "rsa:%d", spec->bits);
	return buf;
}

int keyspec_generate(const struct keyspec *spec, EVP_PKEY **out)
{
	char name[16];

	secrets_protect(); /* a private key is about to exist */
	*out = spec->is_ec ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", spec->curve)
			   : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)spec->bits);
	if (!*out)
		return fail_ssl(EX_SOFTWARE, "cannot generate a %s key", keyspec_name(spec, name));
	return 0;
}

const char *key_describe(const EVP_PKEY *key, char buf[32])
{
	char group[32] = "";

	if (EVP_PKEY_is_a(key, "RSA")) {
		snprintf(buf, 32, "RSA %d", EVP_PKEY_get_bits(key));
	} else if (EVP_PKEY_is_a(key, "EC")) {
		if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
						   sizeof(group), NULL)) {
			int nid = OBJ_sn2nid(group);
			const char *nist = nid != NID_undef ? EC_curve_nid2nist(nid) : NULL;

			snprintf(buf, 32, "EC %.24s", nist ? nist : group);
		} else {
			snprintf(buf, 32, "EC %d", EVP_PKEY_get_bits(key));
		}
	} else {
		snprintf(buf, 32, "%s %d", EVP_PKEY_get0_type_name(key), EVP_PKEY_get_bits(key));
	}
	return buf;
}

/* SHA-256 everywhere, SHA-384 for P-384 keys so the hash matches the curve. */
const EVP_MD *key_default_digest(const EVP_PKEY *key)
{
	if (EVP_PKEY_is_a(key, "EC") && EVP_PKEY_get_bits(key) > 256)
		return EVP_sha384();
	return EVP_sha256();
}
