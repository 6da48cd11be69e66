/* Unit tests: days_left counts calendar days (floors once expired), and never overflows on times read from disk. */
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
	/* now is 1764000000, 2025-11-24 16:00:00 UTC: days between the dates */
	assert_int_equal(days_left(now + 28799, now), 0);  /* 23:59:59 the same day */
	assert_int_equal(days_left(now + 28800, now), 1);  /* 00:00 the next day */
	assert_int_equal(days_left(now + 86399, now), 1);
	assert_int_equal(days_left(now + 86400, now), 1);
	assert_int_equal(days_left(now + 1825 * 86400, now + 6), 1825); /* issued 6 s ago */
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
