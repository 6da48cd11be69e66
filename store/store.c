/*
 * The LMDB environment. Seven named databases:
 *
 *   meta       "schema" -> u32 BE, plus the CA's settings and its encrypted key
 *   ca         u32 BE version -> CA certificate DER (every version ever used)
 *   certs      16-byte serial -> CertRecord (record.c)
 *   by_host    host name -> serial (DUPSORT|DUPFIXED: several per host)
 *   by_expiry  u64 BE biased notAfter || serial -> "" (ordered: a time range
 *              is one cursor walk, whatever the store's size)
 *   audit      u64 BE sequence -> AuditEntry
 *   revoked    16-byte serial -> i64 BE time of the first CRL that listed
 *              it, 0 until then (every revoked record, so a CRL costs the
 *              number of revocations, not the size of the store; and
 *              marking a record as listed rewrites 8 bytes, not the record)
 *
 * `revoked` came after the first stores were made: a store without it is
 * still read (revocation scans then walk every record), and the first write
 * transaction creates the table and fills it from the records. Where the
 * table exists, it holds a revoked record's crl_listed_at: reads take it
 * from there, and it is written back to the record whenever the record
 * itself is rewritten.
 *
 * Every change goes through store_write(), which runs a caller's function in
 * one write transaction and re-runs it when the map had to grow, so a
 * change is all-or-nothing even when the disk or the map fills up.
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

#include "minica.h"
#include "store_internal.h"

#define INITIAL_MAP_SIZE (32UL << 20)
#define MAX_WRITE_ATTEMPTS 40

static const char *const db_names[] = {"meta", "ca", "certs", "by_host", "by_expiry", "audit"};

static MDB_dbi *db_slot(store *st, int i)
{
	MDB_dbi *slots[] = {&st->meta, &st->ca, &st->certs, &st->by_host, &st->by_expiry,
			    &st->audit};
	return slots[i];
}

static unsigned int db_flags(int i)
{
	return i == 3 ? (MDB_DUPSORT | MDB_DUPFIXED) : 0;
}

const char *store_path(const store *st)
{
	return st->path;
}

/* An LMDB error as one line that says what to do; MDB_MAP_FULL is retried. */
int lmdb_fail(const store *st, const char *what, int err)
{
	const char *path = st ? st->path : "?";

	if (err == ENOSPC || err == EDQUOT)
		return fail(EX_IOERR, "store %s: %s: the disk is full (free some space and retry)",
			    path, what);
	if (err == EACCES || err == EPERM)
		return fail(EX_NOPERM, "store %s: %s: %s", path, what, mdb_strerror(err));
	if (err == MDB_CORRUPTED || err == MDB_PAGE_NOTFOUND || err == MDB_INVALID)
		return fail(EX_IOERR, "store %s: %s: the database is damaged (%s); restore a backup",
			    path, what, mdb_strerror(err));
	if (err == MDB_READERS_FULL)
		return fail(EX_TEMPFAIL, "store %s: %s: too many readers, retry later", path, what);
	return fail(EX_IOERR, "store %s: %s: %s", path, what, mdb_strerror(err));
}

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_u64(unsigned char *p, uint64_t v)
{
	put_u32(p, (uint32_t)(v >> 32));
	put_u32(p + 4, (uint32_t)v);
}

uint64_t get_u64(const unsigned char *p)
{
	return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

/* Flip the sign bit so that signed times sort correctly as unsigned bytes. */
void expiry_key(unsigned char key[8 + STORE_SERIAL_LEN], int64_t t,
		       const unsigned char *serial)
{
	put_u64(key, (uint64_t)t ^ (1ULL << 63));
	if (serial)
		memcpy(key + 8, serial, STORE_SERIAL_LEN);
	else
		memset(key + 8, 0, STORE_SERIAL_LEN);
}

int64_t expiry_time(const unsigned char *key)
{
	return (int64_t)(get_u64(key) ^ (1ULL << 63));
}

/* ---- opening ---- */

static int private_mode(const char *path, int must_exist)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		if (errno == ENOENT && !must_exist)
			return 0;
		return fail(errno == ENOENT ? EX_NOINPUT : EX_NOPERM, "store %s: %s", path,
			    strerror(errno));
	}
	if (st.st_mode & 077)
		return fail(EX_NOPERM,
			    "store %s: readable by other users (mode %04o); the CA's records and "
			    "keys must be private: run 'chmod -R go-rwx %s'",
			    path, (unsigned)(st.st_mode & 07777), path);
	return 0;
}

