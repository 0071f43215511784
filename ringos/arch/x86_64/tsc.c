// SPDX-License-Identifier: MIT
/* kvmclock (pvclock protocol) and TSC frequency discovery, PIT calibration under TCG. */
#include "arch.h"
#include "platform.h"
#include "x86.h"

struct pvclock_vcpu_time_info {
    uint32_t version;
    uint32_t pad0;
    uint64_t tsc_timestamp;
    uint64_t system_time;
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
    uint8_t flags;
    uint8_t pad[2];
};
_Static_assert(sizeof(struct pvclock_vcpu_time_info) == 32, "pvclock layout");

struct pvclock_wall_clock {
    uint32_t version;
    uint32_t sec;
    uint32_t nsec;
};

/* Written by the host; 32-byte aligned so it never crosses a page. */
static volatile struct pvclock_vcpu_time_info pvclock __aligned(64);
static volatile struct pvclock_wall_clock wall __aligned(64);

bool cpu_has_kvmclock(void)
{
    uint32_t a, b, c, d;

    if (!cpu_has_kvm_signature())
        return false;
    cpuid(0x40000001, 0, &a, &b, &c, &d);
    return a & (1u << 3); /* KVM_FEATURE_CLOCKSOURCE2 */
}

bool kvmclock_init(void)
{
    wrmsr(MSR_KVM_SYSTEM_TIME_NEW, virt_to_phys((const void *)&pvclock) | 1);
    /* The host fills it in during the wrmsr; version 0 means nobody did. */
    return pvclock.version != 0 && pvclock.tsc_to_system_mul != 0;
}

uint64_t kvmclock_read(void)
{
    uint32_t v;
    uint64_t ns;

    do {
        v = pvclock.version;
        barrier(); /* read the version before the data (x86 keeps loads ordered) */
        uint64_t delta = rdtsc_ordered() - pvclock.tsc_timestamp;
        int8_t shift = pvclock.tsc_shift;
        if (shift < 0)
            delta >>= -shift;
        else
            delta <<= shift;
        ns = pvclock.system_time +
             (uint64_t)(((unsigned __int128)delta * pvclock.tsc_to_system_mul) >> 32);
        barrier();
    } while ((v & 1) || v != pvclock.version);
    return ns;
}

uint64_t kvmclock_tsc_khz(void)
{
    /* ns = ticks * 2^shift * mul / 2^32, so ticks per ms = 1e6 * 2^32 / (mul * 2^shift). */
    uint64_t khz = (1000000ull << 32) / pvclock.tsc_to_system_mul;
    int8_t shift = pvclock.tsc_shift;

    return shift < 0 ? khz << -shift : khz >> shift;
}

uint64_t kvmclock_wall_base_ns(void)
{
    uint32_t v, sec, nsec;

    wrmsr(MSR_KVM_WALL_CLOCK_NEW, virt_to_phys((const void *)&wall));
    do {
        v = wall.version;
        barrier();
        sec = wall.sec;
        nsec = wall.nsec;
        barrier();
    } while ((v & 1) || v != wall.version);
    return (uint64_t)sec * 1000000000ull + nsec;
}

static uint16_t pit_read(void)
{
    outb(0x43, 0x00); /* latch channel 0 */
    uint8_t lo = inb(0x40);
    uint8_t hi = inb(0x40);
    return (uint16_t)(lo | hi << 8);
}

/* Count 50 ms of PIT channel 0 (1.193182 MHz) against the TSC. */
static uint64_t pit_calibrate_khz(void)
{
    const uint64_t pit_hz = 1193182, want = pit_hz / 20;
    uint64_t elapsed = 0, t0, t1;

    outb(0x43, 0x34); /* channel 0, lobyte/hibyte, mode 2 (rate generator) */
    outb(0x40, 0);
    outb(0x40, 0); /* reload 65536 */
    uint16_t prev = pit_read();
    t0 = rdtsc_ordered();
    while (elapsed < want) {
        uint16_t cur = pit_read();
        elapsed += (uint16_t)(prev - cur);
        prev = cur;
        /* No PIT (reads stuck): give up after ~10 s even at 5 GHz. */
        if (rdtsc() - t0 > 50000000000ull)
            return 0;
    }
    t1 = rdtsc_ordered();
    return (t1 - t0) * pit_hz / (elapsed * 1000);
}

uint64_t tsc_calibrate_khz(void)
{
    uint32_t a, b, c, d;

    cpuid(0, 0, &a, &b, &c, &d);
    if (a >= 0x15) {
        cpuid(0x15, 0, &a, &b, &c, &d);
        if (a && b && c)
            return (uint64_t)c * b / a / 1000;
    }
    cpuid(0x40000000, 0, &a, &b, &c, &d);
    if (a >= 0x40000010) {
        cpuid(0x40000010, 0, &a, &b, &c, &d);
        if (a)
            return a;
    }
    return pit_calibrate_khz();
}
