// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The stats line: every stage's counters, by name, in one log line, so an
 * operator sees where packets, flows and hellos went.
 */
#include <json-c/json.h>
#include "capture.h"
#include "log.h"
#include "output.h"
#include "pipeline.h"
#include "quic.h"
#include "stats.h"

static void put(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

static struct json_object *flow_fields(const struct flow_stats *f, uint32_t active)
{
	struct json_object *o = json_object_new_object();

	put(o, "active", active);
	put(o, "created", f->created);
	put(o, "syns", f->syns);
	put(o, "syn_retransmits", f->syn_retransmits);
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
	put(o, "synack_mismatch", f->synack_mismatch);
	put(o, "synack_no_flow", f->synack_no_flow);
	put(o, "unvalidated_limited", f->unvalidated_limited);
	return o;
}

/* QUIC (design.md §6): names prefixed quic_ so a grep finds them all. */
static struct json_object *quic_fields(const struct quic_stats *q, uint32_t active)
{
	struct json_object *o = json_object_new_object();

	put(o, "quic_active", active);
	put(o, "quic_datagrams", q->datagrams);
	put(o, "quic_not_quic", q->not_quic);
	put(o, "quic_short_header", q->short_header);
	put(o, "quic_unknown_version", q->unknown_version);
	put(o, "quic_malformed", q->malformed);
	put(o, "quic_other_long", q->other_long);
	put(o, "quic_initials", q->initials);
	put(o, "quic_decrypt_failed", q->decrypt_failed);
	put(o, "quic_decrypted", q->decrypted);
	put(o, "quic_frames_bad", q->frames_bad);
	put(o, "quic_crypto_frames", q->crypto_frames);
	put(o, "quic_crypto_dup", q->crypto_dup);
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
	put(o, "quic_timeouts", q->timeouts);
	put(o, "quic_limited", q->limited);
	return o;
}

static struct json_object *packet_fields(const struct pipeline_stats *s, const struct capture *cap)
{
	struct json_object *o = json_object_new_object();

	if (cap) {
		const struct capture_stats *cs = capture_get_stats(cap);

		put(o, "frames", cs->frames);
		for (int v = 1; v < PKT_VERDICT_MAX; v++)
			if (cs->link[v])
				put(o, packet_verdict_str(v), cs->link[v]);
	}
	put(o, "packets", s->packets);
	put(o, "bytes", s->bytes);
	put(o, "captured_short", s->captured_short);
	for (int v = 1; v < PKT_VERDICT_MAX; v++)
		if (s->parse[v])
			put(o, packet_verdict_str(v), s->parse[v]);
	put(o, "not_listen_port", s->not_listen);
	put(o, "synacks", s->synacks);
	put(o, "excluded_source", s->excluded);
	put(o, "not_local", s->not_local);
	return o;
}

static struct json_object *hello_fields(const struct pipeline_stats *s, const struct flow_stats *f,
					const struct record_stats *r)
{
	struct json_object *o = json_object_new_object();

	put(o, "complete", f->hellos);
	put(o, "handshake_validated", f->validated);
	put(o, "handshake_unvalidated", f->unvalidated);
	for (int v = 0; v < HELLO_VERDICT_MAX; v++)
		if (v != HELLO_NEED_MORE && (v == HELLO_OK || s->hello_verdict[v]))
			put(o, hello_verdict_str(v), s->hello_verdict[v]);
	put(o, "fingerprint_errors", s->fp_errors);
	put(o, "records", s->records);
	put(o, "raw_dropped", r->raw_dropped);
	put(o, "names_cut", r->names_cut);
	put(o, "record_errors", r->errors);
	return o;
}

void stats_log(const struct pipeline *p, const struct capture *cap, struct output *const *outs,
	       uint32_t n_outs, bool final)
{
	const struct pipeline_stats *s = pipeline_get_stats(p);
	const struct flow_stats *f = pipeline_flow_stats(p);
	struct json_object *fields = json_object_new_object();
	struct json_object *jo = json_object_new_object();

	json_object_object_add(fields, "packets", packet_fields(s, cap));
	if (cap && capture_get_mode(cap) != CAPTURE_FILE) {
		struct json_object *k = json_object_new_object();

		capture_stats_json((struct capture *)cap, k);
		json_object_object_add(fields, "kernel", k);
	}
	json_object_object_add(fields, "flows", flow_fields(f, pipeline_flow_count(p)));
	json_object_object_add(fields, "hellos", hello_fields(s, f, pipeline_record_stats(p)));
	if (pipeline_quic_stats(p))
		json_object_object_add(fields, "quic",
				       quic_fields(pipeline_quic_stats(p), pipeline_quic_count(p)));
	else
		put(fields, "udp_ignored", s->udp_ignored);
	for (uint32_t i = 0; i < n_outs; i++) {
		const struct output_stats *os = output_get_stats(outs[i]);
		struct json_object *oo = json_object_new_object();

		put(oo, "sent", os->sent);
		put(oo, "queued", output_queued(outs[i]));
		put(oo, "dropped", os->dropped);
		put(oo, "failures", os->failures);
		put(oo, "reconnects", os->reconnects);
		json_object_object_add(jo, output_name(outs[i]), oo);
	}
	json_object_object_add(fields, "outputs", jo);
	log_write(LOG_INFO, "stats", fields, final ? "final stats" : "stats");
}
