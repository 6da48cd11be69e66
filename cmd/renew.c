/*
 * minica renew: a new key and certificate with the same names and template
 * as an issued one; the old record becomes superseded and the two name each
 * other, in the same transaction as the new record (issuer_issue).
 *
 * --expiring DAYS renews every valid certificate that expires within DAYS
 * days, one line each, and goes on past a certificate it cannot renew.
 *
 * --stage makes the host's next key now and prints its TLSA 3 1 1, so that
 * DANE records can pin it before it goes live; the next renewal of that host
 * (alone or in bulk) uses it. A renewal without one, of a host marked for
 * DANE ('minica dane'), warns that senders checking a 3 1 1 will defer.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "common/common.h"
#include "dane/dane.h"
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
	OPT_STAGE,
};

struct renew_args {
	const char *host, *serial;
	long expiring;
	int has_expiring, stage;
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
	{"stage", OPT_STAGE, NULL, 0,
	 "Do not renew yet: make the next key now and print its TLSA 3 1 1 record (DANE); the "
	 "next renew uses it (--force: replace a staged key)", 5},
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
	case OPT_STAGE:
		a->stage = 1;
		return 0;
	case ARGP_KEY_ARG:
		return cli_unexpected(arg);
	case ARGP_KEY_END:
		if ((a->host != NULL) + (a->serial != NULL) + a->has_expiring != 1)
			return cli_usage_error("give one of --host NAME, --serial SERIAL or "
					       "--expiring DAYS"),
			       EINVAL;
		if (a->stage && a->has_expiring)
			return cli_usage_error("--stage: give --host NAME or --serial SERIAL (one host "
					       "at a time, since each key's record is published first)"),
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
	"certificates are refused. Files are written as 'issue' writes them.\n\n"
	"DANE: 'renew --stage --host NAME' makes the next key now and prints its TLSA 3 1 1 "
	"record; publish it beside the current one, wait for the TTL, then renew: the renewal "
	"uses the staged key and says so. Renewing a host marked by 'minica dane' without a "
	"staged key warns: senders that check its 3 1 1 defer mail until the new record is "
	"published.\n\nExamples:\n"
	"  minica renew --host mail-hub1\n  minica renew --expiring 30 --out /srv/certs\n"
	"  minica renew --stage --host mail-hub1",
	cli_children, NULL, NULL};

struct renew_run {
	store *st;
	struct ca *ca;
	const struct renew_args *args;
	json_t *results; /* --json: one object per certificate */
	const struct dane_hosts *dane; /* hosts marked for DANE */
	int bulk;
	int renewed, skipped, failed, replaced;
	int first_rc;
};

