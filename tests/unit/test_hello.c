// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unit tests of user/hello.c: TLS record framing at stream start
 * (hello_frame) and the ClientHello parser (hello_parse). The good vectors
 * are the worked example of ja4-ja3-spec.md §10 and Firefox's hello of
 * foxio/tls12.pcap; every malformed or truncated variant sits next to the
 * good case it is derived from. Copies handed to the code under test are
 * heap buffers of the exact length, so the ASan build catches any read past
 * the input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hello.h"
#include "hello_build.h"
#include "../data/hello_badcurveball.h"
#include "../data/hello_firefox_tls12.h"

#define STREAM_CAP (2 * REASM_MAX_BYTES + 64)

struct fx {
	struct hello_info *hi;
	uint8_t *scratch; /* REASM_MAX_BYTES, as hello_frame expects */
	uint8_t *stream;  /* STREAM_CAP */
	struct hb *b;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->hi = malloc(sizeof(*f->hi));
	f->scratch = malloc(REASM_MAX_BYTES);
	f->stream = malloc(STREAM_CAP);
	f->b = calloc(1, sizeof(*f->b));
	if (!f->hi || !f->scratch || !f->stream || !f->b)
		return -1;
	/* Garbage, so a field the parser forgets to reset shows. */
	memset(f->hi, 0xa5, sizeof(*f->hi));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	free(f->hi);
	free(f->scratch);
	free(f->stream);
	free(f->b);
	free(f);
	return 0;
}

/* hello_frame on an exact-length heap copy of the first len stream bytes. */
static enum hello_verdict frame(struct fx *f, const uint8_t *s, uint32_t len, const uint8_t **msg,
				uint32_t *msg_len, uint32_t *need)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum hello_verdict v;

	assert_non_null(copy);
	memcpy(copy, s, len);
	*msg = NULL;
	*msg_len = 0;
	v = hello_frame(copy, len, f->scratch, msg, msg_len, need);
	/* A message that points into the copy moves to scratch before the
	 * copy is freed. */
	if (v == HELLO_OK && *msg >= copy && *msg < copy + len) {
		memcpy(f->scratch, *msg, *msg_len);
		*msg = f->scratch;
	}
	free(copy);
	return v;
}

/* hello_parse on an exact-length heap copy. */
static enum hello_verdict parse(struct fx *f, const uint8_t *m, uint32_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum hello_verdict v;

	assert_non_null(copy);
	memcpy(copy, m, len);
	v = hello_parse(copy, len, f->hi);
	/* sni / alpn point into the message: re-aim them at the original. */
	if (f->hi->sni)
		f->hi->sni = m + (f->hi->sni - copy);
	if (f->hi->alpn)
		f->hi->alpn = m + (f->hi->alpn - copy);
	free(copy);
	return v;
}

/* The §10 message behind its record header (16 0301 0200). */
static uint32_t worked_stream(uint8_t *out)
{
	static const uint8_t hdr[5] = { 0x16, 0x03, 0x01, 0x02, 0x00 };

	memcpy(out, hdr, 5);
	memcpy(out + 5, hello_badcurveball, sizeof(hello_badcurveball));
	return 5 + sizeof(hello_badcurveball);
}

/* ---- hello_frame ---- */

static void test_hello_frame_single_record(void **state)
{
	struct fx *f = *state;
	uint32_t len = worked_stream(f->stream), msg_len, need = 99;
	const uint8_t *msg;

	assert_int_equal(len, 517);
	/* In place: the message points into the stream, no copy. */
	assert_int_equal(hello_frame(f->stream, len, f->scratch, &msg, &msg_len, &need), HELLO_OK);
	assert_ptr_equal(msg, f->stream + 5);
	assert_int_equal(msg_len, 512);
	assert_int_equal(need, 0);

	assert_int_equal(frame(f, hello_firefox_tls12, sizeof(hello_firefox_tls12), &msg, &msg_len,
			       &need),
			 HELLO_OK);
	assert_int_equal(msg_len, 512);
	assert_memory_equal(msg, hello_firefox_tls12 + 5, 512);
}

static void test_hello_frame_trailing_bytes(void **state)
{
	struct fx *f = *state;
	uint32_t len = worked_stream(f->stream), msg_len, need;
	const uint8_t *msg;

	/* The next flight (a CCS record) already behind the hello: ignored. */
	memcpy(f->stream + len, "\x14\x03\x03\x00\x01\x01", 6);
	assert_int_equal(frame(f, f->stream, len + 6, &msg, &msg_len, &need), HELLO_OK);
	assert_int_equal(msg_len, 512);
	assert_memory_equal(msg, hello_badcurveball, 512);
}

/* Every proper prefix is NEED_MORE, and need is 0 (unknown) or lies in
 * (prefix length, whole stream]. */
static void check_prefixes(struct fx *f, const uint8_t *s, uint32_t total)
{
	const uint8_t *msg;
	uint32_t msg_len, need, prev = 0;

	for (uint32_t l = 0; l < total; l++) {
		assert_int_equal(frame(f, s, l, &msg, &msg_len, &need), HELLO_NEED_MORE);
		if (l == 0) {
			assert_int_equal(need, 0);
			continue;
		}
		assert_true(need > l);
		assert_true(need <= total);
		assert_true(need >= prev); /* what is needed never shrinks */
		prev = need;
	}
	assert_int_equal(frame(f, s, total, &msg, &msg_len, &need), HELLO_OK);
	assert_int_equal(msg_len, 512);
	assert_memory_equal(msg, hello_badcurveball, 512);
}

static void test_hello_frame_need_more_every_prefix(void **state)
{
	struct fx *f = *state;
	uint32_t len = worked_stream(f->stream), msg_len, need;
	const uint8_t *msg;

	check_prefixes(f, f->stream, len);
	/* The exact values: the record header, the handshake header, then the hello. */
	assert_int_equal(frame(f, f->stream, 3, &msg, &msg_len, &need), HELLO_NEED_MORE);
	assert_int_equal(need, 5);
	assert_int_equal(frame(f, f->stream, 7, &msg, &msg_len, &need), HELLO_NEED_MORE);
	assert_int_equal(need, 9);
	assert_int_equal(frame(f, f->stream, 9, &msg, &msg_len, &need), HELLO_NEED_MORE);
	assert_int_equal(need, 517);
	assert_int_equal(frame(f, f->stream, 300, &msg, &msg_len, &need), HELLO_NEED_MORE);
	assert_int_equal(need, 517);
}

