/*
 * minica init: create the store and a self-signed CA certificate
 * (ca/create.c); here the options, their checks (names, --domain within
 * --permit-dns), the passphrase and the report.
 */
#include <errno.h>
#include <jansson.h>
#include <openssl/rand.h>
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
	OPT_PERMIT_IP,
	OPT_NO_PASS,
	OPT_KEY_URI,
};

struct init_args {
	const char *name, *org, *key, *domain, *key_uri;
	long years;
	char **permit, **permit_ip;
	size_t n_permit, n_permit_ip;
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
	{"permit-ip", OPT_PERMIT_IP, "CIDR", 0,
	 "Under name constraints, allow IP addresses in CIDR (192.168.0.0/16, 2001:db8::/32); "
	 "repeatable. Without it a name-constrained CA excludes every IP address", 2},
	{"no-passphrase", OPT_NO_PASS, NULL, 0,
	 "Store the CA key unencrypted, protected only by file permissions", 3},
	{"key-uri", OPT_KEY_URI, "URI", 0,
	 "Keep the CA key on a PKCS#11 token ('pkcs11:token=minica;object=ca'): made there "
	 "(non-extractable) per --key, or the existing key the URI names; the PIN comes from "
	 "--pin-file, $MINICA_PIN_FILE, the minica-pin credential or a prompt",
	 3},
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
	case OPT_PERMIT_IP:
		return cli_list_add(&a->permit_ip, &a->n_permit_ip, arg);
	case OPT_NO_PASS:
		a->no_passphrase = 1;
		return 0;
	case OPT_KEY_URI:
		a->key_uri = arg;
		return 0;
	case ARGP_KEY_ARG:
		return cli_unexpected(arg);
	case ARGP_KEY_END:
		if (!a->name)
			return cli_usage_error("--name CN is required"), EINVAL;
		if (a->key_uri && a->no_passphrase)
			return cli_usage_error("--key-uri and --no-passphrase: a key on a token is "
					       "never in the store"),
			       EINVAL;
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

/*
 * The key on the token: the one the URI names, else a new one made there
 * per --key. A token key of another type is refused as --key refuses it.
 */
static int token_ca_key(const struct init_args *a, const struct keyspec *spec,
			struct ca_token *t, EVP_PKEY **key, int *made)
{
	int rc = token_key(t, key), bits;

