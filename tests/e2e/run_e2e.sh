#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Live end-to-end test of ja4sentinel in its three live capture modes
# (tc, xdp, pcap), in two network namespaces joined by a veth pair:
#
#   client ns  198.18.0.2 fd00:1::2  ==veth==  198.18.0.1 fd00:1::1  server ns
#   (and .3 / ::3, excluded)                   tests/tls_server.py :8443 (www)
#   openssl s_client, curl, gnutls-cli,        tests/tls_server.py :9443 (echo)
#   python ssl                                 ja4sentinel --mode MODE -> unixgram
#                                              dumpcap (the same traffic, for --read)
#
# For each mode, from the client namespace (every connection goes to
# 198.18.0.1 or fd00:1::1, ports 8443 and 9443):
#   matrix   openssl s_client (-tls1_3/-tls1_2, with/without -servername and
#            -alpn), curl (h2 and --http1.1), gnutls-cli, python ssl; IPv4 and
#            IPv6, both ports
#   split    hellos cut into TCP segments anywhere (record header included),
#            spread over several TLS records (down to 1 byte each), and 10 KB
#            hellos in one write
#   timing   a hello sent 300 ms after its SYN
#   pickup   connections opened before the capture started
#   reuse    one client address and port twice in a row (also after a hello
#            whose end the kernel program cannot tell)
#   ipopts   IPv4 options, IPv6 hop-by-hop and destination options headers
#   escape   SNI bytes that must be escaped, a 251-byte SNI
#   burst    200 hellos at once
#   and plain-text connections and clients from exclude_source_ips, which
#   must give no record.
# Checks: each TLS client's record arrives once on a real unixgram socket
# (the correlator) with its own version, SNI and ALPN, and equals field by
# field what `ja4sentinel --read` makes of a dumpcap capture of the same
# traffic (timestamp within 20 ms, syn_to_clienthello_ms within 10: two capture sockets timestamp separately); records
# are self-consistent (JA4 vs fields, hashes, IP/TCP meta); after 2 x 20 MiB
# downloads and uploads the kernel counters and the userspace frame and
# byte counts show that only SYNs and hellos left the kernel (eBPF modes);
# SIGTERM exits 0 and leaves no tc filter, no XDP program, no pins, and
# every BPF program, map and link the daemon held is freed; after kill -9
# (tc, xdp) a new run starts, delivers, stops cleanly and frees both runs'
# objects.
#
# Needs root. Prints `ok` / `FAIL` / `SKIP` lines and
# `N passed, N failed, N skipped` (tests/lib.sh); exits 1 on failure.
# Environment: JA4SENTINEL (binary), E2E_MODES (default "tc xdp pcap
# tc+gro pcap+gro tc@any xdp@any pcap@any": +gro has the client segment to
# the MTU and GRO merge on the server's veth, @any sets `interface: any`),
# E2E_KEEP=1 (keep the work directory and print its path).
# shellcheck disable=SC2317 # (cleanup runs from traps, after finish exits)
set -eEu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${JA4SENTINEL:-$ROOT/build/ja4sentinel}
HELPER=$HERE/e2e_helper.py
TLS_SERVER=$ROOT/tests/tls_server.py
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
MODES=${E2E_MODES:-tc xdp pcap tc+gro pcap+gro tc@any xdp@any pcap@any}
KEEP=${E2E_KEEP:-0}

NS_SRV="j4s-e2e-$$-srv"
NS_CLI="j4s-e2e-$$-cli"
IF_SRV="j4e$$s"
IF_CLI="j4e$$c"
V4_SRV=198.18.0.1
V4_CLI=198.18.0.2
V4_EXCL=198.18.0.3
V6_SRV=fd00:1::1
V6_CLI=fd00:1::2
V6_EXCL=fd00:1::3
BULK_BYTES=$((20 * 1024 * 1024))
BULK_CONNS=4
BURST=100 # per address family

TMP=""
HOLDER=""
HAVE_BPFFS=0
PIDS=()
NETNS=()
T0=$(date +%s)
# ok, bad, skip, note, report, finish
# shellcheck source=tests/lib.sh
. "$ROOT/tests/lib.sh"

# The Python helper's ok/FAIL/SKIP lines, counted here.
relay() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "${line#ok }" ;;
		"FAIL "*) bad "${line#FAIL }" ;;
		"SKIP "*)
			line=${line#SKIP }
			# "WHAT: WHY"; without the reason skip counts a failure.
			if [[ $line == *": "* ]]; then skip "${line%%: *}" "${line#*: }"; else skip "$line"; fi
			;;
		*) [ -z "$line" ] || note "$line" ;;
		esac
	done <<<"$1"
}

# ---- processes and cleanup ----

# running PID: one of our background jobs and still running. Only such
# PIDs are ever signalled: a PID bash has reaped may belong to someone else.
running() { jobs -pr | grep -qx "$1"; }

# stop_pid PID SIGNAL SECONDS: signal it (SIGNAL "none": don't), wait at
# most SECONDS, then SIGKILL. STOP_RC is its exit status (137 if it had
# to be killed), STOP_MS how long it took. (stderr off: bash's "Killed"
# job notices.)
stop_pid() {
	local pid=$1 sig=$2 secs=$3 i t1
	t1=$(date +%s%N)
	# (|| true: it may exit between the check and the kill)
	[ "$sig" = none ] || ! running "$pid" || kill "-$sig" "$pid" || true
	for ((i = 0; i < secs * 20; i++)); do
		running "$pid" || break
		sleep 0.05
	done
	! running "$pid" || kill -KILL "$pid" || true
	STOP_RC=0
	wait "$pid" || STOP_RC=$?
	STOP_MS=$((($(date +%s%N) - t1) / 1000000))
} 2>/dev/null

