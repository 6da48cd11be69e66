/*
 * newOrder, orders, authorizations and challenges. An order holds one
 * authorization per name; each authorization offers http-01, dns-01 and
 * tls-alpn-01 (a wildcard only dns-01). A challenge POST starts its validation
 * (validate.c), whose result is written back with the authorization and, once
 * every authorization is valid, the order (ready) in one transaction.
 */
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

#define ORDER_MAX_NAMES 100

static json_t *new_challenge(const char *type)
{
	unsigned char raw[32];
	char *token;
	json_t *c;

	if (RAND_bytes(raw, sizeof(raw)) != 1 || !(token = b64url_encode(raw, sizeof(raw))))
		return NULL;
	c = json_pack("{s:s, s:s, s:s}", "type", type, "token", token, "status", "pending");
	free(token);
	return c;
}

static json_t *new_authz(const char *account, const char *order, const char *name, int wildcard,
			 int64_t expires)
{
	json_t *a = json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:I, s:b, s:[]}", "account", account,
			      "order", order, "identifier", "type", "dns", "value",
			      wildcard ? name + 2 : name, "status", "pending", "expires",
			      (json_int_t)expires, "wildcard", wildcard, "challenges");
	json_t *ch = json_object_get(a, "challenges");

	if (!a)
		return NULL;
	if (!wildcard)
		json_array_append_new(ch, new_challenge("http-01"));
	json_array_append_new(ch, new_challenge("dns-01"));
	if (!wildcard)
		json_array_append_new(ch, new_challenge("tls-alpn-01"));
	return a;
}

struct order_ctx {
	const char *id;
	json_t *order, *authz; /* authz: id -> object */
	char detail[1024];
};

static int order_fn(store_txn *txn, void *vctx)
{
	struct order_ctx *c = vctx;
	const char *aid;
	json_t *a;
	int rc;

	if ((rc = acme_obj_put(txn, KIND_ORDER, c->id, c->order, 1)))
		return rc;
	json_object_foreach(c->authz, aid, a)
		if ((rc = acme_obj_put(txn, KIND_AUTHZ, aid, a, 1)))
			return rc;
	return 0;
}

/* The account's suffixes (EAB) or NULL (the store's default domain); -1 on failure. */
static int account_suffixes(struct acme_req *q, json_t **suffixes)
{
	const char *kid = json_string_value(json_object_get(q->account, "eab"));
	json_t *eab = NULL;

	*suffixes = NULL;
	if (!kid)
		return 0;
	if (acme_obj_get(q->s->st, KIND_EAB, kid, &eab) != 0 || !eab)
		return -1;
	*suffixes = json_incref(json_object_get(eab, "names"));
	json_decref(eab);
	return 0;
}

