// SPDX-License-Identifier: MIT
/*
 * The platform's own floor for guest-OS operations on kvm_pvm: a minimal
 * native-mode guest (pvm_floor_guest.S) times, with its own TSC, a user
 * syscall + sysretq round trip, the same with a switch to another address
 * space in between (a context switch), a CR3 write, a user #PF + sysretq, a demand
 * fault that maps a page, an OUT to an ioeventfd and the cheapest trap.
 * Each test runs in a fresh VM; one line per test:
 *   NAME NS_PER_OP EXITS_PER_OP
 * Usage: pvm-floor [TEST...]  (default: all)
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench/pvm_floor.h"

extern uint8_t pvm_guest_start[], pvm_guest_end[], pvm_kentry[], pvm_trap_stubs[],
    pvm_pf_handler[], pvm_user_text[], pvm_user_text_end[];

#define PTE_P 1ull
#define PTE_W 2ull
#define PTE_U 4ull /* on every level: kvm_pvm livelocks on U=0 (PVM-NOTES 3.2) */
#define PTE_PS 0x80ull
#define PTE_PWU (PTE_P | PTE_W | PTE_U)
#define GUEST_OFF(sym) ((uint64_t)((sym) - pvm_guest_start))
#define KVA(gpa) ((uint64_t)FLOOR_KBASE + (gpa))

struct floor_test {
    const char *name;
    int test;
    uint64_t iters, warmup;
    double per_iter; /* operations per timed iteration */
};

/* Iteration counts keep each test near 50 ms on this host. */
static const struct floor_test floor_tests[] = {
    { "syscall_sysret", FLOOR_T_SYSCALL, 20000, 2000, 1 },
    { "syscall_switch", FLOOR_T_SWITCH, 5000, 500, 1 },
    { "cr3_write", FLOOR_T_CR3, 5000, 500, 2 },
    { "user_pf_sysret", FLOOR_T_UPF, 5000, 500, 1 },
    { "user_pf_map", FLOOR_T_UPF_MAP, 1920, 128, 1 }, /* 2048 pages in all */
    { "ioeventfd_out", FLOOR_T_IOEVENTFD, 10000, 1000, 1 },
    { "rdmsr_trap", FLOOR_T_RDMSR, 10000, 1000, 1 },
};

struct floor_vm {
    int vm, vcpu, ioev;
    uint8_t *mem;
    struct kvm_run *run;
    size_t run_size;
};

static uint64_t *table(struct floor_vm *v, uint64_t gpa)
{
    return (uint64_t *)(v->mem + gpa);
}

static void set_gate(struct floor_vm *v, int vec, uint64_t va)
{
    uint64_t *e = table(v, FLOOR_IDT_GPA + 16 * vec);

    /* 64-bit interrupt gate, selector 0x10, DPL 0, present */
    e[0] = (va & 0xffff) | (0x10ull << 16) | (0x8eull << 40) | (((va >> 16) & 0xffff) << 48);
    e[1] = va >> 32;
}

