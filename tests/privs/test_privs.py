#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""
Least privilege and safe start/stop of the daemon (issue 14 items 1, 2, 4):
capabilities kept once capture runs, in each mode; SIGTERM still detaches
after the drop; the pin directory refused when it is not the daemon's; a
second instance refused without touching the first; SIGPIPE; signals during
start-up; two stop signals at once.

The script re-runs itself in a network and mount namespace of its own
(unshare -n -m): lo, a veth pair, sysfs and every bpffs mount are private,
so nothing it attaches or mounts is seen by the host or by tests running
beside it. Every pin directory is on a bpffs mounted under the test's
temporary directory, except in the test of the daemon's own bpffs mount.
    tests/privs/test_privs.py [TEST...]     (root; JA4SENTINEL = the binary)
"""
import json
import os
import signal
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import lib  # noqa: E402
from lib import BIN, ROOT, SkipTest  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "tests", "daemon"))
from test_daemon import HELLO, Listener, send_hellos, wait_for  # noqa: E402

CAP_NET_ADMIN = 1 << 12
DEFAULT_PIN = "/sys/fs/bpf/ja4sentinel"
SETS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")


def sh(*cmd, check=True):
    return subprocess.run(cmd, capture_output=True, text=True, check=check)


class Daemon:
    """ja4sentinel with a config of its own; stderr (JSON lines) in a file."""

    def __init__(self, tmp, mode, iface="lo", port=443, pin_dir=None, env=None, name="d",
                 wait="capture started", wrap=()):
        self.tmp = tmp
        self.pin_dir = pin_dir or os.path.join(tmp, "bpffs", name)
        if pin_dir == "":
            self.pin_dir = DEFAULT_PIN  # not in the config: the default
        self.out = os.path.join(tmp, name + ".json")
        self.cfg = os.path.join(tmp, name + ".yml")
        with open(self.cfg, "w") as f:
            f.write(f"core:\n  interface: {iface}\n  capture_mode: {mode}\n"
                    f"  listen_ports: [{port}]\n  flow_timeout_sec: 5\n")
            if pin_dir != "":
                f.write(f"  pin_dir: {self.pin_dir}\n")
            f.write(f"outputs:\n  - type: file\n    enabled: true\n"
                    f"    params:\n      path: {self.out}\n")
        self.errname = os.path.join(tmp, name + ".log")
        e = dict(os.environ)
        e.update(env or {})
        with open(self.errname, "w") as err:
            self.proc = subprocess.Popen(list(wrap) + [BIN, "--config", self.cfg],
                                         stdout=subprocess.DEVNULL, stderr=err, env=e)
        if wait:
            self.wait_log(wait, 10)

    def text(self):
        with open(self.errname) as f:
            return f.read()

    def log(self):
        return [json.loads(l) for l in self.text().splitlines() if l.startswith("{")]

    def wait_log(self, text, timeout):
        if not wait_for(lambda: any(text in l.get("message", "") for l in self.log())
                        or self.proc.poll() is not None, timeout):
            raise AssertionError(f"no log line '{text}' within {timeout}s")
        if not any(text in l.get("message", "") for l in self.log()):
            raise AssertionError(f"daemon exited ({self.proc.returncode}) before '{text}': "
                                 + self.text()[-1500:])

    def caps(self):
        out = {}
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in SETS:
                    out[k] = int(v, 16)
        return out

    def stop(self, sig=signal.SIGTERM, timeout=10):
        self.proc.send_signal(sig)
        return self.proc.wait(timeout)

    def records(self):
        if not os.path.exists(self.out):
            return 0
        with open(self.out) as f:
            return sum(1 for l in f if l.strip())

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def prog_ids(pin_dir):
    """Ids of the programs pinned in pin_dir."""
    ids = []
    for name in ("j4s_tc", "j4s_tc_egress", "j4s_xdp"):
        p = os.path.join(pin_dir, name)
        if os.path.exists(p):
            ids.append(json.loads(sh("bpftool", "-j", "prog", "show", "pinned", p).stdout)["id"])
    return ids


def assert_detached(d, ids, iface):
    """Nothing of d left: its programs freed (so attached nowhere), no pins,
    no clsact filter, no XDP program on iface."""
    assert ids, "no pinned program to follow"

    def left():  # a detached program is freed after an RCU grace period
        return [i for i in ids
                if sh("bpftool", "prog", "show", "id", str(i), check=False).returncode == 0]
    assert wait_for(lambda: not left(), 3), f"programs {left()} still loaded: still attached"
    assert not os.path.exists(d.pin_dir), f"{d.pin_dir} left after the stop"
    for side in ("ingress", "egress"):
        out = sh("tc", "filter", "show", "dev", iface, side).stdout
        assert "j4s_" not in out, out
    assert " xdp" not in sh("ip", "link", "show", "dev", iface).stdout


def check_caps(tmp, mode, iface, want, env=None, wrap=(), bnd=None):
    d = Daemon(tmp, mode, iface=iface, env=env, wrap=wrap)
    try:
        if callable(want):
            want = want(d)
        caps = d.caps()
        ids = prog_ids(d.pin_dir)
        exp = {"CapInh": 0, "CapPrm": want, "CapEff": want,
               "CapBnd": want if bnd is None else bnd, "CapAmb": 0}
        assert caps == exp, f"{mode}: {({k: hex(v) for k, v in caps.items()})}, want " \
                            f"{({k: hex(v) for k, v in exp.items()})}"
        with open(f"/proc/{d.proc.pid}/status") as f:
            seccomp = [l.split()[1] for l in f if l.startswith("Seccomp:")]
        assert seccomp == ["2"], f"Seccomp: {seccomp}, want 2 (the bpf() filter)"
        assert "bpf() limited to objects held by fd" in d.text(), d.text()[-800:]
        rc = d.stop()
        assert rc == 0, f"exit {rc}: {d.text()[-800:]}"
        if mode != "pcap":
            assert_detached(d, ids, iface)
    finally:
        d.kill()


def test_caps_tc_tcx(tmp):
    """tc with TCX links: nothing kept; SIGTERM detaches."""
    def want(d):
        if "with a TCX link" not in d.text():
            d.stop()
            raise SkipTest(f"kernel {os.uname().release} has no TCX links (clsact: "
                           "test_caps_tc_clsact)")
        return 0
    check_caps(tmp, "tc", "v0", want)


def test_caps_tc_clsact(tmp):
    """tc through clsact (kernels before 6.6): CAP_NET_ADMIN kept, and enough."""
    check_caps(tmp, "tc", "v0", CAP_NET_ADMIN, env={"JA4SENTINEL_TEST_NO_TCX": "1"})


def test_caps_xdp(tmp):
    """xdp attached alone by libxdp (no dispatcher here): CAP_NET_ADMIN kept."""
    check_caps(tmp, "xdp", "v0", CAP_NET_ADMIN)


def test_caps_pcap(tmp):
    """pcap: nothing kept once the socket is open."""
    check_caps(tmp, "pcap", "v0", 0)


# The unit's start-up set: no CAP_SETPCAP, so the bounding set stays; NNP.
UNIT_BND = (1 << 39) | (1 << 38) | CAP_NET_ADMIN | (1 << 13)
UNIT_WRAP = ("setpriv", "--no-new-privs", "--bounding-set", "-all,+bpf,+perfmon,+net_admin,+net_raw")


def test_caps_unit_start_set(tmp):
    """Started as the unit starts it (four capabilities, no_new_privs): tc
    (clsact) and xdp still drop to CAP_NET_ADMIN and detach at stop; the
    bounding set stays the unit's, and the log says why."""
    env = {"JA4SENTINEL_TEST_NO_TCX": "1"}
    check_caps(tmp, "tc", "v0", CAP_NET_ADMIN, env=env, wrap=UNIT_WRAP, bnd=UNIT_BND)
    check_caps(tmp, "xdp", "v0", CAP_NET_ADMIN, wrap=UNIT_WRAP, bnd=UNIT_BND)
    assert "bounding set left as it was (no CAP_SETPCAP)" in open(os.path.join(tmp, "d.log")).read()


