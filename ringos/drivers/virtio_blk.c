// SPDX-License-Identifier: MIT
/*
 * virtio-blk (virtio 1.2 5.2): one request queue; batches of sector reads
 * and writes with one notification per batch, adjacent blocks of a batch
 * merged into one request of several segments, flushes, and the device id
 * (VIRTIO_BLK_T_GET_ID) as the disk's name.
 */
#include "blkdev.h"
#include "errno.h"
#include "lib.h"
#include "mm.h"
#include "platform.h"
#include "printk.h"
#include "proc.h"
#include "time.h"
#include "x86.h"
#include "virtio.h"
#include "virtio_dev.h"

#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_FLUSH 9

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_ID_BYTES 20

#define VIRTIO_BLK_S_OK 0

/* Requests in flight at once.  With indirect descriptors each takes one
 * ring entry, so this, not the ring, bounds how much is in flight. */
#define VBLK_SLOTS 64
/* Data segments (buffers) per request, if the device allows that many:
 * with header and status, a slot's descriptor table fills one page. */
#define VBLK_SEG_MAX (PAGE_SIZE / sizeof(struct virtq_desc) - 2)
/* struct virtio_blk_config: seg_max follows capacity (8) and size_max (4). */
#define VBLK_CFG_SEG_MAX 12

/* A synchronous caller's requests still in flight; it sleeps on this. */
struct vblk_sync {
    unsigned pending;
};

struct vblk_slot {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
    uint8_t status; /* device-writable */
    bool busy;
    uint16_t nreq;
    struct blk_req *req; /* nreq adjacent requests chained by link, one buffer each */
    struct vblk_sync *sync; /* NULL for submit(): each request has its done() */
    struct virtq_desc *table; /* one page: the chain, given to the device as one indirect entry */
} __aligned(64);

struct vblk {
    struct virtq q; /* first: the interrupt handler gets &q */
    struct virtio_dev *dev;
    struct vblk_slot *slots; /* one page */
    unsigned nslots;
    unsigned inflight;  /* busy slots */
    unsigned room_waiters; /* callers that found the queue full, sleeping on &completions */
    uint64_t completions;
    unsigned seg_max; /* 1 unless the device offers VIRTIO_BLK_F_SEG_MAX */
    struct blk_req *scratch[VBLK_SEG_MAX]; /* vblk_run's candidates for one request */
    struct blkdev bd;
};

_Static_assert(sizeof(struct vblk_slot) * VBLK_SLOTS <= 4096, "slots fit a page");

/* How many of (req)[0..n) go in one request: each starts where the last ends. */
static unsigned vblk_merge(const struct vblk *vb, struct blk_req *const *req, unsigned n)
{
    unsigned k = 1;

    while (k < n && k < vb->seg_max && req[k]->len &&
           req[k]->sector == req[k - 1]->sector + req[k - 1]->len / SECTOR_SIZE)
        k++;
    return k;
}

/* Queue (req)[0..nreq) (type t) as one request: 0, -ENOSPC (no slot or ring
 * room now) or -EIO (queue broken).  Interrupts off. */
static int vblk_add(struct vblk *vb, struct blk_req *const *req, unsigned nreq, uint32_t t,
                    struct vblk_sync *sync)
{
    struct vblk_slot *s = NULL;

    for (unsigned i = 0; i < vb->nslots; i++) {
        if (!vb->slots[i].busy) {
            s = &vb->slots[i];
            break;
        }
    }
    if (!s)
        return -ENOSPC;
    s->type = t;
    s->reserved = 0;
    s->sector = req[0]->sector;
    s->status = 0xff;
    s->req = req[0];
    s->nreq = (uint16_t)nreq;
    s->sync = sync;
    struct virtq_desc *d = s->table;
    unsigned n = 1;
    d[0] = (struct virtq_desc){ .addr = virt_to_phys(s), .len = 16 };
    for (unsigned i = 0; i < nreq; i++) {
        req[i]->status = -EIO; /* until the device says otherwise */
        req[i]->link = i + 1 < nreq ? req[i + 1] : NULL;
        if (req[i]->len)
            d[n++] = (struct virtq_desc){ .addr = virt_to_phys(req[i]->buf), .len = req[i]->len };
    }
    d[n++] = (struct virtq_desc){ .addr = virt_to_phys(&s->status), .len = 1 };
    bool in = t == VIRTIO_BLK_T_IN || t == VIRTIO_BLK_T_GET_ID;
    int err = virtq_add_table(&vb->q, d, in ? 1 : n - 1, in ? n - 1 : 1, s);
    if (!err) {
        s->busy = true;
        vb->inflight++;
        if (sync)
            sync->pending++;
    }
    return err;
}

