// SPDX-License-Identifier: MIT
/* PCI bus 0: configuration mechanism #1 and the memory-BAR window. */
#include "vmm/dev/pci_host.h"

#include <errno.h>
#include <string.h>

#define PCI_CAP_START 0x40

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

void pci_fn_init(struct pci_fn *fn, uint16_t vendor, uint16_t device, uint32_t class_rev,
                 uint16_t subsys_vendor, uint16_t subsys_id, uint64_t bar0_size,
                 const struct pci_fn_ops *ops, void *opaque)
{
    memset(fn, 0, sizeof(*fn));
    fn->ops = ops;
    fn->opaque = opaque;
    fn->bar0_size = bar0_size;
    fn->cap_next = PCI_CAP_START;
    put16(fn->cfg + PCI_VENDOR_ID, vendor);
    put16(fn->cfg + PCI_VENDOR_ID + 2, device);
    put32(fn->cfg + PCI_REVISION, class_rev); /* revision, prog-if, class */
    put16(fn->cfg + PCI_SUBSYS_VENDOR, subsys_vendor);
    put16(fn->cfg + PCI_SUBSYS_ID, subsys_id);
    /* Memory decoding, bus mastering and INTx masking are the guest's. */
    put16(fn->wmask + PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
                                   PCI_COMMAND_INTX_DISABLE);
    fn->wmask[PCI_INTERRUPT_LINE] = 0xff;
    if (bar0_size) {
        /* 64-bit, non-prefetchable memory; the low address bits read as 0,
         * which is how a guest sizes it (PCI 3.0 6.2.5.1). */
        fn->cfg[PCI_BAR0] = 0x4;
        put32(fn->wmask + PCI_BAR0, (uint32_t)~(bar0_size - 1) & ~0xfu);
        put32(fn->wmask + PCI_BAR0 + 4, 0xffffffffu);
    }
}

uint8_t pci_fn_add_cap(struct pci_fn *fn, const uint8_t *body, uint8_t len)
{
    uint8_t off = fn->cap_next;

    if (!off || len < 2 || off + len > 256)
        return 0;
    memcpy(fn->cfg + off, body, len);
    fn->cfg[off + 1] = 0;
    if (fn->cap_link) {
        *fn->cap_link = off;
    } else {
        fn->cfg[PCI_CAP_PTR] = off;
        fn->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
    }
    fn->cap_link = fn->cfg + off + 1;
    fn->cap_next = off + len + 3 > 255 ? 0 : (uint8_t)((off + len + 3) & ~3);
    return off;
}

uint64_t pci_fn_bar0(const struct pci_fn *fn)
{
    return (pci_cfg32(fn, PCI_BAR0) & ~0xfull) | (uint64_t)pci_cfg32(fn, PCI_BAR0 + 4) << 32;
}

int pci_host_add(struct pci_host *h, struct pci_fn *fn)
{
    uint64_t base;

    for (unsigned slot = 1; slot < PCI_MAX_SLOTS; slot++) {
        if (h->fn[slot])
            continue;
        if (fn->bar0_size) {
            /* Natural alignment, as a BAR's size mask implies. */
            base = (h->next_bar + fn->bar0_size - 1) & ~(fn->bar0_size - 1);
            if (base + fn->bar0_size > PCI_MMIO_BASE + PCI_MMIO_SIZE)
                return -ENOSPC;
            h->next_bar = base + fn->bar0_size;
            put32(fn->cfg + PCI_BAR0, (uint32_t)base | 0x4);
            put32(fn->cfg + PCI_BAR0 + 4, (uint32_t)(base >> 32));
        }
        fn->slot = (uint8_t)slot;
        h->fn[slot] = fn;
        return 0;
    }
    return -ENOSPC;
}

int pci_host_init(struct pci_host *h, struct bus *bus)
{
    int err;

    memset(h, 0, sizeof(*h));
    pthread_mutex_init(&h->lock, NULL);
    h->next_bar = PCI_MMIO_BASE;
    /* A host bridge (class 06 00 00) in slot 0, as guests expect to find. */
    pci_fn_init(&h->bridge, 0x1b36, 0x0008, 0x06000000, 0, 0, 0, NULL, NULL);
    h->fn[0] = &h->bridge;
    err = bus_register(bus, BUS_PIO, PCI_CFG_ADDR_PORT, 4, pci_host_pio, h);
    if (!err)
        err = bus_register(bus, BUS_PIO, PCI_CFG_DATA_PORT, 4, pci_host_pio, h);
    if (!err)
        err = bus_register(bus, BUS_MMIO, PCI_MMIO_BASE, PCI_MMIO_SIZE, pci_host_mmio, h);
    return err;
}

/* The function the address latch selects, or NULL (reads as all-ones). */
static struct pci_fn *selected(struct pci_host *h)
{
    uint32_t a = h->addr;

    if (!(a & 0x80000000u) || (a >> 16 & 0xff) != 0 || (a >> 8 & 7) != 0)
        return NULL;
    return h->fn[a >> 11 & 0x1f];
}

int pci_host_pio(struct vcpu *vcpu, void *opaque, uint64_t port, uint8_t *data, uint32_t len,
                 bool is_write)
{
    struct pci_host *h = opaque;
    struct pci_fn *fn;
    uint32_t byte = (uint32_t)(port & 3), reg;

    (void)vcpu;
    pthread_mutex_lock(&h->lock);
    if (port == PCI_CFG_ADDR_PORT && len == 4) {
        if (is_write) {
            memcpy(&h->addr, data, 4);
            h->addr &= 0x80fffffcu;
        } else {
            memcpy(data, &h->addr, 4);
        }
        goto out;
    }
    fn = port >= PCI_CFG_DATA_PORT ? selected(h) : NULL;
    /* An access must stay inside the selected dword. */
    if (!fn || byte + len > 4) {
        if (!is_write)
            memset(data, 0xff, len);
        goto out;
    }
    reg = (h->addr & 0xfc) + byte;
    if (!is_write) {
        memcpy(data, fn->cfg + reg, len);
        goto out;
    }
    for (uint32_t i = 0; i < len; i++)
        fn->cfg[reg + i] = (uint8_t)((fn->cfg[reg + i] & ~fn->wmask[reg + i]) |
                                     (data[i] & fn->wmask[reg + i]));
    if (fn->ops && fn->ops->cfg_written)
        fn->ops->cfg_written(fn, reg, len);
out:
    pthread_mutex_unlock(&h->lock);
    return 0;
}

int pci_host_mmio(struct vcpu *vcpu, void *opaque, uint64_t addr, uint8_t *data, uint32_t len,
                  bool is_write)
{
    struct pci_host *h = opaque;
    struct pci_fn *hit = NULL;
    uint64_t off = 0;

    (void)vcpu;
    pthread_mutex_lock(&h->lock);
    for (unsigned slot = 1; slot < PCI_MAX_SLOTS && !hit; slot++) {
        struct pci_fn *fn = h->fn[slot];
        uint64_t base;

        if (!fn || !fn->bar0_size || !(pci_cfg16(fn, PCI_COMMAND) & PCI_COMMAND_MEMORY))
            continue;
        base = pci_fn_bar0(fn);
        if (addr >= base && addr - base < fn->bar0_size && len <= fn->bar0_size - (addr - base)) {
            hit = fn;
            off = addr - base;
        }
    }
    pthread_mutex_unlock(&h->lock);
    if (hit && hit->ops && hit->ops->bar_access)
        return hit->ops->bar_access(hit, off, data, len, is_write);
    if (!is_write)
        memset(data, 0xff, len);
    return 0;
}
