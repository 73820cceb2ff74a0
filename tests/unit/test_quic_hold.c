// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unit tests of quic_hold (user/quic_hold.c), the Initials kept until their
 * client proves its address, and of quic_process()'s QUIC_HELD and
 * QUIC_PROVEN: a kept hello is read only once its client names the ID its
 * server chose, in the order it came, and validated; a spoofer's Initials
 * and proofs of the wrong ID give nothing; the store is bounded per
 * 4-tuple, in bytes and in time.
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
#include "quic.h"
#include "quic_hold.h"
#include "quic_seal.h"
#include "quic_vectors.h"

#define SEC 1000000000ULL

static const uint8_t server_id[8] = { 0x5e, 0x5e, 1, 2, 3, 4, 5, 6 };

struct fixture {
	struct quic_table *qt;
	struct quic_hold *h;
	struct pkt_info pi;
	struct quic_hello qh;
	uint32_t hellos;
	bool validated;
	uint32_t replayed;
	uint8_t dgram[4096];
	uint8_t frames[4096];
};

static int setup(void **state)
{
	/* pcap mode's bucket: 1 new connection a second, 1 at once */
	struct quic_config qc = { .max_conns = 64,
				  .timeout_ns = 10 * SEC,
				  .max_bytes = REASM_MAX_BYTES,
				  .max_segments = 100,
				  .limit_new = true,
				  .new_rate = 1,
				  .new_burst = 1 };
	uint8_t seed[16] = { 4, 5, 6 };
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->qt = quic_table_new(&qc, seed);
	f->h = quic_hold_new(10 * SEC, seed);
	if (!f->qt || !f->h)
		return -1;
	quic_test_client(&f->pi);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	quic_table_free(f->qt);
	quic_hold_free(f->h);
	free(f);
	return 0;
}

static const struct quic_hold_stats *hst(struct fixture *f)
{
	return quic_hold_stats(f->h);
}

/* What the pipeline does with a client datagram (user/pipeline.c). */
static void read_one(struct fixture *f, const struct pkt_info *pi, uint64_t now, unsigned int flags)
{
	if (!quic_process(f->qt, pi, now, flags, &f->qh)) {
		if (quic_table_limited(f->qt))
			quic_hold_add(f->h, pi, now);
		return;
	}
	f->hellos++;
	f->validated = f->qh.conn->fl.has_synack;
	quic_table_finish(f->qt, f->qh.conn, now);
}

static void replay(void *arg, const struct pkt_info *pi, uint64_t now)
{
	struct fixture *f = arg;

	f->replayed++;
	read_one(f, pi, now, QUIC_KEPT | QUIC_PROVEN);
}

static bool check(void *arg, const uint8_t *srv, uint32_t len, const uint8_t *dcid, uint8_t dlen)
{
	struct fixture *f = arg;

	return quic_table_answers(f->qt, srv, len, dcid, dlen);
}

static void client(struct fixture *f, const uint8_t *d, uint32_t len, uint64_t now, bool held)
{
	unsigned int flags = held ? QUIC_HELD : 0;

	f->pi.payload = d;
	f->pi.payload_len = f->pi.payload_wire = len;
	if (quic_hold_proof(f->h, &f->pi, check, replay, f))
		flags = QUIC_KEPT;
	read_one(f, &f->pi, now, flags);
}

/* The server's Initial to the fixture's client answering its first DCID
 * answered (the server keys of it), SCID sid: an ACK frame, padded. */
static void server_as(struct fixture *f, const uint8_t *answered, const uint8_t *sid,
		      uint8_t sid_len)
{
	static const uint8_t ack[] = { 0x02, 0, 0, 0, 0 };
	struct pkt_info s = f->pi;
	struct quic_keys k;
	uint8_t p[2048];
	uint32_t n;

	assert_int_equal(quic_server_initial_keys(QUIC_V1, answered, 8, &k), 0);
	n = quic_seal_scid(QUIC_V1, &k, NULL, 0, sid, sid_len, NULL, 0, 0, 2, ack, sizeof(ack), 100,
			   p, sizeof(p));
	assert_true(n > 0);
	memcpy(s.src, f->pi.dst, 16);
	memcpy(s.dst, f->pi.src, 16);
	s.sport = f->pi.dport;
	s.dport = f->pi.sport;
	s.payload = p;
	s.payload_len = s.payload_wire = n;
	quic_hold_server(f->h, &s);
}

