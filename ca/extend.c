/*
 * Extending the CA: its certificate re-signed with the same key, subject,
 * extensions and key identifiers, a new serial and a later notAfter, so
 * every certificate issued before keeps verifying. The new certificate is
 * the store's next CA version, with its audit entry. No output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "common/common.h"

#define BACKDATE_SECONDS 3600 /* as for every certificate minica signs */

/* A copy of the CA certificate: same key, names and extensions; new serial and validity. */
static int build_extended(const struct ca *ca, int64_t not_after, X509 **out)
{
	X509 *old = ca->cert, *cert = X509_new();
	unsigned char serial[STORE_SERIAL_LEN];
	int i, n = X509_get_ext_count(old), rc;

	*out = NULL;
	if (!cert)
		return fail(EX_OSERR, "out of memory");
	if (!X509_set_version(cert, X509_VERSION_3) ||
	    !X509_set_subject_name(cert, X509_get_subject_name(old)) ||
	    !X509_set_issuer_name(cert, X509_get_subject_name(old)) ||
	    !X509_set_pubkey(cert, X509_get0_pubkey(old))) {
		rc = fail_ssl(EX_SOFTWARE, "cannot copy the CA certificate");
		goto out;
	}
	if ((rc = serial_random(serial)) || (rc = serial_set(cert, serial)) ||
	    (rc = x509_set_times(cert, now_utc() - BACKDATE_SECONDS, not_after)))
		goto out;
	/* the extensions as they are, SKI and AKI included, in the same order */
	for (i = 0; i < n; i++) {
		if (!X509_add_ext(cert, X509_get_ext(old, i), -1)) {
			rc = fail_ssl(EX_SOFTWARE, "cannot copy the CA certificate's extensions");
			goto out;
		}
	}
	if ((rc = ca_sign(ca, cert, NULL)))
		goto out;
	if (X509_verify(cert, X509_get0_pubkey(old)) != 1) {
		rc = fail_ssl(EX_SOFTWARE, "the new CA certificate does not verify with the CA key");
		goto out;
	}
	*out = cert;
	cert = NULL;
out:
	X509_free(cert);
	return rc;
}

struct extend_ctx {
	const unsigned char *der;
	size_t len;
	uint32_t expected; /* the version this certificate becomes */
	const char *detail;
	const unsigned char *serial;
};

static int extend_fn(store_txn *txn, void *vctx)
{
	struct extend_ctx *c = vctx;
	struct store_audit a = {0};
	uint32_t version = 0;
	int rc;

	if ((rc = store_txn_ca_add(txn, c->der, c->len, &version)))
		return rc;
	if (version != c->expected)
		return fail(EX_TEMPFAIL, "the CA certificate changed while it was being extended (now "
					 "version %u); run 'minica ca show' and try again",
			    version - 1);
	a.action = (char *)"ca-extend";
	a.detail = (char *)c->detail;
	a.has_serial = 1;
	memcpy(a.serial, c->serial, STORE_SERIAL_LEN);
	return store_txn_audit(txn, &a);
}

int ca_extend_until(struct ca *ca, int64_t not_after, X509 **out)
{
	struct extend_ctx ectx = {0};
	X509 *cert = NULL;
	unsigned char *der = NULL, serial[STORE_SERIAL_LEN];
	size_t len = 0;
	int64_t old_not_before = 0, old_not_after = 0;
	char when[TIME_BUF], was[TIME_BUF], detail[256], sh[2 * STORE_SERIAL_LEN + 1];
	int rc;

	*out = NULL;
	if (x509_times(ca->cert, &old_not_before, &old_not_after) != 0) {
		rc = fail(EX_IOERR, "store %s: cannot read the CA certificate's validity",
			  store_path(ca->st));
		goto out;
	}
	/* the passphrase KDF and the signature happen before the write transaction */
	if ((rc = ca_unlock(ca)) || (rc = build_extended(ca, not_after, &cert)) ||
	    (rc = x509_to_der(cert, &der, &len)))
		goto out;
	if (serial_get(cert, serial) != 0) {
		rc = fail(EX_SOFTWARE, "cannot read back the new CA certificate's serial");
		goto out;
	}
	serial_hex(serial, sh);
	snprintf(detail, sizeof(detail), "version=%u serial=%s not_after=%s previous_not_after=%s",
		 ca->version + 1, sh, fmt_time_iso(not_after, when),
		 fmt_time_iso(old_not_after, was));
	ectx.der = der;
	ectx.len = len;
	ectx.expected = ca->version + 1;
	ectx.detail = detail;
	ectx.serial = serial;
	if ((rc = store_write(ca->st, extend_fn, &ectx)))
		goto out;
	*out = cert;
	cert = NULL;
out:
	free(der);
	X509_free(cert);
	return rc;
}
