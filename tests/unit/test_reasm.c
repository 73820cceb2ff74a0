// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unit tests of reasm (user/reasm.c): the in-order prefix of a TCP stream
 * rebuilt from segments that come in order, out of order, twice, overlapping,
 * before the stream start, across the sequence wrap, and past the segment and
 * byte limits. Every test checks both the verdict and the bytes. Memory is
 * released by reasm_reset() in the teardown, so ASan/LSan see every leak.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "defaults.h"
#include "reasm.h"

#define BASE       1000u /* sequence number of stream offset 0 in most tests */
#define STREAM_LEN 6000  /* more than reasm's first allocation, so it grows */

struct fixture {
	struct reasm r;
	struct reasm_limits lim;
	struct reasm_effects fx;
	uint8_t stream[STREAM_LEN]; /* the original bytes the segments come from */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	reasm_init(&f->r, BASE);
	f->lim.max_bytes = REASM_MAX_BYTES;
	f->lim.max_segments = 1000;
	for (uint32_t i = 0; i < STREAM_LEN; i++)
		f->stream[i] = (uint8_t)(i * 131 + (i >> 8) + 7);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	reasm_reset(&f->r);
	free(f);
	return 0;
}

/* Add stream bytes [off, off + len) of the fixture's stream, at base + off. */
static enum reasm_result add(struct fixture *f, uint32_t off, uint32_t len)
{
	return reasm_add(&f->r, &f->lim, f->r.base + off, f->stream + off, len, &f->fx);
}

/* The held segments all lie beyond the in-order prefix, with starts and
 * ends strictly increasing (none inside another: such a one is dropped). */
static void check_invariants(const struct reasm *r)
{
	assert_true(r->contig <= r->hi);
	for (uint16_t i = 0; i < r->n_ranges; i++) {
		assert_true(r->ranges[i].start > r->contig);
		assert_true(r->ranges[i].start < r->ranges[i].end);
		assert_true(r->ranges[i].end <= r->hi);
		assert_true(r->ranges[i].end <= r->cap);
		if (i) {
			assert_true(r->ranges[i - 1].start < r->ranges[i].start);
			assert_true(r->ranges[i - 1].end < r->ranges[i].end);
		}
	}
}

static void test_reasm_init_empty(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(f->r.base, BASE);
	assert_int_equal(f->r.contig, 0);
	assert_int_equal(f->r.hi, 0);
	assert_int_equal(f->r.segments, 0);
	assert_int_equal(f->r.n_ranges, 0);
	assert_null(f->r.buf);
	assert_null(f->r.ranges);
}

static void test_reasm_add_in_order(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(add(f, 0, 10), REASM_NEW_DATA);
	assert_int_equal(f->r.contig, 10);
	assert_int_equal(f->fx.overlap_bytes, 0);
	assert_int_equal(f->fx.out_of_order, 0);
	assert_int_equal(add(f, 10, 25), REASM_NEW_DATA);
	assert_int_equal(add(f, 35, 1), REASM_NEW_DATA);
	assert_int_equal(f->r.contig, 36);
	assert_int_equal(f->r.hi, 36);
	assert_int_equal(f->r.segments, 0); /* in order: none counts against the cap */
	assert_int_equal(f->r.n_ranges, 0);
	assert_memory_equal(f->r.buf, f->stream, 36);
	check_invariants(&f->r);
}

static void test_reasm_add_out_of_order_fill(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(add(f, 10, 10), REASM_HELD);
	assert_int_equal(f->fx.out_of_order, 1);
	assert_int_equal(f->r.contig, 0);
	assert_int_equal(f->r.hi, 20);
	assert_int_equal(add(f, 30, 10), REASM_HELD);
	assert_int_equal(f->r.n_ranges, 2);
	check_invariants(&f->r);

	/* The first gap fills: contig jumps over the held [10, 20). */
	assert_int_equal(add(f, 0, 10), REASM_NEW_DATA);
	assert_int_equal(f->fx.out_of_order, 0);
	assert_int_equal(f->r.contig, 20);
	assert_int_equal(f->r.n_ranges, 1);

	/* The last gap fills: nothing held, everything in order. */
	assert_int_equal(add(f, 20, 10), REASM_NEW_DATA);
	assert_int_equal(f->r.contig, 40);
	assert_int_equal(f->r.n_ranges, 0);
	assert_memory_equal(f->r.buf, f->stream, 40);
	check_invariants(&f->r);
}

static void test_reasm_add_reversed_five(void **state)
{
	struct fixture *f = *state;

	for (int i = 4; i > 0; i--) {
		assert_int_equal(add(f, (uint32_t)i * 100, 100), REASM_HELD);
		assert_int_equal(f->r.contig, 0);
		check_invariants(&f->r);
	}
	/* A segment that ends where a held one starts is not joined to it. */
	assert_int_equal(f->r.n_ranges, 4);
	assert_int_equal(f->r.hi, 500);
	assert_int_equal(add(f, 0, 100), REASM_NEW_DATA);
	assert_int_equal(f->r.contig, 500);
	assert_int_equal(f->r.segments, 4); /* the four held */
	assert_memory_equal(f->r.buf, f->stream, 500);
}

static void test_reasm_add_exact_duplicate(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(add(f, 0, 20), REASM_NEW_DATA);
	assert_int_equal(add(f, 0, 20), REASM_DUPLICATE);
	assert_int_equal(f->fx.overlap_bytes, 20);
	assert_int_equal(f->r.contig, 20);

	/* A held segment ahead of a gap, sent twice. */
	assert_int_equal(add(f, 40, 10), REASM_HELD);
	assert_int_equal(add(f, 40, 10), REASM_DUPLICATE);
	assert_int_equal(f->fx.overlap_bytes, 10);
	assert_int_equal(f->fx.out_of_order, 0);

	/* A part of what is held is a duplicate too. */
	assert_int_equal(add(f, 5, 10), REASM_DUPLICATE);
	assert_int_equal(f->r.segments, 4); /* all but the first */
	assert_int_equal(f->r.contig, 20);
	assert_int_equal(f->r.n_ranges, 1);
	check_invariants(&f->r);
}

