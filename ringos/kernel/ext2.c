// SPDX-License-Identifier: MIT
/*
 * The ext2 file system over the buffer cache: mount checks, block and inode
 * allocation, the block map, file data, and directory entries.  The disk is
 * the only copy of every structure: each operation reads what it needs
 * through bcache, checks it, changes it and marks the buffer dirty.  One
 * sleeping lock per mounted file system serialises the operations that
 * change it; reads hold it shared, so many of them wait for the disk at once.
 * Large reads bypass the cache for file data it does not hold: the device
 * writes into the reader's own pages (ext2_read_direct).
 */
#include "blkdev.h"
#include "errno.h"
#include "ext2.h"
#include "lib.h"
#include "mm.h"
#include "printk.h"
#include "proc.h"
#include "sleeplock.h"
#include "time.h"
#include "uaccess.h"
#include "vfs.h"
#include "vm.h"

struct ext2_fs {
    struct blkdev *bd;
    struct ext2_geom g;
    bool ro;
    bool reported; /* one corruption message per mount */
    struct sleeplock lock;
};

/* File blocks a file may have (direct, single, double, triple indirect). */
static uint64_t ext2_max_blocks(const struct ext2_fs *fs)
{
    uint64_t apb = fs->g.block_size / 4;

    return EXT2_NDIR + apb + apb * apb + apb * apb * apb;
}

/* Corruption found: say so once, and give the caller its error. */
static int ext2_corrupt(struct ext2_fs *fs, const char *what, uint32_t n)
{
    if (!fs->reported)
        printk("ext2: %s: corrupt file system: %s %u\n", fs->bd->name, what, n);
    fs->reported = true;
    return -EUCLEAN;
}

static struct buf *ext2_bread(struct ext2_fs *fs, uint32_t block, int *err)
{
    if (!ext2_block_ok(&fs->g, block)) {
        *err = ext2_corrupt(fs, "block number out of range:", block);
        return NULL;
    }
    return bread(fs->bd, block, fs->g.block_size, err);
}

/* ---- superblock and group descriptors --------------------------------- */

/* The buffer holding the superblock and the offset of it inside. */
static struct buf *ext2_sb_buf(struct ext2_fs *fs, uint32_t *off, int *err)
{
    uint32_t blk = EXT2_SB_OFFSET / fs->g.block_size;

    *off = EXT2_SB_OFFSET % fs->g.block_size;
    return bread(fs->bd, blk, fs->g.block_size, err);
}

/* Add (dblocks, dinodes) to the superblock's free counts. */
static int ext2_sb_adjust(struct ext2_fs *fs, int dblocks, int dinodes)
{
    uint32_t off;
    int err;
    struct buf *b = ext2_sb_buf(fs, &off, &err);

    if (!b)
        return err;
    struct ext2_super *sb = (struct ext2_super *)(b->data + off);
    sb->free_blocks_count += dblocks;
    sb->free_inodes_count += dinodes;
    bdirty(b);
    brelse(b);
    return 0;
}

/* Group (group)'s descriptor: a checked copy in (gd), and its buffer for updates. */
static struct buf *ext2_gd_get(struct ext2_fs *fs, uint32_t group, struct ext2_gd *gd, int *err)
{
    uint32_t per = fs->g.block_size / sizeof(struct ext2_gd);
    struct buf *b = ext2_bread(fs, fs->g.gdt_block + group / per, err);

    if (!b)
        return NULL;
    memcpy(gd, b->data + (group % per) * sizeof(*gd), sizeof(*gd));
    if (ext2_gd_check(&fs->g, gd, group)) {
        brelse(b);
        *err = ext2_corrupt(fs, "group descriptor", group);
        return NULL;
    }
    return b;
}

static void ext2_gd_put(struct ext2_fs *fs, struct buf *b, uint32_t group, const struct ext2_gd *gd)
{
    uint32_t per = fs->g.block_size / sizeof(struct ext2_gd);

    memcpy(b->data + (group % per) * sizeof(*gd), gd, sizeof(*gd));
    bdirty(b);
    brelse(b);
}

/* ---- inodes ------------------------------------------------------------ */

static int ext2_inode_loc(struct ext2_fs *fs, uint32_t ino, uint32_t *block, uint32_t *off)
{
    struct ext2_gd gd;
    int err;

    if (ino == 0 || ino > fs->g.inodes_count)
        return ext2_corrupt(fs, "inode number out of range:", ino);
    uint32_t group = (ino - 1) / fs->g.inodes_per_group;
    uint32_t idx = (ino - 1) % fs->g.inodes_per_group;
    struct buf *b = ext2_gd_get(fs, group, &gd, &err);
    if (!b)
        return err;
    brelse(b);
    uint64_t byte = (uint64_t)idx * fs->g.inode_size;
    *block = gd.inode_table + (uint32_t)(byte / fs->g.block_size);
    *off = byte % fs->g.block_size;
    return 0;
}

/* Copy inode (ino) into (in); with (check), refuse one that makes no sense. */
static int ext2_iread(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, bool check)
{
    uint32_t blk, off;
    int err = ext2_inode_loc(fs, ino, &blk, &off);

    if (err)
        return err;
    struct buf *b = ext2_bread(fs, blk, &err);
    if (!b)
        return err;
    memcpy(in, b->data + off, sizeof(*in));
    brelse(b);
    if (check && ext2_inode_check(&fs->g, in))
        return ext2_corrupt(fs, "inode", ino);
    return 0;
}

/* Write (in) back; (whole) zeroes the rest of the on-disk record (a new inode). */
static int ext2_iwrite(struct ext2_fs *fs, uint32_t ino, const struct ext2_inode *in, bool whole)
{
    uint32_t blk, off;
    int err = ext2_inode_loc(fs, ino, &blk, &off);

    if (err)
        return err;
    struct buf *b = ext2_bread(fs, blk, &err);
    if (!b)
        return err;
    if (whole) {
        memset(b->data + off, 0, fs->g.inode_size);
        if (fs->g.inode_size >= EXT2_GOOD_OLD_INODE_SIZE + 4) {
            /* i_extra_isize, as mke2fs writes it: the fixed extra fields. */
            uint16_t extra = MIN(32u, fs->g.inode_size - EXT2_GOOD_OLD_INODE_SIZE);
            memcpy(b->data + off + EXT2_GOOD_OLD_INODE_SIZE, &extra, 2);
        }
    }
    memcpy(b->data + off, in, sizeof(*in));
    bdirty(b);
    brelse(b);
    return 0;
}

/* ---- bitmaps ----------------------------------------------------------- */

