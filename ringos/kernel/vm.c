// SPDX-License-Identifier: MIT
/*
 * User address spaces: VMAs, 4-level page tables shared by the kernel and
 * user roots, demand-zero faults, copy-on-write after fork, and the sysret
 * stub page every process maps.
 */
#include "boot.h"
#include "errno.h"
#include "lib.h"
#include "mm.h"
#include "printk.h"
#include "uaccess.h"
#include "vm.h"
#include "x86.h"

#define PTE_P 0x1ull
#define PTE_W 0x2ull
#define PTE_U 0x4ull
#define PTE_PS 0x80ull
#define PTE_SHARED 0x200ull /* software: page not owned by this mm (stub) */
#define PTE_COW 0x400ull    /* software: private page shared read-only since a fork */
#define PTE_SHM 0x800ull    /* software: page of a VM_SHARED mapping, shared writable */
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

static uint64_t *kernel_root; /* boot PML4: its upper half is every process's */
static uint64_t stub_pa;

/*
 * Stub the user-return path sysrets into when RCX and R11 must survive:
 * the kernel stored RCX, R11, RIP at RSP; "ret $128" also skips the red zone.
 */
static const uint8_t stub_code[] = {
    0x59,             /* pop %rcx */
    0x41, 0x5b,       /* pop %r11 */
    0xc2, 0x80, 0x00, /* ret $128 */
};

void vm_init(void)
{
    kernel_root = phys_to_virt(read_cr3() & PTE_ADDR);
    uint8_t *stub = mm_alloc_pages(1);
    if (!stub)
        panic("vm: no memory for the stub page");
    memset(stub, 0xcc, PAGE_SIZE);
    memcpy(stub, stub_code, sizeof(stub_code));
    stub_pa = virt_to_phys(stub);
}

static void *vm_zalloc_page(void)
{
    void *p = mm_alloc_pages(1);

    if (p)
        memset(p, 0, PAGE_SIZE);
    return p;
}

/* PTE flags for (prot): every level carries U=1 (kvm_pvm needs it). */
static uint64_t vm_pte_flags(uint32_t prot)
{
    uint64_t f = PTE_P | PTE_U;

    if (prot & VM_W)
        f |= PTE_W;
    if (!(prot & VM_X))
        f |= PTE_NX;
    return f;
}

/* The leaf PTE for (va), creating tables if (create). */
static uint64_t *vm_walk(struct mm *mm, uint64_t va, bool create)
{
    uint64_t *t = mm->root;
    unsigned shifts[3] = { 39, 30, 21 };

    for (int l = 0; l < 3; l++) {
        unsigned i = (va >> shifts[l]) & 511;
        if (!(t[i] & PTE_P)) {
            if (!create)
                return NULL;
            uint64_t *n = vm_zalloc_page();
            if (!n)
                return NULL;
            t[i] = virt_to_phys(n) | PTE_P | PTE_W | PTE_U;
            if (l == 0)
                mm->root[512 + i] = t[i]; /* mirror in the user root */
        }
        t = phys_to_virt(t[i] & PTE_ADDR);
    }
    return &t[(va >> 12) & 511];
}

struct mm *vm_create(void)
{
    struct mm *mm = kzalloc(sizeof(*mm));
    if (!mm)
        return NULL;
    /* Three pages always contain an 8 KiB-aligned pair; give the third back. */
    uint8_t *p = mm_alloc_pages(3);
    if (!p) {
        kfree(mm);
        return NULL;
    }
    uint8_t *pair = (uint8_t *)ALIGN_UP((uint64_t)p, 2 * PAGE_SIZE);
    mm_free_pages(pair == p ? p + 2 * PAGE_SIZE : p, 1);
    mm->root = (uint64_t *)pair;
    memset(mm->root, 0, 2 * PAGE_SIZE);
    memcpy(mm->root + 256, kernel_root + 256, 256 * sizeof(uint64_t));
    mm->cr3 = virt_to_phys(mm->root);
    mm->refs = 1;
    uint64_t *pte = vm_walk(mm, USER_STUB_VA, true);
    if (!pte) {
        vm_put(mm);
        return NULL;
    }
    *pte = stub_pa | PTE_P | PTE_U | PTE_SHARED;
    return mm;
}

static void vm_free_tables(uint64_t *t, int level)
{
    for (unsigned i = 0; i < 512; i++) {
        if (!(t[i] & PTE_P))
            continue;
        void *next = phys_to_virt(t[i] & PTE_ADDR);
        if (level < 3)
            vm_free_tables(next, level + 1);
        else if (!(t[i] & PTE_SHARED))
            mm_page_put(next);
    }
    mm_free_pages(t, 1);
}

