// SPDX-License-Identifier: MIT
/* ELF64 header and program-header validation (the loader itself is in exec.c). */
#include "elf.h"

#define ENOEXEC_RET (-8)

int elf_check(const uint8_t *img, size_t len, uint64_t user_limit, struct elf_info *info)
{
    struct elf64_ehdr eh;

    if (len < sizeof(eh))
        return ENOEXEC_RET;
    __builtin_memcpy(&eh, img, sizeof(eh));
    if (eh.ident[0] != 0x7f || eh.ident[1] != 'E' || eh.ident[2] != 'L' || eh.ident[3] != 'F' ||
        eh.ident[4] != 2 /* ELFCLASS64 */ || eh.ident[5] != 1 /* little endian */ ||
        eh.machine != 62 /* EM_X86_64 */)
        return ENOEXEC_RET;
    if (eh.type != ELF_ET_EXEC && eh.type != ELF_ET_DYN)
        return ENOEXEC_RET;
    if (eh.phentsize != sizeof(struct elf64_phdr) || eh.phnum == 0 || eh.phnum > 64)
        return ENOEXEC_RET;
    if (eh.phoff > len || (uint64_t)eh.phnum * sizeof(struct elf64_phdr) > len - eh.phoff)
        return ENOEXEC_RET;

    uint64_t base = eh.type == ELF_ET_DYN ? ELF_PIE_BASE : 0;
    uint64_t lo = UINT64_MAX, hi = 0, phdr = 0;
    int nload = 0;
    for (unsigned i = 0; i < eh.phnum; i++) {
        struct elf64_phdr ph;
        __builtin_memcpy(&ph, img + eh.phoff + i * sizeof(ph), sizeof(ph));
        if (ph.type == ELF_PT_INTERP)
            return ENOEXEC_RET; /* dynamic executables are not supported */
        if (ph.type != ELF_PT_LOAD)
            continue;
        if (ph.filesz > ph.memsz || ph.offset > len || ph.filesz > len - ph.offset)
            return ENOEXEC_RET;
        /* vaddr and offset must agree modulo the page size to map pages. */
        if ((ph.vaddr & 0xfff) != (ph.offset & 0xfff))
            return ENOEXEC_RET;
        uint64_t va = ph.vaddr + base;
        if (va < ph.vaddr || va < 0x1000 || va >= user_limit || ph.memsz > user_limit - va)
            return ENOEXEC_RET;
        uint64_t end = (va + ph.memsz + 0xfff) & ~0xfffull;
        if (end > user_limit)
            return ENOEXEC_RET;
        lo = (va & ~0xfffull) < lo ? (va & ~0xfffull) : lo;
        hi = end > hi ? end : hi;
        /* The program headers are visible to the program if a segment holds them. */
        if (eh.phoff >= ph.offset && eh.phoff - ph.offset < ph.filesz &&
            eh.phnum * sizeof(ph) <= ph.filesz - (eh.phoff - ph.offset))
            phdr = va + (eh.phoff - ph.offset);
        nload++;
    }
    if (!nload)
        return ENOEXEC_RET;
    uint64_t entry = eh.entry + base;
    if (entry < lo || entry >= hi)
        return ENOEXEC_RET;
    info->base = base;
    info->entry = entry;
    info->phdr = phdr;
    info->phnum = eh.phnum;
    info->phentsize = eh.phentsize;
    info->lo = lo;
    info->hi = hi;
    return 0;
}
