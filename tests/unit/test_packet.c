// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unit tests of packet (user/packet.c): every pcap link layer
 * packet_strip_link() knows, IPv4 with options and fragments, IPv6 with
 * extension headers, TCP header and option parsing, address text. Frames are
 * built here by small writers (put_tcp, put_ipv4, put_ipv6, ...) so each
 * test states the fields it is about; link-layer headers are written out as
 * byte vectors. Truncated and malformed variants sit next to the good ones,
 * and the truncation loops hand the parser exact-size heap copies so ASan
 * sees any read past the capture.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "abi.h"
#include "byteorder.h"
#include "packet.h"

#define PROTO_TCP 6
#define PROTO_UDP 17

/* 192.0.2.10 -> 198.51.100.1 and 2001:db8::a -> 2001:db8::1 */
static const uint8_t v4_src[4] = { 192, 0, 2, 10 };
static const uint8_t v4_dst[4] = { 198, 51, 100, 1 };
static const uint8_t v6_src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x0a };
static const uint8_t v6_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x01 };

/* SYN options of Linux: MSS 1460, SACK permitted, Timestamps, NOP, WScale 7. */
static const uint8_t linux_syn_opts[20] = {
	0x02, 0x04, 0x05, 0xb4,                         /* MSS 1460 */
	0x04, 0x02,                                     /* SACK permitted */
	0x08, 0x0a, 0x00, 0x01, 0x02, 0x03, 0, 0, 0, 0, /* Timestamps */
	0x01,                                           /* NOP */
	0x03, 0x03, 0x07,                               /* WScale 7 */
};

/* Options of a data segment: NOP, NOP, Timestamps. */
static const uint8_t ts_opts[12] = {
	0x01, 0x01, 0x08, 0x0a, 0x00, 0x01, 0x02, 0x03, 0x00, 0x00, 0x00, 0x09,
};

static const uint8_t payload10[10] = { 0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00 };

struct tcp_seg {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint8_t doff_words; /* 0: from opt_len */
	uint16_t window;
	const uint8_t *opts;
	uint8_t opt_len; /* a multiple of 4 */
	const uint8_t *payload;
	uint32_t payload_len;
};

/* clang-format off */
static const struct tcp_seg syn_seg = {
	.sport = 40000, .dport = 443, .seq = 0x11223344, .flags = TCPF_SYN, .window = 64240,
	.opts = linux_syn_opts, .opt_len = sizeof(linux_syn_opts),
};

static const struct tcp_seg data_seg = {
	.sport = 40000, .dport = 443, .seq = 0x11223345, .ack = 0x55667788,
	.flags = TCPF_ACK | TCPF_PSH, .window = 502, .opts = ts_opts, .opt_len = sizeof(ts_opts),
	.payload = payload10, .payload_len = sizeof(payload10),
};
/* clang-format on */

struct fixture {
	uint8_t buf[2048];  /* frame under construction */
	struct pkt_info pi; /* poisoned before every test */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	memset(&f->pi, 0xa5, sizeof(f->pi));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* TCP header, options and payload at p; returns their length. */
static uint32_t put_tcp(uint8_t *p, const struct tcp_seg *t)
{
	uint32_t hl = 20u + t->opt_len;
	uint8_t words = t->doff_words ? t->doff_words : (uint8_t)(hl / 4);

	memset(p, 0, 20);
	put16(p, t->sport);
	put16(p + 2, t->dport);
	put32(p + 4, t->seq);
	put32(p + 8, t->ack);
	p[12] = (uint8_t)(words << 4);
	p[13] = t->flags;
	put16(p + 14, t->window);
	if (t->opt_len)
		memcpy(p + 20, t->opts, t->opt_len);
	if (t->payload_len)
		memcpy(p + hl, t->payload, t->payload_len);
	return hl + t->payload_len;
}

/* Set the header checksum of the IPv4 header at p (RFC 1071), as a
 * sender's stack does: the parser drops a header whose sum is wrong. Call
 * again after a field of the header is changed. */
static void ipv4_csum(uint8_t *p)
{
	uint32_t hl = (p[0] & 0x0fu) * 4, s = 0;

	p[10] = p[11] = 0;
	for (uint32_t i = 0; i < hl; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	put16(p + 10, (uint16_t)~s);
}

/* IPv4 header of ihl words (options NOP-filled), DF, ID 0x1234, TTL 64,
 * checksum right. */
static uint32_t put_ipv4(uint8_t *p, uint8_t ihl, uint8_t proto, uint32_t l4_len)
{
	uint32_t hl = ihl * 4u;

	memset(p, 0, 20);
	p[0] = (uint8_t)(0x40 | ihl);
	put16(p + 2, (uint16_t)(hl + l4_len));
	put16(p + 4, 0x1234);
	put16(p + 6, 0x4000);
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, v4_src, 4);
	memcpy(p + 16, v4_dst, 4);
	if (hl > 20)
		memset(p + 20, 0x01, hl - 20);
	ipv4_csum(p);
	return hl;
}

/* IPv4 + TCP: returns the IP total length. */
static uint32_t build_v4(uint8_t *p, uint8_t ihl, uint8_t proto, const struct tcp_seg *t)
{
	uint32_t l4 = put_tcp(p + ihl * 4u, t);

	return put_ipv4(p, ihl, proto, l4) + l4;
}

static void put_ipv6(uint8_t *p, uint8_t nh, uint16_t plen)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	p[1] = 0x01; /* a flow label, ignored */
	put16(p + 4, plen);
	p[6] = nh;
	p[7] = 57; /* hop limit */
	memcpy(p + 8, v6_src, 16);
	memcpy(p + 24, v6_dst, 16);
}

struct ext_hdr {
	uint8_t type;  /* 0 hop-by-hop, 43 routing, 44 fragment, 51 AH, 60 dest opts */
	uint8_t len;   /* bytes */
	uint16_t frag; /* fragment header: offset << 3 | M */
};

/* One extension header at p; returns its length. */
static uint32_t put_ext(uint8_t *p, const struct ext_hdr *e, uint8_t next)
{
	memset(p, 0, e->len);
	p[0] = next;
	if (e->type == 44)
		put16(p + 2, e->frag);
	else if (e->type == 51)
		p[1] = (uint8_t)(e->len / 4 - 2);
	else
		p[1] = (uint8_t)(e->len / 8 - 1);
	/* Options as a receiver takes them: one option of an experimental
	 * type to skip (0x1e, RFC 4727), not a run of padding past 7 bytes. */
	if (e->type == 0 || e->type == 60) {
		p[2] = 0x1e;
		p[3] = (uint8_t)(e->len - 4);
	}
	return e->len;
}

/* IPv6, extension headers in order, then TCP (with proto as last next header). */
static uint32_t build_v6(uint8_t *p, const struct ext_hdr *ext, int n, uint8_t proto,
			 const struct tcp_seg *t)
{
	uint32_t off = 40;

	for (int i = 0; i < n; i++)
		off += put_ext(p + off, &ext[i], i + 1 < n ? ext[i + 1].type : proto);
	off += put_tcp(p + off, t);
	put_ipv6(p, n ? ext[0].type : proto, (uint16_t)(off - 40));
	return off;
}

/* An exact-size heap copy, so ASan catches any read past len. */
static uint8_t *dup_exact(const uint8_t *p, uint32_t len)
{
	uint8_t *c = malloc(len ? len : 1);

	assert_non_null(c);
	memcpy(c, p, len);
	return c;
}

/* ---- link layers ---- */

#define MACS 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02

static const uint8_t eth_v4[] = { MACS, 0x08, 0x00 };
static const uint8_t eth_v6[] = { MACS, 0x86, 0xdd };
static const uint8_t eth_vlan[] = { MACS, 0x81, 0x00, 0x00, 0x64, 0x08, 0x00 };
static const uint8_t eth_qinq[] = {
	MACS, 0x88, 0xa8, 0x00, 0x0a, /* 802.1ad outer, VID 10 */
	0x81, 0x00, 0x00, 0x64,       /* 802.1Q inner, VID 100 */
	0x86, 0xdd,
};
static const uint8_t eth_qinq_9100[] = {
	MACS, 0x91, 0x00, 0x00, 0x0a, /* pre-standard QinQ outer tag */
	0x81, 0x00, 0x00, 0x64, 0x08, 0x00,
};
static const uint8_t sll[] = {
	0x00, 0x00,                                     /* to us */
	0x00, 0x01,                                     /* ARPHRD_ETHER */
	0x00, 0x06,                                     /* address length */
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, /* address */
	0x08, 0x00,                                     /* protocol */
};
static const uint8_t sll_vlan[] = {
	0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x02, 0x00, 0x00, 0x00,
	0x00, 0x02, 0x00, 0x00, 0x81, 0x00, 0x00, 0x64, 0x08, 0x00,
};
static const uint8_t sll2[] = {
	0x86, 0xdd,                                     /* protocol */
	0x00, 0x00,                                     /* reserved */
	0x00, 0x00, 0x00, 0x03,                         /* ifindex */
	0x00, 0x01,                                     /* ARPHRD_ETHER */
	0x00,                                           /* to us */
	0x06,                                           /* address length */
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, /* address */
};
static const uint8_t null_le_inet[] = { 0x02, 0x00, 0x00, 0x00 };
static const uint8_t null_be_inet[] = { 0x00, 0x00, 0x00, 0x02 };
static const uint8_t null_le_inet6[] = { 0x1e, 0x00, 0x00, 0x00 }; /* 30: Darwin AF_INET6 */
static const uint8_t null_be_inet6[] = { 0x00, 0x00, 0x00, 0x1e };
static const uint8_t null_le_bsd6[] = { 0x18, 0x00, 0x00, 0x00 };  /* 24: NetBSD/OpenBSD */
static const uint8_t null_le_fbsd6[] = { 0x1c, 0x00, 0x00, 0x00 }; /* 28: FreeBSD */

struct link_case {
	const char *name;
	int linktype;
	const uint8_t *hdr;
	uint32_t hdr_len;
	bool v6; /* the L3 packet is IPv6 */
};

#define LC(n, lt, h, six)                                                                          \
	{                                                                                          \
		n, lt, h, sizeof(h), six                                                           \
	}
static const struct link_case link_cases[] = {
	LC("en10mb ipv4", 1, eth_v4, false),
	LC("en10mb ipv6", 1, eth_v6, true),
	LC("en10mb 802.1q", 1, eth_vlan, false),
	LC("en10mb 802.1ad+802.1q", 1, eth_qinq, true),
	LC("en10mb 0x9100+802.1q", 1, eth_qinq_9100, false),
	LC("linux_sll", 113, sll, false),
	LC("linux_sll vlan", 113, sll_vlan, false),
	LC("linux_sll2", 276, sll2, true),
	{ "raw 12", 12, NULL, 0, false },
	{ "raw 14", 14, NULL, 0, true },
	{ "raw 101", 101, NULL, 0, false },
	{ "raw 101 v6", 101, NULL, 0, true },
	{ "ipv4 228", 228, NULL, 0, false },
	{ "ipv6 229", 229, NULL, 0, true },
	LC("null le 2", 0, null_le_inet, false),
	LC("null be 2", 0, null_be_inet, false),
	LC("null le 30", 0, null_le_inet6, true),
	LC("null be 30", 0, null_be_inet6, true),
	LC("null le 24", 0, null_le_bsd6, true),
	LC("null le 28", 0, null_le_fbsd6, true),
	LC("loop 108", 108, null_be_inet, false),
	LC("loop 108 v6", 108, null_be_inet6, true),
};

