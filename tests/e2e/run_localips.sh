#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# core.local_ips: [] means the host's own addresses on the watched
# interface (never link-local), kept current while the daemon runs. Three
# namespaces on two veth pairs: a client (C), the daemon's host (S), which
# also routes to a server behind it (F). The startup line lists S's
# addresses (with interface any: both veths', without their fe80::
# addresses; with lo: 127.0.0.1 and ::1). In each mode (tc, xdp, pcap):
#   - a hello to S's address gives a record;
#   - a hello from C to F, forwarded through S, gives none;
#   - a hello S itself sends out to C gives none;
#   - an address added to S's interface at run time is logged, and a hello
#     to it then gives a record.
#   tests/e2e/run_localips.sh [BINARY]   (root)
set -eu
cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-build/ja4sentinel}")
PY=/usr/bin/python3
PEER=tests/e2e/localips_peer.py
NS_C=j4s-lipC-$$ NS_S=j4s-lipS-$$ NS_F=j4s-lipF-$$
IF_S=j4lips0 IF_R=j4lips1 # S's interfaces: towards C (watched), towards F
TMP=$(mktemp -d)
. tests/lib.sh
cleanup() {
	del_netns "$NS_C" "$NS_S" "$NS_F"
	rm -rf "$TMP"
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ]; then
	skip "local_ips auto" "needs root"
	finish
fi

in_ns() { ip netns exec "$@"; }

