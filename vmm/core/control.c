// SPDX-License-Identifier: MIT
/* The VM process's end of the control channel: pause, resume, query. */
#include "vmm/core/control.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/core/vm.h"

static int ctl_path(const struct ctl *c, const char *file, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if ((size_t)snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/%s", c->dir, file) >=
        sizeof(sa->sun_path))
        return -ENAMETOOLONG;
    return 0;
}

int ctl_init(struct ctl *c, const char *dir)
{
    struct sockaddr_un sa;
    char path[4200];
    mode_t old;
    int err;

    c->listen_fd = -1;
    c->vm = NULL;
    if ((size_t)snprintf(c->dir, sizeof(c->dir), "%s", dir) >= sizeof(c->dir))
        return -ENAMETOOLONG;
    err = ctl_path(c, CTL_SOCKET, &sa);
    if (err)
        return err;
    snprintf(path, sizeof(path), "%s/%s", dir, CTL_STATUS);
    unlink(path);
    unlink(sa.sun_path);
    c->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (c->listen_fd < 0)
        return -errno;
    /* Owner only from the start: no window with a wider mode. */
    old = umask(0077);
    err = bind(c->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
    umask(old);
    if (!err && listen(c->listen_fd, 4) < 0)
        err = -errno;
    if (err) {
        close(c->listen_fd);
        c->listen_fd = -1;
    }
    return err;
}

int ctl_msg_check(const struct ctl_msg *m, long len)
{
    if (len != (long)sizeof(*m) || m->magic != CTL_MAGIC || m->version != CTL_VERSION)
        return -EPROTO;
    return 0;
}

static void ctl_handle(struct vm *vm, const struct ctl_msg *req, struct ctl_msg *rep)
{
    int err = 0;

    switch (req->op) {
    case CTL_OP_QUERY:
        rep->arg = vm_paused(vm);
        break;
    case CTL_OP_PAUSE:
        err = vm_pause(vm);
        break;
    case CTL_OP_RESUME:
        err = vm_resume(vm);
        break;
    default:
        err = -EOPNOTSUPP;
        break;
    }
    rep->status = err;
    if (err)
        snprintf(rep->text, sizeof(rep->text), "%s", strerror(-err));
}

void ctl_serve(void *opaque)
{
    struct ctl *c = opaque;
    struct vm *vm = c->vm;
    struct timeval tv = { .tv_sec = 1 };
    struct ctl_msg req, rep;
    int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return;
    /* The main thread serves this: a peer that connects and says nothing
     * may hold it a second, no more. */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    while ((n = recv(fd, &req, sizeof(req), MSG_TRUNC)) > 0) {
        struct pollfd pfd = { .fd = fd, .events = POLLRDHUP };

        /* A request whose sender already hung up was given up (the daemon
         * timed out while this process was stopped): acting on it now would
         * leave the VM in a state the daemon does not know of. */
        if (poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLRDHUP | POLLHUP)))
            break;
        memset(&rep, 0, sizeof(rep));
        rep.magic = CTL_MAGIC;
        rep.version = CTL_VERSION;
        if (ctl_msg_check(&req, n)) {
            rep.status = -EPROTO;
            snprintf(rep.text, sizeof(rep.text), "bad message (length, magic or version)");
        } else {
            rep.op = req.op;
            rep.id = req.id;
            ctl_handle(vm, &req, &rep);
        }
        if (send(fd, &rep, sizeof(rep), MSG_NOSIGNAL) != sizeof(rep))
            break;
    }
    close(fd);
}

void ctl_exit(struct ctl *c, int status)
{
    struct sockaddr_un sa;
    char path[4200], tmp[4200], buf[32];
    int fd, n;

    if (c->listen_fd >= 0)
        close(c->listen_fd);
    c->listen_fd = -1;
    if (!ctl_path(c, CTL_SOCKET, &sa))
        unlink(sa.sun_path);
    snprintf(path, sizeof(path), "%s/%s", c->dir, CTL_STATUS);
    snprintf(tmp, sizeof(tmp), "%s/%s.tmp", c->dir, CTL_STATUS);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    n = snprintf(buf, sizeof(buf), "%d\n", status);
    /* A reader sees the whole status or none: write, fsync, rename. */
    if (write(fd, buf, (size_t)n) == n && fsync(fd) == 0)
        rename(tmp, path);
    close(fd);
}
