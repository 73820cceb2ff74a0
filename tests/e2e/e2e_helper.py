#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Helpers for tests/e2e/run_e2e.sh (Python standard library only).

Subcommands:
  recv SOCKET OUTFILE [MAX_SECONDS]   the correlator: a unixgram socket, one
                                      datagram per line in OUTFILE
  wait-lines FILE N SECONDS           wait until FILE has at least N lines
  tls-client HOST PORT [--sni NAME] [--alpn a,b|big:N] [--tls 1.2|1.3]
             [--bind ADDR] [--sport PORT] [--rst 1] [--ipopts 1]
             [--ext hbh|dst|both]
                                      one python ssl connection: handshake, close
  split-client HOST PORT PLAN [--records N] [--delay MS] [--wait-file F]
             [tls-client options]
                                      the same, its ClientHello cut into TCP
                                      segments as PLAN says ('1,1,3,64*',
                                      '3,rest'), optionally re-framed into TLS
                                      records of at most N bytes, sent MS
                                      after the SYN, or once F exists
  upload HOST PORT BYTES              bulk TLS upload to an echo server
                                      (tests/tls_server.py --mode echo),
                                      reading the echo back as it goes
  burst HOSTS PORT N PREFIX           N hellos at once to each host
  raw HOST PORT TEXT                  a plain-text (not TLS) connection
  compare LIVE READ EXPECT LABEL [EXCLUDED]
                                      live records vs --read records vs the
                                      clients; prints ok/FAIL lines
  stats LOG MODE SYNS RECORDS NOT_TLS EXCLUDED CONNS
                                      final stats checks; ok/FAIL/SKIP lines

Checks print `ok ...`, `FAIL ...` or `SKIP ...` lines; run_e2e.sh counts them.
"""
import hashlib
import json
import os
import select
import signal
import socket
import ssl
import sys
import threading
import time

# Live capture and the dumpcap capture read the same packets through two
# sockets that timestamp them separately; on a busy machine (CI beside other
# work) they were seen 3 ms apart. Equal to the field otherwise.
TS_TOLERANCE_NS = 20_000_000
SYN_TOLERANCE_MS = 10


# ---- correlator ----

def cmd_recv(args):
    path, out = args[0], args[1]
    max_s = float(args[2]) if len(args) > 2 else 600.0
    if os.path.exists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path + ".tmp")
    os.rename(path + ".tmp", path)  # the path appears only once bound
    s.settimeout(0.2)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    end = time.time() + max_s
    with open(out, "ab", buffering=0) as f:
        while not stop and time.time() < end:
            try:
                data = s.recv(70000)
            except socket.timeout:
                continue
            except InterruptedError:
                continue
            # One datagram, one line; a newline inside would be a bug the
            # comparison reports (it breaks the line count).
            f.write(data + b"\n")
    s.close()
    try:
        os.unlink(path)
    except OSError:
        pass
    return 0


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return sum(1 for _ in f)
    except OSError:
        return 0


def cmd_wait_lines(args):
    path, n, secs = args[0], int(args[1]), float(args[2])
    end = time.time() + secs
    while time.time() < end:
        if count_lines(path) >= n:
            return 0
        time.sleep(0.05)
    return 0 if count_lines(path) >= n else 1


# ---- clients ----

def big_alpn(n):
    """n ALPN names of 243 bytes: a ClientHello of about n * 244 bytes."""
    return [f"e2e-{i:02d}-" + "a" * 236 for i in range(n)]


def client_ctx(tls=None, alpn=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if tls == "1.2":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    elif tls == "1.3":
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    if alpn and alpn.startswith("big:"):
        ctx.set_alpn_protocols(big_alpn(int(alpn[4:])))
    elif alpn:
        ctx.set_alpn_protocols(alpn.split(","))
    return ctx


def connect(host, port, opts):
    """A TCP connection with the options the SYN must carry: --bind ADDR,
    --sport PORT, --ipopts 1 (IPv4 options: NOP NOP NOP EOL), --ext hbh|dst|both
    (IPv6 hop-by-hop and/or destination options headers, PadN only)."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    sk = socket.socket(fam, socket.SOCK_STREAM)
    sk.settimeout(5)
    if opts.get("--ipopts") == "1":
        sk.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, b"\x01\x01\x01\x00")
    ext = opts.get("--ext", "")
    pad = b"\x00\x00\x01\x04\x00\x00\x00\x00"  # next hdr, len 0, PadN(4)
    if ext in ("hbh", "both"):
        sk.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_HOPOPTS, pad)
    if ext in ("dst", "both"):
        sk.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, pad)
    if "--bind" in opts or "--sport" in opts:
        sk.bind((opts.get("--bind", ""), int(opts.get("--sport", 0))))
    sk.connect((host, port))
    return sk


