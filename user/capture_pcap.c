// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libpcap backend. Offline files for now (--read); the link layer is
 * stripped by the shared parser and the L3 packet goes downstream like every
 * other mode's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>
#include "capture.h"
#include "config.h"
#include "defaults.h"

/* Live snapshot length: the largest hello we reassemble plus headers. GRO
 * may hand a hello merged with what follows; only its start matters. In
 * immediate mode libpcap uses fixed-size ring frames, so this also sets how
 * many packets the ring holds: 64 KiB frames would hold 16 times fewer. */
#define CAPTURE_SNAPLEN (REASM_MAX_BYTES + 256)

struct capture {
	pcap_t *pcap;
	int linktype;
	bool live;
	struct capture_stats st;
};

struct capture *capture_pcap_open_file(const char *path, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct capture *c = calloc(1, sizeof(*c));

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->pcap = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!c->pcap) {
		snprintf(err, errlen, "%s: %s", path, ebuf);
		free(c);
		return NULL;
	}
	c->linktype = pcap_datalink(c->pcap);
	if (!packet_link_supported(c->linktype)) {
		snprintf(err, errlen, "%s: link type %s (%d) is not supported", path,
			 capture_link_name(c), c->linktype);
		capture_close(c);
		return NULL;
	}
	return c;
}

int capture_pcap_next(struct capture *c, struct packet *pkt, char *err, size_t errlen)
{
	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *data;
		enum packet_verdict v;
		int rc = pcap_next_ex(c->pcap, &h, &data);

		if (rc == PCAP_ERROR_BREAK)
			return 0;
		if (rc != 1) {
			snprintf(err, errlen, "reading capture: %s", pcap_geterr(c->pcap));
			return -1;
		}
		c->st.frames++;
		v = packet_strip_link(c->linktype, data, h->caplen, &pkt->data, &pkt->caplen);
		c->st.link[v]++;
		if (v != PKT_OK)
			continue;
		pkt->origlen = h->len - (h->caplen - pkt->caplen);
		pkt->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ULL + (uint64_t)h->ts.tv_usec;
		pkt->ifindex = 0;
		return 1;
	}
}

const char *capture_link_name(const struct capture *c)
{
	const char *n = pcap_datalink_val_to_name(c->linktype);

	return n ? n : "unknown";
}

const struct capture_stats *capture_get_stats(const struct capture *c)
{
	return &c->st;
}

void capture_close(struct capture *c)
{
	if (!c)
		return;
	if (c->pcap)
		pcap_close(c->pcap);
	free(c);
}

struct capture *capture_pcap_open_live(const char *iface, const char *filter,
				       uint32_t buffer_bytes, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct bpf_program prog;
	struct capture *c = calloc(1, sizeof(*c));

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->live = true;
	c->live = true;
	c->pcap = pcap_create(iface, ebuf);
	if (!c->pcap) {
		snprintf(err, errlen, "pcap on %s: %s", iface, ebuf);
		goto fail;
	}
	/* Immediate mode: a hello must not wait for a buffer to fill. */
	if (pcap_set_immediate_mode(c->pcap, 1) || pcap_set_snaplen(c->pcap, CAPTURE_SNAPLEN) ||
	    pcap_set_buffer_size(c->pcap, (int)buffer_bytes) ||
	    pcap_set_tstamp_precision(c->pcap, PCAP_TSTAMP_PRECISION_NANO)) {
		snprintf(err, errlen, "pcap on %s: cannot set capture options", iface);
		goto fail;
	}
	if (pcap_activate(c->pcap) < 0) {
		snprintf(err, errlen, "pcap on %s: %s", iface, pcap_geterr(c->pcap));
		goto fail;
	}
	/* "any": ask for SLL2, which also names the interface of each packet. */
	if (!strcmp(iface, "any"))
		pcap_set_datalink(c->pcap, DLT_LINUX_SLL2);
	c->linktype = pcap_datalink(c->pcap);
	if (!packet_link_supported(c->linktype)) {
		snprintf(err, errlen, "pcap on %s: link type %s is not supported", iface,
			 capture_link_name(c));
		goto fail;
	}
	if (pcap_compile(c->pcap, &prog, filter, 1, PCAP_NETMASK_UNKNOWN)) {
		snprintf(err, errlen, "pcap filter \"%s\": %s", filter, pcap_geterr(c->pcap));
		goto fail;
	}
	if (pcap_setfilter(c->pcap, &prog)) {
		snprintf(err, errlen, "pcap filter on %s: %s", iface, pcap_geterr(c->pcap));
		pcap_freecode(&prog);
		goto fail;
	}
	pcap_freecode(&prog);
	if (pcap_setnonblock(c->pcap, 1, ebuf) || pcap_get_selectable_fd(c->pcap) < 0) {
		snprintf(err, errlen, "pcap on %s: no selectable descriptor", iface);
		goto fail;
	}
	return c;
fail:
	capture_close(c);
	return NULL;
}

char *capture_pcap_filter(const struct config *cfg)
{
	size_t size = 32 + (size_t)cfg->n_ports * 24;
	char *f, *o;

	if (cfg->bpf_filter && cfg->bpf_filter[0])
		return strdup(cfg->bpf_filter);
	f = malloc(size);
	if (!f)
		return NULL;
	o = f;
	for (uint32_t i = 0; i < cfg->n_ports; i++)
		o += snprintf(o, size - (size_t)(o - f), "%stcp dst port %u", i ? " or " : "",
			      cfg->ports[i]);
	return f;
}

int capture_fd(const struct capture *c)
{
	return pcap_get_selectable_fd(c->pcap);
}

/* Ring blocks read per readiness event at most. */
#define CAPTURE_MAX_ROUNDS 64

struct dispatch_ctx {
	struct capture *c;
	void (*cb)(void *ctx, const struct packet *pkt);
	void *ctx;
};

static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct dispatch_ctx *d = (struct dispatch_ctx *)user;
	struct packet pkt;
	enum packet_verdict v;

	d->c->st.frames++;
	v = packet_strip_link(d->c->linktype, data, h->caplen, &pkt.data, &pkt.caplen);
	d->c->st.link[v]++;
	if (v != PKT_OK)
		return;
	pkt.origlen = h->len - (h->caplen - pkt.caplen);
	pkt.ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ULL + (uint64_t)h->ts.tv_usec;
	pkt.ifindex = 0;
	d->cb(d->ctx, &pkt);
}

int capture_pcap_dispatch(struct capture *c, void (*cb)(void *ctx, const struct packet *pkt),
			  void *ctx, char *err, size_t errlen)
{
	struct dispatch_ctx d = { .c = c, .cb = cb, .ctx = ctx };
	int total = 0;

	/* One call empties one ring block: go on until nothing is left (bounded,
	 * so the timer and signals still get their turn under a flood). */
	for (int i = 0; i < CAPTURE_MAX_ROUNDS; i++) {
		int n = pcap_dispatch(c->pcap, -1, on_frame, (u_char *)&d);

		if (n < 0 && n != PCAP_ERROR_BREAK) {
			snprintf(err, errlen, "capture: %s", pcap_geterr(c->pcap));
			return -1;
		}
		if (n <= 0)
			break;
		total += n;
	}
	return total;
}

int capture_pcap_kstats(struct capture *c, uint64_t *recv, uint64_t *drop)
{
	struct pcap_stat ps;

	if (!c->live || pcap_stats(c->pcap, &ps))
		return -1;
	*recv = ps.ps_recv;
	*drop = ps.ps_drop + ps.ps_ifdrop;
	return 0;
}
