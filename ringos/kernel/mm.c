// SPDX-License-Identifier: MIT
/*
 * Physical page allocator over the boot memory map.  Free RAM is kept as
 * ranges handed out from the bottom, so init touches no page (on kvm_pvm
 * every first touch costs a shadow-MMU fault); freed pages go on a stack of
 * page numbers kept outside the pages themselves: a freed page is often a
 * page table the host's shadow MMU still write-protects, and writing a list
 * link into it would trap.  Every page has a reference count (copy-on-write
 * sharing after fork).
 */
#include "abi/rv_abi.h"
#include "boot.h"
#include "mm.h"
#include "platform.h"
#include "printk.h"

#define MM_MAX_RANGES (RV_MAX_MEM_REGIONS + 8)
/* The PVH page tables map the first 4 GiB of the direct map. */
#define PVH_DIRECT_MAP_LIMIT (4ull << 30)

struct mm_range {
    uint64_t next; /* first free byte, physical */
    uint64_t end;
    uint64_t base;  /* first byte the range started with: refs[0] */
    uint16_t *refs; /* one count per page from base; valid while allocated */
};

static struct mm_range ranges[MM_MAX_RANGES];
static unsigned nr_ranges;
static uint32_t *free_stack; /* page numbers (pa >> 12) of freed pages */
static uint64_t free_list_pages, total_bytes;

uint64_t virt_to_phys(const void *va)
{
    uint64_t v = (uint64_t)va;

    if (v >= KERNEL_BASE)
        return v - KERNEL_BASE;
    return v - RV_DIRECT_MAP_BASE;
}

void *phys_to_virt(uint64_t pa)
{
    return (void *)(RV_DIRECT_MAP_BASE + pa);
}

static void mm_add_range(uint64_t start, uint64_t end)
{
    start = ALIGN_UP(start, PAGE_SIZE);
    end = ALIGN_DOWN(end, PAGE_SIZE);
    if (start >= end)
        return;
    if (nr_ranges == MM_MAX_RANGES) {
        printk("mm: too many ranges, dropping %lx-%lx\n", start, end);
        return;
    }
    ranges[nr_ranges++] = (struct mm_range){ .next = start, .end = end, .base = start };
    total_bytes += end - start;
}

/*
 * Carve the reference counts (2 bytes a page) and the free stack (4 bytes a
 * page) from the top of the largest range.  Counts are written when a page
 * is allocated and read only while it is, the stack only below its top, so
 * neither needs clearing and boot touches none of it.
 */
static void mm_init_refs(void)
{
    uint64_t pages = total_bytes / PAGE_SIZE;
    uint64_t bytes = ALIGN_UP(pages * (sizeof(uint16_t) + sizeof(uint32_t)), PAGE_SIZE);
    struct mm_range *big = NULL;

    for (unsigned i = 0; i < nr_ranges; i++)
        if (!big || ranges[i].end - ranges[i].next > big->end - big->next)
            big = &ranges[i];
    if (!big || big->end - big->next < 2 * bytes)
        panic("mm: no room for page reference counts");
    big->end -= bytes;
    total_bytes -= bytes;
    free_stack = phys_to_virt(big->end);
    uint16_t *refs = (uint16_t *)(free_stack + pages);
    for (unsigned i = 0; i < nr_ranges; i++) {
        ranges[i].refs = refs;
        refs += (ranges[i].end - ranges[i].base) / PAGE_SIZE;
    }
}

/* The reference count of the page at physical (pa); NULL if not RAM we manage. */
static uint16_t *mm_ref(uint64_t pa)
{
    for (unsigned i = 0; i < nr_ranges; i++)
        if (pa >= ranges[i].base && pa < ranges[i].end)
            return &ranges[i].refs[(pa - ranges[i].base) / PAGE_SIZE];
    return NULL;
}

void mm_init(void)
{
    uint64_t kstart = virt_to_phys(_kernel_start), kend = virt_to_phys(_kernel_end);

    for (uint32_t i = 0; i < boot.nr_mem; i++) {
        const struct boot_mem *m = &boot.mem[i];
        if (m->type != RV_MEM_RAM)
            continue;
        uint64_t start = m->base, end = m->base + m->size;
        if (end < start)
            continue; /* wraps: ignore a nonsensical entry */
        if (boot.vmm == BOOT_VMM_PVH) {
            /* Firmware data (start info, ACPI, memmap) sits below 1 MiB. */
            start = MAX(start, 0x100000ull);
            end = MIN(end, PVH_DIRECT_MAP_LIMIT);
        }
        /* Never hand out the kernel image, whatever the map says. */
        if (start < kend && end > kstart) {
            mm_add_range(start, kstart);
            mm_add_range(kend, end);
        } else {
            mm_add_range(start, end);
        }
    }
    mm_init_refs();
}

void *mm_alloc_pages(size_t n)
{
    unsigned long f = irq_save();
    void *p = NULL;

    if (n == 1 && free_list_pages) {
        p = phys_to_virt((uint64_t)free_stack[--free_list_pages] * PAGE_SIZE);
    } else {
        for (unsigned i = 0; i < nr_ranges; i++) {
            if (ranges[i].end - ranges[i].next >= n * PAGE_SIZE) {
                p = phys_to_virt(ranges[i].next);
                ranges[i].next += n * PAGE_SIZE;
                break;
            }
        }
    }
    for (size_t i = 0; p && i < n; i++)
        *mm_ref(virt_to_phys((char *)p + i * PAGE_SIZE)) = 1;
    irq_restore(f);
    return p;
}

static void mm_free_locked(void *p)
{
    free_stack[free_list_pages++] = (uint32_t)(virt_to_phys(p) / PAGE_SIZE);
}

void mm_free_pages(void *p, size_t n)
{
    unsigned long f = irq_save();

    for (size_t i = 0; i < n; i++)
        mm_free_locked((char *)p + i * PAGE_SIZE);
    irq_restore(f);
}

bool mm_page_get(void *p)
{
    unsigned long f = irq_save();
    uint16_t *r = mm_ref(virt_to_phys(p));
    bool ok = r && *r < UINT16_MAX;

    if (ok)
        (*r)++;
    irq_restore(f);
    return ok;
}

void mm_page_put(void *p)
{
    unsigned long f = irq_save();
    uint16_t *r = mm_ref(virt_to_phys(p));

    if (!r || *r == 0)
        panic("mm: put of page %lx with no reference", virt_to_phys(p));
    if (--*r == 0)
        mm_free_locked(p);
    irq_restore(f);
}

unsigned mm_page_refs(void *p)
{
    uint16_t *r = mm_ref(virt_to_phys(p));

    return r ? *r : 0;
}

uint64_t mm_total_bytes(void)
{
    return total_bytes;
}

uint64_t mm_free_bytes(void)
{
    uint64_t b = free_list_pages * PAGE_SIZE;

    for (unsigned i = 0; i < nr_ranges; i++)
        b += ranges[i].end - ranges[i].next;
    return b;
}
