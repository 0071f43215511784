// SPDX-License-Identifier: MIT
/* bench=cpuloop: a fixed integer loop, to compare native speed across hosts. */
#include "hv.h"
#include "lib.h"
#include "printk.h"
#include "time.h"

#define CPULOOP_ITERATIONS 300000000ul

static __noinline uint64_t cpuloop(void)
{
    uint64_t x = 1;

    for (uint64_t i = 0; i < CPULOOP_ITERATIONS; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        x ^= x >> 29;
    }
    return x;
}

__noreturn void bench_run(const char *name)
{
    if (strcmp(name, "cpuloop")) {
        printk("unknown bench: %s\n", name);
        hv_poweroff(125);
    }
    uint64_t t0 = time_ns();
    uint64_t x = cpuloop();
    uint64_t ns = time_ns() - t0;
    printk("cpuloop: %lu iterations in %lu ns (x=%lx)\n", CPULOOP_ITERATIONS, ns, x);
    hv_poweroff(0);
}
