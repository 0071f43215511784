/* SPDX-License-Identifier: MIT */
/*
 * The virtio 1.x PCI transport (virtio 1.2 sec. 4.1), modern only: a PCI
 * function whose BAR 0 holds the common configuration, ISR, device
 * configuration, queue notification area and MSI-X table.  Devices (blk,
 * rng, console) never see PCI: they get queues, interrupts and a reset.
 *
 * Threads: register accesses come from vCPU threads, queue work runs on
 * the I/O thread.  vpci->lock serialises both; device callbacks run with it
 * held.
 */
#ifndef VMM_VIRTIO_PCI_H
#define VMM_VIRTIO_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "abi/rv_abi.h"
#include "vmm/core/iothread.h"
#include "vmm/core/irq.h"
#include "vmm/core/mem.h"
#include "vmm/dev/pci_host.h"
#include "vmm/dev/virtio/queue.h"

#define VPCI_MAX_QUEUES 8
#define VPCI_MAX_VECTORS (VPCI_MAX_QUEUES + 1)
#define VPCI_NO_VECTOR 0xffff

/* BAR 0 layout (also handed to ringos in struct rv_dev). */
#define VPCI_COMMON_OFF 0x0000u
#define VPCI_ISR_OFF 0x1000u
#define VPCI_DEVICE_OFF 0x2000u
#define VPCI_NOTIFY_OFF 0x3000u
#define VPCI_NOTIFY_MULT 4u
#define VPCI_MSIX_OFF 0x4000u
#define VPCI_PBA_OFF 0x5000u
#define VPCI_BAR_SIZE 0x8000u

/* Feature bits (6) the transport handles itself. */
#define VIRTIO_F_INDIRECT_DESC (1ull << 28)
#define VIRTIO_F_EVENT_IDX (1ull << 29)
#define VIRTIO_F_VERSION_1 (1ull << 32)

/* Device status bits (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

struct vpci;

struct vdev_ops {
    const char *name;     /* "virtio-blk" */
    uint16_t id;          /* virtio device id (5) */
    uint32_t class_rev;   /* PCI class code << 8 */
    /* Read (len) bytes at (off) of the device configuration; bytes beyond
     * the device's structure read as 0. */
    void (*config_read)(struct vpci *v, uint32_t off, uint8_t *data, uint32_t len);
    /* Queue (q) was notified and the driver is ready (I/O thread). */
    void (*notify)(struct vpci *v, uint16_t q);
    /* The driver reset the device: finish or drop in-flight work so that no
     * buffer is touched afterwards (vCPU thread). */
    void (*reset)(struct vpci *v);
};

/* What a transport needs from the VM around it. */
struct vpci_env {
    const struct guest_mem *mem;
    struct irq *irq;
    struct iothread *io;
    int vm_fd;            /* for ioeventfds; -1 in host-only tests */
    /* A guest broke a rule: one line, rate-limited by the receiver. */
    void (*guest_error)(void *opaque, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
    void *opaque;
};

struct vpci_msix {
    uint32_t addr_lo, addr_hi, data, ctrl;
};

struct vpci {
    struct pci_fn fn;
    const struct vdev_ops *ops;
    void *dev;                 /* the device's own state */
    struct vpci_env env;
    char name[16];             /* "vda", "rng0": for logs and rv_dev */
    uint32_t flags;            /* RV_DEV_* */
    uint16_t nr_queues;
    uint8_t msix_cap;          /* offset of the MSI-X capability */

    pthread_mutex_t lock;
    uint64_t host_features, guest_features;
    uint32_t dfselect, gfselect;
    uint8_t status, generation, isr;
    uint16_t qsel, config_vector;
    struct vq vq[VPCI_MAX_QUEUES];
    uint16_t q_vector[VPCI_MAX_QUEUES];
    int kick_fd[VPCI_MAX_QUEUES];    /* eventfd the notify area signals */
    bool kick_ioeventfd;             /* kick_fds are KVM ioeventfds now */
    struct vpci_msix msix[VPCI_MAX_VECTORS];
    uint32_t pba;
    bool msix_enabled, msix_masked;
    int gsi[VPCI_MAX_VECTORS];
};

/*
 * Set up (v) for a device with (ops) and (nr_queues) queues offering
 * (features) (VERSION_1, INDIRECT_DESC and EVENT_IDX are added), and put it
 * on (host).  Returns 0 or -errno.
 */
int vpci_init(struct vpci *v, const struct vdev_ops *ops, void *dev, uint16_t nr_queues,
              uint64_t features, const char *name, uint32_t flags, const struct vpci_env *env,
              struct pci_host *host) __attribute__((warn_unused_result));
void vpci_exit(struct vpci *v);

/* Describe (v) for the start-info device list. */
void vpci_describe(const struct vpci *v, struct rv_dev *out);

/* Make the queue notifications KVM ioeventfds (no exit per kick).  Called
 * once the VM has lived long enough (see vm.c); 0 or -errno. */
int vpci_use_ioeventfds(struct vpci *v) __attribute__((warn_unused_result));

/* With v->lock held (device callbacks): interrupt the driver for queue (q)
 * if it wants one, or for a configuration change. */
void vpci_signal_queue(struct vpci *v, uint16_t q);
/* A queue broke a rule: log it, set NEEDS_RESET, tell the driver (2.1.2). */
void vpci_needs_reset(struct vpci *v, uint16_t q);

/* For host-only tests and the fuzzer: BAR 0 accesses as the guest makes them. */
int vpci_bar_access(struct pci_fn *fn, uint64_t off, uint8_t *data, uint32_t len, bool is_write);

#endif
