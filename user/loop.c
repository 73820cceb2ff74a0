// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The loops that feed the pipeline. Offline: as fast as the file reads,
 * with packet time driving flow expiry exactly as live time would. Live:
 * one thread, one epoll set, no sleeps and no busy polling.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "capture.h"
#include "clock.h"
#include "defaults.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "output.h"
#include "pipeline.h"
#include "stats.h"

/* How long the end of a read waits for outputs to take the last records. */
#define LOOP_READ_FLUSH_MS 30000

int loop_run_file(struct capture *cap, struct pipeline *p, struct output *const *outs,
		  uint32_t n_outs, char *err, size_t errlen)
{
	struct packet pkt;
	int rc;

	for (uint32_t i = 0; i < n_outs; i++)
		output_set_lossless(outs[i], true); /* offline: wait for a slow reader */
	while ((rc = capture_pcap_next(cap, &pkt, err, errlen)) == 1)
		pipeline_packet(p, &pkt);
	for (uint32_t i = 0; i < n_outs; i++)
		if (output_flush(outs[i], LOOP_READ_FLUSH_MS))
			log_warn("output", "%s: %u record(s) not delivered at the end of the read",
				 output_name(outs[i]), output_queued(outs[i]));
	return rc < 0 ? -1 : 0;
}

/* Timer tick: output retries, expiry, stats and watchdog are checked at it. */
#define LOOP_TICK_MS 100
/* Fds in the epoll set (capture, signalfd, timerfd): one epoll_wait returns
 * them all when they are all ready. */
#define LOOP_N_FDS      3
#define LOOP_MAX_EVENTS 4
_Static_assert(LOOP_MAX_EVENTS >= LOOP_N_FDS, "one epoll_wait must see every ready fd");
/* Queues get this long to drain at stop (systemd's TimeoutStopSec is 2 s). */
#define LOOP_STOP_FLUSH_MS 1000

struct live {
	struct capture *cap;
	struct pipeline *p;
	struct output *const *outs;
	uint32_t n_outs;
	int ep, sfd, tfd;
	uint64_t next_stats, next_watchdog;
	uint64_t lost, lost_unreported, next_loss_check, next_loss_log;
	bool stop;
	bool hurry; /* a second SIGTERM/SIGINT: no more waiting for the queues */
};

/* Losses in the kernel (ring buffer or pcap buffer full) are looked for
 * every second and logged at most every LOOP_LOSS_LOG_SEC, with the count
 * since the last line: a record missing is a client not fingerprinted. */
#define LOOP_LOSS_LOG_SEC 10

static void on_packet(void *ctx, const struct packet *pkt)
{
	pipeline_packet(ctx, pkt);
}

static void drain_outputs(struct live *l)
{
	for (uint32_t i = 0; i < l->n_outs; i++)
		output_drain(l->outs[i]);
}

