/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * log: the daemon's own log, JSON lines on stderr for journald
 * ({"timestamp":ns,"level":"INFO","component":"...","message":"...",...}).
 * Records never go here; per-packet conditions are counted, not logged.
 * When stderr is the journal (JOURNAL_STREAM) each line starts with its
 * syslog priority ("<4>" for WARN, sd-daemon(3)); on a terminal the lines
 * are for people: "12:00:01.234 WARN  component: message key=value".
 */
#ifndef J4S_LOG_H
#define J4S_LOG_H

#include <stdarg.h>
#include <stdbool.h>

struct json_object;

enum log_level {
	LOG_DEBUG = 0,
	LOG_INFO,
	LOG_WARN,
	LOG_ERROR,
};

void log_set_level(enum log_level lvl);
/* "debug", "info", "warn", "error"; -1 if none. */
int log_level_parse(const char *s);

/* fields: extra keys for the line (consumed, may be NULL). */
void log_write(enum log_level lvl, const char *component, struct json_object *fields,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A library's message (libbpf, libxdp): formatted, trailing newlines cut. */
void log_vlib(enum log_level lvl, const char *component, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* stderr is a terminal (and not the journal): progress lines may be shown. */
bool log_is_terminal(void);
/* A status line redrawn in place on a terminal (nothing elsewhere); the next
 * log line erases it first; NULL or "" erases it. */
void log_progress(const char *line);

#define log_debug(comp, ...) log_write(LOG_DEBUG, comp, NULL, __VA_ARGS__)
#define log_info(comp, ...)  log_write(LOG_INFO, comp, NULL, __VA_ARGS__)
#define log_warn(comp, ...)  log_write(LOG_WARN, comp, NULL, __VA_ARGS__)
#define log_error(comp, ...) log_write(LOG_ERROR, comp, NULL, __VA_ARGS__)

#endif
