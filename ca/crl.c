/*
 * Revocation reasons and certificate revocation lists.
 *
 * A CRL is built, numbered and signed inside one write transaction: the
 * CRL number in the store's meta table is read and incremented there, and
 * the records listed for the first time are marked (crl_listed_at) in the
 * same commit, so the number, the marks and the signed list always agree.
 *
 * RFC 5280 3.3: "An entry MUST NOT be removed from the CRL until it appears
 * on one regularly scheduled CRL issued beyond the revoked certificate's
 * validity period." Every CRL lists every revoked certificate that has not
 * been dropped, so a certificate that a CRL has listed (crl_listed_at set)
 * has appeared on a CRL beyond its validity as soon as the previous CRL was
 * issued after its notAfter: only then is it dropped.
 */
#include <errno.h>
#include <inttypes.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ca.h"
#include "common/common.h"

/*
 * RFC 5280 5.3.1 CRLReason values that make sense for a leaf that minica
 * revokes for good. certificateHold (6) is a temporary revocation that is
 * lifted with removeFromCRL (8, delta CRLs only): minica does not un-revoke.
 * cACompromise (2) would be announced by a CRL signed with the compromised
 * key itself; aACompromise (10) is for attribute authorities.
 */
static const struct {
	const char *name;
	int code;
	const char *refused;
} reasons[] = {
	{"unspecified", 0, NULL},
	{"keyCompromise", 1, NULL},
	{"cACompromise", 2,
	 "a CRL signed with a compromised CA key proves nothing: create a new CA ('minica init' "
	 "in another store) and re-issue"},
	{"affiliationChanged", 3, NULL},
	{"superseded", 4, NULL},
	{"cessationOfOperation", 5, NULL},
	{"certificateHold", 6,
	 "revocation in minica is permanent (no hold and release); revoke with another reason"},
	{"removeFromCRL", 8,
	 "revocation in minica is permanent, and removeFromCRL is only meaningful in delta CRLs"},
	{"privilegeWithdrawn", 9, NULL},
	{"aACompromise", 10, "aACompromise applies to attribute certificates, not to minica's"},
};

int crl_reason_parse(const char *name, int *code, const char **refused)
{
	size_t i;

	*refused = NULL;
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		if (strcasecmp(name, reasons[i].name))
			continue;
		*code = reasons[i].code;
		*refused = reasons[i].refused;
		return reasons[i].refused ? -1 : 0;
	}
	return -1;
}

const char *crl_reason_list(void)
{
	return "unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation, "
	       "privilegeWithdrawn";
}

/* ---- the CRL number and time of the last CRL: decimal text in meta ---- */

static int meta_write_u64(store_txn *txn, const char *key, uint64_t v)
{
	char text[24];

	snprintf(text, sizeof(text), "%" PRIu64, v);
	return store_txn_meta_put(txn, key, text, strlen(text));
}

static int meta_read_u64(store_txn *txn, const char *key, uint64_t *out)
{
	void *val = NULL;
	size_t len = 0, i;
	uint64_t n = 0;
	int rc;

	*out = 0;
	if ((rc = store_txn_meta_get(txn, key, &val, &len)))
		return rc;
	if (!val)
		return 0;
	for (i = 0; i < len; i++) {
		const char c = ((const char *)val)[i];

		if (c < '0' || c > '9' || n > (UINT64_MAX - 9) / 10) {
			free(val);
			return fail(EX_IOERR, "store: meta %s is damaged (run 'minica store verify')",
				    key);
		}
		n = n * 10 + (uint64_t)(c - '0');
	}
	free(val);
	if (len == 0)
		return fail(EX_IOERR, "store: meta %s is damaged (run 'minica store verify')", key);
	*out = n;
	return 0;
}

/* ---- building ---- */

struct crl_build {
	const struct ca *ca;
	long days;
	int64_t now;
	int64_t previous_crl; /* thisUpdate of the last CRL, 0 if none */
	X509_CRL *crl;
	BIGNUM *bn;
	ASN1_INTEGER *serial;
	ASN1_TIME *when;
	X509_EXTENSION *reason_ext[11]; /* reasonCode entry extensions, made once */
	unsigned char (*first)[STORE_SERIAL_LEN]; /* listed for the first time */
	size_t first_cap;
	struct crl_result *out;
};

