// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The kernel programs on crafted packets, through BPF_PROG_TEST_RUN: the
 * skeleton is loaded for real (root, BPF), its maps filled as the daemon
 * fills them, and each packet is run through one program. Three groups,
 * each with its own skeleton that loads one ingress program and
 * j4s_tc_egress: tc, xdp (with bpf_xdp_load_bytes where the kernel has it)
 * and xdp-copy (the by-hand copy of kernels before 5.18, forced); and
 * tc-limit, xdp-limit: the handshake tests with a token bucket of 1
 * unvalidated hello a second, burst 2. Checks the verdict (always pass), the
 * events in the ring buffer, their bytes, and the named counters of
 * j4s_stats.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>
#include "abi.h"
#include "ja4sentinel.skel.h"

#define TC_ACT_OK 0
#define XDP_PASS  2

enum mode { MODE_TC, MODE_XDP, MODE_XDP_COPY, MODE_MAX };

struct fixture {
	enum mode mode;
	bool xdp;
	bool limit; /* token bucket of unvalidated hellos: 1/s, burst 2 */
	bool hold;  /* run() leaves the ring unread */
	struct ja4sentinel_bpf *skel;
	struct ring_buffer *rb;
	int events;
	int last_kind;
	uint32_t last_caplen;
	uint8_t last_data[4096];
	uint8_t buf[4096];
	size_t len;
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct fixture *f = ctx;
	const struct j4s_event *ev = data;

	f->events++;
	f->last_kind = ev->kind;
	f->last_caplen = ev->caplen;
	if (ev->caplen <= sizeof(f->last_data) && size >= J4S_EVENT_HDR_SIZE + ev->caplen)
		memcpy(f->last_data, ev->data, ev->caplen);
	return 0;
}

static int quiet(enum libbpf_print_level l, const char *fmt, va_list ap)
{
	(void)l;
	(void)fmt;
	(void)ap;
	return 0;
}

static int setup(void **state, enum mode mode, bool limit)
{
	static struct fixture fx[2 * MODE_MAX];
	struct fixture *f = &fx[2 * mode + limit];
	uint32_t port = 443, excl_prefix;
	uint8_t one = 1;
	struct j4s_lpm_key k = { 0 };
	struct j4s_bpf_config *cfg;
	int err;

	memset(f, 0, sizeof(*f));
	f->mode = mode;
	f->xdp = mode != MODE_TC;
	f->limit = limit;
	*state = f; /* teardown runs even when setup fails */
	libbpf_set_print(quiet);
	f->skel = ja4sentinel_bpf__open();
	if (!f->skel)
		return -1;
	bpf_map__set_max_entries(f->skel->maps.j4s_events, 1 << 20);
	bpf_map__set_max_entries(f->skel->maps.j4s_flows, 1024);
	bpf_program__set_autoload(f->skel->progs.j4s_tc, !f->xdp);
	bpf_program__set_autoload(f->skel->progs.j4s_xdp, f->xdp);
	cfg = (struct j4s_bpf_config *)&f->skel->rodata->j4s_cfg;
	cfg->filter_exclude = 1;
	cfg->xdp_copy = mode == MODE_XDP_COPY;
	if (limit) {
		cfg->unval_rate = 1;
		cfg->unval_burst = 2;
	}
	err = ja4sentinel_bpf__load(f->skel);
	if (err) {
		/* The kernel matrix's verifier_log has the verifier's reasons. */
		fprintf(stderr, "loading j4s_%s: %s\n", f->xdp ? "xdp" : "tc", strerror(-err));
		return -1;
	}
	bpf_map_update_elem(bpf_map__fd(f->skel->maps.j4s_ports), &port, &one, 0);
	/* Excluded: 203.0.113.0/24 as ::ffff:203.0.113.0/120. */
	excl_prefix = 96 + 24;
	k.prefixlen = excl_prefix;
	k.addr[10] = k.addr[11] = 0xff;
	k.addr[12] = 203;
	k.addr[13] = 0;
	k.addr[14] = 113;
	bpf_map_update_elem(bpf_map__fd(f->skel->maps.j4s_excl), &k, &one, 0);
	f->rb = ring_buffer__new(bpf_map__fd(f->skel->maps.j4s_events), on_event, f, NULL);
	if (!f->rb)
		return -1;
	return 0;
}

static int setup_tc(void **state)
{
	return setup(state, MODE_TC, false);
}

static int setup_xdp(void **state)
{
	return setup(state, MODE_XDP, false);
}

static int setup_xdp_copy(void **state)
{
	return setup(state, MODE_XDP_COPY, false);
}

static int setup_tc_limit(void **state)
{
	return setup(state, MODE_TC, true);
}

static int setup_xdp_limit(void **state)
{
	return setup(state, MODE_XDP, true);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (!f)
		return 0;
	ring_buffer__free(f->rb);
	ja4sentinel_bpf__destroy(f->skel);
	return 0;
}

static void reset(struct fixture *f)
{
	struct j4s_stats zero[256] = { 0 };
	uint32_t key = 0;

	bpf_map_update_elem(bpf_map__fd(f->skel->maps.j4s_stats), &key, zero, 0);
	for (uint32_t b = 0; b < J4S_BUCKETS; b++) /* full */
		bpf_map_update_elem(bpf_map__fd(f->skel->maps.j4s_bucket), &b, zero, 0);
	/* No flow of an earlier test: a SYN again is a retransmit now. */
	for (struct j4s_flow_key k;
	     !bpf_map_get_next_key(bpf_map__fd(f->skel->maps.j4s_flows), NULL, &k);)
		bpf_map_delete_elem(bpf_map__fd(f->skel->maps.j4s_flows), &k);
	f->hold = false;
	ring_buffer__consume(f->rb);
	f->events = 0;
	f->last_kind = 0;
	f->len = 0;
}

static struct j4s_stats stats(struct fixture *f)
{
	static struct j4s_stats per[256];
	struct j4s_stats sum = { 0 };
	uint32_t key = 0;
	int ncpu = libbpf_num_possible_cpus();

	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(f->skel->maps.j4s_stats), &key, per), 0);
	for (int i = 0; i < ncpu; i++) {
		const __u64 *s = (const __u64 *)&per[i];
		__u64 *d = (__u64 *)&sum;

		for (size_t j = 0; j < sizeof(sum) / 8; j++)
			d[j] += s[j];
	}
	return sum;
}

/* ---- packet building ---- */

static void put(struct fixture *f, const void *p, size_t n)
{
	memcpy(f->buf + f->len, p, n);
	f->len += n;
}

static void eth(struct fixture *f, uint16_t proto, int vlans)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	uint16_t tags[2] = { 0x88a8, 0x8100 };

	put(f, macs, 12);
	for (int i = 0; i < vlans; i++) {
		uint8_t t[4] = { tags[2 - vlans + i] >> 8, tags[2 - vlans + i] & 0xff, 0, 100 };

		put(f, t, 4);
	}
	put(f, (uint8_t[2]){ proto >> 8, proto & 0xff }, 2);
}

/* Set the checksum of the IPv4 header at h (RFC 1071), as a sender's
 * stack does: the program drops a header whose sum is wrong. */
static void ipv4_sum(uint8_t *h)
{
	uint32_t s = 0, hl = (h[0] & 15u) * 4;

	h[10] = h[11] = 0;
	for (uint32_t i = 0; i < hl; i += 2)
		s += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	h[10] = (uint8_t)(~s >> 8);
	h[11] = (uint8_t)~s;
}

/* IPv4 with opt_words 4-byte words of options (NOP, then EOL last). */
static void ipv4_opts(struct fixture *f, const char *src, uint16_t payload, uint8_t proto,
		      uint16_t frag, int opt_words)
{
	uint8_t h[60] = { (uint8_t)(0x45 + opt_words), 0, 0, 0, 0x12, 0x34, 0, 0, 64, proto };
	uint16_t hl = (uint16_t)(20 + 4 * opt_words);
	uint16_t tot = hl + payload;

	h[2] = tot >> 8;
	h[3] = tot & 0xff;
	h[6] = frag >> 8;
	h[7] = frag & 0xff;
	inet_pton(AF_INET, src, h + 12);
	inet_pton(AF_INET, "198.18.0.1", h + 16);
	memset(h + 20, 1, hl - 20);
	if (opt_words)
		h[hl - 1] = 0;
	ipv4_sum(h);
	put(f, h, hl);
}

static void ipv4(struct fixture *f, const char *src, uint16_t payload, uint8_t proto, uint16_t frag)
{
	ipv4_opts(f, src, payload, proto, frag, 0);
}

static void ipv6(struct fixture *f, uint16_t payload, int ext)
{
	uint8_t h[40] = { 0x60 };
	uint16_t plen = payload + (uint16_t)(8 * ext);

	h[4] = plen >> 8;
	h[5] = plen & 0xff;
	h[6] = ext ? 0 : 6; /* hop-by-hop first when there are extensions */
	h[7] = 64;
	inet_pton(AF_INET6, "fd00::2", h + 8);
	inet_pton(AF_INET6, "fd00::1", h + 24);
	put(f, h, 40);
	for (int i = 0; i < ext; i++) {
		/* hop-by-hop then destination options, each 8 bytes of padding */
		uint8_t e[8] = { i + 1 < ext ? 60 : 6, 0, 1, 4, 0, 0, 0, 0 };

		put(f, e, 8);
	}
}

static void tcp(struct fixture *f, uint16_t dport, uint8_t flags, uint32_t seq, int opts)
{
	uint8_t h[32] = { 0x9c, 0x40, dport >> 8, dport & 0xff };

	h[4] = seq >> 24;
	h[5] = seq >> 16;
	h[6] = seq >> 8;
	h[7] = seq & 0xff;
	h[12] = (uint8_t)((opts ? 8 : 5) << 4);
	h[13] = flags;
	h[14] = 0xfa;
	if (opts) {
		/* MSS 1460, NOP, WScale 7, SACK permitted, NOP NOP padding */
		uint8_t o[12] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 1, 1 };

		memcpy(h + 20, o, 12);
	}
	put(f, h, opts ? 32 : 20);
}

/* A 16-byte start of a ClientHello record: enough for the kernel's checks. */
static const uint8_t hello_start[16] = { 0x16, 0x03, 0x01, 0x00, 0x0b, 0x01, 0x00, 0x00,
					 0x07, 0x03, 0x03, 0,    0,    0,    0,    0 };

/* n bytes of a ClientHello record of rlen bytes (its message filling it),
 * the rest a pattern of step: for segments whose bytes are checked. */
static void hello_payload(uint8_t *pl, size_t n, uint16_t rlen, uint8_t step)
{
	uint32_t body = rlen - 4u;

	for (size_t i = 0; i < n; i++)
		pl[i] = (uint8_t)(i * step + 1);
	memcpy(pl, hello_start, 9);
	pl[3] = (uint8_t)(rlen >> 8);
	pl[4] = (uint8_t)rlen;
	pl[6] = (uint8_t)(body >> 16);
	pl[7] = (uint8_t)(body >> 8);
	pl[8] = (uint8_t)body;
}

static int run(struct fixture *f)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->buf, .data_size_in = (uint32_t)f->len);
	int fd = bpf_program__fd(f->xdp ? f->skel->progs.j4s_xdp : f->skel->progs.j4s_tc);

	assert_int_equal(bpf_prog_test_run_opts(fd, &o), 0);
	if (!f->hold)
		ring_buffer__consume(f->rb);
	return (int)o.retval;
}

static void syn_v4(struct fixture *f, const char *src, uint16_t port, int vlans, int opts)
{
	eth(f, 0x0800, vlans);
	ipv4(f, src, opts ? 32 : 20, 6, 0x4000);
	tcp(f, port, 0x02, 1000, opts);
}

/* ---- tests, each for both programs ---- */

static void check_syn(struct fixture *f, int vlans, int opts)
{
	reset(f);
	syn_v4(f, "198.18.0.2", 443, vlans, opts);
	assert_int_equal(run(f), f->xdp ? XDP_PASS : TC_ACT_OK);
	assert_int_equal(f->events, 1);
	assert_int_equal(f->last_kind, J4S_EV_SYN);
	assert_int_equal(f->last_caplen, 20 + (opts ? 32 : 20));
	assert_int_equal(stats(f).syn_events, 1);
	assert_int_equal(stats(f).flows_created, 1);
}

static void test_syn_plain(void **state)
{
	check_syn(*state, 0, 1);
}

static void test_syn_without_options(void **state)
{
	check_syn(*state, 0, 0);
}

static void test_syn_vlan_and_qinq(void **state)
{
	check_syn(*state, 1, 1);
	check_syn(*state, 2, 1);
}

static void test_syn_other_port(void **state)
{
	struct fixture *f = *state;

	reset(f);
	syn_v4(f, "198.18.0.2", 8080, 0, 1);
	run(f);
	assert_int_equal(f->events, 0);
	assert_int_equal(stats(f).other_port, 1);
}

static void test_syn_excluded_source(void **state)
{
	struct fixture *f = *state;

	reset(f);
	syn_v4(f, "203.0.113.9", 443, 0, 1);
	run(f);
	assert_int_equal(f->events, 0);
	assert_int_equal(stats(f).excluded, 1);
}

static void test_ipv6_extension_headers(void **state)
{
	struct fixture *f = *state;

	reset(f);
	eth(f, 0x86dd, 0);
	ipv6(f, 32, 2);
	tcp(f, 443, 0x02, 5000, 1);
	assert_int_equal(run(f), f->xdp ? XDP_PASS : TC_ACT_OK);
	assert_int_equal(f->events, 1);
	assert_int_equal(f->last_caplen, 40 + 16 + 32);
}

/* An IPv6 SYN whose one extension header (type nh, 16 bytes) is hdr. */
static void syn_v6_ext(struct fixture *f, uint8_t nh, const uint8_t hdr[16])
{
	uint8_t h[40] = { 0x60, 0, 0, 0, 0, 16 + 32, nh, 64 };
	uint8_t e[16];

	memcpy(e, hdr, 16);
	e[0] = 6;
	e[1] = nh == 51 ? 2 : 1; /* AH counts 4-byte words, minus 2 */
	inet_pton(AF_INET6, "fd00::2", h + 8);
	inet_pton(AF_INET6, "fd00::1", h + 24);
	f->len = 0;
	eth(f, 0x86dd, 0);
	put(f, h, 40);
	put(f, e, 16);
	tcp(f, 443, 0x02, (uint32_t)(5000 + 1000 * f->events),
	    1); /* a new ISN each: no retransmit */
	run(f);
}

