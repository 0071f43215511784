// SPDX-License-Identifier: MIT
/*
 * The in-memory file system: initrd tree, tmpfs writes (initrd data is copied
 * on first write), /dev nodes, path lookup with symlinks, pipes, fd tables,
 * and the ext2 disks mounted under /mnt (their nodes call into ext2.c).
 */
#include "blkdev.h"
#include "cpio.h"
#include "errno.h"
#include "ext2.h"
#include "kernel.h"
#include "lib.h"
#include "mm.h"
#include "printk.h"
#include "proc.h"
#include "time.h"
#include "tty.h"
#include "uaccess.h"
#include "vfs.h"
#include "virtio_dev.h"
#include "x86.h"

struct inode *vfs_root;
static uint64_t next_ino = 1;

static struct inode *vfs_inode_new(uint32_t mode)
{
    struct inode *ip = kzalloc(sizeof(*ip));

    if (!ip)
        return NULL;
    ip->mode = mode;
    ip->ino = next_ino++;
    ip->mtime_ns = time_realtime_ns();
    return ip;
}

struct inode *vfs_dir_find(struct inode *dir, const char *name, size_t n)
{
    for (struct inode *c = dir->child; c; c = c->sibling)
        if (strlen(c->name) == n && !memcmp(c->name, name, n))
            return c;
    return NULL;
}

static int vfs_link_child(struct inode *dir, struct inode *ip, const char *name, size_t n)
{
    ip->name = kmalloc(n + 1);
    if (!ip->name)
        return -ENOMEM;
    memcpy(ip->name, name, n);
    ip->name[n] = 0;
    ip->parent = dir;
    ip->sibling = dir->child;
    dir->child = ip;
    return 0;
}

struct inode *vfs_child_new(struct inode *dir, const char *name, size_t n, uint32_t mode)
{
    struct inode *ip = vfs_inode_new(mode);

    if (ip && vfs_link_child(dir, ip, name, n)) {
        kfree(ip);
        return NULL;
    }
    return ip;
}

/* Read a disk directory's entries in before looking at its children. */
static int vfs_dir_ready(struct inode *dir)
{
    return dir->fs && S_ISDIR(dir->mode) && !dir->loaded ? ext2_dir_load(dir) : 0;
}

/* mkdir -p for archive paths; returns the directory for (path, n). */
static struct inode *vfs_mkpath(const char *path, size_t n)
{
    struct inode *d = vfs_root;
    size_t i = 0;

    while (i < n) {
        while (i < n && path[i] == '/')
            i++;
        size_t s = i;
        while (i < n && path[i] != '/')
            i++;
        if (i == s || (i - s == 1 && path[s] == '.'))
            continue;
        struct inode *c = vfs_dir_find(d, path + s, i - s);
        if (!c) {
            c = vfs_inode_new(S_IFDIR | 0755);
            if (!c || vfs_link_child(d, c, path + s, i - s))
                return NULL;
        }
        if (!S_ISDIR(c->mode))
            return NULL;
        d = c;
    }
    return d;
}

static void vfs_add_dev(struct inode *dev, const char *name, enum vfs_dev kind)
{
    struct inode *ip = vfs_inode_new(S_IFCHR | 0666);

    if (!ip)
        return;
    ip->dev = kind;
    vfs_link_child(dev, ip, name, strlen(name));
}

