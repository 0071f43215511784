/* SPDX-License-Identifier: MIT */
/*
 * PCI bus 0 behind a host bridge on configuration mechanism #1 (an address
 * at port 0xcf8, data at 0xcfc-0xcff), and a window of guest-physical
 * addresses where functions' memory BARs decode.  Functions have a 256-byte
 * type-0 configuration space with per-bit write masks, one 64-bit memory
 * BAR (BAR 0) and a capability list; the owner of a function reacts to
 * configuration writes and BAR accesses through its ops.
 */
#ifndef VMM_DEV_PCI_HOST_H
#define VMM_DEV_PCI_HOST_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/core/bus.h"

#define PCI_CFG_ADDR_PORT 0xcf8
#define PCI_CFG_DATA_PORT 0xcfc
#define PCI_MMIO_BASE 0xe0000000ull /* inside the 3-4 GiB hole, below the LAPIC */
#define PCI_MMIO_SIZE 0x10000000ull
#define PCI_MAX_SLOTS 32

/* Standard configuration-space offsets (PCI Local Bus 3.0, 6.1). */
#define PCI_VENDOR_ID 0x00
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_STATUS 0x06
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_REVISION 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SUBSYS_VENDOR 0x2c
#define PCI_SUBSYS_ID 0x2e
#define PCI_CAP_PTR 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_CAP_ID_MSIX 0x11
#define PCI_CAP_ID_VNDR 0x09

struct pci_fn;

struct pci_fn_ops {
    /* (len) bytes at (off) of configuration space were written; cfg[]
     * already holds the new value.  Called with the host's lock held. */
    void (*cfg_written)(struct pci_fn *fn, uint32_t off, uint32_t len);
    /* An access inside BAR 0 at offset (off); as bus handlers. */
    int (*bar_access)(struct pci_fn *fn, uint64_t off, uint8_t *data, uint32_t len,
                      bool is_write);
};

struct pci_fn {
    uint8_t cfg[256];
    uint8_t wmask[256];  /* bits the guest may write */
    uint64_t bar0_size;  /* a power of 2 >= 4 KiB */
    uint8_t cap_next;    /* where the next capability goes; 0 when full */
    uint8_t *cap_link;   /* the "next" byte of the last capability */
    uint8_t slot;
    const struct pci_fn_ops *ops;
    void *opaque;
};

struct pci_host {
    pthread_mutex_t lock; /* the address latch and every function's cfg[] */
    uint32_t addr;        /* the value at 0xcf8 */
    struct pci_fn bridge;
    struct pci_fn *fn[PCI_MAX_SLOTS];
    uint64_t next_bar;    /* next free address in the window */
};

/* Set up (h) with the host bridge in slot 0 and claim the ports and the
 * window on (bus).  Returns 0 or -errno. */
int pci_host_init(struct pci_host *h, struct bus *bus) __attribute__((warn_unused_result));

/*
 * Start a type-0 header in (fn): ids, class, a 64-bit memory BAR 0 of
 * (bar0_size) bytes.  Then add capabilities, then pci_host_add().
 */
void pci_fn_init(struct pci_fn *fn, uint16_t vendor, uint16_t device, uint32_t class_rev,
                 uint16_t subsys_vendor, uint16_t subsys_id, uint64_t bar0_size,
                 const struct pci_fn_ops *ops, void *opaque);

/* Append a capability of (len) bytes (id first, then the link byte, then
 * body[2..len)); returns its offset in cfg[], or 0 if there is no room. */
uint8_t pci_fn_add_cap(struct pci_fn *fn, const uint8_t *body, uint8_t len);

/* Put (fn) in the next free slot and give BAR 0 its address. */
int pci_host_add(struct pci_host *h, struct pci_fn *fn) __attribute__((warn_unused_result));

/* BAR 0's guest-physical address as last programmed. */
uint64_t pci_fn_bar0(const struct pci_fn *fn);

/* Configuration space little-endian accessors. */
static inline uint16_t pci_cfg16(const struct pci_fn *fn, uint32_t off)
{
    return (uint16_t)(fn->cfg[off] | fn->cfg[off + 1] << 8);
}

static inline uint32_t pci_cfg32(const struct pci_fn *fn, uint32_t off)
{
    return (uint32_t)pci_cfg16(fn, off) | (uint32_t)pci_cfg16(fn, off + 2) << 16;
}

/* Host-only tests drive these directly: mechanism #1 accesses. */
int pci_host_pio(struct vcpu *vcpu, void *opaque, uint64_t port, uint8_t *data, uint32_t len,
                 bool is_write);
int pci_host_mmio(struct vcpu *vcpu, void *opaque, uint64_t addr, uint8_t *data, uint32_t len,
                  bool is_write);

#endif
