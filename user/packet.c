// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The single packet parser: link layers of pcap, IPv4 (options, fragments),
 * IPv6 (extension headers), the tunnels of include/abi.h (IP-in-IP, GRE and
 * ERSPAN, VXLAN, Geneve, GTP-U, CAPWAP), TCP (options). Every read is
 * bounds-checked against the captured length; nothing is allocated.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "abi.h"
#include "byteorder.h"
#include "packet.h"

/* pcap LINKTYPE_/DLT_ values; the numbers are ABI, pcap.h is not needed. */
#define LT_NULL      0
#define LT_EN10MB    1
#define LT_RAW_BSD   12 /* DLT_RAW on Linux/BSD */
#define LT_RAW_OBSD  14 /* DLT_RAW on OpenBSD */
#define LT_RAW       101
#define LT_LOOP      108
#define LT_LINUX_SLL 113
#define LT_IPV4      228
#define LT_IPV6      229
#define LT_SLL2      276

/* Ethertypes, VLAN tags and the IPv6 extension headers followed are the
 * kernel program's (include/abi.h): live and offline modes must agree. */

/* Skip up to J4S_VLAN_MAX VLAN tags at off; the ethertype after them in *proto. */
static enum packet_verdict skip_vlans(const uint8_t *data, uint32_t caplen, uint32_t *off,
				      uint16_t *proto)
{
	for (int i = 0; i < J4S_VLAN_MAX && J4S_ETH_IS_VLAN(*proto); i++) {
		if (*off + 4 > caplen)
			return PKT_TRUNCATED;
		*proto = rd16(data + *off + 2);
		*off += 4;
	}
	if (J4S_ETH_IS_VLAN(*proto))
		return PKT_NOT_IP; /* one tag more: not ours to guess */
	return PKT_OK;
}

static enum packet_verdict ethertype_l3(uint16_t proto)
{
	return proto == J4S_ETH_P_IP || proto == J4S_ETH_P_IPV6 ? PKT_OK : PKT_NOT_IP;
}

/* BSD loopback family: host order of the capturing machine, so try both. */
static enum packet_verdict null_family(const uint8_t *p)
{
	uint32_t le = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		      (uint32_t)p[3] << 24;
	uint32_t be = rd32(p);

	for (int i = 0; i < 2; i++) {
		uint32_t fam = i ? be : le;

		/* AF_INET everywhere; AF_INET6 of BSD, FreeBSD, Darwin. */
		if (fam == 2 || fam == 24 || fam == 28 || fam == 30)
			return PKT_OK;
	}
	return PKT_NOT_IP;
}

bool packet_link_supported(int linktype)
{
	switch (linktype) {
	case LT_NULL:
	case LT_EN10MB:
	case LT_RAW_BSD:
	case LT_RAW_OBSD:
	case LT_RAW:
	case LT_LOOP:
	case LT_LINUX_SLL:
	case LT_IPV4:
	case LT_IPV6:
	case LT_SLL2:
		return true;
	}
	return false;
}

enum packet_verdict packet_strip_link(int linktype, const uint8_t *data, uint32_t caplen,
				      const uint8_t **l3, uint32_t *l3len)
{
	enum packet_verdict v = PKT_OK;
	uint32_t off = 0;
	uint16_t proto;

	switch (linktype) {
	case LT_EN10MB:
		if (caplen < 14)
			return PKT_TRUNCATED;
		proto = rd16(data + 12);
		off = 14;
		v = skip_vlans(data, caplen, &off, &proto);
		if (v == PKT_OK)
			v = ethertype_l3(proto);
		break;
	case LT_LINUX_SLL:
		if (caplen < 16)
			return PKT_TRUNCATED;
		proto = rd16(data + 14);
		off = 16;
		v = skip_vlans(data, caplen, &off, &proto);
		if (v == PKT_OK)
			v = ethertype_l3(proto);
		break;
	case LT_SLL2:
		if (caplen < 20)
			return PKT_TRUNCATED;
		proto = rd16(data);
		off = 20;
		v = skip_vlans(data, caplen, &off, &proto);
		if (v == PKT_OK)
			v = ethertype_l3(proto);
		break;
	case LT_NULL:
	case LT_LOOP:
		if (caplen < 4)
			return PKT_TRUNCATED;
		v = null_family(data);
		off = 4;
		break;
	case LT_RAW_BSD:
	case LT_RAW_OBSD:
	case LT_RAW:
	case LT_IPV4:
	case LT_IPV6:
		break;
	default:
		return PKT_UNSUPPORTED;
	}
	if (v != PKT_OK)
		return v;
	*l3 = data + off;
	*l3len = caplen - off;
	return PKT_OK;
}

static enum packet_verdict parse_tcp(const uint8_t *p, uint32_t avail, uint32_t wire,
				     struct pkt_info *pi)
{
	uint32_t doff;

	if (wire < 20) /* the IP length leaves no room for a TCP header */
		return PKT_MALFORMED;
	if (avail < 20)
		return PKT_TRUNCATED;
	doff = (uint32_t)(p[12] >> 4) * 4;
	if (doff < 20 || doff > wire)
		return PKT_MALFORMED;
	if (doff > avail)
		return PKT_TRUNCATED;
	pi->proto = J4S_IPPROTO_TCP;
	pi->sport = rd16(p);
	pi->dport = rd16(p + 2);
	pi->seq = rd32(p + 4);
	pi->ack = rd32(p + 8);
	pi->tcp_flags = p[13];
	pi->window = rd16(p + 14);
	pi->urg_ptr = rd16(p + 18);
	pi->tcp_opts = p + 20;
	pi->tcp_opt_len = (uint8_t)(doff - 20);
	pi->payload = p + doff;
	pi->payload_len = avail - doff;
	pi->payload_wire = wire - doff;
	return PKT_OK;
}

