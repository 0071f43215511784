// SPDX-License-Identifier: MIT
// clock [MS]: prints CLOCK_REALTIME and CLOCK_MONOTONIC, sleeps MS (200) ms
// and reports how long that took on both clocks, for the host to compare.
// Also checks that the clocks agree with each other and never go back.
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

#include "check.h"

static double now(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) < 0)
		return -1;
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long ms = argc > 1 ? atol(argv[1]) : 200;
	struct timespec req = { ms / 1000, (ms % 1000) * 1000000 };
	struct timespec res;
	struct timeval tv;

	double rt0 = now(CLOCK_REALTIME), mono0 = now(CLOCK_MONOTONIC);
	CHECK(rt0 > 1.6e9, "CLOCK_REALTIME %.3f is before 2020", rt0);
	CHECK(mono0 >= 0, "CLOCK_MONOTONIC failed");
	printf("realtime %.6f\n", rt0);
	printf("monotonic %.6f\n", mono0);
	CHECK(clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0 &&
	      res.tv_nsec <= 1000000, "clock_getres MONOTONIC %ld.%09ld", (long)res.tv_sec,
	      res.tv_nsec);
	CHECK(gettimeofday(&tv, NULL) == 0 && tv.tv_sec + tv.tv_usec / 1e6 - rt0 < 1.0 &&
	      tv.tv_sec + tv.tv_usec / 1e6 >= (long)rt0, "gettimeofday disagrees with CLOCK_REALTIME");
	CHECK(time(NULL) - (time_t)rt0 <= 1, "time() disagrees with CLOCK_REALTIME");

	double prev = now(CLOCK_MONOTONIC);
	for (int i = 0; i < 100000; i++) {
		double t = now(CLOCK_MONOTONIC);
		CHECK(t >= prev, "CLOCK_MONOTONIC went back from %.9f to %.9f", prev, t);
		prev = t;
	}

	double mono1 = now(CLOCK_MONOTONIC), rt1 = now(CLOCK_REALTIME);
	CHECK(nanosleep(&req, NULL) == 0, "nanosleep");
	double mono2 = now(CLOCK_MONOTONIC), rt2 = now(CLOCK_REALTIME);
	double slept = mono2 - mono1, slept_rt = rt2 - rt1;
	printf("slept %.6f s (realtime %.6f s) for %ld ms\n", slept, slept_rt, ms);
	printf("slept_ms %.3f\n", slept * 1e3);
	printf("realtime_end %.6f\n", rt2);
	CHECK(slept >= ms / 1e3, "nanosleep returned early after %.6f s", slept);
	CHECK(slept_rt > slept * 0.95 && slept_rt < slept * 1.05 + 0.001,
	      "realtime advanced %.6f s while monotonic advanced %.6f s", slept_rt, slept);
	printf("SUCCESS\n");
	return 0;
}
