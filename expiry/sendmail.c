/*
 * Mail for remind: an RFC 5322 message (plain text, UTF-8) piped to
 * 'sendmail -t -oi' or a command given with --sendmail, run without a shell
 * and with an environment that carries nothing but the basics (no
 * MINICA_* variables, nothing else the caller had). The command gets at most
 * MAIL_TIMEOUT seconds; a failure is one line that says what happened.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "expiry.h"
#include "common/common.h"

#define MAIL_TIMEOUT 120 /* seconds */
#define MAIL_MAX_ARGS 32
#define HOST_NAME_BUF 256
#define SUBJECT_WIDTH 78 /* RFC 5322 2.1.1: lines SHOULD be at most 78 characters */

extern char **environ;

/*
 * An addr-spec without comments or quoting: local@domain, printable ASCII,
 * none of the characters that would let a value grow into another header
 * or another recipient.
 */
int mail_address_check(const char *addr)
{
	const char *at = strchr(addr, '@'), *p;

	if (!at || at == addr || !at[1] || strchr(at + 1, '@') || strlen(addr) > 254)
		return -1;
	for (p = addr; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr("()<>,;:\\\"[]", *p))
			return -1;
	return at[1] == '.' || addr[strlen(addr) - 1] == '.' ? -1 : 0;
}

/* This host's name when it is a plain DNS name, else "localhost". */
static void host_name(char out[HOST_NAME_BUF])
{
	if (gethostname(out, HOST_NAME_BUF) != 0 || !out[0] ||
	    strnlen(out, HOST_NAME_BUF) == HOST_NAME_BUF ||
	    strspn(out, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
		    strlen(out))
		strcpy(out, "localhost");
}

/* The invoking account at this host, as cron would send it. */
char *mail_default_from(void)
{
	struct passwd *pw = getpwuid(geteuid());
	char host[HOST_NAME_BUF], *out = NULL;

	host_name(host);
	if (asprintf(&out, "%s@%s", pw && pw->pw_name ? pw->pw_name : "root", host) < 0)
		return NULL;
	if (mail_address_check(out) != 0) {
		free(out);
		out = strdup("minica@localhost");
	}
	return out;
}

/*
 * A header is ASCII (RFC 5322 2.2): minica writes the subject itself, but a
 * template's file name could bring in other bytes, which become '?'. Long
 * lines fold at a space.
 */
static int put_subject(FILE *f, const char *text)
{
	size_t col = strlen("Subject: "), len = strlen(text), i;
	char *subject = strdup(text);
	const char *p;

	if (!subject)
		return -1;
	for (i = 0; i < len; i++)
		if ((unsigned char)subject[i] < 0x20 || (unsigned char)subject[i] >= 0x7f)
			subject[i] = '?';
	p = subject;

	fputs("Subject: ", f);
	while (col + len > SUBJECT_WIDTH) {
		size_t room = SUBJECT_WIDTH - col, cut = room;

		while (cut > 0 && p[cut] != ' ')
			cut--;
		if (cut == 0)
			break;
		fwrite(p, 1, cut, f);
		fputs("\n", f);
		p += cut; /* the space starts the continuation line */
		len -= cut;
		col = 0;
	}
	fprintf(f, "%s\n", p);
	free(subject);
	return 0;
}

/* The whole message, headers and body, LF line ends (sendmail makes them CRLF). */
char *mail_message(const char *from, char *const *to, size_t n_to, const char *subject,
		   const char *status, const char *body)
{
	char *msg = NULL, date[64], host[HOST_NAME_BUF], id_hex[33];
	unsigned char id[16];
	size_t len = 0, i;
	time_t now = (time_t)now_utc();
	struct tm tm;
	FILE *f;

	if (RAND_bytes(id, sizeof(id)) != 1 || !gmtime_r(&now, &tm) ||
	    !strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm))
		return NULL;
	hex_upper(id, sizeof(id), id_hex);
	host_name(host);
	f = open_memstream(&msg, &len);
	if (!f)
		return NULL;
	fprintf(f, "From: minica <%s>\n", from);
	fputs("To: ", f);
	for (i = 0; i < n_to; i++)
		fprintf(f, "%s%s", i ? ",\n " : "", to[i]);
	fputs("\n", f);
	if (put_subject(f, subject) != 0) {
		fclose(f);
		free(msg);
		return NULL;
	}
	fprintf(f, "Date: %s\n", date);
	fprintf(f, "Message-ID: <%s.%lld@%s>\n", id_hex, (long long)now, host);
	fputs("MIME-Version: 1.0\n"
	      "Content-Type: text/plain; charset=utf-8\n"
	      "Content-Transfer-Encoding: 8bit\n"
	      "Auto-Submitted: auto-generated\n",
	      f);
	fprintf(f, "X-Minica-Status: %s\n\n%s", status, body);
	if (fclose(f) != 0) {
		free(msg);
		return NULL;
	}
	return msg;
}