int vfs_init(const uint8_t *data, size_t len)
{
    struct cpio_entry e;
    size_t off = 0;
    int r;

    vfs_root = vfs_inode_new(S_IFDIR | 0755);
    vfs_root->name = "";
    while (data && (r = cpio_next(data, len, &off, &e)) > 0) {
        const char *name = e.name;
        size_t n = e.namelen;
        while (n && *name == '/') {
            name++;
            n--;
        }
        if (n >= 2 && name[0] == '.' && name[1] == '/') {
            name += 2;
            n -= 2;
        }
        if (n == 0 || (n == 1 && name[0] == '.'))
            continue;
        size_t slash = n;
        while (slash && name[slash - 1] != '/')
            slash--;
        struct inode *dir = vfs_mkpath(name, slash);
        if (!dir)
            continue;
        const char *base = name + slash;
        size_t bn = n - slash;
        uint32_t type = e.mode & CPIO_S_IFMT;
        struct inode *old = vfs_dir_find(dir, base, bn);
        if (type == CPIO_S_IFDIR) {
            if (!old)
                old = vfs_mkpath(name, n);
            if (old)
                old->mode = S_IFDIR | (e.mode & 07777);
            continue;
        }
        if ((type != CPIO_S_IFREG && type != CPIO_S_IFLNK) || old)
            continue; /* device nodes, fifos, duplicates: skipped */
        struct inode *ip = vfs_inode_new(e.mode);
        if (!ip)
            return -ENOMEM;
        /* The initrd stays mapped (RV_MEM_INITRD is never handed out). */
        ip->data = (uint8_t *)e.data;
        ip->size = e.size;
        vfs_link_child(dir, ip, base, bn);
    }
    if (data && r < 0)
        printk("ringos: initrd: malformed cpio archive at offset %lu\n", off);
    struct inode *dev = vfs_mkpath("dev", 3);
    vfs_add_dev(dev, "null", DEV_NULL);
    vfs_add_dev(dev, "zero", DEV_ZERO);
    vfs_add_dev(dev, "urandom", DEV_URANDOM);
    vfs_add_dev(dev, "random", DEV_URANDOM);
    vfs_add_dev(dev, "console", DEV_CONSOLE);
    vfs_add_dev(dev, "tty", DEV_CONSOLE);
    if (virtio_rng_present())
        vfs_add_dev(dev, "hwrng", DEV_HWRNG);
    vfs_mkpath("tmp", 3)->mode = S_IFDIR | 01777;
    struct inode *self = vfs_mkpath("proc/self", 9);
    struct inode *exe = vfs_inode_new(S_IFLNK | 0777);
    exe->dev = DEV_SELF_EXE;
    vfs_link_child(self, exe, "exe", 3);
    return 0;
}

static int vfs_walk(struct inode *cwd, const char *path, bool follow, int depth,
                    struct inode **out);

static int vfs_follow(struct inode *dir, struct inode *lnk, int depth, struct inode **out)
{
    char buf[256];
    size_t n;

    if (lnk->dev == DEV_SELF_EXE) {
        n = strlcpy(buf, current ? current->exe : "/", sizeof(buf));
    } else {
        n = MIN(lnk->size, sizeof(buf) - 1);
        memcpy(buf, lnk->data, n);
        buf[n] = 0;
    }
    return vfs_walk(dir, buf, true, depth + 1, out);
}

static int vfs_walk(struct inode *cwd, const char *path, bool follow, int depth,
                    struct inode **out)
{
    if (depth > 8)
        return -ELOOP;
    struct inode *ip = path[0] == '/' ? vfs_root : cwd;
    const char *p = path;

    for (;;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *s = p;
        while (*p && *p != '/')
            p++;
        size_t n = p - s;
        if (n > 255)
            return -ENAMETOOLONG;
        if (!S_ISDIR(ip->mode))
            return -ENOTDIR;
        if (n == 1 && s[0] == '.')
            continue;
        if (n == 2 && s[0] == '.' && s[1] == '.') {
            if (ip->parent)
                ip = ip->parent;
            continue;
        }
        int err = vfs_dir_ready(ip);
        if (err)
            return err;
        struct inode *c = vfs_dir_find(ip, s, n);
        if (!c)
            return -ENOENT;
        const char *rest = p;
        while (*rest == '/')
            rest++;
        if (S_ISLNK(c->mode) && (*rest || follow)) {
            int err = vfs_follow(ip, c, depth, &c);
            if (err)
                return err;
        }
        ip = c;
    }
    *out = ip;
    return 0;
}

