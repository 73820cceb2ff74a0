// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unit tests of quic (user/quic.c): the RFC 9001 Appendix A keys and
 * protected client Initial, then, with Initials sealed by the test helper
 * (checked against the same vectors), CRYPTO frames across packets and out
 * of order, coalesced packets, retransmissions, the client's later Initials
 * under the server's connection ID, a new connection on the same 4-tuple,
 * versions 2 and draft-29, garbage, and the limits. Every path checks its
 * counter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "abi.h"
#include "defaults.h"
#include "hello.h"
#include "quic.h"
#include "quic_seal.h"
#include "quic_vectors.h"

#define SEC 1000000000ULL

struct fixture {
	struct quic_table *qt;
	struct pkt_info pi;
	struct quic_hello qh;
	struct hello_info hi;
	uint8_t dgram[4096];
	uint8_t frames[4096];
};

static int setup(void **state)
{
	struct quic_config qc = { .max_conns = 16,
				  .timeout_ns = 10 * SEC,
				  .max_bytes = REASM_MAX_BYTES,
				  .max_segments = 100 };
	uint8_t seed[16] = { 1, 2, 3 };
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->qt = quic_table_new(&qc, seed);
	if (!f->qt)
		return -1;
	quic_test_client(&f->pi);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	quic_table_free(f->qt);
	free(f);
	return 0;
}

static bool feed(struct fixture *f, const uint8_t *d, uint32_t len, uint64_t now)
{
	f->pi.payload = d;
	f->pi.payload_len = f->pi.payload_wire = len;
	return quic_process(f->qt, &f->pi, now, 0, &f->qh);
}

/* Another client: the same DCID from another port of this one would
 * continue its connection (quic.h). */
static void other_client(struct fixture *f)
{
	f->pi.src[3]++;
}

static const struct quic_stats *st(struct fixture *f)
{
	return quic_table_stats(f->qt);
}

/* The ClientHello of RFC 9001 A.2: the CRYPTO frame's data (241 bytes). */
static const uint8_t *a2_hello(uint32_t *len)
{
	*len = sizeof(rfc9001_crypto) - 4;
	return rfc9001_crypto + 4;
}

/* Seal count Initials of dcid carrying hello bytes [from[i], to[i]). */
static uint32_t seal_part(struct fixture *f, uint32_t version, const uint8_t *dcid,
			  uint8_t dcid_len, uint64_t pn, uint32_t from, uint32_t to, uint8_t *out)
{
	uint32_t hlen, n;
	const uint8_t *h = a2_hello(&hlen);

	n = quic_crypto_frame(from, h + from, to - from, f->frames);
	return quic_seal_initial(version, dcid, dcid_len, pn, 2, f->frames, n, 1200, out, 2048);
}

static void assert_a2_hello(struct fixture *f)
{
	uint32_t hlen;
	const uint8_t *h = a2_hello(&hlen);

	assert_int_equal(f->qh.msg_len, hlen);
	assert_memory_equal(f->qh.msg, h, hlen);
	assert_int_equal(hello_parse(f->qh.msg, f->qh.msg_len, &f->hi), HELLO_OK);
	assert_int_equal(f->hi.sni_len, 11);
	assert_memory_equal(f->hi.sni, "example.com", 11);
}

static void test_quic_rfc9001_keys(void **state)
{
	struct quic_keys k;

	(void)state;
	assert_int_equal(quic_initial_keys(QUIC_V1, rfc9001_dcid, 8, &k), 0);
	assert_memory_equal(k.key, rfc9001_key, 16);
	assert_memory_equal(k.iv, rfc9001_iv, 12);
	assert_memory_equal(k.hp, rfc9001_hp, 16);
	assert_int_equal(quic_initial_keys(0x12345678, rfc9001_dcid, 8, &k), -1);
	assert_int_equal(quic_initial_keys(QUIC_V1, rfc9001_dcid, 0, &k), -1);
	/* v2 and draft-29 use other salts (and v2 other labels): other keys. */
	assert_int_equal(quic_initial_keys(QUIC_V2, rfc9001_dcid, 8, &k), 0);
	assert_memory_not_equal(k.key, rfc9001_key, 16);
	assert_int_equal(quic_initial_keys(QUIC_DRAFT29, rfc9001_dcid, 8, &k), 0);
	assert_memory_not_equal(k.key, rfc9001_key, 16);
}

/* The sealer gives the RFC's protected packet from its plaintext. */
static void test_quic_rfc9001_seal(void **state)
{
	struct fixture *f = *state;
	uint32_t n = quic_seal_initial(QUIC_V1, rfc9001_dcid, 8, 2, 4, rfc9001_crypto,
				       sizeof(rfc9001_crypto), 1162, f->dgram, sizeof(f->dgram));

	assert_int_equal(n, sizeof(rfc9001_initial));
	assert_memory_equal(f->dgram, rfc9001_initial, n);
}

static void test_quic_rfc9001_packet(void **state)
{
	struct fixture *f = *state;

	assert_true(feed(f, rfc9001_initial, sizeof(rfc9001_initial), SEC));
	assert_a2_hello(f);
	assert_int_equal(f->qh.conn->version, QUIC_V1);
	assert_int_equal(f->qh.conn->fl.meta.ttl, 64);
	assert_int_equal(f->qh.conn->fl.meta.ip_id, 77);
	assert_int_equal(f->qh.conn->fl.first_byte_ns, SEC);
	assert_int_equal(st(f)->initials, 1);
	assert_int_equal(st(f)->decrypted, 1);
	assert_int_equal(st(f)->hellos, 1);
	assert_int_equal(st(f)->conns, 1);
	quic_table_finish(f->qt, f->qh.conn, SEC);
	/* Retransmitted: a lookup, no second record. */
	assert_false(feed(f, rfc9001_initial, sizeof(rfc9001_initial), 2 * SEC));
	assert_int_equal(st(f)->after_done, 1);
	assert_int_equal(st(f)->hellos, 1);
	assert_int_equal(quic_table_count(f->qt), 1);
}

