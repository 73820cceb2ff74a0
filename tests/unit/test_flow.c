// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unit tests of flow (user/flow.c): what client-to-server packets do to the
 * flow table. SYN metadata, hellos in one or several segments, in order or
 * not, retransmits, a missed SYN, non-TLS streams, SYN retransmit against
 * port reuse, RST and FIN before the hello, the segment and byte limits,
 * eviction when the table is full, expiry by packet time, handshake
 * validation by the server's SYN-ACK and the token bucket of unvalidated
 * flows (live pcap mode). Packets are
 * struct pkt_info values made by pkt() (packet parsing has its own tests);
 * the ClientHello is a small valid one written out below. Each test gets a
 * fresh table from the fixture, sized by the config passed as its prestate.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "defaults.h"
#include "flow.h"

#define MS   1000000ull
#define SEC  1000000000ull
#define T0   (1700000000ull * SEC) /* packet time of the first packet */
#define ISN  0x10000000u           /* client initial sequence number */
#define DATA (ISN + 1)             /* sequence number of the first payload byte */
#define PORT 40000                 /* client port of the first flow */

/* A minimal ClientHello: TLS 1.2, two cipher suites, no extensions. */
/* clang-format off */
static const uint8_t hello[52] = {
	0x16, 0x03, 0x01, 0x00, 0x2f, /* record: handshake, 47 bytes */
	0x01, 0x00, 0x00, 0x2b,       /* ClientHello, 43 bytes */
	0x03, 0x03,                   /* legacy_version: TLS 1.2 */
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, /* random */
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	0x00,                         /* session id: empty */
	0x00, 0x04, 0x13, 0x01, 0xc0, 0x2f, /* cipher suites */
	0x01, 0x00,                   /* compression: null */
};
/* clang-format on */
#define MSG     (hello + 5) /* the handshake message */
#define MSG_LEN 47

static const uint8_t http_get[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";

/* SYN options of Linux: MSS 1460, SACK permitted, Timestamps, NOP, WScale 7. */
static const uint8_t syn_opts[20] = {
	0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x01,
	0x02, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
};
static const uint8_t ts_opts[12] = {
	0x01, 0x01, 0x08, 0x0a, 0x00, 0x01, 0x02, 0x03, 0x00, 0x00, 0x00, 0x09,
};

static const uint8_t client4[4] = { 192, 0, 2, 10 };
static const uint8_t server4[4] = { 198, 51, 100, 1 };
static const uint8_t client6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x0a };
static const uint8_t server6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x01 };

static const uint8_t seed[16] = { 0x6a, 0x34, 0x73, 0x65, 0x6e, 0x74, 0x69, 0x6e, 0x65, 0x6c };

#define CFG(flows, bytes, segs)                                                                    \
	{                                                                                          \
		.max_flows = (flows), .timeout_ns = 30 * SEC, .limits = {                          \
			.max_bytes = (bytes),                                                      \
			.max_segments = (segs)                                                     \
		}                                                                                  \
	}
static const struct flow_config cfg_default = CFG(16, REASM_MAX_BYTES, DEF_MAX_HELLO_SEGMENTS);
static const struct flow_config cfg_small = CFG(4, REASM_MAX_BYTES, DEF_MAX_HELLO_SEGMENTS);
static const struct flow_config cfg_seg3 = CFG(16, REASM_MAX_BYTES, 3);
static const struct flow_config cfg_pool256 = CFG(256, REASM_MAX_BYTES, DEF_MAX_HELLO_SEGMENTS);
static const struct flow_config cfg_bytes64 = CFG(16, 64, DEF_MAX_HELLO_SEGMENTS);
static const struct flow_config cfg_budget100 = {
	.max_flows = 16,
	.timeout_ns = 30 * SEC,
	.limits = { .max_bytes = REASM_MAX_BYTES, .max_segments = DEF_MAX_HELLO_SEGMENTS },
	.max_buffered = 100,
};

/* Live pcap mode's bucket of unvalidated flows: 10 a second, bursts of 3. */
static const struct flow_config cfg_bucket = {
	.max_flows = 16,
	.timeout_ns = 30 * SEC,
	.limits = { .max_bytes = REASM_MAX_BYTES, .max_segments = DEF_MAX_HELLO_SEGMENTS },
	.limit_unvalidated = true,
	.unvalidated_rate = 10,
	.unvalidated_burst = 3,
};
static const struct flow_config cfg_bucket_rate0 = {
	.max_flows = 16,
	.timeout_ns = 30 * SEC,
	.limits = { .max_bytes = REASM_MAX_BYTES, .max_segments = DEF_MAX_HELLO_SEGMENTS },
	.limit_unvalidated = true,
	.unvalidated_rate = 0,
	.unvalidated_burst = 1,
};
/* --read and the eBPF modes: the same rate, not enabled. */
static const struct flow_config cfg_bucket_off = {
	.max_flows = 16,
	.timeout_ns = 30 * SEC,
	.limits = { .max_bytes = REASM_MAX_BYTES, .max_segments = DEF_MAX_HELLO_SEGMENTS },
	.limit_unvalidated = false,
	.unvalidated_rate = 1,
	.unvalidated_burst = 1,
};

struct fixture {
	struct flow_table *ft;
	uint8_t family; /* of the packets pkt() makes */
	struct pkt_info pi;
	struct flow_hello out;
};

static int setup(void **state)
{
	const struct flow_config *cfg = *state ? *state : &cfg_default;
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->ft = flow_table_new(cfg, seed);
	if (!f->ft) {
		free(f);
		return -1;
	}
	f->family = AF_INET;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	flow_table_free(f->ft);
	free(f);
	return 0;
}

/* A client-to-server packet of the flow from client port sport. */
static void pkt(struct fixture *f, uint16_t sport, uint8_t flags, uint32_t seq,
		const uint8_t *payload, uint32_t len)
{
	struct pkt_info *pi = &f->pi;
	bool syn = flags & TCPF_SYN;

	memset(pi, 0, sizeof(*pi));
	pi->family = f->family;
	if (f->family == AF_INET6) {
		memcpy(pi->src, client6, 16);
		memcpy(pi->dst, server6, 16);
	} else {
		memcpy(pi->src, client4, 4);
		memcpy(pi->dst, server4, 4);
		pi->df = 1;
		pi->ip_id = syn ? 0x4d2 : 0x4d3;
	}
	pi->ttl = syn ? 64 : 63;
	pi->sport = sport;
	pi->dport = 443;
	pi->tcp_flags = flags;
	pi->seq = seq;
	pi->ack = flags & TCPF_ACK ? 0x70000001u : 0;
	pi->window = syn ? 64240 : 502;
	pi->tcp_opts = syn ? syn_opts : ts_opts;
	pi->tcp_opt_len = syn ? sizeof(syn_opts) : sizeof(ts_opts);
	pi->payload = payload;
	pi->payload_len = len;
	pi->payload_wire = len;
	pi->ip_total_len = (uint16_t)(20 + pi->tcp_opt_len + len);
	pi->ip_total_len += f->family == AF_INET6 ? 40 : 20;
}

static enum flow_result process(struct fixture *f, uint64_t now)
{
	memset(&f->out, 0, sizeof(f->out));
	return flow_process(f->ft, &f->pi, now, &f->out);
}

static enum flow_result syn(struct fixture *f, uint16_t sport, uint32_t isn, uint64_t now)
{
	pkt(f, sport, TCPF_SYN, isn, NULL, 0);
	return process(f, now);
}

/* Stream bytes [off, off + len) of data, sent at DATA + off with ACK|PSH. */
static enum flow_result seg(struct fixture *f, uint16_t sport, const uint8_t *data, uint32_t off,
			    uint32_t len, uint64_t now)
{
	pkt(f, sport, TCPF_ACK | TCPF_PSH, DATA + off, data + off, len);
	return process(f, now);
}

static struct flow *lookup(struct fixture *f, uint16_t sport)
{
	struct flow_key key;

	pkt(f, sport, TCPF_ACK, 0, NULL, 0);
	flow_key_from_pkt(&f->pi, &key);
	return flow_table_lookup(f->ft, &key);
}

static const struct flow_stats *stats(struct fixture *f)
{
	return flow_table_stats(f->ft);
}

/* The hello was handed out whole; mark the flow done as the pipeline does. */
static void check_hello_and_finish(struct fixture *f, uint64_t now)
{
	assert_non_null(f->out.flow);
	assert_int_equal(f->out.msg_len, MSG_LEN);
	assert_memory_equal(f->out.msg, MSG, MSG_LEN);
	flow_table_finish(f->ft, f->out.flow, now);
	assert_int_equal(f->out.flow->state, FLOW_DONE);
}

static void test_flow_table_new_bad_config(void **state)
{
	struct flow_config cfg = cfg_default;

	cfg.max_flows = 0;
	errno = 0;
	assert_null(flow_table_new(&cfg, seed));
	assert_int_equal(errno, EINVAL);
	cfg = cfg_default;
	cfg.limits.max_bytes = 0;
	assert_null(flow_table_new(&cfg, seed));
	cfg = cfg_default;
	cfg.limits.max_segments = 0;
	assert_null(flow_table_new(&cfg, seed));
	flow_table_free(NULL);
}

static void test_flow_process_syn_creates_flow(void **state)
{
	struct fixture *f = *state;
	struct flow *fl;

	assert_int_equal(syn(f, PORT, ISN, T0), FLOW_NOTHING);
	assert_int_equal(flow_table_count(f->ft), 1);
	assert_int_equal(stats(f)->created, 1);
	assert_int_equal(stats(f)->syns, 1);
	assert_int_equal(stats(f)->pickups, 0);

	fl = lookup(f, PORT);
	assert_non_null(fl);
	assert_null(lookup(f, PORT + 1));
	assert_int_equal(fl->state, FLOW_WAIT_HELLO);
	assert_int_equal(fl->key.sport, PORT);
	assert_int_equal(fl->key.dport, 443);
	assert_memory_equal(fl->key.src, client4, 4);
	assert_int_equal(fl->has_syn, 1);
	assert_int_equal(fl->isn, ISN);
	assert_int_equal(fl->reasm.base, DATA);
	assert_int_equal(fl->syn_ns, T0);
	assert_int_equal(fl->created_ns, T0);
	assert_int_equal(fl->first_byte_ns, 0);

	assert_int_equal(fl->meta.ttl, 64);
	assert_int_equal(fl->meta.df, 1);
	assert_int_equal(fl->meta.ip_id, 0x4d2);
	assert_int_equal(fl->meta.ip_total_len, 60);
	assert_int_equal(fl->meta.window, 64240);
	assert_int_equal(fl->meta.opt_len, sizeof(syn_opts));
	assert_memory_equal(fl->meta.opts, syn_opts, sizeof(syn_opts));

	/* The ACK of the handshake changes nothing. */
	pkt(f, PORT, TCPF_ACK, DATA, NULL, 0);
	assert_int_equal(process(f, T0 + MS), FLOW_NOTHING);
	assert_int_equal(fl->state, FLOW_WAIT_HELLO);
	assert_int_equal(fl->meta.ttl, 64);
	assert_int_equal(stats(f)->bare_acks, 1);
	assert_int_equal(stats(f)->no_flow, 0);
}

static void test_flow_process_hello_one_segment(void **state)
{
	struct fixture *f = *state;
	struct flow *fl;

	syn(f, PORT, ISN, T0);
	fl = lookup(f, PORT);
	assert_int_equal(seg(f, PORT, hello, 0, sizeof(hello), T0 + 2 * MS), FLOW_HELLO);
	assert_ptr_equal(f->out.flow, fl);
	assert_ptr_equal(f->out.msg, hello + 5); /* in the packet itself: no copy */
	assert_int_equal(f->out.msg[0], 0x01);
	assert_int_equal(fl->first_byte_ns, T0 + 2 * MS);
	assert_int_equal(stats(f)->hellos, 1);
	check_hello_and_finish(f, T0 + 2 * MS);

	/* Done: the rest of the connection, a retransmitted hello included, is ignored. */
	assert_int_equal(seg(f, PORT, hello, 0, sizeof(hello), T0 + 3 * MS), FLOW_NOTHING);
	assert_int_equal(stats(f)->after_done, 1);
	assert_int_equal(stats(f)->hellos, 1);
	assert_int_equal(flow_table_count(f->ft), 1);
}

static void test_flow_process_hello_two_segments(void **state)
{
	struct fixture *f = *state;

	syn(f, PORT, ISN, T0);
	assert_int_equal(seg(f, PORT, hello, 0, 20, T0 + MS), FLOW_NOTHING);
	assert_int_equal(lookup(f, PORT)->reasm.contig, 20);
	assert_int_equal(seg(f, PORT, hello, 20, 32, T0 + 2 * MS), FLOW_HELLO);
	assert_int_equal(f->out.flow->first_byte_ns, T0 + MS);
	check_hello_and_finish(f, T0 + 2 * MS);
	assert_int_equal(stats(f)->hellos, 1);
	assert_int_equal(stats(f)->out_of_order, 0);
	assert_int_equal(stats(f)->retransmits, 0);
}

