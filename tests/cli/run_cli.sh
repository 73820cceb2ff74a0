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

# What would fail the start fails --check-config, naming file:line and key
# (docs/configuration.md, "What --check-config checks").
long_sock=/run/$(printf 'x%.0s' $(seq 1 110)).sock
printf 'core:\n  listen_ports: [443]\noutputs:\n  - type: unix_socket\n    params:\n      socket_path: %s\n' "$long_sock" >"$TMP/sock.yml"
run "socket path over 107 bytes" 2 'sock.yml:6: outputs\[0\]\.params\.socket_path: 1[0-9]+ bytes: a unix socket path has at most 107' -- --config "$TMP/sock.yml" --check-config
printf 'core:\n  exclude_source_ips:\n    - 198.18.0.0/15\n    - 198.19.4.1/16\n' >"$TMP/hostbits.yml"
run "exclude CIDR with host bits" 2 'hostbits.yml:4: core.exclude_source_ips: .*198.19.4.1/16.* has host bits set: write 198.19.0.0/16' -- --config "$TMP/hostbits.yml" --check-config
printf 'core:\n  exclude_source_ips: ["fd00::1/8"]\n' >"$TMP/hostbits6.yml"
run "exclude IPv6 CIDR with host bits" 2 'hostbits6.yml:2: core.exclude_source_ips: .* write fd00::/8' -- --config "$TMP/hostbits6.yml" --check-config
printf 'core:\n  listen_ports: [443]\n  bpf_filter: "tcp port 443 and bogus"\n' >"$TMP/filter.yml"
run "invalid bpf_filter" 2 'filter.yml:3: core.bpf_filter: .*tcp port 443 and bogus.* does not compile' -- --config "$TMP/filter.yml" --check-config
JA4SENTINEL_BPF_FILTER="tcp prot 443" run "invalid bpf_filter from env" 2 'environment JA4SENTINEL_BPF_FILTER: core.bpf_filter: .* does not compile' -- --config "$TMP/good.yml" --check-config
printf 'core:\n  bpf_filter: "tcp port 443"\n' >"$TMP/filter-ok.yml"
run "valid bpf_filter" 0 "configuration is valid" -- --config "$TMP/filter-ok.yml" --check-config
printf 'core:\n  interface: abcdefghijklmnop\n' >"$TMP/ifname.yml"
run "interface name over 15 bytes" 2 'ifname.yml:2: core.interface: .*abcdefghijklmnop.* is longer than 15 bytes' -- --config "$TMP/ifname.yml" --check-config
printf 'core:\n  interface: j4snosuchif0\n' >"$TMP/noif.yml"
run "missing interface is a warning" 0 'noif.yml:2: core.interface: no interface .*j4snosuchif0.* on this host now' -- --config "$TMP/noif.yml" --check-config
/usr/bin/python3 -c 'import sys
print("core:\n  local_ips:")
for i in range(4097): print("    - 198.18.%d.%d" % (i // 256, i % 256))' >"$TMP/many.yml"
run "more local_ips than the kernel map" 2 'many.yml:4099: core.local_ips: more than 4096 addresses' -- --config "$TMP/many.yml" --check-config
printf 'outputs:\n  - type: file\n    params:\n      path: %s/no/such/dir/ja4.log\n' "$TMP" >"$TMP/nodir.yml"
run "output directory missing" 2 'nodir.yml:4: outputs\[0\]\.params\.path: .*: its directory does not exist' -- --config "$TMP/nodir.yml" --check-config
ln -s "$TMP/victim" "$TMP/link.log"
printf 'outputs:\n  - type: file\n    params:\n      path: %s/link.log\n' "$TMP" >"$TMP/link.yml"
run "output path a symlink" 2 'link.yml:4: outputs\[0\]\.params\.path: .*: is a symbolic link' -- --config "$TMP/link.yml" --check-config
[ ! -e "$TMP/victim" ] && ok "symlink target untouched" || bad "symlink target untouched"
mkfifo "$TMP/fifo.log"
printf 'outputs:\n  - type: file\n    params:\n      path: %s/fifo.log\n' "$TMP" >"$TMP/fifo.yml"
run "output path a FIFO" 2 'fifo.yml:4: outputs\[0\]\.params\.path: .*: is not a regular file' -- --config "$TMP/fifo.yml" --check-config
# Not only --check-config: the start runs the same check, so a FIFO at the
# path fails it at once instead of hanging in open().
run "start refuses a FIFO output" 2 'fifo.yml:4: outputs\[0\]\.params\.path: .*: is not a regular file' -- --config "$TMP/fifo.yml" --read "$TMP/nothere.pcap"
printf 'outputs:\n  - type: file\n    params:\n      path: %s/ok.log\n' "$TMP" >"$TMP/file-ok.yml"
run "output file creatable" 0 "configuration is valid" -- --config "$TMP/file-ok.yml" --check-config

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
: >"$TMP/empty.pcap"
run "empty file" 1 "empty.pcap" -- --read "$TMP/empty.pcap"
head -c 4096 /dev/urandom >"$TMP/garbage.pcap"
run "garbage file" 1 "garbage.pcap" -- --read "$TMP/garbage.pcap"
run "missing file" 1 "nothere.pcap" -- --read "$TMP/nothere.pcap"
# A classic pcap header with link type 147 (USER0) and no packets.
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x93\x00\x00\x00' >"$TMP/user0.pcap"
run "unsupported link type" 1 "link type .* is not supported" -- --read "$TMP/user0.pcap"

finish
