/*
 * Which of d/M and M/d a certificate's slashed dates are in, when a date
 * such as 3/2/2011 could be either. Both dates of a certificate come from
 * one server, so they share one order; this decides it, in this order:
 * --date-order; the other date when it can only be read one way; the
 * validity period (NotAfter before NotBefore is impossible, a whole number
 * of years or a usual fixed lifetime is likely); else NotAfter is read as
 * the earlier of its two dates, so that no certificate is reported later
 * than it may expire, and the caller says so.
 */
#include <string.h>
#include <time.h>

#include "exchange.h"

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

/* The order that one unambiguous slashed year-last date shows: d/M or M/d. */
static unsigned shown_order(const struct inv_date *d)
{
	unsigned orders;

	if (!d->ok || d->d.year_first || d->d.sep != '/')
		return 0;
	orders = culture_date_orders(&d->d);
	return orders == DATE_ORDER_DMY || orders == DATE_ORDER_MDY ? orders : 0;
}

int inventory_resolve_order(struct inv_cert *c, unsigned option)
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
		} else if ((shown = amb_na ? shown_order(nb) : shown_order(na)) != 0) {
			order = shown;
			c->order_how = ORDER_PAIR;
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

const char *inventory_order_text(const struct inv_cert *c)
{
	switch (c->order_how) {
	case ORDER_OPTION:
		return c->order == DATE_ORDER_MDY ? "M/d/yyyy (--date-order mdy)"
						  : "d/M/yyyy (--date-order dmy)";
	case ORDER_PAIR:
		return c->order == DATE_ORDER_MDY ? "M/d/yyyy (the other date can only be M/d)"
						  : "d/M/yyyy (the other date can only be d/M)";
	case ORDER_VALIDITY:
		return c->order == DATE_ORDER_MDY ? "M/d/yyyy (the other reading is not a plausible "
						    "validity period)"
						  : "d/M/yyyy (the other reading is not a plausible "
						    "validity period)";
	case ORDER_EARLIER:
		return c->order == DATE_ORDER_MDY ? "M/d/yyyy, undecided: the earlier reading of "
						    "NotAfter (--date-order chooses)"
						  : "d/M/yyyy, undecided: the earlier reading of "
						    "NotAfter (--date-order chooses)";
	case ORDER_UNDECIDED:
		return "d/M/yyyy, undecided: only NotBefore is ambiguous (--date-order chooses)";
	default:
		return NULL;
	}
}