/* Any flipped bit (header, payload or tag) fails authentication. */
static void test_quic_tampered(void **state)
{
	struct fixture *f = *state;
	static const uint32_t at[] = { 0, 9, 20, 100, 600, 1199 };

	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		memcpy(f->dgram, rfc9001_initial, sizeof(rfc9001_initial));
		f->dgram[at[i]] ^= 0x04;
		assert_false(feed(f, f->dgram, sizeof(rfc9001_initial), SEC));
	}
	assert_int_equal(st(f)->hellos, 0);
	assert_int_equal(st(f)->conns, 0);
	assert_int_equal(quic_table_count(f->qt), 0);
	/* byte 0 bit 2 is a type bit: a 0-RTT packet; byte 9 changes the DCID
	 * (another key), the rest break the tag or the header's AAD */
	assert_int_equal(st(f)->decrypt_failed + st(f)->other_long + st(f)->malformed, 6);
	assert_true(st(f)->decrypt_failed >= 4);
}

/* Packet numbers (quic.c pn_fresh()): one under QUIC_PN_WINDOW below the
 * largest and not read is read (servers all read it), one further below is
 * read and the record flags it (servers differ), and an Initial under a
 * DCID the client made up (keys of the connection's) marks no number read:
 * the real packet of that number still counts. */
static void test_quic_packet_numbers(void **state)
{
	struct fixture *f = *state;
	uint8_t p[4][2048], dcid[8], z[8];
	uint32_t n[4];

	n[0] = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 0, 0, 80, p[0]);
	n[1] = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 100, 80, 160, p[1]);
	n[2] = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 1, 160, 241, p[2]);
	assert_false(feed(f, p[0], n[0], SEC));
	assert_false(feed(f, p[1], n[1], SEC));
	assert_true(feed(f, p[2], n[2], SEC)); /* 99 below the largest */
	assert_a2_hello(f);
	assert_false(f->qh.conn->fl.conflict);
	quic_table_finish(f->qt, f->qh.conn, SEC);

	memcpy(dcid, rfc9001_dcid, 8);
	dcid[0] ^= 1;
	n[0] = seal_part(f, QUIC_V1, dcid, 8, 0, 0, 80, p[0]);
	n[1] = seal_part(f, QUIC_V1, dcid, 8, 300, 80, 160, p[1]);
	n[2] = seal_part(f, QUIC_V1, dcid, 8, 1, 160, 241, p[2]);
	assert_false(feed(f, p[0], n[0], SEC));
	assert_false(feed(f, p[1], n[1], SEC));
	assert_true(feed(f, p[2], n[2], SEC)); /* 299 below: read, flagged */
	assert_a2_hello(f);
	assert_true(f->qh.conn->fl.conflict);
	assert_int_equal(st(f)->pn_far, 1);
	quic_table_finish(f->qt, f->qh.conn, SEC);

	/* PN 1 under DCID z (sealed with the connection's keys: the packet
	 * is the connection's to the sensor, no server routes z to it), then
	 * the real PN 1 */
	dcid[0] ^= 2;
	memcpy(z, dcid, 8);
	z[7] ^= 0x55;
	n[0] = seal_part(f, QUIC_V1, dcid, 8, 0, 0, 80, p[0]);
	n[1] = seal_part(f, QUIC_V1, dcid, 8, 1, 80, 241, p[1]);
	{
		uint8_t ping = 0x01;

		n[3] = quic_seal_initial_as(QUIC_V1, dcid, 8, z, 8, 1, 2, &ping, 1, 1200, p[3],
					    sizeof(p[3]));
	}
	assert_true(n[3] > 0);
	assert_false(feed(f, p[0], n[0], SEC));
	assert_false(feed(f, p[3], n[3], SEC));
	assert_int_equal(st(f)->later_initials, 1);
	assert_true(feed(f, p[1], n[1], SEC));
	assert_a2_hello(f);
	assert_int_equal(st(f)->pn_repeated, 0);
}

/* A hello over three Initials, sent last part first. */
static void test_quic_out_of_order(void **state)
{
	struct fixture *f = *state;
	uint8_t p[4][2048];
	uint32_t n[4];

	n[0] = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 0, 0, 80, p[0]);
	n[1] = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 1, 80, 160, p[1]);
	n[2] = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 2, 160, 241, p[2]);
	n[3] = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 3, 80, 160, p[3]);
	assert_false(feed(f, p[2], n[2], SEC));
	assert_false(feed(f, p[1], n[1], SEC));
	assert_false(feed(f, p[3], n[3], SEC)); /* retransmitted before completion */
	assert_int_equal(st(f)->crypto_dup, 1);
	/* the same packet again (the network's copy): a packet number read */
	assert_false(feed(f, p[1], n[1], SEC));
	assert_int_equal(st(f)->pn_repeated, 1);
	assert_int_equal(st(f)->crypto_dup, 1);
	assert_true(st(f)->out_of_order >= 2);
	assert_true(feed(f, p[0], n[0], 2 * SEC));
	assert_a2_hello(f);
	/* IP meta and time of the first Initial seen. */
	assert_int_equal(f->qh.conn->fl.first_byte_ns, SEC);
	assert_int_equal(st(f)->conns, 1);
	assert_int_equal(st(f)->hellos, 1);
}

/* Coalesced: two Initials and a Handshake packet in one datagram. */
static void test_quic_coalesced(void **state)
{
	struct fixture *f = *state;
	uint32_t n = 0;

	n += seal_part(f, QUIC_V1, rfc9001_dcid, 8, 0, 120, 241, f->dgram);
	n += seal_part(f, QUIC_V1, rfc9001_dcid, 8, 1, 0, 120, f->dgram + n);
	/* a Handshake packet (type 2) with some length: skipped */
	memcpy(f->dgram + n,
	       (uint8_t[]){ 0xe0, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0x04, 1, 2, 3, 4 }, 20);
	n += 20;
	assert_true(feed(f, f->dgram, n, SEC));
	assert_a2_hello(f);
	assert_int_equal(st(f)->initials, 2);
	assert_int_equal(st(f)->datagrams, 1);
}

/* The client's later Initials go to the server's connection ID under the
 * keys of its first DCID: they belong to the connection, no new one. Then a
 * new connection on the same 4-tuple (a new DCID, its own keys) is a new
 * record. */
