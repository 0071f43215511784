// SPDX-License-Identifier: MIT
/*
 * Linux x86-64 system calls: the dispatch table by number and the calls
 * that are thin layers over vfs.c, vm.c and proc.c.  Every user pointer goes
 * through copy_from_user/copy_to_user (range check, then fault fixup).
 */
#include "boot.h"
#include "errno.h"
#include "hv.h"
#include "lib.h"
#include "mm.h"
#include "printk.h"
#include "proc.h"
#include "sysargs.h"
#include "time.h"
#include "tty.h"
#include "uaccess.h"
#include "vfs.h"
#include "vm.h"

#define PATH_MAX 4096

void proc_set_fsbase(uint64_t v);

struct kstat {
    uint64_t dev, ino, nlink;
    uint32_t mode, uid, gid, _pad0;
    uint64_t rdev;
    int64_t size, blksize, blocks;
    uint64_t atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
    int64_t _unused[3];
};
_Static_assert(sizeof(struct kstat) == 144, "struct stat layout");

static long user_path(uint64_t upath, char *buf)
{
    long n = strncpy_from_user(buf, upath, PATH_MAX);

    if (n < 0)
        return n;
    return n == 0 ? -ENOENT : 0;
}

/* The directory a *at() path is relative to. */
static long at_dir(int dirfd, const char *path, struct inode **dir)
{
    if (path[0] == '/' || dirfd == AT_FDCWD) {
        *dir = current->cwd;
        return 0;
    }
    struct file *f = fd_get(current->files, dirfd);
    if (!f)
        return -EBADF;
    if (!f->ip || !S_ISDIR(f->ip->mode))
        return -ENOTDIR;
    *dir = f->ip;
    return 0;
}

static long at_lookup(int dirfd, uint64_t upath, bool follow, struct inode **ip, int flags)
{
    char path[PATH_MAX];
    struct inode *dir;
    long err = strncpy_from_user(path, upath, PATH_MAX);

    if (err < 0)
        return err;
    if (err == 0) {
        if (!(flags & AT_EMPTY_PATH))
            return -ENOENT;
        struct file *f = fd_get(current->files, dirfd);
        if (!f)
            return -EBADF;
        if (!f->ip)
            return -EINVAL;
        *ip = f->ip;
        return 0;
    }
    err = at_dir(dirfd, path, &dir);
    if (err)
        return err;
    return vfs_lookup(dir, path, follow, ip);
}

static void stat_fill(struct inode *ip, struct kstat *st)
{
    memset(st, 0, sizeof(*st));
    st->dev = 1;
    st->ino = ip->ino;
    st->nlink = S_ISDIR(ip->mode) ? 2 : 1;
    st->mode = ip->mode;
    st->size = ip->size;
    st->blksize = 4096;
    st->blocks = (ip->size + 511) / 512;
    if ((ip->mode & S_IFMT) == S_IFCHR)
        st->rdev = ip->dev == DEV_CONSOLE ? (5 << 8) | 1 : (1 << 8) | ip->dev;
    st->atime = st->mtime = st->ctime = ip->mtime_ns / NSEC_PER_SEC;
    st->atime_ns = st->mtime_ns = st->ctime_ns = ip->mtime_ns % NSEC_PER_SEC;
}

static long stat_out(struct inode *ip, uint64_t ubuf)
{
    struct kstat st;

    stat_fill(ip, &st);
    return copy_to_user(ubuf, &st, sizeof(st));
}

static long sys_fstat(int fd, uint64_t ubuf)
{
    struct file *f = fd_get(current->files, fd);

    if (!f)
        return -EBADF;
    if (f->pipe) {
        struct kstat st = { .dev = 2, .ino = (uint64_t)f->pipe & 0xffffff, .nlink = 1,
                            .mode = S_IFIFO | 0600, .blksize = 4096 };
        return copy_to_user(ubuf, &st, sizeof(st));
    }
    return stat_out(f->ip, ubuf);
}

static long sys_newfstatat(int dirfd, uint64_t upath, uint64_t ubuf, int flags)
{
    struct inode *ip;
    long err = at_lookup(dirfd, upath, !(flags & AT_SYMLINK_NOFOLLOW), &ip, flags);

    if (err == 0 && (flags & AT_EMPTY_PATH)) {
        char c;
        if (copy_from_user(&c, upath, 1) == 0 && c == 0)
            return sys_fstat(dirfd, ubuf);
    }
    return err ? err : stat_out(ip, ubuf);
}

static long sys_statx(int dirfd, uint64_t upath, int flags, uint32_t mask, uint64_t ubuf)
{
    struct inode *ip;
    long err;
    char c = 1;

    (void)mask;
    if ((flags & AT_EMPTY_PATH) && copy_from_user(&c, upath, 1) == 0 && c == 0) {
        struct file *f = fd_get(current->files, dirfd);
        if (!f)
            return -EBADF;
        if (!f->ip)
            return -EINVAL;
        ip = f->ip;
    } else if ((err = at_lookup(dirfd, upath, !(flags & AT_SYMLINK_NOFOLLOW), &ip, 0))) {
        return err;
    }
    struct kstat st;
    uint8_t sx[256];
    stat_fill(ip, &st);
    memset(sx, 0, sizeof(sx));
    uint32_t m = 0x7ff, blk = 4096, nlink = st.nlink;
    uint16_t mode = st.mode;
    memcpy(sx + 0, &m, 4);
    memcpy(sx + 4, &blk, 4);
    memcpy(sx + 16, &nlink, 4);
    memcpy(sx + 28, &mode, 2);
    memcpy(sx + 32, &st.ino, 8);
    memcpy(sx + 40, &st.size, 8);
    memcpy(sx + 48, &st.blocks, 8);
    for (int t = 0; t < 4; t++) {
        uint32_t ns = st.mtime_ns;
        memcpy(sx + 64 + 16 * t, &st.mtime, 8);
        memcpy(sx + 72 + 16 * t, &ns, 4);
    }
    uint32_t rmaj = st.rdev >> 8, rmin = st.rdev & 0xff, dmaj = 0, dmin = 1;
    memcpy(sx + 128, &rmaj, 4);
    memcpy(sx + 132, &rmin, 4);
    memcpy(sx + 136, &dmaj, 4);
    memcpy(sx + 140, &dmin, 4);
    return copy_to_user(ubuf, sx, sizeof(sx));
}

