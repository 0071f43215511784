// SPDX-License-Identifier: MIT
/* libFuzzer target: a guest driving PCI configuration space (mechanism #1)
 * and a virtio-pci function's BAR 0 (common configuration, ISR, notify,
 * MSI-X table, PBA) with arbitrary accesses.  Input = 12-byte records:
 * kind, length, offset (u16), value (u64). */
#include <stdlib.h>
#include <string.h>

#include "vmm/dev/pci_host.h"
#include "vmm/dev/virtio/pci.h"

#define RAM (64u << 10)

static void cfg_read(struct vpci *v, uint32_t off, uint8_t *data, uint32_t len)
{
    (void)v, (void)off;
    memset(data, 0, len);
}

static void notify(struct vpci *v, uint16_t q)
{
    struct vq_elem *e = v->dev;

    while (vq_pop(&v->vq[q], e) == 1)
        vq_push(&v->vq[q], e->head, 0);
    vpci_signal_queue(v, q);
}

static const struct vdev_ops ops = {
    .name = "fuzz", .id = 2, .class_rev = 0x01800000, .config_read = cfg_read, .notify = notify,
};

static void guest_error(void *opaque, const char *fmt, ...)
{
    (void)opaque, (void)fmt;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct guest_mem mem = { .memfd = -1 };
    static struct vq_elem elem;
    static struct bus bus;
    static struct pci_host host;
    static struct irq irq;
    static struct vpci v;
    struct vpci_env env = { .mem = &mem, .irq = &irq, .vm_fd = -1, .guest_error = guest_error };

    if (!mem.host) {
        mem.host = calloc(1, RAM);
        if (!mem.host)
            abort();
        mem_layout(&mem, RAM);
    }
    memset(&bus, 0, sizeof(bus));
    irq_init(&irq, -1);
    if (pci_host_init(&host, &bus) || vpci_init(&v, &ops, &elem, 2, 0, "f", 0, &env, &host))
        abort();
    for (; size >= 12; data += 12, size -= 12) {
        uint8_t kind = data[0] % 4, len = (uint8_t)(1u << (data[1] % 4)), buf[8];
        uint16_t off;

        memcpy(&off, data + 2, 2);
        memcpy(buf, data + 4, 8);
        switch (kind) {
        case 0: /* BAR 0 */
            (void)vpci_bar_access(&v.fn, off % VPCI_BAR_SIZE, buf, len, data[1] & 4);
            break;
        case 1: /* configuration address */
            (void)pci_host_pio(NULL, &host, PCI_CFG_ADDR_PORT, buf, 4, true);
            break;
        case 2: /* configuration data */
            (void)pci_host_pio(NULL, &host, PCI_CFG_DATA_PORT + (off & 3), buf, len > 4 ? 4 : len,
                               data[1] & 4);
            break;
        default: /* a kick, served as the I/O thread would */
            pthread_mutex_lock(&v.lock);
            if ((v.status & VIRTIO_STATUS_DRIVER_OK) && v.vq[off % 2].ready &&
                !(v.status & VIRTIO_STATUS_NEEDS_RESET))
                notify(&v, off % 2);
            pthread_mutex_unlock(&v.lock);
            break;
        }
    }
    vpci_exit(&v);
    irq_exit(&irq);
    return 0;
}
