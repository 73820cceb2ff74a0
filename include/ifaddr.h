/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * ifaddr: what the host's interfaces say: its local addresses (for
 * core.local_ips when it is empty) and its up, non-loopback interfaces
 * (for interface: any in the eBPF modes).
 */
#ifndef J4S_IFADDR_H
#define J4S_IFADDR_H

#include <stdbool.h>
#include <stdint.h>
#include "config.h"

/* Every address of an up interface except loopback and fe80::/10, as
 * host-length prefixes. Caller frees *out. 0 or -errno. */
int ifaddr_local_ips(struct cidr **out, uint32_t *n);

/* Interface flags (IFF_UP, IFF_LOOPBACK, ...) of name. 0 or -errno. */
int ifaddr_flags(const char *name, unsigned int *flags);

/* Whether frames of interface name carry an Ethernet header (ARPHRD_ETHER,
 * loopback included): tun, WireGuard, ipip and the like do not. */
bool ifaddr_has_ethernet(const char *name);

/* Text of a cidr ("192.0.2.1", "10.0.0.0/8") into buf (>= 64 bytes). */
void ifaddr_cidr_str(const struct cidr *c, char *buf, uint32_t size);

#endif
