/*
 * Unit tests: json_emit_streamed prints the bytes json_emit prints for the
 * whole tree (the inventory's --json relies on it), whatever the items hold.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"

/* after common/common.h: cmocka defines a fail() macro */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* An item of every shape: nested objects and arrays, empty ones, strings with escapes. */
static json_t *make_item(size_t i, void *ctx)
{
	(void)ctx;
	switch (i % 4) {
	case 0:
		return json_pack("{s:i, s:s, s:[s, {s:n, s:[]}], s:{}, s:b}", "line", (int)i, "text",
				 "two\nlines, \"quoted\", tab\t, caf\xC3\xA9 \xE6\x97\xA5",
				 "list", "a", "inner", "empty", "nothing", "object", "flag", 1);
	case 1:
		return json_object();
	case 2:
		return json_string("a string\nitem");
	default:
		return json_pack("[i, f, s]", (int)i, 1.5, "\\/Date(1)\\/");
	}
}

/* The top object, with key an empty array (or filled with n items). */
static json_t *make_top(const char *key, size_t n, int fill)
{
	json_t *top = json_pack("{s:s, s:i, s:n}", "file", "x\ny.txt", "lines", 12, "store");
	json_t *items = json_array();
	size_t i;

	for (i = 0; fill && i < n; i++)
		json_array_append_new(items, make_item(i, NULL));
	json_object_set_new(top, key, items);
	json_object_set_new(top, "notes", json_pack("[{s:i, s:s}]", "line", 3, "text", "a note"));
	json_object_set_new(top, "summary", json_pack("{s:i}", "certificates", (int)n));
	return top;
}

/* What f(arg) printed on stdout. */
static char *captured(int (*f)(size_t), size_t n)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDOUT_FILENO);
	long size;
	char *text;

	assert_non_null(tmp);
	assert_true(saved >= 0);
	fflush(stdout);
	assert_true(dup2(fileno(tmp), STDOUT_FILENO) >= 0);
	assert_int_equal(f(n), 0);
	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	size = ftell(tmp) >= 0 ? (fseek(tmp, 0, SEEK_END), ftell(tmp)) : -1;
	assert_true(size > 0);
	rewind(tmp);
	text = calloc(1, (size_t)size + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)size, tmp), (size_t)size);
	fclose(tmp);
	return text;
}

static int whole(size_t n)
{
	return json_emit(make_top("certificates", n, 1));
}

static int streamed(size_t n)
{
	return json_emit_streamed(make_top("certificates", n, 0), "certificates", n, make_item, NULL);
}

static void same_bytes(void **state)
{
	static const size_t counts[] = {0, 1, 2, 4, 9};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		char *a = captured(whole, counts[i]), *b = captured(streamed, counts[i]);

		assert_string_equal(b, a);
		free(a);
		free(b);
	}
}

static json_t *no_item(size_t i, void *ctx)
{
	(void)i;
	(void)ctx;
	return NULL;
}

static int streamed_oom(size_t n)
{
	return json_emit_streamed(make_top("certificates", n, 0), "certificates", n, no_item, NULL) ==
			       EX_OSERR
		       ? 0
		       : -1;
}

/* An item that cannot be built is out of memory (exit 71), said once. */
static void item_oom(void **state)
{
	(void)state;
	free(captured(streamed_oom, 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_bytes),
		cmocka_unit_test(item_oom),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
