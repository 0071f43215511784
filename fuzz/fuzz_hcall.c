// SPDX-License-Identifier: MIT
/* libFuzzer target: input = 4-byte OUT value + guest RAM contents; runs
 * hcall_handle() and checks it writes only where the ABI allows. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "abi/rv_abi.h"
#include "vmm/core/hcall.h"

#define RAM (16u << 10)

struct sink {
    uint64_t sum;
};

static int64_t console(void *opaque, const uint8_t *buf, uint64_t len)
{
    struct sink *s = opaque;

    /* Touch every byte, so ASan sees any read outside guest RAM. */
    for (uint64_t i = 0; i < len; i++)
        s->sum += buf[i];
    return (int64_t)len;
}

static void wallclock(void *opaque, uint64_t *realtime_ns, uint64_t *kvmclock_ns)
{
    (void)opaque;
    *realtime_ns = 1;
    *kvmclock_ns = 2;
}

static const struct hcall_ops ops = { .console = console, .wallclock = wallclock };

/* Copy [at, at + len), clipped to RAM, from (src) to (dst). */
static void copy_clipped(uint8_t *dst, const uint8_t *src, uint64_t at, uint64_t len)
{
    if (at >= RAM)
        return;
    if (len > RAM - at)
        len = RAM - at;
    memcpy(dst + at, src + at, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct guest_mem mem = { .memfd = -1 };
    static uint8_t *before, *allowed;
    struct sink sink = { 0 };
    struct hcall_env env = { .mem = &mem, .ops = &ops, .opaque = &sink };
    struct rv_hcall hc = { 0 };
    uint32_t raw, value;
    uint64_t gpa;
    int ret;

    if (!mem.host) {
        mem.host = malloc(RAM);
        before = malloc(RAM);
        allowed = malloc(RAM);
        if (!mem.host || !before || !allowed)
            abort();
        mem_layout(&mem, RAM);
    }
    if (size < 4)
        return 0;
    memcpy(&raw, data, 4);
    /* Mostly a block in (or just past) RAM; the top bit keeps wild values. */
    value = raw & 0x80000000u ? raw : raw % (RAM / 16 + 8);
    memset(mem.host, 0, RAM);
    memcpy(mem.host, data + 4, size - 4 < RAM ? size - 4 : RAM);
    memcpy(before, mem.host, RAM);

    gpa = (uint64_t)value << 4;
    if (gpa + sizeof(hc) <= RAM)
        memcpy(&hc, mem.host + gpa, sizeof(hc));
    ret = hcall_handle(&env, value);
    if (ret == -EFAULT) {
        if (gpa + sizeof(hc) <= RAM || memcmp(before, mem.host, RAM) != 0)
            abort(); /* refused a good block, or wrote despite refusing */
        return 0;
    }
    if (ret != 0 || gpa + sizeof(hc) > RAM)
        abort();
    /* Written: ret and args of the block; for a multicall also its array
     * (ret and args of each entry, which may overlap the block's op/flags). */
    memcpy(allowed, before, RAM);
    copy_clipped(allowed, mem.host, gpa + 8, sizeof(hc) - 8);
    if (hc.op == RV_HC_MULTICALL && hc.flags == 0 && hc.arg[1] <= RV_HC_MULTICALL_MAX)
        copy_clipped(allowed, mem.host, hc.arg[0], hc.arg[1] * sizeof(hc));
    if (memcmp(allowed, mem.host, RAM) != 0)
        abort();
    if (env.poweroff && (env.exit_status < 0 || env.exit_status > 255))
        abort();
    return 0;
}
