/* Unit tests: the LMDB store: create, insert, indexes, update, map growth. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "store/store.h"

/* after common/common.h: cmocka defines a fail() macro */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit_store.h"


static void make_record(struct store_record *r, unsigned int i, int64_t not_after, char **hosts,
			size_t n_hosts, unsigned char *cert, size_t cert_len)
{
	memset(r, 0, sizeof(*r));
	r->serial[12] = (unsigned char)(i >> 24);
	r->serial[13] = (unsigned char)(i >> 16);
	r->serial[14] = (unsigned char)(i >> 8);
	r->serial[15] = (unsigned char)i;
	r->serial[0] = 0x80;
	r->cert = cert;
	r->cert_len = cert_len;
	r->not_after = not_after;
	r->hosts = hosts;
	r->n_hosts = n_hosts;
	r->template_name = "t";
	r->revoke_reason = -1;
}

struct bulk {
	unsigned int from, to;
	size_t cert_len;
	int calls;
};

static int bulk_fn(store_txn *txn, void *ctx)
{
	struct bulk *b = ctx;
	unsigned char *cert = calloc(1, b->cert_len);
	char name[32], *hosts[1] = {name};
	unsigned int i;
	int rc = 0;

	b->calls++;
	for (i = b->from; i < b->to && rc == 0; i++) {
		struct store_record r;

		snprintf(name, sizeof(name), "host%u.corp.example", i % 50);
		make_record(&r, i, 1000000 + (int64_t)i * 10, hosts, 1, cert, b->cert_len);
		rc = store_txn_insert(txn, &r);
	}
	free(cert);
	return rc;
}

struct count {
	int n;
	int64_t last;
	int ordered;
};

static int count_fn(const struct store_record *r, void *ctx)
{
	struct count *c = ctx;

	if (r->not_after < c->last)
		c->ordered = 0;
	c->last = r->not_after;
	c->n++;
	return 0;
}

static void create_insert_scan(void **state)
{
	store *st = NULL;
	struct bulk b = {0, 2000, 64, 0};
	struct count c = {0, 0, 1};
	struct stat sb;

	(void)state;
	assert_int_equal(store_create(dir, init_fn, NULL, &st), 0);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(store_write(st, bulk_fn, &b), 0);
	/* every record once, in expiry order */
	assert_int_equal(store_scan_all(st, count_fn, &c), 0);
	assert_int_equal(c.n, 2000);
	assert_int_equal(c.ordered, 1);
	/* a time range is exactly the records inside it (inclusive bounds) */
	memset(&c, 0, sizeof(c));
	c.ordered = 1;
	assert_int_equal(store_scan_expiry(st, 1000000 + 100 * 10, 1000000 + 199 * 10, count_fn, &c), 0);
	assert_int_equal(c.n, 100);
	/* 2000 records over 50 host names */
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_scan_host(st, "host7.corp.example", count_fn, &c), 0);
	assert_int_equal(c.n, 40);
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_scan_host(st, "nobody", count_fn, &c), 0);
	assert_int_equal(c.n, 0);
	store_close(st);
}

static int update_fn(store_txn *txn, void *ctx)
{
	struct store_record *r = NULL;
	int rc = store_txn_get(txn, ctx, &r);

	if (rc)
		return rc;
	r->status = STORE_REVOKED;
	r->revoked_at = 42;
	r->revoke_reason = 1;
	r->not_after = 5; /* moves in the expiry index */
	rc = store_txn_update(txn, r);
	store_record_free(r);
	return rc;
}

static void update_moves_index(void **state)
{
	store *st = NULL;
	struct store_record *r = NULL;
	struct count c = {0, 0, 1};
	unsigned char serial[STORE_SERIAL_LEN] = {0x80};

	(void)state;
	serial[15] = 7;
	assert_int_equal(store_open(dir, &st), 0);
	assert_int_equal(store_write(st, update_fn, serial), 0);
	assert_int_equal(store_get(st, serial, &r), 0);
	assert_int_equal(r->status, STORE_REVOKED);
	assert_int_equal(r->revoke_reason, 1);
	store_record_free(r);
	assert_int_equal(store_scan_expiry(st, 0, 10, count_fn, &c), 0);
	assert_int_equal(c.n, 1);
	memset(&c, 0, sizeof(c));
	c.ordered = 1;
	assert_int_equal(store_scan_all(st, count_fn, &c), 0);
	assert_int_equal(c.n, 2000);
	store_close(st);
}

