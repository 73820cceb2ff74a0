// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * IP defragmentation, receiver-faithful to Linux (include/ipfrag.h). The
 * rules are the receiving stack's because the point is to see what the
 * server's stack delivers: a datagram Linux would discard must not give a
 * record, and one it rebuilds must give the record an unfragmented hello
 * would. Written from the kernel's documented behaviour, not its code.
 *
 * Each datagram keeps the runs of contiguous data it holds, as the kernel
 * keeps runs of fragments: a fragment appended right after the highest one
 * extends the last run; any other non-overlapping fragment starts a run of
 * its own. A fragment wholly inside one run is a duplicate (dropped, the
 * datagram kept); one that overlaps in any other way kills the datagram.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "abi.h"
#include "byteorder.h"
#include "ipfrag.h"
#include "packet.h"
#include "siphash.h"

#define IP_DF     0x4000
#define IP_MF     0x2000
#define IP_OFFSET 0x1fff
/* Data bytes a datagram can usefully hold: past this it is too big anyway. */
#define DATA_MAX        65535u
#define IPPROTO_ICMPV6  58
#define IPPROTO_NONE_V6 59 /* No Next Header */

/* ECN codepoints seen, as bits (RFC 3168 combinations of RFC 3168 §5.3). */
#define ECN_NOT_ECT 1u
#define ECN_CE      8u

struct ipf_key {
	uint8_t family; /* 4 or 6 */
	uint8_t proto;  /* IPv4 only */
	uint8_t pad[2];
	uint32_t id;
	uint8_t src[16], dst[16];
};

/* A run's bytes live in a buffer of its own: what a datagram holds in
 * memory is what it was sent, not the span up to its highest offset (a
 * fragment at 65,000 would otherwise cost 64 KiB, and 64 of them would
 * fill the bound Linux fills with thousands). */
struct ipf_run {
	uint32_t start, end;
	uint8_t *buf; /* bytes [start, min(end, DATA_MAX)) */
	uint32_t cap;
};

/* Linux's inet_peer for ipfrag_max_dist: fragments counted per IPv4
 * source, kept while a datagram of that source is in progress (a source
 * with none has nothing a distance could be measured against). */
struct ipf_peer {
	struct ipf_peer *hnext;
	uint8_t src[4];
	uint32_t rid;  /* fragments of this source so far */
	uint32_t refs; /* its datagrams in the table */
};

struct ipf_dgram {
	struct ipf_dgram *hnext;         /* hash chain */
	struct ipf_dgram *older, *newer; /* creation order */
	struct ipf_key key;
	uint32_t bucket;
	uint64_t expires;
	bool first_in, last_in;
	uint8_t ecn;                    /* ECN_* bits of the fragments */
	uint32_t len;                   /* the datagram's end as known so far */
	uint32_t meat;                  /* data bytes held */
	uint32_t max_size, max_df_size; /* IPv4: largest fragment, largest with DF */
	uint8_t *hdr; /* the first fragment's headers (IPv6: up to the fragment header) */
	uint32_t hdr_len;
	uint32_t nh_pos; /* IPv6: where the fragment header's type is named in hdr */
	uint8_t frag_nh; /* IPv6: the first fragment's next header after it */
	uint64_t held;   /* bytes of the runs' buffers */
	uint32_t frags;  /* fragments kept */
	struct ipf_run *runs;
	uint32_t n_runs, runs_cap;
	uint64_t mem;          /* bytes accounted to the table */
	struct ipf_peer *peer; /* IPv4 */
	uint32_t rid;          /* the peer's count at this datagram's last fragment */
};

