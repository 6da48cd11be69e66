/* minica show: everything the store knows about a certificate. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "common/common.h"
#include "issue/issue.h"

enum { OPT_HOST = 0x100, OPT_PEM };

struct show_args {
	const char *serial, *host;
	int pem;
};

static const struct argp_option options[] = {
	{"host", OPT_HOST, "NAME", 0, "Every certificate that names NAME, newest first", 0},
	{"pem", OPT_PEM, NULL, 0, "Also print the certificate in PEM", 0},
	{0}
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct show_args *a = state->input;

	switch (key) {
	case OPT_HOST:
		a->host = arg;
		return 0;
	case OPT_PEM:
		a->pem = 1;
		return 0;
	case ARGP_KEY_ARG:
		if (a->serial)
			return cli_usage_error("one serial at a time"), EINVAL;
		a->serial = arg;
		return 0;
	case ARGP_KEY_END:
		if (!a->serial == !a->host)
			return cli_usage_error("give a SERIAL or --host NAME"), EINVAL;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	options, parse, "SERIAL",
	"Show a certificate's full record.\v"
	"Examples:\n  minica show 4F3A...\n  minica show --host mail-hub1 --pem",
	cli_children, NULL, NULL};

struct collect {
	struct store_record **recs;
	size_t n;
};

static int collect(const struct store_record *rec, void *vctx)
{
	struct collect *c = vctx;
	struct store_record **grown = realloc(c->recs, (c->n + 1) * sizeof(*grown));

	if (!grown)
		return fail(EX_OSERR, "out of memory");
	c->recs = grown;
	if (!(c->recs[c->n] = store_record_dup(rec)))
		return fail(EX_OSERR, "out of memory");
	c->n++;
	return 0;
}

static int newest_first(const void *a, const void *b)
{
	const struct store_record *x = *(struct store_record *const *)a;
	const struct store_record *y = *(struct store_record *const *)b;

	return x->issued_at < y->issued_at ? 1 : x->issued_at > y->issued_at ? -1 : 0;
}

static void print_record(const struct store_record *rec, X509 *cert, int64_t now, int pem)
{
	char serial[2 * STORE_SERIAL_LEN + 1], when[TIME_BUF], thumb[THUMBPRINT_HEX], sha[65];
	char hash[2 * STORE_HASH_LEN + 1], kd[32] = "?";
	char *subject = cert ? x509_name_text(X509_get_subject_name(cert)) : NULL;
	char *issuer = cert ? x509_name_text(X509_get_issuer_name(cert)) : NULL;
	EVP_PKEY *pub = cert ? X509_get0_pubkey(cert) : NULL;
	size_t i;

	serial_hex(rec->serial, serial);
	hex_upper(rec->template_hash, STORE_HASH_LEN, hash);
	if (pub)
		key_describe(pub, kd);
	printf("serial        %s\n", serial);
	printf("status        %s\n", record_status(rec, now));
	printf("subject       %s\n", subject ? subject : "");
	printf("issuer        %s\n", issuer ? issuer : "");
	printf("names         ");
	for (i = 0; i < rec->n_hosts; i++)
		printf("%s%s", i ? ", " : "", rec->hosts[i]);
	printf("\nnot before    %s\n", fmt_time(rec->not_before, when));
	printf("not after     %s (%ld days left)\n", fmt_time(rec->not_after, when),
	       days_left(rec->not_after, now));
	printf("issued        %s\n", fmt_time(rec->issued_at, when));
	printf("template      %s (sha256 %.16s...)\n", rec->template_name, hash);
	printf("key           %s, %s\n", kd,
	       rec->key ? "kept in the store (encrypted)" : "not in the store");
	if (cert) {
		x509_thumbprint(cert, thumb);
		x509_sha256(cert, sha);
		printf("thumbprint    %s\n", thumb);
		printf("sha256        %s\n", sha);
	}
	printf("CA version    %u\n", rec->ca_version);
	if (rec->status == STORE_REVOKED) {
		printf("revoked       %s (%s)\n", fmt_time(rec->revoked_at, when),
		       revoke_reason_name(rec->revoke_reason));
		if (rec->crl_listed_at)
			printf("on CRLs since %s\n", fmt_time(rec->crl_listed_at, when));
		else
			printf("on CRLs since (not yet: run 'minica crl')\n");
	}
	if (rec->has_predecessor) {
		serial_hex(rec->predecessor, serial);
		printf("renews        %s\n", serial);
	}
	if (rec->has_successor) {
		serial_hex(rec->successor, serial);
		printf("renewed by    %s\n", serial);
	}
	if (pem && cert) {
		char *text = NULL;
		size_t len = 0;

		if (x509_to_pem(cert, &text, &len) == 0)
			fwrite(text, 1, len, stdout);
		free(text);
	}
	free(subject);
	free(issuer);
}

int cmd_show(int argc, char **argv)
{
	struct show_args a = {0};
	struct collect c = {0};
	json_t *json = NULL;
	store *st = NULL;
	int64_t now = now_utc();
	char *host = NULL;
	size_t i;
	int rc, is_ip;

	if ((rc = cli_parse(&argp, argc, argv, "show", &a)) || (rc = store_open(store_dir(), &st)))
		goto out;
	if (a.serial) {
		struct store_record *rec = NULL;

		if ((rc = record_lookup(st, a.serial, NULL, &rec)))
			goto out;
		c.recs = malloc(sizeof(*c.recs));
		if (!c.recs) {
			store_record_free(rec);
			rc = fail(EX_OSERR, "out of memory");
			goto out;
		}
		c.recs[c.n++] = rec;
	} else {
		if ((rc = host_check(a.host, 1, &host, &is_ip)) ||
		    (rc = store_scan_host(st, host, collect, &c)))
			goto out;
		if (c.n == 0) {
			rc = fail(EX_NOINPUT, "no certificate for host %s in store %s", host,
				  store_path(st));
			goto out;
		}
		qsort(c.recs, c.n, sizeof(*c.recs), newest_first);
	}
	if (g_opts.json)
		json = json_array();
	for (i = 0; i < c.n; i++) {
		X509 *cert = NULL;

		if (x509_from_der(c.recs[i]->cert, c.recs[i]->cert_len, &cert) != 0)
			warning("the stored certificate of this record does not decode (run 'minica "
				"store verify')");
		if (json) {
			json_t *o = record_json(c.recs[i], now, 1);

			if (cert) {
				char thumb[THUMBPRINT_HEX], *subject, *pem = NULL;
				size_t len;

				x509_thumbprint(cert, thumb);
				subject = x509_name_text(X509_get_subject_name(cert));
				json_object_set_new(o, "thumbprint", json_string(thumb));
				json_object_set_new(o, "subject", json_string(subject ? subject : ""));
				free(subject);
				if (a.pem && x509_to_pem(cert, &pem, &len) == 0)
					json_object_set_new(o, "pem", json_string(pem));
				free(pem);
			}
			json_array_append_new(json, o);
		} else {
			if (i)
				putchar('\n');
			print_record(c.recs[i], cert, now, a.pem);
		}
		X509_free(cert);
	}
	if (json) {
		rc = json_emit(a.serial ? json_incref(json_array_get(json, 0)) : json_incref(json));
	}
out:
	json_decref(json);
	for (i = 0; i < c.n; i++)
		store_record_free(c.recs[i]);
	free(c.recs);
	free(host);
	store_close(st);
	return rc;
}
