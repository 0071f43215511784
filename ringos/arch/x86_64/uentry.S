/* SPDX-License-Identifier: MIT */
/*
 * User-mode boundary: the syscall entry (LSTAR), the one way back to user
 * mode (sysretq, also for interrupts and exceptions: see user_return_prepare
 * in kernel/uret.c), the kernel context switch and the user-copy primitives.
 */
#define TF_SYSCALL 0x100
#include "frame.inc"

	.text
/*
 * Entered from user mode with RSP = the user stack (kvm_pvm switched CR3 but
 * not the stack), RCX = user RIP, R11 = user RFLAGS.  No swapgs (it traps):
 * GS already holds this CPU's struct cpu (include/smp.h), whose +8 is the
 * current thread's kernel stack top and +16 a scratch slot.
 */
#define CPU_KSTACK_TOP 8
#define CPU_USER_RSP 16
	.globl syscall_entry
syscall_entry:
	mov %rsp, %gs:CPU_USER_RSP
	mov %gs:CPU_KSTACK_TOP, %rsp
	pushq $0x2b		/* ss */
	pushq %gs:CPU_USER_RSP
	pushq %r11		/* rflags */
	pushq $0x33		/* cs */
	pushq %rcx		/* rip */
	pushq $0		/* error */
	pushq $TF_SYSCALL	/* vector: RCX/R11 need not survive */
	SAVE_GPRS
	cld
	mov %rsp, %rdi
	call syscall_handle
	/* fall through */

/* RSP = the struct trap_frame to return to user mode with. */
	.globl user_return
user_return:
	mov %rsp, %rdi
	call user_return_prepare
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	add $8, %rsp		/* r11: loaded below */
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	add $8, %rsp		/* rcx */
	pop %rbx
	pop %rax
	add $16, %rsp		/* vector, error */
	mov (%rsp), %rcx	/* rip (checked canonical by user_return_prepare) */
	mov 16(%rsp), %r11	/* rflags */
	mov 24(%rsp), %rsp
	sysretq

/* A new thread's first kernel context: the frame sits right above. */
	.globl thread_start
thread_start:
	call thread_start_tail
	jmp user_return

/* void ctx_switch(uint64_t *save_sp, uint64_t new_sp) */
	.globl ctx_switch
ctx_switch:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, (%rdi)
	mov %rsi, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret

/*
 * long uaccess_copy(void *dst, const void *src, size_t n): 0, or -14
 * (EFAULT) if a user page could not be made present.  Callers check ranges.
 */
	.globl uaccess_copy
uaccess_copy:
	mov %rdx, %rcx
1:	rep movsb
	xor %eax, %eax
	ret
2:	mov $-14, %rax
	ret
	.pushsection __ex_table, "a"
	.balign 8
	.quad 1b, 2b
	.popsection

/* long uaccess_zero(void *dst, size_t n) */
	.globl uaccess_zero
uaccess_zero:
	mov %rsi, %rcx
	xor %eax, %eax
3:	rep stosb
	ret
4:	mov $-14, %rax
	ret
	.pushsection __ex_table, "a"
	.balign 8
	.quad 3b, 4b
	.popsection

/* long uaccess_getb(const uint8_t *src): the byte, or -14 */
	.globl uaccess_getb
uaccess_getb:
	xor %eax, %eax
5:	movb (%rdi), %al
	ret
6:	mov $-14, %rax
	ret
	.pushsection __ex_table, "a"
	.balign 8
	.quad 5b, 6b
	.popsection

	.section .note.GNU-stack, "", @progbits
