// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The pin directory, checked and locked before anything is attached or
 * pinned (instance.h says why the lock lives on the directory).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "config.h"
#include "instance.h"
#include "log.h"

#define BPF_FS_MAGIC_ 0xcafe4a11
#define BPFFS_DEFAULT "/sys/fs/bpf"

/* -errno of a failed call, never one of the two codes instance_lock keeps
 * for refusals (instance.h). */
static int sys_err(void)
{
	return errno == EPERM || errno == EBUSY ? -EACCES : -errno;
}

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == (typeof(st.f_type))BPF_FS_MAGIC_;
}

/* The parent of dir must be a bpffs; mount one on /sys/fs/bpf if allowed,
 * 0700 so that only root sees what is pinned in it. */
static int ensure_bpffs(const char *dir, bool may_mount, char *err, size_t errlen)
{
	char copy[CONFIG_PATH_MAX];
	const char *parent;

	snprintf(copy, sizeof(copy), "%s", dir);
	parent = dirname(copy);
	if (is_bpffs(parent))
		return 0;
	if (!may_mount || strcmp(parent, BPFFS_DEFAULT)) {
		snprintf(err, errlen, "pin directory %s: %s is not a bpffs mount", dir, parent);
		return -ENOTDIR;
	}
	if (mount("bpf", parent, "bpf", 0, "mode=0700")) {
		snprintf(err, errlen,
			 "pin directory %s: bpffs is not mounted on %s and mounting it failed: %s",
			 dir, parent, strerror(errno));
		return -ENODEV; /* not -EPERM: that is a refusal (instance.h) */
	}
	log_info("bpf", "mounted bpffs on %s, mode 0700", parent);
	return 0;
}

/* Ours, and nobody else may add or remove pins in it. */
static int check_owner(int fd, const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st)) {
		snprintf(err, errlen, "pin directory %s: %s", dir, strerror(errno));
		return sys_err();
	}
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(err, errlen,
			 "pin directory %s is owned by uid %u, gid %u with mode %04o: it must "
			 "belong to uid %u and be writable by nobody else, or another user could "
			 "take the pinned maps; remove it (rm -r %s) if nothing of yours is in "
			 "it, or set core.pin_dir to another path",
			 dir, (unsigned int)st.st_uid, (unsigned int)st.st_gid,
			 (unsigned int)(st.st_mode & 07777), (unsigned int)geteuid(), dir);
		return -EPERM;
	}
	if ((st.st_mode & 07777) != 0700) {
		if (fchmod(fd, 0700)) {
			snprintf(err, errlen, "pin directory %s: chmod 0700: %s", dir,
				 strerror(errno));
			return -EACCES;
		}
		log_info("bpf", "pin directory %s: mode %04o made 0700", dir,
			 (unsigned int)(st.st_mode & 07777));
	}
	return 0;
}

/* The PID holding a flock on fd's inode, from /proc/locks; 0 if not found. */
static long lock_holder(int fd)
{
	char line[256];
	struct stat st;
	long pid = 0;
	FILE *f;

	if (fstat(fd, &st) || !(f = fopen("/proc/locks", "r")))
		return 0;
	while (!pid && fgets(line, sizeof(line), f)) {
		unsigned int maj, min;
		unsigned long ino;
		long p;

		if (sscanf(line, "%*d: FLOCK %*s %*s %ld %x:%x:%lu", &p, &maj, &min, &ino) == 4 &&
		    maj == major(st.st_dev) && min == minor(st.st_dev) && ino == st.st_ino)
			pid = p;
	}
	fclose(f);
	return pid;
}

static int busy(int fd, const char *dir, char *err, size_t errlen)
{
	long pid = lock_holder(fd);
	char who[48] = "another ja4sentinel";

	if (pid > 0)
		snprintf(who, sizeof(who), "another ja4sentinel (PID %ld)", pid);
	snprintf(err, errlen,
		 "%s is running with pin directory %s; not touching its programs, filters "
		 "or pins. Stop it first, or give this instance its own core.pin_dir",
		 who, dir);
	return -EBUSY;
}

/* One try: open, check, lock; 1 when dir was replaced meanwhile (retry). */
static int try_lock(const char *dir, int *out, char *err, size_t errlen)
{
	struct stat now, locked;
	int fd, rc;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "pin directory %s: mkdir: %s", dir, strerror(errno));
		return sys_err();
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		rc = sys_err();
		snprintf(err, errlen, "pin directory %s: %s", dir,
			 rc == -ELOOP || rc == -ENOTDIR ? "not a directory (a symbolic link?)"
							: strerror(-rc));
		return rc;
	}
	rc = check_owner(fd, dir, err, errlen);
	if (!rc && flock(fd, LOCK_EX | LOCK_NB)) {
		rc = errno == EWOULDBLOCK ? -EWOULDBLOCK : sys_err();
		if (rc == -EWOULDBLOCK)
			rc = busy(fd, dir, err, errlen);
		else
			snprintf(err, errlen, "pin directory %s: flock: %s", dir, strerror(-rc));
	}
	/* The previous instance may have removed the directory at its stop
	 * between our open and our lock: then the lock is on a dead inode. */
	if (!rc && (fstat(fd, &locked) || lstat(dir, &now) || now.st_ino != locked.st_ino ||
		    now.st_dev != locked.st_dev))
		rc = 1;
	if (rc) {
		close(fd);
		return rc;
	}
	*out = fd;
	return 0;
}

int instance_lock(const char *dir, bool may_mount, char *err, size_t errlen)
{
	int rc, fd = -1;

	if (dir[0] != '/') {
		snprintf(err, errlen, "pin directory %s: not an absolute path", dir);
		return -EINVAL;
	}
	rc = ensure_bpffs(dir, may_mount, err, errlen);
	for (int i = 0; !rc && i < 3; i++) {
		rc = try_lock(dir, &fd, err, errlen);
		if (rc <= 0)
			return rc ? rc : fd;
		rc = 0; /* replaced: try again */
	}
	if (!rc) {
		snprintf(err, errlen, "pin directory %s: keeps being replaced", dir);
		rc = -EAGAIN;
	}
	return rc;
}

void instance_unlock(int fd, const char *dir)
{
	if (fd < 0)
		return;
	/* Still holding the lock: a next instance that opened the directory
	 * meanwhile sees it gone after its flock and starts over (try_lock). */
	if (rmdir(dir) && errno != ENOTEMPTY && errno != ENOENT)
		log_warn("bpf", "removing pin directory %s: %s", dir, strerror(errno));
	close(fd);
}
