// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * JA4 of a TLS ClientHello and its raw / original-order variants, exactly as
 * the written FoxIO spec says (shared ja4-ja3-spec.md §2-5): GREASE already
 * dropped by the parser, counts capped at 99, empty lists hash to twelve
 * zeros, signature algorithms of extension 0x000d only, in wire order.
 */
#include <string.h>
#include "fp.h"

#define LIST_MAX (5 * HELLO_MAX_U16 + 16) /* "xxxx," per value */

/* "00".."ff": a 16-bit value is two lookups. */
static const char hex2[513] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
			      "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
			      "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
			      "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
			      "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
			      "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
			      "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
			      "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

/*
 * Values joined as 4-digit hex with ','. Writes a ',' after every value and
 * takes the last one back: no branch per value (out needs room for n * 5 +
 * 1). Two table lookups and three stores a value, ~12 instructions, where
 * snprintf("%04x,") takes several hundred: a hostile hello has 8,000 values.
 */
static char *join_hex(char *o, const uint16_t *v, uint32_t n)
{
	char *start = o;

	const char(*pair)[2] = (const char(*)[2])hex2;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t x = v[i];

		memcpy(o, pair[x >> 8], 2);
		memcpy(o + 2, pair[x & 0xff], 2);
		o[4] = ',';
		o += 5;
	}
	if (o != start)
		o--;
	*o = '\0';
	return o;
}

/*
 * The sorted extension list without 0x0000 (SNI) and 0x0010 (ALPN). Sorted,
 * so both (repeated or not) sit at the front among the values below 0x0011:
 * the list is joined as the two runs around them, and the values after them
 * need no test each (a test per value cost ~5 instructions of the ~17).
 */
static char *join_hex_skip_sni_alpn(char *o, const uint16_t *v, uint32_t n)
{
	uint32_t a = 0, b, c;
	char *p;

	while (a < n && v[a] == 0x0000)
		a++;
	for (b = a; b < n && v[b] < 0x0010;)
		b++;
	for (c = b; c < n && v[c] == 0x0010;)
		c++;
	p = join_hex(o, v + a, b - a);
	if (p != o && c < n)
		*p++ = ',';
	return join_hex(p, v + c, n - c);
}

/* Lists up to this length are sorted by insertion: fewer instructions than
 * clearing and summing the radix sort's counters. */
#define SORT_INSERTION_MAX 32

/*
 * Two-pass LSD radix sort (low byte, then high byte), stable, duplicates
 * kept: linear in n where qsort took ~500 instructions per value of a
 * hostile 8,000-value list (design: every per-hello step linear).
 */
static __attribute__((noinline)) void radix_sort_u16(const uint16_t *in, uint32_t n, uint16_t *out,
						     uint16_t *tmp)
{
	uint32_t lo[256] = { 0 }, hi[256] = { 0 }, slo = 0, shi = 0;

	for (uint32_t i = 0; i < n; i++) {
		lo[in[i] & 0xff]++;
		hi[in[i] >> 8]++;
	}
	for (uint32_t b = 0; b < 256; b++) {
		uint32_t cl = lo[b], ch = hi[b];

		lo[b] = slo;
		hi[b] = shi;
		slo += cl;
		shi += ch;
	}
	for (uint32_t i = 0; i < n; i++)
		tmp[lo[in[i] & 0xff]++] = in[i];
	for (uint32_t i = 0; i < n; i++)
		out[hi[tmp[i] >> 8]++] = tmp[i];
}

/*
 * The counters live in their own function: declared here, their 2 KiB were
 * cleared on every call, even for the short lists of a typical hello that
 * never use them (~1,000 instructions per list).
 */
void fp_sort_u16(const uint16_t *in, uint32_t n, uint16_t *out, uint16_t *tmp)
{
	if (n > SORT_INSERTION_MAX) {
		radix_sort_u16(in, n, out, tmp);
		return;
	}
	/*
	 * Insertion with out[0] as the sentinel: a value below out[0] goes to
	 * the front in one memmove, any other stops at a smaller value before
	 * reaching the front, so the shifting loop tests only the value (5
	 * instructions a step where a bounds test too took 8; ~640 a typical
	 * hello, whose lists come nearly sorted).
	 */
	for (uint32_t i = 0; i < n; i++) {
		uint16_t x = in[i], y, *p = out + i;

		if (i == 0 || x >= (y = p[-1])) {
			*p = x;
			continue;
		}
		if (x < out[0]) {
			memmove(out + 1, out, i * sizeof(*out));
			out[0] = x;
			continue;
		}
		do {
			*p-- = y;
			y = p[-1];
		} while (y > x);
		*p = x;
	}
}

