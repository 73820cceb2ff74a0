// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * JA3 as tshark computes it (tls.handshake.ja3_full / ja3): legacy version,
 * ciphers, extension types, supported groups, EC point formats, decimal,
 * wire order, GREASE dropped (by the parser), and its MD5.
 */
#include <string.h>
#include "fp.h"

/* "00".."99": two digits per step of the decimal conversion. */
static const char dig2[201] = "00010203040506070809101112131415161718192021222324"
			      "25262728293031323334353637383940414243444546474849"
			      "50515253545556575859606162636465666768697071727374"
			      "75767778798081828384858687888990919293949596979899";

/*
 * Decimal of a 16-bit value. JA3 strings are most of a hello's output, up
 * to 8,000 values in a hostile one: straight-line digit pairs, where a
 * digit-at-a-time loop took over 100 instructions a value.
 */
static char *put_dec(char *o, uint32_t v)
{
	if (v < 10) {
		*o = (char)('0' + v);
		return o + 1;
	}
	if (v < 100) {
		memcpy(o, dig2 + 2 * v, 2);
		return o + 2;
	}
	if (v < 1000) {
		*o = (char)('0' + v / 100);
		memcpy(o + 1, dig2 + 2 * (v % 100), 2);
		return o + 3;
	}
	if (v < 10000) {
		memcpy(o, dig2 + 2 * (v / 100), 2);
		memcpy(o + 2, dig2 + 2 * (v % 100), 2);
		return o + 4;
	}
	*o = (char)('0' + v / 10000);
	v %= 10000;
	memcpy(o + 1, dig2 + 2 * (v / 100), 2);
	memcpy(o + 3, dig2 + 2 * (v % 100), 2);
	return o + 5;
}

static char *join_dec16(char *o, const uint16_t *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			*o++ = '-';
		o = put_dec(o, v[i]);
	}
	return o;
}

int fp_ja3(struct fp_hash *h, const struct hello_info *hi, char *str, char md5[33])
{
	char *o = put_dec(str, hi->legacy_version);

	*o++ = ',';
	o = join_dec16(o, hi->ciphers, hi->n_ciphers);
	*o++ = ',';
	o = join_dec16(o, hi->exts, hi->n_exts);
	*o++ = ',';
	o = join_dec16(o, hi->groups, hi->n_groups);
	*o++ = ',';
	for (uint32_t i = 0; i < hi->n_point_formats; i++) {
		if (i)
			*o++ = '-';
		o = put_dec(o, hi->point_formats[i]);
	}
	*o = '\0';
	if (fp_md5_hex(h, str, (size_t)(o - str), md5))
		return -1;
	return (int)(o - str);
}
