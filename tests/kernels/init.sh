#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# /init of the kernel matrix's initramfs (busybox; scripts/kernel-matrix.sh
# builds the initramfs with this file, the kernel's modules and /j4s.env).
# Loads the modules, mounts the host's root (virtio-9p, read-only) on
# /newroot with fresh /proc, /sys, /dev, bpffs and tmpfs on /tmp, /run and
# /var/tmp, mounts the repository and binaries (read-only) and the
# writable results share under /run/j4s, runs tests/kernels/guest.sh there
# in a chroot, and powers the VM off.
# /j4s.env sets J4S_REPO, J4S_OUT, J4S_BIN, J4S_TEST_BPF, J4S_VERIFIER and
# J4S_LOAD_TIMEOUT.
export PATH=/bin:/sbin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# shellcheck disable=SC1091 # (written by scripts/kernel-matrix.sh)
. /j4s.env

say() { echo "j4s-init: $*"; }
off() {
	sync
	echo o >/proc/sysrq-trigger
	sleep 10
	poweroff -f
}

say "kernel $(uname -r)"
while read -r m; do
	insmod "/modules/$m" 2>/tmp/insmod.err || say "insmod $m: $(cat /tmp/insmod.err)"
done </modules/order

mkdir -p /newroot
if ! mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 hostroot /newroot; then
	say "cannot mount the host root (9p)"
	off
fi
R=/newroot
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts devpts $R/dev/pts
mount -t tmpfs tmpfs $R/dev/shm
mount -t bpf bpf $R/sys/fs/bpf || say "cannot mount bpffs"
for d in /tmp /run /var/tmp; do
	mount -t tmpfs -o mode=1777 tmpfs $R$d
done
share() { # TAG DIR OPTIONS
	mkdir -p "$R$2"
	if ! mount -t 9p -o "trans=virtio,version=9p2000.L,msize=262144$3" "$1" "$R$2"; then
		say "cannot mount the $1 share on $2"
		off
	fi
}
share repo "$J4S_REPO" ,ro,cache=loose
share bin "$(dirname "$J4S_BIN")" ,ro
share results "$J4S_OUT" 
hostname j4s-guest
say "running tests/kernels/guest.sh"
# shellcheck disable=SC2016 # (expanded by that bash)
chroot $R /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/tmp TERM=dumb J4S_BIN="$J4S_BIN" J4S_TEST_BPF="$J4S_TEST_BPF" J4S_VERIFIER="$J4S_VERIFIER" \
	J4S_LOAD_TIMEOUT="$J4S_LOAD_TIMEOUT" \
	/bin/bash -c 'cd "$1" && tests/kernels/guest.sh "$2" 2>&1 | tee "$2/guest.log"' \
	guest "$J4S_REPO" "$J4S_OUT"
rc=$?
echo "$rc" >"$R$J4S_OUT/guest.rc"
say "guest.sh exit $rc"
umount "$R$J4S_OUT"
off