def cmd_tls_client(args):
    """--rst 1: end with a RST (SO_LINGER 0), so the port is free again at
    once; connection options as connect() says."""
    host, port = args[0], int(args[1])
    opts = dict(zip(args[2::2], args[3::2]))
    ctx = client_ctx(opts.get("--tls"), opts.get("--alpn"))
    with connect(host, port, opts) as raw:
        with ctx.wrap_socket(raw, server_hostname=opts.get("--sni")) as t:
            print(f"{t.getsockname()} {t.version()} alpn={t.selected_alpn_protocol()}")
            if opts.get("--rst") == "1":
                t.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
                return 0
            try:
                t.unwrap()
            except (OSError, ssl.SSLError):
                pass
    return 0


def split_plan(data, plan):
    """'1,1,3,64*' -> pieces of 1, 1, 3 bytes then 64-byte pieces; 'N,rest'
    -> N bytes then the rest in one piece."""
    pieces, pos = [], 0
    for step in plan.split(","):
        if pos >= len(data):
            break
        if step == "rest":
            pieces.append(data[pos:])
            pos = len(data)
        elif step.endswith("*"):
            size = int(step[:-1])
            while pos < len(data):
                pieces.append(data[pos:pos + size])
                pos += size
        else:
            pieces.append(data[pos:pos + int(step)])
            pos += int(step)
    if pos < len(data):
        pieces.append(data[pos:])
    return pieces


def cmd_split_client(args):
    """A python ssl client (memory BIOs) whose ClientHello goes out in TCP
    segments cut as PLAN says, then the handshake completes normally."""
    host, port, plan = args[0], int(args[1]), args[2]
    opts = dict(zip(args[3::2], args[4::2]))
    ctx = client_ctx(opts.get("--tls"), opts.get("--alpn"))
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=opts.get("--sni"))
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = out.read()
    if "--records" in opts:
        # The same handshake message, re-framed into TLS records of at most
        # N bytes each (valid TLS: a handshake message may span records).
        size, body = int(opts["--records"]), hello[5:]
        hello = b"".join(b"\x16" + hello[1:3] + len(body[i:i + size]).to_bytes(2, "big")
                         + body[i:i + size] for i in range(0, len(body), size))
    pieces = split_plan(hello, plan)
    sock = connect(host, port, opts)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if "--wait-file" in opts:
        # Connected (the SYN is gone): say so, then wait for the go.
        go = opts["--wait-file"]
        with open(go + ".ready", "w") as f:
            f.write("connected\n")
        end = time.time() + 30
        while not os.path.exists(go) and time.time() < end:
            time.sleep(0.02)
        if not os.path.exists(go):
            raise TimeoutError("no go file")
    if "--delay" in opts:
        time.sleep(int(opts["--delay"]) / 1000)
    for p in pieces:
        sock.sendall(p)
        time.sleep(0.004)  # one segment each: Nagle is off, nothing coalesces
    end = time.time() + 5
    while time.time() < end:
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            pending = out.read()
            if pending:
                sock.sendall(pending)
            d = sock.recv(65536)
            if not d:
                raise ConnectionError("server closed during the handshake")
            inc.write(d)
    pending = out.read()
    if pending:
        sock.sendall(pending)
    print(f"hello {len(hello)} bytes in {len(pieces)} segments "
          f"{[len(p) for p in pieces][:8]}; {obj.version()}")
    if opts.get("--rst") == "1":
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
    sock.close()
    return 0


