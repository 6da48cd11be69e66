/*
 * minica crl: a signed version 2 CRL of every revoked certificate, with
 * the next CRL number from the store (the numbering and the records it
 * lists for the first time are committed together; ca/crl.c).
 */
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca/ca.h"
#include "cmd/cmd.h"
#include "common/common.h"

enum { OPT_OUT = 0x100, OPT_DAYS, OPT_DER, OPT_FORCE };

struct crl_args {
	const char *out;
	long days;
	int der, force;
};

static const struct argp_option options[] = {
	{"out", OPT_OUT, "FILE", 0, "Write the CRL to FILE instead of standard output", 0},
	{"days", OPT_DAYS, "N", 0, "nextUpdate: N days from now (default 30)", 0},
	{"der", OPT_DER, NULL, 0, "DER instead of PEM (what Windows and most HTTP CDPs serve)", 0},
	{"force", OPT_FORCE, NULL, 0, "Replace FILE if it exists", 0},
	{0}
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct crl_args *a = state->input;

	switch (key) {
	case OPT_OUT:
		a->out = arg;
		return 0;
	case OPT_DAYS:
		return parse_long(arg, "--days", 1, CRL_DAYS_MAX, &a->days) ? EINVAL : 0;
	case OPT_DER:
		a->der = 1;
		return 0;
	case OPT_FORCE:
		a->force = 1;
		return 0;
	case ARGP_KEY_ARG:
		return cli_unexpected(arg);
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	options, parse, NULL,
	"Write a new certificate revocation list, signed by the CA.\v"
	"Each run takes the next CRL number. thisUpdate is now, nextUpdate N days later: "
	"publish a new CRL well before then (a client that finds an out-of-date CRL may refuse "
	"every certificate). Needs the CA passphrase.\n\n"
	"Example:\n  minica crl --der --out /var/www/pki/minica.crl --force",
	cli_children, NULL, NULL};

static int report(const struct crl_args *a, const struct crl_result *r, const char *pem)
{
	char t1[TIME_BUF], t2[TIME_BUF];

	if (g_opts.json) {
		json_t *o = json_object();

		json_object_set_new(o, "number", json_integer((json_int_t)r->number));
		json_object_set_new(o, "this_update", json_string(fmt_time_iso(r->this_update, t1)));
		json_object_set_new(o, "next_update", json_string(fmt_time_iso(r->next_update, t2)));
		json_object_set_new(o, "entries", json_integer((json_int_t)r->entries));
		json_object_set_new(o, "first_listed", json_integer((json_int_t)r->first_listed));
		json_object_set_new(o, "dropped_expired", json_integer((json_int_t)r->dropped));
		json_object_set_new(o, "format", json_string(a->der ? "der" : "pem"));
		if (a->out)
			json_object_set_new(o, "file", json_string(a->out));
		else
			json_object_set_new(o, "crl", json_string(pem));
		return json_emit(o);
	}
	if (!a->out) {
		notice("CRL number %llu: %zu revoked certificates, next update %s",
		       (unsigned long long)r->number, r->entries, fmt_time(r->next_update, t2));
		return 0;
	}
	printf("CRL number %llu written to %s (%s)\n", (unsigned long long)r->number, a->out,
	       a->der ? "DER" : "PEM");
	printf("  this update  %s\n", fmt_time(r->this_update, t1));
	printf("  next update  %s (%ld days)\n", fmt_time(r->next_update, t2), a->days);
	printf("  entries      %zu revoked certificates (%zu on a CRL for the first time)\n",
	       r->entries, r->first_listed);
	if (r->dropped)
		printf("  dropped      %zu expired certificates (listed after they expired)\n",
		       r->dropped);
	if (!g_opts.quiet)
		printf("\nPublish it where clients fetch it before %s.\n", fmt_time(r->next_update, t2));
	return 0;
}

/* After the commit: the CRL to its file or standard output, then the report. */
static int emit(const struct crl_args *a, const struct crl_result *r)
{
	unsigned char *data = NULL;
	size_t len = 0;
	int rc;

	if ((rc = crl_encode(r->crl, a->der, &data, &len)))
		return rc;
	if (a->out) {
		if ((rc = out_write_atomic(a->out, data, len, 0644, a->force)))
			fail(rc, "CRL number %llu is recorded in the store but was not written; run "
				 "'minica crl' again",
			     (unsigned long long)r->number);
	} else if (g_opts.json) {
		unsigned char *text = realloc(data, len + 1); /* PEM as a JSON string */

		if (!text) {
			rc = fail(EX_OSERR, "out of memory");
		} else {
			data = text;
			data[len] = '\0';
		}
	} else if (fwrite(data, 1, len, stdout) != len) {
		rc = fail(EX_IOERR, "cannot write to standard output: %s", strerror(errno));
	}
	if (rc == 0)
		rc = report(a, r, (const char *)data);
	free(data);
	return rc;
}

int cmd_crl(int argc, char **argv)
{
	struct crl_args a = {.days = CRL_DAYS_DEFAULT};
	struct crl_result r = {0};
	struct ca ca = {0};
	store *st = NULL;
	char *dir = NULL;
	int rc;

	if ((rc = cli_parse(&argp, argc, argv, "crl", &a)))
		goto out;
	if (a.out && !(dir = strdup(a.out))) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	/* everything that can be refused is refused before the store changes */
	if (!a.out && a.der && g_opts.json) {
		rc = cli_usage_error("--json without --out puts the CRL in the JSON as PEM: leave out "
				     "--der or give --out FILE");
		goto out;
	}
	if (!a.out && a.der && isatty(STDOUT_FILENO)) {
		rc = fail(EX_USAGE, "DER is binary: give --out FILE (for example minica.crl)");
		goto out;
	}
	if (a.out && ((rc = out_check_dir(dirname(dir))) || (rc = out_check_absent(a.out, a.force))))
		goto out;
	if ((rc = store_open(store_dir(), &st)) || (rc = ca_load(st, &ca)) ||
	    (rc = ca_unlock(&ca)) || (rc = crl_issue(&ca, a.days, now_utc(), &r)))
		goto out;
	rc = emit(&a, &r);
out:
	free(dir);
	crl_result_release(&r);
	ca_release(&ca);
	store_close(st);
	return rc;
}
