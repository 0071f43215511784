// SPDX-License-Identifier: MIT
/*
 * The buffer cache: blocks of up to a page per (device, block number),
 * found through a hash, recycled least recently used first.  Dirty buffers
 * stay in memory until bsync() (sync, fsync, unmount, poweroff) or until
 * their buffer is needed for another block; writes go out in one batch.
 * Readers of different blocks each send their own request and sleep on
 * their buffer, so the device sees them all at once; a buffer whose read is
 * in flight (io) makes everyone else who wants it wait for that read.
 */
#include "blkdev.h"
#include "errno.h"
#include "lib.h"
#include "mm.h"
#include "printk.h"
#include "proc.h"
#include "time.h"
#include "x86.h"

#define NHASH 1024
/* At most this many buffers (4 KiB each), fewer on small guests. */
#define NBUF_MAX 4096
/* Blocks per read-ahead call. */
#define BATCH 64
/* Dirty buffers written per batch (4 MiB), and the fallback without memory for that. */
#define WB_BATCH 1024
#define WB_SMALL 16

struct blkdev *blkdev_list;

static struct buf *hash[NHASH];
static struct buf lru; /* list head: lru.lru_next is the most recent */
static unsigned nbuf, nbuf_max;

void blkdev_register(struct blkdev *bd)
{
    struct blkdev **pp = &blkdev_list;
    unsigned n = 0;

    for (struct blkdev *o = blkdev_list; o; o = o->next)
        if (!strcmp(o->name, bd->name))
            bd->name[0] = 0;
    /* vda, vdb, ...: the first name no other disk has. */
    for (char c = 'a'; !bd->name[0] && c <= 'z'; c++) {
        char nm[4] = { 'v', 'd', c, 0 };
        bool used = false;
        for (struct blkdev *o = blkdev_list; o; o = o->next)
            used |= !strcmp(o->name, nm);
        if (!used)
            strlcpy(bd->name, nm, sizeof(bd->name));
    }
    while (*pp) {
        pp = &(*pp)->next;
        n++;
    }
    *pp = bd;
}

static unsigned bhash(struct blkdev *bd, uint64_t blockno)
{
    return (unsigned)(((uint64_t)bd >> 6) ^ blockno * 0x9e3779b1u) % NHASH;
}

static void lru_unlink(struct buf *b)
{
    b->lru_prev->lru_next = b->lru_next;
    b->lru_next->lru_prev = b->lru_prev;
}

static void lru_push(struct buf *b)
{
    b->lru_next = lru.lru_next;
    b->lru_prev = &lru;
    lru.lru_next->lru_prev = b;
    lru.lru_next = b;
}

static void hash_remove(struct buf *b)
{
    for (struct buf **pp = &hash[bhash(b->dev, b->blockno)]; *pp; pp = &(*pp)->hnext) {
        if (*pp == b) {
            *pp = b->hnext;
            return;
        }
    }
}

static struct blk_req buf_req(struct buf *b, bool write)
{
    return (struct blk_req){
        .sector = b->blockno * (b->size / SECTOR_SIZE),
        .buf = b->data,
        .len = b->size,
        .write = write,
    };
}

/* Buffers, requests and generations of one write-back batch. */
struct wb_batch {
    unsigned cap;
    struct buf **bs;
    struct blk_req *reqs;
    uint32_t *gen;
};

