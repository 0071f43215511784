// SPDX-License-Identifier: MIT
// cpu_and_interactive: a CPU-bound child spins while the parent does 20
// sleeps of 10 ms; the parent must not be starved (done in < 2x the ideal
// time) and the child must make progress. Needs a preemptive scheduler on
// one CPU.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SLEEPS 20
#define SLEEP_NS 10000000L
#define MIN_CHILD_ITERS 1000000UL

static volatile sig_atomic_t stop;

static void on_usr1(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	struct timespec req = { 0, SLEEP_NS };
	unsigned long iters = 0;
	double worst = 0;
	int pfd[2], ws;

	signal(SIGUSR1, on_usr1);
	if (pipe(pfd) < 0) {
		printf("FAIL: pipe\n");
		return 1;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		printf("FAIL: fork\n");
		return 1;
	}
	if (pid == 0) {
		unsigned long n = 0;
		/* Pure user-mode spinning: only a timer interrupt can stop it. */
		while (!stop)
			n++;
		_exit(write(pfd[1], &n, sizeof(n)) == sizeof(n) ? 0 : 1);
	}
	close(pfd[1]);
	double start = now();
	for (int i = 0; i < SLEEPS; i++) {
		double t = now();
		nanosleep(&req, NULL);
		double late = now() - t - SLEEP_NS / 1e9;
		if (late > worst)
			worst = late;
	}
	double elapsed = now() - start, ideal = SLEEPS * SLEEP_NS / 1e9;
	kill(pid, SIGUSR1);
	if (read(pfd[0], &iters, sizeof(iters)) != sizeof(iters) ||
	    waitpid(pid, &ws, 0) != pid || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
		printf("FAIL: the child did not report back\n");
		return 1;
	}
	printf("parent: %d sleeps of %ld ms took %.1f ms (ideal %.1f), worst lateness %.2f ms\n",
	       SLEEPS, SLEEP_NS / 1000000, elapsed * 1e3, ideal * 1e3, worst * 1e3);
	printf("child: %lu iterations\n", iters);
	if (elapsed >= 2 * ideal) {
		printf("FAIL: the sleeping parent was starved by the spinning child\n");
		return 1;
	}
	if (iters < MIN_CHILD_ITERS) {
		printf("FAIL: the child made almost no progress\n");
		return 1;
	}
	printf("SUCCESS\n");
	return 0;
}