static void test_reasm_add_empty_segment(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(add(f, 0, 0), REASM_DUPLICATE);
	assert_int_equal(f->fx.overlap_bytes, 0);
	assert_int_equal(f->r.contig, 0);
	assert_int_equal(f->r.n_ranges, 0);
}

static void test_reasm_add_partial_overlap(void **state)
{
	struct fixture *f = *state;
	uint8_t other[20];

	assert_int_equal(add(f, 0, 10), REASM_NEW_DATA);

	/* [5, 25) with different bytes: only [10, 25) is new, [5, 10) stays. */
	memset(other, 0xee, sizeof(other));
	assert_int_equal(reasm_add(&f->r, &f->lim, BASE + 5, other, 20, &f->fx), REASM_NEW_DATA);
	assert_int_equal(f->fx.overlap_bytes, 5);
	assert_int_equal(f->fx.conflict_bytes, 5);
	assert_int_equal(f->r.contig, 25);
	assert_memory_equal(f->r.buf, f->stream, 10);
	for (int i = 10; i < 25; i++)
		assert_int_equal(f->r.buf[i], 0xee);
	check_invariants(&f->r);
}

static void test_reasm_add_overlap_across_gaps(void **state)
{
	struct fixture *f = *state;
	uint8_t other[60];

	assert_int_equal(add(f, 10, 10), REASM_HELD);
	assert_int_equal(add(f, 30, 10), REASM_HELD);

	/* One big segment in order over both held ones: it is delivered
	 * first, so its bytes win everywhere and the held ones are dropped. */
	memset(other, 0xee, sizeof(other));
	assert_int_equal(reasm_add(&f->r, &f->lim, BASE, other, 50, &f->fx), REASM_NEW_DATA);
	assert_int_equal(f->fx.overlap_bytes, 20);
	assert_int_equal(f->fx.conflict_bytes, 20);
	assert_int_equal(f->r.contig, 50);
	assert_int_equal(f->r.n_ranges, 0);
	for (int i = 0; i < 50; i++)
		assert_int_equal(f->r.buf[i], 0xee);

	/* Overlapping a held range from ahead of it still counts as held. */
	assert_int_equal(add(f, 60, 10), REASM_HELD);
	assert_int_equal(add(f, 65, 10), REASM_HELD);
	assert_int_equal(f->fx.overlap_bytes, 5);
	assert_int_equal(f->fx.out_of_order, 1);
	check_invariants(&f->r);
}

static void test_reasm_add_before_base(void **state)
{
	struct fixture *f = *state;
	const uint8_t *s = f->stream;

	/* Entirely before offset 0: the SYN's byte, or an old retransmit. */
	assert_int_equal(reasm_add(&f->r, &f->lim, BASE - 10, s, 10, &f->fx), REASM_OLD);
	assert_int_equal(reasm_add(&f->r, &f->lim, BASE - 1, s, 1, &f->fx), REASM_OLD);
	assert_int_equal(reasm_add(&f->r, &f->lim, BASE - 100, s, 5, &f->fx), REASM_OLD);
	assert_int_equal(f->r.contig, 0);
	assert_null(f->r.buf);

	/* Starting 4 bytes early: trimmed, the rest taken. */
	assert_int_equal(reasm_add(&f->r, &f->lim, BASE - 4, s, 14, &f->fx), REASM_NEW_DATA);
	assert_int_equal(f->r.contig, 10);
	assert_memory_equal(f->r.buf, s + 4, 10);
	assert_int_equal(f->r.segments, 3); /* the three old ones */
	check_invariants(&f->r);
}

static void test_reasm_add_seq_wraparound(void **state)
{
	struct fixture *f = *state;
	const uint8_t *s = f->stream;

	reasm_reset(&f->r);
	reasm_init(&f->r, 0xfffffff0u);

	/* The second half (past the wrap) first, then the first half. */
	assert_int_equal(reasm_add(&f->r, &f->lim, 0x00000000u, s + 16, 16, &f->fx), REASM_HELD);
	assert_int_equal(f->r.hi, 32);
	assert_int_equal(reasm_add(&f->r, &f->lim, 0xfffffff0u, s, 16, &f->fx), REASM_NEW_DATA);
	assert_int_equal(f->r.contig, 32);
	assert_int_equal(reasm_add(&f->r, &f->lim, 0x00000010u, s + 32, 8, &f->fx), REASM_NEW_DATA);
	assert_int_equal(f->r.contig, 40);
	assert_memory_equal(f->r.buf, s, 40);

	/* Before the base, across the wrap backwards. */
	assert_int_equal(reasm_add(&f->r, &f->lim, 0xffffffe0u, s, 16, &f->fx), REASM_OLD);
	assert_int_equal(reasm_add(&f->r, &f->lim, 0xffffffe8u, s, 16, &f->fx), REASM_DUPLICATE);
	check_invariants(&f->r);
}

