/*
 * minica ca show | export: the CA certificate, for people and for
 * Windows' trust store ('certutil -addstore -f Root' takes the DER .cer).
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca/ca.h"
#include "cmd/cmd.h"
#include "common/common.h"


static const struct argp show_argp = {
	NULL, cli_no_args, NULL, "Show the CA certificate and the store's settings.",
	cli_children, NULL, NULL};

static int excludes_all(const struct ca *ca)
{
	static const unsigned char zero[16];
	size_t i;

	for (i = 0; i < ca->n_ip_excluded; i++)
		if (memcmp(ca->ip_excluded[i].mask, zero, sizeof(zero)))
			return 0;
	return ca->n_ip_excluded > 0;
}

/* What the CA's certificate says about IP addresses, for a verifier. */
static void print_ip_ranges(const struct ca *ca)
{
	char buf[IP_RANGE_TEXT];
	size_t i;

	if (ca_ip_unconstrained(ca)) {
		printf("UNCONSTRAINED\n  %-12s %s", "", ca_ip_unconstrained_fix());
		return;
	}
	if (!ca->constrained || (!ca->n_ip_permitted && !ca->n_ip_excluded)) {
		printf("(any address)");
		return;
	}
	if (!ca->n_ip_permitted && excludes_all(ca)) {
		printf("(none: every IP address is excluded)");
		return;
	}
	for (i = 0; i < ca->n_ip_permitted; i++)
		printf("%s%s", i ? ", " : "", ip_range_text(&ca->ip_permitted[i], buf));
	if (!ca->n_ip_permitted)
		printf("any");
	for (i = 0; i < ca->n_ip_excluded; i++)
		printf("%s%s", i ? ", " : " except ", ip_range_text(&ca->ip_excluded[i], buf));
}

static int ca_show(int argc, char **argv)
{
	struct ca ca = {0};
	struct store_stats stats;
	store *st = NULL;
	char thumb[THUMBPRINT_HEX], sha256[65], when[TIME_BUF], when2[TIME_BUF], kd[32];
	char serial[2 * STORE_SERIAL_LEN + 1];
	unsigned char sbin[STORE_SERIAL_LEN];
	char *subject = NULL;
	int64_t nb = 0, na = 0, now = now_utc();
	EVP_PKEY *pub;
	size_t i;
	int rc;

	if ((rc = cli_parse(&show_argp, argc, argv, "ca show", NULL)) ||
	    (rc = store_open(store_dir(), &st)) || (rc = ca_load(st, &ca)) ||
	    (rc = store_stats_get(st, &stats)))
		goto out;
	x509_thumbprint(ca.cert, thumb);
	x509_sha256(ca.cert, sha256);
	x509_times(ca.cert, &nb, &na);
	serial_get(ca.cert, sbin);
	serial_hex(sbin, serial);
	pub = X509_get0_pubkey(ca.cert);
	key_describe(pub, kd);
	subject = x509_name_text(X509_get_subject_name(ca.cert));
	if (g_opts.json) {
		json_t *o = json_object(), *perm = json_array();

		for (i = 0; i < ca.n_permitted; i++)
			json_array_append_new(perm, json_string(ca.permitted[i]));
		json_object_set_new(o, "store", json_string(store_path(st)));
		json_object_set_new(o, "subject", json_string(subject ? subject : ""));
		json_object_set_new(o, "serial", json_string(serial));
		json_object_set_new(o, "thumbprint", json_string(thumb));
		json_object_set_new(o, "sha256", json_string(sha256));
		json_object_set_new(o, "not_before", json_string(fmt_time_iso(nb, when)));
		json_object_set_new(o, "not_after", json_string(fmt_time_iso(na, when2)));
		json_object_set_new(o, "days_left", json_integer(days_left(na, now)));
		json_object_set_new(o, "key", json_string(kd));
		json_object_set_new(o, "key_protection",
				    json_string(ca.key_uri	     ? "pkcs11"
						: ca.key_protected ? "passphrase"
								   : "none"));
		if (ca.key_uri)
			json_object_set_new(o, "key_uri", json_string(ca.key_uri));
		json_object_set_new(o, "domain", ca.domain ? json_string(ca.domain) : json_null());
		json_object_set_new(o, "permitted_dns", perm);

		json_object_set_new(o, "version", json_integer(ca.version));
		json_object_set_new(o, "versions", json_integer(ca.n_versions));
		json_object_set_new(o, "certificates", json_integer((json_int_t)stats.records));
		rc = json_emit(o);
		goto out;
	}
	printf("CA %s\n", subject ? subject : "?");
	printf("  store        %s\n", store_path(st));
	printf("  serial       %s\n", serial);
	printf("  thumbprint   %s\n", thumb);
	printf("  sha256       %s\n", sha256);
	if (ca.key_uri)
		printf("  key          %s on the token %s\n", kd, ca.key_uri);
	else
		printf("  key          %s (%s)\n", kd,
		       ca.key_protected ? "encrypted with the passphrase" : "NOT encrypted");
	printf("  not before   %s\n", fmt_time(nb, when));
	printf("  not after    %s (%ld days left)\n", fmt_time(na, when2), days_left(na, now));
	printf("  domain       %s\n", ca.domain ? ca.domain : "(none)");
	printf("  permitted    ");
	if (!ca.n_permitted)
		printf("(any name)");
	for (i = 0; i < ca.n_permitted; i++)
		printf("%s%s", i ? ", " : "", ca.permitted[i]);
	printf("\n  ip ranges    ");
	print_ip_ranges(&ca);
	printf("\n  version      %u of %u\n", ca.version, ca.n_versions);
	printf("  issued       %llu certificates\n", (unsigned long long)stats.records);
out:
	free(subject);
	ca_release(&ca);
	store_close(st);
	return rc;
}

