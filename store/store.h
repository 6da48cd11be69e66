/*
 * The store: one LMDB environment holding the CA and every certificate it
 * issued. This is the only part of minica that includes <lmdb.h>; it knows
 * nothing of X.509 beyond opaque DER blobs and the fields it indexes.
 *
 * Functions return 0 or a sysexits.h code after printing one diagnostic
 * line, except where noted.
 */
#ifndef MINICA_STORE_H
#define MINICA_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_SERIAL_LEN 16
#define STORE_HASH_LEN 32
#define STORE_SCHEMA 1        /* store layout version, in meta "schema" */
#define STORE_RECORD_VERSION 1 /* version field of each encoded record */

/* Returned (not printed) by store_txn_* when the map must grow; pass it on. */
#define STORE_AGAIN (-1)

enum store_status { STORE_VALID = 0, STORE_REVOKED = 1, STORE_SUPERSEDED = 2 };

struct store_record {
	unsigned char serial[STORE_SERIAL_LEN];
	unsigned char *cert; /* DER */
	size_t cert_len;
	int64_t issued_at, not_before, not_after;
	int status;
	char **hosts; /* lower-case names as issued, first is the subject's */
	size_t n_hosts;
	char *template_name;
	unsigned char template_hash[STORE_HASH_LEN];
	uint32_t ca_version;   /* which CA certificate version signed it */
	unsigned char *key;    /* encrypted PKCS#8 DER, NULL when not kept */
	size_t key_len;
	int64_t revoked_at;    /* 0 unless revoked */
	int revoke_reason;     /* RFC 5280 CRLReason, -1 when none */
	int has_predecessor, has_successor;
	unsigned char predecessor[STORE_SERIAL_LEN];
	unsigned char successor[STORE_SERIAL_LEN];
	int64_t crl_listed_at; /* first CRL that listed it, 0 if none */
};

struct store_audit {
	int64_t seq;  /* assigned by the store */
	int64_t time; /* assigned by the store when 0 */
	uint32_t uid; /* uid, user, host, pid: assigned by the store */
	char *user;
	char *host;
	int64_t pid;
	char *action; /* "init", "issue", "revoke", ... */
	char *detail; /* free text, one line */
	int has_serial;
	unsigned char serial[STORE_SERIAL_LEN];
};

/* store/record.c: versioned DER encoding (OpenSSL ASN.1 templates). 0 or -1. */
int store_record_encode(const struct store_record *rec, unsigned char **der, size_t *len);
int store_record_decode(const unsigned char *der, size_t len, struct store_record **out);
struct store_record *store_record_dup(const struct store_record *rec);
void store_record_free(struct store_record *rec);
int store_audit_encode(const struct store_audit *a, unsigned char **der, size_t *len);
int store_audit_decode(const unsigned char *der, size_t len, struct store_audit **out);
void store_audit_free(struct store_audit *a);

typedef struct store store;
typedef struct store_txn store_txn;

/* Opening. store_open refuses a store readable by others (77) or missing (66). */
int store_open(const char *dir, store **out);
void store_close(store *st);
const char *store_path(const store *st);
int store_exists(const char *dir); /* 1 if initialised, 0 if not */

/*
 * Creating: makes the directory (0700) and the environment and runs fn in
 * the first write transaction; on any failure removes what it created.
 * An initialised store is refused (73).
 */
typedef int (*store_write_fn)(store_txn *txn, void *ctx);
int store_create(const char *dir, store_write_fn fn, void *ctx, store **out);

/*
 * Writing: fn runs inside one write transaction and is re-run from scratch
 * when the map had to grow, so it must have no other side effects. Nothing
 * is written unless fn returns 0 and the commit succeeds.
 */
int store_write(store *st, store_write_fn fn, void *ctx);
int store_txn_meta_put(store_txn *txn, const char *key, const void *val, size_t len);
int store_txn_meta_get(store_txn *txn, const char *key, void **val, size_t *len);
int store_txn_meta_del(store_txn *txn, const char *key); /* 0 also when absent */
int store_txn_ca_add(store_txn *txn, const void *der, size_t len, uint32_t *version);
int store_txn_insert(store_txn *txn, const struct store_record *rec);
int store_txn_update(store_txn *txn, const struct store_record *rec);
int store_txn_get(store_txn *txn, const unsigned char serial[STORE_SERIAL_LEN],
		  struct store_record **out);
int store_txn_audit(store_txn *txn, const struct store_audit *a);
/* A revoked record's first CRL: 8 bytes in the revocation index, not a record rewrite. */
int store_txn_mark_listed(store_txn *txn, const unsigned char serial[STORE_SERIAL_LEN],
			  int64_t when);

