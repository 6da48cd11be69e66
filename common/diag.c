/*
 * Diagnostics: one line per problem on stderr, prefixed "minica: ", so that
 * scripts and admins can grep them. fail() returns its exit code so callers
 * can write "return fail(EX_DATAERR, ...)".
 */
#include <openssl/err.h>
#include <stdio.h>
#include <string.h>

#include "common/common.h"

/* Where the current diagnostics come from ("hosts file F line 7"), per thread. */
static _Thread_local char context[256];

void diag_context(const char *fmt, ...)
{
	va_list ap;

	context[0] = '\0';
	if (!fmt)
		return;
	va_start(ap, fmt);
	vsnprintf(context, sizeof(context), fmt, ap);
	va_end(ap);
}

/* What to do about the errors of a step, said at the end of their line, per thread. */
static _Thread_local char hint[512];

void diag_hint(const char *fmt, ...)
{
	va_list ap;

	hint[0] = '\0';
	if (!fmt)
		return;
	va_start(ap, fmt);
	vsnprintf(hint, sizeof(hint), fmt, ap);
	va_end(ap);
}

/* The last error line of this thread, without "minica: " (diag_last). */
static _Thread_local char last_message[512];

static void vemit(const char *prefix, const char *fmt, va_list ap, const char *suffix,
		  int remember) __attribute__((format(printf, 2, 0)));

/* One write per line, so lines from worker threads never interleave. */
static void vemit(const char *prefix, const char *fmt, va_list ap, const char *suffix,
		  int remember)
{
	static const char lead[] = "minica: ";
	char line[2048];
	int n;

	n = snprintf(line, sizeof(line), "%s%s%s%s", lead, prefix ? prefix : "", context,
		     context[0] ? ": " : "");
	if (n >= 0 && (size_t)n < sizeof(line))
		n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (n >= 0 && (size_t)n < sizeof(line) && suffix && *suffix)
		n += snprintf(line + n, sizeof(line) - (size_t)n, ": %s", suffix);
	if (n >= 0 && (size_t)n < sizeof(line) && remember && hint[0])
		n += snprintf(line + n, sizeof(line) - (size_t)n, "; %s", hint);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	line[n] = '\n';
	fwrite(line, 1, (size_t)n + 1, stderr);
	if (remember) /* errors only: warnings and notes do not replace the last error */
		snprintf(last_message, sizeof(last_message), "%.*s", n - (int)(sizeof(lead) - 1),
			 line + sizeof(lead) - 1);
}

/*
 * The text of the last error line (without "minica: "), for commands that
 * must also say it on stdout: a monitoring plugin's status line is the
 * only thing Nagios shows.
 */
const char *diag_last(void)
{
	return last_message;
}

int fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vemit(NULL, fmt, ap, NULL, 1);
	va_end(ap);
	ERR_clear_error();
	return code;
}

/*
 * OpenSSL keeps a queue of errors; the first one is the root cause ("unknown
 * extension name"), later ones only add context ("error in extension"). Its
 * data, when short, says which value was wrong. The queue is cleared so
 * that a later report does not pick up a stale reason.
 */
const char *ssl_reason(void)
{
	static _Thread_local char buf[256];
	const char *data = NULL, *reason;
	int flags = 0;
	unsigned long e = ERR_peek_error_data(&data, &flags);

	buf[0] = '\0';
	if (e == 0)
		return buf;
	reason = ERR_reason_error_string(e);
	if (reason)
		snprintf(buf, sizeof(buf), "%s", reason);
	else
		ERR_error_string_n(e, buf, sizeof(buf));
	if (data && (flags & ERR_TXT_STRING) && *data && strlen(data) < 100)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " (%s)", printable(data));
	ERR_clear_error();
	return buf;
}

int fail_ssl(int code, const char *fmt, ...)
{
	va_list ap;
	const char *reason = ssl_reason();

	va_start(ap, fmt);
	vemit(NULL, fmt, ap, reason, 1);
	va_end(ap);
	return code;
}

void warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vemit("warning: ", fmt, ap, NULL, 0);
	va_end(ap);
}

void notice(const char *fmt, ...)
{
	va_list ap;

	if (g_opts.quiet)
		return;
	va_start(ap, fmt);
	vemit(NULL, fmt, ap, NULL, 0);
	va_end(ap);
}

/*
 * User input echoed in a diagnostic must not break the one-line rule or the
 * terminal: control bytes are shown as \xNN and long values are cut. Four
 * rotating buffers let one message quote several values.
 */
const char *printable(const char *text)
{
	static _Thread_local char bufs[4][128];
	static _Thread_local int next;
	char *buf = bufs[next++ % 4];
	size_t o = 0;
	const unsigned char *p = (const unsigned char *)text;

	for (; *p && o < sizeof(bufs[0]) - 8; p++) {
		if (*p < 0x20 || *p == 0x7f)
			o += (size_t)snprintf(buf + o, sizeof(bufs[0]) - o, "\\x%02X", *p);
		else
			buf[o++] = (char)*p;
	}
	if (*p)
		memcpy(buf + o, "...", 4);
	else
		buf[o] = '\0';
	return buf;
}
