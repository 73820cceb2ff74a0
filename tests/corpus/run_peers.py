#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Peer-suite corpus test: the captures other fingerprinting projects test
with (../shared/testdata/peer-suites/<suite>/, each with an expected.json
transcribed from that project's own golden outputs) go through
`ja4sentinel --read`, and every expectation of a scored transport is
compared with our record of that connection.

A peer is another implementation, not the reference: where it departs from
the JA4 spec, tests/corpus/peer_deviations.json names the expectation, says
why the spec gives another value, and states the value the spec gives,
which our record must then carry (so a deviation is still a check).

Prints one line per capture and a closing `N passed, N failed, N skipped`.
"""
import argparse
import glob
import ipaddress
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# The captures whose hellos travel in a tunnel (found with tshark: nested
# IP, GRE, UDP encapsulations), with the `tunnel` field their records must
# carry. Scored by default (--set tunnelled); --set all scores every
# capture of the scored transports.
TUNNELLED = {
    ("ndpi", "4in6tunnel.pcap"): "ipip6",
    ("ndpi", "6in4tunnel.pcap"): "sit",
    ("ndpi", "capwap_data.pcapng"): "capwap",
    ("ndpi", "tls_invalid_reads.pcap"): "gtpu",
    ("ndpi", "vxlan.pcap"): "vxlan",
}

# Whole record fields an expectation may name (expected key -> record key).
DIRECT = {
    "ja4": "ja4", "ja4_r": "ja4_r", "ja4_o": "ja4_o", "ja4_ro": "ja4_ro",
    "ja3": "ja3", "ja3_hash": "ja3_hash", "sni": "tls_sni", "alpn": "tls_alpn",
    "tls_version": "tls_version", "ja4t": "ja4t", "tunnel": "tunnel",
}


def _part(s, sep, i):
    parts = (s or "").split(sep)
    return parts[i] if len(parts) > i else None


# Partial expectations: a piece of a record field (README of peer-suites).
PARTIAL = {
    "ja4_b": lambda r: _part(r.get("ja4"), "_", 1),
    "ja4_counts": lambda r: (r.get("ja4") or "")[4:8],
    "ja4_alpn": lambda r: (r.get("ja4") or "")[8:10],
    "ja4_r_ciphers": lambda r: _part(r.get("ja4_r"), "_", 1),
    "ja4_r_exts": lambda r: _part(r.get("ja4_r"), "_", 2),
    "sigalgs": lambda r: _part(r.get("ja4_ro"), "_", 3) or "",
    "ja3_ciphers": lambda r: _part(r.get("ja3"), ",", 1),
    "ja3_exts": lambda r: _part(r.get("ja3"), ",", 2),
}


def value_of(rec, key):
    if key in DIRECT:
        return rec.get(DIRECT[key])
    if key in PARTIAL:
        return PARTIAL[key](rec)
    return None


def check_expect(key, want, rec):
    """None when the record meets the expectation, else the difference."""
    if key == "ja3_contains":
        ok = want in (rec.get("ja3") or "")
        return None if ok else f"ja3 does not contain {want!r}"
    if key == "ja3_hash_not":
        ok = rec.get("ja3_hash") != want
        return None if ok else f"ja3_hash is {want!r}"
    if key not in DIRECT and key not in PARTIAL:
        return f"unknown expectation {key!r}"
    got = value_of(rec, key)
    return None if got == want else f"{key}: got {got!r}, want {want!r}"


def addr(text):
    """An address as a value: peers print IPv6 in forms RFC 5952 does not
    (nDPI shortens a single zero group to '::'), the record in RFC 5952."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return text


def matches(m, rec):
    s = (addr(rec["src_ip"]), rec["src_port"])
    d = (addr(rec["dst_ip"]), rec["dst_port"])
    if "any" in m:
        return True
    if "endpoints" in m:
        a, b = ((addr(x[0]), x[1]) for x in m["endpoints"])
        return {a, b} == {s, d}
    if "endpoint" in m:
        return (addr(m["endpoint"][0]), m["endpoint"][1]) in (s, d)
    for k in ("src_ip", "dst_ip"):
        if k in m and addr(rec[k]) != addr(m[k]):
            return False
    for k in ("src_port", "dst_port"):
        if k in m and rec[k] != m[k]:
            return False
    return True


def ports_of(m):
    """An expectation's match by its ports alone, sorted: how
    peer_deviations.json names the connection (it copies no address of the
    peers' captures; the ports are unique among a capture's expectations)."""
    if "endpoints" in m:
        return tuple(sorted(x[1] for x in m["endpoints"]))
    if "endpoint" in m:
        return (m["endpoint"][1],)
    return tuple(sorted(m[k] for k in ("src_port", "dst_port") if k in m))


def dev_key(suite, pcap, m, field):
    return (suite, pcap, ports_of(m), field)


def load_deviations(path):
    with open(path) as f:
        devs = json.load(f)["deviations"]
    return {(d["suite"], d["pcap"], tuple(sorted(d["ports"])), d["field"]): d for d in devs}


def expectations(suite, e, devs, used):
    """The (key, value, deviation) triples an entry is checked against."""
    for k, v in e["expect"].items():
        dk = dev_key(suite, e["pcap"], e["match"], k)
        d = devs.get(dk)
        if d:
            used.add(dk)
            if d.get("peer") != v:
                yield k, None, f"deviation entry stale: peer now expects {v!r}"
                continue
            yield k, d["spec"], None
        else:
            yield k, v, None


def score_entry(suite, e, recs, taken, devs, used):
    """Errors of one entry; marks the records it consumed."""
    want = list(expectations(suite, e, devs, used))
    count = e.get("count", 1)
    cands = [i for i, r in enumerate(recs) if i not in taken and matches(e["match"], r)]
    if not cands:
        return [f"{e['match']}: no record"]
    errs = []
    for _ in range(count):
        best, best_errs = None, None
        for i in cands:
            if i in taken:
                continue
            es = [err or check_expect(k, v, recs[i]) for k, v, err in want]
            es = [x for x in es if x]
            if best is None or len(es) < len(best_errs):
                best, best_errs = i, es
            if not es:
                break
        if best is None:
            errs.append(f"{e['match']}: {count} records wanted, fewer found")
            break
        taken.add(best)
        errs += [f"{e['match']}: {x}" for x in best_errs]
    return errs


def run_read(args, cap):
    env = dict(os.environ)
    env.pop("JA4SENTINEL_PORTS", None)
    p = subprocess.run(args.wrap + [args.binary, "--config", args.config, "--read", cap],
                       capture_output=True, text=True, env=env, timeout=600)
    if p.returncode != 0:
        raise RuntimeError(f"exit {p.returncode}: " + p.stderr.strip()[-300:])
    return [json.loads(line) for line in p.stdout.splitlines()]


def without_record(suite, entries, devs, used):
    """Entries a "record" deviation covers (the spec gives no record for
    them: a peer reports a retransmitted hello again, or fingerprints a
    malformed one) are not scored; the check for extra records then holds
    us to it."""
    left, dropped = [], {}
    for e in entries:
        dk = dev_key(suite, e["pcap"], e["match"], "record")
        d = devs.get(dk)
        if d and dropped.get(dk, 0) < d.get("entries", 1):
            used.add(dk)
            dropped[dk] = dropped.get(dk, 0) + 1
            continue
        left.append(e)
    return left


def score_capture(args, suite, sdir, pcap, entries, complete, devs, used):
    recs = run_read(args, os.path.join(sdir, pcap))
    taken, errs = set(), []
    for e in without_record(suite, entries, devs, used):
        errs += score_entry(suite, e, recs, taken, devs, used)
    tun = TUNNELLED.get((suite, pcap))
    for r in recs:
        if tun and r.get("tunnel") != tun:
            errs.append(f"{r['conn_id']}: tunnel {r.get('tunnel')!r}, want {tun!r}")
    if (complete or any(k[:2] == (suite, pcap) and k[3] == "record" for k in devs)) \
            and not args.only_listed:
        for i, r in enumerate(recs):
            if i not in taken and any(matches(e["match"], r) for e in entries):
                errs.append(f"extra record {r['src_ip']}:{r['src_port']}->"
                            f"{r['dst_ip']}:{r['dst_port']}")
    return errs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default="build/ja4sentinel")
    ap.add_argument("--config", default=os.path.join(HERE, "raw.yml"))
    ap.add_argument("--wrap", default="", help="command to run the binary under")
    ap.add_argument("--transports", default="tcp", help="comma list of transports scored")
    ap.add_argument("--deviations", default=os.path.join(HERE, "peer_deviations.json"))
    ap.add_argument("--only-listed", action="store_true", help="no check for extra records")
    ap.add_argument("--pcap", action="append", help="score only these capture names")
    ap.add_argument("--set", choices=("tunnelled", "all"), default="tunnelled",
                    help="captures scored: those with tunnelled hellos, or all")
    ap.add_argument("root", nargs="?", default="../shared/testdata/peer-suites")
    args = ap.parse_args()
    args.wrap = args.wrap.split()
    transports = set(args.transports.split(","))
    devs = load_deviations(args.deviations)
    used = set()
    counts = {"pass": 0, "fail": 0, "skip": 0}
    suites = sorted(glob.glob(os.path.join(args.root, "*", "expected.json")))
    if not suites:
        print(f"SKIP peer suites: none under {args.root}")
        counts["skip"] += 1
    for exp in suites:
        sdir = os.path.dirname(exp)
        with open(exp) as f:
            doc = json.load(f)
        suite = doc["suite"]
        by_pcap = {}
        for e in doc["entries"]:
            if args.set == "tunnelled" and (suite, e["pcap"]) not in TUNNELLED:
                continue
            if e["transport"] in transports and (not args.pcap or e["pcap"] in args.pcap):
                by_pcap.setdefault(e["pcap"], []).append(e)
        for pcap, entries in sorted(by_pcap.items()):
            name = f"{suite}/{pcap}"
            try:
                errs = score_capture(args, suite, sdir, pcap, entries, doc.get("complete"),
                                     devs, used)
            except (RuntimeError, OSError, ValueError, subprocess.TimeoutExpired) as ex:
                errs = [str(ex)]
            if errs:
                counts["fail"] += 1
                print(f"FAIL {name}:\n    " + "\n    ".join(errs))
            else:
                counts["pass"] += 1
                print(f"ok {name}: {len(entries)} hello(s)")
    if not args.pcap:
        for k in sorted(set(devs) - used):
            if args.set == "tunnelled" and k[:2] not in TUNNELLED:
                continue
            if devs[k].get("transport", "tcp") in transports:
                counts["fail"] += 1
                print(f"FAIL deviation {k} matches no expectation any more")
    print(f"{counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped")
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
