/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * abi: what the kernel program and userspace share - the event layout of
 * the ring buffer, the flow state, map keys, the load-time configuration and
 * the stats counters. Fixed-width types only, widest fields first, explicit
 * padding, sizes asserted on both sides (clang -target bpf and cc).
 */
#ifndef J4S_ABI_H
#define J4S_ABI_H

#ifdef __bpf__
/* vmlinux.h already has the __uN types. */
#else
#include <linux/types.h>
#endif

/*
 * Parsing constants. The kernel program and the userspace parser
 * (user/packet.c, user/flow.c) both use these, so a packet the live modes
 * accept is one the offline mode accepts, and the other way round: an
 * attacker cannot craft traffic that one side follows and the other drops.
 */

/* Ethertypes: IPv4, IPv6 and the VLAN tags followed (802.1Q, 802.1ad and
 * the pre-standard QinQ outer tag 0x9100 some switches still send). */
#define J4S_ETH_P_IP     0x0800
#define J4S_ETH_P_IPV6   0x86DD
#define J4S_ETH_P_8021Q  0x8100
#define J4S_ETH_P_8021AD 0x88A8
#define J4S_ETH_P_QINQ   0x9100
#define J4S_ETH_IS_VLAN(p)                                                                         \
	((p) == J4S_ETH_P_8021Q || (p) == J4S_ETH_P_8021AD || (p) == J4S_ETH_P_QINQ)

/* VLAN tags skipped; a frame with one more tag is not ours to guess (not_ip). */
#define J4S_VLAN_MAX 2

#define J4S_IPPROTO_TCP 6
#define J4S_IPPROTO_UDP 17 /* QUIC (design.md §6) */

/* IPv6 extension headers followed to reach TCP: hop-by-hop, routing,
 * fragment (atomic ones only), AH, destination options. A chain longer
 * than J4S_IPV6_EXT_MAX headers is not followed (not_tcp): it bounds the
 * kernel's unrolled loop, and a real packet carries one or two. */
#define J4S_IPV6_HOPOPTS  0
#define J4S_IPV6_ROUTING  43
#define J4S_IPV6_FRAGMENT 44
#define J4S_IPV6_AH       51
#define J4S_IPV6_DSTOPTS  60
#define J4S_IPV6_IS_EXT(nh)                                                                        \
	((nh) == J4S_IPV6_HOPOPTS || (nh) == J4S_IPV6_ROUTING || (nh) == J4S_IPV6_FRAGMENT ||      \
	 (nh) == J4S_IPV6_AH || (nh) == J4S_IPV6_DSTOPTS)
#define J4S_IPV6_EXT_MAX 6

/* Tunnels the userspace parser (user/packet.c) decapsulates, so --read of
 * mirrored or tunnelled traffic finds the hellos inside: IP-in-IP (IPv4 or
 * IPv6 in IPv4 or IPv6), GRE (IP, Ethernet, ERSPAN I/II/III), and the UDP
 * encapsulations VXLAN (4789 and 8472), Geneve, GTP-U and CAPWAP data by destination port
 * (CAPWAP also by source port: the controller sends from it). A packet
 * nested deeper than J4S_TUNNEL_MAX encapsulations is not followed (counted
 * as tunnel_depth): it bounds the work per packet, and real deployments
 * nest one or two (ERSPAN of VXLAN). The kernel program does not
 * decapsulate: live capture attaches to the tunnel device instead
 * (docs/operations.md). */
#define J4S_IPPROTO_IPIP     4  /* IPv4 inside */
#define J4S_IPPROTO_IPV6     41 /* IPv6 inside (SIT, 6in4, ip6ip6) */
#define J4S_IPPROTO_UDP      17
#define J4S_IPPROTO_GRE      47
#define J4S_ETH_P_TEB        0x6558 /* GRE/Geneve: transparent Ethernet bridging */
#define J4S_ETH_P_ERSPAN     0x88BE /* ERSPAN type I (no sequence) and II */
#define J4S_ETH_P_ERSPAN3    0x22EB
#define J4S_PORT_VXLAN       4789
#define J4S_PORT_VXLAN_LINUX 8472 /* Linux's default without dstport; flannel */
#define J4S_PORT_GENEVE      6081
#define J4S_PORT_GTPU        2152
#define J4S_PORT_CAPWAP      5247 /* CAPWAP data channel */
#define J4S_TUNNEL_MAX       4

/* TLS as the kernel judges a flow's first payload bytes: a handshake record
 * (content type 22, major version 3) whose message is a ClientHello. */
