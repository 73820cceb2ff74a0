// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * output: the record queue, drop-oldest, backoff and its logs, lossless
 * waits and flush deadlines through a fake destination on a fake clock;
 * then the real destinations: a short write on a pipe resumed byte for
 * byte, a file reopened after logrotate's rename, and a unix_socket output
 * whose receiver appears late and whose queue fills up; what the file
 * output refuses (a symbolic link, a FIFO) and how it leaves a record cut
 * by a failed write (a file size limit stands in for ENOSPC); queue slots
 * giving back a big record's buffer.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "config.h"
#include "log.h"
#include "output.h"
#include "../../user/output_priv.h"
#include "../../user/out_stream.h"

#define NS_PER_MS  1000000ULL
#define NS_PER_SEC 1000000000ULL

/* ---- the fake clock and the fake destination ---- */

static uint64_t fake_now;

static uint64_t fake_clock(void)
{
	return fake_now;
}

struct fake {
	int fail;       /* errno of every attempt while set */
	int blocked;    /* attempts that still see no room; -1: never room */
	uint32_t calls; /* send attempts */
	uint32_t n_got;
	char got[16][16]; /* records delivered, in order */
};

/* Delivers from the head; "bad" can never go, like a datagram too big. */
static enum output_send fake_send(struct output *o, uint32_t *done)
{
	struct fake *f = o->priv;

	*done = 0;
	f->calls++;
	if (f->fail) {
		o->err = f->fail;
		return OUTPUT_FAILED;
	}
	if (f->blocked) {
		if (f->blocked > 0)
			f->blocked--;
		return OUTPUT_AGAIN;
	}
	for (uint32_t i = 0; i < o->count; i++) {
		struct output_item *it = output_item(o, i);

		if (it->len == 3 && !memcmp(it->buf, "bad", 3))
			return i ? OUTPUT_SENT : OUTPUT_REJECTED;
		assert_true(f->n_got < 16 && it->len < 16);
		memcpy(f->got[f->n_got], it->buf, it->len);
		f->got[f->n_got++][it->len] = '\0';
		(*done)++;
	}
	return OUTPUT_SENT;
}

static void fake_close(struct output *o)
{
}

static const struct output_ops fake_ops = {
	.send = fake_send,
	.close = fake_close,
};

struct fixture {
	struct fake fake;
	struct output *o;
	char dir[64]; /* a fresh temporary directory */
	char path[128];
};

static struct output *fake_open(struct fixture *fx, uint32_t queue, bool fake_time)
{
	struct output *o = output_new(&fake_ops, queue, "fake", &fx->fake);

	assert_non_null(o);
	if (fake_time)
		o->now_ns = fake_clock;
	fx->o = o;
	return o;
}

static void put(struct output *o, const char *rec)
{
	output_write(o, rec, strlen(rec));
}

