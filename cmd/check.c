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
#include "dane/dane.h"
#include "expiry/expiry.h"
#include "issue/issue.h"

enum { OPT_DANE = 0x100, OPT_RESOLVER, OPT_DANE_PORT, OPT_DANE_TIMEOUT };

struct check_args {
	struct policy_limits lim;
	int dane;
	struct dane_check_options d;
	const char *dane_option; /* --dane-timeout given */
};

static const struct argp_option options[] = {
	{"dane", OPT_DANE, NULL, 0,
	 "Check DANE instead of expiry: for each host marked by 'minica dane', its TLSA records "
	 "(DNSSEC-validated) against the certificate served over STARTTLS now and the next one",
	 2},
	{"resolver", OPT_RESOLVER, "ADDR[:PORT]", 0,
	 "--dane: the validating resolver whose AD bit is trusted (default: /etc/resolv.conf's)", 2},
	{"dane-port", OPT_DANE_PORT, "N", 0,
	 "--dane: connect to this port instead of the records' (25), e.g. through a tunnel", 2},
	{"dane-timeout", OPT_DANE_TIMEOUT, "SECONDS", 0,
	 "--dane: bound on each DNS query, connect, read and handshake (default: 10)", 2},
	{0}
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct check_args *a = state->input;
	long n;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->lim;
		return 0;
	case OPT_DANE:
		a->dane = 1;
		return 0;
	case OPT_RESOLVER:
		a->d.resolver = arg;
		return 0;
	case OPT_DANE_PORT:
		return parse_long(arg, "--dane-port", 1, 65535, &a->d.connect_port) ? EINVAL : 0;
	case OPT_DANE_TIMEOUT:
		if (parse_long(arg, "--dane-timeout", 1, 300, &n))
			return EINVAL;
		a->d.timeout = (int)n;
		a->dane_option = "--dane-timeout";
		return 0;
	case ARGP_KEY_END:
		if (!a->dane && (a->d.resolver || a->d.connect_port || a->dane_option))
			return cli_usage_error("%s goes with --dane",
					       a->d.resolver       ? "--resolver"
					       : a->d.connect_port ? "--dane-port"
								   : a->dane_option),
			       EINVAL;
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
	options, parse, NULL,
	"Check the expiry of the CA and of every valid certificate (or, with --dane, the DANE "
	"records of the hosts marked by 'minica dane').\v"
	"The CA is CRITICAL when it has expired or has fewer than --crit days left, WARNING "
	"under --warn days or when it ends before a certificate of the longest template would "
	"(new certificates would be clamped). A valid certificate that has not been renewed is "
	"CRITICAL when expired or under --leaf-crit days, WARNING under --leaf-warn days; "
	"revoked, superseded and replaced certificates never alarm.\n\n"
	"Exit codes (monitoring-plugin convention): 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN "
	"(store unreadable, bad option). The first line of output is the plugin status line.\n\n"
	"--dane: CRITICAL when DANE senders would defer mail now (the served chain matches no "
	"published TLSA record, the lookup fails DNSSEC validation, no STARTTLS), WARNING when "
	"the next certificate would (the staged key's or a new key's record is not published), "
	"UNKNOWN when DANE does not apply (no validated answer: an unsigned zone) or the "
	"resolver does not answer. The AD bit of the resolver is trusted, as Postfix and Exim "
	"trust it: use a validating resolver on the same host.\n\n"
	"Example (Nagios/Icinga):\n  minica --store /srv/minica check --warn 365 --crit 90\n"
	"  minica check --dane --resolver 127.0.0.1",
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
	if (r->ip_unconstrained)
		printf("%-9s note: %s\n", "", ca_ip_unconstrained_fix());
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

static void print_dane(const struct dane_report *r)
{
	const struct dane_finding *worst = NULL;
	size_t i, bad = 0;

	for (i = 0; i < r->n; i++)
		if (r->v[i].state != MON_OK) {
			bad++;
			if (!worst || mon_worse(worst->state, r->v[i].state) != worst->state)
				worst = &r->v[i];
		}
	if (r->n_hosts == 0)
		printf("MINICA DANE OK - no host is marked for DANE ('minica dane --host NAME' marks "
		       "one)\n");
	else if (worst)
		printf("MINICA DANE %s - %s %s: %s | problems=%zu checks=%zu\n",
		       policy_state_name(r->status), worst->name, worst->when, worst->what, bad, r->n);
	else
		printf("MINICA DANE OK - %zu host%s: every published record verified, now and at the "
		       "next renewal | problems=0 checks=%zu\n",
		       r->n_hosts, r->n_hosts == 1 ? "" : "s", r->n);
	if (g_opts.quiet || r->n == 0)
		return;
	printf("%-9s %-4s  %s\n", "STATE", "WHEN", "NAME / WHAT");
	for (i = 0; i < r->n; i++) {
		printf("%-9s %-4s  %s\n%-9s %-4s  %s\n", policy_state_name(r->v[i].state), r->v[i].when,
		       r->v[i].name, "", "", r->v[i].what);
		if (r->v[i].fix[0])
			printf("%-9s %-4s  fix: %s\n", "", "", r->v[i].fix);
	}
}

static json_t *dane_json(const struct dane_report *r)
{
	json_t *o = json_object(), *list = json_array();
	size_t i;

	for (i = 0; i < r->n; i++) {
		json_t *f = json_object();

		json_object_set_new(f, "host", json_string(r->v[i].host));
		json_object_set_new(f, "name", json_string(r->v[i].name));
		json_object_set_new(f, "when", json_string(r->v[i].when));
		json_object_set_new(f, "state", json_string(policy_state_name(r->v[i].state)));
		json_object_set_new(f, "what", json_string(r->v[i].what));
		json_object_set_new(f, "fix", r->v[i].fix[0] ? json_string(r->v[i].fix) : json_null());
		json_array_append_new(list, f);
	}
	json_object_set_new(o, "status", json_string(policy_state_name(r->status)));
	json_object_set_new(o, "hosts", json_integer((json_int_t)r->n_hosts));
	json_object_set_new(o, "findings", list);
	return o;
}

static int check_dane(store *st, struct ca *ca, const struct dane_check_options *o)
{
	struct dane_report r = {0};
	int rc;

	if ((rc = dane_check(st, ca, o, &r))) {
		policy_report_unknown(diag_last());
		goto out;
	}
	if (g_opts.json)
		rc = json_emit(dane_json(&r));
	else
		print_dane(&r);
	rc = rc ? rc : r.status;
out:
	dane_report_free(&r);
	return policy_exit_code(rc);
}

int cmd_check(int argc, char **argv)
{
	struct check_args a = {{POLICY_CA_WARN, POLICY_CA_CRIT, POLICY_LEAF_WARN, POLICY_LEAF_CRIT},
			       0, {NULL, 0, 10}, NULL};
	struct policy_limits lim;
	struct policy_report r = {0};
	struct ca ca = {0};
	store *st = NULL;
	int rc;

	if ((rc = cli_parse_flags(&argp, argc, argv, "check", &a, ARGP_NO_EXIT))) {
		policy_report_unknown("invalid command line (see 'minica check --help')");
		goto out;
	}
	lim = a.lim;
	if (a.dane) {
		if (!(rc = store_open(store_dir(), &st)) && !(rc = ca_load(st, &ca)))
			rc = check_dane(st, &ca, &a.d);
		else
			policy_report_unknown(diag_last());
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
