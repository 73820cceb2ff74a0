// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The eBPF backends of a build without BPF (make BPF=0: el8, where the
 * kernel has no BPF ring buffer and libbpf/libxdp are not required). auto
 * mode then falls straight to pcap, saying why.
 */
#include <stdio.h>
#include "capture.h"

static struct capture *no_bpf(const char *mode, char *err, size_t errlen)
{
	snprintf(err, errlen, "this build has no eBPF support (built with BPF=0), so no %s mode",
		 mode);
	return NULL;
}

bool capture_bpf_built(void)
{
	return false;
}

void capture_bpf_print_versions(FILE *f)
{
	fprintf(f, "eBPF capture (tc, xdp): no (built with BPF=0)\n");
}

struct capture *capture_tc_open(const struct config *cfg, char *err, size_t errlen)
{
	(void)cfg;
	return no_bpf("tc", err, errlen);
}

struct capture *capture_xdp_open(const struct config *cfg, char *err, size_t errlen)
{
	(void)cfg;
	return no_bpf("xdp", err, errlen);
}
