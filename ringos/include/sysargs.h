/* SPDX-License-Identifier: MIT */
/*
 * The user-pointer arguments of every system call ringos implements, as
 * data: syscall_dispatch() range-checks them before any handler runs, and
 * the host unit tests iterate the same table (tests/unit/ringos).  Pure: no
 * kernel state, compiles on the host.
 */
#ifndef RINGOS_SYSARGS_H
#define RINGOS_SYSARGS_H

#include <stdint.h>

enum sysarg_kind {
    SA_NONE,   /* not a pointer, or one only the handler can judge (ioctl's arg) */
    SA_BUF,    /* (size) bytes at the pointer */
    SA_STR,    /* a NUL-terminated string: its first byte here, the rest by the copy */
};

#define SA_NULL_OK 1u /* NULL means "absent" (a timeout, an old-value pointer) */

/* One pointer argument: (arg) holds it; its size is fixed + arg[size_arg] * mult
 * (size_arg < 0: fixed only), or with (bits) set one bit per unit of the
 * int arg[size_arg], rounded up to 64-bit words (select's fd sets). */
struct sysarg {
    uint8_t arg;
    uint8_t kind;  /* enum sysarg_kind */
    uint8_t flags; /* SA_NULL_OK */
    int8_t size_arg;
    uint8_t bits;
    uint16_t fixed;
    uint16_t mult;
};

#define SYSARGS_MAX 4

struct sysdesc {
    uint16_t nr;
    const char *name;
    struct sysarg ptr[SYSARGS_MAX]; /* kind SA_NONE ends the list */
};

/* Every system call syscall_dispatch() handles, sorted by number. */
extern const struct sysdesc sysdescs[];
extern const unsigned sysdescs_count;

/* The descriptor of (nr), or NULL if ringos does not implement it. */
const struct sysdesc *sysargs_find(uint64_t nr);
/* 0 if every pointer argument of syscall (nr) with arguments (a) lies in
 * user space, else -EFAULT.  Unknown numbers pass (they get -ENOSYS). */
long sysargs_check(uint64_t nr, const uint64_t a[6]);

#endif
