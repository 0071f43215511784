/* SPDX-License-Identifier: MIT */
/* The virtio device drivers' entry points, called by the transport (virtio.c). */
#ifndef RINGOS_VIRTIO_DEV_H
#define RINGOS_VIRTIO_DEV_H

#include "types.h"

struct virtio_dev;

/* Set up (d) and register what it offers; 0, or -ENODEV / -ENOMEM / -EIO. */
int virtio_blk_probe(struct virtio_dev *d);
int virtio_rng_probe(struct virtio_dev *d);

bool virtio_rng_present(void);
/* Fill (buf, n) from virtio-rng; false (nothing written) without a device. */
bool virtio_rng_fill(void *buf, size_t n);

#endif
