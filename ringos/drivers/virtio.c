// SPDX-License-Identifier: MIT
/*
 * The virtio-pci modern transport: finding devices (start-info list or a
 * scan of PCI bus 0), the virtio 1.2 3.1.1 initialisation steps, split
 * virtqueues with event-index notification suppression, and MSI-X.
 */
#include "boot.h"
#include "errno.h"
#include "kernel.h"
#include "lib.h"
#include "mm.h"
#include "pci.h"
#include "printk.h"
#include "proc.h"
#include "time.h"
#include "virtio.h"
#include "virtio_dev.h"
#include "x86.h"

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_MODERN_BASE 0x1040 /* device id = 0x1040 + virtio id */

/* virtio_pci_cap.cfg_type (virtio 1.2 4.1.4) */
#define VIRTIO_PCI_CAP_COMMON 1
#define VIRTIO_PCI_CAP_NOTIFY 2
#define VIRTIO_PCI_CAP_ISR 3
#define VIRTIO_PCI_CAP_DEVICE 4

/* struct virtio_pci_common_cfg offsets */
#define CC_DFSELECT 0x00
#define CC_DF 0x04
#define CC_GFSELECT 0x08
#define CC_GF 0x0c
#define CC_MSIX 0x10
#define CC_NUMQ 0x12
#define CC_STATUS 0x14
#define CC_GENERATION 0x15
#define CC_Q_SELECT 0x16
#define CC_Q_SIZE 0x18
#define CC_Q_MSIX 0x1a
#define CC_Q_ENABLE 0x1c
#define CC_Q_NOFF 0x1e
#define CC_Q_DESC 0x20
#define CC_Q_DRIVER 0x28
#define CC_Q_DEVICE 0x30
#define CC_LEN 0x38

#define ST_ACKNOWLEDGE 1
#define ST_DRIVER 2
#define ST_DRIVER_OK 4
#define ST_FEATURES_OK 8
#define ST_FAILED 0x80

#define VIRTIO_MSI_NO_VECTOR 0xffff

/* IDT vectors for queue interrupts: free between console input (0x40) and the IPIs. */
#define VIRTIO_VEC_BASE 0x50
#define VIRTIO_VEC_COUNT 32

static struct virtq *vec_queue[VIRTIO_VEC_COUNT];
static unsigned vec_used;

static inline void mb(void)
{
    __asm__ volatile("mfence" ::: "memory");
}

static void cc_w8(struct virtio_dev *d, unsigned off, uint8_t v) { *(volatile uint8_t *)(d->common + off) = v; }
static void cc_w16(struct virtio_dev *d, unsigned off, uint16_t v) { *(volatile uint16_t *)(d->common + off) = v; }
static void cc_w32(struct virtio_dev *d, unsigned off, uint32_t v) { *(volatile uint32_t *)(d->common + off) = v; }
static uint8_t cc_r8(struct virtio_dev *d, unsigned off) { return *(volatile uint8_t *)(d->common + off); }
static uint16_t cc_r16(struct virtio_dev *d, unsigned off) { return *(volatile uint16_t *)(d->common + off); }
static uint32_t cc_r32(struct virtio_dev *d, unsigned off) { return *(volatile uint32_t *)(d->common + off); }

static void cc_w64(struct virtio_dev *d, unsigned off, uint64_t v)
{
    cc_w32(d, off, (uint32_t)v);
    cc_w32(d, off + 4, (uint32_t)(v >> 32));
}

void virtio_fail(struct virtio_dev *d)
{
    cc_w8(d, CC_STATUS, cc_r8(d, CC_STATUS) | ST_FAILED);
}

