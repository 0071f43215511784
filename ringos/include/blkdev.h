/* SPDX-License-Identifier: MIT */
/*
 * Block devices (virtio-blk disks) and the buffer cache shared by the file
 * systems on them: fixed-size blocks, LRU, written back on sync, on
 * eviction and at poweroff.
 */
#ifndef RINGOS_BLKDEV_H
#define RINGOS_BLKDEV_H

#include "types.h"

#define SECTOR_SIZE 512u

struct blk_req {
    uint64_t sector;
    void *buf;    /* physically contiguous (direct map), not crossing a page */
    uint32_t len; /* a multiple of SECTOR_SIZE */
    bool write;
    int status;   /* OUT: 0 or -EIO */
    /* submit() only: called once status is set, under the kernel lock, maybe
     * from the queue's interrupt; may reuse the request. */
    void (*done)(struct blk_req *r);
    void *priv;
    struct blk_req *link; /* driver's: the next request merged with this one */
};

struct blkdev;

struct blkdev_ops {
    /* Run (n) requests in any order and wait for all: 0 or the first error. */
    int (*rw)(struct blkdev *bd, struct blk_req *reqs, unsigned n);
    /* Make completed writes durable (VIRTIO_BLK_T_FLUSH); 0 or -EIO. */
    int (*flush)(struct blkdev *bd);
    /* Start (n) reads without waiting (each ends in its done()); returns how
     * many, a prefix of (reqs), found room in the queue. */
    unsigned (*submit)(struct blkdev *bd, struct blk_req **reqs, unsigned n);
    /* Collect finished requests now: for a waiter whose interrupt may be late. */
    void (*poll)(struct blkdev *bd);
};

struct blkdev {
    char name[16]; /* the mount point's name under /mnt */
    bool readonly;
    uint64_t sectors;
    const struct blkdev_ops *ops;
    void *priv;
    struct blkdev *next;
    /* Buffer cache bookkeeping for this device. */
    unsigned ndirty;
};

extern struct blkdev *blkdev_list;

/* Add (bd) to the list; an empty or duplicate name becomes the next free "vdX". */
void blkdev_register(struct blkdev *bd);

struct buf {
    struct blkdev *dev;
    uint64_t blockno; /* in units of (size) */
    uint32_t size;
    bool valid; /* data holds the block */
    bool dirty; /* data is newer than the disk */
    bool io;    /* a read is in flight: wait (bget) before using data */
    bool wanted; /* someone sleeps on the buffer until io ends */
    uint32_t gen; /* bumped by bdirty: a write-back that raced a change keeps it dirty */
    int refs;     /* an in-flight read holds one */
    uint8_t *data; /* one page */
    struct buf *hnext;          /* hash chain */
    struct buf *lru_prev, *lru_next; /* most recently released first */
    struct blk_req req; /* the asynchronous read (bprefetch) */
};

/*
 * The buffer for block (blockno) of (size) bytes (<= 4096) on (bd), read
 * from the disk unless cached; NULL with *err = -EIO or -ENOMEM.  The caller
 * owns a reference until brelse().
 */
struct buf *bread(struct blkdev *bd, uint64_t blockno, uint32_t size, int *err);
/* Like bread() for a block about to be overwritten whole: nothing is read, data is zeroed. */
struct buf *bget_zero(struct blkdev *bd, uint64_t blockno, uint32_t size, int *err);
/* Like bget_zero() for a caller that fills all of data itself at once:
 * data holds whatever the buffer held before (never give it out unfilled). */
struct buf *bget_whole(struct blkdev *bd, uint64_t blockno, uint32_t size, int *err);
/* Start reading the blocks in (blocks) that are neither cached nor in flight,
 * without waiting (read-ahead); 0s are skipped.  bread() of one waits for it. */
void bprefetch(struct blkdev *bd, const uint64_t *blocks, unsigned n, uint32_t size);
/* Is block (blockno) in the cache, valid or with its read in flight? */
bool bcached(struct blkdev *bd, uint64_t blockno, uint32_t size);
void bdirty(struct buf *b);
void brelse(struct buf *b);
/* Write every dirty buffer of (bd), then flush the device: 0 or -EIO. */
int bsync(struct blkdev *bd);
/* Drop (bd)'s clean buffers of block (blockno) (a freed block). */
void bforget(struct blkdev *bd, uint64_t blockno, uint32_t size);

#endif