struct ipfrag_table {
	struct ipfrag_config cfg;
	struct ipfrag_stats st;
	uint64_t k0, k1;
	struct ipf_dgram **buckets;
	struct ipf_peer **peers; /* as many buckets, keyed by source */
	uint32_t mask;
	struct ipf_dgram *oldest, *newest;
	/* Per address family, as Linux keeps one fragment store (with its
	 * ipfrag_high_thresh) for IPv4 and one for IPv6: a flood of one
	 * family's fragments fills the server's store of that family only, so
	 * must it fill only the sensor's. [0] IPv4, [1] IPv6 (fam()). */
	uint32_t count[2];
	uint64_t bytes[2];
	bool lax_csum; /* !ipfrag_check_csum() */
	uint8_t out[IPFRAG_MAX_PACKET];
};

/* What one fragment says, read from its header. */
struct ipf_frag {
	struct ipf_key key;
	const uint8_t *payload; /* the fragmentable part this fragment carries */
	uint32_t offset, end;
	bool mf, df;
	uint8_t ecn_bit;
	uint32_t hdr_len; /* IPv4: IHL; IPv6: offset of the fragment header */
	uint32_t nh_pos;  /* IPv6: where the fragment header's type is named */
	uint8_t frag_nh;
	uint32_t size; /* IPv4: the fragment's IP header and kept data (DF of the rebuilt) */
};

static unsigned fam(const struct ipf_key *k)
{
	return k->family == 6;
}

struct ipfrag_table *ipfrag_new(const struct ipfrag_config *cfg, const uint8_t seed[16])
{
	struct ipfrag_table *t = calloc(1, sizeof(*t));
	uint32_t n = 16;

	if (!t)
		return NULL;
	t->cfg = *cfg;
	if (!t->cfg.max_datagrams)
		t->cfg.max_datagrams = 1;
	/* both families' datagrams share the chains */
	while (n < 2 * t->cfg.max_datagrams && n < (1u << 20))
		n <<= 1;
	t->buckets = calloc(n, sizeof(*t->buckets));
	t->peers = calloc(n, sizeof(*t->peers));
	if (!t->buckets || !t->peers) {
		free(t->buckets);
		free(t->peers);
		free(t);
		return NULL;
	}
	t->mask = n - 1;
	memcpy(&t->k0, seed, 8);
	memcpy(&t->k1, seed + 8, 8);
	return t;
}

static void dgram_free(struct ipf_dgram *d)
{
	free(d->hdr);
	for (uint32_t i = 0; i < d->n_runs; i++)
		free(d->runs[i].buf);
	free(d->runs);
	free(d);
}

static uint32_t peer_bucket(const struct ipfrag_table *t, const uint8_t src[4])
{
	return (uint32_t)siphash13(t->k1, t->k0, src, 4) & t->mask;
}

/* Take d out of the table and free it. */
static void dgram_kill(struct ipfrag_table *t, struct ipf_dgram *d)
{
	struct ipf_dgram **pp = &t->buckets[d->bucket];

	while (*pp != d)
		pp = &(*pp)->hnext;
	*pp = d->hnext;
	if (d->older)
		d->older->newer = d->newer;
	else
		t->oldest = d->newer;
	if (d->newer)
		d->newer->older = d->older;
	else
		t->newest = d->older;
	t->count[fam(&d->key)]--;
	t->bytes[fam(&d->key)] -= d->mem;
	if (d->peer && !--d->peer->refs) {
		struct ipf_peer **pp2 = &t->peers[peer_bucket(t, d->peer->src)];

		while (*pp2 != d->peer)
			pp2 = &(*pp2)->hnext;
		*pp2 = d->peer->hnext;
		free(d->peer);
	}
	dgram_free(d);
}

void ipfrag_free(struct ipfrag_table *t)
{
	if (!t)
		return;
	while (t->oldest)
		dgram_kill(t, t->oldest);
	free(t->buckets);
	free(t->peers);
	free(t);
}

uint32_t ipfrag_expire(struct ipfrag_table *t, uint64_t now)
{
	struct ipf_dgram *d = t->oldest;
	uint32_t n = 0;

	/* Two timeouts (IPv4, IPv6): creation order is not expiry order, so
	 * every datagram is looked at; there are at most max_datagrams of
	 * each family. */
	while (d) {
		struct ipf_dgram *next = d->newer;

		if (d->expires <= now) {
			dgram_kill(t, d);
			t->st.timeouts++;
			n++;
		}
		d = next;
	}
	return n;
}

