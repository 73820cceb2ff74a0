/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Private to the capture_*.c files: the capture object and the operations
 * each backend provides behind include/capture.h.
 */
#ifndef J4S_CAPTURE_PRIV_H
#define J4S_CAPTURE_PRIV_H

#include "capture.h"

/*
 * One table per backend (tc, xdp, pcap live, pcap file). Opening is each
 * backend's own entry point in capture.h (its arguments differ); from then
 * on user/capture.c reaches the backend through these only.
 */
struct capture_ops {
	enum capture_mode mode;
	/* What main and the loop say or decide about this backend (data, so
	 * no caller asks for the mode by name): */
	bool kernel_limits;        /* the kernel's bucket holds unvalidated hellos back */
	const char *kernel_filter; /* what filters in the kernel, for the startup
				    * log; NULL: the pcap filter itself */
	const char *filter_where;  /* where core.bpf_filter runs */
	const char *lost_what;     /* what capture_lost() counts ("events") */
	const char *lost_where;    /* in what ("ring buffer") */
	int (*fd)(const struct capture *c);
	/* One slice: stop when b is spent (capture_budget_charge) or the
	 * input is empty; the count handed on, or -1 with err. */
	int (*dispatch)(struct capture *c, struct capture_budget *b, capture_cb cb, void *ctx,
			char *err, size_t errlen);
	void (*stats_json)(struct capture *c, struct json_object *o); /* may be NULL */
	uint64_t (*lost)(struct capture *c); /* may be NULL: nothing is lost */
	/* Replace the kernel's local-address set (core.local_ips: []); NULL
	 * when the backend filters no addresses at run time (pcap). */
	int (*set_local)(struct capture *c, const struct cidr *list, uint32_t n);
	void (*close)(struct capture *c); /* detach and free priv */
	/* Capabilities close still needs (privs.h bits); may be NULL: none. */
	uint64_t (*detach_caps)(struct capture *c);
};

struct bpf_program;

struct capture {
	const struct capture_ops *ops;
	const char *link_name; /* for the startup log */
	char ifaces[256];      /* interfaces attached to, comma list; "" = as configured */
	struct capture_stats st;
	void *priv;
	/* core.bpf_filter, where this process runs it (capture_filter.c). */
	struct bpf_program *ufilter; /* NULL: none here */
	int ufilter_link;            /* DLT of what the backend filters; -1: not here */
	char *ufilter_expr;          /* its expression (compiled again per link type by
				      * capture_pcap.c's pcapng path) */
};

/* A capture of ops around priv, or NULL (errno set). */
struct capture *capture_new(const struct capture_ops *ops, void *priv);

/* capture_filter.c: whether a compiled filter reads Linux's ancillary data
 * (packet type, VLAN tag...), which only a socket's filter has. */
struct bpf_program;
bool capture_filter_reads_ancillary(const struct bpf_program *prog);

/* capture_filter.c: run c's filter on one packet or frame, counting a drop
 * (false) in c->st.filtered; free it (the backends' close). */
bool capture_filter_run(struct capture *c, const uint8_t *data, uint32_t caplen, uint32_t len);
/* ... with prog, another compilation of c's filter (capture_filter_compile:
 * the expression for frames of link type dlt; 0, or -1 with err set). */
bool capture_filter_run_prog(struct capture *c, const struct bpf_program *prog, const uint8_t *data,
			     uint32_t caplen, uint32_t len);
int capture_filter_compile(const struct capture *c, int dlt, struct bpf_program *prog, char *err,
			   size_t errlen);
void capture_filter_free(struct capture *c);

/* The backend filters what it hands on, L3 packets (the eBPF modes): a
 * filter is compiled for raw IP. */
void capture_filter_on_l3(struct capture *c);

/* Whether a packet or frame passes c's filter (true when it has none). */
static inline bool capture_filter_pass(struct capture *c, const uint8_t *data, uint32_t caplen,
				       uint32_t len)
{
	return !c->ufilter || capture_filter_run(c, data, caplen, len);
}

#endif
