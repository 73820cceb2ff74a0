/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * loop: drives a capture backend into the pipeline and the outputs. The
 * offline loop reads to the end of the file; the live loop waits on the
 * capture fd, a signalfd and a timerfd. Outputs have no fd in its epoll
 * set: their queues are drained after each batch of packets and at every
 * timer tick.
 */
#ifndef J4S_LOOP_H
#define J4S_LOOP_H

#include <stddef.h>
#include <stdint.h>

struct capture;
struct pipeline;
struct output;

/*
 * Read every packet of an offline capture, then flush the outputs (an
 * unreachable one is waited for once, see output_finish). 0 at the end of
 * the file; SIGINT or SIGTERM stops the read early, the records found so
 * far are still flushed, and the signal number is returned (a second
 * signal exits at once with 128 + its number); -1 with err set on a read
 * error.
 */
int loop_run_file(struct capture *cap, struct pipeline *p, struct output *const *outs,
		  uint32_t n_outs, char *err, size_t errlen);

/*
 * Run live until SIGTERM/SIGINT: one epoll set over the capture fd, a
 * signalfd (TERM, INT: stop; HUP: reopen outputs) and a timerfd (output
 * retries, flow expiry, stats line, systemd watchdog). READY=1 is sent
 * once capture is live, STOPPING=1 on the way out; queues are flushed
 * within a bounded time. Returns 0, or -1 with err set.
 */
int loop_run_live(struct capture *cap, struct pipeline *p, struct output *const *outs,
		  uint32_t n_outs, char *err, size_t errlen);

/* One more fd for the next loop_run_live(): when it is readable, ready(ctx)
 * runs (the host's addresses changing, user/localips.c). fd < 0: none. */
void loop_watch_fd(int fd, void (*ready)(void *ctx), void *ctx);

#endif
