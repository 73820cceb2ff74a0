// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Capture files (include/capfile.h): the input's buffer, the format, and
 * classic pcap, whose layout is that of draft-ietf-opsawg-pcap: a 24-byte
 * file header (magic, version 2.4, snap length, link type) and per packet a
 * 16-byte record header (seconds, micro- or nanoseconds, captured length,
 * length on the wire) and the captured bytes. pcapng is pcapng.c's.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "capfile_priv.h"

/* Read size: large enough that a read() moves a lot (a bulk capture of
 * 723 MiB is ~2,900 calls), small enough to stay in the CPU's cache
 * between the kernel's copy and our parse. The fuzzer builds with a few
 * bytes, so that every record crosses the buffer's edge. */
#ifndef CAPFILE_BUFFER
#define CAPFILE_BUFFER (256u << 10)
#endif

#define MAGIC_USEC 0xA1B2C3D4u
#define MAGIC_NSEC 0xA1B23C4Du
#define MAGIC_KUZ  0xA1B2CD34u /* Alexey Kuznetzov's: 8 more bytes a record */

enum {
	LENSWAP_NEVER,
	LENSWAP_ALWAYS, /* files of version 2.0-2.2 */
	LENSWAP_MAYBE,  /* 2.3: some writers swapped them, some did not */
};

int capfile_dlt(uint32_t linktype)
{
	/* libpcap's linktype_to_dlt() for what we read: LINKTYPE_RAW, and
	 * OpenBSD's DLT_RAW value where a file carries it. */
	if (linktype == 101 || linktype == 14)
		return 12;
	return (int)linktype;
}

const uint8_t *capfile_peek(struct capfile *r, size_t n, size_t *have, char *err, size_t errlen)
{
	while (r->end - r->start < n && !r->eof) {
		ssize_t got;

		if (r->cap - r->start < n) {
			/* Move what is left to the front; grow for a large block. */
			if (r->cap < n) {
				size_t cap = n > 2 * r->cap ? n : 2 * r->cap;
				uint8_t *nb = malloc(cap);

				if (!nb) {
					snprintf(err, errlen, "out of memory");
					return NULL;
				}
				memcpy(nb, r->buf + r->start, r->end - r->start);
				free(r->buf);
				r->buf = nb;
				r->cap = cap;
			} else {
				memmove(r->buf, r->buf + r->start, r->end - r->start);
			}
			r->end -= r->start;
			r->start = 0;
		}
		/* What is there: from a pipe, whatever the writer has sent, so
		 * that its packets are read as they come. */
		got = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* standard input inherited non-blocking: wait for it */
			struct pollfd pfd = { .fd = r->fd, .events = POLLIN };

			if (poll(&pfd, 1, -1) >= 0)
				continue;
		}
		if (got < 0) {
			snprintf(err, errlen, "reading at offset %llu: %s",
				 (unsigned long long)(r->off + (r->end - r->start)),
				 strerror(errno));
			return NULL;
		}
		if (got == 0)
			r->eof = true;
		r->end += (size_t)got;
	}
	*have = r->end - r->start < n ? r->end - r->start : n;
	return r->buf + r->start;
}

/* A classic file's header (24 bytes). The snap length it states is not
 * applied: a packet is read as long as its record says (see the header). */
static int pcap_header(struct capfile *r, uint32_t magic, char *err, size_t errlen)
{
	size_t have;
	const uint8_t *h = capfile_peek(r, 24, &have, err, errlen);
	uint16_t major, minor;

	if (!h)
		return -1;
	if (have < 24) {
		snprintf(err, errlen, "truncated pcap file header (%zu of 24 bytes)", have);
		return -1;
	}
	r->swap = magic != MAGIC_USEC && magic != MAGIC_NSEC && magic != MAGIC_KUZ;
	magic = capfile_u32(r, h);
	r->nsec = magic == MAGIC_NSEC;
	r->rec_hdr = magic == MAGIC_KUZ ? 24 : 16;
	major = capfile_u16(r, h + 4);
	minor = capfile_u16(r, h + 6);
	if (major != 2 || minor > 4) {
		snprintf(err, errlen, "pcap file of version %u.%u (2.4 and earlier are read)",
			 major, minor);
		return -1;
	}
	r->lenswap = minor < 3 ? LENSWAP_ALWAYS : minor == 3 ? LENSWAP_MAYBE : LENSWAP_NEVER;
	/* The low 16 bits; the rest says how many FCS bytes frames carry. */
	r->link = capfile_dlt(capfile_u32(r, h + 20) & 0xffff);
	capfile_skip(r, 24);
	return 0;
}

