# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""What the Python test scripts share, as tests/lib.sh is for shell: the
binary under test, SkipTest, and the loop that runs the tests and prints
`ok`/`FAIL`/`SKIP` lines and `N passed, N failed, N skipped`, the count
tests/run.sh reads.

A script imports it after putting tests/ on sys.path:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import lib  # noqa: E402
"""
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Absolute: the tests may run it from another working directory.
BIN = os.path.abspath(os.environ.get("JA4SENTINEL", os.path.join(ROOT, "build", "ja4sentinel")))


class SkipTest(Exception):
    """A test that cannot run here, with the reason."""


def read_capture(binary, wrap, cap, conf, timeout=600):
    """`binary --config conf --read cap` under the wrapper command wrap
    (valgrind, say): its records and its final stats line (a dict, empty
    when there is none). A non-zero exit raises RuntimeError."""
    cmd = shlex.split(wrap) + [binary, "--config", conf, "--read", cap]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError("exit %d: %s" % (r.returncode, r.stderr.decode()[-300:]))
    stats = {}
    for line in r.stderr.decode().splitlines():
        if '"final stats"' in line:
            stats = json.loads(line)
    return [json.loads(l) for l in r.stdout.decode().splitlines() if l.startswith("{")], stats


class Tally:
    """ok/FAIL/SKIP lines and the count line tests/run.sh reads, for the
    scripts that check case after case without run_tests()."""

    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def ok(self, msg):
        self.passed += 1
        print("ok " + msg)

    def bad(self, msg):
        self.failed += 1
        print("FAIL " + msg)

    def skip(self, msg):
        self.skipped += 1
        print("SKIP " + msg)

    def finish(self):
        """Print the count; the exit status: 1 if a case failed."""
        print(f"{self.passed} passed, {self.failed} failed, {self.skipped} skipped")
        return 1 if self.failed else 0


def run_tests(tests, what, root_for, prefix, setup=None, teardown=None, explain=None,
              before=None):
    """Run TESTS (functions; sys.argv[1:], if given, names those to run),
    each in a temporary directory of its own (PREFIX...), and print one
    line per test and the count. Without root every test is skipped with
    ROOT_FOR as the reason; without the binary every test fails.
    before(): once, before the first test. setup(tmp) returns the test's
    arguments after tmp; teardown(tmp, *args) runs after it, however it
    ended; explain(tmp) gives lines to print under a FAIL (a log tail),
    while tmp is still there. Returns the exit status: 1 if a test failed."""
    if os.geteuid() != 0:
        print(f"SKIP {what} tests: need root for {root_for} ({len(tests)} tests)")
        print(f"0 passed, 0 failed, {len(tests)} skipped")
        return 0
    if not os.access(BIN, os.X_OK):
        print(f"FAIL {BIN} not built")
        print(f"0 passed, {len(tests)} failed, 0 skipped")
        return 1
    if before:
        before()
    passed = failed = skipped = 0
    only = sys.argv[1:]
    for t in tests:
        if only and t.__name__ not in only:
            continue
        tmp = tempfile.mkdtemp(prefix=prefix)
        args = setup(tmp) if setup else ()
        t0 = time.time()
        try:
            t(tmp, *args)
            print(f"ok {t.__name__} ({time.time() - t0:.1f} s)")
            passed += 1
        except SkipTest as e:
            print(f"SKIP {t.__name__}: {e}")
            skipped += 1
        except Exception as e:  # noqa: BLE001 - report any failure of the test
            print(f"FAIL {t.__name__}: {e}")
            lines = explain(tmp) if explain else []
            if lines:
                print("    " + "\n    ".join(lines))
            failed += 1
        finally:
            if teardown:
                teardown(tmp, *args)
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


def private_namespaces(flag):
    """Run this script again under unshare -n -m (FLAG in the environment
    marks the second run) and, in it, make every mount private, mount a
    sysfs of the new network namespace and a bpffs of its own on
    /sys/fs/bpf, and bring lo up: the tests' daemons, pins, locks and
    loopback traffic are their own, whatever else runs on the host (another
    test run, a ja4sentinel service). Returns only in the second run."""
    if not os.environ.get(flag):
        os.environ[flag] = "1"
        os.execvp("unshare", ["unshare", "-n", "-m", sys.executable] + sys.argv)
    for cmd in (["mount", "--make-rprivate", "/"], ["mount", "-t", "sysfs", "sysfs", "/sys"],
                ["mount", "-t", "bpf", "bpf", "/sys/fs/bpf"], ["ip", "link", "set", "lo", "up"]):
        subprocess.run(cmd, check=True)