/* One transaction larger than the initial 32 MiB map: it grows and retries. */
static void map_grows(void **state)
{
	store *st = NULL;
	struct bulk b = {10000, 10000 + 12000, 4096, 0};
	struct store_stats s;

	(void)state;
	assert_int_equal(store_open(dir, &st), 0);
	assert_int_equal(store_write(st, bulk_fn, &b), 0);
	assert_true(b.calls >= 2);
	assert_int_equal(store_stats_get(st, &s), 0);
	assert_int_equal(s.records, 14000);
	assert_true(s.map_size > (32u << 20));
	store_close(st);
}

static int dup_fn(store_txn *txn, void *ctx)
{
	struct bulk *b = ctx;

	b->from = 5;
	b->to = 6;
	return bulk_fn(txn, b);
}

static void duplicate_serial_refused(void **state)
{
	store *st = NULL;
	struct bulk b = {0};
	struct store_stats s;
	FILE *saved = stderr;
	int rc;

	(void)state;
	b.cert_len = 10;
	assert_int_equal(store_open(dir, &st), 0);
	stderr = fopen("/dev/null", "w");
	rc = store_write(st, dup_fn, &b);
	fclose(stderr);
	stderr = saved;
	assert_int_equal(rc, EX_TEMPFAIL);
	assert_int_equal(store_stats_get(st, &s), 0);
	assert_int_equal(s.records, 14000);
	store_close(st);
}

/*
 * A fixed map (minica serve's) has room for the store to double, and then
 * does not move: a write beyond it fails, unwritten.
 */
static void fixed_map_refuses_to_grow(void **state)
{
	store *st = NULL;
	struct store_stats before, after;
	struct bulk b = {100000, 0, 4096, 0};
	FILE *saved = stderr;
	int rc;

	(void)state;
	assert_int_equal(store_open(dir, &st), 0);
	assert_int_equal(store_fix_map(st, 0), 0);
	assert_int_equal(store_stats_get(st, &before), 0);
	assert_true(before.map_size >= 2 * before.used_bytes); /* room to double */
	b.to = b.from + (unsigned int)((before.map_size - before.used_bytes) / 4096) + 16;
	stderr = fopen("/dev/null", "w");
	rc = store_write(st, bulk_fn, &b);
	fclose(stderr);
	stderr = saved;
	assert_int_equal(rc, EX_IOERR);
	assert_int_equal(b.calls, 1);
	assert_int_equal(store_stats_get(st, &after), 0);
	assert_int_equal(after.records, before.records);
	assert_int_equal(after.map_size, before.map_size);
	store_close(st);
}

/* KiB of data.mdb that this process has mapped and resident (smaps "Rss:"). */
static long mapped_kib(void)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[1024], want[300];
	int in = 0;
	long kib = -1, v;

	snprintf(want, sizeof(want), "%s/data.mdb", dir);
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		int n = 0;

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%*x-%*x %*s %*x %*x:%*x %*u %n", &n) == 0 && n > 0)
			in = strcmp(line + n, want) == 0; /* a mapping's first line */
		else if (in && sscanf(line, "Rss: %ld kB", &v) == 1)
			kib = (kib < 0 ? 0 : kib) + v;
	}
	fclose(f);
	return kib;
}

/* Released pages leave the process's resident size; the data stays readable. */
static void release_gives_back_pages(void **state)
{
	store *st = NULL;
	struct count c = {0, 0, 1};
	long touched, released;

	(void)state;
	assert_int_equal(store_open(dir, &st), 0);
	assert_int_equal(store_scan_expiry(st, 0, INT64_MAX, count_fn, &c), 0);
	assert_int_equal(c.n, 14000);
	touched = mapped_kib();
	assert_int_equal(store_release_pages(st), 0);
	released = mapped_kib();
	assert_true(touched > 16 * 1024);
	assert_true(released >= 0 && released < 64);
	memset(&c, 0, sizeof(c));
	c.ordered = 1;
	assert_int_equal(store_scan_expiry(st, 0, INT64_MAX, count_fn, &c), 0);
	assert_int_equal(c.n, 14000);
	assert_true(c.ordered);
	store_close(st);
}

static void open_refuses_public_store(void **state)
{
	store *st = NULL;
	FILE *saved = stderr;
	int rc;

	(void)state;
	chmod(dir, 0755);
	stderr = fopen("/dev/null", "w");
	rc = store_open(dir, &st);
	fclose(stderr);
	stderr = saved;
	chmod(dir, 0700);
	assert_int_equal(rc, EX_NOPERM);
	assert_null(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(create_insert_scan),
		cmocka_unit_test(update_moves_index),
		cmocka_unit_test(map_grows),
		cmocka_unit_test(duplicate_serial_refused),
		cmocka_unit_test(fixed_map_refuses_to_grow),
		cmocka_unit_test(release_gives_back_pages),
		cmocka_unit_test(open_refuses_public_store),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
