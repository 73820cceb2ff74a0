// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * ja4sentinel: command line, configuration, wiring of capture -> pipeline
 * -> outputs, teardown. main only wires; the work is in the modules.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>
#include "capture.h"
#include "config.h"
#include "defaults.h"
#include "ifaddr.h"
#include "instance.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "output.h"
#include "pipeline.h"
#include "privs.h"
#include "stats.h"

/* Exit codes (docs/operations.md, --help). */
#define EXIT_OK      0
#define EXIT_RUNTIME 1 /* capture, output or system failure */
#define EXIT_USAGE   2 /* bad command line or configuration */

struct opts {
	const char *config;
	const char *read;
	const char *mode; /* --mode, over the file and the environment */
	bool config_given;
	bool check_config;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ja4sentinel [OPTIONS]\n"
		"Fingerprint TLS ClientHellos (JA4, JA3) with IP/TCP metadata; one JSON record\n"
		"per hello to the configured outputs.\n"
		"\n"
		"Options:\n"
		"  --config FILE, -config FILE  configuration file (default %s;\n"
		"                               built-in defaults when it does not exist)\n"
		"  --read FILE                  fingerprint a .pcap/.pcapng file (\"-\" = stdin)\n"
		"                               and exit; without listen_ports in the config or\n"
		"                               JA4SENTINEL_PORTS, every TCP port is examined\n"
		"  --mode MODE                  capture mode: auto, tc, xdp, pcap\n"
		"  --check-config               validate the configuration and exit\n"
		"  --version                    print the version and exit\n"
		"  --help                       print this help and exit\n"
		"\n"
		"Environment: JA4SENTINEL_INTERFACE, JA4SENTINEL_PORTS, JA4SENTINEL_BPF_FILTER,\n"
		"JA4SENTINEL_FLOW_TIMEOUT, JA4SENTINEL_PACKET_BUFFER_SIZE,\n"
		"JA4SENTINEL_CAPTURE_MODE, JA4SENTINEL_SENSOR_ID override the file.\n"
		"\n"
		"Exit status: 0 success, 1 runtime failure, 2 usage or configuration error.\n",
		DEF_CONFIG_PATH);
}

/* 1 = continue, 0 = done (exit 0), -1 = usage error. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	enum { O_CONFIG = 256, O_READ, O_MODE, O_CHECK, O_VERSION, O_HELP };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, O_CONFIG },
		{ "read", required_argument, NULL, O_READ },
		{ "mode", required_argument, NULL, O_MODE },
		{ "check-config", no_argument, NULL, O_CHECK },
		{ "version", no_argument, NULL, O_VERSION },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->config = DEF_CONFIG_PATH;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case O_CONFIG:
			o->config = optarg;
			o->config_given = true;
			break;
		case O_READ:
			o->read = optarg;
			break;
		case O_MODE:
			o->mode = optarg;
			break;
		case O_CHECK:
			o->check_config = true;
			break;
		case O_VERSION:
			printf("ja4sentinel %s\n", J4S_VERSION);
			return 0;
		case O_HELP:
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "ja4sentinel: unknown or incomplete option '%s'\n",
				argv[optind - 1]);
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ja4sentinel: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 1;
}

static int load_config(const struct opts *o, struct config *cfg)
{
	char err[512];

	config_defaults(cfg);
	if (config_load(cfg, o->config, o->config_given, err, sizeof(err)) ||
	    config_apply_env(cfg, err, sizeof(err)))
		goto bad;
	if (o->mode && config_parse_capture_mode(o->mode, &cfg->capture_mode)) {
		snprintf(err, sizeof(err), "--mode \"%s\": expected auto, tc, xdp or pcap",
			 o->mode);
		goto bad;
	}
	log_set_level(cfg->log_level);
	return 0;
bad:
	log_error("config", "%s", err);
	return -1;
}

static int open_outputs(const struct config *cfg, struct output **outs, uint32_t *n)
{
	*n = 0;
	for (uint32_t i = 0; i < cfg->n_outputs; i++) {
		const struct config_output *co = &cfg->outputs[i];

		if (!co->enabled)
			continue;
		outs[*n] = output_open(co);
		if (!outs[*n]) {
			log_error("output", "output %s (config line %d): %s",
				  config_output_type_str(co->type), co->line, strerror(errno));
			return -1;
		}
		(*n)++;
	}
	if (!*n)
		log_warn("output", "no output is enabled: records are computed and counted only");
	return 0;
}

static void log_start_read(const struct config *cfg, const char *file, const struct capture *cap,
			   bool all_ports)
{
	struct json_object *f = json_object_new_object();
	struct json_object *ports = json_object_new_array();

	for (uint32_t i = 0; i < cfg->n_ports && !all_ports; i++)
		json_object_array_add(ports, json_object_new_int(cfg->ports[i]));
	json_object_object_add(f, "mode",
			       json_object_new_string(capture_mode_name(capture_get_mode(cap))));
	json_object_object_add(f, "file", json_object_new_string(file));
	json_object_object_add(f, "link_type", json_object_new_string(capture_link_name(cap)));
	json_object_object_add(f, "listen_ports",
			       all_ports ? json_object_new_string("all") : ports);
	if (all_ports)
		json_object_put(ports);
	json_object_object_add(f, "config",
			       json_object_new_string(cfg->file[0] ? cfg->file : "(defaults)"));
	log_write(LOG_INFO, "main", f, "reading capture file");
}

static int run_read(const struct config *cfg, const char *file)
{
	struct output *outs[CONFIG_MAX_OUTPUTS] = { 0 };
	bool all_ports = !cfg->ports_set;
	struct pipeline *p = NULL;
	struct capture *cap;
	uint32_t n_outs = 0;
	int ret = EXIT_RUNTIME;
	char err[512];
	int bset;

	/* Reading a file needs no privilege: none is kept while parsing it.
	 * Where a sandbox forbids capset the read goes on: it gains nothing
	 * from the capabilities it could not drop. */
	if (privs_drop(0, &bset))
		log_warn("main", "cannot drop capabilities: %s", strerror(errno));
	cap = capture_pcap_open_file(file, err, sizeof(err));
	if (!cap) {
		log_error("capture", "%s", err);
		return EXIT_RUNTIME;
	}
	if (open_outputs(cfg, outs, &n_outs))
		goto out;
	/* Offline never limits unvalidated hellos: a capture of one direction
	 * has only those. */
	p = pipeline_new(cfg, all_ports, false, outs, n_outs);
	if (!p) {
		log_error("main", "cannot set up the pipeline: %s", strerror(errno));
		goto out;
	}
	log_start_read(cfg, file, cap, all_ports);
	if (loop_run_file(cap, p, outs, n_outs, err, sizeof(err)))
		log_error("capture", "%s", err);
	else
		ret = EXIT_OK;
	stats_log(p, cap, outs, n_outs, true);
