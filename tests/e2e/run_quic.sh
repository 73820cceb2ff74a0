#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Live QUIC (HTTP/3) end to end, in tc, xdp and pcap mode: two namespaces
# joined by a veth pair, ngtcp2's gtlsserver (GnuTLS) on UDP 443 in the
# server one (198.18.16.1, fd00:16::1), and from the client one:
#   gtlsclient over IPv4 and IPv6 (QUIC v1), headless chromium forced onto
#   QUIC (its post-quantum hello spans two Initial packets), and garbage on
#   UDP 443: a v1 long header that does not decrypt, a short header, text,
#   and gtlsclient's "-v 0x6b3343cf" Initial (ngtcp2 0.12 knows only the v2
#   draft, so it sends v1 packet types under the v2 number: not an Initial
#   of RFC 9369, no record; real v2 is in the corpus, suricata quic-v2-ja3).
# Checks, per mode: one record per QUIC connection with JA4 'q', its
# address family, SNI and QUIC version, no tcp_meta_*; the same records (timestamp within 20
# ms) from `--read` of a dumpcap capture of the same traffic; the daemon's
# quic counters saw the garbage and, in the eBPF modes, the kernel's
# quic_events counted the Initials it passed.
# And a client of our own (quic_port_peer.py) whose post-quantum-sized
# hello spans two Initials, with 6 Initials of fresh DCIDs between them and
# the second from another source port: one record, under the first port.
# Then, per mode, 20 spoofed TCP hellos against an unvalidated bucket of 3,
# and a QUIC client: its record is there (QUIC has a bucket of its own);
# and 30 spoofed Initials against the QUIC bucket of 3, then gtlsclient and
# chromium: their records are there, validated (they named their server's
# connection ID).
#   tests/e2e/run_quic.sh [BINARY]   (root; ~15 s a mode)
# Environment: QUIC_MODES (default "tc xdp pcap"), QUIC_KEEP=1 keeps the
# work directory.
set -eu
cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-build/ja4sentinel}")
MODES=${QUIC_MODES:-tc xdp pcap}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
NS_S=j4s-quic-$$-s
NS_C=j4s-quic-$$-c
IF_S=j4q$$s
IF_C=j4q$$c
V4_S=198.18.16.1
V4_C=198.18.16.2
V6_S=fd00:16::1
V6_C=fd00:16::2
TMP=$(mktemp -d)
# shellcheck source=tests/lib.sh
. tests/lib.sh

