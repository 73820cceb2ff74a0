#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Attack and overload tests (root): two namespaces joined by a veth,
# traffic only between them (198.18.0.0/15), every load bounded in count
# and time. For each capture mode:
#   - a spoofed SYN flood (tests/stress/synflood.c) while real TLS clients
#     connect: every real hello is delivered, the daemon's peak RSS stays
#     under RSS_BOUND_MB, evictions are counted;
#   - PARTIAL (100,000) connections that send a SYN and part of a hello and
#     stop: flows time out (flow_timeout_sec 2), are counted, and memory
#     returns to its baseline;
#   - a 1 MiB ring buffer (eBPF modes) filled by a flood while userspace is
#     stopped: ringbuf_full is counted, and hellos are delivered again once
#     it drains.
#   tests/stress/run_stress.sh [BINARY] [MODE...]
set -eu

cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-build/ja4sentinel}")
shift || true
MODES=("$@")
[ ${#MODES[@]} -gt 0 ] || MODES=(tc)
FLOOD_COUNT=${FLOOD_COUNT:-2000000}
FLOOD_SECONDS=${FLOOD_SECONDS:-8}
PARTIAL=${PARTIAL:-100000}
RSS_BOUND_MB=${RSS_BOUND_MB:-160}
S=j4s-st-s-$$
C=j4s-st-c-$$
TMP=$(mktemp -d)
PASS=0 FAIL=0 SKIP=0

cleanup() {
	for ns in "$S" "$C"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
ok() { PASS=$((PASS + 1)); echo "ok $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL $1"; }
finish() {
	echo "$PASS passed, $FAIL failed, $SKIP skipped"
	[ "$FAIL" -eq 0 ]
	exit
}

if [ "$(id -u)" != 0 ]; then
	SKIP=1
	echo "SKIP stress: needs root"
	finish
fi
cc -O2 -Wall -o "$TMP/synflood" tests/stress/synflood.c

ip netns add "$S"
ip netns add "$C"
ip link add st0 netns "$S" type veth peer name st1 netns "$C"
ip -n "$S" addr add 198.18.0.1/24 dev st0
ip -n "$C" addr add 198.18.0.2/24 dev st1
ip -n "$S" link set st0 up
ip -n "$C" link set st1 up
ip netns exec "$S" sh -c 'mount -t bpf bpf /sys/fs/bpf 2>/dev/null || true'
MAC=$(ip -n "$S" -br link show st0 | awk '{print $3}')
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/k.pem" -out "$TMP/c.pem" -days 1 \
	-subj /CN=stress >/dev/null 2>&1
ip netns exec "$S" openssl s_server -accept 198.18.0.1:443 -key "$TMP/k.pem" \
	-cert "$TMP/c.pem" -quiet -naccept 100000 >/dev/null 2>&1 &

cat >"$TMP/clients.py" <<'EOF'
import socket, ssl, sys, time
n, gap = int(sys.argv[1]), float(sys.argv[2])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ports = []
for i in range(n):
    try:
        s = socket.create_connection(("198.18.0.1", 443), timeout=3)
        ports.append(s.getsockname()[1])
        with ctx.wrap_socket(s, server_hostname=f"c{i}.example"):
            pass
    except OSError:
        pass
    time.sleep(gap)
print(" ".join(map(str, ports)))
EOF

cat >"$TMP/partial.py" <<'EOF'
import socket, sys, time
# SYN + half a hello, then nothing: the connection stays open until the end.
n, end = int(sys.argv[1]), time.time() + float(sys.argv[2])
half = bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]) + bytes(100)
socks = []
for i in range(n):
    if time.time() > end:
        break
    try:
        s = socket.create_connection(("198.18.0.1", 443), timeout=2)
        s.sendall(half)
        socks.append(s)
    except OSError:
        time.sleep(0.01)
print(len(socks))
sys.stdout.flush()
time.sleep(max(0.0, end - time.time()))
EOF

start_daemon() { # $1 mode, $2 packet_buffer_size, $3 name
	cat >"$TMP/$3.yml" <<EOF
core:
  interface: st0
  listen_ports: [443]
  flow_timeout_sec: 2
  packet_buffer_size: $2
outputs:
  - type: file
    params:
      path: $TMP/$3.jsonl
EOF
	: >"$TMP/$3.jsonl"
	ip netns exec "$S" "$BIN" --config "$TMP/$3.yml" --mode "$1" 2>"$TMP/$3.err" &
	DPID=$!
	for _ in $(seq 50); do grep -q 'capture started' "$TMP/$3.err" && break; sleep 0.1; done
}

stop_daemon() {
	kill -TERM "$DPID"
	wait "$DPID" || true
}

hwm_mb() { awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$1/status"; }

stat_of() { # $1 name, $2 python expression on the final stats object d
	grep '"final stats"' "$TMP/$1.err" | python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"
}

for mode in "${MODES[@]}"; do
	# ---- SYN flood with real clients ----
	name=$mode-flood
	start_daemon "$mode" 1000 "$name"
	ip netns exec "$C" "$TMP/synflood" st1 "$MAC" 198.18.0.1 443 "$FLOOD_COUNT" "$FLOOD_SECONDS" \
		>"$TMP/$name.flood" &
	fpid=$!
	sleep 1
	ports=$(ip netns exec "$C" python3 "$TMP/clients.py" 40 0.1)
	wait "$fpid" || true
	rss=$(hwm_mb "$DPID")
	sleep 0.5
	stop_daemon
	read -r sent secs pps <"$TMP/$name.flood"
	got=$(python3 -c 'import json,sys; p={json.loads(l)["src_port"] for l in open(sys.argv[1]) if json.loads(l)["src_ip"]=="198.18.0.2"}; w=set(map(int,sys.argv[2].split())); print(len(w & p), len(w))' "$TMP/$name.jsonl" "$ports")
	echo "    $mode: flood $sent SYNs in ${secs}s ($pps/s), peak RSS ${rss} MB, real hellos delivered: $got"
	echo "    flows: $(stat_of "$name" 'd["flows"]["created"], "created,", d["flows"]["evicted_waiting"], "evicted waiting,", d["flows"]["timeouts"], "timeouts"')"
	[ "$mode" = pcap ] || echo "    kernel: $(stat_of "$name" 'd["kernel"]["syn_events"], "syn events,", d["kernel"]["ringbuf_full"], "ringbuf_full"')"
	set -- $got
	[ "$1" = "$2" ] && [ "$2" -gt 0 ] && ok "$mode: every real hello delivered during a SYN flood ($1/$2)" ||
		bad "$mode: real hellos lost during the SYN flood ($1/$2)"
	[ "$rss" -le "$RSS_BOUND_MB" ] && ok "$mode: peak RSS ${rss} MB <= $RSS_BOUND_MB MB under the flood" ||
		bad "$mode: peak RSS ${rss} MB above $RSS_BOUND_MB MB"

	# ---- partial hellos that never finish ----
	name=$mode-partial
	start_daemon "$mode" 1000 "$name"
	sleep 0.5
	base=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$DPID/status")
	ip netns exec "$C" "$TMP/synflood" st1 "$MAC" 198.18.0.1 443 "$((PARTIAL * 2))" 20 partial \
		>"$TMP/$name.flood"
	read -r frames secs _ <"$TMP/$name.flood"
	peak=$(hwm_mb "$DPID")
	sleep 4 # > flow_timeout_sec: every waiting flow expires
	after=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$DPID/status")
	stop_daemon
	opened=$((frames / 2))
	to=$(stat_of "$name" 'd["flows"]["timeouts"] + d["flows"]["evicted_waiting"]')
	active=$(stat_of "$name" 'd["flows"]["active"]')
	echo "    $mode: $opened partial hellos in ${secs}s, RSS ${base} MB -> peak ${peak} MB -> ${after} MB after the timeouts, timed out/evicted $to, active at end $active"
	[ "$to" -ge "$((opened * 9 / 10))" ] && ok "$mode: partial hellos time out and are counted ($to of $opened)" ||
		bad "$mode: partial hellos not timed out ($to of $opened)"
	# Everything returns but the flow pool pages the attack touched: at most
	# max_tracked_flows x sizeof(struct flow) (100,000 x 192 B = 19 MB).
	[ "$after" -le "$((base + 19 + 4))" ] && ok "$mode: memory back to baseline + flow pool after the timeouts (${base} -> peak ${peak} -> ${after} MB)" ||
		bad "$mode: memory not back after the timeouts (${base} -> ${after} MB)"

	# ---- ring buffer saturation (eBPF) ----
	[ "$mode" = pcap ] && continue
	name=$mode-ring
	start_daemon "$mode" 1 "$name" # 1 MiB ring
	# Userspace stalls (stopped) while the flood fills the ring, then resumes.
	kill -STOP "$DPID"
	ip netns exec "$C" "$TMP/synflood" st1 "$MAC" 198.18.0.1 443 200000 3 >/dev/null
	kill -CONT "$DPID"
	sleep 1
	ports=$(ip netns exec "$C" python3 "$TMP/clients.py" 10 0.05)
	sleep 0.5
	stop_daemon
	full=$(stat_of "$name" 'd["kernel"]["ringbuf_full"]')
	got=$(python3 -c 'import json,sys; p={json.loads(l)["src_port"] for l in open(sys.argv[1])}; w=set(map(int,sys.argv[2].split())); print(len(w & p))' "$TMP/$name.jsonl" "$ports")
	echo "    $mode: 1 MiB ring under the flood: ringbuf_full $full; after it, $got of 10 hellos delivered"
	[ "$full" -gt 0 ] && ok "$mode: a full ring is counted (ringbuf_full $full)" ||
		bad "$mode: the ring never filled while userspace was stopped"
	[ "$got" = 10 ] && ok "$mode: every hello delivered once the ring drains" ||
		bad "$mode: hellos lost after the ring saturated ($got/10)"
done
finish
