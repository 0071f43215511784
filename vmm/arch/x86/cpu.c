// SPDX-License-Identifier: MIT
/*
 * x86 specifics of a VM: in-kernel irqchip, CPUID, kvm_pvm detection, the
 * vCPU entry state of the boot protocol, and the register dump.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "abi/rv_abi.h"
#include "vmm/core/vm.h"

#define CPUID_MAX_ENTRIES 256
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_80000001_EDX_PDPE1GB (1u << 26)

int arch_vm_init(struct vm *vm)
{
    /* Only the local APIC in the kernel (timer, IPIs, halt in the kernel,
     * MSIs from irqfds): we have no PIC/IOAPIC/PIT users, and on kvm_pvm the
     * full irqchip makes memslot setup cost ~8 ms and VM teardown ~15 ms
     * (measured), against ~0.1 ms for the split one.  It must be enabled
     * before the first vCPU (PVM notes 5). */
    struct kvm_enable_cap split = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };

    vm->irqchip = ioctl(vm->fd, KVM_ENABLE_CAP, &split) == 0;
    if (!vm->irqchip)
        vm->irqchip = ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) == 0;
    /* Needed on Intel VMX hosts only; a harmless no-op elsewhere. */
    (void)ioctl(vm->fd, KVM_SET_TSS_ADDR, 0xfffbd000ul);
    return 0;
}

static struct kvm_cpuid2 *cpuid_get(struct vm *vm)
{
    struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + CPUID_MAX_ENTRIES * sizeof(c->entries[0]));

    if (!c)
        return NULL;
    c->nent = CPUID_MAX_ENTRIES;
    if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
        free(c);
        return NULL;
    }
    return c;
}

static struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t fn)
{
    for (uint32_t i = 0; i < c->nent; i++)
        if (c->entries[i].function == fn)
            return &c->entries[i];
    return NULL;
}

int arch_vcpu_init(struct vcpu *vcpu)
{
    struct vm *vm = vcpu->vm;
    struct kvm_cpuid2 *c = cpuid_get(vm);
    struct kvm_cpuid_entry2 *e;
    int err = 0;

    if (!c)
        return -EIO;
    e = cpuid_find(c, 1);
    if (e) {
        e->ecx |= CPUID_1_ECX_HYPERVISOR;
        if (vm->irqchip && ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0)
            e->ecx |= CPUID_1_ECX_TSC_DEADLINE;
        /* The initial APIC ID is the vCPU index. */
        e->ebx = (e->ebx & 0x00ffffffu) | (vcpu->index << 24);
    }
    if (ioctl(vcpu->fd, KVM_SET_CPUID2, c) < 0)
        err = -errno;
    free(c);
    return err;
}

static int get_msr(struct vcpu *vcpu, uint32_t index, uint64_t *value)
{
    struct {
        struct kvm_msrs h;
        struct kvm_msr_entry e;
    } m = { .h.nmsrs = 1, .e.index = index };

    if (ioctl(vcpu->fd, KVM_GET_MSRS, &m) != 1)
        return -EIO;
    *value = m.e.data;
    return 0;
}

uint32_t arch_detect_host(struct vm *vm)
{
    uint64_t sig;

    /* kvm_pvm answers its signature MSR to the VMM as well as the guest. */
    if (get_msr(&vm->vcpu[0], RV_PVM_MSR_SIG, &sig) == 0 && sig == RV_PVM_SIGNATURE)
        return RV_HOST_PVM;
    return RV_HOST_HWVIRT;
}

uint64_t arch_tsc_khz(struct vm *vm)
{
    uint64_t khz;
    int r;

    if (vm->host_kind == RV_HOST_PVM && get_msr(&vm->vcpu[0], RV_PVM_MSR_TSC_KHZ, &khz) == 0)
        return khz;
    r = ioctl(vm->vcpu[0].fd, KVM_GET_TSC_KHZ, 0);
    return r > 0 ? (uint64_t)r : 0;
}

bool arch_gbpages(struct vm *vm)
{
    struct kvm_cpuid2 *c;
    struct kvm_cpuid_entry2 *e;
    bool ok;

    /* Not yet measured under kvm_pvm's shadow MMU: stay with 2 MiB there. */
    if (vm->host_kind == RV_HOST_PVM)
        return false;
    c = cpuid_get(vm);
    if (!c)
        return false;
    e = cpuid_find(c, 0x80000001);
    ok = e && (e->edx & CPUID_80000001_EDX_PDPE1GB);
    free(c);
    return ok;
}

