// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The kernel half of ja4sentinel: a TC ingress and an XDP program sharing
 * one parser and one flow logic, and a TC egress program that learns the
 * server's ISN from its SYN-ACK for handshake validation. They pass every packet; they only pick
 * out, for TCP to a listen port, the client's SYN and the segments that may
 * hold its ClientHello, and send those bytes (from the L3 header on) to
 * userspace through a ring buffer. Per-flow state in an LRU hash stops the
 * sending once the hello is covered, so the rest of a connection costs one
 * lookup. Every early exit and every lost event is counted in j4s_stats.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <xdp/xdp_helpers.h>
#include "abi.h"
#include "ja4sentinel.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile struct j4s_bpf_config j4s_cfg = {
	.max_bytes = J4S_REASM_MAX_BYTES,
	.max_segments = J4S_DEF_MAX_HELLO_SEGMENTS,
	.quic = 1,
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* set by userspace before load */
} j4s_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct j4s_stats);
} j4s_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 100000); /* core.max_tracked_flows */
	__type(key, struct j4s_flow_key);
	__type(value, struct j4s_flow);
} j4s_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);  /* port, host order */
	__type(value, __u8); /* 1 = listen port */
} j4s_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, J4S_MAX_LOCAL_IPS);
	__type(key, struct j4s_addr_key);
	__type(value, __u8);
} j4s_local SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, J4S_MAX_EXCLUDE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct j4s_lpm_key);
	__type(value, __u8);
} j4s_excl SEC(".maps");

/* Interfaces whose frames start at the IP header (no link-layer header):
 * ifindex -> 1. Filled by userspace for the interfaces it attaches to. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} j4s_l3dev SEC(".maps");

/* QUIC connections seen, by 4-tuple and DCID prefix: datagrams passed. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 100000); /* core.max_tracked_flows */
	__type(key, struct j4s_quic_key);
	__type(value, struct j4s_quic_conn);
} j4s_quic SEC(".maps");

/* The server's answers while QUIC Initials are held: client address,
 * server address and port (the client's port 0, as in j4s_quic) and the
 * first 8 bytes of the Source Connection ID of the server's Initial, the
 * ID the client's next packets name (quic_server_initial()); the value
 * counts the client packets passed for it. Only a client packet naming one
 * goes up as a proof (udp_verdict()), at most J4S_QUIC_MAX_PROOFS an
 * answer: a flood of made-up Handshake packets gets nothing, and a sender
 * that got one real answer gets no more than that. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct j4s_quic_key);
	__type(value, __u8);
} j4s_quic_answers SEC(".maps");

/* Fragmented datagrams of validated connections (on_fragment()). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct j4s_frag_key);
	__type(value, __u8);
} j4s_frags SEC(".maps");

/* Where an event is built before bpf_ringbuf_output sends its real length. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct j4s_event);
} j4s_scratch SEC(".maps");

/* The token buckets of unvalidated traffic (design.md §13), each one for
 * all CPUs so the rate is the configured one whatever the RSS spread. GCRA
 * form: tat is when the bucket is full again. Two, each of unval_rate and
 * unval_burst: TCP hellos and IP fragments in one, new QUIC connections in
 * the other. A QUIC client proves no address before its hello, so every
 * QUIC connection needs a token; sharing one bucket let a spoofed flood of
 * TCP hellos or fragments hold back every QUIC client, and one of Initials
 * every TCP client that cannot be validated (asymmetric routing). */
struct j4s_bucket {
	struct bpf_spin_lock lock;
	__u32 pad;
	__u64 tat;     /* bpf_ktime_get_ns() time */
	__u64 held_ns; /* QUIC's: when an Initial was last sent up held (udp_verdict()) */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, J4S_BUCKETS);
	__type(key, __u32);
	__type(value, struct j4s_bucket);
} j4s_bucket SEC(".maps");

#define COUNT(st, field)                                                                           \
	do {                                                                                       \
		if (st)                                                                            \
			st->field++;                                                               \
	} while (0)

/* XDP before 5.18 has no load helper: copy 8 bytes a step, then at most 7
 * single bytes. Native XDP sees no GRO: 2 KiB holds a standard-MTU frame;
 * larger ones (jumbo frames, generic XDP after GRO) are sent cut to 2 KiB,
 * and userspace treats them as a capture shorter than the wire. */
#define XDP_COPY_MAX 2048
#define XDP_COPY_STEPS(data, end, off, dst, len, max)                                              \
	({                                                                                         \
		__u64 i_;                                                                          \
		int ok_ = 1;                                                                       \
		for (i_ = 0; i_ + 8 <= (len) && i_ < (max); i_ += 8) {                             \
			__u8 *b_ = (data) + (off) + i_;                                            \
			if ((void *)(b_ + 8) > (end)) {                                            \
				ok_ = 0;                                                           \
				break;                                                             \
			}                                                                          \
			*(__u64 *)((dst) + i_) = *(__u64 *)b_;                                     \
		}                                                                                  \
		for (int j_ = 0; ok_ && j_ < 7 && i_ < (len) && i_ < (max); j_++, i_++) {          \
			__u8 *b_ = (data) + (off) + i_;                                            \
			if ((void *)(b_ + 1) > (end)) {                                            \
				ok_ = 0;                                                           \
				break;                                                             \
			}                                                                          \
			(dst)[i_] = *b_;                                                           \
		}                                                                                  \
		(ok_ && i_ == (len)) ? 0 : -1;                                                     \
	})

/* The event copy, into the per-CPU scratch event. A global function: the
 * verifier checks it once, on its own, instead of at every call site with
 * every caller state (5.10 refused the inlined copies as too large). Its
 * arguments can only be the context and scalars, so it finds the scratch
 * event itself. */
__noinline int j4s_xdp_copy(struct xdp_md *ctx, __u64 off, __u64 len)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct j4s_event *ev;
	__u32 zero = 0;

	if (off > 256 || len > XDP_COPY_MAX)
		return -1;
	/* The bounds just checked must be on the registers used below. */
	barrier_var(off);
	barrier_var(len);
	ev = bpf_map_lookup_elem(&j4s_scratch, &zero);
	if (!ev)
		return -1;
	return XDP_COPY_STEPS(data, end, off, ev->data, len, XDP_COPY_MAX);
}

/* The first payload bytes (at most 16) onto the stack, inline. */
static __always_inline int xdp_copy_head(struct xdp_md *ctx, __u32 off, __u8 *dst, __u64 len)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;

	if (off > 256 || len > 16)
		return -1;
	return XDP_COPY_STEPS(data, end, off, dst, len, 16);
}

/* Whether XDP copies by hand; resolved at load time (CO-RE, rodata), so
 * only one path is verified. */
static __always_inline bool xdp_by_hand(void)
{
	return j4s_cfg.xdp_copy ||
	       !bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_xdp_load_bytes);
}

/* Read len packet bytes at off: into dst (at most 16 bytes) when head,
 * else into the scratch event's data, which is dst (len <= J4S_SNAP_MAX). */

static __always_inline int read_bytes(void *ctx, bool xdp, __u32 off, void *dst, __u64 len,
				      bool head)
{
	if (!xdp)
		return bpf_skb_load_bytes(ctx, off, dst, len);
	if (!xdp_by_hand())
		return bpf_xdp_load_bytes(ctx, off, dst, len);
	if (head)
		return xdp_copy_head(ctx, off, dst, len);
	return j4s_xdp_copy(ctx, off, len);
}

/* Build the event of len frame bytes from l3_off and send it. */
static __always_inline int emit_event(void *ctx, bool xdp, __u32 l3_off, __u64 len, __u32 kind,
				      __u32 origlen)
{
	__u32 zero = 0;
	struct j4s_event *ev = bpf_map_lookup_elem(&j4s_scratch, &zero);
	struct j4s_stats *st = bpf_map_lookup_elem(&j4s_stats, &zero);

	if (!ev)
		return -1;
	if (len > J4S_SNAP_MAX)
		len = J4S_SNAP_MAX;
	if (xdp && xdp_by_hand() && len > XDP_COPY_MAX)
		len = XDP_COPY_MAX;
	barrier_var(len); /* the verifier must see the clamped value used below */
	if (len < 20 || len > J4S_SNAP_MAX || read_bytes(ctx, xdp, l3_off, ev->data, len, false)) {
		COUNT(st, copy_errors);
		return -1;
	}
	ev->ts_ns = bpf_ktime_get_ns();
	ev->ifindex = xdp ? ((struct xdp_md *)ctx)->ingress_ifindex
			  : ((struct __sk_buff *)ctx)->ifindex;
	ev->caplen = (__u32)len;
	ev->origlen = origlen;
	ev->kind = (__u16)kind;
	ev->pad = 0;
	if (bpf_ringbuf_output(&j4s_events, ev, J4S_EVENT_HDR_SIZE + len, 0)) {
		COUNT(st, ringbuf_full);
		return -1;
	}
	if (kind == J4S_EV_SYN)
		COUNT(st, syn_events);
	else if (kind == J4S_EV_PAYLOAD)
		COUNT(st, payload_events);
	else if (kind == J4S_EV_SYNACK)
		COUNT(st, synack_events);
	else if (kind == J4S_EV_UDP)
		COUNT(st, quic_events);
	else if (kind == J4S_EV_UDP_HELD)
		COUNT(st, quic_held);
	else if (kind == J4S_EV_QUIC_SERVER)
		COUNT(st, quic_server_initials);
	else if (kind == J4S_EV_QUIC_PROOF)
		COUNT(st, quic_handshakes);
	else if (kind == J4S_EV_FRAGMENT)
		COUNT(st, fragment_events);
	else
		COUNT(st, end_events);
	return 0;
}

