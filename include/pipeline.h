/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pipeline: packet -> flow -> hello -> fingerprints -> record -> outputs,
 * the one path every capture mode feeds (design.md §2). It owns the flow
 * table and the scratch buffers; it is driven by packet time (and, live,
 * by the loop's tick for expiry when no packet comes), so a replayed
 * capture gives the records live capture gave. Flows age on packet.mono_ns
 * (CLOCK_MONOTONIC live, packet time offline); the wall clock only dates
 * records.
 */
#ifndef J4S_PIPELINE_H
#define J4S_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>
#include "flow.h"
#include "hello.h"
#include "packet.h"
#include "record.h"

struct output;
struct config;
struct quic_stats;
struct quic_hold_stats;
struct ipfrag_stats;

struct pipeline_stats {
	uint64_t packets;                /* handed in */
	uint64_t bytes;                  /* captured L3 bytes handed in */
	uint64_t captured_short;         /* caplen < origlen: cut by the capture */
	uint64_t parse[PKT_VERDICT_MAX]; /* per packet verdict */
	uint64_t not_listen;             /* TCP not to a listen port */
	uint64_t synacks;                /* server SYN-ACKs from a listen port */
	uint64_t synacks_forged;         /* live: in fragments, tunnels, IPv6 ext headers */
	uint64_t quic_server_forged; /* server QUIC datagrams ignored so, while Initials are kept */
	uint64_t excluded;           /* source in exclude_source_ips */
	uint64_t not_local;          /* destination not in local_ips */
	uint64_t hello_verdict[HELLO_VERDICT_MAX]; /* hello_parse() of complete messages */
	uint64_t fp_errors;                        /* hashing failed */
	uint64_t records;                          /* records handed to the outputs */
	uint64_t udp_ignored;                      /* UDP to a listen port with core.quic off */
	uint64_t bad_csum_kept; /* capture files: packets with a wrong IPv4 header checksum
				 * used, their source having sent no right one before */
};

struct pipeline;

/* all_ports: track every TCP port (offline reads with no listen_ports set).
 * limit_unvalidated: unvalidated hellos through core.unvalidated_rate's
 * bucket (live pcap mode; the eBPF modes limit them in the kernel). */
struct pipeline *pipeline_new(const struct config *cfg, bool all_ports, bool limit_unvalidated,
			      struct output **outs, uint32_t n_outs);
void pipeline_free(struct pipeline *p);

/* Replace the local_ips the pipeline filters on (core.local_ips: [] as
 * the host's addresses change). list stays the caller's, valid until the
 * next call or pipeline_free. */
void pipeline_set_local(struct pipeline *p, const struct cidr *list, uint32_t n);

/* One L3 packet. */
void pipeline_packet(struct pipeline *p, const struct packet *pkt);
/* Expire flows at ageing time now (packet.mono_ns's clock: CLOCK_MONOTONIC
 * live); called about once a second of that clock. */
void pipeline_tick(struct pipeline *p, uint64_t now);

const struct pipeline_stats *pipeline_get_stats(const struct pipeline *p);
const struct flow_stats *pipeline_flow_stats(const struct pipeline *p);
const struct record_stats *pipeline_record_stats(const struct pipeline *p);
const struct fp_hash_stats *pipeline_hash_stats(const struct pipeline *p);
uint32_t pipeline_flow_count(const struct pipeline *p);
/* QUIC connection table (NULL / 0 when core.quic is off). */
const struct quic_stats *pipeline_quic_stats(const struct pipeline *p);
uint32_t pipeline_quic_count(const struct pipeline *p);
/* Kept QUIC datagrams (include/quic_hold.h); only when pipeline_quic_stats(). */
const struct quic_hold_stats *pipeline_quic_hold_stats(const struct pipeline *p);
uint32_t pipeline_quic_hold_count(const struct pipeline *p);
/* IP defragmentation (include/ipfrag.h). */
const struct ipfrag_stats *pipeline_ipfrag_stats(const struct pipeline *p);
uint32_t pipeline_ipfrag_count(const struct pipeline *p);

#endif
