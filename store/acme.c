/*
 * The ACME server's objects (accounts, EAB keys, orders, authorizations with
 * their challenges) in one LMDB table, "acme", beside the certificates:
 *
 *   acme   text key "KIND/ID" -> opaque value (acme/ encodes them as
 *          versioned JSON documents; the store does not look inside)
 *
 * The table came after the first stores were made: readers treat a missing
 * table as empty, and store_acme_prepare() creates it in its own write
 * transaction before a writer needs it (so its handle stays valid for the
 * life of the environment, whichever transaction aborts later).
 */
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "store_internal.h"

#define ACME_DB "acme"
#define ACME_KEY_MAX 511

static int key_check(const store *st, const char *key)
{
	size_t n = strlen(key);

	if (n == 0 || n > ACME_KEY_MAX)
		return fail(EX_SOFTWARE, "store %s: ACME key of %zu bytes", st->path, n);
	return 0;
}

/* Opens the table if it exists (create: makes it); *found says whether it does. */
static int acme_open(store *st, int create, int *found)
{
	MDB_txn *txn = NULL;
	int rc;

	*found = st->has_acme;
	if (st->has_acme)
		return 0;
	if (create)
		rc = mdb_txn_begin(st->env, NULL, 0, &txn);
	else
		rc = read_begin(st, &txn) ? -1 : 0;
	if (rc < 0)
		return EX_IOERR;
	if (rc)
		return lmdb_fail(st, "begin write", rc);
	rc = mdb_dbi_open(txn, ACME_DB, create ? MDB_CREATE : 0, &st->acme);
	if (rc == MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return 0;
	}
	if (rc) {
		mdb_txn_abort(txn);
		return lmdb_fail(st, "open the ACME table", rc);
	}
	rc = mdb_txn_commit(txn);
	if (rc)
		return lmdb_fail(st, "create the ACME table", rc);
	st->has_acme = 1;
	*found = 1;
	return 0;
}

int store_acme_prepare(store *st)
{
	int found;

	return acme_open(st, 1, &found);
}

int store_txn_acme_put(store_txn *t, const char *key, const void *val, size_t len,
		       int no_overwrite)
{
	MDB_val k = {strlen(key), (void *)key}, v = {len, (void *)val};
	int rc;

	if (!t->st->has_acme)
		return fail(EX_SOFTWARE, "store %s: the ACME table is not open", t->st->path);
	if ((rc = key_check(t->st, key)))
		return rc;
	rc = mdb_put(t->txn, t->st->acme, &k, &v, no_overwrite ? MDB_NOOVERWRITE : 0);
	if (rc == MDB_KEYEXIST)
		return fail(EX_TEMPFAIL, "store %s: ACME object %s exists already", t->st->path,
			    printable(key));
	if (rc == MDB_MAP_FULL || rc == MDB_TXN_FULL)
		return STORE_AGAIN;
	return rc ? lmdb_fail(t->st, "write ACME object", rc) : 0;
}

static int copy_out(const MDB_val *v, void **val, size_t *len)
{
	*val = malloc(v->mv_size + 1);
	if (!*val)
		return fail(EX_OSERR, "out of memory");
	memcpy(*val, v->mv_data, v->mv_size);
	((char *)*val)[v->mv_size] = '\0';
	*len = v->mv_size;
	return 0;
}

