/* SPDX-License-Identifier: MIT */
/* x86-64 clock hardware behind kernel/time.c: kvmclock, TSC calibration, PIT, RTC. */
#ifndef RINGOS_ARCH_H
#define RINGOS_ARCH_H

#include "types.h"

/* Register this CPU's pvclock area; returns false if kvmclock is not offered. */
bool kvmclock_init(void);
/* kvmclock system time in ns (the host's count since the VM started). */
uint64_t kvmclock_read(void);
/* TSC frequency implied by the pvclock scale factors. */
uint64_t kvmclock_tsc_khz(void);
/* Wall clock (Unix ns) at kvmclock 0, from MSR_KVM_WALL_CLOCK_NEW; 0 if absent. */
uint64_t kvmclock_wall_base_ns(void);
/* TSC frequency from CPUID 0x15, CPUID 0x40000010 or the PIT; 0 if all fail. */
uint64_t tsc_calibrate_khz(void);
/* Does CPUID 0x40000001 advertise kvmclock (KVM_FEATURE_CLOCKSOURCE2)? */
bool cpu_has_kvmclock(void);

static inline uint64_t rdtsc_ordered(void)
{
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
    return ((uint64_t)hi << 32) | lo;
}

#endif