/* The TC programs' events through a global function: the verifier checks
 * it once instead of at each of emit()'s call sites on every path that
 * reaches them, which took j4s_tc past 5.10's and 6.1's million
 * instructions. Not for XDP: a global function with the context argument
 * is refused in an freplace program (libxdp's dispatcher) on some kernels. */
__noinline int j4s_emit_skb(struct __sk_buff *skb, __u32 l3_off, __u32 len, __u32 kind,
			    __u32 origlen)
{
	return emit_event(skb, false, l3_off, len, kind, origlen);
}

/* Send the frame's bytes from the L3 header on: headers only, or up to the
 * payload too. */
static __always_inline void emit(void *ctx, bool xdp, struct pkt *p, __u32 frame_len, __u16 kind,
				 bool with_payload)
{
	__u64 len = (__u64)(with_payload ? frame_len : p->payload_off) - p->l3_off;

	if (xdp)
		emit_event(ctx, true, p->l3_off, len, kind, p->l3_len);
	else
		j4s_emit_skb(ctx, p->l3_off, (__u32)len, kind, p->l3_len);
}

/* IPv4 addresses as ::ffff:a.b.c.d, so one map serves both families. */
static __always_inline void mapped(const __u8 *addr, __u8 family, __u8 out[16])
{
	if (family == 6) {
		__builtin_memcpy(out, addr, 16);
		return;
	}
	__builtin_memset(out, 0, 10);
	out[10] = 0xff;
	out[11] = 0xff;
	__builtin_memcpy(out + 12, addr, 4);
}

/* Local destination, not an excluded source. */
static __always_inline bool addr_wanted(struct pkt *p, struct j4s_stats *st)
{
	if (j4s_cfg.filter_local) {
		struct j4s_addr_key a;

		mapped(p->key.daddr, p->key.family, a.addr);
		if (!bpf_map_lookup_elem(&j4s_local, &a)) {
			COUNT(st, not_local);
			return false;
		}
	}
	if (j4s_cfg.filter_exclude) {
		struct j4s_lpm_key k = { .prefixlen = 128 };

		mapped(p->key.saddr, p->key.family, k.addr);
		if (bpf_map_lookup_elem(&j4s_excl, &k)) {
			COUNT(st, excluded);
			return false;
		}
	}
	return true;
}

/* Listen port, local destination, not an excluded source. */
static __always_inline bool wanted(struct pkt *p, struct j4s_stats *st)
{
	__u32 port = bpf_ntohs(p->key.dport);
	__u8 *on = bpf_map_lookup_elem(&j4s_ports, &port);

	if (!on || !*on) {
		COUNT(st, other_port);
		return false;
	}
	return addr_wanted(p, st);
}

/* The record and handshake headers: the first bytes of a hello. */
#define HELLO_HDRS (J4S_TLS_RECORD_HDR + J4S_TLS_HS_HDR)

/* From the first payload bytes: how many stream bytes the hello needs,
 * 0 if this is not a TLS handshake record (the flow ends here). */
static __always_inline __u32 hello_need(const __u8 *h, __u32 have)
{
	__u32 rlen, body;

	/* Judge only the bytes this segment has: a hello may be cut anywhere,
	 * its record header included. Unknown length: the byte cap. */
	if (h[0] != J4S_TLS_HANDSHAKE || (have >= 2 && h[1] != J4S_TLS_MAJOR) ||
	    (have > J4S_TLS_RECORD_HDR && h[J4S_TLS_RECORD_HDR] != J4S_TLS_CLIENT_HELLO))
		return 0;
	if (have < HELLO_HDRS)
		return j4s_cfg.max_bytes;
	rlen = (__u32)h[3] << 8 | h[4];
	body = (__u32)h[6] << 16 | (__u32)h[7] << 8 | h[8];
	if (J4S_TLS_HS_HDR + body <= rlen)
		return J4S_TLS_RECORD_HDR + rlen;
	/* Split over several records: each may carry a byte (servers join
	 * handshake messages across records), 5 header bytes apiece, so the
	 * stream is bounded only by the byte cap. Rare in real clients. */
	return j4s_cfg.max_bytes;
}

static __always_inline bool looks_like_hello(const __u8 *h, __u32 have)
{
	return J4S_TLS_LOOKS_LIKE_HELLO(h, have);
}

/* One unvalidated hello may pass: take a token of bucket `which`. */
static __always_inline bool bucket_take(__u32 which)
{
	__u64 now = bpf_ktime_get_ns(), interval, t;
	struct j4s_bucket *b;
	bool ok;

	if (!j4s_cfg.unval_rate)
		return true;
	b = bpf_map_lookup_elem(&j4s_bucket, &which);
	if (!b)
		return false;
	interval = 1000000000ULL / j4s_cfg.unval_rate;
	bpf_spin_lock(&b->lock);
	t = b->tat > now ? b->tat : now;
	ok = t - now + interval <= (__u64)j4s_cfg.unval_burst * interval;
	if (ok)
		b->tat = t + interval;
	bpf_spin_unlock(&b->lock);
	return ok;
}

/*
 * Judge a flow at its first hello segment: a client that acknowledges the
 * server's ISN + 1 got the SYN-ACK, so it owns its address; any other is
 * let through only while the token bucket has tokens (design.md §13).
 * Returns false when the flow's payload is held back.
 */
static __always_inline bool admitted(struct j4s_flow *f, struct pkt *p, struct j4s_stats *st)
{
	if (f->hs >= J4S_HS_VALIDATED)
		return true;
	if (f->hs == J4S_HS_SYNACK && (p->flags & TCP_ACK) && p->ack == f->server_isn + 1) {
		f->hs = J4S_HS_VALIDATED;
		COUNT(st, validated);
		return true;
	}
	if (bucket_take(J4S_BUCKET_TCP)) {
		f->hs = J4S_HS_UNVALIDATED;
		COUNT(st, unvalidated);
		return true;
	}
	COUNT(st, unvalidated_limited);
	return false;
}

/* What the server's receive path finds in a segment's TCP options. */
struct tcp_opts {
	__u32 tsval;
	__u8 ts;  /* a timestamp option (kind 8, length 10): tcp_parse_options() */
	__u8 md5; /* an MD5 signature option (kind 19, length 18) */
};

/*
 * Walk n option bytes, copied to the scratch event's data, as Linux does
 * (userspace's packet_tcp_tsval() and packet_tcp_md5() say how, and why
 * it matters): both walks stop at EOL and at a bad length; the MD5 one
 * also once fewer than 18 bytes are left, and at its first kind 19.
 * Returns bit 0: a timestamp, bit 1: an MD5 signature, bits 32-63: the
 * TSval. A global function, so the verifier checks its loop once rather
 * than at every call site; it reads a map value, which verifiers before
 * 5.12 let a variable index read (the stack they do not).
 */
/* The walk's state, in the scratch event past the copied options. */
struct opts_walk {
	__u32 next; /* offset of the next option */
	__u32 md5_done;
	__u64 r; /* the result */
};

__noinline __u64 j4s_opts_walk(__u32 n)
{
	__u32 zero = 0;
	struct j4s_event *ev = bpf_map_lookup_elem(&j4s_scratch, &zero);
	volatile struct opts_walk *w; /* volatile: read back from memory each pass */

	if (!ev || n > 40)
		return 0;
	/* Byte by byte, i exact, with the walk's state in memory, not in
	 * registers: the verifier reads it back as any value, so each pass
	 * reaches its end in one state whatever the options before it were.
	 * Kept in registers, it followed every layout of options and gave up
	 * (over a million instructions). */
	w = (volatile struct opts_walk *)(ev->data + 64);
	w->next = 0;
	w->md5_done = 0;
	w->r = 0;
	for (__u32 i = 0; i < 40; i++) {
		__u32 kind, len, left;

		if (i >= n)
			break;
		if (i != w->next)
			continue;
		left = n - i;
		kind = ev->data[i];
		if (kind == 0)
			break;
		if (kind == 1) {
			w->next = i + 1;
			continue;
		}
		if (left < 2)
			break;
		len = ev->data[i + 1];
		if (len < 2 || len > left)
			break;
		if (kind == 19 && !w->md5_done && left >= 18) {
			if (len == 18)
				w->r |= 2;
			w->md5_done = 1;
		} else if (kind == 8 && len == 10 && i <= 30) {
			w->r = (w->r & 2) | 1 |
			       (__u64)((__u32)ev->data[i + 2] << 24 | (__u32)ev->data[i + 3] << 16 |
				       (__u32)ev->data[i + 4] << 8 | ev->data[i + 5])
				       << 32;
		}
		w->next = i + len;
	}
	return w->r;
}

/* The segment's options, read into the scratch event (before emit() fills
 * it) and walked. Fewer than 10 bytes hold neither option. Returns -1
 * when the bytes cannot be read. */
static __always_inline int scan_opts(void *ctx, bool xdp, const struct pkt *p, struct tcp_opts *o)
{
	__u32 zero = 0;
	__u64 n = p->opt_len, r;
	struct j4s_event *ev;

	o->ts = o->md5 = 0;
	if (n < 10 || n > 40)
		return 0;
	/* Verifiers before 5.13 learn no lower bound from the test above:
	 * derive the size as ((n - 1) & 63) + 1, provably 1..64 and equal. */
	n = ((n - 1) & 63) + 1;
	barrier_var(n);
	ev = bpf_map_lookup_elem(&j4s_scratch, &zero);
	if (!ev || read_bytes(ctx, xdp, p->payload_off - (__u32)n, ev->data, n, false))
		return -1;
	r = j4s_opts_walk((__u32)n);
	o->ts = r & 1;
	o->md5 = (r >> 1) & 1;
	o->tsval = (__u32)(r >> 32);
	return 0;
}

#define J4S_TS_BOTH (J4S_FL_TS_SYN | J4S_FL_TS_OK)

