/* SPDX-License-Identifier: MIT */
/* Formatted kernel output and the console backends behind it. */
#ifndef RINGOS_PRINTK_H
#define RINGOS_PRINTK_H

#include <stdarg.h>

#include "types.h"

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Pick the backend from boot (request ring, hypercall or UART). */
void console_init(void);
void console_write(const char *s, size_t n);
/* From here on, console_write goes to virtio-console (after the request ring drains). */
void console_use_virtio(void);
/* Synchronous output for the panic path. */
void console_write_sync(const char *s, size_t n);
/* Wait (bounded) until the host has consumed everything queued. */
void console_flush(void);
/* Tell the host about queued output (the ring console kicks lazily): on
 * every return to user mode and before a CPU halts. */
void console_kick(void);

__noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
