// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unit tests of user/config.c: YAML files written to /tmp (mkstemp) and
 * loaded, defaults, a table of bad files whose messages must name the key,
 * the file and the line, the JA4SENTINEL_* environment overrides, and
 * config_parse_cidr. Every case starts and ends with no JA4SENTINEL_*
 * variable set.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "config.h"
#include "log.h"

/* clang-format off */
static const char *const env_names[] = {
	"JA4SENTINEL_INTERFACE",    "JA4SENTINEL_PORTS",       "JA4SENTINEL_BPF_FILTER",
	"JA4SENTINEL_FLOW_TIMEOUT", "JA4SENTINEL_PACKET_BUFFER_SIZE",
	"JA4SENTINEL_CAPTURE_MODE", "JA4SENTINEL_SENSOR_ID",
};
/* clang-format on */

struct fx {
	char path[64]; /* temp file, "" when none */
	struct config c;
	char err[512];
};

static void env_clear(void)
{
	for (size_t i = 0; i < sizeof(env_names) / sizeof(env_names[0]); i++)
		unsetenv(env_names[i]);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	env_clear();
	config_defaults(&f->c);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->path[0])
		unlink(f->path);
	config_free(&f->c);
	env_clear();
	free(f);
	return 0;
}

/* Write text to a fresh temp file (replacing the previous one). */
static const char *write_yaml(struct fx *f, const char *text)
{
	size_t len = strlen(text);
	int fd;

	if (f->path[0])
		unlink(f->path);
	snprintf(f->path, sizeof(f->path), "/tmp/j4s-test-config-XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	return f->path;
}

/* Load text on top of fresh defaults. */
static int load(struct fx *f, const char *text)
{
	config_free(&f->c);
	config_defaults(&f->c);
	f->err[0] = '\0';
	return config_load(&f->c, write_yaml(f, text), true, f->err, sizeof(f->err));
}

/* clang-format off */
static const char full_yaml[] =
	"# every key\n"                                       /* 1 */
	"core:\n"                                             /* 2 */
	"  interface: eth0\n"                                 /* 3 */
	"  listen_ports: [443, 8443]\n"                       /* 4 */
	"  bpf_filter: \"tcp port 443 and not net 10.0.0.0/8\"\n" /* 5 */
	"  local_ips:\n"                                      /* 6 */
	"    - 192.0.2.1\n"                                   /* 7 */
	"    - 2001:db8::1\n"                                 /* 8 */
	"  exclude_source_ips: [\"10.0.0.0/8\", \"2001:db8:ffff::/48\", 198.51.100.7]\n"
	"  flow_timeout_sec: 45\n"                            /* 10 */
	"  packet_buffer_size: 5000\n"
	"  max_tracked_flows: 20000\n"
	"  max_hello_segments: 50\n"
	"  log_level: debug\n"
	"  capture_mode: xdp\n"                               /* 15 */
	"  xdp_generic: true\n"
	"  sensor_id: edge-01\n"
	"outputs:\n"
	"  - type: stdout\n"                                  /* 19 */
	"    enabled: false\n"
	"  - type: file\n"                                    /* 21 */
	"    async_buffer: 200\n"
	"    params:\n"
	"      path: /var/log/ja4sentinel/records.json\n"
	"  - type: unix_socket\n"                             /* 25 */
	"    enabled: yes\n"
	"    async_buffer: 5000\n"
	"    params:\n"
	"      socket_path: /var/run/logcorrelator/network.socket\n"
	"fingerprints:\n"
	"  raw: true\n"
	"  ja4t: on\n";
/* clang-format on */

static void test_config_load_full(void **state)
{
	struct fx *f = *state;
	const struct config *c = &f->c;
	uint8_t a[16];

	assert_int_equal(load(f, full_yaml), 0);
	assert_string_equal(c->file, f->path);
	assert_string_equal(c->interface, "eth0");
	assert_int_equal(c->n_ports, 2);
	assert_int_equal(c->ports[0], 443);
	assert_int_equal(c->ports[1], 8443);
	assert_true(c->ports_set);
	assert_string_equal(c->bpf_filter, "tcp port 443 and not net 10.0.0.0/8");
	assert_int_equal(c->n_local_ips, 2);
	assert_int_equal(c->local_ips[0].family, AF_INET);
	assert_int_equal(c->local_ips[0].prefix, 32);
	assert_int_equal(inet_pton(AF_INET, "192.0.2.1", a), 1);
	assert_memory_equal(c->local_ips[0].addr, a, 4);
	assert_int_equal(c->local_ips[1].family, AF_INET6);
	assert_int_equal(c->local_ips[1].prefix, 128);
	assert_int_equal(c->n_exclude, 3);
	assert_int_equal(c->exclude[0].prefix, 8);
	assert_int_equal(c->exclude[0].addr[0], 10);
	assert_int_equal(c->exclude[1].family, AF_INET6);
	assert_int_equal(c->exclude[1].prefix, 48);
	assert_int_equal(c->exclude[2].family, AF_INET);
	assert_int_equal(c->exclude[2].prefix, 32);
	assert_int_equal(c->flow_timeout_sec, 45);
	assert_int_equal(c->packet_buffer_size, 5000);
	assert_int_equal(c->max_tracked_flows, 20000);
	assert_int_equal(c->max_hello_segments, 50);
	assert_int_equal(c->log_level, LOG_DEBUG);
	assert_int_equal(c->capture_mode, CAPTURE_XDP);
	assert_true(c->xdp_generic);
	assert_string_equal(c->sensor_id, "edge-01");
	assert_true(c->fp_raw);
	assert_true(c->fp_ja4t);
	assert_true(c->outputs_set);
	assert_int_equal(c->n_outputs, 3);
	assert_int_equal(c->outputs[0].type, OUTPUT_STDOUT);
	assert_false(c->outputs[0].enabled);
	assert_int_equal(c->outputs[0].async_buffer, DEF_ASYNC_BUFFER);
	assert_int_equal(c->outputs[0].line, 19);
	assert_int_equal(c->outputs[1].type, OUTPUT_FILE);
	assert_true(c->outputs[1].enabled);
	assert_int_equal(c->outputs[1].async_buffer, 200);
	assert_string_equal(c->outputs[1].path, "/var/log/ja4sentinel/records.json");
	assert_int_equal(c->outputs[1].line, 21);
	assert_int_equal(c->outputs[2].type, OUTPUT_UNIX_SOCKET);
	assert_true(c->outputs[2].enabled);
	assert_int_equal(c->outputs[2].async_buffer, 5000);
	assert_string_equal(c->outputs[2].path, DEF_SOCKET_PATH);
	assert_int_equal(c->outputs[2].line, 25);
}

static void check_defaults(const struct config *c)
{
	assert_string_equal(c->interface, "any");
	assert_int_equal(c->n_ports, 1);
	assert_int_equal(c->ports[0], DEF_LISTEN_PORT);
	assert_false(c->ports_set);
	assert_null(c->bpf_filter);
	assert_int_equal(c->n_local_ips, 0);
	assert_int_equal(c->n_exclude, 0);
	assert_int_equal(c->flow_timeout_sec, DEF_FLOW_TIMEOUT_SEC);
	assert_int_equal(c->packet_buffer_size, DEF_PACKET_BUFFER_SIZE);
	assert_int_equal(c->max_tracked_flows, DEF_MAX_TRACKED_FLOWS);
	assert_int_equal(c->max_hello_segments, DEF_MAX_HELLO_SEGMENTS);
	assert_int_equal(c->unvalidated_rate, DEF_UNVALIDATED_RATE);
	assert_int_equal(c->unvalidated_burst, DEF_UNVALIDATED_BURST);
	assert_int_equal(c->log_level, LOG_INFO);
	assert_int_equal(c->capture_mode, CAPTURE_AUTO);
	assert_false(c->xdp_generic);
	assert_string_equal(c->sensor_id, "");
	assert_false(c->fp_raw);
	assert_false(c->fp_ja4t);
	assert_int_equal(c->n_outputs, 1);
	assert_false(c->outputs_set);
	assert_int_equal(c->outputs[0].type, OUTPUT_STDOUT);
	assert_true(c->outputs[0].enabled);
	assert_int_equal(c->outputs[0].async_buffer, DEF_ASYNC_BUFFER);
}

static void test_config_load_missing_file(void **state)
{
	struct fx *f = *state;
	const char *missing = "/tmp/j4s-test-config-does-not-exist/config.yml";

	assert_int_equal(config_load(&f->c, missing, false, f->err, sizeof(f->err)), 0);
	assert_string_equal(f->c.file, "");
	check_defaults(&f->c);
	/* Unless the file was asked for by name. */
	f->err[0] = '\0';
	assert_int_equal(config_load(&f->c, missing, true, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, missing));
	assert_non_null(strstr(f->err, "cannot open"));
	/* A directory is named as one, not as a YAML input error. */
	assert_int_equal(config_load(&f->c, "/tmp", true, f->err, sizeof(f->err)), -1);
	assert_string_equal(f->err, "/tmp: cannot read: Is a directory");
}

static void test_config_load_empty_file(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, ""), 0);
	check_defaults(&f->c);
	assert_string_equal(f->c.file, f->path);
	assert_int_equal(load(f, "# only a comment\n"), 0);
	check_defaults(&f->c);
	/* Document markers around the one document are fine. */
	assert_int_equal(load(f, "---\ncore:\n  interface: eth0\n...\n"), 0);
	assert_int_equal(load(f, "core:\n  interface: eth0\n---\n# nothing more\n"), 0);
	assert_string_equal(f->c.interface, "eth0");
	config_free(&f->c);
	config_defaults(&f->c);
	/* Empty sections keep their defaults. */
	assert_int_equal(load(f, "core:\nfingerprints:\n"), 0);
	check_defaults(&f->c);
}

