// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libpcap backend: live capture (mode pcap). The link layer is stripped by
 * the shared parser and the L3 packet goes downstream like every other
 * mode's. Files (--read) are capture_file.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/filter.h>
#include <sys/socket.h>
#include <json-c/json.h>
#include <pcap/pcap.h>
#include "capture_priv.h"
#include "clock.h"
#include "config.h"
#include "defaults.h"
#include "ifaddr.h"
#include "log.h"

/* Live snapshot length: the largest hello we reassemble plus headers. GRO
 * may hand a hello merged with what follows; only its start matters. In
 * immediate mode libpcap uses fixed-size ring frames, so this also sets how
 * many packets the ring holds: 64 KiB frames would hold 16 times fewer. */
#define CAPTURE_SNAPLEN (REASM_MAX_BYTES + 256)

/* libpcap 1.9 (el8) has no name for the SLL2 link type (1.10 has): asking
 * for it there fails and SLL serves, as below. */
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

/* Longest generated filter we extend with " or vlan". */
#define CAPTURE_FILTER_MAX 65536

struct pcap_cap {
	pcap_t *pcap;
	int linktype;
};

static pcap_t *pc(const struct capture *c)
{
	return ((const struct pcap_cap *)c->priv)->pcap;
}

struct dispatch_ctx {
	struct capture *c;
	capture_cb cb;
	void *ctx;
	/* Live: the kernel stamps packets with the wall clock; flows age on
	 * CLOCK_MONOTONIC. Each chunk samples both clocks once
	 * (packet_mono_ns()). */
	uint64_t real_now, mono_now;
};

/* A frame: core.bpf_filter where it runs here, the link layer stripped
 * and counted, the L3 packet handed on. */
static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct dispatch_ctx *d = (struct dispatch_ctx *)user;
	struct capture *c = d->c;
	const struct pcap_cap *p = c->priv;
	enum packet_verdict v;
	struct packet pkt;

	c->st.frames++;
	if (!capture_filter_pass(c, data, h->caplen, h->len))
		return; /* counted as filtered */
	v = packet_strip_link(p->linktype, data, h->caplen, &pkt.data, &pkt.caplen);
	c->st.link[v]++;
	if (v != PKT_OK)
		return;
	pkt.origlen = (h->len > h->caplen ? h->len : h->caplen) - (h->caplen - pkt.caplen);
	/* Nanosecond precision was asked for: tv_usec holds nanoseconds. */
	pkt.ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ULL + (uint64_t)h->ts.tv_usec;
	pkt.mono_ns = packet_mono_ns(pkt.ts_ns, d->real_now, d->mono_now);
	pkt.ifindex = 0;
	pkt.from_file = false;
	pkt.quic_held = false;
	d->cb(d->ctx, &pkt);
}

/*
 * One slice. pcap_dispatch with a count of -1 reads every ring block that
 * is ready, and under a flood blocks keep coming; with a count it stops
 * mid-block and the next call goes on from there (libpcap keeps its place).
 * So: chunks of at most capture_budget_chunk() packets until the budget is
 * spent or a chunk comes back short (nothing more ready now).
 */
static int pcap_cap_dispatch(struct capture *c, struct capture_budget *b, capture_cb cb, void *ctx,
			     char *err, size_t errlen)
{
	struct dispatch_ctx d = { .c = c, .cb = cb, .ctx = ctx };
	int total = 0;
	uint32_t want;

	while ((want = capture_budget_chunk(b))) {
		int n;

		d.real_now = clock_ns(CLOCK_REALTIME);
		d.mono_now = clock_ns(CLOCK_MONOTONIC);
		n = pcap_dispatch(pc(c), (int)want, on_frame, (u_char *)&d);

		if (n < 0 && n != PCAP_ERROR_BREAK) {
			snprintf(err, errlen, "capture: %s", pcap_geterr(pc(c)));
			return -1;
		}
		if (n <= 0)
			break;
		total += n;
		if (!capture_budget_charge(b, (uint32_t)n) || (uint32_t)n < want)
			break;
	}
	return total;
}

