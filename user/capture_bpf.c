// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The eBPF capture backends' common part: open the embedded skeleton, set
 * its load-time configuration and map sizes, fill the filter maps, pin what
 * an operator inspects under core.pin_dir (/sys/fs/bpf/ja4sentinel), and turn ring buffer
 * events into struct packet for the pipeline, a bounded slice at a time.
 * Attaching is the hooks' (capture_tc.c, capture_xdp.c), which call the
 * steps here (capture_bpf.h); this file knows a hook only through its
 * struct bpf_hook. Teardown runs in exact reverse.
 */
#define _GNU_SOURCE /* memmem, vasprintf */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include "abi.h"
#include "capture_bpf.h"
#include "clock.h"
#include "config.h"
#include "defaults.h"
#include "ifaddr.h"
#include "ja4sentinel.skel.h"
#include "log.h"
#include "privs.h"

/* The line of the last verifier log that says why a program was refused. */
static char refused[256];

const char *capture_bpf_refused(void)
{
	return refused[0] ? refused : NULL;
}

void capture_bpf_refused_clear(void)
{
	refused[0] = '\0';
}

/* From a libbpf message holding a verifier log, its reason: the last line
 * before the end marker that is not the verifier's own accounting. */
static void keep_reason(const char *msg)
{
	static const char *const accounting[] = { "processed ", "verification time",
						  "stack depth" };
	const char *end = strstr(msg, "-- END PROG LOAD LOG --"), *p, *q;

	if (!end || !strstr(msg, "-- BEGIN PROG LOAD LOG --"))
		return;
	for (q = end; q > msg; q = p) {
		size_t n, k;

		for (p = q - 1; p > msg && p[-1] != '\n'; p--)
			;
		n = (size_t)(q - p);
		while (n && (p[n - 1] == '\n' || p[n - 1] == ' '))
			n--;
		for (k = 0; k < 3 && strncmp(p, accounting[k], strlen(accounting[k])); k++)
			;
		if (!n || k < 3)
			continue;
		if (!memmem(p, n, "-- BEGIN PROG LOAD LOG --", 25)) /* else: an empty log */
			snprintf(refused, sizeof(refused), "%.*s", (int)n, p);
		return;
	}
}

static bool libbpf_quiet;

void capture_bpf_log_quiet(bool quiet)
{
	libbpf_quiet = quiet;
}

/* libbpf's output, one level lower than its own: its warnings are our info
 * (debug while a caller expects failures it recovers from). */
static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *msg = NULL;
	va_list copy;

	va_copy(copy, ap);
	if (level == LIBBPF_WARN && vasprintf(&msg, fmt, copy) >= 0)
		keep_reason(msg);
	va_end(copy);
	free(msg);
	log_vlib(level == LIBBPF_WARN && !libbpf_quiet ? LOG_INFO : LOG_DEBUG, "libbpf", fmt, ap);
	return 0;
}

/* Kernel timestamps are CLOCK_MONOTONIC; records want realtime. */
static void refresh_clock(struct bpf_cap *b)
{
	b->mono_to_real = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
}

/*
 * What on_event returns when the slice's budget is spent, to make
 * ring_buffer__consume() return: libbpf 1.1 has no ring_buffer__consume_n.
 * libbpf's ringbuf_process_ring() (src/ringbuf.c, checked at tags v1.1.0
 * and v1.1.2, unchanged in 1.7) advances the consumer position past a
 * sample before calling the callback, and on a negative return stores
 * that position and returns the value (ring_buffer__consume passes it on
 * through libbpf_err): the sample that spent the budget counts as
 * consumed, the next call starts after it, nothing is read twice or lost.
 * Only on_event returns negative values, so this one is not an error.
 */
#define BPF_SLICE_SPENT (-ECANCELED)

static int on_event(void *ctx, void *data, size_t size)
{
	struct bpf_cap *b = ctx;
	const struct j4s_event *ev = data;
	struct packet pkt;

	b->c->st.frames++;
	b->slice_count++;
	if (size < J4S_EVENT_HDR_SIZE || ev->caplen > size - J4S_EVENT_HDR_SIZE) {
		b->c->st.link[PKT_MALFORMED]++;
	} else if (capture_filter_pass(b->c, ev->data, ev->caplen, ev->origlen)) {
		b->c->st.link[PKT_OK]++;
		pkt.data = ev->data;
		pkt.caplen = ev->caplen;
		pkt.origlen = ev->origlen;
		pkt.ts_ns = ev->ts_ns + b->mono_to_real;
		pkt.mono_ns = ev->ts_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
		pkt.ifindex = ev->ifindex;
		pkt.from_file = false;
		pkt.quic_held = ev->kind == J4S_EV_UDP_HELD || ev->kind == J4S_EV_QUIC_PROOF;
		b->cb(b->cb_ctx, &pkt);
	}
	return capture_budget_charge(b->budget, 1) ? 0 : BPF_SLICE_SPENT;
}

