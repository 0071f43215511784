/* SPDX-License-Identifier: MIT */
/*
 * The ringvisor boot protocol, host side: places the boot area after the
 * kernel image and builds the page tables, per-vCPU GDT/TSS/stack/PV page,
 * the request ring and the start-info page (abi/rv_abi.h) in guest RAM.
 * Pure memory work: no KVM calls, so host-only tests can drive it.
 */
#ifndef VMM_X86_BOOT_H
#define VMM_X86_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "abi/rv_abi.h"
#include "vmm/core/loader.h"
#include "vmm/core/mem.h"

#define BOOT_STACK_SIZE (16u << 10)
#define BOOT_KERNEL_WINDOW (1ull << 30) /* RV_KERNEL_BASE maps GPA [0, 1 GiB) */

struct boot_config {
    uint32_t host_kind;  /* RV_HOST_* */
    uint32_t nr_vcpus;   /* 1..RV_MAX_VCPUS */
    bool gbpages;        /* may use 1 GiB pages for the direct map */
    uint64_t features;   /* RV_FEAT_* the VM offers (GBPAGES added here) */
    uint64_t tsc_khz;
    uint64_t realtime_ns;
    uint64_t kvmclock_ns;
    const char *cmdline; /* NUL-terminated, < RV_CMDLINE_MAX bytes */
    const uint8_t *initrd;
    uint64_t initrd_size;
    bool con_in;         /* provide the console input ring */
    uint32_t con_in_vector;
    uint32_t con_flags;  /* RV_CON_* */
    uint32_t shutdown_vector;  /* 0: no graceful shutdown requests */
    const struct rv_dev *devs; /* the device list for start info */
    uint32_t nr_devs;          /* <= RV_DEV_MAX */
};

struct boot_vcpu {
    gpa_t pv_page;      /* 0 unless RV_HOST_PVM */
    uint64_t stack_top; /* kernel virtual address */
    uint64_t gdt;       /* kernel virtual addresses */
    uint64_t tss;
};

struct boot_result {
    uint64_t entry;     /* kernel virtual address */
    gpa_t pml4;         /* CR3 */
    gpa_t start_info;
    gpa_t req_ring;
    gpa_t con_in;       /* 0 unless cfg->con_in */
    gpa_t area_lo, area_hi; /* the boot area: [area_lo, area_hi) */
    struct boot_vcpu vcpu[RV_MAX_VCPUS];
};

/*
 * Check that (img) follows the protocol (segments at RV_KERNEL_BASE + paddr,
 * or identity-linked; all inside the kernel window and RAM; entry inside a
 * kernel-window segment), then build everything in (mem) and fill (out).
 * The image itself must already be loaded (elf_load).  Returns 0, or -E2BIG /
 * -ENOEXEC / -EINVAL with (*why) set to a constant reason.
 */
int boot_build(const struct guest_mem *mem, const struct elf_image *img,
               const struct boot_config *cfg, struct boot_result *out,
               const char **why) __attribute__((warn_unused_result));

/* The direct-map kernel virtual address of (gpa). */
static inline uint64_t boot_gva(gpa_t gpa)
{
    return RV_DIRECT_MAP_BASE + gpa;
}

#endif
