/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * output: where records go. Every output type (stdout, file, unix_socket)
 * sits behind one opaque struct output; the pipeline hands each record to
 * every enabled output and never learns which kind it is. The structure,
 * the per-type interface (struct output_ops) and the type constructors are
 * private to user/output.c and user/out_*.c (user/output_priv.h); the rest
 * of the program uses the functions below.
 *
 * Each output owns a queue of async_buffer records. output_write() copies
 * the record in and delivers, without blocking, once 64 are queued; the
 * rest goes with output_drain(), which the loop calls after each slice of
 * packets and on its tick. When the queue
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
	uint64_t torn; /* lines a failed write cut short, left behind at a reopen */
};

/* Backoff bounds of a failing destination. */
#define OUTPUT_BACKOFF_MIN_MS 100
#define OUTPUT_BACKOFF_MAX_MS 2000
/* Bytes a queue slot keeps allocated once its record is gone: a usual
 * record (1-2 KiB, a few KiB with raw fingerprints) reuses it; a bigger one
 * (up to RECORD_MAX_BYTES) has its buffer freed when it leaves. */
#define OUTPUT_SLOT_KEEP_BYTES 8192
/* At most one failure line per output per this many seconds. */
#define OUTPUT_LOG_INTERVAL_SEC 60

/* Create the output a config entry describes; NULL with errno on failure. */
struct output *output_open(const struct config_output *co);

/* Queue one record (copied); never blocks unless lossless (and then once at
 * most, see output_set_lossless). The loop drains after each batch of
 * packets, so records leave together. */
void output_write(struct output *o, const char *rec, size_t len);
/* Deliver what can be delivered now; returns records still queued. */
uint32_t output_drain(struct output *o);
/*
 * Wait, up to timeout_ms, until the queue is empty (stop, end of a read).
 * Returns records still queued.
 */
uint32_t output_flush(struct output *o, int timeout_ms);
/* Reopen the destination (SIGHUP, after logrotate's mv): 0 or a negative
 * errno, in which case the output keeps writing where it wrote before. */
int output_reopen(struct output *o);
void output_close(struct output *o);

/* "stdout", "file:/path" or "unix_socket:/path", for logs and stats. */
const char *output_name(const struct output *o);
/* Records waiting in the queue. */
uint32_t output_queued(const struct output *o);
const struct output_stats *output_get_stats(const struct output *o);
/*
 * Offline reads: when the queue is full, wait for room instead of dropping;
 * after OUTPUT_LOSSLESS_WAIT_MS without one record delivered, give up (log
 * once) and drop the oldest from then on, like live capture.
 */
void output_set_lossless(struct output *o, bool lossless);
/* A lossless output waits this long for a destination that takes nothing. */
#define OUTPUT_LOSSLESS_WAIT_MS 5000
/*
 * End of an offline read: a lossless output waits while its destination
 * keeps taking records (giving up after OUTPUT_LOSSLESS_WAIT_MS without
 * progress); one that gave up already, or is not lossless, only tries
 * once more. So an unreachable output is waited for once per read.
 * Returns records still queued.
 */
uint32_t output_finish(struct output *o);

#endif