/* UDP: the datagram's payload, for QUIC. Its length is the UDP header's,
 * as the receiving stack reads it (udp_rcv(), udpv6_rcv()): bytes after it
 * in the IP packet never reach the server, and a length past the IP
 * packet's end makes the stack drop the datagram. 0 in IPv6 (a jumbogram)
 * is the rest of the packet. */
static enum packet_verdict parse_udp(const uint8_t *p, uint32_t avail, uint32_t wire,
				     struct pkt_info *pi)
{
	uint32_t ulen;

	if (wire < 8)
		return PKT_MALFORMED;
	if (avail < 8)
		return PKT_TRUNCATED;
	ulen = rd16(p + 4);
	if (!ulen && pi->family == AF_INET6)
		ulen = wire;
	if (ulen < 8 || ulen > wire)
		return PKT_MALFORMED;
	wire = ulen;
	if (avail > ulen)
		avail = ulen;
	pi->proto = J4S_IPPROTO_UDP;
	pi->sport = rd16(p);
	pi->dport = rd16(p + 2);
	pi->seq = pi->ack = 0;
	pi->tcp_flags = 0;
	pi->window = 0;
	pi->urg_ptr = 0;
	pi->tcp_opts = p + 8;
	pi->tcp_opt_len = 0;
	pi->payload = p + 8;
	pi->payload_len = avail - 8;
	pi->payload_wire = wire - 8;
	return PKT_OK;
}

/* What one IP header leaves to the next layer. */
struct ip_next {
	const uint8_t *p; /* first byte after the IP headers */
	uint32_t avail;   /* captured bytes there, within the IP length */
	uint32_t wire;    /* bytes there by the IP header */
	uint8_t proto;    /* IPPROTO of what follows */
};

/*
 * Whether the receiving Linux drops an IPv4 packet for its options
 * (net/ipv4/ip_options.c ip_options_compile() for a received packet, then
 * ip_input.c ip_rcv_options()): any malformed option (a length below 2 or
 * past the end, a pointer out of range, a second RR, timestamp, source
 * route or CIPSO option, a full timestamp overflow count); a source route
 * (LSRR, SSRR), refused while accept_source_route is 0, the default; and
 * CIPSO, which cipso_v4_validate() refuses on a host with no CIPSO DOI
 * configured (netlabel). A fake hello in such a packet is never read by
 * the server. The kernel program walks them the same way
 * (j4s_ipopts_walk()).
 */
#define IPOPT_END   0
#define IPOPT_NOOP  1
#define IPOPT_RR    7
#define IPOPT_TS    68
#define IPOPT_LSRR  131
#define IPOPT_CIPSO 134
#define IPOPT_SSRR  137
#define IPOPT_RA    148
bool packet_ipv4_opts_dropped(const uint8_t *o, uint32_t len)
{
	bool rr = false, ts = false, srr = false;
	uint32_t i = 0;

	while (i < len) {
		uint8_t kind = o[i], olen, ptr;

		if (kind == IPOPT_END)
			break;
		if (kind == IPOPT_NOOP) {
			i++;
			continue;
		}
		if (len - i < 2)
			return true;
		olen = o[i + 1];
		if (olen < 2 || olen > len - i)
			return true;
		ptr = olen > 2 ? o[i + 2] : 0;
		switch (kind) {
		case IPOPT_LSRR:
		case IPOPT_SSRR:
			if (olen < 3 || ptr < 4 || srr)
				return true;
			srr = true;
			break;
		case IPOPT_RR:
			if (rr || olen < 3 || ptr < 4 || (ptr <= olen && ptr + 3 > olen))
				return true;
			rr = true;
			break;
		case IPOPT_TS:
			if (ts || olen < 4 || ptr < 5)
				return true;
			if (ptr <= olen) {
				uint8_t flag = o[i + 3] & 0xf;

				if (ptr + 3 > olen || ((flag == 1 || flag == 3) && ptr + 7 > olen))
					return true;
			} else if ((o[i + 3] & 0xf) != 3 && o[i + 3] >> 4 == 15) {
				return true;
			}
			ts = true;
			break;
		case IPOPT_RA:
			if (olen < 4)
				return true;
			break;
		case IPOPT_CIPSO:
			return true;
		default:
			break;
		}
		i += olen;
	}
	return srr;
}

static enum packet_verdict parse_ipv4(const uint8_t *p, uint32_t caplen, struct pkt_info *pi,
				      struct ip_next *nx, bool lax)
{
	uint32_t ihl, tot;
	uint16_t frag;

