/*
 * store backup: LMDB's own compacting copy (mdb_env_copyfd2 with
 * MDB_CP_COMPACT) runs in one read transaction, so the copy is a consistent
 * snapshot even while other processes issue; free pages are left out.
 *
 * The copy is one file, an LMDB data file: restoring is placing it as
 * data.mdb in a new private directory. It is written to a temporary file
 * beside FILE (created 0600 with O_EXCL: it holds the encrypted CA key),
 * synced, opened again as an environment to check that it reads, and only
 * then renamed to FILE, so FILE is either a complete backup or not there.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "store_internal.h"

static int io_code(int err)
{
	return (err == ENOSPC || err == EDQUOT || err == EIO) ? EX_IOERR : EX_CANTCREAT;
}

static int copy_into(store *st, int fd, const char *path)
{
	int rc, attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		rc = mdb_env_copyfd2(st->env, fd, MDB_CP_COMPACT);
		if (rc != MDB_MAP_RESIZED)
			break;
		/* another process grew the map: adopt its size and start over */
		if ((rc = mdb_env_set_mapsize(st->env, 0)))
			break;
		if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0)
			return fail(io_code(errno), "backup %s: %s", path, strerror(errno));
	}
	if (rc == ENOSPC || rc == EDQUOT)
		return fail(EX_IOERR, "backup %s: the disk is full (free some space and retry)",
			    path);
	if (rc)
		return fail(EX_IOERR, "backup %s: copy failed: %s", path, mdb_strerror(rc));
	if (fsync(fd) != 0)
		return fail(io_code(errno), "backup %s: %s", path, strerror(errno));
	return 0;
}

/* Open the copy as a read-only environment and count its records. */
static int check_copy(const char *tmp, const char *path, struct store_backup_info *info)
{
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_dbi meta, certs;
	MDB_val k = {6, (void *)"schema"}, v;
	MDB_stat s;
	const char *step = "create environment";
	int rc;

	rc = mdb_env_create(&env);
	if (!rc && !(rc = mdb_env_set_maxdbs(env, 9))) {
		step = "open";
		rc = mdb_env_open(env, tmp, MDB_NOSUBDIR | MDB_RDONLY | MDB_NOLOCK, 0600);
	}
	if (!rc) {
		step = "read";
		rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
	}
	if (!rc && !(rc = mdb_dbi_open(txn, "meta", 0, &meta)) &&
	    !(rc = mdb_dbi_open(txn, "certs", 0, &certs)) && !(rc = mdb_get(txn, meta, &k, &v)))
		rc = mdb_stat(txn, certs, &s);
	if (!rc && (v.mv_size != 4 || get_u32(v.mv_data) < 1 || get_u32(v.mv_data) > STORE_SCHEMA))
		rc = MDB_INVALID;
	if (rc) {
		rc = fail(EX_IOERR, "backup %s: the copy does not read back (%s: %s); nothing was "
				    "written",
			  path, step, mdb_strerror(rc));
		goto out;
	}
	info->records = s.ms_entries;
out:
	if (txn)
		mdb_txn_abort(txn);
	if (env)
		mdb_env_close(env);
	return rc;
}

int store_backup(store *st, const char *path, int force, struct store_backup_info *info)
{
	char *tmp = NULL;
	struct stat sb;
	int fd = -1, rc;
	size_t len = strlen(path) + 16;

	memset(info, 0, sizeof(*info));
	if ((rc = out_check_absent(path, force)))
		return rc;
	tmp = malloc(len);
	if (!tmp)
		return fail(EX_OSERR, "out of memory");
	snprintf(tmp, len, "%s.tmp-XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC); /* O_EXCL, mode 0600 */
	if (fd < 0) {
		rc = fail(io_code(errno), "backup %s: cannot create: %s", path, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if ((rc = copy_into(st, fd, path)))
		goto out;
	if (fstat(fd, &sb) != 0) {
		rc = fail(io_code(errno), "backup %s: %s", path, strerror(errno));
		goto out;
	}
	rc = close(fd);
	fd = -1;
	if (rc != 0) {
		rc = fail(io_code(errno), "backup %s: %s", path, strerror(errno));
		goto out;
	}
	info->bytes = (uint64_t)sb.st_size;
	if ((rc = check_copy(tmp, path, info)))
		goto out;
	if ((rc = out_rename(tmp, path, force)))
		goto out;
	free(tmp);
	tmp = NULL;
out:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	return rc;
}

int store_backup_meta_get(const char *file, const char *key, void **val, size_t *len)
{
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_dbi meta;
	MDB_val k = {strlen(key), (void *)key}, v;
	struct stat sb;
	int rc;

	*val = NULL;
	*len = 0;
	if (stat(file, &sb) != 0 || !S_ISREG(sb.st_mode))
		return fail(EX_NOINPUT, "backup %s: not found (make one with 'minica store backup "
					"FILE')",
			    file);
	rc = mdb_env_create(&env);
	if (!rc && !(rc = mdb_env_set_maxdbs(env, 9)))
		rc = mdb_env_open(env, file, MDB_NOSUBDIR | MDB_RDONLY | MDB_NOLOCK, 0600);
	if (!rc && !(rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) &&
	    !(rc = mdb_dbi_open(txn, "meta", 0, &meta)))
		rc = mdb_get(txn, meta, &k, &v);
	if (rc == MDB_NOTFOUND) {
		rc = 0;
	} else if (rc) {
		rc = fail(EX_DATAERR, "backup %s: not a minica store backup (%s)", file,
			  mdb_strerror(rc));
	} else if (!(*val = malloc(v.mv_size + 1))) {
		rc = fail(EX_OSERR, "out of memory");
	} else {
		memcpy(*val, v.mv_data, v.mv_size);
		((char *)*val)[v.mv_size] = '\0';
		*len = v.mv_size;
	}
	if (txn)
		mdb_txn_abort(txn);
	if (env)
		mdb_env_close(env);
	return rc;
}
