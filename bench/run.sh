#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# bench/run.sh - time ja4sentinel against tshark (computing JA3) on the same
# synthetic capture and print a markdown table for docs/performance.md.
#
# Usage: bench/run.sh [--flows N] [--runs R] [--bulk B] [--handshake-only]
#
# Environment overrides:
#   JA4SENTINEL  binary to measure        (default: build/ja4sentinel)
#   TSHARK       tshark binary            (default: tshark)
#   BENCH_CPU    CPU to pin both tools to (default: 1, or 0 on a 1-CPU machine)
#
# Exit status: 0 when every ClientHello was found by ja4sentinel, 1 when
# ja4sentinel is missing (tshark is still measured) or missed hellos, 2 on a
# usage error.
set -eu

usage() {
	cat <<'EOF'
Usage: bench/run.sh [--flows N] [--runs R] [--bulk B] [--handshake-only]

  --flows N   TCP flows (= ClientHellos) in the generated capture (default 20000)
  --runs R    timed runs of each tool, alternating (default 5)
  --bulk B    full-size server data segments per flow (default 20; 0 = no bulk data)
  --handshake-only  flows of SYN, SYN-ACK, ACK, the hello, FIN (gen_capture.py --handshake-only)

The capture is generated once into build/bench/capture-N.pcap by
bench/gen_capture.py and reused by later runs.
EOF
}

die() {
	echo "bench/run.sh: $*" >&2
	exit 1
}

FLOWS=20000
RUNS=5
BULK=20
while [ $# -gt 0 ]; do
	case $1 in
	--flows)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		FLOWS=$2
		shift 2
		;;
	--flows=*)
		FLOWS=${1#*=}
		shift
		;;
	--runs)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		RUNS=$2
		shift 2
		;;
	--bulk)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		BULK=$2
		shift 2
		;;
	--handshake-only)
		HSONLY=1
		shift
		;;
	--runs=*)
		RUNS=${1#*=}
		shift
		;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		echo "bench/run.sh: unknown argument: $1" >&2
		usage >&2
		exit 2
		;;
	esac
done
for v in "$FLOWS" "$RUNS"; do
	case $v in
	'' | *[!0-9]*)
		echo "bench/run.sh: --flows and --runs take a positive integer, got '$v'" >&2
		exit 2
		;;
	esac
done
if [ "$FLOWS" -lt 1 ] || [ "$RUNS" -lt 1 ]; then
	echo "bench/run.sh: --flows and --runs must be at least 1" >&2
	exit 2
fi

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

BIN=${JA4SENTINEL:-build/ja4sentinel}
TSHARK=${TSHARK:-tshark}
TIME=/usr/bin/time
OUT=build/bench
if [ "$BULK" = 20 ]; then TAG=$FLOWS; else TAG=$FLOWS-bulk$BULK; fi
GEN_HS=()
if [ "${HSONLY:-0}" = 1 ]; then
	TAG=$FLOWS-hs
	GEN_HS=(--handshake-only)
fi
CAP=$OUT/capture-$TAG.pcap
WORK=$OUT/run-$TAG
TSHARK_FILTER='tls.handshake.type == 1'

# --- prerequisites --------------------------------------------------------
[ -x "$TIME" ] || die "$TIME not found (GNU time is needed for peak RSS): apt-get install time"
command -v "$TSHARK" >/dev/null 2>&1 || die "tshark not found: apt-get install tshark"
command -v python3 >/dev/null 2>&1 || die "python3 not found: apt-get install python3"

HAVE_BIN=1
if [ ! -x "$BIN" ]; then
	HAVE_BIN=0
	echo "bench/run.sh: WARNING: $BIN not found or not executable; build it first." >&2
	echo "bench/run.sh: WARNING: measuring tshark only." >&2
fi

PIN=()
PIN_DESC="not pinned (taskset not found)"
if command -v taskset >/dev/null 2>&1; then
	cpu=1
	if [ "$(nproc)" -lt 2 ]; then
		cpu=0
	fi
	cpu=${BENCH_CPU:-$cpu}
	PIN=(taskset -c "$cpu")
	PIN_DESC="both pinned with \`taskset -c $cpu\`"
fi

# --- capture --------------------------------------------------------------
mkdir -p "$OUT"
if [ ! -s "$CAP" ] || [ ! -s "$CAP.count" ]; then
	echo "bench/run.sh: generating $CAP ($FLOWS flows)..." >&2
	python3 bench/gen_capture.py --flows "$FLOWS" --bulk-segments "$BULK" "${GEN_HS[@]}" -o "$CAP"
fi
EXPECTED=$(tr -dc '0-9' <"$CAP.count")
[ -n "$EXPECTED" ] || die "$CAP.count holds no number; delete $CAP and rerun"

