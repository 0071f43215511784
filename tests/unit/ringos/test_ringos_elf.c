// SPDX-License-Identifier: MIT
/* ELF loader header checks: accepted images and rejected corruptions. */
#include <stdint.h>
#include <string.h>

#include "ringos/include/elf.h"
#include "ringos_unit.h"

#define LIMIT 0x00007fffff000000ull

static size_t make_elf(uint8_t *buf, uint16_t type, uint64_t vaddr)
{
    struct elf64_ehdr eh = { 0 };
    struct elf64_phdr ph = { 0 };

    memset(buf, 0, 8192);
    memcpy(eh.ident, "\x7f" "ELF\x02\x01\x01", 7);
    eh.type = type;
    eh.machine = 62;
    eh.version = 1;
    eh.entry = vaddr + 0x100;
    eh.phoff = sizeof(eh);
    eh.ehsize = sizeof(eh);
    eh.phentsize = sizeof(ph);
    eh.phnum = 1;
    ph.type = ELF_PT_LOAD;
    ph.flags = ELF_PF_R | ELF_PF_X;
    ph.offset = 0;
    ph.vaddr = vaddr;
    ph.filesz = 4096;
    ph.memsz = 8192;
    memcpy(buf, &eh, sizeof(eh));
    memcpy(buf + sizeof(eh), &ph, sizeof(ph));
    return 4096;
}

static struct elf64_phdr *phdr(uint8_t *buf)
{
    return (struct elf64_phdr *)(buf + sizeof(struct elf64_ehdr));
}

void test_ringos_elf(void)
{
    static uint8_t buf[8192];
    struct elf_info info;
    size_t len = make_elf(buf, ELF_ET_EXEC, 0x400000);

    CHECK(elf_check(buf, len, LIMIT, &info) == 0);
    CHECK(info.base == 0 && info.entry == 0x400100 && info.lo == 0x400000 && info.hi == 0x402000);
    CHECK(info.phdr == 0x400000 + sizeof(struct elf64_ehdr) && info.phnum == 1);
    len = make_elf(buf, ELF_ET_DYN, 0);
    CHECK(elf_check(buf, len, LIMIT, &info) == 0);
    CHECK(info.base == ELF_PIE_BASE && info.entry == ELF_PIE_BASE + 0x100);
}

void test_ringos_elf_malformed(void)
{
    static uint8_t buf[8192];
    struct elf_info info;
    size_t len;

    len = make_elf(buf, ELF_ET_EXEC, 0x400000);
    CHECK(elf_check(buf, 10, LIMIT, &info) == -8); /* truncated header */
    buf[1] = 'X';
    CHECK(elf_check(buf, len, LIMIT, &info) == -8); /* magic */
    len = make_elf(buf, 1 /* ET_REL */, 0x400000);
    CHECK(elf_check(buf, len, LIMIT, &info) == -8);
    len = make_elf(buf, ELF_ET_EXEC, 0x400000);
    ((struct elf64_ehdr *)buf)->machine = 3;
    CHECK(elf_check(buf, len, LIMIT, &info) == -8); /* i386 */
    len = make_elf(buf, ELF_ET_EXEC, 0x400000);
    ((struct elf64_ehdr *)buf)->phoff = 4090;
    CHECK(elf_check(buf, len, LIMIT, &info) == -8); /* phdrs past the end */
    len = make_elf(buf, ELF_ET_EXEC, 0x400000);
    ((struct elf64_ehdr *)buf)->phnum = 0xffff;
    CHECK(elf_check(buf, len, LIMIT, &info) == -8);
    len = make_elf(buf, ELF_ET_EXEC, 0x400000);
    phdr(buf)->filesz = 0x10000;
    CHECK(elf_check(buf, len, LIMIT, &info) == -8); /* filesz > memsz and past the file */
    len = make_elf(buf, ELF_ET_EXEC, 0x400000);
    phdr(buf)->offset = ~0ull;
    CHECK(elf_check(buf, len, LIMIT, &info) == -8); /* offset overflow */
    len = make_elf(buf, ELF_ET_EXEC, 0xfffffffffffff000ull);
    CHECK(elf_check(buf, len, LIMIT, &info) == -8); /* kernel half */
    len = make_elf(buf, ELF_ET_EXEC, LIMIT - 4096);
    CHECK(elf_check(buf, len, LIMIT, &info) == -8); /* memsz crosses the limit */
    len = make_elf(buf, ELF_ET_EXEC, 0);
    CHECK(elf_check(buf, len, LIMIT, &info) == -8); /* page zero */
    len = make_elf(buf, ELF_ET_EXEC, 0x400000);
    phdr(buf)->type = ELF_PT_INTERP;
    CHECK(elf_check(buf, len, LIMIT, &info) == -8); /* dynamic */
    len = make_elf(buf, ELF_ET_EXEC, 0x400000);
    ((struct elf64_ehdr *)buf)->entry = 0x900000;
    CHECK(elf_check(buf, len, LIMIT, &info) == -8); /* entry outside the image */
    len = make_elf(buf, ELF_ET_EXEC, 0x400000);
    phdr(buf)->vaddr = 0x400123;
    CHECK(elf_check(buf, len, LIMIT, &info) == -8); /* vaddr/offset misaligned */
}