static void test_reasm_add_segment_limit(void **state)
{
	struct fixture *f = *state;

	/* Only segments without in-order progress count. */
	f->lim.max_segments = 3;
	for (uint32_t i = 0; i < 10; i++)
		assert_int_equal(add(f, i, 1), REASM_NEW_DATA); /* a byte a segment */
	assert_int_equal(f->r.segments, 0);
	assert_int_equal(add(f, 0, 1), REASM_DUPLICATE); /* retransmits count */
	assert_int_equal(add(f, 15, 1), REASM_HELD);     /* so do held ones */
	assert_int_equal(add(f, 15, 1), REASM_DUPLICATE);
	assert_int_equal(f->r.segments, 3);
	assert_int_equal(add(f, 20, 1), REASM_SEGMENT_LIMIT);
	/* Past it, copies of in-order bytes are ignored, not the end. */
	assert_int_equal(add(f, 5, 2), REASM_DUPLICATE);
	/* Progress is still taken; the caller ends the flow at the first limit. */
	assert_int_equal(add(f, 10, 1), REASM_NEW_DATA);
	assert_int_equal(f->r.contig, 11);
	assert_int_equal(f->r.segments, 3);
}

static void test_reasm_add_byte_limit_start(void **state)
{
	struct fixture *f = *state;

	f->lim.max_bytes = 100;
	assert_int_equal(add(f, 100, 10), REASM_BYTE_LIMIT);
	assert_int_equal(add(f, 150, 1), REASM_BYTE_LIMIT);
	assert_int_equal(f->r.n_ranges, 0);
	assert_null(f->r.buf);
	assert_int_equal(add(f, 99, 1), REASM_HELD);
	assert_int_equal(f->r.hi, 100);
}

static void test_reasm_add_byte_limit_trim(void **state)
{
	struct fixture *f = *state;

	f->lim.max_bytes = 100;

	/* [90, 110) crosses the limit: [90, 100) is kept. */
	assert_int_equal(add(f, 90, 20), REASM_HELD);
	assert_int_equal(f->r.hi, 100);
	assert_true(f->r.cap <= 100);
	assert_int_equal(add(f, 0, 90), REASM_NEW_DATA);
	assert_int_equal(f->r.contig, 100);
	assert_memory_equal(f->r.buf, f->stream, 100);

	/* One segment far longer than the limit. */
	reasm_reset(&f->r);
	reasm_init(&f->r, BASE);
	assert_int_equal(add(f, 0, 1000), REASM_NEW_DATA);
	assert_int_equal(f->r.contig, 100);
	assert_int_equal(f->r.cap, 100);
	assert_int_equal(f->fx.overlap_bytes, 0);
	assert_memory_equal(f->r.buf, f->stream, 100);
	assert_int_equal(add(f, 100, 1), REASM_BYTE_LIMIT);
	check_invariants(&f->r);
}

static void test_reasm_add_many_ranges(void **state)
{
	struct fixture *f = *state;

	/* 40 disjoint held ranges: the range list grows several times. */
	for (uint32_t k = 40; k > 0; k--)
		assert_int_equal(add(f, k * 20, 10), REASM_HELD);
	assert_int_equal(f->r.n_ranges, 40);
	assert_true(f->r.cap_ranges >= 40);
	check_invariants(&f->r);

	/* Fill the gaps from the far end: each gap filler is appended to the
	 * held segment that ends where it starts, but for the first one. */
	for (uint32_t k = 40; k > 0; k--) {
		assert_int_equal(add(f, k * 20 - 10, 10), REASM_HELD);
		check_invariants(&f->r);
	}
	assert_int_equal(f->r.n_ranges, 41);
	assert_int_equal(add(f, 0, 10), REASM_NEW_DATA);
	assert_int_equal(f->r.contig, 810);
	assert_memory_equal(f->r.buf, f->stream, 810);
}

static void test_reasm_reset_frees(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(add(f, 0, 3000), REASM_NEW_DATA); /* past the first allocation */
	assert_int_equal(add(f, 3500, 10), REASM_HELD);
	assert_non_null(f->r.buf);
	assert_non_null(f->r.ranges);
	assert_true(f->r.cap >= 3510);
	reasm_reset(&f->r);
	assert_null(f->r.buf);
	assert_null(f->r.ranges);
	assert_int_equal(f->r.cap, 0);
	assert_int_equal(f->r.cap_ranges, 0);
	assert_int_equal(f->r.contig, 0);
	assert_int_equal(f->r.hi, 0);
	assert_int_equal(f->r.segments, 0);
	reasm_reset(&f->r); /* twice is harmless; teardown does it a third time */

	/* Usable again after reset + init. */
	reasm_init(&f->r, 7);
	assert_int_equal(reasm_add(&f->r, &f->lim, 7, f->stream, 5, &f->fx), REASM_NEW_DATA);
	assert_int_equal(f->r.contig, 5);
}

/* Add [off, off + len) as a copy that differs: every byte is fill. */
static enum reasm_result add_other(struct fixture *f, uint32_t off, uint32_t len, uint8_t fill)
{
	static uint8_t other[STREAM_LEN];

	memset(other, fill, len);
	return reasm_add(&f->r, &f->lim, f->r.base + off, other, len, &f->fx);
}

/* buf[from, to) is all fill. */
static void assert_filled(const struct fixture *f, uint32_t from, uint32_t to, uint8_t fill)
{
	for (uint32_t i = from; i < to; i++)
		assert_int_equal(f->r.buf[i], fill);
}

/* In order is final (tcp_data_queue drops what is before rcv_nxt). */
static void test_reasm_overlap_in_order_then_retransmit(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(add(f, 0, 20), REASM_NEW_DATA);
	assert_int_equal(add_other(f, 5, 10, 0xee), REASM_DUPLICATE);
	assert_int_equal(f->fx.overlap_bytes, 10);
	assert_int_equal(f->fx.conflict_bytes, 10);
	/* Reaching beyond: the in-order part still loses, the rest is taken. */
	assert_int_equal(add_other(f, 10, 20, 0xee), REASM_NEW_DATA);
	assert_int_equal(f->fx.overlap_bytes, 10);
	assert_int_equal(f->fx.conflict_bytes, 10);
	assert_memory_equal(f->r.buf, f->stream, 20);
	assert_filled(f, 20, 30, 0xee);
	/* The same bytes again overlap but do not conflict. */
	assert_int_equal(add(f, 0, 20), REASM_DUPLICATE);
	assert_int_equal(f->fx.overlap_bytes, 20);
	assert_int_equal(f->fx.conflict_bytes, 0);
	check_invariants(&f->r);
}