def test_mounts_bpffs_0700(tmp):
    """No bpffs on /sys/fs/bpf: the daemon mounts one, mode 0700, and its
    default pin directory in it is 0700 too."""
    if os.path.ismount("/sys/fs/bpf"):
        sh("umount", "/sys/fs/bpf")
    d = Daemon(tmp, "tc", iface="v0", pin_dir="")
    try:
        assert os.path.ismount("/sys/fs/bpf")
        for path in ("/sys/fs/bpf", DEFAULT_PIN):  # bpffs's root is always sticky
            mode = os.stat(path).st_mode & 0o777
            assert mode == 0o700, f"{path}: mode {mode:o}"
        assert d.stop() == 0
        assert not os.path.exists(DEFAULT_PIN)
    finally:
        d.kill()
        sh("umount", "/sys/fs/bpf", check=False)


def test_auto_without_bpffs_or_mount_right(tmp):
    """auto, no bpffs and no CAP_SYS_ADMIN to mount one: capture runs on
    without pins or lock, and says so (the pin directory is no reason to
    refuse a start there)."""
    if os.path.ismount("/sys/fs/bpf"):
        sh("umount", "/sys/fs/bpf")
    cfg, log = os.path.join(tmp, "a.yml"), os.path.join(tmp, "a.log")
    with open(cfg, "w") as f:
        f.write("core:\n  interface: v0\n  capture_mode: auto\noutputs: []\n")
    with open(log, "w") as err:
        p = subprocess.Popen(["setpriv", "--bounding-set", "-sys_admin", BIN, "--config", cfg],
                             stdout=subprocess.DEVNULL, stderr=err)
    try:
        wait_for(lambda: "capture started" in open(log).read() or p.poll() is not None, 10)
        text = open(log).read()
        assert "capture started" in text, text[-800:]
        assert "running without pins and without the single-instance lock" in text, text[-800:]
        p.send_signal(signal.SIGTERM)
        assert p.wait(10) == 0, open(log).read()[-800:]
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def refused(tmp, pin_dir, want):
    """Exit 2, as a configuration error: the directory will not change by
    itself, so the unit (RestartPreventExitStatus=2) must not restart into
    the same refusal every 5 s."""
    before = os.stat(pin_dir)
    d = Daemon(tmp, "tc", iface="v0", pin_dir=pin_dir, wait=None)
    rc = d.proc.wait(10)
    msg = d.text()
    assert rc == 2, f"exit {rc}, want 2: {msg[-800:]}"
    for w in want:
        assert w in msg, f"'{w}' not in: {msg[-800:]}"
    after = os.stat(pin_dir)
    assert (after.st_uid, after.st_mode) == (before.st_uid, before.st_mode), "directory changed"
    assert os.listdir(pin_dir) == ["planted"], os.listdir(pin_dir)
    assert "j4s_" not in sh("tc", "filter", "show", "dev", "v0", "ingress").stdout