/* IPv6 extension headers the stack drops a packet for (userspace's
 * parse_ipv6() and ipv6_tlv_dropped()) keep it from going up. */
static void test_ipv6_ext_dropped(void **state)
{
	struct fixture *f = *state;
	/* destination options: an option to skip (0x1e), taken */
	static const uint8_t skip[16] = { 0, 0, 0x1e, 12 };
	/* ... of a type that says discard */
	static const uint8_t discard[16] = { 0, 0, 0x9e, 12 };
	/* ... 12 bytes of padding in a row */
	static const uint8_t padding[16] = { 0, 0, 1, 10 };
	/* ... PadN holding a non-zero byte */
	static const uint8_t dirty[16] = { 0, 0, 1, 4, 0, 7, 0, 0, 0x1e, 4 };
	/* routing type 0, no segments left: taken; one left: dropped */
	static const uint8_t rt0[16] = { 0, 0, 0, 0 };
	static const uint8_t rt_left[16] = { 0, 0, 0, 1 };
	static const uint8_t srh[16] = { 0, 0, 4, 0 };

	reset(f);
	syn_v6_ext(f, 60, skip);
	syn_v6_ext(f, 43, rt0);
	assert_int_equal(stats(f).syn_events, 2);
	syn_v6_ext(f, 60, discard);
	syn_v6_ext(f, 60, padding);
	syn_v6_ext(f, 60, dirty);
	syn_v6_ext(f, 43, rt_left);
	syn_v6_ext(f, 43, srh);
	syn_v6_ext(f, 51, skip); /* AH: no SA */
	assert_int_equal(stats(f).ip_options_dropped, 6);
	assert_int_equal(stats(f).syn_events, 2);
}

/* The pre-standard QinQ tag 0x9100 is followed like 802.1ad (userspace
 * does the same: include/abi.h); one tag more than J4S_VLAN_MAX is not. */
static void test_syn_vlan_9100(void **state)
{
	struct fixture *f = *state;
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };

	reset(f);
	put(f, macs, 12);
	put(f, (uint8_t[8]){ 0x91, 0x00, 0, 10, 0x81, 0x00, 0, 100 }, 8);
	put(f, (uint8_t[2]){ 0x08, 0x00 }, 2);
	ipv4(f, "198.18.0.2", 32, 6, 0x4000);
	tcp(f, 443, 0x02, 1000, 1);
	assert_int_equal(run(f), f->xdp ? XDP_PASS : TC_ACT_OK);
	assert_int_equal(f->events, 1);
	assert_int_equal(f->last_kind, J4S_EV_SYN);
	assert_int_equal(f->last_caplen, 20 + 32);
	reset(f);
	put(f, macs, 12);
	for (int i = 0; i < J4S_VLAN_MAX + 1; i++)
		put(f, (uint8_t[4]){ 0x91, 0x00, 0, 10 }, 4);
	put(f, (uint8_t[2]){ 0x08, 0x00 }, 2);
	ipv4(f, "198.18.0.2", 32, 6, 0x4000);
	tcp(f, 443, 0x02, 1000, 1);
	assert_int_equal(run(f), f->xdp ? XDP_PASS : TC_ACT_OK);
	assert_int_equal(f->events, 0);
	assert_int_equal(stats(f).not_ip, 1);
}

/* J4S_IPV6_EXT_MAX extension headers are followed, one more is not. */
static void test_ipv6_extension_header_limit(void **state)
{
	struct fixture *f = *state;

	reset(f);
	eth(f, 0x86dd, 0);
	ipv6(f, 32, J4S_IPV6_EXT_MAX);
	tcp(f, 443, 0x02, 5000, 1);
	assert_int_equal(run(f), f->xdp ? XDP_PASS : TC_ACT_OK);
	assert_int_equal(f->events, 1);
	assert_int_equal(f->last_caplen, 40 + 8 * J4S_IPV6_EXT_MAX + 32);
	reset(f);
	eth(f, 0x86dd, 0);
	ipv6(f, 32, J4S_IPV6_EXT_MAX + 1);
	tcp(f, 443, 0x02, 5000, 1);
	assert_int_equal(run(f), f->xdp ? XDP_PASS : TC_ACT_OK);
	assert_int_equal(f->events, 0);
	assert_int_equal(stats(f).not_tcp, 1);
}

/* tc: a frame whose linear part ends after the Ethernet header (as drivers
 * that build skbs from page fragments hand them) is parsed from a copy, not
 * pulled. BPF_PROG_TEST_RUN builds such an skb where the kernel takes the
 * linear size from ctx->data_end (6.19); elsewhere the case is skipped. */
static void test_tc_headers_beyond_linear_part(void **state)
{
	struct fixture *f = *state;
	struct __sk_buff ctx = { .data_end = 14 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));
	int rc;

	if (f->xdp)
		skip();
	reset(f);
	syn_v4(f, "198.18.0.2", 443, 0, 1);
	o.data_in = f->buf;
	o.data_size_in = (uint32_t)f->len;
	rc = bpf_prog_test_run_opts(bpf_program__fd(f->skel->progs.j4s_tc), &o);
	if (rc == -EINVAL)
		skip(); /* this kernel builds only linear skbs */
	assert_int_equal(rc, 0);
	ring_buffer__consume(f->rb);
	assert_int_equal(o.retval, TC_ACT_OK);
	assert_int_equal(f->events, 1);
	assert_int_equal(f->last_kind, J4S_EV_SYN);
	assert_int_equal(f->last_caplen, 20 + 32);
	assert_memory_equal(f->last_data, f->buf + 14, 20 + 32);
	/* Not a listen port: counted as such, from the copy. */
	reset(f);
	syn_v4(f, "198.18.0.2", 8080, 0, 1);
	o.data_in = f->buf;
	o.data_size_in = (uint32_t)f->len;
	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(f->skel->progs.j4s_tc), &o), 0);
	ring_buffer__consume(f->rb);
	assert_int_equal(f->events, 0);
	assert_int_equal(stats(f).other_port, 1);
	assert_int_equal(stats(f).truncated, 0);
}

static void test_truncated_and_fragment(void **state)
{
	struct fixture *f = *state;

	reset(f);
	syn_v4(f, "198.18.0.2", 443, 0, 1);
	f->len = 14 + 20 + 10; /* TCP header cut */
	assert_int_equal(run(f), f->xdp ? XDP_PASS : TC_ACT_OK);
	assert_int_equal(f->events, 0);
	assert_int_equal(stats(f).truncated, 1);
	reset(f);
	eth(f, 0x0800, 0);
	ipv4(f, "198.18.0.2", 20, 6, 0x2000); /* MF */
	tcp(f, 443, 0x02, 1, 0);
	run(f);
	assert_int_equal(stats(f).fragments, 1);
	reset(f);
	eth(f, 0x0806, 0); /* ARP */
	put(f, (uint8_t[28]){ 0 }, 28);
	run(f);
	assert_int_equal(stats(f).not_ip, 1);
}

/*
 * A wrong IPv4 header checksum: the server's stack drops the packet
 * (ip_rcv_core()), so nothing of it goes up and no flow state moves (a
 * fake hello in one must not become the flow's bytes), counted as
 * bad_ip_checksum; the same packets with the right sum go up. SYN,
 * payload, fragment, with options (summed a word a call) and without;
 * XDP's copy-by-hand mode reads the same header in place.
 */
/* A SYN from src in an IPv4 header with the given options (a multiple of
 * 4 bytes), its checksum right. */
static void syn_ip_opts(struct fixture *f, const char *src, const uint8_t *opts, size_t olen,
			uint16_t frag)
{
	uint8_t h[60] = { (uint8_t)(0x45 + olen / 4), 0, 0, 0, 0x12, 0x34, 0, 0, 64, 6 };
	uint16_t hl = (uint16_t)(20 + olen), tot = hl + 20;

	h[2] = tot >> 8;
	h[3] = tot & 0xff;
	h[6] = frag >> 8;
	h[7] = frag & 0xff;
	inet_pton(AF_INET, src, h + 12);
	inet_pton(AF_INET, "198.18.0.1", h + 16);
	memcpy(h + 20, opts, olen);
	ipv4_sum(h);
	f->len = 0;
	eth(f, 0x0800, 0);
	put(f, h, hl);
	tcp(f, 443, 0x02, 1000, 0);
	run(f);
}

/* IPv4 options the receiving Linux drops a packet for (a source route,
 * CIPSO, malformed ones; userspace's packet_ipv4_opts_dropped()) keep it
 * from going up, fragments too; others do not. */
static void test_ip_options_dropped(void **state)
{
	struct fixture *f = *state;
	static const uint8_t lsrr[8] = { 131, 7, 4, 198, 18, 0, 9, 0 };
	static const uint8_t cipso[12] = { 134, 10, 0, 0, 0, 3, 1, 4, 0, 0, 1, 0 };
	static const uint8_t bad_len[4] = { 7, 9, 4, 0 };
	static const uint8_t two_ts[16] = { 68, 8, 5, 0, 0, 0, 0, 0, 68, 8, 5, 0, 0, 0, 0, 0 };
	static const uint8_t rr[8] = { 7, 7, 4, 0, 0, 0, 0, 0 };
	static const uint8_t ra[4] = { 148, 4, 0, 0 };
	static const uint8_t nops_lsrr[40] = { [0 ... 31] = 1, [32] = 131, 7, 4, 198, 18, 0, 9, 0 };

	reset(f);
	syn_ip_opts(f, "198.18.0.110", lsrr, sizeof(lsrr), 0x4000);
	syn_ip_opts(f, "198.18.0.111", cipso, sizeof(cipso), 0x4000);
	syn_ip_opts(f, "198.18.0.112", bad_len, sizeof(bad_len), 0x4000);
	syn_ip_opts(f, "198.18.0.113", two_ts, sizeof(two_ts), 0x4000);
	syn_ip_opts(f, "198.18.0.114", nops_lsrr, sizeof(nops_lsrr), 0x4000);
	syn_ip_opts(f, "198.18.0.115", lsrr, sizeof(lsrr), 0x2000); /* a fragment */
	assert_int_equal(stats(f).ip_options_dropped, 6);
	assert_int_equal(stats(f).syn_events, 0);
	assert_int_equal(stats(f).fragment_events, 0);
	syn_ip_opts(f, "198.18.0.116", rr, sizeof(rr), 0x4000);
	syn_ip_opts(f, "198.18.0.117", ra, sizeof(ra), 0x4000);
	assert_int_equal(stats(f).syn_events, 2);
	assert_int_equal(stats(f).ip_options_dropped, 6);
}

static void test_bad_ip_checksum(void **state)
{
	struct fixture *f = *state;
	uint8_t pl[64];
	size_t ip = 14;

	for (int words = 0; words <= 10; words += 5) {
		/* SYN with a bad sum: no event, no flow. */
		reset(f);
		eth(f, 0x0800, 0);
		ipv4_opts(f, "198.18.0.21", 32, 6, 0x4000, words);
		tcp(f, 443, 0x02, 1000, 1);
		f->buf[ip + 8] = 63; /* TTL changed, sum not */
		assert_int_equal(run(f), f->xdp ? XDP_PASS : TC_ACT_OK);
		assert_int_equal(f->events, 0);
		assert_int_equal(stats(f).bad_ip_checksum, 1);
		assert_int_equal(stats(f).flows_created, 0);
		assert_int_equal(stats(f).syn_events, 0);
		/* An option byte changed: the options are summed too. */
		if (words) {
			ipv4_sum(f->buf + ip);
			f->buf[ip + 20 + 4 * words - 2] = 0;
			run(f);
			assert_int_equal(f->events, 0);
			assert_int_equal(stats(f).bad_ip_checksum, 2);
		}
		/* The sum put right: the SYN goes up and makes the flow. */
		ipv4_sum(f->buf + ip);
		run(f);
		assert_int_equal(f->events, 1);
		assert_int_equal(f->last_kind, J4S_EV_SYN);
		assert_int_equal(stats(f).flows_created, 1);

		/* A hello start with a bad sum: nothing up, the flow still
		 * waits for its first byte; the real one then goes up. */
		f->len = 0;
		eth(f, 0x0800, 0);
		ipv4_opts(f, "198.18.0.21", 20 + sizeof(hello_start), 6, 0x4000, words);
		tcp(f, 443, 0x18, 1001, 0);
		put(f, hello_start, sizeof(hello_start));
		f->buf[ip + 10] ^= 0x01;
		run(f);
		assert_int_equal(f->events, 1);
		assert_int_equal(stats(f).payload_events, 0);
		assert_int_equal(stats(f).flows_done, 0);
		assert_int_equal(stats(f).bad_ip_checksum, words ? 3 : 2);
		f->buf[ip + 10] ^= 0x01;
		run(f);
		assert_int_equal(f->events, 2);
		assert_int_equal(f->last_kind, J4S_EV_PAYLOAD);
		assert_int_equal(stats(f).payload_events, 1);
		assert_memory_equal(f->last_data, f->buf + ip, f->len - ip);
	}
	/* A fragment with a bad sum is not sent up for reassembly. */
	for (size_t i = 0; i < sizeof(pl); i++)
		pl[i] = (uint8_t)(i * 3 + 1);
	reset(f);
	eth(f, 0x0800, 0);
	ipv4(f, "198.18.0.2", 64, 6, 11);
	put(f, pl, sizeof(pl));
	f->buf[ip + 15] ^= 0x80; /* source address bit */
	run(f);
	assert_int_equal(f->events, 0);
	assert_int_equal(stats(f).fragments, 0);
	assert_int_equal(stats(f).bad_ip_checksum, 1);
	f->buf[ip + 15] ^= 0x80;
	run(f);
	assert_int_equal(f->events, 1);
	assert_int_equal(f->last_kind, J4S_EV_FRAGMENT);
	assert_int_equal(stats(f).fragment_events, 1);
}

