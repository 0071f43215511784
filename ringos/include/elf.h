/* SPDX-License-Identifier: MIT */
/* ELF64 header checks for the program loader: pure, also built into host unit tests. */
#ifndef RINGOS_ELF_H
#define RINGOS_ELF_H

#include <stddef.h>
#include <stdint.h>

#define ELF_PT_LOAD 1
#define ELF_PT_INTERP 3
#define ELF_PT_PHDR 6
#define ELF_PF_X 1
#define ELF_PF_W 2
#define ELF_PF_R 4
#define ELF_ET_EXEC 2
#define ELF_ET_DYN 3

struct elf64_ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

/* Where a static-PIE (ET_DYN) image is placed, like Linux's ELF_ET_DYN_BASE. */
#define ELF_PIE_BASE 0x555555554000ull

struct elf_info {
    uint64_t base;  /* load bias: 0 for ET_EXEC, ELF_PIE_BASE for ET_DYN */
    uint64_t entry; /* biased */
    uint64_t phdr;  /* biased user address of the program headers, 0 if not loaded */
    uint16_t phnum, phentsize;
    uint64_t lo, hi; /* biased page-aligned extent of the PT_LOAD segments */
};

/*
 * Check the image (img, len) for a static x86-64 executable that fits below
 * (user_limit): magic, class, machine, type, program headers inside the file,
 * each PT_LOAD with filesz <= memsz, file range inside the file, memory range
 * without overflow and inside [4 KiB, user_limit), no PT_INTERP.
 * Fills (info).  Returns 0, or -ENOEXEC (-8).
 */
int elf_check(const uint8_t *img, size_t len, uint64_t user_limit, struct elf_info *info);

#endif
