#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The test runner behind `make test`: every layer, one closing count.
#   tests/run.sh [STAGE...]   stages: unit asan corpus corpus-asan valgrind cli bpf daemon replay e2e stress kernels packaging fuzz
# Each stage reports its own cases; the last line is
#   N passed, N failed, N skipped
# FUZZ_SECONDS (default 20) bounds each fuzzer's smoke run; TEST_KERNELS
# (default 6.12) is the kernel list of the kernels stage.
set -eu

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
PASS=0 FAIL=0 SKIP=0
FAILED_NAMES=()

pass() { PASS=$((PASS + $1)); }
fail() { FAIL=$((FAIL + $1)); FAILED_NAMES+=("$2"); }
skip() { SKIP=$((SKIP + 1)); echo "SKIP $1"; }

# Add the counts of a "N passed, N failed, N skipped" line.
add_counts() { # $1 = name, $2 = the line
	local p f s
	p=$(sed -n 's/.*\b\([0-9]\+\) passed.*/\1/p' <<<"$2")
	f=$(sed -n 's/.*\b\([0-9]\+\) failed.*/\1/p' <<<"$2")
	s=$(sed -n 's/.*\b\([0-9]\+\) skipped.*/\1/p' <<<"$2")
	PASS=$((PASS + ${p:-0}))
	SKIP=$((SKIP + ${s:-0}))
	if [ "${f:-0}" -gt 0 ]; then fail "${f}" "$1"; fi
}

# One cmocka binary: its own PASSED/FAILED/SKIPPED lines are the counts,
# added up over its groups; a group whose setup failed counts as failed.
run_cmocka() { # $1 = binary
	local out rc=0 p f s e
	out=$("$1" 2>&1) || rc=$?
	sum() { sed -n "s/^\[  $1 *\] \([0-9]\+\) test.*/\1/p" <<<"$out" | awk '{n += $1} END {print n + 0}'; }
	p=$(sum PASSED)
	f=$(sum FAILED)
	s=$(sum SKIPPED)
	e=$(grep -c '^\[  FAILED  \] GROUP' <<<"$out" || true)
	echo "$out" | grep -E '^\[  (FAILED|ERROR|SKIPPED) +\]|^\[==========\]|^SKIP' || true
	if ! grep -q '^\[==========\] [0-9]* test(s) run' <<<"$out"; then
		echo "$out" | tail -n 20
		fail 1 "$1 (crashed, exit $rc)"
		return
	fi
	pass "$p"
	SKIP=$((SKIP + s))
	f=$((f + e))
	if [ "$f" -gt 0 ] || [ "$rc" -ne 0 ]; then
		echo "$out" | grep -B2 -A8 -E 'FAILED|ERROR|Sanitizer' | head -n 60
		[ "$f" -gt 0 ] || f=1
		fail "$f" "$1"
	fi
}

stage_unit() { # $1 = directory of test binaries
	local dir=$1 t found=0
	for t in "$dir"/test_*; do
		[ -x "$t" ] || continue
		found=1
		echo "== $t"
		run_cmocka "$t"
	done
	if [ "$found" = 0 ]; then fail 1 "no unit test binaries in $dir (run make unit asan)"; fi
}

stage_corpus() { # $1 = binary, $2.. = wrapper
	local bin=$1 out line
	shift
	if [ ! -x "$bin" ]; then fail 1 "corpus: $bin missing"; return; fi
	out=$(python3 tests/corpus/run_corpus.py --binary "$bin" --wrap "$*" 2>&1) || true
	echo "$out" | grep -v '^PASS' || true
	line=$(tail -n1 <<<"$out")
	echo "corpus ($bin${*:+ under $1}): $line"
	add_counts "corpus $bin $*" "$line"
}

stage_valgrind() {
	if ! command -v valgrind >/dev/null; then
		skip "valgrind: not installed"
		return
	fi
	stage_corpus "$BUILD/ja4sentinel" valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect
}

# A script that prints ok/FAIL/SKIP lines and a closing count: show what is
# not ok and add its counts. $1 name, $2 timeout in seconds, then the command.
run_counted() {
	local name=$1 limit=$2 out
	shift 2
	out=$(timeout "$limit" "$@" 2>&1) || true
	echo "$out" | grep -v '^ok ' || true
	add_counts "$name" "$(tail -n1 <<<"$out")"
}

stage_cli() {
	run_counted cli 300 tests/cli/run_cli.sh "$BUILD/ja4sentinel"
}

