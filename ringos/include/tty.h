/* SPDX-License-Identifier: MIT */
/*
 * The console as a terminal: input from the host's rv_in_ring (when
 * RV_FEAT_CON_IN), a canonical-mode line discipline when the host console is
 * a raw terminal (RV_CON_TTY), termios ioctls, and output with ONLCR.
 */
#ifndef RINGOS_TTY_H
#define RINGOS_TTY_H

#include "types.h"

void tty_init(void);
/* Input comes from another source (virtio-console), which has no end of input. */
void tty_input_start(void);
/* Bytes (s, n) received from that source (interrupts off).  Returns how many
 * were taken: fewer than (n) when the read queue is full; the caller keeps the
 * rest and offers it again from tty_poll(), which runs after each read. */
size_t tty_receive(const uint8_t *s, size_t n);
/* Read into user memory; blocks unless (nonblock).  0 at end of input. */
long tty_read(uint64_t ubuf, size_t n, bool nonblock);
long tty_write(uint64_t ubuf, size_t n);
/* Would a read return without blocking? */
bool tty_readable(void);
/* Drain input the host published without (or before) its interrupt, or that
 * waited for room; from the timer tick and after each read (interrupts off). */
void tty_poll(void);
long tty_ioctl(uint64_t req, uint64_t arg);

#endif
