// SPDX-License-Identifier: MIT
/* ext2 on-disk checks: a sane superblock, and each way a superblock, group
 * descriptor, inode or directory entry can lie. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "ringos/include/ext2.h"
#include "ringos_unit.h"

#define DEV (16u << 20)

static void good_super(uint8_t *raw)
{
    struct ext2_super sb = {
        .inodes_count = 4096, .blocks_count = 16384, .free_blocks_count = 15000,
        .free_inodes_count = 4000, .first_data_block = 1, .log_block_size = 0,
        .blocks_per_group = 8192, .inodes_per_group = 2048, .magic = EXT2_MAGIC,
        .rev_level = 1, .first_ino = 11, .inode_size = 256,
        .feature_incompat = EXT2_INCOMPAT_FILETYPE,
        .feature_ro_compat = EXT2_RO_COMPAT_SPARSE_SUPER | EXT2_RO_COMPAT_LARGE_FILE,
    };
    memset(raw, 0, 1024);
    memcpy(raw, &sb, sizeof(sb));
}

static int parse_with(uint32_t off, uint32_t v, struct ext2_geom *g)
{
    uint8_t raw[1024];
    const char *why;

    good_super(raw);
    memcpy(raw + off, &v, 4);
    return ext2_geom_parse(raw, DEV, g, &why);
}

void test_ringos_ext2(void)
{
    uint8_t raw[1024];
    struct ext2_geom g;
    const char *why;

    good_super(raw);
    CHECK(ext2_geom_parse(raw, DEV, &g, &why) == 0);
    CHECK(g.block_size == 1024 && g.ngroups == 2 && g.gdt_block == 2 && g.gdt_blocks == 1);
    CHECK(g.itable_blocks == 512 && !g.readonly);
    /* Each field that can lie. */
    CHECK(parse_with(56, 0x1234, &g) == -EINVAL);                /* magic (+ state) */
    CHECK(parse_with(96, 0x40, &g) == -EOPNOTSUPP);              /* extents */
    CHECK(parse_with(100, 0x400, &g) == 0 && g.readonly);        /* metadata_csum */
    CHECK(parse_with(24, 7, &g) == -EOPNOTSUPP);                 /* 128 KiB blocks */
    CHECK(parse_with(32, 0xffffffff, &g) == -EUCLEAN);           /* blocks per group */
    CHECK(parse_with(32, 0, &g) == -EUCLEAN);
    CHECK(parse_with(40, 0, &g) == -EUCLEAN);                    /* inodes per group */
    CHECK(parse_with(4, 0xffffffff, &g) == -EUCLEAN);            /* past the device */
    CHECK(parse_with(0, 4097, &g) == -EUCLEAN);                  /* inode count */
    CHECK(parse_with(20, 0, &g) == -EUCLEAN);                    /* first data block */
    CHECK(parse_with(88, 100, &g) == -EUCLEAN);                  /* inode size */
    CHECK(parse_with(84, 0xffffffff, &g) == -EUCLEAN);           /* first inode */
    CHECK(parse_with(12, 0xffffffff, &g) == -EUCLEAN);           /* free blocks */
}

void test_ringos_ext2_records(void)
{
    uint8_t raw[1024], blk[1024];
    struct ext2_geom g;
    struct ext2_dirent d;
    const char *why;

    good_super(raw);
    CHECK(ext2_geom_parse(raw, DEV, &g, &why) == 0);
    struct ext2_gd gd = { .block_bitmap = 3, .inode_bitmap = 4, .inode_table = 5,
                          .free_blocks_count = 100, .free_inodes_count = 100 };
    CHECK(ext2_gd_check(&g, &gd, 0) == 0);
    CHECK(ext2_gd_check(&g, &gd, 2) == -EUCLEAN);
    gd.inode_table = 16383; /* the table runs past the end */
    CHECK(ext2_gd_check(&g, &gd, 0) == -EUCLEAN);
    gd.inode_table = 5, gd.block_bitmap = 0;
    CHECK(ext2_gd_check(&g, &gd, 0) == -EUCLEAN);
    gd.block_bitmap = 3, gd.free_inodes_count = 5000;
    CHECK(ext2_gd_check(&g, &gd, 0) == -EUCLEAN);

    struct ext2_inode in = { .mode = 040755, .size = 1024, .links_count = 2 };
    CHECK(ext2_inode_check(&g, &in) == 0);
    in.size = 1000;
    CHECK(ext2_inode_check(&g, &in) == -EUCLEAN);
    in.mode = 0170000;
    CHECK(ext2_inode_check(&g, &in) == -EUCLEAN);
    in.mode = 0100644, in.size = 5, in.size_high = 1;
    CHECK(ext2_inode_check(&g, &in) == 0 && ext2_inode_size(&in) == (1ull << 32) + 5);
    CHECK(!ext2_block_ok(&g, 0) && !ext2_block_ok(&g, 1) && ext2_block_ok(&g, 2) &&
          !ext2_block_ok(&g, 16384));

    /* "." (12 bytes) then one entry spanning the rest of the block. */
    memset(blk, 0, sizeof(blk));
    uint32_t ino = 2;
    uint16_t rl = 12;
    memcpy(blk, &ino, 4), memcpy(blk + 4, &rl, 2), blk[6] = 1, blk[7] = 2, blk[8] = '.';
    rl = 1012;
    memcpy(blk + 12, &ino, 4), memcpy(blk + 16, &rl, 2), blk[18] = 2, blk[19] = 2;
    memcpy(blk + 20, "..", 2);
    CHECK(ext2_dirent_parse(&g, blk, 0, &d) == 0 && d.rec_len == 12 && d.name_len == 1);
    CHECK(ext2_dirent_parse(&g, blk, 12, &d) == 0 && d.rec_len == 1012);
    CHECK(ext2_dirent_parse(&g, blk, 1020, &d) == -EUCLEAN); /* rec_len 0 */
    CHECK(ext2_dirent_parse(&g, blk, 1021, &d) == -EUCLEAN); /* no room for a header */
    rl = 1016; /* past the block */
    memcpy(blk + 16, &rl, 2);
    CHECK(ext2_dirent_parse(&g, blk, 12, &d) == -EUCLEAN);
    rl = 10; /* not a multiple of 4 */
    memcpy(blk + 16, &rl, 2);
    CHECK(ext2_dirent_parse(&g, blk, 12, &d) == -EUCLEAN);
    rl = 12, blk[18] = 200; /* name longer than the record */
    memcpy(blk + 16, &rl, 2);
    CHECK(ext2_dirent_parse(&g, blk, 12, &d) == -EUCLEAN);
    blk[18] = 2, ino = 5000; /* inode past the count */
    memcpy(blk + 12, &ino, 4);
    CHECK(ext2_dirent_parse(&g, blk, 12, &d) == -EUCLEAN);
    CHECK(ext2_dirent_size(1) == 12 && ext2_dirent_size(4) == 12 && ext2_dirent_size(5) == 16);
}