static void test_config_load_partial(void **state)
{
	struct fx *f = *state;

	/* One key changes one value; scalar port; output list replaces. */
	assert_int_equal(load(f, "core:\n  listen_ports: 8443\n"), 0);
	assert_int_equal(f->c.n_ports, 1);
	assert_int_equal(f->c.ports[0], 8443);
	assert_true(f->c.ports_set);
	assert_string_equal(f->c.interface, "any");
	assert_int_equal(load(f, "outputs:\n  - type: unix_socket\n    params:\n"
				 "      socket_path: /run/x.sock\n"),
			 0);
	assert_int_equal(f->c.n_outputs, 1);
	assert_int_equal(f->c.outputs[0].type, OUTPUT_UNIX_SOCKET);
	assert_string_equal(f->c.outputs[0].path, "/run/x.sock");
	assert_int_equal(f->c.outputs[0].async_buffer, DEF_ASYNC_BUFFER);
	/* Boundaries are in range. */
	assert_int_equal(load(f, "core:\n  flow_timeout_sec: 1\n  packet_buffer_size: 1000000\n"),
			 0);
	assert_int_equal(f->c.flow_timeout_sec, 1);
	assert_int_equal(f->c.packet_buffer_size, 1000000);
	assert_int_equal(load(f, "core:\n  flow_timeout_sec: 300\n  listen_ports: [1, 65535]\n"),
			 0);
	assert_int_equal(f->c.flow_timeout_sec, 300);
	assert_int_equal(f->c.ports[1], 65535);
	/* Capture mode and log level names are case-insensitive. */
	assert_int_equal(load(f, "core:\n  capture_mode: PCAP\n  log_level: Warning\n"), 0);
	assert_int_equal(f->c.capture_mode, CAPTURE_PCAP);
	assert_int_equal(f->c.log_level, LOG_WARN);
	/* QUIC is on unless turned off. */
	assert_true(f->c.quic);
	assert_int_equal(load(f, "core:\n  quic: false\n"), 0);
	assert_false(f->c.quic);
	assert_int_equal(load(f, "core:\n  quic: maybe\n"), -1);
	assert_non_null(strstr(f->err, "core.quic"));
	/* metrics: off by default, a path and a period when set. */
	assert_int_equal(load(f, "core:\n  listen_ports: 443\n"), 0);
	assert_string_equal(f->c.metrics_textfile, "");
	assert_int_equal(f->c.metrics_period_sec, DEF_METRICS_PERIOD_SEC);
	assert_int_equal(load(f,
			      "metrics:\n  textfile: /var/lib/ne/j4s.prom\n  period_sec: 3600\n"),
			 0);
	assert_string_equal(f->c.metrics_textfile, "/var/lib/ne/j4s.prom");
	assert_int_equal(f->c.metrics_period_sec, 3600);
}

