// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * SYN flood for the stress tests: spoofed IPv4 SYNs from random sources in
 * 198.19.0.0/16 (the benchmarking range, on a veth the test made) to one
 * address and port, through an AF_PACKET socket in batches. Bounded by a
 * packet count and a time limit; prints what it sent. With "partial", each
 * SYN is followed by a segment holding the first 100 bytes of a 512-byte
 * ClientHello, and then nothing: connections that never finish a hello.
 * With "dribble HELLO_FILE", COUNT connections (256 at a time, interleaved)
 * each send a SYN and then the hello in that file in pieces, by connection
 * number i (source port 20000 + i, so the test can tell them apart):
 *   i % 4 == 0, 1  one byte per segment, in order;
 *   i % 4 == 2     16-byte segments, each pair sent swapped (out of order);
 *   i % 4 == 3     one byte per segment, last byte first: an abusive flow
 *                  that the segment cap must stop.
 * With "garbage", as partial but the 100 bytes are random: half start
 * with 0x16 0x03 (they look like TLS to the kernel program and reach the
 * userspace parser), half with any byte.
 * With "hello HELLO_FILE", as partial but the data segment holds the whole
 * hello in that file (up to 1400 bytes): every spoofed connection is a
 * complete hello to fingerprint, the most work a frame can give userspace.
 * A last argument PPS (dribble only) holds the rate to PPS frames a second.
 * SYNFLOOD_SEED in the environment varies the random sources and ports, so
 * that several floods at once do not send the same connections.
 * With "hostile", every pass is a blind spoofer's most expensive hello: a
 * SYN from a new random source in 198.19.0.0/16, then a 16 KiB ClientHello
 * with 8,100 cipher suites in 1448-byte segments whose ACK number is a
 * guess (the server's SYN-ACK went nowhere: there is no route back).
 *   synflood IFACE DST_MAC DST_IP DST_PORT COUNT SECONDS
 *            [partial | garbage | hostile | hello HELLO_FILE | dribble HELLO_FILE [PPS]]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH           64
#define FRAME           58   /* Ethernet 14 + IPv4 20 + TCP 24 (MSS option) */
#define PART            100  /* bytes of hello in a partial flow's data segment */
#define HELLO_MAX       1400 /* largest hello a dribble flow sends */
#define SEG             1448 /* payload of a full-sized hostile segment */
#define FRAME_MAX       (FRAME + SEG)
#define DRIBBLE_AT_ONCE 256

static uint16_t csum(const void *p, size_t n, uint32_t sum)
{
	const uint8_t *b = p;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		sum += (uint32_t)b[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint64_t rng_state = 88172645463325252ULL;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)rng_state;
}

struct last {
	uint32_t src, seq;
	uint16_t sport;
};

/* One Ethernet/IPv4/TCP frame: a SYN (MSS option) or a PSH|ACK with
 * payload; src and dst in network order. */
static size_t frame(uint8_t *f, const uint8_t *dmac, uint32_t src, uint16_t sport, uint32_t dst,
		    uint16_t dport, uint32_t seq_host, uint32_t ack_host, const uint8_t *pl,
		    size_t n)
{
	uint8_t *ip = f + 14, *tcp = f + 34, ph[12];
	size_t tlen = 24 + n;
	uint32_t seq = htonl(seq_host), ack = htonl(pl ? ack_host : 0);
	uint16_t c;

	memcpy(f, dmac, 6);
	memcpy(f + 6, (uint8_t[6]){ 0x02, 0x4a, 0x34, 0, 0, 1 }, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + tlen) >> 8);
	ip[3] = (uint8_t)(20 + tlen);
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	c = csum(ip, 20, 0);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	memset(tcp, 0, 24);
	tcp[0] = (uint8_t)(sport >> 8);
	tcp[1] = (uint8_t)sport;
	tcp[2] = (uint8_t)(dport >> 8);
	tcp[3] = (uint8_t)dport;
	memcpy(tcp + 4, &seq, 4);
	memcpy(tcp + 8, &ack, 4);
	tcp[12] = 6 << 4;
	tcp[13] = pl ? 0x18 : 0x02; /* PSH|ACK : SYN */
	if (pl)
		memcpy(tcp + 24, pl, n);
	tcp[14] = 0xfa;
	tcp[20] = 2; /* MSS 1460 */
	tcp[21] = 4;
	tcp[22] = 0x05;
	tcp[23] = 0xb4;
	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = 6;
	ph[10] = (uint8_t)(tlen >> 8);
	ph[11] = (uint8_t)tlen;
	c = csum(tcp, tlen, (uint32_t)(0xffff & ~csum(ph, 12, 0)));
	tcp[16] = (uint8_t)(c >> 8);
	tcp[17] = (uint8_t)c;
	return 14 + 20 + tlen;
}

