// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * log: JSON lines on stderr, and a library's long message (a verifier
 * log) split into lines with its head and tail kept at the caller's level.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "log.h"

/* stderr goes to a temporary file for the length of a test. */
struct fixture {
	FILE *tmp;
	int saved;
};

static int setup(void **state)
{
	static struct fixture f;

	fflush(stderr);
	f.tmp = tmpfile();
	f.saved = dup(STDERR_FILENO);
	if (!f.tmp || f.saved < 0 || dup2(fileno(f.tmp), STDERR_FILENO) < 0)
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fflush(stderr);
	dup2(f->saved, STDERR_FILENO);
	close(f->saved);
	fclose(f->tmp);
	log_set_level(LOG_INFO);
	return 0;
}

/* The messages logged so far, in order; returns how many. */
static size_t messages(struct fixture *f, char out[][64], size_t max, int *levels_debug)
{
	char line[4096];
	size_t n = 0;

	fflush(stderr);
	rewind(f->tmp);
	*levels_debug = 0;
	while (fgets(line, sizeof(line), f->tmp)) {
		struct json_object *o = json_tokener_parse(line), *m, *l;

		assert_non_null(o);
		assert_true(json_object_object_get_ex(o, "message", &m));
		assert_true(json_object_object_get_ex(o, "level", &l));
		*levels_debug += !strcmp(json_object_get_string(l), "DEBUG");
		if (n < max)
			snprintf(out[n], 64, "%s", json_object_get_string(m));
		n++;
		json_object_put(o);
	}
	return n;
}

static void lib(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlib(lvl, "libbpf", fmt, ap);
	va_end(ap);
}

static void test_log_vlib_short_message(void **state)
{
	char got[8][64];
	int dbg;

	lib(LOG_INFO, "libbpf: %s\n\n", "one line");
	lib(LOG_INFO, "a\nb\n");
	lib(LOG_DEBUG, "not shown at info\n");
	assert_int_equal(messages(*state, got, 8, &dbg), 3);
	assert_string_equal(got[0], "libbpf: one line");
	assert_string_equal(got[1], "a");
	assert_string_equal(got[2], "b");
	assert_int_equal(dbg, 0);
}

/* 200 lines: the first 3, a note, the last 30; all of them at debug. */
static void test_log_vlib_long_message_keeps_head_and_tail(void **state)
{
	char *msg = malloc(200 * 16), got[64][64], *p = msg;
	int dbg;

	assert_non_null(msg);
	for (int i = 0; i < 200; i++)
		p += sprintf(p, "line %d\n", i);
	lib(LOG_INFO, "%s", msg);
	assert_int_equal(messages(*state, got, 64, &dbg), 3 + 1 + 30);
	assert_string_equal(got[0], "line 0");
	assert_string_equal(got[2], "line 2");
	assert_string_equal(got[3], "... 167 lines left out (log_level debug shows them)");
	assert_string_equal(got[4], "line 170");
	assert_string_equal(got[33], "line 199");
	assert_int_equal(dbg, 0);

	/* At debug everything is there, the middle at debug level. */
	assert_int_equal(ftruncate(fileno(((struct fixture *)*state)->tmp), 0), 0);
	rewind(((struct fixture *)*state)->tmp);
	log_set_level(LOG_DEBUG);
	lib(LOG_INFO, "%s", msg);
	assert_int_equal(messages(*state, got, 64, &dbg), 200);
	assert_int_equal(dbg, 167);
	free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_log_vlib_short_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_vlib_long_message_keeps_head_and_tail,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