def cmd_burst(args):
    """N python ssl ClientHellos at once to each of HOSTS (comma list): each
    connection sends its hello (SNI PREFIX<i>-<host index>.e2e.test) and
    closes without waiting for the server's answer."""
    hosts, port, n, prefix = args[0].split(","), int(args[1]), int(args[2]), args[3]
    jobs = [(host, f"{prefix}{i}-{hi}.e2e.test")
            for hi, host in enumerate(hosts) for i in range(n)]
    barrier = threading.Barrier(len(jobs), timeout=10)
    errors = []

    def one(host, sni):
        try:
            out = ssl.MemoryBIO()
            obj = client_ctx().wrap_bio(ssl.MemoryBIO(), out, server_hostname=sni)
            try:
                obj.do_handshake()
            except ssl.SSLWantReadError:
                pass
            hello = out.read()
            with socket.create_connection((host, port), timeout=10) as sk:
                barrier.wait()  # every connection open: the hellos go together
                sk.sendall(hello)
                time.sleep(0.3)
        except Exception as e:  # noqa: BLE001 - counted and reported
            errors.append(f"{sni}: {type(e).__name__} {e}")
            barrier.abort()

    threads = [threading.Thread(target=one, args=j) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    print(f"burst: {len(jobs)} hellos, {len(errors)} errors {errors[:3]}")
    return 1 if errors else 0


def cmd_raw(args):
    """Connect, send DATA (not TLS), close."""
    host, port, data = args[0], int(args[1]), args[2].encode().decode("unicode_escape")
    with socket.create_connection((host, port), timeout=5) as sk:
        sk.sendall(data.encode("latin-1"))
        time.sleep(0.1)
    return 0


def cmd_upload(args):
    """Send BYTES of text lines to an echo server and read them back at
    the same time (one thread, non-blocking), so neither side's buffers
    fill up."""
    host, port, total = args[0], int(args[1]), int(args[2])
    ctx = client_ctx(alpn=None)
    raw = socket.create_connection((host, port), timeout=5)
    t = ctx.wrap_socket(raw, server_hostname="upload.e2e.test")
    t.setblocking(False)
    chunk = (b"u" * 1023 + b"\n") * 16
    sent = got = 0
    end = time.time() + 30
    idle_since = None
    while time.time() < end:
        if sent < total:
            try:
                sent += t.send(chunk)
            except (ssl.SSLWantWriteError, ssl.SSLWantReadError):
                pass
        progressed = False
        try:
            while True:
                d = t.recv(65536)
                if not d:
                    end = 0
                    break
                got += len(d)
                progressed = True
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            pass
        if sent >= total:
            if got >= sent:
                break
            if progressed:
                idle_since = None
            elif idle_since is None:
                idle_since = time.time()
            elif time.time() - idle_since > 2:
                break  # the echo stopped; the upload itself went out
        select.select([t], [t] if sent < total else [], [], 0.2)
    t.close()
    print(f"sent {sent} got {got}")
    return 0 if sent >= total else 1


# ---- checks ----

class Checks:
    def __init__(self, label):
        self.label = label

    def ok(self, what):
        print(f"ok {self.label}: {what}")

    def fail(self, what):
        print(f"FAIL {self.label}: {what}")

    def skip(self, what):
        print(f"SKIP {self.label}: {what}")

    def check(self, cond, what, detail=""):
        if cond:
            self.ok(what)
        else:
            self.fail(what + (f" ({detail})" if detail else ""))
        return cond


def load_records(path, chk, name):
    recs, bad = [], []
    with open(path, "rb") as f:
        for i, line in enumerate(f, 1):
            line = line.rstrip(b"\n")
            if not line:
                continue
            try:
                r = json.loads(line.decode("utf-8"), object_pairs_hook=list)
                recs.append(r)
            except (UnicodeDecodeError, ValueError) as e:
                bad.append(f"line {i}: {e}")
    chk.check(not bad, f"{name}: every record is valid UTF-8 JSON", "; ".join(bad[:3]))
    return recs


def expected_matrix(path):
    """run_e2e.sh writes one line per client: name dst_ip dst_port version sni alpn
    ('-' for absent)."""
    rows = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) != 6:
                continue
            name, ip, port, ver, sni, alpn = p
            rows.append((name, (ip, int(port), ver, None if sni == "-" else sni,
                                None if alpn == "-" else alpn)))
    return rows


def ja4_consistent(r):
    """The JA4 first section against the record's own fields, and the hashes."""
    errs = []
    ja4 = r.get("ja4", "")
    parts = ja4.split("_")
    if len(parts) != 3 or len(parts[0]) != 10:
        return [f"ja4 {ja4!r} malformed"]
    a = parts[0]
    ver = {"1.3": "13", "1.2": "12", "1.1": "11", "1.0": "10"}.get(r.get("tls_version"), "??")
    if a[0] != "t":
        errs.append(f"ja4 {ja4}: not 't'")
    if a[1:3] != ver:
        errs.append(f"ja4 {ja4}: version vs tls_version {r.get('tls_version')}")
    if a[3] != ("d" if "tls_sni" in r else "i"):
        errs.append(f"ja4 {ja4}: SNI flag vs tls_sni {r.get('tls_sni')}")
    alpn = r.get("tls_alpn")
    want = (alpn[0] + alpn[-1]) if alpn else "00"
    if a[8:10] != want:
        errs.append(f"ja4 {ja4}: ALPN chars vs tls_alpn {alpn}")
    if r.get("ja4_hash") != parts[1] + "_" + parts[2]:
        errs.append(f"ja4_hash {r.get('ja4_hash')} != ja4 sections 2-3")
    if r.get("ja3_hash") != hashlib.md5(r.get("ja3", "").encode()).hexdigest():
        errs.append(f"ja3_hash {r.get('ja3_hash')} != md5(ja3)")
    return errs