int store_exists(const char *dir)
{
	char *data = path_join(dir, "data.mdb");
	int exists = data && access(data, F_OK) == 0;

	free(data);
	return exists;
}

static int env_open(store *st, unsigned int extra_flags)
{
	int rc;

	rc = mdb_env_create(&st->env);
	if (rc)
		return lmdb_fail(st, "create environment", rc);
	rc = mdb_env_set_maxdbs(st->env, 9);
	if (!rc && (extra_flags & MDB_CREATE))
		rc = mdb_env_set_mapsize(st->env, INITIAL_MAP_SIZE);
	if (rc)
		return lmdb_fail(st, "configure environment", rc);
	rc = mdb_env_open(st->env, st->path, MDB_NOTLS, 0600);
	if (rc)
		return lmdb_fail(st, "open", rc);
	return 0;
}

static int open_dbs(store *st, MDB_txn *txn, unsigned int create)
{
	int i, rc;

	for (i = 0; i < (int)(sizeof(db_names) / sizeof(db_names[0])); i++) {
		rc = mdb_dbi_open(txn, db_names[i], db_flags(i) | create, db_slot(st, i));
		if (rc == MDB_NOTFOUND)
			return fail(EX_NOINPUT,
				    "store %s: not initialised or damaged (table '%s' is missing); run "
				    "'minica init' or restore a backup",
				    st->path, db_names[i]);
		if (rc)
			return lmdb_fail(st, "open tables", rc);
	}
	return 0;
}

/* The revoked table is optional on open: stores made before it lack it. */
static int open_revoked(store *st, MDB_txn *txn, unsigned int create, int *found)
{
	int rc = mdb_dbi_open(txn, REVOKED_DB, create, &st->revoked);

	*found = rc == 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	return rc ? lmdb_fail(st, "open tables", rc) : 0;
}

static store *store_alloc(const char *dir)
{
	store *st = calloc(1, sizeof(*st));

	if (!st || !(st->path = strdup(dir))) {
		free(st);
		return NULL;
	}
	return st;
}

void store_close(store *st)
{
	if (!st)
		return;
	if (st->env)
		mdb_env_close(st->env);
	free(st->path);
	free(st);
}

int read_begin(store *st, MDB_txn **txn)
{
	int rc, attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, txn);
		if (rc != MDB_MAP_RESIZED)
			break;
		/* another process grew the map: adopt its size */
		rc = mdb_env_set_mapsize(st->env, 0);
		if (rc)
			break;
	}
	return rc ? lmdb_fail(st, "begin read", rc) : 0;
}

/*
 * A process killed inside a read transaction leaves its reader slot behind;
 * while other processes keep the environment open, such a slot pins old
 * pages (the file grows) and, enough of them, fills the reader table.
 */
static int clear_stale_readers(store *st)
{
	int dead = 0, rc = mdb_reader_check(st->env, &dead);

	return rc ? lmdb_fail(st, "clear stale readers", rc) : 0;
}

