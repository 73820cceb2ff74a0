#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# bench/modes.sh - what each capture mode costs the host, in one run.
#
# Two namespaces joined by a veth (198.18.0.0/24). In each mode (tc, xdp,
# pcap) the daemon watches port 443 while, on that same port, iperf3 moves
# bulk data both ways for SECONDS and a client opens TLS connections to an
# openssl s_server. The daemon's own CPU time (utime + stime from
# /proc/PID/stat), the packets its userspace handled and the hellos it
# delivered are reported per mode, with the ratio to pcap mode. Then the
# 20,000-flow bench capture is replayed at full speed onto the veth with
# tcpreplay in tc mode and the hellos delivered are counted.
#
# Usage: bench/modes.sh [--seconds S] [--hellos N] [--flows N]   (root)
set -eu

SECONDS_RUN=10
HELLOS=200
FLOWS=20000
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECONDS_RUN=$2; shift 2 ;;
	--hellos) HELLOS=$2; shift 2 ;;
	--flows) FLOWS=$2; shift 2 ;;
	*) echo "usage: bench/modes.sh [--seconds S] [--hellos N] [--flows N]" >&2; exit 2 ;;
	esac
done

cd "$(dirname "$0")/.."
BIN=$(realpath build/ja4sentinel)
[ "$(id -u)" = 0 ] || { echo "bench/modes.sh: needs root" >&2; exit 1; }
for t in iperf3 openssl tcpreplay python3; do
	command -v "$t" >/dev/null || { echo "bench/modes.sh: $t is needed" >&2; exit 1; }
done

S=j4s-bm-s-$$
C=j4s-bm-c-$$
TMP=$(mktemp -d)
cleanup() {
	for ns in "$S" "$C"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

ip netns add "$S"
ip netns add "$C"
ip link add bm0 netns "$S" type veth peer name bm1 netns "$C"
ip -n "$S" addr add 198.18.0.1/24 dev bm0
ip -n "$S" addr add 198.18.0.3/24 dev bm0
ip -n "$C" addr add 198.18.0.2/24 dev bm1
ip -n "$S" link set bm0 up
ip -n "$C" link set bm1 up
ip -n "$S" link set lo up
ip -n "$C" link set lo up
ip netns exec "$S" sh -c 'mount -t bpf bpf /sys/fs/bpf 2>/dev/null || true'

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/k.pem" -out "$TMP/c.pem" -days 1 \
	-subj /CN=bench >/dev/null 2>&1
ip netns exec "$S" iperf3 -s -B 198.18.0.1 -p 443 -D --logfile "$TMP/iperf.log"
ip netns exec "$S" openssl s_server -accept 198.18.0.3:443 -key "$TMP/k.pem" -cert "$TMP/c.pem" \
	-quiet -naccept 1000000 >/dev/null 2>&1 &
sleep 0.5

cat >"$TMP/config.yml" <<EOF
core:
  interface: bm0
  listen_ports: [443]
  xdp_generic: false
outputs:
  - type: file
    params:
      path: $TMP/records.jsonl
EOF

cat >"$TMP/hellos.py" <<'EOF'
import socket, ssl, sys, time
n, deadline = int(sys.argv[1]), time.time() + float(sys.argv[2])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
done = 0
while done < n and time.time() < deadline:
    try:
        with socket.create_connection(("198.18.0.3", 443), timeout=2) as s:
            with ctx.wrap_socket(s, server_hostname="bench.example"):
                pass
    except OSError:
        pass
    done += 1
    time.sleep(max(0.0, float(sys.argv[2]) / n * 0.8))
print(done)
EOF

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

declare -A CPU PKTS HELLO SENT
for mode in tc xdp pcap; do
	: >"$TMP/records.jsonl"
	ip netns exec "$S" "$BIN" --config "$TMP/config.yml" --mode "$mode" 2>"$TMP/$mode.err" &
	pid=$!
	for _ in $(seq 50); do grep -q 'capture started' "$TMP/$mode.err" && break; sleep 0.1; done
	t0=$(cpu_ticks "$pid")
	ip netns exec "$C" iperf3 -c 198.18.0.1 -p 443 -t "$SECONDS_RUN" --bidir -J >"$TMP/$mode.iperf" 2>&1 &
	ip_pid=$!
	sent=$(ip netns exec "$C" python3 "$TMP/hellos.py" "$HELLOS" "$SECONDS_RUN")
	wait "$ip_pid" || true
	sleep 0.5
	t1=$(cpu_ticks "$pid")
	kill -TERM "$pid"
	wait "$pid" || true
	CPU[$mode]=$((t1 - t0))
	PKTS[$mode]=$(grep '"final stats"' "$TMP/$mode.err" | python3 -c 'import json,sys; print(json.load(sys.stdin)["packets"]["packets"])')
	HELLO[$mode]=$(grep -c . "$TMP/records.jsonl" || true)
	SENT[$mode]=$sent
	GBPS=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); e=d["end"]; print(round((e["sum_sent"]["bits_per_second"]+e.get("sum_sent_bidir_reverse",{}).get("bits_per_second",0))/1e9,2))' "$TMP/$mode.iperf" 2>/dev/null || echo "?")
	echo "$mode: daemon CPU ${CPU[$mode]} ticks, userspace packets ${PKTS[$mode]}, hellos ${HELLO[$mode]}/${SENT[$mode]}, iperf3 ${GBPS} Gbit/s" >&2
