/*
 * Renewing: which certificates may be renewed, with what, and which are
 * due. The new certificate itself is made by the issuing path
 * (issuer_issue with the old record), in the same transaction that marks
 * the old one superseded.
 */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "issue.h"

/* The same kind of key as before, when it is one that minica makes. */
const char *renew_key_type(const struct store_record *rec, char buf[16])
{
	X509 *cert = NULL;
	EVP_PKEY *pub;
	char group[32];
	const char *out = NULL;

	if (x509_from_der(rec->cert, rec->cert_len, &cert) != 0)
		return NULL;
	pub = X509_get0_pubkey(cert);
	if (pub && EVP_PKEY_is_a(pub, "RSA")) {
		snprintf(buf, 16, "rsa:%d", EVP_PKEY_get_bits(pub));
		out = buf;
	} else if (pub && EVP_PKEY_is_a(pub, "EC") &&
		   EVP_PKEY_get_group_name(pub, group, sizeof(group), NULL)) {
		if (!strcmp(group, "prime256v1") || !strcmp(group, "P-256"))
			out = "ec:P-256";
		else if (!strcmp(group, "secp384r1") || !strcmp(group, "P-384"))
			out = "ec:P-384";
	}
	X509_free(cert);
	if (out && out != buf) {
		snprintf(buf, 16, "%s", out);
		out = buf;
	}
	if (out) {
		struct keyspec ks;

		if (keyspec_parse(out, &ks))
			out = NULL;
	}
	return out;
}

/* 0 when this certificate can be renewed, else the reason (one line) and its exit code. */
int renew_refusal(const struct store_record *rec)
{
	char serial[2 * STORE_SERIAL_LEN + 1], other[2 * STORE_SERIAL_LEN + 1];
	const char *host = rec->n_hosts ? rec->hosts[0] : "?";

	serial_hex(rec->serial, serial);
	serial_hex(rec->successor, other);
	if (rec->status == STORE_REVOKED)
		return fail(EX_DATAERR, "certificate %s (%s) is revoked: a revoked certificate is not "
					"renewed; issue a new one with 'minica issue --host %s'",
			    serial, host, host);
	if (rec->status == STORE_SUPERSEDED && !rec->has_successor)
		return fail(EX_DATAERR, "certificate %s (%s) is superseded: renew the newest certificate "
					"for its names ('minica renew --host %s')",
			    serial, host, host);
	if (rec->status == STORE_SUPERSEDED || rec->has_successor)
		return fail(EX_DATAERR, "certificate %s (%s) was already renewed by %s; renew that one "
					"('minica renew --serial %s')",
			    serial, host, other, other);
	if (!rec->key)
		return fail(EX_NOINPUT, "certificate %s (%s) was signed from a CSR: the server keeps its "
					"key, so renewing needs a new CSR ('minica sign --csr FILE "
					"--template %s')",
			    serial, host, rec->template_name);
	return 0;
}

int renew_issuer_init(struct issuer *is, store *st, struct ca *ca,
		      const struct store_record *rec, const struct issue_options *o, char ktype[16])
{
	struct issue_options mine = *o;

	mine.template_name = rec->template_name;
	if (!mine.key)
		mine.key = renew_key_type(rec, ktype);
	return issuer_init(is, st, ca, &mine);
}

struct collect_ctx {
	struct store_record **recs;
	size_t n;
	int64_t now;
	unsigned long expired;
};

static int collect(const struct store_record *rec, void *vctx)
{
	struct collect_ctx *c = vctx;
	struct store_record **grown;

	if (rec->status != STORE_VALID || rec->has_successor || rec->not_after <= c->now)
		return 0;
	grown = realloc(c->recs, (c->n + 1) * sizeof(*grown));
	if (!grown)
		return fail(EX_OSERR, "out of memory");
	c->recs = grown;
	if (!(c->recs[c->n] = store_record_dup(rec)))
		return fail(EX_OSERR, "out of memory");
	c->n++;
	return 0;
}

static int count_expired(const struct store_record *rec, void *vctx)
{
	struct collect_ctx *c = vctx;

	if (rec->status == STORE_VALID && !rec->has_successor)
		c->expired++;
	return 0;
}

int renew_due_find(store *st, int64_t now, long days, struct renew_due *out)
{
	struct collect_ctx c = {NULL, 0, now, 0};
	int rc;

	if ((rc = store_scan_expiry(st, now + 1, now + days * 86400, collect, &c)) ||
	    (rc = store_scan_expiry(st, INT64_MIN, now, count_expired, &c))) {
		struct renew_due partial = {c.recs, c.n, 0};

		renew_due_release(&partial);
		return rc;
	}
	out->recs = c.recs;
	out->n = c.n;
	out->expired = c.expired;
	return 0;
}

void renew_due_release(struct renew_due *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		store_record_free(d->recs[i]);
	free(d->recs);
	memset(d, 0, sizeof(*d));
}
