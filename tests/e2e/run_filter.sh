#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# core.bpf_filter live, as a Go config sets it: in tc and xdp mode it runs
# in userspace on what the kernel program passes up, in pcap mode in the
# kernel; either way only the kept client's hellos give records.
#
#   client ns  198.18.6.2, fd00:6::2 (kept)     ==veth==  198.18.6.1, fd00:6::1 server ns
#              198.18.6.3, fd00:6::3 (dropped)             tests/tls_server.py :8443, ja4sentinel
#
# First a control (bpf_filter "tcp": both clients give records); then per
# mode (FILTER_MODES, default "tc xdp pcap"), with bpf_filter
# "host 198.18.6.2 or host fd00:6::2": 3 TLS clients from each address;
# exactly the 6 kept ones give a record; the startup log says where the filter runs; in the
# eBPF modes the kernel program sent up both clients' SYNs and the stats
# count what the filter dropped. Then auto mode with a filter that needs
# the link layer ("vlan"): tc refuses it, auto says so and runs pcap.
#   tests/e2e/run_filter.sh [BINARY]   (root)
# shellcheck disable=SC2317 # (cleanup runs from the EXIT trap)
set -eu
cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-build/ja4sentinel}")
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
HELPER=tests/e2e/e2e_helper.py
NS_SRV=j4s-flt-$$-srv
NS_CLI=j4s-flt-$$-cli
IF_SRV=j4f$$s
IF_CLI=j4f$$c
SRV=198.18.6.1
KEEP=198.18.6.2
DROP=198.18.6.3
SRV6=fd00:6::1
KEEP6=fd00:6::2
DROP6=fd00:6::3
N=3 # connections per client address
TMP=$(mktemp -d /tmp/j4s-filter.XXXXXX)
SERVER=""
. tests/lib.sh
cleanup() {
	[ -z "$SERVER" ] || kill "$SERVER" 2>/dev/null || true
	del_netns "$NS_SRV" "$NS_CLI"
	rm -rf "$TMP"
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ]; then
	skip filter "network namespaces and capture need root"
	finish
fi
netns_pair "$NS_SRV" "$IF_SRV" "$NS_CLI" "$IF_CLI"
ns_addr "$NS_SRV" "$IF_SRV" "$SRV/24" "$SRV6/64"
ns_addr "$NS_CLI" "$IF_CLI" "$KEEP/24" "$DROP/24" "$KEEP6/64" "$DROP6/64"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=filter.test -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1
# Each connection in a thread of its own: one stalled client must not keep
# the later ones waiting (tests/tls_server.py says why not openssl s_server).
ip netns exec "$NS_SRV" "$PY" tests/tls_server.py "$TMP/cert.pem" "$TMP/key.pem" 8443 \
	--timeout 60 >"$TMP/server.out" 2>&1 &
SERVER=$!
for _ in $(seq 50); do
	ip netns exec "$NS_SRV" ss -ltnH "sport = :8443" | grep -q LISTEN && break
	sleep 0.1
done

# run_daemon MODE FILTER TAG: the daemon in the server namespace (bpffs
# mounted in its own mount namespace: pins private to this test) while
# N clients connect from each address; stdout records in $TMP/TAG.out.
run_daemon() {
	local mode=$1 filter=$2 tag=$3 pid i
	cat >"$TMP/$tag.yml" <<-YML
		core:
		  interface: $IF_SRV
		  capture_mode: $mode
		  listen_ports: [8443]
		  bpf_filter: "$filter"
		outputs:
		  - type: stdout
	YML
	daemon_in_ns "$NS_SRV" "$BIN" "$TMP/$tag.yml" "$TMP/$tag.out" "$TMP/$tag.err"
	pid=$DAEMON_PID
	for i in $(seq "$N"); do
		for src in "$KEEP" "$DROP" "$KEEP6" "$DROP6"; do
			dst=$SRV
			[[ $src != *:* ]] || dst=$SRV6
			ip netns exec "$NS_CLI" timeout 10 "$PY" "$HELPER" tls-client "$dst" 8443 \
				--bind "$src" --sni "c$i.filter.test" >>"$TMP/$tag.cli" 2>&1 || true
		done
	done
	for _ in $(seq 40); do
		[ "$(grep -c '"ja4"' "$TMP/$tag.out" || true)" -ge $((2 * N)) ] && break
		sleep 0.05
	done
	sleep 0.5 # what the dropped client might still have given
	kill -TERM "$pid" 2>/dev/null || true
	RC=0
	wait "$pid" || RC=$?
}

# What the records and the final stats say, as "records kept dropped
# filter_dropped syn_events" (kept, dropped: both families).
summary() {
	"$PY" - "$1" "$2" "$KEEP,$KEEP6" "$DROP,$DROP6" <<-'PY'
		import json, sys
		recs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
		stats = [json.loads(l) for l in open(sys.argv[2]) if '"final stats"' in l]
		st = stats[-1] if stats else {}
		keep, drop = sys.argv[3].split(","), sys.argv[4].split(",")
		print(len(recs), sum(r.get("src_ip") in keep for r in recs),
		      sum(r.get("src_ip") in drop for r in recs),
		      st.get("packets", {}).get("bpf_filter_dropped", -1),
		      st.get("kernel", {}).get("syn_events", -1))
	PY
}

