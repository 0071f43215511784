// SPDX-License-Identifier: MIT
/* A VM process on the scheduler board: the vCPU threads' hooks (member.h). */
#include "vmm/sched/member.h"

#include <errno.h>
#include <linux/futex.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vmm/sched/policy.h"

/* glibc before 2.36 has the field but not its name. */
#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

/* sched_setattr(2): not in glibc 2.36 (Debian 12). */
struct host_sched_attr {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
};

#define WAKE_SLICE_NS 100000ull /* the host's shortest fair-class slice */

/*
 * A halted vCPU's thread sleeps in the host kernel; when its guest's timer
 * fires, the thread needs a host CPU before the guest can even tell us it
 * woke.  The host lets a vCPU that is in the guest keep its CPU until it
 * next leaves the guest (on kvm_pvm up to a host tick, 4 ms at HZ=250), and
 * any thread woken meanwhile (a VM's main thread, woken by every signal
 * through its signalfd) may run first.  So from its block notice to its
 * wake notice a vCPU thread runs as a real-time thread (SCHED_FIFO 1): its
 * wake-up preempts at once.  It only decides who runs first, not how much:
 * the time is charged as any other, and a guest that runs on without its
 * wake notice is demoted after SCHED_BLOCK_CPU_NS of CPU.  Without the
 * privilege (CAP_SYS_NICE), the shortest fair-class slice is the next best
 * thing (sched_setattr's runtime, Linux 6.12+); it only makes the wake-up
 * preempt sooner.
 */
static void host_boost(struct sched_member *s, struct sched_vcpu_local *l, bool on)
{
    struct host_sched_attr a = { .size = sizeof(a), .policy = SCHED_OTHER };

    if (l->boosted == on)
        return;
    l->boosted = on;
    if (on && !s->no_fifo) {
        a.policy = SCHED_FIFO;
        a.priority = 1;
        if (syscall(SYS_sched_setattr, 0, &a, 0) == 0)
            return;
        s->no_fifo = true; /* not permitted: do not ask again */
        a.policy = SCHED_OTHER;
        a.priority = 0;
    }
    a.runtime = on ? WAKE_SLICE_NS : 0;
    syscall(SYS_sched_setattr, 0, &a, 0);
}

#define GATE_RECHECK_NS 100000000ull
#define BOOST_MAX_NS 1000000ull /* a woken vCPU's SCHED_FIFO outlasts no exit, nor this */
#define WAKE_KICK_LAG_NS 20000ull /* after the guest timer's host hrtimer */
#define WAKE_HINT_MIN_US 100u /* a waiter looks for dead holders this often */
#define MIN_TIMER_NS 50000ull

int sched_member_join(struct sched_member *s, const char *path, enum sched_policy policy,
                      const char *name, const struct sched_params *p, uint32_t nr_vcpus,
                      const char **why)
{
    int err;

    /* A board made here shares the CPUs this process may use (taskset). */
    err = sched_board_open(&s->map, path, policy, why);
    if (err)
        return err;
    sched_lock(s->map.b);
    sched_reap(s->map.b, sched_now());
    const char *full = sched_admit(s->map.b, -1, p, nr_vcpus);
    s->vm = sched_join(s->map.b, getpid(), name, p, nr_vcpus, sched_now(), &s->first);
    sched_unlock(s->map.b);
    if (s->vm < 0) {
        int err = s->vm;

        sched_board_close(&s->map);
        *why = err == -EBUSY && full ? full : "the scheduler board is full";
        return err;
    }
    return 0;
}

void sched_member_leave(struct sched_member *s)
{
    if (!s->map.b)
        return;
    sched_lock(s->map.b);
    sched_leave(s->map.b, s->vm, sched_now());
    sched_dispatch(s->map.b, sched_now(), &sched_host_ops);
    sched_unlock(s->map.b);
    sched_board_close(&s->map);
}

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void arm(timer_t t, uint64_t ns)
{
    struct itimerspec its = { .it_value = { .tv_sec = (time_t)(ns / 1000000000ull),
                                            .tv_nsec = (long)(ns % 1000000000ull) } };

    timer_settime(t, 0, &its, NULL);
}

static void disarm(timer_t t)
{
    struct itimerspec its = { 0 };

    timer_settime(t, 0, &its, NULL);
}

