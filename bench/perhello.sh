#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# bench/perhello.sh - instructions per typical ClientHello (issue 17): a
# handshake-only capture (SYN, SYN-ACK, ACK, a real hello in one or two
# segments, FIN; bench/gen_capture.py --handshake-only) of N flows and one
# of 1 flow, `ja4sentinel --read` of each counted with cachegrind
# (--cache-sim=no), and (I(N) - I(1)) / (N - 1): one more hello, start-up
# cancelled. Then one callgrind run of the N-flow capture: inclusive
# instructions per hello of the main functions, and the part spent in
# OpenSSL's SHA-256 and MD5 block functions (which valgrind runs in
# software: it hides the CPU's SHA extensions).
#
# Usage: bench/perhello.sh [--flows N] [--top K]
# Environment: JA4SENTINEL binary (default build/ja4sentinel).
# Needs valgrind, callgrind_annotate and python3. About 30 s.
set -eu

FLOWS=4000
TOP=30
while [ $# -gt 0 ]; do
	case "$1" in
	--flows)
		FLOWS="$2"
		shift 2
		;;
	--top)
		TOP="$2"
		shift 2
		;;
	-h | --help)
		sed -n '3,17p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "usage: bench/perhello.sh [--flows N] [--top K]" >&2
		exit 2
		;;
	esac
done
BIN="${JA4SENTINEL:-build/ja4sentinel}"
HERE="$(cd "$(dirname "$0")" && pwd)"
DIR="$(mktemp -d)"
trap 'rm -rf "$DIR"' EXIT
command -v valgrind >/dev/null || { echo "bench/perhello.sh: needs valgrind" >&2; exit 1; }
[ -x "$BIN" ] || { echo "bench/perhello.sh: no binary $BIN (make all)" >&2; exit 1; }

for n in 1 "$FLOWS"; do
	python3 "$HERE/gen_capture.py" --handshake-only --flows "$n" -o "$DIR/hs-$n.pcap" 2>/dev/null
done

irefs() {
	valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
		--log-file="$DIR/vg.log" "$BIN" --read "$1" >"$DIR/out.json" 2>/dev/null
	local got
	got=$(grep -c '^{"src_ip"' "$DIR/out.json" || true)
	if [ "$got" != "$2" ]; then
		echo "bench/perhello.sh: $1: $got records, expected $2" >&2
		exit 1
	fi
	sed -n 's/.*I *refs: *//p' "$DIR/vg.log" | tr -d ,
}

i1=$(irefs "$DIR/hs-1.pcap" 1)
iN=$(irefs "$DIR/hs-$FLOWS.pcap" "$FLOWS")
per=$(((iN - i1) / (FLOWS - 1)))
echo "instructions: 1 flow $i1, $FLOWS flows $iN"
echo "per hello: $per"

# The digest block functions are unnamed in a stripped libcrypto: the self
# cost of its unnamed symbols, one-flow run subtracted like the total.
blocks() {
	valgrind --tool=callgrind --callgrind-out-file="$DIR/cg-$1.out" --log-file=/dev/null \
		"$BIN" --read "$DIR/hs-$1.pcap" >/dev/null 2>&1
	callgrind_annotate --threshold=100 "$DIR/cg-$1.out" 2>/dev/null |
		awk '/^ *[0-9,]+ .*\?\?\?:0x.*libcrypto/ { gsub(",", "", $1); s += $1 } END { print s + 0 }'
}
b1=$(blocks 1)
bN=$(blocks "$FLOWS")
bper=$(((bN - b1) / (FLOWS - 1)))
echo "of which digest blocks (libcrypto's unnamed SHA-256/MD5 block functions): $bper"
echo "per hello without the digest blocks: $((per - bper))"
echo
echo "inclusive instructions per hello (callgrind, $FLOWS flows; start-up not subtracted):"
callgrind_annotate --inclusive=yes "$DIR/cg-$FLOWS.out" 2>/dev/null |
	grep -E '^ *[0-9,]+ \([ 0-9.]+%\)  (user/|\?\?\?:[A-Za-z_]|\./[a-z]+/.*:_?_?[a-z])' |
	sed 's/([ 0-9.]*%)//' | awk -v n="$FLOWS" '{ gsub(",", "", $1); printf "%8d  %s\n", $1 / n, $2 }' |
	awk '!seen[$2]++' | head -n "$TOP"
