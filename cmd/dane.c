/*
 * minica dane: the TLSA records (RFC 6698, RFC 7672) that let mail servers
 * verify a host's certificate through DNSSEC, without trusting the CA:
 * "3 1 1" pins the host's own key, "2 1 1" the CA's key; also the staged
 * next key's "3 1 1" ('renew --stage'). Zone-file lines (default), an
 * nsupdate script (--nsupdate) or JSON. Marks the host as DANE-published
 * so that 'renew' warns and 'check --dane' checks it.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "common/common.h"
#include "dane/dane.h"
#include "issue/issue.h"

enum { OPT_HOST = 0x100, OPT_PORT, OPT_MX, OPT_NSUPDATE, OPT_TTL, OPT_UNMARK };

struct dane_args {
	const char *host;
	long port, ttl;
	char **mx;
	size_t n_mx;
	int nsupdate, unmark;
};

static const struct argp_option options[] = {
	{"host", OPT_HOST, "NAME", 0, "The mail server: its newest valid certificate", 0},
	{"port", OPT_PORT, "N", 0, "TCP port of the records (default: 25, SMTP)", 0},
	{"mx", OPT_MX, "NAME", 0,
	 "An MX name of the host (repeatable): records are published under each", 0},
	{"nsupdate", OPT_NSUPDATE, NULL, 0, "Print an nsupdate script instead of zone-file lines", 0},
	{"ttl", OPT_TTL, "SECONDS", 0, "TTL of the records in the nsupdate script (default: 3600)", 0},
	{"unmark", OPT_UNMARK, NULL, 0,
	 "The host no longer publishes TLSA records: renew stops warning, check --dane skips it", 0},
	{0}
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct dane_args *a = state->input;

	switch (key) {
	case OPT_HOST:
		a->host = arg;
		return 0;
	case OPT_PORT:
		return parse_long(arg, "--port", 1, 65535, &a->port) ? EINVAL : 0;
	case OPT_TTL:
		return parse_long(arg, "--ttl", 1, 2147483647L, &a->ttl) ? EINVAL : 0;
	case OPT_MX:
		if (a->n_mx >= DANE_MX_MAX)
			return cli_usage_error("--mx: at most %d names", DANE_MX_MAX), EINVAL;
		return cli_list_add(&a->mx, &a->n_mx, arg) ? ENOMEM : 0;
	case OPT_NSUPDATE:
		a->nsupdate = 1;
		return 0;
	case OPT_UNMARK:
		a->unmark = 1;
		return 0;
	case ARGP_KEY_ARG:
		return cli_unexpected(arg);
	case ARGP_KEY_END:
		if (!a->host)
			return cli_usage_error("give --host NAME"), EINVAL;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	options, parse, NULL,
	"TLSA records for DANE (RFC 7672): mail servers verify the host's certificate through "
	"DNSSEC, with no CA installed.\v"
	"Prints, for _PORT._tcp.NAME. of the host's qualified name and of each --mx name: "
	"'3 1 1' (DANE-EE: SHA-256 of the host's public key), '2 1 1' (DANE-TA: SHA-256 of the "
	"CA's public key, which stays the same across renew and ca extend) and, when a key is "
	"staged ('renew --stage'), the '3 1 1' of the next key, to publish beside the current "
	"one. Which to publish: 2 1 1 needs the server to send the CA certificate in its chain "
	"(Postfix and Exim with minica's NAME.chain.pem do); Exchange sends no root, so 3 1 1 "
	"there. The zone must be signed (DNSSEC). The host is marked as DANE-published: 'renew' "
	"then warns when no key is staged, and 'check --dane' checks it.\n\nExamples:\n"
	"  minica dane --host mail-hub1 --mx mx1.corp.example\n"
	"  minica dane --host mail-hub1 --nsupdate | nsupdate -k /etc/bind/corp.key\n"
	"  minica renew --stage --host mail-hub1",
	cli_children, NULL, NULL};

struct owner_list {
	char *names[DANE_MX_MAX + 1];
	size_t n;
};

static int owner_add(struct owner_list *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (!strcmp(o->names[i], name))
			return 0;
	if (!(o->names[o->n] = strdup(name)))
		return fail(EX_OSERR, "out of memory");
	o->n++;
	return 0;
}

/* The host's qualified name (the first one with a dot), then each --mx. */
static int owners_build(const struct store_record *rec, const struct dane_args *a,
			struct owner_list *o)
{
	const char *name = dane_qualified_name(rec);

