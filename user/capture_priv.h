/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Private to the capture_*.c files: the capture object and the operations
 * each backend provides behind include/capture.h.
 */
#ifndef J4S_CAPTURE_PRIV_H
#define J4S_CAPTURE_PRIV_H

#include "capture.h"

struct capture_ops {
	int (*fd)(const struct capture *c);
	int (*dispatch)(struct capture *c, capture_cb cb, void *ctx, char *err, size_t errlen);
	void (*stats_json)(struct capture *c, struct json_object *o);
	uint64_t (*lost)(struct capture *c); /* may be NULL: nothing is lost */
	void (*close)(struct capture *c);
};

struct capture {
	const struct capture_ops *ops;
	const char *mode;      /* "file", "pcap", "tc", "xdp" */
	const char *link_name; /* for the startup log */
	struct capture_stats st;
	void *priv;
};

#endif
