#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The test runner behind `make test`: every layer, one closing count.
#   tests/run.sh [STAGE...]   stages, in the default order: selftest format unit asan corpus
#                             corpus-asan valgrind cli bpf daemon privs replay e2e stress kernels
#                             packaging fuzz el8; run:PATH runs one counting script as a stage
# Each stage reports its own cases; the last line is
#   N passed, N failed, N skipped
# and the exit status is 1 if anything failed. The runner fails closed: a
# stage that exits non-zero, is killed by its timeout, or prints no count
# line (cmocka: no "[==========] N test(s) run" line) counts as at least one
# failure, named under "failures in:"; so does a stage that counted nothing.
# FUZZ_SECONDS (default 20) bounds each fuzzer's smoke run; TEST_KERNELS
# (default 6.12) is the kernel list of the kernels stage; STAGE_TIMEOUT, if
# set, replaces every stage's own time limit (seconds).
set -eu

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
# The stages' own ok/FAIL/SKIP counters and skip(); fail below names failures.
. tests/lib.sh
FAILED_NAMES=()
COUNT_RE='^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$'

pass() { PASS=$((PASS + $1)); }
fail() { FAIL=$((FAIL + $1)); FAILED_NAMES+=("$2"); }

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# How a command ended, from its exit status.
exit_text() {
	if [ "$1" -gt 128 ]; then echo "killed by signal $(($1 - 128))"; else echo "exit $1"; fi
}

# tally NAME RC LIMIT MS COUNTED P F S: add what one stage (or binary)
# counted, failing closed. RC, LIMIT (s) and MS (its run time) come from a
# run under `timeout`; COUNTED is 0 when it printed no count line.
tally() {
	local name=$1 rc=$2 limit=$3 ms=$4 counted=$5 p=$6 f=$7 s=$8 why=""
	if { [ "$rc" = 124 ] || [ "$rc" = 137 ]; } && [ "$ms" -ge $((limit * 1000)) ]; then
		why="timed out after $limit s"
	elif [ "$counted" = 0 ]; then
		why="no count line, $(exit_text "$rc")"
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		why="$(exit_text "$rc") although it counted 0 failed"
	elif [ $((p + f + s)) -eq 0 ]; then
		why="counted nothing"
	fi
	pass "$p"
	SKIP=$((SKIP + s))
	if [ -n "$why" ]; then
		echo "FAIL $name: $why"
		[ "$f" -gt 0 ] || f=1
		fail "$f" "$name ($why)"
	elif [ "$f" -gt 0 ]; then
		fail "$f" "$name"
	fi
}

# One cmocka binary: its own PASSED/FAILED/SKIPPED lines are the counts,
# added up over its groups; a group whose setup failed counts as failed.
run_cmocka() { # $1 = binary, $2 = time limit (s)
	local bin=$1 limit=${STAGE_TIMEOUT:-$2} out rc=0 t0 p f s e counted=0
	t0=$(now_ms)
	out=$(timeout -k 10 "$limit" "$bin" 2>&1) || rc=$?
	sum() { sed -n "s/^\[  $1 *\] \([0-9]\+\) test.*/\1/p" <<<"$out" | awk '{n += $1} END {print n + 0}'; }
	p=$(sum PASSED)
	f=$(sum FAILED)
	s=$(sum SKIPPED)
	e=$(grep -c '^\[  FAILED  \] GROUP' <<<"$out" || true)
	f=$((f + e))
	! grep -q '^\[==========\] [0-9]* test(s) run' <<<"$out" || counted=1
	echo "$out" | grep -E '^\[  (FAILED|ERROR|SKIPPED) +\]|^\[==========\]|^SKIP' || true
	if [ "$counted" = 0 ]; then
		echo "$out" | tail -n 20
	elif [ "$f" -gt 0 ] || [ "$rc" -ne 0 ]; then
		echo "$out" | grep -B2 -A8 -E 'FAILED|ERROR|Sanitizer' | head -n 60 || true
	fi
	tally "$bin" "$rc" "$limit" $(($(now_ms) - t0)) "$counted" "$p" "$f" "$s"
}

