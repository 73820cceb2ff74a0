// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pcapng files (include/capfile.h), read through capfile.c's buffer. The
 * block layout is that of the pcapng specification (draft-ietf-opsawg-pcapng): a block is its type,
 * its total length, a body and the total length again, all 32-bit words in
 * the byte order of its section, whose Section Header Block says it with
 * the magic 0x1A2B3C4D.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capfile_priv.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 1u
#define BT_PB  2u /* obsolete Packet Block */
#define BT_SPB 3u
#define BT_EPB 6u
#define BOM    0x1A2B3C4Du

/* How far into a file its first interface is looked for. */
#define PCAPNG_LOOKAHEAD (1u << 20)

#define OPT_END      0
#define OPT_TSRESOL  9
#define OPT_TSOFFSET 14

/* The options of an IDB (body from off to end): if_tsresol, if_tsoffset. */
static void idb_options(const struct capfile *r, const uint8_t *b, uint32_t off, uint32_t end,
			struct pcapng_iface *ifc)
{
	while (off + 4 <= end) {
		uint16_t code = capfile_u16(r, b + off), len = capfile_u16(r, b + off + 2);

		off += 4;
		if (code == OPT_END || len > end - off)
			return;
		if (code == OPT_TSRESOL && len == 1)
			ifc->tsresol = b[off];
		else if (code == OPT_TSOFFSET && len == 8)
			ifc->tsoffset_s = (int64_t)capfile_u64(r, b + off);
		off += (len + 3u) & ~3u;
	}
}

/* Units of the interface's resolution to Unix ns. */
static uint64_t to_ns(const struct pcapng_iface *ifc, uint64_t t)
{
	uint32_t n = ifc->tsresol & 0x7f;
	uint64_t ns;

	if (ifc->tsresol & 0x80) { /* 2^-n: floor(t * 1e9 / 2^n), as libpcap */
		if (n >= 64)
			ns = 0;
		else if (n == 0)
			ns = t * 1000000000ULL;
		else
			ns = (t >> n) * 1000000000ULL +
			     (uint64_t)(((unsigned __int128)(t & ((1ULL << n) - 1)) *
					 1000000000ULL) >>
					n);
	} else if (n <= 9) {
		uint64_t m = 1;

		for (uint32_t i = n; i < 9; i++)
			m *= 10;
		ns = t * m;
	} else {
		uint64_t d = 1;

		for (uint32_t i = 9; i < n && i < 28; i++)
			d *= 10;
		ns = n >= 28 ? 0 : t / d;
	}
	return ns + (uint64_t)ifc->tsoffset_s * 1000000000ULL;
}

/* The next block, consumed: *blk its bytes (valid until the next read),
 * its type and total length (>= 12). 1, 0 at a clean end, -1 on an error. */
static int read_block(struct capfile *r, const uint8_t **blk, uint32_t *type, uint32_t *len,
		      char *err, size_t errlen)
{
	size_t have;
	const uint8_t *h = capfile_peek(r, 12, &have, err, errlen);

	if (!h)
		return -1;
	if (!have)
		return 0;
	if (have < 8) {
		snprintf(err, errlen, "truncated pcapng block header");
		return -1;
	}
	memcpy(type, h, 4); /* the SHB's type reads the same both ways */
	if (*type == BT_SHB) {
		uint32_t bom;

		if (have < 12) {
			snprintf(err, errlen, "truncated pcapng section header");
			return -1;
		}
		memcpy(&bom, h + 8, 4);
		if (bom == BOM)
			r->swap = false;
		else if (bom == __builtin_bswap32(BOM))
			r->swap = true;
		else {
			snprintf(err, errlen, "pcapng section header with a bad byte-order magic");
			return -1;
		}
	} /* the first block is one: capfile_open() read its type */
	*type = capfile_u32(r, h);
	*len = capfile_u32(r, h + 4);
	if (*len < 12 || *len % 4 || *len > PCAPNG_MAX_BLOCK || (*type == BT_SHB && *len < 28)) {
		snprintf(err, errlen, "pcapng block of type %u with a bad length %u", *type, *len);
		return -1;
	}
	h = capfile_peek(r, *len, &have, err, errlen);
	if (!h)
		return -1;
	if (have < *len) {
		snprintf(err, errlen, "truncated pcapng block of type %u", *type);
		return -1;
	}
	if (capfile_u32(r, h + *len - 4) != *len) {
		snprintf(err, errlen, "pcapng block of type %u: trailing length differs", *type);
		return -1;
	}
	capfile_skip(r, *len);
	*blk = h;
	return 1;
}

static int add_iface(struct capfile *r, const uint8_t *b, uint32_t len, char *err, size_t errlen)
{
	struct pcapng_iface *ifc;

	if (len < 20) {
		snprintf(err, errlen, "pcapng interface description too short");
		return -1;
	}
	if (r->n_ifs >= PCAPNG_MAX_IFACES) {
		snprintf(err, errlen, "more than %u interfaces in a pcapng section",
			 PCAPNG_MAX_IFACES);
		return -1;
	}
	ifc = realloc(r->ifs, (r->n_ifs + 1) * sizeof(*ifc));
	if (!ifc) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->ifs = ifc;
	ifc = &r->ifs[r->n_ifs++];
	ifc->linktype = capfile_dlt(capfile_u16(r, b + 8));
	ifc->snaplen = capfile_u32(r, b + 12);
	ifc->tsresol = 6;
	ifc->tsoffset_s = 0;
	idb_options(r, b, 16, len - 4, ifc);
	return 0;
}

