#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The runner's own test: tests/run.sh must fail closed. It is fed fake
# stages (scripts through `run:PATH`, cmocka-like binaries through `unit`
# with BUILD pointing here) and must count each as it should: a crash after
# a passing count line, a hang past the time limit, no count line, a count
# of nothing, a skip without a reason are failures; skips alone are not.
#   tests/runner_selftest.sh      (a few seconds; the `selftest` stage)
set -eu
cd "$(dirname "$0")/.."
. tests/lib.sh
TMP=$(mktemp -d /tmp/j4s-runner-selftest.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
LIB=$PWD/tests/lib.sh

# fake NAME BODY: an executable script in $TMP.
fake() {
	printf '#!/usr/bin/env bash\n%s\n' "$2" >"$TMP/$1"
	chmod +x "$TMP/$1"
}
fake crash 'echo "ok one"; echo "1 passed, 0 failed, 0 skipped"; exit 1'
# The sleeps are in the background too: the whole process group must go.
fake hang 'echo "ok one"; sleep 60 & sleep 60; echo "1 passed, 0 failed, 0 skipped"'
fake nocount 'echo "ok one"; echo "ok two"'
fake nothing 'echo "0 passed, 0 failed, 0 skipped"'
fake skiponly ". '$LIB'; skip 'the check' 'its tool is missing'; skip 'another' 'not root'; finish"
fake noreason ". '$LIB'; ok one; skip 'the check'; finish"
fake good ". '$LIB'; ok one; ok two; skip three 'not here'; finish"
fake failing ". '$LIB'; ok one; bad two 'detail'; bad three; finish"
fake lastline 'echo "9 passed, 9 failed, 9 skipped"; echo "2 passed, 0 failed, 0 skipped"; echo "# a note after it"'
# cmocka-like binaries: one passes, one dies in its second group after the
# first group's summary, one hangs.
mkdir -p "$TMP/build/unit"
CM_OK='echo "[==========] Running 2 test(s)."; echo "[==========] 2 test(s) run."; echo "[  PASSED  ] 2 test(s)."'
fake build/unit/test_ok "$CM_OK"
fake build/unit/test_crash "$CM_OK"'; echo "[==========] Running 1 test(s)."; kill -SEGV $$'
fake build/unit/test_hang "$CM_OK"'; sleep 60'

# expect CASE WANT_RC WANT_LINE WANT_FAILURE [STAGE...]: run the runner on
# STAGE..., check its exit status, its last line and (unless empty) that
# "failures in:" names WANT_FAILURE.
expect() {
	local name=$1 want_rc=$2 want_line=$3 want_fail=$4 out rc=0 last
	shift 4
	out=$(tests/run.sh "$@" 2>&1) || rc=$?
	last=$(tail -n1 <<<"$out")
	if [ "$last" != "$want_line" ]; then
		bad "$name: last line \"$last\", want \"$want_line\"" "$out"
	elif { [ "$want_rc" = 0 ] && [ "$rc" != 0 ]; } || { [ "$want_rc" != 0 ] && [ "$rc" = 0 ]; }; then
		bad "$name: exit $rc, want $([ "$want_rc" = 0 ] && echo 0 || echo non-zero)" "$out"
	elif [ -n "$want_fail" ] && ! grep -qF -- "failures in: $want_fail" <<<"$out"; then
		bad "$name: no \"failures in: $want_fail\"" "$out"
	else
		ok "$name"
	fi
}

T=$TMP
expect "crash after a passing count line fails" 1 "1 passed, 1 failed, 0 skipped" \
	"$T/crash (exit 1 although it counted 0 failed)" "run:$T/crash"
t0=$SECONDS
STAGE_TIMEOUT=2 expect "hang is killed and fails" 1 "0 passed, 1 failed, 0 skipped" \
	"$T/hang (timed out after 2 s)" "run:$T/hang"
if [ $((SECONDS - t0)) -le 15 ]; then
	ok "hang: its background children were killed with it ($((SECONDS - t0)) s)"
else
	bad "hang: the runner waited $((SECONDS - t0)) s (a child kept the output open)"
fi
expect "no count line fails" 1 "0 passed, 1 failed, 0 skipped" \
	"$T/nocount (no count line, exit 0)" "run:$T/nocount"
expect "a count of nothing fails" 1 "0 passed, 1 failed, 0 skipped" \
	"$T/nothing (counted nothing)" "run:$T/nothing"
expect "skips alone pass, counted as skipped" 0 "0 passed, 0 failed, 2 skipped" "" "run:$T/skiponly"
expect "a skip without a reason fails" 1 "1 passed, 1 failed, 0 skipped" "$T/noreason" "run:$T/noreason"
expect "a good script counts as it says" 0 "2 passed, 0 failed, 1 skipped" "" "run:$T/good"
expect "a failing script counts its failures" 1 "1 passed, 2 failed, 0 skipped" "$T/failing" "run:$T/failing"
expect "the last count line is the one" 0 "2 passed, 0 failed, 0 skipped" "" "run:$T/lastline"
expect "stages add up" 1 "3 passed, 1 failed, 3 skipped" "$T/crash" \
	"run:$T/good" "run:$T/crash" "run:$T/skiponly"
rm "$T/build/unit/test_hang"
BUILD=$T/build expect "cmocka: a crash after a group's summary fails" 1 "4 passed, 1 failed, 0 skipped" \
	"$T/build/unit/test_crash (killed by signal 11 although it counted 0 failed)" unit
rm "$T/build/unit/test_crash"
fake build/unit/test_hang "$CM_OK"'; sleep 60'
BUILD=$T/build STAGE_TIMEOUT=2 expect "cmocka: a hang is killed and fails" 1 "4 passed, 1 failed, 0 skipped" \
	"$T/build/unit/test_hang (timed out after 2 s)" unit
rm "$T/build/unit/test_hang" "$T/build/unit/test_ok"
BUILD=$T/build expect "unit: no binaries fails" 1 "0 passed, 1 failed, 0 skipped" \
	"no unit test binaries in $T/build/unit" unit
finish
