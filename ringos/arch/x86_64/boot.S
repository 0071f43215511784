/* SPDX-License-Identifier: MIT */
/*
 * Entry points: ringvisor's 64-bit entry (ELF e_entry) and the PVH 32-bit
 * entry QEMU uses (advertised by the Xen ELF note), plus the static page
 * tables the PVH path runs on.
 */
#define KBASE 0xffffffff80000000
#define PA(x) ((x) - KBASE)
#define MSR_EFER 0xc0000080
#define PTE_TABLE 0x7   /* P|W|U: kvm_pvm needs U=1 on every level */
#define PTE_LARGE 0x87  /* P|W|U|PS */
#define PTE_UC 0x18     /* PWT|PCD */
#define XAPIC_PDE 2039  /* 0xfee00000 >> 21 */

/* Zero .bss (it holds the boot stack, so this runs inline, before any call). */
.macro BSS_CLEAR
	mov $__bss_start, %rdi
	mov $__bss_end, %rcx
	sub %rdi, %rcx
	shr $3, %rcx
	xor %eax, %eax
	rep stosq
.endm

	.section .note.Xen, "a"
	.balign 4
	.long 4			/* namesz: "Xen\0" */
	.long 4			/* descsz */
	.long 18		/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.balign 4
	.long PA(pvh_start)

	.section .text.entry, "ax"

/*
 * ringvisor: 64-bit, paging on, interrupts off.  On kvm_pvm the host left
 * ECX/EDX:EAX ready for the PV-page wrmsr, so that write is the only
 * instruction that runs emulated.
 */
	.code64
	.globl ringvisor_entry
ringvisor_entry:
	test %ecx, %ecx
	jz 1f
	wrmsr
1:	test %rsi, %rsi
	jnz ap_wait
	mov %rdi, %r12
	BSS_CLEAR
	mov $boot_stack_top, %rsp
	xor %ebp, %ebp
	mov %r12, %rdi
	call rv_main
	jmp halt_forever

/*
 * Secondary vCPUs (RSI = index, RSP = their own ringvisor boot stack): spin
 * until the boot CPU has cleared .bss and loaded the IDT (ap_go lives in
 * .data), then wait in C for the IPI that lets them schedule.
 */
ap_wait:
	pause
	cmpl $0, ap_go(%rip)
	je ap_wait
	mov %esi, %edi
	xor %ebp, %ebp
	and $-16, %rsp
	call smp_ap_main
	jmp halt_forever

halt_forever:
	cli
	hlt
	jmp halt_forever


/*
 * PVH: 32-bit protected mode, paging off, EBX = hvm_start_info.  Runs at
 * the physical load address, so every absolute address goes through PA().
 * On kvm_pvm all of this is emulated: keep it short, no loops.
 */
	.code32
	.globl pvh_start
pvh_start:
	cli
	cld
	mov %ebx, %esi
	lgdt PA(boot_gdt_ptr32)
	ljmp $0x08, $PA(1f)
1:	mov $0x18, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %eax, %fs
	mov %eax, %gs
	mov $PA(pvh_pml4), %eax
	mov %eax, %cr3
	mov %cr4, %eax
	or $0xa0, %eax		/* PAE | PGE */
	mov %eax, %cr4
	mov $MSR_EFER, %ecx
	rdmsr
	or $0x100, %eax		/* LME */
	wrmsr
	mov %cr0, %eax
	or $0x80010001, %eax	/* PG | WP | PE */
	mov %eax, %cr0
	ljmp $0x10, $PA(pvh_long)

	.code64
pvh_long:
	movabs $pvh_high, %rax
	jmp *%rax
pvh_high:
	lgdt boot_gdt_ptr64(%rip)
	/* No BSS_CLEAR: ELF loaders (QEMU's too) zero-fill p_memsz beyond
	 * p_filesz, and on kvm_pvm the clear would run emulated (~3.5 ms). */
	mov $boot_stack_top, %rsp
	xor %ebp, %ebp
	mov %esi, %edi
	call pvh_main
	jmp halt_forever

	.section .rodata
	.balign 16
boot_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08 kernel code, 32-bit */
	.quad 0x00af9a000000ffff	/* 0x10 kernel code, 64-bit */
	.quad 0x00cf92000000ffff	/* 0x18 kernel data */
boot_gdt_end:
boot_gdt_ptr32:
	.word boot_gdt_end - boot_gdt - 1
	.long PA(boot_gdt)
	.balign 8
boot_gdt_ptr64:
	.word boot_gdt_end - boot_gdt - 1
	.quad boot_gdt

/*
 * PVH page tables, fully built at link time so the emulated boot runs no
 * loop: one set of four page directories maps 0..4 GiB with 2 MiB pages and
 * is used for the identity map (slot 0, for the switch), the direct map
 * (slot 273) and the kernel window (slot 511, -2 GiB).  The PML4 is 8 KiB
 * aligned and followed by an empty user PML4, as kvm_pvm expects.
 */
	.section .data.pgtable, "aw"
	.balign 8192
	.globl pvh_pml4
pvh_pml4:
	.quad PA(pvh_pdpt_low) + PTE_TABLE
	.fill 272, 8, 0
	.quad PA(pvh_pdpt_dm) + PTE_TABLE
	.fill 237, 8, 0
	.quad PA(pvh_pdpt_k) + PTE_TABLE
pvh_user_pml4:
	.fill 512, 8, 0
pvh_pdpt_low:
	.quad PA(pvh_pd) + PTE_TABLE
	.fill 511, 8, 0
pvh_pdpt_dm:
	.quad PA(pvh_pd) + PTE_TABLE
	.quad PA(pvh_pd) + 0x1000 + PTE_TABLE
	.quad PA(pvh_pd) + 0x2000 + PTE_TABLE
	.quad PA(pvh_pd) + 0x3000 + PTE_TABLE
	.fill 508, 8, 0
pvh_pdpt_k:
	.fill 510, 8, 0
	.quad PA(pvh_pd) + PTE_TABLE
	.quad 0
	.globl pvh_pd
pvh_pd:
	.set i, 0
	.rept 2048
	.if i == XAPIC_PDE
	.quad (i << 21) + PTE_LARGE + PTE_UC
	.else
	.quad (i << 21) + PTE_LARGE
	.endif
	.set i, i + 1
	.endr

	.section .bss
	.balign 4096
	.globl boot_stack_top
boot_stack:
	.skip 16384
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