int store_open(const char *dir, store **out)
{
	store *st = NULL;
	MDB_txn *txn = NULL;
	char *data = NULL, *lock = NULL;
	MDB_val key = {6, (void *)"schema"}, val;
	int rc;

	*out = NULL;
	st = store_alloc(dir);
	data = path_join(dir, "data.mdb");
	lock = path_join(dir, "lock.mdb");
	if (!st || !data || !lock) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	if (access(dir, F_OK) != 0 || access(data, F_OK) != 0) {
		rc = fail(EX_NOINPUT, "store %s: not initialised (run 'minica init --name NAME')",
			  dir);
		goto out;
	}
	if ((rc = private_mode(dir, 1)) || (rc = private_mode(data, 1)) ||
	    (rc = private_mode(lock, 0)))
		goto out;
	if ((rc = env_open(st, 0)) || (rc = clear_stale_readers(st)) || (rc = read_begin(st, &txn)) ||
	    (rc = open_dbs(st, txn, 0)) || (rc = open_revoked(st, txn, 0, &st->has_revoked)))
		goto out;
	rc = mdb_get(txn, st->meta, &key, &val);
	if (rc == MDB_NOTFOUND) {
		rc = fail(EX_NOINPUT, "store %s: not initialised (run 'minica init --name NAME')",
			  dir);
		goto out;
	}
	if (rc) {
		rc = lmdb_fail(st, "read schema", rc);
		goto out;
	}
	if (val.mv_size != 4 || get_u32(val.mv_data) == 0) {
		rc = fail(EX_IOERR, "store %s: damaged schema version; restore a backup", dir);
		goto out;
	}
	if (get_u32(val.mv_data) > STORE_SCHEMA) {
		rc = fail(EX_DATAERR,
			  "store %s: written by a newer minica (schema %u, this one reads up to %u); "
			  "upgrade minica",
			  dir, get_u32(val.mv_data), STORE_SCHEMA);
		goto out;
	}
	rc = mdb_txn_commit(txn); /* keeps the table handles open */
	txn = NULL;
	if (rc) {
		rc = lmdb_fail(st, "open tables", rc);
		goto out;
	}
	*out = st;
	st = NULL;
out:
	if (txn)
		mdb_txn_abort(txn);
	store_close(st);
	free(data);
	free(lock);
	return rc;
}

/* ---- creating ---- */

static int grow_map(store *st)
{
	MDB_envinfo info;
	size_t next;
	int rc;

	rc = mdb_env_info(st->env, &info);
	if (rc)
		return lmdb_fail(st, "read map size", rc);
	next = info.me_mapsize * 2;
	if (next < info.me_mapsize)
		return fail(EX_IOERR, "store %s: the map cannot grow any further", st->path);
	rc = mdb_env_set_mapsize(st->env, next);
	if (rc)
		return lmdb_fail(st, "grow map", rc);
	return 0;
}


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

/* ---- writing ---- */

static int put(store_txn *t, MDB_dbi dbi, MDB_val *k, MDB_val *v, unsigned int flags,
	       const char *what);
static int revoked_put(store_txn *t, const unsigned char *serial, int64_t listed_at);

/*
 * A store made before the revoked table existed gets it in its first write
 * transaction, filled from the records (once, O(records)); the caller's
 * change then commits together with it.
 */
static int revoked_upgrade(store_txn *t)
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

int store_write(store *st, store_write_fn fn, void *ctx)
{
	MDB_txn *txn = NULL;
	int rc = 0, attempt;

	for (attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
		store_txn t;

		rc = mdb_txn_begin(st->env, NULL, 0, &txn);
		if (rc == MDB_MAP_RESIZED) {
			txn = NULL;
			if ((rc = mdb_env_set_mapsize(st->env, 0)))
				return lmdb_fail(st, "adopt map size", rc);
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
		return 0;
	}
	return fail(EX_TEMPFAIL, "store %s: could not complete the change after %d attempts",
		    st->path, MAX_WRITE_ATTEMPTS);
}

static int put(store_txn *t, MDB_dbi dbi, MDB_val *k, MDB_val *v, unsigned int flags,
	       const char *what)
{
	int rc = mdb_put(t->txn, dbi, k, v, flags);

	if (rc == MDB_MAP_FULL || rc == MDB_TXN_FULL)
		return STORE_AGAIN;
	if (rc)
		return lmdb_fail(t->st, what, rc);
	return 0;
}

int store_txn_meta_put(store_txn *t, const char *key, const void *val, size_t len)
{
	MDB_val k = {strlen(key), (void *)key}, v = {len, (void *)val};

	return put(t, t->st->meta, &k, &v, 0, "write settings");
}

int store_txn_meta_get(store_txn *t, const char *key, void **val, size_t *len)
{
	MDB_val k = {strlen(key), (void *)key}, v;
	int rc = mdb_get(t->txn, t->st->meta, &k, &v);

	*val = NULL;
	*len = 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return lmdb_fail(t->st, "read settings", rc);
	*val = malloc(v.mv_size + 1);
	if (!*val)
		return fail(EX_OSERR, "out of memory");
	memcpy(*val, v.mv_data, v.mv_size);
	((char *)*val)[v.mv_size] = '\0';
	*len = v.mv_size;
	return 0;
}

static int last_key(store_txn *t, MDB_dbi dbi, MDB_val *k)
{
	MDB_cursor *c = NULL;
	MDB_val v;
	int rc = mdb_cursor_open(t->txn, dbi, &c);

	if (rc)
		return lmdb_fail(t->st, "open cursor", rc);
	rc = mdb_cursor_get(c, k, &v, MDB_LAST);
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND) {
		k->mv_size = 0;
		return 0;
	}
	return rc ? lmdb_fail(t->st, "read last entry", rc) : 0;
}

