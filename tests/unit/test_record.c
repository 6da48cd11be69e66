/* Unit tests: record encoding round trips and refuses damaged input. */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "store/store.h"

/* after common/common.h: cmocka defines a fail() macro */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static struct store_record *sample(void)
{
	static char *hosts[] = {"mail-hub1", "mail-hub1.corp.example"};
	static unsigned char cert[] = {0x30, 0x03, 0x02, 0x01, 0x05};
	struct store_record *r = calloc(1, sizeof(*r));

	memset(r->serial, 0xA5, sizeof(r->serial));
	r->cert = cert;
	r->cert_len = sizeof(cert);
	r->issued_at = 1764000000;
	r->not_before = 1763996400;
	r->not_after = 1921680000;
	r->status = STORE_VALID;
	r->hosts = hosts;
	r->n_hosts = 2;
	r->template_name = "smtp-transport";
	memset(r->template_hash, 0x11, sizeof(r->template_hash));
	r->ca_version = 3;
	r->revoke_reason = -1;
	return r;
}

static void round_trip_minimal(void **state)
{
	struct store_record *in = sample(), *out = NULL;
	unsigned char *der = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(store_record_encode(in, &der, &len), 0);
	assert_int_equal(store_record_decode(der, len, &out), 0);
	assert_memory_equal(out->serial, in->serial, STORE_SERIAL_LEN);
	assert_int_equal(out->cert_len, in->cert_len);
	assert_memory_equal(out->cert, in->cert, in->cert_len);
	assert_int_equal(out->not_after, in->not_after);
	assert_int_equal(out->n_hosts, 2);
	assert_string_equal(out->hosts[1], "mail-hub1.corp.example");
	assert_string_equal(out->template_name, "smtp-transport");
	assert_int_equal(out->ca_version, 3);
	assert_null(out->key);
	assert_int_equal(out->revoke_reason, -1);
	assert_int_equal(out->has_predecessor, 0);
	OPENSSL_free(der);
	store_record_free(out);
	free(in);
}

static void round_trip_optional_fields(void **state)
{
	struct store_record *in = sample(), *out = NULL;
	unsigned char key[] = "encrypted-key-bytes", *der = NULL;
	size_t len = 0;

	(void)state;
	in->key = key;
	in->key_len = sizeof(key);
	in->status = STORE_REVOKED;
	in->revoked_at = 1770000000;
	in->revoke_reason = 1;
	in->has_predecessor = 1;
	memset(in->predecessor, 0x42, STORE_SERIAL_LEN);
	in->crl_listed_at = 1770000100;
	assert_int_equal(store_record_encode(in, &der, &len), 0);
	assert_int_equal(store_record_decode(der, len, &out), 0);
	assert_int_equal(out->status, STORE_REVOKED);
	assert_int_equal(out->revoked_at, 1770000000);
	assert_int_equal(out->revoke_reason, 1);
	assert_int_equal(out->key_len, sizeof(key));
	assert_memory_equal(out->key, key, sizeof(key));
	assert_int_equal(out->has_predecessor, 1);
	assert_int_equal(out->has_successor, 0);
	assert_int_equal(out->predecessor[0], 0x42);
	assert_int_equal(out->crl_listed_at, 1770000100);
	OPENSSL_free(der);
	store_record_free(out);
	free(in);
}

/* Every truncation, and every single-byte change of the tag bytes, is refused or decodes sanely. */
static void damaged_input_is_refused(void **state)
{
	struct store_record *in = sample(), *out = NULL;
	unsigned char *der = NULL, *copy;
	size_t len = 0, cut;

	(void)state;
	assert_int_equal(store_record_encode(in, &der, &len), 0);
	for (cut = 0; cut < len; cut++) {
		assert_int_equal(store_record_decode(der, cut, &out), -1);
		assert_null(out);
	}
	copy = malloc(len + 1);
	memcpy(copy, der, len);
	copy[len] = 0x00; /* trailing garbage */
	assert_int_equal(store_record_decode(copy, len + 1, &out), -1);
	memcpy(copy, der, len);
	copy[4] ^= 0xff; /* version INTEGER value */
	assert_int_equal(store_record_decode(copy, len, &out), -1);
	free(copy);
	OPENSSL_free(der);
	free(in);
}

static void audit_round_trip(void **state)
{
	struct store_audit in = {0}, *out = NULL;
	unsigned char *der = NULL;
	size_t len = 0;

	(void)state;
	in.time = 1764000000;
	in.uid = 1000;
	in.user = "postmaster";
	in.host = "ca-host";
	in.pid = 4242;
	in.action = "issue";
	in.detail = "hosts=mail-hub1";
	in.has_serial = 1;
	memset(in.serial, 7, STORE_SERIAL_LEN);
	assert_int_equal(store_audit_encode(&in, &der, &len), 0);
	assert_int_equal(store_audit_decode(der, len, &out), 0);
	assert_string_equal(out->user, "postmaster");
	assert_string_equal(out->action, "issue");
	assert_int_equal(out->uid, 1000);
	assert_int_equal(out->has_serial, 1);
	OPENSSL_free(der);
	store_audit_free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip_minimal),
		cmocka_unit_test(round_trip_optional_fields),
		cmocka_unit_test(damaged_input_is_refused),
		cmocka_unit_test(audit_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
