// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The single packet parser: link layers of pcap, IPv4 (options, fragments),
 * IPv6 (extension headers), TCP (options). Every read is bounds-checked
 * against the captured length; nothing is allocated.
 */
#include <arpa/inet.h>
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
	pi->tcp_opts = p + 20;
	pi->tcp_opt_len = (uint8_t)(doff - 20);
	pi->payload = p + doff;
	pi->payload_len = avail - doff;
	pi->payload_wire = wire - doff;
	return PKT_OK;
}

/* UDP: the datagram's payload, for QUIC. */
static enum packet_verdict parse_udp(const uint8_t *p, uint32_t avail, uint32_t wire,
				     struct pkt_info *pi)
{
	if (wire < 8)
		return PKT_MALFORMED;
	if (avail < 8)
		return PKT_TRUNCATED;
	pi->proto = J4S_IPPROTO_UDP;
	pi->sport = rd16(p);
	pi->dport = rd16(p + 2);
	pi->seq = pi->ack = 0;
	pi->tcp_flags = 0;
	pi->window = 0;
	pi->tcp_opts = p + 8;
	pi->tcp_opt_len = 0;
	pi->payload = p + 8;
	pi->payload_len = avail - 8;
	pi->payload_wire = wire - 8;
	return PKT_OK;
}

static enum packet_verdict parse_ipv4(const uint8_t *p, uint32_t caplen, struct pkt_info *pi)
{
	uint32_t ihl, tot, avail;
	uint16_t frag;

	if (caplen < 20)
		return PKT_TRUNCATED;
	ihl = (uint32_t)(p[0] & 0x0f) * 4;
	tot = rd16(p + 2);
	if (ihl < 20 || tot < ihl)
		return PKT_MALFORMED;
	if (ihl > caplen)
		return PKT_TRUNCATED;
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
	if (p[9] != J4S_IPPROTO_TCP && p[9] != J4S_IPPROTO_UDP)
		return PKT_NOT_TCP;
	/* A capture may hold link padding past tot, or less than tot. */
	avail = (caplen < tot ? caplen : tot) - ihl;
	if (p[9] == J4S_IPPROTO_UDP)
		return parse_udp(p + ihl, avail, tot - ihl, pi);
	return parse_tcp(p + ihl, avail, tot - ihl, pi);
}

static enum packet_verdict parse_ipv6(const uint8_t *p, uint32_t caplen, struct pkt_info *pi)
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
			hlen = ((uint32_t)p[off + 1] + 2) * 4;
		} else {
			hlen = ((uint32_t)p[off + 1] + 1) * 8;
		}
		nh = p[off];
		off += hlen;
		if (off > end)
			return PKT_MALFORMED;
	}
	if (nh != J4S_IPPROTO_TCP && nh != J4S_IPPROTO_UDP)
		return PKT_NOT_TCP;
	if (off > caplen)
		return PKT_TRUNCATED;
	if (nh == J4S_IPPROTO_UDP)
		return parse_udp(p + off, (caplen < end ? caplen : end) - off, end - off, pi);
	return parse_tcp(p + off, (caplen < end ? caplen : end) - off, end - off, pi);
}

enum packet_verdict packet_parse(const uint8_t *l3, uint32_t caplen, struct pkt_info *pi)
{
	if (caplen < 1)
		return PKT_TRUNCATED;
	switch (l3[0] >> 4) {
	case 4:
		return parse_ipv4(l3, caplen, pi);
	case 6:
		return parse_ipv6(l3, caplen, pi);
	}
	return PKT_NOT_IP;
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

void packet_addr_str(uint8_t family, const uint8_t *addr, char *buf, uint32_t size)
{
	if (family != AF_INET6 && size >= 16)
		ipv4_str(addr, buf);
	else if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, buf, size) && size)
		buf[0] = '\0';
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
	};
	return v < PKT_VERDICT_MAX ? s[v] : "?";
}
