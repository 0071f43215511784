// SPDX-License-Identifier: MIT
/*
 * The boot CPU's GDT and TSS, with ringvisor's selector layout; TSS.RSP0 is an
 * upper-half kernel stack because kvm_pvm switches to it for user-mode events.
 */
#include "cpu.h"

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

/* Slots 0x00..0x38 plus the 16-byte TSS descriptor at 0x40. */
static uint64_t gdt[10] __aligned(16) = {
    [SEL_KCODE32 / 8] = 0x00cf9a000000ffffull,
    [SEL_KCODE / 8] = 0x00af9a000000ffffull,
    [SEL_KDATA / 8] = 0x00cf92000000ffffull,
    [SEL_UCODE32 / 8] = 0x00cffa000000ffffull,
    [SEL_UDATA / 8] = 0x00cff2000000ffffull,
    [SEL_UCODE / 8] = 0x00affa000000ffffull,
};
static struct tss64 tss __aligned(16);
static uint8_t rsp0_stack[16384] __aligned(16);

/* The stack kvm_pvm (or the CPU) switches to for events from user mode:
 * the running thread's kernel stack.  The host reads the TSS at delivery. */
void gdt_set_rsp0(uint64_t rsp0)
{
    tss.rsp[0] = rsp0;
}

void gdt_init(void)
{
    uint64_t base = (uint64_t)&tss;
    uint64_t limit = sizeof(tss) - 1;

    tss.rsp[0] = (uint64_t)(rsp0_stack + sizeof(rsp0_stack));
    tss.iomap_base = sizeof(tss); /* no I/O bitmap */
    /* 64-bit available TSS (type 9), present, DPL 0. */
    gdt[SEL_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
                       (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    gdt[SEL_TSS / 8 + 1] = base >> 32;

    struct desc_ptr p = { sizeof(gdt) - 1, (uint64_t)gdt };
    /* Same layout as the GDT in use, so the cached segments stay valid and
     * need no reload (segment loads at CPL3 would only trap on kvm_pvm). */
    __asm__ volatile("lgdt %0" ::"m"(p) : "memory");
    __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
}