int sched_vcpu_init(struct sched_member *s, struct sched_vcpu_local *l, uint32_t index,
                    int vcpu_fd)
{
    struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SCHED_SIGNAL };
    struct {
        struct kvm_signal_mask m;
        uint64_t set;
    } km = { .m.len = 8 };
    sigset_t blk, run;

    memset(l, 0, sizeof(*l));
    l->idx = s->first + (int)index;
    sigemptyset(&blk);
    sigaddset(&blk, SCHED_SIGNAL);
    pthread_sigmask(SIG_BLOCK, &blk, &run);
    /* Inside KVM_RUN the thread takes the signal: it ends KVM_RUN with
     * EINTR even when it arrives just before entry, so no kick is lost. */
    sigdelset(&run, SCHED_SIGNAL);
    memcpy(&km.set, &run, 8);
    if (ioctl(vcpu_fd, KVM_SET_SIGNAL_MASK, &km) < 0)
        return -errno;
    sev.sigev_notify_thread_id = (pid_t)syscall(SYS_gettid);
    if (timer_create(CLOCK_MONOTONIC, &sev, &l->slice_timer) < 0)
        return -errno;
    if (timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &l->cpu_timer) < 0) {
        int err = -errno;

        timer_delete(l->slice_timer);
        return err;
    }
    l->timers = true;
    sched_lock(s->map.b);
    s->map.b->vcpu[l->idx].tid = sev.sigev_notify_thread_id;
    sched_unlock(s->map.b);
    return 0;
}

/* Charge what the thread used since the last charge; returns the clock now. */
static uint64_t charge(struct sched_member *s, struct sched_vcpu_local *l, uint64_t now)
{
    uint64_t cpu = thread_cpu_ns();

    if (cpu > l->cpu_mark)
        sched_charge(s->map.b, s->vm, cpu - l->cpu_mark, now);
    l->cpu_mark = cpu;
    s->map.b->vcpu[l->idx].mark = now;
    s->map.b->vcpu[l->idx].cpu = sched_getcpu();
    return cpu;
}

/*
 * The next time a blocked vCPU's guest timer is due (its BLOCK hint), or
 * UINT64_MAX.  On kvm_pvm the host kernel wakes a halted vCPU's thread on
 * time but lets it run only when the running vCPU next leaves the guest (a
 * host tick later, up to 4 ms): so the runner leaves the guest then.
 */
static uint64_t next_wake(const struct sched_board *b, uint64_t now)
{
    uint64_t t = UINT64_MAX;

    for (uint32_t i = 0; i < b->hw_vcpu; i++)
        if (b->vcpu[i].state == SV_BLOCKED && b->vcpu[i].wake_at > now &&
            b->vcpu[i].wake_at < t)
            t = b->vcpu[i].wake_at;
    return t;
}

/* Arm the slice timer for (ns) from now, or for the next guest wake-up
 * before that. */
static void arm_slice(struct sched_member *s, struct sched_vcpu_local *l, uint64_t ns,
                      uint64_t now)
{
    uint64_t w = next_wake(s->map.b, now), due = sched_woken_due(s->map.b, l->idx, now);

    if (w != UINT64_MAX && w + WAKE_KICK_LAG_NS - now < ns)
        ns = w + WAKE_KICK_LAG_NS - now;
    if (due < ns)
        ns = due;
    /* Check in well within SCHED_STUCK_NS, even in a long SEDF slice. */
    if (ns > SCHED_STUCK_NS / 2)
        ns = SCHED_STUCK_NS / 2;
    arm(l->slice_timer, ns > MIN_TIMER_NS ? ns : MIN_TIMER_NS);
}

/*
 * Run on the host CPU of the slot we were granted: the board decides which
 * vCPU runs on which CPU (as Xen's scheduler places vCPUs on pCPUs), so two
 * granted vCPUs never share one CPU while another idles until the host moves
 * one.  The granter pinned us already (host_wake); a waker that took a
 * runner's slot pins itself here.
 */
static void pin(struct sched_member *s, struct sched_vcpu_local *l)
{
    int cpu = sched_slot_cpu(s->map.b, l->idx);

    if (cpu >= 0 && cpu != sched_getcpu())
        sched_pin(0, cpu);
}

/* Just granted, or extended: run for the policy's slice from now. */
static void start_slice(struct sched_member *s, struct sched_vcpu_local *l, uint64_t now)
{
    uint64_t slice = sched_slice(s->map.b, s->vm, now);

    pin(s, l);
    l->cpu_mark = thread_cpu_ns();
    s->map.b->vcpu[l->idx].mark = now;
    s->map.b->vcpu[l->idx].cpu = sched_getcpu();
    l->cpu_end = l->cpu_mark + slice;
    /* A guest that halts without telling us uses no CPU: the wall clock
     * bounds how long it can sit on a grant it does not use. */
    l->wall_end = now + 2 * slice;
    arm_slice(s, l, l->boosted && slice > BOOST_MAX_NS ? BOOST_MAX_NS : slice, now);
}

/*
 * A waker that preempted this vCPU took its grant while it was still in
 * KVM_RUN (policy.c): charge what it ran until now and end its slice.
 * Returns true if that happened.
 */
