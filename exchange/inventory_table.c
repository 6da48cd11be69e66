/*
 * 'Get-ExchangeCertificate | Format-Table' (ft): a header line of column
 * names, a line of dashes under each name, then one row per certificate:
 *
 *   Thumbprint                                Services   Subject
 *   ----------                                --------   -------
 *   C1A0000000000000000000000000000000000001  IP..S..    CN=mail-hub1
 *
 * A column starts where its dashes start and ends where the next column's
 * start (the last one at the end of the line); columns are counted in
 * characters, not bytes. Format-Table cuts a value that does not fit with
 * "..." (PowerShell 7: "…"): such a value is kept as written, marked cut
 * and reported, never completed. A line whose Thumbprint column holds no
 * hexadecimal digits, right under a row, is that row's last column wrapped
 * by a mail client: joined, and said. The table ends at a blank line, a
 * prompt or a line that is neither.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "exchange.h"
#include "inventory_parser.h"

#define TABLE_COLUMNS_MAX 32

struct column {
	size_t start;         /* in characters */
	char name[40];
};

/* Byte offset of character col in s (the end when s is shorter). */
static size_t byte_at(const char *s, size_t len, size_t col)
{
	size_t i = 0, c = 0;

	while (i < len && c < col) {
		i++;
		while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
			i++;
		c++;
	}
	return i;
}

/* Dashes under the names: groups of '-' separated by spaces. Returns the number of groups. */
static size_t dash_groups(const struct line *l, struct column *cols)
{
	size_t i = 0, n = 0;

	if (!l->len || strspn(l->s, "- ") != l->len || l->s[0] != '-')
		return 0;
	while (i < l->len) {
		if (l->s[i] == '-' && (i == 0 || l->s[i - 1] == ' ')) {
			if (n == TABLE_COLUMNS_MAX)
				return 0;
			cols[n++].start = i; /* the dash line is ASCII: bytes are characters */
		}
		i++;
	}
	return n;
}

/* The text of column k of line s, trimmed, into out (at most cap bytes). */
static size_t cell(const char *s, size_t len, const struct column *cols, size_t n, size_t k,
		   const char **out)
{
	size_t a = byte_at(s, len, cols[k].start);
	size_t b = k + 1 < n ? byte_at(s, len, cols[k + 1].start) : len;

	while (a < b && s[a] == ' ')
		a++;
	while (b > a && s[b - 1] == ' ')
		b--;
	*out = s + a;
	return b - a;
}

static int header(const struct line *h, struct column *cols, size_t n, size_t *thumb)
{
	size_t k, known = 0;

	*thumb = n;
	for (k = 0; k < n; k++) {
		const char *name;
		size_t len = cell(h->s, h->len, cols, n, k, &name);

		if (!len || len >= sizeof(cols[k].name))
			return 0;
		memcpy(cols[k].name, name, len);
		cols[k].name[len] = '\0';
		if (!strcasecmp(cols[k].name, "Thumbprint"))
			*thumb = k;
		known += inv_is_cert_property(cols[k].name);
	}
	return *thumb < n && known >= 2;
}

static int is_cut(const char *v, size_t len)
{
	return (len >= 3 && !memcmp(v + len - 3, "...", 3) &&
		!(len <= 8 && strspn(v, "IPUWSFC.") == len)) ||
	       (len >= 3 && !memcmp(v + len - 3, "\xE2\x80\xA6", 3));
}

/* A thumbprint, maybe cut: eight or more hexadecimal digits (spaces allowed), then "..." or not. */
static int hexish(const char *v, size_t len)
{
	size_t i, hex = 0;

	if (len >= 3 && (!memcmp(v + len - 3, "...", 3) || !memcmp(v + len - 3, "\xE2\x80\xA6", 3)))
		len -= 3;
	for (i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)v[i]) && v[i] != ' ')
			return 0;
		hex += v[i] != ' ';
	}
	return hex >= 8;
}

static int add_row(struct parser *p, const struct line *l, long lineno, const struct column *cols,
		   size_t n)
{
	struct run *run = inv_new_run(p, lineno, INV_TABLE);
	size_t k;

	if (!run)
		return -1;
	for (k = 0; k < n; k++) {
		const char *v, *name = inv_cert_property(cols[k].name);
		size_t len = cell(l->s, l->len, cols, n, k, &v);

		if (!len || !name || inv_find_prop(run, name))
			continue;
		if (inv_add_prop(p, run, name, v, len, lineno))
			return -1;
		if (is_cut(v, len)) {
			run->props[run->n - 1].cut = 1;
			inv_note(p, lineno, "Format-Table cut the %s column ('%.*s'): widen the console, "
					    "or use 'fl' or '-AutoSize'",
				 cols[k].name, (int)(len > QUOTE_MAX ? QUOTE_MAX : len), v);
		}
	}
	return 0;
}

int inv_read_table(struct parser *p)
{
	struct column cols[TABLE_COLUMNS_MAX];
	size_t i, j, n, thumb;

	for (i = 0; i + 1 < p->n_lines && !p->oom; i++) {
		struct run *last = NULL;

		if (p->lines[i].claimed || p->lines[i + 1].claimed ||
		    !(n = dash_groups(&p->lines[i + 1], cols)) || !header(&p->lines[i], cols, n, &thumb))
			continue;
		p->lines[i].claimed = p->lines[i + 1].claimed = 1;
		for (j = i + 2; j < p->n_lines; j++) {
			struct line *l = &p->lines[j];
			const char *v;
			size_t len;

			if (l->claimed || l->prompt || !l->len)
				break;
			len = cell(l->s, l->len, cols, n, thumb, &v);
			if (hexish(v, len)) {
				if (add_row(p, l, (long)j + 1, cols, n))
					return -1;
				last = &p->runs[p->n_runs - 1];
			} else if (last && last->n && l->s[0] != ' ' && !memchr(l->s, ':', l->len)) {
				/* under a row, no thumbprint: its last column, wrapped by a mail client */
				if (inv_append(p, last, l->s, l->len, 1, (long)j + 1))
					return -1;
				inv_note(p, (long)j + 1, "joined to the %s value above (a mail client "
							 "wrapped the line)",
					 last->props[last->n - 1].name);
			} else {
				break;
			}
			l->claimed = 1;
		}
		i = j - 1;
	}
	return p->oom ? -1 : 0;
}