/*
 * A segment its server's TCP drops whatever it carries (userspace's
 * server_drops() says which Linux code drops it and why it matters): an
 * MD5 signature option; a timestamp older than ts_recent by more than 1
 * (PAWS); an RST not at the next byte (RFC 5961); no ACK flag; an ACK of
 * data the server never sent (past snd_nxt: its ISN + 1 until j4s_tc_egress
 * sees it send more, which a TLS server does only once it has read the
 * hello). Not sent up, and it moves nothing: a fake hello in one
 * must not become the flow's bytes here. f is NULL for a segment of no
 * tracked flow.
 */
#define SEG_DROP     1
#define SEG_DROP_ACK 2 /* for its ACK alone: a spoofed hello's segment */
static __always_inline int refused(const struct j4s_flow *f, const struct pkt *p,
				   const struct tcp_opts *o, struct j4s_stats *st)
{
	if (o->md5)
		return SEG_DROP;
	if (f && (f->bits & J4S_TS_BOTH) == J4S_TS_BOTH && o->ts && f->ts_recent &&
	    (__s32)(f->ts_recent - o->tsval) > 1) {
		COUNT(st, paws_refused);
		return SEG_DROP;
	}
	if (p->flags & TCP_RST)
		return f && p->seq != f->next ? SEG_DROP : 0;
	if (!(p->flags & TCP_ACK) ||
	    (f && (f->bits & J4S_FL_ISN_KNOWN) && (__s32)(p->ack - f->snd_nxt) > 0))
		return SEG_DROP_ACK;
	return 0;
}

/*
 * A hello segment its server drops for its ACK alone, what a blind spoofer
 * sends: design.md §13 wants its hello fingerprinted and flagged, so it
 * goes up for userspace (ack_stream() there), but moves nothing here, so
 * it never stands for the real hello. One token of the unvalidated bucket
 * a flow (none left: none of them goes up), at most max_segments of them
 * (255 at most), and never the end of the flow.
 */
static __always_inline void spoofed_segment(void *ctx, bool xdp, struct pkt *p, __u32 frame_len,
					    struct j4s_flow *f, struct j4s_stats *st)
{
	if (!p->payload_len || (f->bits & J4S_FL_BAD_HELD) || f->bad_segs >= 255 ||
	    f->bad_segs >= j4s_cfg.max_segments) {
		COUNT(st, refused);
		return;
	}
	if (!(f->bits & J4S_FL_BAD_JUDGED)) {
		f->bits |= J4S_FL_BAD_JUDGED;
		if (!bucket_take(J4S_BUCKET_TCP)) {
			f->bits |= J4S_FL_BAD_HELD;
			COUNT(st, unvalidated_limited);
			return;
		}
		COUNT(st, unvalidated);
	}
	f->bad_segs++;
	COUNT(st, spoofed_events);
	emit(ctx, xdp, p, frame_len, J4S_EV_PAYLOAD, true);
}

/* ts_recent as the receiver keeps it (userspace's ts_follow()). */
static __always_inline void ts_follow(struct j4s_flow *f, const struct pkt *p,
				      const struct tcp_opts *o)
{
	if ((f->bits & J4S_TS_BOTH) == J4S_TS_BOTH && o->ts && (__s32)(p->seq - f->next) <= 0 &&
	    (__s32)(o->tsval - f->ts_recent) >= 0)
		f->ts_recent = o->tsval;
}

static __always_inline void flow_done(struct j4s_flow *f, struct j4s_stats *st)
{
	f->state = J4S_FLOW_DONE;
	COUNT(st, flows_done);
}

/*
 * An urgent pointer the server takes that moves a byte none sent up so
 * far moved: at or after the next byte, and later than the latest pointer
 * sent up (tcp_check_urg() ignores one before rcv_nxt and one not after
 * the pending one). A segment with one goes up past the segment caps,
 * or a client could send max_segments of them and then the pointer that
 * takes a byte out of its hello, which the server's reader skips and
 * the record would keep (pcap and --read see every pointer). One event a
 * packet, and the pointer only grows: past the byte cap it counts once.
 */
static __always_inline __u32 urgent_ptr(const struct j4s_flow *f, const struct pkt *p)
{
	__u32 ptr = p->seq + (p->urg_ptr ? p->urg_ptr - 1 : 0);

	if ((__s32)(ptr - f->base) > (__s32)j4s_cfg.max_bytes)
		ptr = f->base + j4s_cfg.max_bytes + 1;
	return ptr;
}

/* A pointer the server takes (userspace's urgent_pointer()): of a segment
 * that does not end before the next byte (tcp_sequence() drops it first)
 * nor start beyond the window, at or after the next byte. */
static __always_inline bool urgent_taken(const struct j4s_flow *f, const struct pkt *p, __u32 ptr)
{
	return (p->flags & TCP_URG) && (__s32)(p->seq + p->payload_len - f->next) >= 0 &&
	       (__s32)(p->seq - f->next) <= 0xffff && (__s32)(ptr - f->next) >= 0;
}

static __always_inline bool urgent_news(const struct j4s_flow *f, const struct pkt *p)
{
	__u32 ptr = urgent_ptr(f, p);

	if (!urgent_taken(f, p, ptr))
		return false;
	return !(f->bits & J4S_FL_URG) || (__s32)(ptr - f->urg_hi) > 0;
}

/* A segment with an urgent pointer the server takes went up: remember the
 * latest (one it drops must not hide a later real one). urgent_news()'s
 * test written out: calling it costs the verifier ~2,000 instructions
 * more (urgent_ptr() twice). */
static __always_inline void urgent_sent(struct j4s_flow *f, const struct pkt *p)
{
	__u32 ptr = urgent_ptr(f, p);

	if (urgent_taken(f, p, ptr) && (!(f->bits & J4S_FL_URG) || (__s32)(ptr - f->urg_hi) > 0)) {
		f->urg_hi = ptr;
		f->bits |= J4S_FL_URG;
	}
}

/* A payload segment of a waiting flow: send it while the hello is not covered. */
static __always_inline void on_payload(void *ctx, bool xdp, struct pkt *p, __u32 frame_len,
				       struct j4s_flow *f, const __u8 *head, __u32 have,
				       struct j4s_stats *st)
{
	__s32 off = (__s32)(p->seq - f->base);
	bool urgent_only = false;
	__u32 end;

	/* Entirely before the stream start we track: nothing for the hello,
	 * but an urgent pointer the server takes (one that ends right at it).
	 * One that starts earlier but reaches past it goes up: the receiver
	 * delivers its bytes from the start on (tcp_data_queue). */
	if (off < 0 && (__s32)(p->seq + p->payload_len - f->base) <= 0 && !urgent_news(f, p)) {
		COUNT(st, after_done);
		return;
	}
	/* An urgent byte (URG) is taken out of the stream the server reads, so
	 * every offset after it moves and record headers seen here no longer
	 * say where the hello ends (nor, at its start, that it is TLS): the
	 * flow goes up to the byte cap and userspace removes the byte
	 * (docs/reliability.md, "TCP urgent data"). */
	if (p->flags & TCP_URG)
		f->need = j4s_cfg.max_bytes;
	/* The hello's length from the segment that brings the stream's first
	 * bytes, not from a later copy of them: the receiver keeps the first
	 * (a copy with a short record header made the flow done before the
	 * hello's end, which then never went up). */
	if (off == 0 && !f->need && f->next == f->base) {
		f->need = hello_need(head, have);
		if (!f->need) {
			/* Not TLS: userspace sees this one segment and counts it. */
			emit(ctx, xdp, p, frame_len, J4S_EV_PAYLOAD, true);
			f->state = J4S_FLOW_DONE;
			COUNT(st, not_tls);
			return;
		}
		if (f->need > j4s_cfg.max_bytes)
			f->need = j4s_cfg.max_bytes;
	}
	/* Data after the hello, or, while the stream's first bytes are
	 * missing, beyond any hello: not needed. The flow is done only once
	 * the hello's bytes are all in (which ends it below): data after it
	 * may overtake the hello's last segment (TLS 1.3 early data, or a
	 * client sending a byte past its hello to end the flow before its
	 * server has read the hello). */
	if (off >= 0 && (__u32)off >= (f->need ? f->need : j4s_cfg.max_bytes)) {
		/* But for an urgent pointer the server takes: a later one
		 * replaces a pending one, whose byte then stays in the stream
		 * (userspace's urgent_pointer()). Headers only. */
		if (urgent_news(f, p)) {
			COUNT(st, urgent_past_cap);
			emit(ctx, xdp, p, frame_len, J4S_EV_PAYLOAD, false);
			urgent_sent(f, p);
		}
		return;
	}
	/* A hello dribbled in order, even a byte a segment, is bounded by need;
	 * segments that bring no byte beyond the highest seen (retransmits,
	 * gap fills, pieces sent backwards) by the segment cap. */
	end = p->seq + p->payload_len;
	if ((__s32)(end - f->hi) <= 0) {
		if (f->segments < j4s_cfg.max_segments) {
			f->segments++;
		} else if ((__s32)(end - f->next) <= 0) {
			/* Past the cap, a copy of bytes the server holds in
			 * order changes nothing it reads: not sent up, and the
			 * flow goes on (userspace's reasm_add()). */
			if (!urgent_news(f, p)) {
				COUNT(st, retransmits_skipped);
				return;
			}
			urgent_only = true;
		} else if ((__s32)(p->seq - f->next) > 0 && !bucket_take(J4S_BUCKET_TCP)) {
			/* One ahead of the next byte: userspace takes it when it
			 * extends a held segment, which cannot be told here, so
			 * it goes up for a token of the unvalidated bucket. A
			 * flood of them costs no more than the bucket; the flow
			 * is never ended for them. One that fills from the next
			 * byte always goes up. */
			if (!urgent_news(f, p)) {
				COUNT(st, segment_cap);
				return;
			}
			urgent_only = true;
		}
	} else {
		f->hi = end;
	}
	/* Held back but for a later urgent pointer (urgent_news()): its
	 * headers alone go up, the pointer being all that counts, so each
	 * such packet costs the ring a header, not a segment. */
	if (urgent_only)
		COUNT(st, urgent_past_cap);
	emit(ctx, xdp, p, frame_len, J4S_EV_PAYLOAD, !urgent_only);
	urgent_sent(f, p);
	if (!urgent_only && (__s32)(p->seq - f->next) <= 0 && (__s32)(end - f->next) > 0)
		f->next = end;
	if (f->need && f->next - f->base >= f->need)
		flow_done(f, st);
}

