#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# bench/flows_rss.sh - the daemon's memory with many flows mid-hello: N
# flows (default 100,000), each a SYN, SYN-ACK, ACK and the first segment of
# a hello whose rest never comes, replayed onto a veth in each capture mode
# within the default 30 s flow timeout; prints VmHWM, VmRSS and RssAnon of
# the daemon, its flow counters, and the peak RSS of `--read` of the same
# capture. The work is done by bench/live_rate.sh --rss (see there).
#
# Usage (root): bench/flows_rss.sh [--flows N] [--modes "tc xdp pcap"] [--rss-pps PPS]
exec "$(dirname "$0")/live_rate.sh" --rss "$@"
