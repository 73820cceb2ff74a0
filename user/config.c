// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Configuration: defaults, the YAML file (libyaml document API, so every
 * node keeps its line), and environment overrides. A table per section maps
 * keys to small typed setters; anything not in a table is an error naming
 * the key, the file and the line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <yaml.h>
#include "config.h"
#include "log.h"

/* The outputs[] entry being read. */
struct output_walk {
	struct config_output *o;
	bool has_type;
	/* params.path and params.socket_path, each checked when read; the one
	 * of the output's type is used once the entry is read (type may come
	 * after params), the other ignored, as the Go daemon did. */
	const yaml_node_t *file_node, *sock_node;
};

/* Where we are while walking the document, for messages. */
struct walk {
	struct output_walk out;
	struct config *c;
	yaml_document_t *doc;
	const char *file;
	char *err;
	size_t errlen;
	char key[96]; /* dotted path of the key being set */
};

static int fail(struct walk *w, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct walk *w, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(w->err, w->errlen, "%s:%lu: %s: %s", w->file,
		 n ? (unsigned long)n->start_mark.line + 1 : 0UL, w->key, msg);
	return -1;
}

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->interface, sizeof(c->interface), "any");
	c->ports[0] = DEF_LISTEN_PORT;
	c->n_ports = 1;
	c->flow_timeout_sec = DEF_FLOW_TIMEOUT_SEC;
	c->packet_buffer_size = DEF_PACKET_BUFFER_SIZE;
	c->max_tracked_flows = DEF_MAX_TRACKED_FLOWS;
	c->max_hello_segments = DEF_MAX_HELLO_SEGMENTS;
	c->unvalidated_rate = DEF_UNVALIDATED_RATE;
	c->unvalidated_burst = DEF_UNVALIDATED_BURST;
	c->log_level = LOG_INFO;
	c->capture_mode = CAPTURE_AUTO;
	snprintf(c->pin_dir, sizeof(c->pin_dir), "%s", DEF_PIN_DIR);
	c->metrics_period_sec = DEF_METRICS_PERIOD_SEC;
	c->quic = true;
	c->outputs[0].type = OUTPUT_STDOUT;
	c->outputs[0].enabled = true;
	c->outputs[0].async_buffer = DEF_ASYNC_BUFFER;
	c->n_outputs = 1;
}

void config_free(struct config *c)
{
	free(c->bpf_filter);
	free(c->local_ips);
	free(c->exclude);
	c->bpf_filter = NULL;
	c->local_ips = c->exclude = NULL;
	c->n_local_ips = c->n_exclude = 0;
}

int config_parse_cidr(const char *s, struct cidr *out)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	long bits;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = AF_INET;
		out->prefix = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = AF_INET6;
		out->prefix = 128;
	} else {
		return -1;
	}
	if (slash) {
		errno = 0;
		bits = strtol(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || bits < 0 || bits > out->prefix)
			return -1;
		out->prefix = (uint8_t)bits;
	}
	return 0;
}

const char *config_output_type_str(enum output_type t)
{
	static const char *const s[] = { "stdout", "file", "unix_socket" };

	return (unsigned)t < 3 ? s[t] : "?";
}

int config_parse_capture_mode(const char *s, enum capture_mode *m)
{
	static const enum capture_mode configurable[] = { CAPTURE_AUTO, CAPTURE_TC, CAPTURE_XDP,
							  CAPTURE_PCAP };

	for (size_t i = 0; i < sizeof(configurable) / sizeof(configurable[0]); i++) {
		if (!strcasecmp(s, capture_mode_name(configurable[i]))) {
			*m = configurable[i];
			return 0;
		}
	}
	return -1;
}

/* ---- typed scalar readers ---- */

static const char *scalar(struct walk *w, const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE) {
		fail(w, n, "expected a single value, got a %s",
		     n->type == YAML_MAPPING_NODE ? "mapping" : "list");
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

static bool is_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;

	return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!*v || !strcmp(v, "~") || !strcmp(v, "null"));
}

