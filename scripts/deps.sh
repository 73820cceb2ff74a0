#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Install what ja4sentinel needs to build and to run its tests:
# apt on Debian/Ubuntu, dnf on Rocky/RHEL/Alma 8, 9, 10 (EPEL and CRB or
# PowerTools are enabled for cmocka). Uses sudo when not run as root.
#   scripts/deps.sh            build + test dependencies
#   scripts/deps.sh --build    build dependencies only
set -eu

want_tests=1
[ "${1:-}" = "--build" ] && want_tests=0

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "deps.sh: run as root or install sudo" >&2; exit 1; }
	SUDO=sudo
fi

. /etc/os-release
case " ${ID:-} ${ID_LIKE:-} " in
*" debian "* | *" ubuntu "*)
	pkgs="make gcc clang llvm pkg-config libpcap-dev libjson-c-dev libyaml-dev libssl-dev
	      libbpf-dev libxdp-dev libelf-dev zlib1g-dev bpftool"
	[ "$want_tests" = 1 ] && pkgs="$pkgs libcmocka-dev python3 valgrind tshark time libcap2-bin
	      curl openssl gnutls-bin iproute2 tcpreplay xdp-tools iperf3
	      rpm rpmlint logrotate elfutils systemd groff-base ethtool
	      libclang-rt-dev clang-format debootstrap ngtcp2-client ngtcp2-server chromium
	      python3-cryptography"
	export DEBIAN_FRONTEND=noninteractive
	# Wait for another apt run (unattended upgrades) instead of failing.
	$SUDO apt-get -o DPkg::Lock::Timeout=600 update -q
	# shellcheck disable=SC2086
	$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $pkgs
	;;
*" rhel "* | *" fedora "* | *" centos "* | *" rocky "*)
	major=${VERSION_ID%%.*}
	pkgs="make gcc clang llvm pkgconf-pkg-config libpcap-devel json-c-devel libyaml-devel
	      openssl-devel elfutils-libelf-devel zlib-devel"
	# el8 has no usable BPF ring buffer: pcap-only builds need no libbpf.
	[ "$major" -ge 9 ] && pkgs="$pkgs libbpf-devel libxdp-devel bpftool"
	[ "$want_tests" = 1 ] && pkgs="$pkgs libcmocka-devel python3 valgrind wireshark-cli time libcap curl openssl
	      gnutls-utils iproute tcpreplay
	      compiler-rt"
	$SUDO dnf install -y dnf-plugins-core epel-release || true
	if [ "$major" -eq 8 ]; then
		$SUDO dnf config-manager --set-enabled powertools || true
	else
		$SUDO dnf config-manager --set-enabled crb || true
	fi
	# shellcheck disable=SC2086
	$SUDO dnf install -y $pkgs
	# el8: OpenSSL 1.1.1k, json-c 0.13.1, libpcap 1.9.1, libyaml 0.1.7 from
	# BaseOS/AppStream/PowerTools; no libbpf/libxdp for the eBPF modes.
	[ "$major" -ge 9 ] || echo "deps.sh: el$major has no eBPF build: make BPF=0 (pcap mode only)"
	;;
*)
	echo "deps.sh: unsupported distribution '${ID:-unknown}'; install by hand:" >&2
	echo "  libpcap, json-c, libyaml, OpenSSL, libbpf, libxdp (dev packages), cmocka, clang" >&2
	exit 1
	;;
esac
echo "deps.sh: dependencies installed"
