#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# bench/idle.sh - what an idle daemon costs: system calls and CPU time over
# S seconds (default 10) with no traffic, pcap mode on the loopback of a
# network namespace of its own (the loop and its timer are the same in
# every capture mode). Counts with strace -c (attached after start-up) and
# reads utime + stime from /proc. Root; needs strace and iproute2.
#
# Usage: bench/idle.sh [--seconds S]
# Environment: JA4SENTINEL binary (default build/ja4sentinel); WATCHDOG_USEC
# is passed through when set (systemd's watchdog: a WATCHDOG=1 every half).
set -eu

SECS=10
while [ $# -gt 0 ]; do
	case "$1" in
	--seconds)
		SECS="$2"
		shift 2
		;;
	-h | --help)
		sed -n '3,12p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "usage: bench/idle.sh [--seconds S]" >&2
		exit 2
		;;
	esac
done
BIN="$(realpath "${JA4SENTINEL:-build/ja4sentinel}")"
NS="perfidle$$"
DIR="$(mktemp -d)"
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$DIR"
}
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
printf 'core:\n  interface: lo\n  capture_mode: pcap\n  listen_ports: [443]\noutputs:\n  - type: file\n    enabled: true\n    params:\n      path: %s/out.json\n' \
	"$DIR" >"$DIR/c.yml"
ip netns exec "$NS" "$BIN" --config "$DIR/c.yml" 2>"$DIR/log" &
PID=$!
for _ in $(seq 50); do
	grep -q "capture started" "$DIR/log" 2>/dev/null && break
	sleep 0.1
done
grep -q "capture started" "$DIR/log" || { echo "bench/idle.sh: daemon did not start" >&2; cat "$DIR/log" >&2; exit 1; }
sleep 1
t0=$(awk '{ print $14 + $15 }' "/proc/$PID/stat")
timeout -s INT "$SECS" strace -c -f -p "$PID" -o "$DIR/strace" >/dev/null 2>&1 || true
t1=$(awk '{ print $14 + $15 }' "/proc/$PID/stat")
echo "idle ${SECS} s, pcap mode, $(basename "$BIN"):"
if [ -s "$DIR/strace" ]; then
	cat "$DIR/strace"
else
	echo "(no system call at all)"
fi
wakes=$(awk '$NF == "epoll_wait" { print $4 }' "$DIR/strace")
echo "epoll_wait returns: ${wakes:-0} ($(awk -v w="${wakes:-0}" -v s="$SECS" 'BEGIN { printf "%.1f", w / s }') per second)"
echo "CPU time (utime + stime ticks of $(getconf CLK_TCK)/s): $((t1 - t0))"
