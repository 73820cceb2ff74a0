// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libpcap backends: offline files (--read, mode file) and live capture
 * (mode pcap), one operations table each. The link layer is stripped by the
 * shared parser and the L3 packet goes downstream like every other mode's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/filter.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>
#include <pcap/pcap.h>
#include "capture_priv.h"
#include "clock.h"
#include "config.h"
#include "defaults.h"
#include "ifaddr.h"
#include "log.h"
#include "pcapng.h"

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

/* Link types of one file core.bpf_filter is compiled for (pcapng.c path). */
#define PCAP_MIXED_FILTERS 16

struct pcap_cap {
	pcap_t *pcap;
	int linktype;
	char *filebuf; /* stdio buffer of a file read (open_offline) */
	/* A pcapng file libpcap stops reading is read on by pcapng.c
	 * (switch_to_pcapng(), next_mixed()): */
	bool ng_ok;        /* a regular pcapng file: it may be */
	char *path;        /* its name, for messages */
	uint64_t returned; /* packets libpcap handed out before */
	char *ng_pending;  /* switch at the first read, for this reason */
	struct pcapng *ng; /* non-NULL once switched */
	FILE *ngf;
	char *ngbuf;
	/* core.bpf_filter compiled for each link type met */
	struct {
		int link;
		struct bpf_program prog;
	} ngf_progs[PCAP_MIXED_FILTERS];
	uint32_t n_ngf_progs;
};

static pcap_t *pc(const struct capture *c)
{
	return ((const struct pcap_cap *)c->priv)->pcap;
}

/* A frame of link type link (caplen bytes, len on the wire) as the L3
 * packet handed on, stamped ts_ns: link layer stripped, counted. */
static enum packet_verdict strip_frame(struct capture *c, int link, const u_char *data,
				       uint32_t caplen, uint32_t len, uint64_t ts_ns,
				       struct packet *pkt)
{
	enum packet_verdict v = packet_strip_link(link, data, caplen, &pkt->data, &pkt->caplen);

	c->st.link[v]++;
	/* a file's record may say 0 (or less than it holds) */
	pkt->origlen = (len > caplen ? len : caplen) - (caplen - pkt->caplen);
	pkt->ts_ns = ts_ns;
	pkt->mono_ns = ts_ns; /* a file: packet time drives ageing */
	pkt->ifindex = 0;
	pkt->from_file = true; /* on_frame() says otherwise */
	pkt->quic_held = false;
	return v;
}

static void fill_packet(struct capture *c, const struct pcap_pkthdr *h, const u_char *data,
			struct packet *pkt, enum packet_verdict *v)
{
	const struct pcap_cap *p = c->priv;

	c->st.frames++;
	if (!capture_filter_pass(c, data, h->caplen, h->len)) {
		*v = PKT_VERDICT_MAX; /* not handed on; counted as filtered */
		return;
	}
	/* Nanosecond precision was asked for: tv_usec holds nanoseconds. */
	*v = strip_frame(c, p->linktype, data, h->caplen, h->len,
			 (uint64_t)h->ts.tv_sec * 1000000000ULL + (uint64_t)h->ts.tv_usec, pkt);
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

static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct dispatch_ctx *d = (struct dispatch_ctx *)user;
	enum packet_verdict v;
	struct packet pkt;

