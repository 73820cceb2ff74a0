// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The flow table and the per-packet flow logic. Flows live in a
 * preallocated pool (max_flows entries, so memory is bounded and there is no
 * malloc per connection), hashed by 4-tuple with a keyed SipHash, and sit on
 * one of two age lists: waiting for a hello (by creation time) or done (by
 * completion time). Time is the caller's packet time.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <string.h>
#include <unistd.h>
#include "flow.h"
#include "siphash.h"

#define NSEC_PER_SEC 1000000000ULL

struct flow_table {
	struct flow_config cfg;
	struct flow_stats st;
	uint64_t k0, k1; /* SipHash key */
	uint32_t mask;   /* buckets - 1 */
	uint32_t count;
	uint64_t buffered; /* bytes held by reassembly buffers */
	uint64_t tat;      /* unvalidated bucket: packet time it is full again */
	struct flow **buckets;
	struct flow *pool;
	struct flow *free;         /* returned entries, chained through hnext */
	uint32_t unused;           /* pool entries never handed out start here */
	struct list waiting, done; /* age lists, on flow.age */
	/* Destination ports of every flow ever created (never cleared): a packet
	 * to any other port has no flow, so it needs no lookup. Offline reads
	 * track every port, and half their packets are the server's, to a
	 * client port: the hash and lookup were ~100 instructions of each. */
	uint64_t dports[65536 / 64];
	uint8_t scratch[REASM_MAX_BYTES]; /* hello joined across records */
};

static void dport_mark(struct flow_table *ft, uint16_t port)
{
	ft->dports[port / 64] |= 1ULL << (port % 64);
}

static bool dport_marked(const struct flow_table *ft, uint16_t port)
{
	return ft->dports[port / 64] >> (port % 64) & 1;
}

/* SipHash-1-3 over the 40-byte key: keyed, so bucket collisions cannot be aimed
 * (siphash.h's rounds; the IPv4 key is packed into 2 words first). */
