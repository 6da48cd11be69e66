/*
 * What a report shows, read from the store in one pass (no passphrase: the
 * CA certificate and the records are public), and the text helpers that
 * make every value from the store safe to put into HTML or iCalendar.
 *
 * Host names are validated when they are issued, but a CA subject or a
 * template name may hold anything: every string goes through text_clean()
 * (valid UTF-8, no control characters) before it is escaped for its format.
 */
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

#include "issue/issue.h"
#include "common/common.h"
#include "report.h"

/* Length of the valid UTF-8 sequence at p (RFC 3629), 0 when it is not one. */
static size_t utf8_seq(const unsigned char *p)
{
	size_t n, i;
	unsigned int cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		n = 2, cp = p[0] & 0x1F;
	else if (p[0] >= 0xE0 && p[0] <= 0xEF)
		n = 3, cp = p[0] & 0x0F;
	else if (p[0] >= 0xF0 && p[0] <= 0xF4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

char *text_clean(const char *in)
{
	static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */
	const unsigned char *p = (const unsigned char *)(in ? in : "");
	size_t len = strlen((const char *)p), o = 0, n;
	char *out = malloc(3 * len + 1);

	if (!out)
		return NULL;
	while (*p) {
		n = utf8_seq(p);
		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7F)) ||
		    (n == 2 && p[0] == 0xC2 && p[1] < 0xA0)) { /* C0, DEL, C1 */
			memcpy(out + o, replacement, 3);
			o += 3;
			p += n ? n : 1;
			continue;
		}
		memcpy(out + o, p, n);
		o += n;
		p += n;
	}
	out[o] = '\0';
	return out;
}

/* For element content and quoted attribute values alike. */
void html_escape(FILE *f, const char *text)
{
	const char *p;

	for (p = text; *p; p++) {
		switch (*p) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*p, f);
		}
	}
}

int report_alarms(const struct report_cert *c)
{
	return c->rec->status == STORE_VALID;
}

struct collect {
	struct report *r;
	size_t cap;
};

static int collect(const struct store_record *rec, void *vctx)
{
	struct collect *c = vctx;
	struct report *r = c->r;
	struct report_cert *rc;
	X509 *cert = NULL;
	size_t i;

	if (r->n_certs == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		struct report_cert *grown = realloc(r->certs, cap * sizeof(*grown));

		if (!grown)
			return fail(EX_OSERR, "out of memory");
		r->certs = grown;
		c->cap = cap;
	}
	rc = &r->certs[r->n_certs];
	memset(rc, 0, sizeof(*rc));
	if (!(rc->rec = store_record_dup(rec)))
		return fail(EX_OSERR, "out of memory");
	r->n_certs++;
	/* host names are validated at issuance; the template name is only a file name */
	for (i = 0; i < rc->rec->n_hosts; i++) {
		char *clean = text_clean(rc->rec->hosts[i]);

		if (!clean)
			return fail(EX_OSERR, "out of memory");
		free(rc->rec->hosts[i]);
		rc->rec->hosts[i] = clean;
	}
	{
		char *clean = text_clean(rc->rec->template_name);

		if (!clean)
			return fail(EX_OSERR, "out of memory");
		free(rc->rec->template_name);
		rc->rec->template_name = clean;
	}
	serial_hex(rec->serial, rc->serial);
	rc->status = record_status(rec, r->now);
	if (x509_from_der(rec->cert, rec->cert_len, &cert) == 0) {
		x509_thumbprint(cert, rc->thumbprint);
		X509_free(cert);
	} else {
		ERR_clear_error();
	}
	/* a report needs neither the DER nor the (encrypted) key: keep the copy small */
	free(rc->rec->cert);
	rc->rec->cert = NULL;
	rc->rec->cert_len = 0;
	if (rc->rec->key) {
		OPENSSL_cleanse(rc->rec->key, rc->rec->key_len); /* encrypted, but still */
		free(rc->rec->key);
	}
	rc->rec->key = NULL;
	rc->rec->key_len = 0;
	return 0;
}

static int by_expiry(const void *a, const void *b)
{
	const struct report_cert *x = a, *y = b;

	if (x->rec->not_after != y->rec->not_after)
		return x->rec->not_after < y->rec->not_after ? -1 : 1;
	return strcmp(x->serial, y->serial);
}

