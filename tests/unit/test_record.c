// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unit tests of user/record.c: escaping of packet bytes, tls_version text,
 * and the JSON record of design.md §7 built from a hand-made flow and a
 * parsed hello. Every record is parsed back with json-c and checked to be
 * printable ASCII; field presence and omission rules, raw forms and the
 * 64 KiB bound (raw forms dropped, names cut, both counted) are covered.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <errno.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "fp.h"
#include "hello.h"
#include "hello_build.h"
#include "quic.h"
#include "record.h"
#include "../data/hello_badcurveball.h"

#define SYN_NS 1750000000123456789ULL

struct fx {
	struct fp_hash *h;
	struct hello_info *hi;
	struct hb *b;
	struct fp_ja4 ja4;
	char *ja3; /* FP_JA3_MAX */
	char ja3_hash[33];
	const char *ja4t; /* record_input.ja4t */
	struct flow flow;
	char *buf; /* RECORD_MAX_BYTES + 1 */
	int len;   /* of the last record */
	struct record_stats st;
	struct json_object *obj; /* the last record parsed back */
};

/* TCP options of a Linux SYN: MSS 1460, SACK permitted, timestamps, NOP,
 * window scale 7. */
static const uint8_t syn_opts[20] = { 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x01,
				      0x02, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07 };

static void flow_v4(struct flow *fl)
{
	memset(fl, 0, sizeof(*fl));
	fl->key.family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, "172.130.128.76", fl->key.src), 1);
	assert_int_equal(inet_pton(AF_INET, "54.226.182.138", fl->key.dst), 1);
	fl->key.sport = 55318;
	fl->key.dport = 443;
	fl->has_syn = 1;
	fl->has_synack = 1;
	fl->syn_ns = SYN_NS;
	fl->first_byte_ns = SYN_NS + 12999999; /* 12.99 ms: truncated to 12 */
	fl->meta.ttl = 64;
	fl->meta.ip_total_len = 60;
	fl->meta.ip_id = 0x1234;
	fl->meta.df = 1;
	fl->meta.window = 64240;
	fl->meta.opt_len = sizeof(syn_opts);
	memcpy(fl->meta.opts, syn_opts, sizeof(syn_opts));
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->h = fp_hash_new();
	f->hi = calloc(1, sizeof(*f->hi));
	f->b = calloc(1, sizeof(*f->b));
	f->ja4.ja4_r = malloc(FP_JA4_RAW_MAX);
	f->ja4.ja4_ro = malloc(FP_JA4_RAW_MAX);
	f->ja3 = malloc(FP_JA3_MAX);
	f->buf = malloc(RECORD_MAX_BYTES + 1);
	if (!f->h || !f->hi || !f->b || !f->ja4.ja4_r || !f->ja4.ja4_ro || !f->ja3 || !f->buf)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	json_object_put(f->obj);
	fp_hash_free(f->h);
	free(f->hi);
	free(f->b);
	free(f->ja4.ja4_r);
	free(f->ja4.ja4_ro);
	free(f->ja3);
	free(f->buf);
	free(f);
	return 0;
}

/* The whole string is one JSON object, in printable ASCII. */
static struct json_object *parse_back(const char *s, int len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;

	assert_non_null(tok);
	assert_int_equal((int)strlen(s), len);
	for (int i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			fail_msg("byte %d of the record is 0x%02x", i, (uint8_t)s[i]);
	o = json_tokener_parse_ex(tok, s, len);
	assert_int_equal(json_tokener_get_error(tok), json_tokener_success);
#if JSON_C_VERSION_NUM >= ((0 << 16) | (15 << 8))
	assert_int_equal(json_tokener_get_parse_end(tok), (size_t)len);
#else
	assert_int_equal(tok->char_offset, len); /* json-c < 0.15: no accessor */
#endif
	json_tokener_free(tok);
	assert_non_null(o);
	assert_true(json_object_is_type(o, json_type_object));
	return o;
}

/* Fingerprint f->hi, format the record of f->flow, parse it back. */
static struct json_object *format(struct fx *f, bool raw, const char *sensor)
{
	struct record_input in = {
		.flow = &f->flow,
		.hello = f->hi,
		.ja4 = &f->ja4,
		.ja3 = f->ja3,
		.ja3_hash = f->ja3_hash,
		.sensor_id = sensor,
		.ja4t = f->ja4t,
		.raw = raw,
	};

	assert_int_equal(fp_ja4(f->h, f->hi, 't', &f->ja4), 0);
	assert_true(fp_ja3(f->h, f->hi, f->ja3, f->ja3_hash) > 0);
	f->len = record_format(&in, f->buf, RECORD_MAX_BYTES + 1, &f->st);
	assert_true(f->len > 0);
	assert_true(f->len <= RECORD_MAX_BYTES);
	json_object_put(f->obj);
	f->obj = parse_back(f->buf, f->len);
	return f->obj;
}

static void parse_hello(struct fx *f, const uint8_t *msg, uint32_t len)
{
	assert_int_equal(hello_parse(msg, len, f->hi), HELLO_OK);
}

static struct json_object *field(struct json_object *o, const char *key, enum json_type type)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("field %s missing", key);
	if (!json_object_is_type(v, type))
		fail_msg("field %s is a %s", key, json_type_to_name(json_object_get_type(v)));
	return v;
}