/* First clear bit of (bm) in [start, n), setting it; -1 if none. */
static int64_t bitmap_take(uint8_t *bm, uint32_t start, uint32_t n)
{
    for (uint32_t i = start; i < n; i++) {
        if (!(i & 7) && bm[i >> 3] == 0xff && i + 8 <= n) {
            i += 7;
            continue;
        }
        if (!(bm[i >> 3] & (1u << (i & 7)))) {
            bm[i >> 3] |= 1u << (i & 7);
            return i;
        }
    }
    return -1;
}

static uint32_t ext2_group_blocks(struct ext2_fs *fs, uint32_t group)
{
    uint32_t start = fs->g.first_data_block + group * fs->g.blocks_per_group;

    return MIN(fs->g.blocks_per_group, fs->g.blocks_count - start);
}

/* Allocate a block, near (goal) if it is free; *out = its number. */
static int ext2_balloc(struct ext2_fs *fs, uint32_t goal, uint32_t *out)
{
    uint32_t g0 = 0, bit0 = 0;
    int err;

    if (ext2_block_ok(&fs->g, goal)) {
        g0 = (goal - fs->g.first_data_block) / fs->g.blocks_per_group;
        bit0 = (goal - fs->g.first_data_block) % fs->g.blocks_per_group;
    }
    for (uint32_t k = 0; k < fs->g.ngroups; k++) {
        uint32_t group = (g0 + k) % fs->g.ngroups;
        struct ext2_gd gd;
        struct buf *gb = ext2_gd_get(fs, group, &gd, &err);
        if (!gb)
            return err;
        if (!gd.free_blocks_count) {
            brelse(gb);
            continue;
        }
        struct buf *bm = ext2_bread(fs, gd.block_bitmap, &err);
        if (!bm) {
            brelse(gb);
            return err;
        }
        uint32_t n = ext2_group_blocks(fs, group);
        int64_t bit = bitmap_take(bm->data, k == 0 ? bit0 : 0, n);
        if (bit < 0 && k == 0)
            bit = bitmap_take(bm->data, 0, n);
        if (bit < 0) {
            /* The descriptor said free blocks were left: it lied. */
            brelse(bm);
            brelse(gb);
            return ext2_corrupt(fs, "block bitmap full, group", group);
        }
        uint32_t blk = fs->g.first_data_block + group * fs->g.blocks_per_group + (uint32_t)bit;
        /* A bitmap that frees the group's own metadata would let us overwrite it. */
        if (!ext2_block_ok(&fs->g, blk) || blk == gd.block_bitmap || blk == gd.inode_bitmap ||
            (blk >= gd.inode_table && blk < gd.inode_table + fs->g.itable_blocks)) {
            brelse(bm);
            brelse(gb);
            return ext2_corrupt(fs, "block bitmap marks metadata free, block", blk);
        }
        bdirty(bm);
        brelse(bm);
        gd.free_blocks_count--;
        ext2_gd_put(fs, gb, group, &gd);
        *out = blk;
        return ext2_sb_adjust(fs, -1, 0);
    }
    return -ENOSPC;
}

/*
 * Clear bit (bit) of group (group)'s block or inode bitmap and count it free
 * in the group descriptor.  A bit that is already clear means the image is
 * corrupt: report (what, num) and change nothing.
 */
static int ext2_bitmap_free(struct ext2_fs *fs, uint32_t group, uint32_t bit, bool inode,
                            bool dir, const char *what, uint32_t num)
{
    struct ext2_gd gd;
    int err;
    struct buf *gb = ext2_gd_get(fs, group, &gd, &err);

    if (!gb)
        return err;
    struct buf *bm = ext2_bread(fs, inode ? gd.inode_bitmap : gd.block_bitmap, &err);
    if (!bm) {
        brelse(gb);
        return err;
    }
    if (!(bm->data[bit >> 3] & (1u << (bit & 7)))) {
        brelse(bm);
        brelse(gb);
        return ext2_corrupt(fs, what, num);
    }
    bm->data[bit >> 3] &= ~(1u << (bit & 7));
    bdirty(bm);
    brelse(bm);
    if (!inode) {
        gd.free_blocks_count++;
    } else {
        gd.free_inodes_count++;
        if (dir && gd.used_dirs_count)
            gd.used_dirs_count--;
    }
    ext2_gd_put(fs, gb, group, &gd);
    return 0;
}

static int ext2_bfree(struct ext2_fs *fs, uint32_t blk)
{
    if (!ext2_block_ok(&fs->g, blk))
        return ext2_corrupt(fs, "freeing block out of range:", blk);
    int err = ext2_bitmap_free(fs, (blk - fs->g.first_data_block) / fs->g.blocks_per_group,
                               (blk - fs->g.first_data_block) % fs->g.blocks_per_group, false,
                               false, "freeing a free block:", blk);
    if (err)
        return err;
    bforget(fs->bd, blk, fs->g.block_size);
    return ext2_sb_adjust(fs, 1, 0);
}

/* Allocate an inode, in (near)'s group if possible; *out = its number. */
static int ext2_ialloc(struct ext2_fs *fs, uint32_t near, bool dir, uint32_t *out)
{
    uint32_t g0 = near ? (near - 1) / fs->g.inodes_per_group : 0;
    int err;

    for (uint32_t k = 0; k < fs->g.ngroups; k++) {
        uint32_t group = (g0 + k) % fs->g.ngroups;
        struct ext2_gd gd;
        struct buf *gb = ext2_gd_get(fs, group, &gd, &err);
        if (!gb)
            return err;
        if (!gd.free_inodes_count) {
            brelse(gb);
            continue;
        }
        struct buf *bm = ext2_bread(fs, gd.inode_bitmap, &err);
        if (!bm) {
            brelse(gb);
            return err;
        }
        /* Reserved inodes (below first_ino) live in group 0: never hand them out. */
        uint32_t start = group == 0 ? fs->g.first_ino - 1 : 0;
        int64_t bit = bitmap_take(bm->data, start, fs->g.inodes_per_group);
        if (bit < 0) {
            brelse(bm);
            brelse(gb);
            return ext2_corrupt(fs, "inode bitmap full, group", group);
        }
        bdirty(bm);
        brelse(bm);
        gd.free_inodes_count--;
        if (dir)
            gd.used_dirs_count++;
        ext2_gd_put(fs, gb, group, &gd);
        *out = group * fs->g.inodes_per_group + (uint32_t)bit + 1;
        return ext2_sb_adjust(fs, 0, -1);
    }
    return -ENOSPC;
}

static int ext2_ifree(struct ext2_fs *fs, uint32_t ino, bool dir)
{
    if (ino < fs->g.first_ino || ino > fs->g.inodes_count)
        return ext2_corrupt(fs, "freeing reserved inode", ino);
    int err = ext2_bitmap_free(fs, (ino - 1) / fs->g.inodes_per_group,
                               (ino - 1) % fs->g.inodes_per_group, true, dir,
                               "freeing a free inode", ino);
    return err ? err : ext2_sb_adjust(fs, 0, 1);
}

