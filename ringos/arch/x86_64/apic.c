// SPDX-License-Identifier: MIT
/*
 * Local APIC, one per CPU, and its timer: x2APIC MSRs where the CPU has them (ringvisor, KVM),
 * xAPIC MMIO otherwise (QEMU TCG); TSC-deadline one-shots when offered,
 * else the count-down timer calibrated against time_ns().
 */
#include "abi/rv_abi.h"
#include "boot.h"
#include "cpu.h"
#include "time.h"
#include "proc.h"
#include "x86.h"

#define APIC_TPR 0x080
#define APIC_EOI 0x0b0
#define APIC_SVR 0x0f0
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_CUR 0x390
#define APIC_TIMER_DIV 0x3e0

#define LVT_MASKED (1u << 16)
#define LVT_PERIODIC (1u << 17)
#define LVT_DEADLINE (2u << 17)

static bool present, x2apic, deadline;
static volatile uint32_t *xapic;
static uint64_t timer_khz; /* count-down ticks per ms at divide-by-1 */
static volatile uint64_t ticks; /* all CPUs' */

static void apic_write(uint32_t reg, uint32_t v)
{
    if (x2apic)
        wrmsr(0x800 + (reg >> 4), v);
    else
        xapic[reg / 4] = v;
}

static uint32_t apic_read(uint32_t reg)
{
    return x2apic ? (uint32_t)rdmsr(0x800 + (reg >> 4)) : xapic[reg / 4];
}

static void apic_timer_irq(struct trap_frame *tf)
{
    (void)tf;
    ticks++;
    apic_write(APIC_EOI, 0);
    proc_tick();
}

void apic_init(void)
{
    uint32_t a, b, c, d;

    cpuid(1, 0, &a, &b, &c, &d);
    if (boot.vmm == BOOT_VMM_RINGVISOR) {
        /* The ABI promises an x2APIC when it sets RV_FEAT_LAPIC. */
        present = boot.features & RV_FEAT_LAPIC;
        x2apic = true;
        deadline = (boot.features & RV_FEAT_TSC_DEADLINE) && (c & (1u << 24));
    } else {
        present = d & (1u << 9);
        x2apic = c & (1u << 21);
        deadline = c & (1u << 24);
        /* Mask both 8259s so nothing arrives through LINT0 on a stale vector. */
        outb(0x21, 0xff);
        outb(0xa1, 0xff);
    }
    if (!present)
        return;
    idt_set_handler(VEC_TIMER, apic_timer_irq);
    apic_cpu_init();
}

void apic_cpu_init(void)
{
    if (!present)
        return;
    uint64_t base = rdmsr(MSR_APIC_BASE);
    if (x2apic) {
        if ((base & 0xc00) != 0xc00)
            wrmsr(MSR_APIC_BASE, base | 0xc00);
    } else {
        /* boot_pvh maps this 2 MiB of the direct map uncached. */
        xapic = phys_to_virt(base & ~0xfffull);
        if (!(base & 0x800))
            wrmsr(MSR_APIC_BASE, base | 0x800);
    }
    apic_write(APIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
    apic_write(APIC_LVT_LINT0, LVT_MASKED);
    apic_write(APIC_LVT_LINT1, LVT_MASKED);
    apic_write(APIC_TPR, 0);
    apic_write(APIC_TIMER_DIV, 0xb); /* divide by 1 */
    /* Software-enabled: a disabled LAPIC drops fixed IPIs. */
    apic_write(APIC_SVR, 0x100 | VEC_SPURIOUS);
}

uint32_t apic_id(void)
{
    if (!present)
        return 0;
    return x2apic ? (uint32_t)rdmsr(0x802) : apic_read(0x020) >> 24;
}

void apic_eoi(void)
{
    apic_write(APIC_EOI, 0);
}

bool apic_present(void)
{
    return present;
}

const char *apic_mode(void)
{
    if (!present)
        return "none";
    if (x2apic)
        return deadline ? "x2APIC, TSC-deadline" : "x2APIC";
    return deadline ? "xAPIC, TSC-deadline" : "xAPIC";
}

/* Measure the count-down rate over 10 ms, once. */
static void apic_calibrate(void)
{
    if (timer_khz)
        return;
    apic_write(APIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
    apic_write(APIC_TIMER_INIT, 0xffffffff);
    uint64_t t0 = time_ns(), t1;
    while ((t1 = time_ns()) - t0 < 10000000)
        ;
    uint32_t cur = apic_read(APIC_TIMER_CUR);
    apic_write(APIC_TIMER_INIT, 0);
    timer_khz = (uint64_t)(0xffffffffu - cur) * 1000000 / (t1 - t0);
    if (!timer_khz)
        timer_khz = 1000000; /* KVM and QEMU both run it at 1 GHz */
}

void apic_timer_periodic(uint32_t hz)
{
    if (!present || !hz)
        return;
    apic_calibrate();
    apic_write(APIC_LVT_TIMER, LVT_PERIODIC | VEC_TIMER);
    apic_write(APIC_TIMER_INIT, (uint32_t)MAX(timer_khz * 1000 / hz, 1));
}

void apic_timer_oneshot(uint64_t ns)
{
    if (!present)
        return;
    if (deadline) {
        apic_write(APIC_LVT_TIMER, LVT_DEADLINE | VEC_TIMER);
        wrmsr(MSR_TSC_DEADLINE, rdtsc() + time_ns_to_tsc(ns));
        return;
    }
    apic_calibrate();
    uint64_t count = ns / 1000 * timer_khz / 1000;
    apic_write(APIC_LVT_TIMER, VEC_TIMER);
    apic_write(APIC_TIMER_INIT, (uint32_t)MIN(MAX(count, 1), 0xffffffffull));
}

void apic_timer_stop(void)
{
    if (!present)
        return;
    apic_write(APIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
    apic_write(APIC_TIMER_INIT, 0);
    if (deadline)
        wrmsr(MSR_TSC_DEADLINE, 0);
}

uint64_t apic_ticks(void)
{
    return ticks;
}
