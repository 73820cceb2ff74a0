# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
#
# Sourced by every shell test script (tests/cli, tests/e2e, tests/replay,
# tests/stress, tests/packaging, tests/runner_selftest.sh) and by
# tests/run.sh itself: one way to print ok/FAIL/SKIP lines, the closing
# count tests/run.sh adds up, the exit status that goes with it, and
# namespace cleanup.
#
#   ok WHAT              a check passed
#   bad WHAT [DETAIL]    a check failed; DETAIL's first lines go under it
#   skip WHAT WHY        a check did not run, and why; a skip without a
#                        reason is a bug in the script and counts as failed
#   note TEXT            a comment line ("# TEXT"), not counted
#   report               print "N passed, N failed, N skipped"; status 1
#                        if any failed (for EXIT traps, which must go on)
#   finish               report, then exit 1 if any failed, else 0
#   netns_pair, ns_addr  two namespaces joined by a veth pair, addresses
#   del_netns NS...      stop what runs in the namespaces, delete them
#
# tests/run.sh reads the last count line and the exit status: a script that
# dies before `finish` prints no count line and fails its stage.

PASS=0 FAIL=0 SKIP=0
# 1 once the count line is out: an EXIT trap can tell an early stop.
# shellcheck disable=SC2034
REPORTED=0
ok() { PASS=$((PASS + 1)); echo "ok $1"; }
bad() {
	FAIL=$((FAIL + 1))
	echo "FAIL $1"
	# shellcheck disable=SC2001
	if [ -n "${2:-}" ]; then sed 's/^/    /' <<<"$2" | head -n 20; fi
}
skip() {
	if [ -z "${2:-}" ]; then
		bad "$1: skipped without a reason (a test script bug)"
		return 0
	fi
	SKIP=$((SKIP + 1))
	echo "SKIP $1: $2"
}
note() { echo "# $*"; }
report() {
	# shellcheck disable=SC2034
	REPORTED=1
	echo "$PASS passed, $FAIL failed, $SKIP skipped"
	[ "$FAIL" -eq 0 ]
}
finish() {
	report
	exit
}

# netns_pair NS_A IF_A NS_B IF_B: two new network namespaces joined by a
# veth pair, IF_A in NS_A and IF_B in NS_B; lo and both ends up. The
# caller deletes them (del_netns, in its EXIT trap).
netns_pair() {
	ip netns add "$1"
	ip netns add "$3"
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
	ip -n "$1" link set lo up
	ip -n "$3" link set lo up
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

# ns_addr NS DEV ADDR/LEN...: the addresses on DEV in NS; IPv6 ones without
# duplicate address detection, so that they can be used at once.
ns_addr() {
	local ns=$1 dev=$2 a
	shift 2
	for a in "$@"; do
		if [[ $a == *:* ]]; then
			ip -n "$ns" addr add "$a" dev "$dev" nodad
		else
			ip -n "$ns" addr add "$a" dev "$dev"
		fi
	done
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

# daemon_in_ns NS BIN CONFIG OUT ERR [ARG...]: start BIN --config CONFIG
# [ARG...] in network namespace NS (mounting a bpffs there if it has none),
# its output in OUT and ERR, and wait up to 10 s for "capture started" or
# its exit. Its pid is then in DAEMON_PID.
daemon_in_ns() {
	local ns=$1 bin=$2 cfg=$3 out=$4 err=$5
	shift 5
	# shellcheck disable=SC2016 # expanded by the inner shell
	ip netns exec "$ns" sh -c 'mount -t bpf bpf /sys/fs/bpf 2>/dev/null; exec "$@"' \
		sh "$bin" --config "$cfg" "$@" >"$out" 2>"$err" &
	DAEMON_PID=$!
	for _ in $(seq 100); do
		grep -qs '"capture started"' "$err" && break
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
}