static bool garbage;
static uint8_t dhello[HELLO_MAX];
static size_t dhello_len;
static bool whole_hello; /* "hello": the data segment is dhello */

/* A SYN from a new random source, or (data) the hello start of the last
 * (garbage: random bytes; hello: the whole hello). */
static size_t build(uint8_t *f, const uint8_t *dmac, uint32_t dst, uint16_t dport, bool data,
		    struct last *l)
{
	static const uint8_t start[PART] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01,
					     0x00, 0x01, 0xfc, 0x03, 0x03 };
	uint8_t part[PART];

	memcpy(part, start, PART);
	if (data && garbage) {
		for (size_t i = 0; i < PART; i++)
			part[i] = (uint8_t)rnd();
		if (l->sport & 1) {
			part[0] = 0x16;
			part[1] = 0x03;
		}
	}
	if (!data) {
		l->src = htonl(0xc6130000u | (rnd() & 0xffff)); /* 198.19.0.0/16 */
		l->sport = (uint16_t)(1024 + rnd() % 60000);
		l->seq = rnd();
	}
	if (data && whole_hello)
		return frame(f, dmac, l->src, l->sport, dst, dport, l->seq + 1, 0, dhello,
			     dhello_len);
	return frame(f, dmac, l->src, l->sport, dst, dport, data ? l->seq + 1 : l->seq, 0,
		     data ? part : NULL, data ? PART : 0);
}

/* ---- dribble: hellos in pieces ---- */

struct dflow {
	uint32_t i;    /* connection number */
	uint32_t step; /* 0: the SYN; then pieces */
	uint32_t isn;
};

/* The piece of connection i's hello at step (>= 1): offset and length; 0
 * length when the hello is all sent. */
static size_t piece(uint32_t i, uint32_t step, size_t *off)
{
	size_t k = step - 1, L = dhello_len;

	switch (i % 4) {
	case 2: { /* 16-byte pieces, pairs swapped */
		size_t nseg = (L + 15) / 16, j = k ^ 1;

		if (k >= nseg)
			return 0;
		if (j >= nseg)
			j = k;
		*off = j * 16;
		return L - *off < 16 ? L - *off : 16;
	}
	case 3: /* last byte first */
		if (k >= L)
			return 0;
		*off = L - 1 - k;
		return 1;
	default:
		if (k >= L)
			return 0;
		*off = k;
		return 1;
	}
}

/* The next frame of one of the flows in turn; 0 when all are done. */
static size_t dribble_next(uint8_t *f, const uint8_t *dmac, uint32_t dst, uint16_t dport,
			   unsigned long long count)
{
	static struct dflow slot[DRIBBLE_AT_ONCE];
	static uint32_t next_i, turn, live = DRIBBLE_AT_ONCE, inited;

	if (!inited) {
		for (uint32_t k = 0; k < DRIBBLE_AT_ONCE; k++)
			slot[k] = (struct dflow){ .i = next_i++, .isn = rnd() };
		inited = 1;
	}
	for (uint32_t tries = 0; live && tries < DRIBBLE_AT_ONCE; tries++) {
		struct dflow *d = &slot[turn++ % DRIBBLE_AT_ONCE];
		uint32_t src = htonl(0xc6130000u | (d->i & 0xffff)); /* 198.19.0.0/16 */
		uint16_t sport = (uint16_t)(20000 + d->i);
		size_t off = 0, n;

		if (d->i >= count)
			continue;
		if (d->step == 0) {
			d->step = 1;
			return frame(f, dmac, src, sport, dst, dport, d->isn, 0, NULL, 0);
		}
		n = piece(d->i, d->step, &off);
		if (n) {
			d->step++;
			return frame(f, dmac, src, sport, dst, dport, d->isn + 1 + (uint32_t)off, 0,
				     dhello + off, n);
		}
		/* This one is done: the next connection takes its slot. */
		*d = (struct dflow){ .i = next_i++, .isn = rnd() };
		if (d->i >= count)
			live--;
	}
	return 0;
}