kill_all() {
	local pid i alive
	for pid in ${PIDS[@]+"${PIDS[@]}"}; do
		running "$pid" && kill -TERM "$pid"
	done
	for ((i = 0; i < 40; i++)); do
		alive=0
		for pid in ${PIDS[@]+"${PIDS[@]}"}; do
			running "$pid" && alive=1
		done
		[ "$alive" = 0 ] && break
		sleep 0.05
	done
	for pid in ${PIDS[@]+"${PIDS[@]}"}; do
		running "$pid" && kill -KILL "$pid"
		wait "$pid"
	done
} 2>/dev/null

cleanup() {
	local rc=$? ns
	set +e
	trap - EXIT INT TERM ERR
	if [ "$REPORTED" = 0 ]; then
		bad "e2e: the script stopped early (exit $rc) near line ${ERR_LINE:-?}"
		report
		rc=1
	fi
	note "runtime $(($(date +%s) - T0)) s"
	kill_all
	# Deleting the namespaces deletes the veth pair with them; the bpffs
	# mounted for the server namespace goes with its last process.
	for ns in ${NETNS[@]+"${NETNS[@]}"}; do
		ip netns delete "$ns" 2>/dev/null
	done
	if [ -n "$TMP" ]; then
		if [ "$KEEP" = 1 ]; then
			echo "# kept $TMP"
		else
			rm -rf "$TMP"
		fi
	fi
	exit "$rc"
}
ERR_LINE=""
trap 'ERR_LINE=$LINENO' ERR
trap cleanup EXIT
trap 'exit 130' INT TERM

# bg OUT ERR CMD...: start in the background, remember the PID in BG_PID.
# CMD is a program (or nsenter / ip netns exec, which exec it), never a
# shell function, so that the PID is the program's own.
bg() {
	local out=$1 err=$2
	shift 2
	"$@" </dev/null >"$out" 2>"$err" &
	BG_PID=$!
	PIDS+=("$BG_PID")
}

# In the server namespace, in the mount namespace where bpffs is mounted
# (the holder's): `ip netns exec` gives each command a mount namespace of
# its own, so pins made under one would be invisible to the next.
srv() { nsenter -t "$HOLDER" -n -m -- "$@"; }
srv_bg() {
	local out=$1 err=$2
	shift 2
	bg "$out" "$err" nsenter -t "$HOLDER" -n -m --wd="$TMP/www" -- "$@"
}
cli() { ip netns exec "$NS_CLI" "$@"; }

# wait_until SECONDS CMD...: poll CMD every 50 ms.
wait_until() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 20; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	"$@"
}

lines() { wc -l <"$1" | tr -d ' '; }
log_tail() { tail -n "${2:-3}" "$1" 2>/dev/null | tr '\n' ' ' | cut -c1-600; }

# ---- preconditions ----

if [ "$(id -u)" != 0 ]; then
	skip "e2e" "needs root (network namespaces, BPF, packet capture)"
	finish
fi
if [ ! -x "$BIN" ]; then
	bad "e2e: $BIN is not built (run make)"
	finish
fi
missing=""
for tool in ip tc nsenter openssl curl dumpcap ss timeout "$PY"; do
	command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
	skip "e2e" "missing tools:$missing (dumpcap: package tshark or wireshark-common)"
	finish
fi

TMP=$(mktemp -d /tmp/j4s-e2e.XXXXXX)
chmod 755 "$TMP"

# ---- namespaces, veth, addresses ----

if ! ip netns add "$NS_SRV" 2>"$TMP/netns.err"; then
	skip "e2e" "cannot create a network namespace: $(cat "$TMP/netns.err")"
	finish
fi
NETNS+=("$NS_SRV")
ip netns add "$NS_CLI"
NETNS+=("$NS_CLI")
if ! ip link add "$IF_SRV" netns "$NS_SRV" type veth peer name "$IF_CLI" netns "$NS_CLI" \
	2>"$TMP/veth.err"; then
	skip "e2e" "cannot create a veth pair: $(cat "$TMP/veth.err")"
	finish
fi
ip -n "$NS_SRV" addr add "$V4_SRV/24" dev "$IF_SRV"
ip -n "$NS_SRV" addr add "$V6_SRV/64" dev "$IF_SRV" nodad
ip -n "$NS_CLI" addr add "$V4_CLI/24" dev "$IF_CLI"
ip -n "$NS_CLI" addr add "$V6_CLI/64" dev "$IF_CLI" nodad
# The excluded sources are used only when a client binds to them: IPv4
# secondary, IPv6 deprecated (else source selection may pick ::3).
ip -n "$NS_CLI" addr add "$V4_EXCL/24" dev "$IF_CLI"
ip -n "$NS_CLI" addr add "$V6_EXCL/64" dev "$IF_CLI" nodad preferred_lft 0
for ns in "$NS_SRV" "$NS_CLI"; do
	ip -n "$ns" link set lo up
done
ip -n "$NS_SRV" link set "$IF_SRV" up
ip -n "$NS_CLI" link set "$IF_CLI" up

# The holder keeps the server namespace's mount namespace, with bpffs on
# /sys/fs/bpf, for every later command there.
# shellcheck disable=SC2016 # expanded by the inner shell
bg "$TMP/holder.out" "$TMP/holder.err" ip netns exec "$NS_SRV" sh -c \
	'[ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] || mount -t bpf bpf /sys/fs/bpf; echo ready; exec sleep 3600'
HOLDER=$BG_PID
if ! wait_until 5 grep -qs ready "$TMP/holder.out"; then
	bad "e2e: the server namespace holder did not start: $(cat "$TMP/holder.err")"
	finish
