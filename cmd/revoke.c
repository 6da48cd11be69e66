/*
 * minica revoke: mark certificates revoked, with an RFC 5280 reason. Several
 * serials (arguments, or a file for bulk) are revoked in one transaction:
 * all of them or none. The next 'minica crl' publishes them.
 *
 * Revoking signs nothing, but it asks for the CA passphrase all the same:
 * it is a CA operator's act, and the passphrase proves the operator holds
 * the CA.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ca/ca.h"
#include "cmd/cmd.h"
#include "common/common.h"
#include "issue/issue.h"

enum { OPT_REASON = 0x100, OPT_SERIALS_FILE, OPT_HOST, OPT_SERIAL };

struct revoke_args {
	char **serials;
	size_t n_serials;
	char **hosts;
	size_t n_hosts;
	const char *serials_file;
	int reason; /* 0, unspecified, unless --reason */
};

static const struct argp_option options[] = {
	{"reason", OPT_REASON, "REASON", 0,
	 "unspecified (default), keyCompromise, affiliationChanged, superseded, "
	 "cessationOfOperation or privilegeWithdrawn",
	 0},
	{"serials-file", OPT_SERIALS_FILE, "FILE", 0,
	 "Also revoke the serials in FILE, one per line ('#' comments; '-' is standard input)", 0},
	{"serial", OPT_SERIAL, "SERIAL", 0,
	 "Revoke this serial (as an argument; as renew's --serial); repeatable", 0},
	{"host", OPT_HOST, "NAME", 0,
	 "Revoke the valid certificate of host NAME (refused when it has more than one: give "
	 "the serial); repeatable",
	 0},
	{0}
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct revoke_args *a = state->input;
	const char *refused = NULL;

	switch (key) {
	case OPT_REASON:
		if (crl_reason_parse(arg, &a->reason, &refused) != 0) {
			if (refused)
				return cli_usage_error("--reason %s: %s", printable(arg), refused), EINVAL;
			return cli_usage_error("--reason '%s': not a revocation reason (%s)",
					       printable(arg), crl_reason_list()),
			       EINVAL;
		}
		return 0;
	case OPT_SERIALS_FILE:
		a->serials_file = arg;
		return 0;
	case OPT_HOST:
		return cli_list_add(&a->hosts, &a->n_hosts, arg);
	case OPT_SERIAL: /* renew and export take --serial: the same words revoke too */
	case ARGP_KEY_ARG:
		return cli_list_add(&a->serials, &a->n_serials, arg);
	case ARGP_KEY_END:
		if (!a->n_serials && !a->serials_file && !a->n_hosts)
			return cli_usage_error("give the SERIAL of the certificate to revoke, or "
					       "--host NAME"),
			       EINVAL;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	options, parse, "SERIAL... | --serial SERIAL | --host NAME",
	"Revoke certificates (all of them or none); 'minica crl' then publishes them.\v"
	"SERIAL as minica prints it, as 'openssl x509 -serial' prints it, or with colons. "
	"Revocation is permanent. Revoking needs the CA passphrase.\n\n"
	"Examples:\n  minica revoke 1B25825F73A02F001CC4C10F411863B0 --reason keyCompromise\n"
	"  minica revoke --host relay-b --reason cessationOfOperation\n"
	"  minica revoke --serials-file retired.txt --reason cessationOfOperation",
	cli_children, NULL, NULL};

struct serials {
	unsigned char (*v)[STORE_SERIAL_LEN];
	size_t n, cap;
};

static int serials_add(struct serials *s, const char *text, const char *where)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		void *grown = realloc(s->v, cap * sizeof(*s->v));

		if (!grown)
			return fail(EX_OSERR, "out of memory");
		s->v = grown;
		s->cap = cap;
	}
	if (serial_parse(text, s->v[s->n]) != 0)
		return fail(EX_DATAERR, "%sserial '%s': not a hexadecimal serial number of at most 32 "
					"digits%s%s",
			    where, printable(text), *where ? "" : serial_host_hint(text),
			    *where || !*serial_host_hint(text) ? "" : printable(text));
	s->n++;
	return 0;
}

