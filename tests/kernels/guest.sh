#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# One kernel's share of the kernel matrix (scripts/kernel-matrix.sh). Runs
# inside a qemu guest booted with a Debian kernel (the host's root shared
# read-only, so the guest has this build and the host's userspace), or
# directly on this machine for its own kernel (the "host" row):
#
#   tests/kernels/guest.sh OUTDIR
#
#   info      kernel release, BTF, `bpftool feature probe kernel`
#   bpftest   build/bpftest/test_bpf: each program (tc, xdp, and xdp with
#             its by-hand copy forced) on crafted packets through
#             BPF_PROG_TEST_RUN (cmocka)
#   tc, xdp   live: server and client network namespaces joined by a veth
#             pair (198.18.0.1/24 server, 198.18.0.2/24 client),
#             tests/tls_server.py on 8443, ja4sentinel --mode MODE on the server's veth
#             writing to a file, N real TLS clients (openssl s_client
#             TLS 1.3/1.2, python ssl), SIGTERM; passes when the daemon
#             started, delivered exactly one record per client (by SNI),
#             exited 0 and left nothing attached
#   auto      the same with --mode auto; which mode it chose is recorded
#
# Writes into OUTDIR: info.txt, features.txt, bpftest.out, daemon-MODE.log,
# records-MODE.jsonl, attached-MODE.txt, checks.tsv (check, status,
# seconds, detail) and, through tests/kernels/results.py, result.json.
# Prints ok/FAIL/SKIP lines. Also loads each program alone with
# build/kernels/verifier_log, whose output (verifier-tc.log,
# verifier-xdp.log) has the whole verifier log of a program that does not
# load.
# Environment: J4S_BIN, J4S_TEST_BPF, J4S_VERIFIER (default build/...),
# J4S_CLIENTS (5), J4S_LOAD_TIMEOUT (seconds a program load or a daemon
# start may take, 1200).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${1:?usage: guest.sh OUTDIR}
BIN=${J4S_BIN:-$ROOT/build/ja4sentinel}
TEST_BPF=${J4S_TEST_BPF:-$ROOT/build/bpftest/test_bpf}
VERIFIER=${J4S_VERIFIER:-$ROOT/build/kernels/verifier_log}
N=${J4S_CLIENTS:-5}
# How long loading a program may take (the verifier is slow under TCG).
LOAD_TIMEOUT=${J4S_LOAD_TIMEOUT:-1200}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
export HOME=/tmp LC_ALL=C

NS_SRV="j4sk-$$-srv"
NS_CLI="j4sk-$$-cli"
IF_SRV="j4k$$s"
IF_CLI="j4k$$c"
V4_SRV=198.18.0.1
V4_CLI=198.18.0.2
PORT=8443

mkdir -p "$OUT"
: >"$OUT/checks.tsv"
WORK=$(mktemp -d /tmp/j4s-kernel.XXXXXX)
PIDS=()

note() { echo "# $*"; }
T_CHECK=$SECONDS
check() { # NAME STATUS DETAIL: one line of checks.tsv, with the check's seconds
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$((SECONDS - T_CHECK))" "$3" >>"$OUT/checks.tsv"
	T_CHECK=$SECONDS
	case $2 in
	pass) echo "ok $1: $3" ;;
	skip) echo "SKIP $1: $3" ;;
	*) echo "FAIL $1: $3" ;;
	esac
}

running() { jobs -pr | grep -qx "$1"; }

# stop PID SIGNAL SECONDS: signal, wait, SIGKILL if needed; STOP_RC.
stop() {
	local pid=$1 sig=$2 secs=$3 t0=$SECONDS
	running "$pid" && kill "-$sig" "$pid" 2>/dev/null
	while [ $((SECONDS - t0)) -lt "$secs" ]; do
		running "$pid" || break
		sleep 0.1
	done
	running "$pid" && kill -KILL "$pid" 2>/dev/null
	STOP_RC=0
	wait "$pid" 2>/dev/null || STOP_RC=$?
}

# shellcheck disable=SC2317 # (called by the EXIT trap)
cleanup() {
	local pid
	for pid in ${PIDS[@]+"${PIDS[@]}"}; do
		stop "$pid" TERM 3
	done
	ip netns delete "$NS_SRV"
	ip netns delete "$NS_CLI"
	rm -rf "$WORK"
} 2>/dev/null
trap cleanup EXIT
trap 'exit 130' INT TERM

