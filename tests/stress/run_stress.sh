#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Attack and overload tests (root): two namespaces joined by a veth,
# traffic only between them (198.18.0.0/15), every load bounded in count
# and time. For each capture mode:
#   - a spoofed SYN flood (tests/stress/synflood.c) while real TLS clients
#     connect: every real hello is delivered, the daemon's peak RSS stays
#     under RSS_BOUND_MB, evictions are counted;
#   - PARTIAL (100,000) connections that send a SYN and part of a hello and
#     stop: flows time out (flow_timeout_sec 2), are counted, and memory
#     returns to its baseline;
#   - GARBAGE (50,000) connections whose first segment is random bytes
#     (half starting like a TLS record) while real clients connect: no
#     crash, every real hello delivered, none of the garbage fingerprinted,
#     every garbage flow ended and counted;
#   - DRIBBLE (2000) hellos sent in pieces (synflood.c dribble): a byte a
#     segment in order, or 16-byte segments out of order, all delivered
#     with the right fingerprints; a quarter abusive (a byte a segment,
#     backwards), held at the segment cap (the holes opened past it
#     ignored, counted in segment_limit) and never fingerprinted;
#   - soak (in SOAK_MODES, default tc): SOAK_SECONDS (180) of mixed traffic
#     (bursts of SYNs, partial hellos and hellos in pieces, real clients
#     all along) with RSS and fd count sampled every 5 s: no growth, every
#     real hello delivered;
#   - a 1 MiB ring buffer (eBPF modes) filled by a flood while userspace is
#     stopped: ringbuf_full is counted, and hellos are delivered again once
#     it drains; the loss is logged as a warning;
#   - hostile (issue 12, design.md §13): HOSTILE_SECONDS (30) of a blind
#     spoofer's most expensive hellos (synflood hostile: a new source in
#     198.19.0.0/16 each pass, SYN then a 16 KiB hello with 8,100 cipher
#     suites in 1448-byte segments, a guessed ACK), from HOSTILE_FLOODERS
#     (1) generators, while real TLS clients (python over IPv4 and IPv6,
#     curl over both, openssl s_client, gnutls-cli, node) connect all
#     along, with NOTIFY_SOCKET and WATCHDOG_USEC=2000000 set and the
#     unvalidated-hello limit at HOSTILE_RATE/HOSTILE_BURST (100/200: each
#     spoofed record is 47 KB): no gap of the interval (2 s) or more between
#     READY=1, the WATCHDOG=1 pings and the SIGTERM; SIGTERM mid-flood exits
#     0 within 2 s with the final stats line; nothing left attached; at
#     least 95% of the real clients' hellos delivered and flagged
#     handshake_validated; no spoofed hello flagged validated; the spoofed
#     records held to the limit; peak RSS under RSS_BOUND_MB.
# The other scenarios test the flow table and reassembly with spoofed
# traffic, so they run with the unvalidated-hello limit off
# (unvalidated_rate: 0, what an operator with asymmetric routing may set).
#   tests/stress/run_stress.sh [BINARY] [MODE...]
# NS_PREFIX (j4s-st) names the namespaces (PREFIX-s-PID, PREFIX-c-PID) and
# VETH (st) the veth ends inside them (VETH0, VETH1), so that two runs on
# one host do not meet.
set -eu

cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-build/ja4sentinel}")
shift || true
MODES=("$@")
[ ${#MODES[@]} -gt 0 ] || MODES=(tc)
FLOOD_COUNT=${FLOOD_COUNT:-2000000}
FLOOD_SECONDS=${FLOOD_SECONDS:-8}
PARTIAL=${PARTIAL:-100000}
GARBAGE=${GARBAGE:-50000}
DRIBBLE=${DRIBBLE:-2000}
STRESS_TESTS=${STRESS_TESTS:-flood partial garbage dribble ring soak hostile} # which of them run
SOAK_SECONDS=${SOAK_SECONDS:-180}
SOAK_MODES=${SOAK_MODES:-tc} # the soak is long: these modes only
RSS_BOUND_MB=${RSS_BOUND_MB:-160}
HOSTILE_SECONDS=${HOSTILE_SECONDS:-30}     # flood and clients before the SIGTERM
HOSTILE_FLOOD=${HOSTILE_FLOOD:-hostile}    # hostile | hello (1300-byte hellos) | syn
HOSTILE_FLOODERS=${HOSTILE_FLOODERS:-1}    # generators at once
HOSTILE_RATE=${HOSTILE_RATE:-100}          # core.unvalidated_rate of the scenario
HOSTILE_BURST=${HOSTILE_BURST:-200}        # core.unvalidated_burst
HOSTILE_MODES=${HOSTILE_MODES:-tc xdp pcap} # modes the hostile scenario runs in
NS_PREFIX=${NS_PREFIX:-j4s-st}
VETH=${VETH:-st}
S=$NS_PREFIX-s-$$
C=$NS_PREFIX-c-$$
V0=${VETH}0
V1=${VETH}1
TMP=$(mktemp -d)
. tests/lib.sh

cleanup() {
	del_netns "$S" "$C"
	if [ -n "${KEEP_TMP:-}" ]; then echo "# kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
want() { [[ " $STRESS_TESTS " == *" $1 "* ]]; }

if [ "$(id -u)" != 0 ]; then
	skip stress "needs root"
	finish
fi
cc -O2 -Wall -o "$TMP/synflood" tests/stress/synflood.c
python3 tests/stress/dribble_hello.py "$TMP/dribble.bin" >"$TMP/dribble.json"
python3 -c 'import sys; sys.path.insert(0, "tests/stress"); import dribble_hello as d; open(sys.argv[1], "wb").write(d.hello(1300))' "$TMP/big.bin"

ip netns add "$S"
ip netns add "$C"
ip link add "$V0" netns "$S" type veth peer name "$V1" netns "$C"
ip -n "$S" addr add 198.18.0.1/24 dev "$V0"
ip -n "$C" addr add 198.18.0.2/24 dev "$V1"
ip -n "$S" addr add fd00:18::1/64 dev "$V0" nodad
ip -n "$C" addr add fd00:18::2/64 dev "$V1" nodad
ip -n "$S" link set "$V0" up
ip -n "$C" link set "$V1" up
ip netns exec "$S" sh -c 'mount -t bpf bpf /sys/fs/bpf 2>/dev/null || true'
MAC=$(ip -n "$S" -br link show "$V0" | awk '{print $3}')
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/k.pem" -out "$TMP/c.pem" -days 1 \
	-subj /CN=stress >/dev/null 2>&1
# The TLS server the clients talk to: tests/tls_server.py, not openssl
# s_server, which serves one connection at a time, so one client whose end
# never reaches it (an RST lost to a flood, a client gone silent) holds it
# for the rest of the run and every later client on that address fails,
# unseen by the scenarios that only count records. That fits the one CI
# failure of the pcap hostile scenario, 2 real clients: one round of the 7
# kinds in which only the IPv6 python and curl clients finish and the IPv4
# ones time out (4 + 6 + 3 x 8 s), which a client left idle after its
# handshake before the scenario reproduces exactly.
for a in 198.18.0.1 fd00:18::1; do
	ip netns exec "$S" python3 tests/tls_server.py "$TMP/c.pem" "$TMP/k.pem" 443 --host "$a" \
		>/dev/null 2>&1 &
done
for _ in $(seq 50); do
	[ "$(ip netns exec "$S" ss -Htln 'sport = :443' | wc -l)" = 2 ] && break
	sleep 0.1
done

cat >"$TMP/clients.py" <<'EOF'
import socket, ssl, sys, time
n, gap = int(sys.argv[1]), float(sys.argv[2])
end = time.time() + (float(sys.argv[3]) if len(sys.argv) > 3 else 3600)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ports = []
for i in range(n):
    if time.time() > end:
        break
    try:
        s = socket.create_connection(("198.18.0.1", 443), timeout=3)
        ports.append(s.getsockname()[1])
        with ctx.wrap_socket(s, server_hostname=f"c{i}.example"):
            pass
    except OSError:
        pass
    time.sleep(gap)
print(" ".join(map(str, ports)))
EOF

# Real TLS clients of every kind in turn, IPv4 and IPv6, until the deadline;
# prints the SNIs of those whose handshake completed (their hello reached
# the server) and of those that did not.
cat >"$TMP/mixed.py" <<'EOF'
import json, shutil, socket, ssl, subprocess, sys, time
end, gap = time.time() + float(sys.argv[1]), float(sys.argv[2])
V4, V6 = "198.18.0.1", "fd00:18::1"
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
NODE = ("const t=require('tls');const s=t.connect({host:process.argv[1],port:443,"
        "servername:process.argv[2],rejectUnauthorized:false},()=>{s.end();process.exit(0)});"
        "s.on('error',e=>{console.error(e.code||e.message);process.exit(1)})")

def py(host, name):
    with socket.create_connection((host, 443), timeout=4) as s:
        with ctx.wrap_socket(s, server_hostname=name):
            return None

def run(*argv):
    """None once the handshake is done, else why not: the exit status and
    the last line the client wrote on stderr."""
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=8)
    if p.returncode == 0:
        return None
    lines = p.stderr.decode(errors="replace").strip().splitlines()
    return "exit %d: %s" % (p.returncode, lines[-1][:80] if lines else "")

kinds = {"py4": lambda n: py(V4, n), "py6": lambda n: py(V6, n)}
if shutil.which("curl"):
    for k, a in (("curl4", V4), ("curl6", "[%s]" % V6)):
        kinds[k] = lambda n, a=a: run("curl", "-sSk", "--max-time", "6", "-o", "/dev/null",
                                      "--resolve", "%s:443:%s" % (n, a), "https://%s/" % n)
if shutil.which("openssl"):
    kinds["openssl"] = lambda n: run("openssl", "s_client", "-connect", V4 + ":443",
                                     "-servername", n, "-brief")
if shutil.which("gnutls-cli"):
    kinds["gnutls"] = lambda n: run("gnutls-cli", "--insecure", "--sni-hostname", n,
                                    "-p", "443", V4)
if shutil.which("node"):
    kinds["node"] = lambda n: run("node", "-e", NODE, V4, n)
# Failures keep their reason (the client's own error and how long it
# took): a CI log then says whether connections or handshakes failed.
done, failed, why, i = [], [], {}, 0
while time.time() < end:
    for k, f in kinds.items():
        name = "%s-%d.example" % (k, i)
        t = time.time()
        try:
            err = f(name)
        except Exception as e:
            err = "%s: %s" % (type(e).__name__, str(e)[:80])
        if err is None:
            done.append(name)
        else:
            failed.append(name)
            why[name] = "%s (%.1f s)" % (err, time.time() - t)
        time.sleep(gap)
    i += 1
print(json.dumps({"ok": done, "failed": failed, "why": why}))
EOF

cat >"$TMP/partial.py" <<'EOF'
import socket, sys, time
# SYN + half a hello, then nothing: the connection stays open until the end.
n, end = int(sys.argv[1]), time.time() + float(sys.argv[2])
half = bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]) + bytes(100)
socks = []
for i in range(n):
    if time.time() > end:
        break
    try:
        s = socket.create_connection(("198.18.0.1", 443), timeout=2)
        s.sendall(half)
        socks.append(s)
    except OSError:
        time.sleep(0.01)