/* ---- hostile: spoofed 16 KiB hellos with 8,100 cipher suites ---- */

#define HOSTILE_CIPHERS 8100
#define HOSTILE_RECORD  16384 /* the largest TLS record: one whole hello */

static uint8_t hhello[5 + HOSTILE_RECORD];

static uint8_t *put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

/* One ClientHello filling a whole record: 8,100 suites, SNI, TLS 1.3 in
 * supported_versions, and a padding extension that takes what is left. */
static void hostile_hello(void)
{
	static const char sni[] = "hostile.example";
	uint8_t *p = hhello, *ext_len;
	size_t n_sni = sizeof(sni) - 1;

	*p++ = 0x16;
	p = put16(p, 0x0301);
	p = put16(p, HOSTILE_RECORD);
	*p++ = 0x01; /* ClientHello, 24-bit length */
	*p++ = 0;
	p = put16(p, HOSTILE_RECORD - 4);
	p = put16(p, 0x0303);
	for (int i = 0; i < 32; i++)
		*p++ = (uint8_t)rnd();
	*p++ = 0; /* session id */
	p = put16(p, 2 * HOSTILE_CIPHERS);
	for (uint32_t i = 0; i < HOSTILE_CIPHERS; i++)
		p = put16(p, (i * 40503u + 1) & 0xffff); /* all over the 16-bit space */
	*p++ = 1;                                        /* compression: null */
	*p++ = 0;
	ext_len = p;
	p += 2;
	p = put16(p, 0x0000); /* server_name */
	p = put16(p, (uint32_t)n_sni + 5);
	p = put16(p, (uint32_t)n_sni + 3);
	*p++ = 0;
	p = put16(p, (uint32_t)n_sni);
	memcpy(p, sni, n_sni);
	p += n_sni;
	p = put16(p, 0x002b); /* supported_versions: 1.3, 1.2 */
	p = put16(p, 5);
	*p++ = 4;
	p = put16(p, 0x0304);
	p = put16(p, 0x0303);
	p = put16(p, 0x0015); /* padding to the end of the record */
	{
		size_t pad = sizeof(hhello) - (size_t)(p - hhello) - 2;

		p = put16(p, (uint32_t)pad);
		memset(p, 0, pad);
		p += pad;
	}
	put16(ext_len, (uint32_t)(p - ext_len - 2));
}

/* The next frame of the current spoofed flow: its SYN, then the hello's
 * segments; a new source when one is all sent. */
static size_t hostile_next(uint8_t *f, const uint8_t *dmac, uint32_t dst, uint16_t dport)
{
	static uint32_t src, isn, ack, off;
	static uint16_t sport;
	static bool syn_sent;
	size_t n;

	if (!syn_sent || off >= sizeof(hhello)) {
		src = htonl(0xc6130000u | (rnd() & 0xffff)); /* 198.19.0.0/16 */
		sport = (uint16_t)(1024 + rnd() % 60000);
		isn = rnd();
		ack = rnd(); /* a blind guess at the server's ISN + 1 */
		off = 0;
		syn_sent = true;
		return frame(f, dmac, src, sport, dst, dport, isn, 0, NULL, 0);
	}
	n = sizeof(hhello) - off < SEG ? sizeof(hhello) - off : SEG;
	off += (uint32_t)n;
	return frame(f, dmac, src, sport, dst, dport, isn + 1 + off - (uint32_t)n, ack,
		     hhello + off - n, n);
}

