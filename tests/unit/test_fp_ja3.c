// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unit tests of user/fp_ja3.c: the JA3 string and its MD5 as tshark
 * computes them (ja4-ja3-spec.md §6), on the worked example of §10,
 * Firefox's tls12.pcap and the synthetic content cases, plus empty fields
 * and a hello at the size limit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fp.h"
#include "hello.h"
#include "hello_build.h"
#include "../data/hello_badcurveball.h"
#include "../data/hello_firefox_tls12.h"

struct fx {
	struct fp_hash *h;
	struct hello_info *hi;
	struct hb *b;
	char *str; /* FP_JA3_MAX */
	char md5[33];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->h = fp_hash_new();
	f->hi = calloc(1, sizeof(*f->hi));
	f->b = calloc(1, sizeof(*f->b));
	f->str = malloc(FP_JA3_MAX);
	if (!f->h || !f->hi || !f->b || !f->str)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	fp_hash_free(f->h);
	free(f->hi);
	free(f->b);
	free(f->str);
	free(f);
	return 0;
}

/* Parse and compute JA3; checks the returned length and the MD5 of the
 * string (through the same hash object). */
static void ja3_of(struct fx *f, const uint8_t *msg, uint32_t len)
{
	char md5[33];
	int n;

	assert_int_equal(hello_parse(msg, len, f->hi), HELLO_OK);
	n = fp_ja3(f->h, f->hi, f->str, f->md5);
	assert_int_equal(n, (int)strlen(f->str));
	assert_int_equal(strlen(f->md5), 32);
	assert_int_equal(fp_md5_hex(f->h, f->str, (size_t)n, md5), 0);
	assert_string_equal(f->md5, md5);
}

static void ja3_of_builder(struct fx *f)
{
	uint32_t len = hb_finish(f->b);

	ja3_of(f, f->b->buf, len);
}

static void test_fp_ja3_worked_example(void **state)
{
	struct fx *f = *state;

	ja3_of(f, hello_badcurveball, sizeof(hello_badcurveball));
	assert_string_equal(f->str, "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-"
				    "49172-156-157-47-53-10,0-23-65281-10-11-35-16-5-13-18-51-45-"
				    "43-27-21,29-23-24,0");
	assert_string_equal(f->md5, "66918128f1b9b03303d77c6f2eefd128");
}

static void test_fp_ja3_firefox_tls12(void **state)
{
	struct fx *f = *state;

	ja3_of(f, hello_firefox_tls12 + 5, sizeof(hello_firefox_tls12) - 5);
	assert_string_equal(f->str, "771,4865-4867-4866-49195-49199-52393-52392-49196-49200-49162-"
				    "49161-49171-49172-156-157-47-53,0-23-65281-10-11-35-16-5-34-"
				    "51-43-13-45-28-21,29-23-24-25-256-257,0");
	assert_string_equal(f->md5, "579ccef312d18482fc42e2b822ca2430");
}

static void test_fp_ja3_synthetic_base(void **state)
{
	struct fx *f = *state;

	/* synthetic/alpn-* cases: the ALPN name does not enter JA3. */
	hb_base_alpn(f->b, "h2", 2);
	ja3_of_builder(f);
	assert_string_equal(f->str, "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-"
				    "49172-156-157-47-53,0-10-11-13-16-43,29-23-24,0");
	assert_string_equal(f->md5, "aeaed1740099cec3b95eef44d7997bd3");
	hb_base_alpn(f->b, "\x78\xab", 2);
	ja3_of_builder(f);
	assert_string_equal(f->md5, "aeaed1740099cec3b95eef44d7997bd3");
}

static void test_fp_ja3_no_extensions(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;
	static const uint16_t c[3] = { 0x0035, 0x002f, 0x000a };

	/* synthetic/ch-no-extensions */
	hb_start(b, 0x0301, 32);
	hb_ciphers(b, c, 3);
	ja3_of_builder(f);
	assert_string_equal(f->str, "769,53-47-10,,,");
	assert_string_equal(f->md5, "d03688c92e36c87cd9bdbba5c3368d5b");
}

static void test_fp_ja3_sni_only(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;
	static const uint16_t c[4] = { 0x0039, 0x0038, 0x0035, 0x00ff };

	hb_start(b, 0x0301, 0);
	hb_ciphers(b, c, 4);
	hb_ext_begin(b);
	hb_ext_sni(b, "a", 1);
	ja3_of_builder(f);
	assert_string_equal(f->str, "769,57-56-53-255,0,,");
}

static void test_fp_ja3_only_grease(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;
	static const uint16_t c[1] = { 0x1a1a };
	static const uint16_t g[4] = { 0xcaca, 0x001d, 0x0017, 0x0018 };

	/* synthetic/only-grease-cipher: an empty cipher field. */
	hb_start(b, 0x0303, 32);
	hb_ciphers(b, c, 1);
	hb_ext_begin(b);
	hb_ext(b, 0x3a3a, NULL, 0);
	hb_ext_u16list(b, 0x000a, 2, g, 4);
	hb_ext_point_formats(b, (const uint8_t *)"\0", 1);
	ja3_of_builder(f);
	assert_string_equal(f->str, "771,,10-11,29-23-24,0");
	assert_string_equal(f->md5, "c73baf7c7274bd0acdb12ded0cf44ab1");
}