/* Page tables, GDT, IDT, TSS and the code, as pvm_floor.h draws them. */
static void build_guest(struct floor_vm *v)
{
    uint64_t *kpml4 = table(v, FLOOR_KPML4_GPA), *upml4 = table(v, FLOOR_KPML4_GPA + 0x1000);
    uint64_t *kpd = table(v, FLOOR_KPD_GPA), *upd = table(v, FLOOR_UPD_GPA);
    uint64_t *upt = table(v, FLOOR_UPT_GPA), *gdt = table(v, FLOOR_GDT_GPA);
    uint64_t code = FLOOR_CODE_GPA, tss = KVA(FLOOR_TSS_GPA);
    uint64_t utext = code + GUEST_OFF(pvm_user_text);
    uint64_t upages = (uint64_t)(pvm_user_text_end - pvm_user_text) / 4096;

    for (uint64_t i = 0; i < FLOOR_MEM_SIZE >> 21; i++)
        kpd[i] = (i << 21) | PTE_PS | PTE_PWU;
    *table(v, FLOOR_KPDPT_GPA) = FLOOR_KPD_GPA | PTE_PWU;
    kpml4[(FLOOR_KBASE >> 39) & 511] = FLOOR_KPDPT_GPA | PTE_PWU;

    for (uint64_t i = 0; i < upages; i++)
        upt[i] = (utext + i * 4096) | PTE_PWU;
    for (uint64_t i = 0; i < 4; i++)
        upt[256 + i] = (FLOOR_USTACK_GPA + i * 4096) | PTE_PWU;
    upd[FLOOR_USER_VA >> 21] = FLOOR_UPT_GPA | PTE_PWU;
    for (uint64_t i = 0; i < FLOOR_MAP_LEN >> 21; i++)
        upd[(FLOOR_MAP_VA >> 21) + i] = (FLOOR_MAP_PT_GPA + i * 4096) | PTE_PWU;
    *table(v, FLOOR_UPDPT_GPA) = FLOOR_UPD_GPA | PTE_PWU;
    /* Both roots share the user half; the user root has nothing else. */
    kpml4[0] = FLOOR_UPDPT_GPA | PTE_PWU;
    upml4[0] = FLOOR_UPDPT_GPA | PTE_PWU;
    memcpy(table(v, FLOOR_K2PML4_GPA), kpml4, 8192);

    gdt[2] = 0x00af9b000000ffffull; /* 0x10 kernel code */
    gdt[3] = 0x00cf93000000ffffull; /* 0x18 kernel data */
    gdt[4] = 0x00cffb000000ffffull; /* 0x23 user code32 */
    gdt[5] = 0x00cff3000000ffffull; /* 0x2b user data */
    gdt[6] = 0x00affb000000ffffull; /* 0x33 user code64 */
    gdt[8] = 0x0000890000000067ull | ((tss & 0xffffff) << 16) | (((tss >> 24) & 0xff) << 56);
    gdt[9] = tss >> 32;
    *(uint64_t *)(v->mem + FLOOR_TSS_GPA + 4) = KVA(FLOOR_TRAP_STACK); /* RSP0 */

    for (int vec = 0; vec < 256; vec++)
        set_gate(v, vec, KVA(code + GUEST_OFF(pvm_trap_stubs) + 16 * (vec < 32 ? vec : 32)));
    set_gate(v, 14, KVA(code + GUEST_OFF(pvm_pf_handler)));
    memcpy(v->mem + code, pvm_guest_start, (size_t)(pvm_guest_end - pvm_guest_start));
}

static int vcpu_setup(struct floor_vm *v, int kvm, const struct floor_test *t)
{
    struct kvm_segment cs = { .limit = 0xfffff, .selector = 0x10, .present = 1,
                              .type = 11, .s = 1, .l = 1, .g = 1 };
    struct kvm_segment ds = { .limit = 0xfffff, .selector = 0x18, .present = 1,
                              .type = 3, .s = 1, .db = 1, .g = 1 };
    struct kvm_cpuid2 *cpuid;
    struct kvm_sregs s;
    struct kvm_regs r;
    int ret = 0;

    cpuid = calloc(1, sizeof(*cpuid) + 128 * sizeof(struct kvm_cpuid_entry2));
    if (!cpuid)
        return -ENOMEM;
    cpuid->nent = 128;
    if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid) < 0 ||
        ioctl(v->vcpu, KVM_SET_CPUID2, cpuid) < 0)
        ret = -errno;
    free(cpuid);
    if (ret)
        return ret;

    if (ioctl(v->vcpu, KVM_GET_SREGS, &s) < 0)
        return -errno;
    s.cr0 = 0x80050033; /* PG AM WP NE ET MP PE */
    s.cr3 = FLOOR_KPML4_GPA;
    s.cr4 = 0x6a0; /* PAE PGE OSFXSR OSXMMEXCPT */
    s.efer = 0xd01; /* NXE LMA LME SCE */
    s.cs = cs;
    s.ds = s.es = s.fs = s.gs = s.ss = ds;
    s.gdt.base = KVA(FLOOR_GDT_GPA);
    s.gdt.limit = 0x7f;
    s.idt.base = KVA(FLOOR_IDT_GPA);
    s.idt.limit = 0xfff;
    memset(&s.tr, 0, sizeof(s.tr));
    s.tr.selector = 0x40;
    s.tr.base = KVA(FLOOR_TSS_GPA);
    s.tr.limit = 0x67;
    s.tr.type = 11;
    s.tr.present = 1;
    memset(&s.ldt, 0, sizeof(s.ldt));
    if (ioctl(v->vcpu, KVM_SET_SREGS, &s) < 0)
        return -errno;

    memset(&r, 0, sizeof(r));
    r.rip = KVA(FLOOR_CODE_GPA + GUEST_OFF(pvm_kentry));
    r.rsp = KVA(FLOOR_BOOT_STACK);
    r.rflags = 0x2;
    r.rdi = (uint64_t)t->test;
    r.rsi = t->iters;
    r.rdx = t->warmup;
    r.r8 = FLOOR_PV_GPA | FLOOR_PV_FLAGS;
    r.r9 = FLOOR_K2PML4_GPA;
    if (ioctl(v->vcpu, KVM_SET_REGS, &r) < 0)
        return -errno;
    return 0;
}