static void test_hello_frame_need_more_every_prefix_multi(void **state)
{
	struct fx *f = *state;
	static const uint32_t sizes[3] = { 2, 200, 0 };
	uint32_t len = hb_records(hello_badcurveball, 512, sizes, 3, f->stream);

	assert_int_equal(len, 512 + 15);
	check_prefixes(f, f->stream, len);
}

/*
 * hello_frame_at() fed growing prefixes of one stream, keeping its position,
 * gives what hello_frame() gives on each prefix from the start: verdict,
 * need and message. step = bytes added per call.
 */
static enum hello_verdict check_resume(struct fx *f, const uint8_t *s, uint32_t total,
				       uint32_t step)
{
	struct hello_frame_pos pos = { 0, 0 };
	uint8_t *scratch2 = malloc(REASM_MAX_BYTES);
	enum hello_verdict v = HELLO_NEED_MORE;

	assert_non_null(scratch2);
	for (uint32_t len = 0; v == HELLO_NEED_MORE;
	     len = len + step < total ? len + step : total) {
		const uint8_t *m1, *m2;
		uint32_t l1, l2, n1, n2;
		enum hello_verdict w = frame(f, s, len, &m1, &l1, &n1);

		v = hello_frame_at(s, len, scratch2, &m2, &l2, &n2, &pos);
		assert_int_equal(v, w);
		if (v == HELLO_NEED_MORE)
			assert_int_equal(n1, n2);
		if (v == HELLO_OK) {
			assert_int_equal(l1, l2);
			assert_memory_equal(m1, m2, l1);
		}
		assert_true(pos.off <= len);
		if (len == total)
			break;
	}
	free(scratch2);
	return v;
}

static void test_hello_frame_at_one_byte_records(void **state)
{
	struct fx *f = *state;
	static uint32_t ones[512];
	uint32_t len;

	for (int i = 0; i < 512; i++)
		ones[i] = 1;
	len = hb_records(hello_badcurveball, 512, ones, 512, f->stream);
	assert_int_equal(len, 512 * 6);
	for (uint32_t step = 1; step < 40; step += 3)
		assert_int_equal(check_resume(f, f->stream, len, step), HELLO_OK);
	assert_int_equal(check_resume(f, f->stream, len, 1448), HELLO_OK);
	assert_int_equal(check_resume(f, f->stream, len, len), HELLO_OK);
}

static void test_hello_frame_at_bad_record_later(void **state)
{
	struct fx *f = *state;
	static const uint32_t sizes[5] = { 3, 1, 100, 50, 0 };
	uint32_t len = hb_records(hello_badcurveball, 512, sizes, 5, f->stream);

	/* Mixed record sizes; then a bad content type in the fourth record,
	 * found after the position passed the records before it. */
	assert_int_equal(check_resume(f, f->stream, len, 1), HELLO_OK);
	f->stream[5 + 3 + 5 + 1 + 5 + 100] = 0x17;
	assert_int_equal(check_resume(f, f->stream, len, 1), HELLO_MALFORMED);
	assert_int_equal(check_resume(f, f->stream, len, 11), HELLO_MALFORMED);
}

static void test_hello_frame_at_too_big(void **state)
{
	struct fx *f = *state;
	static const uint32_t sizes[4] = { 1, 1, 1, 0 };
	uint8_t msg[8] = { 0x01, 0x00, 0x40, 0x01, 0x03, 0x03, 0, 0 }; /* body 16385 */
	uint32_t len = hb_records(msg, 8, sizes, 4, f->stream);

	assert_int_equal(check_resume(f, f->stream, len, 1), HELLO_TOO_BIG);
	msg[2] = 0x20; /* body 8193: need grows with the length */
	len = hb_records(msg, 8, sizes, 4, f->stream);
	assert_int_equal(check_resume(f, f->stream, len, 1), HELLO_NEED_MORE);
}

static void test_hello_frame_record_header_split(void **state)
{
	struct fx *f = *state;
	static const uint32_t sizes[2] = { 100, 0 };
	uint32_t len = hb_records(hello_badcurveball, 512, sizes, 2, f->stream), msg_len, need;
	const uint8_t *msg;

	assert_int_equal(len, 522);
	/* Cut inside the second record's header: the header and the 412
	 * bytes of the hello still missing are needed. */
	for (uint32_t cut = 105; cut < 110; cut++) {
		assert_int_equal(frame(f, f->stream, cut, &msg, &msg_len, &need), HELLO_NEED_MORE);
		assert_int_equal(need, 110 + 412);
	}
	assert_int_equal(frame(f, f->stream, 110, &msg, &msg_len, &need), HELLO_NEED_MORE);
	assert_int_equal(need, 522);
	assert_int_equal(frame(f, f->stream, len, &msg, &msg_len, &need), HELLO_OK);
	assert_memory_equal(msg, hello_badcurveball, 512);
}

static void test_hello_frame_two_records(void **state)
{
	struct fx *f = *state;
	static const uint32_t sizes[2] = { 100, 0 };
	uint32_t len = hb_records(hello_badcurveball, 512, sizes, 2, f->stream), msg_len, need;
	const uint8_t *msg;

	assert_int_equal(hello_frame(f->stream, len, f->scratch, &msg, &msg_len, &need), HELLO_OK);
	assert_ptr_equal(msg, f->scratch); /* joined in scratch */
	assert_int_equal(msg_len, 512);
	assert_memory_equal(msg, hello_badcurveball, 512);
	assert_int_equal(hello_parse(msg, msg_len, f->hi), HELLO_OK);
	assert_int_equal(f->hi->n_ciphers, 16);
}

static void test_hello_frame_three_records(void **state)
{
	struct fx *f = *state;
	/* The 4-byte handshake header itself cut over the first two records. */
	static const uint32_t cuts[][3] = {
		{ 1, 3, 0 }, { 2, 300, 0 }, { 4, 1, 0 }, { 3, 508, 0 }
	};
	const uint8_t *msg;
	uint32_t msg_len, need;

	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		uint32_t len = hb_records(hello_badcurveball, 512, cuts[i], 3, f->stream);

		assert_int_equal(len, 527);
		assert_int_equal(frame(f, f->stream, len, &msg, &msg_len, &need), HELLO_OK);
		assert_int_equal(msg_len, 512);
		assert_memory_equal(msg, hello_badcurveball, 512);
	}
}

static void test_hello_frame_last_record_longer(void **state)
{
	struct fx *f = *state;
	static const uint32_t sizes[2] = { 10, 0 };
	uint8_t msg2[520];
	uint32_t len, msg_len, need;
	const uint8_t *msg;

	/* A second handshake message after the hello in the last record. */
	memcpy(msg2, hello_badcurveball, 512);
	memcpy(msg2 + 512, "\x0b\x00\x00\x04\x01\x02\x03\x04", 8);
	len = hb_records(msg2, 520, sizes, 2, f->stream);
	assert_int_equal(frame(f, f->stream, len, &msg, &msg_len, &need), HELLO_OK);
	assert_int_equal(msg_len, 512);
	assert_memory_equal(msg, hello_badcurveball, 512);
}