static int setup_fds(struct live *l, char *err, size_t errlen)
{
	struct itimerspec its = {
		.it_interval = { .tv_nsec = LOOP_TICK_MS * 1000000L },
		.it_value = { .tv_nsec = LOOP_TICK_MS * 1000000L },
	};
	int fds[LOOP_N_FDS], i;
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) ||
	    (l->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    (l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0 ||
	    timerfd_settime(l->tfd, 0, &its, NULL) || (l->ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		snprintf(err, errlen, "event loop setup: %s", strerror(errno));
		return -1;
	}
	fds[0] = capture_fd(l->cap);
	fds[1] = l->sfd;
	fds[2] = l->tfd;
	for (i = 0; i < LOOP_N_FDS; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fds[i] };

		if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fds[i], &ev)) {
			snprintf(err, errlen, "epoll_ctl: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * SIGHUP. A destination that cannot be reopened keeps its old one (a file
 * renamed by logrotate is still written), so records are not lost. One line
 * per output and SIGHUP: signals come from an operator or logrotate, not
 * per packet, so no rate limit is needed.
 */
static void reopen_outputs(struct live *l)
{
	for (uint32_t i = 0; i < l->n_outs; i++) {
		int r = output_reopen(l->outs[i]);

		if (r)
			log_error("output",
				  "%s: cannot reopen: %s; still writing to the old "
				  "destination",
				  output_name(l->outs[i]), strerror(-r));
	}
}

static void on_signal(struct live *l)
{
	struct signalfd_siginfo si;

	while (read(l->sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("main", "SIGHUP: reopening outputs");
			reopen_outputs(l);
		} else if (l->stop) {
			/* Still detach and unpin on the way out (every stop path
			 * does): only the wait for the queues is cut short. */
			if (!l->hurry)
				log_warn("main",
					 "second %s: stopping without waiting for the queues",
					 strsignal((int)si.ssi_signo));
			l->hurry = true;
		} else {
			log_info("main", "%s: stopping", strsignal((int)si.ssi_signo));
			l->stop = true;
		}
	}
}

static void check_loss(struct live *l, uint64_t now)
{
	uint64_t lost;
	bool pcap;

	if (now < l->next_loss_check)
		return;
	l->next_loss_check = now + 1000000000ULL;
	lost = capture_lost(l->cap);
	if (lost < l->lost)
		return; /* a failed read: the counters only grow */
	l->lost_unreported += lost - l->lost;
	l->lost = lost;
	if (!l->lost_unreported || now < l->next_loss_log)
		return;
	pcap = capture_get_mode(l->cap) == CAPTURE_PCAP;
	log_warn("capture",
		 "%llu %s lost in the kernel before ja4sentinel read them (%s full); "
		 "hellos may be missing: raise core.packet_buffer_size",
		 (unsigned long long)l->lost_unreported, pcap ? "packets" : "events",
		 pcap ? "capture buffer" : "ring buffer");
	l->lost_unreported = 0;
	l->next_loss_log = now + LOOP_LOSS_LOG_SEC * 1000000000ULL;
}

static void on_tick(struct live *l)
{
	uint64_t ticks, now = clock_ns(CLOCK_MONOTONIC);

	if (read(l->tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		log_warn("main", "timerfd: %s", strerror(errno));
	drain_outputs(l);
	pipeline_tick(l->p, clock_ns(CLOCK_REALTIME));
	check_loss(l, now);
	if (now >= l->next_stats) {
		stats_log(l->p, l->cap, l->outs, l->n_outs, false);
		l->next_stats = now + STATS_INTERVAL_SEC * 1000000000ULL;
	}
	if (notify_watchdog_ns() && now >= l->next_watchdog) {
		notify_send("WATCHDOG=1");
		l->next_watchdog = now + notify_watchdog_ns();
	}
}

/*
 * Capture input is read in bounded slices (capture_dispatch: at most
 * CAPTURE_SLICE_EVENTS or CAPTURE_SLICE_MS), and every slice is followed by
 * an epoll_wait that reports every ready fd at once (LOOP_MAX_EVENTS is at
 * least the number of fds in the set, all level-triggered): a capture fd
 * that is always ready cannot starve the signalfd or the timerfd, so
 * SIGTERM and the watchdog are served within a tick plus a slice. Signals
 * and the timer are handled before the capture's slice, so a stop is not
 * delayed by one more. When a slice ended on its budget, the next wait does
 * not block and the capture gets another slice even if its fd is not
 * reported: libpcap may hold the rest of a ring block that no new readiness
 * would announce.
 */
static int run_events(struct live *l, char *err, size_t errlen)
{
	int cap_fd = capture_fd(l->cap);
	bool more = false;

	while (!l->stop) {
		struct epoll_event ev[LOOP_MAX_EVENTS];
		int n = epoll_wait(l->ep, ev, LOOP_MAX_EVENTS, more ? 0 : -1);
		bool cap_ready = more;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "epoll_wait: %s", strerror(errno));
			return -1;
		}
		for (int i = 0; i < n; i++) {
			if (ev[i].data.fd == cap_fd)
				cap_ready = true;
			else if (ev[i].data.fd == l->sfd)
				on_signal(l);
			else if (ev[i].data.fd == l->tfd)
				on_tick(l);
		}
		if (cap_ready && !l->stop) {
			if (capture_dispatch(l->cap, on_packet, l->p, &more, err, errlen) < 0)
				return -1;
			drain_outputs(l);
		}
	}
	return 0;
}

int loop_run_live(struct capture *cap, struct pipeline *p, struct output *const *outs,
		  uint32_t n_outs, char *err, size_t errlen)
{
	struct live l = {
		.cap = cap, .p = p, .outs = outs, .n_outs = n_outs, .ep = -1, .sfd = -1, .tfd = -1
	};
	uint64_t deadline;
	bool more;
	int ret = -1;

	if (setup_fds(&l, err, errlen))
		goto out;
	l.next_stats = clock_ns(CLOCK_MONOTONIC) + STATS_INTERVAL_SEC * 1000000000ULL;
	notify_send("READY=1\nSTATUS=capturing");
	ret = run_events(&l, err, errlen);
	notify_send("STOPPING=1");
	/* Last packets already captured (one slice: bounded like every other,
	 * so a flood cannot hold the stop), then the queues, all within the
	 * bound. */
	if (capture_dispatch(cap, on_packet, p, &more, err, errlen) < 0)
		log_warn("capture", "last read at stop: %s", err);
	deadline = clock_ns(CLOCK_MONOTONIC) + LOOP_STOP_FLUSH_MS * 1000000ULL;
	for (uint32_t i = 0; i < n_outs; i++) {
		uint64_t now = clock_ns(CLOCK_MONOTONIC);
		int left = now < deadline ? (int)((deadline - now) / 1000000ULL) : 0;

		on_signal(&l); /* a second SIGTERM meanwhile: hurry */
		if (l.hurry)
			left = 0;

		if (output_flush(outs[i], left))
			log_warn("output", "%s: %u record(s) still queued at stop, dropped",
				 output_name(outs[i]), output_queued(outs[i]));
	}
out:
	if (l.ep >= 0)
		close(l.ep);
	if (l.tfd >= 0)
		close(l.tfd);
	if (l.sfd >= 0)
		close(l.sfd);
	return ret;
}
