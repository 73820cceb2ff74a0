// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Load one of the embedded programs (j4s_tc or j4s_xdp) the way the daemon
 * does, without attaching it, and print everything libbpf says, the
 * verifier's log included, in full. The kernel matrix runs it where a
 * program does not load, so that the log says why (the daemon's own log
 * lines are bounded in length).
 *
 *   verifier_log tc|xdp|xdp-copy [all]    exit 0: loaded; 1: not loaded
 *
 * xdp-copy forces the by-hand packet copy of kernels before 5.18. "all"
 * turns on every configuration branch the daemon may set (local and
 * excluded address filters, the bucket, an interface without Ethernet),
 * the costliest program to verify. Loaded, it prints the verifier's
 * statistics line (instructions processed, against the 1,000,000 limit).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "abi.h"
#include "ja4sentinel.skel.h"

static int print_all(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stdout, fmt, ap);
}

int main(int argc, char **argv)
{
	struct ja4sentinel_bpf *skel;
	int xdp, copy, err;
	time_t t0;

	static char log[1 << 16];
	struct j4s_bpf_config *cfg;
	struct bpf_program *prog;
	const char *stats;

	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "all")) ||
	    (strcmp(argv[1], "tc") && strcmp(argv[1], "xdp") && strcmp(argv[1], "xdp-copy"))) {
		fprintf(stderr, "usage: verifier_log tc|xdp|xdp-copy [all]\n");
		return 2;
	}
	copy = !strcmp(argv[1], "xdp-copy");
	xdp = copy || !strcmp(argv[1], "xdp");
	/* Line by line: a run stopped by a timeout keeps what it printed. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(print_all);
	skel = ja4sentinel_bpf__open();
	if (!skel) {
		printf("opening the skeleton: %s\n", strerror(errno));
		return 1;
	}
	/* The daemon's defaults: 100000 flows, a 16 MiB ring. */
	bpf_map__set_max_entries(skel->maps.j4s_events, 16u << 20);
	bpf_program__set_autoload(skel->progs.j4s_tc, !xdp);
	bpf_program__set_autoload(skel->progs.j4s_xdp, xdp);
	cfg = (struct j4s_bpf_config *)&skel->rodata->j4s_cfg;
	cfg->xdp_copy = (__u8)copy;
	if (argc == 3) {
		cfg->filter_local = cfg->filter_exclude = cfg->l3dev = 1;
		cfg->unval_rate = 1000;
		cfg->unval_burst = 2000;
	}
	prog = xdp ? skel->progs.j4s_xdp : skel->progs.j4s_tc;
	/* The statistics only (level 4): a full log of a loaded program is
	 * far larger than any buffer; a refused one is logged anyway. */
	bpf_program__set_log_level(prog, 4);
	bpf_program__set_log_buf(prog, log, sizeof(log));
	t0 = time(NULL);
	err = ja4sentinel_bpf__load(skel);
	printf("j4s_%s%s: %s (%ld s)\n", argv[1], argc == 3 ? " all" : "",
	       err ? "NOT loaded" : "loaded", (long)(time(NULL) - t0));
	stats = strstr(log, "processed ");
	if (!err && stats)
		printf("%.*s\n", (int)strcspn(stats, "\n"), stats);
	if (err)
		printf("error: %s\n", strerror(-err));
	ja4sentinel_bpf__destroy(skel);
	return err ? 1 : 0;
}
