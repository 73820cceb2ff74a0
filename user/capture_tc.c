// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * TC ingress attachment through a clsact qdisc and libbpf's bpf_tc_* calls
 * (libbpf 1.1 has no TCX links). Our filter has a fixed handle and
 * priority, attached with REPLACE: a filter a crashed run left behind is
 * replaced rather than making the attach fail, and a clean stop removes
 * it, and the qdisc too when we created it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "abi.h"
#include "capture_bpf.h"
#include "ja4sentinel.skel.h"
#include "log.h"

#define J4S_TC_HANDLE 0x4a34 /* "J4" */
#define J4S_TC_PRIO   0x4a34

struct capture *capture_tc_open(const struct config *cfg, char *err, size_t errlen)
{
	return capture_bpf_open(cfg, false, err, errlen);
}

static int attach_one(struct bpf_cap *b, uint32_t i, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = b->ifindex[i], .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = J4S_TC_HANDLE, .priority = J4S_TC_PRIO,
		    .flags = BPF_TC_F_REPLACE,
		    .prog_fd = bpf_program__fd(b->skel->progs.j4s_tc));
	int rc = bpf_tc_hook_create(&hook);

	if (rc && rc != -EEXIST) {
		snprintf(err, errlen, "tc: creating the clsact qdisc on %s: %s", b->ifname[i],
			 strerror(-rc));
		return -1;
	}
	b->hook_created[i] = rc == 0;
	rc = bpf_tc_attach(&hook, &opts);
	if (rc) {
		snprintf(err, errlen, "tc: attaching to %s ingress: %s", b->ifname[i],
			 strerror(-rc));
		return -1;
	}
	b->attached[i] = true;
	log_info("tc", "j4s_tc attached to %s (ifindex %d) ingress%s", b->ifname[i], b->ifindex[i],
		 b->hook_created[i] ? ", clsact qdisc created" : "");
	return 0;
}

int capture_tc_attach(struct bpf_cap *b, char *err, size_t errlen)
{
	for (uint32_t i = 0; i < b->n_ifaces; i++)
		if (attach_one(b, i, err, errlen))
			return -1;
	return 0;
}

void capture_tc_detach(struct bpf_cap *b)
{
	for (uint32_t i = 0; i < b->n_ifaces; i++) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = b->ifindex[i],
			    .attach_point = BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = J4S_TC_HANDLE, .priority = J4S_TC_PRIO);
		int rc;

		if (b->attached[i] && (rc = bpf_tc_detach(&hook, &opts)) && rc != -ENOENT)
			log_warn("tc", "detaching from %s: %s", b->ifname[i], strerror(-rc));
		b->attached[i] = false;
		if (b->hook_created[i]) {
			/* Only the qdisc we made, and only with nothing else in it. */
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
			b->hook_created[i] = false;
		}
	}
}
