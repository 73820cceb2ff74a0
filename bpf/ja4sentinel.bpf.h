/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * BPF-only helpers of ja4sentinel.bpf.c: the constants vmlinux.h lacks and
 * bounds-checked header parsers over direct packet access. Each parser
 * checks its header against data_end, advances the cursor and returns the
 * next protocol, or a negative verdict.
 */
#ifndef J4S_BPF_H
#define J4S_BPF_H

/* Ethertypes, VLAN and IPv6 extension-header limits: include/abi.h, shared
 * with the userspace parser. */
#define TC_ACT_OK 0

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10
#define TCP_URG 0x20

enum parse_verdict {
	PARSE_OK = 0,
	PARSE_NOT_IP = -1,
	PARSE_NOT_TCP = -2,
	PARSE_FRAGMENT = -3,
	PARSE_TRUNCATED = -4,
	PARSE_BAD_CSUM = -5, /* IPv4 header checksum wrong: the stack drops it */
};

/* What the parsers learn of one packet; offsets from the frame start. */
struct pkt {
	__u32 l3_off;
	__u32 payload_off;
	__u32 l3_len;      /* by the IP header */
	__u32 payload_len; /* by the IP header */
	__u32 seq;         /* host order */
	__u32 ack;         /* host order */
	__u8 flags;
	__u8 udp;        /* a UDP datagram (QUIC): no seq/ack/flags */
	__u8 frag;       /* an IP fragment: addresses and l3_len only */
	__u8 opt_len;    /* TCP option bytes */
	__u8 ip_opt_len; /* IPv4 option bytes */
	__u8 x6_nh;      /* IPv6: the header after the fixed one (ip6_exts_dropped()) */
	__u16 urg_ptr;   /* TCP urgent pointer (host order) */
	struct j4s_flow_key key;
};

struct cursor {
	void *pos;
	void *start;
	void *end;
};

struct vlan_hdr_ {
	__be16 tci;
	__be16 proto;
};

/* Ethernet and up to J4S_VLAN_MAX VLAN tags; returns the ethertype. */
static __always_inline int parse_eth(struct cursor *c)
{
	struct ethhdr *eth = c->pos;
	__u16 proto;

	if ((void *)(eth + 1) > c->end)
		return PARSE_TRUNCATED;
	proto = bpf_ntohs(eth->h_proto);
	c->pos = eth + 1;
#pragma unroll
	for (int i = 0; i < J4S_VLAN_MAX; i++) {
		struct vlan_hdr_ *v = c->pos;

		if (!J4S_ETH_IS_VLAN(proto))
			break;
		if ((void *)(v + 1) > c->end)
			return PARSE_TRUNCATED;
		proto = bpf_ntohs(v->proto);
		c->pos = v + 1;
	}
	return proto;
}

/* Offset of h in the frame. The barrier keeps the subtraction of the two
 * packet pointers first: clang may otherwise fold a constant added later
 * in before it (constant - start + h), which the verifier refuses (a
 * pointer subtracted from a scalar). */
static __always_inline __u32 hdr_off(struct cursor *c, void *h)
{
	__u32 off = (__u32)(h - c->start);

	barrier_var(off);
	return off;
}

/*
 * Whether the IPv4 header at h (ihl bytes, 20 of them known to be in the
 * packet) has the right checksum: its 16-bit words sum to 0xffff in one's
 * complement (RFC 1071), as ip_rcv_core() checks before TCP, UDP or the
 * defragmenter see the packet. h points into the packet itself (TC, XDP
 * with or without bpf_xdp_load_bytes: parsing always reads the frame in
 * place) or into parse_copy()'s copy of its first bytes: the bytes summed
 * are the packet's. bpf_csum_diff() with constant sizes only, so the
 * verifier of 5.10 checks each against bounds it knows: the fixed header
 * in one call, options a word a call (rare: Linux clients send none).
 */