def test_pin_dir_foreign_owner(tmp):
    """A pin directory made by another user first is refused, saying why."""
    p = os.path.join(tmp, "bpffs", "foreign")
    os.mkdir(p, 0o700)
    os.mkdir(os.path.join(p, "planted"))
    os.chown(p, 65534, 65534)
    refused(tmp, p, [p, "owned by uid 65534", "mode 0700", "rm -r", "core.pin_dir"])


def test_pin_dir_world_writable(tmp):
    """A pin directory of ours but mode 1777 is refused, saying why."""
    p = os.path.join(tmp, "bpffs", "open")
    os.mkdir(p)
    os.chmod(p, 0o1777)
    os.mkdir(os.path.join(p, "planted"))
    refused(tmp, p, [p, "owned by uid 0", "mode 1777", "writable by nobody else"])


def test_second_instance_refused(tmp):
    """A second instance with the same pin directory exits 1 naming the
    first one's PID; the first keeps its clsact filter and pins and captures."""
    lst = Listener()
    env = {"JA4SENTINEL_TEST_NO_TCX": "1"}  # clsact: the REPLACE the lock prevents
    a = Daemon(tmp, "tc", port=lst.port, env=env, name="a")
    try:
        pins = sorted(os.listdir(a.pin_dir))
        ids = prog_ids(a.pin_dir)
        filt = sh("tc", "filter", "show", "dev", "lo", "ingress").stdout
        b = Daemon(tmp, "tc", port=lst.port, env=env, name="b", pin_dir=a.pin_dir, wait=None)
        rc = b.proc.wait(10)
        assert rc == 1, f"second instance: exit {rc}: {b.text()[-800:]}"
        assert f"PID {a.proc.pid}" in b.text(), b.text()[-800:]
        assert "attached" not in b.text(), "the second instance attached something"
        assert a.proc.poll() is None, "the first instance died"
        assert sorted(os.listdir(a.pin_dir)) == pins and prog_ids(a.pin_dir) == ids
        assert sh("tc", "filter", "show", "dev", "lo", "ingress").stdout == filt
        send_hellos(lst.port, 5)
        assert wait_for(lambda: a.records() >= 5, 5), f"{a.records()} records of 5"
        assert a.stop() == 0
        assert_detached(a, ids, "lo")
    finally:
        a.kill()
        lst.close()


def delayed(tmp):
    env = {"JA4SENTINEL_TEST_NO_TCX": "1", "JA4SENTINEL_TEST_START_DELAY_MS": "1500"}
    d = Daemon(tmp, "tc", env=env, wait="test hook: start-up delayed")
    return d, prog_ids(d.pin_dir)


def test_sigterm_during_startup(tmp):
    """SIGTERM before the loop runs: a clean stop, everything detached."""
    d, ids = delayed(tmp)
    try:
        rc = d.stop()
        assert rc == 0, f"exit {rc}: {d.text()[-800:]}"
        assert_detached(d, ids, "lo")
    finally:
        d.kill()