/* Finish the requests of slot (s) with (status) and free it. */
static void vblk_complete(struct vblk *vb, struct vblk_slot *s, int status)
{
    struct blk_req *r = s->req, *next;

    s->busy = false;
    vb->inflight--;
    vb->completions++;
    for (unsigned i = 0; i < s->nreq && r; i++, r = next) {
        next = r->link; /* done() may reuse r */
        r->status = status;
        if (r->done)
            r->done(r);
    }
    if (s->sync) {
        s->sync->pending--;
        proc_wakeup(s->sync);
    }
}

/*
 * Collect every finished request, for whichever caller it belongs to, and
 * keep the interrupt armed while anything is in flight (several callers
 * share the queue; the one whose request finishes may be asleep).
 * Interrupts off.
 */
static void vblk_reap(struct vblk *vb)
{
    uint64_t before = vb->completions;

    do {
        struct vblk_slot *s;
        uint32_t len;
        while ((s = virtq_get(&vb->q, &len))) {
            /* Copy the status once; it is device-written memory. */
            uint8_t st = *(volatile uint8_t *)&s->status;
            vblk_complete(vb, s, len >= 1 && st == VIRTIO_BLK_S_OK ? 0 : -EIO);
        }
    } while (vb->inflight && !vb->q.broken && !virtq_arm(&vb->q));
    if (vb->q.broken) {
        /* The device broke the protocol: what is in flight never completes. */
        for (unsigned i = 0; i < vb->nslots; i++)
            if (vb->slots[i].busy)
                vblk_complete(vb, &vb->slots[i], -EIO);
    }
    if (vb->completions != before && vb->room_waiters)
        proc_wakeup(&vb->completions);
}

static void vblk_irq(struct virtq *q)
{
    struct vblk *vb = (struct vblk *)q; /* q is vb's first member */
    unsigned long f = irq_save();

    vblk_reap(vb);
    irq_restore(f);
}

/*
 * Sleep until one of (sync)'s requests finishes, or, with none in flight,
 * until anything finishes (room in the queue).  Interrupts off (*f holds
 * the caller's state; they are on while asleep).
 */
static void vblk_wait(struct vblk *vb, struct vblk_sync *sync, unsigned long *f)
{
    unsigned pending = sync->pending;
    uint64_t done = vb->completions;

    for (;;) {
        vblk_reap(vb);
        if (vb->q.broken || (pending ? sync->pending != pending : vb->completions != done))
            return;
        if (!current || current->pid == 0) {
            /* Boot, or process 1 being set up on the boot context (pid 0),
             * which cannot sleep: nothing else could run anyway. */
            cpu_relax();
            continue;
        }
        void *chan = pending ? (void *)sync : (void *)&vb->completions;
        vb->room_waiters += !pending;
        irq_restore(*f);
        /* A deadline keeps the timer armed: on kvm_pvm an interrupt taken
         * just before the idle hlt is otherwise noticed only at the next one. */
        if (proc_sleep_until(chan, time_ns() + 10000000) == -EINTR)
            proc_yield(); /* a signal is pending: the I/O still has to finish */
        *f = irq_save();
        vb->room_waiters -= !pending;
    }
}

/* Run (n) requests of type (t), setting each status; 0 or the first error.
 * Other callers' requests may share the queue meanwhile. */
