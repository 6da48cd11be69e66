/*
 * Which of d/M and M/d a certificate's slashed dates are in, when a date
 * such as 3/2/2011 could be either. Dates printed by one console session
 * share one culture, so this decides, in this order:
 *  1. --date-order;
 *  2. the other date of the same certificate, when it can only be read one way;
 *  3. an unambiguous date of the same shape (separator, 12/24-hour clock,
 *     padding of each number) elsewhere in the same console output (between
 *     two prompts, or the whole file when it has none), when all such dates
 *     agree;
 *  4. the shape itself, where only one common culture writes it: with AM/PM,
 *     an unpadded second number is en-US M/d/yyyy, a zero-padded one is
 *     en-AU/en-NZ d/MM/yyyy (en-US does not pad);
 *  5. the validity period (NotAfter before NotBefore is impossible, a whole
 *     number of years or a usual fixed lifetime is likely);
 *  6. else NotAfter is read as the earlier of its two dates, so that no
 *     certificate is reported later than it may expire, and the caller says so.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exchange.h"

/* ---- the book of unambiguous dates, by console output and shape ---- */

struct book_entry {
	long seg;
	int shape;            /* separator, clock, padding */
	unsigned orders;      /* DATE_ORDER_DMY and/or DATE_ORDER_MDY seen */
	long line[3];         /* the first line that showed each (index: order) */
};

struct order_book {
	struct book_entry *e;
	size_t n, cap;
};

/* The shape without the padding, and the padding apart. */
static int shape_of(const struct culture_date *d, int pad_a, int pad_b)
{
	int clock = d->marker ? 2 : d->has_time ? 1 : 0;

	return (((unsigned char)d->sep * 3 + clock) * 3 + (pad_a + 1)) * 3 + (pad_b + 1);
}

static int by_key(const void *a, const void *b)
{
	const struct book_entry *x = a, *y = b;

	if (x->seg != y->seg)
		return x->seg < y->seg ? -1 : 1;
	return x->shape < y->shape ? -1 : x->shape > y->shape;
}

struct order_book *order_book_new(void)
{
	return calloc(1, sizeof(struct order_book));
}

void order_book_free(struct order_book *b)
{
	if (b)
		free(b->e);
	free(b);
}

/* The order that one unambiguous slashed year-last date shows: d/M or M/d. */
static unsigned shown_order(const struct culture_date *d)
{
	unsigned orders;

	if (d->year_first || d->sep != '/')
		return 0;
	orders = culture_date_orders(d);
	return orders == DATE_ORDER_DMY || orders == DATE_ORDER_MDY ? orders : 0;
}

int order_book_add(struct order_book *b, const struct culture_date *d, long seg, long line)
{
	unsigned order = shown_order(d);
	struct book_entry *e;

	if (!order)
		return 0;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;

		if (!(e = realloc(b->e, cap * sizeof(*e))))
			return -1;
		b->e = e;
		b->cap = cap;
	}
	e = &b->e[b->n++];
	memset(e, 0, sizeof(*e));
	e->seg = seg;
	e->shape = shape_of(d, d->pad_a, d->pad_b);
	e->orders = order;
	e->line[order] = line;
	return 0;
}

/* Sorted, one entry per console output and shape. */
int order_book_seal(struct order_book *b)
{
	size_t i, o = 0;

	if (b->n == 0)
		return 0;
	qsort(b->e, b->n, sizeof(*b->e), by_key);
	for (i = 1; i < b->n; i++) {
		struct book_entry *last = &b->e[o], *e = &b->e[i];

		if (!by_key(last, e)) {
			unsigned k;

			for (k = DATE_ORDER_DMY; k <= DATE_ORDER_MDY; k++)
				if (e->line[k] && (!last->line[k] || e->line[k] < last->line[k]))
					last->line[k] = e->line[k];
			last->orders |= e->orders;
		} else {
			b->e[++o] = *e;
		}
	}
	b->n = o + 1;
	return 0;
}

