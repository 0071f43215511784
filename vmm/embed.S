/* SPDX-License-Identifier: MIT */
/* The ringos image built from this tree, embedded as `ringvisor run`'s default kernel. */
	.section .rodata
	.balign 16
	.globl ringos_elf_start, ringos_elf_end
ringos_elf_start:
	.incbin RINGOS_ELF
ringos_elf_end:
	.section .note.GNU-stack,"",@progbits
