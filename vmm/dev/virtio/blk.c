// SPDX-License-Identifier: MIT
/* virtio-blk over a raw image file, asynchronous through io_uring. */
#include "vmm/dev/virtio/blk.h"

#include <errno.h>
#include <linux/falloc.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

/* 5.2.3 feature bits */
#define VIRTIO_BLK_F_SEG_MAX (1ull << 2)
#define VIRTIO_BLK_F_RO (1ull << 5)
#define VIRTIO_BLK_F_BLK_SIZE (1ull << 6)
#define VIRTIO_BLK_F_FLUSH (1ull << 9)
#define VIRTIO_BLK_F_DISCARD (1ull << 13)
#define VIRTIO_BLK_F_WRITE_ZEROES (1ull << 14)

/* 5.2.6 request types and status */
enum {
    VIRTIO_BLK_T_IN = 0,
    VIRTIO_BLK_T_OUT = 1,
    VIRTIO_BLK_T_FLUSH = 4,
    VIRTIO_BLK_T_GET_ID = 8,
    VIRTIO_BLK_T_DISCARD = 11,
    VIRTIO_BLK_T_WRITE_ZEROES = 13,
};
enum { VIRTIO_BLK_S_OK = 0, VIRTIO_BLK_S_IOERR = 1, VIRTIO_BLK_S_UNSUPP = 2 };

#define SECTOR 512u
#define SEG_MAX (VQ_MAX_SIZE - 2)       /* header and status take two */
#define MAX_DISCARD_SECTORS (1u << 22)  /* 2 GiB per request */
#define BLK_ID_BYTES 20
/*
 * Interrupt moderation.  On kvm_pvm an interrupt costs ringos about as much
 * as the rest of a 4 KiB read (delivery, the trap that takes one held while
 * interrupts were off, the EOI write): ~40 us of guest time, measured.  A
 * busy ringos takes completions on its own each time it queues a request
 * (its driver reaps the used ring and moves used_event).  So answers to
 * small requests (HOLD_BYTES at most: for a big one the interrupt is noise)
 * wait up to HOLD_NS for the driver to take them, and the hold goes on while
 * it keeps taking some.  Not for a driver with one request at a time (the
 * last SERIAL requests each came with nothing else outstanding): it waits
 * for that very answer.  A hold the driver ignored (it sleeps, or its vCPU
 * was preempted) ends in the interrupt; two in a row and the device answers
 * at once for the next probe_every answers, a count that doubles (up to
 * PROBE_MAX) each time the next try fails too.
 */
#define HOLD_NS 200000
#define HOLD_BYTES (16u << 10)
#define SERIAL 16
#define PROBE_MIN 16
#define PROBE_MAX 256
/* Written bytes after which the host starts writing them back (write-behind). */
#define WRITE_BEHIND (8u << 20)