/* IP fragments to a wanted address go up whole (userspace rebuilds the
 * datagram as the server's stack does): the first with its TCP header, a
 * later one with none, an IPv6 one; not from an excluded source. */
static void test_fragments_passed(void **state)
{
	struct fixture *f = *state;
	uint8_t pl[64];
	static const uint8_t frag6[8] = { 6, 0, 0x00, 0x41, 0, 0, 0x12, 0x34 }; /* 64, M */

	for (size_t i = 0; i < sizeof(pl); i++)
		pl[i] = (uint8_t)(i * 5 + 1);
	reset(f);
	eth(f, 0x0800, 0);
	ipv4(f, "198.18.0.2", 20 + 64, 6, 0x2000); /* MF, offset 0 */
	tcp(f, 443, 0x18, 1001, 0);
	put(f, pl, sizeof(pl));
	assert_int_equal(run(f), f->xdp ? XDP_PASS : TC_ACT_OK);
	assert_int_equal(f->events, 1);
	assert_int_equal(f->last_kind, J4S_EV_FRAGMENT);
	assert_int_equal(f->last_caplen, 20 + 20 + 64);
	assert_memory_equal(f->last_data, f->buf + 14, 20 + 20 + 64);
	/* A later fragment, padded as a short frame may be: the IP length
	 * bounds what goes up. */
	f->len = 0;
	eth(f, 0x0800, 0);
	ipv4(f, "198.18.0.2", 64, 6, 11); /* offset 88, last */
	put(f, pl, sizeof(pl));
	put(f, (uint8_t[6]){ 0 }, 6);
	run(f);
	assert_int_equal(f->events, 2);
	assert_int_equal(f->last_caplen, 20 + 64);
	assert_memory_equal(f->last_data, f->buf + 14, 20 + 64);
	/* IPv6: fragment header, offset 64, M. */
	f->len = 0;
	eth(f, 0x86dd, 0);
	ipv6(f, 8 + 64, 0);
	f->buf[14 + 6] = 44;
	put(f, frag6, sizeof(frag6));
	put(f, pl, sizeof(pl));
	run(f);
	assert_int_equal(f->events, 3);
	assert_int_equal(f->last_kind, J4S_EV_FRAGMENT);
	assert_int_equal(f->last_caplen, 40 + 8 + 64);
	assert_memory_equal(f->last_data, f->buf + 14, 40 + 8 + 64);
	/* From an excluded source: held back, as its other packets. */
	f->len = 0;
	eth(f, 0x0800, 0);
	ipv4(f, "203.0.113.9", 64, 6, 11);
	put(f, pl, sizeof(pl));
	run(f);
	assert_int_equal(f->events, 3);
	assert_int_equal(stats(f).fragments, 4);
	assert_int_equal(stats(f).fragment_events, 3);
	assert_int_equal(stats(f).excluded, 1);
	assert_int_equal(stats(f).fragments_limited, 0);
}

/* A first fragment that names no validated flow takes a token of the
 * unvalidated bucket (limit groups: 1/s, burst 2); a later fragment (no
 * ports) takes none and goes up while the ring is under a quarter full. */
static void test_fragments_bucket(void **state)
{
	struct fixture *f = *state;
	uint8_t pl[64] = { 1 }; /* as a TCP header: port 256 to port 0, no flow */

	reset(f);
	for (int i = 0; i < 5; i++) { /* first fragments: MF, offset 0 */
		f->len = 0;
		eth(f, 0x0800, 0);
		ipv4(f, "198.18.0.2", 64, 6, 0x2000);
		put(f, pl, sizeof(pl));
		run(f);
	}
	assert_int_equal(f->events, f->limit ? 2 : 5);
	assert_int_equal(stats(f).fragments_limited, f->limit ? 3 : 0);
	for (int i = 0; i < 5; i++) { /* later fragments, the bucket empty */
		f->len = 0;
		eth(f, 0x0800, 0);
		ipv4(f, "198.18.0.2", 64, 6, (uint16_t)(0x2000 | (8 * (i + 1))));
		put(f, pl, sizeof(pl));
		run(f);
	}
	assert_int_equal(f->events, f->limit ? 7 : 10);
	assert_int_equal(stats(f).fragment_events, f->limit ? 7 : 10);
	assert_int_equal(stats(f).fragments_later, 5);
	assert_int_equal(stats(f).fragments_limited, f->limit ? 3 : 0);
	/* A UDP datagram's first fragment (QUIC) takes a token of the QUIC
	 * bucket, still full, as pcap mode's QUIC bucket takes it. */
	f->len = 0;
	eth(f, 0x0800, 0);
	ipv4(f, "198.18.0.2", 64, 17, 0x2000);
	put(f, pl, sizeof(pl));
	run(f);
	assert_int_equal(f->events, f->limit ? 8 : 11);
	assert_int_equal(stats(f).fragments_limited, f->limit ? 3 : 0);
}

/* Later fragments stop at a quarter of the ring (1 MiB here) not read yet,
 * so a flood of them leaves the rest to what has a proof or a token: a
 * SYN still goes up. With no limit (rate 0) nothing stops them. */
static void test_fragments_later_ring_share(void **state)
{
	struct fixture *f = *state;
	static uint8_t pl[1400];
	int later;

	reset(f);
	f->hold = true;
	for (int i = 0; i < 400; i++) {
		f->len = 0;
		eth(f, 0x0800, 0);
		ipv4(f, "198.18.0.2", 20 + sizeof(pl), 6, (uint16_t)(0x2000 | (200 + i)));
		put(f, pl, sizeof(pl));
		run(f);
	}
	later = (int)stats(f).fragments_later;
	if (f->limit) {
		/* ~1,460 bytes an event: a quarter of 1 MiB is ~180 of them */
		assert_in_range(later, 150, 190);
		assert_int_equal(stats(f).fragments_limited, 400 - later);
	} else {
		assert_int_equal(later, 400);
	}
	f->len = 0;
	syn_v4(f, "198.18.0.3", 443, 0, 0);
	run(f);
	f->hold = false;
	ring_buffer__consume(f->rb);
	assert_int_equal(stats(f).syn_events, 1);
	assert_int_equal(f->events, later + 1);
	assert_int_equal(f->last_kind, J4S_EV_SYN);
}

/* SYN, then a first payload: hello start -> event; non-TLS -> not_tls. */
static void flow_then_payload(struct fixture *f, const uint8_t *pl, size_t n, const char *src)
{
	reset(f);
	syn_v4(f, src, 443, 0, 1);
	run(f);
	f->len = 0;
	eth(f, 0x0800, 0);
	ipv4(f, src, (uint16_t)(20 + n), 6, 0x4000);
	tcp(f, 443, 0x18, 1001, 0);
	put(f, pl, n);
	run(f);
}

static void test_payload_hello_then_done(void **state)
{
	struct fixture *f = *state;

	flow_then_payload(f, hello_start, sizeof(hello_start), "198.18.0.11");
	assert_int_equal(f->events, 2);
	assert_int_equal(f->last_kind, J4S_EV_PAYLOAD);
	assert_int_equal(stats(f).payload_events, 1);
	assert_int_equal(stats(f).flows_done, 1); /* record of 16 bytes fully seen */
	/* Anything later on the flow costs a lookup and sends nothing. */
	run(f);
	assert_int_equal(f->events, 2);
	assert_int_equal(stats(f).after_done, 1);
}

static void test_payload_hello_cut_in_record_header(void **state)
{
	struct fixture *f = *state;

	/* The first segment holds only the record's first byte. */
	flow_then_payload(f, hello_start, 1, "198.18.0.51");
	assert_int_equal(stats(f).not_tls, 0);
	assert_int_equal(stats(f).payload_events, 1);
	/* The rest still goes up. */
	f->len = 0;
	eth(f, 0x0800, 0);
	ipv4(f, "198.18.0.51", 20 + 15, 6, 0x4000);
	tcp(f, 443, 0x18, 1002, 0);
	put(f, hello_start + 1, 15);
	run(f);
	assert_int_equal(stats(f).payload_events, 2);
	assert_int_equal(f->events, 3);
}

/* A hello fragmented over many small TLS records (servers reassemble
 * handshake messages across records): its stream is longer than the body
 * plus a few record headers, so the kernel cannot bound it from the first
 * record and passes up to the byte cap. It stopped at the first record
 * plus 256 bytes (first segment shorter than the handshake header), or at
 * body + 265, and the hello never reached userspace in tc and xdp. */
static void test_payload_hello_in_small_records(void **state)
{
	struct fixture *f = *state;
	static const uint8_t tiny[6] = { 0x16, 0x03, 0x01, 0x00, 0x01, 0x01 };
	static const uint8_t hdr_only[9] = { 0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x00, 0x01, 0x90 };
	uint8_t more[100];

	memset(more, 0x16, sizeof(more));
	for (int c = 0; c < 2; c++) {
		const char *src = c ? "198.18.0.62" : "198.18.0.61";
		uint32_t seq = 1001 + (c ? sizeof(hdr_only) : sizeof(tiny));

		flow_then_payload(f, c ? hdr_only : tiny, c ? sizeof(hdr_only) : sizeof(tiny), src);
		for (int i = 0; i < 8; i++, seq += sizeof(more)) {
			f->len = 0;
			eth(f, 0x0800, 0);
			ipv4(f, src, 20 + sizeof(more), 6, 0x4000);
			tcp(f, 443, 0x18, seq, 0);
			put(f, more, sizeof(more));
			run(f);
		}
		assert_int_equal(stats(f).payload_events, 1 + 8);
		assert_int_equal(stats(f).flows_done, 0);
	}
}

static void test_payload_not_tls(void **state)
{
	struct fixture *f = *state;
	static const uint8_t http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

	flow_then_payload(f, http, sizeof(http) - 1, "198.18.0.21");
	assert_int_equal(stats(f).not_tls, 1);
	assert_int_equal(f->events, 2); /* userspace sees the segment and counts it */
	run(f);
	assert_int_equal(f->events, 2);
}

static void test_payload_pickup_without_syn(void **state)
{
	struct fixture *f = *state;

	reset(f);
	eth(f, 0x0800, 0);
	ipv4(f, "198.18.0.31", 20 + sizeof(hello_start), 6, 0x4000);
	tcp(f, 443, 0x18, 777, 0);
	put(f, hello_start, sizeof(hello_start));
	run(f);
	assert_int_equal(f->events, 1);
	assert_int_equal(stats(f).flows_picked_up, 1);
	/* Data of an unknown flow that does not start a hello: nothing. */
	reset(f);
	eth(f, 0x0800, 0);
	ipv4(f, "198.18.0.40", 20 + 8, 6, 0x4000);
	tcp(f, 443, 0x18, 777, 0);
	put(f, (uint8_t[8]){ 0x17, 0x03, 0x03, 0x00, 0x03, 'a', 'b', 'c' }, 8);
	run(f);
	assert_int_equal(f->events, 0);
	assert_int_equal(stats(f).no_flow, 1);
}

/* A segment as large as a standard MTU allows, of odd length: the event
 * holds the frame from the IP header on, byte for byte (the by-hand XDP copy
 * takes 8-byte steps, then the tail). */
static void test_payload_full_segment(void **state)
{
	struct fixture *f = *state;
	uint8_t pl[1447];

	hello_payload(pl, sizeof(pl), 4096, 7); /* longer than the segment: the flow waits */
	flow_then_payload(f, pl, sizeof(pl), "198.18.0.61");
	assert_int_equal(f->events, 2);
	assert_int_equal(f->last_kind, J4S_EV_PAYLOAD);
	assert_int_equal(f->last_caplen, 20 + 20 + sizeof(pl));
	assert_memory_equal(f->last_data, f->buf + 14, f->last_caplen);
	assert_int_equal(stats(f).flows_done, 0);
	assert_int_equal(stats(f).copy_errors, 0);
}

/* One payload segment of the flow from src, at stream offset off (the SYN
 * of flow_then_payload had sequence number 1000). */
static void segment(struct fixture *f, const char *src, uint32_t off, const uint8_t *pl, size_t n)
{
	f->len = 0;
	eth(f, 0x0800, 0);
	ipv4(f, src, (uint16_t)(20 + n), 6, 0x4000);
	tcp(f, 443, 0x18, 1001 + off, 0);
	put(f, pl, n);
	run(f);
}

/* A hello a byte a segment, in order, is all sent up, however many
 * segments; segments that bring nothing new meet the cap (100). */
static void test_payload_byte_by_byte_and_segment_cap(void **state)
{
	struct fixture *f = *state;
	uint8_t pl[300];

	hello_payload(pl, sizeof(pl), sizeof(pl) - 5, 1);
	flow_then_payload(f, pl, 1, "198.18.0.71");
	for (uint32_t i = 1; i < 250; i++)
		segment(f, "198.18.0.71", i, pl + i, 1);
	assert_int_equal(stats(f).payload_events, 250);
	assert_int_equal(stats(f).segment_cap, 0);
	assert_int_equal(f->last_caplen, 20 + 20 + 1);
	/* Retransmits of bytes in order: 100 go up; past the cap they do not,
	 * but the flow goes on (copies change nothing the server reads, and a
	 * client must not hide its hello behind 100 of them). */
	for (uint32_t i = 0; i < 100; i++)
		segment(f, "198.18.0.71", i % 7, pl + i % 7, 1);
	assert_int_equal(stats(f).payload_events, 350);
	segment(f, "198.18.0.71", 3, pl + 3, 1);
	assert_int_equal(stats(f).segment_cap, 0);
	assert_int_equal(stats(f).retransmits_skipped, 1);
	assert_int_equal(stats(f).payload_events, 350);
	segment(f, "198.18.0.71", 250, pl + 250, 50); /* the rest */
	assert_int_equal(stats(f).payload_events, 351);

	/* Segments in a gap that bring nothing beyond the highest byte seen
	 * count the same way; past the cap one ahead of the next byte goes
	 * up for a token of the unvalidated bucket (here it has them; the
	 * default rate), one that fills from the next byte always, and the
	 * flow is never ended for them. */
	flow_then_payload(f, pl, 1, "198.18.0.74");
	segment(f, "198.18.0.74", 10, pl + 10, 1);
	for (uint32_t i = 0; i < 100; i++)
		segment(f, "198.18.0.74", 5, pl + 5, 1);
	assert_int_equal(stats(f).payload_events, 102);
	segment(f, "198.18.0.74", 5, pl + 5, 1);
	assert_int_equal(stats(f).payload_events, 103);
	segment(f, "198.18.0.74", 1, pl + 1, 50);
	assert_int_equal(stats(f).payload_events, 104);
	assert_int_equal(stats(f).segment_cap, 0);
	assert_int_equal(stats(f).after_done, 0);

	/* The stream's start missing: pieces further and further on go up
	 * until the byte cap; past it nothing goes up, but the flow is not
	 * done, so the start, when it comes, still does. */
	reset(f);
	syn_v4(f, "198.18.0.73", 443, 0, 1);
	run(f);
	for (uint32_t i = 0; i < 200; i++)
		segment(f, "198.18.0.73", 1 + i * 100, pl + 1, 1);
	assert_int_equal(stats(f).payload_events, 185); /* offsets 1 .. 18401 < 18432 */
	assert_int_equal(stats(f).flows_done, 0);
	assert_int_equal(stats(f).after_done, 0);
	segment(f, "198.18.0.73", 0, pl, 1);
	assert_int_equal(stats(f).payload_events, 186);

	/* The rest of the same hello: a flow done when its bytes are in. */
	flow_then_payload(f, pl, 200, "198.18.0.72");
	segment(f, "198.18.0.72", 200, pl + 200, 100);
	assert_int_equal(stats(f).payload_events, 2);
	assert_int_equal(stats(f).flows_done, 1);
}

