/*
 * Unit tests: the template logical-line reader (issue/template_text.c) builds
 * the lines OpenSSL's NCONF builds: each case is also read by NCONF, and the
 * value NCONF keeps must be the one on the reader's line.
 */
#include <openssl/conf.h>
#include <stdlib.h>
#include <string.h>

#include "issue/issue.h"
#include "common/common.h"

/* after minica.h: cmocka defines a fail() macro */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

struct collected {
	char *lines[8];
	long numbers[8];
	int n;
};

static int collect(const char *line, long lineno, void *vctx)
{
	struct collected *c = vctx;

	assert_true(c->n < 8);
	c->lines[c->n] = strdup(line);
	c->numbers[c->n++] = lineno;
	return 0;
}

static void release(struct collected *c)
{
	int i;

	for (i = 0; i < c->n; i++)
		free(c->lines[i]);
}

/* NCONF's value for section s, key k */
static char *nconf_value(const char *text, const char *key)
{
	CONF *conf = NCONF_new(NULL);
	BIO *bio = BIO_new_mem_buf(text, (int)strlen(text));
	long errline = -1;
	char *out = NULL;
	const char *v;

	assert_non_null(conf);
	assert_non_null(bio);
	assert_int_equal(NCONF_load_bio(conf, bio, &errline), 1);
	v = NCONF_get_string(conf, "s", key);
	if (v)
		out = strdup(v);
	BIO_free(bio);
	NCONF_free(conf);
	return out;
}

static void lines_of(const char *text, struct collected *c)
{
	memset(c, 0, sizeof(*c));
	assert_int_equal(conf_lines(text, strlen(text), collect, c), 0);
}

static void continuation(void **state)
{
	struct collected c;
	char *v;

	(void)state;
	lines_of("[s]\nk = a\\\nb\\\r\nc\nj = d\n", &c);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.lines[1], "k = abc");
	assert_int_equal(c.numbers[1], 2);
	assert_string_equal(c.lines[2], "j = d");
	assert_int_equal(c.numbers[2], 5); /* the physical line it starts on */
	v = nconf_value("[s]\nk = a\\\nb\\\r\nc\nj = d\n", "k");
	assert_string_equal(v, "abc");
	free(v);
	release(&c);
	/* two backslashes end the line: NCONF keeps one of them in the value */
	lines_of("[s]\nk = a\\\\\nj = b\n", &c);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.lines[1], "k = a\\\\");
	v = nconf_value("[s]\nk = a\\\\\nj = b\n", "j");
	assert_string_equal(v, "b");
	free(v);
	release(&c);
}

static void line_ends(void **state)
{
	struct collected c;

	(void)state;
	lines_of("\xEF\xBB\xBF[s]\r\nk = v\r\r\n\r\n  \n", &c);
	assert_int_equal(c.n, 4);
	assert_string_equal(c.lines[0], "[s]");
	assert_string_equal(c.lines[1], "k = v");
	assert_string_equal(c.lines[2], "");
	assert_string_equal(c.lines[3], "  ");
	release(&c);
	/* no line break at the end of the text */
	lines_of("[s]\nk = v\\", &c);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.lines[1], "k = v");
	release(&c);
}

/*
 * NCONF reads a line in pieces of 510 bytes: a CR that ends a piece ends
 * the line, even in the middle of a physical line. A reader that splits
 * on LF alone would see one line where NCONF sees two.
 */
static void long_lines(void **state)
{
	char text[1200], *v;
	struct collected c;
	size_t n;

	(void)state;
	n = (size_t)snprintf(text, sizeof(text), "[s]\nk = ");
	memset(text + n, 'x', 505);
	n += 505;
	snprintf(text + n, sizeof(text) - n, "\rj = z\n");
	lines_of(text, &c);
	assert_int_equal(c.n, 3);
	assert_int_equal(strlen(c.lines[1]), 4 + 505);
	assert_string_equal(c.lines[2], "j = z");
	v = nconf_value(text, "j");
	assert_string_equal(v, "z");
	free(v);
	release(&c);
	/* without the CR at the boundary, the pieces join into one line */
	text[n] = 'x';
	lines_of(text, &c);
	assert_int_equal(c.n, 2);
	v = nconf_value(text, "j");
	assert_null(v);
	free(v);
	v = nconf_value(text, "k");
	assert_int_equal(strlen(v), 506 + strlen("j = z")); /* the CR became an x */
	free(v);
	release(&c);
}

static void checks(void **state)
{
	static const char *refused[] = {
		"[s]\n.incl\\\nude = x\n", "[s]\ns::.include = x\n", "[s]\n\r.include x\n",
		"\xEF\xBB\xBF.include x\n", "[s]\nk = $ENV::HOME\n", "[s]\nk = ${s::j}\n",
		"[s]\nk = a\\\n$j\n", ".pragma dollarid:on\n",
	};
	static const char *accepted[] = {
		"[s]\nk = \\$5\n", "[s]\nk = '$5'\n", "[s]\nk = \"$5\" # $6\n", "# $x\n[s]\n",
		"[s]\nk.include = x\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		assert_int_equal(template_text_check("t", refused[i], strlen(refused[i])), EX_DATAERR);
	for (i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++)
		assert_int_equal(template_text_check("t", accepted[i], strlen(accepted[i])), 0);
	assert_int_equal(template_text_check("t", "[s]\nk = a\0b\n", 11), EX_DATAERR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(continuation),
		cmocka_unit_test(line_ends),
		cmocka_unit_test(long_lines),
		cmocka_unit_test(checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
