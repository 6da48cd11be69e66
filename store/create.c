/*
 * Creating a store (built beside the target and renamed into place), and
 * upgrading an older one: the revoked table, added in its first write.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lmdb.h>
#include <openssl/crypto.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "store_internal.h"

static int mkdir_parents(const char *dir)
{
	char *copy = strdup(dir), *p;
	int rc = 0;

	if (!copy)
		return fail(EX_OSERR, "out of memory");
	for (p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
			rc = fail(EX_CANTCREAT, "cannot create %s: %s", copy, strerror(errno));
			break;
		}
		*p = '/';
	}
	free(copy);
	return rc;
}

static void remove_tree_files(const char *dir)
{
	static const char *const files[] = {"data.mdb", "lock.mdb"};
	size_t i;

	for (i = 0; i < 2; i++) {
		char *p = path_join(dir, files[i]);

		if (p)
			unlink(p);
		free(p);
	}
	rmdir(dir);
}

static int create_fn_wrapper(store_txn *t, store_write_fn fn, void *ctx)
{
	unsigned char schema[4];
	int rc;

	if ((rc = open_dbs(t->st, t->txn, MDB_CREATE)) ||
	    (rc = open_revoked(t->st, t->txn, MDB_CREATE, &t->revoked_open)))
		return rc;
	put_u32(schema, STORE_SCHEMA);
	if ((rc = store_txn_meta_put(t, "schema", schema, sizeof(schema))))
		return rc;
	return fn(t, ctx);
}

/*
 * The new store is built in a private temporary directory beside the target
 * and renamed into place: the target then either is a complete store or
 * does not exist, and two concurrent inits cannot both win.
 */
int store_create(const char *dir, store_write_fn fn, void *ctx, store **out)
{
	store *st = NULL;
	char *tmpdir = NULL;
	struct stat sb;
	size_t len = strlen(dir);
	MDB_txn *txn = NULL;
	int rc, attempt;

	*out = NULL;
	while (len > 1 && dir[len - 1] == '/')
		len--;
	if (store_exists(dir))
		return fail(EX_CANTCREAT,
			    "store %s: already initialised (choose another --store, or remove it)",
			    dir);
	if (stat(dir, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode))
			return fail(EX_CANTCREAT, "store %s: exists and is not a directory", dir);
		if (rmdir(dir) != 0 && errno != ENOENT)
			return fail(EX_CANTCREAT,
				    "store %s: the directory exists and is not empty; choose an empty "
				    "or new directory",
				    dir);
		/* it was empty: the rename below recreates it, private */
	}
	if ((rc = mkdir_parents(dir)))
		return rc;
	tmpdir = malloc(len + 20);
	if (!tmpdir)
		return fail(EX_OSERR, "out of memory");
	snprintf(tmpdir, len + 20, "%.*s.init-XXXXXX", (int)len, dir);
	if (!mkdtemp(tmpdir)) {
		rc = fail(EX_CANTCREAT, "store %s: cannot create: %s", dir, strerror(errno));
		free(tmpdir);
		return rc;
	}
	st = store_alloc(tmpdir);
	if (!st) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	if ((rc = env_open(st, MDB_CREATE)))
		goto out;
	for (attempt = 0;; attempt++) {
		store_txn t;

		rc = mdb_txn_begin(st->env, NULL, 0, &txn);
		if (rc) {
			rc = lmdb_fail(st, "begin write", rc);
			goto out;
		}
		t.st = st;
		t.txn = txn;
		t.revoked_open = 0;
		rc = create_fn_wrapper(&t, fn, ctx);
		if (rc == 0) {
			int mrc = mdb_txn_commit(txn);

			txn = NULL;
			if (mrc == MDB_MAP_FULL)
				rc = STORE_AGAIN;
			else if (mrc)
				rc = lmdb_fail(st, "commit", mrc);
		}
		if (rc != STORE_AGAIN)
			break;
		if (txn)
			mdb_txn_abort(txn);
		txn = NULL;
		if (attempt >= 10) {
			rc = fail(EX_IOERR, "store %s: cannot grow the map", dir);
			goto out;
		}
		if ((rc = grow_map(st)))
			goto out;
	}
	if (rc)
		goto out;
	mdb_env_close(st->env);
	st->env = NULL;
	if (rename(tmpdir, dir) != 0) {
		rc = errno == ENOTEMPTY || errno == EEXIST
			     ? fail(EX_CANTCREAT, "store %s: already initialised by another process", dir)
			     : fail(EX_CANTCREAT, "store %s: cannot create: %s", dir, strerror(errno));
		goto out;
	}
	free(tmpdir);
	tmpdir = NULL;
	rc = store_open(dir, out);
out:
	if (txn)
		mdb_txn_abort(txn);
	store_close(st);
	if (tmpdir) {
		remove_tree_files(tmpdir);
		free(tmpdir);
	}
	return rc;
}

/*
 * A store made before the revoked table existed gets it in its first write
 * transaction, filled from the records (once, O(records)); the caller's
 * change then commits together with it.
 */
int revoked_upgrade(store_txn *t)
{
	MDB_cursor *c = NULL;
	MDB_val k, v;
	int rc, found = 0;

	if ((rc = open_revoked(t->st, t->txn, 0, &found)))
		return rc;
	t->revoked_open = found;
	if (found)
		return 0; /* another process made it */
	if ((rc = open_revoked(t->st, t->txn, MDB_CREATE, &found)))
		return rc;
	t->revoked_open = 1;
	rc = mdb_cursor_open(t->txn, t->st->certs, &c);
	if (rc)
		return lmdb_fail(t->st, "open cursor", rc);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		struct store_record *rec = NULL;

		if (store_record_decode(v.mv_data, v.mv_size, &rec) != 0) {
			rc = fail(EX_IOERR, "store %s: a certificate record is damaged (run 'minica "
					    "store verify')",
				  t->st->path);
			goto out;
		}
		rc = rec->status == STORE_REVOKED ? revoked_put(t, k.mv_data, rec->crl_listed_at) : 0;
		store_record_free(rec);
		if (rc)
			goto out;
	}
	rc = rc == MDB_NOTFOUND ? 0 : lmdb_fail(t->st, "walk certificate records", rc);
out:
	mdb_cursor_close(c);
	return rc;
}
