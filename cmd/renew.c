/*
 * minica renew: a new key and certificate with the same names and template
 * as an issued one; the old record becomes superseded and the two name each
 * other, in the same transaction as the new record (issuer_issue).
 *
 * --expiring DAYS renews every valid certificate that expires within DAYS
 * days, one line each, and goes on past a certificate it cannot renew.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "common/common.h"
#include "issue/issue.h"

enum {
	OPT_HOST = 0x100,
	OPT_SERIAL,
	OPT_EXPIRING,
	OPT_DAYS,
	OPT_KEY,
	OPT_OUT,
	OPT_FORCE,
	OPT_PFX,
	OPT_NO_PFX,
	OPT_LEGACY,
	OPT_MODERN,
	OPT_PFX_PASS_FILE,
};

struct renew_args {
	const char *host, *serial;
	long expiring;
	int has_expiring;
	struct issue_options o;
};

static const struct argp_option options[] = {
	{"host", OPT_HOST, "NAME", 0, "Renew the newest valid certificate for NAME", 1},
	{"serial", OPT_SERIAL, "SERIAL", 0, "Renew the certificate with this serial", 1},
	{"expiring", OPT_EXPIRING, "DAYS", 0,
	 "Renew every valid certificate that expires within DAYS days", 1},
	{"days", OPT_DAYS, "N", 0, "Validity in days (default: the template's)", 2},
	{"key", OPT_KEY, "TYPE", 0, "Key type (default: the same as the old certificate's)", 2},
	{"out", OPT_OUT, "DIR", 0, "Directory for the files (default: current directory)", 3},
	{"force", OPT_FORCE, NULL, 0, "Replace existing files", 3},
	{"pfx", OPT_PFX, NULL, 0, "Write NAME.pfx (default: as the template says)", 4},
	{"no-pfx", OPT_NO_PFX, NULL, 0, "Do not write a PFX", 4},
	{"legacy", OPT_LEGACY, NULL, 0, "PFX with 3DES and a SHA-1 MAC (every Windows)", 4},
	{"modern", OPT_MODERN, NULL, 0, "PFX with AES-256 and a SHA-256 MAC (Server 2019+)", 4},
	{"pfx-pass-file", OPT_PFX_PASS_FILE, "FILE", 0,
	 "PFX password: first line of FILE (default: generated, saved as NAME.pfx-password)", 4},
	{0}
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct renew_args *a = state->input;
	struct keyspec ks;

	switch (key) {
	case OPT_HOST:
		a->host = arg;
		return 0;
	case OPT_SERIAL:
		a->serial = arg;
		return 0;
	case OPT_EXPIRING:
		a->has_expiring = 1;
		return parse_long(arg, "--expiring", 1, DAYS_MAX, &a->expiring) ? EINVAL : 0;
	case OPT_DAYS:
		return parse_long(arg, "--days", 1, DAYS_MAX, &a->o.days) ? EINVAL : 0;
	case OPT_KEY:
		if (keyspec_parse(arg, &ks))
			return cli_usage_error("--key '%s': not a supported key type (rsa:2048, "
					       "rsa:3072, rsa:4096, ec:P-256, ec:P-384)",
					       printable(arg)),
			       EINVAL;
		a->o.key = arg;
		return 0;
	case OPT_OUT:
		a->o.out_dir = arg;
		return 0;
	case OPT_FORCE:
		a->o.force = 1;
		return 0;
	case OPT_PFX:
		a->o.pfx = 1;
		return 0;
	case OPT_NO_PFX:
		a->o.pfx = 0;
		return 0;
	case OPT_LEGACY:
		a->o.pfx_mode = PFX_LEGACY;
		return 0;
	case OPT_MODERN:
		a->o.pfx_mode = PFX_MODERN;
		return 0;
	case OPT_PFX_PASS_FILE:
		a->o.pfx_pass_file = arg;
		return 0;
	case ARGP_KEY_ARG:
		return cli_unexpected(arg);
	case ARGP_KEY_END:
		if ((a->host != NULL) + (a->serial != NULL) + a->has_expiring != 1)
			return cli_usage_error("give one of --host NAME, --serial SERIAL or "
					       "--expiring DAYS"),
			       EINVAL;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	options, parse, NULL,
	"Renew certificates: a new key and certificate with the same names and template; the "
	"old one becomes superseded.\v"
	"The new key has the old one's type unless --key says otherwise. A certificate signed "
	"from a CSR has no key in the store and needs a new CSR. Revoked and already renewed "
	"certificates are refused. Files are written as 'issue' writes them.\n\nExamples:\n"
	"  minica renew --host mail-hub1\n  minica renew --expiring 30 --out /srv/certs",
	cli_children, NULL, NULL};

struct renew_run {
	store *st;
	struct ca *ca;
	const struct renew_args *args;
	json_t *results; /* --json: one object per certificate */
	int bulk;
	int renewed, skipped, failed;
	int first_rc;
};

static void bulk_line(const char *result, const struct store_record *rec, const char *text)
{
	char serial[2 * STORE_SERIAL_LEN + 1];

	serial_hex(rec->serial, serial);
	printf("%-8s %s  %s  %s\n", result, rec->n_hosts ? rec->hosts[0] : "?", serial, text);
}

