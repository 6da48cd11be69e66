/* Unit tests: the ACME building blocks (acme/): base64url, RFC 7638
 * thumbprints, JWK keys, JWS parsing and its rules, nonces, name policy,
 * EAB key sealing, problem documents. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "acme/acme.h"
#include "common/common.h"

/* after common/common.h: cmocka defines a fail() macro */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static void b64url(void **state)
{
	static const unsigned char bytes[] = {0xfb, 0xff, 0xfe, 'a'};
	unsigned char *out = NULL;
	size_t n = 0;
	char *text = b64url_encode(bytes, sizeof(bytes));

	(void)state;
	assert_string_equal(text, "-__-YQ"); /* no '+', '/' or padding */
	assert_int_equal(b64url_decode(text, strlen(text), &out, &n), 0);
	assert_int_equal(n, sizeof(bytes));
	assert_memory_equal(out, bytes, n);
	free(out);
	free(text);
	assert_int_equal(b64url_decode("", 0, &out, &n), 0);
	assert_int_equal(n, 0);
	free(out);
	assert_int_equal(b64url_decode("+__-YQ", 6, &out, &n), -1);  /* standard alphabet */
	assert_int_equal(b64url_decode("-__-YQ==", 8, &out, &n), -1); /* padding */
	assert_int_equal(b64url_decode("-__ -YQ", 7, &out, &n), -1);  /* white space */
	assert_int_equal(b64url_decode("A", 1, &out, &n), -1);        /* impossible length */
}