	pi->ext_hdrs = false;
	if (caplen < 20)
		return PKT_TRUNCATED;
	ihl = (uint32_t)(p[0] & 0x0f) * 4;
	tot = rd16(p + 2);
	if (ihl < 20 || tot < ihl)
		return PKT_MALFORMED;
	if (ihl > caplen)
		return PKT_TRUNCATED;
	/* Before anything is read from it, fragments included: the server's
	 * stack never sees such a packet (ip_rcv_core()), so a fake segment
	 * or fragment in one must not stand for the real one after it. */
	if (!packet_ipv4_csum_ok(p, ihl)) {
		if (!lax)
			return PKT_BAD_CSUM;
		pi->bad_csum = true;
	}
	/* Options the server's stack drops the packet for (before the
	 * defragmenter too: ip_rcv_options() runs on each fragment). */
	if (ihl > 20 && packet_ipv4_opts_dropped(p + 20, ihl - 20))
		return PKT_IP_OPTIONS;
	frag = rd16(p + 6);
	pi->family = AF_INET;
	pi->ttl = p[8];
	pi->ip_id = rd16(p + 4);
	pi->df = (frag & 0x4000) != 0;
	pi->ip_total_len = (uint16_t)tot;
	memcpy(pi->src, p + 12, 4);
	memcpy(pi->dst, p + 16, 4);
	memset(pi->src + 4, 0, 12); /* flow keys compare all 16 bytes */
	memset(pi->dst + 4, 0, 12);
	if (frag & 0x3fff) /* MF or an offset */
		return PKT_FRAGMENT;
	/* A capture may hold link padding past tot, or less than tot. */
	nx->p = p + ihl;
	nx->avail = (caplen < tot ? caplen : tot) - ihl;
	nx->wire = tot - ihl;
	nx->proto = p[9];
	return PKT_OK;
}

/*
 * Whether the receiving Linux drops an IPv6 packet for the hop-by-hop or
 * destination options header at hoff (hlen bytes, captured) of the packet
 * at ip6 (caplen bytes): ip6_parse_tlv() of net/ipv6/exthdrs.c with the
 * default sysctls. Padding may not run past 7 bytes nor PadN hold other
 * than zeros; more than 8 other options are too many (max_hbh_opts_cnt,
 * max_dst_opts_cnt); a router alert must have 2 bytes, a jumbo payload
 * length its exact form; CALIPSO and the home address option fail without
 * a CALIPSO DOI or an xfrm state; IOAM must be 4n-aligned; an unknown
 * option whose two high bits are not 00 says discard (RFC 8200 4.2).
 */
static bool ipv6_tlv_dropped(const uint8_t *ip6, uint32_t caplen, uint32_t hoff, uint32_t hlen,
			     bool hbh)
{
	const uint8_t *d = ip6 + hoff;
	uint32_t off = 2, padlen = 0, count = 0;

	while (off < hlen) {
		uint8_t t = d[off];
		uint32_t optlen;

		if (t == 0) { /* Pad1 */
			if (++padlen > 7)
				return true;
			off++;
			continue;
		}
		if (hlen - off < 2)
			return true;
		optlen = d[off + 1] + 2u;
		if (optlen > hlen - off)
			return true;
		if (t == 1) { /* PadN */
			padlen += optlen;
			if (padlen > 7)
				return true;
			for (uint32_t i = 2; i < optlen; i++)
				if (d[off + i])
					return true;
		} else {
			if (++count > 8)
				return true;
			if (hbh && t == 0x05) { /* router alert */
				if (d[off + 1] != 2)
					return true;
			} else if (hbh && t == 0xc2) { /* jumbo payload */
				uint32_t jlen = d[off + 1] == 4 ? rd32(d + off + 2) : 0;

				if (d[off + 1] != 4 || ((hoff + off) & 3) != 2 || jlen <= 0xffff ||
				    rd16(ip6 + 4) != 0 || jlen > caplen - 40)
					return true;
			} else if (hbh && t == 0x07) { /* CALIPSO */
				return true;
			} else if (hbh && t == 0x31) { /* IOAM */
				if ((hoff + off) & 3)
					return true;
			} else if (!hbh && t == 0xc9) { /* home address */
				return true;
			} else if (t >> 6) { /* unknown: discard */
				return true;
			}
			padlen = 0;
		}
		off += optlen;
	}
	return false;
}

static enum packet_verdict parse_ipv6(const uint8_t *p, uint32_t caplen, struct pkt_info *pi,
				      struct ip_next *nx)
{
	uint32_t plen, end, off = 40;
	uint8_t nh;