/* (name) from the vCPU's binary stats, or 0. */
static uint64_t vcpu_stat(int vcpu, const char *name)
{
    struct kvm_stats_header h;
    struct kvm_stats_desc *d;
    uint64_t val = 0;
    size_t dsz;
    int fd = ioctl(vcpu, KVM_GET_STATS_FD, NULL);

    if (fd < 0)
        return 0;
    if (pread(fd, &h, sizeof(h), 0) != sizeof(h))
        goto out;
    dsz = sizeof(*d) + h.name_size;
    d = malloc(dsz);
    if (!d)
        goto out;
    for (uint32_t i = 0; i < h.num_desc; i++) {
        if (pread(fd, d, dsz, h.desc_offset + i * dsz) != (ssize_t)dsz)
            break;
        if (strcmp(d->name, name) == 0) {
            if (pread(fd, &val, sizeof(val), h.data_offset + d->offset) != sizeof(val))
                val = 0;
            break;
        }
    }
    free(d);
out:
    close(fd);
    return val;
}

static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
    (void)sig;
    timed_out = 1;
}

static void vm_teardown(struct floor_vm *v)
{
    if (v->run && v->run != MAP_FAILED)
        munmap(v->run, v->run_size);
    if (v->vcpu >= 0)
        close(v->vcpu);
    if (v->ioev >= 0)
        close(v->ioev);
    if (v->mem && v->mem != MAP_FAILED)
        munmap(v->mem, FLOOR_MEM_SIZE);
    if (v->vm >= 0)
        close(v->vm);
}

/*
 * Run test (t) in a fresh VM.  (ns) gets the in-guest time per operation,
 * (exits) the in-kernel exits per iteration (warm-up included).  (tsc_khz)
 * converts guest cycles.  Returns 0 or -errno / -EPROTO with a message.
 */