int capture_bpf_fd(const struct capture *c)
{
	return ring_buffer__epoll_fd(((const struct bpf_cap *)c->priv)->rb);
}

int capture_bpf_dispatch(struct capture *c, struct capture_budget *budget, capture_cb cb, void *ctx,
			 char *err, size_t errlen)
{
	struct bpf_cap *b = c->priv;
	int n;

	b->cb = cb;
	b->cb_ctx = ctx;
	b->budget = budget;
	b->slice_count = 0;
	refresh_clock(b);
	n = ring_buffer__consume(b->rb);
	b->budget = NULL;
	if (n < 0 && n != BPF_SLICE_SPENT && n != -EINTR) {
		snprintf(err, errlen, "ring buffer: %s", strerror(-n));
		return -1;
	}
	return b->slice_count;
}

/* j4s_stats summed over CPUs; 0 on success. */
static int sum_stats(struct bpf_cap *b, struct j4s_stats *sum)
{
	int ncpu = libbpf_num_possible_cpus(), rc = -1;
	struct j4s_stats *per;
	uint32_t zero = 0;

	memset(sum, 0, sizeof(*sum));
	if (ncpu <= 0 || !(per = calloc((size_t)ncpu, sizeof(*per))))
		return -1;
	if (!bpf_map_lookup_elem(bpf_map__fd(b->skel->maps.j4s_stats), &zero, per)) {
		for (int i = 0; i < ncpu; i++) {
			/* Fields are all __u64: walk them as such (not as uint64_t,
			 * another type to the aliasing rules). */
			const __u64 *src = (const __u64 *)&per[i];
			__u64 *dst = (__u64 *)sum;

			for (size_t f = 0; f < sizeof(*sum) / 8; f++)
				dst[f] += src[f];
		}
		rc = 0;
	}
	free(per);
	return rc;
}

uint64_t capture_bpf_lost(struct capture *c)
{
	struct j4s_stats sum;

	return sum_stats(c->priv, &sum) ? 0 : sum.ringbuf_full;
}

/* j4s_stats by field name. */
void capture_bpf_stats(struct capture *c, struct json_object *o)
{
	struct j4s_stats sum;

	if (!sum_stats(c->priv, &sum)) {
#define PUT(f) json_object_object_add(o, #f, json_object_new_int64((int64_t)sum.f))
		PUT(packets);
		PUT(not_ip);
		PUT(not_tcp);
		PUT(fragments);
		PUT(truncated);
		PUT(other_port);
		PUT(not_local);
		PUT(excluded);
		PUT(syn_events);
		PUT(payload_events);
		PUT(end_events);
		PUT(ringbuf_full);
		PUT(flows_created);
		PUT(flows_picked_up);
		PUT(flows_done);
		PUT(not_tls);
		PUT(segment_cap);
		PUT(no_flow);
		PUT(after_done);
		PUT(bare_acks);
		PUT(copy_errors);
		PUT(flow_update_errors);
		PUT(egress_packets);
		PUT(egress_other);
		PUT(synacks);
		PUT(synack_no_flow);
		PUT(synack_events);
		PUT(validated);
		PUT(unvalidated);
		PUT(unvalidated_limited);
		PUT(quic_events);
		PUT(quic_not_initial);
		PUT(quic_conns);
		PUT(quic_capped);
		PUT(quic_limited);
		PUT(quic_update_errors);
		PUT(fragment_events);
		PUT(fragments_limited);
		PUT(refused);
		PUT(paws_refused);
		PUT(retransmits_skipped);
		PUT(fin_ahead);
		PUT(bad_ip_checksum);
		PUT(syn_retransmits);
		PUT(syn_ignored);
		PUT(spoofed_events);
		PUT(ip_options_dropped);
		PUT(synack_restarted);
		PUT(server_segments);
		PUT(urgent_past_cap);
		PUT(fragments_validated);
		PUT(fragments_later);
		PUT(quic_held);
		PUT(quic_server_initials);
		PUT(quic_handshakes);
		PUT(quic_proofs_dropped);
#undef PUT
	}
}

