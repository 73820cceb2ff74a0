#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# bench/memory.sh - peak RSS with N flows mid-hello at once (issue 17 item 5):
# a capture of N flows (SYN, SYN-ACK, ACK, the first half of a real hello,
# nothing more; bench/gen_capture.py --partial-hello, ~20 s of packet time,
# under the default 30 s flow timeout) read with the default configuration;
# peak RSS from GNU time, and the flow and reassembly counters of the final
# stats. Live modes add their capture buffer (pcap buffer or BPF ring) to it.
#
# Usage: bench/memory.sh [--flows N]   (default 100000; about 30 s)
# Environment: JA4SENTINEL binary (default build/ja4sentinel).
set -eu

FLOWS=100000
while [ $# -gt 0 ]; do
	case "$1" in
	--flows)
		FLOWS="$2"
		shift 2
		;;
	-h | --help)
		sed -n '3,13p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "usage: bench/memory.sh [--flows N]" >&2
		exit 2
		;;
	esac
done
BIN="${JA4SENTINEL:-build/ja4sentinel}"
HERE="$(cd "$(dirname "$0")" && pwd)"
DIR="$(mktemp -d)"
trap 'rm -rf "$DIR"' EXIT
[ -x /usr/bin/time ] || { echo "bench/memory.sh: needs GNU time" >&2; exit 1; }

python3 "$HERE/gen_capture.py" --partial-hello --flows "$FLOWS" -o "$DIR/p.pcap" 2>/dev/null
/usr/bin/time -f '%M' -o "$DIR/rss" "$BIN" --read "$DIR/p.pcap" >/dev/null 2>"$DIR/log"
python3 - "$DIR/log" "$DIR/rss" "$FLOWS" <<'PY'
import json, sys
stats = [json.loads(l) for l in open(sys.argv[1]) if '"final stats"' in l][-1]
rss = int(open(sys.argv[2]).read().split()[-1])
f = stats["flows"]
print(f"{sys.argv[3]} flows mid-hello: peak RSS {rss / 1024:.1f} MiB; "
      f"flows active {f['active']}, created {f['created']}, "
      f"evicted_waiting {f['evicted_waiting']}, evicted_memory {f['evicted_memory']}, "
      f"nomem {f['nomem']}, timeouts {f['timeouts']}")
PY
