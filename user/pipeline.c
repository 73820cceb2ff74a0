// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The pipeline every capture mode feeds: parse, keep to client-to-server
 * packets of the listen ports (and the server's SYN-ACKs from them), flow and reassembly,
 * ClientHello parse, fingerprints, record, outputs. One instance, one thread; time is the packet's.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "config.h"
#include "ipfrag.h"
#include "output.h"
#include "pipeline.h"
#include "quic.h"
#include "quic_hold.h"
#include "siphash.h"

#define NSEC_PER_SEC 1000000000ULL

/* Sources of a capture file's packets that carried right IPv4 header
 * checksums (file_csum()): open addressing, SUM_SEEN_SLOTS slots, filled
 * to three quarters at most (past that, new sources are not added: their
 * bad sums are kept, as before any was known). Allocated at the first
 * packet of a file, 1.1 MiB; live capture never has one. */
#define SUM_SEEN_SLOTS (1u << 16)
struct sum_src {
	uint8_t family; /* 0: empty slot */
	uint8_t addr[16];
};

struct pipeline {
	struct pipeline_stats st;
	struct sum_src *sum_seen;
	uint32_t n_sum_seen;
	uint64_t sum_k0, sum_k1;
	struct sum_src sum_last; /* the last source found or added */
	struct record_stats rst;
	struct flow_table *flows;
	struct quic_table *quic; /* NULL when core.quic is off */
	/* With quic: Initials kept until their client proves its address,
	 * and the real_minus_mono of the datagram whose proof replays them
	 * (quic_replay()). */
	struct quic_hold *qhold;
	uint64_t replay_rmm;
	struct ipfrag_table *frags;
	struct fp_hash *hash;
	struct output **outs;
	uint32_t n_outs;
	bool all_ports;
	bool raw;
	/* Live with the generated filter: SYN-ACKs only as the server sends
	 * them (pipeline_packet()). pcap: its filter took them leaving the
	 * host, but those behind IPv6 extension headers, which its clauses
	 * for such packets let in either way. */
	bool synack_strict;
	bool synack_strict_ext;
	bool ja4t;            /* fingerprints.ja4t */
	uint64_t last_expire; /* ageing time (packet.mono_ns) of the last expiry pass */
	const char *sensor_id;
	const struct cidr *local; /* core.local_ips (config's memory) */
	uint32_t n_local;
	bool local_auto;            /* the host's addresses: filter even when there are none */
	const struct cidr *exclude; /* core.exclude_source_ips */
	uint32_t n_exclude;
	uint8_t ports[65536 / 8]; /* listen port bitmap */
	struct hello_info hello;
	char ja3[FP_JA3_MAX];
	char record[RECORD_MAX_BYTES + 1];
	char *ja4_r, *ja4_ro; /* FP_JA4_RAW_MAX each when raw */
};

struct pipeline *pipeline_new(const struct config *cfg, bool all_ports, bool limit_unvalidated,
			      struct output **outs, uint32_t n_outs)
{
	struct flow_config fc = {
		.max_flows = cfg->max_tracked_flows,
		.timeout_ns = (uint64_t)cfg->flow_timeout_sec * NSEC_PER_SEC,
		.limits = { .max_bytes = REASM_MAX_BYTES,
			    .max_segments = (uint16_t)cfg->max_hello_segments },
		.max_buffered = REASM_BUDGET_BYTES,
		.limit_unvalidated = limit_unvalidated,
		.unvalidated_rate = cfg->unvalidated_rate,
		.unvalidated_burst = cfg->unvalidated_burst,
	};
	struct ipfrag_config ipfc = {
		.max_datagrams = IPFRAG_MAX_DATAGRAMS,
		.max_bytes = IPFRAG_MAX_BYTES,
		.timeout_v4_ns = IPFRAG_TIMEOUT_V4_NS,
		.timeout_v6_ns = IPFRAG_TIMEOUT_V6_NS,
	};
	uint8_t seed[16];
	struct pipeline *p;

	if (getrandom(seed, sizeof(seed), 0) != sizeof(seed))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->flows = flow_table_new(&fc, seed);
	seed[1] ^= 0x1f; /* the fragment table's own hash key */
	p->frags = ipfrag_new(&ipfc, seed);
	seed[1] ^= 0x1f;
	memcpy(&p->sum_k0, seed, 8);
	memcpy(&p->sum_k1, seed + 8, 8);
	p->sum_k0 ^= 0x5c5c5c5c5c5c5c5cULL; /* its own hash key */
	if (cfg->quic) {
		struct quic_config qc = {
			.max_conns = cfg->max_tracked_flows,
			.timeout_ns = fc.timeout_ns,
			.max_bytes = REASM_MAX_BYTES,
			.max_segments = (uint16_t)cfg->max_hello_segments,
			.limit_new = limit_unvalidated,
			.new_rate = cfg->unvalidated_rate,
			.new_burst = cfg->unvalidated_burst,
		};

		seed[0] ^= 0x51; /* its own hash key */
		p->quic = quic_table_new(&qc, seed);
		p->qhold = quic_hold_new(fc.timeout_ns, seed);
	}
	p->synack_strict = !cfg->bpf_filter || !cfg->bpf_filter[0];
	p->synack_strict_ext = p->synack_strict && limit_unvalidated;
	p->hash = fp_hash_new();
	if (cfg->fp_raw) {
		p->ja4_r = malloc(FP_JA4_RAW_MAX);
		p->ja4_ro = malloc(FP_JA4_RAW_MAX);
	}
	if (!p->flows || !p->frags || !p->hash || (cfg->quic && (!p->quic || !p->qhold)) ||
	    (cfg->fp_raw && (!p->ja4_r || !p->ja4_ro))) {
		pipeline_free(p);
		errno = ENOMEM;
		return NULL;
	}
	p->all_ports = all_ports;
	p->raw = cfg->fp_raw;
	p->ja4t = cfg->fp_ja4t;
	p->sensor_id = cfg->sensor_id;
	p->local = cfg->local_ips;
	p->n_local = cfg->n_local_ips;
	p->local_auto = cfg->local_auto;
	p->exclude = cfg->exclude;
	p->n_exclude = cfg->n_exclude;
	p->outs = outs;
	p->n_outs = n_outs;
	for (uint32_t i = 0; i < cfg->n_ports; i++)
		p->ports[cfg->ports[i] / 8] |= (uint8_t)(1u << (cfg->ports[i] % 8));
	return p;
}

void pipeline_free(struct pipeline *p)
{
	if (!p)
		return;
	flow_table_free(p->flows);
	ipfrag_free(p->frags);
	free(p->sum_seen);
	quic_table_free(p->quic);
	quic_hold_free(p->qhold);
	fp_hash_free(p->hash);
	free(p->ja4_r);
	free(p->ja4_ro);
	free(p);
}

void pipeline_set_local(struct pipeline *p, const struct cidr *list, uint32_t n)
{
	p->local = list;
	p->n_local = n;
	p->local_auto = true;
}

static bool is_listen_port(const struct pipeline *p, uint16_t port)
{
	return p->all_ports || (p->ports[port / 8] & (1u << (port % 8)));
}

static bool cidr_match(const struct cidr *c, uint8_t family, const uint8_t *addr)
{
	uint32_t full = c->prefix / 8, rest = c->prefix % 8;

	if (c->family != family || memcmp(c->addr, addr, full))
		return false;
	return !rest || !((c->addr[full] ^ addr[full]) & (0xff00 >> rest));
}

static bool in_list(const struct cidr *list, uint32_t n, uint8_t family, const uint8_t *addr)
{
	for (uint32_t i = 0; i < n; i++)
		if (cidr_match(&list[i], family, addr))
			return true;
	return false;
}

/* The same address filters as the kernel program and the pcap filter, so
 * every mode (and --read) gives the same records. */
static bool address_wanted(struct pipeline *p, const struct pkt_info *pi)
{
	if (p->n_exclude && in_list(p->exclude, p->n_exclude, pi->family, pi->src)) {
		p->st.excluded++;
		return false;
	}
	if ((p->n_local || p->local_auto) && !in_list(p->local, p->n_local, pi->family, pi->dst)) {
		p->st.not_local++;
		return false;
	}
	return true;
}

/* address_wanted() for a server-to-client packet. */
static bool synack_wanted(struct pipeline *p, const struct pkt_info *pi)
{
	if (p->n_exclude && in_list(p->exclude, p->n_exclude, pi->family, pi->dst)) {
		p->st.excluded++;
		return false;
	}
	if ((p->n_local || p->local_auto) && !in_list(p->local, p->n_local, pi->family, pi->src)) {
		p->st.not_local++;
		return false;
	}
	return true;
}

static void emit(struct pipeline *p, const char *rec, size_t len)
{
	for (uint32_t i = 0; i < p->n_outs; i++)
		output_write(p->outs[i], rec, len);
	p->st.records++;
}

/* A complete ClientHello of flow f: fingerprint it and send the record.
 * real_minus_mono dates it (record.h); quic_version: 0 for TCP, else the
 * QUIC version it came in. */
static void fingerprint(struct pipeline *p, const struct flow_hello *fh, uint64_t real_minus_mono,
			uint32_t quic_version)
{
	enum hello_verdict v = hello_parse(fh->msg, fh->msg_len, &p->hello);
	struct fp_ja4 ja4 = { .ja4_r = p->ja4_r, .ja4_ro = p->ja4_ro, .skip_original = !p->raw };
	char ja3_hash[33], ja4t[FP_JA4T_MAX];
	const struct flow_meta *m = &fh->flow->meta;
	struct record_input in = {
		.flow = fh->flow,
		.hello = &p->hello,
		.ja4 = &ja4,
		.ja3 = p->ja3,
		.ja3_hash = ja3_hash,
		.sensor_id = p->sensor_id,
		.raw = p->raw,
		.real_minus_mono = real_minus_mono,
		.quic_version = quic_version,
	};
	int len;

	p->st.hello_verdict[v]++;
	if (v != HELLO_OK)
		return;
	/* JA4T is the SYN's: a flow picked up without one (and QUIC) has none. */
	if (p->ja4t && fh->flow->has_syn) {
		fp_ja4t(m->window, m->opts, m->opt_len, ja4t);
		in.ja4t = ja4t;
	}
	if (fp_ja4(p->hash, &p->hello, quic_version ? 'q' : 't', &ja4) ||
	    fp_ja3(p->hash, &p->hello, p->ja3, ja3_hash) < 0) {
		p->st.fp_errors++;
		return;
	}
	len = record_format(&in, p->record, sizeof(p->record), &p->rst);
	if (len > 0)
		emit(p, p->record, (size_t)len);
}

/* Expired flows at once above which freed buffers go back to the system. */
#define PIPELINE_TRIM_AFTER 1000

void pipeline_tick(struct pipeline *p, uint64_t now)
{
	/* After a wave of abandoned connections (an attack, a scan) hand the
	 * reassembly memory back, so RSS returns to its baseline. */
	uint32_t n = flow_table_expire(p->flows, now);

	if (p->quic) {
		n += quic_table_expire(p->quic, now);
		n += quic_hold_expire(p->qhold, now);
	}
	n += ipfrag_expire(p->frags, now);
	if (n >= PIPELINE_TRIM_AFTER)
		malloc_trim(0);
	p->last_expire = now;
}

/* A client datagram read with quic_process() flags; one the table refused
 * for want of a token is kept until its client proves its address. */
static void quic_read(struct pipeline *p, const struct pkt_info *pi, uint64_t now,
		      uint64_t real_minus_mono, unsigned int flags)
{
	struct quic_hello qh;
	struct flow_hello fh;

	if (!quic_process(p->quic, pi, now, flags, &qh)) {
		if (quic_table_limited(p->quic))
			quic_hold_add(p->qhold, pi, now);
		return;
	}
	fh.flow = &qh.conn->fl;
	fh.msg = qh.msg;
	fh.msg_len = qh.msg_len;
	fingerprint(p, &fh, real_minus_mono, qh.conn->version);
	quic_table_finish(p->quic, qh.conn, now);
}

/* A kept datagram whose client proved its address (quic_hold_proof()). */
static void quic_replay(void *arg, const struct pkt_info *pi, uint64_t now)
{
	struct pipeline *p = arg;

	quic_read(p, pi, now, p->replay_rmm, QUIC_KEPT | QUIC_PROVEN);
}

/* Whether the server's Initial srv answers a client of first DCID dcid. */
static bool quic_answers(void *arg, const uint8_t *srv, uint32_t len, const uint8_t *dcid,
			 uint8_t dcid_len)
{
	struct pipeline *p = arg;

	return quic_table_answers(p->quic, srv, len, dcid, dcid_len);
}

/* A UDP datagram to a listen port: QUIC client Initials (design.md §6).
 * now: the ageing clock (packet.mono_ns), as for TCP flows. held: the
 * kernel's bucket had no token for it (J4S_EV_UDP_HELD). A datagram that
 * names the server's connection ID of its 4-tuple first has the 4-tuple's
 * kept datagrams read, and is then read as theirs (include/quic_hold.h). */
static void quic_packet(struct pipeline *p, const struct pkt_info *pi, uint64_t now,
			uint64_t real_minus_mono, bool held)
{
	unsigned int flags = held ? QUIC_HELD : 0;

	if (!p->quic) {
		p->st.udp_ignored++;
		return;
	}
	p->replay_rmm = real_minus_mono;
	if (quic_hold_proof(p->qhold, pi, quic_answers, quic_replay, p))
		flags = QUIC_KEPT;
	quic_read(p, pi, now, real_minus_mono, flags);
}

/* Whether pi's source is among the file's sources with right sums; add
 * it when add. */
static bool sum_seen(struct pipeline *p, const struct pkt_info *pi, bool add)
{
	struct sum_src k = { .family = pi->family };
	uint32_t i;

	memcpy(k.addr, pi->src, 16);
	if (!memcmp(&k, &p->sum_last, sizeof(k)))
		return true;
	if (!p->sum_seen) {
		if (!add || !(p->sum_seen = calloc(SUM_SEEN_SLOTS, sizeof(*p->sum_seen))))
			return false;
	}
	i = (uint32_t)siphash13(p->sum_k0, p->sum_k1, &k, sizeof(k)) & (SUM_SEEN_SLOTS - 1);
	for (; p->sum_seen[i].family; i = (i + 1) & (SUM_SEEN_SLOTS - 1)) {
		if (!memcmp(&p->sum_seen[i], &k, sizeof(k))) {
			p->sum_last = k;
			return true;
		}
	}
	if (!add || p->n_sum_seen >= SUM_SEEN_SLOTS / 4 * 3)
		return false;
	p->sum_seen[i] = k;
	p->n_sum_seen++;
	p->sum_last = k;
	return true;
}

/*
 * A capture file's packet (struct packet.from_file), parsed reading on
 * past wrong IPv4 header checksums (pi->bad_csum). The file may have been
 * taken on the sending host, whose NIC fills the sum in after the capture
 * (checksum offload), or rewritten by a tool that left the sum stale: then
 * every packet of that host is wrong, none right. A host whose stack sets
 * its sums sends right ones; a wrong one from a source that has sent a
 * right one before was forged or damaged on the way, and the receiver
 * dropped it: so is it here (PKT_BAD_CSUM; a right sum is learnt from a
 * SYN or a UDP datagram). Until then a source's wrong
 * sums are kept and counted (bad_csum_kept). learn: a right sum here is
 * the source's own (not that of a header the defragmenter wrote).
 */
static enum packet_verdict file_csum(struct pipeline *p, enum packet_verdict v,
				     const struct pkt_info *pi, bool learn)
{
	if (v != PKT_OK && v != PKT_FRAGMENT)
		return v;
	if (!pi->bad_csum) {
		/* Learnt from a TCP SYN (an insertion comes after the client's
		 * SYN, whose sum its server checked) or a UDP datagram (QUIC
		 * has no SYN): not from every packet, which cost a hash each. */
		if (learn && v == PKT_OK && /* a fragment has no ports or flags yet */
		    (pi->proto == J4S_IPPROTO_UDP ||
		     (pi->tcp_flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN))
			sum_seen(p, pi, true);
		return v;
	}
	if (sum_seen(p, pi, false))
		return PKT_BAD_CSUM;
	p->st.bad_csum_kept++;
	return v;
}

/* An IP fragment: held until its datagram is whole, as the server's stack
 * holds it (include/ipfrag.h); the whole datagram then goes through the
 * parser as any packet (into *pi, pointing into the fragment table: valid
 * until its next fragment), counted once more by its verdict. PKT_FRAGMENT
 * while it is not whole. Only the outermost IP header is defragmented: a
 * fragment inside a tunnel stays a fragment. */
static enum packet_verdict fragment(struct pipeline *p, const struct packet *pkt,
				    struct pkt_info *pi)
{
	enum packet_verdict v;
	const uint8_t *whole;
	uint32_t len;

	ipfrag_check_csum(p->frags, !pkt->from_file);
	if (ipfrag_add(p->frags, pkt->data, pkt->caplen, pkt->mono_ns, &whole, &len) != IPFRAG_DONE)
		return PKT_FRAGMENT;
	/* The rebuilt header's checksum is the table's own: only the inner
	 * headers of a tunnel can be wrong. */
	v = pkt->from_file ? file_csum(p, packet_parse_file(whole, len, pi), pi, false)
			   : packet_parse(whole, len, pi);
	p->st.parse[v]++;
	return v;
}

/*
 * Whether a packet the server sent (from a listen port: a SYN-ACK, a QUIC
 * Initial) is taken: within the address filters, client and server
 * swapped. *forged: live with the generated filter, it is not, for having
 * come in IP fragments (Linux never fragments a SYN-ACK; a server's
 * Initial fits its path) or inside a tunnel: by a clause that takes no
 * direction (pcap: fragments, IPv6 extension headers, UDP to a listen
 * port) or at the ingress hook (tc, xdp, which send up the server's own
 * from egress only, whole), so forged by a host next to the server, or
 * anywhere for a tunnel. In pcap mode one behind IPv6 extension headers
 * likewise: a server that sends so (sticky IPv6 options, CALIPSO, IOAM or
 * SRv6 inline) has its hellos unvalidated there; tc and xdp take them from
 * egress.
 */
static bool server_packet_taken(struct pipeline *p, const struct packet *pkt,
				const struct pkt_info *pi, bool rebuilt, bool *forged)
{
	*forged = false;
	if ((p->n_exclude || p->n_local || p->local_auto) && !synack_wanted(p, pi))
		return false;
	*forged = !pkt->from_file && p->synack_strict &&
		  (rebuilt || pi->tunnel[0] != PKT_TUN_NONE ||
		   (pi->ext_hdrs && p->synack_strict_ext));
	return !*forged;
}

void pipeline_packet(struct pipeline *p, const struct packet *pkt)
{
	struct flow_hello fh;
	struct pkt_info pi;
	enum packet_verdict v;
	bool rebuilt, forged;

	p->st.packets++;
	p->st.bytes += pkt->caplen;
	/* Cut by the snap length, the event size or XDP's copy limit: a hello
	 * segment cut so cannot complete its hello. */
	if (pkt->caplen < pkt->origlen)
		p->st.captured_short++;
	/* The flow table runs on the ageing clock (packet.mono_ns); wall time
	 * only goes into the record (fingerprint()). */
	if (pkt->mono_ns >= p->last_expire + NSEC_PER_SEC)
		pipeline_tick(p, pkt->mono_ns);
	/* A wrong IPv4 header checksum: the receiver drops the packet
	 * (PKT_BAD_CSUM); a file's sums may not be the receiver's
	 * (file_csum()). */
	v = pkt->from_file ? file_csum(p, packet_parse_file(pkt->data, pkt->caplen, &pi), &pi, true)
			   : packet_parse(pkt->data, pkt->caplen, &pi);
	p->st.parse[v]++;
	rebuilt = v == PKT_FRAGMENT;
	if (rebuilt)
		v = fragment(p, pkt, &pi);
	if (v != PKT_OK)
		return;
	/* The server's SYN-ACK from a listen port: its ISN validates the
	 * client's hello (design.md §13). Client and server swap places in the
	 * address filters. */
	if ((pi.tcp_flags & (TCPF_SYN | TCPF_ACK | TCPF_RST)) == (TCPF_SYN | TCPF_ACK) &&
	    is_listen_port(p, pi.sport)) {
		if (!server_packet_taken(p, pkt, &pi, rebuilt, &forged)) {
			p->st.synacks_forged += forged;
			return;
		}
		p->st.synacks++;
		flow_synack(p->flows, &pi, pkt->mono_ns);
		return;
	}
	if (!is_listen_port(p, pi.dport)) {
		/* The server's QUIC datagrams from a listen port: its Initials
		 * name the connection ID that proves a held client's address
		 * (include/quic_hold.h), under the SYN-ACK's rules. */
		if (pi.proto == J4S_IPPROTO_UDP && p->quic && !quic_hold_empty(p->qhold) &&
		    is_listen_port(p, pi.sport)) {
			if (server_packet_taken(p, pkt, &pi, rebuilt, &forged))
				quic_hold_server(p->qhold, &pi);
			p->st.quic_server_forged += forged;
		}
		p->st.not_listen++;
		return;
	}
	if ((p->n_exclude || p->n_local || p->local_auto) && !address_wanted(p, &pi))
		return;
	if (pi.proto == J4S_IPPROTO_UDP) {
		quic_packet(p, &pi, pkt->mono_ns, pkt->ts_ns - pkt->mono_ns, pkt->quic_held);
		return;
	}
	if (flow_process(p->flows, &pi, pkt->mono_ns, &fh) == FLOW_HELLO) {
		fingerprint(p, &fh, pkt->ts_ns - pkt->mono_ns, 0);
		flow_table_finish(p->flows, fh.flow, pkt->mono_ns);
	}
}

const struct pipeline_stats *pipeline_get_stats(const struct pipeline *p)
{
	return &p->st;
}

const struct flow_stats *pipeline_flow_stats(const struct pipeline *p)
{
	return flow_table_stats(p->flows);
}

const struct record_stats *pipeline_record_stats(const struct pipeline *p)
{
	return &p->rst;
}

const struct fp_hash_stats *pipeline_hash_stats(const struct pipeline *p)
{
	return fp_hash_get_stats(p->hash);
}

const struct quic_stats *pipeline_quic_stats(const struct pipeline *p)
{
	return p->quic ? quic_table_stats(p->quic) : NULL;
}

uint32_t pipeline_quic_count(const struct pipeline *p)
{
	return p->quic ? quic_table_count(p->quic) : 0;
}

const struct ipfrag_stats *pipeline_ipfrag_stats(const struct pipeline *p)
{
	return ipfrag_get_stats(p->frags);
}

uint32_t pipeline_ipfrag_count(const struct pipeline *p)
{
	return ipfrag_count(p->frags);
}

uint32_t pipeline_flow_count(const struct pipeline *p)
{
	return flow_table_count(p->flows);
}

const struct quic_hold_stats *pipeline_quic_hold_stats(const struct pipeline *p)
{
	return quic_hold_stats(p->qhold);
}

uint32_t pipeline_quic_hold_count(const struct pipeline *p)
{
	return quic_hold_count(p->qhold);
}