static json_t *failure_json(const char *result, const struct store_record *rec,
			    const char *why)
{
	json_t *o = record_json(rec, now_utc(), 0);

	json_object_set_new(o, "result", json_string(result));
	json_object_set_new(o, "reason", json_string(why));
	return o;
}

/* The bulk line for a renewal, from the issuer's JSON result. */
static void renewed_line(const struct store_record *rec, json_t *o)
{
	const char *key, *iso = json_string_value(json_object_get(o, "not_after"));
	json_t *v, *files = json_object_get(o, "files");
	char *text = NULL, when[TIME_BUF];
	size_t len = 0;
	int64_t t = 0;
	FILE *mem = open_memstream(&text, &len);

	if (!mem)
		return;
	fprintf(mem, "-> %s  not after %s  files", json_string_value(json_object_get(o, "serial")),
		iso && parse_date(iso, &t) == 0 ? fmt_time(t, when) : "?");
	json_object_foreach(files, key, v)
		fprintf(mem, " %s", json_string_value(v));
	fclose(mem);
	bulk_line("renewed", rec, text);
	free(text);
}

static int renew_one(struct renew_run *run, const struct store_record *rec)
{
	struct issue_options o = run->args->o;
	struct issuer is = {0};
	char ktype[16], serial[2 * STORE_SERIAL_LEN + 1];
	int rc;

	serial_hex(rec->serial, serial);
	if ((rc = renew_refusal(rec))) {
		run->skipped++;
		if (run->bulk && !g_opts.json)
			bulk_line("skipped", rec, rc == EX_NOINPUT ? "signed from a CSR: needs a new CSR"
								   : "revoked or already renewed");
		if (run->results)
			json_array_append_new(run->results, failure_json("skipped", rec, diag_last()));
		goto out;
	}
	if ((rc = renew_issuer_init(&is, run->st, run->ca, rec, &o, ktype)))
		goto failed;
	if (memcmp(is.tpl->hash, rec->template_hash, STORE_HASH_LEN))
		notice("template %s has changed since %s was issued; the new certificate follows it "
		       "as it is now",
		       is.tpl->name, serial);
	/* in bulk, the issuer's long report gives way to one line per certificate */
	if (run->bulk && !is.json && !(is.json = json_array())) {
		rc = fail(EX_OSERR, "out of memory");
		goto failed;
	}
	if ((rc = issuer_issue(&is, rec->hosts, rec->n_hosts, rec)))
		goto failed;
	run->renewed++;
	issue_print_install(&is);
	if (run->bulk && !g_opts.json)
		renewed_line(rec, json_array_get(is.json, 0));
	else if (run->results) {
		json_t *res = json_array_get(is.json, 0);

		json_object_set_new(res, "result", json_string("renewed"));
		json_array_append(run->results, res);
	}
	goto out;
failed:
	run->failed++;
	if (run->bulk && !g_opts.json)
		bulk_line("failed", rec, diag_last());
	if (run->results)
		json_array_append_new(run->results, failure_json("failed", rec, diag_last()));
out:
	if (rc && !run->first_rc)
		run->first_rc = rc;
	issuer_release(&is);
	return rc;
}

static int renew_expiring(struct renew_run *run)
{
	struct renew_due c = {0};
	size_t i;
	int rc;

	if ((rc = renew_due_find(run->st, now_utc(), run->args->expiring, &c)))
		goto out;
	for (i = 0; i < c.n; i++)
		renew_one(run, c.recs[i]);
	if (c.expired)
		notice("%lu expired certificate%s not renewed: renew %s with --host or --serial "
		       "(see 'minica list --status expired')",
		       c.expired, c.expired == 1 ? " was" : "s were", c.expired == 1 ? "it" : "them");
	if (!g_opts.json) {
		if (c.n == 0)
			notice("no valid certificate expires within %ld days", run->args->expiring);
		else
			printf("renewed %d of %zu certificates expiring within %ld days%s%s\n",
			       run->renewed, c.n, run->args->expiring,
			       run->skipped ? " (see 'skipped' above)" : "",
			       run->failed ? " (see 'failed' above)" : "");
	}
	rc = run->first_rc;
out:
	renew_due_release(&c);
	return rc;
}

int cmd_renew(int argc, char **argv)
{
	struct renew_args a = {.o = {.pfx = -1}};
	struct renew_run run = {0};
	struct store_record *rec = NULL;
	struct ca ca = {0};
	store *st = NULL;
	int rc;

	if ((rc = cli_parse(&argp, argc, argv, "renew", &a)) ||
	    (rc = store_open(store_dir(), &st)) || (rc = ca_load(st, &ca)))
		goto out;
	run.st = st;
	run.ca = &ca;
	run.args = &a;
	run.bulk = a.has_expiring;
	if (g_opts.json && !(run.results = json_array())) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	if (run.bulk) {
		rc = renew_expiring(&run);
	} else {
		if ((rc = record_lookup(st, a.serial, a.host, &rec)) || (rc = renew_one(&run, rec)))
			goto out;
	}
	if (run.results && (run.bulk || json_array_size(run.results))) {
		int jrc = run.bulk ? json_emit(json_incref(run.results))
				   : json_emit(json_incref(json_array_get(run.results, 0)));

		rc = rc ? rc : jrc;
	}
out:
	json_decref(run.results);
	store_record_free(rec);
	ca_release(&ca);
	store_close(st);
	return rc;
}