#define J4S_TLS_HANDSHAKE    0x16
#define J4S_TLS_MAJOR        0x03
#define J4S_TLS_CLIENT_HELLO 0x01
#define J4S_TLS_RECORD_HDR   5 /* type, version, 16-bit length */
#define J4S_TLS_HS_HDR       4 /* type, 24-bit length */

/* The first n payload bytes at h of a flow whose SYN was missed start a
 * ClientHello: the flow is picked up. */
#define J4S_TLS_LOOKS_LIKE_HELLO(h, n)                                                             \
	((n) > J4S_TLS_RECORD_HDR && (h)[0] == J4S_TLS_HANDSHAKE && (h)[1] == J4S_TLS_MAJOR &&     \
	 (h)[J4S_TLS_RECORD_HDR] == J4S_TLS_CLIENT_HELLO)

/* Largest ClientHello message body (bytes, the 24-bit handshake length) we
 * accept: one maximum-size TLS plaintext record. Real hellos, post-quantum
 * key shares included, stay under 4 KiB. */
#define J4S_HELLO_MAX_BODY 16384

/* Largest TLS record payload at stream start (bytes): 2^14, the limit of a
 * plaintext record (RFC 8446 §5.1, RFC 5246 §6.2.1); a server refuses a
 * larger one (record_overflow), so its hello reaches no TLS stack. The
 * 2048 more of encrypted or compressed records do not apply to a hello. */
#define J4S_TLS_MAX_RECORD 16384

/* Stream bytes of one hello, in the kernel (sent up) and in userspace
 * (buffered): a maximum hello plus its 4-byte handshake header and room
 * for the 5-byte headers of the records it may be split into. */
#define J4S_REASM_MAX_BYTES (J4S_HELLO_MAX_BODY + J4S_TLS_HS_HDR + 2048)

/* Segments of one hello that bring no in-order progress, by default
 * (core.max_hello_segments): see include/defaults.h. */
#define J4S_DEF_MAX_HELLO_SEGMENTS 100

/* Entries of the address maps: j4s_local (core.local_ips, or the host's own
 * addresses when it is empty) and j4s_excl (core.exclude_source_ips). The
 * configuration refuses more, since the kernel could not hold them. */
#define J4S_MAX_LOCAL_IPS 4096
#define J4S_MAX_EXCLUDE   16384

/* Bytes of an event's packet data: the largest hello we reassemble plus
 * IP/TCP headers. Events are written with their real length. */
#define J4S_SNAP_MAX 18688

enum j4s_event_kind {
	J4S_EV_SYN = 1,     /* a SYN: IP + TCP headers */
	J4S_EV_PAYLOAD = 2, /* a client segment while its hello is not yet covered */
	J4S_EV_END = 3,     /* FIN or RST of a waiting flow */
	J4S_EV_SYNACK = 4,  /* the server's SYN-ACK of a waiting flow (egress): IP + TCP headers */
	J4S_EV_UDP = 5,     /* a datagram starting with a client QUIC Initial: IP + UDP + payload */
	J4S_EV_FRAGMENT = 6, /* an IP fragment to a local address: the whole packet */
	/* a J4S_EV_UDP datagram of a new connection the QUIC bucket had no
	 * token for, sent up while the ring is under a quarter full: userspace
	 * keeps it undecrypted until its client proves its address */
	J4S_EV_UDP_HELD = 7,
	/* the server's Initial from a listen port (egress), whole, while
	 * Initials are held: its SCID is the ID the client's proof names, its
	 * keys say which client DCID it answers */
	J4S_EV_QUIC_SERVER = 8,
	/* a client packet to a server ID of j4s_quic_answers, while Initials
	 * are held: an Initial whole, anything else IP + UDP + the first
	 * J4S_QUIC_SERVER_SNAP bytes (its header) */
	J4S_EV_QUIC_PROOF = 9,
};

/* QUIC (design.md §6): client Initials are passed while their key (4-tuple
 * with the client's port 0, and the first J4S_QUIC_CID_KEY bytes of the
 * Destination Connection ID; a client's first DCID has at least 8, RFC 9000
 * §7.2) has sent fewer than
 * J4S_QUIC_MAX_DATAGRAMS datagrams: a post-quantum hello needs 2-3,
 * retransmissions a few more. Versions passed: 1, 2 (RFC 9369), draft-29. */
#define J4S_QUIC_V1            0x00000001
#define J4S_QUIC_V2            0x6b3343cf
#define J4S_QUIC_DRAFT29       0xff00001d
#define J4S_QUIC_CID_KEY       8
#define J4S_QUIC_MAX_DATAGRAMS 8
/* Smallest UDP payload of a datagram with a client Initial (RFC 9000
 * §14.1: clients pad to it, servers drop Initials in smaller ones). */