fi
if [ "$(srv stat -f -c %T /sys/fs/bpf 2>/dev/null || true)" = bpf_fs ]; then
	HAVE_BPFFS=1
else
	note "bpffs could not be mounted in the server namespace: $(cat "$TMP/holder.err")"
fi

# Kernel features the eBPF modes need (when bpftool can tell).
FEATURES=""
HAVE_BPFTOOL=0
if command -v bpftool >/dev/null 2>&1; then
	HAVE_BPFTOOL=1
	FEATURES=$(bpftool feature probe kernel macros 2>/dev/null || true)
fi
feature() { [ -z "$FEATURES" ] || grep -q "HAVE_$1" <<<"$FEATURES"; }

HAVE_GNUTLS=0
command -v gnutls-cli >/dev/null 2>&1 && HAVE_GNUTLS=1

# ---- TLS servers ----

mkdir -p "$TMP/www"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=srv.e2e.test -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1
echo "ja4sentinel e2e" >"$TMP/www/index.txt"
head -c "$BULK_BYTES" /dev/zero >"$TMP/www/big.bin"

# 8443 serves files from its working directory (curl, the download); 9443
# echoes (the upload). Each is dual stack, and serves every connection in
# a thread of its own (tests/tls_server.py says why not openssl s_server);
# a connection may idle for 60 s: the pickups wait for the daemon to start.
S8443_PID=""
S9443_PID=""
listening() { srv ss -ltnH "sport = :$1" 2>/dev/null | grep -q LISTEN; }
start_servers() {
	if [ -z "$S8443_PID" ] || ! running "$S8443_PID"; then
		[ -z "$S8443_PID" ] || note "the server on :8443 had exited; restarting it"
		srv_bg "$TMP/s8443.out" "$TMP/s8443.err" "$PY" "$TLS_SERVER" \
			"$TMP/cert.pem" "$TMP/key.pem" 8443 --mode www --timeout 60
		S8443_PID=$BG_PID
	fi
	if [ -z "$S9443_PID" ] || ! running "$S9443_PID"; then
		[ -z "$S9443_PID" ] || note "the server on :9443 had exited; restarting it"
		srv_bg "$TMP/s9443.out" "$TMP/s9443.err" "$PY" "$TLS_SERVER" \
			"$TMP/cert.pem" "$TMP/key.pem" 9443 --mode echo --timeout 60
		S9443_PID=$BG_PID
	fi
	wait_until 5 listening 8443 && wait_until 5 listening 9443
}

# ---- configuration, correlator, daemon ----

# The same core settings live and offline, so the records must match.
CORE_COMMON="  listen_ports: [8443, 9443]
  sensor_id: e2e-sensor
  exclude_source_ips: [\"$V4_EXCL\", \"$V6_EXCL/128\"]"
cat >"$TMP/read.yml" <<YML
core:
$CORE_COMMON
fingerprints:
  raw: true
outputs:
  - type: stdout
YML

# start_receiver TAG: the correlator; sets RPID, RSOCK, ROUT.
start_receiver() {
	RSOCK=$TMP/corr-$1.sock
	ROUT=$TMP/live-$1.jsonl
	: >"$ROUT"
	bg "$TMP/recv-$1.out" "$TMP/recv-$1.err" "$PY" "$HELPER" recv "$RSOCK" "$ROUT" 600
	RPID=$BG_PID
	wait_until 5 test -S "$RSOCK"
}

started() { grep -qsF '"message":"capture started"' "$1"; }

# start_daemon MODE TAG SOCKET: sets DPID, DLOG; fails when the daemon
# exits or does not say "capture started" within 10 s.
start_daemon() {
	local mode=$1 tag=$2 sock=$3 i
	cat >"$TMP/live-$tag.yml" <<YML
core:
  interface: ${DAEMON_IFACE:-$IF_SRV}
$CORE_COMMON
  log_level: info
fingerprints:
  raw: true
outputs:
  - type: unix_socket
    params:
      socket_path: $sock
YML
	DLOG=$TMP/daemon-$tag.log
	bg "$TMP/daemon-$tag.out" "$DLOG" nsenter -t "$HOLDER" -n -m -- \
		"$BIN" --config "$TMP/live-$tag.yml" --mode "$mode"
	DPID=$BG_PID
	for ((i = 0; i < 200; i++)); do
		started "$DLOG" && return 0
		running "$DPID" || break
		sleep 0.05
	done
	started "$DLOG"
}

attach_msg() {
	sed -n -e 's/.*"message":"\(j4s_[a-z]* attached[^"]*\)".*/\1/p' \
		-e 's/.*"message":"capture started","mode":"pcap".*"filter":"\([^"]*\)".*/pcap filter: \1/p' \
		"$1" | head -n 1
}

# ---- clients ----

# client NAME DST_IP PORT VERSION SNI ALPN CMD...: one connection from the
# client namespace, and the record it must give (SNI/ALPN "-": absent).
# NAME is CATEGORY/DETAIL; the comparison reports per category.
client() {
	local name=$1 ip=$2 port=$3 ver=$4 sni=$5 alpn=$6 rc=0
	shift 6
	echo "$name $ip $port $ver $sni $alpn" >>"$EXPECT"
	cli timeout 10 "$@" </dev/null >>"$CLOG" 2>&1 || rc=$?
	echo "### $name -> $ip:$port exit $rc" >>"$CLOG"
	# curl reads the echo of its request as a bad reply: expected.
	case "$name:$port" in
	matrix/curl*:9443) ;;
	*) [ "$rc" = 0 ] || CLIENT_ERRS="$CLIENT_ERRS $name@$ip:$port=$rc" ;;
	esac
}

