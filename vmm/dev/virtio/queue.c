// SPDX-License-Identifier: MIT
/* The split virtqueue, device side: the ring as hostile input. */
#include "vmm/dev/virtio/queue.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

/* virtio 1.2 2.7.5 */
struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};
_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc layout");

/* Ring sizes in bytes (2.7.6, 2.7.8), with the event-index words. */
#define DESC_BYTES(n) (16ull * (n))
#define AVAIL_BYTES(n) (6ull + 2ull * (n))
#define USED_BYTES(n) (6ull + 8ull * (n))

int vq_break(struct vq *q, const char *why)
{
    if (!q->broken) {
        q->broken = true;
        q->why = why;
    }
    return -EPROTO;
}

void vq_reset(struct vq *q)
{
    const struct guest_mem *mem = q->mem;

    memset(q, 0, sizeof(*q));
    q->mem = mem;
    q->size = VQ_MAX_SIZE;
}

bool vq_check(struct vq *q)
{
    if (q->broken)
        return false;
    /* 2.7: a power of 2, at most what we offered (2.7.10.1 for the sizes). */
    if (q->size == 0 || q->size > VQ_MAX_SIZE || (q->size & (q->size - 1))) {
        vq_break(q, "queue size is not a power of 2 up to the maximum");
        return false;
    }
    /* 2.7 table: alignment 16, 2, 4. */
    if ((q->desc & 15) || (q->avail & 1) || (q->used & 3)) {
        vq_break(q, "ring address not aligned as virtio 1.2 2.7 requires");
        return false;
    }
    if (!mem_gpa(q->mem, q->desc, DESC_BYTES(q->size)) ||
        !mem_gpa(q->mem, q->avail, AVAIL_BYTES(q->size)) ||
        !mem_gpa(q->mem, q->used, USED_BYTES(q->size))) {
        vq_break(q, "ring lies outside guest RAM");
        return false;
    }
    return true;
}

/* Append a buffer to (e): device-readable ones must all come first (2.7.4.2). */
static int add_buffer(struct vq *q, struct vq_elem *e, const struct virtq_desc *d)
{
    unsigned n = e->n_out + e->n_in;
    void *p;

    if (n >= q->size)
        return vq_break(q, "descriptor chain longer than the queue size (a loop?)");
    p = mem_gpa(q->mem, d->addr, d->len);
    if (!p)
        return vq_break(q, "buffer lies outside guest RAM");
    if (d->flags & VIRTQ_DESC_F_WRITE) {
        if (e->in_len + d->len < e->in_len)
            return vq_break(q, "device-writable buffers add up to more than 4 GiB");
        e->in_len += d->len;
        e->n_in++;
    } else {
        if (e->n_in)
            return vq_break(q, "device-readable buffer after a device-writable one");
        if (e->out_len + d->len < e->out_len)
            return vq_break(q, "device-readable buffers add up to more than 4 GiB");
        e->out_len += d->len;
        e->n_out++;
    }
    e->iov[n] = (struct iovec){ .iov_base = p, .iov_len = d->len };
    return 0;
}

/* used->avail_event (after the used ring): the driver kicks us when its
 * avail idx passes it. */
static void set_avail_event(struct vq *q)
{
    uint8_t *used = mem_gpa(q->mem, q->used, USED_BYTES(q->size));

    __atomic_store_n((uint16_t *)(used + 4 + 8 * q->size), q->last_avail, __ATOMIC_RELAXED);
}

int vq_pop(struct vq *q, struct vq_elem *e)
{
    const uint8_t *avail, *table;
    uint16_t idx, head, i, table_size;
    bool indirect = false;

    if (!vq_check(q))
        return -EPROTO;
    avail = mem_gpa(q->mem, q->avail, AVAIL_BYTES(q->size));
    /* Acquire: the ring entry and descriptors were written before idx. */
    idx = __atomic_load_n((const uint16_t *)(avail + 2), __ATOMIC_ACQUIRE);
    if (idx == q->last_avail) {
        if (!q->event_idx)
            return 0;
        /* 2.7.10: ask to be kicked for the next entry, then look again: the
         * driver may have added one before it saw our avail_event. */
        set_avail_event(q);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        idx = __atomic_load_n((const uint16_t *)(avail + 2), __ATOMIC_ACQUIRE);
        if (idx == q->last_avail)
            return 0;
    }
    if ((uint16_t)(idx - q->last_avail) > q->size)
        return vq_break(q, "available index moved ahead by more than the queue size");
    head = __atomic_load_n((const uint16_t *)(avail + 4 + 2 * (q->last_avail % q->size)),
                           __ATOMIC_RELAXED);
    if (head >= q->size)
        return vq_break(q, "available ring names a descriptor beyond the queue size");

    memset(e, 0, offsetof(struct vq_elem, iov));
    e->head = head;
    table = mem_gpa(q->mem, q->desc, DESC_BYTES(q->size));
    table_size = q->size;
    i = head;
    for (;;) {
        struct virtq_desc d;

        /* Copy first: the driver may change it under us. */
        memcpy(&d, table + 16ull * i, sizeof(d));
        if (d.flags & VIRTQ_DESC_F_INDIRECT) {
            /* 2.7.5.3.1 */
            if (!q->indirect)
                return vq_break(q, "indirect descriptor, but VIRTIO_F_INDIRECT_DESC is off");
            if (indirect)
                return vq_break(q, "indirect descriptor inside an indirect table");
            if (d.flags & VIRTQ_DESC_F_NEXT)
                return vq_break(q, "indirect descriptor with NEXT set");
            if (d.len == 0 || d.len % 16 || d.len / 16 > q->size)
                return vq_break(q, "indirect table length is not 16 x 1..queue size");
            table = mem_gpa(q->mem, d.addr, d.len);
            if (!table || (d.addr & 15))
                return vq_break(q, "indirect table outside guest RAM or misaligned");
            table_size = (uint16_t)(d.len / 16);
            indirect = true;
            i = 0;
            continue;
        }
        if (add_buffer(q, e, &d))
            return -EPROTO;
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            break;
        if (d.next >= table_size)
            return vq_break(q, "descriptor chain points beyond its table");
        i = d.next;
    }
    q->last_avail++;
    if (q->event_idx)
        set_avail_event(q);
    return 1;
}