/* The evasion: bytes 20.. of one hello held, then another hello in order.
 * The in-order segment replaces the held bytes it covers. */
static void test_reasm_overlap_held_then_in_order(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(add_other(f, 20, 30, 0xee), REASM_HELD);
	assert_int_equal(f->fx.conflict_bytes, 0);
	assert_int_equal(add(f, 0, 40), REASM_NEW_DATA);
	assert_int_equal(f->fx.overlap_bytes, 20);
	assert_int_equal(f->fx.conflict_bytes, 20);
	/* The held segment gives only its bytes beyond the in-order end. */
	assert_int_equal(f->r.contig, 50);
	assert_int_equal(f->r.n_ranges, 0);
	assert_memory_equal(f->r.buf, f->stream, 40);
	assert_filled(f, 40, 50, 0xee);
	check_invariants(&f->r);

	/* An in-order segment that covers the held one entirely drops it. */
	reasm_reset(&f->r);
	reasm_init(&f->r, BASE);
	assert_int_equal(add_other(f, 20, 30, 0xee), REASM_HELD);
	assert_int_equal(add(f, 0, 60), REASM_NEW_DATA);
	assert_int_equal(f->fx.conflict_bytes, 30);
	assert_int_equal(f->r.contig, 60);
	assert_memory_equal(f->r.buf, f->stream, 60);
	check_invariants(&f->r);
}

/* Two held segments overlap partly: the lower start wins (tcp_ofo_queue
 * delivers it first), whichever came first. */
static void test_reasm_overlap_held_partial_new_higher(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(add(f, 10, 20), REASM_HELD);
	assert_int_equal(add_other(f, 20, 20, 0xee), REASM_HELD);
	assert_int_equal(f->fx.overlap_bytes, 10);
	assert_int_equal(f->fx.conflict_bytes, 10);
	assert_int_equal(f->r.n_ranges, 2);
	check_invariants(&f->r);
	assert_int_equal(add(f, 0, 10), REASM_NEW_DATA);
	assert_int_equal(f->r.contig, 40);
	assert_memory_equal(f->r.buf, f->stream, 30);
	assert_filled(f, 30, 40, 0xee);
	assert_int_equal(f->r.n_ranges, 0);
}

static void test_reasm_overlap_held_partial_new_lower(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(add(f, 20, 20), REASM_HELD);
	assert_int_equal(add_other(f, 10, 20, 0xee), REASM_HELD);
	assert_int_equal(f->fx.overlap_bytes, 10);
	assert_int_equal(f->fx.conflict_bytes, 10);
	assert_int_equal(f->r.n_ranges, 2);
	check_invariants(&f->r);
	assert_int_equal(add(f, 0, 10), REASM_NEW_DATA);
	assert_int_equal(f->r.contig, 40);
	assert_memory_equal(f->r.buf, f->stream, 10);
	assert_filled(f, 10, 30, 0xee);
	assert_memory_equal(f->r.buf + 30, f->stream + 30, 10);
}

/* A new segment inside a held one is dropped; so is a same-start shorter one. */
static void test_reasm_overlap_inside_held(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(add(f, 10, 30), REASM_HELD);
	assert_int_equal(add_other(f, 15, 10, 0xee), REASM_DUPLICATE);
	assert_int_equal(f->fx.conflict_bytes, 10);
	assert_int_equal(add_other(f, 10, 10, 0xee), REASM_DUPLICATE);
	assert_int_equal(add_other(f, 30, 10, 0xee), REASM_DUPLICATE); /* same end */
	assert_int_equal(f->r.n_ranges, 1);
	assert_int_equal(add(f, 0, 10), REASM_NEW_DATA);
	assert_int_equal(f->r.contig, 40);
	assert_memory_equal(f->r.buf, f->stream, 40);
}

/* Same start, reaching further: replaces the held one. */
static void test_reasm_overlap_same_start_longer(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(add(f, 10, 10), REASM_HELD);
	assert_int_equal(add_other(f, 10, 20, 0xee), REASM_HELD);
	assert_int_equal(f->fx.overlap_bytes, 10);
	assert_int_equal(f->fx.conflict_bytes, 10);
	assert_int_equal(f->r.n_ranges, 1);
	assert_int_equal(f->r.ranges[0].end, 30);
	assert_int_equal(add(f, 0, 10), REASM_NEW_DATA);
	assert_int_equal(f->r.contig, 30);
	assert_filled(f, 10, 30, 0xee);
}

/* A new held segment that covers held ones entirely removes them; the
 * first it covers only partly stays, and keeps the bytes past its end. */
static void test_reasm_overlap_covers_held(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(add(f, 20, 10), REASM_HELD);
	assert_int_equal(add(f, 35, 5), REASM_HELD);
	assert_int_equal(add(f, 50, 20), REASM_HELD);
	assert_int_equal(add_other(f, 15, 45, 0xee), REASM_HELD);
	assert_int_equal(f->fx.overlap_bytes, 25);
	assert_int_equal(f->fx.conflict_bytes, 25);
	assert_int_equal(f->r.n_ranges, 2); /* [15, 60) and [50, 70) */
	check_invariants(&f->r);
	assert_int_equal(add(f, 0, 15), REASM_NEW_DATA);
	assert_int_equal(f->r.contig, 70);
	assert_memory_equal(f->r.buf, f->stream, 15);
	assert_filled(f, 15, 60, 0xee);
	assert_memory_equal(f->r.buf + 60, f->stream + 60, 10);
}