out:
	pipeline_free(p);
	for (uint32_t i = 0; i < n_outs; i++)
		output_close(outs[i]);
	capture_close(cap);
	return ret;
}

/* Kernel capture buffer: packet_buffer_size packets of up to 16 KiB, at
 * least 8 MiB, so a burst of new connections fits while we work. */
static uint32_t capture_buffer_bytes(const struct config *cfg)
{
	uint64_t b = (uint64_t)cfg->packet_buffer_size * 16384;

	if (b < 8u << 20)
		b = 8u << 20;
	return b > (1u << 30) ? 1u << 30 : (uint32_t)b;
}

/* The live backend of one mode. */
static struct capture *open_mode(enum capture_mode m, const struct config *cfg, const char *filter,
				 char *err, size_t errlen)
{
	switch (m) {
	case CAPTURE_TC:
		return capture_tc_open(cfg, err, errlen);
	case CAPTURE_XDP:
		return capture_xdp_open(cfg, err, errlen);
	case CAPTURE_PCAP:
		return capture_pcap_open_live(cfg->interface, filter,
					      !(cfg->bpf_filter && cfg->bpf_filter[0]),
					      capture_buffer_bytes(cfg), err, errlen);
	default:
		snprintf(err, errlen, "capture mode %s is no live capture", capture_mode_name(m));
		return NULL;
	}
}

/* What auto tries, in order: tc, then pcap (design.md §3: XDP's early drop
 * gains a passive observer nothing, and it can slow the host's receive). */
static const enum capture_mode auto_order[] = { CAPTURE_TC, CAPTURE_PCAP };
#define N_AUTO (sizeof(auto_order) / sizeof(auto_order[0]))

/* The live backend of the configured mode; auto says in one line why it
 * fell back from each mode it could not use. */
static struct capture *open_capture(const struct config *cfg, const char *filter, char *err,
				    size_t errlen)
{
	struct capture *c = NULL;

	if (cfg->capture_mode != CAPTURE_AUTO)
		return open_mode(cfg->capture_mode, cfg, filter, err, errlen);
	for (size_t i = 0; i < N_AUTO && !c; i++) {
		c = open_mode(auto_order[i], cfg, filter, err, errlen);
		if (!c && i + 1 < N_AUTO)
			log_warn("main", "capture_mode auto: %s not possible: %s -> %s",
				 capture_mode_name(auto_order[i]), err,
				 capture_mode_name(auto_order[i + 1]));
	}
	return c;
}