done

HZ=$(getconf CLK_TCK)
echo
echo "### Capture modes under bulk traffic on the listen port ($(date +%F))"
echo
echo "| mode | daemon CPU time (s) | vs pcap | packets reaching userspace | hellos delivered |"
echo "| --- | ---: | ---: | ---: | ---: |"
for mode in tc xdp pcap; do
	python3 - "$mode" "${CPU[$mode]}" "${CPU[pcap]}" "$HZ" "${PKTS[$mode]}" "${HELLO[$mode]}" "${SENT[$mode]}" <<'EOF'
import sys
mode, cpu, pcap, hz, pk, h, s = sys.argv[1:]
cpu, pcap, hz = int(cpu), int(pcap), int(hz)
ratio = f"1/{pcap / cpu:.0f}" if cpu and mode != "pcap" else ("1" if mode == "pcap" else "~0")
print(f"| {mode} | {cpu / hz:.2f} | {ratio} | {pk} | {h} / {s} |")
EOF
done
echo
echo "- traffic: iperf3 --bidir to 198.18.0.1:443 for ${SECONDS_RUN}s, plus TLS handshakes (python ssl) to an openssl s_server on 198.18.0.3:443, over a veth between two namespaces; offloads as they are"

# ---- full-speed replay of the 20,000-flow capture in tc mode ----
CAP=build/bench/capture-$FLOWS.pcap
[ -s "$CAP" ] || python3 bench/gen_capture.py --flows "$FLOWS" -o "$CAP" >&2
: >"$TMP/records.jsonl"
# The capture's server is no address of this host: list it, or the
# automatic local_ips (the host's own) would fingerprint nothing.
sed -i 's/^  listen_ports: \[443\]$/&\n  local_ips: ["198.19.255.1", "fd00::c613:ff01"]/' "$TMP/config.yml"
ip netns exec "$S" "$BIN" --config "$TMP/config.yml" --mode tc 2>"$TMP/replay.err" &
pid=$!
for _ in $(seq 50); do grep -q 'capture started' "$TMP/replay.err" && break; sleep 0.1; done
ip netns exec "$C" tcpreplay -i bm1 --topspeed "$CAP" >"$TMP/tcpreplay.out" 2>&1 || true
sleep 2
kill -TERM "$pid"
wait "$pid" || true
GOT=$(python3 -c 'import json,sys; print(len({json.loads(l)["conn_id"] for l in open(sys.argv[1])}))' "$TMP/records.jsonl")
RATE=$(grep -o 'Rated: [^,]*, [0-9.]* pps' "$TMP/tcpreplay.out" | head -n1)
KERN=$(grep '"final stats"' "$TMP/replay.err" | python3 -c 'import json,sys; k=json.load(sys.stdin)["kernel"]; print("ringbuf_full", k["ringbuf_full"], "syn_events", k["syn_events"], "payload_events", k["payload_events"])')
echo
echo "### Full-speed replay, tc mode"
echo
echo "- \`tcpreplay --topspeed\` of $CAP ($(tr -dc 0-9 <"$CAP.count") hellos) onto the veth: $RATE"
echo "- hellos delivered: **$GOT** of $(tr -dc 0-9 <"$CAP.count"); kernel: $KERN"
