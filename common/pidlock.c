/*
 * A file that holds a process id under an exclusive flock(2) for as long as
 * the process runs: `minica serve` takes one in the store directory (one
 * server per store) and one at --pid-file. A second taker is refused with
 * the holder's pid, read from the file; a lock left by a dead process is no
 * lock (the kernel dropped it), so a crash never needs a manual clean-up.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common.h"

int pidlock_take(const char *path, const char *hint, int *fd_out)
{
	char text[32] = "", pid[32];
	ssize_t n;
	int fd, rc = 0, len;

	*fd_out = -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return fail(errno == ENOENT ? EX_CANTCREAT : EX_IOERR, "%s: %s", path,
			    strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK) {
			rc = fail(EX_IOERR, "%s: cannot lock it: %s", path, strerror(errno));
			goto out;
		}
		n = pread(fd, text, sizeof(text) - 1, 0);
		text[n > 0 ? n : 0] = '\0';
		text[strcspn(text, "\n")] = '\0';
		rc = fail(EX_TEMPFAIL, "%s: held by process %s (%s)", path, *text ? text : "?", hint);
		goto out;
	}
	len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
		rc = fail(EX_IOERR, "%s: cannot write the process id: %s", path, strerror(errno));
		goto out;
	}
	*fd_out = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Removed before it is unlocked: whoever finds the file next finds it held or absent. */
void pidlock_release(const char *path, int fd, int remove)
{
	if (fd < 0)
		return;
	if (remove)
		(void)unlink(path);
	close(fd);
}
