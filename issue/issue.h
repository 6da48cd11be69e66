/*
 * Everything that makes a leaf certificate: host-name rules, templates,
 * building and signing, PFX files and the files written for a leaf.
 */
#ifndef MINICA_ISSUE_H
#define MINICA_ISSUE_H

#include <openssl/conf.h>

#include "ca/ca.h"

/* ---- host names (hostname.c) ---- */
#define HOST_MAX 253
struct hostlist {
	char **names;          /* normalised; names[0] is the subject's CN */
	unsigned char *is_ip;
	unsigned char *qualified; /* 1: a short name replaced under name constraints */
	size_t n;
};
void hostlist_free(struct hostlist *h);
void hosts_note_qualified(const struct hostlist *h, const struct ca *ca);
int host_check(const char *in, int allow_wildcard, char **out, int *is_ip);
int hosts_resolve(char *const *in, size_t n, const struct ca *ca, int allow_wildcard,
		  struct hostlist *out);
int host_file_name(const char *host, char *out, size_t size); /* safe base name for files */

/* ---- templates (template.c) ---- */
enum pfx_mode { PFX_NONE = 0, PFX_LEGACY = 1, PFX_MODERN = 2 };
struct template {
	char *name;
	char *path;
	CONF *conf;
	char *text;
	size_t text_len;
	unsigned char hash[32];
	char *description;
	struct keyspec key;
	long days;
	const EVP_MD *md;
	int sha1;
	enum pfx_mode pfx;
	char *pfx_csp;
	int wildcard;
	char *subject_section;
	int min_rsa_bits;          /* smallest RSA key 'sign' accepts in a request */
};
#define TEMPLATE_DEFAULT "smtp-transport"
#define DAYS_MAX 36500
int template_load(const char *name, struct template **out);
/* template_text.c: the logical lines as OpenSSL's NCONF builds them (continuations joined,
 * trailing CR/LF dropped, a BOM skipped), each with the number of its first physical line;
 * stops at fn's first non-zero return and returns it, -1 when out of memory */
typedef int (*conf_line_fn)(const char *line, long lineno, void *ctx);
int conf_lines(const char *text, size_t len, conf_line_fn fn, void *ctx);
/* 0, or EX_DATAERR after a message: a NUL byte, a directive (.include), a '$' expansion */
int template_text_check(const char *path, const char *text, size_t len);
void template_free(struct template *t);
int template_apply(const struct template *t, X509 *leaf, X509 *issuer);
int template_dirs(const char *dirs[3]);
typedef int (*template_visit_fn)(const char *name, const char *path, void *ctx);
int template_each(template_visit_fn fn, void *ctx);

/* ---- building a leaf (leaf.c) ---- */
struct leaf_spec {
	const struct hostlist *hosts;
	const struct template *tpl;
	long days;                 /* 0: the template's */
	EVP_PKEY *key;             /* the subject's key (public part used) */
	unsigned char serial[STORE_SERIAL_LEN];
};
int leaf_build(const struct ca *ca, const struct leaf_spec *spec, X509 **out);
int leaf_record(const struct ca *ca, const struct template *tpl, X509 *leaf,
		const struct hostlist *hosts, struct store_record *rec);

/* ---- PFX (pfx.c) ---- */
#define PFX_PASSWORD_LEN 24
int pfx_build(EVP_PKEY *key, X509 *leaf, X509 *ca, const char *friendly_name,
	      const char *csp, enum pfx_mode mode, const char *pass, unsigned char **der,
	      size_t *len);
int pfx_password_generate(char out[PFX_PASSWORD_LEN + 1]);
const char *pfx_mode_describe(enum pfx_mode mode);

/* ---- the files of one leaf (leaffiles.c) ---- */
struct leaf_files {
	const char *dir;
	const char *base;          /* file-name stem, usually the first host */
	int force;
	int want_key, want_pfx, want_password;
	char *crt, *key, *chain, *pfx, *pfx_password; /* full paths, set by leaf_files_plan */
};
int leaf_files_plan(struct leaf_files *f);
void leaf_files_release(struct leaf_files *f);
int leaf_files_write(struct leaf_files *f, X509 *leaf, X509 *ca, EVP_PKEY *key,
		     const unsigned char *pfx, size_t pfx_len, const char *generated_password);

