// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * TC attachment: ingress (tc mode) and egress (both eBPF modes, for the
 * server's SYN-ACKs). A TCX link where the kernel has it (6.6+): the
 * kernel detaches it when the process dies, however it dies. Else a
 * clsact qdisc and libbpf's bpf_tc_* calls: our filter has a fixed handle
 * and priority, attached with REPLACE, so a filter a crashed run left
 * behind is taken over rather than making the attach fail; a clean stop
 * removes it, and the qdisc too when we created it. libbpf 1.1 has no TCX
 * API, so the link is made with bpf_link_create and the UAPI values of
 * BPF_TCX_INGRESS and BPF_TCX_EGRESS. One set of calls serves both
 * directions (struct tc_dir, struct tc_side).
 *
 * The tc backend: its struct bpf_hook, and the open that drives
 * capture_bpf.c's steps (load, then fill the maps, then attach).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "abi.h"
#include "capture_bpf.h"
#include "ja4sentinel.skel.h"
#include "log.h"
#include "privs.h"

#define J4S_TC_HANDLE 0x4a34 /* "J4" */
#define J4S_TC_PRIO   0x4a34

/* One direction: its program and hook, and the TCX attach type (enum
 * bpf_attach_type values of the kernel 6.6 UAPI, which older headers lack). */
struct tc_dir {
	const char *prog;
	const char *name;
	enum bpf_tc_attach_point point;
	int tcx_type;
};

static const struct tc_dir tc_ingress = { "j4s_tc", "ingress", BPF_TC_INGRESS, 46 };
static const struct tc_dir tc_egress = { "j4s_tc_egress", "egress", BPF_TC_EGRESS, 47 };

/* Remove a clsact filter of ours that a killed run left (before TCX). */
static void remove_leftover_filter(struct bpf_cap *b, uint32_t i, const struct tc_dir *d)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = b->ifindex[i], .attach_point = d->point);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = J4S_TC_HANDLE, .priority = J4S_TC_PRIO);
	/* Usually there is nothing to remove: keep libbpf's complaint out of the log. */
	libbpf_print_fn_t old = libbpf_set_print(NULL);
	int rc = bpf_tc_detach(&hook, &opts);

	libbpf_set_print(old);
	if (!rc)
		log_info("tc", "removed a %s filter left on %s by an earlier run", d->prog,
			 b->ifname[i]);
}

static int attach_tcx(struct bpf_cap *b, struct tc_side *s, uint32_t i, const struct tc_dir *d,
		      int prog)
{
	int fd;

	/* Test hook (docs/testing.md): the clsact path of kernels before 6.6. */
	if (getenv("JA4SENTINEL_TEST_NO_TCX"))
		return -1;
	fd = bpf_link_create(prog, b->ifindex[i], (enum bpf_attach_type)d->tcx_type, NULL);
	if (fd < 0)
		return -1;
	remove_leftover_filter(b, i, d);
	s->tcx_link[i] = fd;
	s->attached[i] = true;
	log_info("tc", "%s attached to %s (ifindex %d) %s with a TCX link", d->prog, b->ifname[i],
		 b->ifindex[i], d->name);
	return 0;
}

static int attach_one(struct bpf_cap *b, struct tc_side *s, uint32_t i, const struct tc_dir *d,
		      int prog, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = b->ifindex[i], .attach_point = d->point);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = J4S_TC_HANDLE, .priority = J4S_TC_PRIO,
		    .flags = BPF_TC_F_REPLACE, .prog_fd = prog);
	int rc;

	if (!attach_tcx(b, s, i, d, prog))
		return 0;
	rc = bpf_tc_hook_create(&hook);
	if (rc && rc != -EEXIST) {
		snprintf(err, errlen, "tc: creating the clsact qdisc on %s: %s", b->ifname[i],
			 strerror(-rc));
		return -1;
	}
	s->hook_created[i] = rc == 0;
	rc = bpf_tc_attach(&hook, &opts);
	if (rc) {
		snprintf(err, errlen, "tc: attaching to %s %s: %s", b->ifname[i], d->name,
			 strerror(-rc));
		return -1;
	}
	s->attached[i] = true;
	log_info("tc", "%s attached to %s (ifindex %d) %s%s", d->prog, b->ifname[i], b->ifindex[i],
		 d->name, s->hook_created[i] ? ", clsact qdisc created" : "");
	return 0;
}

