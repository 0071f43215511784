// SPDX-License-Identifier: MIT
/* Freestanding memory and string functions; the compiler also emits calls to mem*. */
#include "lib.h"

/*
 * Plain 8-byte stores, never rep stos/movs.  On kvm_pvm a page that was a
 * page table stays write-protected by the host's shadow MMU until a few
 * writes show that it is one no longer; a rep instruction that faults there
 * is emulated by the host to its end, about 1 us per byte (a 4 KiB copy took
 * milliseconds: every fork reuses freed page-table pages), while a store
 * loop traps for its first few stores only.  The asm keeps the compiler
 * from turning the loops back into calls to these functions.
 */
typedef uint64_t __attribute__((may_alias)) u64a;

static inline void store64(void *p, uint64_t v)
{
    __asm__ volatile("movq %1, %0" : "=m"(*(u64a *)p) : "r"(v));
}

static inline void store8(void *p, uint8_t v)
{
    __asm__ volatile("movb %1, %0" : "=m"(*(uint8_t *)p) : "q"(v));
}

void *memset(void *d, int c, size_t n)
{
    uint8_t *p = d;
    uint64_t v = 0x0101010101010101ull * (uint8_t)c;

    for (; n && ((uintptr_t)p & 7); n--)
        store8(p++, (uint8_t)c);
    for (; n >= 8; n -= 8, p += 8)
        store64(p, v);
    for (; n; n--)
        store8(p++, (uint8_t)c);
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *dp = d;
    const uint8_t *sp = s;

    for (; n && ((uintptr_t)dp & 7); n--)
        store8(dp++, *sp++);
    for (; n >= 8; n -= 8, dp += 8, sp += 8)
        store64(dp, *(const u64a *)sp);
    for (; n; n--)
        store8(dp++, *sp++);
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    unsigned char *dp = d;
    const unsigned char *sp = s;

    if (dp <= sp || dp >= sp + n)
        return memcpy(d, s, n);
    while (n--)
        dp[n] = sp[n];
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;

    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] - y[i];
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    return n;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            return 0;
    }
    return 0;
}

size_t strlcpy(char *d, const char *s, size_t size)
{
    size_t n = strlen(s);

    if (size) {
        size_t c = n < size - 1 ? n : size - 1;
        memcpy(d, s, c);
        d[c] = 0;
    }
    return n;
}

uint64_t strtou64(const char *s, const char **end)
{
    uint64_t v = 0;

    while (*s >= '0' && *s <= '9')
        v = v * 10 + (uint64_t)(*s++ - '0');
    if (end)
        *end = s;
    return v;
}