void ipfrag_check_csum(struct ipfrag_table *t, bool check)
{
	t->lax_csum = !check;
}

uint32_t ipfrag_count(const struct ipfrag_table *t)
{
	return t->count[0] + t->count[1];
}

uint64_t ipfrag_bytes(const struct ipfrag_table *t)
{
	return t->bytes[0] + t->bytes[1];
}

const struct ipfrag_stats *ipfrag_get_stats(const struct ipfrag_table *t)
{
	return &t->st;
}

/* An IPv4 fragment's fields. 0: not a fragment; -1: dropped (counted);
 * 1: f filled. */
static int read_v4(struct ipfrag_table *t, const uint8_t *p, uint32_t caplen, struct ipf_frag *f)
{
	uint32_t ihl, tot;
	uint16_t frag;

	if (caplen < 20)
		return 0;
	ihl = (uint32_t)(p[0] & 0x0f) * 4;
	tot = rd16(p + 2);
	frag = rd16(p + 6);
	if (!(frag & (IP_MF | IP_OFFSET)))
		return 0;
	t->st.fragments++;
	if (ihl < 20 || tot < ihl) {
		t->st.dropped++;
		return -1;
	}
	if (tot > caplen) {
		t->st.truncated++;
		return -1;
	}
	/* The stack drops it before defragmentation (ip_rcv_core()): it must
	 * neither fill a hole nor overlap a real fragment. (The parser already
	 * keeps such fragments from the pipeline; this keeps the table right
	 * on its own.) */
	if (!t->lax_csum && !packet_ipv4_csum_ok(p, ihl)) {
		t->st.dropped++;
		return -1;
	}
	f->key.family = 4;
	f->key.proto = p[9];
	f->key.id = rd16(p + 4);
	memcpy(f->key.src, p + 12, 4);
	memcpy(f->key.dst, p + 16, 4);
	f->offset = (uint32_t)(frag & IP_OFFSET) * 8;
	f->end = f->offset + tot - ihl;
	f->mf = frag & IP_MF;
	f->df = frag & IP_DF;
	f->ecn_bit = (uint8_t)(1u << (p[1] & 3));
	f->payload = p + ihl;
	f->hdr_len = ihl;
	return 1;
}

/* The length of the IPv6 extension header of type nh at p (avail bytes
 * left), or 0 when it cannot be read (as the packet parser reads it). */
static uint32_t ext_len(uint8_t nh, const uint8_t *p, uint32_t avail)
{
	if (avail < 8)
		return 0;
	if (nh == J4S_IPV6_FRAGMENT)
		return 8;
	if (nh == J4S_IPV6_AH)
		return ((uint32_t)p[1] + 2) * 4;
	return ((uint32_t)p[1] + 1) * 8;
}

/* Whether an IPv6 first fragment holds the upper-layer header (RFC 7112),
 * as Linux decides it (ipv6frag_thdr_truncated() over ipv6_skip_exthdr()):
 * the headers after the fragment header are followed reading only their
 * first 2 bytes (a fragment header's first 4), with no count limit (each
 * is at least 8 bytes, so the walk is bounded by the packet); TCP then
 * needs its 20 bytes, UDP and ICMPv6 8, anything else one. A chain the
 * kernel cannot follow (a header it cannot read, No Next Header, a later
 * fragment's header) is let through, as the kernel lets it. */
