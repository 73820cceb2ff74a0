// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * TLS record framing at stream start and the ClientHello parser. A length
 * that runs past its container rejects the whole hello: a fingerprint is
 * taken from a valid hello or not at all.
 */
#include <stddef.h>
#include <string.h>
#include "abi.h"
#include "byteorder.h"
#include "hello.h"

/* Record header at p (5 bytes available): a handshake record we accept? */
static enum hello_verdict check_record(const uint8_t *p, uint32_t *rlen)
{
	if (p[0] != J4S_TLS_HANDSHAKE || p[1] != J4S_TLS_MAJOR)
		return HELLO_NOT_TLS;
	*rlen = rd16(p + 3);
	if (*rlen == 0 || *rlen > TLS_MAX_RECORD)
		return HELLO_MALFORMED;
	return HELLO_OK;
}

/* The hello is in the first record: no copy. Handed out once the whole
 * record is in, not just the hello: the server's record layer hands
 * nothing on before the record's end, so a record that announces more than
 * the hello and never ends brings no hello to the server. */
static enum hello_verdict frame_single(const uint8_t *stream, uint32_t len, const uint8_t **msg,
				       uint32_t *msg_len, uint32_t *need)
{
	uint32_t body = rd24(stream + 6), rlen = rd16(stream + 3);

	if (body > HELLO_MAX_BODY)
		return HELLO_TOO_BIG;
	if (len < 5 + rlen) {
		*need = 5 + rlen;
		return HELLO_NEED_MORE;
	}
	*msg = stream + 5;
	*msg_len = 4 + body;
	return HELLO_OK;
}

/* The first 4 handshake bytes (its header), from records already checked
 * that hold at least 4 payload bytes within len. */
static void first4(const uint8_t *stream, uint32_t len, uint8_t hdr[4])
{
	uint32_t off = 0, got = 0;

	while (got < 4) {
		uint32_t rlen = rd16(stream + off + 3), avail = len - off - 5;

		for (uint32_t i = 0; i < rlen && i < avail && got < 4; i++)
			hdr[got++] = stream[off + 5 + i];
		off += 5 + rlen;
	}
}

/* Join the payloads of the records at the start of stream (all checked and
 * holding want bytes) in scratch. */
static void join_records(const uint8_t *stream, uint8_t *scratch, uint32_t want)
{
	uint32_t off = 0, copied = 0;

	while (copied < want) {
		uint32_t rlen = rd16(stream + off + 3);
		uint32_t take = rlen < want - copied ? rlen : want - copied;

		if (take < 8) { /* 1-byte records: no memcpy call per byte */
			for (uint32_t i = 0; i < take; i++)
				scratch[copied + i] = stream[off + 5 + i];
		} else {
			memcpy(scratch + copied, stream + off + 5, take);
		}
		copied += take;
		off += 5 + rlen;
	}
}

/*
 * The hello spans records: check their headers and count their payload
 * from pos on (records before it were checked by an earlier call on a
 * shorter prefix of the same stream), then join the payloads in scratch
 * once they hold the whole message. Each record is checked once per
 * flow, so a hello in thousands of 1-byte records arriving over 100
 * segments costs no more than one in a single call.
 */
static enum hello_verdict frame_multi(const uint8_t *stream, uint32_t len, uint8_t *scratch,
				      const uint8_t **msg, uint32_t *msg_len, uint32_t *need,
				      struct hello_frame_pos *pos)
{
	uint32_t off = pos ? pos->off : 0, payload = pos ? pos->payload : 0, want = 0;

	if (payload >= 4) {
		uint8_t hdr[4];

		first4(stream, len, hdr);
		want = 4 + rd24(hdr + 1); /* checked against the limit before */
	}
	for (;;) {
		enum hello_verdict v;
		uint32_t rlen, avail;

		if (off + 5 > len) {
			/* Once the length is known, the rest of the hello must
			 * come too: need grows by the payload still missing, so a
			 * hello in many small records is not framed again for each
			 * new byte. */
			*need = off + 5 + (want ? want - payload : 0);
			break;
		}
		v = check_record(stream + off, &rlen);
		if (v != HELLO_OK)
			return off ? HELLO_MALFORMED : v;
		avail = len - off - 5 < rlen ? len - off - 5 : rlen;
		if (!want && payload + avail >= 4) {
			uint8_t hdr[4];
			uint32_t body;

			first4(stream, len, hdr);
			body = rd24(hdr + 1);
			if (body > HELLO_MAX_BODY)
				return HELLO_TOO_BIG;
			want = 4 + body;
		}
		if (want && payload + avail >= want) {
			if (avail < rlen) { /* its last record must end too */
				*need = off + 5 + rlen;
				break;
			}
			join_records(stream, scratch, want);
			*msg = scratch;
			*msg_len = want;
			return HELLO_OK;
		}
		if (avail < rlen) {
			/* A lower bound: what was read plus the payload still
			 * missing, as if it all came in this record. */
			*need = off + 5 + (want ? want : 4) - payload;
			break;
		}
		off += 5 + rlen;
		payload += rlen;
	}
	if (pos) {
		pos->off = off;
		pos->payload = payload;
	}
	return HELLO_NEED_MORE;
}

