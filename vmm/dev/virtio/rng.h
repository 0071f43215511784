/* SPDX-License-Identifier: MIT */
/* virtio-rng (virtio 1.2 sec. 5.4): entropy from the host's getrandom(). */
#ifndef VMM_VIRTIO_RNG_H
#define VMM_VIRTIO_RNG_H

#include "vmm/dev/virtio/pci.h"

struct vrng {
    struct vpci pci;
    struct vq_elem elem;
};

int vrng_create(struct vrng **out, const struct vpci_env *env, struct pci_host *host)
    __attribute__((warn_unused_result));
void vrng_destroy(struct vrng *r);

#endif
