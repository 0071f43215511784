/* SPDX-License-Identifier: MIT */
/*
 * The split virtqueue (virtio 1.2 sec. 2.7), device side, for every device.
 * The ring lives in guest memory and is hostile input: each descriptor is
 * copied before it is checked and checked before it is used, every address
 * and length goes through mem_gpa(), a chain is bounded by the queue size,
 * and the queue's size and addresses are re-checked on every use.  A rule
 * broken marks the queue broken (vq->why says which); it then does nothing
 * until the driver resets the device.
 */
#ifndef VMM_VIRTIO_QUEUE_H
#define VMM_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vmm/core/mem.h"

#define VQ_MAX_SIZE 256 /* what we offer as queue_size; chains are at most this */

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

struct vq {
    const struct guest_mem *mem;
    uint16_t size;     /* as the driver set it: a power of 2, <= VQ_MAX_SIZE */
    bool ready;        /* queue_enable was written 1 */
    bool indirect;     /* VIRTIO_F_INDIRECT_DESC negotiated */
    bool event_idx;    /* VIRTIO_F_EVENT_IDX negotiated */
    bool broken;
    const char *why;   /* why it broke: a constant string */
    gpa_t desc, avail, used;
    uint16_t last_avail; /* next avail entry to take */
    uint16_t used_idx;   /* our shadow of used->idx (never read back) */
    uint16_t signalled;  /* used_idx when we last interrupted (event_idx) */
};

/* One request: the device-readable buffers, then the device-writable ones,
 * as host pointers into guest RAM. */
struct vq_elem {
    uint16_t head;
    uint16_t n_out, n_in;
    uint32_t out_len, in_len; /* totals, in bytes */
    struct iovec iov[VQ_MAX_SIZE]; /* out [0, n_out), in [n_out, n_out + n_in) */
};

/* Mark (q) broken because of (why), a constant string (the first reason
 * stays); for rules a device finds in a chain's contents.  Returns -EPROTO. */
int vq_break(struct vq *q, const char *why);

/* Reset (q) to the state after device reset (keeps mem). */
void vq_reset(struct vq *q);

/* Check the driver's size and addresses; false (and broken) if bad.  Called
 * when the driver enables the queue, and again on every use. */
bool vq_check(struct vq *q);

/*
 * Take the next available chain into (e).  Returns 1 if one was taken, 0 if
 * the ring is empty, -EPROTO if the queue is (now) broken.
 */
int vq_pop(struct vq *q, struct vq_elem *e) __attribute__((warn_unused_result));

/* Put chain (head) on the used ring with (written) bytes written into its
 * device-writable buffers, and publish it. */
void vq_push(struct vq *q, uint16_t head, uint32_t written);

/* After pushes: should the driver get an interrupt?  (Honours
 * VIRTQ_AVAIL_F_NO_INTERRUPT, or used_event with EVENT_IDX.) */
bool vq_should_signal(struct vq *q);
/* Would vq_should_signal() say yes now?  It changes nothing: a device that
 * holds back an interrupt asks this later; with EVENT_IDX the answer turns
 * to no once the driver has taken what was pushed on its own. */
bool vq_signal_pending(struct vq *q);
/* The driver's used_event now (0 without EVENT_IDX): it moves each time the
 * driver has taken entries and asks for the next. */
uint16_t vq_used_event(struct vq *q);

/* Copy up to (len) bytes from the out buffers of (e), starting at byte
 * (off) of the out data, into (dst); returns the number copied. */
uint32_t vq_copy_out(const struct vq_elem *e, uint32_t off, void *dst, uint32_t len);
/* Copy (len) bytes of (src) into the in buffers of (e) starting at byte
 * (off); returns the number copied. */
uint32_t vq_copy_in(const struct vq_elem *e, uint32_t off, const void *src, uint32_t len);

#endif