def is_pickup(r):
    return str(r.get("tls_sni", "")).startswith("pickup")


def meta_consistent(r):
    errs = []
    v6 = ":" in r.get("src_ip", "")
    if v6:
        if r.get("ip_meta_id") != 0 or r.get("ip_meta_df") is not False:
            errs.append("IPv6 with ip_meta_id/df set")
        if r.get("ip_meta_total_length", 0) < 60:
            errs.append(f"IPv6 total length {r.get('ip_meta_total_length')}")
    else:
        if r.get("ip_meta_df") is not True:
            errs.append("IPv4 from Linux without DF")
        if r.get("ip_meta_total_length", 0) < 40:
            errs.append(f"IPv4 total length {r.get('ip_meta_total_length')}")
    if r.get("ip_meta_ttl") != 64:
        errs.append(f"ttl {r.get('ip_meta_ttl')} (one veth hop from Linux: 64)")
    if is_pickup(r):
        # Connected before the capture: meta from the hello segment.
        if "syn_to_clienthello_ms" in r or "tcp_meta_mss" in r:
            errs.append("picked-up flow (SYN before the capture) with SYN fields")
        if r.get("ip_meta_total_length", 0) < 200:
            errs.append(f"picked-up flow: total length {r.get('ip_meta_total_length')} "
                        "is not the hello segment's")
    else:
        if "MSS" not in r.get("tcp_meta_options", "") or "tcp_meta_mss" not in r:
            errs.append(f"no MSS: {r.get('tcp_meta_options')}")
        if r.get("syn_to_clienthello_ms") is None:
            errs.append("syn_to_clienthello_ms missing (SYN not seen)")
    sni = str(r.get("tls_sni", ""))
    if sni.startswith("delay"):
        want = int(sni[5:sni.index(".")])
        got = r.get("syn_to_clienthello_ms", -1)
        if not want <= got <= want + 200:
            errs.append(f"syn_to_clienthello_ms {got} for a hello sent {want} ms after the SYN")
    if r.get("sensor_id") != "e2e-sensor":
        errs.append(f"sensor_id {r.get('sensor_id')!r}")
    for k in ("ja4_r", "ja4_o", "ja4_ro"):
        if k not in r:
            errs.append(f"no {k} with fingerprints.raw: true")
    br = (lambda a: f"[{a}]" if ":" in a else a)
    cid = f"{br(r.get('src_ip', ''))}:{r.get('src_port')}-{br(r.get('dst_ip', ''))}:{r.get('dst_port')}"
    if r.get("conn_id") != cid:
        errs.append(f"conn_id {r.get('conn_id')} != {cid}")
    return errs