/*
 * ---- certificate requests (csr.c) ----
 * Pure functions on byte buffers (no files, no store), so fuzzers can call
 * them. Each returns 0 or an exit code after one diagnostic line that starts
 * with label ("request mail-hub1.req").
 */
#define CSR_MAX_BYTES (64 * 1024)
#define CSR_MAX_NAMES 100
int csr_decode(const unsigned char *data, size_t len, X509_REQ **out);
int csr_decode_named(const char *label, const unsigned char *data, size_t len,
		     X509_REQ **out);
int csr_check(const char *label, X509_REQ *req, int min_rsa_bits); /* key policy, signature */
struct csr_names {
	char *names[CSR_MAX_NAMES]; /* CNs, then subjectAltName DNS names and IPs; unvalidated */
	size_t n;
};
int csr_names_get(const char *label, X509_REQ *req, struct csr_names *out);
void csr_names_free(struct csr_names *names);
/* Each thing the request asks for that the certificate does not take from it. */
typedef void (*csr_item_fn)(const char *item, void *ctx);
void csr_ignored(X509_REQ *req, csr_item_fn fn, void *ctx);

/*
 * ---- signing requests (sign.c) ----
 * No output: diagnostics only, through fail(). A batch is prepared (nothing
 * secret), built with the CA unlocked once, and committed in one transaction.
 */
struct csr_signing {
	const char *label;     /* set by the caller: "request FILE", starts each diagnostic */
	const char *source;    /* set by the caller: the csr= of the audit entry */
	X509_REQ *req;
	struct hostlist hosts;
	X509 *leaf;
	struct store_record rec;
	char detail[1024];     /* the audit entry */
};
int csr_signing_prepare(struct csr_signing *sg, const unsigned char *data, size_t len,
			const struct template *tpl, const struct ca *ca);
int csr_signing_build(struct csr_signing *sg, const struct ca *ca, const struct template *tpl,
		      long days); /* ca unlocked */
/* Every record with its "sign" audit entry, in one transaction: all or none. */
int csr_signing_commit(store *st, struct csr_signing *const *all, size_t n);
/* The same for one, inside a caller's transaction (minica serve's group commit). */
int csr_signing_insert(store_txn *txn, const struct csr_signing *sg);
void csr_signing_release(struct csr_signing *sg);
/* One request, the whole way: checked, signed with tpl (days 0: the template's), stored, audited. */
int issue_sign_csr(store *st, struct ca *ca, const struct template *tpl, long days,
		   const unsigned char *data, size_t len, struct csr_signing *sg);

/* ---- PKCS#7 certificates-only, for Exchange (p7b.c) ---- */
int p7b_build(X509 *leaf, X509 *ca, unsigned char **der, size_t *len); /* *der malloc'ed */

/* ---- the issuing path (issuer.c) ---- */
struct json_t;
struct issue_options {
	const char *template_name; /* NULL: smtp-transport */
	const char *key;           /* NULL: the template's */
	int pfx;                   /* -1: the template's, 0: none, 1: yes */
	int pfx_mode;              /* 0: the template's, PFX_LEGACY, PFX_MODERN */
	const char *pfx_pass_file; /* NULL: generate one per certificate */
	const char *out_dir;       /* NULL: "." */
	int force;
	int no_files;              /* keep everything in the store only */
	long days;                 /* 0: the template's */
};
struct issuer {
	store *st;            /* borrowed */
	struct ca *ca;        /* borrowed; unlocked on first use */
	struct template *tpl;
	struct keyspec key;
	enum pfx_mode pfx;
	char *pfx_pass;
	size_t pfx_pass_len;
	const char *out_dir;
	int force;
	int no_files;
	long days;
	struct json_t *json;  /* results, with --json */
	int issued;
	/* the last certificate reported on its own (one issue or renew, text): what its
	 * install hints name, for the command that prints them */
	struct {
		int reported;
		char thumbprint[THUMBPRINT_HEX];
		char *pfx, *key, *chain; /* the files written, NULL when none */
	} last;
	unsigned char last_serial[STORE_SERIAL_LEN]; /* of the last certificate issued */
	/* renew with a staged key (nextkey.c): issuer_issue uses it instead of a new one and
	 * drops it from the store in the same transaction; both borrowed */
	EVP_PKEY *next_key;
	const char *next_key_host;
};
int issuer_init(struct issuer *is, store *st, struct ca *ca, const struct issue_options *o);
/* One certificate for names; with renews, that record becomes superseded in the same commit. */
int issuer_issue(struct issuer *is, char *const *names, size_t n_names,
		 const struct store_record *renews);