/*
 * The checks every segment of a tracked flow goes through before its
 * payload: refused ones (refused()) are dropped, the others move ts_recent;
 * one without payload is handled here. Returns true when the segment is
 * dealt with. Options are read only for a tracked flow or a hello start
 * (on_tcp()), not for the bulk of a busy port.
 */
static __always_inline bool flow_segment(void *ctx, bool xdp, struct pkt *p, __u32 frame_len,
					 struct j4s_flow *f, struct j4s_stats *st)
{
	struct tcp_opts o;

	if (scan_opts(ctx, xdp, p, &o)) {
		COUNT(st, copy_errors);
		return true;
	}
	switch (refused(f, p, &o, st)) {
	case SEG_DROP:
		COUNT(st, refused);
		return true;
	case SEG_DROP_ACK:
		spoofed_segment(ctx, xdp, p, frame_len, f, st);
		return true;
	}
	ts_follow(f, p, &o);
	if (p->payload_len)
		return false;
	if ((p->flags & (TCP_FIN | TCP_RST)) && ((p->flags & TCP_RST) || p->seq == f->next)) {
		/* An RST at the next byte (refused() took the others), or a
		 * FIN there: the stream ends before its hello. */
		emit(ctx, xdp, p, frame_len, J4S_EV_END, false);
		bpf_map_delete_elem(&j4s_flows, &p->key);
	} else if (p->flags & TCP_FIN) {
		/* A FIN ahead of bytes still missing: the receiver queues it
		 * and takes the bytes before it, so the flow stays; userspace
		 * learns where the stream ends. Counted with the segments that
		 * bring nothing new. */
		if (f->segments >= j4s_cfg.max_segments) {
			COUNT(st, segment_cap);
			return true;
		}
		f->segments++;
		COUNT(st, fin_ahead);
		emit(ctx, xdp, p, frame_len, J4S_EV_END, false);
	} else if (p->flags & TCP_URG) {
		/* An urgent pointer without data names a byte to come:
		 * userspace needs it, and the flow goes up to the byte cap
		 * (on_payload()). Bounded by a cap of its own: past it none
		 * goes up, but neither the flow nor its hello's segment cap is
		 * touched, or a client could end the flow with bare URG ACKs
		 * before its hello and hide the hello in tc/xdp while pcap and
		 * --read record it. Past it, one that moves the pointer
		 * (urgent_news()) still goes up. */
		f->need = j4s_cfg.max_bytes;
		if (f->urg_acks < j4s_cfg.max_segments) {
			f->urg_acks++;
		} else if (urgent_news(f, p)) {
			COUNT(st, urgent_past_cap);
		} else {
			COUNT(st, bare_acks);
			return true;
		}
		urgent_sent(f, p);
		emit(ctx, xdp, p, frame_len, J4S_EV_PAYLOAD, false);
	} else {
		COUNT(st, bare_acks);
	}
	return true;
}

static __always_inline void on_tcp(void *ctx, bool xdp, struct pkt *p, __u32 frame_len,
				   struct j4s_stats *st)
{
	struct j4s_flow *f, fresh = {};
	struct tcp_opts o;
	__u8 head[16] = {};
	__u64 have;

	if ((p->flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
		/* Its retransmit changes nothing; another ISN on a flow waiting
		 * after its SYN-ACK starts no connection at the server and
		 * must not reset the flow (userspace's syn_is_retransmit()). */
		f = bpf_map_lookup_elem(&j4s_flows, &p->key);
		if (f && f->base == p->seq + 1) { /* done flows too, as userspace */
			COUNT(st, syn_retransmits);
			return;
		}
		if (f && f->state == J4S_FLOW_WAIT && (f->bits & J4S_FL_ISN_KNOWN)) {
			/* The flow stays, but the SYN goes up: userspace
			 * judges it by its own flow, which may have its hello
			 * already (the hello's end is not always known here),
			 * and then starts the new connection on it, with this
			 * SYN's metadata. */
			COUNT(st, syn_ignored);
			emit(ctx, xdp, p, frame_len, J4S_EV_SYN, p->payload_len > 0);
			return;
		}
		fresh.base = fresh.next = fresh.hi = p->seq + 1;
		fresh.state = J4S_FLOW_WAIT;
		fresh.bits = J4S_FL_SYN | (p->payload_len ? J4S_FL_SYN_DATA : 0);
		if (!scan_opts(ctx, xdp, p, &o) && o.ts) {
			fresh.bits |= J4S_FL_TS_SYN;
			fresh.ts_recent = o.tsval;
		}
		if (bpf_map_update_elem(&j4s_flows, &p->key, &fresh, BPF_ANY))
			COUNT(st, flow_update_errors);
		else
			COUNT(st, flows_created);
		emit(ctx, xdp, p, frame_len, J4S_EV_SYN, p->payload_len > 0);
		return;
	}
	f = bpf_map_lookup_elem(&j4s_flows, &p->key);
	if (f && f->state == J4S_FLOW_DONE) {
		COUNT(st, after_done);
		return;
	}
	if (!f) {
		if (!p->payload_len) { /* no flow to end or to move */
			COUNT(st, bare_acks);
			return;
		}
	} else if (flow_segment(ctx, xdp, p, frame_len, f, st)) {
		return;
	}
	have = p->payload_len < HELLO_HDRS ? p->payload_len : HELLO_HDRS; /* >= 1: checked above */
	/* Verifiers before 5.13 learn no lower bound from "!= 0": derive the
	 * size as ((have - 1) & 15) + 1, provably 1..16 and equal to have. */
	have = ((have - 1) & 15) + 1;
	if (read_bytes(ctx, xdp, p->payload_off, head, have, true)) {
		COUNT(st, copy_errors);
		return;
	}
	if (!f) {
		if (!looks_like_hello(head, have)) {
			COUNT(st, no_flow);
			return;
		}
		if (scan_opts(ctx, xdp, p, &o)) {
			COUNT(st, copy_errors);
			return;
		}
		if (refused(NULL, p, &o, st)) { /* no flow to hold a spoofed stream */
			COUNT(st, refused);
			return;
		}
		fresh.base = fresh.next = fresh.hi = p->seq;
		fresh.state = J4S_FLOW_WAIT;
		/* No SYN-ACK seen: unvalidated. Held back, it is not tracked
		 * either, so a spoofed flood of these costs no flow entries. */
		if (!admitted(&fresh, p, st))
			return;
		on_payload(ctx, xdp, p, frame_len, &fresh, head, have, st);
		if (bpf_map_update_elem(&j4s_flows, &p->key, &fresh, BPF_ANY))
			COUNT(st, flow_update_errors);
		else
			COUNT(st, flows_picked_up);
		return;
	}
	if (!admitted(f, p, st)) {
		f->state = J4S_FLOW_DONE; /* the rest of it costs a lookup */
		return;
	}
	on_payload(ctx, xdp, p, frame_len, f, head, have, st);
}

/* Whether the ring is less than 1/part full. What goes up on no proof
 * and no token (later fragments, held Initials) stops at a quarter, and
 * leaves the rest of the ring to everything else; what proves a held
 * client's address (the server's Initials, the clients' Handshake
 * packets: small) at a half, so a flood that keeps the ring a quarter
 * full does not take the proofs down with it. */
static __always_inline bool ring_has_room(__u32 part)
{
	return bpf_ringbuf_query(&j4s_events, BPF_RB_AVAIL_DATA) <
	       bpf_ringbuf_query(&j4s_events, BPF_RB_RING_SIZE) / part;
}

/* Past J4S_QUIC_HELD_WINDOW_NS since the last held Initial, the server's
 * Initials (egress) and the clients' Handshake packets no longer go up:
 * the largest flow timeout (userspace keeps held Initials no longer). */
#define J4S_QUIC_HELD_WINDOW_NS (300ULL * 1000000000ULL)

/* Whether Initials were held (udp_verdict()) within J4S_QUIC_HELD_WINDOW_NS;
 * mark: they are being held now. */
static __always_inline bool quic_holding(bool mark)
{
	__u32 which = J4S_BUCKET_QUIC;
	struct j4s_bucket *b = bpf_map_lookup_elem(&j4s_bucket, &which);
	__u64 now;

	if (!b)
		return false;
	now = bpf_ktime_get_ns();
	if (mark)
		b->held_ns = now;
	/* signed: another CPU may have stored a later time since now */
	return b->held_ns && (__s64)(now - b->held_ns) <= (__s64)J4S_QUIC_HELD_WINDOW_NS;
}

/*
 * What on_udp() does with a datagram to a listen port: its event kind, or
 * 0 to drop it. Passed: a client Initial (long header, Initial type of its
 * version, a DCID of at most 20 bytes) in a datagram of
 * J4S_QUIC_MIN_DATAGRAM bytes at least (servers drop smaller ones) while
 * its connection has passed fewer than J4S_QUIC_MAX_DATAGRAMS. A new
 * connection takes a token of the QUIC bucket: QUIC clients prove no
 * address before their hello, so a spoofed flood of Initials costs
 * userspace (which decrypts each) at most that rate. So does a datagram
 * past the cap: nothing here authenticates an Initial, so a client could
 * spend its connection's cap on junk that its server drops before sending
 * its hello; with no bucket (rate 0) the cap is final.
 *
 * Held (J4S_EV_UDP_HELD), while the ring is under a quarter full: a new
 * connection's Initial the bucket had no token for, for userspace to keep
 * undecrypted. A spoofed flood of Initials empties the bucket, and a real
 * client behind it would go unrecorded while its server reads its hello;
 * but a real client answers its server's first Initial with packets to the
 * connection ID the server chose, which a blind sender never sees. So
 * while Initials are being held, the egress program sends the server's
 * Initials up and stores their IDs (quic_server_initial()), and this the
 * client packets that name a stored ID (J4S_EV_QUIC_PROOF: an Initial
 * whole, a Handshake packet its header; stacks that drop the Initial keys
 * send no Initial then), J4S_QUIC_MAX_PROOFS an ID: userspace reads a kept
 * connection once its client names the server's ID. No j4s_quic entry for
 * either: the key would need the token.
 */
static __always_inline __u16 udp_verdict(void *ctx, bool xdp, struct pkt *p, __u32 *frame_len,
					 struct j4s_stats *st)
{
	struct j4s_quic_key k = {};
	struct j4s_quic_conn *qc, fresh = { .datagrams = 1 };
	__u8 head[16] = {}, *proofs = NULL;
	bool small = p->payload_len < J4S_QUIC_MIN_DATAGRAM, holding = false;
	__u32 version;
	__u64 dcid;
	__u8 type, dlen;

