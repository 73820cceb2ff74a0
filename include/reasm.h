/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * reasm: the first bytes of one TCP stream, put back in order by sequence
 * number. Segments may come out of order, twice, or overlapping; the first
 * copy of a byte wins. Bounded in bytes, and in segments that bring no
 * in-order progress (held ahead of a gap, retransmitted, overlapping, old).
 * Memory is allocated as bytes arrive (never from a length the peer
 * announced) and freed by reasm_reset().
 */
#ifndef J4S_REASM_H
#define J4S_REASM_H

#include <stdint.h>

struct reasm_range {
	uint32_t start, end; /* stream offsets, [start, end) */
};

struct reasm {
	uint32_t base;     /* sequence number of stream offset 0 */
	uint32_t contig;   /* bytes in order from offset 0 */
	uint32_t hi;       /* highest end offset held */
	uint16_t segments; /* segments that did not extend the in-order prefix */
	uint16_t n_ranges;
	uint16_t cap_ranges;
	uint32_t cap;      /* bytes allocated in buf */
	uint8_t *buf;
	struct reasm_range *ranges; /* held, sorted, disjoint, not adjacent */
};

struct reasm_limits {
	uint32_t max_bytes;    /* stream offset limit */
	uint16_t max_segments; /* segments without in-order progress, per stream */
};

enum reasm_result {
	REASM_NEW_DATA = 0, /* the in-order prefix grew */
	REASM_HELD,         /* stored ahead of a gap */
	REASM_DUPLICATE,    /* nothing new: retransmit or full overlap */
	REASM_OLD,          /* entirely before offset 0 */
	REASM_SEGMENT_LIMIT,
	REASM_BYTE_LIMIT,
	REASM_NOMEM,
};

/* Counted effects of one reasm_add(), for the caller's stats. */
struct reasm_effects {
	uint32_t overlap_bytes; /* bytes already held that came again */
	uint8_t out_of_order;   /* segment started beyond the in-order prefix */
};

void reasm_init(struct reasm *r, uint32_t base);
enum reasm_result reasm_add(struct reasm *r, const struct reasm_limits *lim, uint32_t seq,
			    const uint8_t *data, uint32_t len, struct reasm_effects *fx);
/* The in-order prefix: r->buf, r->contig bytes. */
void reasm_reset(struct reasm *r);

#endif
