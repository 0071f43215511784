// SPDX-License-Identifier: MIT
/* boot_build(): page tables walked in software, GDT/TSS, the start-info page
 * and its memory map, and every way an image or config can be refused. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "abi/rv_abi.h"
#include "abi/rv_ring.h"
#include "tests/unit/unit.h"
#include "vmm/arch/x86/boot.h"

#define PAGE 4096ull
#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define PTE_P 0x1ull
#define PTE_W 0x2ull
#define PTE_U 0x4ull
#define PTE_PS 0x80ull
#define PTE_ADDR 0x000ffffffffff000ull

/* The kernel of these tests: one segment at 0x200000, linked in the window. */
static struct elf_image kernel(uint64_t paddr, uint64_t memsz)
{
    struct elf_image img = {
        .entry = RV_KERNEL_BASE + paddr + 0x40,
        .nr_seg = 1,
        .seg[0] = { .offset = 0, .filesz = 0, .memsz = memsz, .paddr = paddr,
                    .vaddr = RV_KERNEL_BASE + paddr },
        .lo = paddr,
        .hi = paddr + memsz,
    };
    return img;
}

static struct boot_config config(uint32_t host_kind, uint32_t nr_vcpus)
{
    struct boot_config c = {
        .host_kind = host_kind,
        .nr_vcpus = nr_vcpus,
        .features = RV_FEAT_KVMCLOCK | RV_FEAT_LAPIC,
        .tsc_khz = 2500000,
        .realtime_ns = 1700000000000000000ull,
        .kvmclock_ns = 12345,
        .cmdline = "console=ttyS0 quiet",
    };
    return c;
}

/* Translate (va) through the tables at (pml4) like the MMU; false if any
 * level is missing or outside RAM. */
static bool walk(const struct guest_mem *m, gpa_t pml4, uint64_t va, gpa_t *gpa)
{
    gpa_t t = pml4;

    for (int level = 3; level >= 0; level--) {
        const uint64_t *tab = mem_gpa(m, t, PAGE);
        unsigned shift = 12 + 9 * (unsigned)level;
        uint64_t e;

        if (!tab)
            return false;
        e = tab[(va >> shift) & 511];
        if (!(e & PTE_P))
            return false;
        if (level == 0 || ((e & PTE_PS) && level <= 2)) {
            uint64_t mask = (1ull << shift) - 1;

            *gpa = (e & PTE_ADDR & ~mask) + (va & mask);
            return true;
        }
        t = e & PTE_ADDR;
    }
    return false;
}

struct scan {
    unsigned present, bad_us, bad_ps, not_writable, tables;
    unsigned tables_outside_area;
};

/* Visit every present entry of every table reachable from (t). */
static void scan(const struct guest_mem *m, const struct boot_result *out,
                 gpa_t t, int level, bool want_u, struct scan *s)
{
    const uint64_t *tab = mem_gpa(m, t, PAGE);

    s->tables++;
    if (!tab || t < out->area_lo || t + PAGE > out->area_hi) {
        s->tables_outside_area++;
        return;
    }
    for (int i = 0; i < 512; i++) {
        uint64_t e = tab[i];

        if (!(e & PTE_P))
            continue;
        s->present++;
        if (!!(e & PTE_U) != want_u)
            s->bad_us++;
        if (!(e & PTE_W))
            s->not_writable++;
        if (e & PTE_PS) {
            if (level == 3 || level == 0)
                s->bad_ps++;
            continue;
        }
        if (level > 0)
            scan(m, out, e & PTE_ADDR, level - 1, want_u, s);
    }
}

/* The type of the memory-map entry that holds all of [gpa, gpa + len), or 0. */
static uint32_t map_type(const struct rv_start_info *si, gpa_t gpa, uint64_t len)
{
    for (uint32_t i = 0; i < si->nr_mem && i < RV_MAX_MEM_REGIONS; i++) {
        const struct rv_mem_region *r = &si->mem[i];

        if (gpa >= r->gpa && gpa - r->gpa <= r->size && len <= r->size - (gpa - r->gpa))
            return r->type;
    }
    return 0;
}

