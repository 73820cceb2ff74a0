/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * ifaddr: what the host's interfaces say: its own addresses and their
 * changes (for core.local_ips when it is empty), interface flags and link
 * types.
 */
#ifndef J4S_IFADDR_H
#define J4S_IFADDR_H

#include <stdbool.h>
#include <stdint.h>
#include "config.h"

/*
 * The host's own addresses on iface, as host-length prefixes, sorted and
 * without duplicates (core.local_ips: []): for "any" those of every
 * non-loopback interface, for a named interface its own (none if it does
 * not exist). Never link-local (169.254/16, fe80::/10); loopback addresses
 * (127/8, ::1) only when iface is a loopback interface. Caller frees *out.
 * 0 or -errno.
 */
int ifaddr_auto_local(const char *iface, struct cidr **out, uint32_t *n);

/* A non-blocking rtnetlink socket told of every address added or removed
 * (IPv4 and IPv6): an fd for the event loop, or -errno. */
int ifaddr_watch_open(void);
/* Read what is waiting on the watch socket: 1 if anything was (look
 * again with ifaddr_auto_local), else 0. */
int ifaddr_watch_drain(int fd);

/* Whether two sorted lists hold the same addresses. */
bool ifaddr_cidr_equal(const struct cidr *a, uint32_t na, const struct cidr *b, uint32_t nb);

/* Interface flags (IFF_UP, IFF_LOOPBACK, ...) of name. 0 or -errno. */
int ifaddr_flags(const char *name, unsigned int *flags);

/* Whether frames of interface name carry an Ethernet header (ARPHRD_ETHER,
 * loopback included): tun, WireGuard, ipip and the like do not. */
bool ifaddr_has_ethernet(const char *name);

/* Text of a cidr ("192.0.2.1", "10.0.0.0/8") into buf (>= 64 bytes). */
void ifaddr_cidr_str(const struct cidr *c, char *buf, uint32_t size);

#endif