int virtio_negotiate(struct virtio_dev *d, uint64_t want)
{
    /* virtio 1.2 3.1.1: reset, wait for it, then ACKNOWLEDGE and DRIVER. */
    cc_w8(d, CC_STATUS, 0);
    for (int i = 0; cc_r8(d, CC_STATUS) != 0; i++)
        if (i > 1000)
            return -ENODEV;
    cc_w8(d, CC_STATUS, ST_ACKNOWLEDGE);
    cc_w8(d, CC_STATUS, ST_ACKNOWLEDGE | ST_DRIVER);
    cc_w32(d, CC_DFSELECT, 0);
    uint64_t have = cc_r32(d, CC_DF);
    cc_w32(d, CC_DFSELECT, 1);
    have |= (uint64_t)cc_r32(d, CC_DF) << 32;
    if (!(have & (1ull << VIRTIO_F_VERSION_1))) {
        virtio_fail(d);
        return -ENODEV;
    }
    d->features = have & (want | 1ull << VIRTIO_F_VERSION_1);
    cc_w32(d, CC_GFSELECT, 0);
    cc_w32(d, CC_GF, (uint32_t)d->features);
    cc_w32(d, CC_GFSELECT, 1);
    cc_w32(d, CC_GF, (uint32_t)(d->features >> 32));
    cc_w8(d, CC_STATUS, ST_ACKNOWLEDGE | ST_DRIVER | ST_FEATURES_OK);
    if (!(cc_r8(d, CC_STATUS) & ST_FEATURES_OK)) {
        virtio_fail(d);
        return -ENODEV;
    }
    return 0;
}

