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

#endif
