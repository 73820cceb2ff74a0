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

static inline void jw_key(struct jw *w, const char *key)
{
	size_t n = strlen(key); /* literals: folded once inlined */

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
static void jw_str_len(struct jw *w, const char *key, const char *s, size_t n)
{
	const uint8_t *u = (const uint8_t *)s;
	size_t run = 0, i = 0;

	jw_key(w, key);
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

static void jw_str(struct jw *w, const char *key, const char *s)
{
	jw_str_len(w, key, s, strlen(s));
}

/*
 * A string this program composed of characters JSON carries as they are
 * (the fingerprints: hex and decimal digits, ',', '-', '_', and the JA4
 * ALPN code, which is alphanumeric or hex): copied without the escaper's
 * scan, which cost ~5 instructions a byte on the 40-50 KB JA3 and raw JA4
 * strings of a hostile hello.
 */
static void jw_ascii(struct jw *w, const char *key, const char *s)
{
	jw_key(w, key);
	jw_raw(w, "\"", 1);
	jw_raw(w, s, strlen(s));
	jw_raw(w, "\"", 1);
}

static void jw_int(struct jw *w, const char *key, int64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? (uint64_t) - (v + 1) + 1 : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	jw_key(w, key);
	jw_raw(w, p, (size_t)(tmp + sizeof(tmp) - p));
}

static void jw_bool(struct jw *w, const char *key, bool v)
{
	jw_key(w, key);
	jw_raw(w, v ? "true" : "false", v ? 4 : 5);
}

/* Packet bytes, escaped to printable ASCII, cut at RECORD_MAX_NAME bytes. */
static void jw_name(struct jw *w, const char *key, const uint8_t *p, size_t len,
		    struct record_stats *st)
{
	char buf[4 * RECORD_MAX_NAME + 1];

	if (len > RECORD_MAX_NAME) {
		len = RECORD_MAX_NAME;
		st->names_cut++;
	}
	jw_str_len(w, key, buf, record_escape_bytes(p, len, buf));
}

static void put_addresses(struct jw *w, const struct flow_key *k, char *conn, size_t size)
{
	char src[64], dst[64];
	bool v6 = k->family == AF_INET6;

	packet_addr_str(k->family, k->src, src, sizeof(src));
	packet_addr_str(k->family, k->dst, dst, sizeof(dst));
	jw_str(w, "src_ip", src);
	jw_int(w, "src_port", k->sport);
	jw_str(w, "dst_ip", dst);
	jw_int(w, "dst_port", k->dport);
	snprintf(conn, size, v6 ? "[%s]:%u-[%s]:%u" : "%s:%u-%s:%u", src, k->sport, dst, k->dport);
}

static void put_meta(struct jw *w, const struct flow_meta *m, bool quic)
{
	struct tcp_meta tm;

	jw_int(w, "ip_meta_ttl", m->ttl);
	jw_int(w, "ip_meta_total_length", m->ip_total_len);
	jw_int(w, "ip_meta_id", m->ip_id);
	jw_bool(w, "ip_meta_df", m->df);
	if (quic) /* a UDP datagram has no TCP meta (design.md §7) */
		return;
	packet_tcp_meta(m->opts, m->opt_len, &tm);
	jw_int(w, "tcp_meta_window_size", m->window);
	if (tm.mss >= 0)
		jw_int(w, "tcp_meta_mss", tm.mss);
	if (tm.wscale >= 0)
		jw_int(w, "tcp_meta_window_scale", tm.wscale);
	jw_str(w, "tcp_meta_options", tm.options);
	if (m->tunnel[0]) {
		char tun[64];

		packet_tunnel_str(m->tunnel, tun, sizeof(tun));
		jw_ascii(w, "tunnel", tun);
	}
}

static void put_tls(struct jw *w, const struct record_input *in, struct record_stats *st)
{
	const struct hello_info *hi = in->hello;
	char tmp[8];

	jw_str(w, "sensor_id", in->sensor_id ? in->sensor_id : "");
	jw_str(w, "tls_version",
	       record_tls_version(hi->max_version ? hi->max_version : hi->legacy_version, tmp));
	if (hi->sni)
		jw_name(w, "tls_sni", hi->sni, hi->sni_len, st);
	if (hi->has_alpn)
		jw_name(w, "tls_alpn", hi->alpn, hi->alpn_len, st);
}

static void put_fingerprints(struct jw *w, const struct record_input *in, bool raw)
{
	const struct flow *f = in->flow;

	if (f->has_syn && f->first_byte_ns >= f->syn_ns)
		jw_int(w, "syn_to_clienthello_ms",
		       (int64_t)((f->first_byte_ns - f->syn_ns) / 1000000));
	jw_ascii(w, "ja4", in->ja4->ja4);
	jw_ascii(w, "ja4_hash", in->ja4->ja4 + 11);
	jw_ascii(w, "ja3", in->ja3);
	jw_ascii(w, "ja3_hash", in->ja3_hash);
	if (in->raw) {
		if (raw)
			jw_ascii(w, "ja4_r", in->ja4->ja4_r);
		jw_ascii(w, "ja4_o", in->ja4->ja4_o);
		if (raw)
			jw_ascii(w, "ja4_ro", in->ja4->ja4_ro);
	}
	if (in->ja4t)
		jw_ascii(w, "ja4t", in->ja4t);
}

/* One attempt; raw = whether the long raw forms go in. */
static size_t write_record(const struct record_input *in, bool raw, char *buf, size_t size,
			   struct record_stats *st, bool *full)
{
	struct jw w = { .p = buf, .end = buf + size - 1, .first = true };
	char conn[160];

	jw_raw(&w, "{", 1);
	put_addresses(&w, &in->flow->key, conn, sizeof(conn));
	put_meta(&w, &in->flow->meta, in->quic_version != 0);
	jw_str(&w, "conn_id", conn);
	put_tls(&w, in, st);
	put_fingerprints(&w, in, raw);
	jw_bool(&w, "handshake_validated", flow_validated(in->flow));
	if (in->quic_version) {
		const char *v = quic_version_str(in->quic_version);

		jw_str(&w, "quic_version", v ? v : "?");
	}
	jw_int(&w, "timestamp", (int64_t)in->flow->first_byte_ns);
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