static int floor_run(int kvm, const struct floor_test *t, double *ns, double *exits)
{
    struct floor_vm v = { .vm = -1, .vcpu = -1, .ioev = -1 };
    struct kvm_userspace_memory_region region = { 0 };
    struct kvm_ioeventfd io = { .addr = FLOOR_PORT_IOEVENTFD, .len = 1,
                                .flags = KVM_IOEVENTFD_FLAG_PIO };
    struct kvm_regs r;
    uint64_t exits0, exits1;
    int ret, khz;

    v.vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (v.vm < 0)
        return -errno;
    /* Populated up front: host page faults on guest RAM are not the floor. */
    v.mem = mmap(NULL, FLOOR_MEM_SIZE, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (v.mem == MAP_FAILED) {
        ret = -errno;
        goto out;
    }
    build_guest(&v);
    region.memory_size = FLOOR_MEM_SIZE;
    region.userspace_addr = (uintptr_t)v.mem;
    if (ioctl(v.vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
        ret = -errno;
        goto out;
    }
    v.ioev = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    io.fd = v.ioev;
    if (v.ioev < 0 || ioctl(v.vm, KVM_IOEVENTFD, &io) < 0) {
        ret = -errno;
        goto out;
    }
    v.vcpu = ioctl(v.vm, KVM_CREATE_VCPU, 0);
    if (v.vcpu < 0) {
        ret = -errno;
        goto out;
    }
    v.run_size = (size_t)ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    v.run = mmap(NULL, v.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v.vcpu, 0);
    if (v.run == MAP_FAILED) {
        ret = -errno;
        goto out;
    }
    ret = vcpu_setup(&v, kvm, t);
    if (ret)
        goto out;
    khz = ioctl(v.vcpu, KVM_GET_TSC_KHZ, 0);
    if (khz <= 0) {
        ret = -errno;
        goto out;
    }

    exits0 = vcpu_stat(v.vcpu, "exits");
    timed_out = 0;
    alarm(20);
    for (;;) {
        if (ioctl(v.vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR && !timed_out)
                continue;
            ret = timed_out ? -ETIMEDOUT : -errno;
            break;
        }
        if (v.run->exit_reason != KVM_EXIT_IO) {
            fprintf(stderr, "pvm-floor: %s: exit reason %u\n", t->name, v.run->exit_reason);
            ret = -EPROTO;
            break;
        }
        if (ioctl(v.vcpu, KVM_GET_REGS, &r) < 0) {
            ret = -errno;
            break;
        }
        if (v.run->io.port == FLOOR_PORT_DONE) {
            exits1 = vcpu_stat(v.vcpu, "exits");
            *ns = (double)r.rax * 1e6 / khz / ((double)t->iters * t->per_iter);
            *exits = (double)(exits1 - exits0) / (double)(t->iters + t->warmup);
            ret = 0;
            break;
        }
        fprintf(stderr, "pvm-floor: %s: %s port 0x%x: rax=%#llx rbx=%#llx rcx=%#llx rdx=%#llx\n",
                t->name, v.run->io.port == FLOOR_PORT_TRAP ? "guest trap" : "unexpected",
                v.run->io.port, r.rax, r.rbx, r.rcx, r.rdx);
        ret = -EPROTO;
        break;
    }
    alarm(0);
out:
    vm_teardown(&v);
    return ret;
}

int main(int argc, char **argv)
{
    struct sigaction sa = { .sa_handler = on_alarm };
    int kvm, status = 0;

    for (int i = 1; i < argc; i++) {
        size_t k;

        for (k = 0; k < sizeof(floor_tests) / sizeof(floor_tests[0]); k++)
            if (strcmp(argv[i], floor_tests[k].name) == 0)
                break;
        if (k == sizeof(floor_tests) / sizeof(floor_tests[0])) {
            fprintf(stderr, "usage: %s [TEST...]; tests:", argv[0]);
            for (k = 0; k < sizeof(floor_tests) / sizeof(floor_tests[0]); k++)
                fprintf(stderr, " %s", floor_tests[k].name);
            fprintf(stderr, "\n");
            return 2;
        }
    }
    sigaction(SIGALRM, &sa, NULL); /* no SA_RESTART: KVM_RUN returns EINTR */
    kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) {
        perror("pvm-floor: /dev/kvm");
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t k = 0; k < sizeof(floor_tests) / sizeof(floor_tests[0]); k++) {
        const struct floor_test *t = &floor_tests[k];
        double ns = 0, exits = 0;
        int ret, chosen = argc == 1;

        for (int i = 1; i < argc; i++)
            chosen |= strcmp(argv[i], t->name) == 0;
        if (!chosen)
            continue;
        ret = floor_run(kvm, t, &ns, &exits);
        if (ret < 0) {
            fprintf(stderr, "pvm-floor: %s: %s\n", t->name, strerror(-ret));
            status = 1;
            continue;
        }
        printf("%s %.1f %.2f\n", t->name, ns, exits);
    }
    close(kvm);
    return status;
}
