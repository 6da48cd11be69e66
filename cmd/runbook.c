/*
 * minica runbook: the numbered steps that install a host's certificate on
 * an Exchange server, with the thumbprint and file names of the
 * certificate the store holds for it.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "common/common.h"
#include "exchange/exchange.h"
#include "issue/issue.h"

enum { OPT_HOST = 0x100, OPT_SERIAL, OPT_ROLE, OPT_EXCHANGE, OPT_PFX, OPT_SITE };

struct runbook_args {
	const char *host, *serial;
	struct runbook_options o;
};

static const struct argp_option options[] = {
	{"host", OPT_HOST, "NAME", 0, "The server: its newest valid certificate is used", 0},
	{"serial", OPT_SERIAL, "S", 0, "This certificate instead of the host's newest", 0},
	{"role", OPT_ROLE, "ROLE", 0, "hub (default; Mailbox from 2013) or edge (adds EdgeSync)", 0},
	{"exchange", OPT_EXCHANGE, "VERSION", 0,
	 "2007, 2010, 2013, 2016 or 2019 (default: the syntax of every version)", 0},
	{"pfx", OPT_PFX, "FILE", 0, "The PFX to install, if not NAME.pfx as 'issue' wrote it", 0},
	{"site", OPT_SITE, "NAME", 0, "Active Directory site of the Edge subscription", 0},
	{0}
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct runbook_args *a = state->input;

	switch (key) {
	case OPT_HOST:
		a->host = arg;
		return 0;
	case OPT_SERIAL:
		a->serial = arg;
		return 0;
	case OPT_ROLE:
		if (strcmp(arg, "hub") && strcmp(arg, "edge"))
			return cli_usage_error("--role '%s': hub or edge", printable(arg)), EINVAL;
		a->o.edge = !strcmp(arg, "edge");
		return 0;
	case OPT_EXCHANGE:
		if (exchange_version_parse(arg, &a->o.version))
			return cli_usage_error("--exchange '%s': 2007, 2010, 2013, 2016 or 2019",
					       printable(arg)),
			       EINVAL;
		return 0;
	case OPT_PFX:
		a->o.pfx = arg;
		return 0;
	case OPT_SITE:
		if (!*arg || strpbrk(arg, "\"`$\r\n"))
			return cli_usage_error("--site '%s': an Active Directory site name (no quotes, "
					       "'$' or '`')",
					       printable(arg)),
			       EINVAL;
		a->o.site = arg;
		return 0;
	case ARGP_KEY_ARG:
		return cli_unexpected(arg);
	case ARGP_KEY_END:
		if (!a->host == !a->serial)
			return cli_usage_error("give --host NAME or --serial S"), EINVAL;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	options, parse, NULL,
	"The steps to install a host's certificate on an Exchange server.\v"
	"Numbered steps with the certificate's real thumbprint and file names: export the CA, "
	"copy the files, trust the CA, Import-ExchangeCertificate in the syntax of that "
	"Exchange version, Enable-ExchangeCertificate for SMTP, checks; for an Edge server also "
	"the new EdgeSync subscription.\n\nExamples:\n"
	"  minica runbook --host mail-hub1 --exchange 2010\n"
	"  minica runbook --host mail-edge1 --role edge --exchange 2013 --site Berlin",
	cli_children, NULL, NULL};

int cmd_runbook(int argc, char **argv)
{
	struct runbook_args a = {0};
	struct store_record *rec = NULL;
	struct runbook rb = {0};
	store *st = NULL;
	int rc;

	if ((rc = cli_parse(&argp, argc, argv, "runbook", &a)) ||
	    (rc = store_open(store_dir(), &st)) ||
	    (rc = record_lookup(st, a.serial, a.host, &rec)) ||
	    (rc = runbook_build(rec, &a.o, &rb)))
		goto out;
	if (rec->status != STORE_VALID || rec->not_after <= now_utc())
		warning("certificate %s of %s is %s: issue or renew one first", rb.serial, rb.host,
			record_status(rec, now_utc()));
	if (!rec->key && !a.o.pfx)
		warning("certificate %s was signed from a CSR: minica has no key for it, so no PFX; "
			"complete the request on the server that made it",
			rb.serial);
	if (g_opts.json)
		rc = json_emit(runbook_json(&rb));
	else
		runbook_print(&rb, stdout);
out:
	runbook_free(&rb);
	store_record_free(rec);
	store_close(st);
	return rc;
}
