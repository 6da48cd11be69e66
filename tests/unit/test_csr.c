/*
 * Unit tests: certificate requests decoded from byte buffers in every form
 * servers write them, the key and signature policy, and the names taken.
 * Requests are built here with OpenSSL; the decoding under test is minica's.
 */
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issue/issue.h"
#include "common/common.h"

/* after common/common.h: cmocka defines a fail() macro */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

struct buf {
	unsigned char *data;
	size_t len;
};

/* subject in "/CN=x/O=y" form */
static X509_NAME *name_of(const char *s)
{
	X509_NAME *n = X509_NAME_new();
	char *copy = strdup(s), *save = NULL, *part;

	for (part = strtok_r(copy, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
		char *eq = strchr(part, '=');

		*eq = '\0';
		assert_true(X509_NAME_add_entry_by_txt(n, part, MBSTRING_ASC,
						       (unsigned char *)eq + 1, -1, -1, 0));
	}
	free(copy);
	return n;
}
static X509_REQ *make_req(const char *key_alg, const char *key_arg, const char *subject,
			  const char *san, const char *more_ext, int more_nid)
{
	EVP_PKEY *key = !strcmp(key_alg, "RSA") ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024)
						: EVP_PKEY_Q_keygen(NULL, NULL, key_alg, key_arg);
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = name_of(subject);
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();

	assert_non_null(key);
	assert_non_null(req);
	assert_non_null(name);
	assert_true(X509_REQ_set_subject_name(req, name));
	if (san)
		sk_X509_EXTENSION_push(exts, X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san));
	if (more_ext)
		sk_X509_EXTENSION_push(exts, X509V3_EXT_conf_nid(NULL, NULL, more_nid, more_ext));
	if (sk_X509_EXTENSION_num(exts))
		assert_true(X509_REQ_add_extensions(req, exts));
	assert_true(X509_REQ_set_pubkey(req, key));
	/* Ed25519 signs without a separate digest */
	assert_true(X509_REQ_sign(req, key, strcmp(key_alg, "ED25519") ? EVP_sha256() : NULL) > 0);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(name);
	EVP_PKEY_free(key);
	return req;
}


static struct buf der_of(X509_REQ *req)
{
	struct buf b = {NULL, 0};
	int n = i2d_X509_REQ(req, &b.data);

	assert_true(n > 0);
	b.len = (size_t)n;
	return b;
}

static struct buf pem_of(X509_REQ *req, int windows_header)
{
	BIO *bio = BIO_new(BIO_s_mem());
	struct buf b;
	char *p;
	long n;

	assert_true(windows_header ? PEM_write_bio_X509_REQ_NEW(bio, req)
				   : PEM_write_bio_X509_REQ(bio, req));
	n = BIO_get_mem_data(bio, &p);
	b.data = OPENSSL_malloc((size_t)n);
	memcpy(b.data, p, (size_t)n);
	b.len = (size_t)n;
	BIO_free(bio);
	return b;
}

static struct buf base64_of(const struct buf *der)
{
	struct buf b;

	b.data = OPENSSL_malloc(4 * ((der->len + 2) / 3) + 1);
	b.len = (size_t)EVP_EncodeBlock(b.data, der->data, (int)der->len);
	return b;
}

/* ASCII text as UTF-16: little or big endian, CRLF line ends, optional BOM */
static struct buf utf16_of(const struct buf *text, int big_endian, int bom)
{
	struct buf b;
	size_t i, o = 0;

	b.data = OPENSSL_malloc(4 * text->len + 2);
	if (bom) {
		b.data[o++] = big_endian ? 0xFE : 0xFF;
		b.data[o++] = big_endian ? 0xFF : 0xFE;
	}
	for (i = 0; i < text->len; i++) {
		unsigned char c[2] = {'\r', text->data[i]};
		int k, first = text->data[i] == '\n' ? 0 : 1;

		for (k = first; k < 2; k++) {
			b.data[o++] = big_endian ? 0 : c[k];
			b.data[o++] = big_endian ? c[k] : 0;
		}
	}
	b.len = o;
	return b;
}

