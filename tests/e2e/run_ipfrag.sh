#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# A ClientHello in IP fragments over real TCP to a real server, in tc, xdp
# and pcap mode (FRAG_MODES): the client's Linux fragments it, the
# server's Linux rebuilds it and completes the handshake, and the daemon
# must give its record (design.md §13: a client that fragments its hello
# must not go unrecorded).
#
#   client ns  198.18.77.2  ==veth, MTU 300 on the client's end==  198.18.77.1  server ns
#                                                                  tests/tls_server.py :8443, ja4sentinel
#
# How Linux is made to fragment TCP: the client's route to the server says
# MTU 1500 (so TCP builds 1460-byte segments) while its interface has 300,
# and the client socket uses IP_PMTUDISC_INTERFACE (DF clear, fragments
# cut to the interface MTU). The server advertises MSS 1460 (advmss) but
# sends by a 300-byte route MTU, which the client's end can receive. Each
# mode: N TLS handshakes complete, N records with the client's SNI, and
# the stats say fragments were rebuilt (ipfrag_reassembled) and, in tc and
# xdp mode, sent up by the kernel (fragment_events); also in tc with the
# unvalidated bucket at 1/s (tc-limited): validated hellos' fragments take
# no tokens. tcpdump, when there,
# shows the fragments on the wire first.
#   tests/e2e/run_ipfrag.sh [BINARY]   (root)
# shellcheck disable=SC2317 # (cleanup runs from the EXIT trap)
set -eu
cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-build/ja4sentinel}")
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
NS_SRV=j4s-frag$$-srv
NS_CLI=j4s-frag$$-cli
IF_SRV=j4g$$s
IF_CLI=j4g$$c
SRV=198.18.77.1
CLI=198.18.77.2
N=3
TMP=$(mktemp -d /tmp/j4s-frag.XXXXXX)
SERVER=""
. tests/lib.sh
cleanup() {
	[ -z "$SERVER" ] || kill "$SERVER" 2>/dev/null || true
	del_netns "$NS_SRV" "$NS_CLI"
	rm -rf "$TMP"
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ]; then
	skip ipfrag "network namespaces and capture need root"
	finish
fi
netns_pair "$NS_SRV" "$IF_SRV" "$NS_CLI" "$IF_CLI"
ns_addr "$NS_SRV" "$IF_SRV" "$SRV/24"
ns_addr "$NS_CLI" "$IF_CLI" "$CLI/24"
ip -n "$NS_CLI" link set "$IF_CLI" mtu 300
ip -n "$NS_CLI" route replace "$SRV/32" dev "$IF_CLI" mtu lock 1500
ip -n "$NS_SRV" route replace "$CLI/32" dev "$IF_SRV" mtu lock 300 advmss 1460

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=frag.test -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1
ip netns exec "$NS_SRV" "$PY" tests/tls_server.py "$TMP/cert.pem" "$TMP/key.pem" 8443 \
	--timeout 60 >"$TMP/server.out" 2>&1 &
SERVER=$!
for _ in $(seq 50); do
	ip netns exec "$NS_SRV" ss -ltnH "sport = :8443" | grep -q LISTEN && break
	sleep 0.1
done

# One TLS client whose hello leaves in fragments; prints the TLS version
# of the completed handshake.
cat >"$TMP/client.py" <<-'PY'
	import socket, ssl, sys
	IP_MTU_DISCOVER, IP_PMTUDISC_INTERFACE = 10, 4
	s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_INTERFACE)
	s.settimeout(10)
	s.connect((sys.argv[1], int(sys.argv[2])))
	ctx = ssl.create_default_context()
	ctx.check_hostname = False
	ctx.verify_mode = ssl.CERT_NONE
	t = ctx.wrap_socket(s, server_hostname=sys.argv[3])
	print("handshake", t.version())
	t.close()
PY