srv() { ip netns exec "$NS_SRV" "$@"; }
cli() { ip netns exec "$NS_CLI" "$@"; }

# ---- the kernel ----
{
	echo "kernel=$(uname -r)"
	echo "kernel_version=$(uname -v)"
	if [ -r /sys/kernel/btf/vmlinux ]; then
		echo "btf=yes"
		echo "btf_bytes=$(wc -c </sys/kernel/btf/vmlinux)"
	else
		echo "btf=no"
	fi
	echo "unprivileged_bpf_disabled=$(cat /proc/sys/kernel/unprivileged_bpf_disabled 2>/dev/null)"
	echo "bpf_jit_enable=$(cat /proc/sys/net/core/bpf_jit_enable 2>/dev/null)"
	echo "memlock=$(ulimit -l)"
	echo "nproc=$(nproc)"
} >"$OUT/info.txt"
note "kernel $(uname -r), BTF: $(sed -n 's/^btf=//p' "$OUT/info.txt")"
if command -v bpftool >/dev/null 2>&1; then
	timeout 120 bpftool feature probe kernel >"$OUT/features.txt" 2>&1 || true
else
	echo "bpftool not installed" >"$OUT/features.txt"
fi

# ---- does each program load, and if not, the verifier's whole log ----
# In the background: a program that runs into the verifier's 1M-instruction
# limit takes minutes to be refused (under TCG); the rest goes on meanwhile.
VERIFIER_PIDS=()
for m in tc xdp; do
	if [ -x "$VERIFIER" ]; then
		timeout "$LOAD_TIMEOUT" "$VERIFIER" "$m" </dev/null >"$OUT/verifier-$m.log" 2>&1 &
		VERIFIER_PIDS+=($!)
		PIDS+=($!)
	else
		echo "$VERIFIER not built (make kernel-matrix builds it)" >"$OUT/verifier-$m.log"
	fi
done

# ---- BPF_PROG_TEST_RUN ----
if [ ! -x "$TEST_BPF" ]; then
	check bpftest fail "$TEST_BPF not built (make bpftest)"
else
	rc=0
	timeout "$LOAD_TIMEOUT" "$TEST_BPF" >"$OUT/bpftest.out" 2>&1 || rc=$?
	cat "$OUT/bpftest.out"
	# One cmocka group per program (tc, xdp, xdp-copy): add them up.
	sum() { sed -n "s/^\[  $1 *\] \([0-9]\+\) test.*/\1/p" "$OUT/bpftest.out" | awk '{n += $1} END {if (NR) print n}'; }
	p=$(sum PASSED)
	f=$(sum FAILED)
	total=$(sed -n 's/^\[==========\] \([0-9]\+\) test(s) run.*/\1/p' "$OUT/bpftest.out" | awk '{n += $1} END {if (NR) print n}')
	groups=$(sed -n 's/^\[  ERROR   \] \([a-z-]*\)$/\1/p' "$OUT/bpftest.out" | tr '\n' ' ')
	if [ "$rc" = 0 ] && [ -n "$p" ] && [ -z "$f" ]; then
		check bpftest pass "$p/${total:-$p} cmocka tests passed"
	elif [ -n "$groups" ]; then
		check bpftest fail "group ${groups% } did not load (its tests did not run); ${p:-0}/${total:-0} of the others passed (exit $rc)"
	elif [ -n "$p$f" ]; then
		check bpftest fail "${f:-0} of ${total:-?} cmocka tests failed (exit $rc): $(grep -E '^\[  (FAILED|ERROR) +\] [a-z]' "$OUT/bpftest.out" | awk '{print $NF}' | sort -u | tr '\n' ' ')"
	else
		check bpftest fail "exit $rc, no cmocka summary (group setup: loading the skeleton failed?): $(grep -v '^\[' "$OUT/bpftest.out" | tail -n 3 | tr '\n' ' ' | cut -c1-300)"
	fi
fi

