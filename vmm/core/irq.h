/* SPDX-License-Identifier: MIT */
/*
 * Interrupts into the guest as MSIs through irqfds.  KVM's GSI routing table
 * is replaced as a whole by KVM_SET_GSI_ROUTING, so one owner per VM keeps
 * it: each source gets a GSI and an eventfd; writing the eventfd (from any
 * thread) injects the MSI currently routed to that GSI, with no exit.
 */
#ifndef VMM_IRQ_H
#define VMM_IRQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define IRQ_MAX_GSI 128

struct irq {
    int vm_fd;
    pthread_mutex_t lock;
    uint32_t nr_gsi;                   /* GSIs handed out: [1, nr_gsi] */
    int fd[IRQ_MAX_GSI];               /* eventfd per GSI, -1 if none */
    bool routed[IRQ_MAX_GSI];
    uint64_t addr[IRQ_MAX_GSI];        /* MSI address */
    uint32_t data[IRQ_MAX_GSI];        /* MSI data */
};

/* (vm_fd) < 0: no VM (host-only tests): eventfds without KVM behind them. */
void irq_init(struct irq *irq, int vm_fd);
void irq_exit(struct irq *irq);

/* A new GSI with its eventfd bound by KVM_IRQFD; returns the GSI (> 0) or
 * -errno.  It injects nothing until irq_route() gives it a message. */
int irq_alloc(struct irq *irq) __attribute__((warn_unused_result));

/* Route (gsi) to the MSI (addr, data), or unroute it (route false).  Returns
 * 0 or -errno. */
int irq_route(struct irq *irq, int gsi, bool route, uint64_t addr, uint32_t data)
    __attribute__((warn_unused_result));

/* Inject (gsi)'s MSI: an eventfd write, safe from any thread. */
void irq_raise(struct irq *irq, int gsi);

#endif