static uint64_t key_hash(const struct flow_table *ft, const struct flow_key *key)
{
	uint64_t v0 = ft->k0 ^ 0x736f6d6570736575ULL, v1 = ft->k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = ft->k0 ^ 0x6c7967656e657261ULL, v3 = ft->k1 ^ 0x7465646279746573ULL;
	uint64_t w[sizeof(*key) / 8];
	size_t n = sizeof(w) / 8;

	_Static_assert(sizeof(struct flow_key) == 40, "flow_key is 5 words");
	_Static_assert(offsetof(struct flow_key, sport) == 32, "ports, family in the last word");
	memcpy(w, key, sizeof(w));
	if (key->family == AF_INET) {
		/* Only the first 4 bytes of each address are used: hash 2 words. */
		w[0] = (w[0] & 0xffffffffULL) | w[2] << 32;
		w[1] = w[4];
		n = 2;
	}
	for (size_t i = 0; i < n; i++) {
		v3 ^= w[i];
		SIPROUND;
		v0 ^= w[i];
	}
	v3 ^= (uint64_t)sizeof(*key) << 56;
	SIPROUND;
	v0 ^= (uint64_t)sizeof(*key) << 56;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* The oldest flow of an age list, or NULL. */
static struct flow *oldest(struct list *l)
{
	return list_first(l, struct flow, age);
}

static struct list *list_of(struct flow_table *ft, const struct flow *f)
{
	return f->state == FLOW_DONE ? &ft->done : &ft->waiting;
}

void flow_key_from_pkt(const struct pkt_info *pi, struct flow_key *key)
{
	memset(key, 0, sizeof(*key));
	key->family = pi->family;
	memcpy(key->src, pi->src, 16);
	memcpy(key->dst, pi->dst, 16);
	key->sport = pi->sport;
	key->dport = pi->dport;
}

struct flow_table *flow_table_new(const struct flow_config *cfg, const uint8_t seed[16])
{
	struct flow_table *ft;
	uint32_t nb = 16;

	if (!cfg->max_flows || !cfg->limits.max_bytes || !cfg->limits.max_segments) {
		errno = EINVAL;
		return NULL;
	}
	ft = calloc(1, sizeof(*ft));
	if (!ft)
		return NULL;
	ft->cfg = *cfg;
	if (!ft->cfg.max_buffered)
		ft->cfg.max_buffered = UINT64_MAX;
	memcpy(&ft->k0, seed, 8);
	memcpy(&ft->k1, seed + 8, 8);
	while (nb < cfg->max_flows && nb < (1u << 31))
		nb <<= 1;
	ft->mask = nb - 1;
	/* calloc: pages of the pool no flow has used yet stay untouched. */
	ft->buckets = calloc(nb, sizeof(*ft->buckets));
	ft->pool = calloc(cfg->max_flows, sizeof(*ft->pool));
	if (!ft->buckets || !ft->pool) {
		flow_table_free(ft);
		errno = ENOMEM;
		return NULL;
	}
	return ft;
}

void flow_table_free(struct flow_table *ft)
{
	if (!ft)
		return;
	if (ft->pool)
		for (uint32_t i = 0; i < ft->unused; i++)
			reasm_reset(&ft->pool[i].reasm);
	free(ft->pool);
	free(ft->buckets);
	free(ft);
	reasm_trim(); /* the buffer allocator's spare chunk */
}

struct flow *flow_table_lookup(struct flow_table *ft, const struct flow_key *key)
{
	struct flow *f = ft->buckets[key_hash(ft, key) & ft->mask];

	for (; f; f = f->hnext)
		if (!memcmp(&f->key, key, sizeof(*key)))
			return f;
	return NULL;
}

/* Free a flow's reassembly buffer, keeping the byte count right. */
static void release_buffer(struct flow_table *ft, struct flow *f)
{
	ft->buffered -= f->reasm.cap;
	reasm_reset(&f->reasm);
}

static void flow_remove(struct flow_table *ft, struct flow *f)
{
	struct flow **pp = &ft->buckets[key_hash(ft, &f->key) & ft->mask];

	while (*pp != f)
		pp = &(*pp)->hnext;
	*pp = f->hnext;
	list_del(list_of(ft, f), &f->age);
	release_buffer(ft, f);
	f->hnext = ft->free;
	ft->free = f;
	ft->count--;
}

static struct flow *flow_create(struct flow_table *ft, const struct flow_key *key, uint64_t now)
{
	struct flow *f;
	uint32_t b;

	if (ft->count == ft->cfg.max_flows) {
		if (ft->done.head) {
			ft->st.evicted_done++;
			flow_remove(ft, oldest(&ft->done));
		} else {
			ft->st.evicted_active++;
			flow_remove(ft, oldest(&ft->waiting));
		}
	}
	if (ft->free) {
		f = ft->free;
		ft->free = f->hnext;
	} else {
		/* Untouched pool pages stay unmapped until traffic needs them. */
		f = &ft->pool[ft->unused++];
	}
	memset(f, 0, sizeof(*f));
	f->key = *key;
	f->created_ns = now;
	dport_mark(ft, key->dport);
	b = (uint32_t)(key_hash(ft, key) & ft->mask);
	f->hnext = ft->buckets[b];
	ft->buckets[b] = f;
	list_add_tail(&ft->waiting, &f->age);
	ft->count++;
	ft->st.created++;
	return f;
}

/* (Re)start a flow as a new connection from this packet. */
static void flow_restart(struct flow_table *ft, struct flow *f, uint32_t seq, uint64_t now,
			 bool syn);
static void stream_reset(struct flow_table *ft, struct flow *f, uint32_t base);

static void flow_start(struct flow_table *ft, struct flow *f, const struct pkt_info *pi,
		       uint64_t now, bool syn)
{
	struct flow_meta *m = &f->meta;

	/* A SYN-ACK that came first stays if it answers this SYN (or, for a
	 * pickup, until the hello's ACK tells). A reused 4-tuple starts clean. */
	bool keep_synack = f->state == FLOW_WAIT_SYN && f->has_synack &&
			   (!syn || f->synack_ack == pi->seq + 1);

	flow_restart(ft, f, pi->seq, now, syn);
	f->has_synack = keep_synack;
	f->syn_data = syn && pi->payload_wire;
	m->ttl = pi->ttl;
	m->df = pi->df;
	m->ip_id = pi->ip_id;
	m->ip_total_len = pi->ip_total_len;
	m->window = pi->window;
	m->opt_len = pi->tcp_opt_len;
	if (pi->tcp_opt_len)
		memcpy(m->opts, pi->tcp_opts, pi->tcp_opt_len);
	memcpy(m->tunnel, pi->tunnel, sizeof(m->tunnel));
}

/* The stream and its state from scratch, at seq (the SYN's ISN with syn,
 * else the first byte's); the metadata of the record left as it is. */
static void flow_restart(struct flow_table *ft, struct flow *f, uint32_t seq, uint64_t now,
			 bool syn)
{
	list_del(list_of(ft, f), &f->age); /* to the young end of the waiting list */
	f->state = FLOW_WAIT_HELLO;
	f->has_synack = 0;
	f->judged = 0;
	f->ts_ok = 0;
	f->bad_stream = 0;
	f->shadowed = 0;
	f->syn_data = 0;
	list_add_tail(&ft->waiting, &f->age);
	stream_reset(ft, f, syn ? seq + 1 : seq);
	f->created_ns = now;
	f->syn_ns = syn ? now : 0;
	f->has_syn = syn;
	f->isn = seq;
}

/* The stream from its start at sequence number base: no bytes, nothing
 * learnt from them. */
static void stream_reset(struct flow_table *ft, struct flow *f, uint32_t base)
{
	release_buffer(ft, f);
	reasm_init(&f->reasm, base);
	f->ack_bad = 0;
	f->conflict = 0;
	f->urg_mark = 0;
	f->frame_need = 0;
	f->frame_off = 0;
	f->frame_payload = 0;
	f->fin_seen = 0;
	f->first_byte_ns = 0;
}

/* First payload of a flow whose SYN we missed: must look like a ClientHello,
 * by the kernel program's test, so live and offline modes pick up the same. */
static bool looks_like_hello(const struct pkt_info *pi)
{
	return J4S_TLS_LOOKS_LIKE_HELLO(pi->payload, pi->payload_len);
}

/* One unvalidated flow may go on: take a token. GCRA as the kernel
 * program's bucket_take(), on packet time: tat is when the bucket is full
 * again, so a token comes back every interval. */
static bool bucket_take(struct flow_table *ft, uint64_t now)
{
	uint64_t interval, depth, t;

	if (!ft->cfg.limit_unvalidated || !ft->cfg.unvalidated_rate)
		return true;
	interval = NSEC_PER_SEC / ft->cfg.unvalidated_rate;
	depth = (uint64_t)ft->cfg.unvalidated_burst * interval;
	/* Packet time is the wall clock's: after it steps back the bucket
	 * counts as empty (a token comes back one interval later) rather than
	 * until the clock catches up. Not full: jitter between capture CPUs
	 * must not hand out tokens. */
	if (ft->tat > now + depth)
		ft->tat = now + depth;
	t = ft->tat > now ? ft->tat : now;
	if (t - now + interval > depth)
		return false;
	ft->tat = t + interval;
	return true;
}

/*
 * Judge a flow at its first hello segment as the kernel program's admitted()
 * does (design.md §13): a client that acknowledges the server's ISN + 1 got
 * the SYN-ACK, so it owns its address; any other goes on only while the
 * bucket has tokens. f is NULL for a pickup not yet tracked. The record's
 * flag is ack_bad's, which looks at every segment.
 */
static bool admitted(struct flow_table *ft, const struct flow *f, const struct pkt_info *pi,
		     uint64_t now)
{
	if (f && f->has_synack && (pi->tcp_flags & TCPF_ACK) && pi->ack == f->server_isn + 1)
		return true;
	return bucket_take(ft, now);
}

/* Back to the stream start, for the real hello: the bytes held were the
 * server-dropped segments' (a spoofed hello, handed out flagged, or one
 * that came to nothing). At most once a flow, so a client cannot keep the
 * flow busy with them. */
static void bad_stream_over(struct flow_table *ft, struct flow *f)
{
	stream_reset(ft, f, f->reasm.base);
	f->bad_stream = 0;
	f->shadowed = 1;
}

/* The flow ends without a hello: keep it, done, so the rest costs nothing. */
static enum flow_result flow_end(struct flow_table *ft, struct flow *f, uint64_t now,
				 uint64_t *counter)
{
	(*counter)++;
	/* A verdict against bytes the server never took ends nothing. */
	if (f->bad_stream) {
		bad_stream_over(ft, f);
		return FLOW_NOTHING;
	}
	flow_table_finish(ft, f, now);
	return FLOW_ENDED;
}

/* Over the byte budget: the oldest waiting flows lose their buffers (and
 * their hello), never the flow being served. */
static void enforce_budget(struct flow_table *ft, struct flow *keep)
{
	struct flow *f = oldest(&ft->waiting);

	while (f && ft->buffered > ft->cfg.max_buffered) {
		struct flow *next = list_next(f, age);

		if (f != keep && f->reasm.cap) {
			ft->st.evicted_memory++;
			flow_remove(ft, f);
		}
		f = next;
	}
}

static enum flow_result frame_verdict(struct flow_table *ft, struct flow *f, uint64_t now,
				      enum hello_verdict v, uint32_t need)
{
	switch (v) {
	case HELLO_OK:
		ft->st.hellos++;
		if (flow_validated(f))
			ft->st.validated++;
		else
			ft->st.unvalidated++;
		return FLOW_HELLO;
	case HELLO_NEED_MORE:
		if (need > ft->cfg.limits.max_bytes || f->reasm.contig >= ft->cfg.limits.max_bytes)
			return flow_end(ft, f, now, &ft->st.byte_limit);
		return FLOW_NOTHING;
	case HELLO_NOT_TLS:
		return flow_end(ft, f, now, &ft->st.not_tls);
	case HELLO_NOT_CLIENT_HELLO:
		return flow_end(ft, f, now, &ft->st.not_hello);
	case HELLO_TOO_BIG:
		return flow_end(ft, f, now, &ft->st.too_big);
	default:
		return flow_end(ft, f, now, &ft->st.malformed);
	}
}

/* flow.urg_mark: URG_PENDING with the offset of the byte the reader will
 * skip (URG_OFF: beyond any hello); without it, 1 + the offset of the last
 * byte removed, 0 if none: bytes before it sit one lower than their
 * sequence numbers say, so retransmits of them are not compared. */
#define URG_PENDING 0x8000u
#define URG_OFF     0x7fffu
/* The receive window a pointer-carrying segment must start in (see urgent_pointer()). */
#define URG_WINDOW 65535
_Static_assert(REASM_MAX_BYTES < URG_OFF, "urgent offsets are 15 bits");

/* Sequence number of the first payload byte: a SYN's data (TCP Fast Open) follows
 * the SYN's own number. */
static uint32_t data_seq(const struct pkt_info *pi)
{
	return pi->seq + (pi->tcp_flags & TCPF_SYN ? 1 : 0);
}

static enum flow_result add_payload(struct flow_table *ft, struct flow *f,
				    const struct pkt_info *pi, uint64_t now, struct flow_hello *out)
{
	struct reasm *r = &f->reasm;
	uint32_t need, cap_before, seq = data_seq(pi);
	struct reasm_effects fx;
	bool cut;
	struct hello_frame_pos pos;
	enum hello_verdict v;
	enum reasm_result rr;

	out->flow = f;
	/* Fast path: the whole hello in the first segment, nothing to copy
	 * (and no urgent byte to take out of it). */
	if (!r->hi && seq == r->base && pi->payload_len == pi->payload_wire &&
	    !(f->urg_mark & URG_PENDING)) {
		v = hello_frame(pi->payload, pi->payload_len, ft->scratch, &out->msg, &out->msg_len,
				&need);
		if (v != HELLO_NEED_MORE) {
			f->first_byte_ns = now;
			return frame_verdict(ft, f, now, v, need);
		}
	}
	cap_before = r->cap;
	cut = f->urg_mark && !(f->urg_mark & URG_PENDING) &&
	      (int32_t)(seq - r->base) < (int32_t)f->urg_mark - 1;
	rr = reasm_add(r, &ft->cfg.limits, seq, pi->payload, pi->payload_len, &fx);
	if (cut) /* compared a byte off (reasm_remove()): nothing to count */
		fx.overlap_bytes = fx.conflict_bytes = 0;
	ft->buffered += r->cap - cap_before;
	if (ft->buffered > ft->cfg.max_buffered)
		enforce_budget(ft, f);
	switch (rr) {
	case REASM_SEGMENT_LIMIT: /* a new hole past the cap: ignored, not the end */
		ft->st.segment_limit++;
		return FLOW_NOTHING;
	case REASM_BYTE_LIMIT:
		return flow_end(ft, f, now, &ft->st.byte_limit);
	case REASM_NOMEM:
		return flow_end(ft, f, now, &ft->st.nomem);
	case REASM_DUPLICATE:
	case REASM_OLD:
		f->conflict |= fx.conflict_bytes != 0;
		ft->st.retransmits++;
		ft->st.overlap_bytes += fx.overlap_bytes;
		ft->st.conflict_bytes += fx.conflict_bytes;
		return FLOW_NOTHING;
	case REASM_HELD:
		f->conflict |= fx.conflict_bytes != 0;
		ft->st.out_of_order++;
		ft->st.overlap_bytes += fx.overlap_bytes;
		ft->st.conflict_bytes += fx.conflict_bytes;
		return FLOW_NOTHING;
	case REASM_NEW_DATA:
		break;
	}
	/* The server's reader has come to the urgent byte: it skips it. */
	if ((f->urg_mark & URG_PENDING) && (f->urg_mark & URG_OFF) < r->contig) {
		uint16_t at = f->urg_mark & URG_OFF;

		reasm_remove(r, at);
		if (f->fin_seen && f->fin_off > at)
			f->fin_off--; /* the stream up to the FIN is a byte shorter */
		f->urg_mark = (uint16_t)(at + 1);
		ft->st.urgent_removed++;
	}
	f->conflict |= fx.conflict_bytes != 0;
	ft->st.overlap_bytes += fx.overlap_bytes;
	ft->st.conflict_bytes += fx.conflict_bytes;
	if (!f->first_byte_ns)
		f->first_byte_ns = now;
	if (r->contig < f->frame_need)
		return FLOW_NOTHING;
	pos.off = f->frame_off;
	pos.payload = f->frame_payload;
	v = hello_frame_at(r->buf, r->contig, ft->scratch, &out->msg, &out->msg_len, &need, &pos);
	f->frame_off = (uint16_t)pos.off; /* <= contig, below REASM_MAX_BYTES */
	f->frame_payload = (uint16_t)pos.payload;
	/* need is at most max_bytes (< 64 KiB) when the flow goes on waiting. */
	f->frame_need = (uint16_t)(v == HELLO_NEED_MORE && need <= UINT16_MAX ? need : 0);
	return frame_verdict(ft, f, now, v, need);
}

/*
 * A SYN on a tracked flow: its retransmit changes nothing. A SYN with
 * another ISN while the flow waits for its hello after the server's
 * SYN-ACK starts no new connection at the server: once established it
 * answers with a challenge ACK and drops it (tcp_validate_incoming(), RFC
 * 5961), and before, a SYN other than the first kills the half-open one
 * (tcp_check_req()) and starts nothing either. Taking it as a new
 * connection would put the real hello, on the old sequence numbers, out
 * of reach: a client could hide its hello behind one SYN. The kernel
 * program does the same (on_tcp()). Returns true when the SYN is ignored.
 */
static bool syn_is_retransmit(struct flow_table *ft, struct flow *f, const struct pkt_info *pi)
{
	if (f->has_syn && pi->seq == f->isn) {
		ft->st.syn_retransmits++;
		return true;
	}
	if (f->state == FLOW_WAIT_HELLO && f->has_synack) {
		ft->st.syn_ignored++;
		return true;
	}
	ft->st.reused++;
	return false;
}

/*
 * TCP urgent data, as the Linux receiver treats it (net/ipv4/tcp_input.c
 * tcp_check_urg(), read before the segment's data is queued; tcp.c
 * tcp_recvmsg_locked()): with net.ipv4.tcp_stdurg at its default 0 the
 * urgent byte is the one before seq + urgent pointer (seq itself for a
 * pointer of 0). A pointer before rcv_nxt (contig) is ignored, and so is one
 * not after a pointer still pending; a later one replaces the pending one,
 * whose byte then stays in the stream. A server without SO_OOBINLINE (every
 * TLS server) never reads the pending byte: its read skips it. We model a
 * reader that reads whatever is in order at once, so a pending byte is
 * taken out as soon as it is in order (add_payload()); docs/reliability.md
 * says what read timing can change. A segment that ends before rcv_nxt is
 * dropped by the receiver before its pointer is looked at (tcp_sequence(),
 * with the window edge rcv_wup taken as rcv_nxt).
 */
static void urgent_pointer(struct flow_table *ft, struct flow *f, const struct pkt_info *pi)
{
	const struct reasm *r = &f->reasm;
	uint32_t ptr = pi->seq + (pi->urg_ptr ? pi->urg_ptr - 1u : 0u);
	int32_t off = (int32_t)(ptr - r->base);
	int32_t start = (int32_t)(pi->seq - r->base);
	int32_t end = (int32_t)(pi->seq + pi->payload_wire - r->base);

	/* Only from a segment the server's stack processes: with an ACK
	 * (tcp_rcv_established drops one without), not acknowledging data the
	 * server never sent (tcp_ack drops an ACK past snd_nxt, which before
	 * the server's first answer is its ISN + 1), inside the receive window
	 * (tcp_sequence; the initial window is at most 64 KiB unscaled). Or a
	 * segment the server threw away would move a byte of the hello. */
	if (!(pi->tcp_flags & TCPF_ACK) ||
	    (f->has_synack && (int32_t)(pi->ack - (f->server_isn + 1)) > 0) ||
	    start > (int32_t)r->contig + URG_WINDOW || end < (int32_t)r->contig ||
	    off < (int32_t)r->contig) {
		ft->st.urgent_ignored++;
		return;
	}
	if (off > (int32_t)URG_OFF) /* beyond any hello: only its order matters */
		off = URG_OFF;
	if ((f->urg_mark & URG_PENDING) && off <= (int32_t)(f->urg_mark & URG_OFF)) {
		ft->st.urgent_ignored++;
		return;
	}
	if (f->urg_mark & URG_PENDING)
		ft->st.urgent_replaced++;
	f->urg_mark = (uint16_t)(URG_PENDING | off);
}

/* The next byte the server's receiver expects (rcv_nxt): the stream's
 * in-order end, but not past bytes only server-dropped segments brought
 * (a spoofed stream, ack_stream()), which it never took. */
static uint32_t rcv_nxt(const struct flow *f)
{
	return f->reasm.base + (f->bad_stream ? 0 : f->reasm.contig);
}

enum seg_verdict {
	SEG_OK = 0,
	SEG_DROP,     /* dropped whatever its ACK */
	SEG_DROP_ACK, /* dropped for its ACK alone: a spoofed hello's segment */
};

/*
 * A segment the server's TCP drops whatever it carries, so its bytes never
 * reach the TLS stack: an insertion attack sends a fake hello in one and
 * the real hello after it, and a sensor that took the fake one's bytes as
 * final would name a hello the server never read (docs/reliability.md,
 * "Segments the server drops"). The kernel program refuses the same ones
 * (refused() there); f is NULL for a segment of no tracked flow.
 * - An MD5 signature option: tcp_inbound_md5_hash() (tcp_inbound_hash()
 *   since 6.7) drops it on a connection without an MD5 key; RSTs too.
 * - PAWS: a timestamp older than ts_recent by more than 1, when the
 *   server checks timestamps (tcp_paws_discard(); tcp_check_req() before
 *   the handshake's last ACK); RSTs too.
 * - An RST not at the next byte expected: tcp_validate_incoming() answers
 *   it with a challenge ACK (RFC 5961), the connection lives on.
 * - No ACK flag: tcp_check_req() (before the handshake's last ACK) and
 *   tcp_rcv_established() drop it.
 * - An ACK of data the server never sent, past its ISN + 1 before it
 *   answers the hello: tcp_check_req() wants the ISN + 1 exactly, tcp_ack()
 *   drops an ACK past snd_nxt. (An older ACK is dropped before the
 *   handshake's last ACK and taken after it, which a bare ACK decides and
 *   the sensor does not follow: such a hello is taken, flagged unvalidated
 *   (ack_bad).)
 * *ts says whether the segment carries a timestamp, *tsval its value.
 */
static enum seg_verdict server_drops(struct flow_table *ft, const struct flow *f,
				     const struct pkt_info *pi, bool *ts, uint32_t *tsval)
{
	/* The timestamp matters only where the server checks them. */
	*ts = f && f->ts_ok && pi->tcp_opt_len >= 10 &&
	      packet_tcp_tsval(pi->tcp_opts, pi->tcp_opt_len, tsval);
	if (pi->tcp_opt_len >= 18 && packet_tcp_md5(pi->tcp_opts, pi->tcp_opt_len))
		return SEG_DROP;
	if (*ts && f->ts_recent && (int32_t)(f->ts_recent - *tsval) > 1) {
		ft->st.paws_refused++;
		return SEG_DROP;
	}
	if (pi->tcp_flags & TCPF_RST)
		return f && f->state == FLOW_WAIT_HELLO && pi->seq != rcv_nxt(f) ? SEG_DROP
										 : SEG_OK;
	if (pi->tcp_flags & TCPF_SYN) /* a SYN's data is TCP Fast Open's */
		return SEG_OK;
	if (!(pi->tcp_flags & TCPF_ACK) ||
	    (f && f->has_synack && (int32_t)(pi->ack - (f->server_isn + 1)) > 0))
		return SEG_DROP_ACK;
	return SEG_OK;
}

/*
 * A segment the server drops for its ACK alone (no ACK flag, or an ACK of
 * data it never sent): what a blind spoofer sends. design.md §13 wants its
 * hello fingerprinted, flagged unvalidated; the receiver wants it never to
 * stand for the real hello. So such segments make a stream of their own in
 * the flow's buffer while no segment the server takes has come: a hello
 * they complete is handed out flagged (flow_validated() false), after
 * which (or at any verdict against it) the stream goes back to its start
 * for the real hello (bad_stream_over()), once a flow. A segment the
 * server takes discards such bytes first. Returns false when the segment
 * is refused.
 */
static bool ack_stream(struct flow_table *ft, struct flow *f, enum seg_verdict v)
{
	if (v == SEG_DROP_ACK) {
		if (f->shadowed || (!f->bad_stream && f->reasm.hi))
			return false;
		f->bad_stream = 1;
		return true;
	}
	if (f->bad_stream) {
		bad_stream_over(ft, f);
		f->shadowed = 0; /* it handed nothing out: the real stream begins */
		ft->st.spoof_discarded++;
	}
	return true;
}

/* ts_recent as the receiver keeps it: a segment it takes that starts at or
 * before the next byte expected raises it to a later timestamp
 * (tcp_replace_ts_recent(), tcp_check_req(); the window edge rcv_wup taken
 * as rcv_nxt, as for urgent pointers). Bare ACKs do so too. */
static void ts_follow(struct flow *f, const struct pkt_info *pi, bool ts, uint32_t tsval)
{
	if (f->ts_ok && ts && (int32_t)(pi->seq - rcv_nxt(f)) <= 0 &&
	    (int32_t)(tsval - f->ts_recent) >= 0)
		f->ts_recent = tsval;
}

static enum flow_result flow_payload_and_fin(struct flow_table *ft, struct flow *f,
					     const struct pkt_info *pi, uint64_t now,
					     struct flow_hello *out)
{
	enum flow_result res = FLOW_NOTHING;
	enum seg_verdict sv;
	uint32_t tsval;
	bool ts;

	sv = server_drops(ft, f, pi, &ts, &tsval);
	if (sv == SEG_DROP || ((pi->payload_len || f->bad_stream) && !ack_stream(ft, f, sv)) ||
	    (sv == SEG_DROP_ACK && !pi->payload_len)) {
		ft->st.refused++;
		return FLOW_NOTHING;
	}
	if (sv == SEG_OK)
		ts_follow(f, pi, ts, tsval);
	if (pi->tcp_flags & TCPF_RST) {
		ft->st.rst++;
		flow_remove(ft, f);
		return FLOW_ENDED;
	}
	/* A SYN's data (TCP Fast Open) is not judged, as in the kernel program:
	 * the SYN-ACK cannot have come yet. */
	if (pi->payload_len && !f->judged && !(pi->tcp_flags & TCPF_SYN)) {
		f->judged = 1;
		if (!admitted(ft, f, pi, now))
			return flow_end(ft, f, now, &ft->st.unvalidated_limited);
	}
	if ((pi->tcp_flags & (TCPF_URG | TCPF_SYN)) == TCPF_URG)
		urgent_pointer(ft, f, pi);
	if (pi->payload_len) {
		/* Every hello segment must acknowledge the server's ISN + 1, as
		 * the server's stack requires before it takes the data. */
		if (!f->has_synack || !(pi->tcp_flags & TCPF_ACK) || pi->ack != f->server_isn + 1)
			f->ack_bad = 1;
		res = add_payload(ft, f, pi, now, out);
		if (res != FLOW_NOTHING)
			return res;
	}
	if (pi->tcp_flags & TCPF_FIN) {
		f->fin_seen = 1;
		f->fin_off = data_seq(pi) + pi->payload_wire - f->reasm.base;
	}
	/* Closed with every byte up to the FIN in hand and still no hello. */
	if (f->fin_seen && f->reasm.contig >= f->fin_off)
		return flow_end(ft, f, now, &ft->st.fin_incomplete);
	return res;
}

/* A bare ACK with a timestamp raises the ts_recent of a waiting flow, as
 * the receiver's does (tcp_check_req() when it ends the handshake, the
 * fast path's tcp_store_ts_recent() after): a client can send one with a
 * timestamp far ahead and then a fake hello segment that PAWS drops. */
static void bare_ack(struct flow_table *ft, const struct pkt_info *pi)
{
	struct flow_key key;
	struct flow *f;
	uint32_t tsval;
	bool ts;

	flow_key_from_pkt(pi, &key);
	f = flow_table_lookup(ft, &key);
	if (!f || f->state != FLOW_WAIT_HELLO || !f->ts_ok)
		return;
	if (server_drops(ft, f, pi, &ts, &tsval) == SEG_OK)
		ts_follow(f, pi, ts, tsval);
	else
		ft->st.refused++;
}

enum flow_result flow_process(struct flow_table *ft, const struct pkt_info *pi, uint64_t now,
			      struct flow_hello *out)
{
	bool syn = (pi->tcp_flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN;
	struct flow_key key;
	struct flow *f;

	/* A bare ACK changes no flow but for its timestamp: spare the lookup
	 * (most packets of a busy port) without one. */
	if (!pi->payload_len && !(pi->tcp_flags & (TCPF_SYN | TCPF_FIN | TCPF_RST | TCPF_URG))) {
		ft->st.bare_acks++;
		if (pi->tcp_opt_len >= 10 && dport_marked(ft, pi->dport))
			bare_ack(ft, pi);
		return FLOW_NOTHING;
	}
	flow_key_from_pkt(pi, &key);
	f = syn || dport_marked(ft, pi->dport) || looks_like_hello(pi) ? flow_table_lookup(ft, &key)
								       : NULL;
	if (!f || f->state == FLOW_WAIT_SYN) {
		bool judged = false;

		if (syn) {
			if (!f)
				f = flow_create(ft, &key, now);
			ft->st.syns++;
		} else if (pi->payload_len && !(pi->tcp_flags & (TCPF_SYN | TCPF_RST)) &&
			   looks_like_hello(pi)) {
			/* Not f: a SYN-ACK held for a pickup may be another
			 * connection's until this ACK matches it. */
			uint32_t tsval;
			bool ts;

			if (server_drops(ft, NULL, pi, &ts, &tsval) != SEG_OK) {
				ft->st.refused++;
				return FLOW_NOTHING;
			}
			/* Judged before it takes an entry: held back, it is not
			 * tracked, so a spoofed flood costs no flow entries. */
			if (!f) {
				if (!admitted(ft, NULL, pi, now)) {
					ft->st.unvalidated_limited++;
					return FLOW_ENDED;
				}
				judged = true;
				f = flow_create(ft, &key, now);
			}
			ft->st.pickups++;
		} else {
			ft->st.no_flow++;
			return FLOW_NOTHING;
		}
		flow_start(ft, f, pi, now, syn);
		f->judged = judged;
	} else if (syn) {
		if (syn_is_retransmit(ft, f, pi))
			return FLOW_NOTHING;
		flow_start(ft, f, pi, now, true);
		ft->st.syns++;
	} else if (f->state == FLOW_DONE) {
		ft->st.after_done++;
		return FLOW_NOTHING;
	}
	return flow_payload_and_fin(ft, f, pi, now, out);
}

/* A SYN-ACK before its SYN: a flow to hold the ISN, but never at the cost of
 * a waiting flow (SYN-ACKs a host receives for its own outgoing connections
 * may match a pcap filter too). */
static void synack_early(struct flow_table *ft, const struct flow_key *key,
			 const struct pkt_info *pi, uint64_t now)
{
	struct flow *f;

	if (ft->count == ft->cfg.max_flows && !ft->done.head) {
		ft->st.synack_no_flow++;
		return;
	}
	f = flow_create(ft, key, now);
	f->state = FLOW_WAIT_SYN;
	f->has_synack = 1;
	f->server_isn = pi->seq;
	f->synack_ack = pi->ack;
	ft->st.synack_early++;
}

void flow_synack(struct flow_table *ft, const struct pkt_info *pi, uint64_t now)
{
	struct flow_key key;
	struct flow *f;

	memset(&key, 0, sizeof(key));
	key.family = pi->family;
	memcpy(key.src, pi->dst, 16);
	memcpy(key.dst, pi->src, 16);
	key.sport = pi->dport;
	key.dport = pi->sport;
	f = flow_table_lookup(ft, &key);
	if (!f) {
		synack_early(ft, &key, pi, now);
		return;
	}
	/* Whether it answers the SYN followed (with Fast Open, acknowledging
	 * its data too), and is the server's first answer to it. */
	bool answers = J4S_ACKS_SYN(pi->ack, f->isn + 1, f->syn_data);
	bool new_isn = f->has_synack && pi->seq != f->server_isn;

	if (f->state == FLOW_DONE && !(f->has_syn && (!answers || new_isn))) {
		ft->st.synack_no_flow++;
		return;
	}
	if (f->has_synack && f->server_isn == pi->seq && f->synack_ack == pi->ack) {
		ft->st.synack_retransmits++;
		return;
	}
	/* The server answers a SYN other than the one we follow, or answers
	 * again with a new ISN (a client that reuses its ISN after an RST):
	 * it holds a new connection of this 4-tuple, the one we follow is
	 * gone there (an established one would have drawn a challenge ACK,
	 * not a SYN-ACK). The SYN-ACK is the server's own word, so the flow
	 * starts over on it, done or not: the SYN we ignored
	 * (syn_is_retransmit()), or an RST we refused that the server took,
	 * must not leave the sensor on a dead connection and blind to the
	 * live one; nor a done flow whose new SYN we missed. The kernel
	 * program does the same (on_synack()). */
	bool restart = f->has_syn && (!answers || new_isn);

	if (restart) {
		/* Client ISN = its ACK - 1. The record's SYN metadata stays
		 * the first SYN's (the one answered came from the same client
		 * and was not kept). */
		flow_restart(ft, f, pi->ack - 1, now, true);
		ft->st.synack_restarted++;
	}
	if (f->state == FLOW_WAIT_SYN)
		ft->st.synack_early++;
	else
		ft->st.synacks++;
	f->has_synack = 1;
	f->server_isn = pi->seq;
	f->synack_ack = pi->ack;
	/* The server checks timestamps when the SYN and its SYN-ACK both carry
	 * one; ts_recent starts at the SYN's (tcp_openreq_init()). Not after a
	 * restart: that SYN's timestamp was not kept. */
	f->ts_ok = !restart && f->has_syn && pi->tcp_opt_len >= 10 &&
		   packet_tcp_tsval(pi->tcp_opts, pi->tcp_opt_len, &f->ts_recent) &&
		   packet_tcp_tsval(f->meta.opts, f->meta.opt_len, &f->ts_recent);
}

void flow_table_finish(struct flow_table *ft, struct flow *f, uint64_t now)
{
	if (f->state == FLOW_DONE)
		return;
	if (f->bad_stream) { /* the spoofed hello: the real one may follow */
		bad_stream_over(ft, f);
		return;
	}
	list_del(&ft->waiting, &f->age);
	f->state = FLOW_DONE;
	f->created_ns = now;
	release_buffer(ft, f);
	list_add_tail(&ft->done, &f->age);
}

static uint32_t expire_list(struct flow_table *ft, struct list *l, uint64_t now, uint64_t *counter)
{
	struct flow *f;
	uint32_t n = 0;

	while ((f = oldest(l)) && now >= f->created_ns &&
	       now - f->created_ns >= ft->cfg.timeout_ns) {
		flow_remove(ft, f);
		(*counter)++;
		n++;
	}
	return n;
}

/* The table is empty: the pool's touched pages go back to the system and
 * entries are handed out from the start again, so the memory a wave of
 * connections took (an attack, a scan) returns once they have expired. */
static void pool_release(struct flow_table *ft)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = ((uintptr_t)ft->pool + page - 1) & ~(page - 1);
	uintptr_t end = (uintptr_t)(ft->pool + ft->unused) & ~(page - 1);

	/* Anonymous private pages read back as zeros, as calloc gave them. */
	if (end > start)
		madvise((void *)start, end - start, MADV_DONTNEED);
	ft->free = NULL;
	ft->unused = 0;
}

uint32_t flow_table_expire(struct flow_table *ft, uint64_t now)
{
	uint32_t n = expire_list(ft, &ft->waiting, now, &ft->st.timeouts) +
		     expire_list(ft, &ft->done, now, &ft->st.expired_done);

	if (!ft->count && ft->unused)
		pool_release(ft);
	return n;
}

uint32_t flow_table_count(const struct flow_table *ft)
{
	return ft->count;
}

const struct flow_stats *flow_table_stats(const struct flow_table *ft)
{
	return &ft->st;
}