int store_txn_ca_add(store_txn *t, const void *der, size_t len, uint32_t *version)
{
	unsigned char kb[4];
	MDB_val k, v = {len, (void *)der};
	uint32_t next = 1;
	int rc;

	if ((rc = last_key(t, t->st->ca, &k)))
		return rc;
	if (k.mv_size == 4)
		next = get_u32(k.mv_data) + 1;
	put_u32(kb, next);
	k.mv_size = 4;
	k.mv_data = kb;
	if ((rc = put(t, t->st->ca, &k, &v, MDB_NOOVERWRITE, "add CA certificate")))
		return rc;
	if (version)
		*version = next;
	return 0;
}

static int index_add(store_txn *t, const struct store_record *rec)
{
	unsigned char ek[8 + STORE_SERIAL_LEN];
	MDB_val k, v;
	size_t i;
	int rc;

	for (i = 0; i < rec->n_hosts; i++) {
		k.mv_size = strlen(rec->hosts[i]);
		k.mv_data = rec->hosts[i];
		v.mv_size = STORE_SERIAL_LEN;
		v.mv_data = (void *)rec->serial;
		if (k.mv_size == 0 || k.mv_size > 511)
			return fail(EX_DATAERR, "store: host name length %zu cannot be indexed",
				    k.mv_size);
		rc = mdb_put(t->txn, t->st->by_host, &k, &v, MDB_NODUPDATA);
		if (rc == MDB_KEYEXIST)
			continue; /* the same name twice in one certificate */
		if (rc == MDB_MAP_FULL || rc == MDB_TXN_FULL)
			return STORE_AGAIN;
		if (rc)
			return lmdb_fail(t->st, "index host", rc);
	}
	expiry_key(ek, rec->not_after, rec->serial);
	k.mv_size = sizeof(ek);
	k.mv_data = ek;
	v.mv_size = 0;
	v.mv_data = (void *)"";
	if ((rc = put(t, t->st->by_expiry, &k, &v, 0, "index expiry")))
		return rc;
	return rec->status == STORE_REVOKED ? revoked_put(t, rec->serial, rec->crl_listed_at) : 0;
}

static int index_del(store_txn *t, const struct store_record *rec)
{
	unsigned char ek[8 + STORE_SERIAL_LEN];
	MDB_val k, v;
	size_t i;
	int rc;

	for (i = 0; i < rec->n_hosts; i++) {
		k.mv_size = strlen(rec->hosts[i]);
		k.mv_data = rec->hosts[i];
		v.mv_size = STORE_SERIAL_LEN;
		v.mv_data = (void *)rec->serial;
		rc = mdb_del(t->txn, t->st->by_host, &k, &v);
		if (rc && rc != MDB_NOTFOUND)
			return lmdb_fail(t->st, "unindex host", rc);
	}
	expiry_key(ek, rec->not_after, rec->serial);
	k.mv_size = sizeof(ek);
	k.mv_data = ek;
	rc = mdb_del(t->txn, t->st->by_expiry, &k, NULL);
	if (rc && rc != MDB_NOTFOUND)
		return lmdb_fail(t->st, "unindex expiry", rc);
	if (rec->status != STORE_REVOKED || !t->revoked_open)
		return 0;
	k.mv_size = STORE_SERIAL_LEN;
	k.mv_data = (void *)rec->serial;
	rc = mdb_del(t->txn, t->st->revoked, &k, NULL);
	if (rc && rc != MDB_NOTFOUND)
		return lmdb_fail(t->st, "unindex revocation", rc);
	return 0;
}

