// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unit tests of user/fp_ja4.c: JA4 and its raw / original-order variants
 * against the values of ja4-ja3-spec.md (worked example §10, Firefox's
 * tls12.pcap, the edge rules of §2-5) and of testdata/synthetic, whose
 * content cases are rebuilt here byte for byte through hello_build.h.
 * Hellos go through hello_parse() first, as in the daemon.
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
	struct fp_ja4 out;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->h = fp_hash_new();
	f->hi = calloc(1, sizeof(*f->hi));
	f->b = calloc(1, sizeof(*f->b));
	f->out.ja4_r = malloc(FP_JA4_RAW_MAX);
	f->out.ja4_ro = malloc(FP_JA4_RAW_MAX);
	if (!f->h || !f->hi || !f->b || !f->out.ja4_r || !f->out.ja4_ro)
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
	free(f->out.ja4_r);
	free(f->out.ja4_ro);
	free(f);
	return 0;
}

/* Parse msg and fingerprint it (TCP). */
static void ja4_of(struct fx *f, const uint8_t *msg, uint32_t len)
{
	assert_int_equal(hello_parse(msg, len, f->hi), HELLO_OK);
	memset(f->out.ja4, 'X', sizeof(f->out.ja4));
	memset(f->out.ja4_o, 'X', sizeof(f->out.ja4_o));
	assert_int_equal(fp_ja4(f->h, f->hi, 't', &f->out), 0);
	assert_int_equal(strlen(f->out.ja4), 36);
	assert_int_equal(strlen(f->out.ja4_o), 36);
	/* The four forms share the a part. */
	assert_memory_equal(f->out.ja4_o, f->out.ja4, 11);
	assert_memory_equal(f->out.ja4_r, f->out.ja4, 11);
	assert_memory_equal(f->out.ja4_ro, f->out.ja4, 11);
}

static void ja4_of_builder(struct fx *f)
{
	uint32_t len = hb_finish(f->b);

	ja4_of(f, f->b->buf, len);
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && !strcmp(s + n - t, tail);
}

/* clang-format off */
static void test_fp_ja4_worked_example(void **state)
{
	struct fx *f = *state;

	ja4_of(f, hello_badcurveball, sizeof(hello_badcurveball));
	assert_string_equal(f->out.ja4, "t13d1615h2_46e7e9700bed_45f260be83e2");
	assert_string_equal(f->out.ja4_r,
			    "t13d1615h2_000a,002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,"
			    "c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,"
			    "002d,0033,ff01_0403,0804,0401,0503,0805,0501,0806,0601,0201");
	assert_string_equal(f->out.ja4_o, "t13d1615h2_45f31bb0a5cc_b0e5d31d5128");
	assert_string_equal(f->out.ja4_ro,
			    "t13d1615h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,"
			    "009d,002f,0035,000a_0000,0017,ff01,000a,000b,0023,0010,0005,000d,0012,"
			    "0033,002d,002b,001b,0015_0403,0804,0401,0503,0805,0501,0806,0601,0201");
}

static void test_fp_ja4_firefox_tls12(void **state)
{
	struct fx *f = *state;

	/* Through the framer, as the daemon does. */
	const uint8_t *msg;
	uint32_t msg_len, need;
	uint8_t *scratch = malloc(REASM_MAX_BYTES);

	assert_non_null(scratch);
	assert_int_equal(hello_frame(hello_firefox_tls12, sizeof(hello_firefox_tls12), scratch,
				     &msg, &msg_len, &need),
			 HELLO_OK);
	ja4_of(f, msg, msg_len);
	free(scratch);
	assert_string_equal(f->out.ja4, "t13d1715h2_5b57614c22b0_3d5424432f57");
	assert_string_equal(f->out.ja4_r,
			    "t13d1715h2_002f,0035,009c,009d,1301,1302,1303,c009,c00a,c013,c014,c02b,"
			    "c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0015,0017,001c,0022,0023,"
			    "002b,002d,0033,ff01_0403,0503,0603,0804,0805,0806,0401,0501,0601,0203,"
			    "0201");
	assert_string_equal(f->out.ja4_o, "t13d1715h2_5b234860e130_014157ec0da2");
	assert_string_equal(f->out.ja4_ro,
			    "t13d1715h2_1301,1303,1302,c02b,c02f,cca9,cca8,c02c,c030,c00a,c009,c013,"
			    "c014,009c,009d,002f,0035_0000,0017,ff01,000a,000b,0023,0010,0005,0022,"
			    "0033,002b,000d,002d,001c,0015_0403,0503,0603,0804,0805,0806,0401,0501,"
			    "0601,0203,0201");
}

