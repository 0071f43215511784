/* SPDX-License-Identifier: MIT */
/* The ringos image and the demo archive built from this tree: `ringvisor run`'s defaults. */
	.section .rodata
	.balign 16
	.globl ringos_elf_start, ringos_elf_end
ringos_elf_start:
	.incbin RINGOS_ELF
ringos_elf_end:
	.balign 16
	.globl demo_cpio_start, demo_cpio_end
demo_cpio_start:
	.incbin DEMO_CPIO
demo_cpio_end:
	.section .note.GNU-stack,"",@progbits
