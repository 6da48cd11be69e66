/*
 * --max-pending-authz: how many pending authorizations each account holds,
 * so that one account cannot fill the store (and the validators) with
 * orders it never completes (RFC 8555 section 6.6: rateLimited with
 * Retry-After). The signer counts what each new order adds; the count only
 * goes up, so when it would pass the cap the store is read again (every
 * unexpired pending authorization of the account) before a refusal. Once a
 * reading finds the account over the cap, it is refused without another for
 * RESCAN_SECONDS. A client that orders and validates at once is read again
 * every --max-pending-authz names: one scan of the authorizations then.
 */
#include <string.h>

#include "server.h"

#define RESCAN_SECONDS 10

struct count_ctx {
	const char *account;
	int64_t now;
	long n;
};

static int count_one(const char *id, json_t *authz, void *vctx)
{
	struct count_ctx *c = vctx;

	(void)id;
	if (!strcmp(json_string_value(json_object_get(authz, "account")) ?: "", c->account) &&
	    !strcmp(json_string_value(json_object_get(authz, "status")) ?: "", "pending") &&
	    json_integer_value(json_object_get(authz, "expires")) > c->now)
		c->n++;
	return 0;
}

long pending_authz_admit(struct srv *s, const char *account, size_t more)
{
	json_t *e;
	int64_t now = now_utc();
	long n, scanned, over;

	if (!s->pending_authz && !(s->pending_authz = json_object()))
		return 0; /* no memory to count: the cap is not kept, the order is */
	e = json_object_get(s->pending_authz, account);
	n = e ? (long)json_integer_value(json_array_get(e, 0)) : 0;
	scanned = e ? (long)json_integer_value(json_array_get(e, 1)) : 0;
	over = e ? (long)json_integer_value(json_array_get(e, 2)) : 0;
	if (n + (long)more <= s->o->max_pending_authz)
		return 0;
	if (!over || now - scanned >= RESCAN_SECONDS) {
		struct count_ctx c = {account, now, 0};

		if (acme_obj_scan(s->st, KIND_AUTHZ, count_one, &c) != 0)
			return 0; /* unread: let it pass rather than refuse on a guess */
		n = c.n;
		over = n + (long)more > s->o->max_pending_authz;
		json_object_set_new(s->pending_authz, account,
				    json_pack("[I, I, I]", (json_int_t)n, (json_int_t)now,
					      (json_int_t)over));
		if (!over)
			return 0;
		scanned = now;
	}
	return RESCAN_SECONDS - (long)(now - scanned) > 0 ? RESCAN_SECONDS - (long)(now - scanned)
							 : 1;
}

void pending_authz_added(struct srv *s, const char *account, size_t more)
{
	json_t *e = s->pending_authz ? json_object_get(s->pending_authz, account) : NULL;

	if (!s->pending_authz)
		return;
	if (!e)
		json_object_set_new(s->pending_authz, account,
				    json_pack("[I, I, I]", (json_int_t)more, (json_int_t)0,
					      (json_int_t)0));
	else
		json_array_set_new(e, 0, json_integer(json_integer_value(json_array_get(e, 0)) +
						      (json_int_t)more));
}
