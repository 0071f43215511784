/* SPDX-License-Identifier: MIT */
/*
 * A lock held across sleeps (disk I/O), for code that already runs under
 * the kernel lock: the test and the set cannot interleave with another CPU.
 * Held shared (readers, together) or exclusive (one writer).  Waiters queue
 * in arrival order, each sleeping on its own entry; a release hands the
 * lock to the first (or to the run of readers at the head) instead of
 * waking everyone to race for it.  A writer queued behind readers keeps
 * later readers out, so it cannot starve.
 */
#ifndef RINGOS_SLEEPLOCK_H
#define RINGOS_SLEEPLOCK_H

#include "errno.h"
#include "proc.h"

struct sleeplock_waiter {
    struct sleeplock_waiter *next;
    bool shared;
    bool granted;
};

struct sleeplock {
    bool held;         /* exclusively */
    unsigned readers;  /* holding it shared */
    struct sleeplock_waiter *head, *tail;
};

static inline void sleeplock_wait(struct sleeplock *l, bool shared)
{
    struct sleeplock_waiter w = { .shared = shared };

    if (l->tail)
        l->tail->next = &w;
    else
        l->head = &w;
    l->tail = &w;
    while (!w.granted) {
        /* A pending signal makes proc_sleep return at once: yield instead. */
        if (proc_sleep(&w) == -EINTR)
            proc_yield();
    }
}

/* Give the lock to the head of the queue: one writer, or every reader up to the next writer. */
static inline void sleeplock_grant(struct sleeplock *l)
{
    while (l->head && !l->held && (l->head->shared || !l->readers)) {
        struct sleeplock_waiter *w = l->head;
        l->head = w->next;
        if (!l->head)
            l->tail = NULL;
        if (w->shared)
            l->readers++;
        else
            l->held = true;
        w->granted = true;
        proc_wakeup(w);
    }
}

static inline void sleeplock_acquire(struct sleeplock *l)
{
    if (!l->held && !l->readers && !l->head)
        l->held = true;
    else
        sleeplock_wait(l, false);
}

static inline void sleeplock_release(struct sleeplock *l)
{
    l->held = false;
    sleeplock_grant(l);
}

static inline void sleeplock_acquire_shared(struct sleeplock *l)
{
    if (!l->held && !l->head)
        l->readers++;
    else
        sleeplock_wait(l, true);
}

static inline void sleeplock_release_shared(struct sleeplock *l)
{
    l->readers--;
    sleeplock_grant(l);
}

#endif
