/*
 * The store's memory map in a long-running, threaded process (minica serve).
 *
 * Fixing its size. LMDB moves the map when it grows (mdb_env_set_mapsize
 * unmaps and maps again), which is only safe while no other thread of the
 * process is inside a transaction. store_fix_map() makes the map large once,
 * before the threads start (address space only: without MDB_WRITEMAP the
 * file grows with its data, not with the map), and from then on the store
 * refuses to move it: a write that would need more fails with a message,
 * and a map grown by another process is not adopted by this one.
 *
 * Giving back the pages.
 * LMDB reads through a read-only shared map of data.mdb, so every page a
 * transaction walks stays mapped into the process (and counted in its
 * resident size) for as long as the process lives. A long-running server
 * whose keys are random (serials, ACME ids) walks every leaf sooner or later:
 * its resident size then grows with the store, 2.7 MB per 1,000 ACME orders,
 * and a monitor cannot tell that from a leak.
 *
 * store_release_pages() drops the mapping's page-table entries
 * (madvise MADV_DONTNEED). The pages stay in the kernel's page cache, so the
 * next access is a minor fault with the same bytes: the map is read-only
 * (no MDB_WRITEMAP), and LMDB never changes a page that a reader may see, so
 * this is safe while other threads read or write. Linux finds the map by
 * data.mdb's device and inode in /proc/self/maps (LMDB tells its address only
 * for MDB_FIXEDMAP); elsewhere it does nothing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "common/common.h"
#include "store_internal.h"

/* The address range of the map of the file with this device and inode. */
static int find_map(dev_t dev, ino_t ino, uintptr_t *start, uintptr_t *end)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[1024];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		uintmax_t lo, hi, inode;
		unsigned int major, minor;

		if (sscanf(line, "%jx-%jx %*s %*x %x:%x %ju", &lo, &hi, &major, &minor, &inode) != 5)
			continue;
		if (inode == (uintmax_t)ino && major == major(dev) && minor == minor(dev)) {
			*start = (uintptr_t)lo;
			*end = (uintptr_t)hi;
			found = 1;
		}
	}
	fclose(f);
	return found;
}

/* Where data.mdb is mapped; *start == *end when it cannot be told. */
static int map_range(store *st, uintptr_t *start, uintptr_t *end)
{
	char *data = path_join(st->path, "data.mdb");
	struct stat sb;
	int rc = 0;

	*start = *end = 0;
	if (!data)
		return fail(EX_OSERR, "out of memory");
	if (stat(data, &sb) != 0)
		rc = fail(EX_IOERR, "store %s: %s: %s", st->path, data, strerror(errno));
	else
		find_map(sb.st_dev, sb.st_ino, start, end);
	free(data);
	return rc;
}

int store_release_pages(store *st)
{
	uintptr_t start = st->map_start, end = st->map_end;
	int rc;

	if (!st->map_fixed && (rc = map_range(st, &start, &end)))
		return rc;
	if (start != end && madvise((void *)start, end - start, MADV_DONTNEED) != 0)
		return fail(EX_OSERR, "store %s: release mapped pages: %s", st->path, strerror(errno));
	return 0;
}

/* At least bytes, and room for the store to double, so that a restart always helps. */
int store_fix_map(store *st, size_t bytes)
{
	MDB_envinfo info;
	MDB_stat env;
	size_t used;
	int rc = mdb_env_info(st->env, &info);

	if (rc == 0)
		rc = mdb_env_stat(st->env, &env);
	if (rc)
		return lmdb_fail(st, "read map size", rc);
	used = (info.me_last_pgno + 1) * (size_t)env.ms_psize;
	if (used <= SIZE_MAX / 2 && used * 2 > bytes)
		bytes = used * 2;
	if (bytes > info.me_mapsize && (rc = mdb_env_set_mapsize(st->env, bytes)))
		return lmdb_fail(st, "enlarge map", rc);
	if ((rc = map_range(st, &st->map_start, &st->map_end)))
		return rc;
	/* random keys: each fault maps the one page it needs, not its 15 neighbours */
	if (st->map_start != st->map_end)
		(void)madvise((void *)st->map_start, st->map_end - st->map_start, MADV_RANDOM);
	st->map_fixed = 1;
	return 0;
}

void store_release_every(store *st, unsigned int commits)
{
	st->release_every = commits;
}

void release_after_commit(store *st)
{
	if (st->release_every &&
	    __atomic_add_fetch(&st->commits, 1, __ATOMIC_RELAXED) % st->release_every == 0)
		(void)store_release_pages(st); /* only a hint: a failure costs memory, not data */
}
