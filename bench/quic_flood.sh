#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# bench/quic_flood.sh - real QUIC clients behind a spoofed flood of Initials
# (design.md §13; docs/reliability.md, "Spoofed Initials"). Root.
#
# Two namespaces joined by a veth pair, ngtcp2's gtlsserver on UDP 443 of
# one; from the other, tcpreplay sends a capture of spoofed client Initials
# (fresh random DCIDs, 1,200-byte datagrams, sources in 198.19.0.0/16; their
# payload need not decrypt: nothing before the bucket decrypts) at --pps
# RATE for SECONDS, and meanwhile gtlsclient connects CLIENTS times. The
# daemon runs with the defaults (unvalidated_rate 1000, burst 2000) in each
# MODE. Prints per mode and rate: the real clients' records and how many are
# handshake_validated, spoofed records, and the kernel's and userspace's
# counters of what was held, kept, evicted and proven.
#
# --delay MS puts the clients MS away: they connect through
# bench/udp_delay.py, which sends their datagrams on MS late (this kernel has
# no netem), so their answer to the server's Initial, the proof, comes a
# round trip of MS after their first Initial was kept.
#
# Usage: bench/quic_flood.sh [--rates "5000 50000"] [--seconds S] [--clients N]
#                            [--modes "tc xdp pcap"] [--delay MS]
# Environment: JA4SENTINEL binary (default build/ja4sentinel). Needs
# gtlsserver, gtlsclient (ngtcp2-server, ngtcp2-client) and tcpreplay.
set -eu
cd "$(dirname "$0")/.."

RATES="5000 50000"
SECONDS_=10
CLIENTS=10
MODES="tc xdp pcap"
DELAY=0
while [ $# -gt 0 ]; do
	case "$1" in
	--rates) RATES="$2"; shift 2 ;;
	--seconds) SECONDS_="$2"; shift 2 ;;
	--clients) CLIENTS="$2"; shift 2 ;;
	--modes) MODES="$2"; shift 2 ;;
	--delay) DELAY="$2"; shift 2 ;;
	-h | --help)
		sed -n '3,25p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "usage: bench/quic_flood.sh [--rates R] [--seconds S] [--clients N] [--modes M] [--delay MS]" >&2
		exit 2
		;;
	esac
done
BIN=$(realpath "${JA4SENTINEL:-build/ja4sentinel}")
for t in gtlsserver gtlsclient tcpreplay; do
	command -v "$t" >/dev/null || { echo "bench/quic_flood.sh: needs $t" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "bench/quic_flood.sh: needs root" >&2; exit 1; }
NS_S=j4s-qf-$$-s
NS_C=j4s-qf-$$-c
IF_S=j4qf$$s
IF_C=j4qf$$c
V4_S=198.18.17.1
V4_C=198.18.17.2
TMP=$(mktemp -d)
# shellcheck source=tests/lib.sh
. tests/lib.sh
cleanup() {
	[ -z "${RELAY:-}" ] || kill "$RELAY" 2>/dev/null || true
	del_netns "$NS_S" "$NS_C"
	rm -rf "$TMP"
}
trap cleanup EXIT

netns_pair "$NS_S" "$IF_S" "$NS_C" "$IF_C"
ns_addr "$NS_S" "$IF_S" "$V4_S/24"
ns_addr "$NS_C" "$IF_C" "$V4_C/24"
mkdir -p "$TMP/www"
echo "ja4sentinel quic flood" >"$TMP/www/index.html"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=quic.test -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1
ip netns exec "$NS_S" gtlsserver -q -d "$TMP/www" "$V4_S" 443 "$TMP/key.pem" "$TMP/cert.pem" \
	>"$TMP/server.log" 2>&1 &
# Where the clients connect: the server, or the delaying relay.
TO_ADDR=$V4_S
TO_PORT=443
if [ "$DELAY" != 0 ]; then
	ip netns exec "$NS_C" python3 bench/udp_delay.py "$DELAY" "$V4_C" 4433 "$V4_S" 443 &
	RELAY=$!
	TO_ADDR=$V4_C
	TO_PORT=4433
fi
MAC_S=$(ip netns exec "$NS_S" cat "/sys/class/net/$IF_S/address")
MAC_C=$(ip netns exec "$NS_C" cat "/sys/class/net/$IF_C/address")

