// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The JSON record of one ClientHello (design.md §7), flat, in the Go
 * daemon's field order. Owns the escaping of packet bytes and the 64 KiB
 * bound; knows nothing of where the record goes.
 *
 * Written directly into the caller's buffer rather than through json-c:
 * building and serialising a json-c object took ~58,000 instructions a
 * record (allocations, hashing of keys, snprintf for every number), more
 * than everything else per hello together; this writer takes a few
 * thousand. The schema is flat and fixed, strings are escaped per RFC 8259,
 * and the unit tests parse every record back with json-c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "quic.h"
#include "record.h"

size_t record_escape_bytes(const uint8_t *in, size_t len, char *out)
{
	char *o = out;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = in[i];

		if (c > 0x20 && c < 0x7f && c != '\\') {
			*o++ = (char)c;
		} else {
			*o++ = '\\';
			*o++ = 'x';
			*o++ = fp_hex_digit(c >> 4);
			*o++ = fp_hex_digit(c & 15);
		}
	}
	*o = '\0';
	return (size_t)(o - out);
}

const char *record_tls_version(uint16_t v, char tmp[8])
{
	switch (v) {
	case 0x0304:
		return "1.3";
	case 0x0303:
		return "1.2";
	case 0x0302:
		return "1.1";
	case 0x0301:
		return "1.0";
	case 0x0300:
		return "ssl3";
	}
	snprintf(tmp, 8, "0x%04x", v);
	return tmp;
}

/* A bounded writer: on overflow it stops writing and remembers. */
struct jw {
	char *p, *end;
	bool full;
	bool first;
};

static void jw_raw(struct jw *w, const char *s, size_t n)
{
	if (w->full || (size_t)(w->end - w->p) < n) {
		w->full = true;
		return;
	}
	memcpy(w->p, s, n);
	w->p += n;
}

/*
 * ',"key":' (no ',' before the first). Every writer below is a macro over a
 * function taking the key's length, so the length of the literal is a
 * compile-time constant rather than a strlen per field (~20 fields a
 * record). Adding a field to the record is one line in write_record() or
 * its helpers: JW_INT(w, "name", v), JW_STR(...), JW_BOOL(...).
 */
static inline __attribute__((always_inline)) void jw_key(struct jw *w, const char *key, size_t n)
{
	if (w->full || (size_t)(w->end - w->p) < n + 4) {
		w->full = true;
		return;
	}
	if (!w->first)
		*w->p++ = ',';
	w->first = false;
	*w->p++ = '"';
	memcpy(w->p, key, n);
	w->p += n;
	*w->p++ = '"';
	*w->p++ = ':';
}

#define JW_KEYLEN(key) (sizeof("" key) - 1) /* "" key: literals only */