	if (name)
		return owner_add(o, name);
	if (a->n_mx == 0)
		return fail(EX_DATAERR, "certificate of %s names no fully qualified host: give its "
					"MX name with --mx NAME",
			    rec->hosts[0]);
	return 0;
}

static int mx_add(const struct dane_args *a, struct owner_list *o, struct dane_host *mark)
{
	size_t i;
	int rc = 0, is_ip;

	for (i = 0; i < a->n_mx && rc == 0; i++) {
		char *name = NULL;

		if ((rc = host_check(a->mx[i], 0, &name, &is_ip)))
			break;
		if (is_ip || !strchr(name, '.'))
			rc = fail(EX_DATAERR, "--mx '%s': an MX record names a fully qualified host",
				  printable(a->mx[i]));
		else if (!(rc = owner_add(o, name)))
			mark->mx[mark->n_mx++] = name, name = NULL;
		free(name);
	}
	return rc;
}

/* A 2 1 1 makes Postfix and Exim check the certificate's names against the MX name. */
static void note_unnamed_mx(const struct store_record *rec, const struct owner_list *o)
{
	size_t i, j;

	for (i = 0; i < o->n; i++) {
		for (j = 0; j < rec->n_hosts && strcmp(rec->hosts[j], o->names[i]); j++)
			;
		if (j == rec->n_hosts)
			warning("the certificate does not name %s: senders check names with a 2 1 1 "
				"record, so publish 3 1 1 there, or renew with that name ('minica issue "
				"--host %s --host %s')",
				o->names[i], rec->hosts[0], o->names[i]);
	}
}

struct records {
	struct tlsa ee, ta, next;
	int has_next;
};

static const char *const what_ee = "DANE-EE: the host's own key (changes at each renewal "
				   "unless the next key is staged)";
static const char *const what_ta = "DANE-TA: the CA's key (the same across renew and ca "
				   "extend; needs the CA certificate in the served chain)";
static const char *const what_next = "DANE-EE: the staged next key ('renew --stage'): publish "
				     "it now, beside the current one";

static json_t *record_obj(const char *owner, const struct tlsa *t, const char *role,
			  const char *what)
{
	json_t *o = json_object();

	json_object_set_new(o, "owner", json_string(owner));
	json_object_set_new(o, "usage", json_integer(t->usage));
	json_object_set_new(o, "selector", json_integer(1));
	json_object_set_new(o, "matching_type", json_integer(1));
	json_object_set_new(o, "data", json_string(t->hex));
	json_object_set_new(o, "role", json_string(role));
	json_object_set_new(o, "what", json_string(what));
	return o;
}

static int print_json(const struct store_record *rec, const struct dane_args *a,
		      const struct owner_list *o, const struct records *r)
{
	json_t *top = json_object(), *list = json_array(), *names = json_array();
	char serial[2 * STORE_SERIAL_LEN + 1], owner[HOST_MAX + 32], when[TIME_BUF];
	size_t i;

	serial_hex(rec->serial, serial);
	for (i = 0; i < o->n; i++) {
		if (tlsa_owner(o->names[i], a->port, owner, sizeof(owner)))
			continue;
		json_array_append_new(names, json_string(o->names[i]));
		json_array_append_new(list, record_obj(owner, &r->ee, "current", what_ee));
		json_array_append_new(list, record_obj(owner, &r->ta, "ca", what_ta));
		if (r->has_next)
			json_array_append_new(list, record_obj(owner, &r->next, "next", what_next));
	}
	json_object_set_new(top, "host", json_string(rec->hosts[0]));
	json_object_set_new(top, "port", json_integer(a->port));
	json_object_set_new(top, "names", names);
	json_object_set_new(top, "serial", json_string(serial));
	json_object_set_new(top, "not_after", json_string(fmt_time_iso(rec->not_after, when)));
	json_object_set_new(top, "next_key_staged", json_boolean(r->has_next));
	json_object_set_new(top, "records", list);
	json_object_set_new(top, "advice",
			    json_string("Postfix and Exim serving minica's chain file: 2 1 1 (or "
					"both); Exchange sends no root: 3 1 1, and stage the next "
					"key before each renewal"));
	return json_emit(top);
}

