#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# bench/progcost.sh - what the kernel programs cost per packet under bulk
# traffic on a listen port, against a baseline binary in the same run.
#
# Two namespaces joined by a veth (198.18.0.0/24). The daemon (tc mode)
# watches port 443 in the server namespace while iperf3 moves bulk data on
# that same port, first to the server, then from it (-R), SECONDS each.
# With kernel.bpf_stats_enabled the kernel counts each program's runs and
# run time: the ns per run of j4s_tc (ingress) and j4s_tc_egress are
# printed for each binary, runs alternating (BASELINE, this, BASELINE,
# this, ...), with the median of each and their ratio. Egress sees GSO
# packets, so its run count is far below the wire's segment count.
#
# Usage: bench/progcost.sh [--seconds S] [--runs R] [--baseline BINARY]  (root)
# Environment: JA4SENTINEL (default build/ja4sentinel).
set -eu

SECS=5
RUNS=3
BASE=""
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECS=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--baseline) BASE=$(realpath "$2"); shift 2 ;;
	*) echo "usage: bench/progcost.sh [--seconds S] [--runs R] [--baseline BINARY]" >&2; exit 2 ;;
	esac
done
cd "$(dirname "$0")/.."
BIN=$(realpath "${JA4SENTINEL:-build/ja4sentinel}")
[ "$(id -u)" = 0 ] || { echo "bench/progcost.sh: needs root" >&2; exit 1; }
for t in iperf3 bpftool python3; do
	command -v "$t" >/dev/null || { echo "bench/progcost.sh: $t is needed" >&2; exit 1; }
done

S=j4s-pc-s-$$
C=j4s-pc-c-$$
TMP=$(mktemp -d)
OLD_STATS=$(sysctl -n kernel.bpf_stats_enabled)
cleanup() {
	sysctl -qw kernel.bpf_stats_enabled="$OLD_STATS"
	ip netns pids "$S" 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns pids "$C" 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns del "$S" 2>/dev/null || true
	ip netns del "$C" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

ip netns add "$S"
ip netns add "$C"
ip link add j4pc$$s netns "$S" type veth peer name j4pc$$c netns "$C"
ip -n "$S" addr add 198.18.0.1/24 dev j4pc$$s
ip -n "$C" addr add 198.18.0.2/24 dev j4pc$$c
ip -n "$S" link set j4pc$$s up
ip -n "$C" link set j4pc$$c up
ip -n "$S" link set lo up
ip -n "$C" link set lo up
printf 'core:\n  interface: j4pc%ss\n  capture_mode: tc\n  listen_ports: [443]\n' $$ >"$TMP/c.yml"
ip netns exec "$S" iperf3 -s -p 443 -D --logfile "$TMP/iperf3-s.log"
sysctl -qw kernel.bpf_stats_enabled=1

# one BINARY: "ingress_ns egress_ns ingress_runs egress_runs" of one run.
one() {
	local pid
	ip netns exec "$S" sh -c 'mount -t bpf bpf /sys/fs/bpf 2>/dev/null; exec "$@"' sh \
		"$1" --config "$TMP/c.yml" >/dev/null 2>"$TMP/d.err" &
	pid=$!
	for _ in $(seq 100); do
		grep -qs '"capture started"' "$TMP/d.err" && break
		sleep 0.1
	done
	ip netns exec "$C" iperf3 -c 198.18.0.1 -p 443 -t "$SECS" >/dev/null
	ip netns exec "$C" iperf3 -c 198.18.0.1 -p 443 -t "$SECS" -R >/dev/null
	bpftool -j prog show | python3 -c '
import json, sys
p = {x.get("name"): x for x in json.load(sys.stdin)}
i, e = p.get("j4s_tc", {}), p.get("j4s_tc_egress", {})
ns = lambda x: x.get("run_time_ns", 0) / max(x.get("run_cnt", 0), 1)
print("%.1f %.1f %d %d" % (ns(i), ns(e), i.get("run_cnt", 0), e.get("run_cnt", 0)))'
	kill -TERM "$pid"
	wait "$pid" || true
}

: >"$TMP/base"
: >"$TMP/this"
for r in $(seq "$RUNS"); do
	if [ -n "$BASE" ]; then
		one "$BASE" | tee -a "$TMP/base" | sed "s/^/baseline run $r: ns ingress, egress; runs ingress, egress: /"
	fi
	one "$BIN" | tee -a "$TMP/this" | sed "s/^/this     run $r: ns ingress, egress; runs ingress, egress: /"
done
python3 - "$TMP/base" "$TMP/this" <<'PY'
import statistics, sys
def med(path, col):
    v = [float(l.split()[col]) for l in open(path) if l.strip()]
    return statistics.median(v) if v else None
for col, name in ((0, "j4s_tc (ingress)"), (1, "j4s_tc_egress")):
    b, t = med(sys.argv[1], col), med(sys.argv[2], col)
    if b:
        print("%-18s median ns per run: baseline %.1f, this %.1f, ratio %.2f" % (name, b, t, t / b))
    else:
        print("%-18s median ns per run: %.1f" % (name, t))
PY