static void test_config_load_bad(void **state)
{
	static const struct {
		const char *what;
		const char *yaml;
		const char *key;  /* must appear in the message */
		const char *line; /* ":N:" */
	} bad[] = {
		{ "unknown top key", "core:\n  interface: eth0\nbogus: 1\n", "bogus", ":3:" },
		{ "unknown core key", "core:\n  interface: eth0\n  listen_port: 443\n",
		  "core.listen_port", ":3:" },
		{ "list for flow_timeout_sec", "core:\n  flow_timeout_sec: [1, 2]\n",
		  "core.flow_timeout_sec", ":2:" },
		{ "mapping for flow_timeout_sec", "core:\n\n  flow_timeout_sec: {a: 1}\n",
		  "core.flow_timeout_sec", ":3:" },
		{ "flow_timeout_sec 0", "core:\n  flow_timeout_sec: 0\n", "core.flow_timeout_sec",
		  ":2:" },
		{ "flow_timeout_sec 301", "core:\n  interface: any\n  flow_timeout_sec: 301\n",
		  "core.flow_timeout_sec", ":3:" },
		{ "flow_timeout_sec text", "core:\n  flow_timeout_sec: 30s\n",
		  "core.flow_timeout_sec", ":2:" },
		{ "flow_timeout_sec negative", "core:\n  flow_timeout_sec: -5\n",
		  "core.flow_timeout_sec", ":2:" },
		{ "packet_buffer_size 0", "core:\n  packet_buffer_size: 0\n",
		  "core.packet_buffer_size", ":2:" },
		{ "max_tracked_flows too small", "core:\n  max_tracked_flows: 15\n",
		  "core.max_tracked_flows", ":2:" },
		{ "port 0", "core:\n  listen_ports: [443, 0]\n", "core.listen_ports", ":2:" },
		{ "port 70000", "core:\n  listen_ports:\n    - 443\n    - 70000\n",
		  "core.listen_ports", ":4:" },
		{ "no port", "core:\n  listen_ports: []\n", "core.listen_ports", ":2:" },
		{ "bad CIDR in exclude_source_ips",
		  "core:\n  exclude_source_ips:\n    - 10.0.0.0/8\n    - 10.0.0.0/33\n",
		  "core.exclude_source_ips", ":4:" },
		{ "address in exclude_source_ips", "core:\n  exclude_source_ips: [10.0.0.300]\n",
		  "core.exclude_source_ips", ":2:" },
		{ "host bits in exclude_source_ips",
		  "core:\n  exclude_source_ips:\n    - 198.18.0.0/15\n    - 198.18.0.1/31\n",
		  "core.exclude_source_ips", ":4:" },
		{ "IPv6 host bits in exclude_source_ips",
		  "core:\n  exclude_source_ips: [\"fd00:0:0:1::/48\"]\n", "core.exclude_source_ips",
		  ":2:" },
		{ "interface name over 15 bytes", "core:\n  interface: veth-0123456789a\n",
		  "core.interface", ":2:" },
		{ "socket_path over 107 bytes",
		  "outputs:\n  - type: unix_socket\n    params:\n      socket_path: /run/"
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxx.sock\n",
		  "outputs[0].params.socket_path", ":4:" },
		{ "local_ips with a prefix", "core:\n  local_ips:\n    - 192.0.2.0/24\n",
		  "core.local_ips", ":3:" },
		{ "unvalidated_rate negative", "core:\n  unvalidated_rate: -1\n",
		  "core.unvalidated_rate", ":2:" },
		{ "unvalidated_burst 0", "core:\n  flow_timeout_sec: 5\n  unvalidated_burst: 0\n",
		  "core.unvalidated_burst", ":3:" },
		{ "bad capture_mode", "core:\n  capture_mode: ebpf\n", "core.capture_mode", ":2:" },
		{ "bpf_filter libpcap refuses",
		  "core:\n  listen_ports: [443]\n  bpf_filter: tcp prot 1\n", "core.bpf_filter",
		  ":3:" },
		{ "bpf_filter with an unknown keyword", "core:\n  bpf_filter: \"hst 198.18.0.1\"\n",
		  "core.bpf_filter", ":2:" },
		{ "bad log_level", "core:\n  log_level: verbose\n", "core.log_level", ":2:" },
		{ "bad boolean", "fingerprints:\n  raw: maybe\n", "fingerprints.raw", ":2:" },
		{ "unknown fingerprints key", "fingerprints:\n  ja5: true\n", "fingerprints.ja5",
		  ":2:" },
		{ "empty interface", "core:\n  interface: \"\"\n", "core.interface", ":2:" },
		{ "core not a mapping", "core: eth0\n", "core", ":1:" },
		{ "top level not a mapping", "# a list\n- core\n- outputs\n",
		  ": top level: expected a mapping of keys", ":2:" },
		{ "outputs not a list", "outputs:\n  type: stdout\n", "outputs", ":2:" },
		{ "output without type", "outputs:\n  - enabled: true\n", "outputs[0]", ":2:" },
		{ "unknown output type", "outputs:\n  - type: syslog\n", "outputs[0].type", ":2:" },
		{ "unix_socket without socket_path", "outputs:\n  - type: unix_socket\n",
		  "outputs[0]", ":2:" },
		{ "file without path",
		  "outputs:\n  - type: stdout\n  - type: file\n    async_buffer: 10\n",
		  "outputs[1]", ":3:" },
		{ "file with only socket_path",
		  "outputs:\n  - type: file\n    params:\n      socket_path: /tmp/x.sock\n",
		  "outputs[0]", ":2:" },
		{ "unix_socket with only path",
		  "outputs:\n  - type: unix_socket\n    params:\n      path: /tmp/x.log\n",
		  "outputs[0]", ":2:" },
		{ "file with an empty path",
		  "outputs:\n  - type: file\n    params:\n      path: \"\"\n",
		  "outputs[0].params.path", ":4:" },
		{ "outputs[1] unknown key",
		  "outputs:\n  - type: stdout\n  - type: stdout\n    color: true\n",
		  "outputs[1].color", ":4:" },
		{ "unknown params key",
		  "outputs:\n  - type: file\n    params:\n      file: /tmp/x\n",
		  "outputs[0].params.file", ":4:" },
		{ "async_buffer 0", "outputs:\n  - type: stdout\n    async_buffer: 0\n",
		  "outputs[0].async_buffer", ":3:" },
		{ "YAML syntax", "core:\n  interface: eth0\n   bad: x\n", "YAML syntax", ":3:" },
		/* a second document would be ignored, settings and mistakes alike */
		{ "second document", "core:\n  interface: eth0\n---\ncore:\n  flow_timout: 1\n",
		  "a second YAML document", ":3:" },
		{ "syntax error in a second document", "core:\n  interface: eth0\n---\n[\n",
		  "YAML syntax", ":5:" },
		{ "YAML tab", "core:\n  interface: eth0\n\tx: 1\n", "YAML syntax", ":3:" },
		{ "YAML unclosed list", "core:\n  listen_ports: [443\n", "YAML syntax", ":3:" },
		/* line:column of the problem, and where the construct began */
		{ "YAML column", "core:\n  interface: eth0\n   bad: x\n", "YAML syntax", ":3:7:" },
		{ "YAML context", "core:\n  listen_ports: [443\n",
		  "while parsing a flow sequence at line 2, column 17", ":3:1:" },
		/* a typo gets the nearest key of its section */
		{ "did you mean", "core:\n  flow_timout_sec: 5\n",
		  "core.flow_timout_sec: unknown key; did you mean \"flow_timeout_sec\"?", ":2:" },
		{ "did you mean, outputs", "outputs:\n  - type: stdout\n    enabeld: true\n",
		  "did you mean \"enabled\"?", ":3:" },
		{ "did you mean, top level", "fingerprint:\n  raw: true\n",
		  "did you mean \"fingerprints\"?", ":1:" },
		{ "core key at the top", "listen_ports: [443]\n",
		  "core.listen_ports belongs under \"core:\"", ":1:" },
		{ "metrics.period_sec 0", "metrics:\n  period_sec: 0\n", "metrics.period_sec",
		  ":2:" },
		{ "metrics.textfile relative", "metrics:\n  textfile: j4s.prom\n",
		  "metrics.textfile", ":2:" },
	};
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (load(f, bad[i].yaml) != -1)
			fail_msg("%s: accepted", bad[i].what);
		if (strncmp(f->err, f->path, strlen(f->path)) || !strstr(f->err, bad[i].key) ||
		    !strstr(f->err, bad[i].line))
			fail_msg("%s: message \"%s\" lacks the file, \"%s\" or \"%s\"", bad[i].what,
				 f->err, bad[i].key, bad[i].line);
	}
	/* The unvalidated-hello limit: 0 turns it off. */
	assert_int_equal(load(f, "core:\n  unvalidated_rate: 0\n  unvalidated_burst: 50\n"), 0);
	assert_int_equal(f->c.unvalidated_rate, 0);
	assert_int_equal(f->c.unvalidated_burst, 50);
	/* The exact shape of one message: file:line: key: what. */
	load(f, "core:\n  flow_timeout_sec: 301\n");
	assert_non_null(strstr(f->err, ":2: core.flow_timeout_sec: 301 is out of range 1..300"));
	load(f, "outputs:\n  - type: unix_socket\n");
	assert_non_null(strstr(f->err, ":2: outputs[0]: "));
	assert_non_null(strstr(f->err, "socket_path"));
	load(f, "outputs:\n  - type: file\n");
	assert_non_null(strstr(f->err, "params.path"));
	load(f, "outputs:\n  - enabled: true\n");
	assert_non_null(strstr(f->err, "\"type\""));
	/* No guess when nothing is near: "file" is 4 edits from "path". */
	load(f, "outputs:\n  - type: file\n    params:\n      file: /tmp/x\n");
	assert_null(strstr(f->err, "did you mean"));
	assert_non_null(strstr(f->err, "unknown key"));
}

