/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * packet: the one L2/L3/L4 parser of every capture mode.
 *
 * Capture backends hand a struct packet that starts at the L3 header
 * (packet_strip_link() gets there from a pcap link layer); packet_parse()
 * turns it into a struct pkt_info whose pointers point into the packet.
 * No allocation, no I/O; bad packets are data and come back as a verdict.
 */
#ifndef J4S_PACKET_H
#define J4S_PACKET_H

#include <stdbool.h>
#include <stdint.h>
#include "abi.h"

/* What every backend hands downstream. */
struct packet {
	const uint8_t *data; /* from the L3 header on */
	uint32_t caplen;     /* bytes at data */
	uint32_t origlen;    /* L3 length on the wire, >= caplen (stats: captured_short) */
	uint64_t ts_ns;      /* realtime, Unix ns: record timestamps only */
	/* The clock flows age on (design.md §10): CLOCK_MONOTONIC in live modes,
	 * so a wall-clock step neither stalls expiry nor expires every hello in
	 * flight; the packet time itself when reading a file. */
	uint64_t mono_ns;
	uint32_t ifindex; /* 0 when unknown (files); read by nobody yet */
	/* Read from a capture file (--read): its IPv4 header checksums need
	 * not be the ones the receiver got (packet_parse_file(); the pipeline
	 * decides by the source). Live captures are taken on the receiving
	 * host ahead of its IP layer: theirs are. */
	bool from_file;
	/* A QUIC datagram of a new connection the kernel's bucket had no
	 * token for (J4S_EV_UDP_HELD): kept, not decrypted, until its client
	 * proves its address (quic.c, "held Initials"). */
	bool quic_held;
};

/*
 * The ageing time of a packet the kernel stamped with the wall clock at
 * ts_real, read when the clocks said real_now and mono_now: mono_now minus
 * how long ago the packet came (packet spacing kept, so syn_to_clienthello_ms
 * stays exact), never later than mono_now. A wall-clock step before the
 * capture moves ts_real and real_now alike and cancels out; one between
 * capture and read (packets of one read only) is bounded to
 * PACKET_MONO_MAX_AGO, a third of the default flow timeout.
 */
#define PACKET_MONO_MAX_AGO (10ULL * 1000000000ULL)
static inline uint64_t packet_mono_ns(uint64_t ts_real, uint64_t real_now, uint64_t mono_now)
{
	uint64_t ago = real_now > ts_real ? real_now - ts_real : 0;

	if (ago > PACKET_MONO_MAX_AGO)
		ago = PACKET_MONO_MAX_AGO;

	return ago < mono_now ? mono_now - ago : 0;
}

enum packet_verdict {
	PKT_OK = 0,
	PKT_NOT_IP,       /* link layer carries something else (ARP, LLDP, ...) */
	PKT_NOT_TCP,      /* IP but neither TCP nor UDP, or an IPv6 header chain we stop at */
	PKT_FRAGMENT,     /* IP fragment: never reassembled, ignored */
	PKT_TRUNCATED,    /* headers cut by the capture length */
	PKT_MALFORMED,    /* header lengths or version inconsistent */
	PKT_UNSUPPORTED,  /* unknown link type */
	PKT_TUNNEL_DEPTH, /* more than J4S_TUNNEL_MAX encapsulations */
	PKT_BAD_CSUM,     /* IPv4 header checksum wrong: the receiver drops it */
	PKT_IP_OPTIONS,   /* IPv4 options or IPv6 extension headers the receiver drops it for */
	PKT_VERDICT_MAX,
};

/*
 * Whether an IPv4 header's checksum is right (RFC 1071: the one's
 * complement sum of its 16-bit words, the checksum field included, is
 * 0xffff), over its ihl bytes (a multiple of 4, captured). Linux's
 * ip_rcv_core() drops a packet whose sum is not before TCP, UDP or the
 * defragmenter see it, so neither may the sensor use it. By hand: none of
 * the libraries we link (libc, libpcap, OpenSSL, json-c) offers an
 * Internet checksum, and this runs on every packet: the 20-byte header of
 * the hot path is ten 16-bit adds and two folds.
 */
