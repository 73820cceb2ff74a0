/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * fp: fingerprints of a parsed ClientHello (docs in shared ja4-ja3-spec).
 *
 * fp_hash wraps OpenSSL EVP: SHA-256 from the default library context, MD5
 * fetched with a non-FIPS property query so JA3 still works on a FIPS-mode
 * host, and a small built-in MD5 where no provider offers one.
 * fp_ja4() and fp_ja3() write into caller buffers; they allocate nothing.
 */
#ifndef J4S_FP_H
#define J4S_FP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "hello.h"

struct fp_hash;

struct fp_hash *fp_hash_new(void);
void fp_hash_free(struct fp_hash *h);
/* Whether MD5 comes from the built-in implementation (no EVP provider had it). */
bool fp_hash_md5_builtin(const struct fp_hash *h);

/* Hashes computed, and given from the memo of strings hashed before
 * (user/fp_hash.c). */
struct fp_hash_stats {
	uint64_t computed;
	uint64_t reused;
};
const struct fp_hash_stats *fp_hash_get_stats(const struct fp_hash *h);
/* First 12 lowercase hex digits of SHA-256(s); "000000000000" for len 0. */
int fp_sha256_hex12(struct fp_hash *h, const char *s, size_t len, char out[13]);
/* 32 lowercase hex digits of MD5(s). */
int fp_md5_hex(struct fp_hash *h, const char *s, size_t len, char out[33]);
/* The built-in MD5 (RFC 1321), for the FIPS fallback and its tests. */
void fp_md5_builtin(const void *data, size_t len, uint8_t digest[16]);

/* Longest raw JA4 string: a, three '_' and 5 bytes per listed value. */
#define FP_JA4_RAW_MAX (11 + 2 + 5 * 3 * HELLO_MAX_U16 + 1)
/* Longest JA3 string: at most 3 characters per hello byte (4 for point
 * formats, hence the slack). */
#define FP_JA3_MAX (3 * HELLO_MAX_BODY + 1024)

struct fp_ja4 {
	char ja4[37];
	char ja4_o[37];
	char *ja4_r; /* caller buffers of FP_JA4_RAW_MAX, or NULL to skip raw forms */
	char *ja4_ro;
	bool skip_original; /* leave ja4_o/ja4_ro out: half the hashing when unused */
};

/* proto: 't' TCP, 'q' QUIC, 'd' DTLS. */
int fp_ja4(struct fp_hash *h, const struct hello_info *hi, char proto, struct fp_ja4 *out);

/* JA3 string into str (FP_JA3_MAX bytes) and its MD5. Returns the length. */
int fp_ja3(struct fp_hash *h, const struct hello_info *hi, char *str, char md5[33]);

/*
 * in[0..n) sorted ascending into out (n values), duplicates kept; tmp is
 * scratch of n values. Linear in n. in and out must not overlap.
 */
void fp_sort_u16(const uint16_t *in, uint32_t n, uint16_t *out, uint16_t *tmp);

/* JA4T (FoxIO License 1.1, see NOTICE) of a SYN's window and TCP options:
 * "64240_2-1-3-1-1-4_1460_8". The longest: a 5-digit window, 40 option
 * bytes of up to 3 digits and a '-' each, a 5-digit MSS, a 3-digit scale,
 * three '_' and the NUL. Returns the length. */
#define FP_JA4T_MAX_OPTS 40
#define FP_JA4T_MAX      (5 + 1 + FP_JA4T_MAX_OPTS * 4 + 1 + 5 + 1 + 3 + 1)
int fp_ja4t(uint16_t window, const uint8_t *opts, uint32_t len, char out[FP_JA4T_MAX]);

/* Two-character JA4 version code of a TLS version value. */
const char *fp_ja4_version(uint16_t v);

/* Lowercase hex digit of the low 4 bits of v: the one digit table of the
 * hashes, the JA4 lists and the record's escapes. */
static inline char fp_hex_digit(unsigned int v)
{
	return "0123456789abcdef"[v & 15];
}

#endif