static const char *str_of(struct json_object *o, const char *key)
{
	return json_object_get_string(field(o, key, json_type_string));
}

static int64_t int_of(struct json_object *o, const char *key)
{
	return json_object_get_int64(field(o, key, json_type_int));
}

static bool has(struct json_object *o, const char *key)
{
	return json_object_object_get_ex(o, key, NULL);
}

/* ---- record_escape_bytes ---- */

static void test_record_escape_bytes_printable(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(record_escape_bytes((const uint8_t *)"bad.curveballtest.com", 21, out),
			 21);
	assert_string_equal(out, "bad.curveballtest.com");
	/* Quotes and slashes are printable: kept (JSON escapes the quote). */
	assert_int_equal(record_escape_bytes((const uint8_t *)"a\"b/c~!", 7, out), 7);
	assert_string_equal(out, "a\"b/c~!");
	assert_int_equal(record_escape_bytes((const uint8_t *)"", 0, out), 0);
	assert_string_equal(out, "");
}

static void test_record_escape_bytes_escaped(void **state)
{
	static const uint8_t in[] = { 'a', '\\', 'b', ' ', 0x00, 0x1f, 0x7f, 0x80, 0xff, 'z' };
	char out[4 * sizeof(in) + 1];

	(void)state;
	assert_int_equal(record_escape_bytes(in, sizeof(in), out), 3 + 7 * 4);
	assert_string_equal(out, "a\\x5cb\\x20\\x00\\x1f\\x7f\\x80\\xffz");
}

static void test_record_escape_bytes_all_values(void **state)
{
	uint8_t in[256];
	char out[4 * 256 + 1];
	size_t n;

	(void)state;
	for (int i = 0; i < 256; i++)
		in[i] = (uint8_t)i;
	n = record_escape_bytes(in, 256, out);
	/* 0x21..0x7e but '\' kept (93), the other 163 as \xHH. */
	assert_int_equal(n, 93 + 163 * 4);
	assert_int_equal(strlen(out), n);
	for (size_t i = 0; i < n; i++)
		assert_true(out[i] > 0x20 && out[i] < 0x7f);
	assert_memory_equal(out, "\\x00\\x01", 8);
	assert_string_equal(out + n - 8, "\\xfe\\xff");
	/* The bound of the header: 4 bytes per input byte. */
	memset(in, 0x5c, sizeof(in));
	assert_int_equal(record_escape_bytes(in, 256, out), 4 * 256);
}

/* ---- record_tls_version ---- */

static void test_record_tls_version_names(void **state)
{
	char tmp[8];

	(void)state;
	assert_string_equal(record_tls_version(0x0304, tmp), "1.3");
	assert_string_equal(record_tls_version(0x0303, tmp), "1.2");
	assert_string_equal(record_tls_version(0x0302, tmp), "1.1");
	assert_string_equal(record_tls_version(0x0301, tmp), "1.0");
	assert_string_equal(record_tls_version(0x0300, tmp), "ssl3");
	assert_string_equal(record_tls_version(0x7f1c, tmp), "0x7f1c");
	assert_string_equal(record_tls_version(0x0000, tmp), "0x0000");
	assert_string_equal(record_tls_version(0xfefd, tmp), "0xfefd");
}

/* ---- record_format ---- */

