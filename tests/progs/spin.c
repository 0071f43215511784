// SPDX-License-Identifier: MIT
// spin [SECONDS [RUN_US SLEEP_US]]: a CPU-bound guest for the scheduler tests.
// Counts loop iterations for SECONDS of wall time (default: forever) and
// prints the count; with RUN_US and SLEEP_US it spins RUN_US then sleeps
// SLEEP_US, over and over: a guest that blocks just before each slice ends.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1e12;
	double run = argc > 3 ? atof(argv[2]) / 1e6 : 0;
	long sleep_ns = argc > 3 ? atol(argv[3]) * 1000 : 0;
	struct timespec pause = { sleep_ns / 1000000000, sleep_ns % 1000000000 };
	volatile unsigned long n = 0;
	double start = now(), burst = start;

	printf("spin: up\n");
	fflush(stdout);
	for (;;) {
		for (int i = 0; i < 100000; i++)
			n++;
		double t = now();

		if (t - start >= secs)
			break;
		if (run > 0 && t - burst >= run) {
			nanosleep(&pause, NULL);
			burst = now();
		}
	}
	printf("spin: %lu\n", (unsigned long)n);
	return 0;
}
