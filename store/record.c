/*
 * Record encoding. Each certificate record and audit entry is a DER SEQUENCE
 * described with OpenSSL's ASN.1 templates, led by a version number. Later
 * fields are added as tagged OPTIONAL ones, so a newer minica still reads
 * every record an older one wrote.
 *
 *   CertRecord ::= SEQUENCE {
 *     version        INTEGER,          -- 1
 *     serial         OCTET STRING,     -- 16 bytes, the certificate's serial
 *     certificate    OCTET STRING,     -- DER
 *     status         INTEGER,          -- 0 valid, 1 revoked, 2 superseded
 *     issuedAt, notBefore, notAfter INTEGER,  -- seconds since the epoch
 *     hosts          SEQUENCE OF UTF8String,
 *     template       UTF8String,
 *     templateHash   OCTET STRING,     -- SHA-256 of the template file
 *     caVersion      INTEGER,
 *     key            [0] IMPLICIT OCTET STRING OPTIONAL, -- encrypted PKCS#8
 *     revokedAt      [1] IMPLICIT INTEGER OPTIONAL,
 *     revokeReason   [2] IMPLICIT INTEGER OPTIONAL,
 *     predecessor    [3] IMPLICIT OCTET STRING OPTIONAL,
 *     successor      [4] IMPLICIT OCTET STRING OPTIONAL,
 *     crlListedAt    [5] IMPLICIT INTEGER OPTIONAL }
 *
 *   AuditEntry ::= SEQUENCE {
 *     version INTEGER, time INTEGER, uid INTEGER, user UTF8String,
 *     host UTF8String, pid INTEGER, action UTF8String, detail UTF8String,
 *     serial [0] IMPLICIT OCTET STRING OPTIONAL }
 */
#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

typedef struct {
	ASN1_INTEGER *version;
	ASN1_OCTET_STRING *serial;
	ASN1_OCTET_STRING *cert;
	ASN1_INTEGER *status;
	ASN1_INTEGER *issued_at;
	ASN1_INTEGER *not_before;
	ASN1_INTEGER *not_after;
	STACK_OF(ASN1_UTF8STRING) *hosts;
	ASN1_UTF8STRING *template_name;
	ASN1_OCTET_STRING *template_hash;
	ASN1_INTEGER *ca_version;
	ASN1_OCTET_STRING *key;
	ASN1_INTEGER *revoked_at;
	ASN1_INTEGER *revoke_reason;
	ASN1_OCTET_STRING *predecessor;
	ASN1_OCTET_STRING *successor;
	ASN1_INTEGER *crl_listed_at;
} MINICA_RECORD;

DECLARE_ASN1_FUNCTIONS(MINICA_RECORD)

ASN1_SEQUENCE(MINICA_RECORD) = {
	ASN1_SIMPLE(MINICA_RECORD, version, ASN1_INTEGER),
	ASN1_SIMPLE(MINICA_RECORD, serial, ASN1_OCTET_STRING),
	ASN1_SIMPLE(MINICA_RECORD, cert, ASN1_OCTET_STRING),
	ASN1_SIMPLE(MINICA_RECORD, status, ASN1_INTEGER),
	ASN1_SIMPLE(MINICA_RECORD, issued_at, ASN1_INTEGER),
	ASN1_SIMPLE(MINICA_RECORD, not_before, ASN1_INTEGER),
	ASN1_SIMPLE(MINICA_RECORD, not_after, ASN1_INTEGER),
	ASN1_SEQUENCE_OF(MINICA_RECORD, hosts, ASN1_UTF8STRING),
	ASN1_SIMPLE(MINICA_RECORD, template_name, ASN1_UTF8STRING),
	ASN1_SIMPLE(MINICA_RECORD, template_hash, ASN1_OCTET_STRING),
	ASN1_SIMPLE(MINICA_RECORD, ca_version, ASN1_INTEGER),
	ASN1_IMP_OPT(MINICA_RECORD, key, ASN1_OCTET_STRING, 0),
	ASN1_IMP_OPT(MINICA_RECORD, revoked_at, ASN1_INTEGER, 1),
	ASN1_IMP_OPT(MINICA_RECORD, revoke_reason, ASN1_INTEGER, 2),
	ASN1_IMP_OPT(MINICA_RECORD, predecessor, ASN1_OCTET_STRING, 3),
	ASN1_IMP_OPT(MINICA_RECORD, successor, ASN1_OCTET_STRING, 4),
	ASN1_IMP_OPT(MINICA_RECORD, crl_listed_at, ASN1_INTEGER, 5),
} ASN1_SEQUENCE_END(MINICA_RECORD)