static long sys_openat(int dirfd, uint64_t upath, int flags, uint32_t mode)
{
    char path[PATH_MAX], name[256];
    struct inode *dir, *ip;
    long err = user_path(upath, path);

    if (err)
        return err;
    if ((err = at_dir(dirfd, path, &dir)))
        return err;
    err = vfs_lookup(dir, path, !(flags & O_NOFOLLOW), &ip);
    if (err == -ENOENT && (flags & O_CREAT)) {
        struct inode *pdir;
        if ((err = vfs_lookup_parent(dir, path, &pdir, name)))
            return err;
        err = vfs_create(pdir, name, S_IFREG | (mode & 07777 & ~current->umask), &ip);
        if (err)
            return err;
    } else if (err) {
        return err;
    } else if ((flags & O_CREAT) && (flags & O_EXCL)) {
        return -EEXIST;
    }
    if (S_ISLNK(ip->mode))
        return -ELOOP;
    if ((flags & O_DIRECTORY) && !S_ISDIR(ip->mode))
        return -ENOTDIR;
    if (S_ISDIR(ip->mode) && (flags & O_ACCMODE) != O_RDONLY)
        return -EISDIR;
    /* As Linux: asking to write a file of a read-only mount fails here, not at write(). */
    if (S_ISREG(ip->mode) && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)) &&
        vfs_readonly(ip))
        return -EROFS;
    if ((flags & O_TRUNC) && S_ISREG(ip->mode) && (flags & O_ACCMODE) != O_RDONLY &&
        (err = vfs_truncate(ip, 0)))
        return err;
    struct file *f = file_open_inode(ip, flags);
    if (!f)
        return -ENOMEM;
    int fd = fd_alloc(current->files, f, 0, flags & O_CLOEXEC);
    if (fd < 0)
        file_put(f);
    return fd;
}

static long sys_close(int fd)
{
    struct file *f = fd_get(current->files, fd);

    if (!f)
        return -EBADF;
    current->files->fd[fd] = NULL;
    file_put(f);
    return 0;
}

static long sys_rw(int fd, uint64_t buf, uint64_t n, int64_t pos, bool write)
{
    struct file *f = fd_get(current->files, fd);

    if (!f)
        return -EBADF;
    if (pos < -1)
        return -EINVAL;
    if (pos >= 0 && f->pipe)
        return -ESPIPE;
    if (n > 0x7ffff000)
        n = 0x7ffff000;
    return write ? file_write(f, buf, n, pos) : file_read(f, buf, n, pos);
}

static long sys_rwv(int fd, uint64_t uiov, int cnt, bool write)
{
    struct iovec_k {
        uint64_t base, len;
    } iov;
    long total = 0;

    if (cnt < 0 || cnt > 1024)
        return -EINVAL;
    for (int i = 0; i < cnt; i++) {
        if (copy_from_user(&iov, uiov + i * sizeof(iov), sizeof(iov)))
            return -EFAULT;
        if (!iov.len)
            continue;
        long r = sys_rw(fd, iov.base, iov.len, -1, write);
        if (r < 0)
            return total ? total : r;
        total += r;
        if ((uint64_t)r < iov.len)
            break;
    }
    return total;
}

static long sys_lseek(int fd, int64_t off, int whence)
{
    struct file *f = fd_get(current->files, fd);

    if (!f)
        return -EBADF;
    if (f->pipe)
        return -ESPIPE;
    int64_t base = whence == 0 ? 0 : whence == 1 ? (int64_t)f->off : whence == 2 ? (int64_t)f->ip->size : -1;
    if (base < 0 || base + off < 0)
        return -EINVAL;
    f->off = base + off;
    return f->off;
}

static long sys_ioctl(int fd, uint64_t req, uint64_t arg)
{
    struct file *f = fd_get(current->files, fd);

    if (!f)
        return -EBADF;
    if (!f->ip || f->ip->dev != DEV_CONSOLE)
        return -ENOTTY;
    return tty_ioctl(req, arg);
}

static long sys_fcntl(int fd, int cmd, uint64_t arg)
{
    struct files *fs = current->files;
    struct file *f = fd_get(fs, fd);

    if (!f)
        return -EBADF;
    switch (cmd) {
    case 0:    /* F_DUPFD */
    case 1030: /* F_DUPFD_CLOEXEC */
        if (arg >= NR_FDS)
            return -EINVAL;
        file_get(f);
        int nfd = fd_alloc(fs, f, arg, cmd == 1030);
        if (nfd < 0)
            file_put(f);
        return nfd;
    case 1: /* F_GETFD */
        return fs->cloexec[fd] ? 1 : 0;
    case 2: /* F_SETFD */
        fs->cloexec[fd] = arg & 1;
        return 0;
    case 3: /* F_GETFL */
        return f->flags;
    case 4: /* F_SETFL */
        f->flags = (f->flags & O_ACCMODE) | (arg & (O_APPEND | O_NONBLOCK));
        return 0;
    default:
        return -EINVAL;
    }
}

