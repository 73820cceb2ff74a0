// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * JA3 as tshark computes it (tls.handshake.ja3_full / ja3): legacy version,
 * ciphers, extension types, supported groups, EC point formats, decimal,
 * wire order, GREASE dropped (by the parser), and its MD5.
 */
#include "fp.h"

/* Decimal of a 16-bit value; JA3 strings are most of a hello's output. */
static char *put_dec(char *o, uint32_t v)
{
	char tmp[5];
	int n = 0;

	if (v < 10) {
		*o++ = (char)('0' + v);
		return o;
	}
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*o++ = tmp[--n];
	return o;
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
