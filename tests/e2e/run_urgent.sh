#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# TCP urgent data against a real TLS stack: a client sends its ClientHello
# with a byte slipped in by send(MSG_OOB) (Linux sends it with URG) inside
# the record header, inside the body, before the last byte. The server's
# kernel hides the urgent byte from its reader (no SO_OOBINLINE), so its
# OpenSSL completes the handshake; the record of each connection must carry
# the SNI the server read and the JA4 of the same client without the byte,
# in each live mode and from a dumpcap capture of the same traffic (--read).
# IPv4 in every mode, IPv6 in tc and --read.
#   tests/e2e/run_urgent.sh [BINARY] [MODE...]   (root; modes: tc xdp pcap)
set -eu
cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-build/ja4sentinel}")
shift || true
MODES=${*:-tc xdp pcap}
NS_S=urg$$-s NS_C=urg$$-c
SRV4=198.18.91.1 CLI4=198.18.91.2 SRV6=fd00:91::1 CLI6=fd00:91::2 PORT=443
POSITIONS="plain 2 4 40 last"
TMP=$(mktemp -d)
. tests/lib.sh
cleanup() {
	del_netns "$NS_S" "$NS_C"
	rm -rf "$TMP"
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ]; then
	skip urgent "needs root"
	finish
fi
netns_pair "$NS_S" urg-s "$NS_C" urg-c
ns_addr "$NS_S" urg-s "$SRV4/24" "$SRV6/64"
ns_addr "$NS_C" urg-c "$CLI4/24" "$CLI6/64"
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=urg.example -days 1 \
	-keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
printf 'core:\n  interface: urg-s\n  listen_ports: [%s]\n  pin_dir: /sys/fs/bpf/urg%s\n' \
	"$PORT" "$$" >"$TMP/c.yml"
NCONN=$(echo $POSITIONS | wc -w)

# one_run TAG MODE ADDR: server, sensor in MODE (none: a capture only),
# client making one connection per position.
one_run() {
	local tag=$1 mode=$2 addr=$3 dpid="" cpid="" i
	rm -f "$TMP/ready" "$TMP/sni-$tag"
	ip netns exec "$NS_S" python3 tests/e2e/urgent_peer.py server "$TMP/cert.pem" "$TMP/key.pem" \
		"$addr" "$PORT" "$NCONN" "$TMP/sni-$tag" "$TMP/ready" 2>"$TMP/server-$tag.err" &
	local spid=$!
	if [ "$mode" = none ]; then
		ip netns exec "$NS_S" dumpcap -q -P -i urg-s -f "tcp port $PORT" -w "$TMP/cap-$tag.pcap" \
			>/dev/null 2>"$TMP/dumpcap.err" &
		cpid=$!
		for ((i = 0; i < 50; i++)); do grep -qs "Capturing on" "$TMP/dumpcap.err" && break; sleep 0.1; done
	else
		daemon_in_ns "$NS_S" "$BIN" "$TMP/c.yml" "$TMP/out-$tag" "$TMP/err-$tag" --mode "$mode"
		dpid=$DAEMON_PID
	fi
	for ((i = 0; i < 50; i++)); do [ -f "$TMP/ready" ] && break; sleep 0.1; done
	ip netns exec "$NS_C" timeout 20 python3 tests/e2e/urgent_peer.py client "$addr" "$PORT" $POSITIONS \
		>"$TMP/client-$tag.out" 2>&1 || true
	for ((i = 0; i < 50; i++)); do
		[ "$(wc -l <"$TMP/sni-$tag" 2>/dev/null || echo 0)" -ge "$NCONN" ] && break
		sleep 0.1
	done
	sleep 0.5
	for p in $dpid $cpid; do kill -TERM "$p" 2>/dev/null || true; done
	kill "$spid" 2>/dev/null || true
	wait || true
}

# check TAG OUTFILE ERRFILE: the server completed every handshake; each
# connection has one record with the SNI the server read and the JA4 of the
# plain one, without hello_conflict; the urgent bytes were counted.
check() {
	local tag=$1 want got msg
	want=$(for p in $POSITIONS; do echo "p$p.urg.example"; done | sort)
	got=$(sort "$TMP/sni-$tag" 2>/dev/null || true)
	if [ "$got" != "$want" ]; then
		bad "$tag: the server did not complete every handshake (read: $(echo $got))" \
			"$(cat "$TMP/client-$tag.out" "$TMP/server-$tag.err" 2>/dev/null)"
		return
	fi
	if msg=$(python3 - "$2" $POSITIONS <<'EOF'
import json, sys
recs = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    # An urgent byte is not a second copy of hello bytes.
    recs.setdefault(r.get("tls_sni"), []).append(
        r.get("ja4") if not r.get("hello_conflict") else "hello_conflict")
base = recs.get("pplain.urg.example", [None])
out = []
for p in sys.argv[2:]:
    name = "p%s.urg.example" % p
    got = recs.get(name)
    if not got or len(got) != 1 or got[0] != base[0] or base[0] is None:
        out.append("%s: %s (plain: %s)" % (name, got, base))
if out:
    print("; ".join(out))
    sys.exit(1)
print("%d records, JA4 %s" % (len(sys.argv) - 2, base[0]))
EOF
	); then
		ok "$tag: every record has the SNI the server read and the plain JA4 ($msg)"
	else
		bad "$tag: records differ from what the server read" "$msg"
	fi
	if grep -q '"urgent_bytes_removed":4[,}]' "$3"; then
		ok "$tag: 4 urgent bytes removed, counted"
	else
		bad "$tag: urgent_bytes_removed is not 4" "$(grep -o '"flows":{[^}]*}' "$3" | tail -n 1)"
	fi
}

for mode in $MODES; do
	one_run "$mode" "$mode" "$SRV4"
	check "$mode" "$TMP/out-$mode" "$TMP/err-$mode"
done
case " $MODES " in *" tc "*)
	one_run tc-ipv6 tc "$SRV6"
	check tc-ipv6 "$TMP/out-tc-ipv6" "$TMP/err-tc-ipv6"
	;;
esac
for fam in 4 6; do
	t=read-ipv$fam
	[ $fam = 4 ] && a=$SRV4 || a=$SRV6
	one_run "$t" none "$a"
	if [ -s "$TMP/cap-$t.pcap" ]; then
		"$BIN" --config "$TMP/c.yml" --read "$TMP/cap-$t.pcap" >"$TMP/out-$t" 2>"$TMP/err-$t" || true
		check "$t" "$TMP/out-$t" "$TMP/err-$t"
	else
		bad "$t: dumpcap captured nothing" "$(cat "$TMP/dumpcap.err")"
	fi
done
finish
