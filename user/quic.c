// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * QUIC client Initials to ClientHello (rules in quic.h). The keys are
 * public by design (RFC 9001 §5.2: derived from a salt in the RFC and the
 * client's DCID), so any observer can read the hello; what protects this
 * code from a hostile sender is that nothing is kept for a packet that
 * does not authenticate, and every buffer is bounded.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#include <openssl/core_names.h>
#include <openssl/params.h>
#endif
#include "byteorder.h"
#include "list.h"
#include "quic.h"
#include "siphash.h"

/* Initial salts: RFC 9001 §5.2 (v1), RFC 9369 §3.3.1 (v2), and
 * draft-ietf-quic-tls-29 §5.2, which Chrome and others still offer. */
static const uint8_t salt_v1[20] = { 0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
				     0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a };
static const uint8_t salt_v2[20] = { 0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
				     0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9 };
static const uint8_t salt_d29[20] = { 0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
				      0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99 };

bool quic_version_known(uint32_t version)
{
	return version == QUIC_V1 || version == QUIC_V2 || version == QUIC_DRAFT29;
}

const char *quic_version_str(uint32_t version)
{
	switch (version) {
	case QUIC_V1:
		return "1";
	case QUIC_V2:
		return "2";
	case QUIC_DRAFT29:
		return "draft-29";
	}
	return NULL;
}

/* Long header packet types (bits 4-5 of the first byte): v2 permutes them
 * (RFC 9369 §3.2). */
enum { LT_INITIAL, LT_0RTT, LT_HANDSHAKE, LT_RETRY };

static int long_type(uint32_t version, uint8_t b0)
{
	int t = (b0 >> 4) & 3;

	if (version != QUIC_V2)
		return t;
	return (t + 3) & 3; /* v2: 1 Initial, 2 0-RTT, 3 Handshake, 0 Retry */
}

bool quic_initial_ids(const uint8_t *p, uint32_t len, struct quic_ids *ids)
{
	uint32_t dl, sl;

	if (len < 7 || !(p[0] & 0x80))
		return false;
	ids->version = rd32(p + 1);
	dl = p[5];
	if (!quic_version_known(ids->version) || long_type(ids->version, p[0]) != LT_INITIAL ||
	    dl > QUIC_CID_MAX || 7 + dl > len)
		return false;
	sl = p[6 + dl];
	if (sl > QUIC_CID_MAX || 7 + dl + sl > len)
		return false;
	ids->dcid_len = (uint8_t)dl;
	ids->dcid = p + 6;
	ids->scid_len = (uint8_t)sl;
	ids->scid = p + 7 + dl;
	return true;
}

/*
 * What the table keeps of OpenSSL between packets: the cipher contexts,
 * and on OpenSSL 3 the ciphers and the HKDF fetched once. An implicit
 * fetch (EVP_aes_128_gcm() in an init, a new EVP_PKEY_CTX) costs tens of
 * thousands of instructions each time: they were most of a QUIC hello's
 * cost (docs/performance.md).
 */
struct quic_crypto {
	EVP_CIPHER_CTX *ecb, *gcm;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	EVP_CIPHER *ecb_c, *gcm_c;
	EVP_KDF_CTX *kdf; /* HKDF with SHA-256 set */
#endif
};

/* One HKDF step: through the table's EVP_KDF when there is one (OpenSSL
 * 3), else through EVP_PKEY (OpenSSL 1.1.1 and 3.x alike). */
static int hkdf(const struct quic_crypto *qc, int mode, const uint8_t *salt, size_t salt_len,
		const uint8_t *key, size_t key_len, const uint8_t *info, size_t info_len,
		uint8_t *out, size_t out_len)
{
	EVP_PKEY_CTX *pc;
	size_t len = out_len;
	int ok;

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	if (qc && qc->kdf) {
		OSSL_PARAM p[5], *q = p;

		/* The modes have the EVP_PKEY values; a salt or info of an
		 * earlier call is not used by a mode that takes none. */
		*q++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len);
		if (salt)
			*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt,
								 salt_len);
		if (info)
			*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info,
								 info_len);
		*q = OSSL_PARAM_construct_end();
		return EVP_KDF_derive(qc->kdf, out, out_len, p) > 0 ? 0 : -1;
	}
#else
	(void)qc;
#endif
	pc = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	if (!pc)
		return -1;
	ok = EVP_PKEY_derive_init(pc) > 0 && EVP_PKEY_CTX_set_hkdf_md(pc, EVP_sha256()) > 0 &&
	     EVP_PKEY_CTX_hkdf_mode(pc, mode) > 0 &&
	     (!salt || EVP_PKEY_CTX_set1_hkdf_salt(pc, salt, (int)salt_len) > 0) &&
	     EVP_PKEY_CTX_set1_hkdf_key(pc, key, (int)key_len) > 0 &&
	     (!info || EVP_PKEY_CTX_add1_hkdf_info(pc, info, (int)info_len) > 0) &&
	     EVP_PKEY_derive(pc, out, &len) > 0 && len == out_len;
	EVP_PKEY_CTX_free(pc);
	return ok ? 0 : -1;
}

/* HKDF-Expand-Label of TLS 1.3 (RFC 8446 §7.1) with an empty context. */
static int expand_label(const struct quic_crypto *qc, const uint8_t *secret, const char *label,
			uint8_t *out, size_t len)
{
	uint8_t info[2 + 1 + 255 + 1];
	size_t ll = strlen(label), n = 0;

	info[n++] = (uint8_t)(len >> 8);
	info[n++] = (uint8_t)len;
	info[n++] = (uint8_t)(6 + ll);
	memcpy(info + n, "tls13 ", 6);
	memcpy(info + n + 6, label, ll);
	n += 6 + ll;
	info[n++] = 0; /* context */
	return hkdf(qc, EVP_PKEY_HKDEF_MODE_EXPAND_ONLY, NULL, 0, secret, 32, info, n, out, len);
}