	/* first byte, version, DCID length, 8 DCID bytes, 2 more: 16 bytes
	 * are two 8-byte steps of the by-hand XDP copy, no byte loop (fewer
	 * verifier states) */
	/* Only a Handshake packet may be smaller than an Initial's datagram,
	 * and only while Initials are held: 1-RTT traffic costs no read. */
	if (small && !(holding = quic_holding(false)))
		goto not_initial;
	if (p->payload_len < 16 || read_bytes(ctx, xdp, p->payload_off, head, 16, true))
		goto not_initial;
	version = (__u32)head[1] << 24 | (__u32)head[2] << 16 | (__u32)head[3] << 8 | head[4];
	type = (head[0] >> 4) & 3;
	dlen = head[5];
	if (!(head[0] & 0x80) || dlen > 20 ||
	    !(version == J4S_QUIC_V1 || version == J4S_QUIC_DRAFT29 || version == J4S_QUIC_V2))
		goto not_initial;
	k.flow = p->key;
	/* Not the client's port: servers route Initials by DCID, so one from
	 * another port of the client (NAT rebinding, or on purpose) goes on
	 * with its connection, here within its datagrams as in userspace
	 * (quic.c conn_find), not as a new key that needs a token: a client
	 * could empty the bucket between its two Initials and hide the
	 * second from the sensor while its server reads it. */
	k.flow.sport = 0;
	k.dcid_len = dlen;
	/* The DCID's first bytes, zero past its length: one mask, not a
	 * branch a byte (verifier states). Little-endian: byte i is bits 8i. */
	__builtin_memcpy(&dcid, head + 6, 8);
	if (dlen < J4S_QUIC_CID_KEY)
		dcid &= (1ULL << (dlen * 8)) - 1;
	__builtin_memcpy(k.dcid, &dcid, 8);
	/* A packet to a server ID of j4s_quic_answers: the proof of a held
	 * client's address (an Initial that acknowledges the server's, or a
	 * Handshake packet: a client that has the server's Handshake keys
	 * may drop its Initial keys and send only that). An Initial whole (it
	 * may bring hello bytes the client sends again), anything else its
	 * headers. */
	/* One bucket lookup a datagram at most: a small one's above, a
	 * large long-header one's here, none for large 1-RTT traffic. */
	if (!small)
		holding = quic_holding(false);
	if (holding)
		proofs = bpf_map_lookup_elem(&j4s_quic_answers, &k);
	if (proofs) {
		if (*proofs >= J4S_QUIC_MAX_PROOFS || !ring_has_room(2)) {
			COUNT(st, quic_proofs_dropped);
			return 0;
		}
		(*proofs)++;
		if (type != ((version == J4S_QUIC_V2) ? 1 : 0) &&
		    *frame_len > p->payload_off + J4S_QUIC_SERVER_SNAP) {
			*frame_len = p->payload_off + J4S_QUIC_SERVER_SNAP;
			p->l3_len = *frame_len - p->l3_off; /* nothing userspace reads is cut */
		}
		return J4S_EV_QUIC_PROOF;
	}
	if (p->payload_len < J4S_QUIC_MIN_DATAGRAM ||
	    !(((version == J4S_QUIC_V1 || version == J4S_QUIC_DRAFT29) && type == 0) ||
	      (version == J4S_QUIC_V2 && type == 1)))
		goto not_initial;
	qc = bpf_map_lookup_elem(&j4s_quic, &k);
	if (qc) {
		if (qc->datagrams >= J4S_QUIC_MAX_DATAGRAMS &&
		    (!j4s_cfg.unval_rate || !bucket_take(J4S_BUCKET_QUIC))) {
			COUNT(st, quic_capped);
			return 0;
		}
		if (qc->datagrams < J4S_QUIC_MAX_DATAGRAMS)
			qc->datagrams++;
		return J4S_EV_UDP;
	}
	if (!bucket_take(J4S_BUCKET_QUIC)) {
		COUNT(st, quic_limited);
		if (!ring_has_room(4))
			return 0;
		quic_holding(true);
		return J4S_EV_UDP_HELD;
	}
	if (bpf_map_update_elem(&j4s_quic, &k, &fresh, BPF_ANY)) {
		COUNT(st, quic_update_errors);
		return 0;
	}
	COUNT(st, quic_conns);
	return J4S_EV_UDP;
not_initial:
	COUNT(st, quic_not_initial);
	return 0;
}

/* A UDP datagram to a listen port (udp_verdict()): one emit() call site,
 * for XDP's inlined copy of it. */
static __always_inline void on_udp(void *ctx, bool xdp, struct pkt *p, __u32 frame_len,
				   struct j4s_stats *st)
{
	__u16 kind = udp_verdict(ctx, xdp, p, &frame_len, st);

	if (kind)
		emit(ctx, xdp, p, frame_len, kind, true);
}

/* TC: bytes of a frame's start parsed from a copy when its headers are not
 * all in the linear part: Ethernet, two tags, IPv6 with a few extension
 * headers and TCP with options. A power of two (see parse_copy). */
#define TC_HDR_COPY 256

/* Parse a frame whose linear part ends before its headers (drivers that
 * build skbs from page fragments leave little more than the Ethernet
 * header there) from a copy of its first bytes, in the scratch event that
 * emit() fills later. Not bpf_skb_pull_data: every packet of the interface
 * comes here, before the filter, and a pull makes the skb's head writable,
 * copying it when the skb is cloned (a packet socket is open), a cost the
 * host's own traffic should not pay. The offsets found are the frame's, and
 * the bytes beyond the headers are read with bpf_skb_load_bytes anyway. */
static __always_inline int parse_copy(struct __sk_buff *skb, struct pkt *p, bool l3_dev,
				      __u32 frame_len)
{
	__u64 n = frame_len < TC_HDR_COPY ? frame_len : TC_HDR_COPY;
	struct j4s_event *ev;
	struct cursor c;
	__u32 zero = 0;

	ev = bpf_map_lookup_elem(&j4s_scratch, &zero);
	if (!ev || !n)
		return PARSE_TRUNCATED;
	/* Verifiers before 5.13 learn no lower bound from "!= 0". */
	n = ((n - 1) & (TC_HDR_COPY - 1)) + 1;
	if (bpf_skb_load_bytes(skb, 0, ev->data, n))
		return PARSE_TRUNCATED;
	c.pos = c.start = ev->data;
	c.end = ev->data + n;
	__builtin_memset(p, 0, sizeof(*p));
	return parse_packet(&c, p, l3_dev);
}

/* Egress: a SYN-ACK from a listen port, local source, client not excluded
 * (wanted() with the two ends swapped). */
static __always_inline bool synack_wanted(struct pkt *p, struct j4s_stats *st)
{
	__u32 port = bpf_ntohs(p->key.sport);
	__u8 *on;

	if ((p->flags & (TCP_SYN | TCP_ACK | TCP_RST)) != (TCP_SYN | TCP_ACK)) {
		COUNT(st, bare_acks);
		return false;
	}
	on = bpf_map_lookup_elem(&j4s_ports, &port);
	if (!on || !*on) {
		COUNT(st, other_port);
		return false;
	}
	if (j4s_cfg.filter_local) {
		struct j4s_addr_key a;

		mapped(p->key.saddr, p->key.family, a.addr);
		if (!bpf_map_lookup_elem(&j4s_local, &a)) {
			COUNT(st, not_local);
			return false;
		}
	}
	if (j4s_cfg.filter_exclude) {
		struct j4s_lpm_key k = { .prefixlen = 128 };

		mapped(p->key.daddr, p->key.family, k.addr);
		if (bpf_map_lookup_elem(&j4s_excl, &k)) {
			COUNT(st, excluded);
			return false;
		}
	}
	return true;
}

/* The server's SYN-ACK: its ISN goes into the client's flow, and the
 * headers up, so userspace judges the hello the same way in every mode. */
static __always_inline void on_synack(void *ctx, struct pkt *p, __u32 frame_len,
				      struct j4s_stats *st)
{
	struct j4s_flow_key key = { .family = p->key.family };
	struct tcp_opts o;
	struct j4s_flow *f;