static int get_uint(struct walk *w, const yaml_node_t *n, long min, long max, uint32_t *out)
{
	const char *v = scalar(w, n);
	char *end;
	long x;

	if (!v)
		return -1;
	errno = 0;
	x = strtol(v, &end, 10);
	if (!*v || *end || errno)
		return fail(w, n, "\"%s\" is not an integer", v);
	if (x < min || x > max)
		return fail(w, n, "%ld is out of range %ld..%ld", x, min, max);
	*out = (uint32_t)x;
	return 0;
}

static int get_bool(struct walk *w, const yaml_node_t *n, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on" }, *const no[] = { "false", "no",
										  "off" };
	const char *v = scalar(w, n);

	if (!v)
		return -1;
	for (int i = 0; i < 3; i++) {
		if (!strcasecmp(v, yes[i]))
			return *out = true, 0;
		if (!strcasecmp(v, no[i]))
			return *out = false, 0;
	}
	return fail(w, n, "\"%s\" is not a boolean (true/false)", v);
}

static int get_str(struct walk *w, const yaml_node_t *n, char *out, size_t size)
{
	const char *v = is_null(n) ? "" : scalar(w, n);

	if (!v)
		return -1;
	if (strlen(v) >= size)
		return fail(w, n, "longer than %zu characters", size - 1);
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

/* A list node (or null = empty); calls fn for each item. */
typedef int (*item_fn)(struct walk *w, const yaml_node_t *item, size_t idx);

static int each_item(struct walk *w, const yaml_node_t *n, item_fn fn)
{
	size_t i = 0;

	if (is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(w, n, "expected a list");
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++, i++)
		if (fn(w, yaml_document_get_node(w->doc, *it), i))
			return -1;
	return 0;
}

/* ---- core ---- */

static int port_item(struct walk *w, const yaml_node_t *n, size_t idx)
{
	uint32_t port;

	if (idx >= MAX_LISTEN_PORTS)
		return fail(w, n, "more than %d ports", MAX_LISTEN_PORTS);
	if (get_uint(w, n, 1, 65535, &port))
		return -1;
	w->c->ports[w->c->n_ports++] = (uint16_t)port;
	return 0;
}

static int cidr_item(struct walk *w, const yaml_node_t *n, struct cidr **arr, uint32_t *cnt,
		     bool prefix_ok)
{
	const char *v = scalar(w, n);
	struct cidr c, *na;

	if (!v)
		return -1;
	if (config_parse_cidr(v, &c) || (!prefix_ok && strchr(v, '/')))
		return fail(w, n, "\"%s\" is not an IP address%s", v, prefix_ok ? " or CIDR" : "");
	na = realloc(*arr, (*cnt + 1) * sizeof(*na));
	if (!na)
		return fail(w, n, "out of memory");
	na[(*cnt)++] = c;
	*arr = na;
	return 0;
}

static int local_ip_item(struct walk *w, const yaml_node_t *n, size_t idx)
{
	if (idx >= J4S_MAX_LOCAL_IPS)
		return fail(w, n, "more than %d addresses: the kernel map holds no more",
			    J4S_MAX_LOCAL_IPS);
	return cidr_item(w, n, &w->c->local_ips, &w->c->n_local_ips, false);
}

/* How many leading bits of address byte i a prefix of bits covers (0..8). */
static uint32_t prefix_bits_in(uint32_t bits, uint32_t i)
{
	return bits >= 8 * (i + 1) ? 8 : bits > 8 * i ? bits - 8 * i : 0;
}

/* Bits of c set beyond its prefix: 10.0.0.1/8 is a typo, not 10.0.0.0/8. */
static bool host_bits(const struct cidr *c)
{
	for (uint32_t i = 0; i < 16; i++)
		if (c->addr[i] & (uint8_t)(0xff >> prefix_bits_in(c->prefix, i)))
			return true;
	return false;
}

static int exclude_item(struct walk *w, const yaml_node_t *n, size_t idx)
{
	struct cidr *c;
	char net[INET6_ADDRSTRLEN];

	if (idx >= J4S_MAX_EXCLUDE)
		return fail(w, n, "more than %d entries: the kernel map holds no more",
			    J4S_MAX_EXCLUDE);
	if (cidr_item(w, n, &w->c->exclude, &w->c->n_exclude, true))
		return -1;
	c = &w->c->exclude[w->c->n_exclude - 1];
	if (!host_bits(c))
		return 0;
	for (uint32_t i = 0; i < 16; i++)
		c->addr[i] &= (uint8_t)(0xff00 >> prefix_bits_in(c->prefix, i));
	inet_ntop(c->family, c->addr, net, sizeof(net));
	return fail(w, n, "\"%s\" has host bits set: write %s/%u (or the address alone)",
		    (const char *)n->data.scalar.value, net, c->prefix);
}

static int k_interface(struct walk *w, const yaml_node_t *n)
{
	if (get_str(w, n, w->c->interface, sizeof(w->c->interface)))
		return -1;
	if (!w->c->interface[0])
		return fail(w, n, "must name an interface or \"any\"");
	if (strlen(w->c->interface) >= IF_NAMESIZE)
		return fail(w, n, "\"%s\" is longer than %d bytes, the kernel's limit",
			    w->c->interface, IF_NAMESIZE - 1);
	w->c->interface_line = (int)n->start_mark.line + 1;
	return 0;
}

static int k_listen_ports(struct walk *w, const yaml_node_t *n)
{
	w->c->n_ports = 0;
	if (n->type == YAML_SCALAR_NODE && !is_null(n))
		return port_item(w, n, 0) ? -1 : (w->c->ports_set = true, 0);
	if (each_item(w, n, port_item))
		return -1;
	if (!w->c->n_ports)
		return fail(w, n, "at least one port is needed");
	w->c->ports_set = true;
	return 0;
}

static int k_bpf_filter(struct walk *w, const yaml_node_t *n)
{
	const char *v = is_null(n) ? "" : scalar(w, n);
	char why[320];

	if (!v)
		return -1;
	/* A filter libpcap refuses would stop pcap mode only when it starts,
	 * and the eBPF modes not at all: refuse it here, with its line. */
	if (v[0] && bpf_filter_check(v, why, sizeof(why)))
		return fail(w, n, "not a valid pcap filter: %s", why);
	free(w->c->bpf_filter);
	w->c->bpf_filter = strdup(v);
	w->c->bpf_filter_line = (int)n->start_mark.line + 1;
	return w->c->bpf_filter ? 0 : fail(w, n, "out of memory");
}

static int k_local_ips(struct walk *w, const yaml_node_t *n)
{
	w->c->n_local_ips = 0;
	return each_item(w, n, local_ip_item);
}

static int k_exclude(struct walk *w, const yaml_node_t *n)
{
	w->c->n_exclude = 0;
	return each_item(w, n, exclude_item);
}

static int k_flow_timeout(struct walk *w, const yaml_node_t *n)
{
	return get_uint(w, n, MIN_FLOW_TIMEOUT_SEC, MAX_FLOW_TIMEOUT_SEC, &w->c->flow_timeout_sec);
}

static int k_packet_buffer(struct walk *w, const yaml_node_t *n)
{
	return get_uint(w, n, MIN_PACKET_BUFFER_SIZE, MAX_PACKET_BUFFER_SIZE,
			&w->c->packet_buffer_size);
}

static int k_max_flows(struct walk *w, const yaml_node_t *n)
{
	return get_uint(w, n, MIN_MAX_TRACKED_FLOWS, MAX_MAX_TRACKED_FLOWS,
			&w->c->max_tracked_flows);
}

static int k_max_segments(struct walk *w, const yaml_node_t *n)
{
	return get_uint(w, n, MIN_MAX_HELLO_SEGMENTS, MAX_MAX_HELLO_SEGMENTS,
			&w->c->max_hello_segments);
}

static int k_unvalidated_rate(struct walk *w, const yaml_node_t *n)
{
	return get_uint(w, n, 0, MAX_UNVALIDATED_RATE, &w->c->unvalidated_rate);
}

static int k_unvalidated_burst(struct walk *w, const yaml_node_t *n)
{
	return get_uint(w, n, MIN_UNVALIDATED_BURST, MAX_UNVALIDATED_BURST,
			&w->c->unvalidated_burst);
}

static int k_log_level(struct walk *w, const yaml_node_t *n)
{
	const char *v = scalar(w, n);
	int lvl;

	if (!v)
		return -1;
	lvl = log_level_parse(v);
	if (lvl < 0)
		return fail(w, n, "\"%s\" is not one of debug, info, warn, error", v);
	w->c->log_level = lvl;
	return 0;
}

static int k_capture_mode(struct walk *w, const yaml_node_t *n)
{
	const char *v = scalar(w, n);

	if (!v)
		return -1;
	if (config_parse_capture_mode(v, &w->c->capture_mode))
		return fail(w, n, "\"%s\" is not one of auto, tc, xdp, pcap", v);
	return 0;
}

static int k_quic(struct walk *w, const yaml_node_t *n)
{
	return get_bool(w, n, &w->c->quic);
}

static int k_xdp_generic(struct walk *w, const yaml_node_t *n)
{
	return get_bool(w, n, &w->c->xdp_generic);
}

static int k_sensor_id(struct walk *w, const yaml_node_t *n)
{
	return get_str(w, n, w->c->sensor_id, sizeof(w->c->sensor_id));
}

/* Absolute, and short enough for the pin names appended to it. */
static int k_pin_dir(struct walk *w, const yaml_node_t *n)
{
	if (get_str(w, n, w->c->pin_dir, PIN_DIR_MAX + 1))
		return -1;
	/* "dir/" would make open(O_NOFOLLOW) and lstat follow a symbolic
	 * link at dir: the directory is named without its trailing slashes. */
	for (size_t l = strlen(w->c->pin_dir); l > 1 && w->c->pin_dir[l - 1] == '/'; l--)
		w->c->pin_dir[l - 1] = '\0';
	if (w->c->pin_dir[0] != '/' || !strcmp(w->c->pin_dir, "/"))
		return fail(w, n, "expected an absolute path of a directory on a bpffs");
	return 0;
}

struct key_def {
	const char *name;
	int (*set)(struct walk *w, const yaml_node_t *n);
};

static const struct key_def core_keys[] = {
	{ "interface", k_interface },
	{ "listen_ports", k_listen_ports },
	{ "bpf_filter", k_bpf_filter },
	{ "local_ips", k_local_ips },
	{ "exclude_source_ips", k_exclude },
	{ "flow_timeout_sec", k_flow_timeout },
	{ "packet_buffer_size", k_packet_buffer },
	{ "max_tracked_flows", k_max_flows },
	{ "max_hello_segments", k_max_segments },
	{ "unvalidated_rate", k_unvalidated_rate },
	{ "unvalidated_burst", k_unvalidated_burst },
	{ "log_level", k_log_level },
	{ "capture_mode", k_capture_mode },
	{ "xdp_generic", k_xdp_generic },
	{ "quic", k_quic },
	{ "sensor_id", k_sensor_id },
	{ "pin_dir", k_pin_dir },
	{ NULL, NULL },
};

/* ---- fingerprints ---- */

static int k_fp_raw(struct walk *w, const yaml_node_t *n)
{
	return get_bool(w, n, &w->c->fp_raw);
}

static int k_fp_ja4t(struct walk *w, const yaml_node_t *n)
{
	return get_bool(w, n, &w->c->fp_ja4t);
}

static const struct key_def fp_keys[] = {
	{ "raw", k_fp_raw },
	{ "ja4t", k_fp_ja4t },
	{ NULL, NULL },
};

/* ---- metrics ---- */

static int k_metrics_textfile(struct walk *w, const yaml_node_t *n)
{
	char *v = w->c->metrics_textfile;

	if (get_str(w, n, v, sizeof(w->c->metrics_textfile)))
		return -1;
	/* Absolute: the service's working directory is /, and the temporary
	 * file beside it is named from it. */
	if (*v && *v != '/')
		return fail(w, n, "\"%s\" is not an absolute path", v);
	return 0;
}

static int k_metrics_period(struct walk *w, const yaml_node_t *n)
{
	return get_uint(w, n, MIN_METRICS_PERIOD_SEC, MAX_METRICS_PERIOD_SEC,
			&w->c->metrics_period_sec);
}

static const struct key_def metrics_keys[] = {
	{ "textfile", k_metrics_textfile },
	{ "period_sec", k_metrics_period },
	{ NULL, NULL },
};

/* Edit distance (insertions, deletions, substitutions) of two short keys. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64], prev, tmp;

	if (la >= 64 || lb >= 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

/* The known key nearest to name, if near enough to be a typo: at most a
 * third of its letters off (two for short keys); NULL otherwise. */
static const char *nearest_key(const char *name, const struct key_def *keys)
{
	size_t best = SIZE_MAX, max = strlen(name) / 3;
	const char *found = NULL;

	if (max < 2)
		max = 2;
	for (const struct key_def *d = keys; d->name; d++) {
		size_t dist = edit_distance(name, d->name);

		if (dist < best) {
			best = dist;
			found = d->name;
		}
	}
	return best <= max ? found : NULL;
}

static int unknown_key(struct walk *w, const yaml_node_t *k, const char *name,
		       const struct key_def *keys)
{
	const char *near = nearest_key(name, keys);

	if (near)
		return fail(w, k, "unknown key; did you mean \"%s\"?", near);
	/* A section's key at the top: its indentation was lost. */
	if (keys != core_keys && keys != fp_keys && keys != metrics_keys) {
		for (const struct key_def *d = core_keys; d->name; d++)
			if (!strcmp(d->name, name))
				return fail(w, k,
					    "unknown key; core.%s belongs under \"core:\", "
					    "indented",
					    name);
	}
	return fail(w, k, "unknown key");
}

/* The key node of an earlier pair of mapping n named name, if any. */
static const yaml_node_t *earlier_key(struct walk *w, const yaml_node_t *n,
				      const yaml_node_pair_t *until, const char *name)
{
	for (const yaml_node_pair_t *p = n->data.mapping.pairs.start; p < until; p++) {
		const yaml_node_t *k = yaml_document_get_node(w->doc, p->key);

		if (k->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)k->data.scalar.value, name))
			return k;
	}
	return NULL;
}