static bool overlaps(gpa_t a, uint64_t alen, gpa_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

/* The page tables: translations, U/S on every level, slot 256, user PML4. */
static void check_tables(const struct guest_mem *m, const struct elf_image *img,
                         const struct boot_config *cfg, const struct boot_result *out)
{
    const uint64_t *pml4 = mem_gpa(m, out->pml4, 2 * PAGE);
    uint64_t probes[] = { 0, 0x1000, 0x1fffff, 0x200000, 0x212345, m->size / 2,
                          m->region[0].size - 1 };
    struct scan s = { 0 };
    gpa_t g;

    CHECK(pml4 != NULL);
    CHECK_EQ(out->pml4 % (2 * PAGE), 0);
    for (int i = 0; i < 512; i++)
        CHECK_EQ(pml4[512 + i], 0); /* the user PML4 is empty */
    CHECK_EQ(pml4[256], 0);         /* the kvm_pvm host's slot */
    CHECK(pml4[273] & PTE_P);
    CHECK(pml4[511] & PTE_P);

    for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        CHECK(walk(m, out->pml4, RV_DIRECT_MAP_BASE + probes[i], &g));
        CHECK_EQ(g, probes[i]);
    }
    CHECK(!walk(m, out->pml4, RV_DIRECT_MAP_BASE + mem_end(m), &g));
    CHECK(!walk(m, out->pml4, 0x200000, &g)); /* no identity map */

    /* The kernel window: the image at its p_vaddr, and RAM below 1 GiB. */
    for (int i = 0; i < img->nr_seg; i++) {
        const struct elf_segment *seg = &img->seg[i];

        CHECK(walk(m, out->pml4, seg->vaddr, &g));
        CHECK_EQ(g, seg->paddr);
        CHECK(walk(m, out->pml4, seg->vaddr + seg->memsz - 1, &g));
        CHECK_EQ(g, seg->paddr + seg->memsz - 1);
    }
    CHECK(walk(m, out->pml4, out->entry, &g));
    if (m->region[0].size < BOOT_KERNEL_WINDOW) {
        CHECK(walk(m, out->pml4, RV_KERNEL_BASE + m->region[0].size - 1, &g));
        CHECK(!walk(m, out->pml4, RV_KERNEL_BASE + m->region[0].size, &g));
    }
    CHECK(!walk(m, out->pml4, RV_KERNEL_BASE + BOOT_KERNEL_WINDOW, &g));

    scan(m, out, out->pml4, 3, cfg->host_kind == RV_HOST_PVM, &s);
    CHECK(s.present > 0);
    CHECK_EQ(s.bad_us, 0);
    CHECK_EQ(s.bad_ps, 0);
    CHECK_EQ(s.not_writable, 0);
    CHECK_EQ(s.tables_outside_area, 0);
}