	if (caplen < 40)
		return PKT_TRUNCATED;
	plen = rd16(p + 4);
	nh = p[6];
	pi->family = AF_INET6;
	pi->ttl = p[7];
	pi->ip_id = 0;
	pi->df = 0;
	pi->ip_total_len = (uint16_t)(40 + plen > 0xffff ? 0xffff : 40 + plen);
	memcpy(pi->src, p + 8, 16);
	memcpy(pi->dst, p + 24, 16);
	if (plen == 0) /* jumbogram or TSO on capture: trust the capture */
		plen = caplen - 40;
	end = 40 + plen;
	for (int i = 0; i < J4S_IPV6_EXT_MAX && J4S_IPV6_IS_EXT(nh); i++) {
		uint32_t hlen;

		if (off + 8 > caplen || off + 8 > end)
			return off + 8 > end ? PKT_MALFORMED : PKT_TRUNCATED;
		if (nh == J4S_IPV6_FRAGMENT) {
			/* Fragment: offset or M flag set means a real fragment. */
			if (rd16(p + off + 2) & 0xfff9)
				return PKT_FRAGMENT;
			hlen = 8;
		} else if (nh == J4S_IPV6_AH) {
			/* No security association: xfrm drops it. */
			return PKT_IP_OPTIONS;
		} else {
			hlen = ((uint32_t)p[off + 1] + 1) * 8;
		}
		/* What the receiver drops the packet for, header by header as
		 * it walks them (those before a fragment header for each
		 * fragment, as here): a hop-by-hop header not first
		 * (ip6_protocol_deliver_rcu() has no handler for it), options
		 * (ipv6_tlv_dropped()), a routing header with segments left,
		 * or of the segment routing types, off by default (RPL 3,
		 * SRH 4: rpl_seg_enabled, seg6_enabled). */
		if (off + hlen > end)
			return PKT_MALFORMED;
		if (nh == J4S_IPV6_HOPOPTS && i > 0)
			return PKT_IP_OPTIONS;
		if (nh == J4S_IPV6_HOPOPTS || nh == J4S_IPV6_DSTOPTS) {
			if (off + hlen > caplen)
				return PKT_TRUNCATED;
			if (ipv6_tlv_dropped(p, caplen, off, hlen, nh == J4S_IPV6_HOPOPTS))
				return PKT_IP_OPTIONS;
		}
		if (nh == J4S_IPV6_ROUTING && (p[off + 2] == 3 || p[off + 2] == 4 || p[off + 3]))
			return PKT_IP_OPTIONS;
		nh = p[off];
		off += hlen;
		if (off > end)
			return PKT_MALFORMED;
	}
	if (J4S_IPV6_IS_EXT(nh))
		return PKT_NOT_TCP; /* a chain longer than the kernel follows */
	if (off > caplen)
		return PKT_TRUNCATED;
	pi->ext_hdrs = off > 40;
	nx->p = p + off;
	nx->avail = (caplen < end ? caplen : end) - off;
	nx->wire = end - off;
	nx->proto = nh;
	return PKT_OK;
}

static enum packet_verdict parse_ip(const uint8_t *l3, uint32_t caplen, struct pkt_info *pi,
				    struct ip_next *nx, bool lax)
{
	if (caplen < 1)
		return PKT_TRUNCATED;
	switch (l3[0] >> 4) {
	case 4:
		return parse_ipv4(l3, caplen, pi, nx, lax);
	case 6:
		return parse_ipv6(l3, caplen, pi, nx);
	}
	return PKT_NOT_IP;
}

/*
 * Tunnels. Each decapsulator gets the bytes after an outer header (p, len:
 * captured, within the outer lengths) and sets *in / *inlen to the inner
 * L3 packet. Every read is checked against len.
 */

/* An Ethernet frame inside a tunnel: to its IP packet. */
static enum packet_verdict inner_ether(const uint8_t *p, uint32_t len, const uint8_t **in,
				       uint32_t *inlen)
{
	uint32_t off = 14;
	uint16_t proto;
	enum packet_verdict v;

	if (len < 14)
		return PKT_TRUNCATED;
	proto = rd16(p + 12);
	v = skip_vlans(p, len, &off, &proto);
	if (v == PKT_OK)
		v = ethertype_l3(proto);
	if (v != PKT_OK)
		return v;
	*in = p + off;
	*inlen = len - off;
	return PKT_OK;
}

/* The inner packet at off: IP by ethertype, or Ethernet. */
static enum packet_verdict inner_at(const uint8_t *p, uint32_t len, uint32_t off, uint16_t proto,
				    const uint8_t **in, uint32_t *inlen)
{
	if (off > len)
		return PKT_TRUNCATED;
	if (proto == J4S_ETH_P_TEB)
		return inner_ether(p + off, len - off, in, inlen);
	if (ethertype_l3(proto) != PKT_OK)
		return PKT_NOT_TCP; /* MPLS, PPP, ...: not followed */
	*in = p + off;
	*inlen = len - off;
	return PKT_OK;
}

/* ERSPAN after a GRE header (off): type I has no header of its own (GRE
 * without sequence number), type II 8 bytes, type III 12 (+8 with the
 * optional platform subheader); the mirrored frame is Ethernet. */
static enum packet_verdict erspan(const uint8_t *p, uint32_t len, uint32_t off, uint16_t proto,
				  bool seq, const uint8_t **in, uint32_t *inlen)
{
	if (proto == J4S_ETH_P_ERSPAN && seq) {
		if (off + 8 > len)
			return PKT_TRUNCATED;
		if (p[off] >> 4 != 1) /* version 1 is type II */
			return PKT_MALFORMED;
		off += 8;
	} else if (proto == J4S_ETH_P_ERSPAN3) {
		if (off + 12 > len)
			return PKT_TRUNCATED;
		if (p[off] >> 4 != 2) /* version 2 is type III */
			return PKT_MALFORMED;
		if ((rd16(p + off + 10) >> 10) & 0x1f) /* frame type: 0 is Ethernet */
			return PKT_NOT_TCP;
		off += p[off + 11] & 1 ? 20 : 12; /* O: platform subheader */
	}
	if (off > len)
		return PKT_TRUNCATED;
	return inner_ether(p + off, len - off, in, inlen);
}