# A script that prints ok/FAIL/SKIP lines and a closing count: show what is
# not ok and add its last count line. $1 name, $2 time limit (s), then the
# command. `timeout` signals the script's whole process group, so what it
# started in the background goes too and cannot hold the output open.
run_counted() {
	local name=$1 limit=${STAGE_TIMEOUT:-$2} out rc=0 t0 line p=0 f=0 s=0 counted=0
	shift 2
	t0=$(now_ms)
	out=$(timeout -k 10 "$limit" "$@" 2>&1) || rc=$?
	echo "$out" | grep -Ev '^ok ' || true
	line=$(grep -E "$COUNT_RE" <<<"$out" | tail -n1 || true)
	if [ -n "$line" ]; then
		counted=1
		read -r p _ f _ s _ <<<"$line"
	fi
	tally "$name" "$rc" "$limit" $(($(now_ms) - t0)) "$counted" "$p" "$f" "$s"
}

stage_unit() { # $1 = directory of test binaries
	local dir=$1 t found=0
	for t in "$dir"/test_*; do
		[ -x "$t" ] || continue
		found=1
		echo "== $t"
		run_cmocka "$t" 300
	done
	if [ "$found" = 0 ]; then fail 1 "no unit test binaries in $dir (run make unit asan)"; fi
}

stage_corpus() { # $1 = binary, $2.. = wrapper, run with a time limit of $LIMIT s
	local bin=$1
	shift
	if [ ! -x "$bin" ]; then fail 1 "corpus: $bin missing"; return; fi
	run_counted "corpus $bin${*:+ under $1}" "${LIMIT:-600}" \
		python3 tests/corpus/run_corpus.py --binary "$bin" --wrap "$*"
	run_counted "peer suites $bin${*:+ under $1}" "${LIMIT:-600}" \
		python3 tests/corpus/run_peers.py --binary "$bin" --wrap "$*"
	run_counted "ja4t $bin${*:+ under $1}" "${LIMIT:-600}" \
		python3 tests/corpus/run_ja4t.py --binary "$bin" --wrap "$*"
	run_counted "quic in vxlan $bin${*:+ under $1}" "${LIMIT:-600}" \
		python3 tests/corpus/run_quic_tunnel.py --binary "$bin" --wrap "$*"
	run_counted "ip fragments $bin${*:+ under $1}" "${LIMIT:-600}" \
		python3 tests/corpus/run_ipfrag.py --binary "$bin" --wrap "$*"
	run_counted "ipv4 checksum read $bin${*:+ under $1}" "${LIMIT:-600}" \
		python3 tests/corpus/run_ipcsum_read.py --binary "$bin" --wrap "$*"
	run_counted "differential ja4/ja3 $bin${*:+ under $1}" "${LIMIT:-600}" \
		python3 tests/corpus/run_diff.py --binary "$bin" --wrap "$*"
	run_counted "differential quic $bin${*:+ under $1}" "${LIMIT:-600}" \
		python3 tests/corpus/run_diff_quic.py --binary "$bin" --wrap "$*"
	run_counted "files libpcap refuses or cuts, at $bin${*:+ under $1}" "${LIMIT:-600}" \
		python3 tests/corpus/run_pcapng_read.py --binary "$bin" --wrap "$*"
}

stage_valgrind() {
	if ! command -v valgrind >/dev/null; then
		skip valgrind "not installed"
		return
	fi
	LIMIT=1800 stage_corpus "$BUILD/ja4sentinel" valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect
}

# The runner's own test: fake stages that crash, hang, count nothing or
# only skip must be counted as such (tests/runner_selftest.sh).
stage_selftest() {
	run_counted selftest 120 tests/runner_selftest.sh
}