cleanup() {
	del_netns "$NS_S" "$NS_C"
	if [ "${QUIC_KEEP:-0}" = 1 ]; then echo "# kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ]; then
	skip quic "needs root (namespaces, BPF)"
	finish
fi
for t in gtlsserver gtlsclient dumpcap; do
	if ! command -v "$t" >/dev/null 2>&1; then
		skip quic "$t not installed (scripts/deps.sh: ngtcp2-server, ngtcp2-client, tshark)"
		finish
	fi
done
HAVE_CHROMIUM=0
command -v chromium >/dev/null 2>&1 && HAVE_CHROMIUM=1
HAVE_CRYPTO=0 # quic_port_peer.py seals its Initials with python3-cryptography
"$PY" -c 'import cryptography' 2>/dev/null && HAVE_CRYPTO=1

netns_pair "$NS_S" "$IF_S" "$NS_C" "$IF_C"
ns_addr "$NS_S" "$IF_S" "$V4_S/24" "$V6_S/64"
ns_addr "$NS_C" "$IF_C" "$V4_C/24" "$V6_C/64"

mkdir -p "$TMP/www"
echo "ja4sentinel quic e2e" >"$TMP/www/index.html"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=quic.test -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1
for a in "$V4_S" "$V6_S"; do
	ip netns exec "$NS_S" gtlsserver -q -d "$TMP/www" "$a" 443 "$TMP/key.pem" "$TMP/cert.pem" \
		>>"$TMP/server.log" 2>&1 &
done

cat >"$TMP/c.yml" <<YML
core:
  interface: $IF_S
  listen_ports: [443]
  xdp_generic: true
  log_level: info
fingerprints:
  raw: true
YML

# wait_for SECONDS FILE PATTERN
wait_for() {
	local i
	for ((i = 0; i < $1 * 20; i++)); do
		grep -qsF -- "$3" "$2" && return 0
		sleep 0.05
	done
	return 1
}

# The clients of one run; each line of $EXPECT: FAMILY SNI VERSION
# (gtlsclient 0.12 sends SNI "localhost" whatever --sni says).
clients() {
	local url=https://quic.test/index.html
	: >"$EXPECT"
	ip netns exec "$NS_C" timeout 10 gtlsclient -q --exit-on-all-streams-close \
		"$V4_S" 443 "$url" >>"$TMP/client.log" 2>&1 || true
	echo "4 localhost 1" >>"$EXPECT"
	ip netns exec "$NS_C" timeout 10 gtlsclient -q --exit-on-all-streams-close \
		"$V6_S" 443 "$url" >>"$TMP/client.log" 2>&1 || true
	echo "6 localhost 1" >>"$EXPECT"
	ip netns exec "$NS_C" timeout 10 gtlsclient -q -v 0x6b3343cf --exit-on-all-streams-close \
		"$V4_S" 443 "$url" >>"$TMP/client.log" 2>&1 || true
	if [ "$HAVE_CHROMIUM" = 1 ]; then
		HOME=$TMP ip netns exec "$NS_C" timeout 30 chromium --headless --no-sandbox \
			--disable-gpu --user-data-dir="$TMP/chromium" \
			--origin-to-force-quic-on=quic.test:443 \
			--host-resolver-rules="MAP quic.test $V4_S" --ignore-certificate-errors \
			--dump-dom "$url" >>"$TMP/client.log" 2>&1 || true
		echo "4 quic.test 1" >>"$EXPECT"
	fi
	# A hello in two Initials with Initials of fresh DCIDs between them
	# and its second from another port (quic_port_peer.py): one record,
	# under the first port (its server routes both by DCID).
	: >"$TMP/port-$mode"
	if [ "$HAVE_CRYPTO" = 1 ] &&
		ip netns exec "$NS_C" "$PY" tests/e2e/quic_port_peer.py "$V4_S" portchange.test \
			>"$TMP/port-$mode" 2>>"$TMP/client.log"; then
		echo "4 portchange.test 1" >>"$EXPECT"
	fi
	# Garbage on UDP 443: a long header of v1 that does not decrypt, a
	# short header, plain text. None may give a record.
	ip netns exec "$NS_C" "$PY" -c '
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
junk = b"\xc3\x00\x00\x00\x01\x08" + os.urandom(8) + b"\x00\x00\x44\xb0" + os.urandom(1200)
for d in (junk, b"\x43" + os.urandom(60), b"hello there"):
    s.sendto(d, (sys.argv[1], 443))
' "$V4_S"
}

# compare LIVE READ EXPECT LABEL
compare() {
	"$PY" - "$@" <<'PY'
import json, sys
live_p, read_p, exp_p, label = sys.argv[1:5]
def load(p):
    return [json.loads(l) for l in open(p) if l.strip()]
live, read = load(live_p), load(read_p)
exp = [l.split() for l in open(exp_p) if l.strip()]
errs = []
by_sni = {}
for r in live:
    fam = "6" if ":" in r["src_ip"] else "4"
    by_sni.setdefault((fam, r.get("tls_sni")), []).append(r)
for fam, sni, ver in exp:
    got = by_sni.get((fam, sni), [])
    # gtlsclient makes one connection; chromium may race or retry a
    # second one under load (each its own record, each in --read too).
    if len(got) != 1 and not (sni == "quic.test" and len(got) >= 1):
        errs.append(f"IPv{fam} {sni}: {len(got)} live records, want 1")
        continue
    r = got[0]
    if not r["ja4"].startswith("q") or r.get("quic_version") != ver:
        errs.append(f"{sni}: ja4 {r['ja4']} quic_version {r.get('quic_version')}, want q.. {ver}")
    if any(k.startswith("tcp_meta") or k == "syn_to_clienthello_ms" for k in r):
        errs.append(f"{sni}: TCP fields in a QUIC record")
want = {(f, n) for f, n, _ in exp}
stray = [k for k in by_sni if k not in want]
if stray:
    errs.append(f"records of no client (garbage?): {stray}")
key = lambda r: r["conn_id"] + "/" + r.get("tls_sni", "")
lm, rm = {key(r): r for r in live}, {key(r): r for r in read}
if set(lm) != set(rm):
    errs.append(f"live and --read differ in connections: {sorted(set(lm) ^ set(rm))}")
for k in set(lm) & set(rm):
    a, b = lm[k], rm[k]
    for f in sorted(set(a) | set(b)):
        if f == "timestamp":
            if abs(a[f] - b[f]) > 20_000_000:
                errs.append(f"{k}: timestamp {a[f]} vs {b[f]}")
        elif a.get(f) != b.get(f):
            errs.append(f"{k}: {f} live {a.get(f)!r} read {b.get(f)!r}")
if errs:
    print("FAIL " + label + ": " + "; ".join(errs[:8]))
    sys.exit(1)
chrome = [r for r in live if r.get("tls_sni") == "quic.test"]
pq = " (chromium's post-quantum hello: 4588 in its groups)" if chrome and ",4588-" in chrome[0]["ja3"] else ""
print(f"ok {label}: {len(live)} records, equal to --read{pq}")
PY
}

for mode in $MODES; do
	EXPECT=$TMP/expect-$mode
	CAP=$TMP/cap-$mode.pcapng
	ip netns exec "$NS_S" dumpcap -i "$IF_S" -f "udp port 443" -w "$CAP" \
		>"$TMP/dumpcap-$mode.log" 2>&1 &
	DC=$!
	if ! wait_for 10 "$TMP/dumpcap-$mode.log" "Capturing on"; then
		bad "$mode: dumpcap did not start" "$(cat "$TMP/dumpcap-$mode.log")"
		kill "$DC" 2>/dev/null || true
		continue
	fi
	ip netns exec "$NS_S" sh -c "mount -t bpf bpf /sys/fs/bpf 2>/dev/null; \
		exec '$BIN' --config '$TMP/c.yml' --mode $mode" >"$TMP/live-$mode.jsonl" \
		2>"$TMP/daemon-$mode.log" &
	DP=$!
	if ! wait_for 10 "$TMP/daemon-$mode.log" '"message":"capture started"'; then
		if grep -qiE "not supported|operation not permitted|xdp" "$TMP/daemon-$mode.log" &&
			[ "$mode" != pcap ] && ! kill -0 "$DP" 2>/dev/null; then
			skip "$mode" "the daemon cannot attach here: $(tail -n 1 "$TMP/daemon-$mode.log")"
		else
			bad "$mode: the daemon did not start" "$(tail -n 5 "$TMP/daemon-$mode.log")"
		fi
		kill "$DP" "$DC" 2>/dev/null || true
		wait "$DP" "$DC" 2>/dev/null || true
		continue
	fi
	clients
	sleep 0.5
	kill -TERM "$DP" "$DC"
	rc=0
	wait "$DP" || rc=$?
	wait "$DC" || true
	if [ "$rc" = 0 ]; then ok "$mode: SIGTERM exits 0"; else bad "$mode: the daemon exited $rc"; fi
	"$BIN" --config "$TMP/c.yml" --read "$CAP" >"$TMP/read-$mode.jsonl" 2>"$TMP/read-$mode.log" ||
		bad "$mode: --read of the capture failed" "$(tail -n 3 "$TMP/read-$mode.log")"
	out=$(compare "$TMP/live-$mode.jsonl" "$TMP/read-$mode.jsonl" "$EXPECT" \
		"$mode: one record per QUIC connection" || true)
	case $out in
	ok*) ok "${out#ok }" ;;
	*) bad "${out#FAIL }" "$(cut -c1-300 "$TMP/live-$mode.jsonl")" ;;
	esac
	# The port-changing client's record: its first port, and the table
	# continued its connection from the second (quic_port_changed).
	if [ -s "$TMP/port-$mode" ]; then
		read -r pa pb <"$TMP/port-$mode"
		final=$(grep -F '"final stats"' "$TMP/daemon-$mode.log" || true)
		pch=$(grep -o '"quic_port_changed":[0-9]*' <<<"$final" | cut -d: -f2)
		if grep -F '"tls_sni":"portchange.test"' "$TMP/live-$mode.jsonl" |
			grep -qF "\"src_port\":$pa," && [ "${pch:-0}" -ge 1 ]; then
			ok "$mode: a hello from two ports with 6 decoy DCIDs between: one record, port $pa (not $pb)"
		else
			bad "$mode: port-changing client" "ports $pa $pb quic_port_changed=${pch:-?}"
		fi
	elif [ "$HAVE_CRYPTO" = 1 ]; then
		bad "$mode: quic_port_peer.py failed" "$(tail -n 3 "$TMP/client.log")"
	fi
	# The final stats: garbage decrypted by nobody, Initials from the kernel.
	final=$(grep -F '"final stats"' "$TMP/daemon-$mode.log" || true)
	dfail=$(grep -o '"quic_decrypt_failed":[0-9]*' <<<"$final" | cut -d: -f2)
	if [ "${dfail:-0}" -ge 1 ]; then
		ok "$mode: garbage on UDP 443 counted (quic_decrypt_failed $dfail), no record"
	else
		bad "$mode: quic_decrypt_failed not counted" "$final"
	fi
	if [ "$mode" != pcap ]; then
		kev=$(grep -o '"quic_events":[0-9]*' <<<"$final" | cut -d: -f2)
		kni=$(grep -o '"quic_not_initial":[0-9]*' <<<"$final" | cut -d: -f2)
		if [ "${kev:-0}" -ge "$(wc -l <"$EXPECT")" ] && [ "${kni:-0}" -ge 1 ]; then
			ok "$mode: kernel passed $kev Initial datagrams, dropped $kni others"
		else
			bad "$mode: kernel quic counters" "quic_events=${kev:-?} quic_not_initial=${kni:-?}"
		fi
	fi
