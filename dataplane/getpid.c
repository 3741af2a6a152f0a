/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	getpid.c - the process ID without a system call per call
 * DESCRIPTION
 *	OpenSSL 3.0's random generator calls getpid() on every draw, to
 *	notice a fork (openssl_get_fork_id() in its DRBG), and since glibc
 *	2.25 getpid() is a system call each time: about three a TLS
 *	handshake on a worker lcore (the server random, the key share, the
 *	signature's nonce), against a fast path that makes none (strace -c on
 *	a worker under TLS load counted 2.8 per session). rcptgate never
 *	forks, so the daemon defines getpid() itself, read from the kernel
 *	once; the shared libraries' calls bind to it as to any symbol the
 *	executable defines. Should a fork() ever happen, pthread_atfork()
 *	makes the child read its own ID again, so OpenSSL's fork detection
 *	keeps working. glibc's own internal calls are not affected.
 * TRUST
 *	Nothing to trust.
 */
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static pid_t rg_pid; /* 0: not read yet (or a forked child) */

static void
rg_pid_forget(void)
{
	__atomic_store_n(&rg_pid, 0, __ATOMIC_RELAXED);
}

__attribute__((constructor)) static void
rg_pid_init(void)
{
	pthread_atfork(NULL, NULL, rg_pid_forget);
}

pid_t
getpid(void)
{
	pid_t p = __atomic_load_n(&rg_pid, __ATOMIC_RELAXED);

	if (p == 0) { /* threads racing here all read the same value */
		p = (pid_t)syscall(SYS_getpid);
		__atomic_store_n(&rg_pid, p, __ATOMIC_RELAXED);
	}
	return p;
}
