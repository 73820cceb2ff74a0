/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * notify: the systemd notification protocol (sd_notify(3)), written out:
 * one datagram per state change to $NOTIFY_SOCKET (a path, or an abstract
 * name when it starts with '@'). READY=1, WATCHDOG=1, STOPPING=1, STATUS=.
 * Without NOTIFY_SOCKET every call does nothing.
 */
#ifndef J4S_NOTIFY_H
#define J4S_NOTIFY_H

#include <stdint.h>

/* Read NOTIFY_SOCKET and WATCHDOG_USEC; 0, or a negative errno if the socket
 * is unusable (logged, with what was wrong). */
int notify_init(void);
void notify_send(const char *msg);
/* Interval at which to send WATCHDOG=1 (half of WATCHDOG_USEC), 0 = none. */
uint64_t notify_watchdog_ns(void);
void notify_close(void);

#endif