/* "CMD ARG..." split at blanks: no shell, no quoting. */
static int split_command(char *buf, char *argv[MAIL_MAX_ARGS + 1])
{
	char *save = NULL, *tok;
	int n = 0;

	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (n == MAIL_MAX_ARGS)
			return -1;
		argv[n++] = tok;
	}
	argv[n] = NULL;
	return n ? 0 : -1;
}

/* The child's environment: what a mailer needs, nothing that could be a secret. */
static char **clean_environment(void)
{
	static const char *const keep[] = {"HOME=", "USER=", "LOGNAME=", "LANG=", "LC_ALL=",
					   "LC_CTYPE=", "TZ=", "TMPDIR="};
	char **env = calloc(sizeof(keep) / sizeof(keep[0]) + 2, sizeof(char *));
	size_t n = 0, i;
	char **e;

	if (!env)
		return NULL;
	env[n++] = (char *)"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (e = environ; e && *e; e++)
		for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
			if (!strncmp(*e, keep[i], strlen(keep[i])))
				env[n++] = *e;
	env[n] = NULL;
	return env;
}

static int write_all(int fd, const char *data, size_t len, int64_t deadline, int *timed_out)
{
	struct pollfd pfd = {fd, POLLOUT, 0};

	while (len > 0) {
		ssize_t n;
		int64_t left = deadline - now_utc();

		if (left <= 0) {
			*timed_out = 1;
			return -1;
		}
		if (poll(&pfd, 1, (int)(left > 1 ? 1000 : left * 1000)) < 0 && errno != EINTR)
			return -1;
		n = write(fd, data, len);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int wait_bounded(pid_t pid, int64_t deadline, int *status, int *timed_out)
{
	struct timespec pause = {0, 50 * 1000 * 1000};
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_utc() >= deadline) {
			*timed_out = 1;
			kill(pid, SIGKILL);
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			return 0;
		}
		nanosleep(&pause, NULL);
	}
}

