#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# bench/live_rate.sh - the live rate limit of each capture mode, and the
# daemon's memory with many flows mid-hello.
#
# One network namespace holds a veth pair lr0/lr1; lr0 carries the server
# addresses of the bench captures (198.19.255.1, fd00::c613:ff01) and the
# daemon watches it. tcpreplay sends a capture into lr1, so every packet of
# it, from either side of the recorded connections, arrives on lr0 as
# ingress.
#
# Rate (default): a handshake-only capture (bench/gen_live.py --shape
# handshake: SYN, SYN-ACK, ACK, a real ClientHello in one or two segments,
# FIN; --flows connections) is replayed at each --pps rate and at
# --topspeed, in each mode (tc, xdp, pcap), a fresh daemon per run. Per run:
# offered hellos/s (tcpreplay's achieved packets/s x hellos per packet),
# records delivered, where the missing ones went (veth drops, ring buffer
# full, pcap drops, flows lost in userspace, output queue drops: the
# daemon's final stats), and the daemon's CPU (utime + stime) per 1,000
# hellos. Ends with a markdown table, the highest zero-loss rate per mode,
# and, when gnuplot is installed, a PNG of delivered vs offered.
#
# --rss: a partial capture (--shape partial: SYN, SYN-ACK, ACK and the first
# segment of a hello whose rest never comes; --flows, default 100000) is
# replayed once per mode at --rss-pps, so that all flows are open at once
# within the default 30 s flow timeout; then the daemon's VmHWM and VmRSS
# are read from /proc and its flow counters from a SIGUSR1 stats line. Also
# `--read` of the same capture (peak RSS from GNU time).
#
# Usage (root; build/ja4sentinel built):
#   bench/live_rate.sh [--flows N] [--rates "PPS ..."] [--modes "tc xdp pcap"]
#                      [--repeat R] [--png FILE]
#   bench/live_rate.sh --rss [--flows N] [--modes "..."] [--rss-pps PPS]
# Both take --buffer N (core.packet_buffer_size: the BPF ring is N x 16 KiB
# rounded up to a power of two, at least 1 MiB; the pcap buffer N x 16 KiB)
# and --stall MS (rate mode: SIGSTOP the daemon for MS ms once the first
# record of each replay is written, a stand-in for a host that does not
# schedule it: what the ring or pcap buffer must absorb). --hold (rate
# mode): SIGSTOP the daemon before each replay and SIGCONT it after, so the
# records delivered are what the ring or pcap buffer holds.
# Defaults: --flows 20000 (rate) / 100000 (rss), --rates "10000 20000 50000
# 100000 200000 400000" plus top speed, --repeat 2, --png
# build/bench/live-rate.png, --rss-pps 40000. Environment: JA4SENTINEL
# (binary). Work files stay in build/bench/live-MODE-PID/ (records, stderr,
# tcpreplay output, results.tsv). Every wait is bounded; a run that does
# not start or stop in time is reported and the bench goes on.
set -eu

MODE=rate
FLOWS=
RATES="10000 20000 50000 100000 200000 400000"
MODES="tc xdp pcap"
REPEAT=2
PNG=
RSS_PPS=40000
BUFFER=
STALL=0
HOLD=0
usage() {
	sed -n '/^# Usage/,/^# Defaults/p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--rss) MODE=rss; shift ;;
	--flows) FLOWS=$2; shift 2 ;;
	--rates) RATES=$2; shift 2 ;;
	--modes) MODES=$2; shift 2 ;;
	--repeat) REPEAT=$2; shift 2 ;;
	--png) PNG=$2; shift 2 ;;
	--rss-pps) RSS_PPS=$2; shift 2 ;;
	--buffer) BUFFER=$2; shift 2 ;;
	--stall) STALL=$2; shift 2 ;;
	--hold) HOLD=1; shift ;;
	*) usage ;;
	esac
done
[ -n "$FLOWS" ] || { [ "$MODE" = rss ] && FLOWS=100000 || FLOWS=20000; }

cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$(realpath "${JA4SENTINEL:-build/ja4sentinel}")
PY=/usr/bin/python3
[ "$(id -u)" = 0 ] || { echo "live_rate.sh: needs root" >&2; exit 1; }
[ -x "$BIN" ] || { echo "live_rate.sh: $BIN not built" >&2; exit 1; }
for t in tcpreplay ip timeout; do
	command -v "$t" >/dev/null || { echo "live_rate.sh: $t is needed" >&2; exit 1; }
done

NS=j4s-livebench-$$
WORK=$ROOT/build/bench/live-$MODE-$$
mkdir -p "$WORK"
DPID=
cleanup() {
	[ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null
	ip netns pids "$NS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$MODE" = rss ]; then
	CAP=build/bench/partial-$FLOWS.pcap
	SHAPE=partial
else
	CAP=build/bench/live-$FLOWS.pcap
	SHAPE=handshake
fi
if [ ! -s "$CAP" ] || [ ! -s "$CAP.stats" ]; then
	"$PY" bench/gen_live.py --shape "$SHAPE" --flows "$FLOWS" -o "$CAP" >&2
fi
PACKETS=$(sed -n 's/^packets=//p' "$CAP.stats")
HELLOS=$(sed -n 's/^hellos=//p' "$CAP.stats")

ip netns add "$NS"
ip -n "$NS" link add lr0 type veth peer name lr1
ip -n "$NS" addr add 198.19.255.1/32 dev lr0
ip -n "$NS" addr add fd00::c613:ff01/128 dev lr0 nodad
ip -n "$NS" link set lr0 up
ip -n "$NS" link set lr1 up
ip -n "$NS" link set lo up

CONF=$WORK/config.yml
cat >"$CONF" <<EOF
core:
  interface: lr0
  listen_ports: [443]
  # Native XDP on the veth, as an operator would run it.
  xdp_generic: false
  # The replayed SYN-ACKs arrive on lr0 as ingress, where a real server's
  # leave as egress, so no hello here is validated (design.md §13); the
  # default limit of 1000 unvalidated hellos/s would then be the only thing
  # measured. 0 = no limit. Every other setting is the default.
  unvalidated_rate: 0
${BUFFER:+  packet_buffer_size: $BUFFER}
outputs:
  - type: file
    params:
      path: $WORK/records.jsonl
EOF

HZ=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
ifstat() { ip netns exec "$NS" cat "/sys/class/net/$1/statistics/$2"; }

# Start the daemon in MODE; sets DPID. Its own bpffs instance (ip netns exec
# gives each command a private mount namespace) keeps its pins away from the
# host's /sys/fs/bpf and from every other daemon; it vanishes with it.
start_daemon() { # mode errfile
	: >"$WORK/records.jsonl"
	ip netns exec "$NS" sh -c 'mount -t bpf bpf /sys/fs/bpf 2>/dev/null; exec "$@"' sh \
		"$BIN" --config "$CONF" --mode "$1" >/dev/null 2>"$2" &
	DPID=$!
	for _ in $(seq 150); do # 15 s
		grep -q 'capture started' "$2" 2>/dev/null && return 0
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	echo "live_rate.sh: $1: daemon did not start: $(tail -n 3 "$2")" >&2
	stop_daemon
	return 1
}

stop_daemon() {
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID" 2>/dev/null || true
	for _ in $(seq 100); do # 10 s
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$DPID" 2>/dev/null || true
	wait "$DPID" 2>/dev/null || true
	DPID=
}

# Wait until the record file stops growing (0.5 s without a new line, at
# most 15 s): the daemon drains its ring or buffer after the replay.
wait_drained() {
	local last=-1 n
	for _ in $(seq 30); do
		n=$(wc -l <"$WORK/records.jsonl")
		[ "$n" = "$last" ] && return 0
		[ "$n" -ge "$HELLOS" ] && [ "$HELLOS" -gt 0 ] && return 0
		last=$n
		sleep 0.5
	done
}

# Final stats of a run -> one tab-separated line of loss counters.
final_stats() { # errfile
	grep '"final stats"' "$1" | tail -n 1 | "$PY" -c '
import json, sys
line = sys.stdin.read()
d = json.loads(line) if line.strip() else {}
k, f, h, o = (d.get(x, {}) for x in ("kernel", "flows", "hellos", "outputs"))
user = sum(f.get(x, 0) for x in ("evicted_waiting", "timeouts", "nomem", "evicted_memory",
                                  "unvalidated_limited", "segment_limit", "byte_limit"))
print("\t".join(str(v) for v in (k.get("ringbuf_full", 0), k.get("kernel_dropped", 0),
      user, sum(v.get("dropped", 0) for v in o.values()), h.get("records", 0))))
'
}

mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

# ------------------------------------------------------------------ rss mode
if [ "$MODE" = rss ]; then
	echo "live_rate.sh --rss: $CAP: $FLOWS partial flows, $PACKETS packets at $RSS_PPS pps" >&2
	RES=$WORK/rss.tsv
	: >"$RES"
	for mode in $MODES; do
		err=$WORK/$mode.err
		start_daemon "$mode" "$err" || continue
		ip netns exec "$NS" timeout 300 tcpreplay -K -i lr1 --pps "$RSS_PPS" "$CAP" \
			>"$WORK/$mode.tcpreplay" 2>&1 || true
		sleep 1
		hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$DPID/status")
		rss=$(awk '/^VmRSS/ {print $2}' "/proc/$DPID/status")
		anon=$(awk '/^RssAnon/ {print $2}' "/proc/$DPID/status")
		file=$(awk '/^RssFile/ {print $2}' "/proc/$DPID/status")
		shm=$(awk '/^RssShmem/ {print $2}' "/proc/$DPID/status")
		# Proportional: a page mapped twice (the BPF ring's data) or shared
		# with other processes (libraries) counts once, split between them.
		pss=$(awk '/^Pss:/ {print $2}' "/proc/$DPID/smaps_rollup")
		# Kept for a look at the mappings (AnonHugePages: THP).
		cat "/proc/$DPID/smaps_rollup" >"$WORK/$mode.smaps_rollup"
		cat "/proc/$DPID/smaps" >"$WORK/$mode.smaps"
		kill -USR1 "$DPID"
		for _ in $(seq 50); do grep -q '"counters' "$err" && break; sleep 0.1; done
		active=$(grep '"counters' "$err" | tail -n 1 | "$PY" -c \
			'import json,sys; f=json.load(sys.stdin)["flows"]; print(f["active"], f["evicted_waiting"], f["evicted_memory"], f["timeouts"])' 2>/dev/null || echo "? ? ? ?")
		stop_daemon
		echo "$mode: VmHWM $hwm kB, VmRSS $rss kB, RssAnon $anon kB, RssFile $file kB, RssShmem $shm kB, Pss $pss kB, flows active/evicted_waiting/evicted_memory/timeouts: $active" >&2
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$hwm" "$rss" "$anon" "$file" "$shm" "$pss" "$active" >>"$RES"
	done
	/usr/bin/time -f '%M' -o "$WORK/read.time" "$BIN" --config "$CONF" --read "$CAP" \
		>/dev/null 2>"$WORK/read.err" || true
	read_kb=$(tail -n 1 "$WORK/read.time")
	read_active=$(grep '"final stats"' "$WORK/read.err" | "$PY" -c \
		'import json,sys; f=json.load(sys.stdin)["flows"]; print(f["active"], f["evicted_waiting"], f["evicted_memory"], f["timeouts"])')
	echo "--read: peak RSS $read_kb kB, flows: $read_active" >&2
	echo
	echo "### Memory with $FLOWS flows mid-hello ($(date -u +%F), $(nproc) CPUs shared)"
	echo
	echo "| mode | VmHWM (MiB) | VmRSS (MiB) | of which RssAnon | RssFile | RssShmem | Pss | flows active | evicted (table full) | evicted (buffer budget) | timed out |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	while IFS=$'\t' read -r m h r an fl sm ps a; do
		# shellcheck disable=SC2086
		set -- $a
		printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$m" "$(mib "$h")" "$(mib "$r")" \
			"$(mib "$an")" "$(mib "$fl")" "$(mib "$sm")" "$(mib "$ps")" "$1" "$2" "$3" "$4"
	done <"$RES"
	# shellcheck disable=SC2086
	set -- $read_active
	printf '| --read | %s (peak) | | | | | | %s | %s | %s | %s |\n' "$(mib "$read_kb")" "$1" "$2" "$3" "$4"
	echo
	echo "- capture: $CAP ($PACKETS packets), replayed with tcpreplay --pps $RSS_PPS onto a veth"
	exit 0
fi

# ----------------------------------------------------------------- rate mode
RES=$WORK/results.tsv
printf 'mode\trep\tpps_asked\tpps_done\toffered_hps\tdelivered\tlink_drops\tringbuf_full\tpcap_dropped\tuserspace\toutput_dropped\tcpu_ms_per_1000\n' >"$RES"
echo "live_rate.sh: $CAP: $HELLOS hellos in $PACKETS packets; modes $MODES; rates $RATES top; $REPEAT repeat(s)" >&2
for rep in $(seq "$REPEAT"); do
	for mode in $MODES; do
		for pps in $RATES top; do
			err=$WORK/$mode-$pps-$rep.err
			start_daemon "$mode" "$err" || continue
			rx0=$(ifstat lr0 rx_dropped)
			tx0=$(ifstat lr1 tx_dropped)
			t0=$(cpu_ticks "$DPID")
			if [ "$pps" = top ]; then speed=--topspeed; else speed=--pps=$pps; fi
			[ "$HOLD" = 1 ] && kill -STOP "$DPID"
			# Bounded: the slowest rate of the default list takes ~10 s.
			# -K: the capture is read into memory first, so the send rate
			# is not the disk's.
			ip netns exec "$NS" timeout 300 tcpreplay -K -i lr1 "$speed" "$CAP" \
				>"$WORK/$mode-$pps-$rep.tcpreplay" 2>&1 &
			rp=$!
			if [ "$STALL" -gt 0 ]; then
				# Once hellos flow (tcpreplay -K loads the file first), at most 10 s.
				for _ in $(seq 1000); do
					[ -s "$WORK/records.jsonl" ] && break
					sleep 0.01
				done
				kill -STOP "$DPID"
				sleep "$(awk -v m="$STALL" 'BEGIN {print m / 1000}')"
				kill -CONT "$DPID"
			fi
			wait "$rp" || true
			[ "$HOLD" = 1 ] && kill -CONT "$DPID"
			wait_drained
			t1=$(cpu_ticks "$DPID")
			rx1=$(ifstat lr0 rx_dropped)
			tx1=$(ifstat lr1 tx_dropped)
			stop_daemon
			done_pps=$(grep -o 'Rated: [0-9.]* Bps, [0-9.]* Mbps, [0-9.]*' "$WORK/$mode-$pps-$rep.tcpreplay" |
				head -n 1 | awk '{print $NF}')
			got=$(grep -c . "$WORK/records.jsonl" || true)
			IFS=$'\t' read -r ring pdrop user odrop _ <<<"$(final_stats "$err")"
			line=$("$PY" - "$mode" "$rep" "$pps" "${done_pps:-0}" "$PACKETS" "$HELLOS" "$got" \
				"$((rx1 - rx0 + tx1 - tx0))" "$ring" "$pdrop" "$user" "$odrop" "$((t1 - t0))" "$HZ" <<'EOF'
import sys
mode, rep, pps, done, packets, hellos, got, link, ring, pdrop, user, odrop, ticks, hz = sys.argv[1:]
done, packets, hellos, got = float(done), int(packets), int(hellos), int(got)
offered = done * hellos / packets
cpu = int(ticks) * 1000.0 / int(hz) / got * 1000 if got else 0
print("\t".join([mode, rep, pps, "%.0f" % done, "%.0f" % offered, str(got), link, ring, pdrop,
                 user, odrop, "%.1f" % cpu]))
EOF
)
			echo "$line" >>"$RES"
			echo "$line" | awk -F'\t' '{printf "%s rep %s pps %s: offered %s hellos/s, delivered %s, link %s ring %s pcap %s user %s output %s, %s ms CPU/1000 hellos\n", $1,$2,$3,$5,$6,$7,$8,$9,$10,$11,$12}' >&2
		done
	done
done

# ------------------------------------------------------------------- report
"$PY" - "$RES" "$HELLOS" "$PACKETS" "$CAP" "$STALL" "$HOLD" "${BUFFER:-default}" <<'EOF'
import collections, sys
res, hellos, packets, cap = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rows = [l.rstrip("\n").split("\t") for l in open(res)][1:]
print("\n### Live rate: %d handshake-only flows replayed onto a veth\n" % hellos)
if len(sys.argv) > 5 and sys.argv[5] != "0":
    print("Daemon stopped (SIGSTOP) for %s ms in each replay.\n" % sys.argv[5])
if len(sys.argv) > 6 and sys.argv[6] == "1":
    print("Daemon stopped (SIGSTOP) during each replay, resumed after it.\n")
if len(sys.argv) > 7:
    print("core.packet_buffer_size: %s\n" % sys.argv[7])
print("| mode | run | tcpreplay | offered hellos/s | delivered | lost: veth | ring buffer | pcap buffer | userspace | output queue | daemon CPU ms / 1,000 hellos |")
print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
best = collections.defaultdict(list)
for r in rows:
    mode, rep, pps, done, off, got, link, ring, pdrop, user, odrop, cpu = r
    speed = "--topspeed" if pps == "top" else "--pps %s" % pps
    print("| %s | %s | %s | %s | %s / %d | %s | %s | %s | %s | %s | %s |"
          % (mode, rep, speed, "{:,}".format(int(off)), got, hellos, link, ring, pdrop, user, odrop, cpu))
for mode in dict.fromkeys(r[0] for r in rows):
    for rep in sorted(set(r[1] for r in rows)):
        ok = [int(r[4]) for r in rows if r[0] == mode and r[1] == rep and int(r[5]) == hellos]
        best[mode].append("{:,}".format(max(ok)) if ok else "none")
print("\nHighest offered rate with every hello delivered (hellos/s, per repeat):\n")
for mode, v in best.items():
    print("- %s: %s" % (mode, ", ".join(v)))
print("\n- capture: %s, %d packets (%.2f packets per hello)" % (cap, packets, packets / hellos))
EOF

# Delivered vs offered, one line per mode (points of every repeat).
PNG=${PNG:-build/bench/live-rate.png}
if command -v gnuplot >/dev/null; then
	plot=""
	for mode in $MODES; do
		awk -F'\t' -v m="$mode" -v h="$HELLOS" 'NR > 1 && $1 == m {print $5, $5 * $6 / h}' "$RES" |
			sort -n >"$WORK/$mode.dat"
		plot="$plot '$WORK/$mode.dat' using 1:2 with linespoints title '$mode',"
	done
	gnuplot <<EOF
set terminal pngcairo size 800,520 noenhanced
set output '$PNG'
set title 'delivered vs offered hellos/s: $FLOWS handshake-only flows on a veth, shared $(nproc)-vCPU VM'
set xrange [1000:*]
set yrange [1000:*]
set xlabel 'offered hellos/s (tcpreplay)'
set ylabel 'delivered hellos/s'
set logscale xy
set key top left
set grid
plot $plot x with lines dashtype 2 lc rgb 'gray' title 'all delivered'
EOF
	echo "live_rate.sh: plot in $PNG" >&2
else
	echo "live_rate.sh: gnuplot not installed (apt-get install gnuplot-nox): no plot" >&2
fi
