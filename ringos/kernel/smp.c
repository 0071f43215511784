// SPDX-License-Identifier: MIT
/*
 * Symmetric multiprocessing: per-CPU data, the big kernel lock, secondary
 * CPU bring-up (ringvisor starts them in 64-bit mode), IPIs and TLB
 * shootdown.  Under PVH (QEMU) only the boot CPU runs.
 */
#include "boot.h"
#include "cpu.h"
#include "mm.h"
#include "platform.h"
#include "printk.h"
#include "proc.h"
#include "smp.h"
#include "time.h"
#include "vm.h"
#include "x86.h"

#define MSR_GS_BASE 0xc0000101
#define NO_OWNER 0xffffffffu

struct cpu cpus[MAX_CPUS];
unsigned smp_nr_online = 1;

static struct {
    volatile uint32_t locked;
    volatile uint32_t owner; /* cpu id, NO_OWNER */
    uint32_t depth;          /* nesting on the owner; only the owner touches it */
} bkl = { 0, NO_OWNER, 0 };

/* Set by the boot CPU: ap_go once the IDT is loaded (read by boot.S, so it
 * lives in .data, which the boot CPU's .bss clear leaves alone), smp_go
 * once the kernel is ready for the APs to schedule. */
volatile uint32_t ap_go __attribute__((section(".data")));
static volatile bool smp_go;
static volatile uint32_t ap_waiting;

void idt_load(void);

void smp_cpu_early(unsigned id)
{
    struct cpu *c = &cpus[id];

    c->self = c;
    c->id = id;
    wrmsr(MSR_GS_BASE, (uint64_t)c);
}

bool kernel_lock_held(void)
{
    return bkl.owner == this_cpu()->id;
}

void kernel_lock(void)
{
    struct cpu *c = this_cpu();

    if (bkl.owner == c->id) {
        bkl.depth++;
        return;
    }
    /* Masked until the owner is recorded: a nested handler would spin on us. */
    unsigned long f = irq_save();
    while (__atomic_exchange_n(&bkl.locked, 1, __ATOMIC_ACQUIRE)) {
        /* The holder may be waiting for this CPU's TLB flush. */
        while (__atomic_load_n(&bkl.locked, __ATOMIC_RELAXED)) {
            if (c->flush_req)
                smp_ipi_flush();
            cpu_relax();
        }
    }
    bkl.owner = c->id;
    bkl.depth = 1;
    irq_restore(f);
}

void kernel_unlock(void)
{
    /* Masked from the depth test on: a handler nesting in between would
     * release the lock itself, and another CPU could take it before the
     * stores below clobbered its ownership. */
    unsigned long f = irq_save();

    if (bkl.owner != this_cpu()->id || bkl.depth == 0)
        panic("kernel_unlock: not held by cpu %u", this_cpu()->id);
    if (--bkl.depth == 0) {
        bkl.owner = NO_OWNER;
        __atomic_store_n(&bkl.locked, 0, __ATOMIC_RELEASE);
    }
    irq_restore(f);
}

/* x2APIC ICR: fixed delivery, physical destination; one trapping wrmsr. */
void smp_kick(struct cpu *c)
{
    wrmsr(0x830, ((uint64_t)c->apic_id << 32) | VEC_IPI);
}

void smp_kick_idle(void)
{
    struct cpu *me = this_cpu();

    for (unsigned i = 0; i < smp_nr_online; i++) {
        struct cpu *c = &cpus[i];
        if (c != me && c->halted) {
            c->halted = false; /* one IPI per wakeup: the next one picks another CPU */
            smp_kick(c);
            return;
        }
    }
}

void smp_ipi_flush(void)
{
    struct cpu *c = this_cpu();

    if (!c->flush_req)
        return;
    /* Whatever this CPU runs, reloading its CR3 drops every cached user translation. */
    if (c->cur && c->cur->mm)
        vm_activate(c->cur->mm);
    else
        vm_activate_kernel();
    __atomic_store_n(&c->flush_req, false, __ATOMIC_RELEASE);
}

void vm_tlb_shootdown(struct mm *mm)
{
    struct cpu *me = this_cpu();
    bool sent[MAX_CPUS] = { false };

    if (me->cur && me->cur->mm == mm)
        vm_activate(mm);
    /* Under the lock no CPU can switch to or away from (mm) meanwhile. */
    for (unsigned i = 0; i < smp_nr_online; i++) {
        struct cpu *c = &cpus[i];
        if (c == me || !c->cur || c->cur->mm != mm)
            continue;
        __atomic_store_n(&c->flush_req, true, __ATOMIC_RELEASE);
        smp_kick(c);
        sent[i] = true;
    }
    for (unsigned i = 0; i < smp_nr_online; i++)
        while (sent[i] && __atomic_load_n(&cpus[i].flush_req, __ATOMIC_ACQUIRE))
            cpu_relax();
}

/* Stage 1, any time after the boot CPU loaded the IDT: take IPIs, wait in hlt. */
static void ap_wait_for_go(struct cpu *c)
{
    platform_init(boot.pv_pages[c->id]);
    idt_load();
    apic_cpu_init();
    c->apic_id = apic_id();
    __atomic_fetch_add(&ap_waiting, 1, __ATOMIC_RELEASE);
    irq_disable();
    while (!smp_go) {
        cpu_idle(); /* the IPI from smp_start, or an early one: re-check */
        irq_disable();
    }
}

__noreturn void smp_ap_main(unsigned id)
{
    struct cpu *c = &cpus[id];

    smp_cpu_early(id);
    ap_wait_for_go(c);
    kernel_lock();
    gdt_init(id);
    uret_cpu_init();
    c->online = true;
    proc_cpu_start(); /* into this CPU's idle thread; the boot stack is left behind */
}

void smp_init(void)
{
    struct cpu *c = this_cpu();

    c->apic_id = apic_id();
    c->online = true;
    /* Only ringvisor starts secondary vCPUs for us (in 64-bit mode, parked in boot.S). */
    if (boot.vmm == BOOT_VMM_RINGVISOR && apic_present() && boot.nr_cpus > 1)
        __atomic_store_n(&ap_go, 1, __ATOMIC_RELEASE);
}

void smp_start(void)
{
    unsigned n = boot.vmm == BOOT_VMM_RINGVISOR && apic_present() ? MIN(boot.nr_cpus, MAX_CPUS) : 1;

    for (unsigned i = 0; i < n; i++)
        proc_cpu_prepare(&cpus[i]);
    if (n == 1)
        return;
    /* Every AP must be in its wait loop (LAPIC on, IPI vector live) first. */
    uint64_t t0 = time_ns();
    while (__atomic_load_n(&ap_waiting, __ATOMIC_ACQUIRE) < n - 1) {
        if (time_ns() - t0 > NSEC_PER_SEC) {
            printk("ringos: only %u of %u secondary CPUs came up\n", ap_waiting, n - 1);
            break;
        }
        cpu_relax();
    }
    n = ap_waiting + 1;
    smp_nr_online = n;
    smp_go = true;
    for (unsigned i = 1; i < n; i++)
        smp_kick(&cpus[i]);
}
