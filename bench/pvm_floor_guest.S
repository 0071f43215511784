/* SPDX-License-Identifier: MIT */
/*
 * Guest side of pvm-floor: the least guest kernel that runs natively on
 * kvm_pvm, and the loops that time the platform's own costs in-guest (TSC).
 * pvm_floor.c copies guest_start..guest_end to CODE_GPA; the user part
 * (user_text..user_text_end) is also mapped at USER_VA for CPL3.  Kernel code
 * addresses its data RIP-relative; user code touches no kernel data.
 *
 * Entry (KVM_SET_REGS): rdi = test, rsi = timed iterations, rdx = warm-up
 * iterations, r8 = value for the PV-page MSR, r9 = test argument,
 * rsp = boot stack.  Reports: "out $PORT_DONE" with rax = TSC cycles of the
 * timed iterations; "out $PORT_TRAP" with rax = vector, rbx/rcx = the two
 * words above the vector (error code or RIP), rdx = CR2 cell.
 */
#include "bench/pvm_floor.h"

	.section .pvm_floor_guest,"a"
	.code64
	.globl pvm_guest_start, pvm_guest_end, pvm_kentry, pvm_trap_stubs
	.globl pvm_pf_handler, pvm_user_text, pvm_user_text_end

/* rax = TSC (clobbers rdx) */
.macro TSC
	rdtsc
	shl $32, %rdx
	or %rdx, %rax
.endm

/* Time (fn): r14 warm-up iterations, then r13 timed ones, counter in rbx. */
.macro TIMED fn
	mov %r14, %rbx
	call \fn
	TSC
	mov %rax, %r10
	mov %r13, %rbx
	call \fn
	TSC
	sub %r10, %rax
.endm

	.balign 4096
pvm_guest_start:

/* Vectors 0-31 each get a stub that pushes its number; the VMM points every
 * other vector at stub 31's neighbour, pvm_spurious. */
	.balign 16
pvm_trap_stubs:
	.set vec, 0
	.rept 32
	.balign 16
	pushq $vec
	jmp bad_trap
	.set vec, vec + 1
	.endr
	.balign 16
	pushq $255
	jmp bad_trap

bad_trap:
	pop %rax
	mov (%rsp), %rbx
	mov 8(%rsp), %rcx
	movabs $(FLOOR_KBASE + FLOOR_PV_GPA + 8), %rdx
	mov (%rdx), %rdx
1:	outb %al, $FLOOR_PORT_TRAP
	jmp 1b

/*
 * #PF.  Kernel faults are bugs.  From user mode (frame: err 0, rip 8, cs 16,
 * rflags 24, rsp 32), on the kernel page table thanks to flag bit 5: either
 * skip the 2-byte faulting load, or map the next pool page at CR2 and retry
 * (a demand fault without the zeroing).  Both return with sysretq, the only
 * way back to user mode; the user loops treat rcx, r11, rax, rdx as scratch.
 */
pvm_pf_handler:
	testb $3, 16(%rsp)
	jz 9f
	cmpq $0, pf_map(%rip)
	jne 1f
	mov 8(%rsp), %rcx
	add $2, %rcx
	jmp 2f
1:	movabs $(FLOOR_KBASE + FLOOR_PV_GPA + 8), %rax
	mov (%rax), %rax		/* CR2 cell (flag bit 4): no mov %cr2 trap */
	sub $FLOOR_MAP_VA, %rax
	cmp $FLOOR_MAP_LEN, %rax
	jae 9f
	shr $12, %rax
	mov %rax, %rdx
	shl $12, %rdx
	add $(FLOOR_POOL_GPA | 7), %rdx
	movabs $(FLOOR_KBASE + FLOOR_MAP_PT_GPA), %rcx
	mov %rdx, (%rcx,%rax,8)
	mov 8(%rsp), %rcx
2:	mov 24(%rsp), %r11
	mov 32(%rsp), %rsp
	sysretq
9:	pushq $14
	jmp bad_trap

/*
 * LSTAR.  FLOOR_SYS_DONE ends a user test with rdi = cycles;
 * FLOOR_SYS_SWITCH loads the other root, as a context switch does, and
 * returns into it (flag bit 0 makes sysretq use its user half).  rcx and r11
 * carry the return; rax and rdx are the user loop's scratch.
 */
sys_entry:
	cmp $FLOOR_SYS_DONE, %eax
	je 1f
	cmp $FLOOR_SYS_SWITCH, %eax
	jne 2f
	mov other_root(%rip), %rax
	mov cur_root(%rip), %rdx
	mov %rax, cur_root(%rip)
	mov %rdx, other_root(%rip)
	mov %rax, %cr3
2:	sysretq
1:	mov %rdi, %rax
	jmp done