def cmd_compare(args):
    live_path, read_path, exp_path, label = args[:4]
    excluded = set(args[4].split(",")) if len(args) > 4 and args[4] else set()
    chk = Checks(label)
    live_l = load_records(live_path, chk, "live (unix socket)")
    read_l = load_records(read_path, chk, "--read of the capture")
    exp = expected_matrix(exp_path)
    n = len(exp)
    live = [dict(r) for r in live_l]
    read = [dict(r) for r in read_l]

    chk.check(len(live) == n, f"live: {len(live)} records for {n} TLS clients", f"want {n}")
    chk.check(len(read) == n, f"--read: {len(read)} records for {n} TLS clients", f"want {n}")
    # A client port may be reused (a connection closed with RST leaves no
    # TIME_WAIT): one conn_id, several connections. Pair the k-th record of
    # a conn_id live with the k-th one offline, in time order.
    def keyed(recs):
        groups = {}
        for pairs in sorted(recs, key=lambda p: dict(p).get("timestamp", 0)):
            groups.setdefault(dict(pairs).get("conn_id"), []).append(pairs)
        return {(cid, i): pairs for cid, g in groups.items() for i, pairs in enumerate(g)}

    live_k, read_k = keyed(live_l), keyed(read_l)
    dups = len(live) - len({(r.get("conn_id"), r.get("timestamp")) for r in live})
    chk.check(dups == 0, "live: no record twice (same conn_id and timestamp)", f"{dups} twice")
    only_live = sorted(f"{c}#{i}" for c, i in set(live_k) - set(read_k))
    only_read = sorted(f"{c}#{i}" for c, i in set(read_k) - set(live_k))
    chk.check(not only_live and not only_read, "same connections (conn_id) live and --read",
              f"only live: {only_live[:4]}, only --read: {only_read[:4]}")

    # Each client's hello, with its own SNI, ALPN and version, by category.
    got = {}
    for r in live:
        k = (r.get("dst_ip"), r.get("dst_port"), r.get("tls_version"), r.get("tls_sni"),
             r.get("tls_alpn"))
        got[k] = got.get(k, 0) + 1
    cats = {}
    for name, k in exp:
        cat = name.split("/")[0]
        c = cats.setdefault(cat, [0, 0, []])
        c[0] += 1
        if got.get(k, 0) > 0:
            got[k] -= 1
            c[1] += 1
        else:
            c[2].append(f"{name.split('/', 1)[-1]} {k}")
    for cat, (want, have, missing) in cats.items():
        chk.check(have == want, f"{cat}: {have} of {want} hellos there live, with their "
                  "version, SNI and ALPN", "missing: " + "; ".join(missing[:5]))
    extra = [f"{k} x{c}" for k, c in got.items() if c > 0]
    chk.check(not extra, "no record that no client explains", "; ".join(extra[:5]))
    bad = [r.get("conn_id") for r in live + read if r.get("src_ip") in excluded]
    if excluded:
        chk.check(not bad, "no record from exclude_source_ips (live and --read)",
                  "; ".join(map(str, bad[:4])))

    # Field by field, live against --read.
    diffs = []
    max_dt = max_ds = 0
    for key, lr_pairs in sorted(live_k.items(), key=lambda kv: str(kv[0])):
        lr = dict(lr_pairs)
        if key not in read_k:
            continue
        rr_pairs = read_k[key]
        rr = dict(rr_pairs)
        lk = [k for k, _ in lr_pairs]
        rk = [k for k, _ in rr_pairs]
        if lk != rk:
            diffs.append(f"{lr['conn_id']}: fields {lk} vs {rk}")
            continue
        for k in lk:
            a, b = lr[k], rr[k]
            both_int = isinstance(a, int) and isinstance(b, int)
            if k == "timestamp":
                max_dt = max(max_dt, abs(a - b) if both_int else 0)
                if not both_int or abs(a - b) > TS_TOLERANCE_NS:
                    diffs.append(f"{lr['conn_id']}: timestamp {a} vs {b} "
                                 f"({(a - b) / 1e6 if both_int else '?'} ms)")
            elif k == "syn_to_clienthello_ms":
                max_ds = max(max_ds, abs(a - b) if both_int else 0)
                if not both_int or abs(a - b) > SYN_TOLERANCE_MS:
                    diffs.append(f"{lr['conn_id']}: syn_to_clienthello_ms {a} vs {b}")
            elif a != b or type(a) is not type(b):
                diffs.append(f"{lr['conn_id']}: {k} {a!r} vs {b!r}")
    chk.check(not diffs, "every field equal live vs --read "
              f"(timestamp within {TS_TOLERANCE_NS // 1_000_000} ms: max {max_dt / 1000:.0f} us; "
              f"syn_to_clienthello_ms within {SYN_TOLERANCE_MS}: max {max_ds})",
              "; ".join(diffs[:5]) + (f" ... {len(diffs)} in all" if len(diffs) > 5 else ""))

    errs = []
    for r in live:
        for e in ja4_consistent(r) + meta_consistent(r):
            errs.append(f"{r.get('conn_id')} sni={r.get('tls_sni')}: {e}")
    chk.check(not errs, "records self-consistent (JA4 a-section vs version/SNI/ALPN, "
              "ja4_hash, ja3_hash = md5(ja3), raw forms, sensor_id, IP/TCP meta, "
              "syn_to_clienthello_ms, pickups, conn_id)", "; ".join(errs[:5]))
    fams = {(":" in r.get("src_ip", "")) for r in live}
    ports = {r.get("dst_port") for r in live}
    vers = {r.get("tls_version") for r in live}
    chk.check(fams == {True, False} and len(ports) == 2 and {"1.2", "1.3"} <= vers,
              "coverage: IPv4 and IPv6, both ports, TLS 1.2 and 1.3",
              f"families v6={sorted(fams)}, ports {sorted(ports)}, versions {sorted(vers)}")
    return 0