static bool settle_revoked(struct sched_member *s, struct sched_vcpu_local *l, uint64_t now)
{
    if (s->map.b->vcpu[l->idx].state == SV_RUNNING || !l->cpu_end)
        return false;
    charge(s, l, now);
    l->cpu_end = 0;
    disarm(l->slice_timer);
    return true;
}

bool sched_vcpu_gate(struct sched_member *s, struct sched_vcpu_local *l)
{
    struct sched_board *b = s->map.b;
    struct sched_vcpu *e = &b->vcpu[l->idx];
    uint64_t now = sched_now();

    sched_lock(b);
    if (e->state == SV_OFF) {
        if (l->guest_blocked) {
            /* Back from a pause in the middle of a halt. */
            sched_set_state(b, l->idx, SV_BLOCKED, now);
            l->cpu_mark = thread_cpu_ns();
            arm(l->cpu_timer, SCHED_BLOCK_CPU_NS);
        } else {
            /* Back from a pause (or starting): no credit for the time off. */
            sched_wakeup(b, s->vm, now);
            e->cpu = sched_getcpu();
            sched_set_state(b, l->idx, SV_WAITING, now);
            sched_dispatch(b, now, &sched_host_ops);
        }
    }
    while (e->state == SV_WAITING) {
        uint32_t seq = e->grant;
        uint64_t until = now + GATE_RECHECK_NS, t;
        struct timespec ts;
        long r;

        if (!sched_eligible(b, s->vm, now, &t) && t < until)
            until = t;
        sched_unlock(b);
        host_boost(s, l, false); /* waiting is not urgent */
        ts.tv_sec = (time_t)((until - now) / 1000000000ull);
        ts.tv_nsec = (long)((until - now) % 1000000000ull);
        r = syscall(SYS_futex, &e->grant, FUTEX_WAIT, seq, &ts, NULL, 0);
        int err = r < 0 ? errno : 0;

        now = sched_now();
        sched_lock(b);
        if (err == EINTR && e->state == SV_WAITING) {
            /* A pause or stop kick: stop asking; the caller parks. */
            sched_set_state(b, l->idx, SV_OFF, now);
            sched_dispatch(b, now, &sched_host_ops);
            sched_unlock(b);
            return false;
        }
        if (err == ETIMEDOUT) {
            /* Holders that died, or stopped, without giving their grants back. */
            sched_reap(b, now);
            sched_revoke_stuck(b, now, &sched_host_ops);
            sched_dispatch(b, now, &sched_host_ops);
        }
    }
    bool fresh = e->state == SV_RUNNING && !l->cpu_end;

    if (fresh)
        start_slice(s, l, now);
    bool go = e->state == SV_RUNNING || e->state == SV_BLOCKED;
    bool blocked = e->state == SV_BLOCKED;
    sched_unlock(b);
    /* A vCPU granted right at its wake notice enters the guest still
     * boosted (start_slice made its first check-in come within
     * BOOST_MAX_NS); any later trip through here ends the boost. */
    if (!blocked && !fresh)
        host_boost(s, l, false);
    return go;
}

/* Take every pending scheduler signal (it stays blocked outside KVM_RUN). */
static void eat_signal(void)
{
    static const struct timespec zero = { 0, 0 };
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SCHED_SIGNAL);
    while (sigtimedwait(&set, NULL, &zero) > 0)
        ;
}

void sched_vcpu_check(struct sched_member *s, struct sched_vcpu_local *l)
{
    struct sched_board *b = s->map.b;
    struct sched_vcpu *e = &b->vcpu[l->idx];
    uint64_t now = sched_now(), cpu;

    eat_signal();
    if (b->vcpu[l->idx].state == SV_RUNNING)
        host_boost(s, l, false);
    sched_lock(b);
    if (settle_revoked(s, l, now)) {
        /* The gate waits for the next grant. */
    } else if (e->state == SV_RUNNING) {
        cpu = charge(s, l, now);
        if (e->preempt || cpu >= l->cpu_end || now >= l->wall_end) {
            if (sched_should_yield(b, l->idx, now)) {
                l->cpu_end = 0;
                sched_set_state(b, l->idx, SV_WAITING, now);
                sched_dispatch(b, now, &sched_host_ops);
            } else {
                e->preempt = 0;
                start_slice(s, l, now);
            }
        } else if (sched_woken_due(b, l->idx, now) == 0) {
            /* A VM that woke up and waits is due the CPU now. */
            l->cpu_end = 0;
            sched_set_state(b, l->idx, SV_WAITING, now);
            sched_dispatch(b, now, &sched_host_ops);
        } else {
            /* Early (a wake-up is due, it shared its CPU, or a stale
             * signal): the rest of it. */
            uint64_t a = l->cpu_end - cpu, w = l->wall_end - now;

            arm_slice(s, l, a < w ? a : w, now);
        }
    } else if (e->state == SV_BLOCKED && thread_cpu_ns() - l->cpu_mark >= SCHED_BLOCK_CPU_NS) {
        /* It runs but never said it woke: it now waits like everyone. */
        host_boost(s, l, false);
        charge(s, l, now);
        l->guest_blocked = false;
        l->cpu_end = 0;
        sched_set_state(b, l->idx, SV_WAITING, now);
        sched_dispatch(b, now, &sched_host_ops);
    }
    sched_unlock(b);
}