/* Link header + a data segment with options and payload; returns the L3 length. */
static uint32_t build_frame(uint8_t *buf, const struct link_case *lc)
{
	if (lc->hdr_len)
		memcpy(buf, lc->hdr, lc->hdr_len);
	if (lc->v6)
		return build_v6(buf + lc->hdr_len, NULL, 0, PROTO_TCP, &data_seg);
	return build_v4(buf + lc->hdr_len, 5, PROTO_TCP, &data_seg);
}

static void test_packet_link_supported_types(void **state)
{
	static const int yes[] = { 0, 1, 12, 14, 101, 108, 113, 228, 229, 276 };
	static const int no[] = { -1, 2, 9, 105, 127, 192, 220, 277, 65535 };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(packet_link_supported(yes[i]));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(packet_link_supported(no[i]));
}

static void test_packet_strip_link_each_type(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(link_cases) / sizeof(link_cases[0]); i++) {
		const struct link_case *lc = &link_cases[i];
		uint32_t l3len = 0, n = build_frame(f->buf, lc);
		const uint8_t *l3 = NULL;
		enum packet_verdict v;

		assert_true(packet_link_supported(lc->linktype));
		v = packet_strip_link(lc->linktype, f->buf, lc->hdr_len + n, &l3, &l3len);
		assert_int_equal(v, PKT_OK);
		assert_ptr_equal(l3, f->buf + lc->hdr_len);
		assert_int_equal(l3len, n);
		assert_int_equal(packet_parse(l3, l3len, &f->pi), PKT_OK);
		assert_int_equal(f->pi.family, lc->v6 ? AF_INET6 : AF_INET);
		assert_int_equal(f->pi.sport, 40000);
		assert_int_equal(f->pi.payload_len, sizeof(payload10));
		assert_memory_equal(f->pi.payload, payload10, sizeof(payload10));
	}
}

static void test_packet_strip_link_not_ip(void **state)
{
	static const uint8_t arp[] = { MACS, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04 };
	static const uint8_t llc[] = { MACS, 0x00, 0x26, 0x42, 0x42, 0x03, 0x00, 0x00 };
	static const uint8_t three_tags[] = {
		MACS, 0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x64,
		0x81, 0x00, 0x00, 0x65, 0x08, 0x00, 0x45, 0x00,
	};
	static const uint8_t vlan_arp[] = { MACS, 0x81, 0x00, 0x00, 0x64, 0x08, 0x06, 0x00, 0x01 };
	static const uint8_t sll_arp[] = {
		0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x02, 0x00, 0x00,
		0x00, 0x00, 0x02, 0x00, 0x00, 0x08, 0x06, 0x00, 0x01,
	};
	static const uint8_t sll2_lldp[20] = { 0x88, 0xcc };
	static const uint8_t null_fam7[] = { 0x07, 0x00, 0x00, 0x00, 0x45, 0x00 };
	static const uint8_t null_fam2_wide[] = { 0x02, 0x00, 0x00, 0x01, 0x45, 0x00 };
	const uint8_t *l3 = NULL;
	uint32_t l3len = 0;

	assert_int_equal(packet_strip_link(1, arp, sizeof(arp), &l3, &l3len), PKT_NOT_IP);
	assert_int_equal(packet_strip_link(1, llc, sizeof(llc), &l3, &l3len), PKT_NOT_IP);
	assert_int_equal(packet_strip_link(1, three_tags, sizeof(three_tags), &l3, &l3len),
			 PKT_NOT_IP);
	assert_int_equal(packet_strip_link(1, vlan_arp, sizeof(vlan_arp), &l3, &l3len), PKT_NOT_IP);
	assert_int_equal(packet_strip_link(113, sll_arp, sizeof(sll_arp), &l3, &l3len), PKT_NOT_IP);
	assert_int_equal(packet_strip_link(276, sll2_lldp, sizeof(sll2_lldp), &l3, &l3len),
			 PKT_NOT_IP);
	assert_int_equal(packet_strip_link(0, null_fam7, sizeof(null_fam7), &l3, &l3len),
			 PKT_NOT_IP);
	assert_int_equal(packet_strip_link(0, null_fam2_wide, sizeof(null_fam2_wide), &l3, &l3len),
			 PKT_NOT_IP);
	assert_null(l3); /* never set on a refusal */
}

/* The pre-standard QinQ tag 0x9100, alone or outside an 802.1Q tag, as the
 * kernel program takes it (include/abi.h); J4S_VLAN_MAX + 1 tags are not. */
static void test_packet_strip_link_vlan_9100(void **state)
{
	static const uint8_t one[] = { MACS, 0x91, 0x00, 0x00, 0x0a, 0x86, 0xdd };
	static const uint8_t three[] = {
		MACS, 0x91, 0x00, 0x00, 0x0a, 0x91, 0x00, 0x00, 0x0b,
		0x91, 0x00, 0x00, 0x0c, 0x08, 0x00, 0x45, 0x00,
	};
	struct fixture *f = *state;
	const uint8_t *l3 = NULL;
	uint32_t l3len = 0, n;

	_Static_assert(J4S_VLAN_MAX == 2, "three[] has one tag more than followed");
	memcpy(f->buf, one, sizeof(one));
	n = build_v6(f->buf + sizeof(one), NULL, 0, PROTO_TCP, &data_seg);
	assert_int_equal(packet_strip_link(1, f->buf, sizeof(one) + n, &l3, &l3len), PKT_OK);
	assert_ptr_equal(l3, f->buf + sizeof(one));
	assert_int_equal(l3len, n);
	assert_int_equal(packet_parse(l3, l3len, &f->pi), PKT_OK);
	assert_int_equal(f->pi.dport, data_seg.dport);

	memcpy(f->buf, eth_qinq_9100, sizeof(eth_qinq_9100));
	n = build_v4(f->buf + sizeof(eth_qinq_9100), 5, PROTO_TCP, &data_seg);
	assert_int_equal(packet_strip_link(1, f->buf, sizeof(eth_qinq_9100) + n, &l3, &l3len),
			 PKT_OK);
	assert_int_equal(l3len, n);

	l3 = NULL;
	assert_int_equal(packet_strip_link(1, three, sizeof(three), &l3, &l3len), PKT_NOT_IP);
	assert_null(l3);
}

static void test_packet_strip_link_unsupported(void **state)
{
	struct fixture *f = *state;
	uint32_t n = build_frame(f->buf, &link_cases[0]) + 14;
	const uint8_t *l3 = NULL;
	uint32_t l3len = 0;

	assert_int_equal(packet_strip_link(105, f->buf, n, &l3, &l3len), PKT_UNSUPPORTED);
	assert_int_equal(packet_strip_link(127, f->buf, n, &l3, &l3len), PKT_UNSUPPORTED);
	assert_int_equal(packet_strip_link(-1, f->buf, 0, &l3, &l3len), PKT_UNSUPPORTED);
	assert_null(l3);
}

/*
 * Every shorter capture of every link case: short of the link header it is
 * TRUNCATED, short of the IP+TCP headers packet_parse() says TRUNCATED, and
 * from there on it is OK with the payload cut where the capture ends.
 */
static void test_packet_strip_link_truncated_every_length(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(link_cases) / sizeof(link_cases[0]); i++) {
		const struct link_case *lc = &link_cases[i];
		uint32_t n = build_frame(f->buf, lc) + lc->hdr_len;
		uint32_t hdrs = lc->hdr_len + (lc->v6 ? 40 : 20) + 20 + sizeof(ts_opts);

		for (uint32_t len = 0; len < n; len++) {
			uint8_t *c = dup_exact(f->buf, len);
			const uint8_t *l3 = NULL;
			uint32_t l3len = 0;
			enum packet_verdict v;

			v = packet_strip_link(lc->linktype, c, len, &l3, &l3len);

			if (len < lc->hdr_len) {
				assert_int_equal(v, PKT_TRUNCATED);
			} else {
				assert_int_equal(v, PKT_OK);
				assert_int_equal(l3len, len - lc->hdr_len);
				v = packet_parse(l3, l3len, &f->pi);
				if (len < hdrs) {
					assert_int_equal(v, PKT_TRUNCATED);
				} else {
					assert_int_equal(v, PKT_OK);
					assert_int_equal(f->pi.payload_len, len - hdrs);
					assert_int_equal(f->pi.payload_wire, sizeof(payload10));
				}
			}
			free(c);
		}
	}
}

/* ---- IPv4 ---- */

static void test_packet_parse_ipv4_syn_fields(void **state)
{
	struct fixture *f = *state;
	uint32_t n = build_v4(f->buf, 5, PROTO_TCP, &syn_seg);
	struct pkt_info *pi = &f->pi;

	assert_int_equal(n, 60);
	assert_int_equal(packet_parse(f->buf, n, pi), PKT_OK);
	assert_int_equal(pi->family, AF_INET);
	assert_int_equal(pi->ttl, 64);
	assert_int_equal(pi->df, 1);
	assert_int_equal(pi->ip_id, 0x1234);
	assert_int_equal(pi->ip_total_len, 60);
	assert_memory_equal(pi->src, v4_src, 4);
	assert_memory_equal(pi->dst, v4_dst, 4);
	assert_int_equal(pi->sport, 40000);
	assert_int_equal(pi->dport, 443);
	assert_int_equal(pi->seq, 0x11223344);
	assert_int_equal(pi->ack, 0);
	assert_int_equal(pi->tcp_flags, TCPF_SYN);
	assert_int_equal(pi->window, 64240);
	assert_int_equal(pi->tcp_opt_len, 20);
	assert_ptr_equal(pi->tcp_opts, f->buf + 40);
	assert_memory_equal(pi->tcp_opts, linux_syn_opts, 20);
	assert_ptr_equal(pi->payload, f->buf + 60);
	assert_int_equal(pi->payload_len, 0);
	assert_int_equal(pi->payload_wire, 0);
}

static void test_packet_parse_ipv4_options(void **state)
{
	struct fixture *f = *state;

	for (uint8_t ihl = 6; ihl <= 15; ihl++) {
		uint32_t n = build_v4(f->buf, ihl, PROTO_TCP, &data_seg);
		uint32_t l4 = ihl * 4u;

		assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_OK);
		assert_int_equal(f->pi.ip_total_len, n);
		assert_int_equal(f->pi.seq, data_seg.seq);
		assert_ptr_equal(f->pi.tcp_opts, f->buf + l4 + 20);
		assert_int_equal(f->pi.tcp_opt_len, sizeof(ts_opts));
		assert_ptr_equal(f->pi.payload, f->buf + l4 + 20 + sizeof(ts_opts));
		assert_int_equal(f->pi.payload_len, sizeof(payload10));
		/* Cut inside the options: truncated, not misread. */
		assert_int_equal(packet_parse(f->buf, l4 - 1, &f->pi), PKT_TRUNCATED);
	}
}

/* The header checksum (RFC 1071) as the receiver's ip_rcv_core() checks
 * it: a known header, then every single-bit change of the fields after
 * the lengths (TTL rewritten without the sum, a flipped address bit, the
 * sum itself) is PKT_BAD_CSUM; a capture file's packet is read on and
 * flagged (packet_parse_file()). */