static int txn_get(store *st, MDB_txn *txn, const char *key, void **val, size_t *len)
{
	MDB_val k = {strlen(key), (void *)key}, v;
	int rc;

	*val = NULL;
	*len = 0;
	if (!st->has_acme)
		return 0;
	if ((rc = key_check(st, key)))
		return rc;
	rc = mdb_get(txn, st->acme, &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return lmdb_fail(st, "read ACME object", rc);
	return copy_out(&v, val, len);
}

int store_txn_acme_get(store_txn *t, const char *key, void **val, size_t *len)
{
	return txn_get(t->st, t->txn, key, val, len);
}

int store_txn_acme_del(store_txn *t, const char *key)
{
	MDB_val k = {strlen(key), (void *)key};
	int rc;

	if (!t->st->has_acme)
		return 0;
	rc = mdb_del(t->txn, t->st->acme, &k, NULL);
	if (rc == MDB_NOTFOUND)
		return 0;
	return rc ? lmdb_fail(t->st, "delete ACME object", rc) : 0;
}

int store_acme_get(store *st, const char *key, void **val, size_t *len)
{
	MDB_txn *txn = NULL;
	int rc, found;

	*val = NULL;
	*len = 0;
	if ((rc = acme_open(st, 0, &found)) || !found)
		return rc;
	if ((rc = read_begin(st, &txn)))
		return rc;
	rc = txn_get(st, txn, key, val, len);
	mdb_txn_abort(txn);
	return rc;
}

int store_acme_scan(store *st, const char *prefix, store_acme_fn fn, void *ctx)
{
	MDB_txn *txn = NULL;
	MDB_cursor *c = NULL;
	size_t plen = strlen(prefix);
	MDB_val k = {plen, (void *)prefix}, v;
	int rc, found;

	if ((rc = acme_open(st, 0, &found)) || !found)
		return rc;
	if ((rc = read_begin(st, &txn)))
		return rc;
	rc = mdb_cursor_open(txn, st->acme, &c);
	if (rc) {
		rc = lmdb_fail(st, "open cursor", rc);
		goto out;
	}
	for (rc = mdb_cursor_get(c, &k, &v, plen ? MDB_SET_RANGE : MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0) {
			rc = 0;
			goto out;
		}
		rc = fn(k.mv_data, k.mv_size, v.mv_data, v.mv_size, ctx);
		if (rc) {
			rc = rc == 1 ? 0 : rc;
			goto out;
		}
	}
	rc = rc == MDB_NOTFOUND ? 0 : lmdb_fail(st, "walk the ACME table", rc);
out:
	if (c)
		mdb_cursor_close(c);
	mdb_txn_abort(txn);
	return rc;
}

int store_acme_count(store *st, uint64_t *entries)
{
	MDB_txn *txn = NULL;
	MDB_stat s;
	int rc, found;

	*entries = 0;
	if ((rc = acme_open(st, 0, &found)) || !found)
		return rc;
	if ((rc = read_begin(st, &txn)))
		return rc;
	rc = mdb_stat(txn, st->acme, &s);
	mdb_txn_abort(txn);
	if (rc)
		return lmdb_fail(st, "count ACME objects", rc);
	*entries = s.ms_entries;
	return 0;
}

/*
 * store verify's part: the table's shape only (the store does not read the
 * documents): every key "K/ID" of a known kind with a printable ID, every
 * value a non-empty JSON object text.
 */
int store_acme_verify(store *st, MDB_txn *txn, void (*problem)(void *ctx, const char *line),
		      void *ctx, uint64_t *count)
{
	MDB_cursor *c = NULL;
	MDB_val k, v;
	MDB_dbi dbi;
	char line[300];
	int rc;

	*count = 0;
	rc = mdb_dbi_open(txn, ACME_DB, 0, &dbi);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return lmdb_fail(st, "open the ACME table", rc);
	if ((rc = mdb_cursor_open(txn, dbi, &c)))
		return lmdb_fail(st, "open cursor", rc);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		const char *key = k.mv_data, *val = v.mv_data;
		size_t i, ok = k.mv_size >= 3 && strchr("aetozcv", key[0]) && key[1] == '/';

		for (i = 2; ok && i < k.mv_size; i++)
			ok = key[i] > 0x20 && key[i] < 0x7f && key[i] != '/';
		(*count)++;
		if (!ok) {
			snprintf(line, sizeof(line), "ACME table: entry %llu has a malformed key",
				 (unsigned long long)*count);
			problem(ctx, line);
		} else if (v.mv_size < 2 || val[0] != '{' || val[v.mv_size - 1] != '}') {
			snprintf(line, sizeof(line), "ACME object %.*s: not a JSON object (damaged)",
				 (int)(k.mv_size < 200 ? k.mv_size : 200), key);
			problem(ctx, line);
		}
	}
	rc = rc == MDB_NOTFOUND ? 0 : lmdb_fail(st, "walk the ACME table", rc);
	mdb_cursor_close(c);
	return rc;
}
