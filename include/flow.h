/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * flow: the table of client connections whose hello we are waiting for, and
 * what one client-to-server packet does to it (design.md §5).
 *
 * A SYN (no ACK) creates a flow and keeps its IP/TCP metadata; a flow whose
 * SYN was missed is created by a first payload that starts like a
 * ClientHello. Payload goes through reassembly until hello_frame() has a
 * whole ClientHello; the caller then fingerprints it and calls
 * flow_table_finish(). Finished flows stay, cheaply, until the timeout so a
 * second hello (after HelloRetryRequest) or the rest of the connection never
 * starts a new one. The table is bounded (evicting finished flows first, then
 * the oldest) and expires flows by ageing time (packet.mono_ns). In live pcap mode a flow
 * whose first hello segment does not acknowledge the server's SYN-ACK goes
 * on only while a token bucket allows (design.md §13). Every drop is
 * counted.
 */
#ifndef J4S_FLOW_H
#define J4S_FLOW_H

#include <stdbool.h>
#include <stdint.h>
#include "hello.h"
#include "list.h"
#include "packet.h"
#include "reasm.h"

struct flow_key {
	uint8_t src[16]; /* client, network order */
	uint8_t dst[16]; /* server */
	uint16_t sport, dport;
	uint8_t family;
	uint8_t pad[3];
};

/* IP/TCP metadata of the SYN, or of the first hello segment if it was missed. */
struct flow_meta {
	uint16_t ip_id;
	uint16_t ip_total_len;
	uint16_t window;
	uint8_t ttl;
	uint8_t df;
	uint8_t opt_len;
	uint8_t opts[40];               /* raw TCP options */
	uint8_t tunnel[J4S_TUNNEL_MAX]; /* pkt_info.tunnel: encapsulations removed */
};

enum flow_state {
	FLOW_WAIT_HELLO = 0,
	FLOW_DONE,
	FLOW_WAIT_SYN, /* made by a SYN-ACK seen before its SYN: holds the server ISN only */
};

/*
 * One tracked connection. The pool holds max_tracked_flows of these whether
 * or not they wait for a hello (100,000 at the defaults: every 8 bytes here
 * are 0.8 MB), so fields are as narrow as their values need (flags are
 * bits, reassembly offsets 16 bits) and ordered to leave 3 bytes of padding.
 */
struct flow {
	struct flow_key key;
	struct flow *hnext;     /* hash chain */
	struct list_node age;   /* on the table's waiting or done list, oldest first */
	uint64_t created_ns;    /* ageing time of creation, or of completion when done */
	uint64_t syn_ns;        /* 0 when the SYN was missed */
	uint64_t first_byte_ns; /* ageing time of the hello's first byte; 0 until seen */
	uint32_t isn;           /* client ISN (SYN seen) */
	uint32_t fin_off;       /* stream offset of the client's FIN */
	uint32_t server_isn;    /* ISN of the server's SYN-ACK, when has_synack */
	uint32_t synack_ack;    /* the SYN-ACK's ACK number: client ISN + 1 */
	struct flow_meta meta;
	uint8_t state : 2; /* enum flow_state */
	uint8_t has_syn : 1;
	uint8_t fin_seen : 1;
	uint8_t has_synack : 1; /* the server's SYN-ACK was seen */
	/* A hello segment did not acknowledge server_isn + 1 (or had no ACK):
	 * a blind sender cannot know the server's ISN (design.md §13). */
	uint8_t ack_bad : 1;
	uint8_t judged : 1; /* its first hello segment went past the bucket */
	/* Copies of some hello bytes differed (overlap, retransmission, QUIC
	 * CRYPTO data changed): the stream keeps the Linux receiver's copy,
	 * and the record says the sender did what no real client does. */
	uint8_t conflict : 1;
	/* In-order bytes the hello needs at least (hello_frame's need): a
	 * hello dribbled in small segments is framed again only once they
	 * are in, not once per segment. A verdict against it (bad framing
	 * further on) may come that much later; it cannot change. */
	uint16_t frame_need;
	/* hello_frame_at()'s progress through a hello in many records (stream
	 * offsets, below REASM_MAX_BYTES): each record is read once. */
	uint16_t frame_off, frame_payload;
	/* TCP urgent data: the pending urgent byte, which the server's reader
	 * will skip, or where the last one was (flow.c URG_PENDING). Not a
	 * flag bit: they are all used. */
	uint16_t urg_mark;
	/* PAWS (flow.c paws_drops()): the server checks timestamps (SYN and
	 * SYN-ACK both carried one), and its ts_recent as the receiver keeps
	 * it: the SYN's TSval, raised by segments in order. */
	uint8_t ts_ok : 1;
	/* The stream holds only bytes of segments the server drops for their
	 * ACK (flow.c ack_stream()): a spoofed hello, fingerprinted once,
	 * flagged, and never in the way of the real one. */
	uint8_t bad_stream : 1;
	uint8_t shadowed : 1; /* such a hello was handed out, or given up */
	uint8_t syn_data : 1; /* the SYN carried data (TCP Fast Open) */
	uint32_t ts_recent;
	struct reasm reasm;
};

