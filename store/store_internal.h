/*
 * Shared by the files of store/ only (store.c, verify.c, backup.c): the
 * environment's handles and the few helpers they all need. Nothing outside
 * store/ includes this header or <lmdb.h>.
 */
#ifndef MINICA_STORE_INTERNAL_H
#define MINICA_STORE_INTERNAL_H

#include <lmdb.h>

#include "store.h"

struct store {
	char *path;
	MDB_env *env;
	MDB_dbi meta, ca, certs, by_host, by_expiry, audit;
	MDB_dbi revoked;
	int has_revoked; /* the revoked table exists (committed) */
	MDB_dbi acme;    /* store/acme.c: opened on first use */
	int has_acme;
};

struct store_txn {
	store *st;
	MDB_txn *txn;
	int revoked_open; /* the revoked table is usable in this transaction */
};

#define REVOKED_DB "revoked"

int lmdb_fail(const store *st, const char *what, int err);
int store_acme_verify(store *st, MDB_txn *txn, void (*problem)(void *ctx, const char *line),
		      void *ctx, uint64_t *count); /* acme.c */
int read_begin(store *st, MDB_txn **txn);
uint32_t get_u32(const unsigned char *p);
uint64_t get_u64(const unsigned char *p);
#define EXPIRY_KEY_LEN (8 + STORE_SERIAL_LEN) /* by_expiry: notAfter || serial */
void expiry_key(unsigned char key[EXPIRY_KEY_LEN], int64_t t, const unsigned char *serial);
int64_t expiry_time(const unsigned char *key);

#endif
