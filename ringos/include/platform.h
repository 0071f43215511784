/* SPDX-License-Identifier: MIT */
/*
 * The platform layer: the few operations that differ between running as an
 * ordinary ring-0 kernel and running natively at CPL3 under kvm_pvm.
 * Everything above it is platform-independent.
 */
#ifndef RINGOS_PLATFORM_H
#define RINGOS_PLATFORM_H

#include "types.h"

struct platform_ops {
    const char *name;
    void (*irq_enable)(void);
    void (*irq_disable)(void);
    /* Disable interrupts; returns a token for irq_restore (). */
    unsigned long (*irq_save)(void);
    void (*irq_restore)(unsigned long flags);
    /* Enable interrupts and halt until one arrives, without the lost-wakeup race
     * where possible.  Call with interrupts disabled; returns with them enabled. */
    void (*idle)(void);
    uint64_t (*read_cr2)(void);
};

extern const struct platform_ops *platform;
extern const struct platform_ops ring0_platform_ops;
extern const struct platform_ops pvm_platform_ops;

/* Choose the operations table (pv_page_gpa != 0 selects kvm_pvm). */
void platform_init(uint64_t pv_page_gpa);

/* kvm_pvm: register (pv_page_gpa) for this vCPU, turning on native execution. */
void pvm_register(uint64_t pv_page_gpa);
/* kvm_pvm: use the registered page (pv_page_gpa) for interrupt state and CR2. */
void pvm_attach(uint64_t pv_page_gpa);
/* kvm_pvm detection: CPUID KVM signature and the PV signature MSR. */
bool pvm_detect(void);
bool cpu_has_kvm_signature(void);

static inline void irq_enable(void) { platform->irq_enable(); }
static inline void irq_disable(void) { platform->irq_disable(); }
static inline unsigned long irq_save(void) { return platform->irq_save(); }
static inline void irq_restore(unsigned long f) { platform->irq_restore(f); }
void console_kick(void);
/* Output queued for the host goes out before the CPU sleeps; under the
 * host's scheduler (RV_FEAT_SCHED) the host learns when this vCPU sleeps and
 * wakes, so its CPU serves another VM meanwhile. */
void cpu_idle(void);

#endif