/* A segment that starts where a held one ends is appended to it
 * (tcp_ooo_try_coalesce), so a later one inside both is dropped. */
static void test_reasm_overlap_coalesced(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(add(f, 10, 10), REASM_HELD);
	assert_int_equal(add(f, 20, 10), REASM_HELD);
	assert_int_equal(f->r.n_ranges, 1);
	assert_int_equal(add_other(f, 15, 10, 0xee), REASM_DUPLICATE);
	assert_int_equal(f->fx.conflict_bytes, 10);
	/* Appended to a held segment that is not the highest one. */
	assert_int_equal(add(f, 40, 10), REASM_HELD);
	assert_int_equal(add_other(f, 30, 15, 0xee), REASM_HELD);
	assert_int_equal(f->fx.conflict_bytes, 5);
	assert_int_equal(f->r.n_ranges, 2); /* [10, 45) and [40, 50) */
	check_invariants(&f->r);
	assert_int_equal(add(f, 0, 10), REASM_NEW_DATA);
	assert_int_equal(f->r.contig, 50);
	assert_memory_equal(f->r.buf, f->stream, 30);
	assert_filled(f, 30, 45, 0xee);
	assert_memory_equal(f->r.buf + 45, f->stream + 45, 5);
}

/* Conflicting copies cost what any segment costs: the segment cap and the
 * byte cap hold, and the held list never outgrows the segments counted. */
static void test_reasm_overlap_bounds(void **state)
{
	struct fixture *f = *state;

	f->lim.max_segments = 4;
	f->lim.max_bytes = 100;
	assert_int_equal(add(f, 10, 10), REASM_HELD);
	assert_int_equal(add_other(f, 10, 20, 0xee), REASM_HELD); /* replaces */
	assert_int_equal(add_other(f, 15, 5, 0xdd), REASM_DUPLICATE);
	assert_int_equal(add_other(f, 90, 50, 0xdd), REASM_HELD); /* cut at 100 */
	assert_int_equal(f->r.hi, 100);
	assert_true(f->r.cap <= 100);
	assert_true(f->r.n_ranges <= f->r.segments);
	assert_int_equal(add_other(f, 40, 5, 0xbb), REASM_HELD); /* a fourth: the cap */
	assert_int_equal(f->r.segments, 4);
	/* Past it, a segment that would open a new held range is not taken
	 * (REASM_SEGMENT_LIMIT); one that extends a held one is. */
	assert_int_equal(add_other(f, 5, 30, 0xcc), REASM_SEGMENT_LIMIT);
	assert_int_equal(add(f, 45, 5), REASM_HELD);
	assert_int_equal(add(f, 100, 1), REASM_BYTE_LIMIT);
	/* In-order progress is not capped by segments. */
	assert_int_equal(add(f, 0, 10), REASM_NEW_DATA);
	assert_int_equal(f->r.contig, 30);
	assert_int_equal(f->r.segments, 4);
	check_invariants(&f->r);
}

/* xorshift32: deterministic, so a failure reproduces. */
static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

struct seg {
	uint32_t off, len;
};

static void test_reasm_add_random_order(void **state)
{
	struct fixture *f = *state;
	static struct seg segs[STREAM_LEN];

	for (uint32_t seed = 1; seed <= 20; seed++) {
		uint32_t s = seed * 2654435761u, n = 0, off = 0, counted = 0;

		reasm_reset(&f->r);
		reasm_init(&f->r, rnd(&s)); /* any base, the wrap included */
		f->lim.max_segments = 10000;

		/* Cut the stream into 1..24-byte segments, then overlapping extras. */
		while (off < STREAM_LEN) {
			uint32_t len = 1 + rnd(&s) % 24;

			if (len > STREAM_LEN - off)
				len = STREAM_LEN - off;
			segs[n++] = (struct seg){ off, len };
			off += len;
		}
		for (uint32_t extra = n / 4; extra; extra--) {
			uint32_t o = rnd(&s) % STREAM_LEN, len = 1 + rnd(&s) % 60;

			segs[n++] = (struct seg){ o, len > STREAM_LEN - o ? STREAM_LEN - o : len };
		}
		/* Fisher-Yates. */
		for (uint32_t i = n - 1; i > 0; i--) {
			uint32_t j = rnd(&s) % (i + 1);
			struct seg t = segs[i];

			segs[i] = segs[j];
			segs[j] = t;
		}
		for (uint32_t i = 0; i < n; i++) {
			uint32_t before = f->r.contig, held = f->r.n_ranges;
			enum reasm_result res = add(f, segs[i].off, segs[i].len);

			/* Counted: copies, and held segments that open a range
			 * of their own (not those that extend a held one). */
			counted += res == REASM_DUPLICATE ||
				   (res == REASM_HELD && f->r.n_ranges > held);

			assert_true(res == REASM_NEW_DATA || res == REASM_HELD ||
				    res == REASM_DUPLICATE);
			assert_int_equal(res == REASM_NEW_DATA, f->r.contig > before);
			assert_memory_equal(f->r.buf, f->stream, f->r.contig);
			if (i % 64 == 0)
				check_invariants(&f->r);
		}
		assert_int_equal(f->r.contig, STREAM_LEN);
		assert_int_equal(f->r.n_ranges, 0);
		assert_int_equal(f->r.segments, counted);
		assert_memory_equal(f->r.buf, f->stream, STREAM_LEN);
	}
}