/* ---- the block map ----------------------------------------------------- */

/*
 * Disk block of file block (fb) of (in) (inode (ino)) in *out, 0 for a hole.
 * With (alloc) holes are filled, indirect blocks included; (in) changes then
 * and the caller writes it back.  *fresh says the data block is new.
 */
/*
 * Where file block (fb) hangs: the inode's block[] slot it starts from, the
 * levels of indirect blocks below that slot, and the entry taken in each.
 * Returns the slot, or -EFBIG past a triple-indirect tree.
 */
static int ext2_bpath(const struct ext2_fs *fs, uint64_t fb, unsigned *levels, uint32_t idx[3])
{
    uint32_t apb = fs->g.block_size / 4;

    if (fb < EXT2_NDIR) {
        *levels = 0;
        return (int)fb;
    }
    if ((fb -= EXT2_NDIR) < apb) {
        *levels = 1;
        idx[0] = (uint32_t)fb;
        return EXT2_IND;
    }
    if ((fb -= apb) < (uint64_t)apb * apb) {
        *levels = 2;
        idx[0] = (uint32_t)(fb / apb);
        idx[1] = (uint32_t)(fb % apb);
        return EXT2_DIND;
    }
    if ((fb -= (uint64_t)apb * apb) < (uint64_t)apb * apb * apb) {
        *levels = 3;
        idx[0] = (uint32_t)(fb / apb / apb);
        idx[1] = (uint32_t)(fb / apb % apb);
        idx[2] = (uint32_t)(fb % apb);
        return EXT2_TIND;
    }
    return -EFBIG;
}

static int ext2_bmap(struct ext2_fs *fs, struct ext2_inode *in, uint32_t ino, uint64_t fb,
                     bool alloc, uint32_t *out, bool *fresh)
{
    unsigned levels;
    uint32_t idx[3];
    int err;

    *out = 0;
    if (fresh)
        *fresh = false;
    int s = ext2_bpath(fs, fb, &levels, idx);
    if (s < 0)
        return s;
    uint32_t *slot = &in->block[s];
    uint32_t goal = in->block[0] ? in->block[0] : (ino - 1) / fs->g.inodes_per_group *
                                                         fs->g.blocks_per_group;
    uint32_t blk = *slot;
    bool fresh_blk = false;
    if (!blk) {
        if (!alloc)
            return 0;
        if ((err = ext2_balloc(fs, goal, &blk)))
            return err;
        *slot = blk;
        in->blocks += fs->g.block_size / 512;
        fresh_blk = true;
        if (levels) {
            struct buf *z = bget_zero(fs->bd, blk, fs->g.block_size, &err);
            if (!z)
                return err;
            bdirty(z);
            brelse(z);
        }
    } else if (!ext2_block_ok(&fs->g, blk)) {
        return ext2_corrupt(fs, "block pointer out of range:", blk);
    }
    for (unsigned l = 0; l < levels; l++) {
        struct buf *b = ext2_bread(fs, blk, &err);
        if (!b)
            return err;
        uint32_t next;
        memcpy(&next, b->data + 4 * idx[l], 4);
        fresh_blk = false;
        if (!next) {
            if (!alloc) {
                brelse(b);
                return 0;
            }
            if ((err = ext2_balloc(fs, blk + 1, &next))) {
                brelse(b);
                return err;
            }
            memcpy(b->data + 4 * idx[l], &next, 4);
            bdirty(b);
            in->blocks += fs->g.block_size / 512;
            fresh_blk = true;
            if (l + 1 < levels) {
                struct buf *z = bget_zero(fs->bd, next, fs->g.block_size, &err);
                if (!z) {
                    brelse(b);
                    return err;
                }
                bdirty(z);
                brelse(z);
            }
        } else if (!ext2_block_ok(&fs->g, next)) {
            brelse(b);
            return ext2_corrupt(fs, "indirect pointer out of range:", next);
        }
        brelse(b);
        blk = next;
    }
    *out = blk;
    if (fresh)
        *fresh = fresh_blk;
    return 0;
}

/*
 * Disk blocks of file blocks [fb, fb + n) of (in) into (out), 0 for a hole,
 * allocating nothing: as many as the inode or one indirect block maps from
 * (fb) on, at least one when n > 0.  Returns that count, or an error.  One
 * walk down the tree for the run, where ext2_bmap() walks once per block.
 */
static long ext2_bmap_run(struct ext2_fs *fs, struct ext2_inode *in, uint64_t fb, unsigned n,
                          uint32_t *out)
{
    uint32_t apb = fs->g.block_size / 4;
    unsigned levels;
    uint32_t idx[3];
    int err, s = ext2_bpath(fs, fb, &levels, idx);

    if (s < 0)
        return s;
    /* Entries left in the table that maps (fb): the inode's, or the last level's. */
    unsigned k = levels ? MIN(n, apb - idx[levels - 1]) : MIN(n, (unsigned)(EXT2_NDIR - fb));
    /* The run's entries: in the inode, or in the last level's table; NULL
     * when a hole higher up leaves the whole run a hole. */
    const uint32_t *ents = &in->block[s];
    uint32_t blk = *ents;
    struct buf *b = NULL;
    for (unsigned l = 0; l < levels; l++) {
        if (!blk) {
            ents = NULL;
            break;
        }
        struct buf *nb = ext2_bread(fs, blk, &err);
        if (b)
            brelse(b);
        if (!(b = nb))
            return err;
        ents = (const uint32_t *)b->data + idx[l];
        memcpy(&blk, ents, 4);
    }
    for (unsigned i = 0; i < k; i++) {
        out[i] = 0;
        if (ents)
            memcpy(&out[i], ents + i, 4);
        if (out[i] && !ext2_block_ok(&fs->g, out[i])) {
            if (b)
                brelse(b);
            return ext2_corrupt(fs, "block pointer out of range:", out[i]);
        }
    }
    if (b)
        brelse(b);
    return k;
}

/*
 * Free the blocks of the subtree at (*slot) (levels of indirection) that
 * map file blocks >= (keep); (base) is the subtree's first file block.
 */
