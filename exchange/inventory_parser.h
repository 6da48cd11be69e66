/*
 * Inside the inventory reader (inventory.c, inventory_cert.c): the lines of
 * one object ("run") and the notes the reader collects (inventory_parser.c).
 * Not for commands.
 */
#ifndef MINICA_INVENTORY_PARSER_H
#define MINICA_INVENTORY_PARSER_H

#include <stddef.h>

#include "exchange.h"

/* Blank lines allowed between the parts of one certificate. */
#define MAX_STRAY_BLANKS 2
/* Exchange's objects have fewer than 60 properties; a longer run is no certificate. */
#define MAX_PROPS 256
/* Longest piece of a value quoted in a note. */
#define QUOTE_MAX 60

enum line_kind { LINE_BLANK, LINE_PROP, LINE_CONT, LINE_TEXT };

struct prop {
	char *name;
	char *value;
	long line;
};

struct run {
	struct prop *props;
	size_t n, cap;
	long first, last;     /* line numbers */
	int blank_gap;        /* only blank lines (at most MAX_STRAY_BLANKS) since the previous run */
	int dead;             /* merged into another run ... */
	size_t into;          /* ... this one */
};

struct parser {
	struct inventory *inv;
	struct run *runs;
	size_t n_runs, cap_runs;
	int oom;
};

/* inventory_parser.c */
int inv_is_cert_property(const char *name);
void *inv_grow(void *p, size_t *cap, size_t need, size_t size);
const char *inv_quote(const char *value, char buf[QUOTE_MAX + 4]); /* a value cut for a note */
void inv_note(struct parser *p, long line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
struct prop *inv_find_prop(const struct run *r, const char *name);
int inv_has_thumbprint(const struct run *r);
/* inventory_cert.c */
int inventory_read_cert(struct parser *p, const struct run *r, struct inv_cert *c);
void inventory_report_order(struct parser *p, struct inv_cert *c, unsigned option);

#endif
