// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Local addresses from getifaddrs(3): loopback and IPv6 link-local are
 * left out, as the Go daemon did (a client never reaches the server there).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "ifaddr.h"

static bool wanted(const struct ifaddrs *ifa, struct cidr *c)
{
	const struct sockaddr *sa = ifa->ifa_addr;

	if (!sa || !(ifa->ifa_flags & IFF_UP) || (ifa->ifa_flags & IFF_LOOPBACK))
		return false;
	memset(c, 0, sizeof(*c));
	if (sa->sa_family == AF_INET) {
		c->family = AF_INET;
		c->prefix = 32;
		memcpy(c->addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return c->addr[0] != 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		c->family = AF_INET6;
		c->prefix = 128;
		memcpy(c->addr, a, 16);
		return !IN6_IS_ADDR_LINKLOCAL(a) && !IN6_IS_ADDR_LOOPBACK(a);
	}
	return false;
}

int ifaddr_local_ips(struct cidr **out, uint32_t *n)
{
	struct ifaddrs *list, *ifa;
	struct cidr *arr = NULL, c;
	uint32_t cnt = 0;

	*out = NULL;
	*n = 0;
	if (getifaddrs(&list))
		return -errno;
	for (ifa = list; ifa; ifa = ifa->ifa_next) {
		struct cidr *na;

		if (!wanted(ifa, &c))
			continue;
		na = realloc(arr, (cnt + 1) * sizeof(*arr));
		if (!na) {
			free(arr);
			freeifaddrs(list);
			return -ENOMEM;
		}
		arr = na;
		arr[cnt++] = c;
	}
	freeifaddrs(list);
	*out = arr;
	*n = cnt;
	return 0;
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