/* A segment of the flow from src at stream offset off with URG and the
 * urgent pointer ptr. */
static void urgent_segment(struct fixture *f, const char *src, uint32_t off, const uint8_t *pl,
			   size_t n, uint16_t ptr)
{
	f->len = 0;
	eth(f, 0x0800, 0);
	ipv4(f, src, (uint16_t)(20 + n), 6, 0x4000);
	tcp(f, 443, 0x38, 1001 + off, 0); /* URG, ACK, PSH */
	f->buf[f->len - 2] = (uint8_t)(ptr >> 8);
	f->buf[f->len - 1] = (uint8_t)ptr;
	put(f, pl, n);
	run(f);
}

/* A byte past the hello overtaking the hello's last segment ends nothing:
 * the last segment still goes up (before, the flow was done on the early
 * byte and the hello never came whole in tc/xdp, while the server read it). */
static void test_payload_after_hello_overtakes(void **state)
{
	struct fixture *f = *state;
	uint8_t more[1] = { 0x17 };

	reset(f);
	syn_v4(f, "198.18.0.12", 443, 0, 1);
	run(f);
	segment(f, "198.18.0.12", 0, hello_start, 10);
	segment(f, "198.18.0.12", sizeof(hello_start), more, 1); /* past need: not sent */
	assert_int_equal(stats(f).payload_events, 1);
	assert_int_equal(stats(f).flows_done, 0);
	segment(f, "198.18.0.12", 10, hello_start + 10, sizeof(hello_start) - 10);
	assert_int_equal(stats(f).payload_events, 2);
	assert_int_equal(stats(f).flows_done, 1);
}

/* TCP urgent data: the server's stack takes the urgent byte out of the
 * stream, so the record headers the kernel sees no longer bound the hello
 * (or, with the byte in the first bytes, do not even look like TLS). A flow
 * with URG before its hello is covered goes up to the byte cap, and a bare
 * ACK with URG goes up too (userspace needs its pointer). Without that, the
 * first case ended as not TLS after one segment and the second was done one
 * byte short of the hello userspace reads. */
static void test_payload_urgent_to_byte_cap(void **state)
{
	struct fixture *f = *state;
	uint8_t wire[17], more[100];

	memset(more, 0x41, sizeof(more));
	/* 'Z' as byte 5 of the wire (the handshake type's place), URG on it. */
	memcpy(wire, hello_start, 5);
	wire[5] = 'Z';
	memcpy(wire + 6, hello_start + 5, 11);
	reset(f);
	syn_v4(f, "198.18.0.81", 443, 0, 1);
	run(f);
	urgent_segment(f, "198.18.0.81", 0, wire, 10, 6);
	segment(f, "198.18.0.81", 10, wire + 10, 7);
	segment(f, "198.18.0.81", 17, more, sizeof(more));
	assert_int_equal(stats(f).not_tls, 0);
	assert_int_equal(stats(f).payload_events, 3);
	assert_int_equal(stats(f).flows_done, 0);

	/* URG in a later segment, after the first set the hello's length (16):
	 * the stream the kernel counts is 17 bytes. */
	memcpy(wire, hello_start, 10);
	wire[10] = 'Z';
	memcpy(wire + 11, hello_start + 10, 6);
	reset(f);
	syn_v4(f, "198.18.0.82", 443, 0, 1);
	run(f);
	segment(f, "198.18.0.82", 0, wire, 10);
	urgent_segment(f, "198.18.0.82", 10, wire + 10, 6, 1);
	segment(f, "198.18.0.82", 16, wire + 16, 1);
	assert_int_equal(stats(f).payload_events, 3);
	assert_int_equal(stats(f).flows_done, 0);
	assert_int_equal(f->last_caplen, 20 + 20 + 1);

	/* A bare ACK with URG pointing ahead goes up, and so do the bytes. */
	reset(f);
	syn_v4(f, "198.18.0.83", 443, 0, 1);
	run(f);
	segment(f, "198.18.0.83", 0, wire, 10);
	urgent_segment(f, "198.18.0.83", 10, more, 0, 1);
	assert_int_equal(f->last_kind, J4S_EV_PAYLOAD);
	assert_int_equal(f->last_caplen, 20 + 20);
	segment(f, "198.18.0.83", 10, wire + 10, 7);
	segment(f, "198.18.0.83", 17, more, sizeof(more));
	assert_int_equal(stats(f).payload_events, 4);
	assert_int_equal(stats(f).bare_acks, 0);
	assert_int_equal(stats(f).flows_done, 0);
}

/* Bare URG ACKs past their cap (max_segments) go up no more unless they
 * move the urgent pointer later, but neither end the flow nor use up the
 * hello's segment cap: the hello, even sent with a retransmission, still
 * goes up whole (before, 100 of them ended the flow in the kernel and hid
 * the hello in tc/xdp). */
static void test_payload_urgent_acks_capped(void **state)
{
	struct fixture *f = *state;
	uint8_t none[1] = { 0 };

	reset(f);
	syn_v4(f, "198.18.0.84", 443, 0, 1);
	run(f);
	/* The same pointer: past the cap, they change nothing. */
	for (int i = 0; i < 150; i++)
		urgent_segment(f, "198.18.0.84", 0, none, 0, 7);
	assert_int_equal(stats(f).payload_events, 100);
	assert_int_equal(stats(f).bare_acks, 50);
	assert_int_equal(stats(f).segment_cap, 0);
	assert_int_equal(stats(f).flows_done, 0);
	/* Past it, a later pointer still goes up (it moves the byte the
	 * server's reader skips), an earlier or equal one not. */
	urgent_segment(f, "198.18.0.84", 0, none, 0, 9);
	urgent_segment(f, "198.18.0.84", 0, none, 0, 9);
	urgent_segment(f, "198.18.0.84", 0, none, 0, 8);
	assert_int_equal(stats(f).payload_events, 101);
	assert_int_equal(stats(f).urgent_past_cap, 1);
	assert_int_equal(stats(f).bare_acks, 52);
	segment(f, "198.18.0.84", 0, hello_start, 10);
	segment(f, "198.18.0.84", 0, hello_start, 10); /* a retransmission */
	segment(f, "198.18.0.84", 10, hello_start + 10, sizeof(hello_start) - 10);
	assert_int_equal(stats(f).payload_events, 104);
	assert_int_equal(stats(f).segment_cap, 0);
}

/* Past the segment cap, a copy of in-order bytes is not sent up, unless
 * it carries an urgent pointer later than any sent up: the server takes
 * the pointer (a copy that ends at rcv_nxt passes tcp_sequence()) and its
 * reader skips that byte. Before, max_segments copies and then one with a
 * pointer into the hello made the record keep a byte the server dropped. */
static void test_payload_urgent_past_segment_cap(void **state)
{
	struct fixture *f = *state;

	reset(f);
	syn_v4(f, "198.18.0.85", 443, 0, 1);
	run(f);
	segment(f, "198.18.0.85", 0, hello_start, 3); /* need unknown: the byte cap */
	for (int i = 0; i < 100; i++)
		segment(f, "198.18.0.85", 0, hello_start, 3);
	assert_int_equal(stats(f).payload_events, 101);
	segment(f, "198.18.0.85", 0, hello_start, 3);
	assert_int_equal(stats(f).retransmits_skipped, 1);
	/* One the server drops (it ends before the next byte) with a pointer
	 * into the hello: not taken, and it must not hide the one that is. */
	urgent_segment(f, "198.18.0.85", 0, hello_start, 1, 9);
	assert_int_equal(stats(f).payload_events, 101);
	urgent_segment(f, "198.18.0.85", 0, hello_start, 3, 9); /* byte 8 of the stream */
	assert_int_equal(stats(f).payload_events, 102);
	assert_int_equal(stats(f).urgent_past_cap, 1);
	assert_int_equal(f->last_caplen, 20 + 20); /* the headers: the pointer is all */
	urgent_segment(f, "198.18.0.85", 0, hello_start, 3, 9);
	urgent_segment(f, "198.18.0.85", 0, hello_start, 3, 2); /* before the next byte */
	assert_int_equal(stats(f).payload_events, 102);
	assert_int_equal(stats(f).retransmits_skipped, 4);
}

/* A segment that ends right at the stream start brings no byte, but its
 * urgent pointer counts: the server takes it (tcp_sequence() lets a
 * segment ending at rcv_nxt through) and skips that byte of the hello. */
static void test_payload_urgent_before_stream(void **state)
{
	struct fixture *f = *state;

	reset(f);
	syn_v4(f, "198.18.0.86", 443, 0, 1);
	run(f);
	f->len = 0;
	eth(f, 0x0800, 0);
	ipv4(f, "198.18.0.86", 20 + 1, 6, 0x4000);
	tcp(f, 443, 0x38, 1000, 0); /* URG: one byte at the SYN's own number */
	f->buf[f->len - 2] = 0;
	f->buf[f->len - 1] = 6; /* the stream's byte 4 */
	put(f, hello_start, 1);
	run(f);
	assert_int_equal(stats(f).payload_events, 1);
	assert_int_equal(stats(f).after_done, 0);
}

/* The overlap evasion: bytes 20.. of one hello out of order, then another
 * hello in order. The receiver keeps the in-order bytes (reasm.h), so the
 * in-order segments must go up, however they overlap what went before, until
 * the in-order bytes cover the hello; nothing is held back for being a copy. */
static void test_payload_overlap_in_order_after_held(void **state)
{
	struct fixture *f = *state;
	uint8_t evil[300], good[300];

	hello_payload(evil, sizeof(evil), sizeof(evil) - 5, 3);
	hello_payload(good, sizeof(good), sizeof(good) - 5, 5);
	reset(f);
	syn_v4(f, "198.18.0.81", 443, 0, 1);
	run(f);
	segment(f, "198.18.0.81", 20, evil + 20, sizeof(evil) - 20);
	assert_int_equal(stats(f).payload_events, 1);
	segment(f, "198.18.0.81", 0, good, sizeof(good)); /* no byte beyond: counted, sent */
	assert_int_equal(stats(f).payload_events, 2);
	assert_int_equal(f->last_caplen, 20 + 20 + sizeof(good));
	assert_int_equal(stats(f).flows_done, 1);

	/* The in-order hello in two pieces, the first inside the held bytes. */
	reset(f);
	syn_v4(f, "198.18.0.82", 443, 0, 1);
	run(f);
	segment(f, "198.18.0.82", 20, evil + 20, sizeof(evil) - 20);
	segment(f, "198.18.0.82", 0, good, 100);
	segment(f, "198.18.0.82", 20, good + 20, 80); /* a copy of in-order bytes */
	assert_int_equal(stats(f).flows_done, 0);
	segment(f, "198.18.0.82", 100, good + 100, sizeof(good) - 100);
	assert_int_equal(stats(f).payload_events, 4);
	assert_int_equal(stats(f).flows_done, 1);
}

/* A segment that starts before the stream start but reaches past it: the
 * receiver delivers its bytes from the start on, so it goes up; one that
 * ends at the start brings nothing and does not. */
static void test_payload_starts_before_stream(void **state)
{
	struct fixture *f = *state;
	uint8_t pl[305];

	hello_payload(pl + 5, sizeof(pl) - 5, sizeof(pl) - 10, 3);
	memset(pl, 0xee, 5);
	reset(f);
	syn_v4(f, "198.18.0.83", 443, 0, 1);
	run(f);
	f->len = 0;
	eth(f, 0x0800, 0);
	ipv4(f, "198.18.0.83", 20 + 5, 6, 0x4000);
	tcp(f, 443, 0x18, 1001 - 5, 0);
	put(f, pl, 5);
	run(f);
	assert_int_equal(stats(f).payload_events, 0);
	assert_int_equal(stats(f).after_done, 1);
	f->len = 0;
	eth(f, 0x0800, 0);
	ipv4(f, "198.18.0.83", (uint16_t)(20 + sizeof(pl)), 6, 0x4000);
	tcp(f, 443, 0x18, 1001 - 5, 0);
	put(f, pl, sizeof(pl));
	run(f);
	assert_int_equal(stats(f).payload_events, 1);
	assert_int_equal(f->last_caplen, 20 + 20 + sizeof(pl));
	/* The hello's length is read only from a segment that starts at the
	 * stream start: this flow waits, later segments go up to the caps. */
	assert_int_equal(stats(f).flows_done, 0);
	/* Nor from a copy at the stream start of bytes already in order: the
	 * server keeps the first, and a short record header in the copy made
	 * the flow done and hid the rest of the hello. */
	{
		static const uint8_t fake[9] = { 0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0, 0, 0 };

		f->len = 0;
		eth(f, 0x0800, 0);
		ipv4(f, "198.18.0.83", 20 + sizeof(fake), 6, 0x4000);
		tcp(f, 443, 0x18, 1001, 0);
		put(f, fake, sizeof(fake));
		run(f);
		assert_int_equal(stats(f).payload_events, 2);
		assert_int_equal(stats(f).flows_done, 0);
	}
}

