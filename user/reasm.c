// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Reassembly of the first bytes of a TCP stream, overlaps resolved as the
 * Linux receiver does (rules in reasm.h). The buffer is indexed by stream
 * offset (sequence number minus base) and holds, at each offset, the byte
 * the receiver would deliver if nothing more came: bytes in order are
 * final; beyond, the held segment with the lowest start that covers an
 * offset owns it, since the kernel delivers held segments lowest start
 * first. So the segments' own copies need not be kept, only their bounds.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "list.h"
#include "reasm.h"

/* Slots handed out are addressable, the rest of a chunk is not, so ASan and
 * valgrind see an overrun of a buffer as they would a malloc'd one. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) /* clang's way to say it (the fuzzers) */
#define REASM_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(REASM_ASAN)
#include <sanitizer/asan_interface.h>
#define POISON(p, n)        ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n)      ASAN_UNPOISON_MEMORY_REGION(p, n)
#define UNPOISON_KEPT(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#elif defined(__has_include) && __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define POISON(p, n)        VALGRIND_MAKE_MEM_NOACCESS(p, n)
#define UNPOISON(p, n)      VALGRIND_MAKE_MEM_UNDEFINED(p, n)
/* bytes written before they were poisoned, read again (the free list's
 * link): defined, or memcheck reports the test of the link it reads */
#define UNPOISON_KEPT(p, n) VALGRIND_MAKE_MEM_DEFINED(p, n)
#else
#define POISON(p, n)        ((void)(p), (void)(n))
#define UNPOISON(p, n)      ((void)(p), (void)(n))
#define UNPOISON_KEPT(p, n) ((void)(p), (void)(n))
#endif

/* Bytes are held as they arrive, so a flow that sends 100 bytes and stops
 * (a scan, an attack) costs about that, not a hello's worth. The first
 * buffer is what the first segment needs, rounded to REASM_SLAB_STEP (a
 * power of two rounded it up by a third on average: 100,000 flows mid-hello
 * held ~15 MB more); later growth doubles, so a hello in many segments is
 * copied a bounded number of times. */

/* ---- the buffer allocator (reasm.h) ---- */

/*
 * A chunk holds slots of one size class; it is aligned to its size, so a
 * slot finds its chunk's header by masking its address. A class keeps the
 * chunks that have a free slot on a list; a chunk whose last slot comes
 * back is unmapped at once (but for one spare, so a flow alternating
 * between none and one buffer does not map and unmap a chunk each time):
 * after a wave of connections the memory goes back to the system even if
 * a few flows still hold buffers, as it did with malloc_trim.
 */
#define SLAB_CLASSES (REASM_SLAB_MAX / REASM_SLAB_STEP)
#define SLAB_CHUNK   (64u << 10)

struct slab_free {
	struct slab_free *next; /* in a freed slot's first bytes */
};

struct slab_chunk {
	struct list_node node;  /* on its class's list while it has a free slot */
	struct slab_free *free; /* freed slots, last freed first */
	uint8_t *bump;          /* slots never handed out start here */
	uint32_t live;          /* slots handed out */
	uint16_t size;          /* slot size */
	bool listed;
};

/* Slots start after the header, 16-aligned. */
#define SLAB_FIRST                                                                                 \
	((sizeof(struct slab_chunk) + REASM_SLAB_STEP - 1) / REASM_SLAB_STEP * REASM_SLAB_STEP)

static struct {
	struct list partial[SLAB_CLASSES]; /* per class: chunks with a free slot */
	struct slab_chunk *spare;          /* one empty chunk kept mapped */
	uint64_t live, chunks;
} slab;

static uint32_t slab_size(uint32_t n)
{
	return (n + REASM_SLAB_STEP - 1) / REASM_SLAB_STEP * REASM_SLAB_STEP;
}

static struct slab_chunk *chunk_of(const void *p)
{
	return (struct slab_chunk *)((uintptr_t)p & ~(uintptr_t)(SLAB_CHUNK - 1));
}

static bool chunk_full(const struct slab_chunk *ch)
{
	return !ch->free && (size_t)((uint8_t *)ch + SLAB_CHUNK - ch->bump) < ch->size;
}

/* A chunk aligned to SLAB_CHUNK: map twice the size, unmap what is around.
 * The highest aligned chunk of the two is kept: mappings are placed top
 * down, so it adjoins the previous chunk and the kernel merges them into
 * one mapping (the lowest left a gap each time: one mapping per chunk). */
