#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# bench/liverate.sh - the live limit (issue 17 item 4): a handshake-only
# capture (bench/gen_capture.py --handshake-only) replayed with tcpreplay
# onto a veth at increasing packet rates, into a daemon in each capture mode
# on the other end. Per mode and rate: hellos offered and delivered (records
# written), where the missing ones were lost (BPF ring buffer full, pcap's
# kernel drops, the output queue), and the daemon's CPU time per 1,000
# hellos. Prints a markdown table, writes CSV and, with matplotlib, a PNG of
# delivered against offered hello rate.
#
# Usage: bench/liverate.sh [--modes "tc xdp pcap"] [--rates "5000 ... top"]
#                          [--seconds S] [--png FILE]
# Root; needs tcpreplay, iproute2, python3 (matplotlib for the PNG).
# Environment: JA4SENTINEL binary (default build/ja4sentinel).
set -eu

MODES="tc xdp pcap"
RATES="5000 10000 20000 50000 100000 200000 top"
SECS=3
PNG=""
while [ $# -gt 0 ]; do
	case "$1" in
	--modes) MODES="$2"; shift 2 ;;
	--rates) RATES="$2"; shift 2 ;;
	--seconds) SECS="$2"; shift 2 ;;
	--png) PNG="$2"; shift 2 ;;
	-h | --help)
		sed -n '3,16p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "bench/liverate.sh: unknown argument $1" >&2
		exit 2
		;;
	esac
done
BIN="$(realpath "${JA4SENTINEL:-build/ja4sentinel}")"
HERE="$(cd "$(dirname "$0")" && pwd)"
S="perfrate-s$$"
C="perfrate-c$$"
TMP="$(mktemp -d)"
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	for ns in "$S" "$C"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
for t in tcpreplay python3; do
	command -v "$t" >/dev/null || { echo "bench/liverate.sh: needs $t" >&2; exit 1; }
done
# Debian's python3 has matplotlib (python3-matplotlib); a pyenv one may not
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

ip netns add "$S"
ip netns add "$C"
ip link add lr0 netns "$S" type veth peer name lr1 netns "$C"
# the capture's server addresses are this host's (local_ips: [] = own addresses)
ip -n "$S" addr add 198.19.255.1/16 dev lr0
ip -n "$S" addr add fd00::c613:ff01/64 dev lr0 nodad
ip -n "$S" link set lr0 up
ip -n "$C" link set lr1 up
ip -n "$S" link set lo up
ip netns exec "$S" sh -c 'mount -t bpf bpf /sys/fs/bpf 2>/dev/null || true'

# The replayed SYN-ACKs reach lr0 as ingress, not as the server's egress:
# every hello is unvalidated, so the unvalidated limit is off here.
cat >"$TMP/config.yml" <<EOF2
core:
  interface: lr0
  listen_ports: [443]
  unvalidated_rate: 0
outputs:
  - type: file
    params:
      path: $TMP/records.jsonl
EOF2

PER_FLOW=5.15 # packets per handshake-only flow (SYN, SYN-ACK, ACK, hello in 1-2, FIN)
capture_for() { # capture_for RATE -> path of a capture lasting ~SECS at RATE pps
	local rate=$1 flows
	[ "$rate" = top ] && rate=200000
	flows=$(awk -v r="$rate" -v s="$SECS" -v p="$PER_FLOW" 'BEGIN { f = int(r * s / p); print f < 1000 ? 1000 : f }')
	if [ ! -s "$TMP/cap-$flows.pcap" ]; then
		python3 "$HERE/gen_capture.py" --handshake-only --flows "$flows" -o "$TMP/cap-$flows.pcap" 2>/dev/null
	fi
	echo "$TMP/cap-$flows.pcap"
}

