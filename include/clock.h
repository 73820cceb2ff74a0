/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * clock: the daemon's one reading of a clock, in nanoseconds. Daemon side
 * only (log, loop, the capture backends, outputs): the pure core takes the
 * time from its caller and never includes this header.
 */
#ifndef J4S_CLOCK_H
#define J4S_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_REALTIME, CLOCK_MONOTONIC: clock_gettime cannot fail on either. */
static inline uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

#endif
