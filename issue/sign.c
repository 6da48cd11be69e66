/*
 * Signing a certificate request made elsewhere: the request only proposes
 * names, each checked like --host; the subject is rebuilt from them and the
 * template decides every extension. No output: the caller (minica sign, or
 * a server) reports what was signed. The store keeps no key for these
 * certificates: it stayed on the server that made the request.
 */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "issue.h"

int csr_signing_prepare(struct csr_signing *sg, const unsigned char *data, size_t len,
			const struct template *tpl, const struct ca *ca)
{
	struct csr_names names = {{0}, 0};
	int rc;

	if ((rc = csr_decode_named(sg->label, data, len, &sg->req)) ||
	    (rc = csr_check(sg->label, sg->req, tpl->min_rsa_bits)) ||
	    (rc = csr_names_get(sg->label, sg->req, &names)))
		goto out;
	rc = hosts_resolve(names.names, names.n, ca, tpl->wildcard, &sg->hosts);
out:
	csr_names_free(&names);
	return rc;
}

int csr_signing_build(struct csr_signing *sg, const struct ca *ca, const struct template *tpl,
		      long days)
{
	struct leaf_spec spec = {0};
	char kd[32];
	size_t i, used;
	int rc;

	spec.hosts = &sg->hosts;
	spec.tpl = tpl;
	spec.days = days;
	spec.key = X509_REQ_get0_pubkey(sg->req); /* only its public part is used */
	if ((rc = serial_random(spec.serial)) || (rc = leaf_build(ca, &spec, &sg->leaf)) ||
	    (rc = leaf_record(ca, tpl, sg->leaf, &sg->hosts, &sg->rec)))
		return rc;
	used = (size_t)snprintf(sg->detail, sizeof(sg->detail), "template=%s csr=%s key=%s hosts=",
				tpl->name, printable(sg->source), key_describe(spec.key, kd));
	for (i = 0; i < sg->hosts.n && used < sizeof(sg->detail); i++)
		used += (size_t)snprintf(sg->detail + used, sizeof(sg->detail) - used, "%s%s",
					 i ? "," : "", sg->hosts.names[i]);
	return 0;
}

struct insert_ctx {
	struct csr_signing *const *all;
	size_t n;
};

int csr_signing_insert(store_txn *txn, const struct csr_signing *sg)
{
	struct store_audit a = {0};
	int rc;

	if ((rc = store_txn_insert(txn, &sg->rec)))
		return rc;
	a.action = (char *)"sign";
	a.detail = (char *)sg->detail;
	a.has_serial = 1;
	memcpy(a.serial, sg->rec.serial, STORE_SERIAL_LEN);
	return store_txn_audit(txn, &a);
}

static int insert_fn(store_txn *txn, void *vctx)
{
	struct insert_ctx *ctx = vctx;
	size_t i;
	int rc;

	for (i = 0; i < ctx->n; i++)
		if ((rc = csr_signing_insert(txn, ctx->all[i])))
			return rc;
	return 0;
}

int csr_signing_commit(store *st, struct csr_signing *const *all, size_t n)
{
	struct insert_ctx ctx = {all, n};

	return store_write(st, insert_fn, &ctx);
}

int issue_sign_csr(store *st, struct ca *ca, const struct template *tpl, long days,
		   const unsigned char *data, size_t len, struct csr_signing *sg)
{
	struct csr_signing *one[1] = {sg};
	int rc;

	if ((rc = csr_signing_prepare(sg, data, len, tpl, ca)) || (rc = ca_unlock(ca)) ||
	    (rc = csr_signing_build(sg, ca, tpl, days)))
		return rc;
	return csr_signing_commit(st, one, 1);
}

void csr_signing_release(struct csr_signing *sg)
{
	size_t i;

	X509_REQ_free(sg->req);
	hostlist_free(&sg->hosts);
	X509_free(sg->leaf);
	free(sg->rec.cert);
	for (i = 0; i < sg->rec.n_hosts; i++)
		free(sg->rec.hosts[i]);
	free(sg->rec.hosts);
	free(sg->rec.template_name);
	memset(sg, 0, sizeof(*sg));
}
