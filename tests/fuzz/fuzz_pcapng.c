// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer harness for the pcapng reader (pcapng.c): the input is a file.
 * Every packet handed out must lie inside the block just read (ASan checks
 * the reads of its bytes), and reading ends, with a packet count bounded by
 * the input's size. make_seeds.py takes the test captures' pcapng files,
 * cut to 64 KiB.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "pcapng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = size ? fmemopen((void *)data, size, "rb") : NULL;
	struct pcapng_packet pkt;
	struct pcapng *r;
	char err[256];
	size_t n = 0;
	uint32_t sum = 0;

	if (!f)
		return 0;
	r = pcapng_open(f);
	assert(r);
	while (pcapng_next(r, &pkt, err, sizeof(err)) == 1) {
		/* every byte of it read: out of the block is ASan's */
		for (uint32_t i = 0; i < pkt.caplen; i++)
			sum += pkt.data[i];
		assert(pkt.origlen >= pkt.caplen);
		assert(++n <= size / 12); /* a block is 12 bytes at least */
	}
	(void)sum;
	pcapng_close(r);
	fclose(f);
	return 0;
}
