#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Tunnelled traffic, live (docs/operations.md, "Tunnelled traffic"): a
# VXLAN and a GRE tunnel between two namespaces over a veth underlay,
# openssl s_client through each to tests/tls_server.py.
# - tc on the tunnel devices (vxlan, and gre, which has no Ethernet
#   header): the kernel has decapsulated, the record has the overlay
#   addresses and no `tunnel` field;
# - pcap on the underlay veth with a bpf_filter selecting the tunnels (a
#   mirror receiver's setup): userspace decapsulates, same hellos, with
#   `tunnel` "vxlan" / "gre";
# - tc on the underlay: the kernel program does not decapsulate, no record.
#   tests/e2e/run_tunnels.sh [BINARY]   (root)
set -eu
cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-build/ja4sentinel}")
NS_C=j4s-tunc-$$
NS_S=j4s-tuns-$$
TMP=$(mktemp -d)
. tests/lib.sh
cleanup() {
	del_netns "$NS_C" "$NS_S"
	rm -rf "$TMP"
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ]; then
	skip tunnels "needs root (namespaces, tunnels, BPF)"
	finish
fi
for t in openssl python3; do
	if ! command -v $t >/dev/null; then
		skip tunnels "$t not installed"
		finish
	fi
done

C() { ip netns exec "$NS_C" "$@"; }
S() { ip netns exec "$NS_S" "$@"; }

# Underlay 198.18.40.0/24; VXLAN overlay 198.18.41.0/24, GRE 198.18.42.0/24.
netns_pair "$NS_C" tu-c "$NS_S" tu-s
ns_addr "$NS_C" tu-c 198.18.40.1/24
ns_addr "$NS_S" tu-s 198.18.40.2/24
if ! C ip link add tuvx type vxlan id 42 local 198.18.40.1 remote 198.18.40.2 dstport 4789 dev tu-c ||
	! S ip link add tuvx type vxlan id 42 local 198.18.40.2 remote 198.18.40.1 dstport 4789 dev tu-s; then
	skip tunnels "the kernel cannot make vxlan devices"
	finish
fi
C ip addr add 198.18.41.1/24 dev tuvx
S ip addr add 198.18.41.2/24 dev tuvx
DEVS=tuvx
# GRE is a module some kernels lack (this CI host's among them).
GRE=0
if C ip link add tugre type gre local 198.18.40.1 remote 198.18.40.2 2>/dev/null &&
	S ip link add tugre type gre local 198.18.40.2 remote 198.18.40.1 2>/dev/null; then
	GRE=1
	C ip addr add 198.18.42.1/24 dev tugre
	S ip addr add 198.18.42.2/24 dev tugre
	DEVS="tuvx tugre"
fi
for d in $DEVS; do
	C ip link set "$d" up
	S ip link set "$d" up
done

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=tun.test -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1
# Not openssl s_server: one stalled connection would hold it (tests/tls_server.py).
S python3 tests/tls_server.py "$TMP/cert.pem" "$TMP/key.pem" 443 >"$TMP/srv.out" 2>&1 &

# hello ADDR NAME: one TLS connection from the client namespace.
hello() {
	echo | C timeout 5 openssl s_client -connect "$1:443" -servername "$2" >/dev/null 2>&1 || true
}

# capture MODE IFACE [FILTER]: the daemon in the server namespace (its own
# bpffs, so its pins meet no other run's) while a hello goes through each
# tunnel; its records in $TMP/MODE-IFACE.out.
capture() {
	local out="$TMP/$1-$2" pid _
	printf 'core:\n  interface: %s\n  listen_ports: [443]\n' "$2" >"$out.yml"
	[ -z "${3:-}" ] || printf '  bpf_filter: "%s"\n' "$3" >>"$out.yml"
	# On the underlay the hellos go to the overlay addresses, which are not
	# the watched interface's own: a mirror receiver lists its servers.
	[ -z "${3:-}" ] || printf '  local_ips: ["198.18.41.2", "198.18.42.2"]\n' >>"$out.yml"
	# ip netns exec and sh exec the daemon: $! is its pid.
	ip netns exec "$NS_S" sh -c \
		"mount -t bpf bpf /sys/fs/bpf 2>/dev/null; exec '$BIN' --config '$out.yml' --mode $1" \
		>"$out.out" 2>"$out.err" &
	pid=$!
	for _ in $(seq 50); do
		grep -qs '"capture started"' "$out.err" && break
		sleep 0.1
	done
	hello 198.18.41.2 vxlan.test
	[ "$GRE" = 0 ] || hello 198.18.42.2 gre.test
	sleep 0.3
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" || true
}

