/*
 * minica init: create the store and a self-signed CA certificate
 * (basicConstraints critical CA:TRUE pathlen:0, keyUsage critical
 * keyCertSign+cRLSign, SKI, key-identifier AKI, nameConstraints when asked).
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "issue/issue.h"
#include "minica.h"

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
		return cli_usage_error("unexpected argument '%s'", printable(arg)), EINVAL;
	case ARGP_KEY_END:
		if (!a->name)
			return cli_usage_error("--name CN is required"), EINVAL;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp_child children[] = {COMMON_CHILD, {0}};
static const struct argp argp = {
	options, parse, NULL,
	"Create the store and the CA.\v"
	"The CA key is encrypted with the passphrase (AES-256, PBKDF2-HMAC-SHA256, 600,000 "
	"iterations) from --pass-file, $MINICA_PASS_FILE or a prompt.\n\nExample:\n"
	"  minica init --name 'Corp Mail CA' --org Corp --domain corp.example",
	children, NULL, NULL};

struct init_ctx {
	const unsigned char *key_blob;
	size_t key_len;
	int protected_key;
	const char *domain;
	const unsigned char *cert;
	size_t cert_len;
	const char *detail;
};

static int init_fn(store_txn *txn, void *vctx)
{
	struct init_ctx *c = vctx;
	struct store_audit a = {0};
	const char *prot = c->protected_key ? "pbes2-pbkdf2-sha256-600000-aes256" : "none";
	int rc;

	if ((rc = store_txn_meta_put(txn, "ca.key", c->key_blob, c->key_len)) ||
	    (rc = store_txn_meta_put(txn, "ca.key.protection", prot, strlen(prot))) ||
	    (c->domain && (rc = store_txn_meta_put(txn, "domain", c->domain, strlen(c->domain)))) ||
	    (rc = store_txn_ca_add(txn, c->cert, c->cert_len, NULL)))
		return rc;
	a.action = (char *)"init";
	a.detail = (char *)c->detail;
	return store_txn_audit(txn, &a);
}

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

static int build_ca_cert(const struct init_args *a, char **permit, EVP_PKEY *key,
			 X509 **out)
{
	X509 *cert = X509_new();
	X509_NAME *name = X509_get_subject_name(cert);
	X509V3_CTX ctx;
	unsigned char serial[STORE_SERIAL_LEN];
	char *nc = NULL;
	size_t i, len = 32;
	int64_t now = now_utc();
	int rc;

	*out = NULL;
	if (!cert)
		return fail(EX_OSERR, "out of memory");
	if (!X509_set_version(cert, X509_VERSION_3) || (rc = serial_random(serial)) ||
	    (rc = serial_set(cert, serial)) ||
	    (a->org && !X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_UTF8,
						   (const unsigned char *)a->org, -1, -1, 0)) ||
	    !X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
					(const unsigned char *)a->name, -1, -1, 0) ||
	    !X509_set_issuer_name(cert, name) || !X509_set_pubkey(cert, key)) {
		rc = fail_ssl(EX_DATAERR, "cannot build the CA certificate");
		goto out;
	}
	if ((rc = x509_set_times(cert, now - 3600, add_years(now, (int)(a->years ? a->years : 20)))))
		goto out;
	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	if ((rc = x509_add_ext(cert, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0")) ||
	    (rc = x509_add_ext(cert, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign")))
		goto out;
	if (a->n_permit) {
		for (i = 0; i < a->n_permit; i++)
			len += strlen(permit[i]) + 16;
		nc = malloc(len);
		if (!nc) {
			rc = fail(EX_OSERR, "out of memory");
			goto out;
		}
		strcpy(nc, "critical");
		for (i = 0; i < a->n_permit; i++) {
			strcat(nc, ",permitted;DNS:");
			strcat(nc, permit[i]);
		}
		if ((rc = x509_add_ext(cert, &ctx, NID_name_constraints, nc)))
			goto out;
	}
	if ((rc = x509_add_key_ids(cert, cert)))
		goto out;
	if (!X509_sign(cert, key, key_default_digest(key))) {
		rc = fail_ssl(EX_SOFTWARE, "cannot sign the CA certificate");
		goto out;
	}
	*out = cert;
	cert = NULL;
out:
	free(nc);
	X509_free(cert);
	return rc;
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
	} else if (!g_opts.quiet) { /* -q: silent on success */
		printf("Created CA %s in %s\n", subject ? subject : "?", dir);
		printf("  key         %s (%s)\n", kd,
		       a->no_passphrase ? "NOT encrypted: protected by file permissions only"
					: "encrypted with the passphrase");
		printf("  thumbprint  %s\n", thumb);
		printf("  not after   %s\n", fmt_time(na, when));
		if (a->domain)
			printf("  domain      %s\n", a->domain);
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
	struct init_ctx ictx = {0};
	char **permit = NULL, *domain = NULL, *pass = NULL, detail[512];
	size_t i, passlen = 0;
	unsigned char *key_blob = NULL, *cert_der = NULL;
	size_t key_len = 0, cert_len = 0;
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
	if ((rc = keyspec_generate(&spec, &key)) || (rc = build_ca_cert(&a, permit, key, &cert)))
		goto out;
	/* the KDF runs here, outside any write transaction */
	if (a.no_passphrase)
		rc = pkcs8_plain(key, &key_blob, &key_len);
	else
		rc = pkcs8_encrypt(key, pass, passlen, CA_KDF_ITERATIONS, &key_blob, &key_len);
	if (rc || (rc = x509_to_der(cert, &cert_der, &cert_len)))
		goto out;
	snprintf(detail, sizeof(detail), "name=%s key=%s domain=%s%s", a.name,
		 a.key ? a.key : "rsa:4096", domain ? domain : "-",
		 a.no_passphrase ? " no-passphrase" : "");
	ictx.key_blob = key_blob;
	ictx.key_len = key_len;
	ictx.protected_key = !a.no_passphrase;
	ictx.domain = domain;
	ictx.cert = cert_der;
	ictx.cert_len = cert_len;
	ictx.detail = detail;
	if ((rc = store_create(dir, init_fn, &ictx, &st)))
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
	secret_free(key_blob, key_len);
	free(cert_der);
	EVP_PKEY_free(key);
	X509_free(cert);
	store_close(st);
	return rc;
}