/* ... with SCID server_id, answering RFC 9001's DCID (the real client's). */
static void server(struct fixture *f)
{
	server_as(f, rfc9001_dcid, server_id, sizeof(server_id));
}

/* Hello bytes [from, to) of RFC 9001 A.2 in an Initial of dcid under the
 * keys of key_dcid. */
static uint32_t seal(struct fixture *f, const uint8_t *key_dcid, const uint8_t *dcid,
		     uint8_t dcid_len, uint64_t pn, uint32_t from, uint32_t to, uint8_t *out)
{
	const uint8_t *h = rfc9001_crypto + 4;
	uint32_t n = quic_crypto_frame(from, h + from, to - from, f->frames);

	return quic_seal_initial_as(QUIC_V1, key_dcid, 8, dcid, dcid_len, pn, 2, f->frames, n, 1200,
				    out, 2048);
}

/* A spoofed Initial of a fresh DCID from 198.19.x.y: takes the token. */
static void spoofed(struct fixture *f, uint8_t i, uint64_t now)
{
	struct pkt_info keep = f->pi;
	uint8_t dcid[8] = { 0xaa, i, 1, 2, 3, 4, 5, 6 };
	uint8_t d[2048];
	uint32_t n = seal(f, dcid, dcid, 8, 0, 0, 100, d);

	memcpy(f->pi.src, (uint8_t[]){ 198, 19, 0, i }, 4);
	client(f, d, n, now, false);
	f->pi = keep;
}

/* A flood empties the bucket; the real client's hello in two Initials is
 * kept, not read; its server's Initial gives the ID; the client's next
 * Initial names it: the kept Initials are read, in order, validated. */
static void test_hold_proof_replays(void **state)
{
	struct fixture *f = *state;
	uint8_t a[2048], b[2048], proof[2048];
	uint32_t na, nb, np;

	spoofed(f, 1, 100 * SEC);
	assert_int_equal(quic_table_stats(f->qt)->conns, 1);
	na = seal(f, rfc9001_dcid, rfc9001_dcid, 8, 0, 0, 120, a);
	nb = seal(f, rfc9001_dcid, rfc9001_dcid, 8, 1, 120, 241, b);
	client(f, a, na, 100 * SEC, false);
	client(f, b, nb, 100 * SEC, false);
	assert_int_equal(f->hellos, 0);
	assert_int_equal(quic_table_stats(f->qt)->limited, 2);
	assert_int_equal(hst(f)->kept, 2);
	assert_int_equal(quic_hold_count(f->h), 2);
	/* a proof before the server's Initial proves nothing (a new
	 * connection to the table, no token: kept with the rest) */
	np = seal(f, rfc9001_dcid, server_id, 8, 2, 0, 0, proof);
	client(f, proof, np, 100 * SEC, false);
	assert_int_equal(hst(f)->proofs, 0);
	assert_int_equal(hst(f)->kept, 3);
	server(f);
	assert_int_equal(hst(f)->server_ids, 1);
	client(f, proof, np, 100 * SEC, false);
	assert_int_equal(hst(f)->proofs, 1);
	assert_int_equal(f->replayed, 3);
	assert_int_equal(hst(f)->replayed, 3);
	/* the spoofed one, a, b and the proof twice: each counted once */
	assert_int_equal(quic_table_stats(f->qt)->datagrams, 5);
	assert_int_equal(quic_table_stats(f->qt)->initials, 5);
	assert_int_equal(f->hellos, 1);
	assert_true(f->validated);
	assert_true(quic_hold_empty(f->h));
	assert_int_equal(quic_hold_count(f->h), 0);
}

