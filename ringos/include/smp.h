/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU data, the big kernel lock and inter-processor interrupts.
 *
 * Each CPU's GS base points at its struct cpu (one wrmsr at bring-up).
 * kvm_pvm keeps the kernel's GS base apart from the user's (it swaps them on
 * every mode switch, checked by experiment: a user wrgsbase never reaches
 * the kernel), so %gs-relative loads are native and need no swapgs.  On the
 * ring-0 platform user code cannot change GS (no CR4.FSGSBASE, no
 * ARCH_SET_GS), so the kernel's base stays loaded in user mode too.
 */
#ifndef RINGOS_SMP_H
#define RINGOS_SMP_H

#include "abi/rv_abi.h"
#include "types.h"

#define MAX_CPUS RV_MAX_VCPUS

struct proc;

struct cpu {
    struct cpu *self;          /* %gs:0 */
    uint64_t kstack_top;       /* %gs:8: the current thread's stack, for syscall_entry */
    uint64_t user_rsp;         /* %gs:16: syscall_entry's scratch slot */
    struct proc *cur;          /* %gs:24: the running thread (`current`) */
    volatile uint8_t *pv_page; /* %gs:32: kvm_pvm PV page (virtual IF), direct map */
    unsigned id;               /* index in cpus[], = ringvisor's vCPU index */
    uint32_t apic_id;
    struct proc *idle;         /* runs when nothing else can; never migrates */
    uint64_t hw_fsbase;        /* FS base loaded in this CPU */
    bool online;
    bool need_resched;         /* preempt the current thread at its return to user mode */
    bool timer_armed;          /* the one-shot LAPIC timer is counting */
    uint64_t timer_due;        /* ... and is due then (time_ns) */
    volatile bool halted;      /* in the idle hlt: a new runnable thread needs an IPI */
    volatile bool flush_req;   /* TLB shootdown pending: reload CR3, then clear */
};
_Static_assert(__builtin_offsetof(struct cpu, kstack_top) == 8, "uentry.S uses %gs:8");
_Static_assert(__builtin_offsetof(struct cpu, user_rsp) == 16, "uentry.S uses %gs:16");
_Static_assert(__builtin_offsetof(struct cpu, cur) == 24, "proc.h uses %gs:24");
_Static_assert(__builtin_offsetof(struct cpu, pv_page) == 32, "pvm.c uses %gs:32");

extern struct cpu cpus[MAX_CPUS];
extern unsigned smp_nr_online;

static inline struct cpu *this_cpu(void)
{
    struct cpu *c;

    __asm__ volatile("mov %%gs:0, %0" : "=r"(c));
    return c;
}

/* Point this CPU's GS base at cpus[(id)].  The first thing every CPU does in C. */
void smp_cpu_early(unsigned id);

/*
 * The big kernel lock: held by a CPU whenever it runs kernel code, except in
 * the idle hlt and in the lock-free IPI handler.  Taken on every entry from
 * user mode, released by user_return_prepare() just before sysretq; it
 * passes from thread to thread across ctx_switch.  Recursive per CPU, so an
 * interrupt taken in kernel mode on the owning CPU just nests (interrupt
 * masking still orders the owner against its own handlers).  While spinning
 * it serves TLB shootdowns, so a CPU that holds it may wait for others.
 */
void kernel_lock(void);
void kernel_unlock(void);
/* Does this CPU hold the lock? */
bool kernel_lock_held(void);

/* Per-CPU state for the boot CPU; then the APs' wait loop is released. */
void smp_init(void);
/* Let the secondary CPUs into the scheduler (they take the lock, then idle). */
void smp_start(void);
/* Entered from boot.S by each secondary vCPU (id) on its ringvisor boot stack. */
__noreturn void smp_ap_main(unsigned id);
/* Load this CPU's syscall MSRs (uret.c), also run on each AP. */
void uret_cpu_init(void);

/* The one IPI vector: wakes an idle CPU, serves a TLB flush request. */
#define VEC_IPI 0xf1
/* Interrupt (c) (not this CPU) so that it looks at its flags and run queue. */
void smp_kick(struct cpu *c);
/* Wake one halted CPU other than this one, if any, for a newly runnable thread. */
void smp_kick_idle(void);
/* The lock-free part of the IPI: serve a TLB flush request. */
void smp_ipi_flush(void);

#endif
