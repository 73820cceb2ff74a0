// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Reassembly of the first bytes of a TCP stream. The buffer is indexed by
 * stream offset (sequence number minus base); a sorted list of held ranges
 * says which bytes arrived. New bytes only fill gaps, so a retransmit or an
 * overlap can never rewrite what was already taken.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "reasm.h"

/* Smallest buffer: bytes are held as they arrive, so a flow that sends 100
 * bytes and stops (a scan, an attack) costs a few hundred, not a hello's
 * worth; buffers double as data comes. */
#define REASM_MIN_ALLOC 256

void reasm_init(struct reasm *r, uint32_t base)
{
	memset(r, 0, sizeof(*r));
	r->base = base;
}

void reasm_reset(struct reasm *r)
{
	free(r->buf);
	free(r->ranges);
	reasm_init(r, 0);
}

static int grow_buf(struct reasm *r, uint32_t need, uint32_t max)
{
	uint32_t cap = r->cap ? r->cap : REASM_MIN_ALLOC;
	uint8_t *nb;

	while (cap < need)
		cap *= 2;
	if (cap > max)
		cap = max;
	nb = realloc(r->buf, cap);
	if (!nb)
		return -ENOMEM;
	r->buf = nb;
	r->cap = cap;
	return 0;
}

static int grow_ranges(struct reasm *r)
{
	uint16_t cap = r->cap_ranges ? (uint16_t)(r->cap_ranges * 2) : 4;
	struct reasm_range *nr = realloc(r->ranges, cap * sizeof(*nr));

	if (!nr)
		return -ENOMEM;
	r->ranges = nr;
	r->cap_ranges = cap;
	return 0;
}

/* Copy the bytes of [start, end) no range holds yet; returns how many. */
static uint32_t fill_gaps(struct reasm *r, uint32_t start, uint32_t end, const uint8_t *data)
{
	uint32_t pos = start, fresh = 0;

	for (uint16_t i = 0; i < r->n_ranges && pos < end; i++) {
		const struct reasm_range *h = &r->ranges[i];

		if (h->end <= pos)
			continue;
		if (h->start > pos) {
			uint32_t stop = h->start < end ? h->start : end;

			memcpy(r->buf + pos, data + (pos - start), stop - pos);
			fresh += stop - pos;
		}
		if (h->end > pos)
			pos = h->end;
	}
	if (pos < end) {
		memcpy(r->buf + pos, data + (pos - start), end - pos);
		fresh += end - pos;
	}
	return fresh;
}

/* Add [start, end) to the range list, merging what touches it. */
static void merge_range(struct reasm *r, uint32_t start, uint32_t end)
{
	uint16_t i = 0, j;

	while (i < r->n_ranges && r->ranges[i].end < start)
		i++;
	j = i;
	while (j < r->n_ranges && r->ranges[j].start <= end) {
		if (r->ranges[j].start < start)
			start = r->ranges[j].start;
		if (r->ranges[j].end > end)
			end = r->ranges[j].end;
		j++;
	}
	/* ranges[i, j) collapse into one at i. */
	if (j == i) {
		memmove(r->ranges + i + 1, r->ranges + i, (r->n_ranges - i) * sizeof(*r->ranges));
		r->n_ranges++;
	} else if (j > i + 1) {
		memmove(r->ranges + i + 1, r->ranges + j, (r->n_ranges - j) * sizeof(*r->ranges));
		r->n_ranges = (uint16_t)(r->n_ranges - (j - i - 1));
	}
	r->ranges[i].start = start;
	r->ranges[i].end = end;
}

static enum reasm_result add(struct reasm *r, const struct reasm_limits *lim, uint32_t seq,
			     const uint8_t *data, uint32_t len, struct reasm_effects *fx)
{
	int32_t rel = (int32_t)(seq - r->base);
	uint32_t start, end, fresh, old_contig = r->contig;

	if (rel < 0) {
		if ((uint32_t)-(int64_t)rel >= len)
			return REASM_OLD;
		data += (uint32_t)-(int64_t)rel;
		len -= (uint32_t)-(int64_t)rel;
		rel = 0;
	}
	start = (uint32_t)rel;
	if (start >= lim->max_bytes)
		return REASM_BYTE_LIMIT;
	end = len > lim->max_bytes - start ? lim->max_bytes : start + len;
	if (end > r->cap && grow_buf(r, end, lim->max_bytes))
		return REASM_NOMEM;
	if (r->n_ranges + 1 > r->cap_ranges && grow_ranges(r))
		return REASM_NOMEM;
	fresh = fill_gaps(r, start, end, data);
	fx->overlap_bytes = (end - start) - fresh;
	if (!fresh)
		return REASM_DUPLICATE;
	merge_range(r, start, end);
	if (end > r->hi)
		r->hi = end;
	if (r->ranges[0].start == 0)
		r->contig = r->ranges[0].end;
	if (r->contig > old_contig)
		return REASM_NEW_DATA;
	fx->out_of_order = 1;
	return REASM_HELD;
}

/* Only segments that do not extend the in-order prefix count against
 * max_segments: a hello dribbled in order, even a byte a segment, is
 * bounded by max_bytes; one sent in pieces out of order, or again and
 * again, by the segment cap. */
enum reasm_result reasm_add(struct reasm *r, const struct reasm_limits *lim, uint32_t seq,
			    const uint8_t *data, uint32_t len, struct reasm_effects *fx)
{
	enum reasm_result res;

	memset(fx, 0, sizeof(*fx));
	res = add(r, lim, seq, data, len, fx);
	if (res != REASM_HELD && res != REASM_DUPLICATE && res != REASM_OLD)
		return res;
	if (r->segments >= lim->max_segments)
		return REASM_SEGMENT_LIMIT;
	r->segments++;
	return res;
}
