/*
 * What is specific to Microsoft Exchange: reading Get-ExchangeCertificate
 * output (inventory.c, culture_dates.c), the PowerShell that installs a
 * certificate (powershell.c) and the runbook built from it (runbook.c).
 */
#ifndef MINICA_EXCHANGE_H
#define MINICA_EXCHANGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum exchange_version { EXCHANGE_ALL = 0, EXCHANGE_2007 = 2007, EXCHANGE_2010 = 2010,
			EXCHANGE_2013 = 2013, EXCHANGE_2016 = 2016, EXCHANGE_2019 = 2019 };

/* ---- PowerShell (powershell.c) ---- */
/* The Import-ExchangeCertificate line for one version (2013 covers later ones). */
void exchange_import_line(FILE *out, enum exchange_version v, const char *windows_path);
void exchange_print_install(FILE *out, const char *pfx_name, const char *thumbprint);
/* Completing a request Exchange made itself with the .p7b or .cer of 'minica sign'. */
void exchange_print_response_install(FILE *out, const char *file_name, const char *thumbprint);
/* New-EdgeSubscription on the Hub (Mailbox) server importing the Edge's file. */
void exchange_edge_import_line(FILE *out, enum exchange_version v, const char *windows_path,
			       const char *site);
int exchange_version_parse(const char *text, enum exchange_version *out); /* 0 or -1 */

/* ---- dates in a Windows culture's format (culture_dates.c) ---- */
enum date_order { DATE_ORDER_DMY = 1, DATE_ORDER_MDY = 2, DATE_ORDER_YMD = 4 };
struct culture_date {
	int year;
	int a, b;             /* year first: month, day; year last: the two numbers as written */
	int year_first;
	char sep;             /* '/', '.' or '-' between the date's numbers */
	int has_time, hour, minute, second; /* 24-hour, after the designator was applied */
	int pm;
	const char *marker;   /* the AM/PM designator read (UTF-8), NULL for a 24-hour clock */
	long offset;          /* seconds east of UTC when an ISO 8601 zone was given */
	signed char pad_a, pad_b; /* year last, as written: 1 zero-padded ("03"), -1 one digit
				     ("3"), 0 two digits from 10 (either) */
	/* set by culture_date_parse, so that timegm runs once per reading, not per question */
	unsigned orders;      /* what culture_date_orders returns */
	int64_t t_ab, t_ba;   /* UTC seconds read a/b (year first: month/day) and b/a, when possible */
};
/* 0, or -1 with *why set to a static reason. */
int culture_date_parse(const char *text, struct culture_date *out, const char **why);
/* The orders (DATE_ORDER_* bits) that give a real calendar date. */
unsigned culture_date_orders(const struct culture_date *d);
/* d/M and M/d are both possible and give different dates. */
int culture_date_ambiguous(const struct culture_date *d);
/* Seconds since the epoch, read in order (ignored unless ambiguous); 0 or -1. */
int culture_date_epoch(const struct culture_date *d, unsigned order, int64_t *out);