#define J4S_QUIC_MIN_DATAGRAM 1200
/* Client packets passed up a server answer of j4s_quic_answers (the
 * proofs of a held client's address, docs/bpftool.md). */
#define J4S_QUIC_MAX_PROOFS 8
/* A long header up to its Source Connection ID: 1 + 4 + 1 + 20 + 1 + 20
 * (the part of a client's Handshake packet a proof needs). */
#define J4S_QUIC_SERVER_SNAP 48

/* One ring buffer record: header, then caplen bytes from the L3 header on. */
struct j4s_event {
	__u64 ts_ns;   /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 ifindex; /* interface of the hook (ingress, or egress for a SYN-ACK) */
	__u32 caplen;  /* bytes of data that follow */
	__u32 origlen; /* L3 length on the wire */
	__u16 kind;    /* enum j4s_event_kind */
	__u16 pad;
	__u8 data[J4S_SNAP_MAX];
};

#define J4S_EVENT_HDR_SIZE 24

/* Flow key: client and server address (IPv4 in the first 4 bytes), ports in
 * network byte order. */
struct j4s_flow_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport; /* network order */
	__u16 dport; /* network order */
	__u8 family; /* 4 or 6 */
	__u8 pad[3];
};

struct j4s_quic_key {
	struct j4s_flow_key flow;
	__u8 dcid[J4S_QUIC_CID_KEY]; /* zero-padded when shorter */
	__u8 dcid_len;
	__u8 pad[7];
};

struct j4s_quic_conn {
	__u32 datagrams; /* passed up */
	__u32 pad;
};

/* An IP datagram in fragments whose first fragment belongs to a validated
 * connection (on_fragment()): its other fragments pass without a token, at
 * most J4S_FRAG_MAX of them (the map's value counts them). */
#define J4S_FRAG_MAX 64
struct j4s_frag_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__u32 id; /* IPv4's 16-bit ID or IPv6's 32-bit one */
	__u8 family;
	__u8 pad[3];
};

enum j4s_flow_state {
	J4S_FLOW_WAIT = 1, /* hello bytes still to come */
	J4S_FLOW_DONE = 2, /* hello covered, or not TLS: the flow costs a lookup */
};

/* Handshake validation (design.md §13): what a flow's hello has proven. */
enum j4s_flow_hs {
	J4S_HS_NONE = 0,        /* no SYN-ACK seen, no hello segment judged */
	J4S_HS_SYNACK = 1,      /* server_isn known, no hello segment judged */
	J4S_HS_VALIDATED = 2,   /* first hello segment acknowledged server_isn + 1 */
	J4S_HS_UNVALIDATED = 3, /* it did not; let through by the token bucket */
};

struct j4s_flow {
	__u32 base;       /* sequence number of stream offset 0 (host order) */
	__u32 next;       /* end of the in-order bytes seen (host order) */
	__u32 hi;         /* highest end of the bytes seen (host order) */
	__u32 need;       /* stream bytes the hello needs, 0 until the first payload */
	__u32 server_isn; /* sequence number of the server's SYN-ACK (host order) */
	__u16 segments;   /* segments emitted that brought no byte beyond hi */
	__u8 state;       /* enum j4s_flow_state */
	__u8 hs;          /* enum j4s_flow_hs */
	__u16 urg_acks;   /* URG segments without data sent up (own cap: max_segments) */
	__u8 bits;        /* J4S_FL_* */
	__u8 bad_segs;    /* segments dropped for their ACK sent up (spoofed_segment()) */
	__u32 ts_recent;  /* PAWS: the server's ts_recent, with J4S_FL_TS_SYN | J4S_FL_TS_OK */
	__u32 snd_nxt;    /* with J4S_FL_ISN_KNOWN: the end of what the server sent (host order) */
	__u32 urg_hi;     /* with J4S_FL_URG: the latest urgent pointer sent up (host order) */
};

/* struct j4s_flow.bits */
#define J4S_FL_ISN_KNOWN  0x01 /* server_isn is the SYN-ACK's (hs may have moved on) */
#define J4S_FL_TS_SYN     0x02 /* the SYN had a timestamp: ts_recent started at it */
#define J4S_FL_TS_OK      0x04 /* the SYN-ACK had one too: the server checks them (PAWS) */
#define J4S_FL_BAD_JUDGED 0x08 /* a segment dropped for its ACK took its token (or found none) */
#define J4S_FL_BAD_HELD   0x10 /* ... found none: such segments do not go up */
#define J4S_FL_SYN        0x20 /* made by a SYN (base is its ISN + 1), not a pickup */
#define J4S_FL_URG        0x40 /* an urgent pointer went up: urg_hi holds the latest */
#define J4S_FL_SYN_DATA   0x80 /* the SYN carried data (TCP Fast Open) */

