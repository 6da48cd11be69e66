/*
 * Reading what admins paste from their Exchange servers: the output of
 * 'Get-ExchangeCertificate | Format-List', often inside a whole console
 * session (prompts, event-log entries, notes in any language).
 *
 * A pure function over a byte buffer: no files, no store, no output, so
 * that a fuzzer can call it. Problems become notes with line numbers; the
 * caller decides how to show them.
 *
 * How the text is read:
 *  - lines are "property" lines (Name : Value, Name being a .NET property
 *    name at the start of the line, or a certificate property indented as
 *    a whole pasted block may be), continuation lines (indented deeper than
 *    the property line above them: Format-List wraps long values), blank
 *    lines and anything else (prompts, prose, event text: skipped);
 *  - a run of property lines is one object; a property that appears twice
 *    starts a new object (two pasted blocks with the blank line lost);
 *  - a certificate is an object with a Thumbprint and at least one other
 *    certificate property;
 *  - a stray blank line inside a certificate splits it in two: a part
 *    without a Thumbprint, made only of certificate property names that
 *    the neighbouring certificate lacks, is joined to it (the next one
 *    first: Format-List prints Thumbprint last).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exchange.h"
#include "inventory_parser.h"
#include "common/common.h"

/* ---- decoding ---- */

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

/* ---- lines ---- */

static int name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/*
 * "Name : Value" at the start of a line, Name a .NET property name. A drive
 * letter ("C:\>") or a URL scheme ("http://") is not a property.
 */
static enum line_kind classify(char *line, char **name, char **value, size_t *indent)
{
	char *p = line, *end;
	int indented;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return LINE_BLANK;
	indented = p != line;
	*indent = (size_t)(p - line);
	line = p;
	if (!isalpha((unsigned char)*p))
		return indented ? LINE_CONT : LINE_TEXT;
	while (name_char(*p))
		p++;
	end = p;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != ':')
		return indented ? LINE_CONT : LINE_TEXT;
	/*
	 * An indented "Name : Value" is a block pasted with an indent (a ticket,
	 * a mail) when Name is a certificate property and the colon stands apart
	 * as Format-List writes it; else it continues the value above.
	 */
	if (indented) {
		char saved = *end;
		int known;

		*end = '\0';
		known = inv_is_cert_property(line);
		*end = saved;
		if (!known || end == p || (p[1] != ' ' && p[1] != '\0'))
			return LINE_CONT;
	}
	if (p[1] == '\\' || p[1] == '/' || p[1] == ':')
		return LINE_TEXT;
	*end = '\0';
	*name = line;
	p++;
	if (*p == ' ')
		p++;
	*value = p;
	return LINE_PROP;
}

static void rtrim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

