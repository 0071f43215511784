// SPDX-License-Identifier: MIT
/* elf_parse() on hostile images built in memory, and elf_load() into
 * malloc-backed guest RAM. */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "tests/unit/unit.h"
#include "vmm/core/loader.h"

#define KBASE 0xffffffff80000000ull
#define IMG_SIZE 0x3000

/* A valid two-segment kernel: text at 0x200000 (file 0x1000..0x2000), bss-ish
 * data at 0x202000 with memsz > filesz. */
static size_t valid(uint8_t *buf)
{
    struct test_phdr ph[3] = {
        { PT_LOAD, 0x1000, 0x1000, 0x1000, 0x200000, KBASE + 0x200000 },
        { PT_NOTE, 0x2000, 0x10, 0x10, 0, 0 },
        { PT_LOAD, 0x2000, 0x800, 0x3000, 0x202000, KBASE + 0x202000 },
    };

    memset(buf, 0, IMG_SIZE);
    elf_build(buf, KBASE + 0x200010, ph, 3);
    memset(buf + 0x1000, 0xcc, 0x1000);
    memset(buf + 0x2000, 0xdd, 0x800);
    memset(buf + 0x2800, 0xee, 0x800); /* beyond filesz: must not be loaded */
    return IMG_SIZE;
}

static Elf64_Ehdr *ehdr(uint8_t *buf)
{
    return (Elf64_Ehdr *)buf;
}

static Elf64_Phdr *phdr(uint8_t *buf, int i)
{
    return (Elf64_Phdr *)(buf + sizeof(Elf64_Ehdr)) + i;
}

/* Expect elf_parse(buf, size) to fail with -ENOEXEC and a reason. */
#define REJECT(buf, size)                                            \
    do {                                                             \
        struct elf_image img_;                                       \
        const char *why_ = NULL;                                     \
        CHECK_INT(elf_parse(buf, size, &img_, &why_), -ENOEXEC);     \
        CHECK(why_ != NULL && why_[0] != 0);                         \
    } while (0)

static _Alignas(8) uint8_t img_buf[IMG_SIZE];

static void elf_valid(void)
{
    struct elf_image img;
    const char *why = NULL;
    size_t n = valid(img_buf);

    CHECK_INT(elf_parse(img_buf, n, &img, &why), 0);
    CHECK_EQ(img.entry, KBASE + 0x200010);
    CHECK_EQ(img.nr_seg, 2);
    CHECK_EQ(img.seg[0].paddr, 0x200000);
    CHECK_EQ(img.seg[0].vaddr, KBASE + 0x200000);
    CHECK_EQ(img.seg[1].offset, 0x2000);
    CHECK_EQ(img.seg[1].filesz, 0x800);
    CHECK_EQ(img.seg[1].memsz, 0x3000);
    CHECK_EQ(img.lo, 0x200000);
    CHECK_EQ(img.hi, 0x205000);
}

static void elf_truncated(void)
{
    valid(img_buf);
    REJECT(img_buf, 0);
    REJECT(img_buf, sizeof(Elf64_Ehdr) - 1);
    /* Header present, program headers cut off. */
    REJECT(img_buf, sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr));
    /* Program headers present, segment data cut off. */
    REJECT(img_buf, 0x2000);
    REJECT(img_buf, 0x2000 + 0x800 - 1);
    CHECK_EQ(elf_parse(img_buf, 0x2000 + 0x800, &(struct elf_image){ 0 },
                       &(const char *){ NULL }), 0);
}

static void elf_bad_magic(void)
{
    valid(img_buf);
    img_buf[1] = 'e';
    REJECT(img_buf, IMG_SIZE);
}

static void elf_class32(void)
{
    valid(img_buf);
    img_buf[EI_CLASS] = ELFCLASS32;
    REJECT(img_buf, IMG_SIZE);
    valid(img_buf);
    img_buf[EI_DATA] = ELFDATA2MSB;
    REJECT(img_buf, IMG_SIZE);
}

static void elf_wrong_machine(void)
{
    valid(img_buf);
    ehdr(img_buf)->e_machine = EM_AARCH64;
    REJECT(img_buf, IMG_SIZE);
    valid(img_buf);
    ehdr(img_buf)->e_machine = EM_386;
    REJECT(img_buf, IMG_SIZE);
}

static void elf_type(void)
{
    valid(img_buf);
    ehdr(img_buf)->e_type = ET_DYN;
    REJECT(img_buf, IMG_SIZE);
    ehdr(img_buf)->e_type = ET_REL;
    REJECT(img_buf, IMG_SIZE);
}

static void elf_phdr_table(void)
{
    valid(img_buf);
    ehdr(img_buf)->e_phoff = IMG_SIZE + 1;
    REJECT(img_buf, IMG_SIZE);
    ehdr(img_buf)->e_phoff = UINT64_MAX - 8;
    REJECT(img_buf, IMG_SIZE);
    /* phoff in the file but the table runs past its end. */
    ehdr(img_buf)->e_phoff = IMG_SIZE - sizeof(Elf64_Phdr) + 1;
    REJECT(img_buf, IMG_SIZE);
    valid(img_buf);
    ehdr(img_buf)->e_phnum = 0;
    REJECT(img_buf, IMG_SIZE);
    valid(img_buf);
    ehdr(img_buf)->e_phentsize = 32;
    REJECT(img_buf, IMG_SIZE);
}

static void elf_phnum_overflow(void)
{
    /* phnum * phentsize is far larger than the file (and would wrap a 16-bit
     * product); phoff + table must not wrap either. */
    valid(img_buf);
    ehdr(img_buf)->e_phnum = 0xffff;
    REJECT(img_buf, IMG_SIZE);
    ehdr(img_buf)->e_phoff = 0x40;
    ehdr(img_buf)->e_phnum = PN_XNUM;
    REJECT(img_buf, IMG_SIZE);
}