echo "mode,rate,offered_hellos,seconds,offered_per_s,delivered,delivered_per_s,ringbuf_full,kernel_dropped,queue_dropped,cpu_s,cpu_ms_per_1000" >"$TMP/results.csv"
for mode in $MODES; do
	for rate in $RATES; do
		cap=$(capture_for "$rate")
		offered=$(tr -dc 0-9 <"$cap.count")
		rm -f "$TMP/records.jsonl"
		ip netns exec "$S" "$BIN" --config "$TMP/config.yml" --mode "$mode" 2>"$TMP/d.err" &
		PID=$!
		for _ in $(seq 100); do
			grep -q "capture started" "$TMP/d.err" && break
			sleep 0.1
		done
		if ! grep -q "capture started" "$TMP/d.err"; then
			echo "bench/liverate.sh: $mode did not start" >&2
			cat "$TMP/d.err" >&2
			exit 1
		fi
		t0=$(awk '{ print $14 + $15 }' "/proc/$PID/stat")
		if [ "$rate" = top ]; then
			ip netns exec "$C" tcpreplay -i lr1 --topspeed "$cap" >"$TMP/tr.out" 2>&1 || true
		else
			ip netns exec "$C" tcpreplay -i lr1 --pps="$rate" "$cap" >"$TMP/tr.out" 2>&1 || true
		fi
		sleep 1 # the last hellos through the pipeline and the output
		t1=$(awk '{ print $14 + $15 }' "/proc/$PID/stat")
		kill -TERM "$PID"
		wait "$PID" || true
		PID=
		secs=$(sed -n 's/.*Actual: [0-9]* packets ([0-9]* bytes) sent in \([0-9.]*\) seconds.*/\1/p' "$TMP/tr.out" | head -n1)
		python3 - "$TMP/d.err" "$mode" "$rate" "$offered" "${secs:-0}" "$((t1 - t0))" \
			"$(getconf CLK_TCK)" >>"$TMP/results.csv" <<'PY'
import json, sys
log, mode, rate, offered, secs, ticks, hz = sys.argv[1:]
st = [json.loads(l) for l in open(log) if '"final stats"' in l][-1]
offered, secs, cpu = int(offered), float(secs), int(ticks) / int(hz)
got = st["hellos"]["records"]
k = st.get("kernel", {})
q = sum(o.get("dropped", 0) for o in st.get("outputs", {}).values())
print(f"{mode},{rate},{offered},{secs:.3f},{offered / secs if secs else 0:.0f},{got},"
      f"{got / secs if secs else 0:.0f},{k.get('ringbuf_full', 0)},{k.get('kernel_dropped', 0)},"
      f"{q},{cpu:.2f},{cpu * 1e6 / got if got else 0:.1f}")
PY
		tail -n1 "$TMP/results.csv" >&2
	done
done

"$PY" - "$TMP/results.csv" "$PNG" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print("| mode | replay rate (pps) | hellos offered/s | delivered | delivered/s | lost where | CPU ms per 1,000 hellos |")
print("|---|---:|---:|---:|---:|---|---:|")
for r in rows:
    lost = int(r["offered_hellos"]) - int(r["delivered"])
    where = []
    for k, name in (("ringbuf_full", "ring buffer"), ("kernel_dropped", "pcap buffer"), ("queue_dropped", "output queue")):
        if int(r[k]):
            where.append(f"{name} {int(r[k])}")
    if lost and not where:
        where.append("not counted")
    print(f"| {r['mode']} | {r['rate']} | {r['offered_per_s']} | {r['delivered']} / {r['offered_hellos']} | "
          f"{r['delivered_per_s']} | {', '.join(where) or '-'} | {r['cpu_ms_per_1000']} |")
best = {}
for r in rows:
    if r["delivered"] == r["offered_hellos"]:
        best[r["mode"]] = max(best.get(r["mode"], 0), int(r["offered_per_s"]))
print()
for m, v in best.items():
    print(f"- {m}: highest offered hello rate with zero loss: {v}/s")
if sys.argv[2]:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(no matplotlib: no PNG)", file=sys.stderr)
        sys.exit(0)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    top = 0
    for m in dict.fromkeys(r["mode"] for r in rows):
        pts = sorted((int(r["offered_per_s"]), int(r["delivered_per_s"])) for r in rows if r["mode"] == m)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=m)
        top = max([top] + [p[0] for p in pts])
    ax.plot([0, top], [0, top], linestyle=":", color="grey", label="no loss")
    ax.set_xlabel("hellos offered per second (tcpreplay onto a veth)")
    ax.set_ylabel("hellos delivered per second (records)")
    ax.set_title("ja4sentinel live rate, handshake-only traffic")
    ax.legend()
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=100)
    print(f"(plot written to {sys.argv[2]})", file=sys.stderr)
PY
if [ -n "$PNG" ]; then cp "$TMP/results.csv" "${PNG%.png}.csv"; fi
