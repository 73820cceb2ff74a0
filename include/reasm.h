/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * reasm: the first bytes of one TCP stream, put back in order by sequence
 * number. Segments may come out of order, twice, or overlapping with other
 * bytes. Where copies differ, the bytes kept are the ones the receiving
 * Linux stack hands to the server (net/ipv4/tcp_input.c), so the hello we
 * fingerprint is the hello the server's TLS stack read:
 *
 * - In order (tcp_data_queue): a segment that starts at or before the
 *   in-order end and reaches beyond it is delivered; its bytes up to that
 *   end are already final and ignored, its new bytes become final too and
 *   win over any held out-of-order bytes they cover. A segment entirely
 *   inside the in-order prefix is a retransmit and dropped.
 * - Draining (tcp_ofo_queue): held segments then go in order of their
 *   start; one now entirely in order is dropped, one that reaches beyond
 *   gives its remaining bytes. So of two held segments that overlap, the
 *   one that starts lower wins the overlapped bytes.
 * - Out of order (tcp_data_queue_ofo), against the held segment that starts
 *   at or before the new one: a new segment entirely inside it is dropped;
 *   one that starts at the same number and reaches further replaces it; one
 *   that starts exactly at its end is appended to it (tcp_ooo_try_coalesce,
 *   tried first with the highest held segment); otherwise the new one is
 *   held as a segment of its own. Held segments after it that it covers
 *   entirely are dropped; partial overlaps keep both.
 *
 * Not modelled: the kernel checks a new segment against the nodes on its
 * rbtree search path, which differ from "the one that starts at or before"
 * only when held segments nest, which coalescing can make (we drop a
 * coalesced segment's covered successors, which never deliver a byte), nor
 * receive-window, memory-pressure or coalescing failures.
 *
 * The buffer holds, per offset, the byte that would be delivered; the held
 * list holds the segments' bounds. Bounded in bytes, and in segments that
 * bring no in-order progress (held ahead of a gap, retransmitted,
 * overlapping, old). Memory is allocated as bytes arrive (never from a
 * length the peer announced) and freed by reasm_reset().
 */
#ifndef J4S_REASM_H
#define J4S_REASM_H

#include <stdbool.h>
#include <stdint.h>
#include "abi.h"

struct reasm_range {
	uint32_t start, end; /* stream offsets, [start, end) */
};

/*
 * One per flow in the preallocated pool, so it is kept small: offsets are
 * 16 bits (a hello is at most REASM_MAX_BYTES, below 64 KiB; reasm_add()
 * never holds a byte at or past REASM_OFFSET_LIMIT).
 */
struct reasm {
	uint8_t *buf; /* cap bytes, from the buffer allocator below */
	/* Held out-of-order segments, sorted by start (all beyond contig, no
	 * two with the same start); they may overlap. */
	struct reasm_range *ranges;
	uint32_t base;     /* sequence number of stream offset 0 */
	uint16_t contig;   /* bytes in order from offset 0: final */
	uint16_t hi;       /* highest end offset held */
	uint16_t cap;      /* bytes allocated in buf */
	uint16_t segments; /* segments that did not extend the in-order prefix */
	uint16_t n_ranges;
	uint16_t cap_ranges;
};

#define REASM_OFFSET_LIMIT UINT16_MAX
_Static_assert(J4S_REASM_MAX_BYTES <= REASM_OFFSET_LIMIT, "reassembly offsets are 16 bits");

struct reasm_limits {
	uint32_t max_bytes;    /* stream offset limit */
	uint16_t max_segments; /* segments without in-order progress, per stream */
};

enum reasm_result {
	REASM_NEW_DATA = 0, /* the in-order prefix grew */
	REASM_HELD,         /* stored ahead of a gap */
	REASM_DUPLICATE,    /* dropped: retransmit, or inside a held segment */
	REASM_OLD,          /* entirely before offset 0 */
	REASM_SEGMENT_LIMIT,
	REASM_BYTE_LIMIT,
	REASM_NOMEM,
};

/* Counted effects of one reasm_add(), for the caller's stats. */
struct reasm_effects {
	uint32_t overlap_bytes;  /* bytes already held that came again */
	uint32_t conflict_bytes; /* of those, bytes that differ (whichever copy won) */
	uint8_t out_of_order;    /* segment started beyond the in-order prefix */
};

void reasm_init(struct reasm *r, uint32_t base);
enum reasm_result reasm_add(struct reasm *r, const struct reasm_limits *lim, uint32_t seq,
			    const uint8_t *data, uint32_t len, struct reasm_effects *fx);
/* After reasm_add(), the in-order prefix is r->buf, r->contig bytes.
 * reasm_reset() frees the buffers. */
/*
 * Take the in-order byte at stream offset off (below contig) out of the
 * stream, as a Linux reader without SO_OOBINLINE skips a TCP urgent byte
 * (flow.c decides which byte): the bytes after it, held ones too, move down
 * one and base moves up one, so later segments land where the reader sees
 * them. Bytes before off are final; a retransmit that reaches back over
 * off is compared a byte off, so its overlap and conflict counts mean
 * nothing (flow.c drops them).
 */
void reasm_remove(struct reasm *r, uint32_t off);
void reasm_reset(struct reasm *r);

/*
 * Buffers up to REASM_SLAB_MAX bytes come from size classes of 16-byte
 * steps carved out of mmap'd chunks: no malloc header or rounding to
 * malloc's sizes per flow (100,000 flows mid-hello held ~4 MB less). A
 * chunk goes back to the system as soon as its last buffer is freed, but
 * for one spare kept mapped; reasm_trim() unmaps that one (the tables call
 * it when they are freed). Larger buffers come from malloc. Not
 * thread-safe: the packet path is one thread.
 */
#define REASM_SLAB_STEP 16
#define REASM_SLAB_MAX  2048
/* Chunks mapped at most, in bytes. Past it a class with no free slot gets
 * no chunk of its own: the buffer comes from malloc, sized above the
 * classes (its size then says where it came from). Otherwise a client
 * could pin chunk after chunk with one live buffer each, class after
 * class, far beyond what the budgets count (they count buffers, not the
 * chunks around them). 100,000 flows mid-hello use ~36 MiB of chunks. */
#define REASM_SLAB_MAP_MAX (64u << 20)

struct reasm_mem {
	uint64_t live;   /* buffers handed out by the size classes */
	uint64_t chunks; /* chunks mapped */
};

void reasm_mem(struct reasm_mem *m);
/* Unmap the spare empty chunk; returns whether there was one. */
bool reasm_trim(void);

#endif
