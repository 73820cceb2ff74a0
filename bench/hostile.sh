#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# bench/hostile.sh - instructions per ClientHello for a typical hello and for
# the costliest hellos a sender can build (bench/gen_hostile.py), with and
# without fingerprints.raw, as a markdown table for docs/performance.md.
#
# Usage: bench/hostile.sh [--flows N] [CASE...]
#
# For each case it writes a capture of N flows and one of 1 flow, counts the
# instructions of `ja4sentinel --read` on each under cachegrind and prints
# (I(N) - I(1)) / (N - 1): the cost of one more hello, start-up cancelled.
# Instruction counts do not depend on the machine's load, so one run is
# enough. Also checks that every flow gave one record no longer than
# 64 KiB.
#
# Environment: JA4SENTINEL binary to measure (default build/ja4sentinel).
set -eu

FLOWS=11
while [ $# -gt 0 ]; do
	case "$1" in
	--flows)
		FLOWS="$2"
		shift 2
		;;
	-h | --help)
		sed -n '3,16p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*) break ;;
	esac
done
CASES="${*:-typical ciphers exts sigalgs groups alpn sni records1 records1s}"
BIN="${JA4SENTINEL:-build/ja4sentinel}"
HERE="$(cd "$(dirname "$0")" && pwd)"
DIR="$(mktemp -d)"
trap 'rm -rf "$DIR"' EXIT

command -v valgrind >/dev/null || { echo "bench/hostile.sh: needs valgrind" >&2; exit 1; }
[ -x "$BIN" ] || { echo "bench/hostile.sh: no binary $BIN (make all)" >&2; exit 1; }

for raw in false true; do
	printf 'fingerprints:\n  raw: %s\noutputs:\n  - type: stdout\n    enabled: true\n' \
		"$raw" >"$DIR/raw-$raw.yml"
done

# instructions CAPTURE CONFIG: I refs of one --read, records checked.
instructions() {
	local n
	valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
		--log-file="$DIR/vg.log" "$BIN" --config "$2" --read "$1" >"$DIR/out.json" 2>/dev/null
	n=$(grep -c '^{"src_ip"' "$DIR/out.json" || true)
	if [ "$n" != "$3" ]; then
		echo "bench/hostile.sh: $1: $n records, expected $3" >&2
		exit 1
	fi
	awk 'length($0) > 65536 { print "bench/hostile.sh: record over 64 KiB"; exit 1 }' \
		"$DIR/out.json" >&2
	sed -n 's/.*I *refs: *//p' "$DIR/vg.log" | tr -d ,
}

echo "| case | hello bytes on the wire | instructions / hello | × typical | with raw | × typical (raw) |"
echo "|---|---:|---:|---:|---:|---:|"
typ_plain=0
typ_raw=0
for c in $CASES; do
	python3 "$HERE/gen_hostile.py" "$c" "$FLOWS" "$DIR/n.pcap"
	python3 "$HERE/gen_hostile.py" "$c" 1 "$DIR/1.pcap"
	wire=$(python3 -c "import sys; sys.path.insert(0, '$HERE'); import gen_hostile; print(len(gen_hostile.build('$c')[0]))")
	row="| $c | $wire |"
	for raw in false true; do
		big=$(instructions "$DIR/n.pcap" "$DIR/raw-$raw.yml" "$FLOWS")
		one=$(instructions "$DIR/1.pcap" "$DIR/raw-$raw.yml" 1)
		per=$(((big - one) / (FLOWS - 1)))
		if [ "$c" = typical ]; then
			[ $raw = false ] && typ_plain=$per || typ_raw=$per
		fi
		typ=$([ $raw = false ] && echo $typ_plain || echo $typ_raw)
		ratio=$([ "$typ" -gt 0 ] && awk -v a="$per" -v b="$typ" 'BEGIN { printf "%.1f", a / b }' || echo "?")
		row="$row $per | $ratio |"
	done
	echo "$row"
done
