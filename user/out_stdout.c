// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * stdout output: JSON lines on file descriptor 1, through the stream
 * writer of out_file.c; nothing to reopen.
 */
#include <unistd.h>
#include "output_priv.h"
#include "out_stream.h"

struct output *out_stdout_open(uint32_t queue)
{
	return out_stream_open(STDOUT_FILENO, NULL, "stdout", queue);
}
