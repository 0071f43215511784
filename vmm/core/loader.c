// SPDX-License-Identifier: MIT
/* ELF64 parsing (hostile input) and loading into guest RAM. */
#include "vmm/core/loader.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

#define FAIL(msg)           \
    do {                    \
        *why = (msg);       \
        return -ENOEXEC;    \
    } while (0)

int elf_parse(const uint8_t *buf, size_t size, struct elf_image *img,
              const char **why)
{
    Elf64_Ehdr eh;

    memset(img, 0, sizeof(*img));
    if (size < sizeof(eh))
        FAIL("file too small to be an ELF image");
    memcpy(&eh, buf, sizeof(eh));
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
        FAIL("not an ELF file");
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
        FAIL("not a 64-bit little-endian ELF file");
    if (eh.e_machine != EM_X86_64)
        FAIL("not an x86-64 ELF file");
    if (eh.e_type != ET_EXEC)
        FAIL("not an ELF executable (ET_EXEC)");
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0)
        FAIL("bad ELF program header table");
    /* Compare against what is left, so phoff + table size cannot wrap. */
    if (eh.e_phoff > size ||
        (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > size - eh.e_phoff)
        FAIL("ELF program headers lie outside the file");

    img->entry = eh.e_entry;
    img->lo = UINT64_MAX;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;

        memcpy(&ph, buf + eh.e_phoff + i * sizeof(ph), sizeof(ph));
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
            continue;
        if (img->nr_seg == ELF_MAX_SEGMENTS)
            FAIL("too many ELF load segments");
        if (ph.p_filesz > ph.p_memsz)
            FAIL("ELF segment file size exceeds its memory size");
        if (ph.p_offset > size || ph.p_filesz > size - ph.p_offset)
            FAIL("ELF segment lies outside the file");
        if (ph.p_paddr + ph.p_memsz < ph.p_paddr)
            FAIL("ELF segment physical range overflows");
        img->seg[img->nr_seg++] = (struct elf_segment){
            .offset = ph.p_offset, .filesz = ph.p_filesz, .memsz = ph.p_memsz,
            .paddr = ph.p_paddr, .vaddr = ph.p_vaddr };
        if (ph.p_paddr < img->lo)
            img->lo = ph.p_paddr;
        if (ph.p_paddr + ph.p_memsz > img->hi)
            img->hi = ph.p_paddr + ph.p_memsz;
    }
    if (img->nr_seg == 0)
        FAIL("ELF file has nothing to load");
    return 0;
}

int elf_load(const struct guest_mem *mem, const struct elf_image *img,
             const uint8_t *buf)
{
    for (int i = 0; i < img->nr_seg; i++) {
        const struct elf_segment *s = &img->seg[i];
        uint8_t *dst = mem_gpa(mem, s->paddr, s->memsz);

        if (!dst)
            return -E2BIG;
        memcpy(dst, buf + s->offset, s->filesz);
        memset(dst + s->filesz, 0, s->memsz - s->filesz);
    }
    return 0;
}
