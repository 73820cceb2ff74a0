// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Capability sets of the process: read, lower, drop for good; the bpf()
 * seccomp filter (privs.h). Knows nothing of what capture needs; the
 * caller says what to keep and whether to filter.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include "privs.h"

/* Highest capability number the kernel knows (bounding set walk). */
static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
	int n = 40; /* CAP_CHECKPOINT_RESTORE, when /proc does not say */

	if (f) {
		if (fscanf(f, "%d", &n) != 1 || n < 0 || n > 63)
			n = 40;
		fclose(f);
	}
	return n;
}

static int get_caps(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return syscall(SYS_capget, &h, d) ? -errno : 0;
}

static int set_caps(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

static uint64_t join(uint32_t lo, uint32_t hi)
{
	return (uint64_t)hi << 32 | lo;
}

uint64_t privs_effective(void)
{
	struct __user_cap_data_struct d[2];

	return get_caps(d) ? 0 : join(d[0].effective, d[1].effective);
}

int privs_set_effective(uint64_t eff)
{
	struct __user_cap_data_struct d[2];
	int rc = get_caps(d);

	if (rc)
		return rc;
	eff &= join(d[0].permitted, d[1].permitted);
	d[0].effective = (uint32_t)eff;
	d[1].effective = (uint32_t)(eff >> 32);
	return set_caps(d);
}

/* Bounding set down to keep: needs CAP_SETPCAP, so before capset. */
static int drop_bounding(uint64_t keep)
{
	int last = last_cap();

	if (!(privs_effective() & PRIVS_BIT(CAP_SETPCAP)))
		return -EPERM;
	for (int c = 0; c <= last; c++) {
		if (keep & PRIVS_BIT(c) || prctl(PR_CAPBSET_READ, c, 0, 0, 0) != 1)
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0))
			return -errno;
	}
	return 0;
}

int privs_drop(uint64_t keep, int *bset_done)
{
	struct __user_cap_data_struct d[2];
	uint64_t perm;
	int rc;

	/* No execve may gain what is dropped here (root's exec would
	 * otherwise refill permitted from the bounding set). */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	*bset_done = !drop_bounding(keep);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		return -errno;
	rc = get_caps(d);
	if (rc)
		return rc;
	perm = join(d[0].permitted, d[1].permitted) & keep;
	for (int i = 0; i < 2; i++) {
		d[i].permitted = d[i].effective = (uint32_t)(perm >> (32 * i));
		d[i].inheritable = 0;
	}
	return set_caps(d);
}

const char *privs_names(uint64_t caps, char *buf, unsigned int len)
{
	static const struct {
		int cap;
		const char *name;
	} known[] = {
		{ CAP_NET_ADMIN, "CAP_NET_ADMIN" },
		{ CAP_NET_RAW, "CAP_NET_RAW" },
		{ CAP_SYS_ADMIN, "CAP_SYS_ADMIN" },
		{ CAP_PERFMON, "CAP_PERFMON" },
		{ CAP_BPF, "CAP_BPF" },
	};
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]) && n < len; i++)
		if (caps & PRIVS_BIT(known[i].cap)) {
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "," : "",
					      known[i].name);
			caps &= ~PRIVS_BIT(known[i].cap);
		}
	if (caps && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%s0x%llx", n ? "," : "",
				      (unsigned long long)caps);
	if (!n)
		snprintf(buf, len, "none");
	return buf;
}

/* The architecture the filter accepts calls of: this build's own. */
#if defined(__x86_64__)
#define PRIVS_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define PRIVS_AUDIT_ARCH AUDIT_ARCH_AARCH64
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define PRIVS_AUDIT_ARCH AUDIT_ARCH_PPC64LE
#elif defined(__s390x__)
#define PRIVS_AUDIT_ARCH AUDIT_ARCH_S390X
#endif

/* The low 32 bits of bpf()'s first argument, the command. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define PRIVS_ARG0_LO offsetof(struct seccomp_data, args[0])
#else
#define PRIVS_ARG0_LO (offsetof(struct seccomp_data, args[0]) + 4)
#endif

#define PRIVS_X32_BIT 0x40000000U /* x86-64's x32 calls: never ours */

int privs_limit_bpf(void)
{
#ifdef PRIVS_AUDIT_ARCH
	/* Commands on objects already held by fd: map reads and writes, and
	 * what an object is. Not loading, creating, attaching, pinning or
	 * taking objects by id. */
	static const __u32 allowed[] = {
		BPF_MAP_LOOKUP_ELEM,    BPF_MAP_UPDATE_ELEM,
		BPF_MAP_DELETE_ELEM,    BPF_MAP_GET_NEXT_KEY,
		BPF_OBJ_GET_INFO_BY_FD, BPF_MAP_LOOKUP_AND_DELETE_ELEM,
		BPF_MAP_LOOKUP_BATCH,   BPF_MAP_LOOKUP_AND_DELETE_BATCH,
		BPF_MAP_UPDATE_BATCH,   BPF_MAP_DELETE_BATCH,
	};
	enum { N = sizeof(allowed) / sizeof(allowed[0]) };
	struct sock_filter f[7 + N + 2];
	struct sock_fprog prog = { .len = 0, .filter = f };
	unsigned short n = 0;

	/* Another architecture's or x32's calls: refused, none are ours. */
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PRIVS_AUDIT_ARCH, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, PRIVS_X32_BIT, N + 2, 0);
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_bpf, 0, N + 2);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, PRIVS_ARG0_LO);
	for (unsigned int i = 0; i < N; i++) /* to ALLOW, past the rest and the ERRNO */
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, allowed[i],
						      (__u8)(N - i), 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog.len = n;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0))
		return -errno;
	return 0;
#else
	return -ENOSYS;
#endif
}