static long sys_dup3(int old, int new, int flags)
{
    struct files *fs = current->files;
    struct file *f = fd_get(fs, old);

    if (!f || new < 0 || new >= NR_FDS)
        return -EBADF;
    if (old == new)
        return -EINVAL;
    if (fs->fd[new])
        file_put(fs->fd[new]);
    file_get(f);
    fs->fd[new] = f;
    fs->cloexec[new] = flags & O_CLOEXEC;
    return new;
}

static long sys_pipe2(uint64_t ufds, int flags)
{
    struct file *r, *w;
    long err = pipe_create(&r, &w);

    if (err)
        return err;
    r->flags |= flags & O_NONBLOCK;
    w->flags |= flags & O_NONBLOCK;
    int fds[2];
    fds[0] = fd_alloc(current->files, r, 0, flags & O_CLOEXEC);
    fds[1] = fds[0] < 0 ? -EMFILE : fd_alloc(current->files, w, 0, flags & O_CLOEXEC);
    if (fds[1] < 0) {
        if (fds[0] >= 0)
            current->files->fd[fds[0]] = NULL;
        file_put(r);
        file_put(w);
        return -EMFILE;
    }
    if (copy_to_user(ufds, fds, sizeof(fds))) {
        sys_close(fds[0]);
        sys_close(fds[1]);
        return -EFAULT;
    }
    return 0;
}

static long sys_getdents64(int fd, uint64_t ubuf, uint64_t n)
{
    struct file *f = fd_get(current->files, fd);
    uint8_t rec[280];
    uint64_t done = 0;

    if (!f)
        return -EBADF;
    if (!f->ip || !S_ISDIR(f->ip->mode))
        return -ENOTDIR;
    for (;;) {
        uint64_t idx = f->off, i = 2;
        struct inode *c = NULL;
        const char *name;
        uint64_t ino;
        uint8_t type;
        if (idx == 0) {
            name = ".", ino = f->ip->ino, type = 4;
        } else if (idx == 1) {
            name = "..", ino = f->ip->parent ? f->ip->parent->ino : f->ip->ino, type = 4;
        } else {
            for (c = f->ip->child; c && i < idx; c = c->sibling)
                i++;
            if (!c)
                break;
            name = c->name, ino = c->ino;
            type = S_ISDIR(c->mode) ? 4 : S_ISLNK(c->mode) ? 10 : S_ISREG(c->mode) ? 8 : 2;
        }
        size_t nl = strlen(name);
        uint16_t reclen = ALIGN_UP(19 + nl + 1, 8);
        if (done + reclen > n)
            break;
        memset(rec, 0, reclen);
        int64_t next = idx + 1;
        memcpy(rec, &ino, 8);
        memcpy(rec + 8, &next, 8);
        memcpy(rec + 16, &reclen, 2);
        rec[18] = type;
        memcpy(rec + 19, name, nl);
        if (copy_to_user(ubuf + done, rec, reclen))
            return -EFAULT;
        done += reclen;
        f->off = next;
    }
    if (done == 0 && f->off >= 2) {
        /* Check whether we stopped for lack of room. */
        uint64_t i = 2;
        struct inode *c;
        for (c = f->ip->child; c && i < f->off; c = c->sibling)
            i++;
        if (c)
            return -EINVAL;
    }
    return done;
}

static long sys_readlinkat(int dirfd, uint64_t upath, uint64_t ubuf, uint64_t n)
{
    struct inode *ip;
    long err = at_lookup(dirfd, upath, false, &ip, 0);

    if (err)
        return err;
    if (!S_ISLNK(ip->mode))
        return -EINVAL;
    const char *s = ip->dev == DEV_SELF_EXE ? current->exe : (const char *)ip->data;
    uint64_t len = ip->dev == DEV_SELF_EXE ? strlen(current->exe) : ip->size;
    len = MIN(len, n);
    return copy_to_user(ubuf, s, len) ? -EFAULT : (long)len;
}

static long sys_mkdirat(int dirfd, uint64_t upath, uint32_t mode)
{
    char path[PATH_MAX], name[256];
    struct inode *dir, *ip;
    long err = user_path(upath, path);

    if (err || (err = at_dir(dirfd, path, &dir)) || (err = vfs_lookup_parent(dir, path, &dir, name)))
        return err;
    return vfs_create(dir, name, S_IFDIR | (mode & 07777 & ~current->umask), &ip);
}

static long sys_unlinkat(int dirfd, uint64_t upath, int flags)
{
    char path[PATH_MAX], name[256];
    struct inode *dir;
    long err = user_path(upath, path);

    if (err || (err = at_dir(dirfd, path, &dir)) || (err = vfs_lookup_parent(dir, path, &dir, name)))
        return err;
    if (!strcmp(name, ".") || !strcmp(name, ".."))
        return -EINVAL;
    return vfs_unlink(dir, name, flags & AT_REMOVEDIR);
}

static long sys_renameat(int ofd, uint64_t uold, int nfd, uint64_t unew)
{
    char op[PATH_MAX], np[PATH_MAX], on[256], nn[256];
    struct inode *od, *nd;
    long err = user_path(uold, op);

    if (err || (err = user_path(unew, np)))
        return err;
    if ((err = at_dir(ofd, op, &od)) || (err = vfs_lookup_parent(od, op, &od, on)) ||
        (err = at_dir(nfd, np, &nd)) || (err = vfs_lookup_parent(nd, np, &nd, nn)))
        return err;
    return vfs_rename(od, on, nd, nn);
}

