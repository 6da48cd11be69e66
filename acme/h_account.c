/*
 * The directory, nonces, and accounts: newAccount (with external account
 * binding, RFC 8555 section 7.3.4, and onlyReturnExisting), account update
 * and deactivation, the account's orders, keyChange.
 */
#include <stdlib.h>
#include <string.h>

#include "expiry/expiry.h"
#include "server.h"

void h_directory(struct acme_req *q)
{
	static const char *const names[][2] = {
		{"newNonce", "/acme/new-nonce"},     {"newAccount", "/acme/new-account"},
		{"newOrder", "/acme/new-order"},     {"revokeCert", "/acme/revoke-cert"},
		{"keyChange", "/acme/key-change"},   {"renewalInfo", "/acme/renewal-info"},
	};
	json_t *d = json_object(), *meta = json_object();
	size_t i;

	for (i = 0; d && i < sizeof(names) / sizeof(names[0]); i++) {
		char *u = url_of(q, "%s", names[i][1]);

		json_object_set_new(d, names[i][0], json_string(u ? u : ""));
		free(u);
	}
	json_object_set_new(meta, "externalAccountRequired", json_boolean(q->s->o->eab_required));
	json_object_set_new(d, "meta", meta);
	reply_json(q, 200, d, NULL);
}

void h_new_nonce(struct acme_req *q)
{
	/* RFC 8555 7.2: 200 for HEAD, 204 for GET */
	int head = q->method == ACME_HEAD;

	reply_raw(q, head ? 200 : 204, NULL, NULL, 0, NULL);
}

static int contacts_ok(json_t *contact, const char **why)
{
	size_t i;
	json_t *v;

	if (!contact)
		return 0;
	if (!json_is_array(contact) || json_array_size(contact) > 8) {
		*why = "contact must be an array of at most 8 mailto: URLs";
		return -1;
	}
	json_array_foreach(contact, i, v) {
		const char *c = json_string_value(v);

		if (!c || strncmp(c, "mailto:", 7) || strlen(c) > 256 || strpbrk(c, ",\r\n") ||
		    mail_address_check(c + 7) != 0) {
			*why = "only mailto: contacts with one plain address each are supported";
			return -1;
		}
	}
	return 0;
}

/* The inner JWS of RFC 8555 7.3.4: HS256 over the account key, by an EAB key of ours. */
static int check_eab(struct acme_req *q, json_t *binding, json_t **eab_out, const char **why)
{
	struct jws inner;
	char *text = json_dumps(binding, JSON_COMPACT), *t1 = NULL, *t2 = NULL;
	unsigned char key[EAB_KEY_LEN];
	json_t *eab = NULL;
	const char *sealed;
	int rc = ACME_UNAUTHORIZED, p;

	*eab_out = NULL;
	memset(&inner, 0, sizeof(inner));
	if (!text || (p = jws_parse(text, strlen(text), &inner, why))) {
		rc = ACME_MALFORMED;
		if (!text)
			*why = "externalAccountBinding is not a JWS";
		goto out;
	}
	if (!inner.alg || strcmp(inner.alg, "HS256") || !inner.kid || inner.jwk ||
	    json_object_get(inner.header, "nonce")) {
		rc = ACME_MALFORMED;
		*why = "externalAccountBinding needs alg HS256 and a kid, and no nonce";
		goto out;
	}
	if (strcmp(inner.url, q->jws.url)) {
		*why = "externalAccountBinding's url is not the newAccount URL";
		goto out;
	}
	if (acme_obj_get(q->s->st, KIND_EAB, inner.kid, &eab) != 0 || !eab ||
	    strcmp(json_string_value(json_object_get(eab, "status")) ?: "", "valid")) {
		*why = "the external account key is unknown or disabled";
		goto out;
	}
	if (json_is_string(json_object_get(eab, "account"))) {
		*why = "the external account key is bound to another account already";
		goto out;
	}
	sealed = json_string_value(json_object_get(eab, "hmac_sealed"));
	if (!sealed || eab_open(&q->s->ca, inner.kid, sealed, key) != 0) {
		rc = ACME_SERVER_INTERNAL;
		*why = "the external account key cannot be unsealed";
		goto out;
	}
	p = jws_verify_hmac(&inner, key, sizeof(key));
	OPENSSL_cleanse(key, sizeof(key));
	if (p != 0) {
		*why = "externalAccountBinding's MAC does not verify";
		goto out;
	}
	t1 = inner.payload ? jwk_thumbprint(inner.payload) : NULL;
	t2 = jwk_thumbprint(q->jws.jwk);
	if (!t1 || !t2 || strcmp(t1, t2)) {
		*why = "externalAccountBinding binds a different key";
		goto out;
	}
	*eab_out = eab;
	eab = NULL;
	rc = 0;
out:
	free(t1);
	free(t2);
	free(text);
	json_decref(eab);
	jws_release(&inner);
	return rc;
}