	__builtin_memcpy(key.saddr, p->key.daddr, 16);
	__builtin_memcpy(key.daddr, p->key.saddr, 16);
	key.sport = p->key.dport;
	key.dport = p->key.sport;
	f = bpf_map_lookup_elem(&j4s_flows, &key);
	if (!f) {
		COUNT(st, synack_no_flow);
		return;
	}
	/* The server answers another SYN of the 4-tuple than the one the
	 * flow follows (a Fast Open SYN's data acknowledged is the same SYN),
	 * or answers again with a new ISN (a client that reuses its ISN after
	 * an RST): it holds a new connection, the followed one is gone there.
	 * Its own word, so the flow starts over on it, done or not
	 * (userspace's flow_synack(): a SYN ignored or an RST refused here
	 * must not leave the flow on a dead connection, nor a done flow the
	 * next connection). No timestamp check after that: the SYN's was not
	 * kept. */
	if ((f->bits & J4S_FL_SYN) && (!J4S_ACKS_SYN(p->ack, f->base, f->bits & J4S_FL_SYN_DATA) ||
				       ((f->bits & J4S_FL_ISN_KNOWN) && p->seq != f->server_isn))) {
		f->state = J4S_FLOW_WAIT;
		f->base = f->next = f->hi = p->ack;
		f->need = 0;
		f->segments = 0;
		f->urg_acks = 0;
		f->bad_segs = 0;
		f->bits = J4S_FL_SYN;
		f->ts_recent = 0;
		f->hs = J4S_HS_NONE;
		COUNT(st, synack_restarted);
	}
	/* Only a flow still before its hello, and a SYN-ACK that answers
	 * its SYN (base is the client ISN + 1). */
	if (f->state != J4S_FLOW_WAIT || f->hs > J4S_HS_SYNACK ||
	    !J4S_ACKS_SYN(p->ack, f->base, f->bits & J4S_FL_SYN_DATA)) {
		COUNT(st, synack_no_flow);
		return;
	}
	/* A retransmitted SYN-ACK: the event went up with the first. */
	if (f->hs == J4S_HS_SYNACK && f->server_isn == p->seq)
		return;
	f->server_isn = p->seq;
	f->snd_nxt = p->seq + 1;
	f->bits |= J4S_FL_ISN_KNOWN;
	if (!scan_opts(ctx, false, p, &o) && o.ts)
		f->bits |= J4S_FL_TS_OK;
	f->hs = J4S_HS_SYNACK;
	COUNT(st, synacks);
	emit(ctx, false, p, frame_len, J4S_EV_SYNACK, false);
}

/* Parse a frame (TC: from a copy when its headers run past the linear
 * part); false (counted) when it is no TCP we can read. */
static __always_inline bool parse_counted(void *ctx, bool xdp, struct cursor *c, struct pkt *p,
					  __u32 frame_len, __u32 ifindex, struct j4s_stats *st)
{
	/* Only when an interface without Ethernet is attached (rodata: the
	 * lookup is not even verified otherwise), not for every packet. */
	__u8 *l3 = j4s_cfg.l3dev ? bpf_map_lookup_elem(&j4s_l3dev, &ifindex) : NULL;
	int v = parse_packet(c, p, l3 && *l3);

	if (v == PARSE_TRUNCATED && !xdp && frame_len > (__u32)(c->end - c->start))
		v = parse_copy(ctx, p, l3 && *l3, frame_len);
	switch (v) {
	case PARSE_OK:
		return true;
	case PARSE_NOT_IP:
		COUNT(st, not_ip);
		return false;
	case PARSE_NOT_TCP:
		COUNT(st, not_tcp);
		return false;
	case PARSE_FRAGMENT:
		COUNT(st, fragments);
		p->frag = 1;
		return false;
	case PARSE_BAD_CSUM:
		COUNT(st, bad_ip_checksum);
		return false;
	default: /* PARSE_TRUNCATED: parse_packet returns nothing else */
		COUNT(st, truncated);
		return false;
	}
}

/* What j4s_frag_judge() reads, in the scratch event: the datagram's key
 * and the first fragment's first 16 TCP header bytes. */
struct frag_judge {
	struct j4s_frag_key fk;
	__u8 tcp[16];
};

/* A global function, so the verifier checks it once, not on every path
 * that reaches a fragment (the inlined version cost 5.10's and 6.1's
 * verifier the last of their million instructions). */
__noinline int j4s_frag_judge(__u32 first)
{
	struct j4s_flow_key key = {};
	__u32 zero = 0, ack;
	struct j4s_event *ev = bpf_map_lookup_elem(&j4s_scratch, &zero);
	struct frag_judge *j;
	struct j4s_flow *f;
	__u8 none = 0; /* fragments passed so far */

	if (!ev)
		return 0;
	j = (struct frag_judge *)(ev->data + 128);
	if (!first) {
		__u8 *n = bpf_map_lookup_elem(&j4s_frags, &j->fk);

		/* A datagram of 64 KiB is at most 45 fragments of 1,480
		 * bytes: past J4S_FRAG_MAX an ID passes nothing more free. */
		if (!n || *n >= J4S_FRAG_MAX)
			return 0;
		(*n)++;
		return 1;
	}
	key.family = j->fk.family;
	__builtin_memcpy(key.saddr, j->fk.saddr, 16);
	__builtin_memcpy(key.daddr, j->fk.daddr, 16);
	key.sport = (__u16)(j->tcp[0] | j->tcp[1] << 8);
	key.dport = (__u16)(j->tcp[2] | j->tcp[3] << 8);
	ack = (__u32)j->tcp[8] << 24 | (__u32)j->tcp[9] << 16 | (__u32)j->tcp[10] << 8 | j->tcp[11];
	f = bpf_map_lookup_elem(&j4s_flows, &key);
	if (!f || f->state != J4S_FLOW_WAIT || !(f->bits & J4S_FL_ISN_KNOWN) ||
	    !(j->tcp[13] & TCP_ACK) || (j->tcp[13] & (TCP_SYN | TCP_RST)) ||
	    (__s32)(ack - (f->server_isn + 1)) < 0 || (__s32)(ack - f->snd_nxt) > 0)
		return 0;
	/* Each first fragment counts against the flow's segment cap: one
	 * validated connection passes a bounded number of datagrams free. */
	if (f->segments >= j4s_cfg.max_segments)
		return 0;
	f->segments++;
	/* NOEXIST: the same first fragment again does not renew its ID's
	 * count. */
	bpf_map_update_elem(&j4s_frags, &j->fk, &none, BPF_NOEXIST);
	return 1;
}

/*
 * Whether a fragment is of a datagram of a validated connection: the first
 * fragment's TCP header names a waiting flow whose SYN-ACK was seen and
 * acknowledges what the server sent (its ISN + 1 before the hello), as a
 * validated hello segment does; the datagram's ID is then remembered for
 * its other fragments (j4s_frags). Validated hellos are never held back by
 * the bucket (design.md §13), fragmented or not: before, each fragment took
 * a token, and a spoofed flood that emptied the bucket hid a real client's
 * hello sent in fragments. Later fragments that no first one has named go
 * up on the ring's room (on_fragment()).
 */
enum frag_verdict {
	FRAG_TOKEN, /* a first fragment not judged validated, or one not judged at all */
	FRAG_FREE,  /* of a validated connection's datagram */
	FRAG_LATER, /* a later fragment of a datagram no validated first one named */
	FRAG_UDP,   /* a first fragment of a UDP datagram (QUIC): a QUIC token */
};

static __always_inline enum frag_verdict frag_validated(void *ctx, bool xdp, const struct pkt *p)
{
	__u32 zero = 0;
	struct j4s_event *ev = bpf_map_lookup_elem(&j4s_scratch, &zero);
	struct frag_judge *j;
	__u32 first, proto, l4;
	__u8 t[16];

	if (!ev)
		return FRAG_TOKEN;
	j = (struct frag_judge *)(ev->data + 128);
	__builtin_memcpy(j->fk.saddr, p->key.saddr, 16);
	__builtin_memcpy(j->fk.daddr, p->key.daddr, 16);
	j->fk.family = p->key.family;
	j->fk.pad[0] = j->fk.pad[1] = j->fk.pad[2] = 0;
	/* The fragment's fields from the packet again, not from the parse:
	 * stored in struct pkt on the parse's fragment paths they cost the
	 * verifier ~20,000 instructions (j4s_tc passed 5.10's million). */
	if (p->key.family == 4) {
		if (read_bytes(ctx, xdp, p->l3_off, t, 10, true))
			return FRAG_TOKEN;
		j->fk.id = (__u32)t[4] << 8 | t[5];
		first = !((t[6] & 0x1f) | t[7]);
		proto = t[9];
		l4 = p->l3_off + (t[0] & 0x0f) * 4;
	} else {
		__u32 nh = p->x6_nh, off = p->l3_off + 40;

		/* To the fragment header, as parse_ipv6() went: at most two
		 * headers before it (hop-by-hop, destination options; a
		 * datagram with more takes tokens, verifier instructions being
		 * what they are on 5.10). */
		for (int i = 0; i < 2 && nh != J4S_IPV6_FRAGMENT; i++) {
			if (!J4S_IPV6_IS_EXT(nh) || read_bytes(ctx, xdp, off, t, 2, true))
				return FRAG_TOKEN;
			off += nh == J4S_IPV6_AH ? ((__u32)t[1] + 2) * 4 : ((__u32)t[1] + 1) * 8;
			nh = t[0];
		}
		if (nh != J4S_IPV6_FRAGMENT || read_bytes(ctx, xdp, off, t, 8, true))
			return FRAG_TOKEN;
		j->fk.id = (__u32)t[4] << 24 | (__u32)t[5] << 16 | (__u32)t[6] << 8 | t[7];
		first = !((t[2] << 8 | t[3]) & 0xfff8);
		proto = t[0];
		l4 = off + 8;
	}
	if (first) {
		if (proto == J4S_IPPROTO_UDP)
			return FRAG_UDP;
		if (proto != J4S_IPPROTO_TCP || read_bytes(ctx, xdp, l4, t, 16, true))
			return FRAG_TOKEN;
		__builtin_memcpy(j->tcp, t, 16);
	}
	if (j4s_frag_judge(first))
		return FRAG_FREE;
	return first ? FRAG_TOKEN : FRAG_LATER;
}

/*
 * An IP fragment: the server's stack rebuilds the datagram, so userspace
 * must see its pieces (a hello sent in fragments is a hello; design.md
 * §13). Fragments to a wanted address go up whole: those of a validated
 * connection's datagram freely; a first fragment that is not, for a token
 * of the unvalidated bucket; a later one (no ports: it cannot be judged)
 * while the ring is under a quarter full. A later fragment may come
 * before its first one, or past the J4S_FRAG_MAX of its ID, and its
 * server rebuilds the datagram all the same: on tokens, a client that
 * sent its hello so behind a spoofed flood that emptied the bucket hid it.
 * Userspace holds such fragments, bounded (include/ipfrag.h), and no
 * datagram is whole without its first fragment, which came on a proof or
 * a token: a flood of later fragments alone gives nothing, costs no
 * token, and stops at the quarter ring. Real TCP seldom fragments.
 */
static __always_inline void on_fragment(void *ctx, bool xdp, struct pkt *p, __u32 frame_len,
					struct j4s_stats *st)
{
	if (!addr_wanted(p, st))
		return;
	switch (frag_validated(ctx, xdp, p)) {
	case FRAG_FREE:
		COUNT(st, fragments_validated);
		break;
	case FRAG_UDP: /* as pcap mode: userspace's QUIC bucket takes it */
		if (!bucket_take(J4S_BUCKET_QUIC)) {
			COUNT(st, fragments_limited);
			return;
		}
		break;
	case FRAG_LATER:
		if (!j4s_cfg.unval_rate || ring_has_room(4)) {
			COUNT(st, fragments_later);
			break;
		}
		COUNT(st, fragments_limited);
		return;
	default:
		if (!bucket_take(J4S_BUCKET_TCP)) {
			COUNT(st, fragments_limited);
			return;
		}
	}
	/* The IP length bounds the frame: link padding is not payload. */
	if (frame_len > p->l3_off + p->l3_len)
		frame_len = p->l3_off + p->l3_len;
	emit(ctx, xdp, p, frame_len, J4S_EV_FRAGMENT, true);
}

/* The IPv4 option walk's state, in the scratch event past the copy. */
struct ipopts_walk {
	__u32 next; /* offset of the next option */
	__u32 seen; /* 1: record route, 2: timestamp, 4: source route */
};

/*
 * Whether the receiving Linux drops an IPv4 packet for its n option bytes,
 * copied to the scratch event's data: userspace's packet_ipv4_opts_dropped()
 * says which and why, this walks them the same way. A global function with
 * its state in memory, for the verifier's sake (see j4s_opts_walk()).
 */
__noinline int j4s_ipopts_walk(__u32 n)
{
	__u32 zero = 0;
	struct j4s_event *ev = bpf_map_lookup_elem(&j4s_scratch, &zero);
	volatile struct ipopts_walk *w; /* volatile: read back from memory each pass */

	if (!ev || n > 40)
		return 0;
	w = (volatile struct ipopts_walk *)(ev->data + 64);
	w->next = 0;
	w->seen = 0;
	for (__u32 i = 0; i < 40; i++) {
		__u32 kind, len, left, ptr, fl;

		if (i >= n)
			break;
		if (i != w->next)
			continue;
		kind = ev->data[i];
		if (kind == 0)
			break;
		if (kind == 1) {
			w->next = i + 1;
			continue;
		}
		left = n - i;
		if (left < 2)
			return 1;
		len = ev->data[i + 1];
		if (len < 2 || len > left)
			return 1;
		ptr = len > 2 ? ev->data[i + 2] : 0;
		switch (kind) {
		case 131: /* LSRR */
		case 137: /* SSRR */
			if (len < 3 || ptr < 4 || (w->seen & 4))
				return 1;
			w->seen |= 4;
			break;
		case 7: /* record route */
			if ((w->seen & 1) || len < 3 || ptr < 4 || (ptr <= len && ptr + 3 > len))
				return 1;
			w->seen |= 1;
			break;
		case 68: /* timestamp */
			if ((w->seen & 2) || len < 4 || ptr < 5)
				return 1;
			fl = ev->data[i + 3];
			if (ptr <= len) {
				if (ptr + 3 > len ||
				    (((fl & 15) == 1 || (fl & 15) == 3) && ptr + 7 > len))
					return 1;
			} else if ((fl & 15) != 3 && (fl >> 4) == 15) {
				return 1;
			}
			w->seen |= 2;
			break;
		case 148: /* router alert */
			if (len < 4)
				return 1;
			break;
		case 134: /* CIPSO */
			return 1;
		}
		w->next = i + len;
	}
	return (w->seen & 4) ? 1 : 0;
}

/* IPv4 options the server's stack drops the packet for; counted. Rare:
 * clients send none, so only then are the bytes read. */
static __always_inline bool ip_opts_dropped(void *ctx, bool xdp, const struct pkt *p,
					    struct j4s_stats *st)
{
	__u32 zero = 0;
	__u64 n = p->ip_opt_len;
	struct j4s_event *ev;

