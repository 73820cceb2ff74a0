// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * unix_socket output: one record per datagram (no delimiter) on a
 * SOCK_DGRAM socket connected to the correlator's path. Never blocks: a
 * full receiver queue (net.unix.max_dgram_qlen is only 10 by default) is
 * EAGAIN, normal, and the record waits in the queue; a missing or restarted
 * receiver is a failure, and the socket is reconnected on the next attempt
 * after the backoff.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "output_priv.h"

struct unix_out {
	int fd; /* -1 while disconnected */
	struct sockaddr_un addr;
};

static int unix_connect(struct output *o, struct unix_out *u)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		o->err = errno;
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&u->addr, sizeof(u->addr))) {
		o->err = errno;
		close(fd);
		return -1;
	}
	u->fd = fd;
	return 0;
}

static void unix_disconnect(struct unix_out *u)
{
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
}

static enum output_send unix_send(struct output *o, uint32_t *done)
{
	struct unix_out *u = o->priv;

	*done = 0;
	if (u->fd < 0 && unix_connect(o, u))
		return OUTPUT_FAILED;
	for (uint32_t i = 0; i < o->count; i++) {
		struct output_item *it = output_item(o, i);

		if (send(u->fd, it->buf, it->len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
			(*done)++;
			continue;
		}
		if (errno == EAGAIN || errno == EINTR)
			return OUTPUT_AGAIN;
		if (errno == EMSGSIZE && i == 0)
			return OUTPUT_REJECTED;
		if (errno == EMSGSIZE)
			return OUTPUT_SENT; /* the rest after the record that cannot go */
		/* ECONNREFUSED, ENOENT, ENOTCONN, EPIPE: receiver gone or restarted. */
		o->err = errno;
		unix_disconnect(u);
		return *done ? OUTPUT_SENT : OUTPUT_FAILED;
	}
	return OUTPUT_SENT;
}

static int unix_fd(const struct output *o)
{
	return ((const struct unix_out *)o->priv)->fd;
}

static void unix_close(struct output *o)
{
	struct unix_out *u = o->priv;

	unix_disconnect(u);
	free(u);
}

static const struct output_ops unix_ops = {
	.send = unix_send,
	.fd = unix_fd,
	.close = unix_close,
};

struct output *out_unix_open(const char *path, uint32_t queue)
{
	struct unix_out *u;
	struct output *o;
	char name[288];

	if (strlen(path) >= sizeof(u->addr.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->fd = -1;
	u->addr.sun_family = AF_UNIX;
	memcpy(u->addr.sun_path, path, strlen(path) + 1);
	snprintf(name, sizeof(name), "unix_socket:%s", path);
	o = output_new(&unix_ops, queue, name, u);
	if (!o)
		free(u);
	/* No connect here: a correlator that starts later is normal. */
	return o;
}
