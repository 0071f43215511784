// SPDX-License-Identifier: MIT
/*
 * PVH entry (QEMU): detect kvm_pvm and go native as early as possible, then
 * convert hvm_start_info into the boot description.  Until pvm_register()
 * everything here runs emulated on kvm_pvm (~1 us per instruction).
 */
#include "boot.h"
#include "cpu.h"
#include "kernel.h"
#include "lib.h"
#include "platform.h"
#include "smp.h"
#include "x86.h"

#define HVM_START_MAGIC 0x336ec578
#define HVM_MEMMAP_RAM 1

/* Xen public/arch-x86/hvm/start_info.h */
struct hvm_start_info {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr; /* version >= 1 */
    uint32_t memmap_entries;
    uint32_t reserved;
};

struct hvm_modlist_entry {
    uint64_t paddr;
    uint64_t size;
    uint64_t cmdline_paddr;
    uint64_t reserved;
};

struct hvm_memmap_table_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
    uint32_t reserved;
};

static uint8_t pv_page[4096] __aligned(4096);

/*
 * On kvm_pvm every instruction until pvm_register() is emulated, so the probe
 * comes first and needs only a #GP gate (rdmsr of the PV signature faults
 * on hardware KVM); the full GDT/IDT/TSS setup follows in kernel_main().
 */
static void pvh_detect_host(void)
{
    if (!cpu_has_kvm_signature()) {
        boot.host = HOST_TCG;
        return;
    }
    idt_init_gp_only();
    if (pvm_detect()) {
        boot.host = HOST_PVM;
        boot.pv_page_gpa = virt_to_phys(pv_page);
        pvm_register(boot.pv_page_gpa); /* native from here on */
    } else {
        boot.host = HOST_KVM;
    }
}

static void pvh_features(void)
{
    uint32_t a, b, c, d;

    cpuid(1, 0, &a, &b, &c, &d);
    if (d & (1u << 9))
        boot.features |= RV_FEAT_LAPIC;
    if (c & (1u << 24))
        boot.features |= RV_FEAT_TSC_DEADLINE;
    if (boot.host != HOST_TCG) {
        cpuid(0x40000001, 0, &a, &b, &c, &d);
        if (a & (1u << 3))
            boot.features |= RV_FEAT_KVMCLOCK;
    }
}

/*
 * Take [base, base + size) out of the RAM regions (it becomes RV_MEM_INITRD)
 * so the page allocator never hands it out; false if the map has no room.
 */
static bool pvh_reserve_initrd(uint64_t base, uint64_t size)
{
    uint64_t end = base + size;

    for (uint32_t i = 0; i < boot.nr_mem; i++) {
        struct boot_mem *m = &boot.mem[i];
        uint64_t mend = m->base + m->size;
        if (m->type != RV_MEM_RAM || end <= m->base || base >= mend)
            continue;
        if (base < m->base || end > mend || boot.nr_mem + 2 > RV_MAX_MEM_REGIONS)
            return false;
        /* RAM below stays in place; the initrd and the RAM above are appended. */
        m->size = base - m->base;
        boot.mem[boot.nr_mem++] = (struct boot_mem){ base, size, RV_MEM_INITRD };
        boot.mem[boot.nr_mem++] = (struct boot_mem){ end, mend - end, RV_MEM_RAM };
        return true;
    }
    return false;
}

static void pvh_parse(uint32_t hsi_pa)
{
    const struct hvm_start_info *hsi = phys_to_virt(hsi_pa);

    boot.nr_cpus = 1;
    if (hsi->magic != HVM_START_MAGIC)
        return;
    if (hsi->cmdline_paddr)
        strlcpy(boot.cmdline, phys_to_virt(hsi->cmdline_paddr), sizeof(boot.cmdline));
    if (hsi->version >= 1 && hsi->memmap_paddr) {
        const struct hvm_memmap_table_entry *e = phys_to_virt(hsi->memmap_paddr);
        for (uint32_t i = 0; i < hsi->memmap_entries && boot.nr_mem < RV_MAX_MEM_REGIONS; i++) {
            struct boot_mem *m = &boot.mem[boot.nr_mem++];
            m->base = e[i].addr;
            m->size = e[i].size;
            m->type = e[i].type == HVM_MEMMAP_RAM ? RV_MEM_RAM : RV_MEM_RESERVED;
            if (m->type == RV_MEM_RAM) {
                boot.ram_size += m->size;
                boot.ram_top = MAX(boot.ram_top, m->base + m->size);
            }
        }
    }
    /* QEMU's -initrd is the first module; it must lie in RAM we know of
     * (both tests: paddr + size may overflow). */
    if (hsi->nr_modules && hsi->modlist_paddr) {
        const struct hvm_modlist_entry *m = phys_to_virt(hsi->modlist_paddr);
        if (m->paddr && m->paddr < boot.ram_top && m->size <= boot.ram_top - m->paddr &&
            pvh_reserve_initrd(m->paddr, m->size)) {
            boot.initrd_gpa = m->paddr;
            boot.initrd_size = m->size;
        }
    }
    uint32_t cpus = acpi_count_cpus(hsi->rsdp_paddr);
    if (cpus)
        boot.nr_cpus = cpus;
}

void pvh_main(uint32_t hsi_pa)
{
    smp_cpu_early(0); /* GS base first: trap_dispatch reads it (the #GP probe) */
    boot.vmm = BOOT_VMM_PVH;
    pvh_detect_host();
    /* EFER.SCE (syscall/sysretq) and EFER.NXE (user PTEs carry NX), as
     * ringvisor's entry state has them; the PVH entry only turned on long mode. */
    wrmsr(0xc0000080, rdmsr(0xc0000080) | 0x801);
    /* CR4.OSFXSR|OSXMMEXCPT: programs use SSE (also ringvisor's entry state). */
    uint64_t cr4;
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    __asm__ volatile("mov %0, %%cr4" ::"r"(cr4 | 0x600));
    pvh_features();
    pvh_parse(hsi_pa);
    kernel_main();
}