static int initial_keys(const struct quic_crypto *qc, uint32_t version, const uint8_t *dcid,
			uint32_t dcid_len, struct quic_keys *k, bool server)
{
	const uint8_t *salt = version == QUIC_V1        ? salt_v1
			      : version == QUIC_V2      ? salt_v2
			      : version == QUIC_DRAFT29 ? salt_d29
							: NULL;
	bool v2 = version == QUIC_V2;
	uint8_t initial[32], client[32];
	int rc;

	if (!salt || !dcid_len || dcid_len > QUIC_CID_MAX)
		return -1;
	rc = hkdf(qc, EVP_PKEY_HKDEF_MODE_EXTRACT_ONLY, salt, 20, dcid, dcid_len, NULL, 0, initial,
		  32);
	rc = rc ? rc : expand_label(qc, initial, server ? "server in" : "client in", client, 32);
	rc = rc ? rc
		: expand_label(qc, client, v2 ? "quicv2 key" : "quic key", k->key, QUIC_KEY_LEN);
	rc = rc ? rc : expand_label(qc, client, v2 ? "quicv2 iv" : "quic iv", k->iv, QUIC_IV_LEN);
	rc = rc ? rc : expand_label(qc, client, v2 ? "quicv2 hp" : "quic hp", k->hp, QUIC_KEY_LEN);
	return rc;
}

int quic_initial_keys(uint32_t version, const uint8_t *dcid, uint32_t dcid_len, struct quic_keys *k)
{
	return initial_keys(NULL, version, dcid, dcid_len, k, false);
}

int quic_server_initial_keys(uint32_t version, const uint8_t *dcid, uint32_t dcid_len,
			     struct quic_keys *k)
{
	return initial_keys(NULL, version, dcid, dcid_len, k, true);
}

bool quic_varint(const uint8_t *buf, uint32_t len, uint32_t *pos, uint64_t *v)
{
	uint32_t n;
	uint64_t x;

	if (*pos >= len)
		return false;
	n = 1u << (buf[*pos] >> 6);
	if (len - *pos < n)
		return false;
	x = buf[*pos] & 0x3f;
	for (uint32_t i = 1; i < n; i++)
		x = x << 8 | buf[*pos + i];
	*pos += n;
	*v = x;
	return true;
}

/* Skip n varints; false when cut. */
static bool skip_varints(const uint8_t *p, uint32_t len, uint32_t *pos, int n)
{
	uint64_t v;

	while (n--)
		if (!quic_varint(p, len, pos, &v))
			return false;
	return true;
}

int quic_parse_frames(const uint8_t *p, uint32_t len, quic_crypto_cb cb, void *arg)
{
	uint32_t pos = 0;
	int n = 0;

	while (pos < len) {
		uint64_t type, a, b, c;

		if (!quic_varint(p, len, &pos, &type))
			return -1;
		switch (type) {
		case 0x00: /* PADDING: runs of zeros, skipped at once */
			while (pos < len && !p[pos])
				pos++;
			break;
		case 0x01: /* PING */
			break;
		case 0x02: /* ACK */
		case 0x03: /* ACK with ECN counts */
			if (!quic_varint(p, len, &pos, &a) || !quic_varint(p, len, &pos, &b) ||
			    !quic_varint(p, len, &pos, &c))
				return -1;
			/* c ranges of two varints, then the first range; bounded
			 * by the packet since each takes a byte at least. */
			if (c > len || !skip_varints(p, len, &pos, (int)(2 * c + 1)))
				return -1;
			if (type == 0x03 && !skip_varints(p, len, &pos, 3))
				return -1;
			break;
		case 0x06: /* CRYPTO */
			if (!quic_varint(p, len, &pos, &a) || !quic_varint(p, len, &pos, &b) ||
			    b > len - pos)
				return -1;
			n++;
			if (cb && cb(arg, a, p + pos, (uint32_t)b))
				return n;
			pos += (uint32_t)b;
			break;
		case 0x1c: /* CONNECTION_CLOSE (transport): code, frame type, reason */
		case 0x1d: /* (application; not allowed in Initial, read alike) */
			if (!quic_varint(p, len, &pos, &a) ||
			    (type == 0x1c && !quic_varint(p, len, &pos, &b)) ||
			    !quic_varint(p, len, &pos, &c) || c > len - pos)
				return -1;
			pos += (uint32_t)c;
			break;
		default:
			/* Not allowed in an Initial (RFC 9000 §12.4, Table 3):
			 * its length is unknown, so the packet ends here. */
			return -1;
		}
	}
	return n;
}

/* ---- the connection table ---- */

struct quic_table {
	struct quic_config cfg;
	struct quic_stats st;
	struct quic_conn **buckets; /* conn_hash chains, on hnext */
	struct quic_conn **tuples;  /* tuple_hash chains of newest connections, on tnext */
	uint32_t mask;
	uint32_t count;
	uint64_t k0, k1;
	uint64_t buffered;      /* reassembly bytes allocated by waiting connections */
	uint64_t tat;           /* new-connection bucket: packet time it is full again */
	bool limited;           /* the last quic_process() refused a new connection */
	struct list wait, done; /* age lists, on fl.age */
	struct quic_crypto cr;
	uint8_t *hdr;   /* unprotected header copy (AAD) */
	uint8_t *plain; /* plaintext of the packet */
};

/* Reassembly bytes all waiting connections may hold together. */
#define QUIC_BUDGET_BYTES (16u << 20)

static void crypto_free(struct quic_crypto *qc)
{
	EVP_CIPHER_CTX_free(qc->ecb);
	EVP_CIPHER_CTX_free(qc->gcm);
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	EVP_CIPHER_free(qc->ecb_c);
	EVP_CIPHER_free(qc->gcm_c);
	EVP_KDF_CTX_free(qc->kdf);
#endif
	memset(qc, 0, sizeof(*qc));
}

