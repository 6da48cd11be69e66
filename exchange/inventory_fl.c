/*
 * 'Get-ExchangeCertificate | Format-List' (and 'Get-ChildItem Cert:\... |
 * fl *'), often inside a whole console session (prompts, event-log
 * entries, notes in any language), over the lines no other reader claimed.
 *
 *  - lines are "property" lines (Name : Value, Name being a .NET property
 *    name at the start of the line, or a certificate property indented as
 *    a whole pasted block may be), continuation lines (indented deeper than
 *    the property line above them: Format-List wraps long values), blank
 *    lines and anything else (prompts, prose, event text: skipped);
 *  - a line that a mail client wrapped (the line above it is 60 to 80
 *    characters wide, its first word would not have fitted in 72, and it is
 *    neither indented nor a property) continues the value above, after a
 *    space, and is reported;
 *  - a run of property lines is one object; a property that appears twice
 *    starts a new object (two pasted blocks with the blank line lost);
 *  - a stray blank line inside a certificate splits it in two: a part
 *    without a Thumbprint, made only of certificate property names that
 *    the neighbouring certificate lacks, is joined to it (the next one
 *    first: Format-List prints Thumbprint last).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "exchange.h"
#include "inventory_parser.h"

enum line_kind { LINE_BLANK, LINE_PROP, LINE_CONT, LINE_TEXT };

/* A mail client wraps at 72 to 78 characters (plus its quote marks). */
#define WRAP_MIN 72
#define WRAP_WIDEST 80
#define WRAP_SHORTEST 60

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

	while (*p == ' ')
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
	while (*p == ' ')
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

/* The line below one of width w was wrapped off it by a mail client. */
static int mail_wrapped(unsigned w, const char *next)
{
	size_t word = strcspn(next, " ");

	return w >= WRAP_SHORTEST && w <= WRAP_WIDEST && w + 1 + word > WRAP_MIN;
}

/*
 * Format-List wraps a long value at the console width, in the middle of a
 * word, so a continuation joins without a space. One trailing space on the
 * wrapped line means the break was between words; more than one is the
 * padding a console copy adds to every line, which says nothing.
 */
static int split_lines(struct parser *p)
{
	long blanks = 0;
	struct run *cur = NULL;
	int gap_clean = 0, space_before = 0;
	size_t prop_indent = 0, i;
	unsigned last_width = 0;

	for (i = 0; i < p->n_lines && !p->oom; i++) {
		struct line *l = &p->lines[i];
		char *name = NULL, *value = NULL, *line = l->s;
		long lineno = (long)i + 1;
		size_t indent = 0, trail;
		enum line_kind kind;
		const char *canon;

		if (l->claimed || l->prompt) {
			cur = NULL;
			gap_clean = 0;
			continue;
		}
		trail = l->trail;
		kind = classify(line, &name, &value, &indent);
		/* a continuation is indented deeper than the property it continues */
		if (kind == LINE_CONT && (!cur || indent <= prop_indent))
			kind = LINE_TEXT;
		/* (a thumbprint has no space to wrap at) */
		if (kind == LINE_TEXT && cur && mail_wrapped(last_width, line) &&
		    strcasecmp(cur->props[cur->n - 1].name, "Thumbprint")) {
			struct prop *last = &cur->props[cur->n - 1];

			if (inv_append(p, cur, line, l->len, 1, lineno))
				return -1;
			inv_note(p, lineno, "joined to the %s value above (a mail client wrapped the "
					    "line)",
				 last->name);
			last_width = l->width;
			continue;
		}
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
			line += indent;
			if (inv_append(p, cur, line, strlen(line), space_before, lineno))
				return -1;
			space_before = trail == 1;
			break;
		case LINE_PROP:
			if (!cur || cur->n >= MAX_PROPS || inv_find_prop(cur, name)) {
				int adjacent = cur ? 1 : gap_clean && blanks <= MAX_STRAY_BLANKS;

				if (!(cur = inv_new_run(p, lineno, INV_FL)))
					return -1;
				cur->blank_gap = adjacent;
			}
			canon = inv_cert_property(name);
			if (inv_add_prop_in_text(p, cur, canon ? canon : name, value, strlen(value),
						 lineno))
				return -1;
			prop_indent = indent;
			space_before = trail == 1;
			blanks = 0;
			gap_clean = 1;
			break;
		}
		last_width = l->width;
	}
	return p->oom ? -1 : 0;
}

/* ---- joining the parts of one certificate ---- */

/* Only certificate property names, none of them also in other. */
static int joinable(const struct run *part, const struct run *other)
{
	size_t i;

	if (part->dead || other->dead || part->format != INV_FL ||
	    other->format != INV_FL || inv_has_thumbprint(part) || part->n == 0)
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
	inv_free_props(into);
	inv_free_props(from);
	into->props = merged;
	into->n = into->cap = n;
	from->n = from->cap = 0;
	from->dead = 1;
	from->into = into_index;
	inv_note(p, blank, "a blank line inside the certificate at lines %ld-%ld: its parts were joined",
		 into->first, into->last);
	return 0;
}

static int join_parts(struct parser *p, size_t from)
{
	size_t i;

	/* a part before its certificate (the stray blank line came before Thumbprint) */
	for (i = p->n_runs; i-- > from + 1;) {
		struct run *part = &p->runs[i - 1], *cert = &p->runs[i];
		int adjacent = cert->blank_gap;

		while (cert->dead) /* the next part already joined a certificate further on */
			cert = &p->runs[cert->into];
		if (adjacent && inv_has_thumbprint(cert) && joinable(part, cert) &&
		    absorb(p, cert, part, 1))
			return -1;
	}
	/* a part after it (Thumbprint printed first, as in 'fl Thumbprint,*') */
	for (i = from + 1; i < p->n_runs; i++) {
		struct run *part = &p->runs[i], *cert = NULL;
		size_t j = i;

		if (!part->blank_gap)
			continue;
		while (j > from && !cert)
			if (!p->runs[--j].dead)
				cert = &p->runs[j];
		if (cert && inv_has_thumbprint(cert) && joinable(part, cert) &&
		    absorb(p, cert, part, 0))
			return -1;
	}
	return 0;
}

int inv_read_fl(struct parser *p)
{
	size_t from = p->n_runs;

	if (split_lines(p) || join_parts(p, from))
		return -1;
	return 0;
}