static int pcap_cap_fd(const struct capture *c)
{
	return pcap_get_selectable_fd(pc(c));
}

static void put(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

static void pcap_cap_stats(struct capture *c, struct json_object *o)
{
	struct pcap_stat ps;

	if (pcap_stats(pc(c), &ps))
		return;
	put(o, "kernel_received", ps.ps_recv);
	put(o, "kernel_dropped", (uint64_t)ps.ps_drop + ps.ps_ifdrop);
}

/* The capture buffer's drops only: ps_ifdrop counts the interface's own
 * (driver, NIC), which a bigger buffer would not cure. */
static uint64_t pcap_cap_lost(struct capture *c)
{
	struct pcap_stat ps;

	if (pcap_stats(pc(c), &ps))
		return 0;
	return ps.ps_drop;
}

static void pcap_cap_close(struct capture *c)
{
	struct pcap_cap *p = c->priv;

	capture_filter_free(c);
	if (p->pcap)
		pcap_close(p->pcap);
	free(p);
}

/* Live capture: kernel counters from pcap_stats. */
static const struct capture_ops pcap_live_ops = {
	.mode = CAPTURE_PCAP,
	.filter_where = "in the kernel by libpcap (pcap mode)",
	.lost_what = "packets",
	.lost_where = "capture buffer",
	.fd = pcap_cap_fd,
	.dispatch = pcap_cap_dispatch,
	.stats_json = pcap_cap_stats,
	.lost = pcap_cap_lost,
	.close = pcap_cap_close,
};

void capture_pcap_print_version(FILE *f)
{
#ifdef J4S_BUILT_LIBPCAP
	fprintf(f, "libpcap    %s (built with %s)\n", pcap_lib_version(), J4S_BUILT_LIBPCAP);
#else
	fprintf(f, "libpcap    %s\n", pcap_lib_version());
#endif
}

static struct capture *pcap_cap_new(const struct capture_ops *ops, char *err, size_t errlen)
{
	struct pcap_cap *p = calloc(1, sizeof(*p));
	struct capture *c = p ? capture_new(ops, p) : NULL;

	if (!c) {
		free(p);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return c;
}

/* Link type known to the parser? Sets link_name either way. */
static int check_link(struct capture *c, const char *what, char *err, size_t errlen)
{
	struct pcap_cap *p = c->priv;
	const char *n = pcap_datalink_val_to_name(p->linktype);

	c->link_name = n ? n : "unknown";
	if (packet_link_supported(p->linktype))
		return 0;
	snprintf(err, errlen, "%s: link type %s (%d) is not supported", what, c->link_name,
		 p->linktype);
	return -1;
}

/* How long a packet may wait in a part-filled ring block (ms). */
#define CAPTURE_BLOCK_TIMEOUT_MS 10

static int set_live_options(pcap_t *p, uint32_t buffer_bytes)
{
	/* Not immediate mode: on Linux that means TPACKET_V2, one fixed frame
	 * per packet sized by the snap length (18 KiB here), so the buffer
	 * holds under a thousand packets and a flood overruns it in
	 * milliseconds. TPACKET_V3 packs packets into blocks, each handed over
	 * when full or after CAPTURE_BLOCK_TIMEOUT_MS: a hello waits at most
	 * that long, and timestamps are the kernel's either way. */
	return pcap_set_immediate_mode(p, 0) || pcap_set_timeout(p, CAPTURE_BLOCK_TIMEOUT_MS) ||
	       pcap_set_snaplen(p, CAPTURE_SNAPLEN) || pcap_set_buffer_size(p, (int)buffer_bytes) ||
	       pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
}

/*
 * The filter, on the capture socket. pcap_setfilter() also runs the new
 * filter in userland over the ring's first block (what the old filter let
 * in), where a load of the kernel's packet type ("outbound", the direction
 * of the generated filter's SYN-ACKs) always fails: every SYN-ACK of the
 * first block (~10 ms of traffic after start) was dropped. On a link
 * without a cooked header the program is the socket's as it stands, so such
 * a filter goes straight onto the socket; the packets that came before it
 * reach the parser unfiltered, which judges them anyway. Cooked links (the
 * any device) keep pcap_setfilter(): libpcap rewrites the program for the
 * socket there, and their direction is in the header userland sees.
 */
static int set_filter(pcap_t *p, const char *iface, const char *filter, char *err, size_t errlen)
{
	struct bpf_program prog;
	int rc, link = pcap_datalink(p);

	if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN)) {
		snprintf(err, errlen, "pcap filter \"%s\": %s", filter, pcap_geterr(p));
		return -1;
	}
	if (capture_filter_reads_ancillary(&prog) && link != DLT_LINUX_SLL &&
	    link != DLT_LINUX_SLL2) {
		/* struct bpf_insn is struct sock_filter, field for field. */
		struct sock_fprog fp = { .len = (unsigned short)prog.bf_len,
					 .filter = (struct sock_filter *)prog.bf_insns };

		rc = setsockopt(pcap_fileno(p), SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp));
		if (rc)
			snprintf(err, errlen, "pcap filter on %s: SO_ATTACH_FILTER: %s", iface,
				 strerror(errno));
	} else {
		rc = pcap_setfilter(p, &prog);
		if (rc)
			snprintf(err, errlen, "pcap filter on %s: %s", iface, pcap_geterr(p));
	}
	pcap_freecode(&prog);
	return rc;
}