static int serials_read(struct serials *s, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *line = NULL, where[64];
	size_t cap = 0;
	long lineno = 0;
	int rc = 0;

	if (!f)
		return fail(errno == ENOENT ? EX_NOINPUT : EX_NOPERM, "serials file %s: %s", path,
			    strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		char *p = line;
		size_t len;

		lineno++;
		p[strcspn(p, "#\r\n")] = '\0';
		p += strspn(p, " \t");
		len = strlen(p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			p[--len] = '\0';
		if (!*p)
			continue;
		snprintf(where, sizeof(where), "line %ld: ", lineno);
		if ((rc = serials_add(s, p, where)))
			break;
	}
	if (rc == 0 && ferror(f))
		rc = fail(EX_IOERR, "serials file %s: %s", path, strerror(errno));
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

/* The valid certificates of one host, for --host. */
struct host_pick {
	int64_t now;
	unsigned char serial[STORE_SERIAL_LEN];
	size_t n;
	char others[256];
};

static int pick_valid(const struct store_record *rec, void *vctx)
{
	struct host_pick *p = vctx;
	char hex[2 * STORE_SERIAL_LEN + 1];
	size_t used = strlen(p->others);

	if (strcmp(record_status(rec, p->now), "valid"))
		return 0;
	serial_hex(rec->serial, hex);
	if (used < sizeof(p->others) - 1)
		snprintf(p->others + used, sizeof(p->others) - used, "%s%s", p->n ? ", " : "", hex);
	memcpy(p->serial, rec->serial, STORE_SERIAL_LEN);
	p->n++;
	return 0;
}

/* --host NAME: its one valid certificate; two or more (a rollover) need the serial. */
static int serials_add_host(struct serials *s, store *st, const char *host)
{
	struct host_pick p = {.now = now_utc()};
	char hex[2 * STORE_SERIAL_LEN + 1], *name = NULL;
	int rc, is_ip;

	if ((rc = host_check(host, 1, &name, &is_ip)))
		return rc;
	if ((rc = store_scan_host(st, name, pick_valid, &p)))
		goto out;
	if (p.n == 0) {
		rc = fail(EX_NOINPUT, "host %s has no valid certificate (see 'minica list --host %s')",
			  name, name);
		goto out;
	}
	if (p.n > 1) {
		rc = fail(EX_DATAERR, "host %s has %zu valid certificates (%s): give the serial of the "
				      "one to revoke",
			  name, p.n, p.others);
		goto out;
	}
	serial_hex(p.serial, hex);
	rc = serials_add(s, hex, "");
out:
	free(name);
	return rc;
}

static int serial_cmp(const void *a, const void *b)
{
	return memcmp(a, b, STORE_SERIAL_LEN);
}

/* Sorted (the store is walked in key order) and without repeats. */
static void serials_unique(struct serials *s)
{
	size_t i, kept = 0;

	qsort(s->v, s->n, sizeof(*s->v), serial_cmp);
	for (i = 0; i < s->n; i++)
		if (kept == 0 || memcmp(s->v[kept - 1], s->v[i], STORE_SERIAL_LEN))
			memmove(s->v[kept++], s->v[i], STORE_SERIAL_LEN);
	s->n = kept;
}

static int report(const struct revocation *c, int as_array)
{
	json_t *arr = NULL;
	char hex[2 * STORE_SERIAL_LEN + 1], when[TIME_BUF];
	size_t i, j;

	if (g_opts.json && !(arr = json_array()))
		return fail(EX_OSERR, "out of memory");
	if (!arr && g_opts.quiet) /* -q: silent on success */
		return 0;
	for (i = 0; i < c->n_done; i++) {
		const struct revoked *rec = &c->done[i];

		serial_hex(rec->serial, hex);
		if (arr) {
			json_t *o = json_object(), *names = json_array();

			for (j = 0; j < rec->n_hosts; j++)
				json_array_append_new(names, json_string(rec->hosts[j]));
			json_object_set_new(o, "serial", json_string(hex));
			json_object_set_new(o, "revoked_at", json_string(fmt_time_iso(c->now, when)));
			json_object_set_new(o, "revoke_reason",
					    json_string(revoke_reason_name(c->reason)));
			json_object_set_new(o, "names", names);
			json_array_append_new(arr, o);
			continue;
		}
		printf("Revoked %s (", hex);
		for (j = 0; j < rec->n_hosts; j++)
			printf("%s%s", j ? ", " : "", rec->hosts[j]);
		printf(")\n");
	}
	if (arr) {
		json_t *result = as_array ? json_incref(arr) : json_incref(json_array_get(arr, 0));

		json_decref(arr);
		return json_emit(result);
	}
	printf("  reason      %s\n  revoked at  %s\n", revoke_reason_name(c->reason),
	       fmt_time(c->now, when));
	printf("\nPublish it: minica crl --out minica.crl (then copy the CRL to where clients "
	       "fetch it)\n");
	return 0;
}

int cmd_revoke(int argc, char **argv)
{
	struct revoke_args a = {0};
	struct serials s = {0};
	struct revocation c = {0};
	struct ca ca = {0};
	store *st = NULL;
	size_t i;
	int rc;

	if ((rc = cli_parse(&argp, argc, argv, "revoke", &a)))
		goto out;
	for (i = 0; i < a.n_serials; i++)
		if ((rc = serials_add(&s, a.serials[i], "")))
			goto out;
	if (a.serials_file && (rc = serials_read(&s, a.serials_file)))
		goto out;
	if ((rc = store_open(store_dir(), &st)))
		goto out;
	for (i = 0; i < a.n_hosts; i++)
		if ((rc = serials_add_host(&s, st, a.hosts[i])))
			goto out;
	if (s.n == 0) {
		rc = fail(EX_DATAERR, "serials file %s: no serial in it", a.serials_file);
		goto out;
	}
	serials_unique(&s);
	if ((rc = ca_load(st, &ca)) || (rc = ca_unlock(&ca)))
		goto out;
	if ((rc = revoke_serials(st, s.v, s.n, a.reason, now_utc(), &c)))
		goto out;
	rc = report(&c, s.n > 1 || a.serials_file || a.n_hosts > 1);
out:
	revocation_release(&c);
	free(s.v);
	free(a.serials);
	free(a.hosts);
	ca_release(&ca);
	store_close(st);
	return rc;
}
