// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unit tests of ipfrag (user/ipfrag.c): IPv4 and IPv6 datagrams cut into
 * fragments here, fed in order, out of order, with duplicates and
 * overlaps, past the timeout and the bounds; a rebuilt datagram must parse
 * (packet_parse()) to what the unfragmented one does, byte for byte of its
 * payload. Each fragment is an exact-size heap copy so ASan sees any read
 * past it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "byteorder.h"
#include "ipfrag.h"
#include "packet.h"

#define SEC     1000000000ULL
#define PAYLOAD 600 /* a small ClientHello's worth */

static const uint8_t seed[16] = { 1, 2, 3 };

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* TCP (no options) with PAYLOAD bytes of a TLS-looking pattern at p. */
static uint32_t put_tcp(uint8_t *p, uint32_t seq)
{
	memset(p, 0, 20);
	put16(p, 40000);
	put16(p + 2, 443);
	p[4] = (uint8_t)(seq >> 24);
	p[7] = (uint8_t)seq;
	p[12] = 5 << 4;
	p[13] = 0x18; /* PSH ACK */
	put16(p + 14, 502);
	p[20] = 0x16;
	for (uint32_t i = 1; i < PAYLOAD; i++)
		p[20 + i] = (uint8_t)(i * 7 + 3);
	return 20 + PAYLOAD;
}

/* Set the IPv4 header checksum, as the sender's stack does: the table
 * drops a fragment whose header sum is wrong, as the receiver does. */
static void set_sum(uint8_t *p)
{
	uint32_t s = 0;

	p[10] = p[11] = 0;
	for (uint32_t i = 0; i < (uint32_t)(p[0] & 15) * 4; i += 2)
		s += rd16(p + i);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	put16(p + 10, (uint16_t)~s);
}

/* The whole IPv4 datagram 198.18.0.1 -> 198.18.0.2, ID id. */
static uint32_t whole_v4(uint8_t *p, uint16_t id)
{
	uint32_t l4 = put_tcp(p + 20, 1);

	memset(p, 0, 20);
	p[0] = 0x45;
	put16(p + 2, (uint16_t)(20 + l4));
	put16(p + 4, id);
	p[8] = 64;
	p[9] = 6;
	p[12] = 198, p[13] = 18, p[15] = 1;
	p[16] = 198, p[17] = 18, p[19] = 2;
	set_sum(p);
	return 20 + l4;
}

/* A fragment of the IPv4 datagram w: bytes [off, off + len) of its payload. */
static uint8_t *frag_v4(const uint8_t *w, uint32_t off, uint32_t len, int mf, uint32_t *n)
{
	uint8_t *f = malloc(20 + len);

	memcpy(f, w, 20);
	memcpy(f + 20, w + 20 + off, len);
	put16(f + 2, (uint16_t)(20 + len));
	put16(f + 6, (uint16_t)((mf ? 0x2000 : 0) | off / 8));
	set_sum(f);
	*n = 20 + len;
	return f;
}

/* The whole IPv6 datagram fd00::1 -> fd00::2 (no extension headers). */
static uint32_t whole_v6(uint8_t *p)
{
	uint32_t l4 = put_tcp(p + 40, 1);

	memset(p, 0, 40);
	p[0] = 0x60;
	put16(p + 4, (uint16_t)l4);
	p[6] = 6;
	p[7] = 64;
	p[8] = 0xfd, p[23] = 1;
	p[24] = 0xfd, p[39] = 2;
	return 40 + l4;
}

/* A fragment of the IPv6 datagram w (fragment header, ID 0x1234). */
static uint8_t *frag_v6(const uint8_t *w, uint32_t off, uint32_t len, int mf, uint32_t *n)
{
	uint8_t *f = malloc(48 + len);

	memcpy(f, w, 40);
	f[6] = 44;
	put16(f + 4, (uint16_t)(8 + len));
	memset(f + 40, 0, 8);
	f[40] = 6;
	put16(f + 42, (uint16_t)(off | (mf ? 1 : 0)));
	f[46] = 0x12, f[47] = 0x34;
	memcpy(f + 48, w + 40 + off, len);
	*n = 48 + len;
	return f;
}