/* synthetic/sigalgs-grease: GREASE 0x0a0a at the head of the sig algs. */
static void test_fp_ja4_synthetic_base(void **state)
{
	struct fx *f = *state;
	static const uint16_t sig[9] = { 0x0a0a, 0x0403, 0x0804, 0x0401, 0x0503,
					 0x0805, 0x0501, 0x0806, 0x0601 };
	struct hb *b = f->b;

	hb_base_start(b);
	hb_ext_u16list(b, 0x000d, 2, sig, 9);
	hb_ext_alpn(b, "h2", 2);
	hb_base_versions_ext(b);
	ja4_of_builder(f);
	assert_string_equal(f->out.ja4, "t13d1506h2_8daaf6152771_724796723175");
	assert_string_equal(f->out.ja4_r,
			    "t13d1506h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,"
			    "c030,cca8,cca9_000a,000b,000d,002b_0403,0804,0401,0503,0805,0501,0806,"
			    "0601");
	assert_string_equal(f->out.ja4_o, "t13d1506h2_acb858a92679_5eaecc505167");
	assert_string_equal(f->out.ja4_ro,
			    "t13d1506h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,"
			    "009d,002f,0035_0000,000a,000b,000d,0010,002b_0403,0804,0401,0503,0805,"
			    "0501,0806,0601");
}

static void test_fp_ja4_alpn_rules(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *name;
		uint8_t len;
		const char *code;
	} cases[] = {
		{ "h2", 2, "h2" },
		{ "http/1.1", 8, "h1" },
		{ "h", 1, "hh" },
		{ "\xba\xad", 2, "bd" },
		{ "\xab", 1, "ab" },
		{ "\x20", 1, "20" },
		{ "\x20\x61", 2, "21" },
		{ "\x61\x20", 2, "60" },
		{ "\x30\xab", 2, "3b" },
		{ "\x30\xab\xcd\x31", 4, "01" },
		{ "\x78\xab", 2, "7b" },    /* synthetic/alpn-last-byte-nonalnum */
		{ "Z0", 2, "Z0" },          /* upper case kept as is */
		{ "/x", 2, "28" },          /* '/' (0x2f) just below '0' */
		{ "x:", 2, "7a" },          /* ':' (0x3a) just above '9' */
		{ "@a", 2, "41" },          /* '@' (0x40) just below 'A' */
		{ "a[", 2, "6b" },          /* '[' (0x5b) just above 'Z' */
		{ "`a", 2, "61" },          /* '`' (0x60) just below 'a' */
		{ "a{", 2, "6b" },          /* '{' (0x7b) just above 'z' */
		{ "\x00", 1, "00" },
		{ "\xff\xff", 2, "ff" },
		{ "", 0, "00" },            /* empty first name */
	};
	/* clang-format on */

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hb_base_alpn(f->b, cases[i].name, cases[i].len);
		ja4_of_builder(f);
		if (memcmp(f->out.ja4 + 8, cases[i].code, 2))
			fail_msg("ALPN case %zu: got %.2s, want %s", i, f->out.ja4 + 8,
				 cases[i].code);
		/* b and c do not depend on the ALPN name. */
		assert_string_equal(f->out.ja4 + 10, "_8daaf6152771_724796723175");
	}
}

