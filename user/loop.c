// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The loops that feed the pipeline. Offline: as fast as the file reads,
 * with packet time driving flow expiry exactly as live time would. Live:
 * one thread, one epoll set, no sleeps and no busy polling.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
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

/*
 * SIGINT/SIGTERM during a read: the first stops reading, the records found
 * so far are flushed and the final stats logged; a second exits at once.
 * A flag set by a handler rather than the live loop's signalfd: the read
 * loop has no fd to wait on. No SA_RESTART, so a read blocked on a pipe
 * (--read -) returns at the signal instead of waiting for more input.
 */
static volatile sig_atomic_t read_stop;

static void on_read_signal(int sig)
{
	if (read_stop)
		_exit(128 + sig);
	read_stop = sig;
}

static int read_signals(bool on, struct sigaction *old)
{
	struct sigaction sa = { .sa_handler = on_read_signal };

	if (!on)
		return sigaction(SIGINT, &old[0], NULL) | sigaction(SIGTERM, &old[1], NULL);
	read_stop = 0;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGINT, &sa, &old[0]) | sigaction(SIGTERM, &sa, &old[1]);
}

/* --read's progress line on a terminal: redrawn at most this often. */
#define LOOP_PROGRESS_MS 500

struct read_progress {
	uint64_t start, next; /* monotonic ns */
	int64_t size;         /* -1: not a regular file */
	bool shown;
};