/* A frame larger than the by-hand XDP copy takes (2 KiB: jumbo frames,
 * generic XDP after GRO) goes up cut, not lost; bpf_skb_load_bytes and
 * bpf_xdp_load_bytes take it whole. */
static void test_payload_larger_than_xdp_copy(void **state)
{
	struct fixture *f = *state;
	static uint8_t pl[2100];
	/* Kernels before 5.18 copy by hand in the xdp group too. */
	bool by_hand = f->mode == MODE_XDP_COPY ||
		       (f->mode == MODE_XDP &&
			libbpf_probe_bpf_helper(BPF_PROG_TYPE_XDP, BPF_FUNC_xdp_load_bytes, NULL) <=
				0);
	uint32_t want = by_hand ? 2048 : 20 + 20 + sizeof(pl);

	hello_payload(pl, sizeof(pl), 4096, 13);
	flow_then_payload(f, pl, sizeof(pl), "198.18.0.81");
	assert_int_equal(f->events, 2);
	assert_int_equal(f->last_caplen, want);
	assert_memory_equal(f->last_data, f->buf + 14, want);
	assert_int_equal(stats(f).copy_errors, 0);
}

/* ---- handshake validation: j4s_tc_egress and the token bucket ---- */

#define SERVER_ISN 0x50000000u

/* A TCP header with both ports and an ACK number. */
static void tcp_ports(struct fixture *f, uint16_t sport, uint16_t dport, uint8_t flags,
		      uint32_t seq, uint32_t ack)
{
	uint8_t h[20] = { sport >> 8, sport & 0xff, dport >> 8, dport & 0xff };

	for (int i = 0; i < 4; i++) {
		h[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
		h[8 + i] = (uint8_t)(ack >> (24 - 8 * i));
	}
	h[12] = 5 << 4;
	h[13] = flags;
	h[14] = 0xfa;
	put(f, h, 20);
}

/* The frame in f->buf through j4s_tc_egress, its events read. */
static void run_egress(struct fixture *f)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->buf, .data_size_in = (uint32_t)f->len);

	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(f->skel->progs.j4s_tc_egress), &o),
			 0);
	assert_int_equal(o.retval, TC_ACT_OK);
	ring_buffer__consume(f->rb);
}

/* A new frame: Ethernet and an IPv4 header of tot bytes, protocol proto,
 * from the server 198.18.0.1 to client. */
static void server_ipv4(struct fixture *f, const char *client, uint8_t proto, uint16_t tot)
{
	uint8_t h[20] = { 0x45, 0, tot >> 8, tot & 0xff, 0, 0, 0x40, 0, 64, proto };

	f->len = 0;
	eth(f, 0x0800, 0);
	inet_pton(AF_INET, "198.18.0.1", h + 12);
	inet_pton(AF_INET, client, h + 16);
	ipv4_sum(h);
	put(f, h, 20);
}

/* The server's SYN-ACK to client src:40000 through j4s_tc_egress. */
static void synack(struct fixture *f, const char *client, uint32_t isn, uint32_t ack)
{
	server_ipv4(f, client, 6, 40);
	tcp_ports(f, 443, 40000, 0x12, isn, ack);
	run_egress(f);
}

/* The client's first hello segment (seq 1001, after a SYN of seq 1000). */
static void hello_seg(struct fixture *f, const char *client, uint32_t seq, uint32_t ack)
{
	f->len = 0;
	eth(f, 0x0800, 0);
	ipv4(f, client, 20 + sizeof(hello_start), 6, 0x4000);
	tcp_ports(f, 40000, 443, 0x18, seq, ack);
	put(f, hello_start, sizeof(hello_start));
	assert_int_equal(run(f), f->xdp ? XDP_PASS : TC_ACT_OK);
}

static void syn_to(struct fixture *f, const char *client)
{
	f->len = 0;
	syn_v4(f, client, 443, 0, 1);
	run(f);
}

static int flow_of(struct fixture *f, const char *client, struct j4s_flow *out)
{
	struct j4s_flow_key k = { .sport = htons(40000), .dport = htons(443), .family = 4 };

	inet_pton(AF_INET, client, k.saddr);
	inet_pton(AF_INET, "198.18.0.1", k.daddr);
	return bpf_map_lookup_elem(bpf_map__fd(f->skel->maps.j4s_flows), &k, out);
}

/* A hello in IP fragments from a validated connection is never held back
 * by the bucket: its first fragment names the flow and acknowledges the
 * server's ISN + 1, and the datagram's other fragments (same ID) follow it
 * without tokens. One whose first fragment does not still takes tokens
 * (limit groups: 1/s, burst 2, emptied first by others' fragments). */
static void test_fragments_validated(void **state)
{
	struct fixture *f = *state;
	uint8_t pl[64] = { 1 };

	reset(f);
	for (int i = 0; i < 3; i++) { /* the bucket empty (limit groups) */
		f->len = 0;
		eth(f, 0x0800, 0);
		ipv4(f, "198.18.0.9", 64, 6, 0x2000); /* first fragments, no flow */
		put(f, pl, sizeof(pl));
		run(f);
	}
	syn_to(f, "198.18.0.123");
	synack(f, "198.18.0.123", SERVER_ISN, 1001);
	f->len = 0;
	eth(f, 0x0800, 0);
	ipv4(f, "198.18.0.123", 20 + sizeof(hello_start), 6, 0x2000); /* MF, offset 0 */
	tcp_ports(f, 40000, 443, 0x18, 1001, SERVER_ISN + 1);
	put(f, hello_start, sizeof(hello_start));
	run(f);
	f->len = 0;
	eth(f, 0x0800, 0);
	ipv4(f, "198.18.0.123", 64, 6, 5); /* offset 40, last */
	put(f, pl, sizeof(pl));
	run(f);
	assert_int_equal(stats(f).fragments_validated, 2);
	assert_int_equal(f->last_kind, J4S_EV_FRAGMENT);
	/* Free for J4S_FRAG_MAX fragments of the ID, no more. */
	for (int i = 0; i < J4S_FRAG_MAX + 5; i++) {
		f->len = 0;
		eth(f, 0x0800, 0);
		ipv4(f, "198.18.0.123", 64, 6, 5);
		put(f, pl, sizeof(pl));
		run(f);
	}
	assert_int_equal(stats(f).fragments_validated, 1 + J4S_FRAG_MAX);
	/* 3 others' (2 with the limit), 2, then 63 free and 6 more: later
	 * fragments past the ID's count, which go up on the ring's room */
	assert_int_equal(stats(f).fragments_later, 6);
	assert_int_equal(stats(f).fragment_events, (f->limit ? 2 : 3) + 2 + J4S_FRAG_MAX - 1 + 6);
	/* Another client's first fragment, with an ACK of nothing the server
	 * sent: a token, or held back. */
	syn_to(f, "198.18.0.124");
	synack(f, "198.18.0.124", SERVER_ISN, 1001);
	f->len = 0;
	eth(f, 0x0800, 0);
	ipv4(f, "198.18.0.124", 20 + sizeof(hello_start), 6, 0x2000);
	tcp_ports(f, 40000, 443, 0x18, 1001, SERVER_ISN + 99);
	put(f, hello_start, sizeof(hello_start));
	run(f);
	assert_int_equal(stats(f).fragments_validated, 1 + J4S_FRAG_MAX);
	assert_int_equal(stats(f).fragment_events,
			 (f->limit ? 2 : 3 + 1) + 2 + J4S_FRAG_MAX - 1 + 6);
	assert_int_equal(stats(f).fragments_limited, f->limit ? 1 + 1 : 0);
}

static void test_hs_synack_stores_isn(void **state)
{
	struct fixture *f = *state;
	struct j4s_flow fl;

	reset(f);
	syn_to(f, "198.18.0.61");
	synack(f, "198.18.0.61", SERVER_ISN, 1001);
	assert_int_equal(flow_of(f, "198.18.0.61", &fl), 0);
	assert_int_equal(fl.server_isn, SERVER_ISN);
	assert_int_equal(fl.hs, J4S_HS_SYNACK);
	assert_int_equal(f->events, 2);
	assert_int_equal(f->last_kind, J4S_EV_SYNACK);
	assert_int_equal(f->last_caplen, 40);
	assert_int_equal(stats(f).synacks, 1);
	assert_int_equal(stats(f).synack_events, 1);
	/* Retransmitted: nothing new goes up. */
	synack(f, "198.18.0.61", SERVER_ISN, 1001);
	assert_int_equal(f->events, 2);
	/* Answering another SYN of the 4-tuple (one the sensor did not see
	 * or ignored): the server holds that connection now, the flow starts
	 * over on it; a SYN-ACK of no flow is ignored, counted. */
	syn_to(f, "198.18.0.62");
	synack(f, "198.18.0.62", SERVER_ISN, 999);
	synack(f, "198.18.0.63", SERVER_ISN, 1001);
	assert_int_equal(stats(f).synack_restarted, 1);
	assert_int_equal(stats(f).synack_no_flow, 1);
	assert_int_equal(flow_of(f, "198.18.0.62", &fl), 0);
	assert_int_equal(fl.hs, J4S_HS_SYNACK);
	assert_int_equal(fl.base, 999);
	/* So does a new server ISN for the same SYN. */
	synack(f, "198.18.0.62", SERVER_ISN + 5, 999);
	assert_int_equal(stats(f).synack_restarted, 2);
	assert_int_equal(flow_of(f, "198.18.0.62", &fl), 0);
	assert_int_equal(fl.server_isn, SERVER_ISN + 5);
	/* Egress packets that are no SYN-ACK are one count, not the ingress ones. */
	f->len = 0;
	syn_v4(f, "198.18.0.64", 443, 0, 1);
	{
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->buf,
			    .data_size_in = (uint32_t)f->len);

		bpf_prog_test_run_opts(bpf_program__fd(f->skel->progs.j4s_tc_egress), &o);
	}
	assert_int_equal(stats(f).egress_other, 1);
	assert_int_equal(stats(f).egress_packets, 6);
	assert_int_equal(stats(f).other_port + stats(f).bare_acks, 0);
}

static void test_hs_validated_passes(void **state)
{
	struct fixture *f = *state;
	struct j4s_flow fl;

	reset(f);
	syn_to(f, "198.18.0.71");
	synack(f, "198.18.0.71", SERVER_ISN, 1001);
	hello_seg(f, "198.18.0.71", 1001, SERVER_ISN + 1);
	assert_int_equal(f->events, 3);
	assert_int_equal(f->last_kind, J4S_EV_PAYLOAD);
	assert_int_equal(stats(f).validated, 1);
	assert_int_equal(stats(f).unvalidated + stats(f).unvalidated_limited, 0);
	assert_int_equal(flow_of(f, "198.18.0.71", &fl), 0);
	assert_int_equal(fl.hs, J4S_HS_VALIDATED);
}

/* Three flows whose hello has a wrong ACK: two pass (burst 2), the third
 * is held back when the bucket limits (counted, the flow done). */
static void test_hs_wrong_ack_through_bucket(void **state)
{
	struct fixture *f = *state;
	static const char *const cl[3] = { "198.18.0.81", "198.18.0.82", "198.18.0.83" };
	struct j4s_flow fl;

	reset(f);
	/* An ACK older than the ISN + 1 (one past it is refused: below). */
	for (int i = 0; i < 3; i++) {
		syn_to(f, cl[i]);
		synack(f, cl[i], SERVER_ISN, 1001);
		hello_seg(f, cl[i], 1001, SERVER_ISN - 77);
	}
	if (!f->limit) {
		assert_int_equal(stats(f).unvalidated, 3);
		assert_int_equal(stats(f).payload_events, 3);
		return;
	}
	assert_int_equal(stats(f).unvalidated, 2);
	assert_int_equal(stats(f).unvalidated_limited, 1);
	assert_int_equal(stats(f).payload_events, 2);
	assert_int_equal(flow_of(f, cl[2], &fl), 0);
	assert_int_equal(fl.state, J4S_FLOW_DONE);
	/* The rest of the held-back flow costs a lookup. */
	hello_seg(f, cl[2], 1001, SERVER_ISN - 77);
	assert_int_equal(stats(f).after_done, 1);
	assert_int_equal(stats(f).payload_events, 2);
	/* A pickup (no SYN, no SYN-ACK) is unvalidated too; held back, it is
	 * not even tracked. */
	hello_seg(f, "198.18.0.84", 5000, 1);
	assert_int_equal(stats(f).unvalidated_limited, 2);
	assert_int_equal(flow_of(f, "198.18.0.84", &fl), -ENOENT);
}

/* A TCP segment of the flow client:40000 -> 198.18.0.1:443 with options
 * opts (a multiple of 4 bytes) and payload pl, through the ingress program;
 * or, egress, the other way (a SYN-ACK) through j4s_tc_egress. */
static void tcp_seg(struct fixture *f, const char *client, uint8_t flags, uint32_t seq,
		    uint32_t ack, const uint8_t *opts, size_t olen, const uint8_t *pl, size_t n,
		    bool egress)
{
	uint8_t h[20] = { 40000 >> 8, 40000 & 0xff, 443 >> 8, 443 & 0xff };
	uint8_t ip[20] = { 0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6 };
	uint16_t tot = (uint16_t)(20 + 20 + olen + n);

	if (egress) {
		h[0] = 443 >> 8, h[1] = 443 & 0xff, h[2] = 40000 >> 8, h[3] = 40000 & 0xff;
		inet_pton(AF_INET, "198.18.0.1", ip + 12);
		inet_pton(AF_INET, client, ip + 16);
	} else {
		inet_pton(AF_INET, client, ip + 12);
		inet_pton(AF_INET, "198.18.0.1", ip + 16);
	}
	ip[2] = tot >> 8;
	ip[3] = tot & 0xff;
	ipv4_sum(ip);
	for (int i = 0; i < 4; i++) {
		h[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
		h[8 + i] = (uint8_t)(ack >> (24 - 8 * i));
	}
	h[12] = (uint8_t)((20 + olen) / 4 << 4);
	h[13] = flags;
	h[14] = 0xfa;
	f->len = 0;
	eth(f, 0x0800, 0);
	put(f, ip, 20);
	put(f, h, 20);
	put(f, opts, olen);
	put(f, pl, n);
	if (egress) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->buf,
			    .data_size_in = (uint32_t)f->len);

		assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(
								f->skel->progs.j4s_tc_egress),
							&o),
				 0);
		ring_buffer__consume(f->rb);
	} else {
		assert_int_equal(run(f), f->xdp ? XDP_PASS : TC_ACT_OK);
	}
}