/* The IPv4 header checksum over the header: 0 when it is right. */
static uint16_t ip_sum(const uint8_t *p)
{
	uint32_t s = 0;

	for (uint32_t i = 0; i < (uint32_t)(p[0] & 15) * 4; i += 2)
		s += rd16(p + i);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

struct piece {
	uint32_t off, len;
	int mf;
};

/* Feed the pieces of w in the order given; the last result, and the
 * rebuilt packet in out / outlen when it is IPFRAG_DONE. */
static enum ipfrag_result feed(struct ipfrag_table *t, const uint8_t *w, int v6,
			       const struct piece *pc, int n, uint64_t now, uint8_t *out,
			       uint32_t *outlen)
{
	enum ipfrag_result r = IPFRAG_NOT_FRAGMENT;

	for (int i = 0; i < n; i++) {
		uint32_t fl;
		uint8_t *f = v6 ? frag_v6(w, pc[i].off, pc[i].len, pc[i].mf, &fl)
				: frag_v4(w, pc[i].off, pc[i].len, pc[i].mf, &fl);
		const uint8_t *o;
		uint32_t ol;
		struct pkt_info pi;

		assert_int_equal(packet_parse(f, fl, &pi), PKT_FRAGMENT);
		r = ipfrag_add(t, f, fl, now, &o, &ol);
		free(f);
		if (r == IPFRAG_DONE) {
			memcpy(out, o, ol);
			*outlen = ol;
		}
		if (i < n - 1)
			assert_int_not_equal(r, IPFRAG_DONE);
	}
	return r;
}

static struct ipfrag_table *table(uint32_t max_dgrams, uint32_t max_bytes)
{
	struct ipfrag_config c = {
		.max_datagrams = max_dgrams,
		.max_bytes = max_bytes,
		.timeout_v4_ns = IPFRAG_TIMEOUT_V4_NS,
		.timeout_v6_ns = IPFRAG_TIMEOUT_V6_NS,
	};
	struct ipfrag_table *t = ipfrag_new(&c, seed);

	assert_non_null(t);
	return t;
}

/* The rebuilt packet parses as the whole one: same addresses, ports,
 * sequence, IP length and every payload byte. */
static void same_parse(const uint8_t *w, uint32_t wl, const uint8_t *r, uint32_t rl)
{
	struct pkt_info a, b;

	assert_int_equal(rl, wl);
	assert_int_equal(packet_parse(w, wl, &a), PKT_OK);
	assert_int_equal(packet_parse(r, rl, &b), PKT_OK);
	assert_int_equal(a.family, b.family);
	assert_memory_equal(a.src, b.src, 16);
	assert_memory_equal(a.dst, b.dst, 16);
	assert_int_equal(a.sport, b.sport);
	assert_int_equal(a.dport, b.dport);
	assert_int_equal(a.seq, b.seq);
	assert_int_equal(a.ttl, b.ttl);
	assert_int_equal(a.ip_id, b.ip_id);
	assert_int_equal(a.ip_total_len, b.ip_total_len);
	assert_int_equal(a.tcp_flags, b.tcp_flags);
	assert_int_equal(a.payload_len, PAYLOAD);
	assert_int_equal(b.payload_len, PAYLOAD);
	assert_memory_equal(a.payload, b.payload, PAYLOAD);
}

/* A hello in three fragments, in order: the third rebuilds the datagram. */
static void test_ipfrag_v4_in_order(void **state)
{
	static uint8_t w[2000], out[IPFRAG_MAX_PACKET];
	const struct piece pc[] = { { 0, 208, 1 }, { 208, 208, 1 }, { 416, 204, 0 } };
	struct ipfrag_table *t = table(16, 1 << 20);
	uint32_t wl = whole_v4(w, 77), ol = 0;

	assert_int_equal(feed(t, w, 0, pc, 3, SEC, out, &ol), IPFRAG_DONE);
	same_parse(w, wl, out, ol);
	assert_int_equal(ipfrag_get_stats(t)->fragments, 3);
	assert_int_equal(ipfrag_get_stats(t)->reassembled, 1);
	assert_int_equal(ipfrag_count(t), 0);
	assert_int_equal(ipfrag_bytes(t), 0);
	ipfrag_free(t);
}

/* Last first, then the middle, then the first; and a gap filled last. */
static void test_ipfrag_v4_out_of_order(void **state)
{
	static uint8_t w[2000], out[IPFRAG_MAX_PACKET];
	const struct piece rev[] = { { 416, 204, 0 }, { 208, 208, 1 }, { 0, 208, 1 } };
	const struct piece gap[] = {
		{ 0, 104, 1 }, { 416, 204, 0 }, { 208, 208, 1 }, { 104, 104, 1 }
	};
	struct ipfrag_table *t = table(16, 1 << 20);
	uint32_t wl = whole_v4(w, 78), ol = 0;

	assert_int_equal(feed(t, w, 0, rev, 3, SEC, out, &ol), IPFRAG_DONE);
	same_parse(w, wl, out, ol);
	ol = 0;
	assert_int_equal(feed(t, w, 0, gap, 4, SEC, out, &ol), IPFRAG_DONE);
	same_parse(w, wl, out, ol);
	assert_int_equal(ipfrag_get_stats(t)->reassembled, 2);
	ipfrag_free(t);
}

/* An exact duplicate and a piece inside a run held are ignored; the
 * datagram still completes, with the first copy's bytes. */
static void test_ipfrag_duplicate(void **state)
{
	static uint8_t w[2000], out[IPFRAG_MAX_PACKET];
	const struct piece pc[] = { { 0, 208, 1 }, { 0, 208, 1 },   { 208, 208, 1 },
				    { 16, 64, 1 }, { 208, 208, 1 }, { 416, 204, 0 } };
	struct ipfrag_table *t = table(16, 1 << 20);
	uint32_t wl = whole_v4(w, 79), ol = 0;

	assert_int_equal(feed(t, w, 0, pc, 6, SEC, out, &ol), IPFRAG_DONE);
	same_parse(w, wl, out, ol);
	assert_int_equal(ipfrag_get_stats(t)->duplicates, 3);
	assert_int_equal(ipfrag_get_stats(t)->overlaps, 0);
	ipfrag_free(t);
}

/* A partial overlap discards the whole datagram: the rest never completes
 * it, and the later pieces start a new one that stays incomplete. */
static void test_ipfrag_overlap_discards(void **state)
{
	static uint8_t w[2000], out[IPFRAG_MAX_PACKET];
	const struct piece pc[] = {
		{ 0, 208, 1 }, { 200, 216, 1 }, { 208, 208, 1 }, { 416, 204, 0 }
	};
	/* Overlapping runs that are not one: 0-104 and 208-416 held, then
	 * 0-208 spans the first and the gap (Linux: overlap, not duplicate). */
	const struct piece span[] = { { 0, 104, 1 }, { 208, 208, 1 }, { 0, 208, 1 } };
	struct ipfrag_table *t = table(16, 1 << 20);
	uint32_t ol = 0;

	whole_v4(w, 80);
	assert_int_equal(feed(t, w, 0, pc, 4, SEC, out, &ol), IPFRAG_HELD);
	assert_int_equal(ipfrag_get_stats(t)->overlaps, 1);
	assert_int_equal(ipfrag_get_stats(t)->reassembled, 0);
	assert_int_equal(ipfrag_count(t), 1); /* 208.. and the last, no first */
	whole_v4(w, 81);
	assert_int_equal(feed(t, w, 0, span, 3, SEC, out, &ol), IPFRAG_HELD);
	assert_int_equal(ipfrag_get_stats(t)->overlaps, 2);
	assert_int_equal(ipfrag_count(t), 1);
	ipfrag_free(t);
}

/* Two different ends, or data past the end: the datagram goes. */
static void test_ipfrag_bad_length(void **state)
{
	static uint8_t w[2000], out[IPFRAG_MAX_PACKET];
	const struct piece two_ends[] = { { 416, 204, 0 }, { 408, 8, 0 } };
	const struct piece past_end[] = { { 200, 8, 0 }, { 208, 208, 1 } };
	struct ipfrag_table *t = table(16, 1 << 20);
	uint32_t ol = 0;

	whole_v4(w, 82);
	assert_int_equal(feed(t, w, 0, two_ends, 2, SEC, out, &ol), IPFRAG_HELD);
	whole_v4(w, 83);
	assert_int_equal(feed(t, w, 0, past_end, 2, SEC, out, &ol), IPFRAG_HELD);
	assert_int_equal(ipfrag_get_stats(t)->bad_length, 2);
	assert_int_equal(ipfrag_count(t), 0);
	ipfrag_free(t);
}

/* 30 s after its first fragment an IPv4 datagram is gone (the tick, or
 * the next fragment that finds it stale). */
static void test_ipfrag_timeout(void **state)
{
	static uint8_t w[2000], out[IPFRAG_MAX_PACKET];
	const struct piece a[] = { { 0, 208, 1 }, { 208, 208, 1 } };
	const struct piece b[] = { { 416, 204, 0 } };
	struct ipfrag_table *t = table(16, 1 << 20);
	uint32_t ol = 0;

	whole_v4(w, 84);
	assert_int_equal(feed(t, w, 0, a, 2, SEC, out, &ol), IPFRAG_HELD);
	assert_int_equal(ipfrag_expire(t, SEC + IPFRAG_TIMEOUT_V4_NS - 1), 0);
	assert_int_equal(ipfrag_expire(t, SEC + IPFRAG_TIMEOUT_V4_NS), 1);
	assert_int_equal(feed(t, w, 0, b, 1, SEC + IPFRAG_TIMEOUT_V4_NS, out, &ol), IPFRAG_HELD);
	assert_int_equal(ipfrag_count(t), 1);
	/* No tick: the stale datagram is found by its next fragment. */
	whole_v4(w, 85);
	assert_int_equal(feed(t, w, 0, a, 2, 100 * SEC, out, &ol), IPFRAG_HELD);
	assert_int_equal(feed(t, w, 0, b, 1, 100 * SEC + IPFRAG_TIMEOUT_V4_NS, out, &ol),
			 IPFRAG_HELD);
	assert_int_equal(ipfrag_get_stats(t)->timeouts, 2);
	assert_int_equal(ipfrag_get_stats(t)->reassembled, 0);
	ipfrag_free(t);
}

/* At the count or byte bound, as Linux over ipfrag_high_thresh, no
 * fragment is taken, of a datagram in progress or a new one, until
 * timeouts free room; nothing held is evicted (evicting would let a client
 * push its own hello's datagram out while the server rebuilds it). */
static void test_ipfrag_bounds(void **state)
{
	static uint8_t w[2000], out[IPFRAG_MAX_PACKET];
	const struct piece first[] = { { 0, 208, 1 } };
	const struct piece rest[] = { { 208, 208, 1 }, { 416, 204, 0 } };
	struct ipfrag_table *t = table(4, 1 << 20);
	uint32_t wl = 0, ol = 0;

	for (uint16_t id = 1; id <= 6; id++) {
		whole_v4(w, id);
		assert_int_equal(feed(t, w, 0, first, 1, SEC, out, &ol), IPFRAG_HELD);
	}
	assert_int_equal(ipfrag_count(t), 4);
	assert_int_equal(ipfrag_get_stats(t)->refused, 2);
	wl = whole_v4(w, 1); /* the oldest is still there and completes */
	assert_int_equal(feed(t, w, 0, rest, 2, SEC, out, &ol), IPFRAG_DONE);
	same_parse(w, wl, out, ol);
	whole_v4(w, 6); /* refused: its rest does not complete it */
	assert_int_equal(feed(t, w, 0, rest, 2, SEC, out, &ol), IPFRAG_HELD);
	ipfrag_free(t);

	/* Bytes: over the bound nothing more is taken, not even the rest of a
	 * datagram in progress; after the timeout there is room again. */
	t = table(64, 1500);
	for (uint16_t id = 1; id <= 5; id++) {
		whole_v4(w, id);
		assert_int_equal(feed(t, w, 0, first, 1, SEC, out, &ol), IPFRAG_HELD);
	}
	assert_true(ipfrag_count(t) < 5);
	assert_true(ipfrag_get_stats(t)->refused >= 1);
	assert_true(ipfrag_bytes(t) <= 1500 + 1024);
	whole_v4(w, 1);
	assert_int_equal(feed(t, w, 0, rest, 2, SEC, out, &ol), IPFRAG_HELD);
	assert_true(ipfrag_expire(t, SEC + IPFRAG_TIMEOUT_V4_NS) > 0);
	wl = whole_v4(w, 7);
	assert_int_equal(feed(t, w, 0, first, 1, 2 * IPFRAG_TIMEOUT_V4_NS, out, &ol), IPFRAG_HELD);
	assert_int_equal(feed(t, w, 0, rest, 2, 2 * IPFRAG_TIMEOUT_V4_NS, out, &ol), IPFRAG_DONE);
	same_parse(w, wl, out, ol);
	ipfrag_free(t);

	/* A fragment far into a datagram costs what it carries, not the span
	 * up to its offset: 64 of them at 65,000 do not fill 4 MiB. */
	t = table(IPFRAG_MAX_DATAGRAMS, IPFRAG_MAX_BYTES);
	for (uint16_t id = 100; id < 164; id++) {
		uint8_t far[28] = { 0 };
		const uint8_t *o;

		whole_v4(w, id);
		memcpy(far, w, 20);
		put16(far + 2, sizeof(far));
		put16(far + 6, (uint16_t)(0x2000 | 64992 / 8));
		set_sum(far);
		assert_int_equal(ipfrag_add(t, far, sizeof(far), SEC, &o, &ol), IPFRAG_HELD);
	}
	assert_int_equal(ipfrag_count(t), 64);
	assert_true(ipfrag_bytes(t) < 64 * 1024);
	assert_int_equal(ipfrag_get_stats(t)->refused, 0);
	ipfrag_free(t);
}

/* The bounds are per address family, as Linux's stores are: a table full
 * of IPv6 datagrams (a flood of later fragments from anywhere) still takes
 * and rebuilds an IPv4 one, and the other way round. */
static void test_ipfrag_bounds_per_family(void **state)
{
	static uint8_t w[2000], out[IPFRAG_MAX_PACKET];
	const struct piece v6_rest[] = { { 208, 208, 1 } };
	const struct piece v4_all[] = { { 208, 208, 1 }, { 416, 204, 0 }, { 0, 208, 1 } };
	const struct piece v4_first[] = { { 0, 208, 1 } };
	struct ipfrag_table *t = table(4, 1 << 20);
	uint32_t wl, ol = 0;

	for (int i = 0; i < 6; i++) { /* 6 IPv6 datagrams of other IDs */
		whole_v6(w);
		w[23] = (uint8_t)(10 + i); /* another source each */
		assert_int_equal(feed(t, w, 1, v6_rest, 1, SEC, out, &ol), IPFRAG_HELD);
	}
	assert_int_equal(ipfrag_count(t), 4);
	assert_int_equal(ipfrag_get_stats(t)->refused, 2);
	wl = whole_v4(w, 9);
	assert_int_equal(feed(t, w, 0, v4_all, 3, SEC, out, &ol), IPFRAG_DONE);
	same_parse(w, wl, out, ol);
	for (uint16_t id = 20; id < 26; id++) { /* IPv4 full now too */
		whole_v4(w, id);
		assert_int_equal(feed(t, w, 0, v4_first, 1, SEC, out, &ol), IPFRAG_HELD);
	}
	assert_int_equal(ipfrag_count(t), 8);
	assert_int_equal(ipfrag_get_stats(t)->refused, 4);
	ipfrag_free(t);

	/* bytes: IPv6 over its bound, IPv4 still taken */
	t = table(64, 1500);
	for (int i = 0; i < 5; i++) {
		whole_v6(w);
		w[23] = (uint8_t)(10 + i);
		assert_int_equal(feed(t, w, 1, v6_rest, 1, SEC, out, &ol), IPFRAG_HELD);
	}
	assert_true(ipfrag_get_stats(t)->refused >= 1);
	wl = whole_v4(w, 9);
	assert_int_equal(feed(t, w, 0, v4_all, 3, SEC, out, &ol), IPFRAG_DONE);
	same_parse(w, wl, out, ol);
	ipfrag_free(t);
}

/* ipfrag_max_dist: a fake first fragment, then more than 64 fragments
 * from the same source, then the real datagram: Linux starts the queue
 * over and rebuilds the real one, and so does the sensor. With fewer in
 * between, the real first fragment is a duplicate of the fake (kept). */
static void test_ipfrag_max_dist(void **state)
{
	static uint8_t w[2000], fake[2000], filler[2000], out[IPFRAG_MAX_PACKET];
	const struct piece first[] = { { 0, 208, 1 } };
	const struct piece all[] = { { 0, 208, 1 }, { 208, 208, 1 }, { 416, 204, 0 } };
	struct ipfrag_table *t = table(256, 1 << 20);
	uint32_t wl = whole_v4(w, 9), ol = 0;

	memcpy(fake, w, wl);
	fake[60] ^= 0x5a;
	assert_int_equal(feed(t, fake, 0, first, 1, SEC, out, &ol), IPFRAG_HELD);
	for (uint16_t id = 100; id < 100 + IPFRAG_MAX_DIST + 1; id++) {
		whole_v4(filler, id);
		assert_int_equal(feed(t, filler, 0, first, 1, SEC, out, &ol), IPFRAG_HELD);
	}
	assert_int_equal(feed(t, w, 0, all, 3, SEC, out, &ol), IPFRAG_DONE);
	assert_int_equal(ipfrag_get_stats(t)->too_far, 1);
	same_parse(w, wl, out, ol);
	ipfrag_free(t);

	t = table(256, 1 << 20);
	assert_int_equal(feed(t, fake, 0, first, 1, SEC, out, &ol), IPFRAG_HELD);
	for (uint16_t id = 100; id < 100 + IPFRAG_MAX_DIST - 1; id++) {
		whole_v4(filler, id);
		assert_int_equal(feed(t, filler, 0, first, 1, SEC, out, &ol), IPFRAG_HELD);
	}
	assert_int_equal(feed(t, w, 0, all, 3, SEC, out, &ol), IPFRAG_DONE);
	assert_int_equal(ipfrag_get_stats(t)->too_far, 0);
	assert_int_equal(ipfrag_get_stats(t)->duplicates, 1);
	assert_memory_equal(out + 20, fake + 20, ol - 20); /* the fake's bytes, as Linux */
	ipfrag_free(t);
}

/* A fragment whose IPv4 header checksum is wrong is dropped alone, as
 * the receiver's ip_rcv_core() drops it before defragmentation: a fake
 * middle fragment with other bytes neither fills the hole nor, sent again
 * after the real one, overlaps it into a discard (the parser calls it
 * bad_ip_checksum, the table on its own counts it as dropped). The real
 * datagram is rebuilt from the good fragments. In a capture file
 * (ipfrag_check_csum(false)) the sum is not the receiver's and is not
 * looked at. */
static void test_ipfrag_bad_checksum(void **state)
{
	static uint8_t w[2000], out[IPFRAG_MAX_PACKET];
	struct ipfrag_table *t = table(16, 1 << 20);
	uint32_t wl = whole_v4(w, 77), gl[3], ol = 0, bl;
	const uint8_t *o;
	struct pkt_info pi;
	uint8_t *good[3], *bad;
	const struct piece pc[] = { { 0, 208, 1 }, { 208, 208, 1 }, { 416, 204, 0 } };

	for (int i = 0; i < 3; i++)
		good[i] = frag_v4(w, pc[i].off, pc[i].len, pc[i].mf, &gl[i]);
	bad = frag_v4(w, 208, 208, 1, &bl);
	bad[20 + 50] ^= 0xff; /* other payload bytes: a conflicting copy */
	bad[11] ^= 0x01;      /* and a header sum the receiver rejects */
	assert_int_equal(packet_parse(bad, bl, &pi), PKT_BAD_CSUM);
	assert_int_equal(packet_parse_file(bad, bl, &pi), PKT_FRAGMENT);
	assert_true(pi.bad_csum);

	assert_int_equal(ipfrag_add(t, good[0], gl[0], SEC, &o, &ol), IPFRAG_HELD);
	assert_int_equal(ipfrag_add(t, bad, bl, SEC, &o, &ol), IPFRAG_HELD); /* no hole filled */
	assert_int_equal(ipfrag_get_stats(t)->dropped, 1);
	assert_int_equal(ipfrag_add(t, good[1], gl[1], SEC, &o, &ol), IPFRAG_HELD);
	assert_int_equal(ipfrag_add(t, bad, bl, SEC, &o, &ol), IPFRAG_HELD); /* no overlap */
	assert_int_equal(ipfrag_get_stats(t)->dropped, 2);
	assert_int_equal(ipfrag_get_stats(t)->overlaps, 0);
	assert_int_equal(ipfrag_get_stats(t)->duplicates, 0);
	assert_int_equal(ipfrag_add(t, good[2], gl[2], SEC, &o, &ol), IPFRAG_DONE);
	memcpy(out, o, ol);
	same_parse(w, wl, out, ol);

	/* A capture file's fragment: the table takes it, whatever its sum (a
	 * copy of bytes held is a duplicate like any other). */
	ipfrag_check_csum(t, false);
	assert_int_equal(ipfrag_add(t, good[0], gl[0], SEC, &o, &ol), IPFRAG_HELD);
	assert_int_equal(ipfrag_add(t, good[1], gl[1], SEC, &o, &ol), IPFRAG_HELD);
	bad[20 + 50] ^= 0xff; /* same bytes as the real one: a duplicate */
	assert_int_equal(ipfrag_add(t, bad, bl, SEC, &o, &ol), IPFRAG_HELD);
	assert_int_equal(ipfrag_get_stats(t)->duplicates, 1);
	assert_int_equal(ipfrag_get_stats(t)->dropped, 2);
	for (int i = 0; i < 3; i++)
		free(good[i]);
	free(bad);
	ipfrag_free(t);
}

/* IPv6: out of order; the fragment header is gone from the rebuilt packet. */
static void test_ipfrag_v6(void **state)
{
	static uint8_t w[2000], out[IPFRAG_MAX_PACKET];
	const struct piece pc[] = { { 208, 208, 1 }, { 416, 204, 0 }, { 0, 208, 1 } };
	struct ipfrag_table *t = table(16, 1 << 20);
	uint32_t wl = whole_v6(w), ol = 0;

	assert_int_equal(feed(t, w, 1, pc, 3, SEC, out, &ol), IPFRAG_DONE);
	assert_int_equal(out[6], 6);
	same_parse(w, wl, out, ol);
	/* 60 s for IPv6 (ip6frag_time). */
	assert_int_equal(feed(t, w, 1, pc, 2, SEC, out, &ol), IPFRAG_HELD);
	assert_int_equal(ipfrag_expire(t, SEC + IPFRAG_TIMEOUT_V4_NS), 0);
	assert_int_equal(ipfrag_expire(t, SEC + IPFRAG_TIMEOUT_V6_NS), 1);
	ipfrag_free(t);
}

/* RFC 7112: a first fragment without the whole TCP header is dropped (the
 * datagram stays, and completes if a good first fragment follows); a
 * middle fragment not a multiple of 8 is dropped alone. */
static void test_ipfrag_v6_upper_header(void **state)
{
	static uint8_t w[2000], out[IPFRAG_MAX_PACKET];
	const struct piece cut[] = { { 16, 400, 1 }, { 416, 204, 0 }, { 0, 16, 1 } };
	const struct piece odd[] = { { 16, 399, 1 } };
	struct ipfrag_table *t = table(16, 1 << 20);
	uint32_t wl = whole_v6(w), ol = 0;

	assert_int_equal(feed(t, w, 1, cut, 3, SEC, out, &ol), IPFRAG_HELD);
	assert_int_equal(ipfrag_get_stats(t)->no_upper, 1);
	assert_int_equal(ipfrag_count(t), 1);
	assert_int_equal(feed(t, w, 1, odd, 1, SEC, out, &ol), IPFRAG_HELD);
	assert_int_equal(ipfrag_get_stats(t)->dropped, 1);
	/* 24 bytes: the TCP header whole, the datagram done. */
	{
		const struct piece g24[] = { { 0, 24, 1 } };

		assert_int_equal(feed(t, w, 1, g24, 1, SEC, out, &ol), IPFRAG_HELD);
		assert_int_equal(ipfrag_get_stats(t)->overlaps, 1); /* 0-24 meets 16-416 */
	}
	/* Linux reads only the first 2 bytes of each header: AH (12 bytes)
	 * and 4 bytes of a destination options header naming TCP, in a first
	 * fragment of 16 bytes, is cut short of the TCP header: dropped. */
	{
		uint8_t f16[40 + 8 + 16] = { 0 };
		const uint8_t *o;

		memcpy(f16, w, 40);
		f16[6] = 44;
		put16(f16 + 4, 8 + 16);
		f16[40] = 51;       /* fragment header -> AH */
		put16(f16 + 42, 1); /* offset 0, M */
		f16[47] = 0x77;     /* its own ID */
		f16[48] = 60;       /* AH -> destination options */
		f16[49] = 1;        /* (1 + 2) * 4 = 12 bytes */
		f16[60] = 6;        /* destination options -> TCP, 8 bytes, 4 here */
		assert_int_equal(ipfrag_add(t, f16, sizeof(f16), SEC, &o, &ol), IPFRAG_HELD);
		assert_int_equal(ipfrag_get_stats(t)->no_upper, 2);
	}
	/* Cut so the first fragment holds the TCP header: completes. */
	{
		const struct piece ok[] = { { 24, 392, 1 }, { 416, 204, 0 }, { 0, 24, 1 } };

		assert_int_equal(feed(t, w, 1, ok, 3, SEC, out, &ol), IPFRAG_DONE);
		same_parse(w, wl, out, ol);
	}
	ipfrag_free(t);
}

/* A fragment cut by the capture cannot be rebuilt; one that is no
 * fragment (DF only, an atomic IPv6 fragment) is not for the table. */
static void test_ipfrag_not_fragment_truncated(void **state)
{
	static uint8_t w[2000];
	struct ipfrag_table *t = table(16, 1 << 20);
	const uint8_t *o;
	uint32_t fl, ol, wl = whole_v4(w, 90);
	uint8_t *f;

	assert_int_equal(ipfrag_add(t, w, wl, SEC, &o, &ol), IPFRAG_NOT_FRAGMENT);
	f = frag_v4(w, 0, 208, 1, &fl);
	assert_int_equal(ipfrag_add(t, f, fl - 1, SEC, &o, &ol), IPFRAG_HELD);
	free(f);
	assert_int_equal(ipfrag_get_stats(t)->truncated, 1);
	whole_v6(w);
	f = frag_v6(w, 0, 208, 0, &fl);
	assert_int_equal(ipfrag_add(t, f, fl, SEC, &o, &ol), IPFRAG_NOT_FRAGMENT);
	free(f);
	assert_int_equal(ipfrag_get_stats(t)->fragments, 1);
	assert_int_equal(ipfrag_count(t), 0);
	ipfrag_free(t);
}

/* Over 65,535 bytes: the datagram is discarded when it would complete. */
static void test_ipfrag_too_big(void **state)
{
	static uint8_t w[70000], out[IPFRAG_MAX_PACKET];
	struct ipfrag_table *t = table(16, 1 << 20);
	uint32_t ol = 0;

	whole_v4(w, 91);
	/* frag_v4 writes 16-bit lengths: the big first piece as two. */
	{
		const struct piece big[] = { { 65528, 16, 0 },
					     { 0, 32760, 1 },
					     { 32760, 32768, 1 } };

		assert_int_equal(feed(t, w, 0, big, 3, SEC, out, &ol), IPFRAG_HELD);
	}
	assert_int_equal(ipfrag_get_stats(t)->too_big, 1);
	assert_int_equal(ipfrag_count(t), 0);
	ipfrag_free(t);
}

/* Feed v4 pieces of w with DF and TOS bytes of their own (dfs[i], tos[i]). */
static enum ipfrag_result feed_flags(struct ipfrag_table *t, const uint8_t *w,
				     const struct piece *pc, const int *dfs, const uint8_t *tos,
				     int n, uint8_t *out, uint32_t *outlen)
{
	enum ipfrag_result r = IPFRAG_NOT_FRAGMENT;

	for (int i = 0; i < n; i++) {
		uint32_t fl;
		uint8_t *f = frag_v4(w, pc[i].off, pc[i].len, pc[i].mf, &fl);
		const uint8_t *o;
		uint32_t ol;

		if (dfs[i])
			f[6] |= 0x40;
		f[1] = tos[i];
		set_sum(f);
		r = ipfrag_add(t, f, fl, SEC, &o, &ol);
		free(f);
		if (r == IPFRAG_DONE) {
			memcpy(out, o, ol);
			*outlen = ol;
		}
	}
	return r;
}

/* DF on the rebuilt datagram when the largest fragments carried it (as
 * Linux sets it); not-ECT mixed with CE discards the datagram (RFC 3168),
 * CE with ECT marks the rebuilt one CE. */
static void test_ipfrag_df_and_ecn(void **state)
{
	static uint8_t w[2000], out[IPFRAG_MAX_PACKET];
	const struct piece pc[] = { { 0, 208, 1 }, { 208, 208, 1 }, { 416, 204, 0 } };
	const int all_df[] = { 1, 1, 1 }, last_df[] = { 0, 0, 1 };
	const uint8_t plain[] = { 0, 0, 0 }, mixed[] = { 0, 3, 0 }, ce[] = { 2, 3, 2 };
	struct ipfrag_table *t = table(16, 1 << 20);
	uint32_t wl, ol = 0;

	wl = whole_v4(w, 100);
	assert_int_equal(feed_flags(t, w, pc, all_df, plain, 3, out, &ol), IPFRAG_DONE);
	assert_int_equal(rd16(out + 6), 0x4000);
	assert_int_equal(ip_sum(out), 0);
	same_parse(w, wl, out, ol);
	whole_v4(w, 101);
	assert_int_equal(feed_flags(t, w, pc, last_df, plain, 3, out, &ol), IPFRAG_DONE);
	assert_int_equal(rd16(out + 6), 0);
	whole_v4(w, 102);
	assert_int_equal(feed_flags(t, w, pc, all_df, mixed, 3, out, &ol), IPFRAG_HELD);
	assert_int_equal(ipfrag_get_stats(t)->ecn, 1);
	whole_v4(w, 103);
	assert_int_equal(feed_flags(t, w, pc, all_df, ce, 3, out, &ol), IPFRAG_DONE);
	assert_int_equal(out[1] & 3, 3);
	assert_int_equal(ipfrag_get_stats(t)->reassembled, 3);
	ipfrag_free(t);
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ipfrag_v4_in_order),     T(test_ipfrag_v4_out_of_order),
		T(test_ipfrag_duplicate),       T(test_ipfrag_overlap_discards),
		T(test_ipfrag_bad_length),      T(test_ipfrag_timeout),
		T(test_ipfrag_bounds),          T(test_ipfrag_bounds_per_family),
		T(test_ipfrag_max_dist),        T(test_ipfrag_v6),
		T(test_ipfrag_v6_upper_header), T(test_ipfrag_not_fragment_truncated),
		T(test_ipfrag_too_big),         T(test_ipfrag_df_and_ecn),
		T(test_ipfrag_bad_checksum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
