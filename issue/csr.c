/*
 * Certificate requests (PKCS#10) as servers write them: PEM ("CERTIFICATE
 * REQUEST", or Windows' "NEW CERTIFICATE REQUEST"), bare base64 with or
 * without line breaks, or DER; text in UTF-8 or UTF-16 (Exchange writes
 * UTF-16LE, sometimes without a BOM), with CRLF or LF line ends.
 *
 * Everything here works on a byte buffer and touches no file and no store,
 * so a fuzzer can call it. Decoding is OpenSSL's (PEM, base64, DER); this
 * file only decides which of them applies and says clearly what was wrong.
 * A request only ever proposes names: which of them are certified, and
 * every extension, is decided by the caller's policy and the template.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "issue.h"
#include "common/common.h"

#define DER_SEQUENCE 0x30
#define RSA_MAX_BITS 16384 /* OpenSSL's own limit for RSA verification */

/* DER that must be one request and nothing else. */
static int decode_der(const char *label, const char *form, const unsigned char *der,
		      size_t len, X509_REQ **out)
{
	const unsigned char *p = der;
	X509_REQ *req;
	X509 *cert;

	if (len > LONG_MAX)
		return fail(EX_DATAERR, "%s: too large", label);
	req = d2i_X509_REQ(NULL, &p, (long)len);
	if (!req) {
		p = der;
		cert = d2i_X509(NULL, &p, (long)len);
		ERR_clear_error();
		if (cert) {
			X509_free(cert);
			return fail(EX_DATAERR, "%s: this is a certificate, not a certificate request",
				    label);
		}
		return fail(EX_DATAERR, "%s: %s does not hold a valid certificate request "
					"(damaged or truncated?)",
			    label, form);
	}
	if (p != der + len) {
		X509_REQ_free(req);
		return fail(EX_DATAERR, "%s: %zu unexpected bytes after the request in %s", label,
			    (size_t)(der + len - p), form);
	}
	*out = req;
	return 0;
}

static int is_request_pem(const char *name)
{
	return !strcmp(name, PEM_STRING_X509_REQ) || !strcmp(name, PEM_STRING_X509_REQ_OLD);
}

static int decode_pem(const char *label, const char *text, size_t len, X509_REQ **out)
{
	BIO *bio = BIO_new_mem_buf(text, (int)len);
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long dlen = 0;
	int rc;

	if (!bio)
		return fail(EX_OSERR, "out of memory");
	if (!PEM_read_bio(bio, &name, &header, &data, &dlen)) {
		rc = fail_ssl(EX_DATAERR, "%s: the PEM block cannot be read (damaged or truncated?)",
			      label);
		goto out;
	}
	if (!is_request_pem(name)) {
		rc = fail(EX_DATAERR, "%s: holds a '%s' PEM block, not a CERTIFICATE REQUEST", label,
			  printable(name));
		goto out;
	}
	if (header && *header) {
		rc = fail(EX_DATAERR, "%s: the PEM block has headers (encrypted?); a request has none",
			  label);
		goto out;
	}
	rc = decode_der(label, "the PEM block", data, (size_t)dlen, out);
out:
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	BIO_free(bio);
	return rc;
}

/* Base64 without a PEM frame, as New-ExchangeCertificate returns it on 2013 and later. */
static int decode_base64(const char *label, const char *text, size_t len, X509_REQ **out)
{
	EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
	unsigned char *der = malloc(len / 4 * 3 + 4);
	int n = 0, tail = 0, rc;

	if (!ctx || !der) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	EVP_DecodeInit(ctx);
	if (len > INT_MAX || EVP_DecodeUpdate(ctx, der, &n, (const unsigned char *)text,
					      (int)len) < 0 ||
	    EVP_DecodeFinal(ctx, der + n, &tail) < 0) {
		rc = fail(EX_DATAERR, "%s: not a certificate request: no PEM block, not base64, not "
				      "DER (give the .req file the server wrote)",
			  label);
		goto out;
	}
	n += tail;
	if (n == 0) {
		rc = fail(EX_DATAERR, "%s: holds no data", label);
		goto out;
	}
	rc = decode_der(label, "the base64 text", der, (size_t)n, out);
out:
	free(der);
	EVP_ENCODE_CTX_free(ctx);
	return rc;
}