static void test_packet_parse_ipv4_checksum(void **state)
{
	/* A UDP header 198.18.0.1 -> 198.18.0.199 whose sum is 0xad8d. */
	static const uint8_t known[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40,
					   0x00, 0x40, 0x11, 0xad, 0x8d, 0xc6, 0x12,
					   0x00, 0x01, 0xc6, 0x12, 0x00, 0xc7 };
	struct fixture *f = *state;
	uint32_t n = build_v4(f->buf, 5, PROTO_TCP, &data_seg);
	uint8_t h[20];

	assert_true(packet_ipv4_csum_ok(known, 20));
	memcpy(h, known, 20);
	h[8] = 0x3f; /* TTL 63: a router that forgot the sum */
	assert_false(packet_ipv4_csum_ok(h, 20));
	/* 0: what a sender with checksum offload leaves in its own capture;
	 * on the wire it is wrong. */
	memcpy(h, known, 20);
	h[10] = h[11] = 0;
	assert_false(packet_ipv4_csum_ok(h, 20));

	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_OK);
	assert_false(f->pi.bad_csum);
	assert_int_equal(packet_parse_file(f->buf, n, &f->pi), PKT_OK);
	assert_false(f->pi.bad_csum);
	for (uint32_t byte = 4; byte < 20; byte++) {
		for (int bit = 0; bit < 8; bit++) {
			f->buf[byte] ^= (uint8_t)(1u << bit);
			assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_BAD_CSUM);
			f->buf[byte] ^= (uint8_t)(1u << bit);
		}
	}
	f->buf[8] = 63;
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_BAD_CSUM);
	assert_int_equal(packet_parse_file(f->buf, n, &f->pi), PKT_OK);
	assert_true(f->pi.bad_csum);
	assert_int_equal(f->pi.ttl, 63);
	assert_int_equal(f->pi.seq, data_seg.seq);
	/* A fragment with a bad sum is dropped as any packet, before the
	 * defragmenter could take it. */
	put16(f->buf + 6, 0x2000);
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_BAD_CSUM);
	ipv4_csum(f->buf);
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_FRAGMENT);
}

/* Options are summed too: a changed option byte in a header of any length
 * is PKT_BAD_CSUM; the sum put right, the packet parses. */
static void test_packet_parse_ipv4_options_checksum(void **state)
{
	struct fixture *f = *state;

	for (uint8_t ihl = 6; ihl <= 15; ihl++) {
		uint32_t n = build_v4(f->buf, ihl, PROTO_TCP, &data_seg);
		uint32_t last = ihl * 4u - 1;

		assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_OK);
		f->buf[last] = 0x00; /* NOP -> EOL in the last option word */
		assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_BAD_CSUM);
		f->buf[20] ^= 0x01; /* NOP -> EOL: still options Linux takes */
		ipv4_csum(f->buf);
		assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_OK);
		f->buf[20] ^= 0x01;
		assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_BAD_CSUM);
		assert_int_equal(packet_parse_file(f->buf, n, &f->pi), PKT_OK);
		assert_true(f->pi.bad_csum);
	}
}

/* A packet with a loose source route (or malformed options): the
 * receiving Linux drops it (ip_rcv_options()), fragments too. */
static void test_packet_parse_ipv4_options_dropped(void **state)
{
	struct fixture *f = *state;
	static const uint8_t lsrr[8] = { 131, 7, 4, 198, 18, 0, 9, 0 };
	uint32_t n = build_v4(f->buf, 7, PROTO_TCP, &data_seg);

	memcpy(f->buf + 20, lsrr, sizeof(lsrr));
	ipv4_csum(f->buf);
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_IP_OPTIONS);
	assert_int_equal(packet_parse_file(f->buf, n, &f->pi), PKT_IP_OPTIONS);
	f->buf[6] = 0x20; /* MF: a fragment */
	ipv4_csum(f->buf);
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_IP_OPTIONS);
	f->buf[6] = 0x40;
	f->buf[20] = 7; /* record route: taken */
	ipv4_csum(f->buf);
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_OK);
}

static void test_packet_parse_ipv4_bad_ihl(void **state)
{
	struct fixture *f = *state;
	uint32_t n = build_v4(f->buf, 5, PROTO_TCP, &data_seg);

	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		f->buf[0] = (uint8_t)(0x40 | ihl);
		assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_MALFORMED);
	}
	/* IHL 15 says 60 bytes of header; only 30 captured. */
	f->buf[0] = 0x4f;
	assert_int_equal(packet_parse(f->buf, 30, &f->pi), PKT_TRUNCATED);
	assert_int_equal(packet_parse(f->buf, 19, &f->pi), PKT_TRUNCATED);
}

static void test_packet_parse_ipv4_fragment(void **state)
{
	static const uint16_t frags[] = {
		0x2000, /* MF, offset 0: first fragment */
		0x6000, /* DF and MF */
		0x00b9, /* offset 185 * 8, last fragment */
		0x20b9, /* MF and an offset */
		0x0001, /* offset 8 */
	};
	struct fixture *f = *state;
	uint32_t n = build_v4(f->buf, 5, PROTO_TCP, &data_seg);

	for (size_t i = 0; i < sizeof(frags) / sizeof(frags[0]); i++) {
		put16(f->buf + 6, frags[i]);
		ipv4_csum(f->buf);
		assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_FRAGMENT);
	}
	f->buf[9] = PROTO_UDP; /* a fragment is a fragment, whatever it carries */
	ipv4_csum(f->buf);
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_FRAGMENT);

	f->buf[9] = PROTO_TCP;
	put16(f->buf + 6, 0x4000); /* DF only */
	ipv4_csum(f->buf);
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_OK);
	assert_int_equal(f->pi.df, 1);
	put16(f->buf + 6, 0x0000);
	ipv4_csum(f->buf);
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_OK);
	assert_int_equal(f->pi.df, 0);
}

static void test_packet_parse_ipv4_total_length_short(void **state)
{
	struct fixture *f = *state;
	uint32_t n = build_v4(f->buf, 5, PROTO_TCP, &data_seg);

	put16(f->buf + 2, 19); /* shorter than the IP header */
	ipv4_csum(f->buf);
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_MALFORMED);
	put16(f->buf + 2, 0);
	ipv4_csum(f->buf);
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_MALFORMED);
	f->buf[0] = 0x46; /* IHL 24 bytes, total 22 */
	put16(f->buf + 2, 22);
	ipv4_csum(f->buf);
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_MALFORMED);

	/* Room for the IP header but not for a TCP header: inconsistent, not cut. */
	f->buf[0] = 0x45;
	put16(f->buf + 2, 30);
	ipv4_csum(f->buf);
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_MALFORMED);
	put16(f->buf + 2, 20);
	ipv4_csum(f->buf);
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_MALFORMED);
}

static void test_packet_parse_ipv4_ethernet_padding(void **state)
{
	struct fixture *f = *state;
	struct tcp_seg ack = data_seg;
	uint32_t n;

	/* A bare ACK is 52 bytes; Ethernet pads the frame to 60 with zeros. */
	ack.payload_len = 0;
	n = build_v4(f->buf, 5, PROTO_TCP, &ack);
	assert_int_equal(n, 52);
	memset(f->buf + n, 0, 8);
	assert_int_equal(packet_parse(f->buf, 60, &f->pi), PKT_OK);
	assert_int_equal(f->pi.payload_len, 0);
	assert_int_equal(f->pi.payload_wire, 0);

	/* Three payload bytes and padding after them. */
	ack.payload_len = 3;
	n = build_v4(f->buf, 5, PROTO_TCP, &ack);
	memset(f->buf + n, 0xcc, 5);
	assert_int_equal(packet_parse(f->buf, n + 5, &f->pi), PKT_OK);
	assert_int_equal(f->pi.payload_len, 3);
	assert_int_equal(f->pi.payload_wire, 3);
	assert_memory_equal(f->pi.payload, payload10, 3);
}

static void test_packet_parse_ipv4_captured_less(void **state)
{
	struct fixture *f = *state;
	uint8_t big[1200];
	struct tcp_seg seg = data_seg;
	uint32_t n;

	memset(big, 0x42, sizeof(big));
	seg.payload = big;
	seg.payload_len = sizeof(big);
	n = build_v4(f->buf, 5, PROTO_TCP, &seg);

	/* A snaplen of 128 bytes of L3. */
	assert_int_equal(packet_parse(f->buf, 128, &f->pi), PKT_OK);
	assert_int_equal(f->pi.ip_total_len, n);
	assert_int_equal(f->pi.payload_len, 128 - 52);
	assert_int_equal(f->pi.payload_wire, sizeof(big));
	assert_true(f->pi.payload_len < f->pi.payload_wire);
}

/* UDP is parsed for QUIC: ports and the datagram's payload after 8 bytes. */
static void test_packet_parse_ipv4_udp_not_tcp(void **state)
{
	struct fixture *f = *state;
	uint32_t n = build_v4(f->buf, 5, PROTO_UDP, &data_seg);

	put16(f->buf + 24, (uint16_t)(n - 20)); /* the UDP length */
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_OK);
	assert_int_equal(f->pi.proto, J4S_IPPROTO_UDP);
	assert_int_equal(f->pi.sport, rd16(f->buf + 20));
	assert_int_equal(f->pi.dport, rd16(f->buf + 22));
	assert_int_equal(f->pi.tcp_flags, 0);
	assert_ptr_equal(f->pi.payload, f->buf + 28);
	assert_int_equal(f->pi.payload_len, n - 28);
	assert_int_equal(packet_parse(f->buf, 27, &f->pi), PKT_TRUNCATED);
	/* The UDP length is the datagram's, as the receiver reads it: bytes
	 * after it never reach the server (a QUIC packet coalesced there is
	 * none of its), one past the IP packet makes the stack drop it. */
	put16(f->buf + 24, 8 + 10);
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_OK);
	assert_int_equal(f->pi.payload_len, 10);
	assert_int_equal(f->pi.payload_wire, 10);
	put16(f->buf + 24, (uint16_t)(n - 20 + 1));
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_MALFORMED);
	put16(f->buf + 24, 7);
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_MALFORMED);
	put16(f->buf + 24, 0); /* (only IPv6 has jumbograms) */
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_MALFORMED);
	put16(f->buf + 24, (uint16_t)(n - 20));
	f->buf[2] = 0;
	f->buf[3] = 27; /* total length leaves no room for the UDP header */
	ipv4_csum(f->buf);
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_MALFORMED);
	f->buf[9] = 1; /* ICMP */
	ipv4_csum(f->buf);
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_NOT_TCP);
}

/* ---- IPv6 ---- */

static void test_packet_parse_ipv6_syn_fields(void **state)
{
	struct fixture *f = *state;
	uint32_t n = build_v6(f->buf, NULL, 0, PROTO_TCP, &syn_seg);
	struct pkt_info *pi = &f->pi;

	assert_int_equal(n, 80);
	assert_int_equal(packet_parse(f->buf, n, pi), PKT_OK);
	assert_int_equal(pi->family, AF_INET6);
	assert_int_equal(pi->ttl, 57);
	assert_int_equal(pi->df, 0);
	assert_int_equal(pi->ip_id, 0);
	assert_int_equal(pi->ip_total_len, 80);
	assert_memory_equal(pi->src, v6_src, 16);
	assert_memory_equal(pi->dst, v6_dst, 16);
	assert_int_equal(pi->sport, 40000);
	assert_int_equal(pi->seq, 0x11223344);
	assert_int_equal(pi->tcp_flags, TCPF_SYN);
	assert_int_equal(pi->tcp_opt_len, 20);
	assert_ptr_equal(pi->tcp_opts, f->buf + 60);
	assert_int_equal(pi->payload_len, 0);
}