static void test_quic_later_initial_and_new_conn(void **state)
{
	struct fixture *f = *state;
	static const uint8_t server_cid[5] = { 9, 9, 9, 9, 9 };
	static const uint8_t dcid2[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t ack[] = { 0x02, 0x00, 0x00, 0x00, 0x00 }; /* ACK of pn 0 */
	struct quic_conn *c;
	uint32_t n;

	assert_true(feed(f, rfc9001_initial, sizeof(rfc9001_initial), SEC));
	c = f->qh.conn;
	quic_table_finish(f->qt, c, SEC);
	/* the same DCID again: a lookup */
	n = quic_seal_initial(QUIC_V1, rfc9001_dcid, 8, 3, 2, ack, sizeof(ack), 1200, f->dgram,
			      sizeof(f->dgram));
	assert_false(feed(f, f->dgram, n, 2 * SEC));
	assert_int_equal(st(f)->after_done, 1);
	/* to the server's CID under the original keys: the same connection */
	n = quic_seal_initial_as(QUIC_V1, rfc9001_dcid, 8, server_cid, 5, 4, 2, ack, sizeof(ack),
				 1200, f->dgram, sizeof(f->dgram));
	assert_false(feed(f, f->dgram, n, 2 * SEC));
	assert_int_equal(st(f)->later_initials, 1);
	assert_int_equal(st(f)->after_done, 2);
	assert_int_equal(st(f)->decrypt_failed, 0);
	assert_int_equal(st(f)->conns, 1);
	/* a new connection from the same 4-tuple */
	n = seal_part(f, QUIC_V1, dcid2, 8, 0, 0, 241, f->dgram);
	assert_true(feed(f, f->dgram, n, 3 * SEC));
	assert_ptr_not_equal(f->qh.conn, c);
	assert_a2_hello(f);
	assert_int_equal(st(f)->conns, 2);
	assert_int_equal(st(f)->hellos, 2);
	assert_int_equal(quic_table_count(f->qt), 2);
}

/* A later Initial of a connection still waiting for its hello: its CRYPTO
 * data counts (a hello's last part may come after the server's Initial). */
static void test_quic_later_initial_completes(void **state)
{
	struct fixture *f = *state;
	static const uint8_t server_cid[8] = { 0xa, 0xb, 0xc, 0xd, 0xe, 0xf, 0x1, 0x2 };
	uint8_t pkt[2048];
	uint32_t hlen, n, fl;
	const uint8_t *h = a2_hello(&hlen);

	n = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 0, 0, 100, pkt);
	assert_false(feed(f, pkt, n, SEC));
	fl = quic_crypto_frame(100, h + 100, hlen - 100, f->frames);
	n = quic_seal_initial_as(QUIC_V1, rfc9001_dcid, 8, server_cid, 8, 1, 2, f->frames, fl, 1200,
				 f->dgram, sizeof(f->dgram));
	assert_true(feed(f, f->dgram, n, 2 * SEC));
	assert_a2_hello(f);
	assert_int_equal(st(f)->later_initials, 1);
	assert_int_equal(st(f)->conns, 1);
}

static void test_quic_versions(void **state)
{
	struct fixture *f = *state;
	static const uint8_t d2[8] = { 2, 2, 2, 2, 2, 2, 2, 2 };
	static const uint8_t d29[4] = { 0x29, 0x29, 0x29, 0x29 };
	uint32_t n;

	n = seal_part(f, QUIC_V2, d2, 8, 0, 0, 241, f->dgram);
	assert_true(n > 0);
	assert_int_equal(f->dgram[0] & 0x30, 0x10); /* v2 Initial type bits */
	assert_true(feed(f, f->dgram, n, SEC));
	assert_int_equal(f->qh.conn->version, QUIC_V2);
	assert_a2_hello(f);
	quic_table_finish(f->qt, f->qh.conn, SEC);
	f->pi.sport++;
	n = seal_part(f, QUIC_DRAFT29, d29, 4, 0, 0, 241, f->dgram);
	assert_true(feed(f, f->dgram, n, SEC));
	assert_int_equal(f->qh.conn->version, QUIC_DRAFT29);
	assert_a2_hello(f);
	assert_string_equal(quic_version_str(QUIC_V2), "2");
	assert_string_equal(quic_version_str(QUIC_DRAFT29), "draft-29");
	assert_null(quic_version_str(7));
}

/* Garbage on UDP 443: counted, nothing kept. */
static void test_quic_garbage(void **state)
{
	struct fixture *f = *state;
	uint8_t d[1200];

	memset(d, 0x41, sizeof(d));
	d[0] = 0x40; /* short header */
	assert_false(feed(f, d, 64, SEC));
	assert_int_equal(st(f)->short_header, 1);
	d[0] = 0x17; /* not QUIC at all (DNS, TLS over UDP, ...) */
	assert_false(feed(f, d, sizeof(d), SEC));
	assert_int_equal(st(f)->not_quic, 1);
	d[0] = 0xc0; /* long header, version 0x41414141 */
	assert_false(feed(f, d, sizeof(d), SEC));
	assert_int_equal(st(f)->unknown_version, 1);
	memcpy(d + 1, (uint8_t[]){ 0, 0, 0, 1, 21 }, 5); /* DCID of 21 bytes */
	assert_false(feed(f, d, sizeof(d), SEC));
	assert_false(feed(f, d, 4, SEC)); /* too short for a long header */
	d[5] = 8;
	d[14] = 0;    /* SCID */
	d[15] = 0x3f; /* token length past the end */
	assert_false(feed(f, d, 20, SEC));
	assert_int_equal(st(f)->malformed, 2);
	assert_int_equal(st(f)->not_quic, 2);
	d[15] = 0;    /* no token */
	d[16] = 0x30; /* length 48 > the rest */
	assert_false(feed(f, d, 40, SEC));
	assert_int_equal(st(f)->malformed, 3);
	d[16] = 30; /* fits, in a datagram under 1200 bytes: servers drop it */
	assert_false(feed(f, d, 64, SEC));
	assert_int_equal(st(f)->small_datagram, 1);
	assert_int_equal(st(f)->decrypt_failed, 0);
	d[16] = 0x40 | (1200 - 18) >> 8; /* fits: decryption fails */
	d[17] = (1200 - 18) & 0xff;
	assert_false(feed(f, d, 1200, SEC));
	assert_int_equal(st(f)->decrypt_failed, 1);
	assert_int_equal(quic_table_count(f->qt), 0);
}