/* Walk a mapping with a key table; prefix names the section in messages. */
static int walk_map(struct walk *w, const yaml_node_t *n, const char *prefix,
		    const struct key_def *keys)
{
	if (is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE) {
		snprintf(w->key, sizeof(w->key), "%s", *prefix ? prefix : "top level");
		return fail(w, n, "expected a mapping of keys");
	}
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
		const yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
		const char *name = k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value
							       : "?";
		const yaml_node_t *first = earlier_key(w, n, p, name);
		const struct key_def *d = keys;

		snprintf(w->key, sizeof(w->key), "%s%s%s", prefix, *prefix ? "." : "", name);
		if (first)
			return fail(w, k,
				    "repeated (first set at line %lu): one value would silently "
				    "win",
				    (unsigned long)first->start_mark.line + 1);
		while (d->name && strcmp(d->name, name))
			d++;
		if (!d->name)
			return unknown_key(w, k, name, keys);
		if (d->set(w, v))
			return -1;
	}
	return 0;
}

/* ---- outputs ---- */

static int ko_type(struct walk *w, const yaml_node_t *n)
{
	const char *v = scalar(w, n);

	if (!v)
		return -1;
	for (int t = OUTPUT_STDOUT; t <= OUTPUT_UNIX_SOCKET; t++)
		if (!strcmp(v, config_output_type_str(t))) {
			w->out.o->type = t;
			w->out.has_type = true;
			return 0;
		}
	return fail(w, n, "\"%s\" is not one of stdout, file, unix_socket", v);
}

