/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * config: the YAML configuration (design.md §9), the Go daemon's schema plus
 * ours, defaults when no file exists, and the JA4SENTINEL_* environment
 * overrides. Every error names the key, the file and the line.
 */
#ifndef J4S_CONFIG_H
#define J4S_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "capture.h" /* enum capture_mode */
#include "defaults.h"

struct cidr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t prefix; /* bits */
	uint8_t addr[16];
};

enum output_type {
	OUTPUT_STDOUT = 0,
	OUTPUT_FILE,
	OUTPUT_UNIX_SOCKET,
};

#define CONFIG_MAX_OUTPUTS 16
#define CONFIG_PATH_MAX    256

struct config_output {
	enum output_type type;
	bool enabled;
	uint32_t async_buffer;
	char path[CONFIG_PATH_MAX]; /* params.path or params.socket_path */
	int line;                   /* where it was defined, 0 for defaults */
	int path_line;              /* where params.*path was set */
};

struct config {
	char file[CONFIG_PATH_MAX]; /* the file read, "" when defaults only */
	char interface[64];
	int interface_line; /* where core.interface was set, 0 = default or env, -1 = -i */
	uint16_t ports[MAX_LISTEN_PORTS];
	uint32_t n_ports;
	bool ports_set;      /* listen_ports came from the file or the env */
	char *bpf_filter;    /* NULL or "" = generated */
	int bpf_filter_line; /* where core.bpf_filter was set, 0 = env */
	struct cidr *local_ips;
	uint32_t n_local_ips;
	/* local_ips: [] in a live capture: local_ips holds the host's own
	 * addresses (user/localips.c), which change at run time. */
	bool local_auto;
	struct cidr *exclude;
	uint32_t n_exclude;
	uint32_t flow_timeout_sec;
	uint32_t packet_buffer_size;
	uint32_t max_tracked_flows;
	uint32_t max_hello_segments;
	uint32_t unvalidated_rate; /* hellos/s, 0 = no limit (live modes) */
	uint32_t unvalidated_burst;
	int log_level;                  /* enum log_level */
	enum capture_mode capture_mode; /* auto, tc, xdp or pcap */
	bool xdp_generic;               /* allow generic (skb) XDP */
	bool quic;                      /* core.quic: QUIC Initials on the listen ports */
	char sensor_id[128];
	char pin_dir[PIN_DIR_MAX + 1]; /* core.pin_dir; "" = pinning off (not locked) */
	bool fp_raw;                   /* fingerprints.raw */
	bool fp_ja4t;                  /* fingerprints.ja4t */
	struct config_output outputs[CONFIG_MAX_OUTPUTS];
	uint32_t n_outputs;
	bool outputs_set;                       /* outputs came from the file */
	char metrics_textfile[CONFIG_PATH_MAX]; /* metrics.textfile, "" = off */
	uint32_t metrics_period_sec;            /* metrics.period_sec */
};

void config_defaults(struct config *c);
void config_free(struct config *c);

/*
 * Read path into c (on top of the defaults). A missing file is an error only
 * when must_exist. On error returns -1 with a message in err.
 */
int config_load(struct config *c, const char *path, bool must_exist, char *err, size_t errlen);

/*
 * What the file alone cannot say, checked against this host: the pcap
 * filter compiles, the interface exists, file outputs can be created. The
 * same checks run for --check-config and before every start. On error the
 * message is in err and the return says its kind: CONFIG_CHECK_BAD, the
 * configuration can never work (a filter that does not compile);
 * CONFIG_CHECK_HOST, the host does not offer what it needs now (a file
 * output's directory missing or read-only), which a restart may find
 * fixed. Conditions that can change while the daemon runs (an interface
 * not there yet) are logged as warnings only. live: the interface matters
 * (not for --read).
 */
#define CONFIG_CHECK_BAD  (-1)
#define CONFIG_CHECK_HOST (-2)
int config_check_host(const struct config *c, bool live, char *err, size_t errlen);

/* Apply JA4SENTINEL_* variables from envp-style getenv. */
int config_apply_env(struct config *c, char *err, size_t errlen);
/* One warning per JA4SENTINEL_* variable in env (NULL-terminated, as
 * environ) that nothing reads (a typo, or JA4SENTINEL_LOG_LEVEL from the Go
 * daemon's examples): a setting the operator believes in but does not get.
 * Returns how many. */
unsigned config_warn_unknown_env(char *const *env);

/* Parse "10.0.0.0/8", "192.0.2.1", "2001:db8::/32". 0 or -1. */
int config_parse_cidr(const char *s, struct cidr *out);

/* core.capture_mode's values, any case: auto, tc, xdp, pcap (not file).
 * 0, or -1 when s is none of them. */
int config_parse_capture_mode(const char *s, enum capture_mode *m);
const char *config_output_type_str(enum output_type t);

/* Whether expr (core.bpf_filter, JA4SENTINEL_BPF_FILTER) compiles with
 * libpcap (for Ethernet, the most permissive link type): 0, or -1 with
 * libpcap's reason in err. In user/capture_filter.c, next to the code that
 * runs the filter. */
int bpf_filter_check(const char *expr, char *err, size_t errlen);

#endif
