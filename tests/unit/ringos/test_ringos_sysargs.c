// SPDX-License-Identifier: MIT
/*
 * The syscall argument checks (kernel/sysargs.c), for every system call in
 * the table: good pointers pass, and NULL (unless optional), a kernel
 * address, a non-canonical one and one running past the end of user space
 * give -EFAULT.  test_ringos_unit.py checks that the table lists every
 * number syscall_dispatch() handles, so a new system call cannot skip this.
 */
#include <string.h>

#include "errno.h"
#include "ringos_unit.h"
#include "sysargs.h"
#include "uaccess.h"

#define GOOD 0x400000ull

static const uint64_t bad_ptrs[] = {
    0xffff888000000000ull, /* kernel direct map */
    0xffffffff80000000ull, /* kernel image */
    0x0000800000000000ull, /* first non-canonical address */
    0x8000000000000000ull,
    USER_LIMIT - 1,        /* every buffer below is at least 2 bytes: runs past the end */
    USER_LIMIT,            /* the stub page */
    0xfffull,              /* below USER_BASE */
};

/* Arguments where every pointer is GOOD and every count is 2 (two bytes, two
 * iovecs, two pollfds: buffers of at least 2 bytes). */
static void good_args(const struct sysdesc *d, uint64_t a[6])
{
    for (int i = 0; i < 6; i++)
        a[i] = 2;
    for (int i = 0; i < SYSARGS_MAX && d->ptr[i].kind != SA_NONE; i++)
        a[d->ptr[i].arg] = GOOD;
}

void test_ringos_sysargs(void)
{
    unsigned pointers = 0;

    for (unsigned k = 0; k < sysdescs_count; k++) {
        const struct sysdesc *d = &sysdescs[k];
        uint64_t a[6];
        if (k > 0)
            CHECK(d->nr > sysdescs[k - 1].nr); /* sorted: sysargs_find bisects */
        CHECK(sysargs_find(d->nr) == d);
        good_args(d, a);
        CHECK(sysargs_check(d->nr, a) == 0);
        for (int i = 0; i < SYSARGS_MAX && d->ptr[i].kind != SA_NONE; i++) {
            const struct sysarg *p = &d->ptr[i];
            CHECK(p->arg < 6 && p->size_arg < 6);
            CHECK(p->size_arg < 0 || p->size_arg != p->arg);
            pointers++;
            for (unsigned b = 0; b < sizeof(bad_ptrs) / sizeof(bad_ptrs[0]); b++) {
                if (p->kind == SA_STR && bad_ptrs[b] == USER_LIMIT - 1)
                    continue; /* a valid last byte: the string copy checks the rest */
                good_args(d, a);
                a[p->arg] = bad_ptrs[b];
                if (sysargs_check(d->nr, a) != -EFAULT)
                    fprintf(stderr, "%s: arg %u = %#llx passed\n", d->name, p->arg,
                            (unsigned long long)bad_ptrs[b]);
                CHECK(sysargs_check(d->nr, a) == -EFAULT);
            }
            good_args(d, a);
            a[p->arg] = 0;
            CHECK(sysargs_check(d->nr, a) == ((p->flags & SA_NULL_OK) ? 0 : -EFAULT));
        }
    }
    CHECK(pointers > 50);
    CHECK(sysargs_find(9999) == NULL);
    uint64_t zero[6] = { 0 };
    CHECK(sysargs_check(9999, zero) == 0); /* unknown: the dispatcher's -ENOSYS */
}

/* Sizes that come from other arguments: overflow and zero counts. */
void test_ringos_sysargs_sizes(void)
{
    uint64_t a[6] = { 3, GOOD, 0, 0, 0, 0 };

    /* read(3, GOOD, n): the range [GOOD, GOOD + n) must fit. */
    a[2] = 0;
    CHECK(sysargs_check(0, a) == 0);
    a[2] = USER_LIMIT - GOOD;
    CHECK(sysargs_check(0, a) == 0);
    a[2] = USER_LIMIT - GOOD + 1;
    CHECK(sysargs_check(0, a) == -EFAULT);
    a[2] = UINT64_MAX;
    CHECK(sysargs_check(0, a) == -EFAULT);
    /* writev(1, iov, cnt): cnt * 16 overflows 64 bits. */
    uint64_t w[6] = { 1, GOOD, 1ull << 60, 0, 0, 0 };
    CHECK(sysargs_check(20, w) == -EFAULT);
    /* poll(NULL, 0, t): no fds, nothing to check (a plain sleep). */
    uint64_t p[6] = { 0, 0, 100, 0, 0, 0 };
    CHECK(sysargs_check(7, p) == 0);
    /* select(nfds, set, ...): one bit per fd in whole 64-bit words; a
     * negative nfds is the handler's EINVAL, not a huge range. */
    uint64_t s[6] = { 65, USER_LIMIT - 16, 0, 0, 0, 0 };
    CHECK(sysargs_check(23, s) == 0);
    s[1] = USER_LIMIT - 8;
    CHECK(sysargs_check(23, s) == -EFAULT);
    s[0] = (uint64_t)-1;
    s[1] = GOOD;
    CHECK(sysargs_check(23, s) == 0);
}

/* Every syscall number the table knows, one per line (the Python test
 * compares them with syscall_dispatch()'s cases). */
void ringos_sysargs_list(void)
{
    for (unsigned k = 0; k < sysdescs_count; k++)
        printf("%u %s\n", sysdescs[k].nr, sysdescs[k].name);
}