/* GDT and TSS of vCPU (i), decoded the way the CPU reads them. */
static void check_gdt(const struct guest_mem *m, const struct boot_result *out, uint32_t i)
{
    const struct boot_vcpu *v = &out->vcpu[i];
    const uint64_t *gdt = mem_gpa(m, v->gdt - RV_DIRECT_MAP_BASE, 0x48);
    const uint8_t *tss = mem_gpa(m, v->tss - RV_DIRECT_MAP_BASE, 0x68);
    uint64_t base, rsp0;
    uint16_t iomap;

    CHECK(gdt && tss);
    CHECK_EQ(gdt[0], 0);
    CHECK_EQ(gdt[RV_SEL_KCODE / 8], 0x00af9b000000ffffull);
    CHECK_EQ(gdt[RV_SEL_KDATA / 8], 0x00cf93000000ffffull);
    CHECK_EQ(gdt[RV_SEL_UDATA / 8], 0x00cff3000000ffffull);
    CHECK_EQ(gdt[RV_SEL_UCODE / 8], 0x00affb000000ffffull);
    base = ((gdt[8] >> 16) & 0xffffff) | ((gdt[8] >> 56) << 24) | (gdt[9] << 32);
    CHECK_EQ(base, v->tss);
    CHECK_EQ(gdt[8] & 0xffff, 0x67);      /* limit */
    CHECK_EQ((gdt[8] >> 40) & 0xff, 0x89); /* present, available 64-bit TSS */
    memcpy(&rsp0, tss + 4, 8);
    memcpy(&iomap, tss + 102, 2);
    CHECK_EQ(rsp0, v->stack_top);
    CHECK_EQ(iomap, 0x68);
    CHECK_EQ(v->stack_top % 16, 0);
    /* The stack lies in the direct map and in RAM. */
    CHECK(v->stack_top > RV_DIRECT_MAP_BASE);
    CHECK(mem_gpa(m, v->stack_top - RV_DIRECT_MAP_BASE - BOOT_STACK_SIZE,
                  BOOT_STACK_SIZE) != NULL);
}