static bool v6_has_upper(const uint8_t *p, uint32_t end, uint32_t off, uint8_t nh)
{
	uint32_t need;

	while (J4S_IPV6_IS_EXT(nh)) {
		uint32_t hl;

		if (off + 2 > end)
			return true;
		if (nh == J4S_IPV6_FRAGMENT) {
			if (off + 4 > end || (rd16(p + off + 2) & ~7u))
				return true;
			hl = 8;
		} else if (nh == J4S_IPV6_AH) {
			hl = ((uint32_t)p[off + 1] + 2) * 4;
		} else {
			hl = ((uint32_t)p[off + 1] + 1) * 8;
		}
		nh = p[off];
		off += hl;
	}
	if (nh == IPPROTO_NONE_V6)
		return true;
	need = nh == J4S_IPPROTO_TCP ? 20 : nh == J4S_IPPROTO_UDP || nh == IPPROTO_ICMPV6 ? 8 : 1;
	return off + need <= end;
}

static int read_v6(struct ipfrag_table *t, const uint8_t *p, uint32_t caplen, struct ipf_frag *f)
{
	uint32_t plen, end, off = 40, nh_pos = 6;
	uint16_t fo;
	uint8_t nh;

	if (caplen < 40)
		return 0;
	plen = rd16(p + 4);
	end = 40 + plen;
	nh = p[6];
	/* The extension headers before the fragment header, as the parser
	 * follows them (it found a fragment where this finds one). */
	for (int i = 0; nh != J4S_IPV6_FRAGMENT; i++) {
		uint32_t hl;

		if (i == J4S_IPV6_EXT_MAX || !J4S_IPV6_IS_EXT(nh) || off >= caplen)
			return 0;
		hl = ext_len(nh, p + off, caplen - off);
		if (!hl)
			return 0;
		nh_pos = off;
		nh = p[off];
		off += hl;
	}
	if (off + 8 > caplen)
		return 0;
	fo = rd16(p + off + 2);
	if (!(fo & 0xfff9)) /* an atomic fragment: the parser reads through it */
		return 0;
	t->st.fragments++;
	if (!plen || off + 8 > end) { /* a jumbogram cannot be fragmented */
		t->st.dropped++;
		return -1;
	}
	if (end > caplen) {
		t->st.truncated++;
		return -1;
	}
	f->key.family = 6;
	f->key.id = rd32(p + off + 4);
	memcpy(f->key.src, p + 8, 16);
	memcpy(f->key.dst, p + 24, 16);
	f->offset = fo & 0xfff8;
	f->end = f->offset + end - (off + 8);
	f->mf = fo & 1;
	f->df = false;
	f->ecn_bit = (uint8_t)(1u << ((p[1] >> 4) & 3));
	f->payload = p + off + 8;
	f->hdr_len = off;
	f->nh_pos = nh_pos;
	f->frag_nh = p[off];
	/* Past the largest payload, or a middle piece not a multiple of 8:
	 * the stack answers with a parameter problem and drops the fragment,
	 * the datagram stays. */
	if (f->end > 65535 || (f->mf && (f->end & 7))) {
		t->st.dropped++;
		return -1;
	}
	if (!f->offset && !v6_has_upper(p, end, off + 8, f->frag_nh)) {
		t->st.no_upper++;
		return -1;
	}
	return 1;
}

static struct ipf_dgram *lookup(struct ipfrag_table *t, const struct ipf_key *k, uint32_t b)
{
	for (struct ipf_dgram *d = t->buckets[b]; d; d = d->hnext)
		if (!memcmp(&d->key, k, sizeof(*k)))
			return d;
	return NULL;
}

static void account(struct ipfrag_table *t, struct ipf_dgram *d, uint64_t mem)
{
	t->bytes[fam(&d->key)] += mem - d->mem;
	d->mem = mem;
}

/* What a datagram costs: its buffers, and per fragment what allocation
 * costs around it, so the bound is met no later than Linux's, which counts
 * each fragment's whole socket buffer (hundreds of bytes more). */
#define FRAG_OVERHEAD 64

static uint64_t dgram_mem(const struct ipf_dgram *d)
{
	return sizeof(*d) + d->hdr_len + d->held + (uint64_t)d->frags * FRAG_OVERHEAD +
	       (uint64_t)d->runs_cap * sizeof(struct ipf_run);
}

