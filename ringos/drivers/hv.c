// SPDX-License-Identifier: MIT
/*
 * ringvisor hypercalls (a 32-bit OUT of the block's GPA >> 4), the request
 * ring console (abi/rv_ring.h), and poweroff for both ringvisor and QEMU.
 */
#include "abi/rv_ring.h"
#include "boot.h"
#include "hv.h"
#include "lib.h"
#include "platform.h"
#include "printk.h"
#include "x86.h"

#define QEMU_DEBUG_EXIT_PORT 0xf4
/* How long to wait for the host to consume the ring before calling it broken. */
#define RING_WAIT_TSC 10000000000ull

static struct rv_hcall hv_block __aligned(64);

void hv_call_raw(uint32_t out_value)
{
    outl(RV_PORT_HCALL, out_value); /* "memory" clobber: the block is written before, read after */
}

int64_t hv_call(struct rv_hcall *hc)
{
    hv_call_raw((uint32_t)(virt_to_phys(hc) >> 4));
    return ((volatile struct rv_hcall *)hc)->ret;
}

int64_t hv_call2(uint32_t op, uint64_t a0, uint64_t a1)
{
    unsigned long f = irq_save();

    memset(&hv_block, 0, sizeof(hv_block));
    hv_block.op = op;
    hv_block.arg[0] = a0;
    hv_block.arg[1] = a1;
    int64_t ret = hv_call(&hv_block);
    irq_restore(f);
    return ret;
}

void hv_console_write(const char *s, size_t n)
{
    while (n) {
        size_t chunk = MIN(n, (size_t)RV_HC_CONSOLE_MAX);
        int64_t ret = hv_call2(RV_HC_CONSOLE_WRITE, virt_to_phys(s), chunk);
        if (ret <= 0)
            return; /* nothing else to try */
        s += ret;
        n -= MIN((size_t)ret, n);
    }
}

static volatile struct rv_req_ring *ring;
static uint32_t ring_prod; /* our shadow: the shared copy is never read back */

static void ring_kick(void)
{
    outb(RV_PORT_KICK, 0);
}

bool hv_ring_init(uint64_t ring_gpa)
{
    if (!ring_gpa)
        return false;
    ring = phys_to_virt(ring_gpa);
    ring_prod = ring->prod;
    return ring_prod - ring->cons <= RV_RING_SLOTS;
}

void hv_ring_set_guest_flags(uint32_t flags)
{
    if (ring)
        __atomic_store_n(&ring->guest_flags, flags, __ATOMIC_RELEASE);
}

/* Wait until cons differs from (seen); false if the host seems gone. */
static bool ring_wait(uint32_t seen)
{
    uint64_t t0 = rdtsc();

    while (__atomic_load_n(&ring->cons, __ATOMIC_ACQUIRE) == seen) {
        if (rdtsc() - t0 > RING_WAIT_TSC)
            return false;
        cpu_relax();
    }
    return true;
}

static bool ring_pending; /* published entries not yet announced by a kick */

bool hv_ring_write(const char *s, size_t n)
{
    while (n) {
        uint32_t cons = __atomic_load_n(&ring->cons, __ATOMIC_ACQUIRE);
        uint32_t used = ring_prod - cons;
        if (used > RV_RING_SLOTS)
            return false; /* cons moved past prod: broken host */
        if (used == RV_RING_SLOTS) {
            ring_kick();
            if (!ring_wait(cons))
                return false;
            continue;
        }
        volatile struct rv_req *req = &ring->slot[ring_prod % RV_RING_SLOTS];
        uint32_t len = (uint32_t)MIN(n, (size_t)RV_REQ_DATA);
        req->op = RV_REQ_CONSOLE;
        req->len = len;
        memcpy((void *)req->data, s, len);
        ring_prod++;
        /* Release: the host must see the slot before the index that publishes it. */
        __atomic_store_n(&ring->prod, ring_prod, __ATOMIC_RELEASE);
        s += len;
        n -= len;
    }
    /* The kick waits for hv_ring_kick(): one per system call or burst of
     * kernel messages, not one per write (each is an exit early on). */
    ring_pending = true;
    return true;
}

void hv_ring_kick(void)
{
    if (ring_pending) {
        ring_pending = false;
        ring_kick();
    }
}

void hv_ring_drain(void)
{
    uint32_t cons;

    if (!ring)
        return;
    ring_pending = false;
    while ((cons = __atomic_load_n(&ring->cons, __ATOMIC_ACQUIRE)) != ring_prod) {
        ring_kick();
        if (!ring_wait(cons))
            return;
    }
}

__noreturn void hv_poweroff(int status)
{
    console_flush();
    if (boot.vmm == BOOT_VMM_RINGVISOR)
        hv_call2(RV_HC_POWEROFF, (uint64_t)status & 0xff, 0);
    else
        outb(QEMU_DEBUG_EXIT_PORT, (uint8_t)status); /* QEMU exits (status << 1) | 1 */
    /* No way out: stop here with interrupts off. */
    for (;;) {
        platform->irq_disable();
        __asm__ volatile("hlt");
    }
}