static struct json_object *cidrs_json(const struct cidr *c, uint32_t n)
{
	struct json_object *a = json_object_new_array();
	char buf[64];

	for (uint32_t i = 0; i < n; i++) {
		ifaddr_cidr_str(&c[i], buf, sizeof(buf));
		json_object_array_add(a, json_object_new_string(buf));
	}
	return a;
}

/* The configured local IPs, or what the interfaces have when none are. */
static struct json_object *local_ips_json(const struct config *cfg)
{
	struct json_object *a;
	struct cidr *found;
	uint32_t n;

	if (cfg->n_local_ips)
		return cidrs_json(cfg->local_ips, cfg->n_local_ips);
	if (ifaddr_local_ips(&found, &n))
		return json_object_new_string("(unknown)");
	a = cidrs_json(found, n);
	free(found);
	return a;
}

static void log_start_live(const struct config *cfg, const struct capture *cap, const char *filter,
			   struct output *const *outs, uint32_t n_outs)
{
	struct json_object *f = json_object_new_object();
	struct json_object *ports = json_object_new_array(), *jo = json_object_new_array();

	for (uint32_t i = 0; i < cfg->n_ports; i++)
		json_object_array_add(ports, json_object_new_int(cfg->ports[i]));
	for (uint32_t i = 0; i < n_outs; i++)
		json_object_array_add(jo, json_object_new_string(output_name(outs[i])));
	json_object_object_add(f, "mode",
			       json_object_new_string(capture_mode_name(capture_get_mode(cap))));
	json_object_object_add(f, "interface", json_object_new_string(cfg->interface));
	json_object_object_add(f, "link_type", json_object_new_string(capture_link_name(cap)));
	json_object_object_add(f, "listen_ports", ports);
	json_object_object_add(f, "local_ips", local_ips_json(cfg));
	json_object_object_add(f, "exclude_source_ips", cidrs_json(cfg->exclude, cfg->n_exclude));
	json_object_object_add(f, "filter",
			       json_object_new_string(capture_get_mode(cap) != CAPTURE_PCAP
							      ? "in the kernel program (j4s_ports, "
								"j4s_local, j4s_excl)"
							      : filter));
	json_object_object_add(f, "outputs", jo);
	json_object_object_add(f, "config",
			       json_object_new_string(cfg->file[0] ? cfg->file : "(defaults)"));
	json_object_object_add(f, "version", json_object_new_string(J4S_VERSION));
	log_write(LOG_INFO, "main", f, "capture started");
}

/*
 * Check and lock core.pin_dir before anything is attached (instance.h), so
 * a second instance refuses before it touches the first one's filters or
 * pins. Refusals (another instance, a directory not ours) stop the start in
 * every mode; a pin directory that cannot be made at all (no bpffs) stops
 * tc and xdp, while auto and pcap carry on without pins or lock. The lock's
 * fd, or -1 with cfg->pin_dir emptied (nothing is pinned then); -2 = stop.
 */
static int lock_instance(struct config *cfg)
{
	enum capture_mode m = cfg->capture_mode;
	char err[512];
	int fd = instance_lock(cfg->pin_dir, m != CAPTURE_PCAP, err, sizeof(err));

	if (fd >= 0)
		return fd;
	if (fd == -EBUSY || fd == -EPERM || m == CAPTURE_TC || m == CAPTURE_XDP) {
		log_error("main", "%s", err);
		return -2;
	}
	log_warn("main", "%s; running without pins and without the single-instance lock", err);
	cfg->pin_dir[0] = '\0';
	return -1;
}

/*
 * Once capture is live: keep only what its stop needs (design.md §10), and
 * let bpf() work only on the maps held by fd (the stats' reads, map
 * updates) - unless the stop itself needs more of it: libxdp's dispatcher
 * (CAP_SYS_ADMIN kept) loads and looks up programs as it detaches.
 */
