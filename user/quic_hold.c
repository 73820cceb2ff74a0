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
#include "byteorder.h"
#include "siphash.h"

struct held {
	struct held *next;
	uint64_t now;
	struct pkt_info pi; /* payload points at data */
	uint32_t size;      /* bytes charged to the store */
	bool initial;       /* data starts with an Initial (quic_initial_ids()) */
	uint8_t data[];
};

/* A server Initial to the 4-tuple: its Source Connection ID (the ID the
 * client's next packets name) and the packet itself, whose keys say which
 * DCID of the client's it answers (quic_table_answers()). */
struct answer {
	uint8_t *pkt;
	uint32_t pkt_len;
	uint8_t server_len;
	uint8_t server_id[QUIC_CID_MAX];
};

struct tuple {
	struct list_node age;
	struct tuple *hnext;
	struct flow_key key; /* as flow_key_from_pkt() of the client's datagrams */
	uint64_t created;
	struct held *first, *last;
	uint32_t n;
	/* Several: the server also answers a spoofed Initial from this
	 * 4-tuple, and one such answer must not put the real one out; past
	 * QUIC_HOLD_ANSWERS the oldest goes. */
	struct answer answer[QUIC_HOLD_ANSWERS];
	uint8_t n_answers;
	uint8_t next_answer; /* the slot the next one takes when all are used */
	uint8_t misses;      /* 1-RTT or Handshake datagrams that named no answer */
};

/* Chains: about one a 4-tuple the bytes hold under a flood (~1.6 KB
 * each, a datagram of 1,200 with the server's answer and bookkeeping). */
#define HOLD_CHAINS (QUIC_HOLD_BYTES / 1024)
_Static_assert((HOLD_CHAINS & (HOLD_CHAINS - 1)) == 0, "HOLD_CHAINS is a power of two");

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

/* Forget an answer's packet. */
static void answer_clear(struct quic_hold *h, struct answer *a)
{
	h->bytes -= a->pkt_len;
	free(a->pkt);
	a->pkt = NULL;
	a->pkt_len = 0;
}