/* GRE (RFC 2784, 2890): version 0, optional checksum, key and sequence. */
static enum packet_verdict gre(const uint8_t *p, uint32_t len, const uint8_t **in, uint32_t *inlen,
			       uint8_t *kind)
{
	uint16_t flags, proto;
	uint32_t off = 4;

	if (len < 4)
		return PKT_TRUNCATED;
	flags = rd16(p);
	proto = rd16(p + 2);
	if (flags & 0x4007) /* source routing (RFC 1701) or version 1 (PPTP) */
		return PKT_NOT_TCP;
	off += flags & 0x8000 ? 4 : 0; /* checksum + reserved */
	off += flags & 0x2000 ? 4 : 0; /* key */
	off += flags & 0x1000 ? 4 : 0; /* sequence number */
	if (proto == J4S_ETH_P_ERSPAN || proto == J4S_ETH_P_ERSPAN3) {
		*kind = PKT_TUN_ERSPAN;
		return erspan(p, len, off, proto, flags & 0x1000, in, inlen);
	}
	*kind = PKT_TUN_GRE;
	return inner_at(p, len, off, proto, in, inlen);
}

/* Geneve (RFC 8926): 8 bytes, options, then the protocol type. */
static enum packet_verdict geneve(const uint8_t *p, uint32_t len, const uint8_t **in,
				  uint32_t *inlen)
{
	if (len < 8)
		return PKT_TRUNCATED;
	if (p[0] >> 6) /* version 0 only */
		return PKT_MALFORMED;
	return inner_at(p, len, 8 + (uint32_t)(p[0] & 0x3f) * 4, rd16(p + 2), in, inlen);
}

/* Extension headers of a GTP-U packet: each a length in 4-byte units and,
 * last, the type of the next one. More than this many is not a real
 * packet. */
#define GTPU_EXT_MAX 8

/* GTP-U (3GPP TS 29.281): a G-PDU carries an IP packet. */
static enum packet_verdict gtpu(const uint8_t *p, uint32_t len, const uint8_t **in, uint32_t *inlen)
{
	uint32_t off = 8, end;
	uint8_t next = 0;

	if (len < 8)
		return PKT_TRUNCATED;
	if (p[0] >> 5 != 1 || !(p[0] & 0x10)) /* version 1, protocol type GTP */
		return PKT_MALFORMED;
	if (p[1] != 0xff) /* not a G-PDU: echo, error indication, end marker */
		return PKT_NOT_TCP;
	end = 8 + (uint32_t)rd16(p + 2);
	if (end < len)
		len = end;
	if (p[0] & 0x07) { /* E, S or PN: sequence, N-PDU, next extension type */
		if (len < 12)
			return PKT_TRUNCATED;
		next = p[0] & 0x04 ? p[11] : 0;
		off = 12;
	}
	for (int i = 0; next; i++) {
		uint32_t elen;

		if (i == GTPU_EXT_MAX)
			return PKT_MALFORMED;
		if (off + 1 > len)
			return PKT_TRUNCATED;
		elen = (uint32_t)p[off] * 4;
		if (!elen)
			return PKT_MALFORMED;
		if (off + elen > len)
			return PKT_TRUNCATED;
		next = p[off + elen - 1];
		off += elen;
	}
	if (off >= len)
		return PKT_TRUNCATED;
	*in = p + off;
	*inlen = len - off;
	return PKT_OK;
}

/* An IEEE 802.11 data frame (as CAPWAP carries it, no FCS): header, then
 * LLC/SNAP with the ethertype. */
static enum packet_verdict ieee80211(const uint8_t *p, uint32_t len, const uint8_t **in,
				     uint32_t *inlen)
{
	static const uint8_t snap[6] = { 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00 };
	uint32_t off = 24;
	uint8_t fc0, fc1;

	if (len < 24)
		return PKT_TRUNCATED;
	fc0 = p[0];
	fc1 = p[1];
	/* Cisco access points send the frame control field byte-swapped
	 * (Wireshark's CAPWAP "swap frame control" preference): the protocol
	 * version, always 0, is then in the wrong byte. */
	if ((fc0 & 0x03) && !(fc1 & 0x03)) {
		fc0 = p[1];
		fc1 = p[0];
	}
	if ((fc0 & 0x0c) != 0x08 || (fc0 & 0x40)) /* not data, or a null frame */
		return PKT_NOT_TCP;
	if (fc1 & 0x40) /* protected: encrypted */
		return PKT_NOT_TCP;
	/* More fragments follow. (The fragment number is not trusted: some
	 * access points fill it in unfragmented frames. A later fragment has
	 * no LLC/SNAP header and stops below.) */
	if (fc1 & 0x04)
		return PKT_FRAGMENT;
	off += (fc1 & 0x03) == 0x03 ? 6 : 0; /* ToDS and FromDS: a fourth address */
	if (fc0 & 0x80)                      /* QoS data: QoS control, maybe HT control */
		off += fc1 & 0x80 ? 6 : 2;
	if (off + 8 > len)
		return PKT_TRUNCATED;
	if (memcmp(p + off, snap, sizeof(snap)))
		return PKT_NOT_TCP;
	return inner_at(p, len, off + 8, rd16(p + off + 6), in, inlen);
}

/* CAPWAP data channel (RFC 5415, 5416): a header of HLEN words, then an
 * 802.3 frame (T = 0) or, T = 1, the native frame of the wireless binding
 * (IEEE 802.11 only). DTLS-protected data and fragments are not followed. */