struct register_ctx {
	const char *id, *thumb;
	json_t *acct, *eab;
	char detail[300];
};

static int register_fn(store_txn *txn, void *vctx)
{
	struct register_ctx *c = vctx;
	struct store_audit a = {0};
	json_t *idx = json_pack("{s:s}", "account", c->id), *eab = NULL;
	int rc;

	if (!idx)
		return fail(EX_OSERR, "out of memory");
	if ((rc = acme_obj_put(txn, KIND_ACCOUNT, c->id, c->acct, 1)) ||
	    (rc = acme_obj_put(txn, KIND_THUMB, c->thumb, idx, 1)))
		goto out;
	if (c->eab) {
		const char *kid = json_string_value(json_object_get(c->eab, "kid"));

		/* read again inside the transaction: one key binds one account */
		if ((rc = acme_obj_txn_get(txn, KIND_EAB, kid, &eab)))
			goto out;
		if (!eab || json_is_string(json_object_get(eab, "account"))) {
			rc = fail(EX_TEMPFAIL, "EAB key %s was bound meanwhile", kid);
			goto out;
		}
		json_object_set_new(eab, "account", json_string(c->id));
		if ((rc = acme_obj_put(txn, KIND_EAB, kid, eab, 0)))
			goto out;
	}
	a.action = (char *)"acme account register";
	a.detail = c->detail;
	rc = store_txn_audit(txn, &a);
out:
	json_decref(idx);
	json_decref(eab);
	return rc;
}

void h_new_account(struct acme_req *q)
{
	struct register_ctx c = {0};
	char id[ACME_ID_LEN + 1], *thumb = NULL, *loc = NULL;
	json_t *idx = NULL, *existing = NULL, *pl, *binding;
	const char *why = NULL, *eid;
	int p;

	if (req_authenticate(q, 1) != 0)
		return;
	pl = q->jws.payload;
	if (!pl) {
		reply_problem(q, ACME_MALFORMED, "newAccount needs a JSON payload");
		goto out;
	}
	if (!(thumb = jwk_thumbprint(q->jws.jwk))) {
		reply_problem(q, ACME_BAD_PUBLIC_KEY, "cannot compute the key's thumbprint");
		goto out;
	}
	if (acme_obj_get(q->s->st, KIND_THUMB, thumb, &idx) != 0 ||
	    ((eid = json_string_value(json_object_get(idx, "account"))) &&
	     acme_obj_get(q->s->st, KIND_ACCOUNT, eid, &existing) != 0)) {
		reply_internal(q, "cannot read the accounts");
		goto out;
	}
	if (existing) {
		eid = json_string_value(json_object_get(existing, "id"));
		loc = url_of(q, "/acme/acct/%s", eid);
		if (strcmp(json_string_value(json_object_get(existing, "status")) ?: "", "valid")) {
			reply_problem(q, ACME_UNAUTHORIZED, "this key's account is deactivated");
			goto out;
		}
		reply_json(q, 200, wire_account(q, eid, existing), loc);
		goto out;
	}
	if (json_is_true(json_object_get(pl, "onlyReturnExisting"))) {
		reply_problem(q, ACME_ACCOUNT_DOES_NOT_EXIST, "no account has this key");
		goto out;
	}
	if (contacts_ok(json_object_get(pl, "contact"), &why) != 0) {
		reply_problem(q, ACME_UNSUPPORTED_CONTACT, "%s", why);
		goto out;
	}
	binding = json_object_get(pl, "externalAccountBinding");
	if (binding) {
		if ((p = check_eab(q, binding, &c.eab, &why))) {
			reply_problem(q, p, "%s", why);
			goto out;
		}
	} else if (q->s->o->eab_required) {
		reply_problem(q, ACME_EAB_REQUIRED, "this server needs external account binding: "
						    "ask its administrator for a key ('minica acme "
						    "account add')");
		goto out;
	}
	if (acme_id_new(id) != 0) {
		reply_problem(q, ACME_SERVER_INTERNAL, "cannot make an account id");
		goto out;
	}
	c.id = id;
	c.thumb = thumb;
	c.acct = json_pack("{s:s, s:s, s:o, s:s, s:O, s:s?, s:I}", "id", id, "status", "valid",
			   "jwk", jwk_public(q->jws.jwk), "thumbprint", thumb, "contact",
			   json_object_get(pl, "contact") ?: json_array(), "eab",
			   c.eab ? json_string_value(json_object_get(c.eab, "kid")) : NULL, "created",
			   (json_int_t)now_utc());
	snprintf(c.detail, sizeof(c.detail), "account=%s eab=%s key=%s", id,
		 c.eab ? json_string_value(json_object_get(c.eab, "kid")) : "none",
		 json_string_value(json_object_get(q->jws.jwk, "kty")) ?: "?");
	if (!c.acct || store_write(q->s->st, register_fn, &c) != 0) {
		reply_internal(q, "cannot store the account");
		goto out;
	}
	loc = url_of(q, "/acme/acct/%s", id);
	reply_json(q, 201, wire_account(q, id, c.acct), loc);
out:
	free(thumb);
	free(loc);
	json_decref(idx);
	json_decref(existing);
	json_decref(c.acct);
	json_decref(c.eab);
}

