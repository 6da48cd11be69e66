/*
 * minica check: the expiry state of the CA and of every valid certificate,
 * as a monitoring plugin reports it (SPEC section 6): a first line such as
 * "MINICA WARNING - CA expires in 300 days; ... | perfdata", a table, and
 * the exit code 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ca/ca.h"
#include "cmd/cmd.h"
#include "common/common.h"
#include "expiry/expiry.h"
#include "issue/issue.h"

static error_t parse(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = state->input;
		return 0;
	case ARGP_KEY_ARG:
		return cli_unexpected(arg);
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp_child children[] = {
	{&policy_argp, 0, "Thresholds:", 1}, COMMON_CHILD, {0}};
static const struct argp argp = {
	NULL, parse, NULL,
	"Check the expiry of the CA and of every valid certificate.\v"
	"The CA is CRITICAL when it has expired or has fewer than --crit days left, WARNING "
	"under --warn days or when it ends before a certificate of the longest template would "
	"(new certificates would be clamped). A valid certificate that has not been renewed is "
	"CRITICAL when expired or under --leaf-crit days, WARNING under --leaf-warn days; "
	"revoked, superseded and replaced certificates never alarm.\n\n"
	"Exit codes (monitoring-plugin convention): 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN "
	"(store unreadable, bad option). The first line of output is the plugin status line.\n\n"
	"Example (Nagios/Icinga):\n  minica --store /srv/minica check --warn 365 --crit 90",
	children, NULL, NULL};

void policy_report_unknown(const char *why)
{
	if (!why || !*why)
		why = "see the message on stderr";
	if (g_opts.json) {
		json_t *o = json_object();

		json_object_set_new(o, "status", json_string("UNKNOWN"));
		json_object_set_new(o, "error", json_string(why));
		json_object_set_new(o, "ca", json_null());
		json_object_set_new(o, "certificates", json_array());
		json_emit(o);
		return;
	}
	printf("MINICA UNKNOWN - %s\n", why);
}

static void print_row(const char *state, int64_t not_after, long days, const char *what,
		      const char *fix)
{
	char when[TIME_BUF];

	printf("%-9s %-23s %6ld  %s\n", state, fmt_time(not_after, when), days, what);
	if (fix)
		printf("%-9s fix: %s\n", "", fix);
}

static void print_report(const struct policy_report *r)
{
	char *summary = policy_summary(r), *perf = policy_perfdata(r), *fix = NULL, *what = NULL;
	size_t i, j;

	printf("MINICA %s - %s | %s\n", policy_state_name(r->status), summary ? summary : "?",
	       perf ? perf : "");
	if (g_opts.quiet)
		goto out;
	printf("%-9s %-23s %6s  %s\n", "STATE", "NOT AFTER", "DAYS", "WHAT");
	if (r->ca_state != MON_OK)
		fix = policy_fix_ca(r);
	if (asprintf(&what, "CA %s (version %u)", r->ca_subject, r->ca_version) < 0)
		what = NULL;
	print_row(policy_state_name(r->ca_state), r->ca_not_after, r->ca_days, what ? what : "CA",
		  fix);
	if (r->ca_clamps)
		printf("%-9s new %s certificates (%ld days) would be clamped to the CA's "
		       "notAfter: extend the CA now\n",
		       "", r->longest_template, r->longest_days);
	for (i = 0; i < r->n_leaves; i++) {
		const struct policy_leaf *l = &r->leaves[i];
		char serial[2 * STORE_SERIAL_LEN + 1], *lfix = policy_fix_leaf(r, l);
		FILE *mem;
		char *line = NULL;
		size_t len = 0;

		serial_hex(l->rec->serial, serial);
		mem = open_memstream(&line, &len);
		if (mem) {
			for (j = 0; j < l->rec->n_hosts; j++)
				fprintf(mem, "%s%s", j ? ", " : "", l->rec->hosts[j]);
			fprintf(mem, " (serial %s%s)", serial,
				l->rec->not_after <= r->now ? ", expired" : "");
			fclose(mem);
		}
		print_row(policy_state_name(l->state), l->rec->not_after, l->days,
			  line ? line : serial, lfix);
		free(line);
		free(lfix);
	}
	if (r->n_replaced)
		printf("\n%zu expiring certificate%s already ha%s a newer certificate for the same "
		       "names and %s not counted.\n",
		       r->n_replaced, r->n_replaced == 1 ? "" : "s",
		       r->n_replaced == 1 ? "s" : "ve", r->n_replaced == 1 ? "is" : "are");
out:
	free(what);
	free(fix);
	free(summary);
	free(perf);
}

int cmd_check(int argc, char **argv)
{
	struct policy_limits lim = {POLICY_CA_WARN, POLICY_CA_CRIT, POLICY_LEAF_WARN,
				    POLICY_LEAF_CRIT};
	struct policy_report r = {0};
	struct ca ca = {0};
	store *st = NULL;
	int rc;

	if ((rc = cli_parse_flags(&argp, argc, argv, "check", &lim, ARGP_NO_EXIT))) {
		policy_report_unknown("invalid command line (see 'minica check --help')");
		goto out;
	}
	if ((rc = store_open(store_dir(), &st)) || (rc = ca_load(st, &ca)) ||
	    (rc = policy_evaluate(st, &ca, &lim, &r))) {
		policy_report_unknown(diag_last());
		goto out;
	}
	if (g_opts.json) {
		if ((rc = json_emit(policy_json(&r))))
			goto out;
	} else {
		print_report(&r);
	}
	rc = r.status;
out:
	policy_release(&r);
	ca_release(&ca);
	store_close(st);
	return policy_exit_code(rc);
}
