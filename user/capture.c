// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The generic capture calls: what the rest of the program uses, forwarded
 * to the backend's operations (struct capture_ops, one table per backend
 * in capture_tc.c, capture_xdp.c and capture_pcap.c) and the names of the
 * capture modes. No libpcap, libbpf or libxdp here: the backends own
 * those.
 */
#include <stdlib.h>
#include "capture_priv.h"

const char *capture_mode_name(enum capture_mode m)
{
	static const char *const s[CAPTURE_MODE_MAX] = {
		[CAPTURE_AUTO] = "auto", [CAPTURE_TC] = "tc",     [CAPTURE_XDP] = "xdp",
		[CAPTURE_PCAP] = "pcap", [CAPTURE_FILE] = "file",
	};

	return (unsigned int)m < CAPTURE_MODE_MAX ? s[m] : "?";
}

/* ---- generic calls, forwarded to the backend ---- */

struct capture *capture_new(const struct capture_ops *ops, void *priv)
{
	struct capture *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->ops = ops;
	c->priv = priv;
	return c;
}

int capture_fd(const struct capture *c)
{
	return c->ops->fd(c);
}

int capture_dispatch(struct capture *c, capture_cb cb, void *ctx, char *err, size_t errlen)
{
	return c->ops->dispatch(c, cb, ctx, err, errlen);
}

void capture_stats_json(struct capture *c, struct json_object *o)
{
	if (c->ops->stats_json)
		c->ops->stats_json(c, o);
}

uint64_t capture_lost(struct capture *c)
{
	return c->ops->lost ? c->ops->lost(c) : 0;
}

enum capture_mode capture_get_mode(const struct capture *c)
{
	return c->ops->mode;
}

const char *capture_link_name(const struct capture *c)
{
	return c->link_name ? c->link_name : "unknown";
}

const struct capture_stats *capture_get_stats(const struct capture *c)
{
	return &c->st;
}

void capture_close(struct capture *c)
{
	if (!c)
		return;
	c->ops->close(c);
	free(c);
}
