/*
 * Reading what admins paste from their servers: the output of
 * 'Get-ExchangeCertificate' as Format-List, Format-Table, Export-Csv or
 * ConvertTo-Json, of 'Get-ChildItem Cert:\\... | fl *' and of 'certutil
 * -store My', as typed or as copied through web pages and mail, often
 * inside a whole console session (prompts, event-log entries, notes in any
 * language).
 *
 * A pure function over a byte buffer: no files, no store, no output, so
 * that a fuzzer can call it. Problems become notes with line numbers; the
 * caller decides how to show them.
 *
 * The text becomes lines (inventory_text.c); each format's reader claims
 * the lines it recognises and makes runs of properties named as
 * Format-List names them (ConvertTo-Json first, then Export-Csv, certutil,
 * Format-Table, and Format-List over what is left); a run is a certificate
 * when it has a Thumbprint and another certificate property, or, cut short,
 * a SerialNumber and two more (inventory_cert.c reads it); the day/month
 * order of every certificate's dates is then decided from the whole output
 * (date_order.c).
 */
#include <stdlib.h>
#include <string.h>

#include "exchange.h"
#include "inventory_parser.h"
#include "common/common.h"

const char *const inv_format_names[5] = {"fl", "ft", "csv", "json", "certutil"};

static int by_line(const void *a, const void *b)
{
	const struct inv_note *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x < y ? -1 : x > y;
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

/* At least min certificate properties other than skip. */
static int cert_properties(const struct run *r, const char *skip, size_t min)
{
	size_t j, n = 0;

	for (j = 0; j < r->n; j++)
		n += inv_is_cert_property(r->props[j].name) && !inv_same_name(r->props[j].name, skip);
	return n >= min;
}

/* A run is a certificate: with a Thumbprint, or cut short before it (SerialNumber and more). */
static int is_certificate(struct parser *p, const struct run *r)
{
	if (inv_has_thumbprint(r)) {
		if (cert_properties(r, "Thumbprint", 1))
			return 1;
		inv_note(p, inv_find_prop(r, "Thumbprint")->line,
			 "a Thumbprint line without any other certificate property (event-log text?): "
			 "skipped");
		return 0;
	}
	if (inv_find_prop(r, "SerialNumber") && cert_properties(r, "SerialNumber", 2) &&
	    (inv_find_prop(r, "NotAfter") || inv_find_prop(r, "Issuer") ||
	     inv_find_prop(r, "Subject")))
		return 1;
	if (cert_properties(r, "", 3))
		inv_note(p, r->first, "lines %ld-%ld look like part of a certificate but have no "
				      "Thumbprint: skipped",
			 r->first, r->last);
	return 0;
}

static int collect_certs(struct parser *p)
{
	struct inventory *inv = p->inv;
	size_t i, live = 0;

	/*
	 * Room for a certificate per live run, at once: doubling copied the
	 * array into fresh pages (a third of the page faults of a 64 MiB paste);
	 * the pages of runs that are no certificate are never touched.
	 */
	for (i = 0; i < p->n_runs; i++)
		live += !p->runs[i].dead;
	if (live && !(inv->certs = inv_grow(inv->certs, &inv->cap_certs, live, sizeof(*inv->certs)))) {
		p->oom = 1;
		return -1;
	}
	for (i = 0; i < p->n_runs && !p->oom; i++) {
		struct run *r = &p->runs[i];
		struct inv_cert *grown;

		if (r->dead || !is_certificate(p, r))
			continue;
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
		inv->n_certs++;
	}
	return p->oom ? -1 : 0;
}

static long seg_of(const struct parser *p, long line)
{
	return line >= 1 && (size_t)line <= p->n_lines ? p->lines[line - 1].seg : 0;
}

/*
 * Every unambiguous slashed date of the output, in any property of any
 * object (a certificate's, an event's), goes into the book; then each
 * certificate's order is decided with it.
 */
static int resolve_orders(struct parser *p, unsigned option)
{
	struct inventory *inv = p->inv;
	struct order_book *book = order_book_new();
	const char *not_after = inv_cert_property("NotAfter");
	const char *not_before = inv_cert_property("NotBefore");
	size_t i, j;
	int rc = -1;

	if (!book)
		goto out;
	for (i = 0; i < p->n_runs; i++) {
		const struct run *r = &p->runs[i];
		int cert = -1; /* not known yet: a run without a slashed date needs no answer */

		for (j = 0; j < r->n; j++) {
			const struct prop *pr = &r->props[j];
			struct culture_date d;
			const char *why;

			if (pr->value[0] < '0' || pr->value[0] > '9' || pr->len > 64 ||
			    !memchr(pr->value, '/', pr->len))
				continue;
			if (cert < 0)
				cert = inv_has_thumbprint(r);
			/* a certificate's own dates were read already: they come below */
			if ((cert && (pr->name == not_after || pr->name == not_before)) ||
			    culture_date_parse(pr->value, &d, &why))
				continue;
			if (order_book_add(book, &d, seg_of(p, pr->line), pr->line))
				goto out;
		}
	}
	for (i = 0; i < inv->n_certs; i++) {
		const struct inv_date *dates[2] = {&inv->certs[i].not_after, &inv->certs[i].not_before};

		for (j = 0; j < 2; j++)
			if (dates[j]->ok &&
			    order_book_add(book, &dates[j]->d, seg_of(p, dates[j]->line), dates[j]->line))
				goto out;
	}
	if (order_book_seal(book))
		goto out;
	for (i = 0; i < inv->n_certs; i++) {
		struct inv_cert *c = &inv->certs[i];
		long at = c->not_after.text ? c->not_after.line : c->not_before.line;

		inventory_resolve_order(c, option, book, seg_of(p, at ? at : c->line));
		inventory_report_order(p, c);
	}
	rc = 0;
out:
	order_book_free(book);
	if (rc)
		p->oom = 1;
	return rc;
}

int inventory_parse(const unsigned char *data, size_t len, const struct inventory_options *o,
		    struct inventory *out)
{
	struct parser p;
	unsigned option = o ? o->date_order : 0;

	memset(out, 0, sizeof(*out));
	memset(&p, 0, sizeof(p));
	p.inv = out;
	if (inv_text_lines(&p, data, len) || inv_read_json(&p) || inv_read_csv(&p) ||
	    inv_read_certutil(&p) || inv_read_table(&p) || inv_read_fl(&p) || collect_certs(&p) ||
	    resolve_orders(&p, option) || mark_duplicates(&p))
		p.oom = 1;
	free(p.text);
	free(p.lines);
	inv_free_runs(&p);
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
	free(c->serial_number);
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
