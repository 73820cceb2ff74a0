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
# --version says what is built in: eBPF yes/no and every library's version.
for lib in 'eBPF capture \(tc, xdp\): (yes|no)' '^libpcap ' '^OpenSSL ' '^json-c ' '^libyaml '; do
	grep -qE "$lib" "$TMP/out" && ok "version lists /$lib/" || bad "version lists /$lib/" "$(cat "$TMP/out")"
done
run "-V" 0 "" -- -V
grep -q '^ja4sentinel ' "$TMP/out" && ok "-V = --version" || bad "-V = --version" "$(cat "$TMP/out")"
"$BIN" -h | diff -q "$HERE/help.golden" - >/dev/null && ok "-h = --help" || bad "-h = --help"
run "-c missing file" 2 "nope.yml: cannot open" -- -c "$TMP/nope.yml"
run "-m bad mode" 2 "--mode" -- -m turbo --check-config
run "-i without argument" 2 "unknown or incomplete option '-i'" -- -i
run "-r missing file, named once" 1 "\"$TMP/nothere.pcap: No such file" -- -r "$TMP/nothere.pcap"
grep -q "nothere.pcap: $TMP/nothere.pcap" "$TMP/err" && bad "-r: path named twice" "$(cat "$TMP/err")" || ok "-r: path named once"
run "unknown option" 2 "unknown or incomplete option" -- --bogus
run "-r with -i and -m: said to be ignored" 0 "--read takes the packets from .*: -i and -m ignored" -- \
	-r "$SHARED/synthetic/alpn-empty-first.pcap" -i j4snosuchif -m xdp
[ "$(records)" = 1 ] && ok "-r with -i/-m: the file's record" || bad "-r with -i/-m: the file's record" "$(cat "$TMP/out")"
run "missing option argument" 2 "" -- --read
run "stray argument" 2 "unexpected argument" -- stray
run "missing --config file" 2 "nope.yml: cannot open" -- --config "$TMP/nope.yml"
run "-config single dash" 2 "nope.yml: cannot open" -- -config "$TMP/nope.yml"

printf 'core:\n  listen_ports: [443]\n  flow_timout_sec: 5\n' >"$TMP/unknown.yml"
run "unknown key named with line" 2 'unknown.yml:3: core.flow_timout_sec: unknown key' -- --config "$TMP/unknown.yml" --check-config
run "unknown key: did you mean" 2 'did you mean \\"flow_timeout_sec\\"' -- --config "$TMP/unknown.yml" --check-config
printf 'core:\n  interface: eth0\nlisten_ports: [443]\n' >"$TMP/dedent.yml"
run "core key at the top level" 2 'dedent.yml:3: listen_ports: unknown key; core.listen_ports belongs under' -- -c "$TMP/dedent.yml" --check-config
# A production log_level does not silence the check's verdict and warnings.
printf 'core:\n  log_level: error\n  interface: j4snosuchif3\n' >"$TMP/quiet.yml"
run "check-config verdict with log_level error" 0 'configuration is valid' -- -c "$TMP/quiet.yml" --check-config
grep -q 'no interface .*j4snosuchif3' "$TMP/err" && ok "check-config warnings with log_level error" ||
	bad "check-config warnings with log_level error" "$(cat "$TMP/err")"