# ---- namespaces, veth, TLS server ----
NET_OK=1
NET_WHY=""
setup_net() {
	local err="$WORK/net.err"
	if ! {
		ip netns add "$NS_SRV" && ip netns add "$NS_CLI" &&
			ip link add "$IF_SRV" netns "$NS_SRV" type veth peer name "$IF_CLI" netns "$NS_CLI" &&
			srv ip addr add "$V4_SRV/24" dev "$IF_SRV" && cli ip addr add "$V4_CLI/24" dev "$IF_CLI" &&
			srv ip link set lo up && cli ip link set lo up &&
			srv ip link set "$IF_SRV" up && cli ip link set "$IF_CLI" up
	} 2>"$err"; then
		NET_WHY="namespaces/veth: $(tr '\n' ' ' <"$err" | cut -c1-300)"
		return 1
	fi
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj /CN=j4s.test -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >"$err" 2>&1 || {
		NET_WHY="openssl req: $(tail -n 2 "$err" | tr '\n' ' ')"
		return 1
	}
	# (ip netns exec, not srv: $! must be the program's own PID)
	# Not openssl s_server: one stalled client would hold it, and every
	# later client would fail (tests/tls_server.py). The guest runs the
	# host's root, so it has the host's python3.
	ip netns exec "$NS_SRV" "$PY" "$ROOT/tests/tls_server.py" "$WORK/cert.pem" "$WORK/key.pem" \
		"$PORT" </dev/null >"$WORK/s_server.out" 2>&1 &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	local i
	for ((i = 0; i < 100; i++)); do
		cli timeout 2 bash -c "exec 3<>/dev/tcp/$V4_SRV/$PORT" 2>/dev/null && return 0
		sleep 0.1
	done
	NET_WHY="tests/tls_server.py not reachable on $V4_SRV:$PORT: $(tail -n 3 "$WORK/s_server.out" | tr '\n' ' ')"
	return 1
}
setup_net || NET_OK=0
[ "$NET_OK" = 1 ] && note "veth $IF_SRV ($V4_SRV, ns $NS_SRV) <-> $IF_CLI ($V4_CLI, ns $NS_CLI)"

# ---- clients: one SNI each, so each record is matched to its client ----
client() { # I: run client number I (1..N) against the server
	local i=$1 sni kind
	kind=$(((i - 1) % 5))
	sni="c$i.k$kind.j4s.test"
	echo "$sni" >>"$WORK/snis"
	case $kind in
	0) cli timeout 10 openssl s_client -connect "$V4_SRV:$PORT" -tls1_3 -servername "$sni" ;;
	1) cli timeout 10 openssl s_client -connect "$V4_SRV:$PORT" -tls1_2 -servername "$sni" ;;
	2) cli timeout 10 openssl s_client -connect "$V4_SRV:$PORT" -tls1_3 -alpn h2,http/1.1 \
		-servername "$sni" ;;
	3 | 4) cli timeout 10 "$PY" -c '
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
if sys.argv[3] == "12":
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
s = ctx.wrap_socket(socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5),
                    server_hostname=sys.argv[4])
s.close()' "$V4_SRV" "$PORT" "$([ "$kind" = 4 ] && echo 12 || echo 13)" "$sni" ;;
	esac </dev/null >>"$WORK/clients.out" 2>&1
}

