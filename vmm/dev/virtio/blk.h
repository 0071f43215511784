/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk (virtio 1.2 sec. 5.2) over a raw image file, asynchronous
 * through io_uring on the VM's I/O thread: a vCPU never waits for the disk.
 */
#ifndef VMM_VIRTIO_BLK_H
#define VMM_VIRTIO_BLK_H

#include <liburing.h>
#include <stdbool.h>

#include "vmm/backend/rawfile.h"
#include "vmm/dev/virtio/pci.h"

struct vblk_req;

struct vblk {
    struct vpci pci;
    struct rawfile file;
    char id[21];              /* VIRTIO_BLK_T_GET_ID: up to 20 bytes */
    struct io_uring ring;
    bool ring_ok;
    int ring_efd;             /* completions: an eventfd the I/O thread serves */
    struct vblk_req *reqs;    /* VQ_MAX_SIZE of them */
    struct vblk_req *free;
    unsigned inflight;
    /* Write-behind: the span written since the host last started writing it
     * back, and whether that sync_file_range is still running. */
    uint64_t wb_lo, wb_hi;
    bool wb_busy;
    /* Interrupt moderation (blk.c, HOLD_NS): a timerfd the I/O thread
     * serves (-1: none, answer at once), whether answers may wait for it
     * now, whether one waits, the eager answers left before the next try,
     * and the requests in a row that came alone (up to SERIAL). */
    int timer_fd;
    bool lazy, timer_armed;
    unsigned eager_left, probe_every, fails, serial;
    uint16_t hold_event;
};

/* Open (path) and put a virtio-blk function named (name) on (host). */
int vblk_create(struct vblk **out, const char *path, bool ro, const char *name,
                const struct vpci_env *env, struct pci_host *host, const char **why)
    __attribute__((warn_unused_result));
void vblk_destroy(struct vblk *b);

#endif