/*
 * What the stop still needs once capture runs: the hook's detach, and
 * CAP_BPF when the kernel refuses map reads (stats) and writes by fd
 * without it (before 6.5 with kernel.unprivileged_bpf_disabled set). That
 * is tried, not guessed: a read of j4s_stats with CAP_BPF and CAP_SYS_ADMIN
 * lowered from the effective set, then raised again.
 */
uint64_t capture_bpf_detach_caps(struct capture *c)
{
	struct bpf_cap *b = c->priv;
	uint64_t keep = b->hook->detach_caps(b), eff = privs_effective();
	uint64_t bpf_caps = PRIVS_BIT(CAP_BPF) | PRIVS_BIT(CAP_SYS_ADMIN);
	struct j4s_stats sum;
	int denied;

	if (privs_set_effective(eff & ~bpf_caps))
		return keep | (eff & bpf_caps);
	denied = sum_stats(b, &sum) && errno == EPERM;
	if (privs_set_effective(eff))
		log_warn("bpf", "raising capabilities again: %s", strerror(errno));
	if (denied)
		keep |= eff & PRIVS_BIT(CAP_BPF) ? PRIVS_BIT(CAP_BPF) : eff & bpf_caps;
	return keep;
}

/* ---- maps ---- */

static void mapped_addr(const struct cidr *c, uint8_t out[16])
{
	if (c->family == AF_INET6) {
		memcpy(out, c->addr, 16);
		return;
	}
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, c->addr, 4);
}

int capture_bpf_fill_maps(struct bpf_cap *b, const struct config *cfg, char *err, size_t errlen)
{
	uint8_t one = 1;

	for (uint32_t i = 0; i < cfg->n_ports; i++) {
		uint32_t port = cfg->ports[i];

		if (bpf_map_update_elem(bpf_map__fd(b->skel->maps.j4s_ports), &port, &one, 0))
			goto fail;
	}
	for (uint32_t i = 0; i < cfg->n_local_ips; i++) {
		struct j4s_addr_key k;

		mapped_addr(&cfg->local_ips[i], k.addr);
		if (bpf_map_update_elem(bpf_map__fd(b->skel->maps.j4s_local), &k, &one, 0))
			goto fail;
	}
	for (uint32_t i = 0; i < b->n_ifaces; i++) {
		uint32_t idx = (uint32_t)b->ifindex[i];

		if (b->l3dev[i] &&
		    bpf_map_update_elem(bpf_map__fd(b->skel->maps.j4s_l3dev), &idx, &one, 0))
			goto fail;
	}
	for (uint32_t i = 0; i < cfg->n_exclude; i++) {
		const struct cidr *c = &cfg->exclude[i];
		struct j4s_lpm_key k = { .prefixlen = c->prefix + (c->family == AF_INET ? 96 : 0) };

		mapped_addr(c, k.addr);
		if (bpf_map_update_elem(bpf_map__fd(b->skel->maps.j4s_excl), &k, &one, 0))
			goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "filling the filter maps: %s", strerror(errno));
	return -1;
}

static bool listed(const struct cidr *list, uint32_t n, const uint8_t addr[16])
{
	uint8_t a[16];

	for (uint32_t i = 0; i < n; i++) {
		mapped_addr(&list[i], a);
		if (!memcmp(a, addr, 16))
			return true;
	}
	return false;
}

int capture_bpf_set_local(struct capture *c, const struct cidr *list, uint32_t n)
{
	struct bpf_cap *b = c->priv;
	int fd = bpf_map__fd(b->skel->maps.j4s_local);
	struct j4s_addr_key k, next, *stale;
	uint32_t n_stale = 0;
	uint8_t one = 1;
	int rc = 0, added = 0;

	/* New ones first, so no hello to an address kept is refused
	 * meanwhile; a full map (E2BIG) gets them again once the stale ones
	 * are gone, below. */
	for (uint32_t i = 0; i < n && !added; i++) {
		mapped_addr(&list[i], k.addr);
		if (bpf_map_update_elem(fd, &k, &one, BPF_ANY))
			added = -errno;
	}
	/* Then the ones gone: collected first, as deleting while walking
	 * the hash restarts the walk. */
	stale = calloc(J4S_MAX_LOCAL_IPS, sizeof(*stale));
	if (!stale)
		return -ENOMEM;
	for (int r = bpf_map_get_next_key(fd, NULL, &next); !r && n_stale < J4S_MAX_LOCAL_IPS;
	     r = bpf_map_get_next_key(fd, &k, &next)) {
		k = next;
		if (!listed(list, n, k.addr))
			stale[n_stale++] = k;
	}
	for (uint32_t i = 0; i < n_stale; i++)
		if (bpf_map_delete_elem(fd, &stale[i]) && errno != ENOENT)
			rc = -errno;
	free(stale);
	for (uint32_t i = 0; i < n && added; i++) {
		mapped_addr(&list[i], k.addr);
		if (bpf_map_update_elem(fd, &k, &one, BPF_ANY))
			return -errno;
	}
	return rc;
}