/* The start-info page and its memory map. */
static void check_start_info(const struct guest_mem *m, const struct elf_image *img,
                             const struct boot_config *cfg, const struct boot_result *out)
{
    const struct rv_start_info *si = mem_gpa(m, out->start_info, sizeof(*si));
    const char *cmd;
    uint64_t total = 0;

    CHECK(si != NULL);
    CHECK_EQ(out->start_info % PAGE, 0);
    CHECK_EQ(si->magic, RV_START_MAGIC);
    CHECK_EQ(si->abi_version, RV_ABI_VERSION);
    CHECK_EQ(si->host_kind, cfg->host_kind);
    CHECK_EQ(si->nr_vcpus, cfg->nr_vcpus);
    CHECK_EQ(si->tsc_khz, cfg->tsc_khz);
    CHECK_EQ(si->realtime_ns, cfg->realtime_ns);
    CHECK_EQ(si->kvmclock_ns, cfg->kvmclock_ns);
    CHECK_EQ(si->direct_map_base, RV_DIRECT_MAP_BASE);
    CHECK_EQ(si->ram_size, m->size);
    CHECK_EQ(si->req_ring_gpa, out->req_ring);
    CHECK_EQ(si->features & cfg->features, cfg->features);
    CHECK(si->features & RV_FEAT_REQ_RING);
    CHECK(si->features & RV_FEAT_MULTICALL);
    CHECK_EQ(!!(si->features & RV_FEAT_GBPAGES), cfg->gbpages);

    CHECK_EQ(si->cmdline_len, strlen(cfg->cmdline));
    cmd = mem_gpa(m, si->cmdline_gpa, si->cmdline_len + 1ull);
    CHECK(cmd != NULL);
    CHECK(memcmp(cmd, cfg->cmdline, si->cmdline_len) == 0);
    CHECK_EQ(cmd[si->cmdline_len], 0);

    CHECK_EQ(si->initrd_size, cfg->initrd_size);
    if (cfg->initrd_size) {
        const uint8_t *rd = mem_gpa(m, si->initrd_gpa, si->initrd_size);

        CHECK(rd != NULL);
        CHECK(memcmp(rd, cfg->initrd, cfg->initrd_size) == 0);
        CHECK_EQ(map_type(si, si->initrd_gpa, si->initrd_size), RV_MEM_INITRD);
    } else {
        CHECK_EQ(si->initrd_gpa, 0);
    }

    for (uint32_t i = 0; i < RV_MAX_VCPUS; i++) {
        const struct rv_vcpu_info *v = &si->vcpu[i];

        if (i >= cfg->nr_vcpus) {
            CHECK(v->pv_page_gpa == 0 && v->stack_top == 0 && v->gdt_gpa == 0);
            continue;
        }
        CHECK_EQ(v->stack_top, out->vcpu[i].stack_top);
        CHECK_EQ(v->gdt_gpa, out->vcpu[i].gdt - RV_DIRECT_MAP_BASE);
        CHECK_EQ(v->tss_gpa, out->vcpu[i].tss - RV_DIRECT_MAP_BASE);
        CHECK_EQ(v->pv_page_gpa, out->vcpu[i].pv_page);
        if (cfg->host_kind == RV_HOST_PVM) {
            CHECK(v->pv_page_gpa != 0);
            CHECK_EQ(v->pv_page_gpa % PAGE, 0);
            CHECK_EQ(map_type(si, v->pv_page_gpa, PAGE), RV_MEM_SHARED);
            for (uint32_t j = 0; j < i; j++)
                CHECK(si->vcpu[j].pv_page_gpa != v->pv_page_gpa);
        } else {
            CHECK_EQ(v->pv_page_gpa, 0);
        }
        CHECK_EQ(map_type(si, v->gdt_gpa, PAGE), RV_MEM_BOOT);
        CHECK_EQ(map_type(si, v->stack_top - RV_DIRECT_MAP_BASE - BOOT_STACK_SIZE,
                          BOOT_STACK_SIZE), RV_MEM_BOOT);
        check_gdt(m, out, i);
        if (unit_failed())
            return;
    }

    /* Sorted, non-overlapping, inside RAM, adding up to all of RAM. */
    CHECK(si->nr_mem >= 2 && si->nr_mem <= RV_MAX_MEM_REGIONS);
    for (uint32_t i = 0; i < si->nr_mem; i++) {
        const struct rv_mem_region *r = &si->mem[i];

        CHECK(r->size > 0);
        CHECK(r->type >= RV_MEM_RAM && r->type <= RV_MEM_SHARED);
        CHECK_EQ(r->_pad, 0);
        CHECK(mem_gpa(m, r->gpa, r->size) != NULL);
        if (i > 0)
            CHECK(r->gpa >= si->mem[i - 1].gpa + si->mem[i - 1].size);
        if (r->type == RV_MEM_RAM) {
            CHECK(!overlaps(r->gpa, r->size, img->lo, img->hi - img->lo));
            CHECK(!overlaps(r->gpa, r->size, out->area_lo, out->area_hi - out->area_lo));
        }
        total += r->size;
    }
    CHECK_EQ(total, m->size);
    CHECK_EQ(map_type(si, 0, PAGE), RV_MEM_RESERVED);
    CHECK_EQ(map_type(si, img->lo, img->hi - img->lo), RV_MEM_KERNEL);
    CHECK_EQ(map_type(si, out->req_ring, sizeof(struct rv_req_ring)), RV_MEM_SHARED);
    CHECK_EQ(map_type(si, out->start_info, PAGE), RV_MEM_BOOT);
    CHECK_EQ(map_type(si, si->cmdline_gpa, si->cmdline_len + 1ull), RV_MEM_BOOT);
    CHECK_EQ(map_type(si, out->pml4, 2 * PAGE), RV_MEM_BOOT);
}

static void check_all(const struct guest_mem *m, const struct elf_image *img,
                      const struct boot_config *cfg, const struct boot_result *out)
{
    CHECK_EQ(out->entry, img->entry);
    CHECK(out->area_lo >= img->hi && out->area_lo < out->area_hi);
    check_tables(m, img, cfg, out);
    if (unit_failed())
        return;
    check_start_info(m, img, cfg, out);
}

