/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Test-only: protect a client Initial packet as a QUIC client does (RFC
 * 9001 §5), so the unit tests and the fuzzer can make Initials of any
 * version, packet number and frame content for user/quic.c to read back.
 * The RFC 9001 Appendix A vectors check this sealer and the reader against
 * the RFC; the rest of the tests use it for what no vector covers.
 */
#ifndef J4S_TEST_QUIC_SEAL_H
#define J4S_TEST_QUIC_SEAL_H

#include <string.h>
#include <sys/socket.h>
#include <openssl/evp.h>
#include "abi.h"
#include "quic.h"

/* Initial of version with dcid and scid in its header and the given keys
 * (a client's later Initials go to the server's CID under the keys of its
 * first DCID; a server's are sealed with the server keys), token, packet
 * number pn in pn_len bytes, payload frames (padded with PADDING to at
 * least min_payload bytes) into out. Returns the packet length, or 0. */
static inline uint32_t quic_seal_scid(uint32_t version, const struct quic_keys *keys,
				      const uint8_t *dcid, uint8_t dcid_len, const uint8_t *scid,
				      uint8_t scid_len, const uint8_t *token, uint8_t token_len,
				      uint64_t pn, uint32_t pn_len, const uint8_t *frames,
				      uint32_t frames_len, uint32_t min_payload, uint8_t *out,
				      uint32_t cap)
{
	struct quic_keys k = *keys;
	uint32_t plen = frames_len < min_payload ? min_payload : frames_len;
	uint32_t n = 0, pn_off, hdr_len, ct_len = plen;
	uint8_t type = version == QUIC_V2 ? 1 : 0;
	uint8_t nonce[QUIC_IV_LEN], mask[32];
	EVP_CIPHER_CTX *c;
	int outl = 0, ok;

	if (pn_len < 1 || pn_len > 4)
		return 0;
	/* The sample needs 4 + 16 bytes after the packet number's start. */
	if (pn_len + plen < 4)
		plen = ct_len = 4 - pn_len;
	if (7 + dcid_len + scid_len + 1 + token_len + 2 + pn_len + plen + QUIC_TAG_LEN > cap ||
	    plen + pn_len + 16 > 0x3fff || token_len > 63)
		return 0;
	out[n++] = (uint8_t)(0xc0 | type << 4 | (pn_len - 1));
	out[n++] = (uint8_t)(version >> 24);
	out[n++] = (uint8_t)(version >> 16);
	out[n++] = (uint8_t)(version >> 8);
	out[n++] = (uint8_t)version;
	out[n++] = dcid_len;
	if (dcid_len)
		memcpy(out + n, dcid, dcid_len);
	n += dcid_len;
	out[n++] = scid_len;
	if (scid_len)
		memcpy(out + n, scid, scid_len);
	n += scid_len;
	out[n++] = token_len; /* a 1-byte varint */
	if (token_len)
		memcpy(out + n, token, token_len);
	n += token_len;
	out[n++] = (uint8_t)(0x40 | (pn_len + plen + QUIC_TAG_LEN) >> 8);
	out[n++] = (uint8_t)(pn_len + plen + QUIC_TAG_LEN);
	pn_off = n;
	for (uint32_t i = 0; i < pn_len; i++)
		out[n++] = (uint8_t)(pn >> (8 * (pn_len - 1 - i)));
	hdr_len = n;
	memcpy(nonce, k.iv, QUIC_IV_LEN);
	for (int i = 0; i < 8; i++)
		nonce[QUIC_IV_LEN - 1 - i] ^= (uint8_t)(pn >> (8 * i));
	{
		uint8_t plain[0x4000];

		memset(plain, 0, plen);
		memcpy(plain, frames, frames_len);
		c = EVP_CIPHER_CTX_new();
		ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, k.key, nonce) > 0 &&
		     EVP_EncryptUpdate(c, NULL, &outl, out, (int)hdr_len) > 0 &&
		     EVP_EncryptUpdate(c, out + hdr_len, &outl, plain, (int)ct_len) > 0 &&
		     EVP_EncryptFinal_ex(c, out + hdr_len + outl, &outl) > 0 &&
		     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, QUIC_TAG_LEN,
					 out + hdr_len + ct_len) > 0;
		EVP_CIPHER_CTX_free(c);
	}
	if (!ok)
		return 0;
	n = hdr_len + ct_len + QUIC_TAG_LEN;
	c = EVP_CIPHER_CTX_new();
	ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, k.hp, NULL) > 0 &&
	     EVP_CIPHER_CTX_set_padding(c, 0) > 0 &&
	     EVP_EncryptUpdate(c, mask, &outl, out + pn_off + 4, 16) > 0;
	EVP_CIPHER_CTX_free(c);
	if (!ok)
		return 0;
	out[0] ^= mask[0] & 0x0f;
	for (uint32_t i = 0; i < pn_len; i++)
		out[pn_off + i] ^= mask[1 + i];
	return n;
}