def read_log(path):
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
    return out


def cmd_stats(args):
    """LOG MODE SYNS RECORDS NOT_TLS EXCLUDED CONNS: the final stats line."""
    log, mode = args[0], args[1]
    syns, records, not_tls, excluded, conns = (int(x) for x in args[2:7])
    chk = Checks(mode)
    finals = [l for l in read_log(log) if l.get("message") == "final stats"]
    if not chk.check(len(finals) == 1, "one 'final stats' line at shutdown",
                     f"{len(finals)} found"):
        return 0
    st = finals[-1]
    h = st.get("hellos", {})
    chk.check(h.get("records") == records, f"final stats: hellos.records = {h.get('records')}",
              f"want {records}")
    outs = list(st.get("outputs", {}).values())
    chk.check(len(outs) == 1 and outs[0].get("sent") == records and outs[0].get("dropped") == 0
              and outs[0].get("queued") == 0,
              "final stats: the unix_socket output sent every record, dropped none",
              json.dumps(st.get("outputs")))
    fl = st.get("flows", {})
    chk.check(fl.get("not_tls", 0) >= not_tls,
              f"final stats: flows.not_tls = {fl.get('not_tls')} for {not_tls} plain-text "
              "connections", json.dumps(fl))
    k = st.get("kernel", {})
    pk = st.get("packets", {})
    if mode.startswith("pcap"):
        chk.check(k.get("kernel_dropped", 0) == 0, "pcap: kernel_dropped = 0", json.dumps(k))
        chk.skip("in-kernel filtering: pcap mode has no kernel program "
                 f"(userspace saw {pk.get('frames')} frames)")
        return 0
    syn, pay, pkts = k.get("syn_events", -1), k.get("payload_events", -1), k.get("packets", -1)
    chk.check(syns <= syn <= syns + 2, f"kernel: syn_events {syn} for {syns} SYNs",
              json.dumps(k))
    chk.check(k.get("excluded", 0) >= excluded,
              f"kernel: excluded = {k.get('excluded')} (>= {excluded} from exclude_source_ips)",
              json.dumps(k))
    chk.check(k.get("not_tls", 0) >= not_tls,
              f"kernel: not_tls = {k.get('not_tls')} (>= {not_tls})", json.dumps(k))
    chk.check(0 < pay <= 3 * conns,
              f"kernel: payload_events {pay} <= 3 per connection ({conns}) while "
              f"packets = {pkts}", json.dumps(k))
    # 80 MiB of bulk transfers: thousands of packets, fewer with GRO.
    chk.check(pkts >= 1000, f"kernel: the program saw the bulk transfers ({pkts} packets)",
              json.dumps(k))
    chk.check(k.get("ringbuf_full") == 0 and k.get("copy_errors") == 0,
              "kernel: ringbuf_full = 0, copy_errors = 0", json.dumps(k))
    # Every client here is a real one: none of their segments may pass for
    # a spoofer's (their answers after a hello whose end the kernel cannot
    # tell acknowledge the server's data: snd_nxt, from egress).
    chk.check(k.get("spoofed_events") == 0 and k.get("refused") == 0,
              "kernel: no real client's segment taken for a spoofer's (spoofed_events = 0, "
              "refused = 0)", json.dumps(k))
    frames, nbytes = pk.get("frames", -1), pk.get("bytes", -1)
    chk.check(0 < frames <= 5 * conns and 0 < nbytes < 4 << 20,
              f"userspace: {frames} frames, {nbytes} bytes for {conns} connections and "
              "80 MiB of bulk (SYNs and hellos only)", json.dumps(pk))
    return 0


CMDS = {
    "recv": cmd_recv,
    "wait-lines": cmd_wait_lines,
    "tls-client": cmd_tls_client,
    "upload": cmd_upload,
    "split-client": cmd_split_client,
    "burst": cmd_burst,
    "raw": cmd_raw,
    "compare": cmd_compare,
    "stats": cmd_stats,
}


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in CMDS:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        return CMDS[sys.argv[1]](sys.argv[2:])
    except Exception as e:  # noqa: BLE001 - a check that crashes is a failure
        if sys.argv[1] in ("compare", "stats"):
            label = sys.argv[5] if sys.argv[1] == "compare" else sys.argv[3]
            print(f"FAIL {label}: {sys.argv[1]} helper error: {type(e).__name__}: {e}")
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
