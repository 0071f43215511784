// SPDX-License-Identifier: MIT
/* libFuzzer target: the virtqueue walk.  Input = queue size, feature bits and
 * ring addresses, then guest RAM contents.  Pops until empty or broken and
 * checks that every buffer lies in guest RAM and chains stay bounded. */
#include <stdlib.h>
#include <string.h>

#include "vmm/dev/virtio/queue.h"

#define RAM (64u << 10)

struct hdr {
    uint16_t size;
    uint8_t flags;
    uint8_t pad;
    uint16_t desc, avail, used; /* in 16-byte units */
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct guest_mem mem = { .memfd = -1 };
    static struct vq_elem e;
    struct vq q;
    struct hdr h;

    if (!mem.host) {
        mem.host = malloc(RAM);
        if (!mem.host)
            abort();
        mem_layout(&mem, RAM);
    }
    if (size < sizeof(h))
        return 0;
    memcpy(&h, data, sizeof(h));
    memset(mem.host, 0, RAM);
    memcpy(mem.host, data + sizeof(h), size - sizeof(h) < RAM ? size - sizeof(h) : RAM);
    memset(&q, 0, sizeof(q));
    q.mem = &mem;
    vq_reset(&q);
    q.size = h.size;
    q.indirect = h.flags & 1;
    q.event_idx = h.flags & 2;
    q.desc = (gpa_t)h.desc * 16;
    q.avail = (gpa_t)h.avail * 16;
    q.used = (gpa_t)h.used * 16;
    q.ready = true;
    for (int round = 0; round < 2 * VQ_MAX_SIZE; round++) {
        int r = vq_pop(&q, &e);

        if (r <= 0) {
            if (r < 0 && (!q.broken || !q.why))
                abort(); /* a failure always says why */
            break;
        }
        if (e.n_out + e.n_in > q.size)
            abort();
        uint64_t out = 0, in = 0;
        for (unsigned i = 0; i < (unsigned)e.n_out + e.n_in; i++) {
            const uint8_t *p = e.iov[i].iov_base;

            if (p < mem.host || p + e.iov[i].iov_len > mem.host + RAM)
                abort(); /* outside guest RAM */
            if (i < e.n_out)
                out += e.iov[i].iov_len;
            else
                in += e.iov[i].iov_len;
        }
        if (out != e.out_len || in != e.in_len)
            abort();
        /* Write into what the device may write, as a device would. */
        for (unsigned i = e.n_out; i < (unsigned)e.n_out + e.n_in; i++)
            memset(e.iov[i].iov_base, 0xa5, e.iov[i].iov_len);
        vq_push(&q, e.head, e.in_len);
        (void)vq_should_signal(&q);
    }
    return 0;
}
