// SPDX-License-Identifier: MIT
/* Builds the boot area of the ringvisor boot protocol in guest RAM. */
#include "vmm/arch/x86/boot.h"

#include <errno.h>
#include <string.h>

#include "abi/rv_ring.h"

#define PAGE 4096ull
#define PTE_P 0x1ull
#define PTE_W 0x2ull
#define PTE_U 0x4ull
#define PTE_PS 0x80ull
#define SZ_2M (2ull << 20)
#define SZ_1G (1ull << 30)

/* Bump allocator over the boot area, in whole pages, zeroed. */
struct area {
    const struct guest_mem *mem;
    gpa_t next, limit;
};

static gpa_t area_alloc(struct area *a, uint64_t bytes, uint64_t align)
{
    gpa_t at = (a->next + align - 1) & ~(align - 1);
    uint64_t len = (bytes + PAGE - 1) & ~(PAGE - 1);
    uint8_t *p;

    if (at < a->next || at > a->limit || len > a->limit - at)
        return 0;
    p = mem_gpa(a->mem, at, len);
    if (!p)
        return 0;
    memset(p, 0, len);
    a->next = at + len;
    return at;
}

static uint64_t *table(const struct guest_mem *mem, gpa_t gpa)
{
    return mem_gpa(mem, gpa, PAGE);
}

/* True if [gpa, gpa + len) is all RAM. */
static bool is_ram(const struct guest_mem *mem, gpa_t gpa, uint64_t len)
{
    return mem_gpa(mem, gpa, len) != NULL;
}

/* Map the RAM inside one 1 GiB slot [gpa, gpa + 1 GiB) through (pdpte):
 * a 1 GiB page where allowed and all RAM, else a PD of 2 MiB pages. */
static int map_gib(struct area *a, uint64_t *pdpte, gpa_t gpa, uint64_t flags,
                   bool gbpages)
{
    gpa_t pd;
    uint64_t *e;

    if (gbpages && is_ram(a->mem, gpa, SZ_1G)) {
        *pdpte = gpa | flags | PTE_PS;
        return 0;
    }
    pd = area_alloc(a, PAGE, PAGE);
    if (!pd)
        return -E2BIG;
    e = table(a->mem, pd);
    for (int i = 0; i < 512; i++) {
        gpa_t p = gpa + (uint64_t)i * SZ_2M;

        /* RAM regions are 2 MiB multiples, so a 2 MiB page is all or nothing. */
        if (is_ram(a->mem, p, SZ_2M))
            e[i] = p | flags | PTE_PS;
    }
    *pdpte = pd | flags;
    return 0;
}

static int build_page_tables(struct area *a, const struct boot_config *cfg,
                             gpa_t *pml4_out)
{
    const struct guest_mem *mem = a->mem;
    /* kvm_pvm needs U/S=1 on every level (PVM notes 3.2); ring 0 does not. */
    uint64_t f = PTE_P | PTE_W | (cfg->host_kind == RV_HOST_PVM ? PTE_U : 0);
    gpa_t end = mem_end(mem);
    gpa_t pml4, dm_pdpt, k_pdpt;
    uint64_t *pml4e;
    int err;

    /* Kernel PML4 on an 8 KiB boundary; the next page is the (empty) user
     * PML4 that kvm_pvm switches to on sysretq. */
    pml4 = area_alloc(a, 2 * PAGE, 2 * PAGE);
    dm_pdpt = area_alloc(a, PAGE, PAGE);
    k_pdpt = area_alloc(a, PAGE, PAGE);
    if (!pml4 || !dm_pdpt || !k_pdpt)
        return -E2BIG;
    pml4e = table(mem, pml4);

    /* Direct map: all RAM at RV_DIRECT_MAP_BASE (one PDPT covers 512 GiB). */
    uint64_t *dm = table(mem, dm_pdpt);
    if (end > 512 * SZ_1G)
        return -E2BIG;
    for (gpa_t g = 0; g < end; g += SZ_1G) {
        if (!is_ram(mem, g, 0) && !is_ram(mem, g + SZ_1G - SZ_2M, 0))
            continue; /* the slot has no RAM at its ends: it is the hole */
        err = map_gib(a, &dm[g / SZ_1G], g, f, cfg->gbpages);
        if (err)
            return err;
    }
    pml4e[(RV_DIRECT_MAP_BASE >> 39) & 511] = dm_pdpt | f;

    /* Kernel window: RV_KERNEL_BASE + [0, 1 GiB) -> GPA [0, 1 GiB). */
    uint64_t *kp = table(mem, k_pdpt);
    err = map_gib(a, &kp[(RV_KERNEL_BASE >> 30) & 511], 0, f, false);
    if (err)
        return err;
    pml4e[(RV_KERNEL_BASE >> 39) & 511] = k_pdpt | f;
    *pml4_out = pml4;
    return 0;
}

