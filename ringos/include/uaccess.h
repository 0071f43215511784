/* SPDX-License-Identifier: MIT */
/*
 * User memory access.  uaccess_range_ok() is pure (host unit tests use it);
 * the copy routines recover from faults through __ex_table and return -EFAULT.
 */
#ifndef RINGOS_UACCESS_H
#define RINGOS_UACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* User mappings live in [USER_BASE, USER_LIMIT); the last user page above
 * holds the sysret stub and is never a valid syscall argument. */
#define USER_BASE 0x10000ull
#define USER_LIMIT 0x00007ffffffff000ull

/* Is [addr, addr + len) inside user space?  (Both tests: addr + len may wrap.) */
static inline bool uaccess_range_ok(uint64_t addr, uint64_t len)
{
    if (len == 0)
        return addr <= USER_LIMIT;
    return addr >= USER_BASE && addr < USER_LIMIT && len <= USER_LIMIT - addr;
}

long copy_from_user(void *dst, uint64_t usrc, size_t n);
long copy_to_user(uint64_t udst, const void *src, size_t n);
long clear_user(uint64_t udst, size_t n);
/* Copy a NUL-terminated string of at most (max)-1 bytes; returns its length,
 * -EFAULT, or -ENAMETOOLONG. */
long strncpy_from_user(char *dst, uint64_t usrc, size_t max);

#endif