void h_new_order(struct acme_req *q)
{
	struct order_ctx c = {0};
	char id[ACME_ID_LEN + 1], aid[ACME_ID_LEN + 1], *loc = NULL;
	json_t *ids, *v, *names = json_array(), *suffixes = NULL, *authz_ids = json_array();
	const char *why;
	int64_t expires = now_utc() + ACME_ORDER_LIFETIME;
	size_t i, used = 0;
	long retry;
	char retry_text[24];

	c.authz = json_object();
	if (req_authenticate(q, 0) != 0)
		goto out;
	ids = json_object_get(q->jws.payload, "identifiers");
	if (!json_is_array(ids) || !json_array_size(ids) || json_array_size(ids) > ORDER_MAX_NAMES) {
		reply_problem(q, ACME_MALFORMED, "an order needs 1 to %d identifiers", ORDER_MAX_NAMES);
		goto out;
	}
	if (json_object_get(q->jws.payload, "notBefore") || json_object_get(q->jws.payload, "notAfter")) {
		reply_problem(q, ACME_MALFORMED, "notBefore and notAfter are not supported: the "
						 "template decides the validity");
		goto out;
	}
	if (account_suffixes(q, &suffixes) != 0) {
		reply_problem(q, ACME_UNAUTHORIZED, "the account's key is gone");
		goto out;
	}
	if (acme_id_new(id) != 0) {
		reply_problem(q, ACME_SERVER_INTERNAL, "cannot make an id");
		goto out;
	}
	used = (size_t)snprintf(c.detail, sizeof(c.detail), "order=%s account=%s names=", id,
				q->account_id);
	json_array_foreach(ids, i, v) {
		const char *type = json_string_value(json_object_get(v, "type"));
		const char *value = json_string_value(json_object_get(v, "value"));
		char *norm = NULL;
		int is_ip = 0, wildcard;

		if (!type || !value) {
			reply_problem(q, ACME_MALFORMED, "an identifier needs a type and a value");
			goto out;
		}
		if (!strcmp(type, "ip")) {
			reply_problem(q, ACME_UNSUPPORTED_IDENTIFIER, "%s: this server does not issue "
								      "for IP addresses (identifier "
								      "type ip)",
				      printable(value));
			goto out;
		}
		if (strcmp(type, "dns")) {
			reply_problem(q, ACME_UNSUPPORTED_IDENTIFIER, "identifier type '%s' is not "
								      "supported",
				      printable(type));
			goto out;
		}
		if (host_check(value, 1, &norm, &is_ip) != 0 || is_ip || !strchr(norm, '.')) {
			free(norm);
			reply_problem(q, ACME_REJECTED_IDENTIFIER, "%s: %s", printable(value),
				      strchr(value, '_') ? "'_' is not allowed in a host name (letters, "
							   "digits, '-' and dots only)"
				      : is_ip	 ? "an IP address, not a host name (this server "
							   "issues for DNS names only)"
						 : "not a fully qualified host name");
			goto out;
		}
		if ((why = acme_name_refused(&q->s->ca, suffixes, norm))) {
			reply_problem(q, ACME_REJECTED_IDENTIFIER, "%s %s", norm, why);
			free(norm);
			goto out;
		}
		wildcard = norm[0] == '*';
		if (acme_id_new(aid) != 0 ||
		    json_object_set_new(c.authz, aid, new_authz(q->account_id, id, norm, wildcard,
								 expires)) != 0) {
			free(norm);
			reply_problem(q, ACME_SERVER_INTERNAL, "out of memory");
			goto out;
		}
		json_array_append_new(authz_ids, json_string(aid));
		json_array_append_new(names, json_pack("{s:s, s:s}", "type", "dns", "value", norm));
		if (used < sizeof(c.detail))
			used += (size_t)snprintf(c.detail + used, sizeof(c.detail) - used, "%s%s",
						 i ? "," : "", norm);
		free(norm);
	}
	if ((retry = pending_authz_admit(q->s, q->account_id, json_array_size(authz_ids)))) {
		snprintf(retry_text, sizeof(retry_text), "%ld", retry);
		reply_header(q, "Retry-After", retry_text);
		reply_problem(q, ACME_RATE_LIMITED, "this account has %ld or more pending "
						    "authorizations (--max-pending-authz); complete "
						    "or deactivate them, or let them expire",
			      q->s->o->max_pending_authz);
		goto out;
	}
	c.id = id;
	c.order = json_pack("{s:s, s:s, s:s, s:I, s:O, s:O, s:I}", "id", id, "account",
			    q->account_id, "status", "pending", "expires", (json_int_t)expires,
			    "identifiers", names, "authz", authz_ids, "created", (json_int_t)now_utc());
	if (!c.order || store_write(q->s->st, order_fn, &c) != 0) {
		reply_internal(q, "cannot store the order");
		goto out;
	}
	pending_authz_added(q->s, q->account_id, json_array_size(authz_ids));
	loc = url_of(q, "/acme/order/%s", id);
	reply_json(q, 201, wire_order(q, id, c.order), loc);
out:
	free(loc);
	json_decref(names);
	json_decref(authz_ids);
	json_decref(suffixes);
	json_decref(c.order);
	json_decref(c.authz);
}

/* An object of the signing account, or a reply (404 / 403) and NULL. */
static json_t *owned(struct acme_req *q, int kind, const char *id, const char *what)
{
	json_t *obj = NULL;

	if (acme_obj_get(q->s->st, kind, id, &obj) != 0) {
		reply_internal(q, what[0] == 'o' ? "cannot read the order"
						 : "cannot read the authorization");
		return NULL;
	}
	if (!obj) {
		reply_problem(q, ACME_NOT_FOUND, "no such %s", what);
		return NULL;
	}
	if (strcmp(json_string_value(json_object_get(obj, "account")) ?: "", q->account_id)) {
		json_decref(obj);
		reply_problem(q, ACME_UNAUTHORIZED, "this %s belongs to another account", what);
		return NULL;
	}
	return obj;
}

