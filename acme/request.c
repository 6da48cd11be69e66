/*
 * A POST's JWS checked as RFC 8555 section 6.2 says, in this order: media
 * type and size, the JWS itself, the nonce (used once, whatever follows),
 * the url header against the URL that was requested, then the key: the
 * jwk in the header (newAccount, revokeCert by certificate key) or the
 * account named by kid, which must exist and be valid, as must the EAB key
 * it was registered with. Only then the signature.
 */
#include <stdlib.h>
#include <string.h>

#include "server.h"

/* "PREFIX" + "ID" [+ rest]: copies ID (base64url-ish, at most size-1) and returns rest. */
const char *path_id(const char *path, const char *prefix, char *out, size_t size)
{
	size_t n = strlen(prefix), i;

	if (strncmp(path, prefix, n))
		return NULL;
	path += n;
	for (i = 0; path[i] && path[i] != '/'; i++) {
		char c = path[i];

		if (i + 1 >= size || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return NULL;
		out[i] = c;
	}
	if (i == 0)
		return NULL;
	out[i] = '\0';
	return path + i;
}

static int media_type_ok(struct acme_req *q)
{
	const char *ct = q->content_type;
	size_t n = strlen("application/jose+json");

	return ct && !strncasecmp(ct, "application/jose+json", n) && (!ct[n] || ct[n] == ';');
}

static int account_key(struct acme_req *q)
{
	const char *kid = q->jws.kid, *why = NULL, *eab_kid;
	char prefix[340], id[128];
	json_t *eab = NULL;
	const char *rest;
	int rc = -1;

	snprintf(prefix, sizeof(prefix), "%s/acme/acct/", q->base);
	if (strncmp(kid, prefix, strlen(prefix)) ||
	    !(rest = path_id(kid + strlen(q->base), "/acme/acct/", id, sizeof(id))) || *rest) {
		reply_problem(q, ACME_MALFORMED, "kid is not an account URL of this server");
		return -1;
	}
	if (acme_obj_get(q->s->st, KIND_ACCOUNT, id, &q->account) != 0) {
		reply_internal(q, "cannot read the account");
		return -1;
	}
	if (!q->account) {
		reply_problem(q, ACME_ACCOUNT_DOES_NOT_EXIST, "no account %s", id);
		return -1;
	}
	q->account_id = json_string_value(json_object_get(q->account, "id"));
	if (!q->account_id || strcmp(json_string_value(json_object_get(q->account, "status")) ?: "",
				     "valid")) {
		reply_problem(q, ACME_UNAUTHORIZED, "account %s is deactivated", id);
		return -1;
	}
	eab_kid = json_string_value(json_object_get(q->account, "eab"));
	if (eab_kid) {
		if (acme_obj_get(q->s->st, KIND_EAB, eab_kid, &eab) != 0 || !eab ||
		    strcmp(json_string_value(json_object_get(eab, "status")) ?: "", "valid")) {
			reply_problem(q, ACME_UNAUTHORIZED, "account %s is disabled", id);
			goto out;
		}
	}
	if (keys_get(q->s->keys, q->account_id, json_object_get(q->account, "jwk"), &q->key,
		     &why) != 0) {
		reply_problem(q, ACME_SERVER_INTERNAL, "the stored account key is damaged: %s", why);
		goto out;
	}
	rc = 0;
out:
	json_decref(eab);
	return rc;
}

int req_authenticate(struct acme_req *q, int allow_jwk)
{
	size_t len = q->body_len;
	const char *why = NULL;
	char url[900];
	int p;

	if (!media_type_ok(q)) {
		reply_problem(q, ACME_MALFORMED, "the Content-Type must be application/jose+json");
		return -1;
	}
	if (len > ACME_BODY_MAX) {
		reply_problem(q, ACME_TOO_LARGE, "the request body has %zu bytes; at most %d are "
						 "accepted",
			      len, ACME_BODY_MAX);
		return -1;
	}
	if ((p = jws_parse(q->body ? q->body : "", len, &q->jws, &why))) {
		reply_problem(q, p, "%s", why);
		return -1;
	}
	if (!q->jws.nonce || nonce_use(q->s->nonces, q->jws.nonce) != 0) {
		reply_problem(q, ACME_BAD_NONCE, "%s", q->jws.nonce ? "the nonce is unknown or was used already"
								   : "the protected header has no nonce");
		return -1;
	}
	snprintf(url, sizeof(url), "%s%s", q->base, q->path);
	if (strcmp(q->jws.url, url)) {
		reply_problem(q, ACME_UNAUTHORIZED, "the url header does not name the URL that was "
						    "requested");
		return -1;
	}
	if (q->jws.jwk) {
		if (!allow_jwk) {
			reply_problem(q, ACME_MALFORMED, "this request must be signed by an account "
							 "(kid), not a jwk");
			return -1;
		}
		if (jwk_to_pkey(q->jws.jwk, &q->key, &why) != 0) {
			reply_problem(q, ACME_BAD_PUBLIC_KEY, "%s", why);
			return -1;
		}
	} else {
		if (allow_jwk == 1) {
			reply_problem(q, ACME_MALFORMED, "newAccount must carry the jwk, not a kid");
			return -1;
		}
		if (account_key(q) != 0)
			return -1;
	}
	if ((p = jws_verify(&q->jws, q->key, &why))) {
		reply_problem(q, p, "%s", why);
		return -1;
	}
	return 0;
}