static void hello_seg_opts(struct fixture *f, const char *client, uint8_t flags, uint32_t ack,
			   const uint8_t *opts, size_t olen)
{
	tcp_seg(f, client, flags, 1001, ack, opts, olen, hello_start, sizeof(hello_start), false);
}

/* NOP NOP timestamp(tsval): a data segment's options. */
static void ts_opt(uint8_t o[12], uint32_t tsval)
{
	static const uint8_t head[4] = { 1, 1, 8, 10 };

	memcpy(o, head, 4);
	for (int i = 0; i < 4; i++)
		o[4 + i] = (uint8_t)(tsval >> (24 - 8 * i));
	memset(o + 8, 0, 4);
}

/* Segments the server's TCP drops whatever they carry (userspace's
 * server_drops()): without ACK, acknowledging data the server never sent,
 * with an MD5 signature option, an RST off the next byte: not sent up,
 * moving nothing, so the real hello after them goes up and is validated. */
static void test_hs_refused_segments(void **state)
{
	struct fixture *f = *state;
	/* NOP NOP, MD5 signature (kind 19, 18 bytes) */
	uint8_t md5[20] = { 1, 1, 19, 18 };
	/* 20 bytes of options without one: taken */
	uint8_t nops[20] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	/* a kind 19 of another length ends the MD5 walk: taken */
	uint8_t odd[20] = { 19, 16 };
	struct j4s_flow fl;

	reset(f);
	syn_to(f, "198.18.0.95");
	synack(f, "198.18.0.95", SERVER_ISN, 1001);
	hello_seg_opts(f, "198.18.0.95", 0x08, SERVER_ISN + 1, NULL, 0); /* PSH, no ACK */
	hello_seg(f, "198.18.0.95", 1001, SERVER_ISN + 2);
	hello_seg_opts(f, "198.18.0.95", 0x18, SERVER_ISN + 1, md5, sizeof(md5));
	tcp_seg(f, "198.18.0.95", 0x14, 1002, SERVER_ISN + 1, NULL, 0, NULL, 0,
		false); /* RST off */
	/* The two dropped for their ACK go up, for userspace to fingerprint
	 * flagged, taking one token; the other two do not. */
	assert_int_equal(stats(f).refused, 2);
	assert_int_equal(stats(f).spoofed_events, 2);
	assert_int_equal(stats(f).unvalidated, 1);
	assert_int_equal(stats(f).payload_events, 2);
	assert_int_equal(stats(f).end_events, 0);
	assert_int_equal(flow_of(f, "198.18.0.95", &fl), 0);
	assert_int_equal(fl.next, 1001);
	assert_int_equal(fl.hi, 1001);
	assert_int_equal(fl.hs, J4S_HS_SYNACK);
	assert_int_equal(fl.state, J4S_FLOW_WAIT);
	hello_seg(f, "198.18.0.95", 1001, SERVER_ISN + 1);
	assert_int_equal(stats(f).payload_events, 3);
	assert_int_equal(stats(f).validated, 1);
	assert_int_equal(stats(f).flows_done, 1);

	/* Options without an MD5 signature are no reason. */
	syn_to(f, "198.18.0.96");
	hello_seg_opts(f, "198.18.0.96", 0x18, 0, nops, sizeof(nops));
	syn_to(f, "198.18.0.94");
	hello_seg_opts(f, "198.18.0.94", 0x18, 0, odd, sizeof(odd));
	assert_int_equal(stats(f).payload_events, 5);
	assert_int_equal(stats(f).flows_done, 3);

	/* A pickup without ACK, or with an MD5 option, is no flow. */
	hello_seg_opts(f, "198.18.0.97", 0x08, 0, NULL, 0);
	hello_seg_opts(f, "198.18.0.97", 0x18, 0, md5, sizeof(md5));
	assert_int_equal(stats(f).refused, 4);
	assert_int_equal(flow_of(f, "198.18.0.97", &fl), -ENOENT);

	/* An RST at the next byte ends the flow; a FIN ahead of missing
	 * bytes goes up but keeps it. */
	syn_to(f, "198.18.0.98");
	tcp_seg(f, "198.18.0.98", 0x11, 1011, 0, NULL, 0, NULL, 0, false);
	assert_int_equal(stats(f).fin_ahead, 1);
	assert_int_equal(flow_of(f, "198.18.0.98", &fl), 0);
	tcp_seg(f, "198.18.0.98", 0x14, 1001, 0, NULL, 0, NULL, 0, false);
	assert_int_equal(stats(f).end_events, 2);
	assert_int_equal(flow_of(f, "198.18.0.98", &fl), -ENOENT);
}

/* An RST the sensor refuses (an old timestamp) that the server takes,
 * then a new connection on the same port: the server's SYN-ACK for it
 * restarts the flow, and the new hello goes up, validated. */
static void test_hs_restart_on_synack(void **state)
{
	struct fixture *f = *state;
	uint8_t syn_ts[16] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0x10, 0, 0, 0, 0, 0 };
	uint8_t old[12];
	struct j4s_flow fl;

	ts_opt(old, 0x100);
	reset(f);
	tcp_seg(f, "198.18.0.120", 0x02, 1000, 0, syn_ts, sizeof(syn_ts), NULL, 0, false);
	tcp_seg(f, "198.18.0.120", 0x12, SERVER_ISN, 1001, syn_ts, sizeof(syn_ts), NULL, 0, true);
	tcp_seg(f, "198.18.0.120", 0x14, 1001, SERVER_ISN + 1, old, 12, NULL, 0, false);
	assert_int_equal(stats(f).paws_refused, 1);
	tcp_seg(f, "198.18.0.120", 0x02, 90000, 0, NULL, 0, NULL, 0, false);
	assert_int_equal(stats(f).syn_ignored, 1);
	tcp_seg(f, "198.18.0.120", 0x12, SERVER_ISN + 7, 90001, NULL, 0, NULL, 0, true);
	assert_int_equal(stats(f).synack_restarted, 1);
	assert_int_equal(flow_of(f, "198.18.0.120", &fl), 0);
	assert_int_equal(fl.base, 90001);
	tcp_seg(f, "198.18.0.120", 0x18, 90001, SERVER_ISN + 8, NULL, 0, hello_start,
		sizeof(hello_start), false);
	assert_int_equal(stats(f).validated, 1);
	assert_int_equal(stats(f).flows_done, 1);
}

/* A hello whose end the program cannot tell (its record header cut after
 * the first byte: need is the byte cap) still waits when its server
 * answers. What the server sends (egress) raises snd_nxt: the client's
 * segments acknowledging it are its server's to take, not a spoofer's,
 * and its FIN at the next byte ends the flow. They looked spoofed, the
 * flow never ended, and a SYN of the next connection of its 4-tuple was
 * ignored. An ACK past what the server sent is still refused. */
static void test_hs_server_data_raises_snd_nxt(void **state)
{
	struct fixture *f = *state;
	static const uint8_t data[100];
	struct j4s_flow fl;

	reset(f);
	syn_to(f, "198.18.0.121");
	synack(f, "198.18.0.121", SERVER_ISN, 1001);
	tcp_seg(f, "198.18.0.121", 0x18, 1001, SERVER_ISN + 1, NULL, 0, hello_start, 1, false);
	tcp_seg(f, "198.18.0.121", 0x18, 1002, SERVER_ISN + 1, NULL, 0, hello_start + 1, 15, false);
	assert_int_equal(flow_of(f, "198.18.0.121", &fl), 0);
	assert_int_equal(fl.state, J4S_FLOW_WAIT);
	assert_int_equal(fl.snd_nxt, SERVER_ISN + 1);
	/* The server's answer, then a copy of its start: snd_nxt rises once. */
	tcp_seg(f, "198.18.0.121", 0x18, SERVER_ISN + 1, 1017, NULL, 0, data, sizeof(data), true);
	tcp_seg(f, "198.18.0.121", 0x18, SERVER_ISN + 1, 1017, NULL, 0, data, 10, true);
	assert_int_equal(stats(f).server_segments, 1);
	assert_int_equal(flow_of(f, "198.18.0.121", &fl), 0);
	assert_int_equal(fl.snd_nxt, SERVER_ISN + 101);
	/* Past it: refused as a spoofer's (one goes up, flagged). */
	tcp_seg(f, "198.18.0.121", 0x18, 1017, SERVER_ISN + 102, NULL, 0, data, 10, false);
	assert_int_equal(stats(f).spoofed_events, 1);
	/* Up to it: the client's answer goes up and moves the flow. */
	tcp_seg(f, "198.18.0.121", 0x18, 1017, SERVER_ISN + 101, NULL, 0, data, 10, false);
	assert_int_equal(stats(f).spoofed_events, 1);
	assert_int_equal(stats(f).payload_events, 4); /* 2 of the hello, the spoofed one, this */
	assert_int_equal(flow_of(f, "198.18.0.121", &fl), 0);
	assert_int_equal(fl.next, 1027);
	/* The server's FIN counts for a byte; the client's FIN ends the flow. */
	tcp_seg(f, "198.18.0.121", 0x11, SERVER_ISN + 101, 1027, NULL, 0, NULL, 0, true);
	tcp_seg(f, "198.18.0.121", 0x11, 1027, SERVER_ISN + 102, NULL, 0, NULL, 0, false);
	assert_int_equal(stats(f).server_segments, 2);
	assert_int_equal(stats(f).end_events, 1);
	assert_int_not_equal(flow_of(f, "198.18.0.121", &fl), 0);
	/* A server segment of no waiting flow moves nothing. */
	tcp_seg(f, "198.18.0.121", 0x18, SERVER_ISN + 200, 1027, NULL, 0, data, 10, true);
	assert_int_equal(stats(f).server_segments, 2);
}

/* A done flow whose new SYN was missed: the server's SYN-ACK for another
 * client ISN says a new connection holds the 4-tuple; the flow starts
 * over on it and its hello goes up validated. */
static void test_hs_restart_done_flow(void **state)
{
	struct fixture *f = *state;
	struct j4s_flow fl;

	reset(f);
	syn_to(f, "198.18.0.122");
	synack(f, "198.18.0.122", SERVER_ISN, 1001);
	hello_seg(f, "198.18.0.122", 1001, SERVER_ISN + 1);
	assert_int_equal(stats(f).flows_done, 1);
	/* Its SYN-ACK again changes nothing. */
	synack(f, "198.18.0.122", SERVER_ISN, 1001);
	assert_int_equal(stats(f).synack_restarted, 0);
	synack(f, "198.18.0.122", SERVER_ISN + 9, 50001);
	assert_int_equal(stats(f).synack_restarted, 1);
	assert_int_equal(flow_of(f, "198.18.0.122", &fl), 0);
	assert_int_equal(fl.state, J4S_FLOW_WAIT);
	assert_int_equal(fl.base, 50001);
	assert_int_equal(fl.hs, J4S_HS_SYNACK);
	tcp_seg(f, "198.18.0.122", 0x18, 50001, SERVER_ISN + 10, NULL, 0, hello_start,
		sizeof(hello_start), false);
	assert_int_equal(stats(f).validated, 2);
	assert_int_equal(stats(f).flows_done, 2);
	/* The same client ISN again after an RST, the server with a new ISN:
	 * a new connection all the same. */
	synack(f, "198.18.0.122", SERVER_ISN + 77, 50001);
	assert_int_equal(stats(f).synack_restarted, 2);
	assert_int_equal(flow_of(f, "198.18.0.122", &fl), 0);
	assert_int_equal(fl.state, J4S_FLOW_WAIT);
	/* A Fast Open SYN whose data the SYN-ACK acknowledges: the same
	 * connection, no restart. */
	tcp_seg(f, "198.18.0.125", 0x02, 1000, 0, NULL, 0, hello_start, sizeof(hello_start), false);
	synack(f, "198.18.0.125", SERVER_ISN, 1001 + sizeof(hello_start));
	assert_int_equal(stats(f).synack_restarted, 2);
	assert_int_equal(flow_of(f, "198.18.0.125", &fl), 0);
	assert_int_equal(fl.base, 1001);
}

/* Hellos dropped for their ACK (a blind spoofer's) go up through the
 * unvalidated bucket, a token a flow; held back, the flow is not ended:
 * its real hello, acknowledging the ISN + 1, still goes up, validated. */
static void test_hs_spoofed_through_bucket(void **state)
{
	struct fixture *f = *state;
	static const char *const cl[3] = { "198.18.0.104", "198.18.0.105", "198.18.0.106" };
	struct j4s_flow fl;

	reset(f);
	for (int i = 0; i < 3; i++) {
		syn_to(f, cl[i]);
		synack(f, cl[i], SERVER_ISN, 1001);
		hello_seg(f, cl[i], 1001, SERVER_ISN + 77);
		hello_seg(f, cl[i], 1001, SERVER_ISN + 78);
	}
	if (!f->limit) {
		assert_int_equal(stats(f).spoofed_events, 6);
		assert_int_equal(stats(f).unvalidated, 3);
		return;
	}
	assert_int_equal(stats(f).spoofed_events, 4);
	assert_int_equal(stats(f).unvalidated, 2);
	assert_int_equal(stats(f).unvalidated_limited, 1);
	assert_int_equal(flow_of(f, cl[2], &fl), 0);
	assert_int_equal(fl.state, J4S_FLOW_WAIT);
	hello_seg(f, cl[2], 1001, SERVER_ISN + 1);
	assert_int_equal(stats(f).validated, 1);
	assert_int_equal(stats(f).payload_events, 5);
}

/* A SYN again (same ISN) changes nothing; one with another ISN on a flow
 * waiting after its SYN-ACK starts no connection at the server and is
 * ignored, so the real hello on the old sequence numbers still goes up. */
