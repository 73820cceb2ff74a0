/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * stats: the periodic and final stats line of the log, gathered from the
 * counters every stage keeps for itself.
 */
#ifndef J4S_STATS_H
#define J4S_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct pipeline;
struct output;
struct capture;

/* The periodic line leaves counters at zero out (a missing key reads 0);
 * the final one has them all. */
void stats_log(const struct pipeline *p, const struct capture *cap, struct output *const *outs,
	       uint32_t n_outs, bool final);
/* Every counter, now ("counters (why)"): SIGUSR1. */
void stats_log_all(const struct pipeline *p, const struct capture *cap, struct output *const *outs,
		   uint32_t n_outs, const char *why);

/* What the live state reports besides the log: the Prometheus text file
 * (metrics.textfile, NULL or "" = none, rewritten every period_sec) and
 * systemd's STATUS= line (every STATS_STATUS_SEC). Strings are borrowed. */
struct stats_live {
	const char *textfile;
	uint32_t period_sec;
	const char *ifaces; /* the interfaces watched, for STATUS= and ja4sentinel_info */
};
#define STATS_STATUS_SEC 10

void stats_setup(const struct stats_live *l);
/* At each loop tick (now: monotonic ns): STATUS= and the text file when due. */
void stats_tick(const struct pipeline *p, const struct capture *cap, struct output *const *outs,
		uint32_t n_outs, uint64_t now);
/* When stats_tick has work next (CLOCK_MONOTONIC ns): the loop's timer is
 * armed for it. */
uint64_t stats_next_deadline(void);
/* At stop: the text file is removed (a stopped daemon exports nothing). */
void stats_stop(void);
/* Every counter in the Prometheus text format (0.0.4) on f: # HELP and
 * # TYPE for each, ja4sentinel_*_total for counters; 0 or -EIO. */
int stats_write_prometheus(FILE *f, const struct pipeline *p, const struct capture *cap,
			   struct output *const *outs, uint32_t n_outs);

#endif