static int put_record(store_txn *t, const struct store_record *rec, unsigned int flags)
{
	unsigned char *der = NULL;
	size_t len = 0;
	MDB_val k = {STORE_SERIAL_LEN, (void *)rec->serial}, v;
	int rc;

	if (store_record_encode(rec, &der, &len) != 0)
		return fail(EX_SOFTWARE, "store: cannot encode the certificate record");
	v.mv_size = len;
	v.mv_data = der;
	rc = mdb_put(t->txn, t->st->certs, &k, &v, flags);
	OPENSSL_free(der);
	if (rc == MDB_KEYEXIST)
		return fail(EX_TEMPFAIL, "store %s: serial number collision; run the command again",
			    t->st->path);
	if (rc == MDB_MAP_FULL || rc == MDB_TXN_FULL)
		return STORE_AGAIN;
	if (rc)
		return lmdb_fail(t->st, "write certificate record", rc);
	return 0;
}

int store_txn_insert(store_txn *t, const struct store_record *rec)
{
	int rc = put_record(t, rec, MDB_NOOVERWRITE);

	return rc ? rc : index_add(t, rec);
}

/* ---- the revoked table: serial -> crl_listed_at ---- */

static int revoked_put(store_txn *t, const unsigned char *serial, int64_t listed_at)
{
	unsigned char when[8];
	MDB_val k = {STORE_SERIAL_LEN, (void *)serial}, v = {sizeof(when), when};

	if (!t->revoked_open)
		return 0;
	put_u64(when, (uint64_t)listed_at);
	return put(t, t->st->revoked, &k, &v, 0, "index revocation");
}

static int revoked_value(store_txn *t, const MDB_val *v, int64_t *listed_at)
{
	if (v->mv_size != 8)
		return fail(EX_IOERR, "store %s: damaged revocation index (run 'minica store verify')",
			    t->st->path);
	*listed_at = (int64_t)get_u64(v->mv_data);
	return 0;
}

