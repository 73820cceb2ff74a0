// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * What the host's interfaces say. The host's own addresses come from an
 * rtnetlink dump (RTM_GETADDR), which names each address's interface by
 * index (getifaddrs(3) gives IPv4 labels such as eth0:1 instead): loopback
 * and link-local addresses are left out, as the Go daemon did (a client
 * never reaches the server there). A second rtnetlink socket, subscribed
 * to address changes, tells the event loop when to look again.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "ifaddr.h"

/* Link-local (169.254/16, fe80::/10): a client never reaches a server
 * there across a router, and every host has the same ones. */
static bool link_local(const struct cidr *c)
{
	if (c->family == AF_INET)
		return c->addr[0] == 169 && c->addr[1] == 254;
	return c->addr[0] == 0xfe && (c->addr[1] & 0xc0) == 0x80;
}

static bool loopback_addr(const struct cidr *c)
{
	static const uint8_t v6_lo[16] = { [15] = 1 };

	if (c->family == AF_INET)
		return c->addr[0] == 127;
	return !memcmp(c->addr, v6_lo, 16);
}

static bool loopback_ifindex(unsigned int idx)
{
	char name[IF_NAMESIZE];
	unsigned int flags = 0;

	return if_indextoname(idx, name) && !ifaddr_flags(name, &flags) && (flags & IFF_LOOPBACK);
}

/* The address of an RTM_NEWADDR message: IFA_LOCAL when there is one (on a
 * point-to-point link IFA_ADDRESS is the peer's, for IPv4 and IPv6 alike),
 * else IFA_ADDRESS. An address that failed duplicate detection is not
 * ours. */
static bool msg_addr(const struct nlmsghdr *h, struct cidr *c)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	int len = (int)IFA_PAYLOAD(h);
	const struct rtattr *local = NULL, *addr = NULL;
	uint32_t size = ifa->ifa_family == AF_INET ? 4 : 16;

	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return false;
	if (ifa->ifa_flags & IFA_F_DADFAILED)
		return false;
	for (const struct rtattr *rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == IFA_LOCAL)
			local = rta;
		else if (rta->rta_type == IFA_ADDRESS)
			addr = rta;
	}
	if (local)
		addr = local;
	if (!addr || RTA_PAYLOAD(addr) < size)
		return false;
	memset(c, 0, sizeof(*c));
	c->family = ifa->ifa_family;
	c->prefix = (uint8_t)(size * 8);
	memcpy(c->addr, RTA_DATA(addr), size);
	return true;
}

static int cidr_cmp(const void *a, const void *b)
{
	const struct cidr *x = a, *y = b;

	if (x->family != y->family)
		return x->family == AF_INET ? -1 : 1;
	return memcmp(x->addr, y->addr, 16);
}

struct addr_set {
	struct cidr *a;
	uint32_t n, cap;
	unsigned int want_index; /* 0 = every interface but loopback ones */
	bool loopback_ok;        /* a loopback interface was named */
};

static int consider(struct addr_set *set, const struct nlmsghdr *h)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	struct cidr c;

	if (h->nlmsg_type != RTM_NEWADDR || !msg_addr(h, &c) || link_local(&c))
		return 0;
	if (set->want_index ? ifa->ifa_index != set->want_index : loopback_ifindex(ifa->ifa_index))
		return 0;
	if (loopback_addr(&c) && !set->loopback_ok)
		return 0;
	for (uint32_t i = 0; i < set->n; i++)
		if (!cidr_cmp(&set->a[i], &c))
			return 0; /* the same address on two interfaces */
	if (set->n == set->cap) {
		uint32_t cap = set->cap ? 2 * set->cap : 16;
		struct cidr *na = realloc(set->a, cap * sizeof(*na));

		if (!na)
			return -ENOMEM;
		set->a = na;
		set->cap = cap;
	}
	set->a[set->n++] = c;
	return 0;
}

/* Send one RTM_GETADDR dump request and feed every answer to consider(). */
static int dump_addrs(int fd, struct addr_set *set)
{
	struct {
		struct nlmsghdr h;
		struct ifaddrmsg ifa;
	} req = {
		.h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)),
		       .nlmsg_type = RTM_GETADDR,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		       .nlmsg_seq = 1 },
		.ifa = { .ifa_family = AF_UNSPEC },
	};
	/* Larger than any dump message the kernel builds (32 KiB at most):
	 * MSG_TRUNC says if one did not fit all the same. */
	static char buf[65536] __attribute__((aligned(4)));

	if (send(fd, &req, req.h.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_TRUNC);
		int len = (int)n;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if ((size_t)n > sizeof(buf))
			return -EMSGSIZE;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned int)len);
		     h = NLMSG_NEXT(h, len)) {
			int rc;

			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error ?: -EPROTO;
			rc = consider(set, h);
			if (rc)
				return rc;
		}
	}
}

int ifaddr_auto_local(const char *iface, struct cidr **out, uint32_t *n)
{
	struct addr_set set = { 0 };
	unsigned int flags = 0;
	int fd, rc;

	*out = NULL;
	*n = 0;
	if (strcmp(iface, "any")) {
		set.want_index = if_nametoindex(iface);
		if (!set.want_index)
			return 0; /* not there (yet): no address */
		set.loopback_ok = !ifaddr_flags(iface, &flags) && (flags & IFF_LOOPBACK);
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	rc = dump_addrs(fd, &set);
	close(fd);
	if (rc) {
		free(set.a);
		return rc;
	}
	if (set.n)
		qsort(set.a, set.n, sizeof(*set.a), cidr_cmp);
	*out = set.a;
	*n = set.n;
	return 0;
}

int ifaddr_watch_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

int ifaddr_watch_drain(int fd)
{
	static char buf[8192] __attribute__((aligned(4)));
	int got = 0;

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0) {
			got = 1;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			got = 1; /* events lost: look again anyway */
			continue;
		}
		return got;
	}
}

bool ifaddr_cidr_equal(const struct cidr *a, uint32_t na, const struct cidr *b, uint32_t nb)
{
	return na == nb && (!na || !memcmp(a, b, na * sizeof(*a)));
}

void ifaddr_cidr_str(const struct cidr *c, char *buf, uint32_t size)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(c->family, c->addr, a, sizeof(a)))
		a[0] = '\0';
	if (c->prefix == (c->family == AF_INET ? 32 : 128))
		snprintf(buf, size, "%s", a);
	else
		snprintf(buf, size, "%s/%u", a, c->prefix);
}

int ifaddr_flags(const char *name, unsigned int *flags)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		rc = -errno;
	else
		*flags = (unsigned short)ifr.ifr_flags;
	close(fd);
	return rc;
}

bool ifaddr_has_ethernet(const char *name)
{
	char path[64 + IF_NAMESIZE];
	unsigned int type = 1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/type", name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%u", &type) != 1)
			type = 1;
		fclose(f);
	}
	/* ARPHRD_ETHER (1) and ARPHRD_LOOPBACK (772) frames start with 14 bytes
	 * of Ethernet header; everything else here starts at IP. */
	return type == 1 || type == 772;
}