static void human_bytes(char *buf, size_t len, double b)
{
	static const char *const units[] = { "B", "KB", "MB", "GB", "TB" };
	int u = 0;

	while (b >= 1000 && u < 4) {
		b /= 1000;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", b, units[u]);
}

/* "41.2 MB of 100.0 MB (41%), 120000 packets, 45 hellos, 35.1 MB/s, ETA 2 s";
 * from a pipe, what has been read and the rate only. */
static void show_progress(struct read_progress *rp, struct capture *cap, const struct pipeline *p,
			  uint64_t now)
{
	const struct pipeline_stats *s = pipeline_get_stats(p);
	double secs = (double)(now - rp->start) / 1e9;
	int64_t pos, size;
	char line[256], done[32], total[32], rate[32];
	double bytes;
	int n;

	capture_file_pos(cap, &pos, &size);
	bytes = pos >= 0 ? (double)pos : (double)s->bytes;
	human_bytes(done, sizeof(done), bytes);
	human_bytes(rate, sizeof(rate), secs > 0 ? bytes / secs : 0);
	if (size > 0) {
		human_bytes(total, sizeof(total), (double)size);
		n = snprintf(line, sizeof(line), "reading: %s of %s (%d%%)", done, total,
			     (int)(bytes * 100 / (double)size));
	} else {
		n = snprintf(line, sizeof(line), "reading: %s", done);
	}
	n += snprintf(line + n, sizeof(line) - (size_t)n, ", %llu packets, %llu hellos, %s/s",
		      (unsigned long long)s->packets, (unsigned long long)s->records, rate);
	if (size > 0 && bytes > 0 && secs > 0.2)
		snprintf(line + n, sizeof(line) - (size_t)n, ", ETA %.0f s",
			 ((double)size - bytes) * secs / bytes);
	log_progress(line);
	rp->shown = true;
}

int loop_run_file(struct capture *cap, struct pipeline *p, struct output *const *outs,
		  uint32_t n_outs, char *err, size_t errlen)
{
	struct read_progress rp = { .start = clock_ns(CLOCK_MONOTONIC) };
	bool tty = log_is_terminal();
	struct sigaction old[2];
	struct packet pkt;
	uint64_t records = 0;
	int64_t pos;
	int rc = 0;

	if (read_signals(true, old)) {
		snprintf(err, errlen, "sigaction: %s", strerror(errno));
		return -1;
	}
	for (uint32_t i = 0; i < n_outs; i++) {
		output_set_lossless(outs[i], true); /* offline: wait for a slow reader */
		/* Records on the same terminal would be written into the middle
		 * of the progress line: they are the progress then. */
		if (!strcmp(output_name(outs[i]), "stdout") && isatty(STDOUT_FILENO))
			tty = false;
	}
	capture_file_pos(cap, &pos, &rp.size);
	rp.next = rp.start + LOOP_PROGRESS_MS * 1000000ULL;
	while (!read_stop && (rc = capture_file_next(cap, &pkt, err, errlen)) > 0) {
		uint64_t now;

		if (rc == 1)
			pipeline_packet(p, &pkt);
		/* From a pipe the next read may wait for minutes (tcpdump -w -):
		 * a record found goes out now, not with the next batch. */
		if (rp.size < 0 && pipeline_get_stats(p)->records != records) {
			records = pipeline_get_stats(p)->records;
			for (uint32_t i = 0; i < n_outs; i++)
				output_drain(outs[i]);
		}
		now = clock_ns(CLOCK_MONOTONIC_COARSE);
		if (now < rp.next)
			continue;
		rp.next = now + LOOP_PROGRESS_MS * 1000000ULL;
		/* A file still being written shows its records as we reach them. */
		for (uint32_t i = 0; i < n_outs; i++)
			output_drain(outs[i]);
		if (tty)
			show_progress(&rp, cap, p, clock_ns(CLOCK_MONOTONIC));
	}
	if (rp.shown)
		log_progress(NULL);
	if (read_stop)
		log_info("main", "%s: stopped reading; writing the records found so far",
			 strsignal(read_stop));
	for (uint32_t i = 0; i < n_outs; i++)
		if (output_finish(outs[i]))
			log_warn("output", "%s: %u record(s) not delivered at the end of the read",
				 output_name(outs[i]), output_queued(outs[i]));
	if (read_signals(false, old))
		log_warn("main", "sigaction (restoring SIGINT/SIGTERM): %s", strerror(errno));
	if (read_stop)
		return read_stop; /* a read cut short by the signal is no error */
	return rc < 0 ? -1 : 0;
}

/*
 * The timer (a one-shot timerfd on CLOCK_MONOTONIC) is armed only for work
 * that is due: records queued for a failing output are retried every
 * LOOP_RETRY_MS (the outputs' backoff starts there); while flows wait to
 * expire or packets came since the last tick (expiry, kernel losses) it
 * ticks every LOOP_WORK_MS; otherwise only the stats line, the live state
 * (STATUS=, metrics file) and the systemd watchdog wake the daemon. An idle
 * sensor wakes a few times a minute, not ten times a second (each wake-up
 * costs ~80 us on a virtual machine).
 */
#define LOOP_RETRY_MS 100
#define LOOP_WORK_MS  1000
/* Fds in the epoll set (capture, signalfd, timerfd, the watched fd): one
 * epoll_wait returns them all when they are all ready. */
#define LOOP_N_FDS      4
#define LOOP_MAX_EVENTS 4
_Static_assert(LOOP_MAX_EVENTS >= LOOP_N_FDS, "one epoll_wait must see every ready fd");
/* Queues get this long to drain at stop (systemd's TimeoutStopSec is 2 s). */
#define LOOP_STOP_FLUSH_MS 1000

/* The fd loop_watch_fd() names, for the next live loop. */
static struct {
	int fd;
	void (*ready)(void *ctx);
	void *ctx;
} watch = { .fd = -1 };

void loop_watch_fd(int fd, void (*ready)(void *ctx), void *ctx)
{
	watch.fd = fd;
	watch.ready = ready;
	watch.ctx = ctx;
}

struct live {
	struct capture *cap;
	struct pipeline *p;
	struct output *const *outs;
	uint32_t n_outs;
	int ep, sfd, tfd;
	uint64_t next_stats, next_watchdog;
	uint64_t lost, lost_unreported, next_loss_check, next_loss_log;
	uint64_t last_tick; /* CLOCK_MONOTONIC of the last tick (or of the start) */
	uint64_t armed;     /* deadline the timer is armed for; UINT64_MAX: none */
	bool pending;       /* records still queued after the last drain */
	bool active;        /* packets read since the last tick */
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
	bool pending = false;

	for (uint32_t i = 0; i < l->n_outs; i++)
		if (output_drain(l->outs[i]))
			pending = true;
	l->pending = pending;
}

static uint64_t next_deadline(const struct live *l)
{
	uint64_t d = l->next_stats;

	if (stats_next_deadline() < d) /* STATUS= line, metrics file */
		d = stats_next_deadline();
	if (notify_watchdog_ns() && l->next_watchdog < d)
		d = l->next_watchdog;
	if (l->pending && l->last_tick + LOOP_RETRY_MS * 1000000ULL < d)
		d = l->last_tick + LOOP_RETRY_MS * 1000000ULL;
	if ((l->active || pipeline_flow_count(l->p) || pipeline_quic_count(l->p)) &&
	    l->last_tick + LOOP_WORK_MS * 1000000ULL < d)
		d = l->last_tick + LOOP_WORK_MS * 1000000ULL;
	return d ? d : 1; /* 0 would disarm; a past deadline fires at once */
}

/* Arm the timer when work is due before the deadline it is armed for (after
 * a tick nothing is armed): one timerfd_settime per change of plan, none
 * per slice under steady load. */
static void arm_timer(struct live *l)
{
	uint64_t d = next_deadline(l);
	struct itimerspec its = {
		.it_value = { .tv_sec = (time_t)(d / 1000000000ULL),
			      .tv_nsec = (long)(d % 1000000000ULL) },
	};

	if (d >= l->armed)
		return;
	if (timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL)) {
		log_warn("main", "timerfd: %s", strerror(errno));
		return;
	}
	l->armed = d;
}

