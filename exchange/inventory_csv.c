/*
 * 'Get-ExchangeCertificate | Export-Csv' (or ConvertTo-Csv): an optional
 * "#TYPE ..." line, a header row naming the properties (Thumbprint among
 * them), then one row per certificate. Fields are quoted ("a","b") or not,
 * separated by ',' or, with -UseCulture in many cultures, ';'. A quoted
 * field may go on over a line end (a mail client wrapped the row): the
 * parts join with a space. The table ends at a blank line, a prompt, or a
 * line that is not a row of it.
 */
#include <stdlib.h>
#include <string.h>

#include "exchange.h"
#include "inventory_parser.h"

#define CSV_COLUMNS_MAX 128

struct field {
	char *text;           /* malloc'ed, unquoted */
	size_t len, cap;
	long line;
};

struct row {
	struct field f[CSV_COLUMNS_MAX];
	size_t n;
	size_t next;          /* index of the first line after the row */
	int wrapped;          /* a quoted field went on over a line end */
	int too_many;
};

static void row_clear(struct row *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->f[i].text);
	memset(r, 0, sizeof(*r));
}

static int put(struct field *f, char c)
{
	if (f->len + 2 > f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 32;
		char *grown;

		if (cap > VALUE_MAX + 2)
			cap = VALUE_MAX + 2;
		if (f->len + 2 > cap)
			return 0; /* longer than a value may be: the rest is dropped */
		if (!(grown = realloc(f->text, cap)))
			return -1;
		f->text = grown;
		f->cap = cap;
	}
	f->text[f->len++] = c;
	f->text[f->len] = '\0';
	return 0;
}

/*
 * One row from line i on, fields split at sep. A row is complete at the end
 * of a line outside quotes; inside quotes it goes on over at most
 * max_lines lines. 0, -1 on OOM, 1 when it is no row (quote never closed).
 */
static int read_row(struct parser *p, size_t i, char sep, struct row *r, size_t max_lines)
{
	int quoted = 0, was_quoted = 0;
	size_t lines = 0;
	struct field *f;

	memset(r, 0, sizeof(*r));
	r->n = 1;
	f = &r->f[0];
	f->line = (long)i + 1;
	for (; i < p->n_lines && lines < max_lines; i++, lines++) {
		const struct line *l = &p->lines[i];
		const char *s = l->s;

		if (lines && (l->claimed || l->prompt || !l->len))
			break;
		for (; *s; s++) {
			if (quoted) {
				if (*s == '"' && s[1] == '"')
					s++;
				else if (*s == '"') {
					quoted = 0;
					continue;
				}
				if (put(f, *s))
					return -1;
			} else if (*s == '"' && !was_quoted && f->len == 0) {
				quoted = was_quoted = 1;
			} else if (*s == sep) {
				if (r->n == CSV_COLUMNS_MAX) {
					r->too_many = 1;
					break;
				}
				f = &r->f[r->n++];
				f->line = (long)i + 1;
				was_quoted = 0;
			} else if (put(f, *s)) {
				return -1;
			}
		}
		if (!quoted) {
			r->next = i + 1;
			return 0;
		}
		r->wrapped = 1;
		if (put(f, ' '))
			return -1;
	}
	return 1;
}

/* The column names of a header row: Thumbprint and at least two more certificate properties. */
static int header_ok(const struct row *h)
{
	size_t i, known = 0, thumb = 0;

	for (i = 0; i < h->n; i++) {
		if (!h->f[i].text || !h->f[i].len)
			return 0;
		thumb += !strcasecmp(h->f[i].text, "Thumbprint");
		known += inv_is_cert_property(h->f[i].text);
	}
	return thumb == 1 && known >= 3;
}

/* Export-Csv writes a list as its .NET type name: no names there. */
static int type_name(const char *v)
{
	return strchr(v, '`') || ((!strncmp(v, "System.", 7) || !strncmp(v, "Microsoft.", 10)) &&
				  strchr(v, '['));
}

static int add_record(struct parser *p, const struct row *h, const struct row *r, long first,
		      long last)
{
	struct run *run = inv_new_run(p, first, INV_CSV);
	size_t i;

	if (!run)
		return -1;
	run->last = last;
	for (i = 0; i < h->n && i < r->n; i++) {
		const char *v = r->f[i].text ? r->f[i].text : "";
		const char *name = inv_cert_property(h->f[i].text);

		if (!*v || !name || inv_find_prop(run, name))
			continue;
		if (type_name(v)) {
			if (strcasecmp(h->f[i].text, "CertificateDomains") &&
			    strcasecmp(h->f[i].text, "DnsNameList"))
				continue;
			inv_note(p, r->f[i].line, "%s holds a .NET type name, not its values "
						  "(Export-Csv does not write lists): the subject's CN stands in",
				 h->f[i].text);
			continue;
		}
		if (inv_add_prop(p, run, name, v, strlen(v), r->f[i].line))
			return -1;
	}
	if (r->n != h->n)
		inv_note(p, first, "this row has %zu fields where the header (line %ld) has %zu%s", r->n,
			 h->f[0].line, h->n, r->n < h->n ? ": the row was cut" : "");
	if (r->wrapped)
		inv_note(p, first, "a quoted field went on over a line end (a mail client wrapped "
				   "the row): joined");
	return 0;
}

int inv_read_csv(struct parser *p)
{
	static const char seps[] = {',', ';', '\t'};
	size_t i, s;
	struct row h, r;

	for (i = 0; i < p->n_lines && !p->oom; i++) {
		const struct line *l = &p->lines[i];

		if (l->claimed || l->prompt || !l->len ||
		    (l->s[0] != '"' && l->s[0] != '#' && !strchr(l->s, ',') && !strchr(l->s, ';')) ||
		    !strpbrk(l->s, "bB") || !strcasestr(l->s, "Thumbprint")) /* 'b': cheap, first */
			continue;
		for (s = 0; s < sizeof(seps); s++) {
			int rc = read_row(p, i, seps[s], &h, 1);
			size_t j;

			if (rc < 0)
				goto oom;
			if (rc > 0 || !header_ok(&h)) {
				row_clear(&h);
				continue;
			}
			p->lines[i].claimed = 1;
			if (i > 0 && !strncmp(p->lines[i - 1].s, "#TYPE", 5))
				p->lines[i - 1].claimed = 1;
			for (j = h.next; j < p->n_lines && p->lines[j].len && !p->lines[j].prompt &&
					 !p->lines[j].claimed;) {
				size_t k;

				rc = read_row(p, j, seps[s], &r, 8);
				if (rc < 0) {
					row_clear(&h);
					goto oom;
				}
				if (rc > 0 || r.n < 2) {
					row_clear(&r);
					break;
				}
				if (add_record(p, &h, &r, (long)j + 1, (long)r.next)) {
					row_clear(&r);
					row_clear(&h);
					goto oom;
				}
				for (k = j; k < r.next; k++)
					p->lines[k].claimed = 1;
				j = r.next;
				row_clear(&r);
			}
			i = j - 1;
			row_clear(&h);
			break;
		}
	}
	return p->oom ? -1 : 0;
oom:
	p->oom = 1;
	return -1;
}