static int ext2_free_tree(struct ext2_fs *fs, struct ext2_inode *in, uint32_t *slot,
                          unsigned levels, uint64_t base, uint64_t keep)
{
    uint32_t apb = fs->g.block_size / 4;
    uint64_t span = 1;
    int err = 0;

    for (unsigned l = 0; l < levels; l++)
        span *= apb;
    if (!*slot || base + span <= keep)
        return 0;
    if (!ext2_block_ok(&fs->g, *slot))
        return ext2_corrupt(fs, "block pointer out of range:", *slot);
    if (levels) {
        struct buf *b = ext2_bread(fs, *slot, &err);
        if (!b)
            return err;
        uint64_t child = span / apb;
        bool empty = true;
        for (uint32_t i = 0; i < apb; i++) {
            uint32_t p;
            memcpy(&p, b->data + 4 * i, 4);
            int e = ext2_free_tree(fs, in, &p, levels - 1, base + i * child, keep);
            if (e && !err)
                err = e;
            memcpy(b->data + 4 * i, &p, 4);
            empty &= p == 0;
        }
        bdirty(b);
        brelse(b);
        if (!empty)
            return err;
    }
    int e = ext2_bfree(fs, *slot);
    if (!e) {
        in->blocks -= MIN(in->blocks, fs->g.block_size / 512);
        *slot = 0;
    }
    return err ? err : e;
}

/* Free every block of (in) mapping file blocks >= (keep). */
static int ext2_free_from(struct ext2_fs *fs, struct ext2_inode *in, uint64_t keep)
{
    uint32_t apb = fs->g.block_size / 4;
    uint64_t base = EXT2_NDIR;
    int err = 0, e;

    for (uint32_t i = keep; i < EXT2_NDIR; i++)
        if ((e = ext2_free_tree(fs, in, &in->block[i], 0, i, keep)) && !err)
            err = e;
    for (unsigned l = 1; l <= 3; l++) {
        if ((e = ext2_free_tree(fs, in, &in->block[EXT2_NDIR + l - 1], l, base, keep)) && !err)
            err = e;
        uint64_t span = 1;
        for (unsigned k = 0; k < l; k++)
            span *= apb;
        base += span;
    }
    return err;
}

/* ---- file data --------------------------------------------------------- */

static uint32_t ext2_now(void)
{
    return (uint32_t)(time_realtime_ns() / 1000000000ull);
}

static void ext2_set_size(struct ext2_inode *in, uint64_t size)
{
    in->size = (uint32_t)size;
    if ((in->mode & S_IFMT) == S_IFREG)
        in->size_high = (uint32_t)(size >> 32);
}

/* File blocks per read-ahead request (the buffer cache takes up to BATCH per call). */
#define EXT2_RA_WINDOW 64
/* Windows kept in flight ahead of a reader (2 MiB), so the device is never
 * idle while it copies; with indirect descriptors each request takes one
 * ring slot.  Deeper measured no better: the host's own read-ahead lags. */
#define EXT2_RA_WINDOWS 8

/* Start reading the file blocks [fb, end) that are mapped and not cached, without waiting. */
static void ext2_readahead(struct ext2_fs *fs, struct ext2_inode *in, uint64_t fb, uint64_t end)
{
    uint32_t blocks[EXT2_RA_WINDOW];
    uint64_t nums[EXT2_RA_WINDOW];

    while (fb < end) {
        unsigned n = (unsigned)MIN(end - fb, (uint64_t)EXT2_RA_WINDOW);
        uint32_t lastb;
        /* Windows go out whole: if the last block of this one is cached or
         * on its way, so is the rest (a sequential reader's next call finds
         * most of its span started by the previous one). */
        if (ext2_bmap_run(fs, in, fb + n - 1, 1, &lastb) == 1 && lastb &&
            bcached(fs->bd, lastb, fs->g.block_size)) {
            fb += n;
            continue;
        }
        for (unsigned i = 0; i < n;) {
            long r = ext2_bmap_run(fs, in, fb + i, n - i, blocks + i);
            if (r < 0) {
                memset(blocks + i, 0, (n - i) * sizeof(*blocks)); /* not read ahead */
                break;
            }
            i += (unsigned)r;
        }
        for (unsigned i = 0; i < n; i++)
            nums[i] = blocks[i];
        bprefetch(fs->bd, nums, n, fs->g.block_size);
        fb += n;
    }
}

/* Reads of at least this many bytes, block aligned in memory as in the file,
 * skip the buffer cache for blocks it does not hold: the device writes
 * straight into the reader's pages.  Smaller ones keep read-ahead. */
#define EXT2_DIRECT_MIN (64u << 10)
/* Blocks sent to the device at once by a direct read (1 MiB of 4 KiB blocks). */
#define EXT2_DIRECT_BLOCKS 256

/* A direct read's bookkeeping, too big for a kernel stack.  Kept for the
 * next one: mm hands out several pages at once only from memory never used
 * before, so allocating it each time would use up RAM. */
struct ext2_direct {
    struct blk_req reqs[EXT2_DIRECT_BLOCKS];
    uint32_t blks[EXT2_DIRECT_BLOCKS];
    void *pages[EXT2_DIRECT_BLOCKS]; /* a block never crosses a page */
    struct ext2_direct *next;
};
static struct ext2_direct *ext2_direct_free;

/*
 * Read file blocks from (fb), at most (nb), straight into user memory at
 * (uva) (block aligned): the run of blocks that are mapped and not in the
 * buffer cache (a cached block may be dirty, newer than the disk, so the
 * caller copies it from there; nothing here puts one in the cache).  The
 * shared lock keeps writers out, so the run cannot change meanwhile.
 * Returns the bytes read, 0 if block (fb) is not for this path or its page
 * cannot be written (the caller's copy then reports the fault), or an error.
 */
static long ext2_read_direct(struct ext2_fs *fs, struct ext2_inode *in, uint64_t fb, uint64_t nb,
                             uint64_t uva)
{
    uint32_t bs = fs->g.block_size;
    unsigned max = (unsigned)MIN(nb, (uint64_t)EXT2_DIRECT_BLOCKS), k = 0;
    struct ext2_direct *d = ext2_direct_free;
    long ret = 0;

    if (d)
        ext2_direct_free = d->next;
    else if (!(d = kmalloc(sizeof(*d))))
        return 0; /* the cache path needs no memory of its own */
    struct blk_req *reqs = d->reqs;
    uint32_t *blks = d->blks;
    while (k < max) {
        long r = ext2_bmap_run(fs, in, fb + k, max - k, blks + k);
        if (r < 0) {
            ret = k ? 0 : r;
            break;
        }
        unsigned j = k;
        while (j < k + r && blks[j] && !bcached(fs->bd, blks[j], bs)) {
            reqs[j] = (struct blk_req){ .sector = (uint64_t)blks[j] * (bs / SECTOR_SIZE),
                                        .len = bs };
            j++;
        }
        bool whole = j == k + r;
        k = j;
        if (!whole)
            break;
    }
    struct vm_pin pin;
    uint64_t held = k ? vm_pin_write(current->mm, uva, (uint64_t)k * bs, d->pages, &pin) : 0;
    k = (unsigned)(held / bs);
    if (k) {
        for (unsigned i = 0; i < k; i++) {
            uint64_t va = uva + (uint64_t)i * bs;
            reqs[i].buf = (uint8_t *)d->pages[(va - pin.start) / PAGE_SIZE] + va % PAGE_SIZE;
        }
        int err = fs->bd->ops->rw(fs->bd, reqs, k);
        unsigned ok = 0;
        while (ok < k && reqs[ok].status == 0)
            ok++;
        vm_unpin(current->mm, d->pages, &pin);
        ret = ok ? (long)ok * bs : (err ? err : -EIO);
    }
    d->next = ext2_direct_free;
    ext2_direct_free = d;
    return ret;
}

