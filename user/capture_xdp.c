// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * XDP attachment through libxdp, so the program shares an interface with
 * other XDP programs through the dispatcher (not on kernels before 5.18:
 * see dispatcher_or_not). Native mode; generic (skb)
 * mode only when core.xdp_generic allows it. A j4s_xdp that a crashed run
 * left in an interface's dispatcher is removed before attaching.
 *
 * The xdp backend: its struct bpf_hook, and the open that drives
 * capture_bpf.c's steps; libxdp loads the object as it attaches, so the
 * maps are filled after the attach. XDP sees no egress: the server's
 * SYN-ACKs come from j4s_tc_egress, attached by capture_tc.c's code.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>
#include "abi.h"
#include "capture_bpf.h"
#include "config.h"
#include "ja4sentinel.skel.h"
#include "log.h"
#include "privs.h"

/* What xdp attached, per interface of the struct bpf_cap. */
struct xdp_state {
	struct xdp_program *xprog; /* libxdp's handle of the skeleton's program */
	bool generic_ok;           /* core.xdp_generic: skb mode allowed */
	bool attached[BPF_MAX_IFACES];
	int mode[BPF_MAX_IFACES];    /* enum xdp_attach_mode that attached */
	bool legacy[BPF_MAX_IFACES]; /* j4s_xdp itself is on the interface, no dispatcher */
};

static int libxdp_log(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	log_vlib(level == LIBXDP_WARN ? LOG_INFO : LOG_DEBUG, "libxdp", fmt, ap);
	return 0;
}

/* Detach any j4s_xdp still on ifindex (left by a run that was killed). */
static void remove_leftover(int ifindex, const char *ifname)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p = NULL;

	if (!mp || libxdp_get_error(mp))
		return;
	while ((p = xdp_multiprog__next_prog(p, mp))) {
		if (strcmp(xdp_program__name(p), "j4s_xdp"))
			continue;
		if (!xdp_program__detach(p, ifindex, xdp_multiprog__attach_mode(mp), 0))
			log_info("xdp", "removed a j4s_xdp left on %s by an earlier run", ifname);
	}
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && !strcmp(xdp_program__name(p), "j4s_xdp") && !xdp_multiprog__detach(mp))
			log_info("xdp", "removed a j4s_xdp left on %s by an earlier run", ifname);
	}
	xdp_multiprog__close(mp);
}

static __u32 mode_flags(int mode)
{
	return mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
}

/* libxdp attached j4s_xdp alone (no dispatcher: no bpffs, an old kernel, or
 * the dispatcher refused): the interface's program id is ours. */
static bool is_legacy(const struct xdp_state *x, int ifindex, int mode)
{
	__u32 id = 0;

	return !bpf_xdp_query_id(ifindex, (int)mode_flags(mode), &id) &&
	       id == xdp_program__id(x->xprog);
}

static int attach_one(struct bpf_cap *b, struct xdp_state *x, uint32_t i, char *err, size_t errlen)
{
	int rc;

	remove_leftover(b->ifindex[i], b->ifname[i]);
	capture_bpf_refused_clear(); /* only a refusal during this attach counts */
	/* libxdp first loads its multi-program dispatcher and, where the
	 * kernel refuses it, attaches j4s_xdp alone: libbpf's four lines about
	 * that refusal (with an "ulimit -l" guess) are no fault of ours. A
	 * refusal of j4s_xdp itself is still reported below. */
	capture_bpf_log_quiet(true);
	rc = xdp_program__attach(x->xprog, b->ifindex[i], XDP_MODE_NATIVE, 0);
	capture_bpf_log_quiet(false);
	x->mode[i] = XDP_MODE_NATIVE;
	/* libxdp loads the program as it attaches: a refusal by the verifier is
	 * no attach failure, and generic mode would not help. */
	if (rc && capture_bpf_refused()) {
		capture_bpf_load_error(err, errlen, "j4s_xdp", -rc);
		return -1;
	}
	if (rc && x->generic_ok) {
		log_warn("xdp",
			 "%s: native XDP failed (%s); generic (skb) mode as "
			 "core.xdp_generic allows",
			 b->ifname[i], strerror(-rc));
		rc = xdp_program__attach(x->xprog, b->ifindex[i], XDP_MODE_SKB, 0);
		x->mode[i] = XDP_MODE_SKB;
	}
	if (rc) {
		snprintf(err, errlen, "xdp: attaching to %s: %s%s", b->ifname[i], strerror(-rc),
			 x->generic_ok ? ""
				       : " (set core.xdp_generic: true to allow generic mode)");
		return -1;
	}
	x->attached[i] = true;
	x->legacy[i] = is_legacy(x, b->ifindex[i], x->mode[i]);
	log_info("xdp", "j4s_xdp attached to %s (ifindex %d), %s mode%s", b->ifname[i],
		 b->ifindex[i], x->mode[i] == XDP_MODE_SKB ? "generic" : "native",
		 x->legacy[i] ? ", alone (no libxdp dispatcher: other XDP programs cannot share "
				"the interface)"
			      : "");
	return 0;
}