# Every client, over IPv4 and IPv6, to both ports.
run_matrix() {
	local ip hp port
	for ip in "$V4_SRV" "$V6_SRV"; do
		hp=$ip
		[ "$ip" = "$V6_SRV" ] && hp="[$ip]"
		for port in 8443 9443; do
			client matrix/s_client-tls1_3 "$ip" "$port" 1.3 - - \
				openssl s_client -connect "$hp:$port" -tls1_3 -noservername
			client matrix/s_client-tls1_2-sni "$ip" "$port" 1.2 sc12.e2e.test - \
				openssl s_client -connect "$hp:$port" -tls1_2 -servername sc12.e2e.test
			client matrix/s_client-tls1_3-sni-alpn "$ip" "$port" 1.3 sc13.e2e.test h2 \
				openssl s_client -connect "$hp:$port" -tls1_3 -servername sc13.e2e.test \
				-alpn h2,http/1.1
			client matrix/s_client-tls1_2-alpn "$ip" "$port" 1.2 - h2 \
				openssl s_client -connect "$hp:$port" -tls1_2 -noservername -alpn h2,http/1.1
			client matrix/curl "$ip" "$port" 1.3 - h2 \
				curl -sk -o /dev/null "https://$hp:$port/index.txt"
			client matrix/curl-http1.1-sni "$ip" "$port" 1.3 curl.e2e.test http/1.1 \
				curl -sk --http1.1 -o /dev/null --resolve "curl.e2e.test:$port:$hp" \
				"https://curl.e2e.test:$port/index.txt"
			if [ "$HAVE_GNUTLS" = 1 ] && [ "$port" = 8443 ]; then
				client matrix/gnutls-cli "$ip" "$port" 1.3 - - \
					gnutls-cli --insecure -p "$port" "$ip"
			elif [ "$HAVE_GNUTLS" = 1 ]; then
				client matrix/gnutls-cli-sni-alpn "$ip" "$port" 1.3 gnutls.e2e.test http/1.1 \
					gnutls-cli --insecure --sni-hostname=gnutls.e2e.test \
					--alpn=http/1.1 --alpn=h2 -p "$port" "$ip"
			fi
			if [ "$port" = 8443 ]; then
				client matrix/python-ssl "$ip" "$port" 1.3 - - \
					"$PY" "$HELPER" tls-client "$ip" "$port"
			else
				client matrix/python-ssl-tls1_2-sni-alpn "$ip" "$port" 1.2 py.e2e.test h2 \
					"$PY" "$HELPER" tls-client "$ip" "$port" --sni py.e2e.test \
					--alpn h2,http/1.1 --tls 1.2
			fi
		done
	done
}

BIG_ALPN="e2e-00-$(printf '%0236d' 0 | tr 0 a)"

# Python ssl hellos cut into TCP segments (record header cut included) and
# spread over several TLS records; one sent 300 ms after its SYN.
run_split() {
	local ip plan i=0
	for plan in 1,rest 1,1,1,1,1,rest 3,rest 3,64* 5,64* 8,rest 100*; do
		for ip in "$V4_SRV" "$V6_SRV"; do
			i=$((i + 1))
			client "split/$plan" "$ip" 8443 1.3 "split$i.e2e.test" h2 \
				"$PY" "$HELPER" split-client "$ip" 8443 "$plan" \
				--sni "split$i.e2e.test" --alpn h2,http/1.1
		done
	done
	client split/3-records "$V4_SRV" 8443 1.3 records.e2e.test - \
		"$PY" "$HELPER" split-client "$V4_SRV" 8443 rest --records 200 --sni records.e2e.test
	client split/records-and-segments "$V6_SRV" 9443 1.2 records2.e2e.test http/1.1 \
		"$PY" "$HELPER" split-client "$V6_SRV" 9443 2,7,150* --records 150 \
		--sni records2.e2e.test --alpn http/1.1 --tls 1.2
	client split/1-byte-records "$V4_SRV" 9443 1.3 records3.e2e.test - \
		"$PY" "$HELPER" split-client "$V4_SRV" 9443 1000* --records 1 --sni records3.e2e.test
	# About 10 KB of hello in one write: several full-size segments at once
	# (which GRO merges into one packet when it is on).
	client split/big-hello "$V4_SRV" 8443 1.3 big.e2e.test "$BIG_ALPN" \
		"$PY" "$HELPER" tls-client "$V4_SRV" 8443 --sni big.e2e.test --alpn big:40
	client split/big-hello-v6 "$V6_SRV" 9443 1.2 big.e2e.test "$BIG_ALPN" \
		"$PY" "$HELPER" tls-client "$V6_SRV" 9443 --sni big.e2e.test --alpn big:40 --tls 1.2
	client timing/delay300 "$V4_SRV" 8443 1.3 delay300.e2e.test - \
		"$PY" "$HELPER" split-client "$V4_SRV" 8443 rest --delay 300 --sni delay300.e2e.test
	client timing/delay300-v6 "$V6_SRV" 9443 1.3 delay300.e2e.test - \
		"$PY" "$HELPER" split-client "$V6_SRV" 9443 rest --delay 300 --sni delay300.e2e.test
}