static void test_hello_frame_non_handshake_between(void **state)
{
	struct fx *f = *state;
	static const uint32_t sizes[2] = { 100, 0 };
	static const uint8_t types[] = { 0x14, 0x15, 0x17, 0x80 };
	uint32_t len = hb_records(hello_badcurveball, 512, sizes, 2, f->stream), msg_len, need;
	const uint8_t *msg;

	for (size_t i = 0; i < sizeof(types); i++) {
		f->stream[105] = types[i];
		assert_int_equal(frame(f, f->stream, len, &msg, &msg_len, &need), HELLO_MALFORMED);
		/* Known as soon as that header byte is there. */
		assert_int_equal(frame(f, f->stream, 110, &msg, &msg_len, &need), HELLO_MALFORMED);
	}
	/* A handshake record of another version family in between. */
	f->stream[105] = 0x16;
	f->stream[106] = 0x02;
	assert_int_equal(frame(f, f->stream, len, &msg, &msg_len, &need), HELLO_MALFORMED);
	/* A zero-length second record. */
	f->stream[106] = 0x03;
	f->stream[108] = 0;
	f->stream[109] = 0;
	assert_int_equal(frame(f, f->stream, len, &msg, &msg_len, &need), HELLO_MALFORMED);
}

static void test_hello_frame_not_tls(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *what;
		uint8_t b[9];
		uint32_t len;
	} cases[] = {
		{ "application data", { 0x17, 0x03, 0x03, 0x00, 0x20, 1, 2, 3, 4 }, 9 },
		{ "SSLv2 hello", { 0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00 }, 9 },
		{ "handshake, version 2.x", { 0x16, 0x02, 0x00, 0x00, 0x20, 1, 0, 0, 0 }, 9 },
		{ "handshake, version 2.x, 2 bytes", { 0x16, 0x02 }, 2 },
		{ "HTTP", { 'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T' }, 9 },
		{ "alert, one byte", { 0x15 }, 1 },
		{ "SSLv2, one byte", { 0x80 }, 1 },
	};
	const uint8_t *msg;
	uint32_t msg_len, need;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum hello_verdict v = frame(f, cases[i].b, cases[i].len, &msg, &msg_len, &need);

		if (v != HELLO_NOT_TLS)
			fail_msg("%s: %s", cases[i].what, hello_verdict_str(v));
	}
	/* One handshake byte is not enough to say no. */
	assert_int_equal(frame(f, (const uint8_t *)"\x16", 1, &msg, &msg_len, &need),
			 HELLO_NEED_MORE);
	assert_int_equal(need, 5);
}

static void test_hello_frame_not_client_hello(void **state)
{
	struct fx *f = *state;
	/* ServerHello (type 2) and a certificate (11) at stream start. */
	static const uint8_t sh[] = { 0x16, 0x03, 0x03, 0x00, 0x30, 0x02, 0x00, 0x00, 0x2c };
	static const uint8_t cert[] = { 0x16, 0x03, 0x03, 0x00, 0x30, 0x0b };
	const uint8_t *msg;
	uint32_t msg_len, need;

	assert_int_equal(frame(f, sh, sizeof(sh), &msg, &msg_len, &need), HELLO_NOT_CLIENT_HELLO);
	assert_int_equal(frame(f, sh, 6, &msg, &msg_len, &need), HELLO_NOT_CLIENT_HELLO);
	assert_int_equal(frame(f, cert, sizeof(cert), &msg, &msg_len, &need),
			 HELLO_NOT_CLIENT_HELLO);
	/* Before the type byte nothing can be said. */
	assert_int_equal(frame(f, sh, 5, &msg, &msg_len, &need), HELLO_NEED_MORE);
}

static void test_hello_frame_record_length_bad(void **state)
{
	struct fx *f = *state;
	uint8_t s[9] = { 0x16, 0x03, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x10 };
	const uint8_t *msg;
	uint32_t msg_len, need;

	assert_int_equal(frame(f, s, 5, &msg, &msg_len, &need), HELLO_MALFORMED);
	assert_int_equal(frame(f, s, 9, &msg, &msg_len, &need), HELLO_MALFORMED);
	hb_put16(s + 3, TLS_MAX_RECORD + 1);
	assert_int_equal(frame(f, s, 9, &msg, &msg_len, &need), HELLO_MALFORMED);
	hb_put16(s + 3, 0xffff);
	assert_int_equal(frame(f, s, 5, &msg, &msg_len, &need), HELLO_MALFORMED);
	/* The limit itself is a record we wait for, all of it. */
	hb_put16(s + 3, TLS_MAX_RECORD);
	assert_int_equal(frame(f, s, 9, &msg, &msg_len, &need), HELLO_NEED_MORE);
	assert_int_equal(need, 5 + TLS_MAX_RECORD);
}

/* A record that announces more than the hello: the hello is handed out
 * when the record ends, not before, since the server's record layer hands
 * nothing on before (a record that never ends brings the server no hello).
 * So with the last of several records. */
static void test_hello_frame_record_not_ended(void **state)
{
	struct fx *f = *state;
	static const uint32_t sizes[2] = { 10, 0 };
	uint8_t msg2[520];
	uint32_t len, msg_len, need;
	const uint8_t *msg;

	memcpy(f->stream, "\x16\x03\x01", 3);
	hb_put16(f->stream + 3, 512 + 100);
	memcpy(f->stream + 5, hello_badcurveball, 512);
	memset(f->stream + 5 + 512, 0, 100);
	assert_int_equal(frame(f, f->stream, 5 + 512, &msg, &msg_len, &need), HELLO_NEED_MORE);
	assert_int_equal(need, 5 + 512 + 100);
	assert_int_equal(frame(f, f->stream, 5 + 611, &msg, &msg_len, &need), HELLO_NEED_MORE);
	assert_int_equal(frame(f, f->stream, 5 + 612, &msg, &msg_len, &need), HELLO_OK);
	assert_int_equal(msg_len, 512);
	assert_memory_equal(msg, hello_badcurveball, 512);
	memcpy(msg2, hello_badcurveball, 512);
	memcpy(msg2 + 512, "\x0b\x00\x00\x04\x01\x02\x03\x04", 8);
	len = hb_records(msg2, 520, sizes, 2, f->stream);
	assert_int_equal(frame(f, f->stream, len - 8, &msg, &msg_len, &need), HELLO_NEED_MORE);
	assert_int_equal(need, len);
	assert_int_equal(frame(f, f->stream, len, &msg, &msg_len, &need), HELLO_OK);
	assert_int_equal(msg_len, 512);
}

