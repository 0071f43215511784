// SPDX-License-Identifier: MIT
/*
 * PCI configuration mechanism #1 and uncached MMIO mappings for BARs.  On
 * kvm_pvm every access here exits to the VMM, so drivers touch config space
 * only while setting a device up.
 */
#include "lib.h"
#include "mm.h"
#include "pci.h"
#include "x86.h"

#define PCI_ADDR_PORT 0xcf8
#define PCI_DATA_PORT 0xcfc

#define PTE_P 0x1ull
#define PTE_W 0x2ull
#define PTE_U 0x4ull
#define PTE_PWT 0x8ull
#define PTE_PCD 0x10ull
#define PTE_PS 0x80ull
#define PTE_PAT_LARGE 0x1000ull /* PAT bit of a large page, where PS sits in a PTE */
#define PTE_ADDR 0x000ffffffffff000ull

static inline uint32_t inl(uint16_t port)
{
    uint32_t v;

    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static uint32_t pci_addr(uint8_t bus, uint8_t devfn, uint8_t off)
{
    return 0x80000000u | (uint32_t)bus << 16 | (uint32_t)devfn << 8 | (off & 0xfc);
}

uint32_t pci_read32(uint8_t bus, uint8_t devfn, uint8_t off)
{
    outl(PCI_ADDR_PORT, pci_addr(bus, devfn, off));
    return inl(PCI_DATA_PORT);
}

void pci_write32(uint8_t bus, uint8_t devfn, uint8_t off, uint32_t v)
{
    outl(PCI_ADDR_PORT, pci_addr(bus, devfn, off));
    outl(PCI_DATA_PORT, v);
}

uint8_t pci_read8(uint8_t bus, uint8_t devfn, uint8_t off)
{
    return pci_read32(bus, devfn, off) >> (8 * (off & 3));
}

uint16_t pci_read16(uint8_t bus, uint8_t devfn, uint8_t off)
{
    return pci_read32(bus, devfn, off) >> (8 * (off & 2));
}

void pci_enable(uint8_t bus, uint8_t devfn)
{
    uint32_t v = pci_read32(bus, devfn, PCI_COMMAND);

    /* The upper half is the status register, whose bits clear on a 1 write. */
    pci_write32(bus, devfn, PCI_COMMAND, (v & 0xffff) | PCI_CMD_MEM | PCI_CMD_MASTER);
}

void pci_msix_enable(uint8_t bus, uint8_t devfn, uint8_t cap)
{
    uint32_t v = pci_read32(bus, devfn, cap);

    /* Message control is the upper half: bit 15 enable, bit 14 function mask. */
    v = (v | (1u << 31)) & ~(1u << 30);
    pci_write32(bus, devfn, cap, v);
}

uint64_t pci_bar_gpa(uint8_t bus, uint8_t devfn, unsigned bar)
{
    if (bar > 5)
        return 0;
    uint32_t lo = pci_read32(bus, devfn, PCI_BAR0 + 4 * bar);
    if (lo & 1)
        return 0; /* an I/O BAR */
    uint64_t gpa = lo & ~0xfull;
    if (((lo >> 1) & 3) == 2) {
        if (bar == 5)
            return 0;
        gpa |= (uint64_t)pci_read32(bus, devfn, PCI_BAR0 + 4 * (bar + 1)) << 32;
    }
    return gpa;
}

static uint64_t *pci_zalloc_table(void)
{
    uint64_t *t = mm_alloc_pages(1);

    if (t)
        memset(t, 0, PAGE_SIZE);
    return t;
}

/* Replace the large page in (*e) (of 1 << shift bytes) with a table of 512 smaller ones. */
static bool pci_split(uint64_t *e, unsigned shift)
{
    uint64_t *t = pci_zalloc_table();

    if (!t)
        return false;
    uint64_t flags = *e & ~PTE_ADDR & ~PTE_PAT_LARGE;
    uint64_t base = *e & PTE_ADDR & ~((1ull << shift) - 1);
    uint64_t step = 1ull << (shift - 9);
    for (unsigned i = 0; i < 512; i++)
        t[i] = (base + i * step) | (shift - 9 == 12 ? flags & ~PTE_PS : flags);
    *e = virt_to_phys(t) | PTE_P | PTE_W | PTE_U;
    return true;
}

/* The 4 KiB PTE for direct-map address (va), creating or splitting tables. */
static uint64_t *pci_pte(uint64_t va)
{
    uint64_t *t = phys_to_virt(read_cr3() & PTE_ADDR);
    unsigned shifts[3] = { 39, 30, 21 };

    for (int l = 0; l < 3; l++) {
        uint64_t *e = &t[(va >> shifts[l]) & 511];
        if (!(*e & PTE_P)) {
            uint64_t *n = pci_zalloc_table();
            if (!n)
                return NULL;
            /* U=1 on every level: kvm_pvm needs it. */
            *e = virt_to_phys(n) | PTE_P | PTE_W | PTE_U;
        } else if (*e & PTE_PS) {
            if (!pci_split(e, shifts[l]))
                return NULL;
        }
        t = phys_to_virt(*e & PTE_ADDR);
    }
    return &t[(va >> 12) & 511];
}

volatile void *pci_mmio_map(uint64_t gpa, uint64_t size)
{
    uint64_t start = gpa & ~(PAGE_SIZE - 1), end = ALIGN_UP(gpa + size, PAGE_SIZE);

    if (!size || end <= start)
        return NULL;
    for (uint64_t pa = start; pa < end; pa += PAGE_SIZE) {
        uint64_t va = (uint64_t)phys_to_virt(pa);
        uint64_t *pte = pci_pte(va);
        if (!pte)
            return NULL;
        *pte = pa | PTE_P | PTE_W | PTE_U | PTE_PCD | PTE_PWT;
        invlpg(va);
    }
    return phys_to_virt(gpa);
}
