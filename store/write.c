/*
 * Every change goes through store_write(), which runs a caller's function in
 * one write transaction and re-runs it when the map had to grow, so a
 * change is all-or-nothing even when the disk or the map fills up.
 *
 * It sits above the rest of store/: it upgrades an older store in its
 * first write (create.c), grows the map (env.c) and gives mapped pages back
 * after a commit (map.c), and none of them calls back into it.
 */
#include <lmdb.h>

#include "common/common.h"
#include "store_internal.h"

#define MAX_WRITE_ATTEMPTS 40

/* Runs fn in one write transaction; again, from scratch, after the map had to grow. */
int store_write(store *st, store_write_fn fn, void *ctx)
{
	MDB_txn *txn = NULL;
	int rc = 0, attempt;

	for (attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
		store_txn t;

		rc = mdb_txn_begin(st->env, NULL, 0, &txn);
		if (rc == MDB_MAP_RESIZED) {
			txn = NULL;
			if ((rc = adopt_map_size(st)))
				return rc;
			continue;
		}
		if (rc)
			return lmdb_fail(st, "begin write", rc);
		t.st = st;
		t.txn = txn;
		t.revoked_open = st->has_revoked;
		rc = t.revoked_open ? 0 : revoked_upgrade(&t);
		if (rc == 0)
			rc = fn(&t, ctx);
		if (rc == STORE_AGAIN) {
			mdb_txn_abort(txn);
			txn = NULL;
			if ((rc = grow_map(st)))
				return rc;
			continue;
		}
		if (rc) {
			mdb_txn_abort(txn);
			return rc;
		}
		rc = mdb_txn_commit(txn);
		txn = NULL;
		if (rc == MDB_MAP_FULL) {
			if ((rc = grow_map(st)))
				return rc;
			continue;
		}
		if (rc)
			return lmdb_fail(st, "commit", rc);
		st->has_revoked = 1;
		release_after_commit(st);
		return 0;
	}
	return fail(EX_TEMPFAIL, "store %s: could not complete the change after %d attempts",
		    st->path, MAX_WRITE_ATTEMPTS);
}
