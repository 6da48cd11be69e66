/*
 * Output files: written to a temporary file in the target directory, synced,
 * then renamed into place, so a crash leaves either the old file or the new
 * one, never half of one. Without --force an existing file is never replaced,
 * even when it appears between our check and the rename (RENAME_NOREPLACE).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"

char *path_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	char *p = malloc(dl + nl + 2);

	if (!p)
		return NULL;
	memcpy(p, dir, dl);
	if (dl && dir[dl - 1] != '/')
		p[dl++] = '/';
	memcpy(p + dl, name, nl + 1);
	return p;
}

int out_check_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) != 0)
		return fail(EX_CANTCREAT, "output directory %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail(EX_CANTCREAT, "output directory %s: not a directory", dir);
	if (access(dir, W_OK | X_OK) != 0)
		return fail(EX_CANTCREAT, "output directory %s: %s", dir, strerror(errno));
	return 0;
}

int out_check_absent(const char *path, int force)
{
	struct stat st;

	if (lstat(path, &st) == 0) {
		if (!force)
			return fail(EX_CANTCREAT, "%s already exists (use --force to replace it)",
				    path);
		if (S_ISDIR(st.st_mode))
			return fail(EX_CANTCREAT, "%s is a directory", path);
	} else if (errno != ENOENT) {
		return fail(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	}
	return 0;
}

static int io_code(int err)
{
	return (err == ENOSPC || err == EDQUOT || err == EIO) ? EX_IOERR : EX_CANTCREAT;
}

/*
 * A finished temporary file to its place: without force an existing file is
 * never replaced, even one that appeared since it was checked
 * (RENAME_NOREPLACE); then the directory is synced, because the rename
 * itself is durable only once it is. On failure tmp is left to the caller.
 */
int out_rename(const char *tmp, const char *path, int force)
{
	char *copy = strdup(path);
	int dfd;

	if (!copy)
		return fail(EX_OSERR, "out of memory");
	if (force ? rename(tmp, path) : renameat2(AT_FDCWD, tmp, AT_FDCWD, path,
						 RENAME_NOREPLACE)) {
		int err = errno;

		free(copy);
		return err == EEXIST
			       ? fail(EX_CANTCREAT, "%s already exists (use --force to replace it)", path)
			       : fail(io_code(err), "cannot create %s: %s", path, strerror(err));
	}
	dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	free(copy);
	return 0;
}

int out_write_atomic(const char *path, const void *data, size_t len, mode_t mode, int force)
{
	char *tmp = NULL;
	const unsigned char *p = data;
	int fd = -1, rc = 0;
	size_t done = 0;

	tmp = malloc(strlen(path) + 16);
	if (!tmp)
		return fail(EX_OSERR, "out of memory");
	snprintf(tmp, strlen(path) + 16, "%s.tmp-XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = fail(io_code(errno), "cannot create %s: %s", path, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, mode) != 0) {
		rc = fail(EX_CANTCREAT, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = fail(io_code(errno), "cannot write %s: %s", path, strerror(errno));
			goto out;
		}
		done += (size_t)n;
	}
	if (fsync(fd) != 0) {
		rc = fail(io_code(errno), "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = fail(io_code(errno), "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
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
