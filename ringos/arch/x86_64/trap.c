// SPDX-License-Identifier: MIT
/*
 * Exception and interrupt dispatch: registered handlers, __ex_table fixups,
 * and for anything else a register dump and poweroff with status 125.
 */
#include "cpu.h"
#include "hv.h"
#include "platform.h"
#include "printk.h"
#include "smp.h"
#include "time.h"

bool trap_fixup(struct trap_frame *tf);
__noreturn void trap_die(struct trap_frame *tf);

struct extable_entry {
    uint64_t insn;
    uint64_t fixup;
};
extern struct extable_entry __ex_table_start[], __ex_table_end[];

static void (*handlers[256])(struct trap_frame *);

static const char *const exception_names[32] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
    "#BR bound", "#UD invalid opcode", "#NM no FPU", "#DF double fault", "coprocessor",
    "#TS invalid TSS", "#NP segment not present", "#SS stack fault", "#GP general protection",
    "#PF page fault", "reserved", "#MF x87", "#AC alignment", "#MC machine check",
    "#XM SIMD", "#VE virtualization", "#CP control protection",
};

void idt_set_handler(unsigned vec, void (*handler)(struct trap_frame *))
{
    handlers[vec & 0xff] = handler;
}

bool trap_fixup(struct trap_frame *tf)
{
    for (struct extable_entry *e = __ex_table_start; e < __ex_table_end; e++) {
        if (e->insn == tf->rip) {
            tf->rip = e->fixup;
            return true;
        }
    }
    return false;
}

__noreturn void trap_die(struct trap_frame *tf)
{
    const char *name = tf->vector < 32 && exception_names[tf->vector] ? exception_names[tf->vector]
                                                                      : "interrupt";
    uint64_t cr2 = tf->vector == 14 ? platform->read_cr2() : 0;

    panic("unhandled trap %lu (%s) error 0x%lx\n"
          "  RIP %016lx  CS %04lx  RFLAGS %016lx\n"
          "  RSP %016lx  SS %04lx  CR2 %016lx\n"
          "  RAX %016lx  RBX %016lx  RCX %016lx\n"
          "  RDX %016lx  RSI %016lx  RDI %016lx\n"
          "  RBP %016lx  R8  %016lx  R9  %016lx\n"
          "  R10 %016lx  R11 %016lx  R12 %016lx\n"
          "  R13 %016lx  R14 %016lx  R15 %016lx",
          tf->vector, name, tf->error, tf->rip, tf->cs, tf->rflags, tf->rsp, tf->ss, cr2, tf->rax,
          tf->rbx, tf->rcx, tf->rdx, tf->rsi, tf->rdi, tf->rbp, tf->r8, tf->r9, tf->r10, tf->r11,
          tf->r12, tf->r13, tf->r14, tf->r15);
}

void pvm_idle_fixup(uint64_t *rip);

static void trap_handle(struct trap_frame *tf)
{
    void (*h)(struct trap_frame *) = handlers[tf->vector & 0xff];

    if (h) {
        h(tf);
        return;
    }
    if ((tf->vector == 13 || tf->vector == 14) && trap_fixup(tf))
        return;
    if (tf->vector == VEC_SPURIOUS || tf->vector == VEC_IPI)
        return;
    trap_die(tf);
}

/*
 * From user mode the kernel lock is taken here and released by
 * user_return_prepare(); from kernel mode it nests on the CPU that holds
 * it, or is taken for the handler alone (idle CPUs).  The IPI's own work
 * needs no lock: a CPU holding it may be waiting for this flush.
 */
void trap_dispatch(struct trap_frame *tf)
{
    bool user = tf->cs & 3;

    /* An interrupt that hit the idle loop before its hlt: do not halt after it. */
    if (tf->vector >= 32 && !user)
        pvm_idle_fixup(&tf->rip);
    if (tf->vector == VEC_IPI) {
        apic_eoi();
        smp_ipi_flush();
        if (!user)
            return;
    }
    kernel_lock();
    trap_handle(tf);
    if (!user)
        kernel_unlock();
}