long ext2_read(struct inode *ip, uint64_t off, uint64_t ubuf, size_t n)
{
    struct ext2_fs *fs = ip->fs;
    struct ext2_inode in;
    uint32_t bs = fs->g.block_size;
    size_t done = 0;
    int err;

    /* Shared: nothing here changes the disk, and each reader's blocks
     * load while the others wait for theirs. */
    sleeplock_acquire_shared(&fs->lock);
    if ((err = ext2_iread(fs, ip->ino, &in, true)))
        goto out;
    uint64_t size = ext2_inode_size(&in);
    if (off >= size)
        goto out;
    n = MIN(n, size - off);
    uint64_t first = off / bs, last = (off + n - 1) / bs;
    /* A reader that continues where it stopped gets read-ahead past this
     * read, up to the end of the file; any other, within this read. */
    bool seq = first == ip->ra_next && (first > 0 || last > first);
    /* A direct read needs no read-ahead: the whole of it goes to the
     * device at once, and the host reads ahead of a sequential reader. */
    bool direct = n >= EXT2_DIRECT_MIN && (ubuf - off) % bs == 0 && current && current->mm;
    uint64_t end = direct ? first : seq ? (size + bs - 1) / bs : last + 1;
    uint64_t span = (uint64_t)EXT2_RA_WINDOW * EXT2_RA_WINDOWS;
    if (end > first + 1)
        ext2_readahead(fs, &in, first, MIN(end, first + span));
    ip->ra_next = last + 1;
    while (done < n) {
        uint64_t fb = (off + done) / bs;
        uint32_t boff = (off + done) % bs, chunk = MIN(bs - boff, n - done), blk;
        if (direct && !boff && n - done >= bs) {
            long r = ext2_read_direct(fs, &in, fb, (n - done) / bs, ubuf + done);
            if (r < 0) {
                err = (int)r;
                break;
            }
            if (r > 0) {
                done += (size_t)r;
                continue;
            }
        }
        /* Each window reached starts the one furthest ahead. */
        if (fb > first && (fb - first) % EXT2_RA_WINDOW == 0 && fb + span - EXT2_RA_WINDOW < end)
            ext2_readahead(fs, &in, fb + span - EXT2_RA_WINDOW, MIN(end, fb + span));
        if ((err = ext2_bmap(fs, &in, ip->ino, fb, false, &blk, NULL)))
            break;
        if (!blk) {
            err = clear_user(ubuf + done, chunk) ? -EFAULT : 0;
        } else {
            struct buf *b = ext2_bread(fs, blk, &err);
            if (!b)
                break;
            err = copy_to_user(ubuf + done, b->data + boff, chunk) ? -EFAULT : 0;
            brelse(b);
        }
        if (err)
            break;
        done += chunk;
    }
out:
    sleeplock_release_shared(&fs->lock);
    return done ? (long)done : err;
}

long ext2_write(struct inode *ip, uint64_t off, uint64_t ubuf, size_t n)
{
    struct ext2_fs *fs = ip->fs;
    struct ext2_inode in;
    uint32_t bs = fs->g.block_size;
    size_t done = 0;
    int err;

    if (fs->ro)
        return -EROFS;
    uint64_t limit = (fs->g.ro_compat & EXT2_RO_COMPAT_LARGE_FILE)
                         ? MIN(ext2_max_blocks(fs) * bs, 1ull << 40)
                         : 0x7fffffffull;
    if (off >= limit || n > limit - off)
        return -EFBIG;
    sleeplock_acquire(&fs->lock);
    if ((err = ext2_iread(fs, ip->ino, &in, true)))
        goto out;
    uint64_t size = ext2_inode_size(&in);
    while (done < n) {
        uint64_t fb = (off + done) / bs;
        uint32_t boff = (off + done) % bs, chunk = MIN(bs - boff, n - done), blk;
        bool fresh;
        if ((err = ext2_bmap(fs, &in, ip->ino, fb, true, &blk, &fresh)))
            break;
        /* A whole block needs neither its old contents nor zeroes first. */
        struct buf *b = chunk == bs ? bget_whole(fs->bd, blk, bs, &err)
                        : fresh     ? bget_zero(fs->bd, blk, bs, &err)
                                    : ext2_bread(fs, blk, &err);
        if (!b)
            break;
        err = copy_from_user(b->data + boff, ubuf + done, chunk) ? -EFAULT : 0;
        if (err && chunk == bs)
            memset(b->data, 0, bs); /* not another block's stale bytes */
        bdirty(b);
        brelse(b);
        if (err)
            break;
        done += chunk;
    }
    if (off + done > size)
        ext2_set_size(&in, off + done);
    in.mtime = in.ctime = ext2_now();
    int e = ext2_iwrite(fs, ip->ino, &in, false);
    if (!err)
        err = e;
    ip->size = ext2_inode_size(&in);
    ip->mtime_ns = (uint64_t)in.mtime * 1000000000ull;
out:
    sleeplock_release(&fs->lock);
    return done ? (long)done : err;
}

/* Truncate inode (ino) in (in) to (size), with the lock held. */
static int ext2_do_truncate(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint64_t size)
{
    uint32_t bs = fs->g.block_size;
    int err = 0;

    if (size < ext2_inode_size(in)) {
        err = ext2_free_from(fs, in, (size + bs - 1) / bs);
        uint32_t tail = size % bs, blk;
        /* Zero the rest of the last block: growing the file again must read zeros. */
        if (!err && tail && !ext2_bmap(fs, in, ino, size / bs, false, &blk, NULL) && blk) {
            struct buf *b = ext2_bread(fs, blk, &err);
            if (b) {
                memset(b->data + tail, 0, bs - tail);
                bdirty(b);
                brelse(b);
            }
        }
    }
    ext2_set_size(in, size);
    in->mtime = in->ctime = ext2_now();
    return err;
}