struct blk_outhdr {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

struct blk_discard_seg {
    uint64_t sector;
    uint32_t num_sectors;
    uint32_t flags;
};

struct vblk_req {
    struct vq_elem elem;
    struct vblk_req *next_free;
    uint8_t *status;   /* the last device-writable byte */
    uint32_t len;      /* bytes the operation must move */
    uint32_t written;  /* used length on success */
    uint16_t queue;
    uint32_t type;     /* VIRTIO_BLK_T_* */
    uint64_t off;      /* byte offset in the image */
};

/* struct virtio_blk_config (5.2.4), little-endian like the host. */
struct blk_config {
    uint64_t capacity;
    uint32_t size_max;
    uint32_t seg_max;
    uint8_t geometry[4];
    uint32_t blk_size;
    uint8_t topology[8];
    uint8_t writeback, unused0;
    uint16_t num_queues;
    uint32_t max_discard_sectors;
    uint32_t max_discard_seg;
    uint32_t discard_sector_alignment;
    uint32_t max_write_zeroes_sectors;
    uint32_t max_write_zeroes_seg;
    uint8_t write_zeroes_may_unmap;
    uint8_t unused1[3];
};
_Static_assert(offsetof(struct blk_config, max_discard_sectors) == 0x24, "virtio_blk_config");

static void blk_config_read(struct vpci *v, uint32_t off, uint8_t *data, uint32_t len)
{
    const struct vblk *b = v->dev;
    struct blk_config c = {
        .capacity = b->file.size / SECTOR,
        .seg_max = SEG_MAX,
        .blk_size = SECTOR,
        .num_queues = 1,
        .max_discard_sectors = MAX_DISCARD_SECTORS,
        .max_discard_seg = 1,
        .discard_sector_alignment = 1,
        .max_write_zeroes_sectors = MAX_DISCARD_SECTORS,
        .max_write_zeroes_seg = 1,
        .write_zeroes_may_unmap = 1,
    };

    memset(data, 0, len);
    if (off < sizeof(c))
        memcpy(data, (const uint8_t *)&c + off, len < sizeof(c) - off ? len : sizeof(c) - off);
}

/* ---- requests ----------------------------------------------------------- */

static void req_free(struct vblk *b, struct vblk_req *r)
{
    r->next_free = b->free;
    b->free = r;
}

static void req_done(struct vblk *b, struct vblk_req *r, uint8_t status, uint32_t written)
{
    *r->status = status;
    vq_push(&b->pci.vq[r->queue], r->elem.head, written + 1);
    req_free(b, r);
}

/*
 * Split (r)'s buffers: the 16-byte header comes off the front of the
 * device-readable part, the status byte off the end of the device-writable
 * part (2.6.4: no assumption about how the driver framed them).  Returns
 * false if there is no room for either: a driver bug, not an I/O error.
 */
static bool req_frame(struct vblk_req *r, struct blk_outhdr *hdr)
{
    struct vq_elem *e = &r->elem;
    uint32_t skip = sizeof(*hdr);
    int last;

    if (e->out_len < sizeof(*hdr) || e->in_len < 1)
        return false;
    vq_copy_out(e, 0, hdr, sizeof(*hdr)); /* our copy: the guest may change its own */
    for (unsigned i = 0; i < e->n_out && skip; i++) {
        size_t n = e->iov[i].iov_len < skip ? e->iov[i].iov_len : skip;

        e->iov[i].iov_base = (uint8_t *)e->iov[i].iov_base + n;
        e->iov[i].iov_len -= n;
        skip -= (uint32_t)n;
    }
    e->out_len -= sizeof(*hdr);
    for (last = e->n_out + e->n_in - 1; e->iov[last].iov_len == 0; last--)
        ;
    e->iov[last].iov_len--;
    r->status = (uint8_t *)e->iov[last].iov_base + e->iov[last].iov_len;
    e->in_len--;
    return true;
}

/* Sector range check without overflow: [sector, sector + bytes/512) on disk. */
static bool in_range(const struct vblk *b, uint64_t sector, uint64_t bytes)
{
    uint64_t total = b->file.size / SECTOR;

    return bytes % SECTOR == 0 && sector <= total && bytes / SECTOR <= total - sector;
}

/* Queue one request on the ring, or complete it now.  Returns true if an
 * SQE was added. */
static bool blk_start(struct vblk *b, struct vblk_req *r)
{
    struct vq_elem *e = &r->elem;
    struct blk_outhdr hdr;
    struct blk_discard_seg seg;
    struct io_uring_sqe *sqe;
    char id[BLK_ID_BYTES] = { 0 };

    if (!req_frame(r, &hdr)) {
        /* Without a header or status byte there is no way to answer. */
        vq_break(&b->pci.vq[r->queue], "virtio-blk request without header or status byte");
        req_free(b, r);
        vpci_needs_reset(&b->pci, r->queue);
        return false;
    }
    r->type = hdr.type;
    switch (hdr.type) {
    case VIRTIO_BLK_T_IN:
        if (!in_range(b, hdr.sector, e->in_len))
            break;
        sqe = io_uring_get_sqe(&b->ring);
        io_uring_prep_readv(sqe, b->file.fd, e->iov + e->n_out, e->n_in,
                            hdr.sector * SECTOR);
        r->len = r->written = e->in_len;
        io_uring_sqe_set_data(sqe, r);
        return true;
    case VIRTIO_BLK_T_OUT:
        /* Device-writable buffers are never request data: only out ones. */
        if (b->file.ro || !in_range(b, hdr.sector, e->out_len))
            break;
        sqe = io_uring_get_sqe(&b->ring);
        io_uring_prep_writev(sqe, b->file.fd, e->iov, e->n_out, hdr.sector * SECTOR);
        r->off = hdr.sector * SECTOR;
        r->len = e->out_len;
        r->written = 0;
        io_uring_sqe_set_data(sqe, r);
        return true;
    case VIRTIO_BLK_T_FLUSH:
        /* fdatasync: an acknowledged flush survives our process dying. */
        sqe = io_uring_get_sqe(&b->ring);
        io_uring_prep_fsync(sqe, b->file.fd, IORING_FSYNC_DATASYNC);
        r->len = r->written = 0;
        io_uring_sqe_set_data(sqe, r);
        return true;
    case VIRTIO_BLK_T_GET_ID:
        memcpy(id, b->id, strnlen(b->id, sizeof(id)));
        req_done(b, r, VIRTIO_BLK_S_OK, vq_copy_in(e, 0, id, sizeof(id)));
        return false;
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES:
        if (!b->file.punch_hole) {
            req_done(b, r, VIRTIO_BLK_S_UNSUPP, 0);
            return false;
        }
        /* One segment (max_*_seg = 1), copied before it is checked. */
        if (b->file.ro || e->out_len != sizeof(seg))
            break;
        vq_copy_out(e, sizeof(hdr), &seg, sizeof(seg));
        if (seg.num_sectors > MAX_DISCARD_SECTORS ||
            !in_range(b, seg.sector, (uint64_t)seg.num_sectors * SECTOR))
            break;
        /* A punched hole reads as zeroes: both operations are one call. */
        sqe = io_uring_get_sqe(&b->ring);
        io_uring_prep_fallocate(sqe, b->file.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                                seg.sector * SECTOR, (uint64_t)seg.num_sectors * SECTOR);
        r->len = r->written = 0;
        io_uring_sqe_set_data(sqe, r);
        return true;
    default:
        req_done(b, r, VIRTIO_BLK_S_UNSUPP, 0);
        return false;
    }
    req_done(b, r, VIRTIO_BLK_S_IOERR, 0);
    return false;
}

/*
 * A write of [off, off + len) finished: once WRITE_BEHIND bytes have
 * piled up, ask the host kernel to start writing them to the disk
 * (SYNC_FILE_RANGE_WRITE waits for nothing).  A later flush then finds
 * little left to write; without it every byte the guest wrote stays dirty
 * in the host's page cache until the flush.  Lock held.
 */
static void blk_write_behind(struct vblk *b, uint64_t off, uint32_t len)
{
    struct io_uring_sqe *sqe;

    if (b->wb_hi == b->wb_lo || off < b->wb_lo)
        b->wb_lo = off;
    if (off + len > b->wb_hi)
        b->wb_hi = off + len;
    if (b->wb_busy || b->wb_hi - b->wb_lo < WRITE_BEHIND)
        return;
    sqe = io_uring_get_sqe(&b->ring);
    if (!sqe)
        return;
    /* The length is 32 bits; 0 means "to the end of the file". */
    io_uring_prep_sync_file_range(sqe, b->file.fd,
                                  b->wb_hi - b->wb_lo > UINT32_MAX ? 0 : b->wb_hi - b->wb_lo,
                                  b->wb_lo, SYNC_FILE_RANGE_WRITE);
    io_uring_sqe_set_data(sqe, NULL); /* ours, not a guest request */
    /* In flight from here on: an SQE a failed submit leaves goes with the next one. */
    b->wb_busy = true;
    b->inflight++;
    b->wb_lo = b->wb_hi = 0;
    (void)io_uring_submit(&b->ring);
}

/* Answer what io_uring has finished (lock held); how many were.  *big
 * counts those that moved more than HOLD_BYTES. */
static unsigned blk_reap(struct vblk *b, unsigned *big)
{
    struct io_uring_cqe *cqe;
    unsigned done = 0;

    while (io_uring_peek_cqe(&b->ring, &cqe) == 0) {
        struct vblk_req *r = io_uring_cqe_get_data(cqe);

        if (!r) {
            /* Write-behind: only a hint, its result does not matter. */
            io_uring_cqe_seen(&b->ring, cqe);
            b->inflight--;
            b->wb_busy = false;
            continue;
        }
        /* A short transfer means the file shrank under us: an I/O error. */
        bool ok = cqe->res >= 0 && (uint32_t)cqe->res == r->len;

        if (r->len == 0)
            ok = cqe->res == 0;
        io_uring_cqe_seen(&b->ring, cqe);
        b->inflight--;
        if (ok && r->type == VIRTIO_BLK_T_OUT)
            blk_write_behind(b, r->off, r->len);
        *big += r->len > HOLD_BYTES;
        req_done(b, r, ok ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR, ok ? r->written : 0);
        done++;
    }
    return done;
}

/* (n) requests were answered, (big) of them more than HOLD_BYTES (lock
 * held): interrupt now, or hold the interrupt back (see HOLD_NS). */
static void blk_answered(struct vblk *b, unsigned n, unsigned big)
{
    if (b->timer_fd < 0 || !b->lazy || !b->pci.vq[0].event_idx || big ||
        (!b->timer_armed && b->serial >= SERIAL)) {
        vpci_signal_queue(&b->pci, 0);
        b->eager_left = b->eager_left > n ? b->eager_left - n : 0;
        b->lazy = b->timer_fd >= 0 && !b->eager_left;
        return;
    }
    if (!b->timer_armed) {
        struct itimerspec it = { .it_value = { .tv_nsec = HOLD_NS } };

        /* Failing, the interrupt goes now rather than never. */
        if (timerfd_settime(b->timer_fd, 0, &it, NULL) < 0) {
            vpci_signal_queue(&b->pci, 0);
            return;
        }
        b->timer_armed = true;
        b->hold_event = vq_used_event(&b->pci.vq[0]);
    }
}

/* A hold ended (I/O thread): did the driver take the answers itself? */
static void blk_hold_end(void *opaque)
{
    struct vblk *b = opaque;
    struct vq *q = &b->pci.vq[0];

    pthread_mutex_lock(&b->pci.lock);
    b->timer_armed = false;
    if (!vq_signal_pending(q) || vq_used_event(q) != b->hold_event) {
        /* It polls: stay lazy, and hold on to what it has not taken yet. */
        b->fails = 0;
        b->probe_every = PROBE_MIN;
        if (vq_signal_pending(q))
            blk_answered(b, 0, 0);
    } else {
        vpci_signal_queue(&b->pci, 0);
        if (++b->fails >= 2) {
            b->lazy = false;
            b->eager_left = b->probe_every;
            b->probe_every = b->probe_every * 2 > PROBE_MAX ? PROBE_MAX : b->probe_every * 2;
        }
    }
    pthread_mutex_unlock(&b->pci.lock);
}

static void blk_notify(struct vpci *v, uint16_t q)
{
    struct vblk *b = v->dev;
    unsigned queued = 0, done_now = 0, big = 0;

    /* One request per free slot; the pool is as large as the largest queue,
     * so a slot is always free while the ring has entries. */
    while (b->free) {
        struct vblk_req *r = b->free;
        int n = vq_pop(&v->vq[q], &r->elem);

        if (n < 0) {
            vpci_needs_reset(v, q);
            break;
        }
        if (n == 0)
            break;
        b->free = r->next_free;
        r->queue = q;
        /* Anything else outstanding (in flight, or answered and held)? */
        if (b->inflight > b->wb_busy || b->timer_armed)
            b->serial = 0;
        else if (b->serial < SERIAL)
            b->serial++;
        if (blk_start(b, r)) {
            queued++;
            b->inflight++;
        } else {
            done_now++;
            big++; /* answered at once: no reason to wait */
        }
        if (v->status & VIRTIO_STATUS_NEEDS_RESET)
            break;
    }
    if (queued && io_uring_submit(&b->ring) < 0)
        v->env.guest_error(v->env.opaque, "%s: io_uring_submit failed", v->name);
    /* Page-cache hits complete inside the submit: answer them now rather
     * than after another trip through the completion eventfd. */
    if (queued)
        done_now += blk_reap(b, &big);
    if (done_now)
        blk_answered(b, done_now, big);
}

/* Completions, on the I/O thread. */
static void blk_complete(void *opaque)
{
    struct vblk *b = opaque;

    pthread_mutex_lock(&b->pci.lock);
    unsigned big = 0, n = blk_reap(b, &big);
    if (n)
        blk_answered(b, n, big);
    pthread_mutex_unlock(&b->pci.lock);
}

/* Device reset (vCPU thread, lock held): wait out what the kernel is doing
 * with guest buffers, answer nothing, and start from an empty pool. */
static void blk_reset(struct vpci *v)
{
    struct vblk *b = v->dev;
    struct io_uring_cqe *cqe;

    while (b->inflight && io_uring_wait_cqe(&b->ring, &cqe) == 0) {
        io_uring_cqe_seen(&b->ring, cqe);
        b->inflight--;
    }
    b->wb_busy = false;
    b->wb_lo = b->wb_hi = 0;
    if (b->timer_armed) {
        struct itimerspec off = { 0 };

        (void)timerfd_settime(b->timer_fd, 0, &off, NULL);
        b->timer_armed = false;
    }
    b->lazy = false;
    b->eager_left = b->probe_every = PROBE_MIN;
    b->serial = 0;
    b->free = NULL;
    for (unsigned i = 0; b->reqs && i < VQ_MAX_SIZE; i++)
        req_free(b, &b->reqs[i]);
}

static const struct vdev_ops vblk_ops = {
    .name = "virtio-blk",
    .id = 2,
    .class_rev = 0x01800000, /* mass storage, other */
    .config_read = blk_config_read,
    .notify = blk_notify,
    .reset = blk_reset,
};

int vblk_create(struct vblk **out, const char *path, bool ro, const char *name,
                const struct vpci_env *env, struct pci_host *host, const char **why)
{
    struct vblk *b = calloc(1, sizeof(*b));
    uint64_t features = VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH;
    int err;

    *out = NULL;
    if (!b)
        return -ENOMEM;
    b->ring_efd = b->timer_fd = -1;
    b->file.fd = -1;
    err = rawfile_open(&b->file, path, ro, why);
    if (err)
        goto fail;
    *why = "cannot set up the device (io_uring, eventfd, PCI slot)";
    snprintf(b->id, sizeof(b->id), "%s", name);
    b->reqs = calloc(VQ_MAX_SIZE, sizeof(*b->reqs));
    if (!b->reqs) {
        err = -ENOMEM;
        goto fail;
    }
    err = io_uring_queue_init(VQ_MAX_SIZE, &b->ring, 0);
    if (err)
        goto fail;
    b->ring_ok = true;
    b->ring_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (b->ring_efd < 0 || io_uring_register_eventfd(&b->ring, b->ring_efd) < 0) {
        err = b->ring_efd < 0 ? -errno : -EIO;
        goto fail;
    }
    if (ro)
        features |= VIRTIO_BLK_F_RO;
    else if (b->file.punch_hole)
        features |= VIRTIO_BLK_F_DISCARD | VIRTIO_BLK_F_WRITE_ZEROES;
    err = vpci_init(&b->pci, &vblk_ops, b, 1, features, name, ro ? RV_DEV_READONLY : 0, env,
                    host);
    if (err)
        goto fail;
    blk_reset(&b->pci);
    if (env->io) {
        err = iothread_add(env->io, b->ring_efd, blk_complete, b);
        if (err)
            goto fail;
        /* Without the timer every answer interrupts at once. */
        b->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (b->timer_fd >= 0 && iothread_add(env->io, b->timer_fd, blk_hold_end, b)) {
            close(b->timer_fd);
            b->timer_fd = -1;
        }
    }
    *out = b;
    return 0;
fail:
    vblk_destroy(b);
    return err;
}

void vblk_destroy(struct vblk *b)
{
    if (!b)
        return;
    if (b->ring_ok) {
        blk_reset(&b->pci); /* in-flight writes into guest RAM end first */
        io_uring_queue_exit(&b->ring);
    }
    if (b->ring_efd >= 0)
        close(b->ring_efd);
    if (b->timer_fd >= 0)
        close(b->timer_fd);
    vpci_exit(&b->pci);
    rawfile_close(&b->file);
    free(b->reqs);
    free(b);
}