stage_cli() {
	run_counted cli 300 tests/cli/run_cli.sh "$BUILD/ja4sentinel"
}

stage_bpf() {
	local t="$BUILD/bpftest/test_bpf"
	if [ ! -x "$t" ]; then fail 1 "bpf: $t not built (make bpftest)"; return; fi
	if [ "$(id -u)" != 0 ]; then skip bpf "loading BPF programs needs root"; return; fi
	run_cmocka "$t" 600
}

stage_replay() {
	run_counted replay 600 tests/replay/run_replay.sh "$BUILD/ja4sentinel"
}

stage_e2e() {
	run_counted e2e 900 tests/e2e/run_e2e.sh
	run_counted "e2e tun" 120 tests/e2e/run_tun.sh "$BUILD/ja4sentinel"
	run_counted "e2e tunnels" 120 tests/e2e/run_tunnels.sh "$BUILD/ja4sentinel"
	run_counted "e2e local_ips" 120 tests/e2e/run_localips.sh "$BUILD/ja4sentinel"
	run_counted "e2e overlap" 300 tests/e2e/run_overlap.sh "$BUILD/ja4sentinel"
	run_counted "e2e urgent" 120 tests/e2e/run_urgent.sh "$BUILD/ja4sentinel"
	run_counted "e2e quic" 180 tests/e2e/run_quic.sh "$BUILD/ja4sentinel"
	run_counted "e2e filter" 180 tests/e2e/run_filter.sh "$BUILD/ja4sentinel"
	run_counted "e2e ipfrag" 120 tests/e2e/run_ipfrag.sh "$BUILD/ja4sentinel"
}

stage_stress() {
	run_counted stress 1500 tests/stress/run_stress.sh "$BUILD/ja4sentinel" tc xdp pcap
}

# One kernel of the matrix (scripts/kernel-matrix.sh): 6.12, the Rocky 10
# base, booted under qemu; `make kernel-matrix` runs them all.
stage_kernels() {
	if [ "$(id -u)" != 0 ]; then skip kernels "booting kernels with BPF tests needs root"; return; fi
	if ! command -v apt-get >/dev/null; then
		skip kernels "the matrix boots Debian's kernel packages, fetched with apt (not on this system)"
		return
	fi
	run_counted kernels 2400 env BUILD="$BUILD" scripts/kernel-matrix.sh --kernels "${TEST_KERNELS:-6.12}" --no-doc
}

# el8's library generation (OpenSSL 1.1.1, BPF=0): build and unit + corpus
# tests in a Debian bullseye chroot (scripts/el8-check.sh). The first run
# makes the chroot (about a minute from deb.debian.org), later ones reuse it.
stage_el8() {
	run_counted el8 900 scripts/el8-check.sh
}

stage_packaging() {
	run_counted packaging 600 tests/packaging/run_packaging.sh
}

stage_daemon() {
	run_counted daemon 600 env JA4SENTINEL="$BUILD/ja4sentinel" python3 tests/daemon/test_daemon.py
}

# Capabilities, pin directory, single instance, signals (issue 14): its own
# network and mount namespace; about 7 s.
stage_privs() {
	run_counted privs 120 env JA4SENTINEL="$BUILD/ja4sentinel" /usr/bin/python3 tests/privs/test_privs.py
}