	if (!n)
		return false;
	/* Verifiers before 5.13 learn no lower bound from "!= 0". */
	n = ((n - 1) & 63) + 1;
	barrier_var(n);
	ev = bpf_map_lookup_elem(&j4s_scratch, &zero);
	if (!ev || read_bytes(ctx, xdp, p->l3_off + 20, ev->data, n, false)) {
		COUNT(st, copy_errors);
		return true;
	}
	if (j4s_ipopts_walk((__u32)n)) {
		COUNT(st, ip_options_dropped);
		return true;
	}
	return false;
}

/* The TLV walk's state, in the scratch event past the largest header. */
struct tlv_walk {
	__u32 next;   /* offset of the next option */
	__u32 padlen; /* padding bytes in a row */
	__u32 count;  /* options other than padding */
	__u32 pad;
};

#define X6_MAX_LEN 2048 /* (255 + 1) * 8: the largest option header */

/*
 * Whether the stack drops an IPv6 packet for the options of one hop-by-hop
 * (hbh) or destination options header of n bytes, copied to the scratch
 * event's data; hoff is its offset from the IPv6 header, jumbo_max the
 * bytes after the IPv6 header when its payload length is 0 (else 0):
 * userspace's ipv6_tlv_dropped() says what and why, this walks the same
 * way, a byte a pass with its state in memory (see j4s_opts_walk()).
 */
__noinline int j4s_tlv_walk(__u32 n, __u32 hoff, __u32 hbh, __u32 jumbo_max)
{
	__u32 zero = 0;
	struct j4s_event *ev = bpf_map_lookup_elem(&j4s_scratch, &zero);
	volatile struct tlv_walk *w;

	if (!ev || n > X6_MAX_LEN)
		return 1;
	w = (volatile struct tlv_walk *)(ev->data + X6_MAX_LEN);
	w->next = 2;
	w->padlen = 0;
	w->count = 0;
	for (__u32 i = 2; i < X6_MAX_LEN; i++) {
		__u32 t, optlen, left;

		if (i >= n)
			break;
		if (i != w->next)
			continue;
		t = ev->data[i];
		if (t == 0) { /* Pad1 */
			if (++w->padlen > 7)
				return 1;
			w->next = i + 1;
			continue;
		}
		left = n - i;
		if (left < 2)
			return 1;
		optlen = (__u32)ev->data[i + 1] + 2;
		if (optlen > left)
			return 1;
		if (t == 1) { /* PadN: zeros, at most 7 bytes of padding in a row */
			w->padlen += optlen;
			if (w->padlen > 7)
				return 1;
			for (__u32 k = 2; k < 8; k++)
				if (k < optlen && ev->data[(i + k) & (X6_MAX_LEN - 1)])
					return 1;
		} else {
			if (++w->count > 8)
				return 1;
			if (hbh && t == 0x05) { /* router alert */
				if (optlen != 4)
					return 1;
			} else if (hbh && t == 0xc2) { /* jumbo payload */
				__u32 jlen;

				if (optlen != 6 || ((hoff + i) & 3) != 2)
					return 1;
				jlen = (__u32)ev->data[(i + 2) & (X6_MAX_LEN - 1)] << 24 |
				       (__u32)ev->data[(i + 3) & (X6_MAX_LEN - 1)] << 16 |
				       (__u32)ev->data[(i + 4) & (X6_MAX_LEN - 1)] << 8 |
				       ev->data[(i + 5) & (X6_MAX_LEN - 1)];
				if (jlen <= 0xffff || jlen > jumbo_max)
					return 1;
			} else if (hbh && t == 0x07) { /* CALIPSO */
				return 1;
			} else if (hbh && t == 0x31) { /* IOAM */
				if ((hoff + i) & 3)
					return 1;
			} else if (!hbh && t == 0xc9) { /* home address */
				return 1;
			} else if (t >> 6) { /* unknown: discard */
				return 1;
			}
			w->padlen = 0;
		}
		w->next = i + optlen;
	}
	return 0;
}

/*
 * The IPv6 extension headers the stack drops a packet for, as userspace's
 * parse_ipv6() says: a hop-by-hop header not first, a routing header with
 * segments left or of a segment-routing type, AH, and the options of
 * hop-by-hop and destination headers (j4s_tlv_walk()). Walked again here
 * rather than in parse_ipv6(), whose unrolled loop, with these branches
 * in it, took 5.10's verifier past a million instructions; rare (clients
 * send none), so the bytes are read only then. Counted.
 */
static __always_inline bool ip6_exts_dropped(void *ctx, bool xdp, const struct pkt *p,
					     __u32 frame_len, struct j4s_stats *st)
{
	__u32 zero = 0, jumbo_max = 0, off = p->l3_off + 40;
	__u8 nh = p->x6_nh;
	struct j4s_event *ev;

	if (p->key.family != 6 || !J4S_IPV6_IS_EXT(nh))
		return false;
	if (p->l3_len == 40 && frame_len > p->l3_off + 40)
		jumbo_max = frame_len - p->l3_off - 40;
	for (int i = 0; i < J4S_IPV6_EXT_MAX; i++) {
		__u8 h[8] = {};
		__u64 n;

		if (!J4S_IPV6_IS_EXT(nh) || nh == J4S_IPV6_FRAGMENT)
			break; /* after a fragment header: the datagram's, once rebuilt */
		if (nh == J4S_IPV6_AH || (nh == J4S_IPV6_HOPOPTS && i > 0))
			goto drop;
		if (read_bytes(ctx, xdp, off, h, 8, true))
			goto copy;
		n = ((__u64)h[1] + 1) * 8;
		if (nh == J4S_IPV6_ROUTING && (h[2] == 3 || h[2] == 4 || h[3]))
			goto drop;
		if (nh == J4S_IPV6_HOPOPTS || nh == J4S_IPV6_DSTOPTS) {
			ev = bpf_map_lookup_elem(&j4s_scratch, &zero);
			/* Verifiers before 5.13 learn no lower bound from "!= 0". */
			n = ((n - 1) & (X6_MAX_LEN - 1)) + 1;
			barrier_var(n);
			if (!ev || read_bytes(ctx, xdp, off, ev->data, n, false))
				goto copy;
			if (j4s_tlv_walk((__u32)n, off - p->l3_off, nh == J4S_IPV6_HOPOPTS,
					 jumbo_max))
				goto drop;
		}
		nh = h[0];
		off += (__u32)n;
	}
	return false;
drop:
	COUNT(st, ip_options_dropped);
	return true;
copy:
	COUNT(st, copy_errors);
	return true;
}

static __always_inline void process(void *ctx, bool xdp, void *data, void *data_end,
				    __u32 frame_len, __u32 ifindex)
{
	struct cursor c = { .pos = data, .start = data, .end = data_end };
	__u32 zero = 0;
	struct j4s_stats *st = bpf_map_lookup_elem(&j4s_stats, &zero);
	struct pkt p = {};
	bool parsed;

	COUNT(st, packets);
	parsed = parse_counted(ctx, xdp, &c, &p, frame_len, ifindex, st);
	/* One call site each (fragments too): fewer instructions to verify. */
	if ((parsed || p.frag) &&
	    (ip_opts_dropped(ctx, xdp, &p, st) || ip6_exts_dropped(ctx, xdp, &p, frame_len, st)))
		return;
	if (!parsed) {
		if (p.frag)
			on_fragment(ctx, xdp, &p, frame_len, st);
		return;
	}
	if (!wanted(&p, st))
		return;
	/* The IP length bounds the frame: link padding is not payload. */
	if (frame_len > p.l3_off + p.l3_len)
		frame_len = p.l3_off + p.l3_len;
	if (p.udp) {
		on_udp(ctx, xdp, &p, frame_len, st);
		return;
	}
	on_tcp(ctx, xdp, &p, frame_len, st);
}

SEC("tc")
int j4s_tc(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;

	/* Headers beyond the linear part: parse_copy(), nothing pulled. */
	process(skb, false, data, end, skb->len, skb->ifindex);
	return TC_ACT_OK;
}

/*
 * A segment the server sends on a flow still waiting: its end raises
 * snd_nxt, so the client's segments that acknowledge it are taken as the
 * server takes them (tcp_ack() drops only an ACK past snd_nxt). The kernel
 * program cannot always tell where a hello ends (its record header cut, or
 * the hello spread over records: need is the byte cap then), so a flow may
 * still wait when the server answers; without this its client's next
 * segments and FIN looked like a blind spoofer's and the flow never ended,
 * which hid the next connection of its 4-tuple (on_tcp() ignores a SYN on
 * a flow waiting after its SYN-ACK). One lookup per segment a listen port
 * sends with data or FIN; egress sees GSO packets, not wire segments.
 */
static __always_inline void on_server_segment(const struct pkt *p, struct j4s_stats *st)
{
	struct j4s_flow_key key = { .family = p->key.family };
	__u32 port = bpf_ntohs(p->key.sport);
	struct j4s_flow *f;
	__u8 *on;
	__u32 end;

	if (!(p->flags & TCP_ACK) || (p->flags & (TCP_SYN | TCP_RST)) ||
	    (!p->payload_len && !(p->flags & TCP_FIN)))
		return;
	on = bpf_map_lookup_elem(&j4s_ports, &port);
	if (!on || !*on)
		return;
	__builtin_memcpy(key.saddr, p->key.daddr, 16);
	__builtin_memcpy(key.daddr, p->key.saddr, 16);
	key.sport = p->key.dport;
	key.dport = p->key.sport;
	f = bpf_map_lookup_elem(&j4s_flows, &key);
	if (!f || f->state != J4S_FLOW_WAIT || !(f->bits & J4S_FL_ISN_KNOWN))
		return;
	end = p->seq + p->payload_len + ((p->flags & TCP_FIN) ? 1 : 0);
	if ((__s32)(end - f->snd_nxt) > 0) {
		f->snd_nxt = end;
		COUNT(st, server_segments);
	}
}

/*
 * A datagram a listen port sends: while Initials are being held
 * (quic_holding()), a server Initial goes up whole, and its Source
 * Connection ID (8 bytes at least) goes into j4s_quic_answers: the ID its
 * client's next packets name, the proof that the client received it;
 * userspace checks which kept Initial it answers by its keys. Only from
 * egress: one arriving at the ingress hook could be forged by anyone.
 */
static __always_inline void quic_server_initial(struct __sk_buff *skb, struct pkt *p,
						struct j4s_stats *st)
{
	__u32 port = bpf_ntohs(p->key.sport), len;
	struct j4s_quic_key k = {};
	__u8 head[32] = {}, zero = 0, slen;
	__u32 version;
	__u64 scid;
	__u8 type, dlen;
	__u8 *on;