static void test_packet_parse_ipv6_ext_headers(void **state)
{
	static const struct ext_hdr chain[] = {
		{ .type = 0, .len = 8 },   /* hop-by-hop */
		{ .type = 60, .len = 16 }, /* destination options */
		{ .type = 43, .len = 24 }, /* routing */
		{ .type = 51, .len = 12 }, /* AH: length in 4-byte words */
	};
	struct fixture *f = *state;
	uint32_t n = build_v6(f->buf, chain, 3, PROTO_TCP, &data_seg);

	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_OK);
	assert_int_equal(f->pi.ip_total_len, n);
	assert_ptr_equal(f->pi.tcp_opts, f->buf + 40 + 48 + 20);
	assert_ptr_equal(f->pi.payload, f->buf + 40 + 48 + 32);
	assert_int_equal(f->pi.payload_len, sizeof(payload10));
	assert_int_equal(f->pi.payload_wire, sizeof(payload10));
	assert_memory_equal(f->pi.payload, payload10, sizeof(payload10));

	/* AH: no security association at the server, xfrm drops it. */
	n = build_v6(f->buf, chain, 4, PROTO_TCP, &data_seg);
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_IP_OPTIONS);
}

/* IPv6 extension headers the receiving Linux drops a packet for
 * (ip6_parse_tlv(), ipv6_rthdr_rcv()), and ones it takes. */
static void test_packet_parse_ipv6_ext_dropped(void **state)
{
	static const struct ext_hdr dst = { .type = 60, .len = 16 };
	static const struct ext_hdr hbh_dst[] = { { .type = 0, .len = 8 },
						  { .type = 60, .len = 8 } };
	static const struct ext_hdr dst_hbh[] = { { .type = 60, .len = 8 },
						  { .type = 0, .len = 8 } };
	static const struct ext_hdr rt = { .type = 43, .len = 24 };
	struct fixture *f = *state;
	uint32_t n = build_v6(f->buf, &dst, 1, PROTO_TCP, &data_seg);
	uint8_t *o = f->buf + 40 + 2; /* the options of the first header */

	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_OK);
	/* unknown types: 00 skip, 01/10/11 discard */
	for (int act = 1; act < 4; act++) {
		o[0] = (uint8_t)(act << 6 | 0x1e);
		assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_IP_OPTIONS);
	}
	o[0] = 0xc9; /* home address: no xfrm state */
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_IP_OPTIONS);
	/* padding: PadN of 6 then Pad1 x 6 is 12 bytes of it */
	memset(o, 0, 14);
	o[0] = 1;
	o[1] = 4;
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_IP_OPTIONS);
	/* PadN of 6 + a skip option + Pad1: fine; with a non-zero pad byte not */
	o[6] = 0x1e;
	o[7] = 6;
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_OK);
	o[3] = 1;
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_IP_OPTIONS);
	/* an option running past the header */
	o[3] = 0;
	o[7] = 7;
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_IP_OPTIONS);
	/* nine options: one too many */
	memset(o, 0, 14);
	for (int i = 0; i < 7; i++)
		o[2 * i] = 0x1e;
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_OK);
	n = build_v6(f->buf, hbh_dst, 2, PROTO_TCP, &data_seg);
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_OK);
	f->buf[42] = 0x05; /* router alert of 4 bytes: wrong length */
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_IP_OPTIONS);
	f->buf[43] = 2;
	f->buf[46] = 1; /* and a PadN of 2 */
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_OK);
	/* hop-by-hop anywhere but first */
	n = build_v6(f->buf, dst_hbh, 2, PROTO_TCP, &data_seg);
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_IP_OPTIONS);
	/* routing: segments left, or segment routing types */
	n = build_v6(f->buf, &rt, 1, PROTO_TCP, &data_seg);
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_OK);
	f->buf[43] = 1;
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_IP_OPTIONS);
	f->buf[43] = 0;
	f->buf[42] = 4;
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_IP_OPTIONS);
	f->buf[42] = 2;
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_OK);
}

static void test_packet_parse_ipv6_atomic_fragment(void **state)
{
	static const struct ext_hdr frag = { .type = 44, .len = 8, .frag = 0x0000 };
	struct fixture *f = *state;
	uint32_t n = build_v6(f->buf, &frag, 1, PROTO_TCP, &data_seg);

	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_OK);
	assert_ptr_equal(f->pi.payload, f->buf + 48 + 32);
	assert_int_equal(f->pi.payload_len, sizeof(payload10));

	/* The two reserved bits do not make it a fragment. */
	put16(f->buf + 42, 0x0006);
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_OK);
}

static void test_packet_parse_ipv6_fragment(void **state)
{
	static const uint16_t frags[] = {
		0x0001, /* M: first fragment */
		0x0008, /* offset 8, last fragment */
		0x05a9, /* offset 1448 and M */
		0xfff8, /* the largest offset */
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(frags) / sizeof(frags[0]); i++) {
		const struct ext_hdr chain[] = {
			{ .type = 0, .len = 8 },
			{ .type = 44, .len = 8, .frag = frags[i] },
		};
		uint32_t n = build_v6(f->buf, chain, 2, PROTO_TCP, &data_seg);

		assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_FRAGMENT);
	}
}

static void test_packet_parse_ipv6_ext_past_payload(void **state)
{
	static const struct ext_hdr chain[] = {
		{ .type = 0, .len = 8 },
		{ .type = 60, .len = 16 },
	};
	struct fixture *f = *state;
	uint32_t n = build_v6(f->buf, chain, 2, PROTO_TCP, &data_seg);

	/* Payload length ends inside the destination options. */
	put16(f->buf + 4, 20);
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_MALFORMED);
	/* ... or before the second header's first 8 bytes. */
	put16(f->buf + 4, 12);
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_MALFORMED);
	/* A header length field pointing far beyond the packet. */
	put16(f->buf + 4, (uint16_t)(n - 40));
	f->buf[49] = 0xff; /* dest opts: 2048 bytes */
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_MALFORMED);
	/* Payload length covers the extension headers but not a TCP header. */
	f->buf[49] = 1;
	put16(f->buf + 4, 24 + 10);
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_MALFORMED);
}

static void test_packet_parse_ipv6_truncated_every_length(void **state)
{
	/* The last one longer than 8 bytes, so a cut can fall inside it. */
	static const struct ext_hdr chain[] = {
		{ .type = 0, .len = 8 },
		{ .type = 44, .len = 8 },
		{ .type = 60, .len = 24 },
	};
	struct fixture *f = *state;
	uint32_t n = build_v6(f->buf, chain, 3, PROTO_TCP, &data_seg);
	uint32_t hdrs = n - sizeof(payload10);

	for (uint32_t len = 0; len < n; len++) {
		uint8_t *c = dup_exact(f->buf, len);
		enum packet_verdict v = packet_parse(c, len, &f->pi);

		if (len < hdrs) {
			assert_int_equal(v, PKT_TRUNCATED);
		} else {
			assert_int_equal(v, PKT_OK);
			assert_int_equal(f->pi.payload_len, len - hdrs);
			assert_int_equal(f->pi.payload_wire, sizeof(payload10));
		}
		free(c);
	}
}

static void test_packet_parse_ipv6_not_tcp(void **state)
{
	struct fixture *f = *state;
	uint32_t n = build_v6(f->buf, NULL, 0, PROTO_UDP, &data_seg);

	put16(f->buf + 44, (uint16_t)(n - 40));                    /* the UDP length */
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_OK); /* UDP: QUIC */
	assert_int_equal(f->pi.proto, J4S_IPPROTO_UDP);
	assert_int_equal(f->pi.payload_len, n - 48);
	put16(f->buf + 44, 0); /* 0 in IPv6: the rest of the packet (jumbogram) */
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_OK);
	assert_int_equal(f->pi.payload_len, n - 48);
	f->buf[6] = 59; /* no next header */
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_NOT_TCP);
	f->buf[6] = 58; /* ICMPv6 */
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_NOT_TCP);
}

/* The kernel program's depth (include/abi.h): J4S_IPV6_EXT_MAX extension
 * headers are followed, a longer chain stops there and is not TCP. */
static void test_packet_parse_ipv6_ext_header_limit(void **state)
{
	struct ext_hdr chain[J4S_IPV6_EXT_MAX + 1];
	struct fixture *f = *state;
	uint32_t n;

	for (int i = 0; i < J4S_IPV6_EXT_MAX + 1; i++)
		chain[i] = (struct ext_hdr){ .type = i ? 60 : 0, .len = 8 };
	n = build_v6(f->buf, chain, J4S_IPV6_EXT_MAX, PROTO_TCP, &data_seg);
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_OK);
	assert_int_equal(f->pi.payload_len, sizeof(payload10));
	n = build_v6(f->buf, chain, J4S_IPV6_EXT_MAX + 1, PROTO_TCP, &data_seg);
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_NOT_TCP);
}

static void test_packet_parse_ipv6_zero_payload_length(void **state)
{
	struct fixture *f = *state;
	uint32_t n = build_v6(f->buf, NULL, 0, PROTO_TCP, &data_seg);

	/* Jumbogram or a capture of a TSO packet: the capture length rules. */
	put16(f->buf + 4, 0);
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_OK);
	assert_int_equal(f->pi.ip_total_len, 40);
	assert_int_equal(f->pi.payload_len, sizeof(payload10));
	assert_int_equal(f->pi.payload_wire, sizeof(payload10));
}

/* ---- TCP header ---- */

static void test_packet_parse_tcp_bad_data_offset(void **state)
{
	struct fixture *f = *state;
	uint32_t n = build_v4(f->buf, 5, PROTO_TCP, &data_seg);

	for (uint8_t words = 0; words < 5; words++) {
		f->buf[20 + 12] = (uint8_t)(words << 4);
		assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_MALFORMED);
	}
	/* 60 bytes of TCP header in a 42-byte segment. */
	f->buf[20 + 12] = 0xf0;
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_MALFORMED);
	/* Within the segment by the IP length but beyond the capture. */
	f->buf[20 + 12] = 0x80;
	assert_int_equal(packet_parse(f->buf, 20 + 28, &f->pi), PKT_TRUNCATED);
	/* The whole segment is TCP header (40 bytes): no payload. */
	put16(f->buf + 2, 60);
	ipv4_csum(f->buf);
	f->buf[20 + 12] = 0xa0;
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_OK);
	assert_int_equal(f->pi.payload_len, 0);
	assert_int_equal(f->pi.payload_wire, 0);
	assert_int_equal(f->pi.tcp_opt_len, 20);
}

