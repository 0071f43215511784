// SPDX-License-Identifier: MIT
/* The per-VM I/O thread: epoll over eventfds. */
#include "vmm/core/iothread.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

int iothread_init(struct iothread *io)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = UINT32_MAX };

    memset(io, 0, sizeof(*io));
    io->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (io->epfd < 0)
        return -errno;
    io->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (io->stopfd < 0 || epoll_ctl(io->epfd, EPOLL_CTL_ADD, io->stopfd, &ev) < 0) {
        int err = -errno;

        if (io->stopfd >= 0)
            close(io->stopfd);
        close(io->epfd);
        return err;
    }
    return 0;
}

static int add_src(struct iothread *io, int fd, void (*fn)(void *), void *opaque,
                   int is_eventfd)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)io->nr };

    if (io->nr == IOTHREAD_MAX_FDS)
        return -ENOSPC;
    if (epoll_ctl(io->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        return -errno;
    io->src[io->nr] = (struct iothread_src){
        .fd = fd, .fn = fn, .opaque = opaque, .is_eventfd = is_eventfd, .watched = 1 };
    return io->nr++;
}

int iothread_add(struct iothread *io, int fd, void (*fn)(void *), void *opaque)
{
    int r = add_src(io, fd, fn, opaque, 1);

    return r < 0 ? r : 0;
}

int iothread_add_fd(struct iothread *io, int fd, void (*fn)(void *), void *opaque)
{
    return add_src(io, fd, fn, opaque, 0);
}

void iothread_watch(struct iothread *io, int idx, int on)
{
    struct iothread_src *src = &io->src[idx];
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)idx };

    if (src->watched == on)
        return;
    if (epoll_ctl(io->epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, src->fd, &ev) == 0)
        src->watched = on;
}

static void *iothread_main(void *arg)
{
    struct iothread *io = arg;

    for (;;) {
        struct epoll_event ev[IOTHREAD_MAX_FDS + 1];
        int n = epoll_wait(io->epfd, ev, IOTHREAD_MAX_FDS + 1, -1);

        for (int i = 0; i < n; i++) {
            uint64_t cnt;
            uint32_t k = ev[i].data.u32;

            if (k == UINT32_MAX)
                return NULL;
            /* Reset the eventfd before serving, so a kick that arrives while
             * fn runs wakes us again rather than being lost. */
            if (io->src[k].is_eventfd &&
                read(io->src[k].fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
                continue;
            io->src[k].fn(io->src[k].opaque);
        }
    }
}

int iothread_start(struct iothread *io)
{
    int err = pthread_create(&io->thread, NULL, iothread_main, io);

    if (err)
        return -err;
    io->started = 1;
    return 0;
}

void iothread_exit(struct iothread *io)
{
    uint64_t one = 1;

    if (io->started) {
        if (write(io->stopfd, &one, sizeof(one)) < 0) {
            /* eventfd writes only fail on overflow; the thread is waking anyway */
        }
        pthread_join(io->thread, NULL);
        io->started = 0;
    }
    close(io->stopfd);
    close(io->epfd);
}
