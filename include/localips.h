/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * localips: core.local_ips: [] in a live capture means the host's own
 * addresses on the watched interfaces (ifaddr_auto_local), as the Go
 * daemon meant it. They are resolved before the capture opens, kept
 * current from rtnetlink address events, and handed to the capture's
 * kernel set and to the pipeline's filter on every change, with a log
 * line saying what is in effect.
 */
#ifndef J4S_LOCALIPS_H
#define J4S_LOCALIPS_H

#include <stddef.h>

struct config;
struct capture;
struct pipeline;
struct localips;

/*
 * When cfg lists no local_ips: watch address changes, resolve the host's
 * addresses into cfg->local_ips and set cfg->local_auto. Returns the state
 * (NULL with *err empty when local_ips are listed: nothing to do), or NULL
 * with a message in err.
 */
struct localips *localips_open(struct config *cfg, char *err, size_t errlen);

/* Where changes go from now on; the loop's watched fd is set too. */
void localips_attach(struct localips *l, struct capture *cap, struct pipeline *p);

/* Readable watch fd: look again, apply and log a change (loop callback). */
void localips_update(void *l);

void localips_close(struct localips *l);

#endif