/* Control characters from the file never reach a note or the report. */
static void blank_controls(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

static struct run *new_run(struct parser *p, long line, int blank_gap)
{
	struct run *grown = inv_grow(p->runs, &p->cap_runs, p->n_runs + 1, sizeof(*grown));

	if (!grown) {
		p->oom = 1;
		return NULL;
	}
	p->runs = grown;
	memset(&p->runs[p->n_runs], 0, sizeof(struct run));
	p->runs[p->n_runs].first = p->runs[p->n_runs].last = line;
	p->runs[p->n_runs].blank_gap = blank_gap;
	return &p->runs[p->n_runs++];
}

static int add_prop(struct parser *p, struct run *r, const char *name, const char *value,
		    long line)
{
	struct prop *grown = inv_grow(r->props, &r->cap, r->n + 1, sizeof(*grown));

	if (!grown) {
		p->oom = 1;
		return -1;
	}
	r->props = grown;
	r->props[r->n].name = strdup(name);
	r->props[r->n].value = strdup(value);
	r->props[r->n].line = line;
	if (!r->props[r->n].name || !r->props[r->n].value) {
		free(r->props[r->n].name);
		free(r->props[r->n].value);
		p->oom = 1;
		return -1;
	}
	r->n++;
	r->last = line;
	return 0;
}

/*
 * Format-List wraps a long value at the console width, in the middle of a
 * word, so a continuation joins without a space. One trailing space on the
 * wrapped line means the break was between words; more than one is the
 * padding a console copy adds to every line, which says nothing.
 */
static int continue_value(struct parser *p, struct run *r, const char *more, int space,
			  long line)
{
	struct prop *last = &r->props[r->n - 1];
	size_t a = strlen(last->value), b = strlen(more);
	char *joined = realloc(last->value, a + b + 2);

	if (!joined) {
		p->oom = 1;
		return -1;
	}
	if (space && a > 0)
		joined[a++] = ' ';
	memcpy(joined + a, more, b + 1);
	last->value = joined;
	r->last = line;
	return 0;
}

static size_t trailing_blanks(const char *s)
{
	size_t n = strlen(s), k = 0;

	while (k < n && (s[n - 1 - k] == ' ' || s[n - 1 - k] == '\t'))
		k++;
	return k;
}

static int split_lines(struct parser *p, char *text)
{
	char *line, *next;
	long lineno = 0, blanks = 0;
	struct run *cur = NULL;
	int gap_clean = 0, space_before = 0;
	size_t prop_indent = 0;

	for (line = text; line && *line; line = next) {
		char *name = NULL, *value = NULL, *nl = strpbrk(line, "\r\n");
		size_t trail, indent = 0;
		enum line_kind kind;

		next = NULL;
		if (nl) {
			next = nl + 1 + (nl[0] == '\r' && nl[1] == '\n');
			*nl = '\0';
		}
		lineno++;
		blank_controls(line);
		trail = trailing_blanks(line);
		rtrim(line);
		kind = classify(line, &name, &value, &indent);
		/* a continuation is indented deeper than the property it continues */
		if (kind == LINE_CONT && (!cur || indent <= prop_indent))
			kind = LINE_TEXT;
		switch (kind) {
		case LINE_BLANK:
			blanks++;
			cur = NULL;
			break;
		case LINE_TEXT:
			cur = NULL;
			gap_clean = 0;
			break;
		case LINE_CONT:
			line += strspn(line, " \t");
			if (continue_value(p, cur, line, space_before, lineno))
				return -1;
			space_before = trail == 1;
			break;
		case LINE_PROP:
			if (!cur || cur->n >= MAX_PROPS || inv_find_prop(cur, name)) {
				int adjacent = cur ? 1 : gap_clean && blanks <= MAX_STRAY_BLANKS;

				if (!(cur = new_run(p, lineno, adjacent)))
					return -1;
			}
			if (add_prop(p, cur, name, value, lineno))
				return -1;
			prop_indent = indent;
			space_before = trail == 1;
			blanks = 0;
			gap_clean = 1;
			break;
		}
	}
	p->inv->lines = lineno;
	return 0;
}

/* ---- joining the parts of one certificate ---- */

/* Only certificate property names, none of them also in other. */
static int joinable(const struct run *part, const struct run *other)
{
	size_t i;

	if (part->dead || other->dead || inv_has_thumbprint(part) || part->n == 0)
		return 0;
	for (i = 0; i < part->n; i++)
		if (!inv_is_cert_property(part->props[i].name) || inv_find_prop(other, part->props[i].name))
			return 0;
	return 1;
}

static int absorb(struct parser *p, struct run *into, struct run *from, int in_front)
{
	size_t into_index = (size_t)(into - p->runs);
	struct prop *merged;
	size_t n = into->n + from->n;
	long blank = in_front ? from->last + 1 : into->last + 1;

	merged = malloc((n ? n : 1) * sizeof(*merged));
	if (!merged) {
		p->oom = 1;
		return -1;
	}
	if (in_front) {
		memcpy(merged, from->props, from->n * sizeof(*merged));
		memcpy(merged + from->n, into->props, into->n * sizeof(*merged));
		into->first = from->first;
	} else {
		memcpy(merged, into->props, into->n * sizeof(*merged));
		memcpy(merged + into->n, from->props, from->n * sizeof(*merged));
		into->last = from->last;
	}
	free(into->props);
	free(from->props);
	into->props = merged;
	into->n = into->cap = n;
	from->props = NULL;
	from->n = from->cap = 0;
	from->dead = 1;
	from->into = into_index;
	inv_note(p, blank, "a blank line inside the certificate at lines %ld-%ld: its parts were joined",
	     into->first, into->last);
	return 0;
}

static int join_parts(struct parser *p)
{
	size_t i;

	/* a part before its certificate (the stray blank line came before Thumbprint) */
	for (i = p->n_runs; i-- > 1;) {
		struct run *part = &p->runs[i - 1], *cert = &p->runs[i];
		int adjacent = cert->blank_gap;

		while (cert->dead) /* the next part already joined a certificate further on */
			cert = &p->runs[cert->into];
		if (adjacent && inv_has_thumbprint(cert) && joinable(part, cert) &&
		    absorb(p, cert, part, 1))
			return -1;
	}
	/* a part after it (Thumbprint printed first, as in 'fl Thumbprint,*') */
	for (i = 1; i < p->n_runs; i++) {
		struct run *part = &p->runs[i], *cert = NULL;
		size_t j = i;

		if (!part->blank_gap)
			continue;
		while (j > 0 && !cert)
			if (!p->runs[--j].dead)
				cert = &p->runs[j];
		if (cert && inv_has_thumbprint(cert) && joinable(part, cert) &&
		    absorb(p, cert, part, 0))
			return -1;
	}
	return 0;
}

/* ---- the whole file ---- */

static int by_line(const void *a, const void *b)
{
	const struct inv_note *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x < y ? -1 : x > y;
}

static void free_runs(struct parser *p)
{
	size_t i, j;

	for (i = 0; i < p->n_runs; i++) {
		for (j = 0; j < p->runs[i].n; j++) {
			free(p->runs[i].props[j].name);
			free(p->runs[i].props[j].value);
		}
		free(p->runs[i].props);
	}
	free(p->runs);
}

struct keyed {
	const char *thumbprint;
	size_t index;
};

static int by_thumbprint(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->thumbprint, y->thumbprint);

	return c ? c : x->index < y->index ? -1 : x->index > y->index;
}