/* Frames: each type read, unknown and cut ones end the packet. */
static void test_quic_frames(void **state)
{
	static const uint8_t ok[] = {
		0x00, 0x00, 0x01,                               /* PADDING x2, PING */
		0x02, 0x05, 0x00, 0x01, 0x00, 0x01, 0x02,       /* ACK: 1 range */
		0x03, 0x05, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, /* ACK_ECN */
		0x06, 0x00, 0x02, 'h',  'i',                    /* CRYPTO */
		0x1c, 0x0a, 0x06, 0x02, 'n',  'o',              /* CONNECTION_CLOSE */
		0x00,
	};
	static const uint8_t stream[] = { 0x08, 0x00, 0x00 };
	static const uint8_t cut[] = { 0x06, 0x00, 0x05, 'h' };
	static const uint8_t ack_cut[] = { 0x02, 0x05, 0x00, 0x40 };

	(void)state;
	assert_int_equal(quic_parse_frames(ok, sizeof(ok), NULL, NULL), 1);
	assert_int_equal(quic_parse_frames(stream, sizeof(stream), NULL, NULL), -1);
	assert_int_equal(quic_parse_frames(cut, sizeof(cut), NULL, NULL), -1);
	assert_int_equal(quic_parse_frames(ack_cut, sizeof(ack_cut), NULL, NULL), -1);
	assert_int_equal(quic_parse_frames(ok, 0, NULL, NULL), 0);
}

static void test_quic_varint(void **state)
{
	/* RFC 9000 §A.1 examples */
	static const uint8_t v8[] = { 0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c };
	static const uint8_t v4[] = { 0x9d, 0x7f, 0x3e, 0x7d };
	static const uint8_t v2[] = { 0x7b, 0xbd };
	uint32_t pos = 0;
	uint64_t v;

	(void)state;
	assert_true(quic_varint(v8, 8, &pos, &v));
	assert_int_equal(v, 151288809941952652ULL);
	pos = 0;
	assert_true(quic_varint(v4, 4, &pos, &v));
	assert_int_equal(v, 494878333);
	pos = 0;
	assert_true(quic_varint(v2, 2, &pos, &v));
	assert_int_equal(v, 15293);
	pos = 0;
	assert_false(quic_varint(v8, 7, &pos, &v));
}

/* CRYPTO beyond the byte cap, and Initials without end: given up. */
static void test_quic_limits(void **state)
{
	struct fixture *f = *state;
	uint8_t big[8] = { 1, 0, 0, 4, 'x', 'y', 'z', 'w' };
	uint32_t n, fl;

	fl = quic_crypto_frame(REASM_MAX_BYTES, big, 8, f->frames);
	n = quic_seal_initial(QUIC_V1, rfc9001_dcid, 8, 0, 2, f->frames, fl, 1200, f->dgram,
			      sizeof(f->dgram));
	assert_false(feed(f, f->dgram, n, SEC));
	assert_int_equal(st(f)->byte_limit, 1);
	assert_int_equal(quic_table_count(f->qt), 1); /* ignored: still waiting */
	/* a hello announcing more than HELLO_MAX_BODY */
	other_client(f);
	big[1] = 0xff;
	fl = quic_crypto_frame(0, big, 8, f->frames);
	n = quic_seal_initial(QUIC_V1, rfc9001_dcid, 8, 0, 2, f->frames, fl, 1200, f->dgram,
			      sizeof(f->dgram));
	assert_false(feed(f, f->dgram, n, SEC));
	assert_int_equal(st(f)->too_big, 1);
	/* not a ClientHello */
	other_client(f);
	big[0] = 2;
	fl = quic_crypto_frame(0, big, 8, f->frames);
	n = quic_seal_initial(QUIC_V1, rfc9001_dcid, 8, 0, 2, f->frames, fl, 1200, f->dgram,
			      sizeof(f->dgram));
	assert_false(feed(f, f->dgram, n, SEC));
	assert_int_equal(st(f)->not_hello, 1);
	/* Initials that never complete: given up after QUIC_MAX_PACKETS */
	other_client(f);
	for (uint32_t i = 0; i <= QUIC_MAX_PACKETS + 1; i++) {
		n = quic_seal_initial(QUIC_V1, rfc9001_dcid, 8, i, 2, (uint8_t[]){ 0x01 }, 1, 1200,
				      f->dgram, sizeof(f->dgram));
		assert_false(feed(f, f->dgram, n, SEC));
	}
	assert_int_equal(st(f)->packet_limit, 1);
	assert_true(st(f)->after_done >= 1);
	assert_int_equal(st(f)->hellos, 0);
}

/* The table keeps max_conns; finished connections go first; expiry. */
static void test_quic_table_bound_and_expiry(void **state)
{
	struct fixture *f = *state;
	uint32_t n;

	for (uint32_t i = 0; i < 20; i++) {
		f->pi.src[3] = (uint8_t)(100 + i);
		n = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 0, 0, 100, f->dgram);
		assert_false(feed(f, f->dgram, n, SEC + i));
	}
	assert_int_equal(quic_table_count(f->qt), 16);
	assert_int_equal(st(f)->evicted, 4);
	assert_int_equal(st(f)->evicted_done, 0);
	assert_int_equal(quic_table_expire(f->qt, 5 * SEC), 0);
	assert_int_equal(quic_table_expire(f->qt, 12 * SEC), 16);
	assert_int_equal(st(f)->timeouts, 16);
	assert_int_equal(quic_table_count(f->qt), 0);
	/* a full table of finished connections: the oldest finished goes */
	for (uint32_t i = 0; i < 17; i++) {
		f->pi.src[3] = (uint8_t)(100 + i);
		n = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 0, 0, 241, f->dgram);
		assert_true(feed(f, f->dgram, n, 20 * SEC + i));
		quic_table_finish(f->qt, f->qh.conn, 20 * SEC + i);
	}
	assert_int_equal(quic_table_count(f->qt), 16);
	assert_int_equal(st(f)->evicted_done, 1);
	assert_int_equal(st(f)->evicted, 4);
}

/* Live pcap mode: new connections through the bucket (1/s, burst 2);
 * known connections are not limited. */
static void test_quic_new_connection_bucket(void **state)
{
	struct fixture *f = *state;
	struct quic_config qc = { .max_conns = 16,
				  .timeout_ns = 10 * SEC,
				  .max_bytes = REASM_MAX_BYTES,
				  .max_segments = 100,
				  .limit_new = true,
				  .new_rate = 1,
				  .new_burst = 2 };
	uint8_t seed[16] = { 0 };
	uint32_t n;

	quic_table_free(f->qt);
	f->qt = quic_table_new(&qc, seed);
	assert_non_null(f->qt);
	for (uint32_t i = 0; i < 4; i++) {
		f->pi.src[3] = (uint8_t)(100 + i);
		n = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 0, 0, 100, f->dgram);
		assert_false(feed(f, f->dgram, n, 100 * SEC));
	}
	assert_int_equal(st(f)->conns, 2);
	assert_int_equal(st(f)->limited, 2);
	/* the rest of an admitted connection's hello is not limited */
	f->pi.src[3] = 100;
	n = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 1, 100, 241, f->dgram);
	assert_true(feed(f, f->dgram, n, 100 * SEC));
	/* a second later a token is back */
	f->pi.src[3] = 103;
	n = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 0, 0, 241, f->dgram);
	assert_true(feed(f, f->dgram, n, 101 * SEC));
	assert_int_equal(st(f)->limited, 2);
}

