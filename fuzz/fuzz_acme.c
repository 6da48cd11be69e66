/*
 * Fuzz target: what `minica serve` does with a request body before any
 * store or network is involved: the JWS (acme/jws.c), the jwk in its header
 * made into a key (acme/jwk.c) with its thumbprint, the signature check,
 * an externalAccountBinding inside the payload parsed as a JWS again, a
 * finalize request's CSR decoded by issue/'s own intake, and the nonce
 * check on whatever the header says.
 */
#include <jansson.h>
#include <openssl/err.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acme/acme.h"
#include "common/common.h"

static void payload_parts(const struct jws *j)
{
	json_t *eab = json_object_get(j->payload, "externalAccountBinding");
	json_t *csr = json_object_get(j->payload, "csr");
	const char *why = NULL;

	if (eab) {
		char *text = json_dumps(eab, JSON_COMPACT);
		struct jws inner;

		if (text && jws_parse(text, strlen(text), &inner, &why) == 0) {
			(void)jws_verify_hmac(&inner, (const unsigned char *)"0123456789abcdef", 16);
			if (inner.payload)
				free(jwk_thumbprint(inner.payload));
			jws_release(&inner);
		}
		free(text);
	}
	if (json_is_string(csr)) {
		unsigned char *der = NULL;
		size_t len = 0;
		X509_REQ *req = NULL;

		if (b64url_decode(json_string_value(csr), json_string_length(csr), &der, &len) == 0 &&
		    csr_decode(der, len, &req) == 0)
			(void)csr_check("fuzz", req, 2048);
		X509_REQ_free(req);
		free(der);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct acme_nonces *nonces;
	struct jws j;
	EVP_PKEY *key = NULL;
	const char *why = NULL;

	if (!nonces && !(nonces = nonces_new()))
		return 0;
	if (jws_parse((const char *)data, size, &j, &why) != 0)
		return 0;
	(void)nonce_use(nonces, j.nonce);
	if (j.jwk) {
		free(jwk_thumbprint(j.jwk));
		if (jwk_to_pkey(j.jwk, &key, &why) == 0)
			(void)jws_verify(&j, key, &why);
	}
	if (j.payload)
		payload_parts(&j);
	EVP_PKEY_free(key);
	jws_release(&j);
	ERR_clear_error();
	return 0;
}