static enum packet_verdict capwap(const uint8_t *p, uint32_t len, const uint8_t **in,
				  uint32_t *inlen)
{
	uint32_t hlen, wbid;

	if (len < 8)
		return PKT_TRUNCATED;
	if (p[0] == 0x01) /* preamble type 1: a DTLS record follows */
		return PKT_NOT_TCP;
	if (p[0] != 0x00)
		return PKT_MALFORMED;
	hlen = (uint32_t)(p[1] >> 3) * 4;
	wbid = (uint32_t)(p[2] >> 1) & 0x1f;
	if (hlen < 8)
		return PKT_MALFORMED;
	if (p[3] & 0x80) /* F: a fragment */
		return PKT_FRAGMENT;
	if (p[3] & 0x08) /* K: data channel keep-alive */
		return PKT_NOT_TCP;
	if (hlen > len)
		return PKT_TRUNCATED;
	if (!(p[2] & 1))
		return inner_ether(p + hlen, len - hlen, in, inlen);
	if (wbid != 1)
		return PKT_NOT_TCP;
	return ieee80211(p + hlen, len - hlen, in, inlen);
}

/* Which tunnel a UDP datagram carries, by port: the destination port, and
 * for CAPWAP also the source port (the controller sends from 5247). */
static uint8_t udp_tunnel_kind(uint16_t sport, uint16_t dport)
{
	switch (dport) {
	case J4S_PORT_VXLAN:
	case J4S_PORT_VXLAN_LINUX:
		return PKT_TUN_VXLAN;
	case J4S_PORT_GENEVE:
		return PKT_TUN_GENEVE;
	case J4S_PORT_GTPU:
		return PKT_TUN_GTPU;
	case J4S_PORT_CAPWAP:
		return PKT_TUN_CAPWAP;
	}
	return sport == J4S_PORT_CAPWAP ? PKT_TUN_CAPWAP : PKT_TUN_NONE;
}

/* A UDP datagram of a tunnel port. PKT_NOT_TCP, without a look at the
 * rest, when it is to none: other UDP is for the caller. */
static enum packet_verdict udp_tunnel(const uint8_t *p, uint32_t avail, uint32_t wire,
				      const uint8_t **in, uint32_t *inlen, uint8_t *kind)
{
	uint16_t ulen;

	if (avail < 4)
		return PKT_NOT_TCP; /* not even the ports: nothing to follow */
	*kind = udp_tunnel_kind(rd16(p), rd16(p + 2));
	/* CAPWAP is also known by its source port, which any client may have
	 * (behind a NAT): a datagram from it that starts with no CAPWAP
	 * preamble (0 or 1) is that client's own, e.g. a QUIC Initial. */
	if (*kind == PKT_TUN_CAPWAP && rd16(p + 2) != J4S_PORT_CAPWAP && avail >= 9 && p[8] > 0x01)
		*kind = PKT_TUN_NONE;
	if (*kind == PKT_TUN_NONE)
		return PKT_NOT_TCP;
	if (avail < 8)
		return wire < 8 ? PKT_MALFORMED : PKT_TRUNCATED;
	ulen = rd16(p + 4);
	if (ulen < 8 || ulen > wire)
		return PKT_MALFORMED;
	if (ulen < avail)
		avail = ulen;
	p += 8;
	avail -= 8;
	switch (*kind) {
	case PKT_TUN_VXLAN:
		if (avail < 8)
			return PKT_TRUNCATED;
		if (!(p[0] & 0x08)) /* I flag: the VNI is valid */
			return PKT_MALFORMED;
		return inner_ether(p + 8, avail - 8, in, inlen);
	case PKT_TUN_GENEVE:
		return geneve(p, avail, in, inlen);
	case PKT_TUN_GTPU:
		return gtpu(p, avail, in, inlen);
	}
	return capwap(p, avail, in, inlen);
}

/*
 * One encapsulation after an IP header: the inner L3 packet in *in, *inlen
 * and its kind. PKT_NOT_TCP when nx carries no tunnel we follow.
 */
static enum packet_verdict tunnel_decap(const struct pkt_info *pi, const struct ip_next *nx,
					const uint8_t **in, uint32_t *inlen, uint8_t *kind)
{
	bool v6 = pi->family == AF_INET6;

	switch (nx->proto) {
	case J4S_IPPROTO_IPIP:
	case J4S_IPPROTO_IPV6:
		*kind = nx->proto == J4S_IPPROTO_IPIP ? (v6 ? PKT_TUN_IPIP6 : PKT_TUN_IPIP)
						      : (v6 ? PKT_TUN_IP6IP6 : PKT_TUN_SIT);
		if (nx->avail < 1)
			return PKT_TRUNCATED;
		/* The inner version must be the one the protocol number names. */
		if (nx->p[0] >> 4 != (nx->proto == J4S_IPPROTO_IPIP ? 4 : 6))
			return PKT_MALFORMED;
		*in = nx->p;
		*inlen = nx->avail;
		return PKT_OK;
	case J4S_IPPROTO_GRE:
		return gre(nx->p, nx->avail, in, inlen, kind);
	case J4S_IPPROTO_UDP:
		return udp_tunnel(nx->p, nx->avail, nx->wire, in, inlen, kind);
	}
	return PKT_NOT_TCP;
}

