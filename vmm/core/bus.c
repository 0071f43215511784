// SPDX-License-Identifier: MIT
/* Port-I/O and MMIO dispatch for one VM. */
#include "vmm/core/bus.h"

#include <errno.h>
#include <string.h>

int bus_register(struct bus *bus, enum bus_space space, uint64_t base,
                 uint64_t len, bus_handler_t fn, void *opaque)
{
    if (len == 0 || base + len < base)
        return -EINVAL;
    for (int i = 0; i < bus->nr; i++) {
        const struct bus_range *r = &bus->range[i];

        if (r->space == space && base < r->base + r->len && r->base < base + len)
            return -EEXIST;
    }
    if (bus->nr == BUS_MAX_RANGES)
        return -ENOSPC;
    bus->range[bus->nr++] = (struct bus_range){
        .space = space, .base = base, .len = len, .fn = fn, .opaque = opaque };
    return 0;
}

int bus_access(const struct bus *bus, struct vcpu *vcpu, enum bus_space space,
               uint64_t addr, uint8_t *data, uint32_t len, bool is_write)
{
    for (int i = 0; i < bus->nr; i++) {
        const struct bus_range *r = &bus->range[i];

        if (r->space != space || addr < r->base || addr - r->base >= r->len)
            continue;
        return r->fn(vcpu, r->opaque, addr, data, len, is_write);
    }
    if (!is_write)
        memset(data, 0xff, len);
    return 1;
}
