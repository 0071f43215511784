// SPDX-License-Identifier: MIT
/* The virtio 1.x PCI transport, modern only (virtio 1.2 sec. 4.1). */
#include "vmm/dev/virtio/pci.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* struct virtio_pci_common_cfg (4.1.4.3) field offsets. */
enum {
    CC_DFSELECT = 0x00,
    CC_DF = 0x04,
    CC_GFSELECT = 0x08,
    CC_GF = 0x0c,
    CC_MSIX_CONFIG = 0x10,
    CC_NUM_QUEUES = 0x12,
    CC_STATUS = 0x14,
    CC_GENERATION = 0x15,
    CC_Q_SELECT = 0x16,
    CC_Q_SIZE = 0x18,
    CC_Q_MSIX = 0x1a,
    CC_Q_ENABLE = 0x1c,
    CC_Q_NOFF = 0x1e,
    CC_Q_DESC = 0x20,
    CC_Q_DRIVER = 0x28,
    CC_Q_DEVICE = 0x30,
    CC_SIZE = 0x3c,
};

/* virtio_pci_cap cfg_type values (4.1.4). */
enum { CAP_COMMON = 1, CAP_NOTIFY = 2, CAP_ISR = 3, CAP_DEVICE = 4 };

#define MSIX_CTRL_MASKED 1u
#define MSIX_ENABLE 0x8000u
#define MSIX_FN_MASK 0x4000u