static int load_versions(store *st, const struct ca *ca, struct report *r)
{
	uint32_t v;
	int rc = 0;

	r->versions = calloc(ca->n_versions ? ca->n_versions : 1, sizeof(*r->versions));
	if (!r->versions)
		return fail(EX_OSERR, "out of memory");
	for (v = 1; v <= ca->n_versions && rc == 0; v++) {
		struct report_ca_version *rv = &r->versions[r->n_versions];
		unsigned char sbin[STORE_SERIAL_LEN];
		void *der = NULL;
		size_t len = 0;
		X509 *cert = NULL;

		if ((rc = store_ca_get(st, v, &der, &len)))
			break;
		if (x509_from_der(der, len, &cert) != 0) {
			rc = fail(EX_IOERR, "CA certificate version %u in store %s does not decode "
					    "(run 'minica store verify')",
				  v, store_path(st));
		} else {
			rv->version = v;
			x509_thumbprint(cert, rv->thumbprint);
			if (serial_get(cert, sbin) == 0)
				serial_hex(sbin, rv->serial);
			x509_times(cert, &rv->not_before, &rv->not_after);
			r->n_versions++;
		}
		X509_free(cert);
		free(der);
	}
	return rc;
}

static int load_ca(const struct ca *ca, struct report *r)
{
	const X509_NAME *subject = X509_get_subject_name(ca->cert);
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(ca->cert);
	const X509_NAME_ENTRY *e;
	unsigned char sbin[STORE_SERIAL_LEN], *cn = NULL;
	char *raw = x509_name_text(subject);
	int i, n;

	r->ca_subject = text_clean(raw);
	free(raw);
	i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
	if (i >= 0 && (e = X509_NAME_get_entry(subject, i)) &&
	    (n = ASN1_STRING_to_UTF8(&cn, X509_NAME_ENTRY_get_data(e))) >= 0) {
		r->ca_cn = text_clean((const char *)cn);
		OPENSSL_free(cn);
	} else {
		ERR_clear_error();
		r->ca_cn = text_clean(r->ca_subject);
	}
	r->ca_domain = ca->domain ? text_clean(ca->domain) : NULL;
	if (!r->ca_subject || !r->ca_cn || (ca->domain && !r->ca_domain))
		return fail(EX_OSERR, "out of memory");
	x509_thumbprint(ca->cert, r->ca_thumbprint);
	x509_sha256(ca->cert, r->ca_sha256);
	if (serial_get(ca->cert, sbin) == 0)
		serial_hex(sbin, r->ca_serial);
	key_describe(X509_get0_pubkey(ca->cert), r->ca_key);
	if (ski && ASN1_STRING_length(ski) <= 64)
		hex_upper(ASN1_STRING_get0_data(ski), (size_t)ASN1_STRING_length(ski), r->ca_ski);
	else
		memcpy(r->ca_ski, r->ca_thumbprint, sizeof(r->ca_thumbprint));
	r->ca_key_protected = ca->key_protected;
	r->ca_key_on_token = ca->key_uri != NULL;
	x509_times(ca->cert, &r->ca_not_before, &r->ca_not_after);
	return 0;
}

int report_load(store *st, const struct ca *ca, int64_t now, struct report *r)
{
	struct collect c = {r, 0};
	int rc;

	r->now = now;
	if (!(r->store_path = text_clean(store_path(st))))
		return fail(EX_OSERR, "out of memory");
	if ((rc = load_ca(ca, r)) || (rc = load_versions(st, ca, r)) ||
	    (rc = store_scan_all(st, collect, &c)))
		return rc;
	if (r->n_certs)
		qsort(r->certs, r->n_certs, sizeof(*r->certs), by_expiry);
	return 0;
}

void report_release(struct report *r)
{
	size_t i;

	for (i = 0; i < r->n_certs; i++)
		store_record_free(r->certs[i].rec);
	free(r->certs);
	free(r->versions);
	free(r->ca_subject);
	free(r->ca_cn);
	free(r->ca_domain);
	free(r->store_path);
	memset(r, 0, sizeof(*r));
}
