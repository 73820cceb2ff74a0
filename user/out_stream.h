/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Private to out_file.c and out_stdout.c (and tests/unit/test_output.c):
 * an output writing JSON lines to a file descriptor, in batches, never
 * blocking on a pipe.
 */
#ifndef J4S_OUT_STREAM_H
#define J4S_OUT_STREAM_H

#include <stdint.h>

struct output;

/* path: the file to reopen on SIGHUP, or NULL (stdout). */
struct output *out_stream_open(int fd, const char *path, const char *name, uint32_t queue);

#endif