static void put16(uint8_t *p, uint16_t v)
{
    memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

/* ---- interrupts --------------------------------------------------------- */

static bool vector_masked(const struct vpci *v, uint16_t vec)
{
    return !v->msix_enabled || v->msix_masked || (v->msix[vec].ctrl & MSIX_CTRL_MASKED);
}

/* Deliver (vec), or remember it in the PBA while masked (PCI 3.0 6.8.2.9).
 * Without MSI-X there is no interrupt: we offer no INTx (no IOAPIC). */
static void raise_vector(struct vpci *v, uint16_t vec, uint8_t isr_bit)
{
    v->isr |= isr_bit;
    if (vec >= v->nr_queues + 1u)
        return;
    if (vector_masked(v, vec))
        v->pba |= 1u << vec;
    else
        irq_raise(v->env.irq, v->gsi[vec]);
}

/* KVM routes (vec) only while it can fire: a driver writes the address and
 * data of a masked entry one dword at a time, and a half-written message
 * must never reach the APIC. */
static void msix_route(struct vpci *v, uint16_t vec)
{
    const struct vpci_msix *m = &v->msix[vec];
    bool live = !vector_masked(v, vec);

    if (irq_route(v->env.irq, v->gsi[vec], live, (uint64_t)m->addr_hi << 32 | m->addr_lo,
                  m->data))
        v->env.guest_error(v->env.opaque, "%s: cannot route MSI-X vector %u", v->name, vec);
}

/* After an unmask: what was held back goes out now. */
static void flush_pending(struct vpci *v)
{
    for (uint16_t vec = 0; vec < v->nr_queues + 1u; vec++) {
        if ((v->pba & (1u << vec)) && !vector_masked(v, vec)) {
            v->pba &= ~(1u << vec);
            irq_raise(v->env.irq, v->gsi[vec]);
        }
    }
}

void vpci_signal_queue(struct vpci *v, uint16_t q)
{
    if (q < v->nr_queues && vq_should_signal(&v->vq[q]))
        raise_vector(v, v->q_vector[q], 1);
}

void vpci_needs_reset(struct vpci *v, uint16_t q)
{
    if (v->status & VIRTIO_STATUS_NEEDS_RESET)
        return;
    v->env.guest_error(v->env.opaque, "%s: queue %u: %s; the device needs a reset", v->name,
                       q, q < v->nr_queues && v->vq[q].why ? v->vq[q].why : "broken");
    v->status |= VIRTIO_STATUS_NEEDS_RESET;
    v->generation++;
    raise_vector(v, v->config_vector, 2);
}

/* ---- common configuration ----------------------------------------------- */

static void device_reset(struct vpci *v)
{
    if (v->ops->reset)
        v->ops->reset(v);
    v->status = 0;
    v->guest_features = 0;
    v->dfselect = v->gfselect = 0;
    v->isr = 0;
    v->qsel = 0;
    v->config_vector = VPCI_NO_VECTOR;
    for (uint16_t q = 0; q < v->nr_queues; q++) {
        vq_reset(&v->vq[q]);
        v->q_vector[q] = VPCI_NO_VECTOR;
    }
}

static void status_write(struct vpci *v, uint8_t val)
{
    uint8_t old = v->status;

    if (val == 0) {
        device_reset(v);
        return;
    }
    /* Bits only go up until reset; NEEDS_RESET is ours to set. */
    val = (uint8_t)((val | old) & ~VIRTIO_STATUS_NEEDS_RESET) |
          (old & VIRTIO_STATUS_NEEDS_RESET);
    if ((val & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK)) {
        /* 3.1.1: refuse what we did not offer, and legacy drivers. */
        if ((v->guest_features & ~v->host_features) ||
            !(v->guest_features & VIRTIO_F_VERSION_1)) {
            val &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
        } else {
            for (uint16_t q = 0; q < v->nr_queues; q++) {
                v->vq[q].indirect = v->guest_features & VIRTIO_F_INDIRECT_DESC;
                v->vq[q].event_idx = v->guest_features & VIRTIO_F_EVENT_IDX;
            }
        }
    }
    v->status = val;
    if ((val & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK)) {
        /* Buffers added before DRIVER_OK are looked at now. */
        for (uint16_t q = 0; q < v->nr_queues; q++) {
            uint64_t one = 1;

            if (v->vq[q].ready && write(v->kick_fd[q], &one, sizeof(one)) < 0) {
                /* counter overflow: a kick is pending anyway */
            }
        }
    }
}

static uint16_t vector_arg(const struct vpci *v, uint64_t val)
{
    /* 4.1.4.3: a vector we cannot map reads back as NO_VECTOR. */
    return val < v->nr_queues + 1u ? (uint16_t)val : VPCI_NO_VECTOR;
}

static void common_read(struct vpci *v, uint32_t off, uint8_t *data, uint32_t len)
{
    uint8_t img[CC_SIZE] = { 0 };
    const struct vq *q = v->qsel < v->nr_queues ? &v->vq[v->qsel] : NULL;

    put32(img + CC_DFSELECT, v->dfselect);
    put32(img + CC_DF, v->dfselect < 2 ? (uint32_t)(v->host_features >> (32 * v->dfselect)) : 0);
    put32(img + CC_GFSELECT, v->gfselect);
    put32(img + CC_GF, v->gfselect < 2 ? (uint32_t)(v->guest_features >> (32 * v->gfselect)) : 0);
    put16(img + CC_MSIX_CONFIG, v->config_vector);
    put16(img + CC_NUM_QUEUES, v->nr_queues);
    img[CC_STATUS] = v->status;
    img[CC_GENERATION] = v->generation;
    put16(img + CC_Q_SELECT, v->qsel);
    if (q) {
        put16(img + CC_Q_SIZE, q->size);
        put16(img + CC_Q_MSIX, v->q_vector[v->qsel]);
        put16(img + CC_Q_ENABLE, q->ready);
        put16(img + CC_Q_NOFF, v->qsel);
        memcpy(img + CC_Q_DESC, &q->desc, 8);
        memcpy(img + CC_Q_DRIVER, &q->avail, 8);
        memcpy(img + CC_Q_DEVICE, &q->used, 8);
    }
    memset(data, 0, len);
    if (off < CC_SIZE)
        memcpy(data, img + off, len < CC_SIZE - off ? len : CC_SIZE - off);
}

/* Write 4 or 8 bytes (val) into half or all of the 64-bit (*field). */
static void write_addr(uint64_t *field, uint32_t at, uint32_t len, uint64_t val)
{
    if (len == 8 && at == 0)
        *field = val;
    else if (len == 4 && at == 0)
        *field = (*field & ~0xffffffffull) | (uint32_t)val;
    else if (len == 4 && at == 4)
        *field = (*field & 0xffffffffull) | val << 32;
}

static void common_write(struct vpci *v, uint32_t off, const uint8_t *data, uint32_t len)
{
    struct vq *q = v->qsel < v->nr_queues ? &v->vq[v->qsel] : NULL;
    uint64_t val = 0;

    memcpy(&val, data, len);
    /* Each field at its own width (4.1.3.1); anything else is ignored. */
    switch (off) {
    case CC_DFSELECT:
        if (len == 4)
            v->dfselect = (uint32_t)val;
        return;
    case CC_GFSELECT:
        if (len == 4)
            v->gfselect = (uint32_t)val;
        return;
    case CC_GF:
        if (len == 4 && v->gfselect < 2 && !(v->status & VIRTIO_STATUS_FEATURES_OK)) {
            uint32_t shift = 32 * v->gfselect;

            v->guest_features = (v->guest_features & ~(0xffffffffull << shift)) | val << shift;
        }
        return;
    case CC_MSIX_CONFIG:
        if (len == 2)
            v->config_vector = vector_arg(v, val);
        return;
    case CC_STATUS:
        if (len == 1)
            status_write(v, (uint8_t)val);
        return;
    case CC_Q_SELECT:
        if (len == 2)
            v->qsel = (uint16_t)val;
        return;
    case CC_Q_MSIX:
        if (len == 2 && q)
            v->q_vector[v->qsel] = vector_arg(v, val);
        return;
    }
    /* The queue's shape is fixed once it is enabled (4.1.4.3.2). */
    if (!q || q->ready)
        return;
    if (off == CC_Q_SIZE && len == 2) {
        q->size = (uint16_t)val;
    } else if (off == CC_Q_ENABLE && len == 2 && val == 1) {
        q->ready = true;
        if (!vq_check(q))
            vpci_needs_reset(v, v->qsel);
    } else if (off >= CC_Q_DESC && off < CC_Q_DRIVER) {
        write_addr(&q->desc, off - CC_Q_DESC, len, val);
    } else if (off >= CC_Q_DRIVER && off < CC_Q_DEVICE) {
        write_addr(&q->avail, off - CC_Q_DRIVER, len, val);
    } else if (off >= CC_Q_DEVICE && off < CC_Q_DEVICE + 8) {
        write_addr(&q->used, off - CC_Q_DEVICE, len, val);
    }
}

/* ---- MSI-X table -------------------------------------------------------- */

static void msix_access(struct vpci *v, uint64_t off, uint8_t *data, uint32_t len,
                        bool is_write)
{
    uint32_t vec = (uint32_t)(off / 16), field = (uint32_t)(off % 16), val;
    uint32_t *words;
    bool was_masked;

    /* Dword accesses only (PCI 3.0 6.8.2); the rest reads as 0. */
    if (len != 4 || field % 4 || vec >= v->nr_queues + 1u) {
        if (!is_write)
            memset(data, 0, len);
        return;
    }
    words = &v->msix[vec].addr_lo;
    if (!is_write) {
        memcpy(data, &words[field / 4], 4);
        return;
    }
    memcpy(&val, data, 4);
    was_masked = vector_masked(v, (uint16_t)vec);
    words[field / 4] = field == 12 ? (val & MSIX_CTRL_MASKED) : val;
    msix_route(v, (uint16_t)vec);
    if (was_masked)
        flush_pending(v);
}

static void cfg_written(struct pci_fn *fn, uint32_t off, uint32_t len)
{
    struct vpci *v = fn->opaque;
    uint32_t ctrl = v->msix_cap + 2u;
    uint16_t val;

    if (off + len <= ctrl || off >= ctrl + 2)
        return;
    val = pci_cfg16(fn, ctrl);
    pthread_mutex_lock(&v->lock);
    v->msix_enabled = val & MSIX_ENABLE;
    v->msix_masked = val & MSIX_FN_MASK;
    for (uint16_t vec = 0; vec < v->nr_queues + 1u; vec++)
        msix_route(v, vec);
    flush_pending(v);
    pthread_mutex_unlock(&v->lock);
}

/* ---- BAR 0 -------------------------------------------------------------- */

int vpci_bar_access(struct pci_fn *fn, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
    struct vpci *v = fn->opaque;

    if (len == 0 || len > 8)
        return 0;
    pthread_mutex_lock(&v->lock);
    if (off < VPCI_ISR_OFF) {
        if (is_write)
            common_write(v, (uint32_t)off, data, len);
        else
            common_read(v, (uint32_t)off, data, len);
    } else if (off < VPCI_DEVICE_OFF) {
        if (!is_write) {
            memset(data, 0, len);
            if (off == VPCI_ISR_OFF) {
                data[0] = v->isr; /* 4.1.4.5: reading clears it */
                v->isr = 0;
            }
        }
    } else if (off < VPCI_NOTIFY_OFF) {
        if (!is_write)
            v->ops->config_read(v, (uint32_t)(off - VPCI_DEVICE_OFF), data, len);
    } else if (off < VPCI_MSIX_OFF) {
        uint64_t q = (off - VPCI_NOTIFY_OFF) / VPCI_NOTIFY_MULT, one = 1;

        /* Before the kick becomes an ioeventfd, and for odd widths. */
        if (is_write && q < v->nr_queues && write(v->kick_fd[q], &one, sizeof(one)) < 0) {
            /* counter overflow: a kick is pending anyway */
        }
        if (!is_write)
            memset(data, 0, len);
    } else if (off < VPCI_PBA_OFF) {
        msix_access(v, off - VPCI_MSIX_OFF, data, len, is_write);
    } else if (!is_write) {
        uint64_t pba = off == VPCI_PBA_OFF ? v->pba : 0;

        memcpy(data, &pba, len);
    }
    pthread_mutex_unlock(&v->lock);
    return 0;
}

/* ---- queue kicks (I/O thread) ------------------------------------------- */

static void on_kick(struct vpci *v, uint16_t q)
{
    pthread_mutex_lock(&v->lock);
    if ((v->status & VIRTIO_STATUS_DRIVER_OK) && !(v->status & VIRTIO_STATUS_NEEDS_RESET) &&
        v->vq[q].ready)
        v->ops->notify(v, q);
    pthread_mutex_unlock(&v->lock);
}

/* One trampoline per queue index: the I/O thread passes one pointer. */
#define KICK_FN(n)                                 \
    static void on_kick_##n(void *opaque)          \
    {                                              \
        on_kick(opaque, n);                        \
    }
KICK_FN(0) KICK_FN(1) KICK_FN(2) KICK_FN(3) KICK_FN(4) KICK_FN(5) KICK_FN(6) KICK_FN(7)
static void (*const kick_fns[VPCI_MAX_QUEUES])(void *) = {
    on_kick_0, on_kick_1, on_kick_2, on_kick_3, on_kick_4, on_kick_5, on_kick_6, on_kick_7,
};

int vpci_use_ioeventfds(struct vpci *v)
{
    uint64_t bar = pci_fn_bar0(&v->fn);

    if (v->kick_ioeventfd || v->env.vm_fd < 0)
        return 0;
    for (uint16_t q = 0; q < v->nr_queues; q++) {
        /* 4.1.5.2: the driver writes the 16-bit queue index. */
        struct kvm_ioeventfd ev = {
            .addr = bar + VPCI_NOTIFY_OFF + q * VPCI_NOTIFY_MULT, .len = 2, .fd = v->kick_fd[q] };

        if (ioctl(v->env.vm_fd, KVM_IOEVENTFD, &ev) < 0)
            return -errno;
    }
    v->kick_ioeventfd = true;
    return 0;
}

/* ---- set-up ------------------------------------------------------------- */

static const struct pci_fn_ops vpci_fn_ops = {
    .cfg_written = cfg_written,
    .bar_access = vpci_bar_access,
};

static void add_virtio_cap(struct pci_fn *fn, uint8_t type, uint32_t off, uint32_t len,
                           bool notify)
{
    uint8_t cap[20] = { PCI_CAP_ID_VNDR, 0, notify ? 20 : 16, type, 0 /* BAR 0 */ };

    put32(cap + 8, off);
    put32(cap + 12, len);
    if (notify)
        put32(cap + 16, VPCI_NOTIFY_MULT);
    (void)pci_fn_add_cap(fn, cap, cap[2]);
}

int vpci_init(struct vpci *v, const struct vdev_ops *ops, void *dev, uint16_t nr_queues,
              uint64_t features, const char *name, uint32_t flags, const struct vpci_env *env,
              struct pci_host *host)
{
    uint8_t msix[12] = { PCI_CAP_ID_MSIX, 0 };
    int err;

    if (nr_queues == 0 || nr_queues > VPCI_MAX_QUEUES)
        return -EINVAL;
    memset(v, 0, sizeof(*v));
    v->ops = ops;
    v->dev = dev;
    v->env = *env;
    v->flags = flags;
    v->nr_queues = nr_queues;
    snprintf(v->name, sizeof(v->name), "%s", name);
    pthread_mutex_init(&v->lock, NULL);
    v->host_features = features | VIRTIO_F_VERSION_1 | VIRTIO_F_INDIRECT_DESC | VIRTIO_F_EVENT_IDX;
    for (uint16_t q = 0; q < VPCI_MAX_QUEUES; q++)
        v->kick_fd[q] = -1;
    for (uint16_t q = 0; q < nr_queues; q++)
        v->vq[q].mem = env->mem;
    device_reset(v);
    for (uint16_t vec = 0; vec < VPCI_MAX_VECTORS; vec++)
        v->msix[vec].ctrl = MSIX_CTRL_MASKED; /* PCI 3.0 6.8.2.9: masked at reset */

    /* 4.1.2: vendor 0x1af4, device 0x1040 + id, revision 1 (modern). */
    pci_fn_init(&v->fn, 0x1af4, (uint16_t)(0x1040 + ops->id), ops->class_rev | 1, 0x1af4,
                0x40, VPCI_BAR_SIZE, &vpci_fn_ops, v);
    add_virtio_cap(&v->fn, CAP_COMMON, VPCI_COMMON_OFF, CC_SIZE, false);
    add_virtio_cap(&v->fn, CAP_NOTIFY, VPCI_NOTIFY_OFF, nr_queues * VPCI_NOTIFY_MULT, true);
    add_virtio_cap(&v->fn, CAP_ISR, VPCI_ISR_OFF, 1, false);
    add_virtio_cap(&v->fn, CAP_DEVICE, VPCI_DEVICE_OFF, 0x1000, false);
    put16(msix + 2, (uint16_t)(nr_queues + 1 - 1)); /* table size - 1 */
    put32(msix + 4, VPCI_MSIX_OFF);                  /* BIR 0 */
    put32(msix + 8, VPCI_PBA_OFF);
    v->msix_cap = pci_fn_add_cap(&v->fn, msix, sizeof(msix));
    if (!v->msix_cap)
        return -ENOSPC;
    v->fn.wmask[v->msix_cap + 3] = (MSIX_ENABLE | MSIX_FN_MASK) >> 8;

    for (uint16_t vec = 0; vec < nr_queues + 1u; vec++) {
        v->gsi[vec] = irq_alloc(env->irq);
        if (v->gsi[vec] < 0)
            return v->gsi[vec];
    }
    for (uint16_t q = 0; q < nr_queues; q++) {
        v->kick_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (v->kick_fd[q] < 0)
            return -errno;
        if (env->io) {
            err = iothread_add(env->io, v->kick_fd[q], kick_fns[q], v);
            if (err)
                return err;
        }
    }
    return pci_host_add(host, &v->fn);
}

void vpci_exit(struct vpci *v)
{
    if (!v->ops)
        return; /* vpci_init never ran */
    for (uint16_t q = 0; q < VPCI_MAX_QUEUES; q++) {
        if (v->kick_fd[q] >= 0)
            close(v->kick_fd[q]);
        v->kick_fd[q] = -1;
    }
}

void vpci_describe(const struct vpci *v, struct rv_dev *out)
{
    memset(out, 0, sizeof(*out));
    out->virtio_id = v->ops->id;
    out->bus = 0;
    out->devfn = (uint8_t)(v->fn.slot << 3);
    out->flags = v->flags;
    out->bar_gpa = pci_fn_bar0(&v->fn);
    out->common_off = VPCI_COMMON_OFF;
    out->notify_off = VPCI_NOTIFY_OFF;
    out->isr_off = VPCI_ISR_OFF;
    out->device_off = VPCI_DEVICE_OFF;
    out->notify_mult = VPCI_NOTIFY_MULT;
    out->msix_off = VPCI_MSIX_OFF;
    out->msix_count = (uint16_t)(v->nr_queues + 1);
    out->msix_cap = v->msix_cap;
    snprintf(out->name, sizeof(out->name), "%s", v->name);
}
