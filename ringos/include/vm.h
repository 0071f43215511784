/* SPDX-License-Identifier: MIT */
/*
 * User address spaces.  Each has a kernel root (8 KiB aligned) and a user
 * root (the next page, the kvm_pvm pairing): their lower halves share the
 * same PDPTs, the kernel root's upper half is the boot kernel's.
 */
#ifndef RINGOS_VM_H
#define RINGOS_VM_H

#include "types.h"

#define VM_R 1u
#define VM_W 2u
#define VM_X 4u
#define VM_SHARED 8u /* MAP_SHARED: populated at mmap, fork shares it writable */

/* Fixed user layout (see README "Address space"). */
#define USER_STUB_VA 0x00007ffffffff000ull /* sysret stub page, R+X, every process */
#define USER_STACK_TOP 0x00007ffffff00000ull
#define USER_STACK_SIZE (8ull << 20)
#define USER_MMAP_TOP 0x00007f0000000000ull

struct vma {
    uint64_t start, end;
    uint32_t prot; /* VM_* */
    struct vma *next; /* sorted by start */
};

/* Pages of a range held for a device to write into (vm_pin_write). */
struct vm_pin {
    uint64_t start, end; /* page aligned */
    struct vm_pin *next;
};

struct mm {
    uint64_t *root;  /* kernel PML4 (direct map); root + 512 is the user PML4 */
    uint64_t cr3;    /* physical address of the kernel PML4 */
    struct vma *vmas;
    uint64_t brk_start, brk;
    int refs;
    struct vm_pin *pins; /* ranges a device may be writing into right now */
};

void vm_init(void);
struct mm *vm_create(void);
void vm_put(struct mm *mm);
/* A private copy of (mm) (fork): pages are shared copy-on-write, except
 * those of VM_SHARED mappings, which stay shared, and the pages holding the
 * user stack pointer (sp) and thread pointer (tls), which are copied now. */
struct mm *vm_clone(struct mm *mm, uint64_t sp, uint64_t tls);
/* Load (mm)'s kernel root into CR3 (a trap on kvm_pvm: also flushes the TLB). */
void vm_activate(struct mm *mm);
/* Load the boot kernel root (no user half): idle CPUs and exiting threads. */
void vm_activate_kernel(void);
/*
 * After a mapping of (mm) shrank or lost permissions (munmap, mprotect,
 * copy-on-write protection): flush this CPU's TLB if it runs (mm), and IPI
 * every other CPU running (mm), waiting until each has flushed (a CR3
 * reload).  Call with the kernel lock held, after the PTE changes; pages the
 * old PTEs pointed at may be reused only after it returns.
 */
void vm_tlb_shootdown(struct mm *mm);

/* Add a mapping of [start, start+len) (page aligned), replacing what was there. */
int vm_map(struct mm *mm, uint64_t start, uint64_t len, uint32_t prot);
int vm_unmap(struct mm *mm, uint64_t start, uint64_t len);
int vm_protect(struct mm *mm, uint64_t start, uint64_t len, uint32_t prot);
/* Highest free range of (len) bytes below USER_MMAP_TOP; 0 if none. */
uint64_t vm_find_free(struct mm *mm, uint64_t len);
/* Allocate every page of [start, start+len) now. */
int vm_populate(struct mm *mm, uint64_t start, uint64_t len);
/* Copy (src, len) to (va) in (mm), which need not be the current one. */
int vm_write(struct mm *mm, uint64_t va, const void *src, uint64_t len);
/*
 * Hold the pages of [va, va + len) of (mm) for a device to write into (a
 * read straight into user memory): each is made present, private and
 * writable first, as a write fault would (demand-zero, copy-on-write), then
 * gets a reference, and (pin) records the range until vm_unpin().  While
 * held, munmap by another thread only orphans a page (the device's data
 * goes nowhere visible), and fork and mprotect never make one copy-on-write
 * (the device would write into a page a later fault abandons).  The
 * direct-map address of the i-th page from ALIGN_DOWN(va) goes in pages[i].
 * Returns how many bytes from (va) are held: less than (len) where a page
 * cannot be written (not mapped, read-only, no memory), 0 if the first
 * cannot; then nothing is held and vm_unpin() need not be called.
 */
uint64_t vm_pin_write(struct mm *mm, uint64_t va, uint64_t len, void **pages, struct vm_pin *pin);
/* Drop what vm_pin_write() took (pages as it filled them). */
void vm_unpin(struct mm *mm, void **pages, struct vm_pin *pin);
/* Resolve a fault at (addr) (write access if (write)); 0 if fixed. */
int vm_fault(struct mm *mm, uint64_t addr, bool write, bool exec);
struct vma *vm_find(struct mm *mm, uint64_t addr);

#endif
