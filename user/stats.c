// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The stats line: every stage's counters, by name, in one log line, so an
 * operator sees where packets, flows and hellos went. The same counters
 * feed the Prometheus text file and systemd's STATUS= line: one tree of
 * them, built here, read three ways.
 */
#define _GNU_SOURCE /* O_NOFOLLOW */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include "capture.h"
#include "ipfrag.h"
#include "clock.h"
#include "defaults.h"
#include "log.h"
#include "notify.h"
#include "output.h"
#include "pipeline.h"
#include "quic.h"
#include "quic_hold.h"
#include "stats.h"

/* While a tree is built for the periodic line, counters at zero are left
 * out (an absent key reads 0); the final line, SIGUSR1's and the text file
 * carry them all. One thread: a file-level switch keeps put()'s calls as
 * they were. */
static bool skip_zeros;

static void put(struct json_object *o, const char *k, uint64_t v)
{
	if (skip_zeros && !v)
		return;
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

static struct json_object *flow_fields(const struct flow_stats *f, uint32_t active)
{
	struct json_object *o = json_object_new_object();

	put(o, "active", active);
	put(o, "created", f->created);
	put(o, "syns", f->syns);
	put(o, "syn_retransmits", f->syn_retransmits);
	put(o, "syn_ignored", f->syn_ignored);
	put(o, "pickups_without_syn", f->pickups);
	put(o, "reused", f->reused);
	put(o, "evicted_done", f->evicted_done);
	put(o, "evicted_waiting", f->evicted_active);
	put(o, "timeouts", f->timeouts);
	put(o, "expired_done", f->expired_done);
	put(o, "not_tls", f->not_tls);
	put(o, "not_client_hello", f->not_hello);
	put(o, "bad_framing", f->malformed);
	put(o, "too_big", f->too_big);
	put(o, "segment_limit", f->segment_limit);
	put(o, "byte_limit", f->byte_limit);
	put(o, "nomem", f->nomem);
	put(o, "rst_before_hello", f->rst);
	put(o, "fin_before_hello", f->fin_incomplete);
	put(o, "retransmits", f->retransmits);
	put(o, "overlap_bytes", f->overlap_bytes);
	put(o, "conflict_bytes", f->conflict_bytes);
	put(o, "out_of_order", f->out_of_order);
	put(o, "after_done", f->after_done);
	put(o, "no_flow", f->no_flow);
	put(o, "bare_acks", f->bare_acks);
	put(o, "evicted_memory", f->evicted_memory);
	put(o, "synacks", f->synacks);
	put(o, "synack_before_syn", f->synack_early);
	put(o, "synack_retransmits", f->synack_retransmits);
	put(o, "synack_restarted", f->synack_restarted);
	put(o, "synack_no_flow", f->synack_no_flow);
	put(o, "unvalidated_limited", f->unvalidated_limited);
	put(o, "urgent_bytes_removed", f->urgent_removed);
	put(o, "urgent_ignored", f->urgent_ignored);
	put(o, "urgent_replaced", f->urgent_replaced);
	put(o, "refused", f->refused);
	put(o, "paws_refused", f->paws_refused);
	put(o, "spoof_discarded", f->spoof_discarded);
	return o;
}

/* QUIC (design.md §6): names prefixed quic_ so a grep finds them all. */
static struct json_object *quic_fields(const struct quic_stats *q, uint32_t active,
				       const struct quic_hold_stats *h, uint32_t held)
{
	struct json_object *o = json_object_new_object();

	put(o, "quic_active", active);
	put(o, "quic_datagrams", q->datagrams);
	put(o, "quic_not_quic", q->not_quic);
	put(o, "quic_short_header", q->short_header);
	put(o, "quic_unknown_version", q->unknown_version);
	put(o, "quic_malformed", q->malformed);
	put(o, "quic_other_long", q->other_long);
	put(o, "quic_small_datagram", q->small_datagram);
	put(o, "quic_initials", q->initials);
	put(o, "quic_decrypt_failed", q->decrypt_failed);
	put(o, "quic_fixed_bit", q->fixed_bit);
	put(o, "quic_reserved_bits", q->reserved_bits);
	put(o, "quic_pn_repeated", q->pn_repeated);
	put(o, "quic_pn_far", q->pn_far);
	put(o, "quic_greased", q->greased);
	put(o, "quic_later_crypto", q->later_crypto);
	put(o, "quic_decrypted", q->decrypted);
	put(o, "quic_frames_bad", q->frames_bad);
	put(o, "quic_crypto_frames", q->crypto_frames);
	put(o, "quic_crypto_dup", q->crypto_dup);
	put(o, "quic_crypto_conflict", q->crypto_conflict);
	put(o, "quic_out_of_order", q->out_of_order);
	put(o, "quic_conns", q->conns);
	put(o, "quic_later_initials", q->later_initials);
	put(o, "quic_after_done", q->after_done);
	put(o, "quic_hellos", q->hellos);
	put(o, "quic_not_hello", q->not_hello);
	put(o, "quic_too_big", q->too_big);
	put(o, "quic_packet_limit", q->packet_limit);
	put(o, "quic_byte_limit", q->byte_limit);
	put(o, "quic_nomem", q->nomem);
	put(o, "quic_evicted", q->evicted);
	put(o, "quic_evicted_done", q->evicted_done);
	put(o, "quic_port_changed", q->port_changed);
	put(o, "quic_retried", q->retried);
	put(o, "quic_retried_same", q->retried_same);
	put(o, "quic_timeouts", q->timeouts);
	put(o, "quic_limited", q->limited);
	/* Initials kept until their client proves its address (quic_hold.h) */
	put(o, "quic_kept_active", held);
	put(o, "quic_kept", h->kept);
	put(o, "quic_kept_evicted", h->evicted);
	put(o, "quic_kept_over_tuple", h->over_tuple);
	put(o, "quic_kept_expired", h->expired);
	put(o, "quic_kept_guessed", h->guessed);
	put(o, "quic_kept_nomem", h->nomem);
	put(o, "quic_server_ids", h->server_ids);
	put(o, "quic_proofs", h->proofs);
	put(o, "quic_replayed", h->replayed);
	put(o, "quic_kept_unanswered", h->unanswered);
	put(o, "quic_server_cut", h->server_cut);
	return o;
}

/* A frame cut or broken below IP is another count than a packet cut or
 * broken at IP/TCP: the link layer's keys that the parser also has are
 * link_truncated and link_malformed, so neither replaces the other. */
static const char *link_verdict_key(int v, char *buf, size_t size)
{
	if (v != PKT_TRUNCATED && v != PKT_MALFORMED)
		return packet_verdict_str(v);
	snprintf(buf, size, "link_%s", packet_verdict_str(v));
	return buf;
}

/* IP defragmentation (include/ipfrag.h), in the packets group. */
static void ipfrag_fields(struct json_object *o, const struct ipfrag_stats *f, uint32_t active)
{
	put(o, "ipfrag_active", active);
	put(o, "ipfrag_fragments", f->fragments);
	put(o, "ipfrag_reassembled", f->reassembled);
	put(o, "ipfrag_duplicates", f->duplicates);
	put(o, "ipfrag_overlaps", f->overlaps);
	put(o, "ipfrag_bad_length", f->bad_length);
	put(o, "ipfrag_too_big", f->too_big);
	put(o, "ipfrag_ecn", f->ecn);
	put(o, "ipfrag_dropped", f->dropped);
	put(o, "ipfrag_no_upper", f->no_upper);
	put(o, "ipfrag_truncated", f->truncated);
	put(o, "ipfrag_timeouts", f->timeouts);
	put(o, "ipfrag_refused", f->refused);
	put(o, "ipfrag_too_far", f->too_far);
	put(o, "ipfrag_nomem", f->nomem);
}

static struct json_object *packet_fields(const struct pipeline_stats *s, const struct capture *cap)
{
	struct json_object *o = json_object_new_object();

	if (cap) {
		const struct capture_stats *cs = capture_get_stats(cap);
		char key[32];

		put(o, "frames", cs->frames);
		for (int v = 1; v < PKT_VERDICT_MAX; v++)
			if (cs->link[v])
				put(o, link_verdict_key(v, key, sizeof(key)), cs->link[v]);
		if (cs->user_filter)
			put(o, "bpf_filter_dropped", cs->filtered);
	}
	put(o, "packets", s->packets);
	put(o, "bytes", s->bytes);
	put(o, "captured_short", s->captured_short);
	for (int v = 1; v < PKT_VERDICT_MAX; v++)
		if (s->parse[v])
			put(o, packet_verdict_str(v), s->parse[v]);
	put(o, "bad_ip_checksum_kept", s->bad_csum_kept);
	put(o, "not_listen_port", s->not_listen);
	put(o, "synacks", s->synacks);
	put(o, "synacks_forged", s->synacks_forged);
	put(o, "quic_server_forged", s->quic_server_forged);
	put(o, "excluded_source", s->excluded);
	put(o, "not_local", s->not_local);
	return o;
}

static struct json_object *hello_fields(const struct pipeline_stats *s, const struct flow_stats *f,
					const struct record_stats *r, const struct fp_hash_stats *h)
{
	struct json_object *o = json_object_new_object();

	put(o, "complete", f->hellos);
	put(o, "handshake_validated", f->validated);
	put(o, "handshake_unvalidated", f->unvalidated);
	for (int v = 0; v < HELLO_VERDICT_MAX; v++)
		if (v != HELLO_NEED_MORE && (v == HELLO_OK || s->hello_verdict[v]))
			put(o, hello_verdict_str(v), s->hello_verdict[v]);
	put(o, "fingerprint_errors", s->fp_errors);
	put(o, "digests_computed", h->computed);
	put(o, "digests_reused", h->reused);
	put(o, "records", s->records);
	put(o, "raw_dropped", r->raw_dropped);
	put(o, "names_cut", r->names_cut);
	put(o, "record_errors", r->errors);
	return o;
}

/* Every counter as a tree: {packets:{}, kernel:{}, flows:{}, hellos:{},
 * outputs:{NAME:{}}}. */
static struct json_object *stats_tree(const struct pipeline *p, const struct capture *cap,
				      struct output *const *outs, uint32_t n_outs, bool zeros)
{
	const struct pipeline_stats *s = pipeline_get_stats(p);
	const struct flow_stats *f = pipeline_flow_stats(p);
	struct json_object *fields = json_object_new_object();
	struct json_object *jo = json_object_new_object();

	skip_zeros = !zeros;

	json_object_object_add(fields, "packets", packet_fields(s, cap));
	ipfrag_fields(json_object_object_get(fields, "packets"), pipeline_ipfrag_stats(p),
		      pipeline_ipfrag_count(p));
	if (cap && capture_get_mode(cap) != CAPTURE_FILE) {
		struct json_object *k = json_object_new_object();

		capture_stats_json((struct capture *)cap, k);
		if (skip_zeros) { /* the backends' own counters, filtered the same way */
			struct json_object *nz = json_object_new_object();

			json_object_object_foreach(k, key,
						   v) if (!json_object_is_type(v, json_type_int) ||
							  json_object_get_int64(v))
				json_object_object_add(nz, key, json_object_get(v));
			json_object_put(k);
			k = nz;
		}
		json_object_object_add(fields, "kernel", k);
	}
	json_object_object_add(fields, "flows", flow_fields(f, pipeline_flow_count(p)));
	json_object_object_add(fields, "hellos",
			       hello_fields(s, f, pipeline_record_stats(p),
					    pipeline_hash_stats(p)));
	if (pipeline_quic_stats(p))
		json_object_object_add(fields, "quic",
				       quic_fields(pipeline_quic_stats(p), pipeline_quic_count(p),
						   pipeline_quic_hold_stats(p),
						   pipeline_quic_hold_count(p)));
	else /* a counter of the packets group: a group is an object, always */
		put(json_object_object_get(fields, "packets"), "udp_ignored", s->udp_ignored);
	for (uint32_t i = 0; i < n_outs; i++) {
		const struct output_stats *os = output_get_stats(outs[i]);
		struct json_object *oo = json_object_new_object();

		put(oo, "sent", os->sent);
		put(oo, "queued", output_queued(outs[i]));
		put(oo, "dropped", os->dropped);
		put(oo, "failures", os->failures);
		put(oo, "reconnects", os->reconnects);
		put(oo, "torn", os->torn);
		json_object_object_add(jo, output_name(outs[i]), oo);
	}
	json_object_object_add(fields, "outputs", jo);
	skip_zeros = false;
	return fields;
}

void stats_log(const struct pipeline *p, const struct capture *cap, struct output *const *outs,
	       uint32_t n_outs, bool final)
{
	log_write(LOG_INFO, "stats", stats_tree(p, cap, outs, n_outs, final),
		  final ? "final stats" : "stats");
}

void stats_log_all(const struct pipeline *p, const struct capture *cap, struct output *const *outs,
		   uint32_t n_outs, const char *why)
{
	log_write(LOG_INFO, "stats", stats_tree(p, cap, outs, n_outs, true), "counters (%s)", why);
}

/* ---- Prometheus text file (node_exporter's textfile collector) ---- */

static struct stats_live live = { .period_sec = DEF_METRICS_PERIOD_SEC };
static uint64_t next_metrics, next_status, last_status_ns, last_status_hellos;
static bool metrics_failing;
static time_t start_time;

void stats_setup(const struct stats_live *l)
{
	live = *l;
	start_time = time(NULL);
	next_metrics = next_status = last_status_ns = last_status_hellos = 0;
	metrics_failing = false;
}

/* What a counter means, by its place in the stats line. Counters not
 * listed (verdicts, kernel counters) get a help naming their place. */
static const struct {
	const char *key, *help;
} helps[] = {
	{ "packets.frames", "Frames read from the capture source." },
	{ "packets.packets", "IP packets handed to the parser." },
	{ "packets.bytes", "Bytes of the IP packets handed to the parser." },
	{ "packets.captured_short", "Packets cut short by the capture length." },
	{ "packets.not_listen_port", "TCP packets to none of the listen ports." },
	{ "packets.synacks", "SYN-ACKs of the server seen." },
	{ "packets.synacks_forged",
	  "SYN-ACKs ignored live: in IP fragments, in tunnels, or (pcap) behind IPv6 "
	  "extension headers." },
	{ "packets.quic_server_forged",
	  "Server QUIC datagrams ignored live while Initials are kept, as SYN-ACKs are: in IP "
	  "fragments, in tunnels, or (pcap) behind IPv6 extension headers." },
	{ "packets.excluded_source", "Packets from core.exclude_source_ips." },
	{ "packets.not_local", "Packets to none of the local IPs." },
	{ "packets.bad_ip_checksum", "IPv4 packets dropped: header checksum wrong." },
	{ "packets.bad_ip_checksum_kept",
	  "Packets of a capture file used despite a wrong IPv4 header checksum (offload)." },
	{ "packets.ipfrag_active", "IP datagrams being reassembled now." },
	{ "packets.ipfrag_fragments", "IP fragments handed to the reassembly." },
	{ "packets.ipfrag_reassembled", "IP datagrams rebuilt from fragments." },
	{ "flows.created", "Flows (TCP connections) tracked." },
	{ "flows.syns", "Client SYNs seen." },
	{ "flows.timeouts", "Flows that expired before a complete ClientHello." },
	{ "flows.not_tls", "Flows whose first bytes were not TLS." },
	{ "flows.nomem", "Flows or segments refused for lack of memory." },
	{ "flows.evicted_waiting", "Flows evicted from a full table before their hello." },
	{ "hellos.complete", "Complete ClientHellos reassembled." },
	{ "hellos.handshake_validated", "Hellos on a connection whose handshake was seen." },
	{ "hellos.handshake_unvalidated", "Hellos without the handshake seen first." },
	{ "hellos.records", "Records handed to the outputs." },
	{ "hellos.fingerprint_errors", "Hellos whose fingerprint could not be computed." },
	{ "hellos.digests_computed", "SHA-256 and MD5 digests computed for fingerprints." },
	{ "hellos.digests_reused",
	  "Digests of strings hashed before, taken from the memo instead of computed." },
	{ "hellos.record_errors", "Records that could not be written as JSON." },
	{ "kernel.ringbuf_full", "Events lost: the BPF ring buffer was full." },
	{ "kernel.kernel_dropped", "Packets dropped by the kernel: capture buffer full." },
	{ "output.sent", "Records delivered by an output." },
	{ "output.dropped", "Records an output lost: queue full or undeliverable." },
	{ "output.failures", "Failed delivery attempts of an output." },
	{ "output.reconnects", "Reconnections of an output." },
	{ "output.torn", "Lines of a file output a failed write cut short before a reopen." },
};

static const char *help_of(const char *key)
{
	for (size_t i = 0; i < sizeof(helps) / sizeof(helps[0]); i++)
		if (!strcmp(helps[i].key, key))
			return helps[i].help;
	return NULL;
}

/* Metric names are [a-zA-Z_:][a-zA-Z0-9_:]*: anything else becomes '_'. */
static void metric_name(char *out, size_t len, const char *group, const char *key,
			const char *suffix)
{
	size_t g = strlen(group);
	int n;

	/* kernel.kernel_dropped: ja4sentinel_kernel_dropped_total */
	if (!strncmp(key, group, g) && key[g] == '_')
		key += g + 1;
	n = snprintf(out, len, "ja4sentinel_%s_%s%s", group, key, suffix);

	for (char *c = out; n > 0 && *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_' || *c == ':'))
			*c = '_';
}

/* A label value: backslash, double quote and newline escaped. */
static void put_label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

/* Gauges: levels that go down as well as up. Everything else counts. */
static bool is_gauge(const char *group, const char *key)
{
	return (!strcmp(group, "flows") && !strcmp(key, "active")) ||
	       (!strcmp(group, "packets") && !strcmp(key, "ipfrag_active")) ||
	       (!strcmp(group, "quic") && !strcmp(key, "quic_active")) ||
	       (!strcmp(group, "output") && !strcmp(key, "queued"));
}

static void write_metric(FILE *f, const char *group, const char *key, int64_t v)
{
	bool gauge = is_gauge(group, key);
	char name[160], where[96];
	const char *help;

	metric_name(name, sizeof(name), group, key, gauge ? "" : "_total");
	snprintf(where, sizeof(where), "%s.%s", group, key);
	help = help_of(where);
	if (!help && gauge)
		help = !strcmp(group, "flows")  ? "Flows tracked now."
		       : !strcmp(group, "quic") ? "QUIC connections tracked now."
						: "Records queued now.";
	if (help)
		fprintf(f, "# HELP %s %s\n", name, help);
	else
		fprintf(f, "# HELP %s Counter %s of the stats log line (docs/operations.md).\n",
			name, where);
	fprintf(f, "# TYPE %s %s\n", name, gauge ? "gauge" : "counter");
	fprintf(f, "%s %lld\n", name, (long long)v);
}

static void write_group(FILE *f, const char *group, struct json_object *o)
{
	json_object_object_foreach(o, k, v) if (json_object_is_type(v, json_type_int))
		write_metric(f, group, k, json_object_get_int64(v));
}

/* The outputs' counters, one metric per counter with an output label. */
static void write_outputs(FILE *f, struct json_object *outs)
{
	static const char *const keys[] = { "sent",     "queued",     "dropped",
					    "failures", "reconnects", "torn" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		bool gauge = is_gauge("output", keys[i]);
		char name[96], where[64];
		const char *help;

		metric_name(name, sizeof(name), "output", keys[i], gauge ? "" : "_total");
		snprintf(where, sizeof(where), "output.%s", keys[i]);
		help = help_of(where);
		fprintf(f, "# HELP %s %s\n", name, help ? help : "Records queued now.");
		fprintf(f, "# TYPE %s %s\n", name, gauge ? "gauge" : "counter");
		json_object_object_foreach(outs, oname, ov)
		{
			struct json_object *x;

			if (!json_object_object_get_ex(ov, keys[i], &x))
				continue;
			fprintf(f, "%s{output=\"", name);
			put_label(f, oname);
			fprintf(f, "\"} %lld\n", (long long)json_object_get_int64(x));
		}
	}
}

int stats_write_prometheus(FILE *f, const struct pipeline *p, const struct capture *cap,
			   struct output *const *outs, uint32_t n_outs)
{
	struct json_object *t = stats_tree(p, cap, outs, n_outs, true);
	const char *mode = cap ? capture_mode_name(capture_get_mode(cap)) : "?";

	fprintf(f, "# HELP ja4sentinel_info The running ja4sentinel: version, capture mode, "
		   "interfaces.\n# TYPE ja4sentinel_info gauge\nja4sentinel_info{version=\"");
	put_label(f, J4S_VERSION);
	fprintf(f, "\",mode=\"");
	put_label(f, mode);
	fprintf(f, "\",interfaces=\"");
	put_label(f, live.ifaces ? live.ifaces : "");
	fprintf(f, "\"} 1\n");
	fprintf(f,
		"# HELP ja4sentinel_start_time_seconds Start time of the process, seconds "
		"since the epoch.\n# TYPE ja4sentinel_start_time_seconds gauge\n"
		"ja4sentinel_start_time_seconds %lld\n",
		(long long)start_time);
	json_object_object_foreach(t, group, o)
	{
		if (!strcmp(group, "outputs"))
			write_outputs(f, o);
		else
			write_group(f, group, o);
	}
	json_object_put(t);
	return ferror(f) ? -EIO : 0;
}

/*
 * Atomically: a temporary file beside the target (same directory, same
 * filesystem; its name does not end in .prom, so the collector never reads
 * it half written), then rename over the target. O_NOFOLLOW|O_EXCL: a link
 * planted at the temporary name in a shared directory is not followed. No
 * fsync: a reader needs the rename's atomicity, not durability, and the
 * capture loop must not wait on the disk every period.
 */
static int write_textfile(const struct pipeline *p, const struct capture *cap,
			  struct output *const *outs, uint32_t n_outs)
{
	char tmp[512];
	const char *slash = strrchr(live.textfile, '/');
	int fd, err = 0;
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%.*s.%s.tmp", (int)(slash ? slash - live.textfile + 1 : 0),
		 live.textfile, slash ? slash + 1 : live.textfile);
	unlink(tmp); /* ours, left by a crash */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	/* Counters only, for node_exporter's own user: readable whatever
	 * the umask (the unit's UMask=0027 would make it 0640 root:root). */
	if (fchmod(fd, 0644))
		log_warn("stats", "%s: chmod: %s", tmp, strerror(errno));
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto fail;
	}
	err = stats_write_prometheus(f, p, cap, outs, n_outs);
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, live.textfile))
		err = -errno;
	if (!err)
		return 0;