struct export_args {
	const char *out;
	int der, force;
};

enum { OPT_OUT = 0x100, OPT_DER, OPT_FORCE };

static const struct argp_option export_options[] = {
	{"out", OPT_OUT, "FILE", 0, "Write to FILE instead of standard output", 0},
	{"der", OPT_DER, NULL, 0, "DER (.cer) instead of PEM, as certutil and Windows take it", 0},
	{"force", OPT_FORCE, NULL, 0, "Replace FILE if it exists", 0},
	{0}
};

static error_t export_parse(int key, char *arg, struct argp_state *state)
{
	struct export_args *a = state->input;

	switch (key) {
	case OPT_OUT:
		a->out = arg;
		return 0;
	case OPT_DER:
		a->der = 1;
		return 0;
	case OPT_FORCE:
		a->force = 1;
		return 0;
	default:
		return cli_no_args(key, arg, state);
	}
}

static const struct argp export_argp = {
	export_options, export_parse, NULL,
	"Write the CA certificate (the newest version).\v"
	"Example, for Windows:\n  minica ca export --der --out minica-ca.cer\n"
	"  certutil -addstore -f Root minica-ca.cer",
	cli_children, NULL, NULL};

static int ca_export(int argc, char **argv)
{
	struct export_args a = {0};
	struct ca ca = {0};
	store *st = NULL;
	unsigned char *der = NULL;
	char *pem = NULL;
	size_t len = 0;
	const void *data;
	int rc;

	if ((rc = cli_parse(&export_argp, argc, argv, "ca export", &a)) ||
	    (rc = store_open(store_dir(), &st)) || (rc = ca_load(st, &ca)))
		goto out;
	if (a.der)
		rc = x509_to_der(ca.cert, &der, &len);
	else
		rc = x509_to_pem(ca.cert, &pem, &len);
	if (rc)
		goto out;
	data = a.der ? (const void *)der : (const void *)pem;
	if (a.out) {
		if ((rc = out_check_absent(a.out, a.force)) ||
		    (rc = out_write_atomic(a.out, data, len, 0644, a.force)))
			goto out;
		notice("wrote %s (%s)", a.out, a.der ? "DER" : "PEM");
	} else if (a.der && isatty(STDOUT_FILENO)) {
		rc = fail(EX_USAGE, "DER is binary: give --out FILE (for example minica-ca.cer)");
	} else if (fwrite(data, 1, len, stdout) != len) {
		rc = fail(EX_IOERR, "cannot write to standard output: %s", strerror(errno));
	}
out:
	free(der);
	free(pem);
	ca_release(&ca);
	store_close(st);
	return rc;
}

static const struct subcommand ca_commands[] = {
	{"show", ca_show, "the CA certificate and the store's settings"},
	{"export", ca_export, "write the CA certificate (PEM, or DER for Windows)"},
	{"extend", ca_extend, "re-sign the CA certificate with a later notAfter (same key)"},
	{"move-key", ca_move_key_cmd, "put the CA key on a PKCS#11 token, remove the software copy"},
};

int cmd_ca(int argc, char **argv)
{
	return cli_dispatch("ca", ca_commands, sizeof(ca_commands) / sizeof(ca_commands[0]), argc,
			    argv);
}
