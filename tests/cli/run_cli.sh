#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Command-line behaviour of the binary as a user meets it: golden --help,
# exit codes, config errors naming key and line, environment overrides, and
# hostile capture files (empty, garbage, truncated, unknown link type) that
# must end with a message, never a crash or a record.
#   tests/cli/run_cli.sh BINARY
set -u
BIN=${1:-build/ja4sentinel}
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED=${SHARED:-$HERE/../../../shared/testdata}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# shellcheck source=tests/lib.sh
. "$HERE/../lib.sh"

# run NAME WANT_RC [grep-pattern-on-stderr] -- args...: runs BIN, checks exit code and message.
run() {
	local name=$1 want=$2 pat=$3 rc=0
	shift 4
	"$BIN" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	if [ "$rc" -ne "$want" ]; then
		bad "$name: exit $rc, want $want" "$(cat "$TMP/err")"
	elif [ -n "$pat" ] && ! grep -qE -- "$pat" "$TMP/err"; then
		bad "$name: stderr lacks /$pat/" "$(cat "$TMP/err")"
	else
		ok "$name"
	fi
}

records() { grep -c . "$TMP/out" || true; }

# --help is golden: a change to the options must change tests/cli/help.golden too.
if "$BIN" --help | diff -u "$HERE/help.golden" - >"$TMP/diff"; then ok "help golden"; else bad "help golden" "$(cat "$TMP/diff")"; fi
run "version" 0 "" -- --version
grep -qE '^ja4sentinel [0-9]+\.[0-9]+\.[0-9]+' "$TMP/out" && ok "version text" || bad "version text" "$(cat "$TMP/out")"
run "unknown option" 2 "unknown or incomplete option" -- --bogus
run "missing option argument" 2 "" -- --read
run "stray argument" 2 "unexpected argument" -- stray
run "missing --config file" 2 "nope.yml: cannot open" -- --config "$TMP/nope.yml"
run "-config single dash" 2 "nope.yml: cannot open" -- -config "$TMP/nope.yml"

printf 'core:\n  listen_ports: [443]\n  flow_timout_sec: 5\n' >"$TMP/unknown.yml"
run "unknown key named with line" 2 'unknown.yml:3: core.flow_timout_sec: unknown key' -- --config "$TMP/unknown.yml" --check-config
printf 'core:\n  flow_timeout_sec: 301\n' >"$TMP/range.yml"
run "out of range named with line" 2 'range.yml:2: core.flow_timeout_sec: 301 is out of range 1..300' -- --config "$TMP/range.yml" --check-config
printf 'core:\n  listen_ports: [443\n' >"$TMP/syntax.yml"
run "yaml syntax error" 2 'syntax.yml:[0-9]+: YAML syntax' -- --config "$TMP/syntax.yml" --check-config
printf 'core:\n  listen_ports: [443, 8443]\nfingerprints:\n  raw: true\n' >"$TMP/good.yml"
run "check-config valid" 0 "configuration is valid" -- --config "$TMP/good.yml" --check-config
JA4SENTINEL_FLOW_TIMEOUT=0 run "bad env named" 2 "JA4SENTINEL_FLOW_TIMEOUT" -- --check-config --config "$TMP/good.yml"
run "bad --mode" 2 "--mode" -- --mode turbo --check-config --config "$TMP/good.yml"

CAP=$SHARED/foxio/badcurveball.pcap
# The checks on a real capture, by name: without the capture each one is
# counted as skipped; with it, a check added below but not here fails.
CAP_CHECKS=("read ok" "read gives one record" "records are JSON" "env ports filter out"
	"no record off the listen ports" "env ports + sensor" "sensor_id from env" "read from stdin"
	"excluded source read" "excluded source gives no record" "local ip read"
	"local_ips keeps the server's hello" "other local ip read" "local_ips drops other servers"
	"truncated capture" "truncated capture: no record")