/* The kernel's held datagrams (QUIC_HELD): a connection the table knows
 * is read, a new one is kept; a wrong ID, or another client ID than the
 * server answered, replays nothing. */
static void test_hold_kernel_held(void **state)
{
	struct fixture *f = *state;
	uint8_t a[2048], b[2048], proof[2048];
	uint32_t na, nb, np;
	static const uint8_t wrong[8] = { 0x5e, 0x5e, 1, 2, 3, 4, 5, 7 };

	/* admitted first half, held second half: read (known connection) */
	na = seal(f, rfc9001_dcid, rfc9001_dcid, 8, 0, 0, 120, a);
	nb = seal(f, rfc9001_dcid, rfc9001_dcid, 8, 1, 120, 241, b);
	client(f, a, na, 200 * SEC, false);
	client(f, b, nb, 200 * SEC, true);
	assert_int_equal(f->hellos, 1);
	assert_false(f->validated);
	assert_int_equal(hst(f)->kept, 0);
	/* another client's whole hello, held */
	f->pi.src[3] = 9;
	na = seal(f, rfc9001_dcid, rfc9001_dcid, 8, 0, 0, 241, a);
	client(f, a, na, 200 * SEC, true);
	assert_int_equal(hst(f)->kept, 1);
	assert_int_equal(f->hellos, 1);
	/* the server's answer is sealed for another DCID: nothing read, the
	 * kept Initial dropped (and the proof, a new connection to the
	 * table, kept) */
	server_as(f, (const uint8_t[]){ 1, 2, 3, 4, 5, 6, 7, 8 }, server_id, sizeof(server_id));
	np = seal(f, rfc9001_dcid, server_id, 8, 2, 0, 0, proof);
	client(f, proof, np, 200 * SEC, true);
	assert_int_equal(hst(f)->proofs, 1);
	assert_int_equal(f->replayed, 0);
	assert_int_equal(hst(f)->unanswered, 1);
	assert_int_equal(f->hellos, 1);
	/* kept again; the right answer, a proof of the wrong server ID:
	 * nothing */
	client(f, a, na, 201 * SEC, true);
	server(f);
	np = seal(f, rfc9001_dcid, wrong, 8, 3, 0, 0, proof);
	client(f, proof, np, 201 * SEC, true);
	assert_int_equal(hst(f)->proofs, 1);
	assert_int_equal(f->hellos, 1);
	/* a 1-RTT packet naming it proves it (pcap mode sees them) */
	{
		uint8_t s[40] = { 0x41 };

		memcpy(s + 1, server_id, 8);
		client(f, s, sizeof(s), 201 * SEC, false);
	}
	assert_int_equal(hst(f)->proofs, 2);
	/* the hello and the client's Initial to the server's ID are read;
	 * the one to another ID, of a DCID the answer is not sealed for, is
	 * dropped */
	assert_int_equal(f->replayed, 2);
	assert_int_equal(hst(f)->unanswered, 2);
	assert_int_equal(f->hellos, 2);
	assert_true(f->validated);
}

/* Bounds: QUIC_HOLD_PER_TUPLE a 4-tuple, QUIC_HOLD_BYTES in all (the
 * oldest 4-tuple goes), the timeout; a server ID of no bytes proves
 * nothing (any datagram would name it). */