static void test_packet_parse_bad_version(void **state)
{
	struct fixture *f = *state;
	uint32_t n = build_v4(f->buf, 5, PROTO_TCP, &data_seg);

	assert_int_equal(packet_parse(f->buf, 0, &f->pi), PKT_TRUNCATED);
	f->buf[0] = 0x55;
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_NOT_IP);
	f->buf[0] = 0x05;
	assert_int_equal(packet_parse(f->buf, n, &f->pi), PKT_NOT_IP);
	f->buf[0] = 0x60;
	assert_int_equal(packet_parse(f->buf, 39, &f->pi), PKT_TRUNCATED);
}

/* ---- TCP options ---- */

static void test_packet_tcp_meta_linux_syn(void **state)
{
	struct tcp_meta tm;

	packet_tcp_meta(linux_syn_opts, sizeof(linux_syn_opts), &tm);
	assert_string_equal(tm.options, "MSS,SACK,Timestamps,NOP,WScale");
	assert_int_equal(tm.mss, 1460);
	assert_int_equal(tm.wscale, 7);
}

/* IPv4 options the receiving Linux drops a packet for (ip_options_compile()
 * and ip_rcv_options() at their defaults), and ones it takes. */
static void test_packet_ipv4_opts_dropped(void **state)
{
	/* taken */
	static const uint8_t nops[4] = { 1, 1, 1, 0 };
	static const uint8_t rr[8] = { 7, 7, 4, 0, 0, 0, 0, 0 };
	static const uint8_t rr_full[8] = { 7, 7, 8, 0, 0, 0, 0, 1 }; /* pointer past: full */
	static const uint8_t ts[12] = { 68, 12, 5, 0x00 };
	static const uint8_t ts_full[8] = { 68, 8, 9, 0x10 };
	static const uint8_t ra[4] = { 148, 4, 0, 0 };
	static const uint8_t sec[12] = { 130, 11 };
	static const uint8_t end_then_junk[4] = { 0, 0xff, 0xff, 0xff };
	/* dropped */
	static const uint8_t lsrr[8] = { 131, 7, 4, 198, 18, 0, 1, 0 };
	static const uint8_t ssrr[8] = { 137, 7, 4, 198, 18, 0, 1, 0 };
	static const uint8_t cipso[12] = { 134, 10, 0, 0, 0, 3, 1, 4, 0, 0 };
	static const uint8_t bad_len[4] = { 7, 9, 4, 0 };
	static const uint8_t len_one[4] = { 1, 1, 1, 68 };
	static const uint8_t rr_ptr_low[8] = { 7, 7, 3, 0, 0, 0, 0, 0 };
	static const uint8_t rr_twice[16] = { 7, 7, 4, 0, 0, 0, 0, 7, 7, 4 };
	static const uint8_t ts_short[4] = { 68, 4, 4, 0 }; /* pointer below 5 */
	static const uint8_t ts_addr_short[12] = { 68, 12, 9, 0x01 };
	static const uint8_t ts_overflow[8] = { 68, 8, 9, 0xf0 };
	static const uint8_t ra_short[4] = { 148, 3, 0, 0 };

	(void)state;
	assert_false(packet_ipv4_opts_dropped(nops, sizeof(nops)));
	assert_false(packet_ipv4_opts_dropped(rr, sizeof(rr)));
	assert_false(packet_ipv4_opts_dropped(rr_full, sizeof(rr_full)));
	assert_false(packet_ipv4_opts_dropped(ts, sizeof(ts)));
	assert_false(packet_ipv4_opts_dropped(ts_full, sizeof(ts_full)));
	assert_false(packet_ipv4_opts_dropped(ra, sizeof(ra)));
	assert_false(packet_ipv4_opts_dropped(sec, sizeof(sec)));
	assert_false(packet_ipv4_opts_dropped(end_then_junk, sizeof(end_then_junk)));
	assert_true(packet_ipv4_opts_dropped(lsrr, sizeof(lsrr)));
	assert_true(packet_ipv4_opts_dropped(ssrr, sizeof(ssrr)));
	assert_true(packet_ipv4_opts_dropped(cipso, sizeof(cipso)));
	assert_true(packet_ipv4_opts_dropped(bad_len, sizeof(bad_len)));
	assert_true(packet_ipv4_opts_dropped(len_one, sizeof(len_one)));
	assert_true(packet_ipv4_opts_dropped(rr_ptr_low, sizeof(rr_ptr_low)));
	assert_true(packet_ipv4_opts_dropped(rr_twice, sizeof(rr_twice)));
	assert_true(packet_ipv4_opts_dropped(ts_short, sizeof(ts_short)));
	assert_true(packet_ipv4_opts_dropped(ts_addr_short, sizeof(ts_addr_short)));
	assert_true(packet_ipv4_opts_dropped(ts_overflow, sizeof(ts_overflow)));
	assert_true(packet_ipv4_opts_dropped(ra_short, sizeof(ra_short)));
}

/* The MD5 signature option as Linux's receive path finds it
 * (tcp_parse_md5sig_option()). */
static void test_packet_tcp_md5(void **state)
{
	static const uint8_t plain[20] = { 1, 1, 19, 18 };
	static const uint8_t after_ts[32] = { 1, 1, 8, 10, [12] = 19, 18 };
	static const uint8_t eol_first[20] = { 0, 1, 19, 18 };
	static const uint8_t bad_len_first[24] = { 30, 1, 1, 1, 19, 18 };
	static const uint8_t other_len[20] = { 19, 16 };
	static const uint8_t too_short[17] = { 19, 18 };
	static const uint8_t long_before[38] = { 30, 20, [20] = 19, 18 };

	(void)state;
	assert_true(packet_tcp_md5(plain, sizeof(plain)));
	assert_true(packet_tcp_md5(after_ts, sizeof(after_ts)));
	assert_false(packet_tcp_md5(eol_first, sizeof(eol_first)));
	assert_false(packet_tcp_md5(bad_len_first, sizeof(bad_len_first)));
	assert_false(packet_tcp_md5(other_len, sizeof(other_len)));
	assert_false(packet_tcp_md5(too_short, sizeof(too_short)));
	assert_true(packet_tcp_md5(long_before, sizeof(long_before)));
	assert_false(packet_tcp_md5(long_before, sizeof(long_before) - 1)); /* 17 left */
	assert_false(packet_tcp_md5(plain, 0));
}

static void test_packet_tcp_meta_macos_syn(void **state)
{
	static const uint8_t opts[] = {
		0x02, 0x04, 0x05, 0xb4,                                     /* MSS 1460 */
		0x01,                                                       /* NOP */
		0x03, 0x03, 0x06,                                           /* WScale 6 */
		0x01, 0x01,                                                 /* NOP NOP */
		0x08, 0x0a, 0x3b, 0x9a, 0xca, 0x00, 0x00, 0x00, 0x00, 0x00, /* Timestamps */
		0x04, 0x02,                                                 /* SACK perm. */
		0x00, 0x00,                                                 /* EOL */
	};
	struct tcp_meta tm;

	packet_tcp_meta(opts, sizeof(opts), &tm);
	assert_string_equal(tm.options, "MSS,NOP,WScale,NOP,NOP,Timestamps,SACK,EOL");
	assert_int_equal(tm.mss, 1460);
	assert_int_equal(tm.wscale, 6);
}

static void test_packet_tcp_meta_unknown_kinds(void **state)
{
	static const uint8_t opts[] = {
		0x02, 0x04, 0x23, 0x28,                   /* MSS 9000 */
		0x1e, 0x04, 0x00, 0x81,                   /* MPTCP (30) */
		0x22, 0x02,                               /* TFO cookie request (34) */
		0x05, 0x0a, 0,    0,    0, 1, 0, 0, 0, 2, /* SACK blocks (5) */
		0xfe, 0x04, 0xf9, 0x89,                   /* experimental (254) */
		0x13, 0x03, 0x00,                         /* MD5 (19), short but well-formed */
		0x0a, 0x02, 0x64, 0x02,                   /* kinds 10 and 100 */
		0x03, 0x03, 0x0e,                         /* WScale 14 */
	};
	struct tcp_meta tm;

	packet_tcp_meta(opts, sizeof(opts), &tm);
	assert_string_equal(tm.options, "MSS,Opt30,Opt34,Opt5,Opt254,Opt19,Opt10,Opt100,WScale");
	assert_int_equal(tm.mss, 9000);
	assert_int_equal(tm.wscale, 14);
}

static void test_packet_tcp_meta_bad_length(void **state)
{
	static const uint8_t zero_len[] = { 0x02, 0x04, 0x05, 0xb4, 0x03, 0x00, 0x07, 0x01 };
	static const uint8_t one_len[] = { 0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x01, 0x07 };
	static const uint8_t past_end[] = { 0x02, 0x04, 0x05, 0xb4, 0x08, 0x0a, 0x00, 0x00 };
	static const uint8_t no_len[] = { 0x01, 0x01, 0x01, 0x02 };
	static const uint8_t mss_len3[] = { 0x02, 0x03, 0x05, 0x03, 0x03, 0x08 };
	static const uint8_t ws_len4[] = { 0x03, 0x04, 0x07, 0x00, 0x02, 0x05, 0x05, 0xb4, 0x00 };
	struct tcp_meta tm;

	/* The option with the bad length is named, then parsing stops. */
	packet_tcp_meta(zero_len, sizeof(zero_len), &tm);
	assert_string_equal(tm.options, "MSS,WScale");
	assert_int_equal(tm.mss, 1460);
	assert_int_equal(tm.wscale, -1);

	packet_tcp_meta(one_len, sizeof(one_len), &tm);
	assert_string_equal(tm.options, "MSS,NOP,WScale");
	assert_int_equal(tm.wscale, -1);

	packet_tcp_meta(past_end, sizeof(past_end), &tm);
	assert_string_equal(tm.options, "MSS,Timestamps");
	assert_int_equal(tm.mss, 1460);

	packet_tcp_meta(no_len, sizeof(no_len), &tm);
	assert_string_equal(tm.options, "NOP,NOP,NOP,MSS");
	assert_int_equal(tm.mss, -1);

	/* Wrong but in-bounds lengths: listed, no value taken. */
	packet_tcp_meta(mss_len3, sizeof(mss_len3), &tm);
	assert_string_equal(tm.options, "MSS,WScale");
	assert_int_equal(tm.mss, -1);
	assert_int_equal(tm.wscale, 8);

	packet_tcp_meta(ws_len4, sizeof(ws_len4), &tm);
	assert_string_equal(tm.options, "WScale,MSS");
	assert_int_equal(tm.wscale, -1);
	assert_int_equal(tm.mss, -1);
}

static void test_packet_tcp_meta_absent(void **state)
{
	static const uint8_t sack_ts[] = {
		0x04, 0x02, 0x08, 0x0a, 0, 0, 0, 1, 0, 0, 0, 0, 0x01, 0x01,
	};
	struct tcp_meta tm;

	memset(&tm, 0x5a, sizeof(tm));
	packet_tcp_meta(NULL, 0, &tm);
	assert_string_equal(tm.options, "");
	assert_int_equal(tm.mss, -1);
	assert_int_equal(tm.wscale, -1);

	packet_tcp_meta(sack_ts, sizeof(sack_ts), &tm);
	assert_string_equal(tm.options, "SACK,Timestamps,NOP,NOP");
	assert_int_equal(tm.mss, -1);
	assert_int_equal(tm.wscale, -1);
}

