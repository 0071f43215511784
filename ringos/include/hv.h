/* SPDX-License-Identifier: MIT */
/* ringvisor hypercalls and the request-ring console; QEMU equivalents for poweroff. */
#ifndef RINGOS_HV_H
#define RINGOS_HV_H

#include "abi/rv_abi.h"
#include "types.h"

/*
 * Issue the hypercall block (hc), which must be 16-byte aligned in the kernel
 * image or the direct map.  Returns hc->ret as the host left it.
 */
int64_t hv_call(struct rv_hcall *hc);
/* Same, but with a raw OUT value (for tests of bad block addresses). */
void hv_call_raw(uint32_t out_value);
int64_t hv_call2(uint32_t op, uint64_t a0, uint64_t a1);

/* Synchronous console write through RV_HC_CONSOLE_WRITE. */
void hv_console_write(const char *s, size_t n);

/* Request-ring console: queue (s, n), kick once.  Returns false if the ring is broken. */
bool hv_ring_init(uint64_t ring_gpa);
/* Announce what hv_ring_write() queued (a kick), if anything. */
void hv_ring_kick(void);
/* Tell the host what we handle (RV_GUEST_* in abi/rv_ring.h). */
void hv_ring_set_guest_flags(uint32_t flags);
bool hv_ring_write(const char *s, size_t n);
void hv_ring_drain(void);

/* Power the VM off with (status); flushes the console first. */
__noreturn void hv_poweroff(int status);

#endif