static void test_hello_frame_too_big(void **state)
{
	struct fx *f = *state;
	uint8_t s[9] = { 0x16, 0x03, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00 };
	uint32_t body = HELLO_MAX_BODY + 1;
	const uint8_t *msg;
	uint32_t msg_len, need;

	/* The whole oversized message would fit a record over 2^14 bytes,
	 * which is malformed first (test_hello_frame_record_length_bad). */
	hb_put16(s + 3, (uint16_t)(4 + body));
	s[6] = (uint8_t)(body >> 16);
	s[7] = (uint8_t)(body >> 8);
	s[8] = (uint8_t)body;
	assert_int_equal(frame(f, s, 9, &msg, &msg_len, &need), HELLO_MALFORMED);
	/* A small first record announcing a huge message. */
	hb_put16(s + 3, 4);
	assert_int_equal(frame(f, s, 9, &msg, &msg_len, &need), HELLO_TOO_BIG);
	/* 24-bit length far beyond any record. */
	s[6] = 0xff;
	assert_int_equal(frame(f, s, 9, &msg, &msg_len, &need), HELLO_TOO_BIG);
	hb_put16(s + 3, 0x4000);
	assert_int_equal(frame(f, s, 9, &msg, &msg_len, &need), HELLO_TOO_BIG);
}

static void test_hello_frame_max_body(void **state)
{
	struct fx *f = *state;
	static const uint32_t sizes[2] = { 16384, 0 };
	uint8_t *m = calloc(1, 4 + HELLO_MAX_BODY);
	const uint8_t *msg;
	uint32_t msg_len, need, len;

	assert_non_null(m);
	m[0] = 0x01;
	m[1] = (uint8_t)(HELLO_MAX_BODY >> 16);
	m[2] = (uint8_t)(HELLO_MAX_BODY >> 8);
	m[3] = (uint8_t)HELLO_MAX_BODY;
	m[4 + HELLO_MAX_BODY - 1] = 0x77;
	/* One record of 16388 bytes: over 2^14, which a server refuses
	 * (record_overflow, RFC 8446 §5.1): malformed. */
	len = hb_records(m, 4 + HELLO_MAX_BODY, sizes, 1, f->stream);
	assert_int_equal(frame(f, f->stream, len, &msg, &msg_len, &need), HELLO_MALFORMED);
	/* The same over two records: 16384 + 4 bytes, joined in scratch. */
	len = hb_records(m, 4 + HELLO_MAX_BODY, sizes, 2, f->stream);
	assert_int_equal(len, 4 + HELLO_MAX_BODY + 10);
	assert_int_equal(frame(f, f->stream, len, &msg, &msg_len, &need), HELLO_OK);
	assert_int_equal(msg_len, 4 + HELLO_MAX_BODY);
	assert_memory_equal(msg, m, 4 + HELLO_MAX_BODY);
	free(m);
}

/* ---- hello_parse ---- */

static void test_hello_parse_worked_example(void **state)
{
	struct fx *f = *state;
	static const uint16_t ciphers[16] = { 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c,
					      0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c,
					      0x009d, 0x002f, 0x0035, 0x000a };
	static const uint16_t exts[15] = { 0x0000, 0x0017, 0xff01, 0x000a, 0x000b,
					   0x0023, 0x0010, 0x0005, 0x000d, 0x0012,
					   0x0033, 0x002d, 0x002b, 0x001b, 0x0015 };
	static const uint16_t sigalgs[9] = { 0x0403, 0x0804, 0x0401, 0x0503, 0x0805,
					     0x0501, 0x0806, 0x0601, 0x0201 };
	static const uint16_t groups[3] = { 0x001d, 0x0017, 0x0018 };
	const struct hello_info *hi = f->hi;

	assert_int_equal(parse(f, hello_badcurveball, 512), HELLO_OK);
	assert_int_equal(hi->legacy_version, 0x0303);
	assert_int_equal(hi->max_version, 0x0304); /* 2a2a dropped */
	assert_true(hi->has_sni);
	assert_int_equal(hi->sni_len, 21);
	assert_memory_equal(hi->sni, "bad.curveballtest.com", 21);
	assert_ptr_equal(hi->sni, hello_badcurveball + 124); /* points into the message */
	assert_true(hi->has_alpn);
	assert_int_equal(hi->alpn_len, 2);
	assert_memory_equal(hi->alpn, "h2", 2);
	assert_true(hi->has_sigalgs);
	assert_int_equal(hi->n_ciphers, 16); /* aaaa dropped */
	assert_memory_equal(hi->ciphers, ciphers, sizeof(ciphers));
	assert_int_equal(hi->n_exts, 15); /* 4a4a, 7a7a dropped */
	assert_memory_equal(hi->exts, exts, sizeof(exts));
	assert_int_equal(hi->n_sigalgs, 9);
	assert_memory_equal(hi->sigalgs, sigalgs, sizeof(sigalgs));
	assert_int_equal(hi->n_groups, 3); /* caca dropped */
	assert_memory_equal(hi->groups, groups, sizeof(groups));
	assert_int_equal(hi->n_point_formats, 1);
	assert_int_equal(hi->point_formats[0], 0);
}

static void test_hello_parse_firefox(void **state)
{
	struct fx *f = *state;
	static const uint16_t sigalgs[11] = { 0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806,
					      0x0401, 0x0501, 0x0601, 0x0203, 0x0201 };
	static const uint16_t groups[6] = { 0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101 };
	const struct hello_info *hi = f->hi;

	assert_int_equal(parse(f, hello_firefox_tls12 + 5, 512), HELLO_OK);
	assert_int_equal(hi->legacy_version, 0x0303);
	assert_int_equal(hi->max_version, 0x0304);
	assert_int_equal(hi->n_ciphers, 17);
	assert_int_equal(hi->n_exts, 15);
	assert_int_equal(hi->sni_len, 28);
	assert_memory_equal(hi->sni, "contile.services.mozilla.com", 28);
	/* 0x000d's list, not delegated_credentials' 0403,0503,0603,0203. */
	assert_int_equal(hi->n_sigalgs, 11);
	assert_memory_equal(hi->sigalgs, sigalgs, sizeof(sigalgs));
	assert_int_equal(hi->n_groups, 6);
	assert_memory_equal(hi->groups, groups, sizeof(groups));
}