static void test_fp_ja4_alpn_absent_or_empty(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;

	/* No ALPN extension. */
	hb_base_start(b);
	hb_base_sigalgs_ext(b);
	hb_base_versions_ext(b);
	ja4_of_builder(f);
	assert_memory_equal(f->out.ja4, "t13d150500", 10);
	/* An ALPN extension with an empty list: counted, code 00. */
	hb_base_start(b);
	hb_base_sigalgs_ext(b);
	hb_ext(b, 0x0010, "\x00\x00", 2);
	hb_base_versions_ext(b);
	ja4_of_builder(f);
	assert_memory_equal(f->out.ja4, "t13d150600", 10);
	/* Empty first name, then h2 (synthetic/alpn-empty-first). */
	hb_base_start(b);
	hb_base_sigalgs_ext(b);
	hb_ext(b, 0x0010, "\x00\x04\x00\x02h2", 6);
	hb_base_versions_ext(b);
	ja4_of_builder(f);
	assert_string_equal(f->out.ja4, "t13d150600_8daaf6152771_724796723175");
	assert_string_equal(f->out.ja4_o, "t13d150600_acb858a92679_5eaecc505167");
	/* Only the first name matters. */
	hb_base_start(b);
	hb_base_sigalgs_ext(b);
	hb_ext(b, 0x0010, "\x00\x0c\x02h2\x08http/1.1", 14);
	hb_base_versions_ext(b);
	ja4_of_builder(f);
	assert_memory_equal(f->out.ja4, "t13d1506h2", 10);
}

static void test_fp_ja4_counts_capped(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;
	uint16_t c[120];

	/* synthetic/ciphers-120: 0x0100..0x0177; count 99, hash over all. */
	for (int i = 0; i < 120; i++)
		c[i] = (uint16_t)(0x0100 + i);
	hb_start(b, 0x0303, 32);
	hb_ciphers(b, c, 120);
	hb_ext_begin(b);
	hb_ext_sni(b, "example.com", 11);
	hb_ext_u16list(b, 0x000a, 2, hb_base_groups, 3);
	hb_ext_point_formats(b, (const uint8_t *)"\0", 1);
	hb_base_sigalgs_ext(b);
	hb_ext_alpn(b, "h2", 2);
	hb_base_versions_ext(b);
	ja4_of_builder(f);
	assert_int_equal(f->hi->n_ciphers, 120);
	assert_string_equal(f->out.ja4, "t13d9906h2_78cd3e4e4f62_724796723175");
	assert_string_equal(f->out.ja4_o, "t13d9906h2_78cd3e4e4f62_5eaecc505167");
	assert_true(ends_with(f->out.ja4_r, ",0176,0177_000a,000b,000d,002b_0403,0804,0401,0503,"
					    "0805,0501,0806,0601"));
	assert_int_equal(strlen(f->out.ja4_r), 11 + 120 * 5 + 20 + 40 - 1);

	/* Exactly 99, and 100 extensions (capped too). */
	hb_start(b, 0x0303, 0);
	hb_ciphers(b, c, 99);
	hb_ext_begin(b);
	for (int i = 0; i < 100; i++)
		hb_ext(b, (uint16_t)(0x1000 + i), NULL, 0);
	ja4_of_builder(f);
	assert_memory_equal(f->out.ja4, "t12i999900", 10);
	/* 9 and 10: zero-padded, then two digits. */
	hb_start(b, 0x0303, 0);
	hb_ciphers(b, c, 9);
	hb_ext_begin(b);
	for (int i = 0; i < 10; i++)
		hb_ext(b, (uint16_t)(0x1000 + i), NULL, 0);
	ja4_of_builder(f);
	assert_memory_equal(f->out.ja4, "t12i091000", 10);
}

static void test_fp_ja4_only_grease_ciphers(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;
	static const uint16_t c[1] = { 0x1a1a };

	/* synthetic/only-grease-cipher */
	hb_start(b, 0x0303, 32);
	hb_ciphers(b, c, 1);
	hb_ext_begin(b);
	hb_ext_u16list(b, 0x000a, 2, hb_base_groups, 3);
	hb_ext_point_formats(b, (const uint8_t *)"\0", 1);
	ja4_of_builder(f);
	assert_string_equal(f->out.ja4, "t12i000200_000000000000_33a13ba74d1c");
	assert_string_equal(f->out.ja4_r, "t12i000200__000a,000b");
	assert_string_equal(f->out.ja4_o, "t12i000200_000000000000_33a13ba74d1c");
	assert_string_equal(f->out.ja4_ro, "t12i000200__000a,000b");
}

