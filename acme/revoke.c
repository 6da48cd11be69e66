/*
 * revokeCert (RFC 8555 section 7.6): signed by the certificate's own key
 * (jwk), or by an account (kid) that ordered it or proved control of every
 * name in it. The record is revoked exactly as `minica revoke` does, with an audit
 * entry, and shows on the next `minica crl`.
 */
#include <string.h>

#include "server.h"

struct revoke_ctx {
	unsigned char serial[STORE_SERIAL_LEN];
	int reason;
	char detail[600];
	int already;
};

static int revoke_fn(store_txn *txn, void *vctx)
{
	struct revoke_ctx *c = vctx;
	struct store_record *rec = NULL;
	struct store_audit a = {0};
	int rc;

	c->already = 0;
	if ((rc = store_txn_get(txn, c->serial, &rec)))
		return rc;
	if (rec->status == STORE_REVOKED) {
		c->already = 1;
		store_record_free(rec);
		return fail(EX_DATAERR, "already revoked");
	}
	rec->status = STORE_REVOKED;
	rec->revoked_at = now_utc();
	rec->revoke_reason = c->reason;
	rec->crl_listed_at = 0;
	a.action = (char *)"revoke";
	a.detail = c->detail;
	a.has_serial = 1;
	memcpy(a.serial, c->serial, STORE_SERIAL_LEN);
	if ((rc = store_txn_update(txn, rec)) == 0)
		rc = store_txn_audit(txn, &a);
	store_record_free(rec);
	return rc;
}

/*
 * May the signing account revoke the record: it ordered it, or it holds a
 * valid, unexpired authorization for every name in it (it proved control of
 * them, as Boulder asks). The names an EAB key or the default domain would
 * let it order are no proof: under --eab optional anyone may open an account.
 */
static int account_may(struct acme_req *q, const struct store_record *rec, const char *hex)
{
	json_t *link = NULL;
	int64_t now = now_utc();
	size_t i;
	int ok = 0;

	if (acme_obj_get(q->s->st, KIND_CERT, hex, &link) == 0 && link &&
	    !strcmp(json_string_value(json_object_get(link, "account")) ?: "", q->account_id))
		ok = 1;
	json_decref(link);
	if (ok)
		return 1;
	if (rec->n_hosts == 0)
		return 0;
	for (i = 0; i < rec->n_hosts; i++)
		if (authz_proves(q->s->st, q->account_id, rec->hosts[i], now) != 1)
			return 0;
	return 1;
}

void h_revoke(struct acme_req *q)
{
	struct revoke_ctx c = {{0}, 0, "", 0};
	struct store_record *rec = NULL;
	json_t *cert = NULL, *reason;
	unsigned char *der = NULL;
	size_t der_len = 0;
	X509 *x = NULL;
	char hex[2 * STORE_SERIAL_LEN + 1];
	int r;

	if (req_authenticate(q, 2) != 0)
		return;
	cert = json_object_get(q->jws.payload, "certificate");
	if (!json_is_string(cert) ||
	    b64url_decode(json_string_value(cert), json_string_length(cert), &der, &der_len) != 0 ||
	    x509_from_der(der, der_len, &x) != 0 || serial_get(x, c.serial) != 0) {
		reply_problem(q, ACME_MALFORMED, "certificate must be base64url of a DER certificate");
		goto out;
	}
	serial_hex(c.serial, hex);
	if (store_get(q->s->st, c.serial, &rec) != 0 || rec->cert_len != der_len ||
	    memcmp(rec->cert, der, der_len)) {
		reply_problem(q, ACME_NOT_FOUND, "this certificate was not issued by this CA");
		goto out;
	}
	reason = json_object_get(q->jws.payload, "reason");
	r = reason ? (int)json_integer_value(reason) : 0;
	if (reason && (!json_is_integer(reason) ||
		       !(r == 0 || r == 1 || r == 3 || r == 4 || r == 5 || r == 9))) {
		reply_problem(q, ACME_BAD_REVOCATION_REASON, "reason must be 0, 1, 3, 4, 5 or 9 "
							     "(RFC 5280)");
		goto out;
	}
	c.reason = r;
	if (q->jws.jwk ? EVP_PKEY_eq(q->key, X509_get0_pubkey(x)) != 1 : !account_may(q, rec, hex)) {
		reply_problem(q, ACME_UNAUTHORIZED, "%s", q->jws.jwk ? "the request is not signed by "
									"the certificate's key"
								      : "this account may not revoke "
									"this certificate");
		goto out;
	}
	snprintf(c.detail, sizeof(c.detail), "reason=%s via acme %s%s hosts=%s",
		 revoke_reason_name(r), q->jws.jwk ? "by the certificate's key" : "account=",
		 q->jws.jwk ? "" : q->account_id, rec->hosts[0]);
	if (store_write(q->s->st, revoke_fn, &c) != 0) {
		if (c.already)
			reply_problem(q, ACME_ALREADY_REVOKED, "certificate %s is revoked already", hex);
		else
			reply_internal(q, "cannot revoke");
		goto out;
	}
	if (!g_opts.quiet)
		notice("serve: revoked %s (%s)", hex, rec->hosts[0]);
	reply_raw(q, 200, NULL, NULL, 0, NULL);
out:
	free(der);
	X509_free(x);
	store_record_free(rec);
}
