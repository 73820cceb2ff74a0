#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Interfaces without an Ethernet header (tun, WireGuard, ipip): in each
# mode the daemon must read their frames from the IP header and give the
# record. A tun device in a scratch namespace gets a SYN and a hello.
#   tests/e2e/run_tun.sh [BINARY]   (root)
set -eu
cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-build/ja4sentinel}")
NS=j4s-tun-$$
TMP=$(mktemp -d)
. tests/lib.sh
cleanup() {
	del_netns "$NS"
	rm -rf "$TMP"
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ]; then
	skip tun "needs root and /dev/net/tun"
	finish
fi
printf 'core:\n  interface: j4etun\n  listen_ports: [443]\n  xdp_generic: true\n' >"$TMP/c.yml"
for mode in tc pcap; do
	ip netns add "$NS"
	rm -f "$TMP/ready"
	ip netns exec "$NS" python3 tests/e2e/tun_hello.py "$TMP/ready" &
	for _ in $(seq 50); do [ -f "$TMP/ready" ] && break; sleep 0.1; done
	ip netns exec "$NS" sh -c "mount -t bpf bpf /sys/fs/bpf 2>/dev/null; \
		timeout 3 '$BIN' --config '$TMP/c.yml' --mode $mode" >"$TMP/out" 2>"$TMP/err" || true
	wait || true
	if grep -q '"ja4":"t13d1715h2_5b57614c22b0_3d5424432f57"' "$TMP/out"; then
		ok "$mode on a tun device gives the record"
	else
		bad "$mode on a tun device: no record" "$(tail -n 3 "$TMP/err")"
	fi
	ip netns del "$NS"
done
finish