/* Each output type takes its own params key, wherever the other one is or
 * whichever comes last (design.md §9: params{socket_path|path}). */
static void test_config_load_params_by_type(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "outputs:\n"
				 "  - type: file\n"
				 "    params:\n"
				 "      path: /var/log/ja4sentinel/ja4.log\n"
				 "      socket_path: /run/logcorrelator/network.socket\n"
				 "  - params:\n"
				 "      socket_path: /run/logcorrelator/network.socket\n"
				 "      path: /var/log/ja4sentinel/other.log\n"
				 "    type: unix_socket\n"
				 "  - type: stdout\n"
				 "    params:\n"
				 "      path: /var/log/ja4sentinel/x.log\n"),
			 0);
	assert_int_equal(f->c.n_outputs, 3);
	assert_string_equal(f->c.outputs[0].path, "/var/log/ja4sentinel/ja4.log");
	assert_int_equal(f->c.outputs[0].path_line, 4);
	assert_string_equal(f->c.outputs[1].path, "/run/logcorrelator/network.socket");
	assert_int_equal(f->c.outputs[1].path_line, 7);
	assert_string_equal(f->c.outputs[2].path, "");
	/* The ignored key is still checked: empty is an error. */
	assert_int_equal(load(f, "outputs:\n  - type: file\n    params:\n      path: /tmp/a\n"
				 "      socket_path: \"\"\n"),
			 -1);
	assert_non_null(strstr(f->err, ":5: outputs[0].params.socket_path: must not be empty"));
}

