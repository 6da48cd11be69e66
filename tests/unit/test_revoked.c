/*
 * Unit tests: the store's revocation index (kept in step with each record's
 * status, walked in serial order, untouched when a record changes without
 * changing its index keys) and the revocation reasons minica accepts.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca/ca.h"
#include "common/common.h"
#include "store/store.h"

/* after common/common.h: cmocka defines a fail() macro */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit_store.h"


static void serial_of(unsigned int i, unsigned char serial[STORE_SERIAL_LEN])
{
	memset(serial, 0, STORE_SERIAL_LEN);
	serial[0] = 0x40;
	serial[14] = (unsigned char)(i >> 8);
	serial[15] = (unsigned char)i;
}

static int insert_fn(store_txn *txn, void *ctx)
{
	unsigned char cert[8] = {1};
	char name[32], *hosts[1] = {name};
	unsigned int i;
	int rc = 0;

	(void)ctx;
	for (i = 0; i < 100 && rc == 0; i++) {
		struct store_record r = {0};

		snprintf(name, sizeof(name), "host%u.corp.example", i);
		serial_of(i, r.serial);
		r.cert = cert;
		r.cert_len = sizeof(cert);
		r.not_after = 2000000000 - (int64_t)i; /* expiry order is the reverse of serial order */
		r.hosts = hosts;
		r.n_hosts = 1;
		r.template_name = "t";
		r.revoke_reason = -1;
		rc = store_txn_insert(txn, &r);
	}
	return rc;
}

struct change {
	unsigned int from, to, step;
	int status;
	int64_t listed;
};

static int change_fn(store_txn *txn, void *ctx)
{
	const struct change *c = ctx;
	unsigned char serial[STORE_SERIAL_LEN];
	unsigned int i;
	int rc = 0;

	for (i = c->from; i < c->to && rc == 0; i += c->step) {
		struct store_record *r = NULL;

		serial_of(i, serial);
		if ((rc = store_txn_get(txn, serial, &r)))
			break;
		r->status = c->status;
		r->revoked_at = c->status == STORE_REVOKED ? 1700000000 : 0;
		r->revoke_reason = c->status == STORE_REVOKED ? 1 : -1;
		r->crl_listed_at = c->listed;
		rc = store_txn_update(txn, r);
		store_record_free(r);
	}
	return rc;
}

struct seen {
	unsigned int n;
	unsigned char last[STORE_SERIAL_LEN];
	int ordered, all_revoked, listed;
};

static int seen_fn(const struct store_record *r, void *ctx)
{
	struct seen *s = ctx;

	if (s->n && memcmp(s->last, r->serial, STORE_SERIAL_LEN) >= 0)
		s->ordered = 0;
	memcpy(s->last, r->serial, STORE_SERIAL_LEN);
	if (r->status != STORE_REVOKED)
		s->all_revoked = 0;
	if (r->crl_listed_at)
		s->listed++;
	s->n++;
	return 0;
}

static struct seen scan(store *st)
{
	struct seen s = {0, {0}, 1, 1, 0};

	assert_int_equal(store_scan_revoked(st, seen_fn, &s), 0);
	return s;
}

static void revoked_index(void **state)
{
	store *st = NULL;
	struct change revoke = {0, 100, 10, STORE_REVOKED, 0};
	struct change restore = {30, 31, 1, STORE_VALID, 0};
	struct store_stats before, after;
	struct seen s;

	(void)state;
	assert_int_equal(store_create(dir, init_fn, NULL, &st), 0);
	assert_int_equal(store_write(st, insert_fn, NULL), 0);
	s = scan(st);
	assert_int_equal(s.n, 0);

	/* 10 revoked, walked in serial order */
	assert_int_equal(store_write(st, change_fn, &revoke), 0);
	s = scan(st);
	assert_int_equal(s.n, 10);
	assert_true(s.ordered);
	assert_true(s.all_revoked);
	assert_int_equal(s.listed, 0);

	/* marking them listed keeps every index as it was */
	assert_int_equal(store_stats_get(st, &before), 0);
	revoke.listed = 1700000100;
	assert_int_equal(store_write(st, change_fn, &revoke), 0);
	assert_int_equal(store_stats_get(st, &after), 0);
	assert_int_equal(after.expiry_entries, before.expiry_entries);
	assert_int_equal(after.hosts, before.hosts);
	s = scan(st);
	assert_int_equal(s.n, 10);
	assert_int_equal(s.listed, 10);

	/* a record that is no longer revoked leaves the index */
	assert_int_equal(store_write(st, change_fn, &restore), 0);
	s = scan(st);
	assert_int_equal(s.n, 9);
	assert_true(s.all_revoked);
	store_close(st);
}