int csr_decode_named(const char *label, const unsigned char *data, size_t len, X509_REQ **out)
{
	char *text = NULL;
	size_t text_len = 0;
	int rc;

	*out = NULL;
	if (len == 0)
		return fail(EX_DATAERR, "%s: empty", label);
	if (len > CSR_MAX_BYTES)
		return fail(EX_DATAERR, "%s: %zu bytes; a certificate request is at most %d KiB (is "
					"this the right file?)",
			    label, len, CSR_MAX_BYTES / 1024);
	/* Text never starts with 0x30: base64 of a request starts "MII", UTF-16 with "-\0" etc. */
	if (data[0] == DER_SEQUENCE)
		return decode_der(label, "the DER data", data, len, out);
	if (text_to_utf8(data, len, &text, &text_len, NULL) != 0) {
		rc = fail(EX_DATAERR, "%s: not a certificate request: neither DER nor text (UTF-8 or "
				      "UTF-16)",
			  label);
		goto out;
	}
	if (strlen(text) != text_len) {
		rc = fail(EX_DATAERR, "%s: not a certificate request: text with NUL characters",
			  label);
		goto out;
	}
	if (strstr(text, "-----BEGIN "))
		rc = decode_pem(label, text, text_len, out);
	else
		rc = decode_base64(label, text, text_len, out);
out:
	free(text);
	return rc;
}

int csr_decode(const unsigned char *data, size_t len, X509_REQ **out)
{
	return csr_decode_named("certificate request", data, len, out);
}

/* Only keys every consumer takes: RSA of min_rsa_bits or more, EC on P-256 or P-384. */
static int check_key(const char *label, EVP_PKEY *key, int min_rsa_bits)
{
	char group[64] = "";
	int bits;

	if (!key)
		return fail_ssl(EX_DATAERR, "%s: the public key cannot be read", label);
	bits = EVP_PKEY_get_bits(key);
	if (EVP_PKEY_is_a(key, "RSA")) {
		if (bits < min_rsa_bits)
			return fail(EX_DATAERR, "%s: RSA key of %d bits; at least %d are required "
						"(make a new request with a longer key, e.g. "
						"-KeySize 2048)",
				    label, bits, min_rsa_bits);
		if (bits > RSA_MAX_BITS)
			return fail(EX_DATAERR, "%s: RSA key of %d bits; at most %d are accepted",
				    label, bits, RSA_MAX_BITS);
		return 0;
	}
	if (EVP_PKEY_is_a(key, "EC")) {
		if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
						    sizeof(group), NULL))
			return fail(EX_DATAERR, "%s: EC key with explicit curve parameters; only named "
						"curves P-256 and P-384 are accepted",
				    label);
		if (!strcmp(group, "prime256v1") || !strcmp(group, "secp384r1"))
			return 0;
		return fail(EX_DATAERR, "%s: EC key on curve %s; only P-256 and P-384 are accepted",
			    label, printable(group));
	}
	return fail(EX_DATAERR, "%s: %s key; only RSA (%d bits or more) and EC P-256/P-384 are "
				"accepted",
		    label, printable(EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key)
								     : "unknown"),
		    min_rsa_bits);
}

int csr_check(const char *label, X509_REQ *req, int min_rsa_bits)
{
	EVP_PKEY *key = X509_REQ_get0_pubkey(req);
	int rc;

	if ((rc = check_key(label, key, min_rsa_bits)))
		return rc;
	if (X509_REQ_verify(req, key) != 1)
		return fail(EX_DATAERR, "%s: the request's signature does not verify (changed after "
					"it was signed, or damaged); make a new request",
			    label);
	ERR_clear_error();
	return 0;
}

/* A name from the request as a C string: no embedded NUL, at most HOST_MAX + 2 bytes. */
static int take_name(const char *label, const char *what, const unsigned char *bytes, int len,
		     struct csr_names *out)
{
	char *name;

	if (len <= 0)
		return fail(EX_DATAERR, "%s: the %s is empty", label, what);
	if (memchr(bytes, '\0', (size_t)len))
		return fail(EX_DATAERR, "%s: the %s contains a NUL byte", label, what);
	if (len > HOST_MAX + 2) {
		char head[40];

		snprintf(head, sizeof(head), "%.*s", 32, (const char *)bytes);
		return fail(EX_DATAERR, "%s: the %s '%s...' is %d characters long; a host name has at "
					"most %d",
			    label, what, printable(head), len, HOST_MAX);
	}
	if (out->n == CSR_MAX_NAMES)
		return fail(EX_DATAERR, "%s: more than %d names; split the request", label,
			    CSR_MAX_NAMES);
	name = malloc((size_t)len + 1);
	if (!name)
		return fail(EX_OSERR, "out of memory");
	memcpy(name, bytes, (size_t)len);
	name[len] = '\0';
	out->names[out->n++] = name;
	return 0;
}