int ext2_truncate(struct inode *ip, uint64_t size)
{
    struct ext2_fs *fs = ip->fs;
    struct ext2_inode in;
    int err;

    if (fs->ro)
        return -EROFS;
    if (size > ((fs->g.ro_compat & EXT2_RO_COMPAT_LARGE_FILE) ? ext2_max_blocks(fs) *
                                                                     fs->g.block_size
                                                               : 0x7fffffffull))
        return -EFBIG;
    sleeplock_acquire(&fs->lock);
    err = ext2_iread(fs, ip->ino, &in, true);
    if (!err) {
        err = ext2_do_truncate(fs, ip->ino, &in, size);
        int e = ext2_iwrite(fs, ip->ino, &in, false);
        if (!err)
            err = e;
        ip->size = ext2_inode_size(&in);
        ip->mtime_ns = (uint64_t)in.mtime * 1000000000ull;
    }
    sleeplock_release(&fs->lock);
    return err;
}

/* ---- directories ------------------------------------------------------- */

static uint8_t ext2_ftype(uint32_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG:
        return EXT2_FT_REG;
    case S_IFDIR:
        return EXT2_FT_DIR;
    case S_IFLNK:
        return EXT2_FT_LNK;
    case S_IFCHR:
        return EXT2_FT_CHR;
    case S_IFIFO:
        return EXT2_FT_FIFO;
    default:
        return EXT2_FT_UNKNOWN;
    }
}

/*
 * Walk the entries of directory (dino): (fn) sees each one with its buffer
 * and offset, and returns 1 to stop (the walk returns 1), 0 to go on, or an error.
 */
typedef int (*ext2_dirent_fn)(struct ext2_fs *fs, struct buf *b, uint32_t off, uint32_t prev,
                              const struct ext2_dirent *d, void *arg);

static int ext2_dir_walk(struct ext2_fs *fs, uint32_t dino, ext2_dirent_fn fn, void *arg)
{
    struct ext2_inode in;
    int err = ext2_iread(fs, dino, &in, true);

    if (err)
        return err;
    if ((in.mode & S_IFMT) != S_IFDIR)
        return ext2_corrupt(fs, "not a directory: inode", dino);
    uint64_t nblocks = in.size / fs->g.block_size;
    for (uint64_t fb = 0; fb < nblocks; fb++) {
        uint32_t blk;
        if ((err = ext2_bmap(fs, &in, dino, fb, false, &blk, NULL)))
            return err;
        if (!blk)
            return ext2_corrupt(fs, "hole in directory", dino);
        struct buf *b = ext2_bread(fs, blk, &err);
        if (!b)
            return err;
        uint32_t off = 0, prev = UINT32_MAX;
        while (off < fs->g.block_size) {
            struct ext2_dirent d;
            if (ext2_dirent_parse(&fs->g, b->data, off, &d)) {
                brelse(b);
                return ext2_corrupt(fs, "directory entry in inode", dino);
            }
            int r = fn(fs, b, off, prev, &d, arg);
            if (r) {
                brelse(b);
                return r;
            }
            prev = off;
            off += d.rec_len;
        }
        brelse(b);
    }
    return 0;
}

static bool ext2_is_dot(const struct ext2_dirent *d)
{
    return (d->name_len == 1 && d->name[0] == '.') ||
           (d->name_len == 2 && d->name[0] == '.' && d->name[1] == '.');
}

/* Fill the VFS node (ip) from disk inode (in). */
static void ext2_fill(struct ext2_fs *fs, struct inode *ip, uint32_t ino, const struct ext2_inode *in)
{
    ip->fs = fs;
    ip->ino = ino;
    ip->mode = in->mode;
    ip->size = ext2_inode_size(in);
    ip->mtime_ns = (uint64_t)in->mtime * 1000000000ull;
    ip->nlink = in->links_count;
}

static int ext2_load_one(struct ext2_fs *fs, struct buf *b, uint32_t off, uint32_t prev,
                         const struct ext2_dirent *d, void *arg)
{
    struct inode *dir = arg;
    struct ext2_inode in;

    (void)b, (void)off, (void)prev;
    if (!d->inode || ext2_is_dot(d))
        return 0;
    if (d->inode != EXT2_ROOT_INO && d->inode < fs->g.first_ino)
        return ext2_corrupt(fs, "entry for a reserved inode", d->inode);
    if (vfs_dir_find(dir, d->name, d->name_len))
        return ext2_corrupt(fs, "duplicate name in directory", (uint32_t)dir->ino);
    int err = ext2_iread(fs, d->inode, &in, true);
    if (err)
        return err;
    if (!in.links_count)
        return ext2_corrupt(fs, "entry for a free inode", d->inode);
    /* A directory reachable twice would make the tree a graph. */
    if ((in.mode & S_IFMT) == S_IFDIR)
        for (struct inode *a = dir; a && a->fs == fs; a = a->parent)
            if (a->ino == d->inode)
                return ext2_corrupt(fs, "directory loop at inode", d->inode);
    struct inode *ip = vfs_child_new(dir, d->name, d->name_len, in.mode);
    if (!ip)
        return -ENOMEM;
    ext2_fill(fs, ip, d->inode, &in);
    return 0;
}

int ext2_dir_load(struct inode *dir)
{
    struct ext2_fs *fs = dir->fs;

    if (dir->loaded)
        return 0;
    sleeplock_acquire(&fs->lock);
    int err = dir->loaded ? 0 : ext2_dir_walk(fs, (uint32_t)dir->ino, ext2_load_one, dir);
    if (err < 0)
        vfs_drop_children(dir); /* try again next time rather than show half */
    else
        dir->loaded = true;
    sleeplock_release(&fs->lock);
    return err < 0 ? err : 0;
}

struct ext2_add {
    const char *name;
    uint32_t len, ino;
    uint8_t type;
};

static void ext2_put_dirent(uint8_t *p, uint32_t ino, uint16_t rec_len, const char *name,
                            uint8_t len, uint8_t type, bool filetype)
{
    memcpy(p, &ino, 4);
    memcpy(p + 4, &rec_len, 2);
    p[6] = len;
    p[7] = filetype ? type : 0;
    memcpy(p + 8, name, len);
}

static int ext2_add_fit(struct ext2_fs *fs, struct buf *b, uint32_t off, uint32_t prev,
                        const struct ext2_dirent *d, void *arg)
{
    struct ext2_add *a = arg;
    uint32_t need = ext2_dirent_size(a->len);
    uint32_t used = d->inode ? ext2_dirent_size(d->name_len) : 0;
    bool ft = fs->g.incompat & EXT2_INCOMPAT_FILETYPE;

    (void)prev;
    if (d->rec_len < used + need)
        return 0;
    uint8_t *p = b->data + off;
    if (used) {
        uint16_t rl = used;
        memcpy(p + 4, &rl, 2);
        p += used;
    }
    ext2_put_dirent(p, a->ino, d->rec_len - used, a->name, a->len, a->type, ft);
    bdirty(b);
    return 1;
}

