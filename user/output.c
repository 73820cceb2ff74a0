// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The output interface and what every output shares: the record queue,
 * drop-oldest when full, backoff of a failing destination, rate-limited
 * failure logs and the one recovery line. The out_*.c files only know how
 * to hand one record to their destination.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "config.h"
#include "log.h"
#include "clock.h"
#include "output_priv.h"

static uint64_t mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

struct output *output_open(const struct config_output *co)
{
	switch (co->type) {
	case OUTPUT_STDOUT:
		return out_stdout_open(co->async_buffer);
	case OUTPUT_FILE:
		return out_file_open(co->path, co->async_buffer);
	case OUTPUT_UNIX_SOCKET:
		return out_unix_open(co->path, co->async_buffer);
	}
	errno = EINVAL;
	return NULL;
}

struct output *output_new(const struct output_ops *ops, uint32_t queue, const char *name,
			  void *priv)
{
	struct output *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->q = calloc(queue ? queue : 1, sizeof(*o->q));
	if (!o->q) {
		free(o);
		return NULL;
	}
	o->ops = ops;
	o->cap = queue ? queue : 1;
	o->priv = priv;
	o->backoff_ms = OUTPUT_BACKOFF_MIN_MS;
	o->now_ns = mono_ns;
	strncpy(o->name, name, sizeof(o->name) - 1);
	return o;
}

/*
 * A released slot keeps its buffer for the next record unless a burst of
 * big records grew it past OUTPUT_SLOT_KEEP_BYTES: then it is given back,
 * so after a burst an output holds at most async_buffer x this, not
 * async_buffer x RECORD_MAX_BYTES, for the rest of its life.
 */
static void pop(struct output *o)
{
	struct output_item *it = &o->q[o->head];

	if (it->cap > OUTPUT_SLOT_KEEP_BYTES) {
		free(it->buf);
		it->buf = NULL;
		it->cap = 0;
	}
	o->head = (o->head + 1) % o->cap;
	o->count--;
}

static int push(struct output *o, const char *rec, size_t len)
{
	struct output_item *it;

	if (o->count == o->cap) {
		/* Full: the oldest record goes, the newest is the one that matters;
		 * a head already partly written stays and the next one goes. */
		if (o->head_started && o->cap == 1)
			return -ENOBUFS;
		if (o->head_started) {
			uint32_t next = (o->head + 1) % o->cap;
			struct output_item t = o->q[o->head];

			o->q[o->head] = o->q[next];
			o->q[next] = t;
		}
		pop(o);
		o->stats.dropped++;
		o->drop_run++;
	}
	it = &o->q[(o->head + o->count) % o->cap];
	if (it->cap < len) {
		/* Up to a multiple of 256 bytes (at most 255 more a slot): sized
		 * to the byte, a slot was reallocated whenever its record was a
		 * few bytes longer than the last one, half the records (~160
		 * instructions each). Not past what pop() keeps. */
		size_t want = (len + 255) & ~(size_t)255;
		char *nb;

		if (want > OUTPUT_SLOT_KEEP_BYTES && len <= OUTPUT_SLOT_KEEP_BYTES)
			want = OUTPUT_SLOT_KEEP_BYTES;
		else if (want > OUTPUT_SLOT_KEEP_BYTES)
			want = len;
		nb = realloc(it->buf, want);
		if (!nb)
			return -ENOMEM;
		it->buf = nb;
		it->cap = (uint32_t)want;
	}
	memcpy(it->buf, rec, len);
	it->len = (uint32_t)len;
	o->count++;
	return 0;
}

static void note_failure(struct output *o, uint64_t now)
{
	o->stats.failures++;
	o->fail_run++;
	if (!o->failing || now - o->last_log_ns >= OUTPUT_LOG_INTERVAL_SEC * 1000000000ULL) {
		log_warn("output",
			 "%s: cannot deliver (%s); %u record(s) queued, %llu failure(s), "
			 "retrying every %u ms at most",
			 o->name, strerror(o->err), o->count, (unsigned long long)o->fail_run,
			 OUTPUT_BACKOFF_MAX_MS);
		o->last_log_ns = now;
	}
	o->retry_ns = now + (uint64_t)o->backoff_ms * 1000000ULL;
	o->backoff_ms = o->backoff_ms * 2 > OUTPUT_BACKOFF_MAX_MS ? OUTPUT_BACKOFF_MAX_MS
								  : o->backoff_ms * 2;
	o->failing = true;
}

