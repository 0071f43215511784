// SPDX-License-Identifier: MIT
/*
 * The kvm_pvm platform: the kernel runs natively at hardware CPL3, so the
 * interrupt flag is the virtual-IF byte in the PV page and CR2 comes from the
 * PV page's CR2 cell (see /work/shared/PVM-NOTES.md).
 */
#include "abi/rv_abi.h"
#include "platform.h"
#include "x86.h"

static volatile uint8_t *pv_page; /* boot vCPU's PV page, through the direct map */

/* A trapping instruction makes the host deliver an interrupt it held back. */
static void pvm_deliver_pending(void)
{
    uint32_t lo, hi;

    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(RV_PVM_MSR_SIG) : "memory");
}

static void pvm_irq_enable(void)
{
    barrier();
    pv_page[RV_PVM_PV_VIF] = 1;
    barrier();
    if (pv_page[RV_PVM_PV_PENDING])
        pvm_deliver_pending();
}

static void pvm_irq_disable(void)
{
    pv_page[RV_PVM_PV_VIF] = 0;
    barrier();
}

static unsigned long pvm_irq_save(void)
{
    unsigned long f = pv_page[RV_PVM_PV_VIF];

    pvm_irq_disable();
    return f;
}

static void pvm_irq_restore(unsigned long f)
{
    if (f)
        pvm_irq_enable();
}

/*
 * kvm_pvm has no atomic enable-and-halt: an interrupt arriving between the
 * virtual-IF store and the hlt is delivered before the hlt, which would then
 * sleep until the next interrupt.  So the store and the hlt sit in a known
 * window, and pvm_idle_fixup() (called for every kernel-mode interrupt)
 * moves an interrupted RIP inside it past the hlt.
 */
void pvm_idle_halt(volatile uint8_t *vif);
extern char pvm_idle_window[], pvm_idle_window_end[];
__asm__(".text\n"
        ".globl pvm_idle_halt, pvm_idle_window, pvm_idle_window_end\n"
        "pvm_idle_halt:\n"
        "    movb $1, (%rdi)\n"
        "pvm_idle_window:\n"
        "    hlt\n"
        "pvm_idle_window_end:\n"
        "    ret\n");

static void pvm_idle(void)
{
    pvm_idle_halt(pv_page + RV_PVM_PV_VIF);
}

void pvm_idle_fixup(uint64_t *rip)
{
    if (*rip >= (uint64_t)pvm_idle_window && *rip < (uint64_t)pvm_idle_window_end)
        *rip = (uint64_t)pvm_idle_window_end;
}

static uint64_t pvm_read_cr2(void)
{
    return *(volatile uint64_t *)(pv_page + RV_PVM_PV_CR2);
}

const struct platform_ops pvm_platform_ops = {
    .name = "kvm_pvm",
    .irq_enable = pvm_irq_enable,
    .irq_disable = pvm_irq_disable,
    .irq_save = pvm_irq_save,
    .irq_restore = pvm_irq_restore,
    .idle = pvm_idle,
    .read_cr2 = pvm_read_cr2,
};

bool pvm_detect(void)
{
    uint64_t sig;

    if (!cpu_has_kvm_signature())
        return false;
    return rdmsr_safe(RV_PVM_MSR_SIG, &sig) == 0 && sig == RV_PVM_SIGNATURE;
}

void pvm_register(uint64_t pv_page_gpa)
{
    wrmsr(RV_PVM_MSR_PVPAGE, pv_page_gpa | RV_PVM_FLAGS);
}

void pvm_attach(uint64_t pv_page_gpa)
{
    /* Virtual IF alone gates delivery; keep the virtual RFLAGS.IF set like the probe does. */
    __asm__ volatile("sti" ::: "memory");
    pv_page = (volatile uint8_t *)(RV_DIRECT_MAP_BASE + pv_page_gpa);
    pvm_irq_disable();
}