static int reason_ext(struct crl_build *b, int reason, X509_EXTENSION **out)
{
	ASN1_ENUMERATED *e = NULL;

	*out = NULL;
	if (reason <= 0 || reason > 10)
		return 0; /* RFC 5280: leave reasonCode out rather than use unspecified (0) */
	if (!b->reason_ext[reason]) {
		e = ASN1_ENUMERATED_new();
		if (!e || !ASN1_ENUMERATED_set(e, reason) ||
		    !(b->reason_ext[reason] = X509V3_EXT_i2d(NID_crl_reason, 0, e))) {
			ASN1_ENUMERATED_free(e);
			return fail_ssl(EX_SOFTWARE, "cannot encode the CRL reason code");
		}
		ASN1_ENUMERATED_free(e);
	}
	*out = b->reason_ext[reason];
	return 0;
}

static int add_entry(struct crl_build *b, const struct store_record *rec)
{
	X509_REVOKED *entry = X509_REVOKED_new();
	X509_EXTENSION *ext = NULL;
	int rc;

	if (!entry || !BN_bin2bn(rec->serial, STORE_SERIAL_LEN, b->bn) ||
	    !BN_to_ASN1_INTEGER(b->bn, b->serial) ||
	    !ASN1_TIME_adj(b->when, (time_t)rec->revoked_at, 0, 0) ||
	    !X509_REVOKED_set_serialNumber(entry, b->serial) ||
	    !X509_REVOKED_set_revocationDate(entry, b->when)) {
		rc = fail_ssl(EX_SOFTWARE, "cannot build a CRL entry");
		goto out;
	}
	if ((rc = reason_ext(b, rec->revoke_reason, &ext)))
		goto out;
	if (ext && !X509_REVOKED_add_ext(entry, ext, -1)) {
		rc = fail_ssl(EX_SOFTWARE, "cannot add the CRL reason code");
		goto out;
	}
	if (!X509_CRL_add0_revoked(b->crl, entry)) {
		rc = fail_ssl(EX_SOFTWARE, "cannot add a CRL entry");
		goto out;
	}
	entry = NULL;
out:
	X509_REVOKED_free(entry);
	return rc;
}

static int visit_revoked(const struct store_record *rec, void *vctx)
{
	struct crl_build *b = vctx;
	int rc;

	if (rec->crl_listed_at && rec->not_after < b->previous_crl) {
		b->out->dropped++;
		return 0;
	}
	if ((rc = add_entry(b, rec)))
		return rc;
	b->out->entries++;
	if (rec->crl_listed_at)
		return 0;
	/* marked after the walk: the walk does not change what it walks */
	if (b->out->first_listed == b->first_cap) {
		size_t cap = b->first_cap ? b->first_cap * 2 : 256;
		void *grown = realloc(b->first, cap * sizeof(*b->first));

		if (!grown)
			return fail(EX_OSERR, "out of memory");
		b->first = grown;
		b->first_cap = cap;
	}
	memcpy(b->first[b->out->first_listed++], rec->serial, STORE_SERIAL_LEN);
	return 0;
}

static int crl_extensions(struct crl_build *b)
{
	ASN1_INTEGER *number = ASN1_INTEGER_new();
	X509_EXTENSION *aki = NULL;
	X509V3_CTX ctx;
	int rc = 0;

	/* AKI with the key identifier only, as in every certificate minica signs */
	X509V3_set_ctx(&ctx, b->ca->cert, NULL, NULL, b->crl, 0);
	aki = X509V3_EXT_nconf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
	if (!number || !ASN1_INTEGER_set_uint64(number, b->out->number) || !aki ||
	    !X509_CRL_add_ext(b->crl, aki, -1) ||
	    !X509_CRL_add1_ext_i2d(b->crl, NID_crl_number, number, 0, 0))
		rc = fail_ssl(EX_SOFTWARE, "cannot add the CRL extensions");
	X509_EXTENSION_free(aki);
	ASN1_INTEGER_free(number);
	return rc;
}

static int crl_header(struct crl_build *b)
{
	ASN1_TIME *this_update = ASN1_TIME_adj(NULL, (time_t)b->out->this_update, 0, 0);
	ASN1_TIME *next_update = ASN1_TIME_adj(NULL, (time_t)b->out->next_update, 0, 0);
	int ok = this_update && next_update && X509_CRL_set_version(b->crl, X509_CRL_VERSION_2) &&
		 X509_CRL_set_issuer_name(b->crl, X509_get_subject_name(b->ca->cert)) &&
		 X509_CRL_set1_lastUpdate(b->crl, this_update) &&
		 X509_CRL_set1_nextUpdate(b->crl, next_update);

	ASN1_TIME_free(this_update);
	ASN1_TIME_free(next_update);
	return ok ? 0 : fail_ssl(EX_SOFTWARE, "cannot build the CRL");
}

