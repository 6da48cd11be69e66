/*
 * LD_PRELOAD shim for tests/cmd/diskfull.sh: a SIMULATED full disk, for
 * machines where no small filesystem can be mounted (the real test fills a
 * tmpfs). Writes to files under $MINICA_ENOSPC_DIR succeed for the first
 * $MINICA_ENOSPC_AFTER bytes (default 0) of the process; the first write
 * that does not fit, and every write, pwrite, writev, pwritev, fsync and
 * fdatasync of such files after it, fail with ENOSPC, as the kernel reports
 * a full disk. Other files are untouched.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static size_t written;
static int full; /* once a write did not fit, syncs fail too */

static int on_full_disk(int fd)
{
	const char *dir = getenv("MINICA_ENOSPC_DIR");
	char link[64], path[PATH_MAX];
	ssize_t n;
	size_t len;

	if (!dir || !*dir)
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0)
		return 0;
	path[n] = '\0';
	len = strlen(dir);
	return !strncmp(path, dir, len) && (path[len] == '/' || path[len] == '\0');
}

/* 1 when this much more no longer fits */
static int no_room(int fd, size_t more)
{
	const char *after = getenv("MINICA_ENOSPC_AFTER");
	size_t budget = after ? strtoul(after, NULL, 10) : 0;

	if (!on_full_disk(fd))
		return 0;
	if (full || written + more > budget) {
		full = 1;
		errno = ENOSPC;
		return 1;
	}
	written += more;
	return 0;
}

static size_t iov_bytes(const struct iovec *iov, int n)
{
	size_t total = 0;
	int i;

	for (i = 0; i < n; i++)
		total += iov[i].iov_len;
	return total;
}

#define REAL(name) \
	static __typeof__(name) *real; \
	if (!real) \
		real = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

ssize_t write(int fd, const void *buf, size_t count)
{
	REAL(write);
	return no_room(fd, count) ? -1 : real(fd, buf, count);
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t off)
{
	REAL(pwrite);
	return no_room(fd, count) ? -1 : real(fd, buf, count, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off_t off)
{
	REAL(pwrite64);
	return no_room(fd, count) ? -1 : real(fd, buf, count, off);
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
	REAL(writev);
	return no_room(fd, iov_bytes(iov, n)) ? -1 : real(fd, iov, n);
}

ssize_t pwritev(int fd, const struct iovec *iov, int n, off_t off)
{
	REAL(pwritev);
	return no_room(fd, iov_bytes(iov, n)) ? -1 : real(fd, iov, n, off);
}

ssize_t pwritev64(int fd, const struct iovec *iov, int n, off_t off)
{
	REAL(pwritev64);
	return no_room(fd, iov_bytes(iov, n)) ? -1 : real(fd, iov, n, off);
}

/* a full disk also fails the sync of what did not fit */
static int sync_fails(int fd)
{
	if (full && on_full_disk(fd)) {
		errno = ENOSPC;
		return 1;
	}
	return 0;
}

int fsync(int fd)
{
	REAL(fsync);
	return sync_fails(fd) ? -1 : real(fd);
}

int fdatasync(int fd)
{
	REAL(fdatasync);
	return sync_fails(fd) ? -1 : real(fd);
}
