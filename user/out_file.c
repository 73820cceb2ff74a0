// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * JSON lines to a file descriptor: the file output (opened in append mode,
 * reopened on SIGHUP so logrotate's mv + HUP loses nothing) and stdout.
 * Queued records go out in one writev per batch. On a pipe a write is
 * attempted only when poll says there is room, and a record cut by a short
 * write resumes where it stopped, so the line is never torn or doubled.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include "config.h"
#include "log.h"
#include "output_priv.h"
#include "out_stream.h"

#define STREAM_IOV 128 /* records per writev (two iovecs each) */

struct stream {
	int fd;
	bool is_fifo; /* pipe or socket: check for room before writing */
	uint32_t off; /* bytes of the head record (plus newline) already written */
	char path[CONFIG_PATH_MAX];
};

static bool has_room(const struct stream *s)
{
	struct pollfd p = { .fd = s->fd, .events = POLLOUT };

	return !s->is_fifo || (poll(&p, 1, 0) == 1 && (p.revents & (POLLOUT | POLLERR)));
}

/* Build the iovecs of up to STREAM_IOV records, skipping what is written. */
static int gather(struct output *o, struct stream *s, struct iovec *iov, uint32_t *n_rec)
{
	int n = 0;

	*n_rec = 0;
	for (uint32_t i = 0; i < o->count && i < STREAM_IOV; i++) {
		struct output_item *it = output_item(o, i);
		uint32_t skip = i ? 0 : s->off;

		if (skip < it->len)
			iov[n++] = (struct iovec){ it->buf + skip, it->len - skip };
		iov[n++] = (struct iovec){ (void *)"\n", 1 };
		(*n_rec)++;
	}
	return n;
}

static enum output_send stream_send(struct output *o, uint32_t *done)
{
	struct stream *s = o->priv;
	struct iovec iov[2 * STREAM_IOV];
	uint32_t n_rec;
	ssize_t w;
	int n;

	*done = 0;
	if (s->fd < 0) {
		o->err = EBADF;
		return OUTPUT_FAILED;
	}
	if (!has_room(s))
		return OUTPUT_AGAIN;
	n = gather(o, s, iov, &n_rec);
	w = writev(s->fd, iov, n);
	if (w < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return OUTPUT_AGAIN;
		/* The pipe's reader is gone for good (`--read f | head`;
		 * SIGPIPE is ignored): no retry can deliver, so no waiting -
		 * the record is dropped and counted. */
		if (errno == EPIPE)
			return OUTPUT_REJECTED;
		o->err = errno;
		return OUTPUT_FAILED;
	}
	/* Count the records written whole; keep the offset into the next. */
	for (uint32_t i = 0; i < n_rec; i++) {
		size_t rest = output_item(o, i)->len + 1 - (i ? 0 : s->off);

		if ((size_t)w < rest) {
			s->off = (i ? 0 : s->off) + (uint32_t)w;
			return OUTPUT_AGAIN;
		}
		w -= (ssize_t)rest;
		s->off = 0;
		(*done)++;
	}
	return OUTPUT_SENT;
}

static int stream_fd(const struct output *o)
{
	return ((const struct stream *)o->priv)->fd;
}

static int open_append(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

static int stream_reopen(struct output *o)
{
	struct stream *s = o->priv;
	int fd;

	if (!s->path[0])
		return 0;
	fd = open_append(s->path);
	if (fd < 0)
		return -errno; /* the old file stays: better than losing records */
	if (s->fd >= 0)
		close(s->fd);
	s->fd = fd;
	log_info("output", "%s: reopened", o->name);
	return 0;
}

static void stream_close(struct output *o)
{
	struct stream *s = o->priv;

	if (s->path[0] && s->fd >= 0)
		close(s->fd);
	free(s);
}

static const struct output_ops stream_ops = {
	.send = stream_send,
	.reopen = stream_reopen,
	.fd = stream_fd,
	.close = stream_close,
};

struct output *out_stream_open(int fd, const char *path, const char *name, uint32_t queue)
{
	struct stream *s = calloc(1, sizeof(*s));
	struct output *o;
	struct stat st;

	if (!s)
		return NULL;
	s->fd = fd;
	if (path)
		snprintf(s->path, sizeof(s->path), "%s", path);
	s->is_fifo = fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode);
	o = output_new(&stream_ops, queue, name, s);
	if (!o)
		free(s);
	return o;
}

struct output *out_file_open(const char *path, uint32_t queue)
{
	char name[288];
	struct output *o;
	int fd;

	if (strlen(path) >= CONFIG_PATH_MAX) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	fd = open_append(path);
	if (fd < 0)
		return NULL;
	snprintf(name, sizeof(name), "file:%s", path);
	o = out_stream_open(fd, path, name, queue);
	if (!o)
		close(fd);
	return o;
}