static enum packet_verdict parse(const uint8_t *l3, uint32_t caplen, struct pkt_info *pi, bool lax)
{
	/* Inside tunnels whose packets were captured whole, caplen is the
	 * inner packet's real length, not a capture's cut: an inner IP length
	 * past it is a lie the decapsulating receiver drops the packet for
	 * (ip_rcv(): "skb->len < len"). Not after ERSPAN, whose mirror
	 * session may cut frames. */
	bool exact = false;

	memset(pi->tunnel, PKT_TUN_NONE, sizeof(pi->tunnel));
	pi->bad_csum = false;
	pi->ext_hdrs = false;
	for (int depth = 0;; depth++) {
		struct ip_next nx;
		enum packet_verdict v = parse_ip(l3, caplen, pi, &nx, lax);
		uint8_t kind = PKT_TUN_NONE;

		if (v != PKT_OK)
			return v;
		if (exact && nx.wire > nx.avail)
			return PKT_MALFORMED;
		if (nx.proto == J4S_IPPROTO_TCP)
			return parse_tcp(nx.p, nx.avail, nx.wire, pi);
		/* Tunnels first: their UDP ports are not for the UDP handling
		 * that may follow (QUIC to the listen ports). */
		v = tunnel_decap(pi, &nx, &l3, &caplen, &kind);
		/* UDP that is no tunnel's: for QUIC (a tunnel port's datagram
		 * that carries no user packet stays not_tcp). */
		if (v == PKT_NOT_TCP && nx.proto == J4S_IPPROTO_UDP && kind == PKT_TUN_NONE)
			return parse_udp(nx.p, nx.avail, nx.wire, pi);
		if (v != PKT_OK)
			return v;
		if (depth == J4S_TUNNEL_MAX)
			return PKT_TUNNEL_DEPTH;
		pi->tunnel[depth] = kind;
		exact = (exact || !depth) && nx.avail == nx.wire && kind != PKT_TUN_ERSPAN;
	}
}

enum packet_verdict packet_parse(const uint8_t *l3, uint32_t caplen, struct pkt_info *pi)
{
	return parse(l3, caplen, pi, false);
}

enum packet_verdict packet_parse_file(const uint8_t *l3, uint32_t caplen, struct pkt_info *pi)
{
	return parse(l3, caplen, pi, true);
}

/* Name of an option kind into buf (>= 12 bytes); returns its length. */
static size_t opt_name(uint8_t kind, char *buf)
{
	static const char *const names[] = {
		[0] = "EOL",    [1] = "NOP",  [2] = "MSS",
		[3] = "WScale", [4] = "SACK", [8] = "Timestamps",
	};
	size_t n = 3;

	if (kind < sizeof(names) / sizeof(names[0]) && names[kind]) {
		n = strlen(names[kind]);
		memcpy(buf, names[kind], n);
		return n;
	}
	memcpy(buf, "Opt", 3);
	if (kind >= 100)
		buf[n++] = (char)('0' + kind / 100);
	if (kind >= 10)
		buf[n++] = (char)('0' + kind / 10 % 10);
	buf[n++] = (char)('0' + kind % 10);
	return n;
}

void packet_tcp_meta(const uint8_t *opts, uint32_t len, struct tcp_meta *tm)
{
	size_t pos = 0;
	uint32_t i = 0;

	tm->mss = -1;
	tm->wscale = -1;
	tm->options[0] = '\0';
	while (i < len) {
		uint8_t kind = opts[i];
		uint32_t olen = 1;

		if (pos + 12 >= sizeof(tm->options))
			break;
		if (pos)
			tm->options[pos++] = ',';
		pos += opt_name(kind, tm->options + pos);
		tm->options[pos] = '\0';
		if (kind == 0)
			break;
		if (kind != 1) {
			if (i + 1 >= len || opts[i + 1] < 2 || i + opts[i + 1] > len)
				break; /* bad length: stop, keep what was read */
			olen = opts[i + 1];
			if (kind == 2 && olen == 4)
				tm->mss = rd16(opts + i + 2);
			else if (kind == 3 && olen == 3)
				tm->wscale = opts[i + 2];
		}
		i += olen;
	}
}

/* Same walk as tcp_parse_md5sig_option() (net/ipv4/tcp.c, 5.10 to 6.6;
 * tcp_do_parse_auth_options() since 6.7 finds a well-formed one the same
 * way): it stops at EOL, at a bad length, and once fewer than 18 bytes are
 * left; only kind 19 of length exactly 18 counts. */
#define TCPOPT_MD5SIG  19
#define TCPOLEN_MD5SIG 18
bool packet_tcp_md5(const uint8_t *opts, uint32_t len)
{
	uint32_t i = 0;

	while (len - i >= TCPOLEN_MD5SIG) {
		uint8_t kind = opts[i], olen;

		if (kind == 0)
			return false;
		if (kind == 1) {
			i++;
			continue;
		}
		olen = opts[i + 1];
		if (olen < 2 || olen > len - i)
			return false;
		if (kind == TCPOPT_MD5SIG)
			return olen == TCPOLEN_MD5SIG;
		i += olen;
	}
	return false;
}

/* tcp_parse_options()'s walk (net/ipv4/tcp_input.c): it stops at EOL, at
 * a length below 2 or past the end; a timestamp is kind 8 of length 10. */
