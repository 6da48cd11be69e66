/*
 * Shared by the files of store/ only: the environment's handles and the
 * helpers its files call in one another. Nothing outside store/ includes
 * this header or <lmdb.h>.
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
	int map_fixed;              /* map.c: threads share the map, it must not move */
	uintptr_t map_start, map_end; /* map.c: where it is, once fixed */
	unsigned int release_every; /* map.c: give back mapped pages every N commits */
	unsigned int commits;
};

struct store_txn {
	store *st;
	MDB_txn *txn;
	int revoked_open; /* the revoked table is usable in this transaction */
};

#define REVOKED_DB "revoked"

/* env.c: the environment, its map, the encodings of keys (write.c: store_write, above them all) */
int lmdb_fail(const store *st, const char *what, int err);
int store_acme_verify(store *st, MDB_txn *txn, void (*problem)(void *ctx, const char *line),
		      void *ctx, uint64_t *count); /* acme.c */
int read_begin(store *st, MDB_txn **txn);
store *store_alloc(const char *dir);
int env_open(store *st, unsigned int extra_flags);
int open_dbs(store *st, MDB_txn *txn, unsigned int create);
int open_revoked(store *st, MDB_txn *txn, unsigned int create, int *found);
int grow_map(store *st);
int adopt_map_size(store *st); /* another process grew the map */
void release_after_commit(store *st); /* map.c */
void put_u32(unsigned char *p, uint32_t v);
uint32_t get_u32(const unsigned char *p);
void put_u64(unsigned char *p, uint64_t v);
uint64_t get_u64(const unsigned char *p);
#define EXPIRY_KEY_LEN (8 + STORE_SERIAL_LEN) /* by_expiry: notAfter || serial */
void expiry_key(unsigned char key[EXPIRY_KEY_LEN], int64_t t, const unsigned char *serial);
int64_t expiry_time(const unsigned char *key);

/* create.c: a store older than the revoked table gets it in its first write */
int revoked_upgrade(store_txn *t);

/* tables.c */
int revoked_put(store_txn *t, const unsigned char *serial, int64_t listed_at);
int revoked_value(store_txn *t, const MDB_val *v, int64_t *listed_at);
int get_record(store_txn *t, const unsigned char serial[STORE_SERIAL_LEN],
	       struct store_record **out);

/* missing.c: no store at dir: why, where minica looked, what to do; EX_NOINPUT */
int store_not_initialised(const char *dir);

#endif