static void boot_one(uint32_t host_kind)
{
    struct guest_mem m;
    struct elf_image img = kernel(0x200000, 0x12345);
    struct boot_config cfg = config(host_kind, 2);
    struct boot_result out;
    static uint8_t initrd[100000];
    const char *why = NULL;

    for (size_t i = 0; i < sizeof(initrd); i++)
        initrd[i] = (uint8_t)(i * 7 + 3);
    cfg.initrd = initrd;
    cfg.initrd_size = sizeof(initrd);
    guest_alloc(&m, 64 * MiB);
    /* Junk everywhere, so anything boot_build forgets to zero shows up. */
    memset(m.host, 0xa5, 64 * MiB);
    CHECK_INT(boot_build(&m, &img, &cfg, &out, &why), 0);
    check_all(&m, &img, &cfg, &out);
    guest_free(&m);
}

static void boot_pvm(void)
{
    boot_one(RV_HOST_PVM);
}

static void boot_hwvirt(void)
{
    boot_one(RV_HOST_HWVIRT);
}

static void boot_no_initrd_empty_cmdline(void)
{
    struct guest_mem m;
    struct elf_image img = kernel(0x200000, 0x1000);
    struct boot_config cfg = config(RV_HOST_PVM, 1);
    struct boot_result out;
    const char *why = NULL;

    cfg.cmdline = "";
    guest_alloc(&m, 16 * MiB);
    CHECK_INT(boot_build(&m, &img, &cfg, &out, &why), 0);
    check_all(&m, &img, &cfg, &out);
    guest_free(&m);
}

static void boot_max_vcpus(void)
{
    struct guest_mem m;
    struct elf_image img = kernel(0x200000, 0x1000);
    struct boot_config cfg = config(RV_HOST_PVM, RV_MAX_VCPUS);
    struct boot_result out;
    const char *why = NULL;

    guest_alloc(&m, 64 * MiB);
    CHECK_INT(boot_build(&m, &img, &cfg, &out, &why), 0);
    check_all(&m, &img, &cfg, &out);
    guest_free(&m);
}

/* Big guests on MAP_NORESERVE memory: boot_build touches only the boot area
 * and the tables, so a few MiB become resident. */
static uint8_t *reserve(uint64_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    return p == MAP_FAILED ? NULL : p;
}

static void boot_big(uint64_t size, bool gbpages)
{
    struct guest_mem m = { .memfd = -1 };
    struct elf_image img = kernel(0x1000000, 0x200000);
    struct boot_config cfg = config(RV_HOST_HWVIRT, 4);
    struct boot_result out;
    const char *why = NULL;
    gpa_t g;

    m.host = reserve(size);
    if (!m.host) {
        unit_skip("cannot reserve the guest's address space");
        return;
    }
    mem_layout(&m, size);
    cfg.gbpages = gbpages;
    CHECK_INT(boot_build(&m, &img, &cfg, &out, &why), 0);
    check_all(&m, &img, &cfg, &out);
    if (unit_failed())
        goto out;
    /* The MMIO hole is not in the direct map; RAM above it is, at its GPA. */
    if (m.nr_regions == 2) {
        CHECK(!walk(&m, out.pml4, RV_DIRECT_MAP_BASE + MEM_HOLE_START, &g));
        CHECK(!walk(&m, out.pml4, RV_DIRECT_MAP_BASE + MEM_HOLE_END - 1, &g));
        CHECK(walk(&m, out.pml4, RV_DIRECT_MAP_BASE + MEM_HOLE_END + 0x123456, &g));
        CHECK_EQ(g, MEM_HOLE_END + 0x123456);
        CHECK(walk(&m, out.pml4, RV_DIRECT_MAP_BASE + mem_end(&m) - 1, &g));
        CHECK_EQ(g, mem_end(&m) - 1);
        CHECK(walk(&m, out.pml4, RV_DIRECT_MAP_BASE + MEM_HOLE_START - 1, &g));
        CHECK_EQ(g, MEM_HOLE_START - 1);
    }
    if (gbpages) {
        /* Full 1 GiB slots of RAM are mapped by one PDPTE with PS set. */
        const uint64_t *pml4 = mem_gpa(&m, out.pml4, PAGE);
        const uint64_t *pdpt = mem_gpa(&m, pml4[273] & PTE_ADDR, PAGE);

        CHECK(pdpt[0] & PTE_PS);
        CHECK(pdpt[1] & PTE_PS);
        CHECK_EQ(pdpt[1] & PTE_ADDR, GiB);
    }
out:
    munmap(m.host, size);
}