/* Ring size: packet_buffer_size units of BPF_RING_BYTES_PER_UNIT, a power of
 * two, 1 MiB..1 GiB. */
static uint32_t ring_bytes(const struct config *cfg)
{
	uint64_t want = (uint64_t)cfg->packet_buffer_size * BPF_RING_BYTES_PER_UNIT, sz = 1u << 20;

	while (sz < want && sz < (1u << 30))
		sz <<= 1;
	return (uint32_t)sz;
}

/* ---- pinning ---- */

static const char *const pin_maps[] = { "j4s_events", "j4s_stats", "j4s_flows",       "j4s_ports",
					"j4s_local",  "j4s_excl",  "j4s_l3dev",       "j4s_bucket",
					"j4s_quic",   "j4s_frags", "j4s_quic_answers" };

/* Remove what a crashed run left, so the names are free again. The
 * directory stays: it carries the single-instance lock (instance.c). */
static void unpin_all(const char *dir)
{
	static const char *const progs[] = { "j4s_tc", "j4s_tc_egress", "j4s_xdp" };
	char path[CONFIG_PATH_MAX];

	for (size_t i = 0; i < sizeof(pin_maps) / sizeof(pin_maps[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, pin_maps[i]);
		unlink(path);
	}
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, progs[i]);
		unlink(path);
	}
}

/* In core.pin_dir, which main has checked (ours, 0700) and locked; "" when
 * it could not: then nothing is pinned (instance.h). */
static void pin(struct bpf_cap *b)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(b->skel->obj, b->hook->prog);
	const char *dir = b->pin_dir;
	char path[CONFIG_PATH_MAX];

	if (!dir[0])
		return;
	unpin_all(dir);
	for (size_t i = 0; i < sizeof(pin_maps) / sizeof(pin_maps[0]); i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(b->skel->obj, pin_maps[i]);

		snprintf(path, sizeof(path), "%s/%s", dir, pin_maps[i]);
		if (!m || bpf_map__pin(m, path))
			goto fail;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, b->hook->prog);
	if (!prog || bpf_program__pin(prog, path))
		goto fail;
	snprintf(path, sizeof(path), "%s/j4s_tc_egress", dir);
	if (bpf_program__pin(b->skel->progs.j4s_tc_egress, path))
		goto fail;
	b->pinned = true;
	return;
fail:
	log_warn("bpf", "pinning under %s failed: %s; continuing without pins", dir,
		 strerror(errno));
	unpin_all(dir);
}

/* ---- probes: decide before anything is attached ---- */

static int silent(enum libbpf_print_level l, const char *fmt, va_list ap)
{
	(void)l;
	(void)fmt;
	(void)ap;
	return 0;
}

/* Effective capability bits (the first 64), from /proc/self/status. */
static uint64_t cap_eff(void)
{
	char line[256];
	uint64_t caps = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7))
			caps = strtoull(line + 7, NULL, 16);
	fclose(f);
	return caps;
}

#define CAP_BIT(n)     (1ULL << (n))
#define CAP_NET_ADMIN_ 12
#define CAP_SYS_ADMIN_ 21
#define CAP_PERFMON_   38
#define CAP_BPF_       39