static struct ipf_dgram *create(struct ipfrag_table *t, const struct ipf_key *k, uint32_t b,
				uint64_t now)
{
	struct ipf_dgram *d;

	if (t->count[fam(k)] >= t->cfg.max_datagrams) { /* as over the byte bound */
		t->st.refused++;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		t->st.nomem++;
		return NULL;
	}
	if (k->family == 4) {
		struct ipf_peer **pp = &t->peers[peer_bucket(t, k->src)], *pe = *pp;

		while (pe && memcmp(pe->src, k->src, 4))
			pe = pe->hnext;
		if (!pe && (pe = calloc(1, sizeof(*pe)))) {
			memcpy(pe->src, k->src, 4);
			pe->hnext = *pp;
			*pp = pe;
		}
		if (!pe) {
			free(d);
			t->st.nomem++;
			return NULL;
		}
		pe->refs++;
		d->peer = pe;
	}
	d->key = *k;
	d->bucket = b;
	d->expires = now + (k->family == 4 ? t->cfg.timeout_v4_ns : t->cfg.timeout_v6_ns);
	d->hnext = t->buckets[b];
	t->buckets[b] = d;
	d->older = t->newest;
	if (t->newest)
		t->newest->newer = d;
	else
		t->oldest = d;
	t->newest = d;
	t->count[fam(k)]++;
	account(t, d, dgram_mem(d));
	return d;
}

/* Empty d and start it over from now, as ip_frag_reinit() does. */
static void dgram_reinit(struct ipfrag_table *t, struct ipf_dgram *d, uint64_t now)
{
	for (uint32_t i = 0; i < d->n_runs; i++)
		free(d->runs[i].buf);
	free(d->hdr);
	d->hdr = NULL;
	d->hdr_len = 0;
	d->n_runs = 0;
	d->held = 0;
	d->frags = 0;
	d->len = d->meat = 0;
	d->first_in = d->last_in = false;
	d->ecn = 0;
	d->max_size = d->max_df_size = 0;
	d->expires = now + t->cfg.timeout_v4_ns;
	account(t, d, dgram_mem(d));
}

enum { RUN_NEW, RUN_DUP, RUN_OVERLAP, RUN_NOMEM };

/* Place [off, end) among d's runs (see the top of the file). */
static int runs_insert(struct ipf_dgram *d, uint32_t off, uint32_t end, uint32_t *at)
{
	uint32_t n = d->n_runs, lo = 0, hi = n;

	if (n && d->runs[n - 1].end < end) {
		if (off < d->runs[n - 1].end)
			return RUN_OVERLAP;
		if (off == d->runs[n - 1].end) {
			d->runs[n - 1].end = end;
			*at = n - 1;
			return RUN_NEW;
		}
		lo = n;
	} else if (n) {
		/* The first run ending after off: the only one that can meet. */
		while (lo < hi) {
			uint32_t mid = (lo + hi) / 2;

			if (d->runs[mid].end > off)
				hi = mid;
			else
				lo = mid + 1;
		}
		if (lo < n && d->runs[lo].start < end)
			return off >= d->runs[lo].start && end <= d->runs[lo].end ? RUN_DUP
										  : RUN_OVERLAP;
	}
	if (n == d->runs_cap) {
		uint32_t cap = d->runs_cap ? d->runs_cap * 2 : 4;
		struct ipf_run *r = realloc(d->runs, cap * sizeof(*r));

		if (!r)
			return RUN_NOMEM;
		d->runs = r;
		d->runs_cap = cap;
	}
	memmove(d->runs + lo + 1, d->runs + lo, (n - lo) * sizeof(*d->runs));
	memset(&d->runs[lo], 0, sizeof(d->runs[lo]));
	d->runs[lo].start = off;
	d->runs[lo].end = end;
	d->n_runs++;
	*at = lo;
	return RUN_NEW;
}