static void boot_gbpages_2g(void)
{
    boot_big(2 * GiB, true);
}

static void boot_hole_5g(void)
{
    boot_big(5 * GiB, false);
}

static void boot_hole_5g_gbpages(void)
{
    boot_big(5 * GiB, true);
}

/* Expect boot_build to refuse with (err) and a reason. */
static void refuse(uint64_t size, const struct elf_image *img,
                   const struct boot_config *cfg, int err)
{
    struct guest_mem m;
    struct boot_result out;
    const char *why = NULL;

    guest_alloc(&m, size);
    CHECK_INT(boot_build(&m, img, cfg, &out, &why), err);
    CHECK(why != NULL && why[0] != 0);
    guest_free(&m);
}

static void boot_entry_outside(void)
{
    struct elf_image img = kernel(0x200000, 0x1000);
    struct boot_config cfg = config(RV_HOST_PVM, 1);

    img.entry = RV_KERNEL_BASE + 0x201000; /* one past the segment */
    refuse(16 * MiB, &img, &cfg, -ENOEXEC);
    img.entry = RV_KERNEL_BASE + 0x1fffff;
    refuse(16 * MiB, &img, &cfg, -ENOEXEC);
    img.entry = 0x200040; /* the physical address is not the entry */
    refuse(16 * MiB, &img, &cfg, -ENOEXEC);
}

static void boot_entry_identity_only(void)
{
    struct elf_image img = kernel(0x200000, 0x1000);
    struct boot_config cfg = config(RV_HOST_PVM, 1);

    /* Identity-linked segments are accepted, but nothing maps them, so the
     * entry must be in a kernel-window segment. */
    img.seg[0].vaddr = 0x200000;
    img.entry = 0x200040;
    refuse(16 * MiB, &img, &cfg, -ENOEXEC);
}

static void boot_segment_vaddr(void)
{
    struct elf_image img = kernel(0x200000, 0x1000);
    struct boot_config cfg = config(RV_HOST_PVM, 1);

    img.seg[0].vaddr = RV_KERNEL_BASE + 0x300000;
    img.entry = img.seg[0].vaddr;
    refuse(16 * MiB, &img, &cfg, -ENOEXEC);
    img.seg[0].vaddr = RV_DIRECT_MAP_BASE + 0x200000;
    img.entry = img.seg[0].vaddr;
    refuse(16 * MiB, &img, &cfg, -ENOEXEC);
}

static void boot_beyond_window(void)
{
    struct elf_image img = kernel(BOOT_KERNEL_WINDOW, 0x1000);
    struct boot_config cfg = config(RV_HOST_PVM, 1);

    refuse(16 * MiB, &img, &cfg, -ENOEXEC);
    img = kernel(BOOT_KERNEL_WINDOW - 0x1000, 0x2000);
    refuse(16 * MiB, &img, &cfg, -ENOEXEC);
    /* In the window but not in RAM. */
    img = kernel(0x200000, 16 * MiB);
    refuse(16 * MiB, &img, &cfg, -E2BIG);
}

static void boot_cmdline_too_long(void)
{
    static char line[RV_CMDLINE_MAX + 1];
    struct elf_image img = kernel(0x200000, 0x1000);
    struct boot_config cfg = config(RV_HOST_PVM, 1);
    struct guest_mem m;
    struct boot_result out;
    const char *why;

    memset(line, 'x', RV_CMDLINE_MAX);
    cfg.cmdline = line;
    refuse(16 * MiB, &img, &cfg, -EINVAL);
    /* 4095 bytes plus the NUL is the limit, and it fits. */
    line[RV_CMDLINE_MAX - 1] = 0;
    guest_alloc(&m, 16 * MiB);
    CHECK_INT(boot_build(&m, &img, &cfg, &out, &why), 0);
    check_all(&m, &img, &cfg, &out);
    guest_free(&m);
}