static void test_config_load_limits(void **state)
{
	struct fx *f = *state;
	char yaml[4096];
	size_t n;

	/* MAX_LISTEN_PORTS ports are fine, one more is not. */
	n = (size_t)snprintf(yaml, sizeof(yaml), "core:\n  listen_ports: [");
	for (int i = 0; i < MAX_LISTEN_PORTS; i++)
		n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, "%s%d", i ? ", " : "", 1000 + i);
	snprintf(yaml + n, sizeof(yaml) - n, "]\n");
	assert_int_equal(load(f, yaml), 0);
	assert_int_equal(f->c.n_ports, MAX_LISTEN_PORTS);
	snprintf(yaml + n, sizeof(yaml) - n, ", 2000]\n");
	assert_int_equal(load(f, yaml), -1);
	assert_non_null(strstr(f->err, "core.listen_ports"));

	/* CONFIG_MAX_OUTPUTS outputs, then one more. */
	n = (size_t)snprintf(yaml, sizeof(yaml), "outputs:\n");
	for (int i = 0; i < CONFIG_MAX_OUTPUTS; i++)
		n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, "  - type: stdout\n");
	assert_int_equal(load(f, yaml), 0);
	assert_int_equal(f->c.n_outputs, CONFIG_MAX_OUTPUTS);
	snprintf(yaml + n, sizeof(yaml) - n, "  - type: stdout\n");
	assert_int_equal(load(f, yaml), -1);
	assert_non_null(strstr(f->err, "outputs[16]"));

	/* sensor_id of 127 characters fits, 128 does not. */
	n = (size_t)snprintf(yaml, sizeof(yaml), "core:\n  sensor_id: ");
	memset(yaml + n, 's', 127);
	snprintf(yaml + n + 127, sizeof(yaml) - n - 127, "\n");
	assert_int_equal(load(f, yaml), 0);
	assert_int_equal(strlen(f->c.sensor_id), 127);
	memset(yaml + n, 's', 128);
	snprintf(yaml + n + 128, sizeof(yaml) - n - 128, "\n");
	assert_int_equal(load(f, yaml), -1);
	assert_non_null(strstr(f->err, "core.sensor_id"));
}