static int pcap_next_record(struct capfile *r, struct capfile_packet *pkt, char *err, size_t errlen)
{
	size_t have;
	const uint8_t *h = capfile_peek(r, r->rec_hdr, &have, err, errlen);
	uint32_t sec, frac, caplen, len;

	if (!h)
		return -1;
	if (!have)
		return 0;
	if (have < r->rec_hdr) {
		snprintf(err, errlen,
			 "truncated pcap record header at offset %llu (%zu of %u bytes)",
			 (unsigned long long)r->off, have, r->rec_hdr);
		return -1;
	}
	sec = capfile_u32(r, h);
	frac = capfile_u32(r, h + 4);
	caplen = capfile_u32(r, h + 8);
	len = capfile_u32(r, h + 12);
	if (r->lenswap == LENSWAP_ALWAYS || (r->lenswap == LENSWAP_MAYBE && caplen > len)) {
		uint32_t t = caplen;

		caplen = len;
		len = t;
	}
	if (caplen > CAPFILE_MAX_PACKET) {
		snprintf(err, errlen,
			 "pcap record at offset %llu holds %u bytes, more than any packet (%u)",
			 (unsigned long long)r->off, caplen, CAPFILE_MAX_PACKET);
		return -1;
	}
	h = capfile_peek(r, r->rec_hdr + caplen, &have, err, errlen);
	if (!h)
		return -1;
	if (have < r->rec_hdr + caplen) {
		snprintf(err, errlen, "truncated pcap record at offset %llu (%zu of %u bytes)",
			 (unsigned long long)r->off, have - r->rec_hdr, caplen);
		return -1;
	}
	pkt->data = h + r->rec_hdr;
	pkt->caplen = caplen;
	pkt->origlen = len < caplen ? caplen : len;
	/* Seconds unsigned, as the format says: files reach past 2038. */
	pkt->ts_ns = (uint64_t)sec * 1000000000ULL + (uint64_t)frac * (r->nsec ? 1 : 1000);
	pkt->linktype = r->link;
	capfile_skip(r, r->rec_hdr + caplen);
	return 1;
}

struct capfile *capfile_open(int fd, char *err, size_t errlen)
{
	struct capfile *r = calloc(1, sizeof(*r));
	const uint8_t *m;
	uint32_t magic;
	size_t have;

	if (!r || !(r->buf = malloc(CAPFILE_BUFFER))) {
		free(r);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->fd = fd;
	r->cap = CAPFILE_BUFFER;
	r->link = -1;
	m = capfile_peek(r, 4, &have, err, errlen);
	if (!m)
		goto fail;
	if (have < 4) {
		snprintf(err, errlen, have ? "not a capture file: %zu bytes" : "empty file", have);
		goto fail;
	}
	memcpy(&magic, m, 4);
	if (!memcmp(m, "\x0a\x0d\x0d\x0a", 4)) {
		r->fmt = CAPFILE_PCAPNG;
		r->link = pcapng_first_link(r);
		return r;
	}
	if (magic == MAGIC_USEC || magic == MAGIC_NSEC || magic == MAGIC_KUZ ||
	    magic == __builtin_bswap32(MAGIC_USEC) || magic == __builtin_bswap32(MAGIC_NSEC) ||
	    magic == __builtin_bswap32(MAGIC_KUZ)) {
		r->fmt = CAPFILE_PCAP;
		if (pcap_header(r, magic, err, errlen))
			goto fail;
		return r;
	}
	snprintf(err, errlen, "not a pcap or pcapng file (it starts with %02x %02x %02x %02x)",
		 m[0], m[1], m[2], m[3]);
fail:
	capfile_close(r);
	return NULL;
}

void capfile_close(struct capfile *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r->ifs);
	free(r);
}

int capfile_next(struct capfile *r, struct capfile_packet *pkt, char *err, size_t errlen)
{
	return r->fmt == CAPFILE_PCAP ? pcap_next_record(r, pkt, err, errlen)
				      : pcapng_next(r, pkt, err, errlen);
}

enum capfile_format capfile_format(const struct capfile *r)
{
	return r->fmt;
}

int capfile_link(const struct capfile *r)
{
	return r->link;
}

uint64_t capfile_offset(const struct capfile *r)
{
	return r->off;
}
