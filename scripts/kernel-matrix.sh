#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The kernel matrix: ja4sentinel's BPF programs loaded and run on Debian's
# kernels under qemu/KVM, and on this machine's own kernel.
#
#   scripts/kernel-matrix.sh [--kernels 5.10,6.1,6.12,host] [--timeout SECONDS]
#                            [--accel auto|kvm|tcg] [--doc|--no-doc] [--offline]
#
# For each Debian kernel series (newest package of the series from
# bullseye, bookworm or bookworm-backports, fetched through a private apt
# configuration under build/kernels/apt: the machine's apt sources are not
# touched), it extracts vmlinuz and the few modules the guest needs, builds
# an initramfs (busybox-static, tests/kernels/init.sh), and boots the
# kernel with the host's root shared read-only over virtio-9p and a
# writable share for the results; the guest runs tests/kernels/guest.sh
# (BPF_PROG_TEST_RUN tests, then live tc, xdp and auto runs in network
# namespaces) and powers off. `host` runs guest.sh directly on this
# machine's kernel (no VM: its kernel is not a package we can boot).
# Then it prints the matrix, writes it into docs/compatibility.md between
# its markers (by default only when the whole default list ran; --doc and
# --no-doc decide otherwise), and ends with
#   N passed, N failed, N skipped
# (one check per kernel x test: bpftest, tc, xdp, auto). Exit 1 on failure.
#
# Needs root and `make all bpftest` (make kernel-matrix does both, and
# builds build/kernels/verifier_log). The VMs use KVM where /dev/kvm has
# hardware virtualization, else TCG (several times slower; --accel
# chooses). Installs qemu-system-x86, busybox-static, kmod, cpio and
# xz-utils with apt when they are missing.
# Kernels are cached in build/kernels/ (not committed); --offline uses the
# cached ones without asking the archive for newer packages. BUILD
# (default build) names the build directory.
set -eu

cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${BUILD:-build}
case $BUILD in
/*) KDIR=$BUILD/kernels ;;
*) KDIR=$ROOT/$BUILD/kernels ;;
esac
DEFAULT_KERNELS=5.10,6.1,6.12,host
KERNELS=$DEFAULT_KERNELS
VM_TIMEOUT="" # default: 600 s with KVM, 2400 s under TCG
WRITE_DOC=auto
ACCEL=auto
OFFLINE=0
DOC=docs/compatibility.md
MODULES="9p 9pnet_virtio virtio_pci veth sch_ingress cls_bpf"
SUITES="bullseye bookworm bookworm-backports"

usage() {
	sed -n '6,8p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--kernels) KERNELS=${2:?--kernels needs a list}; shift 2 ;;
	--kernels=*) KERNELS=${1#*=}; shift ;;
	--timeout) VM_TIMEOUT=${2:?--timeout needs seconds}; shift 2 ;;
	--accel) ACCEL=${2:?--accel needs auto, kvm or tcg}; shift 2 ;;
	--doc) WRITE_DOC=1; shift ;;
	--no-doc) WRITE_DOC=0; shift ;;
	--offline) OFFLINE=1; shift ;;
	-h | --help) usage ;;
	*) echo "kernel-matrix: unknown argument $1" >&2; usage ;;
	esac
done
# A list written with spaces or commas (TEST_KERNELS="5.10 6.1" from the
# runner) is one list, not one kernel named "5.10 6.1".
KERNELS=$(echo "$KERNELS" | tr -s ' ,' ',,' | sed 's/^,//; s/,$//')

say() { echo "kernel-matrix: $*"; }
die() {
	echo "kernel-matrix: $*" >&2
	exit 1
}

TMPD=""
QEMU_PID=""
# shellcheck disable=SC2317 # (called by the EXIT trap)
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then
		kill -TERM "$QEMU_PID" 2>/dev/null || true
		wait "$QEMU_PID" 2>/dev/null || true
	fi
	[ -z "$TMPD" ] || rm -rf "$TMPD"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || die "needs root (qemu with KVM, network namespaces, BPF)"
for f in "$BUILD/ja4sentinel" "$BUILD/bpftest/test_bpf"; do
	[ -x "$f" ] || die "$f is not built: run make all bpftest (or make kernel-matrix)"
done
TMPD=$(mktemp -d "${TMPDIR:-/tmp}/j4s-kmatrix.XXXXXX")

# ---- tools ----
need_vm=0
case ",$KERNELS," in *,host,*) [ "$KERNELS" != host ] && need_vm=1 ;; *) need_vm=1 ;; esac
if [ "$need_vm" = 1 ]; then
	missing=()
	command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
	command -v depmod >/dev/null || [ -x /sbin/depmod ] || missing+=(kmod)
	command -v cpio >/dev/null || missing+=(cpio)
	command -v xz >/dev/null || missing+=(xz-utils)
	if [ ${#missing[@]} -gt 0 ]; then
		say "installing ${missing[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
			>"$TMPD/apt-install.log" 2>&1 || {
			tail -n 20 "$TMPD/apt-install.log" >&2
			die "could not install ${missing[*]}"
		}
	fi
	# Debian's busybox package is dynamic; the initramfs needs busybox-static.
	if [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then
		say "installing busybox-static (the initramfs needs a static /bin/busybox)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends busybox-static \
			>"$TMPD/apt-install.log" 2>&1 || die "could not install busybox-static"
	fi
fi
DEPMOD=$(command -v depmod || echo /sbin/depmod)

# KVM needs hardware virtualization (kvm_intel, kvm_amd). A /dev/kvm from
# kvm_pvm (a PVM host, as nested sandboxes have) runs only kernels built as
# PVM guests: Debian's hang right after the real-mode setup. Then TCG.
ACCEL_WHY=""
if [ "$ACCEL" = auto ]; then
	if [ -c /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
		ACCEL=kvm
	else
		ACCEL=tcg
		if [ -d /sys/module/kvm_pvm ]; then
			ACCEL_WHY="/dev/kvm is kvm_pvm, which boots only PVM guest kernels"
		else
			ACCEL_WHY="no hardware KVM (kvm_intel/kvm_amd)"
		fi
	fi
fi
case $ACCEL in
kvm) QEMU_ACCEL=(-enable-kvm -cpu host) ;;
tcg) QEMU_ACCEL=(-accel "tcg,thread=multi" -cpu max) ;;
*) die "--accel $ACCEL: expected auto, kvm or tcg" ;;
esac
[ -n "$VM_TIMEOUT" ] || VM_TIMEOUT=$([ "$ACCEL" = kvm ] && echo 600 || echo 2400)
[ "$need_vm" = 0 ] || say "accelerator: $ACCEL${ACCEL_WHY:+ ($ACCEL_WHY)}"

# ---- the run directory: a snapshot of what the guests run ----
RUN=$KDIR/run
rm -rf "${RUN:?}/bin"
mkdir -p "$RUN/bin"
cp "$BUILD/ja4sentinel" "$RUN/bin/ja4sentinel"
cp "$BUILD/bpftest/test_bpf" "$RUN/bin/test_bpf"
if [ -x "$BUILD/kernels/verifier_log" ]; then
	cp "$BUILD/kernels/verifier_log" "$RUN/bin/verifier_log"
else
	say "$BUILD/kernels/verifier_log is not built (make kernel-matrix builds it): no verifier logs"
fi

# ---- kernels through a private apt configuration ----
APTD=$KDIR/apt
APT_OPTS=(-o "Dir::Etc::SourceList=$APTD/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$APTD/lists" -o "Dir::Cache=$APTD/cache"
	-o Dir::State::Status=/var/lib/dpkg/status -o APT::Sandbox::User=root)
apt_ready=0
apt_prepare() {
	[ "$apt_ready" = 0 ] || return 0
	apt_ready=1
	mkdir -p "$APTD/lists/partial" "$APTD/cache/archives/partial" "$KDIR/debs"
	: >"$APTD/sources.list.new"
	local s
	for s in $SUITES; do
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $s main" \
			>>"$APTD/sources.list.new"
	done
	mv "$APTD/sources.list.new" "$APTD/sources.list"
	[ "$OFFLINE" = 0 ] || return 0
	# The package lists are refreshed once a day.
	if [ -z "$(find "$APTD/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null | head -n1)" ]; then
		say "apt-get update (private lists in $APTD)"
		apt-get "${APT_OPTS[@]}" update >"$TMPD/apt-update.log" 2>&1 ||
			say "apt-get update failed (cached kernels only): $(tail -n 2 "$TMPD/apt-update.log" | tr '\n' ' ')"
	fi
}

# The newest linux-image-SERIES...-amd64 (not cloud, not rt, not -dbg).
series_re() { # 5.10 -> ^linux-image-5\.10[.-][0-9][^ ]*-amd64$
	printf '^linux-image-%s[.-][0-9][0-9a-z.+~-]*-amd64$' "${1//./\\.}"
}
pick_package() { # SERIES -> "name version" or nothing
	local re pkg ver deb
	re=$(series_re "$1")
	pkg=$(apt-cache "${APT_OPTS[@]}" pkgnames linux-image- 2>/dev/null | grep -E "$re" |
		grep -vE -e '-(cloud|rt)-amd64$' | sort -V | tail -n1 || true)
	if [ -n "$pkg" ]; then
		ver=$(apt-cache "${APT_OPTS[@]}" show --no-all-versions "$pkg" 2>/dev/null |
			sed -n 's/^Version: //p' | head -n1)
		echo "$pkg $ver"
		return
	fi
	# Offline or the archive has none: the newest cached one.
	deb=$(find "$KDIR/debs" -maxdepth 1 -name 'linux-image-*_amd64.deb' -printf '%f\n' 2>/dev/null |
		sed 's/_\([^_]*\)_amd64\.deb$/ \1/' | grep -E "${re%\$} " |
		grep -vE -e '-(cloud|rt)-amd64 ' | sort -V | tail -n1 || true)
	[ -z "$deb" ] || echo "$deb"
}

# prepare_kernel PKG VERSION: KIMG = a directory with vmlinuz, config and
# the modules the guest needs (modules/order: load order).
prepare_kernel() {
	local pkg=$1 ver=$2 kver deb x m base
	kver=${pkg#linux-image-}
	KIMG=$KDIR/img/$kver
	if [ -f "$KIMG/.done" ] && [ "$(cat "$KIMG/.done")" = "$ver $MODULES" ]; then
		return 0
	fi
	deb=$KDIR/debs/${pkg}_${ver}_amd64.deb
	deb=${deb//:/%3a}
	if [ ! -f "$deb" ]; then
		[ "$OFFLINE" = 0 ] || {
			KWHY="--offline and $pkg $ver is not cached"
			return 1
		}
		say "downloading $pkg $ver"
		(cd "$KDIR/debs" && apt-get "${APT_OPTS[@]}" download "$pkg=$ver") \
			>"$TMPD/apt-download.log" 2>&1 || {
			KWHY="apt-get download $pkg=$ver failed: $(tail -n 1 "$TMPD/apt-download.log")"
			return 1
		}
	fi
	say "extracting $pkg $ver"
	x=$TMPD/x-$kver
	rm -rf "$x" "$KIMG"
	mkdir -p "$x" "$KIMG/modules"
	dpkg-deb -x "$deb" "$x"
	cp "$x/boot/vmlinuz-$kver" "$KIMG/vmlinuz"
	cp "$x/boot/config-$kver" "$KIMG/config"
	# modules.dep is made at install time, not shipped: make it.
	local mroot=$x/lib/modules/$kver
	[ -d "$mroot" ] || mroot=$x/usr/lib/modules/$kver
	"$DEPMOD" -b "${mroot%/lib/modules/*}" "$kver"
	: >"$KIMG/modules/order"
	for m in $MODULES; do
		add_module "$mroot" "$m" || {
			KWHY="module $m: not in $pkg (neither modular nor built in)"
			return 1
		}
	done
	while read -r m; do
		base=${m%.ko*}
		case $m in
		*.ko.xz) xz -dc "$mroot/$m" >"$KIMG/modules/$(basename "$base").ko" ;;
		*.ko.zst) zstd -qdc "$mroot/$m" >"$KIMG/modules/$(basename "$base").ko" ;;
		*.ko.gz) gzip -dc "$mroot/$m" >"$KIMG/modules/$(basename "$base").ko" ;;
		*) cp "$mroot/$m" "$KIMG/modules/" ;;
		esac
	done <"$KIMG/modules/order"
	sed -i 's|.*/||; s/\.ko.*$/.ko/' "$KIMG/modules/order"
	rm -rf "$x"
	echo "$ver $MODULES" >"$KIMG/.done"
}