static struct slab_chunk *chunk_map(void)
{
	uint8_t *m = mmap(NULL, 2 * SLAB_CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	uint8_t *a;

	if (m == MAP_FAILED)
		return NULL;
	a = (uint8_t *)(((uintptr_t)m + SLAB_CHUNK) & ~(uintptr_t)(SLAB_CHUNK - 1));
	munmap(m, (size_t)(a - m)); /* a > m */
	if (a + SLAB_CHUNK < m + 2 * SLAB_CHUNK)
		munmap(a + SLAB_CHUNK, (size_t)(m + 2 * SLAB_CHUNK - (a + SLAB_CHUNK)));
	slab.chunks++;
	return (struct slab_chunk *)a;
}

static void chunk_unmap(struct slab_chunk *ch)
{
	UNPOISON(ch, SLAB_CHUNK);
	munmap(ch, SLAB_CHUNK);
	slab.chunks--;
}

static struct slab_chunk *chunk_new(uint32_t size)
{
	struct slab_chunk *ch = slab.spare;

	if (ch)
		slab.spare = NULL;
	else if (!(ch = chunk_map()))
		return NULL;
	memset(ch, 0, sizeof(*ch));
	ch->size = (uint16_t)size;
	ch->bump = (uint8_t *)ch + SLAB_FIRST;
	POISON(ch->bump, SLAB_CHUNK - SLAB_FIRST);
	return ch;
}

static void *buf_alloc(uint32_t n)
{
	struct slab_chunk *ch;
	struct list *l;
	uint32_t size;
	void *p;

	if (n > REASM_SLAB_MAX)
		return malloc(n);
	size = slab_size(n);
	l = &slab.partial[size / REASM_SLAB_STEP - 1];
	ch = list_first(l, struct slab_chunk, node);
	if (!ch) {
		ch = chunk_new(size);
		if (!ch)
			return NULL;
		list_add_tail(l, &ch->node);
		ch->listed = true;
	}
	if (ch->free) {
		p = ch->free;
		UNPOISON_KEPT(p, sizeof(*ch->free));
		ch->free = ch->free->next;
	} else {
		p = ch->bump;
		ch->bump += size;
	}
	UNPOISON(p, size);
	ch->live++;
	slab.live++;
	if (chunk_full(ch)) {
		list_del(l, &ch->node);
		ch->listed = false;
	}
	return p;
}

/* n is the size it was allocated with. */
static void buf_free(void *p, uint32_t n)
{
	struct slab_free *s = p;
	struct slab_chunk *ch;
	struct list *l;

	if (!p)
		return;
	if (n > REASM_SLAB_MAX) {
		free(p);
		return;
	}
	ch = chunk_of(p);
	l = &slab.partial[ch->size / REASM_SLAB_STEP - 1];
	s->next = ch->free;
	ch->free = s;
	POISON(p, ch->size);
	ch->live--;
	slab.live--;
	if (!ch->live) {
		if (ch->listed)
			list_del(l, &ch->node);
		if (slab.spare)
			chunk_unmap(slab.spare);
		slab.spare = ch; /* the newest empty one: its pages are likeliest touched */
		return;
	}
	if (!ch->listed) {
		list_add_tail(l, &ch->node);
		ch->listed = true;
	}
}

void reasm_mem(struct reasm_mem *m)
{
	m->live = slab.live;
	m->chunks = slab.chunks;
}

bool reasm_trim(void)
{
	if (!slab.spare)
		return false;
	chunk_unmap(slab.spare);
	slab.spare = NULL;
	return true;
}

/* ---- reassembly ---- */

void reasm_init(struct reasm *r, uint32_t base)
{
	memset(r, 0, sizeof(*r));
	r->base = base;
}

void reasm_reset(struct reasm *r)
{
	buf_free(r->buf, r->cap);
	free(r->ranges);
	reasm_init(r, 0);
}

/* Whether the class of a size-class buffer of n bytes can give one
 * without mapping a chunk past REASM_SLAB_MAP_MAX. */
static bool slab_room(uint32_t n)
{
	return list_first(&slab.partial[slab_size(n) / REASM_SLAB_STEP - 1], struct slab_chunk,
			  node) ||
	       slab.spare || slab.chunks * SLAB_CHUNK < REASM_SLAB_MAP_MAX;
}

static int grow_buf(struct reasm *r, uint32_t need, uint32_t max)
{
	uint32_t cap = r->cap;
	uint8_t *nb;

	if (!cap)
		cap = slab_size(need);
	while (cap < need)
		cap *= 2;
	if (cap > max)
		cap = max;
	/* The chunks are at their bound: from malloc instead (REASM_SLAB_MAP_MAX). */
	if (cap <= REASM_SLAB_MAX && max > REASM_SLAB_MAX && !slab_room(cap))
		cap = REASM_SLAB_MAX + REASM_SLAB_STEP;
	nb = buf_alloc(cap);
	if (!nb)
		return -ENOMEM;
	/* Every byte that means anything is below hi. */
	if (r->buf)
		memcpy(nb, r->buf, r->hi);
	buf_free(r->buf, r->cap);
	r->buf = nb;
	r->cap = (uint16_t)cap;
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

/* Count the bytes of [start, end) that are already in order or held, and
 * how many of them differ from data: before anything is written. */
static void count_overlap(const struct reasm *r, uint32_t start, uint32_t end, const uint8_t *data,
			  struct reasm_effects *fx)
{
	uint32_t pos, lo, hi;

	hi = end < r->contig ? end : r->contig;
	for (uint32_t x = start; x < hi; x++)
		fx->conflict_bytes += r->buf[x] != data[x - start];
	if (hi > start)
		fx->overlap_bytes += hi - start;
	pos = hi > start ? hi : start;
	/* Held segments may overlap: walk their union once. */
	for (uint16_t i = 0; i < r->n_ranges && pos < end; i++) {
		const struct reasm_range *h = &r->ranges[i];

		if (h->end <= pos)
			continue;
		if (h->start >= end)
			break;
		lo = h->start > pos ? h->start : pos;
		hi = h->end < end ? h->end : end;
		for (uint32_t x = lo; x < hi; x++)
			fx->conflict_bytes += r->buf[x] != data[x - start];
		fx->overlap_bytes += hi - lo;
		pos = hi;
	}
}

static void drop_range(struct reasm *r, uint16_t i)
{
	memmove(r->ranges + i, r->ranges + i + 1, (r->n_ranges - i - 1) * sizeof(*r->ranges));
	r->n_ranges--;
}

/* tcp_data_queue() for a segment that reaches beyond the in-order end, then
 * tcp_ofo_queue(): its new bytes are final; held segments now in reach give
 * the bytes beyond, lowest start first (the buffer already has those). */
static void add_in_order(struct reasm *r, uint32_t start, uint32_t end, const uint8_t *data)
{
	memcpy(r->buf + r->contig, data + (r->contig - start), end - r->contig);
	r->contig = (uint16_t)end; /* offsets are below REASM_OFFSET_LIMIT */
	while (r->n_ranges && r->ranges[0].start <= r->contig) {
		if (r->ranges[0].end > r->contig)
			r->contig = (uint16_t)r->ranges[0].end;
		drop_range(r, 0);
	}
}

/* Index of the held segment that starts at or before off, or -1. */
static int pred_range(const struct reasm *r, uint32_t off)
{
	int i = r->n_ranges - 1;

	while (i >= 0 && r->ranges[i].start > off)
		i--;
	return i;
}

/* Whether a segment held at off would extend a held one rather than open
 * a range of its own: it starts where one ends (appended) or where one
 * starts (replacing it when longer). */
static bool held_extends(const struct reasm *r, uint32_t off)
{
	int p = pred_range(r, off);

	return p >= 0 && (r->ranges[p].end == off || r->ranges[p].start == off);
}

/* tcp_data_queue_ofo(). Returns false if the segment is dropped. */
static bool add_out_of_order(struct reasm *r, uint32_t start, uint32_t end, const uint8_t *data)
{
	int p = pred_range(r, start), own;
	uint32_t from = start;
	struct reasm_range *h;

	if (r->n_ranges && r->ranges[r->n_ranges - 1].end == start) {
		own = r->n_ranges - 1; /* coalesced onto the highest held segment */
	} else if (p >= 0 && start < r->ranges[p].end) {
		if (end <= r->ranges[p].end)
			return false; /* every byte is there already */
		if (start == r->ranges[p].start) {
			own = p; /* same start, reaches further: replaces it */
		} else {
			own = p + 1; /* partial overlap: both kept */
			memmove(r->ranges + own + 1, r->ranges + own,
				(r->n_ranges - own) * sizeof(*r->ranges));
			r->n_ranges++;
			r->ranges[own].start = start;
		}
	} else if (p >= 0 && start == r->ranges[p].end) {
		own = p; /* coalesced */
	} else {
		own = p + 1;
		memmove(r->ranges + own + 1, r->ranges + own,
			(r->n_ranges - own) * sizeof(*r->ranges));
		r->n_ranges++;
		r->ranges[own].start = start;
	}
	h = &r->ranges[own];
	h->end = end;
	/* Held segments that start lower keep the bytes they cover (they are
	 * delivered first); the rest of the new bytes win. */
	for (int i = 0; i < own; i++)
		if (r->ranges[i].end > from)
			from = r->ranges[i].end;
	if (from < end)
		memcpy(r->buf + from, data + (from - start), end - from);
	/* Held segments after it that it covers entirely are gone; the first
	 * partial overlap stops the walk, as in the kernel. */
	while (own + 1 < r->n_ranges && r->ranges[own + 1].start < end &&
	       r->ranges[own + 1].end <= end)
		drop_range(r, (uint16_t)(own + 1));
	return true;
}

static enum reasm_result add(struct reasm *r, const struct reasm_limits *lim, uint32_t seq,
			     const uint8_t *data, uint32_t len, struct reasm_effects *fx)
{
	int32_t rel = (int32_t)(seq - r->base);
	/* Offsets are 16 bits (reasm.h); callers ask for REASM_MAX_BYTES. */
	uint32_t max = lim->max_bytes < REASM_OFFSET_LIMIT ? lim->max_bytes : REASM_OFFSET_LIMIT;
	enum reasm_result res;
	uint32_t start, end;

	if (rel < 0) {
		if ((uint32_t) - (int64_t)rel >= len)
			return REASM_OLD;
		data += (uint32_t) - (int64_t)rel;
		len -= (uint32_t) - (int64_t)rel;
		rel = 0;
	}
	start = (uint32_t)rel;
	if (start >= max)
		return REASM_BYTE_LIMIT;
	end = len > max - start ? max : start + len;
	if (start == end)
		return REASM_DUPLICATE;
	count_overlap(r, start, end, data, fx);
	if (end <= r->contig)
		return REASM_DUPLICATE;
	if (end > r->cap && grow_buf(r, end, max))
		return REASM_NOMEM;
	if (start <= r->contig) {
		add_in_order(r, start, end, data);
		res = REASM_NEW_DATA;
	} else {
		if (r->n_ranges + 1 > r->cap_ranges && grow_ranges(r))
			return REASM_NOMEM;
		if (!add_out_of_order(r, start, end, data))
			return REASM_DUPLICATE;
		fx->out_of_order = 1;
		res = REASM_HELD;
	}
	if (end > r->hi)
		r->hi = (uint16_t)end;
	return res;
}

void reasm_remove(struct reasm *r, uint32_t off)
{
	if (off >= r->contig)
		return;
	memmove(r->buf + off, r->buf + off + 1, r->hi - off - 1);
	r->contig--;
	r->hi--;
	/* Held segments all start beyond contig, so beyond off. */
	for (uint16_t i = 0; i < r->n_ranges; i++) {
		r->ranges[i].start--;
		r->ranges[i].end--;
	}
	r->base++;
}

/* Only segments that do not extend the in-order prefix count against
 * max_segments: a hello dribbled in order, even a byte a segment, is
 * bounded by max_bytes; one sent in pieces out of order, or again and
 * again, by the segment cap. */
enum reasm_result reasm_add(struct reasm *r, const struct reasm_limits *lim, uint32_t seq,
			    const uint8_t *data, uint32_t len, struct reasm_effects *fx)
{
	int32_t rel = (int32_t)(seq - r->base);
	uint16_t held = r->n_ranges;
	enum reasm_result res;

	memset(fx, 0, sizeof(*fx));
	/* Past the cap, bytes the receiver reads stay within reach, but no
	 * new held segment is taken (REASM_SEGMENT_LIMIT; the caller decides
	 * what that means): a copy of bytes already in order changes nothing
	 * the server reads; a segment that starts at or before the in-order
	 * end, or extends a held one (coalesced, as tcp_ooo_try_coalesce()
	 * does), costs no more than its bytes. So a client that resends a
	 * segment again and again, in order or ahead, cannot make the flow
	 * give up its hello; only one that keeps opening new holes meets the
	 * cap, as the receiver's own queue meets its memory bound. */
	if (r->segments >= lim->max_segments) {
		if ((int32_t)(rel + (int64_t)len) <= (int32_t)r->contig)
			return REASM_DUPLICATE;
		if (rel > (int32_t)r->contig && !held_extends(r, (uint32_t)rel))
			return REASM_SEGMENT_LIMIT;
	}
	res = add(r, lim, seq, data, len, fx);
	/* Counted: segments that opened a new held range, and copies. */
	if (res == REASM_HELD && r->n_ranges <= held)
		return res;
	if (res != REASM_HELD && res != REASM_DUPLICATE && res != REASM_OLD)
		return res;
	if (r->segments < lim->max_segments)
		r->segments++;
	return res;
}
