// SPDX-License-Identifier: MIT
/* Draining the guest's request ring: console output, batched per drain. */
#include "vmm/core/reqring.h"

#include <errno.h>
#include <string.h>

#include "abi/rv_ring.h"

int reqring_init(struct reqring *r, const struct guest_mem *mem, gpa_t gpa,
                 int (*console)(void *, const uint8_t *, uint32_t), void *opaque)
{
    memset(r, 0, sizeof(*r));
    if (!mem_gpa(mem, gpa, sizeof(struct rv_req_ring)))
        return -EFAULT;
    r->mem = mem;
    r->gpa = gpa;
    r->console = console;
    r->opaque = opaque;
    pthread_mutex_init(&r->lock, NULL);
    return 0;
}

void reqring_exit(struct reqring *r)
{
    if (r->mem)
        pthread_mutex_destroy(&r->lock);
    r->mem = NULL;
}

static int broken(struct reqring *r, const char *why)
{
    r->broken = true;
    r->why = why;
    return -EPROTO;
}

static int drain_locked(struct reqring *r)
{
    /* Placed and checked by the host at init; RAM never moves. */
    struct rv_req_ring *ring = mem_gpa(r->mem, r->gpa, sizeof(*ring));
    uint8_t out[RV_RING_SLOTS * RV_REQ_DATA];
    uint32_t used = 0, prod;
    int n = 0, err = 0;

    if (r->broken)
        return 0;
    /* Acquire: the slots the guest filled are visible once prod is. */
    prod = __atomic_load_n(&ring->prod, __ATOMIC_ACQUIRE);
    if (prod - r->cons > RV_RING_SLOTS)
        return broken(r, "request ring producer index out of range");
    while (r->cons != prod) {
        struct rv_req req;

        memcpy(&req, &ring->slot[r->cons % RV_RING_SLOTS], sizeof(req));
        if (req.len > RV_REQ_DATA) {
            err = broken(r, "request ring entry longer than its slot");
            break;
        }
        if (req.op != RV_REQ_CONSOLE) {
            err = broken(r, "request ring entry with an unknown op");
            break;
        }
        /* At most RV_RING_SLOTS entries per pass fit in out[]. */
        memcpy(out + used, req.data, req.len);
        used += req.len;
        r->cons++;
        n++;
    }
    if (used)
        (void)r->console(r->opaque, out, used);
    /* Release: the guest may reuse the slots only after we copied them. */
    __atomic_store_n(&ring->cons, r->cons, __ATOMIC_RELEASE);
    return err ? err : n;
}

int reqring_drain(struct reqring *r)
{
    int n;

    pthread_mutex_lock(&r->lock);
    n = drain_locked(r);
    pthread_mutex_unlock(&r->lock);
    return n;
}
