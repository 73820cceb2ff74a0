#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Replay the test captures onto a veth with tcpreplay and check that the
# live daemon, in each capture mode, gives the records --read gives for
# the same files (JA4T on: the SYN each mode passes up gives the same one). The synthetic captures all use one client 4-tuple, so
# each is first given its own client address with tcprewrite.
#   tests/replay/run_replay.sh [BINARY] [MODE...]   (root; modes: tc xdp pcap)
set -eu

cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-build/ja4sentinel}")
shift || true
MODES=("$@")
[ ${#MODES[@]} -gt 0 ] || MODES=(tc xdp pcap)
SHARED=${SHARED:-../shared/testdata}
NS=j4s-rp-$$
TMP=$(mktemp -d)
. tests/lib.sh

cleanup() {
	del_netns "$NS"
	rm -rf "$TMP"
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ]; then
	skip replay "needs root (namespaces, BPF)"
	finish
fi
for t in tcpreplay tcprewrite capinfos; do
	command -v "$t" >/dev/null || { skip replay "$t not installed"; finish; }
done

# Ethernet captures only: tcpreplay sends frames as they are.
CAPS=()
for f in "$SHARED"/foxio/*.pcap* "$SHARED"/synthetic/*.pcap tests/data/synthetic/*.pcap*; do
	case $f in *.json) continue ;; esac
	[ -f "$f" ] || continue
	# tls-sni repeats tls-handshake's connections without SYNs, and
	# tls-non-ascii-alpn one of browsers-x509's, quic-tls-handshake and
	# quic-with-several-tls-frames two of tls-handshake's QUIC connections
	# (same 4-tuple and DCID): replayed after them they would be (rightly)
	# seen as finished flows.
	case $(basename "$f") in
	tls-sni.pcapng | tls-non-ascii-alpn.pcapng | quic-tls-handshake.pcapng | \
		quic-with-several-tls-frames.pcapng) continue ;;
	esac
	# Tunnelled captures: the kernel program does not decapsulate and pcap's
	# generated filter takes no tunnel port, so live modes rightly give no record
	# for them (docs/operations.md); tests/e2e/run_tunnels.sh covers them live.
	case $(basename "$f") in tun-*) continue ;; esac
	capinfos -E "$f" 2>/dev/null | grep -q 'Ethernet$' && CAPS+=("$f")
done

# Give each synthetic capture its own client address (IPv4 and IPv6).
i=0
PREP=()
for f in "${CAPS[@]}"; do
	i=$((i + 1))
	out=$TMP/$i-$(basename "$f")
	out=${out%.pcapng}.pcap
	tcprewrite --srcipmap="192.0.2.10/32:198.18.$((i / 250)).$((i % 250 + 1))/32,[2001:db8::10]/128:[fd00::$i]/128" \
		--dstipmap="192.0.2.10/32:198.18.$((i / 250)).$((i % 250 + 1))/32,[2001:db8::10]/128:[fd00::$i]/128" \
		--fixcsum -i "$f" -o "$out" 2>/dev/null || cp "$f" "$out"
	PREP+=("$out")
done

CONF=$TMP/config.yml
CORE='core:
  interface: rp0
  listen_ports: [443, 5228, 8080, 1080]
  flow_timeout_sec: 30
  xdp_generic: true'
OUTPUTS='fingerprints:
  ja4t: true
outputs:
  - type: stdout'
printf '%s\n%s\n' "$CORE" "$OUTPUTS" >"$CONF"

# What --read says, file by file (a fresh flow table each, as live state
# is fresh for each distinct client).
EXPECT=$TMP/expect.txt
for f in "${PREP[@]}"; do
	"$BIN" --config "$CONF" --read "$f" 2>/dev/null
done >"$TMP/read.json"
# The replayed servers are not this host's addresses, which an empty
# local_ips would mean live (a sensor on a mirror port lists its servers):
# the live daemon gets the servers the records name.
LIVE_CONF=$TMP/live.yml
{
	echo "$CORE"
	echo "  local_ips:"
	python3 -c '
import json, sys
for a in sorted({json.loads(l)["dst_ip"] for l in open(sys.argv[1])}):
    print(f"    - \"{a}\"")
' "$TMP/read.json"
	echo "$OUTPUTS"
} >"$LIVE_CONF"
python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    print(r["conn_id"], r["ja4"], r["ja3_hash"], r.get("tls_sni", "-"), r["ip_meta_ttl"], r.get("tcp_meta_options", "-"),
          r.get("ja4t", "-"))
' <"$TMP/read.json" | sort >"$EXPECT"
N=$(wc -l <"$EXPECT")
[ "$N" -gt 100 ] && ok "--read of ${#PREP[@]} captures: $N records" || bad "--read gave only $N records"

ip netns add "$NS"
ip -n "$NS" link add rp0 type veth peer name rp1
ip -n "$NS" link set rp0 up
ip -n "$NS" link set rp1 up
ip netns exec "$NS" sh -c 'mount -t bpf bpf /sys/fs/bpf 2>/dev/null || true'

for mode in "${MODES[@]}"; do
	out=$TMP/$mode.out
	err=$TMP/$mode.err
	ip netns exec "$NS" "$BIN" --config "$LIVE_CONF" --mode "$mode" >"$out" 2>"$err" &
	pid=$!
	for _ in $(seq 50); do grep -q 'capture started' "$err" && break; sleep 0.1; done
	if ! grep -q 'capture started' "$err"; then
		bad "$mode: daemon did not start" "$(cat "$err")"
		kill "$pid" 2>/dev/null || true
		continue
	fi
	for f in "${PREP[@]}"; do
		ip netns exec "$NS" tcpreplay -q -i rp1 --topspeed "$f" >/dev/null 2>&1 || true
	done
	sleep 1
	kill -TERM "$pid"
	wait "$pid" || true
	python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    print(r["conn_id"], r["ja4"], r["ja3_hash"], r.get("tls_sni", "-"), r["ip_meta_ttl"], r.get("tcp_meta_options", "-"),
          r.get("ja4t", "-"))
' "$out" | sort >"$TMP/$mode.got"
	if diff -u "$EXPECT" "$TMP/$mode.got" >"$TMP/$mode.diff"; then
		ok "$mode: replay gives the records --read gives ($N)"
	else
		bad "$mode: replay differs from --read ($(grep -c '^-[^-]' "$TMP/$mode.diff") missing, $(grep -c '^+[^+]' "$TMP/$mode.diff") extra)" "$(head -n 20 "$TMP/$mode.diff"; tail -n 3 "$err")"
	fi
done
finish
