/*
 * A template's text, read line by line as OpenSSL's NCONF reader
 * (crypto/conf/conf_def.c, def_load_bio) builds its logical lines, so that
 * what minica refuses is what NCONF would act on:
 *  - a physical line is read in pieces of at most 510 bytes (BIO_gets with
 *    a 511-byte buffer); a piece that does not end in CR or LF continues on
 *    the next one;
 *  - every CR and LF at the end of a piece is dropped (so "\r\r\n" ends a
 *    line as "\n" does);
 *  - a line that ends in one backslash (not two) continues on the next;
 *  - a UTF-8 byte order mark before the first line is skipped;
 *  - the reading stops at a NUL byte (strlen).
 * A template is one file whose SHA-256 each certificate records: nothing may
 * come from elsewhere. So a template may hold no NUL byte, no directive
 * (".include", ".pragma", also as "section::.include") and no '$' expansion
 * ($var, ${var}, $ENV::NAME): a literal '$' is written as NCONF wants it,
 * escaped ("\$") or inside quotes.
 */
#include <stdlib.h>
#include <string.h>

#include "issue.h"
#include "common/common.h"

#define CONF_PIECE 510 /* BIO_gets(in, p, CONFBUFSIZE - 1), CONFBUFSIZE 512 */

int conf_lines(const char *text, size_t len, conf_line_fn fn, void *ctx)
{
	char *buf = NULL, *grown;
	size_t pos = 0, bufnum = 0, cap = 0;
	long eline = 0, start = 1;
	int again = 0, first = 1, rc = 0;

	for (;;) {
		const char *p = text + pos;
		size_t n = 0, i, ii;

		while (pos + n < len && n < CONF_PIECE)
			if (text[pos + n++] == '\n')
				break;
		pos += n;
		i = strnlen(p, n);
		if (first) {
			if (i >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) {
				p += 3;
				i -= 3;
			}
			first = 0;
		}
		ii = i;
		if (i == 0 && !again)
			break; /* the end, or a NUL byte that NCONF takes for it */
		again = 0;
		while (i > 0 && (p[i - 1] == '\r' || p[i - 1] == '\n'))
			i--;
		if (ii && i == ii)
			again = 1; /* a long line: the next piece continues it */
		else
			eline++;
		if (bufnum + i + 1 > cap) {
			cap = (bufnum + i + 1) * 2;
			grown = realloc(buf, cap);
			if (!grown) {
				rc = -1;
				goto out;
			}
			buf = grown;
		}
		memcpy(buf + bufnum, p, i);
		bufnum += i;
		if (!again && bufnum >= 1 && buf[bufnum - 1] == '\\' &&
		    (bufnum <= 1 || buf[bufnum - 2] != '\\')) {
			bufnum--;
			again = 1;
		}
		if (again)
			continue;
		buf[bufnum] = '\0';
		if ((rc = fn(buf, start, ctx)))
			goto out;
		bufnum = 0;
		start = eline + 1;
	}
out:
	free(buf);
	return rc;
}

/* NCONF's character classes (conf_def.h, the default table) */
static int conf_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int conf_quote(char c)
{
	return c == '"' || c == '\'' || c == '`';
}

static int conf_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("_!%&*+,-./;?@^|~", c));
}

/* past a backslash and the character it escapes (scan_esc) */
static const char *skip_escape(const char *p)
{
	return p[1] ? p + 2 : p + 1;
}

/* past a quoted string, escapes inside it included (scan_quote) */
static const char *skip_quoted(const char *p)
{
	char q = *p++;

	while (*p && *p != q) {
		if (*p == '\\' && !*++p)
			return p;
		p++;
	}
	return *p == q ? p + 1 : p;
}

static const char *skip_name(const char *p)
{
	for (;;) {
		if (*p == '\\')
			p = skip_escape(p);
		else if (conf_name_char(*p))
			p++;
		else
			return p;
	}
}

/* Where NCONF's clear_comments cuts the line ('#' outside quotes and escapes). */
static size_t comment_start(const char *line)
{
	const char *p = line;

	while (*p) {
		if (*p == '#')
			break;
		if (conf_quote(*p))
			p = skip_quoted(p);
		else if (*p == '\\')
			p = skip_escape(p);
		else
			p++;
	}
	return (size_t)(p - line);
}

struct text_check {
	const char *path;
	int rc;
};

static int check_line(const char *physical, long lineno, void *vctx)
{
	struct text_check *c = vctx;
	char *line = strndup(physical, comment_start(physical)); /* as clear_comments leaves it */
	const char *s = line, *name, *end, *p;
	int rc = 0;

	if (!line)
		return c->rc = fail(EX_OSERR, "out of memory");
	while (conf_ws(*s))
		s++;
	if (!*s || *s == '[')
		goto out; /* blank, a comment, or a section header (no expansion there) */
	name = s;
	end = skip_name(name);
	if (end[0] == ':' && end[1] == ':') {
		name = end + 2; /* section::name */
		end = skip_name(name);
	}
	if (*name == '.') {
		rc = fail(EX_DATAERR, "template %s line %ld: directives (.include, .pragma) are not "
				      "allowed: a template is one file, whose SHA-256 each certificate "
				      "records",
			  c->path, lineno);
		goto out;
	}
	for (p = s; *p && !rc;) {
		if (*p == '$')
			rc = fail(EX_DATAERR, "template %s line %ld: '$' expansions ($var, $ENV::NAME) "
					      "are not allowed: a template is one file, whose SHA-256 "
					      "each certificate records (write a literal '$' as '\\$')",
				  c->path, lineno);
		else if (conf_quote(*p))
			p = skip_quoted(p);
		else if (*p == '\\')
			p = skip_escape(p);
		else
			p++;
	}
out:
	free(line);
	return c->rc = rc;
}

int template_text_check(const char *path, const char *text, size_t len)
{
	struct text_check c = {path, 0};
	const char *nul = memchr(text, '\0', len);
	long line = 1;
	int rc;

	if (nul) {
		for (const char *p = text; p < nul; p++)
			line += *p == '\n';
		return fail(EX_DATAERR, "template %s line %ld: a NUL byte: a template is text", path,
			    line);
	}
	rc = conf_lines(text, len, check_line, &c);
	if (rc < 0)
		return fail(EX_OSERR, "out of memory");
	return c.rc;
}
