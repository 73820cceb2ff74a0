// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The generic capture calls: what the rest of the program uses, forwarded
 * to the backend's operations (struct capture_ops, one table per backend
 * in capture_tc.c, capture_xdp.c and capture_pcap.c); the names of the
 * capture modes; and the budget that bounds one dispatch slice. No libpcap,
 * libbpf or libxdp here: the backends own those.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include "capture_priv.h"
#include "clock.h"
#include "defaults.h"

const char *capture_mode_name(enum capture_mode m)
{
	static const char *const s[CAPTURE_MODE_MAX] = {
		[CAPTURE_AUTO] = "auto", [CAPTURE_TC] = "tc",     [CAPTURE_XDP] = "xdp",
		[CAPTURE_PCAP] = "pcap", [CAPTURE_FILE] = "file",
	};

	return (unsigned int)m < CAPTURE_MODE_MAX ? s[m] : "?";
}

/* ---- the slice budget ---- */

void capture_budget_start(struct capture_budget *b, uint32_t events, uint64_t ns,
			  uint64_t (*clock)(void))
{
	b->clock = clock;
	b->deadline = clock() + ns;
	b->left = events;
	b->until_clock = CAPTURE_SLICE_CLOCK_EVERY;
	b->spent = !events;
}

bool capture_budget_charge(struct capture_budget *b, uint32_t n)
{
	if (b->spent)
		return false;
	if (n >= b->left) {
		b->left = 0;
		b->spent = true;
		return false;
	}
	b->left -= n;
	if (n < b->until_clock) {
		b->until_clock -= n;
		return true;
	}
	b->until_clock = CAPTURE_SLICE_CLOCK_EVERY;
	if (b->clock() >= b->deadline)
		b->spent = true;
	return !b->spent;
}

uint32_t capture_budget_chunk(const struct capture_budget *b)
{
	if (b->spent)
		return 0;
	return b->left < b->until_clock ? b->left : b->until_clock;
}

static uint64_t mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* ---- generic calls, forwarded to the backend ---- */

struct capture *capture_new(const struct capture_ops *ops, void *priv)
{
	struct capture *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->ops = ops;
	c->priv = priv;
	c->ufilter_link = -1; /* until the backend says what it can filter */
	return c;
}

int capture_fd(const struct capture *c)
{
	return c->ops->fd(c);
}

int capture_dispatch(struct capture *c, capture_cb cb, void *ctx, bool *more, char *err,
		     size_t errlen)
{
	struct capture_budget b;
	int n;

	capture_budget_start(&b, CAPTURE_SLICE_EVENTS, CAPTURE_SLICE_MS * 1000000ULL, mono_ns);
	n = c->ops->dispatch(c, &b, cb, ctx, err, errlen);
	*more = n >= 0 && b.spent;
	return n;
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

uint64_t capture_detach_caps(struct capture *c)
{
	return c->ops->detach_caps ? c->ops->detach_caps(c) : 0;
}

int capture_set_local_ips(struct capture *c, const struct cidr *list, uint32_t n)
{
	return c->ops->set_local ? c->ops->set_local(c, list, n) : 0;
}

bool capture_kernel_limits(const struct capture *c)
{
	return c->ops->kernel_limits;
}

const char *capture_kernel_filter(const struct capture *c)
{
	return c->ops->kernel_filter;
}

const char *capture_filter_where(const struct capture *c)
{
	return c->ops->filter_where ? c->ops->filter_where : "in userspace";
}

void capture_lost_names(const struct capture *c, const char **what, const char **where)
{
	*what = c->ops->lost_what ? c->ops->lost_what : "packets";
	*where = c->ops->lost_where ? c->ops->lost_where : "capture buffer";
}

enum capture_mode capture_get_mode(const struct capture *c)
{
	return c->ops->mode;
}

const char *capture_link_name(const struct capture *c)
{
	return c->link_name ? c->link_name : "unknown";
}

const char *capture_ifaces(const struct capture *c)
{
	return c->ifaces[0] ? c->ifaces : NULL;
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