stage_fuzz() {
	local f name out rc limit t0 seeds="$BUILD/fuzz/seeds"
	if ! ls "$BUILD"/fuzz/fuzz_* >/dev/null 2>&1; then
		skip fuzz "harnesses not built (make fuzz needs clang with libFuzzer)"
		return
	fi
	# Seeds made before a harness existed have no directory for it: made again.
	for f in "$BUILD"/fuzz/fuzz_*; do
		[ -x "$f" ] && [ ! -d "$seeds/$(basename "$f")" ] && rm -rf "$seeds"
	done
	if [ ! -d "$seeds" ]; then
		python3 tests/fuzz/make_seeds.py "$seeds" ../shared/testdata/foxio/*.pcap* \
			../shared/testdata/synthetic/*.pcap tests/data/synthetic/*.pcap* >/dev/null
	fi
	limit=${STAGE_TIMEOUT:-$((FUZZ_SECONDS + 120))}
	for f in "$BUILD"/fuzz/fuzz_*; do
		[ -x "$f" ] || continue
		name=$(basename "$f")
		mkdir -p "$BUILD/fuzz/corpus/$name"
		rc=0
		t0=$(now_ms)
		out=$(timeout -k 10 "$limit" "$f" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
			-rss_limit_mb=1024 -artifact_prefix="$BUILD/fuzz/" "$BUILD/fuzz/corpus/$name" \
			"$seeds/$name" tests/fuzz/regressions/"$name" 2>&1) || rc=$?
		if [ "$rc" = 0 ]; then
			echo "ok $name: $(grep -o 'Done [0-9]* runs in [0-9]* second' <<<"$out")"
			pass 1
		else
			echo "$out" | grep -A20 -E 'ERROR|SUMMARY' | head -n 40 || true
			# One run, one count: the fuzzer itself prints no count line.
			tally "fuzz $name" "$rc" "$limit" $(($(now_ms) - t0)) 1 0 1 0
		fi
	done
}

# clang-format --dry-run --Werror on every tracked C file of ours (not
# vmlinux/, not build/): one pass or fail per file. Not in the default list
# until the tree has been formatted once.
stage_format() {
	local f out files n=0
	if ! command -v clang-format >/dev/null; then
		skip format "clang-format not installed"
		return
	fi
	if ! files=$(git ls-files -- 'bpf/*.[ch]' 'user/*.[ch]' 'include/*.[ch]' 'tests/*.[ch]' 2>/dev/null) ||
		[ -z "$files" ]; then
		skip format "not a git checkout: no list of tracked files"
		return
	fi
	while IFS= read -r f; do
		case $f in vmlinux/* | build/*) continue ;; esac
		n=$((n + 1))
		if out=$(clang-format --dry-run --Werror "$f" 2>&1); then
			pass 1
		else
			echo "FAIL format $f: $(grep -c 'clang-format-violations' <<<"$out") places"
			grep 'clang-format-violations' <<<"$out" | head -n 5 | sed 's/^/    /'
			fail 1 "format $f"
		fi
	done <<<"$files"
	echo "format: $n files, $(clang-format --version)"
}

run_stage() {
	echo "=== $1"
	case $1 in
	selftest) stage_selftest ;;
	unit) stage_unit "$BUILD/unit" ;;
	asan) stage_unit "$BUILD/asan/unit" ;;
	corpus) stage_corpus "$BUILD/ja4sentinel" ;;
	corpus-asan) stage_corpus "$BUILD/asan/ja4sentinel" ;;
	valgrind) stage_valgrind ;;
	cli) stage_cli ;;
	daemon) stage_daemon ;;
	privs) stage_privs ;;
	bpf) stage_bpf ;;
	replay) stage_replay ;;
	packaging) stage_packaging ;;
	el8) stage_el8 ;;
	e2e) stage_e2e ;;
	stress) stage_stress ;;
	kernels) stage_kernels ;;
	fuzz) stage_fuzz ;;
	format) stage_format ;;
	run:?*) run_counted "${1#run:}" 600 "${1#run:}" ;;
	*) echo "unknown stage $1" >&2; exit 2 ;;
	esac
}

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(selftest format unit asan corpus corpus-asan valgrind cli bpf daemon privs replay e2e stress kernels packaging fuzz el8)
for s in "${stages[@]}"; do run_stage "$s"; done

echo
if [ ${#FAILED_NAMES[@]} -gt 0 ]; then
	printf 'failures in: %s\n' "${FAILED_NAMES[@]}"
fi
finish