/* Whether a SYN-ACK's ACK answers the SYN of a flow whose stream starts at
 * base: base itself, or, the SYN with data (TCP Fast Open), past it by at
 * most what one SYN can carry (the server acknowledges the data). */
#define J4S_ACKS_SYN(ack, base, syn_data)                                                          \
	((ack) == (base) ||                                                                        \
	 ((syn_data) && (__s32)((ack) - (base)) > 0 && (__u32)((ack) - (base)) <= 0xffff))

/* Excluded source prefixes: one LPM trie, IPv4 as ::ffff:a.b.c.d. */
struct j4s_lpm_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/* Local addresses: same mapping, exact match. */
struct j4s_addr_key {
	__u8 addr[16];
};

/* The kernel's token buckets of unvalidated traffic (map j4s_bucket), each
 * of unval_rate / unval_burst: a flood of one kind holds back no other. */
enum j4s_bucket_kind {
	J4S_BUCKET_TCP,  /* unvalidated TCP hellos and their segments, IP fragments */
	J4S_BUCKET_QUIC, /* new QUIC connections (and datagrams past a key's cap) */
	J4S_BUCKETS,
};

/* Load-time configuration, in .rodata (const volatile). */
struct j4s_bpf_config {
	__u32 max_bytes;     /* stream bytes per hello we may send up */
	__u32 unval_rate;    /* unvalidated hellos per second let through, per
			      * j4s_bucket_kind; 0 = no limit */
	__u32 unval_burst;   /* ... and at once after a quiet spell */
	__u16 max_segments;  /* segments per hello that bring no new byte */
	__u8 filter_local;   /* destination must be in j4s_local */
	__u8 filter_exclude; /* source must not be in j4s_excl */
	__u8 xdp_copy;       /* XDP copies by hand even where bpf_xdp_load_bytes
			      * exists: the path of kernels before 5.18 (tests) */
	__u8 l3dev;          /* some interface is in j4s_l3dev: look packets up */
	__u8 quic;           /* core.quic: pass client QUIC Initials (UDP) */
	__u8 pad[5];
};

