/* SPDX-License-Identifier: MIT */
/*
 * ext2 (revision 0 and 1; 1, 2 and 4 KiB blocks; sparse_super, large_file,
 * filetype; dir_index directories read linearly and de-indexed when
 * written).  The first half is the on-disk format and its checks (pure,
 * host unit-tested); the second the file system the VFS calls.
 */
#ifndef RINGOS_EXT2_H
#define RINGOS_EXT2_H

#include "types.h"

#define EXT2_MAGIC 0xef53
#define EXT2_SB_OFFSET 1024
#define EXT2_ROOT_INO 2
#define EXT2_GOOD_OLD_FIRST_INO 11
#define EXT2_GOOD_OLD_INODE_SIZE 128
#define EXT2_NDIR 12
#define EXT2_IND 12
#define EXT2_DIND 13
#define EXT2_TIND 14
#define EXT2_N_BLOCKS 15

#define EXT2_COMPAT_DIR_INDEX 0x20
#define EXT2_INCOMPAT_FILETYPE 0x2
#define EXT2_RO_COMPAT_SPARSE_SUPER 0x1
#define EXT2_RO_COMPAT_LARGE_FILE 0x2
#define EXT2_INDEX_FL 0x1000

/* Directory entry file types (filetype feature). */
#define EXT2_FT_UNKNOWN 0
#define EXT2_FT_REG 1
#define EXT2_FT_DIR 2
#define EXT2_FT_CHR 3
#define EXT2_FT_BLK 4
#define EXT2_FT_FIFO 5
#define EXT2_FT_SOCK 6
#define EXT2_FT_LNK 7

/* The superblock fields ringos reads or keeps up to date (little-endian). */
struct ext2_super {
    uint32_t inodes_count;
    uint32_t blocks_count;
    uint32_t r_blocks_count;
    uint32_t free_blocks_count;
    uint32_t free_inodes_count;
    uint32_t first_data_block;
    uint32_t log_block_size;
    uint32_t log_frag_size;
    uint32_t blocks_per_group;
    uint32_t frags_per_group;
    uint32_t inodes_per_group;
    uint32_t mtime, wtime;
    uint16_t mnt_count;
    int16_t max_mnt_count;
    uint16_t magic;
    uint16_t state;
    uint16_t errors;
    uint16_t minor_rev_level;
    uint32_t lastcheck, checkinterval, creator_os;
    uint32_t rev_level;
    uint16_t def_resuid, def_resgid;
    uint32_t first_ino;
    uint16_t inode_size;
    uint16_t block_group_nr;
    uint32_t feature_compat;
    uint32_t feature_incompat;
    uint32_t feature_ro_compat;
};
_Static_assert(sizeof(struct ext2_super) == 104, "ext2_super layout");
_Static_assert(__builtin_offsetof(struct ext2_super, magic) == 56, "ext2_super layout");
_Static_assert(__builtin_offsetof(struct ext2_super, first_ino) == 84, "ext2_super layout");

struct ext2_gd {
    uint32_t block_bitmap;
    uint32_t inode_bitmap;
    uint32_t inode_table;
    uint16_t free_blocks_count;
    uint16_t free_inodes_count;
    uint16_t used_dirs_count;
    uint16_t pad;
    uint32_t reserved[3];
};
_Static_assert(sizeof(struct ext2_gd) == 32, "ext2_gd layout");

/* The first 128 bytes of every inode. */
struct ext2_inode {
    uint16_t mode;
    uint16_t uid;
    uint32_t size;
    uint32_t atime, ctime, mtime, dtime;
    uint16_t gid;
    uint16_t links_count;
    uint32_t blocks; /* 512-byte units, indirect blocks included */
    uint32_t flags;
    uint32_t osd1;
    uint32_t block[EXT2_N_BLOCKS];
    uint32_t generation;
    uint32_t file_acl;
    uint32_t size_high; /* regular files; i_dir_acl for directories */
    uint32_t faddr;
    uint8_t osd2[12];
};
_Static_assert(sizeof(struct ext2_inode) == 128, "ext2_inode layout");