static void bulk_line(const char *result, const struct store_record *rec, const char *text)
{
	char serial[2 * STORE_SERIAL_LEN + 1];

	if (g_opts.quiet && strcmp(result, "renewed") == 0) /* -q: failures only */
		return;
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

/*
 * The host's staged key, when there is one: the renewal uses it and drops it
 * in the same commit. Else, for a host marked for DANE, the warning.
 */
static int take_next_key(struct renew_run *run, const struct store_record *rec,
			 struct issuer *is, EVP_PKEY **next)
{
	unsigned char *spki = NULL;
	size_t len = 0;
	const struct dane_host *d;
	int rc;

	if ((rc = next_key_spki(run->st, rec->hosts[0], &spki, &len)))
		return rc;
	free(spki);
	if (spki) {
		if ((rc = ca_unlock(run->ca)) ||
		    (rc = next_key_load(run->st, run->ca, rec->hosts[0], next)))
			return rc;
		if (!*next)
			return fail(EX_TEMPFAIL, "the staged key of %s was used by another renewal "
						 "meanwhile: run the command again",
				    rec->hosts[0]);
		is->next_key = *next;
		is->next_key_host = rec->hosts[0];
		notice("%s: using the staged key ('renew --stage'): its TLSA 3 1 1 record is the one "
		       "published beside the current one",
		       rec->hosts[0]);
		return 0;
	}
	if (run->dane && (d = dane_hosts_find(run->dane, rec->hosts[0])))
		warning("%s is marked for DANE and has no staged key: DANE senders will defer mail to "
			"it until the new certificate's 3 1 1 is published ('minica dane --host %s'); "
			"next time run 'minica renew --stage --host %s' first",
			rec->hosts[0], rec->hosts[0], rec->hosts[0]);
	return 0;
}

static int renew_one(struct renew_run *run, const struct store_record *rec)
{
	struct issue_options o = run->args->o;
	struct issuer is = {0};
	EVP_PKEY *next = NULL;
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
	if ((rc = renew_issuer_init(&is, run->st, run->ca, rec, &o, ktype)) ||
	    (rc = take_next_key(run, rec, &is, &next)))
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
	EVP_PKEY_free(next);
	return rc;
}

static void report_replaced(struct renew_run *run, const struct store_record *rec,
			    const char *newer)
{
	char why[160];

	snprintf(why, sizeof(why), "certificate %s has the same names and expires later: renewed "
				   "once, from the newest",
		 newer);
	run->replaced++;
	if (run->bulk && !g_opts.json && !g_opts.quiet)
		bulk_line("replaced", rec, why);
	if (run->results)
		json_array_append_new(run->results, failure_json("replaced", rec, why));
}

static void print_staged(const struct store_record *rec, const struct dane_host *mark,
			 const struct tlsa *t, EVP_PKEY *key, int fresh)
{
	const char *fqdn = dane_qualified_name(rec);
	const char *names[DANE_MX_MAX + 1];
	long port = mark ? mark->port : DANE_PORT_DEFAULT;
	json_t *top = NULL, *list = NULL;
	char owner[HOST_MAX + 32], kd[32] = "";
	size_t n = 0, i;

	if (fqdn)
		names[n++] = fqdn;
	for (i = 0; mark && i < mark->n_mx; i++)
		if (!fqdn || strcmp(fqdn, mark->mx[i]))
			names[n++] = mark->mx[i];
	if (key)
		key_describe(key, kd);
	if (g_opts.json) {
		top = json_object();
		list = json_array();
	} else if (fresh) {
		printf("Staged the next key of %s (%s): publish this record beside the current one, "
		       "wait for its TTL, then 'minica renew --host %s'\n",
		       rec->hosts[0], kd, rec->hosts[0]);
	} else {
		printf("The next key of %s is already staged: publish this record beside the current "
		       "one, wait for its TTL, then 'minica renew --host %s'\n",
		       rec->hosts[0], rec->hosts[0]);
	}
	for (i = 0; i < n; i++) {
		if (tlsa_owner(names[i], port, owner, sizeof(owner)))
			continue;
		if (!top) {
			printf("%s IN TLSA 3 1 1 %s\n", owner, t->hex);
			continue;
		}
		json_t *o = json_object();

		json_object_set_new(o, "owner", json_string(owner));
		json_object_set_new(o, "usage", json_integer(3));
		json_object_set_new(o, "selector", json_integer(1));
		json_object_set_new(o, "matching_type", json_integer(1));
		json_object_set_new(o, "data", json_string(t->hex));
		json_array_append_new(list, o);
	}
	if (!n && !top)
		printf("; no qualified name: 'minica dane --host %s --mx NAME' prints the records\n",
		       rec->hosts[0]);
	if (!top)
		return;
	json_object_set_new(top, "host", json_string(rec->hosts[0]));
	json_object_set_new(top, "staged", json_boolean(fresh));
	json_object_set_new(top, "data", json_string(t->hex));
	json_object_set_new(top, "records", list);
	json_emit(top);
}

/* renew --stage: the host's next key, made and sealed now; nothing is renewed. */
static int stage_next_key(struct renew_run *run, const struct store_record *rec)
{
	const struct renew_args *a = run->args;
	const struct dane_host *mark = run->dane ? dane_hosts_find(run->dane, rec->hosts[0]) : NULL;
	const char *type;
	char ktype[16];
	unsigned char *spki = NULL;
	size_t len = 0;
	struct keyspec ks;
	struct tlsa t;
	EVP_PKEY *key = NULL;
	int rc;

	if ((rc = renew_refusal(rec)) || (rc = next_key_spki(run->st, rec->hosts[0], &spki, &len)))
		goto out;
	if (spki && !a->o.force) {
		if (!(rc = tlsa_of_spki(spki, len, TLSA_DANE_EE, &t)))
			print_staged(rec, mark, &t, NULL, 0);
		notice("--force makes a new one (whose record must then be published instead)");
		goto out;
	}
	type = a->o.key ? a->o.key : renew_key_type(rec, ktype);
	if (!type || keyspec_parse(type, &ks)) {
		rc = fail(EX_DATAERR, "the key of %s is of a type minica does not make: give --key TYPE",
			  rec->hosts[0]);
		goto out;
	}
	if ((rc = keyspec_generate(&ks, &key)) || (rc = ca_unlock(run->ca)) ||
	    (rc = next_key_stage(run->st, run->ca, rec->hosts[0], key)) ||
	    (rc = tlsa_of_key(key, TLSA_DANE_EE, &t)))
		goto out;
	print_staged(rec, mark, &t, key, 1);
out:
	free(spki);
	EVP_PKEY_free(key);
	return rc;
}

static int renew_expiring(struct renew_run *run)
{
	struct renew_due c = {0};
	size_t i;
	int rc;

	if ((rc = renew_due_find(run->st, now_utc(), run->args->expiring, &c)))
		goto out;
	for (i = 0; i < c.n; i++) {
		char newer[2 * STORE_SERIAL_LEN + 1];

		if (renew_newer_same_names(run->st, c.recs[i], now_utc(), newer))
			report_replaced(run, c.recs[i], newer);
		else
			renew_one(run, c.recs[i]);
	}
	if (c.expired)
		notice("%lu expired certificate%s not renewed: renew %s with --host or --serial "
		       "(see 'minica list --status expired')",
		       c.expired, c.expired == 1 ? " was" : "s were", c.expired == 1 ? "it" : "them");
	if (!g_opts.json) {
		if (c.n == 0)
			notice("no valid certificate expires within %ld days", run->args->expiring);
		else if (!g_opts.quiet)
			printf("renewed %d of %zu certificates expiring within %ld days%s%s%s\n",
			       run->renewed, c.n, run->args->expiring,
			       run->replaced ? " (older ones of the same names: see 'replaced' above)"
					     : "",
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
	struct dane_hosts dane = {0};
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
	if ((rc = dane_hosts_load(st, &dane)))
		goto out;
	run.dane = &dane;
	if (g_opts.json && !(run.results = json_array())) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	if (a.stage) {
		if (!(rc = record_lookup(st, a.serial, a.host, &rec)))
			rc = stage_next_key(&run, rec);
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
	dane_hosts_free(&dane);
	json_decref(run.results);
	store_record_free(rec);
	ca_release(&ca);
	store_close(st);
	return rc;
}