static void test_fp_ja4_no_extensions(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;
	static const uint16_t c[3] = { 0x0035, 0x002f, 0x000a };

	/* synthetic/ch-no-extensions */
	hb_start(b, 0x0301, 32);
	hb_ciphers(b, c, 3);
	ja4_of_builder(f);
	assert_string_equal(f->out.ja4, "t10i030000_5704bdfc91c6_000000000000");
	assert_string_equal(f->out.ja4_r, "t10i030000_000a,002f,0035_");
	assert_string_equal(f->out.ja4_o, "t10i030000_9eccea3df2de_000000000000");
	assert_string_equal(f->out.ja4_ro, "t10i030000_0035,002f,000a_");
}

static void test_fp_ja4_sni_only(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;
	static const uint16_t c[3] = { 0x0039, 0x0038, 0x0035 };
	char want[13];

	hb_start(b, 0x0301, 32);
	hb_ciphers(b, c, 3);
	hb_ext_begin(b);
	hb_ext_sni(b, "example.com", 11);
	ja4_of_builder(f);
	assert_memory_equal(f->out.ja4, "t10d030100_", 11);
	assert_true(ends_with(f->out.ja4, "_000000000000"));
	assert_true(ends_with(f->out.ja4_o, "_9af15b336e6a"));
	assert_string_equal(f->out.ja4_r, "t10d030100_0035,0038,0039_");
	assert_string_equal(f->out.ja4_ro, "t10d030100_0039,0038,0035_0000");
	/* The cipher hashes are those of the two cipher strings. */
	assert_int_equal(fp_sha256_hex12(f->h, "0035,0038,0039", 14, want), 0);
	assert_memory_equal(f->out.ja4 + 11, want, 12);
	assert_int_equal(fp_sha256_hex12(f->h, "0039,0038,0035", 14, want), 0);
	assert_memory_equal(f->out.ja4_o + 11, want, 12);

	/* SNI and ALPN only: same, ja4_o hashes "0000,0010". */
	hb_start(b, 0x0301, 32);
	hb_ciphers(b, c, 3);
	hb_ext_begin(b);
	hb_ext_sni(b, "example.com", 11);
	hb_ext_alpn(b, "h2", 2);
	ja4_of_builder(f);
	assert_true(ends_with(f->out.ja4, "_000000000000"));
	assert_int_equal(fp_sha256_hex12(f->h, "0000,0010", 9, want), 0);
	assert_memory_equal(f->out.ja4_o + 24, want, 12);
	assert_true(ends_with(f->out.ja4_ro, "_0000,0010"));
}

static void test_fp_ja4_sigalgs_empty_list(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;

	/* synthetic/sigalgs-empty-list: no trailing '_'. */
	hb_base_start(b);
	hb_ext(b, 0x000d, "\x00\x00", 2);
	hb_ext_alpn(b, "h2", 2);
	hb_base_versions_ext(b);
	ja4_of_builder(f);
	assert_true(f->hi->has_sigalgs);
	assert_string_equal(f->out.ja4, "t13d1506h2_8daaf6152771_0d228ea83c36");
	assert_string_equal(f->out.ja4_o, "t13d1506h2_acb858a92679_72a245a2620a");
	assert_true(ends_with(f->out.ja4_r, "_000a,000b,000d,002b"));
	assert_true(ends_with(f->out.ja4_ro, "_0000,000a,000b,000d,0010,002b"));

	/* Only GREASE in the list: the same as empty. */
	hb_base_start(b);
	hb_ext(b, 0x000d, "\x00\x02\x0a\x0a", 4);
	hb_ext_alpn(b, "h2", 2);
	hb_base_versions_ext(b);
	ja4_of_builder(f);
	assert_string_equal(f->out.ja4, "t13d1506h2_8daaf6152771_0d228ea83c36");
}

static void test_fp_ja4_sigalgs_other_lists(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;
	static const uint16_t cert[2] = { 0x0403, 0x0804 };

	/* synthetic/sigalgs-cert-only: 0x0032 is no signature_algorithms. */
	hb_base_start(b);
	hb_ext_alpn(b, "h2", 2);
	hb_base_versions_ext(b);
	hb_ext_u16list(b, 0x0032, 2, hb_base_sigalgs, 8);
	ja4_of_builder(f);
	assert_false(f->hi->has_sigalgs);
	assert_string_equal(f->out.ja4, "t13d1506h2_8daaf6152771_cde96ee0f86f");
	assert_string_equal(f->out.ja4_o, "t13d1506h2_acb858a92679_ca464d8d2df4");

	/* synthetic/sigalgs-then-cert: 0x000d's list only. */
	hb_base_start(b);
	hb_base_sigalgs_ext(b);
	hb_ext_alpn(b, "h2", 2);
	hb_base_versions_ext(b);
	hb_ext_u16list(b, 0x0032, 2, cert, 2);
	ja4_of_builder(f);
	assert_string_equal(f->out.ja4, "t13d1507h2_8daaf6152771_b86821ce6e59");
	assert_string_equal(f->out.ja4_o, "t13d1507h2_acb858a92679_76ce560747db");
}