fail:
	unlink(tmp);
	return err;
}

static void update_textfile(const struct pipeline *p, const struct capture *cap,
			    struct output *const *outs, uint32_t n_outs)
{
	int r = write_textfile(p, cap, outs, n_outs);

	/* One line when it starts failing and one when it recovers: the period
	 * may be a second. */
	if (r && !metrics_failing)
		log_warn("stats", "%s: cannot write the metrics file: %s (retried every %u s)",
			 live.textfile, strerror(-r), live.period_sec);
	else if (!r && metrics_failing)
		log_info("stats", "%s: metrics file written again", live.textfile);
	metrics_failing = r != 0;
}

/* STATUS= for systemctl status: mode, interfaces, the hello rate since the
 * last update, records, losses (kernel and outputs). */
static void update_status(const struct pipeline *p, const struct capture *cap,
			  struct output *const *outs, uint32_t n_outs, uint64_t now)
{
	uint64_t hellos = pipeline_get_stats(p)->records,
		 lost = cap ? capture_lost((struct capture *)cap) : 0;
	double rate = 0;
	char msg[512];

	for (uint32_t i = 0; i < n_outs; i++)
		lost += output_get_stats(outs[i])->dropped;
	if (last_status_ns && now > last_status_ns)
		rate = (double)(hellos - last_status_hellos) * 1e9 / (double)(now - last_status_ns);
	last_status_ns = now;
	last_status_hellos = hellos;
	snprintf(msg, sizeof(msg), "STATUS=%s on %s: %.1f hellos/s, %llu records, %llu lost",
		 cap ? capture_mode_name(capture_get_mode(cap)) : "?",
		 live.ifaces ? live.ifaces : "?", rate, (unsigned long long)hellos,
		 (unsigned long long)lost);
	notify_send(msg);
}

void stats_tick(const struct pipeline *p, const struct capture *cap, struct output *const *outs,
		uint32_t n_outs, uint64_t now)
{
	if (now >= next_status) {
		update_status(p, cap, outs, n_outs, now);
		next_status = now + STATS_STATUS_SEC * 1000000000ULL;
	}
	if (live.textfile && *live.textfile && now >= next_metrics) {
		update_textfile(p, cap, outs, n_outs);
		next_metrics = now + (uint64_t)live.period_sec * 1000000000ULL;
	}
}

uint64_t stats_next_deadline(void)
{
	uint64_t d = next_status;

	if (live.textfile && *live.textfile && next_metrics < d)
		d = next_metrics;
	return d;
}

void stats_stop(void)
{
	/* The text file would go on saying the daemon runs: a stopped daemon's
	 * metrics disappear with it (the scrape then shows no series). */
	if (live.textfile && *live.textfile && unlink(live.textfile) && errno != ENOENT)
		log_warn("stats", "%s: cannot remove the metrics file: %s", live.textfile,
			 strerror(errno));
}
