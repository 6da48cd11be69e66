/*
 * DANE for SMTP (RFC 6698, RFC 7672): the TLSA records of a host's
 * certificate and of the CA, the hosts marked as published in DNS (so that
 * renew can warn), and the live check of published records (check --dane).
 */
#ifndef MINICA_DANE_H
#define MINICA_DANE_H

#include "issue/issue.h"

#define DANE_PORT_DEFAULT 25
#define DANE_MX_MAX 16

/* ---- one TLSA record: selector 1 (SubjectPublicKeyInfo), matching type 1 (SHA-256) (tlsa.c) ---- */
enum { TLSA_DANE_TA = 2, TLSA_DANE_EE = 3 };
struct tlsa {
	int usage; /* TLSA_DANE_TA or TLSA_DANE_EE */
	unsigned char digest[32];
	char hex[65]; /* upper-case, as zone files usually show it */
};
int tlsa_of_cert(X509 *cert, int usage, struct tlsa *out);
int tlsa_of_spki(const unsigned char *spki, size_t len, int usage, struct tlsa *out);
int tlsa_of_key(EVP_PKEY *key, int usage, struct tlsa *out);
/* The record's first fully qualified DNS name (not an IP, not a wildcard), or NULL. */
const char *dane_qualified_name(const struct store_record *rec);
/* "_25._tcp.NAME." into out (a fully qualified name, no trailing dot, in name) */
int tlsa_owner(const char *name, long port, char *out, size_t size);

/* ---- the hosts whose records are published (marks.c): meta "dane.hosts", text ---- */
struct dane_host {
	char *host;                /* as the store names it (host_check's form) */
	long port;
	char *mx[DANE_MX_MAX];     /* names the TLSA records are published under, besides host */
	size_t n_mx;
};
struct dane_hosts {
	struct dane_host *v;
	size_t n;
};
int dane_hosts_load(store *st, struct dane_hosts *out); /* empty when none is marked */
void dane_hosts_free(struct dane_hosts *h);
const struct dane_host *dane_hosts_find(const struct dane_hosts *h, const char *host);
/* Marks host (replacing an earlier mark of it) or, with unmark, removes it; audited. */
int dane_mark(store *st, const struct dane_host *mark, int unmark);

/* ---- DNS through a validating resolver, trusting its AD bit (lookup.c) ---- */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <resolv.h>
enum dns_result {
	DNS_SECURE = 0,     /* validated (AD): an answer, or a validated denial */
	DNS_INSECURE,       /* no AD: unsigned zone, or a resolver that does not validate */
	DNS_SERVFAIL,       /* the resolver failed: bogus signatures, broken delegation */
	DNS_UNREACHABLE,    /* no answer within the timeout */
	DNS_FAILED,         /* refused, or a malformed answer */
	DNS_NO_ADDRESS,     /* dane_addr_lookup: the name has no IPv4 address */
};
#define TLSA_SET_MAX 16
struct tlsa_rr {
	unsigned char usage, selector, mtype;
	unsigned char data[64];
	size_t len;
};
struct tlsa_set {
	int result;
	struct tlsa_rr rr[TLSA_SET_MAX];
	size_t n;
};
/* resolver: "ADDR[:PORT]" or NULL for /etc/resolv.conf; timeout in seconds per query */
int dane_resolver_open(const char *resolver, int timeout, struct __res_state *rs);
int dane_tlsa_lookup(struct __res_state *rs, const char *owner, struct tlsa_set *out);
int dane_addr_lookup(struct __res_state *rs, const char *name, char addr[INET6_ADDRSTRLEN]);
int tlsa_set_has(const struct tlsa_set *s, const struct tlsa *t);

/* ---- SMTP, STARTTLS and OpenSSL's DANE verification (smtp.c) ---- */
enum probe_result {
	PROBE_VERIFIED = 0, /* the served chain matches a published record */
	PROBE_MISMATCH,     /* TLS works, but no published record matches */
	PROBE_NO_STARTTLS,  /* the server does not offer STARTTLS */
	PROBE_CONNECT,      /* no SMTP session (connection, timeout, reply) */
	PROBE_TLS,          /* the TLS handshake failed */
};
struct dane_probe {
	int result;
	int matched_usage;   /* of the record that matched (PROBE_VERIFIED) */
	char served_ee[65];  /* the served leaf's 3 1 1 digest, when there was one */
	unsigned char chain_spki[4][32]; /* SHA-256 of the SPKI of the chain's other certificates */
	size_t n_chain;
	char why[256];       /* PROBE_*: what went wrong, one line */
};
int dane_smtp_probe(const char *addr, long port, const char *name, const struct tlsa_set *set,
		    int timeout, struct dane_probe *out);

/* ---- check --dane: every marked host's names, now and at the next renewal (check.c) ---- */
struct dane_check_options {
	const char *resolver; /* "ADDR[:PORT]", NULL: /etc/resolv.conf */
	long connect_port;    /* 0: the marked port (tests connect elsewhere) */
	int timeout;          /* seconds per DNS query, connect, read or handshake */
};
struct dane_finding {
	char host[HOST_MAX + 1];
	char name[HOST_MAX + 32]; /* the TLSA owner, _25._tcp.NAME. */
	int state;                /* MON_OK ... MON_UNKNOWN */
	const char *when;         /* "now" or "next" */
	char what[512], fix[512];
};
struct dane_report {
	int status;
	size_t n_hosts;
	struct dane_finding *v;
	size_t n;
};
int dane_check(store *st, const struct ca *ca, const struct dane_check_options *o,
	       struct dane_report *out);
void dane_report_free(struct dane_report *r);
int mon_worse(int a, int b); /* CRITICAL > WARNING > UNKNOWN > OK */

#endif