/* The contexts with their ciphers set: a packet only sets its key. */
static int crypto_init(struct quic_crypto *qc)
{
	const EVP_CIPHER *ecb = EVP_aes_128_ecb(), *gcm = EVP_aes_128_gcm();

	qc->ecb = EVP_CIPHER_CTX_new();
	qc->gcm = EVP_CIPHER_CTX_new();
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	{
		EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
		OSSL_PARAM p[2] = {
			OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
			OSSL_PARAM_construct_end(),
		};

		qc->ecb_c = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
		qc->gcm_c = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
		qc->kdf = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
		EVP_KDF_free(kdf); /* the context holds its own reference */
		/* Without them (a provider that lacks one), the implicit
		 * fetches and EVP_PKEY below still work, slower. */
		if (qc->kdf && EVP_KDF_CTX_set_params(qc->kdf, p) <= 0) {
			EVP_KDF_CTX_free(qc->kdf);
			qc->kdf = NULL;
		}
		if (qc->ecb_c)
			ecb = qc->ecb_c;
		if (qc->gcm_c)
			gcm = qc->gcm_c;
	}
#endif
	if (!qc->ecb || !qc->gcm || EVP_EncryptInit_ex(qc->ecb, ecb, NULL, NULL, NULL) <= 0 ||
	    EVP_CIPHER_CTX_set_padding(qc->ecb, 0) <= 0 ||
	    EVP_DecryptInit_ex(qc->gcm, gcm, NULL, NULL, NULL) <= 0 ||
	    EVP_CIPHER_CTX_ctrl(qc->gcm, EVP_CTRL_GCM_SET_IVLEN, QUIC_IV_LEN, NULL) <= 0) {
		crypto_free(qc);
		return -1;
	}
	return 0;
}

struct quic_table *quic_table_new(const struct quic_config *cfg, const uint8_t seed[16])
{
	struct quic_table *qt = calloc(1, sizeof(*qt));
	uint32_t nb = 1;

	if (!qt)
		return NULL;
	qt->cfg = *cfg;
	if (!qt->cfg.max_conns)
		qt->cfg.max_conns = 1;
	while (nb < qt->cfg.max_conns && nb < (1u << 24))
		nb <<= 1;
	qt->buckets = calloc(nb, sizeof(*qt->buckets));
	qt->tuples = calloc(nb, sizeof(*qt->tuples));
	qt->mask = nb - 1;
	memcpy(&qt->k0, seed, 8);
	memcpy(&qt->k1, seed + 8, 8);
	qt->hdr = malloc(65536);
	qt->plain = malloc(65536);
	if (!qt->buckets || !qt->tuples || crypto_init(&qt->cr) || !qt->hdr || !qt->plain) {
		quic_table_free(qt);
		return NULL;
	}
	return qt;
}

/* The oldest connection of an age list, or NULL. */
static struct quic_conn *oldest(struct list *l)
{
	return list_first(l, struct quic_conn, fl.age);
}

static struct list *list_of(struct quic_table *qt, struct quic_conn *c)
{
	return c->fl.state == FLOW_DONE ? &qt->done : &qt->wait;
}

/*
 * Two keyed hashes (SipHash-1-3 under the table's seed, so a client cannot
 * aim its connections at one chain):
 * - conn_hash: the connection's key, everything a server's routing of an
 *   Initial to a connection depends on (its DCID and version) and the
 *   client's address and the server's address and port, but not the
 *   client's port: a client whose port changes between its Initials (NAT
 *   rebinding, or on purpose) continues its connection, as servers, which
 *   route Initials by DCID (RFC 9000 §5.2), continue theirs. The client's
 *   address stays in: Initial keys come from the DCID alone, so anyone who
 *   sees it can forge Initials, and one from another address must not
 *   bring bytes into this client's hello (see conn_find()).
 * - tuple_hash: a 4-tuple and version, the chain of each 4-tuple's newest
 *   connection (the keys a later Initial to the server's connection ID is
 *   tried with).
 */
struct conn_hkey {
	uint8_t src[16], dst[16];
	uint16_t dport;
	uint8_t family, dcid_len;
	uint32_t version;
	uint8_t dcid[QUIC_CID_MAX];
};

static uint64_t conn_hash(const struct quic_table *qt, const struct flow_key *k, uint32_t version,
			  const uint8_t *dcid, uint32_t dcid_len)
{
	struct conn_hkey h;

	memset(&h, 0, sizeof(h));
	memcpy(h.src, k->src, 16);
	memcpy(h.dst, k->dst, 16);
	h.dport = k->dport;
	h.family = k->family;
	h.dcid_len = (uint8_t)dcid_len;
	h.version = version;
	memcpy(h.dcid, dcid, dcid_len);
	return siphash13(qt->k0, qt->k1, &h, sizeof(h));
}

static uint64_t tuple_hash(const struct quic_table *qt, const struct flow_key *k, uint32_t version)
{
	_Static_assert(sizeof(struct flow_key) == 40, "flow_key has no hole");
	return siphash13(qt->k0 ^ version, qt->k1, k, sizeof(*k));
}

/* Same client address, server address and port (the client's port aside). */
static bool same_ends(const struct flow_key *a, const struct flow_key *b)
{
	return a->family == b->family && a->dport == b->dport && !memcmp(a->src, b->src, 16) &&
	       !memcmp(a->dst, b->dst, 16);
}

/* Take c off its 4-tuple's newest chain, if it is on it. */
static void tuple_unlink(struct quic_table *qt, struct quic_conn *c)
{
	struct quic_conn **pp;

	if (!c->newest)
		return;
	pp = &qt->tuples[tuple_hash(qt, &c->fl.key, c->version) & qt->mask];
	while (*pp && *pp != c)
		pp = &(*pp)->tnext;
	if (*pp)
		*pp = c->tnext;
	c->tnext = NULL;
	c->newest = 0;
}