static __always_inline bool ipv4_csum_ok(__u8 *h, __u32 ihl, void *end)
{
	__s64 r = bpf_csum_diff(NULL, 0, (__be32 *)h, 20, 0);
	__u32 sum;

#pragma unroll
	for (int i = 0; i < 10; i++) {
		__u8 *w = h + 20 + 4 * i;

		if (r < 0 || 20 + 4 * i >= ihl)
			break;
		if ((void *)(w + 4) > end)
			return false;
		r = bpf_csum_diff(NULL, 0, (__be32 *)w, 4, (__wsum)r);
	}
	if (r < 0)
		return false;
	sum = (__u32)r;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* IPv4 with options; a fragment's addresses and length only. Returns the
 * protocol. */
static __always_inline int parse_ipv4(struct cursor *c, struct pkt *p)
{
	__u8 *h = c->pos;
	__u32 ihl;

	if ((void *)(h + 20) > c->end)
		return PARSE_TRUNCATED;
	ihl = (h[0] & 0x0f) * 4;
	if (ihl < 20)
		return PARSE_TRUNCATED;
	if ((void *)h + ihl > c->end)
		return PARSE_TRUNCATED;
	/* Before the packet is used at all, fragments included: the
	 * server's stack never sees it, so a fake segment in it must not
	 * stand for the real one after it. */
	if (!ipv4_csum_ok(h, ihl, c->end))
		return PARSE_BAD_CSUM;
	p->l3_len = (__u32)h[2] << 8 | h[3];
	if (p->l3_len < ihl)
		return PARSE_TRUNCATED;
	p->payload_len = p->l3_len - ihl; /* TCP header still inside */
	p->ip_opt_len = (__u8)(ihl - 20);
	p->key.family = 4;
	__builtin_memcpy(p->key.saddr, h + 12, 4);
	__builtin_memcpy(p->key.daddr, h + 16, 4);
	/* MF or fragment offset: addresses and length are known, for
	 * on_fragment(). */
	if ((h[6] & 0x3f) || h[7])
		return PARSE_FRAGMENT;
	c->pos = (void *)h + ihl;
	return h[9];
}

/* IPv6 and up to J4S_IPV6_EXT_MAX extension headers (J4S_IPV6_IS_EXT:
 * hop-by-hop, routing, destination options, AH, atomic fragments). Returns
 * the upper protocol, an extension header when the chain is longer. */
static __always_inline int parse_ipv6(struct cursor *c, struct pkt *p)
{
	struct ipv6hdr *ip6 = c->pos;
	__u32 plen, ext = 0;
	__u8 nh;

	if ((void *)(ip6 + 1) > c->end)
		return PARSE_TRUNCATED;
	plen = bpf_ntohs(ip6->payload_len);
	nh = ip6->nexthdr;
	p->x6_nh = nh;
	p->key.family = 6;
	__builtin_memcpy(p->key.saddr, &ip6->saddr, 16);
	__builtin_memcpy(p->key.daddr, &ip6->daddr, 16);
	c->pos = ip6 + 1;
#pragma unroll
	for (int i = 0; i < J4S_IPV6_EXT_MAX; i++) {
		__u8 *e = c->pos;
		__u32 len;

		if (!J4S_IPV6_IS_EXT(nh))
			break;
		if ((void *)(e + 8) > c->end)
			return PARSE_TRUNCATED;
		if (nh == J4S_IPV6_FRAGMENT) {
			if ((e[2] << 8 | e[3]) & 0xfff9) { /* offset or M flag */
				p->l3_len = 40 + plen;
				return PARSE_FRAGMENT;
			}
			len = 8;
		} else if (nh == J4S_IPV6_AH) {
			len = ((__u32)e[1] + 2) * 4;
		} else {
			len = ((__u32)e[1] + 1) * 8;
		}
		nh = e[0];
		c->pos = (void *)e + len;
		ext += len;
	}
	if (ext > plen)
		return PARSE_TRUNCATED;
	p->l3_len = 40 + plen;
	p->payload_len = plen - ext;
	return nh;
}

static __always_inline int parse_tcp(struct cursor *c, struct pkt *p)
{
	__u8 *t = c->pos;
	__u32 doff;

	if ((void *)(t + 20) > c->end)
		return PARSE_TRUNCATED;
	doff = (t[12] >> 4) * 4;
	if (doff < 20 || doff > p->payload_len)
		return PARSE_TRUNCATED;
	p->key.sport = (__u16)(t[0] | t[1] << 8); /* kept in network order */
	p->key.dport = (__u16)(t[2] | t[3] << 8);
	p->seq = (__u32)t[4] << 24 | (__u32)t[5] << 16 | (__u32)t[6] << 8 | t[7];
	p->ack = (__u32)t[8] << 24 | (__u32)t[9] << 16 | (__u32)t[10] << 8 | t[11];
	p->flags = t[13];
	p->urg_ptr = (__u16)(t[18] << 8 | t[19]);
	p->opt_len = (__u8)(doff - 20);
	p->payload_len -= doff;
	p->payload_off = hdr_off(c, t) + doff;
	return PARSE_OK;
}

/* UDP (QUIC): ports and where the datagram's payload starts. Its length is
 * the UDP header's, as the receiving stack reads it (userspace's
 * parse_udp()): one past the IP packet's end is dropped there; 0 in IPv6
 * (a jumbogram) is the rest of the packet. */
static __always_inline int parse_udp(struct cursor *c, struct pkt *p)
{
	__u8 *u = c->pos;
	__u32 ulen;

	if ((void *)(u + 8) > c->end || p->payload_len < 8)
		return PARSE_TRUNCATED;
	ulen = (__u32)u[4] << 8 | u[5];
	if (!ulen && p->key.family == 6)
		ulen = p->payload_len;
	if (ulen < 8 || ulen > p->payload_len)
		return PARSE_TRUNCATED;
	p->key.sport = (__u16)(u[0] | u[1] << 8); /* kept in network order */
	p->key.dport = (__u16)(u[2] | u[3] << 8);
	p->udp = 1;
	p->payload_len = ulen - 8;
	p->payload_off = hdr_off(c, u) + 8;
	return PARSE_OK;
}

/* The L3 protocol of a frame that starts at the IP header (tun, WireGuard,
 * ipip: devices without a link-layer header). */
static __always_inline int parse_l3_start(struct cursor *c)
{
	__u8 *v = c->pos;

	if ((void *)(v + 1) > c->end)
		return PARSE_TRUNCATED;
	if ((*v >> 4) == 4)
		return J4S_ETH_P_IP;
	if ((*v >> 4) == 6)
		return J4S_ETH_P_IPV6;
	return PARSE_NOT_IP;
}

/* The load-time configuration (ja4sentinel.bpf.c, .rodata). */
extern const volatile struct j4s_bpf_config j4s_cfg;

/* Everything from the frame start to the TCP (or UDP) payload. */
static __always_inline int parse_packet(struct cursor *c, struct pkt *p, bool l3_dev)
{
	int proto = l3_dev ? parse_l3_start(c) : parse_eth(c);

	if (proto < 0)
		return proto;
	p->l3_off = (__u32)(c->pos - c->start);
	if (proto == J4S_ETH_P_IP)
		proto = parse_ipv4(c, p);
	else if (proto == J4S_ETH_P_IPV6)
		proto = parse_ipv6(c, p);
	else
		return PARSE_NOT_IP;
	if (proto < 0)
		return proto;
	/* UDP only with core.quic (rodata): without it the verifier sees the
	 * program of before QUIC, a way back on an old kernel. */
	if (proto == J4S_IPPROTO_UDP && j4s_cfg.quic)
		return parse_udp(c, p);
	if (proto != J4S_IPPROTO_TCP)
		return PARSE_NOT_TCP;
	return parse_tcp(c, p);
}

#endif