void h_order(struct acme_req *q, const char *id)
{
	json_t *order;
	const char *st;

	if (req_authenticate(q, 0) != 0 || !(order = owned(q, KIND_ORDER, id, "order")))
		return;
	st = order_status(order, now_utc());
	if (!strcmp(st, "processing") || inflight_has(q->s->finalizing, id))
		reply_header(q, "Retry-After", "1");
	reply_json(q, 200, wire_order(q, id, order), NULL);
	json_decref(order);
}

struct deactivate_ctx {
	const char *id;
	json_t *authz;
};

static int authz_put_fn(store_txn *txn, void *vctx)
{
	struct deactivate_ctx *c = vctx;

	return acme_obj_put(txn, KIND_AUTHZ, c->id, c->authz, 0);
}

void h_authz(struct acme_req *q, const char *id)
{
	struct deactivate_ctx c = {id, NULL};
	json_t *status;
	char up[400];

	if (req_authenticate(q, 0) != 0 || !(c.authz = owned(q, KIND_AUTHZ, id, "authorization")))
		return;
	status = json_object_get(q->jws.payload, "status");
	if (status) {
		if (strcmp(json_string_value(status) ?: "", "deactivated")) {
			json_decref(c.authz);
			return reply_problem(q, ACME_MALFORMED, "an authorization's status can only "
								"become deactivated");
		}
		json_object_set_new(c.authz, "status", json_string("deactivated"));
		if (store_write(q->s->st, authz_put_fn, &c) != 0) {
			json_decref(c.authz);
			return reply_internal(q, "cannot store the authorization");
		}
	}
	if (!strcmp(json_string_value(json_object_get(c.authz, "status")) ?: "", "pending"))
		reply_header(q, "Retry-After", "2");
	snprintf(up, sizeof(up), "<%s/acme/order/%s>;rel=\"up\"", q->base,
		 json_string_value(json_object_get(c.authz, "order")) ?: "");
	reply_header(q, "Link", up);
	reply_json(q, 200, wire_authz(q, id, c.authz), NULL);
	json_decref(c.authz);
}

void h_challenge(struct acme_req *q, const char *authz_id, const char *index)
{
	json_t *authz, *chall;
	char up[400], key[ACME_ID_LEN + 8], why[200];
	const char *cst, *ast, *thumb;
	char *end;
	long i = strtol(index, &end, 10);

	if (req_authenticate(q, 0) != 0 || !(authz = owned(q, KIND_AUTHZ, authz_id, "authorization")))
		return;
	chall = *end || i < 0 ? NULL : json_array_get(json_object_get(authz, "challenges"), (size_t)i);
	if (!chall) {
		json_decref(authz);
		return reply_problem(q, ACME_NOT_FOUND, "no such challenge");
	}
	snprintf(up, sizeof(up), "<%s/acme/authz/%s>;rel=\"up\"", q->base, authz_id);
	reply_header(q, "Link", up);
	cst = json_string_value(json_object_get(chall, "status")) ?: "";
	ast = json_string_value(json_object_get(authz, "status")) ?: "";
	snprintf(key, sizeof(key), "%s/%ld", authz_id, i);
	/* a POST with a payload ({}) asks for validation; POST-as-GET only reads */
	if (q->jws.payload && !strcmp(cst, "pending") && !strcmp(ast, "pending") &&
	    !inflight_has(q->s->validating, key)) {
		if (json_integer_value(json_object_get(authz, "expires")) <= now_utc()) {
			json_decref(authz);
			return reply_problem(q, ACME_MALFORMED, "the authorization has expired");
		}
		if (validate_busy(q->s, q->account_id, why, sizeof(why))) {
			json_decref(authz);
			reply_header(q, "Retry-After", "5");
			return reply_problem(q, ACME_RATE_LIMITED, "%s", why);
		}
		thumb = json_string_value(json_object_get(q->account, "thumbprint"));
		if (!thumb || validate_start(q->s, authz_id, (size_t)i, authz, thumb) != 0) {
			json_decref(authz);
			return reply_problem(q, ACME_SERVER_INTERNAL, "cannot start the validation");
		}
	}
	if (inflight_has(q->s->validating, key))
		reply_header(q, "Retry-After", "1");
	reply_json(q, 200, wire_challenge(q, authz_id, (size_t)i, chall), NULL);
	json_decref(authz);
}
