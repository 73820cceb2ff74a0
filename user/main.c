// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * ja4sentinel: command line, configuration, wiring of capture -> pipeline
 * -> outputs, teardown. main only wires; the work is in the modules.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <yaml.h>
#include "capture.h"
#include "config.h"
#include "defaults.h"
#include "ifaddr.h"
#include "instance.h"
#include "localips.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "output.h"
#include "pipeline.h"
#include "privs.h"
#include "stats.h"

extern char **environ;

/* Exit codes (docs/operations.md, --help). */
#define EXIT_OK      0
#define EXIT_RUNTIME 1 /* capture, output or system failure */
#define EXIT_USAGE   2 /* bad command line or configuration */

struct opts {
	const char *config;
	const char *read;
	const char *write; /* -w: records to this file ("-" = stdout) only */
	const char *mode;  /* --mode, over the file and the environment */
	const char *iface; /* -i, over the file and the environment */
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
		"  -c, --config FILE            configuration file (default %s;\n"
		"                               built-in defaults when it does not exist);\n"
		"                               -config FILE as the Go daemon took it\n"
		"  -i, --interface IFACE        capture on IFACE (\"any\" = every up interface\n"
		"                               but lo in the eBPF modes; \"lo\" to see this\n"
		"                               machine's own connections)\n"
		"  -r, --read FILE              fingerprint a .pcap/.pcapng file (\"-\" = stdin)\n"
		"                               and exit; records go to stdout (or -w FILE):\n"
		"                               the default file is not read, only a --config\n"
		"                               named on the command line; without listen_ports\n"
		"                               there or JA4SENTINEL_PORTS, every TCP port is\n"
		"                               examined\n"
		"  -w, --write FILE             records to FILE (created or truncated; \"-\" =\n"
		"                               stdout) instead of the configured outputs\n"
		"  -m, --mode MODE              capture mode: auto, tc, xdp, pcap\n"
		"  --check-config               validate the configuration and exit\n"
		"  -V, --version                print the version and the features built in\n"
		"  -h, --help                   print this help and exit\n"
		"\n"
		"-i and -m override the file and the environment.\n"
		"Environment: JA4SENTINEL_INTERFACE, JA4SENTINEL_PORTS, JA4SENTINEL_BPF_FILTER,\n"
		"JA4SENTINEL_FLOW_TIMEOUT, JA4SENTINEL_PACKET_BUFFER_SIZE,\n"
		"JA4SENTINEL_CAPTURE_MODE, JA4SENTINEL_SENSOR_ID override the file.\n"
		"\n"
		"Exit status: 0 success, 1 runtime failure, 2 usage or configuration error,\n"
		"130/143 --read stopped by SIGINT/SIGTERM (records found so far written).\n",
		DEF_CONFIG_PATH);
}

/* --version: what this binary can do, and with which libraries (built
 * with, running with), for a bug report or a check before deploying. */
static void print_version(FILE *f)
{
	fprintf(f, "ja4sentinel %s\n", J4S_VERSION);
	capture_bpf_print_versions(f);
	capture_pcap_print_version(f);
	fprintf(f, "OpenSSL    %s (built with %s)\n", OpenSSL_version(OPENSSL_VERSION),
		OPENSSL_VERSION_TEXT);
	fprintf(f, "json-c     %s (built with %s)\n", json_c_version(), JSON_C_VERSION);
#ifdef J4S_BUILT_LIBYAML
	fprintf(f, "libyaml    %s (built with %s)\n", yaml_get_version_string(), J4S_BUILT_LIBYAML);
#else
	fprintf(f, "libyaml    %s\n", yaml_get_version_string());
#endif
}

