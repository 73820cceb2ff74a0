/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * output: where records go. Every output type (stdout, file, unix_socket)
 * sits behind struct output_ops; the pipeline hands each record to every
 * enabled output and never learns which kind it is.
 *
 * Each output owns a queue of async_buffer records. output_write() copies
 * the record in and tries to deliver without blocking; what cannot go now
 * waits for output_drain() (the loop calls it on its tick). When the queue
 * is full the oldest record is dropped and counted. A failing destination
 * is retried with exponential backoff (100 ms to 2 s); its failures are
 * logged rate-limited and its recovery once. One output's trouble never
 * delays another.
 */
#ifndef J4S_OUTPUT_H
#define J4S_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct output;
struct config_output;

struct output_stats {
	uint64_t sent;     /* records delivered */
	uint64_t dropped;  /* records lost: queue full or undeliverable */
	uint64_t failures; /* failed delivery attempts */
	uint64_t reconnects;
};

/* Result of one delivery attempt. */
enum output_send {
	OUTPUT_SENT = 0,   /* progress: *done records went out whole */
	OUTPUT_AGAIN,      /* would block: keep the rest, try on the next drain */
	OUTPUT_FAILED,     /* destination unusable: keep the rest, back off (o->err set) */
	OUTPUT_REJECTED,   /* the head record can never go (e.g. too big): drop it */
};

struct output_ops {
	const char *type;
	/* Deliver queued records from the head (output_item()); *done = how
	 * many went out whole. Must not block. */
	enum output_send (*send)(struct output *o, uint32_t *done);
	int (*reopen)(struct output *o); /* SIGHUP; NULL if nothing to reopen */
	int (*fd)(const struct output *o); /* for waiting on POLLOUT; -1 if none */
	void (*close)(struct output *o);
};

struct output_item {
	char *buf;
	uint32_t len, cap;
};

struct output {
	const struct output_ops *ops;
	struct output_stats stats;
	char name[288];         /* "stdout", "file:/path", "unix_socket:/path" */
	void *priv;
	int err;                /* errno of the last failure */
	bool failing;           /* in backoff since the last failure */
	uint32_t backoff_ms;
	uint64_t retry_ns;      /* monotonic time of the next attempt while failing */
	uint64_t fail_run;      /* failures since the last success */
	uint64_t drop_run;      /* drops since the last success */
	uint64_t last_log_ns;   /* rate limit of failure logs */
	struct output_item *q;  /* ring of cap records */
	uint32_t cap, head, count;
	bool lossless;          /* offline reads: wait for room instead of dropping */
};

/* Backoff bounds of a failing destination. */
#define OUTPUT_BACKOFF_MIN_MS 100
#define OUTPUT_BACKOFF_MAX_MS 2000
/* At most one failure line per output per this many seconds. */
#define OUTPUT_LOG_INTERVAL_SEC 60

/* Create the output a config entry describes; NULL with errno on failure. */
struct output *output_open(const struct config_output *co);
struct output *out_stdout_open(uint32_t queue);
struct output *out_file_open(const char *path, uint32_t queue);
struct output *out_unix_open(const char *path, uint32_t queue);

/* The i-th queued record from the head, for the out_*.c files. */
static inline struct output_item *output_item(struct output *o, uint32_t i)
{
	return &o->q[(o->head + i) % o->cap];
}

/* Shared constructor for the out_*.c files. */
struct output *output_new(const struct output_ops *ops, uint32_t queue, const char *name,
			  void *priv);

/* Queue one record (copied); never blocks unless lossless. The loop
 * drains after each batch of packets, so records leave together. */
void output_write(struct output *o, const char *rec, size_t len);
/* Deliver what can be delivered now; returns records still queued. */
uint32_t output_drain(struct output *o);
/*
 * Wait, up to timeout_ms, until the queue is empty (stop, end of a read).
 * Returns records still queued.
 */
uint32_t output_flush(struct output *o, int timeout_ms);
int output_reopen(struct output *o);
void output_close(struct output *o);

#endif