int vfs_lookup(struct inode *cwd, const char *path, bool follow, struct inode **out)
{
    if (!*path)
        return -ENOENT;
    return vfs_walk(cwd, path, follow, 0, out);
}

int vfs_lookup_parent(struct inode *cwd, const char *path, struct inode **dir, char *name)
{
    char buf[4096];
    size_t n = strlcpy(buf, path, sizeof(buf));

    if (!n)
        return -ENOENT;
    while (n > 1 && buf[n - 1] == '/')
        buf[--n] = 0;
    size_t s = n;
    while (s && buf[s - 1] != '/')
        s--;
    if (n - s > 255)
        return -ENAMETOOLONG;
    memcpy(name, buf + s, n - s);
    name[n - s] = 0;
    if (!name[0])
        return -EEXIST; /* "/" */
    buf[s] = 0;
    if (s == 0)
        return *dir = cwd, 0;
    return vfs_walk(cwd, buf, true, 0, dir);
}

int vfs_create(struct inode *dir, const char *name, uint32_t mode, struct inode **out)
{
    if (!S_ISDIR(dir->mode))
        return -ENOTDIR;
    if (dir->unlinked)
        return -ENOENT;
    int err = vfs_dir_ready(dir);
    if (err)
        return err;
    if (vfs_dir_find(dir, name, strlen(name)))
        return -EEXIST;
    struct inode *ip = vfs_inode_new(mode);
    if (!ip)
        return -ENOMEM;
    if (dir->fs && (err = ext2_create(dir, name, mode, ip))) {
        kfree(ip);
        return err;
    }
    err = vfs_link_child(dir, ip, name, strlen(name));
    if (err) {
        kfree(ip); /* on a disk the entry stays: it shows up after a remount */
        return err;
    }
    dir->mtime_ns = ip->mtime_ns;
    *out = ip;
    return 0;
}

static void vfs_detach(struct inode *ip)
{
    struct inode *dir = ip->parent;

    for (struct inode **pp = &dir->child; *pp; pp = &(*pp)->sibling) {
        if (*pp == ip) {
            *pp = ip->sibling;
            break;
        }
    }
    ip->sibling = NULL;
}

static void vfs_free(struct inode *ip)
{
    if (ip->fs)
        ext2_evict(ip);
    if (ip->cap)
        mm_free_pages(ip->data, ip->cap / PAGE_SIZE);
    kfree(ip->name);
    kfree(ip);
}

int vfs_unlink(struct inode *dir, const char *name, bool rmdir)
{
    int err = vfs_dir_ready(dir);
    if (err)
        return err;
    struct inode *ip = vfs_dir_find(dir, name, strlen(name));

    if (!ip)
        return -ENOENT;
    if (rmdir && !S_ISDIR(ip->mode))
        return -ENOTDIR;
    if (!rmdir && S_ISDIR(ip->mode))
        return -EISDIR;
    if (rmdir && ip->child)
        return -ENOTEMPTY;
    if (ip == vfs_root || ip->dev == DEV_SELF_EXE || ip->mountpoint)
        return -EBUSY;
    if (ip->fs && (err = ext2_unlink(dir, name, ip)))
        return err;
    vfs_detach(ip);
    ip->unlinked = true;
    if (ip->refs == 0)
        vfs_free(ip);
    return 0;
}