# The same client address and port twice in a row (the first connection
# ends with a RST, so no TIME_WAIT holds the port): two connections, one
# conn_id, two records.
run_reuse() {
	local ip src sport
	for ip in "$V4_SRV" "$V6_SRV"; do
		src=$V4_CLI sport=20100
		[ "$ip" = "$V6_SRV" ] && src=$V6_CLI sport=20101
		client reuse/first "$ip" 8443 1.3 reuse1.e2e.test - \
			"$PY" "$HELPER" tls-client "$ip" 8443 --bind "$src" --sport "$sport" --rst 1 \
			--sni reuse1.e2e.test
		client reuse/second "$ip" 8443 1.3 reuse2.e2e.test - \
			"$PY" "$HELPER" tls-client "$ip" 8443 --bind "$src" --sport "$sport" --rst 1 \
			--sni reuse2.e2e.test
		# A first hello whose end the kernel program cannot tell (its
		# record header cut after a byte): its flow still waits when the
		# server answers, and must end all the same, so that the next
		# connection's SYN is not taken for the old one's.
		sport=$((sport + 2))
		client reuse/split-first "$ip" 8443 1.3 reuse3.e2e.test - \
			"$PY" "$HELPER" split-client "$ip" 8443 1,rest --bind "$src" --sport "$sport" \
			--rst 1 --sni reuse3.e2e.test
		client reuse/after-split "$ip" 8443 1.3 reuse4.e2e.test - \
			"$PY" "$HELPER" tls-client "$ip" 8443 --bind "$src" --sport "$sport" --rst 1 \
			--sni reuse4.e2e.test
	done
}

# SNI bytes that must be escaped (backslash, control, UTF-8, a quote that
# JSON escapes), and a 251-byte SNI.
LONG_SNI="$(printf '%060d' 0 | tr 0 a).$(printf '%060d' 0 | tr 0 b).$(printf '%060d' 0 | tr 0 c).$(printf '%060d' 0 | tr 0 d).e2e"
run_escape() {
	local odd=$'q"uo\\te\x01\xc3\xa9.e2e.test'
	# shellcheck disable=SC1003 # the record's text: a backslash is \x5c
	local want='q"uo\x5cte\x01\xc3\xa9.e2e.test'
	client escape/s_client-odd-sni "$V4_SRV" 8443 1.3 "$want" - \
		openssl s_client -connect "$V4_SRV:8443" -tls1_3 -servername "$odd"
	client escape/s_client-odd-sni-v6 "$V6_SRV" 9443 1.2 "$want" h2 \
		openssl s_client -connect "[$V6_SRV]:9443" -tls1_2 -servername "$odd" -alpn h2
	client escape/python-long-sni "$V6_SRV" 8443 1.3 "$LONG_SNI" - \
		"$PY" "$HELPER" tls-client "$V6_SRV" 8443 --sni "$LONG_SNI"
}

# IPv4 options and IPv6 extension headers on every packet of a connection.
run_ipopts() {
	client ipopts/ipv4-options "$V4_SRV" 8443 1.3 ipopt.e2e.test - \
		"$PY" "$HELPER" tls-client "$V4_SRV" 8443 --ipopts 1 --sni ipopt.e2e.test
	client ipopts/ipv6-hop-by-hop "$V6_SRV" 8443 1.3 hbh.e2e.test - \
		"$PY" "$HELPER" tls-client "$V6_SRV" 8443 --ext hbh --sni hbh.e2e.test
	client ipopts/ipv6-dstopts "$V6_SRV" 9443 1.3 dst.e2e.test - \
		"$PY" "$HELPER" tls-client "$V6_SRV" 9443 --ext dst --sni dst.e2e.test
	client ipopts/ipv6-hbh+dstopts "$V6_SRV" 9443 1.2 both.e2e.test h2 \
		"$PY" "$HELPER" tls-client "$V6_SRV" 9443 --ext both --sni both.e2e.test \
		--alpn h2,http/1.1 --tls 1.2
}

# BURST hellos per family at once, to 8443.
run_burst() {
	local i rc=0
	for ((i = 0; i < BURST; i++)); do
		echo "burst/python-$i $V4_SRV 8443 1.3 b$i-0.e2e.test -" >>"$EXPECT"
		echo "burst/python-$i $V6_SRV 8443 1.3 b$i-1.e2e.test -" >>"$EXPECT"
	done
	cli timeout 30 "$PY" "$HELPER" burst "$V4_SRV,$V6_SRV" 8443 "$BURST" b >>"$CLOG" 2>&1 ||
		rc=$?
	[ "$rc" = 0 ] || CLIENT_ERRS="$CLIENT_ERRS burst=$rc"
}

# Connections that must give no record: plain text, excluded sources.
NOT_TLS=2
EXCLUDED=2
run_no_record() {
	cli timeout 10 "$PY" "$HELPER" raw "$V4_SRV" 8443 'GET / HTTP/1.0\r\n\r\n' >>"$CLOG" 2>&1 ||
		CLIENT_ERRS="$CLIENT_ERRS raw-v4"
	cli timeout 10 "$PY" "$HELPER" raw "$V6_SRV" 9443 'SSH-2.0-e2e\r\n' >>"$CLOG" 2>&1 ||
		CLIENT_ERRS="$CLIENT_ERRS raw-v6"
	cli timeout 10 "$PY" "$HELPER" tls-client "$V4_SRV" 8443 --bind "$V4_EXCL" \
		--sni excluded.e2e.test >>"$CLOG" 2>&1 || CLIENT_ERRS="$CLIENT_ERRS excluded-v4"
	cli timeout 10 "$PY" "$HELPER" tls-client "$V6_SRV" 9443 --bind "$V6_EXCL" \
		--sni excluded.e2e.test >>"$CLOG" 2>&1 || CLIENT_ERRS="$CLIENT_ERRS excluded-v6"
}

