/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * hello_build: a small writer of ClientHello messages and TLS record
 * streams for the unit tests (test_hello, test_fp_ja4, test_fp_ja3,
 * test_record). It writes what it is told, lengths included, so tests can
 * also write wrong lengths on purpose; it checks nothing about TLS.
 * Header-only, every function static inline so each test file takes what it
 * needs.
 */
#ifndef J4S_TEST_HELLO_BUILD_H
#define J4S_TEST_HELLO_BUILD_H

#include <stdint.h>
#include <string.h>
#include "defaults.h"

/* Room for a maximum hello plus slack for the oversize cases. */
#define HB_CAP (REASM_MAX_BYTES + 4096)

struct hb {
	uint32_t len;
	uint32_t ext_block; /* offset of the extensions block length; 0 = none */
	uint8_t buf[HB_CAP];
};

static inline void hb_u8(struct hb *b, uint8_t v)
{
	b->buf[b->len++] = v;
}

static inline void hb_u16(struct hb *b, uint16_t v)
{
	b->buf[b->len++] = (uint8_t)(v >> 8);
	b->buf[b->len++] = (uint8_t)v;
}

static inline void hb_bytes(struct hb *b, const void *p, uint32_t n)
{
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

static inline void hb_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Handshake header (length filled by hb_finish), version, zero random, a
 * session id of sid_len bytes of 0x55. */
static inline void hb_start(struct hb *b, uint16_t version, uint8_t sid_len)
{
	b->len = 0;
	b->ext_block = 0;
	hb_u8(b, 0x01);
	hb_u8(b, 0);
	hb_u8(b, 0);
	hb_u8(b, 0);
	hb_u16(b, version);
	memset(b->buf + b->len, 0, 32);
	b->len += 32;
	hb_u8(b, sid_len);
	memset(b->buf + b->len, 0x55, sid_len);
	b->len += sid_len;
}

/* Cipher suites with their byte length, then compression methods (null). */
static inline void hb_ciphers(struct hb *b, const uint16_t *c, uint32_t n)
{
	hb_u16(b, (uint16_t)(2 * n));
	for (uint32_t i = 0; i < n; i++)
		hb_u16(b, c[i]);
	hb_u8(b, 1);
	hb_u8(b, 0);
}

/* Open the extensions block; its length is filled by hb_finish. */
static inline void hb_ext_begin(struct hb *b)
{
	b->ext_block = b->len;
	hb_u16(b, 0);
}

static inline void hb_ext(struct hb *b, uint16_t type, const void *data, uint16_t n)
{
	hb_u16(b, type);
	hb_u16(b, n);
	if (n)
		hb_bytes(b, data, n);
}

/* An extension whose data is a list of 2-byte values behind a length prefix
 * of width 1 (supported_versions) or 2 (groups, signature algorithms). */
static inline void hb_ext_u16list(struct hb *b, uint16_t type, int width, const uint16_t *v,
				  uint32_t n)
{
	hb_u16(b, type);
	hb_u16(b, (uint16_t)(width + 2 * n));
	if (width == 1)
		hb_u8(b, (uint8_t)(2 * n));
	else
		hb_u16(b, (uint16_t)(2 * n));
	for (uint32_t i = 0; i < n; i++)
		hb_u16(b, v[i]);
}

/* server_name with one host_name entry. */
static inline void hb_ext_sni(struct hb *b, const void *name, uint16_t len)
{
	hb_u16(b, 0x0000);
	hb_u16(b, (uint16_t)(len + 5));
	hb_u16(b, (uint16_t)(len + 3));
	hb_u8(b, 0);
	hb_u16(b, len);
	hb_bytes(b, name, len);
}

/* ALPN with one protocol name. */
static inline void hb_ext_alpn(struct hb *b, const void *name, uint8_t len)
{
	hb_u16(b, 0x0010);
	hb_u16(b, (uint16_t)(len + 3));
	hb_u16(b, (uint16_t)(len + 1));
	hb_u8(b, len);
	hb_bytes(b, name, len);
}

/* ec_point_formats with n one-byte formats. */
static inline void hb_ext_point_formats(struct hb *b, const uint8_t *f, uint8_t n)
{
	hb_u16(b, 0x000b);
	hb_u16(b, (uint16_t)(n + 1));
	hb_u8(b, n);
	hb_bytes(b, f, n);
}

/* Fill the extensions block length (if opened) and the 24-bit body length;
 * returns the message length. */
static inline uint32_t hb_finish(struct hb *b)
{
	uint32_t body = b->len - 4;

	if (b->ext_block)
		hb_put16(b->buf + b->ext_block, (uint16_t)(b->len - b->ext_block - 2));
	b->buf[1] = (uint8_t)(body >> 16);
	b->buf[2] = (uint8_t)(body >> 8);
	b->buf[3] = (uint8_t)body;
	return b->len;
}

/*
 * Wrap msg into TLS handshake records written to out: the first n_sizes - 1
 * records carry sizes[i] bytes, the last one the rest. Returns the stream
 * length.
 */
static inline uint32_t hb_records(const uint8_t *msg, uint32_t len, const uint32_t *sizes,
				  uint32_t n_sizes, uint8_t *out)
{
	uint32_t o = 0, off = 0;

	for (uint32_t i = 0; i < n_sizes; i++) {
		uint32_t n = i + 1 < n_sizes ? sizes[i] : len - off;

		out[o++] = 0x16;
		out[o++] = 0x03;
		out[o++] = 0x01;
		out[o++] = (uint8_t)(n >> 8);
		out[o++] = (uint8_t)n;
		memcpy(out + o, msg + off, n);
		o += n;
		off += n;
	}
	return o;
}

/*
 * The base hello of the synthetic content cases (testdata/synthetic, e.g.
 * sigalgs-grease without its GREASE): TLS 1.2 legacy version, GREASE + the 15
 * Chrome ciphers, SNI example.com, groups, point formats, signature
 * algorithms, ALPN h2, supported_versions 1.3/1.2. Tests vary it through
 * the hooks below.
 */
static const uint16_t hb_base_ciphers[16] = {
	0x4a4a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
	0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
};
static const uint16_t hb_base_groups[3] = { 0x001d, 0x0017, 0x0018 };
static const uint16_t hb_base_sigalgs[8] = {
	0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
};
static const uint16_t hb_base_versions[2] = { 0x0304, 0x0303 };

static inline void hb_base_start(struct hb *b)
{
	hb_start(b, 0x0303, 32);
	hb_ciphers(b, hb_base_ciphers, 16);
	hb_ext_begin(b);
	hb_ext_sni(b, "example.com", 11);
	hb_ext_u16list(b, 0x000a, 2, hb_base_groups, 3);
	hb_ext_point_formats(b, (const uint8_t *)"\0", 1);
}

static inline void hb_base_sigalgs_ext(struct hb *b)
{
	hb_ext_u16list(b, 0x000d, 2, hb_base_sigalgs, 8);
}

static inline void hb_base_versions_ext(struct hb *b)
{
	hb_ext_u16list(b, 0x002b, 1, hb_base_versions, 2);
}

/* The whole base hello with the given ALPN name; returns its length. */
static inline uint32_t hb_base_alpn(struct hb *b, const void *alpn, uint8_t alpn_len)
{
	hb_base_start(b);
	hb_base_sigalgs_ext(b);
	hb_ext_alpn(b, alpn, alpn_len);
	hb_base_versions_ext(b);
	return hb_finish(b);
}

#endif
