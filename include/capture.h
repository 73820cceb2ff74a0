/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * capture: backends that hand L3 packets to the pipeline - a pcap file,
 * live libpcap, and the eBPF programs (tc, xdp) through a ring buffer. This
 * header is the only way the rest of the program sees libpcap, libbpf and
 * libxdp: the capture_*.c files include them, nothing else does.
 */
#ifndef J4S_CAPTURE_H
#define J4S_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "packet.h"

struct capture;
struct config;
struct json_object;

/*
 * Capture modes: what core.capture_mode and --mode choose (auto, tc, xdp,
 * pcap) and what a running capture is (tc, xdp, pcap, or file for --read).
 * capture_mode_name() is the one place their names are spelled, for the
 * configuration, the logs and the JSON.
 */
enum capture_mode {
	CAPTURE_AUTO = 0, /* configuration only: tc, then pcap */
	CAPTURE_TC,
	CAPTURE_XDP,
	CAPTURE_PCAP,
	CAPTURE_FILE, /* --read only, never configured */
	CAPTURE_MODE_MAX,
};

/* "auto", "tc", "xdp", "pcap", "file"; "?" for anything else. */
const char *capture_mode_name(enum capture_mode m);

typedef void (*capture_cb)(void *ctx, const struct packet *pkt);

/*
 * What one dispatch slice may still take, so that a flood cannot keep the
 * event loop from its signals and timer: a count of events or packets and a
 * deadline on the monotonic clock, read every CAPTURE_SLICE_CLOCK_EVERY
 * events. The clock is a parameter so the unit tests can drive it.
 */
struct capture_budget {
	uint64_t (*clock)(void); /* monotonic, ns */
	uint64_t deadline;       /* ns on clock */
	uint32_t left;           /* events still allowed */
	uint32_t until_clock;    /* events before the clock is read again */
	bool spent;              /* the slice ended on its budget, not on empty input */
};

/* A slice of at most events and ns nanoseconds from now. */
void capture_budget_start(struct capture_budget *b, uint32_t events, uint64_t ns,
			  uint64_t (*clock)(void));

/* Charge n events; false once the budget is spent (and from then on). */
bool capture_budget_charge(struct capture_budget *b, uint32_t n);

/* Events the slice may take at most before the clock is read again:
 * backends that hand over packets in batches (pcap) ask for this many. */
uint32_t capture_budget_chunk(const struct capture_budget *b);

struct capture_stats {
	uint64_t frames;                /* read from the source */
	uint64_t link[PKT_VERDICT_MAX]; /* link layer verdicts (ok = handed on) */
	uint64_t filtered;              /* dropped by core.bpf_filter run in userspace */
	bool user_filter;               /* core.bpf_filter runs in userspace */
};

/* Offline: a .pcap or .pcapng file ("-" = stdin), nanosecond timestamps
 * (capture_file.c, include/capfile.h). */
struct capture *capture_file_open(const char *path, char *err, size_t errlen);

/*
 * Next L3 packet of a file into *pkt (valid until the next call). Frames
 * whose link layer is not IP, or that core.bpf_filter drops, are counted
 * and skipped. Returns 1, 2 when only skipped frames came (a few thousand:
 * the caller may look at its signals, then call again), 0 at end of file,
 * or -1 with a message in err.
 */
int capture_file_next(struct capture *c, struct packet *pkt, char *err, size_t errlen);

/*
 * Where a file read stands, for --read's progress: *pos bytes read so far
 * (-1 when the input cannot say, a pipe), *size the file's size (-1 when
 * not a regular file: a pipe, a FIFO, a socket, whose records must go out
 * as they are found since the input may pause for ever).
 */
void capture_file_pos(const struct capture *c, int64_t *pos, int64_t *size);

/* Live: libpcap on an interface ("any" = all), TPACKET_V3 blocks handed
 * over when full or after a short timeout, the filter applied in the
 * kernel, non-blocking; nanosecond timestamps. vlan: what widens a
 * generated filter to VLAN-tagged frames on Ethernet
 * (capture_pcap_vlan_clause()), NULL for none. */
struct capture *capture_pcap_open_live(const char *iface, const char *filter, const char *vlan,
				       uint32_t buffer_bytes, char *err, size_t errlen);

/* The pcap filter for a configuration: core.bpf_filter verbatim, else
 * generated from the listen ports. Caller frees. */
