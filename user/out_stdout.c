// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * stdout output: one JSON object per line. Fully buffered when stdout is not
 * a terminal (offline reads write hundreds of thousands of lines a second),
 * flushed by the loop at least once per tick and at stop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "output.h"

static int stdout_write(struct output *o, const char *rec, size_t len)
{
	(void)o;
	if (fwrite(rec, 1, len, stdout) != len || putc('\n', stdout) == EOF)
		return -EIO;
	return 0;
}

static int stdout_flush(struct output *o)
{
	(void)o;
	return fflush(stdout) ? -errno : 0;
}

static void stdout_close(struct output *o)
{
	free(o);
}

static const struct output_ops stdout_ops = {
	.type = "stdout",
	.write = stdout_write,
	.flush = stdout_flush,
	.close = stdout_close,
};

struct output *out_stdout_open(void)
{
	static char buf[1 << 16];
	struct output *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->ops = &stdout_ops;
	snprintf(o->name, sizeof(o->name), "stdout");
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, buf, _IOFBF, sizeof(buf));
	return o;
}