/* 1 = continue, 0 = done (exit 0), -1 = usage error. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	/* The short forms are the long ones' values: tcpdump's habits (-i, -r,
	 * -w) and the usual -c, -m, -V, -h. getopt_long_only still takes the Go
	 * daemon's -config: a dash and several letters is tried as a long
	 * option first, a dash and one letter as a short one. */
	enum {
		O_CONFIG = 'c',
		O_READ = 'r',
		O_WRITE = 'w',
		O_MODE = 'm',
		O_IFACE = 'i',
		O_VERSION = 'V',
		O_HELP = 'h',
		O_CHECK = 256
	};
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, O_CONFIG },
		{ "interface", required_argument, NULL, O_IFACE },
		{ "read", required_argument, NULL, O_READ },
		{ "write", required_argument, NULL, O_WRITE },
		{ "mode", required_argument, NULL, O_MODE },
		{ "check-config", no_argument, NULL, O_CHECK },
		{ "version", no_argument, NULL, O_VERSION },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->config = DEF_CONFIG_PATH;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, ":c:i:r:w:m:Vh", longopts, NULL)) != -1) {
		switch (c) {
		case O_CONFIG:
			o->config = optarg;
			o->config_given = true;
			break;
		case O_READ:
			o->read = optarg;
			break;
		case O_WRITE:
			o->write = optarg;
			break;
		case O_MODE:
			o->mode = optarg;
			break;
		case O_IFACE:
			o->iface = optarg;
			break;
		case O_CHECK:
			o->check_config = true;
			break;
		case O_VERSION:
			print_version(stdout);
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
	/* Said, not silently dropped: whoever typed them expected a capture. */
	if (o->read && (o->iface || o->mode) && !o->check_config)
		fprintf(stderr, "ja4sentinel: --read takes the packets from %s: %s%s%s ignored\n",
			o->read, o->iface ? "-i" : "", o->iface && o->mode ? " and " : "",
			o->mode ? "-m" : "");
	return 1;
}

/* -w FILE: one output instead of the configured ones ("-" = stdout). */
static int write_output(struct config *cfg, const char *path, char *err, size_t errlen)
{
	struct config_output *co = &cfg->outputs[0];

	memset(co, 0, sizeof(*co));
	co->type = strcmp(path, "-") ? OUTPUT_FILE : OUTPUT_STDOUT;
	co->enabled = true;
	co->async_buffer = DEF_ASYNC_BUFFER;
	cfg->n_outputs = 1;
	if (co->type == OUTPUT_FILE && strlen(path) >= sizeof(co->path)) {
		snprintf(err, errlen, "-w %s: path longer than %zu characters", path,
			 sizeof(co->path) - 1);
		return -1;
	}
	if (co->type == OUTPUT_FILE)
		snprintf(co->path, sizeof(co->path), "%s", path);
	return 0;
}

/*
 * The -w file starts empty, as tcpdump -w's does (the file output itself
 * appends, for logrotate): a second run does not add to the first one's
 * records.
 */
static int truncate_write_file(const char *path)
{
	int fd;

	if (!strcmp(path, "-"))
		return 0;
	/* As the file output opens it (no symlink followed, no FIFO waited
	 * for): the path may have changed since the host checks. */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0640);
	if (fd < 0) {
		log_error("output", "-w %s: %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

static int load_config(const struct opts *o, struct config *cfg)
{
	char err[512];

	config_defaults(cfg);
	/*
	 * --read on a production host must not feed old records to the live
	 * correlator: the default file (and its outputs) is read only when
	 * named with --config. The JA4SENTINEL_* variables still apply: they
	 * are set by whoever runs the command and cannot add an output.
	 */
	if ((!o->read || o->config_given) &&
	    config_load(cfg, o->config, o->config_given, err, sizeof(err)))
		goto bad;
	if (config_apply_env(cfg, err, sizeof(err)))
		goto bad;
	if (o->write && !o->check_config && write_output(cfg, o->write, err, sizeof(err)))
		goto bad;
	if (o->mode && config_parse_capture_mode(o->mode, &cfg->capture_mode)) {
		snprintf(err, sizeof(err), "--mode \"%s\": expected auto, tc, xdp or pcap",
			 o->mode);
		goto bad;
	}
	if (o->iface) {
		/* IF_NAMESIZE - 1 bytes at most, as for core.interface. */
		if (!*o->iface || strlen(o->iface) >= IF_NAMESIZE) {
			snprintf(err, sizeof(err),
				 "-i \"%s\": expected an interface name (at most %d bytes) or any",
				 o->iface, IF_NAMESIZE - 1);
			goto bad;
		}
		snprintf(cfg->interface, sizeof(cfg->interface), "%s", o->iface);
		cfg->interface_line = -1;
	}
	/* --check-config is asked for its verdict and warnings: a production
	 * log_level of warn or error must not make it say nothing. */
	log_set_level(o->check_config && cfg->log_level > LOG_INFO ? LOG_INFO : cfg->log_level);
	config_warn_unknown_env(environ);
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
			/* The path first: it is what the operator has to fix. */
			if (co->path[0])
				log_error("output", "%s: %s (output %s, config line %d)", co->path,
					  strerror(errno), config_output_type_str(co->type),
					  co->line);
			else
				log_error("output", "output %s (config line %d): %s",
					  config_output_type_str(co->type), co->line,
					  strerror(errno));
			return -1;
		}
		(*n)++;
	}
	if (!*n)
		log_warn("output", "no output is enabled: records are computed and counted only");
	return 0;
}

static bool has_bpf_filter(const struct config *cfg)
{
	return cfg->bpf_filter && cfg->bpf_filter[0];
}

/* Where core.bpf_filter runs, in one line: an operator coming from the Go
 * daemon (pcap only) must see that the filter is honoured, and how. */
static void log_bpf_filter(const struct config *cfg, const struct capture *cap)
{
	struct json_object *f;
	const char *where = capture_filter_where(cap);

	if (!has_bpf_filter(cfg))
		return;
	f = json_object_new_object();
	json_object_object_add(f, "bpf_filter", json_object_new_string(cfg->bpf_filter));
	json_object_object_add(f, "runs", json_object_new_string(where));
	log_write(LOG_INFO, "main", f, "bpf_filter: %s", where);
}

static void log_start_read(const struct config *cfg, const char *file, const struct capture *cap,
			   bool all_ports, struct output *const *outs, uint32_t n_outs)
{
	struct json_object *f = json_object_new_object();
	struct json_object *ports = json_object_new_array(), *jo = json_object_new_array();

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
	for (uint32_t i = 0; i < n_outs; i++)
		json_object_array_add(jo, json_object_new_string(output_name(outs[i])));
	json_object_object_add(f, "outputs", jo);
	/* Say why an installed configuration is not in effect. */
	json_object_object_add(f, "config",
			       json_object_new_string(
				       cfg->file[0] ? cfg->file
						    : "(defaults: --read reads a "
						      "configuration only with --config)"));
	log_write(LOG_INFO, "main", f, "reading capture file");
}

/* SIGUSR1's default action is to end the process: a monitoring job asking
 * for the counters while the daemon starts (loading BPF can take a second)
 * or reads a file must not kill it. Blocked here, read from the event
 * loop's signalfd once it runs (live), pending and harmless otherwise. */
static void block_usr1(void)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &s, NULL))
		log_warn("main", "blocking SIGUSR1: %s", strerror(errno));
}

