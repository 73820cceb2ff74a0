// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer harness for IP defragmentation: the input is a series of L3
 * packets, each [step][length, 2 bytes][bytes]; step's low 5 bits advance
 * the packet clock by that many seconds (past the 30 s timeout in a few
 * steps), its top bit runs the expiry tick. Every packet the parser calls
 * a fragment goes to a small table (8 datagrams, 64 KiB: the bounds evict
 * often); a rebuilt datagram goes through the parser again, whose result
 * must lie inside it, and may not be a fragment of the same header.
 * make_seeds.py writes each test hello's IP packet as three fragments.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ipfrag.h"
#include "packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t seed[16] = { 7 };
	const struct ipfrag_config cfg = {
		.max_datagrams = 8,
		.max_bytes = 64 * 1024,
		.timeout_v4_ns = IPFRAG_TIMEOUT_V4_NS,
		.timeout_v6_ns = IPFRAG_TIMEOUT_V6_NS,
	};
	struct ipfrag_table *t = ipfrag_new(&cfg, seed);
	uint64_t now = 1000000000ULL;
	size_t off = 0;

	assert(t);
	while (off + 3 <= size) {
		uint8_t step = data[off];
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
		const uint8_t *out;
		struct pkt_info pi;
		uint32_t outlen;
		uint8_t *pkt;

		off += 3;
		if (len > size - off)
			len = size - off;
		now += (uint64_t)(step & 0x1f) * 1000000000ULL;
		if (step & 0x80)
			ipfrag_expire(t, now);
		/* An exact-size copy: a read past the packet is ASan's. */
		pkt = malloc(len ? len : 1);
		assert(pkt);
		memcpy(pkt, data + off, len);
		off += len;
		/* Bit 6: a capture file's packet, whose IPv4 header
		 * checksums are not checked (most mutated ones are wrong), as
		 * the pipeline does it. */
		ipfrag_check_csum(t, !(step & 0x40));
		if ((step & 0x40 ? packet_parse_file(pkt, (uint32_t)len, &pi)
				 : packet_parse(pkt, (uint32_t)len, &pi)) == PKT_FRAGMENT &&
		    ipfrag_add(t, pkt, (uint32_t)len, now, &out, &outlen) == IPFRAG_DONE) {
			assert(outlen <= IPFRAG_MAX_PACKET);
			if (packet_parse(out, outlen, &pi) == PKT_OK) {
				assert(pi.payload >= out &&
				       pi.payload + pi.payload_len <= out + outlen);
				assert(pi.payload_len <= pi.payload_wire);
			}
		}
		free(pkt);
		/* the bounds are per address family (ipfrag.h) */
		assert(ipfrag_bytes(t) <= 2ULL * cfg.max_bytes);
		assert(ipfrag_count(t) <= 2 * cfg.max_datagrams);
	}
	ipfrag_free(t);
	return 0;
}
