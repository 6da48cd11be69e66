/*
 * Unit tests: the expiry policy and renew for records that the commands of
 * this branch cannot make yet: a revoked certificate (no 'revoke' command
 * here) and one signed from a CSR (no 'sign' command here, so no kept key).
 * The store is made with the real commands, then those records are written
 * through the store API, exactly as revoke and sign will write them.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "expiry/expiry.h"
#include "issue/issue.h"
#include "cmd/cmd.h"
#include "common/common.h"

/* after common/common.h: cmocka defines a fail() macro */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static char base[256], store_path_buf[300], templates[4096];

/*
 * The commands print reports, warnings and (expected) refusals: keep them
 * out of the test's output, but not cmocka's own messages.
 */
static int quietly(int (*fn)(int, char **), char **argv)
{
	int out = dup(1), err = dup(2), null = open("/dev/null", O_WRONLY), argc = 0, rc;

	while (argv[argc])
		argc++;
	fflush(stdout);
	fflush(stderr);
	if (out >= 0 && err >= 0 && null >= 0) {
		dup2(null, 1);
		dup2(null, 2);
	}
	rc = fn(argc, argv);
	fflush(stdout);
	fflush(stderr);
	if (out >= 0)
		dup2(out, 1);
	if (err >= 0)
		dup2(err, 2);
	if (out >= 0)
		close(out);
	if (err >= 0)
		close(err);
	if (null >= 0)
		close(null);
	return rc;
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/minica-unit.XXXXXX";
	const char *env = getenv("MINICA_TEMPLATES");

	(void)state;
	if (!mkdtemp(tmpl))
		return -1;
	snprintf(base, sizeof(base), "%s", tmpl);
	snprintf(store_path_buf, sizeof(store_path_buf), "%s/store", base);
	if (!realpath(env && *env ? env : "templates", templates))
		return -1;
	memset(&g_opts, 0, sizeof(g_opts));
	g_opts.store_dir = store_path_buf;
	g_opts.templates_dir = templates;
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

struct find_ctx {
	unsigned char serial[STORE_SERIAL_LEN];
	int found;
};

static int find_valid(const struct store_record *rec, void *vctx)
{
	struct find_ctx *c = vctx;

	if (rec->status != STORE_VALID)
		return 0;
	memcpy(c->serial, rec->serial, STORE_SERIAL_LEN);
	c->found = 1;
	return 1;
}

static void serial_of(const char *host, unsigned char out[STORE_SERIAL_LEN])
{
	struct find_ctx c = {{0}, 0};
	store *st = NULL;

	assert_int_equal(store_open(store_path_buf, &st), 0);
	assert_int_equal(store_scan_host(st, host, find_valid, &c), 0);
	assert_true(c.found);
	memcpy(out, c.serial, STORE_SERIAL_LEN);
	store_close(st);
}

enum change { MAKE_REVOKED, MAKE_CSR_SIGNED };
struct change_ctx {
	const unsigned char *serial;
	enum change what;
};

static int change_fn(store_txn *txn, void *vctx)
{
	struct change_ctx *c = vctx;
	struct store_record *rec = NULL;
	int rc = store_txn_get(txn, c->serial, &rec);

	if (rc)
		return rc;
	if (c->what == MAKE_REVOKED) {
		rec->status = STORE_REVOKED;
		rec->revoked_at = now_utc();
		rec->revoke_reason = 1; /* keyCompromise */
	} else {
		free(rec->key); /* a CSR's key stays on the server */
		rec->key = NULL;
		rec->key_len = 0;
	}
	rc = store_txn_update(txn, rec);
	store_record_free(rec);
	return rc;
}

static void change(const char *host, enum change what, unsigned char serial[STORE_SERIAL_LEN])
{
	struct change_ctx c = {serial, what};
	store *st = NULL;

	serial_of(host, serial);
	assert_int_equal(store_open(store_path_buf, &st), 0);
	assert_int_equal(store_write(st, change_fn, &c), 0);
	store_close(st);
}

static void issue(const char *host, const char *days)
{
	char *argv[] = {"issue", "--host", (char *)host, "--days", (char *)days, "--key",
			"ec:P-256", "--no-pfx", "--out", base, "--force", NULL};

	assert_int_equal(quietly(cmd_issue, argv), 0);
}

static void evaluate(struct policy_report *r)
{
	struct policy_limits lim = {POLICY_CA_WARN, POLICY_CA_CRIT, POLICY_LEAF_WARN,
				    POLICY_LEAF_CRIT};
	struct ca ca = {0};
	store *st = NULL;

	assert_int_equal(store_open(store_path_buf, &st), 0);
	assert_int_equal(ca_load(st, &ca), 0);
	assert_int_equal(policy_evaluate(st, &ca, &lim, r), 0);
	ca_release(&ca);
	store_close(st);
}

static int renew_serial(const unsigned char serial[STORE_SERIAL_LEN])
{
	char hex[2 * STORE_SERIAL_LEN + 1];
	char *argv[] = {"renew", "--serial", hex, "--out", base, "--force", "--no-pfx", NULL};

	serial_hex(serial, hex);
	return quietly(cmd_renew, argv);
}

static void revoked_and_csr_records(void **state)
{
	char *init[] = {"init", "--name", "Unit CA", "--key", "ec:P-256", "--no-passphrase", NULL};
	char *bulk[] = {"renew", "--expiring", "30", "--out", base, "--force", "--no-pfx", NULL};
	unsigned char revoked[STORE_SERIAL_LEN], csr[STORE_SERIAL_LEN];
	struct policy_report r;
	char *fix;
	int rc, csr_leaf;

	(void)state;
	assert_int_equal(quietly(cmd_init, init), 0);
	issue("revoked1", "5");
	issue("csr1", "5");
	issue("plain1", "5");
	issue("later1", "400");

	/* all three 5-day certificates are CRITICAL, the 400-day one is not listed */
	evaluate(&r);
	assert_int_equal(r.status, MON_CRITICAL);
	assert_int_equal(r.n_leaves, 3);
	assert_int_equal(r.n_critical, 3);
	policy_release(&r);

	change("revoked1", MAKE_REVOKED, revoked);
	change("csr1", MAKE_CSR_SIGNED, csr);

	/* a revoked certificate never alarms; a CSR-signed one does, with its own fix */
	evaluate(&r);
	assert_int_equal(r.n_leaves, 2);
	/* both expire in the same second or so: the index orders them by serial then */
	csr_leaf = !strcmp(r.leaves[0].rec->hosts[0], "csr1") ? 0 : 1;
	assert_string_equal(r.leaves[csr_leaf].rec->hosts[0], "csr1");
	assert_string_equal(r.leaves[1 - csr_leaf].rec->hosts[0], "plain1");
	fix = policy_fix_leaf(&r, &r.leaves[csr_leaf]);
	assert_non_null(strstr(fix, "a new CSR from the server, then: minica --store "));
	assert_non_null(strstr(fix, " sign --csr FILE --template smtp-transport"));
	free(fix);
	fix = policy_fix_leaf(&r, &r.leaves[1 - csr_leaf]);
	assert_non_null(strstr(fix, " renew --host plain1"));
	free(fix);
	policy_release(&r);

	/* renew refuses both, each with its own code */
	assert_int_equal(renew_serial(revoked), EX_DATAERR);
	assert_non_null(strstr(diag_last(), "is revoked: a revoked certificate is not renewed"));
	assert_int_equal(renew_serial(csr), EX_NOINPUT);
	assert_non_null(strstr(diag_last(), "was signed from a CSR"));

	/* bulk: the CSR-signed one is skipped, the other renewed, the exit code says so */
	rc = quietly(cmd_renew, bulk);
	assert_int_equal(rc, EX_NOINPUT);
	evaluate(&r);
	assert_int_equal(r.n_leaves, 1);
	assert_string_equal(r.leaves[0].rec->hosts[0], "csr1");
	policy_release(&r);
}

static void shell_quoting(void **state)
{
	char *q;

	(void)state;
	q = sh_quote("/srv/minica");
	assert_string_equal(q, "/srv/minica");
	free(q);
	q = sh_quote("/srv/my store");
	assert_string_equal(q, "'/srv/my store'");
	free(q);
	q = sh_quote("it's");
	assert_string_equal(q, "'it'\\''s'");
	free(q);
	q = sh_quote("");
	assert_string_equal(q, "''");
	free(q);
}

static void mail_addresses(void **state)
{
	(void)state;
	assert_int_equal(mail_address_check("postmaster@corp.example"), 0);
	assert_int_equal(mail_address_check("first.last+tag@sub.corp.example"), 0);
	assert_int_equal(mail_address_check("postmaster"), -1);
	assert_int_equal(mail_address_check("@corp.example"), -1);
	assert_int_equal(mail_address_check("a@"), -1);
	assert_int_equal(mail_address_check("a@b@c"), -1);
	assert_int_equal(mail_address_check("a b@c"), -1);
	assert_int_equal(mail_address_check("a@b\r\nBcc: x@y"), -1);
	assert_int_equal(mail_address_check("<a@b>"), -1);
	assert_int_equal(mail_address_check("a@b,c@d"), -1);
	assert_int_equal(mail_address_check("a@.b"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(revoked_and_csr_records),
		cmocka_unit_test(shell_quoting),
		cmocka_unit_test(mail_addresses),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
