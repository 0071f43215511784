// SPDX-License-Identifier: MIT
/* Console input into the guest: stdin -> rv_in_ring -> MSI. */
#include "vmm/dev/pvcon.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "abi/rv_ring.h"

uint32_t pvcon_push(uint8_t *ring_data, uint32_t *prod, uint32_t cons, const uint8_t *buf,
                    uint32_t len)
{
    uint32_t used = *prod - cons, n = 0;

    /* A guest that moved cons past prod gets no more input, not a bigger copy. */
    if (used > RV_IN_RING_SIZE)
        return 0;
    while (n < len && used + n < RV_IN_RING_SIZE) {
        ring_data[(*prod + n) % RV_IN_RING_SIZE] = buf[n];
        n++;
    }
    *prod += n;
    return n;
}

static void pvcon_irq(struct pvcon *c, const struct rv_in_ring *r)
{
    /* Only a guest that asked for it (it has a handler) is interrupted. */
    if (__atomic_load_n(&r->guest_flags, __ATOMIC_ACQUIRE) & RV_IN_WANT_IRQ)
        irq_raise(c->irq, c->gsi);
}

void pvcon_fill(struct pvcon *c)
{
    struct rv_in_ring *r = mem_gpa(c->mem, c->ring, sizeof(*r));
    uint8_t buf[RV_IN_RING_SIZE];
    uint32_t cons, room;
    ssize_t n;

    if (c->in_fd < 0 || c->eof)
        return;
    cons = __atomic_load_n(&r->cons, __ATOMIC_ACQUIRE);
    room = c->prod - cons > RV_IN_RING_SIZE ? 0 : RV_IN_RING_SIZE - (c->prod - cons);
    if (room == 0) {
        /* Full: stop polling until the guest kicks, or we would spin. */
        if (c->src >= 0)
            iothread_watch(c->io, c->src, 0);
        return;
    }
    n = read(c->in_fd, buf, room);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        c->eof = true;
        __atomic_store_n(&r->flags, RV_IN_EOF, __ATOMIC_RELEASE);
        if (c->src >= 0)
            iothread_watch(c->io, c->src, 0);
    } else {
        pvcon_push(r->data, &c->prod, cons, buf, (uint32_t)n);
    }
    /* Release: the guest sees the bytes (and EOF) once it sees prod. */
    __atomic_store_n(&r->prod, c->prod, __ATOMIC_RELEASE);
    pvcon_irq(c, r);
    if (c->src >= 0 && !c->eof)
        iothread_watch(c->io, c->src, 1);
}

void pvcon_kick(struct pvcon *c)
{
    if (c->file)
        pvcon_fill(c); /* a regular file is always ready */
    else if (c->src >= 0 && !c->eof)
        iothread_watch(c->io, c->src, 1); /* a full ring had stopped the watch */
}

static void on_input(void *opaque)
{
    pvcon_fill(opaque);
}

int pvcon_init(struct pvcon *c, struct irq *irq, const struct guest_mem *mem, gpa_t ring,
               uint32_t vector, int in_fd, struct iothread *io)
{
    int err;

    memset(c, 0, sizeof(*c));
    c->mem = mem;
    c->ring = ring;
    c->in_fd = in_fd;
    c->io = io;
    c->src = -1;
    c->irq = irq;
    c->gsi = irq_alloc(irq);
    if (c->gsi < 0)
        return c->gsi;
    /* Fixed delivery to APIC ID 0 (vCPU 0), edge-triggered. */
    err = irq_route(irq, c->gsi, true, 0xfee00000u, vector);
    if (err)
        return err;
    if (in_fd >= 0) {
        int idx = iothread_add_fd(io, in_fd, on_input, c);

        if (idx == -EPERM)
            c->file = true; /* regular files are always readable */
        else if (idx < 0)
            return idx;
        else
            c->src = idx;
    }
    return 0;
}