printf 'core:\n  listen_ports: [443]\n  flow_timeout_sec: 5\n  listen_ports: [8443]\n' >"$TMP/twice.yml"
run "key given twice named with both lines" 2 'twice.yml:4: core.listen_ports: repeated \(first set at line 2\)' -- -c "$TMP/twice.yml" --check-config
printf 'core:\n  flow_timeout_sec: 301\n' >"$TMP/range.yml"
run "out of range named with line" 2 'range.yml:2: core.flow_timeout_sec: 301 is out of range 1..300' -- --config "$TMP/range.yml" --check-config
printf 'core:\n  listen_ports: [443\n' >"$TMP/syntax.yml"
run "yaml syntax error" 2 'syntax.yml:3:1: YAML syntax: .* \(while parsing a flow sequence at line 2, column 17\)' -- --config "$TMP/syntax.yml" --check-config
printf 'core:\n  interface: eth0\n   bad: x\n' >"$TMP/indent.yml"
run "yaml indentation: line and column" 2 'indent.yml:3:7: YAML syntax' -- -config "$TMP/indent.yml" --check-config
printf 'metrics:\n  textfile: /tmp/x.prom\n  period_sec: 0\n' >"$TMP/mperiod.yml"
run "metrics.period_sec range" 2 'mperiod.yml:3: metrics.period_sec: 0 is out of range' -- -c "$TMP/mperiod.yml" --check-config
printf 'metrics:\n  textfile: %s/nodir/j4s.prom\n' "$TMP" >"$TMP/mdir.yml"
run "metrics.textfile directory missing is a warning" 0 'mdir.yml: metrics.textfile: directory .*/nodir does not exist' -- -c "$TMP/mdir.yml" --check-config
printf 'metrics:\n  textfile: x.prom\n' >"$TMP/mrel.yml"
run "metrics.textfile absolute" 2 'mrel.yml:2: metrics.textfile: .*not an absolute path' -- -c "$TMP/mrel.yml" --check-config
printf 'core:\n  listen_ports: [443, 8443]\nfingerprints:\n  raw: true\n' >"$TMP/good.yml"
run "check-config valid" 0 "configuration is valid" -- --config "$TMP/good.yml" --check-config
JA4SENTINEL_FLOW_TIMEOUT=0 run "bad env named" 2 "JA4SENTINEL_FLOW_TIMEOUT" -- --check-config --config "$TMP/good.yml"
run "bad --mode" 2 "--mode" -- --mode turbo --check-config --config "$TMP/good.yml"
run "-i and --interface" 0 "configuration is valid" -- -i lo --interface lo --check-config -c "$TMP/good.yml"
JA4SENTINEL_INTERFACE=eth9 run "-i over the environment" 0 '"interface":"lo"' -- -i lo --check-config -c "$TMP/good.yml"
JA4SENTINEL_INTERFACE=eth9 run "environment interface without -i" 0 '"interface":"eth9"' -- --check-config -c "$TMP/good.yml"
run "-i empty" 2 '-i \\"\\"' -- -i "" --check-config -c "$TMP/good.yml"
printf 'outputs:\n  - type: file\n    params:\n      path: %s/no/such/dir/out.json\n' "$TMP" >"$TMP/badout.yml"
# An empty Ethernet capture: the read gets as far as opening the outputs.
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00' >"$TMP/eth0pkts.pcap"
run "file output error names the path" 1 "badout.yml:4: outputs\\[0\\]\\.params\\.path: $TMP/no/such/dir/out.json: its directory does not exist" -- -c "$TMP/badout.yml" -r "$TMP/eth0pkts.pcap"

# Log lines by where stderr goes. The journal: JOURNAL_STREAM names fd 2's
# device:inode (systemd sets it), every line gets its syslog priority.
: >"$TMP/journal"
js=$(stat -L -c '%d:%i' "$TMP/journal")
JOURNAL_STREAM=$js "$BIN" -c "$TMP/good.yml" --check-config 2>>"$TMP/journal" >/dev/null || true
JOURNAL_STREAM=$js "$BIN" -c "$TMP/nope.yml" 2>>"$TMP/journal" >/dev/null || true
JOURNAL_STREAM=$js "$BIN" -c "$TMP/good.yml" -r "$TMP/nothere.pcap" 2>>"$TMP/journal" >/dev/null || true
grep -q '^<6>{"timestamp":[0-9]*,"level":"INFO".*configuration is valid' "$TMP/journal" && ok "journal: INFO is <6>" || bad "journal: INFO is <6>" "$(cat "$TMP/journal")"
[ "$(grep -c '^<3>{.*"level":"ERROR"' "$TMP/journal")" = 2 ] && ok "journal: ERROR is <3>" || bad "journal: ERROR is <3>" "$(cat "$TMP/journal")"
grep -qv '^<[0-9]>{' "$TMP/journal" && bad "journal: a line without priority" "$(cat "$TMP/journal")" || ok "journal: every line has a priority"
# JOURNAL_STREAM of another file (inherited by a child whose stderr moved): plain JSON.
JOURNAL_STREAM=1:1 "$BIN" -c "$TMP/good.yml" --check-config 2>"$TMP/notjournal" >/dev/null || true
grep -q '^{"timestamp"' "$TMP/notjournal" && ok "not the journal: JSON lines" || bad "not the journal: JSON lines" "$(cat "$TMP/notjournal")"
# A terminal (script(1) gives a pty): time, level, component, message, key=value.
if command -v script >/dev/null; then
	script -qec "$BIN -c $TMP/good.yml --check-config; $BIN -c $TMP/nope.yml" /dev/null >"$TMP/tty" 2>&1 || true
	grep -qE '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} INFO  config: configuration is valid: ' "$TMP/tty" && ok "terminal: human line" || bad "terminal: human line" "$(cat "$TMP/tty")"
	grep -qE '^[0-9:.]+ ERROR config: .*nope.yml: cannot open' "$TMP/tty" && ok "terminal: error line" || bad "terminal: error line" "$(cat "$TMP/tty")"
	grep -q '"timestamp"' "$TMP/tty" && bad "terminal: no JSON" "$(cat "$TMP/tty")" || ok "terminal: no JSON"