# wait_for FILE PATTERN SECONDS: until grep finds PATTERN in FILE.
wait_for() {
	for _ in $(seq $(($3 * 10))); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

records_to() { grep -c "\"dst_ip\":\"$1\"" "$TMP/out" || true; }

setup() {
	ip netns add "$NS_C"
	ip netns add "$NS_S"
	ip netns add "$NS_F"
	ip link add "$IF_S" netns "$NS_S" type veth peer name c0 netns "$NS_C"
	ip link add "$IF_R" netns "$NS_S" type veth peer name f0 netns "$NS_F"
	ip -n "$NS_S" addr add 198.18.90.1/24 dev "$IF_S"
	ip -n "$NS_S" addr add fd00:90::1/64 dev "$IF_S" nodad
	ip -n "$NS_S" addr add 198.18.91.1/24 dev "$IF_R"
	ip -n "$NS_C" addr add 198.18.90.2/24 dev c0
	ip -n "$NS_F" addr add 198.18.91.2/24 dev f0
	for ns in "$NS_C" "$NS_S" "$NS_F"; do ip -n "$ns" link set lo up; done
	ip -n "$NS_S" link set "$IF_S" up
	ip -n "$NS_S" link set "$IF_R" up
	ip -n "$NS_C" link set c0 up
	ip -n "$NS_F" link set f0 up
	ip -n "$NS_C" route add 198.18.91.0/24 via 198.18.90.1
	ip -n "$NS_F" route add 198.18.90.0/24 via 198.18.91.1
	in_ns "$NS_S" sysctl -qw net.ipv4.ip_forward=1
	# Servers: S on every address (its own, and the one added later), F, C.
	ip netns exec "$NS_S" "$PY" "$PEER" listen 0.0.0.0 443 "$TMP/ready.s" &
	ip netns exec "$NS_F" "$PY" "$PEER" listen 198.18.91.2 443 "$TMP/ready.f" &
	ip netns exec "$NS_C" "$PY" "$PEER" listen 198.18.90.2 443 "$TMP/ready.c" &
	for f in s f c; do
		for _ in $(seq 50); do [ -f "$TMP/ready.$f" ] && break; sleep 0.1; done
	done
}

run_mode() {
	local mode=$1 pid
	: >"$TMP/out"
	: >"$TMP/err"
	printf 'core:\n  interface: %s\n  listen_ports: [443]\n  local_ips: []\n  unvalidated_rate: 0\n  xdp_generic: true\n' \
		"$IF_S" >"$TMP/c.yml"
	# A bpffs of the daemon's own mount namespace: pins never meet another
	# test's. timeout bounds a hang; ip and sh exec, so $! is timeout's pid
	# and SIGTERM reaches the daemon through it.
	ip netns exec "$NS_S" sh -c "mount -t bpf bpf /sys/fs/bpf 2>/dev/null; \
		exec timeout 60 '$BIN' --config '$TMP/c.yml' --mode $mode" >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	if ! wait_for "$TMP/err" '"capture started"' 15; then
		bad "$mode: daemon started" "$(tail -n 5 "$TMP/err")"
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		return
	fi
	if grep -q 'local_ips: auto, 2 addresses on j4lips0: 198.18.90.1, fd00:90::1"' "$TMP/err"; then
		ok "$mode: startup log names the 2 addresses, no link-local"
	else
		bad "$mode: startup log of local_ips" "$(grep local_ips "$TMP/err")"
	fi
	in_ns "$NS_C" "$PY" "$PEER" hello 198.18.90.1 443 || true
	in_ns "$NS_C" "$PY" "$PEER" hello 198.18.91.2 443 || bad "$mode: forwarded connection"
	in_ns "$NS_S" "$PY" "$PEER" hello 198.18.90.2 443 || bad "$mode: outbound connection"
	ip -n "$NS_S" addr add 198.18.90.50/24 dev "$IF_S"
	if wait_for "$TMP/err" 'local_ips: auto, 3 addresses on j4lips0: 198.18.90.1, 198.18.90.50, fd00:90::1 (changed)' 5; then
		ok "$mode: added address logged"
	else
		bad "$mode: added address logged" "$(grep local_ips "$TMP/err")"
	fi
	in_ns "$NS_C" "$PY" "$PEER" hello 198.18.90.50 443 || true
	# pcap hands packets over in blocks: the record first, then the
	# removal, or the pipeline may judge the hello after it.
	wait_for "$TMP/out" '"dst_ip":"198.18.90.50"' 5 || true
	ip -n "$NS_S" addr del 198.18.90.50/24 dev "$IF_S"
	wait_for "$TMP/err" 'local_ips: auto, 2 addresses on j4lips0: 198.18.90.1, fd00:90::1 (changed)' 5 &&
		ok "$mode: removed address logged" || bad "$mode: removed address logged" "$(grep local_ips "$TMP/err")"
	sleep 1
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	[ "$(records_to 198.18.90.1)" = 1 ] && ok "$mode: hello to the host's address: record" ||
		bad "$mode: hello to the host's address: $(records_to 198.18.90.1) records" "$(tail -n 3 "$TMP/err")"
	[ "$(records_to 198.18.91.2)" = 0 ] && ok "$mode: forwarded hello: no record" ||
		bad "$mode: forwarded hello gave a record"
	[ "$(records_to 198.18.90.2)" = 0 ] && ok "$mode: outbound hello: no record" ||
		bad "$mode: outbound hello gave a record"
	[ "$(records_to 198.18.90.50)" = 1 ] && ok "$mode: hello to an address added at run time: record" ||
		bad "$mode: hello to the added address: $(records_to 198.18.90.50) records" "$(grep -c . "$TMP/out")"
	# Counted where the filter ran: the kernel (tc) or the pipeline (pcap).
	grep '"final stats"' "$TMP/err" | grep -q '"not_local":[1-9]' && ok "$mode: not_local counted" ||
		bad "$mode: not_local not counted" "$(grep 'final stats' "$TMP/err")"
}

# startup_line IFACE: the daemon's "local_ips: auto" line with interface
# IFACE (pcap mode: nothing to load), then it is stopped.
startup_line() {
	local pid
	printf 'core:\n  interface: %s\n  listen_ports: [443]\n' "$1" >"$TMP/i.yml"
	ip netns exec "$NS_S" timeout 20 "$BIN" --config "$TMP/i.yml" --mode pcap >/dev/null 2>"$TMP/i.err" &
	pid=$!
	wait_for "$TMP/i.err" '"capture started"' 10 || true
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	grep -o '"message":"local_ips: auto[^"]*"' "$TMP/i.err" || echo "(none)"
}

# Which addresses: every non-loopback interface for any, never link-local
# (the veths have fe80:: addresses), loopback ones only when lo is named.
check_any_and_lo() {
	local line
	line=$(startup_line any)
	[ "$line" = '"message":"local_ips: auto, 3 addresses on every non-loopback interface: 198.18.90.1, 198.18.91.1, fd00:90::1"' ] &&
		ok "any: the addresses of every non-loopback interface, no link-local" || bad "any: $line"
	line=$(startup_line lo)
	[ "$line" = '"message":"local_ips: auto, 2 addresses on lo: 127.0.0.1, ::1"' ] &&
		ok "lo named: its loopback addresses" || bad "lo: $line"
}

setup
check_any_and_lo
for mode in tc xdp pcap; do
	run_mode "$mode"
done
finish
