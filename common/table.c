/*
 * Human tables whose columns fit their data: rows are kept until the table
 * is printed, or until TABLE_BUFFER rows have arrived, which fixes the
 * widths (a very large listing then streams, and a later, longer cell only
 * pushes the rest of its own line). Widths count characters, not bytes, and
 * control characters in a cell print as '?', so a template or subject name
 * cannot move the cursor or recolour the terminal.
 */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

#define TABLE_BUFFER 1000
#define TABLE_GAP "  "

struct table {
	size_t ncols;
	const char *right;  /* per column: 'r' right-aligned, else left */
	size_t *width;
	char **cells;       /* buffered rows, ncols cells each, row 0 the header */
	size_t rows, cap;
	int streaming;      /* widths are fixed; rows print as they come */
};

/* Characters in a UTF-8 string (continuation bytes do not count). */
static size_t text_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static char *cell_copy(const char *text)
{
	char *copy = strdup(text ? text : ""), *p;

	if (copy)
		for (p = copy; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7F)
				*p = '?';
	return copy;
}

struct table *table_new(const char *const *headers, size_t ncols, const char *right)
{
	struct table *t = calloc(1, sizeof(*t));

	if (!t || !(t->width = calloc(ncols, sizeof(*t->width)))) {
		free(t);
		return NULL;
	}
	t->ncols = ncols;
	t->right = right;
	if (table_row(t, headers) != 0) {
		table_free(t);
		return NULL;
	}
	return t;
}

static void print_row(const struct table *t, char *const *cells)
{
	size_t c, w, pad;

	for (c = 0; c < t->ncols; c++) {
		w = text_width(cells[c]);
		pad = t->width[c] > w ? t->width[c] - w : 0;
		if (c)
			fputs(TABLE_GAP, stdout);
		if (t->right && t->right[c] == 'r')
			printf("%*s%s", (int)pad, "", cells[c]);
		else if (c + 1 < t->ncols)
			printf("%s%*s", cells[c], (int)pad, "");
		else
			fputs(cells[c], stdout); /* no trailing blanks */
	}
	putchar('\n');
}

static void flush(struct table *t)
{
	size_t r;

	for (r = 0; r < t->rows; r++)
		print_row(t, t->cells + r * t->ncols);
	for (r = 0; r < t->rows * t->ncols; r++)
		free(t->cells[r]);
	t->rows = 0;
	t->streaming = 1;
}

int table_row(struct table *t, const char *const *cells)
{
	size_t c, w;
	char **row;

	if (t->streaming) {
		char **tmp = calloc(t->ncols, sizeof(*tmp));

		if (!tmp)
			return fail(EX_OSERR, "out of memory");
		for (c = 0; c < t->ncols && (tmp[c] = cell_copy(cells[c])); c++)
			;
		if (c == t->ncols)
			print_row(t, tmp);
		for (c = 0; c < t->ncols; c++)
			free(tmp[c]);
		free(tmp);
		return c == t->ncols ? 0 : fail(EX_OSERR, "out of memory");
	}
	if (t->rows == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		char **grown = realloc(t->cells, cap * t->ncols * sizeof(*grown));

		if (!grown)
			return fail(EX_OSERR, "out of memory");
		t->cells = grown;
		t->cap = cap;
	}
	row = t->cells + t->rows * t->ncols;
	for (c = 0; c < t->ncols; c++) {
		if (!(row[c] = cell_copy(cells[c]))) {
			while (c-- > 0)
				free(row[c]);
			return fail(EX_OSERR, "out of memory");
		}
		w = text_width(row[c]);
		if (w > t->width[c])
			t->width[c] = w;
	}
	t->rows++;
	if (t->rows > TABLE_BUFFER)
		flush(t);
	return 0;
}

void table_print(struct table *t)
{
	if (t && !t->streaming)
		flush(t);
}

void table_free(struct table *t)
{
	size_t r;

	if (!t)
		return;
	for (r = 0; r < t->rows * t->ncols; r++)
		free(t->cells[r]);
	free(t->cells);
	free(t->width);
	free(t);
}