static int ko_enabled(struct walk *w, const yaml_node_t *n)
{
	return get_bool(w, n, &w->out.o->enabled);
}

static int ko_async(struct walk *w, const yaml_node_t *n)
{
	return get_uint(w, n, MIN_ASYNC_BUFFER, MAX_ASYNC_BUFFER, &w->out.o->async_buffer);
}

/* A params path: a non-empty string that fits config_output.path. */
static int check_path(struct walk *w, const yaml_node_t *n)
{
	char buf[CONFIG_PATH_MAX];

	if (get_str(w, n, buf, sizeof(buf)))
		return -1;
	return buf[0] ? 0 : fail(w, n, "must not be empty");
}

static int kp_path(struct walk *w, const yaml_node_t *n)
{
	w->out.file_node = n;
	return check_path(w, n);
}

static int kp_socket_path(struct walk *w, const yaml_node_t *n)
{
	w->out.sock_node = n;
	return check_path(w, n);
}

static const struct key_def param_keys[] = {
	{ "socket_path", kp_socket_path },
	{ "path", kp_path },
	{ NULL, NULL },
};

static int ko_params(struct walk *w, const yaml_node_t *n)
{
	char prefix[96];

	snprintf(prefix, sizeof(prefix), "%s", w->key);
	return walk_map(w, n, prefix, param_keys);
}

