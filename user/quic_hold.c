// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Initials kept until their client proves its address (include/quic_hold.h).
 *
 * A 4-tuple (client address and port, server address and port) with kept
 * datagrams is an entry on a hash chain and on an age list, oldest first;
 * its datagrams hang from it in the order they came. Room is made by
 * dropping the oldest 4-tuple whole: a flood cycles the store from its old
 * end, and a client's datagrams go or stay together.
 */
#include <stdlib.h>
#include <string.h>
#include "flow.h"
#include "list.h"
#include "quic.h"
#include "quic_hold.h"
#include "siphash.h"

struct held {
	struct held *next;
	uint64_t now;
	struct pkt_info pi; /* payload points at data */
	uint32_t size;      /* bytes charged to the store */
	uint8_t scid_len;   /* the Initial's Source Connection ID */
	uint8_t scid[QUIC_CID_MAX];
	uint8_t data[];
};

struct tuple {
	struct list_node age;
	struct tuple *hnext;
	struct flow_key key; /* as flow_key_from_pkt() of the client's datagrams */
	uint64_t created;
	struct held *first, *last;
	uint32_t n;
	/* The server's Initials: each one's Source Connection ID (the ID
	 * the client's next packets name) and Destination Connection ID (the
	 * client's Source Connection ID of the attempt it answers). Several:
	 * the server also answers a spoofed Initial from this 4-tuple, and
	 * that answer must not put the real one out; the oldest goes. */
	struct {
		uint8_t server_len, client_len;
		uint8_t server_id[QUIC_CID_MAX], client_id[QUIC_CID_MAX];
	} answer[QUIC_HOLD_ANSWERS];
	uint8_t n_answers;
	uint8_t next_answer; /* the slot the next one takes when all are used */
	uint8_t misses;      /* client datagrams since the first answer that named none */
};

/* Chains for the most 4-tuples the bytes allow (one datagram of 1,200). */
#define HOLD_CHAINS 8192u

struct quic_hold {
	struct quic_hold_stats st;
	struct tuple **chains; /* allocated at the first datagram kept */
	struct list age;
	uint64_t timeout_ns;
	uint64_t bytes;
	uint32_t count; /* datagrams */
	uint64_t k0, k1;
};

struct quic_hold *quic_hold_new(uint64_t timeout_ns, const uint8_t seed[16])
{
	struct quic_hold *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->timeout_ns = timeout_ns;
	memcpy(&h->k0, seed, 8);
	memcpy(&h->k1, seed + 8, 8);
	h->k0 ^= 0x686f6c64; /* a key of its own */
	return h;
}

static struct tuple **chain_of(struct quic_hold *h, const struct flow_key *k)
{
	return &h->chains[siphash13(h->k0, h->k1, k, sizeof(*k)) & (HOLD_CHAINS - 1)];
}

static struct tuple *tuple_find(struct quic_hold *h, const struct flow_key *k)
{
	struct tuple *t;

	if (!h->chains)
		return NULL;
	for (t = *chain_of(h, k); t; t = t->hnext)
		if (!memcmp(&t->key, k, sizeof(*k)))
			return t;
	return NULL;
}

/* Take t out of the table; its datagrams stay on it. */
static void tuple_unlink(struct quic_hold *h, struct tuple *t)
{
	struct tuple **pp = chain_of(h, &t->key);

	while (*pp != t)
		pp = &(*pp)->hnext;
	*pp = t->hnext;
	list_del(&h->age, &t->age);
	h->bytes -= sizeof(*t);
}

/* Free an unlinked t and its datagrams. */
static void tuple_free(struct quic_hold *h, struct tuple *t)
{
	struct held *d, *next;

	for (d = t->first; d; d = next) {
		next = d->next;
		h->bytes -= d->size;
		h->count--;
		free(d);
	}
	free(t);
}

/* Drop the oldest 4-tuple; how many datagrams went with it. */
static uint32_t drop_oldest(struct quic_hold *h)
{
	struct tuple *t = list_first(&h->age, struct tuple, age);
	uint32_t n = t->n;

	tuple_unlink(h, t);
	tuple_free(h, t);
	return n;
}

