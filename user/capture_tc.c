// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * TC attachment: ingress (tc mode) and egress (both eBPF modes, for the
 * server's SYN-ACKs). A TCX link where the kernel has it (6.6+): the
 * kernel detaches it when the process dies, however it dies. Else a
 * clsact qdisc and libbpf's bpf_tc_* calls: our filter has a fixed handle
 * and priority, attached with REPLACE, so a filter a crashed run left
 * behind is taken over rather than making the attach fail; a clean stop
 * removes it, and the qdisc too when we created it. libbpf 1.1 has no TCX
 * API, so the link is made with bpf_link_create and the UAPI value of
 * BPF_TCX_INGRESS, which older headers lack.
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

#define J4S_TC_HANDLE       0x4a34 /* "J4" */
#define J4S_TC_PRIO         0x4a34
#define J4S_BPF_TCX_INGRESS 46 /* enum bpf_attach_type, kernel 6.6 UAPI */

/* What tc attached, per interface of the struct bpf_cap. */
struct tc_state {
	bool attached[BPF_MAX_IFACES];
	bool hook_created[BPF_MAX_IFACES]; /* we created the clsact qdisc */
	int tcx_link[BPF_MAX_IFACES];      /* TCX link fd, 0 when clsact */
};

/* Remove a clsact filter of ours that a killed run left (before TCX). */
static void remove_leftover_filter(struct bpf_cap *b, uint32_t i)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = b->ifindex[i], .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = J4S_TC_HANDLE, .priority = J4S_TC_PRIO);
	/* Usually there is nothing to remove: keep libbpf's complaint out of the log. */
	libbpf_print_fn_t old = libbpf_set_print(NULL);
	int rc = bpf_tc_detach(&hook, &opts);

	libbpf_set_print(old);
	if (!rc)
		log_info("tc", "removed a j4s_tc filter left on %s by an earlier run",
			 b->ifname[i]);
}

static int attach_tcx(struct bpf_cap *b, struct tc_state *t, uint32_t i)
{
	int fd = bpf_link_create(bpf_program__fd(b->skel->progs.j4s_tc), b->ifindex[i],
				 (enum bpf_attach_type)J4S_BPF_TCX_INGRESS, NULL);

	if (fd < 0)
		return -1;
	remove_leftover_filter(b, i);
	t->tcx_link[i] = fd;
	t->attached[i] = true;
	log_info("tc", "j4s_tc attached to %s (ifindex %d) ingress with a TCX link", b->ifname[i],
		 b->ifindex[i]);
	return 0;
}

static int attach_one(struct bpf_cap *b, struct tc_state *t, uint32_t i, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = b->ifindex[i], .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = J4S_TC_HANDLE, .priority = J4S_TC_PRIO,
		    .flags = BPF_TC_F_REPLACE, .prog_fd = bpf_program__fd(b->skel->progs.j4s_tc));
	int rc;

	if (!attach_tcx(b, t, i))
		return 0;
	rc = bpf_tc_hook_create(&hook);
	if (rc && rc != -EEXIST) {
		snprintf(err, errlen, "tc: creating the clsact qdisc on %s: %s", b->ifname[i],
			 strerror(-rc));
		return -1;
	}
	t->hook_created[i] = rc == 0;
	rc = bpf_tc_attach(&hook, &opts);
	if (rc) {
		snprintf(err, errlen, "tc: attaching to %s ingress: %s", b->ifname[i],
			 strerror(-rc));
		return -1;
	}
	t->attached[i] = true;
	log_info("tc", "j4s_tc attached to %s (ifindex %d) ingress%s", b->ifname[i], b->ifindex[i],
		 t->hook_created[i] ? ", clsact qdisc created" : "");
	return 0;
}

static int tc_attach(struct bpf_cap *b, char *err, size_t errlen)
{
	struct tc_state *t = calloc(1, sizeof(*t));

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	b->hook_state = t;
	for (uint32_t i = 0; i < b->n_ifaces; i++)
		if (attach_one(b, t, i, err, errlen))
			return -1;
	return 0;
}

