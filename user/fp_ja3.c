// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * JA3 as tshark computes it (tls.handshake.ja3_full / ja3): legacy version,
 * ciphers, extension types, supported groups, EC point formats, decimal,
 * wire order, GREASE dropped (by the parser), and its MD5.
 */
#include <string.h>
#include "fp.h"

/*
 * JA3 strings are most of a hello's output, up to 8,000 values in a hostile
 * one, so the decimals come from tables rather than from a conversion per
 * digit or snprintf("%u-"): dec3[v] holds the digits of v < 1000 and a '-'
 * after them, in the first bytes of 8 that are copied at once, and the
 * count of those characters; pad3[v] holds v as three digits with leading
 * zeros and a '-'. A value below 1000 is one 8-byte copy; a larger one is
 * its thousands from dec3 (whose '-' the next copy overwrites) and the rest
 * from pad3. ~10 and ~20 instructions a value with the separator, where the
 * two-digits-per-step conversion before took ~42 (cachegrind, an 8,172-
 * cipher hello). 12 KiB of tables, filled before main().
 */
struct dec_entry {
	char c[7];   /* digits then '-'; the copy reads all 8 bytes */
	uint8_t len; /* digits and the '-' */
};

static struct dec_entry dec3[1000];
static char pad3[1000][4];

static void __attribute__((constructor)) dec_tables(void)
{
	for (int v = 0; v < 1000; v++) {
		int d[3] = { v / 100, v / 10 % 10, v % 10 }, first = v >= 100 ? 0 : v >= 10 ? 1 : 2;
		struct dec_entry *e = &dec3[v];

		for (int i = first; i < 3; i++)
			e->c[e->len++] = (char)('0' + d[i]);
		e->c[e->len++] = '-';
		for (int i = 0; i < 3; i++)
			pad3[v][i] = (char)('0' + d[i]);
		pad3[v][3] = '-';
	}
}

/* Decimal of v and a '-' at o (writes up to 8 bytes); returns the end. */
static inline char *put_dec_dash(char *o, uint32_t v)
{
	uint32_t th;

	if (v < 1000) {
		memcpy(o, &dec3[v], 8);
		return o + dec3[v].len;
	}
	th = v / 1000;
	memcpy(o, &dec3[th], 8);
	o += dec3[th].len - 1;
	memcpy(o, pad3[v - th * 1000], 4);
	return o + 4;
}

/* Values joined with '-'; returns the end (the last '-' taken back). */
static char *join_dec16(char *o, const uint16_t *v, uint32_t n)
{
	char *start = o;

	for (uint32_t i = 0; i < n; i++)
		o = put_dec_dash(o, v[i]);
	return o == start ? o : o - 1;
}

int fp_ja3(struct fp_hash *h, const struct hello_info *hi, char *str, char md5[33])
{
	char *o = put_dec_dash(str, hi->legacy_version) - 1;

	*o++ = ',';
	o = join_dec16(o, hi->ciphers, hi->n_ciphers);
	*o++ = ',';
	o = join_dec16(o, hi->exts, hi->n_exts);
	*o++ = ',';
	o = join_dec16(o, hi->groups, hi->n_groups);
	*o++ = ',';
	if (hi->n_point_formats) {
		for (uint32_t i = 0; i < hi->n_point_formats; i++)
			o = put_dec_dash(o, hi->point_formats[i]);
		o--;
	}
	*o = '\0';
	if (fp_md5_hex(h, str, (size_t)(o - str), md5))
		return -1;
	return (int)(o - str);
}
