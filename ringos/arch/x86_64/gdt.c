// SPDX-License-Identifier: MIT
/*
 * Each CPU's GDT and TSS, with ringvisor's selector layout; TSS.RSP0 is an
 * upper-half kernel stack because kvm_pvm switches to it for user-mode events.
 */
#include "cpu.h"
#include "smp.h"

struct tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss64) == 0x68, "TSS layout");

struct desc_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

/* Slots 0x00..0x38 plus the 16-byte TSS descriptor at 0x40, per CPU (each
 * TR names its own TSS, and ltr marks the descriptor busy). */
static const uint64_t gdt_template[10] = {
    [SEL_KCODE32 / 8] = 0x00cf9a000000ffffull,
    [SEL_KCODE / 8] = 0x00af9a000000ffffull,
    [SEL_KDATA / 8] = 0x00cf92000000ffffull,
    [SEL_UCODE32 / 8] = 0x00cffa000000ffffull,
    [SEL_UDATA / 8] = 0x00cff2000000ffffull,
    [SEL_UCODE / 8] = 0x00affa000000ffffull,
};
static uint64_t gdt[MAX_CPUS][10] __aligned(16);
static struct tss64 tss[MAX_CPUS] __aligned(16);

/* The stack kvm_pvm (or the CPU) switches to for events from user mode:
 * the running thread's kernel stack.  The host reads the TSS at delivery. */
void gdt_set_rsp0(uint64_t rsp0)
{
    tss[this_cpu()->id].rsp[0] = rsp0;
}

/* RSP0 stays 0 until the first context switch: no user mode before that. */
void gdt_init(unsigned cpu)
{
    uint64_t *g = gdt[cpu];
    uint64_t base = (uint64_t)&tss[cpu];
    uint64_t limit = sizeof(tss[cpu]) - 1;

    for (unsigned i = 0; i < ARRAY_SIZE(gdt_template); i++)
        g[i] = gdt_template[i];
    tss[cpu].iomap_base = sizeof(tss[cpu]); /* no I/O bitmap */
    /* 64-bit available TSS (type 9), present, DPL 0. */
    g[SEL_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
                     (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    g[SEL_TSS / 8 + 1] = base >> 32;

    struct desc_ptr p = { sizeof(gdt[cpu]) - 1, (uint64_t)g };
    /* Same layout as the GDT in use, so the cached segments stay valid and
     * need no reload (segment loads at CPL3 would only trap on kvm_pvm). */
    __asm__ volatile("lgdt %0" ::"m"(p) : "memory");
    __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
}