static void test_hs_second_syn(void **state)
{
	struct fixture *f = *state;
	struct j4s_flow fl;

	reset(f);
	syn_to(f, "198.18.0.102");
	synack(f, "198.18.0.102", SERVER_ISN, 1001);
	syn_to(f, "198.18.0.102");
	tcp_seg(f, "198.18.0.102", 0x02, 77777, 0, NULL, 0, NULL, 0, false);
	assert_int_equal(stats(f).syn_retransmits, 1);
	assert_int_equal(stats(f).syn_ignored, 1);
	/* Up all the same, for userspace to judge by its own flow. */
	assert_int_equal(stats(f).syn_events, 2);
	assert_int_equal(f->last_kind, J4S_EV_SYN);
	assert_int_equal(flow_of(f, "198.18.0.102", &fl), 0);
	assert_int_equal(fl.base, 1001);
	assert_int_equal(fl.hs, J4S_HS_SYNACK);
	hello_seg(f, "198.18.0.102", 1001, SERVER_ISN + 1);
	assert_int_equal(stats(f).validated, 1);
	assert_int_equal(stats(f).payload_events, 1);
	/* Without a SYN-ACK yet, a new ISN starts over. */
	syn_to(f, "198.18.0.103");
	tcp_seg(f, "198.18.0.103", 0x02, 77777, 0, NULL, 0, NULL, 0, false);
	assert_int_equal(flow_of(f, "198.18.0.103", &fl), 0);
	assert_int_equal(fl.base, 77778);
	assert_int_equal(stats(f).syn_events, 4);
}

/* PAWS: with a timestamp in the SYN and in the SYN-ACK, a segment whose
 * timestamp is older than ts_recent by more than 1 is refused; ts_recent
 * follows segments and bare ACKs in order. Without one in the SYN-ACK the
 * server checks none. */
static void test_hs_paws(void **state)
{
	struct fixture *f = *state;
	uint8_t syn_ts[16] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0x10, 0, 0, 0, 0, 0 };
	uint8_t old[12], near[12], ahead[12], now_ts[12];
	struct j4s_flow fl;

	ts_opt(old, 0x1000 - 2);
	ts_opt(near, 0x1000 - 1);
	ts_opt(now_ts, 0x1000);
	ts_opt(ahead, 0x40000000);
	reset(f);
	tcp_seg(f, "198.18.0.99", 0x02, 1000, 0, syn_ts, sizeof(syn_ts), NULL, 0, false);
	tcp_seg(f, "198.18.0.99", 0x12, SERVER_ISN, 1001, syn_ts, sizeof(syn_ts), NULL, 0, true);
	assert_int_equal(flow_of(f, "198.18.0.99", &fl), 0);
	assert_int_equal(fl.bits & (J4S_FL_TS_SYN | J4S_FL_TS_OK), J4S_FL_TS_SYN | J4S_FL_TS_OK);
	assert_int_equal(fl.ts_recent, 0x1000);
	tcp_seg(f, "198.18.0.99", 0x18, 1001, SERVER_ISN + 1, old, 12, hello_start, 16, false);
	assert_int_equal(stats(f).paws_refused, 1);
	assert_int_equal(stats(f).payload_events, 0);
	/* a bare ACK far ahead raises ts_recent: "near" is now old too */
	tcp_seg(f, "198.18.0.99", 0x10, 1001, SERVER_ISN + 1, ahead, 12, NULL, 0, false);
	assert_int_equal(flow_of(f, "198.18.0.99", &fl), 0);
	assert_int_equal(fl.ts_recent, 0x40000000);
	tcp_seg(f, "198.18.0.99", 0x18, 1001, SERVER_ISN + 1, near, 12, hello_start, 16, false);
	assert_int_equal(stats(f).paws_refused, 2);
	tcp_seg(f, "198.18.0.99", 0x18, 1001, SERVER_ISN + 1, ahead, 12, hello_start, 16, false);
	assert_int_equal(stats(f).payload_events, 1);
	assert_int_equal(stats(f).flows_done, 1);

	/* Older by 1 is inside the window; no timestamp in the SYN-ACK, no
	 * check. */
	tcp_seg(f, "198.18.0.100", 0x02, 1000, 0, syn_ts, sizeof(syn_ts), NULL, 0, false);
	tcp_seg(f, "198.18.0.100", 0x12, SERVER_ISN, 1001, syn_ts, sizeof(syn_ts), NULL, 0, true);
	tcp_seg(f, "198.18.0.100", 0x18, 1001, SERVER_ISN + 1, near, 12, hello_start, 16, false);
	tcp_seg(f, "198.18.0.101", 0x02, 1000, 0, syn_ts, sizeof(syn_ts), NULL, 0, false);
	tcp_seg(f, "198.18.0.101", 0x12, SERVER_ISN, 1001, NULL, 0, NULL, 0, true);
	tcp_seg(f, "198.18.0.101", 0x18, 1001, SERVER_ISN + 1, old, 12, hello_start, 16, false);
	assert_int_equal(stats(f).paws_refused, 2);
	assert_int_equal(stats(f).payload_events, 3);
	assert_int_equal(stats(f).flows_done, 3);
}

static void test_hs_validated_when_bucket_empty(void **state)
{
	struct fixture *f = *state;

	reset(f);
	/* Empty the bucket with pickups, which have no SYN-ACK. */
	hello_seg(f, "198.18.0.91", 5000, 1);
	hello_seg(f, "198.18.0.92", 5000, 1);
	hello_seg(f, "198.18.0.93", 5000, 1);
	assert_int_equal(stats(f).unvalidated_limited, f->limit ? 1 : 0);
	syn_to(f, "198.18.0.94");
	synack(f, "198.18.0.94", SERVER_ISN, 1001);
	hello_seg(f, "198.18.0.94", 1001, SERVER_ISN + 1);
	assert_int_equal(stats(f).validated, 1);
	assert_int_equal(f->last_kind, J4S_EV_PAYLOAD);
	assert_int_equal(stats(f).payload_events, f->limit ? 3 : 4);
}

/* ---- QUIC (UDP to a listen port) ---- */

/* A datagram from src:sport to 443 whose payload (n bytes) starts with
 * first byte b0, version and a DCID of dlen bytes (value seed). */
static void quic_dgram(struct fixture *f, const char *src, uint16_t sport, uint8_t b0,
		       uint32_t version, uint8_t dlen, uint8_t seed, uint16_t n)
{
	uint8_t u[8] = { sport >> 8, sport & 0xff, 0x01, 0xbb };
	uint8_t pl[1300] = { 0 };

	u[4] = (uint8_t)((8 + n) >> 8);
	u[5] = (uint8_t)(8 + n);
	pl[0] = b0;
	pl[1] = (uint8_t)(version >> 24);
	pl[2] = (uint8_t)(version >> 16);
	pl[3] = (uint8_t)(version >> 8);
	pl[4] = (uint8_t)version;
	pl[5] = dlen;
	for (int i = 0; i < dlen && i < 20; i++)
		pl[6 + i] = (uint8_t)(seed + i);
	eth(f, 0x0800, 0);
	ipv4(f, src, (uint16_t)(8 + n), 17, 0x4000);
	put(f, u, 8);
	put(f, pl, n);
}

static void quic_run(struct fixture *f, const char *src, uint16_t sport, uint8_t b0,
		     uint32_t version, uint8_t dlen, uint8_t seed)
{
	f->len = 0;
	quic_dgram(f, src, sport, b0, version, dlen, seed, 1200);
	assert_int_equal(run(f), f->xdp ? XDP_PASS : TC_ACT_OK);
}

/* A client Initial in an IPv4 packet whose header checksum is wrong: the
 * server's stack drops it, so it neither goes up nor makes a connection
 * key; the same datagram with the right sum does. */
static void test_quic_bad_ip_checksum(void **state)
{
	struct fixture *f = *state;

	reset(f);
	f->len = 0;
	quic_dgram(f, "198.18.0.2", 40100, 0xc3, J4S_QUIC_V1, 8, 0x77, 1200);
	f->buf[14 + 8] = 1; /* TTL changed, sum not */
	assert_int_equal(run(f), f->xdp ? XDP_PASS : TC_ACT_OK);
	assert_int_equal(f->events, 0);
	assert_int_equal(stats(f).bad_ip_checksum, 1);
	assert_int_equal(stats(f).quic_conns, 0);
	assert_int_equal(stats(f).quic_events, 0);
	f->buf[14 + 8] = 64;
	run(f);
	assert_int_equal(f->events, 1);
	assert_int_equal(f->last_kind, J4S_EV_UDP);
	assert_int_equal(stats(f).quic_conns, 1);
}

/* Client Initials of v1, v2 and draft-29 pass, the whole datagram. */
static void test_quic_initial_passed(void **state)
{
	struct fixture *f = *state;

	reset(f);
	quic_run(f, "198.18.0.2", 40000, 0xc3, J4S_QUIC_V1, 8, 1);
	assert_int_equal(f->events, 1);
	assert_int_equal(f->last_kind, J4S_EV_UDP);
	assert_int_equal(f->last_caplen, 20 + 8 + 1200);
	assert_int_equal(f->last_data[28], 0xc3);
	quic_run(f, "198.18.0.2", 40001, 0xd3, J4S_QUIC_V2, 8, 2); /* v2: Initial is type 1 */
	quic_run(f, "198.18.0.2", 40002, 0xc0, J4S_QUIC_DRAFT29, 20, 3);
	assert_int_equal(f->events, 3);
	assert_int_equal(stats(f).quic_events, 3);
	assert_int_equal(stats(f).quic_conns, 3);
}

/* Short headers, other long types, unknown versions, other ports: dropped. */
/* A 1200-byte Initial datagram whose UDP header claims payload bytes. */
static void quic_udp_len_run(struct fixture *f, uint32_t payload)
{
	f->len = 0;
	quic_dgram(f, "198.18.0.2", 40010, 0xc3, J4S_QUIC_V1, 8, 1, 1200);
	f->buf[f->len - 1200 - 4] = (uint8_t)((8 + payload) >> 8);
	f->buf[f->len - 1200 - 3] = (uint8_t)((8 + payload) & 0xff);
	run(f);
}

static void test_quic_not_initial_dropped(void **state)
{
	struct fixture *f = *state;

	reset(f);
	quic_run(f, "198.18.0.2", 40010, 0x43, J4S_QUIC_V1, 8, 1);  /* short header */
	quic_run(f, "198.18.0.2", 40010, 0xe3, J4S_QUIC_V1, 8, 1);  /* v1 Handshake */
	quic_run(f, "198.18.0.2", 40010, 0xc3, J4S_QUIC_V2, 8, 1);  /* v2 type 0: Retry */
	quic_run(f, "198.18.0.2", 40010, 0xc3, 0x0a0a0a0a, 8, 1);   /* unknown version */
	quic_run(f, "198.18.0.2", 40010, 0xc3, J4S_QUIC_V1, 21, 1); /* DCID too long */
	assert_int_equal(f->events, 0);
	assert_int_equal(stats(f).quic_not_initial, 5);
	f->len = 0;
	quic_dgram(f, "198.18.0.2", 40010, 0xc3, J4S_QUIC_V1, 8, 1, 10); /* too short */
	run(f);
	assert_int_equal(stats(f).quic_not_initial, 6);
	/* under 1200 bytes: the server drops it (RFC 9000 §14.1) */
	f->len = 0;
	quic_dgram(f, "198.18.0.2", 40010, 0xc3, J4S_QUIC_V1, 8, 1, 1199);
	run(f);
	assert_int_equal(stats(f).quic_not_initial, 7);
	/* 1200 bytes by the IP header, 1199 by the UDP length the receiving
	 * stack reads: the same */
	quic_udp_len_run(f, 1199);
	assert_int_equal(stats(f).quic_not_initial, 8);
	/* a UDP length past the IP packet: the stack drops it */
	quic_udp_len_run(f, 1201);
	assert_int_equal(f->events, 0);
	assert_int_equal(stats(f).quic_not_initial, 8);
	f->len = 0;
	quic_dgram(f, "203.0.113.9", 40010, 0xc3, J4S_QUIC_V1, 8, 1, 1200); /* excluded */
	run(f);
	assert_int_equal(f->events, 0);
	assert_int_equal(stats(f).excluded, 1);
}

/* At most J4S_QUIC_MAX_DATAGRAMS per 4-tuple and DCID; a new DCID on the
 * same 4-tuple (a new connection) passes again. */
static void test_quic_per_connection_bound(void **state)
{
	struct fixture *f = *state;

	reset(f);
	for (int i = 0; i < J4S_QUIC_MAX_DATAGRAMS + 3; i++)
		quic_run(f, "198.18.0.2", 40020, 0xc3, J4S_QUIC_V1, 8, 7);
	assert_int_equal(f->events, J4S_QUIC_MAX_DATAGRAMS);
	assert_int_equal(stats(f).quic_capped, 3);
	assert_int_equal(stats(f).quic_conns, 1);
	quic_run(f, "198.18.0.2", 40020, 0xc3, J4S_QUIC_V1, 8, 8);
	assert_int_equal(f->events, J4S_QUIC_MAX_DATAGRAMS + 1);
	assert_int_equal(stats(f).quic_conns, 2);
}

/* Past the cap, a key's datagrams take tokens of the bucket (nothing here
 * authenticates an Initial: a client could spend its cap on junk its
 * server drops, then send its hello); with no bucket the cap is final. */
static void test_quic_past_cap_through_bucket(void **state)
{
	struct fixture *f = *state;

	reset(f);
	for (int i = 0; i < J4S_QUIC_MAX_DATAGRAMS + 2; i++)
		quic_run(f, "198.18.0.2", 40040, 0xc3, J4S_QUIC_V1, 8, 9);
	/* the key's first datagram took one token of two, the ninth the other */
	assert_int_equal(f->events, J4S_QUIC_MAX_DATAGRAMS + (f->limit ? 1 : 0));
	assert_int_equal(stats(f).quic_capped, f->limit ? 1 : 2);
	assert_int_equal(stats(f).quic_conns, 1);
}