/* 216 bytes before the flags became bits and reassembly offsets 16 bits
 * (200 on x86-64 and arm64; 208 with the PAWS state). */
_Static_assert(sizeof(struct flow) <= 208, "struct flow grew: 100,000 of them are preallocated");

struct flow_stats {
	uint64_t created; /* flows created (SYN or pickup) */
	uint64_t syns;    /* SYNs that created or renewed a flow */
	uint64_t syn_retransmits;
	uint64_t syn_ignored;    /* another ISN on a flow waiting after its SYN-ACK */
	uint64_t pickups;        /* flows created without a SYN */
	uint64_t reused;         /* new SYN (other ISN) on a tracked 4-tuple */
	uint64_t evicted_done;   /* finished flows evicted for room */
	uint64_t evicted_active; /* waiting flows evicted for room: hello lost */
	uint64_t timeouts;       /* waiting flows without a hello within the timeout */
	uint64_t expired_done;   /* finished flows forgotten after the timeout */
	uint64_t hellos;         /* complete ClientHello messages handed out */
	uint64_t not_tls;        /* stream did not start with a TLS handshake */
	uint64_t not_hello;      /* handshake, but not a ClientHello */
	uint64_t malformed;      /* bad TLS framing */
	uint64_t too_big;        /* hello larger than the limit */
	uint64_t segment_limit;  /* held segments past max_segments: ignored (reasm_add()) */
	uint64_t byte_limit;     /* too many bytes for one hello */
	uint64_t nomem;
	uint64_t rst;            /* client reset before the hello was complete */
	uint64_t fin_incomplete; /* client closed before the hello was complete */
	uint64_t retransmits;    /* segments that brought nothing new */
	uint64_t overlap_bytes;  /* bytes that came again */
	uint64_t conflict_bytes; /* of those, bytes that differ (resolved as Linux does) */
	uint64_t out_of_order;   /* segments held ahead of a gap */
	uint64_t after_done;     /* packets of finished flows (cost nothing more) */
	uint64_t no_flow;        /* packets of no flow that could not start one */
	uint64_t bare_acks;      /* no payload, no SYN/FIN/RST: nothing to look up */
	uint64_t evicted_memory; /* waiting flows evicted to keep buffers under the budget */
	uint64_t synacks;        /* server SYN-ACKs that gave a flow its server ISN */
	uint64_t synack_early;   /* SYN-ACKs seen before their SYN: a flow made to hold the ISN */
	uint64_t synack_retransmits; /* the same SYN-ACK again */
	uint64_t
		synack_restarted; /* SYN-ACK of another connection of the 4-tuple: flow restarted */
	uint64_t synack_no_flow;  /* SYN-ACK of a finished flow or of none we may make */
	uint64_t validated;       /* hellos whose segments all acknowledged server ISN + 1 */
	uint64_t unvalidated;     /* hellos without the SYN-ACK or with a wrong ACK */
	uint64_t unvalidated_limited; /* unvalidated flows held back: the bucket was empty */
	/* TCP urgent data (flow.c urgent_pointer()): bytes taken out of hellos
	 * as the server's reader skips them; pointers Linux ignores (old, or
	 * not after a pending one); pending ones replaced (their byte stays). */
	uint64_t urgent_removed;
	uint64_t urgent_ignored;
	uint64_t urgent_replaced;
	/* Segments the server's TCP drops whatever they carry (flow.c
	 * server_drops()): ignored, as their bytes never reach its TLS. */
	uint64_t refused;
	uint64_t paws_refused; /* of those, for an old timestamp (PAWS) */
	/* Bytes of segments dropped for their ACK discarded when a segment
	 * the server takes came (flow.c ack_stream()). */
	uint64_t spoof_discarded;
};