pvm_kentry:
	mov %rdi, %r12
	mov %rsi, %r13
	mov %rdx, %r14
	mov %r9, %r15
	mov %r8, %rax
	mov %r8, %rdx
	shr $32, %rdx
	mov $FLOOR_MSR_PV, %ecx
	wrmsr				/* native from the next instruction on */
	mov $0xc0000082, %ecx		/* LSTAR */
	lea sys_entry(%rip), %rax
	mov %rax, %rdx
	shr $32, %rdx
	wrmsr
	mov $0xc0000081, %ecx		/* STAR: kernel CS 0x10; sysret CS 0x33, SS 0x2b */
	xor %eax, %eax
	mov $0x00200010, %edx
	wrmsr
	mov $0xc0000084, %ecx		/* SFMASK: IF TF DF AC */
	mov $0x47700, %eax
	xor %edx, %edx
	wrmsr
	cmp $FLOOR_T_COUNT, %r12
	jae bad_test
	lea tests(%rip), %rax
	movslq (%rax,%r12,4), %rbx
	add %rax, %rbx
	jmp *%rbx
bad_test:
	mov $256, %eax
	jmp bad_trap

done:
1:	outb %al, $FLOOR_PORT_DONE
	jmp 1b

/* Kernel-mode loops: counter rbx; keep r10 r13 r14 r15. */
loop_rdmsr:
	test %rbx, %rbx
	jz 2f
1:	mov $FLOOR_MSR_SIG, %ecx
	rdmsr
	dec %rbx
	jnz 1b
2:	ret

loop_ioev:
	test %rbx, %rbx
	jz 2f
1:	outb %al, $FLOOR_PORT_IOEVENTFD
	dec %rbx
	jnz 1b
2:	ret

/* One iteration = two CR3 writes: the second root (r15), then back (r11). */
loop_cr3:
	test %rbx, %rbx
	jz 2f
1:	mov %r15, %cr3
	mov %r11, %cr3
	dec %rbx
	jnz 1b
2:	ret

t_rdmsr:
	TIMED loop_rdmsr
	jmp done

t_ioev:
	TIMED loop_ioev
	jmp done

t_cr3:
	mov %cr3, %r11
	TIMED loop_cr3
	jmp done

/* Enter user mode at the user routine whose kernel address is in rax. */
to_user:
	lea pvm_user_text(%rip), %rcx
	sub %rcx, %rax
	lea FLOOR_USER_VA(%rax), %rcx
	mov $0x202, %r11
	mov $FLOOR_USER_STACK, %rsp
	sysretq

t_syscall:
	lea u_syscall(%rip), %rax
	jmp to_user

t_switch:
	movq $FLOOR_KPML4_GPA, cur_root(%rip)
	mov %r15, other_root(%rip)
	lea u_switch(%rip), %rax
	jmp to_user

t_upf:
	movq $0, pf_map(%rip)
	lea u_pf(%rip), %rax
	jmp to_user

t_upf_map:
	movq $1, pf_map(%rip)
	lea u_pf_map(%rip), %rax
	jmp to_user

	.balign 4
tests:
	.long t_syscall - tests		/* FLOOR_T_SYSCALL */
	.long t_cr3 - tests		/* FLOOR_T_CR3 */
	.long t_upf - tests		/* FLOOR_T_UPF */
	.long t_upf_map - tests		/* FLOOR_T_UPF_MAP */
	.long t_ioev - tests		/* FLOOR_T_IOEVENTFD */
	.long t_rdmsr - tests		/* FLOOR_T_RDMSR */
	.long t_switch - tests		/* FLOOR_T_SWITCH */

	.balign 8
pf_map:	.quad 0
cur_root:	.quad 0
other_root:	.quad 0

/* ---------------------------------------------------- user (CPL3) code */
	.balign 4096
pvm_user_text:

.macro USER_DONE
	mov %rax, %rdi
	mov $FLOOR_SYS_DONE, %eax
	syscall
	ud2
.endm

u_syscall:
	TIMED u_loop_syscall
	USER_DONE

u_loop_syscall:
	test %rbx, %rbx
	jz 2f
1:	mov $39, %eax			/* any number but FLOOR_SYS_DONE */
	syscall
	dec %rbx
	jnz 1b
2:	ret

u_switch:
	TIMED u_loop_switch
	USER_DONE

u_loop_switch:
	test %rbx, %rbx
	jz 2f
1:	mov $FLOOR_SYS_SWITCH, %eax
	syscall
	dec %rbx
	jnz 1b
2:	ret

u_pf:
	mov $FLOOR_HOLE_VA, %rsi
	TIMED u_loop_pf
	USER_DONE

u_loop_pf:
	test %rbx, %rbx
	jz 2f
1:	mov (%rsi), %al			/* 2 bytes (8a 06): the handler skips it */
	dec %rbx
	jnz 1b
2:	ret

u_pf_map:
	mov $FLOOR_MAP_VA, %rsi
	TIMED u_loop_touch
	USER_DONE

/* One first touch per page; rsi carries on from the warm-up. */
u_loop_touch:
	test %rbx, %rbx
	jz 2f
1:	movb $1, (%rsi)
	add $4096, %rsi
	dec %rbx
	jnz 1b
2:	ret

	.balign 4096
pvm_user_text_end:
pvm_guest_end:
	.section .note.GNU-stack,"",@progbits
