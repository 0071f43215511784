/* SPDX-License-Identifier: MIT */
/*
 * virtio-console (virtio 1.2 sec. 5.3), one port: the host's stdin feeds
 * the receive queue, the transmit queue goes to stdout.  What a stock
 * guest's hvc driver uses; ringos uses its own console rings unless asked.
 */
#ifndef VMM_VIRTIO_CONSOLE_H
#define VMM_VIRTIO_CONSOLE_H

#include "vmm/dev/virtio/pci.h"

struct vcons {
    struct vpci pci;
    int in_fd, out_fd;
    int src;          /* iothread source of in_fd, or -1 */
    bool in_file;     /* in_fd is a regular file: always readable */
    bool eof;
    uint16_t cols, rows;
    struct vq_elem elem;
};

int vcons_create(struct vcons **out, int in_fd, int out_fd, const struct vpci_env *env,
                 struct pci_host *host) __attribute__((warn_unused_result));
void vcons_destroy(struct vcons *c);

#endif
