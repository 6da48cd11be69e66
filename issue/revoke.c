/*
 * Revoking: records marked revoked with an RFC 5280 reason and an audit
 * entry each, several in one transaction (all of them or none). No output:
 * the caller reports what was revoked; the next CRL publishes it.
 */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "issue.h"

/* The names kept for the report: none after a transaction starts again. */
static void revocation_forget(struct revocation *r)
{
	size_t i, j;

	for (i = 0; i < r->n_done; i++) {
		for (j = 0; j < r->done[i].n_hosts; j++)
			free(r->done[i].hosts[j]);
		free(r->done[i].hosts);
	}
	r->n_done = 0;
}

struct revoke_ctx {
	const unsigned char (*serials)[STORE_SERIAL_LEN];
	size_t n;
	struct revocation *r;
};

static int revoke_one(store_txn *txn, struct revocation *c, const unsigned char *serial)
{
	struct store_record *rec = NULL;
	struct store_audit a = {0};
	char hex[2 * STORE_SERIAL_LEN + 1], when[TIME_BUF], detail[1024];
	size_t i, used;
	int rc;

	if ((rc = store_txn_get(txn, serial, &rec)))
		return rc;
	serial_hex(serial, hex);
	if (rec->status == STORE_REVOKED) {
		rc = fail(EX_DATAERR, "certificate %s (%s) was already revoked on %s (%s); nothing "
				      "was changed",
			  hex, rec->hosts[0], fmt_time(rec->revoked_at, when),
			  revoke_reason_name(rec->revoke_reason));
		store_record_free(rec);
		return rc;
	}
	used = (size_t)snprintf(detail, sizeof(detail), "reason=%s was=%s hosts=",
				revoke_reason_name(c->reason), record_status(rec, c->now));
	for (i = 0; i < rec->n_hosts && used < sizeof(detail); i++)
		used += (size_t)snprintf(detail + used, sizeof(detail) - used, "%s%s", i ? "," : "",
					 rec->hosts[i]);
	rec->status = STORE_REVOKED;
	rec->revoked_at = c->now;
	rec->revoke_reason = c->reason;
	rec->crl_listed_at = 0;
	a.action = (char *)"revoke";
	a.detail = detail;
	a.has_serial = 1;
	memcpy(a.serial, serial, STORE_SERIAL_LEN);
	if ((rc = store_txn_update(txn, rec)) || (rc = store_txn_audit(txn, &a))) {
		store_record_free(rec);
		return rc;
	}
	/* the report needs the names only: a bulk revocation keeps no whole records */
	memcpy(c->done[c->n_done].serial, serial, STORE_SERIAL_LEN);
	c->done[c->n_done].hosts = rec->hosts;
	c->done[c->n_done++].n_hosts = rec->n_hosts;
	rec->hosts = NULL;
	rec->n_hosts = 0;
	store_record_free(rec);
	return 0;
}

/* Runs inside the write transaction, and again from scratch if the map grows. */
static int revoke_fn(store_txn *txn, void *vctx)
{
	struct revoke_ctx *c = vctx;
	size_t i;
	int rc;

	revocation_forget(c->r);
	for (i = 0; i < c->n; i++)
		if ((rc = revoke_one(txn, c->r, c->serials[i])))
			return rc;
	return 0;
}

int revoke_serials(store *st, const unsigned char (*serials)[STORE_SERIAL_LEN], size_t n,
		   int reason, int64_t now, struct revocation *out)
{
	struct revoke_ctx c = {serials, n, out};

	memset(out, 0, sizeof(*out));
	out->reason = reason;
	out->now = now;
	if (!(out->done = calloc(n ? n : 1, sizeof(*out->done))))
		return fail(EX_OSERR, "out of memory");
	return store_write(st, revoke_fn, &c);
}

void revocation_release(struct revocation *r)
{
	revocation_forget(r);
	free(r->done);
	memset(r, 0, sizeof(*r));
}