bool sched_vcpu_block(struct sched_member *s, struct sched_vcpu_local *l, uint32_t wake_us,
                      bool may_skip)
{
    struct sched_board *b = s->map.b;
    uint64_t now = sched_now();
    bool wake = true;

    sched_lock(b);
    enum sched_vstate st = b->vcpu[l->idx].state;

    if (settle_revoked(s, l, now) || st == SV_RUNNING || st == SV_BLOCKED) {
        /* From SV_BLOCKED: it ran on after a halt without a grant (told it
         * could skip the wake notice) and blocks again: charge that run. */
        if (st == SV_RUNNING || st == SV_BLOCKED)
            charge(s, l, now);
        l->guest_blocked = true;
        l->cpu_end = 0;
        sched_set_state(b, l->idx, SV_BLOCKED, now);
        /* Hints too soon to matter are not worth a runner's exit. */
        if (wake_us >= WAKE_HINT_MIN_US)
            b->vcpu[l->idx].wake_at = now + (uint64_t)wake_us * 1000;
        disarm(l->slice_timer);
        arm(l->cpu_timer, SCHED_BLOCK_CPU_NS);
        /*
         * Only a VM behind its share (or nearly) is boosted, and only one
         * behind it may skip the wake notice: it is owed the CPU at once.  Boosted before
         * the CPU is handed on, as the thread woken for it would otherwise
         * preempt this one before it is back in KVM_RUN to halt, and it
         * could then sit runnable, its guest's timer unseen, for a host
         * tick.  A VM at or over its share waits for a grant after waking
         * anyway, and gets no real-time priority to abuse.
         */
        bool owed = sched_entitled(b, s->vm, now, 0);

        /* Within a slice of its share is close enough for the boost: each
         * boosted run is charged, so it cannot stay boosted for long. */
        host_boost(s, l, owed || sched_entitled(b, s->vm, now, SCHED_SLICE_NS));
        if (may_skip && owed)
            wake = false;
        sched_dispatch(b, now, &sched_host_ops);
    }
    sched_unlock(b);
    return wake;
}

void sched_vcpu_wake(struct sched_member *s, struct sched_vcpu_local *l)
{
    struct sched_board *b = s->map.b;
    uint64_t now = sched_now();

    /* The boost stays until the gate: this thread should get back into the
     * guest before the runner it displaces, or anyone that wakes, runs. */
    sched_lock(b);
    l->guest_blocked = false;
    if (b->vcpu[l->idx].state == SV_BLOCKED) {
        charge(s, l, now);
        disarm(l->cpu_timer);
        sched_wakeup(b, s->vm, now);
        sched_set_state(b, l->idx, SV_WAITING, now);
        b->vcpu[l->idx].woken = 1;
        sched_dispatch(b, now, &sched_host_ops);
        /* Not on a CPU yet: the runners work out when it is due one. */
        if (b->vcpu[l->idx].state == SV_WAITING)
            for (uint32_t i = 0; i < b->hw_vcpu; i++)
                if (b->vcpu[i].state == SV_RUNNING)
                    sched_host_ops.preempt(b, (int)i);
    }
    sched_unlock(b);
}

void sched_vcpu_release(struct sched_member *s, struct sched_vcpu_local *l)
{
    struct sched_vcpu *e = &s->map.b->vcpu[l->idx];
    uint64_t now = sched_now();

    sched_lock(s->map.b);
    /* A slice revoked by a waker is charged by settle_revoked(), which
     * needs cpu_end still set to know there was one. */
    if (!settle_revoked(s, l, now) && (e->state == SV_RUNNING || e->state == SV_BLOCKED))
        charge(s, l, now);
    l->cpu_end = 0;
    sched_set_state(s->map.b, l->idx, SV_OFF, now);
    disarm(l->slice_timer);
    disarm(l->cpu_timer);
    sched_dispatch(s->map.b, now, &sched_host_ops);
    sched_unlock(s->map.b);
}

void sched_vcpu_exit(struct sched_member *s, struct sched_vcpu_local *l)
{
    sched_vcpu_release(s, l);
    sched_lock(s->map.b);
    s->map.b->vcpu[l->idx].tid = 0;
    sched_unlock(s->map.b);
    if (l->timers) {
        timer_delete(l->slice_timer);
        timer_delete(l->cpu_timer);
    }
    eat_signal();
}
