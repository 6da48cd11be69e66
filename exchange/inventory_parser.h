/*
 * Inside the inventory reader: the pasted text as lines (inventory_text.c),
 * the records each format's reader makes of them ("runs" of Name/Value
 * properties, inventory_fl.c, inventory_table.c, inventory_csv.c,
 * inventory_json.c, inventory_certutil.c), and the helpers they share
 * (inventory_parser.c). Every reader produces runs with the property names
 * of 'Get-ExchangeCertificate | fl' (Thumbprint, Subject, NotAfter, ...),
 * so that one function (inventory_cert.c) makes certificates of them all.
 * Not for commands.
 */
#ifndef MINICA_INVENTORY_PARSER_H
#define MINICA_INVENTORY_PARSER_H

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "exchange.h"

/* Blank lines allowed between the parts of one certificate. */
#define MAX_STRAY_BLANKS 2
/* Exchange's objects have fewer than 60 properties; a longer run is no certificate. */
#define MAX_PROPS 256
/* Longest piece of a value quoted in a note. */
#define QUOTE_MAX 60
/* Longest value kept (bytes): longer ones are cut there, and said. */
#define VALUE_MAX 65536

/* One line of the pasted text, normalised (inventory_text.c). */
struct line {
	char *s;              /* no line end, no control characters, Unicode spaces as ' ' */
	unsigned len;         /* bytes (a line is shorter than the 64 MiB input) */
	unsigned width;       /* characters as pasted, mail quote marks included */
	unsigned seg;         /* which console output (between two prompts) */
	unsigned char quoted; /* a mail quote prefix ("> ", ">> ") was taken off */
	unsigned char prompt; /* a PowerShell or cmd prompt: a new console output starts */
	unsigned char claimed; /* read by a reader (the others skip it) */
	unsigned char trail;  /* trailing spaces there were (at most 255) */
};

/* 32 bytes: a 64 MiB paste has two million of them */
struct prop {
	const char *name;     /* static (inv_cert_property) or in struct parser's text: not freed */
	char *value;          /* on the heap, or in struct parser's text when cap is 0 */
	unsigned len, cap;    /* of value (at most VALUE_MAX + 1, and twice that while growing) */
	unsigned line;        /* a line of the 64 MiB input */
	unsigned char cut;    /* longer than VALUE_MAX: cut, and said */
};

struct run {
	struct prop *props;
	size_t n, cap;
	long first, last;     /* line numbers */
	int blank_gap;        /* only blank lines (at most MAX_STRAY_BLANKS) since the previous run */
	int dead;             /* merged into another run ... */
	size_t into;          /* ... this one */
	int format;           /* enum inv_format */
	unsigned char pooled; /* props lie in the parser's pool (not freed alone) */
};

/* Blocks of props handed out 16 at a time (a run's first 16: Format-List shows 14 or 15). */
struct prop_block {
	struct prop_block *next;
	size_t used, size;    /* props */
	struct prop props[];
};

struct parser {
	struct inventory *inv;
	struct run *runs;
	size_t n_runs, cap_runs;
	struct line *lines;   /* lines[i] is line i + 1 */
	size_t n_lines, cap_lines;
	char *text;           /* what lines point into */
	struct prop_block *pool; /* the newest block first */
	int oom;
};

/* inventory_parser.c: shared by the readers */
int inv_is_cert_property(const char *name);
const char *inv_cert_property(const char *name); /* its static spelling, or NULL */
void *inv_grow(void *p, size_t *cap, size_t need, size_t size);
/*
 * Asks for transparent huge pages under a large buffer about to be written
 * whole (the text, the lines): a 4 KiB page fault each cost about as much as
 * the parsing of its bytes (0.4 s per 64 MiB on a virtual machine).
 */
void inv_huge_pages(void *p, size_t len);
const char *inv_quote(const char *value, char buf[QUOTE_MAX + 4]); /* a value cut for a note */
void inv_note(struct parser *p, long line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * strcasecmp(a, b) == 0, the first bytes compared first (most names differ
 * there): two that strcasecmp finds equal are equal or differ in case, bit 0x20.
 */
static inline int inv_same_name(const char *a, const char *b)
{
	return !((a[0] ^ b[0]) & ~0x20) && !strcasecmp(a, b);
}
struct prop *inv_find_prop(const struct run *r, const char *name);
int inv_has_thumbprint(const struct run *r);
struct run *inv_new_run(struct parser *p, long line, int format);
/*
 * Adds Name = value (len bytes); name must outlive the parser (static, or
 * in p->text). -1 on OOM.
 */
int inv_add_prop(struct parser *p, struct run *r, const char *name, const char *value, size_t len,
		 long line);
/* The same for a value in p->text, NUL-terminated at value[len]: used in place, not copied. */
int inv_add_prop_in_text(struct parser *p, struct run *r, const char *name, char *value,
			 size_t len, long line);
/* Appends to the run's last value, after one space when space is set; linear, bounded. */
int inv_append(struct parser *p, struct run *r, const char *more, size_t len, int space, long line);
void inv_free_props(struct run *r); /* a run's props array (not its values) */
void inv_free_runs(struct parser *p);

/* inventory_text.c: bytes to normalised lines (p->text, p->lines, p->inv->encoding) */
int inv_text_lines(struct parser *p, const unsigned char *data, size_t len);

/* the readers, each over the lines no earlier reader claimed */
int inv_read_json(struct parser *p);     /* inventory_json.c: ConvertTo-Json */
int inv_read_csv(struct parser *p);      /* inventory_csv.c: Export-Csv, ConvertTo-Csv */
int inv_read_certutil(struct parser *p); /* inventory_certutil.c: certutil -store */
int inv_read_table(struct parser *p);    /* inventory_table.c: Format-Table */
int inv_read_fl(struct parser *p);       /* inventory_fl.c: Format-List, last */

/* inventory_cert.c */
int inventory_read_cert(struct parser *p, const struct run *r, struct inv_cert *c);
void inventory_report_order(struct parser *p, struct inv_cert *c);

#endif