# The wire first: the hello must really travel in fragments.
if command -v tcpdump >/dev/null; then
	ip netns exec "$NS_SRV" tcpdump --immediate-mode -U -nni "$IF_SRV" -w "$TMP/wire.pcap" \
		'ip[6:2] & 0x3fff != 0' >/dev/null 2>"$TMP/dump.err" &
	DUMP=$!
	for _ in $(seq 50); do
		grep -qs 'listening on' "$TMP/dump.err" && break
		sleep 0.1
	done
	ip netns exec "$NS_CLI" timeout 15 "$PY" "$TMP/client.py" "$SRV" 8443 wire.frag.test \
		>"$TMP/wire.cli" 2>&1 || true
	sleep 0.3
	kill "$DUMP" 2>/dev/null || true
	wait "$DUMP" 2>/dev/null || true
	nfrag=$(tcpdump -nr "$TMP/wire.pcap" 2>/dev/null | wc -l)
	if [ "$nfrag" -ge 2 ] && grep -q '^handshake TLS' "$TMP/wire.cli"; then
		ok "the client's hello crosses the veth in $nfrag IP fragments; the server completes the handshake"
	else
		bad "no fragmented hello on the wire ($nfrag fragments), or no handshake" \
			"$(cat "$TMP/wire.cli" "$TMP/dump.err")"
	fi
else
	skip "wire check" "tcpdump not installed"
fi

# run_daemon MODE: the daemon in the server namespace (bpffs mounted in its
# own mount namespace: pins private to this test) while N clients connect.
run_daemon() {
	local mode=$1 pid i limit=""
	# tc-limited: the unvalidated bucket at 1 token a second, burst 1, so
	# that fragments taking tokens would be held back: a validated hello's
	# are not (design.md §13).
	[ "$mode" = tc-limited ] && limit=$'\n  unvalidated_rate: 1\n  unvalidated_burst: 1'
	cat >"$TMP/$mode.yml" <<-YML
		core:
		  interface: $IF_SRV
		  capture_mode: ${mode%-limited}
		  listen_ports: [8443]$limit
		outputs:
		  - type: stdout
	YML
	daemon_in_ns "$NS_SRV" "$BIN" "$TMP/$mode.yml" "$TMP/$mode.out" "$TMP/$mode.err"
	pid=$DAEMON_PID
	for i in $(seq "$N"); do
		ip netns exec "$NS_CLI" timeout 15 "$PY" "$TMP/client.py" "$SRV" 8443 \
			"c$i.$mode.frag.test" >>"$TMP/$mode.cli" 2>&1 || true
	done
	for _ in $(seq 40); do
		[ "$(grep -c '"ja4"' "$TMP/$mode.out" || true)" -ge "$N" ] && break
		sleep 0.05
	done
	kill -TERM "$pid" 2>/dev/null || true
	RC=0
	wait "$pid" || RC=$?
}

# "records with_sni reassembled fragment_events" of a run.
summary() {
	"$PY" - "$1" "$2" "$3" <<-'PY'
		import json, sys
		recs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
		stats = [json.loads(l) for l in open(sys.argv[2]) if '"final stats"' in l]
		st = stats[-1] if stats else {}
		print(len(recs), sum(r.get("tls_sni", "").endswith("." + sys.argv[3] + ".frag.test")
		                     and r.get("handshake_validated") is True for r in recs),
		      st.get("packets", {}).get("ipfrag_reassembled", -1),
		      st.get("kernel", {}).get("fragment_events", -1))
	PY
}

for mode in ${FRAG_MODES:-tc xdp pcap tc-limited}; do
	run_daemon "$mode"
	if ! grep -qs '"capture started"' "$TMP/$mode.err"; then
		bad "$mode: the daemon did not start" "$(tail -n 3 "$TMP/$mode.err")"
		continue
	fi
	hs=$(grep -c '^handshake TLS' "$TMP/$mode.cli" || true)
	read -r total sni rebuilt events <<<"$(summary "$TMP/$mode.out" "$TMP/$mode.err" "$mode")"
	if [ "$hs" = "$N" ] && [ "$total" = "$N" ] && [ "$sni" = "$N" ] && [ "$rebuilt" -ge "$N" ]; then
		ok "$mode: $N fragmented hellos, $N handshakes, $N validated records with their SNI, $rebuilt datagrams rebuilt"
	else
		bad "$mode: $hs handshakes, $total records, $sni validated with the SNI, ipfrag_reassembled $rebuilt (want $N each)" \
			"$(tail -n 3 "$TMP/$mode.cli"; grep '"final stats"' "$TMP/$mode.err" | cut -c1-600)"
	fi
	if [ "$mode" != pcap ]; then
		if [ "$events" -ge $((2 * N)) ]; then
			ok "$mode: the kernel program sent up $events fragments"
		else
			bad "$mode: kernel fragment_events $events (want >= $((2 * N)))"
		fi
	fi
	if [ "$RC" = 0 ]; then
		ok "$mode: SIGTERM exits 0"
	else
		bad "$mode: exit $RC" "$(tail -n 3 "$TMP/$mode.err")"
	fi
done
finish
