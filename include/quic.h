/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * quic: the ClientHello of a QUIC connection, from the client's Initial
 * packets (RFC 9000 §17.2.2, RFC 9001 §5, RFC 9369 for QUIC v2).
 *
 * A UDP datagram to a listen port may hold several coalesced QUIC packets;
 * each client Initial is unprotected with the keys every observer can
 * derive from the Destination Connection ID of the client's first Initial
 * (header protection with AES-128-ECB, payload with AES-128-GCM, OpenSSL
 * EVP), its CRYPTO frames go into the connection's reassembly (struct reasm,
 * offsets as sequence numbers from 0), and once the stream holds a whole
 * ClientHello handshake message it is handed out. Connections are keyed by
 * version, that DCID, the client's address and the server's address and
 * port: an Initial from another port of the client continues its
 * connection, as servers route Initials by DCID. The table is bounded in
 * connections (none per 4-tuple), in packets and bytes per connection, and
 * by time. Finished connections stay until
 * the timeout so retransmitted Initials (and the client's later Initials,
 * sent to the server's chosen connection ID under the same keys) cost a
 * lookup and a decryption, never a second record. Every outcome is counted.
 */
#ifndef J4S_QUIC_H
#define J4S_QUIC_H

#include <stdbool.h>
#include <stdint.h>
#include "flow.h"
#include "packet.h"

#define QUIC_V1      0x00000001u
#define QUIC_V2      0x6b3343cfu
#define QUIC_DRAFT29 0xff00001du
#define QUIC_CID_MAX 20
#define QUIC_KEY_LEN 16
#define QUIC_IV_LEN  12
#define QUIC_TAG_LEN 16
/* Smallest UDP payload of a datagram with a client Initial (abi.h). */
#define QUIC_MIN_DATAGRAM J4S_QUIC_MIN_DATAGRAM
/* Initial packets of one connection that bring no new in-order CRYPTO
 * bytes (retransmissions, ACKs, pieces ahead of a gap) read before it is
 * given up; packets that do are bounded by the byte cap. */
#define QUIC_MAX_PACKETS 32
/* Packet numbers below the largest read whose reading is remembered
 * (quic.c pn_fresh()); quiche's and quinn's windows are about as long. */
#define QUIC_PN_WINDOW 128

struct quic_keys {
	uint8_t key[QUIC_KEY_LEN];
	uint8_t iv[QUIC_IV_LEN];
	uint8_t hp[QUIC_KEY_LEN];
};

/* Derive the client's Initial keys of version from the DCID (RFC 9001 §5.2,
 * RFC 9369 §3.3). 0, or -1 for an unknown version or a library failure. */
int quic_initial_keys(uint32_t version, const uint8_t *dcid, uint32_t dcid_len,
		      struct quic_keys *k);

/* The connection IDs of a long-header packet. */
struct quic_ids {
	uint32_t version;
	uint8_t dcid_len, scid_len;
	const uint8_t *dcid, *scid;
};

/* Whether p (len bytes) starts with an Initial of a known version whose
 * connection IDs are within QUIC_CID_MAX and len; *ids then says them. */
bool quic_initial_ids(const uint8_t *p, uint32_t len, struct quic_ids *ids);

/* The server's Initial keys of a client's first DCID (RFC 9001 §5.2). */
int quic_server_initial_keys(uint32_t version, const uint8_t *dcid, uint32_t dcid_len,
			     struct quic_keys *k);

/* The length of the Initial at p (len bytes) and the offset of its packet
 * number, or 0 when p does not start with a whole one. */
uint32_t quic_initial_len(const uint8_t *p, uint32_t len, uint32_t *pn_off);

/* Whether srv (len bytes) starts with an Initial sealed with the server's
 * Initial keys of dcid: the server answered a client whose first DCID was
 * dcid (include/quic_hold.h). A key derivation and a decryption. */
struct quic_table;
bool quic_table_answers(struct quic_table *qt, const uint8_t *srv, uint32_t len,
			const uint8_t *dcid, uint8_t dcid_len);

/* Whether QUIC_V1, QUIC_V2 or QUIC_DRAFT29. */
bool quic_version_known(uint32_t version);
/* "1", "2", "draft-29" or NULL. */
const char *quic_version_str(uint32_t version);

struct quic_conn {
	struct flow fl;          /* key, IP meta of the first Initial, times, CRYPTO reassembly */
	struct quic_conn *hnext; /* chain of its key (quic.c conn_hash); the age list is fl.age */
	struct quic_conn *tnext; /* chain of 4-tuples' newest connections, when newest */
	struct quic_keys keys;
	uint32_t version;
	uint64_t largest_pn;       /* largest packet number decrypted, for decoding */
	unsigned __int128 pn_seen; /* bit i: largest_pn - i was read (quic.c pn_fresh()) */
	uint16_t packets;          /* Initial packets decrypted that added nothing in order */
	uint8_t has_pn;
	uint8_t has_sum;   /* hello_sum is set */
	uint8_t has_prior; /* prior_sum is set */
	uint8_t newest;    /* the newest of its 4-tuple and version (on a tnext chain) */
	uint8_t dcid_len;
	uint8_t dcid[QUIC_CID_MAX];
	/* Keyed sums of the hello this connection handed out, and of the one
	 * the attempt it starts over after a Retry handed out: a start over
	 * repeats its ClientHello, so only another hello is recorded again. */
	uint64_t hello_sum, prior_sum;
};

struct quic_stats {
	uint64_t datagrams;       /* UDP datagrams to a listen port handed in */
	uint64_t not_quic;        /* first byte not a long header, or too short (garbage) */
	uint64_t short_header;    /* 1-RTT packets (after the handshake) */
	uint64_t unknown_version; /* long header of a version we do not decrypt (or VN) */
	uint64_t malformed;       /* lengths that run past the datagram, CIDs over 20 bytes,
				   * Initials coalesced behind a packet of another DCID */
	uint64_t other_long;      /* 0-RTT, Handshake, Retry packets (skipped) */
	uint64_t small_datagram;  /* Initials in datagrams under 1200 bytes (servers drop them) */
	uint64_t initials;        /* Initial packets of a known version */
	uint64_t decrypt_failed;  /* header or payload did not authenticate */
	uint64_t decrypted;       /* Initial packets decrypted */
	uint64_t frames_bad;      /* a frame ran past its packet, or is not allowed in Initial */
	uint64_t crypto_frames;
	uint64_t crypto_dup;      /* CRYPTO frames that brought nothing new (retransmits) */
	uint64_t crypto_conflict; /* CRYPTO frames with other bytes at offsets already held */
	uint64_t out_of_order;    /* CRYPTO frames held ahead of a gap */
	uint64_t conns;           /* connections created */
	uint64_t later_initials;  /* Initials of a known connection under another DCID */
	uint64_t after_done;      /* Initials of a connection whose hello was handed out */
	uint64_t hellos;          /* ClientHello messages handed out */
	uint64_t not_hello;       /* CRYPTO stream did not start with a ClientHello */
	uint64_t too_big;         /* hello longer than the limit */
	uint64_t packet_limit;    /* gave up: too many Initials without progress, or segments */
	uint64_t byte_limit;      /* CRYPTO frames at offsets beyond the byte cap (ignored) */
	uint64_t nomem;
	uint64_t evicted;      /* waiting connections evicted for room */
	uint64_t evicted_done; /* finished connections evicted for room (a retransmitted
				* Initial of one could give a second record) */
	uint64_t retried; /* Initials with a token starting a 4-tuple's connection over (Retry) */
	uint64_t retried_same;  /* start overs that repeated the recorded hello: no second record */
	uint64_t port_changed;  /* Initials of a connection from another port of its client */
	uint64_t timeouts;      /* waiting connections without a hello within the timeout */
	uint64_t limited;       /* Initials of new connections held back by the bucket */
	uint64_t fixed_bit;     /* Initials without the fixed bit (and no token): discarded */
	uint64_t reserved_bits; /* authentic Initials with reserved bits set: discarded */
	uint64_t pn_repeated;   /* Initials of a packet number already read: discarded */
	uint64_t pn_far;        /* Initials over QUIC_PN_WINDOW below the largest: read, flagged */
	uint64_t greased;       /* Initials with a token and the fixed bit clear: read, flagged */
	uint64_t later_crypto;  /* hello bytes under a later DCID: read, flagged */
	uint64_t chain_steps;   /* hash chain entries looked at (the lookups' cost; for
				 * tests, not in the stats line) */
};

struct quic_config {
	uint32_t max_conns;
	uint64_t timeout_ns;
	uint32_t max_bytes;    /* CRYPTO stream bytes per connection */
	uint16_t max_segments; /* CRYPTO frames without in-order progress */
	/* Live pcap mode: new connections through a token bucket, as the
	 * kernel program lets them through its unvalidated bucket (design.md
	 * §13): QUIC proves no address before the hello, and each new DCID
	 * costs a key derivation. Never offline. */
	bool limit_new;
	uint32_t new_rate;  /* connections/s, 0 = no limit */
	uint32_t new_burst; /* >= 1 */
};

/* A complete ClientHello, valid until the next call on the table. */
struct quic_hello {
	struct quic_conn *conn;
	const uint8_t *msg; /* handshake message, 4-byte header included */
	uint32_t msg_len;
};

struct quic_table;

struct quic_table *quic_table_new(const struct quic_config *cfg, const uint8_t seed[16]);
void quic_table_free(struct quic_table *qt);

/* quic_process() flags. */
enum {
	/* The kernel's bucket had no token for it (J4S_EV_UDP_HELD): an
	 * Initial of a connection the table knows is read, one that would
	 * start a connection is refused as by the bucket. */
	QUIC_HELD = 1,
	/* A datagram read after its client named its server's connection ID
	 * (include/quic_hold.h): no bucket. */
	QUIC_KEPT = 2,
	/* ... and its client proved its address: a connection it starts is
	 * validated. */
	QUIC_PROVEN = 4,
};

/* One UDP datagram (pi->payload) from the client at packet time now.
 * Returns true when *out holds a ClientHello; the caller then calls
 * quic_table_finish(). A datagram completes at most one hello. */
bool quic_process(struct quic_table *qt, const struct pkt_info *pi, uint64_t now,
		  unsigned int flags, struct quic_hello *out);
/* Whether the last quic_process() refused a new connection of its datagram
 * for want of a token (or QUIC_HELD): the datagram is the caller's to keep. */
bool quic_table_limited(const struct quic_table *qt);
void quic_table_finish(struct quic_table *qt, struct quic_conn *c, uint64_t now);
uint32_t quic_table_expire(struct quic_table *qt, uint64_t now);
uint32_t quic_table_count(const struct quic_table *qt);
const struct quic_stats *quic_table_stats(const struct quic_table *qt);

/* Frames of one decrypted Initial payload (RFC 9000 §19): PADDING, PING,
 * ACK, CRYPTO and CONNECTION_CLOSE are read, each CRYPTO frame handed to
 * cb (offset, data, length; a non-zero return stops); any other frame type
 * is not allowed in an Initial (RFC 9000 §12.4) and ends the packet.
 * Returns the number of CRYPTO frames, or -1 when a frame runs past len or
 * is not allowed. */
typedef int (*quic_crypto_cb)(void *arg, uint64_t off, const uint8_t *data, uint32_t len);
int quic_parse_frames(const uint8_t *p, uint32_t len, quic_crypto_cb cb, void *arg);

/* Variable-length integer (RFC 9000 §16) at *pos of buf; false when cut. */
bool quic_varint(const uint8_t *buf, uint32_t len, uint32_t *pos, uint64_t *v);

#endif
