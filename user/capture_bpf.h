/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Private to capture_bpf.c, capture_tc.c and capture_xdp.c. The common
 * eBPF code (capture_bpf.c: probes, skeleton, maps, ring buffer, pins) is
 * called by the hook files and never calls them by name: a hook describes
 * itself in a struct bpf_hook (its capture operations, its program, its
 * detach), and its open function drives the steps:
 *
 *   b = capture_bpf_new(cfg, &hook)      probe, interfaces, skeleton opened
 *   capture_bpf_load(b) (or the hook's own loader, libxdp for XDP)
 *   capture_bpf_fill_maps(b, cfg)        ports, local and excluded addresses
 *   the hook attaches (its state in b->hook_state)
 *   c = capture_bpf_start(b)             ring buffer, pins: the capture
 *
 * On failure before capture_bpf_start the hook calls capture_bpf_free(b),
 * which calls hook->detach; after it capture_close() does the same.
 */
#ifndef J4S_CAPTURE_BPF_H
#define J4S_CAPTURE_BPF_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <bpf/bpf.h>
#include "capture_priv.h"
#include "config.h"

#define BPF_MAX_IFACES 64

struct ja4sentinel_bpf;
struct ring_buffer;
struct bpf_cap;

struct bpf_hook {
	struct capture_ops ops;       /* .mode is the hook's, the rest CAPTURE_BPF_OPS */
	const char *prog;             /* the skeleton's program: loaded, attached, pinned */
	enum bpf_prog_type prog_type; /* probed before anything is loaded */
	const char *prog_kind;        /* the program type in an operator's words */
	/* Undo the attach, whatever part of it was done; free hook_state.
	 * Called once, with hook_state NULL if the hook never set it. */
	void (*detach)(struct bpf_cap *b);
	/* The capabilities detach will need (PRIVS_BIT()s), attached as now. */
	uint64_t (*detach_caps)(const struct bpf_cap *b);
};

/* The capture operations every eBPF hook shares, for its struct bpf_hook. */
int capture_bpf_fd(const struct capture *c);
int capture_bpf_dispatch(struct capture *c, struct capture_budget *budget, capture_cb cb, void *ctx,
			 char *err, size_t errlen);
void capture_bpf_stats(struct capture *c, struct json_object *o);
uint64_t capture_bpf_lost(struct capture *c);
void capture_bpf_close(struct capture *c);
uint64_t capture_bpf_detach_caps(struct capture *c);
int capture_bpf_set_local(struct capture *c, const struct cidr *list, uint32_t n);

#define CAPTURE_BPF_OPS                                                                            \
	.kernel_limits = true,                                                                     \
	.kernel_filter = "in the kernel program (j4s_ports, j4s_local, j4s_excl)",                 \
	.lost_what = "events", .lost_where = "ring buffer", .fd = capture_bpf_fd,                  \
	.dispatch = capture_bpf_dispatch, .stats_json = capture_bpf_stats,                         \
	.lost = capture_bpf_lost, .close = capture_bpf_close,                                      \
	.detach_caps = capture_bpf_detach_caps, .set_local = capture_bpf_set_local

/* One TC direction's attachments, per interface (capture_tc.c). */
struct tc_side {
	bool attached[BPF_MAX_IFACES];
	bool hook_created[BPF_MAX_IFACES]; /* we created the clsact qdisc */
	int tcx_link[BPF_MAX_IFACES];      /* TCX link fd, 0 when clsact */
};

struct bpf_cap {
	const struct bpf_hook *hook;
	void *hook_state; /* the hook's own: attachments per interface */
	struct capture *c;
	struct ja4sentinel_bpf *skel;
	struct ring_buffer *rb;
	bool pinned;
	char pin_dir[PIN_DIR_MAX + 1]; /* core.pin_dir, "" = no pins */
	uint32_t n_ifaces;
	int ifindex[BPF_MAX_IFACES];
	char ifname[BPF_MAX_IFACES][IF_NAMESIZE];
	bool l3dev[BPF_MAX_IFACES]; /* frames start at the IP header */
	struct tc_side egress;      /* j4s_tc_egress, in both modes (capture_tc.c) */
	uint64_t mono_to_real;      /* realtime - monotonic, ns */
	capture_cb cb;
	void *cb_ctx;
	struct capture_budget *budget; /* of the dispatch in progress */
	int slice_count;               /* events handed on in it */
};

/* Probe what the kernel and our rights allow for hook (on failure err says
 * why in an operator's words), list core.interface's interfaces, open the
 * skeleton with only hook->prog to load. NULL with err on failure. */
struct bpf_cap *capture_bpf_new(const struct config *cfg, const struct bpf_hook *hook, char *err,
				size_t errlen);

/* Load the skeleton (the hooks that do not load through another library). */
int capture_bpf_load(struct bpf_cap *b, char *err, size_t errlen);

/* Fill the filter maps from the configuration; the object is loaded. */
int capture_bpf_fill_maps(struct bpf_cap *b, const struct config *cfg, char *err, size_t errlen);

/* Ring buffer and pins once attached: the capture, or NULL with err (b is
 * freed either way). */
struct capture *capture_bpf_start(struct bpf_cap *b, char *err, size_t errlen);

/* Detach (hook->detach), unpin, destroy the skeleton, free b. NULL is fine. */
void capture_bpf_free(struct bpf_cap *b);

/* Why the last program load failed, from the verifier's log; NULL if it did
 * not say. capture_bpf_load_error() writes the operator's error for a
 * failed load of prog (errnum: the errno libbpf left). */
const char *capture_bpf_refused(void);
void capture_bpf_refused_clear(void);
void capture_bpf_load_error(char *err, size_t errlen, const char *prog, int errnum);
/* While on, libbpf's warnings are logged at debug, not info (their verifier
 * reason is still kept): for steps whose failures the caller recovers from. */
void capture_bpf_log_quiet(bool quiet);

/* j4s_tc_egress on every interface, in tc and xdp mode (capture_tc.c): the
 * server's SYN-ACKs for handshake validation. A hook's detach calls
 * capture_tc_detach_egress() before its own: the ingress teardown may remove
 * the clsact qdisc. */
int capture_tc_attach_egress(struct bpf_cap *b, char *err, size_t errlen);
void capture_tc_detach_egress(struct bpf_cap *b);
/* What detaching the egress side needs: CAP_NET_ADMIN for clsact filters,
 * nothing for TCX links (closing the fd detaches). */
uint64_t capture_tc_egress_caps(const struct bpf_cap *b);

#endif