	fill_packet(d->c, h, data, &pkt, &v);
	pkt.mono_ns = packet_mono_ns(pkt.ts_ns, d->real_now, d->mono_now);
	pkt.from_file = false;
	if (v == PKT_OK)
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
	free(p->filebuf); /* after pcap_close's fclose */
	pcapng_close(p->ng);
	if (p->ngf)
		fclose(p->ngf);
	free(p->ngbuf);
	free(p->path);
	free(p->ng_pending);
	for (uint32_t i = 0; i < p->n_ngf_progs; i++)
		pcap_freecode(&p->ngf_progs[i].prog);
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

/* A file: nothing in a kernel to count or lose. */
static const struct capture_ops pcap_file_ops = {
	.mode = CAPTURE_FILE,
	.filter_where = "applied in userspace to every frame of the file",
	.fd = pcap_cap_fd,
	.dispatch = pcap_cap_dispatch,
	.close = pcap_cap_close,
};

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

/*
 * libpcap reads a file through stdio with its default buffer (the block
 * size, 4 KiB): 185,000 read() calls for a 723 MiB capture, ~0.2 s of a
 * 0.3 s read. The file is opened here with a larger buffer instead
 * (pcap_fopen_offline takes the FILE and closes it); "-" stays libpcap's
 * standard input.
 */
#define CAPTURE_FILE_BUFFER (1u << 20)

static pcap_t *open_offline(struct pcap_cap *p, const char *path, char *ebuf)
{
	uint8_t magic[4];
	struct stat st;
	FILE *f;
	pcap_t *pc;

	if (!strcmp(path, "-"))
		return pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO,
							       ebuf);
	f = fopen(path, "rbe");
	if (!f) {
		/* libpcap's wording, so messages stay as they were */
		snprintf(ebuf, PCAP_ERRBUF_SIZE, "%s: %s", path, strerror(errno));
		return NULL;
	}
	/* glibc ignores the size unless given the buffer */
	p->filebuf = malloc(CAPTURE_FILE_BUFFER);
	if (!p->filebuf || setvbuf(f, p->filebuf, _IOFBF, CAPTURE_FILE_BUFFER))
		log_debug("capture", "%s: no larger read buffer, reading with stdio's", path);
	/* A pcapng file (its Section Header Block's type) may be read on
	 * without libpcap (switch_to_pcapng()), if it can be read again: a
	 * regular file, looked at with pread before stdio reads anything (a
	 * pipe's bytes would be gone). */
	if (!fstat(fileno(f), &st) && S_ISREG(st.st_mode) && pread(fileno(f), magic, 4, 0) == 4 &&
	    !memcmp(magic, "\x0a\x0d\x0d\x0a", 4))
		p->ng_ok = (p->path = strdup(path)) != NULL;
	pc = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!pc)
		fclose(f);
	return pc;
}

struct capture *capture_pcap_open_file(const char *path, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct capture *c = pcap_cap_new(&pcap_file_ops, err, errlen);
	struct pcap_cap *p;

	if (!c)
		return NULL;
	p = c->priv;
	p->pcap = open_offline(p, path, ebuf);
	if (!p->pcap) {
		size_t n = strlen(path);

		/* libpcap names the file itself when fopen fails, not otherwise. */
		if (!strncmp(ebuf, path, n) && ebuf[n] == ':')
			snprintf(err, errlen, "%s", ebuf);
		else
			snprintf(err, errlen, "%s: %s", path, ebuf);
		goto fail;
	}
	p->linktype = pcap_datalink(p->pcap);
	c->ufilter_link = p->linktype; /* core.bpf_filter runs on each frame */
	if (check_link(c, path, err, errlen)) {
		/* A pcapng file's first interface may be of a type we do not
		 * read while its packets are on others: read it ourselves. */
		if (!p->ng_ok || !(p->ng_pending = strdup(err)))
			goto fail;
		c->link_name = "pcapng";
		/* checked at start on raw IP: the file's types come later */
		c->ufilter_link = DLT_RAW;
	}
	return c;
fail:
	capture_close(c);
	return NULL;
}

void capture_pcap_file_pos(const struct capture *c, int64_t *pos, int64_t *size)
{
	const struct pcap_cap *p = c->priv;
	FILE *f = p->ngf ? p->ngf : pcap_file(pc(c));
	struct stat st;

	*pos = *size = -1;
	if (!f)
		return;
	if (!fstat(fileno(f), &st) && S_ISREG(st.st_mode)) {
		*size = st.st_size;
		*pos = ftello(f);
	}
}

/*
 * libpcap (1.10) stopped reading a pcapng file: read it again with
 * pcapng.c from its start, past the packets libpcap handed out already.
 * libpcap refuses a file whose interfaces have several link types (dumpcap
 * writes one for an Ethernet NIC and a tun device, or "any"), or whose
 * first interface is of a type we do not read, a section of the other
 * byte order after the first, and a packet longer than its interface's
 * snap length, all of which Wireshark reads; a file that is truly broken
 * fails again, with pcapng.c's reason. The file is the one libpcap has
 * open (a descriptor of its own), so a file renamed over it meanwhile is
 * not read. 0, or -1 with err set.
 */