void virtio_ready(struct virtio_dev *d)
{
    cc_w8(d, CC_STATUS, ST_ACKNOWLEDGE | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
}

uint32_t virtio_cfg_read(struct virtio_dev *d, uint32_t off, unsigned n)
{
    if (off > d->devcfg_len || n > d->devcfg_len - off)
        return 0;
    switch (n) {
    case 1:
        return *(volatile uint8_t *)(d->devcfg + off);
    case 2:
        return *(volatile uint16_t *)(d->devcfg + off);
    default:
        return *(volatile uint32_t *)(d->devcfg + off);
    }
}

uint8_t virtio_status(struct virtio_dev *d)
{
    return cc_r8(d, CC_STATUS);
}

volatile uint16_t *virtio_queue_raw(struct virtio_dev *d, uint16_t index, uint16_t size,
                                    uint64_t desc, uint64_t avail, uint64_t used)
{
    cc_w16(d, CC_Q_SELECT, index);
    if (cc_r16(d, CC_Q_SIZE) == 0 || cc_r16(d, CC_Q_ENABLE))
        return NULL;
    uint64_t nbyte = (uint64_t)cc_r16(d, CC_Q_NOFF) * d->notify_mult;
    if (nbyte + 2 > d->notify_len)
        return NULL;
    cc_w16(d, CC_Q_SIZE, size);
    cc_w16(d, CC_Q_MSIX, VIRTIO_MSI_NO_VECTOR);
    cc_w64(d, CC_Q_DESC, desc);
    cc_w64(d, CC_Q_DRIVER, avail);
    cc_w64(d, CC_Q_DEVICE, used);
    cc_w16(d, CC_Q_ENABLE, 1);
    return (volatile uint16_t *)(d->notify + nbyte);
}

static void virtio_irq(struct trap_frame *tf)
{
    uint64_t i = tf->vector - VIRTIO_VEC_BASE;

    if (i < VIRTIO_VEC_COUNT && vec_queue[i]) {
        if (vec_queue[i]->on_used)
            vec_queue[i]->on_used(vec_queue[i]);
        else
            proc_wakeup(vec_queue[i]);
    }
    apic_eoi();
}

/* Point a free MSI-X table entry of (d) at a new IDT vector for (q); the entry index or -1. */
static int virtio_msix_alloc(struct virtio_dev *d, struct virtq *q, unsigned entry)
{
    if (!d->msix || entry >= d->msix_count || vec_used >= VIRTIO_VEC_COUNT)
        return -1;
    unsigned vec = VIRTIO_VEC_BASE + vec_used;
    volatile uint32_t *e = d->msix + 4 * entry;
    /* Address: the LAPIC of vCPU 0, physical destination; data: the vector, edge. */
    e[0] = 0xfee00000u | (apic_id() << 12);
    e[1] = 0;
    e[2] = vec;
    e[3] = 0; /* unmasked */
    vec_queue[vec_used++] = q;
    idt_set_handler(vec, virtio_irq);
    return (int)entry;
}

int virtio_queue_init(struct virtio_dev *d, struct virtq *q, uint16_t index, uint16_t max)
{
    memset(q, 0, sizeof(*q));
    q->dev = d;
    q->index = index;
    cc_w16(d, CC_Q_SELECT, index);
    uint16_t size = cc_r16(d, CC_Q_SIZE);
    if (size == 0 || cc_r16(d, CC_Q_ENABLE))
        return -ENODEV;
    /* Split queue sizes are powers of two (virtio 1.2 2.7); take ours no larger. */
    while (size > max)
        size >>= 1;
    if (size & (size - 1))
        return -ENODEV;
    q->size = size;
    cc_w16(d, CC_Q_SIZE, size);
    uint16_t noff = cc_r16(d, CC_Q_NOFF);
    uint64_t nbyte = (uint64_t)noff * d->notify_mult;
    if (nbyte + 2 > d->notify_len)
        return -ENODEV;
    q->notify_addr = (volatile uint16_t *)(d->notify + nbyte);
    q->event_idx = d->features & (1ull << VIRTIO_F_EVENT_IDX);
    q->indirect = d->features & (1ull << VIRTIO_F_INDIRECT_DESC);

    /* Two pages hold a ring of up to 256: descriptors, then avail and used. */
    uint8_t *mem = mm_alloc_pages(2);
    q->next = kmalloc(size * sizeof(uint16_t));
    q->chain = kmalloc(size * sizeof(uint16_t));
    q->token = kzalloc(size * sizeof(void *));
    if (!mem || !q->next || !q->chain || !q->token)
        return -ENOMEM;
    memset(mem, 0, 2 * PAGE_SIZE);
    q->desc = (struct virtq_desc *)mem;
    q->avail = (volatile uint16_t *)(mem + PAGE_SIZE);
    q->used = (volatile uint32_t *)(mem + PAGE_SIZE + 1024);
    for (uint16_t i = 0; i < size; i++)
        q->next[i] = i + 1;
    q->num_free = size;

    int entry = virtio_msix_alloc(d, q, index);
    cc_w16(d, CC_Q_MSIX, entry < 0 ? VIRTIO_MSI_NO_VECTOR : (uint16_t)entry);
    if (entry >= 0 && cc_r16(d, CC_Q_MSIX) != entry)
        printk("virtio: %02x:%02x queue %u: no MSI-X vector, completions will be polled\n",
               d->bus, d->devfn, index);
    cc_w64(d, CC_Q_DESC, virt_to_phys(q->desc));
    cc_w64(d, CC_Q_DRIVER, virt_to_phys((void *)q->avail));
    cc_w64(d, CC_Q_DEVICE, virt_to_phys((void *)q->used));
    cc_w16(d, CC_Q_ENABLE, 1);
    return 0;
}

/* Take (n) ring descriptors and fill them from (fill) (i-th buffer: addr, len);
 * flags carry WRITE from (n_out) on.  The head, or -1 without room. */
static int virtq_chain(struct virtq *q, unsigned n, unsigned n_out,
                       void (*fill)(const void *src, unsigned k, struct virtq_desc *d),
                       const void *src)
{
    if (n == 0 || n > q->num_free)
        return -1;
    uint16_t head = q->free_head, i = head;
    for (unsigned k = 0; k < n; k++) {
        fill(src, k, &q->desc[i]);
        q->desc[i].flags =
            (k >= n_out ? VIRTQ_DESC_F_WRITE : 0) | (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0);
        q->desc[i].next = k + 1 < n ? q->next[i] : 0;
        i = q->next[i];
    }
    q->free_head = i;
    q->num_free -= n;
    q->chain[head] = n;
    return head;
}

/* Publish chain (head) with (token). */
static void virtq_publish(struct virtq *q, uint16_t head, void *token)
{
    q->token[head] = token;
    q->avail[2 + (q->avail_idx & (q->size - 1))] = head;
    barrier(); /* the device sees the ring entry before the new index (x86: stores stay ordered) */
    q->avail[1] = ++q->avail_idx;
}

static void fill_buf(const void *src, unsigned k, struct virtq_desc *d)
{
    const struct virtq_buf *b = (const struct virtq_buf *)src + k;

    d->addr = b->gpa;
    d->len = b->len;
}

static void fill_desc(const void *src, unsigned k, struct virtq_desc *d)
{
    const struct virtq_desc *t = (const struct virtq_desc *)src + k;

    d->addr = t->addr;
    d->len = t->len;
}

int virtq_add(struct virtq *q, const struct virtq_buf *bufs, unsigned n_out, unsigned n_in,
              void *token)
{
    if (q->broken)
        return -EIO;
    int head = virtq_chain(q, n_out + n_in, n_out, fill_buf, bufs);
    if (head < 0)
        return -ENOSPC;
    virtq_publish(q, (uint16_t)head, token);
    return 0;
}

int virtq_add_table(struct virtq *q, struct virtq_desc *table, unsigned n_out, unsigned n_in,
                    void *token)
{
    unsigned n = n_out + n_in;
    int head;

    if (q->broken)
        return -EIO;
    if (!q->indirect || n == 1) {
        head = virtq_chain(q, n, n_out, fill_desc, table);
    } else {
        /* virtio 1.2 2.7.5.3.1: the table's chain starts at entry 0 and
         * links by index; the ring descriptor carries only INDIRECT. */
        for (unsigned k = 0; k < n; k++) {
            table[k].flags = (k >= n_out ? VIRTQ_DESC_F_WRITE : 0) |
                             (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0);
            table[k].next = k + 1 < n ? (uint16_t)(k + 1) : 0;
        }
        struct virtq_desc d = { virt_to_phys(table), n * sizeof(*table), 0, 0 };
        head = virtq_chain(q, 1, 1, fill_desc, &d);
        if (head >= 0)
            q->desc[head].flags = VIRTQ_DESC_F_INDIRECT;
    }
    if (head < 0)
        return -ENOSPC;
    virtq_publish(q, (uint16_t)head, token);
    return 0;
}

void virtq_kick(struct virtq *q)
{
    uint16_t old = q->kicked_idx, new = q->avail_idx;

    if (old == new)
        return;
    q->kicked_idx = new;
    /* Store (avail idx) then load (avail_event): x86 needs mfence for that order. */
    mb();
    if (q->event_idx) {
        uint16_t ev = ((volatile uint16_t *)q->used)[2 + 4 * q->size];
        /* virtio 1.2 2.7.10: notify iff the device's event lies in (old, new]. */
        if ((uint16_t)(new - ev - 1) >= (uint16_t)(new - old))
            return;
    } else if (((volatile uint16_t *)q->used)[0] & 1) {
        return; /* VIRTQ_USED_F_NO_NOTIFY */
    }
    *q->notify_addr = q->index;
}

static uint16_t virtq_used_idx(struct virtq *q)
{
    return ((volatile uint16_t *)q->used)[1];
}

void *virtq_get(struct virtq *q, uint32_t *len)
{
    if (q->broken || q->last_used == virtq_used_idx(q))
        return NULL;
    barrier(); /* read the entry after the index (x86 keeps loads ordered) */
    const volatile uint32_t *e = q->used + 1 + 2 * (q->last_used & (q->size - 1));
    uint32_t id = e[0], n = e[1];
    if (id >= q->size || !q->token[id]) {
        printk("virtio: %02x:%02x queue %u: used id %u out of range; queue broken\n",
               q->dev->bus, q->dev->devfn, q->index, id);
        q->broken = true;
        return NULL;
    }
    q->last_used++;
    void *token = q->token[id];
    q->token[id] = NULL;
    /* Give the chain back: walk our own copy of the links, not the shared ring. */
    uint16_t i = id;
    for (unsigned k = 1; k < q->chain[id]; k++)
        i = q->next[i];
    q->next[i] = q->free_head;
    q->free_head = id;
    q->num_free += q->chain[id];
    *len = n;
    return token;
}

bool virtq_arm(struct virtq *q)
{
    if (q->event_idx)
        q->avail[2 + q->size] = q->last_used;
    /* Store (used_event) then load (used idx): x86 needs mfence for that order. */
    mb();
    return virtq_used_idx(q) == q->last_used;
}

void virtq_wait(struct virtq *q)
{
    while (!q->broken) {
        /* Ask for an interrupt at the next used entry, then look again: one
         * may have arrived before the device saw the request (store-load: mfence). */
        if (q->event_idx)
            q->avail[2 + q->size] = q->last_used;
        mb();
        if (virtq_used_idx(q) != q->last_used)
            return;
        if (!current || current->pid == 0) {
            /* Boot, or process 1 being set up on the boot context (pid 0),
             * which cannot sleep: nothing else could run anyway. */
            cpu_relax();
            continue;
        }
        /* A deadline keeps the timer armed: on kvm_pvm an interrupt taken
         * just before the idle hlt is otherwise noticed only at the next one. */
        if (proc_sleep_until(q, time_ns() + 10000000) == -EINTR)
            proc_yield(); /* a signal is pending: the I/O still has to finish */
    }
}

/* ---- discovery -------------------------------------------------------- */

/* Map (len) bytes at (off) in BAR (bar) of (d); NULL if the BAR is unusable. */
static volatile uint8_t *virtio_map(struct virtio_dev *d, uint8_t bar, uint32_t off, uint32_t len)
{
    uint64_t base = pci_bar_gpa(d->bus, d->devfn, bar);

    if (!base || !len)
        return NULL;
    return pci_mmio_map(base + off, len);
}

/* Read the virtio and MSI-X capabilities of (d) and map what they point at. */
static int virtio_pci_caps(struct virtio_dev *d)
{
    if (!(pci_read16(d->bus, d->devfn, PCI_STATUS) & PCI_STATUS_CAPS))
        return -ENODEV;
    uint8_t cap = pci_read8(d->bus, d->devfn, PCI_CAP_PTR) & ~3;
    /* 48 capabilities fit in the 192 bytes after the header: more is a loop. */
    for (int n = 0; cap >= 0x40 && n < 48; n++) {
        uint32_t w0 = pci_read32(d->bus, d->devfn, cap);
        uint8_t id = w0 & 0xff, next = (w0 >> 8) & 0xfc;
        if (id == PCI_CAP_MSIX) {
            uint32_t table = pci_read32(d->bus, d->devfn, cap + 4);
            d->msix_cap = cap;
            d->msix_count = ((w0 >> 16) & 0x7ff) + 1;
            d->msix = (volatile uint32_t *)virtio_map(d, table & 7, table & ~7u,
                                                      16u * d->msix_count);
        } else if (id == PCI_CAP_VENDOR && ((w0 >> 16) & 0xff) >= 16) {
            uint8_t type = w0 >> 24;
            uint8_t bar = pci_read8(d->bus, d->devfn, cap + 4);
            uint32_t off = pci_read32(d->bus, d->devfn, cap + 8);
            uint32_t len = pci_read32(d->bus, d->devfn, cap + 12);
            if (bar > 5)
                goto next;
            /* virtio 1.2 4.1.4.1: use the first capability of each type. */
            if (type == VIRTIO_PCI_CAP_COMMON && !d->common && len >= CC_LEN) {
                d->common = virtio_map(d, bar, off, len);
            } else if (type == VIRTIO_PCI_CAP_NOTIFY && !d->notify) {
                d->notify_mult = pci_read32(d->bus, d->devfn, cap + 16);
                d->notify = virtio_map(d, bar, off, len);
                d->notify_len = len;
            } else if (type == VIRTIO_PCI_CAP_ISR && !d->isr) {
                d->isr = virtio_map(d, bar, off, len);
            } else if (type == VIRTIO_PCI_CAP_DEVICE && !d->devcfg) {
                d->devcfg = virtio_map(d, bar, off, len);
                d->devcfg_len = len;
            }
        }
next:
        cap = next;
    }
    return d->common && d->notify && d->isr ? 0 : -ENODEV;
}

static void virtio_attach(struct virtio_dev *d)
{
    pci_enable(d->bus, d->devfn);
    if (d->msix)
        pci_msix_enable(d->bus, d->devfn, d->msix_cap);
    int err;
    switch (d->type) {
    case VIRTIO_ID_BLOCK:
        err = virtio_blk_probe(d);
        break;
    case VIRTIO_ID_RNG:
        err = virtio_rng_probe(d);
        break;
    case VIRTIO_ID_CONSOLE:
        err = virtio_console_probe(d);
        break;
    default:
        err = -ENODEV;
        break;
    }
    if (err && err != -ENODEV)
        printk("virtio: %02x:%02x (type %u): setup failed: error %d\n", d->bus, d->devfn,
               d->type, -err);
}

static void virtio_probe_pci(void)
{
    for (unsigned dev = 0; dev < 32; dev++) {
        for (unsigned fn = 0; fn < 8; fn++) {
            uint8_t devfn = dev << 3 | fn;
            uint32_t id = pci_read32(0, devfn, PCI_VENDOR_ID);
            if ((id & 0xffff) == 0xffff) {
                if (fn == 0)
                    break;
                continue;
            }
            uint16_t did = id >> 16;
            if ((id & 0xffff) == VIRTIO_PCI_VENDOR && did > VIRTIO_PCI_MODERN_BASE &&
                did < VIRTIO_PCI_MODERN_BASE + 0x40) {
                struct virtio_dev *d = kzalloc(sizeof(*d));
                if (!d)
                    return;
                d->type = did - VIRTIO_PCI_MODERN_BASE;
                d->devfn = devfn;
                if (virtio_pci_caps(d) == 0)
                    virtio_attach(d);
                else
                    kfree(d);
            }
            if (fn == 0 && !(pci_read8(0, devfn, PCI_HEADER_TYPE) & 0x80))
                break; /* single-function device */
        }
    }
}

/*
 * The devices ringvisor listed in start info: what probing would find,
 * without its configuration-space reads (two exits each on kvm_pvm).  Every
 * area lies in BAR 0; the lengths are the transport's (virtio 1.2 4.1.4).
 */
struct virtio_dev *virtio_dev_map(const struct rv_dev *l)
{
    struct virtio_dev *d = kzalloc(sizeof(*d));

    if (!d)
        return NULL;
    d->type = l->virtio_id;
    d->bus = l->bus;
    d->devfn = l->devfn;
    d->readonly = l->flags & RV_DEV_READONLY;
    strlcpy(d->name, l->name, sizeof(d->name));
    d->common = pci_mmio_map(l->bar_gpa + l->common_off, CC_LEN);
    d->isr = pci_mmio_map(l->bar_gpa + l->isr_off, 1);
    d->devcfg_len = 0x100;
    d->devcfg = pci_mmio_map(l->bar_gpa + l->device_off, d->devcfg_len);
    d->notify_mult = l->notify_mult;
    d->notify_len = 4096;
    d->notify = pci_mmio_map(l->bar_gpa + l->notify_off, d->notify_len);
    d->msix_cap = l->msix_cap;
    d->msix_count = l->msix_count;
    d->msix = (volatile uint32_t *)pci_mmio_map(l->bar_gpa + l->msix_off, 16u * d->msix_count);
    if (d->common && d->isr && d->devcfg && d->notify && d->msix)
        return d;
    kfree(d);
    return NULL;
}

static void virtio_listed(void)
{
    for (uint32_t i = 0; i < boot.nr_devs; i++) {
        struct virtio_dev *d = virtio_dev_map(&boot.devs[i]);

        if (d)
            virtio_attach(d);
    }
}

void virtio_init(void)
{
    uint64_t t0 = time_ns();

    if (boot.devs_listed)
        virtio_listed();
    else
        virtio_probe_pci();
    if (cmdline_has("virtio-time"))
        printk("virtio: devices set up in %lu us\n", (time_ns() - t0) / 1000);
}
