// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The loops that feed the pipeline. Offline: as fast as the file reads,
 * with packet time driving flow expiry exactly as live time would.
 */
#include "capture.h"
#include "loop.h"
#include "output.h"
#include "pipeline.h"

int loop_run_file(struct capture *cap, struct pipeline *p, struct output *const *outs,
		  uint32_t n_outs, char *err, size_t errlen)
{
	struct packet pkt;
	int rc;

	while ((rc = capture_pcap_next(cap, &pkt, err, errlen)) == 1)
		pipeline_packet(p, &pkt);
	for (uint32_t i = 0; i < n_outs; i++)
		output_flush(outs[i]);
	return rc < 0 ? -1 : 0;
}