const char *fp_ja4_version(uint16_t v)
{
	switch (v) {
	case 0x0304:
		return "13";
	case 0x0303:
		return "12";
	case 0x0302:
		return "11";
	case 0x0301:
		return "10";
	case 0x0300:
		return "s3";
	case 0x0002:
		return "s2";
	case 0xfeff:
		return "d1";
	case 0xfefd:
		return "d2";
	case 0xfefc:
		return "d3";
	}
	return "00";
}

static bool is_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static void alpn_code(const struct hello_info *hi, char out[2])
{
	uint8_t f, l;

	if (!hi->has_alpn || !hi->alpn_len) {
		out[0] = out[1] = '0';
		return;
	}
	f = hi->alpn[0];
	l = hi->alpn[hi->alpn_len - 1];
	if (is_alnum(f) && is_alnum(l)) {
		out[0] = (char)f;
		out[1] = (char)l;
	} else {
		/* First and last character of the name in hex. */
		out[0] = fp_hex_digit(f >> 4);
		out[1] = fp_hex_digit(l & 15);
	}
}

static void count2(uint32_t n, char *o)
{
	if (n > 99)
		n = 99;
	o[0] = (char)('0' + n / 10);
	o[1] = (char)('0' + n % 10);
}

static void ja4_a(const struct hello_info *hi, char proto, char a[11])
{
	const char *ver = fp_ja4_version(hello_version(hi));

	a[0] = proto;
	a[1] = ver[0];
	a[2] = ver[1];
	a[3] = hi->has_sni ? 'd' : 'i';
	count2(hi->n_ciphers, a + 4);
	count2(hi->n_exts, a + 6);
	alpn_code(hi, a + 8);
	a[10] = '\0';
}

/* ext list, then "_" and the signature algorithms when there are any. */
static size_t ext_sig_string(const struct hello_info *hi, const uint16_t *exts, bool skip, char *o)
{
	char *p = skip ? join_hex_skip_sni_alpn(o, exts, hi->n_exts)
		       : join_hex(o, exts, hi->n_exts);

	if (hi->n_sigalgs) {
		*p++ = '_';
		p = join_hex(p, hi->sigalgs, hi->n_sigalgs);
	}
	return (size_t)(p - o);
}

static void hashed(const char *a, const char *b12, const char *c12, char out[37])
{
	memcpy(out, a, 10);
	out[10] = '_';
	memcpy(out + 11, b12, 12);
	out[23] = '_';
	memcpy(out + 24, c12, 12);
	out[36] = '\0';
}

static void raw_form(char *out, const char *a, const char *b, size_t blen, const char *c,
		     size_t clen)
{
	memcpy(out, a, 10);
	out[10] = '_';
	memcpy(out + 11, b, blen);
	out[11 + blen] = '_';
	memcpy(out + 12 + blen, c, clen);
	out[12 + blen + clen] = '\0';
}

/* One ordering (sorted or wire): hashed form into h, raw form into raw. */
static int ja4_variant(struct fp_hash *hs, const struct hello_info *hi, const char *a,
		       const uint16_t *ciphers, const uint16_t *exts, bool sorted, char h[37],
		       char *raw)
{
	char cs[LIST_MAX], es[2 * LIST_MAX], b12[13], c12[13];
	size_t clen = (size_t)(join_hex(cs, ciphers, hi->n_ciphers) - cs);
	size_t elen = ext_sig_string(hi, exts, sorted, es);

	if (fp_sha256_hex12(hs, cs, clen, b12) || fp_sha256_hex12(hs, es, elen, c12))
		return -1;
	hashed(a, b12, c12, h);
	if (raw)
		raw_form(raw, a, cs, clen, es, elen);
	return 0;
}

int fp_ja4(struct fp_hash *h, const struct hello_info *hi, char proto, struct fp_ja4 *out)
{
	uint16_t sc[HELLO_MAX_U16], se[HELLO_MAX_U16], tmp[HELLO_MAX_U16];
	char a[11];

	ja4_a(hi, proto, a);
	fp_sort_u16(hi->ciphers, hi->n_ciphers, sc, tmp);
	fp_sort_u16(hi->exts, hi->n_exts, se, tmp);
	if (ja4_variant(h, hi, a, sc, se, true, out->ja4, out->ja4_r))
		return -1;
	if (out->skip_original) {
		out->ja4_o[0] = '\0';
		return 0;
	}
	return ja4_variant(h, hi, a, hi->ciphers, hi->exts, false, out->ja4_o, out->ja4_ro);
}
