// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The JSON record of one ClientHello (design.md §7), built with json-c in
 * the field order of the Go daemon. Owns the escaping of packet bytes and
 * the 64 KiB bound; knows nothing of where the record goes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <json-c/json.h>
#include "record.h"

static const char hexd[] = "0123456789abcdef";

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
			*o++ = hexd[c >> 4];
			*o++ = hexd[c & 15];
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

static void add(struct json_object *o, const char *key, struct json_object *val)
{
	/* Keys are literals: json-c need not copy them. */
	json_object_object_add_ex(o, key, val,
				  JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_KEY_IS_CONSTANT);
}

static void add_str(struct json_object *o, const char *key, const char *s)
{
	add(o, key, json_object_new_string(s));
}

static void add_int(struct json_object *o, const char *key, int64_t v)
{
	add(o, key, json_object_new_int64(v));
}

/* Packet bytes as an escaped string, cut at RECORD_MAX_NAME input bytes. */
static void add_name(struct json_object *o, const char *key, const uint8_t *p, size_t len,
		     struct record_stats *st)
{
	char buf[4 * RECORD_MAX_NAME + 1];

	if (len > RECORD_MAX_NAME) {
		len = RECORD_MAX_NAME;
		st->names_cut++;
	}
	add(o, key, json_object_new_string_len(buf, (int)record_escape_bytes(p, len, buf)));
}

static void add_addresses(struct json_object *o, const struct flow_key *k, char conn[160])
{
	char src[64], dst[64];
	bool v6 = k->family == AF_INET6;

	packet_addr_str(k->family, k->src, src, sizeof(src));
	packet_addr_str(k->family, k->dst, dst, sizeof(dst));
	add_str(o, "src_ip", src);
	add_int(o, "src_port", k->sport);
	add_str(o, "dst_ip", dst);
	add_int(o, "dst_port", k->dport);
	snprintf(conn, 160, v6 ? "[%s]:%u-[%s]:%u" : "%s:%u-%s:%u", src, k->sport, dst, k->dport);
}

static void add_meta(struct json_object *o, const struct flow_meta *m)
{
	struct tcp_meta tm;

	packet_tcp_meta(m->opts, m->opt_len, &tm);
	add_int(o, "ip_meta_ttl", m->ttl);
	add_int(o, "ip_meta_total_length", m->ip_total_len);
	add_int(o, "ip_meta_id", m->ip_id);
	add(o, "ip_meta_df", json_object_new_boolean(m->df));
	add_int(o, "tcp_meta_window_size", m->window);
	if (tm.mss >= 0)
		add_int(o, "tcp_meta_mss", tm.mss);
	if (tm.wscale >= 0)
		add_int(o, "tcp_meta_window_scale", tm.wscale);
	add_str(o, "tcp_meta_options", tm.options);
}

static void add_tls(struct json_object *o, const struct record_input *in, struct record_stats *st)
{
	const struct hello_info *hi = in->hello;
	char tmp[8];

	add_str(o, "sensor_id", in->sensor_id ? in->sensor_id : "");
	add_str(o, "tls_version",
		record_tls_version(hi->max_version ? hi->max_version : hi->legacy_version, tmp));
	if (hi->sni)
		add_name(o, "tls_sni", hi->sni, hi->sni_len, st);
	if (hi->has_alpn)
		add_name(o, "tls_alpn", hi->alpn, hi->alpn_len, st);
}

static void add_fingerprints(struct json_object *o, const struct record_input *in)
{
	const struct flow *f = in->flow;

	if (f->has_syn && f->first_byte_ns >= f->syn_ns)
		add_int(o, "syn_to_clienthello_ms", (int64_t)((f->first_byte_ns - f->syn_ns) / 1000000));
	add_str(o, "ja4", in->ja4->ja4);
	add_str(o, "ja4_hash", in->ja4->ja4 + 11);
	add_str(o, "ja3", in->ja3);
	add_str(o, "ja3_hash", in->ja3_hash);
	if (in->raw) {
		add_str(o, "ja4_r", in->ja4->ja4_r);
		add_str(o, "ja4_o", in->ja4->ja4_o);
		add_str(o, "ja4_ro", in->ja4->ja4_ro);
	}
}

static struct json_object *build(const struct record_input *in, struct record_stats *st)
{
	struct json_object *o = json_object_new_object();
	char conn[160];

	if (!o)
		return NULL;
	/* The Go daemon's field order. */
	add_addresses(o, &in->flow->key, conn);
	add_meta(o, &in->flow->meta);
	add_str(o, "conn_id", conn);
	add_tls(o, in, st);
	add_fingerprints(o, in);
	add_int(o, "timestamp", (int64_t)in->flow->first_byte_ns);
	return o;
}

int record_format(const struct record_input *in, char *buf, size_t size, struct record_stats *st)
{
	const int flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;
	struct json_object *o = build(in, st);
	const char *s;
	size_t len;

	if (!o) {
		st->errors++;
		return -ENOMEM;
	}
	s = json_object_to_json_string_length(o, flags, &len);
	if (s && len > RECORD_MAX_BYTES && in->raw) {
		/* A pathological hello: its raw lists go, the fingerprints stay. */
		json_object_object_del(o, "ja4_r");
		json_object_object_del(o, "ja4_ro");
		st->raw_dropped++;
		s = json_object_to_json_string_length(o, flags, &len);
	}
	if (!s || len > RECORD_MAX_BYTES || len + 1 > size) {
		json_object_put(o);
		st->errors++;
		return -EMSGSIZE;
	}
	memcpy(buf, s, len + 1);
	json_object_put(o);
	st->records++;
	return (int)len;
}
