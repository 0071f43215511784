/* SPDX-License-Identifier: MIT */
/*
 * One I/O thread per VM: an epoll loop that serves eventfds (ioeventfd
 * doorbells) so that device work never runs on a vCPU thread.
 */
#ifndef VMM_IOTHREAD_H
#define VMM_IOTHREAD_H

#include <pthread.h>

#define IOTHREAD_MAX_FDS 64

struct iothread_src {
    int fd;
    void (*fn)(void *opaque);
    void *opaque;
    int is_eventfd; /* read (reset) the counter before fn runs */
    int watched;
};

struct iothread {
    int epfd;
    int stopfd;
    int nr;
    struct iothread_src src[IOTHREAD_MAX_FDS];
    pthread_t thread;
    int started;
};

int iothread_init(struct iothread *io) __attribute__((warn_unused_result));
/* Serve eventfd or timerfd (fd) with (fn): it is read (reset) before fn
 * runs.  Call before iothread_start(). */
int iothread_add(struct iothread *io, int fd, void (*fn)(void *), void *opaque)
    __attribute__((warn_unused_result));
/* Serve any pollable (fd) with (fn), which must consume what is readable.
 * Returns the source index for iothread_watch(), or -errno (-EPERM for files
 * epoll cannot watch, such as regular files). */
int iothread_add_fd(struct iothread *io, int fd, void (*fn)(void *), void *opaque)
    __attribute__((warn_unused_result));
/* Start (on) or stop watching source (idx); safe from the I/O thread only. */
void iothread_watch(struct iothread *io, int idx, int on);
int iothread_start(struct iothread *io) __attribute__((warn_unused_result));
/* Stop and join the thread (if started) and close what iothread_init opened. */
void iothread_exit(struct iothread *io);

#endif
