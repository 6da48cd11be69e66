/*
 * minica init: create the store and a self-signed CA certificate
 * (ca/create.c); here the options, their checks (names, --domain within
 * --permit-dns), the passphrase and the report.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "common/common.h"
#include "issue/issue.h"

enum {
	OPT_NAME = 0x100,
	OPT_ORG,
	OPT_KEY,
	OPT_YEARS,
	OPT_DOMAIN,
	OPT_PERMIT,
	OPT_NO_PASS,
};

struct init_args {
	const char *name, *org, *key, *domain;
	long years;
	char **permit;
	size_t n_permit;
	int no_passphrase;
};

static const struct argp_option options[] = {
	{"name", OPT_NAME, "CN", 0, "The CA's common name (required)", 1},
	{"org", OPT_ORG, "O", 0, "The CA's organisation", 1},
	{"key", OPT_KEY, "TYPE", 0, "rsa:4096 (default), rsa:3072, ec:P-384 or ec:P-256", 1},
	{"years", OPT_YEARS, "N", 0, "Validity of the CA certificate (default 20)", 1},
	{"domain", OPT_DOMAIN, "DOMAIN", 0,
	 "Default DNS domain: a short host name also gets NAME.DOMAIN", 2},
	{"permit-dns", OPT_PERMIT, "SUFFIX", 0,
	 "Restrict the CA to names under SUFFIX (critical nameConstraints); repeatable", 2},
	{"no-passphrase", OPT_NO_PASS, NULL, 0,
	 "Store the CA key unencrypted, protected only by file permissions", 3},
	{0}
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct init_args *a = state->input;

	switch (key) {
	case OPT_NAME:
		a->name = arg;
		return 0;
	case OPT_ORG:
		a->org = arg;
		return 0;
	case OPT_KEY:
		a->key = arg;
		return 0;
	case OPT_YEARS:
		return parse_long(arg, "--years", 1, 100, &a->years) ? EINVAL : 0;
	case OPT_DOMAIN:
		a->domain = arg;
		return 0;
	case OPT_PERMIT:
		return cli_list_add(&a->permit, &a->n_permit, arg);
	case OPT_NO_PASS:
		a->no_passphrase = 1;
		return 0;
	case ARGP_KEY_ARG:
		return cli_unexpected(arg);
	case ARGP_KEY_END:
		if (!a->name)
			return cli_usage_error("--name CN is required"), EINVAL;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	options, parse, NULL,
	"Create the store and the CA.\v"
	"The CA key is encrypted with the passphrase (AES-256, PBKDF2-HMAC-SHA256, 600,000 "
	"iterations) from --pass-file, $MINICA_PASS_FILE or a prompt.\n\nExample:\n"
	"  minica init --name 'Corp Mail CA' --org Corp --domain corp.example",
	cli_children, NULL, NULL};

static int check_dns_suffix(const char *what, const char *in, char **out)
{
	int is_ip = 0, rc = host_check(in, 0, out, &is_ip);

	if (rc)
		return rc;
	if (is_ip) {
		free(*out);
		*out = NULL;
		return fail(EX_USAGE, "%s '%s': a DNS domain is needed, not an IP address", what,
			    printable(in));
	}
	return 0;
}

static int domain_permitted(const char *domain, char **permit, size_t n)
{
	size_t i, dl = strlen(domain);

	for (i = 0; i < n; i++) {
		size_t pl = strlen(permit[i]);

		if (!strcmp(domain, permit[i]) ||
		    (dl > pl && domain[dl - pl - 1] == '.' && !strcmp(domain + dl - pl, permit[i])))
			return 1;
	}
	return 0;
}

static void report(const struct init_args *a, X509 *cert, EVP_PKEY *key, const char *dir)
{
	char thumb[THUMBPRINT_HEX], when[TIME_BUF], kd[32];
	int64_t nb = 0, na = 0;
	char *subject = x509_name_text(X509_get_subject_name(cert));

	x509_thumbprint(cert, thumb);
	x509_times(cert, &nb, &na);
	key_describe(key, kd);
	if (g_opts.json) {
		json_t *o = json_object();

		json_object_set_new(o, "store", json_string(dir));
		json_object_set_new(o, "subject", json_string(subject ? subject : ""));
		json_object_set_new(o, "thumbprint", json_string(thumb));
		json_object_set_new(o, "not_after", json_string(fmt_time_iso(na, when)));
		json_object_set_new(o, "key", json_string(kd));
		json_object_set_new(o, "key_protection",
				    json_string(a->no_passphrase ? "none" : "passphrase"));
		json_emit(o);
	} else {
		printf("Created CA %s in %s\n", subject ? subject : "?", dir);
		printf("  key         %s (%s)\n", kd,
		       a->no_passphrase ? "NOT encrypted: protected by file permissions only"
					: "encrypted with the passphrase");
		printf("  thumbprint  %s\n", thumb);
		printf("  not after   %s\n", fmt_time(na, when));
		if (a->domain)
			printf("  domain      %s\n", a->domain);
		if (!g_opts.quiet)
			printf("\nNext: minica issue --host mail-hub1\n"
			       "      minica ca export --der --out minica-ca.cer   "
			       "(for 'certutil -addstore -f Root')\n");
	}
	free(subject);
}

int cmd_init(int argc, char **argv)
{
	struct init_args a = {0};
	struct keyspec spec;
	struct ca_new spec_ca = {0};
	char **permit = NULL, *domain = NULL, *pass = NULL;
	size_t i, passlen = 0;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	store *st = NULL;
	const char *dir;
	int rc;

	if ((rc = cli_parse(&argp, argc, argv, "init", &a)))
		goto out;
	if (keyspec_parse(a.key ? a.key : "rsa:4096", &spec) ||
	    (!spec.is_ec && spec.bits < 3072)) {
		rc = cli_usage_error("--key '%s': a CA key is rsa:4096, rsa:3072, ec:P-384 or ec:P-256",
				     printable(a.key));
		goto out;
	}
	if (!*a.name || strlen(a.name) > 64) {
		rc = fail(EX_DATAERR, "--name must be 1 to 64 characters (X.509 common name limit)");
		goto out;
	}
	if (a.org && (!*a.org || strlen(a.org) > 64)) {
		rc = fail(EX_DATAERR, "--org must be 1 to 64 characters");
		goto out;
	}
	if (a.domain && (rc = check_dns_suffix("--domain", a.domain, &domain)))
		goto out;
	permit = calloc(a.n_permit + 1, sizeof(char *));
	if (!permit) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	for (i = 0; i < a.n_permit; i++)
		if ((rc = check_dns_suffix("--permit-dns", a.permit[i], &permit[i])))
			goto out;
	if (domain && a.n_permit && !domain_permitted(domain, permit, a.n_permit)) {
		rc = fail(EX_DATAERR, "--domain %s is outside --permit-dns: every qualified name would "
				      "be refused",
			  domain);
		goto out;
	}
	dir = store_dir();
	if (store_exists(dir)) {
		rc = fail(EX_CANTCREAT, "store %s: already initialised (choose another --store, or "
					"remove it)",
			  dir);
		goto out;
	}
	if (!a.no_passphrase && (rc = pass_get_ca(1, &pass, &passlen)))
		goto out;
	if (!spec.is_ec && !g_opts.quiet && isatty(2))
		fprintf(stderr, "minica: generating an RSA-%d key...\n", spec.bits);
	spec_ca.name = a.name;
	spec_ca.org = a.org;
	spec_ca.years = a.years;
	spec_ca.permit = permit;
	spec_ca.n_permit = a.n_permit;
	spec_ca.domain = domain;
	spec_ca.key_name = a.key ? a.key : "rsa:4096";
	if ((rc = keyspec_generate(&spec, &key)) || (rc = ca_build_cert(&spec_ca, key, &cert)) ||
	    (rc = ca_create(dir, &spec_ca, key, cert, a.no_passphrase ? NULL : pass, passlen, &st)))
		goto out;
	if (a.no_passphrase)
		warning("the CA key is stored unencrypted in %s (--no-passphrase)", dir);
	report(&a, cert, key, dir);
out:
	for (i = 0; permit && i < a.n_permit; i++)
		free(permit[i]);
	free(permit);
	free(domain);
	free(a.permit);
	pass_free(pass, passlen);
	EVP_PKEY_free(key);
	X509_free(cert);
	store_close(st);
	return rc;
}
