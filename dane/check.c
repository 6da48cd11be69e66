/*
 * check --dane: for every host marked by 'minica dane' and each of its
 * names, the published TLSA records (DNSSEC-validated) against what the
 * server serves now (a real STARTTLS session) and against what the next
 * renewal will serve (the staged key, else a new key that only a 2 1 1 of
 * the CA can match). Findings carry a monitoring state and a one-line fix.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "dane/dane.h"

int mon_worse(int a, int b)
{
	static const int rank[] = {[MON_OK] = 0, [MON_UNKNOWN] = 1, [MON_WARNING] = 2,
				   [MON_CRITICAL] = 3};

	return rank[b] > rank[a] ? b : a;
}

void dane_report_free(struct dane_report *r)
{
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

struct name_check {
	const char *host, *owner;
	struct dane_report *r;
};

static int add(struct name_check *c, int state, const char *when, const char *fix,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int add(struct name_check *c, int state, const char *when, const char *fix,
	       const char *fmt, ...)
{
	struct dane_finding *v = realloc(c->r->v, (c->r->n + 1) * sizeof(*v)), *f;
	va_list ap;

	if (!v)
		return fail(EX_OSERR, "out of memory");
	c->r->v = v;
	f = &v[c->r->n++];
	memset(f, 0, sizeof(*f));
	snprintf(f->host, sizeof(f->host), "%s", c->host);
	snprintf(f->name, sizeof(f->name), "%s", c->owner);
	f->state = state;
	f->when = when;
	snprintf(f->fix, sizeof(f->fix), "%s", fix ? fix : "");
	va_start(ap, fmt);
	vsnprintf(f->what, sizeof(f->what), fmt, ap);
	va_end(ap);
	c->r->status = mon_worse(c->r->status, state);
	return 0;
}

/* The DNS answer decides whether DANE applies at all. 1: records to check. */
static int dns_verdict(struct name_check *c, const struct tlsa_set *set, int *rc)
{
	char fix[300];

	snprintf(fix, sizeof(fix), "publish the records of 'minica dane --host %s'", c->host);
	switch (set->result) {
	case DNS_SECURE:
		if (set->n)
			return 1;
		*rc = add(c, MON_WARNING, "now", fix, "no TLSA record is published (the zone is "
						      "signed): senders do not use DANE for it yet");
		return 0;
	case DNS_INSECURE:
		*rc = add(c, MON_UNKNOWN, "now",
			  "sign the zone with DNSSEC, or give --resolver a validating resolver",
			  "DANE does not apply: no DNSSEC-validated answer (an unsigned zone, or a "
			  "resolver that does not validate); senders deliver without DANE");
		return 0;
	case DNS_SERVFAIL:
		*rc = add(c, MON_CRITICAL, "now",
			  "re-sign the zone and check its DS record at the parent (e.g. with "
			  "'ldns-verify-zone' or 'delv')",
			  "the TLSA lookup fails (SERVFAIL: bogus DNSSEC signatures or a broken "
			  "delegation): DANE senders defer mail now");
		return 0;
	default:
		*rc = add(c, MON_UNKNOWN, "now",
			  "check that the resolver (--resolver, else /etc/resolv.conf) answers",
			  "the resolver gave no usable answer for the TLSA lookup");
		return 0;
	}
}

static int check_now(struct name_check *c, const struct tlsa_set *set, const char *addr,
		     long port, const char *name, int timeout, struct dane_probe *p)
{
	char fix[400];
	int r = dane_smtp_probe(addr, port, name, set, timeout, p);

	if (r == PROBE_VERIFIED)
		return add(c, MON_OK, "now", NULL, "the served certificate is verified by a published "
						   "%d 1 1 record",
			   p->matched_usage);
	if (r == PROBE_NO_STARTTLS)
		snprintf(fix, sizeof(fix), "enable STARTTLS on %s with the certificate from 'minica "
					   "export --host %s'",
			 name, c->host);
	else if (r == PROBE_MISMATCH)
		snprintf(fix, sizeof(fix), "publish the records of 'minica dane --host %s' (the served "
					   "key's 3 1 1 is %.16s...), or serve the certificate they pin",
			 c->host, p->served_ee[0] ? p->served_ee : "?");
	else
		snprintf(fix, sizeof(fix), "make %s reachable on port %ld with STARTTLS", name, port);
	return add(c, MON_CRITICAL, "now", fix, "%s: DANE senders defer mail now", p->why);
}

/* The chain served now carries the CA: a 2 1 1 then also matches the next certificate. */
static int chain_has(const struct dane_probe *p, const struct tlsa *ta)
{
	size_t i;

	for (i = 0; i < p->n_chain; i++)
		if (!memcmp(p->chain_spki[i], ta->digest, sizeof(ta->digest)))
			return 1;
	return 0;
}