static void test_hello_parse_reuse_resets(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;
	static const uint16_t c[3] = { 0x0035, 0x002f, 0x000a };

	/* A full hello, then a bare one into the same struct: nothing stays. */
	assert_int_equal(parse(f, hello_badcurveball, 512), HELLO_OK);
	hb_start(b, 0x0301, 0);
	hb_ciphers(b, c, 3);
	assert_int_equal(parse(f, b->buf, hb_finish(b)), HELLO_OK);
	assert_int_equal(f->hi->legacy_version, 0x0301);
	assert_int_equal(f->hi->max_version, 0);
	assert_false(f->hi->has_sni);
	assert_false(f->hi->has_alpn);
	assert_false(f->hi->has_sigalgs);
	assert_null(f->hi->sni);
	assert_null(f->hi->alpn);
	assert_int_equal(f->hi->n_exts, 0);
	assert_int_equal(f->hi->n_groups, 0);
	assert_int_equal(f->hi->n_sigalgs, 0);
	assert_int_equal(f->hi->n_point_formats, 0);
}

static void test_hello_parse_no_extensions(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;
	static const uint16_t c[3] = { 0x0035, 0x002f, 0x000a };
	uint32_t len;

	hb_start(b, 0x0301, 0);
	hb_ciphers(b, c, 3);
	len = hb_finish(b);
	assert_int_equal(len, 4 + 2 + 32 + 1 + 8 + 2);
	assert_int_equal(parse(f, b->buf, len), HELLO_OK);
	assert_int_equal(f->hi->legacy_version, 0x0301);
	assert_int_equal(f->hi->n_ciphers, 3);
	assert_memory_equal(f->hi->ciphers, c, sizeof(c));
	assert_int_equal(f->hi->n_exts, 0);
	assert_false(f->hi->has_sni);

	/* An empty extensions block is also fine. */
	hb_start(b, 0x0301, 0);
	hb_ciphers(b, c, 3);
	hb_ext_begin(b);
	assert_int_equal(parse(f, b->buf, hb_finish(b)), HELLO_OK);
	assert_int_equal(f->hi->n_exts, 0);

	/* One stray byte where the block length should be: malformed. */
	hb_start(b, 0x0301, 0);
	hb_ciphers(b, c, 3);
	hb_u8(b, 0);
	assert_int_equal(parse(f, b->buf, hb_finish(b)), HELLO_MALFORMED);
}

static void test_hello_parse_ext_block_overrun(void **state)
{
	struct fx *f = *state;
	uint8_t m[512];

	memcpy(m, hello_badcurveball, 512);
	assert_int_equal(m[109], 0x01);
	assert_int_equal(m[110], 0x91);
	m[110] = 0x92; /* one byte more than the body holds */
	assert_int_equal(parse(f, m, 512), HELLO_MALFORMED);
	hb_put16(m + 109, 0xffff); /* as in synthetic/ext-block-overrun */
	assert_int_equal(parse(f, m, 512), HELLO_MALFORMED);
	/* One byte less: the last extension (padding) now overruns the block. */
	hb_put16(m + 109, 0x0190);
	assert_int_equal(parse(f, m, 512), HELLO_MALFORMED);
	/* The exact value again parses. */
	hb_put16(m + 109, 0x0191);
	assert_int_equal(parse(f, m, 512), HELLO_OK);
}

static void test_hello_parse_bytes_after_extensions(void **state)
{
	struct fx *f = *state;
	uint8_t m[512];

	/* The block stops before the padding extension (313..511): the body
	 * has 199 bytes that belong to nothing. */
	memcpy(m, hello_badcurveball, 512);
	hb_put16(m + 109, 313 - 111);
	assert_int_equal(parse(f, m, 512), HELLO_MALFORMED);
	/* One stray byte after a complete block. */
	hb_put16(m + 109, 401 - 1);
	m[316] = 0xc2;
	assert_int_equal(parse(f, m, 512), HELLO_MALFORMED);
}

static void test_hello_parse_ext_data_overrun(void **state)
{
	struct fx *f = *state;
	uint8_t m[515];

	/* The padding extension (last, at 313) claims one byte too many. */
	memcpy(m, hello_badcurveball, 512);
	assert_memory_equal(m + 313, "\x00\x15\x00\xc3", 4);
	m[316] = 0xc4;
	assert_int_equal(parse(f, m, 512), HELLO_MALFORMED);
	/* Three more bytes in body and block: an extension header cut short. */
	memcpy(m, hello_badcurveball, 512);
	memcpy(m + 512, "\x00\x2b\x00", 3);
	m[2] = 0x01;
	m[3] = 0xff; /* body 511 = 508 + 3 */
	hb_put16(m + 109, 401 + 3);
	assert_int_equal(parse(f, m, 515), HELLO_MALFORMED);
	/* Completed to an empty unknown extension, it parses. */
	{
		uint8_t m2[516];

		memcpy(m2, m, 515);
		m2[515] = 0x00;
		m2[2] = 0x02;
		m2[3] = 0x00; /* body 512 */
		hb_put16(m2 + 109, 401 + 4);
		memcpy(m2 + 512, "\x00\x99\x00\x00", 4);
		assert_int_equal(parse(f, m2, 516), HELLO_OK);
		assert_int_equal(f->hi->n_exts, 16);
		assert_int_equal(f->hi->exts[15], 0x0099);
	}
}

/* Base-hello variants with one extension's inner length wrong. */
struct bad_ext {
	const char *what;
	uint16_t type;
	const char *data;
	uint16_t len;
};

