/* The server's objects as clients see them (RFC 8555 section 7.1). */
#include <string.h>

#include "server.h"

static void set_time(json_t *o, const char *name, json_t *from)
{
	char when[TIME_BUF];

	if (json_is_integer(from)) {
		iso_time(json_integer_value(from), when);
		json_object_set_new(o, name, json_string(when));
	}
}

json_t *wire_account(const struct acme_req *q, const char *id, json_t *acct)
{
	json_t *o = json_object();
	char *orders = url_of(q, "/acme/acct/%s/orders", id);
	const char *eab = json_string_value(json_object_get(acct, "eab"));

	if (!o || !orders) {
		json_decref(o);
		free(orders);
		return NULL;
	}
	json_object_set(o, "status", json_object_get(acct, "status"));
	json_object_set(o, "contact", json_object_get(acct, "contact") ?: json_array());
	json_object_set_new(o, "orders", json_string(orders));
	if (eab)
		json_object_set_new(o, "externalAccountBinding", json_pack("{s:s}", "kid", eab));
	free(orders);
	return o;
}

const char *order_status(json_t *order, int64_t now)
{
	const char *st = json_string_value(json_object_get(order, "status"));

	if (!st)
		return "invalid";
	if ((!strcmp(st, "pending") || !strcmp(st, "ready")) &&
	    json_integer_value(json_object_get(order, "expires")) <= now)
		return "invalid";
	return st;
}

json_t *wire_order(const struct acme_req *q, const char *id, json_t *order)
{
	json_t *o = json_object(), *authz = json_array(), *v;
	const char *cert = json_string_value(json_object_get(order, "certificate"));
	char *fin = url_of(q, "/acme/order/%s/finalize", id), *u;
	size_t i;

	if (!o || !authz || !fin)
		goto fail;
	json_object_set_new(o, "status", json_string(order_status(order, now_utc())));
	set_time(o, "expires", json_object_get(order, "expires"));
	json_object_set(o, "identifiers", json_object_get(order, "identifiers"));
	json_array_foreach(json_object_get(order, "authz"), i, v) {
		if (!(u = url_of(q, "/acme/authz/%s", json_string_value(v))))
			goto fail;
		json_array_append_new(authz, json_string(u));
		free(u);
	}
	json_object_set_new(o, "authorizations", authz);
	authz = NULL;
	json_object_set_new(o, "finalize", json_string(fin));
	if (cert) {
		if (!(u = url_of(q, "/acme/cert/%s", cert)))
			goto fail;
		json_object_set_new(o, "certificate", json_string(u));
		free(u);
	}
	if (json_object_get(order, "error"))
		json_object_set(o, "error", json_object_get(order, "error"));
	free(fin);
	return o;
fail:
	free(fin);
	json_decref(authz);
	json_decref(o);
	return NULL;
}

json_t *wire_challenge(const struct acme_req *q, const char *authz_id, size_t index,
		       json_t *chall)
{
	char *url = url_of(q, "/acme/chall/%s/%zu", authz_id, index), key[ACME_ID_LEN + 8];
	json_t *o = json_object();
	const char *status = json_string_value(json_object_get(chall, "status"));

	if (!o || !url) {
		free(url);
		json_decref(o);
		return NULL;
	}
	snprintf(key, sizeof(key), "%s/%zu", authz_id, index);
	if (status && !strcmp(status, "pending") && inflight_has(q->s->validating, key))
		status = "processing";
	json_object_set(o, "type", json_object_get(chall, "type"));
	json_object_set_new(o, "url", json_string(url));
	json_object_set_new(o, "status", json_string(status ? status : "invalid"));
	json_object_set(o, "token", json_object_get(chall, "token"));
	set_time(o, "validated", json_object_get(chall, "validated"));
	if (json_object_get(chall, "error"))
		json_object_set(o, "error", json_object_get(chall, "error"));
	free(url);
	return o;
}

json_t *wire_authz(const struct acme_req *q, const char *id, json_t *authz)
{
	json_t *o = json_object(), *ch = json_array(), *v;
	const char *st = json_string_value(json_object_get(authz, "status"));
	size_t i;

	if (!o || !ch) {
		json_decref(o);
		json_decref(ch);
		return NULL;
	}
	if (st && !strcmp(st, "pending") &&
	    json_integer_value(json_object_get(authz, "expires")) <= now_utc())
		st = "expired";
	json_object_set_new(o, "status", json_string(st ? st : "invalid"));
	set_time(o, "expires", json_object_get(authz, "expires"));
	json_object_set(o, "identifier", json_object_get(authz, "identifier"));
	json_array_foreach(json_object_get(authz, "challenges"), i, v)
		json_array_append_new(ch, wire_challenge(q, id, i, v));
	json_object_set_new(o, "challenges", ch);
	if (json_is_true(json_object_get(authz, "wildcard")))
		json_object_set_new(o, "wildcard", json_true());
	return o;
}
