/*
 * For the inventory's unit tests: one parsed inventory at a time, its notes,
 * and times as text.
 */
#ifndef MINICA_UNIT_INVENTORY_H
#define MINICA_UNIT_INVENTORY_H

#include <string.h>
#include <time.h>

#include "exchange/exchange.h"
#include "common/common.h"

/* after minica.h: cmocka defines a fail() macro */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* "YYYY-MM-DD HH:MM:SS" of a time in seconds */
static const char *ymd(int64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

static struct inventory inv;

static void parse_text(const char *text, unsigned order)
{
	struct inventory_options o = {order};

	inventory_free(&inv);
	assert_int_equal(inventory_parse((const unsigned char *)text, strlen(text), &o, &inv), 0);
}

static int teardown(void **state)
{
	(void)state;
	inventory_free(&inv);
	return 0;
}

/* A note on that line whose text contains part. */
static int has_note(long line, const char *part)
{
	size_t i;

	for (i = 0; i < inv.n_notes; i++)
		if (inv.notes[i].line == line && strstr(inv.notes[i].text, part))
			return 1;
	return 0;
}

#endif