static void test_hello_parse_ext_inner_overrun(void **state)
{
	struct fx *f = *state;
	/* clang-format off */
	static const struct bad_ext cases[] = {
		{ "sni list past data", 0x0000, "\x00\x10\x00\x00\x03" "abc", 8 },
		{ "sni name past list", 0x0000, "\x00\x06\x00\x00\x09" "abc", 8 },
		{ "sni entry header cut", 0x0000, "\x00\x02\x00\x00", 4 },
		{ "sni list length cut", 0x0000, "\x00", 1 },
		{ "alpn list past data", 0x0010, "\x00\x09\x02h2", 5 },
		{ "alpn name past list", 0x0010, "\x00\x03\x05h2", 5 },
		{ "alpn list length cut", 0x0010, "\x00", 1 },
		{ "alpn empty body", 0x0010, "", 0 },
		{ "sigalgs odd length", 0x000d, "\x00\x03\x04\x03\x08", 5 },
		{ "sigalgs list past data", 0x000d, "\x00\x08\x04\x03\x08\x04", 6 },
		{ "sigalgs empty body", 0x000d, "", 0 },
		{ "versions list past data", 0x002b, "\x06\x03\x04\x03\x03", 5 },
		{ "versions odd length", 0x002b, "\x03\x03\x04\x03", 4 },
		{ "versions empty body", 0x002b, "", 0 },
		{ "groups list past data", 0x000a, "\x00\x08\x00\x1d\x00\x17", 6 },
		{ "groups odd length", 0x000a, "\x00\x03\x00\x1d\x00", 5 },
		{ "point formats past data", 0x000b, "\x05\x00\x01", 3 },
		{ "point formats empty body", 0x000b, "", 0 },
	};
	/* clang-format on */
	struct hb *b = f->b;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum hello_verdict v;

		hb_start(b, 0x0303, 0);
		hb_ciphers(b, hb_base_ciphers, 16);
		hb_ext_begin(b);
		hb_ext(b, 0x0017, NULL, 0);
		hb_ext(b, cases[i].type, cases[i].data, cases[i].len);
		hb_base_versions_ext(b);
		v = parse(f, b->buf, hb_finish(b));
		if (v != HELLO_MALFORMED)
			fail_msg("%s: %s", cases[i].what, hello_verdict_str(v));
	}
}

static void test_hello_parse_repeated_extension_checked(void **state)
{
	struct fx *f = *state;
	/* clang-format off */
	static const struct bad_ext cases[] = {
		{ "second groups list past data", 0x000a, "\x00\x08\x00\x1d", 4 },
		{ "second groups odd length", 0x000a, "\x00\x03\x00\x1d\x00", 5 },
		{ "second sigalgs list past data", 0x000d, "\x00\x08\x04\x03", 4 },
		{ "second sigalgs odd length", 0x000d, "\x00\x03\x04\x03\x08", 5 },
		{ "second point formats past data", 0x000b, "\x05\x00", 2 },
		{ "second alpn name past list", 0x0010, "\x00\x03\x05h2", 5 },
		{ "second sni name past list", 0x0000, "\x00\x06\x00\x00\x09" "abc", 8 },
		{ "second versions odd length", 0x002b, "\x03\x03\x04\x03", 4 },
	};
	/* clang-format on */
	struct hb *b = f->b;

	/* A repeated extension is as checked as the first one: the whole hello
	 * is valid or rejected (spec §9). */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum hello_verdict v;

		hb_base_start(b);
		hb_base_sigalgs_ext(b);
		hb_ext_alpn(b, "h2", 2);
		hb_base_versions_ext(b);
		hb_ext(b, cases[i].type, cases[i].data, cases[i].len);
		v = parse(f, b->buf, hb_finish(b));
		if (v != HELLO_MALFORMED)
			fail_msg("%s: %s", cases[i].what, hello_verdict_str(v));
	}
}

static void test_hello_parse_repeated_extension_first_wins(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;
	static const uint16_t g2[1] = { 0x0019 }, s2[1] = { 0x0201 };

	hb_base_start(b);
	hb_base_sigalgs_ext(b);
	hb_ext_alpn(b, "h2", 2);
	hb_base_versions_ext(b);
	hb_ext_sni(b, "second.example", 14);
	hb_ext_u16list(b, 0x000a, 2, g2, 1);
	hb_ext_u16list(b, 0x000d, 2, s2, 1);
	hb_ext_alpn(b, "http/1.1", 8);
	hb_ext_point_formats(b, (const uint8_t *)"\x01\x02", 2);
	assert_int_equal(parse(f, b->buf, hb_finish(b)), HELLO_OK);
	/* Every occurrence counts as an extension ... */
	assert_int_equal(f->hi->n_exts, 11);
	/* ... but the values are the first extension's. */
	assert_int_equal(f->hi->sni_len, 11);
	assert_memory_equal(f->hi->sni, "example.com", 11);
	assert_int_equal(f->hi->alpn_len, 2);
	assert_int_equal(f->hi->n_groups, 3);
	assert_int_equal(f->hi->groups[0], 0x001d);
	assert_int_equal(f->hi->n_sigalgs, 8);
	assert_int_equal(f->hi->n_point_formats, 1);
}

static void test_hello_parse_session_id(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;
	static const uint16_t c[1] = { 0x002f };

	hb_start(b, 0x0303, 32);
	hb_ciphers(b, c, 1);
	assert_int_equal(parse(f, b->buf, hb_finish(b)), HELLO_OK);
	hb_start(b, 0x0303, 33);
	hb_ciphers(b, c, 1);
	assert_int_equal(parse(f, b->buf, hb_finish(b)), HELLO_MALFORMED);
	hb_start(b, 0x0303, 255);
	hb_ciphers(b, c, 1);
	assert_int_equal(parse(f, b->buf, hb_finish(b)), HELLO_MALFORMED);
	/* A session id length running past the body. */
	hb_start(b, 0x0303, 0);
	b->buf[b->len - 1] = 20;
	hb_u8(b, 0);
	assert_int_equal(parse(f, b->buf, hb_finish(b)), HELLO_MALFORMED);
}

static void test_hello_parse_cipher_length(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;
	uint8_t m[512];

	/* Odd cipher byte length. */
	hb_start(b, 0x0303, 0);
	hb_u16(b, 3);
	hb_bytes(b, "\x00\x2f\x00", 3);
	hb_bytes(b, "\x01\x00", 2);
	assert_int_equal(parse(f, b->buf, hb_finish(b)), HELLO_MALFORMED);
	/* Cipher length past the body. */
	memcpy(m, hello_badcurveball, 512);
	assert_int_equal(m[71], 0x00);
	assert_int_equal(m[72], 0x22);
	hb_put16(m + 71, 0x1000);
	assert_int_equal(parse(f, m, 512), HELLO_MALFORMED);
	/* Compression methods past the body. */
	memcpy(m, hello_badcurveball, 512);
	m[107] = 0xff;
	m[2] = 0x00;
	m[3] = 105; /* the body ends after the method count */
	assert_int_equal(parse(f, m, 512), HELLO_MALFORMED);
	/* 255 compression methods that eat into the extensions: the bytes where
	 * the block length is read then say 0, and 147 bytes are left over. */
	memcpy(m, hello_badcurveball, 512);
	m[107] = 0xff;
	assert_int_equal(parse(f, m, 512), HELLO_MALFORMED);
	/* No cipher at all is a valid (odd) hello. */
	hb_start(b, 0x0303, 0);
	hb_ciphers(b, NULL, 0);
	assert_int_equal(parse(f, b->buf, hb_finish(b)), HELLO_OK);
	assert_int_equal(f->hi->n_ciphers, 0);
}

