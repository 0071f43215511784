/* SPDX-License-Identifier: MIT */
/*
 * The per-VM bus: port-I/O and MMIO ranges and the handlers behind them.
 * vCPU exits are dispatched here; nothing else decodes port numbers.
 */
#ifndef VMM_BUS_H
#define VMM_BUS_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;

enum bus_space { BUS_PIO, BUS_MMIO };

/*
 * Handler for an access of (len) bytes at (addr) (absolute, not relative) by
 * (vcpu).  For a write, (data) holds the value; for a read, the handler fills
 * it.  Returns 0, or -errno to stop the VM as an unexpected exit.
 */
typedef int (*bus_handler_t)(struct vcpu *vcpu, void *opaque, uint64_t addr,
                             uint8_t *data, uint32_t len, bool is_write);

#define BUS_MAX_RANGES 32

struct bus_range {
    enum bus_space space;
    uint64_t base;
    uint64_t len;
    bus_handler_t fn;
    void *opaque;
};

struct bus {
    int nr;
    struct bus_range range[BUS_MAX_RANGES];
};

/* Register [base, base + len) in (space).  Overlaps are refused (-EEXIST);
 * a full table gives -ENOSPC.  Call before the first vCPU runs. */
int bus_register(struct bus *bus, enum bus_space space, uint64_t base,
                 uint64_t len, bus_handler_t fn, void *opaque)
    __attribute__((warn_unused_result));

/* Dispatch one access.  An access to nothing reads as all-ones and ignores
 * writes, as on real hardware; returns 1 in that case so the caller may log. */
int bus_access(const struct bus *bus, struct vcpu *vcpu, enum bus_space space,
               uint64_t addr, uint8_t *data, uint32_t len, bool is_write);

#endif