int mail_send(const char *command, const char *message)
{
	char *buf = strdup(command), *argv[MAIL_MAX_ARGS + 1], **env = clean_environment();
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	sigset_t defaults;
	struct sigaction ignore = {0}, old_pipe;
	int pipefd[2] = {-1, -1}, status = 0, timed_out = 0, write_errno = 0, err, rc;
	int have_actions = 0, have_attr = 0, pipe_ignored = 0;
	int64_t deadline = now_utc() + MAIL_TIMEOUT;
	pid_t pid = -1;

	if (!buf || !env) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	if (split_command(buf, argv) != 0) {
		rc = fail(EX_USAGE, "--sendmail '%s': give a command and at most %d arguments",
			  printable(command), MAIL_MAX_ARGS - 1);
		goto out;
	}
	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		rc = fail(EX_OSERR, "cannot create a pipe for %s: %s", argv[0], strerror(errno));
		goto out;
	}
	if (posix_spawn_file_actions_init(&actions) != 0) {
		rc = fail(EX_OSERR, "cannot prepare to run %s", argv[0]);
		goto out;
	}
	have_actions = 1;
	if (posix_spawnattr_init(&attr) != 0) {
		rc = fail(EX_OSERR, "cannot prepare to run %s", argv[0]);
		goto out;
	}
	have_attr = 1;
	/* the message on its stdin; its own output is not ours, so it goes to stderr */
	if (posix_spawn_file_actions_adddup2(&actions, pipefd[0], 0) != 0 ||
	    posix_spawn_file_actions_adddup2(&actions, 2, 1) != 0 || sigemptyset(&defaults) != 0 ||
	    sigaddset(&defaults, SIGPIPE) != 0 ||
	    posix_spawnattr_setsigdefault(&attr, &defaults) != 0 ||
	    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF) != 0) {
		rc = fail(EX_OSERR, "cannot prepare to run %s", argv[0]);
		goto out;
	}
	err = strchr(argv[0], '/') ? posix_spawn(&pid, argv[0], &actions, &attr, argv, env)
				   : posix_spawnp(&pid, argv[0], &actions, &attr, argv, env);
	if (err != 0) {
		pid = -1;
		rc = fail(EX_UNAVAILABLE, "cannot run mail command '%s': %s; the reminder was not "
					  "mailed (see --sendmail)",
			  printable(argv[0]), strerror(err));
		goto out;
	}
	close(pipefd[0]);
	pipefd[0] = -1;
	/* a mailer that stops reading must not kill minica with SIGPIPE */
	ignore.sa_handler = SIG_IGN;
	pipe_ignored = sigaction(SIGPIPE, &ignore, &old_pipe) == 0;
	if (fcntl(pipefd[1], F_SETFL, O_NONBLOCK) != 0 ||
	    write_all(pipefd[1], message, strlen(message), deadline, &timed_out) != 0)
		write_errno = timed_out ? 0 : errno;
	close(pipefd[1]);
	pipefd[1] = -1;
	if (wait_bounded(pid, timed_out ? now_utc() : deadline, &status, &timed_out) != 0) {
		rc = fail(EX_OSERR, "mail command '%s': cannot wait for it: %s", printable(argv[0]),
			  strerror(errno));
		goto out;
	}
	if (timed_out)
		rc = fail(EX_TEMPFAIL, "mail command '%s' did not finish within %d seconds and was "
				       "killed; the reminder was not mailed",
			  printable(argv[0]), MAIL_TIMEOUT);
	else if (WIFSIGNALED(status))
		rc = fail(EX_UNAVAILABLE, "mail command '%s' was killed by signal %d (%s); the "
					  "reminder was not mailed",
			  printable(argv[0]), WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		rc = fail(EX_UNAVAILABLE, "mail command '%s' exited with status %d; the reminder was "
					  "not mailed",
			  printable(argv[0]), WEXITSTATUS(status));
	else if (write_errno)
		rc = fail(EX_IOERR, "mail command '%s' did not read the whole message (%s); the "
				    "reminder may not have been mailed",
			  printable(argv[0]), strerror(write_errno));
	else
		rc = 0;
out:
	if (pipe_ignored)
		sigaction(SIGPIPE, &old_pipe, NULL);
	if (have_attr)
		posix_spawnattr_destroy(&attr);
	if (have_actions)
		posix_spawn_file_actions_destroy(&actions);
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	free(env);
	free(buf);
	return rc;
}

/* --mail and --from: 0, or EINVAL for argp after one line. */
static int mail_address_arg(const char *option, const char *arg)
{
	if (mail_address_check(arg) == 0)
		return 0;
	cli_usage_error("%s '%s': give a plain address such as %s", option, printable(arg),
			strcmp(option, "--from") ? "admin@corp.example" : "minica@corp.example");
	return EINVAL;
}

enum { OPT_MAIL = 0x300, OPT_FROM, OPT_SENDMAIL };

static const struct argp_option mail_options_list[] = {
	{"mail", OPT_MAIL, "ADDR", 0, "Mail the reminder to ADDR (repeatable)", 0},
	{"from", OPT_FROM, "ADDR", 0, "Sender address (default: this user at this host)", 0},
	{"sendmail", OPT_SENDMAIL, "CMD", 0,
	 "Mail command, split at blanks and run without a shell; it reads the message with its "
	 "headers on stdin (default '" MAIL_DEFAULT_COMMAND "')",
	 0},
	{0}
};

static error_t mail_parse(int key, char *arg, struct argp_state *state)
{
	struct mail_options *m = state->input;

	switch (key) {
	case OPT_MAIL:
		if (mail_address_arg("--mail", arg))
			return EINVAL;
		return cli_list_add(&m->to, &m->n_to, arg);
	case OPT_FROM:
		if (mail_address_arg("--from", arg))
			return EINVAL;
		m->from = arg;
		return 0;
	case OPT_SENDMAIL:
		if (!arg[strspn(arg, " \t")])
			return cli_usage_error("--sendmail: give a command"), EINVAL;
		m->sendmail = arg;
		return 0;
	case ARGP_KEY_END:
		if ((m->from || m->sendmail) && !m->n_to)
			return cli_usage_error("--from and --sendmail need --mail ADDR"), EINVAL;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp mail_argp = {mail_options_list, mail_parse, NULL, NULL, NULL, NULL, NULL};
