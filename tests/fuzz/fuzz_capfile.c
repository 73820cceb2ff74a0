// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer harness for the capture file reader (capfile.c, pcapng.c): the
 * input is a file, classic pcap or pcapng, read through a memfd as --read
 * reads a file (the same read() path; the buffer is built 61 bytes long
 * for the fuzzer, so that records cross its edge and it grows). Every
 * packet handed out must lie inside the reader's buffer (ASan checks the
 * reads of its bytes) and be bytes of the input consumed by its own call,
 * and reading ends, with a packet count bounded by the input's size.
 * make_seeds.py takes the test captures, cut to 64 KiB.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "capfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	struct capfile_packet pkt;
	struct capfile *r;
	char err[256];
	size_t n = 0;
	uint32_t sum = 0;

	assert(fd >= 0);
	assert(write(fd, data, size) == (ssize_t)size);
	assert(lseek(fd, 0, SEEK_SET) == 0);
	r = capfile_open(fd, err, sizeof(err));
	if (r) {
		uint64_t before = capfile_offset(r);

		int rc;

		while ((rc = capfile_next(r, &pkt, err, sizeof(err))) > 0) {
			uint64_t after = capfile_offset(r);

			if (rc == 2) { /* blocks without packets: more to come */
				assert(after > before);
				before = after;
				continue;
			}
			/* every byte of it read: out of the buffer is ASan's */
			for (uint32_t i = 0; i < pkt.caplen; i++)
				sum += pkt.data[i];
			assert(pkt.origlen >= pkt.caplen);
			assert(++n <= size / 12); /* a block is 12 bytes, a record 16 */
			assert(after <= size && after > before);
			/* the input's bytes, of this record or block: not stale */
			assert(pkt.caplen <= after - before);
			assert(!pkt.caplen ||
			       memmem(data + before, after - before, pkt.data, pkt.caplen));
			before = after;
		}
		capfile_close(r);
	}
	(void)sum;
	close(fd);
	return 0;
}
