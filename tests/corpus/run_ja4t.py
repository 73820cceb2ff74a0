#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""JA4T corpus test: the captures of ../shared/testdata/foxio through
`ja4sentinel --read` with fingerprints.ja4t on; every record's `ja4t` must
equal the value FoxIO's reference implementation gives for that connection
(tests/corpus/ja4t_foxio.json), and every record of a connection whose SYN
is in the capture must carry one. A second run with JA4T off (the default)
must carry none.

Prints one line per capture and a closing `N passed, N failed, N skipped`.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run_read(args, config, cap):
    env = dict(os.environ)
    env.pop("JA4SENTINEL_PORTS", None)
    p = subprocess.run(args.wrap + [args.binary, "--config", config, "--read", cap],
                       capture_output=True, text=True, env=env, timeout=600)
    if p.returncode != 0:
        raise RuntimeError(f"exit {p.returncode}: " + p.stderr.strip()[-300:])
    return [json.loads(line) for line in p.stdout.splitlines()]


def ports_of(r):
    """A connection of one capture, by its ports (ja4t_foxio.json names no
    address; the ports are unique within each capture)."""
    return (r["src_port"], r["dst_port"])


def check(args, cap, golden):
    want = {ports_of(g): g["ja4t"] for g in golden}
    errs, n = [], 0
    for r in run_read(args, args.config, cap):
        k = ports_of(r)
        has_syn = "syn_to_clienthello_ms" in r
        if k not in want:
            if "ja4t" in r:
                errs.append(f"{r['conn_id']}: ja4t {r['ja4t']!r}, the reference has none")
            continue
        n += 1
        if not has_syn and "ja4t" not in r:
            continue  # SYN not seen by us: no JA4T (the reference saw one)
        if r.get("ja4t") != want[k]:
            errs.append(f"{r['conn_id']}: ja4t {r.get('ja4t')!r}, want {want[k]!r}")
    if n == 0:
        errs.append("no record of a connection the reference fingerprinted")
    for r in run_read(args, os.path.join(HERE, "raw.yml"), cap):
        if "ja4t" in r:
            errs.append(f"{r['conn_id']}: ja4t present with fingerprints.ja4t off")
    return errs, n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default="build/ja4sentinel")
    ap.add_argument("--config", default=os.path.join(HERE, "ja4t.yml"))
    ap.add_argument("--golden", default=os.path.join(HERE, "ja4t_foxio.json"))
    ap.add_argument("--wrap", default="", help="command to run the binary under")
    ap.add_argument("dir", nargs="?", default="../shared/testdata/foxio")
    args = ap.parse_args()
    args.wrap = args.wrap.split()
    with open(args.golden) as f:
        golden = json.load(f)["captures"]
    counts = {"pass": 0, "fail": 0, "skip": 0}
    for cap, entries in sorted(golden.items()):
        path = os.path.join(args.dir, cap)
        if not os.path.isfile(path):
            print(f"SKIP {cap}: not in {args.dir}")
            counts["skip"] += 1
            continue
        try:
            errs, n = check(args, path, entries)
        except (RuntimeError, ValueError, OSError, subprocess.TimeoutExpired) as ex:
            errs, n = [str(ex)], 0
        if errs:
            counts["fail"] += 1
            print(f"FAIL {cap}:\n    " + "\n    ".join(errs))
        else:
            counts["pass"] += 1
            print(f"ok {cap}: {n} JA4T")
    print(f"{counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped")
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