static void test_fp_ja4_sni_empty_body(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;

	/* synthetic/sni-empty-extension: still 'd'. */
	hb_start(b, 0x0303, 32);
	hb_ciphers(b, hb_base_ciphers, 16);
	hb_ext_begin(b);
	hb_ext(b, 0x0000, NULL, 0);
	hb_ext_u16list(b, 0x000a, 2, hb_base_groups, 3);
	hb_ext_point_formats(b, (const uint8_t *)"\0", 1);
	hb_base_sigalgs_ext(b);
	hb_ext_alpn(b, "h2", 2);
	hb_base_versions_ext(b);
	ja4_of_builder(f);
	assert_string_equal(f->out.ja4, "t13d1506h2_8daaf6152771_724796723175");
	assert_string_equal(f->out.ja4_o, "t13d1506h2_acb858a92679_5eaecc505167");
}

static void test_fp_ja4_versions_only_grease(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;
	static const uint16_t v[1] = { 0x2a2a };

	/* synthetic/versions-only-grease: legacy_version 0x0303 -> 12. */
	hb_base_start(b);
	hb_base_sigalgs_ext(b);
	hb_ext_alpn(b, "h2", 2);
	hb_ext_u16list(b, 0x002b, 1, v, 1);
	ja4_of_builder(f);
	assert_string_equal(f->out.ja4, "t12d1506h2_8daaf6152771_724796723175");
	assert_string_equal(f->out.ja4_o, "t12d1506h2_acb858a92679_5eaecc505167");
}

static void test_fp_ja4_version_from_hello(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;
	static const uint16_t c[1] = { 0x002f };
	static const uint16_t draft[1] = { 0x7f1c };

	/* No supported_versions: legacy version (never the record's). */
	hb_start(b, 0x0302, 0);
	hb_ciphers(b, c, 1);
	ja4_of_builder(f);
	assert_memory_equal(f->out.ja4, "t11i010000", 10);
	/* A TLS 1.3 draft version wins over legacy and maps to 00. */
	hb_start(b, 0x0303, 0);
	hb_ciphers(b, c, 1);
	hb_ext_begin(b);
	hb_ext_u16list(b, 0x002b, 1, draft, 1);
	ja4_of_builder(f);
	assert_memory_equal(f->out.ja4, "t00i010100", 10);
}

static void test_fp_ja4_protocol_char(void **state)
{
	struct fx *f = *state;

	assert_int_equal(hello_parse(hello_badcurveball, 512, f->hi), HELLO_OK);
	assert_int_equal(fp_ja4(f->h, f->hi, 'q', &f->out), 0);
	assert_string_equal(f->out.ja4, "q13d1615h2_46e7e9700bed_45f260be83e2");
	assert_int_equal(f->out.ja4_ro[0], 'q');
	assert_int_equal(fp_ja4(f->h, f->hi, 'd', &f->out), 0);
	assert_string_equal(f->out.ja4_o, "d13d1615h2_45f31bb0a5cc_b0e5d31d5128");
}

static void test_fp_ja4_no_raw_buffers(void **state)
{
	struct fx *f = *state;
	struct fp_ja4 out = { .ja4_r = NULL, .ja4_ro = NULL };

	assert_int_equal(hello_parse(hello_badcurveball, 512, f->hi), HELLO_OK);
	assert_int_equal(fp_ja4(f->h, f->hi, 't', &out), 0);
	assert_string_equal(out.ja4, "t13d1615h2_46e7e9700bed_45f260be83e2");
	assert_string_equal(out.ja4_o, "t13d1615h2_45f31bb0a5cc_b0e5d31d5128");
}