# The flood: 65,536 spoofed Initials, looped by tcpreplay.
python3 - "$TMP/flood.pcap" "$MAC_S" "$MAC_C" "$V4_S" <<'PY'
import os, random, socket, struct, sys
sys.path.insert(0, "tests")
from packets import ipv4_udp
out, mac_s, mac_c, dst = sys.argv[1:5]
eth = bytes.fromhex(mac_s.replace(":", "")) + bytes.fromhex(mac_c.replace(":", "")) + b"\x08\x00"
rnd = random.Random(7)
with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(65536):
        body = bytes([0xc3]) + struct.pack("!I", 1) + bytes([8]) + rnd.randbytes(8) + \
            bytes([0, 0, 0x44, 0x9e]) + rnd.randbytes(1182)
        src = "198.19.%d.%d" % (rnd.randrange(256), rnd.randrange(1, 255))
        frame = eth + ipv4_udp(src, dst, rnd.randrange(1024, 65536), 443, body)
        f.write(struct.pack("<IIII", 1700000000, i, len(frame), len(frame)) + frame)
PY

# counter NAME LINE: the largest value of "NAME":N in the final stats line
counter() {
	grep -o "\"$1\":[0-9]*" <<<"$2" | cut -d: -f2 | sort -n | tail -n 1
}

[ "$DELAY" = 0 ] || echo "clients $DELAY ms away (bench/udp_delay.py)"
printf '| mode | flood | real clients recorded | of them validated | spoofed records | kernel quic_limited / quic_held | kept / evicted / proofs | peak RSS |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---:|\n'
cat >"$TMP/c.yml" <<YML
core:
  interface: $IF_S
  listen_ports: [443]
  xdp_generic: true
YML
for mode in $MODES; do
	for rate in $RATES; do
		ip netns exec "$NS_S" sh -c "mount -t bpf bpf /sys/fs/bpf 2>/dev/null; \
			exec '$BIN' --config '$TMP/c.yml' --mode $mode" >"$TMP/out.jsonl" 2>"$TMP/log" &
		DP=$!
		for _ in $(seq 100); do
			grep -qsF '"capture started"' "$TMP/log" && break
			sleep 0.05
		done
		total=$((rate * SECONDS_))
		ip netns exec "$NS_C" timeout $((SECONDS_ + 10)) tcpreplay -q -i "$IF_C" --pps="$rate" \
			--limit="$total" --loop=0 "$TMP/flood.pcap" >/dev/null 2>&1 &
		RP=$!
		sleep 1
		for _ in $(seq "$CLIENTS"); do
			ip netns exec "$NS_C" timeout 5 gtlsclient -q --exit-on-all-streams-close \
				"$TO_ADDR" "$TO_PORT" https://quic.test/index.html >/dev/null 2>&1 || true
			sleep $(((SECONDS_ - 2) / CLIENTS)).$(((SECONDS_ - 2) * 10 / CLIENTS % 10))
		done
		wait "$RP" || true
		sleep 0.5
		rss=$(awk '/^VmHWM/ { printf "%.0f MiB", $2 / 1024 }' "/proc/$DP/status" 2>/dev/null || echo "?")
		kill -TERM "$DP"
		wait "$DP" || true
		final=$(grep -F '"final stats"' "$TMP/log" || true)
		real=$(grep -c "\"src_ip\":\"$V4_C\"" "$TMP/out.jsonl" || true)
		valid=$(grep "\"src_ip\":\"$V4_C\"" "$TMP/out.jsonl" |
			grep -c '"handshake_validated":true' || true)
		spoofed=$(grep -c '"src_ip":"198.19.' "$TMP/out.jsonl" || true)
		if [ "$mode" = pcap ]; then
			kern="-"
		else
			kern="$(counter quic_limited "$(grep -o '"kernel":{[^}]*}' <<<"$final")") / $(counter quic_held "$(grep -o '"kernel":{[^}]*}' <<<"$final")")"
		fi
		quic=$(grep -o '"quic":{[^}]*}' <<<"$final")
		printf '| %s | %s/s x %s s | %s / %s | %s | %s | %s | %s / %s / %s | %s |\n' "$mode" \
			"$rate" "$SECONDS_" "$real" "$CLIENTS" "$valid" "$spoofed" "$kern" \
			"$(counter quic_kept "$quic")" "$(counter quic_kept_evicted "$quic")" \
			"$(counter quic_proofs "$quic")" "$rss"
	done
done