# live MODE: one daemon run with N clients; sets the MODE check.
live() {
	local mode=$1 cfg="$WORK/config-$1.yml" rec="$WORK/records-$1.jsonl" log="$OUT/daemon-$1.log"
	local pid i started=0 ok_clients=0 got want leftover="" why=""

	if [ "$NET_OK" = 0 ]; then
		check "$mode" fail "no test network: $NET_WHY"
		return
	fi
	if [ ! -x "$BIN" ]; then
		check "$mode" fail "$BIN not built (make)"
		return
	fi
	cat >"$cfg" <<-EOF
		core:
		  interface: $IF_SRV
		  listen_ports: [$PORT]
		  xdp_generic: true
		  flow_timeout_sec: 10
		  log_level: info
		outputs:
		  - type: file
		    params:
		      path: $rec
	EOF
	: >"$rec"
	: >"$WORK/snis"
	# `ip netns exec` gives the daemon a fresh /sys without bpffs: mount it
	# there, as systemd has it mounted on a real host (libxdp's dispatcher
	# and the pins need it).
	# shellcheck disable=SC2016 # (expanded by that sh)
	ip netns exec "$NS_SRV" sh -c '[ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] ||
		mount -t bpf bpf /sys/fs/bpf 2>/dev/null; exec "$0" --config "$1" --mode "$2"' \
		"$BIN" "$cfg" "$mode" </dev/null >"$WORK/daemon-$mode.stdout" 2>"$log" &
	pid=$!
	PIDS+=("$pid")
	local t0=$SECONDS
	while [ $((SECONDS - t0)) -lt "$LOAD_TIMEOUT" ]; do # (the verifier can take minutes)
		if grep -q '"capture started"' "$log" 2>/dev/null; then
			started=1
			break
		fi
		running "$pid" || break
		sleep 0.1
	done
	if [ "$started" = 0 ]; then
		stop "$pid" TERM 5
		why=$(grep -iE '"level":"error"' "$log" | tail -n 1 | sed 's/.*"message":"\([^"]*\)".*/\1/')
		check "$mode" fail "daemon did not start (exit $STOP_RC): ${why:-$(tail -n 1 "$log" | cut -c1-300)}"
		return
	fi
	# What the kernel shows while it runs: the hook, the program, the link.
	{
		echo "## ip -d link show dev $IF_SRV"
		srv ip -d link show dev "$IF_SRV"
		echo "## tc filter show dev $IF_SRV ingress"
		srv tc filter show dev "$IF_SRV" ingress
		echo "## bpftool net show dev $IF_SRV"
		srv bpftool net show dev "$IF_SRV"
		echo "## bpftool prog show (ours and libxdp's)"
		bpftool prog show | grep -A3 -E 'name (j4s_|xdp_dispatcher)'
		echo "## bpftool link show"
		bpftool link show
	} >"$OUT/attached-$mode.txt" 2>&1
	for ((i = 1; i <= N; i++)); do
		client "$i" && ok_clients=$((ok_clients + 1))
	done
	sleep 1
	stop "$pid" TERM 15
	cp "$rec" "$OUT/records-$mode.jsonl"
	# Nothing may stay attached after a clean stop.
	if srv tc filter show dev "$IF_SRV" ingress 2>/dev/null | grep -q .; then
		leftover="a tc ingress filter"
	fi
	if srv ip link show dev "$IF_SRV" 2>/dev/null | grep -q 'prog/xdp'; then
		leftover="${leftover:+$leftover, }an XDP program"
	fi
	got=$(wc -l <"$rec" | tr -d ' ')
	want=$N
	local missing
	missing=$("$PY" -c '
import json, sys
want = set(open(sys.argv[1]).read().split())
seen = {}
bad = 0
for line in open(sys.argv[2]):
    r = json.loads(line)
    sni = r.get("tls_sni", "")
    seen[sni] = seen.get(sni, 0) + 1
    if not r.get("ja4") or r.get("src_ip") != sys.argv[3] or r.get("dst_port") != int(sys.argv[4]):
        bad += 1
out = [s + " missing" for s in sorted(want - set(seen))]
out += [s + " x%d" % n for s, n in sorted(seen.items()) if n != 1 or s not in want]
if bad:
    out.append("%d records without ja4 or with wrong addresses" % bad)
print(", ".join(out))' "$WORK/snis" "$rec" "$V4_CLI" "$PORT" 2>&1)
	local chosen attach
	chosen=$(grep '"capture started"' "$log" | sed -n 's/.*"mode":"\([a-z]*\)".*/\1/p' | head -n 1)
	attach=$(grep -E '"message":"j4s_(tc|xdp) attached' "$log" | sed 's/.*"message":"\([^"]*\)".*/\1/' |
		head -n 1)
	[ -n "$attach" ] || attach=$(grep -E '"message":"capture_mode auto: ' "$log" |
		sed 's/.*"message":"\([^"]*\)".*/\1/' | head -n 1)
	[ -n "$attach" ] || attach="no attach line in the log"
	if [ "$ok_clients" != "$N" ]; then
		why="only $ok_clients of $N TLS clients completed a handshake"
	elif [ "$got" != "$want" ] || [ -n "$missing" ]; then
		why="$got records for $want clients${missing:+: $missing}"
	elif [ "$STOP_RC" != 0 ]; then
		why="SIGTERM: exit $STOP_RC"
	elif [ -n "$leftover" ]; then
		why="left attached after a clean stop: $leftover"
	fi
	if [ -z "$why" ]; then
		check "$mode" pass "$got/$want records, mode $chosen: $attach"
	else
		check "$mode" fail "$why (mode ${chosen:-?}: $attach)"
	fi
}

for m in tc xdp auto; do
	live "$m"
done

for pid in ${VERIFIER_PIDS[@]+"${VERIFIER_PIDS[@]}"}; do
	wait "$pid" 2>/dev/null
done
for m in tc xdp; do
	note "$(grep -E '^j4s_' "$OUT/verifier-$m.log" 2>/dev/null ||
		echo "j4s_$m: verifier_log gave no verdict (timeout ${LOAD_TIMEOUT} s?)")"
done

"$PY" "$HERE/results.py" guest "$OUT" || echo "FAIL results.py could not write $OUT/result.json"
exit 0
