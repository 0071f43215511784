// SPDX-License-Identifier: MIT
// primes N: count primes below N by trial division (deliberately CPU-bound).
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	long count = 0, last = 0;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 2; i < n; i++) {
		int prime = 1;
		for (long d = 2; d * d <= i; d++) {
			if (i % d == 0) {
				prime = 0;
				break;
			}
		}
		if (prime) {
			count++;
			last = i;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%ld primes below %ld (largest %ld) in %.3f s\n", count, n, last,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
