/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * stats: the periodic and final stats line of the log, gathered from the
 * counters every stage keeps for itself.
 */
#ifndef J4S_STATS_H
#define J4S_STATS_H

#include <stdbool.h>
#include <stdint.h>

struct pipeline;
struct output;
struct capture;

void stats_log(const struct pipeline *p, const struct capture *cap, struct output *const *outs,
	       uint32_t n_outs, bool final);

#endif
