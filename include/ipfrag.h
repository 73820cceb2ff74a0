/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * ipfrag: IP defragmentation as the receiving Linux stack does it
 * (net/ipv4/ip_fragment.c, net/ipv6/reassembly.c, inet_fragment.c), so a
 * ClientHello the server's stack rebuilds from fragments is rebuilt here
 * too and goes through packet_parse() as any other packet (design.md §13:
 * a client that fragments its hello must not go unrecorded).
 *
 * Datagrams are keyed by (source, destination, IP ID, protocol) for IPv4,
 * (source, destination, fragment ID) for IPv6. A fragment inside data
 * already held is a duplicate and ignored; any other overlap discards the
 * whole datagram (RFC 5722; Linux since 4.19 for IPv4). A datagram is done
 * when its last fragment and every byte before it are in; longer than
 * 65,535 bytes it is discarded. An IPv6 first fragment that does not hold
 * the upper-layer header is dropped (RFC 7112). Datagrams time out
 * (ipfrag_time 30 s, ip6frag_time 60 s, from the first fragment on the
 * packet clock) and are bounded in count and bytes, for each address family
 * apart as Linux's stores are; over either, as Linux over
 * ipfrag_high_thresh, no fragment of that family is taken until timeouts
 * free room.
 * No allocation per packet beyond a datagram's buffers; no I/O.
 */
#ifndef J4S_IPFRAG_H
#define J4S_IPFRAG_H

#include <stdbool.h>
#include <stdint.h>

/* Linux's defaults: net.ipv4.ipfrag_time, net.ipv6.ip6frag_time. */
#define IPFRAG_TIMEOUT_V4_NS (30ULL * 1000000000ULL)
#define IPFRAG_TIMEOUT_V6_NS (60ULL * 1000000000ULL)
/* Datagrams in progress at once, and bytes they hold, per address family
 * (Linux's ipfrag_high_thresh is 4 MiB per namespace and family: IPv4's,
 * and IPv6's ip6frag_high_thresh). */
#define IPFRAG_MAX_DATAGRAMS 16384
#define IPFRAG_MAX_BYTES     (4u << 20)
/* Linux's net.ipv4.ipfrag_max_dist. */
#define IPFRAG_MAX_DIST 64
/* The largest IP packet rebuilt (IPv4 total length, IPv6 40 + payload). */
#define IPFRAG_MAX_PACKET (40 + 65535)

struct ipfrag_config {
	uint32_t max_datagrams;
	uint32_t max_bytes;
	uint64_t timeout_v4_ns, timeout_v6_ns;
};

/* One counter per outcome (stats line, packets group, ipfrag_*). */
struct ipfrag_stats {
	uint64_t fragments;   /* IP fragments handed in */
	uint64_t reassembled; /* datagrams rebuilt and handed to the parser */
	uint64_t duplicates;  /* fragments inside data already held: ignored */
	uint64_t overlaps;    /* datagrams discarded: a fragment overlapped another */
	uint64_t bad_length;  /* datagrams discarded: two ends, data past the end, empty fragment */
	uint64_t too_big;     /* datagrams discarded: longer than 65,535 bytes */
	uint64_t ecn;         /* datagrams discarded: ECN not-ECT mixed with ECT/CE */
	uint64_t dropped;     /* fragments dropped alone: IPv6 length not a multiple
				 of 8 or past 65,535, bad header lengths, a bad
				 IPv4 header checksum (a direct caller's: the
				 parser drops those first, bad_ip_checksum) */
	uint64_t no_upper;    /* IPv6 first fragments without the upper-layer header */
	uint64_t truncated;   /* fragments cut by the capture: cannot be rebuilt */
	uint64_t timeouts;    /* datagrams that did not complete in time */
	uint64_t refused;     /* fragments not taken: the table over its count or byte bound */
	uint64_t too_far;     /* IPv4 datagrams started over: over IPFRAG_MAX_DIST fragments
			       * from their source since their last one (ipfrag_max_dist) */
	uint64_t nomem;       /* datagrams dropped: allocation failed */
};

enum ipfrag_result {
	IPFRAG_NOT_FRAGMENT = 0, /* not an IP fragment (e.g. a tunnel's own fragment) */
	IPFRAG_HELD,             /* kept, or ignored; the datagram is not whole yet */
	IPFRAG_DONE,             /* *out holds the whole IP packet */
};

struct ipfrag_table;

struct ipfrag_table *ipfrag_new(const struct ipfrag_config *cfg, const uint8_t seed[16]);
void ipfrag_free(struct ipfrag_table *t);

/*
 * One L3 packet of caplen captured bytes whose header says it is a
 * fragment. On IPFRAG_DONE *out / *outlen are the rebuilt IP packet (the
 * first fragment's headers, lengths set, fragment fields cleared, the IPv6
 * fragment header removed), valid until the next call on t.
 */
/* Whether IPv4 fragments with a wrong header checksum are dropped
 * (counted as dropped), as the receiver drops them: yes from the start.
 * No for the fragments of a capture file (struct packet.from_file). */
void ipfrag_check_csum(struct ipfrag_table *t, bool check);

enum ipfrag_result ipfrag_add(struct ipfrag_table *t, const uint8_t *l3, uint32_t caplen,
			      uint64_t now, const uint8_t **out, uint32_t *outlen);

/* Drop datagrams whose time ran out at now; returns how many. */
uint32_t ipfrag_expire(struct ipfrag_table *t, uint64_t now);

uint32_t ipfrag_count(const struct ipfrag_table *t);
uint64_t ipfrag_bytes(const struct ipfrag_table *t);
const struct ipfrag_stats *ipfrag_get_stats(const struct ipfrag_table *t);

#endif
