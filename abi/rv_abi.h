/* SPDX-License-Identifier: MIT */
/*
 * The ringvisor <-> ringos contract, version 1: boot protocol (entry state and
 * start-info page) and the synchronous hypercall interface.  Shared verbatim
 * by host and guest: C11 and <stdint.h> only, fixed-width fields, explicit
 * padding, new fields appended at the end and never reordered.
 */
#ifndef RV_ABI_H
#define RV_ABI_H

#include <stdint.h>

#define RV_ABI_VERSION 1u
#define RV_START_MAGIC 0x49535652u /* "RVSI" little-endian */

/* ---- Host kinds (rv_start_info.host_kind) ------------------------------ */
#define RV_HOST_PVM 1u    /* kvm_pvm: kernel runs at CPL3, PV page registered */
#define RV_HOST_HWVIRT 2u /* VT-x/AMD-V: ordinary 64-bit ring 0 */

/* ---- Feature bits (rv_start_info.features) ----------------------------- */
#define RV_FEAT_REQ_RING (1ull << 0)     /* async request ring + kick port */
#define RV_FEAT_KVMCLOCK (1ull << 1)     /* MSR_KVM_SYSTEM_TIME_NEW works */
#define RV_FEAT_LAPIC (1ull << 2)        /* in-kernel local APIC (x2APIC) */
#define RV_FEAT_TSC_DEADLINE (1ull << 3) /* LAPIC TSC-deadline timer mode */
#define RV_FEAT_MULTICALL (1ull << 4)    /* RV_HC_MULTICALL */
#define RV_FEAT_GBPAGES (1ull << 5)      /* the direct map uses 1 GiB pages */
#define RV_FEAT_CON_IN (1ull << 6)       /* console input ring + MSI (con_in_*) */
#define RV_FEAT_DEVICES (1ull << 7)      /* virtio-pci device list (dev_gpa) */
#define RV_FEAT_SHUTDOWN (1ull << 8)     /* graceful shutdown requests (shutdown_vector) */
#define RV_FEAT_SCHED (1ull << 9)        /* the host schedules vCPUs: tell it about
                                          * idle halts through RV_PORT_SCHED */

/* ---- Guest virtual layout ---------------------------------------------- */
/*
 * All guest RAM is mapped at RV_DIRECT_MAP_BASE + gpa (PML4 slot 273, the
 * Linux direct-map address; slot 256 belongs to the kvm_pvm host).  The
 * kernel image is also mapped at its ELF p_vaddr, which must lie in the top
 * 2 GiB (RV_KERNEL_BASE + gpa), so that -mcmodel=kernel code works.
 */
#define RV_DIRECT_MAP_BASE 0xffff888000000000ull
#define RV_KERNEL_BASE 0xffffffff80000000ull

/* ---- kvm_pvm ----------------------------------------------------------- */
#define RV_PVM_MSR_PVPAGE 0x4b564d10u /* guest writes PV page GPA | flags */
#define RV_PVM_MSR_SIG 0x4b564d11u    /* reads 0x4d5650 ("PVM") */
#define RV_PVM_MSR_TSC_KHZ 0x4b564d13u
#define RV_PVM_SIGNATURE 0x4d5650u
/* CR3 flip, direct syscall, CR2 cell, kernel-side delivery of user events. */
#define RV_PVM_FLAGS 0x3full
/* PV page bytes (see shared PVM notes): */
#define RV_PVM_PV_VIF 0     /* u8: virtual interrupt flag */
#define RV_PVM_PV_PENDING 1 /* u8: host held an interrupt back */
#define RV_PVM_PV_CR2 8     /* u64: CR2 of the #PF being delivered */

/* Selectors the host GDT provides, and the ones sysretq produces on PVM. */
#define RV_SEL_KCODE 0x10u
#define RV_SEL_KDATA 0x18u
#define RV_SEL_UDATA 0x2bu
#define RV_SEL_UCODE 0x33u
#define RV_SEL_TSS 0x40u

