/* Unit tests: text decoding of Windows files (UTF-16 with and without BOM). */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

/* after common/common.h: cmocka defines a fail() macro */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static void check(const unsigned char *in, size_t len, const char *want, const char *enc)
{
	char *out = NULL;
	size_t n = 0;
	const char *got_enc = NULL;

	assert_int_equal(text_to_utf8(in, len, &out, &n, &got_enc), 0);
	assert_string_equal(got_enc, enc);
	assert_int_equal(n, strlen(want));
	assert_string_equal(out, want);
	free(out);
}

static void encodings(void **state)
{
	static const unsigned char le_bom[] = {0xFF, 0xFE, 'A', 0, 'b', 0, '\r', 0, '\n', 0};
	static const unsigned char le[] = {'-', 0, '-', 0, 'B', 0, 'E', 0};
	static const unsigned char be_bom[] = {0xFE, 0xFF, 0, 'x', 0, 'y'};
	static const unsigned char be[] = {0, 'x', 0, 'y', 0, 'z'};
	static const unsigned char utf8_bom[] = {0xEF, 0xBB, 0xBF, 'o', 'k'};
	static const unsigned char zh_le[] = {0xFF, 0xFE, 0x0B, 0x4E, 0x48, 0x53}; /* 下午 */

	(void)state;
	check(le_bom, sizeof(le_bom), "Ab\r\n", "UTF-16LE");
	check(le, sizeof(le), "--BE", "UTF-16LE");
	check(be_bom, sizeof(be_bom), "xy", "UTF-16BE");
	check(be, sizeof(be), "xyz", "UTF-16BE");
	check(utf8_bom, sizeof(utf8_bom), "ok", "UTF-8");
	check((const unsigned char *)"plain", 5, "plain", "UTF-8");
	check(zh_le, sizeof(zh_le), "\xE4\xB8\x8B\xE5\x8D\x88", "UTF-16LE");
}

static void invalid(void **state)
{
	static const unsigned char bad_utf8[] = {'a', 0xC3, 0x28, 'b'};
	static const unsigned char odd_le[] = {0xFF, 0xFE, 'a', 0, 'b'};
	char *out = NULL;
	size_t n;

	(void)state;
	assert_int_equal(text_to_utf8(bad_utf8, sizeof(bad_utf8), &out, &n, NULL), -1);
	assert_null(out);
	assert_int_equal(text_to_utf8(odd_le, sizeof(odd_le), &out, &n, NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(encodings),
		cmocka_unit_test(invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
