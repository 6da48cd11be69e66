/*
 * Building a leaf: subject and SANs from the validated host names,
 * extensions from the template, SKI and key-identifier-only AKI, validity
 * clamped to the CA's, signed, then checked by OpenSSL's verifier against
 * the CA before anything is stored.
 */
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

#include "issue.h"
#include "common/common.h"

#define BACKDATE_SECONDS 3600 /* tolerate servers whose clocks run behind */
#define CN_MAX 64             /* ub-common-name, RFC 5280 */

static int add_san(X509 *leaf, const struct hostlist *hosts, int critical)
{
	GENERAL_NAMES *names = GENERAL_NAMES_new();
	GENERAL_NAME *gen = NULL;
	size_t i;
	int rc = EX_SOFTWARE;

	if (!names)
		goto out;
	for (i = 0; i < hosts->n; i++) {
		gen = GENERAL_NAME_new();
		if (!gen)
			goto out;
		if (hosts->is_ip[i]) {
			ASN1_OCTET_STRING *ip = a2i_IPADDRESS(hosts->names[i]);

			if (!ip)
				goto out;
			GENERAL_NAME_set0_value(gen, GEN_IPADD, ip);
		} else {
			ASN1_IA5STRING *dns = ASN1_IA5STRING_new();

			if (!dns || !ASN1_STRING_set(dns, hosts->names[i], -1)) {
				ASN1_IA5STRING_free(dns);
				goto out;
			}
			GENERAL_NAME_set0_value(gen, GEN_DNS, dns);
		}
		if (!sk_GENERAL_NAME_push(names, gen))
			goto out;
		gen = NULL;
	}
	if (X509_add1_ext_i2d(leaf, NID_subject_alt_name, names, critical, X509V3_ADD_REPLACE) == 1)
		rc = 0;
out:
	GENERAL_NAME_free(gen);
	GENERAL_NAMES_free(names);
	return rc ? fail_ssl(rc, "cannot add the subjectAltName extension") : 0;
}

/*
 * RFC 5480: an EC key must not assert keyEncipherment or dataEncipherment,
 * so an RSA-minded template used with an EC key keeps only the rest.
 */
static int fit_key_usage_to_ec(X509 *leaf)
{
	int crit = 0, idx = X509_get_ext_by_NID(leaf, NID_key_usage, -1), rc = 0;
	ASN1_BIT_STRING *ku;

	if (idx < 0)
		return 0;
	crit = X509_EXTENSION_get_critical(X509_get_ext(leaf, idx));
	ku = X509_get_ext_d2i(leaf, NID_key_usage, NULL, NULL);
	if (!ku)
		return fail_ssl(EX_SOFTWARE, "cannot read keyUsage");
	if (ASN1_BIT_STRING_get_bit(ku, 2) || ASN1_BIT_STRING_get_bit(ku, 3)) {
		if (!ASN1_BIT_STRING_set_bit(ku, 2, 0) || !ASN1_BIT_STRING_set_bit(ku, 3, 0) ||
		    X509_add1_ext_i2d(leaf, NID_key_usage, ku, crit, X509V3_ADD_REPLACE) != 1)
			rc = fail_ssl(EX_SOFTWARE, "cannot adjust keyUsage for an EC key");
	}
	ASN1_BIT_STRING_free(ku);
	return rc;
}

int leaf_build(const struct ca *ca, const struct leaf_spec *spec, X509 **out)
{
	const struct template *tpl = spec->tpl;
	const char *first = spec->hosts->names[0], *why = NULL;
	X509 *leaf = X509_new();
	X509_NAME *subject;
	int64_t now = now_utc(), ca_nb, ca_na, not_after;
	long days = spec->days ? spec->days : tpl->days;
	char when[TIME_BUF];
	int rc;

	*out = NULL;
	if (!leaf)
		return fail(EX_OSERR, "out of memory");
	if (x509_times(ca->cert, &ca_nb, &ca_na) != 0) {
		rc = fail(EX_SOFTWARE, "cannot read the CA's validity");
		goto out;
	}
	if (ca_na <= now) {
		rc = fail(EX_DATAERR, "the CA certificate expired on %s: extend it first with "
				      "'minica ca extend --years N'",
			  fmt_time(ca_na, when));
		goto out;
	}
	not_after = now + (int64_t)days * 86400;
	if (not_after > ca_na) {
		warning("%s: validity clamped from %ld days to the CA's notAfter %s (%ld days); "
			"extend the CA with 'minica ca extend'",
			first, days, fmt_time(ca_na, when), days_left(ca_na, now));
		not_after = ca_na;
	}
	if (!X509_set_version(leaf, X509_VERSION_3) || (rc = serial_set(leaf, spec->serial)) ||
	    !X509_set_issuer_name(leaf, X509_get_subject_name(ca->cert)) ||
	    !X509_set_pubkey(leaf, spec->key)) {
		rc = fail_ssl(EX_SOFTWARE, "cannot build the certificate");
		goto out;
	}
	if ((rc = x509_set_times(leaf, now - BACKDATE_SECONDS, not_after)))
		goto out;
	if ((rc = template_apply(tpl, leaf, ca->cert)))
		goto out;
	subject = X509_get_subject_name(leaf);
	if (strlen(first) <= CN_MAX &&
	    !X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_ASC,
					(const unsigned char *)first, -1, -1, 0)) {
		rc = fail_ssl(EX_SOFTWARE, "cannot set the subject");
		goto out;
	}
	/* RFC 5280 4.2.1.6: with an empty subject the SAN must be critical */
	if ((rc = add_san(leaf, spec->hosts, X509_NAME_entry_count(subject) == 0)))
		goto out;
	if (EVP_PKEY_is_a(spec->key, "EC") && (rc = fit_key_usage_to_ec(leaf)))
		goto out;
	if ((rc = x509_add_key_ids(leaf, ca->cert)) || (rc = ca_sign(ca, leaf, tpl->md)))
		goto out;
	if (ca_verify_leaf(ca, leaf, tpl->sha1, &why) != 0) {
		rc = fail(EX_DATAERR, "%s: the new certificate does not verify against the CA (%s); "
				      "nothing was stored",
			  first, why);
		goto out;
	}
	*out = leaf;
	leaf = NULL;
out:
	X509_free(leaf);
	return rc;
}

/* The store's record for a new leaf (the key is added by the caller). */
int leaf_record(const struct ca *ca, const struct template *tpl, X509 *leaf,
		const struct hostlist *hosts, struct store_record *rec)
{
	size_t i;

	memset(rec, 0, sizeof(*rec));
	rec->revoke_reason = -1;
	rec->status = STORE_VALID;
	rec->issued_at = now_utc();
	rec->ca_version = ca->version;
	memcpy(rec->template_hash, tpl->hash, STORE_HASH_LEN);
	if (serial_get(leaf, rec->serial) != 0 || x509_times(leaf, &rec->not_before, &rec->not_after))
		return fail(EX_SOFTWARE, "cannot read back the new certificate");
	if (x509_to_der(leaf, &rec->cert, &rec->cert_len))
		return EX_SOFTWARE;
	rec->template_name = strdup(tpl->name);
	rec->hosts = calloc(hosts->n, sizeof(char *));
	if (!rec->template_name || !rec->hosts)
		return fail(EX_OSERR, "out of memory");
	for (i = 0; i < hosts->n; i++) {
		if (!(rec->hosts[i] = strdup(hosts->names[i])))
			return fail(EX_OSERR, "out of memory");
		rec->n_hosts++;
	}
	return 0;
}
