// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * JA4T, the TCP client fingerprint of FoxIO's JA4+ suite, from the window
 * and the options of a client's SYN. This file is the project's own code,
 * but the JA4T method is FoxIO's and licensed under the FoxIO License 1.1
 * (non-commercial use; see NOTICE), unlike JA4, which is BSD: that is why
 * fingerprints.ja4t is off by default.
 *
 * Format (FoxIO technical_details/JA4T.md):
 *   <window>_<option kinds>_<MSS>_<window scale>
 * - window: the SYN's window field, unscaled, in decimal;
 * - option kinds: every kind in wire order, decimal, '-'-joined, NOPs (1)
 *   and EOLs (0) included, and the walk goes on after an EOL: each
 *   padding byte after it is listed as a 0 (the spec's macOS example ends
 *   "...-8-4-0-0", FoxIO's Wireshark and Rust tools list every kind
 *   Wireshark dissects); "00" when the SYN has no options;
 * - MSS: the MSS option's value (kind 2, length 4), "00" when absent;
 * - window scale: the shift (kind 3, length 3), "00" when absent or 0.
 * A later MSS or window-scale option replaces an earlier one (FoxIO's tools
 * keep the last value Wireshark shows). An option whose length byte is
 * missing, below 2 or past the end is listed and ends the walk: nothing
 * after it can be read as options.
 */
#include <stdbool.h>
#include "byteorder.h"
#include "fp.h"

/* Decimal digits of v at o; returns the end. */
static char *put_uint(char *o, unsigned int v)
{
	char tmp[10];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*o++ = tmp[--n];
	return o;
}

/* v as the reference prints it with "%02d": at least two digits. */
static char *put_uint02(char *o, unsigned int v)
{
	if (v < 10)
		*o++ = '0';
	return put_uint(o, v);
}

int fp_ja4t(uint16_t window, const uint8_t *opts, uint32_t len, char out[FP_JA4T_MAX])
{
	unsigned int mss = 0, wscale = 0;
	char *o = put_uint(out, window);
	uint32_t i = 0;
	bool any = false;

	*o++ = '_';
	if (len > FP_JA4T_MAX_OPTS)
		len = FP_JA4T_MAX_OPTS; /* a TCP header holds no more */
	while (i < len) {
		uint8_t kind = opts[i];
		uint32_t olen = 1;

		if (any)
			*o++ = '-';
		o = put_uint(o, kind);
		any = true;
		if (kind > 1) {
			if (i + 1 >= len || opts[i + 1] < 2 || i + opts[i + 1] > len)
				break;
			olen = opts[i + 1];
			if (kind == 2 && olen == 4)
				mss = rd16(opts + i + 2);
			else if (kind == 3 && olen == 3)
				wscale = opts[i + 2];
		}
		i += olen;
	}
	if (!any) {
		*o++ = '0';
		*o++ = '0';
	}
	*o++ = '_';
	o = put_uint02(o, mss);
	*o++ = '_';
	if (wscale)
		o = put_uint(o, wscale);
	else {
		*o++ = '0';
		*o++ = '0';
	}
	*o = '\0';
	return (int)(o - out);
}
