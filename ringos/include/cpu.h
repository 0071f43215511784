/* SPDX-License-Identifier: MIT */
/* Per-CPU descriptor tables (GDT, TSS, IDT) and the trap frame. */
#ifndef RINGOS_CPU_H
#define RINGOS_CPU_H

#include "types.h"

/* GDT layout, identical to the one ringvisor builds (abi/rv_abi.h). */
#define SEL_KCODE32 0x08
#define SEL_KCODE 0x10
#define SEL_KDATA 0x18
#define SEL_UCODE32 0x20
#define SEL_UDATA 0x28
#define SEL_UCODE 0x30
#define SEL_TSS 0x40

#define VEC_TIMER 32
#define VEC_SPURIOUS 0xff

/* What entry.S pushes; the layout is fixed by the push order there. */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU (or kvm_pvm) */
};

/* Boot CPU: fill and load the IDT, load this CPU's GDT and TSS.  Idempotent. */
void cpu_init(void);
/* Load (cpu)'s own GDT and TSS (TSS.RSP0 is set at each context switch). */
void gdt_init(unsigned cpu);
void gdt_set_rsp0(uint64_t rsp0);
void idt_init(void);
/* Load the (shared) IDT on this CPU. */
void idt_load(void);
/* Just the #GP gate, for the kvm_pvm probe while the CPU is still emulated. */
void idt_init_gp_only(void);
/* Install (handler) for interrupt vector (vec). */
void idt_set_handler(unsigned vec, void (*handler)(struct trap_frame *));
/* Load a zero-limit IDT: the next exception triple-faults. */
void idt_load_empty(void);

void trap_dispatch(struct trap_frame *tf);

#endif