/*
 * What the dates of d's shape in console output seg show: DATE_ORDER_DMY or
 * _MDY when they agree (*line: the first that shows it), else 0. A number
 * written with two digits from 10 fits either padding.
 */
static unsigned book_order(const struct order_book *b, const struct culture_date *d, long seg,
			   long *line)
{
	unsigned orders = 0;
	long first[3] = {0, 0, 0};
	int pa, pb;

	if (!b || !b->n)
		return 0;
	for (pa = -1; pa <= 1; pa++) {
		if (d->pad_a && pa && pa != d->pad_a)
			continue;
		for (pb = -1; pb <= 1; pb++) {
			struct book_entry key, *e;
			unsigned o;

			if (d->pad_b && pb && pb != d->pad_b)
				continue;
			key.seg = seg;
			key.shape = shape_of(d, pa, pb);
			if (!(e = bsearch(&key, b->e, b->n, sizeof(*b->e), by_key)))
				continue;
			orders |= e->orders;
			for (o = DATE_ORDER_DMY; o <= DATE_ORDER_MDY; o++)
				if (e->line[o] && (!first[o] || e->line[o] < first[o]))
					first[o] = e->line[o];
		}
	}
	if (orders != DATE_ORDER_DMY && orders != DATE_ORDER_MDY)
		return 0;
	*line = first[orders];
	return orders;
}

/* With AM/PM: an unpadded second number is en-US (M/d), a padded one en-AU/en-NZ (d/MM). */
static unsigned shape_order(const struct culture_date *d)
{
	if (!d->marker || d->year_first || d->sep != '/')
		return 0;
	return d->pad_b < 0 ? DATE_ORDER_MDY : d->pad_b > 0 ? DATE_ORDER_DMY : 0;
}

/* nb + whole years (calendar), or the common fixed lifetimes, within two days. */
static int typical_validity(int64_t nb, int64_t na)
{
	static const int64_t fixed_days[] = {90, 397, 398, 825};
	int64_t diff = na - nb, slack = 2 * 86400;
	time_t t = (time_t)nb;
	struct tm tm;
	size_t i;
	int years;

	for (i = 0; i < sizeof(fixed_days) / sizeof(fixed_days[0]); i++)
		if (diff >= fixed_days[i] * 86400 - slack && diff <= fixed_days[i] * 86400 + slack)
			return 1;
	if (!gmtime_r(&t, &tm))
		return 0;
	for (years = 1; years <= 30; years++) {
		struct tm later = tm;
		int64_t end;

		later.tm_year += years;
		end = (int64_t)timegm(&later);
		if (na >= end - slack && na <= end + slack)
			return 1;
	}
	return 0;
}

static int epoch_in(const struct inv_date *d, unsigned order, int64_t *out)
{
	return culture_date_epoch(&d->d, order, out);
}

static unsigned date_shown_order(const struct inv_date *d)
{
	return d->ok ? shown_order(&d->d) : 0;
}

