// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * sd_notify without libsystemd: the protocol is one datagram of
 * "KEY=VALUE" lines to the socket systemd names in NOTIFY_SOCKET.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "log.h"
#include "notify.h"

static int notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t notify_len;
static uint64_t watchdog_ns;

static void read_watchdog(void)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	char *end;
	unsigned long long v;

	if (!usec)
		return;
	/* WATCHDOG_PID, when set, must be us (not a child we started). */
	if (pid && strtol(pid, NULL, 10) != getpid())
		return;
	v = strtoull(usec, &end, 10);
	if (*end || !v)
		return;
	watchdog_ns = v * 1000ULL / 2;
}

int notify_init(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;

	read_watchdog();
	if (!path || !*path)
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(notify_addr.sun_path)) {
		log_warn("notify", "NOTIFY_SOCKET \"%s\" is not a usable socket path", path);
		return -EINVAL;
	}
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, path, len);
	if (path[0] == '@')
		notify_addr.sun_path[0] = '\0'; /* abstract namespace */
	notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd < 0) {
		int e = errno;

		log_warn("notify", "cannot create the notify socket: %s", strerror(e));
		return -e;
	}
	return 0;
}

void notify_send(const char *msg)
{
	if (notify_fd < 0)
		return;
	if (sendto(notify_fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&notify_addr,
		   notify_len) < 0)
		log_warn("notify", "%s to NOTIFY_SOCKET failed: %s", msg, strerror(errno));
}

uint64_t notify_watchdog_ns(void)
{
	return watchdog_ns;
}

void notify_close(void)
{
	if (notify_fd >= 0)
		close(notify_fd);
	notify_fd = -1;
}
