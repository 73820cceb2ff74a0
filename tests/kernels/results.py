#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""The kernel matrix's results.

  results.py guest OUTDIR
      (in the guest, at the end of tests/kernels/guest.sh) turn what
      guest.sh left in OUTDIR into OUTDIR/result.json
  results.py matrix [--doc FILE] NAME=DIR...
      (on the host, scripts/kernel-matrix.sh) read each kernel's
      result.json and vm.json, print the table, the notes and the counting
      line `N passed, N failed, N skipped` (one check per kernel x test),
      and with --doc rewrite the part of FILE between the markers
      <!-- kernel-matrix:begin --> and <!-- kernel-matrix:end -->.
      Exits 1 when a check failed.
"""
import json
import os
import re
import sys

CHECKS = ["bpftest", "tc", "xdp", "auto"]
BEGIN = "<!-- kernel-matrix:begin -->"
END = "<!-- kernel-matrix:end -->"


# ---- guest side ----

def read(path, default=""):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return default


def parse_info(text):
    info = {}
    for line in text.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            info[k] = v
    return info


def parse_features(text):
    """`bpftool feature probe kernel` (plain text) -> what the program and
    libxdp depend on. None: not probed."""
    if "eBPF program_type" not in text:
        return {}
    helpers = {}
    current = None
    for line in text.splitlines():
        m = re.match(r"eBPF helpers supported for program type (\S+):", line)
        if m:
            current = helpers.setdefault(m.group(1), set())
            continue
        m = re.match(r"\s+- (bpf_\w+)", line)
        if m and current is not None:
            current.add(m.group(1))
        elif not line.startswith("\t") and not line.startswith(" "):
            current = None

    def avail(kind, name):
        m = re.search(r"eBPF %s %s is (NOT )?available" % (kind, name), text)
        return None if not m else m.group(1) is None

    def helper(prog, name):
        return None if prog not in helpers else name in helpers[prog]

    return {
        "ringbuf": avail("map_type", "ringbuf"),
        "lru_hash": avail("map_type", "lru_hash"),
        "lpm_trie": avail("map_type", "lpm_trie"),
        "prog_sched_cls": avail("program_type", "sched_cls"),
        "prog_xdp": avail("program_type", "xdp"),
        "prog_ext": avail("program_type", "ext"),
        "xdp_load_bytes": helper("xdp", "bpf_xdp_load_bytes"),
        "skb_load_bytes": helper("sched_cls", "bpf_skb_load_bytes"),
        "ringbuf_output_xdp": helper("xdp", "bpf_ringbuf_output"),
        # libbpf's own test for memcg-charged BPF memory (5.11+):
        "memcg_accounting": helper("socket_filter", "bpf_ktime_get_coarse_ns"),
    }


def parse_log(text):
    """The daemon's JSON log lines -> the lines worth showing."""
    out = {"started": False, "mode": None, "attach": [], "warnings": [], "errors": [],
           "lib": [], "stats": None}
    for line in text.splitlines():
        try:
            r = json.loads(line)
        except ValueError:
            if line.strip():
                out["lib"].append(line.strip())
            continue
        msg = r.get("message", "")
        comp = r.get("component", "")
        level = str(r.get("level", "")).lower()
        if msg == "capture started":
            out["started"] = True
            out["mode"] = r.get("mode")
        elif re.match(r"j4s_(tc|xdp) attached|removed a j4s_", msg):
            out["attach"].append(msg)
        elif comp in ("libbpf", "libxdp"):
            out["lib"].append(comp + ": " + msg)
        elif level == "error":
            out["errors"].append(comp + ": " + msg)
        elif level == "warn":
            out["warnings"].append(comp + ": " + msg)
        if "kernel" in r and isinstance(r.get("kernel"), dict):
            out["stats"] = r["kernel"]
    return out


NOISE = re.compile(r"^\s*(R\d|last_idx|regs=|parent |from \d+ to \d+|frame\d|propagating|mark_precise)")


def verifier_excerpt(text, tail=25):
    """A verifier log (verifier_log's output, or libbpf's lines in the
    daemon's log) cut to its tail, where the rejection is, without the
    register-state and backtracking lines."""
    lines = text.splitlines()
    start = next((i for i, l in enumerate(lines) if "BEGIN PROG LOAD LOG" in l), None)
    if start is None:
        start = next((i for i, l in enumerate(lines) if "failed to load" in l or "NOT loaded" in l), None)
    if start is None:
        return ""
    kept = [l for l in lines[start + 1:] if not NOISE.match(l)]
    if len(kept) > tail:
        kept = ["... (%d lines of the log before these; register states left out) ..." %
                (len(lines) - start - tail)] + kept[-tail:]
    return "\n".join([lines[start]] + kept)


def verifier_reason(text):
    """The verifier's own verdict: the last line before `processed N insns`."""
    lines = text.splitlines()
    for i, l in enumerate(lines):
        if l.startswith("processed ") and " insns " in l:
            before = [x for x in lines[:i] if x.strip() and not NOISE.match(x)]
            if not before:
                return l
            why = before[-1].strip()
            return why if "rocessed" in why else why + " (" + l.split(" (")[0] + ")"
    m = [l for l in lines if l.startswith("error: ")]
    return m[-1][len("error: "):] if m else ""