static void test_record_format_ipv4(void **state)
{
	struct fx *f = *state;
	struct json_object *o;

	flow_v4(&f->flow);
	parse_hello(f, hello_badcurveball, sizeof(hello_badcurveball));
	o = format(f, false, "sensor-1");
	/* The Go daemon's order: addresses first, timestamp last. */
	assert_memory_equal(f->buf, "{\"src_ip\":\"172.130.128.76\",", 27);
	assert_string_equal(str_of(o, "src_ip"), "172.130.128.76");
	assert_int_equal(int_of(o, "src_port"), 55318);
	assert_string_equal(str_of(o, "dst_ip"), "54.226.182.138");
	assert_int_equal(int_of(o, "dst_port"), 443);
	assert_int_equal(int_of(o, "ip_meta_ttl"), 64);
	assert_int_equal(int_of(o, "ip_meta_total_length"), 60);
	assert_int_equal(int_of(o, "ip_meta_id"), 0x1234);
	assert_true(json_object_get_boolean(field(o, "ip_meta_df", json_type_boolean)));
	assert_int_equal(int_of(o, "tcp_meta_window_size"), 64240);
	assert_int_equal(int_of(o, "tcp_meta_mss"), 1460);
	assert_int_equal(int_of(o, "tcp_meta_window_scale"), 7);
	assert_string_equal(str_of(o, "tcp_meta_options"), "MSS,SACK,Timestamps,NOP,WScale");
	assert_string_equal(str_of(o, "conn_id"), "172.130.128.76:55318-54.226.182.138:443");
	assert_string_equal(str_of(o, "sensor_id"), "sensor-1");
	assert_string_equal(str_of(o, "tls_version"), "1.3");
	assert_string_equal(str_of(o, "tls_sni"), "bad.curveballtest.com");
	assert_string_equal(str_of(o, "tls_alpn"), "h2");
	assert_int_equal(int_of(o, "syn_to_clienthello_ms"), 12);
	assert_string_equal(str_of(o, "ja4"), "t13d1615h2_46e7e9700bed_45f260be83e2");
	assert_string_equal(str_of(o, "ja4_hash"), "46e7e9700bed_45f260be83e2");
	assert_string_equal(
		str_of(o, "ja3"),
		"771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-"
		"157-47-53-10,0-23-65281-10-11-35-16-5-13-18-51-45-43-27-21,29-23-24,0");
	assert_string_equal(str_of(o, "ja3_hash"), "66918128f1b9b03303d77c6f2eefd128");
	assert_true(json_object_get_boolean(field(o, "handshake_validated", json_type_boolean)));
	assert_int_equal(int_of(o, "timestamp"), (int64_t)(SYN_NS + 12999999));
	assert_string_equal(f->buf + f->len - 59,
			    "\"handshake_validated\":true,\"timestamp\":1750000000136456788}");
	/* Raw forms and ja4t only on request. */
	assert_false(has(o, "ja4_r"));
	assert_false(has(o, "ja4_o"));
	assert_false(has(o, "ja4_ro"));
	assert_false(has(o, "ja4t"));
	assert_int_equal(json_object_object_length(o), 24);
	assert_int_equal(f->st.records, 1);
	assert_int_equal(f->st.raw_dropped + f->st.names_cut + f->st.errors, 0);
}

/* fingerprints.ja4t on: the pipeline hands the SYN's JA4T over; a
 * tunnelled flow names its encapsulations. Neither changes another field. */
static void test_record_format_ja4t_and_tunnel(void **state)
{
	struct fx *f = *state;
	struct json_object *o;

	flow_v4(&f->flow);
	parse_hello(f, hello_badcurveball, sizeof(hello_badcurveball));
	f->ja4t = "64240_2-4-8-1-3_1460_7";
	f->flow.meta.tunnel[0] = PKT_TUN_ERSPAN;
	f->flow.meta.tunnel[1] = PKT_TUN_VXLAN;
	o = format(f, false, "");
	assert_string_equal(str_of(o, "ja4t"), "64240_2-4-8-1-3_1460_7");
	assert_string_equal(str_of(o, "tunnel"), "erspan,vxlan");
	assert_string_equal(str_of(o, "ja4"), "t13d1615h2_46e7e9700bed_45f260be83e2");
	assert_string_equal(str_of(o, "src_ip"), "172.130.128.76");
	assert_int_equal(json_object_object_length(o), 24 + 2);
}

