/* SPDX-License-Identifier: MIT */
/*
 * Host side of the asynchronous request ring (abi/rv_ring.h).  The ring is
 * hostile input: the host keeps its own consumer index, copies each slot
 * before looking at it, and stops serving a ring that breaks a rule.
 */
#ifndef VMM_REQRING_H
#define VMM_REQRING_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/core/mem.h"

struct reqring {
    const struct guest_mem *mem;
    gpa_t gpa;
    uint32_t cons;        /* host shadow: the guest's copy is never read */
    bool broken;
    const char *why;      /* reason it broke, for one log line */
    pthread_mutex_t lock; /* the I/O thread and a powering-off vCPU both drain */
    /* Where console bytes go; returns 0 or -errno. */
    int (*console)(void *opaque, const uint8_t *buf, uint32_t len);
    void *opaque;
};

/* Set up (r) for the ring at (gpa), which must lie in RAM.  0 or -EFAULT. */
int reqring_init(struct reqring *r, const struct guest_mem *mem, gpa_t gpa,
                 int (*console)(void *, const uint8_t *, uint32_t), void *opaque)
    __attribute__((warn_unused_result));
void reqring_exit(struct reqring *r);

/*
 * Consume every request the guest has published.  Returns the number of
 * requests served, or -EPROTO the first time the ring is found broken (the
 * caller logs r->why once); a broken ring is ignored afterwards (returns 0).
 */
int reqring_drain(struct reqring *r);

#endif
