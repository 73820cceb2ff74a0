/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Private to output.c and the out_*.c files (and tests/unit/test_output.c):
 * struct output itself and the interface an output type implements. The
 * rest of the program sees only the opaque handle and the accessors of
 * include/output.h, so the queue and the retry state change in one place.
 */
#ifndef J4S_OUTPUT_PRIV_H
#define J4S_OUTPUT_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include "output.h"

/* Result of one delivery attempt. */
enum output_send {
	OUTPUT_SENT = 0, /* progress: *done records went out whole */
	OUTPUT_AGAIN,    /* would block: keep the rest, try on the next drain */
	OUTPUT_FAILED,   /* destination unusable: keep the rest, back off (o->err set) */
	OUTPUT_REJECTED, /* the head record can never go (e.g. too big): drop it */
};

struct output_ops {
	/* Deliver queued records from the head (output_item()); *done = how
	 * many went out whole. Must not block. */
	enum output_send (*send)(struct output *o, uint32_t *done);
	/* SIGHUP: 0 or a negative errno, a failure left to the caller to
	 * log; NULL if nothing to reopen. */
	int (*reopen)(struct output *o);
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
	char name[288]; /* "stdout", "file:/path", "unix_socket:/path" */
	void *priv;
	int err;      /* errno of the last failure */
	bool failing; /* in backoff since the last failure */
	uint32_t backoff_ms;
	uint64_t retry_ns;     /* monotonic time of the next attempt while failing */
	uint64_t fail_run;     /* failures since the last success */
	uint64_t drop_run;     /* drops since the last success */
	uint64_t last_log_ns;  /* rate limit of failure logs */
	struct output_item *q; /* ring of cap records */
	uint32_t cap, head, count;
	bool lossless; /* offline reads: wait for room instead of dropping */
	/* Set by a send that wrote part of the head record (a stream cut by a
	 * short write): drop-oldest then spares the head, or the rest of its
	 * line would be glued to the next record. */
	bool head_started;
	/* CLOCK_MONOTONIC in ns; output_new() sets it, unit tests replace it. */
	uint64_t (*now_ns)(void);
};

/* The constructors output_open() picks from; NULL with errno on failure. */
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

#endif