static void test_record_format_omissions(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;
	static const uint16_t c[3] = { 0x0035, 0x002f, 0x000a };
	static const uint8_t nop_only[4] = { 0x01, 0x01, 0x04, 0x02 };
	struct json_object *o;

	/* No SYN, no MSS or window scale, no SNI, no ALPN, no sensor. */
	flow_v4(&f->flow);
	f->flow.has_syn = 0;
	f->flow.syn_ns = 0;
	f->flow.meta.opt_len = sizeof(nop_only);
	memcpy(f->flow.meta.opts, nop_only, sizeof(nop_only));
	hb_start(b, 0x0301, 0);
	hb_ciphers(b, c, 3);
	parse_hello(f, b->buf, hb_finish(b));
	o = format(f, false, NULL);
	assert_false(has(o, "syn_to_clienthello_ms"));
	assert_false(has(o, "tcp_meta_mss"));
	assert_false(has(o, "tcp_meta_window_scale"));
	assert_false(has(o, "tls_sni"));
	assert_false(has(o, "tls_alpn"));
	assert_string_equal(str_of(o, "tcp_meta_options"), "NOP,NOP,SACK");
	assert_string_equal(str_of(o, "sensor_id"), "");
	assert_string_equal(str_of(o, "tls_version"), "1.0");
	assert_string_equal(str_of(o, "ja3"), "769,53-47-10,,,");
	assert_int_equal(json_object_object_length(o), 24 - 5);

	assert_false(has(o, "hello_conflict"));
	/* Copies of hello bytes differed: said, and only then. */
	f->flow.conflict = 1;
	o = format(f, false, NULL);
	assert_true(json_object_get_boolean(field(o, "hello_conflict", json_type_boolean)));
	assert_int_equal(json_object_object_length(o), 24 - 5 + 1);
	f->flow.conflict = 0;

	/* A wrong ACK in a hello segment: the flag says so. */
	f->flow.ack_bad = 1;
	o = format(f, false, NULL);
	assert_false(json_object_get_boolean(field(o, "handshake_validated", json_type_boolean)));
	f->flow.ack_bad = 0;
	f->flow.has_synack = 0;
	o = format(f, false, NULL);
	assert_false(json_object_get_boolean(field(o, "handshake_validated", json_type_boolean)));

	/* A SYN time after the first byte (clock step): no negative delay. */
	f->flow.has_syn = 1;
	f->flow.syn_ns = f->flow.first_byte_ns + 1;
	o = format(f, false, "");
	assert_false(has(o, "syn_to_clienthello_ms"));
	/* Exactly at the SYN: 0 ms is a value, not an absence. */
	f->flow.syn_ns = f->flow.first_byte_ns;
	o = format(f, false, "");
	assert_int_equal(int_of(o, "syn_to_clienthello_ms"), 0);
	/* No TCP options at all. */
	f->flow.meta.opt_len = 0;
	o = format(f, false, "");
	assert_string_equal(str_of(o, "tcp_meta_options"), "");
	assert_false(has(o, "tcp_meta_mss"));
}

/* A QUIC record: IP meta, no tcp_meta_* or syn_to_clienthello_ms, a
 * quic_version, JA4 with 'q' (design.md §7). */
static void test_record_format_quic(void **state)
{
	struct fx *f = *state;
	struct record_input in = {
		.flow = &f->flow,
		.hello = f->hi,
		.ja4 = &f->ja4,
		.ja3 = f->ja3,
		.ja3_hash = f->ja3_hash,
		.quic_version = QUIC_V2,
	};
	struct json_object *o;

	flow_v4(&f->flow);
	f->flow.has_syn = 0;
	f->flow.has_synack = 0;
	parse_hello(f, hello_badcurveball, sizeof(hello_badcurveball));
	assert_int_equal(fp_ja4(f->h, f->hi, 'q', &f->ja4), 0);
	assert_true(fp_ja3(f->h, f->hi, f->ja3, f->ja3_hash) > 0);
	f->len = record_format(&in, f->buf, RECORD_MAX_BYTES + 1, &f->st);
	assert_true(f->len > 0);
	o = parse_back(f->buf, f->len);
	assert_string_equal(str_of(o, "quic_version"), "2");
	assert_int_equal(str_of(o, "ja4")[0], 'q');
	assert_true(has(o, "ip_meta_ttl"));
	assert_true(has(o, "ip_meta_df"));
	assert_false(has(o, "tcp_meta_window_size"));
	assert_false(has(o, "tcp_meta_options"));
	assert_false(has(o, "tcp_meta_mss"));
	assert_false(has(o, "syn_to_clienthello_ms"));
	assert_false(json_object_get_boolean(field(o, "handshake_validated", json_type_boolean)));
	json_object_put(o);
	in.quic_version = QUIC_DRAFT29;
	f->len = record_format(&in, f->buf, RECORD_MAX_BYTES + 1, &f->st);
	o = parse_back(f->buf, f->len);
	assert_string_equal(str_of(o, "quic_version"), "draft-29");
	json_object_put(o);
}

