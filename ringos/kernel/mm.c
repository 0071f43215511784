// SPDX-License-Identifier: MIT
/*
 * Physical page allocator over the boot memory map.  Free RAM is kept as
 * ranges handed out from the bottom, so init touches no page (on kvm_pvm
 * every first touch costs a shadow-MMU fault); freed pages go on a list.
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
};

struct free_page {
    struct free_page *next;
};

static struct mm_range ranges[MM_MAX_RANGES];
static unsigned nr_ranges;
static struct free_page *free_list;
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
    ranges[nr_ranges++] = (struct mm_range){ start, end };
    total_bytes += end - start;
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
}

void *mm_alloc_pages(size_t n)
{
    unsigned long f = irq_save();
    void *p = NULL;

    if (n == 1 && free_list) {
        p = free_list;
        free_list = free_list->next;
        free_list_pages--;
    } else {
        for (unsigned i = 0; i < nr_ranges; i++) {
            if (ranges[i].end - ranges[i].next >= n * PAGE_SIZE) {
                p = phys_to_virt(ranges[i].next);
                ranges[i].next += n * PAGE_SIZE;
                break;
            }
        }
    }
    irq_restore(f);
    return p;
}

void mm_free_pages(void *p, size_t n)
{
    unsigned long f = irq_save();

    for (size_t i = 0; i < n; i++) {
        struct free_page *fp = (struct free_page *)((char *)p + i * PAGE_SIZE);
        fp->next = free_list;
        free_list = fp;
        free_list_pages++;
    }
    irq_restore(f);
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