IMPLEMENT_ASN1_FUNCTIONS(MINICA_RECORD)

typedef struct {
	ASN1_INTEGER *version;
	ASN1_INTEGER *time;
	ASN1_INTEGER *uid;
	ASN1_UTF8STRING *user;
	ASN1_UTF8STRING *host;
	ASN1_INTEGER *pid;
	ASN1_UTF8STRING *action;
	ASN1_UTF8STRING *detail;
	ASN1_OCTET_STRING *serial;
} MINICA_AUDIT;

DECLARE_ASN1_FUNCTIONS(MINICA_AUDIT)

ASN1_SEQUENCE(MINICA_AUDIT) = {
	ASN1_SIMPLE(MINICA_AUDIT, version, ASN1_INTEGER),
	ASN1_SIMPLE(MINICA_AUDIT, time, ASN1_INTEGER),
	ASN1_SIMPLE(MINICA_AUDIT, uid, ASN1_INTEGER),
	ASN1_SIMPLE(MINICA_AUDIT, user, ASN1_UTF8STRING),
	ASN1_SIMPLE(MINICA_AUDIT, host, ASN1_UTF8STRING),
	ASN1_SIMPLE(MINICA_AUDIT, pid, ASN1_INTEGER),
	ASN1_SIMPLE(MINICA_AUDIT, action, ASN1_UTF8STRING),
	ASN1_SIMPLE(MINICA_AUDIT, detail, ASN1_UTF8STRING),
	ASN1_IMP_OPT(MINICA_AUDIT, serial, ASN1_OCTET_STRING, 0),
} ASN1_SEQUENCE_END(MINICA_AUDIT)

IMPLEMENT_ASN1_FUNCTIONS(MINICA_AUDIT)

/* ---- small converters; each returns 0 or -1 ---- */

static int set_int(ASN1_INTEGER **field, int64_t v)
{
	if (!*field && !(*field = ASN1_INTEGER_new()))
		return -1;
	return ASN1_INTEGER_set_int64(*field, v) ? 0 : -1;
}

static int get_int(const ASN1_INTEGER *field, int64_t *v)
{
	return field && ASN1_INTEGER_get_int64(v, field) ? 0 : -1;
}

static int set_bytes(ASN1_STRING **field, int type, const void *data, size_t len)
{
	if (len > INT32_MAX)
		return -1;
	if (!*field && !(*field = ASN1_STRING_type_new(type)))
		return -1;
	return ASN1_STRING_set(*field, data, (int)len) ? 0 : -1;
}

static int get_bytes(const ASN1_STRING *field, unsigned char **out, size_t *len)
{
	int n = ASN1_STRING_length(field);

	*out = malloc(n > 0 ? (size_t)n : 1);
	if (!*out)
		return -1;
	if (n > 0)
		memcpy(*out, ASN1_STRING_get0_data(field), (size_t)n);
	*len = (size_t)n;
	return 0;
}

static int get_fixed(const ASN1_STRING *field, unsigned char *out, size_t len)
{
	if (!field || ASN1_STRING_length(field) != (int)len)
		return -1;
	memcpy(out, ASN1_STRING_get0_data(field), len);
	return 0;
}

/* Strings in records are bytes from disk: refuse embedded NULs. */
static int get_text(const ASN1_STRING *field, char **out)
{
	int n = ASN1_STRING_length(field);
	const unsigned char *p = ASN1_STRING_get0_data(field);

	if (n < 0 || (n > 0 && memchr(p, '\0', (size_t)n)))
		return -1;
	*out = malloc((size_t)n + 1);
	if (!*out)
		return -1;
	memcpy(*out, p, (size_t)n);
	(*out)[n] = '\0';
	return 0;
}

static int set_text(ASN1_UTF8STRING **field, const char *s)
{
	return set_bytes(field, V_ASN1_UTF8STRING, s ? s : "", s ? strlen(s) : 0);
}

/* ---- certificate records ---- */

