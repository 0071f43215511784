// SPDX-License-Identifier: MIT
// wakelat [N [SECONDS]]: the interactive guest of the scheduler benchmark.
// Sleeps 1 ms N times (default 1000), or until SECONDS have passed, and
// prints how late the wake-ups were: median, 99th percentile and worst, in
// microseconds.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long long ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000;
	long long limit = argc > 2 ? (long long)(atof(argv[2]) * 1e9) : 0;
	long long *late = calloc(n > 0 ? n : 1, sizeof(*late));
	const struct timespec ms = { 0, 1000000 };

	if (n <= 0 || !late)
		return 2;
	printf("wakelat: up\n");
	fflush(stdout);
	long long start = ns();

	for (int i = 0; i < n; i++) {
		long long t = ns();

		nanosleep(&ms, NULL);
		late[i] = ns() - t - 1000000;
		if (limit && ns() - start >= limit) {
			n = i + 1;
			break;
		}
	}
	qsort(late, n, sizeof(*late), cmp);
	printf("wakelat: n=%d p50=%lld p99=%lld max=%lld us\n", n, late[n / 2] / 1000,
	       late[(n * 99) / 100] / 1000, late[n - 1] / 1000);
	return 0;
}