/* Frames a server ignores or buffers must not cost the record: a CRYPTO
 * frame at a huge offset before the hello (once ended the connection, so a
 * client could hide from the sensor), one straddling the cap, and the
 * stream's first byte retransmitted more often than max_segments. */
static void test_quic_ignored_frames_keep_hello(void **state)
{
	struct fixture *f = *state;
	static const uint8_t huge[] = {
		0x06, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0x01, 'x'
	}; /* CRYPTO at 2^62 - 2, 8-byte varint */
	uint8_t big[4] = { 'a', 'b', 'c', 'd' };
	uint32_t hlen, n = 0;
	const uint8_t *h = a2_hello(&hlen);

	memcpy(f->frames, huge, sizeof(huge));
	n = sizeof(huge);
	n += quic_crypto_frame(REASM_MAX_BYTES - 2, big, 4, f->frames + n);
	for (int i = 0; i < 150; i++) /* CRYPTO(0, h[0]), 1-byte varints */
		n += (uint32_t)(memcpy(f->frames + n, (uint8_t[]){ 0x06, 0, 1, h[0] }, 4), 4);
	n = quic_seal_initial(QUIC_V1, rfc9001_dcid, 8, 0, 2, f->frames, n, 1200, f->dgram,
			      sizeof(f->dgram));
	assert_false(feed(f, f->dgram, n, SEC));
	assert_int_equal(st(f)->byte_limit, 1);
	assert_int_equal(st(f)->crypto_dup, 149);
	assert_int_equal(st(f)->packet_limit, 0);
	n = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 1, 0, hlen, f->dgram);
	assert_true(feed(f, f->dgram, n, SEC));
	assert_a2_hello(f);
	assert_int_equal(st(f)->crypto_conflict, 0);
}

/* Bytes at an offset that change (RFC 9000 §2.2): counted, whichever
 * copy is kept. A retransmission of final bytes keeps the first copy; an
 * in-order frame wins over held bytes it covers, as reasm.h says. */
static void test_quic_crypto_conflict(void **state)
{
	struct fixture *f = *state;
	uint8_t alt[241], fr[600];
	uint32_t hlen, n, fl;
	const uint8_t *h = a2_hello(&hlen);

	memcpy(alt, h, hlen);
	memset(alt + 100, 'Z', 60); /* other bytes over [100, 160) */
	fl = quic_crypto_frame(100, alt + 100, 100, fr);
	n = quic_seal_initial(QUIC_V1, rfc9001_dcid, 8, 0, 2, fr, fl, 1200, f->dgram,
			      sizeof(f->dgram));
	assert_false(feed(f, f->dgram, n, SEC)); /* held */
	n = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 1, 0, hlen, f->dgram);
	assert_true(feed(f, f->dgram, n, SEC));
	assert_a2_hello(f); /* the in-order copy */
	assert_int_equal(st(f)->crypto_conflict, 1);
	assert_int_equal(f->qh.conn->fl.conflict, 1); /* the record says so */
	/* a new connection: final bytes retransmitted with other bytes */
	other_client(f);
	n = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 0, 0, 160, f->dgram);
	assert_false(feed(f, f->dgram, n, SEC));
	fl = quic_crypto_frame(100, alt + 100, 60, fr);
	n = quic_seal_initial(QUIC_V1, rfc9001_dcid, 8, 1, 2, fr, fl, 1200, f->dgram,
			      sizeof(f->dgram));
	assert_false(feed(f, f->dgram, n, SEC));
	assert_int_equal(st(f)->crypto_conflict, 2);
	n = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 2, 160, hlen, f->dgram);
	assert_true(feed(f, f->dgram, n, SEC));
	assert_a2_hello(f); /* the first copy */
	assert_int_equal(f->qh.conn->fl.conflict, 1);
}

/* Packets coalesced behind an Initial go to its connection: one of another
 * DCID is ignored (RFC 9000 §12.2), not decrypted, so a datagram of many
 * Initials of fresh DCIDs costs one key derivation, not one each. */
static void test_quic_coalesced_other_dcid(void **state)
{
	struct fixture *f = *state;
	static const uint8_t other[8] = { 7, 7, 7, 7, 7, 7, 7, 7 };
	uint8_t *d = malloc(65536);
	uint32_t n = 0;

	assert_non_null(d);
	n += seal_part(f, QUIC_V1, rfc9001_dcid, 8, 0, 0, 120, d);
	/* a whole hello under another DCID (and its own keys): ignored */
	n += seal_part(f, QUIC_V1, other, 8, 0, 0, 241, d + n);
	assert_false(feed(f, d, n, SEC));
	assert_int_equal(st(f)->malformed, 1);
	assert_int_equal(st(f)->initials, 1);
	assert_int_equal(st(f)->conns, 1);
	/* 1,500 garbage Initials of fresh DCIDs in one datagram */
	n = 0;
	f->pi.sport++;
	for (uint32_t i = 0; i < 1500; i++) {
		uint8_t *p = d + n;

		memcpy(p, (uint8_t[]){ 0xc0, 0, 0, 0, 1, 8 }, 6);
		memcpy(p + 6, &i, 4);
		memset(p + 10, 0x5a, 4);
		memcpy(p + 14, (uint8_t[]){ 0, 0, 21 }, 3); /* SCID, token, length */
		memset(p + 17, 0xa5, 21);
		n += 38;
	}
	assert_false(feed(f, d, n, SEC));
	assert_int_equal(st(f)->decrypt_failed, 1);
	assert_int_equal(st(f)->malformed, 1 + 1499);
	free(d);
}

/* A whole hello in an Initial of a datagram of 1199 bytes: servers drop
 * it (RFC 9000 §14.1), so no record; in 1200 bytes, one. */
