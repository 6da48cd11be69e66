/*
 * Unit tests: store_verify's contract. The hooks see every CA version
 * before the key and the key before any record; what the store API itself
 * can make inconsistent (a renewal link to nothing, a CA version that does
 * not exist) is reported once, as one line, and the walk goes on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "store/store.h"

/* after common/common.h: cmocka defines a fail() macro */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static char dir[256];

struct seen {
	int cas, keys, records, problems;
	int order_ok;
	char protection[32];
	char last[768];
};

static void on_problem(void *ctx, const char *line)
{
	struct seen *s = ctx;

	s->problems++;
	snprintf(s->last, sizeof(s->last), "%s", line);
}

static void on_ca(void *ctx, uint32_t version, const unsigned char *der, size_t len)
{
	struct seen *s = ctx;

	(void)der;
	(void)len;
	if (s->keys || s->records || version != (uint32_t)s->cas + 1)
		s->order_ok = 0;
	s->cas++;
}

static void on_key(void *ctx, const unsigned char *blob, size_t len, const char *protection)
{
	struct seen *s = ctx;

	if (s->records || len != 4 || memcmp(blob, "KEY!", 4))
		s->order_ok = 0;
	snprintf(s->protection, sizeof(s->protection), "%s", protection);
	s->keys++;
}

static void on_record(void *ctx, const struct store_record *rec)
{
	struct seen *s = ctx;

	(void)rec;
	s->records++;
}

static int init_fn(store_txn *txn, void *ctx)
{
	static const unsigned char ca[] = {0x30, 0x00};
	int rc;

	(void)ctx;
	if ((rc = store_txn_ca_add(txn, ca, sizeof(ca), NULL)) ||
	    (rc = store_txn_ca_add(txn, ca, sizeof(ca), NULL)) ||
	    (rc = store_txn_meta_put(txn, "ca.key", "KEY!", 4)))
		return rc;
	return store_txn_meta_put(txn, "ca.key.protection", "none", 4);
}

struct insert {
	unsigned char serial;
	uint32_t ca_version;
	int predecessor; /* serial byte of a predecessor, 0 for none */
};

static int insert_fn(store_txn *txn, void *ctx)
{
	const struct insert *in = ctx;
	static char *hosts[] = {"mail-hub1", "mail-hub1.corp.example"};
	static unsigned char cert[] = {0x30, 0x00};
	struct store_record r;
	struct store_audit a = {0};
	int rc;

	memset(&r, 0, sizeof(r));
	r.serial[0] = 0x40;
	r.serial[15] = in->serial;
	r.cert = cert;
	r.cert_len = sizeof(cert);
	r.not_before = 100;
	r.not_after = 1000 + in->serial;
	r.hosts = hosts;
	r.n_hosts = 2;
	r.template_name = "t";
	r.ca_version = in->ca_version;
	r.revoke_reason = -1;
	if (in->predecessor) {
		r.has_predecessor = 1;
		r.predecessor[0] = 0x40;
		r.predecessor[15] = (unsigned char)in->predecessor;
	}
	a.action = "issue";
	a.detail = "test";
	if ((rc = store_txn_insert(txn, &r)))
		return rc;
	return store_txn_audit(txn, &a);
}

static void verify_contract(void **state)
{
	char tmpl[] = "/tmp/minica-unit-verify.XXXXXX", cmd[600];
	struct insert ok1 = {1, 1, 0}, ok2 = {2, 2, 1}, orphan = {3, 2, 9}, future = {4, 3, 0};
	struct seen s = {0};
	struct store_verify_hooks hooks = {on_problem, on_ca, on_key, on_record, &s};
	struct store_verify_counts c;
	store *st = NULL;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	snprintf(dir, sizeof(dir), "%s/store", tmpl);
	assert_int_equal(store_create(dir, init_fn, NULL, &st), 0);
	assert_int_equal(store_write(st, insert_fn, &ok1), 0);
	assert_int_equal(store_write(st, insert_fn, &ok2), 0);

	s.order_ok = 1;
	assert_int_equal(store_verify(st, &hooks, &c), 0);
	assert_int_equal(s.problems, 0);
	assert_true(s.order_ok);
	assert_int_equal(s.cas, 2);
	assert_int_equal(s.keys, 1);
	assert_string_equal(s.protection, "none");
	assert_int_equal(s.records, 2);
	assert_int_equal(c.records, 2);
	assert_int_equal(c.ca_versions, 2);
	assert_int_equal(c.hosts, 2);
	assert_int_equal(c.host_entries, 4);
	assert_int_equal(c.expiry_entries, 2);
	assert_int_equal(c.audit_entries, 2);

	/* a renewal link to a record that is not there */
	assert_int_equal(store_write(st, insert_fn, &orphan), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_verify(st, &hooks, &c), 0);
	assert_int_equal(s.problems, 1);
	assert_string_equal(s.last, "record 40000000000000000000000000000003: its predecessor "
				    "40000000000000000000000000000009 is not in the store");
	assert_int_equal(s.records, 3);

	/* a CA version the store does not have */
	assert_int_equal(store_write(st, insert_fn, &future), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_verify(st, &hooks, &c), 0);
	assert_int_equal(s.problems, 2);
	assert_string_equal(s.last, "record 40000000000000000000000000000004: signed by CA version "
				    "3, which the store does not have");
	assert_int_equal(c.records, 4);
	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(verify_contract),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