def guest(outdir):
    info = parse_info(read(os.path.join(outdir, "info.txt")))
    res = {
        "kernel": info.get("kernel"),
        "btf": info.get("btf") == "yes",
        "btf_bytes": int(info["btf_bytes"]) if info.get("btf_bytes", "").isdigit() else None,
        "memlock": info.get("memlock"),
        "features": parse_features(read(os.path.join(outdir, "features.txt"))),
        "checks": {},
        "daemon": {},
        "verifier_log": {},
    }
    for line in read(os.path.join(outdir, "checks.tsv")).splitlines():
        parts = line.split("\t", 3)
        if len(parts) == 4:
            res["checks"][parts[0]] = {"status": parts[1], "seconds": int(parts[2]),
                                       "detail": parts[3]}
    for mode in ("tc", "xdp", "auto"):
        log = read(os.path.join(outdir, "daemon-%s.log" % mode), None)
        if log is None:
            continue
        d = parse_log(log)
        attached = read(os.path.join(outdir, "attached-%s.txt" % mode))
        d["xdp_dispatcher"] = "xdp_dispatcher" in attached if mode == "xdp" else None
        d["xdpgeneric"] = "xdpgeneric" in attached
        d["records"] = sum(1 for _ in open(os.path.join(outdir, "records-%s.jsonl" % mode))) \
            if os.path.exists(os.path.join(outdir, "records-%s.jsonl" % mode)) else None
        res["daemon"][mode] = d
    res["loads"] = {}
    for prog in ("tc", "xdp"):
        text = read(os.path.join(outdir, "verifier-%s.log" % prog), None)
        if text is None or "j4s_%s: " % prog not in text:
            # No verifier_log: what the daemon's log kept of libbpf's lines.
            d = res["daemon"].get(prog, {})
            v = verifier_excerpt("\n".join(d.get("lib", [])))
            if v:
                res["verifier_log"][prog] = v
            continue
        res["loads"][prog] = "j4s_%s: loaded" % prog in text
        if not res["loads"][prog]:
            res["verifier_log"][prog] = verifier_excerpt(text)
            res.setdefault("verifier_reason", {})[prog] = verifier_reason(text)
    tc = res["daemon"].get("tc", {})
    if any("TCX link" in a for a in tc.get("attach", [])):
        res["features"]["tcx"] = True
    elif any("attached" in a for a in tc.get("attach", [])):
        res["features"]["tcx"] = False
    with open(os.path.join(outdir, "result.json"), "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
        f.write("\n")


# ---- host side ----

def lacks(res):
    """What the kernel lacked and what the daemon did about it."""
    f = res.get("features", {})
    out = []
    if not res.get("btf"):
        out.append("no kernel BTF (/sys/kernel/btf/vmlinux): the CO-RE program cannot load; "
                   "`auto` must fall back to pcap")
    if f.get("ringbuf") is False:
        out.append("no BPF ring buffer: eBPF modes impossible, `auto` falls back to pcap")
    if f.get("tcx") is False:
        out.append("no TCX (6.6+): `j4s_tc` goes into a clsact qdisc as filter 0x4a34 "
                   "(the daemon creates the qdisc and removes it on a clean stop; a filter "
                   "left by kill -9 is replaced by the next start)")
    loads = res.get("loads", {})
    if f.get("xdp_load_bytes") is False:
        out.append("no `bpf_xdp_load_bytes` (5.18+): `j4s_xdp` copies frames itself in a "
                   "global function (CO-RE chooses the path at load time), and the daemon "
                   "attaches it without libxdp's dispatcher (5.10's verifier refuses such a "
                   "function in an freplace program)" +
                   (", which the verifier refuses (log below)" if loads.get("xdp") is False else ""))
    if f.get("memcg_accounting") is False:
        out.append("BPF memory charged to RLIMIT_MEMLOCK, not memcg (before 5.11; the limit was "
                   "%s KiB here): libbpf raised it (root); the unit sets LimitMEMLOCK=infinity"
                   % res.get("memlock", "?"))
    if f.get("prog_ext") is False:
        out.append("no BPF_PROG_TYPE_EXT (no BPF trampolines): libxdp cannot load its "
                   "dispatcher and attaches `j4s_xdp` alone")
    for prog, why in sorted(res.get("verifier_reason", {}).items()):
        out.append("the verifier refuses `j4s_%s`: %s" % (prog, why))
    x = res.get("daemon", {}).get("xdp", {})
    disp = [l for l in x.get("lib", []) if "xdp_pass" in l and "load failed" in l]
    if disp and f.get("prog_ext") is not False:
        out.append("libxdp could not load its dispatcher (%s)" %
                   disp[0].split(": ", 1)[-1].replace("libbpf: ", ""))
    if x and x.get("started"):
        if x.get("xdpgeneric"):
            out.append("XDP in generic (skb) mode on the veth (native refused)")
        if x.get("xdp_dispatcher") is False and f.get("xdp_load_bytes") is not False \
                and f.get("prog_ext") is not False:
            out.append("libxdp attached `j4s_xdp` without its dispatcher")
    return out


def load_json(path):
    """A JSON object from path, {} when missing or unreadable."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def cell(res, name):
    c = res.get("checks", {}).get(name)
    if not c:
        return "fail", "no result"
    return c["status"], c["detail"]


def short(status, detail, name, res):
    """A table cell: status plus the one fact that matters."""
    word = {"pass": "pass", "fail": "**FAIL**", "skip": "skip"}.get(status, status)
    d = res.get("daemon", {}).get(name, {})
    if name == "bpftest" and status == "pass":
        m = re.match(r"(\d+/\d+)", detail)
        return "%s (%s)" % (word, m.group(1)) if m else word
    if status != "pass":
        reasons = res.get("verifier_reason", {})
        if name == "bpftest":
            why = "; ".join("j4s_%s: %s" % kv for kv in sorted(reasons.items()))
        else:
            why = reasons.get(name, "")
        return "%s: %s%s" % (word, detail, "; verifier: " + why if why else "")
    if name == "tc":
        how = "TCX link" if any("TCX" in a for a in d.get("attach", [])) else "clsact filter"
    elif name == "xdp":
        how = ("generic" if d.get("xdpgeneric") else "native") + \
            (", dispatcher" if d.get("xdp_dispatcher") else ", no dispatcher")
    else:
        how = "chose " + (d.get("mode") or "?")
    return "%s (%s, %s records)" % (word, how, d.get("records"))


def matrix(args):
    doc = None
    if args and args[0] == "--doc":
        doc = args[1]
        args = args[2:]
    rows = []
    for a in args:
        name, _, path = a.partition("=")
        res = load_json(os.path.join(path, "result.json"))
        vm = load_json(os.path.join(path, "vm.json"))
        if not res:
            why = vm.get("why") or "no result.json (see %s/console.log)" % path
            res = {"kernel": vm.get("kernel") or name,
                   "checks": {c: {"status": vm.get("status", "fail"), "detail": why}
                              for c in CHECKS}}
        else:
            why = vm.get("why") or "not run (guest.sh stopped early?)"
            for c in CHECKS:
                res["checks"].setdefault(c, {"status": "fail", "detail": why})
        rows.append((name, res, vm))

    passed = failed = skipped = 0
    table = ["| kernel | package | BTF | bpftest (PROG_TEST_RUN) | tc | xdp | auto | runtime |",
             "|---|---|---|---|---|---|---|---|"]
    text = []
    for name, res, vm in rows:
        cells = []
        for c in CHECKS:
            status, detail = cell(res, c)
            if status == "pass":
                passed += 1
            elif status == "skip":
                skipped += 1
            else:
                failed += 1
            cells.append(short(status, detail, c, res))
            text.append("%-8s %-7s %-5s %s" % (name, c, status, detail))
        btf = "yes" if res.get("btf") else ("no" if "btf" in res else "?")
        rt = "%d s" % vm["runtime_s"] if isinstance(vm.get("runtime_s"), (int, float)) else "?"
        table.append("| %s | %s | %s | %s | %s |" % (
            res.get("kernel") or name, vm.get("package", "-"), btf, " | ".join(cells), rt))
    notes = []
    for name, res, vm in rows:
        items = lacks(res) if "features" in res else []
        for mode in ("tc", "xdp", "auto"):
            d = res.get("daemon", {}).get(mode, {})
            for w in d.get("warnings", []) + d.get("errors", []):
                items.append("daemon (%s): %s" % (mode, w))
        notes.append("- **%s**%s: %s" % (
            res.get("kernel") or name, " (%s)" % vm["note"] if vm.get("note") else "",
            "; ".join(items) if items else "nothing missing that the daemon uses"))
        for mode, v in sorted(res.get("verifier_log", {}).items()):
            notes.append("\n  verifier log (%s):\n\n  ```\n%s\n  ```" % (
                mode, "\n".join("  " + l for l in v.splitlines())))
    count = "%d passed, %d failed, %d skipped" % (passed, failed, skipped)

    print("\n".join(table))
    print()
    print("\n".join(notes))
    print()
    print("\n".join(text))
    if doc:
        body = "\n".join(table) + "\n\nWhat each kernel lacked, and what the daemon did about it:\n\n" + \
            "\n".join(notes) + "\n\n`" + count + "`\n"
        try:
            old = open(doc).read()
        except OSError:
            old = ""
        if BEGIN in old and END in old:
            new = old[:old.index(BEGIN) + len(BEGIN)] + "\n" + body + old[old.index(END):]
        else:
            new = old + ("\n" if old else "") + BEGIN + "\n" + body + END + "\n"
        if new != old:
            with open(doc, "w") as f:
                f.write(new)
    print(count)
    return 1 if failed else 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "guest":
        guest(sys.argv[2])
        return 0
    if len(sys.argv) >= 3 and sys.argv[1] == "matrix":
        return matrix(sys.argv[2:])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