void vq_push(struct vq *q, uint16_t head, uint32_t written)
{
    uint8_t *used;
    uint32_t entry[2] = { head, written };

    if (!vq_check(q))
        return;
    used = mem_gpa(q->mem, q->used, USED_BYTES(q->size));
    memcpy(used + 4 + 8 * (q->used_idx % q->size), entry, sizeof(entry));
    q->used_idx++;
    /* Release: the entry is visible before the index that publishes it. */
    __atomic_store_n((uint16_t *)(used + 2), q->used_idx, __ATOMIC_RELEASE);
}

/* Does the driver's wish ask for an interrupt for the entries pushed since
 * used idx was (old)?  (Honours VIRTQ_AVAIL_F_NO_INTERRUPT, or used_event
 * with EVENT_IDX.) */
static bool wants_signal(const struct vq *q, uint16_t old)
{
    const uint8_t *avail = mem_gpa(q->mem, q->avail, AVAIL_BYTES(q->size));
    uint16_t flags, event;

    /* Store (used idx) then load (the driver's wish): x86 needs a full fence
     * here, or we may read a stale "no interrupt" and the driver sleeps. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (q->event_idx) {
        /* 2.7.10: interrupt when used idx passes used_event. */
        memcpy(&event, avail + 4 + 2 * q->size, 2);
        return (uint16_t)(q->used_idx - event - 1) < (uint16_t)(q->used_idx - old);
    }
    memcpy(&flags, avail, 2);
    return !(flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

bool vq_should_signal(struct vq *q)
{
    uint16_t old = q->signalled;

    if (!vq_check(q))
        return false;
    q->signalled = q->used_idx;
    return wants_signal(q, old);
}

uint16_t vq_used_event(struct vq *q)
{
    uint16_t event = 0;

    if (q->event_idx && vq_check(q))
        memcpy(&event, (const uint8_t *)mem_gpa(q->mem, q->avail, AVAIL_BYTES(q->size)) + 4 +
                           2 * q->size, 2);
    return event;
}

bool vq_signal_pending(struct vq *q)
{
    return q->signalled != q->used_idx && vq_check(q) && wants_signal(q, q->signalled);
}

/* Copy between (buf) and the iovecs (iov, n) from byte (off) of their data. */
static uint32_t iov_copy(const struct iovec *iov, unsigned n, uint32_t off, void *buf,
                         uint32_t len, bool to_iov)
{
    uint32_t done = 0;

    for (unsigned i = 0; i < n && done < len; i++) {
        size_t chunk = iov[i].iov_len;
        uint8_t *p;

        if (off >= chunk) {
            off -= (uint32_t)chunk;
            continue;
        }
        p = (uint8_t *)iov[i].iov_base + off;
        chunk -= off;
        if (chunk > len - done)
            chunk = len - done;
        if (to_iov)
            memcpy(p, (const uint8_t *)buf + done, chunk);
        else
            memcpy((uint8_t *)buf + done, p, chunk);
        done += (uint32_t)chunk;
        off = 0;
    }
    return done;
}

uint32_t vq_copy_out(const struct vq_elem *e, uint32_t off, void *dst, uint32_t len)
{
    return iov_copy(e->iov, e->n_out, off, dst, len, false);
}

uint32_t vq_copy_in(const struct vq_elem *e, uint32_t off, const void *src, uint32_t len)
{
    return iov_copy(e->iov + e->n_out, e->n_in, off, (void *)src, len, true);
}