/* A packet's fields in a block of len bytes whose data starts at off. */
static int take(struct capfile *r, const uint8_t *b, uint32_t len, uint32_t ifid, uint64_t ts,
		uint32_t caplen, uint32_t origlen, uint32_t off, struct capfile_packet *pkt,
		char *err, size_t errlen)
{
	const struct pcapng_iface *ifc;

	if (ifid >= r->n_ifs) {
		snprintf(err, errlen, "pcapng packet of interface %u, which is not described",
			 ifid);
		return -1;
	}
	ifc = &r->ifs[ifid];
	if (caplen > len - 4 - off) {
		snprintf(err, errlen, "pcapng packet of %u bytes in a block of %u", caplen, len);
		return -1;
	}
	pkt->data = b + off;
	pkt->caplen = caplen;
	pkt->origlen = origlen < caplen ? caplen : origlen;
	pkt->ts_ns = to_ns(ifc, ts);
	pkt->linktype = ifc->linktype;
	return 1;
}

int pcapng_next(struct capfile *r, struct capfile_packet *pkt, char *err, size_t errlen)
{
	/* Blocks without a packet are passed over a few thousand at a time
	 * (capfile_next()'s 2): a file of nothing else is still a read that
	 * a signal stops. */
	for (uint32_t n = 0; n < CAPFILE_SKIP_MAX; n++) {
		uint32_t type, len;
		const uint8_t *b;
		int rc = read_block(r, &b, &type, &len, err, errlen);

		if (rc <= 0)
			return rc;
		switch (type) {
		case BT_SHB:
			/* 1.x: what libpcap reads; 2.0 would be another layout */
			if (capfile_u16(r, b + 12) != 1) {
				snprintf(err, errlen, "pcapng section of version %u.%u",
					 capfile_u16(r, b + 12), capfile_u16(r, b + 14));
				return -1;
			}
			r->n_ifs = 0; /* interface IDs are per section */
			break;
		case BT_IDB:
			if (add_iface(r, b, len, err, errlen))
				return -1;
			break;
		case BT_EPB:
			if (len < 32)
				goto short_block;
			return take(r, b, len, capfile_u32(r, b + 8),
				    (uint64_t)capfile_u32(r, b + 12) << 32 | capfile_u32(r, b + 16),
				    capfile_u32(r, b + 20), capfile_u32(r, b + 24), 28, pkt, err,
				    errlen);
		case BT_PB:
			if (len < 32)
				goto short_block;
			return take(r, b, len, capfile_u16(r, b + 8),
				    (uint64_t)capfile_u32(r, b + 12) << 32 | capfile_u32(r, b + 16),
				    capfile_u32(r, b + 20), capfile_u32(r, b + 24), 28, pkt, err,
				    errlen);
		case BT_SPB: {
			uint32_t orig, cap;

			if (len < 16)
				goto short_block;
			if (!r->n_ifs) {
				snprintf(err, errlen,
					 "pcapng simple packet block before any interface");
				return -1;
			}
			/* No captured length: the block's, cut at the snap length. */
			orig = capfile_u32(r, b + 8);
			cap = len - 16 < orig ? len - 16 : orig;
			if (r->ifs[0].snaplen && cap > r->ifs[0].snaplen)
				cap = r->ifs[0].snaplen;
			/* no timestamp in the block */
			return take(r, b, len, 0, 0, cap, orig, 12, pkt, err, errlen);
		}
		default:
			break; /* statistics, name resolution, custom...: not ours */
		}
		continue;
	short_block:
		snprintf(err, errlen, "pcapng packet block of type %u too short (%u bytes)", type,
			 len);
		return -1;
	}
	return 2;
}

/*
 * A pcapng file's first interface's link type, looked for without
 * consuming anything (blocks before it peeked, up to PCAPNG_LOOKAHEAD
 * bytes): what libpcap calls the file's link type, what core.bpf_filter is
 * checked on at start. -1 when there is none that early (the file's errors
 * are capfile_next()'s to say).
 */
int pcapng_first_link(struct capfile *r)
{
	char err[128];
	uint64_t off = 0;
	bool swap = false;
	size_t have;

	while (off + 12 <= PCAPNG_LOOKAHEAD) {
		/* a block's type and length; the SHB's byte-order magic after
		 * them, the IDB's link type: no byte past what is needed */
		const uint8_t *b = capfile_peek(r, off + 8, &have, err, sizeof(err));
		uint32_t type, len, bom;
		uint16_t link;

		if (!b || have < off + 8)
			return -1;
		memcpy(&type, b + off, 4);
		memcpy(&len, b + off + 4, 4);
		if (type == BT_SHB) {
			b = capfile_peek(r, off + 12, &have, err, sizeof(err));
			if (!b || have < off + 12)
				return -1;
			memcpy(&bom, b + off + 8, 4);
			swap = bom != BOM;
		}
		if (swap) {
			type = __builtin_bswap32(type);
			len = __builtin_bswap32(len);
		}
		if (type == BT_IDB) { /* link type, 16 bits */
			b = capfile_peek(r, off + 10, &have, err, sizeof(err));
			if (!b || have < off + 10)
				return -1;
			memcpy(&link, b + off + 8, 2);
			return capfile_dlt(swap ? __builtin_bswap16(link) : link);
		}
		if (len < 12 || len % 4)
			return -1;
		off += len;
	}
	return -1;
}
