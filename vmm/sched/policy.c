// SPDX-License-Identifier: MIT
/* Credit and SEDF: charging, eligibility, picking and preemption (policy.h). */
#include "vmm/sched/policy.h"

#include <stddef.h>

/* Virtual time advances by 256/weight per nanosecond of CPU. */
static uint64_t scaled(uint64_t ns, uint32_t weight)
{
    return weight ? ns * SCHED_WEIGHT_DEFAULT / weight : ns;
}

static bool sedf(const struct sched_board *b)
{
    return b->policy == SCHED_SEDF;
}

/* SEDF: does (v) hold a guarantee with time left in its period? */
static bool guaranteed(const struct sched_board *b, const struct sched_vm *v)
{
    return sedf(b) && v->p.slice_ns && v->left;
}

void sched_charge(struct sched_board *b, int vm, uint64_t ns, uint64_t now)
{
    struct sched_vm *v = &b->vm[vm];
    uint64_t until;

    (void)sched_eligible(b, vm, now, &until); /* roll the window/period first */
    v->used_ns += ns;
    v->cap_used += ns;
    if (sedf(b) && v->p.slice_ns) {
        uint64_t g = ns < v->left ? ns : v->left;

        v->left -= g;
        ns -= g; /* only time beyond the guarantee is extra time */
        if (ns)
            sched_wakeup(b, vm, now); /* nor does the guarantee bank extra time */
    }
    v->vtime += scaled(ns, v->p.weight);
}

bool sched_eligible(struct sched_board *b, int vm, uint64_t now, uint64_t *until)
{
    struct sched_vm *v = &b->vm[vm];
    uint64_t next = UINT64_MAX;
    bool ok = true;

    if (now >= v->cap_start + SCHED_CAP_WINDOW_NS) {
        /* Windows are aligned to the VM's start; unused budget does not carry. */
        v->cap_start = now - (now - v->joined) % SCHED_CAP_WINDOW_NS;
        v->cap_used = 0;
    }
    if (v->p.cap && v->cap_used * 100 >= (uint64_t)v->p.cap * SCHED_CAP_WINDOW_NS) {
        ok = false;
        next = v->cap_start + SCHED_CAP_WINDOW_NS;
    }
    if (sedf(b) && v->p.slice_ns) {
        if (now >= v->deadline) {
            uint64_t behind = (now - v->deadline) / v->p.period_ns + 1;

            v->deadline += behind * v->p.period_ns;
            v->left = v->p.slice_ns;
        }
        if (!v->left && !v->p.extra) {
            ok = false;
            if (next == UINT64_MAX || v->deadline > next)
                next = v->deadline; /* both limits must have passed */
        }
    }
    if (!ok)
        *until = next;
    return ok;
}

uint64_t sched_slice(struct sched_board *b, int vm, uint64_t now)
{
    struct sched_vm *v = &b->vm[vm];
    uint64_t s = SCHED_SLICE_NS, until;

    (void)sched_eligible(b, vm, now, &until);
    if (guaranteed(b, v))
        s = v->left; /* EDF: run the guarantee out unless preempted */
    if (v->p.cap) {
        uint64_t budget = (uint64_t)v->p.cap * SCHED_CAP_WINDOW_NS / 100;
        uint64_t left = budget > v->cap_used ? budget - v->cap_used : 0;

        if (left < s)
            s = left;
    }
    return s > SCHED_MIN_SLICE_NS ? s : SCHED_MIN_SLICE_NS;
}

/*
 * A free CPU slot for a vCPU last seen on host CPU (cpu): that CPU's if it is
 * free (no migration), else the first free one; -1 if none (not expected:
 * grants never outnumber slots).
 */
static int take_slot(const struct sched_board *b, int32_t cpu)
{
    int any = -1;

    for (uint32_t i = 0; i < b->nr_cpus && i < SCHED_MAX_CPUS; i++) {
        if (b->slot_vcpu[i] >= 0)
            continue;
        if (b->cpu_id[i] == cpu)
            return (int)i;
        if (any < 0)
            any = (int)i;
    }
    return any;
}

