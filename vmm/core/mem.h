/* SPDX-License-Identifier: MIT */
/*
 * Guest RAM: one contiguous host block (a memfd), mapped into the guest as
 * one or two KVM slots (below and above the 3-4 GiB MMIO hole).  Every guest
 * physical address the host touches goes through mem_gpa().
 */
#ifndef VMM_MEM_H
#define VMM_MEM_H

#include <stddef.h>
#include <stdint.h>

typedef uint64_t gpa_t;

#define MEM_HOLE_START 0xc0000000ull /* 3 GiB: LAPIC/IOAPIC/PCI live above */
#define MEM_HOLE_END 0x100000000ull  /* 4 GiB */
#define MEM_MAX_REGIONS 2

struct mem_region {
    gpa_t gpa;
    uint64_t size;
    uint64_t host_off; /* offset into the host block */
};

struct guest_mem {
    uint8_t *host;  /* base of the host block */
    uint64_t size;  /* bytes of RAM */
    int memfd;      /* -1 when the block is plain anonymous memory */
    int nr_regions;
    struct mem_region region[MEM_MAX_REGIONS];
};

/*
 * Create (mem) of (size) bytes, which must be a non-zero multiple of 2 MiB.
 * The block is a memfd (so it can later be shared or snapshotted) with
 * MADV_HUGEPAGE.  Returns 0 or -errno.
 */
int mem_create(struct guest_mem *mem, uint64_t size)
    __attribute__((warn_unused_result));
void mem_destroy(struct guest_mem *mem);

/* Lay out regions for a block of (size) bytes around the MMIO hole.  Used by
 * mem_create() and by host-only tests that back (mem) with malloc. */
void mem_layout(struct guest_mem *mem, uint64_t size);

/*
 * Translate [gpa, gpa + len) to a host pointer.  Returns NULL unless the whole
 * range lies inside one RAM region; len 0 is allowed (checks gpa only).
 * Overflow of gpa + len is an error, not a wrap.
 */
void *mem_gpa(const struct guest_mem *mem, gpa_t gpa, uint64_t len);

/* Copy between guest RAM and the host; 0 or -EFAULT. */
int mem_read(const struct guest_mem *mem, void *dst, gpa_t gpa, uint64_t len)
    __attribute__((warn_unused_result));
int mem_write(const struct guest_mem *mem, gpa_t gpa, const void *src, uint64_t len)
    __attribute__((warn_unused_result));

/* Highest guest-physical address + 1 of RAM. */
gpa_t mem_end(const struct guest_mem *mem);

#endif
