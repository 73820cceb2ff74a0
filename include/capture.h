/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * capture: backends that hand L3 packets to the pipeline. This header is
 * the only way the rest of the program sees libpcap (and later libbpf and
 * libxdp): capture_*.c include them, nothing else does.
 */
#ifndef J4S_CAPTURE_H
#define J4S_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include "packet.h"

struct capture;

struct capture_stats {
	uint64_t frames;                     /* read from the source */
	uint64_t link[PKT_VERDICT_MAX];      /* link layer verdicts (ok = handed on) */
};

struct config;

/* Live: libpcap on an interface ("any" = all), immediate mode, the filter
 * applied in the kernel, non-blocking; nanosecond timestamps. */
struct capture *capture_pcap_open_live(const char *iface, const char *filter,
				       uint32_t buffer_bytes, char *err, size_t errlen);

/* The pcap filter for a configuration: core.bpf_filter verbatim, else
 * generated from the listen ports. Caller frees. */
char *capture_pcap_filter(const struct config *cfg);

/* Selectable fd of a live capture, for the event loop. */
int capture_fd(const struct capture *c);

/* Hand every packet ready now to cb; returns how many, or -1 with err. */
int capture_pcap_dispatch(struct capture *c, void (*cb)(void *ctx, const struct packet *pkt),
			  void *ctx, char *err, size_t errlen);

/* Kernel-side counters of a live capture (received, dropped by the buffer). */
int capture_pcap_kstats(struct capture *c, uint64_t *recv, uint64_t *drop);

/* Offline: a .pcap or .pcapng file ("-" = stdin), nanosecond timestamps. */
struct capture *capture_pcap_open_file(const char *path, char *err, size_t errlen);

/*
 * Next L3 packet into *pkt (valid until the next call). Frames whose link
 * layer is not IP are counted and skipped. Returns 1, 0 at end of file, or
 * -1 with a message in err.
 */
int capture_pcap_next(struct capture *c, struct packet *pkt, char *err, size_t errlen);

/* Link type name ("EN10MB", "LINUX_SLL2", ...). */
const char *capture_link_name(const struct capture *c);
const struct capture_stats *capture_get_stats(const struct capture *c);
void capture_close(struct capture *c);

#endif
