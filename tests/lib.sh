# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Sourced by the test scripts that run as root between namespaces
# (tests/replay, tests/e2e/run_tun.sh, tests/stress): their ok/FAIL/SKIP
# lines, the closing count tests/run.sh adds up, and namespace cleanup.

PASS=0 FAIL=0 SKIP=0
ok() { PASS=$((PASS + 1)); echo "ok $1"; }
# bad WHAT [DETAIL]: the detail's first lines go under it, indented.
bad() { FAIL=$((FAIL + 1)); echo "FAIL $1"; [ -z "${2:-}" ] || sed 's/^/    /' <<<"$2" | head -n 20; }
skip() { SKIP=$((SKIP + 1)); echo "SKIP $1"; }
finish() {
	echo "$PASS passed, $FAIL failed, $SKIP skipped"
	[ "$FAIL" -eq 0 ]
	exit
}

# del_netns NS...: stop what runs in each namespace, then delete it (its
# veth ends go with it).
del_netns() {
	local ns
	for ns in "$@"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
}
