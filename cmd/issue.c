/*
 * minica issue: a new key and certificate per subject, from a template,
 * with the files of SPEC section 4 and the PowerShell to install them.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "common/common.h"
#include "exchange/exchange.h"
#include "issue/issue.h"

enum {
	OPT_HOST = 0x100,
	OPT_HOSTS_FILE,
	OPT_TEMPLATE,
	OPT_DAYS,
	OPT_OUT,
	OPT_PFX,
	OPT_NO_PFX,
	OPT_LEGACY,
	OPT_MODERN,
	OPT_PFX_PASS_FILE,
	OPT_FORCE,
	OPT_KEY,
	OPT_NO_FILES,
};

struct issue_args {
	char **hosts;
	size_t n_hosts;
	const char *hosts_file;
	const char *template_name;
	long days;
	const char *out_dir;
	int pfx;      /* -1: the template decides */
	int pfx_mode; /* 0: the template decides */
	const char *pfx_pass_file;
	int force;
	int no_files;
	const char *key;
};

static const struct argp_option options[] = {
	{"host", OPT_HOST, "NAME", 0,
	 "Host name or IP address; repeat for more names (the first is the CN)", 1},
	{"hosts-file", OPT_HOSTS_FILE, "FILE", 0,
	 "One certificate per line: 'host [extra-host...]' ('#' starts a comment)", 1},
	{"template", OPT_TEMPLATE, "NAME", 0, "Template (default smtp-transport)", 2},
	{"days", OPT_DAYS, "N", 0, "Validity in days (default: the template's)", 2},
	{"key", OPT_KEY, "TYPE", 0, "Key type instead of the template's: rsa:2048|rsa:3072|"
				    "rsa:4096|ec:P-256|ec:P-384", 2},
	{"out", OPT_OUT, "DIR", 0, "Directory for the files (default: current directory)", 3},
	{"force", OPT_FORCE, NULL, 0, "Replace existing files", 3},
	{"no-files", OPT_NO_FILES, NULL, 0,
	 "Keep the certificate and its key in the store only (write them later with export)", 3},
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
	struct issue_args *a = state->input;

	switch (key) {
	case OPT_HOST:
		return cli_list_add(&a->hosts, &a->n_hosts, arg);
	case OPT_HOSTS_FILE:
		a->hosts_file = arg;
		return 0;
	case OPT_TEMPLATE:
		a->template_name = arg;
		return 0;
	case OPT_DAYS:
		return parse_long(arg, "--days", 1, DAYS_MAX, &a->days) ? EINVAL : 0;
	case OPT_KEY: {
		struct keyspec ks;

		if (keyspec_parse(arg, &ks))
			return cli_usage_error("--key '%s': not a supported key type (rsa:2048, "
					       "rsa:3072, rsa:4096, ec:P-256, ec:P-384)",
					       printable(arg)),
			       EINVAL;
		a->key = arg;
		return 0;
	}
	case OPT_OUT:
		a->out_dir = arg;
		return 0;
	case OPT_FORCE:
		a->force = 1;
		return 0;
	case OPT_NO_FILES:
		a->no_files = 1;
		return 0;
	case OPT_PFX:
		a->pfx = 1;
		return 0;
	case OPT_NO_PFX:
		a->pfx = 0;
		return 0;
	case OPT_LEGACY:
		a->pfx_mode = PFX_LEGACY;
		return 0;
	case OPT_MODERN:
		a->pfx_mode = PFX_MODERN;
		return 0;
	case OPT_PFX_PASS_FILE:
		a->pfx_pass_file = arg;
		return 0;
	case ARGP_KEY_ARG:
		return cli_unexpected(arg);
	case ARGP_KEY_END:
		if (!a->n_hosts && !a->hosts_file)
			return cli_usage_error("give --host NAME or --hosts-file FILE"), EINVAL;
		if (a->n_hosts && a->hosts_file)
			return cli_usage_error("--host and --hosts-file cannot be combined"), EINVAL;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	options, parse, NULL,
	"Issue a new key and certificate for a host.\v"
	"Writes NAME.crt, NAME.key, NAME.chain.pem and, when the template asks for one, "
	"NAME.pfx with NAME.pfx-password. A short name also gets NAME.<domain> when the store "
	"has a default domain.\n\nExample:\n  minica issue --host mail-hub1 --out /tmp/certs",
	cli_children, NULL, NULL};

/*
 * After the report of one certificate issued or renewed: how to install it
 * on Exchange (the PFX) and Postfix (key and chain).
 */
void issue_print_install(const struct issuer *is)
{
	const char *slash;

	if (!is->last.reported || g_opts.quiet)
		return;
	if (is->last.pfx) {
		slash = strrchr(is->last.pfx, '/');
		exchange_print_install(stdout, slash ? slash + 1 : is->last.pfx, is->last.thumbprint);
	}
	if (is->last.chain)
		printf("\nPostfix (main.cf):\n  smtpd_tls_chain_files = %s, %s\n",
		       is->last.key ? is->last.key : "KEY", is->last.chain);
}

int cmd_issue(int argc, char **argv)
{
	struct issue_args a = {.pfx = -1};
	struct issue_options o = {0};
	struct issuer is = {0};
	struct ca ca = {0};
	store *st = NULL;
	int rc;

	if ((rc = cli_parse(&argp, argc, argv, "issue", &a)))
		goto out;
	o.template_name = a.template_name;
	o.key = a.key;
	o.pfx = a.pfx;
	o.pfx_mode = a.pfx_mode;
	o.pfx_pass_file = a.pfx_pass_file;
	o.out_dir = a.out_dir;
	o.force = a.force;
	o.no_files = a.no_files;
	o.days = a.days;
	/* the template first: a bad one fails before the store is opened */
	if ((rc = issuer_init(&is, NULL, NULL, &o)) || (rc = store_open(store_dir(), &st)) ||
	    (rc = ca_load(st, &ca)))
		goto out;
	is.st = st;
	is.ca = &ca;
	if (a.hosts_file)
		rc = issuer_issue_file(&is, a.hosts_file);
	else if ((rc = issuer_issue(&is, a.hosts, a.n_hosts, NULL)) == 0)
		issue_print_install(&is);
	if (is.issued) {
		int jrc = issuer_finish(&is, a.hosts_file != NULL);

		rc = rc ? rc : jrc;
	}
out:
	issuer_release(&is);
	ca_release(&ca);
	store_close(st);
	free(a.hosts);
	return rc;
}