static long sys_symlinkat(uint64_t utarget, int dirfd, uint64_t upath)
{
    char target[PATH_MAX], path[PATH_MAX], name[256];
    struct inode *dir, *ip;
    long err = user_path(utarget, target);

    if (err || (err = user_path(upath, path)) || (err = at_dir(dirfd, path, &dir)) ||
        (err = vfs_lookup_parent(dir, path, &dir, name)))
        return err;
    if ((err = vfs_create(dir, name, S_IFLNK | 0777, &ip)))
        return err;
    size_t n = strlen(target);
    if (vfs_truncate(ip, 0) == -EINVAL) {
        ip->mode = S_IFREG | 0777;
        vfs_truncate(ip, n);
        ip->mode = S_IFLNK | 0777;
    }
    memcpy(ip->data, target, n);
    ip->size = n;
    return 0;
}

static long sys_getcwd(uint64_t ubuf, uint64_t n)
{
    char buf[PATH_MAX];
    long len = vfs_path(current->cwd, buf, sizeof(buf));

    if (len < 0)
        return len;
    if ((uint64_t)len + 1 > n)
        return -ERANGE;
    return copy_to_user(ubuf, buf, len + 1) ? -EFAULT : len + 1;
}

static long sys_chdir_inode(struct inode *ip)
{
    if (!S_ISDIR(ip->mode))
        return -ENOTDIR;
    vfs_iget(ip);
    vfs_iput(current->cwd);
    current->cwd = ip;
    return 0;
}

static long sys_ftruncate(int fd, int64_t len)
{
    struct file *f = fd_get(current->files, fd);

    if (!f)
        return -EBADF;
    if (!f->ip || len < 0 || (f->flags & O_ACCMODE) == O_RDONLY)
        return -EINVAL;
    return vfs_truncate(f->ip, len);
}

static long sys_truncate(uint64_t upath, int64_t len)
{
    struct inode *ip;
    long err = at_lookup(AT_FDCWD, upath, true, &ip, 0);

    if (err)
        return err;
    if (len < 0)
        return -EINVAL;
    if (S_ISREG(ip->mode) && vfs_readonly(ip))
        return -EROFS;
    return vfs_truncate(ip, len);
}

static long statfs_out(struct inode *ip, uint64_t ubuf)
{
    struct linux_statfs st;
    int err = vfs_statfs(ip, &st);

    return err ? err : copy_to_user(ubuf, &st, sizeof(st));
}

static long sys_statfs(uint64_t upath, uint64_t ubuf)
{
    struct inode *ip;
    long err = at_lookup(AT_FDCWD, upath, true, &ip, 0);

    return err ? err : statfs_out(ip, ubuf);
}

static long sys_fstatfs(int fd, uint64_t ubuf)
{
    struct file *f = fd_get(current->files, fd);

    if (!f)
        return -EBADF;
    /* Pipes and the console: Linux reports their pseudo file systems; ours is tmpfs. */
    return statfs_out(f->ip ? f->ip : vfs_root, ubuf);
}

/* fsync, fdatasync, syncfs: the file's whole disk is written back and flushed. */
static long sys_fsync(int fd)
{
    struct file *f = fd_get(current->files, fd);

    if (!f)
        return -EBADF;
    return f->ip ? vfs_sync(f->ip) : -EINVAL;
}

/* ---- poll and select ------------------------------------------------- */

#define POLLIN 1
#define POLLOUT 4
#define POLLERR 8
#define POLLHUP 0x10
#define POLLNVAL 0x20

static int file_poll(struct file *f)
{
    if (f->pipe) {
        struct pipe *p = f->pipe;
        if ((f->flags & O_ACCMODE) == O_RDONLY)
            return (p->w != p->r ? POLLIN : 0) | (!p->writers ? POLLHUP : 0);
        return (p->w - p->r < sizeof(p->buf) ? POLLOUT : 0) | (!p->readers ? POLLERR : 0);
    }
    if (f->ip->dev == DEV_CONSOLE)
        return POLLOUT | (tty_readable() ? POLLIN : 0);
    return POLLIN | POLLOUT;
}

struct kpollfd {
    int fd;
    int16_t events, revents;
};

/* Poll (fds, n) until something is ready, (deadline) passes (0 = never), or a signal. */
static long poll_wait(struct kpollfd *fds, unsigned n, uint64_t deadline, bool forever)
{
    for (;;) {
        long ready = 0;
        for (unsigned i = 0; i < n; i++) {
            fds[i].revents = 0;
            if (fds[i].fd < 0)
                continue;
            struct file *f = fd_get(current->files, fds[i].fd);
            int m = f ? file_poll(f) : POLLNVAL;
            fds[i].revents = m & (fds[i].events | POLLERR | POLLHUP | POLLNVAL);
            if (fds[i].revents)
                ready++;
        }
        if (ready || (!forever && (!deadline || time_ns() >= deadline)))
            return ready;
        int err = proc_sleep_until(&proc_poll_chan, forever ? 0 : deadline);
        if (err == -EINTR)
            return -EINTR;
    }
}

static long sys_ppoll(uint64_t ufds, unsigned n, int64_t timeout_ns)
{
    if (n > NR_FDS * 4)
        return -EINVAL;
    struct kpollfd *fds = kmalloc(n * sizeof(*fds) + 1);
    if (!fds)
        return -ENOMEM;
    long r = copy_from_user(fds, ufds, n * sizeof(*fds));
    if (!r) {
        uint64_t deadline = timeout_ns > 0 ? time_ns() + timeout_ns : 0;
        r = poll_wait(fds, n, deadline, timeout_ns < 0);
        if (r >= 0 && copy_to_user(ufds, fds, n * sizeof(*fds)))
            r = -EFAULT;
    }
    kfree(fds);
    return r;
}

