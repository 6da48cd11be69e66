/*
 * Passphrases: from a file (first line), from $MINICA_PASS_FILE, or typed on
 * a terminal. Never from the command line, where ps(1) and shell history
 * would keep them. Buffers are wiped with OPENSSL_cleanse before release.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"

#define PASS_MAX 1024
#define PASS_FILE_MAX (64 * 1024)

/*
 * A core file would hold passphrases and keys in clear. A process that is
 * not dumpable also cannot be traced or read through /proc/PID/mem by other
 * processes of the same user. Neither call can fail for a lowered limit.
 */
void secrets_protect(void)
{
	static int done;
	struct rlimit none = {0, 0};

	if (done)
		return;
	done = 1;
	(void)setrlimit(RLIMIT_CORE, &none);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

void pass_free(char *pass, size_t len)
{
	if (!pass)
		return;
	OPENSSL_clear_free(pass, len + 1);
}

int pass_read_file(const char *path, const char *what, char **out, size_t *len)
{
	char *buf = NULL;
	size_t used = 0, line;
	struct stat st;
	ssize_t n;
	int fd = -1, rc = 0;

	*out = NULL;
	*len = 0;
	secrets_protect();
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = fail(errno == ENOENT ? EX_NOINPUT : EX_NOPERM, "%s %s: %s", what, path,
			  strerror(errno));
		goto out;
	}
	/*
	 * A secret that others can read is no secret: refused as a store
	 * readable by others is. A terminal (--pass-file /dev/tty) is exempt.
	 */
	if (fstat(fd, &st) != 0) {
		rc = fail(EX_IOERR, "%s %s: %s", what, path, strerror(errno));
		goto out;
	}
	if (!S_ISCHR(st.st_mode) && (st.st_mode & 077)) {
		rc = fail(EX_NOPERM, "%s %s: readable by other users (mode %04o); it must be "
				     "private: run 'chmod 600 %s'",
			  what, path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	buf = OPENSSL_zalloc(PASS_FILE_MAX + 1);
	if (!buf) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	while (used < PASS_FILE_MAX &&
	       (n = read(fd, buf + used, PASS_FILE_MAX - used)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = fail(EX_IOERR, "%s %s: %s", what, path, strerror(errno));
			goto out;
		}
		used += (size_t)n;
	}
	line = strcspn(buf, "\r\n");
	if (line == 0) {
		rc = fail(EX_DATAERR, "%s %s: the first line is empty", what, path);
		goto out;
	}
	if (line > PASS_MAX) {
		rc = fail(EX_DATAERR, "%s %s: the first line is longer than %d characters",
			  what, path, PASS_MAX);
		goto out;
	}
	if (memchr(buf, '\0', line)) {
		rc = fail(EX_DATAERR, "%s %s: the first line contains a NUL byte", what, path);
		goto out;
	}
	*out = OPENSSL_zalloc(line + 1);
	if (!*out) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	memcpy(*out, buf, line);
	*len = line;
out:
	if (buf)
		OPENSSL_clear_free(buf, PASS_FILE_MAX + 1);
	if (fd >= 0)
		close(fd);
	return rc;
}

static int pass_prompt(int confirm, char **out, size_t *len)
{
	char *buf = NULL;
	int rc = 0, r;

	secrets_protect();
	buf = OPENSSL_zalloc(PASS_MAX + 1);
	if (!buf)
		return fail(EX_OSERR, "out of memory");
	r = EVP_read_pw_string_min(buf, confirm ? 8 : 1, PASS_MAX,
				   confirm ? "New CA passphrase: " : "CA passphrase: ", confirm);
	if (r != 0) {
		rc = fail(r == -2 ? EX_DATAERR : EX_NOINPUT,
			  r == -2 ? "passphrases did not match" : "no passphrase was entered");
		OPENSSL_clear_free(buf, PASS_MAX + 1);
		return rc;
	}
	*len = strlen(buf);
	*out = OPENSSL_zalloc(*len + 1);
	if (*out)
		memcpy(*out, buf, *len);
	else
		rc = fail(EX_OSERR, "out of memory");
	OPENSSL_clear_free(buf, PASS_MAX + 1);
	return rc;
}

int pass_get_ca(int confirm, char **out, size_t *len)
{
	const char *file = g_opts.pass_file;
	int rc;

	*out = NULL;
	*len = 0;
	if (!file || !*file)
		file = getenv("MINICA_PASS_FILE");
	if (file && *file) {
		rc = pass_read_file(file, "passphrase file", out, len);
		if (rc == 0 && confirm && *len < 8) {
			pass_free(*out, *len);
			*out = NULL;
			return fail(EX_DATAERR,
				    "passphrase file %s: a new CA passphrase needs at least 8 characters",
				    file);
		}
		return rc;
	}
	if (!isatty(STDIN_FILENO))
		return fail(EX_USAGE, "the CA passphrase is needed and there is no terminal to ask "
				      "on: give --pass-file FILE or set MINICA_PASS_FILE");
	return pass_prompt(confirm, out, len);
}

const char *pin_file_given(void)
{
	static char cred[4096];
	const char *file = g_opts.pin_file, *dir;

	if (!file || !*file)
		file = getenv("MINICA_PIN_FILE");
	if (file && *file)
		return file;
	dir = getenv("CREDENTIALS_DIRECTORY");
	if (dir && *dir && (size_t)snprintf(cred, sizeof(cred), "%s/minica-pin", dir) < sizeof(cred) &&
	    access(cred, F_OK) == 0)
		return cred;
	return NULL;
}

int pin_get(const char *token, char **out, size_t *len)
{
	const char *file = pin_file_given();
	char *buf = NULL, prompt[256];
	int rc = 0;

	*out = NULL;
	*len = 0;
	if (file)
		return pass_read_file(file, "PIN file", out, len);
	if (!isatty(STDIN_FILENO))
		return fail(EX_USAGE, "the PIN of token %s is needed and there is no terminal to ask "
				      "on: give --pin-file FILE or set MINICA_PIN_FILE",
			    token);
	secrets_protect();
	buf = OPENSSL_zalloc(PASS_MAX + 1);
	if (!buf)
		return fail(EX_OSERR, "out of memory");
	snprintf(prompt, sizeof(prompt), "PIN for %s: ", token);
	if (EVP_read_pw_string_min(buf, 1, PASS_MAX, prompt, 0) != 0) {
		OPENSSL_clear_free(buf, PASS_MAX + 1);
		return fail(EX_NOINPUT, "no PIN was entered");
	}
	*len = strlen(buf);
	*out = OPENSSL_zalloc(*len + 1);
	if (*out)
		memcpy(*out, buf, *len);
	else
		rc = fail(EX_OSERR, "out of memory");
	OPENSSL_clear_free(buf, PASS_MAX + 1);
	return rc;
}
