// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer harness for QUIC (user/quic.c). The first byte picks the mode:
 * even - the rest is datagrams (2-byte length, bytes) from one client to
 * UDP 443: header parsing, coalescing and the decryption failure paths;
 * odd - the rest is plaintext payloads (2-byte length, bytes) the harness
 * seals as client Initials of one connection (version from the byte's
 * bits 1-2), so the frame parser, CRYPTO reassembly and the hello check
 * see arbitrary content behind a valid AEAD; with bit 3 every other one
 * goes to a second DCID with a token, as a client's start over after a
 * Retry (the connection replacing the first, or finished at once). With
 * bit 4 (either mode) the datagrams come from three client ports in turn,
 * so connections of several 4-tuples fill and evict from the table. With
 * bit 5 every other datagram comes held (QUIC_HELD: a new connection is
 * kept, include/quic_hold.h), and each datagram is also shown to the
 * store as the server's and tried as a proof, whose replays are read as
 * QUIC_PROVEN. A hello handed out must lie inside the table's buffer and
 * parse without reading past it.
 */
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include "abi.h"
#include "defaults.h"
#include "hello.h"
#include "quic.h"
#include "quic_hold.h"
#include "../unit/quic_seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hello_info hi;
static uint8_t sealed[0x4000 + 128];
/* Keys of the fixed DCID per version: derived once, not per input. */
static struct quic_keys keys[4], keys2[4];
static bool have_keys;
/* The server's Initial answering the fixed DCID (its server keys), SCID
 * server_id, and a 1-RTT packet naming server_id. */
static const uint8_t server_id[8] = { 's', 'r', 'v', 'i', 'd', '1', '2', '3' };
static uint8_t answer[1400], proof[32] = { 0x41, 's', 'r', 'v', 'i', 'd', '1', '2', '3' };
static uint32_t n_answer;

struct run {
	struct quic_table *qt;
	struct quic_hold *h;
	uint64_t now;
};

/* A datagram read as the pipeline reads it (user/pipeline.c quic_read()). */
static void read_one(struct run *r, const struct pkt_info *pi, uint64_t now, unsigned int flags)
{
	struct quic_hello qh;

	if (!quic_process(r->qt, pi, now, flags, &qh)) {
		if (r->h && quic_table_limited(r->qt))
			quic_hold_add(r->h, pi, now);
		return;
	}
	assert(qh.msg_len >= 4 && qh.msg_len <= REASM_MAX_BYTES);
	(void)hello_parse(qh.msg, qh.msg_len, &hi);
	quic_table_finish(r->qt, qh.conn, now);
}

static void replay(void *arg, const struct pkt_info *pi, uint64_t now)
{
	read_one(arg, pi, now, QUIC_KEPT | QUIC_PROVEN);
}

static bool check(void *arg, const uint8_t *srv, uint32_t len, const uint8_t *dcid, uint8_t dlen)
{
	return quic_table_answers(((struct run *)arg)->qt, srv, len, dcid, dlen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t versions[] = { QUIC_V1, QUIC_V2, QUIC_DRAFT29, QUIC_V1 };
	static const uint8_t dcid[8] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 };
	static const uint8_t dcid2[8] = { 0x2e, 0x7a, 0x11, 0, 0, 0, 0, 0x2e };
	static const uint8_t token[4] = { 't', 'o', 'k', 'n' };
	struct quic_config qc = { .max_conns = 4,
				  .timeout_ns = 1000000000ULL,
				  .max_bytes = REASM_MAX_BYTES,
				  .max_segments = 16 };
	uint8_t seed[16] = { 0 };
	struct pkt_info pi = {
		.family = AF_INET, .proto = J4S_IPPROTO_UDP, .sport = 5555, .dport = 443
	};
	struct quic_table *qt;
	struct run r = { 0 };
	struct pkt_info proof_pi;
	size_t off = 1;
	uint64_t pn = 0;
	uint8_t mode;

	if (size < 1)
		return 0;
	if (!have_keys) {
		struct quic_keys sk;
		static const uint8_t ack[] = { 0x02, 0, 0, 0, 0 };

		for (int i = 0; i < 4; i++) {
			assert(!quic_initial_keys(versions[i], dcid, 8, &keys[i]));
			assert(!quic_initial_keys(versions[i], dcid2, 8, &keys2[i]));
		}
		assert(!quic_server_initial_keys(QUIC_V1, dcid, 8, &sk));
		n_answer = quic_seal_scid(QUIC_V1, &sk, NULL, 0, server_id, sizeof(server_id), NULL,
					  0, 0, 2, ack, sizeof(ack), 100, answer, sizeof(answer));
		assert(n_answer);
		have_keys = true;
	}
	mode = data[0];
	qt = quic_table_new(&qc, seed);
	assert(qt);
	r.qt = qt;
	if (mode & 32) {
		r.h = quic_hold_new(1000000000ULL, seed);
		assert(r.h);
		proof_pi = pi;
		proof_pi.payload = proof;
		proof_pi.payload_len = proof_pi.payload_wire = sizeof(proof);
	}
	for (uint32_t i = 0; off + 2 <= size; i++) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		const uint8_t *d = data + off + 2;
		uint32_t n;

		if (mode & 16)
			pi.sport = (uint16_t)(5555 + i % 3);
		off += 2;
		if (len > size - off)
			len = size - off;
		off += len;
		if (mode & 1) {
			int v = (mode >> 1) & 3;
			bool alt = (mode & 8) && (pn & 1);

			n = quic_seal_token(versions[v], alt ? &keys2[v] : &keys[v],
					    alt ? dcid2 : dcid, 8, alt ? token : NULL,
					    alt ? sizeof(token) : 0, pn++, 2, d, (uint32_t)len,
					    1200, sealed, sizeof(sealed));
			if (!n)
				continue;
			d = sealed;
		} else {
			n = (uint32_t)len;
		}
		pi.payload = d;
		pi.payload_len = pi.payload_wire = n;
		if (r.h) {
			struct pkt_info s = pi;
			unsigned int flags = (i & 1) ? 0 : QUIC_HELD;

			memcpy(s.src, pi.dst, 16);
			memcpy(s.dst, pi.src, 16);
			s.sport = pi.dport;
			s.dport = pi.sport;
			quic_hold_server(r.h, &s);
			/* every third datagram, the server's real answer to the
			 * fixed DCID; an empty one, the client's proof of it */
			if (i % 3 == 1 && n_answer) {
				s.payload = answer;
				s.payload_len = s.payload_wire = n_answer;
				quic_hold_server(r.h, &s);
			}
			if (!len && quic_hold_proof(r.h, &proof_pi, check, replay, &r))
				continue;
			if (quic_hold_proof(r.h, &pi, check, replay, &r))
				flags = QUIC_KEPT;
			read_one(&r, &pi, pn * 1000, flags);
			quic_hold_expire(r.h, pn * 1000);
			continue;
		}
		read_one(&r, &pi, pn * 1000, 0);
	}
	quic_hold_free(r.h);
	quic_table_free(qt);
	return 0;
}