static void print_one(const char *owner, const struct tlsa *t, long ttl, int nsupdate,
		      const char *what)
{
	printf("; %s\n", what);
	if (nsupdate)
		printf("update add %s %ld IN TLSA %d 1 1 %s\n", owner, ttl, t->usage, t->hex);
	else
		printf("%s IN TLSA %d 1 1 %s\n", owner, t->usage, t->hex);
}

static int print_text(const struct store_record *rec, const struct dane_args *a,
		      const struct owner_list *o, const struct records *r)
{
	char serial[2 * STORE_SERIAL_LEN + 1], owner[HOST_MAX + 32], when[TIME_BUF];
	size_t i;
	int rc;

	serial_hex(rec->serial, serial);
	printf("; TLSA records of %s (certificate %s, not after %s)\n", rec->hosts[0], serial,
	       fmt_time(rec->not_after, when));
	if (!g_opts.quiet)
		printf("; Postfix or Exim serving minica's %s.chain.pem: 2 1 1 (or both).\n"
		       "; Exchange sends no root: 3 1 1 only, and 'minica renew --stage --host %s'\n"
		       "; before each renewal, publishing the next key's record first.\n"
		       "; The zone must be DNSSEC-signed, or senders ignore these records.\n",
		       rec->hosts[0], rec->hosts[0]);
	for (i = 0; i < o->n; i++) {
		if ((rc = tlsa_owner(o->names[i], a->port, owner, sizeof(owner))))
			return rc;
		print_one(owner, &r->ee, a->ttl, a->nsupdate, what_ee);
		print_one(owner, &r->ta, a->ttl, a->nsupdate, what_ta);
		if (r->has_next)
			print_one(owner, &r->next, a->ttl, a->nsupdate, what_next);
	}
	if (a->nsupdate)
		printf("send\n");
	return 0;
}

static int records_make(store *st, const struct store_record *rec, const struct ca *ca,
			struct records *r)
{
	unsigned char *spki = NULL;
	size_t len = 0;
	X509 *leaf = NULL;
	int rc;

	if ((rc = x509_from_der(rec->cert, rec->cert_len, &leaf)) ||
	    (rc = tlsa_of_cert(leaf, TLSA_DANE_EE, &r->ee)) ||
	    (rc = tlsa_of_cert(ca->cert, TLSA_DANE_TA, &r->ta)) ||
	    (rc = next_key_spki(st, rec->hosts[0], &spki, &len)))
		goto out;
	if (spki && !(rc = tlsa_of_spki(spki, len, TLSA_DANE_EE, &r->next)))
		r->has_next = 1;
out:
	free(spki);
	X509_free(leaf);
	return rc;
}

int cmd_dane(int argc, char **argv)
{
	struct dane_args a = {.port = DANE_PORT_DEFAULT, .ttl = 3600};
	struct store_record *rec = NULL;
	struct owner_list o = {0};
	struct dane_host mark = {0};
	struct records r = {0};
	struct ca ca = {0};
	store *st = NULL;
	size_t i;
	int rc;

	if ((rc = cli_parse(&argp, argc, argv, "dane", &a)) ||
	    (rc = store_open(store_dir(), &st)) || (rc = ca_load(st, &ca)) ||
	    (rc = record_lookup(st, NULL, a.host, &rec)))
		goto out;
	if (rec->status != STORE_VALID || rec->not_after <= now_utc()) {
		rc = fail(EX_NOINPUT, "host %s has no valid certificate (its newest is %s): issue or "
				      "renew one first",
			  rec->hosts[0], record_status(rec, now_utc()));
		goto out;
	}
	mark.host = rec->hosts[0];
	mark.port = a.port;
	if (a.unmark) {
		if (!(rc = dane_mark(st, &mark, 1)))
			notice("%s is no longer marked for DANE", rec->hosts[0]);
		goto out;
	}
	if ((rc = owners_build(rec, &a, &o)) || (rc = mx_add(&a, &o, &mark)) ||
	    (rc = records_make(st, rec, &ca, &r)))
		goto out;
	note_unnamed_mx(rec, &o);
	if ((rc = dane_mark(st, &mark, 0)))
		goto out;
	rc = g_opts.json ? print_json(rec, &a, &o, &r) : print_text(rec, &a, &o, &r);
out:
	for (i = 0; i < o.n; i++)
		free(o.names[i]);
	for (i = 0; i < mark.n_mx; i++)
		free(mark.mx[i]);
	free(a.mx);
	store_record_free(rec);
	ca_release(&ca);
	store_close(st);
	return rc;
}