/* Write (n) dirty buffers of one device, (w)->bs, in one batch; they stay dirty on error. */
static int bwrite_batch(struct wb_batch *w, unsigned n)
{
    struct buf **bs = w->bs;

    /* Ascending block order, so the driver can merge neighbours into one
     * request (Shell sort: the LRU gives a sequential writer's blocks in
     * descending order, insertion sort's worst case). */
    static const unsigned gaps[] = { 701, 301, 132, 57, 23, 10, 4, 1 };
    for (unsigned g = 0; g < ARRAY_SIZE(gaps); g++) {
        unsigned gap = gaps[g];
        for (unsigned i = gap; i < n; i++) {
            struct buf *t = bs[i];
            unsigned j = i;
            for (; j >= gap && bs[j - gap]->blockno > t->blockno; j -= gap)
                bs[j] = bs[j - gap];
            bs[j] = t;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        w->reqs[i] = buf_req(bs[i], true);
        w->gen[i] = bs[i]->gen;
    }
    int err = bs[0]->dev->ops->rw(bs[0]->dev, w->reqs, n);
    for (unsigned i = 0; i < n; i++) {
        /* Changed while the write was in flight: the disk may have the old data. */
        if (w->reqs[i].status == 0 && bs[i]->dirty && bs[i]->gen == w->gen[i]) {
            bs[i]->dirty = false;
            bs[i]->dev->ndirty--;
        }
    }
    return err;
}

/* A buffer to reuse: a new one while under the limit, else the least recently used idle one. */
static int bwrite_all(struct blkdev *bd);

static struct buf *bvictim(void)
{
    if (!nbuf_max)
        nbuf_max = MIN(NBUF_MAX, (unsigned)(mm_total_bytes() / PAGE_SIZE / 8));
    if (!lru.lru_next)
        lru.lru_next = lru.lru_prev = &lru;
    if (nbuf < nbuf_max) {
        struct buf *b = kzalloc(sizeof(*b));
        uint8_t *d = b ? mm_alloc_pages(1) : NULL;
        if (d) {
            b->data = d;
            nbuf++;
            lru_push(b);
            return b;
        }
        kfree(b);
    }
    for (struct buf *b = lru.lru_prev; b != &lru; b = b->lru_prev) {
        if (b->refs)
            continue;
        if (b->dirty) {
            /* Write it together with whatever else of its disk is dirty. */
            if (bwrite_all(b->dev) || b->dirty)
                continue;
        }
        if (b->refs || b->dirty)
            continue;
        hash_remove(b);
        b->dev = NULL;
        return b;
    }
    return NULL;
}

static struct buf *bfind(struct blkdev *bd, uint64_t blockno, uint32_t size)
{
    for (struct buf *b = hash[bhash(bd, blockno)]; b; b = b->hnext)
        if (b->dev == bd && b->blockno == blockno && b->size == size)
            return b;
    return NULL;
}

/* Sleep until (b)'s read in flight has ended (valid or not). */
static void bwait(struct buf *b)
{
    while (b->io) {
        b->dev->ops->poll(b->dev);
        if (!b->io)
            break;
        if (!current || current->pid == 0) {
            cpu_relax();
            continue;
        }
        b->wanted = true;
        /* The deadline is the driver's: its interrupt may come late (kvm_pvm hlt). */
        if (proc_sleep_until(b, time_ns() + 10000000) == -EINTR)
            proc_yield(); /* a signal is pending: the read still has to finish */
    }
}

/* (b)'s read ended: wake whoever waits for it. */
static void bio_end(struct buf *b)
{
    b->io = false;
    if (b->wanted) {
        b->wanted = false;
        proc_wakeup(b);
    }
}

/* The buffer for the block, referenced, maybe not valid, no read in flight;
 * NULL if every buffer is busy. */
static struct buf *bget(struct blkdev *bd, uint64_t blockno, uint32_t size)
{
    struct buf *b = bfind(bd, blockno, size);

    if (!b) {
        b = bvictim();
        if (!b)
            return NULL;
        /* bsync in bvictim may have slept: someone else may have loaded it. */
        struct buf *o = bfind(bd, blockno, size);
        if (o) {
            lru_unlink(b);
            lru.lru_prev->lru_next = b; /* keep the spare at the cold end */
            b->lru_prev = lru.lru_prev;
            b->lru_next = &lru;
            lru.lru_prev = b;
            b = o;
        } else {
            b->dev = bd;
            b->blockno = blockno;
            b->size = size;
            b->valid = b->dirty = b->io = false;
            unsigned h = bhash(bd, blockno);
            b->hnext = hash[h];
            hash[h] = b;
        }
    }
    b->refs++;
    lru_unlink(b);
    lru_push(b);
    bwait(b);
    return b;
}

struct buf *bread(struct blkdev *bd, uint64_t blockno, uint32_t size, int *err)
{
    if (size > PAGE_SIZE || size % SECTOR_SIZE) {
        *err = -EINVAL;
        return NULL;
    }
    struct buf *b = bget(bd, blockno, size);
    if (!b) {
        *err = -ENOMEM;
        return NULL;
    }
    if (!b->valid) {
        struct blk_req r = buf_req(b, false);
        /* Others who want this block wait for our read instead of sending theirs. */
        b->io = true;
        int e = bd->ops->rw(bd, &r, 1);
        b->valid = !e;
        bio_end(b);
        if (e) {
            brelse(b);
            *err = -EIO;
            return NULL;
        }
    }
    return b;
}

struct buf *bget_whole(struct blkdev *bd, uint64_t blockno, uint32_t size, int *err)
{
    if (size > PAGE_SIZE || size % SECTOR_SIZE) {
        *err = -EINVAL;
        return NULL;
    }
    struct buf *b = bget(bd, blockno, size);
    if (!b) {
        *err = -ENOMEM;
        return NULL;
    }
    b->valid = true;
    return b;
}

struct buf *bget_zero(struct blkdev *bd, uint64_t blockno, uint32_t size, int *err)
{
    struct buf *b = bget_whole(bd, blockno, size, err);

    if (b)
        memset(b->data, 0, size);
    return b;
}

/* An asynchronous read ended (maybe in the interrupt): it held a reference. */
static void bprefetch_done(struct blk_req *r)
{
    struct buf *b = r->priv;

    b->valid = r->status == 0;
    bio_end(b);
    brelse(b);
}

bool bcached(struct blkdev *bd, uint64_t blockno, uint32_t size)
{
    return bfind(bd, blockno, size) != NULL;
}

void bprefetch(struct blkdev *bd, const uint64_t *blocks, unsigned n, uint32_t size)
{
    struct buf *bs[BATCH];
    struct blk_req *rs[BATCH];
    unsigned k = 0;

    for (unsigned i = 0; i < n && k < BATCH; i++) {
        if (!blocks[i] || bfind(bd, blocks[i], size))
            continue; /* cached, or its read is in flight */
        struct buf *b = bget(bd, blocks[i], size);
        if (!b)
            break;
        if (b->valid) {
            brelse(b);
            continue;
        }
        /* The reference stays with the read until bprefetch_done. */
        b->io = true;
        b->req = buf_req(b, false);
        b->req.done = bprefetch_done;
        b->req.priv = b;
        bs[k] = b;
        rs[k++] = &b->req;
    }
    unsigned m = k ? bd->ops->submit(bd, rs, k) : 0;
    /* No room in the queue for the rest: leave them to a later bread(). */
    for (unsigned i = m; i < k; i++) {
        bio_end(bs[i]);
        brelse(bs[i]);
    }
}

void bdirty(struct buf *b)
{
    b->gen++;
    if (!b->dirty) {
        b->dirty = true;
        b->dev->ndirty++;
    }
}

void brelse(struct buf *b)
{
    b->refs--;
}

/* Write every dirty buffer of (bd), up to WB_BATCH in one go: the driver
 * keeps them in flight together, so write-back waits once per batch. */
static int bwrite_all(struct blkdev *bd)
{
    struct buf *sbs[WB_SMALL];
    struct blk_req sreqs[WB_SMALL];
    uint32_t sgen[WB_SMALL];
    struct wb_batch w = { WB_SMALL, sbs, sreqs, sgen };
    size_t one = sizeof(struct buf *) + sizeof(struct blk_req) + sizeof(uint32_t);
    uint8_t *big = bd->ndirty > WB_SMALL ? kmalloc(WB_BATCH * one) : NULL;
    int err = 0;

    /* Without the memory for a large batch, small ones still make progress. */
    if (big)
        w = (struct wb_batch){ WB_BATCH, (struct buf **)big,
                               (struct blk_req *)(big + WB_BATCH * sizeof(struct buf *)),
                               (uint32_t *)(big + WB_BATCH * (sizeof(struct buf *) +
                                                              sizeof(struct blk_req))) };
    while (bd->ndirty && !err) {
        unsigned n = 0;
        if (!lru.lru_next)
            break;
        for (struct buf *b = lru.lru_next; b != &lru && n < w.cap; b = b->lru_next)
            if (b->dev == bd && b->dirty)
                w.bs[n++] = b;
        if (!n)
            break;
        /* Pin them: the batch may sleep and the buffers must not be recycled. */
        for (unsigned i = 0; i < n; i++)
            w.bs[i]->refs++;
        err = bwrite_batch(&w, n);
        for (unsigned i = 0; i < n; i++)
            brelse(w.bs[i]);
    }
    kfree(big);
    return err;
}

int bsync(struct blkdev *bd)
{
    int err = bwrite_all(bd);

    return err ? err : bd->ops->flush(bd);
}

void bforget(struct blkdev *bd, uint64_t blockno, uint32_t size)
{
    struct buf *b = bfind(bd, blockno, size);

    if (b && !b->refs) {
        if (b->dirty)
            bd->ndirty--;
        b->dirty = false;
        b->valid = false;
    }
}