static void boot_vcpus_out_of_range(void)
{
    struct elf_image img = kernel(0x200000, 0x1000);
    struct boot_config cfg = config(RV_HOST_PVM, 0);

    refuse(16 * MiB, &img, &cfg, -EINVAL);
    cfg.nr_vcpus = RV_MAX_VCPUS + 1;
    refuse(16 * MiB, &img, &cfg, -EINVAL);
    cfg.nr_vcpus = UINT32_MAX;
    refuse(16 * MiB, &img, &cfg, -EINVAL);
}

static void boot_not_enough_memory(void)
{
    static uint8_t initrd[8 << 20];
    struct elf_image img = kernel(0x200000, 0x100000);
    struct boot_config cfg = config(RV_HOST_PVM, 1);

    cfg.initrd = initrd;
    cfg.initrd_size = sizeof(initrd);
    refuse(8 * MiB, &img, &cfg, -E2BIG);
    /* Kernel filling RAM up to the end leaves no room for the boot area. */
    cfg.initrd_size = 0;
    img = kernel(0x200000, 6 * MiB);
    refuse(8 * MiB, &img, &cfg, -E2BIG);
    /* Many vCPUs: 5-6 pages each do not fit next to a big kernel. */
    img = kernel(0x200000, 5 * MiB);
    cfg.nr_vcpus = RV_MAX_VCPUS;
    refuse(8 * MiB, &img, &cfg, -E2BIG);
}

/* A kernel linked at physical address 0 is accepted by check_image(); the
 * memory map must then still not overlap (page 0 is RESERVED). */
static void boot_kernel_at_page0(void)
{
    struct guest_mem m;
    struct elf_image img = kernel(0, 0x3000);
    struct boot_config cfg = config(RV_HOST_PVM, 1);
    struct boot_result out;
    const struct rv_start_info *si;
    const char *why = NULL;
    int err;

    guest_alloc(&m, 16 * MiB);
    err = boot_build(&m, &img, &cfg, &out, &why);
    if (err) {
        /* Refusing such an image is a fine fix too. */
        CHECK_INT(err, -ENOEXEC);
        goto out;
    }
    si = mem_gpa(&m, out.start_info, sizeof(*si));
    for (uint32_t i = 1; i < si->nr_mem; i++) {
        const struct rv_mem_region *a = &si->mem[i - 1], *b = &si->mem[i];

        if (b->gpa < a->gpa + a->size) {
            unit_known_bug("boot_build accepts a kernel at paddr 0 and then emits "
                           "overlapping memory-map entries: type %u [0x%" PRIx64
                           ", +0x%" PRIx64 ") and type %u [0x%" PRIx64 ", +0x%" PRIx64 ")",
                           a->type, a->gpa, a->size, b->type, b->gpa, b->size);
            break;
        }
    }
out:
    guest_free(&m);
}

void suite_boot(void)
{
    RUN(boot_pvm);
    RUN(boot_hwvirt);
    RUN(boot_no_initrd_empty_cmdline);
    RUN(boot_max_vcpus);
    RUN(boot_gbpages_2g);
    RUN(boot_hole_5g);
    RUN(boot_hole_5g_gbpages);
    RUN(boot_entry_outside);
    RUN(boot_entry_identity_only);
    RUN(boot_segment_vaddr);
    RUN(boot_beyond_window);
    RUN(boot_cmdline_too_long);
    RUN(boot_vcpus_out_of_range);
    RUN(boot_not_enough_memory);
    RUN(boot_kernel_at_page0);
}