static void elf_segment_outside_file(void)
{
    valid(img_buf);
    phdr(img_buf, 0)->p_offset = IMG_SIZE + 0x1000;
    REJECT(img_buf, IMG_SIZE);
    valid(img_buf);
    phdr(img_buf, 0)->p_filesz = IMG_SIZE;
    phdr(img_buf, 0)->p_memsz = IMG_SIZE;
    REJECT(img_buf, IMG_SIZE);
    valid(img_buf);
    /* offset + filesz wraps to a small number. */
    phdr(img_buf, 0)->p_offset = 0x100;
    phdr(img_buf, 0)->p_filesz = UINT64_MAX - 0x80;
    phdr(img_buf, 0)->p_memsz = UINT64_MAX - 0x80;
    phdr(img_buf, 0)->p_paddr = 0;
    REJECT(img_buf, IMG_SIZE);
}

static void elf_filesz_gt_memsz(void)
{
    valid(img_buf);
    phdr(img_buf, 2)->p_memsz = 0x700;
    REJECT(img_buf, IMG_SIZE);
}

static void elf_paddr_overflow(void)
{
    valid(img_buf);
    phdr(img_buf, 0)->p_paddr = UINT64_MAX - 0x800;
    REJECT(img_buf, IMG_SIZE);
    /* Ending exactly at 2^64 wraps to 0: also an overflow. */
    phdr(img_buf, 0)->p_paddr = UINT64_MAX - 0xfff;
    REJECT(img_buf, IMG_SIZE);
}

static void elf_no_load(void)
{
    valid(img_buf);
    phdr(img_buf, 0)->p_type = PT_NOTE;
    phdr(img_buf, 2)->p_type = PT_GNU_STACK;
    REJECT(img_buf, IMG_SIZE);
    /* A PT_LOAD with memsz 0 loads nothing either. */
    valid(img_buf);
    phdr(img_buf, 0)->p_type = PT_NOTE;
    phdr(img_buf, 2)->p_filesz = 0;
    phdr(img_buf, 2)->p_memsz = 0;
    REJECT(img_buf, IMG_SIZE);
}

static void elf_too_many_segments(void)
{
    struct test_phdr ph[ELF_MAX_SEGMENTS + 1];
    static _Alignas(8) uint8_t buf[4096];
    struct elf_image img;
    const char *why;

    for (int i = 0; i <= ELF_MAX_SEGMENTS; i++)
        ph[i] = (struct test_phdr){ PT_LOAD, 0, 0, 0x1000, 0x200000 + 0x1000ull * (uint64_t)i,
                                    KBASE + 0x200000 + 0x1000ull * (uint64_t)i };
    elf_build(buf, KBASE + 0x200000, ph, ELF_MAX_SEGMENTS);
    CHECK_INT(elf_parse(buf, sizeof(buf), &img, &why), 0);
    CHECK_EQ(img.nr_seg, ELF_MAX_SEGMENTS);
    elf_build(buf, KBASE + 0x200000, ph, ELF_MAX_SEGMENTS + 1);
    REJECT(buf, sizeof(buf));
}

static void elf_load_ok(void)
{
    struct guest_mem m;
    struct elf_image img;
    const char *why;
    const uint8_t *g;

    guest_alloc(&m, 4 << 20);
    memset(m.host, 0x11, 4 << 20); /* the bss part must be zeroed by the load */
    valid(img_buf);
    CHECK_INT(elf_parse(img_buf, IMG_SIZE, &img, &why), 0);
    CHECK_INT(elf_load(&m, &img, img_buf), 0);
    g = m.host;
    CHECK_EQ(g[0x200000], 0xcc);
    CHECK_EQ(g[0x200fff], 0xcc);
    CHECK_EQ(g[0x201000], 0x11); /* the gap between segments is untouched */
    CHECK_EQ(g[0x202000], 0xdd);
    CHECK_EQ(g[0x2027ff], 0xdd);
    CHECK_EQ(g[0x202800], 0); /* memsz > filesz: zero, not the file's 0xee */
    CHECK_EQ(g[0x204fff], 0);
    CHECK_EQ(g[0x205000], 0x11);
    guest_free(&m);
}

static void elf_load_too_big(void)
{
    struct guest_mem m;
    struct elf_image img;
    const char *why;

    guest_alloc(&m, 4 << 20);
    valid(img_buf);
    /* Ends one byte past RAM. */
    phdr(img_buf, 2)->p_paddr = (4 << 20) - 0x3000 + 1;
    CHECK_INT(elf_parse(img_buf, IMG_SIZE, &img, &why), 0);
    CHECK_INT(elf_load(&m, &img, img_buf), -E2BIG);
    valid(img_buf);
    phdr(img_buf, 0)->p_paddr = 1ull << 40;
    CHECK_INT(elf_parse(img_buf, IMG_SIZE, &img, &why), 0);
    CHECK_INT(elf_load(&m, &img, img_buf), -E2BIG);
    guest_free(&m);
}

void suite_loader(void)
{
    RUN(elf_valid);
    RUN(elf_truncated);
    RUN(elf_bad_magic);
    RUN(elf_class32);
    RUN(elf_wrong_machine);
    RUN(elf_type);
    RUN(elf_phdr_table);
    RUN(elf_phnum_overflow);
    RUN(elf_segment_outside_file);
    RUN(elf_filesz_gt_memsz);
    RUN(elf_paddr_overflow);
    RUN(elf_no_load);
    RUN(elf_too_many_segments);
    RUN(elf_load_ok);
    RUN(elf_load_too_big);
}
