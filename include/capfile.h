/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * capfile: the reader of capture files for --read, classic pcap and pcapng,
 * from a regular file or a pipe. Written here rather than read through
 * libpcap's savefile code, which
 *  - refuses a pcapng file whose interfaces have different link types,
 *    which dumpcap writes whenever it captures on interfaces of different
 *    kinds at once (an Ethernet NIC and a WireGuard or tun device, "any");
 *  - cuts a classic file's packets to the snap length its header states,
 *    so a tool that wrote a small snap length over whole packets loses the
 *    hellos (Wireshark reads them whole, as the server received them);
 *  - copies every byte twice (read() into stdio's buffer, then fread() into
 *    its own), with a call per header and per packet: about a fifth of a
 *    read of a bulk capture.
 * Here a file is read with read() into one buffer and each packet handed
 * out in place. Only what a packet needs is read: classic pcap (micro- or
 * nanosecond, either byte order, the modified "Kuznetzov" record header),
 * and pcapng's Section Header, Interface Description (link type, snap
 * length, if_tsresol, if_tsoffset), Enhanced, Simple and the obsolete
 * Packet blocks, in either byte order and any number of sections; other
 * blocks are skipped. Every length is checked against what holds it.
 */
#ifndef J4S_CAPFILE_H
#define J4S_CAPFILE_H

#include <stddef.h>
#include <stdint.h>

/* Largest classic pcap packet record: libpcap's and Wireshark's limit
 * (262,144 bytes) for every link type we read. */
#define CAPFILE_MAX_PACKET (256u << 10)
/* Largest pcapng block read; libpcap's limit for a block is the same. */
#define PCAPNG_MAX_BLOCK (16u << 20)
/* Interfaces per pcapng section (a Packet Block names one in 16 bits). */
#define PCAPNG_MAX_IFACES 65536

enum capfile_format {
	CAPFILE_PCAP = 1,
	CAPFILE_PCAPNG,
};

struct capfile_packet {
	const uint8_t *data; /* valid until the next call */
	uint32_t caplen, origlen;
	uint64_t ts_ns; /* Unix time, ns */
	int linktype;   /* of the packet's interface, as a DLT_ value */
};

struct capfile;

/*
 * A reader of fd from where it stands (the reader does not close it): the
 * format is told by the first four bytes, a classic file's header read.
 * NULL with err set (not a capture, cut short, out of memory).
 */
struct capfile *capfile_open(int fd, char *err, size_t errlen);
void capfile_close(struct capfile *r);

/* The next packet: 1; 2 when CAPFILE_SKIP_MAX pcapng blocks without a
 * packet came (call again: the caller may look at its signals between);
 * 0 at the end of the file; -1 on an error (err says what and where; the
 * packets before it were read). A read() cut short by a signal is an
 * error (EINTR): a signal stops a read from a pipe. */
#define CAPFILE_SKIP_MAX 4096
int capfile_next(struct capfile *r, struct capfile_packet *pkt, char *err, size_t errlen);

enum capfile_format capfile_format(const struct capfile *r);
/* A classic file's link type (DLT_ value); a pcapng file's first
 * interface's (its packets' are per interface), -1 when it has none in its
 * first MiB. */
int capfile_link(const struct capfile *r);
/* Bytes of the input consumed so far. */
uint64_t capfile_offset(const struct capfile *r);

/* A file's LINKTYPE_ value as the DLT_ value libpcap gives it (raw IP is
 * 101 in files, 12 for the filter compiler). */
int capfile_dlt(uint32_t linktype);

#endif
