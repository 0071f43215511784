// SPDX-License-Identifier: MIT
/*
 * virtio-console (virtio 1.2 5.3), one port: console output through the
 * transmit queue, input from the receive queue into the tty line discipline.
 * Replaces the request ring and rv_in_ring when ringvisor offers hvc0.
 */
#include "errno.h"
#include "lib.h"
#include "mm.h"
#include "platform.h"
#include "printk.h"
#include "time.h"
#include "tty.h"
#include "virtio.h"
#include "virtio_dev.h"
#include "x86.h"

#define VCON_RXQ 0
#define VCON_TXQ 1
#define VCON_BUF 512                      /* bytes per buffer */
#define VCON_NBUF (PAGE_SIZE / VCON_BUF)  /* buffers per direction: one page each */
/* How long output may wait for a transmit buffer before the queue counts as stuck. */
#define VCON_TX_WAIT_NS NSEC_PER_SEC

static struct {
    struct virtio_dev *dev;
    struct virtq rx, tx;
    uint8_t *rxbuf, *txbuf;
    bool tx_busy[VCON_NBUF];
    unsigned ntx; /* transmit buffers in use: at most the queue size */
    /* A received buffer the tty had no room for: its bytes from rx_off to
     * rx_len are still to be taken, and it goes back to the device after. */
    uint8_t *rx_held;
    uint32_t rx_off, rx_len;
    bool dead; /* the device broke or stopped taking output */
} vcon;

/* Give receive buffer (buf) back to the device; false if the queue broke. */
static bool vcon_rx_post(uint8_t *buf)
{
    struct virtq_buf b = { virt_to_phys(buf), VCON_BUF };

    return virtq_add(&vcon.rx, &b, 0, 1, buf) == 0;
}

/*
 * Pass what the device received to the tty and repost the buffers it took
 * in full (interrupts off).  A buffer the tty cannot take yet is held, not
 * reposted: the device runs out of buffers and stops reading the host's
 * input, so a reader slower than its input loses nothing (tty_poll(), after
 * each read, brings us back here).
 */
static void vcon_rx_drain(void)
{
    bool any = false;

    for (;;) {
        if (!vcon.rx_held) {
            uint32_t len;

            vcon.rx_held = virtq_get(&vcon.rx, &len);
            if (!vcon.rx_held)
                break;
            vcon.rx_off = 0;
            vcon.rx_len = MIN(len, (uint32_t)VCON_BUF); /* never trust it past our buffer */
        }
        vcon.rx_off += tty_receive(vcon.rx_held + vcon.rx_off, vcon.rx_len - vcon.rx_off);
        if (vcon.rx_off < vcon.rx_len)
            break; /* the tty is full */
        uint8_t *buf = vcon.rx_held;
        vcon.rx_held = NULL;
        if (!vcon_rx_post(buf))
            break;
        any = true;
    }
    if (any)
        virtq_kick(&vcon.rx);
}

static void vcon_rx_irq(struct virtq *q)
{
    (void)q;
    vcon_rx_drain();
}

void virtio_console_poll(void)
{
    if (!vcon.dev)
        return;
    unsigned long f = irq_save();
    vcon_rx_drain();
    irq_restore(f);
}

/* Mark transmit buffers the device is done with free again. */
static void vcon_tx_reap(void)
{
    uint8_t *buf;
    uint32_t len;

    while ((buf = virtq_get(&vcon.tx, &len)))
        vcon.tx_busy[(buf - vcon.txbuf) / VCON_BUF] = false;
}

/*
 * A free transmit buffer's index, waiting for one; -1 if the queue broke.
 * The host takes buffers as fast as whoever reads its output: a slow reader
 * (a pager, a full pipe) is flow control, as on a terminal, not a dead
 * device.  Callers hold interrupts off (console_write), so this polls the
 * used ring rather than sleeping.
 */
static int vcon_tx_slot(void)
{
    for (;;) {
        vcon_tx_reap();
        for (unsigned i = 0; i < vcon.ntx; i++)
            if (!vcon.tx_busy[i])
                return (int)i;
        if (vcon.tx.broken)
            return -1;
        cpu_relax();
    }
}

bool virtio_console_write(const char *s, size_t n)
{
    if (vcon.dead)
        return false;
    while (n) {
        int i = vcon_tx_slot();
        if (i < 0)
            goto dead;
        size_t c = MIN(n, (size_t)VCON_BUF);
        uint8_t *buf = vcon.txbuf + (size_t)i * VCON_BUF;
        memcpy(buf, s, c);
        struct virtq_buf b = { virt_to_phys(buf), (uint32_t)c };
        if (virtq_add(&vcon.tx, &b, 1, 0, buf))
            goto dead;
        vcon.tx_busy[i] = true;
        virtq_kick(&vcon.tx);
        s += c;
        n -= c;
    }
    return true;

dead:
    /* Set first: this printk comes back here and must go to the fallback. */
    vcon.dead = true;
    printk("virtio-console: transmit queue broken; output goes to the host console\n");
    return false;
}

void virtio_console_flush(void)
{
    uint64_t end = time_ns() + VCON_TX_WAIT_NS;

    if (!vcon.dev || vcon.dead)
        return;
    for (;;) {
        vcon_tx_reap();
        bool busy = false;
        for (unsigned i = 0; i < vcon.ntx; i++)
            busy |= vcon.tx_busy[i];
        if (!busy || vcon.tx.broken || time_ns() > end)
            return;
        cpu_relax();
    }
}

int virtio_console_probe(struct virtio_dev *d)
{
    if (vcon.dev)
        return -ENODEV; /* one console */
    int err = virtio_negotiate(d, 1ull << VIRTIO_F_EVENT_IDX);
    if (err)
        return err;
    vcon.rxbuf = mm_alloc_pages(1);
    vcon.txbuf = mm_alloc_pages(1);
    if (!vcon.rxbuf || !vcon.txbuf) {
        err = -ENOMEM;
        goto err_fail;
    }
    err = virtio_queue_init(d, &vcon.rx, VCON_RXQ, VCON_NBUF);
    if (!err)
        err = virtio_queue_init(d, &vcon.tx, VCON_TXQ, VCON_NBUF);
    if (err)
        goto err_fail;
    vcon.ntx = vcon.tx.size;
    vcon.rx.on_used = vcon_rx_irq;
    for (unsigned i = 0; i < vcon.rx.size; i++)
        if (!vcon_rx_post(vcon.rxbuf + i * VCON_BUF)) {
            err = -EIO;
            goto err_fail;
        }
    virtio_ready(d);
    vcon.dev = d;
    tty_input_start();
    unsigned long f = irq_save();
    virtq_kick(&vcon.rx);
    irq_restore(f);
    console_use_virtio();
    return 0;

err_fail:
    /* Pages stay allocated: a ring the device saw may still point at them. */
    virtio_fail(d);
    return err;
}