static int check_next(struct name_check *c, store *st, const struct store_record *rec,
		      const struct tlsa_set *set, const struct tlsa *ta, int ta_serves)
{
	unsigned char *spki = NULL;
	size_t len = 0;
	struct tlsa next, newest;
	X509 *leaf = NULL;
	char fix[300], serial[2 * STORE_SERIAL_LEN + 1];
	int rc;

	if ((rc = x509_from_der(rec->cert, rec->cert_len, &leaf)) ||
	    (rc = tlsa_of_cert(leaf, TLSA_DANE_EE, &newest)) ||
	    (rc = next_key_spki(st, rec->hosts[0], &spki, &len)))
		goto out;
	serial_hex(rec->serial, serial);
	if (!ta_serves && !tlsa_set_has(set, &newest)) {
		snprintf(fix, sizeof(fix), "publish its 3 1 1 ('minica dane --host %s') before "
					   "installing it, and wait for the TTL",
			 c->host);
		rc = add(c, MON_WARNING, "next", fix, "the store's newest certificate (%s) matches no "
						     "published record: installing it breaks DANE",
			 serial);
		goto out;
	}
	if (spki) {
		if ((rc = tlsa_of_spki(spki, len, TLSA_DANE_EE, &next)))
			goto out;
		if (ta_serves || tlsa_set_has(set, &next)) {
			rc = add(c, MON_OK, "next", NULL, "the staged next key matches a published "
							  "record (%s)",
				 ta_serves ? "2 1 1 of the CA" : "its 3 1 1");
			goto out;
		}
		snprintf(fix, sizeof(fix), "publish the staged key's 3 1 1 ('minica dane --host %s') "
					   "beside the current one before renewing",
			 c->host);
		rc = add(c, MON_WARNING, "next", fix, "the staged next key's 3 1 1 is not published: "
						      "the next renewal would break DANE");
		goto out;
	}
	if (ta_serves) {
		rc = add(c, MON_OK, "next", NULL, "the next certificate matches the published 2 1 1 of "
						  "the CA (the server sends the CA certificate)");
		goto out;
	}
	snprintf(fix, sizeof(fix), "run 'minica renew --stage --host %s' and publish its 3 1 1 "
				   "beside the current one",
		 c->host);
	rc = add(c, MON_WARNING, "next", fix, "the next renewal makes a new key that no published "
					      "record matches%s: DANE senders would defer mail",
		 tlsa_set_has(set, ta) ? " (the 2 1 1 of the CA is published, but the server does "
					 "not send the CA certificate)"
				       : "");
out:
	free(spki);
	X509_free(leaf);
	return rc;
}

static int check_name(struct dane_report *r, store *st, const struct ca *ca,
		      const struct dane_host *d, const struct store_record *rec, const char *name,
		      const struct dane_check_options *o, struct __res_state *rs)
{
	char owner[HOST_MAX + 32], addr[INET6_ADDRSTRLEN];
	struct name_check c = {d->host, owner, r};
	struct tlsa_set set;
	struct dane_probe p;
	struct tlsa ta;
	int rc = 0, ar;

	if ((rc = tlsa_owner(name, d->port, owner, sizeof(owner))) ||
	    (rc = tlsa_of_cert(ca->cert, TLSA_DANE_TA, &ta)))
		return rc;
	dane_tlsa_lookup(rs, owner, &set);
	if (!dns_verdict(&c, &set, &rc))
		return rc;
	if ((ar = dane_addr_lookup(rs, name, addr)) != DNS_SECURE && ar != DNS_INSECURE)
		return add(&c, ar == DNS_SERVFAIL ? MON_CRITICAL : MON_UNKNOWN, "now",
			   "publish an A record for it", "%s has no IPv4 address to connect to%s",
			   name, ar == DNS_SERVFAIL ? " (SERVFAIL)" : "");
	if ((rc = check_now(&c, &set, addr, o->connect_port ? o->connect_port : d->port, name,
			    o->timeout, &p)))
		return rc;
	return check_next(&c, st, rec, &set, &ta, tlsa_set_has(&set, &ta) && chain_has(&p, &ta));
}

static int check_host(struct dane_report *r, store *st, const struct ca *ca,
		      const struct dane_host *d, const struct dane_check_options *o,
		      struct __res_state *rs)
{
	struct store_record *rec = NULL;
	struct name_check c = {d->host, d->host, r};
	const char *fqdn;
	size_t i;
	int rc;

	if (record_lookup(st, NULL, d->host, &rec) || rec->status != STORE_VALID ||
	    rec->not_after <= now_utc()) {
		char fix[300];

		snprintf(fix, sizeof(fix), "'minica renew --host %s' (after 'renew --stage' and "
					   "publishing its record), or 'minica dane --host %s --unmark'",
			 d->host, d->host);
		rc = add(&c, MON_CRITICAL, "now", fix, "no valid certificate in the store");
		goto out;
	}
	rc = 0;
	if ((fqdn = dane_qualified_name(rec)))
		rc = check_name(r, st, ca, d, rec, fqdn, o, rs);
	for (i = 0; i < d->n_mx && rc == 0; i++)
		if (!fqdn || strcmp(fqdn, d->mx[i]))
			rc = check_name(r, st, ca, d, rec, d->mx[i], o, rs);
out:
	store_record_free(rec);
	return rc;
}

int dane_check(store *st, const struct ca *ca, const struct dane_check_options *o,
	       struct dane_report *out)
{
	struct dane_hosts h = {0};
	struct __res_state rs;
	int rc, rs_open = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	if ((rc = dane_hosts_load(st, &h)) || (rc = dane_resolver_open(o->resolver, o->timeout, &rs)))
		goto out;
	rs_open = 1;
	out->n_hosts = h.n;
	for (i = 0; i < h.n && rc == 0; i++)
		rc = check_host(out, st, ca, &h.v[i], o, &rs);
out:
	if (rs_open)
		res_nclose(&rs);
	dane_hosts_free(&h);
	return rc;
}