static long sys_select(int nfds, uint64_t urd, uint64_t uwr, uint64_t uex, int64_t timeout_ns)
{
    uint64_t sets[3][NR_FDS / 64], out[3][NR_FDS / 64];
    uint64_t u[3] = { urd, uwr, uex };
    struct kpollfd fds[NR_FDS];
    unsigned n = 0;

    if (nfds < 0 || nfds > NR_FDS)
        return -EINVAL;
    size_t bytes = ALIGN_UP(nfds, 64) / 8;
    memset(sets, 0, sizeof(sets));
    for (int s = 0; s < 3; s++)
        if (u[s] && copy_from_user(sets[s], u[s], bytes))
            return -EFAULT;
    for (int fd = 0; fd < nfds; fd++) {
        int16_t ev = 0;
        if (sets[0][fd / 64] & (1ull << (fd % 64)))
            ev |= POLLIN;
        if (sets[1][fd / 64] & (1ull << (fd % 64)))
            ev |= POLLOUT;
        if (sets[2][fd / 64] & (1ull << (fd % 64)))
            ev |= 2;
        if (ev) {
            if (!fd_get(current->files, fd))
                return -EBADF;
            fds[n++] = (struct kpollfd){ fd, ev, 0 };
        }
    }
    uint64_t deadline = timeout_ns > 0 ? time_ns() + timeout_ns : 0;
    long r = poll_wait(fds, n, deadline, timeout_ns < 0);
    if (r < 0)
        return r;
    memset(out, 0, sizeof(out));
    long count = 0;
    for (unsigned i = 0; i < n; i++) {
        int fd = fds[i].fd;
        int16_t re = fds[i].revents;
        if ((fds[i].events & POLLIN) && (re & (POLLIN | POLLHUP | POLLERR)))
            out[0][fd / 64] |= 1ull << (fd % 64), count++;
        if ((fds[i].events & POLLOUT) && (re & (POLLOUT | POLLERR)))
            out[1][fd / 64] |= 1ull << (fd % 64), count++;
    }
    for (int s = 0; s < 3; s++)
        if (u[s] && copy_to_user(u[s], out[s], bytes))
            return -EFAULT;
    return count;
}

static long timeout_from_ts(uint64_t uts, int64_t *ns)
{
    int64_t ts[2];

    if (!uts) {
        *ns = -1;
        return 0;
    }
    if (copy_from_user(ts, uts, sizeof(ts)))
        return -EFAULT;
    if (ts[0] < 0 || ts[1] < 0 || ts[1] >= (int64_t)NSEC_PER_SEC)
        return -EINVAL;
    *ns = ts[0] * NSEC_PER_SEC + ts[1];
    return 0;
}

/* ---- memory ----------------------------------------------------------- */

static long sys_brk(uint64_t want)
{
    struct mm *mm = current->mm;
    uint64_t old = ALIGN_UP(mm->brk, PAGE_SIZE), neu = ALIGN_UP(want, PAGE_SIZE);

    if (want < mm->brk_start || want > mm->brk_start + (1ull << 30))
        return mm->brk;
    if (neu > old) {
        for (uint64_t a = old; a < neu; a += PAGE_SIZE)
            if (vm_find(mm, a))
                return mm->brk;
        if (vm_map(mm, old, neu - old, VM_R | VM_W))
            return mm->brk;
    } else if (neu < old) {
        vm_unmap(mm, neu, old - neu);
    }
    mm->brk = want;
    return want;
}

#define MAP_SHARED 1
#define MAP_PRIVATE 2
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_POPULATE 0x8000
#define MAP_FIXED_NOREPLACE 0x100000

static long sys_mmap(uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags, int fd, uint64_t off)
{
    struct mm *mm = current->mm;
    struct file *f = NULL;

    if (!len || (off & (PAGE_SIZE - 1)) || !(flags & (MAP_SHARED | MAP_PRIVATE)))
        return -EINVAL;
    len = ALIGN_UP(len, PAGE_SIZE);
    if (!len || len > USER_LIMIT)
        return -ENOMEM;
    if (!(flags & MAP_ANONYMOUS)) {
        f = fd_get(current->files, fd);
        if (!f)
            return -EBADF;
        if (!f->ip || !S_ISREG(f->ip->mode))
            return -ENODEV;
    }
    if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
        if ((addr & (PAGE_SIZE - 1)) || !uaccess_range_ok(addr, len))
            return -EINVAL;
        if (flags & MAP_FIXED_NOREPLACE)
            for (uint64_t a = addr; a < addr + len; a += PAGE_SIZE)
                if (vm_find(mm, a))
                    return -EEXIST;
    } else {
        addr = vm_find_free(mm, len);
        if (!addr)
            return -ENOMEM;
    }
    /* A shared mapping's pages exist before any fork can share them. */
    bool shared = flags & MAP_SHARED;
    long err = vm_map(mm, addr, len, (prot & 7) | (shared ? VM_SHARED : 0));
    if (err)
        return err;
    if (shared || (!f && ((flags & MAP_POPULATE) || len <= 16 * PAGE_SIZE))) {
        /* Small anonymous mappings are touched at once anyway: map now and
         * save one trapping fault per page. */
        err = vm_populate(mm, addr, len);
    }
    if (f && !err) {
        /* File mappings are copies: shared ones are shared with forked
         * children but never written back to the file. */
        struct inode *ip = f->ip;
        if (off < ip->size) {
            uint64_t n = MIN(len, ip->size - off);
            err = vm_write(mm, addr, ip->data + off, n);
        }
    }
    if (err) {
        vm_unmap(mm, addr, len);
        return err;
    }
    return addr;
}

static long sys_munmap(uint64_t addr, uint64_t len)
{
    if ((addr & (PAGE_SIZE - 1)) || !len || !uaccess_range_ok(addr, len))
        return -EINVAL;
    return vm_unmap(current->mm, addr, len);
}