static int common_names(const char *label, X509_REQ *req, struct csr_names *out)
{
	const X509_NAME *subject = X509_REQ_get_subject_name(req);
	int idx = -1, rc = 0;

	while ((idx = X509_NAME_get_index_by_NID(subject, NID_commonName, idx)) >= 0) {
		const ASN1_STRING *value =
			X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, idx));
		unsigned char *utf8 = NULL;
		int len = ASN1_STRING_to_UTF8(&utf8, value);

		if (len < 0)
			return fail_ssl(EX_DATAERR, "%s: the subject's CN cannot be read", label);
		rc = take_name(label, "subject's CN", utf8, len, out);
		OPENSSL_free(utf8);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * The extension request: standard (PKCS#9) or Microsoft's older attribute;
 * OpenSSL reads both. Only the subjectAltName is looked at.
 */
static int alt_names(const char *label, X509_REQ *req, struct csr_names *out)
{
	STACK_OF(X509_EXTENSION) *exts;
	GENERAL_NAMES *san = NULL;
	int crit = -1, i, rc = 0;

	ERR_clear_error();
	exts = X509_REQ_get_extensions(req);
	if (!exts) {
		if (ERR_peek_error())
			return fail_ssl(EX_DATAERR, "%s: the extension request cannot be read", label);
		return 0;
	}
	san = X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL);
	if (!san) {
		if (crit == -2)
			rc = fail(EX_DATAERR, "%s: more than one subjectAltName extension", label);
		else if (crit >= 0)
			rc = fail_ssl(EX_DATAERR, "%s: the subjectAltName cannot be read", label);
		goto out;
	}
	for (i = 0; i < sk_GENERAL_NAME_num(san) && rc == 0; i++) {
		const GENERAL_NAME *gen = sk_GENERAL_NAME_value(san, i);
		char ip[INET6_ADDRSTRLEN];
		int len;

		if (gen->type == GEN_DNS) {
			rc = take_name(label, "subjectAltName DNS name",
				       ASN1_STRING_get0_data(gen->d.dNSName),
				       ASN1_STRING_length(gen->d.dNSName), out);
		} else if (gen->type == GEN_IPADD) {
			len = ASN1_STRING_length(gen->d.iPAddress);
			if ((len != 4 && len != 16) ||
			    !inet_ntop(len == 4 ? AF_INET : AF_INET6,
				       ASN1_STRING_get0_data(gen->d.iPAddress), ip, sizeof(ip)))
				rc = fail(EX_DATAERR, "%s: a subjectAltName IP address of %d bytes",
					  label, len);
			else
				rc = take_name(label, "subjectAltName IP address",
					       (const unsigned char *)ip, (int)strlen(ip), out);
		}
		/* other types (e-mail, URI, UPN) are not certified; csr_ignored says so */
	}
out:
	GENERAL_NAMES_free(san);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

void csr_names_free(struct csr_names *names)
{
	size_t i;

	for (i = 0; i < names->n; i++)
		free(names->names[i]);
	memset(names, 0, sizeof(*names));
}

int csr_names_get(const char *label, X509_REQ *req, struct csr_names *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = common_names(label, req, out)) || (rc = alt_names(label, req, out)))
		goto out;
	if (out->n == 0)
		rc = fail(EX_DATAERR, "%s: no host name: the subject has no CN and no subjectAltName "
				      "holds a DNS name or an IP address",
			  label);
out:
	if (rc)
		csr_names_free(out);
	return rc;
}

/* "O", "basicConstraints", or the dotted OID when OpenSSL has no name for it. */
static const char *obj_name(const ASN1_OBJECT *obj, char *buf, size_t size)
{
	int nid = OBJ_obj2nid(obj);

	if (nid != NID_undef && OBJ_nid2sn(nid))
		return OBJ_nid2sn(nid);
	OBJ_obj2txt(buf, (int)size, obj, 1);
	return buf;
}

/* Subject attributes besides the CN, extensions besides the SAN, SAN entries of other types. */
void csr_ignored(X509_REQ *req, csr_item_fn fn, void *ctx)
{
	const X509_NAME *subject = X509_REQ_get_subject_name(req);
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	GENERAL_NAMES *san = NULL;
	char item[96];
	int i;

	for (i = 0; i < X509_NAME_entry_count(subject); i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(subject, i);

		if (OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)) != NID_commonName) {
			fn(obj_name(X509_NAME_ENTRY_get_object(e), item, sizeof(item)), ctx);
		}
	}
	for (i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *ext = sk_X509_EXTENSION_value(exts, i);

		if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) == NID_subject_alt_name && !san) {
			san = X509V3_EXT_d2i(ext);
			continue;
		}
		fn(obj_name(X509_EXTENSION_get_object(ext), item, sizeof(item)), ctx);
	}
	for (i = 0; i < sk_GENERAL_NAME_num(san); i++) {
		static const char *const types[] = {"otherName", "email", NULL, "x400Address",
						    "dirName", "ediPartyName", "URI", NULL,
						    "registeredID"};
		const GENERAL_NAME *gen = sk_GENERAL_NAME_value(san, i);

		if (gen->type >= 0 && gen->type < (int)(sizeof(types) / sizeof(types[0])) &&
		    types[gen->type]) {
			snprintf(item, sizeof(item), "subjectAltName %s", types[gen->type]);
			fn(item, ctx);
		}
	}
	GENERAL_NAMES_free(san);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	ERR_clear_error();
}
