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
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <json-c/json.h>
#include "clock.h"
#include "log.h"

static enum log_level cur_level = LOG_INFO;

static const char *const level_names[] = { "DEBUG", "INFO", "WARN", "ERROR" };
/* syslog priorities of the levels (debug 7, info 6, warning 4, err 3), for
 * journald's "<N>" line prefix (sd-daemon(3)). */
static const int level_prio[] = { 7, 6, 4, 3 };

/*
 * Where stderr goes decides the line's form, once, at the first line:
 * journald (JOURNAL_STREAM names fd 2's device and inode): the JSON line
 * behind its priority prefix, so journalctl -p works; a terminal: a line
 * for people (time, level, component, message, key=value); anything else
 * (a pipe, a file): the JSON line alone, as before.
 */
enum log_sink { SINK_UNKNOWN, SINK_JSON, SINK_JOURNAL, SINK_TTY };
static enum log_sink sink;
static bool progress_shown; /* a progress line is on the terminal */

static enum log_sink detect_sink(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && !fstat(STDERR_FILENO, &st) &&
	    (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino)
		return SINK_JOURNAL;
	return isatty(STDERR_FILENO) ? SINK_TTY : SINK_JSON;
}

bool log_is_terminal(void)
{
	if (sink == SINK_UNKNOWN)
		sink = detect_sink();
	return sink == SINK_TTY;
}

void log_progress(const char *line)
{
	if (!log_is_terminal())
		return;
	/* \r and erase-line: the line is redrawn in place. */
	fprintf(stderr, "\r\033[K%s", line ? line : "");
	fflush(stderr);
	progress_shown = line && *line;
}

/* One value of a human line: strings bare (quoted when they hold spaces),
 * the rest as compact JSON. */
static void put_human_value(struct json_object *v)
{
	const char *s;

	if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		fprintf(stderr, strpbrk(s, " =\"") || !*s ? "\"%s\"" : "%s", s);
		return;
	}
	fputs(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
							JSON_C_TO_STRING_NOSLASHESCAPE),
	      stderr);
}

/* Nested objects (the stats line's groups) flattened to group.key=value,
 * counters at zero left out: a terminal shows what happened. */
static void put_human_fields(const char *prefix, struct json_object *fields)
{
	json_object_object_foreach(fields, k, v)
	{
		if (json_object_is_type(v, json_type_object)) {
			char sub[128];

			snprintf(sub, sizeof(sub), "%s%s.", prefix, k);
			put_human_fields(sub, v);
			continue;
		}
		if (*prefix && json_object_is_type(v, json_type_int) && !json_object_get_int64(v))
			continue;
		fprintf(stderr, " %s%s=", prefix, k);
		put_human_value(v);
	}
}

static void write_human(enum log_level lvl, const char *component, const char *msg,
			struct json_object *fields, uint64_t now)
{
	time_t secs = (time_t)(now / 1000000000ULL);
	struct tm tm;
	char ts[32] = "";

	if (localtime_r(&secs, &tm))
		strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03u %-5s %s: %s", ts, (unsigned)(now / 1000000ULL % 1000),
		level_names[lvl], component, msg);
	if (fields)
		put_human_fields("", fields);
	fputc('\n', stderr);
}

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

static const char *journal_prefix(enum log_level lvl)
{
	static char p[4][4];

	snprintf(p[lvl], sizeof(p[lvl]), "<%d>", level_prio[lvl]);
	return p[lvl];
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
	if (log_is_terminal()) {
		if (progress_shown)
			fputs("\r\033[K", stderr); /* the line is redrawn at its next update */
		progress_shown = false;
		write_human(lvl, component, msg, fields, now);
		json_object_put(fields);
		return;
	}
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
	fprintf(stderr, "%s%s\n", sink == SINK_JOURNAL ? journal_prefix(lvl) : "",
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