/* ---- Get-ExchangeCertificate | Format-List output (inventory.c) ---- */
/* How the day/month order of a certificate's dates was decided. */
enum inv_order_how {
	ORDER_NONE = 0,  /* nothing was ambiguous */
	ORDER_OPTION,    /* --date-order */
	ORDER_PAIR,      /* the other date can only be read one way */
	ORDER_VALIDITY,  /* only one reading gives a plausible validity period */
	ORDER_EARLIER,   /* undecided: NotAfter read as the earlier of its two readings */
	ORDER_UNDECIDED, /* undecided, only NotBefore ambiguous: read d/M (no verdict depends on it) */
	ORDER_CONSOLE,   /* an unambiguous date of the same shape in the same console output */
	ORDER_SHAPE,     /* the shape itself: AM/PM with an unpadded (en-US) or padded (en-AU) 2nd field */
};
/* Where each certificate came from (the JSON's "format"). */
enum inv_format { INV_FL, INV_TABLE, INV_CSV, INV_JSON, INV_CERTUTIL };
extern const char *const inv_format_names[5];
struct inv_date {
	char *text;           /* as written; NULL when the property is absent */
	long line;
	int ok;               /* read, and t is set */
	int64_t t;            /* seconds since the epoch; the server's local time read as UTC */
	struct culture_date d;
};
struct inv_cert {
	long line, end_line;  /* the lines of its block */
	int format;           /* enum inv_format */
	char *thumbprint;     /* upper case, spaces removed; as written when not valid; "" when missing */
	int thumbprint_ok;    /* 40 hexadecimal digits */
	int thumbprint_missing; /* a block cut short: known by its serial number */
	char *serial_number;  /* SerialNumber / Serial Number, upper case hex; NULL when absent */
	char *subject, *issuer, *services, *status; /* NULL when absent */
	int subject_cut;      /* Format-Table cut the Subject: its CN is not used */
	char **domains;       /* CertificateDomains, in order, duplicates dropped */
	size_t n_domains;
	int domains_given;    /* the property was there (possibly {}) */
	int domains_cut;      /* the list ended with "...": Format-List showed only four */
	int self_signed;      /* 1, 0, or -1 when unknown */
	int self_signed_derived; /* no IsSelfSigned line: Subject == Issuer */
	int has_private_key;  /* 1, 0, -1 */
	int smtp;             /* Services names SMTP */
	int services_unknown; /* the output never shows Exchange's services (certutil, Cert:\),
				 or Format-Table cut them */
	struct inv_date not_before, not_after;
	unsigned order;       /* DATE_ORDER_DMY/MDY when a date was ambiguous, else 0 */
	int order_how;        /* enum inv_order_how */
	int64_t not_after_other; /* ORDER_EARLIER: the later reading of NotAfter */
	long order_line;      /* ORDER_CONSOLE: the line of the date that decided */
	long duplicate_of;    /* 1 + index of an earlier certificate with this thumbprint, or 0 */
};
struct inv_note {
	long line;
	char *text;           /* one line, no control characters */
};
struct inventory {
	struct inv_cert *certs;
	size_t n_certs, cap_certs;
	struct inv_note *notes; /* ordered by line */
	size_t n_notes, cap_notes;
	const char *encoding; /* static */
	long lines;
};
struct inventory_options {
	unsigned date_order;  /* DATE_ORDER_DMY or DATE_ORDER_MDY for ambiguous dates, 0: decide */
};
/*
 * Parses data (any size, any bytes). 0, or -1 when out of memory. No output,
 * no files: problems are notes with line numbers. o may be NULL.
 */
int inventory_parse(const unsigned char *data, size_t len, const struct inventory_options *o,
		    struct inventory *out);
void inventory_free(struct inventory *inv);
void inventory_cert_free(struct inv_cert *c);
/*
 * date_order.c: what the unambiguous slashed dates of each console output
 * show, by shape (separator, 12/24-hour clock, padding of each number).
 */
struct order_book;
struct order_book *order_book_new(void);
int order_book_add(struct order_book *b, const struct culture_date *d, long seg, long line);
int order_book_seal(struct order_book *b); /* after the last add: 0 or -1 (out of memory) */
void order_book_free(struct order_book *b);
/*
 * Decides c's day/month order and sets its dates' t; returns c->order_how.
 * book (may be NULL) holds the dates of the whole output, seg is c's console output.
 */
int inventory_resolve_order(struct inv_cert *c, unsigned option, const struct order_book *book,
			    long seg);
/* What was decided about the day/month order, or NULL when nothing was ambiguous. */
const char *inventory_order_text(const struct inv_cert *c);

