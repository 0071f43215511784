/* SPDX-License-Identifier: MIT */
/*
 * virtio 1.x over PCI (modern transport only): device discovery (the
 * ringvisor start-info list, else a PCI scan of bus 0), feature negotiation,
 * split virtqueues with VIRTIO_F_EVENT_IDX, and MSI-X vectors whose handlers
 * wake the thread waiting on a queue.
 */
#ifndef RINGOS_VIRTIO_H
#define RINGOS_VIRTIO_H

#include "types.h"

#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4

#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

#define VIRTIO_STATUS_NEEDS_RESET 0x40

/* virtq_desc.flags (virtio 1.2 2.7.5) */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct virtq;
struct rv_dev;

struct virtio_dev {
    uint16_t type; /* VIRTIO_ID_* */
    uint8_t bus, devfn;
    bool readonly; /* start-info RV_DEV_READONLY */
    char name[16]; /* start-info name, "" when found by probing */
    volatile uint8_t *common, *isr, *devcfg, *notify;
    uint32_t notify_len, devcfg_len;
    uint32_t notify_mult;
    volatile uint32_t *msix; /* the MSI-X table */
    uint16_t msix_count;
    uint8_t msix_cap;
    uint64_t features; /* negotiated */
};

/* One buffer of a request: device-readable (out) or device-writable (in). */
struct virtq_buf {
    uint64_t gpa;
    uint32_t len;
};

struct virtq {
    struct virtio_dev *dev;
    uint16_t index, size;
    struct virtq_desc *desc;
    volatile uint16_t *avail; /* flags, idx, ring[size], used_event */
    volatile uint32_t *used;  /* flags|idx, {id, len}[size], avail_event */
    uint16_t *next;           /* our free list: never read back from desc[] */
    uint16_t *chain;          /* descriptors in the chain starting at a head */
    void **token;             /* per head, NULL when free */
    uint16_t free_head, num_free;
    uint16_t avail_idx;       /* what we last published in avail->idx */
    uint16_t kicked_idx;      /* avail_idx at the last notification decision */
    uint16_t last_used;
    volatile uint16_t *notify_addr;
    bool event_idx;
    bool indirect; /* VIRTIO_F_INDIRECT_DESC: virtq_add_table() takes one ring entry */
    bool broken; /* the device broke the ring protocol: no more requests */
    /* Called from the queue's interrupt instead of waking its sleepers. */
    void (*on_used)(struct virtq *q);
};

/* Find and set up every virtio device (blk, rng, console). */
void virtio_init(void);

/*
 * Negotiate: offer (want) & device features (VERSION_1 is required) and set
 * FEATURES_OK.  Returns 0 or -ENODEV (the device is left failed).
 */
int virtio_negotiate(struct virtio_dev *d, uint64_t want);
/* Set up queue (index) with at most (max) entries and an MSI-X vector. */
int virtio_queue_init(struct virtio_dev *d, struct virtq *q, uint16_t index, uint16_t max);
/* DRIVER_OK: the device may use its queues now. */
void virtio_ready(struct virtio_dev *d);
/* Mark (d) failed (virtio 1.2 3.1.1 step 8). */
void virtio_fail(struct virtio_dev *d);
/* Device config: (n) of 1, 2, 4 bytes at (off); 0 past the end. */
uint32_t virtio_cfg_read(struct virtio_dev *d, uint32_t off, unsigned n);

/* Device status (ST_* bits, VIRTIO_STATUS_NEEDS_RESET). */
uint8_t virtio_status(struct virtio_dev *d);
/*
 * For self-tests that craft their own rings: queue (index) of (d) with
 * (size) entries at (desc, avail, used) as given (nothing checked), no
 * interrupt, enabled.  Returns the queue's notify address, or NULL if the
 * queue does not exist or is already enabled.
 */
volatile uint16_t *virtio_queue_raw(struct virtio_dev *d, uint16_t index, uint16_t size,
                                    uint64_t desc, uint64_t avail, uint64_t used);
/* A device from ringvisor's start-info list, its areas mapped; NULL without memory. */
struct virtio_dev *virtio_dev_map(const struct rv_dev *l);

/*
 * Queue a chain of (n_out) device-readable then (n_in) device-writable
 * buffers with (token) (not NULL).  Returns 0, -ENOSPC (no room now) or -EIO
 * (the queue is broken).  Nothing reaches the device before virtq_kick().
 */
int virtq_add(struct virtq *q, const struct virtq_buf *bufs, unsigned n_out, unsigned n_in,
              void *token);
/*
 * Queue the chain the caller wrote into (table)[0..n_out + n_in) (addr and
 * len of each buffer; we set flags and next) with (token).  With
 * VIRTIO_F_INDIRECT_DESC the table itself goes on the ring as one indirect
 * descriptor, so it must be physically contiguous and stay untouched until
 * the token comes back from virtq_get(); otherwise its entries are copied
 * into the ring.  Returns like virtq_add().
 */
int virtq_add_table(struct virtq *q, struct virtq_desc *table, unsigned n_out, unsigned n_in,
                    void *token);
/* Notify the device of what was added, unless it said it does not need it. */
void virtq_kick(struct virtq *q);
/* The token of the next completed chain (written length in *len), or NULL. */
void *virtq_get(struct virtq *q, uint32_t *len);
/*
 * Ask for an interrupt at the next used entry.  False if one is already
 * there: collect it with virtq_get() first, or the interrupt may never come.
 */
bool virtq_arm(struct virtq *q);
/*
 * Block until the device has used something new (or the queue broke): asks
 * for an interrupt, then sleeps on the queue; before any process exists it
 * spins on the used index instead.
 */
void virtq_wait(struct virtq *q);

#endif