static int drop_privs(struct capture *cap)
{
	uint64_t keep = capture_detach_caps(cap);
	const char *filter = "; bpf() limited to objects held by fd";
	char names[128];
	int bset, rc;

	if (privs_drop(keep, &bset)) {
		log_error("main", "cannot drop capabilities: %s", strerror(errno));
		return -1;
	}
	if (keep & PRIVS_BIT(CAP_SYS_ADMIN))
		filter = "; bpf() not limited (libxdp's detach needs all of it)";
	else if ((rc = privs_limit_bpf()))
		filter = rc == -ENOSYS ? "; bpf() not limited (no filter for this architecture)"
				       : "; bpf() not limited (seccomp refused the filter)";
	log_info("main", "capabilities dropped: %s kept (what detaching %s needs)%s%s",
		 privs_names(keep, names, sizeof(names)), capture_mode_name(capture_get_mode(cap)),
		 bset ? "" : "; bounding set left as it was (no CAP_SETPCAP)", filter);
	return 0;
}

/* Test hook (docs/testing.md): JA4SENTINEL_TEST_START_DELAY_MS holds the
 * start-up between attach and the event loop, so a test can signal it there. */
static void test_start_delay(void)
{
	const char *v = getenv("JA4SENTINEL_TEST_START_DELAY_MS");
	long ms = v ? strtol(v, NULL, 10) : 0;
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L };

	if (ms <= 0)
		return;
	log_warn("main", "test hook: start-up delayed %ld ms", ms);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int run_live(struct config *cfg)
{
	struct output *outs[CONFIG_MAX_OUTPUTS] = { 0 };
	struct capture *cap = NULL;
	struct pipeline *p = NULL;
	uint32_t n_outs = 0;
	int ret = EXIT_RUNTIME, lock;
	char *filter = NULL;
	char err[512];

	lock = lock_instance(cfg);
	if (lock == -2)
		return EXIT_RUNTIME;
	/* Without the socket (notify_init logged why) systemd never hears
	 * READY=1: a Type=notify unit fails its start. Capture runs anyway. */
	if (notify_init())
		log_warn("main", "no notifications to systemd: a Type=notify start will time out");
	if (open_outputs(cfg, outs, &n_outs))
		goto out;
	filter = capture_pcap_filter(cfg);
	if (!filter) {
		log_error("main", "cannot set up the pipeline: %s", strerror(errno));
		goto out;
	}
	cap = open_capture(cfg, filter, err, sizeof(err));
	if (!cap) {
		log_error("capture", "%s", err);
		goto out;
	}
	/* After the capture: auto settles the mode there. The eBPF modes limit
	 * unvalidated hellos in the kernel; pcap mode has only this one. */
	p = pipeline_new(cfg, false, capture_get_mode(cap) == CAPTURE_PCAP, outs, n_outs);
	if (!p) {
		log_error("main", "cannot set up the pipeline: %s", strerror(errno));
		goto out;
	}
	if (drop_privs(cap))
		goto out;
	log_start_live(cfg, cap, filter, outs, n_outs);
	test_start_delay();
	if (loop_run_live(cap, p, outs, n_outs, err, sizeof(err)))
		log_error("main", "%s", err);
	else
		ret = EXIT_OK;
	stats_log(p, cap, outs, n_outs, true);
out:
	capture_close(cap);
	instance_unlock(lock, cfg->pin_dir);
	pipeline_free(p);
	for (uint32_t i = 0; i < n_outs; i++)
		output_close(outs[i]);
	free(filter);
	notify_close();
	return ret;
}

/*
 * First thing in main: a SIGPIPE would kill `--read x | head` before its
 * stats line (a write to a closed pipe is an error the outputs handle); the
 * stop and reopen signals stay pending until the live loop's signalfd
 * takes them, so one sent during start-up is served (a SIGTERM stops with
 * everything detached) instead of killing the process half set up. --read
 * and --check-config have no loop: they get the old mask back.
 */
static int block_signals(sigset_t *old)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR || sigprocmask(SIG_BLOCK, &mask, old)) {
		fprintf(stderr, "ja4sentinel: signal setup: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct config cfg;
	sigset_t old;
	int ret;

	if (block_signals(&old))
		return EXIT_RUNTIME;
	ret = parse_args(argc, argv, &o);
	if (ret <= 0)
		return ret ? EXIT_USAGE : EXIT_OK;
	if (load_config(&o, &cfg)) {
		config_free(&cfg);
		return EXIT_USAGE;
	}
	if ((o.check_config || o.read) && sigprocmask(SIG_SETMASK, &old, NULL)) {
		log_error("main", "sigprocmask: %s", strerror(errno));
		ret = EXIT_RUNTIME;
	} else if (o.check_config) {
		log_info("config", "configuration is valid: %s",
			 cfg.file[0] ? cfg.file : "(built-in defaults)");
		ret = EXIT_OK;
	} else if (o.read) {
		ret = run_read(&cfg, o.read);
	} else {
		ret = run_live(&cfg);
	}
	config_free(&cfg);
	return ret;
}