int arch_vcpu_setup(struct vcpu *vcpu)
{
    struct vm *vm = vcpu->vm;
    const struct boot_vcpu *b = &vm->boot.vcpu[vcpu->index];
    struct kvm_segment cs = { .limit = 0xfffff, .selector = RV_SEL_KCODE, .present = 1,
                              .type = 11, .s = 1, .l = 1, .g = 1 };
    struct kvm_segment ds = { .limit = 0xfffff, .selector = RV_SEL_KDATA, .present = 1,
                              .type = 3, .s = 1, .db = 1, .g = 1 };
    struct kvm_sregs s;
    struct kvm_regs r = { 0 };

    if (ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0)
        return -errno;
    s.cr0 = 0x80050033;  /* PG AM WP NE ET MP PE */
    s.cr3 = vm->boot.pml4;
    s.cr4 = 0x6a0;       /* PAE PGE OSFXSR OSXMMEXCPT; no SMEP: see PVM notes 3.1 */
    s.efer = 0xd01;      /* NXE LMA LME SCE */
    s.cs = cs;
    s.ds = s.es = s.fs = s.gs = s.ss = ds;
    s.gdt.base = b->gdt;
    s.gdt.limit = 0x4f;
    s.idt.base = 0;
    s.idt.limit = 0;
    memset(&s.tr, 0, sizeof(s.tr));
    s.tr.selector = RV_SEL_TSS;
    s.tr.base = b->tss;
    s.tr.limit = 0x67;
    s.tr.type = 11;
    s.tr.present = 1;
    memset(&s.ldt, 0, sizeof(s.ldt));
    s.ldt.unusable = 1;
    if (ioctl(vcpu->fd, KVM_SET_SREGS, &s) < 0)
        return -errno;

    r.rip = vm->boot.entry;
    r.rsp = b->stack_top;
    r.rflags = 0x2;
    r.rdi = vm->boot.start_info;
    r.rsi = vcpu->index;
    if (vm->host_kind == RV_HOST_PVM) {
        /* Preloaded so that the guest's first instruction can be the wrmsr
         * that ends the emulated phase (see the entry state in rv_abi.h). */
        uint64_t v = b->pv_page | RV_PVM_FLAGS;

        r.rcx = RV_PVM_MSR_PVPAGE;
        r.rax = (uint32_t)v;
        r.rdx = v >> 32;
    }
    if (ioctl(vcpu->fd, KVM_SET_REGS, &r) < 0)
        return -errno;
    if (vcpu->index > 0 && vm->irqchip) {
        /* Secondary vCPUs start in 64-bit mode too, not in wait-for-SIPI. */
        struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };

        if (ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp) < 0)
            return -errno;
    }
    return 0;
}

void arch_vcpu_dump(struct vcpu *vcpu)
{
    struct kvm_regs r;
    struct kvm_sregs s;
    uint64_t pv;

    if (ioctl(vcpu->fd, KVM_GET_REGS, &r) == 0) {
        fprintf(stderr,
                "  rip %016llx rsp %016llx rflags %08llx\n"
                "  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
                "  rsi %016llx rdi %016llx rbp %016llx r8  %016llx\n"
                "  r9  %016llx r10 %016llx r11 %016llx r12 %016llx\n"
                "  r13 %016llx r14 %016llx r15 %016llx\n",
                r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi,
                r.rbp, r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15);
    }
    if (ioctl(vcpu->fd, KVM_GET_SREGS, &s) == 0) {
        fprintf(stderr,
                "  cr0 %08llx cr2 %016llx cr3 %016llx cr4 %08llx efer %llx\n"
                "  cs %04x ss %04x idt %016llx/%x gdt %016llx/%x tr %04x\n",
                s.cr0, s.cr2, s.cr3, s.cr4, s.efer, s.cs.selector, s.ss.selector,
                s.idt.base, s.idt.limit, s.gdt.base, s.gdt.limit, s.tr.selector);
    }
    if (vcpu->vm->host_kind == RV_HOST_PVM && get_msr(vcpu, RV_PVM_MSR_PVPAGE, &pv) == 0) {
        const uint8_t *page = mem_gpa(&vcpu->vm->mem, pv & ~0xfffull, 4096);

        fprintf(stderr, "  kvm_pvm: PV page MSR %#llx", (unsigned long long)pv);
        if (page) {
            uint64_t cr2;

            memcpy(&cr2, page + RV_PVM_PV_CR2, 8);
            fprintf(stderr, " virtual-IF %u pending %u CR2-cell %#llx", page[RV_PVM_PV_VIF],
                    page[RV_PVM_PV_PENDING], (unsigned long long)cr2);
        } else if (!(pv & ~0xfffull)) {
            fprintf(stderr, " (not registered: the guest was still emulated)");
        }
        fputc('\n', stderr);
    }
}