/* Runs inside the write transaction, and again from scratch if the map grows. */
static int crl_fn(store_txn *txn, void *vctx)
{
	struct crl_build *b = vctx;
	struct crl_result *r = b->out;
	struct store_audit a = {0};
	char detail[256], when[TIME_BUF];
	uint64_t previous, previous_at;
	size_t i;
	int rc;

	X509_CRL_free(r->crl);
	r->crl = NULL;
	r->entries = r->first_listed = r->dropped = 0;
	if ((rc = meta_read_u64(txn, CRL_NUMBER_KEY, &previous)) ||
	    (rc = meta_read_u64(txn, CRL_LAST_UPDATE_KEY, &previous_at)))
		return rc;
	b->previous_crl = previous_at > INT64_MAX ? INT64_MAX : (int64_t)previous_at;
	if (previous == UINT64_MAX)
		return fail(EX_DATAERR, "store: the CRL number cannot grow any further");
	r->number = previous + 1;
	r->this_update = b->now;
	r->next_update = b->now + (int64_t)b->days * 86400;
	if (!(r->crl = X509_CRL_new()))
		return fail_ssl(EX_OSERR, "out of memory");
	b->crl = r->crl;
	if ((rc = crl_header(b)) || (rc = store_txn_scan_revoked(txn, visit_revoked, b)) ||
	    (rc = crl_extensions(b)))
		return rc;
	for (i = 0; i < r->first_listed; i++)
		if ((rc = store_txn_mark_listed(txn, b->first[i], b->now)))
			return rc;
	/* the revoked table is in serial order already; sorting also numbers the entries */
	if (!X509_CRL_sort(r->crl) ||
	    !X509_CRL_sign(r->crl, b->ca->key, key_default_digest(b->ca->key)))
		return fail_ssl(EX_SOFTWARE, "cannot sign the CRL");
	if ((rc = meta_write_u64(txn, CRL_NUMBER_KEY, r->number)) ||
	    (rc = meta_write_u64(txn, CRL_LAST_UPDATE_KEY,
				 r->this_update > 0 ? (uint64_t)r->this_update : 0)))
		return rc;
	snprintf(detail, sizeof(detail),
		 "number=%" PRIu64 " entries=%zu first_listed=%zu dropped_expired=%zu next_update=%s",
		 r->number, r->entries, r->first_listed, r->dropped,
		 fmt_time_iso(r->next_update, when));
	a.action = (char *)"crl";
	a.detail = detail;
	return store_txn_audit(txn, &a);
}

int crl_issue(const struct ca *ca, long days, int64_t now, struct crl_result *out)
{
	struct crl_build b = {0};
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!ca->key)
		return fail(EX_SOFTWARE, "crl_issue: the CA key is locked");
	b.ca = ca;
	b.days = days;
	b.now = now;
	b.out = out;
	b.bn = BN_new();
	b.serial = ASN1_INTEGER_new();
	b.when = ASN1_TIME_new();
	if (!b.bn || !b.serial || !b.when)
		rc = fail(EX_OSERR, "out of memory");
	else
		rc = store_write(ca->st, crl_fn, &b);
	if (rc) {
		X509_CRL_free(out->crl);
		out->crl = NULL;
	}
	for (i = 0; i < sizeof(b.reason_ext) / sizeof(b.reason_ext[0]); i++)
		X509_EXTENSION_free(b.reason_ext[i]);
	free(b.first);
	ASN1_TIME_free(b.when);
	ASN1_INTEGER_free(b.serial);
	BN_free(b.bn);
	return rc;
}

void crl_result_release(struct crl_result *r)
{
	X509_CRL_free(r->crl);
	memset(r, 0, sizeof(*r));
}

/* PEM, or DER with der set; *data is malloc'ed. */
int crl_encode(X509_CRL *crl, int der, unsigned char **data, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *mem = NULL;
	long n = 0;
	int ok;

	*data = NULL;
	*len = 0;
	ok = bio && (der ? i2d_X509_CRL_bio(bio, crl) : PEM_write_bio_X509_CRL(bio, crl)) &&
	     (n = BIO_get_mem_data(bio, &mem)) > 0;
	if (ok && (*data = malloc((size_t)n)) != NULL) {
		memcpy(*data, mem, (size_t)n);
		*len = (size_t)n;
	}
	BIO_free(bio);
	if (!ok)
		return fail_ssl(EX_SOFTWARE, "cannot encode the CRL");
	return *data ? 0 : fail(EX_OSERR, "out of memory");
}
