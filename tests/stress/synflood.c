// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * SYN flood for the stress tests: spoofed IPv4 SYNs from random sources in
 * 198.18.128.0/17 (the benchmarking range, on a veth the test made) to one
 * address and port, through an AF_PACKET socket in batches. Bounded by a
 * packet count and a time limit; prints what it sent. With "partial", each
 * SYN is followed by a segment holding the first 100 bytes of a 512-byte
 * ClientHello, and then nothing: connections that never finish a hello.
 *   synflood IFACE DST_MAC DST_IP DST_PORT COUNT SECONDS [partial]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
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

#define BATCH 64
#define FRAME 58 /* Ethernet 14 + IPv4 20 + TCP 24 (MSS option) */
#define PART 100 /* bytes of hello in a partial flow's data segment */
#define FRAME_MAX (FRAME + PART)

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

/* A SYN from a new random source, or (data) the hello start of the last. */
static size_t build(uint8_t *f, const uint8_t *dmac, uint32_t dst, uint16_t dport, bool data,
		    struct last *l)
{
	static const uint8_t hello[11] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01,
					   0x00, 0x01, 0xfc, 0x03, 0x03 };
	uint8_t *ip = f + 14, *tcp = f + 34, ph[12];
	size_t tlen = 24 + (data ? PART : 0);
	uint32_t src, seq;
	uint16_t c, sport;

	if (!data) {
		l->src = htonl(0xc6128000u | (rnd() & 0x7fff)); /* 198.18.128.0/17 */
		l->sport = (uint16_t)(1024 + rnd() % 60000);
		l->seq = rnd();
	}
	src = l->src;
	sport = l->sport;
	seq = htonl(data ? l->seq + 1 : l->seq);

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
	memset(tcp, 0, tlen);
	tcp[0] = (uint8_t)(sport >> 8);
	tcp[1] = (uint8_t)sport;
	tcp[2] = (uint8_t)(dport >> 8);
	tcp[3] = (uint8_t)dport;
	memcpy(tcp + 4, &seq, 4);
	tcp[12] = 6 << 4;
	tcp[13] = data ? 0x18 : 0x02; /* PSH|ACK : SYN */
	if (data)
		memcpy(tcp + 24, hello, sizeof(hello));
	tcp[14] = 0xfa;
	tcp[20] = 2; /* MSS 1460 */
	tcp[21] = 4;
	tcp[22] = 0x05;
	tcp[23] = 0xb4;
	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = 6;
	ph[10] = 0;
	ph[10] = (uint8_t)(tlen >> 8);
	ph[11] = (uint8_t)tlen;
	c = csum(tcp, tlen, (uint32_t)(0xffff & ~csum(ph, 12, 0)));
	tcp[16] = (uint8_t)(c >> 8);
	tcp[17] = (uint8_t)c;
	return 14 + 20 + tlen;
}

int main(int argc, char **argv)
{
	uint8_t frames[BATCH][FRAME_MAX], dmac[6];
	struct last last = { 0 };
	bool partial = argc == 8 && !strcmp(argv[7], "partial");
	struct iovec iov[BATCH];
	struct mmsghdr msgs[BATCH];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	unsigned long long count, sent = 0;
	struct timespec t0, now;
	double secs, limit;
	uint32_t dst;
	int fd;

	if ((argc != 7 && !partial) || sscanf(argv[2], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dmac[0], &dmac[1],
				&dmac[2], &dmac[3], &dmac[4], &dmac[5]) != 6 ||
	    inet_pton(AF_INET, argv[3], &dst) != 1) {
		fprintf(stderr, "usage: synflood IFACE DST_MAC DST_IP DST_PORT COUNT SECONDS [partial]\n");
		return 2;
	}
	count = strtoull(argv[5], NULL, 10);
	limit = atof(argv[6]);
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
		int n;

		for (int i = 0; i < BATCH; i++)
			iov[i].iov_len = build(frames[i], dmac, dst, (uint16_t)atoi(argv[4]),
					       partial && (i & 1), &last);
		n = sendmmsg(fd, msgs, BATCH, 0);
		if (n > 0)
			sent += (unsigned long long)n;
		clock_gettime(CLOCK_MONOTONIC, &now);
		secs = (double)(now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9;
	} while (sent < count && secs < limit);
	printf("%llu %.2f %.0f\n", sent, secs, sent / (secs > 0 ? secs : 1));
	close(fd);
	return 0;
}