/* The unit tests' client: 198.18.0.1:50000 to 198.18.0.2:443 over UDP,
 * TTL 64, DF, IP ID 77; the payload is the test's to set. */
static inline void quic_test_client(struct pkt_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	pi->family = AF_INET;
	pi->proto = J4S_IPPROTO_UDP;
	pi->ttl = 64;
	pi->df = 1;
	pi->ip_id = 77;
	pi->ip_total_len = 1228;
	memcpy(pi->src, (const uint8_t[]){ 198, 18, 0, 1 }, 4);
	memcpy(pi->dst, (const uint8_t[]){ 198, 18, 0, 2 }, 4);
	pi->sport = 50000;
	pi->dport = 443;
}

/* ... with an empty SCID: a client's. */
static inline uint32_t quic_seal_token(uint32_t version, const struct quic_keys *keys,
				       const uint8_t *dcid, uint8_t dcid_len, const uint8_t *token,
				       uint8_t token_len, uint64_t pn, uint32_t pn_len,
				       const uint8_t *frames, uint32_t frames_len,
				       uint32_t min_payload, uint8_t *out, uint32_t cap)
{
	return quic_seal_scid(version, keys, dcid, dcid_len, NULL, 0, token, token_len, pn, pn_len,
			      frames, frames_len, min_payload, out, cap);
}

/* ... with an empty token. */
static inline uint32_t quic_seal_with(uint32_t version, const struct quic_keys *keys,
				      const uint8_t *dcid, uint8_t dcid_len, uint64_t pn,
				      uint32_t pn_len, const uint8_t *frames, uint32_t frames_len,
				      uint32_t min_payload, uint8_t *out, uint32_t cap)
{
	return quic_seal_token(version, keys, dcid, dcid_len, NULL, 0, pn, pn_len, frames,
			       frames_len, min_payload, out, cap);
}

/* ... with keys from key_dcid. */
static inline uint32_t quic_seal_initial_as(uint32_t version, const uint8_t *key_dcid,
					    uint8_t key_len, const uint8_t *dcid, uint8_t dcid_len,
					    uint64_t pn, uint32_t pn_len, const uint8_t *frames,
					    uint32_t frames_len, uint32_t min_payload, uint8_t *out,
					    uint32_t cap)
{
	struct quic_keys k;

	if (quic_initial_keys(version, key_dcid, key_len, &k))
		return 0;
	return quic_seal_with(version, &k, dcid, dcid_len, pn, pn_len, frames, frames_len,
			      min_payload, out, cap);
}

/* Initial with keys from its own DCID, as a client's first. */
static inline uint32_t quic_seal_initial(uint32_t version, const uint8_t *dcid, uint8_t dcid_len,
					 uint64_t pn, uint32_t pn_len, const uint8_t *frames,
					 uint32_t frames_len, uint32_t min_payload, uint8_t *out,
					 uint32_t cap)
{
	return quic_seal_initial_as(version, dcid, dcid_len, dcid, dcid_len, pn, pn_len, frames,
				    frames_len, min_payload, out, cap);
}

/* A CRYPTO frame of data at off into out; returns its length. */
static inline uint32_t quic_crypto_frame(uint64_t off, const uint8_t *data, uint32_t len,
					 uint8_t *out)
{
	uint32_t n = 0;

	out[n++] = 0x06;
	out[n++] = (uint8_t)(0x80 | off >> 24); /* 4-byte varints */
	out[n++] = (uint8_t)(off >> 16);
	out[n++] = (uint8_t)(off >> 8);
	out[n++] = (uint8_t)off;
	out[n++] = (uint8_t)(0x80 | len >> 24);
	out[n++] = (uint8_t)(len >> 16);
	out[n++] = (uint8_t)(len >> 8);
	out[n++] = (uint8_t)len;
	memcpy(out + n, data, len);
	return n + len;
}

#endif
