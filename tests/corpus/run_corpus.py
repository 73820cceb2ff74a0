#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Corpus test: every capture with an expected file goes through
`ja4sentinel --read` and its records are compared with the expected entries.

Expected files list every ClientHello tshark saw. The daemon must give one
record for each TCP hello that is the first of its stream and sits at the
stream start, and for each QUIC hello (the first of its connection), with every listed field equal, and no other record. Field map:
expected `ja3_full` (string) -> record `ja3`, expected `ja3` (MD5) -> record
`ja3_hash`, `sni` -> `tls_sni`; any other key an expected entry carries that
is a record field (our own synthetic captures add metadata) must match too.
Fields an expected entry leaves out are not compared: tshark's files know
nothing of `handshake_validated`, for instance.

Prints one line per capture and a closing `N passed, N failed, N skipped`.
"""
import argparse
import glob
import ipaddress
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
    # QUIC hellos too (design.md §6): one record per QUIC connection.
    return (entry.get("transport") in ("tcp", "quic") and entry.get("hello_in_stream", 1) == 1
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


# Peer suites (../shared/testdata/peer-suites, README there): their QUIC
# hellos. Where a peer departs from the JA4 spec the comparison adjusts the
# expectation and says why, once per capture. Entries of other transports
# are not scored: "dtls" (JA4 'd', not implemented) and "udp" (Arkime's
# openvpn_synthetic.pcap: TLS inside OpenVPN over UDP, which Arkime labels
# 'q'; the spec's 'q' is QUIC only, and no QUIC Initial carries it).
PEER_FIELDS = {"ja4": "ja4", "ja4_r": "ja4_r", "ja4_o": "ja4_o", "ja4_ro": "ja4_ro",
               "ja3": "ja3", "ja3_hash": "ja3_hash", "sni": "tls_sni", "alpn": "tls_alpn",
               "tls_version": "tls_version"}


def peer_adjust(suite, expect):
    """The expectation as the spec has it, and the deviations found."""
    exp = dict(expect)
    notes = []
    ja4 = exp.get("ja4")
    if suite == "ndpi" and ja4 and exp.get("alpn") and ja4[8:10] == "h0":
        # nDPI prints ALPN code "h0" for "h3" on QUIC: the JA4 spec takes the
        # first and last characters of the first ALPN value ("h3" -> "h3").
        exp["ja4"] = ja4[:8] + exp["alpn"][0] + exp["alpn"][-1] + ja4[10:]
        notes.append("nDPI ALPN code h0 for h3 (spec: first+last char of the first ALPN)")
    return exp, notes


def peer_match(m, rec):
    if m.get("any"):
        return True
    if "endpoints" in m:
        # Addresses compared as addresses: nDPI writes "b00c::43fe" where
        # RFC 5952 (and the record) has "b00c:0:43fe".
        (a, ap), (b, bp) = [(ipaddress.ip_address(h), port) for h, port in m["endpoints"]]
        got = (ipaddress.ip_address(rec["src_ip"]), rec["src_port"],
               ipaddress.ip_address(rec["dst_ip"]), rec["dst_port"])
        return got in ((a, ap, b, bp), (b, bp, a, ap))
    return all(rec.get(k) == v for k, v in m.items())


def check_peer_quic(args, suite_dir):
    """One result per capture of the suite that has QUIC hellos."""
    try:
        with open(os.path.join(suite_dir, "expected.json")) as f:
            suite = json.load(f)
    except OSError:
        return []
    name = os.path.basename(suite_dir)
    by_pcap = {}
    for e in suite.get("entries", []):
        if e.get("transport") == "quic":
            by_pcap.setdefault(e["pcap"], []).append(e)
    out = []
    for pcap, entries in sorted(by_pcap.items()):
        label = f"{name}/{pcap} (QUIC)"
        cap = os.path.join(suite_dir, pcap)
        if not os.path.isfile(cap):
            out.append(("skip", f"{label}: capture not in the suite copy"))
            continue
        p = run_one(args.binary, args.wrap, args.config, cap)
        if p.returncode != 0:
            out.append(("fail", f"{label}: exit {p.returncode}"))
            continue
        recs = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
        recs = [r for r in recs if "quic_version" in r]
        errs, notes = [], []
        for e in entries:
            exp, n = peer_adjust(name, e["expect"])
            notes += n
            got = [r for r in recs if peer_match(e["match"], r)]
            want = e.get("count") or (None if e["match"].get("any") else 1)
            if not got or (want is not None and len(got) != want):
                errs.append(f"{e['match']}: {len(got)} record(s), want {want or '>= 1'}")
            for r in got:
                for ek, rk in PEER_FIELDS.items():
                    if ek in exp and r.get(rk) != exp[ek]:
                        errs.append(f"{e['match']} {rk}: got {r.get(rk)!r}, want {exp[ek]!r}")
        if errs:
            out.append(("fail", f"{label}:\n    " + "\n    ".join(errs)))
        else:
            dev = f"; deviation: {'; '.join(sorted(set(notes)))}" if notes else ""
            out.append(("pass", f"{label}: {len(entries)} expectation(s), "
                                f"{len(recs)} QUIC record(s){dev}"))
    return out


# The same ok/FAIL/SKIP lines as the shell scripts (tests/lib.sh).
LINE = {"pass": "ok", "fail": "FAIL", "skip": "SKIP"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default="build/ja4sentinel")
    ap.add_argument("--config", default="tests/corpus/raw.yml")
    ap.add_argument("--wrap", default="", help="command to run the binary under (valgrind ...)")
    ap.add_argument("--peers", default="../shared/testdata/peer-suites",
                    help="peer suites whose QUIC hellos are scored ('' for none)")
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
    if args.peers and not args.dirs:
        if not os.path.isdir(args.peers):
            print(f"SKIP {args.peers}: directory not found")
            counts["skip"] += 1
        for suite in sorted(glob.glob(os.path.join(args.peers, "*", "expected.json"))):
            for verdict, text in check_peer_quic(args, os.path.dirname(suite)):
                counts[verdict] += 1
                print(f"{LINE[verdict]} {text}")
    print(f"{counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped")
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