# The control: a filter that keeps everything gives both clients' records,
# so "none from $DROP" below is the filter's doing. Meanwhile a client that
# connected before the daemon started says nothing: a server that serves
# one connection at a time would keep every client below waiting behind it.
ip netns exec "$NS_CLI" "$PY" -c 'import socket, sys, time
s = socket.create_connection((sys.argv[1], 8443), timeout=5)
time.sleep(300)' "$SRV" 2>"$TMP/silent.err" &
SILENT=$!
sleep 0.3
run_daemon tc "tcp" control
# (The records alone would not show it: a client's hello goes out, and is
# recorded, before the server answers.)
hs=$(grep -c ' TLSv1\.[23] ' "$TMP/control.cli" || true)
if kill "$SILENT" 2>/dev/null && [ "$hs" = $((4 * N)) ]; then
	ok "control: $hs of $((4 * N)) TLS handshakes completed while a silent client held a connection"
else
	bad "control: $hs of $((4 * N)) TLS handshakes completed with a silent client connected (or it was not)" \
		"$(tail -n 3 "$TMP/control.cli"; cat "$TMP/silent.err")"
fi
read -r total kept dropped fdrop _ <<<"$(summary "$TMP/control.out" "$TMP/control.err")"
if [ "$kept" = $((2 * N)) ] && [ "$dropped" = $((2 * N)) ] && [ "$fdrop" = 0 ]; then
	ok "control: bpf_filter \"tcp\" in tc mode: $kept + $dropped records, nothing dropped"
else
	bad "control: $kept kept-side, $dropped dropped-side records, bpf_filter_dropped $fdrop (want $((2 * N)), $((2 * N)), 0)" \
		"$(tail -n 5 "$TMP/control.cli")"
fi

for mode in ${FILTER_MODES:-tc xdp pcap}; do
	run_daemon "$mode" "host $KEEP or host $KEEP6" "$mode"
	if ! grep -qs '"capture started"' "$TMP/$mode.err"; then
		bad "$mode: the daemon did not start" "$(tail -n 3 "$TMP/$mode.err")"
		continue
	fi
	read -r total kept dropped fdrop syns <<<"$(summary "$TMP/$mode.out" "$TMP/$mode.err")"
	if [ "$total" = $((2 * N)) ] && [ "$kept" = $((2 * N)) ] && [ "$dropped" = 0 ]; then
		ok "$mode: bpf_filter \"host $KEEP or host $KEEP6\": $kept records from them, none from $DROP, $DROP6"
	else
		bad "$mode: $total records, $kept from $KEEP/$KEEP6, $dropped from $DROP/$DROP6 (want $((2 * N)), $((2 * N)), 0)" \
			"$(tail -n 5 "$TMP/$mode.cli")"
	fi
	if [ "$RC" = 0 ]; then
		ok "$mode: SIGTERM exits 0"
	else
		bad "$mode: exit $RC" "$(tail -n 3 "$TMP/$mode.err")"
	fi
	case $mode in
	pcap) where="in the kernel by libpcap (pcap mode)" ;;
	*) where="applied in userspace to the packets the $mode program passes up" ;;
	esac
	if grep -qF "\"message\":\"bpf_filter: $where\"" "$TMP/$mode.err"; then
		ok "$mode: the startup log says \"bpf_filter: $where\""
	else
		bad "$mode: no log line \"bpf_filter: $where\"" "$(grep -i filter "$TMP/$mode.err" | head -n 3)"
	fi
	if [ "$mode" != pcap ]; then
		# Every client's SYN left the kernel; the dropped ones' SYNs,
		# hellos and the server's SYN-ACKs to them, at least, were
		# filtered here.
		if [ "$syns" -ge $((4 * N)) ] && [ "$fdrop" -ge $((6 * N)) ]; then
			ok "$mode: kernel sent up $syns SYNs, bpf_filter_dropped $fdrop"
		else
			bad "$mode: kernel syn_events $syns (want >= $((4 * N))), bpf_filter_dropped $fdrop (want >= $((6 * N)))"
		fi
	fi
done

# A filter that needs the link layer: not for the eBPF modes. auto says
# why it leaves tc and runs it in pcap mode, with the same result.
run_daemon auto "host $KEEP or host $KEEP6 or vlan" auto
read -r total kept dropped _ _ <<<"$(summary "$TMP/auto.out" "$TMP/auto.err")"
if grep -qs '"capture started","mode":"pcap"' "$TMP/auto.err" &&
	grep -qs 'capture_mode auto: tc not possible: core.bpf_filter.*link layer.* -> pcap' "$TMP/auto.err"; then
	ok "auto: a link-layer filter (vlan) sends tc to pcap, saying why"
else
	bad "auto: no fallback to pcap for a vlan filter" "$(grep -E 'auto|started|error' "$TMP/auto.err" | head -n 3)"
fi
if [ "$kept" = $((2 * N)) ] && [ "$dropped" = 0 ]; then
	ok "auto (pcap): $kept records from $KEEP, $KEEP6, none from $DROP, $DROP6"
else
	bad "auto (pcap): $total records, $kept from $KEEP/$KEEP6, $dropped from $DROP/$DROP6"
fi
finish
