// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unit tests of user/fp_hash.c: SHA-256 truncated to 12 hex digits for JA4,
 * MD5 for JA3 through EVP and through the built-in RFC 1321 fallback (used
 * on FIPS hosts), checked on the RFC 1321 test suite and, at every length
 * around the padding boundaries, against OpenSSL's own MD5.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>

#include "fp.h"

/* RFC 1321 appendix A.5. */
static const struct {
	const char *in;
	const char *md5;
} rfc1321[] = {
	{ "", "d41d8cd98f00b204e9800998ecf8427e" },
	{ "a", "0cc175b9c0f1b6a831c399e269772661" },
	{ "abc", "900150983cd24fb0d6963f7d28e17f72" },
	{ "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
	{ "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b" },
	{ "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
	  "d174ab98d277d9f5a5611c2c9f419d9f" },
	{ "1234567890123456789012345678901234567890"
	  "1234567890123456789012345678901234567890",
	  "57edf4a22be3c955ac49da2e2107b67a" },
};

static int setup(void **state)
{
	struct fp_hash *h = fp_hash_new();

	if (!h)
		return -1;
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	fp_hash_free(*state);
	return 0;
}

static void hex(const uint8_t *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* OpenSSL's MD5, independent of fp_hash (NULL if this host refuses MD5). */
static bool openssl_md5(const void *p, size_t n, uint8_t d[16])
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	EVP_MD *md = EVP_MD_fetch(NULL, "MD5", "-fips");
#else
	const EVP_MD *md = EVP_md5(); /* 1.1.1: no fetching */
#endif
	unsigned int len = 0;
	bool ok;

	if (!md)
		return false;
	ok = EVP_Digest(p, n, d, &len, md, NULL) && len == 16;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	EVP_MD_free(md);
#endif
	return ok;
}

static void test_fp_sha256_hex12_known(void **state)
{
	struct fp_hash *h = *state;
	static const struct {
		const char *in;
		const char *hex12;
	} t[] = {
		{ "abc", "ba7816bf8f01" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d206" },
		/* Spec §10 worked example, b and c of ja4 and ja4_o. */
		{ "000a,002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9",
		  "46e7e9700bed" },
		{ "1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035,000a",
		  "45f31bb0a5cc" },
		{ "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,ff01_0403,0804,0401,"
		  "0503,0805,0501,0806,0601,0201",
		  "45f260be83e2" },
		{ "0000", "9af15b336e6a" }, /* spec §5: SNI-only ja4_o */
	};
	char out[13];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(out, 'X', sizeof(out));
		assert_int_equal(fp_sha256_hex12(h, t[i].in, strlen(t[i].in), out), 0);
		assert_string_equal(out, t[i].hex12);
	}
}

static void test_fp_sha256_hex12_empty(void **state)
{
	struct fp_hash *h = *state;
	char out[13];

	/* Never the hash of "" (e3b0c44298fc): twelve zeros. */
	memset(out, 'X', sizeof(out));
	assert_int_equal(fp_sha256_hex12(h, "", 0, out), 0);
	assert_string_equal(out, "000000000000");
	/* len rules, not the string: a NUL-free prefix of "abc". */
	assert_int_equal(fp_sha256_hex12(h, "abcdef", 0, out), 0);
	assert_string_equal(out, "000000000000");
	assert_int_equal(fp_sha256_hex12(h, "abcdef", 3, out), 0);
	assert_string_equal(out, "ba7816bf8f01");
}

static void test_fp_sha256_hex12_reuse(void **state)
{
	struct fp_hash *h = *state;
	char a[13], b[13];

	/* One context, many digests, interleaved with MD5: no carry-over. */
	for (int i = 0; i < 100; i++) {
		char md5[33];

		assert_int_equal(fp_sha256_hex12(h, "abc", 3, a), 0);
		assert_int_equal(fp_md5_hex(h, "abc", 3, md5), 0);
		assert_int_equal(fp_sha256_hex12(h, "0000", 4, b), 0);
		assert_string_equal(a, "ba7816bf8f01");
		assert_string_equal(b, "9af15b336e6a");
		assert_string_equal(md5, "900150983cd24fb0d6963f7d28e17f72");
	}
}

static void test_fp_md5_hex_rfc1321(void **state)
{
	struct fp_hash *h = *state;
	char out[33];

	for (size_t i = 0; i < sizeof(rfc1321) / sizeof(rfc1321[0]); i++) {
		memset(out, 'X', sizeof(out));
		assert_int_equal(fp_md5_hex(h, rfc1321[i].in, strlen(rfc1321[i].in), out), 0);
		assert_string_equal(out, rfc1321[i].md5);
	}
	/* The spec §10 JA3 hashes. */
	assert_int_equal(fp_md5_hex(h, "769,53-47-10,,,", 15, out), 0);
	assert_string_equal(out, "d03688c92e36c87cd9bdbba5c3368d5b");
}

static void test_fp_md5_builtin_rfc1321(void **state)
{
	uint8_t d[16];
	char out[33];

	(void)state;
	for (size_t i = 0; i < sizeof(rfc1321) / sizeof(rfc1321[0]); i++) {
		fp_md5_builtin(rfc1321[i].in, strlen(rfc1321[i].in), d);
		hex(d, 16, out);
		assert_string_equal(out, rfc1321[i].md5);
	}
}

static void test_fp_md5_builtin_vs_evp(void **state)
{
	static const size_t lens[] = { 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000 };
	uint8_t buf[1000], a[16], b[16];
	size_t checked = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	if (!openssl_md5(buf, 1, b))
		skip(); /* no MD5 provider at all: nothing to compare with */
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		fp_md5_builtin(buf, lens[i], a);
		assert_true(openssl_md5(buf, lens[i], b));
		assert_memory_equal(a, b, 16);
		checked++;
	}
	/* And every length up to 200, all padding cases. */
	for (size_t n = 0; n <= 200; n++) {
		fp_md5_builtin(buf, n, a);
		assert_true(openssl_md5(buf, n, b));
		if (memcmp(a, b, 16))
			fail_msg("built-in MD5 differs from OpenSSL at length %zu", n);
		checked++;
	}
	assert_int_equal(checked, 12 + 201);
}