static inline bool packet_ipv4_csum_ok(const uint8_t *h, uint32_t ihl)
{
	uint32_t s = 0;

	for (uint32_t i = 0; i + 4 <= ihl; i += 4)
		s += (uint32_t)(h[i] << 8 | h[i + 1]) + (uint32_t)(h[i + 2] << 8 | h[i + 3]);
	/* At most 30 words: two folds take every carry back in. */
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

/* TCP flags, wire values. */
#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_PSH 0x08
#define TCPF_ACK 0x10
#define TCPF_URG 0x20

/* Encapsulations packet_parse() removes (include/abi.h), outermost first in
 * pkt_info.tunnel; names by packet_tunnel_name(). */
enum pkt_tunnel {
	PKT_TUN_NONE = 0,
	PKT_TUN_IPIP,   /* IPv4 in IPv4 */
	PKT_TUN_SIT,    /* IPv6 in IPv4 (6in4) */
	PKT_TUN_IP6IP6, /* IPv6 in IPv6 */
	PKT_TUN_IPIP6,  /* IPv4 in IPv6 (4in6) */
	PKT_TUN_GRE,    /* GRE carrying IP or Ethernet */
	PKT_TUN_ERSPAN, /* GRE carrying ERSPAN type I, II or III */
	PKT_TUN_VXLAN,
	PKT_TUN_GENEVE,
	PKT_TUN_GTPU,
	PKT_TUN_CAPWAP,
	PKT_TUN_MAX,
};

struct pkt_info {
	uint8_t family;        /* AF_INET or AF_INET6 */
	uint8_t ttl;           /* TTL / hop limit */
	uint8_t df;            /* IPv4 DF bit; 0 for IPv6 */
	uint8_t tcp_flags;     /* 0 for UDP */
	uint8_t proto;         /* J4S_IPPROTO_TCP or J4S_IPPROTO_UDP */
	uint16_t ip_id;        /* IPv4 ID, host order; 0 for IPv6 */
	uint16_t ip_total_len; /* IPv4 total length; IPv6: 40 + payload length */
	uint8_t src[16];       /* network order; IPv4 in the first 4 bytes */
	uint8_t dst[16];
	uint16_t sport, dport; /* host order */
	uint32_t seq, ack;     /* host order */
	uint16_t window;       /* unscaled, host order */
	uint16_t urg_ptr;      /* TCP urgent pointer, host order (meaningful with TCPF_URG) */
	uint8_t tcp_opt_len;   /* bytes of TCP options */
	const uint8_t *tcp_opts;
	const uint8_t *payload; /* captured payload bytes */
	uint32_t payload_len;   /* captured; may be less than on the wire */
	uint32_t payload_wire;  /* payload length by the IP header */
	/* Encapsulations removed, outermost first, PKT_TUN_NONE after the
	 * last; addresses, IP meta and TCP above are the innermost packet's. */
	uint8_t tunnel[J4S_TUNNEL_MAX];
	/* packet_parse_file(): an IPv4 header (outer or inner) had a wrong
	 * checksum and was read on. */
	bool bad_csum;
	/* The innermost IPv6 header had extension headers before TCP/UDP. */
	bool ext_hdrs;
};

/*
 * Find the L3 header behind a pcap link layer (DLT_EN10MB, LINUX_SLL and
 * LINUX_SLL2 with up to two 802.1Q, 802.1ad or 0x9100 tags as the kernel
 * program follows them (include/abi.h), RAW, IPV4, IPV6, NULL, LOOP).
 * On PKT_OK, *l3 and *l3len describe the L3 packet.
 */
enum packet_verdict packet_strip_link(int linktype, const uint8_t *data, uint32_t caplen,
				      const uint8_t **l3, uint32_t *l3len);

/* Whether packet_strip_link() knows this link type. */
bool packet_link_supported(int linktype);

/* Parse IPv4/IPv6 (options; the extension headers the kernel program
 * follows, as deep) and TCP, or UDP (QUIC: pi->proto says which; a UDP
 * datagram has no seq/ack/window/options), decapsulating the tunnels of
 * include/abi.h up to J4S_TUNNEL_MAX deep. */
enum packet_verdict packet_parse(const uint8_t *l3, uint32_t caplen, struct pkt_info *pi);

/*
 * packet_parse() for a packet of a capture file: an IPv4 header whose
 * checksum is wrong is read on, with pi->bad_csum set, instead of
 * PKT_BAD_CSUM. A file may come from the sending host, whose NIC fills
 * the checksum in after the capture (checksum offload: macOS, Windows and
 * BSD leave 0 there), or from a tool that rewrote addresses and left the
 * checksum stale; 46 of the 267 reference captures have such packets,
 * the hellos among them. The receiver got them right. Whether such a
 * packet is used is the caller's decision (the pipeline's file_csum()).
 */
enum packet_verdict packet_parse_file(const uint8_t *l3, uint32_t caplen, struct pkt_info *pi);

/* TCP option digest of a SYN (or of the first hello segment). */
struct tcp_meta {
	int32_t mss;       /* -1 when absent */
	int32_t wscale;    /* -1 when absent */
	char options[320]; /* kinds in wire order: "MSS,NOP,WScale,SACK,Timestamps,EOL,Opt<N>" */
};

void packet_tcp_meta(const uint8_t *opts, uint32_t len, struct tcp_meta *tm);

/* Whether TCP options carry an MD5 signature (RFC 2385), found as Linux's
 * receive path finds it (tcp_parse_md5sig_option()): a segment with one is
 * dropped by a socket that has no MD5 key, i.e. by every TLS server. */
bool packet_tcp_md5(const uint8_t *opts, uint32_t len);

/* Whether the receiving Linux drops an IPv4 packet with these options
 * (malformed, a source route, CIPSO): see packet.c. */
bool packet_ipv4_opts_dropped(const uint8_t *opts, uint32_t len);

/* The TSval of a TCP timestamp option, found as tcp_parse_options() finds
 * it (the last well-formed one); false without one. */
bool packet_tcp_tsval(const uint8_t *opts, uint32_t len, uint32_t *tsval);

/* Text of an address (RFC 5952 for IPv6) into buf of at least 46 bytes. */
void packet_addr_str(uint8_t family, const uint8_t *addr, char *buf, uint32_t size);

const char *packet_verdict_str(enum packet_verdict v);

/* "vxlan", "gre", ... of an enum pkt_tunnel; "?" for others. */
const char *packet_tunnel_name(uint8_t kind);

/* Names of pi->tunnel outermost first, comma-joined, into buf (size >= 64
 * holds any); "" when the packet was not tunnelled. */
void packet_tunnel_str(const uint8_t *tunnel, char *buf, uint32_t size);

#endif