static int run_read(const struct config *cfg, const char *file)
{
	struct output *outs[CONFIG_MAX_OUTPUTS] = { 0 };
	bool all_ports = !cfg->ports_set;
	struct pipeline *p = NULL;
	struct capture *cap;
	uint32_t n_outs = 0;
	int ret = EXIT_RUNTIME, rc;
	char err[512];
	int bset;

	block_usr1();
	cap = capture_file_open(file, err, sizeof(err));
	if (!cap) {
		log_error("capture", "%s", err);
		return EXIT_RUNTIME;
	}
	if (has_bpf_filter(cfg) &&
	    capture_set_user_filter(cap, cfg->bpf_filter, err, sizeof(err))) {
		log_error("capture", "%s", err);
		capture_close(cap);
		return EXIT_RUNTIME;
	}
	if (open_outputs(cfg, outs, &n_outs))
		goto out;
	/* Open, then drop: the capture file and the outputs are opened with
	 * the rights the checks before saw (a root shell's CAP_DAC_OVERRIDE
	 * reaches a 0750 home directory); parsing what an attacker may have
	 * sent needs none of them. Where a sandbox forbids capset the read goes
	 * on: it gains nothing from the capabilities it could not drop. */
	if (privs_drop(0, &bset))
		log_warn("main", "cannot drop capabilities: %s", strerror(errno));
	/* Offline never limits unvalidated hellos: a capture of one direction
	 * has only those. */
	p = pipeline_new(cfg, all_ports, false, outs, n_outs);
	if (!p) {
		log_error("main", "cannot set up the pipeline: %s", strerror(errno));
		goto out;
	}
	log_start_read(cfg, file, cap, all_ports, outs, n_outs);
	log_bpf_filter(cfg, cap);
	rc = loop_run_file(cap, p, outs, n_outs, err, sizeof(err));
	if (rc < 0)
		log_error("capture", "%s", err);
	else if (rc > 0)
		ret = 128 + rc; /* as a shell reports a command its signal ended */
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

/*
 * An eBPF mode with core.bpf_filter: the kernel program cannot run a pcap
 * filter, so it runs in userspace on what the program passes up. A filter
 * that needs the link layer is refused before anything is attached (auto
 * then goes on to pcap, saying why).
 */
static struct capture *open_ebpf(struct capture *(*open)(const struct config *, char *, size_t),
				 const struct config *cfg, char *err, size_t errlen)
{
	struct capture *c;

	if (has_bpf_filter(cfg) && capture_filter_l3_check(cfg->bpf_filter, err, errlen))
		return NULL;
	c = open(cfg, err, errlen);
	if (c && has_bpf_filter(cfg) && capture_set_user_filter(c, cfg->bpf_filter, err, errlen)) {
		capture_close(c);
		return NULL;
	}
	return c;
}

/* The live backend of one mode. */
static struct capture *open_mode(enum capture_mode m, const struct config *cfg, const char *filter,
				 char *err, size_t errlen)
{
	switch (m) {
	case CAPTURE_TC:
		return open_ebpf(capture_tc_open, cfg, err, errlen);
	case CAPTURE_XDP:
		return open_ebpf(capture_xdp_open, cfg, err, errlen);
	case CAPTURE_PCAP:
		return capture_pcap_open_live(cfg->interface, filter,
					      has_bpf_filter(cfg) ? NULL
								  : capture_pcap_vlan_clause(cfg),
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

/* The configured local IPs, or the host's own (local_ips: [], "auto"). */
static struct json_object *local_ips_json(const struct config *cfg)
{
	struct json_object *o;

	if (!cfg->local_auto)
		return cidrs_json(cfg->local_ips, cfg->n_local_ips);
	o = json_object_new_object();
	json_object_object_add(o, "auto", cidrs_json(cfg->local_ips, cfg->n_local_ips));
	return o;
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
	/* What interface any became: the eBPF modes leave loopback out (their
	 * bpf line above says so), pcap's any device has every interface. */
	json_object_object_add(f, "interfaces",
			       json_object_new_string(capture_ifaces(cap) ? capture_ifaces(cap)
						      : !strcmp(cfg->interface, "any")
							      ? "all, lo included (pcap any device)"
							      : cfg->interface));
	json_object_object_add(f, "link_type", json_object_new_string(capture_link_name(cap)));
	json_object_object_add(f, "listen_ports", ports);
	json_object_object_add(f, "local_ips", local_ips_json(cfg));
	json_object_object_add(f, "exclude_source_ips", cidrs_json(cfg->exclude, cfg->n_exclude));
	json_object_object_add(f, "filter",
			       json_object_new_string(capture_kernel_filter(cap)
							      ? capture_kernel_filter(cap)
							      : filter));
	json_object_object_add(f, "outputs", jo);
	if (cfg->metrics_textfile[0])
		json_object_object_add(f, "metrics_textfile",
				       json_object_new_string(cfg->metrics_textfile));
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
 * fd, or -1 with cfg->pin_dir emptied (nothing is pinned then); -2 = stop
 * (exit 1: another instance may stop, a bpffs may be mounted); -3 = stop
 * for good (exit 2): a directory not ours stays so until someone removes
 * it or changes core.pin_dir, so the unit must not restart into the same
 * refusal every 5 s.
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
		return fd == -EPERM ? -3 : -2;
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
	struct localips *la = NULL;
	struct capture *cap = NULL;
	struct pipeline *p = NULL;
	uint32_t n_outs = 0;
	int ret = EXIT_RUNTIME, lock;
	char *filter = NULL;
	char err[512];

	block_usr1();
	lock = lock_instance(cfg);
	if (lock == -2 || lock == -3)
		return lock == -3 ? EXIT_USAGE : EXIT_RUNTIME;
	/* Without the socket (notify_init logged why) systemd never hears
	 * READY=1: a Type=notify unit fails its start. Capture runs anyway. */
	if (notify_init())
		log_warn("main", "no notifications to systemd: a Type=notify start will time out");
	if (open_outputs(cfg, outs, &n_outs))
		goto out;
	/* Before the filter and the capture: local_ips: [] becomes the host's
	 * addresses, kept current while the loop runs. */
	la = localips_open(cfg, err, sizeof(err));
	if (!la && err[0]) {
		log_error("main", "%s", err);
		goto out;
	}
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
	p = pipeline_new(cfg, false, !capture_kernel_limits(cap), outs, n_outs);
	if (!p) {
		log_error("main", "cannot set up the pipeline: %s", strerror(errno));
		goto out;
	}
	if (la)
		localips_attach(la, cap, p);
	if (drop_privs(cap))
		goto out;
	log_start_live(cfg, cap, filter, outs, n_outs);
	log_bpf_filter(cfg, cap);
	/* Opening the capture (libbpf and libxdp reading BTF, loading and
	 * probing programs) freed heap that malloc keeps: ~10 MiB in xdp mode,
	 * resident for the daemon's life. Hand it back once. */
	malloc_trim(0);
	stats_setup(&(struct stats_live){
		.textfile = cfg->metrics_textfile,
		.period_sec = cfg->metrics_period_sec,
		.ifaces = capture_ifaces(cap) ? capture_ifaces(cap) : cfg->interface,
	});
	test_start_delay();
	if (loop_run_live(cap, p, outs, n_outs, err, sizeof(err)))
		log_error("main", "%s", err);
	else
		ret = EXIT_OK;
	stats_stop();
	stats_log(p, cap, outs, n_outs, true);
out:
	localips_close(la);
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

/* The verdict, with what the daemon would do: an operator checks the file
 * before a restart and sees the settings that matter at a glance. */
static void log_check_config(const struct config *cfg)
{
	struct json_object *f = json_object_new_object();
	struct json_object *ports = json_object_new_array(), *jo = json_object_new_array();

	for (uint32_t i = 0; i < cfg->n_ports; i++)
		json_object_array_add(ports, json_object_new_int(cfg->ports[i]));
	for (uint32_t i = 0; i < cfg->n_outputs; i++)
		if (cfg->outputs[i].enabled)
			json_object_array_add(jo, json_object_new_string(config_output_type_str(
							  cfg->outputs[i].type)));
	json_object_object_add(f, "capture_mode",
			       json_object_new_string(capture_mode_name(cfg->capture_mode)));
	json_object_object_add(f, "interface", json_object_new_string(cfg->interface));
	json_object_object_add(f, "listen_ports", ports);
	json_object_object_add(f, "outputs", jo);
	if (cfg->metrics_textfile[0])
		json_object_object_add(f, "metrics_textfile",
				       json_object_new_string(cfg->metrics_textfile));
	log_write(LOG_INFO, "config", f, "configuration is valid: %s",
		  cfg->file[0] ? cfg->file : "(built-in defaults)");
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct config cfg;
	sigset_t old;
	char err[512];
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
	/* The same host checks for --check-config and for a start; at a start
	 * what the host lacks now (a missing directory) is a runtime failure,
	 * which the unit restarts on, unlike a configuration error. */
	ret = config_check_host(&cfg, !o.read, err, sizeof(err));
	if (ret) {
		log_error("config", "%s", err);
		config_free(&cfg);
		return ret == CONFIG_CHECK_HOST && !o.check_config ? EXIT_RUNTIME : EXIT_USAGE;
	}
	if ((o.check_config || o.read) && sigprocmask(SIG_SETMASK, &old, NULL)) {
		log_error("main", "sigprocmask: %s", strerror(errno));
		ret = EXIT_RUNTIME;
	} else if (o.check_config) {
		log_check_config(&cfg);
		ret = EXIT_OK;
	} else if (o.write && truncate_write_file(o.write)) {
		ret = EXIT_RUNTIME;
	} else if (o.read) {
		ret = run_read(&cfg, o.read);
	} else {
		ret = run_live(&cfg);
	}
	config_free(&cfg);
	return ret;
}