static long sys_mprotect(uint64_t addr, uint64_t len, uint32_t prot)
{
    if ((addr & (PAGE_SIZE - 1)) || !uaccess_range_ok(addr, len))
        return -EINVAL;
    if (!len)
        return 0;
    return vm_protect(current->mm, addr, len, prot & 7);
}

/* ---- misc ------------------------------------------------------------- */

static long sys_uname(uint64_t ubuf)
{
    char u[6][65];
    memset(u, 0, sizeof(u));
    strlcpy(u[0], "Linux", 65);
    strlcpy(u[1], "ringos", 65);
    strlcpy(u[2], "6.1.0-ringos", 65);
    strlcpy(u[3], "#1 SMP ringos", 65);
    strlcpy(u[4], "x86_64", 65);
    strlcpy(u[5], "(none)", 65);
    return copy_to_user(ubuf, u, sizeof(u));
}

static long sys_clock_gettime(int clk, uint64_t uts)
{
    uint64_t ns;

    switch (clk) {
    case 0: /* REALTIME */
    case 8: /* REALTIME_ALARM */
    case 5: /* REALTIME_COARSE */
        ns = time_realtime_ns();
        break;
    case 1: case 4: case 6: case 7: case 2: case 3:
        ns = time_ns();
        break;
    default:
        return -EINVAL;
    }
    int64_t ts[2] = { ns / NSEC_PER_SEC, ns % NSEC_PER_SEC };
    return copy_to_user(uts, ts, sizeof(ts));
}

static long sys_nanosleep(uint64_t ureq)
{
    int64_t ts[2];

    if (copy_from_user(ts, ureq, sizeof(ts)))
        return -EFAULT;
    if (ts[0] < 0 || ts[1] < 0 || ts[1] >= (int64_t)NSEC_PER_SEC)
        return -EINVAL;
    return sys_nanosleep_ns(ts[0] * NSEC_PER_SEC + ts[1]);
}

static long sys_clock_nanosleep(int clk, int flags, uint64_t ureq)
{
    int64_t ts[2];

    if (copy_from_user(ts, ureq, sizeof(ts)))
        return -EFAULT;
    if (ts[0] < 0 || ts[1] < 0 || ts[1] >= (int64_t)NSEC_PER_SEC)
        return -EINVAL;
    uint64_t ns = ts[0] * NSEC_PER_SEC + ts[1];
    if (flags & 1) { /* TIMER_ABSTIME */
        uint64_t now = clk == 0 ? time_realtime_ns() : time_ns();
        ns = ns > now ? ns - now : 0;
    }
    return sys_nanosleep_ns(ns);
}

static long sys_getrandom(uint64_t ubuf, uint64_t n)
{
    uint8_t tmp[256];
    uint64_t done = 0;

    n = MIN(n, 1u << 20);
    while (done < n) {
        size_t c = MIN(n - done, sizeof(tmp));
        random_fill(tmp, c);
        if (copy_to_user(ubuf + done, tmp, c))
            return done ? (long)done : -EFAULT;
        done += c;
    }
    return done;
}

static long sys_prlimit(int res, uint64_t unew, uint64_t uold)
{
    (void)unew;
    uint64_t lim[2] = { ~0ull, ~0ull };
    if (res == 3) /* RLIMIT_STACK */
        lim[0] = lim[1] = USER_STACK_SIZE;
    if (res == 7) /* RLIMIT_NOFILE */
        lim[0] = lim[1] = NR_FDS;
    return uold ? copy_to_user(uold, lim, sizeof(lim)) : 0;
}

static long sys_sysinfo(uint64_t ubuf)
{
    struct {
        int64_t uptime;
        uint64_t loads[3], totalram, freeram, sharedram, bufferram, totalswap, freeswap;
        uint16_t procs, pad;
        uint32_t pad2;
        uint64_t totalhigh, freehigh;
        uint32_t mem_unit;
        char _f[4];
    } si;
    memset(&si, 0, sizeof(si));
    si.uptime = time_ns() / NSEC_PER_SEC;
    si.totalram = mm_total_bytes();
    si.freeram = mm_free_bytes();
    si.procs = proc_count();
    si.mem_unit = 1;
    return copy_to_user(ubuf, &si, sizeof(si));
}

static const char *const syscall_names[335] = {
    [7] = "poll", [23] = "select", [25] = "mremap", [26] = "msync", [40] = "sendfile",
    [41] = "socket", [42] = "connect", [56] = "clone", [90] = "chmod", [91] = "fchmod",
    [92] = "chown", [98] = "getrusage", [100] = "times", [130] = "rt_sigsuspend",
    [157] = "prctl", [202] = "futex", [213] = "epoll_create",
    [232] = "epoll_wait", [247] = "waitid", [270] = "pselect6", [271] = "ppoll", [280] = "utimensat",
    [290] = "eventfd2", [291] = "epoll_create1", [334] = "rseq",
};

static long sys_unknown(uint64_t nr)
{
    static uint8_t logged[512 / 8];

    if (nr < 512 && !(logged[nr / 8] & (1 << (nr % 8)))) {
        logged[nr / 8] |= 1 << (nr % 8);
        const char *name = nr < ARRAY_SIZE(syscall_names) && syscall_names[nr] ? syscall_names[nr] : "?";
        printk("ringos: pid %d (%s): unimplemented syscall %s (%lu)\n", current->pid,
               current->name, name, nr);
    }
    return -ENOSYS;
}

long sys_execve_user(struct trap_frame *tf, uint64_t upath, uint64_t uargv, uint64_t uenvp);