/* ---- an account's own URL: read, update the contacts, deactivate ---- */

struct update_ctx {
	const char *id;
	json_t *acct;
	int deactivate;
};

static int update_fn(store_txn *txn, void *vctx)
{
	struct update_ctx *c = vctx;
	struct store_audit a = {0};
	char detail[100];
	int rc;

	if ((rc = acme_obj_put(txn, KIND_ACCOUNT, c->id, c->acct, 0)) || !c->deactivate)
		return rc;
	snprintf(detail, sizeof(detail), "account=%s by its key", c->id);
	a.action = (char *)"acme account deactivate";
	a.detail = detail;
	return store_txn_audit(txn, &a);
}

static int own_account(struct acme_req *q, const char *id)
{
	if (strcmp(q->account_id, id)) {
		reply_problem(q, ACME_UNAUTHORIZED, "the request is signed by another account");
		return -1;
	}
	return 0;
}

void h_account(struct acme_req *q, const char *id)
{
	struct update_ctx c = {id, NULL, 0};
	json_t *pl, *status, *contact;
	const char *why = NULL;

	if (req_authenticate(q, 0) != 0 || own_account(q, id) != 0)
		return;
	pl = q->jws.payload;
	status = json_object_get(pl, "status");
	contact = json_object_get(pl, "contact");
	if (!status && !contact)
		return reply_json(q, 200, wire_account(q, id, q->account), NULL);
	if (status && strcmp(json_string_value(status) ?: "", "deactivated"))
		return reply_problem(q, ACME_MALFORMED, "an account's status can only become "
							"deactivated");
	if (contact && contacts_ok(contact, &why) != 0)
		return reply_problem(q, ACME_UNSUPPORTED_CONTACT, "%s", why);
	c.acct = q->account;
	c.deactivate = status != NULL;
	if (contact)
		json_object_set(c.acct, "contact", contact);
	if (status)
		json_object_set_new(c.acct, "status", json_string("deactivated"));
	if (store_write(q->s->st, update_fn, &c) != 0)
		return reply_internal(q, "cannot store the account");
	reply_json(q, 200, wire_account(q, id, c.acct), NULL);
}

struct orders_ctx {
	const struct acme_req *q;
	const char *account;
	json_t *urls;
};

static int order_of(const char *id, json_t *order, void *vctx)
{
	struct orders_ctx *c = vctx;
	char *u;

	if (strcmp(json_string_value(json_object_get(order, "account")) ?: "", c->account) ||
	    strcmp(order_status(order, now_utc()), "invalid") == 0)
		return 0;
	if (json_array_size(c->urls) >= 1000)
		return 1;
	if ((u = url_of(c->q, "/acme/order/%s", id)))
		json_array_append_new(c->urls, json_string(u));
	free(u);
	return 0;
}

void h_account_orders(struct acme_req *q, const char *id)
{
	struct orders_ctx c = {q, id, json_array()};

	if (req_authenticate(q, 0) != 0 || own_account(q, id) != 0) {
		json_decref(c.urls);
		return;
	}
	if (!c.urls || acme_obj_scan(q->s->st, KIND_ORDER, order_of, &c) != 0) {
		json_decref(c.urls);
		return reply_problem(q, ACME_SERVER_INTERNAL, "cannot list the orders");
	}
	reply_json(q, 200, json_pack("{s:o}", "orders", c.urls), NULL);
}