void sched_set_state(struct sched_board *b, int vcpu, enum sched_vstate state, uint64_t now)
{
    struct sched_vcpu *e = &b->vcpu[vcpu];
    struct sched_vm *v = &b->vm[e->vm];

    if (e->state == (uint32_t)state)
        return;
    if (e->state == SV_WAITING) {
        v->nr_waiting--;
        v->wait_ns += now - e->since;
    } else if (e->state == SV_RUNNING) {
        v->nr_running--;
        b->nr_running--;
        if (e->slot >= 0 && (uint32_t)e->slot < SCHED_MAX_CPUS)
            b->slot_vcpu[e->slot] = -1;
        e->slot = -1;
    }
    if (state == SV_WAITING) {
        v->nr_waiting++;
    } else if (state == SV_RUNNING) {
        v->nr_running++;
        b->nr_running++;
        e->mark = now;
        e->slot = take_slot(b, e->cpu);
        if (e->slot >= 0)
            b->slot_vcpu[e->slot] = vcpu;
    }
    e->state = state;
    e->since = now;
    e->preempt = 0;
    e->wake_at = 0;
    e->woken = 0;
    __atomic_add_fetch(&e->grant, 1, __ATOMIC_RELEASE);
}

static void advance_vclock(struct sched_board *b, uint64_t now);

void sched_wakeup(struct sched_board *b, int vm, uint64_t now)
{
    struct sched_vm *v = &b->vm[vm];

    /* The others may have run on alone, extending their slices without a
     * dispatch: bring the clock up to them first. */
    advance_vclock(b, now);
    if (b->vclock > SCHED_SLEEP_BONUS_NS && v->vtime < b->vclock - SCHED_SLEEP_BONUS_NS)
        v->vtime = b->vclock - SCHED_SLEEP_BONUS_NS;
}

/* The virtual time a running vCPU's VM has reached, counting its slice so far. */
static uint64_t vtime_now(const struct sched_board *b, int vcpu, uint64_t now)
{
    const struct sched_vcpu *e = &b->vcpu[vcpu];
    const struct sched_vm *v = &b->vm[e->vm];

    if (e->state != SV_RUNNING || now < e->mark || guaranteed(b, v))
        return v->vtime;
    return v->vtime + scaled(now - e->mark, v->p.weight);
}

/*
 * Is VM (a) (virtual time ta) to run before VM (c) (tc), by at least (gran)
 * of virtual time when both are best effort?  Guarantees come first, the
 * earliest deadline first among them.
 */
static bool before(const struct sched_board *b, int a, uint64_t ta, int c, uint64_t tc,
                   uint64_t gran)
{
    const struct sched_vm *va = &b->vm[a], *vc = &b->vm[c];
    bool ga = guaranteed(b, va), gc = guaranteed(b, vc);

    if (ga != gc)
        return ga;
    if (ga)
        return va->deadline < vc->deadline;
    return ta + gran < tc;
}

/* The best waiting vCPU whose VM may run, or -1; FIFO among equals. */
static int best_waiter(struct sched_board *b, uint64_t now)
{
    int best = -1;
    uint64_t until;

    for (uint32_t i = 0; i < b->hw_vcpu; i++) {
        struct sched_vcpu *e = &b->vcpu[i];

        if (e->state != SV_WAITING || !sched_eligible(b, e->vm, now, &until))
            continue;
        if (best < 0)
            best = (int)i;
        else {
            const struct sched_vcpu *f = &b->vcpu[best];
            int a = e->vm, c = f->vm;

            if (before(b, a, b->vm[a].vtime, c, b->vm[c].vtime, 0) ||
                (!before(b, c, b->vm[c].vtime, a, b->vm[a].vtime, 0) && e->since < f->since))
                best = (int)i;
        }
    }
    return best;
}

/*
 * The running vCPU that waiter (w) should take the CPU from, or -1: one on
 * w's own host CPU if w is ahead of it (handing over in place leaves no CPU
 * idle while the host moves threads around), else the one furthest ahead.
 */
