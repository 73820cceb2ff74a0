#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Corpus test: every capture with an expected file goes through
`ja4sentinel --read` and its records are compared with the expected entries.

Expected files list every ClientHello tshark saw. The daemon must give one
record for each TCP hello that is the first of its stream and sits at the
stream start, with every listed field equal, and no other record. Field map:
expected `ja3_full` (string) -> record `ja3`, expected `ja3` (MD5) -> record
`ja3_hash`, `sni` -> `tls_sni`; any other key an expected entry carries that
is a record field (our own synthetic captures add metadata) must match too.
Fields an expected entry leaves out are not compared: tshark's files know
nothing of `handshake_validated`, for instance.

Prints one line per capture and a closing `N passed, N failed, N skipped`.
"""
import argparse
import glob
import json
import os
import subprocess
import sys

RECORD_KEYS = {
    "ja4", "ja4_r", "ja4_o", "ja4_ro", "syn_to_clienthello_ms", "timestamp",
    "tcp_meta_options", "tcp_meta_mss", "tcp_meta_window_scale",
    "tcp_meta_window_size", "ip_meta_ttl", "ip_meta_id", "ip_meta_df",
    "ip_meta_total_length", "tls_version", "tls_alpn", "handshake_validated", "tunnel",
}
# Keys whose absence in the record is what the expected file means by
# leaving them out (e.g. no SYN -> no syn_to_clienthello_ms).
OMITTED_WHEN_ABSENT = {"syn_to_clienthello_ms", "tcp_meta_mss", "tcp_meta_window_scale",
                      "tunnel"}


def capture_for(expected):
    base = expected[: -len(".expected.json")]
    for cand in (base, base + ".pcap", base + ".pcapng"):
        if os.path.isfile(cand):
            return cand
    return None


def wanted(entry):
    return (entry.get("transport") == "tcp" and entry.get("hello_in_stream", 1) == 1
            and entry.get("tls_at_stream_start", True) is not False)


def key_of(rec_or_entry, is_record):
    if is_record:
        return (rec_or_entry["src_ip"], rec_or_entry["src_port"],
                rec_or_entry["dst_ip"], rec_or_entry["dst_port"])
    return (rec_or_entry["src"], rec_or_entry["src_port"],
            rec_or_entry["dst"], rec_or_entry["dst_port"])


def compare(entry, rec):
    errs = []
    pairs = [("ja3_full", "ja3"), ("ja3", "ja3_hash")]
    for k in RECORD_KEYS:
        if k in entry:
            pairs.append((k, k))
    for ek, rk in pairs:
        if ek not in entry:
            continue
        if rec.get(rk) != entry[ek]:
            errs.append(f"{rk}: got {rec.get(rk)!r}, want {entry[ek]!r}")
    sni = entry.get("sni")
    if "sni" in entry and rec.get("tls_sni") != sni:
        errs.append(f"tls_sni: got {rec.get('tls_sni')!r}, want {sni!r}")
    # Our own expected files state the SYN meta explicitly: absent means omitted.
    if "ip_meta_ttl" in entry:
        for k in OMITTED_WHEN_ABSENT:
            if k not in entry and k in rec:
                errs.append(f"{k}: present ({rec[k]!r}) but expected to be omitted")
    return errs


def run_one(binary, wrap, config, cap):
    cmd = wrap + [binary, "--config", config, "--read", cap]
    env = dict(os.environ)
    env.pop("JA4SENTINEL_PORTS", None)
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    return p


def check_capture(args, expected_path):
    cap = capture_for(expected_path)
    name = os.path.relpath(expected_path)
    if cap is None:
        return "skip", f"{name}: no capture next to it"
    with open(expected_path) as f:
        entries = [e for e in json.load(f) if wanted(e)]
    p = run_one(args.binary, args.wrap, args.config, cap)
    if p.returncode != 0:
        tail = "\n    ".join(p.stderr.strip().splitlines()[-15:])
        return "fail", f"{name}: exit {p.returncode}\n    {tail}"
    records = []
    for line in p.stdout.splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as e:
            return "fail", f"{name}: output line is not JSON ({e}): {line[:120]}"
    errs = []
    by_key = {}
    for r in records:
        by_key.setdefault(key_of(r, True), []).append(r)
    for e in entries:
        k = key_of(e, False)
        got = by_key.get(k, [])
        if not got:
            errs.append(f"missing record for {k}")
            continue
        if len(got) > 1:
            errs.append(f"{len(got)} records for {k}, want 1")
        for m in compare(e, got.pop(0)):
            errs.append(f"{k} {m}")
    extra = [k for k, v in by_key.items() if v]
    for k in extra:
        errs.append(f"unexpected record for {k}")
    if errs:
        return "fail", f"{name}:\n    " + "\n    ".join(errs)
    return "pass", f"{name}: {len(entries)} record(s)"


# The same ok/FAIL/SKIP lines as the shell scripts (tests/lib.sh).
LINE = {"pass": "ok", "fail": "FAIL", "skip": "SKIP"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default="build/ja4sentinel")
    ap.add_argument("--config", default="tests/corpus/raw.yml")
    ap.add_argument("--wrap", default="", help="command to run the binary under (valgrind ...)")
    ap.add_argument("dirs", nargs="*")
    args = ap.parse_args()
    args.wrap = args.wrap.split()
    dirs = args.dirs or ["../shared/testdata/foxio", "../shared/testdata/synthetic",
                         "tests/data/synthetic"]
    counts = {"pass": 0, "fail": 0, "skip": 0}
    for d in dirs:
        if not os.path.isdir(d):
            print(f"SKIP {d}: directory not found")
            counts["skip"] += 1
            continue
        for exp in sorted(glob.glob(os.path.join(d, "*.expected.json"))):
            verdict, text = check_capture(args, exp)
            counts[verdict] += 1
            print(f"{LINE[verdict]} {text}")
    print(f"{counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped")
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
