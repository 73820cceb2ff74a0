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

struct capture {
	pcap_t *pcap;
	int linktype;
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