int vfs_rename(struct inode *odir, const char *oname, struct inode *ndir, const char *nname)
{
    int err;

    if ((err = vfs_dir_ready(odir)) || (err = vfs_dir_ready(ndir)))
        return err;
    struct inode *ip = vfs_dir_find(odir, oname, strlen(oname));

    if (!ip)
        return -ENOENT;
    if (ip->mountpoint || ip->dev == DEV_SELF_EXE)
        return -EBUSY;
    if (odir->fs != ndir->fs)
        return -EXDEV;
    for (struct inode *d = ndir; d; d = d->parent)
        if (d == ip)
            return -EINVAL; /* into its own subtree */
    struct inode *old = vfs_dir_find(ndir, nname, strlen(nname));
    if (old == ip)
        return 0;
    if (old) {
        if (S_ISDIR(old->mode) && !S_ISDIR(ip->mode))
            return -EISDIR;
        if (!S_ISDIR(old->mode) && S_ISDIR(ip->mode))
            return -ENOTDIR;
        if (old->mountpoint)
            return -EBUSY;
        if (S_ISDIR(old->mode) && (err = vfs_dir_ready(old)))
            return err;
        if (old->child)
            return -ENOTEMPTY;
    }
    char *nm = kmalloc(strlen(nname) + 1);
    if (!nm)
        return -ENOMEM;
    if (ip->fs && (err = ext2_rename(odir, oname, ip, ndir, nname, old))) {
        kfree(nm);
        return err;
    }
    if (old) {
        vfs_detach(old);
        old->unlinked = true;
        if (old->refs == 0)
            vfs_free(old);
    }
    strlcpy(nm, nname, strlen(nname) + 1);
    vfs_detach(ip);
    kfree(ip->name);
    ip->name = nm;
    ip->parent = ndir;
    ip->sibling = ndir->child;
    ndir->child = ip;
    return 0;
}

/* Make (ip)'s data a private buffer of at least (size) bytes. */
static int vfs_reserve(struct inode *ip, uint64_t size)
{
    if (ip->cap >= size && ip->cap)
        return 0;
    if (size > (256ull << 20))
        return -EFBIG;
    uint64_t cap = ALIGN_UP(MAX(size, MAX(ip->cap * 2, PAGE_SIZE)), PAGE_SIZE);
    uint8_t *d = mm_alloc_pages(cap / PAGE_SIZE);
    if (!d)
        return -ENOSPC;
    memcpy(d, ip->data, ip->size);
    memset(d + ip->size, 0, cap - ip->size);
    if (ip->cap)
        mm_free_pages(ip->data, ip->cap / PAGE_SIZE);
    ip->data = d;
    ip->cap = cap;
    return 0;
}

int vfs_truncate(struct inode *ip, uint64_t size)
{
    if (S_ISDIR(ip->mode))
        return -EISDIR;
    if (!S_ISREG(ip->mode))
        return -EINVAL;
    if (ip->fs)
        return ext2_truncate(ip, size);
    int err = vfs_reserve(ip, size);
    if (err)
        return err;
    if (size < ip->size)
        memset(ip->data + size, 0, ip->size - size);
    ip->size = size;
    ip->mtime_ns = time_realtime_ns();
    return 0;
}

bool vfs_readonly(struct inode *ip)
{
    return ip->fs && ext2_readonly(ip->fs);
}

int vfs_statfs(struct inode *ip, struct linux_statfs *st)
{
    if (ip->fs)
        return ext2_statfs(ip->fs, st);
    /* The initrd tree and its tmpfs overlay live in RAM: report RAM. */
    *st = (struct linux_statfs){
        .type = 0x01021994, /* TMPFS_MAGIC */
        .bsize = PAGE_SIZE,
        .blocks = mm_total_bytes() / PAGE_SIZE,
        .bfree = mm_free_bytes() / PAGE_SIZE,
        .bavail = mm_free_bytes() / PAGE_SIZE,
        .namelen = 255,
        .frsize = PAGE_SIZE,
        .flags = ST_VALID,
    };
    return 0;
}

long vfs_path(struct inode *ip, char *buf, size_t size)
{
    char tmp[4096];
    size_t pos = sizeof(tmp) - 1;

    tmp[pos] = 0;
    if (ip == vfs_root)
        tmp[--pos] = '/';
    for (; ip && ip != vfs_root; ip = ip->parent) {
        size_t n = strlen(ip->name);
        if (n + 1 > pos)
            return -ENAMETOOLONG;
        pos -= n;
        memcpy(tmp + pos, ip->name, n);
        tmp[--pos] = '/';
    }
    size_t len = sizeof(tmp) - 1 - pos;
    if (len + 1 > size)
        return -ERANGE;
    memcpy(buf, tmp + pos, len + 1);
    return len;
}

