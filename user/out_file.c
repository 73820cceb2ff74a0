// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * JSON lines to a file descriptor: the file output (opened in append mode,
 * reopened on SIGHUP so logrotate's mv + HUP loses nothing) and stdout.
 * Queued records go out in one writev per batch. On a pipe a write is
 * attempted only when poll says there is room, and a record cut by a short
 * write resumes where it stopped, so the line is never torn or doubled.
 * The file is opened without following a symbolic link and without waiting
 * on a FIFO, and only a regular file is accepted: root must not append to
 * whatever another user planted at the path, nor hang there. A reopen while
 * a record is half written finishes that line in the old file (or ends it
 * there, counted as torn), so the new file starts with a whole record.
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
	uint32_t off; /* bytes of the head record (plus newline) already written;
		       * len + 1 once a reopen finished it in the old file */
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
	if (o->count && s->off > output_item(o, 0)->len) {
		s->off = 0; /* finished in the old file by stream_reopen() */
		o->head_started = false;
		*done = 1;
		return OUTPUT_SENT;
	}
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
		if (errno == EPIPE) {
			s->off = 0; /* the head record goes whole or not at all */
			o->head_started = false;
			return OUTPUT_REJECTED;
		}
		o->err = errno;
		return OUTPUT_FAILED;
	}
	/* Count the records written whole; keep the offset into the next. */
	for (uint32_t i = 0; i < n_rec; i++) {
		size_t rest = output_item(o, i)->len + 1 - (i ? 0 : s->off);

		if ((size_t)w < rest) {
			s->off = (i ? 0 : s->off) + (uint32_t)w;
			o->head_started = s->off != 0;
			return OUTPUT_AGAIN;
		}
		w -= (ssize_t)rest;
		s->off = 0;
		(*done)++;
	}
	o->head_started = false;
	return OUTPUT_SENT;
}

static int stream_fd(const struct output *o)
{
	return ((const struct stream *)o->priv)->fd;
}

/*
 * Open path for appending: never through a symbolic link (O_NOFOLLOW),
 * never waiting for a FIFO's reader (O_NONBLOCK), and only a regular file.
 * Returns the fd, or -errno with what was wrong logged, naming the path.
 */
static int open_append(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
		      0640);
	struct stat st;
	int e;

	if (fd < 0) {
		e = errno;
		if (e == ELOOP)
			log_error("output", "file:%s: refusing a symbolic link as output file",
				  path);
		else if (e == ENXIO)
			log_error("output", "file:%s: refusing a FIFO as output file", path);
		else
			log_error("output", "file:%s: cannot open: %s", path, strerror(e));
		return -e;
	}
	if (fstat(fd, &st)) {
		e = errno;
		close(fd);
		log_error("output", "file:%s: fstat: %s", path, strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		log_error("output",
			  "file:%s: refusing a %s as output file: a regular file is needed", path,
			  S_ISFIFO(st.st_mode)   ? "FIFO"
			  : S_ISCHR(st.st_mode)  ? "character device"
			  : S_ISBLK(st.st_mode)  ? "block device"
			  : S_ISSOCK(st.st_mode) ? "socket"
						 : "non-regular file");
		return -EINVAL;
	}
	return fd;
}

/*
 * The head record was cut by a failed write (ENOSPC, EIO, a size limit):
 * before leaving the old file, try once to finish the line there; failing
 * that, at least end it, and count the torn line. Either way the new file
 * starts with a whole record.
 */
static void finish_head(struct output *o, struct stream *s)
{
	struct output_item *it = output_item(o, 0);
	struct iovec iov[2] = { { it->buf + s->off, it->len - s->off }, { (void *)"\n", 1 } };
	size_t rest = it->len + 1 - s->off;
	ssize_t w = writev(s->fd, iov, 2);

	if (w == (ssize_t)rest) {
		s->off = it->len + 1; /* whole in the old file: stream_send pops it */
		return;
	}
	o->stats.torn++;
	if (write(s->fd, "\n", 1) == 1)
		log_warn("output",
			 "%s: a record was cut by a failed write; the old file ends with its "
			 "torn line, the record goes whole to the new file",
			 o->name);
	else
		log_warn("output",
			 "%s: a record was cut by a failed write and the old file cannot take "
			 "its end: its last line is torn, the record goes whole to the new file",
			 o->name);
	s->off = 0; /* the record goes whole to the new file */
	o->head_started = false;
}

static int stream_reopen(struct output *o)
{
	struct stream *s = o->priv;
	int fd;

	if (!s->path[0])
		return 0;
	fd = open_append(s->path);
	if (fd < 0)
		return fd; /* the old file stays: better than losing records */
	if (s->fd >= 0 && o->count && s->off && s->off <= output_item(o, 0)->len)
		finish_head(o, s);
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
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	snprintf(name, sizeof(name), "file:%s", path);
	o = out_stream_open(fd, path, name, queue);
	if (!o)
		close(fd);
	return o;
}