static void test_record_format_ipv6(void **state)
{
	struct fx *f = *state;
	struct json_object *o;

	flow_v4(&f->flow);
	f->flow.key.family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:0:0:0:0:0:10", f->flow.key.src), 1);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::443", f->flow.key.dst), 1);
	f->flow.key.sport = 40000;
	/* What packet_parse gives for IPv6: no ID, no DF, 40 + payload. */
	f->flow.meta.ip_id = 0;
	f->flow.meta.df = 0;
	f->flow.meta.ip_total_len = 80;
	f->flow.meta.ttl = 255;
	parse_hello(f, hello_badcurveball, sizeof(hello_badcurveball));
	o = format(f, false, "s");
	assert_string_equal(str_of(o, "src_ip"), "2001:db8::10"); /* RFC 5952 */
	assert_string_equal(str_of(o, "dst_ip"), "2001:db8::443");
	assert_string_equal(str_of(o, "conn_id"), "[2001:db8::10]:40000-[2001:db8::443]:443");
	assert_false(json_object_get_boolean(field(o, "ip_meta_df", json_type_boolean)));
	assert_int_equal(int_of(o, "ip_meta_id"), 0);
	assert_int_equal(int_of(o, "ip_meta_total_length"), 80);
	assert_int_equal(int_of(o, "ip_meta_ttl"), 255);
	/* IPv4-mapped text stays in brackets too. */
	assert_int_equal(inet_pton(AF_INET6, "::ffff:192.0.2.1", f->flow.key.src), 1);
	o = format(f, false, "s");
	assert_string_equal(str_of(o, "conn_id"), "[::ffff:192.0.2.1]:40000-[2001:db8::443]:443");
}

static void test_record_format_sni_arbitrary_bytes(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;
	uint8_t name[256];
	char want[4 * 256 + 1];
	struct json_object *o;

	for (int i = 0; i < 256; i++)
		name[i] = (uint8_t)(255 - i);
	flow_v4(&f->flow);
	hb_start(b, 0x0303, 0);
	hb_ciphers(b, hb_base_ciphers, 16);
	hb_ext_begin(b);
	hb_ext_sni(b, name, sizeof(name));
	hb_ext_alpn(b, "\"\\\x00\n\xe9", 5);
	parse_hello(f, b->buf, hb_finish(b));
	o = format(f, false, "quote\" back\\slash");
	record_escape_bytes(name, sizeof(name), want);
	assert_string_equal(str_of(o, "tls_sni"), want);
	assert_string_equal(str_of(o, "tls_alpn"), "\"\\x5c\\x00\\x0a\\xe9");
	assert_string_equal(str_of(o, "sensor_id"), "quote\" back\\slash");
	assert_memory_equal(str_of(o, "ja4"), "t12d1502", 8);
	assert_int_equal(f->st.names_cut, 0);
}

static void test_record_format_empty_names(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;
	struct json_object *o;

	/* An empty host_name and an empty first ALPN name: present, "". */
	flow_v4(&f->flow);
	hb_start(b, 0x0303, 0);
	hb_ciphers(b, hb_base_ciphers, 16);
	hb_ext_begin(b);
	hb_ext_sni(b, "", 0);
	hb_ext(b, 0x0010, "\x00\x04\x00\x02h2", 6);
	parse_hello(f, b->buf, hb_finish(b));
	o = format(f, false, "");
	assert_string_equal(str_of(o, "tls_sni"), "");
	assert_string_equal(str_of(o, "tls_alpn"), "");
	/* An SNI extension with an empty body: no name to report. */
	hb_start(b, 0x0303, 0);
	hb_ciphers(b, hb_base_ciphers, 16);
	hb_ext_begin(b);
	hb_ext(b, 0x0000, NULL, 0);
	parse_hello(f, b->buf, hb_finish(b));
	o = format(f, false, "");
	assert_false(has(o, "tls_sni"));
	assert_memory_equal(str_of(o, "ja4"), "t12d1501", 8);
}