/* Drop the htree flag of a directory we change: linear is always valid. */
static void ext2_dir_touch(struct ext2_inode *in)
{
    in->flags &= ~EXT2_INDEX_FL;
    in->mtime = in->ctime = ext2_now();
}

static int ext2_dir_add(struct ext2_fs *fs, uint32_t dino, const char *name, uint32_t ino,
                        uint8_t type)
{
    struct ext2_add a = { name, strlen(name), ino, type };
    struct ext2_inode in;
    int r = ext2_dir_walk(fs, dino, ext2_add_fit, &a);

    if (r < 0)
        return r;
    int err = ext2_iread(fs, dino, &in, true);
    if (err)
        return err;
    if (r == 0) {
        /* No room in any block: append one holding just this entry. */
        uint32_t bs = fs->g.block_size, blk;
        err = ext2_bmap(fs, &in, dino, in.size / bs, true, &blk, NULL);
        if (!err) {
            struct buf *b = bget_zero(fs->bd, blk, bs, &err);
            if (b) {
                ext2_put_dirent(b->data, ino, bs, name, a.len, type,
                                fs->g.incompat & EXT2_INCOMPAT_FILETYPE);
                bdirty(b);
                brelse(b);
                in.size += bs;
            }
        }
    }
    ext2_dir_touch(&in);
    int e = ext2_iwrite(fs, dino, &in, false);
    return err ? err : e;
}

struct ext2_find {
    const char *name;
    uint32_t len;
    uint32_t ino; /* OUT for lookups; IN for ext2_set_dotdot */
};

/* Remove the entry named (a->name): merge it into the one before, or clear it. */
static int ext2_remove_fn(struct ext2_fs *fs, struct buf *b, uint32_t off, uint32_t prev,
                          const struct ext2_dirent *d, void *arg)
{
    struct ext2_find *f = arg;

    (void)fs;
    if (!d->inode || d->name_len != f->len || memcmp(d->name, f->name, f->len))
        return 0;
    f->ino = d->inode;
    if (prev != UINT32_MAX) {
        uint16_t rl;
        memcpy(&rl, b->data + prev + 4, 2);
        rl += d->rec_len;
        memcpy(b->data + prev + 4, &rl, 2);
    } else {
        memset(b->data + off, 0, 4);
    }
    bdirty(b);
    return 1;
}

static int ext2_dir_remove(struct ext2_fs *fs, uint32_t dino, const char *name, uint32_t ino)
{
    struct ext2_find f = { name, strlen(name), 0 };
    struct ext2_inode in;
    int r = ext2_dir_walk(fs, dino, ext2_remove_fn, &f);

    if (r < 0)
        return r;
    if (r == 0 || f.ino != ino)
        return ext2_corrupt(fs, "entry vanished from directory", dino);
    int err = ext2_iread(fs, dino, &in, true);
    if (err)
        return err;
    ext2_dir_touch(&in);
    return ext2_iwrite(fs, dino, &in, false);
}

static int ext2_empty_fn(struct ext2_fs *fs, struct buf *b, uint32_t off, uint32_t prev,
                         const struct ext2_dirent *d, void *arg)
{
    (void)fs, (void)b, (void)off, (void)prev, (void)arg;
    return d->inode && !ext2_is_dot(d) ? 1 : 0;
}

static int ext2_dotdot_fn(struct ext2_fs *fs, struct buf *b, uint32_t off, uint32_t prev,
                          const struct ext2_dirent *d, void *arg)
{
    struct ext2_find *f = arg;

    (void)fs, (void)prev;
    if (d->name_len != 2 || d->name[0] != '.' || d->name[1] != '.')
        return 0;
    memcpy(b->data + off, &f->ino, 4);
    bdirty(b);
    return 1;
}

/* Add (delta) to the link count of inode (ino). */
static int ext2_link_adjust(struct ext2_fs *fs, uint32_t ino, int delta)
{
    struct ext2_inode in;
    int err = ext2_iread(fs, ino, &in, true);

    if (err)
        return err;
    in.links_count += delta;
    in.ctime = ext2_now();
    return ext2_iwrite(fs, ino, &in, false);
}

/* ---- the VFS's entry points -------------------------------------------- */

bool ext2_readonly(struct ext2_fs *fs)
{
    return fs->ro;
}

int ext2_statfs(struct ext2_fs *fs, struct linux_statfs *st)
{
    uint32_t off;
    int err;

    sleeplock_acquire(&fs->lock);
    struct buf *b = ext2_sb_buf(fs, &off, &err);
    if (!b) {
        sleeplock_release(&fs->lock);
        return err;
    }
    struct ext2_super sb;
    memcpy(&sb, b->data + off, sizeof(sb));
    brelse(b);
    sleeplock_release(&fs->lock);
    /* The counts are on disk: keep them within what the mount checked. */
    uint64_t bfree = MIN(sb.free_blocks_count, fs->g.blocks_count);
    uint64_t reserved = MIN(sb.r_blocks_count, bfree);
    *st = (struct linux_statfs){
        .type = EXT2_MAGIC,
        .bsize = fs->g.block_size,
        .blocks = fs->g.blocks_count,
        .bfree = bfree,
        .bavail = bfree - reserved,
        .files = fs->g.inodes_count,
        .ffree = MIN(sb.free_inodes_count, fs->g.inodes_count),
        .fsid = { (int32_t)fs->g.blocks_count, (int32_t)fs->g.inodes_count },
        .namelen = 255,
        .frsize = fs->g.block_size,
        .flags = ST_VALID | (fs->ro ? ST_RDONLY : 0),
    };
    return 0;
}