static int switch_to_pcapng(struct capture *c, const char *why, char *err, size_t errlen)
{
	struct pcap_cap *p = c->priv;
	struct pcapng_packet np;
	struct json_object *f;
	int fd = dup(fileno(pcap_file(pc(c))));

	if (fd < 0 || lseek(fd, 0, SEEK_SET) || !(p->ngf = fdopen(fd, "rb"))) {
		snprintf(err, errlen, "%s: reading it again: %s", p->path, strerror(errno));
		if (fd >= 0 && !p->ngf)
			close(fd);
		return -1;
	}
	p->ngbuf = malloc(CAPTURE_FILE_BUFFER);
	if (p->ngbuf)
		setvbuf(p->ngf, p->ngbuf, _IOFBF, CAPTURE_FILE_BUFFER);
	p->ng = pcapng_open(p->ngf);
	if (!p->ng) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (uint64_t i = 0; i < p->returned; i++) {
		if (pcapng_next(p->ng, &np, err, errlen) != 1) {
			char what[256];

			snprintf(what, sizeof(what), "%s", err);
			snprintf(err, errlen,
				 "%s: read again past the %llu packets libpcap gave: %s", p->path,
				 (unsigned long long)p->returned, what);
			return -1;
		}
	}
	c->link_name = "pcapng";
	f = json_object_new_object();
	json_object_object_add(f, "file", json_object_new_string(p->path));
	json_object_object_add(f, "libpcap", json_object_new_string(why));
	json_object_object_add(f, "packets_before", json_object_new_int64((int64_t)p->returned));
	log_write(LOG_INFO, "capture", f,
		  "libpcap stopped reading the file: reading it on with ja4sentinel's own pcapng "
		  "reader");
	return 0;
}

/* core.bpf_filter on a frame of link type link: compiled for each type
 * met, as libpcap runs it on a file of one type. */
static bool mixed_filter_pass(struct capture *c, const struct pcapng_packet *np, char *err,
			      size_t errlen, bool *failed)
{
	struct pcap_cap *p = c->priv;
	struct bpf_program *prog = NULL;

	if (!c->ufilter)
		return true;
	for (uint32_t i = 0; i < p->n_ngf_progs && !prog; i++)
		if (p->ngf_progs[i].link == np->linktype)
			prog = &p->ngf_progs[i].prog;
	if (!prog) {
		if (p->n_ngf_progs == PCAP_MIXED_FILTERS) {
			snprintf(err, errlen, "reading capture: more than %d link types",
				 PCAP_MIXED_FILTERS);
			*failed = true;
			return false;
		}
		prog = &p->ngf_progs[p->n_ngf_progs].prog;
		if (capture_filter_compile(c, np->linktype, prog, err, errlen)) {
			*failed = true;
			return false;
		}
		p->ngf_progs[p->n_ngf_progs++].link = np->linktype;
	}
	return capture_filter_run_prog(c, prog, np->data, np->caplen, np->origlen);
}

/* The next packet of a file read by pcapng.c: core.bpf_filter on the
 * frame, link layer stripped by its interface's type. */
static int next_mixed(struct capture *c, struct packet *pkt, char *err, size_t errlen)
{
	struct pcap_cap *p = c->priv;

	for (;;) {
		struct pcapng_packet np;
		enum packet_verdict v;
		bool failed = false;
		int rc = pcapng_next(p->ng, &np, err, errlen);

		if (rc <= 0) {
			if (rc < 0) {
				char why[512];

				snprintf(why, sizeof(why), "%s", err);
				snprintf(err, errlen, "reading capture: %s", why);
			}
			return rc;
		}
		c->st.frames++;
		if (!mixed_filter_pass(c, &np, err, errlen, &failed)) {
			if (failed)
				return -1;
			continue;
		}
		v = strip_frame(c, np.linktype, np.data, np.caplen, np.origlen, np.ts_ns, pkt);
		if (v == PKT_OK)
			return 1;
	}
}

int capture_pcap_next(struct capture *c, struct packet *pkt, char *err, size_t errlen)
{
	struct pcap_cap *p = c->priv;

	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *data;
		enum packet_verdict v;
		int rc;

		if (p->ng)
			return next_mixed(c, pkt, err, errlen);
		if (p->ng_pending) {
			if (switch_to_pcapng(c, p->ng_pending, err, errlen))
				return -1;
			continue;
		}
		rc = pcap_next_ex(pc(c), &h, &data);
		if (rc == PCAP_ERROR_BREAK)
			return 0;
		if (rc != 1) {
			if (p->ng_ok) {
				if (switch_to_pcapng(c, pcap_geterr(pc(c)), err, errlen))
					return -1;
				continue;
			}
			snprintf(err, errlen, "reading capture: %s", pcap_geterr(pc(c)));
			return -1;
		}
		p->returned++;
		fill_packet(c, h, data, pkt, &v);
		if (v == PKT_OK)
			return 1;
	}
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