else
	for c in "terminal: human line" "terminal: error line" "terminal: no JSON"; do skip "$c" "script (util-linux) not installed"; done
fi
printf 'core:\n  listen_ports: [443]\n  bpf_filter: "tcp prot 443"\n' >"$TMP/bpf.yml"
run "invalid bpf_filter named with line" 2 'bpf.yml:3: core.bpf_filter: not a valid pcap filter' -- --config "$TMP/bpf.yml" --check-config
JA4SENTINEL_BPF_FILTER="tcp port" run "invalid JA4SENTINEL_BPF_FILTER" 2 "JA4SENTINEL_BPF_FILTER" -- --check-config --config "$TMP/good.yml"

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
run "invalid bpf_filter" 2 'filter.yml:3: core.bpf_filter: not a valid pcap filter: unknown port .bogus.' -- --config "$TMP/filter.yml" --check-config
JA4SENTINEL_BPF_FILTER="tcp prot 443" run "invalid bpf_filter from env" 2 'environment JA4SENTINEL_BPF_FILTER=.*tcp prot 443.*: not a valid pcap filter' -- --config "$TMP/good.yml" --check-config
# A link-layer filter in an explicit eBPF mode can never start: a
# configuration error (exit 2, no restart loop), also for --check-config;
# auto runs it in pcap mode; --read runs it on the file's frames.
printf 'core:\n  capture_mode: tc\n  bpf_filter: "vlan and tcp port 443"\n' >"$TMP/l2tc.yml"
# (A BPF=0 build refuses tc and xdp themselves first.)
run "link-layer filter in tc: check" 2 'l2tc.yml:3: core.bpf_filter .*vlan and tcp port 443.* capture_mode tc cannot run it|l2tc.yml: .*no eBPF support' -- -c "$TMP/l2tc.yml" --check-config
JA4SENTINEL_BPF_FILTER="ether host 1:2:3:4:5:6" run "link-layer filter in xdp from the environment" 2 'environment JA4SENTINEL_BPF_FILTER: core.bpf_filter .* capture_mode xdp cannot|capture_mode xdp .*no eBPF support' -- -m xdp --check-config
run "link-layer filter in auto" 0 "configuration is valid" -- -c "$TMP/l2tc.yml" -m auto --check-config
# tc or xdp asked of a BPF=0 build (el8): a configuration error, not a
# start that fails every 5 s under the unit.
if "$BIN" --version | grep -q 'eBPF capture (tc, xdp): no'; then
	run "tc in a BPF=0 build" 2 'capture_mode tc .*this build has no eBPF support' -- -m tc --check-config
else
	run "tc in a build with eBPF" 0 "configuration is valid" -- -m tc --check-config
fi
printf 'core:\n  bpf_filter: "tcp port 443"\n' >"$TMP/filter-ok.yml"
run "valid bpf_filter" 0 "configuration is valid" -- --config "$TMP/filter-ok.yml" --check-config
printf 'core:\n  interface: abcdefghijklmnop\n' >"$TMP/ifname.yml"
run "interface name over 15 bytes" 2 'ifname.yml:2: core.interface: .*abcdefghijklmnop.* is longer than 15 bytes' -- --config "$TMP/ifname.yml" --check-config
printf 'core:\n  interface: j4snosuchif0\n' >"$TMP/noif.yml"
run "missing interface is a warning" 0 'noif.yml:2: core.interface: no interface .*j4snosuchif0.* on this host now' -- --config "$TMP/noif.yml" --check-config
run "missing interface from -i named as -i" 0 '"-i: no interface .*j4snosuchif1' -- --config "$TMP/noif.yml" -i j4snosuchif1 --check-config
JA4SENTINEL_INTERFACE=j4snosuchif2 run "missing interface from the environment named so" 0 'environment JA4SENTINEL_INTERFACE: core.interface: no interface .*j4snosuchif2' -- --config "$TMP/noif.yml" --check-config
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
# path fails it at once instead of hanging in open(); a runtime failure
# there (exit 1: the unit restarts), a configuration error for the check.
run "start refuses a FIFO output" 1 'fifo.yml:4: outputs\[0\]\.params\.path: .*: is not a regular file' -- --config "$TMP/fifo.yml" --read "$TMP/nothere.pcap"
printf 'outputs:\n  - type: file\n    params:\n      path: %s/ok.log\n' "$TMP" >"$TMP/file-ok.yml"
run "output file creatable" 0 "configuration is valid" -- --config "$TMP/file-ok.yml" --check-config