/* Free an unlinked t, its datagrams and answers. */
static void tuple_free(struct quic_hold *h, struct tuple *t)
{
	struct held *d, *next;

	for (uint8_t i = 0; i < t->n_answers; i++)
		answer_clear(h, &t->answer[i]);
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
	/* No Initial of a known version at its start: no answer can be
	 * shown to be its, it is never handed back. */
	d->initial = quic_initial_ids(pi->payload, pi->payload_len, &ids);
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
	struct answer *a;
	struct tuple *t;
	uint32_t len, pn_off;
	uint8_t i;

	if (quic_hold_empty(h) || !quic_initial_ids(pi->payload, pi->payload_len, &ids))
		return;
	memcpy(key.src, pi->dst, 16);
	memcpy(key.dst, pi->src, 16);
	t = tuple_find(h, &key);
	if (!t)
		return;
	h->st.server_ids++;
	len = quic_initial_len(pi->payload, pi->payload_len, &pn_off);
	if (!len || len > QUIC_HOLD_ANSWER_MAX) {
		h->st.server_cut++; /* no whole Initial: nothing to check it by */
		return;
	}
	/* Each of a server's Initials of one connection names the same ID;
	 * the first is kept. */
	for (i = 0; i < t->n_answers; i++)
		if (t->answer[i].server_len == ids.scid_len &&
		    !memcmp(t->answer[i].server_id, ids.scid, ids.scid_len))
			return;
	if (t->n_answers < QUIC_HOLD_ANSWERS) {
		i = t->n_answers++;
	} else {
		i = t->next_answer;
		t->next_answer = (uint8_t)((i + 1) % QUIC_HOLD_ANSWERS);
		answer_clear(h, &t->answer[i]);
	}
	/* Room, as for a datagram: the oldest 4-tuples but this one. */
	while (h->bytes + len > QUIC_HOLD_BYTES && list_first(&h->age, struct tuple, age) != t)
		h->st.evicted += drop_oldest(h);
	a = &t->answer[i];
	a->server_len = 0;
	if (h->bytes + len > QUIC_HOLD_BYTES)
		return;
	a->server_len = ids.scid_len;
	memcpy(a->server_id, ids.scid, ids.scid_len);
	a->pkt = malloc(len);
	if (!a->pkt) {
		h->st.nomem++;
		a->server_len = 0; /* names nothing */
		return;
	}
	memcpy(a->pkt, pi->payload, len);
	a->pkt_len = len;
	h->bytes += len;
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

/* The answer of t whose server ID pi names, or NULL. IDs shorter than
 * QUIC_HOLD_MIN_ID are never named: a sender could guess them. */
static const struct answer *named_answer(const struct tuple *t, const struct pkt_info *pi)
{
	for (int i = 0; i < t->n_answers; i++)
		if (t->answer[i].pkt && t->answer[i].server_len >= QUIC_HOLD_MIN_ID &&
		    names(pi, t->answer[i].server_id, t->answer[i].server_len))
			return &t->answer[i];
	return NULL;
}

/* Whether a datagram that names no answer counts as a guess: 1-RTT and
 * Handshake packets come after the server's answer and name its ID; the
 * client's Initials and 0-RTT packets to its own DCID do not. */
static bool a_guess(const struct pkt_info *pi)
{
	const uint8_t *p = pi->payload;

	if (!pi->payload_len)
		return false;
	if (!(p[0] & 0x80))
		return true;
	return pi->payload_len >= 5 && ((p[0] >> 4) & 3) == (rd32(p + 1) == QUIC_V2 ? 3 : 2);
}

uint32_t quic_hold_proof(struct quic_hold *h, const struct pkt_info *pi, quic_hold_check check,
			 quic_hold_cb cb, void *arg)
{
	const struct answer *a;
	struct flow_key key;
	bool ok[QUIC_HOLD_PER_TUPLE], any = false;
	struct tuple *t;
	struct held *d, *e;
	uint32_t n = 0, i, j;

	if (quic_hold_empty(h))
		return 0;
	flow_key_from_pkt(pi, &key);
	t = tuple_find(h, &key);
	if (!t || !t->n_answers)
		return 0;
	a = named_answer(t, pi);
	if (!a) {
		/* A real client names its server's ID from its first packet
		 * after the answer on; many that do not are a sender guessing
		 * it: the 4-tuple is forgotten. */
		if (a_guess(pi) && ++t->misses > QUIC_HOLD_PER_TUPLE) {
			h->st.guessed += t->n;
			tuple_unlink(h, t);
			tuple_free(h, t);
		}
		return 0;
	}
	h->st.proofs++;
	/* Out of the table first: cb reads the datagrams as new ones. */
	tuple_unlink(h, t);
	/* Which of the kept Initials the server answered: its Initial is
	 * sealed with keys from the client's first DCID (RFC 9001 §5.2), so
	 * a sender who knows the 4-tuple and put Initials of its own among
	 * the client's (or instead of them) gets none of them read. One
	 * check a distinct DCID. The client's own Initials to the server's
	 * ID (under its first DCID's keys) go with an answered one. */
	for (d = t->first, i = 0; d && i < QUIC_HOLD_PER_TUPLE; d = d->next, i++) {
		ok[i] = false;
		if (!d->initial || names(&d->pi, a->server_id, a->server_len))
			continue;
		for (e = t->first, j = 0; e != d; e = e->next, j++)
			if (e->initial && e->data[5] == d->data[5] &&
			    !memcmp(e->data + 6, d->data + 6, d->data[5]) &&
			    !names(&e->pi, a->server_id, a->server_len))
				break;
		ok[i] = e != d ? ok[j] : check(arg, a->pkt, a->pkt_len, d->data + 6, d->data[5]);
		any |= ok[i];
	}
	for (d = t->first, i = 0; d && i < QUIC_HOLD_PER_TUPLE; d = d->next, i++) {
		if (ok[i] || (any && d->initial && names(&d->pi, a->server_id, a->server_len))) {
			cb(arg, &d->pi, d->now);
			n++;
		} else {
			h->st.unanswered++;
		}
	}
	h->st.replayed += n;
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