void store_record_free(struct store_record *rec)
{
	size_t i;

	if (!rec)
		return;
	free(rec->cert);
	for (i = 0; i < rec->n_hosts; i++)
		free(rec->hosts[i]);
	free(rec->hosts);
	free(rec->template_name);
	if (rec->key) {
		/* encrypted, but no reason to leave it lying around */
		memset(rec->key, 0, rec->key_len);
		free(rec->key);
	}
	free(rec);
}

int store_record_encode(const struct store_record *rec, unsigned char **der, size_t *len)
{
	MINICA_RECORD *r = MINICA_RECORD_new();
	ASN1_UTF8STRING *h = NULL;
	unsigned char *out = NULL;
	int n, rc = -1;
	size_t i;

	if (!r)
		goto out;
	if (set_int(&r->version, STORE_RECORD_VERSION) ||
	    set_bytes(&r->serial, V_ASN1_OCTET_STRING, rec->serial, STORE_SERIAL_LEN) ||
	    set_bytes(&r->cert, V_ASN1_OCTET_STRING, rec->cert, rec->cert_len) ||
	    set_int(&r->status, rec->status) || set_int(&r->issued_at, rec->issued_at) ||
	    set_int(&r->not_before, rec->not_before) || set_int(&r->not_after, rec->not_after) ||
	    set_text(&r->template_name, rec->template_name) ||
	    set_bytes(&r->template_hash, V_ASN1_OCTET_STRING, rec->template_hash,
		      STORE_HASH_LEN) ||
	    set_int(&r->ca_version, rec->ca_version))
		goto out;
	for (i = 0; i < rec->n_hosts; i++) {
		if (set_text(&h, rec->hosts[i]) || !sk_ASN1_UTF8STRING_push(r->hosts, h))
			goto out;
		h = NULL;
	}
	if (rec->key && set_bytes(&r->key, V_ASN1_OCTET_STRING, rec->key, rec->key_len))
		goto out;
	if (rec->revoked_at && set_int(&r->revoked_at, rec->revoked_at))
		goto out;
	if (rec->revoke_reason >= 0 && set_int(&r->revoke_reason, rec->revoke_reason))
		goto out;
	if (rec->has_predecessor &&
	    set_bytes(&r->predecessor, V_ASN1_OCTET_STRING, rec->predecessor, STORE_SERIAL_LEN))
		goto out;
	if (rec->has_successor &&
	    set_bytes(&r->successor, V_ASN1_OCTET_STRING, rec->successor, STORE_SERIAL_LEN))
		goto out;
	if (rec->crl_listed_at && set_int(&r->crl_listed_at, rec->crl_listed_at))
		goto out;
	n = i2d_MINICA_RECORD(r, &out);
	if (n <= 0)
		goto out;
	*der = out;
	*len = (size_t)n;
	out = NULL;
	rc = 0;
out:
	ASN1_UTF8STRING_free(h);
	OPENSSL_free(out);
	MINICA_RECORD_free(r);
	return rc;
}

int store_record_decode(const unsigned char *der, size_t len, struct store_record **out)
{
	const unsigned char *p = der;
	MINICA_RECORD *r = NULL;
	struct store_record *rec = NULL;
	int64_t v;
	int n, i, rc = -1;

	*out = NULL;
	if (len > INT32_MAX)
		return -1;
	r = d2i_MINICA_RECORD(NULL, &p, (long)len);
	if (!r || p != der + len)
		goto out;
	if (get_int(r->version, &v) || v < 1 || v > STORE_RECORD_VERSION)
		goto out;
	rec = calloc(1, sizeof(*rec));
	if (!rec)
		goto out;
	rec->revoke_reason = -1;
	if (get_fixed(r->serial, rec->serial, STORE_SERIAL_LEN) ||
	    get_bytes(r->cert, &rec->cert, &rec->cert_len) || rec->cert_len == 0 ||
	    get_int(r->status, &v) || v < STORE_VALID || v > STORE_SUPERSEDED)
		goto out;
	rec->status = (int)v;
	if (get_int(r->issued_at, &rec->issued_at) || get_int(r->not_before, &rec->not_before) ||
	    get_int(r->not_after, &rec->not_after) ||
	    get_text(r->template_name, &rec->template_name) ||
	    get_fixed(r->template_hash, rec->template_hash, STORE_HASH_LEN) ||
	    get_int(r->ca_version, &v) || v < 0 || v > UINT32_MAX)
		goto out;
	rec->ca_version = (uint32_t)v;
	n = sk_ASN1_UTF8STRING_num(r->hosts);
	if (n <= 0)
		goto out;
	rec->hosts = calloc((size_t)n, sizeof(*rec->hosts));
	if (!rec->hosts)
		goto out;
	for (i = 0; i < n; i++) {
		if (get_text(sk_ASN1_UTF8STRING_value(r->hosts, i), &rec->hosts[i]))
			goto out;
		rec->n_hosts++;
	}
	if (r->key && get_bytes(r->key, &rec->key, &rec->key_len))
		goto out;
	if (r->revoked_at && get_int(r->revoked_at, &rec->revoked_at))
		goto out;
	if (r->revoke_reason) {
		if (get_int(r->revoke_reason, &v) || v < 0 || v > 10)
			goto out;
		rec->revoke_reason = (int)v;
	}
	if (r->predecessor) {
		if (get_fixed(r->predecessor, rec->predecessor, STORE_SERIAL_LEN))
			goto out;
		rec->has_predecessor = 1;
	}
	if (r->successor) {
		if (get_fixed(r->successor, rec->successor, STORE_SERIAL_LEN))
			goto out;
		rec->has_successor = 1;
	}
	if (r->crl_listed_at && get_int(r->crl_listed_at, &rec->crl_listed_at))
		goto out;
	*out = rec;
	rec = NULL;
	rc = 0;
out:
	store_record_free(rec);
	MINICA_RECORD_free(r);
	return rc;
}