print(len(socks))
sys.stdout.flush()
time.sleep(max(0.0, end - time.time()))
EOF

start_daemon() { # $1 mode, $2 packet_buffer_size, $3 name[, $4 flow_timeout_sec (2)]
	cat >"$TMP/$3.yml" <<EOF
core:
  interface: $V0
  listen_ports: [443]
  flow_timeout_sec: ${4:-2}
  packet_buffer_size: $2
  unvalidated_rate: 0
outputs:
  - type: file
    params:
      path: $TMP/$3.jsonl
EOF
	: >"$TMP/$3.jsonl"
	ip netns exec "$S" "$BIN" --config "$TMP/$3.yml" --mode "$1" 2>"$TMP/$3.err" &
	DPID=$!
	for _ in $(seq 50); do grep -q 'capture started' "$TMP/$3.err" && break; sleep 0.1; done
}

stop_daemon() {
	kill -TERM "$DPID"
	wait "$DPID" || true
}

hwm_mb() { awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$1/status"; }
rss_mb() { awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$1/status"; }

# delivered NAME PORTS: "got wanted": how many of the real clients' source
# ports (198.18.0.2) have a record in NAME.jsonl.
delivered() {
	python3 -c 'import json,sys; p={r["src_port"] for r in map(json.loads, open(sys.argv[1])) if r["src_ip"]=="198.18.0.2"}; w=set(map(int,sys.argv[2].split())); print(len(w & p), len(w))' "$TMP/$1.jsonl" "$2"
}

stat_of() { # $1 name, $2 python expression on the final stats object d
	grep '"final stats"' "$TMP/$1.err" | python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"
}

for mode in "${MODES[@]}"; do
	# ---- SYN flood with real clients ----
	if want flood; then
		name=$mode-flood
		start_daemon "$mode" 1000 "$name"
		ip netns exec "$C" "$TMP/synflood" "$V1" "$MAC" 198.18.0.1 443 "$FLOOD_COUNT" "$FLOOD_SECONDS" \
			>"$TMP/$name.flood" &
		fpid=$!
		sleep 1
		ports=$(ip netns exec "$C" python3 "$TMP/clients.py" 40 0.1)
		wait "$fpid" || true
		rss=$(hwm_mb "$DPID")
		sleep 0.5
		stop_daemon
		read -r sent secs pps <"$TMP/$name.flood"
		got=$(delivered "$name" "$ports")
		echo "    $mode: flood $sent SYNs in ${secs}s ($pps/s), peak RSS ${rss} MB, real hellos delivered: $got"
		echo "    flows: $(stat_of "$name" 'd["flows"]["created"], "created,", d["flows"]["evicted_waiting"], "evicted waiting,", d["flows"]["timeouts"], "timeouts"')"
		[ "$mode" = pcap ] || echo "    kernel: $(stat_of "$name" 'd["kernel"]["syn_events"], "syn events,", d["kernel"]["ringbuf_full"], "ringbuf_full"')"
		set -- $got
		[ "$1" = "$2" ] && [ "$2" -gt 0 ] && ok "$mode: every real hello delivered during a SYN flood ($1/$2)" ||
			bad "$mode: real hellos lost during the SYN flood ($1/$2)"
		[ "$rss" -le "$RSS_BOUND_MB" ] && ok "$mode: peak RSS ${rss} MB <= $RSS_BOUND_MB MB under the flood" ||
			bad "$mode: peak RSS ${rss} MB above $RSS_BOUND_MB MB"
	fi

	# ---- partial hellos that never finish ----
	if want partial; then
		name=$mode-partial
		start_daemon "$mode" 1000 "$name"
		sleep 0.5
		base=$(rss_mb "$DPID")
		ip netns exec "$C" "$TMP/synflood" "$V1" "$MAC" 198.18.0.1 443 "$((PARTIAL * 2))" 20 partial \
			>"$TMP/$name.flood"
		read -r frames secs _ <"$TMP/$name.flood"
		peak=$(hwm_mb "$DPID")
		sleep 4 # > flow_timeout_sec: every waiting flow expires
		after=$(rss_mb "$DPID")
		stop_daemon
		opened=$((frames / 2))
		to=$(stat_of "$name" 'd["flows"]["timeouts"] + d["flows"]["evicted_waiting"]')
		active=$(stat_of "$name" 'd["flows"]["active"]')
		echo "    $mode: $opened partial hellos in ${secs}s, RSS ${base} MB -> peak ${peak} MB -> ${after} MB after the timeouts, timed out/evicted $to, active at end $active"
		[ "$to" -ge "$((opened * 9 / 10))" ] && ok "$mode: partial hellos time out and are counted ($to of $opened)" ||
			bad "$mode: partial hellos not timed out ($to of $opened)"
		# Once every flow has expired, reassembly buffers (malloc_trim) and
		# the flow pool's pages (madvise) go back: the baseline, give or take.
		[ "$after" -le "$((base + 4))" ] && ok "$mode: memory back to its baseline after the timeouts (${base} -> peak ${peak} -> ${after} MB)" ||
			bad "$mode: memory not back after the timeouts (${base} -> ${after} MB)"
	fi

	# ---- garbage on the TLS port ----
	if want garbage; then
		name=$mode-garbage
		start_daemon "$mode" 1000 "$name"
		ip netns exec "$C" "$TMP/synflood" "$V1" "$MAC" 198.18.0.1 443 "$((GARBAGE * 2))" 20 garbage \
			>"$TMP/$name.flood" &
		fpid=$!
		ports=$(ip netns exec "$C" python3 "$TMP/clients.py" 20 0.05)
		wait "$fpid" || true
		sleep 3 # > flow_timeout_sec
		kill -TERM "$DPID"
		rc=0
		wait "$DPID" || rc=$?
		read -r frames secs pps <"$TMP/$name.flood"
		read -r got want <<<"$(delivered "$name" "$ports")"
		spoofed=$(grep -c '"src_ip":"198\.19\.' "$TMP/$name.jsonl" || true) # 198.19.0.0/16
		ended=$(stat_of "$name" 'sum(d["flows"][k] for k in ("not_tls", "not_client_hello", "bad_framing", "too_big", "timeouts", "evicted_waiting"))')
		echo "    $mode: $((frames / 2)) connections of random bytes in ${secs}s: daemon exit $rc; real hellos $got/$want; records from the garbage $spoofed; flows ended as not TLS, not a hello, bad framing, timed out: $ended"
		echo "    flows: $(stat_of "$name" '" ".join("%s %d" % (k, d["flows"][k]) for k in ("not_tls", "not_client_hello", "bad_framing", "too_big", "timeouts"))')"
		[ "$rc" = 0 ] && [ "$got" = "$want" ] && [ "$want" -gt 0 ] &&
			ok "$mode: garbage on the port: no crash, every real hello delivered ($got/$want)" ||
			bad "$mode: garbage on the port: exit $rc, real hellos $got/$want"
		[ "$spoofed" = 0 ] && [ "$ended" -ge "$((frames / 2 * 9 / 10))" ] &&
			ok "$mode: garbage flows end counted, none fingerprinted ($ended of $((frames / 2)))" ||
			bad "$mode: garbage flows: $spoofed fingerprinted, $ended of $((frames / 2)) counted"
	fi

	# ---- hellos in pieces: a byte a segment, out of order, abusive ----
	if want dribble; then
		name=$mode-dribble
		# Each of the 256 hellos in flight gets 1/256 of the rate: the
		# default timeout, not the 2 s of the other tests.
		start_daemon "$mode" 1000 "$name" 30
		ip netns exec "$C" "$TMP/synflood" "$V1" "$MAC" 198.18.0.1 443 "$DRIBBLE" 60 dribble \
			"$TMP/dribble.bin" >"$TMP/$name.flood"
		read -r frames secs pps <"$TMP/$name.flood"
		sleep 1
		rss=$(hwm_mb "$DPID")
		stop_daemon
		# Records by connection number (source port 20000 + i): i % 4 == 3 is abusive.
		read -r good wrong abusive <<<"$(python3 - "$TMP/$name.jsonl" "$TMP/dribble.json" "$DRIBBLE" <<-'PY'
	import json, sys
	want = json.load(open(sys.argv[2]))
	n = int(sys.argv[3])
	good = wrong = abusive = 0
	seen = set()
	for line in open(sys.argv[1]):
	    r = json.loads(line)
	    i = r["src_port"] - 20000
	    if not r["src_ip"].startswith("198.19.") or not 0 <= i < n or i in seen:
	        continue
	    seen.add(i)
	    if i % 4 == 3:
	        abusive += 1
	    elif (r.get("ja4"), r.get("ja3"), r.get("ja3_hash"), r.get("tls_sni")) == \
	            (want["ja4"], want["ja3_full"], want["ja3"], want["sni"]):
	        good += 1
	    else:
	        wrong += 1
	print(good, wrong, abusive)
	PY
	)"
		legit=$((DRIBBLE - DRIBBLE / 4))
		ulimit_seg=$(stat_of "$name" 'd["flows"]["segment_limit"]')
		kcap=$([ "$mode" = pcap ] && echo - || stat_of "$name" 'd["kernel"]["segment_cap"]')
		kfull=$([ "$mode" = pcap ] && echo - || stat_of "$name" 'd["kernel"]["ringbuf_full"]')
		echo "    $mode: $DRIBBLE hellos in pieces, $frames frames in ${secs}s ($pps/s): $good/$legit legitimate ones fingerprinted right, $wrong wrong, $abusive abusive ones fingerprinted; segment_limit $ulimit_seg, kernel segment_cap $kcap, ringbuf_full $kfull, peak RSS ${rss} MB"
		[ "$good" = "$legit" ] && [ "$wrong" = 0 ] &&
			ok "$mode: hellos a byte a segment and out of order all delivered ($good/$legit)" ||
			bad "$mode: hellos in pieces lost or wrong ($good/$legit, $wrong wrong)"
		# Past the cap the holes an abusive flow keeps opening are
		# ignored, counted (each flow opens hundreds), and the flow is
		# never ended for them (docs/reliability.md): its hello, never
		# whole, is not fingerprinted.
		[ "$abusive" = 0 ] && [ "$ulimit_seg" -ge "$((DRIBBLE / 4))" ] &&
			ok "$mode: the segment cap holds every abusive flow, counted (segment_limit $ulimit_seg, kernel segment_cap $kcap)" ||
			bad "$mode: segment cap: $abusive abusive hellos fingerprinted, segment_limit $ulimit_seg (want >= $((DRIBBLE / 4))), kernel segment_cap $kcap"
		[ "$rss" -le "$RSS_BOUND_MB" ] && ok "$mode: peak RSS ${rss} MB <= $RSS_BOUND_MB MB with hellos in pieces" ||
			bad "$mode: peak RSS ${rss} MB above $RSS_BOUND_MB MB with hellos in pieces"
	fi

	# ---- ring buffer saturation (eBPF) ----
	if want ring && [ "$mode" != pcap ]; then
		name=$mode-ring
		start_daemon "$mode" 1 "$name" # 1 MiB ring
		# Userspace stalls (stopped) while the flood fills the ring, then resumes.
		kill -STOP "$DPID"
		ip netns exec "$C" "$TMP/synflood" "$V1" "$MAC" 198.18.0.1 443 200000 3 >/dev/null
		kill -CONT "$DPID"
		sleep 1
		ports=$(ip netns exec "$C" python3 "$TMP/clients.py" 10 0.05)
		sleep 0.5
		stop_daemon
		full=$(stat_of "$name" 'd["kernel"]["ringbuf_full"]')
		read -r got _ <<<"$(delivered "$name" "$ports")"
		echo "    $mode: 1 MiB ring under the flood: ringbuf_full $full; after it, $got of 10 hellos delivered"
		[ "$full" -gt 0 ] && ok "$mode: a full ring is counted (ringbuf_full $full)" ||
			bad "$mode: the ring never filled while userspace was stopped"
		grep -q 'lost in the kernel before ja4sentinel read them (ring buffer full)' "$TMP/$name.err" &&
			ok "$mode: the loss is logged as a warning" || bad "$mode: no warning logged for the full ring"
		[ "$got" = 10 ] && ok "$mode: every hello delivered once the ring drains" ||
			bad "$mode: hellos lost after the ring saturated ($got/10)"
	fi
	# ---- a long run of mixed traffic: no growth ----
	if want soak && [[ " $SOAK_MODES " == *" $mode "* ]]; then
		name=$mode-soak
		start_daemon "$mode" 1000 "$name"
		pid=$DPID
		# Every few seconds: a burst of spoofed SYNs, of partial hellos and of
		# hellos in pieces; real clients all along. Bounded by SOAK_SECONDS.
		(
			end=$((SECONDS + SOAK_SECONDS))
			while [ $SECONDS -lt $end ]; do
				ip netns exec "$C" "$TMP/synflood" "$V1" "$MAC" 198.18.0.1 443 30000 2 >/dev/null
				ip netns exec "$C" "$TMP/synflood" "$V1" "$MAC" 198.18.0.1 443 10000 2 partial >/dev/null
				ip netns exec "$C" "$TMP/synflood" "$V1" "$MAC" 198.18.0.1 443 200 5 dribble \
					"$TMP/dribble.bin" 40000 >/dev/null
				sleep 2
			done
		) &
		mix=$!
		ip netns exec "$C" python3 "$TMP/clients.py" 100000 0.05 "$SOAK_SECONDS" >"$TMP/$name.ports" &
		cli=$!
		: >"$TMP/$name.samples"
		t0=$SECONDS
		while [ $((SECONDS - t0)) -lt "$SOAK_SECONDS" ]; do
			sleep 5
			echo "$((SECONDS - t0)) $(awk '/VmRSS/ {print $2}' "/proc/$pid/status") $(ls "/proc/$pid/fd" | wc -l)" \
				>>"$TMP/$name.samples"
		done
		wait "$cli" || true
		wait "$mix" || true
		sleep 3 # the last flows time out
		echo "end $(awk '/VmRSS/ {print $2}' "/proc/$pid/status") $(ls "/proc/$pid/fd" | wc -l)" >>"$TMP/$name.samples"
		stop_daemon
		ports=$(cat "$TMP/$name.ports")
		got=$(delivered "$name" "$ports")
		# RSS (KiB) and fds: the first third of the samples against the last.
		read -r first last fdmin fdmax <<<"$(python3 - "$TMP/$name.samples" <<-'PY'
		import sys
		rows = [l.split() for l in open(sys.argv[1])]
		rss = [int(r[1]) for r in rows if r[0] != "end"]
		fds = [int(r[2]) for r in rows]
		k = max(1, len(rss) // 3)
		print(max(rss[:k]) // 1024, max(rss[-k:]) // 1024, min(fds), max(fds))
		PY
		)"
		echo "    $mode: ${SOAK_SECONDS}s of mixed traffic ($(wc -l <"$TMP/$name.samples") samples): RSS first third ${first} MB, last third ${last} MB, at the end $(awk '/^end/ {print int($2 / 1024)}' "$TMP/$name.samples") MB; fds ${fdmin}-${fdmax}; real hellos delivered: $got"
		echo "    flows: $(stat_of "$name" 'd["flows"]["created"], "created,", d["flows"]["timeouts"], "timeouts,", d["flows"]["segment_limit"], "segment_limit,", d["hellos"]["records"], "records"')"
		set -- $got
		[ "$1" = "$2" ] && [ "$2" -gt 0 ] && ok "$mode: every real hello delivered in the long run ($1/$2)" ||
			bad "$mode: real hellos lost in the long run ($1/$2)"
		[ "$last" -le "$((first + 4))" ] && ok "$mode: no RSS growth over ${SOAK_SECONDS}s (${first} -> ${last} MB)" ||
			bad "$mode: RSS grew over ${SOAK_SECONDS}s (${first} -> ${last} MB)"
		[ "$fdmin" = "$fdmax" ] && ok "$mode: fd count constant ($fdmin)" ||
			bad "$mode: fd count changed ($fdmin-$fdmax)"
	fi

	# ---- hostile: spoofed 16 KiB hellos, real clients, watchdog, SIGTERM ----
	if want hostile && [[ " $HOSTILE_MODES " == *" $mode "* ]]; then
		name=$mode-hostile
		cat >"$TMP/$name.yml" <<EOF
core:
  interface: $V0
  listen_ports: [443]
  flow_timeout_sec: 2
  unvalidated_rate: $HOSTILE_RATE
  unvalidated_burst: $HOSTILE_BURST
outputs:
  - type: file
    params:
      path: $TMP/$name.jsonl
EOF
		: >"$TMP/$name.jsonl"
		# The notify listener keeps the kernel's receive time of each
		# message, so its own scheduling does not widen the gaps.
		rm -f "$TMP/$name.sock"
		python3 - "$TMP/$name.sock" "$((HOSTILE_SECONDS + 40))" >"$TMP/$name.notify" <<-'PY' &
	import socket, struct, sys, time
	s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
	s.bind(sys.argv[1])
	s.setsockopt(socket.SOL_SOCKET, 35, 1)  # SO_TIMESTAMPNS
	s.settimeout(0.2)
	end = time.monotonic() + float(sys.argv[2])
	while time.monotonic() < end:
	    try:
	        msg, anc, _, _ = s.recvmsg(4096, 64)
	    except socket.timeout:
	        continue
	    ts = time.time()
	    for lvl, typ, data in anc:
	        if lvl == socket.SOL_SOCKET and typ == 35:
	            sec, nsec = struct.unpack("qq", data[:16])
	            ts = sec + nsec / 1e9
	    print("%.6f %s" % (ts, msg.decode().replace("\n", " ")), flush=True)
	PY
		lpid=$!
		for _ in $(seq 50); do [ -S "$TMP/$name.sock" ] && break; sleep 0.1; done
		ip netns exec "$S" env NOTIFY_SOCKET="$TMP/$name.sock" WATCHDOG_USEC=2000000 \
			"$BIN" --config "$TMP/$name.yml" --mode "$mode" 2>"$TMP/$name.err" &
		DPID=$!
		for _ in $(seq 50); do grep -q 'capture started' "$TMP/$name.err" && break; sleep 0.1; done
		case $HOSTILE_FLOOD in
		hostile) kind=(hostile) ;;
		hello) kind=(hello "$TMP/big.bin") ;;
		*) kind=() ;;
		esac
		fpids=()
		for k in $(seq "$HOSTILE_FLOODERS"); do
			ip netns exec "$C" env SYNFLOOD_SEED="$k" "$TMP/synflood" "$V1" "$MAC" 198.18.0.1 \
				443 1000000000 "$((HOSTILE_SECONDS + 10))" "${kind[@]}" >"$TMP/$name.flood$k" &
			fpids+=($!)
		done
		sleep 1
		ip netns exec "$C" python3 "$TMP/mixed.py" "$((HOSTILE_SECONDS - 3))" 0.05 \
			>"$TMP/$name.clients" &
		cpid=$!
		sleep "$((HOSTILE_SECONDS - 1))"
		rss=$(hwm_mb "$DPID")
		# SIGTERM mid-flood; a daemon still there after 15 s is killed.
		t0=$(date +%s%N)
		kill -TERM "$DPID"
		for _ in $(seq 750); do
			st=$(awk '{print $3}' "/proc/$DPID/stat" 2>/dev/null || true)
			{ [ -z "$st" ] || [ "$st" = Z ]; } && break
			sleep 0.02
		done
		took=$((($(date +%s%N) - t0) / 1000000))
		st=$(awk '{print $3}' "/proc/$DPID/stat" 2>/dev/null || true)
		{ [ -z "$st" ] || [ "$st" = Z ]; } || kill -KILL "$DPID" 2>/dev/null || true
		rc=0
		wait "$DPID" || rc=$?
		wait "$cpid" || true
		for p in "${fpids[@]}"; do wait "$p" || true; done
		sleep 0.3
		kill "$lpid" 2>/dev/null || true
		wait "$lpid" 2>/dev/null || true
		read -r frames secs pps <<<"$(cat "$TMP/$name".flood* | awk '{f += $1; s = $2 > s ? $2 : s; p += $3} END {print f, s, p}')"
		# Gaps between READY=1, each WATCHDOG=1 and the SIGTERM: the time
		# systemd would have gone without a ping.
		read -r pings gap <<<"$(python3 - "$TMP/$name.notify" "$t0" <<-'PY'
	import sys
	term = int(sys.argv[2]) / 1e9
	lines = [l.split(None, 1) for l in open(sys.argv[1])]
	ready = [float(t) for t, m in lines if m.startswith("READY=1")][:1]
	wd = [float(t) for t, m in lines if m.startswith("WATCHDOG=1") and float(t) <= term]
	t = ready + wd + [term]
	gaps = [b - a for a, b in zip(t, t[1:])]
	print(len(wd), "%.3f" % max(gaps) if ready else "none")
	PY
	)"
		# Real clients by the SNI each sent; spoofed records by their source.
		read -r real_ok real_valid real_all spoofed spoofed_valid <<<"$(python3 - "$TMP/$name.jsonl" "$TMP/$name.clients" <<-'PY'
	import json, sys
	want = json.load(open(sys.argv[2]))["ok"]
	got, spoofed, spoofed_valid = {}, 0, 0
	for line in open(sys.argv[1], "rb"):
	    if line.startswith(b'{"src_ip":"198.19.'):
	        spoofed += 1
	        spoofed_valid += b'"handshake_validated":true' in line
	        continue
	    r = json.loads(line)
	    got[r.get("tls_sni")] = r.get("handshake_validated")
	print(sum(n in got for n in want), sum(got.get(n) is True for n in want), len(want),
	      spoofed, spoofed_valid)
	PY
	)"
		final=$(grep -c '"final stats"' "$TMP/$name.err" || true)
		# A TCX link goes with the process's fds; clsact filters and XDP
		# programs would stay: look for them.
		left=$(ip netns exec "$S" bpftool net show dev "$V0" 2>&1 | grep -c j4s || true)
		left=$((left + $(tc -n "$S" filter show dev "$V0" ingress 2>&1 | grep -c j4s || true)))
		left=$((left + $(tc -n "$S" filter show dev "$V0" egress 2>&1 | grep -c j4s || true)))
		left=$((left + $(ip -n "$S" -d link show "$V0" | grep -c 'prog/xdp' || true)))
		# The limit: the burst, the rate over the run, and a second of slack.
		cap=$((HOSTILE_BURST + HOSTILE_RATE * (HOSTILE_SECONDS + 1)))
		echo "    $mode: ${frames:-?} frames ($HOSTILE_FLOOD flood) in ${secs:-?}s (${pps:-?}/s); real clients: $real_ok/$real_all delivered, $real_valid validated; spoofed records $spoofed (limit $cap), $spoofed_valid validated; peak RSS ${rss} MB; $pings WATCHDOG=1 before the SIGTERM, largest gap ${gap} s; SIGTERM: exit $rc after ${took} ms; final stats lines $final; j4s left attached: $left"
		# The clients' own reasons, by kind: refused, timed out, or reset.
		python3 - "$TMP/$name.clients" <<-'PY'
	import collections, json, re, sys
	r = json.load(open(sys.argv[1]))
	c = collections.Counter((n.split("-")[0], re.sub(r" \([0-9.]+ s\)$", "", w))
	                        for n, w in r.get("why", {}).items())
	if c:
	    print("    real clients failed: %d of %d;" % (len(r["failed"]), len(r["failed"]) + len(r["ok"])),
	          "; ".join("%s %s x%d" % (k, w, n) for (k, w), n in c.most_common(8)))
	PY
		[ "$final" = 0 ] || echo "    counters: $(stat_of "$name" '"records %s, validated %s, unvalidated %s, userspace unvalidated_limited %s, kernel %s" % (d["hellos"]["records"], d["hellos"].get("handshake_validated"), d["hellos"].get("handshake_unvalidated"), d["flows"].get("unvalidated_limited", "-"), {k: d.get("kernel", {})[k] for k in ("validated", "unvalidated", "unvalidated_limited", "ringbuf_full", "kernel_dropped") if k in d.get("kernel", {})})')"
		[ "$gap" != none ] &&
			python3 -c 'import sys; sys.exit(not float(sys.argv[1]) < 2.0)' "$gap" &&
			ok "$mode: watchdog served under the flood ($pings pings, largest gap ${gap} s < 2 s)" ||
			bad "$mode: watchdog starved under the flood ($pings pings, largest gap ${gap} s)"
		[ "$rc" = 0 ] && [ "$took" -lt 2000 ] && [ "$final" = 1 ] &&
			ok "$mode: SIGTERM mid-flood: exit 0 after ${took} ms, final stats written" ||
			bad "$mode: SIGTERM mid-flood: exit $rc after ${took} ms, final stats lines $final"
		[ "$left" = 0 ] && ok "$mode: nothing left attached to $V0 after the stop" ||
			bad "$mode: $left j4s attachment(s) left on $V0" "$(ip netns exec "$S" bpftool net show dev "$V0" 2>&1)"
		[ "${real_all:-0}" -ge 20 ] && [ $((real_valid * 100)) -ge $((real_all * 95)) ] &&
			ok "$mode: real clients under the flood: $real_valid/$real_all delivered and validated (>= 95%)" ||
			bad "$mode: real clients under the flood: $real_ok/$real_all delivered, $real_valid validated" \
				"$(grep -h '"level":"WARN' "$TMP/$name.err" | tail -n 5)"
		[ "$spoofed_valid" = 0 ] &&
			ok "$mode: no spoofed hello flagged validated ($spoofed records, all unvalidated)" ||
			bad "$mode: $spoofed_valid spoofed hellos flagged validated"
		[ "$spoofed" -le "$cap" ] && ok "$mode: spoofed records held to the limit ($spoofed <= $cap)" ||
			bad "$mode: $spoofed spoofed records, over the limit of $cap"
		[ "$rss" -le "$RSS_BOUND_MB" ] && ok "$mode: peak RSS ${rss} MB <= $RSS_BOUND_MB MB under the flood" ||
			bad "$mode: peak RSS ${rss} MB above $RSS_BOUND_MB MB under the flood"
		rm -f "$TMP/$name.jsonl" # spoofed records are 47 KB each
	fi
done
finish
