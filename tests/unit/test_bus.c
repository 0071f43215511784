// SPDX-License-Identifier: MIT
/* bus_register() / bus_access(): range bookkeeping and dispatch. */
#include <errno.h>
#include <string.h>

#include "tests/unit/unit.h"
#include "vmm/core/bus.h"

struct seen {
    int calls;
    uint64_t addr;
    uint32_t len;
    bool is_write;
    uint8_t data[8];
    struct vcpu *vcpu;
};

static int record(struct vcpu *vcpu, void *opaque, uint64_t addr, uint8_t *data,
                  uint32_t len, bool is_write)
{
    struct seen *s = opaque;

    s->calls++;
    s->addr = addr;
    s->len = len;
    s->is_write = is_write;
    s->vcpu = vcpu;
    if (is_write)
        memcpy(s->data, data, len);
    else
        memset(data, 0x5a, len);
    return 0;
}

static int refuse(struct vcpu *vcpu, void *opaque, uint64_t addr, uint8_t *data,
                  uint32_t len, bool is_write)
{
    (void)vcpu; (void)opaque; (void)addr; (void)data; (void)len; (void)is_write;
    return -EIO;
}

static void bus_register_overlap(void)
{
    struct bus b = { 0 };
    struct seen s = { 0 };

    CHECK_INT(bus_register(&b, BUS_PIO, 0x3f8, 8, record, &s), 0);
    CHECK_INT(bus_register(&b, BUS_PIO, 0x3f8, 8, record, &s), -EEXIST);
    CHECK_INT(bus_register(&b, BUS_PIO, 0x3f0, 9, record, &s), -EEXIST);
    CHECK_INT(bus_register(&b, BUS_PIO, 0x3ff, 1, record, &s), -EEXIST);
    CHECK_INT(bus_register(&b, BUS_PIO, 0x3f0, 0x100, record, &s), -EEXIST);
    /* Touching ranges and the same range in the other space are fine. */
    CHECK_INT(bus_register(&b, BUS_PIO, 0x3f0, 8, record, &s), 0);
    CHECK_INT(bus_register(&b, BUS_PIO, 0x400, 1, record, &s), 0);
    CHECK_INT(bus_register(&b, BUS_MMIO, 0x3f8, 8, record, &s), 0);
    CHECK_EQ(b.nr, 4);
}

static void bus_register_invalid(void)
{
    struct bus b = { 0 };

    CHECK_INT(bus_register(&b, BUS_MMIO, 0x1000, 0, refuse, NULL), -EINVAL);
    CHECK_INT(bus_register(&b, BUS_MMIO, UINT64_MAX - 1, 4, refuse, NULL), -EINVAL);
    CHECK_INT(bus_register(&b, BUS_MMIO, 1, UINT64_MAX, refuse, NULL), -EINVAL);
    CHECK_EQ(b.nr, 0);
}

static void bus_register_full(void)
{
    struct bus b = { 0 };

    for (int i = 0; i < BUS_MAX_RANGES; i++)
        CHECK_INT(bus_register(&b, BUS_MMIO, 0x1000ull * (uint64_t)i, 0x100, refuse, NULL), 0);
    CHECK_INT(bus_register(&b, BUS_MMIO, 0x100000, 0x100, refuse, NULL), -ENOSPC);
    CHECK_EQ(b.nr, BUS_MAX_RANGES);
}

static void bus_dispatch(void)
{
    struct bus b = { 0 };
    struct seen a = { 0 }, c = { 0 };
    struct vcpu *vc = (struct vcpu *)&a; /* opaque to the bus: never dereferenced */
    uint8_t data[4] = { 1, 2, 3, 4 };

    CHECK_INT(bus_register(&b, BUS_PIO, 0x510, 4, record, &a), 0);
    CHECK_INT(bus_register(&b, BUS_MMIO, 0x510, 4, record, &c), 0);
    CHECK_INT(bus_register(&b, BUS_PIO, 0x600, 1, refuse, NULL), 0);

    CHECK_INT(bus_access(&b, vc, BUS_PIO, 0x512, data, 2, true), 0);
    CHECK_EQ(a.calls, 1);
    CHECK_EQ(c.calls, 0);
    CHECK_EQ(a.addr, 0x512); /* absolute, not relative */
    CHECK_EQ(a.len, 2);
    CHECK(a.is_write);
    CHECK(a.vcpu == vc);
    CHECK(memcmp(a.data, data, 2) == 0);

    CHECK_INT(bus_access(&b, vc, BUS_MMIO, 0x513, data, 1, false), 0);
    CHECK_EQ(c.calls, 1);
    CHECK_EQ(data[0], 0x5a);
    CHECK(!c.is_write);

    /* The handler's error reaches the caller. */
    CHECK_INT(bus_access(&b, vc, BUS_PIO, 0x600, data, 1, true), -EIO);
}

static void bus_unclaimed(void)
{
    struct bus b = { 0 };
    struct seen a = { 0 };
    uint8_t data[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    const uint8_t ones[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

    CHECK_INT(bus_register(&b, BUS_PIO, 0x510, 4, record, &a), 0);
    /* One past the end, just before, and the other space are all unclaimed. */
    CHECK_INT(bus_access(&b, NULL, BUS_PIO, 0x514, data, 4, false), 1);
    CHECK(memcmp(data, ones, 4) == 0);
    CHECK_EQ(data[4], 5);
    CHECK_INT(bus_access(&b, NULL, BUS_PIO, 0x50f, data, 8, false), 1);
    CHECK(memcmp(data, ones, 8) == 0);
    CHECK_INT(bus_access(&b, NULL, BUS_MMIO, 0x510, data, 1, false), 1);
    CHECK_EQ(a.calls, 0);

    /* Unclaimed writes are dropped: data is left as it was. */
    memset(data, 7, sizeof(data));
    CHECK_INT(bus_access(&b, NULL, BUS_PIO, 0x1000, data, 4, true), 1);
    CHECK_EQ(data[0], 7);
    CHECK_EQ(a.calls, 0);
}

void suite_bus(void)
{
    RUN(bus_register_overlap);
    RUN(bus_register_invalid);
    RUN(bus_register_full);
    RUN(bus_dispatch);
    RUN(bus_unclaimed);
}