/* The same certificate pasted twice (or installed on two servers): sorted, not n^2. */
static int mark_duplicates(struct parser *p)
{
	struct inventory *inv = p->inv;
	struct keyed *order;
	size_t i, first = 0;

	if (inv->n_certs < 2)
		return 0;
	if (!(order = malloc(inv->n_certs * sizeof(*order)))) {
		p->oom = 1;
		return -1;
	}
	for (i = 0; i < inv->n_certs; i++) {
		order[i].thumbprint = inv->certs[i].thumbprint;
		order[i].index = i;
	}
	qsort(order, inv->n_certs, sizeof(*order), by_thumbprint);
	for (i = 1; i < inv->n_certs; i++) {
		struct inv_cert *c = &inv->certs[order[i].index];

		if (strcmp(order[i].thumbprint, order[i - 1].thumbprint)) {
			first = i;
			continue;
		}
		if (!c->thumbprint_ok)
			continue;
		c->duplicate_of = (long)order[first].index + 1;
		inv_note(p, c->line, "certificate %s is listed again (first at line %ld)", c->thumbprint,
		     inv->certs[order[first].index].line);
	}
	free(order);
	return p->oom ? -1 : 0;
}

static int collect_certs(struct parser *p, unsigned option)
{
	struct inventory *inv = p->inv;
	size_t i, j, other_known;

	for (i = 0; i < p->n_runs && !p->oom; i++) {
		struct run *r = &p->runs[i];
		struct inv_cert *grown;

		if (r->dead)
			continue;
		if (!inv_has_thumbprint(r)) {
			for (j = 0, other_known = 0; j < r->n; j++)
				other_known += inv_is_cert_property(r->props[j].name);
			if (other_known >= 3)
				inv_note(p, r->first, "lines %ld-%ld look like part of a certificate but have no "
						  "Thumbprint: skipped",
				     r->first, r->last);
			continue;
		}
		for (j = 0, other_known = 0; j < r->n; j++)
			other_known += inv_is_cert_property(r->props[j].name) &&
				       strcasecmp(r->props[j].name, "Thumbprint");
		if (other_known == 0) {
			inv_note(p, inv_find_prop(r, "Thumbprint")->line,
			     "a Thumbprint line without any other certificate property (event-log "
			     "text?): skipped");
			continue;
		}
		grown = inv_grow(inv->certs, &inv->cap_certs, inv->n_certs + 1, sizeof(*grown));
		if (!grown) {
			p->oom = 1;
			break;
		}
		inv->certs = grown;
		if (inventory_read_cert(p, r, &inv->certs[inv->n_certs])) {
			inventory_cert_free(&inv->certs[inv->n_certs]);
			break;
		}
		inventory_report_order(p, &inv->certs[inv->n_certs], option);
		inv->n_certs++;
	}
	return p->oom ? -1 : mark_duplicates(p);
}

int inventory_parse(const unsigned char *data, size_t len, const struct inventory_options *o,
		    struct inventory *out)
{
	struct parser p = {out, NULL, 0, 0, 0};
	char *text = NULL;
	size_t text_len = 0;
	const char *enc = NULL;
	long bad_line = 0;
	unsigned option = o ? o->date_order : 0;

	memset(out, 0, sizeof(*out));
	if (text_to_utf8(data, len, &text, &text_len, &enc) == 0) {
		out->encoding = enc;
	} else {
		text = lossy_utf8(data, len, &text_len, &bad_line);
		if (!text)
			return -1;
		out->encoding = "unknown (invalid UTF-8)";
		inv_note(&p, bad_line ? bad_line : 1,
		     "the file is neither UTF-8 nor UTF-16 (a legacy code page?): unreadable bytes "
		     "were replaced; save it as UTF-8 or UTF-16");
	}
	/* iconv keeps NUL characters: they end no line and hide no text */
	for (size_t i = 0; i < text_len; i++)
		if (text[i] == '\0')
			text[i] = ' ';
	if (split_lines(&p, text) || join_parts(&p) || collect_certs(&p, option))
		p.oom = 1;
	free(text);
	free_runs(&p);
	if (out->n_notes > 1)
		qsort(out->notes, out->n_notes, sizeof(*out->notes), by_line);
	if (p.oom) {
		inventory_free(out);
		return -1;
	}
	return 0;
}

void inventory_cert_free(struct inv_cert *c)
{
	size_t i;

	free(c->thumbprint);
	free(c->subject);
	free(c->issuer);
	free(c->services);
	free(c->status);
	for (i = 0; i < c->n_domains; i++)
		free(c->domains[i]);
	free(c->domains);
	free(c->not_before.text);
	free(c->not_after.text);
	memset(c, 0, sizeof(*c));
}

void inventory_free(struct inventory *inv)
{
	size_t i;

	for (i = 0; i < inv->n_certs; i++)
		inventory_cert_free(&inv->certs[i]);
	free(inv->certs);
	for (i = 0; i < inv->n_notes; i++)
		free(inv->notes[i].text);
	free(inv->notes);
	memset(inv, 0, sizeof(*inv));
}