static int quietly(int (*fn)(const char *, const unsigned char *, size_t, X509_REQ **),
		   const struct buf *in, X509_REQ **out)
{
	FILE *saved = stderr;
	int rc;

	stderr = fopen("/dev/null", "w");
	rc = fn("test", in->data, in->len, out);
	fclose(stderr);
	stderr = saved;
	return rc;
}

static void assert_same_request(const struct buf *in, const struct buf *want)
{
	X509_REQ *got = NULL;
	struct buf again;

	assert_int_equal(quietly(csr_decode_named, in, &got), 0);
	assert_non_null(got);
	again = der_of(got);
	assert_int_equal(again.len, want->len);
	assert_memory_equal(again.data, want->data, want->len);
	OPENSSL_free(again.data);
	X509_REQ_free(got);
}

static void every_form(void **state)
{
	X509_REQ *req = make_req("EC", "P-256", "/CN=mail-hub1", "DNS:mail-hub1.corp.example",
				 NULL, 0);
	struct buf der = der_of(req), pem = pem_of(req, 0), newpem = pem_of(req, 1);
	struct buf b64 = base64_of(&der), forms[8];
	X509_REQ *got = NULL;
	size_t i;

	(void)state;
	forms[0] = utf16_of(&newpem, 0, 1); /* Exchange 2007/2010 */
	forms[1] = utf16_of(&b64, 0, 0);    /* Exchange 2013: Unicode.GetBytes, no BOM */
	forms[2] = utf16_of(&pem, 1, 0);
	forms[3] = utf16_of(&pem, 1, 1);
	forms[4] = utf16_of(&pem, 0, 0);
	assert_same_request(&der, &der);
	assert_same_request(&pem, &der);
	assert_same_request(&newpem, &der);
	assert_same_request(&b64, &der);
	for (i = 0; i < 5; i++) {
		assert_same_request(&forms[i], &der);
		OPENSSL_free(forms[i].data);
	}
	/* the unlabelled entry point a fuzzer calls */
	assert_int_equal(csr_decode(der.data, der.len, &got), 0);
	X509_REQ_free(got);
	OPENSSL_free(der.data);
	OPENSSL_free(pem.data);
	OPENSSL_free(newpem.data);
	OPENSSL_free(b64.data);
	X509_REQ_free(req);
}

static void not_requests(void **state)
{
	X509_REQ *req = make_req("EC", "P-256", "/CN=x", NULL, NULL, 0), *got = NULL;
	struct buf der = der_of(req), b;
	static unsigned char big[CSR_MAX_BYTES + 1];
	unsigned char *longer = OPENSSL_malloc(der.len + 1);

	(void)state;
	b.data = (unsigned char *)"";
	b.len = 0;
	assert_int_equal(quietly(csr_decode_named, &b, &got), EX_DATAERR);
	memset(big, 'A', sizeof(big));
	b.data = big;
	b.len = sizeof(big);
	assert_int_equal(quietly(csr_decode_named, &b, &got), EX_DATAERR);
	b.len = CSR_MAX_BYTES; /* within the limit, but not a request */
	assert_int_equal(quietly(csr_decode_named, &b, &got), EX_DATAERR);
	b.data = der.data;
	b.len = der.len - 1;
	assert_int_equal(quietly(csr_decode_named, &b, &got), EX_DATAERR);
	memcpy(longer, der.data, der.len);
	longer[der.len] = 0;
	b.data = longer;
	b.len = der.len + 1;
	assert_int_equal(quietly(csr_decode_named, &b, &got), EX_DATAERR);
	b.data = (unsigned char *)"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n";
	b.len = strlen((char *)b.data);
	assert_int_equal(quietly(csr_decode_named, &b, &got), EX_DATAERR);
	b.data = (unsigned char *)"\xff\xfe\x00\xd8"; /* UTF-16LE with a lone surrogate */
	b.len = 4;
	assert_int_equal(quietly(csr_decode_named, &b, &got), EX_DATAERR);
	assert_null(got);
	OPENSSL_free(longer);
	OPENSSL_free(der.data);
	X509_REQ_free(req);
}