# Connections opened before the capture starts, their hellos sent after:
# the daemon (and the reference capture) never see their SYN.
PICKUPS=2
start_pickups() {
	local ip i=0
	PICKUP_PIDS=()
	for ip in "$V4_SRV" "$V6_SRV"; do
		i=$((i + 1))
		echo "pickup/python-$i $ip 8443 1.3 pickup$i.e2e.test -" >>"$EXPECT"
		rm -f "$TMP/go-$i" "$TMP/go-$i.ready"
		bg "$TMP/pickup-$i.out" "$TMP/pickup-$i.err" ip netns exec "$NS_CLI" \
			timeout 40 "$PY" "$HELPER" \
			split-client "$ip" 8443 rest --sni "pickup$i.e2e.test" --wait-file "$TMP/go-$i"
		PICKUP_PIDS+=("$BG_PID")
	done
	for ((i = 1; i <= PICKUPS; i++)); do
		wait_until 5 test -e "$TMP/go-$i.ready" ||
			CLIENT_ERRS="$CLIENT_ERRS pickup-$i-connect:$(log_tail "$TMP/pickup-$i.err" 1)"
	done
}
release_pickups() {
	local i pid
	for ((i = 1; i <= PICKUPS; i++)); do
		touch "$TMP/go-$i"
	done
	i=0
	for pid in "${PICKUP_PIDS[@]}"; do
		i=$((i + 1))
		stop_pid "$pid" none 10
		[ "$STOP_RC" = 0 ] || CLIENT_ERRS="$CLIENT_ERRS pickup-$i=$STOP_RC"
	done
}

# Two 20 MiB downloads (curl, www on 8443) and two 20 MiB uploads (python,
# echo on 9443), IPv4 and IPv6: thousands of packets on 4 connections.
run_bulk() {
	local mode=$1 hp h out errs=""
	for hp in "$V4_SRV" "[$V6_SRV]"; do
		out=$(cli timeout 30 curl -sk -o /dev/null -w '%{size_download}' \
			"https://$hp:8443/big.bin" 2>>"$CLOG") || true
		[ "$out" = "$BULK_BYTES" ] || errs="$errs download-$hp:got-${out:-nothing}"
	done
	for h in "$V4_SRV" "$V6_SRV"; do
		cli timeout 40 "$PY" "$HELPER" upload "$h" 9443 "$BULK_BYTES" >>"$CLOG" 2>&1 ||
			errs="$errs upload-$h"
	done
	if [ -z "$errs" ]; then
		ok "$mode: bulk: 2 downloads + 2 uploads of 20 MiB over TLS on the listen ports"
	else
		bad "$mode: bulk transfers failed:$errs"
	fi
}

# ---- what must be gone after a stop ----

check_clean() {
	local label=$1 out
	out=$(srv tc filter show dev "$IF_SRV" ingress 2>&1 || true)
	if [ -z "$out" ]; then
		ok "$label: tc filter show dev $IF_SRV ingress: nothing"
	else
		bad "$label: tc ingress filter left: $(tr '\n' ' ' <<<"$out")"
	fi
	out=$(srv ip link show dev "$IF_SRV" 2>&1 || true)
	if grep -q xdp <<<"$out"; then
		bad "$label: XDP left on $IF_SRV: $(tr '\n' ' ' <<<"$out")"
	else
		ok "$label: ip link show $IF_SRV: no XDP program"
	fi
	if [ "$HAVE_BPFTOOL" = 1 ]; then
		# TCX links are not tc filters: bpftool lists both, and XDP.
		out=$(srv bpftool net show dev "$IF_SRV" 2>&1 || true)
		if grep -q j4s <<<"$out"; then
			bad "$label: bpftool net show dev $IF_SRV: $(tr '\n' ' ' <<<"$out")"
		else
			ok "$label: bpftool net show dev $IF_SRV: no j4s program"
		fi
	fi
	if [ "$HAVE_BPFFS" = 1 ]; then
		if srv test -e /sys/fs/bpf/ja4sentinel; then
			bad "$label: /sys/fs/bpf/ja4sentinel left: $(srv ls /sys/fs/bpf/ja4sentinel | tr '\n' ' ')"
		else
			ok "$label: /sys/fs/bpf/ja4sentinel does not exist"
		fi
	else
		skip "$label" "pins: bpffs is not mounted in the server namespace"
	fi
}