done

# A spoofed flood of TCP hellos that empties the unvalidated bucket must not
# hold back QUIC clients: each kind has a bucket of its own (a QUIC client
# proves no address before its hello, so every QUIC connection needs a
# token). 20 pickups from 198.19.7.0/24 (a hello segment with no SYN-ACK
# before it) against a bucket of 3, then a QUIC client.
cat >"$TMP/limit.yml" <<YML
core:
  interface: $IF_S
  listen_ports: [443]
  xdp_generic: true
  unvalidated_rate: 1
  unvalidated_burst: 3
YML
# limited_daemon MODE NAME: the daemon with limit.yml in the server
# namespace, records to $TMP/NAME-MODE.jsonl, log to .log; DP its pid.
# False (and said) when it did not start.
limited_daemon() {
	ip netns exec "$NS_S" sh -c "mount -t bpf bpf /sys/fs/bpf 2>/dev/null; \
		exec '$BIN' --config '$TMP/limit.yml' --mode $1" >"$TMP/$2-$1.jsonl" \
		2>"$TMP/$2-$1.log" &
	DP=$!
	wait_for 10 "$TMP/$2-$1.log" '"message":"capture started"' && return 0
	bad "$1: the daemon did not start ($2)" "$(tail -n 5 "$TMP/$2-$1.log")"
	kill "$DP" 2>/dev/null || true
	wait "$DP" 2>/dev/null || true
	return 1
}
for mode in $MODES; do
	limited_daemon "$mode" limit || continue
	ip netns exec "$NS_C" "$PY" - "$V4_S" <<'PY'