static void tc_detach(struct bpf_cap *b)
{
	struct tc_state *t = b->hook_state;

	capture_tc_detach_egress(b); /* first: the loop below may remove the qdisc */

	for (uint32_t i = 0; t && i < b->n_ifaces; i++) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = b->ifindex[i],
			    .attach_point = BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = J4S_TC_HANDLE, .priority = J4S_TC_PRIO);
		int rc;

		if (t->tcx_link[i] > 0) {
			close(t->tcx_link[i]); /* the link goes with its last fd */
			continue;
		}
		if (t->attached[i] && (rc = bpf_tc_detach(&hook, &opts)) && rc != -ENOENT)
			log_warn("tc", "detaching from %s: %s", b->ifname[i], strerror(-rc));
		if (t->hook_created[i]) {
			/* Only the qdisc we made, and only with nothing else in it. */
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
		}
	}
	free(t);
	b->hook_state = NULL;
}

static const struct bpf_hook tc_hook = {
	.ops = { .mode = CAPTURE_TC, CAPTURE_BPF_OPS },
	.prog = "j4s_tc",
	.prog_type = BPF_PROG_TYPE_SCHED_CLS,
	.prog_kind = "TC (sched_cls)",
	.detach = tc_detach,
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

#define J4S_BPF_TCX_EGRESS 47 /* enum bpf_attach_type, kernel 6.6 UAPI */

/* Remove a clsact egress filter of ours that a killed run left. */
static void remove_leftover_egress(struct bpf_cap *b, uint32_t i)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = b->ifindex[i], .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = J4S_TC_HANDLE, .priority = J4S_TC_PRIO);
	libbpf_print_fn_t old = libbpf_set_print(NULL);
	int rc = bpf_tc_detach(&hook, &opts);

	libbpf_set_print(old);
	if (!rc)
		log_info("tc", "removed a j4s_tc_egress filter left on %s by an earlier run",
			 b->ifname[i]);
}

/* A TCX egress link where the kernel has it, else a clsact egress filter
 * (fixed handle and priority, REPLACE), as for ingress. */
static int attach_egress_one(struct bpf_cap *b, uint32_t i, char *err, size_t errlen)
{
	int prog = bpf_program__fd(b->skel->progs.j4s_tc_egress);
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = b->ifindex[i], .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = J4S_TC_HANDLE, .priority = J4S_TC_PRIO,
		    .flags = BPF_TC_F_REPLACE, .prog_fd = prog);
	int fd = bpf_link_create(prog, b->ifindex[i], (enum bpf_attach_type)J4S_BPF_TCX_EGRESS,
				 NULL);
	int rc;

	if (fd >= 0) {
		remove_leftover_egress(b, i);
		b->eg_link[i] = fd;
		b->eg_attached[i] = true;
		log_info("tc", "j4s_tc_egress attached to %s (ifindex %d) egress with a TCX link",
			 b->ifname[i], b->ifindex[i]);
		return 0;
	}
	rc = bpf_tc_hook_create(&hook);
	if (rc && rc != -EEXIST) {
		snprintf(err, errlen, "tc: creating the clsact qdisc on %s: %s", b->ifname[i],
			 strerror(-rc));
		return -1;
	}
	b->eg_hook_created[i] = rc == 0;
	rc = bpf_tc_attach(&hook, &opts);
	if (rc) {
		snprintf(err, errlen, "tc: attaching to %s egress: %s", b->ifname[i],
			 strerror(-rc));
		return -1;
	}
	b->eg_attached[i] = true;
	log_info("tc", "j4s_tc_egress attached to %s (ifindex %d) egress%s", b->ifname[i],
		 b->ifindex[i], b->eg_hook_created[i] ? ", clsact qdisc created" : "");
	return 0;
}

int capture_tc_attach_egress(struct bpf_cap *b, char *err, size_t errlen)
{
	for (uint32_t i = 0; i < b->n_ifaces; i++)
		if (attach_egress_one(b, i, err, errlen))
			return -1;
	return 0;
}

void capture_tc_detach_egress(struct bpf_cap *b)
{
	for (uint32_t i = 0; i < b->n_ifaces; i++) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = b->ifindex[i],
			    .attach_point = BPF_TC_EGRESS);
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = J4S_TC_HANDLE, .priority = J4S_TC_PRIO);
		int rc;

		if (b->eg_link[i] > 0) {
			close(b->eg_link[i]);
			b->eg_link[i] = 0;
			b->eg_attached[i] = false;
			continue;
		}
		if (b->eg_attached[i] && (rc = bpf_tc_detach(&hook, &opts)) && rc != -ENOENT)
			log_warn("tc", "detaching from %s egress: %s", b->ifname[i], strerror(-rc));
		b->eg_attached[i] = false;
		if (b->eg_hook_created[i]) {
			/* Only the qdisc we made (xdp mode: tc ingress made none). */
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
			b->eg_hook_created[i] = false;
		}
	}
}
