/* SPDX-License-Identifier: MIT */
/*
 * A VM process's membership of the scheduler board, and the hooks its vCPU
 * threads call: the gate before KVM_RUN (wait for a grant), the check after
 * a scheduler signal ended KVM_RUN (end of slice or preemption), the guest's
 * block and wake notices (RV_PORT_SCHED), and release while paused.
 */
#ifndef VMM_SCHED_MEMBER_H
#define VMM_SCHED_MEMBER_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "vmm/sched/board.h"

/* A guest that said it blocks but then burns this much CPU without saying
 * it woke is treated as awake (and waits for a grant like any other). */
#define SCHED_BLOCK_CPU_NS 2000000ull

struct sched_member {
    struct sched_map map;
    int vm;                 /* our struct sched_vm */
    int first;              /* our first struct sched_vcpu */
    bool no_fifo;           /* SCHED_FIFO was refused (no CAP_SYS_NICE) */
};

struct sched_vcpu_local {
    int idx;                /* board entry, -1 when not on a board */
    bool timers;            /* slice_timer and cpu_timer exist */
    bool guest_blocked;     /* the guest's last notice was "block" */
    bool boosted;           /* the thread runs as SCHED_FIFO (host_boost) */
    timer_t slice_timer;    /* CLOCK_MONOTONIC, signals this thread */
    timer_t cpu_timer;      /* this thread's CPU clock */
    uint64_t cpu_mark;      /* thread CPU clock at the last charge */
    uint64_t cpu_end;       /* the slice ends when the CPU clock gets here */
    uint64_t wall_end;      /* or the wall clock here, whichever is first */
};

/* Join the board at (path) with (nr_vcpus) vCPUs.  0 or -errno, (*why) set. */
int sched_member_join(struct sched_member *s, const char *path, enum sched_policy policy,
                      const char *name, const struct sched_params *p, uint32_t nr_vcpus,
                      const char **why) __attribute__((warn_unused_result));
void sched_member_leave(struct sched_member *s);

/* On the vCPU thread, once, before its first gate: blocks SCHED_SIGNAL for
 * the thread (KVM_RUN takes it through KVM_SET_SIGNAL_MASK) and creates its
 * timers.  0 or -errno. */
int sched_vcpu_init(struct sched_member *s, struct sched_vcpu_local *l, uint32_t index,
                    int vcpu_fd) __attribute__((warn_unused_result));
void sched_vcpu_exit(struct sched_member *s, struct sched_vcpu_local *l);

/* Before KVM_RUN: true once this vCPU may enter the guest; false if a signal
 * (a pause or stop kick) interrupted the wait. */
bool sched_vcpu_gate(struct sched_member *s, struct sched_vcpu_local *l);
/* After KVM_RUN ended with EINTR: take the scheduler signal and act on it. */
void sched_vcpu_check(struct sched_member *s, struct sched_vcpu_local *l);
/*
 * The guest's notices (RV_PORT_SCHED); (wake_us): its timer is due then, 0
 * if none.  With (may_skip) the guest asked whether it must send the wake
 * notice: the answer is false when its VM is behind its share, and it may
 * then run on after its halt without a grant (see sched_entitled()).
 */
bool sched_vcpu_block(struct sched_member *s, struct sched_vcpu_local *l, uint32_t wake_us,
                      bool may_skip);
void sched_vcpu_wake(struct sched_member *s, struct sched_vcpu_local *l);
/* Give up the CPU and stop asking (pause, stop). */
void sched_vcpu_release(struct sched_member *s, struct sched_vcpu_local *l);

#endif
