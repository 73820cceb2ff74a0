/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * privs: the process's capabilities, and a seccomp filter for bpf(). Once
 * capture is live the daemon keeps only what its stop needs (design.md
 * §10): privs_drop() empties every set but that, bounding set included
 * where CAP_SETPCAP allows, and sets no_new_privs so no execve can give
 * anything back; privs_limit_bpf() leaves bpf() the commands on objects
 * held by fd. Raw capget/capset, prctl and a classic BPF filter: no libcap
 * or libseccomp dependency for a few dozen lines.
 */
#ifndef J4S_PRIVS_H
#define J4S_PRIVS_H

#include <stdint.h>
#include <linux/capability.h>

/* Kernel headers older than 5.8 (el8) lack these two. */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* A capability's bit in the 64-bit masks below (CAP_* numbers). */
#define PRIVS_BIT(cap) (1ULL << (cap))

/* The effective set (first 64 capabilities); 0 if it cannot be read. */
uint64_t privs_effective(void);

/* Make the effective set eff & permitted: to try an operation without some
 * capability and raise it again. 0 or -errno. */
int privs_set_effective(uint64_t eff);

/*
 * Keep only keep (CAP_* bits): permitted = effective = keep & permitted;
 * inheritable and ambient emptied; bounding set reduced to keep when
 * CAP_SETPCAP is held (*bset_done says whether it was); no_new_privs set.
 * 0 or -errno.
 */
int privs_drop(uint64_t keep, int *bset_done);

/*
 * A seccomp filter (for good: it cannot be removed) that lets bpf() work
 * only on objects already held by fd - map reads and writes, object info -
 * and refuses (EPERM) loading programs, creating maps, attaching, pinning
 * and taking objects by id, whatever capabilities are left; calls of
 * another architecture (or x32) are refused too. Everything else passes:
 * the unit's SystemCallFilter= is the general filter. 0, -ENOSYS on an
 * architecture this build does not know, or -errno.
 */
int privs_limit_bpf(void);

/* "CAP_NET_ADMIN,CAP_BPF" or "none", into buf, for the log. */
const char *privs_names(uint64_t caps, char *buf, unsigned int len);

#endif