void vfs_iget(struct inode *ip)
{
    ip->refs++;
}

void vfs_iput(struct inode *ip)
{
    if (--ip->refs == 0 && ip->unlinked)
        vfs_free(ip);
}

/* ---- open files ------------------------------------------------------- */

struct file *file_open_inode(struct inode *ip, int flags)
{
    if (vfs_dir_ready(ip))
        return NULL; /* getdents reads the children */
    struct file *f = kzalloc(sizeof(*f));

    if (!f)
        return NULL;
    f->refs = 1;
    f->flags = flags & (O_ACCMODE | O_APPEND | O_NONBLOCK);
    f->ip = ip;
    vfs_iget(ip);
    return f;
}

void file_get(struct file *f)
{
    f->refs++;
}

void file_put(struct file *f)
{
    if (--f->refs > 0)
        return;
    if (f->pipe) {
        struct pipe *p = f->pipe;
        if ((f->flags & O_ACCMODE) == O_WRONLY)
            p->writers--;
        else
            p->readers--;
        proc_wakeup(p);
        if (!p->readers && !p->writers)
            kfree(p);
    }
    if (f->ip)
        vfs_iput(f->ip);
    kfree(f);
}

int pipe_create(struct file **rd, struct file **wr)
{
    struct pipe *p = kzalloc(sizeof(*p));
    struct file *r = kzalloc(sizeof(*r)), *w = kzalloc(sizeof(*w));

    if (!p || !r || !w) {
        kfree(p);
        kfree(r);
        kfree(w);
        return -ENOMEM;
    }
    p->readers = p->writers = 1;
    r->refs = w->refs = 1;
    r->pipe = w->pipe = p;
    r->flags = O_RDONLY;
    w->flags = O_WRONLY;
    *rd = r;
    *wr = w;
    return 0;
}

static long pipe_read(struct file *f, uint64_t ubuf, size_t n)
{
    struct pipe *p = f->pipe;

    while (p->w == p->r) {
        if (!p->writers)
            return 0;
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        if (proc_sleep(p))
            return -EINTR;
    }
    size_t done = 0;
    while (done < n && p->r != p->w) {
        uint32_t idx = p->r % sizeof(p->buf);
        size_t chunk = MIN(n - done, MIN(p->w - p->r, sizeof(p->buf) - idx));
        if (copy_to_user(ubuf + done, p->buf + idx, chunk))
            return done ? (long)done : -EFAULT;
        p->r += chunk;
        done += chunk;
    }
    proc_wakeup(p);
    return done;
}

static long pipe_write(struct file *f, uint64_t ubuf, size_t n)
{
    struct pipe *p = f->pipe;
    size_t done = 0;

    while (done < n) {
        if (!p->readers) {
            proc_signal(current, SIGPIPE);
            return done ? (long)done : -EPIPE;
        }
        if (p->w - p->r == sizeof(p->buf)) {
            if (f->flags & O_NONBLOCK)
                return done ? (long)done : -EAGAIN;
            proc_wakeup(p);
            if (proc_sleep(p))
                return done ? (long)done : -EINTR;
            continue;
        }
        uint32_t idx = p->w % sizeof(p->buf);
        size_t chunk = MIN(n - done, MIN(sizeof(p->buf) - (p->w - p->r), sizeof(p->buf) - idx));
        if (copy_from_user(p->buf + idx, ubuf + done, chunk))
            return done ? (long)done : -EFAULT;
        p->w += chunk;
        done += chunk;
    }
    proc_wakeup(p);
    return done;
}

