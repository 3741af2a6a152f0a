/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	test_getpid - OpenSSL's random draws make no getpid system call
 * DESCRIPTION
 *	Linked with the daemon's getpid.c. In a child process, a seccomp
 *	filter traps the getpid system call (SIGSYS, counted), then OpenSSL
 *	draws random bytes from its public and private generators, as a
 *	handshake does: not one trap. Without getpid.c every draw traps (OpenSSL 3.0's DRBG asks for
 *	the process ID each time to notice a fork). getpid() still gives the
 *	kernel's answer, and a forked child gets its own.
 * DIAGNOSTICS
 *	cmocka failures; skipped where seccomp filters cannot be set.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <cmocka.h>

#include <openssl/rand.h>

static volatile sig_atomic_t traps;

static void
on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	traps++; /* the trapped call returns what the register held: harmless here */
}

/* Trap getpid (SECCOMP_RET_TRAP); every other call is allowed. */
static int
trap_getpid(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };

	if (sigaction(SIGSYS, &sa, NULL) != 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* What the filtered child found: 0, or one of these. */
enum { DRAW_OK, DRAW_NO_FILTER = 10, DRAW_NO_TRAP, DRAW_FAILED, DRAW_TRAPPED, DRAW_PID_CHANGED };

/* In the child: set the filter, check that it traps, then draw. */
static int
draw_filtered(void)
{
	unsigned char b[32];
	pid_t before = getpid(); /* the child's own, read before the filter */

	/* OpenSSL notices the fork at the first draw (and reseeds) */
	if (RAND_bytes(b, sizeof(b)) != 1 || RAND_priv_bytes(b, sizeof(b)) != 1)
		return DRAW_FAILED;
	if (trap_getpid() != 0) {
		print_message("seccomp filter not set (%s): not checked\n", strerror(errno));
		fflush(stdout);
		return DRAW_NO_FILTER;
	}
	traps = 0;
	(void)syscall(SYS_getpid); /* the filter works: this one traps */
	if (traps != 1)
		return DRAW_NO_TRAP;
	traps = 0;
	for (int i = 0; i < 1000; i++)
		if (RAND_bytes(b, sizeof(b)) != 1 || RAND_priv_bytes(b, sizeof(b)) != 1)
			return DRAW_FAILED;
	if (traps != 0)
		return DRAW_TRAPPED;
	return getpid() == before ? DRAW_OK : DRAW_PID_CHANGED;
}

/*
 * The filter is set in a child that leaves with _exit(): a seccomp
 * filter cannot be taken away, and the rest of this process may still
 * make the call (a sanitizer's checks at exit do).
 */
static void
test_no_getpid_syscall(void **state)
{
	(void)state;
	unsigned char b[32];
	int st = 0;

	assert_int_equal(getpid(), (pid_t)syscall(SYS_getpid));
	assert_int_equal(RAND_bytes(b, sizeof(b)), 1); /* the generators set up first */
	assert_int_equal(RAND_priv_bytes(b, sizeof(b)), 1);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(draw_filtered());
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == DRAW_NO_FILTER)
		skip();
	assert_int_equal(WEXITSTATUS(st), DRAW_OK);
}

/* A child made by fork() reads its own ID (pthread_atfork), so OpenSSL
 * still sees the fork. */
static void
test_fork_child_own_pid(void **state)
{
	(void)state;
	int fd[2];
	pid_t parent = getpid();

	assert_int_equal(pipe(fd), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pid_t mine = getpid();
		(void)!write(fd[1], &mine, sizeof(mine));
		_exit(0);
	}
	pid_t got = 0;
	assert_int_equal(read(fd[0], &got, sizeof(got)), (ssize_t)sizeof(got));
	assert_int_equal(waitpid(child, NULL, 0), child);
	assert_int_equal(got, child);
	assert_int_not_equal(got, parent);
	assert_int_equal(getpid(), parent);
	close(fd[0]);
	close(fd[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fork_child_own_pid),
		cmocka_unit_test(test_no_getpid_syscall),
	};
	return cmocka_run_group_tests_name("getpid", tests, NULL, NULL);
}
