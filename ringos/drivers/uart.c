// SPDX-License-Identifier: MIT
/* Polled 16550 UART at COM1, the console under QEMU. */
#include "kernel.h"
#include "x86.h"

#define COM1 0x3f8
#define UART_FIFO_DEPTH 16

static unsigned fifo_room;

void uart_init(void)
{
    outb(COM1 + 1, 0x00); /* no interrupts */
    outb(COM1 + 3, 0x80); /* DLAB */
    outb(COM1 + 0, 0x01); /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); /* 8N1 */
    outb(COM1 + 2, 0x07); /* enable and clear the FIFOs */
    outb(COM1 + 4, 0x03); /* DTR, RTS */
}

/* Poll LSR once per FIFO-full (each port access is a VM exit), not per byte. */
void uart_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!fifo_room) {
            for (unsigned spin = 0; spin < 1000000 && !(inb(COM1 + 5) & 0x20); spin++)
                cpu_relax();
            fifo_room = UART_FIFO_DEPTH;
        }
        outb(COM1, (uint8_t)s[i]);
        fifo_room--;
    }
}