static void test_hello_parse_header(void **state)
{
	struct fx *f = *state;
	uint8_t m[512];

	memcpy(m, hello_badcurveball, 512);
	m[0] = 0x02;
	assert_int_equal(parse(f, m, 512), HELLO_NOT_CLIENT_HELLO);
	m[0] = 0x01;
	for (uint32_t l = 0; l < 4; l++)
		assert_int_equal(parse(f, m, l), HELLO_MALFORMED);
	/* Announced body larger than the limit. */
	m[1] = 0x00;
	m[2] = 0x40;
	m[3] = 0x01;
	assert_int_equal(parse(f, m, 512), HELLO_TOO_BIG);
	/* Announced body larger than what was handed in. */
	m[2] = 0x01;
	m[3] = 0xfd;
	assert_int_equal(parse(f, m, 512), HELLO_MALFORMED);
	/* Bytes after the message are not the message's. */
	{
		uint8_t m2[520];

		memcpy(m2, hello_badcurveball, 512);
		memset(m2 + 512, 0xee, 8);
		assert_int_equal(parse(f, m2, 520), HELLO_OK);
		assert_int_equal(f->hi->n_exts, 15);
	}
}

static void test_hello_parse_truncated_every_length(void **state)
{
	struct fx *f = *state;
	uint8_t m[512];

	/* Cut, header unchanged: the announced body is never there. */
	for (uint32_t l = 0; l < 512; l++) {
		enum hello_verdict v = parse(f, hello_badcurveball, l);

		if (v == HELLO_OK || v == HELLO_NEED_MORE)
			fail_msg("length %u: %s", l, hello_verdict_str(v));
	}
	/* Cut and the header made to match: OK only at the end of the
	 * compression methods (a hello without extensions) and at full length. */
	for (uint32_t l = 4; l <= 512; l++) {
		enum hello_verdict v;
		uint32_t body = l - 4;

		memcpy(m, hello_badcurveball, l);
		m[1] = (uint8_t)(body >> 16);
		m[2] = (uint8_t)(body >> 8);
		m[3] = (uint8_t)body;
		v = parse(f, m, l);
		if (l == 109 || l == 512) {
			assert_int_equal(v, HELLO_OK);
			assert_int_equal(f->hi->n_ciphers, 16);
			assert_int_equal(f->hi->n_exts, l == 512 ? 15 : 0);
		} else if (v != HELLO_MALFORMED) {
			fail_msg("length %u (body fixed): %s", l, hello_verdict_str(v));
		}
	}
	/* Firefox's hello, cut with a fixed header. */
	for (uint32_t l = 4; l < 512; l++) {
		uint32_t body = l - 4;
		enum hello_verdict v;

		memcpy(m, hello_firefox_tls12 + 5, l);
		m[1] = (uint8_t)(body >> 16);
		m[2] = (uint8_t)(body >> 8);
		m[3] = (uint8_t)body;
		v = parse(f, m, l);
		assert_true(v == HELLO_MALFORMED || (v == HELLO_OK && f->hi->n_exts == 0));
	}
}

static void test_hello_parse_empty_sni_body(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;

	hb_start(b, 0x0303, 32);
	hb_ciphers(b, hb_base_ciphers, 16);
	hb_ext_begin(b);
	hb_ext(b, 0x0000, NULL, 0);
	hb_base_versions_ext(b);
	assert_int_equal(parse(f, b->buf, hb_finish(b)), HELLO_OK);
	assert_true(f->hi->has_sni);
	assert_null(f->hi->sni);
	assert_int_equal(f->hi->sni_len, 0);
	assert_int_equal(f->hi->n_exts, 2);

	/* An empty server name list: also present, no name. */
	hb_start(b, 0x0303, 32);
	hb_ciphers(b, hb_base_ciphers, 16);
	hb_ext_begin(b);
	hb_ext(b, 0x0000, "\x00\x00", 2);
	assert_int_equal(parse(f, b->buf, hb_finish(b)), HELLO_OK);
	assert_true(f->hi->has_sni);
	assert_null(f->hi->sni);
}

static void test_hello_parse_sni_first_host_name(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;
	/* An entry of another name type first, then two host names. */
	static const uint8_t sni[18] = { 0x00, 0x10, 0x01, 0x00, 0x01, 'x',  0x00, 0x00, 0x03,
					 'a',  'b',  'c',  0x00, 0x00, 0x03, 'd',  'e',  'f' };
	static const uint8_t empty_name[5] = { 0x00, 0x03, 0x00, 0x00, 0x00 };

	hb_start(b, 0x0303, 0);
	hb_ciphers(b, hb_base_ciphers, 16);
	hb_ext_begin(b);
	hb_ext(b, 0x0000, sni, sizeof(sni));
	assert_int_equal(parse(f, b->buf, hb_finish(b)), HELLO_OK);
	assert_int_equal(f->hi->sni_len, 3);
	assert_memory_equal(f->hi->sni, "abc", 3);

	/* A host_name of length 0 is a name, empty. */
	hb_start(b, 0x0303, 0);
	hb_ciphers(b, hb_base_ciphers, 16);
	hb_ext_begin(b);
	hb_ext(b, 0x0000, empty_name, sizeof(empty_name));
	assert_int_equal(parse(f, b->buf, hb_finish(b)), HELLO_OK);
	assert_true(f->hi->has_sni);
	assert_non_null(f->hi->sni);
	assert_int_equal(f->hi->sni_len, 0);
}

static void test_hello_parse_alpn_first_name(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;

	/* Empty first name, then h2 (synthetic/alpn-empty-first). */
	hb_base_start(b);
	hb_base_sigalgs_ext(b);
	hb_ext(b, 0x0010, "\x00\x04\x00\x02h2", 6);
	hb_base_versions_ext(b);
	assert_int_equal(parse(f, b->buf, hb_finish(b)), HELLO_OK);
	assert_true(f->hi->has_alpn);
	assert_int_equal(f->hi->alpn_len, 0);

	/* An empty list: the extension counts, there is no name. */
	hb_base_start(b);
	hb_ext(b, 0x0010, "\x00\x00", 2);
	assert_int_equal(parse(f, b->buf, hb_finish(b)), HELLO_OK);
	assert_false(f->hi->has_alpn);
	assert_int_equal(f->hi->n_exts, 4);

	/* Several names: the first one, whole. */
	hb_base_start(b);
	hb_ext(b, 0x0010, "\x00\x0c\x08http/1.1\x02h2", 14);
	assert_int_equal(parse(f, b->buf, hb_finish(b)), HELLO_OK);
	assert_int_equal(f->hi->alpn_len, 8);
	assert_memory_equal(f->hi->alpn, "http/1.1", 8);
}