	on = bpf_map_lookup_elem(&j4s_ports, &port);
	if (!on || !*on || !quic_holding(false))
		return;
	if (p->payload_len < 32 || bpf_skb_load_bytes(skb, p->payload_off, head, 32))
		return;
	version = (__u32)head[1] << 24 | (__u32)head[2] << 16 | (__u32)head[3] << 8 | head[4];
	type = (head[0] >> 4) & 3;
	dlen = head[5];
	if (!(head[0] & 0x80) || dlen > 20 ||
	    !(((version == J4S_QUIC_V1 || version == J4S_QUIC_DRAFT29) && type == 0) ||
	      (version == J4S_QUIC_V2 && type == 1)))
		return;
	/* The SCID follows the DCID: its first 8 bytes, from offset 7 + dlen
	 * (at most 27: within head, the load only at a bounded offset). */
	if (bpf_skb_load_bytes(skb, p->payload_off + 6 + (dlen & 31), head, 9))
		return;
	/* An ID under 8 bytes could be guessed (userspace's
	 * QUIC_HOLD_MIN_ID): no proof for it. */
	slen = head[0];
	if (slen < J4S_QUIC_CID_KEY || slen > 20)
		return;
	__builtin_memcpy(&scid, head + 1, 8);
	__builtin_memcpy(k.flow.saddr, p->key.daddr, 16);
	__builtin_memcpy(k.flow.daddr, p->key.saddr, 16);
	k.flow.family = p->key.family;
	k.flow.dport = p->key.sport;
	k.dcid_len = slen;
	__builtin_memcpy(k.dcid, &scid, 8);
	/* Stored only with its answer sent up: without it userspace has
	 * nothing to check a proof by. */
	if (!ring_has_room(2)) {
		COUNT(st, quic_proofs_dropped);
		return;
	}
	bpf_map_update_elem(&j4s_quic_answers, &k, &zero, BPF_ANY);
	/* whole: userspace checks that it answers a kept Initial's DCID (it
	 * is sealed with keys from that DCID) */
	len = p->l3_len;
	j4s_emit_skb(skb, p->l3_off, len, J4S_EV_QUIC_SERVER, len);
}

/* Egress of the same interfaces, in both modes: the server's SYN-ACKs, and
 * how far its data has gone on a waiting flow (on_server_segment()). */
SEC("tc")
int j4s_tc_egress(struct __sk_buff *skb)
{
	struct cursor c = { .pos = (void *)(long)skb->data,
			    .start = (void *)(long)skb->data,
			    .end = (void *)(long)skb->data_end };
	__u32 zero = 0;
	struct j4s_stats *st = bpf_map_lookup_elem(&j4s_stats, &zero);
	struct pkt p = {};

	COUNT(st, egress_packets);
	/* The ingress counters stay the client side's: what egress passes
	 * over is one count. */
	if (!parse_counted(skb, false, &c, &p, skb->len, skb->ifindex, NULL)) {
		COUNT(st, egress_other);
		return TC_ACT_OK;
	}
	if (p.udp) {
		COUNT(st, egress_other);
		if (j4s_cfg.quic)
			quic_server_initial(skb, &p, st);
		return TC_ACT_OK;
	}
	if (!synack_wanted(&p, NULL)) {
		COUNT(st, egress_other);
		on_server_segment(&p, st);
		return TC_ACT_OK;
	}
	on_synack(skb, &p, skb->len, st);
	return TC_ACT_OK;
}

/* For libxdp's dispatcher: run early, and let the next program run after a
 * pass (we always pass). */
struct {
	__uint(priority, 10);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(j4s_xdp);

SEC("xdp")
int j4s_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;

	process(ctx, true, data, end, (__u32)(end - data), ctx->ingress_ifindex);
	return XDP_PASS;
}