long syscall_dispatch(struct trap_frame *tf)
{
    uint64_t a0 = tf->rdi, a1 = tf->rsi, a2 = tf->rdx, a3 = tf->r10, a4 = tf->r8, a5 = tf->r9;
    uint64_t nr = tf->rax;
    uint64_t args[6] = { a0, a1, a2, a3, a4, a5 };
    char path[PATH_MAX];
    struct inode *ip;
    /* Every pointer argument is in user space before any handler runs. */
    long err = sysargs_check(nr, args);

    if (err)
        return err;
    switch (nr) {
    case 0: return sys_rw(a0, a1, a2, -1, false);
    case 1: return sys_rw(a0, a1, a2, -1, true);
    case 2: return sys_openat(AT_FDCWD, a0, a1, a2);
    case 3: return sys_close(a0);
    case 4: return sys_newfstatat(AT_FDCWD, a0, a1, 0);
    case 5: return sys_fstat(a0, a1);
    case 6: return sys_newfstatat(AT_FDCWD, a0, a1, AT_SYMLINK_NOFOLLOW);
    case 7: { /* poll: timeout in ms, negative = forever */
        int ms = (int)a2;
        return sys_ppoll(a0, a1, ms < 0 ? -1 : (int64_t)ms * 1000000);
    }
    case 271: { /* ppoll (the signal mask argument is ignored) */
        int64_t ns;
        if ((err = timeout_from_ts(a2, &ns)))
            return err;
        return sys_ppoll(a0, a1, ns);
    }
    case 23: { /* select: struct timeval */
        int64_t tv[2], ns = -1;
        if (a4) {
            if (copy_from_user(tv, a4, sizeof(tv)))
                return -EFAULT;
            if (tv[0] < 0 || tv[1] < 0)
                return -EINVAL;
            ns = tv[0] * NSEC_PER_SEC + tv[1] * 1000;
        }
        return sys_select(a0, a1, a2, a3, ns);
    }
    case 270: { /* pselect6 */
        int64_t ns;
        if ((err = timeout_from_ts(a4, &ns)))
            return err;
        return sys_select(a0, a1, a2, a3, ns);
    }
    case 8: return sys_lseek(a0, a1, a2);
    case 9: return sys_mmap(a0, a1, a2, a3, a4, a5);
    case 10: return sys_mprotect(a0, a1, a2);
    case 11: return sys_munmap(a0, a1);
    case 12: return sys_brk(a0);
    case 13: return sys_rt_sigaction(a0, a1, a2, a3);
    case 14: return sys_rt_sigprocmask(a0, a1, a2, a3);
    case 15: return sys_rt_sigreturn(tf);
    case 16: return sys_ioctl(a0, a1, a2);
    case 17: return sys_rw(a0, a1, a2, a3, false);
    case 18: return sys_rw(a0, a1, a2, a3, true);
    case 19: return sys_rwv(a0, a1, a2, false);
    case 20: return sys_rwv(a0, a1, a2, true);
    case 21: /* access */
        return at_lookup(AT_FDCWD, a0, true, &ip, 0);
    case 22: return sys_pipe2(a0, 0);
    case 24: /* sched_yield */
        proc_yield();
        return 0;
    case 28: return 0; /* madvise: advice only */
    case 32: /* dup */ {
        struct file *f = fd_get(current->files, a0);
        if (!f)
            return -EBADF;
        file_get(f);
        err = fd_alloc(current->files, f, 0, false);
        if (err < 0)
            file_put(f);
        return err;
    }
    case 33: /* dup2 */
        if (a0 == a1)
            return fd_get(current->files, a0) ? (long)a0 : -EBADF;
        return sys_dup3(a0, a1, 0);
    case 35: return sys_nanosleep(a0);
    case 39: return current->tgid;
    case 56: return sys_fork(tf, a0, a1, a2, a3, a4);
    case 57: case 58: return sys_fork(tf, 0, 0, 0, 0, 0);
    case 59: return sys_execve_user(tf, a0, a1, a2);
    case 60: proc_exit((a0 & 0xff) << 8);
    case 231: proc_exit_group((a0 & 0xff) << 8);
    case 61: return sys_wait4(a0, a1, a2);
    case 62: return sys_kill(a0, a1);
    case 63: return sys_uname(a0);
    case 72: return sys_fcntl(a0, a1, a2);
    case 76: return sys_truncate(a0, a1);
    case 77: return sys_ftruncate(a0, a1);
    case 137: return sys_statfs(a0, a1);
    case 138: return sys_fstatfs(a0, a1);
    case 74: /* fsync */
    case 75: /* fdatasync */
    case 306: return sys_fsync(a0); /* syncfs */
    case 162: return vfs_sync(NULL), 0; /* sync: errors are not reported */
    case 79: return sys_getcwd(a0, a1);
    case 80: /* chdir */
        if ((err = at_lookup(AT_FDCWD, a0, true, &ip, 0)))
            return err;
        return sys_chdir_inode(ip);
    case 81: { /* fchdir */
        struct file *f = fd_get(current->files, a0);
        if (!f)
            return -EBADF;
        return f->ip ? sys_chdir_inode(f->ip) : -ENOTDIR;
    }
    case 82: return sys_renameat(AT_FDCWD, a0, AT_FDCWD, a1);
    case 83: return sys_mkdirat(AT_FDCWD, a0, a1);
    case 84: return sys_unlinkat(AT_FDCWD, a0, AT_REMOVEDIR);
    case 87: return sys_unlinkat(AT_FDCWD, a0, 0);
    case 88: return sys_symlinkat(a0, AT_FDCWD, a1);
    case 89: return sys_readlinkat(AT_FDCWD, a0, a1, a2);
    case 90: case 91: case 92: case 93: case 94: case 268: case 260: return 0; /* chmod/chown */
    case 95: { /* umask */
        long old = current->umask;
        current->umask = a0 & 0777;
        return old;
    }
    case 96: { /* gettimeofday */
        uint64_t ns = time_realtime_ns();
        int64_t tv[2] = { ns / NSEC_PER_SEC, ns % NSEC_PER_SEC / 1000 };
        return a0 ? copy_to_user(a0, tv, sizeof(tv)) : 0;
    }
    case 97: return sys_prlimit(a0, 0, a1);
    case 99: return sys_sysinfo(a0);
    case 102: case 104: case 107: case 108: return 0; /* uid/gid: root */
    case 105: case 106: case 113: case 114: case 117: case 119: return 0; /* set*id */
    case 109: return 0; /* setpgid */
    case 110: return current->leader->parent ? current->leader->parent->pid : 0;
    case 111: case 121: case 124: return 1; /* one session, one group */
    case 112: return current->pid; /* setsid */
    case 131: return 0; /* sigaltstack */
    case 130: return sys_rt_sigsuspend(a0, a1);
    case 34: { /* pause */
        uint64_t m = current->sigmask;
        (void)m;
        while (proc_sleep(&current->sigpending) == 0)
            ;
        return -EINTR;
    }
    case 127: /* rt_sigpending */
        return copy_to_user(a0, &current->sigpending, 8);
    case 158: /* arch_prctl */
        if (a0 == 0x1002) { /* ARCH_SET_FS */
            if (a1 >= 0x0000800000000000ull)
                return -EPERM;
            proc_set_fsbase(a1);
            return 0;
        }
        if (a0 == 0x1003) /* ARCH_GET_FS */
            return copy_to_user(a1, &current->fsbase, 8);
        return -EINVAL;
    case 186: return current->pid; /* gettid */
    case 202: return sys_futex(a0, a1, a2, a3, a5);
    case 200: return sys_kill(a0, a1); /* tkill */
    case 201: { /* time */
        int64_t t = time_realtime_ns() / NSEC_PER_SEC;
        if (a0 && copy_to_user(a0, &t, 8))
            return -EFAULT;
        return t;
    }
    case 204: { /* sched_getaffinity: every online CPU */
        uint64_t mask = smp_nr_online >= 64 ? ~0ull : (1ull << smp_nr_online) - 1;
        if (a1 < 8)
            return -EINVAL;
        if (clear_user(a2, a1) || copy_to_user(a2, &mask, 8))
            return -EFAULT;
        return 8;
    }
    case 217: return sys_getdents64(a0, a1, a2);
    case 218: current->clear_tid = a0; return current->pid;
    case 228: return sys_clock_gettime(a0, a1);
    case 229: { /* clock_getres */
        int64_t ts[2] = { 0, 1 };
        return a1 ? copy_to_user(a1, ts, sizeof(ts)) : 0;
    }
    case 230: return sys_clock_nanosleep(a0, a1, a2);
    case 234: { /* tgkill */
        struct proc *t = proc_find(a1);
        if (!t || t->tgid != (int)a0 || t->state == P_ZOMBIE)
            return -ESRCH;
        if (a2 >= NSIG)
            return -EINVAL;
        if (a2)
            proc_signal(t, a2);
        return 0;
    }
    case 257: return sys_openat(a0, a1, a2, a3);
    case 258: return sys_mkdirat(a0, a1, a2);
    case 262: return sys_newfstatat(a0, a1, a2, a3);
    case 263: return sys_unlinkat(a0, a1, a2);
    case 264: case 316: return sys_renameat(a0, a1, a2, a3);
    case 266: return sys_symlinkat(a0, a1, a2);
    case 267: return sys_readlinkat(a0, a1, a2, a3);
    case 269: case 439: /* faccessat(2) */
        return at_lookup(a0, a1, !(a3 & AT_SYMLINK_NOFOLLOW), &ip, a3 & AT_EMPTY_PATH);
    case 273: return 0; /* set_robust_list */
    case 292: return a0 == a1 ? -EINVAL : sys_dup3(a0, a1, a2);
    case 293: return sys_pipe2(a0, a1);
    case 302: return sys_prlimit(a1, a2, a3);
    case 318: return sys_getrandom(a0, a1);
    case 332: return sys_statx(a0, a1, a2, a3, a4);
    default:
        (void)path;
        return sys_unknown(nr);
    }
}