/* What crl does: walk the index, then mark what it found as listed. */
struct walk_mark {
	unsigned char serials[16][STORE_SERIAL_LEN];
	unsigned int n;
};

static int walk_mark_visit(const struct store_record *r, void *ctx)
{
	struct walk_mark *w = ctx;

	if (w->n == 16)
		return EX_SOFTWARE;
	memcpy(w->serials[w->n++], r->serial, STORE_SERIAL_LEN);
	return 0;
}

static int walk_mark_fn(store_txn *txn, void *ctx)
{
	struct walk_mark *w = ctx;
	unsigned int i;
	int rc;

	w->n = 0;
	if ((rc = store_txn_scan_revoked(txn, walk_mark_visit, w)))
		return rc;
	for (i = 0; i < w->n && rc == 0; i++)
		rc = store_txn_mark_listed(txn, w->serials[i], 1700000200);
	return rc;
}

static int listed_at(const struct store_record *r, void *ctx)
{
	if (r->crl_listed_at != 1700000200)
		(*(int *)ctx)++;
	return 0;
}

static int get_fn(store_txn *txn, void *ctx)
{
	struct store_record *r = NULL;
	unsigned char serial[STORE_SERIAL_LEN];
	int rc;

	serial_of(50, serial);
	if ((rc = store_txn_get(txn, serial, &r)) == 0) {
		*(int64_t *)ctx = r->crl_listed_at;
		store_record_free(r);
	}
	return rc;
}

static void mark_listed(void **state)
{
	store *st = NULL;
	struct walk_mark w = {0};
	struct store_record *r = NULL;
	unsigned char serial[STORE_SERIAL_LEN];
	struct store_stats before, after;
	int64_t in_txn = 0;
	int wrong = 0;

	(void)state;
	assert_int_equal(store_open(dir, &st), 0);
	assert_int_equal(store_stats_get(st, &before), 0);
	assert_int_equal(store_write(st, walk_mark_fn, &w), 0);
	assert_int_equal(w.n, 9);
	assert_int_equal(store_scan_revoked(st, listed_at, &wrong), 0);
	assert_int_equal(wrong, 0);
	/* store_get and store_txn_get see it too */
	serial_of(50, serial);
	assert_int_equal(store_get(st, serial, &r), 0);
	assert_int_equal(r->crl_listed_at, 1700000200);
	store_record_free(r);
	assert_int_equal(store_write(st, get_fn, &in_txn), 0);
	assert_int_equal(in_txn, 1700000200);
	assert_int_equal(store_stats_get(st, &after), 0);
	assert_int_equal(after.records, before.records);
	assert_int_equal(after.expiry_entries, before.expiry_entries);
	store_close(st);
}

static void reasons(void **state)
{
	const char *why = NULL;
	int code = -1;

	(void)state;
	assert_int_equal(crl_reason_parse("keyCompromise", &code, &why), 0);
	assert_int_equal(code, 1);
	assert_null(why);
	assert_int_equal(crl_reason_parse("KEYCOMPROMISE", &code, &why), 0);
	assert_int_equal(crl_reason_parse("unspecified", &code, &why), 0);
	assert_int_equal(code, 0);
	assert_int_equal(crl_reason_parse("affiliationChanged", &code, &why), 0);
	assert_int_equal(code, 3);
	assert_int_equal(crl_reason_parse("superseded", &code, &why), 0);
	assert_int_equal(code, 4);
	assert_int_equal(crl_reason_parse("cessationOfOperation", &code, &why), 0);
	assert_int_equal(code, 5);
	assert_int_equal(crl_reason_parse("privilegeWithdrawn", &code, &why), 0);
	assert_int_equal(code, 9);
	/* known but refused, with the reason why */
	assert_int_equal(crl_reason_parse("certificateHold", &code, &why), -1);
	assert_non_null(why);
	assert_int_equal(crl_reason_parse("removeFromCRL", &code, &why), -1);
	assert_non_null(why);
	assert_int_equal(crl_reason_parse("cACompromise", &code, &why), -1);
	assert_non_null(why);
	assert_int_equal(crl_reason_parse("aACompromise", &code, &why), -1);
	assert_non_null(why);
	/* unknown */
	assert_int_equal(crl_reason_parse("stolen", &code, &why), -1);
	assert_null(why);
	assert_int_equal(crl_reason_parse("", &code, &why), -1);
	assert_int_equal(crl_reason_parse("1", &code, &why), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(revoked_index),
		cmocka_unit_test(mark_listed),
		cmocka_unit_test(reasons),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