static const struct key_def output_keys[] = {
	{ "type", ko_type },
	{ "enabled", ko_enabled },
	{ "async_buffer", ko_async },
	{ "params", ko_params },
	{ NULL, NULL },
};

static int output_item(struct walk *w, const yaml_node_t *n, size_t idx)
{
	const yaml_node_t *path_node;
	char prefix[32];
	struct config_output *o;

	snprintf(prefix, sizeof(prefix), "outputs[%zu]", idx);
	snprintf(w->key, sizeof(w->key), "%s", prefix);
	if (idx >= CONFIG_MAX_OUTPUTS)
		return fail(w, n, "more than %d outputs", CONFIG_MAX_OUTPUTS);
	o = &w->c->outputs[w->c->n_outputs];
	memset(o, 0, sizeof(*o));
	o->enabled = true;
	o->async_buffer = DEF_ASYNC_BUFFER;
	o->line = (int)n->start_mark.line + 1;
	w->out = (struct output_walk){ .o = o };
	if (walk_map(w, n, prefix, output_keys))
		return -1;
	snprintf(w->key, sizeof(w->key), "%s", prefix);
	if (!w->out.has_type)
		return fail(w, n, "missing key \"type\"");
	/* A file output writes params.path, a socket sends to
	 * params.socket_path: never the other key's value (design.md §9). */
	path_node = o->type == OUTPUT_FILE          ? w->out.file_node
		    : o->type == OUTPUT_UNIX_SOCKET ? w->out.sock_node
						    : NULL;
	if (o->type == OUTPUT_FILE && !path_node)
		return fail(w, n, "type file needs params.path");
	if (o->type == OUTPUT_UNIX_SOCKET && !path_node)
		return fail(w, n, "type unix_socket needs params.socket_path");
	if (path_node) {
		snprintf(o->path, sizeof(o->path), "%s",
			 (const char *)path_node->data.scalar.value);
		o->path_line = (int)path_node->start_mark.line + 1;
	}
	if (o->type == OUTPUT_UNIX_SOCKET &&
	    strlen(o->path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		snprintf(w->key, sizeof(w->key), "%s.params.socket_path", prefix);
		return fail(w, path_node, "%zu bytes: a unix socket path has at most %zu",
			    strlen(o->path), sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	}
	w->c->n_outputs++;
	return 0;
}

static int k_outputs(struct walk *w, const yaml_node_t *n)
{
	w->c->n_outputs = 0;
	w->c->outputs_set = true;
	return each_item(w, n, output_item);
}

static int k_core(struct walk *w, const yaml_node_t *n)
{
	return walk_map(w, n, "core", core_keys);
}

static int k_fingerprints(struct walk *w, const yaml_node_t *n)
{
	return walk_map(w, n, "fingerprints", fp_keys);
}

static int k_metrics(struct walk *w, const yaml_node_t *n)
{
	return walk_map(w, n, "metrics", metrics_keys);
}

static const struct key_def top_keys[] = {
	{ "core", k_core },       { "outputs", k_outputs }, { "fingerprints", k_fingerprints },
	{ "metrics", k_metrics }, { NULL, NULL },
};

/* Where libyaml found the problem, line and column; and the construct it
 * was in, which is often where the mistake is (an unclosed list, a key
 * indented wrongly). */
static int syntax_error(struct walk *w, const yaml_parser_t *parser)
{
	int n = snprintf(w->err, w->errlen, "%s:%lu:%lu: YAML syntax: %s", w->file,
			 (unsigned long)parser->problem_mark.line + 1,
			 (unsigned long)parser->problem_mark.column + 1,
			 parser->problem ? parser->problem : "unknown error");

	if (parser->context && n > 0 && (size_t)n < w->errlen)
		snprintf(w->err + n, w->errlen - (size_t)n, " (%s at line %lu, column %lu)",
			 parser->context, (unsigned long)parser->context_mark.line + 1,
			 (unsigned long)parser->context_mark.column + 1);
	return -1;
}

/* After the configuration's document: a second one ("---" then more keys)
 * would be ignored, settings and mistakes alike. */
static int no_second_doc(struct walk *w, yaml_parser_t *parser)
{
	yaml_document_t doc;
	yaml_node_t *root;
	int ret = 0;

	if (!yaml_parser_load(parser, &doc))
		return syntax_error(w, parser);
	root = yaml_document_get_root_node(&doc);
	if (root && !is_null(root)) { /* a trailing "---" alone is harmless */
		snprintf(w->err, w->errlen,
			 "%s:%lu: a second YAML document: the configuration is one document "
			 "(remove the \"---\" and merge the keys)",
			 w->file, (unsigned long)doc.start_mark.line + 1);
		ret = -1;
	}
	yaml_document_delete(&doc);
	return ret;
}

static int load_doc(struct walk *w, FILE *f)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	int ret = -1;

	if (!yaml_parser_initialize(&parser)) {
		snprintf(w->err, w->errlen, "%s: cannot start the YAML parser", w->file);
		return -1;
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		syntax_error(w, &parser);
		goto out_parser;
	}
	w->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (!root || is_null(root))
		ret = 0; /* empty file: defaults */
	else
		ret = walk_map(w, root, "", top_keys);
	yaml_document_delete(&doc);
	if (!ret)
		ret = no_second_doc(w, &parser);
out_parser:
	yaml_parser_delete(&parser);
	return ret;
}

int config_load(struct config *c, const char *path, bool must_exist, char *err, size_t errlen)
{
	struct walk w = { .c = c, .file = path, .err = err, .errlen = errlen };
	FILE *f = fopen(path, "r");
	struct stat st;
	int ret;

	if (!f) {
		if (errno == ENOENT && !must_exist)
			return 0;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	/* fopen takes a directory; libyaml would then say only "input error". */
	if (!fstat(fileno(f), &st) && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(EISDIR));
		fclose(f);
		return -1;
	}
	snprintf(c->file, sizeof(c->file), "%s", path);
	ret = load_doc(&w, f);
	fclose(f);
	return ret;
}

/* ---- environment ---- */

static int env_uint(const char *name, const char *v, long min, long max, uint32_t *out, char *err,
		    size_t errlen)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(v, &end, 10);
	if (!*v || *end || errno || x < min || x > max) {
		snprintf(err, errlen, "environment %s=\"%s\": expected an integer in %ld..%ld",
			 name, v, min, max);
		return -1;
	}
	*out = (uint32_t)x;
	return 0;
}

