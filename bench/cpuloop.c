// SPDX-License-Identifier: MIT
/*
 * Native half of the CPU-bound benchmark: the same LCG/xorshift loop that
 * ringos runs for "bench=cpuloop", timed the same way and printed in the
 * same format, so bench.py can divide one by the other.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define CPULOOP_ITERATIONS 300000000ull

/* noinline so the compiler cannot fold the loop into main's timing code. */
static __attribute__((noinline)) uint64_t cpuloop(uint64_t iterations)
{
    uint64_t x = 1;

    for (uint64_t i = 0; i < iterations; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        x ^= x >> 29;
    }
    return x;
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(void)
{
    volatile uint64_t sink;
    uint64_t t0, t1;

    t0 = now_ns();
    /* The volatile store keeps x alive, so the loop cannot be deleted. */
    sink = cpuloop(CPULOOP_ITERATIONS);
    t1 = now_ns();
    (void)sink;
    printf("cpuloop: %llu iterations in %" PRIu64 " ns\n",
           CPULOOP_ITERATIONS, t1 - t0);
    return 0;
}
