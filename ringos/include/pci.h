/* SPDX-License-Identifier: MIT */
/*
 * PCI configuration access through mechanism #1 (ports 0xcf8/0xcfc, which
 * both ringvisor and QEMU q35 offer) and uncached kernel mappings of BARs.
 */
#ifndef RINGOS_PCI_H
#define RINGOS_PCI_H

#include "types.h"

#define PCI_VENDOR_ID 0x00
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_CAP_PTR 0x34
#define PCI_CMD_MEM 0x2
#define PCI_CMD_MASTER 0x4
#define PCI_STATUS_CAPS 0x10
#define PCI_CAP_VENDOR 0x09
#define PCI_CAP_MSIX 0x11

/* Configuration dword at (off & ~3) of (bus, devfn). */
uint32_t pci_read32(uint8_t bus, uint8_t devfn, uint8_t off);
void pci_write32(uint8_t bus, uint8_t devfn, uint8_t off, uint32_t v);
uint8_t pci_read8(uint8_t bus, uint8_t devfn, uint8_t off);
uint16_t pci_read16(uint8_t bus, uint8_t devfn, uint8_t off);
/* Turn on memory decoding and bus mastering in the command register. */
void pci_enable(uint8_t bus, uint8_t devfn);
/* Set MSI-X enable (and clear function mask) in the capability at (cap). */
void pci_msix_enable(uint8_t bus, uint8_t devfn, uint8_t cap);
/*
 * GPA of BAR (bar) (a 64-bit BAR spans two slots), or 0 when it is not a
 * memory BAR or is unassigned.
 */
uint64_t pci_bar_gpa(uint8_t bus, uint8_t devfn, unsigned bar);
/*
 * Map (size) bytes of MMIO at (gpa) uncached into the direct map (the same
 * kernel address phys_to_virt() gives); returns it, or NULL without memory
 * for page tables.  Large pages covering the range are split first.
 */
volatile void *pci_mmio_map(uint64_t gpa, uint64_t size);

#endif
