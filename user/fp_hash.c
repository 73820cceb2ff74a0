// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Hashes for the fingerprints, through OpenSSL EVP with the digests fetched
 * once. MD5 (JA3 only, not a security use) is fetched with "-fips" so a host
 * in FIPS mode still gives JA3 from the default provider; where no provider
 * has MD5 at all, a small RFC 1321 implementation takes over.
 * OpenSSL 1.1.1 (el8) has no fetching: the built-in digests, MD5 allowed
 * on the context where a FIPS build knows the flag, the same fallback.
 *
 * Each digest keeps a context initialised once (the template) and a working
 * context that every hash starts as a copy of (EVP_MD_CTX_copy_ex), rather
 * than one context re-initialised with EVP_DigestInit_ex2 per hash: in
 * OpenSSL 3.0 every init frees the provider's context, asks the ENGINE
 * table for the digest and allocates a new one, whatever the context held
 * before (crypto/evp/digest.c, evp_md_init_internal), ~570 instructions; a
 * copy duplicates the provider context without the engine lookup or the
 * digest's init, ~460. Measured with cachegrind: ~330 instructions less per
 * hello (two SHA-256 and an MD5). OpenSSL 1.1.1 copies into the working
 * context's own buffer when the digest is the same.
 *
 * A sensor hashes the same strings all day: the JA4 lists of the few
 * browser and library versions its clients run (86 distinct hellos in the
 * bench's 4,000 flows; a site's traffic is much the same). So each digest
 * keeps the last strings it hashed, up to MEMO_KEY_MAX bytes, in a direct-
 * mapped table (struct memo_slot): a string found there, compared byte for
 * byte, gives its stored digest without EVP (~300 instructions for ~4,000
 * to ~9,000 a hash under valgrind; natively EVP's per-hash overhead alone
 * is ~1,500). A miss costs the slot's hash and compare on top of the
 * digest. Strings an attacker makes unique only miss; longer strings (a
 * hostile hello's thousands of values) are not kept.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <openssl/evp.h>
#include "fp.h"

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
typedef EVP_MD fp_md;
#define md_sha256()        EVP_MD_fetch(NULL, "SHA256", NULL)
#define md_md5()           EVP_MD_fetch(NULL, "MD5", "-fips")
#define md_free(md)        EVP_MD_free(md)
#define digest_init(c, md) EVP_DigestInit_ex2(c, md, NULL)
#else
typedef const EVP_MD fp_md;
#define md_sha256()        EVP_sha256()
#define md_md5()           EVP_md5()
#define md_free(md)        ((void)(md))
#define digest_init(c, md) EVP_DigestInit_ex(c, md, NULL)
#endif

/* The memo: MEMO_SLOTS strings of up to MEMO_KEY_MAX bytes a digest (a
 * typical JA3 string is 150-350 bytes, a JA4 list under 250), allocated at
 * the first hash, ~0.6 MiB of address space of which only the slots used
 * are touched. */
#define MEMO_SLOTS   1024
#define MEMO_KEY_MAX 512

struct memo_slot {
	uint32_t len; /* 0: empty */
	uint8_t d[16];
	char key[MEMO_KEY_MAX];
};

/* A digest's template (initialised, never updated) and working context. */
struct fp_digest {
	EVP_MD_CTX *init;
	EVP_MD_CTX *work;
	struct memo_slot *memo;
};

struct fp_hash {
	fp_md *sha256;
	fp_md *md5; /* NULL: built-in MD5 */
	struct fp_digest dsha256, dmd5;
	uint64_t seed; /* of the memo's slot hash */
	struct fp_hash_stats st;
};

static int digest(struct fp_digest *d, const char *s, size_t len, uint8_t *out);

static void to_hex(const uint8_t *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = fp_hex_digit(in[i] >> 4);
		out[2 * i + 1] = fp_hex_digit(in[i] & 15);
	}
	out[2 * n] = '\0';
}

static void digest_free(struct fp_digest *d)
{
	EVP_MD_CTX_free(d->init);
	EVP_MD_CTX_free(d->work);
	free(d->memo);
}