/* A revoked record's crl_listed_at, from the table when there is one. */
static int revoked_overlay(store_txn *t, struct store_record *rec)
{
	MDB_val k = {STORE_SERIAL_LEN, rec->serial}, v;
	int rc;

	if (rec->status != STORE_REVOKED || !t->revoked_open)
		return 0;
	rc = mdb_get(t->txn, t->st->revoked, &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0; /* revoked by a minica older than the table: never listed */
	if (rc)
		return lmdb_fail(t->st, "read revocation index", rc);
	return revoked_value(t, &v, &rec->crl_listed_at);
}

int store_txn_mark_listed(store_txn *t, const unsigned char serial[STORE_SERIAL_LEN],
			  int64_t when)
{
	struct store_record *rec = NULL;
	int rc;

	if (t->revoked_open)
		return revoked_put(t, serial, when);
	if ((rc = store_txn_get(t, serial, &rec)))
		return rc;
	rec->crl_listed_at = when;
	rc = store_txn_update(t, rec);
	store_record_free(rec);
	return rc;
}

static int get_record(store_txn *t, const unsigned char serial[STORE_SERIAL_LEN],
		      struct store_record **out)
{
	MDB_val k = {STORE_SERIAL_LEN, (void *)serial}, v;
	char hex[2 * STORE_SERIAL_LEN + 1];
	int rc = mdb_get(t->txn, t->st->certs, &k, &v);

	*out = NULL;
	hex_upper(serial, STORE_SERIAL_LEN, hex);
	if (rc == MDB_NOTFOUND)
		return fail(EX_NOINPUT, "no certificate with serial %s in store %s", hex, t->st->path);
	if (rc)
		return lmdb_fail(t->st, "read certificate record", rc);
	if (store_record_decode(v.mv_data, v.mv_size, out) != 0)
		return fail(EX_IOERR, "store %s: record %s is damaged (run 'minica store verify')",
			    t->st->path, hex);
	return 0;
}

int store_txn_get(store_txn *t, const unsigned char serial[STORE_SERIAL_LEN],
		  struct store_record **out)
{
	int rc = get_record(t, serial, out);

	if (rc == 0 && (rc = revoked_overlay(t, *out)) != 0) {
		store_record_free(*out);
		*out = NULL;
	}
	return rc;
}

/* Do two versions of a record have the same index entries? */
static int same_index_keys(const struct store_record *a, const struct store_record *b)
{
	size_t i;

	if (a->not_after != b->not_after || a->n_hosts != b->n_hosts ||
	    (a->status == STORE_REVOKED) != (b->status == STORE_REVOKED))
		return 0;
	for (i = 0; i < a->n_hosts; i++)
		if (strcmp(a->hosts[i], b->hosts[i]))
			return 0;
	return 1;
}

/* The indexes are rewritten only when their keys change. */
int store_txn_update(store_txn *t, const struct store_record *rec)
{
	struct store_record *old = NULL;
	int rc, reindex;

	if ((rc = store_txn_get(t, rec->serial, &old)))
		return rc;
	reindex = !same_index_keys(old, rec);
	if ((!reindex || (rc = index_del(t, old)) == 0) && (rc = put_record(t, rec, 0)) == 0) {
		if (reindex)
			rc = index_add(t, rec);
		else if (rec->status == STORE_REVOKED && rec->crl_listed_at != old->crl_listed_at)
			rc = revoked_put(t, rec->serial, rec->crl_listed_at);
	}
	store_record_free(old);
	return rc;
}

int store_txn_audit(store_txn *t, const struct store_audit *a)
{
	struct store_audit full = *a;
	struct passwd *pw = getpwuid(geteuid());
	char host[256] = "";
	unsigned char kb[8], *der = NULL;
	size_t len = 0;
	MDB_val k, v;
	int rc;

	if ((rc = last_key(t, t->st->audit, &k)))
		return rc;
	full.seq = k.mv_size == 8 ? (int64_t)get_u64(k.mv_data) + 1 : 1;
	if (!full.time)
		full.time = now_utc();
	full.uid = (uint32_t)geteuid();
	full.user = pw ? pw->pw_name : (char *)"?";
	(void)gethostname(host, sizeof(host) - 1);
	full.host = host;
	full.pid = (int64_t)getpid();
	if (store_audit_encode(&full, &der, &len) != 0)
		return fail(EX_SOFTWARE, "store: cannot encode the audit entry");
	put_u64(kb, (uint64_t)full.seq);
	k.mv_size = 8;
	k.mv_data = kb;
	v.mv_size = len;
	v.mv_data = der;
	rc = put(t, t->st->audit, &k, &v, MDB_NOOVERWRITE, "write audit entry");
	OPENSSL_free(der);
	return rc;
}

/* ---- reading ---- */

int store_meta_get(store *st, const char *key, void **val, size_t *len)
{
	store_txn t = {st, NULL, st->has_revoked};
	int rc;

	*val = NULL;
	*len = 0;
	if ((rc = read_begin(st, &t.txn)))
		return rc;
	rc = store_txn_meta_get(&t, key, val, len);
	mdb_txn_abort(t.txn);
	return rc;
}

int store_ca_get(store *st, uint32_t version, void **der, size_t *len)
{
	MDB_txn *txn = NULL;
	MDB_cursor *c = NULL;
	unsigned char kb[4];
	MDB_val k = {4, kb}, v;
	int rc;

	*der = NULL;
	*len = 0;
	if ((rc = read_begin(st, &txn)))
		return rc;
	rc = mdb_cursor_open(txn, st->ca, &c);
	if (rc == 0) {
		if (version == 0) {
			rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
		} else {
			put_u32(kb, version);
			rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY);
		}
	}
	if (rc == MDB_NOTFOUND) {
		rc = version ? fail(EX_NOINPUT, "store %s: no CA certificate version %u", st->path,
				    version)
			     : fail(EX_IOERR, "store %s: no CA certificate (restore a backup)",
				    st->path);
	} else if (rc) {
		rc = lmdb_fail(st, "read CA certificate", rc);
	} else if (!(*der = malloc(v.mv_size ? v.mv_size : 1))) {
		rc = fail(EX_OSERR, "out of memory");
	} else {
		memcpy(*der, v.mv_data, v.mv_size);
		*len = v.mv_size;
	}
	if (c)
		mdb_cursor_close(c);
	mdb_txn_abort(txn);
	return rc;
}