CAP=$SHARED/foxio/badcurveball.pcap
# The checks on a real capture, by name: without the capture each one is
# counted as skipped; with it, a check added below but not here fails.
CAP_CHECKS=("read ok" "read gives one record" "records are JSON" "env ports filter out"
	"no record off the listen ports" "env ports + sensor" "sensor_id from env" "read from stdin"
	"excluded source read" "excluded source gives no record" "local ip read"
	"local_ips keeps the server's hello" "other local ip read" "local_ips drops other servers"
	"truncated capture" "truncated capture: no record"
	"pipe: first record before the writer ends" "pipe: every record" "terminal: read progress"
	"terminal: progress erased at the end" "records on the terminal: no progress"
	"no terminal: no progress"
	"bpf_filter keeps read" "bpf_filter keeps the hello" "bpf_filter drops read"
	"bpf_filter drops the hello")
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
	# core.bpf_filter on a file: run on every frame, drops counted.
	printf 'core:\n  listen_ports: [443]\n  bpf_filter: "host 54.226.182.138"\n' >"$TMP/bpfk.yml"
	run "bpf_filter keeps read" 0 "bpf_filter: applied in userspace to every frame" -- --config "$TMP/bpfk.yml" --read "$CAP"
	[ "$(records)" = 1 ] && ok "bpf_filter keeps the hello" || bad "bpf_filter keeps the hello" "$(cat "$TMP/out")"
	printf 'core:\n  listen_ports: [443]\n  bpf_filter: "not host 54.226.182.138"\n' >"$TMP/bpfd.yml"
	run "bpf_filter drops read" 0 '"bpf_filter_dropped":[1-9]' -- --config "$TMP/bpfd.yml" --read "$CAP"
	[ "$(records)" = 0 ] && ok "bpf_filter drops the hello" || bad "bpf_filter drops the hello" "$(cat "$TMP/out")"
	head -c 200 "$CAP" >"$TMP/cut.pcap"
	run "truncated capture" 1 "reading capture" -- --read "$TMP/cut.pcap"
	[ "$(records)" = 0 ] && ok "truncated capture: no record" || bad "truncated capture: no record"
	# From a pipe, records go out as they are found: the writer sends the
	# capture (one hello) at once, then three more copies a second apart;
	# the first record must be on stdout before the writer is done.
	rm -f "$TMP/writer-done"
	first=$(python3 "$HERE/slow_pcap.py" "$CAP" 4 1 "$TMP/writer-done" | "$BIN" -r - 2>/dev/null |
		{ n=0; while read -r _; do
			[ $n = 0 ] && { [ -e "$TMP/writer-done" ] && echo late || echo early; }
			n=$((n + 1))
		done; echo "records=$n"; })
	case $first in early*) ok "pipe: first record before the writer ends" ;; *) bad "pipe: first record before the writer ends" "$first" ;; esac
	case $first in *records=1) ok "pipe: every record" ;; *) bad "pipe: every record" "$first" ;; esac
	# On a terminal (a pty from script(1)), a progress line on stderr,
	# redrawn in place and erased before the final stats.
	if command -v script >/dev/null; then
		script -qec "python3 $HERE/slow_pcap.py $CAP 5 0.3 | $BIN -r - >/dev/null" /dev/null >"$TMP/progress" 2>&1 || true
		grep -aqE $'\r\033\\[Kreading: [0-9.]+ [KM]?B, [0-9]+ packets, 1 hellos, [0-9.]+ [KM]?B/s' "$TMP/progress" &&
			ok "terminal: read progress" || bad "terminal: read progress" "$(od -c "$TMP/progress" | head -20)"
		grep -aqE $'\r\033\\[K[0-9:.]+ INFO  stats: final stats' "$TMP/progress" &&
			ok "terminal: progress erased at the end" || bad "terminal: progress erased at the end" "$(od -c "$TMP/progress" | tail -20)"
		# Records on the terminal too: they would land inside the progress line.
		script -qec "python3 $HERE/slow_pcap.py $CAP 3 0.3 | $BIN -r -" /dev/null >"$TMP/progress2" 2>&1 || true
		grep -aq 'reading:' "$TMP/progress2" && bad "records on the terminal: no progress" "$(cat "$TMP/progress2")" || ok "records on the terminal: no progress"
	else
		skip "terminal: read progress" "script (util-linux) not installed"
		skip "terminal: progress erased at the end" "script (util-linux) not installed"
		skip "records on the terminal: no progress" "script (util-linux) not installed"
	fi
	python3 "$HERE/slow_pcap.py" "$CAP" 3 0.3 | "$BIN" -r - >/dev/null 2>"$TMP/noprogress"
	grep -q 'reading:' "$TMP/noprogress" && bad "no terminal: no progress" "$(cat "$TMP/noprogress")" || ok "no terminal: no progress"
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
