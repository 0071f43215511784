// SPDX-License-Identifier: MIT
// signals: SIGCHLD handler after a child exits, a SIGSEGV handler that
// siglongjmps out (twice), EPIPE with SIGPIPE ignored and death by SIGPIPE
// without, self-signals via kill/raise with SA_SIGINFO, and blocking.
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static volatile sig_atomic_t chld_count, usr1_count, usr2_count;
static volatile sig_atomic_t usr1_code, usr1_pid;
static sigjmp_buf segv_env;
static volatile void *volatile fault_addr;

static void on_chld(int sig)
{
	(void)sig;
	chld_count++;
}

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	usr1_count++;
	usr1_code = si->si_signo == sig ? si->si_code : -1000;
	usr1_pid = si->si_pid;
}

static void on_usr2(int sig)
{
	(void)sig;
	usr2_count++;
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	fault_addr = si->si_addr;
	siglongjmp(segv_env, 1);
}

static int test_sigchld(void)
{
	struct sigaction sa = { .sa_handler = on_chld };
	sigset_t block, old;
	int ws;

	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGCHLD, &sa, NULL) == 0, "sigaction SIGCHLD");
	/* Block first so the exit cannot slip in before sigsuspend. */
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old);
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0)
		_exit(7);
	/* sigsuspend only ever returns EINTR; anything else would spin here. */
	while (chld_count == 0)
		CHECK(sigsuspend(&old) == -1 && errno == EINTR, "sigsuspend: %s", strerror(errno));
	sigprocmask(SIG_SETMASK, &old, NULL);
	CHECK(waitpid(pid, &ws, 0) == pid && WIFEXITED(ws) && WEXITSTATUS(ws) == 7,
	      "child status %#x, want exit 7", ws);
	printf("sigchld: ok\n");
	return 0;
}

static int test_segv_longjmp(void)
{
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO };
	sigset_t cur;

	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGSEGV, &sa, NULL) == 0, "sigaction SIGSEGV");
	for (int round = 0; round < 2; round++) {
		volatile int *volatile p = (int *)(uintptr_t)(16 + round * 8);
		fault_addr = NULL;
		if (sigsetjmp(segv_env, 1) == 0) {
			*p = 1;
			CHECK(0, "store to %p did not fault", (void *)p);
		}
		CHECK(fault_addr == (void *)p, "si_addr %p, want %p", (void *)fault_addr,
		      (void *)p);
		/* siglongjmp must restore the mask that blocked SIGSEGV in the handler. */
		sigprocmask(SIG_SETMASK, NULL, &cur);
		CHECK(!sigismember(&cur, SIGSEGV), "SIGSEGV still blocked after siglongjmp");
	}
	signal(SIGSEGV, SIG_DFL);
	printf("sigsegv: ok\n");
	return 0;
}

static int test_sigpipe(void)
{
	int pfd[2], ws;

	signal(SIGPIPE, SIG_IGN);
	CHECK(pipe(pfd) == 0, "pipe");
	close(pfd[0]);
	errno = 0;
	CHECK(write(pfd[1], "x", 1) == -1 && errno == EPIPE,
	      "write to a closed pipe: errno %d, want EPIPE", errno);
	close(pfd[1]);

	/* With the default action the writer dies of SIGPIPE. */
	CHECK(pipe(pfd) == 0, "pipe");
	close(pfd[0]);
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		ssize_t n = write(pfd[1], "x", 1);
		(void)n;
		_exit(3);
	}
	close(pfd[1]);
	CHECK(waitpid(pid, &ws, 0) == pid, "waitpid");
	CHECK(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGPIPE, "writer status %#x, want SIGPIPE", ws);
	printf("sigpipe: ok\n");
	return 0;
}

static int test_self_signals(void)
{
	struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO };
	sigset_t block, pending;

	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction SIGUSR1");
	signal(SIGUSR2, on_usr2);
	/* An unblocked signal sent to oneself is delivered before kill returns. */
	CHECK(kill(getpid(), SIGUSR1) == 0, "kill self");
	CHECK(usr1_count == 1, "SIGUSR1 handler ran %d times", (int)usr1_count);
	CHECK(usr1_code == SI_USER && usr1_pid == getpid(), "siginfo code %d pid %d",
	      (int)usr1_code, (int)usr1_pid);
	CHECK(raise(SIGUSR2) == 0 && usr2_count == 1, "raise SIGUSR2");

	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, NULL);
	kill(getpid(), SIGUSR1);
	kill(getpid(), SIGUSR1); /* standard signals do not queue */
	CHECK(usr1_count == 1, "blocked SIGUSR1 was delivered");
	sigpending(&pending);
	CHECK(sigismember(&pending, SIGUSR1), "blocked SIGUSR1 not pending");
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	CHECK(usr1_count == 2, "unblocking delivered SIGUSR1 %d times, want once",
	      (int)usr1_count - 1);
	printf("kill/raise: ok\n");
	return 0;
}

int main(void)
{
	if (test_sigchld() || test_segv_longjmp() || test_sigpipe() || test_self_signals())
		return 1;
	printf("SUCCESS\n");
	return 0;
}
