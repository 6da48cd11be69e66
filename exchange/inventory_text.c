/*
 * The pasted text as lines, undoing what a browser, a rich-text editor or a
 * mail client did to the console output:
 *  - UTF-8 or UTF-16 (BOM or not, common/text.c), else legacy bytes kept
 *    where valid and replaced (U+FFFD) where not, and said;
 *  - CRLF, LF and lone CR line ends, mixed;
 *  - every Unicode space (U+00A0, U+2000-U+200A, U+2007, U+202F, U+205F,
 *    U+3000, U+1680) and tabs become one ' ', so that column padding made
 *    of no-break spaces is padding again; zero-width characters (U+200B,
 *    U+2060, U+FEFF) inside a line go; other control characters become ' ';
 *  - a mail reply's quote marks ("> ", ">> ", "> > ") at the start of a
 *    line are taken off; the line's width as pasted is kept, so that the
 *    Format-List reader can tell a line a mail client wrapped;
 *  - the indent common to every line of a block (lines between blank lines)
 *    goes: a web page's code block or a mail that quotes with spaces indents
 *    the whole paste, which says nothing; indents within a block stay;
 *  - prompts (PS C:\>, [PS] C:\Windows\system32>, C:\>) start a new console
 *    output: dates are compared within one (date_order.c).
 * One line in, one line out: line numbers are those of the file.
 */
#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exchange.h"
#include "inventory_parser.h"
#include "common/common.h"

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	len = p[0] >= 0xF0 && p[0] <= 0xF4 ? 4 : p[0] >= 0xE0 && p[0] < 0xF0 ? 3
	      : p[0] >= 0xC2 && p[0] < 0xE0 ? 2 : 0;
	if (len == 0 || len > n)
		return 0;
	for (i = 1; i < len; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	/* no overlong forms, no surrogates, nothing above U+10FFFF (jansson refuses them) */
	if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0) ||
	    (p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90))
		return 0;
	return len;
}

/*
 * Text that is neither UTF-8 nor UTF-16 (a console paste saved by an old
 * Notepad in a legacy code page): keep what is valid, replace each other
 * byte with U+FFFD, so that the ASCII parts (names, numbers) still read.
 */