static void conn_free(struct quic_table *qt, struct quic_conn *c)
{
	uint64_t h = conn_hash(qt, &c->fl.key, c->version, c->dcid, c->dcid_len);
	struct quic_conn **pp = &qt->buckets[h & qt->mask];

	while (*pp && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = c->hnext;
	tuple_unlink(qt, c);
	list_del(list_of(qt, c), &c->fl.age);
	qt->buffered -= c->fl.reasm.cap;
	reasm_reset(&c->fl.reasm);
	free(c);
	qt->count--;
}

void quic_table_free(struct quic_table *qt)
{
	if (!qt)
		return;
	if (qt->buckets && qt->tuples) {
		while (qt->wait.head)
			conn_free(qt, oldest(&qt->wait));
		while (qt->done.head)
			conn_free(qt, oldest(&qt->done));
	}
	free(qt->buckets);
	free(qt->tuples);
	crypto_free(&qt->cr);
	free(qt->hdr);
	free(qt->plain);
	free(qt);
	reasm_trim(); /* the buffer allocator's spare chunk */
}

void quic_table_finish(struct quic_table *qt, struct quic_conn *c, uint64_t now)
{
	if (c->fl.state == FLOW_DONE)
		return;
	list_del(&qt->wait, &c->fl.age);
	qt->buffered -= c->fl.reasm.cap;
	reasm_reset(&c->fl.reasm);
	c->fl.state = FLOW_DONE;
	c->fl.created_ns = now; /* done connections age from completion */
	list_add_tail(&qt->done, &c->fl.age);
}

uint32_t quic_table_expire(struct quic_table *qt, uint64_t now)
{
	uint32_t n = 0;

	while (qt->wait.head && oldest(&qt->wait)->fl.created_ns + qt->cfg.timeout_ns <= now) {
		qt->st.timeouts++;
		conn_free(qt, oldest(&qt->wait));
		n++;
	}
	while (qt->done.head && oldest(&qt->done)->fl.created_ns + qt->cfg.timeout_ns <= now) {
		conn_free(qt, oldest(&qt->done));
		n++;
	}
	return n;
}

uint32_t quic_table_count(const struct quic_table *qt)
{
	return qt->count;
}

const struct quic_stats *quic_table_stats(const struct quic_table *qt)
{
	return &qt->st;
}

/* The newest connection of a 4-tuple and version (any DCID), or NULL: one
 * per 4-tuple and version is on the chain, so the walk is short however
 * many connections one address and port opened. */
static struct quic_conn *tuple_newest(struct quic_table *qt, const struct flow_key *key,
				      uint32_t version)
{
	for (struct quic_conn *c = qt->tuples[tuple_hash(qt, key, version) & qt->mask]; c;
	     c = c->tnext) {
		qt->st.chain_steps++;
		if (c->version == version && !memcmp(&c->fl.key, key, sizeof(*key)))
			return c;
	}
	return NULL;
}

static struct quic_conn *conn_new(struct quic_table *qt, const struct pkt_info *pi,
				  const struct flow_key *key, uint64_t now, uint32_t version,
				  const uint8_t *dcid, uint32_t dcid_len)
{
	struct quic_conn *c, **b, *prev;

	if (qt->count >= qt->cfg.max_conns) {
		/* Room: a finished connection first, else the oldest waiting one. */
		if (qt->done.head) {
			qt->st.evicted_done++;
			conn_free(qt, oldest(&qt->done));
		} else if (qt->wait.head) {
			qt->st.evicted++;
			conn_free(qt, oldest(&qt->wait));
		}
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		qt->st.nomem++;
		return NULL;
	}
	c->fl.key = *key;
	c->fl.created_ns = now;
	c->fl.first_byte_ns = now;
	c->fl.state = FLOW_WAIT_HELLO;
	c->fl.meta.ttl = pi->ttl;
	c->fl.meta.df = pi->df;
	c->fl.meta.ip_id = pi->ip_id;
	c->fl.meta.ip_total_len = pi->ip_total_len;
	memcpy(c->fl.meta.tunnel, pi->tunnel, sizeof(c->fl.meta.tunnel));
	c->version = version;
	c->dcid_len = (uint8_t)dcid_len;
	memcpy(c->dcid, dcid, dcid_len);
	reasm_init(&c->fl.reasm, 0);
	b = &qt->buckets[conn_hash(qt, key, version, dcid, dcid_len) & qt->mask];
	c->hnext = *b;
	*b = c;
	/* The 4-tuple's newest: it takes the place of the one before. */
	prev = tuple_newest(qt, key, version);
	if (prev)
		tuple_unlink(qt, prev);
	b = &qt->tuples[tuple_hash(qt, key, version) & qt->mask];
	c->tnext = *b;
	*b = c;
	c->newest = 1;
	list_add_tail(&qt->wait, &c->fl.age);
	qt->count++;
	qt->st.conns++;
	return c;
}

/* A new connection may be tried: take a token. GCRA on packet time, as
 * flow.c's bucket and the kernel program's bucket_take(). */
static bool bucket_take(struct quic_table *qt, uint64_t now)
{
	uint64_t interval, depth, t;

	if (!qt->cfg.limit_new || !qt->cfg.new_rate)
		return true;
	interval = 1000000000ULL / qt->cfg.new_rate;
	depth = (uint64_t)(qt->cfg.new_burst ? qt->cfg.new_burst : 1) * interval;
	if (qt->tat > now + depth) /* the clock stepped back */
		qt->tat = now + depth;
	t = qt->tat > now ? qt->tat : now;
	if (t - now + interval > depth)
		return false;
	qt->tat = t + interval;
	return true;
}

/* RFC 9000 §A.3: the full packet number nearest the one expected. */
static uint64_t decode_pn(int64_t largest, uint64_t truncated, uint32_t nbits)
{
	uint64_t expected = (uint64_t)(largest + 1), win = 1ULL << nbits, hwin = win / 2;
	uint64_t cand = (expected & ~(win - 1)) | truncated;

	if (cand + hwin <= expected && cand < (1ULL << 62) - win)
		return cand + win;
	if (cand > expected + hwin && cand >= win)
		return cand - win;
	return cand;
}

/*
 * Unprotect the Initial at pkt (pkt_len bytes, packet number at pn_off) with
 * k: header into qt->hdr, payload into qt->plain. 0, -1 when it does not
 * authenticate, UNPROTECT_RESERVED when it does but its reserved bits are
 * not zero: its server takes that for a protocol violation (RFC 9000
 * §17.2) and reads nothing of it.
 */
#define UNPROTECT_RESERVED (-2)

static int unprotect(struct quic_table *qt, const uint8_t *pkt, uint32_t pn_off, uint32_t pkt_len,
		     const struct quic_keys *k, int64_t largest, uint32_t *plain_len,
		     uint64_t *pn_out)
{
	uint8_t mask[32], nonce[QUIC_IV_LEN];
	uint32_t pn_len, hdr_len, ct_len;
	uint64_t pn = 0;
	int outl = 0, fin = 0;

	/* The sample is 16 bytes from 4 past the packet number's start. */
	if (pn_off + 4 + 16 > pkt_len)
		return -1;
	if (EVP_EncryptInit_ex(qt->cr.ecb, NULL, NULL, k->hp, NULL) <= 0 ||
	    EVP_EncryptUpdate(qt->cr.ecb, mask, &outl, pkt + pn_off + 4, 16) <= 0 || outl != 16)
		return -1;
	memcpy(qt->hdr, pkt, pn_off);
	qt->hdr[0] = pkt[0] ^ (mask[0] & 0x0f);
	pn_len = (qt->hdr[0] & 3) + 1;
	hdr_len = pn_off + pn_len;
	if (hdr_len + QUIC_TAG_LEN > pkt_len)
		return -1;
	for (uint32_t i = 0; i < pn_len; i++) {
		qt->hdr[pn_off + i] = pkt[pn_off + i] ^ mask[1 + i];
		pn = pn << 8 | qt->hdr[pn_off + i];
	}
	pn = decode_pn(largest, pn, 8 * pn_len);
	memcpy(nonce, k->iv, QUIC_IV_LEN);
	for (int i = 0; i < 8; i++)
		nonce[QUIC_IV_LEN - 1 - i] ^= (uint8_t)(pn >> (8 * i));
	ct_len = pkt_len - hdr_len - QUIC_TAG_LEN;
	if (EVP_DecryptInit_ex(qt->cr.gcm, NULL, NULL, k->key, nonce) <= 0 ||
	    EVP_DecryptUpdate(qt->cr.gcm, NULL, &outl, qt->hdr, (int)hdr_len) <= 0 ||
	    EVP_DecryptUpdate(qt->cr.gcm, qt->plain, &outl, pkt + hdr_len, (int)ct_len) <= 0 ||
	    EVP_CIPHER_CTX_ctrl(qt->cr.gcm, EVP_CTRL_GCM_SET_TAG, QUIC_TAG_LEN,
				(void *)(pkt + hdr_len + ct_len)) <= 0 ||
	    EVP_DecryptFinal_ex(qt->cr.gcm, qt->plain + outl, &fin) <= 0)
		return -1;
	*plain_len = (uint32_t)(outl + fin);
	*pn_out = pn;
	if (qt->hdr[0] & 0x0c) {
		qt->st.reserved_bits++;
		return UNPROTECT_RESERVED;
	}
	return 0;
}

/*
 * Whether packet number pn of c's Initial space is new, marking it seen.
 * A server discards a packet whose number it has processed (RFC 9000
 * §12.3), so its CRYPTO bytes must not count here either: a client could
 * otherwise send its hello's first bytes, then another hello's rest in a
 * packet of the same number, then the real rest, and show the sensor a
 * hello its server never read. Clients never reuse one (a retransmission
 * is a new packet). Within QUIC_PN_WINDOW of the largest every server
 * agrees; further below, servers differ (quiche and quinn keep a window of
 * about 128 and discard, ngtcp2 and quic-go keep ranges and read), and no
 * client sends one but to play them against each other: it is read, and
 * the record says hello_conflict (quic_pn_far).
 */
static bool pn_fresh(struct quic_table *qt, struct quic_conn *c, uint64_t pn)
{
	uint64_t d;

	if (!c->has_pn || pn > c->largest_pn) {
		d = c->has_pn ? pn - c->largest_pn : QUIC_PN_WINDOW;
		c->pn_seen = (d >= QUIC_PN_WINDOW ? 0 : c->pn_seen << d) | 1;
		c->largest_pn = pn;
		c->has_pn = 1;
		return true;
	}
	d = c->largest_pn - pn;
	if (d >= QUIC_PN_WINDOW) {
		qt->st.pn_far++;
		c->fl.conflict = 1;
		return true;
	}
	if (c->pn_seen >> d & 1) {
		qt->st.pn_repeated++;
		return false;
	}
	c->pn_seen |= (unsigned __int128)1 << d;
	return true;
}

struct crypto_arg {
	struct quic_table *qt;
	struct quic_conn *c;
	bool stop;
	bool added; /* bytes not held before went in */
};

static int on_crypto(void *arg, uint64_t off, const uint8_t *data, uint32_t len)
{
	struct crypto_arg *ca = arg;
	struct quic_table *qt = ca->qt;
	struct reasm *r = &ca->c->fl.reasm;
	struct reasm_limits lim = { .max_bytes = qt->cfg.max_bytes,
				    .max_segments = qt->cfg.max_segments };
	struct reasm_effects fx = { 0 };
	uint32_t cap = r->cap;

	qt->st.crypto_frames++;
	if (!len)
		return 0;
	/* Data no hello within the cap can need (check_hello() refuses a
	 * longer one): ignored, not the end of the connection, or a client
	 * could hide its hello behind one frame at a huge offset, which a
	 * server buffers or refuses (RFC 9000 §7.5) but never reads first. */
	if (off >= qt->cfg.max_bytes) {
		qt->st.byte_limit++;
		return 0;
	}
	/* A retransmission of final bytes: nothing to do, and not a segment
	 * against max_segments, or repeating the first byte of the stream
	 * max_segments times would end the connection without a record. */
	if (off + len <= r->contig) {
		qt->st.crypto_dup++;
		if (memcmp(r->buf + off, data, len)) {
			qt->st.crypto_conflict++;
			ca->c->fl.conflict = 1;
		}
		return 0;
	}
	switch (reasm_add(r, &lim, (uint32_t)off, data, len, &fx)) {
	case REASM_NEW_DATA:
		ca->added = true;
		break;
	case REASM_HELD:
		qt->st.out_of_order++;
		ca->added = true;
		break;
	case REASM_DUPLICATE:
	case REASM_OLD:
		qt->st.crypto_dup++;
		break;
	case REASM_SEGMENT_LIMIT:
		qt->st.packet_limit++;
		ca->stop = true;
		break;
	case REASM_BYTE_LIMIT: /* (not reached: off is below the cap) */
		qt->st.byte_limit++;
		break;
	case REASM_NOMEM:
		qt->st.nomem++;
		ca->stop = true;
		break;
	}
	/* Bytes at an offset changed (RFC 9000 §2.2: they MUST NOT; stacks
	 * differ in which copy they keep, some close the connection): the
	 * stream keeps the receiving TCP stack's choice (reasm.h). */
	qt->st.crypto_conflict += fx.conflict_bytes != 0;
	ca->c->fl.conflict |= fx.conflict_bytes != 0;
	qt->buffered += r->cap - cap;
	return ca->stop;
}

/* Keep the waiting connections' buffers under the budget, oldest first
 * (never keep: the connection being read). */
static void enforce_budget(struct quic_table *qt, const struct quic_conn *keep)
{
	while (qt->buffered > QUIC_BUDGET_BYTES && qt->wait.head && oldest(&qt->wait) != keep) {
		qt->st.evicted++;
		conn_free(qt, oldest(&qt->wait));
	}
}

enum hello_state { HS_WAIT, HS_DONE, HS_HELLO };

/* Whether the CRYPTO stream of c now holds a whole ClientHello. */
static enum hello_state check_hello(struct quic_table *qt, struct quic_conn *c,
				    struct quic_hello *out)
{
	const struct reasm *r = &c->fl.reasm;
	uint32_t body;

	if (r->contig < 1)
		return HS_WAIT;
	if (r->buf[0] != 1) { /* handshake type ClientHello */
		qt->st.not_hello++;
		return HS_DONE;
	}
	if (r->contig < 4)
		return HS_WAIT;
	body = (uint32_t)r->buf[1] << 16 | (uint32_t)r->buf[2] << 8 | r->buf[3];
	if (body > HELLO_MAX_BODY || body + 4 > qt->cfg.max_bytes) {
		qt->st.too_big++;
		return HS_DONE;
	}
	if (r->contig < body + 4)
		return HS_WAIT;
	out->conn = c;
	out->msg = r->buf;
	out->msg_len = body + 4;
	return HS_HELLO;
}

/* What one datagram's packets share: every packet after the first must
 * have its DCID (RFC 9000 §12.2), so keys derived from it serve them all. */
struct dgram {
	const struct pkt_info *pi;
	const struct flow_key *key;
	uint64_t now;
	uint32_t version; /* of the first Initial, 0 before it */
	uint8_t dcid_len;
	bool derived;       /* k holds the keys of (version, dcid) */
	bool token;         /* the Initial being read has a token */
	bool limited;       /* a new connection was refused: no token, or QUIC_HELD */
	unsigned int flags; /* quic_process()'s */
	uint8_t dcid[QUIC_CID_MAX];
	struct quic_keys k;
};

/*
 * The connection of this version and DCID, from the client's address to
 * the server's address and port, whatever the client's port: at most one
 * (an Initial that finds it never makes another). The client's address
 * must match: Initial keys are public (RFC 9001 §5.2: from the DCID
 * alone), so anyone on the path who sees a client's DCID can forge its
 * Initials; servers do take them (they route by DCID), but from another
 * address they start a connection of their own here, under that address,
 * which never holds this client's bytes, and whose record, if its bytes
 * make a hello, names the address that sent them. One who forges the
 * client's address as well could as well forge its port: letting the port
 * change adds nothing to what such a sender can do to the stream (the
 * policy for bytes that differ is reasm.h's, as for any retransmission).
 */
static struct quic_conn *conn_find(struct quic_table *qt, const struct flow_key *key,
				   uint32_t version, const uint8_t *dcid, uint32_t dcid_len)
{
	for (struct quic_conn *c =
		     qt->buckets[conn_hash(qt, key, version, dcid, dcid_len) & qt->mask];
	     c; c = c->hnext) {
		qt->st.chain_steps++;
		if (c->version == version && c->dcid_len == dcid_len &&
		    !memcmp(c->dcid, dcid, dcid_len) && same_ends(&c->fl.key, key))
			return c;
	}
	return NULL;
}

/*
 * A new connection for an authentic Initial of a new DCID (keys in dg->k).
 * An Initial with a token on a 4-tuple that has a connection (newest, the
 * 4-tuple's newest of this version) is the client's start over after the
 * server's Retry (RFC 9000 §8.1.2): a Retry means the server kept nothing
 * of the first attempt, so it is the same client connection: when the
 * first attempt's hello was recorded its sum is kept, and the start over
 * gives no second record if it repeats that hello (initial()); a first
 * attempt still waiting is left alone. Only the hello is compared, not
 * taken on trust: a token is the client's to send (servers ignore one
 * they cannot validate), so a client that sent one hello and then another
 * with a token would otherwise hide the one its server read.
 */
static struct quic_conn *conn_start(struct quic_table *qt, struct dgram *dg,
				    struct quic_conn *newest, uint32_t version, const uint8_t *dcid,
				    uint32_t dcid_len)
{
	struct quic_conn *c;
	bool recorded = false, prior = false;
	uint64_t prior_sum = 0;

	/* A waiting first attempt is left to finish or time out: the token
	 * is the client's to send, so freeing it would let a client drop its
	 * own hello from the sensor while a server that sent no Retry goes on
	 * reading it. After a real Retry it never finishes (its server kept
	 * nothing) and times out. */
	if (dg->token && newest) {
		qt->st.retried++;
		recorded = newest->fl.state == FLOW_DONE;
		if (recorded) {
			prior = newest->has_sum;
			prior_sum = newest->hello_sum;
		}
	}
	/* No bound per 4-tuple: each connection has a chain place of its own
	 * (its DCID is in the hash), so one address and port opening
	 * thousands costs each packet no more, and a bound would let a client
	 * push its own waiting connection out with a few Initials of other
	 * DCIDs between two of its hello's, while its server, which keys
	 * connections by DCID, reads the hello. The table's size, the
	 * reassembly budget, the timeout and the new-connection buckets
	 * (kernel and pcap mode) bound them all. (conn_new()'s eviction may
	 * free newest: not used after.) */
	c = conn_new(qt, dg->pi, dg->key, dg->now, version, dcid, dcid_len);
	if (!c)
		return NULL;
	c->keys = dg->k;
	c->has_prior = prior;
	c->prior_sum = prior_sum;
	return c;
}

/*
 * Find the connection of an authentic Initial with this DCID, trying in
 * turn: the connection of this DCID from the client's address (conn_find:
 * the 4-tuple's, or one begun from another port of the client), the
 * newest one of the 4-tuple (a client's Initials after the server's first
 * one go to the server's connection ID under the original keys), and keys
 * derived from the DCID (a new connection; derived once a datagram). On
 * success the plaintext is in qt->plain; NULL also for a connection whose
 * hello was handed out.
 */
static struct quic_conn *find_conn(struct quic_table *qt, struct dgram *dg, uint32_t version,
				   const uint8_t *dcid, uint32_t dcid_len, const uint8_t *pkt,
				   uint32_t pn_off, uint32_t pkt_len, uint32_t *plain_len,
				   bool *later)
{
	struct quic_conn *c, *newest = NULL;
	uint64_t pn;
	int rc = -1;

	c = conn_find(qt, dg->key, version, dcid, dcid_len);
	if (c) {
		if (c->fl.state == FLOW_DONE) {
			qt->st.after_done++;
			return NULL;
		}
		rc = unprotect(qt, pkt, pn_off, pkt_len, &c->keys,
			       c->has_pn ? (int64_t)c->largest_pn : -1, plain_len, &pn);
		if (rc == UNPROTECT_RESERVED) {
			/* its server closes the connection (PROTOCOL_VIOLATION):
			 * no hello of it is read */
			quic_table_finish(qt, c, dg->now);
			return NULL;
		}
		if (rc) {
			qt->st.decrypt_failed++;
			return NULL;
		}
		qt->st.port_changed += c->fl.key.sport != dg->key->sport;
	} else if ((newest = tuple_newest(qt, dg->key, version)) &&
		   (rc = unprotect(qt, pkt, pn_off, pkt_len, &newest->keys,
				   newest->has_pn ? (int64_t)newest->largest_pn : -1, plain_len,
				   &pn)) != -1) {
		qt->st.later_initials++;
		if (newest->fl.state == FLOW_DONE) {
			qt->st.after_done++;
			return NULL;
		}
		/* Authentic, reserved bits set: discarded. Under another DCID
		 * the packet may be one its server never routes to the
		 * connection (any DCID the client makes up opens with these
		 * keys): it does not end the connection, nor is its packet
		 * number taken as read (pn_fresh() is for the connection's own
		 * DCID), or such a packet could keep the real one out. */
		if (rc)
			return NULL;
		*later = true;
		c = newest;
	} else {
		if ((dg->flags & QUIC_HELD) ||
		    (!(dg->flags & (QUIC_KEPT | QUIC_PROVEN)) && !bucket_take(qt, dg->now))) {
			qt->st.limited++;
			dg->limited = true;
			return NULL;
		}
		if (!dg->derived && initial_keys(&qt->cr, version, dcid, dcid_len, &dg->k, false)) {
			qt->st.decrypt_failed++;
			return NULL;
		}
		dg->derived = true;
		rc = unprotect(qt, pkt, pn_off, pkt_len, &dg->k, -1, plain_len, &pn);
		if (rc) {
			qt->st.decrypt_failed += rc != UNPROTECT_RESERVED;
			return NULL;
		}
		c = conn_start(qt, dg, newest, version, dcid, dcid_len);
		if (!c)
			return NULL;
		/* Its client named the server's connection ID: the QUIC
		 * counterpart of a hello that acknowledged the server's ISN. */
		c->fl.has_synack = (dg->flags & QUIC_PROVEN) != 0;
	}
	if (!*later && !pn_fresh(qt, c, pn))
		return NULL;
	if (c->fl.state == FLOW_DONE) {
		qt->st.after_done++;
		return NULL;
	}
	return c;
}

/* One Initial packet: decrypt, read its frames. */
static bool initial(struct quic_table *qt, struct dgram *dg, uint32_t version, const uint8_t *dcid,
		    uint32_t dcid_len, const uint8_t *pkt, uint32_t pn_off, uint32_t pkt_len,
		    struct quic_hello *out)
{
	struct crypto_arg ca = { .qt = qt };
	uint64_t now = dg->now;
	uint32_t plain_len, contig;
	bool later = false;
	struct quic_conn *c = find_conn(qt, dg, version, dcid, dcid_len, pkt, pn_off, pkt_len,
					&plain_len, &later);

	if (!c)
		return false;
	qt->st.decrypted++;
	/* The fixed bit clear (not under header protection), which
	 * quic_process() let through only under a token: a server that has a
	 * client grease the bit reads it, one that has not discards it (RFC
	 * 9287): read, and the record says so. */
	if (!(pkt[0] & 0x40)) {
		qt->st.greased++;
		c->fl.conflict = 1;
	}
	ca.c = c;
	contig = c->fl.reasm.contig;
	if (quic_parse_frames(qt->plain, plain_len, on_crypto, &ca) < 0)
		qt->st.frames_bad++; /* the CRYPTO frames before the bad one count */
	/* Hello bytes under another DCID are read (a client that lost part
	 * of its hello after its server's first Initial sends it again to
	 * the server's connection ID), and are not flagged: that would flag
	 * records of lossy paths; one under a DCID the client made up is left
	 * open (reliability.md, "QUIC connections by DCID"). */
	qt->st.later_crypto += later && ca.added;
	enforce_budget(qt, c);
	if (ca.stop) {
		quic_table_finish(qt, c, now);
		return false;
	}
	/* Only packets that add nothing in order count: a hello sent a few
	 * bytes an Initial, which a server reads, is bounded by the byte cap
	 * (and the timeout), not cut off after QUIC_MAX_PACKETS. */
	if (c->fl.reasm.contig == contig && ++c->packets > QUIC_MAX_PACKETS) {
		qt->st.packet_limit++;
		quic_table_finish(qt, c, now);
		return false;
	}
	switch (check_hello(qt, c, out)) {
	case HS_WAIT:
		return false;
	case HS_DONE:
		quic_table_finish(qt, c, now);
		return false;
	case HS_HELLO:
		c->hello_sum = siphash13(qt->k0, qt->k1, out->msg, out->msg_len);
		c->has_sum = 1;
		if (c->has_prior && c->hello_sum == c->prior_sum) {
			qt->st.retried_same++;
			quic_table_finish(qt, c, now);
			return false;
		}
		qt->st.hellos++;
		return true;
	}
	return false;
}

static bool datagram(struct quic_table *qt, struct dgram *dg, struct quic_hello *out);

uint32_t quic_initial_len(const uint8_t *p, uint32_t len, uint32_t *pn_off)
{
	struct quic_ids ids;
	uint32_t pos;
	uint64_t tok, plen;

	if (!quic_initial_ids(p, len, &ids))
		return 0;
	pos = 7u + ids.dcid_len + ids.scid_len;
	if (!quic_varint(p, len, &pos, &tok) || tok > len - pos)
		return 0;
	pos += (uint32_t)tok;
	if (!quic_varint(p, len, &pos, &plen) || plen > len - pos || plen < 20)
		return 0;
	*pn_off = pos;
	return pos + (uint32_t)plen;
}

bool quic_table_answers(struct quic_table *qt, const uint8_t *srv, uint32_t len,
			const uint8_t *dcid, uint8_t dcid_len)
{
	struct quic_keys k;
	uint32_t pn_off, pkt_len = quic_initial_len(srv, len, &pn_off), plain_len;
	uint64_t pn;
	int rc;

	if (!pkt_len || initial_keys(&qt->cr, rd32(srv + 1), dcid, dcid_len, &k, true))
		return false;
	rc = unprotect(qt, srv, pn_off, pkt_len, &k, -1, &plain_len, &pn);
	if (rc == UNPROTECT_RESERVED)
		qt->st.reserved_bits--; /* a client's count: the server's is not one */
	return rc == 0 || rc == UNPROTECT_RESERVED;
}

bool quic_table_limited(const struct quic_table *qt)
{
	return qt->limited;
}

bool quic_process(struct quic_table *qt, const struct pkt_info *pi, uint64_t now,
		  unsigned int flags, struct quic_hello *out)
{
	struct flow_key key;
	struct dgram dg = { .pi = pi, .key = &key, .now = now, .flags = flags };
	bool hello;

	/* A kept datagram read again after its proof (QUIC_PROVEN) was
	 * counted when it came. */
	if (!(flags & QUIC_PROVEN))
		qt->st.datagrams++;
	flow_key_from_pkt(pi, &key);
	hello = datagram(qt, &dg, out);
	qt->limited = dg.limited;
	return hello;
}

/* quic_process() of the datagram dg. */
static bool datagram(struct quic_table *qt, struct dgram *dg, struct quic_hello *out)
{
	const struct pkt_info *pi = dg->pi;
	const uint8_t *d = pi->payload;
	uint32_t n = pi->payload_len, off = 0;

	while (off < n) {
		const uint8_t *p = d + off;
		uint32_t len = n - off, pos, dcid_len, scid_len, pn_off, pkt_len;
		uint64_t tok = 0, plen;
		uint32_t version;
		bool other, bad_bit;
		int type;

		if (!(p[0] & 0x80)) {
			/* Short header, or the zero padding some stacks put after
			 * coalesced packets: nothing more to read. */
			if (!off)
				qt->st.short_header += (p[0] & 0x40) != 0;
			if (!off && !(p[0] & 0x40))
				qt->st.not_quic++;
			return false;
		}
		if (len < 7) {
			qt->st.not_quic++;
			return false;
		}
		version = rd32(p + 1);
		if (!quic_version_known(version)) {
			qt->st.unknown_version++;
			return false;
		}
		dcid_len = p[5];
		if (dcid_len > QUIC_CID_MAX || 6 + dcid_len + 1 > len) {
			qt->st.malformed++;
			return false;
		}
		scid_len = p[6 + dcid_len];
		pos = 7 + dcid_len + scid_len;
		if (scid_len > QUIC_CID_MAX || pos > len) {
			qt->st.malformed++;
			return false;
		}
		/* Coalesced packets belong to the first one's connection: one
		 * with another DCID or version is not its (RFC 9000 §12.2:
		 * receivers SHOULD ignore it), and is not decrypted, else each
		 * could cost a key derivation: ~1,700 in one 64 KiB datagram. */
		if (!dg->version) {
			dg->version = version;
			dg->dcid_len = (uint8_t)dcid_len;
			memcpy(dg->dcid, p + 6, dcid_len);
		}
		other = version != dg->version || dcid_len != dg->dcid_len ||
			memcmp(p + 6, dg->dcid, dcid_len);
		type = long_type(version, p[0]);
		if (type == LT_RETRY) { /* no length: it ends the datagram */
			qt->st.other_long++;
			return false;
		}
		if (type == LT_INITIAL && (!quic_varint(p, len, &pos, &tok) || tok > len - pos)) {
			qt->st.malformed++;
			return false;
		}
		if (type == LT_INITIAL)
			pos += (uint32_t)tok;
		/* The fixed bit: a packet without it is not one of this version
		 * and servers discard it (RFC 9000 §17.2), unless its client
		 * greases the bit, which it may only in an Initial with a token
		 * of its server's (RFC 9287 §3.1; a server that took part reads
		 * it: initial()). */
		bad_bit = !(p[0] & 0x40) && !(type == LT_INITIAL && tok);
		if (!quic_varint(p, len, &pos, &plen) || plen > len - pos) {
			/* The kernel sends a client's Handshake packets cut to
			 * their header (quic_hold.h): not malformed. */
			if (type != LT_INITIAL && pi->payload_len < pi->payload_wire)
				qt->st.other_long++;
			else
				qt->st.malformed++;
			return false;
		}
		pn_off = pos;
		pkt_len = pos + (uint32_t)plen;
		off += pkt_len;
		if (type != LT_INITIAL) {
			qt->st.other_long++;
			continue;
		}
		if (bad_bit) {
			qt->st.fixed_bit++;
			continue;
		}
		if (other) {
			qt->st.malformed++;
			continue;
		}
		/* A server discards an Initial in a datagram under 1200 bytes
		 * (RFC 9000 §14.1; clients pad every one): its hello reaches no
		 * server, so it makes no record. */
		if (pi->payload_wire < QUIC_MIN_DATAGRAM) {
			qt->st.small_datagram++;
			return false;
		}
		if (!(dg->flags & QUIC_PROVEN))
			qt->st.initials++;
		dg->token = tok != 0;
		if (initial(qt, dg, version, p + 6, dcid_len, p, pn_off, pkt_len, out))
			return true;
	}
	return false;
}