static void note_success(struct output *o)
{
	if (o->failing) {
		log_info("output",
			 "%s: delivering again after %llu failed attempt(s); %llu record(s) "
			 "dropped meanwhile",
			 o->name, (unsigned long long)o->fail_run, (unsigned long long)o->drop_run);
		o->stats.reconnects++;
	}
	o->failing = false;
	o->backoff_ms = OUTPUT_BACKOFF_MIN_MS;
	o->fail_run = 0;
	o->drop_run = 0;
}

uint32_t output_drain(struct output *o)
{
	uint64_t now = 0;

	if (o->failing && (now = o->now_ns()) < o->retry_ns)
		return o->count;
	while (o->count) {
		uint32_t done = 0;
		enum output_send r = o->ops->send(o, &done);

		for (uint32_t i = 0; i < done; i++)
			pop(o);
		o->stats.sent += done;
		if (done)
			note_success(o);
		switch (r) {
		case OUTPUT_SENT:
			break;
		case OUTPUT_REJECTED:
			pop(o);
			o->stats.dropped++;
			break;
		case OUTPUT_AGAIN:
			return o->count;
		case OUTPUT_FAILED:
			note_failure(o, now ? now : o->now_ns());
			return o->count;
		}
	}
	return 0;
}

/* Records gather in the queue; a full batch goes at once. */
#define OUTPUT_BATCH 64

/*
 * Offline reads wait for a destination that takes no record at all, but
 * only once per output: after OUTPUT_LOSSLESS_WAIT_MS without a single
 * record delivered the output drops the oldest and counts, as in live
 * capture, so an absent correlator costs one wait per read, not one per
 * record.
 */
static void give_up_waiting(struct output *o)
{
	o->lossless = false;
	log_warn("output",
		 "%s: no record delivered for %d s (%s); from now on the oldest queued "
		 "record is dropped when the queue is full (counted in the stats)",
		 o->name, OUTPUT_LOSSLESS_WAIT_MS / 1000,
		 o->failing ? strerror(o->err) : "destination full");
}

void output_write(struct output *o, const char *rec, size_t len)
{
	/* Nothing is queued while flush waits: still full = nothing went. */
	if (o->lossless && o->count == o->cap && output_flush(o, OUTPUT_LOSSLESS_WAIT_MS) == o->cap)
		give_up_waiting(o);
	if (push(o, rec, len)) {
		o->stats.dropped++;
		return;
	}
	if (o->count >= OUTPUT_BATCH)
		output_drain(o);
}

uint32_t output_flush(struct output *o, int timeout_ms)
{
	uint64_t deadline = o->now_ns() + (uint64_t)timeout_ms * 1000000ULL;

	while (output_drain(o)) {
		uint64_t now = o->now_ns();
		int fd = o->ops->fd ? o->ops->fd(o) : -1;
		int wait;

		if (now >= deadline)
			break;
		wait = (int)((deadline - now) / 1000000ULL);
		if (o->failing && o->retry_ns > now &&
		    (int)((o->retry_ns - now) / 1000000ULL) < wait)
			wait = (int)((o->retry_ns - now) / 1000000ULL) + 1;
		if (fd >= 0 && !o->failing)
			poll(&(struct pollfd){ .fd = fd, .events = POLLOUT }, 1,
			     wait < 10 ? wait : 10);
		else
			nanosleep(&(struct timespec){ .tv_nsec = (long)(wait < 10 ? wait : 10) *
								 1000000L },
				  NULL);
	}
	return o->count;
}

uint32_t output_finish(struct output *o)
{
	uint64_t sent;

	if (!o->lossless)
		return output_flush(o, 0);
	do {
		sent = o->stats.sent;
		if (!output_flush(o, OUTPUT_LOSSLESS_WAIT_MS))
			return 0;
	} while (o->stats.sent != sent);
	o->lossless = false; /* the caller reports what is left */
	return o->count;
}

int output_reopen(struct output *o)
{
	return o->ops->reopen ? o->ops->reopen(o) : 0;
}

const char *output_name(const struct output *o)
{
	return o->name;
}

uint32_t output_queued(const struct output *o)
{
	return o->count;
}

const struct output_stats *output_get_stats(const struct output *o)
{
	return &o->stats;
}

void output_set_lossless(struct output *o, bool lossless)
{
	o->lossless = lossless;
}

void output_close(struct output *o)
{
	if (!o)
		return;
	o->ops->close(o);
	for (uint32_t i = 0; i < o->cap; i++)
		free(o->q[i].buf);
	free(o->q);
	free(o);
}
