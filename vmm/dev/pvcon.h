/* SPDX-License-Identifier: MIT */
/*
 * The paravirtual console's input side: bytes from the host's stdin (or any
 * fd) go into the guest's rv_in_ring, announced by an MSI through an irqfd.
 * (Output travels on the request ring: see vmm/core/reqring.c.)
 */
#ifndef VMM_DEV_PVCON_H
#define VMM_DEV_PVCON_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/core/iothread.h"
#include "vmm/core/irq.h"
#include "vmm/core/mem.h"

#define PVCON_VECTOR 0x40 /* the MSI vector ringos handles console input on */

struct pvcon {
    const struct guest_mem *mem;
    gpa_t ring;
    int in_fd;       /* -1: no input */
    struct irq *irq;
    int gsi;         /* the MSI behind console input */
    uint32_t prod;   /* host shadow of the producer index */
    bool eof;
    bool file;       /* in_fd cannot be polled: fill on every kick */
    int src;         /* iothread source index, or -1 */
    struct iothread *io;
};

/*
 * Route an MSI with (vector) to vCPU 0 through (irq), and serve (in_fd)
 * into the ring at (ring) from (io).  Before iothread_start().  Returns 0 or
 * -errno.
 */
int pvcon_init(struct pvcon *c, struct irq *irq, const struct guest_mem *mem, gpa_t ring,
               uint32_t vector, int in_fd, struct iothread *io)
    __attribute__((warn_unused_result));

/* Move what is readable into the ring (I/O thread only), when the input
 * fd is ready (it may block otherwise). */
void pvcon_fill(struct pvcon *c);

/* The guest kicked (I/O thread only): it may have drained a full ring, so
 * look at the input again, without blocking on a terminal or pipe. */
void pvcon_kick(struct pvcon *c);

/* Copy up to (len) bytes of (buf) into (ring) at the host index (*prod);
 * returns the number copied.  Pure, for tests: (cons) is the guest's index
 * as loaded, hostile, and only bounds the free space. */
uint32_t pvcon_push(uint8_t *ring_data, uint32_t *prod, uint32_t cons, const uint8_t *buf,
                    uint32_t len);

#endif
