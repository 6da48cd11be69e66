/*
 * The signer's part of a challenge: it asks the front to validate
 * (P_VALIDATE, with the name, the token and what the answer must hold) and
 * records the front's verdict (P_VERDICT): the authorization and its
 * challenge and, once all of an order's authorizations are valid, the order
 * becomes ready, in one transaction. Only a challenge the signer asked for
 * and is still waiting on is recorded.
 */
#include <stdlib.h>
#include <string.h>

#include "server.h"

struct verdict {
	char authz[ACME_ID_LEN + 1];
	size_t index;
	int ok;
	enum acme_problem problem;
	const char *detail;
};

static int all_valid(store_txn *txn, json_t *order, int *valid)
{
	json_t *v, *a = NULL;
	size_t i;
	int rc;

	*valid = 1;
	json_array_foreach(json_object_get(order, "authz"), i, v) {
		if ((rc = acme_obj_txn_get(txn, KIND_AUTHZ, json_string_value(v) ?: "", &a)))
			return rc;
		if (!a || strcmp(json_string_value(json_object_get(a, "status")) ?: "", "valid"))
			*valid = 0;
		json_decref(a);
		a = NULL;
	}
	return 0;
}

static int result_fn(store_txn *txn, void *vctx)
{
	struct verdict *j = vctx;
	json_t *authz = NULL, *order = NULL, *chall, *err = NULL;
	const char *oid;
	int rc, valid = 0;

	if ((rc = acme_obj_txn_get(txn, KIND_AUTHZ, j->authz, &authz)) || !authz)
		goto out;
	chall = json_array_get(json_object_get(authz, "challenges"), j->index);
	if (!chall || strcmp(json_string_value(json_object_get(authz, "status")) ?: "", "pending"))
		goto out; /* deactivated meanwhile */
	if (j->ok) {
		json_object_set_new(chall, "status", json_string("valid"));
		json_object_set_new(chall, "validated", json_integer(now_utc()));
		json_object_set_new(authz, "status", json_string("valid"));
	} else {
		err = acme_problem_json(j->problem, j->detail);
		json_object_set_new(chall, "status", json_string("invalid"));
		json_object_set(chall, "error", err);
		json_object_set_new(authz, "status", json_string("invalid"));
	}
	if ((rc = acme_obj_put(txn, KIND_AUTHZ, j->authz, authz, 0)) ||
	    (j->ok && (rc = authz_index_put(txn, j->authz, authz))))
		goto out;
	oid = json_string_value(json_object_get(authz, "order"));
	if (!oid || (rc = acme_obj_txn_get(txn, KIND_ORDER, oid, &order)) || !order ||
	    strcmp(json_string_value(json_object_get(order, "status")) ?: "", "pending"))
		goto out;
	if (j->ok) {
		if ((rc = all_valid(txn, order, &valid)) || !valid)
			goto out;
		json_object_set_new(order, "status", json_string("ready"));
	} else {
		json_object_set_new(order, "status", json_string("invalid"));
		json_object_set(order, "error", err);
	}
	rc = acme_obj_put(txn, KIND_ORDER, oid, order, 0);
out:
	json_decref(err);
	json_decref(authz);
	json_decref(order);
	return rc;
}

const char *validate_busy(struct srv *s, const char *account, char *why, size_t size)
{
	const struct inflight *f;
	long all = 0, mine = 0;

	for (f = s->validating; f; f = f->next) {
		all++;
		mine += !strcmp(f->account, account);
	}
	if (all >= s->o->max_validations)
		snprintf(why, size, "%ld validations in progress (--max-validations %ld); try again "
				    "shortly",
			 all, s->o->max_validations);
	else if (mine >= s->o->max_validations_per_account)
		snprintf(why, size, "%ld validations of this account in progress "
				    "(--max-validations-per-account %ld); try again shortly",
			 mine, s->o->max_validations_per_account);
	else
		return NULL;
	return why;
}