static int vblk_run(struct vblk *vb, struct blk_req *reqs, unsigned n, uint32_t t)
{
    struct vblk_sync sync = { 0 };
    unsigned next = 0;
    int err = 0;

    for (unsigned i = 0; i < n; i++) {
        reqs[i].status = -EIO; /* until the device says otherwise */
        reqs[i].done = NULL;
    }
    unsigned long f = irq_save();
    while (next < n || sync.pending) {
        while (next < n) {
            /* Ours alone: the kernel lock is held and nothing sleeps before vblk_add. */
            struct blk_req **ptrs = vb->scratch;
            unsigned m = MIN(n - next, (unsigned)VBLK_SEG_MAX);
            for (unsigned i = 0; i < m; i++)
                ptrs[i] = &reqs[next + i];
            unsigned k = vblk_merge(vb, ptrs, m);
            int r = vblk_add(vb, ptrs, k, t, &sync);
            if (r == -ENOSPC)
                break;
            if (r) {
                next = n; /* queue broken: the rest stay -EIO */
                break;
            }
            next += k;
        }
        virtq_kick(&vb->q);
        if (!sync.pending && (next >= n || vb->q.broken))
            break;
        vblk_wait(vb, &sync, &f);
    }
    irq_restore(f);
    for (unsigned i = 0; i < n; i++)
        if (reqs[i].status && !err)
            err = reqs[i].status;
    return err;
}

static unsigned vblk_submit(struct blkdev *bd, struct blk_req **reqs, unsigned n)
{
    struct vblk *vb = bd->priv;
    unsigned next = 0;

    for (unsigned i = 0; i < n; i++) {
        struct blk_req *r = reqs[i];
        if (!r->len || r->len % SECTOR_SIZE || r->sector > bd->sectors ||
            r->len / SECTOR_SIZE > bd->sectors - r->sector || r->write || !r->done) {
            n = i;
            break;
        }
    }
    unsigned long f = irq_save();
    while (next < n) {
        unsigned k = vblk_merge(vb, reqs + next, n - next);
        if (vblk_add(vb, reqs + next, k, VIRTIO_BLK_T_IN, NULL))
            break;
        next += k;
    }
    virtq_kick(&vb->q);
    /* Arms the interrupt; may finish some at once (done() runs before we return). */
    vblk_reap(vb);
    irq_restore(f);
    return next;
}

static void vblk_poll(struct blkdev *bd)
{
    unsigned long f = irq_save();

    vblk_reap(bd->priv);
    irq_restore(f);
}

static int vblk_rw(struct blkdev *bd, struct blk_req *reqs, unsigned n)
{
    struct vblk *vb = bd->priv;

    for (unsigned i = 0; i < n; i++) {
        struct blk_req *r = &reqs[i];
        uint64_t ns = r->len / SECTOR_SIZE;
        if (!r->len || r->len % SECTOR_SIZE || r->sector > bd->sectors ||
            ns > bd->sectors - r->sector || (r->write && bd->readonly))
            return -EIO;
    }
    int err = 0;
    /* Reads and writes go as separate batches; a batch may complete in any order. */
    for (int w = 0; w < 2; w++) {
        unsigned s = 0;
        while (s < n) {
            unsigned e = s;
            while (e < n && reqs[e].write == (bool)w)
                e++;
            if (e > s) {
                int r = vblk_run(vb, reqs + s, e - s, w ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN);
                if (r && !err)
                    err = r;
                s = e;
            } else {
                s++;
            }
        }
    }
    return err;
}

static int vblk_flush(struct blkdev *bd)
{
    struct vblk *vb = bd->priv;
    struct blk_req r = { 0 };

    /* Without VIRTIO_BLK_F_FLUSH the device writes through (virtio 1.2 5.2.6.2). */
    if (!(vb->dev->features & (1ull << VIRTIO_BLK_F_FLUSH)))
        return 0;
    return vblk_run(vb, &r, 1, VIRTIO_BLK_T_FLUSH);
}

