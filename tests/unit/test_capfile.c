// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * capfile.c and pcapng.c: the --read file reader. Each test writes a
 * file into memory, record by record or block by block (in either byte
 * order), and reads it back through a memfd or a pipe.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>
#include "capfile.h"

struct w {
	uint8_t b[1u << 21];
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

/* A memfd holding n bytes of b, at its start. */
static int memfd(const void *b, size_t n)
{
	int fd = memfd_create("capfile", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, b, n), (ssize_t)n);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* Read the file in w: every packet into got (at most 8); returns the last
 * capfile_next() result, or -2 when capfile_open() refused it (err says
 * why). */
static int read_all(const struct w *w, struct capfile_packet *got, int *n, uint8_t data[][64],
		    char *err, size_t errlen)
{
	int fd = memfd(w->b, w->n);
	struct capfile *r = capfile_open(fd, err, errlen);
	int rc;

	*n = 0;
	if (!r) {
		close(fd);
		return -2;
	}
	while ((rc = capfile_next(r, &got[*n], err, errlen)) > 0) {
		if (rc == 2)
			continue;
		assert_true(*n < 8);
		memcpy(data[*n], got[*n].data, got[*n].caplen < 64 ? got[*n].caplen : 64);
		(*n)++;
	}
	capfile_close(r);
	close(fd);
	return rc;
}

/* Two sections, little- then big-endian, interfaces of four link types,
 * each resolution and offset, EPB, SPB, blocks to skip. */
static void test_pcapng_mixed(void **state)
{
	static struct w w;
	struct capfile_packet got[8];
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
	assert_int_equal(got[2].linktype, 12); /* LINKTYPE_RAW, as DLT_RAW */
	assert_int_equal(got[2].caplen, 4);
	assert_int_equal(got[2].origlen, 9);
	assert_memory_equal(data[2], "rawp", 4);
	assert_int_equal(got[3].linktype, 12);
	assert_true(got[3].ts_ns == 13500000000ULL); /* 3.5 s + 10 s */
}

/* Broken files: the packets before the fault are read, then -1 with a
 * reason; nothing is read past a block's end. */
static void test_pcapng_errors(void **state)
{
	static struct w w;
	struct capfile_packet got[8];
	uint8_t data[8][64];
	char err[256];
	int n;

	(void)state;
	/* a block before any section header: not a capture file */
	memset(&w, 0, sizeof(w));
	idb(&w, 1, 0, 0, 0);
	assert_int_equal(read_all(&w, got, &n, data, err, sizeof(err)), -2);
	assert_non_null(strstr(err, "not a pcap or pcapng file (it starts with 01 00 00 00)"));

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

/* A file of blocks without packets is passed over CAPFILE_SKIP_MAX blocks
 * at a time (2), so that the caller sees its signals meanwhile. */
static void test_pcapng_skips(void **state)
{
	static struct w w;
	struct capfile_packet pkt;
	struct capfile *r;
	char err[256];
	int fd;

	(void)state;
	memset(&w, 0, sizeof(w));
	shb(&w, false);
	idb(&w, 1, 0, 0, 0);
	for (int i = 0; i < CAPFILE_SKIP_MAX + 10; i++)
		other(&w, 0x40000bad);
	epb(&w, 0, 1, "late", 4, 4);
	fd = memfd(w.b, w.n);
	r = capfile_open(fd, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(capfile_next(r, &pkt, err, sizeof(err)), 2);
	assert_int_equal(capfile_next(r, &pkt, err, sizeof(err)), 1);
	assert_memory_equal(pkt.data, "late", 4);
	assert_int_equal(capfile_next(r, &pkt, err, sizeof(err)), 0);
	capfile_close(r);
	close(fd);
}

/* A classic file header; its byte order is w->be. */
static void pcap_hdr(struct w *w, uint32_t magic, uint16_t major, uint16_t minor, uint32_t snaplen,
		     uint32_t link)
{
	u32(w, magic);
	u16(w, major);
	u16(w, minor);
	u32(w, 0); /* thiszone */
	u32(w, 0); /* sigfigs */
	u32(w, snaplen);
	u32(w, link);
}

/* A classic record; kuz: the modified format's 8 more header bytes. */
static void pcap_rec(struct w *w, uint32_t sec, uint32_t frac, const void *data, uint32_t caplen,
		     uint32_t len, bool kuz)
{
	u32(w, sec);
	u32(w, frac);
	u32(w, caplen);
	u32(w, len);
	if (kuz) {
		u32(w, 7);         /* ifindex */
		u16(w, 0x0800);    /* protocol */
		put(w, "\0\0", 2); /* packet type, padding */
	}
	put(w, data, caplen);
}

/* Classic pcap in each byte order and resolution, the modified format,
 * old versions' swapped lengths, and packets longer than the header's snap
 * length, which are read whole (libpcap would cut them). */
static void test_pcap_classic(void **state)
{
	static struct w w;
	struct capfile_packet got[8];
	uint8_t data[8][64], big[200];
	char err[256];
	int n;

	(void)state;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	/* little-endian, microseconds, snap length 64 */
	memset(&w, 0, sizeof(w));
	pcap_hdr(&w, 0xA1B2C3D4, 2, 4, 64, 1);
	pcap_rec(&w, 1700000000, 123456, "ethernet", 8, 60, false);
	pcap_rec(&w, 4000000000u, 999999, big, 200, 1500, false); /* past 2038, past snaplen */
	assert_int_equal(read_all(&w, got, &n, data, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(got[0].linktype, 1);
	assert_int_equal(got[0].caplen, 8);
	assert_int_equal(got[0].origlen, 60);
	assert_memory_equal(data[0], "ethernet", 8);
	assert_true(got[0].ts_ns == 1700000000123456000ULL);
	assert_int_equal(got[1].caplen, 200);
	assert_int_equal(got[1].origlen, 1500);
	assert_memory_equal(data[1], big, 64);
	assert_true(got[1].ts_ns == 4000000000999999000ULL);

	/* big-endian, nanoseconds, raw IP (LINKTYPE_RAW read as DLT_RAW), a
	 * record whose wire length is below what it holds */
	memset(&w, 0, sizeof(w));
	w.be = true;
	pcap_hdr(&w, 0xA1B23C4D, 2, 4, 65535, 101);
	pcap_rec(&w, 1, 5, "raw", 3, 0, false);
	assert_int_equal(read_all(&w, got, &n, data, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(got[0].linktype, 12);
	assert_int_equal(got[0].origlen, 3);
	assert_true(got[0].ts_ns == 1000000005ULL);

	/* the modified format: 24-byte record headers */
	memset(&w, 0, sizeof(w));
	pcap_hdr(&w, 0xA1B2CD34, 2, 4, 65535, 113);
	pcap_rec(&w, 2, 1, "sll-one", 7, 7, true);
	pcap_rec(&w, 3, 2, "sll-two", 7, 9, true);
	assert_int_equal(read_all(&w, got, &n, data, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(data[1], "sll-two", 7);
	assert_int_equal(got[1].origlen, 9);
	assert_true(got[1].ts_ns == 3000002000ULL);

	/* version 2.2: lengths stored the other way round; 2.3: swapped only
	 * where the captured length is the larger */
	memset(&w, 0, sizeof(w));
	pcap_hdr(&w, 0xA1B2C3D4, 2, 2, 65535, 1);
	u32(&w, 0);
	u32(&w, 0);
	u32(&w, 60); /* len */
	u32(&w, 4);  /* caplen */
	put(&w, "abcd", 4);
	assert_int_equal(read_all(&w, got, &n, data, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(got[0].caplen, 4);
	assert_int_equal(got[0].origlen, 60);
	memset(&w, 0, sizeof(w));
	pcap_hdr(&w, 0xA1B2C3D4, 2, 3, 65535, 1);
	pcap_rec(&w, 0, 0, "abcd", 4, 60, false); /* in order */
	u32(&w, 0);
	u32(&w, 0);
	u32(&w, 60); /* swapped: the larger first */
	u32(&w, 2);
	put(&w, "ef", 2);
	assert_int_equal(read_all(&w, got, &n, data, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(got[0].caplen, 4);
	assert_int_equal(got[1].caplen, 2);
	assert_int_equal(got[1].origlen, 60);
}

/* Broken classic files: refused at open, or the packets before the fault
 * read and then -1 with the reason and the offset. */
static void test_pcap_classic_errors(void **state)
{
	static struct w w;
	struct capfile_packet got[8];
	uint8_t data[8][64];
	char err[256];
	int n;

	(void)state;
	memset(&w, 0, sizeof(w));
	assert_int_equal(read_all(&w, got, &n, data, err, sizeof(err)), -2);
	assert_string_equal(err, "empty file");
	put(&w, "\xd4\xc3", 2);
	assert_int_equal(read_all(&w, got, &n, data, err, sizeof(err)), -2);
	assert_non_null(strstr(err, "not a capture file: 2 bytes"));
	put(&w, "\xb2\xa1\x02\x00", 4);
	assert_int_equal(read_all(&w, got, &n, data, err, sizeof(err)), -2);
	assert_non_null(strstr(err, "truncated pcap file header (6 of 24 bytes)"));
	memset(&w, 0, sizeof(w));
	pcap_hdr(&w, 0xA1B2C3D4, 3, 0, 65535, 1);
	assert_int_equal(read_all(&w, got, &n, data, err, sizeof(err)), -2);
	assert_non_null(strstr(err, "version 3.0"));

	/* a record cut in its header, then in its bytes */
	memset(&w, 0, sizeof(w));
	pcap_hdr(&w, 0xA1B2C3D4, 2, 4, 65535, 1);
	pcap_rec(&w, 0, 0, "whole", 5, 5, false);
	pcap_rec(&w, 0, 0, "cut short", 9, 9, false);
	w.n -= 2;
	assert_int_equal(read_all(&w, got, &n, data, err, sizeof(err)), -1);
	assert_int_equal(n, 1);
	assert_non_null(strstr(err, "truncated pcap record at offset 45 (7 of 9 bytes)"));
	w.n -= 10;
	assert_int_equal(read_all(&w, got, &n, data, err, sizeof(err)), -1);
	assert_int_equal(n, 1);
	assert_non_null(strstr(err, "truncated pcap record header at offset 45 (13 of 16 bytes)"));

	/* a record larger than any packet: refused, not allocated */
	memset(&w, 0, sizeof(w));
	pcap_hdr(&w, 0xA1B2C3D4, 2, 4, 65535, 1);
	u32(&w, 0);
	u32(&w, 0);
	u32(&w, CAPFILE_MAX_PACKET + 1);
	u32(&w, CAPFILE_MAX_PACKET + 1);
	assert_int_equal(read_all(&w, got, &n, data, err, sizeof(err)), -1);
	assert_int_equal(n, 0);
	assert_non_null(strstr(err, "at offset 24 holds 262145 bytes"));
}

struct feeder {
	int fd;
	const uint8_t *b;
	size_t n, step;
};

/* The writer end of a pipe: step bytes per write(), then close. */
static void *feed(void *arg)
{
	struct feeder *f = arg;

	for (size_t off = 0; off < f->n; off += f->step) {
		size_t k = f->n - off < f->step ? f->n - off : f->step;

		if (write(f->fd, f->b + off, k) != (ssize_t)k)
			break;
	}
	close(f->fd);
	return NULL;
}

/* Whether reading w through a pipe fed step bytes at a time gives every
 * packet of the memfd read, byte for byte. */
static void same_through_pipe(const struct w *w, size_t step, int want)
{
	int fd = memfd(w->b, w->n), p[2], got = 0;
	struct capfile *a, *b;
	struct feeder f = { .b = w->b, .n = w->n, .step = step };
	struct capfile_packet x, y;
	char err[256];
	pthread_t t;
	int rc;

	assert_int_equal(pipe(p), 0);
	f.fd = p[1];
	assert_int_equal(pthread_create(&t, NULL, feed, &f), 0);
	a = capfile_open(fd, err, sizeof(err));
	b = capfile_open(p[0], err, sizeof(err));
	assert_non_null(a);
	assert_non_null(b);
	while ((rc = capfile_next(a, &x, err, sizeof(err))) == 1) {
		uint8_t copy[256];

		assert_true(x.caplen <= sizeof(copy) || x.caplen > 100000);
		if (x.caplen <= sizeof(copy))
			memcpy(copy, x.data, x.caplen);
		assert_int_equal(capfile_next(b, &y, err, sizeof(err)), 1);
		assert_int_equal(x.caplen, y.caplen);
		assert_true(x.ts_ns == y.ts_ns);
		if (x.caplen <= sizeof(copy))
			assert_memory_equal(copy, y.data, y.caplen);
		got++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(capfile_next(b, &y, err, sizeof(err)), 0);
	assert_int_equal(got, want);
	assert_int_equal(capfile_offset(b), w->n);
	capfile_close(a);
	capfile_close(b);
	pthread_join(t, NULL);
	close(p[0]);
	close(fd);
}

/* Records across the buffer's edges, from a pipe that hands over a few
 * bytes at a time, and blocks larger than the buffer. */
static void test_capfile_buffer(void **state)
{
	static struct w w;
	static uint8_t big[200000];
	uint8_t pkt[251];
	int count = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 7);
	memset(&w, 0, sizeof(w));
	pcap_hdr(&w, 0xA1B2C3D4, 2, 4, 65535, 1);
	/* ~1.9 MiB of records of every length up to 251 bytes */
	while (w.n + 16 + sizeof(pkt) < sizeof(w.b) - sizeof(big) - 64) {
		uint32_t len = (uint32_t)(count % sizeof(pkt));

		pkt[0] = (uint8_t)count;
		pcap_rec(&w, (uint32_t)count, 0, pkt, len, len, false);
		count++;
	}
	pcap_rec(&w, 0, 0, big, sizeof(big), sizeof(big), false);
	count++;
	same_through_pipe(&w, 4093, count);
	same_through_pipe(&w, 65536 * 3, count);

	/* pcapng: a block of 1.5 MiB, more than the buffer holds */
	memset(&w, 0, sizeof(w));
	shb(&w, true);
	idb(&w, 1, 0, 0, 0);
	epb(&w, 0, 1, "small", 5, 5);
	{
		static struct w b;

		memset(&b, 0, sizeof(b));
		b.be = true;
		u32(&b, 0);
		u32(&b, 0);
		u32(&b, 2);
		u32(&b, 1500000);
		u32(&b, 1500000);
		b.n += 1500000;
		block(&w, 6, &b);
	}
	epb(&w, 0, 3, "after", 5, 5);
	same_through_pipe(&w, 100000, 3);
}

static void on_alarm(int sig)
{
	(void)sig;
	fail_msg("capfile_next() waited for bytes it did not need");
}

/* From a pipe whose writer is still there, a record is handed out as soon
 * as its bytes are in: a live `tcpdump -w - | ja4sentinel -r -` gets its
 * records as the hellos come, not when the buffer is full. */
static void test_capfile_pipe_open(void **state)
{
	static struct w w;
	struct capfile_packet pkt;
	struct capfile *r;
	char err[256];
	int p[2];

	(void)state;
	memset(&w, 0, sizeof(w));
	pcap_hdr(&w, 0xA1B2C3D4, 2, 4, 65535, 1);
	pcap_rec(&w, 7, 0, "first", 5, 5, false);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], w.b, w.n), (ssize_t)w.n);
	signal(SIGALRM, on_alarm);
	alarm(5);
	r = capfile_open(p[0], err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(capfile_next(r, &pkt, err, sizeof(err)), 1);
	assert_memory_equal(pkt.data, "first", 5);
	alarm(0);
	/* the next one, cut short by the writer's end */
	assert_int_equal(write(p[1], w.b + 24, 10), 10);
	close(p[1]);
	assert_int_equal(capfile_next(r, &pkt, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "truncated pcap record header at offset 45 (10 of 16 bytes)"));
	capfile_close(r);
	close(p[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcapng_mixed),        cmocka_unit_test(test_pcapng_errors),
		cmocka_unit_test(test_pcapng_skips),        cmocka_unit_test(test_pcap_classic),
		cmocka_unit_test(test_pcap_classic_errors), cmocka_unit_test(test_capfile_buffer),
		cmocka_unit_test(test_capfile_pipe_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
