/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Private to the capture_*.c files: the capture object and the operations
 * each backend provides behind include/capture.h.
 */
#ifndef J4S_CAPTURE_PRIV_H
#define J4S_CAPTURE_PRIV_H

#include "capture.h"

/*
 * One table per backend (tc, xdp, pcap live, pcap file). Opening is each
 * backend's own entry point in capture.h (its arguments differ); from then
 * on user/capture.c reaches the backend through these only.
 */
struct capture_ops {
	enum capture_mode mode;
	int (*fd)(const struct capture *c);
	/* One slice: stop when b is spent (capture_budget_charge) or the
	 * input is empty; the count handed on, or -1 with err. */
	int (*dispatch)(struct capture *c, struct capture_budget *b, capture_cb cb, void *ctx,
			char *err, size_t errlen);
	void (*stats_json)(struct capture *c, struct json_object *o); /* may be NULL */
	uint64_t (*lost)(struct capture *c); /* may be NULL: nothing is lost */
	void (*close)(struct capture *c);    /* detach and free priv */
	/* Capabilities close still needs (privs.h bits); may be NULL: none. */
	uint64_t (*detach_caps)(struct capture *c);
};

struct capture {
	const struct capture_ops *ops;
	const char *link_name; /* for the startup log */
	struct capture_stats st;
	void *priv;
};

/* A capture of ops around priv, or NULL (errno set). */
struct capture *capture_new(const struct capture_ops *ops, void *priv);

#endif