static void test_fp_ja3_point_formats(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;
	static const uint16_t c[1] = { 0x002f };
	static const uint8_t pf[3] = { 0, 1, 2 };
	uint8_t all[255];

	hb_start(b, 0x0303, 0);
	hb_ciphers(b, c, 1);
	hb_ext_begin(b);
	hb_ext_point_formats(b, pf, 3);
	ja3_of_builder(f);
	assert_string_equal(f->str, "771,47,11,,0-1-2");

	/* An empty formats list: the field stays empty. */
	hb_start(b, 0x0303, 0);
	hb_ciphers(b, c, 1);
	hb_ext_begin(b);
	hb_ext_point_formats(b, pf, 0);
	ja3_of_builder(f);
	assert_string_equal(f->str, "771,47,11,,");

	/* 255 formats, values up to 254: three digits each. */
	for (int i = 0; i < 255; i++)
		all[i] = (uint8_t)i;
	hb_start(b, 0x0303, 0);
	hb_ciphers(b, c, 1);
	hb_ext_begin(b);
	hb_ext_point_formats(b, all, 255);
	ja3_of_builder(f);
	assert_memory_equal(f->str, "771,47,11,,0-1-2-", 17);
	assert_string_equal(f->str + strlen(f->str) - 8, "-253-254");
}

static void test_fp_ja3_values_decimal(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;
	static const uint16_t c[4] = { 0x0000, 0x0001, 0xffff, 0x2710 };
	static const uint16_t g[2] = { 0xfffe, 0x0000 };

	hb_start(b, 0x0002, 0);
	hb_ciphers(b, c, 4);
	hb_ext_begin(b);
	hb_ext(b, 0xffff, NULL, 0);
	hb_ext(b, 0x0000, NULL, 0);
	hb_ext_u16list(b, 0x000a, 2, g, 2);
	ja3_of_builder(f);
	assert_string_equal(f->str, "2,0-1-65535-10000,65535-0-10,65534-0,");
}

static void test_fp_ja3_max_size(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;
	uint16_t *c = malloc(8100 * sizeof(*c));
	int n;

	/* Five-digit values all the way: the string stays within FP_JA3_MAX. */
	assert_non_null(c);
	for (int i = 0; i < 8100; i++)
		c[i] = (uint16_t)(0xe000 + i);
	hb_start(b, 0x0303, 0);
	hb_ciphers(b, c, 8100);
	free(c);
	assert_int_equal(hello_parse(b->buf, hb_finish(b), f->hi), HELLO_OK);
	n = fp_ja3(f->h, f->hi, f->str, f->md5);
	assert_int_equal(f->hi->n_ciphers, 8100 - 2); /* 0xeaea, 0xfafa */
	assert_int_equal(n, 4 + 6 * (8100 - 2) - 1 + 3);
	assert_true(n < FP_JA3_MAX);
	assert_memory_equal(f->str, "771,57344-57345-", 16);
	assert_string_equal(f->str + n - 8, "65443,,,");
}

static void test_fp_ja3_every_value(void **state)
{
	struct fx *f = *state;
	struct hello_info *hi = f->hi;
	char *want = malloc(FP_JA3_MAX), *o;

	static const uint16_t versions[] = { 0,    9,    10,   99,    100,   999,
					     1000, 1001, 9999, 10000, 10001, 65535 };

	/* The table formatter against printf, for every 16-bit value (8,192 a
	 * hello, the most a hello holds, as ciphers, extensions or groups in
	 * turn, in several orders), every point format byte and the digit-
	 * count boundaries as the legacy version; then one-value lists. */
	assert_non_null(want);
	for (uint32_t base = 0; base < 65536; base += HELLO_MAX_U16) {
		uint32_t k = base / HELLO_MAX_U16;
		uint16_t *lists[3] = { hi->ciphers, hi->exts, hi->groups }, *list = lists[k % 3];
		uint16_t *counts[3] = { &hi->n_ciphers, &hi->n_exts, &hi->n_groups };

		memset(hi, 0, sizeof(*hi));
		hi->legacy_version = versions[k];
		*counts[k % 3] = HELLO_MAX_U16;
		for (uint32_t i = 0; i < HELLO_MAX_U16; i++) /* ascending, descending, scattered */
			list[i] = (uint16_t)(k % 3 == 0   ? base + i
					     : k % 3 == 1 ? base + HELLO_MAX_U16 - 1 - i
							  : base + (i * 7919) % HELLO_MAX_U16);
		hi->n_point_formats = 256;
		for (uint32_t i = 0; i < 256; i++)
			hi->point_formats[i] = (uint8_t)(255 - i);
		o = want + sprintf(want, "%u,", versions[k]);
		for (uint32_t j = 0; j < 3; j++) {
			for (uint32_t i = 0; j == k % 3 && i < HELLO_MAX_U16; i++)
				o += sprintf(o, i ? "-%u" : "%u", list[i]);
			*o++ = ',';
		}
		for (uint32_t i = 0; i < 256; i++)
			o += sprintf(o, i ? "-%u" : "%u", 255 - i);
		assert_true(o - want < FP_JA3_MAX);
		assert_int_equal(fp_ja3(f->h, hi, f->str, f->md5), (int)(o - want));
		assert_string_equal(f->str, want);
	}
	for (size_t i = 8; i < sizeof(versions) / sizeof(versions[0]); i++) {
		memset(hi, 0, sizeof(*hi));
		hi->legacy_version = versions[i];
		hi->n_exts = 1;
		hi->exts[0] = versions[i];
		sprintf(want, "%u,,%u,,", versions[i], versions[i]);
		assert_int_equal(fp_ja3(f->h, hi, f->str, f->md5), (int)strlen(want));
		assert_string_equal(f->str, want);
	}
	free(want);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_fp_ja3_worked_example), T(test_fp_ja3_firefox_tls12),
		T(test_fp_ja3_synthetic_base), T(test_fp_ja3_no_extensions),
		T(test_fp_ja3_sni_only),       T(test_fp_ja3_only_grease),
		T(test_fp_ja3_point_formats),  T(test_fp_ja3_values_decimal),
		T(test_fp_ja3_max_size),       T(test_fp_ja3_every_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