void vm_put(struct mm *mm)
{
    if (!mm || --mm->refs > 0)
        return;
    for (unsigned i = 0; i < 256; i++)
        if (mm->root[i] & PTE_P)
            vm_free_tables(phys_to_virt(mm->root[i] & PTE_ADDR), 1);
    mm_free_pages(mm->root, 2);
    for (struct vma *v = mm->vmas, *n; v; v = n) {
        n = v->next;
        kfree(v);
    }
    kfree(mm);
}

void vm_activate(struct mm *mm)
{
    __asm__ volatile("mov %0, %%cr3" ::"r"(mm->cr3) : "memory");
}

struct vma *vm_find(struct mm *mm, uint64_t addr)
{
    for (struct vma *v = mm->vmas; v; v = v->next)
        if (addr >= v->start && addr < v->end)
            return v;
    return NULL;
}

/*
 * Drop the pages of [start, end) and flush every CPU running (mm).  A page is
 * freed only after the flush: until then another CPU could still write
 * through a stale TLB entry into a page already handed out again.  In
 * between the PTE keeps its address with P clear (no other PTE is non-zero
 * without P), and the kernel lock keeps faults on the range waiting.
 */
static void vm_zap(struct mm *mm, uint64_t start, uint64_t end)
{
    bool any = false;

    for (uint64_t va = start; va < end; va += PAGE_SIZE) {
        uint64_t *pte = vm_walk(mm, va, false);
        if (pte && (*pte & PTE_P)) {
            *pte &= ~PTE_P;
            any = true;
        }
    }
    vm_tlb_shootdown(mm); /* one CR3 reload per CPU flushes the whole range */
    for (uint64_t va = start; any && va < end; va += PAGE_SIZE) {
        uint64_t *pte = vm_walk(mm, va, false);
        if (pte && *pte) {
            if (!(*pte & PTE_SHARED))
                mm_page_put(phys_to_virt(*pte & PTE_ADDR));
            *pte = 0;
        }
    }
}

/* Split VMAs so that none straddles (addr). */
static int vm_split(struct mm *mm, uint64_t addr)
{
    struct vma *v = vm_find(mm, addr);

    if (!v || v->start == addr)
        return 0;
    struct vma *n = kmalloc(sizeof(*n));
    if (!n)
        return -ENOMEM;
    *n = *v;
    n->start = addr;
    v->end = addr;
    v->next = n;
    return 0;
}

int vm_unmap(struct mm *mm, uint64_t start, uint64_t len)
{
    uint64_t end = start + ALIGN_UP(len, PAGE_SIZE);

    if (vm_split(mm, start) || vm_split(mm, end))
        return -ENOMEM;
    for (struct vma **pp = &mm->vmas; *pp;) {
        struct vma *v = *pp;
        if (v->start >= start && v->end <= end) {
            *pp = v->next;
            kfree(v);
        } else {
            pp = &v->next;
        }
    }
    vm_zap(mm, start, end);
    return 0;
}

int vm_map(struct mm *mm, uint64_t start, uint64_t len, uint32_t prot)
{
    len = ALIGN_UP(len, PAGE_SIZE);
    if (!uaccess_range_ok(start, len) || (start & (PAGE_SIZE - 1)) || !len)
        return -EINVAL;
    int err = vm_unmap(mm, start, len);
    if (err)
        return err;
    struct vma *n = kmalloc(sizeof(*n));
    if (!n)
        return -ENOMEM;
    n->start = start;
    n->end = start + len;
    n->prot = prot;
    struct vma **pp = &mm->vmas;
    while (*pp && (*pp)->start < start)
        pp = &(*pp)->next;
    n->next = *pp;
    *pp = n;
    return 0;
}

/* Is (va) in a range a device may be writing into (vm_pin_write)? */
static bool vm_pinned(const struct vm_pin *pins, uint64_t va)
{
    for (const struct vm_pin *p = pins; p; p = p->next)
        if (va >= p->start && va < p->end)
            return true;
    return false;
}

