// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer harness for the packet parser: the first byte picks a link
 * type, the rest is the frame (tunnels included: make_seeds.py writes one
 * seed per encapsulation). Every field of the result must lie inside the
 * input.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include "packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = { 0, 1, 12, 14, 101, 108, 113, 228, 229, 276 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *l3;
	uint32_t l3len;
	struct pkt_info pi;
	struct tcp_meta tm;

	if (size < 1)
		return 0;
	if (packet_strip_link(linktypes[data[0] % 10], data + 1, (uint32_t)size - 1, &l3, &l3len) !=
	    PKT_OK)
		return 0;
	assert(l3 >= data + 1 && l3 + l3len == data + size);
	/* The file mode's parse reads on past a wrong IPv4 header checksum,
	 * which a mutated header nearly always has: the layers behind it get
	 * fuzzed too. What the strict parse accepts it accepts the same. */
	if (packet_parse(l3, l3len, &pi) == PKT_OK) {
		assert(packet_parse_file(l3, l3len, &pi) == PKT_OK);
		assert(!pi.bad_csum);
	}
	if (packet_parse_file(l3, l3len, &pi) != PKT_OK)
		return 0;
	assert(pi.payload >= l3 && pi.payload + pi.payload_len <= l3 + l3len);
	assert(pi.tcp_opts + pi.tcp_opt_len <= pi.payload);
	assert(pi.payload_len <= pi.payload_wire);
	for (int i = 0; i < J4S_TUNNEL_MAX; i++)
		assert(pi.tunnel[i] < PKT_TUN_MAX && (i == 0 || pi.tunnel[i - 1] || !pi.tunnel[i]));
	packet_tcp_meta(pi.tcp_opts, pi.tcp_opt_len, &tm);
	return 0;
}