/* ---- keyChange (RFC 8555 7.3.5): the inner JWS by the new key ---- */

struct rekey_ctx {
	const char *id, *old_thumb, *new_thumb;
	json_t *acct;
};

static int rekey_fn(store_txn *txn, void *vctx)
{
	struct rekey_ctx *c = vctx;
	struct store_audit a = {0};
	json_t *idx = json_pack("{s:s}", "account", c->id);
	char detail[200], key[128];
	int rc;

	if (!idx)
		return fail(EX_OSERR, "out of memory");
	snprintf(key, sizeof(key), "%c/%s", KIND_THUMB, c->old_thumb);
	if ((rc = store_txn_acme_del(txn, key)) ||
	    (rc = acme_obj_put(txn, KIND_THUMB, c->new_thumb, idx, 1)) ||
	    (rc = acme_obj_put(txn, KIND_ACCOUNT, c->id, c->acct, 0)))
		goto out;
	snprintf(detail, sizeof(detail), "account=%s new key %s", c->id, c->new_thumb);
	a.action = (char *)"acme account key change";
	a.detail = detail;
	rc = store_txn_audit(txn, &a);
out:
	json_decref(idx);
	return rc;
}

void h_key_change(struct acme_req *q)
{
	struct jws inner;
	struct rekey_ctx c = {0};
	EVP_PKEY *newkey = NULL;
	json_t *idx = NULL;
	char *text = NULL, *thumb = NULL, *acct_url = NULL, *old_thumb = NULL;
	const char *why = NULL;
	int p;

	memset(&inner, 0, sizeof(inner));
	if (req_authenticate(q, 0) != 0)
		return;
	text = q->jws.payload ? json_dumps(q->jws.payload, JSON_COMPACT) : NULL;
	if (!text || (p = jws_parse(text, strlen(text), &inner, &why))) {
		reply_problem(q, ACME_MALFORMED, "keyChange's payload must be a JWS by the new key");
		goto out;
	}
	if (!inner.jwk || strcmp(inner.url, q->jws.url) || json_object_get(inner.header, "nonce")) {
		reply_problem(q, ACME_MALFORMED, "the inner JWS needs a jwk, the same url, no nonce");
		goto out;
	}
	if (jwk_to_pkey(inner.jwk, &newkey, &why) != 0) {
		reply_problem(q, ACME_BAD_PUBLIC_KEY, "%s", why);
		goto out;
	}
	if ((p = jws_verify(&inner, newkey, &why))) {
		reply_problem(q, p, "inner JWS: %s", why);
		goto out;
	}
	acct_url = url_of(q, "/acme/acct/%s", q->account_id);
	old_thumb = jwk_thumbprint(json_object_get(inner.payload, "oldKey"));
	thumb = jwk_thumbprint(inner.jwk);
	if (!acct_url || !thumb ||
	    strcmp(json_string_value(json_object_get(inner.payload, "account")) ?: "", acct_url) ||
	    !old_thumb ||
	    strcmp(old_thumb, json_string_value(json_object_get(q->account, "thumbprint")) ?: "")) {
		reply_problem(q, ACME_MALFORMED, "the inner payload must name this account and its "
						 "current key");
		goto out;
	}
	if (acme_obj_get(q->s->st, KIND_THUMB, thumb, &idx) != 0 || idx) {
		char *loc = url_of(q, "/acme/acct/%s",
				   json_string_value(json_object_get(idx, "account")) ?: "");

		reply_header(q, "Location", loc ? loc : "");
		free(loc);
		reply_problem(q, ACME_MALFORMED, "another account has this key already");
		goto out;
	}
	c.id = q->account_id;
	c.old_thumb = old_thumb;
	c.new_thumb = thumb;
	c.acct = q->account;
	json_object_set_new(c.acct, "jwk", jwk_public(inner.jwk));
	json_object_set_new(c.acct, "thumbprint", json_string(thumb));
	if (store_write(q->s->st, rekey_fn, &c) != 0) {
		reply_internal(q, "cannot store the new key");
		goto out;
	}
	reply_json(q, 200, wire_account(q, c.id, c.acct), NULL);
out:
	jws_release(&inner);
	EVP_PKEY_free(newkey);
	json_decref(idx);
	free(text);
	free(thumb);
	free(old_thumb);
	free(acct_url);
}
