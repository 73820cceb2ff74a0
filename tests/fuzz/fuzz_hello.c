// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer harness for TLS framing, the ClientHello parser and the
 * fingerprints: the input is the start of a client stream. Whatever it
 * holds, nothing may read past it, and a parsed hello must fingerprint into
 * well-formed JA4 strings.
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
	/* The parser alone, on the raw input as a handshake message. */
	hello_parse(copy, (uint32_t)size, &hi);
	free(copy);
	return 0;
}