static void test_flow_process_hello_three_segments(void **state)
{
	struct fixture *f = *state;

	/* The first cut is inside the record header. */
	syn(f, PORT, ISN, T0);
	assert_int_equal(seg(f, PORT, hello, 0, 3, T0 + MS), FLOW_NOTHING);
	assert_int_equal(seg(f, PORT, hello, 3, 27, T0 + 2 * MS), FLOW_NOTHING);
	assert_int_equal(seg(f, PORT, hello, 30, 22, T0 + 3 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 3 * MS);
}

static void test_flow_process_hello_out_of_order(void **state)
{
	struct fixture *f = *state;

	syn(f, PORT, ISN, T0);
	assert_int_equal(seg(f, PORT, hello, 20, 20, T0 + MS), FLOW_NOTHING);
	assert_int_equal(seg(f, PORT, hello, 40, 12, T0 + 2 * MS), FLOW_NOTHING);
	assert_int_equal(stats(f)->out_of_order, 2);
	assert_int_equal(lookup(f, PORT)->first_byte_ns, 0);
	assert_int_equal(seg(f, PORT, hello, 0, 20, T0 + 3 * MS), FLOW_HELLO);
	assert_int_equal(f->out.flow->first_byte_ns, T0 + 3 * MS);
	check_hello_and_finish(f, T0 + 3 * MS);
	assert_int_equal(stats(f)->hellos, 1);
}

static void test_flow_process_hello_two_records(void **state)
{
	struct fixture *f = *state;
	uint8_t stream[57];

	/* The message split over two TLS records of 20 and 27 bytes. */
	memcpy(stream, (const uint8_t[]){ 0x16, 0x03, 0x01, 0x00, 0x14 }, 5);
	memcpy(stream + 5, MSG, 20);
	memcpy(stream + 25, (const uint8_t[]){ 0x16, 0x03, 0x01, 0x00, 0x1b }, 5);
	memcpy(stream + 30, MSG + 20, 27);

	syn(f, PORT, ISN, T0);
	assert_int_equal(seg(f, PORT, stream, 0, sizeof(stream), T0 + MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + MS);

	/* The same, the segment cut inside the second record header. */
	syn(f, PORT + 1, ISN, T0 + 2 * MS);
	assert_int_equal(seg(f, PORT + 1, stream, 0, 27, T0 + 3 * MS), FLOW_NOTHING);
	assert_int_equal(seg(f, PORT + 1, stream, 27, 30, T0 + 4 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 4 * MS);
	assert_int_equal(stats(f)->hellos, 2);
}

static void test_flow_process_hello_seq_wrap(void **state)
{
	struct fixture *f = *state;

	/* Stream offset 31 is sequence number 0. */
	assert_int_equal(syn(f, PORT, 0xffffffe0u, T0), FLOW_NOTHING);
	pkt(f, PORT, TCPF_ACK | TCPF_PSH, 0x00000000u, hello + 31, 21);
	assert_int_equal(process(f, T0 + MS), FLOW_NOTHING);
	pkt(f, PORT, TCPF_ACK | TCPF_PSH, 0xffffffe1u, hello, 31);
	assert_int_equal(process(f, T0 + 2 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 2 * MS);
}

static void test_flow_process_retransmit_counted(void **state)
{
	struct fixture *f = *state;

	syn(f, PORT, ISN, T0);
	assert_int_equal(seg(f, PORT, hello, 0, 20, T0 + MS), FLOW_NOTHING);
	assert_int_equal(seg(f, PORT, hello, 0, 20, T0 + 200 * MS), FLOW_NOTHING);
	assert_int_equal(stats(f)->retransmits, 1);
	assert_int_equal(stats(f)->overlap_bytes, 20);

	/* A partial overlap brings new bytes: not a retransmit, overlap counted. */
	assert_int_equal(seg(f, PORT, hello, 10, 20, T0 + 201 * MS), FLOW_NOTHING);
	assert_int_equal(stats(f)->retransmits, 1);
	assert_int_equal(stats(f)->overlap_bytes, 30);
	assert_int_equal(lookup(f, PORT)->reasm.contig, 30);

	assert_int_equal(seg(f, PORT, hello, 30, 22, T0 + 202 * MS), FLOW_HELLO);
	assert_int_equal(f->out.flow->first_byte_ns, T0 + MS);
	check_hello_and_finish(f, T0 + 202 * MS);
}

/* The overlap evasion at flow level: bytes 20.. of another hello held, then
 * the hello whole in order. The in-order copy is the one handed out (the
 * server's kernel delivers it), and the differing bytes are counted; a
 * later differing retransmit of in-order bytes changes nothing. */
static void test_flow_process_overlap_in_order_wins(void **state)
{
	struct fixture *f = *state;
	uint8_t other[sizeof(hello)];

	memcpy(other, hello, sizeof(hello));
	for (size_t i = 20; i < 36; i++)
		other[i] ^= 0x5a; /* another random */
	syn(f, PORT, ISN, T0);
	assert_int_equal(seg(f, PORT, other, 20, 32, T0 + MS), FLOW_NOTHING);
	assert_int_equal(seg(f, PORT, hello, 0, sizeof(hello), T0 + 2 * MS), FLOW_HELLO);
	assert_int_equal(stats(f)->overlap_bytes, 32);
	assert_int_equal(stats(f)->conflict_bytes, 16);
	assert_int_equal(f->out.flow->conflict, 1); /* the record says so */
	check_hello_and_finish(f, T0 + 2 * MS);

	/* In order first, then a differing copy of its bytes: the first stays. */
	syn(f, PORT + 1, ISN, T0 + 3 * MS);
	assert_int_equal(seg(f, PORT + 1, hello, 0, 30, T0 + 4 * MS), FLOW_NOTHING);
	assert_int_equal(seg(f, PORT + 1, other, 10, 20, T0 + 5 * MS), FLOW_NOTHING);
	assert_int_equal(stats(f)->conflict_bytes, 16 + 10);
	assert_int_equal(stats(f)->retransmits, 1);
	assert_int_equal(seg(f, PORT + 1, hello, 30, 22, T0 + 6 * MS), FLOW_HELLO);
	assert_int_equal(stats(f)->conflict_bytes, 16 + 10);
	assert_int_equal(f->out.flow->conflict, 1);
	check_hello_and_finish(f, T0 + 6 * MS);

	/* Copies that agree are no conflict; a reused 4-tuple starts clean. */
	syn(f, PORT + 2, ISN, T0 + 7 * MS);
	assert_int_equal(seg(f, PORT + 2, hello, 0, 30, T0 + 8 * MS), FLOW_NOTHING);
	assert_int_equal(seg(f, PORT + 2, hello, 10, 20, T0 + 9 * MS), FLOW_NOTHING);
	assert_int_equal(seg(f, PORT + 2, hello, 30, 22, T0 + 10 * MS), FLOW_HELLO);
	assert_int_equal(f->out.flow->conflict, 0);
	check_hello_and_finish(f, T0 + 10 * MS);
}

static void test_flow_process_pickup_missed_syn(void **state)
{
	struct fixture *f = *state;
	struct flow *fl;

	/* The whole hello, no SYN seen. */
	pkt(f, PORT, TCPF_ACK | TCPF_PSH, 5000, hello, sizeof(hello));
	assert_int_equal(process(f, T0), FLOW_HELLO);
	fl = f->out.flow;
	assert_ptr_equal(fl, lookup(f, PORT));
	assert_int_equal(stats(f)->pickups, 1);
	assert_int_equal(stats(f)->created, 1);
	assert_int_equal(stats(f)->syns, 0);
	assert_int_equal(fl->has_syn, 0);
	assert_int_equal(fl->syn_ns, 0);
	assert_int_equal(fl->first_byte_ns, T0);
	assert_int_equal(fl->reasm.base, 5000);
	/* Metadata from the hello segment. */
	assert_int_equal(fl->meta.ttl, 63);
	assert_int_equal(fl->meta.window, 502);
	assert_int_equal(fl->meta.ip_total_len, 20 + 20 + 12 + sizeof(hello));
	assert_int_equal(fl->meta.opt_len, sizeof(ts_opts));
	assert_memory_equal(fl->meta.opts, ts_opts, sizeof(ts_opts));
	check_hello_and_finish(f, T0);

	/* Picked up from a first segment of only 10 bytes. */
	pkt(f, PORT + 1, TCPF_ACK, 9000, hello, 10);
	assert_int_equal(process(f, T0 + MS), FLOW_NOTHING);
	assert_int_equal(flow_table_count(f->ft), 2);
	pkt(f, PORT + 1, TCPF_ACK, 9010, hello + 10, 42);
	assert_int_equal(process(f, T0 + 2 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 2 * MS);
	assert_int_equal(stats(f)->pickups, 2);
	assert_int_equal(stats(f)->no_flow, 0);

	/* As in the kernel program (J4S_TLS_LOOKS_LIKE_HELLO): the record
	 * header alone picks up nothing, with the handshake type it does. */
	pkt(f, PORT + 2, TCPF_ACK, 7000, hello, 5);
	assert_int_equal(process(f, T0 + 3 * MS), FLOW_NOTHING);
	assert_int_equal(stats(f)->no_flow, 1);
	pkt(f, PORT + 3, TCPF_ACK, 7000, hello, 6);
	assert_int_equal(process(f, T0 + 3 * MS), FLOW_NOTHING);
	assert_int_equal(stats(f)->pickups, 3);
	assert_ptr_not_equal(lookup(f, PORT + 3), NULL);
}

static void test_flow_process_no_flow_without_hello(void **state)
{
	static const uint8_t server_hello[] = { 0x16, 0x03, 0x03, 0x00, 0x2f, 0x02, 0x00, 0x00 };
	static const uint8_t app_data[] = { 0x17, 0x03, 0x03, 0x00, 0x20, 0x01 };
	static const uint8_t sslv2ish[] = { 0x16, 0x02, 0x00 };
	struct fixture *f = *state;

	pkt(f, PORT, TCPF_ACK, 100, NULL, 0);
	assert_int_equal(process(f, T0), FLOW_NOTHING);
	pkt(f, PORT, TCPF_ACK | TCPF_PSH, 100, http_get, sizeof(http_get) - 1);
	assert_int_equal(process(f, T0), FLOW_NOTHING);
	pkt(f, PORT, TCPF_ACK, 100, server_hello, sizeof(server_hello));
	assert_int_equal(process(f, T0), FLOW_NOTHING);
	pkt(f, PORT, TCPF_ACK, 100, app_data, sizeof(app_data));
	assert_int_equal(process(f, T0), FLOW_NOTHING);
	pkt(f, PORT, TCPF_ACK, 100, sslv2ish, sizeof(sslv2ish));
	assert_int_equal(process(f, T0), FLOW_NOTHING);
	/* A hello-looking payload on a reset or a SYN|ACK starts nothing. */
	pkt(f, PORT, TCPF_RST | TCPF_ACK, 100, hello, sizeof(hello));
	assert_int_equal(process(f, T0), FLOW_NOTHING);
	pkt(f, PORT, TCPF_SYN | TCPF_ACK, 100, hello, sizeof(hello));
	assert_int_equal(process(f, T0), FLOW_NOTHING);
	pkt(f, PORT, TCPF_FIN | TCPF_ACK, 100, NULL, 0);
	assert_int_equal(process(f, T0), FLOW_NOTHING);

	assert_int_equal(stats(f)->no_flow, 7);
	assert_int_equal(stats(f)->bare_acks, 1); /* the first one, not even looked up */
	assert_int_equal(stats(f)->created, 0);
	assert_int_equal(flow_table_count(f->ft), 0);
	assert_null(lookup(f, PORT));
}

static void test_flow_process_not_tls_after_syn(void **state)
{
	struct fixture *f = *state;
	struct flow *fl;

	syn(f, PORT, ISN, T0);
	assert_int_equal(seg(f, PORT, http_get, 0, sizeof(http_get) - 1, T0 + MS), FLOW_ENDED);
	assert_int_equal(stats(f)->not_tls, 1);
	fl = lookup(f, PORT);
	assert_non_null(fl);
	assert_int_equal(fl->state, FLOW_DONE);
	assert_null(fl->reasm.buf);

	/* The rest costs nothing; a hello-looking segment later is no hello. */
	pkt(f, PORT, TCPF_ACK, DATA + 37, NULL, 0);
	assert_int_equal(process(f, T0 + 2 * MS), FLOW_NOTHING);
	pkt(f, PORT, TCPF_ACK | TCPF_PSH, DATA + 37, hello, sizeof(hello));
	assert_int_equal(process(f, T0 + 3 * MS), FLOW_NOTHING);
	assert_int_equal(seg(f, PORT, hello, 0, sizeof(hello), T0 + 4 * MS), FLOW_NOTHING);
	assert_int_equal(stats(f)->after_done, 2);
	assert_int_equal(stats(f)->bare_acks, 1);
	assert_int_equal(stats(f)->hellos, 0);
	assert_int_equal(stats(f)->pickups, 0);
	assert_int_equal(fl->state, FLOW_DONE);
	assert_int_equal(flow_table_count(f->ft), 1);
}

static void test_flow_process_bad_tls_ends(void **state)
{
	/* record header, then handshake type and 24-bit length */
	static const uint8_t server_hello[9] = { 0x16, 0x03, 0x03, 0x00, 0x2f, 0x02, 0, 0, 0x2b };
	static const uint8_t empty_record[9] = { 0x16, 0x03, 0x01, 0x00, 0x00, 0x01, 0, 0, 0x00 };
	static const uint8_t huge_hello[9] = { 0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0, 0x40, 0x01 };
	struct fixture *f = *state;

	syn(f, PORT, ISN, T0);
	assert_int_equal(seg(f, PORT, server_hello, 0, 9, T0 + MS), FLOW_ENDED);
	assert_int_equal(stats(f)->not_hello, 1);

	syn(f, PORT + 1, ISN, T0);
	assert_int_equal(seg(f, PORT + 1, empty_record, 0, 9, T0 + MS), FLOW_ENDED);
	assert_int_equal(stats(f)->malformed, 1);

	/* 16385 bytes of ClientHello body: larger than we take. */
	syn(f, PORT + 2, ISN, T0);
	assert_int_equal(seg(f, PORT + 2, huge_hello, 0, 9, T0 + MS), FLOW_ENDED);
	assert_int_equal(stats(f)->too_big, 1);

	assert_int_equal(lookup(f, PORT)->state, FLOW_DONE);
	assert_int_equal(lookup(f, PORT + 1)->state, FLOW_DONE);
	assert_int_equal(lookup(f, PORT + 2)->state, FLOW_DONE);
	assert_int_equal(stats(f)->hellos, 0);
}

static void test_flow_process_syn_retransmit(void **state)
{
	struct fixture *f = *state;
	struct flow *fl;

	syn(f, PORT, ISN, T0);
	assert_int_equal(syn(f, PORT, ISN, T0 + SEC), FLOW_NOTHING);
	assert_int_equal(syn(f, PORT, ISN, T0 + 3 * SEC), FLOW_NOTHING);
	assert_int_equal(stats(f)->syn_retransmits, 2);
	assert_int_equal(stats(f)->syns, 1);
	assert_int_equal(stats(f)->created, 1);
	assert_int_equal(stats(f)->reused, 0);
	fl = lookup(f, PORT);
	assert_int_equal(fl->syn_ns, T0); /* the first SYN's time is kept */
	assert_int_equal(seg(f, PORT, hello, 0, sizeof(hello), T0 + 3 * SEC + MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 3 * SEC + MS);
}

static void test_flow_process_port_reuse(void **state)
{
	const uint32_t isn2 = ISN + 0x01000000u;
	struct fixture *f = *state;
	struct flow *fl;

	syn(f, PORT, ISN, T0);
	assert_int_equal(seg(f, PORT, hello, 0, sizeof(hello), T0 + MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + MS);
	fl = lookup(f, PORT);

	/* The old SYN again: a retransmit, the flow stays done. */
	assert_int_equal(syn(f, PORT, ISN, T0 + 2 * MS), FLOW_NOTHING);
	assert_int_equal(fl->state, FLOW_DONE);
	assert_int_equal(stats(f)->syn_retransmits, 1);

	/* A new ISN: a new connection on the same 4-tuple. */
	assert_int_equal(syn(f, PORT, isn2, T0 + 5 * SEC), FLOW_NOTHING);
	assert_ptr_equal(lookup(f, PORT), fl);
	assert_int_equal(stats(f)->reused, 1);
	assert_int_equal(stats(f)->syns, 2);
	assert_int_equal(stats(f)->created, 1);
	assert_int_equal(flow_table_count(f->ft), 1);
	assert_int_equal(fl->state, FLOW_WAIT_HELLO);
	assert_int_equal(fl->isn, isn2);
	assert_int_equal(fl->reasm.base, isn2 + 1);
	assert_int_equal(fl->syn_ns, T0 + 5 * SEC);
	assert_int_equal(fl->first_byte_ns, 0);

	pkt(f, PORT, TCPF_ACK | TCPF_PSH, isn2 + 1, hello, sizeof(hello));
	assert_int_equal(process(f, T0 + 5 * SEC + MS), FLOW_HELLO);
	assert_int_equal(fl->first_byte_ns, T0 + 5 * SEC + MS);
	check_hello_and_finish(f, T0 + 5 * SEC + MS);
	assert_int_equal(stats(f)->hellos, 2);

	/* Back on the done list, timed from the second hello. */
	assert_int_equal(flow_table_expire(f->ft, T0 + 35 * SEC), 0);
	assert_int_equal(flow_table_expire(f->ft, T0 + 35 * SEC + MS), 1);
	assert_int_equal(stats(f)->expired_done, 1);
	assert_int_equal(stats(f)->timeouts, 0);
	assert_int_equal(flow_table_count(f->ft), 0);
}

static void test_flow_process_syn_reuse_waiting(void **state)
{
	struct fixture *f = *state;
	struct flow *fl;

	/* A new ISN on a waiting flow restarts it at the young end of the age list. */
	syn(f, PORT, ISN, T0);
	assert_int_equal(seg(f, PORT, hello, 0, 20, T0 + MS), FLOW_NOTHING);
	syn(f, PORT + 1, ISN, T0 + SEC);
	assert_int_equal(syn(f, PORT, ISN + 5000, T0 + 10 * SEC), FLOW_NOTHING);
	fl = lookup(f, PORT);
	assert_int_equal(stats(f)->reused, 1);
	assert_int_equal(fl->reasm.base, ISN + 5001);
	assert_int_equal(fl->reasm.contig, 0);
	assert_null(fl->reasm.buf);
	assert_int_equal(flow_table_expire(f->ft, T0 + 31 * SEC), 1);
	assert_null(lookup(f, PORT + 1));
	assert_ptr_equal(lookup(f, PORT), fl);
	assert_int_equal(flow_table_expire(f->ft, T0 + 40 * SEC), 1);
	assert_int_equal(stats(f)->timeouts, 2);

	/* A SYN on a flow picked up without one is a new connection, whatever its number. */
	pkt(f, PORT + 2, TCPF_ACK, 7000, hello, 10);
	assert_int_equal(process(f, T0 + 41 * SEC), FLOW_NOTHING);
	assert_int_equal(syn(f, PORT + 2, 7000, T0 + 42 * SEC), FLOW_NOTHING);
	assert_int_equal(stats(f)->syn_retransmits, 0);
	assert_int_equal(stats(f)->reused, 2);
	fl = lookup(f, PORT + 2);
	assert_int_equal(fl->has_syn, 1);
	assert_int_equal(fl->syn_ns, T0 + 42 * SEC);
	assert_int_equal(fl->reasm.base, 7001);
}

static void test_flow_process_rst_before_hello(void **state)
{
	struct fixture *f = *state;

	syn(f, PORT, ISN, T0);
	assert_int_equal(seg(f, PORT, hello, 0, 20, T0 + MS), FLOW_NOTHING);
	assert_non_null(lookup(f, PORT)->reasm.buf);
	pkt(f, PORT, TCPF_RST | TCPF_ACK, DATA + 20, NULL, 0);
	assert_int_equal(process(f, T0 + 2 * MS), FLOW_ENDED);
	assert_int_equal(stats(f)->rst, 1);
	assert_int_equal(flow_table_count(f->ft), 0);
	assert_null(lookup(f, PORT));

	/* The rest of the hello now belongs to no flow. */
	assert_int_equal(seg(f, PORT, hello, 20, 32, T0 + 3 * MS), FLOW_NOTHING);
	assert_int_equal(stats(f)->no_flow, 1);
	assert_int_equal(stats(f)->hellos, 0);

	/* A reset after the hello changes nothing: the done flow stays. */
	syn(f, PORT + 1, ISN, T0);
	assert_int_equal(seg(f, PORT + 1, hello, 0, sizeof(hello), T0 + MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + MS);
	pkt(f, PORT + 1, TCPF_RST, DATA + sizeof(hello), NULL, 0);
	assert_int_equal(process(f, T0 + 2 * MS), FLOW_NOTHING);
	assert_int_equal(stats(f)->rst, 1);
	assert_non_null(lookup(f, PORT + 1));
}

static void test_flow_process_fin_before_hello_complete(void **state)
{
	struct fixture *f = *state;

	/* Part of a hello, then FIN. */
	syn(f, PORT, ISN, T0);
	assert_int_equal(seg(f, PORT, hello, 0, 20, T0 + MS), FLOW_NOTHING);
	pkt(f, PORT, TCPF_FIN | TCPF_ACK, DATA + 20, NULL, 0);
	assert_int_equal(process(f, T0 + 2 * MS), FLOW_ENDED);
	assert_int_equal(stats(f)->fin_incomplete, 1);
	assert_int_equal(lookup(f, PORT)->state, FLOW_DONE);

	/* FIN with no data at all. */
	syn(f, PORT + 1, ISN, T0);
	pkt(f, PORT + 1, TCPF_FIN | TCPF_ACK, DATA, NULL, 0);
	assert_int_equal(process(f, T0 + MS), FLOW_ENDED);
	assert_int_equal(stats(f)->fin_incomplete, 2);

	/* The FIN comes with a segment ahead of a gap: ends once the gap fills. */
	syn(f, PORT + 2, ISN, T0);
	pkt(f, PORT + 2, TCPF_FIN | TCPF_ACK | TCPF_PSH, DATA + 20, hello + 20, 20);
	assert_int_equal(process(f, T0 + MS), FLOW_NOTHING);
	assert_int_equal(seg(f, PORT + 2, hello, 0, 20, T0 + 2 * MS), FLOW_ENDED);
	assert_int_equal(stats(f)->fin_incomplete, 3);

	/* A FIN after the last hello byte, the gap filled late: still a hello. */
	syn(f, PORT + 3, ISN, T0);
	pkt(f, PORT + 3, TCPF_FIN | TCPF_ACK | TCPF_PSH, DATA + 20, hello + 20, 32);
	assert_int_equal(process(f, T0 + MS), FLOW_NOTHING);
	assert_int_equal(seg(f, PORT + 3, hello, 0, 20, T0 + 2 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 2 * MS);
	assert_int_equal(stats(f)->fin_incomplete, 3);
	assert_int_equal(stats(f)->hellos, 1);
}

static void test_flow_process_syn_with_data(void **state)
{
	struct fixture *f = *state;

	/* TCP Fast Open: the hello rides on the SYN, from sequence number ISN + 1. */
	pkt(f, PORT, TCPF_SYN, ISN, hello, sizeof(hello));
	assert_int_equal(process(f, T0), FLOW_HELLO);
	assert_int_equal(stats(f)->syns, 1);
	assert_int_equal(f->out.flow->has_syn, 1);
	assert_int_equal(f->out.flow->meta.ttl, 64);
	check_hello_and_finish(f, T0);

	/* Part of it on the SYN, the rest after. */
	pkt(f, PORT + 1, TCPF_SYN, ISN, hello, 20);
	assert_int_equal(process(f, T0), FLOW_NOTHING);
	assert_int_equal(seg(f, PORT + 1, hello, 20, 32, T0 + MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + MS);
	assert_int_equal(stats(f)->not_tls, 0);
}

static void test_flow_process_segment_limit(void **state)
{
	struct fixture *f = *state;

	/* max_segments 3: a hello dribbled one byte at a time, in order, is
	 * progress all the way (bounded by max_bytes), and delivered. */
	syn(f, PORT, ISN, T0);
	for (uint32_t i = 0; i + 1 < sizeof(hello); i++)
		assert_int_equal(seg(f, PORT, hello, i, 1, T0 + (i + 1) * MS), FLOW_NOTHING);
	assert_int_equal(seg(f, PORT, hello, sizeof(hello) - 1, 1, T0 + 60 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 60 * MS);
	assert_int_equal(stats(f)->segment_limit, 0);

	/* Retransmits of in-order bytes count towards the limit, but past it
	 * they are ignored, not the end of the flow: bytes the server holds in
	 * order are final there, so copies change nothing it reads, and a
	 * client resending them 100 times must not hide its hello. */
	syn(f, PORT + 1, ISN, T0);
	assert_int_equal(seg(f, PORT + 1, hello, 0, 10, T0 + MS), FLOW_NOTHING);
	for (uint32_t i = 0; i < 100; i++)
		assert_int_equal(seg(f, PORT + 1, hello, 0, 10, T0 + MS), FLOW_NOTHING);
	assert_int_equal(lookup(f, PORT + 1)->reasm.segments, 3);
	assert_int_equal(seg(f, PORT + 1, hello, 10, sizeof(hello) - 10, T0 + 2 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 2 * MS);
	assert_int_equal(stats(f)->segment_limit, 0);

	/* Past the cap, one that would open a new hole ahead is ignored,
	 * counted, and ends nothing: the rest in order still completes it. */
	syn(f, PORT + 5, ISN, T0);
	assert_int_equal(seg(f, PORT + 5, hello, 0, 10, T0 + MS), FLOW_NOTHING);
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(seg(f, PORT + 5, hello, 0, 10, T0 + MS), FLOW_NOTHING);
	assert_int_equal(seg(f, PORT + 5, hello, 20, 5, T0 + 2 * MS), FLOW_NOTHING);
	assert_int_equal(stats(f)->segment_limit, 1);
	assert_int_equal(lookup(f, PORT + 5)->state, FLOW_WAIT_HELLO);
	assert_int_equal(lookup(f, PORT + 5)->reasm.n_ranges, 0);
	assert_int_equal(seg(f, PORT + 5, hello, 10, sizeof(hello) - 10, T0 + 3 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 3 * MS);

	/* Held segments count when each opens a hole of its own: a byte a
	 * segment, backwards; past the cap the next is ignored, and in-order
	 * bytes still join what is held. */
	syn(f, PORT + 3, ISN, T0);
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(seg(f, PORT + 3, hello, 51 - i, 1, T0 + MS), FLOW_NOTHING);
	assert_int_equal(seg(f, PORT + 3, hello, 48, 1, T0 + MS), FLOW_NOTHING);
	assert_int_equal(stats(f)->segment_limit, 2);
	assert_int_equal(seg(f, PORT + 3, hello, 0, 48, T0 + 2 * MS), FLOW_NOTHING);
	assert_int_equal(seg(f, PORT + 3, hello, 48, 1, T0 + 2 * MS), FLOW_HELLO); /* joins 49-51 */
	check_hello_and_finish(f, T0 + 2 * MS);

	/* Forwards, a byte a segment after a hole: each extends the held
	 * one (coalesced, as the receiver does), only the first counts. */
	syn(f, PORT + 4, ISN, T0);
	for (uint32_t i = 1; i < sizeof(hello); i++)
		assert_int_equal(seg(f, PORT + 4, hello, i, 1, T0 + MS), FLOW_NOTHING);
	assert_int_equal(lookup(f, PORT + 4)->reasm.segments, 1); /* the first opened the hole */
	assert_int_equal(seg(f, PORT + 4, hello, 0, 1, T0 + 2 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 2 * MS);

	/* Three segments are still allowed. */
	syn(f, PORT + 2, ISN, T0);
	assert_int_equal(seg(f, PORT + 2, hello, 0, 10, T0 + MS), FLOW_NOTHING);
	assert_int_equal(seg(f, PORT + 2, hello, 10, 10, T0 + MS), FLOW_NOTHING);
	assert_int_equal(seg(f, PORT + 2, hello, 20, 32, T0 + MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + MS);
}

/* The hello in 1-byte TLS records, sent a byte per segment: delivered,
 * joined, with the segment cap of 3 never touched. */
static void test_flow_process_one_byte_records(void **state)
{
	struct fixture *f = *state;
	uint8_t stream[MSG_LEN * 6];
	uint32_t n = 0;

	for (uint32_t i = 0; i < MSG_LEN; i++) {
		const uint8_t rec[6] = { 0x16, 0x03, 0x01, 0x00, 0x01, MSG[i] };

		memcpy(stream + n, rec, sizeof(rec));
		n += sizeof(rec);
	}
	syn(f, PORT, ISN, T0);
	for (uint32_t i = 0; i + 1 < n; i++)
		assert_int_equal(seg(f, PORT, stream, i, 1, T0 + MS), FLOW_NOTHING);
	assert_int_equal(seg(f, PORT, stream, n - 1, 1, T0 + 2 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 2 * MS);
	assert_int_equal(stats(f)->segment_limit, 0);
}

static void test_flow_process_byte_limit(void **state)
{
	struct fixture *f = *state;
	uint8_t big[40];

	/* max_bytes 64: the 52-byte hello fits. */
	syn(f, PORT, ISN, T0);
	assert_int_equal(seg(f, PORT, hello, 0, 20, T0 + MS), FLOW_NOTHING);
	assert_int_equal(seg(f, PORT, hello, 20, 32, T0 + MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + MS);

	/* A hello announcing 200 bytes of body cannot fit: ended at once. */
	memcpy(big, hello, sizeof(big));
	big[4] = 0xcc; /* record: 204 bytes */
	big[8] = 0xc8; /* ClientHello: 200 bytes */
	syn(f, PORT + 1, ISN, T0);
	assert_int_equal(seg(f, PORT + 1, big, 0, 30, T0 + MS), FLOW_ENDED);
	assert_int_equal(stats(f)->byte_limit, 1);
	assert_int_equal(lookup(f, PORT + 1)->state, FLOW_DONE);

	/* A segment starting beyond the limit. */
	syn(f, PORT + 2, ISN, T0);
	assert_int_equal(seg(f, PORT + 2, hello, 0, 20, T0 + MS), FLOW_NOTHING);
	pkt(f, PORT + 2, TCPF_ACK, DATA + 70, hello, 10);
	assert_int_equal(process(f, T0 + 2 * MS), FLOW_ENDED);
	assert_int_equal(stats(f)->byte_limit, 2);
	assert_int_equal(stats(f)->hellos, 1);
}

static void test_flow_process_table_full_evicts(void **state)
{
	struct fixture *f = *state;

	/* max_flows 4: A B C D waiting; C then B finish their hello. */
	for (uint16_t i = 0; i < 4; i++)
		assert_int_equal(syn(f, PORT + i, ISN, T0 + i * MS), FLOW_NOTHING);
	assert_int_equal(seg(f, PORT + 2, hello, 0, sizeof(hello), T0 + 10 * MS), FLOW_HELLO);
	flow_table_finish(f->ft, f->out.flow, T0 + 10 * MS);
	assert_int_equal(seg(f, PORT + 1, hello, 0, sizeof(hello), T0 + 11 * MS), FLOW_HELLO);
	flow_table_finish(f->ft, f->out.flow, T0 + 11 * MS);
	assert_int_equal(flow_table_count(f->ft), 4);

	/* E: the first finished (C) goes. */
	assert_int_equal(syn(f, PORT + 4, ISN, T0 + 20 * MS), FLOW_NOTHING);
	assert_int_equal(stats(f)->evicted_done, 1);
	assert_null(lookup(f, PORT + 2));
	assert_non_null(lookup(f, PORT + 1));
	assert_non_null(lookup(f, PORT + 4));

	/* F: the other finished one (B). */
	assert_int_equal(syn(f, PORT + 5, ISN, T0 + 21 * MS), FLOW_NOTHING);
	assert_int_equal(stats(f)->evicted_done, 2);
	assert_null(lookup(f, PORT + 1));

	/* G: none finished, the oldest waiting (A) goes. */
	assert_int_equal(syn(f, PORT + 6, ISN, T0 + 22 * MS), FLOW_NOTHING);
	assert_int_equal(stats(f)->evicted_active, 1);
	assert_null(lookup(f, PORT));
	assert_non_null(lookup(f, PORT + 3));
	assert_non_null(lookup(f, PORT + 6));

	/* A pickup also makes room; then D, the next oldest, is gone. */
	pkt(f, PORT + 7, TCPF_ACK, 77, hello, sizeof(hello));
	assert_int_equal(process(f, T0 + 23 * MS), FLOW_HELLO);
	assert_int_equal(stats(f)->evicted_active, 2);
	assert_null(lookup(f, PORT + 3));
	assert_int_equal(flow_table_count(f->ft), 4);
	assert_int_equal(stats(f)->created, 8);
}

static void test_flow_table_expire_waiting(void **state)
{
	struct fixture *f = *state;

	syn(f, PORT, ISN, T0);
	assert_int_equal(seg(f, PORT, hello, 0, 20, T0 + MS), FLOW_NOTHING); /* a buffer held */
	syn(f, PORT + 1, ISN, T0 + 10 * SEC);

	assert_int_equal(flow_table_expire(f->ft, T0 + 30 * SEC - 1), 0);
	assert_int_equal(flow_table_count(f->ft), 2);
	/* Counted from creation, not from the last segment. */
	assert_int_equal(flow_table_expire(f->ft, T0 + 30 * SEC), 1);
	assert_int_equal(stats(f)->timeouts, 1);
	assert_null(lookup(f, PORT));
	assert_non_null(lookup(f, PORT + 1));
	assert_int_equal(flow_table_expire(f->ft, T0 + 40 * SEC), 1);
	assert_int_equal(stats(f)->timeouts, 2);
	assert_int_equal(flow_table_count(f->ft), 0);
	assert_int_equal(flow_table_expire(f->ft, T0 + 100 * SEC), 0);
	assert_int_equal(stats(f)->expired_done, 0);
}

/*
 * Injected clocks (design.md §10, issue 14 item 5): the host's wall clock
 * and CLOCK_MONOTONIC, stepped independently. The live capture stamps
 * packets with the wall clock and maps them with packet_mono_ns() when it
 * reads them; the flow table only ever sees the monotonic result.
 */
struct clocks {
	uint64_t real, mono;
};

static void advance(struct clocks *c, uint64_t ns)
{
	c->real += ns;
	c->mono += ns;
}

/* A packet stamped now and read now. */
static uint64_t read_now(const struct clocks *c)
{
	return packet_mono_ns(c->real, c->real, c->mono);
}

static void test_flow_wall_clock_steps_back(void **state)
{
	struct fixture *f = *state;
	struct clocks c = { .real = T0, .mono = 5000 * SEC };

	syn(f, PORT, ISN, read_now(&c));
	advance(&c, MS);
	assert_int_equal(seg(f, PORT, hello, 0, 20, read_now(&c)), FLOW_NOTHING);
	c.real -= 3600 * SEC; /* NTP steps the wall clock an hour back */
	advance(&c, 29 * SEC);
	syn(f, PORT + 1, ISN, read_now(&c));
	assert_int_equal(flow_table_expire(f->ft, c.mono), 0);
	advance(&c, SEC);
	/* 30 s after the first SYN on the monotonic clock: expired, though by
	 * the wall clock it came an hour in the future (a wall-clock table
	 * would hold it, and every flow after it, for an hour). */
	assert_int_equal(flow_table_expire(f->ft, c.mono), 1);
	assert_null(lookup(f, PORT));
	assert_non_null(lookup(f, PORT + 1));
	assert_int_equal(stats(f)->timeouts, 1);
}

static void test_flow_wall_clock_steps_forward(void **state)
{
	struct fixture *f = *state;
	struct clocks c = { .real = T0, .mono = 5000 * SEC };
	uint64_t stamped;

	syn(f, PORT, ISN, read_now(&c));
	syn(f, PORT + 1, ISN, read_now(&c));
	advance(&c, MS);
	assert_int_equal(seg(f, PORT, hello, 0, 20, read_now(&c)), FLOW_NOTHING);
	assert_int_equal(seg(f, PORT + 1, hello, 0, 20, read_now(&c)), FLOW_NOTHING);
	/* A segment stamped just before a one-day step and read just after it:
	 * its age is bounded, it does not date from yesterday. */
	advance(&c, MS);
	stamped = c.real;
	c.real += 86400 * SEC;
	assert_int_equal(packet_mono_ns(stamped, c.real, c.mono), c.mono - PACKET_MONO_MAX_AGO);
	assert_int_equal(seg(f, PORT, hello, 20, sizeof(hello) - 20,
			     packet_mono_ns(stamped, c.real, c.mono)),
			 FLOW_HELLO);
	flow_table_finish(f->ft, f->out.flow, c.mono);
	/* Nothing in flight expires: the second hello completes a second later. */
	advance(&c, SEC);
	assert_int_equal(flow_table_expire(f->ft, c.mono), 0);
	assert_int_equal(seg(f, PORT + 1, hello, 20, sizeof(hello) - 20, read_now(&c)), FLOW_HELLO);
	assert_int_equal(stats(f)->timeouts, 0);
	/* A packet stamped after the clocks were sampled is read as "now". */
	assert_int_equal(packet_mono_ns(c.real + SEC, c.real, c.mono), c.mono);
}

static void test_flow_table_expire_done(void **state)
{
	struct fixture *f = *state;

	syn(f, PORT, ISN, T0);
	syn(f, PORT + 1, ISN, T0 + 5 * SEC);
	assert_int_equal(seg(f, PORT, hello, 0, sizeof(hello), T0 + 20 * SEC), FLOW_HELLO);
	flow_table_finish(f->ft, f->out.flow, T0 + 20 * SEC);

	/* The waiting one times out; the done one is timed from its hello. */
	assert_int_equal(flow_table_expire(f->ft, T0 + 35 * SEC), 1);
	assert_int_equal(stats(f)->timeouts, 1);
	assert_null(lookup(f, PORT + 1));
	assert_non_null(lookup(f, PORT));
	assert_int_equal(flow_table_expire(f->ft, T0 + 50 * SEC - 1), 0);
	assert_int_equal(flow_table_expire(f->ft, T0 + 50 * SEC), 1);
	assert_int_equal(stats(f)->expired_done, 1);
	assert_int_equal(stats(f)->timeouts, 1);
	assert_int_equal(flow_table_count(f->ft), 0);

	/* Forgotten: a hello on that 4-tuple now starts a new flow. */
	assert_int_equal(seg(f, PORT, hello, 0, sizeof(hello), T0 + 51 * SEC), FLOW_HELLO);
	assert_int_equal(stats(f)->pickups, 1);
	check_hello_and_finish(f, T0 + 51 * SEC);
}

/* Once every flow has expired the pool starts over (its pages go back to
 * the system): flows made after that work as before. */
static void test_flow_table_pool_restarts_when_empty(void **state)
{
	struct fixture *f = *state;

	for (int round = 0; round < 3; round++) {
		uint64_t t = T0 + (uint64_t)round * 100 * SEC;

		for (uint16_t i = 0; i < 200; i++)
			syn(f, (uint16_t)(PORT + i), ISN, t);
		assert_int_equal(seg(f, PORT + 7, hello, 0, 20, t + MS), FLOW_NOTHING);
		assert_int_equal(flow_table_count(f->ft), 200);
		assert_int_equal(flow_table_expire(f->ft, t + 31 * SEC), 200);
		assert_int_equal(flow_table_count(f->ft), 0);
		assert_null(lookup(f, PORT + 7));
		/* A new flow after the restart: clean state, its hello complete. */
		assert_int_equal(seg(f, PORT + 7, hello, 0, sizeof(hello), t + 40 * SEC),
				 FLOW_HELLO);
		check_hello_and_finish(f, t + 40 * SEC);
		assert_int_equal(flow_table_expire(f->ft, t + 80 * SEC), 1);
	}
	assert_int_equal(stats(f)->timeouts, 600);
}

static void test_flow_table_finish_frees_reasm(void **state)
{
	struct fixture *f = *state;
	struct flow *fl;

	syn(f, PORT, ISN, T0);
	assert_int_equal(seg(f, PORT, hello, 20, 32, T0 + MS), FLOW_NOTHING);
	assert_int_equal(seg(f, PORT, hello, 0, 20, T0 + 2 * MS), FLOW_HELLO);
	fl = f->out.flow;
	assert_non_null(fl->reasm.buf);
	assert_ptr_equal(f->out.msg, fl->reasm.buf + 5); /* from the reassembly buffer */
	assert_memory_equal(f->out.msg, MSG, MSG_LEN);

	flow_table_finish(f->ft, fl, T0 + 3 * MS);
	assert_int_equal(fl->state, FLOW_DONE);
	assert_int_equal(fl->created_ns, T0 + 3 * MS);
	assert_null(fl->reasm.buf);
	assert_null(fl->reasm.ranges);
	assert_int_equal(fl->reasm.cap, 0);
	assert_int_equal(fl->reasm.contig, 0);

	/* Twice is a no-op: the completion time stays. */
	flow_table_finish(f->ft, fl, T0 + 9 * MS);
	assert_int_equal(fl->created_ns, T0 + 3 * MS);
	assert_int_equal(flow_table_count(f->ft), 1);
}

static void test_flow_process_buffer_budget(void **state)
{
	struct fixture *f = *state;

	/* Budget of 100 bytes: two flows hold 48-byte buffers (the 40 bytes of
	 * their first segment, in steps of 16), the third one's buffer pushes the
	 * total over and the oldest waiting flow goes. */
	for (uint16_t i = 0; i < 3; i++) {
		syn(f, PORT + i, ISN, T0 + i);
		assert_int_equal(seg(f, PORT + i, hello, 10, 30, T0 + MS + i), FLOW_NOTHING);
	}
	assert_int_equal(stats(f)->evicted_memory, 1);
	assert_null(lookup(f, PORT));
	assert_non_null(lookup(f, PORT + 1));
	assert_non_null(lookup(f, PORT + 2));
	/* The flows still there complete normally. */
	assert_int_equal(seg(f, PORT + 2, hello, 0, 10, T0 + 2 * MS), FLOW_NOTHING);
	assert_int_equal(seg(f, PORT + 2, hello, 40, 12, T0 + 2 * MS), FLOW_HELLO);
}

/* Once the flows holding reassembly buffers have expired, the buffers'
 * chunks are back to the system, but for the allocator's one spare. */
static void test_flow_table_expire_frees_buffers(void **state)
{
	struct fixture *f = *state;
	struct reasm_mem m;

	for (uint16_t i = 0; i < 3; i++) {
		syn(f, PORT + i, ISN, T0 + i);
		assert_int_equal(seg(f, PORT + i, hello, 10, 30, T0 + MS + i), FLOW_NOTHING);
	}
	reasm_mem(&m);
	assert_int_equal(m.live, 3);
	assert_int_equal(m.chunks, 1);
	assert_int_equal(flow_table_expire(f->ft, T0 + 29 * SEC), 0);
	reasm_mem(&m);
	assert_int_equal(m.live, 3);
	assert_int_equal(flow_table_expire(f->ft, T0 + 31 * SEC), 3);
	reasm_mem(&m);
	assert_int_equal(m.live, 0);
	assert_true(m.chunks <= 1);
}

static void test_flow_table_free_pending(void **state)
{
	struct fixture *f = *state;

	/* Flows left holding reassembly buffers: the teardown frees them all. */
	for (uint16_t i = 0; i < 10; i++) {
		syn(f, PORT + i, ISN, T0);
		assert_int_equal(seg(f, PORT + i, hello, 10, 30, T0 + MS), FLOW_NOTHING);
		assert_non_null(lookup(f, PORT + i)->reasm.buf);
	}
	assert_int_equal(flow_table_count(f->ft), 10);
	assert_int_equal(stats(f)->out_of_order, 10);
}

static void test_flow_process_truncated_capture(void **state)
{
	struct fixture *f = *state;

	/* A snaplen cut the hello: its bytes never all arrive, no hello. */
	syn(f, PORT, ISN, T0);
	pkt(f, PORT, TCPF_ACK | TCPF_PSH, DATA, hello, 30);
	f->pi.payload_wire = sizeof(hello);
	assert_int_equal(process(f, T0 + MS), FLOW_NOTHING);
	assert_int_equal(lookup(f, PORT)->reasm.contig, 30);
	assert_int_equal(stats(f)->hellos, 0);
	assert_int_equal(flow_table_expire(f->ft, T0 + 30 * SEC), 1);
	assert_int_equal(stats(f)->timeouts, 1);
}

static void test_flow_process_ipv6(void **state)
{
	struct fixture *f = *state;
	struct flow_key k4, k6;
	struct flow *fl;

	syn(f, PORT, ISN, T0); /* an IPv4 flow on the same ports */
	f->family = AF_INET6;
	assert_int_equal(syn(f, PORT, ISN, T0), FLOW_NOTHING);
	assert_int_equal(flow_table_count(f->ft), 2);
	fl = lookup(f, PORT);
	assert_non_null(fl);
	assert_int_equal(fl->key.family, AF_INET6);
	assert_memory_equal(fl->key.src, client6, 16);
	assert_memory_equal(fl->key.dst, server6, 16);
	assert_int_equal(fl->meta.ip_total_len, 80);
	assert_int_equal(fl->meta.df, 0);
	assert_int_equal(seg(f, PORT, hello, 0, sizeof(hello), T0 + MS), FLOW_HELLO);
	assert_ptr_equal(f->out.flow, fl);
	check_hello_and_finish(f, T0 + MS);

	/* Keys: zero padding, whatever was in the memory before. */
	memset(&k6, 0xff, sizeof(k6));
	flow_key_from_pkt(&f->pi, &k6);
	assert_int_equal(k6.pad[0] | k6.pad[1] | k6.pad[2], 0);
	f->family = AF_INET;
	pkt(f, PORT, TCPF_ACK, 0, NULL, 0);
	memset(&k4, 0xff, sizeof(k4));
	flow_key_from_pkt(&f->pi, &k4);
	assert_int_equal(k4.family, AF_INET);
	for (int i = 4; i < 16; i++)
		assert_int_equal(k4.src[i], 0);
	assert_int_equal(flow_table_lookup(f->ft, &k4)->state, FLOW_WAIT_HELLO);
}

/* ---- handshake validation (design.md §13) ---- */

#define SISN 0x70000000u /* server ISN: pkt() acknowledges SISN + 1 */

/* The server's SYN-ACK to the flow from client port cport. */
static void synack(struct fixture *f, uint16_t cport, uint32_t sisn, uint32_t ack, uint64_t now)
{
	struct pkt_info *pi = &f->pi;

	pkt(f, cport, TCPF_SYN | TCPF_ACK, sisn, NULL, 0);
	memcpy(pi->src, f->family == AF_INET6 ? server6 : server4, f->family == AF_INET6 ? 16 : 4);
	memcpy(pi->dst, f->family == AF_INET6 ? client6 : client4, f->family == AF_INET6 ? 16 : 4);
	pi->sport = 443;
	pi->dport = cport;
	pi->ack = ack;
	flow_synack(f->ft, pi, now);
}

static void test_flow_synack_validated(void **state)
{
	struct fixture *f = *state;

	syn(f, PORT, ISN, T0);
	synack(f, PORT, SISN, ISN + 1, T0 + MS);
	assert_int_equal(stats(f)->synacks, 1);
	assert_int_equal(lookup(f, PORT)->server_isn, SISN);
	assert_int_equal(seg(f, PORT, hello, 0, sizeof(hello), T0 + 2 * MS), FLOW_HELLO);
	assert_true(flow_validated(f->out.flow));
	assert_int_equal(stats(f)->validated, 1);
	assert_int_equal(stats(f)->unvalidated, 0);
	check_hello_and_finish(f, T0 + 2 * MS);
	/* A SYN-ACK of a finished flow changes nothing. */
	synack(f, PORT, SISN, ISN + 1, T0 + 3 * MS);
	assert_int_equal(stats(f)->synack_no_flow, 1);
}

static void test_flow_synack_wrong_ack(void **state)
{
	struct fixture *f = *state;

	/* The blind sender's guess at the server ISN is wrong. */
	syn(f, PORT, ISN, T0);
	synack(f, PORT, SISN + 12345, ISN + 1, T0 + MS);
	assert_int_equal(seg(f, PORT, hello, 0, sizeof(hello), T0 + 2 * MS), FLOW_HELLO);
	assert_false(flow_validated(f->out.flow));
	assert_int_equal(stats(f)->unvalidated, 1);
	check_hello_and_finish(f, T0 + 2 * MS);

	/* One segment of two with an ACK older than the ISN + 1 is enough:
	 * every hello segment must acknowledge the ISN, as the server's stack
	 * requires before the handshake's last ACK (after it, it takes one
	 * that old; a bare ACK decides, which the sensor does not follow). */
	syn(f, PORT + 1, ISN, T0);
	synack(f, PORT + 1, SISN, ISN + 1, T0 + MS);
	assert_int_equal(seg(f, PORT + 1, hello, 0, 20, T0 + 2 * MS), FLOW_NOTHING);
	pkt(f, PORT + 1, TCPF_ACK | TCPF_PSH, DATA + 20, hello + 20, sizeof(hello) - 20);
	f->pi.ack = SISN;
	assert_int_equal(process(f, T0 + 3 * MS), FLOW_HELLO);
	assert_false(flow_validated(f->out.flow));
	check_hello_and_finish(f, T0 + 3 * MS);

	/* A hello segment without the ACK flag: the server drops it, so its
	 * hello is handed out flagged, and the flow waits for the real one. */
	syn(f, PORT + 2, ISN, T0);
	synack(f, PORT + 2, SISN, ISN + 1, T0 + MS);
	pkt(f, PORT + 2, TCPF_PSH, DATA, hello, sizeof(hello));
	assert_int_equal(process(f, T0 + 2 * MS), FLOW_HELLO);
	assert_false(flow_validated(f->out.flow));
	flow_table_finish(f->ft, f->out.flow, T0 + 2 * MS);
	assert_int_equal(lookup(f, PORT + 2)->state, FLOW_WAIT_HELLO);
	assert_int_equal(seg(f, PORT + 2, hello, 0, sizeof(hello), T0 + 2 * MS), FLOW_HELLO);
	assert_true(flow_validated(f->out.flow));
	check_hello_and_finish(f, T0 + 2 * MS);

	/* A SYN-ACK answering another SYN than the one we hold: the server
	 * holds that connection now (one we did not see, or ignored), the flow
	 * starts over on it. */
	syn(f, PORT + 3, ISN, T0);
	synack(f, PORT + 3, SISN, ISN + 7, T0 + MS);
	assert_int_equal(stats(f)->synack_restarted, 1);
	assert_int_equal(lookup(f, PORT + 3)->has_synack, 1);
	assert_int_equal(lookup(f, PORT + 3)->reasm.base, ISN + 7);
	assert_int_equal(stats(f)->validated, 1);
	assert_int_equal(stats(f)->unvalidated, 3) /* with the flagged one of PORT + 2 */;
}

static void test_flow_synack_missing(void **state)
{
	struct fixture *f = *state;

	/* Asymmetric routing, or a capture of one direction: no SYN-ACK. */
	syn(f, PORT, ISN, T0);
	assert_int_equal(seg(f, PORT, hello, 0, sizeof(hello), T0 + 2 * MS), FLOW_HELLO);
	assert_false(flow_validated(f->out.flow));
	check_hello_and_finish(f, T0 + 2 * MS);

	/* Seen only after the first hello segment: that segment was not
	 * checked against it, so the hello stays unvalidated. */
	syn(f, PORT + 1, ISN, T0);
	assert_int_equal(seg(f, PORT + 1, hello, 0, 20, T0 + MS), FLOW_NOTHING);
	synack(f, PORT + 1, SISN, ISN + 1, T0 + 2 * MS);
	assert_int_equal(seg(f, PORT + 1, hello, 20, sizeof(hello) - 20, T0 + 3 * MS), FLOW_HELLO);
	assert_false(flow_validated(f->out.flow));
	assert_int_equal(stats(f)->unvalidated, 2);
}

static void test_flow_synack_pickup_without_syn(void **state)
{
	struct fixture *f = *state;

	/* Flow picked up from its hello, nothing of the handshake seen. */
	pkt(f, PORT, TCPF_ACK | TCPF_PSH, 5000, hello, sizeof(hello));
	assert_int_equal(process(f, T0), FLOW_HELLO);
	assert_false(flow_validated(f->out.flow));
	check_hello_and_finish(f, T0);

	/* SYN missed, SYN-ACK seen: the hello's ACK still proves the client
	 * got it. */
	synack(f, PORT + 1, SISN, 4999 + 1, T0);
	assert_int_equal(stats(f)->synack_early, 1);
	assert_int_equal(lookup(f, PORT + 1)->state, FLOW_WAIT_SYN);
	pkt(f, PORT + 1, TCPF_ACK | TCPF_PSH, 5000, hello, sizeof(hello));
	assert_int_equal(process(f, T0 + MS), FLOW_HELLO);
	assert_true(flow_validated(f->out.flow));
	assert_int_equal(stats(f)->pickups, 2);
	check_hello_and_finish(f, T0 + MS);

	/* A SYN-ACK-only flow is no flow for anything but a SYN or a hello. */
	synack(f, PORT + 2, SISN, ISN + 1, T0);
	pkt(f, PORT + 2, TCPF_ACK | TCPF_FIN, DATA, NULL, 0);
	assert_int_equal(process(f, T0 + MS), FLOW_NOTHING);
	assert_int_equal(stats(f)->no_flow, 1);
	assert_int_equal(lookup(f, PORT + 2)->state, FLOW_WAIT_SYN);
}

static void test_flow_synack_retransmitted(void **state)
{
	struct fixture *f = *state;

	syn(f, PORT, ISN, T0);
	synack(f, PORT, SISN, ISN + 1, T0 + MS);
	synack(f, PORT, SISN, ISN + 1, T0 + 1001 * MS);
	assert_int_equal(stats(f)->synacks, 1);
	assert_int_equal(stats(f)->synack_retransmits, 1);
	assert_int_equal(seg(f, PORT, hello, 0, sizeof(hello), T0 + 1002 * MS), FLOW_HELLO);
	assert_true(flow_validated(f->out.flow));
	assert_int_equal(stats(f)->validated, 1);
}

static void test_flow_synack_before_syn(void **state)
{
	struct fixture *f = *state;
	struct flow *fl;

	/* Capture order across CPUs or interfaces put the SYN-ACK first. */
	synack(f, PORT, SISN, ISN + 1, T0);
	fl = lookup(f, PORT);
	assert_non_null(fl);
	assert_int_equal(fl->state, FLOW_WAIT_SYN);
	assert_int_equal(stats(f)->synack_early, 1);
	assert_int_equal(syn(f, PORT, ISN, T0), FLOW_NOTHING);
	assert_ptr_equal(lookup(f, PORT), fl);
	assert_int_equal(fl->state, FLOW_WAIT_HELLO);
	assert_int_equal(fl->has_syn, 1);
	assert_int_equal(fl->has_synack, 1);
	assert_int_equal(stats(f)->syns, 1);
	assert_int_equal(stats(f)->created, 1);
	assert_int_equal(seg(f, PORT, hello, 0, sizeof(hello), T0 + 2 * MS), FLOW_HELLO);
	assert_true(flow_validated(f->out.flow));
	assert_int_equal(f->out.flow->meta.window, 64240); /* the SYN's metadata */
	check_hello_and_finish(f, T0 + 2 * MS);

	/* A SYN-ACK that does not answer the SYN that follows is dropped. */
	synack(f, PORT + 1, SISN, ISN + 100, T0);
	syn(f, PORT + 1, ISN, T0);
	assert_int_equal(lookup(f, PORT + 1)->has_synack, 0);
	assert_int_equal(seg(f, PORT + 1, hello, 0, sizeof(hello), T0 + 2 * MS), FLOW_HELLO);
	assert_false(flow_validated(f->out.flow));
}

static void test_flow_synack_never_evicts_waiting(void **state)
{
	struct fixture *f = *state;

	/* cfg_small: 4 flows, all waiting for their hello. */
	for (uint16_t i = 0; i < 4; i++)
		syn(f, PORT + i, ISN, T0);
	synack(f, PORT + 10, SISN, ISN + 1, T0 + MS);
	assert_int_equal(stats(f)->synack_no_flow, 1);
	assert_int_equal(stats(f)->evicted_active, 0);
	assert_null(lookup(f, PORT + 10));
	assert_int_equal(flow_table_count(f->ft), 4);
}

/* ---- the bucket of unvalidated flows (live pcap mode, design.md §13) ---- */

/* The hello of a flow from client port sport: SYN, then the hello whole. */
static enum flow_result syn_hello(struct fixture *f, uint16_t sport, uint64_t now)
{
	syn(f, sport, ISN, now);
	return seg(f, sport, hello, 0, sizeof(hello), now);
}

/* The hello of a validated flow: SYN, SYN-ACK, hello acknowledging it. */
static enum flow_result validated_hello(struct fixture *f, uint16_t sport, uint64_t now)
{
	syn(f, sport, ISN, now);
	synack(f, sport, SISN, ISN + 1, now);
	return seg(f, sport, hello, 0, sizeof(hello), now);
}

static void test_flow_bucket_burst_then_held_back(void **state)
{
	struct fixture *f = *state;

	/* The burst: 3 unvalidated flows at once, with or without the SYN. */
	assert_int_equal(syn_hello(f, PORT, T0), FLOW_HELLO);
	assert_false(flow_validated(f->out.flow));
	check_hello_and_finish(f, T0);
	assert_int_equal(syn_hello(f, PORT + 1, T0), FLOW_HELLO);
	check_hello_and_finish(f, T0);
	pkt(f, PORT + 2, TCPF_ACK | TCPF_PSH, 5000, hello, sizeof(hello));
	assert_int_equal(process(f, T0), FLOW_HELLO);
	check_hello_and_finish(f, T0);
	assert_int_equal(stats(f)->unvalidated, 3);
	assert_int_equal(stats(f)->unvalidated_limited, 0);

	/* Beyond it, a flow with its SYN is finished at its first hello
	 * segment, so the rest of it costs a lookup. */
	syn(f, PORT + 3, ISN, T0);
	assert_int_equal(seg(f, PORT + 3, hello, 0, 20, T0), FLOW_ENDED);
	assert_int_equal(stats(f)->unvalidated_limited, 1);
	assert_int_equal(lookup(f, PORT + 3)->state, FLOW_DONE);
	assert_int_equal(seg(f, PORT + 3, hello, 20, sizeof(hello) - 20, T0), FLOW_NOTHING);
	assert_int_equal(stats(f)->after_done, 1);
	/* A pickup held back takes no entry. */
	pkt(f, PORT + 4, TCPF_ACK | TCPF_PSH, 5000, hello, sizeof(hello));
	assert_int_equal(process(f, T0), FLOW_ENDED);
	assert_null(lookup(f, PORT + 4));
	assert_int_equal(stats(f)->pickups, 1);
	assert_int_equal(stats(f)->unvalidated_limited, 2);
	assert_int_equal(stats(f)->hellos, 3);
	assert_int_equal(flow_table_count(f->ft), 4);
}

static void test_flow_bucket_validated_passes_empty(void **state)
{
	struct fixture *f = *state;

	for (uint16_t i = 0; i < 3; i++)
		assert_int_equal(syn_hello(f, PORT + i, T0), FLOW_HELLO);
	assert_int_equal(syn_hello(f, PORT + 3, T0), FLOW_ENDED);
	/* Bucket empty: a client that got the SYN-ACK goes on all the same,
	 * with or without its SYN. */
	assert_int_equal(validated_hello(f, PORT + 4, T0), FLOW_HELLO);
	assert_true(flow_validated(f->out.flow));
	check_hello_and_finish(f, T0);
	synack(f, PORT + 5, SISN, 4999 + 1, T0);
	pkt(f, PORT + 5, TCPF_ACK | TCPF_PSH, 5000, hello, sizeof(hello));
	assert_int_equal(process(f, T0), FLOW_HELLO);
	assert_true(flow_validated(f->out.flow));
	/* Its SYN-ACK seen but its ACK wrong: unvalidated, held back. */
	syn(f, PORT + 6, ISN, T0);
	synack(f, PORT + 6, SISN + 12345, ISN + 1, T0);
	assert_int_equal(seg(f, PORT + 6, hello, 0, sizeof(hello), T0), FLOW_ENDED);
	assert_int_equal(stats(f)->validated, 2);
	assert_int_equal(stats(f)->unvalidated_limited, 2);
	/* Judged at the first segment only: a validated flow later missing
	 * its ACK is flagged in its record, not held back. */
	syn(f, PORT + 7, ISN, T0);
	synack(f, PORT + 7, SISN, ISN + 1, T0);
	assert_int_equal(seg(f, PORT + 7, hello, 0, 20, T0), FLOW_NOTHING);
	pkt(f, PORT + 7, TCPF_ACK | TCPF_PSH, DATA + 20, hello + 20, sizeof(hello) - 20);
	f->pi.ack = SISN;
	assert_int_equal(process(f, T0), FLOW_HELLO);
	assert_false(flow_validated(f->out.flow));
	assert_int_equal(stats(f)->unvalidated_limited, 2);
}

static void test_flow_bucket_refills_with_packet_time(void **state)
{
	struct fixture *f = *state;
	uint16_t port = PORT;

	for (int i = 0; i < 3; i++)
		assert_int_equal(syn_hello(f, port++, T0), FLOW_HELLO);
	assert_int_equal(syn_hello(f, port++, T0), FLOW_ENDED);
	/* 10 a second: a token every 100 ms of packet time, not before. */
	assert_int_equal(syn_hello(f, port++, T0 + 99 * MS), FLOW_ENDED);
	assert_int_equal(syn_hello(f, port++, T0 + 100 * MS), FLOW_HELLO);
	assert_int_equal(syn_hello(f, port++, T0 + 100 * MS), FLOW_ENDED);
	/* A quiet spell fills it to the burst, not beyond. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(syn_hello(f, port++, T0 + 10 * SEC), FLOW_HELLO);
	assert_int_equal(syn_hello(f, port++, T0 + 10 * SEC), FLOW_ENDED);
	/* Packet time stepping back leaves it empty, not waiting for the
	 * clock to catch up: a token comes back one interval later. */
	assert_int_equal(syn_hello(f, port++, T0 + 5 * SEC), FLOW_ENDED);
	assert_int_equal(syn_hello(f, port++, T0 + 5 * SEC + 99 * MS), FLOW_ENDED);
	assert_int_equal(syn_hello(f, port++, T0 + 5 * SEC + 100 * MS), FLOW_HELLO);
	assert_int_equal(stats(f)->unvalidated, 8);
	assert_int_equal(stats(f)->unvalidated_limited, 6);
}

/* Rate 0 (live pcap mode) or not enabled (--read, eBPF modes): never held back. */
static void test_flow_bucket_never_limits(void **state)
{
	struct fixture *f = *state;

	for (uint16_t i = 0; i < 200; i++) {
		/* The table holds 16: every flow is finished, so none waits. */
		if (i % 2)
			assert_int_equal(syn_hello(f, PORT + i, T0), FLOW_HELLO);
		else {
			pkt(f, PORT + i, TCPF_ACK | TCPF_PSH, 5000, hello, sizeof(hello));
			assert_int_equal(process(f, T0), FLOW_HELLO);
		}
		flow_table_finish(f->ft, f->out.flow, T0);
	}
	assert_int_equal(stats(f)->unvalidated, 200);
	assert_int_equal(stats(f)->unvalidated_limited, 0);
}

/* ---- TCP urgent data (flow.c urgent_pointer()) ---- */

/* The hello with a byte 'Z' put in at stream offset at: what a client sends
 * when it slips an urgent byte into its hello. */
static void with_byte_at(uint8_t *wire, uint32_t at)
{
	memcpy(wire, hello, at);
	wire[at] = 'Z';
	memcpy(wire + at + 1, hello + at, sizeof(hello) - at);
}

/* Wire bytes [off, off + len) with URG and the urgent pointer ptr. */
static enum flow_result useg(struct fixture *f, uint16_t sport, const uint8_t *wire, uint32_t off,
			     uint32_t len, uint16_t ptr, uint64_t now)
{
	pkt(f, sport, TCPF_ACK | TCPF_PSH | TCPF_URG, DATA + off, wire + off, len);
	f->pi.urg_ptr = ptr;
	return process(f, now);
}

/* The urgent byte in the record header, then in the body, each in the one
 * segment of the hello: the server reads the hello without it. */
static void test_flow_urgent_in_one_segment(void **state)
{
	static const uint32_t at[] = { 0, 2, 4, 5, 30, 51 };
	struct fixture *f = *state;
	uint8_t wire[sizeof(hello) + 1];

	for (uint16_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		with_byte_at(wire, at[i]);
		syn(f, PORT + i, ISN, T0);
		/* tcp_stdurg 0: the pointer is one past the urgent byte. */
		assert_int_equal(useg(f, PORT + i, wire, 0, sizeof(wire), (uint16_t)(at[i] + 1),
				      T0 + MS),
				 FLOW_HELLO);
		check_hello_and_finish(f, T0 + MS);
		assert_int_equal(stats(f)->urgent_removed, i + 1u);
	}
	assert_int_equal(stats(f)->urgent_ignored, 0);
	assert_int_equal(stats(f)->hellos, 6);
}

/* The urgent byte in a later segment, at its start (pointer 1, and pointer
 * 0: the byte at seq itself) and inside it. */
static void test_flow_urgent_in_later_segment(void **state)
{
	struct fixture *f = *state;
	uint8_t wire[sizeof(hello) + 1];

	with_byte_at(wire, 30);
	syn(f, PORT, ISN, T0);
	assert_int_equal(seg(f, PORT, wire, 0, 30, T0 + MS), FLOW_NOTHING);
	assert_int_equal(useg(f, PORT, wire, 30, 23, 1, T0 + 2 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 2 * MS);

	syn(f, PORT + 1, ISN, T0);
	assert_int_equal(seg(f, PORT + 1, wire, 0, 30, T0 + MS), FLOW_NOTHING);
	assert_int_equal(useg(f, PORT + 1, wire, 30, 23, 0, T0 + 2 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 2 * MS);

	with_byte_at(wire, 40);
	syn(f, PORT + 2, ISN, T0);
	assert_int_equal(seg(f, PORT + 2, wire, 0, 20, T0 + MS), FLOW_NOTHING);
	assert_int_equal(useg(f, PORT + 2, wire, 20, 33, 21, T0 + 2 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 2 * MS);
	assert_int_equal(stats(f)->urgent_removed, 3);
}

/* The pointer names a byte of a segment yet to come: the byte is skipped
 * when it comes, whether the pointer came in a data segment, in a bare ACK,
 * or in a segment held out of order. */
static void test_flow_urgent_pointer_ahead(void **state)
{
	struct fixture *f = *state;
	uint8_t wire[sizeof(hello) + 1];

	with_byte_at(wire, 40);
	syn(f, PORT, ISN, T0);
	assert_int_equal(useg(f, PORT, wire, 0, 20, 41, T0 + MS), FLOW_NOTHING);
	assert_int_equal(lookup(f, PORT)->urg_mark, 0x8000 | 40);
	assert_int_equal(seg(f, PORT, wire, 20, 33, T0 + 2 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 2 * MS);

	syn(f, PORT + 1, ISN, T0);
	assert_int_equal(seg(f, PORT + 1, wire, 0, 20, T0 + MS), FLOW_NOTHING);
	assert_int_equal(useg(f, PORT + 1, wire, 20, 0, 21, T0 + MS), FLOW_NOTHING);
	assert_int_equal(stats(f)->bare_acks, 0);
	assert_int_equal(seg(f, PORT + 1, wire, 20, 33, T0 + 2 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 2 * MS);

	/* Out of order: the tail with the pointer first, held; then the head. */
	syn(f, PORT + 2, ISN, T0);
	assert_int_equal(useg(f, PORT + 2, wire, 30, 23, 11, T0 + MS), FLOW_NOTHING);
	assert_int_equal(seg(f, PORT + 2, wire, 0, 30, T0 + 2 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 2 * MS);
	assert_int_equal(stats(f)->urgent_removed, 3);
	assert_int_equal(stats(f)->urgent_ignored, 0);
}

/* A later pointer replaces a pending one, whose byte then stays; a pointer
 * not after the pending one is ignored. */
static void test_flow_urgent_newer_pointer_replaces(void **state)
{
	struct fixture *f = *state;
	uint8_t wire[sizeof(hello) + 1];

	with_byte_at(wire, 40);
	syn(f, PORT, ISN, T0);
	/* Pending at 30, a byte of the hello... */
	assert_int_equal(useg(f, PORT, wire, 0, 20, 31, T0 + MS), FLOW_NOTHING);
	/* ...replaced by one at 40, the 'Z'... */
	assert_int_equal(useg(f, PORT, wire, 20, 5, 21, T0 + 2 * MS), FLOW_NOTHING);
	assert_int_equal(stats(f)->urgent_replaced, 1);
	/* ...which one at 35 (before it) or at 40 again cannot replace. */
	assert_int_equal(useg(f, PORT, wire, 25, 5, 11, T0 + 3 * MS), FLOW_NOTHING);
	assert_int_equal(useg(f, PORT, wire, 25, 5, 16, T0 + 3 * MS), FLOW_NOTHING);
	assert_int_equal(stats(f)->urgent_ignored, 2);
	assert_int_equal(lookup(f, PORT)->urg_mark, 0x8000 | 40);
	assert_int_equal(seg(f, PORT, wire, 30, 23, T0 + 4 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 4 * MS);
	assert_int_equal(stats(f)->urgent_removed, 1);
	assert_int_equal(stats(f)->urgent_replaced, 1);
}

/* A pointer to a byte the receiver already has (before rcv_nxt) is ignored,
 * and so is any pointer of a segment that ends before rcv_nxt: the hello
 * keeps its bytes. */
static void test_flow_urgent_pointer_before_rcv_nxt(void **state)
{
	struct fixture *f = *state;

	syn(f, PORT, ISN, T0);
	assert_int_equal(seg(f, PORT, hello, 0, 20, T0 + MS), FLOW_NOTHING);
	/* Starts in what is in already; its urgent byte is offset 10. */
	assert_int_equal(useg(f, PORT, hello, 10, 20, 1, T0 + 2 * MS), FLOW_NOTHING);
	/* An old segment pointing ahead, at 45: dropped before its pointer is read. */
	assert_int_equal(useg(f, PORT, hello, 0, 10, 46, T0 + 2 * MS), FLOW_NOTHING);
	assert_int_equal(stats(f)->urgent_ignored, 2);
	assert_int_equal(lookup(f, PORT)->urg_mark & 0x8000, 0);
	assert_int_equal(seg(f, PORT, hello, 30, 22, T0 + 3 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 3 * MS);
	assert_int_equal(stats(f)->urgent_removed, 0);
}

/* The urgent segment retransmitted after its byte was skipped: the pointer
 * is now before rcv_nxt (ignored), no second byte goes, and the rest of the
 * hello lands where the reader sees it. */
static void test_flow_urgent_retransmitted(void **state)
{
	struct fixture *f = *state;
	uint8_t wire[sizeof(hello) + 1];

	with_byte_at(wire, 10);
	syn(f, PORT, ISN, T0);
	assert_int_equal(useg(f, PORT, wire, 0, 20, 11, T0 + MS), FLOW_NOTHING);
	assert_int_equal(lookup(f, PORT)->reasm.contig, 19);
	assert_int_equal(useg(f, PORT, wire, 0, 20, 11, T0 + 200 * MS), FLOW_NOTHING);
	assert_int_equal(stats(f)->retransmits, 1);
	assert_int_equal(stats(f)->urgent_ignored, 1);
	/* A retransmit that also brings new bytes. */
	assert_int_equal(useg(f, PORT, wire, 0, 30, 11, T0 + 201 * MS), FLOW_NOTHING);
	assert_int_equal(lookup(f, PORT)->reasm.contig, 29);
	assert_int_equal(seg(f, PORT, wire, 30, 23, T0 + 202 * MS), FLOW_HELLO);
	/* The copies were the same: no conflict, though they sit one byte
	 * off the stream the reader has. */
	assert_int_equal(stats(f)->conflict_bytes, 0);
	assert_false(f->out.flow->conflict);
	check_hello_and_finish(f, T0 + 202 * MS);
	assert_int_equal(stats(f)->urgent_removed, 1);
	assert_int_equal(stats(f)->urgent_ignored, 2);
}

/*
 * Insertion: a fake hello in a segment the server's TCP drops, then the
 * real one. The record must be the real one, validated: an MD5 signature
 * option, no ACK flag, an ACK of data the server never sent.
 */
static void test_flow_server_drops(void **state)
{
	struct fixture *f = *state;
	/* NOP NOP, MD5 signature (kind 19, 18 bytes), then a timestamp */
	static const uint8_t md5_opts[32] = { 1, 1, 19, 18, [20] = 1, 1, 8, 10 };
	/* Kind 19 of another length is no MD5 option: taken. */
	static const uint8_t odd_opts[20] = { 1, 1, 19, 16 };
	uint8_t fake[sizeof(hello)];

	memcpy(fake, hello, sizeof(hello));
	fake[sizeof(hello) - 1] ^= 0x5a;
	for (int c = 0; c < 3; c++) {
		uint16_t port = (uint16_t)(PORT + c);

		syn(f, port, ISN, T0);
		synack(f, port, SISN, ISN + 1, T0 + MS);
		pkt(f, port, TCPF_ACK | TCPF_PSH, DATA, fake, sizeof(fake));
		if (c == 0) {
			f->pi.tcp_opts = md5_opts;
			f->pi.tcp_opt_len = sizeof(md5_opts);
		} else if (c == 1) {
			f->pi.tcp_flags = TCPF_PSH;
		} else {
			f->pi.ack = SISN + 2;
		}
		if (c == 0) { /* dropped whatever its ACK: nothing */
			assert_int_equal(process(f, T0 + 2 * MS), FLOW_NOTHING);
			assert_int_equal(stats(f)->refused, 1);
		} else { /* for its ACK: handed out flagged, once, aside */
			assert_int_equal(process(f, T0 + 2 * MS), FLOW_HELLO);
			assert_false(flow_validated(f->out.flow));
			assert_memory_equal(f->out.msg, fake + 5, MSG_LEN);
			flow_table_finish(f->ft, f->out.flow, T0 + 2 * MS);
			assert_int_equal(process(f, T0 + 2 * MS), FLOW_NOTHING); /* once */
		}
		assert_int_equal(seg(f, port, hello, 0, sizeof(hello), T0 + 3 * MS), FLOW_HELLO);
		assert_true(flow_validated(f->out.flow));
		assert_false(f->out.flow->conflict);
		check_hello_and_finish(f, T0 + 3 * MS);
	}
	/* An RST with an MD5 option is dropped too; one without ends the flow. */
	syn(f, PORT + 3, ISN, T0);
	pkt(f, PORT + 3, TCPF_RST, DATA, NULL, 0);
	f->pi.tcp_opts = md5_opts;
	f->pi.tcp_opt_len = sizeof(md5_opts);
	assert_int_equal(process(f, T0 + MS), FLOW_NOTHING);
	assert_int_equal(stats(f)->rst, 0);
	assert_int_equal(seg(f, PORT + 3, hello, 0, sizeof(hello), T0 + 2 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 2 * MS);
	/* Not an MD5 option, not refused. */
	syn(f, PORT + 4, ISN, T0);
	pkt(f, PORT + 4, TCPF_ACK | TCPF_PSH, DATA, hello, sizeof(hello));
	f->pi.tcp_opts = odd_opts;
	f->pi.tcp_opt_len = sizeof(odd_opts);
	assert_int_equal(process(f, T0 + MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + MS);
	/* A pickup without ACK starts no flow. */
	pkt(f, PORT + 5, TCPF_PSH, DATA, hello, sizeof(hello));
	assert_int_equal(process(f, T0), FLOW_NOTHING);
	assert_int_equal(stats(f)->pickups, 0);
	assert_int_equal(stats(f)->refused, 5);
}

/* A SYN with another ISN while the flow waits after its SYN-ACK starts no
 * connection at the server (challenge ACK, or the half-open one killed):
 * ignored, the hello on the old sequence numbers is the record. Without a
 * SYN-ACK it is a new connection. */
static void test_flow_second_syn_ignored(void **state)
{
	struct fixture *f = *state;

	syn(f, PORT, ISN, T0);
	synack(f, PORT, SISN, ISN + 1, T0 + MS);
	assert_int_equal(syn(f, PORT, ISN + 50000, T0 + 2 * MS), FLOW_NOTHING);
	assert_int_equal(stats(f)->syn_ignored, 1);
	assert_int_equal(seg(f, PORT, hello, 0, sizeof(hello), T0 + 3 * MS), FLOW_HELLO);
	assert_true(flow_validated(f->out.flow));
	check_hello_and_finish(f, T0 + 3 * MS);

	syn(f, PORT + 1, ISN, T0);
	syn(f, PORT + 1, ISN + 50000, T0 + MS);
	assert_int_equal(stats(f)->reused, 1);
	pkt(f, PORT + 1, TCPF_ACK | TCPF_PSH, ISN + 50001, hello, sizeof(hello));
	assert_int_equal(process(f, T0 + 2 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 2 * MS);
}

/* The server's SYN-ACK is its own word: one answering another SYN of the
 * 4-tuple (one the sensor ignored), or the same SYN with a new ISN, means
 * the connection followed is gone there (an RST the sensor refused, say),
 * and the flow starts over on the new one. Review findings 1-4. */
static void test_flow_synack_restarts(void **state)
{
	struct fixture *f = *state;
	static const uint8_t old_ts[12] = { 1, 1, 8, 10, 0x00, 0x01, 0x02, 0x00, 0, 0, 0, 9 };
	static const uint8_t ahead_ts[12] = { 1, 1, 8, 10, 0x40, 0x00, 0x00, 0x00, 0, 0, 0, 9 };
	uint8_t fake[sizeof(hello)];

	memcpy(fake, hello, sizeof(hello));
	fake[sizeof(hello) - 1] ^= 0x5a;

	/* An RST with an old timestamp (refused), then a new connection. */
	syn(f, PORT, ISN, T0);
	synack(f, PORT, SISN, ISN + 1, T0 + MS);
	pkt(f, PORT, TCPF_RST | TCPF_ACK, DATA, NULL, 0);
	f->pi.tcp_opts = old_ts;
	assert_int_equal(process(f, T0 + 2 * MS), FLOW_NOTHING);
	assert_int_equal(syn(f, PORT, ISN + 90000, T0 + 3 * MS), FLOW_NOTHING); /* ignored */
	synack(f, PORT, SISN + 5, ISN + 90001, T0 + 4 * MS);
	assert_int_equal(stats(f)->synack_restarted, 1);
	pkt(f, PORT, TCPF_ACK | TCPF_PSH, ISN + 90001, hello, sizeof(hello));
	f->pi.ack = SISN + 6;
	assert_int_equal(process(f, T0 + 5 * MS), FLOW_HELLO);
	assert_true(flow_validated(f->out.flow));
	check_hello_and_finish(f, T0 + 5 * MS);

	/* The same client ISN again, the server with a new ISN: a new
	 * connection; bytes of the old one must not stand for its hello. */
	syn(f, PORT + 1, ISN, T0);
	synack(f, PORT + 1, SISN, ISN + 1, T0 + MS);
	assert_int_equal(seg(f, PORT + 1, fake, 0, 40, T0 + 2 * MS), FLOW_NOTHING);
	syn(f, PORT + 1, ISN, T0 + 3 * MS); /* a retransmit to the sensor */
	synack(f, PORT + 1, SISN + 99, ISN + 1, T0 + 4 * MS);
	assert_int_equal(stats(f)->synack_restarted, 2);
	pkt(f, PORT + 1, TCPF_ACK | TCPF_PSH, DATA, hello, sizeof(hello));
	f->pi.ack = SISN + 100;
	assert_int_equal(process(f, T0 + 5 * MS), FLOW_HELLO);
	assert_false(f->out.flow->conflict);
	check_hello_and_finish(f, T0 + 5 * MS);

	/* Spoofed bytes are not the server's: its next byte is still the
	 * stream start, for an RST and for ts_recent. */
	syn(f, PORT + 2, ISN, T0);
	synack(f, PORT + 2, SISN, ISN + 1, T0 + MS);
	pkt(f, PORT + 2, TCPF_PSH, DATA, fake, 10); /* no ACK: a spoofed stream */
	assert_int_equal(process(f, T0 + 2 * MS), FLOW_NOTHING);
	pkt(f, PORT + 2, TCPF_ACK, DATA + 5, NULL, 0); /* bare ACK past rcv_nxt */
	f->pi.tcp_opts = ahead_ts;
	assert_int_equal(process(f, T0 + 3 * MS), FLOW_NOTHING);
	assert_int_equal(lookup(f, PORT + 2)->ts_recent, 0x00010203);
	assert_int_equal(seg(f, PORT + 2, hello, 0, sizeof(hello), T0 + 4 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 4 * MS);
	syn(f, PORT + 3, ISN, T0);
	synack(f, PORT + 3, SISN, ISN + 1, T0 + MS);
	pkt(f, PORT + 3, TCPF_PSH, DATA, fake, 10);
	assert_int_equal(process(f, T0 + 2 * MS), FLOW_NOTHING);
	pkt(f, PORT + 3, TCPF_RST | TCPF_ACK, DATA, NULL, 0); /* at rcv_nxt: taken */
	assert_int_equal(process(f, T0 + 3 * MS), FLOW_ENDED);

	/* A done flow: the server answers a SYN we did not see (the kernel
	 * program ignored it while its own flow still waited for a hello end
	 * it could not tell). The next connection of the 4-tuple is recorded. */
	syn(f, PORT + 4, ISN, T0);
	synack(f, PORT + 4, SISN, ISN + 1, T0 + MS);
	assert_int_equal(seg(f, PORT + 4, hello, 0, sizeof(hello), T0 + 2 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 2 * MS);
	synack(f, PORT + 4, SISN, ISN + 1, T0 + 3 * MS); /* its own again: nothing */
	assert_int_equal(lookup(f, PORT + 4)->state, FLOW_DONE);
	synack(f, PORT + 4, SISN + 7, ISN + 70001, T0 + 4 * MS);
	assert_int_equal(stats(f)->synack_restarted, 3);
	assert_int_equal(lookup(f, PORT + 4)->state, FLOW_WAIT_HELLO);
	pkt(f, PORT + 4, TCPF_ACK | TCPF_PSH, ISN + 70001, hello, sizeof(hello));
	f->pi.ack = SISN + 8;
	assert_int_equal(process(f, T0 + 5 * MS), FLOW_HELLO);
	assert_true(flow_validated(f->out.flow));
	check_hello_and_finish(f, T0 + 5 * MS);
	/* And a SYN of another ISN on a done flow starts the next one. */
	assert_int_equal(syn(f, PORT + 4, ISN + 140000, T0 + 6 * MS), FLOW_NOTHING);
	assert_int_equal(lookup(f, PORT + 4)->state, FLOW_WAIT_HELLO);
	assert_int_equal(lookup(f, PORT + 4)->isn, ISN + 140000);

	/* The same client ISN again after an RST (its SYN looks like a
	 * retransmit), the server with a new ISN: a new connection. */
	syn(f, PORT + 5, ISN, T0);
	synack(f, PORT + 5, SISN, ISN + 1, T0 + MS);
	assert_int_equal(seg(f, PORT + 5, hello, 0, sizeof(hello), T0 + 2 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 2 * MS);
	syn(f, PORT + 5, ISN, T0 + 3 * MS);
	synack(f, PORT + 5, SISN + 500, ISN + 1, T0 + 4 * MS);
	assert_int_equal(stats(f)->synack_restarted, 4);
	assert_int_equal(lookup(f, PORT + 5)->state, FLOW_WAIT_HELLO);

	/* A Fast Open SYN carrying the whole hello: the SYN-ACK acknowledges
	 * its data; that is no other connection, and no second hello comes of
	 * what follows. */
	pkt(f, PORT + 6, TCPF_SYN, ISN, hello, sizeof(hello));
	assert_int_equal(process(f, T0 + MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + MS);
	synack(f, PORT + 6, SISN, ISN + 1 + sizeof(hello), T0 + 2 * MS);
	assert_int_equal(stats(f)->synack_restarted, 4);
	assert_int_equal(lookup(f, PORT + 6)->state, FLOW_DONE);
}

/* PAWS as the server applies it: with timestamps on both sides, a
 * segment whose timestamp is older than ts_recent (the SYN's, raised by
 * segments and bare ACKs in order) by more than 1 is dropped there, so a
 * fake hello in one must not become the record. And an RST not at the
 * next byte expected only draws a challenge ACK: the flow lives on. */
static void test_flow_paws_and_rst(void **state)
{
	struct fixture *f = *state;
	/* The SYN's TSval (syn_opts) is 0x00010203, the data's the same. */
	static const uint8_t old_ts[12] = { 1, 1, 8, 10, 0x00, 0x01, 0x02, 0x01, 0, 0, 0, 9 };
	static const uint8_t near_ts[12] = { 1, 1, 8, 10, 0x00, 0x01, 0x02, 0x02, 0, 0, 0, 9 };
	static const uint8_t ahead_ts[12] = { 1, 1, 8, 10, 0x40, 0x00, 0x00, 0x00, 0, 0, 0, 9 };
	uint8_t fake[sizeof(hello)];

	memcpy(fake, hello, sizeof(hello));
	fake[sizeof(hello) - 1] ^= 0x5a;

	/* An old timestamp: dropped; the real hello after it is the record. */
	syn(f, PORT, ISN, T0);
	synack(f, PORT, SISN, ISN + 1, T0 + MS);
	pkt(f, PORT, TCPF_ACK | TCPF_PSH, DATA, fake, sizeof(fake));
	f->pi.tcp_opts = old_ts;
	assert_int_equal(process(f, T0 + 2 * MS), FLOW_NOTHING);
	assert_int_equal(stats(f)->paws_refused, 1);
	assert_int_equal(seg(f, PORT, hello, 0, sizeof(hello), T0 + 3 * MS), FLOW_HELLO);
	assert_true(flow_validated(f->out.flow));
	check_hello_and_finish(f, T0 + 3 * MS);

	/* One older by 1 is inside the window the receiver allows. */
	syn(f, PORT + 1, ISN, T0);
	synack(f, PORT + 1, SISN, ISN + 1, T0 + MS);
	pkt(f, PORT + 1, TCPF_ACK | TCPF_PSH, DATA, hello, sizeof(hello));
	f->pi.tcp_opts = near_ts;
	assert_int_equal(process(f, T0 + 2 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 2 * MS);

	/* A bare ACK far ahead raises ts_recent: the next segment, with the
	 * SYN's timestamp, is now old; the real one carries the later one. */
	syn(f, PORT + 2, ISN, T0);
	synack(f, PORT + 2, SISN, ISN + 1, T0 + MS);
	pkt(f, PORT + 2, TCPF_ACK, DATA, NULL, 0);
	f->pi.tcp_opts = ahead_ts;
	assert_int_equal(process(f, T0 + 2 * MS), FLOW_NOTHING);
	pkt(f, PORT + 2, TCPF_ACK | TCPF_PSH, DATA, fake, sizeof(fake));
	assert_int_equal(process(f, T0 + 3 * MS), FLOW_NOTHING);
	assert_int_equal(stats(f)->paws_refused, 2);
	pkt(f, PORT + 2, TCPF_ACK | TCPF_PSH, DATA, hello, sizeof(hello));
	f->pi.tcp_opts = ahead_ts;
	assert_int_equal(process(f, T0 + 4 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 4 * MS);

	/* So does a first segment in order; one held out of order does not. */
	syn(f, PORT + 3, ISN, T0);
	synack(f, PORT + 3, SISN, ISN + 1, T0 + MS);
	pkt(f, PORT + 3, TCPF_ACK | TCPF_PSH, DATA + 30, hello + 30, sizeof(hello) - 30);
	f->pi.tcp_opts = ahead_ts;
	assert_int_equal(process(f, T0 + 2 * MS), FLOW_NOTHING);
	assert_int_equal(lookup(f, PORT + 3)->ts_recent, 0x00010203);
	pkt(f, PORT + 3, TCPF_ACK | TCPF_PSH, DATA, hello, 10);
	f->pi.tcp_opts = ahead_ts;
	assert_int_equal(process(f, T0 + 2 * MS), FLOW_NOTHING);
	assert_int_equal(lookup(f, PORT + 3)->ts_recent, 0x40000000);
	assert_int_equal(seg(f, PORT + 3, fake, 10, 20, T0 + 3 * MS), FLOW_NOTHING);
	assert_int_equal(stats(f)->paws_refused, 3);
	pkt(f, PORT + 3, TCPF_ACK | TCPF_PSH, DATA + 10, hello + 10, 20);
	f->pi.tcp_opts = ahead_ts;
	assert_int_equal(process(f, T0 + 4 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 4 * MS);

	/* A SYN-ACK without a timestamp: the server does not check them. */
	syn(f, PORT + 4, ISN, T0);
	pkt(f, PORT + 4, TCPF_SYN | TCPF_ACK, SISN, NULL, 0);
	memcpy(f->pi.src, server4, 4);
	memcpy(f->pi.dst, client4, 4);
	f->pi.sport = 443;
	f->pi.dport = PORT + 4;
	f->pi.ack = ISN + 1;
	f->pi.tcp_opt_len = 4; /* MSS only */
	flow_synack(f->ft, &f->pi, T0 + MS);
	pkt(f, PORT + 4, TCPF_ACK | TCPF_PSH, DATA, hello, sizeof(hello));
	f->pi.tcp_opts = old_ts;
	assert_int_equal(process(f, T0 + 2 * MS), FLOW_HELLO);
	assert_true(flow_validated(f->out.flow));
	check_hello_and_finish(f, T0 + 2 * MS);
	assert_int_equal(stats(f)->paws_refused, 3);

	/* An RST not at the next byte expected, or with an old timestamp, is
	 * dropped; one at it ends the flow. */
	syn(f, PORT + 5, ISN, T0);
	synack(f, PORT + 5, SISN, ISN + 1, T0 + MS);
	assert_int_equal(seg(f, PORT + 5, hello, 0, 20, T0 + 2 * MS), FLOW_NOTHING);
	pkt(f, PORT + 5, TCPF_RST | TCPF_ACK, DATA + 21, NULL, 0);
	assert_int_equal(process(f, T0 + 2 * MS), FLOW_NOTHING);
	pkt(f, PORT + 5, TCPF_RST, DATA + 20, NULL, 0);
	f->pi.tcp_opts = old_ts;
	f->pi.tcp_opt_len = sizeof(old_ts);
	assert_int_equal(process(f, T0 + 2 * MS), FLOW_NOTHING);
	assert_int_equal(stats(f)->rst, 0);
	pkt(f, PORT + 5, TCPF_RST | TCPF_ACK, DATA + 20, NULL, 0);
	assert_int_equal(process(f, T0 + 2 * MS), FLOW_ENDED);
	assert_int_equal(stats(f)->rst, 1);
	syn(f, PORT + 6, ISN, T0);
	synack(f, PORT + 6, SISN, ISN + 1, T0 + MS);
	assert_int_equal(seg(f, PORT + 6, hello, 0, 20, T0 + 2 * MS), FLOW_NOTHING);
	pkt(f, PORT + 6, TCPF_RST | TCPF_ACK, DATA + 5000, NULL, 0);
	assert_int_equal(process(f, T0 + 2 * MS), FLOW_NOTHING);
	assert_int_equal(seg(f, PORT + 6, hello, 20, sizeof(hello) - 20, T0 + 3 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 3 * MS);
	assert_int_equal(stats(f)->refused, 6);
}

/* Pointers of segments the server's stack throws away move no byte: one
 * without ACK, one acknowledging data the server never sent, one starting
 * far outside the receive window. Each would otherwise take a byte out of
 * the hello the server reads whole, or block the real pointer. */
static void test_flow_urgent_from_dropped_segments(void **state)
{
	struct fixture *f = *state;
	uint8_t wire[sizeof(hello) + 1];

	syn(f, PORT, ISN, T0);
	synack(f, PORT, SISN, ISN + 1, T0 + MS);
	pkt(f, PORT, TCPF_URG, DATA, NULL, 0); /* no ACK */
	f->pi.urg_ptr = 11;
	assert_int_equal(process(f, T0 + 2 * MS), FLOW_NOTHING);
	pkt(f, PORT, TCPF_ACK | TCPF_URG, DATA, NULL, 0); /* ACK past SISN + 1 */
	f->pi.ack = SISN + 2;
	f->pi.urg_ptr = 11;
	assert_int_equal(process(f, T0 + 2 * MS), FLOW_NOTHING);
	pkt(f, PORT, TCPF_ACK | TCPF_URG, DATA + 1000000, NULL, 0); /* outside the window */
	f->pi.urg_ptr = 1;
	assert_int_equal(process(f, T0 + 2 * MS), FLOW_NOTHING);
	/* The first two are refused whole (server_drops()), the third's
	 * pointer is ignored. */
	assert_int_equal(stats(f)->refused, 2);
	assert_int_equal(stats(f)->urgent_ignored, 1);
	assert_int_equal(lookup(f, PORT)->urg_mark, 0);
	assert_int_equal(seg(f, PORT, hello, 0, sizeof(hello), T0 + 3 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 3 * MS);
	assert_int_equal(stats(f)->urgent_removed, 0);

	/* After an out-of-window pointer, the real one still counts. */
	with_byte_at(wire, 10);
	syn(f, PORT + 1, ISN, T0 + 4 * MS);
	synack(f, PORT + 1, SISN, ISN + 1, T0 + 5 * MS);
	pkt(f, PORT + 1, TCPF_ACK | TCPF_URG, DATA + 1000000, NULL, 0);
	f->pi.urg_ptr = 1;
	assert_int_equal(process(f, T0 + 6 * MS), FLOW_NOTHING);
	assert_int_equal(useg(f, PORT + 1, wire, 0, sizeof(wire), 11, T0 + 7 * MS), FLOW_HELLO);
	check_hello_and_finish(f, T0 + 7 * MS);
	assert_int_equal(stats(f)->urgent_removed, 1);
}

#define T(f)       cmocka_unit_test_setup_teardown(f, setup, teardown)
#define TC(f, cfg) cmocka_unit_test_prestate_setup_teardown(f, setup, teardown, (void *)&(cfg))

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flow_table_new_bad_config),
		T(test_flow_process_syn_creates_flow),
		T(test_flow_process_hello_one_segment),
		T(test_flow_process_hello_two_segments),
		T(test_flow_process_hello_three_segments),
		T(test_flow_process_hello_out_of_order),
		T(test_flow_process_hello_two_records),
		T(test_flow_process_hello_seq_wrap),
		T(test_flow_process_retransmit_counted),
		T(test_flow_process_overlap_in_order_wins),
		T(test_flow_process_pickup_missed_syn),
		T(test_flow_process_no_flow_without_hello),
		T(test_flow_process_not_tls_after_syn),
		T(test_flow_process_bad_tls_ends),
		T(test_flow_process_syn_retransmit),
		T(test_flow_process_port_reuse),
		T(test_flow_process_syn_reuse_waiting),
		T(test_flow_process_rst_before_hello),
		T(test_flow_process_fin_before_hello_complete),
		T(test_flow_process_syn_with_data),
		TC(test_flow_process_segment_limit, cfg_seg3),
		TC(test_flow_process_one_byte_records, cfg_seg3),
		TC(test_flow_process_byte_limit, cfg_bytes64),
		TC(test_flow_process_buffer_budget, cfg_budget100),
		TC(test_flow_process_table_full_evicts, cfg_small),
		TC(test_flow_table_pool_restarts_when_empty, cfg_pool256),
		T(test_flow_table_expire_waiting),
		T(test_flow_table_expire_done),
		T(test_flow_wall_clock_steps_back),
		T(test_flow_wall_clock_steps_forward),
		T(test_flow_table_finish_frees_reasm),
		T(test_flow_table_free_pending),
		T(test_flow_table_expire_frees_buffers),
		T(test_flow_process_truncated_capture),
		T(test_flow_process_ipv6),
		T(test_flow_synack_validated),
		T(test_flow_synack_wrong_ack),
		T(test_flow_synack_missing),
		T(test_flow_synack_pickup_without_syn),
		T(test_flow_synack_retransmitted),
		T(test_flow_synack_before_syn),
		TC(test_flow_synack_never_evicts_waiting, cfg_small),
		TC(test_flow_bucket_burst_then_held_back, cfg_bucket),
		TC(test_flow_bucket_validated_passes_empty, cfg_bucket),
		TC(test_flow_bucket_refills_with_packet_time, cfg_bucket),
		TC(test_flow_bucket_never_limits, cfg_bucket_rate0),
		TC(test_flow_bucket_never_limits, cfg_bucket_off),
		T(test_flow_urgent_in_one_segment),
		T(test_flow_urgent_in_later_segment),
		T(test_flow_urgent_pointer_ahead),
		T(test_flow_urgent_newer_pointer_replaces),
		T(test_flow_urgent_pointer_before_rcv_nxt),
		T(test_flow_urgent_retransmitted),
		T(test_flow_server_drops),
		T(test_flow_paws_and_rst),
		T(test_flow_second_syn_ignored),
		T(test_flow_synack_restarts),
		T(test_flow_urgent_from_dropped_segments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