/*
 * ---- Entry state (every vCPU, every host kind) --------------------------
 * 64-bit mode, paging on, CR0 = PG|AM|WP|NE|ET|MP|PE, CR4 = PAE|PGE|OSFXSR|
 * OSXMMEXCPT, EFER = NXE|LMA|LME|SCE, RFLAGS = 0x2 (interrupts off).
 * CS = RV_SEL_KCODE, DS/ES/FS/GS/SS = RV_SEL_KDATA (base 0).
 * GDTR/TR: a host-built GDT (null, 0x10 kcode64, 0x18 kdata, 0x20 ucode32,
 *   0x28 udata, 0x30 ucode64, 0x40 64-bit TSS) and TSS per vCPU, in RV_MEM_BOOT
 *   memory; TSS.RSP0 = the boot stack top.  IDTR: limit 0 (any exception is a
 *   triple fault until the guest loads its own IDT).
 * CR3: the kernel PML4, 8 KiB aligned; the page after it is an empty user PML4
 *   (the kvm_pvm pairing).  Mapped: RV_DIRECT_MAP_BASE + all RAM, and the
 *   kernel image at its p_vaddr.  On RV_HOST_PVM every entry on every level has
 *   U/S = 1 (the host needs it); on RV_HOST_HWVIRT kernel entries have U/S = 0.
 * RIP = ELF e_entry (a kernel virtual address).
 * RSP = top of a 16 KiB boot stack in the direct map (upper half).
 * RDI = GPA of the struct rv_start_info page (same page for every vCPU).
 * RSI = vCPU index (0 = boot vCPU).
 * ECX = RV_PVM_MSR_PVPAGE and EDX:EAX = this vCPU's PV page GPA | RV_PVM_FLAGS
 *   on RV_HOST_PVM; ECX = 0 elsewhere.  So the guest's first instructions are
 *   "test %ecx,%ecx; jz 1f; wrmsr; 1:" and everything after runs natively.
 */

/* ---- Memory map (rv_start_info.mem) ------------------------------------ */
#define RV_MEM_RAM 1u      /* free for the guest */
#define RV_MEM_RESERVED 2u /* never touch */
#define RV_MEM_KERNEL 3u   /* the loaded ELF image */
#define RV_MEM_INITRD 4u   /* initrd, until the guest has consumed it */
#define RV_MEM_BOOT 5u     /* page tables, GDT/TSS, boot stacks, start info */
#define RV_MEM_SHARED 6u   /* PV pages and rings the host reads: keep */

struct rv_mem_region {
    uint64_t gpa;
    uint64_t size;
    uint32_t type; /* RV_MEM_* */
    uint32_t _pad;
};
_Static_assert(sizeof(struct rv_mem_region) == 24, "rv_mem_region layout");

#define RV_MAX_MEM_REGIONS 32u
#define RV_MAX_VCPUS 64u
#define RV_CMDLINE_MAX 4096u /* including the NUL */

/*
 * Program arguments (ringvisor exec): the initrd file RV_ARGS_PATH holds
 * NUL-terminated strings: argc and envc in decimal, then argc argv strings,
 * then envc environment strings.  The counts let an argument be empty.
 */
#define RV_ARGS_PATH "/.ringos/args"

/* Per-vCPU data the host prepared (rv_start_info.vcpu[i]). */
struct rv_vcpu_info {
    uint64_t pv_page_gpa; /* 0 unless RV_HOST_PVM */
    uint64_t stack_top;   /* kernel virtual address of the boot stack top */
    uint64_t gdt_gpa;     /* host GDT (0x48 bytes used) */
    uint64_t tss_gpa;     /* host TSS (0x68 bytes) */
};
_Static_assert(sizeof(struct rv_vcpu_info) == 32, "rv_vcpu_info layout");

/*
 * The start-info page.  Written by the host before the first vCPU runs; the
 * guest only reads it (it may reclaim the page once it has copied it).
 */