static int setup(void **state)
{
	static struct fixture fx;

	memset(&fx, 0, sizeof(fx));
	strcpy(fx.dir, "/tmp/j4s-test-output-XXXXXX");
	if (!mkdtemp(fx.dir))
		return -1;
	fake_now = 1000 * NS_PER_SEC;
	/* Only the tests that look at the log see warnings and info lines. */
	log_set_level(LOG_ERROR);
	*state = &fx;
	return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	output_close(fx->o);
	fx->o = NULL;
	log_set_level(LOG_INFO);
	return nftw(fx->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* ---- stderr (the log) caught around a few calls ---- */

struct logcap {
	FILE *tmp;
	int saved;
};

static void capture_begin(struct logcap *c)
{
	fflush(stderr);
	c->tmp = tmpfile();
	c->saved = dup(STDERR_FILENO);
	assert_non_null(c->tmp);
	assert_true(c->saved >= 0);
	assert_true(dup2(fileno(c->tmp), STDERR_FILENO) >= 0);
	log_set_level(LOG_INFO);
}

/* Restores stderr; returns how many messages were logged, keeps max. */
static size_t capture_end(struct logcap *c, char msgs[][256], size_t max)
{
	char line[1024];
	size_t n = 0;

	fflush(stderr);
	log_set_level(LOG_ERROR);
	assert_true(dup2(c->saved, STDERR_FILENO) >= 0);
	close(c->saved);
	rewind(c->tmp);
	while (fgets(line, sizeof(line), c->tmp)) {
		struct json_object *o = json_tokener_parse(line), *m;

		assert_non_null(o);
		assert_true(json_object_object_get_ex(o, "message", &m));
		if (n < max)
			snprintf(msgs[n], 256, "%s", json_object_get_string(m));
		n++;
		json_object_put(o);
	}
	fclose(c->tmp);
	return n;
}

/* ---- the queue ---- */

static void test_output_write_queues_until_drain(void **state)
{
	struct fixture *fx = *state;
	struct output *o = fake_open(fx, 8, true);

	put(o, "r0");
	put(o, "r1");
	put(o, "r2");
	/* Below a batch nothing is tried yet: records leave together. */
	assert_int_equal(fx->fake.calls, 0);
	assert_int_equal(output_queued(o), 3);
	assert_int_equal(output_drain(o), 0);
	assert_int_equal(output_queued(o), 0);
	assert_int_equal(fx->fake.n_got, 3);
	assert_string_equal(fx->fake.got[0], "r0");
	assert_string_equal(fx->fake.got[1], "r1");
	assert_string_equal(fx->fake.got[2], "r2");
	assert_int_equal(output_get_stats(o)->sent, 3);
	assert_int_equal(output_get_stats(o)->dropped, 0);
	assert_int_equal(output_get_stats(o)->failures, 0);
	assert_string_equal(output_name(o), "fake");
}

static void test_output_write_full_queue_drops_oldest(void **state)
{
	struct fixture *fx = *state;
	struct output *o = fake_open(fx, 4, true);
	char rec[16];

	fx->fake.blocked = -1;
	for (int i = 0; i < 6; i++) {
		snprintf(rec, sizeof(rec), "r%d", i);
		put(o, rec);
	}
	assert_int_equal(output_drain(o), 4);
	assert_int_equal(output_get_stats(o)->dropped, 2);
	assert_int_equal(fx->fake.n_got, 0);

	/* Room again: the four newest go, oldest first. */
	fx->fake.blocked = 0;
	assert_int_equal(output_drain(o), 0);
	assert_int_equal(fx->fake.n_got, 4);
	assert_string_equal(fx->fake.got[0], "r2");
	assert_string_equal(fx->fake.got[3], "r5");
	assert_int_equal(output_get_stats(o)->sent, 4);
	assert_int_equal(output_get_stats(o)->dropped, 2);
	/* Waiting for room is not a failure. */
	assert_int_equal(output_get_stats(o)->failures, 0);
}

static void test_output_drain_rejected_drops_only_head(void **state)
{
	struct fixture *fx = *state;
	struct output *o = fake_open(fx, 8, true);

	put(o, "a");
	put(o, "bad");
	put(o, "c");
	assert_int_equal(output_drain(o), 0);
	assert_int_equal(fx->fake.n_got, 2);
	assert_string_equal(fx->fake.got[0], "a");
	assert_string_equal(fx->fake.got[1], "c");
	assert_int_equal(output_get_stats(o)->dropped, 1);

	/* At the head too: only that one goes. */
	put(o, "bad");
	put(o, "d");
	assert_int_equal(output_drain(o), 0);
	assert_int_equal(fx->fake.n_got, 3);
	assert_string_equal(fx->fake.got[2], "d");
	assert_int_equal(output_get_stats(o)->sent, 3);
	assert_int_equal(output_get_stats(o)->dropped, 2);
	assert_int_equal(output_get_stats(o)->failures, 0);
}

/* ---- backoff and its log ---- */

/* One failed attempt at fake_now; checks nothing is tried a nanosecond
 * before wait_ms has passed and that an attempt is made at wait_ms. */
static void expect_retry_after(struct fixture *fx, uint64_t wait_ms)
{
	uint64_t t = fake_now;
	uint32_t calls = fx->fake.calls;

	fake_now = t + wait_ms * NS_PER_MS - 1;
	assert_int_equal(output_drain(fx->o), output_queued(fx->o));
	assert_int_equal(fx->fake.calls, calls);
	fake_now = t + wait_ms * NS_PER_MS;
	output_drain(fx->o);
	assert_int_equal(fx->fake.calls, calls + 1);
}

static void test_output_drain_backoff_doubles_and_resets(void **state)
{
	struct fixture *fx = *state;
	struct output *o = fake_open(fx, 8, true);
	uint64_t waits[] = { 100, 200, 400, 800, 1600, 2000, 2000 };

	assert_int_equal(OUTPUT_BACKOFF_MIN_MS, 100);
	assert_int_equal(OUTPUT_BACKOFF_MAX_MS, 2000);
	fx->fake.fail = ECONNREFUSED;
	put(o, "r0");
	assert_int_equal(output_drain(o), 1);
	assert_int_equal(fx->fake.calls, 1);
	for (size_t i = 0; i < sizeof(waits) / sizeof(waits[0]); i++)
		expect_retry_after(fx, waits[i]);
	assert_int_equal(output_get_stats(o)->failures, 8);
	assert_int_equal(output_get_stats(o)->reconnects, 0);

	/* The destination is back: delivered at the next retry. */
	fx->fake.fail = 0;
	expect_retry_after(fx, 2000);
	assert_int_equal(output_queued(o), 0);
	assert_int_equal(fx->fake.n_got, 1);
	assert_int_equal(output_get_stats(o)->reconnects, 1);

	/* A success resets the backoff: the next failure waits the minimum. */
	fx->fake.fail = EPIPE;
	put(o, "r1");
	assert_int_equal(output_drain(o), 1);
	expect_retry_after(fx, OUTPUT_BACKOFF_MIN_MS);
	expect_retry_after(fx, 2 * OUTPUT_BACKOFF_MIN_MS);
	assert_int_equal(output_get_stats(o)->failures, 11);
	/* Nothing was lost while failing. */
	assert_int_equal(output_get_stats(o)->dropped, 0);
}

static void test_output_drain_logs_failures_rate_limited(void **state)
{
	struct fixture *fx = *state;
	struct output *o = fake_open(fx, 8, true);
	uint64_t t0 = fake_now;
	struct logcap c;
	char msgs[8][256];
	size_t n;

	fx->fake.fail = ECONNREFUSED;
	put(o, "r0");
	capture_begin(&c);
	/* A retry every 2 s for a minute: one line at the start... */
	while (fake_now < t0 + (OUTPUT_LOG_INTERVAL_SEC - 1) * NS_PER_SEC) {
		output_drain(o);
		fake_now += OUTPUT_BACKOFF_MAX_MS * NS_PER_MS;
	}
	n = capture_end(&c, msgs, 8);
	assert_int_equal(n, 1);
	assert_non_null(strstr(msgs[0], "fake: cannot deliver (Connection refused)"));
	assert_int_equal(output_get_stats(o)->failures, 30);

	/* ...one more once the interval has passed, then one recovery line. */
	capture_begin(&c);
	fake_now = t0 + OUTPUT_LOG_INTERVAL_SEC * NS_PER_SEC;
	output_drain(o);
	fake_now += OUTPUT_BACKOFF_MAX_MS * NS_PER_MS;
	output_drain(o);
	fx->fake.fail = 0;
	fake_now += OUTPUT_BACKOFF_MAX_MS * NS_PER_MS;
	output_drain(o);
	put(o, "r1");
	output_drain(o);
	n = capture_end(&c, msgs, 8);
	assert_int_equal(n, 2);
	assert_non_null(strstr(msgs[0], "fake: cannot deliver (Connection refused)"));
	assert_non_null(strstr(msgs[0], "31 failure(s)"));
	assert_non_null(strstr(msgs[1], "fake: delivering again after 32 failed attempt(s)"));
	assert_int_equal(fx->fake.n_got, 2);
	assert_int_equal(output_get_stats(o)->reconnects, 1);
}

/* ---- waiting: lossless writes and flush ---- */

static void test_output_write_lossless_waits_for_room(void **state)
{
	struct fixture *fx = *state;
	struct output *o = fake_open(fx, 2, false);

	output_set_lossless(o, true);
	fx->fake.blocked = 3; /* room after three attempts */
	put(o, "a");
	put(o, "b");
	put(o, "c"); /* full: waits instead of dropping a */
	assert_int_equal(fx->fake.calls, 4);
	assert_int_equal(output_get_stats(o)->dropped, 0);
	assert_int_equal(output_queued(o), 1);
	assert_int_equal(output_drain(o), 0);
	assert_int_equal(fx->fake.n_got, 3);
	assert_string_equal(fx->fake.got[0], "a");
	assert_string_equal(fx->fake.got[2], "c");

	/* Without it, the same full queue drops the oldest at once. */
	output_set_lossless(o, false);
	fx->fake.blocked = 3;
	put(o, "d");
	put(o, "e");
	put(o, "f");
	assert_int_equal(output_get_stats(o)->dropped, 1);
	assert_int_equal(fx->fake.calls, 5);
}

/* A clock that moves a second at every look: waits end after a few turns. */
static uint64_t ticking_clock(void)
{
	return fake_now += NS_PER_SEC;
}

static void test_output_write_lossless_gives_up_once(void **state)
{
	struct fixture *fx = *state;
	struct output *o = fake_open(fx, 2, false);
	struct logcap c;
	char msgs[4][256];
	uint32_t calls;

	o->now_ns = ticking_clock;
	output_set_lossless(o, true);
	fx->fake.blocked = -1; /* a destination that never takes a record */
	capture_begin(&c);
	put(o, "a");
	put(o, "b");
	put(o, "c"); /* full: waits OUTPUT_LOSSLESS_WAIT_MS, then gives up */
	calls = fx->fake.calls;
	assert_true(calls > 1);
	assert_int_equal(output_get_stats(o)->dropped, 1);
	put(o, "d"); /* no second wait: dropped at once */
	put(o, "e");
	assert_true(fx->fake.calls <= calls + 2);
	assert_int_equal(output_get_stats(o)->dropped, 3);
	/* The end of the read tries once more, without waiting. */
	assert_int_equal(output_finish(o), 2);
	assert_true(fx->fake.calls <= calls + 3);
	assert_int_equal(capture_end(&c, msgs, 4), 1);
	assert_non_null(strstr(msgs[0], "fake: no record delivered for 5 s"));
}

static void test_output_finish_waits_while_progress(void **state)
{
	struct fixture *fx = *state;
	struct output *o = fake_open(fx, 4, false);

	o->now_ns = ticking_clock;
	output_set_lossless(o, true);
	put(o, "a");
	put(o, "b");
	fx->fake.blocked = 2; /* a slow destination: room after two attempts */
	assert_int_equal(output_finish(o), 0);
	assert_int_equal(fx->fake.n_got, 2);

	/* One that never takes anything: given up on after one wait. */
	put(o, "c");
	fx->fake.blocked = -1;
	assert_int_equal(output_finish(o), 1);
	assert_int_equal(output_finish(o), 1); /* now without waiting */
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void test_output_flush_timeout_returns_left(void **state)
{
	struct fixture *fx = *state;
	struct output *o = fake_open(fx, 8, false);
	uint64_t t;

	fx->fake.blocked = -1;
	put(o, "a");
	put(o, "b");
	put(o, "c");
	t = mono_ms();
	assert_int_equal(output_flush(o, 50), 3);
	t = mono_ms() - t;
	assert_true(t >= 50 && t < 1000);
	assert_true(fx->fake.calls > 1); /* retried while waiting */

	fx->fake.blocked = 2;
	assert_int_equal(output_flush(o, 1000), 0);
	assert_int_equal(fx->fake.n_got, 3);
	assert_int_equal(output_get_stats(o)->dropped, 0);
}

/* ---- stream: a short write on a pipe ---- */

static void test_output_drain_stream_short_write_resumes(void **state)
{
	struct fixture *fx = *state;
	enum { N = 40 };
	char *want = malloc(128 * 1024), *got = malloc(128 * 1024), rec[12000];
	size_t n_want = 0, n_got = 0;
	int p[2], rounds = 0;

	assert_non_null(want);
	assert_non_null(got);
	assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	/* One page: every batch is cut, most of them inside a record. */
	assert_int_equal(fcntl(p[1], F_SETPIPE_SZ, 4096), 4096);
	fx->o = out_stream_open(p[1], NULL, "pipe", 64);
	assert_non_null(fx->o);
	for (int i = 0; i < N; i++) {
		/* Some longer than the pipe: cut more than once. */
		int len = i % 10 == 5 ? 10000 : 300 + 37 * i;

		for (int k = 0; k < len; k++)
			rec[k] = (char)('A' + (i + k) % 26);
		rec[0] = (char)('0' + i / 10); /* the record's number first */
		rec[1] = (char)('0' + i % 10);
		output_write(fx->o, rec, (size_t)len);
		memcpy(want + n_want, rec, (size_t)len);
		n_want += (size_t)len;
		want[n_want++] = '\n';
	}
	assert_true(n_want > 4 * 4096);

	/* Read in odd slices so the writer finds the pipe full or partly so. */
	while (n_got < n_want && rounds++ < 10000) {
		ssize_t r;

		output_drain(fx->o);
		r = read(p[0], got + n_got, 777);
		if (r > 0)
			n_got += (size_t)r;
		else
			assert_true(r < 0 && errno == EAGAIN);
	}
	assert_int_equal(n_got, n_want);
	assert_memory_equal(got, want, n_want);
	assert_int_equal(read(p[0], rec, sizeof(rec)), -1); /* nothing doubled */
	assert_int_equal(output_queued(fx->o), 0);
	assert_int_equal(output_get_stats(fx->o)->sent, N);
	assert_int_equal(output_get_stats(fx->o)->failures, 0);
	output_close(fx->o); /* a stream without a path leaves the fd alone */
	fx->o = NULL;
	close(p[0]);
	close(p[1]);
	free(want);
	free(got);
}

/* ---- file: logrotate's rename, then SIGHUP ---- */

static void expect_file(const char *path, const char *want)
{
	char buf[256];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

static void test_output_reopen_file_after_rename(void **state)
{
	struct fixture *fx = *state;
	struct config_output co = { .type = OUTPUT_FILE, .enabled = true, .async_buffer = 16 };
	char old[CONFIG_PATH_MAX + 2], older[CONFIG_PATH_MAX + 2], name[CONFIG_PATH_MAX + 5];
	struct output *o;

	snprintf(co.path, sizeof(co.path), "%s/ja4.log", fx->dir);
	snprintf(old, sizeof(old), "%s.1", co.path);
	snprintf(older, sizeof(older), "%s.2", co.path);
	o = fx->o = output_open(&co);
	assert_non_null(o);
	snprintf(name, sizeof(name), "file:%s", co.path);
	assert_string_equal(output_name(o), name);
	put(o, "one");
	assert_int_equal(output_flush(o, 1000), 0);
	assert_int_equal(rename(co.path, old), 0);
	put(o, "two"); /* before the HUP: still the renamed file */
	assert_int_equal(output_flush(o, 1000), 0);
	assert_int_equal(output_reopen(o), 0);
	put(o, "three");
	assert_int_equal(output_flush(o, 1000), 0);
	expect_file(old, "one\ntwo\n");
	expect_file(co.path, "three\n");

	/* The path cannot be opened now: an error, and the old file is kept. */
	assert_int_equal(rename(co.path, older), 0);
	assert_int_equal(mkdir(co.path, 0700), 0);
	assert_int_equal(output_reopen(o), -EISDIR);
	put(o, "four");
	assert_int_equal(output_flush(o, 1000), 0);
	expect_file(older, "three\nfour\n");
	assert_int_equal(output_get_stats(o)->sent, 4);
	assert_int_equal(output_get_stats(o)->failures, 0);
}

/* ---- file: what is refused at the path, at start and at a reopen ---- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void test_output_open_file_refuses_symlink(void **state)
{
	struct fixture *fx = *state;
	struct config_output co = { .type = OUTPUT_FILE, .enabled = true, .async_buffer = 16 };
	char target[CONFIG_PATH_MAX + 8], old[CONFIG_PATH_MAX + 2];
	struct output *o;

	snprintf(co.path, sizeof(co.path), "%s/ja4.log", fx->dir);
	snprintf(target, sizeof(target), "%s/victim", fx->dir);
	snprintf(old, sizeof(old), "%s.1", co.path);
	write_file(target, "precious\n");
	assert_int_equal(symlink(target, co.path), 0);
	errno = 0;
	assert_null(output_open(&co));
	assert_int_equal(errno, ELOOP);
	expect_file(target, "precious\n");

	/* Planted between two runs of logrotate: the reopen refuses it too. */
	assert_int_equal(unlink(co.path), 0);
	o = fx->o = output_open(&co);
	assert_non_null(o);
	put(o, "one");
	assert_int_equal(output_flush(o, 1000), 0);
	assert_int_equal(rename(co.path, old), 0);
	assert_int_equal(symlink(target, co.path), 0);
	assert_int_equal(output_reopen(o), -ELOOP);
	put(o, "two");
	assert_int_equal(output_flush(o, 1000), 0);
	expect_file(old, "one\ntwo\n");
	expect_file(target, "precious\n");
}

static void test_output_open_file_refuses_fifo(void **state)
{
	struct fixture *fx = *state;
	struct config_output co = { .type = OUTPUT_FILE, .enabled = true, .async_buffer = 16 };
	char old[CONFIG_PATH_MAX + 2];
	uint64_t t0 = mono_ms();
	struct output *o;
	int rd;

	snprintf(co.path, sizeof(co.path), "%s/ja4.log", fx->dir);
	snprintf(old, sizeof(old), "%s.1", co.path);
	assert_int_equal(mkfifo(co.path, 0600), 0);
	/* No reader: open(2) would wait for one; here it fails at once. */
	errno = 0;
	assert_null(output_open(&co));
	assert_int_equal(errno, ENXIO);
	/* A reader present: the open succeeds, the type is refused. */
	rd = open(co.path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	assert_true(rd >= 0);
	errno = 0;
	assert_null(output_open(&co));
	assert_int_equal(errno, EINVAL);
	close(rd);
	assert_true(mono_ms() - t0 < 1000);

	assert_int_equal(unlink(co.path), 0);
	o = fx->o = output_open(&co);
	assert_non_null(o);
	assert_int_equal(rename(co.path, old), 0);
	assert_int_equal(mkfifo(co.path, 0600), 0);
	assert_int_equal(output_reopen(o), -ENXIO);
	/* A symbolic link to a device, and (as root) a device itself. */
	assert_int_equal(unlink(co.path), 0);
	assert_int_equal(symlink("/dev/null", co.path), 0);
	assert_int_equal(output_reopen(o), -ELOOP);
	assert_int_equal(unlink(co.path), 0);
	if (mknod(co.path, S_IFCHR | 0600, makedev(1, 3)) == 0)
		assert_int_equal(output_reopen(o), -EINVAL);
	else
		assert_int_equal(errno, EPERM);
	put(o, "still");
	assert_int_equal(output_flush(o, 1000), 0);
	expect_file(old, "still\n");
	assert_true(mono_ms() - t0 < 1000);
}

/* ---- file: a record cut by a failed write, then logrotate's reopen ---- */

#define CUT_LIMIT 1000 /* bytes: RLIMIT_FSIZE, a full disk's stand-in */
#define CUT_LEN   300

static void cut_record(char *rec, int i)
{
	memset(rec, 'a' + i, CUT_LEN);
	rec[CUT_LEN] = '\0';
}

static void read_all(const char *path, char *buf, size_t size, size_t *n)
{
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	*n = fread(buf, 1, size, f);
	fclose(f);
}

/*
 * Five records of 300 bytes into a file limited to 1000: the first writev
 * takes three records and 97 bytes of the fourth, the next fails (EFBIG,
 * as ENOSPC would). Then logrotate renames the file and sends SIGHUP.
 * room_after: whether the old file can take more by then.
 */
static void cut_then_reopen(struct fixture *fx, bool room_after)
{
	struct config_output co = { .type = OUTPUT_FILE, .enabled = true, .async_buffer = 16 };
	struct rlimit saved, lim;
	char old[CONFIG_PATH_MAX + 2], rec[CUT_LEN + 1], buf[4096], want[4096];
	size_t n, w = 0;
	struct output *o;

	snprintf(co.path, sizeof(co.path), "%s/ja4.log", fx->dir);
	snprintf(old, sizeof(old), "%s.1", co.path);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
	lim = saved;
	lim.rlim_cur = CUT_LIMIT;
	assert_true(signal(SIGXFSZ, SIG_IGN) != SIG_ERR);
	o = fx->o = output_open(&co);
	assert_non_null(o);
	o->now_ns = fake_clock;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	for (int i = 0; i < 5; i++) {
		cut_record(rec, i);
		put(o, rec);
	}
	assert_int_equal(output_drain(o), 2); /* cut inside the fourth */
	assert_int_equal(output_drain(o), 2); /* EFBIG: failing */
	assert_int_equal(output_get_stats(o)->failures, 1);
	assert_int_equal(rename(co.path, old), 0);
	if (room_after)
		assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	assert_int_equal(output_reopen(o), 0);
	fake_now += 10 * NS_PER_SEC;
	assert_int_equal(output_drain(o), 0);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	assert_true(signal(SIGXFSZ, SIG_DFL) != SIG_ERR);

	/* The old file: three whole lines, then the fourth whole or cut. */
	for (int i = 0; i < 4; i++, w += CUT_LEN + 1) {
		cut_record(want + w, i);
		want[w + CUT_LEN] = '\n';
	}
	read_all(old, buf, sizeof(buf), &n);
	if (room_after) {
		assert_int_equal(n, 4 * (CUT_LEN + 1));
	} else {
		assert_int_equal(n, CUT_LIMIT);
		assert_int_equal(output_get_stats(o)->torn, 1);
	}
	assert_memory_equal(buf, want, n);
	/* The new file starts with a whole record: the fourth again if it
	 * was cut, and the fifth. */
	w = 0;
	for (int i = room_after ? 4 : 3; i < 5; i++, w += CUT_LEN + 1) {
		cut_record(want + w, i);
		want[w + CUT_LEN] = '\n';
	}
	read_all(co.path, buf, sizeof(buf), &n);
	assert_int_equal(n, w);
	assert_memory_equal(buf, want, w);
	assert_int_equal(output_get_stats(o)->sent, 5);
	assert_int_equal(output_get_stats(o)->torn, room_after ? 0 : 1);
}

static void test_output_reopen_after_cut_record_finishes_line(void **state)
{
	cut_then_reopen(*state, true);
}

static void test_output_reopen_after_cut_record_new_file_whole(void **state)
{
	cut_then_reopen(*state, false);
}

/* A full queue whose head is half written drops the next record instead:
 * the rest of the head's line must follow what is already out. */
static void test_output_write_full_queue_spares_started_head(void **state)
{
	struct fixture *fx = *state;
	struct output *o = fake_open(fx, 3, true);

	put(o, "a");
	put(o, "b");
	put(o, "c");
	o->head_started = true;
	put(o, "d");
	assert_int_equal(output_queued(o), 3);
	assert_int_equal(output_get_stats(o)->dropped, 1);
	o->head_started = false;
	assert_int_equal(output_drain(o), 0);
	assert_int_equal(fx->fake.n_got, 3);
	assert_string_equal(fx->fake.got[0], "a");
	assert_string_equal(fx->fake.got[1], "c");
	assert_string_equal(fx->fake.got[2], "d");
}

/* ---- memory: a big record's buffer is given back ---- */

static enum output_send sink_send(struct output *o, uint32_t *done)
{
	*done = o->count;
	return OUTPUT_SENT;
}

static const struct output_ops sink_ops = {
	.send = sink_send,
	.close = fake_close,
};

static uint64_t held_bytes(const struct output *o)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < o->cap; i++)
		n += o->q[i].cap;
	return n;
}

static void test_output_drain_slot_shrinks_after_big_record(void **state)
{
	struct fixture *fx = *state;
	struct output *o = fx->o = output_new(&sink_ops, 8, "sink", NULL);
	char *big = malloc(RECORD_MAX_BYTES), small[1500];

	assert_non_null(o);
	assert_non_null(big);
	memset(big, 'x', RECORD_MAX_BYTES);
	memset(small, 'y', sizeof(small));
	for (int i = 0; i < 8; i++)
		output_write(o, big, RECORD_MAX_BYTES);
	assert_int_equal(held_bytes(o), 8ULL * RECORD_MAX_BYTES);
	assert_int_equal(output_drain(o), 0);
	assert_int_equal(held_bytes(o), 0);
	/* Usual records keep their slots from one to the next, sized up to a
	 * multiple of 256 bytes: a record a few bytes longer fits as well. */
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 8; i++)
			output_write(o, small, sizeof(small) - 30 + 10 * (size_t)round);
		assert_int_equal(output_drain(o), 0);
		assert_int_equal(held_bytes(o), 8 * 1536);
	}
	assert_int_equal(output_get_stats(o)->sent, 32);
	free(big);
}

