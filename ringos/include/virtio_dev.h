/* SPDX-License-Identifier: MIT */
/* The virtio device drivers' entry points, called by the transport (virtio.c). */
#ifndef RINGOS_VIRTIO_DEV_H
#define RINGOS_VIRTIO_DEV_H

#include "types.h"

struct virtio_dev;

/* Set up (d) and register what it offers; 0, or -ENODEV / -ENOMEM / -EIO. */
int virtio_blk_probe(struct virtio_dev *d);
int virtio_rng_probe(struct virtio_dev *d);
int virtio_console_probe(struct virtio_dev *d);

bool virtio_rng_present(void);
/* Fill (buf, n) from virtio-rng; false (nothing written) without a device. */
bool virtio_rng_fill(void *buf, size_t n);

/*
 * virtio-console output: queue (s, n) for the device; false (the caller falls
 * back to the host console) once the queue broke or stopped taking output.
 */
bool virtio_console_write(const char *s, size_t n);
/* Wait (bounded) until the device has taken every queued byte. */
void virtio_console_flush(void);
/* Pass received input to the tty now (the timer tick's backstop for a late interrupt). */
void virtio_console_poll(void);

#endif
