/* SPDX-License-Identifier: MIT */
/*
 * The in-memory file system: the initrd (cpio newc) unpacked into a tree of
 * inodes whose file data stays in the initrd until written (then copied into
 * a tmpfs buffer), device nodes, pipes, open files and fd tables.
 */
#ifndef RINGOS_VFS_H
#define RINGOS_VFS_H

#include "types.h"

#define S_IFMT 0170000u
#define S_IFDIR 0040000u
#define S_IFREG 0100000u
#define S_IFLNK 0120000u
#define S_IFCHR 0020000u
#define S_IFIFO 0010000u
#define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)
#define S_ISREG(m) (((m) & S_IFMT) == S_IFREG)
#define S_ISLNK(m) (((m) & S_IFMT) == S_IFLNK)

#define O_ACCMODE 3
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#define O_CLOEXEC 02000000
#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_EMPTY_PATH 0x1000

enum vfs_dev { DEV_NONE, DEV_NULL, DEV_ZERO, DEV_URANDOM, DEV_CONSOLE, DEV_SELF_EXE, DEV_HWRNG };

struct ext2_fs;

struct inode {
    uint32_t mode;
    uint64_t ino;
    uint64_t size;
    uint8_t *data; /* initrd bytes, or a kmalloc'd buffer when cap != 0 */
    uint64_t cap;
    enum vfs_dev dev;
    char *name;
    struct inode *parent, *child, *sibling;
    uint64_t mtime_ns;
    int refs;     /* open files and cwds; freed when unlinked and 0 */
    bool unlinked;
    /* On a mounted disk: data and entries live there (ext2.c), ino is the
     * disk's inode number, children are read in on first use (loaded). */
    struct ext2_fs *fs;
    bool loaded;
    bool mountpoint; /* the root of (fs), under /mnt */
    uint32_t nlink;
    uint64_t ra_next; /* ext2: the file block a sequential reader reads next (read-ahead) */
};

struct pipe {
    uint8_t buf[4096];
    uint32_t r, w; /* free-running */
    int readers, writers;
};

struct file {
    int refs;
    int flags; /* O_ACCMODE | O_APPEND | O_NONBLOCK */
    uint64_t off;
    struct inode *ip;  /* NULL for pipes */
    struct pipe *pipe; /* set for pipe ends */
};

#define NR_FDS 256

struct files {
    int refs;
    struct file *fd[NR_FDS];
    bool cloexec[NR_FDS];
};

extern struct inode *vfs_root;

/* Unpack the cpio archive (data, len) at / and add /dev, /tmp, /proc/self/exe. */
int vfs_init(const uint8_t *data, size_t len);
/* Resolve (path) from (cwd); follow a final symlink if (follow). */
int vfs_lookup(struct inode *cwd, const char *path, bool follow, struct inode **out);
/* Resolve all but the last component: (dir) and a pointer into path for the name. */
int vfs_lookup_parent(struct inode *cwd, const char *path, struct inode **dir, char *name);
struct inode *vfs_dir_find(struct inode *dir, const char *name, size_t n);
/* A new child (name, n) of (mode) in (dir), in memory only; NULL without memory. */
struct inode *vfs_child_new(struct inode *dir, const char *name, size_t n, uint32_t mode);
/* Forget (dir)'s unused children (a disk directory that failed to load). */
void vfs_drop_children(struct inode *dir);
/* Mount every disk's ext2 file system at /mnt/<name>. */
void vfs_mount_all(void);
/* Write back (ip)'s file system, or every one when (ip) is NULL: 0 or -EIO. */
int vfs_sync(struct inode *ip);
int vfs_create(struct inode *dir, const char *name, uint32_t mode, struct inode **out);
int vfs_unlink(struct inode *dir, const char *name, bool rmdir);
int vfs_rename(struct inode *odir, const char *oname, struct inode *ndir, const char *nname);
int vfs_truncate(struct inode *ip, uint64_t size);
/* Is (ip) on a read-only file system (an ext2 mounted read-only)? */
bool vfs_readonly(struct inode *ip);

/* struct statfs as statfs(2) returns it on x86-64 Linux. */
struct linux_statfs {
    int64_t type, bsize, blocks, bfree, bavail, files, ffree;
    int32_t fsid[2];
    int64_t namelen, frsize, flags, spare[4];
};
_Static_assert(sizeof(struct linux_statfs) == 120, "struct statfs layout");
#define ST_RDONLY 1
#define ST_VALID 0x20 /* f_flags is filled in (Linux) */
/* Fill (st) for the file system holding (ip); 0 or -errno. */
int vfs_statfs(struct inode *ip, struct linux_statfs *st);
/* Absolute path of (ip) into (buf, size); returns the length or -ERANGE. */
long vfs_path(struct inode *ip, char *buf, size_t size);
void vfs_iget(struct inode *ip);
void vfs_iput(struct inode *ip);

struct file *file_open_inode(struct inode *ip, int flags);
void file_get(struct file *f);
void file_put(struct file *f);
/* Read/write at the file's position (or (pos) if pos >= 0) from/to user memory. */
long file_read(struct file *f, uint64_t ubuf, size_t n, int64_t pos);
long file_write(struct file *f, uint64_t ubuf, size_t n, int64_t pos);
int pipe_create(struct file **rd, struct file **wr);

struct files *files_create(void);
struct files *files_clone(struct files *src);
void files_put(struct files *fs);
/* Lowest free fd >= (min) holding (f); returns it or -EMFILE. */
int fd_alloc(struct files *fs, struct file *f, int min, bool cloexec);
struct file *fd_get(struct files *fs, int fd);

/* Fill (buf) with random bytes (virtio-rng, else RDRAND, else a seeded PRNG). */
void random_fill(void *buf, size_t n);

#endif