struct capture *capture_pcap_open_live(const char *iface, const char *filter, const char *vlan,
				       uint32_t buffer_bytes, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "", with_vlan[CAPTURE_FILTER_MAX];
	struct capture *c = pcap_cap_new(&pcap_live_ops, err, errlen);
	struct pcap_cap *p;

	if (!c)
		return NULL;
	p = c->priv;
	p->pcap = pcap_create(iface, ebuf);
	if (!p->pcap) {
		snprintf(err, errlen, "pcap on %s: %s", iface, ebuf);
		goto fail;
	}
	if (set_live_options(p->pcap, buffer_bytes)) {
		snprintf(err, errlen, "pcap on %s: cannot set capture options", iface);
		goto fail;
	}
	if (pcap_activate(p->pcap) < 0) {
		snprintf(err, errlen, "pcap on %s: %s", iface, pcap_geterr(p->pcap));
		goto fail;
	}
	/* "any": ask for SLL2, which also names the interface of each packet;
	 * without it (libpcap before 1.10) SLL serves, less the names. */
	if (!strcmp(iface, "any") && pcap_set_datalink(p->pcap, DLT_LINUX_SLL2))
		log_info("pcap", "any: no SLL2 link type (%s); SLL it is", pcap_geterr(p->pcap));
	p->linktype = pcap_datalink(p->pcap);
	if (check_link(c, iface, err, errlen))
		goto fail;
	if (vlan && p->linktype == DLT_EN10MB) {
		/* Frames whose tags the NIC did not strip go up for the parser to
		 * judge. "vlan" shifts every later offset, so it comes last; cooked
		 * links (the any device) have no in-band tags and refuse it. */
		snprintf(with_vlan, sizeof(with_vlan), "%s%s", filter, vlan);
		filter = with_vlan;
	}
	if (set_filter(p->pcap, iface, filter, err, errlen))
		goto fail;
	if (pcap_setnonblock(p->pcap, 1, ebuf) || pcap_get_selectable_fd(p->pcap) < 0) {
		snprintf(err, errlen, "pcap on %s: no selectable descriptor", iface);
		goto fail;
	}
	return c;
fail:
	capture_close(c);
	return NULL;
}