static int env_ports(struct config *c, const char *v, char *err, size_t errlen)
{
	char buf[512], *save = NULL, *tok;
	uint32_t n = 0;

	if (strlen(v) >= sizeof(buf))
		goto bad;
	strcpy(buf, v);
	for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		uint32_t port;

		if (n >= MAX_LISTEN_PORTS ||
		    env_uint("JA4SENTINEL_PORTS", tok, 1, 65535, &port, err, errlen))
			goto bad;
		c->ports[n++] = (uint16_t)port;
	}
	if (!n)
		goto bad;
	c->n_ports = n;
	c->ports_set = true;
	return 0;
bad:
	snprintf(err, errlen,
		 "environment JA4SENTINEL_PORTS=\"%s\": expected a comma list of 1 to %d ports "
		 "(1..65535)",
		 v, MAX_LISTEN_PORTS);
	return -1;
}

static int env_str(const char *name, const char *v, char *out, size_t size, char *err,
		   size_t errlen)
{
	if (strlen(v) >= size) {
		snprintf(err, errlen, "environment %s: longer than %zu characters", name, size - 1);
		return -1;
	}
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

unsigned config_warn_unknown_env(char *const *env)
{
	/* What config_apply_env reads, and the test hooks (docs/testing.md). */
	static const char *const known[] = {
		"INTERFACE",           "PORTS",        "BPF_FILTER", "FLOW_TIMEOUT",
		"PACKET_BUFFER_SIZE",  "CAPTURE_MODE", "SENSOR_ID",  "TEST_NO_TCX",
		"TEST_START_DELAY_MS",
	};
	static const char prefix[] = "JA4SENTINEL_";
	unsigned n = 0;

	for (; env && *env; env++) {
		const char *name = *env + sizeof(prefix) - 1, *eq = strchr(*env, '=');
		size_t len, i;

		if (strncmp(*env, prefix, sizeof(prefix) - 1) || !eq || eq < name)
			continue;
		len = (size_t)(eq - name);
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strlen(known[i]) == len && !strncmp(known[i], name, len))
				break;
		if (i < sizeof(known) / sizeof(known[0]))
			continue;
		n++;
		if (len == 9 && !strncmp(name, "LOG_LEVEL", len))
			log_warn("config",
				 "environment JA4SENTINEL_LOG_LEVEL is not read: core.log_level is "
				 "set in the configuration file only");
		else
			log_warn("config",
				 "environment %.*s is not a ja4sentinel variable and is ignored "
				 "(JA4SENTINEL_INTERFACE, _PORTS, _BPF_FILTER, _FLOW_TIMEOUT, "
				 "_PACKET_BUFFER_SIZE, _CAPTURE_MODE, _SENSOR_ID are)",
				 (int)(eq - *env), *env);
	}
	return n;
}