int main(int argc, char **argv)
{
	static uint8_t frames[BATCH][FRAME_MAX];
	uint8_t dmac[6];
	struct last last = { 0 };
	bool partial = argc == 8 && (!strcmp(argv[7], "partial") || !strcmp(argv[7], "garbage"));
	bool hostile = argc == 8 && !strcmp(argv[7], "hostile");
	bool dribble = (argc == 9 || argc == 10) && !strcmp(argv[7], "dribble");
	bool hello = argc == 9 && !strcmp(argv[7], "hello");
	double pps = argc == 10 ? atof(argv[9]) : 0;
	struct iovec iov[BATCH];
	struct mmsghdr msgs[BATCH];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	unsigned long long count, sent = 0;
	struct timespec t0, now;
	double secs, limit;
	uint32_t dst;
	int fd, more = 1;

	if ((argc != 7 && !partial && !dribble && !hello && !hostile) ||
	    sscanf(argv[2], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dmac[0], &dmac[1], &dmac[2], &dmac[3],
		   &dmac[4], &dmac[5]) != 6 ||
	    inet_pton(AF_INET, argv[3], &dst) != 1) {
		fprintf(stderr, "usage: synflood IFACE DST_MAC DST_IP DST_PORT COUNT SECONDS "
				"[partial | garbage | hostile | hello HELLO_FILE | dribble "
				"HELLO_FILE [PPS]]\n");
		return 2;
	}
	if (getenv("SYNFLOOD_SEED"))
		rng_state ^= strtoull(getenv("SYNFLOOD_SEED"), NULL, 10) * 0x9e3779b97f4a7c15ULL;
	garbage = partial && !strcmp(argv[7], "garbage");
	whole_hello = hello;
	partial = partial || hello; /* a SYN, then its data segment */
	if (hostile)
		hostile_hello();
	count = strtoull(argv[5], NULL, 10);
	limit = atof(argv[6]);
	if (dribble || hello) {
		FILE *h = fopen(argv[8], "rb");

		dhello_len = h ? fread(dhello, 1, sizeof(dhello), h) : 0;
		if (h && fgetc(h) != EOF)
			dhello_len = 0; /* longer than HELLO_MAX */
		if (h)
			fclose(h);
		if (dhello_len < 16 || (dribble && count > 40000)) {
			fprintf(stderr,
				"synflood: %s: need a hello of 16-%d bytes, COUNT <= 40000\n",
				argv[8], HELLO_MAX);
			return 2;
		}
	}
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	sll.sll_ifindex = (int)if_nametoindex(argv[1]);
	if (fd < 0 || !sll.sll_ifindex || bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		perror("synflood: socket");
		return 1;
	}
	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ frames[i], FRAME_MAX };
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		int n, k = 0;

		for (; k < BATCH && more; k++) {
			if (dribble)
				iov[k].iov_len = dribble_next(frames[k], dmac, dst,
							      (uint16_t)atoi(argv[4]), count);
			else if (hostile)
				iov[k].iov_len = hostile_next(frames[k], dmac, dst,
							      (uint16_t)atoi(argv[4]));
			else
				iov[k].iov_len = build(frames[k], dmac, dst,
						       (uint16_t)atoi(argv[4]), partial && (k & 1),
						       &last);
			if (!iov[k].iov_len)
				more = 0;
		}
		if (!more)
			k--;
		/* A dribbled flow must not lose a piece: wait for room instead. */
		for (int done = 0; done < k;) {
			n = sendmmsg(fd, msgs + done, (unsigned int)(k - done), 0);
			if (n > 0) {
				done += n;
				sent += (unsigned long long)n;
			} else if (dribble && (errno == ENOBUFS || errno == EAGAIN)) {
				usleep(100);
			} else {
				break;
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		secs = (double)(now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9;
		if (pps > 0 && sent > pps * secs)
			usleep((useconds_t)((sent / pps - secs) * 1e6));
	} while (more && (dribble || sent < count) && secs < limit);
	printf("%llu %.2f %.0f\n", sent, secs, sent / (secs > 0 ? secs : 1));
	close(fd);
	return 0;
}
