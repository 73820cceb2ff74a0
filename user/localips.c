// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * core.local_ips: [] kept equal to the host's own addresses while capture
 * runs. The watch socket is opened before the first resolution, so an
 * address added in between is seen. cfg->local_ips owns the current list
 * (config_free frees it); the pipeline and the capture are told of each
 * new list before the old one is freed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "capture.h"
#include "config.h"
#include "ifaddr.h"
#include "localips.h"
#include "log.h"
#include "loop.h"
#include "pipeline.h"

struct localips {
	struct config *cfg;
	struct capture *cap;
	struct pipeline *p;
	int fd;     /* rtnetlink, address groups */
	bool stale; /* the last update failed: the next event redoes it even
		     * if the list looks unchanged */
};

/* "3 addresses on eth0: 198.18.0.1, fd00::1, ..." into buf. */
static void describe(const struct config *cfg, char *buf, size_t size)
{
	size_t o;

	o = (size_t)snprintf(
		buf, size, "local_ips: auto, %u address%s on %s%s", cfg->n_local_ips,
		cfg->n_local_ips == 1 ? "" : "es",
		strcmp(cfg->interface, "any") ? cfg->interface : "every non-loopback interface",
		cfg->n_local_ips ? ":" : " (no hello is fingerprinted until one appears)");
	for (uint32_t i = 0; i < cfg->n_local_ips && o < size; i++) {
		char a[64];

		ifaddr_cidr_str(&cfg->local_ips[i], a, sizeof(a));
		o += (size_t)snprintf(buf + o, size - o, "%s %s", i ? "," : "", a);
	}
}

/* The kernel map holds J4S_MAX_LOCAL_IPS: more is cut, said once per change. */
static int resolve(struct config *cfg, struct cidr **list, uint32_t *n)
{
	int rc = ifaddr_auto_local(cfg->interface, list, n);

	if (rc)
		return rc;
	if (*n > J4S_MAX_LOCAL_IPS) {
		log_warn("main",
			 "local_ips: auto found %u addresses; the kernel set holds %d, the "
			 "rest are not watched: list core.local_ips",
			 *n, J4S_MAX_LOCAL_IPS);
		*n = J4S_MAX_LOCAL_IPS;
	}
	return 0;
}

struct localips *localips_open(struct config *cfg, char *err, size_t errlen)
{
	struct localips *l;
	char msg[1024];
	int rc;

	err[0] = '\0';
	if (cfg->n_local_ips)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(err, errlen, "local_ips: out of memory");
		return NULL;
	}
	l->cfg = cfg;
	l->fd = ifaddr_watch_open();
	if (l->fd < 0) {
		snprintf(err, errlen, "local_ips: auto: rtnetlink socket: %s", strerror(-l->fd));
		free(l);
		return NULL;
	}
	free(cfg->local_ips);
	cfg->local_ips = NULL;
	rc = resolve(cfg, &cfg->local_ips, &cfg->n_local_ips);
	if (rc) {
		snprintf(err, errlen, "local_ips: auto: listing the host's addresses: %s",
			 strerror(-rc));
		localips_close(l);
		return NULL;
	}
	cfg->local_auto = true;
	describe(cfg, msg, sizeof(msg));
	log_info("main", "%s", msg);
	return l;
}

void localips_attach(struct localips *l, struct capture *cap, struct pipeline *p)
{
	l->cap = cap;
	l->p = p;
	loop_watch_fd(l->fd, localips_update, l);
}

void localips_update(void *arg)
{
	struct localips *l = arg;
	struct config *cfg = l->cfg;
	struct cidr *list = NULL;
	uint32_t n = 0;
	char msg[1024];
	int rc;

	if (!ifaddr_watch_drain(l->fd))
		return;
	rc = resolve(cfg, &list, &n);
	if (rc) {
		log_warn("main", "local_ips: auto: listing the host's addresses: %s; keeping %u",
			 strerror(-rc), cfg->n_local_ips);
		return;
	}
	if (!l->stale && ifaddr_cidr_equal(list, n, cfg->local_ips, cfg->n_local_ips)) {
		free(list);
		return;
	}
	rc = capture_set_local_ips(l->cap, list, n);
	l->stale = rc != 0;
	if (rc)
		log_error("capture",
			  "local_ips: auto: updating j4s_local: %s (tried again at the next "
			  "address change)",
			  strerror(-rc));
	pipeline_set_local(l->p, list, n);
	free(cfg->local_ips);
	cfg->local_ips = list;
	cfg->n_local_ips = n;
	describe(cfg, msg, sizeof(msg));
	log_info("main", "%s (changed)", msg);
}

void localips_close(struct localips *l)
{
	if (!l)
		return;
	loop_watch_fd(-1, NULL, NULL);
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}