void quic_hold_free(struct quic_hold *h)
{
	if (!h)
		return;
	while (h->age.head)
		drop_oldest(h);
	free(h->chains);
	free(h);
}

bool quic_hold_empty(const struct quic_hold *h)
{
	return !h->age.head;
}

uint32_t quic_hold_count(const struct quic_hold *h)
{
	return h->count;
}

const struct quic_hold_stats *quic_hold_stats(const struct quic_hold *h)
{
	return &h->st;
}

void quic_hold_add(struct quic_hold *h, const struct pkt_info *pi, uint64_t now)
{
	uint32_t size = (uint32_t)sizeof(struct held) + pi->payload_len;
	struct flow_key key;
	struct quic_ids ids;
	struct tuple *t;
	struct held *d;

	if (!h->chains && !(h->chains = calloc(HOLD_CHAINS, sizeof(*h->chains)))) {
		h->st.nomem++;
		return;
	}
	flow_key_from_pkt(pi, &key);
	t = tuple_find(h, &key);
	if (t && t->n >= QUIC_HOLD_PER_TUPLE) {
		h->st.over_tuple++;
		return;
	}
	/* Room: the oldest 4-tuples go, never the one this datagram joins
	 * (it is kept with its own, or not at all). */
	while (h->bytes + size + (t ? 0 : sizeof(*t)) > QUIC_HOLD_BYTES && h->age.head &&
	       list_first(&h->age, struct tuple, age) != t)
		h->st.evicted += drop_oldest(h);
	if (h->bytes + size + (t ? 0 : sizeof(*t)) > QUIC_HOLD_BYTES) {
		h->st.evicted++;
		return;
	}
	d = malloc(size);
	if (!d) {
		h->st.nomem++;
		return;
	}
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t) {
			free(d);
			h->st.nomem++;
			return;
		}
		t->key = key;
		t->created = now;
		t->hnext = *chain_of(h, &key);
		*chain_of(h, &key) = t;
		list_add_tail(&h->age, &t->age);
		h->bytes += sizeof(*t);
	}
	d->next = NULL;
	d->now = now;
	d->pi = *pi;
	d->pi.tcp_opts = NULL;
	d->pi.tcp_opt_len = 0;
	memcpy(d->data, pi->payload, pi->payload_len);
	d->pi.payload = d->data;
	d->size = size;
	/* No Initial of a known version at its start: it can never be
	 * handed back (an ID of 0xff bytes matches none). */
	d->scid_len = 0xff;
	if (quic_initial_ids(pi->payload, pi->payload_len, &ids)) {
		d->scid_len = ids.scid_len;
		memcpy(d->scid, ids.scid, ids.scid_len);
	}
	if (t->last)
		t->last->next = d;
	else
		t->first = d;
	t->last = d;
	t->n++;
	h->bytes += size;
	h->count++;
	h->st.kept++;
}

void quic_hold_server(struct quic_hold *h, const struct pkt_info *pi)
{
	struct flow_key key = { .family = pi->family, .sport = pi->dport, .dport = pi->sport };
	struct quic_ids ids;
	struct tuple *t;
	uint8_t i;

	if (quic_hold_empty(h) || !quic_initial_ids(pi->payload, pi->payload_len, &ids))
		return;
	memcpy(key.src, pi->dst, 16);
	memcpy(key.dst, pi->src, 16);
	t = tuple_find(h, &key);
	if (!t)
		return;
	h->st.server_ids++;
	/* Each of a server's Initials of one attempt says the same. */
	for (i = 0; i < t->n_answers; i++)
		if (t->answer[i].server_len == ids.scid_len &&
		    t->answer[i].client_len == ids.dcid_len &&
		    !memcmp(t->answer[i].server_id, ids.scid, ids.scid_len) &&
		    !memcmp(t->answer[i].client_id, ids.dcid, ids.dcid_len))
			return;
	if (t->n_answers < QUIC_HOLD_ANSWERS) {
		i = t->n_answers++;
	} else {
		i = t->next_answer;
		t->next_answer = (uint8_t)((i + 1) % QUIC_HOLD_ANSWERS);
	}
	t->answer[i].server_len = ids.scid_len;
	memcpy(t->answer[i].server_id, ids.scid, ids.scid_len);
	t->answer[i].client_len = ids.dcid_len;
	memcpy(t->answer[i].client_id, ids.dcid, ids.dcid_len);
}

