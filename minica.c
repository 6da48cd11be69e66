/*
 * minica: a small private certificate authority for SMTP transport (and
 * other TLS) certificates. This file parses the global options and
 * dispatches to the command named next; `minica --help` lists the same
 * table, so help cannot drift from what exists.
 */
#include <errno.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/common.h"
#include "cmd/cmd.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"init", cmd_init, "create the store and the CA"},
	{"issue", cmd_issue, "issue a key and certificate for a host (with PFX)"},
	{"sign", cmd_sign, "sign a certificate request (CSR) made on a server"},
	{"export", cmd_export, "write a stored certificate again (PEM files, PFX)"},
	{"list", cmd_list, "one line per issued certificate"},
	{"show", cmd_show, "everything about one certificate"},
	{"renew", cmd_renew, "new key and certificate with the same names and template"},
	{"revoke", cmd_revoke, "revoke certificates (RFC 5280 reasons)"},
	{"crl", cmd_crl, "write a signed certificate revocation list"},
	{"ca", cmd_ca, "the CA certificate: show, export, extend"},
	{"templates", cmd_templates, "list the templates, or show one"},
	{"check", cmd_check, "expiry state of the CA and certificates (monitoring plugin)"},
	{"remind", cmd_remind, "say (or mail) what expires and the command that fixes it"},
	{"schedule", cmd_schedule, "run remind daily: systemd timer or crontab line"},
	{"report", cmd_report, "an HTML page or an iCalendar file of every expiry"},
	{"inventory", cmd_inventory, "report on Exchange certificates (Get-ExchangeCertificate | fl)"},
	{"dane", cmd_dane, "TLSA records so that mail servers verify a host (DANE)"},
	{"runbook", cmd_runbook, "the steps to install a host's certificate on Exchange"},
	{"store", cmd_store, "the store itself: verify, backup, stats"},
	{"audit", cmd_audit, "who changed what in the store, and when"},
	{"serve", cmd_serve, "an ACME (RFC 8555) server, so that servers renew by themselves"},
	{"acme", cmd_acme, "the accounts of the ACME server: add, list, disable"},
};

static char *help_filter(int key, const char *text, void *input)
{
	char *out = NULL, *p;
	size_t i, len = 0, n = sizeof(commands) / sizeof(commands[0]);
	FILE *mem;

	(void)input;
	if (key != ARGP_KEY_HELP_POST_DOC)
		return (char *)text;
	mem = open_memstream(&out, &len);
	if (!mem)
		return (char *)text;
	fprintf(mem, "Commands:\n");
	for (i = 0; i < n; i++)
		fprintf(mem, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(mem, "\n%s", text ? text : "");
	fclose(mem);
	p = out;
	return p;
}

struct dispatch {
	int cmd_index;
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct dispatch *d = state->input;

	(void)arg;
	switch (key) {
	case ARGP_KEY_ARG:
		d->cmd_index = state->next - 1;
		state->next = state->argc; /* the rest belongs to the command */
		return 0;
	case ARGP_KEY_NO_ARGS:
		return cli_usage_error("no command given"), EINVAL;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	NULL, parse, "COMMAND [ARGS...]",
	"A small private certificate authority for SMTP transport certificates "
	"(Exchange, Postfix) and other TLS servers.\v"
	"Run 'minica COMMAND --help' for a command's options.\n\n"
	"Exit codes: 0 ok, 64 usage, 65 bad input, 66 input missing, 73 cannot create "
	"output, 74 I/O error, 75 retry, 77 permission or wrong passphrase, 70 internal "
	"error; check and remind: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
	cli_children, help_filter, NULL};

int main(int argc, char **argv)
{
	struct dispatch d = {-1};
	size_t i, n = sizeof(commands) / sizeof(commands[0]);
	int rc;

	umask(077); /* everything minica creates is private unless it says otherwise */
	argp_err_exit_status = EX_USAGE;
	rc = cli_parse_flags(&argp, argc, argv, "", &d, ARGP_IN_ORDER);
	if (rc)
		return rc;
	if (d.cmd_index < 0)
		return cli_usage_error("no command given");
	for (i = 0; i < n; i++) {
		if (!strcmp(argv[d.cmd_index], commands[i].name)) {
			rc = commands[i].fn(argc - d.cmd_index, argv + d.cmd_index);
			ERR_clear_error();
			if (fflush(stdout) != 0 && rc == 0)
				rc = fail(EX_IOERR, "cannot write output: %s", strerror(errno));
			return rc;
		}
	}
	return cli_usage_error("unknown command '%s'", printable(argv[d.cmd_index]));
}