# check WHAT FILE SNI SRC TUNNEL: FILE holds one record for SNI from SRC
# whose tunnel field is TUNNEL ("" = absent); its ja4 in $TMP/ja4-SNI.
check() {
	local got
	if got=$(/usr/bin/python3 - "$2" "$3" "$4" "$5" <<'PY'
import json, sys
path, sni, src, tun = sys.argv[1:]
recs = [json.loads(l) for l in open(path) if l.startswith("{")]
mine = [r for r in recs if r.get("tls_sni") == sni]
if len(mine) != 1:
    sys.exit(f"{len(mine)} records for {sni} ({len(recs)} in all)")
r = mine[0]
errs = []
if r["src_ip"] != src or r["dst_port"] != 443:
    errs.append(f"conn {r['conn_id']}")
if r.get("tunnel", "") != tun:
    errs.append(f"tunnel {r.get('tunnel')!r}, want {tun!r}")
if not r.get("handshake_validated"):
    errs.append("not validated")
if errs:
    sys.exit("; ".join(errs))
print(r["ja4"])
PY
	); then
		if [ -f "$TMP/ja4-$3" ] && [ "$(cat "$TMP/ja4-$3")" != "$got" ]; then
			bad "$1" "ja4 $got, another mode gave $(cat "$TMP/ja4-$3")"
		else
			echo "$got" >"$TMP/ja4-$3"
			ok "$1"
		fi
	else
		bad "$1" "$got $(tail -n 2 "$2" "${2%.out}.err" 2>/dev/null)"
	fi
}

capture tc tuvx
check "tc on the vxlan device: the inner hello, no tunnel field" "$TMP/tc-tuvx.out" vxlan.test 198.18.41.1 ""
GRE_CHECKS=("tc on the gre device (no Ethernet header): the inner hello"
	"pcap on the underlay, filter on the tunnels: gre decapsulated in userspace")
if [ "$GRE" = 1 ]; then
	capture tc tugre
	check "${GRE_CHECKS[0]}" "$TMP/tc-tugre.out" gre.test 198.18.42.1 ""
fi
capture pcap tu-s "udp dst port 4789 or udp src port 4789 or ip proto 47"
check "pcap on the underlay, filter on the tunnels: vxlan decapsulated in userspace" \
	"$TMP/pcap-tu-s.out" vxlan.test 198.18.41.1 vxlan
if [ "$GRE" = 1 ]; then
	check "${GRE_CHECKS[1]}" "$TMP/pcap-tu-s.out" gre.test 198.18.42.1 gre
else
	for c in "${GRE_CHECKS[@]}"; do skip "$c" "the kernel has no gre devices (ip_gre module)"; done
fi
capture tc tu-s
# The kernel program saw the tunnelled packets go by (so no record is not
# for want of traffic).
seen=$(/usr/bin/python3 -c '
import json, sys
for l in open(sys.argv[1]):
    if "\"final stats\"" in l:
        print(json.loads(l).get("kernel", {}).get("packets", 0))' "$TMP/tc-tu-s.err" 2>/dev/null || echo 0)
if [ "${seen:-0}" -lt 4 ]; then
	bad "tc on the underlay: the kernel program saw ${seen:-no} packets" "$(tail -n 2 "$TMP/tc-tu-s.err")"
elif grep -q '"ja4"' "$TMP/tc-tu-s.out"; then
	bad "tc on the underlay gives no record (the kernel program does not decapsulate)" \
		"$(head -c 300 "$TMP/tc-tu-s.out")"
elif grep -q '"capture started"' "$TMP/tc-tu-s.err"; then
	ok "tc on the underlay gives no record (the kernel program does not decapsulate)"
else
	bad "tc on the underlay: the daemon did not start" "$(tail -n 3 "$TMP/tc-tu-s.err")"
fi
finish
