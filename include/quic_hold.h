/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * quic_hold: Initials of new QUIC connections that came past the bucket of
 * new connections, kept undecrypted until their client proves its address
 * (design.md §13; docs/reliability.md, "Spoofed Initials").
 *
 * A QUIC client proves nothing before its hello, so new connections go
 * through a token bucket, and a spoofed flood of Initials that empties it
 * would hide a real client behind it while its server reads its hello.
 * But a real client answers its server's first Initial with packets to the
 * connection ID the server chose (that Initial's Source Connection ID),
 * which a blind sender never sees. So the Initials the bucket refuses are
 * kept as they came, per client address and port, bounded in bytes, in
 * datagrams per 4-tuple and in time; the server's Initials (egress in the
 * eBPF modes, outbound in pcap mode) are each 4-tuple's answers; and a
 * client datagram that names an answer's server ID hands back the
 * 4-tuple's kept Initials that answer was sealed for (the server's Initial
 * keys come from the client's first DCID, RFC 9001 §5.2), in the order
 * they came, to be read as datagrams of a client that proved its address;
 * a sender who put Initials of its own in the 4-tuple gets none of them
 * read. Keeping costs a copy, not a key derivation: what a flood
 * can do is cycle the store (the oldest 4-tuple goes first), so a real
 * client is held back only by a flood that brings QUIC_HOLD_BYTES within
 * its round trip.
 */
#ifndef J4S_QUIC_HOLD_H
#define J4S_QUIC_HOLD_H

#include <stdbool.h>
#include <stdint.h>
#include "abi.h"
#include "packet.h"

/* Bytes of kept datagrams (payload and bookkeeping) all 4-tuples together:
 * ~21,000 spoofed 4-tuples, ~0.45 s of a flood of 50,000 Initials a second
 * (bench/quic_flood.sh --delay 300: clients 300 ms away recorded; with
 * 8 MiB, 3 of 10 at 150 ms, none proven). Taken only under such a flood. */
#define QUIC_HOLD_BYTES (32u << 20)
/* Datagrams kept per client address and port: a post-quantum hello in
 * three Initials, retransmitted, and the client's other connections. */
#define QUIC_HOLD_PER_TUPLE 16
/* Server answers remembered per 4-tuple (quic_hold_server()), and the
 * longest server Initial one keeps. */
#define QUIC_HOLD_ANSWERS    4
#define QUIC_HOLD_ANSWER_MAX 4096
/* Shortest server connection ID that proves anything, as the kernel's
 * j4s_quic_answers keeps them: one of 4 bytes (quic-go's servers' choice)
 * could be guessed by a sender of 2^31 packets, which the kernel, passing
 * only packets that name a stored ID, would not even show userspace; 8
 * bytes (most stacks choose 8 to 20) cannot. */
#define QUIC_HOLD_MIN_ID J4S_QUIC_CID_KEY

struct quic_hold_stats {
	uint64_t kept;       /* datagrams kept */
	uint64_t evicted;    /* kept datagrams dropped for room (the oldest 4-tuple's) */
	uint64_t over_tuple; /* not kept: the 4-tuple had QUIC_HOLD_PER_TUPLE */
	uint64_t expired;    /* kept datagrams of 4-tuples that proved nothing in time */
	uint64_t server_ids; /* server Initials to a 4-tuple with kept datagrams */
	uint64_t proofs;     /* client datagrams that named their server's ID */
	uint64_t replayed;   /* kept datagrams handed back after a proof */
	uint64_t unanswered; /* kept datagrams of a proven 4-tuple whose DCID no answer
			      * was sealed for: dropped */
	uint64_t server_cut; /* server Initials not whole: no answer */
	uint64_t guessed;    /* kept datagrams dropped: their 4-tuple sent more than
			      * QUIC_HOLD_PER_TUPLE datagrams naming no answer */
	uint64_t nomem;
};

struct quic_hold;

struct quic_hold *quic_hold_new(uint64_t timeout_ns, const uint8_t seed[16]);
void quic_hold_free(struct quic_hold *h);

/* Keep the client datagram pi (payload copied) that came at time now. */
void quic_hold_add(struct quic_hold *h, const struct pkt_info *pi, uint64_t now);

/* A datagram from a listen port: a server Initial gives its 4-tuple, if it
 * has kept datagrams, an answer: the server's connection ID and the
 * Initial (QUIC_HOLD_ANSWERS of them, the oldest replaced). */
void quic_hold_server(struct quic_hold *h, const struct pkt_info *pi);

/* A client datagram pi: when it names the server ID of one of its 4-tuple's
 * answers (of QUIC_HOLD_MIN_ID bytes at least), each kept Initial whose
 * first DCID that answer was sealed for (check(arg, answer, its length,
 * dcid, its length), once a DCID), and the client's Initials to the
 * server's ID with them, is handed to cb (a pkt_info of its own, its
 * time) in the order they came: its client proved its address. The
 * others are dropped, and the 4-tuple is forgotten. Returns how many were
 * handed back. */
typedef bool (*quic_hold_check)(void *arg, const uint8_t *srv, uint32_t len, const uint8_t *dcid,
				uint8_t dcid_len);
typedef void (*quic_hold_cb)(void *arg, const struct pkt_info *pi, uint64_t now);
uint32_t quic_hold_proof(struct quic_hold *h, const struct pkt_info *pi, quic_hold_check check,
			 quic_hold_cb cb, void *arg);

/* Forget 4-tuples kept longer than the timeout at time now; how many
 * datagrams went. */
uint32_t quic_hold_expire(struct quic_hold *h, uint64_t now);

/* Whether nothing is kept (a datagram then needs no lookup). */
bool quic_hold_empty(const struct quic_hold *h);
uint32_t quic_hold_count(const struct quic_hold *h);
const struct quic_hold_stats *quic_hold_stats(const struct quic_hold *h);

#endif