static void test_record_format_raw(void **state)
{
	struct fx *f = *state;
	struct json_object *o;

	flow_v4(&f->flow);
	parse_hello(f, hello_badcurveball, sizeof(hello_badcurveball));
	o = format(f, true, "");
	assert_string_equal(str_of(o, "ja4_o"), "t13d1615h2_45f31bb0a5cc_b0e5d31d5128");
	assert_string_equal(str_of(o, "ja4_r"), f->ja4.ja4_r);
	assert_string_equal(str_of(o, "ja4_ro"), f->ja4.ja4_ro);
	assert_memory_equal(str_of(o, "ja4_r"), "t13d1615h2_000a,002f,", 21);
	assert_memory_equal(str_of(o, "ja4_ro"), "t13d1615h2_1301,1302,", 21);
	assert_int_equal(json_object_object_length(o), 24 + 3);
	assert_int_equal(f->st.raw_dropped, 0);
}

/* A hello of n ciphers with five-digit decimal values (longest JA3). */
static void big_hello(struct fx *f, uint32_t n, const uint8_t *sni, uint16_t sni_len)
{
	uint16_t *c = malloc(n * sizeof(*c));
	struct hb *b = f->b;

	assert_non_null(c);
	for (uint32_t i = 0; i < n; i++)
		c[i] = (uint16_t)(0xc000 + i);
	hb_start(b, 0x0303, 0);
	hb_ciphers(b, c, n);
	free(c);
	if (sni) {
		hb_ext_begin(b);
		hb_ext_sni(b, sni, sni_len);
	}
	parse_hello(f, b->buf, hb_finish(b));
}

static void test_record_format_pathological_raw(void **state)
{
	struct fx *f = *state;
	struct json_object *o;

	flow_v4(&f->flow);
	big_hello(f, 8000, NULL, 0);
	assert_true(f->hi->n_ciphers > 7990);
	/* Without raw forms the record fits as it is. */
	o = format(f, false, "");
	assert_int_equal(f->st.raw_dropped, 0);
	assert_string_equal(str_of(o, "ja3"), f->ja3);
	/* With them it would be ~130 KB: they go, the rest stays whole. */
	o = format(f, true, "");
	assert_true(f->len <= RECORD_MAX_BYTES);
	assert_int_equal(f->st.raw_dropped, 1);
	assert_false(has(o, "ja4_r"));
	assert_false(has(o, "ja4_ro"));
	assert_string_equal(str_of(o, "ja4_o"), f->ja4.ja4_o); /* fixed size: kept */
	assert_string_equal(str_of(o, "ja4"), f->ja4.ja4);
	assert_memory_equal(f->ja4.ja4, "t12i990000_", 11);
	assert_string_equal(str_of(o, "ja3"), f->ja3);
	assert_true(strlen(f->ja3) > 40000);
	assert_int_equal(f->st.records, 2);
	assert_int_equal(f->st.errors, 0);
}

static void test_record_format_raw_kept_when_it_fits(void **state)
{
	struct fx *f = *state;
	struct json_object *o;

	/* 2000 ciphers: raw forms of ~10 KB each still fit. */
	flow_v4(&f->flow);
	big_hello(f, 2000, NULL, 0);
	o = format(f, true, "");
	assert_int_equal(f->st.raw_dropped, 0);
	assert_string_equal(str_of(o, "ja4_r"), f->ja4.ja4_r);
	assert_true(strlen(f->ja4.ja4_r) > 10000);
}

static void test_record_format_long_sni_cut(void **state)
{
	struct fx *f = *state;
	uint8_t *name = malloc(5000);
	struct json_object *o;
	const char *s;

	assert_non_null(name);
	flow_v4(&f->flow);
	memset(name, 'a', 5000);
	name[RECORD_MAX_NAME - 1] = 'z';
	name[RECORD_MAX_NAME] = 'y';
	big_hello(f, 1, name, 5000);
	o = format(f, false, "");
	s = str_of(o, "tls_sni");
	assert_int_equal(strlen(s), RECORD_MAX_NAME);
	assert_int_equal(s[RECORD_MAX_NAME - 1], 'z'); /* cut after byte 1024 */
	assert_int_equal(f->st.names_cut, 1);
	/* A name of exactly RECORD_MAX_NAME bytes is not cut. */
	big_hello(f, 1, name, RECORD_MAX_NAME);
	o = format(f, false, "");
	assert_int_equal(strlen(str_of(o, "tls_sni")), RECORD_MAX_NAME);
	assert_int_equal(f->st.names_cut, 1);
	/* Cut before escaping: 1024 input bytes, 4 characters each. */
	memset(name, 0xff, 5000);
	big_hello(f, 1, name, 5000);
	o = format(f, false, "");
	assert_int_equal(strlen(str_of(o, "tls_sni")), 4 * RECORD_MAX_NAME);
	assert_int_equal(f->st.names_cut, 2);
	free(name);
}