static int check_quietly(X509_REQ *req, int min_bits)
{
	FILE *saved = stderr;
	int rc;

	stderr = fopen("/dev/null", "w");
	rc = csr_check("test", req, min_bits);
	fclose(stderr);
	stderr = saved;
	return rc;
}

static void key_and_signature(void **state)
{
	X509_REQ *ec = make_req("EC", "P-256", "/CN=x", NULL, NULL, 0);
	X509_REQ *p384 = make_req("EC", "P-384", "/CN=x", NULL, NULL, 0);
	X509_REQ *p521 = make_req("EC", "P-521", "/CN=x", NULL, NULL, 0);
	X509_REQ *rsa1024 = make_req("RSA", NULL, "/CN=x", NULL, NULL, 0);
	X509_REQ *ed = make_req("ED25519", NULL, "/CN=x", NULL, NULL, 0), *tampered = NULL;
	struct buf der = der_of(ec);
	const unsigned char *p;

	(void)state;
	assert_int_equal(check_quietly(ec, 2048), 0);
	assert_int_equal(check_quietly(p384, 2048), 0);
	assert_int_equal(check_quietly(p521, 2048), EX_DATAERR);
	assert_int_equal(check_quietly(rsa1024, 2048), EX_DATAERR);
	assert_int_equal(check_quietly(rsa1024, 1024), 0); /* the limit is the caller's */
	assert_int_equal(check_quietly(ed, 2048), EX_DATAERR);
	der.data[der.len - 3] ^= 0x01; /* inside the ECDSA signature's integer */
	p = der.data;
	tampered = d2i_X509_REQ(NULL, &p, (long)der.len);
	assert_non_null(tampered);
	assert_int_equal(check_quietly(tampered, 2048), EX_DATAERR);
	X509_REQ_free(tampered);
	OPENSSL_free(der.data);
	X509_REQ_free(ec);
	X509_REQ_free(p384);
	X509_REQ_free(p521);
	X509_REQ_free(rsa1024);
	X509_REQ_free(ed);
}

static void collect(const char *item, void *ctx)
{
	char *all = ctx;

	strcat(all, item);
	strcat(all, ";");
}

static void names(void **state)
{
	X509_REQ *req = make_req("EC", "P-256", "/O=Corp/CN=Mail-Hub1",
				 "DNS:mail-hub1.corp.example,IP:2001:db8::25,email:a@b.example",
				 "critical,CA:TRUE", NID_basic_constraints);
	X509_REQ *none = make_req("EC", "P-256", "/O=Corp", "email:a@b.example", NULL, 0);
	struct csr_names n;
	char ignored[256] = "";
	FILE *saved = stderr;

	(void)state;
	assert_int_equal(csr_names_get("test", req, &n), 0);
	assert_int_equal(n.n, 3);
	assert_string_equal(n.names[0], "Mail-Hub1"); /* validated and lower-cased later */
	assert_string_equal(n.names[1], "mail-hub1.corp.example");
	assert_string_equal(n.names[2], "2001:db8::25");
	csr_names_free(&n);
	csr_ignored(req, collect, ignored);
	assert_string_equal(ignored, "O;basicConstraints;subjectAltName email;");
	stderr = fopen("/dev/null", "w");
	assert_int_equal(csr_names_get("test", none, &n), EX_DATAERR);
	fclose(stderr);
	stderr = saved;
	assert_int_equal(n.n, 0);
	X509_REQ_free(req);
	X509_REQ_free(none);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_form),
		cmocka_unit_test(not_requests),
		cmocka_unit_test(key_and_signature),
		cmocka_unit_test(names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