static int probe(const struct bpf_hook *hook, char *why, size_t len)
{
	uint64_t caps = cap_eff();
	struct utsname u;
	int rc = 0;

	uname(&u);
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(why, len,
			 "kernel %s has no BTF (/sys/kernel/btf/vmlinux: %s), which the "
			 "CO-RE program needs",
			 u.release, strerror(errno));
		return -1;
	}
	if (!(caps & CAP_BIT(CAP_SYS_ADMIN_)) &&
	    (caps & (CAP_BIT(CAP_BPF_) | CAP_BIT(CAP_PERFMON_))) !=
		    (CAP_BIT(CAP_BPF_) | CAP_BIT(CAP_PERFMON_))) {
		snprintf(why, len,
			 "missing rights: CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN) are "
			 "needed to load BPF programs");
		return -1;
	}
	if (!(caps & CAP_BIT(CAP_NET_ADMIN_))) {
		snprintf(why, len,
			 "missing rights: CAP_NET_ADMIN is needed to attach to an "
			 "interface");
		return -1;
	}
	libbpf_set_print(silent);
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) <= 0) {
		snprintf(why, len, "BPF ring buffer unsupported by kernel %s", u.release);
		rc = -1;
	} else if (libbpf_probe_bpf_prog_type(hook->prog_type, NULL) <= 0) {
		snprintf(why, len, "%s programs unsupported by kernel %s (or forbidden here)",
			 hook->prog_kind, u.release);
		rc = -1;
	}
	libbpf_set_print(libbpf_log);
	return rc;
}

/* ---- interfaces ---- */

static int add_iface(struct bpf_cap *b, const char *name, char *err, size_t errlen)
{
	unsigned int idx = if_nametoindex(name);

	if (!idx) {
		snprintf(err, errlen, "interface %s: %s", name, strerror(errno));
		return -1;
	}
	if (b->n_ifaces == BPF_MAX_IFACES) {
		snprintf(err, errlen, "more than %d interfaces", BPF_MAX_IFACES);
		return -1;
	}
	b->ifindex[b->n_ifaces] = (int)idx;
	snprintf(b->ifname[b->n_ifaces], IF_NAMESIZE, "%s", name);
	b->l3dev[b->n_ifaces] = !ifaddr_has_ethernet(name);
	if (b->l3dev[b->n_ifaces])
		log_info("bpf", "%s has no Ethernet header: its frames are read from the IP header",
			 name);
	b->n_ifaces++;
	return 0;
}

static int interfaces(struct bpf_cap *b, const char *iface, char *err, size_t errlen)
{
	struct if_nameindex *all, *it;
	char skipped[128] = "";
	int rc = 0;

	if (strcmp(iface, "any"))
		return add_iface(b, iface, err, errlen);
	all = if_nameindex();
	if (!all) {
		snprintf(err, errlen, "listing interfaces: %s", strerror(errno));
		return -1;
	}
	for (it = all; it->if_index && !rc; it++) {
		unsigned int flags = 0;

		if (ifaddr_flags(it->if_name, &flags) || !(flags & IFF_UP))
			continue;
		if (flags & IFF_LOOPBACK) {
			size_t n = strlen(skipped);

			snprintf(skipped + n, sizeof(skipped) - n, "%s%s", n ? "," : "",
				 it->if_name);
			continue;
		}
		rc = add_iface(b, it->if_name, err, errlen);
	}
	if_freenameindex(all);
	if (!rc && !b->n_ifaces) {
		snprintf(err, errlen, "interface any: no interface is up besides loopback");
		rc = -1;
	}
	/* Said plainly: a newcomer's curl https://localhost/ goes over lo, and
	 * would otherwise give no record and no reason. */
	if (!rc && skipped[0])
		log_info("bpf",
			 "interface any: loopback (%s) is not watched in the eBPF modes; "
			 "-i lo or core.interface: lo watches this machine's own connections",
			 skipped);
	return rc;
}

bool capture_bpf_built(void)
{
	return true;
}

void capture_bpf_print_versions(FILE *f)
{
	fprintf(f, "eBPF capture (tc, xdp): yes\n");
	fprintf(f, "  libbpf   %s (built with %d.%d)\n", libbpf_version_string(),
		LIBBPF_MAJOR_VERSION, LIBBPF_MINOR_VERSION);
#ifdef J4S_BUILT_LIBXDP
	fprintf(f, "  libxdp   built with %s\n", J4S_BUILT_LIBXDP);
#endif
}

/* ---- lifecycle ---- */

void capture_bpf_free(struct bpf_cap *b)
{
	if (!b)
		return;
	b->hook->detach(b);
	if (b->pinned)
		unpin_all(b->pin_dir);
	ja4sentinel_bpf__destroy(b->skel);
	free(b);
}

