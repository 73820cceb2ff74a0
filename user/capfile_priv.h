/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Private to capfile.c and pcapng.c: the reader's buffer, which both
 * formats read through.
 */
#ifndef J4S_CAPFILE_PRIV_H
#define J4S_CAPFILE_PRIV_H

#include <stdbool.h>
#include <string.h>
#include "capfile.h"

struct pcapng_iface {
	int linktype;       /* DLT_ */
	uint32_t snaplen;   /* 0: none */
	uint8_t tsresol;    /* as the option: bit 7 set = 2^-n, else 10^-n */
	int64_t tsoffset_s; /* seconds added to every timestamp */
};

struct capfile {
	int fd;
	/* Bytes read and not yet consumed: buf[start, end), the first at
	 * offset off of the input. */
	uint8_t *buf;
	size_t cap, start, end;
	uint64_t off;
	bool eof;
	enum capfile_format fmt;
	/* classic pcap */
	bool nsec;
	uint32_t rec_hdr; /* record header bytes: 16, or 24 (Kuznetzov) */
	uint8_t lenswap;  /* caplen and len swapped: LENSWAP_* */
	int link;         /* DLT_ */
	/* classic and pcapng: multi-byte fields not in our byte order */
	bool swap;
	/* pcapng */
	struct pcapng_iface *ifs;
	uint32_t n_ifs;
};

/*
 * The next n bytes of the input, contiguous, without consuming them;
 * *have says how many there are (fewer than n only at the end of the
 * input, 0 there). Valid until the next capfile_peek. NULL on a read
 * error, with err set.
 */
const uint8_t *capfile_peek(struct capfile *r, size_t n, size_t *have, char *err, size_t errlen);

/* Multi-byte fields in the byte order of the file or section. */
static inline uint16_t capfile_u16(const struct capfile *r, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return r->swap ? __builtin_bswap16(v) : v;
}

static inline uint32_t capfile_u32(const struct capfile *r, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return r->swap ? __builtin_bswap32(v) : v;
}

static inline uint64_t capfile_u64(const struct capfile *r, const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return r->swap ? __builtin_bswap64(v) : v;
}

/* Consume n bytes peeked. */
static inline void capfile_skip(struct capfile *r, size_t n)
{
	r->start += n;
	r->off += n;
}

/* pcapng.c: the next packet of a pcapng input (capfile_next()), and the
 * first interface's link type, looked ahead for at open (capfile_link()). */
int pcapng_next(struct capfile *r, struct capfile_packet *pkt, char *err, size_t errlen);
int pcapng_first_link(struct capfile *r);

#endif