static long dev_read(struct inode *ip, uint64_t ubuf, size_t n, bool nonblock)
{
    uint8_t tmp[256];
    size_t done = 0;

    switch (ip->dev) {
    case DEV_NULL:
        return 0;
    case DEV_CONSOLE:
        return tty_read(ubuf, n, nonblock);
    case DEV_ZERO:
        return clear_user(ubuf, n) ? -EFAULT : (long)n;
    case DEV_HWRNG:
        while (done < n) {
            size_t c = MIN(n - done, sizeof(tmp));
            if (!virtio_rng_fill(tmp, c))
                return done ? (long)done : -EIO;
            if (copy_to_user(ubuf + done, tmp, c))
                return -EFAULT;
            done += c;
        }
        return done;
    case DEV_URANDOM:
        while (done < n) {
            size_t c = MIN(n - done, sizeof(tmp));
            random_fill(tmp, c);
            if (copy_to_user(ubuf + done, tmp, c))
                return -EFAULT;
            done += c;
        }
        return done;
    default:
        return -EINVAL;
    }
}

static long dev_write(struct inode *ip, uint64_t ubuf, size_t n)
{
    if (ip->dev != DEV_CONSOLE)
        return n;
    return tty_write(ubuf, n);
}

long file_read(struct file *f, uint64_t ubuf, size_t n, int64_t pos)
{
    if ((f->flags & O_ACCMODE) == O_WRONLY)
        return -EBADF;
    if (!uaccess_range_ok(ubuf, n))
        return -EFAULT;
    if (f->pipe)
        return pipe_read(f, ubuf, n);
    struct inode *ip = f->ip;
    if ((ip->mode & S_IFMT) == S_IFCHR)
        return dev_read(ip, ubuf, n, f->flags & O_NONBLOCK);
    if (S_ISDIR(ip->mode))
        return -EISDIR;
    uint64_t off = pos >= 0 ? (uint64_t)pos : f->off;
    if (ip->fs) {
        long r = ext2_read(ip, off, ubuf, n);
        if (r > 0 && pos < 0)
            f->off = off + r;
        return r;
    }
    if (off >= ip->size)
        return 0;
    n = MIN(n, ip->size - off);
    if (copy_to_user(ubuf, ip->data + off, n))
        return -EFAULT;
    if (pos < 0)
        f->off = off + n;
    return n;
}

long file_write(struct file *f, uint64_t ubuf, size_t n, int64_t pos)
{
    if ((f->flags & O_ACCMODE) == O_RDONLY)
        return -EBADF;
    if (!uaccess_range_ok(ubuf, n))
        return -EFAULT;
    if (f->pipe)
        return pipe_write(f, ubuf, n);
    struct inode *ip = f->ip;
    if ((ip->mode & S_IFMT) == S_IFCHR)
        return dev_write(ip, ubuf, n);
    uint64_t off = pos >= 0 ? (uint64_t)pos : (f->flags & O_APPEND) ? ip->size : f->off;
    if (off + n < off)
        return -EINVAL;
    if (ip->fs) {
        long r = ext2_write(ip, off, ubuf, n);
        if (r > 0 && pos < 0)
            f->off = off + r;
        return r;
    }
    int err = vfs_reserve(ip, off + n);
    if (err)
        return err;
    if (copy_from_user(ip->data + off, ubuf, n))
        return -EFAULT;
    if (off + n > ip->size)
        ip->size = off + n;
    ip->mtime_ns = time_realtime_ns();
    if (pos < 0)
        f->off = off + n;
    return n;
}

/* ---- fd tables -------------------------------------------------------- */

struct files *files_create(void)
{
    struct files *fs = kzalloc(sizeof(*fs));

    if (fs)
        fs->refs = 1;
    return fs;
}

struct files *files_clone(struct files *src)
{
    struct files *fs = files_create();

    if (!fs)
        return NULL;
    for (int i = 0; i < NR_FDS; i++) {
        if (src->fd[i]) {
            fs->fd[i] = src->fd[i];
            fs->cloexec[i] = src->cloexec[i];
            file_get(fs->fd[i]);
        }
    }
    return fs;
}

