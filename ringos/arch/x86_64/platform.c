// SPDX-License-Identifier: MIT
/* The ordinary ring-0 platform (hardware KVM, QEMU TCG) and the choice between it and kvm_pvm. */
#include "boot.h"
#include "platform.h"
#include "smp.h"
#include "time.h"
#include "x86.h"

const struct platform_ops *platform = &ring0_platform_ops;

static void ring0_irq_enable(void)
{
    __asm__ volatile("sti" ::: "memory");
}

static void ring0_irq_disable(void)
{
    __asm__ volatile("cli" ::: "memory");
}

static unsigned long ring0_irq_save(void)
{
    unsigned long f;

    __asm__ volatile("pushfq; popq %0; cli" : "=r"(f)::"memory");
    return f;
}

static void ring0_irq_restore(unsigned long f)
{
    if (f & 0x200)
        ring0_irq_enable();
}

/* sti's one-instruction shadow makes "sti; hlt" atomic: no wakeup is lost. */
static void ring0_idle(void)
{
    __asm__ volatile("sti; hlt" ::: "memory");
}

static uint64_t ring0_read_cr2(void)
{
    uint64_t v;

    __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}

void cpu_idle(void)
{
    bool sched = boot.features & RV_FEAT_SCHED;

    uint32_t answer = RV_SCHED_R_WAKE;

    console_kick();
    if (sched) {
        /* Tell the host when our timer is due, so it can see the wake-up. */
        struct cpu *c = this_cpu();
        uint64_t now = time_ns(), us = 0;

        if (c->timer_armed && c->timer_due > now)
            us = (c->timer_due - now) / 1000 + 1;
        if (us > 0xffffffffu)
            us = 0;
        __asm__ volatile("inl %%dx, %%eax"
                         : "=a"(answer)
                         : "d"((uint16_t)RV_PORT_SCHED), "b"((uint32_t)us)
                         : "memory");
    }
    platform->idle();
    if (sched && (answer & RV_SCHED_R_WAKE))
        outb(RV_PORT_SCHED, RV_SCHED_WAKE);
}

const struct platform_ops ring0_platform_ops = {
    .name = "ring0",
    .irq_enable = ring0_irq_enable,
    .irq_disable = ring0_irq_disable,
    .irq_save = ring0_irq_save,
    .irq_restore = ring0_irq_restore,
    .idle = ring0_idle,
    .read_cr2 = ring0_read_cr2,
};

bool cpu_has_kvm_signature(void)
{
    uint32_t a, b, c, d;

    cpuid(0x40000000, 0, &a, &b, &c, &d);
    /* "KVMKVMKVM\0\0\0" */
    return b == 0x4b4d564b && c == 0x564b4d56 && d == 0x4d;
}

void platform_init(uint64_t pv_page_gpa)
{
    if (pv_page_gpa) {
        pvm_attach(pv_page_gpa);
        platform = &pvm_platform_ops;
    } else {
        platform = &ring0_platform_ops;
    }
    platform->irq_disable();
}