import socket, sys
sys.path.insert(0, "tests")
from packets import hello, ipv4_tcp
h = hello("spoofed.test")
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for i in range(20):
    s.sendto(ipv4_tcp("198.19.7.%d" % (i + 1), sys.argv[1], 40000 + i, 443, 0x18, 1000, 1, h),
             (sys.argv[1], 0))
PY
	ip netns exec "$NS_C" timeout 10 gtlsclient -q --exit-on-all-streams-close \
		"$V4_S" 443 https://quic.test/index.html >>"$TMP/client.log" 2>&1 || true
	sleep 0.5
	kill -TERM "$DP"
	wait "$DP" || true
	final=$(grep -F '"final stats"' "$TMP/limit-$mode.log" || true)
	held=$(grep -o '"unvalidated_limited":[0-9]*' <<<"$final" | cut -d: -f2 | sort -n | tail -n 1)
	spoofed=$(grep -c '"tls_sni":"spoofed.test"' "$TMP/limit-$mode.jsonl" || true)
	quic=$(grep -c '"ja4":"q' "$TMP/limit-$mode.jsonl" || true)
	if [ "${held:-0}" -ge 10 ] && [ "$spoofed" -le 3 ] && [ "$quic" = 1 ]; then
		ok "$mode: 20 spoofed TCP hellos against a bucket of 3 ($spoofed recorded, ${held} held back): the QUIC client's record is there"
	else
		bad "$mode: a TCP flood held back the QUIC client" \
			"unvalidated_limited=${held:-?} spoofed records=$spoofed QUIC records=$quic"
	fi