# BPF objects a process holds (from /proc/PID/fdinfo), one "prog|map|link
# ID" a line; and which of a list still exist (IDs are global and never
# reused soon, so a live ID is still ours).
bpf_ids() {
	local f
	for f in /proc/"$1"/fdinfo/*; do
		sed -n -e 's/^prog_id:[[:space:]]*\([0-9]*\)$/prog \1/p' \
			-e 's/^map_id:[[:space:]]*\([0-9]*\)$/map \1/p' \
			-e 's/^link_id:[[:space:]]*\([0-9]*\)$/link \1/p' "$f" 2>/dev/null
	done | sort -u
}
bpf_alive() {
	local kind id
	while read -r kind id; do
		[ -n "$id" ] || continue
		bpftool "$kind" show id "$id" >/dev/null 2>&1 && echo "$kind $id"
	done <<<"$1"
	return 0
}
# check_freed LABEL IDS: every object gone within 3 s.
check_freed() {
	local label=$1 ids=$2 left="" i n
	if [ "$HAVE_BPFTOOL" = 0 ]; then
		skip "$label" "BPF objects freed: bpftool is not installed"
		return 0
	fi
	n=$(grep -c . <<<"$ids" || true)
	if [ "$n" = 0 ]; then
		bad "$label: no BPF object seen in the daemon's file descriptors"
		return 0
	fi
	for ((i = 0; i < 60; i++)); do
		left=$(bpf_alive "$ids")
		[ -z "$left" ] && break
		sleep 0.05
	done
	if [ -z "$left" ]; then
		ok "$label: the $n BPF programs, maps and links the daemon held are freed"
	else
		bad "$label: BPF objects still alive: $(tr '\n' ' ' <<<"$left")"
	fi
}

has_clsact() { srv tc qdisc show dev "$IF_SRV" 2>/dev/null | grep -q clsact; }

# ---- one mode ----

mode_supported() {
	if [ "${1%@any}" != "$1" ]; then
		set -- "${1%@any}"
	fi
	if [ "${1%+gro}" != "$1" ] && ! command -v ethtool >/dev/null 2>&1; then
		WHY="GRO on the veth needs ethtool (package ethtool)"
		return 1
	fi
	case ${1%+gro} in
	tc)
		if ! feature SCHED_CLS_PROG_TYPE || ! feature RINGBUF_MAP_TYPE; then
			WHY="kernel has no sched_cls programs or BPF ring buffers (bpftool feature probe)"
			return 1
		fi
		;;
	xdp)
		if ! feature XDP_PROG_TYPE || ! feature RINGBUF_MAP_TYPE; then
			WHY="kernel has no XDP programs or BPF ring buffers (bpftool feature probe)"
			return 1
		fi
		if [ "$HAVE_BPFFS" != 1 ]; then
			WHY="libxdp needs bpffs, which cannot be mounted in the server namespace"
			return 1
		fi
		;;
	pcap) ;;
	*)
		WHY="unknown mode"
		return 1
		;;
	esac
	return 0
}

# MODE is tc, xdp or pcap; +gro: with the client segmenting to the MTU
# (TSO/GSO off) and GRO merging on the server's veth; @any: with
# `interface: any` (pcap: the cooked "any" device).
run_mode() {
	local mode=$1 base=${1%@any} gro=0 n got want syns conns cap="$TMP/cap-$1.pcapng" capture_pid rc ids
	if ! mode_supported "$mode"; then
		skip "$mode" "$WHY"
		return 0
	fi
	DAEMON_IFACE=$IF_SRV
	[ "$base" = "$mode" ] || DAEMON_IFACE=any
	[ "${base%+gro}" = "$base" ] || gro=1
	base=${base%+gro}
	if ! start_servers; then
		bad "$mode: tests/tls_server.py is not listening on 8443 and 9443: $(log_tail "$TMP/s8443.err") $(log_tail "$TMP/s9443.err")"
		return 0
	fi
	EXPECT=$TMP/expect-$mode.txt
	CLOG=$TMP/clients-$mode.log
	CLIENT_ERRS=""
	: >"$EXPECT"
	: >"$CLOG"
	if [ "$gro" = 1 ]; then
		# The client segments as a real NIC would (no TSO/GSO super-packets
		# through the veth), the server merges them again with GRO.
		if cli ethtool -K "$IF_CLI" tso off gso off >"$TMP/ethtool.err" 2>&1 &&
			srv ethtool -K "$IF_SRV" gro on >>"$TMP/ethtool.err" 2>&1; then
			note "$mode: TSO/GSO off on $IF_CLI, GRO on on $IF_SRV"
		else
			skip "$mode" "cannot turn GRO on for $IF_SRV: $(log_tail "$TMP/ethtool.err" 1)"
			return 0
		fi
	fi
	start_receiver "$mode"
	start_pickups

	# The reference capture, before the daemon and the hellos.
	srv_bg "$TMP/dumpcap-$mode.out" "$TMP/dumpcap-$mode.err" \
		dumpcap -q -i "$IF_SRV" -f 'tcp or ip6' -w "$cap"
	capture_pid=$BG_PID
	if ! wait_until 5 grep -qs "Capturing on" "$TMP/dumpcap-$mode.err"; then
		bad "$mode: dumpcap did not start: $(log_tail "$TMP/dumpcap-$mode.err")"
		release_pickups
		stop_pid "$capture_pid" TERM 2
		stop_pid "$RPID" TERM 2
		return 0
	fi

	if ! start_daemon "$base" "$mode" "$RSOCK"; then
		bad "$mode: the daemon did not start: $(log_tail "$DLOG" 4)"
		release_pickups
		stop_pid "$DPID" TERM 3
		stop_pid "$capture_pid" TERM 2
		stop_pid "$RPID" TERM 2
		return 0
	fi
	ok "$mode: daemon started on $IF_SRV: $(attach_msg "$DLOG")"
	ids=$(bpf_ids "$DPID")

	release_pickups
	run_matrix
	[ "$HAVE_GNUTLS" = 1 ] ||
		skip "$mode" "gnutls-cli clients: gnutls-cli is not installed (package gnutls-bin)"
	run_split
	run_reuse
	run_ipopts
	run_escape
	run_burst
	run_no_record
	n=$(lines "$EXPECT")
	[ -z "$CLIENT_ERRS" ] || note "$mode: clients that failed:$CLIENT_ERRS (see the records checks)"
	"$PY" "$HELPER" wait-lines "$ROUT" "$n" 10 || true
	sleep 0.3 # a duplicate would come now
	cp "$ROUT" "$TMP/live-$mode-clients.jsonl"
	stop_pid "$capture_pid" TERM 5
	[ "$STOP_RC" = 0 ] || note "$mode: dumpcap exit $STOP_RC: $(log_tail "$TMP/dumpcap-$mode.err")"

	run_bulk "$mode"
	want=$((n + BULK_CONNS))
	"$PY" "$HELPER" wait-lines "$ROUT" "$want" 10 || true
	sleep 0.2
	got=$(lines "$ROUT")
	if [ "$got" = "$want" ]; then
		ok "$mode: $got records on the unix socket for $want TLS connections"
	else
		bad "$mode: $got records on the unix socket for $want TLS connections"
	fi

	stop_pid "$DPID" TERM 5
	if [ "$STOP_RC" = 0 ] && [ "$STOP_MS" -lt 3000 ]; then
		ok "$mode: SIGTERM: exit 0 after $STOP_MS ms"
	else
		bad "$mode: SIGTERM: exit $STOP_RC after $STOP_MS ms: $(log_tail "$DLOG")"
	fi
	# SYNs the kernel sees: every TLS connection but the pickups, plus
	# the plain-text ones; the excluded ones are filtered before.
	syns=$((want - PICKUPS + NOT_TLS))
	conns=$((want + NOT_TLS))
	relay "$("$PY" "$HELPER" stats "$DLOG" "$mode" "$syns" "$want" "$NOT_TLS" "$EXCLUDED" \
		"$conns" 2>&1)"
	check_clean "$mode"
	[ "$base" = pcap ] || check_freed "$mode" "$ids"
	if [ "$base" = tc ]; then
		if has_clsact; then
			bad "$mode: the clsact qdisc the daemon created is still on $IF_SRV"
		else
			ok "$mode: the clsact qdisc the daemon created is removed"
		fi
	fi
	stop_pid "$RPID" TERM 3

	# The same traffic, offline.
	rc=0
	"$BIN" --read "$cap" --config "$TMP/read.yml" >"$TMP/read-$mode.jsonl" \
		2>"$TMP/read-$mode.log" || rc=$?
	if [ "$rc" = 0 ]; then
		ok "$mode: --read of the capture: exit 0"
	else
		bad "$mode: --read of the capture: exit $rc: $(log_tail "$TMP/read-$mode.log")"
	fi
	relay "$("$PY" "$HELPER" compare "$TMP/live-$mode-clients.jsonl" "$TMP/read-$mode.jsonl" \
		"$EXPECT" "$mode" "$V4_EXCL,$V6_EXCL" 2>&1)"

	DAEMON_IFACE=$IF_SRV
	if [ "$gro" = 1 ]; then
		srv ethtool -K "$IF_SRV" gro off >/dev/null 2>&1 || true
		cli ethtool -K "$IF_CLI" tso on gso on >/dev/null 2>&1 || true
	fi
	case $mode in tc | xdp) crash_restart "$mode" ;; esac
}

# kill -9 a running daemon; a new one must start, deliver and stop cleanly.
crash_restart() {
	local mode=$1 left="" got ids1 ids2
	start_receiver "$mode-k9"
	if ! start_daemon "$mode" "$mode-k9a" "$RSOCK"; then
		bad "$mode: kill -9: the first daemon did not start: $(log_tail "$DLOG" 4)"
		stop_pid "$DPID" TERM 3
		stop_pid "$RPID" TERM 2
		return 0
	fi
	ids1=$(bpf_ids "$DPID")
	stop_pid "$DPID" KILL 5
	sleep 0.2
	[ "$HAVE_BPFTOOL" = 0 ] || left=" $(bpf_alive "$ids1" | cut -d' ' -f1 | sort | uniq -c |
		awk '{printf "%s%s %s(s)", (NR > 1 ? ", " : ""), $1, $2}')"
	[ -z "$(srv tc filter show dev "$IF_SRV" ingress 2>/dev/null)" ] || left="$left; tc filter"
	! srv ip link show dev "$IF_SRV" | grep -q xdp || left="$left; XDP attached"
	! srv test -e /sys/fs/bpf/ja4sentinel || left="$left; pins"
	note "$mode: kill -9 left:${left:- nothing}"

	if start_daemon "$mode" "$mode-k9b" "$RSOCK"; then
		ok "$mode: after kill -9 a new run starts ($(attach_msg "$DLOG"))"
		ids2=$(bpf_ids "$DPID")
	else
		bad "$mode: after kill -9 a new run does not start: $(log_tail "$DLOG" 4)"
		stop_pid "$DPID" TERM 3
		stop_pid "$RPID" TERM 2
		return 0
	fi
	EXPECT=$TMP/expect-$mode-k9.txt
	CLOG=$TMP/clients-$mode-k9.log
	CLIENT_ERRS=""
	: >"$EXPECT"
	client k9/python-ssl "$V4_SRV" 8443 1.3 k9.e2e.test - \
		"$PY" "$HELPER" tls-client "$V4_SRV" 8443 --sni k9.e2e.test
	client k9/s_client-tls1_2 "$V6_SRV" 9443 1.2 - - \
		openssl s_client -connect "[$V6_SRV]:9443" -tls1_2 -noservername
	"$PY" "$HELPER" wait-lines "$ROUT" 2 10 || true
	sleep 0.2
	got=$(lines "$ROUT")
	if [ "$got" = 2 ]; then
		ok "$mode: after kill -9 the new run delivers records (2 of 2)"
	else
		bad "$mode: after kill -9 the new run delivered $got records of 2:$CLIENT_ERRS"
	fi
	stop_pid "$DPID" TERM 5
	if [ "$STOP_RC" = 0 ]; then
		ok "$mode: after kill -9 and restart, SIGTERM: exit 0"
	else
		bad "$mode: after kill -9 and restart, SIGTERM: exit $STOP_RC: $(log_tail "$DLOG")"
	fi
	check_clean "$mode after kill -9 + restart + stop"
	check_freed "$mode after kill -9 + restart + stop (both runs' objects)" \
		"$(printf '%s\n%s\n' "$ids1" "$ids2")"
	if [ "$mode" = tc ] && has_clsact; then
		note "tc: the clsact qdisc the killed run created stays (the new run did not create it)"
	fi
	stop_pid "$RPID" TERM 3
}

note "namespaces $NS_SRV / $NS_CLI, veth $IF_SRV / $IF_CLI, work dir $TMP"
for m in $MODES; do
	run_mode "$m"
done
finish
