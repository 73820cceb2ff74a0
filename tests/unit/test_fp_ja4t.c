// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unit tests of user/fp_ja4t.c: JA4T (FoxIO License 1.1, see NOTICE) of
 * real SYNs, each expected string worked out by hand from FoxIO's
 * technical_details/JA4T.md (window_kinds_MSS_scale; "00" for what is
 * absent; NOP and EOL kinds listed, every byte after an EOL too), and the
 * edge cases: no options, zero scale, bad option lengths, the longest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fp.h"

static void check(uint16_t window, const uint8_t *opts, uint32_t len, const char *want)
{
	char out[FP_JA4T_MAX];
	int n;

	memset(out, 'x', sizeof(out));
	n = fp_ja4t(window, opts, len, out);
	assert_string_equal(out, want);
	assert_int_equal(n, (int)strlen(want));
}

/*
 * Linux (6.x, Debian 12 client): MSS 1460, SACK permitted, Timestamps,
 * NOP, window scale 7, window 64240.
 * Kinds 2, 4, 8, 1, 3 -> "2-4-8-1-3"; MSS 1460; scale 7:
 *   64240_2-4-8-1-3_1460_7
 */
static void test_fp_ja4t_linux_syn(void **state)
{
	static const uint8_t o[20] = { 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x12, 0x34,
				       0x56, 0x78, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07 };
	(void)state;
	check(64240, o, sizeof(o), "64240_2-4-8-1-3_1460_7");
}

/*
 * Windows 10/11: MSS 1460, NOP, window scale 8, NOP, NOP, SACK permitted,
 * window 64240. Kinds 2, 1, 3, 1, 1, 4:
 *   64240_2-1-3-1-1-4_1460_8      (the spec's own Windows 10 example)
 */
static void test_fp_ja4t_windows_syn(void **state)
{
	static const uint8_t o[12] = { 0x02, 0x04, 0x05, 0xb4, 0x01, 0x03,
				       0x03, 0x08, 0x01, 0x01, 0x04, 0x02 };
	(void)state;
	check(64240, o, sizeof(o), "64240_2-1-3-1-1-4_1460_8");
}

/*
 * macOS / iOS: MSS 1460, NOP, window scale 6, NOP, NOP, Timestamps, SACK
 * permitted, EOL, EOL (padding to 24 bytes), window 65535. Kinds 2, 1, 3,
 * 1, 1, 8, 4, and both padding bytes as 0:
 *   65535_2-1-3-1-1-8-4-0-0_1460_6 (the spec's Mac OSX / iPhone example)
 */
static void test_fp_ja4t_macos_syn(void **state)
{
	static const uint8_t o[24] = { 0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x06,
				       0x01, 0x01, 0x08, 0x0a, 0x2a, 0x3b, 0x4c, 0x5d,
				       0x00, 0x00, 0x00, 0x00, 0x04, 0x02, 0x00, 0x00 };
	(void)state;
	check(65535, o, sizeof(o), "65535_2-1-3-1-1-8-4-0-0_1460_6");
}

/* The spec's scanners: Nmap (MSS only) and a SYN without options. */
static void test_fp_ja4t_absent_fields(void **state)
{
	static const uint8_t nmap[4] = { 0x02, 0x04, 0x05, 0xb4 };
	(void)state;
	check(1024, nmap, sizeof(nmap), "1024_2_1460_00");
	check(1024, NULL, 0, "1024_00_00_00");
	check(65535, NULL, 0, "65535_00_00_00");
	check(0, NULL, 0, "0_00_00_00");
}

/* A window scale of 0 prints as "00", like an absent one; an MSS below 10
 * gets the reference's two digits; the last MSS and scale count. */
static void test_fp_ja4t_zero_and_small_values(void **state)
{
	static const uint8_t zero_ws[8] = { 0x02, 0x04, 0x05, 0x9c, 0x01, 0x03, 0x03, 0x00 };
	static const uint8_t cut_ts[8] = { 0x02, 0x04, 0x05, 0x9c, 0x04, 0x02, 0x08, 0x0a };
	static const uint8_t small[8] = { 0x02, 0x04, 0x00, 0x05, 0x03, 0x03, 0x0e, 0x01 };
	static const uint8_t twice[10] = { 0x02, 0x04, 0x05, 0xb4, 0x02,
					   0x04, 0x05, 0x78, 0x01, 0x01 };
	(void)state;
	check(5744, zero_ws, sizeof(zero_ws), "5744_2-1-3_1436_00");
	/* Timestamps whose length runs past the end: listed, the walk stops. */
	check(5744, cut_ts, sizeof(cut_ts), "5744_2-4-8_1436_00");
	check(5744, zero_ws, 4, "5744_2_1436_00");
	check(8192, small, sizeof(small), "8192_2-3-1_05_14");
	check(8192, twice, sizeof(twice), "8192_2-2-1-1_1400_00");
}

/* Bad lengths: the kind is listed and nothing after it is read; MSS and
 * scale count only with their own lengths. Unknown kinds as numbers. */
static void test_fp_ja4t_bad_lengths(void **state)
{
	static const uint8_t ws0[7] = { 0x02, 0x04, 0x05, 0xb4, 0x03, 0x00, 0x07 };
	static const uint8_t ws_last[5] = { 0x02, 0x04, 0x05, 0xb4, 0x03 };
	static const uint8_t odd_mss[8] = { 0x02, 0x03, 0x05, 0x03, 0x04, 0x01, 0x01, 0x01 };
	static const uint8_t mptcp[12] = { 0x1e, 0x04, 0x00, 0x81, 0xfe, 0x02,
					   0xfd, 0x04, 0xf9, 0x89, 0x03, 0x03 };
	(void)state;
	check(100, ws0, sizeof(ws0), "100_2-3_1460_00");
	check(100, ws_last, sizeof(ws_last), "100_2-3_1460_00");
	check(100, odd_mss, sizeof(odd_mss), "100_2-3-1_00_00");
	check(100, mptcp, sizeof(mptcp), "100_30-254-253-3_00_00");
}

/* The longest string fits: 40 bytes of one-byte kinds. */
static void test_fp_ja4t_longest(void **state)
{
	uint8_t o[64];
	char out[FP_JA4T_MAX];
	(void)state;

	memset(o, 0x01, sizeof(o));
	assert_true(fp_ja4t(65535, o, sizeof(o), out) < FP_JA4T_MAX);
	/* Only the 40 bytes a TCP header can hold are read. */
	assert_int_equal(strlen(out), 6 + 40 * 2 - 1 + 6);
	memset(o, 0x00, sizeof(o));
	o[36] = 0x02;
	o[37] = 0x04;
	o[38] = 0xff;
	o[39] = 0xff;
	assert_true(fp_ja4t(65535, o, 40, out) < FP_JA4T_MAX);
	assert_string_equal(out + strlen(out) - 13, "-0-2_65535_00");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fp_ja4t_linux_syn),
		cmocka_unit_test(test_fp_ja4t_windows_syn),
		cmocka_unit_test(test_fp_ja4t_macos_syn),
		cmocka_unit_test(test_fp_ja4t_absent_fields),
		cmocka_unit_test(test_fp_ja4t_zero_and_small_values),
		cmocka_unit_test(test_fp_ja4t_bad_lengths),
		cmocka_unit_test(test_fp_ja4t_longest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