static int victim(struct sched_board *b, int w, uint64_t now)
{
    const struct sched_vcpu *we = &b->vcpu[w];
    uint64_t wt = b->vm[we->vm].vtime;
    int worst = -1;

    for (uint32_t i = 0; i < b->hw_vcpu; i++) {
        struct sched_vcpu *e = &b->vcpu[i];

        if (e->state != SV_RUNNING || e->preempt)
            continue;
        if (b->nr_cpus > 1 && e->cpu == we->cpu &&
            before(b, we->vm, wt, e->vm, vtime_now(b, (int)i, now), SCHED_WAKE_GRAN_NS))
            return (int)i;
        if (worst < 0 || before(b, b->vcpu[worst].vm, vtime_now(b, worst, now), e->vm,
                                vtime_now(b, (int)i, now), 0))
            worst = (int)i;
    }
    return worst;
}

static void advance_vclock(struct sched_board *b, uint64_t now)
{
    uint64_t lo = UINT64_MAX;

    for (uint32_t i = 0; i < b->hw_vcpu; i++) {
        const struct sched_vcpu *e = &b->vcpu[i];

        if (e->state == SV_WAITING || e->state == SV_RUNNING) {
            uint64_t t = vtime_now(b, (int)i, now);

            if (t < lo)
                lo = t;
        }
    }
    if (lo != UINT64_MAX && lo > b->vclock)
        b->vclock = lo;
}

void sched_dispatch(struct sched_board *b, uint64_t now, const struct sched_ops *ops)
{
    int w, r;

    advance_vclock(b, now);
    while (b->nr_running < b->nr_cpus && (w = best_waiter(b, now)) >= 0) {
        sched_set_state(b, w, SV_RUNNING, now);
        ops->wake(b, w);
    }
    w = best_waiter(b, now);
    if (w < 0 || b->nr_running < b->nr_cpus)
        return;
    r = victim(b, w, now);
    if (r < 0)
        return;
    if (before(b, b->vcpu[w].vm, b->vm[b->vcpu[w].vm].vtime, b->vcpu[r].vm,
               vtime_now(b, r, now), SCHED_WAKE_GRAN_NS)) {
        /*
         * Hand the CPU over at once: the waker runs now rather than after
         * the loser's thread has been scheduled to notice the signal (on a
         * busy host that could take a host time slice).  The loser finds
         * its grant gone at its next check and is charged what it used.
         */
        sched_set_state(b, r, SV_WAITING, now);
        sched_set_state(b, w, SV_RUNNING, now);
        ops->wake(b, w);
        ops->preempt(b, r);
    }
}

int sched_revoke_stuck(struct sched_board *b, uint64_t now, const struct sched_ops *ops)
{
    int n = 0;

    for (uint32_t i = 0; i < b->hw_vcpu; i++) {
        struct sched_vcpu *e = &b->vcpu[i];

        /* A running vCPU's slice timer makes it check in at least every
         * 2 * slice of wall time (member.c). */
        if (e->state == SV_RUNNING && now > e->mark + SCHED_STUCK_NS) {
            /* Off, not waiting: it asks again when it runs again. */
            sched_set_state(b, (int)i, SV_OFF, now);
            ops->preempt(b, (int)i);
            n++;
        }
    }
    if (n)
        sched_dispatch(b, now, ops);
    return n;
}

bool sched_entitled(struct sched_board *b, int vm, uint64_t now, uint64_t slack)
{
    const struct sched_vm *v = &b->vm[vm];
    uint64_t until;

    if (!sched_eligible(b, vm, now, &until))
        return false;
    if (sedf(b) && v->p.slice_ns)
        return v->left > 0;
    advance_vclock(b, now);
    return v->vtime <= b->vclock + slack;
}