if [ -f "$CAP" ]; then
	before=$((PASS + FAIL))
	run "read ok" 0 '"final stats"' -- --read "$CAP"
	[ "$(records)" = 1 ] && ok "read gives one record" || bad "read gives one record" "$(cat "$TMP/out")"
	python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$TMP/out" && ok "records are JSON" || bad "records are JSON"
	JA4SENTINEL_PORTS=8443 run "env ports filter out" 0 "" -- --read "$CAP"
	[ "$(records)" = 0 ] && ok "no record off the listen ports" || bad "no record off the listen ports" "$(cat "$TMP/out")"
	JA4SENTINEL_PORTS=8443,443 JA4SENTINEL_SENSOR_ID=edge-7 run "env ports + sensor" 0 "" -- --read "$CAP"
	grep -q '"sensor_id":"edge-7"' "$TMP/out" && ok "sensor_id from env" || bad "sensor_id from env" "$(cat "$TMP/out")"
	"$BIN" --read - <"$CAP" >"$TMP/out" 2>/dev/null && [ "$(records)" = 1 ] && ok "read from stdin" || bad "read from stdin"
	printf 'core:\n  listen_ports: [443]\n  exclude_source_ips: ["172.130.0.0/16"]\n' >"$TMP/excl.yml"
	run "excluded source read" 0 '"excluded_source":[1-9]' -- --config "$TMP/excl.yml" --read "$CAP"
	[ "$(records)" = 0 ] && ok "excluded source gives no record" || bad "excluded source gives no record" "$(cat "$TMP/out")"
	printf 'core:\n  listen_ports: [443]\n  local_ips: ["54.226.182.138"]\n' >"$TMP/local.yml"
	run "local ip read" 0 "" -- --config "$TMP/local.yml" --read "$CAP"
	[ "$(records)" = 1 ] && ok "local_ips keeps the server's hello" || bad "local_ips keeps the server's hello"
	printf 'core:\n  listen_ports: [443]\n  local_ips: ["192.0.2.99"]\n' >"$TMP/local2.yml"
	run "other local ip read" 0 '"not_local":[1-9]' -- --config "$TMP/local2.yml" --read "$CAP"
	[ "$(records)" = 0 ] && ok "local_ips drops other servers" || bad "local_ips drops other servers"
	head -c 200 "$CAP" >"$TMP/cut.pcap"
	run "truncated capture" 1 "reading capture" -- --read "$TMP/cut.pcap"
	[ "$(records)" = 0 ] && ok "truncated capture: no record" || bad "truncated capture: no record"
	[ $((PASS + FAIL - before)) = ${#CAP_CHECKS[@]} ] ||
		bad "CAP_CHECKS lists ${#CAP_CHECKS[@]} capture checks, $((PASS + FAIL - before)) ran"
else
	for c in "${CAP_CHECKS[@]}"; do skip "$c" "$CAP not found"; done
fi
# ---- --read on a production host (design.md §9) ----
# Records go to stdout, or -w FILE, never to the outputs of the installed
# /etc/ja4sentinel/config.yml unless --config names it; an unreachable
# output is waited for once; SIGINT flushes what was found.
TWO=$HERE/../data/synthetic/tcp-two-connections.pcap
run "--read -w FILE" 0 "" -- --read "$TWO" -w "$TMP/w.json"
[ ! -s "$TMP/out" ] && [ "$(grep -c '"ja4":' "$TMP/w.json")" = 2 ] && ok "-w: records in the file, none on stdout" ||
	bad "-w: records in the file, none on stdout" "$(cat "$TMP/out" "$TMP/w.json")"
run "--read --write FILE again" 0 "" -- --read "$TWO" --write "$TMP/w.json"
[ "$(grep -c . "$TMP/w.json")" = 2 ] && ok "-w truncates: a second run replaces the records" ||
	bad "-w truncates: a second run replaces the records" "$(cat "$TMP/w.json")"
run "-w - is stdout" 0 "" -- --read "$TWO" -w -
[ "$(records)" = 2 ] && ok "-w -: records on stdout" || bad "-w -: records on stdout" "$(cat "$TMP/out")"
run "-w into a missing directory" 1 "nodir/w.json" -- --read "$TWO" -w "$TMP/nodir/w.json"
printf 'outputs:\n  - type: file\n    params:\n      path: %s\n' "$TMP/cfg-out.json" >"$TMP/fileout.yml"
run "-w replaces the configured outputs" 0 "" -- --config "$TMP/fileout.yml" --read "$TWO" -w "$TMP/w2.json"
[ ! -e "$TMP/cfg-out.json" ] && [ "$(grep -c . "$TMP/w2.json")" = 2 ] && ok "-w: the config's file output not written" ||
	bad "-w: the config's file output not written" "$(ls -l "$TMP")"

# A datagram receiver counting what reaches SOCK until STOP exists.
receiver() { # SOCK COUNT_FILE
	/usr/bin/python3 - "$1" "$2" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(0.1)
open(sys.argv[2] + ".ready", "w").close()
n = 0
while not os.path.exists(sys.argv[2] + ".stop"):
    try:
        s.recv(65536)
        n += 1
    except socket.timeout:
        pass
open(sys.argv[2], "w").write(str(n))
PY
	RECV_PID=$!
	for _ in $(seq 100); do [ -e "$2.ready" ] && return 0; sleep 0.05; done
	return 1
}
receiver_stop() { # COUNT_FILE: stop the receiver; the count is then in the file
	touch "$1.stop"
	wait "$RECV_PID"
}

# The installed configuration is faked in a private mount namespace: an
# overlay with our ja4sentinel/ over /etc, seen by this process tree only
# (the real /etc is never written).
ETC_CHECKS=("fake /etc config is in effect (control: --check-config reads it)"
	"--read with /etc config present: records on stdout"
	"--read with /etc config present: nothing sent to its socket"
	"--read --config /etc/...: records go to the configured socket")
in_fake_etc() {
	unshare -m bash -c 'mount --make-rprivate / && mount -t overlay j4s-etc -o "lowerdir=$1:/etc" /etc && shift && exec "$@"' \
		_ "$TMP/etcadd" "$@"
}
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
	for c in "${ETC_CHECKS[@]}"; do skip "$c" "needs root and unshare (private mount namespace)"; done
elif mkdir -p "$TMP/etcadd/ja4sentinel" &&
	printf 'core:\n  sensor_id: from-etc\noutputs:\n  - type: unix_socket\n    params:\n      socket_path: %s\n' \
		"$TMP/live.sock" >"$TMP/etcadd/ja4sentinel/config.yml" &&
	! in_fake_etc true 2>/dev/null; then
	for c in "${ETC_CHECKS[@]}"; do skip "$c" "cannot mount an overlay on /etc in a mount namespace"; done
else
	receiver "$TMP/live.sock" "$TMP/live.count"
	in_fake_etc "$BIN" --check-config >"$TMP/out" 2>"$TMP/err"
	grep -q 'configuration is valid: /etc/ja4sentinel/config.yml' "$TMP/err" &&
		ok "${ETC_CHECKS[0]}" || bad "${ETC_CHECKS[0]}" "$(cat "$TMP/err")"
	in_fake_etc "$BIN" --read "$TWO" >"$TMP/out" 2>"$TMP/err"
	[ "$(records)" = 2 ] && ! grep -q from-etc "$TMP/out" && ok "${ETC_CHECKS[1]}" ||
		bad "${ETC_CHECKS[1]}" "$(cat "$TMP/out" "$TMP/err")"
	receiver_stop "$TMP/live.count"
	n=$(cat "$TMP/live.count")
	[ "$n" = 0 ] && ok "${ETC_CHECKS[2]}" || bad "${ETC_CHECKS[2]}" "$n datagrams received"
	rm -f "$TMP/live.sock" "$TMP/live.count"*
	receiver "$TMP/live.sock" "$TMP/live.count"
	in_fake_etc "$BIN" --read "$TWO" --config /etc/ja4sentinel/config.yml >"$TMP/out" 2>"$TMP/err"
	receiver_stop "$TMP/live.count"
	n=$(cat "$TMP/live.count")
	[ "$n" = 2 ] && [ "$(records)" = 0 ] && ok "${ETC_CHECKS[3]}" ||
		bad "${ETC_CHECKS[3]}" "$n datagrams, stdout: $(cat "$TMP/out") $(cat "$TMP/err")"
fi

# A larger capture (3000 flows, more than one output queue of 1000) for the
# unreachable socket and SIGINT: generated from the corpus (0.7 s).
BIG_CHECKS=("unreachable socket: --read ends in bounded time" "unreachable socket: one wait, losses counted"
	"SIGINT mid-read: exit 130 promptly with final stats" "SIGINT mid-read: records so far are whole JSON lines")
if [ -d "$SHARED/foxio" ] && /usr/bin/python3 "$HERE/../../bench/gen_capture.py" --corpus "$SHARED/foxio" \
	--flows 3000 --bulk-segments 2 -o "$TMP/big.pcap" >/dev/null 2>&1; then
	printf 'outputs:\n  - type: unix_socket\n    params:\n      socket_path: %s\n' "$TMP/nobody.sock" >"$TMP/nobody.yml"
	t0=$(date +%s%N)
	run "unreachable socket: --read ends in bounded time" 0 '"final stats"' -- --config "$TMP/nobody.yml" --read "$TMP/big.pcap"
	ms=$((($(date +%s%N) - t0) / 1000000))
	# 3000 records, queue of 1000: dropped + still queued at the end = 3000.
	lost() {
		/usr/bin/python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("message") == "final stats":
        o = r["outputs"]["unix_socket:" + sys.argv[2]]
        print(r["hellos"]["records"], o["dropped"] + o["queued"], o["sent"])' "$TMP/err" "$TMP/nobody.sock"
	}
	waits=$(grep -c 'no record delivered for' "$TMP/err")
	[ "$ms" -lt 12000 ] && [ "$waits" -le 1 ] && [ "$(lost)" = "3000 3000 0" ] &&
		ok "unreachable socket: one wait, losses counted (${ms} ms, $(lost | cut -d' ' -f2) lost)" ||
		bad "unreachable socket: one wait, losses counted" "${ms} ms, $waits waits, records/lost/sent: $(lost)"
	# SIGINT while the reader waits on a pipe holding part of the capture:
	# mid-read whatever the machine's speed.
	rm -f "$TMP/fifo" && mkfifo "$TMP/fifo"
	/usr/bin/python3 -c '
import sys, time
d = open(sys.argv[1], "rb").read()
with open(sys.argv[2], "wb") as f:
    f.write(d[: len(d) // 2])
    f.flush()
    time.sleep(30)' "$TMP/big.pcap" "$TMP/fifo" &
	feeder=$!
	"$BIN" --read - <"$TMP/fifo" >"$TMP/out" 2>"$TMP/err" &
	reader=$!
	sleep 1
	t0=$(date +%s%N)
	kill -INT "$reader"
	rc=0
	wait "$reader" || rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	kill "$feeder" 2>/dev/null
	wait "$feeder" 2>/dev/null
	[ "$rc" = 130 ] && [ "$ms" -lt 3000 ] && grep -q '"final stats"' "$TMP/err" &&
		ok "SIGINT mid-read: exit 130 promptly with final stats (${ms} ms)" ||
		bad "SIGINT mid-read: exit 130 promptly with final stats" "rc $rc, ${ms} ms: $(tail -c 600 "$TMP/err")"
	whole() {
		/usr/bin/python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
stats = [json.loads(l) for l in open(sys.argv[2]) if "\"final stats\"" in l][0]
assert 0 < len(recs) < 3000 and all("ja4" in r for r in recs), len(recs)
assert stats["hellos"]["records"] == len(recs), (stats["hellos"]["records"], len(recs))
print(len(recs))' "$TMP/out" "$TMP/err"
	}
	if n=$(whole 2>&1); then ok "SIGINT mid-read: records so far are whole JSON lines ($n of 3000)"; else
		bad "SIGINT mid-read: records so far are whole JSON lines" "$n"; fi
else
	for c in "${BIG_CHECKS[@]}"; do skip "$c" "no corpus at $SHARED/foxio to generate the capture from"; done
fi

: >"$TMP/empty.pcap"
run "empty file" 1 "empty.pcap" -- --read "$TMP/empty.pcap"
head -c 4096 /dev/urandom >"$TMP/garbage.pcap"
run "garbage file" 1 "garbage.pcap" -- --read "$TMP/garbage.pcap"
run "missing file" 1 "nothere.pcap" -- --read "$TMP/nothere.pcap"
# A classic pcap header with link type 147 (USER0) and no packets.
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x93\x00\x00\x00' >"$TMP/user0.pcap"
run "unsupported link type" 1 "link type .* is not supported" -- --read "$TMP/user0.pcap"

finish
