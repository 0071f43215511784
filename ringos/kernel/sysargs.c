// SPDX-License-Identifier: MIT
/*
 * The user-pointer arguments of every implemented system call, and the range
 * check syscall_dispatch() runs on them first (Linux's access_ok()).  Pages
 * that are in range but unmapped are the copy routines' business (fault
 * fixup, also -EFAULT).
 */
#include "errno.h"
#include "sysargs.h"
#include "uaccess.h"

/* Shorthands: a buffer of (n) bytes, of arg[i] * m bytes, a string. */
#define BUF(a, n) { .arg = (a), .kind = SA_BUF, .size_arg = -1, .fixed = (n) }
#define OPT(a, n) { .arg = (a), .kind = SA_BUF, .flags = SA_NULL_OK, .size_arg = -1, .fixed = (n) }
#define VEC(a, i, m) { .arg = (a), .kind = SA_BUF, .size_arg = (i), .mult = (m) }
#define OPTVEC(a, i, m) { .arg = (a), .kind = SA_BUF, .flags = SA_NULL_OK, .size_arg = (i), .mult = (m) }
#define FDSET(a, i) { .arg = (a), .kind = SA_BUF, .flags = SA_NULL_OK, .size_arg = (i), .bits = 1 }
#define STR(a) { .arg = (a), .kind = SA_STR, .size_arg = -1 }

#define STAT_SIZE 144   /* struct stat */
#define TS 16           /* struct timespec, struct timeval */
#define SIGACTION 32    /* the kernel's struct sigaction */
#define RUSAGE 144
#define SYSINFO 112
#define UTSNAME 390
#define STATFS 120      /* struct statfs */