static void test_hold_bounds(void **state)
{
	struct fixture *f = *state;
	uint8_t d[1300] = { 0xc0, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0 };
	uint32_t total, n;

	f->pi.payload = d;
	f->pi.payload_len = f->pi.payload_wire = sizeof(d);
	for (int i = 0; i < QUIC_HOLD_PER_TUPLE + 3; i++)
		quic_hold_add(f->h, &f->pi, 300 * SEC);
	assert_int_equal(quic_hold_count(f->h), QUIC_HOLD_PER_TUPLE);
	assert_int_equal(hst(f)->over_tuple, 3);
	/* other ports until the bytes are spent: the first 4-tuple goes first */
	total = QUIC_HOLD_BYTES / sizeof(d) + 100;
	for (uint32_t i = 0; i < total; i++) {
		f->pi.sport = (uint16_t)(1000 + i);
		quic_hold_add(f->h, &f->pi, 301 * SEC);
	}
	n = quic_hold_count(f->h);
	assert_true(n < QUIC_HOLD_BYTES / sizeof(d));
	assert_true(n > QUIC_HOLD_BYTES / (sizeof(d) + 600));
	assert_true(hst(f)->evicted >= QUIC_HOLD_PER_TUPLE);
	assert_int_equal(hst(f)->kept, QUIC_HOLD_PER_TUPLE + total);
	/* the newest is there: a zero-length server ID proves nothing */
	f->pi.sport = (uint16_t)(1000 + total - 1);
	{
		struct pkt_info s = f->pi;
		uint8_t p[16] = { 0xc0, 0, 0, 0, 1, 0, 0 };

		memcpy(s.src, f->pi.dst, 16);
		memcpy(s.dst, f->pi.src, 16);
		s.sport = f->pi.dport;
		s.dport = f->pi.sport;
		s.payload = p;
		s.payload_len = sizeof(p);
		quic_hold_server(f->h, &s);
	}
	assert_int_equal(hst(f)->server_ids, 1);
	{
		uint8_t s[40] = { 0x41 };

		f->pi.payload = s;
		f->pi.payload_len = sizeof(s);
		assert_int_equal(quic_hold_proof(f->h, &f->pi, check, replay, f), 0);
	}
	assert_int_equal(quic_hold_expire(f->h, 310 * SEC), 0);
	assert_int_equal(quic_hold_expire(f->h, 311 * SEC), n);
	assert_true(quic_hold_empty(f->h));
	assert_int_equal(hst(f)->expired, n);
}

/* A sender who knows the client's 4-tuple: its Initial of another DCID
 * (the sealer's SCID is empty, as the client's) is kept with the client's,
 * and the server's answer to it does not put the client's answer out; the
 * proof reads the client's only (the answer is sealed for its DCID). */
static void test_hold_spoofer_in_tuple(void **state)
{
	struct fixture *f = *state;
	static const uint8_t other_dcid[8] = { 0xbb, 1, 2, 3, 4, 5, 6, 7 };
	static const uint8_t other_sid[8] = { 0x77, 0x77, 1, 2, 3, 4, 5, 6 };
	uint8_t a[2048], b[2048], proof[2048];
	uint32_t na, nb, np;

	spoofed(f, 1, 100 * SEC); /* the bucket's token */
	na = seal(f, rfc9001_dcid, rfc9001_dcid, 8, 0, 0, 241, a);
	client(f, a, na, 100 * SEC, true);
	server(f);
	nb = seal(f, other_dcid, other_dcid, 8, 0, 0, 241, b);
	client(f, b, nb, 100 * SEC, true);
	server_as(f, other_dcid, other_sid, sizeof(other_sid));
	assert_int_equal(hst(f)->kept, 2);
	assert_int_equal(hst(f)->server_ids, 2);
	np = seal(f, rfc9001_dcid, server_id, 8, 1, 0, 0, proof);
	client(f, proof, np, 100 * SEC, true);
	assert_int_equal(hst(f)->proofs, 1);
	assert_int_equal(f->replayed, 1);
	assert_int_equal(hst(f)->unanswered, 1);
	assert_int_equal(f->hellos, 1);
	assert_true(f->validated);
}

/* The same sender fills the 4-tuple's room with its own Initials first:
 * the client's is not kept, and its proof reads none of the sender's
 * (the server's answer to the client is sealed for the client's DCID). */
