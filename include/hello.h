/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * hello: TLS record framing and the ClientHello parser.
 *
 * hello_frame() looks at the first bytes of a client's TCP stream and says
 * whether they are (the start of) a ClientHello, and when the whole message
 * is there hands it out, joined across TLS records. hello_parse() reads the
 * message into a struct hello_info. Neither reads past its input, allocates
 * or keeps state of its own (hello_frame_at()'s position is the caller's);
 * every failure is a verdict.
 */
#ifndef J4S_HELLO_H
#define J4S_HELLO_H

#include <stdbool.h>
#include <stdint.h>
#include "defaults.h"

enum hello_verdict {
	HELLO_OK = 0,
	HELLO_NEED_MORE,        /* a prefix of a ClientHello: wait for more bytes */
	HELLO_NOT_TLS,          /* stream does not start with a TLS handshake record */
	HELLO_NOT_CLIENT_HELLO, /* a handshake record, but not a ClientHello */
	HELLO_MALFORMED,        /* a length runs past its container, or bad framing */
	HELLO_TOO_BIG,          /* message longer than HELLO_MAX_BODY */
	HELLO_VERDICT_MAX,
};

/* Values of one hello, GREASE removed, wire order. Large (arrays sized for
 * the largest hello): allocate once and reuse. */
#define HELLO_MAX_U16 (HELLO_MAX_BODY / 2)

struct hello_info {
	uint16_t legacy_version;
	uint16_t max_version; /* highest non-GREASE supported_versions value ... */
	bool has_version;     /* ... if any: 0x0000 is a value too (hello_version()) */
	bool has_sni;         /* extension 0x0000 present, whatever its body */
	bool has_alpn;        /* extension 0x0010 present with at least one name */
	bool has_sigalgs;     /* extension 0x000d present */
	uint8_t alpn_len;     /* first ALPN name length (0 = empty name) */
	uint16_t sni_len;     /* first host_name length; 0 when none */
	const uint8_t *sni;   /* into the message */
	const uint8_t *alpn;  /* into the message */
	uint16_t n_ciphers, n_exts, n_sigalgs, n_groups, n_point_formats;
	uint16_t ciphers[HELLO_MAX_U16];
	uint16_t exts[HELLO_MAX_U16];
	uint16_t sigalgs[HELLO_MAX_U16];
	uint16_t groups[HELLO_MAX_U16];
	uint8_t point_formats[256];
};

/*
 * Frame the start of a client stream. HELLO_OK once the records holding the
 * whole message have ended (a server's TLS stack reads a record only when it
 * has all of it). On HELLO_OK, *msg and *msg_len give the
 * handshake message (4-byte header included): a pointer into stream when the
 * hello sits in one record, else into scratch (REASM_MAX_BYTES bytes), where
 * the record payloads are joined. *need is set on HELLO_NEED_MORE to the
 * least stream length the hello needs, as far as known (0 if unknown yet):
 * a lower bound, so need > limit means it can never fit.
 */
enum hello_verdict hello_frame(const uint8_t *stream, uint32_t len, uint8_t *scratch,
			       const uint8_t **msg, uint32_t *msg_len, uint32_t *need);

/*
 * How far hello_frame_at() got through a hello that spans records: the
 * records before stream offset off are checked and carry payload bytes of
 * the message. Zero it for a new stream; keep it while the same stream
 * grows (its first bytes never change), and each record is read once.
 */
struct hello_frame_pos {
	uint32_t off;
	uint32_t payload;
};

/* hello_frame() resuming at *pos (NULL: from the start), which it advances. */
enum hello_verdict hello_frame_at(const uint8_t *stream, uint32_t len, uint8_t *scratch,
				  const uint8_t **msg, uint32_t *msg_len, uint32_t *need,
				  struct hello_frame_pos *pos);

/* Parse a ClientHello handshake message (header included). */
enum hello_verdict hello_parse(const uint8_t *msg, uint32_t len, struct hello_info *hi);

/* RFC 8701 GREASE value. */
static inline bool hello_is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* The version JA4 and the record name (ja4-ja3-spec.md §2.2): the highest
 * non-GREASE supported_versions value, else the legacy version. */
static inline uint16_t hello_version(const struct hello_info *hi)
{
	return hi->has_version ? hi->max_version : hi->legacy_version;
}

const char *hello_verdict_str(enum hello_verdict v);

#endif