int ext2_create(struct inode *dir, const char *name, uint32_t mode, struct inode *ip)
{
    struct ext2_fs *fs = dir->fs;
    bool isdir = S_ISDIR(mode);
    uint32_t ino = 0, blk = 0;
    int err;

    if (fs->ro)
        return -EROFS;
    /* Only what the VFS can write back: files and directories. */
    if (!isdir && !S_ISREG(mode))
        return -EPERM;
    if (strlen(name) > 255)
        return -ENAMETOOLONG;
    sleeplock_acquire(&fs->lock);
    err = ext2_ialloc(fs, (uint32_t)dir->ino, isdir, &ino);
    if (err)
        goto out;
    struct ext2_inode in = { 0 };
    in.mode = mode;
    in.links_count = isdir ? 2 : 1;
    in.atime = in.ctime = in.mtime = ext2_now();
    if (isdir) {
        uint32_t bs = fs->g.block_size;
        bool ft = fs->g.incompat & EXT2_INCOMPAT_FILETYPE;
        err = ext2_bmap(fs, &in, ino, 0, true, &blk, NULL);
        struct buf *b = err ? NULL : bget_zero(fs->bd, blk, bs, &err);
        if (b) {
            ext2_put_dirent(b->data, ino, 12, ".", 1, EXT2_FT_DIR, ft);
            ext2_put_dirent(b->data + 12, (uint32_t)dir->ino, bs - 12, "..", 2, EXT2_FT_DIR, ft);
            bdirty(b);
            brelse(b);
            in.size = bs;
        }
    }
    if (!err)
        err = ext2_iwrite(fs, ino, &in, true);
    if (!err)
        err = ext2_dir_add(fs, (uint32_t)dir->ino, name, ino, ext2_ftype(mode));
    if (!err && isdir)
        err = ext2_link_adjust(fs, (uint32_t)dir->ino, 1);
    if (err) {
        /* Give back what was taken; the entry itself was the last step. */
        if (blk)
            ext2_bfree(fs, blk);
        ext2_ifree(fs, ino, isdir);
        goto out;
    }
    ext2_fill(fs, ip, ino, &in);
    ip->loaded = true; /* new: nothing on disk to read */
    if (isdir)
        dir->nlink++;
out:
    sleeplock_release(&fs->lock);
    return err;
}

int ext2_unlink(struct inode *dir, const char *name, struct inode *ip)
{
    struct ext2_fs *fs = dir->fs;
    int err;

    if (fs->ro)
        return -EROFS;
    sleeplock_acquire(&fs->lock);
    if (S_ISDIR(ip->mode)) {
        int r = ext2_dir_walk(fs, (uint32_t)ip->ino, ext2_empty_fn, NULL);
        if (r) {
            err = r < 0 ? r : -ENOTEMPTY;
            goto out;
        }
    }
    err = ext2_dir_remove(fs, (uint32_t)dir->ino, name, (uint32_t)ip->ino);
    if (err)
        goto out;
    struct ext2_inode in;
    if ((err = ext2_iread(fs, (uint32_t)ip->ino, &in, true)))
        goto out;
    if (S_ISDIR(ip->mode)) {
        in.links_count = 0; /* its "." goes with it */
        ext2_link_adjust(fs, (uint32_t)dir->ino, -1);
        dir->nlink--;
    } else {
        in.links_count--;
    }
    in.ctime = ext2_now();
    ip->nlink = in.links_count;
    err = ext2_iwrite(fs, (uint32_t)ip->ino, &in, false);
out:
    sleeplock_release(&fs->lock);
    return err;
}

void ext2_evict(struct inode *ip)
{
    struct ext2_fs *fs = ip->fs;
    struct ext2_inode in;

    if (fs->ro || ip->nlink)
        return;
    sleeplock_acquire(&fs->lock);
    if (!ext2_iread(fs, (uint32_t)ip->ino, &in, false) && in.links_count == 0) {
        ext2_free_from(fs, &in, 0);
        in.size = in.size_high = 0;
        in.dtime = ext2_now();
        ext2_iwrite(fs, (uint32_t)ip->ino, &in, false);
        ext2_ifree(fs, (uint32_t)ip->ino, S_ISDIR(in.mode));
    }
    sleeplock_release(&fs->lock);
}

int ext2_rename(struct inode *odir, const char *oname, struct inode *ip, struct inode *ndir,
                const char *nname, struct inode *victim)
{
    struct ext2_fs *fs = odir->fs;
    bool isdir = S_ISDIR(ip->mode);
    int err;

    if (fs->ro)
        return -EROFS;
    if (victim) {
        /* The VFS checked the types; the victim goes first, as unlink would. */
        if ((err = ext2_unlink(ndir, nname, victim)))
            return err;
    }
    sleeplock_acquire(&fs->lock);
    err = ext2_dir_add(fs, (uint32_t)ndir->ino, nname, (uint32_t)ip->ino, ext2_ftype(ip->mode));
    if (!err)
        err = ext2_dir_remove(fs, (uint32_t)odir->ino, oname, (uint32_t)ip->ino);
    if (!err && isdir && odir != ndir) {
        struct ext2_find f = { "..", 2, (uint32_t)ndir->ino };
        int r = ext2_dir_walk(fs, (uint32_t)ip->ino, ext2_dotdot_fn, &f);
        err = r < 0 ? r : 0;
        if (!err)
            err = ext2_link_adjust(fs, (uint32_t)odir->ino, -1);
        if (!err)
            err = ext2_link_adjust(fs, (uint32_t)ndir->ino, 1);
        odir->nlink--;
        ndir->nlink++;
    }
    sleeplock_release(&fs->lock);
    return err;
}

int ext2_sync(struct ext2_fs *fs)
{
    sleeplock_acquire(&fs->lock);
    int err = bsync(fs->bd);
    sleeplock_release(&fs->lock);
    return err;
}

int ext2_mount(struct blkdev *bd, struct inode *root)
{
    struct ext2_fs *fs = kzalloc(sizeof(*fs));
    const char *why;
    struct ext2_inode in;
    int err;

    if (!fs)
        return -ENOMEM;
    fs->bd = bd;
    /* Read the superblock as 1 KiB blocks: the block size is not known yet. */
    struct buf *b = bread(bd, EXT2_SB_OFFSET / 1024, 1024, &err);
    if (!b)
        goto err_free;
    uint8_t sb[1024];
    memcpy(sb, b->data, sizeof(sb));
    bforget(bd, EXT2_SB_OFFSET / 1024, 1024);
    brelse(b);
    err = ext2_geom_parse(sb, bd->sectors * SECTOR_SIZE, &fs->g, &why);
    if (err) {
        printk("ext2: %s: cannot mount: %s\n", bd->name, why);
        goto err_free;
    }
    fs->ro = bd->readonly || fs->g.readonly;
    if (fs->g.readonly && !bd->readonly)
        printk("ext2: %s: unknown read-only-compatible features 0x%x: mounting read-only\n",
               bd->name, fs->g.ro_compat);
    for (uint32_t g = 0; g < fs->g.ngroups; g++) {
        struct ext2_gd gd;
        struct buf *gb = ext2_gd_get(fs, g, &gd, &err);
        if (!gb)
            goto err_free;
        brelse(gb);
    }
    if ((err = ext2_iread(fs, EXT2_ROOT_INO, &in, true)))
        goto err_free;
    if ((in.mode & S_IFMT) != S_IFDIR) {
        err = ext2_corrupt(fs, "root is not a directory: mode", in.mode);
        goto err_free;
    }
    ext2_fill(fs, root, EXT2_ROOT_INO, &in);
    return 0;

err_free:
    kfree(fs);
    return err;
}