static void test_quic_small_datagram(void **state)
{
	struct fixture *f = *state;
	uint32_t hlen, fl, n;
	const uint8_t *h = a2_hello(&hlen);

	fl = quic_crypto_frame(0, h, hlen, f->frames);
	/* 18 header bytes, 2 of packet number, the payload, 16 of tag */
	n = quic_seal_initial(QUIC_V1, rfc9001_dcid, 8, 0, 2, f->frames, fl, 1199 - 36, f->dgram,
			      sizeof(f->dgram));
	assert_int_equal(n, 1199);
	assert_false(feed(f, f->dgram, n, SEC));
	assert_int_equal(st(f)->small_datagram, 1);
	assert_int_equal(st(f)->initials, 0);
	assert_int_equal(quic_table_count(f->qt), 0);
	n = quic_seal_initial(QUIC_V1, rfc9001_dcid, 8, 0, 2, f->frames, fl, 1200 - 36, f->dgram,
			      sizeof(f->dgram));
	assert_int_equal(n, 1200);
	assert_true(feed(f, f->dgram, n, SEC));
	assert_a2_hello(f);
	/* what counts is the datagram's length on the wire, not the capture's */
	f->pi.sport++;
	f->pi.payload = f->dgram;
	f->pi.payload_len = 600;
	f->pi.payload_wire = 1200;
	assert_false(quic_process(f->qt, &f->pi, SEC, 0, &f->qh));
	assert_int_equal(st(f)->small_datagram, 1);
	assert_int_equal(st(f)->malformed, 1); /* the packet runs past the capture */
}

/* (a) A client's Initials of other DCIDs between the two Initials of its
 * hello (its server keys connections by DCID and reads the hello): they
 * do not push its waiting connection out, there being no bound per
 * 4-tuple; the decoys wait on, each a connection of its own. */
static void test_quic_decoys_between_initials(void **state)
{
	struct fixture *f = *state;
	uint8_t dcid[8] = { 0xd0 };
	uint32_t n;

	n = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 0, 0, 100, f->dgram);
	assert_false(feed(f, f->dgram, n, SEC));
	for (uint8_t i = 0; i < 8; i++) {
		dcid[7] = i;
		n = seal_part(f, QUIC_V1, dcid, 8, 0, 0, 100, f->dgram);
		assert_false(feed(f, f->dgram, n, SEC + i));
	}
	assert_int_equal(st(f)->conns, 9);
	assert_int_equal(quic_table_count(f->qt), 9);
	assert_int_equal(st(f)->evicted, 0);
	n = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 1, 100, 241, f->dgram);
	assert_true(feed(f, f->dgram, n, 2 * SEC));
	assert_a2_hello(f);
	assert_memory_equal(f->qh.conn->dcid, rfc9001_dcid, 8);
	assert_int_equal(f->qh.conn->fl.first_byte_ns, SEC);
	quic_table_finish(f->qt, f->qh.conn, 2 * SEC);
	/* a decoy's rest completes its own */
	dcid[7] = 3;
	n = seal_part(f, QUIC_V1, dcid, 8, 1, 100, 241, f->dgram);
	assert_true(feed(f, f->dgram, n, 2 * SEC));
	assert_memory_equal(f->qh.conn->dcid, dcid, 8);
	assert_int_equal(st(f)->hellos, 2);
	assert_int_equal(st(f)->conns, 9);
	assert_int_equal(st(f)->port_changed, 0);
}

/* (b) The client's port changes between its Initials (NAT rebinding, or
 * on purpose): its server routes them by DCID to one connection, and so
 * does the table: one record, with the first Initial's port and IP meta.
 * A retransmission from a third port is the finished connection's. */
static void test_quic_port_change(void **state)
{
	struct fixture *f = *state;
	uint32_t n;

	n = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 0, 0, 100, f->dgram);
	assert_false(feed(f, f->dgram, n, SEC));
	f->pi.sport = 50001;
	f->pi.ip_id = 78;
	n = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 1, 100, 241, f->dgram);
	assert_true(feed(f, f->dgram, n, 2 * SEC));
	assert_a2_hello(f);
	assert_int_equal(f->qh.conn->fl.key.sport, 50000);
	assert_int_equal(f->qh.conn->fl.meta.ip_id, 77);
	assert_int_equal(st(f)->port_changed, 1);
	assert_int_equal(st(f)->conns, 1);
	quic_table_finish(f->qt, f->qh.conn, 2 * SEC);
	f->pi.sport = 50002;
	n = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 2, 0, 241, f->dgram);
	assert_false(feed(f, f->dgram, n, 3 * SEC));
	assert_int_equal(st(f)->after_done, 1);
	assert_int_equal(st(f)->hellos, 1);
	assert_int_equal(st(f)->conns, 1);
	assert_int_equal(quic_table_count(f->qt), 1);
	/* another server port is another server's connection */
	f->pi.dport = 8443;
	assert_true(feed(f, f->dgram, n, 3 * SEC));
	assert_int_equal(st(f)->conns, 2);
}

/* Anyone who sees a client's DCID can forge its Initials (the keys come
 * from the DCID alone). Forged ones from another address make a
 * connection of their own under that address: they bring no bytes into
 * the client's hello, do not end or replace its connection, and a whole
 * hello among them is recorded under the address that sent it. */