stat_of() { # stat_of KEY -> value from CAP.stats, or "?"
	local v=""
	if [ -r "$CAP.stats" ]; then
		v=$(sed -n "s/^$1=//p" "$CAP.stats")
	fi
	echo "${v:-?}"
}
CAP_BYTES=$(wc -c <"$CAP" | tr -d ' ')
CAP_MIB=$(awk -v b="$CAP_BYTES" 'BEGIN { printf "%.1f", b / 1048576 }')
CAP_PACKETS=$(stat_of packets)
CAP_DISTINCT=$(stat_of distinct_hellos)
CAP_SEED=$(stat_of seed)

rm -rf "$WORK"
mkdir -p "$WORK"

# --- measurement ----------------------------------------------------------
# timed NAME DEST CMD... : run CMD (pinned) with stdout to DEST under
# /usr/bin/time; appends "wall_seconds time_e_seconds maxrss_kb" to
# $WORK/NAME.times.  wall_seconds comes from the nanosecond clock around the
# call (/usr/bin/time's %e only has 10 ms resolution).
timed() {
	local name=$1 dest=$2 t0 t1 e m
	shift 2
	t0=$(date +%s%N)
	if ! "$TIME" -f '%e %M' -o "$WORK/time.txt" ${PIN[@]+"${PIN[@]}"} "$@" \
		>"$dest" 2>>"$WORK/$name.stderr"; then
		die "$name failed (exit status in $WORK/time.txt); stderr in $WORK/$name.stderr"
	fi
	t1=$(date +%s%N)
	read -r e m <"$WORK/time.txt"
	awk -v a="$t0" -v b="$t1" -v e="$e" -v m="$m" \
		'BEGIN { printf "%.3f %s %s\n", (b - a) / 1e9, e, m }' >>"$WORK/$name.times"
	tail -n 1 "$WORK/$name.times"
}

run_ja4() {
	timed ja4sentinel "$1" "$BIN" --read "$CAP"
}

run_tshark() {
	timed tshark "$1" "$TSHARK" -n -r "$CAP" -Y "$TSHARK_FILTER" -T fields -e tls.handshake.ja3
}

# Warm the page cache so that neither tool pays for the first disk read.
cat "$CAP" >/dev/null

echo "bench/run.sh: $CAP: $EXPECTED ClientHellos, $CAP_PACKETS packets, $CAP_MIB MiB; $RUNS runs each, $PIN_DESC" >&2
i=1
while [ "$i" -le "$RUNS" ]; do
	if [ "$HAVE_BIN" -eq 1 ]; then
		r=$(run_ja4 /dev/null)
		echo "  run $i/$RUNS  ja4sentinel  wall ${r% * *} s  (time %e/%M: ${r#* })" >&2
	fi
	r=$(run_tshark /dev/null)
	echo "  run $i/$RUNS  tshark       wall ${r% * *} s  (time %e/%M: ${r#* })" >&2
	i=$((i + 1))
done

# Counting runs: once each with the output kept.
echo "bench/run.sh: counting ClientHellos found by each tool..." >&2
JA4_FOUND="n/a"
if [ "$HAVE_BIN" -eq 1 ]; then
	timed ja4sentinel-count "$WORK/ja4sentinel.out" "$BIN" --read "$CAP" >/dev/null
	JA4_FOUND=$(wc -l <"$WORK/ja4sentinel.out" | tr -d ' ')
fi
timed tshark-count "$WORK/tshark.out" "$TSHARK" -n -r "$CAP" -Y "$TSHARK_FILTER" \
	-T fields -e tls.handshake.ja3 >/dev/null
TS_FOUND=$(grep -c . "$WORK/tshark.out" || true)

# --- statistics -----------------------------------------------------------
median() { # median of column 1 of a file
	sort -n "$1" | awk '{ a[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) m = a[(NR + 1) / 2]; else m = (a[NR / 2] + a[NR / 2 + 1]) / 2
		printf "%.3f\n", m }'
}
peak_mib() { # largest column 3 (KB) of a file, in MiB
	awk 'BEGIN { m = 0 } $3 > m { m = $3 } END { printf "%.1f", m / 1024 }' "$1"
}
rate() { # rate COUNT SECONDS
	awk -v n="$1" -v t="$2" 'BEGIN { if (t > 0) printf "%.0f", n / t; else print "n/a" }'
}
mibs() { # MiB/s for SECONDS
	awk -v b="$CAP_BYTES" -v t="$1" 'BEGIN { if (t > 0) printf "%.1f", b / 1048576 / t; else print "n/a" }'
}

TS_T=$(median "$WORK/tshark.times")
TS_RATE=$(rate "$TS_FOUND" "$TS_T")
TS_RSS=$(peak_mib "$WORK/tshark.times")
TS_MIBS=$(mibs "$TS_T")