int vm_protect(struct mm *mm, uint64_t start, uint64_t len, uint32_t prot)
{
    uint64_t end = start + ALIGN_UP(len, PAGE_SIZE);

    if (vm_split(mm, start) || vm_split(mm, end))
        return -ENOMEM;
    for (uint64_t a = start; a < end; a += PAGE_SIZE)
        if (!vm_find(mm, a))
            return -ENOMEM;
    for (struct vma *v = mm->vmas; v; v = v->next)
        if (v->start >= start && v->end <= end)
            v->prot = prot | (v->prot & VM_SHARED);
    for (uint64_t va = start; va < end; va += PAGE_SIZE) {
        uint64_t *pte = vm_walk(mm, va, false);
        if (!pte || !(*pte & PTE_P))
            continue;
        /* A private page a fork shared stays read-only: the first write copies.
         * A pinned page's extra reference is the device's, not a sharer's. */
        uint64_t f = vm_pte_flags(prot), old = *pte;
        if ((f & PTE_W) && !(old & PTE_SHM) &&
            ((old & PTE_COW) ||
             (mm_page_refs(phys_to_virt(old & PTE_ADDR)) > 1 && !vm_pinned(mm->pins, va))))
            f = (f & ~PTE_W) | PTE_COW;
        *pte = (old & (PTE_ADDR | PTE_COW | PTE_SHM)) | f;
    }
    vm_tlb_shootdown(mm);
    return 0;
}

uint64_t vm_find_free(struct mm *mm, uint64_t len)
{
    uint64_t top = USER_MMAP_TOP;

    len = ALIGN_UP(len, PAGE_SIZE);
    /* Walk down from the top: VMAs are sorted ascending, so look for the
     * highest gap; simple quadratic scan, address spaces are small. */
    for (;;) {
        if (top < len + USER_BASE)
            return 0;
        uint64_t cand = top - len;
        struct vma *clash = NULL;
        for (struct vma *v = mm->vmas; v; v = v->next)
            if (v->start < cand + len && v->end > cand)
                clash = v;
        if (!clash)
            return cand;
        top = clash->start;
    }
}

/* Map a fresh zero page at (va) for (v). */
static int vm_fill(struct mm *mm, struct vma *v, uint64_t va)
{
    uint64_t *pte = vm_walk(mm, va, true);

    if (!pte)
        return -ENOMEM;
    if (*pte & PTE_P)
        return 0;
    void *pg = vm_zalloc_page();
    if (!pg)
        return -ENOMEM;
    *pte = virt_to_phys(pg) | vm_pte_flags(v->prot) | (v->prot & VM_SHARED ? PTE_SHM : 0);
    return 0;
}

/*
 * Give (v)'s page behind copy-on-write (pte) a private writable copy; returns
 * 1 if it copied.  The last sharer keeps the page itself.  No flush here: the
 * stale read-only entry is the one that faulted, and a fault drops it.
 */
static int vm_cow_break(struct vma *v, uint64_t *pte)
{
    void *old = phys_to_virt(*pte & PTE_ADDR);
    uint64_t flags = vm_pte_flags(v->prot);

    if (mm_page_refs(old) == 1) {
        *pte = (*pte & PTE_ADDR) | flags;
        return 0;
    }
    void *pg = mm_alloc_pages(1);
    if (!pg)
        return -ENOMEM;
    memcpy(pg, old, PAGE_SIZE);
    *pte = virt_to_phys(pg) | flags;
    mm_page_put(old);
    return 1;
}

int vm_populate(struct mm *mm, uint64_t start, uint64_t len)
{
    for (uint64_t va = ALIGN_DOWN(start, PAGE_SIZE); va < start + len; va += PAGE_SIZE) {
        struct vma *v = vm_find(mm, va);
        if (!v)
            return -EFAULT;
        int err = vm_fill(mm, v, va);
        if (err)
            return err;
    }
    return 0;
}

int vm_write(struct mm *mm, uint64_t va, const void *src, uint64_t len)
{
    const uint8_t *s = src;

    while (len) {
        uint64_t page = ALIGN_DOWN(va, PAGE_SIZE), off = va - page;
        uint64_t n = MIN(len, PAGE_SIZE - off);
        struct vma *v = vm_find(mm, page);
        if (!v || vm_fill(mm, v, page))
            return -EFAULT;
        /* Through the direct map, which ignores PTE_W: copy a shared page first. */
        uint64_t *pte = vm_walk(mm, page, false);
        if (!(*pte & PTE_SHM) && mm_page_refs(phys_to_virt(*pte & PTE_ADDR)) > 1 &&
            vm_cow_break(v, pte) < 0)
            return -ENOMEM;
        memcpy((uint8_t *)phys_to_virt(*pte & PTE_ADDR) + off, s, n);
        s += n;
        va += n;
        len -= n;
    }
    return 0;
}

/*
 * A write fault on the copy-on-write page (pte) at (addr): break it, and the
 * other copy-on-write pages of (v) in its aligned VM_COW_AROUND block, which
 * are likely written next (memset, a growing heap).  One fault costs as much
 * as 30-50 page copies on kvm_pvm.  The block lies inside one page table.
 */