static void test_hold_prefilled_tuple(void **state)
{
	struct fixture *f = *state;
	static const uint8_t other_dcid[8] = { 0xbb, 1, 2, 3, 4, 5, 6, 7 };
	static const uint8_t other_sid[8] = { 0x77, 0x77, 1, 2, 3, 4, 5, 6 };
	uint8_t a[2048], b[2048], proof[2048];
	uint32_t na, nb, np;

	spoofed(f, 1, 100 * SEC);
	nb = seal(f, other_dcid, other_dcid, 8, 0, 0, 241, b);
	for (int i = 0; i < QUIC_HOLD_PER_TUPLE; i++)
		client(f, b, nb, 100 * SEC, true);
	na = seal(f, rfc9001_dcid, rfc9001_dcid, 8, 0, 0, 241, a);
	client(f, a, na, 100 * SEC, true);
	assert_int_equal(hst(f)->over_tuple, 1);
	server_as(f, other_dcid, other_sid, sizeof(other_sid));
	server(f);
	np = seal(f, rfc9001_dcid, server_id, 8, 1, 0, 0, proof);
	client(f, proof, np, 100 * SEC, true);
	assert_int_equal(hst(f)->proofs, 1);
	assert_int_equal(f->replayed, 0);
	assert_int_equal(hst(f)->unanswered, QUIC_HOLD_PER_TUPLE);
	assert_int_equal(f->hellos, 0);
}

/* A client's 0-RTT packets after its Initials do not count as guesses. */
static void test_hold_zero_rtt_not_guesses(void **state)
{
	struct fixture *f = *state;
	uint8_t a[2048], z[1200] = { 0xd3, 0, 0, 0, 1, 8 }, proof[2048];
	uint32_t na, np;

	spoofed(f, 1, 100 * SEC);
	na = seal(f, rfc9001_dcid, rfc9001_dcid, 8, 0, 0, 241, a);
	client(f, a, na, 100 * SEC, true);
	server(f);
	memcpy(z + 6, rfc9001_dcid, 8);
	for (int i = 0; i < 3 * QUIC_HOLD_PER_TUPLE; i++)
		client(f, z, sizeof(z), 100 * SEC, false);
	assert_int_equal(hst(f)->guessed, 0);
	np = seal(f, rfc9001_dcid, server_id, 8, 1, 0, 0, proof);
	client(f, proof, np, 100 * SEC, true);
	assert_int_equal(f->hellos, 1);
	assert_true(f->validated);
}

/* A server ID under QUIC_HOLD_MIN_ID bytes proves nothing; datagrams that
 * name no answer are counted, and past QUIC_HOLD_PER_TUPLE of them the
 * 4-tuple is forgotten (a sender guessing the ID). */
static void test_hold_guessing(void **state)
{
	struct fixture *f = *state;
	static const uint8_t short_sid[3] = { 1, 2, 3 };
	uint8_t a[2048], s[40] = { 0x41, 1, 2, 3 };
	uint32_t na;

	spoofed(f, 1, 100 * SEC);
	na = seal(f, rfc9001_dcid, rfc9001_dcid, 8, 0, 0, 241, a);
	client(f, a, na, 100 * SEC, true);
	server_as(f, rfc9001_dcid, short_sid, sizeof(short_sid));
	client(f, s, sizeof(s), 100 * SEC, false);
	assert_int_equal(hst(f)->proofs, 0);
	server(f);
	for (int i = 0; i < QUIC_HOLD_PER_TUPLE; i++) {
		s[1] = (uint8_t)(0x80 + i);
		client(f, s, sizeof(s), 100 * SEC, false);
	}
	assert_int_equal(hst(f)->guessed, 1);
	assert_true(quic_hold_empty(f->h));
	/* the right ID comes too late */
	memcpy(s + 1, server_id, 8);
	client(f, s, sizeof(s), 100 * SEC, false);
	assert_int_equal(hst(f)->proofs, 0);
	assert_int_equal(f->hellos, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hold_proof_replays, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_kernel_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_spoofer_in_tuple, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_guessing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_prefilled_tuple, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_zero_rtt_not_guesses, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
