// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unit tests of user/capture.c: the names of the capture modes (the strings
 * of the logs and the JSON) and the slice budget that bounds one dispatch,
 * driven by a fake clock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "capture.h"
#include "defaults.h"

static uint64_t fake_now;
static unsigned int clock_reads;

static uint64_t fake_clock(void)
{
	clock_reads++;
	return fake_now;
}

static int setup(void **state)
{
	(void)state;
	fake_now = 1000000000ULL;
	clock_reads = 0;
	return 0;
}

static void test_capture_mode_name_all(void **state)
{
	(void)state;
	assert_string_equal(capture_mode_name(CAPTURE_AUTO), "auto");
	assert_string_equal(capture_mode_name(CAPTURE_TC), "tc");
	assert_string_equal(capture_mode_name(CAPTURE_XDP), "xdp");
	assert_string_equal(capture_mode_name(CAPTURE_PCAP), "pcap");
	assert_string_equal(capture_mode_name(CAPTURE_FILE), "file");
	assert_string_equal(capture_mode_name(CAPTURE_MODE_MAX), "?");
	assert_string_equal(capture_mode_name((enum capture_mode) - 1), "?");
}

/* The event count ends the slice when the clock never runs out. */
static void test_capture_budget_charge_count(void **state)
{
	struct capture_budget b;
	uint32_t taken = 0;

	(void)state;
	capture_budget_start(&b, 100, 10000000, fake_clock);
	while (capture_budget_charge(&b, 1))
		taken++;
	assert_int_equal(taken, 99); /* the 100th charge spends it */
	assert_true(b.spent);
	assert_false(capture_budget_charge(&b, 1));
	assert_int_equal(capture_budget_chunk(&b), 0);
}

/* The deadline ends the slice, seen at the next clock read. */
static void test_capture_budget_charge_time(void **state)
{
	struct capture_budget b;
	uint32_t taken = 0;

	(void)state;
	capture_budget_start(&b, 1000000, 10000000, fake_clock);
	while (capture_budget_charge(&b, 1)) {
		taken++;
		fake_now += 1000000; /* 1 ms an event */
	}
	/* Past 10 ms after 10 events, noticed at the first clock read after. */
	assert_true(taken >= 10);
	assert_true(taken < 10 + CAPTURE_SLICE_CLOCK_EVERY);
	assert_true(b.spent);
}

/* The clock is read once per CAPTURE_SLICE_CLOCK_EVERY events, not each. */
static void test_capture_budget_charge_clock_reads(void **state)
{
	struct capture_budget b;

	(void)state;
	capture_budget_start(&b, 10 * CAPTURE_SLICE_CLOCK_EVERY + 1, 10000000, fake_clock);
	assert_int_equal(clock_reads, 1); /* the start */
	for (int i = 0; i < 10 * CAPTURE_SLICE_CLOCK_EVERY; i++)
		assert_true(capture_budget_charge(&b, 1));
	assert_int_equal(clock_reads, 1 + 10);
	assert_false(capture_budget_charge(&b, 1));
}

/* Batches (pcap) ask for chunks that end at the next clock read or at the
 * count, whichever is first, and a batch may spend the whole count. */
static void test_capture_budget_chunk_batches(void **state)
{
	struct capture_budget b;
	uint32_t total = 0, want;

	(void)state;
	capture_budget_start(&b, 100, 10000000, fake_clock);
	while ((want = capture_budget_chunk(&b))) {
		assert_true(want <= CAPTURE_SLICE_CLOCK_EVERY);
		total += want;
		capture_budget_charge(&b, want);
	}
	assert_int_equal(total, 100);
	assert_true(b.spent);

	capture_budget_start(&b, 100, 10000000, fake_clock);
	assert_false(capture_budget_charge(&b, 500));
	assert_true(b.spent);
}

/* A short batch with time left leaves the budget unspent: the input ran dry. */
static void test_capture_budget_charge_short(void **state)
{
	struct capture_budget b;

	(void)state;
	capture_budget_start(&b, CAPTURE_SLICE_EVENTS, CAPTURE_SLICE_MS * 1000000ULL, fake_clock);
	assert_true(capture_budget_charge(&b, 5));
	assert_false(b.spent);
	capture_budget_start(&b, 0, 10000000, fake_clock);
	assert_true(b.spent);
	assert_int_equal(capture_budget_chunk(&b), 0);
}

#define T(fn) cmocka_unit_test_setup(fn, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_capture_mode_name_all),        T(test_capture_budget_charge_count),
		T(test_capture_budget_charge_time),   T(test_capture_budget_charge_clock_reads),
		T(test_capture_budget_chunk_batches), T(test_capture_budget_charge_short),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