/* New QUIC connections take tokens of the unvalidated bucket. */
static void test_quic_bucket(void **state)
{
	struct fixture *f = *state;

	reset(f);
	for (int i = 0; i < 4; i++)
		quic_run(f, "198.18.0.2", (uint16_t)(40030 + i), 0xc3, J4S_QUIC_V1, 8,
			 (uint8_t)(0x40 + i));
	/* Those without a token go up all the same, held (the ring has room):
	 * userspace keeps them until their client proves its address. */
	assert_int_equal(f->events, 4);
	assert_int_equal(stats(f).quic_limited, f->limit ? 2 : 0);
	assert_int_equal(stats(f).quic_held, f->limit ? 2 : 0);
	assert_int_equal(stats(f).quic_events, f->limit ? 2 : 4);
	assert_int_equal(f->last_kind, f->limit ? J4S_EV_UDP_HELD : J4S_EV_UDP);
	/* An admitted DCID from another port of its client is its connection
	 * (servers route Initials by DCID): no token, with the bucket empty. */
	quic_run(f, "198.18.0.2", 40099, 0xc3, J4S_QUIC_V1, 8, 0x40);
	assert_int_equal(f->events, 5);
	assert_int_equal(f->last_kind, J4S_EV_UDP);
	assert_int_equal(stats(f).quic_limited, f->limit ? 2 : 0);
	assert_int_equal(stats(f).quic_conns, f->limit ? 2 : 4);
	/* from another address, a new key (a token, none left) */
	quic_run(f, "198.18.0.3", 40030, 0xc3, J4S_QUIC_V1, 8, 0x40);
	assert_int_equal(stats(f).quic_limited, f->limit ? 3 : 0);
	assert_int_equal(stats(f).quic_held, f->limit ? 3 : 0);
}

/* A datagram from 198.18.0.1:sport to client:40050 through j4s_tc_egress:
 * first byte b0, version 1, DCID 0xd0.. (8 bytes), SCID 0x50.. (slen). */
static void server_dgram_scid(struct fixture *f, const char *client, uint16_t sport, uint8_t b0,
			      uint8_t slen)
{
	uint8_t u[8] = { sport >> 8, sport & 0xff, 40050 >> 8, 40050 & 0xff };
	uint8_t pl[1200] = { b0, 0, 0, 0, 1, 8 };

	for (int i = 0; i < 8; i++)
		pl[6 + i] = (uint8_t)(0xd0 + i);
	for (int i = 0; i < slen; i++)
		pl[15 + i] = (uint8_t)(0x50 + i);
	pl[14] = slen;
	u[4] = (8 + sizeof(pl)) >> 8;
	u[5] = (8 + sizeof(pl)) & 0xff;
	server_ipv4(f, client, 17, 20 + 8 + sizeof(pl));
	put(f, u, 8);
	put(f, pl, sizeof(pl));
	run_egress(f);
}

static void server_dgram(struct fixture *f, const char *client, uint16_t sport, uint8_t b0)
{
	server_dgram_scid(f, client, sport, b0, 8);
}

/* The server's Initials go up from egress (whole: userspace checks which
 * DCID they answer) only while Initials are being held, and only Initials
 * from a listen port: the proof of a held client's address is its next
 * packet to the server's ID (include/quic_hold.h). */
static void test_quic_server_initial(void **state)
{
	struct fixture *f = *state;

	reset(f);
	/* nothing held yet: not sent, nor a client's Handshake packet */
	server_dgram(f, "198.18.0.2", 443, 0xc3);
	assert_int_equal(f->events, 0);
	f->len = 0;
	quic_dgram(f, "198.18.0.2", 40050, 0xe3, J4S_QUIC_V1, 8, 0x50, 100);
	run(f);
	assert_int_equal(f->events, 0);
	assert_int_equal(stats(f).quic_not_initial, 1);
	for (int i = 0; i < 3; i++)
		quic_run(f, "198.18.0.2", (uint16_t)(40050 + i), 0xc3, J4S_QUIC_V1, 8,
			 (uint8_t)(0x90 + i));
	assert_int_equal(stats(f).quic_held, f->limit ? 1 : 0);
	server_dgram(f, "198.18.0.2", 443, 0xc3);
	if (!f->limit) {
		assert_int_equal(f->events, 3);
		assert_int_equal(stats(f).quic_server_initials, 0);
		return;
	}
	/* whole: userspace checks which DCID it is sealed for */
	assert_int_equal(f->events, 4);
	assert_int_equal(f->last_kind, J4S_EV_QUIC_SERVER);
	assert_int_equal(f->last_caplen, 20 + 8 + 1200);
	assert_int_equal(f->last_data[20 + 8 + 15], 0x50);
	assert_int_equal(stats(f).quic_server_initials, 1);
	/* a Handshake packet, a short header, another port: not sent */
	server_dgram(f, "198.18.0.2", 443, 0xe3);
	server_dgram(f, "198.18.0.2", 443, 0x43);
	server_dgram(f, "198.18.0.2", 8443, 0xc3);
	assert_int_equal(f->events, 4);
	assert_int_equal(stats(f).quic_server_initials, 1);
	/* a client packet to the server's ID (its SCID, 0x50..) goes up, its
	 * headers: a Handshake packet (v1 type 2; v2 type 3) or an Initial */
	f->len = 0;
	quic_dgram(f, "198.18.0.2", 40050, 0xe3, J4S_QUIC_V1, 8, 0x50, 100);
	run(f);
	assert_int_equal(f->events, 5);
	assert_int_equal(f->last_kind, J4S_EV_QUIC_PROOF);
	assert_int_equal(f->last_caplen, 20 + 8 + J4S_QUIC_SERVER_SNAP);
	assert_int_equal(f->last_data[20 + 8 + 6], 0x50);
	f->len = 0;
	quic_dgram(f, "198.18.0.2", 40051, 0xf3, J4S_QUIC_V2, 8, 0x50, 100);
	run(f);
	quic_run(f, "198.18.0.2", 40052, 0xc3, J4S_QUIC_V1, 8, 0x50);
	assert_int_equal(f->events, 7);
	assert_int_equal(f->last_kind, J4S_EV_QUIC_PROOF);
	assert_int_equal(f->last_caplen, 20 + 8 + 1200); /* an Initial: whole */
	assert_int_equal(stats(f).quic_handshakes, 3);
	/* from another address, or to another ID: a made-up Handshake
	 * packet gets nothing */
	f->len = 0;
	quic_dgram(f, "198.18.0.3", 40050, 0xe3, J4S_QUIC_V1, 8, 0x50, 100);
	run(f);
	f->len = 0;
	quic_dgram(f, "198.18.0.2", 40050, 0xe3, J4S_QUIC_V1, 8, 0x51, 100);
	run(f);
	assert_int_equal(f->events, 7);
	assert_int_equal(stats(f).quic_not_initial, 3);
	/* J4S_QUIC_MAX_PROOFS an ID: a sender that got one answer gets no
	 * more than that */
	for (int i = 3; i < J4S_QUIC_MAX_PROOFS + 2; i++) {
		f->len = 0;
		quic_dgram(f, "198.18.0.2", (uint16_t)(41000 + i), 0xe3, J4S_QUIC_V1, 8, 0x50, 100);
		run(f);
	}
	assert_int_equal(stats(f).quic_handshakes, J4S_QUIC_MAX_PROOFS);
	assert_int_equal(stats(f).quic_proofs_dropped, 2);
	/* a server ID under 8 bytes is not stored: a proof of it could be
	 * guessed */
	server_dgram_scid(f, "198.18.0.4", 443, 0xc3, 4);
	assert_int_equal(stats(f).quic_server_initials, 1);
	f->len = 0;
	quic_dgram(f, "198.18.0.4", 40050, 0xe3, J4S_QUIC_V1, 4, 0x50, 100);
	run(f);
	assert_int_equal(stats(f).quic_handshakes, J4S_QUIC_MAX_PROOFS);
	assert_int_equal(stats(f).quic_not_initial, 4);
}

/* TCP hellos and QUIC connections have a bucket each: spoofed TCP hellos
 * that empty theirs hold back no QUIC client, and a flood of Initials that
 * empties the QUIC one holds back no unvalidated TCP hello (limit groups:
 * 1/s, burst 2 each). */
static void test_buckets_apart(void **state)
{
	struct fixture *f = *state;

	reset(f);
	/* pickups: no SYN-ACK, a TCP token each */
	hello_seg(f, "198.18.0.101", 5000, 1);
	hello_seg(f, "198.18.0.102", 5000, 1);
	hello_seg(f, "198.18.0.103", 5000, 1);
	assert_int_equal(stats(f).unvalidated_limited, f->limit ? 1 : 0);
	quic_run(f, "198.18.0.2", 40200, 0xc3, J4S_QUIC_V1, 8, 0x60);
	quic_run(f, "198.18.0.2", 40201, 0xc3, J4S_QUIC_V1, 8, 0x61);
	assert_int_equal(stats(f).quic_limited, 0);
	assert_int_equal(stats(f).quic_conns, 2);
	/* now the QUIC bucket is empty too (limit groups) */
	quic_run(f, "198.18.0.2", 40202, 0xc3, J4S_QUIC_V1, 8, 0x62);
	assert_int_equal(stats(f).quic_limited, f->limit ? 1 : 0);

	reset(f);
	for (int i = 0; i < 3; i++)
		quic_run(f, "198.18.0.2", (uint16_t)(40210 + i), 0xc3, J4S_QUIC_V1, 8,
			 (uint8_t)(0x70 + i));
	assert_int_equal(stats(f).quic_limited, f->limit ? 1 : 0);
	hello_seg(f, "198.18.0.104", 5000, 1);
	assert_int_equal(stats(f).unvalidated, 1);
	assert_int_equal(stats(f).unvalidated_limited, 0);
	assert_int_equal(f->last_kind, J4S_EV_PAYLOAD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syn_plain),
		cmocka_unit_test(test_syn_without_options),
		cmocka_unit_test(test_syn_vlan_and_qinq),
		cmocka_unit_test(test_syn_other_port),
		cmocka_unit_test(test_syn_excluded_source),
		cmocka_unit_test(test_ipv6_extension_headers),
		cmocka_unit_test(test_ipv6_ext_dropped),
		cmocka_unit_test(test_syn_vlan_9100),
		cmocka_unit_test(test_ipv6_extension_header_limit),
		cmocka_unit_test(test_tc_headers_beyond_linear_part),
		cmocka_unit_test(test_truncated_and_fragment),
		cmocka_unit_test(test_fragments_passed),
		cmocka_unit_test(test_fragments_bucket),
		cmocka_unit_test(test_fragments_later_ring_share),
		cmocka_unit_test(test_fragments_validated),
		cmocka_unit_test(test_bad_ip_checksum),
		cmocka_unit_test(test_ip_options_dropped),
		cmocka_unit_test(test_payload_hello_then_done),
		cmocka_unit_test(test_payload_after_hello_overtakes),
		cmocka_unit_test(test_payload_hello_cut_in_record_header),
		cmocka_unit_test(test_payload_hello_in_small_records),
		cmocka_unit_test(test_payload_not_tls),
		cmocka_unit_test(test_payload_pickup_without_syn),
		cmocka_unit_test(test_payload_full_segment),
		cmocka_unit_test(test_payload_larger_than_xdp_copy),
		cmocka_unit_test(test_payload_byte_by_byte_and_segment_cap),
		cmocka_unit_test(test_payload_overlap_in_order_after_held),
		cmocka_unit_test(test_payload_urgent_to_byte_cap),
		cmocka_unit_test(test_payload_urgent_acks_capped),
		cmocka_unit_test(test_payload_urgent_past_segment_cap),
		cmocka_unit_test(test_payload_urgent_before_stream),
		cmocka_unit_test(test_payload_starts_before_stream),
		cmocka_unit_test(test_hs_synack_stores_isn),
		cmocka_unit_test(test_hs_validated_passes),
		cmocka_unit_test(test_hs_wrong_ack_through_bucket),
		cmocka_unit_test(test_hs_refused_segments),
		cmocka_unit_test(test_hs_paws),
		cmocka_unit_test(test_hs_second_syn),
		cmocka_unit_test(test_hs_restart_on_synack),
		cmocka_unit_test(test_hs_restart_done_flow),
		cmocka_unit_test(test_hs_server_data_raises_snd_nxt),
		cmocka_unit_test(test_hs_spoofed_through_bucket),
		cmocka_unit_test(test_hs_validated_when_bucket_empty),
		cmocka_unit_test(test_quic_initial_passed),
		cmocka_unit_test(test_quic_bad_ip_checksum),
		cmocka_unit_test(test_quic_not_initial_dropped),
		cmocka_unit_test(test_quic_per_connection_bound),
		cmocka_unit_test(test_quic_bucket),
		cmocka_unit_test(test_quic_server_initial),
		cmocka_unit_test(test_buckets_apart),
		cmocka_unit_test(test_quic_past_cap_through_bucket),
	};
	const struct CMUnitTest limited[] = {
		cmocka_unit_test(test_fragments_bucket),
		cmocka_unit_test(test_fragments_later_ring_share),
		cmocka_unit_test(test_fragments_validated),
		cmocka_unit_test(test_quic_bucket),
		cmocka_unit_test(test_quic_server_initial),
		cmocka_unit_test(test_buckets_apart),
		cmocka_unit_test(test_quic_past_cap_through_bucket),
		cmocka_unit_test(test_hs_synack_stores_isn),
		cmocka_unit_test(test_hs_validated_passes),
		cmocka_unit_test(test_hs_wrong_ack_through_bucket),
		cmocka_unit_test(test_hs_validated_when_bucket_empty),
		cmocka_unit_test(test_hs_spoofed_through_bucket),
	};
	int failed = 0;

	if (geteuid() != 0) {
		printf("SKIP bpf tests: need root to load BPF programs\n");
		return 77;
	}
	/* Each group has its own summary; run.sh adds them up. */
	failed += cmocka_run_group_tests_name("tc", tests, setup_tc, teardown);
	failed += cmocka_run_group_tests_name("xdp", tests, setup_xdp, teardown);
	failed += cmocka_run_group_tests_name("xdp-copy", tests, setup_xdp_copy, teardown);
	failed += cmocka_run_group_tests_name("tc-limit", limited, setup_tc_limit, teardown);
	failed += cmocka_run_group_tests_name("xdp-limit", limited, setup_xdp_limit, teardown);
	return failed ? 1 : 0;
}
