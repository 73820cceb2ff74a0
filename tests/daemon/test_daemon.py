#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Daemon tests: the running service as systemd and a correlator see it.

The daemon captures live (pcap mode) on the loopback interface, on a port of
its own; each test opens real TCP connections to a local listener and sends
a real ClientHello (the Firefox hello of the test data), so every
connection is one record. The correlator is a real UNIX datagram socket
that is absent, late, slow or restarted; systemd is a real datagram
listener on NOTIFY_SOCKET. Needs root (packet capture); prints one line per
test and `N passed, N failed, N skipped`.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import lib  # noqa: E402
from lib import BIN, ROOT, SkipTest  # noqa: E402


def load_hello():
    """The Firefox record+hello bytes from tests/data/hello_firefox_tls12.h."""
    text = open(os.path.join(ROOT, "tests", "data", "hello_firefox_tls12.h")).read()
    body = text[text.index("{") + 1:text.index("}")]
    return bytes(int(x, 16) for x in re.findall(r"0x([0-9a-fA-F]{2})", body))


HELLO = load_hello()


class Listener:
    """A TCP server on 127.0.0.1 that accepts and discards."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(512)
        self.port = self.sock.getsockname()[1]
        self.alive = True
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while self.alive:
            try:
                c, _ = self.sock.accept()
                c.settimeout(2)
                threading.Thread(target=self._drain, args=(c,), daemon=True).start()
            except OSError:
                return

    @staticmethod
    def _drain(c):
        try:
            while c.recv(65536):
                pass
        except OSError:
            pass
        c.close()

    def close(self):
        self.alive = False
        self.sock.close()


def send_hellos(port, n):
    """n connections, each sending the hello then closing."""
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        s.sendall(HELLO)
        s.close()


class Receiver:
    """The correlator: a unixgram socket, optionally slow."""

    def __init__(self, path, delay=0.0):
        self.path = path
        if os.path.exists(path):
            os.unlink(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.records = []
        self.delay = delay
        self.alive = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.alive:
            try:
                data = self.sock.recv(70000)
            except socket.timeout:
                continue
            except OSError:
                return
            self.records.append(json.loads(data))
            if self.delay:
                time.sleep(self.delay)

    def close(self):
        self.alive = False
        self.thread.join()
        self.sock.close()
        os.unlink(self.path)


class Daemon:
    def __init__(self, tmp, port, outputs, env=None, extra_core="", mode="pcap", wrap=(),
                 iface="lo"):
        self.cfg = os.path.join(tmp, "config.yml")
        with open(self.cfg, "w") as f:
            f.write(f"core:\n  interface: {iface}\n  capture_mode: {mode}\n"
                    f"  listen_ports: [{port}]\n  flow_timeout_sec: 5\n{extra_core}"
                    "outputs:\n" + outputs)
        self.stderr = open(os.path.join(tmp, "daemon.log"), "w+")
        e = dict(os.environ)
        e.update(env or {})
        self.proc = subprocess.Popen(list(wrap) + [BIN, "--config", self.cfg],
                                     stdout=subprocess.DEVNULL, stderr=self.stderr, env=e)
        self.wait_log("capture started", 5)

    def log(self):
        self.stderr.flush()
        with open(self.stderr.name) as f:
            return [json.loads(l) for l in f if l.startswith("{")]

    def wait_log(self, text, timeout):
        end = time.time() + timeout
        while time.time() < end:
            if any(text in l.get("message", "") for l in self.log()):
                return True
            if self.proc.poll() is not None:
                raise RuntimeError("daemon exited: " + open(self.stderr.name).read()[-2000:])
            time.sleep(0.05)
        raise RuntimeError(f"no log line '{text}' within {timeout}s")

    def stop(self, timeout=5):
        t0 = time.time()
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout)
        return rc, time.time() - t0

    def final_stats(self):
        return [l for l in self.log() if l.get("message") == "final stats"][-1]


def wait_for(pred, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def unix_output(path, buf=1000):
    return (f"  - type: unix_socket\n    enabled: true\n    async_buffer: {buf}\n"
            f"    params:\n      socket_path: {path}\n")


# ---- tests: each returns None or raises AssertionError ----

def test_correlator_starts_late(tmp, lst):
    path = os.path.join(tmp, "corr.sock")
    d = Daemon(tmp, lst.port, unix_output(path))
    send_hellos(lst.port, 40)
    time.sleep(1.0)  # the daemon retries with backoff meanwhile
    r = Receiver(path)
    ok = wait_for(lambda: len(r.records) >= 40, 6)
    rc, _ = d.stop()
    r.close()
    assert ok, f"received {len(r.records)} of 40 after the correlator appeared"
    assert len({x["src_port"] for x in r.records}) == 40, "duplicates or losses"
    assert rc == 0
    msgs = [l["message"] for l in d.log()]
    assert any("cannot deliver" in m for m in msgs), "failure not logged"
    assert sum("delivering again" in m for m in msgs) == 1, "recovery not logged once"


def test_correlator_restarts(tmp, lst):
    path = os.path.join(tmp, "corr.sock")
    r = Receiver(path)
    d = Daemon(tmp, lst.port, unix_output(path))
    send_hellos(lst.port, 20)
    assert wait_for(lambda: len(r.records) >= 20, 5), f"first batch: {len(r.records)}"
    r.close()
    send_hellos(lst.port, 30)  # while the correlator is down
    time.sleep(0.5)
    r2 = Receiver(path)
    send_hellos(lst.port, 10)
    ok = wait_for(lambda: len(r2.records) >= 40, 8)
    rc, _ = d.stop()
    r2.close()
    assert ok, f"after restart received {len(r2.records)} of 40"
    assert rc == 0


def test_slow_correlator(tmp, lst):
    path = os.path.join(tmp, "corr.sock")
    r = Receiver(path, delay=0.01)
    d = Daemon(tmp, lst.port, unix_output(path))
    t0 = time.time()
    send_hellos(lst.port, 200)
    sent_in = time.time() - t0
    ok = wait_for(lambda: len(r.records) >= 200, 15)
    rc, _ = d.stop()
    r.close()
    assert ok, f"slow correlator got {len(r.records)} of 200"
    st = d.final_stats()["outputs"]
    out = next(iter(st.values()))
    assert out["dropped"] == 0, f"dropped {out['dropped']}"
    assert sent_in < 10, "clients were slowed down"


def test_queue_bounded_drop_oldest(tmp, lst):
    path = os.path.join(tmp, "corr.sock")
    d = Daemon(tmp, lst.port, unix_output(path, buf=50))
    send_hellos(lst.port, 150)
    time.sleep(1.5)
    r = Receiver(path)
    ok = wait_for(lambda: len(r.records) >= 50, 6)
    time.sleep(0.5)
    rc, _ = d.stop()
    r.close()
    out = next(iter(d.final_stats()["outputs"].values()))
    assert ok and len(r.records) == 50, f"got {len(r.records)}, want the newest 50"
    assert out["dropped"] == 100, f"dropped counter {out['dropped']}, want 100"
    assert out["sent"] == 50


def test_file_rotation_sighup(tmp, lst):
    path = os.path.join(tmp, "ja4.log")
    d = Daemon(tmp, lst.port, f"  - type: file\n    params:\n      path: {path}\n")
    send_hellos(lst.port, 30)
    assert wait_for(lambda: os.path.exists(path) and sum(1 for _ in open(path)) >= 30, 5)
    os.rename(path, path + ".1")
    send_hellos(lst.port, 10)  # written to the moved file until the HUP
    time.sleep(0.3)
    d.proc.send_signal(signal.SIGHUP)
    d.wait_log("reopened", 3)
    send_hellos(lst.port, 20)
    ok = wait_for(lambda: os.path.exists(path) and sum(1 for _ in open(path)) >= 20, 5)
    rc, _ = d.stop()
    lines = open(path + ".1").read().splitlines() + open(path).read().splitlines()
    ports = {json.loads(l)["src_port"] for l in lines}
    assert ok, "new file did not get the records after SIGHUP"
    assert len(lines) == 60 and len(ports) == 60, f"{len(lines)} lines, {len(ports)} distinct"
    assert rc == 0


def file_output(path):
    return f"  - type: file\n    params:\n      path: {path}\n"


def test_file_hostile_paths_at_sighup(tmp, lst):
    """A symbolic link or a FIFO planted at the path before a SIGHUP: refused
    with a line naming the path, the link's target untouched, no hang, and
    the records keep going to the old file."""
    path = os.path.join(tmp, "ja4.log")
    target = os.path.join(tmp, "victim")
    with open(target, "w") as f:
        f.write("precious\n")
    d = Daemon(tmp, lst.port, file_output(path))
    send_hellos(lst.port, 5)
    assert wait_for(lambda: os.path.exists(path) and sum(1 for _ in open(path)) >= 5, 5)
    os.rename(path, path + ".1")
    os.symlink(target, path)
    d.proc.send_signal(signal.SIGHUP)
    d.wait_log("refusing a symbolic link", 3)
    os.unlink(path)
    os.mkfifo(path)
    d.proc.send_signal(signal.SIGHUP)
    d.wait_log("refusing a FIFO", 3)  # open(2) would have waited for a reader
    send_hellos(lst.port, 5)
    ok = wait_for(lambda: sum(1 for _ in open(path + ".1")) >= 10, 5)
    rc, took = d.stop()
    assert ok, "records did not keep going to the old file"
    assert open(target).read() == "precious\n", "the symlink's target was written"
    assert any(path in l["message"] for l in d.log() if "refusing" in l["message"])
    assert rc == 0 and took < 2.5


def full_disk(tmp, lst, free_before_hup):
    """A file output on a 64 KiB tmpfs (in the daemon's own mount namespace)
    filled until a write fails part-way, then logrotate's mv and a SIGHUP.
    free_before_hup: room is made before the HUP (a filler file removed), so
    the old file can take the rest of its cut line; else the old file is
    deleted and its room comes back only when the reopen closes it."""
    mnt = os.path.join(tmp, "small")
    os.mkdir(mnt)
    path = os.path.join(mnt, "ja4.log")
    wrap = ("unshare", "-m", "--propagation", "private", "sh", "-c",
            f"mount -t tmpfs -o size=64k j4s-small {mnt} && exec \"$0\" \"$@\"")
    d = Daemon(tmp, lst.port, file_output(path), wrap=wrap)
    root = f"/proc/{d.proc.pid}/root"
    filler = root + mnt + "/filler"
    with open(filler, "wb") as f:
        f.write(b"\0" * 32768)
    sent = 0
    while sent < 400 and not any("cannot deliver" in l.get("message", "") for l in d.log()):
        send_hellos(lst.port, 10)
        sent += 10
        time.sleep(0.05)
    d.wait_log("cannot deliver", 3)
    os.rename(root + path, root + path + ".1")
    if free_before_hup:
        os.unlink(filler)
    else:
        os.unlink(root + path + ".1")  # still open: its room stays taken
    d.proc.send_signal(signal.SIGHUP)
    d.wait_log("reopened", 3)
    if not free_before_hup:
        os.unlink(filler)
    send_hellos(lst.port, 5)
    sent += 5
    new = root + path

    def lines(p):
        return open(p, "rb").read().split(b"\n") if os.path.exists(p) else [b""]

    def count(p):
        return sum(1 for l in lines(p) if l)

    if free_before_hup:
        ok = wait_for(lambda: count(new) + count(root + path + ".1") >= sent, 8)
    else:
        ok = wait_for(lambda: count(new) >= 5, 8)
    time.sleep(0.2)  # the files are read through the daemon's root: before it stops
    new_lines = lines(new)
    old_lines = lines(root + path + ".1") if free_before_hup else None
    rc, _ = d.stop()
    out = next(iter(d.final_stats()["outputs"].values()))
    assert ok, f"new file: {len(new_lines) - 1} lines after the reopen"
    assert new_lines[0].startswith(b"{"), f"new file starts with {new_lines[0][:40]!r}"
    assert new_lines[-1] == b"", "new file does not end with a newline"
    for l in new_lines[:-1]:
        json.loads(l)  # every line whole
    if free_before_hup:
        assert old_lines[-1] == b"", "old file does not end with a newline"
        for l in old_lines[:-1]:
            json.loads(l)
        assert out["torn"] == 0, out
        assert len(old_lines) + len(new_lines) - 2 == sent, (len(old_lines), len(new_lines), sent)
    else:
        assert out["torn"] <= 1, out
    assert rc == 0


def test_file_full_then_reopen_line_finished(tmp, lst):
    full_disk(tmp, lst, True)


def test_file_full_then_reopen_new_file_whole(tmp, lst):
    full_disk(tmp, lst, False)


def test_notify_and_sigterm(tmp, lst):
    npath = os.path.join(tmp, "notify.sock")
    ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ns.bind(npath)
    ns.settimeout(0.1)
    msgs = []
    d = Daemon(tmp, lst.port, "  - type: stdout\n",
               env={"NOTIFY_SOCKET": npath, "WATCHDOG_USEC": "600000"})
    t0 = time.time()
    while time.time() - t0 < 1.6:
        try:
            msgs.append((time.time(), ns.recv(4096).decode()))
        except socket.timeout:
            pass
    rc, took = d.stop()
    end = time.time() + 1
    while time.time() < end:
        try:
            msgs.append((time.time(), ns.recv(4096).decode()))
        except socket.timeout:
            break
    ns.close()
    texts = [m for _, m in msgs]
    assert any(m.startswith("READY=1") for m in texts), texts
    wd = [t for t, m in msgs if m == "WATCHDOG=1"]
    # half of 600 ms = 300 ms: 1.6 s gives 4 or 5 pings, spaced well under 600 ms.
    assert len(wd) >= 4, f"{len(wd)} WATCHDOG=1 in 1.6 s"
    gaps = [b - a for a, b in zip(wd, wd[1:])]
    assert max(gaps) < 0.6, f"watchdog gaps {gaps} (the deadline is 0.6 s)"
    assert "STOPPING=1" in texts, texts
    assert rc == 0 and took < 2.0, f"SIGTERM: exit {rc} after {took:.2f}s"


def test_stats_and_two_outputs(tmp, lst):
    path = os.path.join(tmp, "corr.sock")
    fpath = os.path.join(tmp, "both.log")
    # The socket output has no receiver at all: the file must not suffer.
    d = Daemon(tmp, lst.port, unix_output(path) +
               f"  - type: file\n    params:\n      path: {fpath}\n")
    send_hellos(lst.port, 25)
    ok = wait_for(lambda: os.path.exists(fpath) and sum(1 for _ in open(fpath)) >= 25, 5)
    rc, _ = d.stop()
    assert ok, "file output stalled by the failing socket output"
    st = d.final_stats()
    assert st["hellos"]["records"] == 25, st["hellos"]
    assert st["flows"]["syns"] >= 25


def test_auto_without_bpf_rights_falls_back(tmp, lst):
    """auto mode with CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN dropped: pcap, reason logged."""
    if not shutil.which("capsh"):
        raise SkipTest("capsh not installed (libcap2-bin)")
    path = os.path.join(tmp, "corr.sock")
    r = Receiver(path)
    d = Daemon(tmp, lst.port, unix_output(path), mode="auto",
               wrap=("capsh", "--drop=cap_bpf,cap_sys_admin,cap_perfmon", "--", "-c",
                     'exec "$0" "$@"'))
    send_hellos(lst.port, 20)
    ok = wait_for(lambda: len(r.records) >= 20, 5)
    d.proc.send_signal(signal.SIGTERM)
    d.proc.wait(5)
    r.close()
    log = d.log()
    started = [l for l in log if l.get("message") == "capture started"]
    why = [l["message"] for l in log if "capture_mode auto" in l.get("message", "")]
    assert started and started[0]["mode"] == "pcap", started
    assert why and "CAP_BPF" in why[0] and "-> pcap" in why[0], why
    assert ok, f"received {len(r.records)} of 20 in the fallback mode"


def test_tc_mode_on_loopback(tmp, lst):
    """The eBPF path end to end on lo: ring buffer events through the same pipeline."""
    path = os.path.join(tmp, "corr.sock")
    r = Receiver(path)
    d = Daemon(tmp, lst.port, unix_output(path), mode="tc")
    send_hellos(lst.port, 30)
    ok = wait_for(lambda: len(r.records) >= 30, 5)
    rc, _ = d.stop()
    r.close()
    k = d.final_stats()["kernel"]
    assert ok, f"received {len(r.records)} of 30"
    assert rc == 0
    assert k["syn_events"] == 30 and k["payload_events"] == 30, k
    assert not os.path.exists("/sys/fs/bpf/ja4sentinel"), "pins left after a clean stop"
    out = subprocess.run(["tc", "filter", "show", "dev", "lo", "ingress"],
                         capture_output=True, text=True).stdout
    assert "j4s_tc" not in out, out


def test_pcap_on_any(tmp, lst):
    """pcap on the any device (cooked link type, the default interface). The
    hellos go over loopback, which local_ips: [] leaves out with "any": the
    address is listed."""
    path = os.path.join(tmp, "corr.sock")
    r = Receiver(path)
    d = Daemon(tmp, lst.port, unix_output(path), iface="any",
               extra_core="  local_ips: [127.0.0.1]\n")
    send_hellos(lst.port, 10)
    ok = wait_for(lambda: len(r.records) >= 10, 5)
    rc, _ = d.stop()
    r.close()
    started = [l for l in d.log() if l.get("message") == "capture started"][0]
    assert started["link_type"] in ("LINUX_SLL2", "LINUX_SLL"), started
    assert ok, f"received {len(r.records)} of 10 on any"
    assert rc == 0


def test_stuck_correlator(tmp, lst):
    """A receiver that is alive but never reads: queue bounded, drops counted,
    capture unaffected (every hello still fingerprinted)."""
    path = os.path.join(tmp, "corr.sock")
    stuck = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    stuck.bind(path)
    d = Daemon(tmp, lst.port, unix_output(path, buf=50))
    t0 = time.time()
    send_hellos(lst.port, 150)
    took = time.time() - t0
    time.sleep(1.0)
    rc, stop_took = d.stop()
    stuck.close()
    st = d.final_stats()
    out = next(iter(st["outputs"].values()))
    assert st["hellos"]["records"] == 150, st["hellos"]
    # What the socket took (its queue) + what stayed queued + drops = records.
    assert out["dropped"] >= 150 - 50 - 64, out
    assert out["sent"] + out["queued"] + out["dropped"] == 150, out
    assert out["queued"] <= 50, out
    assert rc == 0 and stop_took < 2.5, f"stop took {stop_took:.2f}s"
    assert took < 10, "clients slowed down by the stuck correlator"


def test_local_ips_in_tc_and_pcap(tmp, lst):
    """core.local_ips keeps hellos to a listed address and drops the rest, the
    same way in the kernel program and in the pcap filter."""
    for mode in ("tc", "pcap"):
        for local, want in (("127.0.0.1", 8), ("127.0.0.2", 0)):
            sub = os.path.join(tmp, f"{mode}-{want}")
            os.mkdir(sub)
            path = os.path.join(sub, "corr.sock")
            r = Receiver(path)
            d = Daemon(sub, lst.port, unix_output(path), mode=mode,
                       extra_core=f"  local_ips: [{local}]\n")
            send_hellos(lst.port, 8)
            wait_for(lambda: len(r.records) >= want and want, 4)
            time.sleep(0.3)
            rc, _ = d.stop()
            r.close()
            assert rc == 0
            assert len(r.records) == want, f"{mode} local_ips {local}: {len(r.records)} records, want {want}"


METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)')


def parse_prometheus(text):
    """A strict reader of the Prometheus text format (0.0.4): every family has
    one # HELP and one # TYPE before its samples, names match the metric-name
    rule, counters end in _total and are >= 0, values are floats, labels are
    well formed, no family or series twice. Returns {(name, labels): value}
    and {name: type}."""
    assert text.endswith("\n"), "the file does not end with a newline"
    series, types, helps, seen_families = {}, {}, {}, []
    current = None
    for n, line in enumerate(text.splitlines(), 1):
        where = f"line {n}: {line!r}"
        if line.startswith("# HELP "):
            name, _, doc = line[7:].partition(" ")
            assert METRIC_NAME.match(name) and doc.strip(), where
            assert name not in helps, f"{where}: second HELP"
            helps[name] = doc
            current = name
            seen_families.append(name)
        elif line.startswith("# TYPE "):
            name, _, typ = line[7:].partition(" ")
            assert name == current and name not in types, f"{where}: TYPE not after its HELP"
            assert typ in ("counter", "gauge"), where
            types[name] = typ
        elif line.startswith("#") or not line.strip():
            raise AssertionError(f"{where}: unexpected comment or blank line")
        else:
            m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$", line)
            assert m, f"{where}: not a sample"
            name, labels, value = m.group(1), m.group(3) or "", float(m.group(4))
            assert name == current and name in types, f"{where}: sample outside its family"
            rest, pairs = labels, []
            while rest:
                lm = LABEL.match(rest)
                assert lm, f"{where}: bad labels"
                pairs.append((lm.group(1), lm.group(2)))
                rest = rest[lm.end():]
            key = (name, tuple(sorted(pairs)))
            assert key not in series, f"{where}: series twice"
            if types[name] == "counter":
                assert name.endswith("_total") and value >= 0, where
            series[key] = value
    assert len(set(seen_families)) == len(seen_families)
    assert all(f in types for f in helps), "a HELP without TYPE"
    return series, types


def test_live_state(tmp, lst):
    """STATUS= for systemctl status, SIGUSR1's full counters, and the
    Prometheus text file: parsed strictly, counts right, removed at stop."""
    npath = os.path.join(tmp, "notify.sock")
    prom = os.path.join(tmp, "textfile", "ja4sentinel.prom")
    os.mkdir(os.path.dirname(prom))
    ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ns.bind(npath)
    ns.settimeout(0.1)
    old_umask = os.umask(0o027)  # the packaged unit's UMask=
    try:
        d = Daemon(tmp, lst.port, "  - type: stdout\n"
                   f"metrics:\n  textfile: {prom}\n  period_sec: 1\n",
                   env={"NOTIFY_SOCKET": npath})
    finally:
        os.umask(old_umask)
    send_hellos(lst.port, 7)

    def scraped():
        try:
            series, _ = parse_prometheus(open(prom).read())
        except FileNotFoundError:
            return None
        return series if series.get(("ja4sentinel_hellos_records_total", ())) == 7 else None
    ok = wait_for(scraped, 5)
    series, types = parse_prometheus(open(prom).read())
    assert ok, f"the text file never counted 7 records: {open(prom).read()[-600:]}"
    assert types["ja4sentinel_flows_active"] == "gauge"
    assert types["ja4sentinel_output_queued"] == "gauge"
    assert [n for n, t in types.items() if n.endswith("quic_active") and t == "gauge"], \
        "live QUIC connections go down: a gauge"
    assert os.stat(prom).st_mode & 0o777 == 0o644, "node_exporter's user must read it"
    assert series[("ja4sentinel_output_sent_total", (("output", "stdout"),))] == 7
    assert series[("ja4sentinel_flows_syns_total", ())] >= 7
    assert ("ja4sentinel_kernel_dropped_total", ()) in series, "pcap's kernel counters"
    info = [dict(labels) for (name, labels), v in series.items()
            if name == "ja4sentinel_info" and v == 1]
    assert info and info[0]["mode"] == "pcap" and info[0]["interfaces"] == "lo", info
    assert not [f for f in os.listdir(os.path.dirname(prom)) if f != "ja4sentinel.prom"], \
        "a temporary file is left beside the text file"
    d.proc.send_signal(signal.SIGUSR1)
    d.wait_log("counters (SIGUSR1)", 3)
    usr1 = [l for l in d.log() if l.get("message") == "counters (SIGUSR1)"][-1]
    assert usr1["hellos"]["records"] == 7, usr1["hellos"]
    assert usr1["packets"]["captured_short"] == 0, "SIGUSR1 leaves zeros out"
    assert d.proc.poll() is None, "SIGUSR1 killed the daemon"
    msgs = []
    end = time.time() + 1
    while time.time() < end:
        try:
            msgs.append(ns.recv(4096).decode())
        except socket.timeout:
            pass
    rc, _ = d.stop()
    while True:
        try:
            msgs.append(ns.recv(4096).decode())
        except socket.timeout:
            break
    ns.close()
    status = [m for m in msgs if re.match(r"STATUS=pcap on lo: [0-9.]+ hellos/s, \d+ records, "
                                          r"\d+ lost$", m)]
    assert rc == 0
    # READY=1 says STATUS=capturing; the first counted STATUS= follows within a tick.
    assert status, msgs
    assert not os.path.exists(prom), "the text file outlived the daemon"


def test_metrics_quic_off(tmp, lst):
    """core.quic: false puts udp_ignored among the packet counters: the
    text file is written (it once crashed on a counter outside a group)."""
    prom = os.path.join(tmp, "off.prom")
    d = Daemon(tmp, lst.port, "  - type: stdout\n"
               f"metrics:\n  textfile: {prom}\n  period_sec: 1\n",
               extra_core="  quic: false\n")
    send_hellos(lst.port, 2)
    ok = wait_for(lambda: os.path.exists(prom) and
                  ("ja4sentinel_hellos_records_total", ()) in parse_prometheus(open(prom).read())[0]
                  and parse_prometheus(open(prom).read())[0][("ja4sentinel_hellos_records_total", ())] == 2, 5)
    assert d.proc.poll() is None, "the daemon died writing the text file"
    assert ok, "the text file never counted 2 records"
    series, _ = parse_prometheus(open(prom).read())
    assert ("ja4sentinel_packets_udp_ignored_total", ()) in series
    rc, _ = d.stop()
    assert rc == 0


TESTS = [test_correlator_starts_late, test_correlator_restarts, test_slow_correlator,
         test_queue_bounded_drop_oldest, test_file_rotation_sighup, test_notify_and_sigterm,
         test_stats_and_two_outputs, test_auto_without_bpf_rights_falls_back,
         test_tc_mode_on_loopback, test_pcap_on_any, test_stuck_correlator,
         test_local_ips_in_tc_and_pcap, test_live_state, test_metrics_quic_off, test_file_hostile_paths_at_sighup,
         test_file_full_then_reopen_line_finished, test_file_full_then_reopen_new_file_whole]


def main():
    def teardown(tmp, lst):
        lst.close()
        subprocess.run(["pkill", "-f", os.path.join(tmp, "config.yml")], check=False)

    def explain(tmp):
        d_log = os.path.join(tmp, "daemon.log")
        return open(d_log).read().splitlines()[-8:] if os.path.exists(d_log) else []

    # Namespaces of their own: the tests run daemons on lo with the default
    # pin directory, which another run on the same host would share.
    return lib.run_tests(TESTS, "daemon", "packet capture", "j4s-daemon-",
                         setup=lambda tmp: (Listener(),), teardown=teardown, explain=explain,
                         before=lambda: lib.private_namespaces("J4S_DAEMON_INSIDE"))


if __name__ == "__main__":
    sys.exit(main())