/* The GDT of the protocol: see "Entry state" in abi/rv_abi.h. */
static void build_gdt(uint8_t *page, uint64_t tss_gva)
{
    uint64_t gdt[10] = {
        [2] = 0x00af9b000000ffffull, /* 0x10 kernel code, 64-bit */
        [3] = 0x00cf93000000ffffull, /* 0x18 kernel data */
        [4] = 0x00cffb000000ffffull, /* 0x20 user code, 32-bit */
        [5] = 0x00cff3000000ffffull, /* 0x28 user data */
        [6] = 0x00affb000000ffffull, /* 0x30 user code, 64-bit */
    };

    /* 0x40: available 64-bit TSS, limit 0x67, spread over two slots. */
    gdt[8] = 0x0000890000000067ull | ((tss_gva & 0xffffff) << 16) |
             (((tss_gva >> 24) & 0xff) << 56);
    gdt[9] = tss_gva >> 32;
    memcpy(page, gdt, sizeof(gdt));
}

#define BOOT_TSS_OFF 0x100

static void build_tss(uint8_t *tss, uint64_t rsp0)
{
    memcpy(tss + 4, &rsp0, 8);      /* RSP0 */
    uint16_t iomap = 0x68;          /* no I/O bitmap: all ports fault at CPL3 */
    memcpy(tss + 102, &iomap, 2);
}

static int check_image(const struct guest_mem *mem, const struct elf_image *img,
                       const char **why)
{
    bool entry_ok = false;

    for (int i = 0; i < img->nr_seg; i++) {
        const struct elf_segment *s = &img->seg[i];
        bool window = s->vaddr == RV_KERNEL_BASE + s->paddr;

        if (!window && s->vaddr != s->paddr) {
            *why = "kernel segment is neither at RV_KERNEL_BASE + paddr nor identity-linked";
            return -ENOEXEC;
        }
        if (s->paddr < PAGE) {
            *why = "kernel segment overlaps page 0, which stays reserved";
            return -ENOEXEC;
        }
        if (s->paddr >= BOOT_KERNEL_WINDOW || s->memsz > BOOT_KERNEL_WINDOW - s->paddr) {
            *why = "kernel segment lies beyond the 1 GiB kernel window";
            return -ENOEXEC;
        }
        if (!mem_gpa(mem, s->paddr, s->memsz)) {
            *why = "kernel image does not fit in guest memory";
            return -E2BIG;
        }
        if (window && img->entry >= s->vaddr && img->entry - s->vaddr < s->memsz)
            entry_ok = true;
    }
    if (!entry_ok) {
        *why = "kernel entry point is outside its loaded segments";
        return -ENOEXEC;
    }
    return 0;
}

static void add_region(struct rv_start_info *si, gpa_t gpa, uint64_t size, uint32_t type)
{
    if (size == 0 || si->nr_mem == RV_MAX_MEM_REGIONS)
        return;
    si->mem[si->nr_mem++] = (struct rv_mem_region){ .gpa = gpa, .size = size, .type = type };
}