static void test_quic_spoofer_other_address(void **state)
{
	struct fixture *f = *state;
	uint8_t alt[241], fr[400];
	uint32_t hlen, n, fl;
	const uint8_t *h = a2_hello(&hlen);

	n = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 0, 0, 100, f->dgram);
	assert_false(feed(f, f->dgram, n, SEC));
	/* the rest, with other bytes, from 198.19.0.9, port and all */
	memcpy(alt, h, hlen);
	memset(alt + 100, 'Z', hlen - 100);
	memcpy(f->pi.src, (uint8_t[]){ 198, 19, 0, 9 }, 4);
	fl = quic_crypto_frame(100, alt + 100, hlen - 100, fr);
	n = quic_seal_initial(QUIC_V1, rfc9001_dcid, 8, 1, 2, fr, fl, 1200, f->dgram,
			      sizeof(f->dgram));
	assert_false(feed(f, f->dgram, n, SEC));
	assert_int_equal(st(f)->conns, 2);
	assert_int_equal(st(f)->port_changed, 0);
	/* the client's own rest: its hello, untouched */
	memcpy(f->pi.src, (uint8_t[]){ 198, 18, 0, 1 }, 4);
	n = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 1, 100, 241, f->dgram);
	assert_true(feed(f, f->dgram, n, 2 * SEC));
	assert_a2_hello(f);
	assert_int_equal(f->qh.conn->fl.conflict, 0);
	assert_int_equal(st(f)->crypto_conflict, 0);
	assert_int_equal(f->qh.conn->fl.key.src[3], 1);
	quic_table_finish(f->qt, f->qh.conn, 2 * SEC);
	/* a whole hello from another address: recorded under it */
	memcpy(f->pi.src, (uint8_t[]){ 198, 19, 0, 10 }, 4);
	fl = quic_crypto_frame(0, alt, hlen, fr);
	n = quic_seal_initial(QUIC_V1, rfc9001_dcid, 8, 0, 2, fr, fl, 1200, f->dgram,
			      sizeof(f->dgram));
	assert_true(feed(f, f->dgram, n, 3 * SEC));
	assert_int_equal(f->qh.conn->fl.key.src[2], 0);
	assert_int_equal(f->qh.conn->fl.key.src[3], 10);
	assert_memory_equal(f->qh.msg, alt, hlen);
	assert_int_equal(st(f)->hellos, 2);
	assert_int_equal(st(f)->conns, 3);
	/* the client's connection is still there, finished: its
	 * retransmission gives no second record */
	memcpy(f->pi.src, (uint8_t[]){ 198, 18, 0, 1 }, 4);
	n = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 2, 0, 241, f->dgram);
	assert_false(feed(f, f->dgram, n, 3 * SEC));
	assert_int_equal(st(f)->after_done, 1);
	assert_int_equal(st(f)->hellos, 2);
}

/* 20,000 authentic Initials of fresh DCIDs from one 4-tuple between the
 * two Initials of a real hello: each costs a lookup of its own (a few hash
 * chain steps, not a walk over the 4-tuple's connections), a trial with
 * the 4-tuple's newest keys and a key derivation; all 20,001 connections
 * are kept (the table holds 30,000), and the hello is recorded. A table of
 * 1,000 keeps 1,000 of them. */
static void test_quic_fresh_dcid_flood(void **state)
{
	struct fixture *f = *state;
	struct quic_config qc = { .max_conns = 30000,
				  .timeout_ns = 60 * SEC,
				  .max_bytes = REASM_MAX_BYTES,
				  .max_segments = 100 };
	uint8_t seed[16] = { 9 }, dcid[8] = { 0xf1 }, pkt[2048];
	uint32_t n, hlen, fl;
	const uint8_t *h = a2_hello(&hlen);
	uint64_t steps;

	quic_table_free(f->qt);
	f->qt = quic_table_new(&qc, seed);
	assert_non_null(f->qt);
	n = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 0, 0, 100, f->dgram);
	assert_false(feed(f, f->dgram, n, SEC));
	fl = quic_crypto_frame(0, h, 100, f->frames);
	for (uint32_t i = 0; i < 20000; i++) {
		struct quic_keys k;

		memcpy(dcid + 4, &i, 4);
		assert_int_equal(quic_initial_keys(QUIC_V1, dcid, 8, &k), 0);
		n = quic_seal_with(QUIC_V1, &k, dcid, 8, 0, 2, f->frames, fl, 1200, pkt,
				   sizeof(pkt));
		assert_false(feed(f, pkt, n, SEC + 1000 + i));
	}
	steps = st(f)->chain_steps;
	assert_int_equal(st(f)->conns, 20001);
	assert_int_equal(quic_table_count(f->qt), 20001);
	assert_int_equal(st(f)->evicted, 0);
	/* a lookup in the conn chain and one or two in the tuple chain each:
	 * a walk over the 4-tuple's connections would be ~10^8 */
	assert_true(steps < 6 * st(f)->initials);
	print_message("%u Initials, %llu chain steps\n", (unsigned)st(f)->initials,
		      (unsigned long long)steps);
	n = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 1, 100, 241, f->dgram);
	assert_true(feed(f, f->dgram, n, 2 * SEC));
	assert_a2_hello(f);
	assert_int_equal(f->qh.conn->fl.first_byte_ns, SEC);
	/* the table's own bound holds them from one 4-tuple too: past 1,000
	 * the oldest waiting one goes, one for one */
	quic_table_free(f->qt);
	qc.max_conns = 1000;
	f->qt = quic_table_new(&qc, seed);
	assert_non_null(f->qt);
	for (uint32_t i = 0; i < 2000; i++) {
		struct quic_keys k;

		memcpy(dcid + 4, &i, 4);
		assert_int_equal(quic_initial_keys(QUIC_V1, dcid, 8, &k), 0);
		n = quic_seal_with(QUIC_V1, &k, dcid, 8, 0, 2, f->frames, fl, 1200, pkt,
				   sizeof(pkt));
		assert_false(feed(f, pkt, n, SEC + i));
	}
	assert_int_equal(quic_table_count(f->qt), 1000);
	assert_int_equal(st(f)->evicted, 1000);
	assert_int_equal(st(f)->conns, 2000);
}

/* A hello a few bytes an Initial (a server reads it) is not cut off after
 * QUIC_MAX_PACKETS: only packets without in-order progress count. */
static void test_quic_hello_in_many_initials(void **state)
{
	struct fixture *f = *state;
	uint32_t hlen, n, i = 0;

	(void)a2_hello(&hlen);
	for (uint32_t off = 0; off < hlen; off += 3, i++) {
		uint32_t to = off + 3 < hlen ? off + 3 : hlen;

		n = seal_part(f, QUIC_V1, rfc9001_dcid, 8, i, off, to, f->dgram);
		assert_int_equal(feed(f, f->dgram, n, SEC), to == hlen);
	}
	assert_true(i > 2 * QUIC_MAX_PACKETS);
	assert_a2_hello(f);
	assert_int_equal(st(f)->packet_limit, 0);
}

/* After the server's Retry the client starts over from the same 4-tuple
 * with a new DCID and the Retry's token (RFC 9000 §8.1.2), and sends the
 * same hello: one record per client connection, not two. A Retry before
 * the hello was whole (the server kept nothing of the first attempt)
 * drops the first attempt. Without a token a new DCID is a new one. */