static int attach_side(struct bpf_cap *b, struct tc_side *s, const struct tc_dir *d, int prog,
		       char *err, size_t errlen)
{
	for (uint32_t i = 0; i < b->n_ifaces; i++)
		if (attach_one(b, s, i, d, prog, err, errlen))
			return -1;
	return 0;
}

static void detach_side(struct bpf_cap *b, struct tc_side *s, const struct tc_dir *d)
{
	for (uint32_t i = 0; i < b->n_ifaces; i++) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = b->ifindex[i], .attach_point = d->point);
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = J4S_TC_HANDLE, .priority = J4S_TC_PRIO);
		int rc;

		if (s->tcx_link[i] > 0) {
			close(s->tcx_link[i]); /* the link goes with its last fd */
			s->tcx_link[i] = 0;
		} else if (s->attached[i] && (rc = bpf_tc_detach(&hook, &opts)) && rc != -ENOENT) {
			log_warn("tc", "detaching %s from %s: %s", d->prog, b->ifname[i],
				 strerror(-rc));
		}
		s->attached[i] = false;
		if (s->hook_created[i]) {
			/* Only the qdisc we made, and only with nothing else in it. */
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
			s->hook_created[i] = false;
		}
	}
}

static uint64_t side_caps(const struct bpf_cap *b, const struct tc_side *s)
{
	for (uint32_t i = 0; i < b->n_ifaces; i++)
		if ((s->attached[i] && s->tcx_link[i] <= 0) || s->hook_created[i])
			return PRIVS_BIT(CAP_NET_ADMIN); /* netlink RTM_DELTFILTER, DELQDISC */
	return 0;
}

static uint64_t tc_detach_caps(const struct bpf_cap *b)
{
	return capture_tc_egress_caps(b) | (b->hook_state ? side_caps(b, b->hook_state) : 0);
}

static int tc_attach(struct bpf_cap *b, char *err, size_t errlen)
{
	struct tc_side *t = calloc(1, sizeof(*t));

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	b->hook_state = t;
	return attach_side(b, t, &tc_ingress, bpf_program__fd(b->skel->progs.j4s_tc), err, errlen);
}

static void tc_detach(struct bpf_cap *b)
{
	capture_tc_detach_egress(b); /* first: the ingress side may remove the qdisc */
	if (b->hook_state)
		detach_side(b, b->hook_state, &tc_ingress);
	free(b->hook_state);
	b->hook_state = NULL;
}

static const struct bpf_hook tc_hook = {
	.ops = { .mode = CAPTURE_TC,
		 .filter_where = "applied in userspace to the packets the tc program passes up",
		 CAPTURE_BPF_OPS },
	.prog = "j4s_tc",
	.prog_type = BPF_PROG_TYPE_SCHED_CLS,
	.prog_kind = "TC (sched_cls)",
	.detach = tc_detach,
	.detach_caps = tc_detach_caps,
};

struct capture *capture_tc_open(const struct config *cfg, char *err, size_t errlen)
{
	struct bpf_cap *b = capture_bpf_new(cfg, &tc_hook, err, errlen);

	if (!b)
		return NULL;
	if (capture_bpf_load(b, err, errlen) || capture_bpf_fill_maps(b, cfg, err, errlen) ||
	    tc_attach(b, err, errlen) || capture_tc_attach_egress(b, err, errlen)) {
		capture_bpf_free(b);
		return NULL;
	}
	return capture_bpf_start(b, err, errlen);
}

/* ---- egress: the server's SYN-ACKs, in tc and xdp mode ---- */

int capture_tc_attach_egress(struct bpf_cap *b, char *err, size_t errlen)
{
	return attach_side(b, &b->egress, &tc_egress, bpf_program__fd(b->skel->progs.j4s_tc_egress),
			   err, errlen);
}

void capture_tc_detach_egress(struct bpf_cap *b)
{
	detach_side(b, &b->egress, &tc_egress);
}

uint64_t capture_tc_egress_caps(const struct bpf_cap *b)
{
	return side_caps(b, &b->egress);
}
