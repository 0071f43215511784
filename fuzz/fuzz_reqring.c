// SPDX-License-Identifier: MIT
/* libFuzzer target: input = initial consumer index, two later producer
 * indices and the ring's contents; drains three times and checks the rules. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "abi/rv_ring.h"
#include "vmm/core/reqring.h"

#define RAM (16u << 10)
#define RING 0x1000u

struct sink {
    uint64_t sum;
    uint32_t total;
    int zero_len_calls;
};

static int console(void *opaque, const uint8_t *buf, uint32_t len)
{
    struct sink *s = opaque;

    if (len == 0)
        s->zero_len_calls++;
    for (uint32_t i = 0; i < len; i++)
        s->sum += buf[i];
    s->total = len;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct guest_mem mem = { .memfd = -1 };
    struct rv_req_ring *ring;
    struct reqring r;
    struct sink sink = { 0 };
    uint32_t idx[3];
    bool was_broken = false;

    if (!mem.host) {
        mem.host = malloc(RAM);
        if (!mem.host)
            abort();
        mem_layout(&mem, RAM);
    }
    if (size < sizeof(idx))
        return 0;
    memcpy(idx, data, sizeof(idx));
    memset(mem.host, 0, RAM);
    memcpy(mem.host + RING, data + sizeof(idx),
           size - sizeof(idx) < sizeof(*ring) ? size - sizeof(idx) : sizeof(*ring));
    if (reqring_init(&r, &mem, RING, console, &sink) != 0)
        abort();
    ring = (struct rv_req_ring *)(mem.host + RING);
    r.cons = idx[0];

    for (int round = 0; round < 3; round++) {
        uint32_t cons0 = r.cons;
        int n;

        if (round > 0)
            ring->prod = idx[round];
        sink.total = 0;
        n = reqring_drain(&r);
        if (was_broken && n != 0)
            abort(); /* a broken ring stays ignored */
        if (n == -EPROTO) {
            if (was_broken || !r.broken || !r.why)
                abort();
            was_broken = true;
        } else if (n < 0 || n > (int)RV_RING_SLOTS || r.cons - cons0 != (uint32_t)n) {
            abort();
        }
        if (sink.total > RV_RING_SLOTS * RV_REQ_DATA || sink.zero_len_calls)
            abort();
        if (!was_broken && ring->cons != r.cons)
            abort();
    }
    reqring_exit(&r);
    return 0;
}
