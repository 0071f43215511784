/* SPDX-License-Identifier: MIT */
/*
 * ELF64 kernel loader.  elf_parse() checks an untrusted image held in a host
 * buffer; elf_load() copies its PT_LOAD segments into guest RAM.
 */
#ifndef VMM_LOADER_H
#define VMM_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/core/mem.h"

#define ELF_MAX_SEGMENTS 16

struct elf_segment {
    uint64_t offset;  /* in the file */
    uint64_t filesz;
    uint64_t memsz;   /* >= filesz; the rest is zeroed */
    gpa_t paddr;      /* where it is loaded */
    uint64_t vaddr;
};

struct elf_image {
    uint64_t entry;
    int nr_seg;
    struct elf_segment seg[ELF_MAX_SEGMENTS];
    gpa_t lo, hi;     /* physical extent of all segments: [lo, hi) */
};

/*
 * Parse (buf, size) as a static x86-64 ELF64 executable into (img).
 * Returns 0, or -ENOEXEC with (*why) set to a constant, human-readable
 * reason.  Every offset and size is bounds- and overflow-checked.
 */
int elf_parse(const uint8_t *buf, size_t size, struct elf_image *img,
              const char **why) __attribute__((warn_unused_result));

/* Copy the segments of (img), parsed from (buf), into (mem).  Returns 0 or
 * -E2BIG when a segment does not fit in guest RAM. */
int elf_load(const struct guest_mem *mem, const struct elf_image *img,
             const uint8_t *buf) __attribute__((warn_unused_result));

#endif