void capture_bpf_close(struct capture *c)
{
	struct bpf_cap *b = c->priv;

	capture_filter_free(c);
	if (!b)
		return;
	ring_buffer__free(b->rb);
	capture_bpf_free(b);
}

void capture_bpf_load_error(char *err, size_t errlen, const char *prog, int errnum)
{
	if (capture_bpf_refused())
		snprintf(err, errlen, "the kernel's verifier refused %s: %s (its log is above)",
			 prog, capture_bpf_refused());
	else
		snprintf(err, errlen, "loading %s: %s", prog, strerror(errnum));
}

static int open_skeleton(struct bpf_cap *b, const struct config *cfg, char *err, size_t errlen)
{
	struct j4s_bpf_config *kc;
	struct bpf_program *prog;

	libbpf_set_print(libbpf_log);
	capture_bpf_refused_clear();
	b->skel = ja4sentinel_bpf__open();
	if (!b->skel) {
		snprintf(err, errlen, "opening the BPF object: %s", strerror(errno));
		return -1;
	}
	kc = (struct j4s_bpf_config *)&b->skel->rodata->j4s_cfg;
	kc->max_bytes = REASM_MAX_BYTES;
	kc->max_segments = (uint16_t)cfg->max_hello_segments;
	kc->unval_rate = cfg->unvalidated_rate;
	kc->unval_burst = cfg->unvalidated_burst;
	kc->filter_local = cfg->n_local_ips > 0 || cfg->local_auto;
	kc->filter_exclude = cfg->n_exclude > 0;
	kc->quic = cfg->quic;
	for (uint32_t i = 0; i < b->n_ifaces; i++)
		kc->l3dev |= b->l3dev[i];
	if (bpf_map__set_max_entries(b->skel->maps.j4s_flows, cfg->max_tracked_flows) ||
	    bpf_map__set_max_entries(b->skel->maps.j4s_quic, cfg->max_tracked_flows) ||
	    bpf_map__set_max_entries(b->skel->maps.j4s_events, ring_bytes(cfg)))
		goto fail;
	/* Only the hook's program is loaded, and in both modes the egress
	 * one that learns the server's ISN (capture_tc_attach_egress). */
	bpf_object__for_each_program(prog, b->skel->obj) if (
		bpf_program__set_autoload(prog,
					  !strcmp(bpf_program__name(prog), b->hook->prog) ||
						  prog == b->skel->progs.j4s_tc_egress)) goto fail;
	return 0;
fail:
	snprintf(err, errlen, "configuring the BPF object: %s", strerror(errno));
	return -1;
}

struct bpf_cap *capture_bpf_new(const struct config *cfg, const struct bpf_hook *hook, char *err,
				size_t errlen)
{
	struct bpf_cap *b;

	if (probe(hook, err, errlen))
		return NULL;
	b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	b->hook = hook;
	snprintf(b->pin_dir, sizeof(b->pin_dir), "%s", cfg->pin_dir);
	if (interfaces(b, cfg->interface, err, errlen) || open_skeleton(b, cfg, err, errlen)) {
		capture_bpf_free(b);
		return NULL;
	}
	return b;
}

int capture_bpf_load(struct bpf_cap *b, char *err, size_t errlen)
{
	if (!ja4sentinel_bpf__load(b->skel))
		return 0;
	capture_bpf_load_error(err, errlen, b->hook->prog, errno);
	return -1;
}

struct capture *capture_bpf_start(struct bpf_cap *b, char *err, size_t errlen)
{
	b->c = capture_new(&b->hook->ops, b);
	if (!b->c) {
		snprintf(err, errlen, "out of memory");
		capture_bpf_free(b);
		return NULL;
	}
	b->c->link_name = "EN10MB (RAW on interfaces without Ethernet)";
	for (uint32_t i = 0, n = 0; i < b->n_ifaces && (size_t)n < sizeof(b->c->ifaces); i++)
		n += (uint32_t)snprintf(b->c->ifaces + n, sizeof(b->c->ifaces) - n, "%s%s",
					i ? "," : "", b->ifname[i]);
	capture_filter_on_l3(b->c); /* events carry the packet from the L3 header on */
	b->rb = ring_buffer__new(bpf_map__fd(b->skel->maps.j4s_events), on_event, b, NULL);
	if (!b->rb) {
		snprintf(err, errlen, "ring buffer: %s", strerror(errno));
		capture_close(b->c);
		return NULL;
	}
	refresh_clock(b);
	pin(b);
	return b->c;
}
