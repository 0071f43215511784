/* SPDX-License-Identifier: MIT */
/*
 * The boot description both entry paths (ringvisor start info, PVH
 * hvm_start_info) are converted into; everything after boot reads only this.
 */
#ifndef RINGOS_BOOT_H
#define RINGOS_BOOT_H

#include "abi/rv_abi.h"
#include "types.h"

enum boot_vmm { BOOT_VMM_RINGVISOR = 1, BOOT_VMM_PVH = 2 };
enum boot_host { HOST_PVM = 1, HOST_KVM = 2, HOST_TCG = 3 };

struct boot_mem {
    uint64_t base;
    uint64_t size;
    uint32_t type; /* RV_MEM_* */
};

struct bootinfo {
    enum boot_vmm vmm;
    enum boot_host host;
    uint64_t features; /* RV_FEAT_*; synthesised from CPUID under PVH */
    uint32_t nr_cpus;
    uint64_t tsc_khz;     /* 0 = unknown, time.c finds it */
    uint64_t realtime_ns; /* ringvisor: wall clock at kvmclock_ns */
    uint64_t kvmclock_ns;
    uint64_t req_ring_gpa;
    uint64_t pv_page_gpa; /* boot vCPU, 0 unless HOST_PVM */
    uint64_t pv_pages[RV_MAX_VCPUS]; /* every vCPU's (ringvisor), registered by boot.S */
    uint64_t ram_size; /* bytes of RAM */
    uint64_t ram_top;  /* end of the highest memory-map region (RAM may have holes) */
    uint64_t initrd_gpa; /* 0 if none; checked to lie below ram_top */
    uint64_t initrd_size;
    uint64_t con_in_gpa; /* struct rv_in_ring, 0 without RV_FEAT_CON_IN */
    uint32_t con_in_vector;
    uint32_t con_flags; /* RV_CON_* */
    uint32_t nr_mem;
    struct boot_mem mem[RV_MAX_MEM_REGIONS];
    uint32_t shutdown_vector; /* the host's shutdown request MSI, 0 if none */
    bool devs_listed;  /* the VMM lists every device: no PCI probing */
    uint32_t nr_devs;
    struct rv_dev devs[RV_DEV_MAX]; /* copied and checked from start info */
    char cmdline[RV_CMDLINE_MAX];
};

extern struct bootinfo boot;

/* Linker-script symbols bounding the loaded image. */
extern char _kernel_start[], _kernel_end[];

const char *boot_host_name(void);
const char *boot_vmm_name(void);

/* Entered from boot.S with the relevant GPA; both end in kernel_main(). */
void rv_main(uint64_t start_info_gpa);
void pvh_main(uint32_t hvm_start_info_pa);
__noreturn void kernel_main(void);

#endif