static char *lossy_utf8(const unsigned char *in, size_t len, size_t *out_len, long *first_bad)
{
	char *out = malloc(len * 3 + 1);
	size_t i = 0, o = 0;
	long line = 1;

	*first_bad = 0;
	if (!out)
		return NULL;
	if (len >= 3 && in[0] == 0xEF && in[1] == 0xBB && in[2] == 0xBF)
		i = 3;
	while (i < len) {
		size_t n = utf8_seq(in + i, len - i);

		if (in[i] == '\n')
			line++;
		if (n == 0 || in[i] == 0) {
			if (!*first_bad)
				*first_bad = line;
			if (in[i] != 0) {
				memcpy(out + o, "\xEF\xBF\xBD", 3);
				o += 3;
			}
			i++;
			continue;
		}
		memcpy(out + o, in + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}

/* At p (n bytes left): 1 a space, 2 a character that goes, 0 anything else; *len its bytes. */
static int space_kind(const unsigned char *p, size_t n, size_t *len)
{
	*len = 1;
	if (p[0] == '\t' || p[0] == ' ')
		return 1;
	if (p[0] < 0x20 || p[0] == 0x7f)
		return 1; /* control characters never reach a note or the report */
	if (n >= 2 && p[0] == 0xC2 && p[1] == 0xA0) {
		*len = 2;
		return 1;
	}
	if (n < 3)
		return 0;
	*len = 3;
	if (p[0] == 0xE2 && p[1] == 0x80 && p[2] <= 0x8A)
		return 1; /* U+2000-U+200A, U+2007 among them */
	if (p[0] == 0xE2 && p[1] == 0x80 && p[2] == 0xAF)
		return 1; /* U+202F */
	if (p[0] == 0xE2 && p[1] == 0x81 && p[2] == 0x9F)
		return 1; /* U+205F */
	if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80)
		return 1; /* U+3000 */
	if (p[0] == 0xE1 && p[1] == 0x9A && p[2] == 0x80)
		return 1; /* U+1680 */
	if ((p[0] == 0xE2 && p[1] == 0x80 && p[2] == 0x8B) ||
	    (p[0] == 0xE2 && p[1] == 0x81 && p[2] == 0xA0) ||
	    (p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF))
		return 2; /* U+200B, U+2060, U+FEFF */
	*len = 1;
	return 0;
}

/* Takes off "> ", ">> ", "> > " at the start; 1 when it did. */
static int unquote(struct line *l)
{
	char *p = l->s;

	if (*p != '>')
		return 0;
	while (*p == '>') {
		p++;
		if (*p == ' ')
			p++;
	}
	l->len -= (size_t)(p - l->s);
	l->s = p;
	return 1;
}

/* PS C:\>, [PS] C:\Windows\system32>, PS /home/admin>, C:\>, PS> */
static int is_prompt(const char *s)
{
	if (!strncmp(s, "[PS] ", 5))
		s += 5;
	else if (!strncmp(s, "PS ", 3))
		s += 3;
	else if (!strncmp(s, "PS>", 3))
		return 1;
	if (isalpha((unsigned char)s[0]) && s[1] == ':' && s[2] == '\\')
		return strchr(s, '>') != NULL;
	return s[0] == '/' && strchr(s, '>') != NULL;
}

/* Eight bytes at p, all printable ASCII or spaces (0x20-0x7E): kept as they are. */
static int eight_plain(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	/* no byte below 0x20, no byte from 0x7F */
	return !((w - 0x2020202020202020ULL) & ~w & 0x8080808080808080ULL) &&
	       !(((w + 0x0101010101010101ULL) | w) & 0x8080808080808080ULL);
}

/*
 * Lines from..to-1 are done: the indent common to their block taken off
 * (a paste indented as a whole, in a web page's code block or a mail that
 * quotes with spaces, reads as the console wrote it), then prompts found,
 * which start a new console output.
 */
static void settle(struct parser *p, size_t from, size_t to, unsigned indent, long *seg)
{
	size_t i;

	for (i = from; i < to; i++) {
		struct line *l = &p->lines[i];

		if (l->len) {
			l->s += indent;
			l->len -= indent;
		}
		l->prompt = (unsigned char)is_prompt(l->s);
		*seg += l->prompt;
		l->seg = (unsigned)*seg;
	}
}

/*
 * Normalises len bytes from in into lines written at out: out may be in
 * (in place), or another buffer of len + 2 bytes (no line grows).
 */
static int make_lines(struct parser *p, const unsigned char *in, size_t text_len, char *out)
{
	const unsigned char *end = in + text_len;
	long seg = 0;
	size_t block = 0;         /* the first line of the block not settled yet */
	unsigned indent = UINT_MAX; /* the least indent of its lines so far */

	/*
	 * One allocation for all the lines (at most one per line end, plus the
	 * last): growing it by doubling copied and faulted in up to 1.5 times
	 * its final size on a 64 MiB paste. Untouched pages of an over-count
	 * (CRLF counts twice) cost nothing.
	 */
	size_t most = 1;
	const unsigned char *c;

	for (c = in; c < end && (c = memchr(c, '\n', (size_t)(end - c))); c++)
		most++;
	for (c = in; c < end && (c = memchr(c, '\r', (size_t)(end - c))); c++)
		most++;
	if (!(p->lines = inv_grow(p->lines, &p->cap_lines, most, sizeof(*p->lines)))) {
		p->oom = 1;
		return -1;
	}
	while (in < end) {
		struct line *l;
		char *start = out;
		unsigned width = 0, lead;
		size_t n;

		l = &p->lines[p->n_lines++];
		memset(l, 0, sizeof(*l));
		while (in < end && *in != '\n' && *in != '\r') {
			int kind;
			size_t i;

			/* most of a paste: printable ASCII and spaces, kept, eight bytes at a time */
			while (end - in >= 8 && eight_plain(in)) {
				memmove(out, in, 8); /* in place, out may trail in by less than 8 */
				out += 8;
				in += 8;
				width += 8;
			}
			if (in == end || *in == '\n' || *in == '\r')
				break;
			if (*in > ' ' && *in < 0x7f) { /* most of a paste: printable ASCII, kept */
				*out++ = (char)*in++;
				width++;
				continue;
			}
			kind = space_kind(in, (size_t)(end - in), &n);
			if (kind == 1) {
				*out++ = ' ';
				width++;
			} else if (kind == 0) {
				for (i = 0; i < n; i++) {
					width += (in[i] & 0xC0) != 0x80;
					*out++ = (char)in[i];
				}
			}
			in += n;
		}
		if (in < end)
			in += in[0] == '\r' && in + 1 < end && in[1] == '\n' ? 2 : 1;
		/* in place, never past in: every line ended with at least one byte, or the text did */
		*out++ = '\0';
		l->s = start;
		l->len = (size_t)(out - start) - 1;
		l->width = width;
		l->quoted = (unsigned char)unquote(l);
		while (l->len > 0 && l->s[l->len - 1] == ' ') {
			l->len--;
			l->trail += l->trail < 255;
		}
		l->s[l->len] = '\0';
		if (l->len && (!indent || l->s[0] != ' ')) {
			/* most lines: their block is not indented, so nothing waits */
			if (block + 1 < p->n_lines) /* the lines above it were indented, it is not */
				settle(p, block, p->n_lines - 1, 0, &seg);
			indent = 0;
			l->prompt = (unsigned char)is_prompt(l->s);
			seg += l->prompt;
			l->seg = (unsigned)seg;
			block = p->n_lines;
			continue;
		}
		if (!l->len) { /* a blank line ends a block */
			settle(p, block, p->n_lines, indent == UINT_MAX ? 0 : indent, &seg);
			block = p->n_lines;
			indent = UINT_MAX;
			continue;
		}
		/* indented, as every line of its block so far: it waits for the block's end */
		lead = (unsigned)strspn(l->s, " ");
		if (lead < indent)
			indent = lead;
	}
	settle(p, block, p->n_lines, indent == UINT_MAX ? 0 : indent, &seg);
	return 0;
}

/*
 * UTF-8 without a NUL byte is what text_to_utf8 would return unchanged (less
 * its BOM): read as it is, without iconv's round trip through UCS-4 (a 64 MiB
 * paste), and without a copy. 1 when it is, *skip the BOM's bytes.
 */
static int plain_utf8(const unsigned char *in, size_t len, size_t *skip)
{
	size_t i;

	*skip = len >= 3 && in[0] == 0xEF && in[1] == 0xBB && in[2] == 0xBF ? 3 : 0;
	for (i = *skip; i < len;) {
		uint64_t w;
		size_t n;

		/* eight ASCII bytes, none of them NUL, at a time */
		if (i + 8 <= len) {
			memcpy(&w, in + i, 8);
			if (!(w & 0x8080808080808080ULL) &&
			    !((w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL)) {
				i += 8;
				continue;
			}
		}
		if (in[i] == 0)
			return 0;
		if (in[i] < 0x80) {
			i++;
			continue;
		}
		if (!(n = utf8_seq(in + i, len - i)))
			return 0;
		i += n;
	}
	return 1;
}

int inv_text_lines(struct parser *p, const unsigned char *data, size_t len)
{
	char *text = NULL, *grown;
	size_t text_len = 0, skip;
	const char *enc = NULL;
	long bad_line = 0;

	if (plain_utf8(data, len, &skip)) {
		/* lines are written straight from the input: one pass, no copy first */
		p->inv->encoding = "UTF-8";
		if (!(p->text = malloc(len - skip + 2))) {
			p->oom = 1;
			return -1;
		}
		inv_huge_pages(p->text, len - skip + 2);
		if (make_lines(p, data + skip, len - skip, p->text))
			return -1;
		p->inv->lines = (long)p->n_lines;
		return 0;
	}
	if (text_to_utf8(data, len, &text, &text_len, &enc) == 0) {
		p->inv->encoding = enc;
	} else {
		text = lossy_utf8(data, len, &text_len, &bad_line);
		if (!text) {
			p->oom = 1;
			return -1;
		}
		p->inv->encoding = "unknown (invalid UTF-8)";
		inv_note(p, bad_line ? bad_line : 1,
			 "the file is neither UTF-8 nor UTF-16 (a legacy code page?): unreadable bytes "
			 "were replaced; save it as UTF-8 or UTF-16");
	}
	/* one more byte: the last line's terminating NUL when the text has no line end */
	if (!(grown = realloc(text, text_len + 2))) {
		free(text);
		p->oom = 1;
		return -1;
	}
	p->text = grown;
	if (make_lines(p, (const unsigned char *)p->text, text_len, p->text))
		return -1;
	p->inv->lines = (long)p->n_lines;
	return 0;
}
