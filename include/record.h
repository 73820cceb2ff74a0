/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * record: the flat JSON object of one ClientHello (design.md §7), written
 * straight into the caller's buffer (json-c cost more than the rest of a
 * hello together). Names and ALPN are arbitrary bytes: they are escaped so
 * the record is valid JSON and printable ASCII whatever the packet held. A
 * record never exceeds RECORD_MAX_BYTES: names longer than RECORD_MAX_NAME
 * are cut, and when that is not enough the raw JA4 forms are left out; the
 * counters say so.
 */
#ifndef J4S_RECORD_H
#define J4S_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "flow.h"
#include "fp.h"
#include "hello.h"

struct record_input {
	const struct flow *flow;
	const struct hello_info *hello;
	const struct fp_ja4 *ja4;
	const char *ja3;      /* JA3 string */
	const char *ja3_hash; /* MD5 hex */
	const char *sensor_id;
	const char *ja4t; /* JA4T of the SYN, NULL when off or the SYN was missed */
	bool raw;         /* emit ja4_r, ja4_o, ja4_ro */
	/* Wall clock minus the flow's ageing clock (packet.ts_ns - mono_ns of
	 * the packet that completed the hello; 0 offline, wrapping arithmetic):
	 * the flow's times are ageing-clock times, the record's timestamp is
	 * realtime. */
	uint64_t real_minus_mono;
	/* 0 for TCP; else the QUIC version the hello came in: no tcp_meta_*,
	 * a quic_version field (docs/record.md) */
	uint32_t quic_version;
};

struct record_stats {
	uint64_t records;
	uint64_t raw_dropped; /* raw JA4 forms left out to stay under 64 KiB */
	uint64_t names_cut;   /* tls_sni / tls_alpn shortened */
	uint64_t errors;      /* records over RECORD_MAX_BYTES even without raw forms */
};

/*
 * Format the record into buf (size >= RECORD_MAX_BYTES + 1, NUL-terminated).
 * Returns the length, or a negative errno.
 */
int record_format(const struct record_input *in, char *buf, size_t size, struct record_stats *st);

/* tls_version text of a version value ("1.3", "ssl3", "0x7f1c" for others). */
const char *record_tls_version(uint16_t v, char tmp[8]);

/*
 * Escape arbitrary bytes as printable ASCII: bytes 0x21..0x7e stay, except
 * '\', which like every other byte becomes "\xHH". Returns the length
 * written to out (size >= 4 * len + 1).
 */
size_t record_escape_bytes(const uint8_t *in, size_t len, char *out);

#endif