/* ---- install steps for one certificate (runbook.c) ---- */
struct store_record;
struct json_t;
struct runbook_options {
	int edge;                      /* Edge Transport server: add the EdgeSync steps */
	enum exchange_version version; /* EXCHANGE_ALL: every version's syntax */
	const char *pfx;               /* PFX file to name instead of NAME.pfx (its base name) */
	const char *site;              /* AD site for New-EdgeSubscription; NULL: a placeholder */
	const char *replaces;          /* thumbprint of the certificate replaced, or NULL */
	int role_given;                /* --role given: else inventory --issue decides per certificate */
};
struct runbook_step {
	char *where;                   /* "minica", the host, or the Hub/Mailbox server */
	char *title;
	char **commands;               /* to type as they are; "# ..." lines are comments */
	size_t n_commands;
	char *note;                    /* NULL or one paragraph */
};
struct runbook {
	char *title, *host, *pfx_name;
	int is_ip, edge;
	enum exchange_version version;
	char thumbprint[41], serial[33];
	int64_t not_after;
	struct runbook_step *steps;
	size_t n_steps;
};
int runbook_build(const struct store_record *rec, const struct runbook_options *o,
		  struct runbook *out);
void runbook_print(const struct runbook *rb, FILE *out);
struct json_t *runbook_json(const struct runbook *rb);
void runbook_free(struct runbook *rb);

/* ---- what minica makes of each certificate (assess.c) ---- */
enum inv_verdict { VERDICT_UNKNOWN, VERDICT_EXPIRED, VERDICT_EXPIRING, VERDICT_OK };
extern const char *const inv_verdict_names[4];
struct inv_assessed {
	enum inv_verdict verdict;
	long days;            /* left (negative: since expiry), when NotAfter was read */
	int replace;          /* serves SMTP and is self-signed, expired or expiring */
	char serial[33];      /* issued by this CA: its serial, else "" */
	char **hosts;         /* for the replacement: CertificateDomains, else the CN; never a
				 mail address */
	size_t n_hosts;
	int hosts_from_cn;
	char *user;           /* a user's or client's certificate: the mail address that says so
				 (its CN, else its names); no replacement; NULL for the others */
	int user_from_cn;
};
#define INV_CUT_ADVICE "CertificateDomains was cut after four names by Format-List: add the " \
		       "others (run '$FormatEnumerationLimit = -1' before 'Get-ExchangeCertificate | " \
		       "fl' to see them all)"
/* as: inv->n_certs zeroed entries. 0 or EX_OSERR. */
int inventory_assess(const struct inventory *inv, struct inv_assessed *as, int64_t now, long warn);
void inventory_assessed_free(struct inv_assessed *as, size_t n);
struct ca;
int inventory_qualify(const struct inventory *inv, struct inv_assessed *as, const struct ca *ca);
const char *inventory_edge_reason(const struct inv_cert *c, const struct inv_assessed *a);
struct store;
int inventory_match_store(struct store *st, const struct inventory *inv, struct inv_assessed *as);
char *inventory_replacement_command(const struct inv_assessed *a); /* NULL: no host name */
const char *inventory_local_time(int64_t t, char buf[32], int iso); /* the server's clock */

/* ---- showing it (inventory_report.c) ---- */
void inventory_print_notes(const char *file, const struct inventory *inv);
void inventory_print_report(const char *file, const struct inventory *inv,
			    const struct inv_assessed *as, int64_t now, long warn, int store_checked);
struct json_t *inventory_report_json(const char *file, const struct inventory *inv,
				     const struct inv_assessed *as, int64_t now, long warn,
				     int store_checked);
/* The same report printed on stdout (json_emit's bytes), one certificate in memory at a time. */
int inventory_emit_json(const char *file, const struct inventory *inv,
			const struct inv_assessed *as, int64_t now, long warn, int store_checked);

/* ---- inventory --issue (inventory_issue.c) ---- */
struct issue_options;
/* report: the JSON report to add "issued" and "runbooks" to, or NULL for text. */
int inventory_issue(const struct inventory *inv, const struct inv_assessed *as,
		    const struct issue_options *io, const struct runbook_options *ro,
		    struct json_t *report);

#endif