# add_module MODROOT NAME: NAME and its dependencies (modules.dep), in
# load order, appended to modules/order once each; built-in ones skipped.
add_module() {
	local mroot=$1 name=$2 line path dep
	line=$(grep -E "(^|/)${name//_/[_-]}\.ko(\.[a-z]+)?:" "$mroot/modules.dep" | head -n1 || true)
	if [ -z "$line" ]; then
		grep -qE "(^|/)${name//_/[_-]}\.ko$" "$mroot/modules.builtin" 2>/dev/null
		return
	fi
	path=${line%%:*}
	grep -qxF "$path" "$KIMG/modules/order" && return 0
	for dep in ${line#*:}; do
		dep=$(basename "$dep")
		add_module "$mroot" "${dep%%.ko*}"
	done
	grep -qxF "$path" "$KIMG/modules/order" || echo "$path" >>"$KIMG/modules/order"
}

# prune SERIES PKG: keep only PKG's .deb and image of the series.
prune() {
	local re f n
	re=$(series_re "$1")
	for f in "$KDIR"/debs/linux-image-*_amd64.deb "$KDIR"/img/*; do
		[ -e "$f" ] || continue
		n=$(basename "$f")
		n=linux-image-${n#linux-image-}
		n=${n%%_*}
		if [[ $n =~ $re ]] && [ "$n" != "$2" ]; then
			rm -rf "$f"
		fi
	done
}

# make_initrd OUT: the initramfs for KIMG, results to OUT.
make_initrd() {
	local out=$1 d=$TMPD/initrd
	rm -rf "$d"
	mkdir -p "$d/bin" "$d/sbin" "$d/proc" "$d/sys" "$d/dev" "$d/tmp" "$d/newroot" "$d/modules"
	cp /bin/busybox "$d/bin/busybox"
	ln -s busybox "$d/bin/sh"
	cp "$ROOT/tests/kernels/init.sh" "$d/init"
	chmod 755 "$d/init"
	cp "$KIMG"/modules/* "$d/modules/"
	mknod -m 600 "$d/dev/console" c 5 1
	mknod -m 666 "$d/dev/null" c 1 3
	# The repository, the binaries and the results are shares of their own,
	# mounted in the guest under /run/j4s: the host root's /tmp, /run and
	# /var/tmp are hidden there by fresh tmpfs, and a clone may live in /tmp.
	{
		echo "J4S_REPO=/run/j4s/repo"
		echo "J4S_OUT=/run/j4s/out"
		echo "J4S_BIN=/run/j4s/bin/ja4sentinel"
		echo "J4S_TEST_BPF=/run/j4s/bin/test_bpf"
		echo "J4S_VERIFIER=/run/j4s/bin/verifier_log"
		echo "J4S_LOAD_TIMEOUT='$((VM_TIMEOUT / 3))'"
	} >"$d/j4s.env"
	(cd "$d" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out/../initrd-$(basename "$out").gz"
}

vm_json() { # OUT key=value...: OUT/vm.json
	local out=$1
	shift
	python3 -c 'import json, sys
d = {}
for a in sys.argv[2:]:
    k, _, v = a.partition("=")
    d[k] = int(v) if v.isdigit() else v
json.dump(d, open(sys.argv[1], "w"), indent=1, sort_keys=True)' "$out/vm.json" "$@"
}

run_vm() { # SERIES
	local series=$1 out=$RUN/$1 pick pkg ver t0 rc=0 secs
	rm -rf "$out"
	mkdir -p "$out"
	apt_prepare
	pick=$(pick_package "$series")
	if [ -z "$pick" ]; then
		say "$series: no linux-image package of that series in $SUITES"
		vm_json "$out" kernel="$series" status=skip \
			why="no Debian package linux-image-$series*-amd64 in $SUITES"
		return
	fi
	pkg=${pick% *}
	ver=${pick#* }
	KWHY=""
	if ! prepare_kernel "$pkg" "$ver"; then
		say "$series: $KWHY"
		vm_json "$out" kernel="${pkg#linux-image-}" package="$pkg $ver" status=fail why="$KWHY"
		return
	fi
	prune "$series" "$pkg"
	make_initrd "$out"
	say "$series: booting $pkg $ver (timeout ${VM_TIMEOUT} s)"
	t0=$(date +%s)
	timeout --foreground -k 10 "$VM_TIMEOUT" qemu-system-x86_64 "${QEMU_ACCEL[@]}" -m 2G -smp 2 \
		-nodefaults -no-user-config -display none -no-reboot \
		-serial "file:$out/console.log" \
		-kernel "$KIMG/vmlinuz" -initrd "$RUN/initrd-$series.gz" \
		-append "console=ttyS0 panic=-1 random.trust_cpu=on loglevel=4" \
		-fsdev "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap" \
		-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
		-fsdev "local,id=repo,path=$ROOT,security_model=none,readonly=on,multidevs=remap" \
		-device virtio-9p-pci,fsdev=repo,mount_tag=repo \
		-fsdev "local,id=bin,path=$RUN/bin,security_model=none,readonly=on,multidevs=remap" \
		-device virtio-9p-pci,fsdev=bin,mount_tag=bin \
		-fsdev "local,id=results,path=$out,security_model=none,multidevs=remap" \
		-device virtio-9p-pci,fsdev=results,mount_tag=results \
		</dev/null >"$out/qemu.log" 2>&1 &
	QEMU_PID=$!
	wait "$QEMU_PID" || rc=$?
	QEMU_PID=""
	secs=$(($(date +%s) - t0))
	grep -E '^(ok|FAIL|SKIP) ' "$out/guest.log" 2>/dev/null | sed "s/^/  $series: /" || true
	if [ ! -f "$out/result.json" ] && [ -f "$out/checks.tsv" ]; then
		# Stopped part way: what the guest had finished still counts.
		python3 tests/kernels/results.py guest "$out" || true
	fi
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		say "$series: the VM timed out after ${VM_TIMEOUT} s (console: $out/console.log)"
		vm_json "$out" kernel="${pkg#linux-image-}" package="$pkg $ver" runtime_s="$secs" \
			status=fail why="VM timed out after ${VM_TIMEOUT} s before this test ended"
	elif [ ! -f "$out/guest.rc" ]; then
		say "$series: no result (qemu exit $rc); console tail:"
		tail -n 15 "$out/console.log" 2>/dev/null | sed 's/^/    /'
		tail -n 5 "$out/qemu.log" 2>/dev/null | sed 's/^/    /'
		vm_json "$out" kernel="${pkg#linux-image-}" package="$pkg $ver" runtime_s="$secs" \
			status=fail why="VM gave no result (qemu exit $rc, see console.log)"
	else
		vm_json "$out" kernel="${pkg#linux-image-}" package="$pkg $ver" runtime_s="$secs" \
			qemu_rc="$rc" accel="$ACCEL"
	fi
	say "$series: $secs s"
}

run_host() {
	local out=$RUN/host t0 secs
	rm -rf "$out"
	mkdir -p "$out"
	say "host: $(uname -r), guest.sh run directly (this kernel is not a package we can boot)"
	t0=$(date +%s)
	J4S_BIN=$RUN/bin/ja4sentinel J4S_TEST_BPF=$RUN/bin/test_bpf J4S_VERIFIER=$RUN/bin/verifier_log \
		J4S_LOAD_TIMEOUT=$((VM_TIMEOUT / 3)) \
		timeout -k 10 "$VM_TIMEOUT" tests/kernels/guest.sh "$out" >"$out/guest.log" 2>&1 || true
	secs=$(($(date +%s) - t0))
	grep -E '^(ok|FAIL|SKIP) ' "$out/guest.log" | sed 's/^/  host: /' || true
	vm_json "$out" kernel="$(uname -r)" package="(this machine, no VM)" runtime_s="$secs" \
		note="this machine's kernel, tested directly"
	say "host: $secs s"
}

ARGS=()
IFS=, read -r -a LIST <<<"$KERNELS"
for k in "${LIST[@]}"; do
	[ -n "$k" ] || continue
	if [ "$k" = host ]; then
		run_host
	else
		run_vm "$k"
	fi
	ARGS+=("$k=$RUN/$k")
done

if [ "$WRITE_DOC" = auto ]; then
	WRITE_DOC=0
	[ "$KERNELS" != "$DEFAULT_KERNELS" ] || WRITE_DOC=1
fi
DOC_ARGS=()
[ "$WRITE_DOC" = 0 ] || DOC_ARGS=(--doc "$DOC")
echo
python3 tests/kernels/results.py matrix ${DOC_ARGS[@]+"${DOC_ARGS[@]}"} "${ARGS[@]}"