struct store_record *store_record_dup(const struct store_record *rec)
{
	unsigned char *der = NULL;
	size_t len = 0;
	struct store_record *copy = NULL;

	if (store_record_encode(rec, &der, &len) == 0)
		(void)store_record_decode(der, len, &copy);
	OPENSSL_free(der);
	return copy;
}

/* ---- audit entries ---- */

void store_audit_free(struct store_audit *a)
{
	if (!a)
		return;
	free(a->user);
	free(a->host);
	free(a->action);
	free(a->detail);
	free(a);
}

int store_audit_encode(const struct store_audit *a, unsigned char **der, size_t *len)
{
	MINICA_AUDIT *r = MINICA_AUDIT_new();
	unsigned char *out = NULL;
	int n, rc = -1;

	if (!r)
		goto out;
	if (set_int(&r->version, 1) || set_int(&r->time, a->time) || set_int(&r->uid, a->uid) ||
	    set_text(&r->user, a->user) || set_text(&r->host, a->host) ||
	    set_int(&r->pid, a->pid) || set_text(&r->action, a->action) ||
	    set_text(&r->detail, a->detail))
		goto out;
	if (a->has_serial &&
	    set_bytes(&r->serial, V_ASN1_OCTET_STRING, a->serial, STORE_SERIAL_LEN))
		goto out;
	n = i2d_MINICA_AUDIT(r, &out);
	if (n <= 0)
		goto out;
	*der = out;
	*len = (size_t)n;
	out = NULL;
	rc = 0;
out:
	OPENSSL_free(out);
	MINICA_AUDIT_free(r);
	return rc;
}

int store_audit_decode(const unsigned char *der, size_t len, struct store_audit **out)
{
	const unsigned char *p = der;
	MINICA_AUDIT *r = NULL;
	struct store_audit *a = NULL;
	int64_t v;
	int rc = -1;

	*out = NULL;
	if (len > INT32_MAX)
		return -1;
	r = d2i_MINICA_AUDIT(NULL, &p, (long)len);
	if (!r || p != der + len)
		goto out;
	if (get_int(r->version, &v) || v != 1)
		goto out;
	a = calloc(1, sizeof(*a));
	if (!a)
		goto out;
	if (get_int(r->time, &a->time) || get_int(r->uid, &v) || v < 0 || v > UINT32_MAX)
		goto out;
	a->uid = (uint32_t)v;
	if (get_text(r->user, &a->user) || get_text(r->host, &a->host) ||
	    get_int(r->pid, &a->pid) || get_text(r->action, &a->action) ||
	    get_text(r->detail, &a->detail))
		goto out;
	if (r->serial) {
		if (get_fixed(r->serial, a->serial, STORE_SERIAL_LEN))
			goto out;
		a->has_serial = 1;
	}
	*out = a;
	a = NULL;
	rc = 0;
out:
	store_audit_free(a);
	MINICA_AUDIT_free(r);
	return rc;
}