static void test_quic_retry(void **state)
{
	struct fixture *f = *state;
	static const uint8_t dcid2[8] = { 0x22, 2, 2, 2, 2, 2, 2, 2 };
	static const uint8_t dcid3[8] = { 0x33, 3, 3, 3, 3, 3, 3, 3 };
	static const uint8_t token[16] = { 0x7e, 0x7e };
	struct quic_keys k2, k3;
	uint8_t fr[300], other[300];
	uint32_t hlen, fl, n;
	const uint8_t *h = a2_hello(&hlen);

	assert_int_equal(quic_initial_keys(QUIC_V1, dcid2, 8, &k2), 0);
	assert_int_equal(quic_initial_keys(QUIC_V1, dcid3, 8, &k3), 0);
	fl = quic_crypto_frame(0, h, hlen, fr);
	n = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 0, 0, hlen, f->dgram);
	assert_true(feed(f, f->dgram, n, SEC));
	quic_table_finish(f->qt, f->qh.conn, SEC);
	n = quic_seal_token(QUIC_V1, &k2, dcid2, 8, token, sizeof(token), 1, 2, fr, fl, 1200,
			    f->dgram, sizeof(f->dgram));
	assert_false(feed(f, f->dgram, n, SEC + 1000));
	assert_int_equal(st(f)->retried, 1);
	assert_int_equal(st(f)->hellos, 1);
	/* its retransmission: the same connection */
	assert_false(feed(f, f->dgram, n, SEC + 2000));
	assert_int_equal(st(f)->conns, 2);
	assert_int_equal(st(f)->hellos, 1);
	/* Retry after the first of two Initials: the first attempt is left
	 * to time out (the token alone proves no Retry), the second gives
	 * the record */
	other_client(f);
	n = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 0, 0, 100, f->dgram);
	assert_false(feed(f, f->dgram, n, 2 * SEC));
	n = quic_seal_token(QUIC_V1, &k2, dcid2, 8, token, sizeof(token), 1, 2, fr, fl, 1200,
			    f->dgram, sizeof(f->dgram));
	assert_true(feed(f, f->dgram, n, 2 * SEC));
	assert_a2_hello(f);
	assert_memory_equal(f->qh.conn->dcid, dcid2, 8);
	assert_int_equal(st(f)->retried, 2);
	quic_table_finish(f->qt, f->qh.conn, 2 * SEC);
	assert_int_equal(quic_table_count(f->qt), 4);
	/* no token: a new connection of the same 4-tuple, its own record */
	n = quic_seal_with(QUIC_V1, &k3, dcid3, 8, 0, 2, fr, fl, 1200, f->dgram, sizeof(f->dgram));
	assert_true(feed(f, f->dgram, n, 3 * SEC));
	assert_int_equal(st(f)->retried, 2);
	assert_int_equal(st(f)->hellos, 3);
	quic_table_finish(f->qt, f->qh.conn, 3 * SEC);
	/* A start over with another hello than the one recorded is recorded:
	 * the token is the client's to send (a server that cannot validate
	 * it goes on), so taking it on trust would let a client show the
	 * sensor one hello and its server another. */
	other_client(f);
	n = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 0, 0, hlen, f->dgram);
	assert_true(feed(f, f->dgram, n, 4 * SEC));
	quic_table_finish(f->qt, f->qh.conn, 4 * SEC);
	assert_true(hlen <= sizeof(other));
	memcpy(other, h, hlen);
	other[10] ^= 0x5a; /* in the client random */
	fl = quic_crypto_frame(0, other, hlen, fr);
	n = quic_seal_token(QUIC_V1, &k2, dcid2, 8, token, sizeof(token), 1, 2, fr, fl, 1200,
			    f->dgram, sizeof(f->dgram));
	assert_true(feed(f, f->dgram, n, 5 * SEC));
	assert_int_equal(f->qh.msg_len, hlen);
	assert_memory_equal(f->qh.msg, other, hlen);
	quic_table_finish(f->qt, f->qh.conn, 5 * SEC);
	assert_int_equal(st(f)->retried, 3);
	assert_int_equal(st(f)->retried_same, 1);
	assert_int_equal(st(f)->hellos, 5);
	/* that one's own start over, repeating it: no third record */
	n = quic_seal_token(QUIC_V1, &k3, dcid3, 8, token, sizeof(token), 1, 2, fr, fl, 1200,
			    f->dgram, sizeof(f->dgram));
	assert_false(feed(f, f->dgram, n, 6 * SEC));
	assert_int_equal(st(f)->retried, 4);
	assert_int_equal(st(f)->retried_same, 2);
	assert_int_equal(st(f)->hellos, 5);

	/* A token does not drop a first attempt still waiting: a client could
	 * otherwise take its own hello out of the sensor while its server,
	 * which sent no Retry, goes on reading it. */
	other_client(f);
	n = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 0, 0, 100, f->dgram);
	assert_false(feed(f, f->dgram, n, 7 * SEC));
	n = quic_seal_token(QUIC_V1, &k2, dcid2, 8, token, sizeof(token), 1, 2, fr, fl, 1200,
			    f->dgram, sizeof(f->dgram));
	assert_true(feed(f, f->dgram, n, 7 * SEC)); /* its own hello, recorded */
	quic_table_finish(f->qt, f->qh.conn, 7 * SEC);
	n = seal_part(f, QUIC_V1, rfc9001_dcid, 8, 1, 100, hlen, f->dgram);
	assert_true(feed(f, f->dgram, n, 7 * SEC));
	assert_a2_hello(f);
	assert_int_equal(st(f)->hellos, 7);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_quic_rfc9001_keys),
		T(test_quic_rfc9001_seal),
		T(test_quic_rfc9001_packet),
		T(test_quic_tampered),
		T(test_quic_out_of_order),
		T(test_quic_packet_numbers),
		T(test_quic_coalesced),
		T(test_quic_later_initial_and_new_conn),
		T(test_quic_later_initial_completes),
		T(test_quic_versions),
		T(test_quic_garbage),
		T(test_quic_frames),
		T(test_quic_varint),
		T(test_quic_limits),
		T(test_quic_table_bound_and_expiry),
		T(test_quic_new_connection_bucket),
		T(test_quic_ignored_frames_keep_hello),
		T(test_quic_crypto_conflict),
		T(test_quic_coalesced_other_dcid),
		T(test_quic_small_datagram),
		T(test_quic_decoys_between_initials),
		T(test_quic_port_change),
		T(test_quic_spoofer_other_address),
		T(test_quic_fresh_dcid_flood),
		T(test_quic_hello_in_many_initials),
		T(test_quic_retry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