/* ---- unix_socket: a late receiver, then a full one ---- */

static int bind_receiver(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* Receives what is waiting; each datagram must be record *next. */
static void receive_in_order(int fd, uint32_t *next, size_t len)
{
	static char buf[4096];
	ssize_t r;

	while ((r = recv(fd, buf, sizeof(buf), 0)) >= 0) {
		char want[16];
		int n = snprintf(want, sizeof(want), "%u:", *next);

		assert_int_equal(r, len);
		assert_memory_equal(buf, want, (size_t)n);
		(*next)++;
	}
	assert_int_equal(errno, EAGAIN);
}

static void put_numbered(struct output *o, uint32_t i, size_t len)
{
	static char rec[4096];
	int n = snprintf(rec, sizeof(rec), "%u:", i);

	memset(rec + n, 'x', len - (size_t)n);
	output_write(o, rec, len);
}

static void test_output_drain_unix_socket_late_receiver_in_order(void **state)
{
	struct fixture *fx = *state;
	enum { LEN = 2000, N = 200 };
	uint32_t next = 0, i, rounds = 0;
	bool filled = false;
	struct output *o;
	int fd;

	snprintf(fx->path, sizeof(fx->path), "%s/correlator.sock", fx->dir);
	o = fx->o = out_unix_open(fx->path, 256);
	assert_non_null(o);
	o->now_ns = fake_clock;
	put_numbered(o, 0, LEN);
	put_numbered(o, 1, LEN);
	assert_int_equal(output_drain(o), 2); /* nobody listens yet */
	assert_int_equal(output_get_stats(o)->failures, 1);

	fd = bind_receiver(fx->path);
	assert_int_equal(output_drain(o), 2); /* still backing off */
	fake_now += OUTPUT_BACKOFF_MIN_MS * NS_PER_MS;
	assert_int_equal(output_drain(o), 0);
	assert_int_equal(output_get_stats(o)->reconnects, 1);
	receive_in_order(fd, &next, LEN);
	assert_int_equal(next, 2);

	/* More than the receiver queue holds: EAGAIN, waiting, no failure. */
	for (i = 2; i < 2 + N; i++)
		put_numbered(o, i, LEN);
	while (next < 2 + N && rounds++ < 1000) {
		if (output_drain(o))
			filled = true;
		receive_in_order(fd, &next, LEN);
	}
	assert_true(filled);
	assert_int_equal(next, 2 + N);
	assert_int_equal(output_queued(o), 0);
	assert_int_equal(output_get_stats(o)->sent, 2 + N);
	assert_int_equal(output_get_stats(o)->failures, 1);
	assert_int_equal(output_get_stats(o)->dropped, 0);
	close(fd);
}

/* A datagram larger than the socket can ever send is dropped alone. */
static void test_output_drain_unix_socket_too_big_rejected(void **state)
{
	struct fixture *fx = *state;
	size_t big = 4 << 20;
	char *rec = calloc(1, big), buf[16];
	struct output *o;
	int fd;

	assert_non_null(rec);
	snprintf(fx->path, sizeof(fx->path), "%s/correlator.sock", fx->dir);
	fd = bind_receiver(fx->path);
	o = fx->o = out_unix_open(fx->path, 8);
	assert_non_null(o);
	put(o, "small");
	output_write(o, rec, big);
	put(o, "tail");
	assert_int_equal(output_drain(o), 0);
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 5);
	assert_memory_equal(buf, "small", 5);
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 4);
	assert_memory_equal(buf, "tail", 4);
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), -1);
	assert_int_equal(output_get_stats(o)->dropped, 1);
	assert_int_equal(output_get_stats(o)->sent, 2);
	assert_int_equal(output_get_stats(o)->failures, 0);
	free(rec);
	close(fd);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_output_write_queues_until_drain),
		T(test_output_write_full_queue_drops_oldest),
		T(test_output_drain_rejected_drops_only_head),
		T(test_output_drain_backoff_doubles_and_resets),
		T(test_output_drain_logs_failures_rate_limited),
		T(test_output_write_lossless_waits_for_room),
		T(test_output_write_lossless_gives_up_once),
		T(test_output_finish_waits_while_progress),
		T(test_output_flush_timeout_returns_left),
		T(test_output_drain_stream_short_write_resumes),
		T(test_output_reopen_file_after_rename),
		T(test_output_open_file_refuses_symlink),
		T(test_output_open_file_refuses_fifo),
		T(test_output_reopen_after_cut_record_finishes_line),
		T(test_output_reopen_after_cut_record_new_file_whole),
		T(test_output_write_full_queue_spares_started_head),
		T(test_output_drain_slot_shrinks_after_big_record),
		T(test_output_drain_unix_socket_late_receiver_in_order),
		T(test_output_drain_unix_socket_too_big_rejected),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