static void test_config_load_lists_replace(void **state)
{
	struct fx *f = *state;

	/* A list replaces the default, it does not add to it. */
	assert_int_equal(load(f, "core:\n  listen_ports: [8443]\n  local_ips: ~\n"), 0);
	assert_int_equal(f->c.n_ports, 1);
	assert_int_equal(f->c.ports[0], 8443);
	assert_int_equal(f->c.n_local_ips, 0);
}

/* A key given twice in one mapping is an error naming both lines: the
 * second would otherwise silently replace the first (or, for a section,
 * merge into it), a setting the operator believes in but does not get. */
static void test_config_load_repeated_key(void **state)
{
	static const struct {
		const char *yaml, *msg;
	} rep[] = {
		{ "core:\n  exclude_source_ips: [198.18.0.0/15]\n  flow_timeout_sec: 5\n"
		  "  exclude_source_ips: [192.0.2.0/24]\n",
		  ":4: core.exclude_source_ips: repeated (first set at line 2)" },
		{ "core:\n  interface: eth0\nfingerprints:\n  raw: true\ncore:\n  interface: "
		  "eth1\n",
		  ":5: core: repeated (first set at line 1)" },
		{ "outputs:\n  - type: file\n    params:\n      path: /tmp/a\n      path: /tmp/b\n",
		  ":5: outputs[0].params.path: repeated (first set at line 4)" },
		{ "outputs:\n  - type: stdout\n  - type: stdout\n    enabled: true\n"
		  "    enabled: false\n",
		  ":5: outputs[1].enabled: repeated (first set at line 4)" },
	};
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof(rep) / sizeof(rep[0]); i++) {
		assert_int_equal(load(f, rep[i].yaml), -1);
		if (!strstr(f->err, rep[i].msg))
			fail_msg("\"%s\" lacks \"%s\"", f->err, rep[i].msg);
	}
	/* The same key in two different mappings is no repetition. */
	assert_int_equal(load(f, "outputs:\n  - type: stdout\n    enabled: true\n"
				 "  - type: stdout\n    enabled: false\n"),
			 0);
}

/* ---- environment ---- */

static void test_config_apply_env_none(void **state)
{
	struct fx *f = *state;

	assert_int_equal(config_apply_env(&f->c, f->err, sizeof(f->err)), 0);
	check_defaults(&f->c);
}

static void test_config_apply_env_values(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "core:\n  interface: eth0\n  flow_timeout_sec: 10\n"), 0);
	setenv("JA4SENTINEL_PORTS", "443,8443", 1);
	setenv("JA4SENTINEL_FLOW_TIMEOUT", "120", 1);
	setenv("JA4SENTINEL_CAPTURE_MODE", "tc", 1);
	setenv("JA4SENTINEL_SENSOR_ID", "node-7", 1);
	setenv("JA4SENTINEL_INTERFACE", "ens3", 1);
	setenv("JA4SENTINEL_BPF_FILTER", "tcp port 8443", 1);
	setenv("JA4SENTINEL_PACKET_BUFFER_SIZE", "20000", 1);
	assert_int_equal(config_apply_env(&f->c, f->err, sizeof(f->err)), 0);
	assert_int_equal(f->c.n_ports, 2);
	assert_int_equal(f->c.ports[0], 443);
	assert_int_equal(f->c.ports[1], 8443);
	assert_true(f->c.ports_set);
	assert_int_equal(f->c.flow_timeout_sec, 120); /* over the file's 10 */
	assert_int_equal(f->c.capture_mode, CAPTURE_TC);
	assert_string_equal(f->c.sensor_id, "node-7");
	assert_string_equal(f->c.interface, "ens3"); /* over the file's eth0 */
	assert_string_equal(f->c.bpf_filter, "tcp port 8443");
	assert_int_equal(f->c.packet_buffer_size, 20000);
}