/* A model of the receiver that keeps each held segment's own bytes and
 * delivers them as tcp_ofo_queue() does, to check reasm's single buffer
 * (the byte of the lowest-start holder per offset) against. Same rules. */
#define MODEL_LEN  400
#define MODEL_SEGS 256

struct model {
	uint8_t out[MODEL_LEN];
	uint32_t nxt;
	uint16_t n;
	struct {
		uint32_t s, e;
		uint8_t d[MODEL_LEN]; /* indexed by stream offset */
	} q[MODEL_SEGS];
};

static void model_drop(struct model *m, uint16_t i)
{
	memmove(&m->q[i], &m->q[i + 1], (size_t)(m->n - i - 1) * sizeof(m->q[0]));
	m->n--;
}

static void model_add(struct model *m, uint32_t s, uint32_t e, const uint8_t *data)
{
	int p = -1, own;

	if (e <= m->nxt)
		return;
	if (s <= m->nxt) {
		memcpy(m->out + m->nxt, data + (m->nxt - s), e - m->nxt);
		m->nxt = e;
		while (m->n && m->q[0].s <= m->nxt) {
			if (m->q[0].e > m->nxt) {
				memcpy(m->out + m->nxt, m->q[0].d + m->nxt, m->q[0].e - m->nxt);
				m->nxt = m->q[0].e;
			}
			model_drop(m, 0);
		}
		return;
	}
	for (int i = 0; i < m->n; i++)
		if (m->q[i].s <= s)
			p = i;
	if (m->n && m->q[m->n - 1].e == s) {
		own = m->n - 1;
	} else if (p >= 0 && s < m->q[p].e) {
		if (e <= m->q[p].e)
			return;
		own = s == m->q[p].s ? p : p + 1;
	} else if (p >= 0 && s == m->q[p].e) {
		own = p;
	} else {
		own = p + 1;
	}
	if (own == p + 1 && !(p >= 0 && s == m->q[p].s)) {
		memmove(&m->q[own + 1], &m->q[own], (size_t)(m->n - own) * sizeof(m->q[0]));
		m->n++;
		m->q[own].s = s;
	}
	memcpy(m->q[own].d + s, data, e - s);
	m->q[own].e = e;
	while (own + 1 < m->n && m->q[own + 1].s < e && m->q[own + 1].e <= e)
		model_drop(m, (uint16_t)(own + 1));
}

static void test_reasm_overlap_against_model(void **state)
{
	struct fixture *f = *state;
	static struct model m;
	uint8_t data[64];

	for (uint32_t seed = 1; seed <= 300; seed++) {
		uint32_t s = seed * 2246822519u;

		reasm_reset(&f->r);
		reasm_init(&f->r, rnd(&s));
		memset(&m, 0, sizeof(m));
		f->lim.max_segments = 60000;
		for (int step = 0; step < 200 && m.nxt < MODEL_LEN; step++) {
			/* Mostly ahead of a gap, sometimes at 0, often where a held
			 * segment starts or ends, so every rule is taken. */
			uint32_t o = rnd(&s) % (MODEL_LEN - 64), len = 1 + rnd(&s) % 63;

			if (rnd(&s) % 8 == 0)
				o = 0;
			else if (m.n && rnd(&s) % 3 == 0)
				o = rnd(&s) % 2 ? m.q[rnd(&s) % m.n].s : m.q[rnd(&s) % m.n].e;
			if (o + len > MODEL_LEN)
				len = MODEL_LEN - o;
			for (uint32_t i = 0; i < len; i++)
				data[i] = (uint8_t)(rnd(&s) % 3); /* copies often agree */
			reasm_add(&f->r, &f->lim, f->r.base + o, data, len, &f->fx);
			model_add(&m, o, o + len, data);
			assert_int_equal(f->r.contig, m.nxt);
			assert_memory_equal(f->r.buf, m.out, m.nxt);
			assert_int_equal(f->r.n_ranges, m.n);
			check_invariants(&f->r);
		}
	}
}

/* The first buffer is what arrived, in steps of REASM_SLAB_STEP (16: a
 * flow left mid-hello keeps it until it times out); later growth doubles. */
static void test_reasm_first_alloc_size(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(add(f, 0, 369), REASM_NEW_DATA);
	assert_int_equal(f->r.cap, 384);
	assert_int_equal(add(f, 369, 100), REASM_NEW_DATA);
	assert_int_equal(f->r.cap, 768);
	assert_int_equal(f->r.contig, 469);
	assert_memory_equal(f->r.buf, f->stream, 469);

	reasm_reset(&f->r);
	reasm_init(&f->r, BASE);
	assert_int_equal(add(f, 0, 100), REASM_NEW_DATA);
	assert_int_equal(f->r.cap, 112);

	/* Held out of order: the buffer reaches the segment's end. */
	reasm_reset(&f->r);
	reasm_init(&f->r, BASE);
	assert_int_equal(add(f, 1000, 448), REASM_HELD);
	assert_int_equal(f->r.cap, 1456);
}

/* ---- the buffer allocator ---- */

static uint64_t live(void)
{
	struct reasm_mem m;

	reasm_mem(&m);
	return m.live;
}

static uint64_t chunks(void)
{
	struct reasm_mem m;

	reasm_mem(&m);
	return m.chunks;
}

/* Small buffers come from the size classes and a freed slot is handed
 * out again; an empty chunk is kept as the spare until reasm_trim(). */