struct flow_config {
	uint32_t max_flows;
	uint64_t timeout_ns;
	struct reasm_limits limits;
	uint64_t max_buffered; /* bytes all reassembly buffers may hold together, 0 = no limit */
	/* Token bucket of unvalidated flows (design.md §13), as the kernel
	 * program's: live pcap mode only, where no kernel program limits them;
	 * never offline, where one-direction captures are all unvalidated. */
	bool limit_unvalidated;
	uint32_t unvalidated_rate;  /* flows/s, 0 = no limit */
	uint32_t unvalidated_burst; /* >= 1 */
};

/* A complete hello, valid until the next call on the table. */
struct flow_hello {
	struct flow *flow;
	const uint8_t *msg;
	uint32_t msg_len;
};

enum flow_result {
	FLOW_NOTHING = 0, /* packet absorbed (or ignored) */
	FLOW_HELLO,       /* *out holds a complete ClientHello */
	FLOW_ENDED,       /* the flow ended without a hello (counted) */
};

struct flow_table;

/* seed keys the bucket hash, so peers cannot aim at one bucket. */
struct flow_table *flow_table_new(const struct flow_config *cfg, const uint8_t seed[16]);
void flow_table_free(struct flow_table *ft);

/* One client-to-server packet at packet time now. */
enum flow_result flow_process(struct flow_table *ft, const struct pkt_info *pi, uint64_t now,
			      struct flow_hello *out);

/*
 * One server-to-client SYN-ACK from a listen port at packet time now: the
 * flow of the reversed 4-tuple learns the server's ISN. A SYN-ACK before its
 * SYN (capture order across CPUs or interfaces) makes a flow that only holds
 * the ISN until the SYN or a hello comes.
 */
void flow_synack(struct flow_table *ft, const struct pkt_info *pi, uint64_t now);

/* Whether the hello of f is from a client that completed the handshake:
 * the SYN-ACK was seen and every hello segment acknowledged its ISN + 1. */
static inline bool flow_validated(const struct flow *f)
{
	return f->has_synack && !f->ack_bad;
}

/* The hello handed out has been used: mark the flow done, free its buffers. */
void flow_table_finish(struct flow_table *ft, struct flow *f, uint64_t now);

/* Forget flows older than the timeout at packet time now; returns how many. */
uint32_t flow_table_expire(struct flow_table *ft, uint64_t now);

uint32_t flow_table_count(const struct flow_table *ft);
const struct flow_stats *flow_table_stats(const struct flow_table *ft);

/* Lookup without side effects (tests, diagnostics). */
struct flow *flow_table_lookup(struct flow_table *ft, const struct flow_key *key);

void flow_key_from_pkt(const struct pkt_info *pi, struct flow_key *key);

#endif
