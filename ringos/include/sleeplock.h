/* SPDX-License-Identifier: MIT */
/*
 * A lock held across sleeps (disk I/O), for code that already runs under
 * the kernel lock: the test and the set cannot interleave with another CPU.
 */
#ifndef RINGOS_SLEEPLOCK_H
#define RINGOS_SLEEPLOCK_H

#include "errno.h"
#include "proc.h"

struct sleeplock {
    bool held;
};

static inline void sleeplock_acquire(struct sleeplock *l)
{
    while (l->held) {
        /* A pending signal makes proc_sleep return at once: yield instead. */
        if (proc_sleep(l) == -EINTR)
            proc_yield();
    }
    l->held = true;
}

static inline void sleeplock_release(struct sleeplock *l)
{
    l->held = false;
    proc_wakeup(l);
}

#endif
