// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The output interface: picks the implementation a config entry names and
 * forwards calls. Outputs count their own results.
 */
#include <errno.h>
#include <stdlib.h>
#include "config.h"
#include "output.h"

struct output *output_open(const struct config_output *co)
{
	switch (co->type) {
	case OUTPUT_STDOUT:
		return out_stdout_open();
	default:
		errno = ENOTSUP; /* file and unix_socket: issue #3 */
		return NULL;
	}
}

int output_write(struct output *o, const char *rec, size_t len)
{
	int err = o->ops->write(o, rec, len);

	if (err) {
		o->stats.errors++;
		o->stats.dropped++;
	} else {
		o->stats.sent++;
	}
	return err;
}

int output_flush(struct output *o)
{
	return o->ops->flush ? o->ops->flush(o) : 0;
}

int output_reopen(struct output *o)
{
	return o->ops->reopen ? o->ops->reopen(o) : 0;
}

void output_close(struct output *o)
{
	if (!o)
		return;
	output_flush(o);
	o->ops->close(o);
}