static int setup_fds(struct live *l, char *err, size_t errlen)
{
	int fds[LOOP_N_FDS], i;
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1); /* every counter, now */
	if (sigprocmask(SIG_BLOCK, &mask, NULL) ||
	    (l->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    (l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0 ||
	    (l->ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		snprintf(err, errlen, "event loop setup: %s", strerror(errno));
		return -1;
	}
	fds[0] = capture_fd(l->cap);
	fds[1] = l->sfd;
	fds[2] = l->tfd;
	fds[3] = watch.fd;
	for (i = 0; i < LOOP_N_FDS; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fds[i] };

		if (fds[i] < 0)
			continue;
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
		} else if (si.ssi_signo == SIGUSR1) {
			stats_log_all(l->p, l->cap, l->outs, l->n_outs, "SIGUSR1");
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
	const char *what, *where;

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
	capture_lost_names(l->cap, &what, &where);
	log_warn("capture",
		 "%llu %s lost in the kernel before ja4sentinel read them (%s full); "
		 "hellos may be missing: raise core.packet_buffer_size",
		 (unsigned long long)l->lost_unreported, what, where);
	l->lost_unreported = 0;
	l->next_loss_log = now + LOOP_LOSS_LOG_SEC * 1000000000ULL;
}

static void on_tick(struct live *l)
{
	uint64_t ticks, now = clock_ns(CLOCK_MONOTONIC);

	if (read(l->tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		log_warn("main", "timerfd: %s", strerror(errno));
	l->armed = UINT64_MAX; /* one-shot: it fired */
	l->last_tick = now;
	drain_outputs(l);
	pipeline_tick(l->p, now); /* flows age on CLOCK_MONOTONIC (packet.mono_ns) */
	check_loss(l, now);
	l->active = false;
	if (now >= l->next_stats) {
		stats_log(l->p, l->cap, l->outs, l->n_outs, false);
		l->next_stats = now + STATS_INTERVAL_SEC * 1000000000ULL;
	}
	stats_tick(l->p, l->cap, l->outs, l->n_outs, now);
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
			else if (ev[i].data.fd == watch.fd)
				watch.ready(watch.ctx);
		}
		if (cap_ready && !l->stop) {
			int got = capture_dispatch(l->cap, on_packet, l->p, &more, err, errlen);

			if (got < 0)
				return -1;
			if (got > 0)
				l->active = true;
			drain_outputs(l);
		}
		arm_timer(l);
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
	l.last_tick = clock_ns(CLOCK_MONOTONIC);
	l.next_stats = l.last_tick + STATS_INTERVAL_SEC * 1000000000ULL;
	l.next_watchdog = l.last_tick; /* the first WATCHDOG=1 at once */
	l.armed = UINT64_MAX;
	arm_timer(&l);
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