/* Per-CPU counters; bpftool map dump prints them by name. */
struct j4s_stats {
	__u64 packets;            /* seen by the program */
	__u64 not_ip;             /* not IPv4/IPv6 (after up to two VLAN tags) */
	__u64 not_tcp;            /* IP but not TCP, or an IPv6 header chain not followed */
	__u64 fragments;          /* IP fragments (sent up or held back: below) */
	__u64 truncated;          /* headers beyond the packet */
	__u64 other_port;         /* TCP not to a listen port */
	__u64 not_local;          /* destination not a local address */
	__u64 excluded;           /* source in exclude_source_ips */
	__u64 syn_events;         /* SYNs sent up */
	__u64 payload_events;     /* hello segments sent up */
	__u64 end_events;         /* FIN/RST of waiting flows sent up */
	__u64 ringbuf_full;       /* events lost: ring buffer full */
	__u64 flows_created;      /* by a SYN */
	__u64 flows_picked_up;    /* by a hello-looking first payload, SYN missed */
	__u64 flows_done;         /* hello covered: later packets cost a lookup */
	__u64 not_tls;            /* first payload not a TLS handshake: done at once */
	__u64 segment_cap;        /* flows stopped by the segment cap */
	__u64 no_flow;            /* payload of an untracked flow, not a hello start */
	__u64 after_done;         /* packets of done flows */
	__u64 bare_acks;          /* no payload, no flags to report */
	__u64 copy_errors;        /* packet bytes could not be read */
	__u64 flow_update_errors; /* j4s_flows update failed: the flow is not tracked */
	/* Handshake validation (design.md §13). */
	__u64 egress_packets;      /* seen by the egress program */
	__u64 egress_other;        /* not a SYN-ACK from a listen port (or unreadable) */
	__u64 synacks;             /* SYN-ACKs from a listen port that gave a flow its ISN */
	__u64 synack_no_flow;      /* SYN-ACKs of no waiting flow (or a SYN they do not answer) */
	__u64 synack_events;       /* SYN-ACKs sent up */
	__u64 validated;           /* hellos whose first segment acknowledged the ISN + 1 */
	__u64 unvalidated;         /* hellos that did not, let through by the token bucket */
	__u64 unvalidated_limited; /* hellos that did not, held back: the bucket was empty */
	/* QUIC (design.md §6), UDP to a listen port. */
	__u64 quic_events;        /* client Initial datagrams sent up */
	__u64 quic_not_initial;   /* not a long-header Initial of a known version, or in a
				   * datagram under J4S_QUIC_MIN_DATAGRAM: dropped */
	__u64 quic_conns;         /* new (4-tuple, DCID) keys */
	__u64 quic_capped;        /* datagrams past J4S_QUIC_MAX_DATAGRAMS of a key, no token */
	__u64 quic_limited;       /* new keys the unvalidated token bucket had no token for */
	__u64 quic_update_errors; /* j4s_quic update failed */
	/* IP fragments (userspace rebuilds the datagrams, include/ipfrag.h). */
	__u64 fragment_events;   /* fragments to a wanted address sent up */
	__u64 fragments_limited; /* held back: no token (first fragments), ring 1/4 full (later) */
	/* Segments the server's TCP drops (userspace's server_drops()). */
	__u64 refused;             /* an MD5 option, an old timestamp (PAWS), an RST off the next
				    * byte, no ACK flag, an ACK past snd_nxt: not sent up */
	__u64 paws_refused;        /* of those, for an old timestamp */
	__u64 retransmits_skipped; /* copies of in-order bytes past the segment cap: not sent up */
	__u64 fin_ahead;          /* FINs without data ahead of the next byte: sent up, flow kept */
	__u64 bad_ip_checksum;    /* IPv4 header checksum wrong: dropped by the stack, ignored */
	__u64 syn_retransmits;    /* SYNs again, same ISN, on a waiting flow: nothing changes */
	__u64 syn_ignored;        /* SYNs of another ISN on a flow waiting after its SYN-ACK */
	__u64 spoofed_events;     /* hello segments dropped for their ACK sent up, flow unmoved */
	__u64 ip_options_dropped; /* IPv4 options the stack drops the packet for: ignored */
	__u64 synack_restarted; /* SYN-ACKs of another connection of a flow's 4-tuple: restarted */
	__u64 server_segments;  /* server segments that raised a waiting flow's snd_nxt */
	__u64 urgent_past_cap;  /* segments past a cap sent up for a later urgent pointer */
	__u64 fragments_validated; /* fragments of a validated connection's datagram: no token */
	__u64 fragments_later;     /* later fragments of a datagram no validated first fragment
				    * named: no token, sent up while the ring is under 1/4 full */
	/* QUIC proof of address (docs/reliability.md, "Spoofed Initials"). */
	__u64 quic_held;            /* Initials of quic_limited sent up held (J4S_EV_UDP_HELD),
				     * while the ring is under 1/4 full */
	__u64 quic_server_initials; /* the server's Initials sent up (egress), while Initials
				     * were held in the last 300 s */
	__u64 quic_handshakes;      /* clients' Handshake packets sent up (headers), while
				     * Initials were held in the last 300 s */
	__u64 quic_proofs_dropped;  /* server Initials and client Handshake packets of that
				     * time not sent up: the ring was half full */
};

/* Checked by both compilers: the two sides must agree byte for byte. */
_Static_assert(sizeof(struct j4s_event) == J4S_EVENT_HDR_SIZE + J4S_SNAP_MAX, "event");
_Static_assert(sizeof(struct j4s_flow_key) == 40, "flow key");
_Static_assert(sizeof(struct j4s_flow) == 40, "flow");
_Static_assert(sizeof(struct j4s_bpf_config) == 24, "config");
_Static_assert(sizeof(struct j4s_stats) == 56 * 8, "stats");
_Static_assert(sizeof(struct j4s_frag_key) == 40, "fragment key");
_Static_assert(sizeof(struct j4s_quic_key) == 56, "quic key");
/* An event holds a whole hello behind the largest IPv4 and TCP headers. */
_Static_assert(J4S_SNAP_MAX >= J4S_REASM_MAX_BYTES + 60 + 60, "snap length");
/* A maximum hello fits one record; the segment cap is a __u16 in the config. */
_Static_assert(J4S_TLS_RECORD_HDR + J4S_TLS_MAX_RECORD <= J4S_REASM_MAX_BYTES,
	       "a whole first record is buffered (the hello is handed out when it ends)");
_Static_assert(J4S_DEF_MAX_HELLO_SEGMENTS <= 0xffff, "segments");

#endif
