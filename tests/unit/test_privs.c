// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * privs: capability names for the log, and the bpf() filter installed once
 * capture runs, tried in a child process (the filter cannot be removed):
 * commands on objects held by fd pass, loading and creating are refused
 * whatever the capabilities, other calls are untouched.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/bpf.h>
#include "privs.h"

static void test_privs_names(void **state)
{
	char buf[128];

	(void)state;
	assert_string_equal(privs_names(0, buf, sizeof(buf)), "none");
	assert_string_equal(privs_names(PRIVS_BIT(CAP_NET_ADMIN), buf, sizeof(buf)),
			    "CAP_NET_ADMIN");
	assert_string_equal(privs_names(PRIVS_BIT(CAP_BPF) | PRIVS_BIT(CAP_NET_ADMIN) |
						PRIVS_BIT(CAP_SYS_ADMIN) | PRIVS_BIT(CAP_PERFMON),
					buf, sizeof(buf)),
			    "CAP_NET_ADMIN,CAP_SYS_ADMIN,CAP_PERFMON,CAP_BPF");
	assert_string_equal(privs_names(PRIVS_BIT(CAP_CHOWN), buf, sizeof(buf)), "0x1");
}

/* errno of bpf(cmd) on a zeroed attribute, 0 if it succeeded. */
static int bpf_errno(int cmd)
{
	union bpf_attr a;
	long fd;

	memset(&a, 0, sizeof(a));
	a.map_fd = (__u32)-1;
	if (cmd == BPF_MAP_CREATE) {
		a.map_type = BPF_MAP_TYPE_ARRAY;
		a.key_size = 4;
		a.value_size = 4;
		a.max_entries = 1;
	}
	fd = syscall(SYS_bpf, cmd, &a, sizeof(a));
	if (fd >= 0) {
		close((int)fd);
		return 0;
	}
	return errno;
}

/* In the child: exit 0 when every expectation holds, else the step number. */
static int child_checks(void)
{
	if (privs_limit_bpf())
		return 1;
	if (bpf_errno(BPF_MAP_CREATE) != EPERM)
		return 2;
	if (bpf_errno(BPF_PROG_LOAD) != EPERM)
		return 3;
	if (bpf_errno(BPF_PROG_GET_FD_BY_ID) != EPERM)
		return 4;
	/* Let through to the kernel, which finds no map behind fd -1. */
	if (bpf_errno(BPF_MAP_LOOKUP_ELEM) != EBADF)
		return 5;
	if (bpf_errno(BPF_MAP_UPDATE_ELEM) != EBADF)
		return 6;
	if (getpid() <= 0)
		return 7;
	return 0;
}

static void test_privs_limit_bpf(void **state)
{
	int status = 0;
	pid_t pid;

	(void)state;
#if !defined(__x86_64__) && !defined(__aarch64__) && !defined(__powerpc64__) && !defined(__s390x__)
	skip();
#endif
	pid = fork();
	assert_true(pid >= 0);
	if (!pid)
		_exit(child_checks());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_privs_names),
		cmocka_unit_test(test_privs_limit_bpf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