/* What the superblock says, checked (ext2_geom_parse). */
struct ext2_geom {
    uint32_t block_size;
    uint32_t inodes_count, blocks_count, first_data_block;
    uint32_t blocks_per_group, inodes_per_group;
    uint32_t inode_size, first_ino;
    uint32_t ngroups;
    uint32_t gdt_block, gdt_blocks; /* where the primary descriptors start, and how many blocks */
    uint32_t itable_blocks;         /* inode-table blocks per group */
    uint32_t compat, incompat, ro_compat;
    bool readonly; /* RO_COMPAT features ringos does not know */
};

struct ext2_dirent {
    uint32_t inode;
    uint16_t rec_len;
    uint8_t name_len;
    uint8_t file_type;
    const char *name; /* not NUL-terminated */
};

/*
 * Check the superblock (sb, the 1024 bytes at EXT2_SB_OFFSET) of a device of
 * (dev_bytes) and fill (g).  Returns 0, -EINVAL (not ext2), -EUCLEAN
 * (inconsistent) or -EOPNOTSUPP (unknown INCOMPAT features); *why says what.
 */
int ext2_geom_parse(const void *sb, uint64_t dev_bytes, struct ext2_geom *g, const char **why);
/* Check group (group)'s descriptor (gd) against (g): 0 or -EUCLEAN. */
int ext2_gd_check(const struct ext2_geom *g, const struct ext2_gd *gd, uint32_t group);
/* Block (b) may hold data or metadata of a file: not 0, not past the end. */
bool ext2_block_ok(const struct ext2_geom *g, uint32_t b);
/* Inode (in) has a known type and a size its type allows: 0 or -EUCLEAN. */
int ext2_inode_check(const struct ext2_geom *g, const struct ext2_inode *in);
/* Byte size of (in): large_file adds the high word for regular files. */
uint64_t ext2_inode_size(const struct ext2_inode *in);
/* Parse the entry at (off) of directory block (blk): 0 and (*d), or -EUCLEAN. */
int ext2_dirent_parse(const struct ext2_geom *g, const uint8_t *blk, uint32_t off,
                      struct ext2_dirent *d);
/* Bytes an entry with a (name_len)-byte name needs. */
static inline uint32_t ext2_dirent_size(uint32_t name_len)
{
    return (8 + name_len + 3) & ~3u;
}

/* ---- the file system ---------------------------------------------------- */

struct blkdev;
struct inode;
struct ext2_fs;

/* Check and mount the ext2 file system on (bd) at directory node (root). */
int ext2_mount(struct blkdev *bd, struct inode *root);
/* Write everything of (fs) back and flush the disk: 0 or -EIO. */
int ext2_sync(struct ext2_fs *fs);
bool ext2_readonly(struct ext2_fs *fs);
struct linux_statfs;
/* Sizes and free counts from (fs)'s superblock into (st); 0 or -errno. */
int ext2_statfs(struct ext2_fs *fs, struct linux_statfs *st);
/* Read the entries of (dir) into VFS children (once). */
int ext2_dir_load(struct inode *dir);
/* Create (name) of (mode) in (dir); fills (ip) (allocated, not linked, by the VFS). */
int ext2_create(struct inode *dir, const char *name, uint32_t mode, struct inode *ip);
/* Remove (ip) named (name) from (dir); the inode goes at ext2_evict() once unused. */
int ext2_unlink(struct inode *dir, const char *name, struct inode *ip);
/* Move (ip) from (odir, oname) to (ndir, nname), replacing (victim) if not NULL. */
int ext2_rename(struct inode *odir, const char *oname, struct inode *ip, struct inode *ndir,
                const char *nname, struct inode *victim);
int ext2_truncate(struct inode *ip, uint64_t size);
/* Copy between the file and user memory (ubuf): bytes done, or -errno. */
long ext2_read(struct inode *ip, uint64_t off, uint64_t ubuf, size_t n);
long ext2_write(struct inode *ip, uint64_t off, uint64_t ubuf, size_t n);
/* Free an unlinked inode whose last user went away. */
void ext2_evict(struct inode *ip);

#endif
