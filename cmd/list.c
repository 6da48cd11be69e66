/*
 * minica list: one line per certificate, ordered by expiry. --expiring is a
 * cursor range over the expiry index, so it costs the same in a store of a
 * thousand records as in one of a million.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "common/common.h"
#include "issue/issue.h"

enum { OPT_HOST = 0x100, OPT_EXPIRING, OPT_STATUS };

struct list_args {
	const char *host, *status;
	long expiring;
	int has_expiring;
};

static const struct argp_option options[] = {
	{"host", OPT_HOST, "NAME", 0, "Only certificates that name NAME", 0},
	{"expiring", OPT_EXPIRING, "DAYS", 0, "Only certificates that expire within DAYS days", 0},
	{"status", OPT_STATUS, "STATUS", 0, "valid, revoked, expired or superseded", 0},
	{0}
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct list_args *a = state->input;

	switch (key) {
	case OPT_HOST:
		a->host = arg;
		return 0;
	case OPT_EXPIRING:
		a->has_expiring = 1;
		return parse_long(arg, "--expiring", 0, DAYS_MAX, &a->expiring) ? EINVAL : 0;
	case OPT_STATUS:
		if (strcmp(arg, "valid") && strcmp(arg, "revoked") && strcmp(arg, "expired") &&
		    strcmp(arg, "superseded"))
			return cli_usage_error("--status '%s': one of valid, revoked, expired, "
					       "superseded",
					       printable(arg)),
			       EINVAL;
		a->status = arg;
		return 0;
	case ARGP_KEY_ARG:
		return cli_unexpected(arg);
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	options, parse, NULL,
	"List issued certificates: serial, status, notAfter, days left, template, names.\v"
	"Example:\n  minica list --expiring 60 --status valid",
	cli_children, NULL, NULL};

struct list_ctx {
	const struct list_args *args;
	int64_t now;
	json_t *json;
	struct table *table;
	int revoked_layout; /* --status revoked: when and why instead of the days left */
	unsigned long shown;
};

static int visit(const struct store_record *rec, void *vctx)
{
	struct list_ctx *c = vctx;
	const struct list_args *a = c->args;

	if (a->status && strcmp(record_status(rec, c->now), a->status))
		return 0;
	if (a->has_expiring &&
	    (rec->status != STORE_VALID || rec->not_after <= c->now ||
	     rec->not_after > c->now + a->expiring * 86400))
		return 0;
	c->shown++;
	if (c->json)
		return json_array_append_new(c->json, record_json(rec, c->now, 0))
			       ? fail(EX_OSERR, "out of memory")
			       : 0;
	if (c->revoked_layout)
		return record_revoked_table_row(c->table, rec);
	return record_table_row(c->table, rec, c->now);
}

struct collected {
	struct store_record **recs;
	size_t n, cap;
};

static int collect(const struct store_record *rec, void *vctx)
{
	struct collected *c = vctx;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct store_record **grown = realloc(c->recs, cap * sizeof(*grown));

		if (!grown)
			return fail(EX_OSERR, "out of memory");
		c->recs = grown;
		c->cap = cap;
	}
	if (!(c->recs[c->n] = store_record_dup(rec)))
		return fail(EX_OSERR, "out of memory");
	c->n++;
	return 0;
}

/* The order of the expiry index: notAfter, then serial. */
static int expiry_order(const void *a, const void *b)
{
	const struct store_record *x = *(struct store_record *const *)a;
	const struct store_record *y = *(struct store_record *const *)b;

	if (x->not_after != y->not_after)
		return x->not_after < y->not_after ? -1 : 1;
	return memcmp(x->serial, y->serial, STORE_SERIAL_LEN);
}

/* --status revoked walks the revocation index (the revoked records only). */
static int list_revoked(store *st, struct list_ctx *c)
{
	struct collected all = {0};
	size_t i;
	int rc = store_scan_revoked(st, collect, &all);

	if (rc == 0 && all.n > 1)
		qsort(all.recs, all.n, sizeof(*all.recs), expiry_order);
	for (i = 0; i < all.n; i++) {
		if (rc == 0)
			rc = visit(all.recs[i], c);
		store_record_free(all.recs[i]);
	}
	free(all.recs);
	return rc;
}

int cmd_list(int argc, char **argv)
{
	struct list_args a = {0};
	struct list_ctx c = {&a, now_utc(), NULL, NULL, 0, 0};
	store *st = NULL;
	char *host = NULL;
	int rc, is_ip;

	if ((rc = cli_parse(&argp, argc, argv, "list", &a)) || (rc = store_open(store_dir(), &st)))
		goto out;
	c.revoked_layout = a.status && !strcmp(a.status, "revoked");
	if (g_opts.json ? !(c.json = json_array())
			: !(c.table = c.revoked_layout ? record_revoked_table_new() : record_table_new())) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	if (a.host) {
		if ((rc = host_check(a.host, 1, &host, &is_ip)))
			goto out;
		rc = store_scan_host(st, host, visit, &c);
	} else if (a.has_expiring) {
		rc = store_scan_expiry(st, c.now + 1, c.now + a.expiring * 86400, visit, &c);
	} else if (a.status && !strcmp(a.status, "revoked")) {
		rc = list_revoked(st, &c);
	} else if (a.status && !strcmp(a.status, "expired")) {
		rc = store_scan_expiry(st, INT64_MIN, c.now, visit, &c);
	} else {
		rc = store_scan_all(st, visit, &c);
	}
	if (rc)
		goto out;
	if (c.json) {
		rc = json_emit(c.json);
		c.json = NULL;
	} else if (c.shown == 0) {
		notice("no certificates match");
	} else {
		table_print(c.table);
	}
out:
	table_free(c.table);
	json_decref(c.json);
	free(host);
	store_close(st);
	return rc;
}
