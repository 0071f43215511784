// SPDX-License-Identifier: MIT
/*
 * ext2 on-disk checks: superblock geometry, group descriptors, inodes and
 * directory entries.  Pure functions over copied bytes, shared with the
 * host unit tests and the fuzzer; nothing here trusts the image.
 */
#include "errno.h"
#include "ext2.h"

#define S_IFMT_ 0170000u

int ext2_geom_parse(const void *sbp, uint64_t dev_bytes, struct ext2_geom *g, const char **why)
{
    struct ext2_super sb;

    __builtin_memcpy(&sb, sbp, sizeof(sb));
    __builtin_memset(g, 0, sizeof(*g));
    *why = NULL;
    if (sb.magic != EXT2_MAGIC)
        return *why = "no ext2 superblock (bad magic)", -EINVAL;
    if (sb.rev_level > 1)
        return *why = "unknown revision", -EOPNOTSUPP;
    if (sb.log_block_size > 2)
        return *why = "block size above 4 KiB", -EOPNOTSUPP;
    g->block_size = 1024u << sb.log_block_size;
    if (sb.rev_level == 1) {
        g->compat = sb.feature_compat;
        g->incompat = sb.feature_incompat;
        g->ro_compat = sb.feature_ro_compat;
        g->inode_size = sb.inode_size;
        g->first_ino = sb.first_ino;
    } else {
        g->inode_size = EXT2_GOOD_OLD_INODE_SIZE;
        g->first_ino = EXT2_GOOD_OLD_FIRST_INO;
    }
    if (g->incompat & ~EXT2_INCOMPAT_FILETYPE)
        return *why = "unsupported INCOMPAT features (not plain ext2)", -EOPNOTSUPP;
    g->readonly = g->ro_compat & ~(EXT2_RO_COMPAT_SPARSE_SUPER | EXT2_RO_COMPAT_LARGE_FILE);

    g->inodes_count = sb.inodes_count;
    g->blocks_count = sb.blocks_count;
    g->first_data_block = sb.first_data_block;
    g->blocks_per_group = sb.blocks_per_group;
    g->inodes_per_group = sb.inodes_per_group;
    if (g->first_data_block != (g->block_size == 1024 ? 1u : 0u))
        return *why = "bad first data block", -EUCLEAN;
    if (g->inode_size < EXT2_GOOD_OLD_INODE_SIZE || g->inode_size > g->block_size ||
        (g->inode_size & (g->inode_size - 1)))
        return *why = "bad inode size", -EUCLEAN;
    /* A group's bitmap is one block: at most 8 bits per byte of it. */
    if (!g->blocks_per_group || g->blocks_per_group > 8 * g->block_size ||
        !g->inodes_per_group || g->inodes_per_group > 8 * g->block_size ||
        g->inodes_per_group % (g->block_size / g->inode_size))
        return *why = "bad group geometry", -EUCLEAN;
    if (g->blocks_count <= g->first_data_block + 1 ||
        (uint64_t)g->blocks_count * g->block_size > dev_bytes)
        return *why = "block count beyond the device", -EUCLEAN;
    g->ngroups = (g->blocks_count - g->first_data_block + g->blocks_per_group - 1) /
                 g->blocks_per_group;
    if ((uint64_t)g->ngroups * g->inodes_per_group != g->inodes_count)
        return *why = "inode count does not match the groups", -EUCLEAN;
    if (g->first_ino < EXT2_GOOD_OLD_FIRST_INO || g->first_ino >= g->inodes_count)
        return *why = "bad first inode", -EUCLEAN;
    uint32_t per_block = g->block_size / sizeof(struct ext2_gd);
    g->gdt_block = g->first_data_block + 1;
    g->gdt_blocks = (g->ngroups + per_block - 1) / per_block;
    if ((uint64_t)g->gdt_block + g->gdt_blocks > g->blocks_count)
        return *why = "group descriptors beyond the end", -EUCLEAN;
    g->itable_blocks = (uint32_t)((uint64_t)g->inodes_per_group * g->inode_size / g->block_size);
    if (sb.free_blocks_count > g->blocks_count || sb.free_inodes_count > g->inodes_count)
        return *why = "free counts above totals", -EUCLEAN;
    return 0;
}

bool ext2_block_ok(const struct ext2_geom *g, uint32_t b)
{
    return b > g->first_data_block && b < g->blocks_count;
}

int ext2_gd_check(const struct ext2_geom *g, const struct ext2_gd *gd, uint32_t group)
{
    if (group >= g->ngroups)
        return -EUCLEAN;
    /* Both tests: the table's end may overflow 32 bits. */
    if (!ext2_block_ok(g, gd->block_bitmap) || !ext2_block_ok(g, gd->inode_bitmap) ||
        !ext2_block_ok(g, gd->inode_table) ||
        (uint64_t)gd->inode_table + g->itable_blocks > g->blocks_count)
        return -EUCLEAN;
    if (gd->free_blocks_count > g->blocks_per_group ||
        gd->free_inodes_count > g->inodes_per_group ||
        gd->used_dirs_count > g->inodes_per_group)
        return -EUCLEAN;
    return 0;
}

uint64_t ext2_inode_size(const struct ext2_inode *in)
{
    uint64_t size = in->size;

    if ((in->mode & S_IFMT_) == 0100000u)
        size |= (uint64_t)in->size_high << 32;
    return size;
}

int ext2_inode_check(const struct ext2_geom *g, const struct ext2_inode *in)
{
    switch (in->mode & S_IFMT_) {
    case 0040000u: /* directory: whole blocks */
        if (in->size % g->block_size || in->size == 0)
            return -EUCLEAN;
        break;
    case 0100000u:
    case 0120000u:
    case 0020000u:
    case 0060000u:
    case 0010000u:
    case 0140000u:
        break;
    default:
        return -EUCLEAN;
    }
    return 0;
}

int ext2_dirent_parse(const struct ext2_geom *g, const uint8_t *blk, uint32_t off,
                      struct ext2_dirent *d)
{
    if (off > g->block_size || g->block_size - off < 8)
        return -EUCLEAN;
    __builtin_memcpy(&d->inode, blk + off, 4);
    __builtin_memcpy(&d->rec_len, blk + off + 4, 2);
    d->name_len = blk[off + 6];
    d->file_type = blk[off + 7];
    d->name = (const char *)blk + off + 8;
    /* ext2's own rec_len for 64 KiB blocks is not needed: blocks are at most 4 KiB. */
    if (d->rec_len < 8 || d->rec_len % 4 || d->rec_len > g->block_size - off)
        return -EUCLEAN;
    if (8u + d->name_len > d->rec_len || d->inode > g->inodes_count)
        return -EUCLEAN;
    if (d->inode && !d->name_len)
        return -EUCLEAN;
    if (!(g->incompat & EXT2_INCOMPAT_FILETYPE))
        d->file_type = EXT2_FT_UNKNOWN;
    return 0;
}