/* Whether the first packet of the client datagram pi names id: a long
 * header's Destination Connection ID, or a short header's (its length is
 * the one the server chose, RFC 9000 §17.3). */
static bool names(const struct pkt_info *pi, const uint8_t *id, uint8_t len)
{
	const uint8_t *p = pi->payload;

	if (pi->payload_len < 1u + len)
		return false;
	if (!(p[0] & 0x80))
		return !memcmp(p + 1, id, len);
	return pi->payload_len >= 6u + len && p[5] == len && !memcmp(p + 6, id, len);
}

/* The answer of t whose server ID pi names, or -1. IDs shorter than
 * QUIC_HOLD_MIN_ID are never named: a sender could guess them. */
static int named_answer(const struct tuple *t, const struct pkt_info *pi)
{
	for (int i = 0; i < t->n_answers; i++)
		if (t->answer[i].server_len >= QUIC_HOLD_MIN_ID &&
		    names(pi, t->answer[i].server_id, t->answer[i].server_len))
			return i;
	return -1;
}

/* The DCID of a kept datagram's first packet (an Initial: quic_hold_add()
 * took its SCID from it). */
static const uint8_t *kept_dcid(const struct held *d, uint8_t *len)
{
	*len = d->data[5];
	return d->data + 6;
}

uint32_t quic_hold_proof(struct quic_hold *h, const struct pkt_info *pi, quic_hold_cb cb, void *arg)
{
	const uint8_t *dcid = NULL, *dc;
	struct flow_key key;
	bool proven = true;
	uint8_t dlen = 0, dl, clen;
	const uint8_t *cid;
	struct tuple *t;
	struct held *d;
	uint32_t n = 0;
	int a;

	if (quic_hold_empty(h))
		return 0;
	flow_key_from_pkt(pi, &key);
	t = tuple_find(h, &key);
	if (!t || !t->n_answers)
		return 0;
	a = named_answer(t, pi);
	if (a < 0) {
		/* A real client names its server's ID from its first packet
		 * after the answer on; many that do not are a sender guessing
		 * it: the 4-tuple is forgotten. */
		if (++t->misses > QUIC_HOLD_PER_TUPLE) {
			h->st.guessed += t->n;
			tuple_unlink(h, t);
			tuple_free(h, t);
		}
		return 0;
	}
	h->st.proofs++;
	/* Out of the table first: cb reads the datagrams as new ones. */
	tuple_unlink(h, t);
	cid = t->answer[a].client_id;
	clen = t->answer[a].client_len;
	/* The client ID says which attempt the server answered; a sender who
	 * knows the 4-tuple can put its own Initials of that ID (an empty one
	 * most easily) among the client's. Validated only when all of them
	 * are of one DCID, but for those to the server's ID itself (the
	 * client's own, after the answer): one connection (a Retry's second
	 * attempt, of another DCID, is read but not validated). */
	for (d = t->first; d; d = d->next) {
		if (d->scid_len != clen || memcmp(d->scid, cid, clen))
			continue;
		dc = kept_dcid(d, &dl);
		if (dl == t->answer[a].server_len && !memcmp(dc, t->answer[a].server_id, dl))
			continue;
		if (!dcid) {
			dcid = dc;
			dlen = dl;
		} else if (dl != dlen || memcmp(dc, dcid, dl)) {
			proven = false;
		}
	}
	for (d = t->first; d; d = d->next) {
		if (d->scid_len != clen || memcmp(d->scid, cid, clen))
			continue;
		cb(arg, &d->pi, d->now, proven);
		n++;
	}
	h->st.replayed += n;
	h->st.unproven += proven ? 0 : n;
	tuple_free(h, t);
	return n;
}

uint32_t quic_hold_expire(struct quic_hold *h, uint64_t now)
{
	uint32_t n = 0;
	struct tuple *t;

	while ((t = list_first(&h->age, struct tuple, age)) && t->created + h->timeout_ns <= now)
		n += drop_oldest(h);
	h->st.expired += n;
	return n;
}
