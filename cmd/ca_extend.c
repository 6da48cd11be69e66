/*
 * minica ca extend: re-sign the CA certificate with the same key, subject
 * and extensions (so the same SKI and key-identifier AKI), a new serial and
 * a later notAfter. Every leaf carries an AKI with the key identifier only,
 * so every certificate issued before verifies against the new CA
 * certificate alone. The earlier CA certificates stay in the store.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ca/ca.h"
#include "cmd/cmd.h"
#include "common/common.h"


enum { OPT_YEARS = 0x100, OPT_UNTIL };

struct extend_args {
	long years;
	const char *until_text;
	int64_t until;
};

static const struct argp_option options[] = {
	{"years", OPT_YEARS, "N", 0, "New notAfter: N calendar years from now (1-100)", 0},
	{"until", OPT_UNTIL, "YYYY-MM-DD", 0, "New notAfter: that day, 00:00:00 UTC", 0},
	{0}
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct extend_args *a = state->input;

	switch (key) {
	case OPT_YEARS:
		return parse_long(arg, "--years", 1, 100, &a->years) ? EINVAL : 0;
	case OPT_UNTIL:
		a->until_text = arg;
		if (parse_date(arg, &a->until) != 0)
			return cli_usage_error("--until '%s': not a date (YYYY-MM-DD)", printable(arg)),
			       EINVAL;
		if (a->until <= now_utc())
			return cli_usage_error("--until %s: that is in the past", printable(arg)), EINVAL;
		return 0;
	case ARGP_KEY_ARG:
		return cli_unexpected(arg);
	case ARGP_KEY_END:
		if (!a->years == !a->until_text)
			return cli_usage_error("give either --years N or --until YYYY-MM-DD"), EINVAL;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	options, parse, NULL,
	"Extend the CA: re-sign its certificate with the same key, subject and key "
	"identifiers, a new serial and a later notAfter.\v"
	"Every certificate issued before keeps verifying against the new CA certificate. "
	"Needs the CA passphrase. It never shortens the CA's life.\n\nExample:\n"
	"  minica ca extend --years 10\n  minica ca export --der --out minica-ca.cer",
	cli_children, NULL, NULL};

static void report(const struct ca *ca, X509 *cert, uint32_t version)
{
	char thumb[THUMBPRINT_HEX], old_thumb[THUMBPRINT_HEX], serial[2 * STORE_SERIAL_LEN + 1];
	char nb_text[TIME_BUF], na_text[TIME_BUF], old_text[TIME_BUF];
	unsigned char sbin[STORE_SERIAL_LEN];
	int64_t nb = 0, na = 0, old_nb = 0, old_na = 0;
	char *subject = x509_name_text(X509_get_subject_name(cert));

	x509_thumbprint(cert, thumb);
	x509_thumbprint(ca->cert, old_thumb);
	serial_get(cert, sbin);
	serial_hex(sbin, serial);
	x509_times(cert, &nb, &na);
	x509_times(ca->cert, &old_nb, &old_na);
	if (g_opts.json) {
		json_t *o = json_object(), *prev = json_object();

		json_object_set_new(o, "subject", json_string(subject ? subject : ""));
		json_object_set_new(o, "version", json_integer(version));
		json_object_set_new(o, "serial", json_string(serial));
		json_object_set_new(o, "thumbprint", json_string(thumb));
		json_object_set_new(o, "not_before", json_string(fmt_time_iso(nb, nb_text)));
		json_object_set_new(o, "not_after", json_string(fmt_time_iso(na, na_text)));
		json_object_set_new(o, "days_left", json_integer(days_left(na, now_utc())));
		json_object_set_new(prev, "version", json_integer(ca->version));
		json_object_set_new(prev, "thumbprint", json_string(old_thumb));
		json_object_set_new(prev, "not_after", json_string(fmt_time_iso(old_na, old_text)));
		json_object_set_new(o, "previous", prev);
		json_emit(o);
		free(subject);
		return;
	}
	printf("Extended CA %s (version %u)\n", subject ? subject : "?", version);
	printf("  serial      %s\n", serial);
	printf("  thumbprint  %s\n", thumb);
	printf("  not before  %s\n", fmt_time(nb, nb_text));
	printf("  not after   %s (%ld days)\n", fmt_time(na, na_text), days_left(na, now_utc()));
	printf("  replaces    version %u, thumbprint %s, not after %s\n", ca->version, old_thumb,
	       fmt_time(old_na, old_text));
	free(subject);
	if (g_opts.quiet)
		return;
	printf("\nSame key, subject and key identifier: every certificate issued before verifies "
	       "against the new\nCA certificate. Replace the old one wherever it is trusted:\n"
	       "  minica ca export --der --out minica-ca.cer\n"
	       "  Windows / Exchange (as administrator):  certutil -addstore -f Root "
	       "minica-ca.cer\n"
	       "  Postfix and other servers: replace the CA file (smtp_tls_CAfile, "
	       "smtpd_tls_CAfile)\n"
	       "    with 'minica ca export --out FILE', and write the chain files again:\n"
	       "    minica export --host HOST --pem DIR --force\n");
}

int ca_extend(int argc, char **argv)
{
	struct extend_args a = {0};
	struct ca ca = {0};
	store *st = NULL;
	X509 *cert = NULL;
	int64_t not_before = 0, not_after = 0, target;
	char when[TIME_BUF], was[TIME_BUF];
	int rc;

	if ((rc = cli_parse(&argp, argc, argv, "ca extend", &a)) ||
	    (rc = store_open(store_dir(), &st)) || (rc = ca_load(st, &ca)))
		goto out;
	if (x509_times(ca.cert, &not_before, &not_after) != 0) {
		rc = fail(EX_IOERR, "store %s: cannot read the CA certificate's validity",
			  store_path(st));
		goto out;
	}
	target = a.until_text ? a.until : add_years(now_utc(), (int)a.years);
	if (target <= not_after) {
		rc = fail(EX_DATAERR, "the CA is valid until %s; %s would end it on %s: extending "
				      "never shortens (ask for a later date)",
			  fmt_time(not_after, was), a.until_text ? "--until" : "--years",
			  fmt_time(target, when));
		goto out;
	}
	if ((rc = ca_extend_until(&ca, target, &cert)))
		goto out;
	report(&ca, cert, ca.version + 1);
out:
	X509_free(cert);
	ca_release(&ca);
	store_close(st);
	return rc;
}