struct rv_start_info {
    uint32_t magic;       /* RV_START_MAGIC */
    uint32_t abi_version; /* RV_ABI_VERSION */
    uint64_t features;    /* RV_FEAT_* */
    uint32_t host_kind;   /* RV_HOST_* */
    uint32_t nr_vcpus;
    uint64_t tsc_khz;     /* guest TSC frequency */
    /* Wall clock: realtime_ns (Unix epoch) was true when kvmclock read
     * kvmclock_ns.  real time = realtime_ns + (kvmclock now - kvmclock_ns). */
    uint64_t realtime_ns;
    uint64_t kvmclock_ns;
    uint64_t direct_map_base; /* RV_DIRECT_MAP_BASE */
    uint64_t cmdline_gpa;     /* NUL-terminated, at most RV_CMDLINE_MAX */
    uint32_t cmdline_len;     /* without the NUL */
    uint32_t nr_mem;          /* valid entries in mem[] */
    uint64_t initrd_gpa;      /* 0 if none */
    uint64_t initrd_size;
    uint64_t req_ring_gpa;    /* struct rv_req_ring (rv_ring.h), RV_MEM_SHARED */
    uint64_t ram_size;        /* total guest RAM in bytes */
    struct rv_mem_region mem[RV_MAX_MEM_REGIONS];
    struct rv_vcpu_info vcpu[RV_MAX_VCPUS];
    /* Console input (RV_FEAT_CON_IN): a struct rv_in_ring (rv_ring.h) in
     * RV_MEM_SHARED memory that the host fills; when it publishes bytes it
     * sends an MSI with con_in_vector to vCPU 0. */
    uint64_t con_in_gpa;
    uint32_t con_in_vector;
    uint32_t con_flags;       /* RV_CON_* */
    uint64_t ram_top;         /* highest RAM GPA + 1 */
    /* RV_FEAT_DEVICES: dev_count struct rv_dev entries at dev_gpa (in
     * RV_MEM_RESERVED memory), so the guest needs no PCI probing. */
    uint64_t dev_gpa;
    uint32_t dev_count;
    uint32_t dev_size;        /* sizeof(struct rv_dev) as the host knows it */
    /* RV_FEAT_SHUTDOWN: the host asks the guest to shut down (it was sent
     * SIGTERM, or a stop through the control API) with an MSI of this
     * vector to vCPU 0, but only once the guest has set RV_GUEST_SHUTDOWN
     * in the request ring's guest_flags (rv_ring.h); otherwise, or when the
     * guest takes too long, it stops the VM itself. */
    uint32_t shutdown_vector;
    uint32_t reserved0;
    /* Append only. */
};
#define RV_CON_TTY 1u /* the host console is a terminal in raw mode: the
                         guest echoes and edits lines, and maps ^C to SIGINT */
_Static_assert(__builtin_offsetof(struct rv_start_info, tsc_khz) == 24, "layout");
_Static_assert(__builtin_offsetof(struct rv_start_info, cmdline_gpa) == 56, "layout");
_Static_assert(__builtin_offsetof(struct rv_start_info, req_ring_gpa) == 88, "layout");
_Static_assert(__builtin_offsetof(struct rv_start_info, mem) == 104, "layout");
_Static_assert(__builtin_offsetof(struct rv_start_info, vcpu) == 104 + 24 * 32, "layout");
_Static_assert(__builtin_offsetof(struct rv_start_info, con_in_gpa) == 104 + 24 * 32 + 32 * 64,
               "layout");
_Static_assert(sizeof(struct rv_start_info) == 104 + 24 * 32 + 32 * 64 + 48, "layout");
_Static_assert(sizeof(struct rv_start_info) <= 4096, "start info fits a page");

/*
 * ---- Devices -----------------------------------------------------------
 * Every device is a virtio 1.x (modern) PCI function on bus 0 behind a host
 * bridge on configuration mechanism #1 (ports 0xcf8/0xcfc), so any virtio
 * driver finds it by probing.  On kvm_pvm each configuration or BAR access
 * exits to the VMM (~35 us): the list below hands the guest what probing
 * would find.  All structures live in BAR 0 (64-bit, memory, below 4 GiB);
 * the guest still enables memory decoding and bus mastering in the command
 * register and MSI-X in its capability before use, as on real hardware.
 */
#define RV_DEV_MAX 16u
#define RV_DEV_READONLY 1u /* a disk opened read-only (also VIRTIO_BLK_F_RO) */

struct rv_dev {
    uint16_t virtio_id;   /* 2 block, 3 console, 4 entropy (virtio 1.2 sec. 5) */
    uint8_t bus;          /* PCI bus (0) */
    uint8_t devfn;        /* PCI device << 3 | function */
    uint32_t flags;       /* RV_DEV_* */
    uint64_t bar_gpa;     /* BAR 0 */
    uint32_t common_off;  /* struct virtio_pci_common_cfg, from BAR 0 */
    uint32_t notify_off;  /* queue notify area */
    uint32_t isr_off;     /* ISR status byte */
    uint32_t device_off;  /* device-specific configuration */
    uint32_t notify_mult; /* notify_off_multiplier */
    uint32_t msix_off;    /* MSI-X table */
    uint16_t msix_count;  /* MSI-X table entries */
    uint8_t msix_cap;     /* MSI-X capability's offset in configuration space */
    uint8_t reserved0;
    uint32_t reserved1;
    char name[16];        /* NUL-terminated: "vda", ... or the user's id= */
};
_Static_assert(sizeof(struct rv_dev) == 64, "rv_dev layout");