int config_apply_env(struct config *c, char *err, size_t errlen)
{
	const char *v;

	if ((v = getenv("JA4SENTINEL_INTERFACE")) && *v &&
	    env_str("JA4SENTINEL_INTERFACE", v, c->interface, IF_NAMESIZE, err, errlen))
		return -1;
	if (v && *v)
		c->interface_line = 0;
	if ((v = getenv("JA4SENTINEL_PORTS")) && *v && env_ports(c, v, err, errlen))
		return -1;
	if ((v = getenv("JA4SENTINEL_BPF_FILTER"))) {
		char why[320];

		if (v[0] && bpf_filter_check(v, why, sizeof(why))) {
			snprintf(err, errlen,
				 "environment JA4SENTINEL_BPF_FILTER=\"%s\": not a valid pcap "
				 "filter: %s",
				 v, why);
			return -1;
		}
		free(c->bpf_filter);
		c->bpf_filter = strdup(v);
		c->bpf_filter_line = 0;
		if (!c->bpf_filter) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	if ((v = getenv("JA4SENTINEL_FLOW_TIMEOUT")) && *v &&
	    env_uint("JA4SENTINEL_FLOW_TIMEOUT", v, MIN_FLOW_TIMEOUT_SEC, MAX_FLOW_TIMEOUT_SEC,
		     &c->flow_timeout_sec, err, errlen))
		return -1;
	if ((v = getenv("JA4SENTINEL_PACKET_BUFFER_SIZE")) && *v &&
	    env_uint("JA4SENTINEL_PACKET_BUFFER_SIZE", v, MIN_PACKET_BUFFER_SIZE,
		     MAX_PACKET_BUFFER_SIZE, &c->packet_buffer_size, err, errlen))
		return -1;
	if ((v = getenv("JA4SENTINEL_CAPTURE_MODE")) && *v &&
	    config_parse_capture_mode(v, &c->capture_mode)) {
		snprintf(err, errlen,
			 "environment JA4SENTINEL_CAPTURE_MODE=\"%s\": expected auto, tc, xdp or "
			 "pcap",
			 v);
		return -1;
	}
	if ((v = getenv("JA4SENTINEL_SENSOR_ID")) &&
	    env_str("JA4SENTINEL_SENSOR_ID", v, c->sensor_id, sizeof(c->sensor_id), err, errlen))
		return -1;
	return 0;
}