static void test_record_format_worst_case_fits(void **state)
{
	struct fx *f = *state;
	struct hb *b = f->b;
	uint16_t *c = malloc(7500 * sizeof(*c));
	uint8_t name[RECORD_MAX_NAME + 1], alpn[255];
	struct json_object *o;

	/* The largest record a hello can give: backslashes (5 JSON characters
	 * each once escaped twice) as SNI and ALPN, five-digit ciphers in the
	 * rest of the 16 KiB, raw forms asked for. */
	assert_non_null(c);
	memset(name, '\\', sizeof(name));
	memset(alpn, '\\', sizeof(alpn));
	for (int i = 0; i < 7500; i++)
		c[i] = (uint16_t)(0xc000 + i);
	flow_v4(&f->flow);
	hb_start(b, 0x0303, 32);
	hb_ciphers(b, c, 7500);
	free(c);
	hb_ext_begin(b);
	hb_ext_sni(b, name, sizeof(name));
	hb_ext_alpn(b, alpn, sizeof(alpn));
	assert_true(hb_finish(b) <= 4 + HELLO_MAX_BODY);
	parse_hello(f, b->buf, b->len);
	o = format(f, true, "");
	assert_true(f->len <= RECORD_MAX_BYTES);
	assert_int_equal(strlen(str_of(o, "tls_sni")), 4 * RECORD_MAX_NAME);
	assert_int_equal(strlen(str_of(o, "tls_alpn")), 4 * 255);
	assert_int_equal(f->st.raw_dropped, 1);
	assert_int_equal(f->st.names_cut, 1);
}

static void test_record_format_buffer_too_small(void **state)
{
	struct fx *f = *state;
	struct record_input in = {
		.flow = &f->flow,
		.hello = f->hi,
		.ja4 = &f->ja4,
		.ja3 = f->ja3,
		.ja3_hash = f->ja3_hash,
		.sensor_id = "",
		.raw = false,
	};
	char small[64];
	int len;

	flow_v4(&f->flow);
	parse_hello(f, hello_badcurveball, sizeof(hello_badcurveball));
	assert_int_equal(fp_ja4(f->h, f->hi, 't', &f->ja4), 0);
	assert_true(fp_ja3(f->h, f->hi, f->ja3, f->ja3_hash) > 0);
	assert_int_equal(record_format(&in, small, sizeof(small), &f->st), -EMSGSIZE);
	assert_int_equal(f->st.errors, 1);
	assert_int_equal(f->st.records, 0);
	/* Exactly the length plus its NUL is enough. */
	len = record_format(&in, f->buf, RECORD_MAX_BYTES + 1, &f->st);
	assert_true(len > 0);
	assert_int_equal(record_format(&in, f->buf, (size_t)len + 1, &f->st), len);
	assert_int_equal(record_format(&in, f->buf, (size_t)len, &f->st), -EMSGSIZE);
	assert_int_equal(f->st.records, 2);
	assert_int_equal(f->st.errors, 2);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_record_escape_bytes_printable),
		T(test_record_escape_bytes_escaped),
		T(test_record_escape_bytes_all_values),
		T(test_record_tls_version_names),
		T(test_record_format_ipv4),
		T(test_record_format_omissions),
		T(test_record_format_quic),
		T(test_record_format_ja4t_and_tunnel),
		T(test_record_format_ipv6),
		T(test_record_format_sni_arbitrary_bytes),
		T(test_record_format_empty_names),
		T(test_record_format_raw),
		T(test_record_format_pathological_raw),
		T(test_record_format_raw_kept_when_it_fits),
		T(test_record_format_long_sni_cut),
		T(test_record_format_worst_case_fits),
		T(test_record_format_buffer_too_small),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
