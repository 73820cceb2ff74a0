// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pcapng.c: files libpcap stops reading. Each test writes a file into
 * memory block by block (in either byte order) and reads it back.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "pcapng.h"

struct w {
	uint8_t b[8192];
	size_t n;
	bool be; /* the current section's byte order */
};

static void put(struct w *w, const void *p, size_t n)
{
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void u16(struct w *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	if (w->be)
		b[0] = (uint8_t)(v >> 8), b[1] = (uint8_t)v;
	put(w, b, 2);
}

static void u32(struct w *w, uint32_t v)
{
	uint8_t b[4];

	for (int i = 0; i < 4; i++)
		b[w->be ? 3 - i : i] = (uint8_t)(v >> (8 * i));
	put(w, b, 4);
}

static void u64(struct w *w, uint64_t v)
{
	/* as written by pcapng writers: one 64-bit value in the section's order */
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[w->be ? 7 - i : i] = (uint8_t)(v >> (8 * i));
	put(w, b, 8);
}

/* A block: type, length, body (padded to 4), length. */
static void block(struct w *w, uint32_t type, const struct w *body)
{
	uint32_t pad = (uint32_t)((4 - body->n % 4) % 4), len = (uint32_t)body->n + pad + 12;
	static const uint8_t zero[4];

	u32(w, type);
	u32(w, len);
	put(w, body->b, body->n);
	put(w, zero, pad);
	u32(w, len);
}

static void shb(struct w *w, bool be)
{
	struct w b = { .be = be };

	w->be = be;
	u32(&b, 0x1A2B3C4D);
	u16(&b, 1);
	u16(&b, 0);
	u64(&b, (uint64_t)-1);
	block(w, 0x0A0D0D0A, &b);
}

/* An IDB; tsresol 0 = default (10^-6), tsoffset in seconds. */
static void idb(struct w *w, uint16_t link, uint32_t snaplen, uint8_t tsresol, int64_t tsoffset)
{
	struct w b = { .be = w->be };
	static const uint8_t pad[3];

	u16(&b, link);
	u16(&b, 0);
	u32(&b, snaplen);
	if (tsresol) {
		u16(&b, 9);
		u16(&b, 1);
		put(&b, &tsresol, 1);
		put(&b, pad, 3);
	}
	if (tsoffset) {
		u16(&b, 14);
		u16(&b, 8);
		u64(&b, (uint64_t)tsoffset);
	}
	u16(&b, 2); /* if_name, to be skipped */
	u16(&b, 3);
	put(&b, "et0\0", 4);
	u16(&b, 0);
	u16(&b, 0);
	block(w, 1, &b);
}

static void epb(struct w *w, uint32_t ifid, uint64_t ts, const void *data, uint32_t caplen,
		uint32_t origlen)
{
	struct w b = { .be = w->be };
	static const uint8_t pad[3];

	u32(&b, ifid);
	u32(&b, (uint32_t)(ts >> 32));
	u32(&b, (uint32_t)ts);
	u32(&b, caplen);
	u32(&b, origlen);
	put(&b, data, caplen);
	put(&b, pad, (4 - caplen % 4) % 4);
	block(w, 6, &b);
}

static void spb(struct w *w, const void *data, uint32_t len)
{
	struct w b = { .be = w->be };

	u32(&b, len);
	put(&b, data, len);
	block(w, 3, &b);
}

static void other(struct w *w, uint32_t type)
{
	struct w b = { .be = w->be };

	u32(&b, 0xdeadbeef);
	block(w, type, &b);
}

/* Read the file in w: every packet into got (at most 8); returns the last
 * pcapng_next() result. */
static int read_all(const struct w *w, struct pcapng_packet *got, int *n, uint8_t data[][64],
		    char *err, size_t errlen)
{
	FILE *f = fmemopen((void *)w->b, w->n, "rb");
	struct pcapng *r;
	int rc;

	assert_non_null(f);
	r = pcapng_open(f);
	assert_non_null(r);
	*n = 0;
	while ((rc = pcapng_next(r, &got[*n], err, errlen)) == 1) {
		assert_true(*n < 8);
		memcpy(data[*n], got[*n].data, got[*n].caplen < 64 ? got[*n].caplen : 64);
		(*n)++;
	}
	pcapng_close(r);
	fclose(f);
	return rc;
}

/* Two sections, little- then big-endian, interfaces of four link types,
 * each resolution and offset, EPB, SPB, blocks to skip. */
static void test_pcapng_mixed(void **state)
{
	static struct w w;
	struct pcapng_packet got[8];
	uint8_t data[8][64];
	char err[256];
	int n;

	(void)state;
	memset(&w, 0, sizeof(w));
	shb(&w, false);
	idb(&w, 1, 0, 0, 0);       /* Ethernet, microseconds */
	idb(&w, 113, 65535, 9, 0); /* SLL, nanoseconds */
	other(&w, 5);              /* interface statistics */
	other(&w, 0x40000bad);     /* custom */
	epb(&w, 0, 1700000000123456ULL, "ethernet", 8, 60);
	epb(&w, 1, 1700000000123456789ULL, "sll", 3, 3);
	shb(&w, true);             /* interface IDs start over */
	idb(&w, 101, 4, 0x94, 10); /* raw IP, 2^-20 s, +10 s; snap 4 */
	spb(&w, "rawpacket", 9);   /* cut at the snap length */
	epb(&w, 0, 3ULL << 20 | 1ULL << 19, "raw", 3, 3);
	assert_int_equal(read_all(&w, got, &n, data, err, sizeof(err)), 0);
	assert_int_equal(n, 4);
	assert_int_equal(got[0].linktype, 1);
	assert_int_equal(got[0].caplen, 8);
	assert_int_equal(got[0].origlen, 60);
	assert_memory_equal(data[0], "ethernet", 8);
	assert_true(got[0].ts_ns == 1700000000123456000ULL);
	assert_int_equal(got[1].linktype, 113);
	assert_true(got[1].ts_ns == 1700000000123456789ULL);
	assert_memory_equal(data[1], "sll", 3);
	assert_int_equal(got[2].linktype, 101);
	assert_int_equal(got[2].caplen, 4);
	assert_int_equal(got[2].origlen, 9);
	assert_memory_equal(data[2], "rawp", 4);
	assert_int_equal(got[3].linktype, 101);
	assert_true(got[3].ts_ns == 13500000000ULL); /* 3.5 s + 10 s */
}

/* Broken files: the packets before the fault are read, then -1 with a
 * reason; nothing is read past a block's end. */
static void test_pcapng_errors(void **state)
{
	static struct w w;
	struct pcapng_packet got[8];
	uint8_t data[8][64];
	char err[256];
	int n;

	(void)state;
	/* not pcapng at all */
	memset(&w, 0, sizeof(w));
	u32(&w, 0xa1b2c3d4);
	u32(&w, 0);
	assert_int_equal(read_all(&w, got, &n, data, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a pcapng"));

	/* a packet of an interface not described */
	memset(&w, 0, sizeof(w));
	shb(&w, false);
	idb(&w, 1, 0, 0, 0);
	epb(&w, 0, 1, "a", 1, 1);
	epb(&w, 1, 1, "b", 1, 1);
	assert_int_equal(read_all(&w, got, &n, data, err, sizeof(err)), -1);
	assert_int_equal(n, 1);
	assert_non_null(strstr(err, "interface 1"));

	/* a captured length past the block */
	memset(&w, 0, sizeof(w));
	shb(&w, false);
	idb(&w, 1, 0, 0, 0);
	{
		struct w b = { .be = false };

		u32(&b, 0);
		u32(&b, 0);
		u32(&b, 1);
		u32(&b, 400); /* caplen */
		u32(&b, 400);
		put(&b, "abcd", 4);
		block(&w, 6, &b);
	}
	assert_int_equal(read_all(&w, got, &n, data, err, sizeof(err)), -1);
	assert_int_equal(n, 0);
	assert_non_null(strstr(err, "400 bytes"));

	/* a trailing length that differs, and a file cut inside a block */
	memset(&w, 0, sizeof(w));
	shb(&w, false);
	idb(&w, 1, 0, 0, 0);
	epb(&w, 0, 1, "abcd", 4, 4);
	w.b[w.n - 4] ^= 4;
	assert_int_equal(read_all(&w, got, &n, data, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "trailing length"));
	w.b[w.n - 4] ^= 4;
	w.n -= 6;
	assert_int_equal(read_all(&w, got, &n, data, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "truncated"));

	/* a block length that is not a multiple of 4, or too large */
	memset(&w, 0, sizeof(w));
	shb(&w, false);
	u32(&w, 6);
	u32(&w, 30);
	assert_int_equal(read_all(&w, got, &n, data, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad length"));
	memset(&w, 0, sizeof(w));
	shb(&w, false);
	u32(&w, 6);
	u32(&w, PCAPNG_MAX_BLOCK + 4);
	assert_int_equal(read_all(&w, got, &n, data, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad length"));

	/* a byte-order magic that is neither */
	memset(&w, 0, sizeof(w));
	u32(&w, 0x0A0D0D0A);
	u32(&w, 28);
	u32(&w, 0x12345678);
	assert_int_equal(read_all(&w, got, &n, data, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "byte-order"));

	/* a section of another major version */
	memset(&w, 0, sizeof(w));
	{
		struct w b = { .be = false };

		u32(&b, 0x1A2B3C4D);
		u16(&b, 2);
		u16(&b, 0);
		u64(&b, (uint64_t)-1);
		block(&w, 0x0A0D0D0A, &b);
	}
	assert_int_equal(read_all(&w, got, &n, data, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "version 2.0"));

	/* a simple packet block before any interface */
	memset(&w, 0, sizeof(w));
	shb(&w, false);
	spb(&w, "x", 1);
	assert_int_equal(read_all(&w, got, &n, data, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "before any interface"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcapng_mixed),
		cmocka_unit_test(test_pcapng_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
