/* SPDX-License-Identifier: MIT */
/*
 * Synchronous hypercalls (abi/rv_abi.h): the guest OUTs the GPA >> 4 of a
 * struct rv_hcall to RV_PORT_HCALL.  The block is copied, checked, run and
 * its results written back.  No KVM here: the effects go through hcall_ops,
 * so host-only tests and the fuzzer drive the same code as a real VM.
 */
#ifndef VMM_HCALL_H
#define VMM_HCALL_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/core/mem.h"

struct hcall_ops {
    /* Console bytes from RV_HC_CONSOLE_WRITE; returns bytes taken or -errno. */
    int64_t (*console)(void *opaque, const uint8_t *buf, uint64_t len);
    /* Realtime and kvmclock ns sampled together. */
    void (*wallclock)(void *opaque, uint64_t *realtime_ns, uint64_t *kvmclock_ns);
};

struct hcall_env {
    const struct guest_mem *mem;
    const struct hcall_ops *ops;
    void *opaque;
    /* Results for the caller: */
    bool poweroff;        /* the guest asked to power off ... */
    int exit_status;      /* ... with this status */
    unsigned nr_errors;   /* guest errors seen, for rate-limited logging */
    const char *last_error;
};

/*
 * Run the hypercall whose block is at (value << 4).  Errors caused by the
 * guest are returned to it in ret (and counted in env) and never affect the
 * host.  Returns 0 when the block was processed, -EFAULT when the block
 * itself is not in guest RAM (nothing can be written back).
 */
int hcall_handle(struct hcall_env *env, uint32_t value);

#endif