uint64_t sched_woken_due(struct sched_board *b, int vcpu, uint64_t now)
{
    const struct sched_vcpu *e = &b->vcpu[vcpu];
    const struct sched_vm *r = &b->vm[e->vm];
    uint64_t rv, wv = UINT64_MAX, ran, min, until;

    if (e->state != SV_RUNNING || guaranteed(b, r))
        return UINT64_MAX;
    for (uint32_t i = 0; i < b->hw_vcpu; i++) {
        const struct sched_vcpu *x = &b->vcpu[i];

        if (x->state == SV_WAITING && x->woken && !guaranteed(b, &b->vm[x->vm]) &&
            b->vm[x->vm].vtime < wv && sched_eligible(b, x->vm, now, &until))
            wv = b->vm[x->vm].vtime;
    }
    if (wv == UINT64_MAX)
        return UINT64_MAX;
    rv = vtime_now(b, vcpu, now);
    ran = now > e->since ? now - e->since : 0;
    min = ran < SCHED_MIN_RUN_NS ? SCHED_MIN_RUN_NS - ran : 0;
    if (wv < rv)
        return min;
    /* Real time for the runner's virtual time to pass the waiter's. */
    uint64_t d = (wv - rv) * r->p.weight / SCHED_WEIGHT_DEFAULT + 1;

    return d > min ? d : min;
}

bool sched_should_yield(struct sched_board *b, int vcpu, uint64_t now)
{
    struct sched_vcpu *e = &b->vcpu[vcpu];
    uint64_t until;
    int w;

    if (!sched_eligible(b, e->vm, now, &until) || e->preempt)
        return true;
    w = best_waiter(b, now);
    if (w < 0)
        return false;
    /* Round robin: a waiter that is not behind us goes next. */
    return !before(b, e->vm, b->vm[e->vm].vtime, b->vcpu[w].vm, b->vm[b->vcpu[w].vm].vtime, 0);
}

/*
 * Water-filling: share (capacity) among the VMs in (set) in proportion to
 * weight, none above its limit, handing what a limited VM cannot use to the
 * others.  (share) and (limit) are indexed like b->vm.
 */
static void fill(const struct sched_board *b, const bool *set, const double *limit,
                 double capacity, double *share)
{
    bool done[SCHED_MAX_VMS] = { false };

    for (;;) {
        double wsum = 0;
        bool again = false;

        for (uint32_t i = 0; i < b->hw_vm; i++)
            if (set[i] && !done[i])
                wsum += b->vm[i].p.weight;
        if (wsum <= 0 || capacity <= 0)
            return;
        for (uint32_t i = 0; i < b->hw_vm; i++)
            if (set[i] && !done[i] && capacity * b->vm[i].p.weight / wsum >= limit[i]) {
                share[i] += limit[i];
                capacity -= limit[i];
                done[i] = true;
                again = true;
            }
        if (again)
            continue;
        for (uint32_t i = 0; i < b->hw_vm; i++)
            if (set[i] && !done[i])
                share[i] += capacity * b->vm[i].p.weight / wsum;
        return;
    }
}

double sched_requested_share(const struct sched_board *b, int vm, const bool *active)
{
    double share[SCHED_MAX_VMS] = { 0 }, limit[SCHED_MAX_VMS] = { 0 };
    bool best_effort[SCHED_MAX_VMS] = { false };
    double capacity = b->nr_cpus;

    for (uint32_t i = 0; i < b->hw_vm; i++) {
        const struct sched_vm *v = &b->vm[i];

        if (!active[i] || !v->in_use)
            continue;
        limit[i] = v->nr_vcpus;
        if (v->p.cap && v->p.cap / 100.0 < limit[i])
            limit[i] = v->p.cap / 100.0;
        if (sedf(b) && v->p.slice_ns) {
            double g = (double)v->p.slice_ns / (double)v->p.period_ns;

            share[i] = g < limit[i] ? g : limit[i];
            capacity -= share[i];
            limit[i] -= share[i];
            best_effort[i] = v->p.extra;
        } else {
            best_effort[i] = true;
        }
    }
    fill(b, best_effort, limit, capacity, share);
    return vm >= 0 && (uint32_t)vm < b->hw_vm ? share[vm] : 0;
}