static void test_config_apply_env_ports_forms(void **state)
{
	struct fx *f = *state;

	setenv("JA4SENTINEL_PORTS", " 443 , 8443,9443 ", 1);
	assert_int_equal(config_apply_env(&f->c, f->err, sizeof(f->err)), 0);
	assert_int_equal(f->c.n_ports, 3);
	assert_int_equal(f->c.ports[2], 9443);
	/* Empty variables change nothing. */
	env_clear();
	config_free(&f->c);
	config_defaults(&f->c);
	setenv("JA4SENTINEL_PORTS", "", 1);
	setenv("JA4SENTINEL_INTERFACE", "", 1);
	setenv("JA4SENTINEL_FLOW_TIMEOUT", "", 1);
	assert_int_equal(config_apply_env(&f->c, f->err, sizeof(f->err)), 0);
	assert_int_equal(f->c.n_ports, 1);
	assert_string_equal(f->c.interface, "any");
	assert_int_equal(f->c.flow_timeout_sec, DEF_FLOW_TIMEOUT_SEC);
	/* An empty filter is a value: "generated". */
	setenv("JA4SENTINEL_BPF_FILTER", "", 1);
	assert_int_equal(config_apply_env(&f->c, f->err, sizeof(f->err)), 0);
	assert_string_equal(f->c.bpf_filter, "");
	/* So is an empty sensor id (docs/configuration.md, "Environment"). */
	snprintf(f->c.sensor_id, sizeof(f->c.sensor_id), "from-file");
	setenv("JA4SENTINEL_SENSOR_ID", "", 1);
	assert_int_equal(config_apply_env(&f->c, f->err, sizeof(f->err)), 0);
	assert_string_equal(f->c.sensor_id, "");
}

/* JA4SENTINEL_* variables nothing reads are counted (and warned about);
 * the read ones, the test hooks and other variables are not. */
static void test_config_warn_unknown_env(void **state)
{
	char *const env[] = {
		"PATH=/usr/bin",
		"JA4SENTINEL_PORTS=443",
		"JA4SENTINEL_SENSOR_ID=",
		"JA4SENTINEL_TEST_NO_TCX=1",
		"JA4SENTINEL_LOG_LEVEL=debug", /* the Go README's unit example */
		"JA4SENTINEL_PORT=8443",       /* a typo */
		"JA4SENTINEL_PORTSX=1",
		"JA4SENTINEL_=x",
		"JA4SENTINELPORTS=1",
		NULL,
	};

	(void)state;
	assert_int_equal(config_warn_unknown_env(env), 4);
	assert_int_equal(config_warn_unknown_env(env + 1), 4);
	assert_int_equal(config_warn_unknown_env(env + 5), 3);
	assert_int_equal(config_warn_unknown_env(NULL), 0);
}

static void test_config_apply_env_bad(void **state)
{
	static const struct {
		const char *name, *value;
	} bad[] = {
		{ "JA4SENTINEL_PORTS", "0" },
		{ "JA4SENTINEL_PORTS", "70000" },
		{ "JA4SENTINEL_PORTS", "443,https" },
		{ "JA4SENTINEL_PORTS", "," },
		{ "JA4SENTINEL_PORTS", "443;8443" },
		{ "JA4SENTINEL_FLOW_TIMEOUT", "0" },
		{ "JA4SENTINEL_FLOW_TIMEOUT", "301" },
		{ "JA4SENTINEL_FLOW_TIMEOUT", "30s" },
		{ "JA4SENTINEL_PACKET_BUFFER_SIZE", "0" },
		{ "JA4SENTINEL_PACKET_BUFFER_SIZE", "1000001" },
		{ "JA4SENTINEL_CAPTURE_MODE", "ebpf" },
		{ "JA4SENTINEL_BPF_FILTER", "tcp port" },
		{ "JA4SENTINEL_SENSOR_ID", NULL }, /* 200 characters, set below */
		{ "JA4SENTINEL_INTERFACE", NULL },
	};
	struct fx *f = *state;
	char longv[201];

	memset(longv, 'x', 200);
	longv[200] = '\0';
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *v = bad[i].value ? bad[i].value : longv;

		env_clear();
		setenv(bad[i].name, v, 1);
		f->err[0] = '\0';
		if (config_apply_env(&f->c, f->err, sizeof(f->err)) != -1)
			fail_msg("%s=%s accepted", bad[i].name, v);
		if (!strstr(f->err, bad[i].name))
			fail_msg("%s=%s: message \"%s\" does not name it", bad[i].name, v, f->err);
	}
	/* The message shows the value. */
	env_clear();
	setenv("JA4SENTINEL_CAPTURE_MODE", "ebpf", 1);
	assert_int_equal(config_apply_env(&f->c, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "\"ebpf\""));
	assert_int_equal(f->c.capture_mode, CAPTURE_AUTO);
}

static void test_config_apply_env_ports_limit(void **state)
{
	struct fx *f = *state;
	char v[1024];
	size_t n = 0;

	for (int i = 0; i < MAX_LISTEN_PORTS; i++)
		n += (size_t)snprintf(v + n, sizeof(v) - n, "%s%d", i ? "," : "", 2000 + i);
	setenv("JA4SENTINEL_PORTS", v, 1);
	assert_int_equal(config_apply_env(&f->c, f->err, sizeof(f->err)), 0);
	assert_int_equal(f->c.n_ports, MAX_LISTEN_PORTS);
	snprintf(v + n, sizeof(v) - n, ",9999");
	setenv("JA4SENTINEL_PORTS", v, 1);
	assert_int_equal(config_apply_env(&f->c, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "JA4SENTINEL_PORTS"));
}

/* ---- config_parse_cidr ---- */

