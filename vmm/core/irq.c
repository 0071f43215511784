// SPDX-License-Identifier: MIT
/* MSI routing and irqfds: the one owner of KVM's GSI routing table. */
#include "vmm/core/irq.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

void irq_init(struct irq *irq, int vm_fd)
{
    memset(irq, 0, sizeof(*irq));
    irq->vm_fd = vm_fd;
    pthread_mutex_init(&irq->lock, NULL);
    for (int i = 0; i < IRQ_MAX_GSI; i++)
        irq->fd[i] = -1;
}

void irq_exit(struct irq *irq)
{
    for (int i = 0; i < IRQ_MAX_GSI; i++) {
        if (irq->fd[i] >= 0)
            close(irq->fd[i]);
        irq->fd[i] = -1;
    }
    irq->nr_gsi = 0;
}

/* Push the whole table to KVM.  Called with the lock held. */
static int irq_commit(struct irq *irq)
{
    struct kvm_irq_routing *rt;
    uint32_t n = 0;
    int err = 0;

    rt = calloc(1, sizeof(*rt) + IRQ_MAX_GSI * sizeof(rt->entries[0]));
    if (!rt)
        return -ENOMEM;
    for (uint32_t gsi = 1; gsi <= irq->nr_gsi; gsi++) {
        if (!irq->routed[gsi])
            continue;
        rt->entries[n].gsi = gsi;
        rt->entries[n].type = KVM_IRQ_ROUTING_MSI;
        rt->entries[n].u.msi.address_lo = (uint32_t)irq->addr[gsi];
        rt->entries[n].u.msi.address_hi = (uint32_t)(irq->addr[gsi] >> 32);
        rt->entries[n].u.msi.data = irq->data[gsi];
        n++;
    }
    rt->nr = n;
    if (irq->vm_fd >= 0 && ioctl(irq->vm_fd, KVM_SET_GSI_ROUTING, rt) < 0)
        err = -errno;
    free(rt);
    return err;
}

int irq_alloc(struct irq *irq)
{
    struct kvm_irqfd req = { 0 };
    int gsi, fd, err = 0;

    pthread_mutex_lock(&irq->lock);
    if (irq->nr_gsi + 1 >= IRQ_MAX_GSI) {
        err = -ENOSPC;
        goto out;
    }
    gsi = (int)irq->nr_gsi + 1;
    fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0) {
        err = -errno;
        goto out;
    }
    req.fd = (uint32_t)fd;
    req.gsi = (uint32_t)gsi;
    if (irq->vm_fd >= 0 && ioctl(irq->vm_fd, KVM_IRQFD, &req) < 0) {
        err = -errno;
        close(fd);
        goto out;
    }
    irq->fd[gsi] = fd;
    irq->nr_gsi = (uint32_t)gsi;
out:
    pthread_mutex_unlock(&irq->lock);
    return err ? err : gsi;
}

int irq_route(struct irq *irq, int gsi, bool route, uint64_t addr, uint32_t data)
{
    int err = 0;

    if (gsi <= 0 || gsi >= IRQ_MAX_GSI)
        return -EINVAL;
    pthread_mutex_lock(&irq->lock);
    /* Rewriting the table costs an ioctl and an RCU update: skip no-ops. */
    if (irq->routed[gsi] != route || (route && (irq->addr[gsi] != addr || irq->data[gsi] != data))) {
        irq->routed[gsi] = route;
        irq->addr[gsi] = addr;
        irq->data[gsi] = data;
        err = irq_commit(irq);
    }
    pthread_mutex_unlock(&irq->lock);
    return err;
}

void irq_raise(struct irq *irq, int gsi)
{
    uint64_t one = 1;

    if (gsi > 0 && gsi < IRQ_MAX_GSI && irq->fd[gsi] >= 0 &&
        write(irq->fd[gsi], &one, sizeof(one)) < 0) {
        /* Only fails on counter overflow: an interrupt is pending anyway. */
    }
}