/* Reading: each call is one consistent snapshot. *val is malloc'ed. */
int store_meta_get(store *st, const char *key, void **val, size_t *len); /* *val NULL if absent */
/* The same from a file written by store_backup (EX_NOINPUT/EX_DATAERR after a message) */
int store_backup_meta_get(const char *file, const char *key, void **val, size_t *len);
int store_ca_get(store *st, uint32_t version, void **der, size_t *len);  /* 0 = newest */
int store_ca_count(store *st, uint32_t *count);
int store_get(store *st, const unsigned char serial[STORE_SERIAL_LEN],
	      struct store_record **out); /* 66 when unknown */

/* Visitors return 0 to go on, 1 to stop early (not an error), or an exit code. */
typedef int (*store_visit_fn)(const struct store_record *rec, void *ctx);
int store_scan_all(store *st, store_visit_fn fn, void *ctx);
int store_scan_expiry(store *st, int64_t from, int64_t to, store_visit_fn fn, void *ctx);
int store_scan_host(store *st, const char *host, store_visit_fn fn, void *ctx);
int store_scan_revoked(store *st, store_visit_fn fn, void *ctx); /* in serial order */
/* The same inside a write transaction; fn must not change the store (collect, then change). */
int store_txn_scan_revoked(store_txn *txn, store_visit_fn fn, void *ctx);
typedef int (*store_audit_fn)(const struct store_audit *a, void *ctx);
int store_scan_audit(store *st, int64_t since, store_audit_fn fn, void *ctx);

struct store_stats {
	uint64_t records, hosts, expiry_entries, audit_entries, ca_versions;
	uint64_t map_size, used_bytes, file_bytes;
};
int store_stats_get(store *st, struct store_stats *out);

/*
 * store/map.c, for a long-running process whose threads share the store:
 * store_fix_map() enlarges the map once (address space, not disk: at least bytes
 * and twice what the store uses), before the
 * threads start, and forbids moving it from then on; store_release_every()
 * gives back the process's mapped pages of the file every N commits (they
 * stay in the page cache), so its resident size does not grow with the
 * store. store_release_pages() does it now; call it only where the map
 * cannot move under it (one thread, or a fixed map).
 */
int store_fix_map(store *st, size_t bytes);
void store_release_every(store *st, unsigned int commits);
int store_release_pages(store *st);

/*
 * store/verify.c: the whole store checked in one snapshot. Every record
 * decodes and matches its key; every by_host and by_expiry entry points at a
 * record whose fields match; every record is indexed under all its hosts and
 * its notAfter; renewal links point at records; audit entries decode in
 * sequence; the schema and the CA key are there. What only X.509 code can
 * judge (certificates, signatures, the key's format) goes to the hooks,
 * which the CA certificates reach first, then the CA key, then each record.
 * Each problem is one line passed to problem(); the walk goes on after it.
 * Returns 0 when the walk completed (problems or not), else an exit code
 * after one diagnostic (the store could not be read at all).
 */
struct store_verify_counts {
	uint64_t records, hosts, host_entries, expiry_entries, ca_versions, audit_entries;
	uint64_t acme_objects; /* the ACME table's entries, checked for shape (store/acme.c) */
};
struct store_verify_hooks {
	void (*problem)(void *ctx, const char *line);
	void (*ca_cert)(void *ctx, uint32_t version, const unsigned char *der, size_t len);
	void (*ca_key)(void *ctx, const unsigned char *blob, size_t len, const char *protection);
	void (*record)(void *ctx, const struct store_record *rec);
	void *ctx;
};
int store_verify(store *st, const struct store_verify_hooks *hooks,
		 struct store_verify_counts *counts);

/*
 * store/acme.c: the ACME server's objects under text keys ("a/ID", ...), as
 * opaque values. Reads see a missing table as empty; store_acme_prepare()
 * creates it and must run before the first store_txn_acme_* call.
 */
int store_acme_prepare(store *st);
int store_txn_acme_put(store_txn *txn, const char *key, const void *val, size_t len,
		       int no_overwrite);
int store_txn_acme_get(store_txn *txn, const char *key, void **val, size_t *len); /* NULL: absent */
int store_txn_acme_del(store_txn *txn, const char *key);
int store_acme_get(store *st, const char *key, void **val, size_t *len); /* *val NULL: absent */
typedef int (*store_acme_fn)(const char *key, size_t klen, const void *val, size_t len,
			     void *ctx);
int store_acme_scan(store *st, const char *prefix, store_acme_fn fn, void *ctx); /* key order */
int store_acme_count(store *st, uint64_t *entries);

/*
 * store/backup.c: a consistent, compacted copy of the environment taken in
 * one read transaction (writers go on meanwhile) into FILE, a single LMDB
 * data file: restore it as DIR/data.mdb of a new 0700 directory. Written to
 * a temporary file, synced, opened again to check it, then renamed into
 * place; an existing FILE is replaced only with force.
 */
struct store_backup_info {
	uint64_t records, bytes;
};
int store_backup(store *st, const char *path, int force, struct store_backup_info *info);

#endif
