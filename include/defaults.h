/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Limits and defaults, one place. Every constant says its unit and why it has
 * the value it has; the configuration schema (user/config.c) and
 * docs/configuration.md use these, so change them together.
 */
#ifndef J4S_DEFAULTS_H
#define J4S_DEFAULTS_H

/* Limits the kernel program shares (hello sizes, byte and segment caps). */
#include "abi.h"

#define J4S_VERSION "2.0.0"

/* Seconds between two writes of the Prometheus text file (metrics.period_sec):
 * node_exporter reads it at its scrape, typically every 15 to 60 s. */
#define DEF_METRICS_PERIOD_SEC 15
#define MIN_METRICS_PERIOD_SEC 1
#define MAX_METRICS_PERIOD_SEC 3600

/* Default configuration file; absent file = built-in defaults. */
#define DEF_CONFIG_PATH "/etc/ja4sentinel/config.yml"

/* Where the eBPF modes pin programs and maps, and the single-instance lock
 * (core.pin_dir): a directory of its own on a bpffs, made 0700. Its length
 * leaves room for the longest pin name ("/j4s_tc_egress") in 256 bytes. */
#define DEF_PIN_DIR "/sys/fs/bpf/ja4sentinel"
#define PIN_DIR_MAX 200

/* Flows tracked at once (core.max_tracked_flows); the Go daemon's value. */
#define DEF_MAX_TRACKED_FLOWS 100000
#define MIN_MAX_TRACKED_FLOWS 16
#define MAX_MAX_TRACKED_FLOWS 10000000

/* Seconds a flow may take from its first packet to a complete hello
 * (core.flow_timeout_sec); range of the Go daemon. Done flows are also
 * forgotten this long after their hello. */
#define DEF_FLOW_TIMEOUT_SEC 30
#define MIN_FLOW_TIMEOUT_SEC 1
#define MAX_FLOW_TIMEOUT_SEC 300

/* Packet queue of the Go daemon (core.packet_buffer_size, 1..1e6). Here it
 * sizes the capture buffers: pcap buffer and BPF ring are derived from it. */
#define DEF_PACKET_BUFFER_SIZE 1000
#define MIN_PACKET_BUFFER_SIZE 1
#define MAX_PACKET_BUFFER_SIZE 1000000

/* BPF ring bytes per packet_buffer_size unit: 16 MiB at the default, as
 * pcap's buffer. bench/live_rate.sh measured what the ring holds when
 * userspace is not scheduled: 4 KiB a unit (4 MiB, ~6,000 hellos of the
 * bench's mix, ~2,000 of today's 1.8 KB post-quantum hellos) lost events
 * in 3 of 5 sustained top-speed replays at 38,000-76,000 hellos/s on a
 * shared 2-CPU host; 16 KiB a unit lost none in 7 (docs/performance.md,
 * "Live rate"). Rounded up to a power of two, 1 MiB..1 GiB. */
#define BPF_RING_BYTES_PER_UNIT 16384

/* Records queued per output (outputs[].async_buffer) before the oldest is
 * dropped; the Go daemon's default. */
#define DEF_ASYNC_BUFFER 1000
#define MIN_ASYNC_BUFFER 1
#define MAX_ASYNC_BUFFER 1000000

/* Segments of one hello that bring no in-order progress: held ahead of a
 * gap, retransmitted, overlapping (core.max_hello_segments); the number of
 * the Go daemon's DefaultMaxHelloSegments, which counted every segment. A
 * real client needs 0-3; a hello sent in order is bounded by its bytes
 * (REASM_MAX_BYTES), however small its segments. The kernel program's
 * default too, before userspace sets the configured value. */
#define DEF_MAX_HELLO_SEGMENTS J4S_DEF_MAX_HELLO_SEGMENTS
#define MIN_MAX_HELLO_SEGMENTS 1
#define MAX_MAX_HELLO_SEGMENTS 10000

/* Unvalidated hellos (no SYN-ACK seen, or an ACK that is not the server's
 * ISN + 1: spoofed, or routing the sensor does not see) the kernel lets
 * through per second (core.unvalidated_rate) and at once after a quiet
 * spell (core.unvalidated_burst). Real clients are validated; these are
 * the few picked up mid-handshake or using TCP Fast Open, while a spoofed
 * flood of any size costs userspace at most this. 0 = no limit. */
#define DEF_UNVALIDATED_RATE  1000
#define MAX_UNVALIDATED_RATE  1000000000
#define DEF_UNVALIDATED_BURST 2000
#define MIN_UNVALIDATED_BURST 1
#define MAX_UNVALIDATED_BURST 1000000

/* Largest ClientHello body, largest TLS record at stream start and stream
 * bytes of one hello (bytes): the kernel program's limits too, so they live
 * in abi.h, which says why they have these values. */
#define HELLO_MAX_BODY  J4S_HELLO_MAX_BODY
#define TLS_MAX_RECORD  J4S_TLS_MAX_RECORD
#define REASM_MAX_BYTES J4S_REASM_MAX_BYTES

/* The kernel program's segment cap is a __u16 (struct j4s_bpf_config). */
_Static_assert(MAX_MAX_HELLO_SEGMENTS <= 0xffff, "max_hello_segments fits the kernel's cap");

/* Bytes all reassembly buffers may hold together: real hellos split over
 * segments need a few KiB each for a few ms; beyond this, flows dribbling
 * bytes (an attack) lose their buffers oldest first, counted. */
#define REASM_BUDGET_BYTES (64u << 20)

/* Records are datagrams on the correlator socket: never larger (bytes). */
#define RECORD_MAX_BYTES 65536

/* Longest tls_sni / tls_alpn kept in a record (input bytes, before escaping):
 * a DNS name is at most 253 bytes; more is garbage kept short so the record
 * stays under RECORD_MAX_BYTES. */
#define RECORD_MAX_NAME 1024

/* Default listen port and the one socket path of the correlator. */
#define DEF_LISTEN_PORT 443
#define DEF_SOCKET_PATH "/var/run/logcorrelator/network.socket"

/* Listen ports a configuration may list. */
#define MAX_LISTEN_PORTS 64

/* Events (eBPF ring buffer) or packets (pcap) one dispatch slice hands to
 * the pipeline at most before the event loop looks at its signals, timer
 * and watchdog again. Under a flood the input never runs dry: without a
 * bound the loop stayed in one read for seconds (SIGTERM not honoured in
 * 10 s, a 12.9 s watchdog gap). At a few microseconds a hello this is a
 * few ms of work; the time bound below usually ends a slice first. */
#define CAPTURE_SLICE_EVENTS 2048

/* Longest one dispatch slice runs (ms): with the 100 ms timer tick, signals
 * and the watchdog are served within ~110 ms whatever arrives. */
#define CAPTURE_SLICE_MS 10

/* Events between two clock reads within a slice: a hello costs a few
 * microseconds, so this many overrun CAPTURE_SLICE_MS by well under 1 ms
 * while the clock is read once per few dozen events, not per event. */
#define CAPTURE_SLICE_CLOCK_EVERY 32

/* Seconds between two stats lines in the log. */
#define STATS_INTERVAL_SEC 60

#endif