static void test_reasm_slab_reuse_and_trim(void **state)
{
	struct fixture *f = *state;
	struct reasm r2;
	uint8_t *first;

	reasm_trim();
	assert_int_equal(live(), 0);
	assert_int_equal(chunks(), 0);
	assert_int_equal(add(f, 0, 369), REASM_NEW_DATA);
	assert_int_equal(live(), 1);
	assert_int_equal(chunks(), 1);
	first = f->r.buf;
	assert_false(reasm_trim()); /* no spare: the chunk is in use */
	assert_int_equal(chunks(), 1);
	assert_memory_equal(f->r.buf, f->stream, 369);

	/* Another stream of another class: another chunk. */
	reasm_init(&r2, BASE);
	assert_int_equal(reasm_add(&r2, &f->lim, BASE, f->stream, 100, &f->fx), REASM_NEW_DATA);
	assert_int_equal(live(), 2);
	assert_int_equal(chunks(), 2);
	assert_memory_equal(r2.buf, f->stream, 100);

	/* Freed, a slot comes back; its chunk, now empty, is the spare. */
	reasm_reset(&f->r);
	reasm_init(&f->r, BASE);
	assert_int_equal(live(), 1);
	assert_int_equal(chunks(), 2);
	/* Same class (384) again: the spare is used. */
	assert_int_equal(add(f, 0, 380), REASM_NEW_DATA);
	assert_ptr_equal(f->r.buf, first);
	assert_int_equal(chunks(), 2);

	/* Both empty: one is unmapped, the other kept as the spare. */
	reasm_reset(&r2);
	reasm_reset(&f->r);
	reasm_init(&f->r, BASE);
	assert_int_equal(live(), 0);
	assert_int_equal(chunks(), 1);
	assert_true(reasm_trim());
	assert_int_equal(chunks(), 0);
	assert_false(reasm_trim()); /* nothing left */

	/* And it works again after a trim. */
	assert_int_equal(add(f, 0, 50), REASM_NEW_DATA);
	assert_memory_equal(f->r.buf, f->stream, 50);
	assert_int_equal(chunks(), 1);
}

/* After a wave, the chunks go back as they empty even though one flow
 * still holds a buffer (of another class) all along. */
static void test_reasm_slab_wave_returns(void **state)
{
	struct fixture *f = *state;
	enum { N = 100 }; /* 2048-byte slots: about 31 a chunk, so 4 chunks */
	struct reasm *rs = calloc(N, sizeof(*rs));

	assert_non_null(rs);
	reasm_trim();
	assert_int_equal(add(f, 0, 200), REASM_NEW_DATA); /* the survivor */
	for (uint32_t i = 0; i < N; i++) {
		reasm_init(&rs[i], 0);
		assert_int_equal(reasm_add(&rs[i], &f->lim, 0, f->stream, REASM_SLAB_MAX, &f->fx),
				 REASM_NEW_DATA);
	}
	assert_int_equal(live(), N + 1);
	assert_int_equal(chunks(), 5);
	for (uint32_t i = 0; i < N; i++)
		reasm_reset(&rs[i]);
	free(rs);
	assert_int_equal(live(), 1);
	assert_int_equal(chunks(), 2); /* the survivor's and the spare */
	assert_memory_equal(f->r.buf, f->stream, 200);
}

/* A buffer growing out of the size classes (past REASM_SLAB_MAX) to
 * malloc keeps its bytes, held segments included, and frees its slot. */
static void test_reasm_slab_growth_to_malloc(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(add(f, 0, 1000), REASM_NEW_DATA);
	assert_int_equal(f->r.cap, 1008);
	assert_int_equal(add(f, 1500, 200), REASM_HELD); /* to 2016: still a class */
	assert_int_equal(f->r.cap, 2016);
	assert_int_equal(live(), 1);
	assert_int_equal(add(f, 1000, 1100), REASM_NEW_DATA); /* to 4032: malloc */
	assert_int_equal(f->r.cap, 4032);
	assert_int_equal(live(), 0);
	assert_int_equal(f->r.contig, 2100);
	assert_memory_equal(f->r.buf, f->stream, 2100);
	check_invariants(&f->r);
}

/* Many buffers of many sizes at once, past one chunk per class: none
 * overlaps another (each keeps its own bytes), and all come back. */
static void test_reasm_slab_many(void **state)
{
	struct fixture *f = *state;
	enum { N = 600 };
	struct reasm *rs = calloc(N, sizeof(*rs));
	uint8_t data[REASM_SLAB_MAX];

	assert_non_null(rs);
	for (uint32_t i = 0; i < N; i++) {
		uint32_t len = 1 + (i * 37) % REASM_SLAB_MAX;

		memset(data, (int)(i & 0xff), len);
		reasm_init(&rs[i], i);
		assert_int_equal(reasm_add(&rs[i], &f->lim, i, data, len, &f->fx), REASM_NEW_DATA);
	}
	assert_int_equal(live(), N);
	assert_true(chunks() > 1);
	for (uint32_t i = 0; i < N; i++) {
		uint32_t len = 1 + (i * 37) % REASM_SLAB_MAX;

		memset(data, (int)(i & 0xff), len);
		assert_int_equal(rs[i].contig, len);
		assert_int_equal(rs[i].cap % REASM_SLAB_STEP, 0);
		assert_memory_equal(rs[i].buf, data, len);
	}
	for (uint32_t i = 0; i < N; i++)
		reasm_reset(&rs[i]);
	free(rs);
	assert_int_equal(live(), 0);
	assert_int_equal(chunks(), 1); /* the spare */
}

/* The pinning attack: in each class, fill chunks and free all but one
 * buffer of each. Chunks stay under REASM_SLAB_MAP_MAX; past it buffers
 * come from malloc (cap above the classes) and keep their bytes. */
