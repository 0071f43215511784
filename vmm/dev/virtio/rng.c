// SPDX-License-Identifier: MIT
/* virtio-rng: each device-writable buffer is filled from getrandom(). */
#include "vmm/dev/virtio/rng.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* Per request: a driver asking for more gets a partial answer (5.4.6). */
#define RNG_MAX_BYTES 4096u

static void rng_config_read(struct vpci *v, uint32_t off, uint8_t *data, uint32_t len)
{
    (void)v, (void)off;
    memset(data, 0, len); /* 5.4.4: no configuration */
}

static void rng_notify(struct vpci *v, uint16_t q)
{
    struct vrng *r = v->dev;
    uint8_t buf[RNG_MAX_BYTES];
    int n;

    while ((n = vq_pop(&v->vq[q], &r->elem)) == 1) {
        uint32_t want = r->elem.in_len < sizeof(buf) ? r->elem.in_len : sizeof(buf);
        ssize_t got = want ? getrandom(buf, want, 0) : 0;

        vq_push(&v->vq[q], r->elem.head,
                got > 0 ? vq_copy_in(&r->elem, 0, buf, (uint32_t)got) : 0);
    }
    if (n < 0)
        vpci_needs_reset(v, q);
    vpci_signal_queue(v, q);
}

static const struct vdev_ops vrng_ops = {
    .name = "virtio-rng",
    .id = 4,
    .class_rev = 0x00ff0000,
    .config_read = rng_config_read,
    .notify = rng_notify,
};

int vrng_create(struct vrng **out, const struct vpci_env *env, struct pci_host *host)
{
    struct vrng *r = calloc(1, sizeof(*r));
    int err;

    *out = NULL;
    if (!r)
        return -ENOMEM;
    err = vpci_init(&r->pci, &vrng_ops, r, 1, 0, "rng0", 0, env, host);
    if (err) {
        vrng_destroy(r);
        return err;
    }
    *out = r;
    return 0;
}

void vrng_destroy(struct vrng *r)
{
    if (r)
        vpci_exit(&r->pci);
    free(r);
}