int issuer_finish(struct issuer *is, int as_array); /* prints the JSON results */
/* --hosts-file: every line checked first, then keys made on all cores, batch commits. */
int issuer_issue_file(struct issuer *is, const char *path);
void issuer_release(struct issuer *is);

/* ---- renewing (renew.c) ---- */
/* The same kind of key as the record's, when it is one that minica makes; else NULL. */
const char *renew_key_type(const struct store_record *rec, char buf[16]);
/* 0 when rec can be renewed, else one line saying why not and its exit code. */
int renew_refusal(const struct store_record *rec);
/* issuer_init for renewing rec: its template, and its key type unless o names one. */
int renew_issuer_init(struct issuer *is, store *st, struct ca *ca,
		      const struct store_record *rec, const struct issue_options *o, char ktype[16]);
/* Valid certificates expiring within days (soonest first), and how many expired already. */
struct renew_due {
	struct store_record **recs;
	size_t n;
	unsigned long expired; /* valid, not renewed, past notAfter: not renewed in bulk */
};
int renew_due_find(store *st, int64_t now, long days, struct renew_due *out);
void renew_due_release(struct renew_due *d);
/* 1 when a newer valid certificate has REC's names (its serial in NEWER): renew that one */
int renew_newer_same_names(store *st, const struct store_record *rec, int64_t now,
			   char newer[2 * STORE_SERIAL_LEN + 1]);

/*
 * ---- the next key of a host, staged before its renewal (nextkey.c) ----
 * host is a record's first name. next_key_spki: *spki NULL when none is
 * staged. next_key_stage and next_key_load need ca unlocked; load sets *out
 * NULL when none is staged. next_key_drop (a store_write_fn, ctx the host)
 * removes it inside the renewal's transaction.
 */
int next_key_spki(store *st, const char *host, unsigned char **spki, size_t *len);
int next_key_stage(store *st, const struct ca *ca, const char *host, EVP_PKEY *key);
int next_key_load(store *st, const struct ca *ca, const char *host, EVP_PKEY **out);
int next_key_drop(store_txn *txn, void *host);

/* ---- revoking (revoke.c): no output ---- */
struct revoked {
	unsigned char serial[STORE_SERIAL_LEN];
	char **hosts;
	size_t n_hosts;
};
struct revocation {
	int reason;
	int64_t now;           /* revoked at */
	struct revoked *done;  /* what was revoked, for the report */
	size_t n_done;
};
/* Every serial (no duplicates) revoked with reason, in one transaction: all or none. */
int revoke_serials(store *st, const unsigned char (*serials)[STORE_SERIAL_LEN], size_t n,
		   int reason, int64_t now, struct revocation *out);
void revocation_release(struct revocation *r);

/* ---- presenting records (records.c) ---- */
const char *record_status(const struct store_record *rec, int64_t now);
const char *revoke_reason_name(int reason);
struct json_t *record_json(const struct store_record *rec, int64_t now, int full);
struct table *record_table_new(void); /* list: serial, status, notAfter, days, template, names */
int record_table_row(struct table *t, const struct store_record *rec, int64_t now);
struct table *record_revoked_table_new(void); /* list --status revoked: when and why */
int record_revoked_table_row(struct table *t, const struct store_record *rec);
const char *serial_host_hint(const char *text);
int record_lookup(store *st, const char *serial_text, const char *host,
		  struct store_record **out); /* --serial or newest valid for --host */

#endif