#define VM_COW_AROUND 16

static int vm_cow_around(struct mm *mm, struct vma *v, uint64_t *pte, uint64_t addr)
{
    int r = vm_cow_break(v, pte);
    bool copied = r > 0;
    uint64_t first = ALIGN_DOWN(addr, VM_COW_AROUND * PAGE_SIZE);
    uint64_t *t = pte - ((addr - first) >> 12);

    for (unsigned i = 0; r >= 0 && i < VM_COW_AROUND; i++) {
        uint64_t va = first + i * PAGE_SIZE;
        if (va < v->start || va >= v->end || !(t[i] & PTE_COW))
            continue;
        int c = vm_cow_break(v, &t[i]);
        if (c < 0)
            break; /* out of memory: the rest fault one by one */
        copied |= c > 0;
    }
    /* Other threads' CPUs may still read the old pages, which another
     * sharer may free: their read-only entries must go too. */
    if (copied && mm->refs > 1)
        vm_tlb_shootdown(mm);
    return r < 0 ? r : 0;
}

int vm_fault(struct mm *mm, uint64_t addr, bool write, bool exec)
{
    struct vma *v = vm_find(mm, addr);

    if (!v || (write && !(v->prot & VM_W)) || (exec && !(v->prot & VM_X)) ||
        !(v->prot & (VM_R | VM_W | VM_X)))
        return -EFAULT;
    uint64_t *pte = vm_walk(mm, ALIGN_DOWN(addr, PAGE_SIZE), false);
    if (pte && (*pte & PTE_P)) {
        if (write && (*pte & PTE_COW))
            return vm_cow_around(mm, v, pte, addr);
        /* Present and allowed: a stale TLB entry from before a change. */
        invlpg(addr);
        return 0;
    }
    return vm_fill(mm, v, ALIGN_DOWN(addr, PAGE_SIZE));
}

uint64_t vm_pin_write(struct mm *mm, uint64_t va, uint64_t len, void **pages, struct vm_pin *pin)
{
    uint64_t start = ALIGN_DOWN(va, PAGE_SIZE), end = start;
    unsigned n = 0;
    bool stale = false;

    if (!len || !uaccess_range_ok(va, len))
        return 0;
    while (end < va + len) {
        uint64_t *pte = vm_walk(mm, end, false);
        if (!pte || (*pte & (PTE_P | PTE_W)) != (PTE_P | PTE_W)) {
            /* What a user write would do: fill, or break copy-on-write. */
            stale |= pte && (*pte & PTE_P);
            if (vm_fault(mm, end, true, false))
                break;
            pte = vm_walk(mm, end, false);
            if (!pte || (*pte & (PTE_P | PTE_W)) != (PTE_P | PTE_W))
                break;
        }
        void *pg = phys_to_virt(*pte & PTE_ADDR);
        if (!mm_page_get(pg))
            break; /* the count is saturated: the caller copies the rest */
        pages[n++] = pg;
        end += PAGE_SIZE;
    }
    /* A copy-on-write break moved a present PTE to a new page.  A fault the
     * CPU takes drops the entry it faulted on; this one was not taken, so
     * the old read-only mapping may live on in a TLB (and in kvm_pvm's
     * shadow tables, until the next flush): the program would read the old
     * page, not the one the device fills. */
    if (stale)
        vm_tlb_shootdown(mm);
    if (!n)
        return 0;
    *pin = (struct vm_pin){ .start = start, .end = end, .next = mm->pins };
    mm->pins = pin;
    return MIN(len, end - va);
}

void vm_unpin(struct mm *mm, void **pages, struct vm_pin *pin)
{
    for (struct vm_pin **pp = &mm->pins; *pp; pp = &(*pp)->next) {
        if (*pp == pin) {
            *pp = pin->next;
            break;
        }
    }
    for (uint64_t i = 0; i < (pin->end - pin->start) / PAGE_SIZE; i++)
        mm_page_put(pages[i]);
}

/*
 * Fork policy, from measurements on kvm_pvm (README, Memory): a write fault
 * costs 35-60 us, a page copy about 1 us, and every parent PTE fork edits
 * makes the host re-shadow the parent's pages on their next touch.  So a
 * page table with few writable pages is copied outright (the parent's table
 * is left alone), and pages the two sides write right after fork, the stack
 * top and the thread's TLS block, are always copied.
 */
#define VM_FORK_COPY_MAX 64 /* writable pages in one page table */

