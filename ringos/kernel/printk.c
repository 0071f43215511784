// SPDX-License-Identifier: MIT
/* printk and panic over the console backend chosen at boot. */
#include <stdarg.h>

#include "boot.h"
#include "hv.h"
#include "kernel.h"
#include "platform.h"
#include "printk.h"
#include "virtio_dev.h"

enum console_kind { CON_NONE, CON_RING, CON_HCALL, CON_UART, CON_VIRTIO };

static enum console_kind con;

void console_init(void)
{
    if (boot.vmm == BOOT_VMM_RINGVISOR) {
        con = (boot.features & RV_FEAT_REQ_RING) && hv_ring_init(boot.req_ring_gpa) ? CON_RING
                                                                                     : CON_HCALL;
    } else {
        uart_init();
        con = CON_UART;
    }
}

void console_write(const char *s, size_t n)
{
    unsigned long f = irq_save();

    switch (con) {
    case CON_RING:
        if (hv_ring_write(s, n))
            break;
        con = CON_HCALL; /* the host stopped serving the ring */
        /* fall through */
    case CON_HCALL:
        hv_console_write(s, n);
        break;
    case CON_UART:
        uart_write(s, n);
        break;
    case CON_VIRTIO:
        if (!virtio_console_write(s, n))
            hv_console_write(s, n); /* the device stopped: keep the output */
        break;
    case CON_NONE:
        break;
    }
    irq_restore(f);
}

void console_write_sync(const char *s, size_t n)
{
    if (boot.vmm == BOOT_VMM_RINGVISOR)
        hv_console_write(s, n);
    else
        uart_write(s, n);
}

void console_use_virtio(void)
{
    unsigned long f = irq_save();

    console_flush(); /* what went to the ring comes out first */
    con = CON_VIRTIO;
    irq_restore(f);
}

void console_kick(void)
{
    if (con == CON_RING) {
        unsigned long f = irq_save();

        hv_ring_kick();
        irq_restore(f);
    }
}

void console_flush(void)
{
    if (con == CON_RING)
        hv_ring_drain();
    else if (con == CON_VIRTIO)
        virtio_console_flush();
}

void printk(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    console_write(buf, MIN((size_t)n, sizeof(buf) - 1));
}

__noreturn void panic(const char *fmt, ...)
{
    static bool panicking;
    char buf[2048];
    va_list ap;

    irq_disable();
    if (panicking)
        hv_poweroff(125); /* a fault while panicking: just stop */
    panicking = true;
    /* Let queued output reach the host first so the log stays in order. */
    console_flush();
    int n = snprintf(buf, sizeof(buf), "panic: ");
    va_start(ap, fmt);
    n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
    va_end(ap);
    n = MIN((size_t)n, sizeof(buf) - 2);
    buf[n++] = '\n';
    console_write_sync(buf, n);
    hv_poweroff(125);
}