enum hello_verdict hello_frame(const uint8_t *stream, uint32_t len, uint8_t *scratch,
			       const uint8_t **msg, uint32_t *msg_len, uint32_t *need)
{
	return hello_frame_at(stream, len, scratch, msg, msg_len, need, NULL);
}

enum hello_verdict hello_frame_at(const uint8_t *stream, uint32_t len, uint8_t *scratch,
				  const uint8_t **msg, uint32_t *msg_len, uint32_t *need,
				  struct hello_frame_pos *pos)
{
	enum hello_verdict v;
	uint32_t rlen;

	*need = 0;
	if (len == 0)
		return HELLO_NEED_MORE;
	if (stream[0] != J4S_TLS_HANDSHAKE || (len > 1 && stream[1] != J4S_TLS_MAJOR))
		return HELLO_NOT_TLS;
	if (len < 5) {
		*need = 5;
		return HELLO_NEED_MORE;
	}
	v = check_record(stream, &rlen);
	if (v != HELLO_OK)
		return v;
	if (len > 5 && stream[5] != J4S_TLS_CLIENT_HELLO)
		return HELLO_NOT_CLIENT_HELLO;
	if (rlen >= 4 && len >= 9 && 4 + rd24(stream + 6) <= rlen)
		return frame_single(stream, len, msg, msg_len, need);
	return frame_multi(stream, len, scratch, msg, msg_len, need, pos);
}

/* A bounds-checked reader over [p, end). */
struct cursor {
	const uint8_t *p, *end;
};

static bool cur_take(struct cursor *c, uint32_t n, const uint8_t **out)
{
	if ((size_t)(c->end - c->p) < n)
		return false;
	*out = c->p;
	c->p += n;
	return true;
}

static bool cur_u8(struct cursor *c, uint32_t *v)
{
	const uint8_t *p;

	if (!cur_take(c, 1, &p))
		return false;
	*v = p[0];
	return true;
}

static bool cur_u16(struct cursor *c, uint32_t *v)
{
	const uint8_t *p;

	if (!cur_take(c, 2, &p))
		return false;
	*v = rd16(p);
	return true;
}

/* A sub-cursor of n bytes with an n-byte-wide length prefix (1 or 2). */
static bool cur_vec(struct cursor *c, int width, struct cursor *sub)
{
	uint32_t n;
	const uint8_t *p;

	if (!(width == 1 ? cur_u8(c, &n) : cur_u16(c, &n)) || !cur_take(c, n, &p))
		return false;
	sub->p = p;
	sub->end = p + n;
	return true;
}

/* 2-byte values of a vector, GREASE dropped. Count and cursor are kept in
 * locals: through the pointers every store to out could change them, and
 * the loop reloaded both for each of up to 8,000 values. */
static bool u16_list(struct cursor *c, uint16_t *out, uint16_t *n)
{
	const uint8_t *p = c->p, *end = c->end;
	uint32_t k = *n;

	if ((end - p) % 2)
		return false;
	for (; p < end; p += 2) {
		uint16_t v = rd16(p);

		if (!hello_is_grease(v))
			out[k++] = v;
	}
	c->p = p;
	*n = (uint16_t)k;
	return true;
}

typedef bool (*ext_fn)(struct cursor *data, struct hello_info *hi);

static bool ext_sni(struct cursor *d, struct hello_info *hi)
{
	struct cursor list;

	hi->has_sni = true;
	if (d->p == d->end)
		return true; /* empty body (servers echo it so): still "d" */
	if (!cur_vec(d, 2, &list))
		return false;
	while (list.p < list.end) {
		uint32_t type;
		struct cursor name;

		if (!cur_u8(&list, &type) || !cur_vec(&list, 2, &name))
			return false;
		if (type == 0 && !hi->sni) {
			hi->sni = name.p;
			hi->sni_len = (uint16_t)(name.end - name.p);
		}
	}
	return true;
}

static bool ext_groups(struct cursor *d, struct hello_info *hi)
{
	struct cursor list;

	if (!cur_vec(d, 2, &list) || (list.end - list.p) % 2)
		return false;
	if (hi->n_groups)
		return true; /* repeated extension: the first one counts */
	return u16_list(&list, hi->groups, &hi->n_groups);
}

static bool ext_point_formats(struct cursor *d, struct hello_info *hi)
{
	struct cursor list;

	if (!cur_vec(d, 1, &list))
		return false;
	if (hi->n_point_formats)
		return true;
	hi->n_point_formats = (uint16_t)(list.end - list.p);
	memcpy(hi->point_formats, list.p, hi->n_point_formats);
	return true;
}

static bool ext_sigalgs(struct cursor *d, struct hello_info *hi)
{
	struct cursor list;

	if (!cur_vec(d, 2, &list) || (list.end - list.p) % 2)
		return false;
	if (hi->has_sigalgs)
		return true;
	hi->has_sigalgs = true;
	return u16_list(&list, hi->sigalgs, &hi->n_sigalgs);
}