stage_bpf() {
	local t="$BUILD/bpftest/test_bpf"
	if [ ! -x "$t" ]; then fail 1 "bpf: $t not built (make bpftest)"; return; fi
	if [ "$(id -u)" != 0 ]; then skip "bpf: loading BPF programs needs root"; return; fi
	run_cmocka "$t"
}

stage_replay() {
	run_counted replay 600 tests/replay/run_replay.sh "$BUILD/ja4sentinel"
}

stage_e2e() {
	run_counted e2e 900 tests/e2e/run_e2e.sh
	run_counted "e2e tun" 120 tests/e2e/run_tun.sh "$BUILD/ja4sentinel"
	run_counted "e2e overlap" 300 tests/e2e/run_overlap.sh "$BUILD/ja4sentinel"
}

stage_stress() {
	run_counted stress 1500 tests/stress/run_stress.sh "$BUILD/ja4sentinel" tc xdp pcap
}

# One kernel of the matrix (scripts/kernel-matrix.sh): 6.12, the Rocky 10
# base, booted under qemu; `make kernel-matrix` runs them all.
stage_kernels() {
	if [ "$(id -u)" != 0 ]; then skip "kernels: booting kernels with BPF tests needs root"; return; fi
	if ! command -v apt-get >/dev/null; then
		skip "kernels: the matrix boots Debian's kernel packages, fetched with apt (not on this system)"
		return
	fi
	run_counted kernels 2400 env BUILD="$BUILD" scripts/kernel-matrix.sh --kernels "${TEST_KERNELS:-6.12}" --no-doc
}

stage_packaging() {
	run_counted packaging 600 tests/packaging/run_packaging.sh
}

stage_daemon() {
	run_counted daemon 600 env JA4SENTINEL="$BUILD/ja4sentinel" python3 tests/daemon/test_daemon.py
}

stage_fuzz() {
	local f name out seeds="$BUILD/fuzz/seeds"
	if ! ls "$BUILD"/fuzz/fuzz_* >/dev/null 2>&1; then
		skip "fuzz: harnesses not built (make fuzz needs clang with libFuzzer)"
		return
	fi
	if [ ! -d "$seeds" ]; then
		python3 tests/fuzz/make_seeds.py "$seeds" ../shared/testdata/foxio/*.pcap* \
			../shared/testdata/synthetic/*.pcap tests/data/synthetic/*.pcap* >/dev/null
	fi
	for f in "$BUILD"/fuzz/fuzz_*; do
		[ -x "$f" ] || continue
		name=$(basename "$f")
		mkdir -p "$BUILD/fuzz/corpus/$name"
		if out=$("$f" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=1024 \
			-artifact_prefix="$BUILD/fuzz/" "$BUILD/fuzz/corpus/$name" \
			"$seeds/$name" tests/fuzz/regressions/"$name" 2>&1); then
			echo "ok $name: $(grep -o 'Done [0-9]* runs in [0-9]* second' <<<"$out")"
			pass 1
		else
			echo "$out" | grep -A20 -E 'ERROR|SUMMARY' | head -n 40
			fail 1 "fuzz $name"
		fi
	done
}

run_stage() {
	echo "=== $1"
	case $1 in
	unit) stage_unit "$BUILD/unit" ;;
	asan) stage_unit "$BUILD/asan/unit" ;;
	corpus) stage_corpus "$BUILD/ja4sentinel" ;;
	corpus-asan) stage_corpus "$BUILD/asan/ja4sentinel" ;;
	valgrind) stage_valgrind ;;
	cli) stage_cli ;;
	daemon) stage_daemon ;;
	bpf) stage_bpf ;;
	replay) stage_replay ;;
	packaging) stage_packaging ;;
	e2e) stage_e2e ;;
	stress) stage_stress ;;
	kernels) stage_kernels ;;
	fuzz) stage_fuzz ;;
	*) echo "unknown stage $1" >&2; exit 2 ;;
	esac
}

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(unit asan corpus corpus-asan valgrind cli bpf daemon replay e2e stress kernels packaging fuzz)
for s in "${stages[@]}"; do run_stage "$s"; done

echo
if [ ${#FAILED_NAMES[@]} -gt 0 ]; then
	printf 'failures in: %s\n' "${FAILED_NAMES[@]}"
fi
echo "$PASS passed, $FAIL failed, $SKIP skipped"
[ "$FAIL" -eq 0 ]
