// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer harness for flows and reassembly: the input is a script of
 * client segments (flags, sequence offset, length) over one or a few
 * 4-tuples, fed through flow_process() (and server SYN-ACKs through
 * flow_synack()) with a small table and tight limits
 * so eviction, limits and timeouts all run. Any hello handed out must lie
 * in memory we own; ASan/LSan check the rest.
 */
#include <assert.h>
#include <string.h>
#include <sys/socket.h>
#include "flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bytes of one step: flags, flow index, seq offset (2), length (2), payload... */
#define STEP_HDR 6

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t seed[16] = { 1, 2, 3 };
	struct flow_config cfg = {
		.max_flows = 4,
		.timeout_ns = 5000,
		.limits = { .max_bytes = 4096, .max_segments = 12 },
	};
	struct flow_table *ft = flow_table_new(&cfg, seed);
	uint64_t now = 1;
	size_t off = 0;

	assert(ft);
	while (off + STEP_HDR <= size) {
		const uint8_t *s = data + off;
		uint16_t len = (uint16_t)((s[4] << 8 | s[5]) % 1500);
		struct pkt_info pi = { 0 };
		struct flow_hello fh;

		if (len > size - off - STEP_HDR)
			len = (uint16_t)(size - off - STEP_HDR);
		pi.family = AF_INET;
		pi.src[0] = 10;
		pi.src[3] = s[1] & 7;
		pi.dst[0] = 10;
		pi.sport = 40000;
		pi.dport = 443;
		pi.tcp_flags = s[0];
		pi.seq = 1000u + (uint32_t)(s[2] << 8 | s[3]);
		pi.payload = s + STEP_HDR;
		pi.payload_len = len;
		pi.payload_wire = len + (s[1] & 0x80 ? 10 : 0); /* sometimes cut by snaplen */
		pi.ack = s[1] & 0x08 ? 5001 : 5002;
		/* Urgent pointers (used with URG in s[0]) into the segment, just past
		 * it and beyond, from the header's bytes: seeds stay valid. */
		pi.urg_ptr = (uint16_t)((s[3] * 7u + s[2]) % (len + 64u));
		now += s[1] >> 4;
		if ((s[0] & (TCPF_SYN | TCPF_ACK)) == (TCPF_SYN | TCPF_ACK) && (s[1] & 0x08)) {
			/* The server's SYN-ACK (ISN 5000), before or after its SYN. */
			memcpy(pi.src, pi.dst, 16);
			memset(pi.dst, 0, 16);
			pi.dst[0] = 10;
			pi.dst[3] = s[1] & 7;
			pi.sport = 443;
			pi.dport = 40000;
			pi.ack = pi.seq;
			pi.seq = 5000;
			flow_synack(ft, &pi, now);
		} else if (flow_process(ft, &pi, now, &fh) == FLOW_HELLO) {
			assert(fh.msg_len >= 4 && fh.msg[0] == 0x01);
			flow_table_finish(ft, fh.flow, now);
		}
		if (s[0] & 0x40)
			flow_table_expire(ft, now);
		off += STEP_HDR + len;
	}
	flow_table_free(ft);
	return 0;
}
