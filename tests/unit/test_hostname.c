/* Unit tests: host-name rules and serial parsing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issue/issue.h"
#include "common/common.h"

/* after common/common.h: cmocka defines a fail() macro */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static int check(const char *in, int wildcard, char **out, int *is_ip)
{
	/* errors go to stderr; keep the test output readable */
	FILE *saved = stderr;
	int rc;

	stderr = fopen("/dev/null", "w");
	rc = host_check(in, wildcard, out, is_ip);
	fclose(stderr);
	stderr = saved;
	return rc;
}

static void accepts_and_normalises(void **state)
{
	char *out = NULL;
	int ip = -1;

	(void)state;
	assert_int_equal(check("Mail-Hub1.Corp.Example.", 0, &out, &ip), 0);
	assert_string_equal(out, "mail-hub1.corp.example");
	assert_int_equal(ip, 0);
	free(out);
	assert_int_equal(check("192.0.2.7", 0, &out, &ip), 0);
	assert_string_equal(out, "192.0.2.7");
	assert_int_equal(ip, 1);
	free(out);
	assert_int_equal(check("[2001:DB8:0::1]", 0, &out, &ip), 0);
	assert_string_equal(out, "2001:db8::1");
	free(out);
	assert_int_equal(check("*.corp.example", 1, &out, &ip), 0);
	free(out);
	assert_int_equal(check("a", 0, &out, &ip), 0);
	free(out);
}

static void refuses(void **state)
{
	static const char *const bad[] = {"", "-a", "a-", "a_b", "a/b", "a,b", "a b", "a..b", ".a",
					  "1.2.3.999", "*.corp.example", "a.*.b", "é.example"};
	char label[70], name[300], *out = NULL;
	size_t i;
	int ip;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(check(bad[i], 0, &out, &ip), EX_DATAERR);
		assert_null(out);
	}
	assert_int_equal(check("*.x", 1, &out, &ip), EX_DATAERR);
	assert_int_equal(check("*", 1, &out, &ip), EX_DATAERR);
	memset(label, 'a', 64);
	label[64] = '\0';
	assert_int_equal(check(label, 0, &out, &ip), EX_DATAERR);
	label[63] = '\0';
	assert_int_equal(check(label, 0, &out, &ip), 0);
	free(out);
	/* 253 is the limit: 4 labels of 63 + 3 dots = 255 is over, 63*3+3+61 = 253 is fine */
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s", label, label, label, label);
	assert_int_equal(strlen(name), 253);
	assert_int_equal(check(name, 0, &out, &ip), 0);
	free(out);
	snprintf(name, sizeof(name), "%s.%s.%s.%.62s", label, label, label, label);
	assert_int_equal(check(name, 0, &out, &ip), EX_DATAERR);
}

static void serials(void **state)
{
	unsigned char s[STORE_SERIAL_LEN];
	char hex[2 * STORE_SERIAL_LEN + 1];

	(void)state;
	assert_int_equal(serial_parse("4f:3a:00:01", s), 0);
	serial_hex(s, hex);
	assert_string_equal(hex, "000000000000000000000000" "4F3A0001");
	assert_int_equal(serial_parse("0x1", s), 0);
	assert_int_equal(s[15], 1);
	assert_int_equal(serial_parse("serial=ABC", s), 0);
	assert_int_equal(s[14], 0x0A);
	assert_int_equal(s[15], 0xBC);
	assert_int_equal(serial_parse("", s), -1);
	assert_int_equal(serial_parse("xyz", s), -1);
	assert_int_equal(serial_parse("123456789012345678901234567890123", s), -1);
}

/* Every tool prints the same 32 hex digits only if no serial starts with a zero byte. */
static void random_serials_have_no_leading_zero(void **state)
{
	unsigned char s[STORE_SERIAL_LEN];
	int i, high_bit_set = 0;

	(void)state;
	for (i = 0; i < 4096; i++) {
		assert_int_equal(serial_random(s), 0);
		assert_int_not_equal(s[0], 0);
		high_bit_set += s[0] >> 7;
	}
	/* still 128 random bits: about half have the top bit set */
	assert_in_range(high_bit_set, 1700, 2400);
}

static void file_names(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(host_file_name("*.corp.example", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "wildcard.corp.example");
	assert_int_equal(host_file_name("2001:db8::1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2001_db8__1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_and_normalises),
		cmocka_unit_test(refuses),
		cmocka_unit_test(serials),
		cmocka_unit_test(random_serials_have_no_leading_zero),
		cmocka_unit_test(file_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