struct vm_fork {
    struct mm *dst;
    const struct vm_pin *pins; /* the parent's: those pages are copied, never shared */
    uint64_t hot[3];  /* page addresses copied whatever the policy */
    bool wprotected; /* a parent PTE lost PTE_W: the parent's TLB needs a flush */
};

static bool vm_fork_hot(const struct vm_fork *f, uint64_t va)
{
    for (unsigned i = 0; i < ARRAY_SIZE(f->hot); i++)
        if (f->hot[i] == va)
            return true;
    return false;
}

/* Give (f)'s child a private copy of (pg) with the parent's PTE flags (flags). */
static int vm_fork_copy(uint64_t *pte, const void *pg, uint64_t flags)
{
    void *copy = mm_alloc_pages(1);

    if (!copy)
        return -ENOMEM;
    memcpy(copy, pg, PAGE_SIZE);
    *pte = virt_to_phys(copy) | flags;
    return 0;
}

/*
 * The leaf table (t) mapping from (va_base): copy or share each page with
 * the child.  Shared pages of VM_SHARED mappings stay writable in both;
 * shared private pages become read-only and PTE_COW in both when writable
 * (read-only ones need no mark: vm_protect checks the count).
 */
static int vm_fork_table(struct vm_fork *f, uint64_t *t, uint64_t va_base)
{
    unsigned writable = 0;

    for (unsigned i = 0; i < 512; i++)
        if ((t[i] & (PTE_P | PTE_W)) == (PTE_P | PTE_W) && !(t[i] & PTE_SHM))
            writable++;
    bool copy_all = writable <= VM_FORK_COPY_MAX;
    for (unsigned i = 0; i < 512; i++) {
        if (!(t[i] & PTE_P) || (t[i] & PTE_SHARED))
            continue; /* the stub is already mapped by vm_create */
        uint64_t va = va_base + ((uint64_t)i << 12);
        uint64_t *pte = vm_walk(f->dst, va, true);
        if (!pte)
            return -ENOMEM;
        void *pg = phys_to_virt(t[i] & PTE_ADDR);
        bool priv_w = (t[i] & PTE_W) && !(t[i] & PTE_SHM);
        /* A pinned page is the parent's alone: the device writes into it
         * after fork, and the parent's first write would abandon it. */
        bool copy = copy_all || vm_fork_hot(f, va) || vm_pinned(f->pins, va);
        if (!(priv_w && copy) && mm_page_get(pg)) {
            if (priv_w) {
                t[i] = (t[i] & ~PTE_W) | PTE_COW;
                f->wprotected = true;
            }
            *pte = t[i];
            continue;
        }
        /* Copied by policy, or the page's count is saturated. */
        int err = vm_fork_copy(pte, pg, t[i] & ~PTE_ADDR);
        if (err)
            return err;
    }
    return 0;
}

static int vm_fork_tables(struct vm_fork *f, uint64_t *t, int level, uint64_t va_base)
{
    static const unsigned shift[3] = { 39, 30, 21 };

    for (unsigned i = 0; i < (level == 0 ? 256u : 512u); i++) {
        if (!(t[i] & PTE_P))
            continue;
        uint64_t va = va_base + ((uint64_t)i << shift[level]);
        uint64_t *next = phys_to_virt(t[i] & PTE_ADDR);
        int err = level < 2 ? vm_fork_tables(f, next, level + 1, va) : vm_fork_table(f, next, va);
        if (err)
            return err;
    }
    return 0;
}

struct mm *vm_clone(struct mm *src, uint64_t sp, uint64_t tls)
{
    struct mm *mm = vm_create();

    if (!mm)
        return NULL;
    struct vma **tail = &mm->vmas;
    for (struct vma *v = src->vmas; v; v = v->next) {
        struct vma *n = kmalloc(sizeof(*n));
        if (!n)
            goto err;
        *n = *v;
        n->next = NULL;
        *tail = n;
        tail = &n->next;
    }
    mm->brk_start = src->brk_start;
    mm->brk = src->brk;
    struct vm_fork f = {
        .dst = mm,
        .pins = src->pins,
        .hot = { ALIGN_DOWN(sp, PAGE_SIZE), ALIGN_DOWN(sp - 512, PAGE_SIZE), ALIGN_DOWN(tls, PAGE_SIZE) },
    };
    int err = vm_fork_tables(&f, src->root, 0, 0);
    /* (src)'s writable TLB entries for what is now copy-on-write must go,
     * failed or not: one CR3 reload per CPU after the whole walk. */
    if (f.wprotected)
        vm_tlb_shootdown(src);
    if (err)
        goto err;
    return mm;
err:
    vm_put(mm);
    return NULL;
}
