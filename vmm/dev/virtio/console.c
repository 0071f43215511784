// SPDX-License-Identifier: MIT
/* virtio-console, one port, on the host's stdin and stdout. */
#include "vmm/dev/virtio/console.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#define VIRTIO_CONSOLE_F_SIZE (1ull << 0)
#define RXQ 0
#define TXQ 1

static void cons_config_read(struct vpci *v, uint32_t off, uint8_t *data, uint32_t len)
{
    const struct vcons *c = v->dev;
    /* struct virtio_console_config: cols, rows, max_nr_ports, emerg_wr */
    uint16_t cfg[6] = { c->cols, c->rows, 1, 0, 0, 0 };

    memset(data, 0, len);
    if (off < sizeof(cfg))
        memcpy(data, (uint8_t *)cfg + off, len < sizeof(cfg) - off ? len : sizeof(cfg) - off);
}

/* Guest output: every device-readable byte, in order, to out_fd. */
static void cons_transmit(struct vcons *c)
{
    struct vpci *v = &c->pci;
    int n;

    while ((n = vq_pop(&v->vq[TXQ], &c->elem)) == 1) {
        struct iovec *iov = c->elem.iov;
        int cnt = c->elem.n_out;

        while (cnt > 0) {
            ssize_t w = writev(c->out_fd, iov, cnt);

            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break; /* the reader is gone: drop it, as a closed tty would */
            while (cnt > 0 && (size_t)w >= iov->iov_len) {
                w -= (ssize_t)iov->iov_len;
                iov++, cnt--;
            }
            if (cnt > 0) {
                iov->iov_base = (uint8_t *)iov->iov_base + w;
                iov->iov_len -= (size_t)w;
            }
        }
        vq_push(&v->vq[TXQ], c->elem.head, 0);
    }
    if (n < 0)
        vpci_needs_reset(v, TXQ);
    vpci_signal_queue(v, TXQ);
}

/* Host input into one receive buffer; with none free, stop watching until
 * the driver adds some (its kick re-arms us).  Called with the lock held. */
static void cons_receive(struct vcons *c)
{
    struct vpci *v = &c->pci;
    uint8_t buf[4096];
    ssize_t got;
    int n;

    if (c->eof || !(v->status & VIRTIO_STATUS_DRIVER_OK) || !v->vq[RXQ].ready)
        return;
    n = vq_pop(&v->vq[RXQ], &c->elem);
    if (n <= 0) {
        if (n < 0)
            vpci_needs_reset(v, RXQ);
        if (c->src >= 0)
            iothread_watch(v->env.io, c->src, 0);
        return;
    }
    got = read(c->in_fd, buf, c->elem.in_len < sizeof(buf) ? c->elem.in_len : sizeof(buf));
    if (got <= 0 && !(got < 0 && (errno == EAGAIN || errno == EINTR))) {
        c->eof = true; /* virtio-console has no end of input: nothing more comes */
        if (c->src >= 0)
            iothread_watch(v->env.io, c->src, 0);
    }
    vq_push(&v->vq[RXQ], c->elem.head, got > 0 ? vq_copy_in(&c->elem, 0, buf, (uint32_t)got) : 0);
    vpci_signal_queue(v, RXQ);
}

static void cons_notify(struct vpci *v, uint16_t q)
{
    struct vcons *c = v->dev;

    if (q == TXQ) {
        cons_transmit(c);
    } else if (c->in_file) {
        cons_receive(c);
    } else if (c->src >= 0 && !c->eof) {
        iothread_watch(v->env.io, c->src, 1); /* buffers to fill: look at input */
    }
}

static void on_input(void *opaque)
{
    struct vcons *c = opaque;

    pthread_mutex_lock(&c->pci.lock);
    cons_receive(c);
    pthread_mutex_unlock(&c->pci.lock);
}

static const struct vdev_ops vcons_ops = {
    .name = "virtio-console",
    .id = 3,
    .class_rev = 0x07800000, /* simple communication controller, other */
    .config_read = cons_config_read,
    .notify = cons_notify,
};

int vcons_create(struct vcons **out, int in_fd, int out_fd, const struct vpci_env *env,
                 struct pci_host *host)
{
    struct vcons *c = calloc(1, sizeof(*c));
    struct winsize ws;
    int err;

    *out = NULL;
    if (!c)
        return -ENOMEM;
    c->in_fd = in_fd;
    c->out_fd = out_fd;
    c->src = -1;
    c->cols = 80;
    c->rows = 24;
    if (ioctl(out_fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col && ws.ws_row) {
        c->cols = ws.ws_col;
        c->rows = ws.ws_row;
    }
    err = vpci_init(&c->pci, &vcons_ops, c, 2, VIRTIO_CONSOLE_F_SIZE, "hvc0", 0, env, host);
    if (!err && in_fd >= 0 && env->io) {
        int idx = iothread_add_fd(env->io, in_fd, on_input, c);

        if (idx == -EPERM) {
            c->in_file = true;
        } else if (idx < 0) {
            err = idx;
        } else {
            c->src = idx;
            iothread_watch(env->io, idx, 0); /* until the driver gives buffers */
        }
    }
    if (err) {
        vcons_destroy(c);
        return err;
    }
    *out = c;
    return 0;
}

void vcons_destroy(struct vcons *c)
{
    if (c)
        vpci_exit(&c->pci);
    free(c);
}
