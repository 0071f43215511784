// SPDX-License-Identifier: MIT
/* The IDT: 256 interrupt gates pointing at the stubs in entry.S. */
#include "cpu.h"
#include "smp.h"

struct idt_gate {
    uint16_t off0;
    uint16_t sel;
    uint8_t ist;
    uint8_t type; /* P | DPL | type */
    uint16_t off1;
    uint32_t off2;
    uint32_t reserved;
} __attribute__((packed));

struct desc_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

extern char trap_stubs[]; /* 256 stubs, 16 bytes apart */

static struct idt_gate idt[256] __aligned(16);

static void idt_set_gate(unsigned v)
{
    uint64_t a = (uint64_t)(trap_stubs + 16 * v);

    idt[v] = (struct idt_gate){
        .off0 = a & 0xffff,
        .sel = SEL_KCODE,
        .type = 0x8e, /* present, DPL 0, 64-bit interrupt gate */
        .off1 = (a >> 16) & 0xffff,
        .off2 = a >> 32,
    };
}

void idt_load(void)
{
    struct desc_ptr p = { sizeof(idt) - 1, (uint64_t)idt };

    __asm__ volatile("lidt %0" ::"m"(p) : "memory");
}

void idt_init(void)
{
    for (unsigned v = 0; v < 256; v++)
        idt_set_gate(v);
    idt_load();
}

void idt_init_gp_only(void)
{
    idt_set_gate(13);
    idt_load();
}

void idt_load_empty(void)
{
    struct desc_ptr p = { 0, 0 };
    __asm__ volatile("lidt %0" ::"m"(p) : "memory");
}

void cpu_init(void)
{
    static bool done;

    if (done)
        return;
    idt_init();
    gdt_init(this_cpu()->id);
    done = true;
}