static void test_hello_parse_versions(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;
	static const uint16_t grease_only[1] = { 0x2a2a };
	static const uint16_t mixed[4] = { 0x0301, 0xfafa, 0x0304, 0x0302 };
	static const uint16_t draft[2] = { 0x7f1c, 0x0303 };
	static const uint16_t zero[2] = { 0x0000, 0x8a8a };

	hb_base_start(b);
	hb_ext_u16list(b, 0x002b, 1, grease_only, 1);
	assert_int_equal(parse(f, b->buf, hb_finish(b)), HELLO_OK);
	assert_int_equal(f->hi->max_version, 0);
	assert_int_equal(f->hi->legacy_version, 0x0303);

	hb_base_start(b);
	hb_ext(b, 0x002b, "\x00", 1); /* empty list */
	assert_int_equal(parse(f, b->buf, hb_finish(b)), HELLO_OK);
	assert_int_equal(f->hi->max_version, 0);

	hb_base_start(b);
	hb_ext_u16list(b, 0x002b, 1, mixed, 4);
	assert_int_equal(parse(f, b->buf, hb_finish(b)), HELLO_OK);
	assert_int_equal(f->hi->max_version, 0x0304); /* highest, not first or last */

	hb_base_start(b);
	hb_ext_u16list(b, 0x002b, 1, draft, 2);
	assert_int_equal(parse(f, b->buf, hb_finish(b)), HELLO_OK);
	assert_int_equal(f->hi->max_version, 0x7f1c); /* numerically highest */

	/* 0x0000 is a version like any other (not "none"): JA4 "00" */
	hb_base_start(b);
	hb_ext_u16list(b, 0x002b, 1, zero, 2);
	assert_int_equal(parse(f, b->buf, hb_finish(b)), HELLO_OK);
	assert_true(f->hi->has_version);
	assert_int_equal(hello_version(f->hi), 0x0000);
}

static void test_hello_parse_grease_everywhere(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;
	static const uint16_t c[3] = { 0x0a0a, 0x1301, 0xfafa };
	static const uint16_t g[3] = { 0x1a1a, 0x001d, 0x2a2a };
	static const uint16_t s[3] = { 0x3a3a, 0x0403, 0x4a4a };

	hb_start(b, 0x0303, 0);
	hb_ciphers(b, c, 3);
	hb_ext_begin(b);
	hb_ext(b, 0x5a5a, NULL, 0);
	hb_ext_u16list(b, 0x000a, 2, g, 3);
	hb_ext(b, 0x6a6a, "\x00", 1);
	hb_ext_u16list(b, 0x000d, 2, s, 3);
	hb_ext(b, 0xfe0d, "x", 1);  /* reserved range: kept */
	hb_ext(b, 0x0a1a, NULL, 0); /* bytes differ: not GREASE */
	assert_int_equal(parse(f, b->buf, hb_finish(b)), HELLO_OK);
	assert_int_equal(f->hi->n_ciphers, 1);
	assert_int_equal(f->hi->ciphers[0], 0x1301);
	assert_int_equal(f->hi->n_groups, 1);
	assert_int_equal(f->hi->groups[0], 0x001d);
	assert_int_equal(f->hi->n_sigalgs, 1);
	assert_int_equal(f->hi->sigalgs[0], 0x0403);
	assert_int_equal(f->hi->n_exts, 4);
	assert_int_equal(f->hi->exts[0], 0x000a);
	assert_int_equal(f->hi->exts[2], 0xfe0d);
	assert_int_equal(f->hi->exts[3], 0x0a1a);
}

static void test_hello_is_grease_values(void **state)
{
	uint32_t n = 0;

	(void)state;
	for (uint32_t v = 0; v <= 0xffff; v++)
		if (hello_is_grease((uint16_t)v)) {
			assert_int_equal(v, 0x0a0a + 0x1010 * n);
			n++;
		}
	assert_int_equal(n, 16);
	assert_false(hello_is_grease(0x0a1a));
	assert_false(hello_is_grease(0x0b0b));
	assert_false(hello_is_grease(0x00ff));
}

static void test_hello_verdict_str_names(void **state)
{
	(void)state;
	assert_string_equal(hello_verdict_str(HELLO_OK), "ok");
	assert_string_equal(hello_verdict_str(HELLO_NEED_MORE), "need_more");
	assert_string_equal(hello_verdict_str(HELLO_NOT_TLS), "not_tls");
	assert_string_equal(hello_verdict_str(HELLO_NOT_CLIENT_HELLO), "not_client_hello");
	assert_string_equal(hello_verdict_str(HELLO_MALFORMED), "malformed");
	assert_string_equal(hello_verdict_str(HELLO_TOO_BIG), "too_big");
	assert_string_equal(hello_verdict_str(HELLO_VERDICT_MAX), "?");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_hello_frame_single_record),
		T(test_hello_frame_trailing_bytes),
		T(test_hello_frame_need_more_every_prefix),
		T(test_hello_frame_need_more_every_prefix_multi),
		T(test_hello_frame_at_one_byte_records),
		T(test_hello_frame_at_bad_record_later),
		T(test_hello_frame_at_too_big),
		T(test_hello_frame_record_header_split),
		T(test_hello_frame_two_records),
		T(test_hello_frame_three_records),
		T(test_hello_frame_last_record_longer),
		T(test_hello_frame_non_handshake_between),
		T(test_hello_frame_not_tls),
		T(test_hello_frame_not_client_hello),
		T(test_hello_frame_record_length_bad),
		T(test_hello_frame_record_not_ended),
		T(test_hello_frame_too_big),
		T(test_hello_frame_max_body),
		T(test_hello_parse_worked_example),
		T(test_hello_parse_firefox),
		T(test_hello_parse_reuse_resets),
		T(test_hello_parse_no_extensions),
		T(test_hello_parse_ext_block_overrun),
		T(test_hello_parse_bytes_after_extensions),
		T(test_hello_parse_ext_data_overrun),
		T(test_hello_parse_ext_inner_overrun),
		T(test_hello_parse_repeated_extension_checked),
		T(test_hello_parse_repeated_extension_first_wins),
		T(test_hello_parse_session_id),
		T(test_hello_parse_cipher_length),
		T(test_hello_parse_header),
		T(test_hello_parse_truncated_every_length),
		T(test_hello_parse_empty_sni_body),
		T(test_hello_parse_sni_first_host_name),
		T(test_hello_parse_alpn_first_name),
		T(test_hello_parse_versions),
		T(test_hello_parse_grease_everywhere),
		T(test_hello_is_grease_values),
		T(test_hello_verdict_str_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
