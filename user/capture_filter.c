// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * core.bpf_filter where the kernel does not run it. In pcap mode libpcap
 * attaches the filter to the socket (capture_pcap.c); the eBPF modes
 * cannot, so the expression is compiled with libpcap for the packets the
 * kernel program passes up - raw IP from the L3 header on, no link layer
 * (DLT_RAW) - and run with pcap_offline_filter on every event before the
 * flow path: the same compiler and the same semantics for everything at
 * or above the IP header. A file (--read) runs it the same way on each
 * frame, with the file's link type. What the filter drops is counted
 * (packets.bpf_filter_dropped in the stats).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>
#include "capture_priv.h"
#include "config.h"

/* Snap length the expression is compiled for: larger than any event or
 * file frame, so that no test is cut short at compile time. */
#define FILTER_SNAPLEN 262144

/* Linux's ancillary data (SKF_AD_OFF, -4096, and above): packet type,
 * VLAN tag, interface - what a live socket's filter reads beside the
 * packet. pcap_offline_filter has none of it: such a load fails, and the
 * packet would be dropped whatever it holds. */
#define ANCILLARY_OFF 0xfffff000u

bool capture_filter_reads_ancillary(const struct bpf_program *prog)
{
	for (unsigned int i = 0; i < prog->bf_len; i++) {
		const struct bpf_insn *in = &prog->bf_insns[i];

		if (BPF_CLASS(in->code) == BPF_LD &&
		    (BPF_MODE(in->code) == BPF_ABS || BPF_MODE(in->code) == BPF_IND) &&
		    in->k >= ANCILLARY_OFF)
			return true;
	}
	return false;
}

/* Compile expr for link type dlt into prog; 0, or -1 with libpcap's words. */
static int compile(int dlt, const char *expr, struct bpf_program *prog, char *err, size_t errlen)
{
	pcap_t *p = pcap_open_dead(dlt, FILTER_SNAPLEN);
	int rc;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = pcap_compile(p, prog, expr, 1, PCAP_NETMASK_UNKNOWN);
	if (rc)
		snprintf(err, errlen, "%s", pcap_geterr(p));
	pcap_close(p);
	return rc ? -1 : 0;
}

/* As compile(), for running in userspace: not what reads kernel metadata. */
static int compile_user(int dlt, const char *expr, struct bpf_program *prog, char *err,
			size_t errlen)
{
	if (compile(dlt, expr, prog, err, errlen))
		return -1;
	if (!capture_filter_reads_ancillary(prog))
		return 0;
	pcap_freecode(prog);
	snprintf(err, errlen,
		 "it reads what only a live socket knows (inbound, outbound, the "
		 "stripped VLAN tag)");
	return -1;
}

int bpf_filter_check(const char *expr, char *err, size_t errlen)
{
	struct bpf_program prog;

	/* Ethernet: what pcap mode most often sees, and the link type that
	 * accepts the most (ether, vlan, mpls); whether the mode that runs it
	 * can evaluate it is checked when it starts (capture_filter_l3_check). */
	if (compile(DLT_EN10MB, expr, &prog, err, errlen))
		return -1;
	pcap_freecode(&prog);
	return 0;
}

int capture_filter_l3_check(const char *expr, char *err, size_t errlen)
{
	struct bpf_program prog;
	char why[PCAP_ERRBUF_SIZE + 64];

	if (compile_user(DLT_RAW, expr, &prog, why, sizeof(why))) {
		snprintf(err, errlen,
			 "core.bpf_filter \"%s\" cannot run on the IP packets the eBPF modes pass "
			 "up (no link layer: ether, vlan, mpls, pppoe, inbound/outbound are pcap "
			 "mode's): %s",
			 expr, why);
		return -1;
	}
	pcap_freecode(&prog);
	return 0;
}

int capture_set_user_filter(struct capture *c, const char *expr, char *err, size_t errlen)
{
	struct bpf_program *prog;
	char why[PCAP_ERRBUF_SIZE + 64];

	if (c->ufilter_link < 0) {
		snprintf(err, errlen, "this capture runs core.bpf_filter in the kernel");
		return -1;
	}
	prog = calloc(1, sizeof(*prog));
	if (!prog) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (compile_user(c->ufilter_link, expr, prog, why, sizeof(why))) {
		snprintf(err, errlen, "core.bpf_filter \"%s\" on link type %s: %s", expr,
			 pcap_datalink_val_to_name(c->ufilter_link) ?: "?", why);
		free(prog);
		return -1;
	}
	capture_filter_free(c);
	c->ufilter = prog;
	c->ufilter_expr = strdup(expr);
	c->st.user_filter = true;
	return 0;
}

int capture_filter_compile(const struct capture *c, int dlt, struct bpf_program *prog, char *err,
			   size_t errlen)
{
	char why[PCAP_ERRBUF_SIZE + 64];

	if (!compile_user(dlt, c->ufilter_expr ? c->ufilter_expr : "", prog, why, sizeof(why)))
		return 0;
	snprintf(err, errlen, "core.bpf_filter \"%s\" on link type %s (%d): %s",
		 c->ufilter_expr ? c->ufilter_expr : "", pcap_datalink_val_to_name(dlt) ?: "?", dlt,
		 why);
	return -1;
}

bool capture_filter_run_prog(struct capture *c, const struct bpf_program *prog, const uint8_t *data,
			     uint32_t caplen, uint32_t len)
{
	struct pcap_pkthdr h = { .caplen = caplen, .len = len };

	if (pcap_offline_filter(prog, &h, data))
		return true;
	c->st.filtered++;
	return false;
}

bool capture_filter_run(struct capture *c, const uint8_t *data, uint32_t caplen, uint32_t len)
{
	return capture_filter_run_prog(c, c->ufilter, data, caplen, len);
}

void capture_filter_on_l3(struct capture *c)
{
	c->ufilter_link = DLT_RAW;
}

void capture_filter_free(struct capture *c)
{
	if (!c->ufilter)
		return;
	pcap_freecode(c->ufilter);
	free(c->ufilter);
	c->ufilter = NULL;
	free(c->ufilter_expr);
	c->ufilter_expr = NULL;
}
