/* SPDX-License-Identifier: MIT */
/*
 * IDT entry stubs: each pushes a dummy error code where the CPU pushes none,
 * then the vector, then trap_common saves the registers as a struct
 * trap_frame (include/cpu.h) and calls trap_dispatch().
 */
#include "frame.inc"
	.text
	.balign 16
	.globl trap_stubs
trap_stubs:
	.set vec, 0
	.rept 256
	.balign 16
	.if (vec == 8) | (vec == 10) | (vec == 11) | (vec == 12) | (vec == 13) | (vec == 14) | (vec == 17) | (vec == 21) | (vec == 29) | (vec == 30)
	.else
	pushq $0
	.endif
	pushq $vec
	jmp trap_common
	.set vec, vec + 1
	.endr

trap_common:
	SAVE_GPRS
	cld
	mov %rsp, %rdi
	/* kvm_pvm keeps kernel-mode events on the current stack; do not assume alignment. */
	mov %rsp, %rbx
	and $-16, %rsp
	call trap_dispatch
	mov %rbx, %rsp
	/* From user mode: leave through sysretq (iretq would stay in kernel mode on kvm_pvm). */
	testb $3, 144(%rsp)	/* trap_frame.cs */
	jnz user_return
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp
	iretq

	.section .note.GNU-stack, "", @progbits