STATUS=0
if [ "$HAVE_BIN" -eq 1 ]; then
	JA4_T=$(median "$WORK/ja4sentinel.times")
	JA4_RATE=$(rate "$JA4_FOUND" "$JA4_T")
	JA4_RSS=$(peak_mib "$WORK/ja4sentinel.times")
	JA4_MIBS=$(mibs "$JA4_T")
	RATIO=$(awk -v a="$TS_T" -v b="$JA4_T" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "n/a" }')
	if [ "$JA4_FOUND" -eq "$EXPECTED" ]; then
		ALL="yes ($JA4_FOUND of $EXPECTED)"
	elif [ "$JA4_FOUND" -lt "$EXPECTED" ]; then
		ALL="**NO**: $JA4_FOUND of $EXPECTED ($((EXPECTED - JA4_FOUND)) missed)"
		STATUS=1
	else
		ALL="**NO**: $JA4_FOUND lines for $EXPECTED ClientHellos ($((JA4_FOUND - EXPECTED)) extra)"
	fi
	# Cross-check: the multiset of JA3 hashes must equal tshark's.
	sed -n 's/.*"ja3_hash"[[:space:]]*:[[:space:]]*"\([0-9a-fA-F]*\)".*/\1/p' \
		"$WORK/ja4sentinel.out" | tr 'A-F' 'a-f' | sort >"$WORK/ja3.ja4sentinel"
	grep . "$WORK/tshark.out" | tr 'A-F' 'a-f' | sort >"$WORK/ja3.tshark" || true
	if [ ! -s "$WORK/ja3.ja4sentinel" ]; then
		JA3_AGREE="n/a (no \`ja3_hash\` field in ja4sentinel's output)"
	else
		DIFF=$(comm -3 "$WORK/ja3.ja4sentinel" "$WORK/ja3.tshark" | wc -l | tr -d ' ')
		if [ "$DIFF" -eq 0 ]; then
			JA3_AGREE="yes (all $(wc -l <"$WORK/ja3.tshark" | tr -d ' ') hashes equal)"
		else
			JA3_AGREE="**NO**: $DIFF hashes differ (see $WORK/ja3.*)"
		fi
	fi
	JA4_ROW="| ja4sentinel \`--read\` | $JA4_T | $JA4_FOUND / $EXPECTED | $JA4_RATE | $JA4_MIBS | $JA4_RSS |"
else
	RATIO="n/a"
	ALL="n/a (ja4sentinel not built)"
	JA3_AGREE="n/a"
	JA4_ROW="| ja4sentinel \`--read\` | not built | - | - | - | - |"
	STATUS=1
fi

# --- report ---------------------------------------------------------------
CPU_MODEL=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
[ -n "$CPU_MODEL" ] || CPU_MODEL=$(uname -m)
TS_VERSION_FULL=$("$TSHARK" --version 2>/dev/null | head -n 1 | sed 's/\.$//')
TS_VERSION=${TS_VERSION_FULL%% (Git*}
KERNEL=$(uname -sr)
NPROC=$(nproc)
WHEN=$(date -u +%Y-%m-%d)

REPORT=$WORK/report.md
{
	echo "### ja4sentinel vs tshark: $EXPECTED ClientHellos ($WHEN)"
	echo
	echo "| tool | median wall time (s) | ClientHellos found | hellos/s | MiB/s | peak RSS (MiB) |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: |"
	echo "$JA4_ROW"
	echo "| $TS_VERSION \`-Y 'tls.handshake.type == 1' -T fields -e tls.handshake.ja3\` | $TS_T | $TS_FOUND / $EXPECTED | $TS_RATE | $TS_MIBS | $TS_RSS |"
	echo
	if [ "$RATIO" = n/a ]; then
		echo "- tshark time / ja4sentinel time: n/a"
	else
		echo "- tshark time / ja4sentinel time: **$RATIO×** (ja4sentinel is $RATIO times faster)"
	fi
	echo "- ja4sentinel found every ClientHello the generator wrote: $ALL"
	echo "- ja4sentinel's JA3 hashes equal tshark's: $JA3_AGREE"
	echo "- capture: \`bench/gen_capture.py --flows $FLOWS --seed $CAP_SEED\`: $FLOWS TCP flows" \
		"(~10% IPv6, ~15% of hellos split in two segments), $CAP_PACKETS packets, $CAP_MIB MiB," \
		"$EXPECTED ClientHellos ($CAP_DISTINCT distinct, from the FoxIO test captures)"
	echo "- method: \`bench/run.sh --flows $FLOWS --runs $RUNS${HSONLY:+ --handshake-only}\`; median of $RUNS alternating runs," \
		"page cache warm, output to /dev/null, $PIN_DESC; peak RSS is the largest over the runs"
	echo "- machine: $NPROC CPUs ($CPU_MODEL), $KERNEL, $TS_VERSION_FULL"
} >"$REPORT"

echo
cat "$REPORT"
echo
echo "(report saved to $REPORT; per-run times in $WORK/*.times as: wall_s time_%e_s maxrss_kb)" >&2
exit "$STATUS"