/* Without bpf_xdp_load_bytes (before 5.18) j4s_xdp copies frames in a
 * global function taking the context; the verifier of 5.10 refuses that in
 * the extension (freplace) program that libxdp's dispatcher would load, so
 * on such kernels the program is attached alone, as plain XDP. */
static void dispatcher_or_not(struct bpf_cap *b)
{
	if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_XDP, BPF_FUNC_xdp_load_bytes, NULL) > 0)
		return;
	setenv("LIBXDP_SKIP_DISPATCHER", "1", 1);
	log_info("xdp",
		 "kernel has no bpf_xdp_load_bytes (5.18+): j4s_xdp copies frames "
		 "itself and is attached without libxdp's dispatcher; another XDP "
		 "program cannot share %s",
		 b->n_ifaces > 1 ? "these interfaces" : b->ifname[0]);
}

/* libxdp loads the skeleton's object as it attaches the first time. */
static int xdp_attach(struct bpf_cap *b, const struct config *cfg, char *err, size_t errlen)
{
	struct xdp_state *x = calloc(1, sizeof(*x));

	if (!x) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	b->hook_state = x;
	x->generic_ok = cfg->xdp_generic;
	libxdp_set_print(libxdp_log);
	dispatcher_or_not(b);
	x->xprog = xdp_program__from_bpf_obj(b->skel->obj, "xdp");
	if (libxdp_get_error(x->xprog)) {
		snprintf(err, errlen, "xdp: %s", strerror(-(int)libxdp_get_error(x->xprog)));
		x->xprog = NULL;
		return -1;
	}
	for (uint32_t i = 0; i < b->n_ifaces; i++)
		if (attach_one(b, x, i, err, errlen))
			return -1;
	return 0;
}

static void xdp_detach(struct bpf_cap *b)
{
	struct xdp_state *x = b->hook_state;

	capture_tc_detach_egress(b);
	if (!x)
		return;
	for (uint32_t i = 0; i < b->n_ifaces && x->xprog; i++) {
		int rc;

		if (!x->attached[i])
			continue;
		if (x->legacy[i]) {
			/* By fd, replacing only our program: CAP_NET_ADMIN is
			 * enough, where libxdp's detach looks programs up by id
			 * (CAP_SYS_ADMIN), a right dropped once capture runs. */
			LIBBPF_OPTS(bpf_xdp_attach_opts, o,
				    .old_prog_fd = xdp_program__fd(x->xprog));

			rc = bpf_xdp_detach(b->ifindex[i], mode_flags(x->mode[i]), &o);
		} else {
			rc = xdp_program__detach(x->xprog, b->ifindex[i], x->mode[i], 0);
		}
		if (rc)
			log_warn("xdp", "detaching from %s: %s", b->ifname[i], strerror(-rc));
	}
	/* The skeleton owns the object: close only libxdp's handle of it. */
	xdp_program__close(x->xprog);
	free(x);
	b->hook_state = NULL;
}

/*
 * A program attached alone is detached by fd over netlink (CAP_NET_ADMIN).
 * One in libxdp's dispatcher is detached by libxdp, which looks programs up
 * by id (CAP_SYS_ADMIN) and may load a new dispatcher for the programs that
 * remain (CAP_BPF, CAP_PERFMON): those are kept, untested here (docs).
 */
static uint64_t xdp_detach_caps(const struct bpf_cap *b)
{
	const struct xdp_state *x = b->hook_state;
	uint64_t keep = capture_tc_egress_caps(b);

	for (uint32_t i = 0; x && i < b->n_ifaces; i++) {
		if (!x->attached[i])
			continue;
		keep |= PRIVS_BIT(CAP_NET_ADMIN);
		if (!x->legacy[i])
			keep |= PRIVS_BIT(CAP_SYS_ADMIN) | PRIVS_BIT(CAP_BPF) |
				PRIVS_BIT(CAP_PERFMON);
	}
	return keep;
}

static const struct bpf_hook xdp_hook = {
	.ops = { .mode = CAPTURE_XDP,
		 .filter_where = "applied in userspace to the packets the xdp program passes up",
		 CAPTURE_BPF_OPS },
	.prog = "j4s_xdp",
	.prog_type = BPF_PROG_TYPE_XDP,
	.prog_kind = "XDP",
	.detach = xdp_detach,
	.detach_caps = xdp_detach_caps,
};

struct capture *capture_xdp_open(const struct config *cfg, char *err, size_t errlen)
{
	struct bpf_cap *b = capture_bpf_new(cfg, &xdp_hook, err, errlen);

	if (!b)
		return NULL;
	if (xdp_attach(b, cfg, err, errlen) || capture_bpf_fill_maps(b, cfg, err, errlen) ||
	    capture_tc_attach_egress(b, err, errlen)) {
		capture_bpf_free(b);
		return NULL;
	}
	return capture_bpf_start(b, err, errlen);
}
