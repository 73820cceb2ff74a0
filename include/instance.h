/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * instance: the pin directory (core.pin_dir) and the single-instance lock.
 * The directory is where the eBPF modes pin their programs and maps; it must
 * be ours (owned by our uid, nobody else may write it) before anything is
 * pinned in it, or a user who made it first would receive root's maps. An
 * exclusive flock(2) on the directory itself is the lock: the key is the
 * very thing two instances would fight over (the same bpffs directory,
 * whatever network namespace each runs in), it needs no other writable path,
 * and the kernel releases it when the process dies, however it dies.
 */
#ifndef J4S_INSTANCE_H
#define J4S_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Check (or create, mode 0700) dir, a directory on a bpffs, and lock it.
 * When dir's parent is not a bpffs and may_mount is set, bpffs is mounted
 * there with mode 0700 (the only parent that is done for: /sys/fs/bpf).
 * Returns the lock's fd (close it, after unpinning, to release), or:
 *   -EBUSY  another instance holds it (err names its PID when /proc/locks does)
 *   -EPERM  dir is not ours or others may write it (err: path, owner, mode, fix)
 *   -ENODEV dir's parent is no bpffs and could not be mounted
 *   other   -errno, err says what failed (never -EBUSY or -EPERM)
 */
int instance_lock(const char *dir, bool may_mount, char *err, size_t errlen);

/* Remove dir if it is empty (the pins are gone) and release the lock fd;
 * fd < 0 is fine. */
void instance_unlock(int fd, const char *dir);

#endif