static bool ext_alpn(struct cursor *d, struct hello_info *hi)
{
	struct cursor list, name;

	if (!cur_vec(d, 2, &list))
		return false;
	while (list.p < list.end) {
		if (!cur_vec(&list, 1, &name))
			return false;
		if (!hi->has_alpn) {
			hi->has_alpn = true;
			hi->alpn = name.p;
			hi->alpn_len = (uint8_t)(name.end - name.p);
		}
	}
	return true;
}

static bool ext_versions(struct cursor *d, struct hello_info *hi)
{
	struct cursor list;

	if (!cur_vec(d, 1, &list) || (list.end - list.p) % 2)
		return false;
	for (; list.p < list.end; list.p += 2) {
		uint16_t v = rd16(list.p);

		if (!hello_is_grease(v) && (!hi->has_version || v > hi->max_version)) {
			hi->max_version = v;
			hi->has_version = true;
		}
	}
	return true;
}

/* A switch rather than a table scan: 17 extensions a typical hello, most
 * of them without a handler, each compared with all six entries. */
static ext_fn ext_handler(uint16_t type)
{
	switch (type) {
	case 0x0000:
		return ext_sni;
	case 0x000a:
		return ext_groups;
	case 0x000b:
		return ext_point_formats;
	case 0x000d:
		return ext_sigalgs;
	case 0x0010:
		return ext_alpn;
	case 0x002b:
		return ext_versions;
	}
	return NULL;
}

static enum hello_verdict parse_extensions(struct cursor *c, struct hello_info *hi)
{
	struct cursor block;

	if (c->p == c->end)
		return HELLO_OK; /* no extensions block at all */
	if (!cur_vec(c, 2, &block))
		return HELLO_MALFORMED;
	while (block.p < block.end) {
		/* Type and length read as one 4-byte header with one bounds
		 * check each for header and body, not through cur_u16 and
		 * cur_vec (~40 instructions an extension less). */
		const uint8_t *p = block.p;
		uint32_t type, n;
		struct cursor data;
		ext_fn fn;

		if (block.end - p < 4)
			return HELLO_MALFORMED;
		type = rd16(p);
		n = rd16(p + 2);
		if ((size_t)(block.end - p - 4) < n)
			return HELLO_MALFORMED;
		data.p = p + 4;
		data.end = data.p + n;
		block.p = data.end;
		if (hello_is_grease((uint16_t)type))
			continue;
		hi->exts[hi->n_exts++] = (uint16_t)type;
		fn = ext_handler((uint16_t)type);
		if (fn && !fn(&data, hi))
			return HELLO_MALFORMED;
	}
	/* Nothing may follow the block: bytes that belong to no field mean
	 * the lengths disagree. */
	return c->p == c->end ? HELLO_OK : HELLO_MALFORMED;
}

static void hello_info_clear(struct hello_info *hi)
{
	/* The arrays are overwritten as they fill; only the header is reset. */
	memset(hi, 0, offsetof(struct hello_info, ciphers));
}

enum hello_verdict hello_parse(const uint8_t *msg, uint32_t len, struct hello_info *hi)
{
	struct cursor c, v;
	uint32_t body, ver;
	const uint8_t *skip;

	hello_info_clear(hi);
	if (len < 4)
		return HELLO_MALFORMED;
	if (msg[0] != J4S_TLS_CLIENT_HELLO)
		return HELLO_NOT_CLIENT_HELLO;
	body = rd24(msg + 1);
	if (body > HELLO_MAX_BODY)
		return HELLO_TOO_BIG;
	if (body > len - 4)
		return HELLO_MALFORMED;
	c.p = msg + 4;
	c.end = c.p + body;
	if (!cur_u16(&c, &ver) || !cur_take(&c, 32, &skip))
		return HELLO_MALFORMED;
	hi->legacy_version = (uint16_t)ver;
	if (!cur_vec(&c, 1, &v) || v.end - v.p > 32) /* session id */
		return HELLO_MALFORMED;
	if (!cur_vec(&c, 2, &v) || !u16_list(&v, hi->ciphers, &hi->n_ciphers))
		return HELLO_MALFORMED;
	if (!cur_vec(&c, 1, &v)) /* compression methods */
		return HELLO_MALFORMED;
	return parse_extensions(&c, hi);
}

const char *hello_verdict_str(enum hello_verdict v)
{
	static const char *const s[HELLO_VERDICT_MAX] = {
		[HELLO_OK] = "ok",
		[HELLO_NEED_MORE] = "need_more",
		[HELLO_NOT_TLS] = "not_tls",
		[HELLO_NOT_CLIENT_HELLO] = "not_client_hello",
		[HELLO_MALFORMED] = "malformed",
		[HELLO_TOO_BIG] = "too_big",
	};
	return v < HELLO_VERDICT_MAX ? s[v] : "?";
}