static void test_reasm_slab_mapping_bounded(void **state)
{
	struct fixture *f = *state;
	const uint32_t per_chunk = (64u << 10) / REASM_SLAB_MAX; /* at most */
	const uint32_t n = (REASM_SLAB_MAP_MAX / (64u << 10) + 64) * per_chunk;
	struct reasm *rs = calloc(n, sizeof(*rs));
	uint32_t from_malloc = 0;

	assert_non_null(rs);
	for (uint32_t i = 0; i < n; i++) {
		reasm_init(&rs[i], 0);
		assert_int_equal(reasm_add(&rs[i], &f->lim, 0, f->stream, REASM_SLAB_MAX, &f->fx),
				 REASM_NEW_DATA);
		from_malloc += rs[i].cap > REASM_SLAB_MAX;
		assert_true(chunks() * (64u << 10) <= REASM_SLAB_MAP_MAX + (64u << 10));
	}
	assert_true(from_malloc > 0);
	/* Free all but one a chunk's worth: the slab stays pinned at its bound,
	 * and a buffer of another class still comes (from malloc). */
	for (uint32_t i = 0; i < n; i++)
		if (i % per_chunk)
			reasm_reset(&rs[i]);
	assert_int_equal(add(f, 0, 100), REASM_NEW_DATA);
	assert_true(chunks() * (64u << 10) <= REASM_SLAB_MAP_MAX + (64u << 10));
	assert_memory_equal(f->r.buf, f->stream, 100);
	check_invariants(&f->r);
	for (uint32_t i = 0; i < n; i += per_chunk) {
		assert_memory_equal(rs[i].buf, f->stream, REASM_SLAB_MAX);
		reasm_reset(&rs[i]);
	}
	free(rs);
	reasm_reset(&f->r);
	assert_int_equal(live(), 0);
	assert_true(chunks() <= 1);
}

/* Offsets are 16 bits: a caller asking for more is held to the limit. */
static void test_reasm_offset_limit(void **state)
{
	struct fixture *f = *state;

	f->lim.max_bytes = 100000;
	assert_int_equal(reasm_add(&f->r, &f->lim, BASE + REASM_OFFSET_LIMIT, f->stream, 1, &f->fx),
			 REASM_BYTE_LIMIT);
	assert_int_equal(add(f, 0, 10), REASM_NEW_DATA);
	assert_int_equal(f->r.contig, 10);
}

/* reasm_remove(): an in-order byte taken out (a TCP urgent byte the reader
 * skips); held bytes move down with the rest, and later segments, by their
 * sequence numbers, land after the gap it leaves, a retransmit reaching back
 * over it too. A byte not yet in order is not removed. */
static void test_reasm_remove_byte(void **state)
{
	struct fixture *f = *state;
	uint8_t want[84];

	assert_int_equal(reasm_add(&f->r, &f->lim, BASE, f->stream, 50, &f->fx), REASM_NEW_DATA);
	assert_int_equal(reasm_add(&f->r, &f->lim, BASE + 60, f->stream + 60, 20, &f->fx),
			 REASM_HELD);
	reasm_remove(&f->r, 50); /* not in order: nothing */
	assert_int_equal(f->r.contig, 50);
	reasm_remove(&f->r, 20);
	assert_int_equal(f->r.contig, 49);
	assert_int_equal(f->r.base, BASE + 1);
	assert_int_equal(f->r.n_ranges, 1);
	assert_int_equal(f->r.ranges[0].start, 59);
	assert_int_equal(f->r.ranges[0].end, 79);
	check_invariants(&f->r);
	assert_int_equal(reasm_add(&f->r, &f->lim, BASE + 50, f->stream + 50, 10, &f->fx),
			 REASM_NEW_DATA);
	assert_int_equal(f->r.contig, 79);
	assert_int_equal(reasm_add(&f->r, &f->lim, BASE + 10, f->stream + 10, 75, &f->fx),
			 REASM_NEW_DATA);
	assert_int_equal(f->r.contig, 84);
	assert_int_equal(f->r.hi, 84);
	memcpy(want, f->stream, 20);
	memcpy(want + 20, f->stream + 21, 64);
	assert_memory_equal(f->r.buf, want, sizeof(want));
	check_invariants(&f->r);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_reasm_init_empty),
		T(test_reasm_add_in_order),
		T(test_reasm_add_out_of_order_fill),
		T(test_reasm_add_reversed_five),
		T(test_reasm_add_exact_duplicate),
		T(test_reasm_add_empty_segment),
		T(test_reasm_add_partial_overlap),
		T(test_reasm_add_overlap_across_gaps),
		T(test_reasm_add_before_base),
		T(test_reasm_add_seq_wraparound),
		T(test_reasm_add_segment_limit),
		T(test_reasm_add_byte_limit_start),
		T(test_reasm_add_byte_limit_trim),
		T(test_reasm_add_many_ranges),
		T(test_reasm_reset_frees),
		T(test_reasm_add_random_order),
		T(test_reasm_overlap_in_order_then_retransmit),
		T(test_reasm_overlap_held_then_in_order),
		T(test_reasm_overlap_held_partial_new_higher),
		T(test_reasm_overlap_held_partial_new_lower),
		T(test_reasm_overlap_inside_held),
		T(test_reasm_overlap_same_start_longer),
		T(test_reasm_overlap_covers_held),
		T(test_reasm_overlap_coalesced),
		T(test_reasm_overlap_bounds),
		T(test_reasm_overlap_against_model),
		T(test_reasm_first_alloc_size),
		T(test_reasm_slab_reuse_and_trim),
		T(test_reasm_slab_wave_returns),
		T(test_reasm_slab_growth_to_malloc),
		T(test_reasm_slab_many),
		T(test_reasm_slab_mapping_bounded),
		T(test_reasm_offset_limit),
		T(test_reasm_remove_byte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
