/*
 * minica report --html FILE | --ics FILE: the store as a page for people and
 * as a calendar for their calendar programs. Reads only; no passphrase.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "common/common.h"
#include "issue/issue.h"
#include "report/report.h"

enum { OPT_HTML = 0x100, OPT_ICS, OPT_WARN, OPT_CA_WARN, OPT_FORCE };

struct report_args {
	const char *html, *ics;
	long warn, ca_warn;
	int force;
};

static const struct argp_option options[] = {
	{"html", OPT_HTML, "FILE", 0, "Write a self-contained HTML page ('-': standard output)", 0},
	{"ics", OPT_ICS, "FILE", 0, "Write an iCalendar file ('-': standard output)", 0},
	{"warn", OPT_WARN, "DAYS", 0,
	 "Warn this many days before a certificate expires (default 60)", 0},
	{"ca-warn", OPT_CA_WARN, "DAYS", 0,
	 "Warn this many days before the CA expires (default 365)", 0},
	{"force", OPT_FORCE, NULL, 0, "Replace existing files", 0},
	{0}
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct report_args *a = state->input;

	switch (key) {
	case OPT_HTML:
		a->html = arg;
		return 0;
	case OPT_ICS:
		a->ics = arg;
		return 0;
	case OPT_WARN:
		return parse_long(arg, "--warn", 1, DAYS_MAX, &a->warn) ? EINVAL : 0;
	case OPT_CA_WARN:
		return parse_long(arg, "--ca-warn", 1, DAYS_MAX, &a->ca_warn) ? EINVAL : 0;
	case OPT_FORCE:
		a->force = 1;
		return 0;
	case ARGP_KEY_ARG:
		return cli_unexpected(arg);
	case ARGP_KEY_END:
		if (!a->html && !a->ics)
			return cli_usage_error("give --html FILE, --ics FILE or both"), EINVAL;
		if (a->html && a->ics && !strcmp(a->html, "-") && !strcmp(a->ics, "-"))
			return cli_usage_error("only one of --html and --ics can go to standard "
					       "output"),
			       EINVAL;
		if (a->html && a->ics && !strcmp(a->html, a->ics))
			return cli_usage_error("--html and --ics name the same file"), EINVAL;
		if (g_opts.json && ((a->html && !strcmp(a->html, "-")) ||
				    (a->ics && !strcmp(a->ics, "-"))))
			return cli_usage_error("--json reports on standard output: write the report "
					       "to a file"),
			       EINVAL;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	options, parse, NULL,
	"Write a report of the CA and every certificate: an HTML page with an expiry "
	"timeline, or an iCalendar file with one event and alarm per expiry.\v"
	"The HTML page needs nothing but a browser (no scripts, no external files). "
	"The calendar has one event for the CA (alarms --ca-warn and 90 days before) "
	"and one per valid or expired certificate (alarm --warn days before); revoked "
	"and superseded certificates are left out. Its UIDs are stable, so a calendar "
	"can subscribe to a file regenerated every day.\n\n"
	"Examples:\n"
	"  minica report --html /var/www/minica/index.html --ics /var/www/minica/minica.ics "
	"--force\n"
	"  minica report --ics - --warn 90 > minica.ics",
	cli_children, NULL, NULL};

/* Renders one document into memory, then writes it atomically (or to stdout). */
static int emit(const char *path, int force, const struct report *r, int ics, size_t *events)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	int rc = 0, wrc;

	if (!mem)
		return fail(EX_OSERR, "cannot build the report: %s", strerror(errno));
	wrc = ics ? report_ics(mem, r, events) : report_html(mem, r);
	if (fclose(mem) != 0 || wrc != 0) {
		rc = fail(EX_OSERR, "cannot build the report: out of memory");
		goto out;
	}
	if (!strcmp(path, "-")) {
		if (fwrite(buf, 1, len, stdout) != len)
			rc = fail(EX_IOERR, "cannot write to standard output: %s", strerror(errno));
		goto out;
	}
	rc = out_write_atomic(path, buf, len, 0644, force);
out:
	free(buf);
	return rc;
}

int cmd_report(int argc, char **argv)
{
	struct report_args a = {NULL, NULL, REPORT_LEAF_WARN, REPORT_CA_WARN, 0};
	struct report r = {0};
	struct ca ca = {0};
	store *st = NULL;
	size_t events = 0;
	int rc;

	if ((rc = cli_parse(&argp, argc, argv, "report", &a)))
		return rc;
	/* both targets are checked before either is written */
	if ((a.html && strcmp(a.html, "-") && (rc = out_check_absent(a.html, a.force))) ||
	    (a.ics && strcmp(a.ics, "-") && (rc = out_check_absent(a.ics, a.force))))
		return rc;
	if ((rc = store_open(store_dir(), &st)) || (rc = ca_load(st, &ca)) ||
	    (rc = report_load(st, &ca, now_utc(), &r)))
		goto out;
	r.warn_days = a.warn;
	r.ca_warn_days = a.ca_warn;
	if ((a.html && (rc = emit(a.html, a.force, &r, 0, NULL))) ||
	    (a.ics && (rc = emit(a.ics, a.force, &r, 1, &events))))
		goto out;
	if (g_opts.json) {
		json_t *o = json_object();

		json_object_set_new(o, "html", a.html ? json_string(a.html) : json_null());
		json_object_set_new(o, "ics", a.ics ? json_string(a.ics) : json_null());
		json_object_set_new(o, "certificates", json_integer((json_int_t)r.n_certs));
		json_object_set_new(o, "events", a.ics ? json_integer((json_int_t)events) : json_null());
		rc = json_emit(o);
		goto out;
	}
	if (a.html && strcmp(a.html, "-"))
		notice("wrote %s (HTML: the CA and %zu certificate%s)", a.html, r.n_certs,
		       r.n_certs == 1 ? "" : "s");
	if (a.ics && strcmp(a.ics, "-"))
		notice("wrote %s (iCalendar: %zu event%s)", a.ics, events, events == 1 ? "" : "s");
out:
	report_release(&r);
	ca_release(&ca);
	store_close(st);
	return rc;
}