	*made = 0;
	if (rc == EX_NOINPUT) {
		if (!g_opts.quiet && isatty(2))
			fprintf(stderr, "minica: generating the key on the token...\n");
		if ((rc = token_generate(t, spec)))
			return rc;
		*made = 1;
		rc = token_key(t, key);
		if (rc == EX_NOINPUT)
			rc = fail(EX_UNAVAILABLE, "token %s: the new key cannot be found again",
				  a->key_uri);
	}
	if (rc)
		return rc;
	bits = EVP_PKEY_get_bits(*key);
	if (EVP_PKEY_is_a(*key, "RSA") ? bits < 3072 : !(bits == 256 || bits == 384))
		return fail(EX_DATAERR, "token %s: its key is %d bits: a CA key is RSA 3072/4096 or "
					"EC P-256/P-384",
			    a->key_uri, bits);
	return 0;
}

static int create_on_token(const struct init_args *a, const struct keyspec *spec,
			   const struct ca_new *spec_ca, const char *dir, EVP_PKEY **key,
			   X509 **cert, store **st)
{
	struct ca_token *t = NULL;
	struct ca_token_meta m = {0};
	unsigned char wrap[CA_WRAP_LEN], *der = NULL;
	size_t len = 0;
	int rc, made = 0;

	if ((rc = ca_token_login(a->key_uri, &t)) ||
	    (rc = token_ca_key(a, spec, t, key, &made)) || (rc = ca_build_cert(spec_ca, *key, cert)) ||
	    (rc = x509_to_der(*cert, &der, &len)))
		goto out;
	/* decoded again: the built certificate holds the token key's handle, which dies
	 * with the token session */
	X509_free(*cert);
	*cert = NULL;
	if ((rc = x509_from_der(der, len, cert))) {
		rc = fail(EX_SOFTWARE, "cannot decode the new CA certificate");
		goto out;
	}
	if (RAND_bytes(wrap, sizeof(wrap)) != 1) {
		rc = fail_ssl(EX_SOFTWARE, "cannot make the leaf-key protection key");
		goto out;
	}
	if ((rc = ca_token_meta_make(t, *key, X509_get0_pubkey(*cert), wrap, &m)) ||
	    (rc = ca_create_token(dir, spec_ca, &m, *cert, st)))
		goto out;
out:
	OPENSSL_cleanse(wrap, sizeof(wrap));
	free(der);
	ca_token_meta_free(&m);
	if (rc && made)
		token_remove_key(t); /* a failed init leaves no key behind */
	if (*key) {
		/* the report only reads the public half: keep it past token_close */
		EVP_PKEY *pub = EVP_PKEY_dup(X509_get0_pubkey(*cert ? *cert : NULL));

		EVP_PKEY_free(*key);
		*key = pub;
	}
	token_close(t);
	return rc;
}

static void report(const struct init_args *a, X509 *cert, EVP_PKEY *key, const char *dir)
{
	char thumb[THUMBPRINT_HEX], when[TIME_BUF], kd[32];
	int64_t nb = 0, na = 0;
	char *subject = x509_name_text(X509_get_subject_name(cert));
	const char *source = store_dir_source();
	char *q;

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
				    json_string(a->key_uri ? "pkcs11" : a->no_passphrase ? "none"
										  : "passphrase"));
		if (a->key_uri)
			json_object_set_new(o, "key_uri", json_string(a->key_uri));
		json_emit(o);
	} else if (!g_opts.quiet) { /* -q: silent on success */
		printf("Created CA %s in %s\n", subject ? subject : "?", dir);
		if (a->key_uri)
			printf("  key         %s on the token %s (non-extractable; back the token "
			       "up: 'store backup' does not hold it)\n",
			       kd, a->key_uri);
		else
			printf("  key         %s (%s)\n", kd,
			       a->no_passphrase ? "NOT encrypted: protected by file permissions only"
						: "encrypted with the passphrase");
		printf("  thumbprint  %s\n", thumb);
		printf("  not after   %s\n", fmt_time(na, when));
		if (a->domain)
			printf("  domain      %s\n", a->domain);
		/* as check's fix lines: a command that works as printed */
		q = source && !strcmp(source, "--store") ? sh_quote(dir) : NULL;
		printf("\nNext: minica%s%s issue --host mail-hub1\n"
		       "      minica%s%s ca export --der --out minica-ca.cer   "
		       "(for 'certutil -addstore -f Root')\n",
		       q ? " --store " : "", q ? q : "", q ? " --store " : "", q ? q : "");
		free(q);
	}
	free(subject);
}

int cmd_init(int argc, char **argv)
{
	struct init_args a = {0};
	struct keyspec spec;
	struct ca_new spec_ca = {0};
	char **permit = NULL, *domain = NULL, *pass = NULL;
	struct ip_range *ip = NULL;
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
	if ((rc = ip_ranges_parse("--permit-ip", a.permit_ip, a.n_permit_ip, &ip)))
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
	spec_ca.name = a.name;
	spec_ca.org = a.org;
	spec_ca.years = a.years;
	spec_ca.permit = permit;
	spec_ca.n_permit = a.n_permit;
	spec_ca.permit_ip = ip;
	spec_ca.n_permit_ip = a.n_permit_ip;
	spec_ca.domain = domain;
	spec_ca.key_name = a.key ? a.key : "rsa:4096";
	if (a.key_uri) {
		if ((rc = create_on_token(&a, &spec, &spec_ca, dir, &key, &cert, &st)))
			goto out;
		report(&a, cert, key, dir);
		goto out;
	}
	if (!a.no_passphrase && (rc = pass_get_ca(1, &pass, &passlen)))
		goto out;
	if (!spec.is_ec && !g_opts.quiet && isatty(2))
		fprintf(stderr, "minica: generating an RSA-%d key...\n", spec.bits);
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
	free(ip);
	free(domain);
	free(a.permit);
	free(a.permit_ip);
	pass_free(pass, passlen);
	EVP_PKEY_free(key);
	X509_free(cert);
	store_close(st);
	return rc;
}