int boot_build(const struct guest_mem *mem, const struct elf_image *img,
               const struct boot_config *cfg, struct boot_result *out,
               const char **why)
{
    const struct mem_region *low = &mem->region[0];
    struct area a = { .mem = mem };
    struct rv_start_info *si;
    size_t cmdlen = strlen(cfg->cmdline);
    gpa_t shared_lo, boot_lo, cmdline, initrd = 0, devs = 0;
    int err;

    memset(out, 0, sizeof(*out));
    if (cfg->nr_vcpus == 0 || cfg->nr_vcpus > RV_MAX_VCPUS) {
        *why = "vCPU count out of range";
        return -EINVAL;
    }
    if (cmdlen >= RV_CMDLINE_MAX) {
        *why = "command line too long (at most 4095 bytes)";
        return -EINVAL;
    }
    if (cfg->nr_devs > RV_DEV_MAX) {
        *why = "too many devices";
        return -EINVAL;
    }
    err = check_image(mem, img, why);
    if (err)
        return err;

    /* The boot area follows the image in low RAM: shared pages first. */
    a.next = (img->hi + PAGE - 1) & ~(PAGE - 1);
    a.limit = low->gpa + low->size;
    *why = "kernel, boot data and initrd do not fit in guest memory";
    shared_lo = a.next;
    out->req_ring = area_alloc(&a, sizeof(struct rv_req_ring), PAGE);
    if (!out->req_ring)
        return -E2BIG;
    if (cfg->con_in) {
        out->con_in = area_alloc(&a, sizeof(struct rv_in_ring), PAGE);
        if (!out->con_in)
            return -E2BIG;
    }
    for (uint32_t i = 0; i < cfg->nr_vcpus && cfg->host_kind == RV_HOST_PVM; i++) {
        out->vcpu[i].pv_page = area_alloc(&a, PAGE, PAGE);
        if (!out->vcpu[i].pv_page)
            return -E2BIG;
    }
    boot_lo = a.next;
    out->start_info = area_alloc(&a, sizeof(*si), PAGE);
    cmdline = area_alloc(&a, cmdlen + 1, PAGE);
    if (!out->start_info || !cmdline)
        return -E2BIG;
    if (cfg->nr_devs) {
        devs = area_alloc(&a, cfg->nr_devs * sizeof(struct rv_dev), 64);
        if (!devs)
            return -E2BIG;
    }
    for (uint32_t i = 0; i < cfg->nr_vcpus; i++) {
        gpa_t g = area_alloc(&a, PAGE, PAGE);
        gpa_t stack = area_alloc(&a, BOOT_STACK_SIZE, PAGE);
        uint8_t *page;

        if (!g || !stack)
            return -E2BIG;
        page = mem_gpa(mem, g, PAGE);
        out->vcpu[i].stack_top = boot_gva(stack + BOOT_STACK_SIZE);
        out->vcpu[i].gdt = boot_gva(g);
        out->vcpu[i].tss = boot_gva(g + BOOT_TSS_OFF);
        build_gdt(page, out->vcpu[i].tss);
        build_tss(page + BOOT_TSS_OFF, out->vcpu[i].stack_top);
    }
    err = build_page_tables(&a, cfg, &out->pml4);
    if (err)
        return err;
    if (cfg->initrd_size) {
        initrd = area_alloc(&a, cfg->initrd_size, PAGE);
        if (!initrd)
            return -E2BIG;
    }
    out->area_lo = shared_lo;
    out->area_hi = a.next;
    out->entry = img->entry;

    memcpy(mem_gpa(mem, cmdline, cmdlen + 1), cfg->cmdline, cmdlen + 1);
    if (cfg->nr_devs)
        memcpy(mem_gpa(mem, devs, cfg->nr_devs * sizeof(struct rv_dev)), cfg->devs,
               cfg->nr_devs * sizeof(struct rv_dev));
    if (cfg->initrd_size)
        memcpy(mem_gpa(mem, initrd, cfg->initrd_size), cfg->initrd, cfg->initrd_size);

    si = mem_gpa(mem, out->start_info, sizeof(*si));
    si->magic = RV_START_MAGIC;
    si->abi_version = RV_ABI_VERSION;
    si->features = cfg->features | RV_FEAT_REQ_RING | RV_FEAT_MULTICALL |
                   (cfg->gbpages ? RV_FEAT_GBPAGES : 0);
    si->host_kind = cfg->host_kind;
    si->nr_vcpus = cfg->nr_vcpus;
    si->tsc_khz = cfg->tsc_khz;
    si->realtime_ns = cfg->realtime_ns;
    si->kvmclock_ns = cfg->kvmclock_ns;
    si->direct_map_base = RV_DIRECT_MAP_BASE;
    si->cmdline_gpa = cmdline;
    si->cmdline_len = (uint32_t)cmdlen;
    si->initrd_gpa = initrd;
    si->initrd_size = cfg->initrd_size;
    si->req_ring_gpa = out->req_ring;
    si->ram_size = mem->size;
    si->ram_top = mem_end(mem);
    if (cfg->shutdown_vector) {
        si->features |= RV_FEAT_SHUTDOWN;
        si->shutdown_vector = cfg->shutdown_vector;
    }
    if (cfg->nr_devs) {
        si->features |= RV_FEAT_DEVICES;
        si->dev_gpa = devs;
        si->dev_count = cfg->nr_devs;
        si->dev_size = sizeof(struct rv_dev);
    }
    if (cfg->con_in) {
        si->features |= RV_FEAT_CON_IN;
        si->con_in_gpa = out->con_in;
        si->con_in_vector = cfg->con_in_vector;
        si->con_flags = cfg->con_flags;
    }
    for (uint32_t i = 0; i < cfg->nr_vcpus; i++) {
        si->vcpu[i] = (struct rv_vcpu_info){
            .pv_page_gpa = out->vcpu[i].pv_page,
            .stack_top = out->vcpu[i].stack_top,
            .gdt_gpa = out->vcpu[i].gdt - RV_DIRECT_MAP_BASE,
            .tss_gpa = out->vcpu[i].tss - RV_DIRECT_MAP_BASE,
        };
    }

    /* Memory map, in address order.  Page 0 stays reserved so that physical
     * address 0 never names a real page. */
    gpa_t img_lo = img->lo & ~(PAGE - 1);
    gpa_t img_hi = shared_lo;
    add_region(si, 0, PAGE, RV_MEM_RESERVED);
    add_region(si, PAGE, img_lo > PAGE ? img_lo - PAGE : 0, RV_MEM_RAM);
    add_region(si, img_lo, img_hi - img_lo, RV_MEM_KERNEL);
    add_region(si, shared_lo, boot_lo - shared_lo, RV_MEM_SHARED);
    add_region(si, boot_lo, (initrd ? initrd : a.next) - boot_lo, RV_MEM_BOOT);
    if (initrd)
        add_region(si, initrd, a.next - initrd, RV_MEM_INITRD);
    add_region(si, a.next, a.limit - a.next, RV_MEM_RAM);
    for (int i = 1; i < mem->nr_regions; i++)
        add_region(si, mem->region[i].gpa, mem->region[i].size, RV_MEM_RAM);
    return 0;
}
