// SPDX-License-Identifier: MIT
/* The vCPU thread: KVM_RUN and a switch that only dispatches exits. */
#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/core/vm.h"

static const char *exit_name(uint32_t reason)
{
    switch (reason) {
    case KVM_EXIT_UNKNOWN: return "unknown exit";
    case KVM_EXIT_EXCEPTION: return "exception";
    case KVM_EXIT_HLT: return "halt with no interrupt controller";
    case KVM_EXIT_SHUTDOWN: return "triple fault (KVM_EXIT_SHUTDOWN)";
    case KVM_EXIT_FAIL_ENTRY: return "VM entry failed (KVM_EXIT_FAIL_ENTRY)";
    case KVM_EXIT_INTERNAL_ERROR: return "emulation failure (KVM_EXIT_INTERNAL_ERROR)";
    case KVM_EXIT_SYSTEM_EVENT: return "system event";
    default: return "unexpected exit";
    }
}

void vcpu_kick(struct vcpu *vcpu)
{
    /* immediate_exit closes the race with a thread about to enter KVM_RUN. */
    __atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
    pthread_kill(vcpu->thread, SIGUSR1);
}

void vcpu_dump(struct vcpu *vcpu, const char *reason)
{
    fprintf(stderr, "ringvisor: vCPU %u: %s\n", vcpu->index, reason);
    arch_vcpu_dump(vcpu);
}

/* The guest broke the VM: print one diagnostic (first failure only) and end. */
static void vcpu_fail(struct vcpu *vcpu, const char *reason)
{
    struct vm *vm = vcpu->vm;

    pthread_mutex_lock(&vm->lock);
    bool first = !vm->stopping;
    pthread_mutex_unlock(&vm->lock);
    if (first)
        vcpu_dump(vcpu, reason);
    vm_stop(vm, 1);
}

static void vcpu_io(struct vcpu *vcpu)
{
    struct kvm_run *run = vcpu->run;
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    bool is_write = run->io.direction == KVM_EXIT_IO_OUT;

    for (uint32_t i = 0; i < run->io.count; i++) {
        int r = bus_access(&vcpu->vm->bus, vcpu, BUS_PIO, run->io.port,
                           data + i * run->io.size, run->io.size, is_write);
        if (r == 1 && vcpu->vm->verbose >= 2)
            fprintf(stderr, "ringvisor: vCPU %u: unclaimed %s of port %#x\n",
                    vcpu->index, is_write ? "write" : "read", run->io.port);
    }
}

static void vcpu_mmio(struct vcpu *vcpu)
{
    struct kvm_run *run = vcpu->run;
    uint32_t len = run->mmio.len <= 8 ? run->mmio.len : 8;
    int r = bus_access(&vcpu->vm->bus, vcpu, BUS_MMIO, run->mmio.phys_addr,
                       run->mmio.data, len, run->mmio.is_write);

    if (r == 1 && vcpu->vm->verbose >= 2)
        fprintf(stderr, "ringvisor: vCPU %u: unclaimed MMIO %s at %#llx\n", vcpu->index,
                run->mmio.is_write ? "write" : "read",
                (unsigned long long)run->mmio.phys_addr);
}

void vcpu_park(struct vcpu *vcpu)
{
    struct vm *vm = vcpu->vm;

    pthread_mutex_lock(&vm->lock);
    if (vm->paused && !vm->stopping) {
        /* A paused vCPU holds no CPU of the host scheduler's. */
        if (vm->sched.map.b)
            sched_vcpu_release(&vm->sched, &vcpu->sched);
        vm->nr_parked++;
        pthread_cond_broadcast(&vm->parked_cond);
        while (vm->paused && !vm->stopping)
            pthread_cond_wait(&vm->pause_cond, &vm->lock);
        vm->nr_parked--;
    }
    /* Clear the pause kick under the lock: vm_stop() sets stopping under it
     * before kicking, so a stop kick is never lost. */
    if (!vm->stopping)
        __atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&vm->lock);
}

static bool vcpu_stopping(struct vcpu *vcpu)
{
    bool s;

    pthread_mutex_lock(&vcpu->vm->lock);
    s = vcpu->vm->stopping;
    pthread_mutex_unlock(&vcpu->vm->lock);
    return s;
}

void *vcpu_main(void *arg)
{
    struct vcpu *vcpu = arg;
    struct kvm_run *run = vcpu->run;
    bool sched = vcpu->vm->sched.map.b != NULL;
    sigset_t set;
    char why[128];

    /* Only this thread gets the kick; SIGINT/SIGTERM stay with main. */
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    if (sched) {
        int err = sched_vcpu_init(&vcpu->vm->sched, &vcpu->sched, vcpu->index, vcpu->fd);

        if (err) {
            snprintf(why, sizeof(why), "cannot join the host scheduler: %s", strerror(-err));
            vcpu_fail(vcpu, why);
            return NULL;
        }
    }

    while (!vcpu_stopping(vcpu)) {
        if (sched && !sched_vcpu_gate(&vcpu->vm->sched, &vcpu->sched)) {
            vcpu_park(vcpu);
            continue;
        }
        if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                if (sched)
                    sched_vcpu_check(&vcpu->vm->sched, &vcpu->sched);
                vcpu_park(vcpu);
                continue;
            }
            snprintf(why, sizeof(why), "KVM_RUN failed: %s", strerror(errno));
            vcpu_fail(vcpu, why);
            break;
        }
        switch (run->exit_reason) {
        case KVM_EXIT_IO:
            vcpu_io(vcpu);
            break;
        case KVM_EXIT_MMIO:
            vcpu_mmio(vcpu);
            break;
        case KVM_EXIT_INTR:
            break;
        case KVM_EXIT_INTERNAL_ERROR:
            snprintf(why, sizeof(why), "%s, suberror %u", exit_name(run->exit_reason),
                     run->internal.suberror);
            vcpu_fail(vcpu, why);
            break;
        case KVM_EXIT_FAIL_ENTRY:
            snprintf(why, sizeof(why), "%s, reason %#llx", exit_name(run->exit_reason),
                     (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
            vcpu_fail(vcpu, why);
            break;
        default:
            snprintf(why, sizeof(why), "%s (exit reason %u)", exit_name(run->exit_reason),
                     run->exit_reason);
            vcpu_fail(vcpu, why);
            break;
        }
    }
    if (sched)
        sched_vcpu_exit(&vcpu->vm->sched, &vcpu->sched);
    return NULL;
}