static void test_fp_ja4_sort_numeric(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;
	uint16_t c[40];
	char want[13];

	/* More than the insertion-sort threshold, in descending order, with
	 * values on both sides of 0x8000 (a signed compare would misorder). */
	for (int i = 0; i < 40; i++)
		c[i] = (uint16_t)(i < 20 ? 0xff00 - i : 0x7f00 - i);
	hb_start(b, 0x0303, 0);
	hb_ciphers(b, c, 40);
	ja4_of_builder(f);
	assert_true(!strncmp(f->out.ja4_r + 11, "7ed9,7eda,", 10));
	assert_true(ends_with(f->out.ja4_r, ",feff,ff00_"));
	assert_int_equal(fp_sha256_hex12(f->h, f->out.ja4_r + 11, strlen(f->out.ja4_r) - 12, want),
			 0);
	assert_memory_equal(f->out.ja4 + 11, want, 12);
}

static void test_fp_ja4_pathological_size(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;
	uint16_t *c = malloc(8000 * sizeof(*c));
	size_t rlen;

	/* A near-maximum hello of ciphers: raw forms fit their buffers. */
	assert_non_null(c);
	for (int i = 0; i < 8000; i++)
		c[i] = (uint16_t)(0xc000 + i);
	hb_start(b, 0x0303, 0);
	hb_ciphers(b, c, 8000);
	ja4_of_builder(f);
	free(c);
	/* 0xcaca and 0xdada are GREASE. */
	assert_int_equal(f->hi->n_ciphers, 7998);
	assert_memory_equal(f->out.ja4, "t12i990000", 10);
	rlen = strlen(f->out.ja4_r);
	assert_int_equal(rlen, 11 + 7998 * 5 - 1 + 1);
	assert_true(rlen < FP_JA4_RAW_MAX);
	assert_true(ends_with(f->out.ja4_r, ",df3f_"));
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* fp_sort_u16 of in[0..n) equals qsort's result. */
static void check_sort(const uint16_t *in, uint32_t n)
{
	uint16_t *want = malloc((n + 1) * sizeof(*want)), *out = malloc((n + 1) * sizeof(*out));
	uint16_t *tmp = malloc((n + 1) * sizeof(*tmp));

	assert_true(want && out && tmp);
	memcpy(want, in, n * sizeof(*in));
	qsort(want, n, sizeof(*want), cmp_u16);
	out[n] = 0x5a5a; /* nothing written past n */
	fp_sort_u16(in, n, out, tmp);
	assert_memory_equal(out, want, n * sizeof(*out));
	assert_int_equal(out[n], 0x5a5a);
	free(want);
	free(out);
	free(tmp);
}

static void test_fp_sort_u16_small(void **state)
{
	static const uint16_t one[] = { 0xc02b };
	static const uint16_t dup[] = { 0x1301, 0x002f, 0x1301, 0xffff, 0x0000, 0x002f, 0x1301 };
	uint16_t out[1] = { 0x5a5a }, tmp[1];

	(void)state;
	fp_sort_u16(one, 0, out, tmp); /* empty: nothing written */
	assert_int_equal(out[0], 0x5a5a);
	check_sort(one, 0);
	check_sort(one, 1);
	check_sort(dup, 7);
}

static void test_fp_sort_u16_large(void **state)
{
	uint16_t *v = malloc(8100 * sizeof(*v));
	uint32_t x = 12345;

	(void)state;
	assert_non_null(v);
	/* Pseudo-random values, many duplicates (a narrow range) and GREASE
	 * among them: the sort itself treats GREASE like any value. */
	for (int i = 0; i < 8100; i++) {
		x = x * 1103515245u + 12345u;
		v[i] = (uint16_t)(i % 3 ? x >> 16 : (i % 2 ? 0x0a0a : 0xc000 + (x >> 24)));
	}
	/* Both sides of the insertion-sort threshold, and the whole list. */
	for (uint32_t n = 2; n <= 40; n++)
		check_sort(v, n);
	check_sort(v, 8100);
	for (int i = 0; i < 8100; i++) /* all equal */
		v[i] = 0x1301;
	check_sort(v, 8100);
	for (int i = 0; i < 8100; i++) /* descending */
		v[i] = (uint16_t)(0xffff - i * 7);
	check_sort(v, 8100);
	free(v);
}

/*
 * Random lists of random lengths up to HELLO_MAX_U16 (8,192), short ones
 * (insertion sort) more often, each over a random range (narrow ranges give
 * many repeats), each compared with qsort; then the extremes 0 and 0xffff,
 * and every value once.
 */
static void test_fp_sort_u16_random(void **state)
{
	uint16_t *v = malloc(65536 * sizeof(*v));
	uint32_t x = 0x9e3779b9;

	(void)state;
	assert_non_null(v);
	for (int round = 0; round < 300; round++) {
		uint32_t n, range;

		x = x * 1664525u + 1013904223u;
		n = round % 50 == 0 ? HELLO_MAX_U16
				    : (x >> 8) % (round % 3 ? 64 : HELLO_MAX_U16 + 1);
		x = x * 1664525u + 1013904223u;
		range = 1u + (x >> 8) % 65536u;
		for (uint32_t i = 0; i < n; i++) {
			x = x * 1664525u + 1013904223u;
			v[i] = (uint16_t)((x >> 12) % range + (round & 1 ? 65536u - range : 0));
		}
		check_sort(v, n);
	}
	v[0] = 0xffff;
	v[1] = 0x0000;
	v[2] = 0xffff;
	v[3] = 0x0000;
	check_sort(v, 4);
	for (uint32_t i = 0; i < 65535; i++) /* every value but 0, descending */
		v[i] = (uint16_t)(65535 - i);
	check_sort(v, 65535);
	free(v);
}

/* "xxxx,..." of v[0..n), no trailing ',', by snprintf. */
static char *hex_list(char *o, const uint16_t *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		o += snprintf(o, 6, i ? ",%04x" : "%04x", v[i]);
	return o;
}

/*
 * The table-driven hex lists against snprintf for every 16-bit value (as
 * ciphers, extensions and signature algorithms, 8,192 a hello, in both
 * orders), and the sorted extension list's SNI/ALPN skip with repeats of
 * 0x0000 and 0x0010 among the small values.
 */
static void test_fp_ja4_hex_every_value(void **state)
{
	struct fx *f = *state;
	struct hello_info *hi = f->hi;
	char *want = malloc(FP_JA4_RAW_MAX), *o;
	static const uint16_t small[] = { 0x0010, 0x0000, 0x000f, 0x0011, 0x0010,
					  0x0000, 0x0001, 0xffff, 0x0010, 0x0012 };
	static const uint16_t small_sorted_kept[] = { 0x0001, 0x000f, 0x0011, 0x0012, 0xffff };

	assert_non_null(want);
	for (uint32_t base = 0; base < 65536; base += HELLO_MAX_U16) {
		memset(hi, 0, sizeof(*hi));
		hi->legacy_version = 0x0303;
		hi->n_ciphers = hi->n_exts = hi->n_sigalgs = HELLO_MAX_U16;
		for (uint32_t i = 0; i < HELLO_MAX_U16; i++) {
			hi->ciphers[i] = (uint16_t)(base + HELLO_MAX_U16 - 1 - i); /* descending */
			hi->exts[i] = (uint16_t)(base + i);
			hi->sigalgs[i] = (uint16_t)(base + (i * 7919) % HELLO_MAX_U16);
		}
		assert_int_equal(fp_ja4(f->h, hi, 't', &f->out), 0);
		/* sorted: ciphers ascending; extensions without 0000 and 0010 */
		o = want + sprintf(want, "%.10s_", f->out.ja4);
		for (uint32_t i = 0; i < HELLO_MAX_U16; i++)
			o += sprintf(o, i ? ",%04x" : "%04x", base + i);
		*o++ = '_';
		for (uint32_t i = 0, first = 1; i < HELLO_MAX_U16; i++) {
			if (base + i == 0x0000 || base + i == 0x0010)
				continue;
			o += sprintf(o, first ? "%04x" : ",%04x", base + i);
			first = 0;
		}
		*o++ = '_';
		o = hex_list(o, hi->sigalgs, HELLO_MAX_U16);
		assert_string_equal(f->out.ja4_r, want);
		/* original order */
		o = want + sprintf(want, "%.10s_", f->out.ja4);
		o = hex_list(o, hi->ciphers, HELLO_MAX_U16);
		*o++ = '_';
		o = hex_list(o, hi->exts, HELLO_MAX_U16);
		*o++ = '_';
		o = hex_list(o, hi->sigalgs, HELLO_MAX_U16);
		assert_string_equal(f->out.ja4_ro, want);
	}
	/* repeated SNI and ALPN among small values; then only those two */
	memset(hi, 0, sizeof(*hi));
	hi->legacy_version = 0x0303;
	hi->n_exts = sizeof(small) / sizeof(small[0]);
	memcpy(hi->exts, small, sizeof(small));
	assert_int_equal(fp_ja4(f->h, hi, 't', &f->out), 0);
	o = want + sprintf(want, "%.10s_", f->out.ja4);
	*o++ = '_';
	o = hex_list(o, small_sorted_kept, 5);
	*o = '\0';
	assert_string_equal(f->out.ja4_r, want);
	hi->n_exts = 3;
	hi->exts[0] = 0x0010;
	hi->exts[1] = 0x0000;
	hi->exts[2] = 0x0010;
	assert_int_equal(fp_ja4(f->h, hi, 't', &f->out), 0);
	assert_string_equal(f->out.ja4_r + 10, "__");
	assert_string_equal(f->out.ja4 + 23, "_000000000000");
	free(want);
}

static void test_fp_ja4_sort_grease_duplicates(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;
	uint16_t c[300], want[300];
	uint32_t n = 0;
	char exp[300 * 5 + 1];

	/* A long cipher list with GREASE and repeated values: GREASE goes,
	 * duplicates stay, the rest is sorted as qsort sorts it. */
	for (int i = 0; i < 300; i++) {
		c[i] = (uint16_t)(i % 10 == 0 ? 0x2a2a : i % 7 == 0 ? 0xc02f : 0xffff - i * 211);
		if (!hello_is_grease(c[i]))
			want[n++] = c[i];
	}
	qsort(want, n, sizeof(*want), cmp_u16);
	for (uint32_t i = 0; i < n; i++)
		snprintf(exp + 5 * i, 6, "%04x,", want[i]);
	exp[n * 5 - 1] = '_';
	exp[n * 5] = '\0';
	hb_start(b, 0x0303, 0);
	hb_ciphers(b, c, 300);
	ja4_of_builder(f);
	assert_int_equal(f->hi->n_ciphers, n);
	assert_true(!strncmp(f->out.ja4_r + 11, exp, n * 5));
}

static void test_fp_ja4_version_table(void **state)
{
	/* clang-format off */
	static const struct {
		uint16_t v;
		const char *s;
	} t[] = {
		{ 0x0304, "13" }, { 0x0303, "12" }, { 0x0302, "11" }, { 0x0301, "10" },
		{ 0x0300, "s3" }, { 0x0002, "s2" }, { 0xfeff, "d1" }, { 0xfefd, "d2" },
		{ 0xfefc, "d3" }, { 0x7f1c, "00" }, { 0x0000, "00" }, { 0x0305, "00" },
		{ 0xfefe, "00" }, { 0x0200, "00" }, { 0xffff, "00" },
	};
	/* clang-format on */

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_string_equal(fp_ja4_version(t[i].v), t[i].s);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_fp_ja4_worked_example),     T(test_fp_sort_u16_small),
		T(test_fp_sort_u16_large),         T(test_fp_ja4_sort_grease_duplicates),
		T(test_fp_ja4_firefox_tls12),      T(test_fp_ja4_synthetic_base),
		T(test_fp_ja4_alpn_rules),         T(test_fp_ja4_alpn_absent_or_empty),
		T(test_fp_ja4_counts_capped),      T(test_fp_ja4_only_grease_ciphers),
		T(test_fp_ja4_no_extensions),      T(test_fp_ja4_sni_only),
		T(test_fp_ja4_sigalgs_empty_list), T(test_fp_ja4_sigalgs_other_lists),
		T(test_fp_ja4_sni_empty_body),     T(test_fp_ja4_versions_only_grease),
		T(test_fp_ja4_version_from_hello), T(test_fp_ja4_protocol_char),
		T(test_fp_ja4_no_raw_buffers),     T(test_fp_ja4_sort_numeric),
		T(test_fp_ja4_pathological_size),  T(test_fp_ja4_version_table),
		T(test_fp_sort_u16_random),        T(test_fp_ja4_hex_every_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
