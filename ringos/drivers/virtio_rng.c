// SPDX-License-Identifier: MIT
/*
 * virtio-rng (virtio 1.2 5.4): the entropy source behind /dev/hwrng,
 * /dev/urandom and getrandom when present.  One request at a time, into a
 * page the device fills.
 */
#include "errno.h"
#include "lib.h"
#include "mm.h"
#include "sleeplock.h"
#include "virtio.h"
#include "virtio_dev.h"

static struct {
    struct virtio_dev *dev;
    struct virtq q;
    uint8_t *page;
    struct sleeplock lock;
} rng;

int virtio_rng_probe(struct virtio_dev *d)
{
    if (rng.dev)
        return -ENODEV; /* one source is enough */
    int err = virtio_negotiate(d, 1ull << VIRTIO_F_EVENT_IDX);
    if (err)
        return err;
    rng.page = mm_alloc_pages(1);
    if (!rng.page) {
        virtio_fail(d);
        return -ENOMEM;
    }
    err = virtio_queue_init(d, &rng.q, 0, 8);
    if (err) {
        virtio_fail(d);
        mm_free_pages(rng.page, 1);
        return err;
    }
    virtio_ready(d);
    rng.dev = d;
    return 0;
}

bool virtio_rng_present(void)
{
    return rng.dev && !rng.q.broken;
}

bool virtio_rng_fill(void *buf, size_t n)
{
    uint8_t *out = buf;

    if (!rng.dev || rng.q.broken)
        return false;
    sleeplock_acquire(&rng.lock);
    while (n) {
        struct virtq_buf b = { virt_to_phys(rng.page), (uint32_t)MIN(n, PAGE_SIZE) };
        uint32_t len = 0;
        if (virtq_add(&rng.q, &b, 0, 1, rng.page))
            break;
        virtq_kick(&rng.q);
        void *t;
        while (!(t = virtq_get(&rng.q, &len)) && !rng.q.broken)
            virtq_wait(&rng.q);
        if (!t)
            break;
        /* The device may return fewer bytes than asked, never more. */
        len = MIN(len, b.len);
        if (!len)
            break;
        memcpy(out, rng.page, len);
        out += len;
        n -= len;
    }
    sleeplock_release(&rng.lock);
    /* A broken device mid-way: the caller falls back for the rest. */
    return n == 0;
}
