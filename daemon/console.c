// SPDX-License-Identifier: MIT
/*
 * Each VM's console as the daemon sees it: the log the VM process appends
 * to (watched with inotify to wake followers, and capped by cutting its
 * front), and the FIFO that carries input to the VM process's stdin.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/daemon.h"

int console_init(struct daemon *d)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &d->console_ev };

    d->console_ev.kind = EV_CONSOLE;
    d->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (d->inotify_fd < 0)
        return -errno;
    if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->inotify_fd, &ev) < 0) {
        int err = -errno;

        close(d->inotify_fd);
        d->inotify_fd = -1;
        return err;
    }
    return 0;
}

void console_exit(struct daemon *d)
{
    if (d->inotify_fd >= 0)
        close(d->inotify_fd);
    d->inotify_fd = -1;
}

int64_t console_trim(int fd, uint64_t max, uint64_t keep)
{
    char buf[65536];
    struct stat st;
    uint64_t size, cut, blk, pos;
    ssize_t n;

    if (fstat(fd, &st) < 0)
        return -errno;
    size = (uint64_t)st.st_size;
    if (size <= max || keep >= size)
        return 0;
    /* Whole blocks: what FALLOC_FL_COLLAPSE_RANGE requires. */
    blk = st.st_blksize > 0 ? (uint64_t)st.st_blksize : 4096;
    cut = (size - keep) / blk * blk;
    if (!cut)
        return 0;
    /* Lossless where the file system can: the VM process's O_APPEND writes
     * and the collapse both hold the inode lock, so every byte written lands
     * after what stays. */
    if (fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 0, (off_t)cut) == 0)
        return (int64_t)cut;
    if (errno != EOPNOTSUPP && errno != EINVAL)
        return -errno;
    /* Elsewhere (tmpfs, for one): copy the tail to the front, then truncate.
     * Bytes the VM process appends between the last read and the truncate
     * are lost: a short window, once per cut. */
    for (pos = cut;; pos += (uint64_t)n) {
        n = pread(fd, buf, sizeof(buf), (off_t)pos);
        if (n < 0 && errno == EINTR) {
            n = 0;
            continue;
        }
        if (n <= 0)
            break;
        if (pwrite(fd, buf, (size_t)n, (off_t)(pos - cut)) != n)
            return -EIO;
    }
    if (n < 0 || ftruncate(fd, (off_t)(pos - cut)) < 0)
        return -errno;
    return (int64_t)cut;
}

ssize_t console_read(int fd, uint64_t base, uint64_t *off, char *buf, size_t len)
{
    ssize_t n;

    if (*off < base)
        *off = base; /* cut while this reader lagged: go on with the oldest kept */
    n = pread(fd, buf, len, (off_t)(*off - base));
    if (n > 0)
        *off += (uint64_t)n;
    return n < 0 ? -errno : n;
}

/* The log changed: keep it under the cap, then feed its followers. */
static void console_check(struct daemon *d, struct vmrec *v)
{
    if (v->log_fd >= 0) {
        int64_t cut = console_trim(v->log_fd, d->log_max, d->log_max / 2);

        if (cut > 0)
            v->log_base += (uint64_t)cut;
        else if (cut < 0)
            fprintf(stderr, "ringvisor serve: cannot cap the console log of VM '%s': %s\n",
                    v->name, strerror((int)-cut));
    }
    server_console(d, v, false);
}

void console_watch(struct daemon *d, struct vmrec *v)
{
    char path[4200];

    if (vmtable_path(d, v, VM_CONSOLE_LOG, path, sizeof(path)))
        return;
    v->log_fd = open(path, O_RDWR | O_CLOEXEC);
    /* Without a watch the log still works; it just is not capped or followed
     * until the next event (we log the reason once). */
    v->log_wd = d->inotify_fd >= 0 ? inotify_add_watch(d->inotify_fd, path, IN_MODIFY) : -1;
    if (v->log_fd < 0 || v->log_wd < 0)
        fprintf(stderr, "ringvisor serve: cannot watch the console log of VM '%s': %s\n",
                v->name, strerror(errno));
    /* It may have grown while no daemon watched. */
    console_check(d, v);
}

void console_unwatch(struct daemon *d, struct vmrec *v)
{
    if (v->log_wd >= 0)
        inotify_rm_watch(d->inotify_fd, v->log_wd);
    if (v->log_fd >= 0)
        close(v->log_fd);
    if (v->in_fd >= 0)
        close(v->in_fd);
    v->log_wd = v->log_fd = v->in_fd = -1;
    server_console(d, v, true);
}

void console_event(struct daemon *d)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n;

    while ((n = read(d->inotify_fd, buf, sizeof(buf))) > 0) {
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *e = (const struct inotify_event *)p;

            for (struct vmrec *v = d->vms; v; v = v->next)
                if (v->log_wd == e->wd) {
                    console_check(d, v);
                    break;
                }
            p += sizeof(*e) + e->len;
        }
    }
}

int console_fifo(struct daemon *d, struct vmrec *v)
{
    char path[4200];
    int fd, err;

    err = vmtable_path(d, v, VM_CONSOLE_IN, path, sizeof(path));
    if (err)
        return err;
    /* Fresh each start: nothing a previous process left queued. */
    unlink(path);
    if (mkfifo(path, 0600) < 0)
        return -errno;
    /* O_RDWR never blocks on a FIFO, and the VM process then holds a writer
     * itself: no EOF when the daemon or a client goes away. */
    fd = open(path, O_RDWR | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int console_input(struct daemon *d, struct vmrec *v, const char *data, size_t len,
                  size_t *written, char *why, size_t why_size)
{
    char path[4200];
    ssize_t n;

    *written = 0;
    if (v->in_fd < 0) {
        if (vmtable_path(d, v, VM_CONSOLE_IN, path, sizeof(path)))
            return -ENAMETOOLONG;
        /* O_NONBLOCK: a guest that does not read fills the pipe (64 KiB) and
         * its client gets a short count, the daemon never waits. */
        v->in_fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (v->in_fd < 0) {
            int err = -errno;

            snprintf(why, why_size, "the console input of VM '%s' is not there: %s", v->name,
                     strerror(errno));
            return err;
        }
    }
    while (*written < len) {
        n = write(v->in_fd, data + *written, len - *written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n < 0) {
            int err = -errno;

            snprintf(why, why_size, "cannot write to the console of VM '%s': %s", v->name,
                     strerror(errno));
            return err;
        }
        *written += (size_t)n;
    }
    return 0;
}