static const struct blkdev_ops vblk_ops = {
    .rw = vblk_rw,
    .flush = vblk_flush,
    .submit = vblk_submit,
    .poll = vblk_poll,
};

/* The device id string as a name, if it makes a usable one. */
static void vblk_get_id(struct vblk *vb)
{
    uint8_t *page = mm_alloc_pages(1);
    struct blk_req r = { .buf = page, .len = VIRTIO_BLK_ID_BYTES };

    if (!page)
        return;
    memset(page, 0, VIRTIO_BLK_ID_BYTES);
    if (vblk_run(vb, &r, 1, VIRTIO_BLK_T_GET_ID) == 0) {
        char id[VIRTIO_BLK_ID_BYTES + 1];
        memcpy(id, page, VIRTIO_BLK_ID_BYTES);
        id[VIRTIO_BLK_ID_BYTES] = 0;
        size_t n = strlen(id);
        bool ok = n > 0 && n < sizeof(vb->bd.name) && strcmp(id, ".") && strcmp(id, "..");
        for (size_t i = 0; i < n; i++)
            if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') ||
                  (id[i] >= '0' && id[i] <= '9') || id[i] == '-' || id[i] == '_' || id[i] == '.'))
                ok = false;
        if (ok)
            strlcpy(vb->bd.name, id, sizeof(vb->bd.name));
    }
    mm_free_pages(page, 1);
}

int virtio_blk_probe(struct virtio_dev *d)
{
    struct vblk *vb = kzalloc(sizeof(*vb));

    if (!vb)
        return -ENOMEM;
    vb->dev = d;
    int err = virtio_negotiate(d, 1ull << VIRTIO_BLK_F_RO | 1ull << VIRTIO_BLK_F_FLUSH |
                                      1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_F_EVENT_IDX |
                                      1ull << VIRTIO_F_INDIRECT_DESC);
    if (err)
        goto err_free;
    err = virtio_queue_init(d, &vb->q, 0, 256);
    if (err)
        goto err_fail;
    vb->q.on_used = vblk_irq; /* completions are collected for whoever waits */
    vb->slots = mm_alloc_pages(1);
    if (!vb->slots) {
        err = -ENOMEM;
        goto err_fail;
    }
    memset(vb->slots, 0, PAGE_SIZE);
    /* Without indirect descriptors a request of seg_max segments plus
     * header and status must fit an empty ring, and each takes three or more. */
    vb->nslots = vb->q.indirect ? VBLK_SLOTS : MIN(VBLK_SLOTS, vb->q.size / 3u);
    for (unsigned i = 0; i < vb->nslots; i++) {
        vb->slots[i].table = mm_alloc_pages(1);
        if (!vb->slots[i].table) {
            vb->nslots = i;
            break;
        }
    }
    if (!vb->nslots) {
        err = -ENOMEM;
        goto err_fail;
    }
    unsigned room = vb->q.indirect ? (unsigned)VBLK_SEG_MAX
                                   : MIN((unsigned)VBLK_SEG_MAX, vb->q.size - 2u);
    vb->seg_max = 1;
    if (d->features & (1ull << VIRTIO_BLK_F_SEG_MAX))
        vb->seg_max = MAX(1u, MIN(virtio_cfg_read(d, VBLK_CFG_SEG_MAX, 4), room));
    virtio_ready(d);
    /* virtio 1.2 5.2.4: capacity, in 512-byte sectors, whatever blk_size says. */
    vb->bd.sectors = virtio_cfg_read(d, 0, 4) | (uint64_t)virtio_cfg_read(d, 4, 4) << 32;
    vb->bd.readonly = d->readonly || (d->features & (1ull << VIRTIO_BLK_F_RO));
    vb->bd.ops = &vblk_ops;
    vb->bd.priv = vb;
    if (d->name[0])
        strlcpy(vb->bd.name, d->name, sizeof(vb->bd.name));
    else
        vblk_get_id(vb);
    blkdev_register(&vb->bd);
    return 0;

err_fail:
    virtio_fail(d);
err_free:
    kfree(vb);
    return err;
}
