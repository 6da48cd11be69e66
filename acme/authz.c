/*
 * Which names an account has proved control of: an index from (account,
 * name) to the account's newest valid authorization for it, written in the
 * transaction that makes the authorization valid. revokeCert (RFC 8555
 * section 7.6) asks it for every name of a certificate the account did not
 * order, one lookup per name instead of a walk over every authorization.
 * The index only points: the authorization it names is read and must still
 * belong to the account, be valid (not deactivated) and unexpired.
 */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "acme.h"

/* "ACCOUNT.SHA256(NAME)": a name may be longer than an object id may be. */
static int index_id(const char *account, const char *name, char *out, size_t size)
{
	unsigned char digest[32];
	char *hash;

	if (EVP_Digest(name, strlen(name), digest, NULL, EVP_sha256(), NULL) != 1 ||
	    !(hash = b64url_encode(digest, sizeof(digest))))
		return fail(EX_SOFTWARE, "cannot hash a name");
	snprintf(out, size, "%s.%s", account, hash);
	free(hash);
	return 0;
}

/* The name an authorization proves: its identifier, "*." in front for a wildcard. */
static int authz_name(json_t *authz, char *out, size_t size)
{
	const char *value = json_string_value(json_object_get(json_object_get(authz, "identifier"),
								"value"));

	if (!value)
		return -1;
	snprintf(out, size, "%s%s", json_is_true(json_object_get(authz, "wildcard")) ? "*." : "",
		 value);
	return 0;
}

int authz_index_put(store_txn *txn, const char *authz_id, json_t *authz)
{
	const char *account = json_string_value(json_object_get(authz, "account"));
	char name[300], id[200];
	json_t *entry;
	int rc;

	if (!account || authz_name(authz, name, sizeof(name)) != 0)
		return fail(EX_SOFTWARE, "authorization %s has no account or identifier", authz_id);
	if ((rc = index_id(account, name, id, sizeof(id))))
		return rc;
	if (!(entry = json_pack("{s:s}", "authz", authz_id)))
		return fail(EX_OSERR, "out of memory");
	rc = acme_obj_put(txn, KIND_PROVED, id, entry, 0);
	json_decref(entry);
	return rc;
}

int authz_proves(store *st, const char *account, const char *name, int64_t now)
{
	json_t *entry = NULL, *authz = NULL;
	char id[200], proved[300];
	const char *aid;
	int rc;

	if ((rc = index_id(account, name, id, sizeof(id))) ||
	    (rc = acme_obj_get(st, KIND_PROVED, id, &entry)))
		return -1;
	aid = json_string_value(json_object_get(entry, "authz"));
	if (aid && acme_obj_get(st, KIND_AUTHZ, aid, &authz) != 0) {
		json_decref(entry);
		return -1;
	}
	rc = authz &&
	     !strcmp(json_string_value(json_object_get(authz, "account")) ?: "", account) &&
	     !strcmp(json_string_value(json_object_get(authz, "status")) ?: "", "valid") &&
	     json_integer_value(json_object_get(authz, "expires")) > now &&
	     authz_name(authz, proved, sizeof(proved)) == 0 && !strcmp(proved, name);
	json_decref(authz);
	json_decref(entry);
	return rc;
}
