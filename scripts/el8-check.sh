#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# el8's libraries, proven here: build the pcap-only binary (BPF=0) and run
# the unit and corpus tests in a Debian bullseye chroot, whose OpenSSL is
# 1.1.1w, json-c 0.15, libpcap 1.10 (el8: 1.1.1k, 0.13.1, 1.9.1; the README
# lists the oldest versions the code needs). The chroot is made once with
# debootstrap from the Debian archive and kept outside the source tree;
# every run builds afresh from the source, bind-mounted read-only (build
# output in the chroot's /tmp), with ../shared/testdata next to it.
#   scripts/el8-check.sh            make the chroot if needed, build, test
#   EL8_ROOT=DIR                    where the chroot lives
#                                   (default /var/cache/ja4sentinel-bullseye)
#   DEBIAN_MIRROR=URL               (default http://deb.debian.org/debian)
# Needs root (debootstrap, chroot, mounts in a private mount namespace, so
# nothing stays mounted however the run ends). The last line is the inner
# runner's "N passed, N failed, N skipped".
set -eu

cd "$(dirname "$0")/.."
SRC=$(pwd)
ROOT=${EL8_ROOT:-/var/cache/ja4sentinel-bullseye}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
TESTDATA=$SRC/../shared/testdata
# gcc, make, pkg-config and the -dev packages of what el8 builds against;
# python3 runs the corpus test, cmocka the unit tests.
PKGS="gcc make pkg-config libc6-dev libssl-dev libjson-c-dev libpcap-dev libyaml-dev
      libcmocka-dev python3"

say() { echo "el8-check: $*"; }

if [ "$(id -u)" != 0 ]; then
	echo "SKIP el8 the bullseye chroot needs root (debootstrap, chroot, mounts)"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
if ! command -v debootstrap >/dev/null; then
	# deps.sh installs it on Debian and Ubuntu (CI): missing there is a failure.
	if command -v apt-get >/dev/null; then
		echo "el8-check: debootstrap not installed (scripts/deps.sh installs it)" >&2
		exit 1
	fi
	echo "SKIP el8 debootstrap is not installed (not a Debian/Ubuntu host; on el8 itself build natively: make BPF=0)"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
[ -d "$TESTDATA" ] || { echo "el8-check: no $TESTDATA" >&2; exit 1; }

# One maker at a time; a half-made chroot (no .ready) is started over.
mkdir -p "$(dirname "$ROOT")"
exec 9>"$ROOT.lock"
flock 9
if [ ! -e "$ROOT/.ready" ]; then
	t0=$(date +%s)
	rm -rf "$ROOT.tmp"
	say "making the bullseye chroot in $ROOT (once) from $MIRROR"
	debootstrap --variant=minbase bullseye "$ROOT.tmp" "$MIRROR" >"$ROOT.log" 2>&1 || {
		tail -n 20 "$ROOT.log" >&2
		echo "el8-check: debootstrap failed (log: $ROOT.log)" >&2
		exit 1
	}
	# The security archive carries the OpenSSL 1.1.1 updates.
	cat >"$ROOT.tmp/etc/apt/sources.list" <<-SRC
		deb $MIRROR bullseye main
		deb $MIRROR bullseye-updates main
		deb http://security.debian.org/debian-security bullseye-security main
	SRC
	# shellcheck disable=SC2086,SC2016 # $PKGS split on purpose; $0, $@ are the inner shell's
	unshare --mount --propagation private sh -ec '
		mount -t proc proc "$0/proc"
		chroot "$0" env DEBIAN_FRONTEND=noninteractive apt-get update -q
		chroot "$0" env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q --no-install-recommends "$@"
		chroot "$0" apt-get clean' "$ROOT.tmp" $PKGS >>"$ROOT.log" 2>&1 || {
		tail -n 20 "$ROOT.log" >&2
		echo "el8-check: installing the build dependencies failed (log: $ROOT.log)" >&2
		exit 1
	}
	mkdir -p "$ROOT.tmp/src/ja4sentinel" "$ROOT.tmp/src/shared/testdata"
	rm -rf "$ROOT"
	mv "$ROOT.tmp" "$ROOT"
	touch "$ROOT/.ready"
	say "chroot made in $(($(date +%s) - t0)) s"
fi
flock -u 9

# shellcheck disable=SC2016 # dpkg-query's format
say "$(chroot "$ROOT" dpkg-query -W -f '${Package} ${Version}, ' libssl-dev libjson-c-dev \
	libpcap-dev libyaml-dev libcmocka-dev gcc | sed 's/, $//')"

# Build and test in a private mount namespace: the mounts end with it.
# shellcheck disable=SC2016 # expanded by the inner shells
exec unshare --mount --propagation private sh -ec '
	root=$1 src=$2 data=$3
	mount -t proc proc "$root/proc"
	mount --bind /dev "$root/dev"
	mount -t tmpfs tmpfs "$root/tmp"
	mount --bind "$src" "$root/src/ja4sentinel"
	mount -o remount,bind,ro "$root/src/ja4sentinel"
	mount --bind "$data" "$root/src/shared/testdata"
	mount -o remount,bind,ro "$root/src/shared/testdata"
	exec chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp LANG=C.UTF-8 \
		BUILD=/tmp/build sh -ec "
		cd /src/ja4sentinel
		make -j\$(nproc) BPF=0 WERROR=1 BUILD=/tmp/build all unit >/tmp/make.log 2>&1 || {
			tail -n 40 /tmp/make.log; echo \"el8-check: the BPF=0 build failed\"; exit 1; }
		/tmp/build/ja4sentinel --version
		exec tests/run.sh unit corpus"' sh "$ROOT" "$SRC" "$TESTDATA"
