/* SPDX-License-Identifier: MIT */
/*
 * The two policies, as pure functions of the board (called with its lock
 * held, and a clock reading passed in, so host-only unit tests drive them
 * with a fake clock and fake threads).
 *
 * credit: each VM's CPU time is charged to a virtual time scaled by 256 /
 *   weight; the waiting vCPU of the VM with the least virtual time runs
 *   next, for a slice of SCHED_SLICE_NS.  That is Xen's credit scheduler with
 *   the credit kept as an exact balance instead of debited at ticks.  A cap
 *   limits a VM to cap% of one CPU in each SCHED_CAP_WINDOW_NS, and holds
 *   even when every CPU is otherwise idle.
 * SEDF: a VM with a slice is guaranteed (slice) of CPU time in every
 *   (period); the waiting VM with time left and the earliest deadline runs
 *   first (earliest deadline first).  A VM with the extra flag (or without
 *   a slice) then shares, by weight, the time nobody's guarantee needs.
 *
 * Time is charged only as consumed: a vCPU's own thread CPU clock is read
 * when it starts running, at the end of each slice and when it stops, so a
 * guest that blocks just before a slice ends pays for exactly what it used,
 * and a halted vCPU costs nothing.
 */
#ifndef VMM_SCHED_POLICY_H
#define VMM_SCHED_POLICY_H

#include "vmm/sched/board.h"

#define SCHED_SLICE_NS 10000000ull       /* credit slice, and SEDF extra time */
#define SCHED_CAP_WINDOW_NS 100000000ull /* caps are enforced per 100 ms */
#define SCHED_WAKE_GRAN_NS 1000000ull    /* a waking VM preempts one this far
                                          * ahead of it in virtual time */
#define SCHED_SLEEP_BONUS_NS 5000000ull  /* how far behind the others a VM that
                                          * slept may start again */
#define SCHED_MIN_SLICE_NS 100000ull     /* shortest slice worth a switch */

/* What dispatch needs from the threads behind the entries. */
struct sched_ops {
    void (*wake)(struct sched_board *b, int vcpu);    /* its grant word changed */
    void (*preempt)(struct sched_board *b, int vcpu); /* kick it out of the guest */
};

/* Charge (ns) of CPU time consumed by a vCPU of (vm). */
void sched_charge(struct sched_board *b, int vm, uint64_t ns, uint64_t now);

/*
 * May (vm) run now?  Starts a new cap window or SEDF period when one has
 * begun.  When it may not, (*until) is when that changes.
 */
bool sched_eligible(struct sched_board *b, int vm, uint64_t now, uint64_t *until);

/* How long (CPU time) a vCPU of (vm) granted now may run before it is asked
 * to check again. */
uint64_t sched_slice(struct sched_board *b, int vm, uint64_t now);

/* Move entry (vcpu) to (state), keeping the counters and wait time. */
void sched_set_state(struct sched_board *b, int vcpu, enum sched_vstate state, uint64_t now);

/* A VM whose vCPU wakes after blocking does not bank the time it slept. */
void sched_wakeup(struct sched_board *b, int vm, uint64_t now);

/*
 * Hand free CPUs to the best eligible waiting vCPUs, then ask the worst
 * running vCPU to yield if a waiting one is clearly better.
 */
void sched_dispatch(struct sched_board *b, uint64_t now, const struct sched_ops *ops);

/*
 * Take the grants of running vCPUs that have not checked in for
 * SCHED_STUCK_NS (a VM process stopped with SIGSTOP, or starved by the host
 * for that long) and hand them on; returns how many.  The loser is off the
 * board until it runs again and asks (it is charged what it used).
 */
#define SCHED_STUCK_NS (5 * SCHED_SLICE_NS)
int sched_revoke_stuck(struct sched_board *b, uint64_t now, const struct sched_ops *ops);

/*
 * Has (vm) used less than its share, so that a vCPU of it waking from a halt
 * may run at once without asking (Xen credit's BOOST)?  Under credit: its
 * virtual time is not ahead of the busiest demand's by more than (slack);
 * under SEDF: it has guaranteed time left.  Never while over its cap.
 */
bool sched_entitled(struct sched_board *b, int vm, uint64_t now, uint64_t slack);

/*
 * Fair queueing at a finer grain than the slice, for VMs that block and
 * wake (interactive ones): how long running entry (vcpu) may go on before
 * the best waiter that woke from a halt is due the CPU (its virtual time
 * passed by the runner's), 0 for now, UINT64_MAX when none waits.  A runner
 * keeps the CPU at least SCHED_MIN_RUN_NS once granted.
 */
#define SCHED_MIN_RUN_NS 250000ull
uint64_t sched_woken_due(struct sched_board *b, int vcpu, uint64_t now);

/* At the end of its slice: should running entry (vcpu) give up its CPU? */
bool sched_should_yield(struct sched_board *b, int vcpu, uint64_t now);

/*
 * The share of one host CPU (1.0 = a whole CPU) (vm) is entitled to when the
 * VMs marked in (active) (indexed like b->vm) compete for the host's CPUs.
 */
double sched_requested_share(const struct sched_board *b, int vm, const bool *active);

#endif
