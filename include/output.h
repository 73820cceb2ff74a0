/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * output: where records go. Every output type (stdout, file, unix_socket)
 * sits behind struct output_ops; the pipeline hands each record to every
 * enabled output and never learns which kind it is. A failing output counts
 * its own losses and never stalls the others.
 */
#ifndef J4S_OUTPUT_H
#define J4S_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

struct output;
struct config_output;

struct output_stats {
	uint64_t sent;    /* records handed to the destination */
	uint64_t dropped; /* records lost (queue full, write error) */
	uint64_t errors;  /* failed writes */
};

struct output_ops {
	const char *type;
	/* Take one record (len bytes, no newline); must not block. */
	int (*write)(struct output *o, const char *rec, size_t len);
	/* Push buffered records out; called from the loop and at stop. */
	int (*flush)(struct output *o);
	/* SIGHUP: reopen what can be reopened. */
	int (*reopen)(struct output *o);
	void (*close)(struct output *o);
};

struct output {
	const struct output_ops *ops;
	struct output_stats stats;
	char name[32]; /* "stdout", "file:/path", ... for logs */
	void *priv;
};

/* Create the output a config entry describes; NULL with errno on failure. */
struct output *output_open(const struct config_output *co);
struct output *out_stdout_open(void);

int output_write(struct output *o, const char *rec, size_t len);
int output_flush(struct output *o);
int output_reopen(struct output *o);
void output_close(struct output *o);

#endif