/* Template and working context of md; 0 or -EIO (the library refuses md). */
static int digest_new(struct fp_digest *d, const EVP_MD *md)
{
	d->init = EVP_MD_CTX_new();
	d->work = EVP_MD_CTX_new();
	if (!d->init || !d->work)
		return -ENOMEM;
#if OPENSSL_VERSION_NUMBER < 0x30000000L && defined(EVP_MD_CTX_FLAG_NON_FIPS_ALLOW)
	EVP_MD_CTX_set_flags(d->init, EVP_MD_CTX_FLAG_NON_FIPS_ALLOW);
#endif
	return digest_init(d->init, md) ? 0 : -EIO;
}

struct fp_hash *fp_hash_new(void)
{
	struct fp_hash *h = calloc(1, sizeof(*h));
	char warm[33];

	if (!h)
		return NULL;
	/* The slot a string takes need not be secret (a miss is only a
	 * miss); seeded so that it differs from run to run all the same. */
	if (getrandom(&h->seed, sizeof(h->seed), GRND_NONBLOCK) != sizeof(h->seed))
		h->seed = (uint64_t)(uintptr_t)h;
	h->sha256 = md_sha256();
	h->md5 = md_md5();
	if (!h->sha256 || digest_new(&h->dsha256, h->sha256) ||
	    fp_sha256_hex12(h, "warm", 4, warm)) {
		fp_hash_free(h);
		errno = ENOSYS;
		return NULL;
	}
	/* The first digest initialises provider state (tens of ms): done now,
	 * not while the first burst of connections fills the capture ring. An
	 * MD5 the library refuses (FIPS) is the built-in one from here on. */
	if (h->md5 &&
	    (digest_new(&h->dmd5, h->md5) || digest(&h->dmd5, "warm", 4, (uint8_t *)warm))) {
		digest_free(&h->dmd5);
		h->dmd5 = (struct fp_digest){ 0 };
		md_free(h->md5);
		h->md5 = NULL;
	}
	h->st = (struct fp_hash_stats){ 0 }; /* the warm-ups are not the sensor's */
	return h;
}

void fp_hash_free(struct fp_hash *h)
{
	if (!h)
		return;
	digest_free(&h->dsha256);
	digest_free(&h->dmd5);
	md_free(h->sha256);
	md_free(h->md5);
	free(h);
}

bool fp_hash_md5_builtin(const struct fp_hash *h)
{
	return !h->md5;
}

const struct fp_hash_stats *fp_hash_get_stats(const struct fp_hash *h)
{
	return &h->st;
}

/* The memo slot of s: a multiply-xorshift of its 8-byte words, ~0.5
 * instructions a byte (equality is memcmp's, below). Not siphash.h's
 * SipHash-1-3, ~4 times as many: the slot need not be secret, a string
 * aimed at one only evicts, and the digest is never taken on the hash. */
static uint32_t memo_index(uint64_t seed, const char *s, size_t len)
{
	uint64_t x = seed ^ len, w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		x = (x ^ w) * 0x9e3779b97f4a7c15ULL;
		x ^= x >> 29;
	}
	w = 0;
	memcpy(&w, s + i, len - i);
	x = (x ^ w) * 0x9e3779b97f4a7c15ULL;
	return (uint32_t)(x >> 40) & (MEMO_SLOTS - 1);
}

/*
 * The digest of s into out (room for the whole digest; n bytes of it are
 * kept), from d's memo where s was hashed before; else computed (EVP, or
 * the built-in MD5 where d is the MD5 no provider has) and kept. 0 or -EIO.
 */
static int memo_digest(struct fp_hash *h, struct fp_digest *d, const char *s, size_t len,
		       uint8_t *out, size_t n)
{
	struct memo_slot *m = NULL;

	if (len && len <= MEMO_KEY_MAX) { /* len 0 marks an empty slot */
		if (!d->memo)
			d->memo = calloc(MEMO_SLOTS, sizeof(*d->memo));
		if (d->memo) {
			m = &d->memo[memo_index(h->seed, s, len)];
			if (m->len == len && !memcmp(m->key, s, len)) {
				memcpy(out, m->d, n);
				h->st.reused++;
				return 0;
			}
		}
	}
	if (h->md5 || d != &h->dmd5) {
		if (digest(d, s, len, out))
			return -EIO;
	} else {
		fp_md5_builtin(s, len, out);
	}
	h->st.computed++;
	if (m) {
		m->len = (uint32_t)len;
		memcpy(m->key, s, len);
		memcpy(m->d, out, n);
	}
	return 0;
}

