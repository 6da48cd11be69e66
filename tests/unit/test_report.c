/* Unit tests: the text helpers of the reports (cleaning, HTML and iCalendar escaping, folding). */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "report/report.h"

/* after common/common.h: cmocka defines a fail() macro */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static char *capture(void (*fn)(FILE *, const char *), const char *in)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);

	assert_non_null(mem);
	fn(mem, in);
	assert_int_equal(fclose(mem), 0);
	return buf;
}

static void clean(void **state)
{
	char *out;

	(void)state;
	out = text_clean("plain \xC3\xBC\xE4\xB8\x8B\xF0\x9F\x94\x92");
	assert_string_equal(out, "plain \xC3\xBC\xE4\xB8\x8B\xF0\x9F\x94\x92"); /* kept as is */
	free(out);
	out = text_clean("a\nb\x1b[31m\x7f");
	assert_string_equal(out, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD[31m\xEF\xBF\xBD");
	free(out);
	/* invalid: lone continuation, truncated sequence, overlong, surrogate, C1 control */
	out = text_clean("\x80x\xC3" "y\xC0\xAF\xED\xA0\x80\xC2\x85");
	assert_string_equal(out, "\xEF\xBF\xBDx\xEF\xBF\xBDy"
				 "\xEF\xBF\xBD\xEF\xBF\xBD"              /* C0 AF */
				 "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" /* ED A0 80 */
				 "\xEF\xBF\xBD");                          /* C2 85 */
	free(out);
	out = text_clean(NULL);
	assert_string_equal(out, "");
	free(out);
}

static void html(void **state)
{
	char *out;

	(void)state;
	out = capture(html_escape, "<script>alert('x') & \"y\"</script>");
	assert_string_equal(out, "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;");
	free(out);
	out = capture(html_escape, "mail-hub1.corp.example");
	assert_string_equal(out, "mail-hub1.corp.example");
	free(out);
}

static void ics_escaping(void **state)
{
	char *out;

	(void)state;
	out = ics_escape("a,b;c\\d\ne\r");
	assert_string_equal(out, "a\\,b\\;c\\\\d\\ne");
	free(out);
}

static void folding(void **state)
{
	struct ics_writer w = {NULL, 0};
	char *buf = NULL, *line, *save = NULL, value[400];
	size_t len = 0, i, lines = 0, total = 0;

	(void)state;
	/* 3-byte characters after a 1-byte offset: a naive cut at 75 would split one */
	value[0] = 'x';
	for (i = 1; i + 3 < sizeof(value); i += 3)
		memcpy(value + i, "\xE2\x82\xAC", 3); /* EURO SIGN */
	value[i] = '\0';
	w.f = open_memstream(&buf, &len);
	assert_non_null(w.f);
	ics_line(&w, "SUMMARY", value);
	assert_int_equal(fclose(w.f), 0);
	assert_int_equal(w.error, 0);
	assert_true(len > 2 && !strcmp(buf + len - 2, "\r\n"));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t n = strlen(line);

		assert_true(n >= 1 && line[n - 1] == '\r');
		n--;
		assert_true(n <= 75);
		if (lines++) {
			assert_true(line[0] == ' ');
			total += n - 1;
		} else {
			total += n;
		}
		/* a physical line never starts inside a sequence */
		assert_true(((unsigned char)line[lines > 1 ? 1 : 0] & 0xC0) != 0x80);
	}
	assert_true(lines >= 5);
	assert_int_equal(total, strlen("SUMMARY:") + strlen(value));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(clean),
		cmocka_unit_test(html),
		cmocka_unit_test(ics_escaping),
		cmocka_unit_test(folding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