long sys_execve_user(struct trap_frame *tf, uint64_t upath, uint64_t uargv, uint64_t uenvp)
{
    /* Copy everything out of the old image first: it is gone on success. */
    char *path = kmalloc(PATH_MAX);
    char *strs = mm_alloc_pages(32);
    char **vec = mm_alloc_pages(2);
    long err = -ENOMEM;
    size_t used = 0, nv = 0, maxv = 2 * PAGE_SIZE / sizeof(char *);

    if (!path || !strs || !vec)
        goto out;
    if ((err = user_path(upath, path)))
        goto out;
    uint64_t lists[2] = { uargv, uenvp };
    size_t argc = 0;
    for (int l = 0; l < 2; l++) {
        for (uint64_t i = 0; lists[l]; i++) {
            uint64_t up;
            if ((err = copy_from_user(&up, lists[l] + i * 8, 8)))
                goto out;
            if (!up)
                break;
            if (nv + 2 >= maxv) {
                err = -E2BIG;
                goto out;
            }
            long n = strncpy_from_user(strs + used, up, 32 * PAGE_SIZE - used);
            if (n < 0) {
                err = n == -ENAMETOOLONG ? -E2BIG : n;
                goto out;
            }
            vec[nv++] = strs + used;
            used += n + 1;
        }
        if (l == 0)
            argc = nv;
        vec[nv++] = NULL;
    }
    err = exec_load(current, path, vec, vec + argc + 1);
    if (err == 0) {
        proc_set_fsbase(0);
        tf->rax = 0;
    }
out:
    kfree(path);
    if (strs)
        mm_free_pages(strs, 32);
    if (vec)
        mm_free_pages(vec, 2);
    return err;
}
