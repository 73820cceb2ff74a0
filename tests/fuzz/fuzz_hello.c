// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer harness for TLS framing, the ClientHello parser and the
 * fingerprints: the input is the start of a client stream. Whatever it
 * holds, nothing may read past it, a parsed hello must fingerprint into
 * well-formed JA4 strings, and framing resumed over growing prefixes must
 * agree with framing each prefix from the start.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "fp.h"
#include "hello.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t scratch[REASM_MAX_BYTES];
static struct hello_info hi;
static char ja3[FP_JA3_MAX];
static char raw_r[FP_JA4_RAW_MAX], raw_ro[FP_JA4_RAW_MAX];
static uint8_t scratch2[REASM_MAX_BYTES];

/* hello_frame_at() over growing prefixes, resuming each time, says what
 * hello_frame() says of each prefix read from its start. */
static void check_resume(const uint8_t *data, uint32_t size)
{
	struct hello_frame_pos pos = { 0, 0 };
	uint32_t step = size / 16 + 1 + (size ? data[size - 1] : 0);

	for (uint32_t len = 0;; len = len + step < size ? len + step : size) {
		uint8_t *p = malloc(len ? len : 1);
		const uint8_t *m1, *m2;
		uint32_t l1, l2, n1, n2;
		enum hello_verdict v1, v2;

		memcpy(p, data, len);
		v1 = hello_frame(p, len, scratch, &m1, &l1, &n1);
		v2 = hello_frame_at(p, len, scratch2, &m2, &l2, &n2, &pos);
		assert(v1 == v2);
		assert(v1 != HELLO_NEED_MORE || n1 == n2);
		assert(v1 != HELLO_OK || (l1 == l2 && !memcmp(m1, m2, l1)));
		free(p);
		if (v1 != HELLO_NEED_MORE || len == size)
			break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fp_hash *h;
	struct fp_ja4 ja4 = { .ja4_r = raw_r, .ja4_ro = raw_ro };
	const uint8_t *msg;
	uint32_t msg_len, need;
	char md5[33];
	uint8_t *copy;

	if (!h)
		h = fp_hash_new();
	if (size > REASM_MAX_BYTES)
		return 0;
	/* An exact-size heap copy, so ASan sees any read past the end. */
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	if (hello_frame(copy, (uint32_t)size, scratch, &msg, &msg_len, &need) == HELLO_OK &&
	    hello_parse(msg, msg_len, &hi) == HELLO_OK) {
		assert(fp_ja4(h, &hi, 't', &ja4) == 0);
		assert(strlen(ja4.ja4) == 36 && strlen(ja4.ja4_o) == 36);
		assert(!strncmp(ja4.ja4, ja4.ja4_r, 10));
		assert(fp_ja3(h, &hi, ja3, md5) < FP_JA3_MAX);
	}
	check_resume(data, (uint32_t)size);
	/* The parser alone, on the raw input as a handshake message. */
	hello_parse(copy, (uint32_t)size, &hi);
	free(copy);
	return 0;
}
