// SPDX-License-Identifier: MIT
// parallel: the same CPU-bound work run alone, then twice at the same time,
// as two threads and as two processes; prints the wall times and their
// ratio (about 1 when two CPUs run the pair, 2 on one CPU).  The two threads
// also watch each other: each counts the steps of its own work during which
// the other one advanced, which is nearly all of them only when both really
// run at once (one CPU switches every 10 ms, a step is ~100 us), however
// loaded the host is.  The test decides what is acceptable.
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define STEP 100000 /* iterations between two looks at the other thread */

static long steps = 1000;

/* One cache line each, so that watching costs no false sharing. */
static struct {
	volatile long done;
	long seen; /* steps during which the other thread's count moved */
	char pad[48];
} lane[2] __attribute__((aligned(64)));

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* No system calls: pure CPU, plus one look at the other lane per step. */
static void *work(void *arg)
{
	intptr_t me = (intptr_t)arg;
	volatile uint64_t x = me;
	long last = lane[!me].done;

	for (long s = 0; s < steps; s++) {
		for (int i = 0; i < STEP; i++)
			x = x * 6364136223846793005ull + 1442695040888963407ull;
		lane[me].done++;
		long other = lane[!me].done;
		if (other != last)
			lane[me].seen++;
		last = other;
	}
	return (void *)(uintptr_t)(x | 1);
}

static int threads(int n, double *ms)
{
	pthread_t t[2];
	double t0 = now_ms();

	for (int i = 0; i < 2; i++)
		lane[i].done = lane[i].seen = 0;
	for (int i = 0; i < n; i++)
		CHECK(pthread_create(&t[i], NULL, work, (void *)(intptr_t)i) == 0, "pthread_create");
	for (int i = 0; i < n; i++) {
		void *r;
		CHECK(pthread_join(t[i], &r) == 0 && r, "pthread_join");
	}
	*ms = now_ms() - t0;
	return 0;
}

static int processes(int n, double *ms)
{
	double t0 = now_ms();

	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		CHECK(pid >= 0, "fork");
		if (pid == 0)
			_exit(work((void *)0) ? 0 : 1);
	}
	for (int i = 0; i < n; i++) {
		int st;
		CHECK(wait(&st) > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child failed");
	}
	*ms = now_ms() - t0;
	return 0;
}

int main(int argc, char **argv)
{
	double one, two;

	if (argc > 1)
		steps = atol(argv[1]);
	CHECK(steps > 0, "usage: parallel [steps of %d iterations]", STEP);
	CHECK(threads(1, &one) == 0 && threads(2, &two) == 0, "threads");
	long seen = lane[0].seen < lane[1].seen ? lane[0].seen : lane[1].seen;
	printf("threads: one %.0f ms, two %.0f ms, ratio %.2f\n", one, two, two / one);
	printf("overlap: %.2f\n", (double)seen / steps);
	CHECK(processes(1, &one) == 0 && processes(2, &two) == 0, "processes");
	printf("processes: one %.0f ms, two %.0f ms, ratio %.2f\n", one, two, two / one);
	printf("SUCCESS\n");
	return 0;
}