/* " and [not ](KW A or KW B ...)" for a list of addresses/prefixes. */
static char *add_clause(char *o, const char *neg, const char *kw, const struct cidr *list,
			uint32_t n)
{
	char buf[64];

	if (!n)
		return o;
	o += sprintf(o, " and %s(", neg);
	for (uint32_t i = 0; i < n; i++) {
		ifaddr_cidr_str(&list[i], buf, sizeof(buf));
		o += sprintf(o, "%s%s %s", i ? " or " : "", kw, buf);
	}
	return o + sprintf(o, ")");
}

/*
 * Which way a SYN-ACK must go to be the server's own: leaving the host.
 * One that comes in with the server's address is forged (a sender next to
 * the server that answers its own spoofed SYN could otherwise validate its
 * hello, or restart a flow). The socket's filter reads the direction from
 * the kernel (libpcap's "outbound": the packet type). On a loopback
 * interface libpcap drops the outgoing copy of each packet and keeps the
 * incoming one, and nothing outside the host reaches it: no condition.
 * On "any" the loopback's packets come in the same way: outbound, or on
 * interface 1 (LOOPBACK_IFINDEX in every namespace), which needs the SLL2
 * link type (libpcap 1.10); without it (1.9, EL8) no condition.
 */
static const char *synack_direction(const struct config *cfg)
{
	unsigned int flags = 0;
	const char *dir = "outbound and ";

	/* Addresses listed: the sensor may watch other hosts' traffic (a
	 * mirror port, a tap, a tunnel device), where every SYN-ACK comes
	 * in. */
	if (!cfg->local_auto)
		return "";
	if (!strcmp(cfg->interface, "any")) {
		pcap_t *p = pcap_open_dead(DLT_LINUX_SLL2, 128);
		struct bpf_program prog;

		dir = "";
		if (p &&
		    !pcap_compile(p, &prog, "outbound or ifindex 1", 1, PCAP_NETMASK_UNKNOWN)) {
			pcap_freecode(&prog);
			dir = "(outbound or ifindex 1) and ";
		}
		if (p)
			pcap_close(p);
	} else if (!ifaddr_flags(cfg->interface, &flags) && (flags & IFF_LOOPBACK)) {
		dir = "";
	}
	return dir;
}

/* The server's QUIC Initials from a listen port ("udp[8]" is the first
 * payload byte: a long header of type 0 or 1, which is the Initial of
 * v1, draft-29 and v2; not its Handshake flight), into o. */
static char *server_initial_clause(const struct config *cfg, char *o)
{
	o += sprintf(o,
		     "((udp[8] & 0xa0 == 0x80 or (ip6[6] == 17 and ip6[48] & 0xa0 == 0x80)) and (");
	for (uint32_t i = 0; i < cfg->n_ports; i++)
		o += sprintf(o, "%sudp src port %u", i ? " or " : "", cfg->ports[i]);
	return o + sprintf(o, "))");
}

const char *capture_pcap_vlan_clause(const struct config *cfg)
{
	/* built once a process: the configuration does not change */
	static char buf[2 * (160 + MAX_LISTEN_PORTS * 24) + 256];
	char srv[160 + MAX_LISTEN_PORTS * 24] = "";
	static const char
		*synack = "tcp[13] & 0x16 == 0x12 or (ip6[6] == 6 and ip6[53] & 0x16 == 0x12)";

	/* Tagged frames of either direction but inbound SYN-ACKs and server
	 * Initials, when those must leave the host: a forged one may carry a
	 * tag. */
	if (!*synack_direction(cfg))
		return " or vlan";
	if (cfg->quic) {
		srv[0] = ' ';
		srv[1] = 'o';
		srv[2] = 'r';
		srv[3] = ' ';
		server_initial_clause(cfg, srv + 4);
	}
	/* A second tag (QinQ, which the parser follows) is looked into too:
	 * past one "vlan" it is neither ip nor ip6. */
	snprintf(buf, sizeof(buf), " or (vlan and (outbound or not (%s%s or (vlan and (%s%s)))))",
		 synack, srv, synack, srv);
	return buf;
}