static void test_packet_tcp_meta_eol_stops(void **state)
{
	static const uint8_t opts[] = { 0x01, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x03, 0x03, 0x07 };
	struct tcp_meta tm;

	packet_tcp_meta(opts, sizeof(opts), &tm);
	assert_string_equal(tm.options, "NOP,EOL");
	assert_int_equal(tm.mss, -1);
	assert_int_equal(tm.wscale, -1);
}

static void test_packet_tcp_meta_longest(void **state)
{
	uint8_t opts[40];
	char want[200] = "";
	struct tcp_meta tm;

	/* 40 NOPs, then 40 one-byte unknown kinds: the longest lists there are. */
	memset(opts, 0x01, sizeof(opts));
	for (int i = 0; i < 40; i++)
		strcat(want, i ? ",NOP" : "NOP");
	packet_tcp_meta(opts, sizeof(opts), &tm);
	assert_string_equal(tm.options, want);

	memset(opts, 0xff, sizeof(opts)); /* kind 255, length 255: bad at once */
	packet_tcp_meta(opts, sizeof(opts), &tm);
	assert_string_equal(tm.options, "Opt255");
	assert_true(strlen(tm.options) < sizeof(tm.options));
}

/* ---- addresses and names ---- */

static void test_packet_addr_str_ipv4(void **state)
{
	static const uint8_t a[4] = { 10, 0, 0, 255 };
	static const uint8_t b[4] = { 100, 64, 9, 1 };
	static const uint8_t zero[4] = { 0 };
	char buf[64];

	packet_addr_str(AF_INET, v4_src, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.10");
	packet_addr_str(AF_INET, a, buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.255");
	packet_addr_str(AF_INET, b, buf, sizeof(buf));
	assert_string_equal(buf, "100.64.9.1");
	memset(buf, 'x', sizeof(buf));
	packet_addr_str(AF_INET, zero, buf, 16);
	assert_string_equal(buf, "0.0.0.0");
	packet_addr_str(AF_INET, (const uint8_t[]){ 255, 255, 255, 255 }, buf, 16);
	assert_string_equal(buf, "255.255.255.255");
}

static void test_packet_addr_str_ipv6_rfc5952(void **state)
{
	static const struct {
		uint8_t a[16];
		const char *text;
	} cases[] = {
		{ { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, "2001:db8::1" },
		{ { [15] = 1 }, "::1" },
		{ { 0 }, "::" },
		/* One zero field is not compressed. */
		{ { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1 },
		  "2001:db8:0:1:1:1:1:1" },
		/* The longest run of zeros is compressed ... */
		{ { 0x20, 0x01, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 }, "2001:0:0:1::1" },
		/* ... and of two equal runs, the first. */
		{ { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1 },
		  "2001:db8::1:0:0:1" },
		/* Lower case, no leading zeros. */
		{ { 0x20, 0x01, 0x0d, 0xb8, 0xab, 0xcd, 0x00, 0x0e, 0x0f, 0x00, 0x00, 0x00, 0x00,
		    0x00, 0xfe, 0x80 },
		  "2001:db8:abcd:e:f00::fe80" },
		/* IPv4-mapped keeps the dotted quad. */
		{ { [10] = 0xff, [11] = 0xff, 192, 0, 2, 1 }, "::ffff:192.0.2.1" },
		{ { 0xfe, 0x80, [8] = 0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55 },
		  "fe80::211:22ff:fe33:4455" },
	};
	char buf[46];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		packet_addr_str(AF_INET6, cases[i].a, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].text);
	}
}

/*
 * packet_addr_str() formats IPv6 itself (inet_ntop's sprintf per field cost
 * more than the rest of a record); it must write exactly what glibc's
 * inet_ntop writes. Fields drawn from zero, one, 0xffff, small and random
 * values, so zero runs of every length and place, ties, IPv4-mapped and
 * -compatible forms all come up.
 */
static void test_packet_addr_str_ipv6_as_inet_ntop(void **state)
{
	uint32_t x = 0x9e3779b9;
	char buf[46], want[INET6_ADDRSTRLEN];

	(void)state;
	for (int n = 0; n < 50000; n++) {
		uint8_t a[16];

		for (int i = 0; i < 8; i++) {
			uint16_t v;

			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			switch (x % 8) {
			case 0:
			case 1:
			case 2:
				v = 0;
				break;
			case 3:
				v = 1;
				break;
			case 4:
				v = 0xffff;
				break;
			case 5:
				v = (uint16_t)(x >> 8 & 0xff);
				break;
			default:
				v = (uint16_t)(x >> 16);
			}
			a[2 * i] = (uint8_t)(v >> 8);
			a[2 * i + 1] = (uint8_t)v;
		}
		assert_non_null(inet_ntop(AF_INET6, a, want, sizeof(want)));
		packet_addr_str(AF_INET6, a, buf, sizeof(buf));
		assert_string_equal(buf, want);
	}
}

static void test_packet_addr_str_small_buffer(void **state)
{
	char buf[46];

	/* Too small: empty, never a cut address. */
	memset(buf, 'x', sizeof(buf));
	packet_addr_str(AF_INET6, v6_src, buf, 11);
	assert_string_equal(buf, "");
	memset(buf, 'x', sizeof(buf));
	packet_addr_str(AF_INET, v4_src, buf, 8);
	assert_string_equal(buf, "");
	packet_addr_str(AF_INET6, v6_src, buf, 12); /* exactly "2001:db8::a" */
	assert_string_equal(buf, "2001:db8::a");
}

static void test_packet_verdict_str_all(void **state)
{
	for (int i = 0; i < PKT_VERDICT_MAX; i++) {
		assert_non_null(packet_verdict_str((enum packet_verdict)i));
		assert_string_not_equal(packet_verdict_str((enum packet_verdict)i), "?");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(packet_verdict_str((enum packet_verdict)i),
						packet_verdict_str((enum packet_verdict)j));
	}
	assert_string_equal(packet_verdict_str(PKT_OK), "ok");
	assert_string_equal(packet_verdict_str(PKT_VERDICT_MAX), "?");
}

/* ---- Tunnels ---- */

/* Outer (underlay) addresses: 198.18.0.1 -> 198.18.0.2, fd00::1 -> fd00::2. */
static const uint8_t out4_src[4] = { 198, 18, 0, 1 };
static const uint8_t out4_dst[4] = { 198, 18, 0, 2 };
static const uint8_t out6_src[16] = { 0xfd, [15] = 1 };
static const uint8_t out6_dst[16] = { 0xfd, [15] = 2 };

/* A frame built from the inside out: its bytes are b[off..]. */
struct stack {
	uint8_t b[1024];
	uint32_t off;
};

static uint32_t slen(const struct stack *s)
{
	return (uint32_t)sizeof(s->b) - s->off;
}

static uint8_t *push(struct stack *s, uint32_t n)
{
	assert_true(n <= s->off);
	s->off -= n;
	return s->b + s->off;
}

static void push_bytes(struct stack *s, const uint8_t *b, uint32_t n)
{
	memcpy(push(s, n), b, n);
}

/* The innermost packet: the SYN of syn_seg over IPv4 or IPv6. */
static void push_syn(struct stack *s, int family)
{
	uint8_t tmp[256];
	uint32_t n;

	s->off = sizeof(s->b);
	if (family == AF_INET)
		n = build_v4(tmp, 5, PROTO_TCP, &syn_seg);
	else
		n = build_v6(tmp, NULL, 0, PROTO_TCP, &syn_seg);
	push_bytes(s, tmp, n);
}

/* An outer IPv4 header (TTL 9) with protocol proto around what is there. */
static void push_v4(struct stack *s, uint8_t proto)
{
	uint32_t l = slen(s);
	uint8_t *p = push(s, 20);

	put_ipv4(p, 5, proto, l);
	p[8] = 9;
	memcpy(p + 12, out4_src, 4);
	memcpy(p + 16, out4_dst, 4);
	ipv4_csum(p);
}

static void push_v6(struct stack *s, uint8_t nh)
{
	uint32_t l = slen(s);
	uint8_t *p = push(s, 40);

	put_ipv6(p, nh, (uint16_t)l);
	p[7] = 9;
	memcpy(p + 8, out6_src, 16);
	memcpy(p + 24, out6_dst, 16);
}

static void push_udp(struct stack *s, uint16_t sport, uint16_t dport)
{
	uint32_t l = slen(s) + 8;
	uint8_t *p = push(s, 8);

	put16(p, sport);
	put16(p + 2, dport);
	put16(p + 4, (uint16_t)l);
	put16(p + 6, 0);
}

/* Ethernet, with one 802.1Q tag when vlan, and the ethertype of what follows. */
static void push_eth(struct stack *s, uint16_t type, bool vlan)
{
	uint8_t *p;

	if (vlan) {
		p = push(s, 4);
		put16(p, 0x0064); /* VLAN 100 */
		put16(p + 2, type);
		type = 0x8100;
	}
	p = push(s, 14);
	memset(p, 0x02, 12);
	put16(p + 12, type);
}

/* GRE with checksum, key and sequence number present as flags say. */
static void push_gre(struct stack *s, uint16_t flags, uint16_t proto)
{
	uint32_t n = 4 + (flags & 0x8000 ? 4 : 0) + (flags & 0x2000 ? 4 : 0) +
		     (flags & 0x1000 ? 4 : 0);
	uint8_t *p = push(s, n);

	memset(p, 0x5a, n); /* checksum, key, sequence: not read */
	put16(p, flags);
	put16(p + 2, proto);
}

/*
 * The packet at s parses to the inner SYN (family, addresses, ports, the
 * inner TTL) with the encapsulations tun (n of them), and every shorter
 * capture of it, handed over as an exact-size heap copy so ASan sees any
 * read past it, does not parse.
 */
static void expect_inner(const struct stack *s, int family, const uint8_t *tun, int n)
{
	uint32_t len = slen(s);
	struct pkt_info pi;
	uint8_t *c;

	c = malloc(len);
	assert_non_null(c);
	memcpy(c, s->b + s->off, len);
	memset(&pi, 0xa5, sizeof(pi));
	assert_int_equal(packet_parse(c, len, &pi), PKT_OK);
	free(c);
	assert_int_equal(pi.family, family);
	assert_memory_equal(pi.src, family == AF_INET ? v4_src : v6_src,
			    family == AF_INET ? 4 : 16);
	assert_memory_equal(pi.dst, family == AF_INET ? v4_dst : v6_dst,
			    family == AF_INET ? 4 : 16);
	assert_int_equal(pi.ttl, family == AF_INET ? 64 : 57);
	assert_int_equal(pi.sport, 40000);
	assert_int_equal(pi.dport, 443);
	assert_int_equal(pi.tcp_flags, TCPF_SYN);
	assert_int_equal(pi.tcp_opt_len, sizeof(linux_syn_opts));
	for (int i = 0; i < J4S_TUNNEL_MAX; i++)
		assert_int_equal(pi.tunnel[i], i < n ? tun[i] : PKT_TUN_NONE);
	for (uint32_t cut = 0; cut < len; cut++) {
		c = malloc(cut ? cut : 1);
		assert_non_null(c);
		memcpy(c, s->b + s->off, cut);
		assert_int_not_equal(packet_parse(c, cut, &pi), PKT_OK);
		free(c);
	}
}

static enum packet_verdict parse_stack(const struct stack *s)
{
	struct pkt_info pi;

	return packet_parse(s->b + s->off, slen(s), &pi);
}

/* An inner packet whose IP length claims more than its tunnel carried, in
 * an outer packet captured whole: the decapsulating receiver drops it
 * (ip_rcv()), so it gives nothing. With the outer packet cut by the
 * capture, or after ERSPAN (mirror sessions cut frames), it is a cut
 * capture as at the outermost level. */
static void test_packet_parse_tunnel_inner_length_lies(void **state)
{
	static const uint8_t vxlan[8] = { 0x08, 0, 0, 0, 0x00, 0x10, 0x00, 0x00 };
	struct pkt_info pi;
	struct stack s;
	(void)state;

	push_syn(&s, AF_INET);
	put16(s.b + s.off + 2, (uint16_t)(slen(&s) + 100));
	ipv4_csum(s.b + s.off);
	push_v4(&s, 4);
	assert_int_equal(parse_stack(&s), PKT_MALFORMED);
	put16(s.b + s.off + 2, (uint16_t)(slen(&s) + 1)); /* the outer one cut by the capture */
	ipv4_csum(s.b + s.off);
	assert_int_equal(packet_parse(s.b + s.off, slen(&s), &pi), PKT_OK);
	assert_int_equal(pi.payload_wire, 100);
	push_syn(&s, AF_INET6);
	put16(s.b + s.off + 4, (uint16_t)(slen(&s) - 40 + 1));
	push_eth(&s, 0x86dd, false);
	push_bytes(&s, vxlan, sizeof(vxlan));
	push_udp(&s, 51000, 4789);
	push_v4(&s, PROTO_UDP);
	assert_int_equal(parse_stack(&s), PKT_MALFORMED);
	/* two deep: GRE in IPIP, the innermost lying */
	push_syn(&s, AF_INET);
	put16(s.b + s.off + 2, (uint16_t)(slen(&s) + 1));
	ipv4_csum(s.b + s.off);
	push_gre(&s, 0, 0x0800);
	push_v4(&s, 47);
	push_v4(&s, 4);
	assert_int_equal(parse_stack(&s), PKT_MALFORMED);
	/* ERSPAN type I: the mirrored frame may be cut */
	push_syn(&s, AF_INET);
	put16(s.b + s.off + 2, (uint16_t)(slen(&s) + 100));
	ipv4_csum(s.b + s.off);
	push_eth(&s, 0x0800, false);
	push_gre(&s, 0, 0x88be);
	push_v4(&s, 47);
	assert_int_equal(parse_stack(&s), PKT_OK);
}

/* The inner IPv4 header of a tunnel goes through the same check: the
 * decapsulating receiver runs ip_rcv_core() on it again. A bad inner sum
 * under a good outer one, or the other way round, drops the packet;
 * packet_parse_file() reads it on and flags it. */
static void test_packet_parse_tunnel_inner_checksum(void **state)
{
	static const uint8_t vxlan[8] = { 0x08, 0, 0, 0, 0x00, 0x10, 0x00, 0x00 };
	struct pkt_info pi;
	struct stack s;
	(void)state;

	push_syn(&s, AF_INET);
	s.b[s.off + 8] = 63; /* inner TTL changed, sum not */
	push_v4(&s, 4);
	assert_int_equal(parse_stack(&s), PKT_BAD_CSUM);
	assert_int_equal(packet_parse_file(s.b + s.off, slen(&s), &pi), PKT_OK);
	assert_true(pi.bad_csum);
	assert_int_equal(pi.tunnel[0], PKT_TUN_IPIP);
	assert_int_equal(pi.ttl, 63);

	push_syn(&s, AF_INET);
	s.b[s.off + 11] ^= 0x10;
	push_eth(&s, 0x0800, false);
	push_bytes(&s, vxlan, sizeof(vxlan));
	push_udp(&s, 51000, 4789);
	push_v6(&s, PROTO_UDP);
	assert_int_equal(parse_stack(&s), PKT_BAD_CSUM);

	/* Inner right, outer wrong. */
	push_syn(&s, AF_INET);
	push_gre(&s, 0, 0x0800);
	push_v4(&s, 47);
	s.b[s.off + 15] ^= 0x01; /* outer source address */
	assert_int_equal(parse_stack(&s), PKT_BAD_CSUM);
	ipv4_csum(s.b + s.off);
	expect_inner(&s, AF_INET, (uint8_t[]){ PKT_TUN_GRE }, 1);
}

static void test_packet_parse_tunnel_ip_in_ip(void **state)
{
	struct stack s;
	(void)state;

	push_syn(&s, AF_INET);
	push_v4(&s, 4);
	expect_inner(&s, AF_INET, (uint8_t[]){ PKT_TUN_IPIP }, 1);
	push_syn(&s, AF_INET6);
	push_v4(&s, 41);
	expect_inner(&s, AF_INET6, (uint8_t[]){ PKT_TUN_SIT }, 1);
	push_syn(&s, AF_INET6);
	push_v6(&s, 41);
	expect_inner(&s, AF_INET6, (uint8_t[]){ PKT_TUN_IP6IP6 }, 1);
	push_syn(&s, AF_INET);
	push_v6(&s, 4);
	expect_inner(&s, AF_INET, (uint8_t[]){ PKT_TUN_IPIP6 }, 1);
	/* The protocol number names the inner version: IPv6 as "IPIP" is not. */
	push_syn(&s, AF_INET6);
	push_v4(&s, 4);
	assert_int_equal(parse_stack(&s), PKT_MALFORMED);
}

static void test_packet_parse_tunnel_gre(void **state)
{
	struct stack s;
	(void)state;

	push_syn(&s, AF_INET);
	push_gre(&s, 0, 0x0800);
	push_v4(&s, 47);
	expect_inner(&s, AF_INET, (uint8_t[]){ PKT_TUN_GRE }, 1);
	/* Checksum, key and sequence number present; IPv6 inside, over IPv6. */
	push_syn(&s, AF_INET6);
	push_gre(&s, 0xb000, 0x86dd);
	push_v6(&s, 47);
	expect_inner(&s, AF_INET6, (uint8_t[]){ PKT_TUN_GRE }, 1);
	/* Transparent Ethernet bridging (gretap), a VLAN tag inside. */
	push_syn(&s, AF_INET);
	push_eth(&s, 0x0800, true);
	push_gre(&s, 0x2000, 0x6558);
	push_v4(&s, 47);
	expect_inner(&s, AF_INET, (uint8_t[]){ PKT_TUN_GRE }, 1);
	/* Version 1 (PPTP) and source routing are not followed. */
	push_syn(&s, AF_INET);
	push_gre(&s, 0x0001, 0x0800);
	push_v4(&s, 47);
	assert_int_equal(parse_stack(&s), PKT_NOT_TCP);
	push_syn(&s, AF_INET);
	push_gre(&s, 0x4000, 0x0800);
	push_v4(&s, 47);
	assert_int_equal(parse_stack(&s), PKT_NOT_TCP);
	/* MPLS inside: not followed. */
	push_syn(&s, AF_INET);
	push_gre(&s, 0, 0x8847);
	push_v4(&s, 47);
	assert_int_equal(parse_stack(&s), PKT_NOT_TCP);
}

static void test_packet_parse_tunnel_erspan(void **state)
{
	/* Type II: version 1, VLAN, COS/En/T, session 7; index. */
	static const uint8_t erspan2[8] = { 0x10, 0x64, 0x00, 0x07, 0x00, 0x00, 0x00, 0x01 };
	/* Type III: version 2, session 7, timestamp, SGT, then P/FT/HW/D/Gra/O
	 * with O set: an 8-byte platform subheader follows. */
	static const uint8_t erspan3[20] = {
		0x20, 0x64, 0x00, 0x07, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00,
		0x00, 0x01, 0x10, 0,    0,    0,    0,    0,    0,    0,
	};
	struct stack s;
	(void)state;

	push_syn(&s, AF_INET);
	push_eth(&s, 0x0800, false);
	push_bytes(&s, erspan2, sizeof(erspan2));
	push_gre(&s, 0x1000, 0x88be);
	push_v4(&s, 47);
	expect_inner(&s, AF_INET, (uint8_t[]){ PKT_TUN_ERSPAN }, 1);
	/* Type I: 0x88be without sequence number, no ERSPAN header. */
	push_syn(&s, AF_INET6);
	push_eth(&s, 0x86dd, false);
	push_gre(&s, 0, 0x88be);
	push_v4(&s, 47);
	expect_inner(&s, AF_INET6, (uint8_t[]){ PKT_TUN_ERSPAN }, 1);
	push_syn(&s, AF_INET);
	push_eth(&s, 0x0800, true);
	push_bytes(&s, erspan3, sizeof(erspan3));
	push_gre(&s, 0x1000, 0x22eb);
	push_v6(&s, 47);
	expect_inner(&s, AF_INET, (uint8_t[]){ PKT_TUN_ERSPAN }, 1);
	/* Type III frame type 2 (IP, not Ethernet): not followed. */
	push_syn(&s, AF_INET);
	push_bytes(&s, erspan3, 12);
	s.b[s.off + 10] = 0x08;
	s.b[s.off + 11] = 0x00;
	push_gre(&s, 0x1000, 0x22eb);
	push_v4(&s, 47);
	assert_int_equal(parse_stack(&s), PKT_NOT_TCP);
}

static void test_packet_parse_tunnel_vxlan_geneve(void **state)
{
	static const uint8_t vxlan[8] = { 0x08, 0, 0, 0, 0x00, 0x10, 0x00, 0x00 }; /* VNI 16 */
	/* Geneve: 2 words of options, protocol 0x6558, VNI, one option. */
	static const uint8_t geneve[16] = { 0x02, 0x00, 0x65, 0x58, 0,    0,    0x10, 0,
					    0x01, 0x02, 0x03, 0x01, 0xaa, 0xbb, 0xcc, 0xdd };
	struct stack s;
	(void)state;

	push_syn(&s, AF_INET);
	push_eth(&s, 0x0800, false);
	push_bytes(&s, vxlan, sizeof(vxlan));
	push_udp(&s, 51000, 4789);
	push_v4(&s, PROTO_UDP);
	expect_inner(&s, AF_INET, (uint8_t[]){ PKT_TUN_VXLAN }, 1);
	/* Linux's own default port (no dstport given), flannel's too. */
	put16(s.b + s.off + 22, 8472);
	expect_inner(&s, AF_INET, (uint8_t[]){ PKT_TUN_VXLAN }, 1);
	/* Without the I flag the VNI is not valid: Linux drops it, so do we. */
	s.b[s.off + 28] = 0;
	assert_int_equal(parse_stack(&s), PKT_MALFORMED);
	push_syn(&s, AF_INET6);
	push_eth(&s, 0x86dd, false);
	push_bytes(&s, geneve, sizeof(geneve));
	push_udp(&s, 51000, 6081);
	push_v6(&s, PROTO_UDP);
	expect_inner(&s, AF_INET6, (uint8_t[]){ PKT_TUN_GENEVE }, 1);
	/* UDP to another port is not opened: it is a plain datagram (QUIC's
	 * path), its payload the VXLAN bytes. */
	push_syn(&s, AF_INET);
	push_eth(&s, 0x0800, false);
	push_bytes(&s, vxlan, sizeof(vxlan));
	push_udp(&s, 51000, 4790);
	push_v4(&s, PROTO_UDP);
	{
		struct pkt_info pi;

		assert_int_equal(packet_parse(s.b + s.off, slen(&s), &pi), PKT_OK);
		assert_int_equal(pi.proto, J4S_IPPROTO_UDP);
		assert_int_equal(pi.dport, 4790);
		assert_int_equal(pi.tunnel[0], PKT_TUN_NONE);
	}
}

static void test_packet_parse_tunnel_gtpu(void **state)
{
	/* Version 1, PT, E: G-PDU, length, TEID; sequence, N-PDU, next
	 * extension 0x85 (PDU session container, 1 word, then none). */
	uint8_t gtp[16] = { 0x34, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x85, 0x01, 0x10, 0x09, 0x00 };
	struct stack s;
	(void)state;

	push_syn(&s, AF_INET);
	put16(gtp + 2, (uint16_t)(slen(&s) + 8));
	push_bytes(&s, gtp, sizeof(gtp));
	push_udp(&s, 2152, 2152);
	push_v4(&s, PROTO_UDP);
	expect_inner(&s, AF_INET, (uint8_t[]){ PKT_TUN_GTPU }, 1);
	/* The plain 8-byte header, IPv6 inside. */
	push_syn(&s, AF_INET6);
	gtp[0] = 0x30;
	put16(gtp + 2, (uint16_t)slen(&s));
	push_bytes(&s, gtp, 8);
	push_udp(&s, 2152, 2152);
	push_v6(&s, PROTO_UDP);
	expect_inner(&s, AF_INET6, (uint8_t[]){ PKT_TUN_GTPU }, 1);
	/* An echo request carries no user packet; a zero-length extension is bad. */
	s.b[s.off + 48 + 1] = 1;
	assert_int_equal(parse_stack(&s), PKT_NOT_TCP);
	push_syn(&s, AF_INET);
	gtp[0] = 0x34;
	gtp[12] = 0;
	put16(gtp + 2, (uint16_t)(slen(&s) + 8));
	push_bytes(&s, gtp, sizeof(gtp));
	push_udp(&s, 2152, 2152);
	push_v4(&s, PROTO_UDP);
	assert_int_equal(parse_stack(&s), PKT_MALFORMED);
}

static void test_packet_parse_tunnel_capwap(void **state)
{
	/* HLEN 2 words, WBID 1, T 0: an 802.3 frame follows. */
	static const uint8_t capwap_eth[8] = { 0x00, 0x10, 0x02, 0x00, 0, 0, 0, 0 };
	/* HLEN 4 words, WBID 1, T 1, W: wireless specific information. */
	static const uint8_t capwap_wlan[16] = { 0x00, 0x20, 0x03, 0x20, 0, 0, 0, 0,
						 0x04, 0xbf, 0x23, 0x00, 0, 0, 0, 0 };
	/* 802.11 QoS data to the DS, frame control byte-swapped as Cisco
	 * access points send it; sequence control with a fragment number, no
	 * more fragments; QoS control; LLC/SNAP with the ethertype. */
	static const uint8_t wlan[34] = {
		0x01, 0x88, 0x2c, 0x00, 1,    1,    1,    1,    1,    1,    2,    2,
		2,    2,    2,    2,    3,    3,    3,    3,    3,    3,    0x76, 0x30,
		0x00, 0x00, 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00,
	};
	struct stack s;
	(void)state;

	push_syn(&s, AF_INET);
	push_eth(&s, 0x0800, false);
	push_bytes(&s, capwap_eth, sizeof(capwap_eth));
	push_udp(&s, 41264, 5247);
	push_v4(&s, PROTO_UDP);
	expect_inner(&s, AF_INET, (uint8_t[]){ PKT_TUN_CAPWAP }, 1);
	push_syn(&s, AF_INET);
	push_bytes(&s, wlan, sizeof(wlan));
	push_bytes(&s, capwap_wlan, sizeof(capwap_wlan));
	push_udp(&s, 5247, 41264); /* from the controller */
	push_v4(&s, PROTO_UDP);
	expect_inner(&s, AF_INET, (uint8_t[]){ PKT_TUN_CAPWAP }, 1);
	/* A CAPWAP fragment, a DTLS-protected datagram. */
	s.b[s.off + 28 + 3] |= 0x80;
	assert_int_equal(parse_stack(&s), PKT_FRAGMENT);
	s.b[s.off + 28 + 3] &= 0x7f;
	s.b[s.off + 28] = 0x01;
	assert_int_equal(parse_stack(&s), PKT_NOT_TCP);
	/* A protected (encrypted) 802.11 frame is not read. */
	s.b[s.off + 28] = 0x00;
	s.b[s.off + 28 + 16] = 0x41;
	assert_int_equal(parse_stack(&s), PKT_NOT_TCP);
	/* A client that happens to send from port 5247 (behind a NAT): a
	 * QUIC long header is no CAPWAP preamble, so the datagram is its own
	 * (UDP to the listen port), not a broken tunnel. */
	{
		static const uint8_t initial[16] = { 0xc3, 0, 0, 0, 1, 8, 1, 2,
						     3,    4, 5, 6, 7, 8, 0, 0 };
		struct pkt_info pi;

		s.off = sizeof(s.b);
		push_bytes(&s, initial, sizeof(initial));
		push_udp(&s, 5247, 443);
		push_v4(&s, PROTO_UDP);
		assert_int_equal(packet_parse(s.b + s.off, slen(&s), &pi), PKT_OK);
		assert_int_equal(pi.proto, J4S_IPPROTO_UDP);
		assert_int_equal(pi.sport, 5247);
		assert_int_equal(pi.dport, 443);
		assert_int_equal(pi.payload_len, sizeof(initial));
		assert_int_equal(pi.tunnel[0], PKT_TUN_NONE);
	}
}

static void test_packet_parse_tunnel_nesting(void **state)
{
	static const uint8_t vxlan[8] = { 0x08, 0, 0, 0, 0, 0, 1, 0 };
	struct stack s;
	(void)state;

	/* ERSPAN of VXLAN traffic: the mirror's typical nesting. */
	push_syn(&s, AF_INET);
	push_eth(&s, 0x0800, false);
	push_bytes(&s, vxlan, sizeof(vxlan));
	push_udp(&s, 51000, 4789);
	push_v4(&s, PROTO_UDP);
	push_eth(&s, 0x0800, false);
	push_gre(&s, 0, 0x88be);
	push_v4(&s, 47);
	expect_inner(&s, AF_INET, (uint8_t[]){ PKT_TUN_ERSPAN, PKT_TUN_VXLAN }, 2);
	/* J4S_TUNNEL_MAX encapsulations are followed, one more is not. */
	push_syn(&s, AF_INET);
	for (int i = 0; i < J4S_TUNNEL_MAX; i++)
		push_v4(&s, 4);
	expect_inner(&s, AF_INET,
		     (uint8_t[]){ PKT_TUN_IPIP, PKT_TUN_IPIP, PKT_TUN_IPIP, PKT_TUN_IPIP },
		     J4S_TUNNEL_MAX);
	push_v4(&s, 4);
	assert_int_equal(parse_stack(&s), PKT_TUNNEL_DEPTH);
}

static void test_packet_tunnel_str_names(void **state)
{
	char buf[64];
	(void)state;

	packet_tunnel_str((uint8_t[J4S_TUNNEL_MAX]){ 0 }, buf, sizeof(buf));
	assert_string_equal(buf, "");
	packet_tunnel_str((uint8_t[J4S_TUNNEL_MAX]){ PKT_TUN_ERSPAN, PKT_TUN_VXLAN }, buf,
			  sizeof(buf));
	assert_string_equal(buf, "erspan,vxlan");
	packet_tunnel_str((uint8_t[J4S_TUNNEL_MAX]){ PKT_TUN_GTPU, PKT_TUN_CAPWAP, PKT_TUN_SIT,
						     PKT_TUN_IPIP6 },
			  buf, sizeof(buf));
	assert_string_equal(buf, "gtpu,capwap,sit,ipip6");
	packet_tunnel_str((uint8_t[J4S_TUNNEL_MAX]){ PKT_TUN_GENEVE, PKT_TUN_GRE }, buf, 8);
	assert_string_equal(buf, "geneve"); /* what fits */
	for (int k = 1; k < PKT_TUN_MAX; k++)
		assert_string_not_equal(packet_tunnel_name((uint8_t)k), "?");
	assert_string_equal(packet_tunnel_name(PKT_TUN_MAX), "?");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_packet_link_supported_types),
		T(test_packet_strip_link_each_type),
		T(test_packet_strip_link_not_ip),
		T(test_packet_strip_link_vlan_9100),
		T(test_packet_strip_link_unsupported),
		T(test_packet_strip_link_truncated_every_length),
		T(test_packet_parse_ipv4_syn_fields),
		T(test_packet_parse_ipv4_options),
		T(test_packet_parse_ipv4_checksum),
		T(test_packet_parse_ipv4_options_checksum),
		T(test_packet_parse_ipv4_options_dropped),
		T(test_packet_parse_ipv4_bad_ihl),
		T(test_packet_parse_ipv4_fragment),
		T(test_packet_parse_ipv4_total_length_short),
		T(test_packet_parse_ipv4_ethernet_padding),
		T(test_packet_parse_ipv4_captured_less),
		T(test_packet_parse_ipv4_udp_not_tcp),
		T(test_packet_parse_ipv6_syn_fields),
		T(test_packet_parse_ipv6_ext_headers),
		T(test_packet_parse_ipv6_ext_dropped),
		T(test_packet_parse_ipv6_atomic_fragment),
		T(test_packet_parse_ipv6_fragment),
		T(test_packet_parse_ipv6_ext_past_payload),
		T(test_packet_parse_ipv6_truncated_every_length),
		T(test_packet_parse_ipv6_not_tcp),
		T(test_packet_parse_ipv6_ext_header_limit),
		T(test_packet_parse_ipv6_zero_payload_length),
		T(test_packet_parse_tcp_bad_data_offset),
		T(test_packet_parse_bad_version),
		T(test_packet_tcp_meta_linux_syn),
		T(test_packet_tcp_meta_macos_syn),
		T(test_packet_tcp_md5),
		T(test_packet_ipv4_opts_dropped),
		T(test_packet_tcp_meta_unknown_kinds),
		T(test_packet_tcp_meta_bad_length),
		T(test_packet_tcp_meta_absent),
		T(test_packet_tcp_meta_eol_stops),
		T(test_packet_tcp_meta_longest),
		T(test_packet_addr_str_ipv4),
		T(test_packet_addr_str_ipv6_rfc5952),
		T(test_packet_addr_str_small_buffer),
		T(test_packet_addr_str_ipv6_as_inet_ntop),
		T(test_packet_verdict_str_all),
		T(test_packet_parse_tunnel_ip_in_ip),
		T(test_packet_parse_tunnel_inner_checksum),
		T(test_packet_parse_tunnel_inner_length_lies),
		T(test_packet_parse_tunnel_gre),
		T(test_packet_parse_tunnel_erspan),
		T(test_packet_parse_tunnel_vxlan_geneve),
		T(test_packet_parse_tunnel_gtpu),
		T(test_packet_parse_tunnel_capwap),
		T(test_packet_parse_tunnel_nesting),
		T(test_packet_tunnel_str_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