int validate_start(struct srv *s, const char *authz_id, size_t index, json_t *authz,
		   const char *thumbprint)
{
	json_t *chall = json_array_get(json_object_get(authz, "challenges"), index);
	const char *type = json_string_value(json_object_get(chall, "type"));
	const char *token = json_string_value(json_object_get(chall, "token"));
	const char *name = json_string_value(json_object_get(json_object_get(authz, "identifier"),
							     "value"));
	char *keyauth = NULL, *expected = NULL, key[ACME_ID_LEN + 8];
	unsigned char digest[32];
	struct proto_out o;
	int rc = -1;

	if (!type || !token || !name || asprintf(&keyauth, "%s.%s", token, thumbprint) < 0)
		goto out;
	if (EVP_Digest(keyauth, strlen(keyauth), digest, NULL, EVP_sha256(), NULL) != 1)
		goto out;
	/* http-01 answers with the key authorization, dns-01 with its digest in base64url */
	expected = !strcmp(type, "dns-01")    ? b64url_encode(digest, sizeof(digest))
		   : !strcmp(type, "http-01") ? strdup(keyauth)
					      : strdup(""); /* tls-alpn-01: the digest */
	snprintf(key, sizeof(key), "%s/%zu", authz_id, index);
	if (!expected || inflight_add(&s->validating, key) != 0)
		goto out;
	/* inflight_add put it first */
	snprintf(s->validating->account, sizeof(s->validating->account), "%s",
		 json_string_value(json_object_get(authz, "account")) ?: "");
	proto_begin(&o, P_VALIDATE, 0);
	proto_add_str(&o, T_AUTHZ, authz_id);
	proto_add_long(&o, T_INDEX, (long)index);
	proto_add_str(&o, T_KIND, type);
	proto_add_str(&o, T_NAME, name);
	proto_add_str(&o, T_TOKEN, token);
	proto_add_str(&o, T_EXPECTED, expected);
	proto_add(&o, T_DIGEST, digest, sizeof(digest));
	proto_add_str(&o, T_ACCOUNT, json_string_value(json_object_get(authz, "account")));
	if (proto_send(s->chan, &o) != 0) {
		inflight_del(&s->validating, key);
		goto out;
	}
	rc = 0;
out:
	free(keyauth);
	free(expected);
	return rc;
}

/* The front's verdict on a challenge this signer asked it to validate. */
void challenge_verdict(struct srv *s, const struct proto_msg *m)
{
	struct verdict v = {"", 0, 0, ACME_OK, NULL};
	char key[ACME_ID_LEN + 8];
	json_t *authz = NULL, *chall;
	const char *type = NULL, *name = "?";
	long index, ok, problem = ACME_INCORRECT_RESPONSE;

	if (m->len[T_AUTHZ] > ACME_ID_LEN || proto_number(m, T_INDEX, 0, 16, &index) ||
	    proto_number(m, T_OK, 0, 1, &ok) ||
	    (!ok && m->field[T_PROBLEM] &&
	     proto_number(m, T_PROBLEM, ACME_MALFORMED, ACME_TOO_LARGE, &problem))) {
		warning("serve: signer: the front sent an unusable verdict; ignored");
		return;
	}
	snprintf(key, sizeof(key), "%s/%ld", m->field[T_AUTHZ], index);
	if (!inflight_has(s->validating, key)) {
		warning("serve: signer: the front sent a verdict on %s, which it was not asked to "
			"validate; ignored",
			key);
		return;
	}
	inflight_del(&s->validating, key);
	snprintf(v.authz, sizeof(v.authz), "%s", m->field[T_AUTHZ]);
	v.index = (size_t)index;
	v.ok = (int)ok;
	v.problem = (enum acme_problem)problem;
	v.detail = m->field[T_DETAIL] ? m->field[T_DETAIL] : "the validation failed";
	if (acme_obj_get(s->st, KIND_AUTHZ, v.authz, &authz) == 0 && authz) {
		chall = json_array_get(json_object_get(authz, "challenges"), v.index);
		type = json_string_value(json_object_get(chall, "type"));
		name = json_string_value(json_object_get(json_object_get(authz, "identifier"),
							 "value")) ?: "?";
	}
	if (store_write(s->st, result_fn, &v) != 0)
		warning("serve: the result of validating %s could not be stored; the client may "
			"try again",
			name);
	else if (!g_opts.quiet)
		notice("serve: %s for %s: %s%s%s", type ?: "challenge", name, v.ok ? "valid" : "invalid",
		       v.ok ? "" : ": ", v.ok ? "" : v.detail);
	json_decref(authz);
}