def test_sighup_during_startup(tmp):
    """SIGHUP before the loop runs: served (outputs reopened), not fatal."""
    d, ids = delayed(tmp)
    try:
        d.proc.send_signal(signal.SIGHUP)
        d.wait_log("SIGHUP: reopening outputs", 5)
        assert d.proc.poll() is None
        assert d.stop() == 0
        assert_detached(d, ids, "lo")
    finally:
        d.kill()


def test_second_stop_signal_detaches(tmp):
    """SIGTERM then SIGINT, read together: the second cuts the flush short
    but the daemon still detaches and unpins (it used to _exit at once)."""
    d, ids = delayed(tmp)
    try:
        d.proc.send_signal(signal.SIGTERM)
        rc = d.stop(signal.SIGINT)
        assert rc == 0, f"exit {rc}: {d.text()[-800:]}"
        assert any("second" in l.get("message", "") for l in d.log()), d.text()[-800:]
        assert_detached(d, ids, "lo")
    finally:
        d.kill()


def write_pcap(path, n):
    """n IPv4 flows to port 443, each a SYN then the hello, as a pcap."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(n):
            sport = 1024 + i
            for flags, payload, seq in ((0x02, b"", 1000), (0x18, HELLO, 1001)):
                tcp = struct.pack("!HHIIBBHHH", sport, 443, seq, 0, 5 << 4, flags, 65535, 0, 0)
                ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0, 0,
                                 64, 6, 0, bytes([198, 19, i >> 8 & 255, i & 255]),
                                 bytes([198, 18, 0, 1]))
                s = sum(struct.unpack("!10H", ip))  # the header checksum, as a sender sets it
                s = (s & 0xffff) + (s >> 16)
                s = (s & 0xffff) + (s >> 16)
                ip = ip[:10] + struct.pack("!H", ~s & 0xffff) + ip[12:]
                eth = b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00"
                frame = eth + ip + tcp + payload
                f.write(struct.pack("<IIII", 1700000000, i, len(frame), len(frame)) + frame)


def test_read_into_closed_pipe(tmp):
    """--read | head -1: exit 0 with the stats line, not killed by SIGPIPE."""
    pcap = os.path.join(tmp, "many.pcap")
    write_pcap(pcap, 3000)
    err = os.path.join(tmp, "read.log")
    with open(err, "w") as e:  # like `| head -1`; Popen gives the child SIGPIPE's default
        p = subprocess.Popen([BIN, "--read", pcap], stdout=subprocess.PIPE, stderr=e)
    p.stdout.readline()
    p.stdout.close()
    try:
        rc = p.wait(20)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    text = open(err).read()
    assert rc == 0, f"--read into a closed pipe: exit {rc}: {text[-600:]}"
    assert "final stats" in text, text[-600:]


def test_read_unprivileged(tmp):
    """--read needs no privilege: as uid 65534 with no capability at all."""
    os.chmod(tmp, 0o755)
    pcap = os.path.join(tmp, "few.pcap")
    write_pcap(pcap, 20)
    os.chmod(pcap, 0o644)
    r = subprocess.run(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                        "--inh-caps", "-all", "--bounding-set", "-all", BIN, "--read", pcap],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, f"exit {r.returncode}: {r.stderr[-600:]}"
    assert len(r.stdout.splitlines()) == 20, f"{len(r.stdout.splitlines())} records of 20"
    assert "cannot drop" not in r.stderr, r.stderr[-600:]


TESTS = [test_caps_tc_tcx, test_caps_tc_clsact, test_caps_xdp, test_caps_pcap, test_caps_unit_start_set,
         test_mounts_bpffs_0700, test_auto_without_bpffs_or_mount_right,
         test_pin_dir_foreign_owner, test_pin_dir_world_writable,
         test_second_instance_refused, test_sigterm_during_startup, test_sighup_during_startup,
         test_second_stop_signal_detaches, test_read_into_closed_pipe, test_read_unprivileged]


def enter_namespaces():
    """Private namespaces (lib.private_namespaces) with a veth pair."""
    lib.private_namespaces("J4S_PRIVS_INSIDE")
    sh("ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1")
    for dev, addr in (("v0", "198.18.0.1/24"), ("v1", "198.18.0.2/24")):
        sh("ip", "addr", "add", addr, "dev", dev)
        sh("ip", "link", "set", dev, "up")


def main():
    def setup(tmp):
        bpffs = os.path.join(tmp, "bpffs")
        os.mkdir(bpffs)
        sh("mount", "-t", "bpf", "bpf", bpffs)
        return ()

    return lib.run_tests(TESTS, "privs", "namespaces and capture", "j4s-privs-",
                         setup=setup, before=enter_namespaces,
                         teardown=lambda tmp: sh("umount", os.path.join(tmp, "bpffs"), check=False))


if __name__ == "__main__":
    sys.exit(main())