int store_ca_count(store *st, uint32_t *count)
{
	MDB_txn *txn = NULL;
	MDB_stat s;
	int rc;

	if ((rc = read_begin(st, &txn)))
		return rc;
	rc = mdb_stat(txn, st->ca, &s);
	mdb_txn_abort(txn);
	if (rc)
		return lmdb_fail(st, "count CA certificates", rc);
	*count = (uint32_t)s.ms_entries;
	return 0;
}

int store_get(store *st, const unsigned char serial[STORE_SERIAL_LEN],
	      struct store_record **out)
{
	store_txn t = {st, NULL, st->has_revoked};
	int rc;

	*out = NULL;
	if ((rc = read_begin(st, &t.txn)))
		return rc;
	rc = store_txn_get(&t, serial, out);
	mdb_txn_abort(t.txn);
	return rc;
}

/* Visit the record behind one serial found in an index. */
static int visit_serial(store_txn *t, const unsigned char *serial, store_visit_fn fn, void *ctx)
{
	struct store_record *rec = NULL;
	int rc;

	if ((rc = store_txn_get(t, serial, &rec)))
		return rc;
	rc = fn(rec, ctx);
	store_record_free(rec);
	return rc;
}

int store_scan_expiry(store *st, int64_t from, int64_t to, store_visit_fn fn, void *ctx)
{
	store_txn t = {st, NULL, st->has_revoked};
	MDB_cursor *c = NULL;
	unsigned char start[8 + STORE_SERIAL_LEN];
	MDB_val k, v;
	int rc;

	if ((rc = read_begin(st, &t.txn)))
		return rc;
	rc = mdb_cursor_open(t.txn, st->by_expiry, &c);
	if (rc) {
		rc = lmdb_fail(st, "open cursor", rc);
		goto out;
	}
	expiry_key(start, from, NULL);
	k.mv_size = sizeof(start);
	k.mv_data = start;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != sizeof(start)) {
			rc = fail(EX_IOERR, "store %s: damaged expiry index (run 'minica store verify')",
				  st->path);
			goto out;
		}
		if (expiry_time(k.mv_data) > to) {
			rc = 0;
			goto out;
		}
		rc = visit_serial(&t, (const unsigned char *)k.mv_data + 8, fn, ctx);
		if (rc) {
			rc = rc == 1 ? 0 : rc;
			goto out;
		}
	}
	rc = rc == MDB_NOTFOUND ? 0 : lmdb_fail(st, "walk expiry index", rc);
out:
	if (c)
		mdb_cursor_close(c);
	mdb_txn_abort(t.txn);
	return rc;
}

/*
 * Every revoked record: a walk of the revoked table, or of every record in
 * a store that does not have the table yet. A record whose status is no
 * longer revoked (changed by a minica that predates the table) is skipped.
 */
int store_txn_scan_revoked(store_txn *t, store_visit_fn fn, void *ctx)
{
	MDB_cursor *c = NULL;
	MDB_val k, v;
	int rc;

	rc = mdb_cursor_open(t->txn, t->revoked_open ? t->st->revoked : t->st->certs, &c);
	if (rc)
		return lmdb_fail(t->st, "open cursor", rc);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		struct store_record *rec = NULL;

		if (k.mv_size != STORE_SERIAL_LEN) {
			rc = fail(EX_IOERR, "store %s: damaged %s (run 'minica store verify')",
				  t->st->path,
				  t->revoked_open ? "revocation index" : "certificate table");
			goto out;
		}
		if (t->revoked_open) {
			int64_t listed_at = 0;

			if ((rc = revoked_value(t, &v, &listed_at)) == 0 &&
			    (rc = get_record(t, k.mv_data, &rec)) == 0)
				rec->crl_listed_at = listed_at;
		} else if (store_record_decode(v.mv_data, v.mv_size, &rec) != 0) {
			rc = fail(EX_IOERR, "store %s: a certificate record is damaged (run 'minica "
					    "store verify')",
				  t->st->path);
		}
		if (rc == 0 && rec->status == STORE_REVOKED)
			rc = fn(rec, ctx);
		store_record_free(rec);
		if (rc) {
			rc = rc == 1 ? 0 : rc;
			goto out;
		}
	}
	rc = rc == MDB_NOTFOUND ? 0 : lmdb_fail(t->st, "walk revocations", rc);
out:
	mdb_cursor_close(c);
	return rc;
}