void files_put(struct files *fs)
{
    if (!fs || --fs->refs > 0)
        return;
    for (int i = 0; i < NR_FDS; i++)
        if (fs->fd[i])
            file_put(fs->fd[i]);
    kfree(fs);
}

int fd_alloc(struct files *fs, struct file *f, int min, bool cloexec)
{
    for (int i = min < 0 ? 0 : min; i < NR_FDS; i++) {
        if (!fs->fd[i]) {
            fs->fd[i] = f;
            fs->cloexec[i] = cloexec;
            return i;
        }
    }
    return -EMFILE;
}

struct file *fd_get(struct files *fs, int fd)
{
    if (fd < 0 || fd >= NR_FDS)
        return NULL;
    return fs->fd[fd];
}

/* ---- randomness ------------------------------------------------------- */

static uint64_t rng_state;

static bool rdrand64(uint64_t *v)
{
    static int have = -1;
    uint8_t ok;

    if (have < 0) {
        uint32_t a, b, c, d;
        cpuid(1, 0, &a, &b, &c, &d);
        have = (c >> 30) & 1;
    }
    if (!have)
        return false;
    __asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
    return ok;
}

void random_fill(void *buf, size_t n)
{
    uint8_t *b = buf;

    if (virtio_rng_fill(buf, n))
        return;
    while (n) {
        uint64_t v;
        if (!rdrand64(&v)) {
            /* xorshift64*, seeded from the TSC and the clock. */
            if (!rng_state)
                rng_state = rdtsc() ^ time_realtime_ns() ^ 0x9e3779b97f4a7c15ull;
            rng_state ^= rng_state >> 12;
            rng_state ^= rng_state << 25;
            rng_state ^= rng_state >> 27;
            v = rng_state * 0x2545f4914f6cdd1dull;
        }
        size_t c = MIN(n, sizeof(v));
        memcpy(b, &v, c);
        b += c;
        n -= c;
    }
}

/* ---- disks ------------------------------------------------------------ */

void vfs_drop_children(struct inode *dir)
{
    struct inode **pp = &dir->child;

    while (*pp) {
        struct inode *c = *pp;
        if (c->refs || c->child) {
            pp = &c->sibling;
            continue;
        }
        *pp = c->sibling;
        kfree(c->name);
        kfree(c);
    }
}

void vfs_mount_all(void)
{
    struct inode *mnt = NULL;

    for (struct blkdev *bd = blkdev_list; bd; bd = bd->next) {
        if (!mnt && !(mnt = vfs_mkpath("mnt", 3)))
            return;
        if (vfs_dir_find(mnt, bd->name, strlen(bd->name)))
            continue;
        struct inode *root = vfs_child_new(mnt, bd->name, strlen(bd->name), S_IFDIR | 0755);
        if (!root)
            return;
        int err = ext2_mount(bd, root);
        if (err) {
            printk("ringos: %s: not mounted (error %d)\n", bd->name, -err);
            vfs_detach(root);
            vfs_free(root);
            continue;
        }
        root->mountpoint = true;
        if (!cmdline_has("quiet"))
            printk("ringos: %s mounted at /mnt/%s%s\n", bd->name, bd->name,
                   ext2_readonly(root->fs) ? " (read-only)" : "");
    }
}

int vfs_sync(struct inode *ip)
{
    if (ip)
        return ip->fs && !ext2_readonly(ip->fs) ? ext2_sync(ip->fs) : 0;
    int err = 0;
    struct inode *mnt;
    if (vfs_lookup(vfs_root, "/mnt", false, &mnt) || !S_ISDIR(mnt->mode))
        return 0;
    for (struct inode *c = mnt->child; c; c = c->sibling) {
        if (c->mountpoint && !ext2_readonly(c->fs)) {
            int e = ext2_sync(c->fs);
            if (e && !err)
                err = e;
        }
    }
    return err;
}