/*
 * ---- Synchronous hypercalls ---------------------------------------------
 * The guest fills a struct rv_hcall (16-byte aligned, in its RAM) and writes
 * its GPA >> 4 with a 32-bit OUT to RV_PORT_HCALL (so blocks must lie below
 * 64 GiB).  The OUT exits to ringvisor (~35 us on kvm_pvm), which copies the
 * block, checks it, runs it and writes back ret (and the OUT args of the op)
 * before the vCPU resumes.  Use it only for what needs an answer; stream
 * output through the request ring (rv_ring.h) instead.
 */
#define RV_PORT_HCALL 0x0510u /* outl: GPA >> 4 of a struct rv_hcall */
#define RV_PORT_KICK 0x0514u  /* outb: request-ring doorbell (ioeventfd) */

/*
 * RV_FEAT_SCHED (Xen's SCHEDOP_block, as a port write): a vCPU about to halt
 * for want of work writes RV_SCHED_BLOCK, so the host's scheduler gives its
 * CPU to another VM while it sleeps, and writes RV_SCHED_WAKE once the halt
 * has returned, to ask for a CPU again.  Each is an exit (~35 us on kvm_pvm).
 * A 32-bit write may carry, above the op, when the guest's timer is due:
 * RV_SCHED_BLOCK | us << RV_SCHED_US_SHIFT (0: no timer).  On kvm_pvm the
 * host notices a halted vCPU's timer only when the CPU's running vCPU next
 * leaves the guest; with the hint it makes that happen on time.
 * Better, a 32-bit read of the port is a BLOCK with the microseconds in
 * %ebx, and answers whether the WAKE is needed: RV_SCHED_R_WAKE set, or 0
 * when the vCPU has used less than its share and may simply run on after
 * its halt (Xen credit's BOOST: one exit per idle period instead of two).
 * All of it is a hint: the host charges the CPU time a vCPU actually
 * consumes, and a vCPU that runs on after BLOCK without a WAKE it was told
 * to send is made to wait its turn.
 */
#define RV_PORT_SCHED 0x0518u /* outb/outl: RV_SCHED_BLOCK or _WAKE; inl: BLOCK */
#define RV_SCHED_BLOCK 1u
#define RV_SCHED_WAKE 2u
#define RV_SCHED_OP_MASK 3u
#define RV_SCHED_US_SHIFT 2u  /* BLOCK: microseconds until the guest's timer */
#define RV_SCHED_R_WAKE 1u    /* inl's answer: write RV_SCHED_WAKE after the halt */

#define RV_HC_NOP 0u           /* ret = 0 */
#define RV_HC_POWEROFF 1u      /* arg0 = exit status 0..255; does not return */
#define RV_HC_CONSOLE_WRITE 2u /* arg0 = GPA, arg1 = len <= RV_HC_CONSOLE_MAX;
                                  ret = bytes written (synchronous, for panics) */
#define RV_HC_MULTICALL 3u     /* arg0 = GPA of struct rv_hcall[arg1],
                                  arg1 = count <= RV_HC_MULTICALL_MAX; each
                                  entry's ret is written back; ret = count run.
                                  Entries may not nest multicalls. */
#define RV_HC_WALLCLOCK 4u     /* arg0 OUT = realtime ns, arg1 OUT = kvmclock ns */
#define RV_HC_NR 5u

#define RV_HC_CONSOLE_MAX 65536u
#define RV_HC_MULTICALL_MAX 64u

/* Errors, as negative ret values (Linux numbering). */
#define RV_E2BIG 7
#define RV_EFAULT 14
#define RV_EINVAL 22
#define RV_ENOSYS 38

struct rv_hcall {
    uint32_t op;     /* IN: RV_HC_* */
    uint32_t flags;  /* IN: must be 0 */
    int64_t ret;     /* OUT: >= 0 result, < 0 -RV_E* */
    uint64_t arg[6]; /* IN, or OUT where the op says so */
};
_Static_assert(sizeof(struct rv_hcall) == 64, "rv_hcall layout");
_Static_assert(__builtin_offsetof(struct rv_hcall, arg) == 16, "rv_hcall layout");

#endif /* RV_ABI_H */