static void test_fp_md5_hex_matches_builtin(void **state)
{
	struct fp_hash *h = *state;
	char buf[130], evp[33], bi[33];
	uint8_t d[16];

	/* Whatever fp_hash uses (EVP here, the built-in on a FIPS host), the
	 * two agree. */
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)('a' + i % 26);
	for (size_t n = 50; n <= sizeof(buf); n++) {
		assert_int_equal(fp_md5_hex(h, buf, n, evp), 0);
		fp_md5_builtin(buf, n, d);
		hex(d, 16, bi);
		assert_string_equal(evp, bi);
	}
}

static void test_fp_hash_md5_builtin_flag(void **state)
{
	struct fp_hash *h = *state;
	uint8_t d[16];

	/* The built-in only when OpenSSL has no MD5 for a "-fips" query. */
	assert_int_equal(fp_hash_md5_builtin(h), !openssl_md5("", 0, d));
}

static void test_fp_hash_new_independent(void **state)
{
	struct fp_hash *h = *state, *h2 = fp_hash_new();
	char a[33], b[33];

	/* Two objects (one per pipeline) give the same digests. */
	assert_non_null(h2);
	assert_int_equal(fp_md5_hex(h, "message digest", 14, a), 0);
	assert_int_equal(fp_md5_hex(h2, "message digest", 14, b), 0);
	assert_string_equal(a, b);
	assert_int_equal(fp_sha256_hex12(h2, "abc", 3, b), 0);
	assert_string_equal(b, "ba7816bf8f01");
	fp_hash_free(h2);
	fp_hash_free(NULL); /* destructors accept NULL (style item 12) */
}

/* OpenSSL's SHA-256, independent of fp_hash. */
static void openssl_sha256(const void *p, size_t n, uint8_t d[32])
{
	unsigned int len = 0;

	assert_true(EVP_Digest(p, n, d, &len, EVP_sha256(), NULL) && len == 32);
}

/*
 * The memo of strings hashed before: 3,000 strings of 1 to 700 bytes
 * (over the memo's 1,024 slots and its 512-byte limit), hashed in two
 * interleaved rounds, each string also once more right after itself;
 * every digest equal to OpenSSL's own, and the counts right: the repeat
 * right after is always from the memo (a string under the limit) and the
 * rounds' strings evict each other.
 */
static void test_fp_hash_memo(void **state)
{
	struct fp_hash *h = *state;
	static char s[3000][700];
	uint64_t x = 0x1234567;
	size_t len[3000];
	uint64_t kept = 0;
	int over = 0;

	for (int i = 0; i < 3000; i++) {
		len[i] = 1 + (size_t)i % 700;
		over += len[i] > 512;
		for (size_t j = 0; j < len[i]; j++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			s[i][j] = (char)('0' + (x >> 59));
		}
	}
	/* two strings that differ in their last byte only, same length */
	memcpy(s[1], s[0], len[1] = len[0] = 100);
	s[1][99] ^= 1;
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 3000; i++) {
			uint8_t d[32];
			char want[65], got[33];
			const struct fp_hash_stats *st = fp_hash_get_stats(h);

			for (int again = 0; again < 2; again++) {
				uint64_t reused = st->reused;

				openssl_sha256(s[i], len[i], d);
				hex(d, 6, want);
				assert_int_equal(fp_sha256_hex12(h, s[i], len[i], got), 0);
				assert_string_equal(got, want);
				if (again)
					assert_int_equal(st->reused, reused + (len[i] <= 512));
				if (openssl_md5(s[i], len[i], d)) {
					hex(d, 16, want);
					assert_int_equal(fp_md5_hex(h, s[i], len[i], got), 0);
					assert_string_equal(got, want);
				}
			}
			kept += len[i] <= 512;
		}
	}
	/* each digest: 2 rounds x 2 hashes a string; the second of each pair
	 * from the memo where the string is kept, the first computed unless
	 * an earlier round's copy survived */
	assert_true(fp_hash_get_stats(h)->reused >= kept * 2);
	assert_int_equal(fp_hash_get_stats(h)->computed + fp_hash_get_stats(h)->reused,
			 2 * 2 * 2 * 3000);
	assert_true(over > 0);
	/* the empty string is never taken for an empty slot */
	{
		char out[33];

		assert_int_equal(fp_md5_hex(h, "", 0, out), 0);
		assert_string_equal(out, "d41d8cd98f00b204e9800998ecf8427e");
	}
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_fp_sha256_hex12_known),      T(test_fp_sha256_hex12_empty),
		T(test_fp_sha256_hex12_reuse),      T(test_fp_md5_hex_rfc1321),
		T(test_fp_md5_builtin_rfc1321),     T(test_fp_md5_builtin_vs_evp),
		T(test_fp_md5_hex_matches_builtin), T(test_fp_hash_md5_builtin_flag),
		T(test_fp_hash_new_independent),    T(test_fp_hash_memo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