static void test_config_parse_cidr_good(void **state)
{
	static const struct {
		const char *s;
		uint8_t family, prefix;
		const char *addr;
	} good[] = {
		{ "10.0.0.0/8", AF_INET, 8, "10.0.0.0" },
		{ "192.0.2.1", AF_INET, 32, "192.0.2.1" },
		{ "192.0.2.1/32", AF_INET, 32, "192.0.2.1" },
		{ "0.0.0.0/0", AF_INET, 0, "0.0.0.0" },
		{ "2001:db8::/32", AF_INET6, 32, "2001:db8::" },
		{ "2001:db8::1", AF_INET6, 128, "2001:db8::1" },
		{ "::1/128", AF_INET6, 128, "::1" },
		{ "::/0", AF_INET6, 0, "::" },
		{ "::ffff:192.0.2.1/96", AF_INET6, 96, "::ffff:192.0.2.1" },
	};
	struct cidr c;
	uint8_t a[16];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(&c, 0xee, sizeof(c));
		memset(a, 0, sizeof(a));
		if (config_parse_cidr(good[i].s, &c))
			fail_msg("%s rejected", good[i].s);
		assert_int_equal(c.family, good[i].family);
		assert_int_equal(c.prefix, good[i].prefix);
		assert_int_equal(inet_pton(good[i].family, good[i].addr, a), 1);
		assert_memory_equal(c.addr, a, 16); /* IPv4: the rest zeroed */
	}
}

static void test_config_parse_cidr_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"/8",
		"10.0.0.0/",
		"10.0.0.0/33",
		"10.0.0.0/-1",
		"10.0.0.0/8x",
		"10.0.0.0/8/8",
		"300.1.1.1",
		"10.0.0",
		"10.0.0.0.0/8",
		"2001:db8::/129",
		"2001:db8::g",
		"2001:db8:::1",
		"host.example.com",
		"10.0.0.0 /8",
		"1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc/64",
	};
	struct cidr c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (config_parse_cidr(bad[i], &c) != -1)
			fail_msg("\"%s\" accepted", bad[i]);
}

static void test_config_load_pin_dir(void **state)
{
	struct fx *f = *state;
	char yaml[300];

	assert_string_equal(f->c.pin_dir, DEF_PIN_DIR);
	assert_int_equal(load(f, "core:\n  pin_dir: /run/bpf/j4s-eth1\n"), 0);
	assert_string_equal(f->c.pin_dir, "/run/bpf/j4s-eth1");
	/* Relative, the root, and longer than PIN_DIR_MAX: errors naming key and line. */
	assert_int_equal(load(f, "core:\n  interface: any\n  pin_dir: bpf/j4s\n"), -1);
	assert_non_null(strstr(f->err, ":3: core.pin_dir"));
	assert_int_equal(load(f, "core:\n  pin_dir: /\n"), -1);
	assert_non_null(strstr(f->err, "core.pin_dir"));
	snprintf(yaml, sizeof(yaml), "core:\n  pin_dir: /%0*d\n", PIN_DIR_MAX, 0);
	assert_int_equal(load(f, yaml), -1);
	assert_non_null(strstr(f->err, "core.pin_dir"));
}

static void test_config_mode_and_type_names(void **state)
{
	enum capture_mode m = CAPTURE_AUTO;

	(void)state;
	assert_int_equal(config_parse_capture_mode("auto", &m), 0);
	assert_int_equal(m, CAPTURE_AUTO);
	assert_int_equal(config_parse_capture_mode("Tc", &m), 0);
	assert_int_equal(m, CAPTURE_TC);
	assert_int_equal(config_parse_capture_mode("xdp", &m), 0);
	assert_int_equal(m, CAPTURE_XDP);
	assert_int_equal(config_parse_capture_mode("PCAP", &m), 0);
	assert_int_equal(m, CAPTURE_PCAP);
	/* --read's mode is no configuration value; a failed parse leaves m. */
	assert_int_equal(config_parse_capture_mode("file", &m), -1);
	assert_int_equal(config_parse_capture_mode("ebpf", &m), -1);
	assert_int_equal(m, CAPTURE_PCAP);
	assert_string_equal(config_output_type_str(OUTPUT_STDOUT), "stdout");
	assert_string_equal(config_output_type_str(OUTPUT_FILE), "file");
	assert_string_equal(config_output_type_str(OUTPUT_UNIX_SOCKET), "unix_socket");
	assert_string_equal(config_output_type_str((enum output_type)3), "?");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_config_load_full),
		T(test_config_load_missing_file),
		T(test_config_load_empty_file),
		T(test_config_load_partial),
		T(test_config_load_bad),
		T(test_config_load_params_by_type),
		T(test_config_load_limits),
		T(test_config_load_lists_replace),
		T(test_config_load_repeated_key),
		T(test_config_warn_unknown_env),
		T(test_config_apply_env_none),
		T(test_config_apply_env_values),
		T(test_config_apply_env_ports_forms),
		T(test_config_apply_env_bad),
		T(test_config_apply_env_ports_limit),
		T(test_config_parse_cidr_good),
		T(test_config_parse_cidr_bad),
		T(test_config_mode_and_type_names),
		T(test_config_load_pin_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
