// SPDX-License-Identifier: MIT
/* Just enough ACPI to count CPUs under PVH: RSDP -> RSDT/XSDT -> MADT. */
#include "kernel.h"
#include "lib.h"

struct acpi_header {
    char signature[4];
    uint32_t length;
    uint8_t revision, checksum;
    char oem[6], oem_table[8];
    uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

static const struct acpi_header *acpi_find(uint64_t rsdp_pa, const char *sig)
{
    const uint8_t *rsdp = phys_to_virt(rsdp_pa);
    bool xsdt = rsdp[15] >= 2;
    uint64_t root_pa = xsdt ? *(const uint64_t *)(rsdp + 24) : *(const uint32_t *)(rsdp + 16);
    const struct acpi_header *root = phys_to_virt(root_pa);
    size_t esz = xsdt ? 8 : 4;

    if (root->length < sizeof(*root))
        return NULL;
    size_t n = (root->length - sizeof(*root)) / esz;
    const uint8_t *ents = (const uint8_t *)(root + 1);
    for (size_t i = 0; i < n; i++) {
        uint64_t pa = xsdt ? *(const uint64_t *)(ents + 8 * i) : *(const uint32_t *)(ents + 4 * i);
        const struct acpi_header *h = phys_to_virt(pa);
        if (!memcmp(h->signature, sig, 4))
            return h;
    }
    return NULL;
}

/* The legacy BIOS area search, for loaders that do not pass the RSDP. */
static uint64_t acpi_scan_rsdp(void)
{
    for (uint64_t pa = 0xe0000; pa < 0x100000; pa += 16)
        if (!memcmp(phys_to_virt(pa), "RSD PTR ", 8))
            return pa;
    return 0;
}

uint32_t acpi_count_cpus(uint64_t rsdp_pa)
{
    if (!rsdp_pa)
        rsdp_pa = acpi_scan_rsdp();
    if (!rsdp_pa || memcmp(phys_to_virt(rsdp_pa), "RSD PTR ", 8))
        return 0;
    const struct acpi_header *madt = acpi_find(rsdp_pa, "APIC");
    if (!madt)
        return 0;

    uint32_t cpus = 0;
    const uint8_t *p = (const uint8_t *)madt + sizeof(*madt) + 8; /* lapic address, flags */
    const uint8_t *end = (const uint8_t *)madt + madt->length;
    while (p + 2 <= end && p[1] >= 2) {
        if (p[0] == 0 && p[1] >= 8 && (*(const uint32_t *)(p + 4) & 3))
            cpus++; /* processor local APIC, enabled or online-capable */
        if (p[0] == 9 && p[1] >= 16 && (*(const uint32_t *)(p + 8) & 3))
            cpus++; /* processor local x2APIC */
        p += p[1];
    }
    return cpus;
}
