// SPDX-License-Identifier: MIT
/*
 * Monotonic and wall-clock time.  kvmclock when the host offers it, else the
 * TSC with a frequency from the host, CPUID or the PIT.  Wall clock: ringvisor
 * start info, KVM's wall-clock MSR, or the CMOS RTC read once (TCG).
 */
#include "abi/rv_abi.h"
#include "arch.h"
#include "boot.h"
#include "hv.h"
#include "printk.h"
#include "time.h"
#include "x86.h"

static bool use_kvmclock;
static uint64_t tsc_khz;
static uint64_t tsc_mult; /* ns per TSC tick, 32.32 fixed point */
/* realtime = wall_base + time_ns(); 0 = unknown. */
static uint64_t wall_base;

static uint64_t tsc_ns(void)
{
    return (uint64_t)(((unsigned __int128)rdtsc_ordered() * tsc_mult) >> 32);
}

uint64_t time_ns(void)
{
    return use_kvmclock ? kvmclock_read() : tsc_ns();
}

void time_init(void)
{
    if ((boot.features & RV_FEAT_KVMCLOCK) && kvmclock_init())
        use_kvmclock = true;

    tsc_khz = boot.tsc_khz;
    if (!tsc_khz && use_kvmclock)
        tsc_khz = kvmclock_tsc_khz();
    if (!tsc_khz)
        tsc_khz = tsc_calibrate_khz();
    if (!tsc_khz) {
        printk("time: cannot find the TSC frequency, assuming 1 GHz\n");
        tsc_khz = 1000000;
    }
    tsc_mult = (1000000ull << 32) / tsc_khz;

    if (boot.vmm == BOOT_VMM_RINGVISOR) {
        if (!use_kvmclock) {
            /* Without kvmclock, re-anchor the host's wall clock to our TSC time. */
            struct rv_hcall hc __aligned(16) = { .op = RV_HC_WALLCLOCK };
            if (hv_call(&hc) == 0) {
                boot.realtime_ns = hc.arg[0];
                boot.kvmclock_ns = time_ns();
            }
        }
        if (boot.realtime_ns)
            wall_base = boot.realtime_ns - boot.kvmclock_ns;
    } else if (use_kvmclock) {
        wall_base = kvmclock_wall_base_ns();
    } else {
        uint64_t epoch = rtc_read_epoch();
        if (epoch)
            wall_base = epoch * NSEC_PER_SEC - time_ns();
    }
}

uint64_t time_realtime_ns(void)
{
    return wall_base ? wall_base + time_ns() : 0;
}

uint64_t time_tsc_khz(void)
{
    return tsc_khz;
}

const char *time_source(void)
{
    return use_kvmclock ? "kvmclock" : "tsc";
}

uint64_t time_ns_to_tsc(uint64_t ns)
{
    /* ns * khz overflows past ~7000 s at 2.6 GHz; nobody sleeps that long at once. */
    return ns * tsc_khz / 1000000;
}

void time_delay_ns(uint64_t ns)
{
    uint64_t t0 = time_ns();

    while (time_ns() - t0 < ns)
        cpu_relax();
}
