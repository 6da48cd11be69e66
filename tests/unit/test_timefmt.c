/* Unit tests: days_left floors, and never overflows on times read from disk. */
#include <limits.h>

#include "common/common.h"

/* after common/common.h: cmocka defines a fail() macro */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static void floors(void **state)
{
	const int64_t now = 1764000000;

	(void)state;
	assert_int_equal(days_left(now, now), 0);
	assert_int_equal(days_left(now + 86399, now), 0);
	assert_int_equal(days_left(now + 86400, now), 1);
	assert_int_equal(days_left(now - 1, now), -1);
	assert_int_equal(days_left(now - 86400, now), -1);
	assert_int_equal(days_left(now - 86401, now), -2);
}

static void extremes(void **state)
{
	(void)state;
	assert_true(days_left(INT64_MIN, 1764000000) == LONG_MIN);
	assert_true(days_left(INT64_MAX, -1764000000) == LONG_MAX);
	assert_true(days_left(INT64_MIN, 0) == INT64_MIN / 86400 - 1); /* floor */
	assert_true(days_left(INT64_MAX, 0) == INT64_MAX / 86400);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(floors),
		cmocka_unit_test(extremes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