const struct sysdesc sysdescs[] = {
    { 0, "read", { VEC(1, 2, 1) } },
    { 1, "write", { VEC(1, 2, 1) } },
    { 2, "open", { STR(0) } },
    { 3, "close", { { 0 } } },
    { 4, "stat", { STR(0), BUF(1, STAT_SIZE) } },
    { 5, "fstat", { BUF(1, STAT_SIZE) } },
    { 6, "lstat", { STR(0), BUF(1, STAT_SIZE) } },
    { 7, "poll", { VEC(0, 1, 8) } },
    { 8, "lseek", { { 0 } } },
    { 9, "mmap", { { 0 } } },     /* addresses, never dereferenced */
    { 10, "mprotect", { { 0 } } },
    { 11, "munmap", { { 0 } } },
    { 12, "brk", { { 0 } } },
    { 13, "rt_sigaction", { OPT(1, SIGACTION), OPT(2, SIGACTION) } },
    { 14, "rt_sigprocmask", { OPT(1, 8), OPT(2, 8) } },
    { 15, "rt_sigreturn", { { 0 } } }, /* the frame on the user stack: checked by its copy */
    { 16, "ioctl", { { 0 } } },        /* the argument's meaning depends on the request */
    { 17, "pread64", { VEC(1, 2, 1) } },
    { 18, "pwrite64", { VEC(1, 2, 1) } },
    { 19, "readv", { VEC(1, 2, 16) } },
    { 20, "writev", { VEC(1, 2, 16) } },
    { 21, "access", { STR(0) } },
    { 22, "pipe", { BUF(0, 8) } },
    { 23, "select", { FDSET(1, 0), FDSET(2, 0), FDSET(3, 0), OPT(4, TS) } },
    { 24, "sched_yield", { { 0 } } },
    { 28, "madvise", { { 0 } } },
    { 32, "dup", { { 0 } } },
    { 33, "dup2", { { 0 } } },
    { 34, "pause", { { 0 } } },
    { 35, "nanosleep", { BUF(0, TS), OPT(1, TS) } },
    { 39, "getpid", { { 0 } } },
    { 56, "clone", { { 0 } } }, /* ptid/ctid only with their flags: checked by the copies */
    { 57, "fork", { { 0 } } },
    { 58, "vfork", { { 0 } } },
    { 59, "execve", { STR(0), OPT(1, 8), OPT(2, 8) } },
    { 60, "exit", { { 0 } } },
    { 61, "wait4", { OPT(1, 4), OPT(3, RUSAGE) } },
    { 62, "kill", { { 0 } } },
    { 63, "uname", { BUF(0, UTSNAME) } },
    { 72, "fcntl", { { 0 } } },
    { 74, "fsync", { { 0 } } },
    { 75, "fdatasync", { { 0 } } },
    { 76, "truncate", { STR(0) } },
    { 77, "ftruncate", { { 0 } } },
    { 79, "getcwd", { VEC(0, 1, 1) } },
    { 80, "chdir", { STR(0) } },
    { 81, "fchdir", { { 0 } } },
    { 82, "rename", { STR(0), STR(1) } },
    { 83, "mkdir", { STR(0) } },
    { 84, "rmdir", { STR(0) } },
    { 87, "unlink", { STR(0) } },
    { 88, "symlink", { STR(0), STR(1) } },
    { 89, "readlink", { STR(0), VEC(1, 2, 1) } },
    { 90, "chmod", { STR(0) } },
    { 91, "fchmod", { { 0 } } },
    { 92, "chown", { STR(0) } },
    { 93, "fchown", { { 0 } } },
    { 94, "lchown", { STR(0) } },
    { 95, "umask", { { 0 } } },
    { 96, "gettimeofday", { OPT(0, TS), OPT(1, 8) } },
    { 97, "getrlimit", { BUF(1, 16) } },
    { 99, "sysinfo", { BUF(0, SYSINFO) } },
    { 102, "getuid", { { 0 } } },
    { 104, "getgid", { { 0 } } },
    { 105, "setuid", { { 0 } } },
    { 106, "setgid", { { 0 } } },
    { 107, "geteuid", { { 0 } } },
    { 108, "getegid", { { 0 } } },
    { 109, "setpgid", { { 0 } } },
    { 110, "getppid", { { 0 } } },
    { 111, "getpgrp", { { 0 } } },
    { 112, "setsid", { { 0 } } },
    { 113, "setreuid", { { 0 } } },
    { 114, "setregid", { { 0 } } },
    { 117, "setresuid", { { 0 } } },
    { 119, "setresgid", { { 0 } } },
    { 121, "getpgid", { { 0 } } },
    { 124, "getsid", { { 0 } } },
    { 127, "rt_sigpending", { BUF(0, 8) } },
    { 130, "rt_sigsuspend", { BUF(0, 8) } },
    { 131, "sigaltstack", { OPT(0, 24), OPT(1, 24) } },
    { 137, "statfs", { STR(0), BUF(1, STATFS) } },
    { 138, "fstatfs", { BUF(1, STATFS) } },
    { 158, "arch_prctl", { { 0 } } }, /* a pointer for ARCH_GET_FS only: its copy checks */
    { 162, "sync", { { 0 } } },
    { 186, "gettid", { { 0 } } },
    { 200, "tkill", { { 0 } } },
    { 201, "time", { OPT(0, 8) } },
    { 202, "futex", { BUF(0, 4) } }, /* timeout and uaddr2 depend on the op */
    { 204, "sched_getaffinity", { VEC(2, 1, 1) } },
    { 217, "getdents64", { VEC(1, 2, 1) } },
    { 218, "set_tid_address", { { 0 } } }, /* stored, written at exit by a checked copy */
    { 228, "clock_gettime", { BUF(1, TS) } },
    { 229, "clock_getres", { OPT(1, TS) } },
    { 230, "clock_nanosleep", { BUF(2, TS), OPT(3, TS) } },
    { 231, "exit_group", { { 0 } } },
    { 234, "tgkill", { { 0 } } },
    { 257, "openat", { STR(1) } },
    { 258, "mkdirat", { STR(1) } },
    { 260, "fchownat", { STR(1) } },
    { 262, "newfstatat", { STR(1), BUF(2, STAT_SIZE) } },
    { 263, "unlinkat", { STR(1) } },
    { 264, "renameat", { STR(1), STR(3) } },
    { 266, "symlinkat", { STR(0), STR(2) } },
    { 267, "readlinkat", { STR(1), VEC(2, 3, 1) } },
    { 268, "fchmodat", { STR(1) } },
    { 269, "faccessat", { STR(1) } },
    { 270, "pselect6", { FDSET(1, 0), FDSET(2, 0), FDSET(3, 0), OPT(4, TS) } },
    { 271, "ppoll", { VEC(0, 1, 8), OPT(2, TS) } },
    { 273, "set_robust_list", { { 0 } } }, /* ignored */
    { 292, "dup3", { { 0 } } },
    { 293, "pipe2", { BUF(0, 8) } },
    { 302, "prlimit64", { OPT(2, 16), OPT(3, 16) } },
    { 306, "syncfs", { { 0 } } },
    { 316, "renameat2", { STR(1), STR(3) } },
    { 318, "getrandom", { VEC(0, 1, 1) } },
    { 332, "statx", { STR(1), BUF(4, 256) } },
    { 439, "faccessat2", { STR(1) } },
};
const unsigned sysdescs_count = sizeof(sysdescs) / sizeof(sysdescs[0]);

const struct sysdesc *sysargs_find(uint64_t nr)
{
    unsigned lo = 0, hi = sysdescs_count;

    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (sysdescs[mid].nr == nr)
            return &sysdescs[mid];
        if (sysdescs[mid].nr < nr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

long sysargs_check(uint64_t nr, const uint64_t a[6])
{
    const struct sysdesc *d = sysargs_find(nr);

    for (unsigned i = 0; d && i < SYSARGS_MAX && d->ptr[i].kind != SA_NONE; i++) {
        const struct sysarg *p = &d->ptr[i];
        uint64_t addr = a[p->arg], size = p->fixed;
        if (addr == 0 && (p->flags & SA_NULL_OK))
            continue;
        if (p->kind == SA_STR) {
            size = 1;
        } else if (p->size_arg >= 0) {
            uint64_t n = a[p->size_arg], var;
            if (p->bits) {
                /* Only the low 32 bits are the count (an int): the handler
                 * rejects a negative one with EINVAL. */
                n = (uint32_t)n;
                var = (n + 63) / 64 * 8;
            } else if (__builtin_mul_overflow(n, (uint64_t)p->mult, &var)) {
                return -EFAULT; /* no buffer that big fits in user space */
            }
            if (__builtin_add_overflow(size, var, &size))
                return -EFAULT;
        }
        if (!uaccess_range_ok(addr, size))
            return -EFAULT;
    }
    return 0;
}
