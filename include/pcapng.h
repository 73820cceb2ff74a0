/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pcapng: a reader of pcapng files whose interfaces have different link
 * types, for --read. libpcap (1.10) refuses such a file outright ("an
 * interface has a type ... different from the type of the first
 * interface"), yet dumpcap writes one whenever it captures on interfaces of
 * different kinds at once (an Ethernet NIC and a WireGuard or tun device,
 * or "any"); every other file still goes through libpcap. Only what a
 * packet needs is read: Section Header, Interface Description (link type,
 * snap length, if_tsresol, if_tsoffset), Enhanced, Simple and the obsolete
 * Packet blocks, in either byte order and any number of sections; other
 * blocks are skipped. Every length is checked against its block.
 */
#ifndef J4S_PCAPNG_H
#define J4S_PCAPNG_H

#include <stdint.h>
#include <stdio.h>

/* Largest block read; libpcap's limit for a block is the same 16 MiB. */
#define PCAPNG_MAX_BLOCK (16u << 20)
/* Interfaces per section (a Packet Block names one in 16 bits). */
#define PCAPNG_MAX_IFACES 65536

struct pcapng;

struct pcapng_packet {
	const uint8_t *data; /* valid until the next call */
	uint32_t caplen, origlen;
	uint64_t ts_ns; /* Unix time, ns */
	int linktype;   /* of the packet's interface */
};

/* A reader of f (positioned at the file's start; the reader does not close
 * it). NULL when out of memory. */
struct pcapng *pcapng_open(FILE *f);
void pcapng_close(struct pcapng *r);

/* The next packet: 1, 0 at the end of the file, -1 on an error (err says
 * what; the packets before it were read). */
int pcapng_next(struct pcapng *r, struct pcapng_packet *pkt, char *err, size_t errlen);

#endif
