// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unit tests of user/capture.c: the names of the capture modes (the strings
 * of the logs and the JSON).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "capture.h"

static void test_capture_mode_name_all(void **state)
{
	(void)state;
	assert_string_equal(capture_mode_name(CAPTURE_AUTO), "auto");
	assert_string_equal(capture_mode_name(CAPTURE_TC), "tc");
	assert_string_equal(capture_mode_name(CAPTURE_XDP), "xdp");
	assert_string_equal(capture_mode_name(CAPTURE_PCAP), "pcap");
	assert_string_equal(capture_mode_name(CAPTURE_FILE), "file");
	assert_string_equal(capture_mode_name(CAPTURE_MODE_MAX), "?");
	assert_string_equal(capture_mode_name((enum capture_mode)-1), "?");
}

#define T(fn) cmocka_unit_test(fn)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_capture_mode_name_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
