/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * privs: the process's capabilities. Once capture is live the daemon keeps
 * only what its stop needs (design.md §10): privs_drop() empties every set
 * but that, bounding set included where CAP_SETPCAP allows, and sets
 * no_new_privs so no execve can give anything back. Raw capget/capset and
 * prctl: no libcap dependency for a dozen lines.
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

/* "CAP_NET_ADMIN,CAP_BPF" or "none", into buf, for the log. */
const char *privs_names(uint64_t caps, char *buf, unsigned int len);

#endif