/* Length of a valid UTF-8 sequence at s (max n bytes), 0 if invalid. */
static size_t utf8_len(const uint8_t *s, size_t n)
{
	size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	uint32_t cp;

	if (s[0] < 0xc2 || s[0] > 0xf4 || len > n)
		return 0;
	cp = s[0] & (0x3f >> (len - 1));
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* Bytes a JSON string cannot carry as they are: controls, '"', '\', non-ASCII. */
static const uint8_t care[256] = {
	[0x00 ... 0x1f] = 1,
	['"'] = 1,
	['\\'] = 1,
	[0x80 ... 0xff] = 1,
};

static inline bool needs_care(uint8_t c)
{
	return care[c];
}

/* A JSON string: '"', '\' and controls escaped; invalid UTF-8 as U+FFFD. */
static void jw_str_len(struct jw *w, const char *key, size_t kn, const char *s, size_t n)
{
	const uint8_t *u = (const uint8_t *)s;
	size_t run = 0, i = 0;

	jw_key(w, key, kn);
	jw_raw(w, "\"", 1);
	for (;;) {
		uint8_t c;
		size_t ul;

		while (i < n && !needs_care(u[i]))
			i++;
		if (i == n)
			break;
		c = u[i];
		if (c >= 0x80 && (ul = utf8_len(u + i, n - i))) {
			i += ul;
			continue;
		}
		jw_raw(w, s + run, i - run);
		if (c == '"' || c == '\\')
			jw_raw(w, c == '"' ? "\\\"" : "\\\\", 2);
		else if (c < 0x20)
			jw_raw(w,
			       (char[6]){ '\\', 'u', '0', '0', fp_hex_digit(c >> 4),
					  fp_hex_digit(c & 15) },
			       6);
		else
			jw_raw(w, "\\ufffd", 6);
		run = ++i;
	}
	jw_raw(w, s + run, n - run);
	jw_raw(w, "\"", 1);
}

#define JW_STR(w, key, s) jw_str_len(w, key, JW_KEYLEN(key), s, strlen(s))

/*
 * A string this program composed of characters JSON carries as they are
 * (the fingerprints: hex and decimal digits, ',', '-', '_', and the JA4
 * ALPN code, which is alphanumeric or hex; addresses; TCP option names):
 * copied without the escaper's scan, which cost ~5 instructions a byte on
 * the 40-50 KB JA3 and raw JA4 strings of a hostile hello.
 */
static void jw_ascii(struct jw *w, const char *key, size_t kn, const char *s, size_t n)
{
	jw_key(w, key, kn);
	if (w->full || (size_t)(w->end - w->p) < n + 2) {
		w->full = true;
		return;
	}
	*w->p++ = '"';
	memcpy(w->p, s, n);
	w->p += n;
	*w->p++ = '"';
}

#define JW_ASCII(w, key, s)        jw_ascii(w, key, JW_KEYLEN(key), s, strlen(s))
#define JW_ASCII_LEN(w, key, s, n) jw_ascii(w, key, JW_KEYLEN(key), s, n)

/* "00".."99": decimal two digits per step (record numbers and conn_id). */
static const char dig2[201] = "00010203040506070809101112131415161718192021222324"
			      "25262728293031323334353637383940414243444546474849"
			      "50515253545556575859606162636465666768697071727374"
			      "75767778798081828384858687888990919293949596979899";

/* Decimal of u ending at end; returns the first digit. */
static char *dec_back(char *end, uint64_t u)
{
	while (u >= 100) {
		end -= 2;
		memcpy(end, dig2 + 2 * (u % 100), 2);
		u /= 100;
	}
	if (u >= 10) {
		end -= 2;
		memcpy(end, dig2 + 2 * u, 2);
	} else {
		*--end = (char)('0' + u);
	}
	return end;
}

/*
 * Inlined at each field, so the key's length is a constant and its copy a
 * few moves; the digits (at most 20 and a sign) go as one fixed 24-byte
 * copy from the end of tmp, not a memcpy call per number.
 */
static inline __attribute__((always_inline)) void jw_int(struct jw *w, const char *key, size_t kn,
							 int64_t v)
{
	char tmp[48], *p, *end = tmp + 24;
	uint64_t u = v < 0 ? (uint64_t) - (v + 1) + 1 : (uint64_t)v;

	p = dec_back(end, u);
	if (v < 0)
		*--p = '-';
	jw_key(w, key, kn);
	if (w->full || w->end - w->p < 24) {
		jw_raw(w, p, (size_t)(end - p));
		return;
	}
	memcpy(w->p, p, 24); /* p >= tmp + 3: within tmp */
	w->p += end - p;
}

#define JW_INT(w, key, v) jw_int(w, key, JW_KEYLEN(key), v)

static inline __attribute__((always_inline)) void jw_bool(struct jw *w, const char *key, size_t kn,
							  bool v)
{
	jw_key(w, key, kn);
	jw_raw(w, v ? "true" : "false", v ? 4 : 5);
}

#define JW_BOOL(w, key, v) jw_bool(w, key, JW_KEYLEN(key), v)

/*
 * Packet bytes, cut at RECORD_MAX_NAME bytes, as the JSON string of their
 * record_escape_bytes() form: 0x21..0x7e stay ('"' as \"), every other
 * byte and '\' become \xHH, whose '\' JSON escapes again (\\xHH). One
 * pass instead of escaping into a buffer and scanning that for JSON.
 */
static void jw_name(struct jw *w, const char *key, size_t kn, const uint8_t *p, size_t len,
		    struct record_stats *st)
{
	char *o;

	if (len > RECORD_MAX_NAME) {
		len = RECORD_MAX_NAME;
		st->names_cut++;
	}
	jw_key(w, key, kn);
	if (w->full || (size_t)(w->end - w->p) < 5 * len + 2) {
		/* rare (long names near the limit): the exact length decides */
		size_t need = 2;

		for (size_t i = 0; i < len; i++)
			need += p[i] > 0x20 && p[i] < 0x7f && p[i] != '\\' ? 1 + (p[i] == '"') : 5;
		if (w->full || (size_t)(w->end - w->p) < need) {
			w->full = true;
			return;
		}
	}
	o = w->p;
	*o++ = '"';
	for (size_t i = 0; i < len; i++) {
		uint8_t c = p[i];

		if (c > 0x20 && c < 0x7f && c != '\\') {
			if (c == '"')
				*o++ = '\\';
			*o++ = (char)c;
		} else {
			memcpy(o, "\\\\x", 3);
			o[3] = fp_hex_digit(c >> 4);
			o[4] = fp_hex_digit(c & 15);
			o += 5;
		}
	}
	*o++ = '"';
	w->p = o;
}

#define JW_NAME(w, key, p, len, st) jw_name(w, key, JW_KEYLEN(key), p, len, st)

/* "addr:port", or "[addr]:port" for IPv6, at o; returns the end. */
static char *endpoint(char *o, const char *addr, size_t alen, uint16_t port, bool v6)
{
	char tmp[8], *d = dec_back(tmp + sizeof(tmp), port);

	if (v6)
		*o++ = '[';
	memcpy(o, addr, alen);
	o += alen;
	if (v6)
		*o++ = ']';
	*o++ = ':';
	memcpy(o, d, (size_t)(tmp + sizeof(tmp) - d));
	return o + (tmp + sizeof(tmp) - d);
}

/* conn_id: "src:sport-dst:dport" (brackets around IPv6), composed here with
 * copies rather than snprintf, which cost ~1,700 instructions a record. */
static size_t put_addresses(struct jw *w, const struct flow_key *k, char conn[160])
{
	char src[64], dst[64], *o;
	bool v6 = k->family == AF_INET6;
	size_t sl, dl;

	packet_addr_str(k->family, k->src, src, sizeof(src));
	packet_addr_str(k->family, k->dst, dst, sizeof(dst));
	sl = strlen(src);
	dl = strlen(dst);
	JW_ASCII_LEN(w, "src_ip", src, sl);
	JW_INT(w, "src_port", k->sport);
	JW_ASCII_LEN(w, "dst_ip", dst, dl);
	JW_INT(w, "dst_port", k->dport);
	o = endpoint(conn, src, sl, k->sport, v6);
	*o++ = '-';
	o = endpoint(o, dst, dl, k->dport, v6);
	return (size_t)(o - conn);
}

static void put_meta(struct jw *w, const struct flow_meta *m, bool quic)
{
	struct tcp_meta tm;

	JW_INT(w, "ip_meta_ttl", m->ttl);
	JW_INT(w, "ip_meta_total_length", m->ip_total_len);
	JW_INT(w, "ip_meta_id", m->ip_id);
	JW_BOOL(w, "ip_meta_df", m->df);
	if (!quic) { /* a UDP datagram has no TCP meta (design.md §7) */
		packet_tcp_meta(m->opts, m->opt_len, &tm);
		JW_INT(w, "tcp_meta_window_size", m->window);
		if (tm.mss >= 0)
			JW_INT(w, "tcp_meta_mss", tm.mss);
		if (tm.wscale >= 0)
			JW_INT(w, "tcp_meta_window_scale", tm.wscale);
		JW_ASCII(w, "tcp_meta_options", tm.options); /* option names and digits */
	}
	if (m->tunnel[0]) {
		char tun[64];

		packet_tunnel_str(m->tunnel, tun, sizeof(tun));
		JW_ASCII(w, "tunnel", tun);
	}
}

static void put_tls(struct jw *w, const struct record_input *in, struct record_stats *st)
{
	const struct hello_info *hi = in->hello;
	char tmp[8];

	JW_STR(w, "sensor_id", in->sensor_id ? in->sensor_id : "");
	JW_ASCII(w, "tls_version", record_tls_version(hello_version(hi), tmp));
	if (hi->sni)
		JW_NAME(w, "tls_sni", hi->sni, hi->sni_len, st);
	if (hi->has_alpn)
		JW_NAME(w, "tls_alpn", hi->alpn, hi->alpn_len, st);
}

static void put_fingerprints(struct jw *w, const struct record_input *in, bool raw)
{
	const struct flow *f = in->flow;

	if (f->has_syn && f->first_byte_ns >= f->syn_ns)
		JW_INT(w, "syn_to_clienthello_ms",
		       (int64_t)((f->first_byte_ns - f->syn_ns) / 1000000));
	JW_ASCII_LEN(w, "ja4", in->ja4->ja4, 36);
	JW_ASCII_LEN(w, "ja4_hash", in->ja4->ja4 + 11, 25);
	JW_ASCII(w, "ja3", in->ja3);
	JW_ASCII_LEN(w, "ja3_hash", in->ja3_hash, 32);
	if (in->raw) {
		if (raw)
			JW_ASCII(w, "ja4_r", in->ja4->ja4_r);
		JW_ASCII(w, "ja4_o", in->ja4->ja4_o);
		if (raw)
			JW_ASCII(w, "ja4_ro", in->ja4->ja4_ro);
	}
	if (in->ja4t)
		JW_ASCII(w, "ja4t", in->ja4t);
}

/* One attempt; raw = whether the long raw forms go in. */
static size_t write_record(const struct record_input *in, bool raw, char *buf, size_t size,
			   struct record_stats *st, bool *full)
{
	struct jw w = { .p = buf, .end = buf + size - 1, .first = true };
	char conn[160];
	size_t conn_len;

	jw_raw(&w, "{", 1);
	conn_len = put_addresses(&w, &in->flow->key, conn);
	put_meta(&w, &in->flow->meta, in->quic_version != 0);
	JW_ASCII_LEN(&w, "conn_id", conn, conn_len);
	put_tls(&w, in, st);
	put_fingerprints(&w, in, raw);
	JW_BOOL(&w, "handshake_validated", flow_validated(in->flow));
	if (in->flow->conflict)
		JW_BOOL(&w, "hello_conflict", true);
	if (in->quic_version) {
		const char *v = quic_version_str(in->quic_version);

		JW_ASCII(&w, "quic_version", v ? v : "?");
	}
	JW_INT(&w, "timestamp", (int64_t)(in->flow->first_byte_ns + in->real_minus_mono));
	jw_raw(&w, "}", 1);
	*w.p = '\0';
	*full = w.full;
	return (size_t)(w.p - buf);
}

int record_format(const struct record_input *in, char *buf, size_t size, struct record_stats *st)
{
	size_t limit = size - 1 < RECORD_MAX_BYTES ? size - 1 : RECORD_MAX_BYTES;
	size_t len;
	bool full;

	if (size < 2)
		return -EINVAL;
	len = write_record(in, true, buf, limit + 1, st, &full);
	if (full && in->raw) {
		/* A pathological hello: its raw lists go, the fingerprints stay. */
		struct record_stats again = { 0 }; /* names were counted once already */

		st->raw_dropped++;
		len = write_record(in, false, buf, limit + 1, &again, &full);
	}
	if (full) {
		st->errors++;
		buf[0] = '\0';
		return -EMSGSIZE;
	}
	st->records++;
	return (int)len;
}