/* RFC 7638 section 3.1: the example RSA key and its thumbprint */
static void thumbprint_rfc7638(void **state)
{
	json_t *jwk = json_pack(
		"{s:s, s:s, s:s, s:s}", "kty", "RSA", "e", "AQAB", "alg", "RS256", "n",
		"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSo"
		"c_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YG"
		"jQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdk"
		"t-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnq"
		"DKgw");
	char *t = jwk_thumbprint(jwk);
	EVP_PKEY *key = NULL;
	const char *why = NULL;

	(void)state;
	assert_string_equal(t, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	assert_int_equal(jwk_to_pkey(jwk, &key, &why), 0);
	assert_true(EVP_PKEY_is_a(key, "RSA"));
	EVP_PKEY_free(key);
	free(t);
	json_decref(jwk);
}

static void jwk_refused(void **state)
{
	const char *why = NULL;
	EVP_PKEY *key = NULL;
	json_t *bad[] = {
		json_pack("{s:s}", "kty", "oct"),
		json_pack("{s:s, s:s, s:s, s:s}", "kty", "EC", "crv", "P-521", "x", "AA", "y", "AA"),
		/* a point that is not on P-256 */
		json_pack("{s:s, s:s, s:s, s:s}", "kty", "EC", "crv", "P-256", "x",
			  "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE", "y",
			  "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE"),
		json_pack("{s:s, s:s, s:s}", "kty", "RSA", "n", "AQAB", "e", "AQAB"), /* 17 bits */
		json_pack("{s:s, s:s, s:s, s:s}", "kty", "OKP", "crv", "Ed25519", "x", "AQAB", "d", "AA"),
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(jwk_to_pkey(bad[i], &key, &why), -1);
		assert_null(key);
		assert_non_null(why);
		json_decref(bad[i]);
	}
}

static void jws_rules(void **state)
{
	static const char *const bad[] = {
		"[]",
		"{\"protected\": \"e30\", \"payload\": \"\", \"signature\": \"AA\", \"header\": {}}",
		"{\"protected\": \"e30\", \"payload\": \"\"}",
		/* protected {} : no alg */
		"{\"protected\": \"e30\", \"payload\": \"\", \"signature\": \"AA\"}",
		/* {"alg":"ES256","url":"u"} : neither jwk nor kid */
		("{\"protected\": \"eyJhbGciOiJFUzI1NiIsInVybCI6InUifQ\", \"payload\": \"\", "
		 "\"signature\": \"AA\"}"),
		/* duplicate member */
		"{\"protected\": \"e30\", \"protected\": \"e30\", \"payload\": \"\", \"signature\": \"AA\"}",
	};
	/* {"alg":"ES256","url":"u","kid":"k","nonce":"n"}, payload {"a":1} */
	static const char good[] =
		"{\"protected\": \"eyJhbGciOiJFUzI1NiIsInVybCI6InUiLCJraWQiOiJrIiwibm9uY2UiOiJuIn0\", "
		"\"payload\": \"eyJhIjoxfQ\", \"signature\": \"AAAA\"}";
	struct jws j;
	const char *why = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(jws_parse(bad[i], strlen(bad[i]), &j, &why), ACME_MALFORMED);
	assert_int_equal(jws_parse(good, strlen(good), &j, &why), 0);
	assert_string_equal(j.alg, "ES256");
	assert_string_equal(j.kid, "k");
	assert_string_equal(j.nonce, "n");
	assert_int_equal(json_integer_value(json_object_get(j.payload, "a")), 1);
	assert_false(jws_alg_known("HS256"));
	assert_false(jws_alg_known("none"));
	jws_release(&j);
}

static void nonces(void **state)
{
	struct acme_nonces *n = nonces_new(), *other = nonces_new();
	char *a = nonce_issue(n), *b = nonce_issue(n), *c = nonce_issue(other);

	(void)state;
	assert_int_equal(nonce_use(n, b), 0);
	assert_int_equal(nonce_use(n, b), -1); /* used once */
	assert_int_equal(nonce_use(n, a), 0);  /* order does not matter */
	assert_int_equal(nonce_use(n, c), -1); /* another server's (an earlier run) */
	assert_int_equal(nonce_use(n, "garbage"), -1);
	assert_int_equal(nonce_use(n, NULL), -1);
	free(a);
	free(b);
	free(c);
	nonces_free(n);
	nonces_free(other);
}

static void names(void **state)
{
	struct ca ca;
	char *permitted[] = {(char *)"corp.example"};
	json_t *suffixes = json_pack("[s]", "mail.corp.example");

	(void)state;
	memset(&ca, 0, sizeof(ca));
	assert_true(acme_name_under("corp.example", "corp.example"));
	assert_true(acme_name_under("a.corp.example", ".corp.example"));
	assert_false(acme_name_under("evilcorp.example", "corp.example"));
	assert_false(acme_name_under("example", "corp.example"));
	/* without EAB: the default domain only */
	assert_non_null(acme_name_refused(&ca, NULL, "a.corp.example"));
	ca.domain = (char *)"corp.example";
	assert_null(acme_name_refused(&ca, NULL, "a.corp.example"));
	assert_non_null(acme_name_refused(&ca, NULL, "a.other.example"));
	/* with EAB: the key's suffixes, inside the CA's constraints */
	assert_null(acme_name_refused(&ca, suffixes, "hub1.mail.corp.example"));
	assert_non_null(acme_name_refused(&ca, suffixes, "web.corp.example"));
	ca.permitted = permitted;
	ca.n_permitted = 1;
	json_array_append_new(suffixes, json_string("other.example"));
	assert_non_null(acme_name_refused(&ca, suffixes, "x.other.example"));
	json_decref(suffixes);
}

static void problems(void **state)
{
	json_t *p = acme_problem_json(ACME_BAD_NONCE, "stale");

	(void)state;
	assert_string_equal(json_string_value(json_object_get(p, "type")),
			    "urn:ietf:params:acme:error:badNonce");
	assert_int_equal(json_integer_value(json_object_get(p, "status")), 400);
	assert_int_equal(acme_problem_status(ACME_ORDER_NOT_READY), 403);
	assert_int_equal(acme_problem_status(ACME_TOO_LARGE), 413);
	json_decref(p);
}

static void hmac_jws(void **state)
{
	/* protected {"alg":"HS256","kid":"k","url":"u"}, payload {}, key "key" */
	static const char head[] = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsiLCJ1cmwiOiJ1In0";
	unsigned char mac[32];
	char input[128], *sig, body[512];
	struct jws j;
	const char *why;

	(void)state;
	snprintf(input, sizeof(input), "%s.e30", head);
	assert_int_equal(hmac_sha256((const unsigned char *)"key", 3, (unsigned char *)input,
				     strlen(input), mac),
			 0);
	sig = b64url_encode(mac, sizeof(mac));
	snprintf(body, sizeof(body), "{\"protected\":\"%s\",\"payload\":\"e30\",\"signature\":\"%s\"}",
		 head, sig);
	assert_int_equal(jws_parse(body, strlen(body), &j, &why), 0);
	assert_int_equal(jws_verify_hmac(&j, (const unsigned char *)"key", 3), 0);
	assert_int_equal(jws_verify_hmac(&j, (const unsigned char *)"kez", 3), -1);
	jws_release(&j);
	free(sig);
}

/* Ids go on command lines: none may start with '-' (1 in 64 did, and argp took it for an option). */
static void ids_never_start_with_a_dash(void **state)
{
	unsigned char dash = 0xF8; /* its first six bits are 62: base64url's '-' */
	char id[ACME_ID_LEN + 1], *text = b64url_encode(&dash, 1);
	int i;

	(void)state;
	assert_non_null(text);
	assert_int_equal(text[0], '-');
	free(text);
	for (i = 0; i < 4096; i++) {
		assert_int_equal(acme_id_new(id), 0);
		assert_int_equal(strlen(id), ACME_ID_LEN);
		assert_int_not_equal(id[0], '-');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(b64url),      cmocka_unit_test(thumbprint_rfc7638),
		cmocka_unit_test(jwk_refused), cmocka_unit_test(jws_rules),
		cmocka_unit_test(nonces),      cmocka_unit_test(names),
		cmocka_unit_test(problems),    cmocka_unit_test(hmac_jws),
		cmocka_unit_test(ids_never_start_with_a_dash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
