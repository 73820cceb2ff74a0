// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The daemon's log: one JSON object per line on stderr, for journald.
 * Only this file writes to stderr.
 */
#define _GNU_SOURCE /* vasprintf */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <json-c/json.h>
#include "clock.h"
#include "log.h"

static enum log_level cur_level = LOG_INFO;

static const char *const level_names[] = { "DEBUG", "INFO", "WARN", "ERROR" };

void log_set_level(enum log_level lvl)
{
	cur_level = lvl;
}

int log_level_parse(const char *s)
{
	static const char *const names[] = { "debug", "info", "warn", "error" };

	for (int i = 0; i < 4; i++)
		if (!strcasecmp(s, names[i]))
			return i;
	if (!strcasecmp(s, "warning"))
		return LOG_WARN;
	return -1;
}

void log_write(enum log_level lvl, const char *component, struct json_object *fields,
	       const char *fmt, ...)
{
	struct json_object *o;
	uint64_t now;
	char msg[1024];
	va_list ap;

	if (lvl < cur_level) {
		json_object_put(fields);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	now = clock_ns(CLOCK_REALTIME);
	o = json_object_new_object();
	if (!o) {
		fprintf(stderr, "%s %s: %s\n", level_names[lvl], component, msg);
		json_object_put(fields);
		return;
	}
	json_object_object_add(o, "timestamp", json_object_new_int64((int64_t)now));
	json_object_object_add(o, "level", json_object_new_string(level_names[lvl]));
	json_object_object_add(o, "component", json_object_new_string(component));
	json_object_object_add(o, "message", json_object_new_string(msg));
	if (fields) {
		json_object_object_foreach(fields, k, v)
			json_object_object_add(o, k, json_object_get(v));
		json_object_put(fields);
	}
	fprintf(stderr, "%s\n",
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* A library's message may be a whole verifier log: thousands of lines whose
 * last ones say why a program was refused. Logged line by line; beyond
 * LIB_LINES_HEAD + LIB_LINES_TAIL lines, the middle is logged at debug only. */
#define LIB_LINES_HEAD 3
#define LIB_LINES_TAIL 30

void log_vlib(enum log_level lvl, const char *component, const char *fmt, va_list ap)
{
	char *msg = NULL, *line, *nl;
	size_t n, lines = 1, i;

	if (lvl < cur_level)
		return;
	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	for (size_t k = 0; k < n; k++)
		lines += msg[k] == '\n';
	for (line = msg, i = 0; line; line = nl, i++) {
		bool shown = lines <= LIB_LINES_HEAD + LIB_LINES_TAIL || i < LIB_LINES_HEAD ||
			     i >= lines - LIB_LINES_TAIL;

		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		if (i == LIB_LINES_HEAD && !shown && cur_level > LOG_DEBUG)
			log_write(lvl, component, NULL,
				  "... %zu lines left out (log_level debug shows them)",
				  lines - LIB_LINES_HEAD - LIB_LINES_TAIL);
		if (*line)
			log_write(shown ? lvl : LOG_DEBUG, component, NULL, "%s", line);
	}
	free(msg);
}
