/*
 * renewalInfo (ACME Renewal Information, RFC 9773): when a client should
 * renew. The window is the second sixth of the last third of a certificate's
 * life (from 2/3 to 5/6 of it), but it ends before `minica check` would warn
 * about the certificate (POLICY_LEAF_WARN days before notAfter), and when the
 * certificate was cut short by the CA's own notAfter it opens at half of its
 * life, so that clients renew, after `minica ca extend`, long before either
 * expires. A revoked certificate should be replaced now.
 */
#include <string.h>

#include "expiry/expiry.h"
#include "server.h"

#define RETRY_AFTER "21600" /* six hours, as the RFC suggests */

/* certID: base64url(AKI keyIdentifier) "." base64url(serial number octets) */
static int parse_cert_id(const char *id, unsigned char **aki, size_t *aki_len,
			 unsigned char serial[STORE_SERIAL_LEN])
{
	const char *dot = strchr(id, '.');
	unsigned char *sn = NULL;
	size_t sn_len = 0, skip = 0;
	int rc = -1;

	*aki = NULL;
	if (!dot || b64url_decode(id, (size_t)(dot - id), aki, aki_len) != 0 ||
	    b64url_decode(dot + 1, strlen(dot + 1), &sn, &sn_len) != 0)
		goto out;
	while (sn_len - skip > STORE_SERIAL_LEN && sn[skip] == 0)
		skip++; /* a DER INTEGER's leading zero */
	if (sn_len - skip > STORE_SERIAL_LEN || sn_len == skip)
		goto out;
	memset(serial, 0, STORE_SERIAL_LEN);
	memcpy(serial + STORE_SERIAL_LEN - (sn_len - skip), sn + skip, sn_len - skip);
	rc = 0;
out:
	free(sn);
	if (rc) {
		free(*aki);
		*aki = NULL;
	}
	return rc;
}

void h_renewal_info(struct acme_req *q, const char *id)
{
	unsigned char serial[STORE_SERIAL_LEN], *aki = NULL;
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(q->s->ca.cert);
	struct store_record *rec = NULL;
	int64_t nb, na, life, start, end, ca_nb = 0, ca_na = 0, now = now_utc();
	char s1[TIME_BUF], s2[TIME_BUF];
	size_t aki_len = 0;

	if (parse_cert_id(id, &aki, &aki_len, serial) != 0) {
		reply_problem(q, ACME_MALFORMED, "the certificate id is not AKI.serial in base64url");
		goto out;
	}
	if (!ski || (size_t)ASN1_STRING_length(ski) != aki_len ||
	    memcmp(ASN1_STRING_get0_data(ski), aki, aki_len) || store_get(q->s->st, serial, &rec) != 0) {
		reply_problem(q, ACME_NOT_FOUND, "no such certificate from this CA");
		goto out;
	}
	nb = rec->not_before;
	na = rec->not_after;
	life = na > nb ? na - nb : 1;
	start = nb + life * 2 / 3;
	end = nb + life * 5 / 6;
	if (end > na - (int64_t)POLICY_LEAF_WARN * 86400 && na - nb > 2 * (int64_t)POLICY_LEAF_WARN * 86400) {
		end = na - (int64_t)(POLICY_LEAF_WARN + 1) * 86400;
		start = end - life / 6;
	}
	x509_times(q->s->ca.cert, &ca_nb, &ca_na);
	if (na >= ca_na) {
		/* cut short by the CA: renew once half of it is gone */
		start = nb + life / 2;
		end = start + life / 6;
	}
	if (rec->status == STORE_REVOKED) {
		start = now - 86400;
		end = now;
	}
	if (start < nb)
		start = nb;
	if (end <= start)
		end = start + 3600;
	iso_time(start, s1);
	iso_time(end, s2);
	reply_header(q, "Retry-After", RETRY_AFTER);
	reply_json(q, 200, json_pack("{s:{s:s, s:s}}", "suggestedWindow", "start", s1, "end", s2),
		   NULL);
out:
	free(aki);
	store_record_free(rec);
}