static int digest(struct fp_digest *d, const char *s, size_t len, uint8_t *out)
{
	unsigned int n;

	if (!EVP_MD_CTX_copy_ex(d->work, d->init) || !EVP_DigestUpdate(d->work, s, len) ||
	    !EVP_DigestFinal_ex(d->work, out, &n))
		return -EIO;
	return 0;
}

int fp_sha256_hex12(struct fp_hash *h, const char *s, size_t len, char out[13])
{
	uint8_t d[32];

	if (!len) {
		memcpy(out, "000000000000", 13);
		return 0;
	}
	/* 6 bytes kept of the 32: the 12 hex digits */
	if (memo_digest(h, &h->dsha256, s, len, d, 6))
		return -EIO;
	to_hex(d, 6, out);
	return 0;
}

int fp_md5_hex(struct fp_hash *h, const char *s, size_t len, char out[33])
{
	uint8_t d[16];

	if (memo_digest(h, &h->dmd5, s, len, d, 16))
		return -EIO;
	to_hex(d, 16, out);
	return 0;
}

/* RFC 1321 MD5, used only where no EVP provider offers MD5. */
static const uint32_t md5_k[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
	0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
	0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
	0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
	0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
	0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
	0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
	0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
	0xeb86d391,
};
static const uint8_t md5_r[64] = {
	7,  12, 17, 22, 7,  12, 17, 22, 7,  12, 17, 22, 7,  12, 17, 22, 5,  9,  14, 20, 5,  9,
	14, 20, 5,  9,  14, 20, 5,  9,  14, 20, 4,  11, 16, 23, 4,  11, 16, 23, 4,  11, 16, 23,
	4,  11, 16, 23, 6,  10, 15, 21, 6,  10, 15, 21, 6,  10, 15, 21, 6,  10, 15, 21,
};

static void md5_block(uint32_t st[4], const uint8_t *p)
{
	uint32_t m[16], a = st[0], b = st[1], c = st[2], d = st[3];

	for (int i = 0; i < 16; i++)
		m[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
		       (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
	for (int i = 0; i < 64; i++) {
		uint32_t f, g, t;

		if (i < 16) {
			f = (b & c) | (~b & d);
			g = (uint32_t)i;
		} else if (i < 32) {
			f = (d & b) | (~d & c);
			g = (5u * (uint32_t)i + 1) % 16;
		} else if (i < 48) {
			f = b ^ c ^ d;
			g = (3u * (uint32_t)i + 5) % 16;
		} else {
			f = c ^ (b | ~d);
			g = (7u * (uint32_t)i) % 16;
		}
		t = d;
		d = c;
		c = b;
		f += a + md5_k[i] + m[g];
		b += (f << md5_r[i]) | (f >> (32 - md5_r[i]));
		a = t;
	}
	st[0] += a;
	st[1] += b;
	st[2] += c;
	st[3] += d;
}

void fp_md5_builtin(const void *data, size_t len, uint8_t digest_out[16])
{
	uint32_t st[4] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476 };
	const uint8_t *p = data;
	uint8_t tail[128] = { 0 };
	uint64_t bits = (uint64_t)len * 8;
	size_t full = len / 64 * 64, rest = len - full, tlen;

	for (size_t off = 0; off < full; off += 64)
		md5_block(st, p + off);
	memcpy(tail, p + full, rest);
	tail[rest] = 0x80;
	tlen = rest < 56 ? 64 : 128;
	for (int i = 0; i < 8; i++)
		tail[tlen - 8 + i] = (uint8_t)(bits >> (8 * i));
	for (size_t off = 0; off < tlen; off += 64)
		md5_block(st, tail + off);
	for (int i = 0; i < 16; i++)
		digest_out[i] = (uint8_t)(st[i / 4] >> (8 * (i % 4)));
}