int store_scan_revoked(store *st, store_visit_fn fn, void *ctx)
{
	store_txn t = {st, NULL, st->has_revoked};
	int rc;

	if ((rc = read_begin(st, &t.txn)))
		return rc;
	rc = store_txn_scan_revoked(&t, fn, ctx);
	mdb_txn_abort(t.txn);
	return rc;
}

int store_scan_all(store *st, store_visit_fn fn, void *ctx)
{
	return store_scan_expiry(st, INT64_MIN, INT64_MAX, fn, ctx);
}

int store_scan_host(store *st, const char *host, store_visit_fn fn, void *ctx)
{
	store_txn t = {st, NULL, st->has_revoked};
	MDB_cursor *c = NULL;
	MDB_val k = {strlen(host), (void *)host}, v;
	int rc;

	if (k.mv_size == 0 || k.mv_size > 511)
		return 0;
	if ((rc = read_begin(st, &t.txn)))
		return rc;
	rc = mdb_cursor_open(t.txn, st->by_host, &c);
	if (rc) {
		rc = lmdb_fail(st, "open cursor", rc);
		goto out;
	}
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP)) {
		if (v.mv_size != STORE_SERIAL_LEN) {
			rc = fail(EX_IOERR, "store %s: damaged host index (run 'minica store verify')",
				  st->path);
			goto out;
		}
		rc = visit_serial(&t, v.mv_data, fn, ctx);
		if (rc) {
			rc = rc == 1 ? 0 : rc;
			goto out;
		}
	}
	rc = rc == MDB_NOTFOUND ? 0 : lmdb_fail(st, "walk host index", rc);
out:
	if (c)
		mdb_cursor_close(c);
	mdb_txn_abort(t.txn);
	return rc;
}

int store_scan_audit(store *st, int64_t since, store_audit_fn fn, void *ctx)
{
	MDB_txn *txn = NULL;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	int rc;

	if ((rc = read_begin(st, &txn)))
		return rc;
	rc = mdb_cursor_open(txn, st->audit, &c);
	if (rc) {
		rc = lmdb_fail(st, "open cursor", rc);
		goto out;
	}
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		struct store_audit *a = NULL;

		if (store_audit_decode(v.mv_data, v.mv_size, &a) != 0) {
			rc = fail(EX_IOERR, "store %s: damaged audit entry (run 'minica store verify')",
				  st->path);
			goto out;
		}
		a->seq = k.mv_size == 8 ? (int64_t)get_u64(k.mv_data) : 0;
		rc = a->time >= since ? fn(a, ctx) : 0;
		store_audit_free(a);
		if (rc) {
			rc = rc == 1 ? 0 : rc;
			goto out;
		}
	}
	rc = rc == MDB_NOTFOUND ? 0 : lmdb_fail(st, "walk audit log", rc);
out:
	if (c)
		mdb_cursor_close(c);
	mdb_txn_abort(txn);
	return rc;
}

int store_stats_get(store *st, struct store_stats *out)
{
	MDB_txn *txn = NULL;
	MDB_stat s;
	MDB_envinfo info;
	struct stat sb;
	char *data = NULL;
	uint64_t *slots[] = {NULL, &out->ca_versions, &out->records, &out->hosts,
			     &out->expiry_entries, &out->audit_entries};
	int rc, i;

	memset(out, 0, sizeof(*out));
	if ((rc = read_begin(st, &txn)))
		return rc;
	for (i = 1; i < 6; i++) {
		rc = mdb_stat(txn, *db_slot(st, i), &s);
		if (rc) {
			rc = lmdb_fail(st, "read statistics", rc);
			goto out;
		}
		*slots[i] = s.ms_entries;
	}
	rc = mdb_env_info(st->env, &info);
	if (rc == 0)
		rc = mdb_env_stat(st->env, &s);
	if (rc) {
		rc = lmdb_fail(st, "read statistics", rc);
		goto out;
	}
	out->map_size = info.me_mapsize;
	out->used_bytes = (uint64_t)(info.me_last_pgno + 1) * s.ms_psize;
	data = path_join(st->path, "data.mdb");
	if (data && stat(data, &sb) == 0)
		out->file_bytes = (uint64_t)sb.st_size;
out:
	free(data);
	mdb_txn_abort(txn);
	return rc;
}