char *capture_pcap_filter(const struct config *cfg);

/* " or vlan", with the SYN-ACK direction of capture_pcap_filter() inside
 * when it has one. */
const char *capture_pcap_vlan_clause(const struct config *cfg);

/* eBPF: load the programs, fill their maps from the configuration and
 * attach at TC ingress (a TCX link, else clsact) or XDP, and at TC egress in
 * both (the server's SYN-ACKs), on core.interface ("any" = every
 * up, non-loopback interface). Undoes everything on failure. */
struct capture *capture_tc_open(const struct config *cfg, char *err, size_t errlen);
struct capture *capture_xdp_open(const struct config *cfg, char *err, size_t errlen);

/*
 * core.bpf_filter where the kernel does not run it: the eBPF modes (tc,
 * xdp) run it in userspace on every packet their programs pass up (SYNs,
 * SYN-ACKs, hello segments, FIN/RST) before the flow path, a file on every
 * frame; pcap mode has it in the kernel already (capture_pcap_open_live).
 * 0, or -1 with err. Drops are counted (struct capture_stats.filtered).
 */
int capture_set_user_filter(struct capture *c, const char *expr, char *err, size_t errlen);

/* Whether expr can run on what the eBPF modes pass up: IP packets without
 * a link layer (ether, vlan, mpls, pppoe cannot). 0, or -1 with err. */
int capture_filter_l3_check(const char *expr, char *err, size_t errlen);

/* Selectable fd of a live capture, for the event loop. */
int capture_fd(const struct capture *c);

/*
 * Hand the packets ready now to cb, one bounded slice of them (at most
 * CAPTURE_SLICE_EVENTS, CAPTURE_SLICE_MS): returns how many, or -1 with
 * err. *more is set when the slice ended on its budget with input still
 * waiting: call again soon, even if the fd does not say ready.
 */
int capture_dispatch(struct capture *c, capture_cb cb, void *ctx, bool *more, char *err,
		     size_t errlen);

/* Kernel-side counters into o (pcap: received/dropped; eBPF: j4s_stats). */
void capture_stats_json(struct capture *c, struct json_object *o);

/* Packets (pcap: capture buffer full) or events (eBPF: ring buffer full)
 * lost in the kernel before userspace saw them, since the start. */
uint64_t capture_lost(struct capture *c);

/* The capabilities (privs.h bits) that capture_close() will still need to
 * detach, as attached now: main keeps these and drops the rest. pcap and
 * TCX links need none; clsact filters CAP_NET_ADMIN. */
uint64_t capture_detach_caps(struct capture *c);
/*
 * The host's addresses changed (core.local_ips: []): the eBPF modes
 * replace the contents of j4s_local, adding before removing so that no
 * hello to an address kept is lost meanwhile. pcap mode has nothing to do:
 * its kernel filter leaves addresses to the pipeline when they are
 * automatic. 0 or -errno.
 */
struct cidr;
int capture_set_local_ips(struct capture *c, const struct cidr *list, uint32_t n);

/* Whether the kernel's token bucket holds unvalidated hellos back (the
 * eBPF modes); otherwise the pipeline's own does (live pcap). */
bool capture_kernel_limits(const struct capture *c);
/* What filters in the kernel, for the startup log; NULL: the pcap filter. */
const char *capture_kernel_filter(const struct capture *c);
/* Where core.bpf_filter runs, for the startup log. */
const char *capture_filter_where(const struct capture *c);
/* What capture_lost() counts and in what buffer, for the loss warning. */
void capture_lost_names(const struct capture *c, const char **what, const char **where);

enum capture_mode capture_get_mode(const struct capture *c);
const char *capture_link_name(const struct capture *c);
/* The interfaces a live capture is attached to ("eth0,ens5": what
 * interface any became in the eBPF modes), or NULL when it is the
 * configured one as is (pcap, file). */
const char *capture_ifaces(const struct capture *c);
const struct capture_stats *capture_get_stats(const struct capture *c);
void capture_close(struct capture *c);

/* For --version: whether the eBPF modes are built in and the libbpf/libxdp
 * versions (built with, running), and libpcap's; one line each on f. */
void capture_bpf_print_versions(FILE *f);
void capture_pcap_print_version(FILE *f);
/* Whether this build has the eBPF modes (false: make BPF=0, el8). */
bool capture_bpf_built(void);

#endif
