#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# IPv4 header checksum evasion against a real TLS stack: a client sends a
# ClientHello for evil.example in order, in an IPv4 packet whose header
# checksum is wrong, then the ClientHello for good.example at the same
# sequence number. The server's kernel drops the first (ip_rcv_core()), so
# its TLS stack reads good.example; the record must say the same in each
# live mode, and the dropped packet be counted (kernel.bad_ip_checksum in
# tc and xdp, packets.bad_ip_checksum in pcap). From a capture of the same
# traffic (--read) too: the fake's source sent its SYN with a right sum
# before, so its wrong one is no sending host's checksum offload
# (docs/reliability.md) and is dropped.
#   tests/e2e/run_ipcsum.sh [BINARY] [MODE...]   (root; modes: tc xdp pcap)
set -eu
cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-build/ja4sentinel}")
shift || true
MODES=${*:-tc xdp pcap}
NS_S=ipcsum-s-$$ NS_C=ipcsum-c-$$
SRV=198.18.92.1 CLI=198.18.92.2 SPOOF=198.18.92.3 PORT=443
TMP=$(mktemp -d)
. tests/lib.sh
cleanup() {
	del_netns "$NS_S" "$NS_C"
	rm -rf "$TMP"
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ]; then
	skip ipcsum "needs root"
	finish
fi
netns_pair "$NS_S" ics-s "$NS_C" ics-c
ns_addr "$NS_S" ics-s "$SRV/24"
ns_addr "$NS_C" ics-c "$CLI/24"
# The client speaks from an address its namespace does not own: its kernel
# drops the server's answers without a RST, the raw client reads them.
ip -n "$NS_S" neigh replace "$SPOOF" lladdr "$(ip netns exec "$NS_C" cat /sys/class/net/ics-c/address)" dev ics-s
SRV_MAC=$(ip netns exec "$NS_S" cat /sys/class/net/ics-s/address)
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=good.example -days 1 \
	-keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
printf 'core:\n  interface: ics-s\n  listen_ports: [%s]\n  pin_dir: /sys/fs/bpf/ipcsum%s\n' \
	"$PORT" "$$" >"$TMP/c.yml"

# one_run TAG MODE: server, sensor in MODE (none: a capture only), client.
one_run() {
	local tag=$1 mode=$2 dpid="" cpid="" i
	rm -f "$TMP/ready" "$TMP/sni"
	ip netns exec "$NS_S" python3 tests/e2e/ipcsum_peer.py server "$TMP/cert.pem" "$TMP/key.pem" \
		"$SRV" "$PORT" "$TMP/sni" "$TMP/ready" 2>"$TMP/server-$tag.err" &
	local spid=$!
	if [ "$mode" = none ]; then
		ip netns exec "$NS_S" dumpcap -q -P -i ics-s -f "tcp port $PORT" -w "$TMP/cap-$tag.pcap" \
			>/dev/null 2>"$TMP/dumpcap.err" &
		cpid=$!
		for ((i = 0; i < 50; i++)); do grep -qs "Capturing on" "$TMP/dumpcap.err" && break; sleep 0.1; done
	else
		daemon_in_ns "$NS_S" "$BIN" "$TMP/c.yml" "$TMP/out-$tag" "$TMP/err-$tag" --mode "$mode"
		dpid=$DAEMON_PID
	fi
	for ((i = 0; i < 50; i++)); do [ -f "$TMP/ready" ] && break; sleep 0.1; done
	ip netns exec "$NS_C" timeout 15 python3 tests/e2e/ipcsum_peer.py client "$SPOOF" "$SRV" "$PORT" \
		ics-c "$SRV_MAC" >"$TMP/client-$tag.out" 2>&1 || true
	for ((i = 0; i < 50; i++)); do [ -s "$TMP/sni" ] && break; sleep 0.1; done
	sleep 0.5
	for p in $dpid $cpid; do kill -TERM "$p" 2>/dev/null || true; done
	kill "$spid" 2>/dev/null || true
	wait || true
	SNI=$(cat "$TMP/sni" 2>/dev/null || true)
}

# check TAG OUTFILE ERRFILE COUNTER: the record's SNI is the one the server
# read; COUNTER ("key":N in the final stats) says the packet was dropped.
check() {
	local tag=$1 got
	if [ "$SNI" != good.example ]; then
		bad "$tag: the server's TLS stack read '${SNI:-nothing}', not good.example" \
			"$(cat "$TMP/client-$tag.out" 2>/dev/null)"
		return
	fi
	got=$(grep -o '"tls_sni":"[^"]*"' "$2" | sort -u | tr '\n' ' ' || true)
	if [ "$got" = '"tls_sni":"good.example" ' ]; then
		ok "$tag: record SNI is the one the server read ($SNI), the fake hello dropped"
	else
		bad "$tag: record SNI ${got:-none}, the server read $SNI" "$(tail -n 5 "$3")"
	fi
	if grep -q "\"$4\":1[,}]" "$3"; then
		ok "$tag: $4 counted"
	else
		bad "$tag: $4 is not 1" "$(grep -o '"final stats".*' "$3" | tail -n 1 | head -c 1500)"
	fi
}

for mode in $MODES; do
	one_run "$mode" "$mode"
	# tc, xdp: the kernel's counter (userspace never sees the packet);
	# pcap: the parser's.
	check "$mode" "$TMP/out-$mode" "$TMP/err-$mode" bad_ip_checksum
done
one_run read none
if [ ! -s "$TMP/cap-read.pcap" ]; then
	bad "read: dumpcap captured nothing" "$(cat "$TMP/dumpcap.err")"
else
	"$BIN" --config "$TMP/c.yml" --read "$TMP/cap-read.pcap" >"$TMP/out-read" 2>"$TMP/err-read" || true
	check read "$TMP/out-read" "$TMP/err-read" bad_ip_checksum
	if grep -q '"bad_ip_checksum_kept":0[,}]' "$TMP/err-read"; then
		ok "read: no wrong sum kept"
	else
		bad "read: bad_ip_checksum_kept is not 0" "$(tail -n 3 "$TMP/err-read")"
	fi
fi
finish
