// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Offline backend (--read): a classic pcap or pcapng file, or standard
 * input, read by capfile.c (include/capfile.h says why not by libpcap).
 * core.bpf_filter runs on each frame, compiled once for each link type the
 * file holds, as libpcap would run it on a file of that type; the link
 * layer is stripped by the shared parser and the L3 packet goes downstream
 * like every other mode's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>
#include <pcap/pcap.h>
#include "capfile.h"
#include "capture_priv.h"
#include "log.h"

/* Link types of one file core.bpf_filter is compiled for, beyond the one
 * it was checked on at start: the parser reads 8 (after capfile_dlt()). */
#define FILE_FILTERS 16

struct file_cap {
	struct capfile *cf;
	int fd;
	bool own_fd;  /* opened here (not standard input) */
	bool regular; /* a regular file: its size is known */
	/* core.bpf_filter compiled for each further link type met */
	struct {
		int link;
		bool failed; /* the expression means nothing there: frames dropped */
		struct bpf_program prog;
	} progs[FILE_FILTERS];
	uint32_t n_progs;
};

static int file_cap_fd(const struct capture *c)
{
	return ((const struct file_cap *)c->priv)->fd;
}

static void file_cap_close(struct capture *c)
{
	struct file_cap *p = c->priv;

	capture_filter_free(c);
	capfile_close(p->cf);
	if (p->own_fd && p->fd >= 0)
		close(p->fd);
	for (uint32_t i = 0; i < p->n_progs; i++)
		if (!p->progs[i].failed)
			pcap_freecode(&p->progs[i].prog);
	free(p);
}

/*
 * core.bpf_filter on a frame: the program compiled at start for
 * c->ufilter_link, or one compiled for the frame's link type at its first
 * frame. A link type the parser does not read passes (the link layer's
 * verdict drops and counts it); one the expression cannot be compiled for
 * ("vlan" on raw IP) drops its frames as filtered, with a warning: a
 * crafted file's interface must not end the read.
 */
static bool filter_pass(struct capture *c, const struct capfile_packet *fp)
{
	struct file_cap *p = c->priv;
	uint32_t i;

	if (!c->ufilter)
		return true;
	if (fp->linktype == c->ufilter_link)
		return capture_filter_run(c, fp->data, fp->caplen, fp->origlen);
	if (!packet_link_supported(fp->linktype))
		return true;
	for (i = 0; i < p->n_progs && p->progs[i].link != fp->linktype; i++)
		;
	if (i == p->n_progs) {
		char why[512];

		if (p->n_progs == FILE_FILTERS) { /* not reached: 8 types are read */
			c->st.filtered++;
			return false;
		}
		p->progs[i].link = fp->linktype;
		p->n_progs++;
		if (capture_filter_compile(c, fp->linktype, &p->progs[i].prog, why, sizeof(why))) {
			struct json_object *f = json_object_new_object();

			json_object_object_add(f, "link_type", json_object_new_int(fp->linktype));
			log_write(LOG_WARN, "capture", f,
				  "%s; frames of this link type are dropped as filtered", why);
			p->progs[i].failed = true;
		}
	}
	if (p->progs[i].failed) {
		c->st.filtered++;
		return false;
	}
	return capture_filter_run_prog(c, &p->progs[i].prog, fp->data, fp->caplen, fp->origlen);
}

int capture_file_next(struct capture *c, struct packet *pkt, char *err, size_t errlen)
{
	struct file_cap *p = c->priv;

	/* Frames skipped (filtered, not IP) in one call at most: then it
	 * returns, so that a signal is seen between them. */
	for (uint32_t skipped = 0; skipped < CAPFILE_SKIP_MAX; skipped++) {
		struct capfile_packet fp;
		enum packet_verdict v;
		int rc = capfile_next(p->cf, &fp, err, errlen);

		if (rc == 2)
			return 2; /* blocks without packets */
		if (rc <= 0) {
			if (rc < 0) {
				char why[512];

				snprintf(why, sizeof(why), "%s", err);
				snprintf(err, errlen, "reading capture: %s", why);
			}
			return rc;
		}
		c->st.frames++;
		if (!filter_pass(c, &fp))
			continue;
		v = packet_strip_link(fp.linktype, fp.data, fp.caplen, &pkt->data, &pkt->caplen);
		c->st.link[v]++;
		if (v != PKT_OK)
			continue;
		pkt->origlen = fp.origlen - (fp.caplen - pkt->caplen);
		pkt->ts_ns = fp.ts_ns;
		pkt->mono_ns = fp.ts_ns; /* packet time drives ageing */
		pkt->ifindex = 0;
		pkt->from_file = true;
		pkt->quic_held = false;
		return 1;
	}
	return 2;
}

/* A file's packets are read by capture_file_next(), not in slices. */
static int file_cap_dispatch(struct capture *c, struct capture_budget *b, capture_cb cb, void *ctx,
			     char *err, size_t errlen)
{
	struct packet pkt;
	int n = 0, rc = 0;

	while (capture_budget_chunk(b) && (rc = capture_file_next(c, &pkt, err, errlen)) > 0) {
		if (rc == 1) {
			cb(ctx, &pkt);
			n++;
		}
		if (!capture_budget_charge(b, 1)) /* a skip too: the slice ends */
			break;
	}
	return rc < 0 ? -1 : n;
}

/* A file: nothing in a kernel to count or lose. */
static const struct capture_ops file_ops = {
	.mode = CAPTURE_FILE,
	.filter_where = "applied in userspace to every frame of the file",
	.fd = file_cap_fd,
	.dispatch = file_cap_dispatch,
	.close = file_cap_close,
};

struct capture *capture_file_open(const char *path, char *err, size_t errlen)
{
	struct file_cap *p = calloc(1, sizeof(*p));
	struct capture *c = p ? capture_new(&file_ops, p) : NULL;
	char why[256];
	struct stat st;
	int link;

	if (!c) {
		free(p);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!strcmp(path, "-")) {
		p->fd = STDIN_FILENO;
	} else {
		p->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (p->fd < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		p->own_fd = true;
	}
	p->regular = !fstat(p->fd, &st) && S_ISREG(st.st_mode);
	if (p->regular)
		posix_fadvise(p->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	p->cf = capfile_open(p->fd, why, sizeof(why));
	if (!p->cf) {
		snprintf(err, errlen, "%s: %s", path, why);
		goto fail;
	}
	link = capfile_link(p->cf);
	if (capfile_format(p->cf) == CAPFILE_PCAPNG) {
		/* A link type per interface, met as packets come; the filter is
		 * checked at start on the first interface's, as libpcap's, or
		 * raw IP's without one we read. */
		c->link_name = "pcapng";
		c->ufilter_link = link >= 0 && packet_link_supported(link) ? link : DLT_RAW;
		return c;
	}
	c->link_name = pcap_datalink_val_to_name(link) ?: "unknown";
	c->ufilter_link = link;
	if (!packet_link_supported(link)) {
		snprintf(err, errlen, "%s: link type %s (%d) is not supported", path, c->link_name,
			 link);
		goto fail;
	}
	return c;
fail:
	capture_close(c);
	return NULL;
}

void capture_file_pos(const struct capture *c, int64_t *pos, int64_t *size)
{
	const struct file_cap *p = c->priv;
	struct stat st;

	*pos = *size = -1;
	if (!p->regular || fstat(p->fd, &st))
		return;
	*size = st.st_size;
	*pos = (int64_t)capfile_offset(p->cf);
}
