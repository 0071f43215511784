// SPDX-License-Identifier: MIT
/*
 * The kvm_pvm platform: the kernel runs natively at hardware CPL3, so the
 * interrupt flag is the virtual-IF byte in the PV page and CR2 comes from the
 * PV page's CR2 cell (see /work/shared/PVM-NOTES.md).
 */
#include "abi/rv_abi.h"
#include "platform.h"
#include "smp.h"
#include "x86.h"

#define RV_STR_(x) #x
#define RV_STR(x) RV_STR_(x)

/* This vCPU's PV page, through the direct map (struct cpu's pv_page: one
 * native %gs-relative load, no matter which CPU runs the code). */
static inline volatile uint8_t *pv(void)
{
    volatile uint8_t *p;

    __asm__ volatile("mov %%gs:32, %0" : "=r"(p));
    return p;
}

/* A trapping instruction makes the host deliver an interrupt it held back. */
static void pvm_deliver_pending(void)
{
    uint32_t lo, hi;

    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(RV_PVM_MSR_SIG) : "memory");
}

static void pvm_irq_enable(void)
{
    volatile uint8_t *p = pv();

    barrier();
    p[RV_PVM_PV_VIF] = 1;
    barrier();
    if (p[RV_PVM_PV_PENDING])
        pvm_deliver_pending();
}

static void pvm_irq_disable(void)
{
    pv()[RV_PVM_PV_VIF] = 0;
    barrier();
}

static unsigned long pvm_irq_save(void)
{
    unsigned long f = pv()[RV_PVM_PV_VIF];

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
 * moves an interrupted RIP inside it past the hlt.  One held back while
 * virtual IF was 0 (the pending byte) is not delivered by the store either:
 * then a trapping rdmsr takes it instead of the hlt.
 */
void pvm_idle_halt(volatile uint8_t *pv_page);
extern char pvm_idle_window[], pvm_idle_window_end[];
__asm__(".text\n"
        ".globl pvm_idle_halt, pvm_idle_window, pvm_idle_window_end\n"
        "pvm_idle_halt:\n"
        "    movb $1, " RV_STR(RV_PVM_PV_VIF) "(%rdi)\n"
        "pvm_idle_window:\n"
        "    cmpb $0, " RV_STR(RV_PVM_PV_PENDING) "(%rdi)\n"
        "    jne 1f\n"
        "    hlt\n"
        "pvm_idle_window_end:\n"
        "    ret\n"
        "1:  mov $" RV_STR(RV_PVM_MSR_SIG) ", %ecx\n"
        "    rdmsr\n"
        "    ret\n");

static void pvm_idle(void)
{
    pvm_idle_halt(pv());
}

void pvm_idle_fixup(uint64_t *rip)
{
    if (*rip >= (uint64_t)pvm_idle_window && *rip < (uint64_t)pvm_idle_window_end)
        *rip = (uint64_t)pvm_idle_window_end;
}

static uint64_t pvm_read_cr2(void)
{
    return *(volatile uint64_t *)(pv() + RV_PVM_PV_CR2);
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
    this_cpu()->pv_page = (volatile uint8_t *)(RV_DIRECT_MAP_BASE + pv_page_gpa);
    pvm_irq_disable();
}
