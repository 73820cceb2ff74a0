// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The loops that feed the pipeline. Offline: as fast as the file reads,
 * with packet time driving flow expiry exactly as live time would.
 */
#include "capture.h"
#include "log.h"
#include "loop.h"
#include "output.h"
#include "pipeline.h"

/* How long the end of a read waits for outputs to take the last records. */
#define LOOP_READ_FLUSH_MS 30000

int loop_run_file(struct capture *cap, struct pipeline *p, struct output *const *outs,
		  uint32_t n_outs, char *err, size_t errlen)
{
	struct packet pkt;
	int rc;

	for (uint32_t i = 0; i < n_outs; i++)
		outs[i]->lossless = true; /* offline: wait for a slow reader */
	while ((rc = capture_pcap_next(cap, &pkt, err, errlen)) == 1)
		pipeline_packet(p, &pkt);
	for (uint32_t i = 0; i < n_outs; i++)
		if (output_flush(outs[i], LOOP_READ_FLUSH_MS))
			log_warn("output", "%s: %u record(s) not delivered at the end of the read",
				 outs[i]->name, outs[i]->count);
	return rc < 0 ? -1 : 0;
}
