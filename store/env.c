/*
 * The LMDB environment: opening it, growing its map, the encodings of its
 * keys and its statistics. Every write transaction is write.c's; the tables
 * are written by tables.c and read by scan.c; create.c makes a store. Seven
 * named databases:
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

#define INITIAL_MAP_SIZE (32UL << 20)

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

void put_u32(unsigned char *p, uint32_t v)
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

void put_u64(unsigned char *p, uint64_t v)
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

int env_open(store *st, unsigned int extra_flags)
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

int open_dbs(store *st, MDB_txn *txn, unsigned int create)
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
int open_revoked(store *st, MDB_txn *txn, unsigned int create, int *found)
{
	int rc = mdb_dbi_open(txn, REVOKED_DB, create, &st->revoked);

	*found = rc == 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	return rc ? lmdb_fail(st, "open tables", rc) : 0;
}

store *store_alloc(const char *dir)
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
		if ((rc = adopt_map_size(st)))
			return rc;
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
		rc = store_not_initialised(dir);
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

/* ---- growing ---- */

static int map_fixed_full(store *st)
{
	return fail(EX_IOERR,
		    "store %s: the store outgrew this process's map of its file (restart the "
		    "process: it maps the file again at its new size)",
		    st->path);
}

int adopt_map_size(store *st)
{
	int rc;

	if (st->map_fixed)
		return map_fixed_full(st);
	rc = mdb_env_set_mapsize(st->env, 0);
	return rc ? lmdb_fail(st, "adopt map size", rc) : 0;
}

int grow_map(store *st)
{
	MDB_envinfo info;
	size_t next;
	int rc;

	if (st->map_fixed)
		return map_fixed_full(st);
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

/* ---- statistics ---- */

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
