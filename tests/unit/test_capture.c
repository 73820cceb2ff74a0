// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unit tests of user/capture.c: the names of the capture modes (the strings
 * of the logs and the JSON) and the slice budget that bounds one dispatch,
 * driven by a fake clock; and core.bpf_filter where userspace runs it
 * (user/capture_filter.c): compiled with libpcap, run on raw IP packets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../../user/capture_priv.h"
#include "capture.h"
#include "config.h"
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

/* ---- core.bpf_filter in userspace ---- */

static void fake_close(struct capture *c)
{
	capture_filter_free(c);
}

static const struct capture_ops fake_ops = { .mode = CAPTURE_TC, .close = fake_close };

/* An IPv4 TCP packet src:sport -> dst:dport with n payload bytes of 0x16,
 * headers only when captured is false (what the kernel sends up of a SYN). */
static uint32_t ip4_tcp(uint8_t *p, const uint8_t src[4], const uint8_t dst[4], uint16_t sport,
			uint16_t dport, uint32_t n, uint32_t *wire)
{
	memset(p, 0, 40 + n);
	p[0] = 0x45;
	p[2] = (uint8_t)((40 + n) >> 8);
	p[3] = (uint8_t)(40 + n);
	p[8] = 64;
	p[9] = 6;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	{ /* the header checksum, as a sender's stack sets it */
		uint32_t s = 0;

		for (int i = 0; i < 20; i += 2)
			s += (uint32_t)(p[i] << 8 | p[i + 1]);
		s = (s & 0xffff) + (s >> 16);
		s = (s & 0xffff) + (s >> 16);
		p[10] = (uint8_t)(~s >> 8);
		p[11] = (uint8_t)~s;
	}
	p[20] = (uint8_t)(sport >> 8);
	p[21] = (uint8_t)sport;
	p[22] = (uint8_t)(dport >> 8);
	p[23] = (uint8_t)dport;
	p[32] = 0x50; /* data offset 5 */
	p[33] = n ? 0x18 : 0x02;
	memset(p + 40, 0x16, n);
	*wire = 40 + n;
	return 40 + n;
}

/* The Go configs' filters (addresses, ports, protocols) on what the eBPF
 * modes pass up: kept and dropped as libpcap would, drops counted. */
static void test_capture_filter_l3_packets(void **state)
{
	static const uint8_t kept[4] = { 198, 18, 2, 5 }, dropped[4] = { 198, 18, 1, 5 },
			     server[4] = { 198, 18, 0, 1 };
	struct capture *c = capture_new(&fake_ops, NULL);
	uint8_t pkt[128], v6[60] = { 0x60 };
	uint32_t n, wire;
	char err[512];

	(void)state;
	assert_non_null(c);
	c->ufilter_link = -1;
	assert_int_equal(capture_set_user_filter(c, "tcp", err, sizeof(err)), -1);
	capture_filter_on_l3(c);
	assert_int_equal(capture_set_user_filter(c, "not src net 198.18.1.0/24 and tcp port 443",
						 err, sizeof(err)),
			 0);
	assert_true(c->st.user_filter);
	n = ip4_tcp(pkt, kept, server, 40000, 443, 0, &wire);
	assert_true(capture_filter_pass(c, pkt, n, wire));
	n = ip4_tcp(pkt, dropped, server, 40000, 443, 0, &wire);
	assert_false(capture_filter_pass(c, pkt, n, wire));
	n = ip4_tcp(pkt, kept, server, 40000, 80, 0, &wire);
	assert_false(capture_filter_pass(c, pkt, n, wire));
	/* The server's SYN-ACK: its source port is 443. */
	n = ip4_tcp(pkt, server, kept, 443, 40000, 0, &wire);
	assert_true(capture_filter_pass(c, pkt, n, wire));
	/* IPv6 to port 443: "src net" of IPv4 does not exclude it. */
	v6[4] = 0;
	v6[5] = 20;
	v6[6] = 6;
	v6[7] = 64;
	v6[8] = 0xfd;
	v6[24] = 0xfd;
	v6[42] = 443 >> 8;
	v6[43] = 443 & 0xff;
	v6[52] = 0x50;
	assert_true(capture_filter_pass(c, v6, 60, 60));
	assert_int_equal(c->st.filtered, 2);

	/* A payload offset: the same bytes pass when the kernel sent them up,
	 * not when it sent the headers only (caplen < wire length). */
	assert_int_equal(capture_set_user_filter(c, "tcp[20] = 0x16", err, sizeof(err)), 0);
	n = ip4_tcp(pkt, kept, server, 40000, 443, 10, &wire);
	assert_true(capture_filter_pass(c, pkt, n, wire));
	assert_false(capture_filter_pass(c, pkt, 40, wire));
	/* A new filter replaces the old one; the count goes on. */
	assert_int_equal(c->st.filtered, 3);
	capture_close(c);
}

/* What needs the link layer is refused for the eBPF modes, with the reason;
 * the configuration check (Ethernet) accepts it, pcap mode can run it. */
static void test_capture_filter_link_layer(void **state)
{
	char err[512];

	(void)state;
	assert_int_equal(capture_filter_l3_check("tcp port 443 and not net 198.18.0.0/15", err,
						 sizeof(err)),
			 0);
	assert_int_equal(capture_filter_l3_check("vlan and tcp port 443", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "core.bpf_filter"));
	assert_non_null(strstr(err, "link layer"));
	assert_int_equal(capture_filter_l3_check("ether host 02:00:00:00:00:01", err, sizeof(err)),
			 -1);
	/* Compiles for raw IP, but reads the socket's packet type. */
	assert_int_equal(capture_filter_l3_check("inbound and tcp port 443", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "live socket"));
	assert_int_equal(bpf_filter_check("vlan and tcp port 443", err, sizeof(err)), 0);
	assert_int_equal(bpf_filter_check("ether host 02:00:00:00:00:01", err, sizeof(err)), 0);
	assert_int_equal(bpf_filter_check("tcp prot 443", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "syntax error"));
}

#define T(fn) cmocka_unit_test_setup(fn, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_capture_mode_name_all),        T(test_capture_budget_charge_count),
		T(test_capture_budget_charge_time),   T(test_capture_budget_charge_clock_reads),
		T(test_capture_budget_chunk_batches), T(test_capture_budget_charge_short),
		T(test_capture_filter_l3_packets),    T(test_capture_filter_link_layer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