/* Room in run r for its bytes up to DATA_MAX (bytes past it are counted,
 * not kept: such a datagram is too big and never rebuilt). A run grows
 * when fragments are appended to it, by doubling. */
static bool run_room(struct ipf_dgram *d, struct ipf_run *r)
{
	uint32_t need = (r->end < DATA_MAX ? r->end : DATA_MAX) - r->start, cap;
	uint8_t *n;

	if (r->start >= DATA_MAX || need <= r->cap)
		return true;
	cap = r->cap ? r->cap * 2 : need;
	if (cap < need)
		cap = need;
	if (cap > DATA_MAX - r->start)
		cap = DATA_MAX - r->start;
	n = realloc(r->buf, cap);
	if (!n)
		return false;
	d->held += cap - r->cap;
	r->buf = n;
	r->cap = cap;
	return true;
}

static uint16_t ip_csum(const uint8_t *p, uint32_t len)
{
	uint32_t s = 0;

	for (uint32_t i = 0; i + 1 < len; i += 2)
		s += rd16(p + i);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Whole: the IP packet into t->out. false when the stack would discard it
 * (counted). d is the caller's to kill. */
static bool rebuild(struct ipfrag_table *t, struct ipf_dgram *d, uint32_t *outlen)
{
	uint8_t *o = t->out;
	uint32_t tot;

	/* Not-ECT mixed with ECT or CE: RFC 3168 §5.3 says drop. */
	if ((d->ecn & ECN_NOT_ECT) && d->ecn != ECN_NOT_ECT) {
		t->st.ecn++;
		return false;
	}
	if (d->key.family == 4) {
		tot = d->hdr_len + d->len;
		if (tot > 65535) {
			t->st.too_big++;
			return false;
		}
		memcpy(o, d->hdr, d->hdr_len);
		wr16(o + 2, (uint16_t)tot);
		/* DF only when every largest fragment carried it, as Linux. */
		wr16(o + 6, d->max_df_size == d->max_size ? IP_DF : 0);
		if (d->ecn & ECN_CE)
			o[1] |= 3;
		wr16(o + 10, 0);
		wr16(o + 10, ip_csum(o, d->hdr_len));
	} else {
		tot = d->hdr_len + d->len;
		if (tot - 40 > 65535) {
			t->st.too_big++;
			return false;
		}
		/* The fragment header goes; what named it names what followed it. */
		memcpy(o, d->hdr, d->hdr_len);
		o[d->nh_pos] = d->frag_nh;
		wr16(o + 4, (uint16_t)(tot - 40));
		if (d->ecn & ECN_CE)
			o[1] |= 0x30;
	}
	/* Whole: the runs cover [0, len) (len < DATA_MAX here) end to end. */
	for (uint32_t i = 0; i < d->n_runs; i++)
		memcpy(o + d->hdr_len + d->runs[i].start, d->runs[i].buf,
		       d->runs[i].end - d->runs[i].start);
	*outlen = tot;
	t->st.reassembled++;
	return true;
}

enum ipfrag_result ipfrag_add(struct ipfrag_table *t, const uint8_t *l3, uint32_t caplen,
			      uint64_t now, const uint8_t **out, uint32_t *outlen)
{
	struct ipf_frag f;
	struct ipf_dgram *d;
	uint32_t b, end, at = 0;
	int r;

	memset(&f, 0, sizeof(f));
	if (caplen < 1)
		return IPFRAG_NOT_FRAGMENT;
	switch (l3[0] >> 4) {
	case 4:
		r = read_v4(t, l3, caplen, &f);
		break;
	case 6:
		r = read_v6(t, l3, caplen, &f);
		break;
	default:
		return IPFRAG_NOT_FRAGMENT;
	}
	if (r <= 0)
		return r ? IPFRAG_HELD : IPFRAG_NOT_FRAGMENT;

	/* Over the byte bound, Linux takes no fragment at all, of a datagram
	 * in progress or a new one, until timeouts bring it under
	 * (inet_frag_find()): evicting one in progress instead would let a
	 * client push its own hello's datagram out of the sensor, which the
	 * server still rebuilds. */
	if (t->bytes[fam(&f.key)] > t->cfg.max_bytes) {
		t->st.refused++;
		return IPFRAG_HELD;
	}
	b = (uint32_t)siphash13(t->k0, t->k1, &f.key, sizeof(f.key)) & t->mask;
	d = lookup(t, &f.key, b);
	if (d && d->expires <= now) { /* its time ran out before the tick saw it */
		dgram_kill(t, d);
		t->st.timeouts++;
		d = NULL;
	}
	if (!d && !(d = create(t, &f.key, b, now)))
		return IPFRAG_HELD;
	/* Linux's ipfrag_max_dist: more than IPFRAG_MAX_DIST fragments from
	 * this source since this datagram's last one, and what it held is
	 * thrown away, this fragment starting it over (ip_frag_too_far()).
	 * Without it a fake first fragment, then 65 others from the source,
	 * then the real one: Linux rebuilds the real hello, the sensor would
	 * keep the fake and take the real one for a duplicate. */
	if (d->peer) {
		uint32_t rid = ++d->peer->rid;

		if (d->n_runs && rid - d->rid > IPFRAG_MAX_DIST) {
			t->st.too_far++;
			dgram_reinit(t, d, now);
		}
		d->rid = rid;
	}

	end = f.end;
	if (!f.mf) {
		/* The last fragment: data already past it, or another end. */
		if (end < d->len || (d->last_in && end != d->len))
			goto bad_length;
		d->last_in = true;
		d->len = end;
	} else {
		if (f.key.family == 4)
			end &= ~7u; /* IPv4 middle pieces are cut to 8 bytes */
		if (end > d->len) {
			if (d->last_in)
				goto bad_length;
			d->len = end;
		}
	}
	if (end == f.offset)
		goto bad_length;

	switch (runs_insert(d, f.offset, end, &at)) {
	case RUN_DUP:
		t->st.duplicates++;
		return IPFRAG_HELD;
	case RUN_OVERLAP:
		t->st.overlaps++;
		dgram_kill(t, d);
		return IPFRAG_HELD;
	case RUN_NOMEM:
		goto nomem;
	}
	if (!run_room(d, &d->runs[at]))
		goto nomem;
	if (f.offset < DATA_MAX)
		memcpy(d->runs[at].buf + (f.offset - d->runs[at].start), f.payload,
		       (end < DATA_MAX ? end : DATA_MAX) - f.offset);
	d->frags++;
	if (!f.offset) {
		uint8_t *h = malloc(f.hdr_len);

		if (!h)
			goto nomem;
		memcpy(h, l3, f.hdr_len);
		d->hdr = h;
		d->hdr_len = f.hdr_len;
		d->nh_pos = f.nh_pos;
		d->frag_nh = f.frag_nh;
		d->first_in = true;
	}
	/* A fragment's size as kept: its IP header and its data, cut to 8. */
	f.size = f.hdr_len + end - f.offset;
	if (f.size > d->max_size)
		d->max_size = f.size;
	if (f.df && f.size > d->max_df_size)
		d->max_df_size = f.size;
	d->ecn |= f.ecn_bit;
	d->meat += end - f.offset;
	account(t, d, dgram_mem(d));

	if (d->first_in && d->last_in && d->meat == d->len) {
		bool ok = rebuild(t, d, outlen);

		dgram_kill(t, d);
		if (!ok)
			return IPFRAG_HELD;
		*out = t->out;
		return IPFRAG_DONE;
	}
	return IPFRAG_HELD;

bad_length:
	t->st.bad_length++;
	dgram_kill(t, d);
	return IPFRAG_HELD;
nomem:
	t->st.nomem++;
	dgram_kill(t, d);
	return IPFRAG_HELD;
}
