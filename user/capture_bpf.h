/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Private to capture_bpf.c, capture_tc.c and capture_xdp.c: the state of an
 * eBPF capture and the attach/detach calls each hook provides.
 */
#ifndef J4S_CAPTURE_BPF_H
#define J4S_CAPTURE_BPF_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include "capture_priv.h"

#define BPF_MAX_IFACES 64

struct ja4sentinel_bpf;
struct ring_buffer;
struct xdp_program;

struct bpf_cap {
	struct capture *c;
	struct ja4sentinel_bpf *skel;
	struct ring_buffer *rb;
	bool xdp;
	bool xdp_generic;     /* core.xdp_generic: skb mode allowed */
	bool pinned;
	uint32_t n_ifaces;
	int ifindex[BPF_MAX_IFACES];
	char ifname[BPF_MAX_IFACES][IF_NAMESIZE];
	bool attached[BPF_MAX_IFACES];
	bool l3dev[BPF_MAX_IFACES];        /* frames start at the IP header */
	bool hook_created[BPF_MAX_IFACES]; /* tc: we created the clsact qdisc */
	int tcx_link[BPF_MAX_IFACES];      /* tc: TCX link fd, 0 when clsact */
	int xdp_mode[BPF_MAX_IFACES];      /* xdp: the mode that attached */
	/* j4s_tc_egress, in both modes (capture_tc_attach_egress). */
	bool eg_attached[BPF_MAX_IFACES];
	bool eg_hook_created[BPF_MAX_IFACES]; /* we created the clsact qdisc for it */
	int eg_link[BPF_MAX_IFACES];          /* TCX egress link fd, 0 when clsact */
	struct xdp_program *xprog;
	uint64_t mono_to_real; /* realtime - monotonic, ns */
	capture_cb cb;
	void *cb_ctx;
};

struct capture *capture_bpf_open(const struct config *cfg, bool xdp, char *err, size_t errlen);

/* What the kernel and our rights allow, checked before anything is
 * attached; on failure why says it in an operator's words. */
int capture_bpf_probe(bool xdp, char *why, size_t len);

/* core.interface: one name, or "any" = every up, non-loopback interface. */
int capture_bpf_interfaces(struct bpf_cap *b, const char *iface, char *err, size_t errlen);

/* Why the last program load failed, from the verifier's log; NULL if it did
 * not say. capture_bpf_load_error() writes the operator's error for a
 * failed load of prog (errnum: the errno libbpf left). */
const char *capture_bpf_refused(void);
void capture_bpf_refused_clear(void);
void capture_bpf_load_error(char *err, size_t errlen, const char *prog, int errnum);

int capture_tc_attach(struct bpf_cap *b, char *err, size_t errlen);
void capture_tc_detach(struct bpf_cap *b);
/* j4s_tc_egress on every interface, in tc and xdp mode: the server's
 * SYN-ACKs for handshake validation. Detach before the ingress side. */
int capture_tc_attach_egress(struct bpf_cap *b, char *err, size_t errlen);
void capture_tc_detach_egress(struct bpf_cap *b);
int capture_xdp_attach(struct bpf_cap *b, char *err, size_t errlen);
void capture_xdp_detach(struct bpf_cap *b);

#endif
