/*
 * Reports for people and their calendars: a self-contained HTML page and an
 * iCalendar file, both built from one snapshot of the store.
 */
#ifndef MINICA_REPORT_H
#define MINICA_REPORT_H

#include <stdio.h>

#include "ca/ca.h"

/* The thresholds of SPEC section 6 that the reports draw and alarm on. */
#define REPORT_LEAF_WARN 60  /* days: a leaf is WARNING below this (--warn) */
#define REPORT_LEAF_CRIT 14  /* days: a leaf is CRITICAL below this */
#define REPORT_CA_WARN 365   /* days: the CA is WARNING below this (--ca-warn) */
#define REPORT_CA_CRIT 90    /* days: the CA is CRITICAL below this */

struct report_ca_version {
	uint32_t version;
	char serial[2 * STORE_SERIAL_LEN + 1];
	char thumbprint[THUMBPRINT_HEX];
	int64_t not_before, not_after;
};

struct report_cert {
	struct store_record *rec;
	char serial[2 * STORE_SERIAL_LEN + 1];
	char thumbprint[THUMBPRINT_HEX]; /* "" when the stored DER does not decode */
	const char *status;              /* record_status() */
};

/* Everything a report shows, read once; strings are valid UTF-8 without controls. */
struct report {
	int64_t now;
	long warn_days, ca_warn_days;
	/* the newest CA certificate */
	char *ca_subject, *ca_cn;
	char ca_serial[2 * STORE_SERIAL_LEN + 1];
	char ca_thumbprint[THUMBPRINT_HEX];
	char ca_sha256[65];
	char ca_key[32];
	char ca_ski[2 * 64 + 1]; /* hex of the subject key identifier, stable across extensions */
	int ca_key_protected;
	int ca_key_on_token;   /* the key is on a PKCS#11 token */
	char *ca_domain;
	int64_t ca_not_before, ca_not_after;
	struct report_ca_version *versions; /* oldest first */
	size_t n_versions;
	struct report_cert *certs; /* by notAfter, soonest first */
	size_t n_certs;
	char *store_path;
};

int report_load(store *st, const struct ca *ca, int64_t now, struct report *out);
void report_release(struct report *r);
int report_alarms(const struct report_cert *c); /* 1 for a certificate that can still expire on someone: valid or expired, not revoked or superseded */

/* report.c: text helpers. */
char *text_clean(const char *in); /* valid UTF-8, controls replaced by U+FFFD; NULL: no memory */
void html_escape(FILE *f, const char *text);

/* html.c / ics.c: write the whole document to f. 0, or -1 on a write error. */
int report_html(FILE *f, const struct report *r);
int report_ics(FILE *f, const struct report *r, size_t *events);

/* ics.c: RFC 5545 content lines, folded at 75 octets, CRLF. */
struct ics_writer {
	FILE *f;
	int error;
};
void ics_line(struct ics_writer *w, const char *name, const char *value); /* value pre-escaped */
void ics_text(struct ics_writer *w, const char *name, const char *text);  /* escapes TEXT */
char *ics_escape(const char *text); /* \\ \; \, \n; NULL: no memory */

#endif