int inventory_resolve_order(struct inv_cert *c, unsigned option, const struct order_book *book,
			    long seg)
{
	struct inv_date *nb = &c->not_before, *na = &c->not_after;
	int amb_nb = nb->ok && culture_date_ambiguous(&nb->d);
	int amb_na = na->ok && culture_date_ambiguous(&na->d);
	unsigned order = DATE_ORDER_DMY, shown;
	int64_t t_dmy[2] = {0, 0}, t_mdy[2] = {0, 0};

	if (amb_nb || amb_na) {
		if (option) {
			order = option;
			c->order_how = ORDER_OPTION;
		} else if ((shown = amb_na ? date_shown_order(nb) : date_shown_order(na)) != 0) {
			order = shown;
			c->order_how = ORDER_PAIR;
		} else if ((shown = book_order(book, amb_na ? &na->d : &nb->d, seg, &c->order_line))) {
			order = shown;
			c->order_how = ORDER_CONSOLE;
		} else if ((shown = shape_order(amb_na ? &na->d : &nb->d)) != 0) {
			order = shown;
			c->order_how = ORDER_SHAPE;
		} else {
			/* both readings of the pair: which ones make a certificate? */
			int ok_dmy = 1, ok_mdy = 1, typ_dmy = 0, typ_mdy = 0;

			epoch_in(na, DATE_ORDER_DMY, &t_dmy[1]);
			epoch_in(na, DATE_ORDER_MDY, &t_mdy[1]);
			if (nb->ok) {
				epoch_in(nb, DATE_ORDER_DMY, &t_dmy[0]);
				epoch_in(nb, DATE_ORDER_MDY, &t_mdy[0]);
				ok_dmy = t_dmy[1] > t_dmy[0];
				ok_mdy = t_mdy[1] > t_mdy[0];
				typ_dmy = ok_dmy && typical_validity(t_dmy[0], t_dmy[1]);
				typ_mdy = ok_mdy && typical_validity(t_mdy[0], t_mdy[1]);
			}
			if (ok_dmy != ok_mdy || (nb->ok && typ_dmy != typ_mdy)) {
				order = ok_dmy != ok_mdy ? (ok_dmy ? DATE_ORDER_DMY : DATE_ORDER_MDY)
							 : (typ_dmy ? DATE_ORDER_DMY : DATE_ORDER_MDY);
				c->order_how = ORDER_VALIDITY;
			} else if (amb_na) {
				order = t_dmy[1] <= t_mdy[1] ? DATE_ORDER_DMY : DATE_ORDER_MDY;
				c->order_how = ORDER_EARLIER;
				c->not_after_other = order == DATE_ORDER_DMY ? t_mdy[1] : t_dmy[1];
			} else {
				c->order_how = ORDER_UNDECIDED;
			}
		}
		c->order = order;
	}
	if (nb->ok && epoch_in(nb, order, &nb->t) != 0)
		nb->ok = 0;
	if (na->ok && epoch_in(na, order, &na->t) != 0)
		na->ok = 0;
	return c->order_how;
}

/* What each way of deciding says, read d/M and read M/d (enum inv_order_how order). */
static const char *const order_texts[][2] = {
	[ORDER_OPTION] = {"d/M/yyyy (--date-order dmy)", "M/d/yyyy (--date-order mdy)"},
	[ORDER_PAIR] = {"d/M/yyyy (the other date can only be d/M)",
			"M/d/yyyy (the other date can only be M/d)"},
	[ORDER_VALIDITY] = {"d/M/yyyy (the other reading is not a plausible validity period)",
			    "M/d/yyyy (the other reading is not a plausible validity period)"},
	[ORDER_EARLIER] = {"d/M/yyyy, undecided: the earlier reading of NotAfter (--date-order "
			   "chooses)",
			   "M/d/yyyy, undecided: the earlier reading of NotAfter (--date-order "
			   "chooses)"},
	[ORDER_UNDECIDED] = {"d/M/yyyy, undecided: only NotBefore is ambiguous (--date-order "
			     "chooses)",
			     NULL},
	[ORDER_CONSOLE] = {"d/M/yyyy (a date of the same shape in the same console output can "
			   "only be d/M)",
			   "M/d/yyyy (a date of the same shape in the same console output can "
			   "only be M/d)"},
	[ORDER_SHAPE] = {"d/M/yyyy (AM/PM and a zero-padded month second: en-AU or en-NZ; en-US "
			 "does not pad)",
			 "M/d/yyyy (AM/PM and an unpadded second number: only en-US writes dates "
			 "so)"},
};

const char *inventory_order_text(const struct inv_cert *c)
{
	if (c->order_how <= ORDER_NONE || c->order_how > ORDER_SHAPE)
		return NULL;
	if (c->order_how == ORDER_UNDECIDED)
		return order_texts[ORDER_UNDECIDED][0];
	return order_texts[c->order_how][c->order == DATE_ORDER_MDY];
}