bool packet_tcp_tsval(const uint8_t *opts, uint32_t len, uint32_t *tsval)
{
	bool seen = false;
	uint32_t i = 0;

	while (i < len) {
		uint8_t kind = opts[i], olen;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (len - i < 2)
			break;
		olen = opts[i + 1];
		if (olen < 2 || olen > len - i)
			break;
		if (kind == 8 && olen == 10) {
			*tsval = rd32(opts + i + 2);
			seen = true;
		}
		i += olen;
	}
	return seen;
}

/* Dotted quad without sprintf: one of these per record. */
static void ipv4_str(const uint8_t *a, char *o)
{
	for (int i = 0; i < 4; i++) {
		uint8_t b = a[i];

		if (b >= 100)
			*o++ = (char)('0' + b / 100);
		if (b >= 10)
			*o++ = (char)('0' + b / 10 % 10);
		*o++ = (char)('0' + b % 10);
		*o++ = i < 3 ? '.' : '\0';
	}
}

/*
 * RFC 5952 text of an IPv6 address, character for character what glibc's
 * inet_ntop() writes (the unit tests compare the two on thousands of
 * addresses): lower-case hex without leading zeros, the first longest run
 * of two or more zero fields as "::", and the dotted quad for IPv4-mapped
 * (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses. inet_ntop
 * formats each field with sprintf: ~4,300 instructions an address, two per
 * record of an IPv6 client. Returns the length.
 */
static size_t ipv6_str(const uint8_t *a, char *out)
{
	static const char hex[] = "0123456789abcdef";
	int best = -1, best_len = 0, cur = -1, cur_len = 0;
	uint16_t w[8];
	char *o = out;

	for (int i = 0; i < 8; i++) {
		w[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);
		if (!w[i]) {
			if (cur < 0)
				cur = i, cur_len = 0;
			if (++cur_len > best_len)
				best = cur, best_len = cur_len;
		} else {
			cur = -1;
		}
	}
	if (best_len < 2)
		best = -1;
	for (int i = 0; i < 8; i++) {
		unsigned int v = w[i];

		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				*o++ = ':';
			continue;
		}
		if (i)
			*o++ = ':';
		if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff))) {
			ipv4_str(a + 12, o);
			return (size_t)(o - out) + strlen(o);
		}
		if (v >= 0x1000)
			*o++ = hex[v >> 12];
		if (v >= 0x100)
			*o++ = hex[(v >> 8) & 15];
		if (v >= 0x10)
			*o++ = hex[(v >> 4) & 15];
		*o++ = hex[v & 15];
	}
	if (best >= 0 && best + best_len == 8)
		*o++ = ':';
	*o = '\0';
	return (size_t)(o - out);
}

void packet_addr_str(uint8_t family, const uint8_t *addr, char *buf, uint32_t size)
{
	char tmp[48];
	size_t n;

	if (family != AF_INET6) {
		if (size >= 16)
			ipv4_str(addr, buf);
		else if (!inet_ntop(AF_INET, addr, buf, size) && size)
			buf[0] = '\0';
		return;
	}
	n = ipv6_str(addr, tmp);
	if (n < size)
		memcpy(buf, tmp, n + 1);
	else if (size)
		buf[0] = '\0'; /* too small: empty, never a cut address, as inet_ntop */
}

const char *packet_verdict_str(enum packet_verdict v)
{
	static const char *const s[PKT_VERDICT_MAX] = {
		[PKT_OK] = "ok",
		[PKT_NOT_IP] = "not_ip",
		[PKT_NOT_TCP] = "not_tcp",
		[PKT_FRAGMENT] = "fragment",
		[PKT_TRUNCATED] = "truncated",
		[PKT_MALFORMED] = "malformed",
		[PKT_UNSUPPORTED] = "unsupported_link",
		[PKT_TUNNEL_DEPTH] = "tunnel_depth",
		[PKT_BAD_CSUM] = "bad_ip_checksum",
		[PKT_IP_OPTIONS] = "ip_options_dropped",
	};
	return v < PKT_VERDICT_MAX ? s[v] : "?";
}

const char *packet_tunnel_name(uint8_t kind)
{
	static const char *const s[PKT_TUN_MAX] = {
		[PKT_TUN_NONE] = "none",     [PKT_TUN_IPIP] = "ipip",
		[PKT_TUN_SIT] = "sit",       [PKT_TUN_IP6IP6] = "ip6ip6",
		[PKT_TUN_IPIP6] = "ipip6",   [PKT_TUN_GRE] = "gre",
		[PKT_TUN_ERSPAN] = "erspan", [PKT_TUN_VXLAN] = "vxlan",
		[PKT_TUN_GENEVE] = "geneve", [PKT_TUN_GTPU] = "gtpu",
		[PKT_TUN_CAPWAP] = "capwap",
	};
	return kind < PKT_TUN_MAX ? s[kind] : "?";
}

void packet_tunnel_str(const uint8_t *tunnel, char *buf, uint32_t size)
{
	uint32_t pos = 0;

	if (!size)
		return;
	buf[0] = '\0';
	for (int i = 0; i < J4S_TUNNEL_MAX && tunnel[i]; i++) {
		const char *n = packet_tunnel_name(tunnel[i]);
		size_t len = strlen(n);

		if (pos + len + 2 > size)
			break;
		if (pos)
			buf[pos++] = ',';
		memcpy(buf + pos, n, len);
		pos += (uint32_t)len;
		buf[pos] = '\0';
	}
}
