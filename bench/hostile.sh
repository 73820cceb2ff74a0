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
# 64 KiB, and shows how much of each hello went to hashing (callgrind,
# inclusive cost of fp_sha256_hex12 and fp_md5_hex) and the rest's ratio.
# Needs valgrind (cachegrind, callgrind, callgrind_annotate) and python3.
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
		sed -n '3,19p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*) break ;;
	esac
done
CASES="${*:-typical unique ciphers exts sigalgs groups alpn sni records1 records1s}"
case " $CASES " in *" typical "*) ;; *) CASES="typical $CASES" ;; esac
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

# instructions CAPTURE CONFIG RECORDS: I refs of one --read (cachegrind),
# records checked.
instructions() {
	local n
	valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
		--log-file="$DIR/vg.log" "$BIN" --config "$2" --read "$1" >"$DIR/out.json" 2>/dev/null
	n=$(grep -c '^{"src_ip"' "$DIR/out.json" || true)
	if [ "$n" != "$3" ]; then
		echo "bench/hostile.sh: $1: $n records, expected $3" >&2
		exit 1
	fi
	if ! awk 'length($0) > 65536 { exit 1 }' "$DIR/out.json"; then
		echo "bench/hostile.sh: $1: record over 64 KiB" >&2
		exit 1
	fi
	sed -n 's/.*I *refs: *//p' "$DIR/vg.log" | tr -d ,
}

# hashing CAPTURE CONFIG: instructions in the digest calls (EVP SHA-256 and
# MD5, inclusive) of one --read, from callgrind. Annotated from /: in the
# tree the binary was built in, callgrind_annotate lists a function once per
# spelling of its file name (user/x.c, /path/user/x.c), sometimes with its
# cost split between them and sometimes with all of it in both (summing
# them doubled the MD5 of the groups case); from / each function is listed
# once with all its cost.
hashing() {
	valgrind --tool=callgrind --callgrind-out-file="$DIR/cg.out" --log-file=/dev/null \
		"$BIN" --config "$2" --read "$1" >/dev/null 2>&1
	(cd / && callgrind_annotate --inclusive=yes --threshold=100 "$DIR/cg.out" 2>/dev/null) |
		awk '!/=>/ && /^ *[0-9,]+ .*fp_hash\.c:fp_(sha256_hex12|md5_hex)( |$)/ { gsub(",", "", $1); s += $1 }
		     END { print s + 0 }'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else printf "?" }'
}

echo "| case | bytes on the wire | instructions / hello | × typical | hashing | rest × typical rest |" \
	"raw: instructions / hello | × typical | hashing | rest × typical rest |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
declare -A typ typh
for c in $CASES; do
	python3 "$HERE/gen_hostile.py" "$c" "$FLOWS" "$DIR/n.pcap"
	python3 "$HERE/gen_hostile.py" "$c" 1 "$DIR/1.pcap"
	wire=$(python3 -c "import sys; sys.path.insert(0, '$HERE'); import gen_hostile; print(len(gen_hostile.build('$c')[0]))")
	row="| $c | $wire |"
	for raw in false true; do
		big=$(instructions "$DIR/n.pcap" "$DIR/raw-$raw.yml" "$FLOWS")
		one=$(instructions "$DIR/1.pcap" "$DIR/raw-$raw.yml" 1)
		per=$(((big - one) / (FLOWS - 1)))
		hbig=$(hashing "$DIR/n.pcap" "$DIR/raw-$raw.yml")
		hone=$(hashing "$DIR/1.pcap" "$DIR/raw-$raw.yml")
		hper=$(((hbig - hone) / (FLOWS - 1)))
		if [ "$c" = typical ]; then
			typ[$raw]=$per
			typh[$raw]=$hper
		fi
		row="$row $per | $(ratio "$per" "${typ[$raw]:-0}") | $hper |"
		row="$row $(ratio $((per - hper)) $((${typ[$raw]:-0} - ${typh[$raw]:-0}))) |"
	done
	echo "$row"
done