/*
 * The match without VLAN tags: client packets to the listen ports, and the
 * server's SYN-ACKs from them (their ISN validates the hello, design.md
 * §13) as they leave the host, with the address filters mirrored.
 */
static void base_filter(const struct config *cfg, char *o)
{
	o += sprintf(o, "((");
	for (uint32_t i = 0; i < cfg->n_ports; i++)
		o += sprintf(o, "%stcp dst port %u", i ? " or " : "", cfg->ports[i]);
	/* QUIC Initials (design.md §6); the parser sorts out the rest. */
	for (uint32_t i = 0; cfg->quic && i < cfg->n_ports; i++)
		o += sprintf(o, " or udp dst port %u", cfg->ports[i]);
	o += sprintf(o, ")");
	/* The host's own addresses change at run time: the pipeline keeps to
	 * them; a filter compiled at start would miss an address added later. */
	if (!cfg->local_auto)
		o = add_clause(o, "", "dst host", cfg->local_ips, cfg->n_local_ips);
	o = add_clause(o, "not ", "src net", cfg->exclude, cfg->n_exclude);
	o += sprintf(o,
		     ") or (%s((tcp[13] & 0x16 == 0x12 or (ip6[6] == 6 and ip6[53] & 0x16 == "
		     "0x12)) and (",
		     synack_direction(cfg));
	for (uint32_t i = 0; i < cfg->n_ports; i++)
		o += sprintf(o, "%stcp src port %u", i ? " or " : "", cfg->ports[i]);
	o += sprintf(o, ")");
	/* The server's QUIC Initials (they name the connection ID that
	 * proves a held client's address, include/quic_hold.h). */
	if (cfg->quic) {
		o += sprintf(o, " or ");
		o = server_initial_clause(cfg, o);
	}
	o += sprintf(o, ")");
	if (!cfg->local_auto)
		o = add_clause(o, "", "src host", cfg->local_ips, cfg->n_local_ips);
	o = add_clause(o, "not ", "dst net", cfg->exclude, cfg->n_exclude);
	sprintf(o, ")");
}

char *capture_pcap_filter(const struct config *cfg)
{
	size_t one = 2 * (160 + (size_t)cfg->n_ports * 72 +
			  ((size_t)cfg->n_local_ips + cfg->n_exclude) * 80);
	char *base, *f, *o;

	if (cfg->bpf_filter && cfg->bpf_filter[0])
		return strdup(cfg->bpf_filter);
	base = malloc(one);
	f = malloc(2 * one + 256); /* base, and the address clauses again */
	if (!base || !f) {
		free(base);
		free(f);
		return NULL;
	}
	base_filter(cfg, base);
	/*
	 * What a classic filter cannot match exactly goes up for the parser to
	 * judge: IPv6 whose first next header is an extension header (the
	 * fragment header among them), and IPv4 fragments, whose later pieces
	 * have no ports (include/ipfrag.h rebuilds them as the server's stack
	 * does; real TCP seldom fragments, so all of them is little), with the
	 * address filters mirrored. VLAN frames are added by the capture on
	 * Ethernet links (see below).
	 */
	o = f + sprintf(f,
			"%s or (ip6 and (ip6[6] == 0 or ip6[6] == 43 or ip6[6] == 44 or "
			"ip6[6] == 51 or ip6[6] == 60)) or (ip and ip[6:2] & 0x3fff != 0",
			base);
	if (!cfg->local_auto)
		o = add_clause(o, "", "dst host", cfg->local_ips, cfg->n_local_ips);
	o = add_clause(o, "not ", "src net", cfg->exclude, cfg->n_exclude);
	sprintf(o, ")");
	free(base);
	return f;
}
