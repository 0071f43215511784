// SPDX-License-Identifier: MIT
/*
 * The C half of the user-mode boundary: syscall and page-fault entry, the
 * sysret preparation (RCX/R11/RIP stored below the red zone for the stub),
 * and the fault-recovering user copies.
 */
#include "boot.h"
#include "cpu.h"
#include "errno.h"
#include "platform.h"
#include "printk.h"
#include "proc.h"
#include "smp.h"
#include "uaccess.h"
#include "vm.h"
#include "x86.h"

#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_SFMASK 0xc0000084
#define TF_SYSCALL 0x100

long syscall_dispatch(struct trap_frame *tf);
void proc_fault(struct trap_frame *tf, uint64_t addr, int sig);
long uaccess_copy(void *dst, const void *src, size_t n);
long uaccess_zero(void *dst, size_t n);
long uaccess_getb(const uint8_t *src);
bool trap_fixup(struct trap_frame *tf);
__noreturn void trap_die(struct trap_frame *tf);
extern char syscall_entry[];

static uint64_t boot_cr3;

void syscall_handle(struct trap_frame *tf)
{
    kernel_lock();
    irq_enable();
    current->syscall_nr = tf->rax;
    current->in_syscall = true;
    tf->rax = syscall_dispatch(tf);
}

static bool canonical(uint64_t a)
{
    return a < 0x0000800000000000ull;
}

void user_return_prepare(struct trap_frame *tf)
{
    user_exit_work(tf);
    console_kick();
    if (!canonical(tf->rip) || !canonical(tf->rsp)) {
        proc_fault(tf, tf->rip, SIGSEGV);
        user_exit_work(tf);
    }
    /* User-controllable flags only, plus IF and the reserved bit 1. */
    tf->rflags = (tf->rflags & 0x40cd5ull) | 0x202;
    if (tf->vector != TF_SYSCALL) {
        uint64_t save[3] = { tf->rcx, tf->r11, tf->rip };
        uint64_t sp = tf->rsp - 128 - sizeof(save);
        if (!uaccess_range_ok(sp, sizeof(save)) || copy_to_user(sp, save, sizeof(save))) {
            printk("ringos: pid %d (%s): bad user stack 0x%lx\n", current->pid, current->name,
                   tf->rsp);
            proc_exit_group(SIGSEGV);
        }
        tf->rip = USER_STUB_VA;
        tf->rsp = sp;
    }
    /* From here to sysretq only this thread's own kernel stack is touched. */
    kernel_unlock();
}

static void uret_page_fault(struct trap_frame *tf)
{
    uint64_t addr = platform->read_cr2();
    bool user = tf->cs & 3;

    if (current && current->mm && addr < USER_LIMIT && addr >= USER_BASE &&
        vm_fault(current->mm, addr, tf->error & 2, tf->error & 16) == 0)
        return;
    if (user) {
        proc_fault(tf, addr, SIGSEGV);
        return;
    }
    if (trap_fixup(tf))
        return;
    trap_die(tf);
}

static void uret_user_trap(struct trap_frame *tf)
{
    if (!(tf->cs & 3)) {
        if (tf->vector == 13 && trap_fixup(tf))
            return;
        trap_die(tf);
    }
    proc_fault(tf, tf->rip, tf->vector == 6 ? 4 /* SIGILL */ : tf->vector == 0 ? 8 : SIGSEGV);
}

void vm_activate_kernel(void)
{
    __asm__ volatile("mov %0, %%cr3" ::"r"(boot_cr3) : "memory");
}

void uret_init(void)
{
    boot_cr3 = read_cr3();
    idt_set_handler(14, uret_page_fault);
    for (unsigned v = 0; v < 20; v++)
        if (v != 14 && v != 2 && v != 8 && v != 18)
            idt_set_handler(v, uret_user_trap);
    uret_cpu_init();
}

/* Per CPU: the syscall MSRs. */
void uret_cpu_init(void)
{
    /* sysretq to 0x33/0x2b (STAR[63:48] + 16 / + 8), syscall to 0x10. */
    wrmsr(MSR_STAR, (0x20ull << 48) | (0x10ull << 32));
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    /* TF, DF, IF, AC, NT cleared on entry (IF matters on the ring-0 platform). */
    wrmsr(MSR_SFMASK, 0x47700);
}

long copy_from_user(void *dst, uint64_t usrc, size_t n)
{
    if (!uaccess_range_ok(usrc, n))
        return -EFAULT;
    return uaccess_copy(dst, (const void *)usrc, n);
}

long copy_to_user(uint64_t udst, const void *src, size_t n)
{
    if (!uaccess_range_ok(udst, n))
        return -EFAULT;
    return uaccess_copy((void *)udst, src, n);
}

long clear_user(uint64_t udst, size_t n)
{
    if (!uaccess_range_ok(udst, n))
        return -EFAULT;
    return uaccess_zero((void *)udst, n);
}

long strncpy_from_user(char *dst, uint64_t usrc, size_t max)
{
    for (size_t i = 0; i < max; i++) {
        if (!uaccess_range_ok(usrc + i, 1))
            return -EFAULT;
        long c = uaccess_getb((const uint8_t *)(usrc + i));
        if (c < 0)
            return -EFAULT;
        dst[i] = (char)c;
        if (!c)
            return i;
    }
    return -ENAMETOOLONG;
}