done

# A spoofed flood of Initials that empties the QUIC bucket must not hold back
# a real QUIC client (design.md §13): what the bucket refuses is kept,
# undecrypted, and read once its client names the connection ID its server
# chose (include/quic_hold.h), which no blind sender sees. 30 Initials of
# fresh DCIDs from 198.19.8.0/24 (they need not decrypt: nothing before the
# bucket decrypts) against a bucket of 3, then gtlsclient and chromium:
# their records are there, flagged handshake_validated, and no spoofed one.
for mode in $MODES; do
	limited_daemon "$mode" qflood || continue
	ip netns exec "$NS_C" "$PY" - "$V4_S" <<'PY'
import os, socket, struct, sys
sys.path.insert(0, "tests")
from packets import ipv4_udp
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for i in range(30):
    dcid = os.urandom(8)
    body = bytes([0xc3]) + struct.pack("!I", 1) + bytes([8]) + dcid + bytes([0, 0]) \
        + bytes([0x44, 0x9e]) + os.urandom(1182)
    s.sendto(ipv4_udp("198.19.8.%d" % (i + 1), sys.argv[1], 41000 + i, 443, body),
             (sys.argv[1], 0))
PY
	ip netns exec "$NS_C" timeout 10 gtlsclient -q --exit-on-all-streams-close \
		"$V4_S" 443 https://quic.test/index.html >>"$TMP/client.log" 2>&1 || true
	want=1
	# chromium's post-quantum hello spans two Initials, and its proof is an
	# Initial acknowledging the server's, coalesced with a Handshake packet
	if [ "$HAVE_CHROMIUM" = 1 ]; then
		HOME=$TMP ip netns exec "$NS_C" timeout 30 chromium --headless --no-sandbox \
			--disable-gpu --user-data-dir="$TMP/chromium-qflood-$mode" \
			--origin-to-force-quic-on=quic.test:443 \
			--host-resolver-rules="MAP quic.test $V4_S" --ignore-certificate-errors \
			--dump-dom https://quic.test/index.html >>"$TMP/client.log" 2>&1 || true
		want=2
	fi
	sleep 0.5
	kill -TERM "$DP"
	wait "$DP" || true
	final=$(grep -F '"final stats"' "$TMP/qflood-$mode.log" || true)
	proofs=$(grep -o '"quic_proofs":[0-9]*' <<<"$final" | cut -d: -f2)
	kept=$(grep -o '"quic_kept":[0-9]*' <<<"$final" | cut -d: -f2)
	real=$(grep -c '"src_ip":"'"$V4_C"'".*"ja4":"q' "$TMP/qflood-$mode.jsonl" || true)
	valid=$(grep '"src_ip":"'"$V4_C"'"' "$TMP/qflood-$mode.jsonl" |
		grep -c '"handshake_validated":true' || true)
	spoofed=$(grep -c '"src_ip":"198.19.8' "$TMP/qflood-$mode.jsonl" || true)
	# chromium may open a second connection (each is its own record)
	if [ "$real" -ge "$want" ] && [ "$valid" = "$real" ] && [ "$spoofed" = 0 ] &&
		[ "${proofs:-0}" -ge "$want" ] && [ "${kept:-0}" -ge 20 ]; then
		ok "$mode: 30 spoofed Initials against a bucket of 3 (${kept} kept): $real QUIC connections of $want clients proved their address and were recorded, validated"
	else
		bad "$mode: a spoofed Initial flood held back QUIC clients (want $want)" \
			"client records=$real validated=$valid spoofed records=$spoofed quic_kept=${kept:-?} quic_proofs=${proofs:-?}"
	fi
done
[ "$HAVE_CHROMIUM" = 1 ] || skip "quic chromium" "chromium not installed"
[ "$HAVE_CRYPTO" = 1 ] || skip "quic port change" "python3-cryptography not installed (scripts/deps.sh)"
finish
